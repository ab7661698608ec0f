//! DropPay registrations of POS devices (migration 0006): each attempt to create a till as
//! a DropPay POS device, written before the request goes out, and what became of it. The
//! rules (when a create may be sent, who resolves an unknown one) are kassa-app's; this
//! module only reads and writes the rows.

use rusqlite::types::Type;
use rusqlite::{Connection, OptionalExtension, Row, params};
use serde::{Deserialize, Serialize};

use crate::StoreError;

/// Where one registration stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "snake_case")]
pub enum RegistrationState {
    /// The create was recorded and is being sent; no answer yet.
    Sending,
    /// The create may or may not have made a device at DropPay (its answer was lost).
    Unknown,
    /// DropPay refused the create: nothing was made.
    Failed,
    /// The device has this DropPay id (created, or linked by a manager).
    Registered,
    /// A manager checked DropPay's back office and found no device from an unknown create.
    NoneCreated,
    /// The DropPay device was deleted (DropPay keeps it, soft-deleted).
    Deleted,
}

impl RegistrationState {
    pub fn as_str(self) -> &'static str {
        match self {
            RegistrationState::Sending => "sending",
            RegistrationState::Unknown => "unknown",
            RegistrationState::Failed => "failed",
            RegistrationState::Registered => "registered",
            RegistrationState::NoneCreated => "none_created",
            RegistrationState::Deleted => "deleted",
        }
    }

    fn from_text(text: &str) -> Option<RegistrationState> {
        Some(match text {
            "sending" => RegistrationState::Sending,
            "unknown" => RegistrationState::Unknown,
            "failed" => RegistrationState::Failed,
            "registered" => RegistrationState::Registered,
            "none_created" => RegistrationState::NoneCreated,
            "deleted" => RegistrationState::Deleted,
            _ => return None,
        })
    }

    /// Whether a new create must wait for this one to be resolved.
    pub fn is_open(self) -> bool {
        matches!(self, RegistrationState::Sending | RegistrationState::Unknown)
    }
}

/// How a registration got its DropPay id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "snake_case")]
pub enum RegistrationHow {
    /// Kassa's create call.
    Created,
    /// A manager entered an id found in DropPay's back office.
    Linked,
}

impl RegistrationHow {
    pub fn as_str(self) -> &'static str {
        match self {
            RegistrationHow::Created => "created",
            RegistrationHow::Linked => "linked",
        }
    }
}

/// One row of `droppay_registrations`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Registration {
    pub id: i64,
    pub pos_id: i64,
    pub state: RegistrationState,
    pub how: RegistrationHow,
    pub brand_id: String,
    pub store_id: String,
    pub droppay_pos_id: Option<String>,
    pub owner_instance: Option<String>,
    pub started_at: String,
    pub started_by: i64,
    pub updated_at: String,
    pub message: Option<String>,
}

/// What is written when an attempt starts (or a link is made).
#[derive(Debug, Clone)]
pub struct NewRegistration<'a> {
    pub pos_id: i64,
    pub state: RegistrationState,
    pub how: RegistrationHow,
    pub brand_id: &'a str,
    pub store_id: &'a str,
    pub droppay_pos_id: Option<&'a str>,
    pub owner_instance: Option<&'a str>,
    pub at: &'a str,
    pub by: i64,
    pub message: Option<&'a str>,
}

const COLUMNS: &str = "id, pos_id, state, how, brand_id, store_id, droppay_pos_id, owner_instance, \
                       started_at, started_by, updated_at, message";

fn bad_text(index: usize, text: &str) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(
        index,
        Type::Text,
        format!("{text:?} is not a registration state or way").into(),
    )
}

fn from_row(row: &Row<'_>) -> rusqlite::Result<Registration> {
    let state: String = row.get(2)?;
    let how: String = row.get(3)?;
    Ok(Registration {
        id: row.get(0)?,
        pos_id: row.get(1)?,
        state: RegistrationState::from_text(&state).ok_or_else(|| bad_text(2, &state))?,
        how: match how.as_str() {
            "created" => RegistrationHow::Created,
            "linked" => RegistrationHow::Linked,
            _ => return Err(bad_text(3, &how)),
        },
        brand_id: row.get(4)?,
        store_id: row.get(5)?,
        droppay_pos_id: row.get(6)?,
        owner_instance: row.get(7)?,
        started_at: row.get(8)?,
        started_by: row.get(9)?,
        updated_at: row.get(10)?,
        message: row.get(11)?,
    })
}

