//! Selling at the till against real SQLite files: carts, tenders, receipts, refunds,
//! voids, shifts with X/Z reports and the journal.

mod common;

use std::path::PathBuf;
use std::sync::Arc;

use common::{DemoTill, Product, demo_till};
use kassa_app::{
    Actor, AppError, CashMovementKind, DiscountInput, ErrorCode, Kassa, ManagerApproval, ManualClock,
    RefundInput, RefundLineInput, SaleStatus, SaleUnit, TenderStatus, VatCategory,
};
use rusqlite::Connection;

struct Till {
    _dir: tempfile::TempDir,
    path: PathBuf,
    clock: Arc<ManualClock>,
    kassa: Kassa,
    cashier: Actor,
    /// The demo has days of history: the receipt number the first sale here gets, the
    /// journal's length and the Z report count before the test does anything.
    next_no: i64,
    journal_len: i64,
    z_count: i64,
}

const COFFEE: &str = "7310865004703";
const BUN: &str = "4006381333931";

fn manager_approval() -> ManagerApproval {
    ManagerApproval {
        name: "manager".into(),
        pin: "1234".into(),
    }
}

impl Till {
    /// The demo database with a small catalog, bound to Till 1 in Malmö C, shift open.
    fn new() -> Till {
        let DemoTill {
            dir,
            path,
            clock,
            kassa,
            cashier,
            ..
        } = demo_till(&[
            Product::each("T-KAFFE", "Kaffe", COFFEE, "24.90", VatCategory::Reduced),
            Product::each("T-BULLE", "Kanelbulle", BUN, "32.50", VatCategory::Reduced),
            Product::each("T-KOPP", "Kaffekopp", "", "149.00", VatCategory::Standard),
            Product {
                unit: SaleUnit::Kg,
                ..Product::each("T-OST", "Ost", "2300001", "289.00", VatCategory::Reduced)
            },
        ]);
        let conn = Connection::open(&path).unwrap();
        let one = |sql: &str| conn.query_row(sql, [], |r| r.get::<_, i64>(0)).unwrap();
        let next_no = one(
            "SELECT coalesce(max(last_no), 0) + 1 FROM receipt_counters WHERE pos_id = \
             (SELECT CAST(value AS INTEGER) FROM settings WHERE key = 'bound_pos_id')",
        );
        let journal_len = one("SELECT count(*) FROM journal");
        let z_count = one("SELECT count(*) FROM z_reports");
        drop(conn);
        Till {
            _dir: dir,
            path,
            clock,
            kassa,
            cashier,
            next_no,
            journal_len,
            z_count,
        }
    }

    fn count(&self, sql: &str) -> i64 {
        Connection::open(&self.path)
            .unwrap()
            .query_row(sql, [], |r| r.get(0))
            .unwrap()
    }

    fn rows(&self, table: &str) -> Vec<String> {
        let conn = Connection::open(&self.path).unwrap();
        let mut stmt = conn
            .prepare(&format!("SELECT * FROM {table} ORDER BY 1"))
            .unwrap();
        let n = stmt.column_count();
        let mut q = stmt.query([]).unwrap();
        let mut out = Vec::new();
        while let Some(r) = q.next().unwrap() {
            out.push(
                (0..n)
                    .map(|i| format!("{:?}", r.get_ref(i).unwrap()))
                    .collect::<Vec<_>>()
                    .join("|"),
            );
        }
        out
    }

    fn sales_snapshot(&self) -> Vec<String> {
        ["sales", "sale_lines", "tenders", "journal", "receipt_counters"]
            .iter()
            .flat_map(|t| self.rows(t))
            .collect()
    }

    /// Rings up coffee ×2 and a bun; returns the sale id.
    fn ring_up(&self) -> i64 {
        self.kassa.add_item(&self.cashier, COFFEE, None).unwrap();
        self.kassa.add_item(&self.cashier, COFFEE, None).unwrap();
        self.kassa.add_item(&self.cashier, "T-BULLE", None).unwrap().id
    }
}

