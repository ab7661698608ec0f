//! Refund scenarios against a real SQLite file: what a declined or cancelled card refund
//! leaves behind (and that the shift still closes), receipts of another currency or
//! another store, and VAT credited over several partial refunds.

mod common;

use std::path::PathBuf;

use common::{Product, demo_till};
use kassa_app::{
    Actor, AppError, DeviceType, ErrorCode, Kassa, ManagerApproval, Place, PosDeviceInput, ProductInput,
    RefundInput, RefundLineInput, SaleStatus, SaleView, StoreInput, StorePrice, TenderMethod, TenderStatus,
    VatCategory,
};
use rusqlite::Connection;

/// 100.00 SEK at 25 %: paid 50 in cash and 50 by card.
const HUNDRED: &str = "T-HUNDRA";
/// 33.34 SEK at 25 %: three of them charge 20.00 VAT (100.02 × 25/125 = 20.004).
const THIRD: &str = "T-TREDJE";

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
            Product::each(THIRD, "Tredjedel", "", "33.34", VatCategory::Standard),
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

    fn pending(view: &SaleView) -> i64 {
        view.tenders
            .iter()
            .find(|t| t.status == TenderStatus::Pending)
            .unwrap_or_else(|| panic!("no pending tender: {view:?}"))
            .id
    }

    /// 100.00 paid 50 in cash, then 50 by card (approved).
    fn split_sale(&self) -> SaleView {
        let id = self.kassa.add_item(&self.cashier, HUNDRED, None).unwrap().id;
        let part = self.kassa.pay_cash(&self.cashier, id, "50").unwrap();
        assert_eq!(part.status, SaleStatus::Open);
        let paying = self.kassa.start_card_payment(&self.cashier, id, None).unwrap();
        let done = self
            .kassa
            .confirm_card_payment(&self.cashier, Self::pending(&paying), true)
            .unwrap();
        assert_eq!(done.status, SaleStatus::Completed);
        done
    }

    fn card_sale(&self) -> SaleView {
        let id = self.kassa.add_item(&self.cashier, HUNDRED, None).unwrap().id;
        let paying = self.kassa.start_card_payment(&self.cashier, id, None).unwrap();
        self.kassa
            .confirm_card_payment(&self.cashier, Self::pending(&paying), true)
            .unwrap()
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

    fn cash_expected(&self) -> String {
        self.kassa.x_report(&self.cashier).unwrap().cash_expected
    }

    fn close_balanced(&self) {
        let expected = self.cash_expected();
        let z = self.kassa.close_shift(&self.cashier, &expected).unwrap();
        assert_eq!(z.cash_difference.as_deref(), Some("0.00"));
        let report = self.kassa.verify_journal(&self.manager).unwrap();
        assert!(report.ok, "{report:?}");
    }
}