/// Records a registration and returns it.
pub fn insert(conn: &Connection, new: &NewRegistration<'_>) -> Result<Registration, StoreError> {
    conn.execute(
        "INSERT INTO droppay_registrations (pos_id, state, how, brand_id, store_id, droppay_pos_id, \
         owner_instance, started_at, started_by, updated_at, message) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?8, ?10)",
        params![
            new.pos_id,
            new.state.as_str(),
            new.how.as_str(),
            new.brand_id,
            new.store_id,
            new.droppay_pos_id,
            new.owner_instance,
            new.at,
            new.by,
            new.message
        ],
    )?;
    get(conn, conn.last_insert_rowid())?
        .ok_or_else(|| StoreError::bad_row("DropPay registration vanished after insert"))
}

pub fn get(conn: &Connection, id: i64) -> Result<Option<Registration>, StoreError> {
    Ok(conn
        .query_row(
            &format!("SELECT {COLUMNS} FROM droppay_registrations WHERE id = ?1"),
            [id],
            from_row,
        )
        .optional()?)
}

/// The device's newest registration, if any.
pub fn latest(conn: &Connection, pos_id: i64) -> Result<Option<Registration>, StoreError> {
    Ok(conn
        .query_row(
            &format!(
                "SELECT {COLUMNS} FROM droppay_registrations WHERE pos_id = ?1 ORDER BY id DESC LIMIT 1"
            ),
            [pos_id],
            from_row,
        )
        .optional()?)
}

/// The device's attempt whose outcome is not known yet (`sending` or `unknown`), if any.
pub fn open(conn: &Connection, pos_id: i64) -> Result<Option<Registration>, StoreError> {
    Ok(conn
        .query_row(
            &format!(
                "SELECT {COLUMNS} FROM droppay_registrations \
                 WHERE pos_id = ?1 AND state IN ('sending', 'unknown')"
            ),
            [pos_id],
            from_row,
        )
        .optional()?)
}

/// Every registration of the device, newest first.
pub fn list_for_pos(conn: &Connection, pos_id: i64) -> Result<Vec<Registration>, StoreError> {
    let mut statement = conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM droppay_registrations WHERE pos_id = ?1 ORDER BY id DESC"
    ))?;
    let rows = statement.query_map([pos_id], from_row)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Moves registration `id` from state `from` to `to`, with the DropPay id (kept when
/// `None`) and a message. Returns whether the row was still in `from`: an answer that
/// arrives after a manager resolved the attempt must not overwrite what they decided.
pub fn transition(
    conn: &Connection,
    id: i64,
    from: RegistrationState,
    to: RegistrationState,
    droppay_pos_id: Option<&str>,
    message: Option<&str>,
    at: &str,
) -> Result<bool, StoreError> {
    let changed = conn.execute(
        "UPDATE droppay_registrations SET state = ?3, droppay_pos_id = coalesce(?4, droppay_pos_id), \
         message = ?5, updated_at = ?6, owner_instance = CASE WHEN ?3 = 'sending' THEN owner_instance END \
         WHERE id = ?1 AND state = ?2",
        params![id, from.as_str(), to.as_str(), droppay_pos_id, message, at],
    )?;
    Ok(changed == 1)
}

/// Marks a registration linked by a manager to `droppay_pos_id`.
pub fn link(
    conn: &Connection,
    id: i64,
    from: RegistrationState,
    droppay_pos_id: &str,
    message: &str,
    at: &str,
) -> Result<bool, StoreError> {
    let changed = conn.execute(
        "UPDATE droppay_registrations SET state = 'registered', how = 'linked', droppay_pos_id = ?3, \
         message = ?4, updated_at = ?5, owner_instance = NULL WHERE id = ?1 AND state = ?2",
        params![id, from.as_str(), droppay_pos_id, message, at],
    )?;
    Ok(changed == 1)
}
