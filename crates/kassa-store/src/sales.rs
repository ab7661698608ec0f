//! Sales, their lines and tenders, and the per-POS receipt counter. Refunds are sales of
//! kind `refund` with negative quantities and amounts.

use rusqlite::{Connection, OptionalExtension, Row, params};

use kassa_core::org::{SaleKind, SaleStatus, SaleUnit, TenderMethod, TenderStatus};

use crate::StoreError;
use crate::pos_devices::parse_text;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SaleRow {
    pub id: i64,
    pub kind: SaleKind,
    pub status: SaleStatus,
    pub store_id: i64,
    pub pos_id: i64,
    pub shift_id: i64,
    pub cashier_id: i64,
    pub currency: String,
    pub customer_ref: Option<String>,
    pub original_sale_id: Option<i64>,
    pub correction: Option<String>,
    pub reason: Option<String>,
    pub approved_by: Option<i64>,
    pub order_discount: Option<String>,
    pub receipt_no: Option<i64>,
    pub total_minor: i64,
    pub vat_minor: i64,
    pub discount_minor: i64,
    pub rounding_minor: i64,
    pub change_minor: i64,
    pub created_at: String,
    pub updated_at: String,
    pub completed_at: Option<String>,
    /// A loyalty program's discount (part of `discount_minor`), and what it was
    /// calculated for (JSON, see migration 0010).
    pub loyalty_discount_minor: i64,
    pub loyalty_detail: Option<String>,
}

