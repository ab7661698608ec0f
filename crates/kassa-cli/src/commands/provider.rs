//! `kassa provider list|set|test` and `kassa sandbox`.

use std::io::IsTerminal;

use kassa_app::{Actor, AppError, ErrorCode, Kassa, ProviderAccountInput, ProviderAccountView};
use kassa_sandbox::{BackgroundSandbox, Ports};

use crate::cli::{ProviderCommand, ProviderPos};
use crate::context::Context;
use crate::output::{self, Table};
use crate::resolve;

pub fn run(ctx: &Context, command: ProviderCommand) -> Result<(), AppError> {
    let (kassa, actor) = ctx.open_as_user()?;
    match command {
        ProviderCommand::List(pos) => {
            let pos_id = pos_id(&kassa, &actor, &pos)?;
            let accounts = kassa.provider_accounts(&actor, pos_id)?;
            if ctx.json {
                return output::json(&accounts);
            }
            table(&accounts).print("(no providers)")
        }
        ProviderCommand::Set {
            provider,
            pos,
            base_url,
            secrets,
            values,
        } => {
            let pos_id = pos_id(&kassa, &actor, &pos)?;
            let mut input = ProviderAccountInput {
                base_url,
                ..ProviderAccountInput::default()
            };
            for pair in values {
                let Some((key, value)) = pair.split_once('=') else {
                    return Err(AppError::Validation {
                        field: "values",
                        message: format!("{pair:?} is not KEY=VALUE (for example merchant_id=M123)"),
                    });
                };
                input.values.insert(key.trim().to_owned(), value.to_owned());
            }
            for key in secrets {
                let text = secret_text(&key)?;
                input.secrets.insert(key, text);
            }
            let account = kassa.set_provider_account(&actor, pos_id, provider, input)?;
            let missing: Vec<&str> = account
                .fields
                .iter()
                .filter(|f| !f.is_set)
                .map(|f| f.key.as_str())
                .collect();
            let text = if missing.is_empty() {
                format!(
                    "Saved {} for POS {pos_id}; try it with `kassa provider test {provider}`.",
                    account.name
                )
            } else {
                format!(
                    "Saved {} for POS {pos_id}; still to enter: {}.",
                    account.name,
                    missing.join(", ")
                )
            };
            output::record(ctx.json, &account, text)
        }
        ProviderCommand::Test { provider, pos } => {
            let pos_id = pos_id(&kassa, &actor, &pos)?;
            let test = kassa.test_provider_account(&actor, pos_id, provider)?;
            if !test.ok {
                return Err(AppError::coded(
                    ErrorCode::ProviderFailed,
                    None,
                    format!("{} ({})", test.message, test.code.as_str()),
                ));
            }
            output::record(ctx.json, &test, format!("ok: {}", test.message))
        }
        ProviderCommand::WebhookAddress { address } => {
            let address = match address {
                Some(text) => kassa.set_vourity_webhook_address(&actor, &text)?,
                None => kassa.vourity_webhook_address()?,
            };
            output::record(
                ctx.json,
                &serde_json::json!({ "address": address.to_string() }),
                format!("Vourity webhooks: {address}"),
            )
        }
        ProviderCommand::TerminalStatus { status } => {
            let status = kassa.set_vourity_terminal_status(&actor, &status)?;
            output::record(
                ctx.json,
                &serde_json::json!({ "status": status }),
                format!("the Vourity terminal is {status}"),
            )
        }
    }
}

pub(crate) fn pos_id(kassa: &Kassa, actor: &Actor, pos: &ProviderPos) -> Result<i64, AppError> {
    match &pos.pos {
        Some(key) => Ok(resolve::pos(kassa, actor, key, pos.store.as_deref())?.id),
        None => kassa
            .status(Some(actor))?
            .bound_device
            .map(|device| device.pos_id)
            .ok_or_else(|| AppError::Validation {
                field: "pos",
                message: "this installation is not bound to a POS; name one with --pos".into(),
            }),
    }
}

/// A credential from `KASSA_SECRET_<KEY>`, else typed without echo.
fn secret_text(key: &str) -> Result<String, AppError> {
    let var = format!("KASSA_SECRET_{}", key.to_ascii_uppercase());
    if let Some(text) = std::env::var(&var).ok().filter(|t| !t.is_empty()) {
        return Ok(text);
    }
    if !std::io::stdin().is_terminal() {
        return Err(AppError::Validation {
            field: "secrets",
            message: format!(
                "no value for the credential {key}: set {var} (stdin is not a terminal to ask on)"
            ),
        });
    }
    rpassword::prompt_password(format!("{key}: "))
        .map_err(|e| AppError::Internal(format!("could not read {key} from the terminal: {e}")))
}

fn table(accounts: &[ProviderAccountView]) -> Table {
    let mut table = Table::new(&["PROVIDER", "BASE URL", "FIELDS", "LAST TEST"]);
    for account in accounts {
        let fields: Vec<String> = account
            .fields
            .iter()
            .map(|f| format!("{}{}", f.key, if f.is_set { "" } else { " (not set)" }))
            .collect();
        let test = match (account.test_ok, &account.test_message) {
            (Some(true), _) => "ok".to_owned(),
            (Some(false), Some(message)) => format!("failed: {message}"),
            _ => "-".to_owned(),
        };
        let base = if account.base_url.is_empty() {
            "-".to_owned()
        } else {
            account.base_url.clone()
        };
        table.row(vec![account.provider.to_string(), base, fields.join(", "), test]);
    }
    table
}

/// Runs every emulator until Ctrl-C, after printing where each listens.
pub fn sandbox(ephemeral: bool) -> Result<(), AppError> {
    let ports = if ephemeral { Ports::Ephemeral } else { Ports::Demo };
    let sandbox = BackgroundSandbox::start(ports).map_err(|e| {
        AppError::Conflict(format!(
            "the sandbox could not start: {e} (is another `kassa sandbox` running?)"
        ))
    })?;
    for emulator in sandbox.sandbox().emulators() {
        output::line(format!(
            "{:<14} {}",
            emulator.provider().name(),
            emulator.base_url()
        ))?;
    }
    output::line("Sandbox running; Ctrl-C stops it.")?;
    sandbox
        .wait_for_interrupt()
        .map_err(|e| AppError::Internal(format!("waiting for Ctrl-C failed: {e}")))
}
