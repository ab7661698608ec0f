//! What every command needs: the global options, and opening the database as a user.

use std::path::PathBuf;

use kassa_app::{Actor, AppError, Kassa, NumberLocale, paths};

use crate::pin;

pub struct Context {
    pub db: Option<PathBuf>,
    pub user: Option<String>,
    pub json: bool,
    pub locale: Option<NumberLocale>,
}

impl Context {
    /// `--db`, else `$KASSA_DB`, else the default database.
    pub fn db_path(&self) -> Result<PathBuf, AppError> {
        paths::database_path(self.db.clone())
    }

    /// Opens the existing database; a missing file is an error, never a new file.
    pub fn open(&self) -> Result<Kassa, AppError> {
        let kassa = Kassa::open(&self.db_path()?)?;
        if let Some(locale) = self.locale {
            kassa.use_number_locale(locale);
        }
        Ok(kassa)
    }

    /// Opens the database and logs in as `--user` with the PIN from `KASSA_PIN` or the
    /// terminal. The database is opened first so a wrong path fails before the PIN prompt.
    pub fn open_as_user(&self) -> Result<(Kassa, Actor), AppError> {
        let kassa = self.open()?;
        let (user, pin) = self.credentials()?;
        let (actor, _session) = kassa.login(&user, &pin)?;
        Ok((kassa, actor))
    }

    /// `--user` and the PIN from `KASSA_PIN` or the terminal.
    pub fn credentials(&self) -> Result<(String, String), AppError> {
        let user = self
            .user
            .as_deref()
            .map(str::trim)
            .filter(|u| !u.is_empty())
            .ok_or_else(|| {
                AppError::Unauthenticated(
                    "this command acts as a user: pass --user NAME or set KASSA_USER".into(),
                )
            })?;
        let pin = pin::login_pin(user)?;
        Ok((user.to_owned(), pin))
    }
}
