//! Selling with the real `kassa` binary: the catalog import, a sale paid in cash, a
//! refund approved by a manager, the journal check and the shift's Z report. Every test has
//! its own data directory and database; PINs come from the environment, never arguments.

mod common;

use common::exit::{AUTH, CONFLICT, DATABASE, FORBIDDEN, NOT_FOUND, VALIDATION};
use common::{World, fails, json, ok};
use serde_json::Value;

const CATALOG: &str = "\
sku,name,vat,store,price,barcodes
MILK-1,Mjölk 1 l,12%,Malmö C,14.90,7310865004703
BREAD-1,Limpa,reduced,Malmö C,32.50,
SOAP-1,Tvål,standard,Malmö C,\"24,95\",
";

impl World {
    /// Writes `text` to a file in the data directory; returns its path.
    fn file(&self, name: &str, text: &str) -> String {
        let path = self.path(name);
        std::fs::write(&path, text).expect("write the file");
        path.display().to_string()
    }

    fn as_cashier(&self, args: &[&str]) -> assert_cmd::Command {
        self.as_user("cashier", "2222", args)
    }

    fn import_catalog(&self) {
        let csv = self.file("catalog.csv", CATALOG);
        let out = ok(self.as_manager(&["product", "import", &csv, "--yes"]));
        assert!(out.contains("Imported 3 product(s)"), "{out}");
    }

    fn products(&self) -> Value {
        json(self.as_manager(&["product", "list", "--include-inactive"]))
    }
}

#[test]
fn a_day_at_the_till_from_import_to_z_report() {
    let w = World::installed();
    w.import_catalog();
    let products = w.products();
    assert_eq!(products.as_array().unwrap().len(), 3, "{products}");
    let milk = products
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["sku"] == "MILK-1")
        .expect("MILK-1 imported");
    assert_eq!(milk["vatCategory"], "reduced", "12 % is Sweden's reduced rate");
    assert_eq!(milk["barcodes"][0], "7310865004703");
    assert_eq!(milk["prices"][0]["price"], "14.90");
    let found = json(w.as_cashier(&["product", "list", "--query", "Limpa"]));
    assert_eq!(found.as_array().unwrap().len(), 1, "{found}");

    let shift = json(w.as_cashier(&["shift", "open", "--float", "2000"]));
    assert_eq!(shift["float"], "2000.00");

    // Two milk by barcode and a bread by SKU, paid with 100 in cash.
    let receipt = ok(w.as_cashier(&[
        "sale",
        "new",
        "--item",
        "7310865004703*2",
        "--item",
        "BREAD-1",
        "--cash",
        "100",
    ]));
    assert!(
        receipt.contains("Mjölk 1 l") && receipt.contains("Limpa"),
        "{receipt}"
    );
    assert!(receipt.contains("62.30"), "total 2 × 14.90 + 32.50: {receipt}");
    assert!(
        receipt.lines().all(|l| l.chars().count() <= 42),
        "42 columns: {receipt}"
    );

    let sales = json(w.as_cashier(&["sale", "list"]));
    let sales = sales.as_array().unwrap();
    assert_eq!(sales.len(), 1, "{sales:?}");
    assert_eq!(sales[0]["receiptNo"], 1);
    assert_eq!(sales[0]["kind"], "sale");
    assert_eq!(sales[0]["total"], "62.30");
    let sale_id = sales[0]["id"].as_i64().unwrap();
    let sale = json(w.as_cashier(&["sale", "show", &sale_id.to_string()]));
    assert_eq!(sale["change"], "38.00", "{sale}");

    // The refundable lines, then one milk back with the manager's approval.
    let refundable = json(w.as_cashier(&["sale", "refund", "--receipt", "1", "--show"]));
    let milk_line = refundable["lines"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["name"] == "Mjölk 1 l")
        .expect("the milk line");
    assert_eq!(milk_line["refundable"], "2");
    let line = format!("{}=1", milk_line["lineId"].as_i64().unwrap());

    // The approver's PIN is required and never taken from the command line.
    fails(
        w.as_cashier(&[
            "sale",
            "refund",
            "--receipt",
            "1",
            "--line",
            &line,
            "--approver",
            "manager",
        ]),
        AUTH,
    );
    let mut refund = w.as_cashier(&[
        "sale",
        "refund",
        "--receipt",
        "1",
        "--line",
        &line,
        "--reason",
        "leaking",
        "--approver",
        "manager",
    ]);
    refund.env("KASSA_APPROVER_PIN", "1234");
    let credit = json(refund);
    assert_eq!(credit["kind"], "refund", "{credit}");
    assert_eq!(credit["status"], "completed", "{credit}");
    assert_eq!(credit["receiptNo"], 2);
    assert_eq!(credit["total"], "-14.90");
    assert_eq!(credit["originalReceiptCode"], sale["receiptCode"]);

    // Two more milk than remain: refused, saying how much can be refunded.
    let line = format!("{}=2", milk_line["lineId"].as_i64().unwrap());
    let mut too_much = w.as_cashier(&[
        "sale",
        "refund",
        "--receipt",
        "1",
        "--line",
        &line,
        "--approver",
        "manager",
    ]);
    too_much.env("KASSA_APPROVER_PIN", "1234");
    let (_, err) = fails(too_much, VALIDATION);
    assert!(err.contains("at most 1"), "{err}");
    assert_eq!(json(w.as_cashier(&["sale", "list"])).as_array().unwrap().len(), 2);

    // A receipt copy once, marked KOPIA; a second copy is refused.
    let copy = ok(w.as_cashier(&["sale", "show", &sale_id.to_string(), "--copy", "--columns", "32"]));
    assert!(copy.contains("KOPIA"), "{copy}");
    fails(
        w.as_cashier(&["sale", "show", &sale_id.to_string(), "--copy"]),
        CONFLICT,
    );

    ok(w.as_cashier(&["shift", "no-sale", "--reason", "change for a customer"]));
    let x = json(w.as_cashier(&["shift", "x-report"]));
    assert_eq!(x["kind"], "X");
    assert_eq!(x["drawerOpenings"], 1);
    let x_text = ok(w.as_cashier(&["shift", "x-report"]));
    assert!(x_text.contains("Cash expected"), "{x_text}");

    let verified = ok(w.as_cashier(&["journal", "verify"]));
    assert!(verified.starts_with("journal OK: "), "{verified}");

    let z = json(w.as_cashier(&["shift", "close", "--counted", "2047"]));
    assert_eq!(z["kind"], "Z");
    assert_eq!(z["zNo"], 1, "{z}");
    assert!(z["journalLength"].as_i64().unwrap() > 0, "{z}");
    assert_eq!(z["firstReceiptNo"], 1);
    assert_eq!(z["lastReceiptNo"], 2);
    let zs = json(w.as_manager(&["shift", "z-reports"]));
    assert_eq!(zs.as_array().unwrap().len(), 1);
    let verified = ok(w.as_cashier(&["journal", "verify"]));
    assert!(verified.contains("1 anchors checked"), "{verified}");
}

