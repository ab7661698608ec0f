//! POS devices: the tills of a store, their attached hardware and their ids at providers.
//! Deleting one only marks it, so receipts and provider history keep a device to point at.

use std::str::FromStr;

use rusqlite::types::Type;
use rusqlite::{Connection, OptionalExtension, Row, params};
use serde::{Deserialize, Serialize};

use kassa_core::org::{
    DeviceType, PosStatus, Provider, SerialFlowControl, SerialParity, TerminalCharset, TerminalProtocol,
};

use crate::StoreError;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct ExternalId {
    pub provider: Provider,
    pub external_id: String,
}

/// How the till reaches its integrated card terminal: a serial line (RS-232 or a USB
/// adapter) or the shop's LAN. Rows stored before the line settings existed read with the
/// defaults (8 data bits, no parity, 2 stop bits, no flow control, CP437, the till prints
/// the receipts): what most ZVT terminals ship with. The terminal's password is a secret
/// and lives in the secret store, not here.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct TerminalSettings {
    /// The serial port's path; empty when the terminal is on the LAN.
    pub port: String,
    pub baud_rate: u32,
    pub protocol: TerminalProtocol,
    #[serde(default = "default_data_bits")]
    pub data_bits: u8,
    #[serde(default)]
    pub parity: SerialParity,
    #[serde(default = "default_stop_bits")]
    pub stop_bits: u8,
    #[serde(default)]
    pub flow_control: SerialFlowControl,
    /// `host:port` of a terminal on the LAN (ZVT over TCP, port 20007 by default); when
    /// set, the serial settings are not used.
    #[serde(default)]
    pub tcp_address: Option<String>,
    #[serde(default)]
    pub charset: TerminalCharset,
    /// Whether the till prints the card receipts (the terminal sends their lines) rather
    /// than the terminal's own printer.
    #[serde(default = "default_true")]
    pub till_prints_receipts: bool,
}

fn default_data_bits() -> u8 {
    8
}

fn default_stop_bits() -> u8 {
    2
}

fn default_true() -> bool {
    true
}

impl TerminalSettings {
    /// A terminal on serial port `port` with the default line settings.
    pub fn serial(port: impl Into<String>, baud_rate: u32) -> TerminalSettings {
        TerminalSettings {
            port: port.into(),
            baud_rate,
            protocol: TerminalProtocol::Zvt,
            data_bits: default_data_bits(),
            parity: SerialParity::None,
            stop_bits: default_stop_bits(),
            flow_control: SerialFlowControl::None,
            tcp_address: None,
            charset: TerminalCharset::Cp437,
            till_prints_receipts: true,
        }
    }

    /// A terminal on the LAN at `address` (`host:port`).
    pub fn tcp(address: impl Into<String>) -> TerminalSettings {
        TerminalSettings {
            port: String::new(),
            tcp_address: Some(address.into()),
            ..TerminalSettings::serial("", 9600)
        }
    }
}

/// The serial line and paper width of an attached receipt printer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct PrinterSettings {
    pub port: String,
    pub baud_rate: u32,
    /// Characters per line: 32, 42 or 48.
    pub columns: u8,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct PosDevice {
    pub id: i64,
    pub store_id: i64,
    pub store_name: String,
    pub name: String,
    pub status: PosStatus,
    pub device_type: DeviceType,
    pub external_ids: Vec<ExternalId>,
    pub terminal: Option<TerminalSettings>,
    pub printer: Option<PrinterSettings>,
    pub deleted_at: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

/// What a manager enters to create or edit a POS device.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct PosDeviceInput {
    pub store_id: i64,
    pub name: String,
    pub device_type: DeviceType,
    pub external_ids: Vec<ExternalId>,
    pub terminal: Option<TerminalSettings>,
    pub printer: Option<PrinterSettings>,
}

