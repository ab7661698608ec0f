//! The fiscal journal table: rows are appended with their canonical bytes and chained
//! hash, and read back for verification. Nothing here updates or deletes a row; triggers
//! in the schema refuse it from any caller.

use rusqlite::{Connection, OptionalExtension, params};

use crate::StoreError;

/// One stored journal row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JournalRow {
    pub seq: i64,
    pub at: String,
    pub kind: String,
    pub canonical: Vec<u8>,
    pub hash: String,
}

/// The last row's sequence number and hash, if any.
pub fn head(conn: &Connection) -> Result<Option<(i64, String)>, StoreError> {
    Ok(crate::cached::query_row(
        conn,
        "SELECT seq, hash FROM journal ORDER BY seq DESC LIMIT 1",
        [],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )
    .optional()?)
}

pub fn append(
    conn: &Connection,
    seq: i64,
    at: &str,
    kind: &str,
    canonical: &[u8],
    hash: &str,
) -> Result<(), StoreError> {
    crate::cached::execute(
        conn,
        "INSERT INTO journal (seq, at, kind, canonical, hash) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![seq, at, kind, canonical, hash],
    )?;
    Ok(())
}

/// Every row in sequence order, for `journal verify`.
pub fn for_each(conn: &Connection, mut visit: impl FnMut(JournalRow)) -> Result<(), StoreError> {
    let mut stmt = conn.prepare("SELECT seq, at, kind, canonical, hash FROM journal ORDER BY seq")?;
    let mut rows = stmt.query([])?;
    while let Some(r) = rows.next()? {
        visit(JournalRow {
            seq: r.get(0)?,
            at: r.get(1)?,
            kind: r.get(2)?,
            canonical: r.get(3)?,
            hash: r.get(4)?,
        });
    }
    Ok(())
}
