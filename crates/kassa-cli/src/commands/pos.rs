//! `kassa pos add|list|edit|enable|disable|delete|bind` and
//! `kassa pos droppay register|state|delete|link|confirm-none`.

use kassa_app::{
    AppError, DroppayRegistration, DroppayState, ExternalId, PosDevice, PosDeviceInput, PosStatus,
    PrinterSettings, TerminalSettings,
};

use crate::cli::{PosAdd, PosCommand, PosDroppayCommand, PosEdit, PosRef, PosSettings};
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
        PosCommand::Droppay(command) => droppay(ctx, &kassa, &actor, command),
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

fn droppay(
    ctx: &Context,
    kassa: &kassa_app::Kassa,
    actor: &kassa_app::Actor,
    command: PosDroppayCommand,
) -> Result<(), AppError> {
    let device = |pos: &PosRef| resolve::pos(kassa, actor, &pos.pos, pos.store.as_deref());
    let (view, done) = match command {
        PosDroppayCommand::Register(pos) => {
            let view = kassa.register_with_droppay(actor, device(&pos)?.id)?;
            (view, "Registered with DropPay.")
        }
        PosDroppayCommand::State(pos) => (kassa.droppay_state(actor, device(&pos)?.id)?, ""),
        PosDroppayCommand::Delete(pos) => {
            let view = kassa.delete_droppay_pos(actor, device(&pos)?.id)?;
            (
                view,
                "Deleted at DropPay; DropPay keeps the device, soft-deleted.",
            )
        }
        PosDroppayCommand::Link { pos, droppay_id } => {
            let view = kassa.link_droppay_pos(actor, device(&pos)?.id, &droppay_id)?;
            (view, "Linked.")
        }
        PosDroppayCommand::ConfirmNone(pos) => {
            let view = kassa.confirm_no_droppay_pos(actor, device(&pos)?.id)?;
            (
                view,
                "Recorded that DropPay has no device from the lost registration.",
            )
        }
    };
    if ctx.json {
        return output::json(&view);
    }
    if !done.is_empty() {
        output::line(done)?;
    }
    output::print(&describe_droppay(&view))
}

/// The registration in a few lines: the state, DropPay's own view, the last attempt, and
/// for an unknown one what to do.
fn describe_droppay(view: &DroppayRegistration) -> String {
    let id = view.droppay_pos_id.as_deref().unwrap_or("-");
    let quoted = format!("'{}'", view.pos_name.replace('\'', r"'\''"));
    let mut text = match view.state {
        DroppayState::NotRegistered => format!(
            "POS '{}' (id {}) is not registered with DropPay (kassa pos droppay register {quoted}).\n",
            view.pos_name, view.pos_id
        ),
        DroppayState::Sending => format!(
            "POS '{}' (id {}) is being registered with DropPay; its answer has not come yet.\n",
            view.pos_name, view.pos_id
        ),
        DroppayState::Unknown => format!(
            "POS '{}' (id {}): the outcome of its DropPay registration is UNKNOWN.\n",
            view.pos_name, view.pos_id
        ),
        DroppayState::Registered => format!(
            "POS '{}' (id {}) is registered with DropPay as {id}.\n",
            view.pos_name, view.pos_id
        ),
        DroppayState::Deleted => format!(
            "POS '{}' (id {}) was registered with DropPay as {id}, which is deleted there.\n",
            view.pos_name, view.pos_id
        ),
    };
    if let Some(remote) = &view.remote {
        text.push_str(&format!(
            "DropPay reports: POS {} status {}{}, application {} ({}), store {} {}, brand {} {} (read {}).\n",
            remote.id,
            remote.status,
            if remote.deleted { " (soft-deleted)" } else { "" },
            output::opt(remote.application_name.as_deref()),
            remote.application_key,
            output::opt(remote.store_id.as_deref()),
            output::opt(remote.store_name.as_deref()),
            output::opt(remote.brand_id.as_deref()),
            output::opt(remote.brand_name.as_deref()),
            remote.read_at
        ));
    }
    if let Some(latest) = &view.latest {
        text.push_str(&format!(
            "Last registration: {} ({}) started {} by {} for store {} of brand {}{}.\n",
            latest.state.as_str(),
            latest.how.as_str(),
            latest.started_at,
            latest.started_by,
            latest.store_id,
            latest.brand_id,
            latest
                .message
                .as_deref()
                .map(|m| format!(": {m}"))
                .unwrap_or_default()
        ));
    }
    if view.state == DroppayState::Unknown {
        text.push_str(&format!(
            "DropPay may or may not have created the device, and has no way to look it up. Check the POS devices \
             of the store in DropPay's back office, then either\n  kassa pos droppay link {quoted} POS_ID_FOUND\n\
             or, if there is none,\n  kassa pos droppay confirm-none {quoted}\n"
        ));
    }
    text
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
    let line_options = s.terminal_data_bits.is_some()
        || s.terminal_parity.is_some()
        || s.terminal_stop_bits.is_some()
        || s.terminal_flow_control.is_some()
        || s.terminal_charset.is_some()
        || s.terminal_prints_receipts.is_some();
    if s.terminal_port.is_none() && s.terminal_baud.is_none() && s.terminal_tcp.is_none() && !line_options {
        return Ok(current.cloned());
    }
    let mut settings = match (s.terminal_tcp.clone(), s.terminal_port.clone(), current) {
        (Some(address), _, current) => TerminalSettings {
            port: String::new(),
            tcp_address: Some(address),
            ..current.cloned().unwrap_or_else(|| TerminalSettings::tcp(""))
        },
        (None, Some(port), current) => TerminalSettings {
            port,
            tcp_address: None,
            baud_rate: s.terminal_baud.or(current.map(|t| t.baud_rate)).ok_or_else(|| {
                AppError::validation("terminal", "a serial card terminal needs --terminal-baud")
            })?,
            ..current
                .cloned()
                .unwrap_or_else(|| TerminalSettings::serial("", 9600))
        },
        (None, None, Some(current)) => current.clone(),
        (None, None, None) => {
            return Err(AppError::validation(
                "terminal",
                "a card terminal needs --terminal-port and --terminal-baud, or --terminal-tcp",
            ));
        }
    };
    if let Some(baud) = s.terminal_baud {
        settings.baud_rate = baud;
    }
    if let Some(bits) = s.terminal_data_bits {
        settings.data_bits = bits;
    }
    if let Some(parity) = s.terminal_parity {
        settings.parity = parity;
    }
    if let Some(bits) = s.terminal_stop_bits {
        settings.stop_bits = bits;
    }
    if let Some(flow) = s.terminal_flow_control {
        settings.flow_control = flow;
    }
    if let Some(charset) = s.terminal_charset {
        settings.charset = charset;
    }
    if let Some(terminal_prints) = s.terminal_prints_receipts {
        settings.till_prints_receipts = !terminal_prints;
    }
    Ok(Some(settings))
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
            d.terminal.as_ref().map_or("-".into(), |t| match &t.tcp_address {
                Some(address) => format!("{} tcp {address}", t.protocol),
                None => format!(
                    "{} {} @{} {}{}{}",
                    t.protocol,
                    t.port,
                    t.baud_rate,
                    t.data_bits,
                    t.parity
                        .as_str()
                        .chars()
                        .next()
                        .unwrap_or('n')
                        .to_ascii_uppercase(),
                    t.stop_bits
                ),
            }),
            d.printer.as_ref().map_or("-".into(), |p| {
                format!("{} @{} {}col", p.port, p.baud_rate, p.columns)
            }),
        ]);
    }
    table
}
