//! Where provider credentials live: the OS keyring, or a 0600 file where no keyring
//! service runs (CI, a bare server). Never SQLite, never a log line.
//!
//! Entries are named `<database id>/pos-<id>/<provider>/<field>` under the service
//! `kassa`, so two databases on one machine (the real one and the demo) never read each
//! other's credentials. The file fallback is `<database>.secrets`, a JSON object of the
//! same names, rewritten whole through a temporary file so a crash never leaves half.
//!
//! `KASSA_SECRETS=keyring|file` forces one store; by default the keyring is used when a
//! probe read answers (an entry found or not found), and the file otherwise.

use std::collections::BTreeMap;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use kassa_providers::Secret;

use crate::AppError;

/// Forces the secret store: `keyring` or `file`.
pub const SECRETS_ENV: &str = "KASSA_SECRETS";

const SERVICE: &str = "kassa";

/// Which store holds the secrets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "snake_case")]
pub enum SecretBackend {
    /// The OS keyring (Secret Service on Linux, Keychain, Credential Manager).
    Keyring,
    /// A 0600 file beside the database.
    File,
}

/// A secret store for one database.
#[derive(Debug, Clone)]
pub(crate) struct SecretStore {
    backend: SecretBackend,
    /// Prefix of every entry name: the database's identity.
    scope: String,
    file: PathBuf,
}

fn store_error(what: &str, error: impl std::fmt::Display) -> AppError {
    AppError::Internal(format!("the secret store could not {what}: {error}"))
}

impl SecretStore {
    /// The store for the database at `db_path`, whose stable identity is `scope`.
    pub(crate) fn for_database(db_path: &Path, scope: &str) -> Result<SecretStore, AppError> {
        let mut file = db_path.as_os_str().to_owned();
        file.push(".secrets");
        let backend = match std::env::var(SECRETS_ENV).ok().as_deref() {
            Some("file") => SecretBackend::File,
            Some("keyring") => SecretBackend::Keyring,
            Some(other) if !other.is_empty() => {
                return Err(AppError::Validation {
                    field: "secrets",
                    message: format!("{SECRETS_ENV}={other:?} is not a secret store; use keyring or file"),
                });
            }
            _ if keyring_answers() => SecretBackend::Keyring,
            _ => SecretBackend::File,
        };
        Ok(SecretStore {
            backend,
            scope: scope.to_owned(),
            file: PathBuf::from(file),
        })
    }

    pub(crate) fn backend(&self) -> SecretBackend {
        self.backend
    }

    fn name(&self, pos_id: i64, provider: &str, field: &str) -> String {
        format!("{}/pos-{pos_id}/{provider}/{field}", self.scope)
    }

    /// The secret of one field, if stored.
    pub(crate) fn get(&self, pos_id: i64, provider: &str, field: &str) -> Result<Option<Secret>, AppError> {
        let name = self.name(pos_id, provider, field);
        match self.backend {
            SecretBackend::Keyring => {
                let entry =
                    keyring::Entry::new(SERVICE, &name).map_err(|e| store_error("open an entry", e))?;
                match entry.get_password() {
                    Ok(text) => Ok(Some(Secret::new(text))),
                    Err(keyring::Error::NoEntry) => Ok(None),
                    Err(error) => Err(store_error("read the keyring", error)),
                }
            }
            SecretBackend::File => Ok(self.read_file()?.remove(&name).map(Secret::new)),
        }
    }