#[test]
fn bad_csv_files_are_rejected_by_line_and_import_nothing() {
    let w = World::installed();
    let before = w.products();
    assert_eq!(before.as_array().unwrap().len(), 0);

    let wrong_columns = w.file(
        "columns.csv",
        "sku,title,vat,store,price\nA,Thing,standard,Malmö C,10\n",
    );
    let (_, err) = fails(
        w.as_manager(&["product", "import", &wrong_columns, "--yes"]),
        VALIDATION,
    );
    assert!(err.contains("line 1") && err.contains("missing: name"), "{err}");
    assert!(err.contains("unknown: title"), "{err}");

    let bad_rows = w.file(
        "rows.csv",
        "sku,name,vat,store,price\n\
         A,Thing,standard,Malmö C,10\n\
         B,Other,standard,Malmö C,ten\n\
         C,Third,7%,Malmö C,5\n",
    );
    let (out, err) = fails(
        w.as_manager(&["product", "import", &bad_rows, "--yes"]),
        VALIDATION,
    );
    let rejected = out
        .split("Rejected rows")
        .nth(1)
        .unwrap_or_else(|| panic!("no rejected rows listed: {out}"));
    let line_3 = rejected
        .lines()
        .find(|l| l.starts_with("3 "))
        .expect("line 3 listed");
    assert!(line_3.contains("ten"), "{line_3}");
    let line_4 = rejected
        .lines()
        .find(|l| l.starts_with("4 "))
        .expect("line 4 listed");
    assert!(line_4.contains("SE has no VAT rate of 7%"), "{line_4}");
    assert!(err.contains("2 row(s) rejected, nothing imported"), "{err}");

    // The JSON preview names the same lines.
    let mut cmd = w.as_manager(&["product", "import", &bad_rows, "--json"]);
    let out = cmd.output().unwrap();
    assert_eq!(out.status.code(), Some(VALIDATION));
    let preview: Value = serde_json::from_slice(&out.stdout).expect("a JSON preview");
    let lines: Vec<i64> = preview["rejected"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["line"].as_i64().unwrap())
        .collect();
    assert_eq!(lines, [3, 4]);

    // Without --yes and no terminal to ask, only the preview is shown.
    let good = w.file("good.csv", CATALOG);
    let out = ok(w.as_manager(&["product", "import", &good]));
    assert!(out.contains("Nothing imported"), "{out}");

    fails(
        w.as_manager(&["product", "import", "/no/such/file.csv", "--yes"]),
        NOT_FOUND,
    );
    assert_eq!(w.products(), before, "nothing was imported");
}