/// What a new sale (or refund) starts with.
#[derive(Debug, Clone)]
pub struct NewSale<'a> {
    pub kind: SaleKind,
    pub store_id: i64,
    pub pos_id: i64,
    pub shift_id: i64,
    pub cashier_id: i64,
    pub currency: &'a str,
    pub original_sale_id: Option<i64>,
    /// `refund`, `post_void` or `return_without_receipt` for refunds.
    pub correction: Option<&'a str>,
    pub reason: Option<&'a str>,
    pub approved_by: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineRow {
    pub id: i64,
    pub sale_id: i64,
    pub line_no: i64,
    pub product_id: Option<i64>,
    pub sku: String,
    pub name: String,
    pub barcode: Option<String>,
    pub unit: SaleUnit,
    /// Canonical decimal text; negative on refunds.
    pub quantity: String,
    pub unit_price_minor: i64,
    pub catalog_price_minor: i64,
    pub price_override_by: Option<i64>,
    pub vat_rate: String,
    pub discount: Option<String>,
    pub discount_minor: i64,
    pub total_minor: i64,
    pub original_line_id: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TenderRow {
    pub id: i64,
    pub sale_id: i64,
    pub method: TenderMethod,
    pub amount_minor: i64,
    pub status: TenderStatus,
    pub reference: String,
    pub original_tender_id: Option<i64>,
    pub detail: Option<String>,
    pub created_at: String,
    pub resolved_at: Option<String>,
}

const SALE_COLUMNS: &str = "id, kind, status, store_id, pos_id, shift_id, cashier_id, currency, customer_ref, \
     original_sale_id, correction, reason, approved_by, order_discount, receipt_no, total_minor, vat_minor, discount_minor, \
     rounding_minor, change_minor, created_at, updated_at, completed_at, loyalty_discount_minor, loyalty_detail";

fn sale_from_row(r: &Row<'_>) -> rusqlite::Result<SaleRow> {
    Ok(SaleRow {
        id: r.get(0)?,
        kind: parse_text(r, 1)?,
        status: parse_text(r, 2)?,
        store_id: r.get(3)?,
        pos_id: r.get(4)?,
        shift_id: r.get(5)?,
        cashier_id: r.get(6)?,
        currency: r.get(7)?,
        customer_ref: r.get(8)?,
        original_sale_id: r.get(9)?,
        correction: r.get(10)?,
        reason: r.get(11)?,
        approved_by: r.get(12)?,
        order_discount: r.get(13)?,
        receipt_no: r.get(14)?,
        total_minor: r.get(15)?,
        vat_minor: r.get(16)?,
        discount_minor: r.get(17)?,
        rounding_minor: r.get(18)?,
        change_minor: r.get(19)?,
        created_at: r.get(20)?,
        updated_at: r.get(21)?,
        completed_at: r.get(22)?,
        loyalty_discount_minor: r.get(23)?,
        loyalty_detail: r.get(24)?,
    })
}

const LINE_COLUMNS: &str = "id, sale_id, line_no, product_id, sku, name, barcode, unit, quantity, unit_price_minor, \
     catalog_price_minor, price_override_by, vat_rate, discount, discount_minor, total_minor, original_line_id";

fn line_from_row(r: &Row<'_>) -> rusqlite::Result<LineRow> {
    Ok(LineRow {
        id: r.get(0)?,
        sale_id: r.get(1)?,
        line_no: r.get(2)?,
        product_id: r.get(3)?,
        sku: r.get(4)?,
        name: r.get(5)?,
        barcode: r.get(6)?,
        unit: parse_text(r, 7)?,
        quantity: r.get(8)?,
        unit_price_minor: r.get(9)?,
        catalog_price_minor: r.get(10)?,
        price_override_by: r.get(11)?,
        vat_rate: r.get(12)?,
        discount: r.get(13)?,
        discount_minor: r.get(14)?,
        total_minor: r.get(15)?,
        original_line_id: r.get(16)?,
    })
}

const TENDER_COLUMNS: &str = "id, sale_id, method, amount_minor, status, reference, original_tender_id, detail, created_at, resolved_at";

fn tender_from_row(r: &Row<'_>) -> rusqlite::Result<TenderRow> {
    Ok(TenderRow {
        id: r.get(0)?,
        sale_id: r.get(1)?,
        method: parse_text(r, 2)?,
        amount_minor: r.get(3)?,
        status: parse_text(r, 4)?,
        reference: r.get(5)?,
        original_tender_id: r.get(6)?,
        detail: r.get(7)?,
        created_at: r.get(8)?,
        resolved_at: r.get(9)?,
    })
}

pub fn insert_sale(conn: &Connection, s: &NewSale<'_>, now: &str) -> Result<i64, StoreError> {
    crate::cached::execute(
        conn,
        "INSERT INTO sales (kind, status, store_id, pos_id, shift_id, cashier_id, currency, original_sale_id, \
         reason, approved_by, created_at, updated_at, correction) \
         VALUES (?1, 'open', ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?10, ?11)",
        params![
            s.kind.as_str(),
            s.store_id,
            s.pos_id,
            s.shift_id,
            s.cashier_id,
            s.currency,
            s.original_sale_id,
            s.reason,
            s.approved_by,
            now,
            s.correction
        ],
    )?;
    Ok(conn.last_insert_rowid())
}

pub fn get_sale(conn: &Connection, id: i64) -> Result<Option<SaleRow>, StoreError> {
    Ok(crate::cached::query_row(
        conn,
        &format!("SELECT {SALE_COLUMNS} FROM sales WHERE id = ?1"),
        [id],
        sale_from_row,
    )
    .optional()?)
}

pub fn find_by_receipt(
    conn: &Connection,
    pos_id: i64,
    receipt_no: i64,
) -> Result<Option<SaleRow>, StoreError> {
    Ok(crate::cached::query_row(
        conn,
        &format!("SELECT {SALE_COLUMNS} FROM sales WHERE pos_id = ?1 AND receipt_no = ?2"),
        params![pos_id, receipt_no],
        sale_from_row,
    )
    .optional()?)
}

/// Sales of a POS in the given statuses, newest first.
pub fn by_status(
    conn: &Connection,
    pos_id: i64,
    statuses: &[SaleStatus],
) -> Result<Vec<SaleRow>, StoreError> {
    let list: Vec<&str> = statuses.iter().map(|s| s.as_str()).collect();
    // Every scan asks this twice; the statement stays prepared.
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {SALE_COLUMNS} FROM sales WHERE pos_id = ?1 AND status IN (SELECT value FROM json_each(?2)) \
         ORDER BY id DESC"
    ))?;
    let json = serde_json::to_string(&list).map_err(|e| StoreError::bad_row(e.to_string()))?;
    let rows = stmt
        .query_map(params![pos_id, json], sale_from_row)?
        .collect::<Result<_, _>>()?;
    Ok(rows)
}

