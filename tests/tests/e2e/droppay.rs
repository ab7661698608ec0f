//! DropPay registration in the real window: the demo manager registers the demo till (Till 1)
//! with DropPay, sees the device's remote state, deletes it with confirmation, and sees it
//! soft-deleted. The DropPay emulator runs in this test on an ephemeral port (the demo's
//! fixed port may be taken by a `kassa sandbox` of someone else on the machine); the till's
//! DropPay account is pointed at it with `kassa provider set` before the window opens.
//! What DropPay "saw" is checked through the emulator's control routes.

use std::path::Path;

use anyhow::{Context, Result, bail};
use kassa_sandbox::{BackgroundSandbox, Ports, Provider};
use rusqlite::{Connection, OpenFlags};
use serde_json::Value;

use super::{MANAGER, Session, Ui, login};

const TILL: &str = "Till 1";

#[tokio::test]
#[ignore = "needs the built app and a display; run by scripts/test.sh"]
async fn the_manager_registers_the_demo_till_with_droppay_and_deletes_it() {
    let mut session = Session::demo("e2e-droppay");
    let pin = session.pin(MANAGER);
    // The sandbox's own runtime cannot be started from inside this test's.
    let sandbox = std::thread::spawn(|| BackgroundSandbox::start(Ports::Ephemeral))
        .join()
        .expect("start the sandbox")
        .expect("the sandbox listens");
    let emulator = sandbox.sandbox().emulator(Provider::DropPay);
    let (origin, base_url) = (emulator.origin(), emulator.base_url());
    session.kassa(
        &pin,
        &[
            "provider",
            "set",
            "droppay",
            "--pos",
            TILL,
            "--base-url",
            &base_url,
        ],
    );
    let devices: Value = serde_json::from_str(&session.kassa(&pin, &["--json", "pos", "list"]))
        .expect("kassa --json pos list prints JSON");
    let till_id = devices
        .as_array()
        .and_then(|all| all.iter().find(|d| d["name"] == TILL))
        .and_then(|d| d["id"].as_i64())
        .unwrap_or_else(|| panic!("the demo has no {TILL:?}: {devices}"));

    let droppay_id = session
        .run(async |ui| flow(ui, &pin, till_id, &origin).await)
        .await;
    check_database(session.db(), till_id, &droppay_id);
    drop(sandbox);
}

/// GETs a control route of the emulator.
async fn control(origin: &str, path: &str) -> Result<Value> {
    let answer = reqwest::get(format!("{origin}{path}"))
        .await
        .with_context(|| format!("GET {path} of the DropPay emulator"))?;
    if !answer.status().is_success() {
        bail!("GET {path} of the DropPay emulator answered {}", answer.status());
    }
    Ok(answer.json().await?)
}

/// The device the emulator holds with this id.
async fn remote_device(origin: &str, id: &str) -> Result<Value> {
    let devices = control(origin, "/_sandbox/droppay/pos").await?;
    let all = devices.as_array().context("a JSON array of devices")?;
    if all.len() != 1 {
        bail!("the emulator should hold exactly one device, it holds {devices}");
    }
    match all.iter().find(|d| d["id"] == id) {
        Some(device) => Ok(device.clone()),
        None => bail!("the emulator holds no device {id}: {devices}"),
    }
}

async fn flow(ui: &Ui, pin: &str, till_id: i64, origin: &str) -> Result<String> {
    login(ui, MANAGER, pin).await?;
    ui.click("nav-devices").await?;
    ui.click(&format!("pos-droppay-{till_id}")).await?;
    ui.find("#droppay-state[data-state=not_registered]").await?;
    ui.screenshot("e2e-droppay-01-not-registered").await;

    ui.click("droppay-register").await?;
    ui.find("#droppay-state[data-state=registered]").await?;
    ui.find("#droppay-remote-status[data-status=ENABLED]").await?;
    let id = ui.text("#droppay-id").await?;
    if !id.starts_with("POS") {
        bail!("the panel shows {id:?} as the DropPay id");
    }
    // The POS list shows the new id as the till's DropPay id.
    ui.wait_text(&format!("[data-testid=pos-row][data-id=\"{till_id}\"]"), &id)
        .await?;
    ui.screenshot("e2e-droppay-02-registered").await;
    let device = remote_device(origin, &id).await?;
    if device["status"] != "ENABLED" {
        bail!("DropPay holds {device} after the registration");
    }

    ui.click("droppay-delete").await?;
    ui.screenshot("e2e-droppay-03-confirm-delete").await;
    ui.click("confirm-ok").await?;
    ui.find("#droppay-state[data-state=deleted]").await?;
    ui.find("#droppay-remote-status[data-status=DELETED][data-deleted=true]")
        .await?;
    let shown = ui.text("#droppay-id").await?;
    if shown != id {
        bail!("after the delete the panel shows {shown:?}, not the deleted {id:?}");
    }
    ui.screenshot("e2e-droppay-04-deleted").await;

    // Soft-deleted at DropPay: the device is still there, with status DELETED, and the
    // emulator logged exactly one creation and one deletion.
    let device = remote_device(origin, &id).await?;
    if device["status"] != "DELETED" {
        bail!("DropPay holds {device} after the delete, not a soft-deleted device");
    }
    let log = control(origin, "/_sandbox/log").await?;
    let changes = |what: &str| {
        log.as_array()
            .map(|all| {
                all.iter()
                    .filter(|e| e["kind"] == "state" && e["what"] == what)
                    .count()
            })
            .unwrap_or(0)
    };
    if (changes("pos_created"), changes("pos_deleted")) != (1, 1) {
        bail!("the emulator's log should show one creation and one deletion: {log}");
    }
    Ok(id)
}

/// The deleted registration is recorded, and the id has left the till's external ids.
fn check_database(db: &Path, till_id: i64, droppay_id: &str) {
    let conn = Connection::open_with_flags(db, OpenFlags::SQLITE_OPEN_READ_ONLY)
        .unwrap_or_else(|e| panic!("open {} read-only: {e}", db.display()));
    let rows: Vec<(String, Option<String>)> = conn
        .prepare("SELECT state, droppay_pos_id FROM droppay_registrations WHERE pos_id = ?1 ORDER BY id")
        .unwrap()
        .query_map([till_id], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(
        rows,
        vec![("deleted".to_owned(), Some(droppay_id.to_owned()))],
        "droppay_registrations of {TILL}"
    );
    let external: i64 = conn
        .query_row(
            "SELECT count(*) FROM pos_external_ids WHERE pos_id = ?1 AND provider = 'droppay'",
            [till_id],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(external, 0, "{TILL} keeps no DropPay id after the delete");
}