/// Reads a TEXT column holding one of an enum's names.
pub(crate) fn parse_text<T>(row: &Row<'_>, idx: usize) -> rusqlite::Result<T>
where
    T: FromStr,
    T::Err: std::error::Error + Send + Sync + 'static,
{
    let text: String = row.get(idx)?;
    text.parse()
        .map_err(|e| rusqlite::Error::FromSqlConversionFailure(idx, Type::Text, Box::new(e)))
}

fn parse_json<T: serde::de::DeserializeOwned>(row: &Row<'_>, idx: usize) -> rusqlite::Result<Option<T>> {
    let text: Option<String> = row.get(idx)?;
    text.map(|t| serde_json::from_str(&t))
        .transpose()
        .map_err(|e| rusqlite::Error::FromSqlConversionFailure(idx, Type::Text, Box::new(e)))
}

fn to_json<T: Serialize>(value: &Option<T>) -> Result<Option<String>, StoreError> {
    value
        .as_ref()
        .map(serde_json::to_string)
        .transpose()
        .map_err(|e| StoreError::bad_row(format!("could not encode settings: {e}")))
}

const SELECT: &str = "SELECT p.id, p.store_id, s.name, p.name, p.status, p.device_type, p.terminal, p.printer, \
     p.deleted_at, p.created_at, p.updated_at FROM pos_devices p JOIN stores s ON s.id = p.store_id";

fn from_row(row: &Row<'_>) -> rusqlite::Result<PosDevice> {
    Ok(PosDevice {
        id: row.get(0)?,
        store_id: row.get(1)?,
        store_name: row.get(2)?,
        name: row.get(3)?,
        status: parse_text(row, 4)?,
        device_type: parse_text(row, 5)?,
        external_ids: Vec::new(),
        terminal: parse_json(row, 6)?,
        printer: parse_json(row, 7)?,
        deleted_at: row.get(8)?,
        created_at: row.get(9)?,
        updated_at: row.get(10)?,
    })
}

fn load_external_ids(conn: &Connection, device: &mut PosDevice) -> Result<(), StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT provider, external_id FROM pos_external_ids WHERE pos_id = ?1 ORDER BY provider",
    )?;
    device.external_ids = stmt
        .query_map([device.id], |row| {
            Ok(ExternalId {
                provider: parse_text(row, 0)?,
                external_id: row.get(1)?,
            })
        })?
        .collect::<Result<_, _>>()?;
    Ok(())
}

/// Devices of one store, or of all stores; deleted ones only when asked for.
pub fn list(
    conn: &Connection,
    store_id: Option<i64>,
    include_deleted: bool,
) -> Result<Vec<PosDevice>, StoreError> {
    let mut stmt = conn.prepare_cached(&format!(
        "{SELECT} WHERE (?1 IS NULL OR p.store_id = ?1) AND (?2 OR p.deleted_at IS NULL) \
         ORDER BY s.name COLLATE NOCASE, p.name COLLATE NOCASE, p.id"
    ))?;
    let mut devices: Vec<PosDevice> = stmt
        .query_map(params![store_id, include_deleted], from_row)?
        .collect::<Result<_, _>>()?;
    for device in &mut devices {
        load_external_ids(conn, device)?;
    }
    Ok(devices)
}

pub fn get(conn: &Connection, id: i64) -> Result<Option<PosDevice>, StoreError> {
    let device =
        crate::cached::query_row(conn, &format!("{SELECT} WHERE p.id = ?1"), [id], from_row).optional()?;
    match device {
        Some(mut device) => {
            load_external_ids(conn, &mut device)?;
            Ok(Some(device))
        }
        None => Ok(None),
    }
}

/// A live (not deleted) device of the store with this name, ignoring letter case.
pub fn find_live_by_name(
    conn: &Connection,
    store_id: i64,
    name: &str,
) -> Result<Option<PosDevice>, StoreError> {
    let id: Option<i64> = crate::cached::query_row(
        conn,
        "SELECT id FROM pos_devices WHERE store_id = ?1 AND name_key = ?2 AND deleted_at IS NULL",
        params![store_id, crate::name_key(name)],
        |row| row.get(0),
    )
    .optional()?;
    id.map(|id| get(conn, id)).transpose().map(Option::flatten)
}

/// The device that already uses this id at this provider, if any.
pub fn find_by_external_id(
    conn: &Connection,
    provider: Provider,
    external_id: &str,
) -> Result<Option<i64>, StoreError> {
    Ok(crate::cached::query_row(
        conn,
        "SELECT pos_id FROM pos_external_ids WHERE provider = ?1 AND external_id = ?2",
        params![provider.as_str(), external_id],
        |row| row.get(0),
    )
    .optional()?)
}

