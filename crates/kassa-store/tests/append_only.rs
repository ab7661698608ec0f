//! The protected tables refuse every kind of write that would change or remove a row:
//! UPDATE and DELETE, and also `INSERT OR REPLACE`, `REPLACE`, an `ON CONFLICT … DO UPDATE`
//! upsert and `INSERT OR IGNORE` of a colliding row. REPLACE deletes the row it collides
//! with without firing DELETE triggers, so each table guards its inserts as well.

use kassa_store::Db;
use rusqlite::Connection;

const AT: &str = "2026-11-23T09:00:00Z";

/// A database with one store, till, user, shift, two journal records, an audit entry, a
/// receipted sale with a copy, and a Z report anchoring record 2.
fn world() -> (tempfile::TempDir, Db) {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::create(&dir.path().join("k.sqlite3")).unwrap();
    db.conn()
        .execute_batch(&format!(
            "INSERT INTO brands (id, name, name_key, created_at, updated_at) VALUES (1, 'B', 'b', '{AT}', '{AT}');
             INSERT INTO stores (id, brand_id, name, name_key, country, address, place, currency, time_zone, created_at, updated_at)
                 VALUES (1, 1, 'S', 's', 'SE', 'Gatan 1', 'REAL', 'SEK', 'Europe/Stockholm', '{AT}', '{AT}');
             INSERT INTO pos_devices (id, store_id, name, name_key, status, device_type, created_at, updated_at)
                 VALUES (1, 1, 'Till 1', 'till 1', 'ENABLED', 'till', '{AT}', '{AT}');
             INSERT INTO users (id, name, name_key, role, pin_hash, active, created_at, updated_at)
                 VALUES (1, 'anna', 'anna', 'manager', 'x', 1, '{AT}', '{AT}');
             INSERT INTO shifts (id, pos_id, currency, opened_by, opened_at, float_minor, closed_at) VALUES (1, 1, 'SEK', 1, '{AT}', 0, '{AT}');
             INSERT INTO shifts (id, pos_id, currency, opened_by, opened_at, float_minor) VALUES (2, 1, 'SEK', 1, '{AT}', 0);
             INSERT INTO journal (seq, at, kind, canonical, hash) VALUES (1, '{AT}', 'shift_open', x'7b7d', 'h1');
             INSERT INTO journal (seq, at, kind, canonical, hash) VALUES (2, '{AT}', 'z_report', x'7b7d', 'h2');
             INSERT INTO audit_log (id, at, entity, entity_id, action) VALUES (1, '{AT}', 'brand', 1, 'create');
             INSERT INTO sales (id, kind, status, store_id, pos_id, shift_id, cashier_id, currency, receipt_no, created_at, updated_at)
                 VALUES (1, 'sale', 'completed', 1, 1, 1, 1, 'SEK', 1, '{AT}', '{AT}');
             INSERT INTO receipt_copies (id, sale_id, printed_at, printed_by, shift_id) VALUES (1, 1, '{AT}', 1, 1);
             INSERT INTO z_reports (id, pos_id, z_no, shift_id, created_at, journal_length, journal_head, body)
                 VALUES (1, 1, 1, 1, '{AT}', 2, 'h2', '{{}}');"
        ))
        .unwrap();
    (dir, db)
}

fn count(conn: &Connection, sql: &str) -> i64 {
    conn.query_row(sql, [], |r| r.get(0)).unwrap()
}

/// Everything the protected rows hold, to prove a refused write changed nothing.
fn protected(conn: &Connection) -> Vec<String> {
    [
        "SELECT group_concat(seq || ':' || kind || ':' || hash, ',') FROM journal",
        "SELECT group_concat(id || ':' || entity || ':' || action, ',') FROM audit_log",
        "SELECT group_concat(id || ':' || z_no || ':' || shift_id || ':' || journal_head, ',') FROM z_reports",
        "SELECT group_concat(id || ':' || receipt_no || ':' || status, ',') FROM sales",
        "SELECT group_concat(id || ':' || sale_id || ':' || shift_id, ',') FROM receipt_copies",
    ]
    .iter()
    .map(|sql| conn.query_row(sql, [], |r| r.get::<_, Option<String>>(0)).unwrap().unwrap_or_default())
    .collect()
}

