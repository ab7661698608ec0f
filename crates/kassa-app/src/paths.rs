//! Where an installation keeps its files. Shared by the desktop app and the CLI so both
//! find the same database without being told.

use std::path::PathBuf;

use crate::AppError;

/// Overrides the data directory (database, logs); used by tests and portable installs.
pub const DATA_DIR_ENV: &str = "KASSA_DATA_DIR";
/// Overrides the database path.
pub const DB_ENV: &str = "KASSA_DB";

pub const DB_FILE: &str = "kassa.sqlite3";
pub const DEMO_DB_FILE: &str = "kassa-demo.sqlite3";

/// The OS data directory for Kassa (e.g. `~/.local/share/kassa` on Linux), or
/// `$KASSA_DATA_DIR` when set.
pub fn data_dir() -> Result<PathBuf, AppError> {
    if let Some(dir) = std::env::var_os(DATA_DIR_ENV).filter(|d| !d.is_empty()) {
        return Ok(PathBuf::from(dir));
    }
    directories::ProjectDirs::from("", "", "kassa")
        .map(|dirs| dirs.data_dir().to_owned())
        .ok_or_else(|| {
            AppError::Internal(format!(
                "no home directory to keep Kassa's data in; set {DATA_DIR_ENV}"
            ))
        })
}

/// The database to use: an explicit path, else `$KASSA_DB`, else the default file.
pub fn database_path(explicit: Option<PathBuf>) -> Result<PathBuf, AppError> {
    if let Some(path) = explicit {
        return Ok(path);
    }
    if let Some(path) = std::env::var_os(DB_ENV).filter(|p| !p.is_empty()) {
        return Ok(PathBuf::from(path));
    }
    Ok(data_dir()?.join(DB_FILE))
}

/// The demo database lives beside the real one, never over it.
pub fn demo_database_path() -> Result<PathBuf, AppError> {
    Ok(data_dir()?.join(DEMO_DB_FILE))
}

pub fn log_dir() -> Result<PathBuf, AppError> {
    Ok(data_dir()?.join("logs"))
}
