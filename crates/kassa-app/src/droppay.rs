//! Registering POS devices with DropPay (Shop API v1, POS devices): create the till as a
//! DropPay POS device under the brand and store of its DropPay account, read what DropPay
//! holds for it, delete it, and the two ways a manager resolves a create whose answer was
//! lost. Managers only; every change is audited on the `pos_device`.
//!
//! # Where things are kept
//!
//! - The device's current DropPay POS id is its `droppay` row in `pos_external_ids` (the
//!   same column the POS form edits), unique across devices.
//! - Every attempt and how it ended is a row of `droppay_registrations` (migration 0006),
//!   written **before** the create is sent, so a crash, a timeout or a dropped connection
//!   can never leave a device at DropPay that Kassa has no trace of.
//! - The account (base URL, brand, store, Application Key) is the POS device's DropPay
//!   provider account; the user access token is in the secret store, never in SQLite.
//!
//! # A create whose answer was lost
//!
//! DropPay has no endpoint that lists a store's devices and no idempotency key, so when
//! a create was sent and no usable answer came back (timeout, connection closed, a 5xx,
//! an unreadable 2xx: [`kassa_providers::CallError::outcome_unknown`]) nothing can find
//! out whether a device was made, and sending the create again may make a second one.
//! Kassa then keeps the registration **unknown** and refuses every new create
//! ([`ErrorCode::RegistrationUnknown`]) until a manager has looked at the store's devices
//! in DropPay's back office and either
//! - **links** the POS id found there ([`Kassa::link_droppay_pos`], which first reads
//!   that id from DropPay to check it exists in the account's brand and store), or
//! - **confirms that none was created** ([`Kassa::confirm_no_droppay_pos`]); a new create
//!   is allowed after that.
//!
//! An attempt still `sending` whose Kassa process is gone (see `instance.rs`) counts as
//! unknown; one whose process still runs is waiting for its answer and cannot be resolved.
//!
//! # When the access token expires
//!
//! DropPay's document gives no way to refresh a user access token (its Authentication API
//! is only linked), so Kassa does not try. A 401 from DropPay fails the call with
//! [`ErrorCode::ProviderCredentialsRejected`], whose message says that the token is not
//! valid or has expired and that a manager must enter a new one in the POS device's
//! DropPay provider settings; nothing else is changed, and a create refused with 401 is
//! recorded as failed (nothing was made), so it can simply be sent again with the new token.
//!
//! # Deleting
//!
//! DropPay's delete is not physical: the device stays, with status `DELETED`, for its
//! transactions' history. After DropPay confirms, Kassa removes the id from the device's
//! external ids (so it can be registered anew) and keeps it on the registration, marked
//! deleted, so the state still shows which DropPay device it was and what DropPay says
//! about it now. A delete whose answer was lost is safe to repeat: a device DropPay
//! already deleted answers 403, which Kassa checks with a read and accepts.

use std::path::Path;

use kassa_core::org::{Provider, Role};
use kassa_providers::droppay::{Client, DropPayError, Pos, PosStatus};
use kassa_providers::{CallError, SettingsError};
use kassa_store::droppay_registrations::{
    self as registrations, NewRegistration, Registration, RegistrationHow, RegistrationState,
};
use kassa_store::{Connection, pos_devices, users};
use serde::Serialize;

use crate::{Actor, AppError, ErrorCode, Kassa, PosDevice, timestamp};

const MANAGE: &[Role] = &[Role::Manager];
const DROPPAY: Provider = Provider::Droppay;

/// Where a POS device stands with DropPay.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "snake_case")]
pub enum DroppayState {
    /// No DropPay id, and no attempt waiting to be resolved: a create may be sent.
    NotRegistered,
    /// A create is on its way; its answer has not come yet.
    Sending,
    /// A create's answer was lost: check DropPay's back office, then link or confirm none.
    Unknown,
    /// The device has a DropPay POS id.
    Registered,
    /// Its DropPay device was deleted (DropPay keeps it soft-deleted); a new create may be sent.
    Deleted,
}

