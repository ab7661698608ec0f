//! Kassa's application service.
//!
//! Every use case of the product is a method on [`Kassa`]: it checks who is asking
//! ([`Actor`]), validates the input, and makes the change and its audit entry in one
//! SQLite transaction. The Tauri shell and the `kassa` CLI are thin callers of this crate;
//! neither holds business rules of its own.

mod auth;
pub mod card_terminal;
pub mod catalog;
mod clock;
mod corrections;
mod demo;
mod droppay;
mod error;
mod flexiti_payments;
mod installation;
mod instance;
mod journal;
pub mod logging;
pub mod numbers;
mod org;
pub mod paths;
mod payments;
mod permissions;
mod provider_payments;
mod providers;
mod receipts;
mod restore;
mod sales;
mod secrets;
mod shifts;
mod swip_loyalty;
mod swip_payments;
mod terminal_payments;
mod users;
pub mod validate;
mod venue_manager;
mod voucher_payments;
mod vourity_payments;
pub mod vourity_webhooks;

use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};

use rusqlite::TransactionBehavior;
use serde::Serialize;

pub use auth::{Actor, LOCKOUT_MINUTES, MAX_PIN_ATTEMPTS, Session};
pub use catalog::{ImportPreview, ImportRow, ProductInput, ProductView, RejectedRow, StorePrice};
pub use clock::{Clock, ManualClock, SystemClock, timestamp};
pub use corrections::{
    RefundInput, RefundLineInput, RefundableLine, RefundableSale, RefundableTender, ReturnItemInput,
};
pub use demo::{DEMO_USERS, DemoUser};
pub use droppay::{DroppayAttempt, DroppayRegistration, DroppayRemote, DroppayState};
pub use error::{ApiError, AppError, ErrorCode};
pub use flexiti_payments::{FlexitiMode, MAX_FLEXITI_ID, mask_account};
pub use installation::{AppStatus, BoundDevice, FirstRunInput, Language};
pub use journal::JournalReport;
pub use numbers::{NumberLocale, UnknownNumberLocale};
pub use permissions::{DEFAULT_IDLE_LOCK_MINUTES, MAX_IDLE_LOCK_MINUTES, Permissions};
pub use provider_payments::ProviderTimings;
pub use providers::{
    ConnectionTest, ConnectionTestCode, PROVIDERS, ProviderAccountInput, ProviderAccountView,
    ProviderFieldView, provider_fields, provider_name,
};
pub use receipts::{ReceiptCopy, ReceiptPreview, SaleSummary};
pub use restore::RestoreReport;
pub use sales::{DiscountInput, LineView, ManagerApproval, SaleView, TenderView, VatView};
pub use secrets::{SECRETS_ENV, SecretBackend};
pub use shifts::{NamedAmount, ShiftReport, ShiftView};
pub use swip_loyalty::LoyaltyDiscountView;
pub use terminal_payments::TerminalEndOfDay;
pub use users::UserInput;
pub use voucher_payments::{LoyaltyUsage, VoucherView};
pub use vourity_webhooks::{
    DEFAULT_WEBHOOK_ADDRESS, RecordedWebhook, WebhookListener, WebhookListenerStatus, start_vourity_webhooks,
};

pub use kassa_core::org::{
    CashMovementKind, DeviceType, Place, PosStatus, Provider, Role, SaleKind, SaleStatus, SaleUnit,
    TenderMethod, TenderStatus, TerminalProtocol, VatCategory,
};
pub use kassa_store::audit::AuditEntry;
pub use kassa_store::brands::{Brand, BrandInput};
pub use kassa_store::catalog::{Category, Product};
pub use kassa_store::droppay_registrations::{RegistrationHow, RegistrationState};
pub use kassa_store::pos_devices::{
    ExternalId, PosDevice, PosDeviceInput, PrinterSettings, TerminalSettings,
};
pub use kassa_store::stores::{Store, StoreInput};
pub use kassa_store::users::User;
pub use kassa_store::{Db, Durability, SCHEMA_VERSION, StoreError};

use kassa_store::{Connection, Transaction, audit};

