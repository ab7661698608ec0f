//! Shifts, cash movements and Z reports, plus the figures reports are made of.

use rusqlite::{Connection, OptionalExtension, Row, params};

use kassa_core::org::CashMovementKind;

use crate::StoreError;
use crate::pos_devices::parse_text;
use crate::sales::SaleRow;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShiftRow {
    pub id: i64,
    pub pos_id: i64,
    pub currency: String,
    pub opened_by: i64,
    pub opened_at: String,
    pub float_minor: i64,
    pub closed_by: Option<i64>,
    pub closed_at: Option<String>,
    pub expected_minor: Option<i64>,
    pub counted_minor: Option<i64>,
    pub difference_minor: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CashMovementRow {
    pub id: i64,
    pub shift_id: i64,
    pub kind: CashMovementKind,
    pub amount_minor: i64,
    pub reason: Option<String>,
    pub at: String,
    pub by_user: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ZReportRow {
    pub id: i64,
    pub pos_id: i64,
    pub z_no: i64,
    pub shift_id: i64,
    pub created_at: String,
    pub journal_length: i64,
    pub journal_head: String,
    pub body: String,
}

const SHIFT_COLUMNS: &str = "id, pos_id, currency, opened_by, opened_at, float_minor, closed_by, closed_at, \
     expected_minor, counted_minor, difference_minor";

fn shift_from_row(r: &Row<'_>) -> rusqlite::Result<ShiftRow> {
    Ok(ShiftRow {
        id: r.get(0)?,
        pos_id: r.get(1)?,
        currency: r.get(2)?,
        opened_by: r.get(3)?,
        opened_at: r.get(4)?,
        float_minor: r.get(5)?,
        closed_by: r.get(6)?,
        closed_at: r.get(7)?,
        expected_minor: r.get(8)?,
        counted_minor: r.get(9)?,
        difference_minor: r.get(10)?,
    })
}

pub fn open_shift_of(conn: &Connection, pos_id: i64) -> Result<Option<ShiftRow>, StoreError> {
    Ok(crate::cached::query_row(
        conn,
        &format!("SELECT {SHIFT_COLUMNS} FROM shifts WHERE pos_id = ?1 AND closed_at IS NULL"),
        [pos_id],
        shift_from_row,
    )
    .optional()?)
}

pub fn get(conn: &Connection, id: i64) -> Result<Option<ShiftRow>, StoreError> {
    Ok(crate::cached::query_row(
        conn,
        &format!("SELECT {SHIFT_COLUMNS} FROM shifts WHERE id = ?1"),
        [id],
        shift_from_row,
    )
    .optional()?)
}

pub fn list(conn: &Connection, pos_id: Option<i64>, limit: u32) -> Result<Vec<ShiftRow>, StoreError> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {SHIFT_COLUMNS} FROM shifts WHERE (?1 IS NULL OR pos_id = ?1) ORDER BY id DESC LIMIT ?2"
    ))?;
    let rows = stmt
        .query_map(params![pos_id, limit], shift_from_row)?
        .collect::<Result<_, _>>()?;
    Ok(rows)
}

pub fn open(
    conn: &Connection,
    pos_id: i64,
    currency: &str,
    by: i64,
    float_minor: i64,
    now: &str,
) -> Result<i64, StoreError> {
    crate::cached::execute(
        conn,
        "INSERT INTO shifts (pos_id, currency, opened_by, opened_at, float_minor) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![pos_id, currency, by, now, float_minor],
    )?;
    Ok(conn.last_insert_rowid())
}

pub fn close(
    conn: &Connection,
    id: i64,
    by: i64,
    expected_minor: i64,
    counted_minor: i64,
    now: &str,
) -> Result<(), StoreError> {
    crate::cached::execute(
        conn,
        "UPDATE shifts SET closed_by = ?2, closed_at = ?3, expected_minor = ?4, counted_minor = ?5, \
         difference_minor = ?5 - ?4 WHERE id = ?1 AND closed_at IS NULL",
        params![id, by, now, expected_minor, counted_minor],
    )?;
    Ok(())
}

pub fn add_cash_movement(
    conn: &Connection,
    shift_id: i64,
    kind: CashMovementKind,
    amount_minor: i64,
    reason: Option<&str>,
    by: i64,
    now: &str,
) -> Result<i64, StoreError> {
    crate::cached::execute(
        conn,
        "INSERT INTO cash_movements (shift_id, kind, amount_minor, reason, at, by_user) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![shift_id, kind.as_str(), amount_minor, reason, now, by],
    )?;
    Ok(conn.last_insert_rowid())
}

