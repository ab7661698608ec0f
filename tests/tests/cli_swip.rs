//! `kassa sale new --swip` and `kassa sale resolve`, the real binary against the SWiP
//! emulator over loopback: the customer pays while the command waits, and a payment
//! whose answer was lost is reconciled, never created again.

mod common;

use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::exit::CONFLICT;
use common::{World, fails, json, kassa_bin, ok};
use kassa_sandbox::{BackgroundSandbox, Fault, FaultRule, Ports, Provider};

fn with_file_secrets(mut cmd: assert_cmd::Command) -> assert_cmd::Command {
    cmd.env("KASSA_SECRETS", "file");
    cmd
}

/// The demo database with Till 1's SWiP account pointed at the emulator (in kronor, as
/// the till sells) and the cashier's shift open.
fn demo(sandbox: &BackgroundSandbox) -> World {
    let w = World::new();
    ok(with_file_secrets(w.kassa(&["demo"])));
    let base_url = sandbox.sandbox().emulator(Provider::Swip).base_url();
    let values: Vec<String> = kassa_sandbox::swip::DEMO_SETTINGS
        .iter()
        .filter(|(key, _)| *key != "token")
        .map(|(key, value)| match *key {
            "currency" => "currency=SEK".to_owned(),
            _ => format!("{key}={value}"),
        })
        .collect();
    let mut args = vec![
        "provider",
        "set",
        "swip",
        "--pos",
        "Till 1",
        "--base-url",
        &base_url,
        "--secret",
        "token",
    ];
    args.extend(values.iter().map(String::as_str));
    let mut cmd = with_file_secrets(w.as_manager(&args));
    cmd.env("KASSA_SECRET_TOKEN", kassa_sandbox::swip::DEMO_TOKEN);
    ok(cmd);
    ok(with_file_secrets(w.as_user(
        "cashier",
        "2222",
        &["shift", "open", "--float", "500"],
    )));
    w
}

fn orders(sandbox: &BackgroundSandbox) -> Vec<serde_json::Value> {
    sandbox
        .sandbox()
        .emulator(Provider::Swip)
        .harness()
        .changes("order_created")
}

#[test]
fn a_swip_sale_from_the_command_line_waits_for_the_customer_and_completes() {
    let sandbox = BackgroundSandbox::start(Ports::Ephemeral).unwrap();
    let w = demo(&sandbox);
    let mut child = Command::new(kassa_bin())
        .args([
            "--db",
            w.db.to_str().unwrap(),
            "sale",
            "new",
            "--item",
            "KAF-001",
            "--swip",
            "--json",
        ])
        .args(["--poll-interval-ms", "20"])
        .env("KASSA_USER", "cashier")
        .env("KASSA_PIN", "2222")
        .env("KASSA_SECRETS", "file")
        .env_remove("KASSA_DB")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // The order appears at SWiP once the command has stored the payment and created it.
    let deadline = Instant::now() + Duration::from_secs(30);
    let order = loop {
        if let Some(order) = orders(&sandbox).into_iter().next() {
            break order;
        }
        assert!(Instant::now() < deadline, "no SWiP order was created");
        std::thread::sleep(Duration::from_millis(20));
    };
    let id = order["id"].as_str().unwrap().to_owned();
    let origin = sandbox.sandbox().emulator(Provider::Swip).origin();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let answer = reqwest::Client::new()
            .post(format!("{origin}/_sandbox/orders/{id}/pay"))
            .json(&serde_json::json!({}))
            .send()
            .await
            .unwrap();
        assert!(answer.status().is_success());
    });
    let status = child.wait().unwrap();
    let mut out = String::new();
    let mut err = String::new();
    child.stdout.take().unwrap().read_to_string(&mut out).unwrap();
    child.stderr.take().unwrap().read_to_string(&mut err).unwrap();
    assert!(status.success(), "stdout: {out}\nstderr: {err}");
    assert!(err.contains("SWiP QR code: "), "{err}");
    assert_eq!(
        sandbox
            .sandbox()
            .emulator(Provider::Swip)
            .harness()
            .changes("order_closed")
            .len(),
        1
    );
    let sale: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(sale["status"], "completed", "{sale}");
}

