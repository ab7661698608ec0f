//! Kassa's SQLite store.
//!
//! One file holds everything an installation knows. [`Db`] owns the connection and the
//! rules for opening it (pragmas, embedded migrations, refusing files it must not touch);
//! the table modules are plain functions over a `&Connection`, so the application service
//! decides the transaction boundaries and can write a change and its audit entry together.

pub mod audit;
pub mod brands;
mod cached;
pub mod catalog;
mod db;
pub mod droppay_registrations;
mod error;
pub mod journal;
pub mod outbox;
pub mod payment_steps;
pub mod pos_devices;
pub mod provider_accounts;
pub mod sales;
pub mod settings;
pub mod shifts;
pub mod stores;
pub mod terminal_steps;
pub mod users;
pub mod vourity_webhooks;

pub use db::{CheckedBackup, Db, Durability, SCHEMA_VERSION};

/// The form of a name that uniqueness is checked on: Unicode lower case, so that
/// "MALMÖ C" and "Malmö C" are the same store (SQLite's NOCASE folds only ASCII).
pub fn name_key(name: &str) -> String {
    name.trim().to_lowercase()
}
pub use error::StoreError;
pub use rusqlite::{Connection, Error as RusqliteError, Transaction};