pub fn cash_movements(conn: &Connection, shift_id: i64) -> Result<Vec<CashMovementRow>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, shift_id, kind, amount_minor, reason, at, by_user FROM cash_movements WHERE shift_id = ?1 ORDER BY id",
    )?;
    let rows = stmt
        .query_map([shift_id], |r| {
            Ok(CashMovementRow {
                id: r.get(0)?,
                shift_id: r.get(1)?,
                kind: parse_text(r, 2)?,
                amount_minor: r.get(3)?,
                reason: r.get(4)?,
                at: r.get(5)?,
                by_user: r.get(6)?,
            })
        })?
        .collect::<Result<_, _>>()?;
    Ok(rows)
}

/// Every sale and refund of a shift, whatever its status, oldest first.
pub fn sales_of_shift(conn: &Connection, shift_id: i64) -> Result<Vec<SaleRow>, StoreError> {
    let ids: Vec<i64> = conn
        .prepare_cached("SELECT id FROM sales WHERE shift_id = ?1 ORDER BY id")?
        .query_map([shift_id], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    ids.into_iter()
        .map(|id| {
            crate::sales::get_sale(conn, id)
                .and_then(|s| s.ok_or_else(|| StoreError::bad_row("sale vanished")))
        })
        .collect()
}

/// Completed sales and refunds of a POS since it was installed, as paid (cash rounding
/// included, like the shift totals): (sales, refunds), in minor units, refunds negative.
pub fn grand_totals(conn: &Connection, pos_id: i64) -> Result<(i64, i64), StoreError> {
    Ok(crate::cached::query_row(
        conn,
        "SELECT coalesce(sum(CASE WHEN kind = 'sale' THEN total_minor + rounding_minor END), 0), \
         coalesce(sum(CASE WHEN kind = 'refund' THEN total_minor + rounding_minor END), 0) \
         FROM sales WHERE pos_id = ?1 AND receipt_no IS NOT NULL",
        [pos_id],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?)
}

/// Receipt copies printed during a shift, whichever shift (or till) made the sale.
pub fn copies_in_shift(conn: &Connection, shift_id: i64) -> Result<i64, StoreError> {
    Ok(crate::cached::query_row(
        conn,
        "SELECT count(*) FROM receipt_copies WHERE shift_id = ?1",
        [shift_id],
        |r| r.get(0),
    )?)
}

/// Records a receipt copy printed during `shift_id`; returns its id.
pub fn record_copy(
    conn: &Connection,
    sale_id: i64,
    shift_id: i64,
    by: i64,
    now: &str,
) -> Result<i64, StoreError> {
    crate::cached::execute(
        conn,
        "INSERT INTO receipt_copies (sale_id, shift_id, printed_at, printed_by) VALUES (?1, ?2, ?3, ?4)",
        params![sale_id, shift_id, now, by],
    )?;
    Ok(conn.last_insert_rowid())
}

pub fn next_z_no(conn: &Connection, pos_id: i64) -> Result<i64, StoreError> {
    Ok(crate::cached::query_row(
        conn,
        "SELECT coalesce(max(z_no), 0) + 1 FROM z_reports WHERE pos_id = ?1",
        [pos_id],
        |r| r.get(0),
    )?)
}

pub fn insert_z_report(conn: &Connection, z: &ZReportRow) -> Result<i64, StoreError> {
    crate::cached::execute(
        conn,
        "INSERT INTO z_reports (pos_id, z_no, shift_id, created_at, journal_length, journal_head, body) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![
            z.pos_id,
            z.z_no,
            z.shift_id,
            z.created_at,
            z.journal_length,
            z.journal_head,
            z.body
        ],
    )?;
    Ok(conn.last_insert_rowid())
}

const Z_COLUMNS: &str = "id, pos_id, z_no, shift_id, created_at, journal_length, journal_head, body";

fn z_from_row(r: &Row<'_>) -> rusqlite::Result<ZReportRow> {
    Ok(ZReportRow {
        id: r.get(0)?,
        pos_id: r.get(1)?,
        z_no: r.get(2)?,
        shift_id: r.get(3)?,
        created_at: r.get(4)?,
        journal_length: r.get(5)?,
        journal_head: r.get(6)?,
        body: r.get(7)?,
    })
}

pub fn z_reports(conn: &Connection, pos_id: Option<i64>) -> Result<Vec<ZReportRow>, StoreError> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {Z_COLUMNS} FROM z_reports WHERE (?1 IS NULL OR pos_id = ?1) ORDER BY id"
    ))?;
    let rows = stmt.query_map([pos_id], z_from_row)?.collect::<Result<_, _>>()?;
    Ok(rows)
}

pub fn z_report_of_shift(conn: &Connection, shift_id: i64) -> Result<Option<ZReportRow>, StoreError> {
    Ok(crate::cached::query_row(
        conn,
        &format!("SELECT {Z_COLUMNS} FROM z_reports WHERE shift_id = ?1"),
        [shift_id],
        z_from_row,
    )
    .optional()?)
}
