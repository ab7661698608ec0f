//! Messages for other systems, written in the same transaction as the event they report.
//! Their delivery (retries, idempotency, reconciliation) belongs to the sync worker.

use rusqlite::{Connection, params};

use crate::StoreError;

pub fn enqueue(conn: &Connection, topic: &str, payload: &str, at: &str) -> Result<i64, StoreError> {
    crate::cached::execute(
        conn,
        "INSERT INTO outbox (topic, payload, created_at) VALUES (?1, ?2, ?3)",
        params![topic, payload, at],
    )?;
    Ok(conn.last_insert_rowid())
}

pub fn pending_count(conn: &Connection) -> Result<i64, StoreError> {
    Ok(crate::cached::query_row(
        conn,
        "SELECT count(*) FROM outbox WHERE delivered_at IS NULL",
        [],
        |r| r.get(0),
    )?)
}
