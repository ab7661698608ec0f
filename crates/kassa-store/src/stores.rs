//! Stores: the places (real or virtual) a brand sells from.

use rusqlite::{Connection, OptionalExtension, Row, params};
use serde::{Deserialize, Serialize};

use kassa_core::org::Place;

use crate::StoreError;
use crate::pos_devices::parse_text;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct Store {
    pub id: i64,
    pub brand_id: i64,
    pub brand_name: String,
    pub name: String,
    /// ISO 3166-1 alpha-2.
    pub country: String,
    pub address: String,
    pub place: Place,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    /// ISO 4217; every price and sale in the store is in this currency.
    pub currency: String,
    /// IANA time zone, e.g. `Europe/Stockholm`; receipts show local time.
    pub time_zone: String,
    pub vat_number: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

/// What a manager enters to create or edit a store. Validated by the application service
/// before it reaches this module.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct StoreInput {
    pub brand_id: i64,
    pub name: String,
    pub country: String,
    pub address: String,
    pub place: Place,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub currency: String,
    pub time_zone: String,
    pub vat_number: Option<String>,
}

const SELECT: &str = "SELECT s.id, s.brand_id, b.name, s.name, s.country, s.address, s.place, s.latitude, \
     s.longitude, s.currency, s.time_zone, s.vat_number, s.created_at, s.updated_at \
     FROM stores s JOIN brands b ON b.id = s.brand_id";

fn from_row(row: &Row<'_>) -> rusqlite::Result<Store> {
    Ok(Store {
        id: row.get(0)?,
        brand_id: row.get(1)?,
        brand_name: row.get(2)?,
        name: row.get(3)?,
        country: row.get(4)?,
        address: row.get(5)?,
        place: parse_text(row, 6)?,
        latitude: row.get(7)?,
        longitude: row.get(8)?,
        currency: row.get(9)?,
        time_zone: row.get(10)?,
        vat_number: row.get(11)?,
        created_at: row.get(12)?,
        updated_at: row.get(13)?,
    })
}

pub fn list(conn: &Connection) -> Result<Vec<Store>, StoreError> {
    let mut stmt = conn.prepare_cached(&format!(
        "{SELECT} ORDER BY b.name COLLATE NOCASE, s.name COLLATE NOCASE"
    ))?;
    let rows = stmt.query_map([], from_row)?.collect::<Result<_, _>>()?;
    Ok(rows)
}

pub fn get(conn: &Connection, id: i64) -> Result<Option<Store>, StoreError> {
    Ok(crate::cached::query_row(conn, &format!("{SELECT} WHERE s.id = ?1"), [id], from_row).optional()?)
}

pub fn find_by_name(conn: &Connection, brand_id: i64, name: &str) -> Result<Option<Store>, StoreError> {
    Ok(crate::cached::query_row(
        conn,
        &format!("{SELECT} WHERE s.brand_id = ?1 AND s.name_key = ?2"),
        params![brand_id, crate::name_key(name)],
        from_row,
    )
    .optional()?)
}

pub fn insert(conn: &Connection, f: &StoreInput, now: &str) -> Result<Store, StoreError> {
    crate::cached::execute(
        conn,
        "INSERT INTO stores (brand_id, name, country, address, place, latitude, longitude, currency, \
         time_zone, vat_number, created_at, updated_at, name_key) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?11, ?12)",
        params![
            f.brand_id,
            f.name,
            f.country,
            f.address,
            f.place.as_str(),
            f.latitude,
            f.longitude,
            f.currency,
            f.time_zone,
            f.vat_number,
            now,
            crate::name_key(&f.name)
        ],
    )?;
    let id = conn.last_insert_rowid();
    get(conn, id)?.ok_or_else(|| StoreError::bad_row("store vanished after insert"))
}

pub fn update(conn: &Connection, id: i64, f: &StoreInput, now: &str) -> Result<Store, StoreError> {
    crate::cached::execute(
        conn,
        "UPDATE stores SET brand_id = ?2, name = ?3, country = ?4, address = ?5, place = ?6, latitude = ?7, \
         longitude = ?8, currency = ?9, time_zone = ?10, vat_number = ?11, updated_at = ?12, name_key = ?13 WHERE id = ?1",
        params![
            id,
            f.brand_id,
            f.name,
            f.country,
            f.address,
            f.place.as_str(),
            f.latitude,
            f.longitude,
            f.currency,
            f.time_zone,
            f.vat_number,
            now,
            crate::name_key(&f.name)
        ],
    )?;
    get(conn, id)?.ok_or_else(|| StoreError::bad_row(format!("store {id} vanished during update")))
}

/// The store's discount limit as stored: a canonical decimal percentage.
pub fn discount_limit(conn: &Connection, store_id: i64) -> Result<Option<String>, StoreError> {
    Ok(crate::cached::query_row(
        conn,
        "SELECT discount_limit_percent FROM stores WHERE id = ?1",
        [store_id],
        |r| r.get(0),
    )
    .optional()?)
}

pub fn set_discount_limit(
    conn: &Connection,
    store_id: i64,
    percent: &str,
    now: &str,
) -> Result<(), StoreError> {
    crate::cached::execute(
        conn,
        "UPDATE stores SET discount_limit_percent = ?2, updated_at = ?3 WHERE id = ?1",
        params![store_id, percent, now],
    )?;
    Ok(())
}

/// The store's Flexiti location id (`external_location_id`), when a manager set one.
/// Kept out of [`Store`]: only Flexiti payments and their setter read it.
pub fn flexiti_location_id(conn: &Connection, id: i64) -> Result<Option<String>, StoreError> {
    Ok(crate::cached::query_row(
        conn,
        "SELECT flexiti_location_id FROM stores WHERE id = ?1",
        [id],
        |row| row.get::<_, Option<String>>(0),
    )
    .optional()?
    .flatten())
}

/// Sets or clears the store's Flexiti location id. The caller has validated it.
pub fn set_flexiti_location_id(
    conn: &Connection,
    id: i64,
    location_id: Option<&str>,
    at: &str,
) -> Result<(), StoreError> {
    conn.execute(
        "UPDATE stores SET flexiti_location_id = ?2, updated_at = ?3 WHERE id = ?1",
        params![id, location_id, at],
    )?;
    Ok(())
}