/// One registration (an attempt to create, or a link) as the manager sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct DroppayAttempt {
    pub id: i64,
    pub state: RegistrationState,
    pub how: RegistrationHow,
    /// The DropPay brand and store the request was for.
    pub brand_id: String,
    pub store_id: String,
    pub droppay_pos_id: Option<String>,
    pub started_at: String,
    pub started_by: String,
    pub updated_at: String,
    /// What happened (the error, or who resolved it and how).
    pub message: Option<String>,
}

/// The POS device as DropPay reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct DroppayRemote {
    pub id: String,
    /// As DropPay spells it: `ENABLED`, `DISABLED`, `DELETED`, or a value it added since.
    pub status: String,
    pub deleted: bool,
    /// The Application Key registered as the device (`device.ref`).
    pub application_key: String,
    /// The Application's name and description as registered with DropPay.
    pub application_name: Option<String>,
    pub application_description: Option<String>,
    pub brand_id: Option<String>,
    pub brand_name: Option<String>,
    pub store_id: Option<String>,
    pub store_name: Option<String>,
    /// When Kassa read this.
    pub read_at: String,
}

/// A POS device's DropPay registration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct DroppayRegistration {
    pub pos_id: i64,
    pub pos_name: String,
    pub state: DroppayState,
    /// The DropPay POS id: the registered one, the deleted one, or one DropPay answered
    /// with that could not be attached; `None` while none is known.
    pub droppay_pos_id: Option<String>,
    /// The newest attempt or link, if there was one.
    pub latest: Option<DroppayAttempt>,
    /// What DropPay reported, when this answer asked it.
    pub remote: Option<DroppayRemote>,
}

fn pos_label(pos: &PosDevice) -> String {
    format!("POS '{}' in '{}'", pos.name, pos.store_name)
}

/// The device, refused when missing or deleted.
fn live_pos(conn: &Connection, pos_id: i64) -> Result<PosDevice, AppError> {
    let pos = pos_devices::get(conn, pos_id)?
        .ok_or_else(|| AppError::NotFound(format!("there is no POS device with id {pos_id}")))?;
    if pos.deleted_at.is_some() {
        return Err(AppError::Conflict(format!(
            "{} was deleted in Kassa; a deleted device cannot be registered with DropPay",
            pos_label(&pos)
        )));
    }
    Ok(pos)
}

fn current_id(pos: &PosDevice) -> Option<String> {
    pos.external_ids
        .iter()
        .find(|id| id.provider == DROPPAY)
        .map(|id| id.external_id.clone())
}

/// DropPay public ids are upper-case letters and digits (`POS12JY6DS8`).
fn clean_droppay_id(text: &str) -> Result<String, AppError> {
    let id = text.trim().to_ascii_uppercase();
    if id.is_empty() || id.len() > 40 || !id.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(AppError::validation(
            "droppayPosId",
            format!(
                "{:?} is not a DropPay POS id: copy it from DropPay's back office (letters and digits, e.g. POS12JY6DS8)",
                text.trim()
            ),
        ));
    }
    Ok(id)
}

fn id_taken(id: &str, owner: &PosDevice) -> AppError {
    AppError::coded(
        ErrorCode::ExternalIdTaken,
        Some("droppayPosId"),
        format!(
            "DropPay POS id {id} is already registered to {} (id {}); nothing was changed. \
             One DropPay device belongs to one till: check the id, or remove it from that POS first",
            pos_label(owner),
            owner.id
        ),
    )
}

/// Whether an open attempt is still waiting in a running Kassa. `db_path` is passed in
/// because [`Kassa::db_path`] takes the connection's lock, which the caller may hold.
fn still_waiting(kassa: &Kassa, db_path: &Path, attempt: &Registration) -> bool {
    attempt.state == RegistrationState::Sending
        && match attempt.owner_instance.as_deref() {
            Some(owner) if owner == kassa.instance_id() => true,
            Some(owner) => crate::instance::is_running(db_path, owner),
            None => false,
        }
}

