//! The provider steps of payments (migration 0008): append-only, one row per answer.

use rusqlite::{Connection, params};

use crate::StoreError;

/// One step as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentStep {
    pub id: i64,
    pub tender_id: i64,
    pub provider: String,
    pub step: String,
    pub provider_ref: Option<String>,
    pub amount_minor: Option<i64>,
    pub answer: Option<String>,
    pub at: String,
}

/// Appends a step; returns its id.
pub fn insert(conn: &Connection, step: &PaymentStep) -> Result<i64, StoreError> {
    crate::cached::execute(
        conn,
        "INSERT INTO payment_steps (tender_id, provider, step, provider_ref, amount_minor, answer, at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![
            step.tender_id,
            step.provider,
            step.step,
            step.provider_ref,
            step.amount_minor,
            step.answer,
            step.at
        ],
    )?;
    Ok(conn.last_insert_rowid())
}

/// A tender's steps, oldest first.
pub fn of_tender(conn: &Connection, tender_id: i64) -> Result<Vec<PaymentStep>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, tender_id, provider, step, provider_ref, amount_minor, answer, at \
         FROM payment_steps WHERE tender_id = ?1 ORDER BY id",
    )?;
    let rows = stmt
        .query_map([tender_id], |r| {
            Ok(PaymentStep {
                id: r.get(0)?,
                tender_id: r.get(1)?,
                provider: r.get(2)?,
                step: r.get(3)?,
                provider_ref: r.get(4)?,
                amount_minor: r.get(5)?,
                answer: r.get(6)?,
                at: r.get(7)?,
            })
        })?
        .collect::<Result<_, _>>()?;
    Ok(rows)
}