#[test]
fn a_declined_card_refund_keeps_the_cash_it_gave_back_counted_and_the_shift_still_closes() {
    let t = Till::new();
    let sale = t.split_sale();
    assert_eq!(t.cash_expected(), "550.00");

    let credit = t.refund_all(&sale).unwrap();
    assert_eq!(credit.status, SaleStatus::Paying);
    let declined = t
        .kassa
        .confirm_card_payment(&t.cashier, Till::pending(&credit), false)
        .unwrap();
    // The refund waits for the card part; the 50 in cash it handed back stays handed back.
    assert_eq!(declined.status, SaleStatus::Open);
    assert_eq!(declined.paid, "-50.00");
    assert_eq!(
        declined.receipt_no, None,
        "no credit note until all is given back"
    );
    assert_eq!(t.cash_expected(), "500.00");
    assert!(
        t.kassa.current_sale(&t.cashier).unwrap().is_none(),
        "a waiting refund is not the till's current sale"
    );
    refused(
        t.kassa.set_customer_ref(&t.cashier, credit.id, Some("x")),
        ErrorCode::Conflict,
        &["cannot be changed"],
    );

    // Nothing of the sale is left to refund: another refund is refused and changes nothing.
    let before = t.dump();
    refused(
        t.refund_all(&sale),
        ErrorCode::Validation,
        &["at most 0 can be refunded (1 sold, 1 already refunded)"],
    );
    assert_eq!(t.dump(), before, "a refused refund changed the database");
    let left = t
        .kassa
        .find_receipt_for_refund(&t.cashier, sale.receipt_code.as_deref().unwrap())
        .unwrap();
    let tenders: Vec<(TenderMethod, &str)> = left
        .tenders
        .iter()
        .map(|x| (x.method, x.refundable.as_str()))
        .collect();
    assert_eq!(
        tenders,
        [(TenderMethod::Cash, "0.00"), (TenderMethod::ExternalCard, "0.00")],
        "the card part still owed is held for the waiting refund"
    );

    // The shift cannot close over a refund still owing money, and says what to do.
    let before = t.dump();
    refused(
        t.kassa.close_shift(&t.cashier, "500"),
        ErrorCode::Conflict,
        &[&format!("refund {}", credit.id), "card"],
    );
    assert_eq!(t.dump(), before);
    // Nor can the refund be voided: its cash went out of the drawer.
    refused(
        t.kassa.void_sale(&t.cashier, credit.id, None),
        ErrorCode::Conflict,
        &["50.00 SEK", "Retry its card part", "in cash"],
    );
    assert_eq!(t.dump(), before);

    // The card part is retried, cancelled at the terminal, and finally given in cash with
    // a manager's approval.
    let retry = t.kassa.retry_card_refund(&t.cashier, credit.id).unwrap();
    assert_eq!(retry.status, SaleStatus::Paying);
    let cancelled = t
        .kassa
        .cancel_card_payment(&t.cashier, Till::pending(&retry))
        .unwrap();
    assert_eq!(cancelled.status, SaleStatus::Open);
    let wrong = ManagerApproval {
        name: "cashier".into(),
        pin: "2222".into(),
    };
    refused(
        t.kassa.refund_rest_in_cash(&t.cashier, credit.id, &wrong),
        ErrorCode::Forbidden,
        &["manager"],
    );
    let done = t
        .kassa
        .refund_rest_in_cash(&t.cashier, credit.id, &manager())
        .unwrap();
    assert_eq!(done.status, SaleStatus::Completed);
    assert_eq!(done.paid, "-100.00");
    assert!(done.receipt_no.is_some());
    let cash_back: Vec<(TenderMethod, &str, TenderStatus)> = done
        .tenders
        .iter()
        .map(|x| (x.method, x.amount.as_str(), x.status))
        .collect();
    assert_eq!(
        cash_back,
        [
            (TenderMethod::ExternalCard, "-50.00", TenderStatus::Declined),
            (TenderMethod::Cash, "-50.00", TenderStatus::Approved),
            (TenderMethod::ExternalCard, "-50.00", TenderStatus::Cancelled),
            (TenderMethod::Cash, "-50.00", TenderStatus::Approved),
        ]
    );
    assert_eq!(t.cash_expected(), "450.00");
    refused(t.refund_all(&sale), ErrorCode::Validation, &["at most 0"]);
    t.close_balanced();
}

#[test]
fn a_retried_card_refund_completes_the_credit_note() {
    let t = Till::new();
    let sale = t.split_sale();
    let credit = t.refund_all(&sale).unwrap();
    let open = t
        .kassa
        .confirm_card_payment(&t.cashier, Till::pending(&credit), false)
        .unwrap();
    assert_eq!(open.status, SaleStatus::Open);
    // Only a refund waiting for its card part can be retried or paid in cash.
    refused(
        t.kassa.retry_card_refund(&t.cashier, sale.id),
        ErrorCode::Conflict,
        &[],
    );
    let retry = t.kassa.retry_card_refund(&t.cashier, credit.id).unwrap();
    refused(
        t.kassa.retry_card_refund(&t.cashier, credit.id),
        ErrorCode::Conflict,
        &["paying"],
    );
    let done = t
        .kassa
        .confirm_card_payment(&t.cashier, Till::pending(&retry), true)
        .unwrap();
    assert_eq!(done.status, SaleStatus::Completed);
    assert_eq!(done.paid, "-100.00");
    refused(
        t.kassa.refund_rest_in_cash(&t.cashier, credit.id, &manager()),
        ErrorCode::Conflict,
        &["completed"],
    );
    assert_eq!(t.cash_expected(), "500.00");
    t.close_balanced();
}

#[test]
fn a_card_refund_that_gave_nothing_back_can_be_voided_and_frees_its_lines() {
    let t = Till::new();
    let sale = t.card_sale();
    let credit = t.refund_all(&sale).unwrap();
    let open = t
        .kassa
        .confirm_card_payment(&t.cashier, Till::pending(&credit), false)
        .unwrap();
    assert_eq!((open.status, open.paid.as_str()), (SaleStatus::Open, "0.00"));
    refused(t.refund_all(&sale), ErrorCode::Validation, &["at most 0"]);
    let voided = t.kassa.void_sale(&t.cashier, credit.id, None).unwrap();
    assert_eq!(voided.status, SaleStatus::Voided);
    // Nothing was handed back, so the sale can be refunded again.
    let again = t.refund_all(&sale).unwrap();
    let done = t
        .kassa
        .confirm_card_payment(&t.cashier, Till::pending(&again), true)
        .unwrap();
    assert_eq!(done.status, SaleStatus::Completed);
    t.close_balanced();
}

