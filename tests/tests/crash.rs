//! Crash tests: a child process (`kassa_sale_loop`, a binary of this package) sells in a
//! loop against a real SQLite file and reports each committed receipt number on stdout;
//! the test SIGKILLs it at random points — synchronised on what it printed, never on
//! time — and then reopens the database with kassa-app and checks what survived.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdout, Command, Stdio};
use std::sync::Arc;

use kassa_app::{ErrorCode, Kassa, ProductInput, SaleStatus, SaleUnit, StorePrice, SystemClock, VatCategory};
use rusqlite::Connection;

/// The demo database with the three products the child sells, bound to Till 1 in Malmö C.
fn prepare(dir: &Path) -> PathBuf {
    let path = dir.join("kassa.sqlite3");
    let kassa = Kassa::create_demo(&path, Arc::new(SystemClock)).unwrap();
    let manager = kassa.login("manager", "1234").unwrap().0;
    let malmo = kassa
        .list_stores(&manager)
        .unwrap()
        .iter()
        .find(|s| s.name == "Malmö C")
        .unwrap()
        .id;
    for (sku, price, vat) in [
        ("C-KAFFE", "24.90", VatCategory::Reduced),
        ("C-BULLE", "32.50", VatCategory::Reduced),
        ("C-KOPP", "149.00", VatCategory::Standard),
    ] {
        let input = ProductInput {
            sku: sku.into(),
            name: sku.into(),
            category: Some("Test".into()),
            vat_category: vat,
            unit: SaleUnit::Each,
            active: true,
            barcodes: vec![],
            prices: vec![StorePrice {
                store_id: malmo,
                price: price.into(),
                currency: String::new(),
            }],
        };
        kassa.save_product(&manager, None, &input).unwrap();
    }
    path
}

/// The demo database bound instead to a till selling in CAD ("Caisse 1" of a store of
/// the demo brand; Sweden's VAT table, as Kassa has no Canadian one), the test catalog
/// priced there, and the cashier given a Flexiti employee id.
fn prepare_cad(dir: &Path) -> PathBuf {
    let path = dir.join("kassa.sqlite3");
    let kassa = Kassa::create_demo(&path, Arc::new(SystemClock)).unwrap();
    let manager = kassa.login("manager", "1234").unwrap().0;
    let brand_id = kassa.list_stores(&manager).unwrap()[0].brand_id;
    let store = kassa
        .create_store(
            &manager,
            &kassa_app::StoreInput {
                brand_id,
                name: "CAD outlet".into(),
                country: "SE".into(),
                address: "Stortorget 2, 211 22 Malmö".into(),
                place: kassa_app::Place::Real,
                latitude: None,
                longitude: None,
                currency: "CAD".into(),
                time_zone: "Europe/Stockholm".into(),
                vat_number: None,
            },
        )
        .unwrap();
    let pos = kassa
        .create_pos_device(
            &manager,
            &kassa_app::PosDeviceInput {
                store_id: store.id,
                name: "Caisse 1".into(),
                device_type: kassa_app::DeviceType::Till,
                external_ids: vec![],
                terminal: None,
                printer: None,
            },
        )
        .unwrap();
    kassa.bind_installation(&manager, pos.id).unwrap();
    for (sku, price, vat) in [
        ("C-KAFFE", "4.50", VatCategory::Reduced),
        ("C-BULLE", "5.25", VatCategory::Reduced),
        ("C-KOPP", "19.00", VatCategory::Standard),
    ] {
        let input = ProductInput {
            sku: sku.into(),
            name: sku.into(),
            category: Some("Test".into()),
            vat_category: vat,
            unit: SaleUnit::Each,
            active: true,
            barcodes: vec![],
            prices: vec![StorePrice {
                store_id: store.id,
                price: price.into(),
                currency: String::new(),
            }],
        };
        kassa.save_product(&manager, None, &input).unwrap();
    }
    let cashier = kassa
        .list_users(&manager)
        .unwrap()
        .into_iter()
        .find(|u| u.name == "cashier")
        .unwrap();
    kassa
        .set_user_flexiti_employee(&manager, cashier.id, Some("12345-SMITH"))
        .unwrap();
    path
}

fn spawn(db: &Path, extra: &[&str]) -> (Child, BufReader<ChildStdout>) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_kassa_sale_loop"))
        .arg(db)
        .args(extra)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start kassa_sale_loop");
    let out = BufReader::new(child.stdout.take().unwrap());
    (child, out)
}

