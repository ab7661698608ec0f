//! `kassa pos add|list|edit|enable|disable|delete|bind`.

use kassa_app::{
    AppError, ExternalId, PosDevice, PosDeviceInput, PosStatus, PrinterSettings, TerminalProtocol,
    TerminalSettings,
};

use crate::cli::{PosAdd, PosCommand, PosEdit, PosRef, PosSettings};
use crate::context::Context;
use crate::output::{self, Table};
use crate::resolve;

pub fn run(ctx: &Context, command: PosCommand) -> Result<(), AppError> {
    let (kassa, actor) = ctx.open_as_user()?;
    match command {
        PosCommand::Add(PosAdd {
            store,
            name,
            device_type,
            settings,
        }) => {
            let store = resolve::store(&kassa, &actor, &store)?;
            let input = PosDeviceInput {
                store_id: store.id,
                name,
                device_type,
                external_ids: merge_external_ids(Vec::new(), &[], &settings),
                terminal: terminal(None, &settings)?,
                printer: printer(None, &settings)?,
            };
            let pos = kassa.create_pos_device(&actor, &input)?;
            output::record(
                ctx.json,
                &pos,
                format!(
                    "Created POS '{}' (id {}) in '{}'.",
                    pos.name, pos.id, pos.store_name
                ),
            )
        }
        PosCommand::List {
            store,
            include_deleted,
        } => {
            let store_id = match store {
                Some(store) => Some(resolve::store(&kassa, &actor, &store)?.id),
                None => None,
            };
            let devices = kassa.list_pos_devices(&actor, store_id, include_deleted)?;
            if ctx.json {
                return output::json(&devices);
            }
            table(&devices).print("(no POS devices)")
        }
        PosCommand::Edit(PosEdit {
            pos,
            name,
            device_type,
            move_to,
            settings,
            remove_external_id,
            no_terminal,
            no_printer,
        }) => {
            let current = resolve::pos(&kassa, &actor, &pos.pos, pos.store.as_deref())?;
            let store_id = match move_to {
                Some(store) => resolve::store(&kassa, &actor, &store)?.id,
                None => current.store_id,
            };
            let input = PosDeviceInput {
                store_id,
                name: name.unwrap_or_else(|| current.name.clone()),
                device_type: device_type.unwrap_or(current.device_type),
                external_ids: merge_external_ids(
                    current.external_ids.clone(),
                    &remove_external_id,
                    &settings,
                ),
                terminal: if no_terminal {
                    None
                } else {
                    terminal(current.terminal.as_ref(), &settings)?
                },
                printer: if no_printer {
                    None
                } else {
                    printer(current.printer.as_ref(), &settings)?
                },
            };
            let pos = kassa.update_pos_device(&actor, current.id, &input)?;
            output::record(
                ctx.json,
                &pos,
                format!(
                    "Updated POS '{}' (id {}) in '{}'.",
                    pos.name, pos.id, pos.store_name
                ),
            )
        }
        PosCommand::Enable(pos) => set_status(ctx, &kassa, &actor, &pos, PosStatus::Enabled),
        PosCommand::Disable(pos) => set_status(ctx, &kassa, &actor, &pos, PosStatus::Disabled),
        PosCommand::Delete(PosRef { pos, store }) => {
            let device = resolve::pos(&kassa, &actor, &pos, store.as_deref())?;
            let deleted = kassa.delete_pos_device(&actor, device.id)?;
            output::record(
                ctx.json,
                &deleted,
                format!(
                    "Deleted POS '{}' (id {}) in '{}'; it is kept for history.",
                    deleted.name, deleted.id, deleted.store_name
                ),
            )
        }
        PosCommand::Bind(PosRef { pos, store }) => {
            let device = resolve::pos(&kassa, &actor, &pos, store.as_deref())?;
            let status = kassa.bind_installation(&actor, device.id)?;
            output::record(
                ctx.json,
                &status,
                format!(
                    "This installation is now POS '{}' (id {}) in '{}'.",
                    device.name, device.id, device.store_name
                ),
            )
        }
    }
}

