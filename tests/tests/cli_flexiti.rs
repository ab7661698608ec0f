//! `kassa sale new --flexiti`, the Flexiti id commands and `kassa sale resolve`, the real
//! binary against the Flexiti emulator over loopback at a till selling in CAD.

mod common;

use common::exit::{CONFLICT, FORBIDDEN};
use common::{World, fails, json, ok};
use kassa_sandbox::{BackgroundSandbox, Fault, FaultRule, Ports, Provider};

fn with_file_secrets(mut cmd: assert_cmd::Command) -> assert_cmd::Command {
    cmd.env("KASSA_SECRETS", "file");
    cmd
}

/// The demo database bound to "Caisse 1" of a store selling in CAD (Sweden's VAT table:
/// Kassa has none for Canada), two products priced there, Flexiti pointed at the
/// emulator, the cashier's Flexiti id set, and the cashier's shift open.
fn cad_till(sandbox: &BackgroundSandbox) -> World {
    let w = World::new();
    ok(with_file_secrets(w.kassa(&["demo"])));
    let manager = |args: &[&str]| ok(with_file_secrets(w.as_manager(args)));
    manager(&[
        "store",
        "add",
        "--brand",
        "Nordljus",
        "--name",
        "CAD outlet",
        "--country",
        "SE",
        "--currency",
        "CAD",
        "--time-zone",
        "Europe/Stockholm",
    ]);
    manager(&["pos", "add", "--store", "CAD outlet", "--name", "Caisse 1"]);
    manager(&["pos", "bind", "Caisse 1"]);
    let csv = w.path("cad.csv");
    std::fs::write(
        &csv,
        "sku,name,vat,store,price\nFLX-1,Coffee,standard,CAD outlet,4.50\nFLX-TV,Television,standard,CAD outlet,149.00\n",
    )
    .unwrap();
    manager(&["product", "import", csv.to_str().unwrap(), "--yes"]);
    let base_url = sandbox.sandbox().emulator(Provider::Flexiti).base_url();
    let mut cmd = with_file_secrets(w.as_manager(&[
        "provider",
        "set",
        "flexiti",
        "--pos",
        "Caisse 1",
        "--base-url",
        &base_url,
        "--secret",
        "api_key",
        "client_id=kassa-demo",
        "location_id=00-12345",
    ]));
    cmd.env("KASSA_SECRET_API_KEY", kassa_sandbox::flexiti::DEMO_API_KEY);
    ok(cmd);
    manager(&["store", "set-flexiti-location", "CAD outlet", "00-77777"]);
    manager(&["user", "set-flexiti-employee", "cashier", "12345-SMITH"]);
    ok(with_file_secrets(w.as_user(
        "cashier",
        "2222",
        &["shift", "open", "--float", "100"],
    )));
    w
}

fn changes(sandbox: &BackgroundSandbox, what: &str) -> Vec<serde_json::Value> {
    sandbox
        .sandbox()
        .emulator(Provider::Flexiti)
        .harness()
        .changes(what)
}

fn cashier(w: &World, args: &[&str]) -> assert_cmd::Command {
    with_file_secrets(w.as_user("cashier", "2222", args))
}

#[test]
fn flexiti_sales_from_the_command_line_by_authorization_and_by_purchase() {
    let sandbox = BackgroundSandbox::start(Ports::Ephemeral).unwrap();
    let w = cad_till(&sandbox);
    let sale = json(cashier(
        &w,
        &["sale", "new", "--item", "FLX-1", "--flexiti", "12341234"],
    ));
    assert_eq!(sale["status"], "completed", "{sale}");
    assert_eq!(sale["tenders"][0]["method"], "flexiti");
    let sale = json(cashier(
        &w,
        &[
            "sale",
            "new",
            "--item",
            "FLX-1",
            "--flexiti",
            "12341234",
            "--flexiti-purchase",
        ],
    ));
    assert_eq!(sale["status"], "completed", "{sale}");
    // Two payments: two authorizations (one by the purchase), two captures.
    assert_eq!(changes(&sandbox, "authorization_opened").len(), 2);
    assert_eq!(changes(&sandbox, "capture_made").len(), 2);

    // Declined for want of credit: the command fails and says why, nothing is captured.
    let (_, err) = fails(
        cashier(&w, &["sale", "new", "--item", "FLX-TV", "--flexiti", "55550000"]),
        CONFLICT,
    );
    assert!(err.contains("****0000 does not have 149.00 CAD"), "{err}");
    assert_eq!(changes(&sandbox, "capture_made").len(), 2);

    // Only a manager sets the ids.
    fails(
        cashier(&w, &["user", "set-flexiti-employee", "cashier", "ME"]),
        FORBIDDEN,
    );
}

#[test]
fn a_lost_capture_is_reconciled_by_resolve_and_captured_once() {
    let sandbox = BackgroundSandbox::start(Ports::Ephemeral).unwrap();
    let w = cad_till(&sandbox);
    sandbox
        .sandbox()
        .emulator(Provider::Flexiti)
        .harness()
        .add_fault(FaultRule {
            method: Some("POST".into()),
            path: "/flexiti/pos-api/v2.5.1/client-id/*/authorization/*/capture".into(),
            fault: Fault::Drop { after_commit: true },
            times: Some(1),
        });
    let (_, err) = fails(
        cashier(&w, &["sale", "new", "--item", "FLX-1", "--flexiti", "12341234"]),
        CONFLICT,
    );
    assert!(err.contains("kassa sale resolve"), "{err}");
    let tender: i64 = err
        .split("kassa sale resolve ")
        .nth(1)
        .and_then(|rest| rest.split(|c: char| !c.is_ascii_digit()).next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no tender id in: {err}"));
    let view = json(cashier(&w, &["sale", "resolve", &tender.to_string()]));
    assert_eq!(view["status"], "completed", "{view}");
    assert_eq!(changes(&sandbox, "capture_made").len(), 1, "captured once");
    assert_eq!(
        changes(&sandbox, "request_replayed").len(),
        1,
        "answered from the reference"
    );
}