#[test]
fn cashiers_may_not_import_products() {
    let w = World::installed();
    let csv = w.file("catalog.csv", CATALOG);
    let (_, err) = fails(w.as_cashier(&["product", "import", &csv, "--yes"]), FORBIDDEN);
    assert!(err.contains("manager"), "{err}");
    assert_eq!(w.products().as_array().unwrap().len(), 0);
}

#[test]
fn a_sale_that_fails_part_way_is_voided_and_split_tenders_work() {
    let w = World::installed();
    w.import_catalog();
    ok(w.as_cashier(&["shift", "open", "--float", "500"]));

    // An unknown code after a good one: the sale is voided, nothing is sold.
    let (_, err) = fails(
        w.as_cashier(&[
            "sale", "new", "--item", "SOAP-1", "--item", "NOPE-9", "--cash", "100",
        ]),
        NOT_FOUND,
    );
    assert!(err.contains("NOPE-9") && err.contains("voided"), "{err}");
    // Cash that does not cover the total, with no card for the rest.
    let (_, err) = fails(
        w.as_cashier(&["sale", "new", "--item", "SOAP-1", "--cash", "10"]),
        VALIDATION,
    );
    assert!(err.contains("does not cover"), "{err}");
    assert_eq!(json(w.as_cashier(&["sale", "list"])).as_array().unwrap().len(), 0);

    // Cash first, the card for the rest, after a 10 % order discount.
    let sale = json(w.as_cashier(&[
        "sale",
        "new",
        "--item",
        "SOAP-1*2",
        "--discount",
        "10%",
        "--cash",
        "20",
        "--card",
    ]));
    assert_eq!(sale["status"], "completed", "{sale}");
    assert_eq!(sale["receiptNo"], 1, "voided sales take no receipt number");
    assert_eq!(sale["total"], "44.91");
    let methods: Vec<&str> = sale["tenders"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["method"].as_str().unwrap())
        .collect();
    assert_eq!(methods, ["cash", "external_card"]);

    // A post-void of that sale: the cash goes back at once, the card refund waits for the
    // terminal, and nothing else can be sold until it is settled.
    fails(
        w.as_cashier(&[
            "sale",
            "post-void",
            "--approver",
            "cashier",
            "--reason",
            "wrong customer",
        ]),
        AUTH,
    );
    let mut post_void = w.as_cashier(&[
        "sale",
        "post-void",
        "--approver",
        "manager",
        "--reason",
        "wrong customer",
    ]);
    post_void.env("KASSA_APPROVER_PIN", "1234");
    let credit = json(post_void);
    assert_eq!(credit["status"], "paying", "{credit}");
    let pending = credit["tenders"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["status"] == "pending")
        .expect("a pending card refund");
    let tender = pending["id"].as_i64().unwrap().to_string();
    let (_, err) = fails(
        w.as_cashier(&["sale", "new", "--item", "SOAP-1", "--cash", "50"]),
        CONFLICT,
    );
    assert!(err.contains(&format!("kassa sale resolve {tender}")), "{err}");
    // The post-void's process has ended, so its card refund's outcome is unknown: marking
    // it approved needs a manager.
    let (_, err) = fails(
        w.as_cashier(&["sale", "resolve", &tender, "--approved"]),
        FORBIDDEN,
    );
    assert!(err.contains("a manager must approve"), "{err}");
    let mut resolve = w.as_cashier(&["sale", "resolve", &tender, "--approved", "--approver", "manager"]);
    resolve.env("KASSA_APPROVER_PIN", "1234");
    let settled = json(resolve);
    assert_eq!(settled["status"], "completed", "{settled}");
    assert_eq!(settled["receiptNo"], 2);
    fails(
        w.as_cashier(&["sale", "resolve", &tender, "--approved"]),
        CONFLICT,
    );

    // Nothing is left open: the shift closes, and both voids are on the Z report.
    let z = json(w.as_cashier(&["shift", "close", "--counted", "500"]));
    assert_eq!(z["voids"]["count"], 2, "{z}");
    assert_eq!(z["postVoids"]["count"], 1, "{z}");
    ok(w.as_cashier(&["journal", "verify"]));
}

