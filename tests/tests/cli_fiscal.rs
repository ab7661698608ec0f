//! Fiscal records through the real `kassa` binary: the anchor printed on X reports and
//! `kassa journal verify --head`, and restores that would roll fiscal history back.

mod common;

use common::exit::{DATABASE, VALIDATION};
use common::{World, fails, json, ok};

/// Exit code of a restore refused because the backup lacks fiscal records.
const RESTORE_REFUSED: i32 = 11;

impl World {
    /// A fresh installation with a manager (1234) and a cashier (2222) at Till 1 of
    /// Malmö C, one product (BREAD-1, 32.50) and the cashier's shift open.
    fn at_the_till() -> World {
        let w = World::installed();
        let csv = w.path("catalog.csv");
        std::fs::write(
            &csv,
            "sku,name,vat,store,price\nBREAD-1,Limpa,reduced,Malmö C,32.50\n",
        )
        .unwrap();
        ok(w.as_manager(&["product", "import", csv.to_str().unwrap(), "--yes"]));
        ok(w.as_cashier(&["shift", "open", "--float", "100"]));
        w
    }

    fn as_cashier(&self, args: &[&str]) -> assert_cmd::Command {
        self.as_user("cashier", "2222", args)
    }

    /// Sells a bread for cash; returns the sale id.
    fn sell(&self) -> i64 {
        let sale = json(self.as_cashier(&["sale", "new", "--item", "BREAD-1", "--cash", "50"]));
        sale["id"].as_i64().unwrap()
    }
}

#[test]
fn journal_verify_head_catches_a_deleted_tail_that_looks_whole_from_inside() {
    let w = World::at_the_till();
    w.sell();
    let x = json(w.as_cashier(&["shift", "x-report"]));
    let first = x["journalAnchor"].as_str().unwrap().to_owned();
    let doomed = w.sell();
    // The anchor is printed on the X report, and read back by verify.
    let text = ok(w.as_cashier(&["shift", "x-report"]));
    let printed = text
        .lines()
        .find_map(|l| l.strip_prefix("Journal anchor:"))
        .unwrap_or_else(|| panic!("no journal anchor on the X report:\n{text}"))
        .trim()
        .to_owned();
    assert_ne!(printed, first);
    let verified = ok(w.as_cashier(&["journal", "verify", "--head", &printed]));
    assert!(verified.starts_with("journal OK: "), "{verified}");

    {
        // As an attacker with sqlite3: the last sale, its record and its receipt number go.
        let conn = rusqlite::Connection::open(&w.db).unwrap();
        let triggers: Vec<String> = conn
            .prepare("SELECT name FROM sqlite_schema WHERE type = 'trigger'")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        for t in triggers {
            conn.execute_batch(&format!("DROP TRIGGER \"{t}\"")).unwrap();
        }
        conn.execute_batch(&format!(
            "DELETE FROM sale_lines WHERE sale_id = {doomed};
             DELETE FROM tenders WHERE sale_id = {doomed};
             DELETE FROM sales WHERE id = {doomed};
             DELETE FROM journal WHERE seq = (SELECT max(seq) FROM journal);
             UPDATE receipt_counters SET last_no = last_no - 1;"
        ))
        .unwrap();
    }
    ok(w.as_cashier(&["journal", "verify"]));
    ok(w.as_cashier(&["journal", "verify", "--head", &first]));
    let (_, err) = fails(w.as_cashier(&["journal", "verify", "--head", &printed]), DATABASE);
    let seq: i64 = printed.split(':').next().unwrap().parse().unwrap();
    assert!(
        err.contains(&format!("record {seq} was deleted")) || err.contains(&format!("to {seq} were deleted")),
        "{err}"
    );
    let (_, err) = fails(
        w.as_cashier(&["journal", "verify", "--head", "not-an-anchor"]),
        VALIDATION,
    );
    assert!(err.contains("SEQ:HEAD"), "{err}");
}

#[test]
fn restore_refuses_a_backup_older_than_the_fiscal_records_and_records_every_restore() {
    let w = World::at_the_till();
    w.sell();
    let older = w.path("older.sqlite3");
    ok(w.as_manager(&["backup", "--out", older.to_str().unwrap()]));
    w.sell();
    let before = json(w.as_manager(&["sale", "list"]));

    let (_, err) = fails(
        w.as_manager(&["restore", older.to_str().unwrap()]),
        RESTORE_REFUSED,
    );
    assert!(err.contains("newer than the backup"), "{err}");
    assert_eq!(json(w.as_manager(&["sale", "list"])), before);

    // A backup of this moment restores, and the restore is in the audit log and journal.
    let now = w.path("now.sqlite3");
    ok(w.as_manager(&["backup", "--out", now.to_str().unwrap()]));
    let restored = json(w.as_manager(&["restore", now.to_str().unwrap()]));
    assert!(
        restored["journalAnchor"].as_str().unwrap().contains(':'),
        "{restored}"
    );
    let audit = json(w.as_manager(&["audit", "--entity", "database"]));
    assert_eq!(audit[0]["action"], "restore", "{audit}");
    ok(w.as_cashier(&["journal", "verify"]));

    // A database that no longer opens is replaced, and kept aside.
    std::fs::write(&w.db, vec![0x42u8; 8192]).unwrap();
    let out = ok(w.as_manager(&["restore", now.to_str().unwrap()]));
    assert!(out.contains("unreadable database was kept as"), "{out}");
    ok(w.as_cashier(&["journal", "verify"]));
}
