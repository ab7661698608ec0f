//! Installation-wide settings as text keys and values.

use rusqlite::{Connection, OptionalExtension, params};

use crate::StoreError;

/// The POS device this installation acts as.
pub const BOUND_POS_ID: &str = "bound_pos_id";
/// The UI language, `en` or `sv`.
pub const LANGUAGE: &str = "language";
/// Present (with the creation time) in databases made by `kassa demo`, which may be
/// recreated; a database without it is never overwritten.
pub const DEMO: &str = "demo_created_at";
/// Minutes without input after which the till locks (kassa-app's default when absent).
pub const IDLE_LOCK_MINUTES: &str = "idle_lock_minutes";

pub fn get(conn: &Connection, key: &str) -> Result<Option<String>, StoreError> {
    Ok(
        crate::cached::query_row(conn, "SELECT value FROM settings WHERE key = ?1", [key], |row| {
            row.get(0)
        })
        .optional()?,
    )
}

pub fn set(conn: &Connection, key: &str, value: &str) -> Result<(), StoreError> {
    crate::cached::execute(
        conn,
        "INSERT INTO settings (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        params![key, value],
    )?;
    Ok(())
}

/// This database's random identity (migration 0005): the prefix of its keyring entries.
pub const DATABASE_ID: &str = "database_id";