fn unknown_error(pos: &PosDevice, attempt: &Registration, detail: Option<&str>) -> AppError {
    let what = match detail {
        Some(detail) => format!("its answer was lost ({detail})"),
        None => "its answer never came back".to_owned(),
    };
    AppError::coded(
        ErrorCode::RegistrationUnknown,
        None,
        format!(
            "the DropPay registration of {} sent at {} may or may not have created a device: {what}, \
             and DropPay offers no way to look it up. Kassa will not send a second create, which could make a \
             second device. Check the POS devices of DropPay store {} (brand {}) in DropPay's back office, then \
             either link the POS id you find there (kassa pos droppay link, or \"Link DropPay id\") or confirm \
             that none was created (kassa pos droppay confirm-none, or \"None was created\"); then you can \
             register again",
            pos_label(pos),
            attempt.started_at,
            attempt.store_id,
            attempt.brand_id
        ),
    )
}

/// A DropPay failure as an [`AppError`]: a rejected token says how to replace it.
fn call_error(what: &str, error: &CallError<DropPayError>) -> AppError {
    match error {
        CallError::Api(api) if api.needs_new_token() => AppError::coded(
            ErrorCode::ProviderCredentialsRejected,
            None,
            format!(
                "{what}: {api}. Kassa cannot renew a DropPay user access token (DropPay documents no refresh): \
                 a manager enters a new one in this POS device's DropPay provider settings, then tries again"
            ),
        ),
        _ => AppError::coded(ErrorCode::ProviderFailed, None, format!("{what}: {error}")),
    }
}

fn settings_error(error: SettingsError) -> AppError {
    match error {
        SettingsError::Missing { .. } => AppError::NotFound(error.to_string()),
        _ => AppError::validation("settings", error.to_string()),
    }
}

fn remote(pos: Pos, read_at: &str) -> DroppayRemote {
    DroppayRemote {
        deleted: pos.status == PosStatus::Deleted,
        status: pos.status.as_str().to_owned(),
        id: pos.id,
        application_key: pos.device.reference,
        application_name: pos.device.name,
        application_description: pos.device.description,
        brand_id: pos.brand.as_ref().map(|b| b.id.clone()),
        brand_name: pos.brand.and_then(|b| b.name),
        store_id: pos.store.as_ref().map(|s| s.id.clone()),
        store_name: pos.store.and_then(|s| s.name),
        read_at: read_at.to_owned(),
    }
}

/// The audit entry's snapshot of a registration.
fn snapshot(attempt: &Registration) -> serde_json::Value {
    serde_json::json!({
        "droppayState": attempt.state,
        "droppayPosId": attempt.droppay_pos_id,
        "brandId": attempt.brand_id,
        "storeId": attempt.store_id,
        "message": attempt.message,
    })
}

impl Kassa {
    /// The DropPay client of the POS device's account. `registered_under` (brand, store)
    /// replaces the account's current ones for a device registered before they changed.
    fn droppay_client(
        &self,
        pos_id: i64,
        registered_under: Option<(&str, &str)>,
    ) -> Result<Client, AppError> {
        let mut settings = self.provider_settings(pos_id, DROPPAY)?;
        // The device's id travels as an argument; a stale one in the settings must not matter.
        settings.values.remove("pos_id");
        if let Some((brand, store)) = registered_under {
            settings.values.insert("brand_id".to_owned(), brand.to_owned());
            settings.values.insert("store_id".to_owned(), store.to_owned());
        }
        Client::from_settings(&settings).map_err(settings_error)
    }

    fn attempt_view(
        &self,
        conn: &Connection,
        db_path: &Path,
        attempt: &Registration,
    ) -> Result<DroppayAttempt, AppError> {
        let started_by = users::get(conn, attempt.started_by)?
            .map(|u| u.name)
            .unwrap_or_else(|| format!("user {}", attempt.started_by));
        Ok(DroppayAttempt {
            id: attempt.id,
            // A `sending` row whose process is gone is an answer lost.
            state: if attempt.state == RegistrationState::Sending && !still_waiting(self, db_path, attempt) {
                RegistrationState::Unknown
            } else {
                attempt.state
            },
            how: attempt.how,
            brand_id: attempt.brand_id.clone(),
            store_id: attempt.store_id.clone(),
            droppay_pos_id: attempt.droppay_pos_id.clone(),
            started_at: attempt.started_at.clone(),
            started_by,
            updated_at: attempt.updated_at.clone(),
            message: attempt.message.clone(),
        })
    }

