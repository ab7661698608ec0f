//! The Venue Manager catalog import against the emulator over loopback HTTP, into a real
//! SQLite file: the same preview and all-or-nothing apply as a CSV file.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{TimeZone, Utc};
use kassa_app::{Actor, ErrorCode, Kassa, ManualClock, Provider, ProviderAccountInput, VatCategory};
use kassa_sandbox::venue_manager::{DEMO_API_PASSWORD, DEMO_SETTINGS};
use kassa_sandbox::{BackgroundSandbox, Fault, FaultRule, Ports};
use rusqlite::Connection;
use serde_json::json;

struct World {
    _dir: tempfile::TempDir,
    path: PathBuf,
    kassa: Kassa,
    manager: Actor,
    sandbox: BackgroundSandbox,
    /// Kasse 1 in København Nørreport (DK, DKK), the shop's country and currency.
    pos_id: i64,
    store_id: i64,
}

fn world() -> World {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("kassa.sqlite3");
    let clock = Arc::new(ManualClock::new(
        Utc.with_ymd_and_hms(2026, 11, 23, 9, 0, 0).unwrap(),
    ));
    let kassa = Kassa::create_demo(&path, clock).unwrap();
    let manager = kassa.login("manager", "1234").unwrap().0;
    let pos = kassa
        .list_pos_devices(&manager, None, false)
        .unwrap()
        .into_iter()
        .find(|p| p.name == "Kasse 1")
        .unwrap();
    let sandbox = BackgroundSandbox::start(Ports::Ephemeral).unwrap();
    let world = World {
        _dir: dir,
        path,
        kassa,
        manager,
        sandbox,
        pos_id: pos.id,
        store_id: pos.store_id,
    };
    world.set_account(pos.id, DEMO_API_PASSWORD);
    world
}

impl World {
    fn emulator(&self) -> &kassa_sandbox::RunningEmulator {
        self.sandbox
            .sandbox()
            .emulator(kassa_sandbox::Provider::VenueManager)
    }

    /// Points `pos_id`'s Venue Manager account at the emulator, with `password`.
    fn set_account(&self, pos_id: i64, password: &str) {
        let mut input = ProviderAccountInput {
            base_url: self.emulator().base_url(),
            ..Default::default()
        };
        for (key, value) in DEMO_SETTINGS {
            if *key == "api_password" {
                input.secrets.insert((*key).to_owned(), password.to_owned());
            } else {
                input.values.insert((*key).to_owned(), (*value).to_owned());
            }
        }
        self.kassa
            .set_provider_account(&self.manager, pos_id, Provider::VenueManager, input)
            .unwrap();
    }

    /// Adds (or replaces, by id) a product in the shop, through the emulator's control route.
    fn add_product(&self, product: serde_json::Value) {
        let url = format!("{}/_sandbox/products", self.emulator().origin());
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let status = runtime.block_on(async {
            reqwest::Client::new()
                .post(&url)
                .json(&product)
                .send()
                .await
                .unwrap()
                .status()
        });
        assert!(status.is_success(), "adding {product}: {status}");
    }

    fn fault(&self, path: &str, fault: Fault) {
        self.emulator().harness().add_fault(FaultRule {
            method: Some("GET".into()),
            path: path.into(),
            fault,
            times: None,
        });
    }
}

/// The catalog tables, row by row, for comparing before and after.
fn catalog_dump(path: &Path) -> Vec<String> {
    let conn = Connection::open(path).unwrap();
    let mut out = Vec::new();
    for table in ["products", "product_barcodes", "product_prices", "categories"] {
        let mut stmt = conn
            .prepare(&format!("SELECT * FROM {table} ORDER BY 1, 2"))
            .unwrap();
        let n = stmt.column_count();
        let mut rows = stmt.query([]).unwrap();
        while let Some(row) = rows.next().unwrap() {
            out.push(format!(
                "{table}: {}",
                (0..n)
                    .map(|i| format!("{:?}", row.get_ref(i).unwrap()))
                    .collect::<Vec<_>>()
                    .join("|")
            ));
        }
    }
    out
}