#[test]
fn every_kind_of_write_that_would_change_a_protected_row_is_refused() {
    let (_dir, db) = world();
    let conn = db.conn();
    let before = protected(conn);
    let attacks = [
        // The journal.
        "UPDATE journal SET hash = 'x' WHERE seq = 2",
        "DELETE FROM journal WHERE seq = 2",
        "INSERT OR REPLACE INTO journal (seq, at, kind, canonical, hash) VALUES (2, 'a', 'sale', x'00', 'forged')",
        "REPLACE INTO journal (seq, at, kind, canonical, hash) VALUES (1, 'a', 'sale', x'00', 'forged')",
        "INSERT INTO journal (seq, at, kind, canonical, hash) VALUES (2, 'a', 'sale', x'00', 'f') \
         ON CONFLICT (seq) DO UPDATE SET hash = excluded.hash",
        "INSERT INTO journal (at, kind, canonical, hash) VALUES ('a', 'sale', x'00', 'no seq')",
        "INSERT INTO journal (seq, at, kind, canonical, hash) VALUES (9, 'a', 'sale', x'00', 'skips 3 to 8')",
        // The audit log.
        "UPDATE audit_log SET action = 'x'",
        "DELETE FROM audit_log",
        "INSERT OR REPLACE INTO audit_log (id, at, entity, entity_id, action) VALUES (1, 'a', 'user', 9, 'forged')",
        "INSERT INTO audit_log (id, at, entity, entity_id, action) VALUES (1, 'a', 'user', 9, 'forged') \
         ON CONFLICT (id) DO UPDATE SET action = excluded.action",
        // Z reports: replacing by id, by shift, or by number; a number out of sequence; an
        // anchor that is not the journal.
        "UPDATE z_reports SET journal_head = 'x'",
        "DELETE FROM z_reports",
        "INSERT OR REPLACE INTO z_reports (id, pos_id, z_no, shift_id, created_at, journal_length, journal_head, body) \
         VALUES (1, 1, 1, 1, 'a', 1, 'h1', '{}')",
        "INSERT OR REPLACE INTO z_reports (pos_id, z_no, shift_id, created_at, journal_length, journal_head, body) \
         VALUES (1, 1, 2, 'a', 1, 'h1', '{}')",
        "INSERT OR REPLACE INTO z_reports (pos_id, z_no, shift_id, created_at, journal_length, journal_head, body) \
         VALUES (1, 2, 1, 'a', 1, 'h1', '{}')",
        "INSERT INTO z_reports (pos_id, z_no, shift_id, created_at, journal_length, journal_head, body) \
         VALUES (1, 3, 2, 'a', 2, 'h2', '{}')",
        "INSERT INTO z_reports (pos_id, z_no, shift_id, created_at, journal_length, journal_head, body) \
         VALUES (1, 2, 2, 'a', 2, 'not the head', '{}')",
        // A receipted sale.
        "DELETE FROM sales WHERE id = 1",
        "UPDATE sales SET receipt_no = 7 WHERE id = 1",
        "INSERT OR REPLACE INTO sales (id, kind, status, store_id, pos_id, shift_id, cashier_id, currency, created_at, updated_at) \
         VALUES (1, 'sale', 'open', 1, 1, 1, 1, 'SEK', 'a', 'a')",
        // Receipt copies.
        "UPDATE receipt_copies SET shift_id = 2",
        "DELETE FROM receipt_copies",
        "INSERT OR REPLACE INTO receipt_copies (id, sale_id, printed_at, printed_by, shift_id) VALUES (1, 1, 'a', 1, 2)",
        "INSERT INTO receipt_copies (sale_id, printed_at, printed_by) VALUES (1, 'a', 1)",
    ];
    for sql in attacks {
        let result = conn.execute(sql, []);
        assert!(result.is_err(), "accepted: {sql}");
        assert_eq!(protected(conn), before, "changed by: {sql}");
    }
    // INSERT OR IGNORE of a colliding row is refused by the trigger before it could be
    // ignored, and in any case changes nothing.
    let _ = conn.execute(
        "INSERT OR IGNORE INTO journal (seq, at, kind, canonical, hash) VALUES (2, 'a', 'sale', x'00', 'f')",
        [],
    );
    assert_eq!(protected(conn), before);

    // What the application does is still allowed: the next record, the next Z report
    // anchored at the journal's head, a post-void of the receipted sale.
    conn.execute(
        "INSERT INTO journal (seq, at, kind, canonical, hash) VALUES (3, 'a', 'z_report', x'7b7d', 'h3')",
        [],
    )
    .unwrap();
    conn.execute(
        "INSERT INTO z_reports (pos_id, z_no, shift_id, created_at, journal_length, journal_head, body) \
         VALUES (1, 2, 2, 'a', 3, 'h3', '{}')",
        [],
    )
    .unwrap();
    conn.execute("UPDATE sales SET status = 'post_voided' WHERE id = 1", [])
        .unwrap();
    conn.execute(
        "INSERT INTO audit_log (at, entity, entity_id, action) VALUES ('a', 'brand', 1, 'update')",
        [],
    )
    .unwrap();
    assert_eq!(count(conn, "SELECT count(*) FROM z_reports"), 2);
    assert_eq!(count(conn, "SELECT max(id) FROM audit_log"), 2);
}