/// Reads one line the child printed; a child that exits instead fails the test.
fn read_line(child: &mut Child, out: &mut BufReader<ChildStdout>) -> String {
    let mut line = String::new();
    let n = out.read_line(&mut line).unwrap();
    if n == 0 {
        let status = child.wait().unwrap();
        panic!("kassa_sale_loop ended before printing a line: {status}");
    }
    line.trim_end().to_owned()
}

fn sigkill(mut child: Child) {
    // Child::kill sends SIGKILL on Unix: no destructor, no rollback, no flush runs.
    child.kill().unwrap();
    let status = child.wait().unwrap();
    use std::os::unix::process::ExitStatusExt;
    assert_eq!(status.signal(), Some(libc::SIGKILL), "{status}");
}

/// Receipt numbers of every POS are exactly 1..=N, and the counter says N.
fn assert_receipts_gapless(conn: &Connection) {
    let pos: Vec<i64> = conn
        .prepare("SELECT DISTINCT pos_id FROM sales")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    for p in pos {
        let nos: Vec<i64> = conn
            .prepare("SELECT receipt_no FROM sales WHERE pos_id = ?1 AND receipt_no IS NOT NULL ORDER BY receipt_no")
            .unwrap()
            .query_map([p], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(
            nos,
            (1..=nos.len() as i64).collect::<Vec<_>>(),
            "receipt numbers of POS {p}"
        );
        let counter: i64 = conn
            .query_row(
                "SELECT coalesce(max(last_no), 0) FROM receipt_counters WHERE pos_id = ?1",
                [p],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(counter, nos.len() as i64, "receipt counter of POS {p}");
    }
}

fn assert_journal_ok(kassa: &Kassa) {
    let cashier = kassa.login("cashier", "2222").unwrap().0;
    let report = kassa.verify_journal(&cashier).unwrap();
    assert!(report.ok, "{report:?}");
}

/// A small xorshift seeded from the clock (or `KASSA_CRASH_SEED`), printed so a failing
/// run can be repeated.
fn rng() -> impl FnMut() -> u64 {
    let seed = std::env::var("KASSA_CRASH_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos() as u64
        });
    eprintln!("KASSA_CRASH_SEED={seed}");
    let mut state = seed | 1;
    move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    }
}