    /// The registration as SQLite holds it, without asking DropPay.
    fn registration_in(
        &self,
        conn: &Connection,
        db_path: &Path,
        pos: &PosDevice,
    ) -> Result<DroppayRegistration, AppError> {
        let open = registrations::open(conn, pos.id)?;
        let latest = match &open {
            Some(open) => Some(open.clone()),
            None => registrations::latest(conn, pos.id)?,
        };
        let current = current_id(pos);
        let (state, droppay_pos_id) = match (&open, &current, &latest) {
            (Some(open), _, _) if still_waiting(self, db_path, open) => (DroppayState::Sending, None),
            (Some(open), _, _) => (DroppayState::Unknown, open.droppay_pos_id.clone()),
            (None, Some(id), _) => (DroppayState::Registered, Some(id.clone())),
            (None, None, Some(last)) if last.state == RegistrationState::Deleted => {
                (DroppayState::Deleted, last.droppay_pos_id.clone())
            }
            (None, None, _) => (DroppayState::NotRegistered, None),
        };
        Ok(DroppayRegistration {
            pos_id: pos.id,
            pos_name: pos.name.clone(),
            state,
            droppay_pos_id,
            latest: latest.map(|a| self.attempt_view(conn, db_path, &a)).transpose()?,
            remote: None,
        })
    }

    /// The brand and store a device's DropPay id was registered under, when Kassa knows.
    fn registered_under(
        conn: &Connection,
        pos_id: i64,
        droppay_pos_id: &str,
    ) -> Result<Option<(String, String)>, AppError> {
        Ok(registrations::list_for_pos(conn, pos_id)?
            .into_iter()
            .find(|r| r.droppay_pos_id.as_deref() == Some(droppay_pos_id))
            .map(|r| (r.brand_id, r.store_id)))
    }

    /// A POS device's DropPay registration as Kassa recorded it (managers only); no call
    /// to DropPay.
    pub fn droppay_registration(&self, actor: &Actor, pos_id: i64) -> Result<DroppayRegistration, AppError> {
        let db_path = self.db_path();
        self.read(|conn| {
            self.authorize(conn, actor, MANAGE, "see DropPay registrations")?;
            let pos = live_pos(conn, pos_id)?;
            self.registration_in(conn, &db_path, &pos)
        })
    }

    /// The registration with what DropPay reports for its id now (managers only). Without
    /// an id (never registered, or a create's answer lost) there is nothing to ask DropPay.
    pub fn droppay_state(&self, actor: &Actor, pos_id: i64) -> Result<DroppayRegistration, AppError> {
        let db_path = self.db_path();
        let (mut view, under) = self.read(|conn| {
            self.authorize(conn, actor, MANAGE, "see DropPay registrations")?;
            let pos = live_pos(conn, pos_id)?;
            let view = self.registration_in(conn, &db_path, &pos)?;
            let under = match &view.droppay_pos_id {
                Some(id) => Self::registered_under(conn, pos_id, id)?,
                None => None,
            };
            Ok((view, under))
        })?;
        let Some(id) = view.droppay_pos_id.clone() else {
            return Ok(view);
        };
        let client = self.droppay_client(pos_id, under.as_ref().map(|(b, s)| (b.as_str(), s.as_str())))?;
        let pos = self
            .block_on(client.get_pos(&id))
            .map_err(|e| call_error(&format!("DropPay could not be asked about POS {id}"), &e))?;
        view.remote = Some(remote(pos, &timestamp(self.now())));
        Ok(view)
    }