fn set_status(
    ctx: &Context,
    kassa: &kassa_app::Kassa,
    actor: &kassa_app::Actor,
    pos: &PosRef,
    status: PosStatus,
) -> Result<(), AppError> {
    let device = resolve::pos(kassa, actor, &pos.pos, pos.store.as_deref())?;
    let device = kassa.set_pos_device_status(actor, device.id, status)?;
    let done = match status {
        PosStatus::Enabled => "enabled",
        PosStatus::Disabled => "disabled",
    };
    output::record(
        ctx.json,
        &device,
        format!(
            "POS '{}' (id {}) in '{}' is {done}.",
            device.name, device.id, device.store_name
        ),
    )
}

/// The device's ids after the command: the current ones, minus those removed or given
/// anew, plus those given. Duplicates given on one command line are passed on as they are,
/// so kassa-app refuses them.
fn merge_external_ids(
    current: Vec<ExternalId>,
    removed: &[kassa_app::Provider],
    settings: &PosSettings,
) -> Vec<ExternalId> {
    let given = settings.external_ids();
    let mut ids: Vec<ExternalId> = current
        .into_iter()
        .filter(|id| !removed.contains(&id.provider) && !given.iter().any(|g| g.provider == id.provider))
        .collect();
    ids.extend(given);
    ids
}

/// The card terminal after the command: the options given over the current settings.
fn terminal(
    current: Option<&TerminalSettings>,
    s: &PosSettings,
) -> Result<Option<TerminalSettings>, AppError> {
    if s.terminal_port.is_none() && s.terminal_baud.is_none() {
        return Ok(current.cloned());
    }
    match (
        s.terminal_port
            .clone()
            .or_else(|| current.map(|t| t.port.clone())),
        s.terminal_baud.or_else(|| current.map(|t| t.baud_rate)),
    ) {
        (Some(port), Some(baud_rate)) => Ok(Some(TerminalSettings {
            port,
            baud_rate,
            protocol: current.map_or(TerminalProtocol::Zvt, |t| t.protocol),
        })),
        _ => Err(AppError::validation(
            "terminal",
            "a card terminal needs both --terminal-port and --terminal-baud",
        )),
    }
}

/// The receipt printer after the command: the options given over the current settings.
fn printer(current: Option<&PrinterSettings>, s: &PosSettings) -> Result<Option<PrinterSettings>, AppError> {
    if s.printer_port.is_none() && s.printer_baud.is_none() && s.printer_columns.is_none() {
        return Ok(current.cloned());
    }
    match (
        s.printer_port.clone().or_else(|| current.map(|p| p.port.clone())),
        s.printer_baud.or_else(|| current.map(|p| p.baud_rate)),
        s.printer_columns.or_else(|| current.map(|p| p.columns)),
    ) {
        (Some(port), Some(baud_rate), Some(columns)) => Ok(Some(PrinterSettings {
            port,
            baud_rate,
            columns,
        })),
        _ => Err(AppError::validation(
            "printer",
            "a receipt printer needs --printer-port, --printer-baud and --printer-columns",
        )),
    }
}

pub fn table(devices: &[PosDevice]) -> Table {
    let mut table = Table::new(&[
        "ID",
        "STORE",
        "POS",
        "TYPE",
        "STATUS",
        "EXTERNAL IDS",
        "TERMINAL",
        "PRINTER",
    ]);
    for d in devices {
        let status = if d.deleted_at.is_some() {
            "DELETED".to_owned()
        } else {
            d.status.to_string()
        };
        let ids: Vec<String> = d
            .external_ids
            .iter()
            .map(|e| format!("{}={}", e.provider, e.external_id))
            .collect();
        table.row(vec![
            d.id.to_string(),
            d.store_name.clone(),
            d.name.clone(),
            d.device_type.to_string(),
            status,
            if ids.is_empty() { "-".into() } else { ids.join(",") },
            d.terminal.as_ref().map_or("-".into(), |t| {
                format!("{} {} @{}", t.protocol, t.port, t.baud_rate)
            }),
            d.printer.as_ref().map_or("-".into(), |p| {
                format!("{} @{} {}col", p.port, p.baud_rate, p.columns)
            }),
        ]);
    }
    table
}