#[test]
fn a_declined_post_void_leaves_the_sale_standing_until_it_is_settled() {
    let t = Till::new();
    let sale = t.card_sale();
    let reversal = t
        .kassa
        .post_void_last_sale(&t.cashier, &manager(), "wrong item")
        .unwrap();
    assert_eq!(reversal.status, SaleStatus::Paying);
    let open = t
        .kassa
        .confirm_card_payment(&t.cashier, Till::pending(&reversal), false)
        .unwrap();
    assert_eq!(open.status, SaleStatus::Open);
    assert_eq!(
        t.kassa.sale(&t.cashier, sale.id).unwrap().status,
        SaleStatus::Completed,
        "a post-void that gave nothing back has not voided the sale"
    );
    refused(
        t.kassa.post_void_last_sale(&t.cashier, &manager(), "again"),
        ErrorCode::Conflict,
        &[],
    );
    refused(
        t.kassa.close_shift(&t.cashier, "500"),
        ErrorCode::Conflict,
        &[&format!("refund {}", reversal.id)],
    );
    let voided = t.kassa.void_sale(&t.cashier, reversal.id, None).unwrap();
    assert_eq!(voided.status, SaleStatus::Voided);
    assert_eq!(
        t.kassa.sale(&t.cashier, sale.id).unwrap().status,
        SaleStatus::Completed
    );
    // A new post-void goes through once the card takes it.
    let reversal = t
        .kassa
        .post_void_last_sale(&t.cashier, &manager(), "wrong item")
        .unwrap();
    t.kassa
        .confirm_card_payment(&t.cashier, Till::pending(&reversal), true)
        .unwrap();
    assert_eq!(
        t.kassa.sale(&t.cashier, sale.id).unwrap().status,
        SaleStatus::PostVoided
    );
    t.close_balanced();
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

#[test]
fn partial_refunds_of_one_line_never_credit_more_vat_than_was_charged() {
    let t = Till::new();
    let id = t.kassa.add_item(&t.cashier, THIRD, Some("3")).unwrap().id;
    let sale = t.kassa.pay_cash(&t.cashier, id, "101").unwrap();
    assert_eq!(sale.status, SaleStatus::Completed);
    assert_eq!(sale.total, "100.02");
    assert_eq!(sale.vat[0].vat, "20.00");
    let mut credited = Vec::new();
    for _ in 0..3 {
        let credit = t
            .kassa
            .refund(
                &t.cashier,
                &RefundInput {
                    receipt: sale.receipt_code.clone().unwrap(),
                    lines: vec![RefundLineInput {
                        line_id: sale.lines[0].id,
                        quantity: "1".into(),
                    }],
                    reason: None,
                    approval: manager(),
                },
            )
            .unwrap();
        assert_eq!(credit.status, SaleStatus::Completed);
        assert_eq!(credit.total, "-33.34");
        credited.push(credit.vat[0].vat.clone());
    }
    // 6.67 + 6.67 = 13.34 of the 20.00; the last credit takes the remainder, 6.66.
    assert_eq!(credited, ["-6.67", "-6.67", "-6.66"]);
    let z = t.kassa.x_report(&t.cashier).unwrap();
    let vat25 = z.vat.iter().find(|v| v.rate == "25").unwrap();
    assert_eq!(vat25.vat, "0.00", "sold and refunded in full: no VAT is left");
    t.close_balanced();
}

#[test]
fn a_post_void_reaches_only_the_last_sale_of_the_open_shift() {
    let t = Till::new();
    let id = t.kassa.add_item(&t.cashier, HUNDRED, None).unwrap().id;
    let sale = t.kassa.pay_cash(&t.cashier, id, "100").unwrap();
    assert_eq!(sale.status, SaleStatus::Completed);
    t.close_balanced();
    t.kassa.open_shift(&t.cashier, "600").unwrap();
    let before = t.dump();
    refused(
        t.kassa.post_void_last_sale(&t.cashier, &manager(), "wrong item"),
        ErrorCode::Conflict,
        &["earlier shift", "refund it instead"],
    );
    assert_eq!(t.dump(), before, "a refused post-void changed the database");
    // A refund (a credit note of this shift) still corrects it.
    let credit = t.refund_all(&sale).unwrap();
    assert_eq!(credit.status, SaleStatus::Completed);
    t.close_balanced();
}
