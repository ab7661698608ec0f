//! Provider accounts per POS device: the base URL and the fields that are not
//! credentials. The credentials themselves are in the OS keyring (kassa-app's secret
//! store); this table only names which of them are set.

use std::collections::BTreeMap;

use rusqlite::types::Type;
use rusqlite::{Connection, OptionalExtension, Row, params};

use kassa_core::org::Provider;

use crate::StoreError;

/// One provider account of one POS device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderAccount {
    pub pos_id: i64,
    pub provider: Provider,
    pub base_url: String,
    /// Values of the fields that are not credentials, by field key.
    pub fields: BTreeMap<String, String>,
    /// The keys of the credentials stored in the secret store.
    pub secret_keys: Vec<String>,
    pub tested_at: Option<String>,
    pub test_ok: Option<bool>,
    pub test_message: Option<String>,
    pub updated_at: String,
}

fn json_column<T: serde::de::DeserializeOwned>(row: &Row<'_>, index: usize) -> rusqlite::Result<T> {
    let text: String = row.get(index)?;
    serde_json::from_str(&text)
        .map_err(|e| rusqlite::Error::FromSqlConversionFailure(index, Type::Text, Box::new(e)))
}

fn from_row(row: &Row<'_>) -> rusqlite::Result<ProviderAccount> {
    let provider: String = row.get(1)?;
    Ok(ProviderAccount {
        pos_id: row.get(0)?,
        provider: provider
            .parse()
            .map_err(|e| rusqlite::Error::FromSqlConversionFailure(1, Type::Text, Box::new(e)))?,
        base_url: row.get(2)?,
        fields: json_column(row, 3)?,
        secret_keys: json_column(row, 4)?,
        tested_at: row.get(5)?,
        test_ok: row.get(6)?,
        test_message: row.get(7)?,
        updated_at: row.get(8)?,
    })
}

const COLUMNS: &str =
    "pos_id, provider, base_url, fields, secret_keys, tested_at, test_ok, test_message, updated_at";

pub fn get(
    conn: &Connection,
    pos_id: i64,
    provider: Provider,
) -> Result<Option<ProviderAccount>, StoreError> {
    Ok(crate::cached::query_row(
        conn,
        &format!("SELECT {COLUMNS} FROM provider_accounts WHERE pos_id = ?1 AND provider = ?2"),
        params![pos_id, provider.as_str()],
        from_row,
    )
    .optional()?)
}

pub fn list_for_pos(conn: &Connection, pos_id: i64) -> Result<Vec<ProviderAccount>, StoreError> {
    let mut statement = conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM provider_accounts WHERE pos_id = ?1 ORDER BY provider"
    ))?;
    let rows = statement.query_map([pos_id], from_row)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Creates or replaces the account's settings; a change clears the last test result,
/// which no longer says anything about the new settings.
pub fn put(conn: &Connection, account: &ProviderAccount) -> Result<(), StoreError> {
    let fields = serde_json::to_string(&account.fields).map_err(StoreError::bad_row)?;
    let secret_keys = serde_json::to_string(&account.secret_keys).map_err(StoreError::bad_row)?;
    conn.execute(
        "INSERT INTO provider_accounts (pos_id, provider, base_url, fields, secret_keys, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)
         ON CONFLICT (pos_id, provider) DO UPDATE SET
             base_url = excluded.base_url, fields = excluded.fields,
             secret_keys = excluded.secret_keys, updated_at = excluded.updated_at,
             tested_at = NULL, test_ok = NULL, test_message = NULL",
        params![
            account.pos_id,
            account.provider.as_str(),
            account.base_url,
            fields,
            secret_keys,
            account.updated_at
        ],
    )?;
    Ok(())
}

pub fn set_test_result(
    conn: &Connection,
    pos_id: i64,
    provider: Provider,
    at: &str,
    ok: bool,
    message: &str,
) -> Result<(), StoreError> {
    conn.execute(
        "UPDATE provider_accounts SET tested_at = ?3, test_ok = ?4, test_message = ?5
         WHERE pos_id = ?1 AND provider = ?2",
        params![pos_id, provider.as_str(), at, ok, message],
    )?;
    Ok(())
}
