//! Brands: the merchant names stores trade under.

use rusqlite::{Connection, OptionalExtension, Row, params};
use serde::{Deserialize, Serialize};

use crate::StoreError;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct Brand {
    pub id: i64,
    pub name: String,
    pub description: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

/// What a manager types to create or edit a brand.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct BrandInput {
    pub name: String,
    pub description: Option<String>,
}

const COLUMNS: &str = "id, name, description, created_at, updated_at";

fn from_row(row: &Row<'_>) -> rusqlite::Result<Brand> {
    Ok(Brand {
        id: row.get(0)?,
        name: row.get(1)?,
        description: row.get(2)?,
        created_at: row.get(3)?,
        updated_at: row.get(4)?,
    })
}

pub fn list(conn: &Connection) -> Result<Vec<Brand>, StoreError> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM brands ORDER BY name COLLATE NOCASE"
    ))?;
    let rows = stmt.query_map([], from_row)?.collect::<Result<_, _>>()?;
    Ok(rows)
}

pub fn get(conn: &Connection, id: i64) -> Result<Option<Brand>, StoreError> {
    Ok(crate::cached::query_row(
        conn,
        &format!("SELECT {COLUMNS} FROM brands WHERE id = ?1"),
        [id],
        from_row,
    )
    .optional()?)
}

/// Brand names are unique regardless of letter case.
pub fn find_by_name(conn: &Connection, name: &str) -> Result<Option<Brand>, StoreError> {
    Ok(crate::cached::query_row(
        conn,
        &format!("SELECT {COLUMNS} FROM brands WHERE name_key = ?1"),
        [crate::name_key(name)],
        from_row,
    )
    .optional()?)
}

pub fn insert(conn: &Connection, fields: &BrandInput, now: &str) -> Result<Brand, StoreError> {
    crate::cached::execute(
        conn,
        "INSERT INTO brands (name, name_key, description, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?4)",
        params![
            fields.name,
            crate::name_key(&fields.name),
            fields.description,
            now
        ],
    )?;
    let id = conn.last_insert_rowid();
    get(conn, id)?.ok_or_else(|| StoreError::bad_row("brand vanished after insert"))
}

pub fn update(conn: &Connection, id: i64, fields: &BrandInput, now: &str) -> Result<Brand, StoreError> {
    crate::cached::execute(
        conn,
        "UPDATE brands SET name = ?2, name_key = ?5, description = ?3, updated_at = ?4 WHERE id = ?1",
        params![
            id,
            fields.name,
            fields.description,
            now,
            crate::name_key(&fields.name)
        ],
    )?;
    get(conn, id)?.ok_or_else(|| StoreError::bad_row(format!("brand {id} vanished during update")))
}