    /// **Register with DropPay**: creates the POS device at DropPay under the brand and
    /// store of its DropPay account and keeps the id DropPay gives it (managers only).
    ///
    /// The attempt is recorded before the create is sent. Refused, with nothing sent,
    /// while the device has a DropPay id or an earlier create's outcome is unknown.
    pub fn register_with_droppay(&self, actor: &Actor, pos_id: i64) -> Result<DroppayRegistration, AppError> {
        let db_path = self.db_path();
        // Role and device first: a cashier learns nothing about the account's settings.
        self.read(|conn| {
            self.authorize(conn, actor, MANAGE, "register POS devices with DropPay")?;
            live_pos(conn, pos_id).map(drop)
        })?;
        // Settings and the token are checked before anything is recorded: an attempt
        // that cannot be sent must not block the next one.
        let client = self.droppay_client(pos_id, None)?;
        let settings = self.provider_settings(pos_id, DROPPAY)?;
        let value = |key: &str| {
            settings
                .values
                .get(key)
                .map(|v| v.trim().to_owned())
                .unwrap_or_default()
        };
        let (brand_id, store_id) = (value("brand_id"), value("store_id"));
        let audit = self.audit(Some(actor));
        let (pos, attempt) = self.write(|tx| {
            let user = self.authorize(tx, actor, MANAGE, "register POS devices with DropPay")?;
            let pos = live_pos(tx, pos_id)?;
            if let Some(open) = registrations::open(tx, pos_id)? {
                if still_waiting(self, &db_path, &open) {
                    return Err(AppError::Conflict(format!(
                        "{} is being registered with DropPay right now (sent at {}); wait for DropPay's answer",
                        pos_label(&pos),
                        open.started_at
                    )));
                }
                return Err(unknown_error(&pos, &open, open.message.as_deref()));
            }
            if let Some(id) = current_id(&pos) {
                return Err(AppError::Conflict(format!(
                    "{} is already registered with DropPay as POS {id}; nothing was sent. Delete it at DropPay \
                     first (kassa pos droppay delete, or \"Delete at DropPay\") to register it anew",
                    pos_label(&pos)
                )));
            }
            let attempt = registrations::insert(
                tx,
                &NewRegistration {
                    pos_id,
                    state: RegistrationState::Sending,
                    how: RegistrationHow::Created,
                    brand_id: &brand_id,
                    store_id: &store_id,
                    droppay_pos_id: None,
                    owner_instance: Some(self.instance_id()),
                    at: &audit.at,
                    by: user.id,
                    message: None,
                },
            )?;
            audit.record(
                tx,
                "pos_device",
                pos_id,
                "droppay_register_sent",
                None,
                Some(&snapshot(&attempt)),
            )?;
            Ok((pos, attempt))
        })?;

        let answer = self.block_on(client.create_pos());
        let audit = self.audit(Some(actor));
        let finish = |to: RegistrationState, id: Option<&str>, message: Option<&str>, action: &str| {
            self.write(|tx| {
                if !registrations::transition(
                    tx,
                    attempt.id,
                    RegistrationState::Sending,
                    to,
                    id,
                    message,
                    &audit.at,
                )? {
                    return Err(AppError::Conflict(format!(
                        "the DropPay registration of {} was resolved by someone else while DropPay answered \
                         ({}); check its state",
                        pos_label(&pos),
                        message.or(id).unwrap_or("no detail")
                    )));
                }
                if to == RegistrationState::Registered
                    && let Some(id) = id
                {
                    pos_devices::set_external_id(tx, pos_id, DROPPAY, id)?;
                }
                let after = registrations::get(tx, attempt.id)?
                    .ok_or_else(|| AppError::Internal("a DropPay registration vanished".into()))?;
                audit.record(
                    tx,
                    "pos_device",
                    pos_id,
                    action,
                    Some(&snapshot(&attempt)),
                    Some(&snapshot(&after)),
                )?;
                Ok(())
            })
        };
        match answer {
            Ok(created) => {
                // An id DropPay just made cannot belong to another till, unless someone typed
                // it there: then keep it on the open attempt rather than lose it.
                let owner = self.read(|conn| {
                    Ok(
                        match pos_devices::find_by_external_id(conn, DROPPAY, &created.id)? {
                            Some(owner) if owner != pos_id => pos_devices::get(conn, owner)?,
                            _ => None,
                        },
                    )
                })?;
                if let Some(owner) = owner {
                    let message = format!(
                        "DropPay created POS {} for this till, but {} already holds that id in Kassa",
                        created.id,
                        pos_label(&owner)
                    );
                    finish(
                        RegistrationState::Unknown,
                        Some(&created.id),
                        Some(&message),
                        "droppay_register_unknown",
                    )?;
                    return Err(id_taken(&created.id, &owner));
                }
                finish(
                    RegistrationState::Registered,
                    Some(&created.id),
                    None,
                    "droppay_registered",
                )?;
                let mut view = self.read(|conn| {
                    let pos = live_pos(conn, pos_id)?;
                    self.registration_in(conn, &db_path, &pos)
                })?;
                view.remote = Some(remote(created, &audit.at));
                Ok(view)
            }
            Err(error) if error.outcome_unknown() => {
                let detail = error.to_string();
                finish(
                    RegistrationState::Unknown,
                    None,
                    Some(&detail),
                    "droppay_register_unknown",
                )?;
                Err(unknown_error(&pos, &attempt, Some(&detail)))
            }
            Err(error) => {
                let failure = call_error(
                    &format!(
                        "DropPay did not register {}; nothing was created",
                        pos_label(&pos)
                    ),
                    &error,
                );
                finish(
                    RegistrationState::Failed,
                    None,
                    Some(&failure.to_string()),
                    "droppay_register_failed",
                )?;
                Err(failure)
            }
        }
    }

