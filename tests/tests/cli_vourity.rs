//! `kassa sale new --vourity` and `kassa sale resolve`, the real binary against the
//! Vourity emulator over loopback: the terminal asks a question the cashier answers on
//! stdin, the card holder pays while the command waits, and a payment request whose
//! answer was lost is reconciled, never sent again.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::exit::CONFLICT;
use common::{World, fails, json, kassa_bin, ok};
use kassa_sandbox::{BackgroundSandbox, Fault, FaultRule, Ports, Provider};

fn with_file_secrets(mut cmd: assert_cmd::Command) -> assert_cmd::Command {
    cmd.env("KASSA_SECRETS", "file");
    cmd
}

/// The demo database with Till 1's Vourity account pointed at the emulator, webhooks to a
/// port nobody listens on (the command line follows the terminal by polling), and the
/// cashier's shift open.
fn demo(sandbox: &BackgroundSandbox) -> World {
    let w = World::new();
    ok(with_file_secrets(w.kassa(&["demo"])));
    let base_url = sandbox.sandbox().emulator(Provider::Vourity).base_url();
    let free = std::net::TcpListener::bind(("127.0.0.1", 0)).unwrap();
    let webhook = format!(
        "webhook_url=http://{}/vourity/webhook",
        free.local_addr().unwrap()
    );
    drop(free);
    let values: Vec<String> = kassa_sandbox::vourity::DEMO_SETTINGS
        .iter()
        .filter(|(key, _)| !matches!(*key, "api_key" | "subscription_key" | "webhook_url"))
        .map(|(key, value)| format!("{key}={value}"))
        .chain([webhook])
        .collect();
    let mut args = vec![
        "provider",
        "set",
        "vourity",
        "--pos",
        "Till 1",
        "--base-url",
        &base_url,
        "--secret",
        "api_key",
        "--secret",
        "subscription_key",
    ];
    args.extend(values.iter().map(String::as_str));
    let mut cmd = with_file_secrets(w.as_manager(&args));
    cmd.env("KASSA_SECRET_API_KEY", kassa_sandbox::vourity::API_KEY);
    cmd.env(
        "KASSA_SECRET_SUBSCRIPTION_KEY",
        kassa_sandbox::vourity::SUBSCRIPTION_KEY,
    );
    ok(cmd);
    ok(with_file_secrets(w.as_user(
        "cashier",
        "2222",
        &["shift", "open", "--float", "500"],
    )));
    w
}

fn terminal(sandbox: &BackgroundSandbox, what: &str, body: serde_json::Value) {
    let origin = sandbox.sandbox().emulator(Provider::Vourity).origin();
    let pos = kassa_sandbox::vourity::POINT_OF_SERVICE_ID;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let answer = reqwest::Client::new()
            .post(format!("{origin}/_sandbox/vourity/terminal/{pos}/{what}"))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert!(answer.status().is_success(), "{what}: {}", answer.status());
    });
}

fn changes(sandbox: &BackgroundSandbox, what: &str) -> Vec<serde_json::Value> {
    sandbox
        .sandbox()
        .emulator(Provider::Vourity)
        .harness()
        .changes(what)
}

#[test]
fn a_vourity_sale_from_the_command_line_answers_the_terminal_and_completes() {
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
            "--vourity",
            "--json",
        ])
        .args(["--poll-interval-ms", "20"])
        .env("KASSA_USER", "cashier")
        .env("KASSA_PIN", "2222")
        .env("KASSA_SECRETS", "file")
        .env_remove("KASSA_DB")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while changes(&sandbox, "payment_requested").is_empty() {
        assert!(
            Instant::now() < deadline,
            "no payment request reached the terminal"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    terminal(
        &sandbox,
        "action-request",
        serde_json::json!({"actionType": "identityCheck", "message": "Check the card holder's ID"}),
    );
    // The command prints the question and waits for the cashier's answer on stdin.
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut seen = String::new();
    loop {
        let mut line = String::new();
        assert_ne!(stderr.read_line(&mut line).unwrap(), 0, "stderr ended: {seen}");
        seen.push_str(&line);
        if line.starts_with("Answer accepted or rejected") {
            break;
        }
    }
    assert!(seen.contains("identity"), "{seen}");
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(b"accepted\n").unwrap();
    drop(stdin);
    let deadline = Instant::now() + Duration::from_secs(30);
    while changes(&sandbox, "action_answered").is_empty() {
        assert!(Instant::now() < deadline, "the answer never reached the terminal");
        std::thread::sleep(Duration::from_millis(20));
    }
    terminal(&sandbox, "approve", serde_json::json!({}));
    let status = child.wait().unwrap();
    let mut out = String::new();
    child.stdout.take().unwrap().read_to_string(&mut out).unwrap();
    let mut rest = String::new();
    stderr.read_to_string(&mut rest).unwrap();
    assert!(status.success(), "stdout: {out}\nstderr: {seen}{rest}");
    let sale: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(sale["status"], "completed", "{sale}");
    assert_eq!(changes(&sandbox, "payment_captured").len(), 1);
    assert_eq!(
        changes(&sandbox, "action_answered")[0]["responseCode"],
        "accepted"
    );
}

#[test]
fn a_lost_payment_request_is_reconciled_by_resolve_and_never_sent_again() {
    let sandbox = BackgroundSandbox::start(Ports::Ephemeral).unwrap();
    let w = demo(&sandbox);
    sandbox
        .sandbox()
        .emulator(Provider::Vourity)
        .harness()
        .add_fault(FaultRule {
            method: Some("POST".into()),
            path: "/pos-payment-request".into(),
            fault: Fault::Drop { after_commit: true },
            times: Some(1),
        });
    let (_, err) = fails(
        with_file_secrets(w.as_user(
            "cashier",
            "2222",
            &["sale", "new", "--item", "KAF-001", "--vourity"],
        )),
        CONFLICT,
    );
    assert!(err.contains("kassa sale resolve"), "{err}");
    let tender: i64 = err
        .split("kassa sale resolve ")
        .nth(1)
        .and_then(|rest| rest.split(|c: char| !c.is_ascii_digit()).next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no tender id in: {err}"));
    let view = json(with_file_secrets(w.as_user(
        "cashier",
        "2222",
        &["sale", "resolve", &tender.to_string()],
    )));
    let vourity = view["tenders"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["id"] == tender)
        .unwrap()
        .clone();
    assert_eq!(vourity["status"], "cancelled", "{view}");
    assert_eq!(changes(&sandbox, "payment_requested").len(), 1, "requested once");
    assert_eq!(
        changes(&sandbox, "payment_cancelled").len(),
        1,
        "taken off the terminal"
    );
    assert!(changes(&sandbox, "payment_captured").is_empty());
}