/// The application service over one database.
pub struct Kassa {
    db: Mutex<Db>,
    clock: Arc<dyn Clock>,
    /// The notation typed numbers are read in when the caller chose one (the CLI's
    /// `--locale`); otherwise the installation's UI language decides.
    number_locale: Mutex<Option<NumberLocale>>,
    /// This open service's id and lock: the owner recorded on the pending payments it
    /// waits for. Declared after `db`, so the lock outlives the connection.
    instance: instance::Instance,
    /// The runtime the async provider clients run on, started on first use: the service
    /// itself is synchronous, and so are its callers (Tauri commands, the CLI).
    runtime: std::sync::OnceLock<tokio::runtime::Runtime>,
    /// Wakes those waiting for a Vourity webhook; the listener's state.
    webhooks: vourity_webhooks::WebhookHub,
    /// How long providers are waited for (see [`ProviderTimings`]).
    timings: Mutex<ProviderTimings>,
    /// The provider clients built so far, so that each call does not build (and load the
    /// system's root certificates for) a new HTTP client, and connections stay warm.
    provider_clients: provider_payments::ClientCache,
    /// The integrated card terminal's connection and running payments.
    terminal: card_terminal::TerminalSlot,
}

impl Drop for Kassa {
    fn drop(&mut self) {
        // The last reference may go on a thread of another runtime (the webhook
        // listener's); a runtime dropped there must not wait for its own threads.
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

impl std::fmt::Debug for Kassa {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Kassa").finish_non_exhaustive()
    }
}

impl Kassa {
    /// Opens an existing database; see [`Db::open`] for what is refused.
    pub fn open(path: &Path) -> Result<Kassa, AppError> {
        Self::open_with_clock(path, Arc::new(SystemClock))
    }

    /// Opening also finds the card payments left pending by a Kassa process that is no
    /// longer running and marks them unknown (see [`Kassa::mark_interrupted_payments`]), so
    /// whichever front end opens next, the CLI included, sees them.
    pub fn open_with_clock(path: &Path, clock: Arc<dyn Clock>) -> Result<Kassa, AppError> {
        let db = Db::open(path)?;
        let kassa = Kassa {
            instance: instance::Instance::start(db.path())?,
            db: Mutex::new(db),
            clock,
            number_locale: Mutex::new(None),
            runtime: std::sync::OnceLock::new(),
            webhooks: vourity_webhooks::WebhookHub::default(),
            timings: Mutex::new(ProviderTimings::default()),
            provider_clients: provider_payments::ClientCache::default(),
            terminal: card_terminal::TerminalSlot::default(),
        };
        match kassa.mark_interrupted_payments()? {
            0 => {}
            n => tracing::warn!("{n} payment(s) were pending in a Kassa that stopped; marked unknown"),
        }
        // Provider payments left unknown are asked about now, under their own references;
        // one that cannot be reached yet stays unknown and blocks the till until it is.
        match kassa.reconcile_interrupted_payments() {
            Ok(0) => {}
            Ok(n) => tracing::info!("{n} interrupted provider payment(s) reconciled"),
            Err(error) => tracing::warn!("reconciling interrupted provider payments: {error}"),
        }
        Ok(kassa)
    }

    /// Creates a new, empty database (no users yet: the first run sets it up).
    pub fn create(path: &Path) -> Result<Kassa, AppError> {
        Self::create_with_clock(path, Arc::new(SystemClock))
    }

    pub fn create_with_clock(path: &Path, clock: Arc<dyn Clock>) -> Result<Kassa, AppError> {
        let db = Db::create(path)?;
        Ok(Kassa {
            instance: instance::Instance::start(db.path())?,
            db: Mutex::new(db),
            clock,
            number_locale: Mutex::new(None),
            runtime: std::sync::OnceLock::new(),
            webhooks: vourity_webhooks::WebhookHub::default(),
            timings: Mutex::new(ProviderTimings::default()),
            provider_clients: provider_payments::ClientCache::default(),
            terminal: card_terminal::TerminalSlot::default(),
        })
    }

    /// The id recorded as the owner of the pending payments this service waits for.
    pub(crate) fn instance_id(&self) -> &str {
        self.instance.id()
    }

    /// Runs a provider call to completion on the service's runtime.
    pub(crate) fn block_on<F: std::future::Future>(&self, future: F) -> F::Output {
        self.runtime
            .get_or_init(|| {
                // One worker is plenty for a till's few calls; multi-thread so that
                // several commands (Tauri runs them in parallel) can wait at once.
                tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(1)
                    .enable_all()
                    .thread_name("kassa-providers")
                    .build()
                    .expect("starting one worker thread only fails when the OS is out of threads")
            })
            .block_on(future)
    }

