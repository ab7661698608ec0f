//! `kassa pos droppay ...`, the real binary against the DropPay emulator over loopback:
//! register, state, delete, a create whose answer was lost and its two resolutions, and
//! the refusals with their exit codes.

mod common;

use common::exit::{CONFLICT, FORBIDDEN};
use common::{World, fails, json, ok};
use kassa_sandbox::{BackgroundSandbox, Fault, FaultRule, Ports, Provider};

/// Exit code 12: a provider failed or refused the credentials (`kassa --help`).
const PROVIDER: i32 = 12;

struct DropPay {
    sandbox: BackgroundSandbox,
}

impl DropPay {
    fn start() -> DropPay {
        DropPay {
            sandbox: BackgroundSandbox::start(Ports::Ephemeral).unwrap(),
        }
    }

    fn emulator(&self) -> &kassa_sandbox::RunningEmulator {
        self.sandbox.sandbox().emulator(Provider::DropPay)
    }

    fn created(&self) -> Vec<serde_json::Value> {
        self.emulator().harness().changes("pos_created")
    }

    fn drop_next_create_after_commit(&self) {
        self.emulator().harness().add_fault(FaultRule {
            method: Some("POST".into()),
            path: "/shop/v1/brand/*/store/*/pos".into(),
            fault: Fault::Drop { after_commit: true },
            times: Some(1),
        });
    }
}

/// Commands with the credentials in a 0600 file beside the database, whatever keyring
/// the machine has, so every run of the binary reads the same store.
fn with_file_secrets(mut cmd: assert_cmd::Command) -> assert_cmd::Command {
    cmd.env("KASSA_SECRETS", "file");
    cmd
}

/// The demo database, with Till 1's DropPay account pointed at the emulator.
fn demo(droppay: &DropPay, token: &str) -> World {
    let w = World::new();
    ok(with_file_secrets(w.kassa(&["demo"])));
    set_account(&w, droppay, token);
    w
}

fn set_account(w: &World, droppay: &DropPay, token: &str) {
    let base_url = droppay.emulator().base_url();
    let values: Vec<String> = kassa_sandbox::droppay::DEMO_SETTINGS
        .iter()
        .filter(|(key, _)| *key != "access_token")
        .map(|(key, value)| format!("{key}={value}"))
        .collect();
    let mut args = vec![
        "provider",
        "set",
        "droppay",
        "--pos",
        "Till 1",
        "--base-url",
        base_url.as_str(),
        "--secret",
        "access_token",
    ];
    args.extend(values.iter().map(String::as_str));
    let mut cmd = with_file_secrets(w.as_manager(&args));
    cmd.env("KASSA_SECRET_ACCESS_TOKEN", token);
    ok(cmd);
}

fn manager(w: &World, args: &[&str]) -> assert_cmd::Command {
    with_file_secrets(w.as_manager(args))
}

#[test]
fn register_state_and_delete_a_till_from_the_command_line() {
    let droppay = DropPay::start();
    let w = demo(&droppay, kassa_sandbox::droppay::ACCESS_TOKEN);
    let text = ok(manager(&w, &["pos", "droppay", "state", "Till 1"]));
    assert!(text.contains("is not registered with DropPay"), "{text}");

    let text = ok(manager(&w, &["pos", "droppay", "register", "Till 1"]));
    assert!(text.starts_with("Registered with DropPay."), "{text}");
    let created = droppay.created();
    assert_eq!(created.len(), 1);
    let id = created[0]["id"].as_str().unwrap().to_owned();
    assert!(
        text.contains(&format!("registered with DropPay as {id}")),
        "{text}"
    );
    assert!(text.contains("status ENABLED"), "{text}");

    let state = json(manager(&w, &["pos", "droppay", "state", "Till 1"]));
    assert_eq!(state["state"], "registered");
    assert_eq!(state["droppayPosId"], id.as_str());
    assert_eq!(state["remote"]["status"], "ENABLED");
    assert_eq!(state["remote"]["applicationName"], "my Application name");
    // The id is the device's external id, as `kassa pos list` shows it.
    let devices = json(manager(&w, &["pos", "list"]));
    let till = devices
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["name"] == "Till 1")
        .unwrap();
    assert_eq!(till["externalIds"][0]["externalId"], id.as_str());

    let text = ok(manager(&w, &["pos", "droppay", "delete", "Till 1"]));
    assert!(text.contains("soft-deleted"), "{text}");
    assert!(text.contains("status DELETED"), "{text}");
    let deleted = droppay.emulator().harness().changes("pos_deleted");
    assert_eq!(deleted.len(), 1);
    assert_eq!(deleted[0]["id"], id.as_str());
    assert_eq!(deleted[0]["status"], "DELETED");
    let state = json(manager(&w, &["pos", "droppay", "state", "Till 1"]));
    assert_eq!(state["state"], "deleted");
    assert_eq!(state["remote"]["deleted"], true);
    // Nothing left to delete.
    let (_, err) = fails(manager(&w, &["pos", "droppay", "delete", "Till 1"]), CONFLICT);
    assert!(err.contains("nothing to delete at DropPay"), "{err}");
}

