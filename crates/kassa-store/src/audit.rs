//! The audit log: who changed what, when, with the state before and after. Rows are only
//! ever inserted; triggers in the schema refuse updates and deletes.

use rusqlite::{Connection, Row, params};
use serde::{Deserialize, Serialize};

use crate::StoreError;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct AuditEntry {
    pub id: i64,
    pub at: String,
    pub actor_user_id: Option<i64>,
    pub actor_name: Option<String>,
    pub entity: String,
    pub entity_id: i64,
    pub action: String,
    /// The entity as JSON before the change; absent for a creation.
    pub before: Option<String>,
    /// The entity as JSON after the change.
    pub after: Option<String>,
}

/// One change to record, written in the same transaction as the change itself.
pub struct NewAuditEntry<'a> {
    pub at: &'a str,
    pub actor_user_id: Option<i64>,
    pub entity: &'a str,
    pub entity_id: i64,
    pub action: &'a str,
    pub before: Option<String>,
    pub after: Option<String>,
}

pub fn append(conn: &Connection, entry: NewAuditEntry<'_>) -> Result<(), StoreError> {
    crate::cached::execute(
        conn,
        "INSERT INTO audit_log (at, actor_user_id, entity, entity_id, action, before_json, after_json) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![
            entry.at,
            entry.actor_user_id,
            entry.entity,
            entry.entity_id,
            entry.action,
            entry.before,
            entry.after
        ],
    )?;
    Ok(())
}

fn from_row(row: &Row<'_>) -> rusqlite::Result<AuditEntry> {
    Ok(AuditEntry {
        id: row.get(0)?,
        at: row.get(1)?,
        actor_user_id: row.get(2)?,
        actor_name: row.get(3)?,
        entity: row.get(4)?,
        entity_id: row.get(5)?,
        action: row.get(6)?,
        before: row.get(7)?,
        after: row.get(8)?,
    })
}

/// The newest entries first, optionally for one entity or one entity row.
pub fn list(
    conn: &Connection,
    entity: Option<&str>,
    entity_id: Option<i64>,
    limit: u32,
) -> Result<Vec<AuditEntry>, StoreError> {
    let mut stmt = conn.prepare(
        "SELECT a.id, a.at, a.actor_user_id, u.name, a.entity, a.entity_id, a.action, a.before_json, a.after_json \
         FROM audit_log a LEFT JOIN users u ON u.id = a.actor_user_id \
         WHERE (?1 IS NULL OR a.entity = ?1) AND (?2 IS NULL OR a.entity_id = ?2) \
         ORDER BY a.id DESC LIMIT ?3",
    )?;
    let rows = stmt
        .query_map(params![entity, entity_id, limit], from_row)?
        .collect::<Result<_, _>>()?;
    Ok(rows)
}
