//! Provider payments at the till in the real window, against the provider emulators (run in
//! this test on ephemeral ports; the till's accounts are pointed at them with `kassa
//! provider set` before the window opens):
//!
//! - SWiP: the cashier rings up a coffee, asks SWiP's loyalty programs for their discount
//!   (its own line under the discounts, the total lowered), and presses **SWiP**; the panel shows the order's
//!   QR code. The customer pays in the app (the emulator's control route, the order found
//!   by the `sessionCode` the till shows) and the till completes the sale by itself, from
//!   its own polling.
//! - Vourity: the cashier presses **Card (Vourity)**; the terminal asks for the card
//!   holder's signature (an action request), the question appears, the cashier answers
//!   "accepted", the card holder pays at the terminal and the sale completes.
//!
//! The database must hold the completed sale with one approved provider tender and the
//! provider's steps; the emulators must have seen the payment and the answer.

use std::path::Path;

use anyhow::{Context, Result, bail};
use kassa_sandbox::{BackgroundSandbox, Ports, Provider};
use rusqlite::{Connection, OpenFlags};
use serde_json::{Value, json};

use super::returns::{barcode_of, minor};
use super::split::wait_gone;
use super::{MANAGER, Session, Ui, login, till_ready};

const CASHIER: &str = "cashier";
/// The demo's till, where the window's cashier sells.
const TILL: &str = "Till 1";
/// Bryggkaffe costs 32.00 in Malmö C, the store of the demo's till.
const SKU: &str = "KAF-001";
const TOTAL: &str = "32.00";
/// With SWiP's loyalty discount first: the demo program's 10 % (3.20), rounded by SWiP to 3.
const LOYALTY_TOTAL: &str = "29.00";

const ENTER: char = '\u{E007}';
const F2: char = '\u{E032}';

/// The emulators, started off this test's runtime (the sandbox runs one of its own).
fn start_sandbox() -> BackgroundSandbox {
    std::thread::spawn(|| BackgroundSandbox::start(Ports::Ephemeral))
        .join()
        .expect("start the sandbox")
        .expect("the sandbox listens")
}

/// Calls a control route of an emulator: a GET without `body`, else a POST of it.
async fn control(origin: &str, path: &str, body: Option<Value>) -> Result<Value> {
    let client = reqwest::Client::new();
    let request = match &body {
        None => client.get(format!("{origin}{path}")),
        Some(body) => client.post(format!("{origin}{path}")).json(body),
    };
    let answer = request
        .send()
        .await
        .with_context(|| format!("{path} of the emulator at {origin}"))?;
    let status = answer.status();
    let text = answer.text().await?;
    if !status.is_success() {
        bail!("{path} of the emulator answered {status}: {text}");
    }
    Ok(if text.trim().is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).with_context(|| format!("{path} answered {text:?}"))?
    })
}

/// Logs the cashier in and rings up one coffee with the code field (F2).
async fn ring_up(ui: &Ui, pin: &str, code: &str) -> Result<()> {
    login(ui, CASHIER, pin).await?;
    till_ready(ui).await?;
    ui.press(&F2.to_string()).await?;
    ui.press(&format!("{code}{ENTER}")).await?;
    ui.wait_text("#sale-total", TOTAL).await?;
    Ok(())
}

/// Waits for the completed sale and returns its receipt number.
async fn completed(ui: &Ui) -> Result<String> {
    ui.find("#sale-completed").await?;
    wait_gone(ui, "#provider-panel").await?;
    let receipt = ui.text("#sale-receipt-no").await?;
    if receipt.is_empty() {
        bail!("the completed sale shows no receipt number");
    }
    Ok(receipt)
}

#[tokio::test]
#[ignore = "needs the built app and a display; run by scripts/test.sh"]
async fn a_customer_pays_by_swip_and_the_till_completes_the_sale_by_itself() {
    let mut session = Session::demo("e2e-swip");
    let pin = session.pin(CASHIER);
    let manager_pin = session.pin(MANAGER);
    let sandbox = start_sandbox();
    let emulator = sandbox.sandbox().emulator(Provider::Swip);
    let (origin, base_url) = (emulator.origin(), emulator.base_url());
    // The demo's SWiP merchant account is in EUR; the till sells in SEK, and SWiP takes
    // payments only in its account's currency.
    session.kassa(
        &manager_pin,
        &[
            "provider",
            "set",
            "swip",
            "--pos",
            TILL,
            "--base-url",
            &base_url,
            "currency=SEK",
        ],
    );
    let code = barcode_of(session.db(), SKU);
    session
        .run(async |ui| swip_flow(ui, &pin, &code, &origin).await)
        .await;
    check_database(session.db(), "swip", "closed", LOYALTY_TOTAL);
    drop(sandbox);
}

async fn swip_flow(ui: &Ui, pin: &str, code: &str, origin: &str) -> Result<()> {
    ring_up(ui, pin, code).await?;
    ui.click("sale-swip-loyalty").await?;
    ui.find("#sale-loyalty-discount").await?;
    ui.wait_text("#sale-total", LOYALTY_TOTAL).await?;
    ui.click("pay-swip").await?;
    ui.find("#provider-panel[data-method=swip]").await?;
    // The QR code is drawn from the order's session code, which is also written under it.
    let qr = ui.find("#provider-qr").await?;
    let modules: u32 = qr
        .attr("data-modules")
        .await?
        .context("the QR code says how many modules it has")?
        .parse()?;
    if modules < 21 {
        bail!("the QR code has {modules} modules a side; the smallest QR code has 21");
    }
    let session_code = ui.text("#provider-qr-text").await?;
    ui.wait_text("#provider-amount", LOYALTY_TOTAL).await?;
    ui.screenshot("e2e-swip-01-qr").await;

    let orders = control(origin, "/_sandbox/orders", None).await?;
    let matching: Vec<&Value> = orders
        .as_array()
        .context("a JSON array of orders")?
        .iter()
        .filter(|o| o["sessionCode"] == session_code.as_str())
        .collect();
    let [order] = matching.as_slice() else {
        bail!(
            "SWiP should hold exactly one order with the session code {session_code:?} the till shows: {orders}"
        );
    };
    let id = order["id"].as_str().context("the order's id")?;
    // The customer pays it all in the app; nobody touches the till.
    control(origin, &format!("/_sandbox/orders/{id}/pay"), Some(json!({}))).await?;
    let receipt = completed(ui).await?;
    ui.screenshot("e2e-swip-02-completed").await;
    eprintln!("e2e: SWiP sale completed with receipt {receipt}");
    Ok(())
}