/// Completed sales and refunds, newest first, optionally of one POS.
pub fn completed(conn: &Connection, pos_id: Option<i64>, limit: u32) -> Result<Vec<SaleRow>, StoreError> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {SALE_COLUMNS} FROM sales WHERE (?1 IS NULL OR pos_id = ?1) AND receipt_no IS NOT NULL \
         ORDER BY completed_at DESC, id DESC LIMIT ?2"
    ))?;
    let rows = stmt
        .query_map(params![pos_id, limit], sale_from_row)?
        .collect::<Result<_, _>>()?;
    Ok(rows)
}

/// The most recent completed sale of a POS (the only one a post-void may reverse).
pub fn last_completed(conn: &Connection, pos_id: i64) -> Result<Option<SaleRow>, StoreError> {
    Ok(crate::cached::query_row(
        conn,
        &format!(
            "SELECT {SALE_COLUMNS} FROM sales WHERE pos_id = ?1 AND receipt_no IS NOT NULL \
                 ORDER BY receipt_no DESC LIMIT 1"
        ),
        [pos_id],
        sale_from_row,
    )
    .optional()?)
}

pub fn set_status(conn: &Connection, id: i64, status: SaleStatus, now: &str) -> Result<(), StoreError> {
    crate::cached::execute(
        conn,
        "UPDATE sales SET status = ?2, updated_at = ?3 WHERE id = ?1",
        params![id, status.as_str(), now],
    )?;
    Ok(())
}

pub fn set_voided(
    conn: &Connection,
    id: i64,
    status: SaleStatus,
    by: i64,
    now: &str,
) -> Result<(), StoreError> {
    crate::cached::execute(
        conn,
        "UPDATE sales SET status = ?2, voided_at = ?3, voided_by = ?4, updated_at = ?3 WHERE id = ?1",
        params![id, status.as_str(), now, by],
    )?;
    Ok(())
}

pub fn set_customer_ref(
    conn: &Connection,
    id: i64,
    customer_ref: Option<&str>,
    now: &str,
) -> Result<(), StoreError> {
    crate::cached::execute(
        conn,
        "UPDATE sales SET customer_ref = ?2, updated_at = ?3 WHERE id = ?1",
        params![id, customer_ref, now],
    )?;
    Ok(())
}

pub fn set_order_discount(
    conn: &Connection,
    id: i64,
    discount: Option<&str>,
    now: &str,
) -> Result<(), StoreError> {
    crate::cached::execute(
        conn,
        "UPDATE sales SET order_discount = ?2, updated_at = ?3 WHERE id = ?1",
        params![id, discount, now],
    )?;
    Ok(())
}

/// Sets or clears (amount 0, no detail) a sale's loyalty discount.
pub fn set_loyalty_discount(
    conn: &Connection,
    id: i64,
    amount_minor: i64,
    detail: Option<&str>,
    now: &str,
) -> Result<(), StoreError> {
    crate::cached::execute(
        conn,
        "UPDATE sales SET loyalty_discount_minor = ?2, loyalty_detail = ?3, updated_at = ?4 WHERE id = ?1",
        params![id, amount_minor, detail, now],
    )?;
    Ok(())
}

/// Totals as priced now; written on every change so lists and reports read them directly.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SaleTotals {
    pub total_minor: i64,
    pub vat_minor: i64,
    pub discount_minor: i64,
    pub rounding_minor: i64,
    pub change_minor: i64,
}

pub fn set_totals(conn: &Connection, id: i64, t: &SaleTotals, now: &str) -> Result<(), StoreError> {
    crate::cached::execute(
        conn,
        "UPDATE sales SET total_minor = ?2, vat_minor = ?3, discount_minor = ?4, rounding_minor = ?5, \
         change_minor = ?6, updated_at = ?7 WHERE id = ?1",
        params![
            id,
            t.total_minor,
            t.vat_minor,
            t.discount_minor,
            t.rounding_minor,
            t.change_minor,
            now
        ],
    )?;
    Ok(())
}

/// Takes the next number of the POS's unbroken receipt series. Called only inside the
/// transaction that completes the sale, so a number is used exactly when that commits.
pub fn take_receipt_no(conn: &Connection, pos_id: i64) -> Result<i64, StoreError> {
    Ok(crate::cached::query_row(
        conn,
        "INSERT INTO receipt_counters (pos_id, last_no) VALUES (?1, 1) \
         ON CONFLICT (pos_id) DO UPDATE SET last_no = last_no + 1 RETURNING last_no",
        [pos_id],
        |r| r.get(0),
    )?)
}

