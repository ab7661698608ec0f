//! `kassa user add|list|role|disable|enable|reset-pin`.

use kassa_app::{Actor, AppError, Kassa, User, UserInput};

use crate::cli::UserCommand;
use crate::context::Context;
use crate::output::{self, Table, opt};
use crate::{pin, resolve};

pub fn run(ctx: &Context, command: UserCommand) -> Result<(), AppError> {
    let (kassa, actor) = ctx.open_as_user()?;
    match command {
        UserCommand::Add { name, role } => {
            let pin = pin::chosen_pin(pin::NEW_PIN_ENV, name.trim())?;
            let user = kassa.create_user(&actor, &UserInput { name, role, pin })?;
            output::record(
                ctx.json,
                &user,
                format!("Created {} '{}' (id {}).", user.role, user.name, user.id),
            )
        }
        UserCommand::List => {
            let users = kassa.list_users(&actor)?;
            if ctx.json {
                return output::json(&users);
            }
            table(&users).print("(no users)")
        }
        UserCommand::Role { name, role } => {
            let user = resolve::user(&kassa, &actor, &name)?;
            let user = kassa.change_user_role(&actor, user.id, role)?;
            output::record(ctx.json, &user, format!("'{}' is now {}.", user.name, user.role))
        }
        UserCommand::Disable { name } => set_active(ctx, &kassa, &actor, &name, false),
        UserCommand::Enable { name } => set_active(ctx, &kassa, &actor, &name, true),
        UserCommand::ResetPin { name } => {
            let user = resolve::user(&kassa, &actor, &name)?;
            let pin = pin::chosen_pin(pin::NEW_PIN_ENV, &user.name)?;
            let user = kassa.reset_user_pin(&actor, user.id, &pin)?;
            output::record(ctx.json, &user, format!("Set a new PIN for '{}'.", user.name))
        }
        UserCommand::SetFlexitiEmployee {
            name,
            employee_id,
            clear: _,
        } => {
            let user = resolve::user(&kassa, &actor, &name)?;
            let set = kassa.set_user_flexiti_employee(&actor, user.id, employee_id.as_deref())?;
            let message = match &set {
                Some(id) => format!("'{}' takes Flexiti payments as employee {id}.", user.name),
                None => format!("'{}' has no Flexiti employee id.", user.name),
            };
            output::record(
                ctx.json,
                &serde_json::json!({ "userId": user.id, "user": user.name, "flexitiEmployeeId": set }),
                message,
            )
        }
    }
}

fn set_active(ctx: &Context, kassa: &Kassa, actor: &Actor, name: &str, active: bool) -> Result<(), AppError> {
    let user = resolve::user(kassa, actor, name)?;
    let user = kassa.set_user_active(actor, user.id, active)?;
    output::record(
        ctx.json,
        &user,
        format!(
            "'{}' is {}.",
            user.name,
            if user.active { "enabled" } else { "disabled" }
        ),
    )
}

fn table(users: &[User]) -> Table {
    let mut table = Table::new(&["ID", "USER", "ROLE", "ACTIVE", "FAILED PINS", "LOCKED UNTIL"]);
    for u in users {
        table.row(vec![
            u.id.to_string(),
            u.name.clone(),
            u.role.to_string(),
            if u.active { "yes" } else { "no" }.into(),
            u.failed_pin_attempts.to_string(),
            opt(u.locked_until.as_deref()),
        ]);
    }
    table
}
