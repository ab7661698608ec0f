//! Fiscal records that must not go missing or roll back: the journal's completeness and
//! its anchors (a deleted tail is caught), restores that would roll history back, and
//! receipt copies.

mod common;

use common::{DemoTill, Product, demo_till};
use kassa_app::{ErrorCode, VatCategory};
use rusqlite::Connection;

const COFFEE: &str = "7310865004703";
const BUN: &str = "4006381333931";

fn till() -> DemoTill {
    demo_till(&[
        Product::each("T-KAFFE", "Kaffe", COFFEE, "24.90", VatCategory::Reduced),
        Product::each("T-BULLE", "Kanelbulle", BUN, "32.50", VatCategory::Reduced),
    ])
}

/// A coffee paid in cash; returns the sale id.
fn sell(t: &DemoTill) -> i64 {
    let sale = t.kassa.add_item(&t.cashier, COFFEE, None).unwrap();
    t.kassa.pay_cash(&t.cashier, sale.id, "30").unwrap();
    sale.id
}

fn one(conn: &Connection, sql: &str) -> i64 {
    conn.query_row(sql, [], |r| r.get(0)).unwrap()
}

/// What an attacker with the file and sqlite3 does first: drop every guard.
fn attacker(t: &DemoTill) -> Connection {
    let conn = Connection::open(&t.path).unwrap();
    let triggers: Vec<String> = conn
        .prepare("SELECT name FROM sqlite_schema WHERE type = 'trigger'")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    for trigger in triggers {
        conn.execute_batch(&format!("DROP TRIGGER \"{trigger}\""))
            .unwrap();
    }
    conn
}

/// Deletes sales (their lines, tenders and outbox messages too) as if never made.
fn delete_sales(conn: &Connection, ids: &[i64]) {
    for id in ids {
        conn.execute("DELETE FROM sale_lines WHERE sale_id = ?1", [id])
            .unwrap();
        conn.execute("DELETE FROM tenders WHERE sale_id = ?1", [id])
            .unwrap();
        conn.execute("DELETE FROM sales WHERE id = ?1", [id]).unwrap();
    }
}

#[test]
fn a_deleted_tail_with_its_sales_and_a_reset_counter_is_caught_by_the_printed_anchor() {
    let t = till();
    sell(&t);
    let x = t.kassa.x_report(&t.cashier).unwrap();
    let first_anchor = x.journal_anchor.clone();
    // The X report prints the anchor, and it is the journal as it stood.
    assert_eq!(
        first_anchor,
        format!("{}:{}", x.journal_length, &x.journal_head[..16])
    );
    let conn = Connection::open(&t.path).unwrap();
    let receipt_before = one(&conn, "SELECT last_no FROM receipt_counters WHERE pos_id = 1");
    let doomed = [sell(&t), sell(&t)];
    let last = t.kassa.x_report(&t.cashier).unwrap();
    let printed = last.journal_anchor.clone();
    assert_eq!(last.journal_length, x.journal_length + 2);
    let ok = t
        .kassa
        .verify_journal_with_head(&t.cashier, Some(&printed))
        .unwrap();
    assert!(ok.ok, "{:?}", ok.problems);
    assert_eq!(ok.anchor, printed);

    // The attacker removes the two sales, their journal records and rewinds the counter.
    let evil = attacker(&t);
    delete_sales(&evil, &doomed);
    evil.execute("DELETE FROM journal WHERE seq > ?1", [x.journal_length])
        .unwrap();
    evil.execute(
        "UPDATE receipt_counters SET last_no = ?1 WHERE pos_id = 1",
        [receipt_before],
    )
    .unwrap();
    drop(evil);

    // What is left is consistent in itself: rows and records agree, the series is whole.
    let inside = t.kassa.verify_journal(&t.cashier).unwrap();
    assert!(inside.ok, "{:?}", inside.problems);
    // The anchor printed before the deletion still verifies...
    assert!(
        t.kassa
            .verify_journal_with_head(&t.cashier, Some(&first_anchor))
            .unwrap()
            .ok
    );
    // ...but the last one printed names exactly what is missing.
    let caught = t
        .kassa
        .verify_journal_with_head(&t.cashier, Some(&printed))
        .unwrap();
    assert!(!caught.ok);
    let problem = caught.problem.unwrap();
    assert!(
        problem.contains(&format!(
            "the journal has only {} records, so records {} to {} were deleted",
            x.journal_length,
            x.journal_length + 1,
            last.journal_length
        )),
        "{problem}"
    );
    // A short head typed from paper is enough, and a malformed one is refused.
    let short = &printed[..printed.find(':').unwrap() + 9];
    assert!(
        !t.kassa
            .verify_journal_with_head(&t.cashier, Some(short))
            .unwrap()
            .ok
    );
    let err = t
        .kassa
        .verify_journal_with_head(&t.cashier, Some("12:xyz"))
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::Validation);
    assert!(err.to_string().contains("SEQ:HEAD"), "{err}");
}

#[test]
fn a_sale_without_its_record_and_a_record_without_its_sale_are_both_named() {
    // The journal's tail deleted during an open shift, the sales kept: no Z report
    // anchors it yet, but each sale now lacks its record.
    let t = till();
    let kept = [sell(&t), sell(&t)];
    let length = t.kassa.verify_journal(&t.cashier).unwrap().length;
    let evil = attacker(&t);
    evil.execute("DELETE FROM journal WHERE seq > ?1", [length - 2])
        .unwrap();
    drop(evil);
    let report = t.kassa.verify_journal(&t.cashier).unwrap();
    assert!(!report.ok);
    for id in kept {
        assert!(
            report
                .problems
                .iter()
                .any(|p| p.starts_with(&format!("sale {id} ")) && p.contains("has no journal record")),
            "{:?}",
            report.problems
        );
    }

    // The other way round: the sale deleted, its record kept.
    let t = till();
    let gone = sell(&t);
    let evil = attacker(&t);
    delete_sales(&evil, &[gone]);
    drop(evil);
    let report = t.kassa.verify_journal(&t.cashier).unwrap();
    assert!(!report.ok);
    assert!(
        report
            .problems
            .iter()
            .any(|p| p.contains(&format!("names sale {gone}, which has no receipt"))),
        "{:?}",
        report.problems
    );
    // And the receipt series now has a hole.
    assert!(
        report.problems.iter().any(|p| p.contains("the series is broken")),
        "{:?}",
        report.problems
    );

    // A shift event and a cash movement are covered too.
    let t = till();
    t.kassa
        .cash_movement(&t.cashier, kassa_app::CashMovementKind::DrawerOpen, "0", "change")
        .unwrap();
    let length = t.kassa.verify_journal(&t.cashier).unwrap().length;
    let evil = attacker(&t);
    evil.execute("DELETE FROM journal WHERE seq = ?1", [length])
        .unwrap();
    drop(evil);
    let report = t.kassa.verify_journal(&t.cashier).unwrap();
    assert!(
        report
            .problems
            .iter()
            .any(|p| p.contains("cash movement") && p.contains("has no journal record")),
        "{:?}",
        report.problems
    );
}