#[track_caller]
fn refused<T: std::fmt::Debug>(result: Result<T, AppError>, code: ErrorCode, needle: &str) -> String {
    let err = result.expect_err("should be refused");
    assert_eq!(err.code(), code, "{err}");
    assert!(
        err.to_string().contains(needle),
        "{:?} should contain {needle:?}",
        err.to_string()
    );
    err.to_string()
}

#[test]
fn a_cash_sale_completes_with_change_rounding_receipt_journal_and_outbox() {
    let t = Till::new();
    let id = t.ring_up();
    let sale = t.kassa.current_sale(&t.cashier).unwrap().unwrap();
    assert_eq!(sale.id, id);
    assert_eq!(sale.lines.len(), 2, "the second coffee adds to its line");
    assert_eq!(sale.lines[0].quantity, "2");
    assert_eq!(sale.total, "82.30");
    assert_eq!(sale.vat.len(), 1);
    assert_eq!(
        (sale.vat[0].rate.as_str(), sale.vat[0].vat.as_str()),
        ("12", "8.82")
    );
    assert_eq!(sale.cash_due, "82.00", "SEK cash rounds to whole kronor");

    let done = t.kassa.pay_cash(&t.cashier, id, "100").unwrap();
    assert_eq!(done.status, SaleStatus::Completed);
    assert_eq!(done.receipt_no, Some(t.next_no));
    assert_eq!(done.change, "18.00");
    assert_eq!(done.rounding, "-0.30");
    assert!(done.receipt_code.as_deref().unwrap().starts_with("KR"));
    assert_eq!(
        t.count("SELECT count(*) FROM journal"),
        t.journal_len + 1,
        "one journal record for the sale"
    );
    let outbox_last: String = Connection::open(&t.path)
        .unwrap()
        .query_row("SELECT payload FROM outbox ORDER BY id DESC LIMIT 1", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert!(
        outbox_last.contains(done.receipt_code.as_deref().unwrap()),
        "{outbox_last}"
    );
    let report = t.kassa.verify_journal(&t.cashier).unwrap();
    assert!(report.ok, "{report:?}");

    let text = t.kassa.receipt_preview(&t.cashier, id, 42).unwrap().text;
    assert!(text.contains("Kanelbulle") && text.contains("82"), "{text}");
    assert!(text.lines().all(|l| l.chars().count() <= 42), "{text}");
}

#[test]
fn bad_codes_change_nothing() {
    let t = Till::new();
    let id = t.ring_up();
    let before = t.sales_snapshot();
    refused(
        t.kassa.add_item(&t.cashier, "7310865004704", None),
        ErrorCode::Validation,
        "check digit",
    );
    refused(
        t.kassa.add_item(&t.cashier, "5901234123457", None),
        ErrorCode::UnknownProduct,
        "5901234123457",
    );
    refused(
        t.kassa.add_item(&t.cashier, "NO-SUCH-SKU", None),
        ErrorCode::UnknownProduct,
        "NO-SUCH-SKU",
    );
    refused(
        t.kassa.add_item(&t.cashier, COFFEE, Some("-1")),
        ErrorCode::Validation,
        "more than zero",
    );
    refused(
        t.kassa.add_item(&t.cashier, COFFEE, Some("1.5")),
        ErrorCode::Validation,
        "whole number",
    );
    let line = t.kassa.current_sale(&t.cashier).unwrap().unwrap().lines[0].id;
    refused(
        t.kassa.set_line_quantity(&t.cashier, id, line, "-2"),
        ErrorCode::Validation,
        "refund",
    );
    assert_eq!(t.sales_snapshot(), before);
}

#[test]
fn variable_weight_codes_price_by_weight() {
    let t = Till::new();
    // 23 00001 00532 + check digit: 0.532 kg of cheese at 289.00/kg.
    let base = "230000100532";
    let code = format!("{base}{}", kassa_core::barcode::gtin_check_digit(base));
    let sale = t.kassa.add_item(&t.cashier, &code, None).unwrap();
    assert_eq!(sale.lines[0].quantity, "0.532");
    assert_eq!(sale.lines[0].total, "153.75");
}

#[test]
fn tenders_must_cover_the_total_and_be_in_the_sale_currency() {
    let t = Till::new();
    let id = t.ring_up();
    let before = t.sales_snapshot();
    refused(
        t.kassa.pay_cash(&t.cashier, id, "10 EUR"),
        ErrorCode::Validation,
        "in SEK",
    );
    refused(
        t.kassa.pay_cash(&t.cashier, id, "abc"),
        ErrorCode::InvalidNumber,
        "not an amount",
    );
    assert_eq!(t.sales_snapshot(), before);

    let partial = t.kassa.pay_cash(&t.cashier, id, "50").unwrap();
    assert_eq!(partial.status, SaleStatus::Open);
    assert_eq!(partial.remaining, "32.30");
    assert_eq!(
        partial.receipt_no, None,
        "no receipt until the tenders cover the total"
    );
    // A part amount on the card (the till's ⇧F5): above zero, within what is left, in
    // the sale's currency, and an amount at all; anything else changes nothing.
    let before = t.sales_snapshot();
    for (amount, code, needle) in [
        (
            "0",
            ErrorCode::Validation,
            "more than zero and at most the 32.30 SEK still to pay",
        ),
        (
            "-5",
            ErrorCode::Validation,
            "more than zero and at most the 32.30 SEK still to pay",
        ),
        (
            "32.31",
            ErrorCode::Validation,
            "more than zero and at most the 32.30 SEK still to pay",
        ),
        ("10 EUR", ErrorCode::Validation, "a tender in EUR is not accepted"),
        ("ten", ErrorCode::InvalidNumber, "not an amount"),
    ] {
        refused(
            t.kassa.start_card_payment(&t.cashier, id, Some(amount)),
            code,
            needle,
        );
    }
    assert_eq!(t.sales_snapshot(), before);
    let paying = t.kassa.start_card_payment(&t.cashier, id, None).unwrap();
    assert_eq!(paying.status, SaleStatus::Paying);
    let tender = paying
        .tenders
        .iter()
        .find(|t| t.status == TenderStatus::Pending)
        .unwrap()
        .id;
    let declined = t.kassa.confirm_card_payment(&t.cashier, tender, false).unwrap();
    assert_eq!(declined.status, SaleStatus::Open);
    let paying = t.kassa.start_card_payment(&t.cashier, id, Some("32.30")).unwrap();
    let tender = paying
        .tenders
        .iter()
        .find(|t| t.status == TenderStatus::Pending)
        .unwrap()
        .id;
    let done = t.kassa.confirm_card_payment(&t.cashier, tender, true).unwrap();
    assert_eq!(done.status, SaleStatus::Completed);
    assert_eq!(done.paid, "82.30");
    refused(
        t.kassa.confirm_card_payment(&t.cashier, tender, true),
        ErrorCode::Conflict,
        "approved",
    );
}

#[test]
fn cash_between_what_is_left_and_the_rounded_amount_due_is_refused_with_the_due_figure() {
    let t = Till::new();
    t.ring_up();
    let id = t.ring_up();
    let paying = t.kassa.start_card_payment(&t.cashier, id, Some("81.90")).unwrap();
    let card = paying
        .tenders
        .iter()
        .find(|x| x.status == TenderStatus::Pending)
        .unwrap()
        .id;
    let open = t.kassa.confirm_card_payment(&t.cashier, card, true).unwrap();
    assert_eq!(
        (open.remaining.as_str(), open.cash_due.as_str()),
        ("82.70", "83.00")
    );
    let before = t.sales_snapshot();
    for tendered in ["82.80", "82.70", "82.99"] {
        refused(
            t.kassa.pay_cash(&t.cashier, id, tendered),
            ErrorCode::Validation,
            "does not cover the 83.00 SEK due (82.70 SEK left to pay, rounded for cash)",
        );
        assert_eq!(
            t.sales_snapshot(),
            before,
            "a refused tender changed the database"
        );
    }
    // Less than what is left is a part payment; the rest then rounds on its own.
    let part = t.kassa.pay_cash(&t.cashier, id, "80").unwrap();
    assert_eq!(
        (part.status, part.remaining.as_str(), part.cash_due.as_str()),
        (SaleStatus::Open, "2.70", "3.00")
    );
    let done = t.kassa.pay_cash(&t.cashier, id, "5").unwrap();
    assert_eq!(done.status, SaleStatus::Completed);
    assert_eq!((done.rounding.as_str(), done.change.as_str()), ("0.30", "2.00"));
    assert_eq!(done.paid, "164.90");
}

#[test]
fn a_pending_card_payment_comes_back_unknown_after_a_restart_and_is_resolved_once() {
    let t = Till::new();
    let id = t.ring_up();
    let paying = t.kassa.start_card_payment(&t.cashier, id, None).unwrap();
    let tender = paying.tenders[0].id;
    drop(t.kassa);
    // Opening finds the payment its stopped predecessor left pending and marks it unknown.
    let kassa = Kassa::open_with_clock(&t.path, t.clock.clone()).unwrap();
    assert_eq!(kassa.mark_interrupted_payments().unwrap(), 0, "already marked");
    let cashier = kassa.login("cashier", "2222").unwrap().0;
    let current = kassa.current_sale(&cashier).unwrap().unwrap();
    assert_eq!(current.status, SaleStatus::Unknown);
    refused(
        kassa.add_item(&cashier, COFFEE, None),
        ErrorCode::PaymentUnresolved,
        "unknown",
    );
    refused(kassa.close_shift(&cashier, "500"), ErrorCode::Conflict, "unknown");
    refused(
        kassa.confirm_card_payment(&cashier, tender, true),
        ErrorCode::Conflict,
        "unknown",
    );
    // The cashier's word alone does not complete a sale whose card outcome was lost.
    refused(
        kassa.resolve_unknown_payment(&cashier, tender, true, None),
        ErrorCode::ApprovalRequired,
        "a manager must approve",
    );
    let done = kassa
        .resolve_unknown_payment(&cashier, tender, true, Some(&manager_approval()))
        .unwrap();
    assert_eq!(done.status, SaleStatus::Completed);
    refused(
        kassa.resolve_unknown_payment(&cashier, tender, true, Some(&manager_approval())),
        ErrorCode::Conflict,
        "approved",
    );
    assert_eq!(kassa.mark_interrupted_payments().unwrap(), 0);
    kassa.add_item(&cashier, COFFEE, None).unwrap();
}

#[test]
fn discounts_and_a_price_override_need_the_right_people() {
    let t = Till::new();
    let id = t.ring_up();
    let sale = t.kassa.current_sale(&t.cashier).unwrap().unwrap();
    let coffee = sale.lines[0].id;
    // Each discount alone stays under the store's 10 % limit (of 82.30 before discounts).
    let s = t
        .kassa
        .set_line_discount(
            &t.cashier,
            id,
            coffee,
            Some(DiscountInput::Percent("10".into())),
            None,
        )
        .unwrap();
    assert_eq!(s.lines[0].discount_amount, "4.98", "6.05 % of the sale");
    let before = t.sales_snapshot();
    // Stacked with the line discount, 5.00 off the order makes 9.98, 12.13 %: a manager must
    // approve, and until then nothing changes.
    refused(
        t.kassa
            .set_order_discount(&t.cashier, id, Some(DiscountInput::Amount("5".into())), None),
        ErrorCode::ApprovalRequired,
        "12.13 %",
    );
    assert_eq!(t.sales_snapshot(), before);
    let cashier_approval = ManagerApproval {
        name: "cashier".into(),
        pin: "2222".into(),
    };
    refused(
        t.kassa.set_order_discount(
            &t.cashier,
            id,
            Some(DiscountInput::Amount("5".into())),
            Some(&cashier_approval),
        ),
        ErrorCode::Forbidden,
        "only a manager",
    );
    assert_eq!(t.sales_snapshot(), before);
    let s = t
        .kassa
        .set_order_discount(
            &t.cashier,
            id,
            Some(DiscountInput::Amount("5".into())),
            Some(&manager_approval()),
        )
        .unwrap();
    assert_eq!(s.total, "72.32");
    let manager_id = t.count("SELECT id FROM users WHERE name = 'manager'");
    assert_eq!(
        t.count(&format!(
            "SELECT count(*) FROM sales WHERE id = {id} AND discount_approved_by = {manager_id} \
             AND discount_approved_percent = '12.13'"
        )),
        1,
        "the approval is recorded on the sale"
    );
    assert_eq!(
        t.count(&format!(
            "SELECT count(*) FROM audit_log WHERE entity = 'sale' AND entity_id = {id} AND action = 'approve_discount'"
        )),
        1
    );
    refused(
        t.kassa.set_line_discount(
            &t.cashier,
            id,
            coffee,
            Some(DiscountInput::Amount("100".into())),
            None,
        ),
        ErrorCode::Validation,
        "more than",
    );
    // More than the approved share needs approval again.
    refused(
        t.kassa.set_line_discount(
            &t.cashier,
            id,
            coffee,
            Some(DiscountInput::Percent("20".into())),
            None,
        ),
        ErrorCode::ApprovalRequired,
        "over the limit of 10 %",
    );
    refused(
        t.kassa
            .override_price(&t.cashier, id, coffee, "1.00", &cashier_approval),
        ErrorCode::Forbidden,
        "only a manager",
    );
    // The manager approving an override approves the reduction it makes, 22.85 % here (rounded up).
    let s = t
        .kassa
        .override_price(&t.cashier, id, coffee, "20.00", &manager_approval())
        .unwrap();
    assert!(s.lines[0].price_overridden);
    assert_eq!(s.lines[0].unit_price, "20.00");
    assert_eq!(
        t.count(&format!(
            "SELECT count(*) FROM sales WHERE id = {id} AND discount_approved_percent = '22.85'"
        )),
        1
    );
}

#[test]
fn refunds_are_limited_per_line_and_linked_to_the_original() {
    let t = Till::new();
    let id = t.ring_up();
    let sale = t.kassa.pay_cash(&t.cashier, id, "100").unwrap();
    let code = sale.receipt_code.clone().unwrap();
    let found = t.kassa.find_receipt_for_refund(&t.cashier, &code).unwrap();
    let coffee = found.lines.iter().find(|l| l.name == "Kaffe").unwrap().line_id;
    let request = |qty: &str| RefundInput {
        receipt: code.clone(),
        lines: vec![RefundLineInput {
            line_id: coffee,
            quantity: qty.into(),
        }],
        reason: Some("spilt".into()),
        approval: manager_approval(),
    };
    let before = t.sales_snapshot();
    refused(
        t.kassa.refund(&t.cashier, &request("3")),
        ErrorCode::Validation,
        "at most 2 can be refunded",
    );
    let wrong = RefundInput {
        approval: ManagerApproval {
            name: "manager".into(),
            pin: "0000".into(),
        },
        ..request("1")
    };
    refused(
        t.kassa.refund(&t.cashier, &wrong),
        ErrorCode::AuthFailed,
        "wrong user name or PIN for the approval",
    );
    assert_eq!(t.sales_snapshot(), before);

    let credit = t.kassa.refund(&t.cashier, &request("1")).unwrap();
    assert_eq!(credit.status, SaleStatus::Completed);
    assert_eq!(
        credit.receipt_no,
        Some(t.next_no + 1),
        "refunds continue the same receipt series"
    );
    assert_eq!(credit.total, "-24.90");
    assert_eq!(credit.original_receipt_code.as_deref(), Some(code.as_str()));
    let again = t.kassa.refund(&t.cashier, &request("1")).unwrap();
    assert_eq!(again.receipt_no, Some(t.next_no + 2));
    refused(
        t.kassa.refund(&t.cashier, &request("1")),
        ErrorCode::Validation,
        "at most 0 can be refunded (2 sold, 2 already refunded)",
    );
    assert!(t.kassa.verify_journal(&t.cashier).unwrap().ok);
}

#[test]
fn refunding_a_whole_sale_paid_in_rounded_cash_gives_back_the_cash_taken() {
    // 2 × 24.90 + 32.50 = 82.30, paid in cash as 82.00 (SEK cash rounds to whole kronor).
    let t = Till::new();
    let id = t.ring_up();
    let sale = t.kassa.pay_cash(&t.cashier, id, "100").unwrap();
    assert_eq!((sale.total.as_str(), sale.rounding.as_str()), ("82.30", "-0.30"));
    let code = sale.receipt_code.clone().unwrap();
    let found = t.kassa.find_receipt_for_refund(&t.cashier, &code).unwrap();
    let lines = found
        .lines
        .iter()
        .map(|l| RefundLineInput {
            line_id: l.line_id,
            quantity: l.refundable.clone(),
        })
        .collect();
    let credit = t
        .kassa
        .refund(
            &t.cashier,
            &RefundInput {
                receipt: code,
                lines,
                reason: Some("changed mind".into()),
                approval: manager_approval(),
            },
        )
        .expect("everything sold can be refunded, however the cash was rounded");
    assert_eq!(credit.status, SaleStatus::Completed);
    assert_eq!(
        (credit.total.as_str(), credit.rounding.as_str()),
        ("-82.30", "0.30")
    );
    let back: Vec<(&str, TenderStatus)> = credit
        .tenders
        .iter()
        .map(|x| (x.amount.as_str(), x.status))
        .collect();
    assert_eq!(
        back,
        [("-82.00", TenderStatus::Approved)],
        "exactly the cash that was kept"
    );
    assert!(t.kassa.verify_journal(&t.cashier).unwrap().ok);
}

#[test]
fn one_copy_per_receipt_and_one_post_void_of_the_last_sale() {
    let t = Till::new();
    let id = t.ring_up();
    t.kassa.pay_cash(&t.cashier, id, "82").unwrap();
    let text = t.kassa.print_receipt_copy(&t.cashier, id, 32).unwrap().text;
    refused(
        t.kassa.print_receipt_copy(&t.cashier, id, 32),
        ErrorCode::Conflict,
        "already printed",
    );
    assert_eq!(text.matches("KOPIA").count(), 2, "{text}");

    refused(
        t.kassa.post_void_last_sale(&t.cashier, &manager_approval(), " "),
        ErrorCode::Validation,
        "reason",
    );
    let reversal = t
        .kassa
        .post_void_last_sale(&t.cashier, &manager_approval(), "wrong customer")
        .unwrap();
    assert_eq!(reversal.total, "-82.30");
    assert_eq!(
        t.kassa.sale(&t.cashier, id).unwrap().status,
        SaleStatus::PostVoided
    );
    refused(
        t.kassa
            .post_void_last_sale(&t.cashier, &manager_approval(), "again"),
        ErrorCode::Conflict,
        "not a sale",
    );
}

#[test]
fn voids_parking_and_recall() {
    let t = Till::new();
    let id = t.ring_up();
    t.kassa.park_sale(&t.cashier, id).unwrap();
    assert!(t.kassa.current_sale(&t.cashier).unwrap().is_none());
    let other = t.kassa.add_item(&t.cashier, "T-KOPP", None).unwrap().id;
    refused(
        t.kassa.recall_sale(&t.cashier, id),
        ErrorCode::Conflict,
        "still open",
    );
    t.kassa.void_sale(&t.cashier, other, None).unwrap();
    // Parked sales survive a restart.
    let kassa = Kassa::open_with_clock(&t.path, t.clock.clone()).unwrap();
    let cashier = kassa.login("cashier", "2222").unwrap().0;
    assert_eq!(kassa.parked_sales(&cashier).unwrap().len(), 1);
    let back = kassa.recall_sale(&cashier, id).unwrap();
    assert_eq!(back.total, "82.30");
    refused(
        kassa.void_sale(&cashier, other, None),
        ErrorCode::Conflict,
        "voided",
    );
}

#[test]
fn shifts_close_with_a_z_report_that_counts_everything() {
    let t = Till::new();
    refused(
        t.kassa.open_shift(&t.cashier, "100"),
        ErrorCode::Conflict,
        "already open",
    );
    let id = t.ring_up();
    t.kassa.pay_cash(&t.cashier, id, "100").unwrap();
    let void = t.kassa.add_item(&t.cashier, "T-KOPP", None).unwrap().id;
    t.kassa.void_sale(&t.cashier, void, None).unwrap();
    t.kassa
        .cash_movement(&t.cashier, CashMovementKind::CashOut, "100", "bank deposit")
        .unwrap();
    t.kassa
        .cash_movement(
            &t.cashier,
            CashMovementKind::DrawerOpen,
            "",
            "change for a customer",
        )
        .unwrap();
    let open = t.kassa.add_item(&t.cashier, COFFEE, None).unwrap().id;
    refused(
        t.kassa.close_shift(&t.cashier, "482"),
        ErrorCode::Conflict,
        "still open",
    );
    t.kassa.void_sale(&t.cashier, open, None).unwrap();

    let x = t.kassa.x_report(&t.cashier).unwrap();
    assert_eq!(x.kind, "X");
    assert_eq!(x.cash_expected, "482.00", "500 float + 82 cash - 100 out");
    let journal_before = t.count("SELECT count(*) FROM journal");
    let z = t.kassa.close_shift(&t.cashier, "480").unwrap();
    assert_eq!(
        z.z_no,
        Some(t.z_count / 2 + 1),
        "the demo closed shifts on two tills"
    );
    assert_eq!(z.sales_count, 1);
    assert_eq!(z.voids.count, 2);
    assert_eq!(z.drawer_openings, 1);
    assert_eq!(z.cash_difference.as_deref(), Some("-2.00"));
    assert_eq!(
        (z.first_receipt_no, z.last_receipt_no),
        (Some(t.next_no), Some(t.next_no))
    );
    assert_eq!(z.tenders[0].name, "cash");
    assert_eq!(
        z.journal_length,
        journal_before + 2,
        "shift_close and the Z record itself"
    );
    assert_eq!(t.kassa.z_reports(&t.cashier).unwrap().last(), Some(&z));
    refused(
        t.kassa.add_item(&t.cashier, COFFEE, None),
        ErrorCode::NoOpenShift,
        "no shift is open",
    );
    assert!(t.kassa.verify_journal(&t.cashier).unwrap().ok);
}

/// An attacker with the sqlite3 tool: drops the triggers, edits the journal, and
/// `journal verify` must name the first bad record or the broken anchor.
#[test]
fn journal_verify_catches_every_kind_of_tampering() {
    let build = || {
        let t = Till::new();
        for _ in 0..3 {
            let id = t.ring_up();
            t.kassa.pay_cash(&t.cashier, id, "100").unwrap();
        }
        t.kassa.close_shift(&t.cashier, "746").unwrap();
        t.kassa.open_shift(&t.cashier, "500").unwrap();
        let id = t.ring_up();
        t.kassa.pay_cash(&t.cashier, id, "100").unwrap();
        assert!(t.kassa.verify_journal(&t.cashier).unwrap().ok);
        t
    };
    let attack = |t: &Till, sql: &str| {
        let conn = Connection::open(&t.path).unwrap();
        conn.execute_batch("DROP TRIGGER journal_no_update; DROP TRIGGER journal_no_delete;")
            .unwrap();
        conn.execute_batch(sql).unwrap();
    };
    let problem = |t: &Till| {
        t.kassa
            .verify_journal(&t.cashier)
            .unwrap()
            .problem
            .expect("verify should fail")
    };

    // The first sale rung up in the test is the record right after the demo's history.
    let t = build();
    let first_sale = t.journal_len + 1;
    attack(
        &t,
        &format!(
            "UPDATE journal SET canonical = CAST(replace(CAST(canonical AS TEXT), '82.30', '12.30') AS BLOB) \
             WHERE seq = {first_sale}"
        ),
    );
    assert!(
        problem(&t).contains(&format!("record {first_sale}")),
        "{}",
        problem(&t)
    );

    let t = build();
    let middle = t.journal_len + 2;
    attack(&t, &format!("DELETE FROM journal WHERE seq = {middle}"));
    assert!(problem(&t).contains(&middle.to_string()), "{}", problem(&t));

    // Deleting the tail up to and including the Z record: the Z report's anchor breaks.
    let t = build();
    let z_len = t.count("SELECT max(journal_length) FROM z_reports");
    attack(&t, &format!("DELETE FROM journal WHERE seq >= {}", z_len - 1));
    assert!(problem(&t).contains("Z report"), "{}", problem(&t));

    // Rewriting a record before the Z report and recomputing every later hash: the chain is
    // self-consistent again, but the Z report's anchored head no longer matches.
    let t = build();
    let conn = Connection::open(&t.path).unwrap();
    conn.execute_batch("DROP TRIGGER journal_no_update;").unwrap();
    let rows: Vec<(i64, Vec<u8>)> = conn
        .prepare("SELECT seq, canonical FROM journal ORDER BY seq")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let mut prev = kassa_core::journal::ChainHash::GENESIS;
    for (seq, canonical) in rows {
        let canonical = if seq == t.journal_len + 1 {
            String::from_utf8(canonical)
                .unwrap()
                .replace("82.30", "12.30")
                .into_bytes()
        } else {
            canonical
        };
        prev = kassa_core::journal::chain_hash(&prev, &canonical);
        conn.execute(
            "UPDATE journal SET canonical = ?2, hash = ?3 WHERE seq = ?1",
            rusqlite::params![seq, canonical, prev.to_string()],
        )
        .unwrap();
    }
    assert!(problem(&t).contains("Z report"), "{}", problem(&t));
}

#[test]
fn grand_totals_and_shift_totals_count_cash_rounding_alike() {
    let t = Till::new();
    let before = t.kassa.x_report(&t.cashier).unwrap();
    let id = t.ring_up();
    t.kassa.pay_cash(&t.cashier, id, "100").unwrap();
    let after = t.kassa.x_report(&t.cashier).unwrap();
    let grand = |r: &kassa_app::ShiftReport| r.grand_total_sales.parse::<rust_decimal::Decimal>().unwrap();
    assert_eq!(after.sales_total, "82.00");
    assert_eq!((grand(&after) - grand(&before)).to_string(), "82.00");
}

#[test]
fn a_return_without_a_receipt_needs_a_manager_and_a_reason() {
    let t = Till::new();
    let items = vec![kassa_app::ReturnItemInput {
        code: BUN.into(),
        quantity: Some("2".into()),
    }];
    let before = t.sales_snapshot();
    refused(
        t.kassa
            .return_without_receipt(&t.cashier, &items, "  ", &manager_approval()),
        ErrorCode::Validation,
        "reason",
    );
    let cashier_approval = ManagerApproval {
        name: "cashier".into(),
        pin: "2222".into(),
    };
    refused(
        t.kassa
            .return_without_receipt(&t.cashier, &items, "gift", &cashier_approval),
        ErrorCode::Forbidden,
        "only a manager",
    );
    assert_eq!(t.sales_snapshot(), before);
    let credit = t
        .kassa
        .return_without_receipt(&t.cashier, &items, "gift, no receipt", &manager_approval())
        .unwrap();
    assert_eq!(credit.status, SaleStatus::Completed);
    assert_eq!(credit.total, "-65.00");
    assert_eq!(credit.original_receipt_code, None);
    assert_eq!(credit.receipt_no, Some(t.next_no));
    assert!(t.kassa.verify_journal(&t.cashier).unwrap().ok);
}