fn replace_external_ids(conn: &Connection, pos_id: i64, ids: &[ExternalId]) -> Result<(), StoreError> {
    crate::cached::execute(conn, "DELETE FROM pos_external_ids WHERE pos_id = ?1", [pos_id])?;
    let mut stmt = conn
        .prepare_cached("INSERT INTO pos_external_ids (pos_id, provider, external_id) VALUES (?1, ?2, ?3)")?;
    for id in ids {
        stmt.execute(params![pos_id, id.provider.as_str(), id.external_id])?;
    }
    Ok(())
}

pub fn insert(conn: &Connection, f: &PosDeviceInput, now: &str) -> Result<PosDevice, StoreError> {
    crate::cached::execute(
        conn,
        "INSERT INTO pos_devices (store_id, name, name_key, status, device_type, terminal, printer, created_at, \
         updated_at) VALUES (?1, ?2, ?3, 'ENABLED', ?4, ?5, ?6, ?7, ?7)",
        params![
            f.store_id,
            f.name,
            crate::name_key(&f.name),
            f.device_type.as_str(),
            to_json(&f.terminal)?,
            to_json(&f.printer)?,
            now
        ],
    )?;
    let id = conn.last_insert_rowid();
    replace_external_ids(conn, id, &f.external_ids)?;
    get(conn, id)?.ok_or_else(|| StoreError::bad_row("POS device vanished after insert"))
}

pub fn update(conn: &Connection, id: i64, f: &PosDeviceInput, now: &str) -> Result<PosDevice, StoreError> {
    crate::cached::execute(
        conn,
        "UPDATE pos_devices SET store_id = ?2, name = ?3, device_type = ?4, terminal = ?5, printer = ?6, \
         updated_at = ?7 WHERE id = ?1",
        params![
            id,
            f.store_id,
            f.name,
            f.device_type.as_str(),
            to_json(&f.terminal)?,
            to_json(&f.printer)?,
            now
        ],
    )?;
    replace_external_ids(conn, id, &f.external_ids)?;
    get(conn, id)?.ok_or_else(|| StoreError::bad_row(format!("POS device {id} vanished during update")))
}

pub fn set_status(conn: &Connection, id: i64, status: PosStatus, now: &str) -> Result<PosDevice, StoreError> {
    crate::cached::execute(
        conn,
        "UPDATE pos_devices SET status = ?2, updated_at = ?3 WHERE id = ?1",
        params![id, status.as_str(), now],
    )?;
    get(conn, id)?.ok_or_else(|| StoreError::bad_row(format!("POS device {id} vanished during update")))
}

/// Marks the device deleted and disabled. Its external ids are kept for history.
pub fn soft_delete(conn: &Connection, id: i64, now: &str) -> Result<PosDevice, StoreError> {
    crate::cached::execute(
        conn,
        "UPDATE pos_devices SET deleted_at = ?2, status = 'DISABLED', updated_at = ?2 WHERE id = ?1",
        params![id, now],
    )?;
    get(conn, id)?.ok_or_else(|| StoreError::bad_row(format!("POS device {id} vanished during delete")))
}

/// Gives the device `external_id` at `provider`, replacing any id it had there. The
/// unique index refuses an id another device holds; callers check first to say which.
pub fn set_external_id(
    conn: &Connection,
    pos_id: i64,
    provider: Provider,
    external_id: &str,
) -> Result<(), StoreError> {
    crate::cached::execute(
        conn,
        "INSERT INTO pos_external_ids (pos_id, provider, external_id) VALUES (?1, ?2, ?3) \
         ON CONFLICT (pos_id, provider) DO UPDATE SET external_id = excluded.external_id",
        params![pos_id, provider.as_str(), external_id],
    )?;
    Ok(())
}

/// Removes the device's id at `provider`, if it has one.
pub fn remove_external_id(conn: &Connection, pos_id: i64, provider: Provider) -> Result<(), StoreError> {
    crate::cached::execute(
        conn,
        "DELETE FROM pos_external_ids WHERE pos_id = ?1 AND provider = ?2",
        params![pos_id, provider.as_str()],
    )?;
    Ok(())
}
