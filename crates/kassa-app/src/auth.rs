//! PINs and who is asking. A PIN is kept only as an argon2id hash; failed attempts and the
//! lock are persisted in the user row so separate CLI runs share one counter.

use argon2::Argon2;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use chrono::Duration;
use serde::Serialize;

use kassa_core::org::Role;
use kassa_store::{Connection, users};

use crate::clock::{parse_timestamp, timestamp};
use crate::{AppError, Kassa, User, validate};

/// Wrong PINs in a row before a user is locked.
pub const MAX_PIN_ATTEMPTS: u32 = 5;
/// How long a user stays locked after too many wrong PINs.
pub const LOCKOUT_MINUTES: i64 = 5;

/// Somebody who proved who they are with a PIN. Only [`Kassa::login`] makes one, so a
/// caller cannot claim to be a manager; every use case re-reads the user's current role
/// and status from the database before acting.
#[derive(Debug, Clone)]
pub struct Actor {
    user_id: i64,
    name: String,
}

impl Actor {
    pub fn user_id(&self) -> i64 {
        self.user_id
    }

    pub fn name(&self) -> &str {
        &self.name
    }
}

/// Who is logged in, as the UI shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct Session {
    pub user_id: i64,
    pub name: String,
    pub role: Role,
}

pub(crate) fn hash_pin(pin: &str) -> Result<String, AppError> {
    validate::pin(pin)?;
    Argon2::default()
        .hash_password(pin.as_bytes())
        .map(|hash| hash.to_string())
        .map_err(|e| AppError::Internal(format!("could not hash the PIN: {e}")))
}

fn pin_matches(pin: &str, stored_hash: &str) -> bool {
    Argon2::default()
        .verify_password(pin.as_bytes(), stored_hash)
        .is_ok()
}

fn role_article(role: Role) -> &'static str {
    match role {
        Role::Accountant => "an",
        Role::Manager | Role::Cashier => "a",
    }
}

/// The one answer for an unknown name and a wrong PIN, so that the login screen (or an
/// approval) cannot be used to find out which user names exist.
fn wrong_name_or_pin(what: &str) -> AppError {
    AppError::AuthFailed(format!(
        "wrong user name or PIN{what}; after {MAX_PIN_ATTEMPTS} wrong PINs in a row the user is locked \
         for {LOCKOUT_MINUTES} minutes"
    ))
}

/// A PHC hash of a PIN no user has, made with the parameters real PINs are hashed with:
/// an unknown name is checked against it, so it costs the same argon2 work as a wrong PIN.
/// A constant, so the first unknown name in a process does not pay for making it.
const DUMMY_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$cC+P7aVNbNhqBv0swLNtJA$FUWhNdeqPTAGvAVYJ2mzJLwMDmTCWWuMuDJ9J0Yn0uI";

/// Runs the same verification an existing user's PIN gets, and always fails.
fn verify_against_nobody(pin: &str) {
    let _ = pin_matches(pin, DUMMY_HASH);
}

impl Kassa {
    /// Checks a user's PIN. After [`MAX_PIN_ATTEMPTS`] wrong PINs in a row the user is
    /// locked for [`LOCKOUT_MINUTES`]; the count survives restarts and separate processes.
    /// An unknown name, a wrong PIN and a disabled user's wrong PIN get the same answer
    /// after the same work; only the right PIN learns that a user is disabled.
    pub fn login(&self, name: &str, pin: &str) -> Result<(Actor, Session), AppError> {
        let now = self.now();
        self.write(|tx| {
            let Some(user) = users::find_by_name(tx, name.trim())? else {
                verify_against_nobody(pin);
                tracing::warn!("login with an unknown user name");
                return Ok(Err(wrong_name_or_pin("")));
            };
            let locked_until = user.locked_until.as_deref().and_then(parse_timestamp);
            if let Some(until) = locked_until.filter(|until| *until > now) {
                verify_against_nobody(pin);
                let minutes = ((until - now).num_seconds() + 59) / 60;
                return Ok(Err(AppError::Locked(format!(
                    "user '{}' is locked after {MAX_PIN_ATTEMPTS} wrong PINs until {} UTC (about {minutes} min); \
                     try again then, or ask a manager to reset the PIN",
                    user.name,
                    until.format("%H:%M:%S")
                ))));
            }
            // An expired lock starts a fresh count.
            let failed_before = if locked_until.is_some() { 0 } else { user.failed_pin_attempts };
            if pin_matches(pin, &users::pin_hash(tx, user.id)?) {
                if !user.active {
                    return Ok(Err(AppError::AuthFailed(format!(
                        "user '{}' is disabled; ask a manager to enable it",
                        user.name
                    ))));
                }
                if user.failed_pin_attempts != 0 || user.locked_until.is_some() {
                    users::set_pin_attempts(tx, user.id, 0, None)?;
                }
                tracing::info!(user = %user.name, "logged in");
                return Ok(Ok((
                    Actor { user_id: user.id, name: user.name.clone() },
                    Session { user_id: user.id, name: user.name, role: user.role },
                )));
            }
            let failed = failed_before + 1;
            tracing::warn!(user = %user.name, failed, "wrong PIN");
            if failed >= MAX_PIN_ATTEMPTS {
                let until = now + Duration::minutes(LOCKOUT_MINUTES);
                users::set_pin_attempts(tx, user.id, failed, Some(&timestamp(until)))?;
                // Committed even though the login fails: the lock must hold.
                return Ok(Err(AppError::Locked(format!(
                    "wrong PIN; user '{}' is now locked for {LOCKOUT_MINUTES} minutes, until {} UTC",
                    user.name,
                    until.format("%H:%M:%S")
                ))));
            }
            users::set_pin_attempts(tx, user.id, failed, None)?;
            Ok(Err(wrong_name_or_pin("")))
        })
        .and_then(|outcome| outcome)
    }

