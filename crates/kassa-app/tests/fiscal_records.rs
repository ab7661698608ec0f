//! Fiscal records that must not go missing or roll back: the journal's completeness and
//! its anchors (a deleted tail is caught), restores that would roll history back, and
//! receipt copies.

mod common;

use common::{DemoTill, Product, demo_till};
use kassa_app::{ErrorCode, Kassa, VatCategory};
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

/// Everything a refused restore must leave as it was.
fn dump(path: &std::path::Path) -> Vec<String> {
    let conn = Connection::open(path).unwrap();
    [
        "SELECT group_concat(seq || ':' || hash, ',') FROM (SELECT * FROM journal ORDER BY seq)",
        "SELECT group_concat(id || ':' || coalesce(receipt_no, '-') || ':' || status, ',') FROM (SELECT * FROM sales ORDER BY id)",
        "SELECT group_concat(pos_id || ':' || last_no, ',') FROM receipt_counters",
        "SELECT count(*) || '' FROM audit_log",
        "SELECT count(*) || '' FROM z_reports",
    ]
    .iter()
    .map(|sql| {
        conn.query_row(sql, [], |r| r.get::<_, Option<String>>(0))
            .unwrap()
            .unwrap_or_default()
    })
    .collect()
}

#[test]
fn restoring_an_older_backup_after_more_sales_is_refused_and_changes_nothing() {
    let t = till();
    sell(&t);
    let backup = t.dir.path().join("older.sqlite3");
    t.kassa.backup(&t.manager, &backup).unwrap();
    let newer = sell(&t);
    let before = dump(&t.path);

    let err = t.kassa.restore(&t.manager, &backup).unwrap_err();
    assert_eq!(err.code(), ErrorCode::RestoreRefused, "{err}");
    let message = err.to_string();
    assert!(
        message.contains("holds fiscal records newer than the backup")
            && message.contains("nothing was changed")
            && message.contains("Restore a backup made after record"),
        "{message}"
    );
    assert_eq!(dump(&t.path), before);
    // The newer sale is still there, and its receipt number is not issued again.
    assert!(t.kassa.sale(&t.manager, newer).unwrap().receipt_no.is_some());
    assert!(t.kassa.verify_journal(&t.manager).unwrap().ok);

    // Only a manager restores, and the refusal changes nothing either.
    let err = t.kassa.restore(&t.cashier, &backup).unwrap_err();
    assert_eq!(err.code(), ErrorCode::Forbidden);
    assert_eq!(dump(&t.path), before);
}

#[test]
fn a_backup_from_another_history_is_refused() {
    let t = till();
    let other = till();
    sell(&other);
    let foreign = t.dir.path().join("foreign.sqlite3");
    other.kassa.backup(&other.manager, &foreign).unwrap();
    let bun = t.kassa.add_item(&t.cashier, BUN, None).unwrap();
    t.kassa.pay_cash(&t.cashier, bun.id, "40").unwrap();
    let before = dump(&t.path);
    let err = t.kassa.restore(&t.manager, &foreign).unwrap_err();
    // Both demo databases share their made-up history up to the shift each test opened,
    // then differ.
    assert_eq!(err.code(), ErrorCode::RestoreRefused, "{err}");
    assert!(
        err.to_string()
            .contains("is not a copy of this database's fiscal history"),
        "{err}"
    );
    assert_eq!(dump(&t.path), before);
}

