//! What the shell keeps between commands: the service (or why it could not open) and who
//! is signed in at this window.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use kassa_app::{Actor, ApiError, AppError, ErrorCode, Kassa, WebhookListener, paths};

pub struct Shell {
    kassa: Result<Arc<Kassa>, ApiError>,
    actor: Mutex<Option<Actor>>,
    /// Answers Vourity's webhooks while the app runs; `None` when it could not start,
    /// which the app reports and survives (payments are then followed by polling).
    _webhooks: Option<WebhookListener>,
}

impl Shell {
    /// Opens the database the app should use. An explicit `KASSA_DB` must exist; the default
    /// location is created on the very first start, which is what the first-run screen
    /// then sets up. A failure is kept and shown by the UI instead of closing the window.
    pub fn open() -> Shell {
        let (path, opened) = open_database();
        let kassa = opened.map(Arc::new).map_err(|e| {
            tracing::error!("cannot open the database: {e}");
            without_path(ApiError::from(e), path.as_deref())
        });
        // Opening marked any card payment left pending by a Kassa that has stopped as
        // unknown: the till must resolve it before anything else.
        let webhooks = kassa.as_ref().ok().and_then(start_webhooks);
        Shell {
            kassa,
            actor: Mutex::new(None),
            _webhooks: webhooks,
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

/// Starts the Vourity webhook listener on the configured address. A failure (the port is
/// taken, the setting is unreadable) is logged here and kept for `vourity_webhook_status`,
/// which the window shows; it never stops the app.
fn start_webhooks(kassa: &Arc<Kassa>) -> Option<WebhookListener> {
    let started = kassa
        .vourity_webhook_address()
        .and_then(|address| kassa_app::start_vourity_webhooks(kassa, address));
    match started {
        Ok(listener) => Some(listener),
        Err(error) => {
            tracing::warn!("Vourity webhooks: {error}");
            None
        }
    }
}

/// The database path, when it could be worked out, and the opened service.
fn open_database() -> (Option<PathBuf>, Result<Kassa, AppError>) {
    let explicit = std::env::var_os(paths::DB_ENV)
        .filter(|p| !p.is_empty())
        .map(PathBuf::from);
    let path = match paths::database_path(explicit.clone()) {
        Ok(path) => path,
        Err(e) => return (None, Err(e)),
    };
    if explicit.is_none() && !path.exists() {
        tracing::info!(path = %path.display(), "creating the database for the first run");
        let created = Kassa::create(&path);
        return (Some(path), created);
    }
    let opened = Kassa::open(&path);
    (Some(path), opened)
}

/// The window shows this error before anyone logs in, so it does not say where the data
/// lives; the log file (written above) has the full message with the path.
fn without_path(mut error: ApiError, path: Option<&std::path::Path>) -> ApiError {
    if let Some(path) = path {
        let shown = path.display().to_string();
        if error.message.contains(&shown) {
            error.message = format!(
                "{} (the log file names the file)",
                error.message.replace(&shown, "the database file")
            );
        }
    }
    error
}