    /// The user behind `actor`, if they are still active and hold one of `roles`.
    /// `what` completes "only ... can ..." in the refusal.
    pub(crate) fn authorize(
        &self,
        conn: &Connection,
        actor: &Actor,
        roles: &[Role],
        what: &str,
    ) -> Result<User, AppError> {
        let user = users::get(conn, actor.user_id)?
            .filter(|u| u.active)
            .ok_or_else(|| {
                AppError::Unauthenticated(format!("user '{}' is no longer active; log in again", actor.name))
            })?;
        if !roles.contains(&user.role) {
            let allowed: Vec<String> = roles
                .iter()
                .map(|r| format!("{} {r}", role_article(*r)))
                .collect();
            return Err(AppError::Forbidden(format!(
                "only {} can {what}; '{}' is {} {}",
                allowed.join(" or "),
                user.name,
                role_article(user.role),
                user.role
            )));
        }
        Ok(user)
    }

    /// Checks a manager's name and PIN for a step that needs approval at the till (price
    /// override, discount over the limit, refund, post-void, a lost card outcome). Wrong
    /// PINs typed as approvals are counted apart from logins and lock only approvals by
    /// that user: a cashier guessing at the manager's PIN cannot lock the manager out of
    /// logging in. Returns the approving manager's user id. Call outside any open
    /// transaction.
    pub(crate) fn approve(
        &self,
        approval: &crate::sales::ManagerApproval,
        what: &str,
    ) -> Result<i64, AppError> {
        let now = self.now();
        let pin = approval.pin.as_str();
        self.write(|tx| {
            let Some(user) = users::find_by_name(tx, approval.name.trim())? else {
                verify_against_nobody(pin);
                return Ok(Err(wrong_name_or_pin(" for the approval")));
            };
            let (failed_before, locked) = users::approval_attempts(tx, user.id)?;
            let locked_until = locked.as_deref().and_then(parse_timestamp);
            if let Some(until) = locked_until.filter(|until| *until > now) {
                verify_against_nobody(pin);
                return Ok(Err(AppError::Locked(format!(
                    "approvals by '{}' are locked after {MAX_PIN_ATTEMPTS} wrong PINs until {} UTC; \
                     logging in is not affected",
                    user.name,
                    until.format("%H:%M:%S")
                ))));
            }
            let failed_before = if locked_until.is_some() { 0 } else { failed_before };
            if pin_matches(pin, &users::pin_hash(tx, user.id)?) {
                if !user.active {
                    return Ok(Err(AppError::AuthFailed(format!(
                        "user '{}' is disabled and cannot approve",
                        user.name
                    ))));
                }
                if failed_before != 0 || locked.is_some() {
                    users::set_approval_attempts(tx, user.id, 0, None)?;
                }
                if user.role != Role::Manager {
                    return Ok(Err(AppError::Forbidden(format!(
                        "only a manager can {what}; '{}' is {} {}",
                        user.name,
                        role_article(user.role),
                        user.role
                    ))));
                }
                tracing::info!(approver = %user.name, what, "approved");
                return Ok(Ok(user.id));
            }
            let failed = failed_before + 1;
            tracing::warn!(approver = %user.name, failed, "wrong PIN for an approval");
            if failed >= MAX_PIN_ATTEMPTS {
                let until = now + Duration::minutes(LOCKOUT_MINUTES);
                users::set_approval_attempts(tx, user.id, failed, Some(&timestamp(until)))?;
                return Ok(Err(AppError::Locked(format!(
                    "wrong PIN; approvals by '{}' are now locked for {LOCKOUT_MINUTES} minutes, until {} UTC \
                     (logging in is not affected)",
                    user.name,
                    until.format("%H:%M:%S")
                ))));
            }
            users::set_approval_attempts(tx, user.id, failed, None)?;
            Ok(Err(wrong_name_or_pin(" for the approval")))
        })
        .and_then(|outcome| outcome)
    }

    /// The current session of an actor, re-read from the database.
    pub fn session(&self, actor: &Actor) -> Result<Session, AppError> {
        self.read(|conn| {
            let user = self.authorize(conn, actor, Role::ALL, "use Kassa")?;
            Ok(Session {
                user_id: user.id,
                name: user.name,
                role: user.role,
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// If argon2's defaults change, real hashes and the dummy would cost different work.
    #[test]
    fn the_dummy_hash_has_the_parameters_of_real_pin_hashes() {
        let params = |hash: &str| hash.rsplitn(3, '$').nth(2).unwrap().to_owned();
        assert_eq!(params(DUMMY_HASH), params(&hash_pin("918273645").unwrap()));
        assert_eq!(params(DUMMY_HASH), "$argon2id$v=19$m=19456,t=2,p=1");
        assert!(!pin_matches("1234", DUMMY_HASH));
    }
}