#[test]
fn a_lost_create_is_reconciled_by_the_next_command_and_never_created_again() {
    let sandbox = BackgroundSandbox::start(Ports::Ephemeral).unwrap();
    let w = demo(&sandbox);
    sandbox
        .sandbox()
        .emulator(Provider::Swip)
        .harness()
        .add_fault(FaultRule {
            method: Some("POST".into()),
            path: "/orders".into(),
            fault: Fault::Drop { after_commit: true },
            times: Some(1),
        });
    let (_, err) = fails(
        with_file_secrets(w.as_user("cashier", "2222", &["sale", "new", "--item", "KAF-001", "--swip"])),
        CONFLICT,
    );
    assert!(err.contains("kassa sale resolve"), "{err}");
    let tender: i64 = err
        .split("kassa sale resolve ")
        .nth(1)
        .and_then(|rest| rest.split(|c: char| !c.is_ascii_digit()).next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no tender id in: {err}"));
    // By hand is refused for a provider payment.
    let (_, by_hand) = fails(
        with_file_secrets(w.as_user(
            "cashier",
            "2222",
            &["sale", "resolve", &tender.to_string(), "--declined"],
        )),
        CONFLICT,
    );
    assert!(by_hand.contains("reconcile"), "{by_hand}");
    let view = json(with_file_secrets(w.as_user(
        "cashier",
        "2222",
        &["sale", "resolve", &tender.to_string()],
    )));
    let swip = view["tenders"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["id"] == tender)
        .unwrap()
        .clone();
    assert_eq!(swip["status"], "cancelled", "{view}");
    assert_eq!(orders(&sandbox).len(), 1, "the order was created once");
}

#[test]
fn swip_loyalty_from_the_command_line_takes_its_discount_before_a_cash_payment() {
    let sandbox = BackgroundSandbox::start(Ports::Ephemeral).unwrap();
    let w = demo(&sandbox);
    // Bryggkaffe at 32.00 in Malmö C; the demo program's 10 % is 3.20, rounded by SWiP to 3.
    let view = json(with_file_secrets(w.as_user(
        "cashier",
        "2222",
        &[
            "sale",
            "new",
            "--item",
            "KAF-001",
            "--swip-loyalty",
            "--cash",
            "29",
        ],
    )));
    assert_eq!(view["status"], "completed", "{view}");
    assert_eq!(view["total"], "29.00", "{view}");
    assert_eq!(view["loyaltyDiscount"]["amount"], "3.00", "{view}");
    assert_eq!(view["loyaltyDiscount"]["provider"], "swip", "{view}");
    let id = view["id"].as_i64().unwrap().to_string();
    let receipt = ok(with_file_secrets(w.as_user(
        "cashier",
        "2222",
        &["sale", "show", &id],
    )));
    let line = receipt
        .lines()
        .find(|l| l.starts_with("SWiP"))
        .unwrap_or_else(|| panic!("a loyalty line in\n{receipt}"));
    assert!(
        line.trim_end().ends_with("-3,00") || line.trim_end().ends_with("-3.00"),
        "{line}"
    );

    // SWiP down: the sale is not made and nothing is left open.
    sandbox
        .sandbox()
        .emulator(Provider::Swip)
        .harness()
        .add_fault(FaultRule {
            method: Some("POST".into()),
            path: "/loyalty-calculations".into(),
            fault: Fault::Status {
                status: 500,
                after_commit: false,
            },
            times: Some(1),
        });
    let out = with_file_secrets(w.as_user(
        "cashier",
        "2222",
        &[
            "sale",
            "new",
            "--item",
            "KAF-001",
            "--swip-loyalty",
            "--cash",
            "29",
        ],
    ))
    .output()
    .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("SWiP could not calculate a loyalty discount"),
        "{err}"
    );
    assert_eq!(orders(&sandbox).len(), 0, "a calculation creates no order");
}