#[tokio::test]
#[ignore = "needs the built app and a display; run by scripts/test.sh"]
async fn the_cashier_answers_the_vourity_terminal_and_the_card_payment_completes_the_sale() {
    let mut session = Session::demo("e2e-vourity");
    let pin = session.pin(CASHIER);
    let manager_pin = session.pin(MANAGER);
    let sandbox = start_sandbox();
    let emulator = sandbox.sandbox().emulator(Provider::Vourity);
    let (origin, base_url) = (emulator.origin(), emulator.base_url());
    // Webhooks go to a port of this test's choosing, not the demo's fixed one that another
    // Kassa on the machine may hold; the till follows the terminal by polling either way.
    let free = std::net::TcpListener::bind(("127.0.0.1", 0)).expect("a free port");
    let webhook = format!(
        "webhook_url=http://{}/vourity/webhook",
        free.local_addr().expect("its address")
    );
    drop(free);
    session.kassa(
        &manager_pin,
        &[
            "provider",
            "set",
            "vourity",
            "--pos",
            TILL,
            "--base-url",
            &base_url,
            &webhook,
        ],
    );
    let code = barcode_of(session.db(), SKU);
    session
        .run(async |ui| vourity_flow(ui, &pin, &code, &origin).await)
        .await;
    check_database(session.db(), "vourity", "captured", TOTAL);
    let answered = emulator.harness().changes("action_answered");
    assert_eq!(
        answered.len(),
        1,
        "the terminal got the cashier's one answer: {answered:?}"
    );
    assert!(
        answered[0].to_string().contains("accepted"),
        "the cashier accepted the signature: {answered:?}"
    );
    drop(sandbox);
}

async fn vourity_flow(ui: &Ui, pin: &str, code: &str, origin: &str) -> Result<()> {
    ring_up(ui, pin, code).await?;
    ui.click("pay-vourity").await?;
    // The panel shows once the payment request has reached the terminal.
    ui.find("#provider-panel[data-method=vourity]").await?;
    ui.wait_text("#provider-message", "card terminal").await?;

    let pos = kassa_sandbox::vourity::POINT_OF_SERVICE_ID;
    control(
        origin,
        &format!("/_sandbox/vourity/terminal/{pos}/action-request"),
        Some(json!({"actionType": "signature", "message": "Compare with the card"})),
    )
    .await?;
    // The till's polling finds the question.
    ui.wait_text("#provider-question-text", "signature").await?;
    ui.wait_text("#provider-question-text", "Compare with the card")
        .await?;
    ui.screenshot("e2e-vourity-01-question").await;
    ui.click("provider-answer-accepted").await?;
    wait_gone(ui, "#provider-question").await?;
    ui.find("#provider-panel[data-method=vourity]").await?;

    control(
        origin,
        &format!("/_sandbox/vourity/terminal/{pos}/approve"),
        Some(json!({})),
    )
    .await?;
    let receipt = completed(ui).await?;
    ui.screenshot("e2e-vourity-02-completed").await;
    eprintln!("e2e: Vourity sale completed with receipt {receipt}");
    Ok(())
}

/// The last sale is completed, paid by one approved tender of `method` for the whole
/// total, whose stored steps start with the request and include `final_step`.
fn check_database(db: &Path, method: &str, final_step: &str, expected_total: &str) {
    let conn = Connection::open_with_flags(db, OpenFlags::SQLITE_OPEN_READ_ONLY)
        .unwrap_or_else(|e| panic!("open {} read-only: {e}", db.display()));
    let (sale, status, total, receipt): (i64, String, i64, Option<i64>) = conn
        .query_row(
            "SELECT id, status, total_minor, receipt_no FROM sales WHERE kind = 'sale' ORDER BY id DESC LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .expect("the last sale");
    assert_eq!(status, "completed");
    assert_eq!(total, minor(expected_total).unwrap());
    assert!(receipt.is_some(), "a completed sale has a receipt number");
    let tenders: Vec<(i64, String, String, i64)> = conn
        .prepare("SELECT id, method, status, amount_minor FROM tenders WHERE sale_id = ?1 ORDER BY id")
        .unwrap()
        .query_map([sale], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let shape: Vec<(&str, &str, i64)> = tenders
        .iter()
        .map(|(_, m, s, a)| (m.as_str(), s.as_str(), *a))
        .collect();
    assert_eq!(
        shape,
        [(method, "approved", total)],
        "one approved {method} tender"
    );
    let steps: Vec<String> = conn
        .prepare("SELECT step FROM payment_steps WHERE tender_id = ?1 ORDER BY id")
        .unwrap()
        .query_map([tenders[0].0], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(steps.first().map(String::as_str), Some("requested"), "{steps:?}");
    assert!(
        steps.iter().any(|s| s == final_step),
        "the {method} payment's steps include {final_step:?}: {steps:?}"
    );
}