    /// **Link DropPay id**: gives the device the DropPay POS id a manager found in
    /// DropPay's back office, after an unknown create or for a device registered
    /// elsewhere (managers only). DropPay is asked first: an id it does not have in the
    /// account's brand and store, or has deleted, is refused; so is an id another POS
    /// device holds. Nothing changes on a refusal.
    pub fn link_droppay_pos(
        &self,
        actor: &Actor,
        pos_id: i64,
        droppay_pos_id: &str,
    ) -> Result<DroppayRegistration, AppError> {
        let db_path = self.db_path();
        let id = clean_droppay_id(droppay_pos_id)?;
        let check = |conn: &Connection| -> Result<PosDevice, AppError> {
            self.authorize(conn, actor, MANAGE, "link POS devices to DropPay")?;
            let pos = live_pos(conn, pos_id)?;
            if let Some(owner) = pos_devices::find_by_external_id(conn, DROPPAY, &id)?
                && owner != pos_id
            {
                let owner = pos_devices::get(conn, owner)?
                    .ok_or_else(|| AppError::Internal(format!("POS device {owner} vanished")))?;
                return Err(id_taken(&id, &owner));
            }
            if let Some(current) = current_id(&pos)
                && current != id
            {
                return Err(AppError::Conflict(format!(
                    "{} is registered with DropPay as POS {current}; delete that at DropPay first to link another",
                    pos_label(&pos)
                )));
            }
            if let Some(open) = registrations::open(conn, pos_id)?
                && still_waiting(self, &db_path, &open)
            {
                return Err(AppError::Conflict(format!(
                    "{} is being registered with DropPay right now; wait for DropPay's answer",
                    pos_label(&pos)
                )));
            }
            Ok(pos)
        };
        let (brand_id, store_id) = {
            self.read(|conn| check(conn).map(drop))?;
            let settings = self.provider_settings(pos_id, DROPPAY)?;
            let value = |key: &str| {
                settings
                    .values
                    .get(key)
                    .map(|v| v.trim().to_owned())
                    .unwrap_or_default()
            };
            (value("brand_id"), value("store_id"))
        };
        // The brand and store of an unknown attempt are where the lost create went.
        let open = self.read(|conn| Ok(registrations::open(conn, pos_id)?))?;
        let (brand_id, store_id) = match &open {
            Some(open) => (open.brand_id.clone(), open.store_id.clone()),
            None => (brand_id, store_id),
        };
        let client = self.droppay_client(pos_id, Some((&brand_id, &store_id)))?;
        let found = self.block_on(client.get_pos(&id)).map_err(|e| {
            call_error(
                &format!("Kassa could not confirm DropPay POS {id} in store {store_id}, so did not link it"),
                &e,
            )
        })?;
        if found.status == PosStatus::Deleted {
            return Err(AppError::Conflict(format!(
                "DropPay POS {id} is deleted at DropPay; a deleted device cannot take payments, so it was not linked. \
                 If it was made by a lost create, confirm that none was created instead, then register anew"
            )));
        }
        let audit = self.audit(Some(actor));
        let pos_label_text = self.write(|tx| {
            let user = self.authorize(tx, actor, MANAGE, "link POS devices to DropPay")?;
            let pos = check(tx)?;
            let message = format!("linked by {} to DropPay POS {id}", user.name);
            let (before, after) = match registrations::open(tx, pos_id)? {
                Some(open) => {
                    registrations::link(tx, open.id, open.state, &id, &message, &audit.at)?;
                    (Some(snapshot(&open)), registrations::get(tx, open.id)?)
                }
                None => (
                    None,
                    Some(registrations::insert(
                        tx,
                        &NewRegistration {
                            pos_id,
                            state: RegistrationState::Registered,
                            how: RegistrationHow::Linked,
                            brand_id: &brand_id,
                            store_id: &store_id,
                            droppay_pos_id: Some(&id),
                            owner_instance: None,
                            at: &audit.at,
                            by: user.id,
                            message: Some(&message),
                        },
                    )?),
                ),
            };
            pos_devices::set_external_id(tx, pos_id, DROPPAY, &id)?;
            let after = after.ok_or_else(|| AppError::Internal("a DropPay registration vanished".into()))?;
            audit.record(
                tx,
                "pos_device",
                pos_id,
                "droppay_linked",
                before.as_ref(),
                Some(&snapshot(&after)),
            )?;
            Ok(pos_label(&pos))
        })?;
        tracing::info!("{pos_label_text} linked to DropPay POS {id}");
        let mut view = self.droppay_registration(actor, pos_id)?;
        view.remote = Some(remote(found, &audit.at));
        Ok(view)
    }

