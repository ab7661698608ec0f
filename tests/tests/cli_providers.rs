//! `kassa provider list|set|test` and `kassa sandbox`, as a manager would run them: the
//! real `kassa` binary, a real database file, the sandbox as its own process on loopback
//! ports the system chose, and the credentials in the 0600 secret file.

mod common;

use common::{World, exit, fails, json, ok};
use kassa_tests::SandboxChild;

/// The provider exit code: could not be reached, refused the credentials or answered
/// with an error.
const PROVIDER_FAILED: i32 = 12;

fn demo() -> World {
    let w = World::new();
    ok(w.kassa(&["demo"]));
    w
}

fn manager(w: &World, args: &[&str]) -> assert_cmd::Command {
    let mut cmd = w.as_manager(args);
    cmd.env("KASSA_SECRETS", "file");
    cmd
}

#[test]
fn the_sandbox_prints_every_provider_and_a_manager_connects_swip_to_it() {
    let sandbox = SandboxChild::start(common::kassa_bin()).expect("kassa sandbox starts");
    let names: Vec<&str> = sandbox.urls.iter().map(|(n, _)| n.as_str()).collect();
    for name in ["SWiP", "Vourity", "Flexiti", "Venue Manager", "DropPay"] {
        assert!(names.contains(&name), "{name} missing from {names:?}");
    }
    for (_, url) in &sandbox.urls {
        assert!(url.starts_with("http://127.0.0.1:"), "loopback only: {url}");
    }

    let w = demo();
    let token = kassa_sandbox::swip::DEMO_TOKEN.to_owned();
    let mut set = manager(
        &w,
        &[
            "provider",
            "set",
            "swip",
            "--base-url",
            sandbox.url("SWiP").unwrap(),
            "--secret",
            "token",
            &format!("merchant_id={}", kassa_sandbox::swip::DEMO_MERCHANT_ID),
            &format!("store_id={}", kassa_sandbox::swip::DEMO_STORE_ID),
            &format!("cash_id={}", kassa_sandbox::swip::DEMO_CASH_ID),
            "pos_type=KASSA",
            "currency=EUR",
        ],
    );
    set.env("KASSA_SECRET_TOKEN", &token);
    let saved = ok(set);
    assert!(saved.contains("kassa provider test swip"), "{saved}");
    assert!(!saved.contains(&token));

    let tested = ok(manager(&w, &["provider", "test", "swip"]));
    assert!(tested.starts_with("ok: "), "{tested}");

    let list = json(manager(&w, &["provider", "list"]));
    let swip = list
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["provider"] == "swip")
        .unwrap();
    assert_eq!(swip["testOk"], true);
    assert_eq!(swip["secretStore"], "file");
    let token_field = swip["fields"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["key"] == "token")
        .unwrap();
    assert_eq!(token_field["isSet"], true);
    assert!(token_field["value"].is_null());
    // The document's example token is the sandbox's demo token, so it appears as the
    // field's `example`; nowhere else may it be printed.
    let mut without_examples = list.clone();
    for account in without_examples.as_array_mut().unwrap() {
        for field in account["fields"].as_array_mut().unwrap() {
            field.as_object_mut().unwrap().remove("example");
        }
    }
    assert!(
        !without_examples.to_string().contains(&token),
        "the token is never printed"
    );

    // The credential is in the 0600 file, not in the database.
    let mut secrets = w.db.as_os_str().to_owned();
    secrets.push(".secrets");
    let secrets = std::path::PathBuf::from(secrets);
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&secrets).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "{mode:o}");
    }
    let db = std::fs::read(&w.db).unwrap();
    assert!(!db.windows(token.len()).any(|w| w == token.as_bytes()));

    // A wrong token: exit 12, one line that says the credentials were refused.
    let mut wrong = manager(
        &w,
        &[
            "provider",
            "set",
            "swip",
            "--base-url",
            sandbox.url("SWiP").unwrap(),
            "--secret",
            "token",
        ],
    );
    wrong.env("KASSA_SECRET_TOKEN", "not-the-token");
    ok(wrong);
    let (_, err) = fails(manager(&w, &["provider", "test", "swip"]), PROVIDER_FAILED);
    assert!(err.contains("provider_unauthorized"), "{err}");
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
}

#[test]
fn bad_provider_input_fails_with_a_clear_line_and_changes_nothing() {
    let w = demo();
    let cases: Vec<(Vec<&str>, i32, &str)> = vec![
        (
            vec![
                "provider",
                "set",
                "swip",
                "--base-url",
                "http://127.0.0.1:9/api/v3",
                "merchant_id",
            ],
            exit::VALIDATION,
            "is not KEY=VALUE",
        ),
        (
            vec![
                "provider",
                "set",
                "swip",
                "--base-url",
                "http://127.0.0.1:9/api/v3",
                "merchant=7",
            ],
            exit::VALIDATION,
            "has no field \"merchant\"",
        ),
        (
            vec![
                "provider",
                "set",
                "swip",
                "--base-url",
                "http://127.0.0.1:9/api/v3",
                "token=abc",
            ],
            exit::VALIDATION,
            "is a credential",
        ),
        (
            vec!["provider", "set", "swip", "--base-url", "not a url"],
            exit::VALIDATION,
            "SWiP",
        ),
        (
            // --secret with no KASSA_SECRET_TOKEN and no terminal to ask on.
            vec![
                "provider",
                "set",
                "swip",
                "--base-url",
                "http://127.0.0.1:9/api/v3",
                "--secret",
                "token",
            ],
            exit::VALIDATION,
            "KASSA_SECRET_TOKEN",
        ),
        (
            vec!["provider", "test", "swip", "--pos", "No such till"],
            exit::NOT_FOUND,
            "No such till",
        ),
    ];
    let before = json(manager(&w, &["provider", "list"]));
    for (args, code, needle) in cases {
        let (_, err) = fails(manager(&w, &args), code);
        assert!(err.contains(needle), "{args:?}: {err}");
        assert_eq!(err.trim_end().lines().count(), 1, "{args:?}: {err}");
    }
    assert_eq!(
        json(manager(&w, &["provider", "list"])),
        before,
        "nothing changed"
    );

    // A cashier may not see or change provider accounts.
    let mut cashier = w.as_user("cashier", "2222", &["provider", "list"]);
    cashier.env("KASSA_SECRETS", "file");
    fails(cashier, exit::FORBIDDEN);
}

#[test]
fn testing_an_account_nothing_listens_for_says_so() {
    let w = demo();
    // `kassa demo` points the tills at the fixed demo ports; bind-and-drop gives a port
    // nothing listens on, whatever else runs on this machine.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let url = format!("http://{closed}/v1");
    ok(manager(&w, &["provider", "set", "flexiti", "--base-url", &url]));
    let (_, err) = fails(manager(&w, &["provider", "test", "flexiti"]), PROVIDER_FAILED);
    assert!(err.contains("provider_unreachable"), "{err}");
}
