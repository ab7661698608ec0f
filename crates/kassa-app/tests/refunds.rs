//! Refund scenarios against a real SQLite file: receipts of another currency or another
//! store.

mod common;

use std::path::PathBuf;

use common::{Product, demo_till};
use kassa_app::{
    Actor, AppError, DeviceType, ErrorCode, Kassa, ManagerApproval, Place, PosDeviceInput, ProductInput,
    RefundInput, RefundLineInput, SaleStatus, SaleView, StoreInput, StorePrice, VatCategory,
};
use rusqlite::Connection;

/// 100.00 SEK at 25 %.
const HUNDRED: &str = "T-HUNDRA";

struct Till {
    _dir: tempfile::TempDir,
    path: PathBuf,
    kassa: Kassa,
    manager: Actor,
    cashier: Actor,
}

fn manager() -> ManagerApproval {
    ManagerApproval {
        name: "manager".into(),
        pin: "1234".into(),
    }
}

#[track_caller]
fn refused<T: std::fmt::Debug>(result: Result<T, AppError>, code: ErrorCode, needles: &[&str]) {
    let err = result.expect_err("should be refused");
    assert_eq!(err.code(), code, "{err}");
    for needle in needles {
        assert!(
            err.to_string().contains(needle),
            "{:?} should contain {needle:?}",
            err.to_string()
        );
    }
}

impl Till {
    fn new() -> Till {
        let t = demo_till(&[
            Product::each(HUNDRED, "Termos", "", "100.00", VatCategory::Standard),
        ]);
        Till {
            _dir: t.dir,
            path: t.path,
            kassa: t.kassa,
            manager: t.manager,
            cashier: t.cashier,
        }
    }

    fn dump(&self) -> Vec<String> {
        let conn = Connection::open(&self.path).unwrap();
        let mut out = Vec::new();
        for table in [
            "sales",
            "sale_lines",
            "tenders",
            "journal",
            "outbox",
            "receipt_counters",
        ] {
            let mut stmt = conn
                .prepare(&format!("SELECT * FROM {table} ORDER BY 1"))
                .unwrap();
            let n = stmt.column_count();
            let mut rows = stmt.query([]).unwrap();
            while let Some(r) = rows.next().unwrap() {
                let cells: Vec<String> = (0..n).map(|i| format!("{:?}", r.get_ref(i).unwrap())).collect();
                out.push(format!("{table}: {}", cells.join("|")));
            }
        }
        out
    }

    fn refund_all(&self, sale: &SaleView) -> Result<SaleView, AppError> {
        self.kassa.refund(
            &self.cashier,
            &RefundInput {
                receipt: sale.receipt_code.clone().unwrap(),
                lines: sale
                    .lines
                    .iter()
                    .map(|l| RefundLineInput {
                        line_id: l.id,
                        quantity: l.quantity.clone(),
                    })
                    .collect(),
                reason: Some("test".into()),
                approval: manager(),
            },
        )
    }

}

#[test]
fn a_receipt_in_another_currency_is_refused() {
    let t = Till::new();
    let conn = Connection::open(&t.path).unwrap();
    // The demo's history has sales at Kasse 1 in København, in DKK.
    let (pos_id, receipt_no): (i64, i64) = conn
        .query_row(
            "SELECT pos_id, receipt_no FROM sales WHERE currency = 'DKK' AND kind = 'sale' \
             AND status = 'completed' ORDER BY id LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    let store_id: i64 = conn
        .query_row("SELECT store_id FROM pos_devices WHERE id = ?1", [pos_id], |r| {
            r.get(0)
        })
        .unwrap();
    let code = kassa_core::receipt::ReceiptCode {
        store_id: store_id as u32,
        pos_id: pos_id as u32,
        number: receipt_no as u64,
    }
    .encode();
    refused(
        t.kassa.find_receipt_for_refund(&t.cashier, &code),
        ErrorCode::CurrencyMismatch,
        &["DKK", "SEK"],
    );
    let line: i64 = conn
        .query_row(
            "SELECT l.id FROM sale_lines l JOIN sales s ON s.id = l.sale_id \
             WHERE s.pos_id = ?1 AND s.receipt_no = ?2 ORDER BY l.id LIMIT 1",
            [pos_id, receipt_no],
            |r| r.get(0),
        )
        .unwrap();
    let before = t.dump();
    refused(
        t.kassa.refund(
            &t.cashier,
            &RefundInput {
                receipt: code,
                lines: vec![RefundLineInput {
                    line_id: line,
                    quantity: "1".into(),
                }],
                reason: None,
                approval: manager(),
            },
        ),
        ErrorCode::CurrencyMismatch,
        &["DKK", "this till's drawer holds SEK"],
    );
    assert_eq!(t.dump(), before, "a refused refund changed the database");
}

#[test]
fn a_receipt_of_another_store_of_the_brand_is_refused() {
    let t = Till::new();
    let brand = t.kassa.list_brands(&t.manager).unwrap()[0].id;
    let lund = t
        .kassa
        .create_store(
            &t.manager,
            &StoreInput {
                brand_id: brand,
                name: "Lund".into(),
                country: "SE".into(),
                address: "Stora Södergatan 1, 222 23 Lund".into(),
                place: Place::Real,
                latitude: None,
                longitude: None,
                currency: "SEK".into(),
                time_zone: "Europe/Stockholm".into(),
                vat_number: Some("SE556677889901".into()),
            },
        )
        .unwrap();
    let pos = t
        .kassa
        .create_pos_device(
            &t.manager,
            &PosDeviceInput {
                store_id: lund.id,
                name: "Lund 1".into(),
                device_type: DeviceType::Till,
                external_ids: vec![],
                terminal: None,
                printer: None,
            },
        )
        .unwrap();
    t.kassa
        .save_product(
            &t.manager,
            None,
            &ProductInput {
                sku: "T-LUND".into(),
                name: "Lundabulle".into(),
                category: None,
                vat_category: VatCategory::Reduced,
                unit: kassa_app::SaleUnit::Each,
                active: true,
                barcodes: vec![],
                prices: vec![StorePrice {
                    store_id: lund.id,
                    price: "30.00".into(),
                    currency: String::new(),
                }],
            },
        )
        .unwrap();
    let malmo = t
        .kassa
        .status(Some(&t.manager))
        .unwrap()
        .bound_device
        .unwrap()
        .pos_id;
    t.kassa.bind_installation(&t.manager, pos.id).unwrap();
    t.kassa.open_shift(&t.cashier, "100").unwrap();
    let id = t.kassa.add_item(&t.cashier, "T-LUND", None).unwrap().id;
    let sold = t.kassa.pay_cash(&t.cashier, id, "30").unwrap();
    assert_eq!(sold.status, SaleStatus::Completed);
    t.kassa.bind_installation(&t.manager, malmo).unwrap();

    let code = sold.receipt_code.clone().unwrap();
    refused(
        t.kassa.find_receipt_for_refund(&t.cashier, &code),
        ErrorCode::OtherStore,
        &["Lund", "Malmö C"],
    );
    let before = t.dump();
    refused(
        t.refund_all(&sold),
        ErrorCode::OtherStore,
        &["Lund", "refund it in the store that sold it"],
    );
    assert_eq!(t.dump(), before);
}