#[test]
fn the_shops_catalog_is_previewed_then_imported_whole() {
    let w = world();
    let before = catalog_dump(&w.path);
    let preview = w
        .kassa
        .preview_venue_manager_import(&w.manager, w.pos_id)
        .unwrap();
    assert!(preview.rejected.is_empty(), "{:?}", preview.rejected);
    let skus: Vec<&str> = preview.rows.iter().map(|r| r.sku.as_str()).collect();
    // The seeded shop: two labelled products and "Kampprogram", which has no label.
    assert_eq!(skus, ["aarskort2019", "billet-voksen", "vm-52"]);
    let first = &preview.rows[0];
    assert_eq!(
        (
            first.line,
            first.name.as_str(),
            first.price.as_str(),
            first.currency.as_str()
        ),
        (1, "Årskort 2019", "685.00", "DKK")
    );
    assert_eq!(first.store_name, "København Nørreport");
    // 137 / (685 − 137) = 25 %, Denmark's standard rate.
    assert_eq!(first.vat_category, VatCategory::Standard);
    assert!(preview.rows.iter().all(|r| !r.existing));
    assert_eq!(preview.new_categories, ["Årskort", "Billetter"]);
    assert_eq!(catalog_dump(&w.path), before, "a preview writes nothing");

    let applied = w.kassa.apply_venue_manager_import(&w.manager, w.pos_id).unwrap();
    assert_eq!(applied.rows.len(), 3);
    let found = w.kassa.search_products(&w.manager, "vm-52", false, 10).unwrap();
    assert_eq!(found.len(), 1, "the label-less product is named by its id");
    let product = &found[0];
    assert_eq!(product.product.name, "Kampprogram");
    assert!(product.product.barcodes.is_empty(), "no barcodes are imported");
    assert_eq!(product.prices.len(), 1);
    assert_eq!(product.prices[0].store_id, w.store_id);
    assert_eq!(product.prices[0].price, "20.00");
    let categories: Vec<String> = w
        .kassa
        .list_categories(&w.manager)
        .unwrap()
        .into_iter()
        .map(|c| c.name)
        .collect();
    assert!(categories.contains(&"Årskort".to_owned()), "{categories:?}");
    assert!(categories.contains(&"Billetter".to_owned()), "{categories:?}");
    let audit = w
        .kassa
        .audit_trail(&w.manager, Some("product"), Some(product.product.id), 10)
        .unwrap();
    assert_eq!(audit[0].action, "import_create");
}

#[test]
fn a_rate_the_country_lacks_refuses_the_whole_import() {
    let w = world();
    // 100 / (600 − 100) = 20 %: exact, but not a Danish rate.
    w.add_product(
        json!({"id": 60, "name": "Halstørklæde", "label": "scarf", "priceInclVat": 600, "vat": 100}),
    );
    // 21.29 / (106.45 − 21.29) = 25 %, to the øre.
    w.add_product(json!({"id": 61, "name": "Kop", "label": "kop", "priceInclVat": 106.45, "vat": 21.29}));
    // A name the catalog cannot take.
    w.add_product(json!({"id": 62, "name": "  ", "label": "blank", "priceInclVat": 50, "vat": 10}));
    let before = catalog_dump(&w.path);
    let preview = w
        .kassa
        .preview_venue_manager_import(&w.manager, w.pos_id)
        .unwrap();
    let rejected: Vec<(u32, &str)> = preview
        .rejected
        .iter()
        .map(|r| (r.line, r.message.as_str()))
        .collect();
    assert_eq!(rejected.len(), 2, "{rejected:?}");
    assert_eq!(rejected[0].0, 4);
    assert!(
        rejected[0].1.contains("\"Halstørklæde\" (id 60)")
            && rejected[0]
                .1
                .contains("VAT rate 20 % is not valid here (valid: 25 %, 0 %)")
            && rejected[0].1.contains("København Nørreport"),
        "{rejected:?}"
    );
    assert_eq!(rejected[1].0, 6);
    assert!(
        rejected[1].1.contains("(id 62)") && rejected[1].1.contains("Product name must not be empty"),
        "{rejected:?}"
    );
    assert!(preview.rows.iter().any(|r| r.sku == "kop" && r.price == "106.45"));

    let error = w
        .kassa
        .apply_venue_manager_import(&w.manager, w.pos_id)
        .unwrap_err();
    assert_eq!(error.code(), ErrorCode::Validation);
    assert!(
        error
            .to_string()
            .starts_with("2 row(s) rejected, nothing imported; first: product 4: product \"Halstørklæde\""),
        "{error}"
    );
    assert_eq!(catalog_dump(&w.path), before, "nothing is written");
}

