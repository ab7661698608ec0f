//! The locked till and the quick switch of user: the cashier rings up an item and locks the
//! screen; the manager logs in from the lock screen and finds no sale of theirs; the
//! cashier comes back and finds the sale as it was, then locks and unlocks with the PIN.
//! The database must hold the one open sale, still the cashier's.

use std::path::Path;

use anyhow::{Result, bail};
use fantoccini::Locator;
use rusqlite::{Connection, OpenFlags};

use super::returns::barcode_of;
use super::{Session, Ui, login, till_ready};

const CASHIER: &str = "cashier";
const MANAGER: &str = "manager";
const ITEM: (&str, &str) = ("BAK-001", "Kanelbulle");

#[tokio::test]
#[ignore = "needs the built app and a display; run by scripts/test.sh"]
async fn a_locked_till_switches_user_and_keeps_the_open_sale_with_its_cashier() {
    let mut session = Session::demo("e2e-lock");
    let cashier_pin = session.pin(CASHIER);
    let manager_pin = session.pin(MANAGER);
    let code = barcode_of(session.db(), ITEM.0);
    session
        .run(async |ui| flow(ui, &cashier_pin, &manager_pin, &code).await)
        .await;
    check_database(session.db());
}

async fn lines(ui: &Ui) -> Result<usize> {
    Ok(ui
        .client
        .find_all(Locator::Css("[data-testid=sale-line]"))
        .await?
        .len())
}

/// Locks with the top bar's button and waits for the lock screen naming `user`.
async fn lock(ui: &Ui, user: &str) -> Result<()> {
    ui.click("lock").await?;
    ui.wait_text("#lock-user", user).await?;
    if !ui.client.find_all(Locator::Css("#topbar-user")).await?.is_empty() {
        bail!("the locked screen still shows the signed-in frame");
    }
    Ok(())
}

async fn flow(ui: &Ui, cashier_pin: &str, manager_pin: &str, code: &str) -> Result<()> {
    login(ui, CASHIER, cashier_pin).await?;
    till_ready(ui).await?;
    ui.fill("sale-code", code).await?;
    ui.click("sale-add").await?;
    ui.wait_text("[data-testid=sale-line]", ITEM.1).await?;
    ui.screenshot("e2e-lock-01-sale").await;

    // Locked: the cashier's session is over; the manager takes over the till.
    lock(ui, CASHIER).await?;
    ui.screenshot("e2e-lock-02-locked").await;
    ui.click("lock-switch").await?;
    login(ui, MANAGER, manager_pin).await?;
    ui.ready("sale-code").await?;
    ui.find("#sale-empty").await?;
    if lines(ui).await? != 0 {
        bail!("the manager sees the cashier's open sale");
    }
    ui.screenshot("e2e-lock-03-manager").await;

    // The cashier comes back and finds their sale.
    lock(ui, MANAGER).await?;
    ui.click("lock-switch").await?;
    login(ui, CASHIER, cashier_pin).await?;
    ui.wait_text("[data-testid=sale-line]", ITEM.1).await?;

    // Locked again, unlocked with the same user's PIN: back where they were.
    lock(ui, CASHIER).await?;
    ui.fill("lock-pin", "0000").await?;
    ui.click("lock-unlock").await?;
    ui.find("#lock-error").await?;
    ui.fill("lock-pin", cashier_pin).await?;
    ui.click("lock-unlock").await?;
    ui.wait_text("#topbar-user", CASHIER).await?;
    ui.wait_text("[data-testid=sale-line]", ITEM.1).await?;
    if lines(ui).await? != 1 {
        bail!("after unlocking the sale should have its one line");
    }
    ui.screenshot("e2e-lock-04-unlocked").await;
    Ok(())
}

/// One open sale on the till, the cashier's, with the one item.
fn check_database(db: &Path) {
    let conn = Connection::open_with_flags(db, OpenFlags::SQLITE_OPEN_READ_ONLY)
        .unwrap_or_else(|e| panic!("open {} read-only: {e}", db.display()));
    let open: Vec<(String, i64)> = conn
        .prepare(
            "SELECT u.name, (SELECT count(*) FROM sale_lines l WHERE l.sale_id = s.id) \
             FROM sales s JOIN users u ON u.id = s.cashier_id WHERE s.status = 'open' ORDER BY s.id",
        )
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let with_lines: Vec<&(String, i64)> = open.iter().filter(|(_, n)| *n > 0).collect();
    assert_eq!(
        with_lines,
        vec![&(CASHIER.to_string(), 1)],
        "open sales (cashier, lines): {open:?}"
    );
}
