use std::path::PathBuf;

/// Why the store could not do what was asked. Messages say what is wrong and what to do,
/// because they reach store managers unchanged through the CLI and the app.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(
        "no Kassa database at {path}: check the path, or create one with `kassa init` (or `kassa demo` for a demo)"
    )]
    Missing { path: PathBuf },
    #[error("{path} already exists; refusing to overwrite it")]
    AlreadyExists { path: PathBuf },
    #[error(
        "{path} is not a SQLite database (it may be another kind of file); point Kassa at its database file"
    )]
    NotSqlite { path: PathBuf },
    #[error("{path} is a SQLite file but not a Kassa database (it has tables Kassa does not know: {tables})")]
    NotKassa { path: PathBuf, tables: String },
    #[error(
        "{path} has schema version {found}, newer than this Kassa understands (up to {known}); install a newer Kassa"
    )]
    TooNew { path: PathBuf, found: i64, known: i64 },
    #[error(
        "{path} failed SQLite's integrity check: {details}; restore it from a backup with `kassa restore`"
    )]
    Corrupt { path: PathBuf, details: String },
    #[error("could not migrate {path}: {source}")]
    Migration {
        path: PathBuf,
        #[source]
        source: rusqlite_migration::Error,
    },
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("stored data is not valid: {0}")]
    BadRow(String),
}

impl StoreError {
    pub(crate) fn bad_row(what: impl std::fmt::Display) -> Self {
        StoreError::BadRow(what.to_string())
    }
}
