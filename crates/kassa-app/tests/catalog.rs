//! The catalog and its CSV import: a preview first, and all or nothing.

use std::sync::Arc;

use chrono::Utc;
use kassa_app::{ErrorCode, Kassa, ManualClock, ProductInput, SaleUnit, StorePrice, VatCategory};
use rusqlite::Connection;

fn demo() -> (tempfile::TempDir, std::path::PathBuf, Kassa) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("kassa.sqlite3");
    let kassa = Kassa::create_demo(&path, Arc::new(ManualClock::new(Utc::now()))).unwrap();
    (dir, path, kassa)
}

fn catalog_rows(path: &std::path::Path) -> Vec<String> {
    let conn = Connection::open(path).unwrap();
    let mut out = Vec::new();
    for table in ["products", "product_barcodes", "product_prices", "categories"] {
        let mut stmt = conn
            .prepare(&format!("SELECT * FROM {table} ORDER BY 1, 2"))
            .unwrap();
        let n = stmt.column_count();
        let mut q = stmt.query([]).unwrap();
        while let Some(r) = q.next().unwrap() {
            out.push(
                (0..n)
                    .map(|i| format!("{:?}", r.get_ref(i).unwrap()))
                    .collect::<Vec<_>>()
                    .join("|"),
            );
        }
    }
    out
}

const GOOD: &str = "sku;name;category;vat;unit;barcodes;store;price\n\
    NEW-1;Havrekaka;Bageri;12;each;5901234123457;Malmö C;19,50\n\
    NEW-1;Havrekaka;Bageri;reduced;each;;København Nørreport;16.00\n\
    NEW-2;Julmust 50 cl;Dryck;standard;;;Malmö C;22\n";

#[test]
fn an_import_is_previewed_then_applied_whole() {
    let (_dir, path, kassa) = demo();
    let manager = kassa.login("manager", "1234").unwrap().0;
    let before = catalog_rows(&path);
    let preview = kassa.preview_product_import(&manager, GOOD).unwrap();
    assert!(preview.rejected.is_empty(), "{:?}", preview.rejected);
    assert_eq!(preview.rows.len(), 3);
    assert_eq!(preview.rows[0].price, "19.50");
    assert_eq!(
        preview.rows[0].vat_category,
        VatCategory::Reduced,
        "12 % is Sweden's reduced rate"
    );
    assert_eq!(catalog_rows(&path), before, "a preview writes nothing");

    kassa.apply_product_import(&manager, GOOD).unwrap();
    let found = kassa.search_products(&manager, "havrekaka", false, 10).unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].prices.len(), 2);
    assert_eq!(found[0].product.barcodes, ["5901234123457"]);
    let audit = kassa
        .audit_trail(&manager, Some("product"), Some(found[0].product.id), 10)
        .unwrap();
    assert_eq!(audit[0].action, "import_create");
}

#[test]
fn a_bad_file_reports_line_numbers_and_imports_nothing() {
    let (_dir, path, kassa) = demo();
    let manager = kassa.login("manager", "1234").unwrap().0;
    let before = catalog_rows(&path);

    let err = kassa
        .preview_product_import(&manager, "sku,title,price\nA,B,1\n")
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::Validation);
    assert!(
        err.to_string()
            .contains("line 1: wrong columns, missing: name, vat, store"),
        "{err}"
    );
    assert!(err.to_string().contains("unknown: title"), "{err}");

    let bad = "sku,name,vat,store,price,barcodes\n\
        OK-1,Fine,standard,Malmö C,10.00,\n\
        BAD-1,Bad price,standard,Malmö C,12.345,\n\
        BAD-2,Bad VAT,7,Malmö C,10,\n\
        BAD-3,Bad store,standard,Lund,10,\n\
        BAD-4,Bad code,standard,Malmö C,10,7310865004704\n\
        BAD-5,Negative,standard,Malmö C,-5,\n";
    let preview = kassa.preview_product_import(&manager, bad).unwrap();
    let lines: Vec<u32> = preview.rejected.iter().map(|r| r.line).collect();
    assert_eq!(lines, [3, 4, 5, 6, 7], "{:?}", preview.rejected);
    assert!(
        preview.rejected[1].message.contains("SE has no VAT rate of 7%"),
        "{:?}",
        preview.rejected[1]
    );
    assert!(
        preview.rejected[3].message.contains("check digit"),
        "{:?}",
        preview.rejected[3]
    );
    let err = kassa.apply_product_import(&manager, bad).unwrap_err();
    assert!(
        err.to_string()
            .contains("5 row(s) rejected, nothing imported; first: line 3"),
        "{err}"
    );
    assert_eq!(catalog_rows(&path), before);

    let cashier = kassa.login("cashier", "2222").unwrap().0;
    assert_eq!(
        kassa.apply_product_import(&cashier, GOOD).unwrap_err().code(),
        ErrorCode::Forbidden
    );
    assert_eq!(catalog_rows(&path), before);
}

#[test]
fn products_keep_their_codes_unique_and_prices_valid() {
    let (_dir, path, kassa) = demo();
    let manager = kassa.login("manager", "1234").unwrap().0;
    let malmo = kassa
        .list_stores(&manager)
        .unwrap()
        .into_iter()
        .find(|s| s.name == "Malmö C")
        .unwrap()
        .id;
    let existing_code = kassa.search_products(&manager, "Kanelbulle", false, 1).unwrap()[0]
        .product
        .barcodes[0]
        .clone();
    let input = |code: &str, price: &str| ProductInput {
        sku: "X-1".into(),
        name: "Test".into(),
        category: None,
        vat_category: VatCategory::Standard,
        unit: SaleUnit::Each,
        active: true,
        barcodes: vec![code.into()],
        prices: vec![StorePrice {
            store_id: malmo,
            price: price.into(),
            currency: String::new(),
        }],
    };
    let before = catalog_rows(&path);
    let err = kassa
        .save_product(&manager, None, &input(&existing_code, "10"))
        .unwrap_err();
    assert!(
        err.to_string().contains("already belongs to 'Kanelbulle'"),
        "{err}"
    );
    let err = kassa
        .save_product(&manager, None, &input("036000291452", "ten"))
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::Validation);
    assert_eq!(catalog_rows(&path), before);
    // UPC-A is stored as its 13-digit GTIN, so either form scans.
    let saved = kassa
        .save_product(&manager, None, &input("036000291452", "10"))
        .unwrap();
    assert_eq!(saved.product.barcodes, ["0036000291452"]);
}