#[test]
fn more_decimals_than_the_currency_is_refused_by_name() {
    let w = world();
    w.add_product(json!({"id": 70, "name": "Pin", "label": "pin", "priceInclVat": 12.505, "vat": 2.501}));
    let error = w
        .kassa
        .preview_venue_manager_import(&w.manager, w.pos_id)
        .unwrap_err();
    // The client refuses the whole answer: an amount a currency cannot hold is no price.
    assert_eq!(error.code(), ErrorCode::ProviderFailed);
    assert!(error.to_string().contains("product 70"), "{error}");
    assert!(error.to_string().contains("nothing was imported"), "{error}");
}

#[test]
fn a_re_import_updates_the_products_it_made() {
    let w = world();
    w.kassa.apply_venue_manager_import(&w.manager, w.pos_id).unwrap();
    let year_card = w
        .kassa
        .search_products(&w.manager, "aarskort2019", false, 10)
        .unwrap()
        .remove(0);
    // A manager files it in a category and gives it a code; the shop raises the price.
    let mut input = kassa_app::ProductInput {
        sku: year_card.product.sku.clone(),
        name: year_card.product.name.clone(),
        category: Some("Sæsonkort".into()),
        vat_category: year_card.product.vat_category,
        unit: year_card.product.unit,
        active: true,
        barcodes: vec!["5701234567899".into()],
        prices: year_card.prices.clone(),
    };
    input.prices[0].currency = String::new();
    w.kassa
        .save_product(&w.manager, Some(year_card.product.id), &input)
        .unwrap();
    w.add_product(
        json!({"id": 3, "name": "Årskort 2020", "label": "aarskort2019", "priceInclVat": 750, "vat": 150}),
    );

    let preview = w
        .kassa
        .preview_venue_manager_import(&w.manager, w.pos_id)
        .unwrap();
    assert!(preview.rows.iter().all(|r| r.existing), "{:?}", preview.rows);
    assert!(preview.new_categories.is_empty(), "{:?}", preview.new_categories);
    w.kassa.apply_venue_manager_import(&w.manager, w.pos_id).unwrap();
    let all = w.kassa.search_products(&w.manager, "", true, 500).unwrap();
    let cards: Vec<_> = all.iter().filter(|p| p.product.sku == "aarskort2019").collect();
    assert_eq!(cards.len(), 1, "updated, not duplicated");
    let card = cards[0];
    assert_eq!(card.product.id, year_card.product.id);
    assert_eq!(card.product.name, "Årskort 2020");
    assert_eq!(card.prices[0].price, "750.00");
    assert_eq!(card.product.barcodes, ["5701234567899"], "local codes stay");
    assert_eq!(
        card.product.category_name.as_deref(),
        Some("Sæsonkort"),
        "the local category stays"
    );
    let audit = w
        .kassa
        .audit_trail(&w.manager, Some("product"), Some(card.product.id), 10)
        .unwrap();
    assert_eq!(audit[0].action, "import_update");
}

