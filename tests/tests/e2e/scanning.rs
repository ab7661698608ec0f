//! A scan always lands in the sale, wherever the cursor is. The cashier picks a product from
//! the name search (which leaves the cursor in the search box), then scans with the cursor
//! still there: once with the box empty, once with a query typed and its results showing,
//! where the scanner's Enter must not pick the highlighted result. Each scanned item must be
//! a line on screen and in the database, and the search box must keep what it held.

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use fantoccini::actions::{InputSource, KeyAction, KeyActions};
use rusqlite::{Connection, OpenFlags};

use super::returns::{barcode_of, wait_search};
use super::{Session, Ui, WAIT, login, till_ready};

const CASHIER: &str = "cashier";
/// Finds "Bryggkaffe" and "Kaffekopp, keramik" in the demo catalog.
const QUERY: &str = "kaffe";
const PICKED: (&str, &str) = ("KAF-001", "Bryggkaffe");
const SCANNED_EMPTY: (&str, &str) = ("BAK-001", "Kanelbulle");
const SCANNED_STALE: (&str, &str) = ("BAK-002", "Kardemummabulle");

const ENTER: char = '\u{E007}';
const ARROW_DOWN: char = '\u{E015}';
const ARROW_UP: char = '\u{E013}';
const F10: char = '\u{E03A}';

#[tokio::test]
#[ignore = "needs the built app and a display; run by scripts/test.sh"]
async fn a_scan_with_the_cursor_in_the_product_search_lands_in_the_sale() {
    let mut session = Session::demo("e2e-scan-focus");
    let cashier_pin = session.pin(CASHIER);
    let empty_code = barcode_of(session.db(), SCANNED_EMPTY.0);
    let stale_code = barcode_of(session.db(), SCANNED_STALE.0);
    session
        .run(async |ui| flow(ui, &cashier_pin, &empty_code, &stale_code).await)
        .await;
    check_database(session.db());
}

/// What a keyboard-wedge scanner does: the code and Enter as one quick burst of key
/// events, delivered to whatever has focus (nothing is blurred first).
async fn scan_into_focus(ui: &Ui, code: &str) -> Result<()> {
    let mut keys = KeyActions::new("scanner".into());
    for c in code.chars().chain([ENTER]) {
        keys = keys
            .then(KeyAction::Down { value: c })
            .then(KeyAction::Up { value: c });
    }
    ui.client
        .perform_actions(keys)
        .await
        .with_context(|| format!("scan {code}"))
}

async fn lines(ui: &Ui) -> Result<usize> {
    Ok(ui
        .client
        .find_all(fantoccini::Locator::Css("[data-testid=sale-line]"))
        .await?
        .len())
}

async fn wait_lines(ui: &Ui, n: usize, what: &str) -> Result<()> {
    let deadline = Instant::now() + WAIT;
    loop {
        let seen = lines(ui).await?;
        if seen == n {
            return Ok(());
        }
        if seen > n || Instant::now() >= deadline {
            bail!(
                "{what}: expected {n} sale lines, found {seen}{}",
                ui.alerts().await
            );
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn flow(ui: &Ui, cashier_pin: &str, empty_code: &str, stale_code: &str) -> Result<()> {
    login(ui, CASHIER, cashier_pin).await?;
    till_ready(ui).await?;

    // Pick Bryggkaffe from the search; the cursor stays in the search box.
    ui.press(&F10.to_string()).await?;
    wait_search(ui, "focus after F10", |s| s.focused == "sale-search").await?;
    ui.press(QUERY).await?;
    let shown = wait_search(ui, &format!("results for {QUERY:?}"), |s| {
        s.results.iter().any(|r| r == PICKED.1) && s.highlighted.is_some()
    })
    .await?;
    let target = shown
        .results
        .iter()
        .position(|r| r == PICKED.1)
        .expect("checked above");
    let mut at = shown.highlighted.unwrap_or(0);
    while at != target {
        let key = if at < target { ARROW_DOWN } else { ARROW_UP };
        ui.press(&key.to_string()).await?;
        at = if at < target { at + 1 } else { at - 1 };
        wait_search(ui, &format!("highlight on result {at}"), |s| {
            s.highlighted == Some(at)
        })
        .await?;
    }
    ui.press(&ENTER.to_string()).await?;
    ui.wait_text("[data-testid=sale-line]", PICKED.1).await?;
    wait_search(ui, "an empty, focused box after the pick", |s| {
        s.focused == "sale-search" && s.query.is_empty() && s.results.is_empty()
    })
    .await?;
    wait_lines(ui, 1, "after the pick").await?;
    ui.screenshot("e2e-scan-focus-01-picked").await;

    // Scan with the cursor in the empty search box.
    scan_into_focus(ui, empty_code).await?;
    ui.wait_text("[data-testid=sale-line]", SCANNED_EMPTY.1).await?;
    wait_lines(ui, 2, "after scanning into the empty search box").await?;
    let after = wait_search(ui, "the box as it was before the scan", |s| {
        s.focused == "sale-search" && s.query.is_empty() && s.results.is_empty()
    })
    .await?;
    eprintln!("e2e: scanned {empty_code} into the empty search box: {after:?}");
    ui.screenshot("e2e-scan-focus-02-scanned").await;

    // Type a query, let its results show, and scan: the scanner's Enter must not pick the
    // highlighted result, and the query stays.
    ui.press(QUERY).await?;
    wait_search(ui, &format!("results for {QUERY:?} again"), |s| {
        s.query == QUERY && !s.results.is_empty() && s.highlighted.is_some()
    })
    .await?;
    scan_into_focus(ui, stale_code).await?;
    ui.wait_text("[data-testid=sale-line]", SCANNED_STALE.1).await?;
    wait_lines(ui, 3, "after scanning over open search results").await?;
    wait_search(ui, "the query kept after the scan", |s| {
        s.focused == "sale-search" && s.query == QUERY
    })
    .await?;
    ui.screenshot("e2e-scan-focus-03-scanned-over-results").await;
    // A picked result would have merged into the Bryggkaffe line: the database check sees that.
    Ok(())
}

/// The cashier's open sale holds the picked and the two scanned products, once each, in order.
fn check_database(db: &Path) {
    let conn = Connection::open_with_flags(db, OpenFlags::SQLITE_OPEN_READ_ONLY)
        .unwrap_or_else(|e| panic!("open {} read-only: {e}", db.display()));
    let skus: Vec<(String, String)> = conn
        .prepare(
            "SELECT l.sku, l.quantity FROM sale_lines l JOIN sales s ON s.id = l.sale_id \
             JOIN users u ON u.id = s.cashier_id \
             WHERE s.status = 'open' AND u.name = ?1 ORDER BY l.line_no",
        )
        .unwrap()
        .query_map([CASHIER], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let expected: Vec<(String, String)> = [PICKED.0, SCANNED_EMPTY.0, SCANNED_STALE.0]
        .iter()
        .map(|sku| (sku.to_string(), "1".to_string()))
        .collect();
    assert_eq!(skus, expected, "the open sale's lines (sku, quantity)");
}