#[test]
fn restoring_an_equal_or_newer_backup_works_and_is_audited_and_journaled() {
    let t = till();
    sell(&t);
    let equal = t.dir.path().join("equal.sqlite3");
    t.kassa.backup(&t.manager, &equal).unwrap();
    // A copy of this moment to restore a newer backup into.
    let older = t.dir.path().join("older.sqlite3");
    t.kassa.backup(&t.manager, &older).unwrap();
    sell(&t);
    let newer = t.dir.path().join("newer.sqlite3");
    t.kassa.backup(&t.manager, &newer).unwrap();
    let newer_length = t.kassa.verify_journal(&t.manager).unwrap().length;

    // The older copy as a database of its own, restored from the newer (superset) backup.
    let k = Kassa::open_with_clock(&older, t.clock.clone()).unwrap();
    let manager = k.login("manager", "1234").unwrap().0;
    let report = k.restore(&manager, &newer).unwrap();
    assert_eq!(
        report.journal_length,
        newer_length + 1,
        "the restore's own record"
    );
    let verified = k.verify_journal(&manager).unwrap();
    assert!(verified.ok, "{:?}", verified.problems);
    assert_eq!(verified.anchor, report.journal_anchor);
    let restore_entries = k.audit_trail(&manager, Some("database"), None, 10).unwrap();
    assert_eq!(restore_entries.len(), 1);
    assert_eq!(restore_entries[0].action, "restore");
    assert_eq!(restore_entries[0].actor_name.as_deref(), Some("manager"));
    let after = restore_entries[0].after.clone().unwrap();
    assert!(after.contains("newer.sqlite3"), "{after}");
    let conn = Connection::open(&older).unwrap();
    let (kind, bytes): (String, Vec<u8>) = conn
        .query_row(
            "SELECT kind, canonical FROM journal ORDER BY seq DESC LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!(kind, "restore");
    assert!(String::from_utf8(bytes).unwrap().contains("newer.sqlite3"));
    drop(k);

    // An equal backup over the database it was made from: allowed and recorded too.
    let t2 = till();
    let same = t2.dir.path().join("same.sqlite3");
    t2.kassa.backup(&t2.manager, &same).unwrap();
    let length = t2.kassa.verify_journal(&t2.manager).unwrap().length;
    let report = t2.kassa.restore(&t2.manager, &same).unwrap();
    assert_eq!(report.journal_length, length + 1);
    assert!(t2.kassa.verify_journal(&t2.manager).unwrap().ok);
    // That restore is itself a record the backup lacks: the same backup again is refused.
    assert_eq!(
        t2.kassa.restore(&t2.manager, &same).unwrap_err().code(),
        ErrorCode::RestoreRefused
    );
}

#[test]
fn a_corrupt_current_database_can_be_restored_and_is_kept_aside() {
    let t = till();
    sell(&t);
    let backup = t.dir.path().join("backup.sqlite3");
    t.kassa.backup(&t.manager, &backup).unwrap();
    sell(&t);
    let DemoTill {
        dir,
        path,
        clock,
        kassa,
        ..
    } = t;
    drop(kassa);
    // The file is overwritten with garbage: it no longer opens.
    std::fs::write(&path, vec![0x5a; 64 * 1024]).unwrap();
    let _ = std::fs::remove_file(path.with_file_name("kassa.sqlite3-wal"));
    assert!(Kassa::open(&path).unwrap_err().is_unreadable_database());

    // Only a manager of the backup may replace it.
    let err = Kassa::restore_unreadable(&path, &backup, "cashier", "2222", clock.clone()).unwrap_err();
    assert_eq!(err.code(), ErrorCode::Forbidden);
    let err = Kassa::restore_unreadable(&path, &backup, "manager", "9999", clock.clone()).unwrap_err();
    assert_eq!(err.code(), ErrorCode::AuthFailed);

    let (k, report) = Kassa::restore_unreadable(&path, &backup, "manager", "1234", clock.clone()).unwrap();
    let kept = report.kept_unreadable_at.clone().unwrap();
    assert_eq!(
        std::fs::read(&kept).unwrap(),
        vec![0x5a; 64 * 1024],
        "the broken file is kept"
    );
    assert!(report.unreadable.is_some());
    let manager = k.login("manager", "1234").unwrap().0;
    assert!(k.verify_journal(&manager).unwrap().ok);
    let entries = k.audit_trail(&manager, Some("database"), None, 10).unwrap();
    assert_eq!(entries.len(), 1);
    assert!(entries[0].after.as_deref().unwrap().contains("unreadable"));

    // A database that opens is never replaced this way.
    drop(k);
    let err = Kassa::restore_unreadable(&path, &backup, "manager", "1234", clock).unwrap_err();
    assert_eq!(err.code(), ErrorCode::Conflict);
    drop(dir);
}

#[test]
fn on_screen_a_receipt_is_a_preview_and_only_sellers_print_the_one_copy() {
    let t = till();
    t.kassa.set_language(&t.manager, kassa_app::Language::En).unwrap();
    let id = sell(&t);
    let accountant = t.kassa.login("accountant", "3333").unwrap().0;
    for who in [&t.cashier, &accountant, &t.manager] {
        let preview = t.kassa.receipt_preview(who, id, 42).unwrap();
        assert!(preview.not_a_receipt);
        assert_eq!(preview.marking, "*** PREVIEW *** NOT A RECEIPT");
        let lines: Vec<&str> = preview.text.lines().collect();
        assert_eq!(lines[0].trim(), "*** PREVIEW ***", "{}", preview.text);
        assert_eq!(lines[1].trim(), "NOT A RECEIPT", "{}", preview.text);
        assert_eq!(lines[lines.len() - 1].trim(), "NOT A RECEIPT", "{}", preview.text);
        assert!(!preview.text.contains("KOPIA"), "{}", preview.text);
        assert!(preview.text.contains("Kaffe"), "{}", preview.text);
        assert!(preview.text.lines().all(|l| l.chars().count() <= 42));
    }
    // Looking is not printing: nothing was counted.
    assert_eq!(t.kassa.x_report(&t.cashier).unwrap().copies_printed, 0);

    // An accountant may look but not print a copy; the refusal changes nothing.
    let before = dump(&t.path);
    let err = t.kassa.print_receipt_copy(&accountant, id, 42).unwrap_err();
    assert_eq!(err.code(), ErrorCode::Forbidden, "{err}");
    assert_eq!(dump(&t.path), before);

    let copy = t.kassa.print_receipt_copy(&t.cashier, id, 32).unwrap();
    assert_eq!(copy.text.matches("KOPIA").count(), 2, "{}", copy.text);
    assert!(!copy.text.contains("PREVIEW"));
    assert_eq!(t.kassa.x_report(&t.cashier).unwrap().copies_printed, 1);
    let err = t.kassa.print_receipt_copy(&t.manager, id, 32).unwrap_err();
    assert_eq!(err.code(), ErrorCode::Conflict);
    assert!(err.to_string().contains("already printed"), "{err}");
    assert_eq!(t.kassa.x_report(&t.cashier).unwrap().copies_printed, 1);

    // In Swedish the marking is Swedish; the copy is KOPIA in every language.
    t.kassa.set_language(&t.manager, kassa_app::Language::Sv).unwrap();
    let preview = t.kassa.receipt_preview(&t.cashier, id, 32).unwrap();
    assert!(
        preview.text.starts_with("   *** FÖRHANDSGRANSKNING ***\n"),
        "{}",
        preview.text
    );
    assert!(preview.text.contains("INTE ETT KVITTO"));
    assert!(t.kassa.verify_journal(&t.manager).unwrap().ok);
}

#[test]
fn a_copy_of_yesterdays_receipt_counts_in_the_shift_that_prints_it() {
    let t = till();
    let yesterday = sell(&t);
    let expected = t.kassa.x_report(&t.cashier).unwrap().cash_expected;
    let z1 = t.kassa.close_shift(&t.cashier, &expected).unwrap();
    assert_eq!(z1.copies_printed, 0);

    t.clock.advance(chrono::Duration::hours(24));
    t.kassa.open_shift(&t.cashier, "500").unwrap();
    let copy = t.kassa.print_receipt_copy(&t.cashier, yesterday, 42).unwrap();
    let today = t.kassa.x_report(&t.cashier).unwrap();
    assert_eq!(copy.shift_id, today.shift_id);
    assert_eq!(today.copies_printed, 1, "counted today, when it was printed");
    let z2 = t.kassa.close_shift(&t.cashier, &today.cash_expected).unwrap();
    assert_eq!(z2.copies_printed, 1);
    // Yesterday's Z report is as it was printed.
    let reports = t.kassa.z_reports(&t.manager).unwrap();
    let stored_z1 = reports.iter().find(|z| z.z_no == z1.z_no).unwrap();
    assert_eq!(stored_z1.copies_printed, 0);
    assert!(t.kassa.verify_journal(&t.manager).unwrap().ok);

    // With no shift open there is no shift to count a copy in: refused.
    let demo_sale = t
        .kassa
        .list_sales(&t.manager, 1000)
        .unwrap()
        .into_iter()
        .find(|s| s.receipt_no.is_some() && !s.copy_printed)
        .unwrap();
    let err = t
        .kassa
        .print_receipt_copy(&t.manager, demo_sale.id, 42)
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::Conflict);
    assert!(err.to_string().contains("no shift is open"), "{err}");
}
