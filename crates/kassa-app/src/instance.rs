//! Which running Kassa owns a pending payment.
//!
//! Every open [`crate::Kassa`] is an *instance* with an id of its own. It holds an
//! exclusive advisory lock on `<database>.instances/<id>.lock` for as long as it is open;
//! the operating system drops the lock when the process ends, however it ends (SIGKILL
//! included). A pending tender records the instance waiting for its outcome, so any
//! other instance can tell "still being taken at a running till" (the lock is held) from
//! "its process is gone and the outcome is lost" (the lock is free, or its file is gone).

use std::fs::{File, OpenOptions, TryLockError};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use crate::AppError;
use kassa_store::StoreError;

/// This process's lock on its instance file, released (and the file removed) on drop.
pub(crate) struct Instance {
    id: String,
    path: PathBuf,
    _lock: File,
}

impl std::fmt::Debug for Instance {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Instance").field("id", &self.id).finish()
    }
}

/// The directory beside the database that holds one lock file per open instance.
fn lock_dir(db_path: &Path) -> PathBuf {
    let mut name = db_path.as_os_str().to_owned();
    name.push(".instances");
    PathBuf::from(name)
}

/// Only ids this module makes name a lock file: a stored id can never point elsewhere.
fn is_instance_id(id: &str) -> bool {
    !id.is_empty() && id.len() <= 64 && id.chars().all(|c| c.is_ascii_hexdigit() || c == '-')
}

fn io_error(path: &Path, source: std::io::Error) -> AppError {
    AppError::Store(StoreError::Io {
        path: path.to_owned(),
        source,
    })
}

impl Instance {
    /// Takes a fresh instance id and its lock beside the database at `db_path`.
    pub(crate) fn start(db_path: &Path) -> Result<Instance, AppError> {
        static STARTED: AtomicU64 = AtomicU64::new(0);
        let dir = lock_dir(db_path);
        std::fs::create_dir_all(&dir).map_err(|e| io_error(&dir, e))?;
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default();
        // The process id and the time tell processes apart; the counter, instances in one
        // process (tests open several).
        let id = format!(
            "{:x}-{:x}-{:x}",
            std::process::id(),
            nanos,
            STARTED.fetch_add(1, Ordering::Relaxed)
        );
        let path = dir.join(format!("{id}.lock"));
        let file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
            .map_err(|e| io_error(&path, e))?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                return Err(AppError::Internal(format!(
                    "the new instance file {} is locked by another process",
                    path.display()
                )));
            }
            Err(TryLockError::Error(e)) => return Err(io_error(&path, e)),
        }
        Ok(Instance {
            id,
            path,
            _lock: file,
        })
    }

    pub(crate) fn id(&self) -> &str {
        &self.id
    }
}

impl Drop for Instance {
    fn drop(&mut self) {
        // Removed while still locked; the lock goes with the file handle right after.
        let _ = std::fs::remove_file(&self.path);
    }
}

/// Whether the instance `id` of the database at `db_path` is still open in a running
/// process. When its lock cannot be checked for another reason, it counts as running:
/// a running till's payment must never be declared lost.
pub(crate) fn is_running(db_path: &Path, id: &str) -> bool {
    if !is_instance_id(id) {
        tracing::warn!(id, "a pending payment names an owner that is not an instance id");
        return false;
    }
    let path = lock_dir(db_path).join(format!("{id}.lock"));
    let file = match File::open(&path) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return false,
        Err(e) => {
            tracing::warn!(path = %path.display(), "cannot check a Kassa instance's lock: {e}");
            return true;
        }
    };
    match file.try_lock() {
        Ok(()) => {
            // Its process died without removing the file: tidy up.
            let _ = std::fs::remove_file(&path);
            false
        }
        Err(TryLockError::WouldBlock) => true,
        Err(TryLockError::Error(e)) => {
            tracing::warn!(path = %path.display(), "cannot check a Kassa instance's lock: {e}");
            true
        }
    }
}

/// Removes the lock directory of a database that is being removed, if no instance is in it.
pub(crate) fn remove_lock_dir(db_path: &Path) {
    let _ = std::fs::remove_dir(lock_dir(db_path));
}
