//! `kassa sale new --voucher`, the real binary against the Venue Manager emulator over
//! loopback: a voucher worth more than is due is refused until the loss is accepted, and
//! a voucher with cash pays a sale.

mod common;

use common::exit::VALIDATION;
use common::{World, fails, json, ok};
use kassa_sandbox::{BackgroundSandbox, Ports, Provider};

fn with_file_secrets(mut cmd: assert_cmd::Command) -> assert_cmd::Command {
    cmd.env("KASSA_SECRETS", "file");
    cmd
}

/// The demo database with Till 1's Venue Manager shop (in kronor, as the till sells) on
/// the emulator, two vouchers there, and the cashier's shift open.
fn demo(sandbox: &BackgroundSandbox) -> World {
    let w = World::new();
    ok(with_file_secrets(w.kassa(&["demo"])));
    let emulator = sandbox.sandbox().emulator(Provider::VenueManager);
    let base_url = emulator.base_url();
    let values: Vec<String> = kassa_sandbox::venue_manager::DEMO_SETTINGS
        .iter()
        .filter(|(key, _)| *key != "api_password")
        .map(|(key, value)| match *key {
            "currency" => "currency=SEK".to_owned(),
            _ => format!("{key}={value}"),
        })
        .collect();
    let mut args = vec![
        "provider",
        "set",
        "venue_manager",
        "--pos",
        "Till 1",
        "--base-url",
        &base_url,
        "--secret",
        "api_password",
    ];
    args.extend(values.iter().map(String::as_str));
    let mut cmd = with_file_secrets(w.as_manager(&args));
    cmd.env(
        "KASSA_SECRET_API_PASSWORD",
        kassa_sandbox::venue_manager::DEMO_API_PASSWORD,
    );
    ok(cmd);
    ok(with_file_secrets(w.as_user(
        "cashier",
        "2222",
        &["shift", "open", "--float", "500"],
    )));
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    for (id, code, amount) in [(700, "BIG-1000", 1000), (701, "SMALL-5", 5)] {
        runtime.block_on(async {
            let answer = reqwest::Client::new()
                .post(format!("{}/_sandbox/vouchers", emulator.origin()))
                .json(&serde_json::json!({
                    "id": id, "voucherId": id, "code": code, "isValid": true,
                    "creationPrice": {"amount": amount, "vatPercentage": 25, "currencyCode": "SEK"},
                }))
                .send()
                .await
                .unwrap();
            assert!(answer.status().is_success());
        });
    }
    w
}

#[test]
fn a_voucher_pays_from_the_command_line_whole_or_with_cash() {
    let sandbox = BackgroundSandbox::start(Ports::Ephemeral).unwrap();
    let w = demo(&sandbox);
    let (_, err) = fails(
        with_file_secrets(w.as_user(
            "cashier",
            "2222",
            &["sale", "new", "--item", "KAF-001", "--voucher", "BIG-1000"],
        )),
        VALIDATION,
    );
    assert!(err.contains("is lost"), "{err}");
    let redeemed = || {
        sandbox
            .sandbox()
            .emulator(Provider::VenueManager)
            .harness()
            .changes("voucher_code_redeemed")
            .len()
    };
    assert_eq!(redeemed(), 0);
    let sale = json(with_file_secrets(w.as_user(
        "cashier",
        "2222",
        &[
            "sale",
            "new",
            "--item",
            "KAF-001",
            "--voucher",
            "BIG-1000",
            "--accept-voucher-loss",
        ],
    )));
    assert_eq!(sale["status"], "completed", "{sale}");
    assert_eq!(sale["change"], "0.00");
    let sale = json(with_file_secrets(w.as_user(
        "cashier",
        "2222",
        &[
            "sale",
            "new",
            "--item",
            "KAF-001",
            "--voucher",
            "SMALL-5",
            "--cash",
            "500",
        ],
    )));
    assert_eq!(sale["status"], "completed", "{sale}");
    let methods: Vec<&str> = sale["tenders"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["method"].as_str().unwrap())
        .collect();
    assert!(
        methods.contains(&"voucher") && methods.contains(&"cash"),
        "{sale}"
    );
    assert_eq!(redeemed(), 2);
}