#[test]
fn journal_verify_names_a_tampered_record() {
    let w = World::installed();
    w.import_catalog();
    ok(w.as_cashier(&["shift", "open", "--float", "100"]));
    ok(w.as_cashier(&["sale", "new", "--item", "BREAD-1", "--cash", "50"]));
    ok(w.as_cashier(&["journal", "verify"]));
    {
        // As an attacker with the sqlite3 tool: through a connection of its own.
        let conn = rusqlite::Connection::open(&w.db).unwrap();
        for trigger in ["journal_no_update", "journal_no_delete"] {
            conn.execute_batch(&format!("DROP TRIGGER IF EXISTS {trigger}"))
                .unwrap();
        }
        let changed = conn
            .execute(
                "UPDATE journal SET canonical = CAST(replace(CAST(canonical AS TEXT), '32.50', '3.25') AS BLOB) \
                 WHERE kind = 'sale'",
                [],
            )
            .unwrap();
        assert_eq!(changed, 1);
    }
    let (_, err) = fails(w.as_cashier(&["journal", "verify"]), DATABASE);
    assert!(err.contains("journal record"), "{err}");
}

#[test]
fn typed_amounts_follow_the_installation_language_unless_a_locale_is_given() {
    let w = World::installed();
    // The installation speaks English: "1 000,00" is no English number.
    let (_, err) = fails(
        w.as_cashier(&["--json", "shift", "open", "--float", "1 000,00"]),
        VALIDATION,
    );
    let api: Value = serde_json::from_str(err.trim()).expect("JSON error");
    assert_eq!(api["code"], "invalid_number", "{api}");
    assert_eq!(api["field"], "float", "{api}");
    assert!(api["message"].as_str().unwrap().contains("'1 000,00'"), "{api}");
    // Nothing was opened: the X report finds no shift, a case of its own within conflicts.
    let (_, err) = fails(w.as_cashier(&["--json", "shift", "x-report"]), CONFLICT);
    let api: Value = serde_json::from_str(err.trim()).expect("JSON error");
    assert_eq!(api["code"], "no_open_shift", "{api}");

    let shift = json(w.as_cashier(&["--locale", "sv", "shift", "open", "--float", "1 000,00"]));
    assert_eq!(shift["float"], "1000.00");
}

/// The status of one tender, read straight from the database file.
fn tender_status(w: &World, tender: &str) -> String {
    rusqlite::Connection::open(&w.db)
        .unwrap()
        .query_row("SELECT status FROM tenders WHERE id = ?1", [tender], |r| r.get(0))
        .unwrap()
}

/// A card payment pending in a running process (`kassa_sale_loop --pending-card`, the
/// crash tests' child, waiting for a terminal that never answers) is that process's: a
/// `kassa` run meanwhile neither marks it unknown nor answers it. Once the process is
/// killed, the next run finds it lost, and `sale resolve` reconciles it with a manager.
#[test]
fn a_pending_card_payment_is_its_process_until_it_dies_then_sale_resolve_reconciles_it() {
    use std::io::BufRead;
    use std::process::{Command, Stdio};

    let w = World::installed();
    let csv = w.file(
        "coffee.csv",
        "sku,name,vat,store,price,barcodes\nC-KAFFE,Kaffe,12%,Malmö C,24.90,\n",
    );
    ok(w.as_manager(&["product", "import", &csv, "--yes"]));
    let mut child = Command::new(env!("CARGO_BIN_EXE_kassa_sale_loop"))
        .arg(&w.db)
        .arg("--pending-card")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start kassa_sale_loop");
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let tender = line
        .trim()
        .strip_prefix("pending ")
        .unwrap_or_else(|| panic!("expected 'pending <tender id>', got {line:?}"))
        .to_owned();

    let approved_by_manager = || {
        let mut cmd = w.as_cashier(&["sale", "resolve", &tender, "--approved", "--approver", "manager"]);
        cmd.env("KASSA_APPROVER_PIN", "1234");
        cmd
    };
    // While the child runs, its payment stays pending and is answered only there.
    let (_, err) = fails(approved_by_manager(), CONFLICT);
    assert!(err.contains("another Kassa that is running"), "{err}");
    assert_eq!(tender_status(&w, &tender), "pending");
    let (_, err) = fails(
        w.as_cashier(&["sale", "new", "--item", "C-KAFFE", "--cash", "50"]),
        CONFLICT,
    );
    assert!(err.contains(&format!("kassa sale resolve {tender}")), "{err}");
    assert_eq!(tender_status(&w, &tender), "pending");

    // Child::kill is SIGKILL: no destructor runs, the lock goes with the process.
    child.kill().unwrap();
    child.wait().unwrap();
    let (_, err) = fails(
        w.as_cashier(&["sale", "resolve", &tender, "--approved"]),
        FORBIDDEN,
    );
    assert!(err.contains("a manager must approve"), "{err}");
    assert_eq!(
        tender_status(&w, &tender),
        "unknown",
        "found lost by the next run"
    );
    let settled = json(approved_by_manager());
    assert_eq!(settled["status"], "completed", "{settled}");
    assert_eq!(tender_status(&w, &tender), "approved");
    ok(w.as_cashier(&["journal", "verify"]));
}