#[test]
fn wrong_credentials_are_refused_before_anything_is_read() {
    let w = world();
    w.set_account(w.pos_id, "not-the-password");
    let before = catalog_dump(&w.path);
    let error = w
        .kassa
        .apply_venue_manager_import(&w.manager, w.pos_id)
        .unwrap_err();
    assert_eq!(error.code(), ErrorCode::ProviderFailed);
    let text = error.to_string();
    assert!(text.contains("checking the API user"), "{text}");
    assert!(text.contains("does not accept the API user"), "{text}");
    assert!(!text.contains("not-the-password"), "{text}");
    assert_eq!(catalog_dump(&w.path), before);
    let catalog_reads = w
        .emulator()
        .harness()
        .log()
        .into_iter()
        .filter(|entry| entry.kind == "request" && entry.what.contains("/catalog/"))
        .count();
    assert_eq!(
        catalog_reads, 0,
        "the catalog is not read with a rejected account"
    );
}

#[test]
fn server_errors_and_malformed_answers_import_nothing() {
    let w = world();
    let before = catalog_dump(&w.path);
    w.fault(
        "/api/core/catalog/products/",
        Fault::Status {
            status: 503,
            after_commit: false,
        },
    );
    let error = w
        .kassa
        .apply_venue_manager_import(&w.manager, w.pos_id)
        .unwrap_err();
    assert_eq!(error.code(), ErrorCode::ProviderFailed);
    assert!(error.to_string().contains("reading the products"), "{error}");
    assert!(error.to_string().contains("503"), "{error}");
    w.emulator().harness().clear_faults();

    w.fault(
        "/api/core/catalog/categories",
        Fault::Body {
            text: "<html>proxy error</html>".into(),
        },
    );
    let error = w
        .kassa
        .apply_venue_manager_import(&w.manager, w.pos_id)
        .unwrap_err();
    assert_eq!(error.code(), ErrorCode::ProviderFailed);
    assert!(error.to_string().contains("reading the categories"), "{error}");
    w.emulator().harness().clear_faults();

    w.fault("/api/core/catalog/products/", Fault::Truncate);
    let error = w
        .kassa
        .apply_venue_manager_import(&w.manager, w.pos_id)
        .unwrap_err();
    assert_eq!(error.code(), ErrorCode::ProviderFailed);
    assert_eq!(catalog_dump(&w.path), before);
}

#[test]
fn a_store_in_another_currency_is_refused_per_product() {
    let w = world();
    // Till 1 is in Malmö C (SE, SEK); the shop sells in DKK.
    let till = w
        .kassa
        .list_pos_devices(&w.manager, None, false)
        .unwrap()
        .into_iter()
        .find(|p| p.name == "Till 1")
        .unwrap();
    w.set_account(till.id, DEMO_API_PASSWORD);
    let preview = w.kassa.preview_venue_manager_import(&w.manager, till.id).unwrap();
    assert_eq!(preview.rejected.len(), 3, "{:?}", preview.rejected);
    assert!(
        preview.rejected[0]
            .message
            .contains("the price is in DKK, but store 'Malmö C' sells in SEK"),
        "{:?}",
        preview.rejected
    );
}

#[test]
fn only_managers_import_and_an_unset_account_is_named() {
    let w = world();
    let cashier = w.kassa.login("cashier", "2222").unwrap().0;
    assert_eq!(
        w.kassa
            .preview_venue_manager_import(&cashier, w.pos_id)
            .unwrap_err()
            .code(),
        ErrorCode::Forbidden
    );
    let other = w
        .kassa
        .list_pos_devices(&w.manager, None, false)
        .unwrap()
        .into_iter()
        .find(|p| p.name == "Kasse 2")
        .unwrap();
    let error = w
        .kassa
        .preview_venue_manager_import(&w.manager, other.id)
        .unwrap_err();
    assert_eq!(error.code(), ErrorCode::NotFound);
    assert!(
        error.to_string().contains("Venue Manager is not set up"),
        "{error}"
    );
}