    pub(crate) fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.clock.now()
    }

    pub(crate) fn db(&self) -> MutexGuard<'_, Db> {
        // A panic while holding the lock cannot leave a half-written change behind: the
        // transaction was rolled back when it unwound. The connection itself is still good.
        self.db.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Runs `work` in one IMMEDIATE transaction: all of it is committed or none of it, and
    /// the commit survives a power cut (`synchronous=FULL`). Every write that moves money or
    /// appends a fiscal record goes through here.
    pub(crate) fn write<T>(
        &self,
        work: impl FnOnce(&Transaction<'_>) -> Result<T, AppError>,
    ) -> Result<T, AppError> {
        self.db().write(Durability::PowerCut, work)
    }

    /// Like [`Kassa::write`] for a change to an open sale's cart (a scan): the commit
    /// survives a crash of the process but skips the fsync, so ringing up costs no disk
    /// wait. A power cut can lose such a commit only until the payment, whose fsync makes
    /// every earlier commit durable; nothing fiscal or monetary may be written here.
    pub(crate) fn write_cart<T>(
        &self,
        work: impl FnOnce(&Transaction<'_>) -> Result<T, AppError>,
    ) -> Result<T, AppError> {
        self.db().write(Durability::ProcessCrash, work)
    }

    /// Runs `work` on one consistent snapshot.
    pub(crate) fn read<T>(
        &self,
        work: impl FnOnce(&Connection) -> Result<T, AppError>,
    ) -> Result<T, AppError> {
        let mut db = self.db();
        let tx = db
            .conn_mut()
            .transaction_with_behavior(TransactionBehavior::Deferred)?;
        let value = work(&tx)?;
        tx.finish()?;
        Ok(value)
    }

    /// The database file this service works on.
    pub fn db_path(&self) -> std::path::PathBuf {
        self.db().path().to_owned()
    }

    /// SQLite's full integrity check; empty when the file is sound (managers only: it
    /// reads the whole file and reports on its structure).
    pub fn integrity_problems(&self, actor: &Actor) -> Result<Vec<String>, AppError> {
        self.read(|conn| {
            self.authorize(conn, actor, &[Role::Manager], "check the database")
                .map(drop)
        })?;
        Ok(self.db().integrity_problems()?)
    }
}

/// Who is making changes, and when: every change made under it is audited with both.
pub(crate) struct Audit<'a> {
    pub at: String,
    pub actor: Option<&'a Actor>,
}

impl Audit<'_> {
    /// Appends an audit entry describing a change to `entity` row `entity_id`.
    pub fn record<T: Serialize>(
        &self,
        conn: &Connection,
        entity: &str,
        entity_id: i64,
        action: &str,
        before: Option<&T>,
        after: Option<&T>,
    ) -> Result<(), AppError> {
        let json = |v: Option<&T>| {
            v.map(serde_json::to_string)
                .transpose()
                .map_err(|e| AppError::Internal(format!("could not encode audit entry: {e}")))
        };
        audit::append(
            conn,
            audit::NewAuditEntry {
                at: &self.at,
                actor_user_id: self.actor.map(Actor::user_id),
                entity,
                entity_id,
                action,
                before: json(before)?,
                after: json(after)?,
            },
        )?;
        Ok(())
    }
}

impl Kassa {
    /// Reads typed numbers in `locale` from now on, whatever the installation's language
    /// (the CLI's `--locale`).
    pub fn use_number_locale(&self, locale: NumberLocale) {
        *self.number_locale.lock().unwrap_or_else(|p| p.into_inner()) = Some(locale);
    }

    /// The notation typed numbers are read in: the one chosen with
    /// [`Kassa::use_number_locale`], else the installation's UI language.
    pub fn number_locale(&self) -> Result<NumberLocale, AppError> {
        self.read(|conn| self.number_locale_in(conn))
    }

    pub(crate) fn number_locale_in(&self, conn: &Connection) -> Result<NumberLocale, AppError> {
        if let Some(chosen) = *self.number_locale.lock().unwrap_or_else(|p| p.into_inner()) {
            return Ok(chosen);
        }
        Ok(installation::language(conn)?.into())
    }

    pub(crate) fn audit<'a>(&self, actor: Option<&'a Actor>) -> Audit<'a> {
        Audit {
            at: timestamp(self.now()),
            actor,
        }
    }
}
