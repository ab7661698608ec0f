//! What the signed-in user may do, as the UI needs to know it, and the till's idle lock.
//!
//! The UI shows or hides what a role may not do from [`Permissions`], computed here from
//! the user's current role, so that no role rule is copied into the front end. The use
//! cases still check the role themselves; `tests/permissions.rs` calls each one for every
//! role and fails when a permission here disagrees with what the use case allows.

use serde::Serialize;

use kassa_core::org::Role;
use kassa_store::settings;

use crate::{Actor, AppError, Kassa};

/// What the signed-in user may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct Permissions {
    /// Ring up sales, take payments, refund and void (with a manager's PIN where a step
    /// asks for one), open and close shifts, move cash.
    pub sell: bool,
    /// Print the one copy of a receipt.
    pub print_copies: bool,
    /// Add and edit products and import the catalog.
    pub manage_catalog: bool,
    /// Add and edit brands, stores and POS devices.
    pub manage_organisation: bool,
    /// Choose which POS device this installation is.
    pub bind_installation: bool,
    /// Add users, change roles, reset PINs, disable users.
    pub manage_users: bool,
    /// Read the audit trail.
    pub read_audit: bool,
    /// Change installation settings such as the idle lock.
    pub change_settings: bool,
    /// Enter provider accounts (credentials included), test their connections, and
    /// register POS devices with DropPay.
    pub manage_providers: bool,
}

impl Permissions {
    pub fn for_role(role: Role) -> Permissions {
        let manager = role == Role::Manager;
        let seller = matches!(role, Role::Manager | Role::Cashier);
        Permissions {
            sell: seller,
            print_copies: seller,
            manage_catalog: manager,
            manage_organisation: manager,
            bind_installation: manager,
            manage_users: manager,
            read_audit: matches!(role, Role::Manager | Role::Accountant),
            change_settings: manager,
            manage_providers: manager,
        }
    }
}

/// Minutes without a key or pointer event after which the till locks, unless a manager set another.
pub const DEFAULT_IDLE_LOCK_MINUTES: u32 = 5;
/// The longest idle time a manager may set: a till left open longer than this is not locked.
pub const MAX_IDLE_LOCK_MINUTES: u32 = 120;

impl Kassa {
    /// The signed-in user's permissions, from their role as the database holds it now.
    pub fn permissions(&self, actor: &Actor) -> Result<Permissions, AppError> {
        let session = self.session(actor)?;
        Ok(Permissions::for_role(session.role))
    }

    /// How long the till may sit idle before it locks.
    pub fn idle_lock_minutes(&self, actor: &Actor) -> Result<u32, AppError> {
        self.read(|conn| {
            self.authorize(conn, actor, Role::ALL, "see the idle lock")?;
            stored_idle_minutes(conn)
        })
    }

    /// Sets the idle lock (a manager's setting), between 1 and [`MAX_IDLE_LOCK_MINUTES`].
    pub fn set_idle_lock_minutes(&self, actor: &Actor, minutes: u32) -> Result<u32, AppError> {
        let audit = self.audit(Some(actor));
        self.write(|tx| {
            self.authorize(tx, actor, &[Role::Manager], "change the idle lock")?;
            if !(1..=MAX_IDLE_LOCK_MINUTES).contains(&minutes) {
                return Err(AppError::validation(
                    "minutes",
                    format!(
                        "the idle lock must be between 1 and {MAX_IDLE_LOCK_MINUTES} minutes (got {minutes})"
                    ),
                ));
            }
            let before = stored_idle_minutes(tx)?;
            if before != minutes {
                settings::set(tx, settings::IDLE_LOCK_MINUTES, &minutes.to_string())?;
                audit.record(
                    tx,
                    "setting",
                    0,
                    "idle_lock_minutes",
                    Some(&before),
                    Some(&minutes),
                )?;
            }
            Ok(minutes)
        })
    }
}

fn stored_idle_minutes(conn: &kassa_store::Connection) -> Result<u32, AppError> {
    Ok(settings::get(conn, settings::IDLE_LOCK_MINUTES)?
        .and_then(|v| v.parse().ok())
        .filter(|m| (1..=MAX_IDLE_LOCK_MINUTES).contains(m))
        .unwrap_or(DEFAULT_IDLE_LOCK_MINUTES))
}