#[test]
fn sales_reported_before_a_sigkill_survive_it_without_receipt_gaps() {
    let dir = tempfile::tempdir().unwrap();
    let db = prepare(dir.path());
    let mut next = rng();
    let mut reported: Vec<i64> = Vec::new();
    let mut mid_sale = 0;
    for round in 0..50 {
        let (mut child, mut out) = spawn(&db, &[]);
        let k = 1 + next() % 5;
        for _ in 0..k {
            let no: i64 = read_line(&mut child, &mut out).parse().expect("a receipt number");
            if let Some(&last) = reported.last() {
                assert!(no > last, "round {round}: receipt {no} reported after {last}");
            }
            reported.push(no);
        }
        sigkill(child);

        // Reopen as the app would after the crash.
        let kassa = Kassa::open(&db).unwrap();
        let manager = kassa.login("manager", "1234").unwrap().0;
        assert!(kassa.integrity_problems(&manager).unwrap().is_empty());
        let conn = Connection::open(&db).unwrap();
        for &no in &reported {
            let (kind, status): (String, String) = conn
                .query_row(
                    "SELECT kind, status FROM sales WHERE receipt_no = ?1 \
                     AND pos_id = (SELECT CAST(value AS INTEGER) FROM settings WHERE key = 'bound_pos_id')",
                    [no],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .unwrap_or_else(|e| {
                    panic!("round {round}: reported receipt {no} is not in the database: {e}")
                });
            assert_eq!(
                (kind.as_str(), status.as_str()),
                ("sale", "completed"),
                "receipt {no}"
            );
        }
        assert_receipts_gapless(&conn);
        assert_journal_ok(&kassa);
        // Informational: a kill that lands between add_item and pay_cash leaves an open
        // sale (the next child continues it).
        let open: i64 = conn
            .query_row("SELECT count(*) FROM sales WHERE status = 'open'", [], |r| {
                r.get(0)
            })
            .unwrap();
        mid_sale += i64::from(open > 0);
    }
    eprintln!(
        "{} receipts reported; {mid_sale} of 50 kills left a sale open",
        reported.len()
    );
    assert!(reported.len() >= 50);
}

#[test]
fn a_card_payment_pending_at_a_sigkill_comes_back_unknown_and_is_resolved_once() {
    let dir = tempfile::tempdir().unwrap();
    let db = prepare(dir.path());
    let (mut child, mut out) = spawn(&db, &["--pending-card"]);
    let line = read_line(&mut child, &mut out);
    let tender: i64 = line
        .strip_prefix("pending ")
        .and_then(|t| t.parse().ok())
        .unwrap_or_else(|| panic!("expected 'pending <tender id>', got {line:?}"));
    // The child is now blocked on its stdin, which this test still holds open.
    sigkill(child);

    // Opening finds the payment the killed child left pending and marks it unknown.
    let kassa = Kassa::open(&db).unwrap();
    assert_eq!(kassa.mark_interrupted_payments().unwrap(), 0, "already marked");
    let cashier = kassa.login("cashier", "2222").unwrap().0;
    let sale = kassa
        .current_sale(&cashier)
        .unwrap()
        .expect("the interrupted sale");
    assert_eq!(sale.status, SaleStatus::Unknown);
    assert!(sale.tenders.iter().any(|t| t.id == tender));
    let err = kassa
        .add_item(&cashier, "C-KAFFE", None)
        .expect_err("the till is blocked");
    assert_eq!(err.code(), ErrorCode::PaymentUnresolved, "{err}");
    let manager = kassa_app::ManagerApproval {
        name: "manager".into(),
        pin: "1234".into(),
    };
    let done = kassa
        .resolve_unknown_payment(&cashier, tender, true, Some(&manager))
        .unwrap();
    assert_eq!(done.status, SaleStatus::Completed);
    let receipt = done.receipt_no.expect("a receipt number once approved");
    let err = kassa
        .resolve_unknown_payment(&cashier, tender, true, Some(&manager))
        .expect_err("resolved only once");
    assert_eq!(err.code(), ErrorCode::Conflict, "{err}");
    assert_eq!(kassa.mark_interrupted_payments().unwrap(), 0);

    let conn = Connection::open(&db).unwrap();
    let approved: i64 = conn
        .query_row(
            "SELECT count(*) FROM tenders WHERE id = ?1 AND status = 'approved'",
            [tender],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(approved, 1);
    let (kind, status): (String, String) = conn
        .query_row(
            "SELECT kind, status FROM sales WHERE id = ?1 AND receipt_no = ?2",
            rusqlite::params![done.id, receipt],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!((kind.as_str(), status.as_str()), ("sale", "completed"));
    assert_receipts_gapless(&conn);
    assert_journal_ok(&kassa);
    // The till sells again.
    kassa.add_item(&cashier, "C-KAFFE", None).unwrap();
}

/// Items in the sale as the database has it, counted over its lines.
fn items_in_sale(conn: &Connection, sale_id: i64) -> i64 {
    conn.query_row(
        "SELECT coalesce(sum(CAST(quantity AS INTEGER)), 0) FROM sale_lines WHERE sale_id = ?1",
        [sale_id],
        |r| r.get(0),
    )
    .unwrap()
}

/// Scans commit without an fsync (a power cut may lose them until the payment's fsync),
/// but a crash of the process must not: every scan the child reported is still in the
/// open sale after SIGKILL, and the next run continues that sale.
#[test]
fn scans_reported_before_a_sigkill_survive_it() {
    let dir = tempfile::tempdir().unwrap();
    let db = prepare(dir.path());
    let mut next = rng();
    let mut sale_id: Option<i64> = None;
    for round in 0..20 {
        let (mut child, mut out) = spawn(&db, &["--scan-then-wait"]);
        // Sometimes the kill lands while the child is still scanning.
        let k = 1 + next() % 3;
        let mut reported = (0, 0);
        for _ in 0..k {
            let line = read_line(&mut child, &mut out);
            let fields: Vec<i64> = line
                .strip_prefix("scanned ")
                .map(|rest| rest.split(' ').map(|f| f.parse().unwrap()).collect())
                .unwrap_or_else(|| panic!("expected 'scanned <sale> <items>', got {line:?}"));
            reported = (fields[0], fields[1]);
        }
        sigkill(child);
        let (id, items) = reported;
        if let Some(before) = sale_id {
            assert_eq!(
                id, before,
                "round {round}: the open sale is continued, not replaced"
            );
        }
        sale_id = Some(id);

        let kassa = Kassa::open(&db).unwrap();
        let manager = kassa.login("manager", "1234").unwrap().0;
        assert!(kassa.integrity_problems(&manager).unwrap().is_empty());
        let cashier = kassa.login("cashier", "2222").unwrap().0;
        let sale = kassa
            .current_sale(&cashier)
            .unwrap()
            .unwrap_or_else(|| panic!("round {round}: the scanned sale {id} did not survive"));
        assert_eq!((sale.id, sale.status), (id, SaleStatus::Open), "round {round}");
        let conn = Connection::open(&db).unwrap();
        let stored = items_in_sale(&conn, id);
        // Scans after the last one read may have committed too, never fewer.
        assert!(
            (items..=items + 3 - k as i64).contains(&stored),
            "round {round}: {items} items reported, {stored} stored"
        );
    }
    // The surviving sale is paid as usual, with every item scanned across the crashes.
    let kassa = Kassa::open(&db).unwrap();
    let cashier = kassa.login("cashier", "2222").unwrap().0;
    let id = sale_id.unwrap();
    let conn = Connection::open(&db).unwrap();
    let items = items_in_sale(&conn, id);
    let paid = kassa.pay_cash(&cashier, id, "100000").unwrap();
    assert_eq!(paid.status, SaleStatus::Completed);
    assert_eq!(items_in_sale(&conn, id), items);
    assert_receipts_gapless(&conn);
    assert_journal_ok(&kassa);
}

/// The demo database of `prepare` with Till 1's `provider` account on the emulator.
fn prepare_provider(
    dir: &Path,
    sandbox: &kassa_sandbox::BackgroundSandbox,
    provider: kassa_app::Provider,
) -> PathBuf {
    let flexiti = provider == kassa_app::Provider::Flexiti;
    let path = if flexiti { prepare_cad(dir) } else { prepare(dir) };
    let kassa = Kassa::open(&path).unwrap();
    let manager = kassa.login("manager", "1234").unwrap().0;
    let till = if flexiti { "Caisse 1" } else { "Till 1" };
    let pos = kassa
        .list_pos_devices(&manager, None, false)
        .unwrap()
        .into_iter()
        .find(|d| d.name == till)
        .unwrap()
        .id;
    let (emulated, settings, secrets): (_, &[(&str, &str)], &[&str]) = match provider {
        kassa_app::Provider::Swip => (
            kassa_sandbox::Provider::Swip,
            kassa_sandbox::swip::DEMO_SETTINGS,
            &["token"],
        ),
        kassa_app::Provider::Flexiti => (
            kassa_sandbox::Provider::Flexiti,
            kassa_sandbox::flexiti::DEMO_SETTINGS,
            &["api_key"],
        ),
        _ => (
            kassa_sandbox::Provider::Vourity,
            kassa_sandbox::vourity::DEMO_SETTINGS,
            &["api_key", "subscription_key"],
        ),
    };
    let mut input = kassa_app::ProviderAccountInput {
        base_url: sandbox.sandbox().emulator(emulated).base_url(),
        ..Default::default()
    };
    for (key, value) in settings {
        let value = match *key {
            // The till sells in kronor; the SWiP merchant account is set to match.
            "currency" => "SEK",
            other => {
                if secrets.contains(&other) {
                    input.secrets.insert(other.to_owned(), (*value).to_owned());
                    continue;
                }
                value
            }
        };
        input.values.insert((*key).to_owned(), value.to_owned());
    }
    kassa
        .set_provider_account(&manager, pos, provider, input)
        .unwrap();
    path
}

/// The customer: pays the SWiP order behind `qr` in the app, or approves the card
/// payment pending on the Vourity terminal; or (`pays: false`) walks away, which SWiP
/// ends by timing the order out and the terminal by declining. A payment no longer there
/// (reconciled away after a kill) is left alone.
fn customer_acts(
    sandbox: &kassa_sandbox::BackgroundSandbox,
    provider: kassa_app::Provider,
    qr: &str,
    pays: bool,
) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let http = reqwest::Client::new();
        match provider {
            // The customer gave the account number at the till: nothing more to do.
            kassa_app::Provider::Flexiti => {}
            kassa_app::Provider::Swip => {
                let origin = sandbox.sandbox().emulator(kassa_sandbox::Provider::Swip).origin();
                let orders: serde_json::Value = http
                    .get(format!("{origin}/_sandbox/orders"))
                    .send()
                    .await
                    .unwrap()
                    .json()
                    .await
                    .unwrap();
                if let Some(order) = orders.as_array().unwrap().iter().find(|o| o["sessionCode"] == qr) {
                    let id = order["id"].as_str().unwrap();
                    let what = if pays { "pay" } else { "abandon" };
                    http.post(format!("{origin}/_sandbox/orders/{id}/{what}"))
                        .json(&serde_json::json!({}))
                        .send()
                        .await
                        .unwrap();
                }
            }
            _ => {
                let origin = sandbox
                    .sandbox()
                    .emulator(kassa_sandbox::Provider::Vourity)
                    .origin();
                let pos = kassa_sandbox::vourity::POINT_OF_SERVICE_ID;
                let what = if pays { "approve" } else { "decline" };
                http.post(format!("{origin}/_sandbox/vourity/terminal/{pos}/{what}"))
                    .send()
                    .await
                    .unwrap();
            }
        }
    });
}

