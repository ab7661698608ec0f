//! What the integrated card terminal reported (migration 0011): append-only, one row per
//! message or decision.

use rusqlite::{Connection, OptionalExtension, Row, params};

use crate::StoreError;

/// One step as stored.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TerminalStep {
    pub id: i64,
    pub pos_id: i64,
    pub tender_id: Option<i64>,
    pub step: String,
    pub terminal_id: Option<String>,
    pub trace: Option<i64>,
    pub receipt: Option<i64>,
    pub amount_minor: Option<i64>,
    pub result_code: Option<i64>,
    pub answer: Option<String>,
    pub at: String,
}

const COLUMNS: &str =
    "id, pos_id, tender_id, step, terminal_id, trace, receipt, amount_minor, result_code, answer, at";

fn from_row(r: &Row<'_>) -> rusqlite::Result<TerminalStep> {
    Ok(TerminalStep {
        id: r.get(0)?,
        pos_id: r.get(1)?,
        tender_id: r.get(2)?,
        step: r.get(3)?,
        terminal_id: r.get(4)?,
        trace: r.get(5)?,
        receipt: r.get(6)?,
        amount_minor: r.get(7)?,
        result_code: r.get(8)?,
        answer: r.get(9)?,
        at: r.get(10)?,
    })
}

/// Appends a step; returns its id.
pub fn insert(conn: &Connection, step: &TerminalStep) -> Result<i64, StoreError> {
    crate::cached::execute(
        conn,
        "INSERT INTO terminal_steps (pos_id, tender_id, step, terminal_id, trace, receipt, amount_minor, \
         result_code, answer, at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        params![
            step.pos_id,
            step.tender_id,
            step.step,
            step.terminal_id,
            step.trace,
            step.receipt,
            step.amount_minor,
            step.result_code,
            step.answer,
            step.at
        ],
    )?;
    Ok(conn.last_insert_rowid())
}

/// A tender's steps, oldest first.
pub fn of_tender(conn: &Connection, tender_id: i64) -> Result<Vec<TerminalStep>, StoreError> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM terminal_steps WHERE tender_id = ?1 ORDER BY id"
    ))?;
    let rows = stmt.query_map([tender_id], from_row)?.collect::<Result<_, _>>()?;
    Ok(rows)
}

/// The newest step of a POS's terminal that carries a trace number: the last transaction
/// the till knows that terminal made.
pub fn last_with_trace(conn: &Connection, pos_id: i64) -> Result<Option<TerminalStep>, StoreError> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM terminal_steps WHERE pos_id = ?1 AND trace IS NOT NULL ORDER BY id DESC LIMIT 1"
    ))?;
    Ok(stmt.query_row([pos_id], from_row).optional()?)
}

/// The steps of a POS's terminal that carry `trace`, oldest first: which tenders a
/// terminal transaction was already matched to.
pub fn with_trace(conn: &Connection, pos_id: i64, trace: i64) -> Result<Vec<TerminalStep>, StoreError> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM terminal_steps WHERE pos_id = ?1 AND trace = ?2 ORDER BY id"
    ))?;
    let rows = stmt
        .query_map(params![pos_id, trace], from_row)?
        .collect::<Result<_, _>>()?;
    Ok(rows)
}

/// The newest step named `step` of a POS's terminal (an end of day).
pub fn last_named(conn: &Connection, pos_id: i64, step: &str) -> Result<Option<TerminalStep>, StoreError> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM terminal_steps WHERE pos_id = ?1 AND step = ?2 ORDER BY id DESC LIMIT 1"
    ))?;
    Ok(stmt.query_row(params![pos_id, step], from_row).optional()?)
}

/// What the till recorded as taken on a POS's terminal after step `since`: its approved
/// terminal payments less refunds, in minor units. What the terminal's end of day should
/// report for the same period.
pub fn terminal_total_since(conn: &Connection, pos_id: i64, since: i64) -> Result<i64, StoreError> {
    Ok(conn.query_row(
        "SELECT COALESCE(SUM(t.amount_minor), 0) FROM tenders t \
         WHERE t.method = 'card_terminal' AND t.status = 'approved' AND t.id IN \
         (SELECT tender_id FROM terminal_steps WHERE pos_id = ?1 AND id > ?2 \
          AND step IN ('result', 'reconciled') AND result_code = 0)",
        params![pos_id, since],
        |r| r.get(0),
    )?)
}