pub fn mark_completed(conn: &Connection, id: i64, receipt_no: i64, now: &str) -> Result<(), StoreError> {
    crate::cached::execute(
        conn,
        "UPDATE sales SET status = 'completed', receipt_no = ?2, completed_at = ?3, updated_at = ?3 WHERE id = ?1",
        params![id, receipt_no, now],
    )?;
    Ok(())
}

pub fn lines(conn: &Connection, sale_id: i64) -> Result<Vec<LineRow>, StoreError> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {LINE_COLUMNS} FROM sale_lines WHERE sale_id = ?1 ORDER BY line_no"
    ))?;
    let rows = stmt
        .query_map([sale_id], line_from_row)?
        .collect::<Result<_, _>>()?;
    Ok(rows)
}

pub fn get_line(conn: &Connection, id: i64) -> Result<Option<LineRow>, StoreError> {
    Ok(crate::cached::query_row(
        conn,
        &format!("SELECT {LINE_COLUMNS} FROM sale_lines WHERE id = ?1"),
        [id],
        line_from_row,
    )
    .optional()?)
}

/// Inserts a line at the end of the sale; `line.id` and `line.line_no` are ignored.
pub fn insert_line(conn: &Connection, line: &LineRow) -> Result<i64, StoreError> {
    crate::cached::execute(
        conn,
        "INSERT INTO sale_lines (sale_id, line_no, product_id, sku, name, barcode, unit, quantity, unit_price_minor, \
         catalog_price_minor, price_override_by, vat_rate, discount, discount_minor, total_minor, original_line_id) \
         VALUES (?1, (SELECT coalesce(max(line_no), 0) + 1 FROM sale_lines WHERE sale_id = ?1), ?2, ?3, ?4, ?5, ?6, \
         ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
        params![
            line.sale_id,
            line.product_id,
            line.sku,
            line.name,
            line.barcode,
            line.unit.as_str(),
            line.quantity,
            line.unit_price_minor,
            line.catalog_price_minor,
            line.price_override_by,
            line.vat_rate,
            line.discount,
            line.discount_minor,
            line.total_minor,
            line.original_line_id
        ],
    )?;
    Ok(conn.last_insert_rowid())
}

/// Rewrites the editable parts of a line of an open sale.
pub fn update_line(conn: &Connection, line: &LineRow) -> Result<(), StoreError> {
    crate::cached::execute(
        conn,
        "UPDATE sale_lines SET quantity = ?2, unit_price_minor = ?3, price_override_by = ?4, discount = ?5, \
         discount_minor = ?6, total_minor = ?7 WHERE id = ?1",
        params![
            line.id,
            line.quantity,
            line.unit_price_minor,
            line.price_override_by,
            line.discount,
            line.discount_minor,
            line.total_minor
        ],
    )?;
    Ok(())
}

/// Removes a line from an open sale (nothing fiscal has happened to it yet).
pub fn delete_line(conn: &Connection, id: i64) -> Result<(), StoreError> {
    crate::cached::execute(conn, "DELETE FROM sale_lines WHERE id = ?1", [id])?;
    Ok(())
}

pub fn tenders(conn: &Connection, sale_id: i64) -> Result<Vec<TenderRow>, StoreError> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {TENDER_COLUMNS} FROM tenders WHERE sale_id = ?1 ORDER BY id"
    ))?;
    let rows = stmt
        .query_map([sale_id], tender_from_row)?
        .collect::<Result<_, _>>()?;
    Ok(rows)
}

pub fn get_tender(conn: &Connection, id: i64) -> Result<Option<TenderRow>, StoreError> {
    Ok(crate::cached::query_row(
        conn,
        &format!("SELECT {TENDER_COLUMNS} FROM tenders WHERE id = ?1"),
        [id],
        tender_from_row,
    )
    .optional()?)
}

