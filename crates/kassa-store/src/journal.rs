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

/// Every row's sequence number and hash, in order: what a restore compares to decide
/// whether one journal is a prefix of another.
pub fn seq_hashes(conn: &Connection) -> Result<Vec<(i64, String)>, StoreError> {
    let mut stmt = conn.prepare("SELECT seq, hash FROM journal ORDER BY seq")?;
    let rows = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?;
    Ok(rows)
}

/// The fiscal rows the journal must account for, one list per kind of record, so that
/// `journal verify` can check that every row has its record and every record its row.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FiscalRows {
    /// Sales and refunds that took a receipt number: (sale id, pos id, receipt no, kind).
    pub receipted: Vec<(i64, i64, i64, String)>,
    /// Sales voided before completion.
    pub voided: Vec<i64>,
    /// Shifts: (id, closed).
    pub shifts: Vec<(i64, bool)>,
    /// Cash movements (cash in, cash out, drawer openings): (id, kind).
    pub cash_movements: Vec<(i64, String)>,
    /// Receipt copies: the sale each one copies.
    pub copies: Vec<i64>,
    /// Z reports: (pos id, Z number).
    pub z_reports: Vec<(i64, i64)>,
    /// Receipt counters: (pos id, last number taken).
    pub receipt_counters: Vec<(i64, i64)>,
}

pub fn fiscal_rows(conn: &Connection) -> Result<FiscalRows, StoreError> {
    fn all<T>(
        conn: &Connection,
        sql: &str,
        map: impl FnMut(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
    ) -> Result<Vec<T>, StoreError> {
        let mut stmt = conn.prepare(sql)?;
        let rows = stmt.query_map([], map)?.collect::<Result<_, _>>()?;
        Ok(rows)
    }
    Ok(FiscalRows {
        receipted: all(
            conn,
            "SELECT id, pos_id, receipt_no, kind FROM sales WHERE receipt_no IS NOT NULL ORDER BY id",
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )?,
        voided: all(
            conn,
            "SELECT id FROM sales WHERE status = 'voided' ORDER BY id",
            |r| r.get(0),
        )?,
        shifts: all(
            conn,
            "SELECT id, closed_at IS NOT NULL FROM shifts ORDER BY id",
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?,
        cash_movements: all(conn, "SELECT id, kind FROM cash_movements ORDER BY id", |r| {
            Ok((r.get(0)?, r.get(1)?))
        })?,
        copies: all(conn, "SELECT sale_id FROM receipt_copies ORDER BY id", |r| {
            r.get(0)
        })?,
        z_reports: all(conn, "SELECT pos_id, z_no FROM z_reports ORDER BY id", |r| {
            Ok((r.get(0)?, r.get(1)?))
        })?,
        receipt_counters: all(
            conn,
            "SELECT pos_id, last_no FROM receipt_counters ORDER BY pos_id",
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?,
    })
}
