//! The cashier finds a product by name with the keyboard only (F10, typing, arrows, Enter),
//! pays cash, then takes back two items from a customer without a receipt, approved with
//! the manager's name and PIN. The return must be in the database as a credit note of its
//! own: a refund of kind `return_without_receipt`, linked to no sale, for the right amount.

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use rusqlite::{Connection, OpenFlags};
use serde_json::Value;

use super::{Session, Ui, WAIT, login, till_ready};

const CASHIER: &str = "cashier";
const MANAGER: &str = "manager";
/// Part of a name in the demo catalog: "Bryggkaffe" and "Kaffekopp, keramik" contain it.
const QUERY: &str = "kaffe";
const PICKED: &str = "Bryggkaffe";
/// Bryggkaffe's price in Malmö C, the store of the demo's till (demo.rs).
const PICKED_MINOR: i64 = 3200;
/// Two of these come back without a receipt; 38.00 each in Malmö C.
const RETURNED_SKU: &str = "BAK-001";
const RETURNED_NAME: &str = "Kanelbulle";
const RETURNED_QTY: &str = "2";
const RETURNED_MINOR: i64 = 2 * 3800;
const REASON: &str = "Kvitto borttappat";

const ENTER: char = '\u{E007}';
const ARROW_UP: char = '\u{E013}';
const ARROW_DOWN: char = '\u{E015}';
const F4: char = '\u{E034}';
const F10: char = '\u{E03A}';

#[tokio::test]
#[ignore = "needs the built app and a display; run by scripts/test.sh"]
async fn cashier_sells_by_name_search_and_takes_a_return_without_receipt_in_the_real_window() {
    let mut session = Session::demo("e2e-return");
    let cashier_pin = session.pin(CASHIER);
    let manager_pin = session.pin(MANAGER);
    let code = barcode_of(session.db(), RETURNED_SKU);
    let receipts = session
        .run(async |ui| flow(ui, &cashier_pin, &manager_pin, &code).await)
        .await;
    check_database(session.db(), &receipts);
}

/// The receipt numbers the window showed.
struct Receipts {
    sale: i64,
    credit_note: i64,
}

/// The first barcode the catalog has for `sku`: what the cashier reads off the package.
pub(super) fn barcode_of(db: &Path, sku: &str) -> String {
    let conn = Connection::open_with_flags(db, OpenFlags::SQLITE_OPEN_READ_ONLY)
        .unwrap_or_else(|e| panic!("open {} read-only: {e}", db.display()));
    conn.query_row(
        "SELECT b.code FROM product_barcodes b JOIN products p ON p.id = b.product_id \
         WHERE p.sku = ?1 ORDER BY b.code LIMIT 1",
        [sku],
        |r| r.get(0),
    )
    .unwrap_or_else(|e| panic!("the demo catalog has no barcode for {sku}: {e}"))
}

/// What the till's product search shows, read in one go.
#[derive(Debug)]
pub(super) struct Search {
    /// The id of the focused element.
    pub focused: String,
    /// The text in the search field.
    pub query: String,
    /// The names in the result list, in order (empty when it is closed).
    pub results: Vec<String>,
    /// The index of the highlighted result (`aria-selected`), if any.
    pub highlighted: Option<usize>,
}

pub(super) async fn search_state(ui: &Ui) -> Result<Search> {
    let value = ui
        .client
        .execute(
            "const input = document.getElementById('sale-search');
             const items = Array.from(document.querySelectorAll('[data-testid=search-result]'));
             const at = items.findIndex((li) => li.getAttribute('aria-selected') === 'true');
             return {
                 focused: document.activeElement ? document.activeElement.id : '',
                 query: input ? input.value : '',
                 results: items.map((li) => li.querySelector('.result-name').textContent.trim()),
                 highlighted: at < 0 ? null : at,
             };",
            vec![],
        )
        .await
        .context("read the product search")?;
    let text = |v: &Value| v.as_str().unwrap_or_default().to_owned();
    Ok(Search {
        focused: text(&value["focused"]),
        query: text(&value["query"]),
        results: value["results"]
            .as_array()
            .map(|names| names.iter().map(text).collect())
            .unwrap_or_default(),
        highlighted: value["highlighted"].as_u64().map(|i| i as usize),
    })
}