    /// Stores (or, for `None`, removes) the secrets of several fields at once.
    pub(crate) fn put_all(
        &self,
        pos_id: i64,
        provider: &str,
        secrets: &BTreeMap<String, Option<Secret>>,
    ) -> Result<(), AppError> {
        match self.backend {
            SecretBackend::Keyring => {
                for (field, secret) in secrets {
                    let name = self.name(pos_id, provider, field);
                    let entry =
                        keyring::Entry::new(SERVICE, &name).map_err(|e| store_error("open an entry", e))?;
                    match secret {
                        Some(secret) => entry
                            .set_password(secret.expose())
                            .map_err(|e| store_error("write the keyring", e))?,
                        None => match entry.delete_credential() {
                            Ok(()) | Err(keyring::Error::NoEntry) => {}
                            Err(error) => return Err(store_error("delete from the keyring", error)),
                        },
                    }
                }
                Ok(())
            }
            SecretBackend::File => {
                let mut all = self.read_file()?;
                for (field, secret) in secrets {
                    let name = self.name(pos_id, provider, field);
                    match secret {
                        Some(secret) => {
                            all.insert(name, secret.expose().to_owned());
                        }
                        None => {
                            all.remove(&name);
                        }
                    }
                }
                self.write_file(&all)
            }
        }
    }

    fn read_file(&self) -> Result<BTreeMap<String, String>, AppError> {
        match fs::read(&self.file) {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| {
                AppError::Conflict(format!(
                    "the secret file {} is damaged ({e}); remove it and enter the provider credentials again",
                    self.file.display()
                ))
            }),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(BTreeMap::new()),
            Err(error) => Err(store_error(&format!("read {}", self.file.display()), error)),
        }
    }

    fn write_file(&self, all: &BTreeMap<String, String>) -> Result<(), AppError> {
        let mut temporary = self.file.as_os_str().to_owned();
        temporary.push(".tmp");
        let temporary = PathBuf::from(temporary);
        let bytes = serde_json::to_vec_pretty(all).map_err(|e| store_error("encode the secrets", e))?;
        let mut options = fs::OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let write = || -> std::io::Result<()> {
            let mut file = options.open(&temporary)?;
            file.write_all(&bytes)?;
            file.sync_all()?;
            fs::rename(&temporary, &self.file)
        };
        write().map_err(|e| store_error(&format!("write {}", self.file.display()), e))
    }
}

/// Whether a keyring service answers: a read of an entry that does not exist comes back
/// as "no entry" when one runs, and as a platform error when none does.
fn keyring_answers() -> bool {
    match keyring::Entry::new(SERVICE, "kassa-probe") {
        Ok(entry) => matches!(entry.get_password(), Ok(_) | Err(keyring::Error::NoEntry)),
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file_store(dir: &Path) -> SecretStore {
        SecretStore {
            backend: SecretBackend::File,
            scope: "db1".to_owned(),
            file: dir.join("kassa.sqlite3.secrets"),
        }
    }

    #[test]
    fn the_file_store_keeps_secrets_private_and_apart() {
        let dir = tempfile::tempdir().unwrap();
        let store = file_store(dir.path());
        assert_eq!(store.get(1, "swip", "token").unwrap(), None);
        let mut secrets = BTreeMap::new();
        secrets.insert("token".to_owned(), Some(Secret::new("t0k3n")));
        store.put_all(1, "swip", &secrets).unwrap();
        assert_eq!(store.get(1, "swip", "token").unwrap().unwrap().expose(), "t0k3n");
        assert_eq!(
            store.get(2, "swip", "token").unwrap(),
            None,
            "another till's entry"
        );
        let other = SecretStore {
            scope: "db2".to_owned(),
            ..store.clone()
        };
        assert_eq!(
            other.get(1, "swip", "token").unwrap(),
            None,
            "another database's entry"
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(&store.file).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        secrets.insert("token".to_owned(), None);
        store.put_all(1, "swip", &secrets).unwrap();
        assert_eq!(store.get(1, "swip", "token").unwrap(), None);
    }

    #[test]
    fn a_damaged_file_is_reported_not_overwritten() {
        let dir = tempfile::tempdir().unwrap();
        let store = file_store(dir.path());
        fs::write(&store.file, b"{not json").unwrap();
        let error = store.get(1, "swip", "token").unwrap_err();
        assert!(error.to_string().contains("damaged"), "{error}");
        assert!(store.put_all(1, "swip", &BTreeMap::new()).is_err());
        assert_eq!(fs::read(&store.file).unwrap(), b"{not json");
    }
}