/// What the provider took, per Kassa payment reference, from the emulator's own log.
fn taken_by_provider(
    sandbox: &kassa_sandbox::BackgroundSandbox,
    provider: kassa_app::Provider,
) -> std::collections::BTreeMap<String, i64> {
    let cents = |text: &str| -> i64 {
        let (whole, fraction) = text.split_once('.').unwrap_or((text, "0"));
        whole.parse::<i64>().unwrap() * 100 + format!("{fraction:0<2}")[..2].parse::<i64>().unwrap()
    };
    let mut taken = std::collections::BTreeMap::new();
    match provider {
        kassa_app::Provider::Flexiti => {
            // Flexiti's own lists, by the reference Kassa sent: one authorization and one
            // capture at most per payment.
            let emulator = sandbox.sandbox().emulator(kassa_sandbox::Provider::Flexiti);
            let harness = emulator.harness();
            let base = format!(
                "{}/client-id/{}",
                emulator.base_url(),
                kassa_sandbox::flexiti::DEMO_CLIENT_ID
            );
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            let list = |what: &str| -> Vec<serde_json::Value> {
                runtime.block_on(async {
                    let mut all = Vec::new();
                    for page in 1.. {
                        let answer: serde_json::Value = reqwest::Client::new()
                            .get(format!("{base}/{what}"))
                            .query(&[("page_size", "100".to_owned()), ("page_number", page.to_string())])
                            .bearer_auth(kassa_sandbox::flexiti::DEMO_API_KEY)
                            .header("x-reference-id", format!("crash-read-{what}-{page}"))
                            .send()
                            .await
                            .unwrap()
                            .json()
                            .await
                            .unwrap();
                        let items = answer[what].as_array().unwrap().clone();
                        let done = items.len() < 100;
                        all.extend(items);
                        if done {
                            break;
                        }
                    }
                    all
                })
            };
            let authorizations = list("authorizations");
            assert_eq!(
                authorizations.len(),
                harness.changes("authorization_opened").len()
            );
            let mut seen = std::collections::BTreeSet::new();
            for authorization in &authorizations {
                let reference = authorization["reference"].as_str().unwrap_or_default().to_owned();
                assert!(
                    seen.insert(reference.clone()),
                    "Flexiti authorized {reference} twice"
                );
            }
            for capture in list("captures") {
                let reference = capture["reference"].as_str().unwrap_or_default().to_owned();
                let amount = cents(&capture["amount"].to_string());
                assert!(
                    taken.insert(reference.clone(), amount).is_none(),
                    "Flexiti captured {reference} twice"
                );
            }
        }
        kassa_app::Provider::Swip => {
            let harness = sandbox
                .sandbox()
                .emulator(kassa_sandbox::Provider::Swip)
                .harness();
            let created = harness.changes("order_created");
            for close in harness.changes("order_closed") {
                let order = &close["order"];
                let reference = order["merchantOrderId"].as_str().unwrap().to_owned();
                let amount = cents(order["closeAmount"].as_str().unwrap());
                assert!(
                    taken.insert(reference.clone(), amount).is_none(),
                    "SWiP closed order {reference} twice"
                );
            }
            let mut seen = std::collections::BTreeSet::new();
            for order in created {
                let reference = order["merchantOrderId"].as_str().unwrap_or_default().to_owned();
                assert!(
                    seen.insert(reference.clone()),
                    "SWiP order {reference} created twice"
                );
            }
        }
        _ => {
            let harness = sandbox
                .sandbox()
                .emulator(kassa_sandbox::Provider::Vourity)
                .harness();
            let mut requested = std::collections::BTreeSet::new();
            for request in harness.changes("payment_requested") {
                let session = request["sessionID"].as_str().unwrap().to_owned();
                assert!(
                    requested.insert(session.clone()),
                    "session {session} requested twice"
                );
            }
            for capture in harness.changes("payment_captured") {
                let reference = capture["paymentId"].as_str().unwrap().to_owned();
                let amount = cents(capture["totalAmountInclVat"].as_str().unwrap());
                assert!(
                    taken.insert(reference.clone(), amount).is_none(),
                    "Vourity captured payment {reference} twice"
                );
            }
        }
    }
    taken
}

