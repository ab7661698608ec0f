//! Users and their PIN state. The PIN is stored only as an argon2 hash; the failed-attempt
//! count and lock live in the row so a loop of CLI runs cannot reset them.

use rusqlite::{Connection, OptionalExtension, Row, params};
use serde::{Deserialize, Serialize};

use kassa_core::org::Role;

use crate::StoreError;
use crate::pos_devices::parse_text;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct User {
    pub id: i64,
    pub name: String,
    pub role: Role,
    pub active: bool,
    pub failed_pin_attempts: u32,
    pub locked_until: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

const COLUMNS: &str = "id, name, role, active, failed_pin_attempts, locked_until, created_at, updated_at";

fn from_row(row: &Row<'_>) -> rusqlite::Result<User> {
    Ok(User {
        id: row.get(0)?,
        name: row.get(1)?,
        role: parse_text(row, 2)?,
        active: row.get(3)?,
        failed_pin_attempts: row.get(4)?,
        locked_until: row.get(5)?,
        created_at: row.get(6)?,
        updated_at: row.get(7)?,
    })
}

pub fn list(conn: &Connection) -> Result<Vec<User>, StoreError> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM users ORDER BY name COLLATE NOCASE"
    ))?;
    let rows = stmt.query_map([], from_row)?.collect::<Result<_, _>>()?;
    Ok(rows)
}

pub fn count(conn: &Connection) -> Result<i64, StoreError> {
    Ok(crate::cached::query_row(
        conn,
        "SELECT count(*) FROM users",
        [],
        |row| row.get(0),
    )?)
}

pub fn count_active_managers(conn: &Connection) -> Result<i64, StoreError> {
    Ok(crate::cached::query_row(
        conn,
        "SELECT count(*) FROM users WHERE role = 'manager' AND active = 1",
        [],
        |row| row.get(0),
    )?)
}

pub fn get(conn: &Connection, id: i64) -> Result<Option<User>, StoreError> {
    Ok(crate::cached::query_row(
        conn,
        &format!("SELECT {COLUMNS} FROM users WHERE id = ?1"),
        [id],
        from_row,
    )
    .optional()?)
}

pub fn find_by_name(conn: &Connection, name: &str) -> Result<Option<User>, StoreError> {
    Ok(crate::cached::query_row(
        conn,
        &format!("SELECT {COLUMNS} FROM users WHERE name = ?1 COLLATE NOCASE"),
        [name],
        from_row,
    )
    .optional()?)
}

pub fn pin_hash(conn: &Connection, id: i64) -> Result<String, StoreError> {
    Ok(crate::cached::query_row(
        conn,
        "SELECT pin_hash FROM users WHERE id = ?1",
        [id],
        |row| row.get(0),
    )?)
}

pub fn insert(
    conn: &Connection,
    name: &str,
    role: Role,
    pin_hash: &str,
    now: &str,
) -> Result<User, StoreError> {
    crate::cached::execute(
        conn,
        "INSERT INTO users (name, name_key, role, pin_hash, active, created_at, updated_at) \
         VALUES (?1, ?2, ?3, ?4, 1, ?5, ?5)",
        params![name, crate::name_key(name), role.as_str(), pin_hash, now],
    )?;
    let id = conn.last_insert_rowid();
    get(conn, id)?.ok_or_else(|| StoreError::bad_row("user vanished after insert"))
}

fn get_after_update(conn: &Connection, id: i64) -> Result<User, StoreError> {
    get(conn, id)?.ok_or_else(|| StoreError::bad_row(format!("user {id} vanished during update")))
}

pub fn set_role(conn: &Connection, id: i64, role: Role, now: &str) -> Result<User, StoreError> {
    crate::cached::execute(
        conn,
        "UPDATE users SET role = ?2, updated_at = ?3 WHERE id = ?1",
        params![id, role.as_str(), now],
    )?;
    get_after_update(conn, id)
}

pub fn set_active(conn: &Connection, id: i64, active: bool, now: &str) -> Result<User, StoreError> {
    crate::cached::execute(
        conn,
        "UPDATE users SET active = ?2, updated_at = ?3 WHERE id = ?1",
        params![id, active, now],
    )?;
    get_after_update(conn, id)
}

/// A new PIN also clears the failed attempts and any lock.
pub fn set_pin_hash(conn: &Connection, id: i64, pin_hash: &str, now: &str) -> Result<User, StoreError> {
    crate::cached::execute(
        conn,
        "UPDATE users SET pin_hash = ?2, failed_pin_attempts = 0, locked_until = NULL, updated_at = ?3 \
         WHERE id = ?1",
        params![id, pin_hash, now],
    )?;
    get_after_update(conn, id)
}

/// Records the outcome of a PIN check: the new failure count and lock.
pub fn set_pin_attempts(
    conn: &Connection,
    id: i64,
    failed_attempts: u32,
    locked_until: Option<&str>,
) -> Result<User, StoreError> {
    crate::cached::execute(
        conn,
        "UPDATE users SET failed_pin_attempts = ?2, locked_until = ?3 WHERE id = ?1",
        params![id, failed_attempts, locked_until],
    )?;
    get_after_update(conn, id)
}

/// Wrong PINs typed as approvals since the last right one, and until when approvals by
/// this user are locked. Kept apart from the login count on purpose.
pub fn approval_attempts(conn: &Connection, id: i64) -> Result<(u32, Option<String>), StoreError> {
    Ok(crate::cached::query_row(
        conn,
        "SELECT failed_approval_attempts, approvals_locked_until FROM users WHERE id = ?1",
        [id],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?)
}

pub fn set_approval_attempts(
    conn: &Connection,
    id: i64,
    failed_attempts: u32,
    locked_until: Option<&str>,
) -> Result<(), StoreError> {
    crate::cached::execute(
        conn,
        "UPDATE users SET failed_approval_attempts = ?2, approvals_locked_until = ?3 WHERE id = ?1",
        params![id, failed_attempts, locked_until],
    )?;
    Ok(())
}

/// The user's Flexiti employee id (`external_employee_id`), when a manager set one.
/// Kept out of [`User`]: only Flexiti payments and their setter read it.
pub fn flexiti_employee_id(conn: &Connection, id: i64) -> Result<Option<String>, StoreError> {
    Ok(crate::cached::query_row(
        conn,
        "SELECT flexiti_employee_id FROM users WHERE id = ?1",
        [id],
        |row| row.get::<_, Option<String>>(0),
    )
    .optional()?
    .flatten())
}

/// Sets or clears the user's Flexiti employee id. The caller has validated it.
pub fn set_flexiti_employee_id(
    conn: &Connection,
    id: i64,
    employee_id: Option<&str>,
    at: &str,
) -> Result<(), StoreError> {
    conn.execute(
        "UPDATE users SET flexiti_employee_id = ?2, updated_at = ?3 WHERE id = ?1",
        params![id, employee_id, at],
    )?;
    Ok(())
}