#[test]
fn a_lost_create_is_never_sent_twice_and_is_resolved_by_the_manager() {
    let droppay = DropPay::start();
    let w = demo(&droppay, kassa_sandbox::droppay::ACCESS_TOKEN);
    droppay.drop_next_create_after_commit();
    let (_, err) = fails(manager(&w, &["pos", "droppay", "register", "Till 1"]), CONFLICT);
    assert!(err.contains("may or may not have created a device"), "{err}");
    assert!(err.contains("kassa pos droppay confirm-none"), "{err}");
    let text = ok(manager(&w, &["pos", "droppay", "state", "Till 1"]));
    assert!(text.contains("UNKNOWN"), "{text}");
    assert!(
        text.contains("kassa pos droppay link 'Till 1' POS_ID_FOUND"),
        "{text}"
    );

    let (_, err) = fails(manager(&w, &["pos", "droppay", "register", "Till 1"]), CONFLICT);
    assert!(err.contains("will not send a second create"), "{err}");
    let created = droppay.created();
    assert_eq!(created.len(), 1, "exactly one device was created at DropPay");

    let id = created[0]["id"].as_str().unwrap();
    let linked = json(manager(&w, &["pos", "droppay", "link", "Till 1", id]));
    assert_eq!(linked["state"], "registered");
    assert_eq!(linked["droppayPosId"], id);
    assert_eq!(droppay.created().len(), 1);
}

#[test]
fn refusals_exit_with_their_class() {
    let droppay = DropPay::start();
    let w = demo(&droppay, "an-expired-token");
    let (_, err) = fails(manager(&w, &["pos", "droppay", "register", "Till 1"]), PROVIDER);
    assert!(err.contains("not valid or has expired"), "{err}");
    assert!(err.contains("provider settings"), "{err}");
    let text = ok(manager(&w, &["pos", "droppay", "state", "Till 1"]));
    assert!(text.contains("not registered"), "a 401 made nothing: {text}");

    set_account(&w, &droppay, kassa_sandbox::droppay::ACCESS_TOKEN);
    let cashier = with_file_secrets(w.as_user("cashier", "2222", &["pos", "droppay", "register", "Till 1"]));
    let (_, err) = fails(cashier, FORBIDDEN);
    assert!(err.contains("only a manager"), "{err}");
    assert!(droppay.created().is_empty());

    ok(manager(&w, &["pos", "droppay", "register", "Till 1"]));
    let id = droppay.created()[0]["id"].as_str().unwrap().to_owned();
    // Kasse 1 (another store) cannot take Till 1's DropPay id.
    let (_, err) = fails(manager(&w, &["pos", "droppay", "link", "Kasse 1", &id]), CONFLICT);
    assert!(err.contains("already registered to POS 'Till 1'"), "{err}");
    let (_, err) = fails(
        manager(&w, &["--json", "pos", "droppay", "link", "Kasse 1", &id]),
        CONFLICT,
    );
    let error: serde_json::Value = serde_json::from_str(err.trim()).unwrap();
    assert_eq!(error["code"], "external_id_taken");
}