/// Polls the search until `done` holds for it.
pub(super) async fn wait_search(ui: &Ui, what: &str, done: impl Fn(&Search) -> bool) -> Result<Search> {
    let deadline = Instant::now() + WAIT;
    loop {
        let state = search_state(ui).await?;
        if done(&state) {
            return Ok(state);
        }
        if Instant::now() >= deadline {
            bail!(
                "the product search shows no {what} within {WAIT:?}; it shows {state:?}{}",
                ui.alerts().await
            );
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn count(ui: &Ui, css: &str) -> Result<usize> {
    Ok(ui.client.find_all(fantoccini::Locator::Css(css)).await?.len())
}

/// "-76.00" → -7600. Only plain amounts as the backend formats them.
pub(super) fn minor(text: &str) -> Result<i64> {
    let (whole, frac) = text
        .trim()
        .split_once('.')
        .with_context(|| format!("{text:?} is not an amount with decimals"))?;
    let negative = whole.starts_with('-');
    let whole: i64 = whole.trim_start_matches('-').parse()?;
    let frac: i64 = frac.parse()?;
    if frac >= 100 {
        bail!("{text:?} has more than two decimals");
    }
    let value = whole * 100 + frac;
    Ok(if negative { -value } else { value })
}

async fn flow(ui: &Ui, cashier_pin: &str, manager_pin: &str, code: &str) -> Result<Receipts> {
    login(ui, CASHIER, cashier_pin).await?;
    till_ready(ui).await?;
    ui.screenshot("e2e-return-01-till").await;

    // F10 puts the cursor into the product search.
    ui.press(&F10.to_string()).await?;
    wait_search(ui, "focus after F10", |s| s.focused == "sale-search").await?;

    // Part of the name; the results come as a list with the first one highlighted.
    ui.press(QUERY).await?;
    let shown = wait_search(ui, &format!("results for {QUERY:?}"), |s| {
        s.query == QUERY && s.results.iter().any(|r| r == PICKED) && s.highlighted.is_some()
    })
    .await?;
    if shown.results.len() < 2 {
        bail!(
            "{QUERY:?} should find at least two demo products (to move between them with the arrows); found {:?}",
            shown.results
        );
    }
    ui.screenshot("e2e-return-02-search").await;

    // Down to the last result, then up to the one we want, checking the highlight each time.
    let last = shown.results.len() - 1;
    let mut at = shown.highlighted.unwrap_or(0);
    while at < last {
        ui.press(&ARROW_DOWN.to_string()).await?;
        at += 1;
        wait_search(ui, &format!("highlight on result {at}"), |s| {
            s.highlighted == Some(at)
        })
        .await?;
    }
    let target = shown
        .results
        .iter()
        .position(|r| r == PICKED)
        .expect("checked above");
    while at > target {
        ui.press(&ARROW_UP.to_string()).await?;
        at -= 1;
        wait_search(ui, &format!("highlight on result {at}"), |s| {
            s.highlighted == Some(at)
        })
        .await?;
    }
    let on_target = search_state(ui).await?;
    if on_target.results.get(at).map(String::as_str) != Some(PICKED) {
        bail!("the highlight should be on {PICKED}; the search shows {on_target:?}");
    }
    ui.screenshot("e2e-return-03-highlighted").await;

    // Enter adds it; the list closes and the cursor stays in the search for the next item.
    ui.press(&ENTER.to_string()).await?;
    ui.wait_text("[data-testid=sale-line]", PICKED).await?;
    wait_search(ui, "empty, focused field after the pick", |s| {
        s.focused == "sale-search" && s.query.is_empty() && s.results.is_empty()
    })
    .await?;
    let lines = count(ui, "[data-testid=sale-line]").await?;
    if lines != 1 {
        bail!("expected 1 sale line after picking {PICKED}, found {lines}");
    }
    let total = ui.text("#sale-total").await?;
    if minor(&total)? != PICKED_MINOR {
        bail!("the total shows {total:?} for one {PICKED}");
    }
    ui.screenshot("e2e-return-04-picked").await;

    // F4 pays cash.
    ui.press(&F4.to_string()).await?;
    ui.fill("cash-tendered", "50").await?;
    ui.click("cash-confirm").await?;
    let change = ui.text("#sale-change").await?;
    if minor(&change)? != 5000 - PICKED_MINOR {
        bail!("the change shows {change:?} for 50.00 tendered on {total}");
    }
    let sale: i64 = ui
        .text("#sale-receipt-no")
        .await?
        .parse()
        .context("the receipt number is a number")?;
    ui.screenshot("e2e-return-05-paid").await;

    // A customer brings back two items without a receipt; the manager approves.
    ui.click("nav-refund").await?;
    ui.wait_path("/refund").await?;
    ui.fill("return-code", code).await?;
    ui.fill("return-qty", RETURNED_QTY).await?;
    ui.fill("return-reason", REASON).await?;
    ui.fill("return-approval-name", MANAGER).await?;
    ui.fill("return-approval-pin", manager_pin).await?;
    ui.screenshot("e2e-return-06-form").await;
    ui.click("return-submit").await?;
    ui.find("#refund-result").await?;
    let returned = ui.text("#refund-result-total").await?;
    if minor(&returned)? != -RETURNED_MINOR {
        bail!(
            "the credit note's total shows {returned:?}; expected -{}.{:02}",
            RETURNED_MINOR / 100,
            RETURNED_MINOR % 100
        );
    }
    let credit_note: i64 = ui
        .text("#refund-result-no")
        .await?
        .parse()
        .context("the credit note's number is a number")?;
    // The credit note is shown as the customer's receipt, ready to print.
    let preview = ui.text("#receipt-preview").await?;
    if !preview.contains(&credit_note.to_string()) {
        bail!("the receipt preview does not show credit note {credit_note}:\n{preview}");
    }
    eprintln!("e2e: sale {sale}, credit note {credit_note}, total {returned}");
    ui.screenshot("e2e-return-07-returned").await;
    Ok(Receipts { sale, credit_note })
}

/// The sale and the credit note, as the database has them.
fn check_database(db: &Path, receipts: &Receipts) {
    let conn = Connection::open_with_flags(db, OpenFlags::SQLITE_OPEN_READ_ONLY)
        .unwrap_or_else(|e| panic!("open {} read-only: {e}", db.display()));

    // The newest sale with that number (the demo history has other tills' receipts too).
    let (sale_id, pos_id, sale_total): (i64, i64, i64) = conn
        .query_row(
            "SELECT id, pos_id, total_minor FROM sales \
             WHERE kind = 'sale' AND status = 'completed' AND receipt_no = ?1 ORDER BY id DESC LIMIT 1",
            [receipts.sale],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap_or_else(|e| panic!("no completed sale with receipt {}: {e}", receipts.sale));
    assert_eq!(sale_total, PICKED_MINOR, "the sale's total (one {PICKED})");
    let sold: Vec<String> = conn
        .prepare("SELECT name FROM sale_lines WHERE sale_id = ?1 ORDER BY line_no")
        .unwrap()
        .query_map([sale_id], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(sold, [PICKED], "the sale's lines");

    // Refunds and sales share one series of numbers per till.
    assert_eq!(
        receipts.credit_note,
        receipts.sale + 1,
        "the credit note takes the next receipt number"
    );
    type Row = (
        i64,
        String,
        String,
        Option<String>,
        Option<i64>,
        Option<String>,
        i64,
        String,
        Option<String>,
    );
    let (id, kind, status, correction, original, reason, total, cashier, approver): Row = conn
        .query_row(
            "SELECT s.id, s.kind, s.status, s.correction, s.original_sale_id, s.reason, s.total_minor, \
                    c.name, a.name \
             FROM sales s JOIN users c ON c.id = s.cashier_id LEFT JOIN users a ON a.id = s.approved_by \
             WHERE s.pos_id = ?1 AND s.receipt_no = ?2",
            [pos_id, receipts.credit_note],
            |r| {
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    r.get(5)?,
                    r.get(6)?,
                    r.get(7)?,
                    r.get(8)?,
                ))
            },
        )
        .unwrap_or_else(|e| panic!("no receipt {} on till {pos_id}: {e}", receipts.credit_note));
    assert!(id > sale_id, "the credit note comes after the sale");
    assert_eq!(kind, "refund", "a return is a credit note");
    assert_eq!(status, "completed");
    assert_eq!(correction.as_deref(), Some("return_without_receipt"));
    assert_eq!(original, None, "a return without a receipt credits no sale");
    assert_eq!(reason.as_deref(), Some(REASON));
    assert_eq!(total, -RETURNED_MINOR, "two {RETURNED_NAME} back");
    assert_eq!(cashier, CASHIER, "taken by the signed-in cashier");
    assert_eq!(approver.as_deref(), Some(MANAGER), "approved by the manager");

    let lines: Vec<(String, String, i64)> = conn
        .prepare("SELECT sku, quantity, total_minor FROM sale_lines WHERE sale_id = ?1 ORDER BY line_no")
        .unwrap()
        .query_map([id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(
        lines,
        [(
            RETURNED_SKU.to_owned(),
            format!("-{RETURNED_QTY}"),
            -RETURNED_MINOR
        )],
        "the credit note's lines"
    );
    let tenders: Vec<(String, String, i64)> = conn
        .prepare("SELECT method, status, amount_minor FROM tenders WHERE sale_id = ?1")
        .unwrap()
        .query_map([id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(
        tenders,
        [("cash".to_owned(), "approved".to_owned(), -RETURNED_MINOR)],
        "the money goes back in cash"
    );
}

#[test]
fn minor_units_of_backend_amounts() {
    assert_eq!(minor("76.00").unwrap(), 7600);
    assert_eq!(minor("-76.00").unwrap(), -7600);
    assert_eq!(minor("-0.50").unwrap(), -50);
    assert!(minor("76").is_err());
}
