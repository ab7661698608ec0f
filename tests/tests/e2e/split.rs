//! A customer pays part of a sale in cash and part by card; the card is declined and the
//! customer leaves. The cashier splits the payment with the keyboard (F4 for the cash,
//! ⇧F5 for a part amount on the card), then voids the sale with F9 (handing cash back needs
//! a manager's PIN in the dialog), and the till says how much cash to hand back. The database must show the cash taken, the declined card, and
//! the cash handed back as a return tender pointing at the cash taken.

use std::path::Path;
use std::time::Instant;

use anyhow::{Result, bail};
use rusqlite::{Connection, OpenFlags};

use super::returns::{barcode_of, minor};
use super::{Session, Ui, WAIT, login, till_ready};

const CASHIER: &str = "cashier";
const MANAGER: &str = "manager";
/// Bryggkaffe costs 32.00 in Malmö C, the store of the demo's till; two of them: 64.00.
const SKU: &str = "KAF-001";
const TOTAL: &str = "64.00";
const CASH: &str = "20.00";
const CARD: &str = "30.00";

const ENTER: char = '\u{E007}';
const SHIFT: char = '\u{E008}';
const F2: char = '\u{E032}';
const F4: char = '\u{E034}';
const F5: char = '\u{E035}';
const F9: char = '\u{E039}';

#[tokio::test]
#[ignore = "needs the built app and a display; run by scripts/test.sh"]
async fn cashier_splits_cash_and_card_then_voids_the_part_paid_sale_in_the_real_window() {
    let mut session = Session::demo("e2e-split");
    let pin = session.pin(CASHIER);
    let manager_pin = session.pin(MANAGER);
    let code = barcode_of(session.db(), SKU);
    session
        .run(async |ui| flow(ui, &pin, &manager_pin, &code).await)
        .await;
    check_database(session.db());
}

async fn flow(ui: &Ui, pin: &str, manager_pin: &str, code: &str) -> Result<()> {
    login(ui, CASHIER, pin).await?;
    till_ready(ui).await?;

    // Two coffees, keyed in at the code field (F2).
    for _ in 0..2 {
        ui.press(&F2.to_string()).await?;
        ui.press(&format!("{code}{ENTER}")).await?;
    }
    ui.wait_text("#sale-total", TOTAL).await?;
    ui.screenshot("e2e-split-01-rung-up").await;

    // F4: part of it in cash.
    ui.press(&F4.to_string()).await?;
    ui.fill("cash-tendered", CASH).await?;
    ui.click("cash-confirm").await?;
    ui.wait_text("#sale-paid", CASH).await?;
    ui.wait_text("#sale-remaining", "44.00").await?;

    // ⇧F5: a part amount on the card terminal, which declines it.
    ui.chord(SHIFT, F5).await?;
    ui.fill("card-amount", CARD).await?;
    ui.click("card-amount-confirm").await?;
    ui.wait_text("#card-instruction", CARD).await?;
    ui.screenshot("e2e-split-02-card-pending").await;
    ui.click("card-declined").await?;
    wait_gone(ui, "#card-panel").await?;
    ui.wait_text("#sale-remaining", "44.00").await?;

    // F9: the customer leaves; the void dialog says what cash to hand back, and so does
    // the till once the sale is voided.
    ui.press(&F9.to_string()).await?;
    ui.wait_text("#void-cash-back", CASH).await?;
    ui.fill("approval-name", MANAGER).await?;
    ui.fill("approval-pin", manager_pin).await?;
    ui.screenshot("e2e-split-03-void-dialog").await;
    ui.click("void-confirm").await?;
    ui.wait_text(".notice-slot", CASH).await?;
    ui.find("#sale-empty").await?;
    ui.screenshot("e2e-split-04-voided").await;
    Ok(())
}

/// Waits until nothing matches `css`.
pub(super) async fn wait_gone(ui: &Ui, css: &str) -> Result<()> {
    let deadline = Instant::now() + WAIT;
    while !ui
        .client
        .find_all(fantoccini::Locator::Css(css))
        .await?
        .is_empty()
    {
        if Instant::now() >= deadline {
            bail!("{css} is still shown after {WAIT:?}{}", ui.alerts().await);
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    Ok(())
}

fn check_database(db: &Path) {
    let conn = Connection::open_with_flags(db, OpenFlags::SQLITE_OPEN_READ_ONLY)
        .unwrap_or_else(|e| panic!("open {} read-only: {e}", db.display()));
    let (sale, status, total, receipt): (i64, String, i64, Option<i64>) = conn
        .query_row(
            "SELECT id, status, total_minor, receipt_no FROM sales WHERE kind = 'sale' ORDER BY id DESC LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .expect("the last sale");
    assert_eq!(status, "voided", "the part-paid sale is voided");
    assert_eq!(total, minor(TOTAL).unwrap());
    assert_eq!(receipt, None, "a voided sale takes no receipt number");

    let tenders: Vec<(i64, String, String, i64, Option<i64>)> = conn
        .prepare("SELECT id, method, status, amount_minor, original_tender_id FROM tenders WHERE sale_id = ?1 ORDER BY id")
        .unwrap()
        .query_map([sale], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let cash = minor(CASH).unwrap();
    let shape: Vec<(&str, &str, i64)> = tenders
        .iter()
        .map(|(_, method, status, amount, _)| (method.as_str(), status.as_str(), *amount))
        .collect();
    assert_eq!(
        shape,
        [
            ("cash", "approved", cash),
            ("external_card", "declined", minor(CARD).unwrap()),
            ("cash", "approved", -cash),
        ],
        "cash taken, the declined card, and the cash handed back"
    );
    assert_eq!(
        tenders[2].4,
        Some(tenders[0].0),
        "the cash handed back points at the cash taken"
    );

    let (kind, canonical): (String, Vec<u8>) = conn
        .query_row(
            "SELECT kind, canonical FROM journal ORDER BY seq DESC LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .expect("the journal's last record");
    let record: serde_json::Value = serde_json::from_slice(&canonical).expect("canonical JSON");
    assert_eq!(kind, "void", "the void is the journal's last record: {record}");
    assert_eq!(
        record["event"]["cashReturned"], CASH,
        "the journal names the cash handed back: {record}"
    );
}