/// Tenders in a status across a POS's sales (e.g. the pending ones after a restart).
pub fn tenders_in_status(
    conn: &Connection,
    pos_id: i64,
    status: TenderStatus,
) -> Result<Vec<TenderRow>, StoreError> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {TENDER_COLUMNS} FROM tenders WHERE status = ?2 AND sale_id IN (SELECT id FROM sales WHERE pos_id = ?1) \
         ORDER BY id"
    ))?;
    let rows = stmt
        .query_map(params![pos_id, status.as_str()], tender_from_row)?
        .collect::<Result<_, _>>()?;
    Ok(rows)
}

pub fn insert_tender(conn: &Connection, t: &TenderRow) -> Result<i64, StoreError> {
    crate::cached::execute(
        conn,
        "INSERT INTO tenders (sale_id, method, amount_minor, status, reference, original_tender_id, detail, \
         created_at, resolved_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        params![
            t.sale_id,
            t.method.as_str(),
            t.amount_minor,
            t.status.as_str(),
            t.reference,
            t.original_tender_id,
            t.detail,
            t.created_at,
            t.resolved_at
        ],
    )?;
    Ok(conn.last_insert_rowid())
}

pub fn resolve_tender(
    conn: &Connection,
    id: i64,
    status: TenderStatus,
    detail: Option<&str>,
    now: &str,
) -> Result<(), StoreError> {
    crate::cached::execute(
        conn,
        "UPDATE tenders SET status = ?2, detail = coalesce(?3, detail), resolved_at = ?4 WHERE id = ?1",
        params![id, status.as_str(), detail, now],
    )?;
    Ok(())
}

/// Money held per original tender by the sale's refunds that are not voided, as negative
/// minor units: what each refund handed back through the tender, and, while the refund is
/// not completed, the card refund it still owes through it (pending, unknown, or declined
/// or cancelled and waiting to be retried or given in cash). Retries repeat the same amount,
/// so a refund's attempts on one tender hold the largest of them once. Only a voided refund
/// (which handed nothing back) frees what it held.
pub fn refunded_per_tender(conn: &Connection, original_sale_id: i64) -> Result<Vec<(i64, i64)>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT original_tender_id, sum(held) FROM ( \
           SELECT t.original_tender_id, \
             sum(CASE WHEN t.status = 'approved' THEN t.amount_minor ELSE 0 END) \
             + CASE WHEN s.status = 'completed' THEN 0 \
               ELSE coalesce(min(CASE WHEN t.status <> 'approved' THEN t.amount_minor END), 0) END AS held \
           FROM tenders t JOIN sales s ON s.id = t.sale_id \
           WHERE s.original_sale_id = ?1 AND s.kind = 'refund' AND s.status <> 'voided' \
           AND t.original_tender_id IS NOT NULL GROUP BY t.sale_id, t.original_tender_id) \
         GROUP BY original_tender_id",
    )?;
    let rows = stmt
        .query_map([original_sale_id], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?;
    Ok(rows)
}

pub fn copy_printed(conn: &Connection, sale_id: i64) -> Result<bool, StoreError> {
    Ok(crate::cached::query_row(
        conn,
        "SELECT EXISTS (SELECT 1 FROM receipt_copies WHERE sale_id = ?1)",
        [sale_id],
        |r| r.get(0),
    )?)
}

/// Hands a recalled sale to the cashier who recalls it.
pub fn reassign(conn: &Connection, id: i64, cashier_id: i64, now: &str) -> Result<(), StoreError> {
    crate::cached::execute(
        conn,
        "UPDATE sales SET cashier_id = ?2, updated_at = ?3 WHERE id = ?1",
        params![id, cashier_id, now],
    )?;
    Ok(())
}

/// Removes an open sale that has no lines and no tenders: it never became anything.
pub fn delete_if_empty(conn: &Connection, id: i64) -> Result<bool, StoreError> {
    let removed = crate::cached::execute(
        conn,
        "DELETE FROM sales WHERE id = ?1 AND status = 'open' AND receipt_no IS NULL \
         AND NOT EXISTS (SELECT 1 FROM sale_lines WHERE sale_id = ?1) AND NOT EXISTS (SELECT 1 FROM tenders WHERE sale_id = ?1)",
        [id],
    )?;
    Ok(removed == 1)
}

