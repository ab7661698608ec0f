//! Users and roles. The last active manager is protected: without one, nobody could
//! manage the installation again.

use serde::Deserialize;

use kassa_core::org::Role;
use kassa_store::{Connection, users};

use crate::auth::hash_pin;
use crate::{Actor, AppError, Audit, Kassa, User, validate};

/// What a manager enters to add a user.
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct UserInput {
    pub name: String,
    pub role: Role,
    pub pin: String,
}

const MANAGE: &[Role] = &[Role::Manager];

fn existing_user(conn: &Connection, id: i64) -> Result<User, AppError> {
    users::get(conn, id)?.ok_or_else(|| AppError::NotFound(format!("there is no user with id {id}")))
}

fn refuse_losing_last_manager(conn: &Connection, user: &User, change: &str) -> Result<(), AppError> {
    if user.role == Role::Manager && user.active && users::count_active_managers(conn)? <= 1 {
        return Err(AppError::Conflict(format!(
            "'{}' is the last active manager and cannot be {change}; make another user a manager first",
            user.name
        )));
    }
    Ok(())
}

impl Kassa {
    pub(crate) fn insert_user(
        &self,
        tx: &Connection,
        audit: &Audit<'_>,
        input: &UserInput,
    ) -> Result<User, AppError> {
        let name = validate::name("name", "User name", &input.name)?;
        if let Some(existing) = users::find_by_name(tx, &name)? {
            return Err(AppError::Conflict(format!(
                "a user named '{}' already exists",
                existing.name
            )));
        }
        let hash = hash_pin(&input.pin)?;
        let user = users::insert(tx, &name, input.role, &hash, &audit.at)?;
        audit.record(tx, "user", user.id, "create", None, Some(&user))?;
        Ok(user)
    }

    pub fn list_users(&self, actor: &Actor) -> Result<Vec<User>, AppError> {
        self.read(|conn| {
            self.authorize(conn, actor, MANAGE, "see users")?;
            Ok(users::list(conn)?)
        })
    }

    pub fn create_user(&self, actor: &Actor, input: &UserInput) -> Result<User, AppError> {
        let audit = self.audit(Some(actor));
        self.write(|tx| {
            self.authorize(tx, actor, MANAGE, "add users")?;
            self.insert_user(tx, &audit, input)
        })
    }

    pub fn change_user_role(&self, actor: &Actor, id: i64, role: Role) -> Result<User, AppError> {
        let audit = self.audit(Some(actor));
        self.write(|tx| {
            self.authorize(tx, actor, MANAGE, "change roles")?;
            let before = existing_user(tx, id)?;
            if before.role == role {
                return Ok(before);
            }
            refuse_losing_last_manager(tx, &before, "demoted")?;
            let after = users::set_role(tx, id, role, &audit.at)?;
            audit.record(tx, "user", id, "role", Some(&before), Some(&after))?;
            Ok(after)
        })
    }

    /// Sets a new PIN, which also lifts a lockout.
    pub fn reset_user_pin(&self, actor: &Actor, id: i64, pin: &str) -> Result<User, AppError> {
        let audit = self.audit(Some(actor));
        self.write(|tx| {
            self.authorize(tx, actor, MANAGE, "reset PINs")?;
            let before = existing_user(tx, id)?;
            let after = users::set_pin_hash(tx, id, &hash_pin(pin)?, &audit.at)?;
            audit.record(tx, "user", id, "pin_reset", Some(&before), Some(&after))?;
            Ok(after)
        })
    }

    pub fn set_user_active(&self, actor: &Actor, id: i64, active: bool) -> Result<User, AppError> {
        let audit = self.audit(Some(actor));
        self.write(|tx| {
            self.authorize(tx, actor, MANAGE, "enable or disable users")?;
            let before = existing_user(tx, id)?;
            if before.active == active {
                return Ok(before);
            }
            if !active {
                refuse_losing_last_manager(tx, &before, "disabled")?;
            }
            let after = users::set_active(tx, id, active, &audit.at)?;
            let action = if active { "activate" } else { "deactivate" };
            audit.record(tx, "user", id, action, Some(&before), Some(&after))?;
            Ok(after)
        })
    }
}