/// ≥ 30 SIGKILLs (KASSA_CRASH_KILLS for more) of a child paying through `provider`, at
/// points chosen at random among what it reports; then the sandbox and the database agree.
fn provider_payments_survive_sigkills(provider: kassa_app::Provider, name: &str) {
    let dir = tempfile::tempdir().unwrap();
    let sandbox = kassa_sandbox::BackgroundSandbox::start(kassa_sandbox::Ports::Ephemeral).unwrap();
    let db = prepare_provider(dir.path(), &sandbox, provider);
    let kills: usize = std::env::var("KASSA_CRASH_KILLS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(30)
        .max(30);
    let mut next = rng();
    for _ in 0..kills {
        let (mut child, mut out) = spawn(&db, &["--provider", name]);
        // Kill after one to four reports; the customer pays (most of the time) as soon as
        // the payment is shown, so kills land before, during and after paying.
        let reports = 1 + next() % 4;
        for _ in 0..reports {
            let line = read_line(&mut child, &mut out);
            if let Some(rest) = line.strip_prefix("waiting ") {
                let qr = rest.split_once(' ').map(|(_, qr)| qr).unwrap_or("-");
                customer_acts(&sandbox, provider, qr, !next().is_multiple_of(5));
            }
        }
        sigkill(child);
    }

    // Opening reconciles what the last kill left; anything still unknown is asked again.
    let kassa = Kassa::open(&db).unwrap();
    let cashier = kassa.login("cashier", "2222").unwrap().0;
    if let Some(sale) = kassa.current_sale(&cashier).unwrap() {
        for tender in sale
            .tenders
            .iter()
            .filter(|t| t.status == kassa_app::TenderStatus::Unknown)
        {
            kassa.reconcile_payment(&cashier, tender.id).unwrap();
        }
    }
    let conn = Connection::open(&db).unwrap();
    let method = provider.as_str();
    let unresolved: i64 = conn
        .query_row(
            "SELECT count(*) FROM tenders WHERE method = ?1 AND status IN ('pending', 'unknown')",
            [method],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(unresolved, 0, "every {name} payment reached a final state");
    let approved: std::collections::BTreeMap<String, i64> = conn
        .prepare("SELECT reference, amount_minor FROM tenders WHERE method = ?1 AND status = 'approved'")
        .unwrap()
        .query_map([method], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let taken: std::collections::BTreeMap<String, i64> = taken_by_provider(&sandbox, provider)
        .into_iter()
        .filter(|(_, amount)| *amount > 0)
        .collect();
    assert_eq!(
        taken, approved,
        "what {name} took and what Kassa recorded as paid"
    );
    let overpaid: i64 = conn
        .query_row(
            "SELECT count(*) FROM sales s WHERE kind = 'sale' AND \
             (SELECT coalesce(sum(amount_minor), 0) FROM tenders t WHERE t.sale_id = s.id AND t.status = 'approved') \
             > s.total_minor + s.rounding_minor",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(overpaid, 0, "no sale was paid more than its total");
    assert_receipts_gapless(&conn);
    assert_journal_ok(&kassa);
    eprintln!(
        "{kills} SIGKILLs paying through {name}: {} payments taken at {name}, {} approved in Kassa",
        taken.len(),
        approved.len()
    );
}

#[test]
fn swip_payments_killed_at_random_points_are_charged_at_most_once() {
    provider_payments_survive_sigkills(kassa_app::Provider::Swip, "swip");
}

#[test]
fn vourity_payments_killed_at_random_points_are_charged_at_most_once() {
    provider_payments_survive_sigkills(kassa_app::Provider::Vourity, "vourity");
}

#[test]
fn flexiti_payments_killed_at_random_points_are_charged_at_most_once() {
    provider_payments_survive_sigkills(kassa_app::Provider::Flexiti, "flexiti");
}