    /// **None was created**: a manager checked DropPay's back office after an unknown
    /// create and found no device from it; a new create is allowed again (managers only).
    pub fn confirm_no_droppay_pos(
        &self,
        actor: &Actor,
        pos_id: i64,
    ) -> Result<DroppayRegistration, AppError> {
        let db_path = self.db_path();
        let audit = self.audit(Some(actor));
        self.write(|tx| {
            let user = self.authorize(tx, actor, MANAGE, "resolve DropPay registrations")?;
            let pos = live_pos(tx, pos_id)?;
            let open = registrations::open(tx, pos_id)?.ok_or_else(|| {
                AppError::Conflict(format!(
                    "{} has no DropPay registration whose outcome is unknown; there is nothing to confirm",
                    pos_label(&pos)
                ))
            })?;
            if still_waiting(self, &db_path, &open) {
                return Err(AppError::Conflict(format!(
                    "{} is being registered with DropPay right now; wait for DropPay's answer",
                    pos_label(&pos)
                )));
            }
            let message = format!(
                "{} checked DropPay's back office: no device was created{}",
                user.name,
                open.message
                    .as_deref()
                    .map(|m| format!(" (the create had failed with: {m})"))
                    .unwrap_or_default()
            );
            registrations::transition(
                tx,
                open.id,
                open.state,
                RegistrationState::NoneCreated,
                None,
                Some(&message),
                &audit.at,
            )?;
            let after = registrations::get(tx, open.id)?
                .ok_or_else(|| AppError::Internal("a DropPay registration vanished".into()))?;
            audit.record(
                tx,
                "pos_device",
                pos_id,
                "droppay_none_created",
                Some(&snapshot(&open)),
                Some(&snapshot(&after)),
            )?;
            self.registration_in(tx, &db_path, &pos)
        })
    }

