//! What the shell keeps between commands: the service (or why it could not open) and who
//! is signed in at this window.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use kassa_app::{Actor, ApiError, AppError, ErrorCode, Kassa, paths};

pub struct Shell {
    kassa: Result<Arc<Kassa>, ApiError>,
    actor: Mutex<Option<Actor>>,
}

impl Shell {
    /// Opens the database the app should use. An explicit `KASSA_DB` must exist; the default
    /// location is created on the very first start, which is what the first-run screen
    /// then sets up. A failure is kept and shown by the UI instead of closing the window.
    pub fn open() -> Shell {
        let kassa = open_database().map(Arc::new).map_err(|e| {
            tracing::error!("cannot open the database: {e}");
            ApiError::from(e)
        });
        if let Ok(kassa) = &kassa {
            // A card payment still pending from the previous run lost its outcome: its sale
            // becomes Unknown and the till must resolve it before anything else.
            match kassa.mark_interrupted_payments() {
                Ok(0) => {}
                Ok(n) => tracing::warn!(
                    "{n} card payment(s) were pending when the app last stopped; marked unknown"
                ),
                Err(e) => tracing::error!("could not mark interrupted card payments: {e}"),
            }
        }
        Shell {
            kassa,
            actor: Mutex::new(None),
        }
    }

    pub fn kassa(&self) -> Result<Arc<Kassa>, ApiError> {
        self.kassa.clone()
    }

    pub fn actor(&self) -> Option<Actor> {
        self.actor.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    pub fn set_actor(&self, actor: Option<Actor>) {
        *self.actor.lock().unwrap_or_else(|p| p.into_inner()) = actor;
    }

    pub fn signed_in(&self) -> Result<(Arc<Kassa>, Actor), ApiError> {
        let kassa = self.kassa()?;
        let actor = self.actor().ok_or_else(|| ApiError {
            code: ErrorCode::Unauthenticated,
            message: "nobody is logged in; log in first".into(),
            field: None,
        })?;
        Ok((kassa, actor))
    }
}

fn open_database() -> Result<Kassa, AppError> {
    let explicit = std::env::var_os(paths::DB_ENV)
        .filter(|p| !p.is_empty())
        .map(PathBuf::from);
    let path = paths::database_path(explicit.clone())?;
    if explicit.is_none() && !path.exists() {
        tracing::info!(path = %path.display(), "creating the database for the first run");
        return Kassa::create(&path);
    }
    Kassa::open(&path)
}