/// Refunds (credit notes) of a sale that are not voided, oldest first: completed ones, and
/// those still settling (`paying`, `unknown`) or waiting for the rest of their money after
/// a declined card part (`open`). Each of them uses up what it refunds.
pub fn refunds_of(conn: &Connection, original_sale_id: i64) -> Result<Vec<SaleRow>, StoreError> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {SALE_COLUMNS} FROM sales WHERE original_sale_id = ?1 AND kind = 'refund' \
         AND status <> 'voided' ORDER BY id"
    ))?;
    let rows = stmt
        .query_map([original_sale_id], sale_from_row)?
        .collect::<Result<_, _>>()?;
    Ok(rows)
}

/// Who approved the sale's reduction above its store's limit, and the share (percent
/// text) that approval covers.
pub fn discount_approval(conn: &Connection, sale_id: i64) -> Result<Option<(i64, String)>, StoreError> {
    Ok(crate::cached::query_row(
        conn,
        "SELECT discount_approved_by, discount_approved_percent FROM sales \
         WHERE id = ?1 AND discount_approved_by IS NOT NULL AND discount_approved_percent IS NOT NULL",
        [sale_id],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )
    .optional()?)
}

pub fn set_discount_approval(
    conn: &Connection,
    sale_id: i64,
    approved_by: i64,
    percent: &str,
    now: &str,
) -> Result<(), StoreError> {
    crate::cached::execute(
        conn,
        "UPDATE sales SET discount_approved_by = ?2, discount_approved_percent = ?3, updated_at = ?4 WHERE id = ?1",
        params![sale_id, approved_by, percent, now],
    )?;
    Ok(())
}

/// Marks the sale's pending tenders that have no owner yet as owned by `instance`, the
/// running process that waits for their outcome. Returns how many it claimed.
pub fn claim_pending_tenders(conn: &Connection, sale_id: i64, instance: &str) -> Result<usize, StoreError> {
    Ok(crate::cached::execute(
        conn,
        "UPDATE tenders SET owner_instance = ?2 WHERE sale_id = ?1 AND status = 'pending' AND owner_instance IS NULL",
        params![sale_id, instance],
    )?)
}

/// Every pending tender of every till, with the instance that owns it (None when it was
/// written before owners were recorded).
pub fn pending_tenders_with_owner(conn: &Connection) -> Result<Vec<(TenderRow, Option<String>)>, StoreError> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {TENDER_COLUMNS}, owner_instance FROM tenders WHERE status = 'pending' ORDER BY id"
    ))?;
    let rows = stmt
        .query_map([], |r| Ok((tender_from_row(r)?, r.get(10)?)))?
        .collect::<Result<_, _>>()?;
    Ok(rows)
}

pub fn tender_owner(conn: &Connection, tender_id: i64) -> Result<Option<String>, StoreError> {
    Ok(crate::cached::query_row(
        conn,
        "SELECT owner_instance FROM tenders WHERE id = ?1",
        [tender_id],
        |r| r.get(0),
    )
    .optional()?
    .flatten())
}

/// Lowers a tender's amount to what the provider actually took (a SWiP order closed with
/// what was paid when it timed out part-paid). Only while the tender is not yet final.
pub fn reduce_pending_tender_amount(conn: &Connection, id: i64, amount_minor: i64) -> Result<(), StoreError> {
    crate::cached::execute(
        conn,
        "UPDATE tenders SET amount_minor = ?2 WHERE id = ?1 AND status IN ('pending', 'unknown') \
         AND abs(?2) <= abs(amount_minor)",
        params![id, amount_minor],
    )?;
    Ok(())
}

/// Replaces a pending or unknown tender's detail (the prompt the till shows, what is
/// known of an unknown outcome).
pub fn set_tender_detail(conn: &Connection, id: i64, detail: &str) -> Result<(), StoreError> {
    crate::cached::execute(
        conn,
        "UPDATE tenders SET detail = ?2 WHERE id = ?1",
        params![id, detail],
    )?;
    Ok(())
}

/// The refund tenders that give money back through `original_tender_id`, oldest first.
pub fn tenders_returning(conn: &Connection, original_tender_id: i64) -> Result<Vec<TenderRow>, StoreError> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {TENDER_COLUMNS} FROM tenders WHERE original_tender_id = ?1 ORDER BY id"
    ))?;
    let rows = stmt
        .query_map([original_tender_id], tender_from_row)?
        .collect::<Result<_, _>>()?;
    Ok(rows)
}