    /// **Delete at DropPay**: soft-deletes the device's DropPay POS and, once DropPay has
    /// confirmed, removes the id from the device (managers only). Returns the registration
    /// with DropPay's own view of the deleted device where DropPay answers the read.
    pub fn delete_droppay_pos(&self, actor: &Actor, pos_id: i64) -> Result<DroppayRegistration, AppError> {
        let (pos, id, under) = self.read(|conn| {
            self.authorize(conn, actor, MANAGE, "delete POS devices at DropPay")?;
            let pos = live_pos(conn, pos_id)?;
            let id = current_id(&pos).ok_or_else(|| {
                AppError::Conflict(format!(
                    "{} has no DropPay POS id, so there is nothing to delete at DropPay",
                    pos_label(&pos)
                ))
            })?;
            let under = Self::registered_under(conn, pos_id, &id)?;
            Ok((pos, id, under))
        })?;
        let client = self.droppay_client(pos_id, under.as_ref().map(|(b, s)| (b.as_str(), s.as_str())))?;
        let what = format!("DropPay did not delete POS {id} of {}", pos_label(&pos));
        let note = match self.block_on(client.delete_pos(&id)) {
            Ok(()) => None,
            // Deleted already (in the back office, or by a delete whose answer was lost):
            // DropPay refuses to change a deleted device. A read tells that from a real refusal.
            Err(CallError::Api(DropPayError::AccessDenied { description })) => {
                match self.block_on(client.get_pos(&id)) {
                    Ok(read) if read.status == PosStatus::Deleted => {
                        Some("DropPay had deleted it already".to_owned())
                    }
                    _ => {
                        return Err(call_error(
                            &what,
                            &CallError::Api(DropPayError::AccessDenied { description }),
                        ));
                    }
                }
            }
            Err(error) if error.outcome_unknown() => {
                return Err(AppError::coded(
                    ErrorCode::ProviderFailed,
                    None,
                    format!(
                        "{what}: {error}. DropPay may have deleted it; Kassa still lists it as registered. \
                         Delete again: a device DropPay already deleted is recognised"
                    ),
                ));
            }
            Err(error) => return Err(call_error(&what, &error)),
        };
        let audit = self.audit(Some(actor));
        self.write(|tx| {
            let user = self.authorize(tx, actor, MANAGE, "delete POS devices at DropPay")?;
            let pos = live_pos(tx, pos_id)?;
            let message = format!(
                "deleted at DropPay by {}{}",
                user.name,
                note.as_deref().map(|n| format!(" ({n})")).unwrap_or_default()
            );
            let row = registrations::list_for_pos(tx, pos_id)?.into_iter().find(|r| {
                r.state == RegistrationState::Registered && r.droppay_pos_id.as_deref() == Some(&id)
            });
            let (before, after) = match row {
                Some(row) => {
                    registrations::transition(
                        tx,
                        row.id,
                        RegistrationState::Registered,
                        RegistrationState::Deleted,
                        None,
                        Some(&message),
                        &audit.at,
                    )?;
                    (Some(snapshot(&row)), registrations::get(tx, row.id)?)
                }
                // An id entered by hand in the POS form has no registration yet.
                None => {
                    let (brand, store) = under.clone().unwrap_or_default();
                    let row = registrations::insert(
                        tx,
                        &NewRegistration {
                            pos_id,
                            state: RegistrationState::Deleted,
                            how: RegistrationHow::Linked,
                            brand_id: &brand,
                            store_id: &store,
                            droppay_pos_id: Some(&id),
                            owner_instance: None,
                            at: &audit.at,
                            by: user.id,
                            message: Some(&message),
                        },
                    )?;
                    (None, Some(row))
                }
            };
            pos_devices::remove_external_id(tx, pos_id, DROPPAY)?;
            let after = after.ok_or_else(|| AppError::Internal("a DropPay registration vanished".into()))?;
            audit.record(
                tx,
                "pos_device",
                pos.id,
                "droppay_deleted",
                before.as_ref(),
                Some(&snapshot(&after)),
            )?;
            Ok(())
        })?;
        let mut view = self.droppay_registration(actor, pos_id)?;
        // DropPay keeps the device; show how it reports it now. The delete itself is done,
        // so a failed read only leaves the remote view out.
        match self.block_on(client.get_pos(&id)) {
            Ok(read) => view.remote = Some(remote(read, &timestamp(self.now()))),
            Err(error) => tracing::warn!("DropPay POS {id} deleted, but reading it back failed: {error}"),
        }
        Ok(view)
    }
}
