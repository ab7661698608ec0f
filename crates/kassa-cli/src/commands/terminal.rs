//! `kassa terminal`: a technician's direct line to a ZVT terminal, without a database.
//! Every operation opens the line, registers, runs one command and prints what the
//! terminal reported.

use kassa_app::AppError;
use kassa_app::TerminalSettings;
use kassa_app::card_terminal::{TerminalClient, TerminalReport, TerminalTimings};
use kassa_core::Money;
use kassa_hw::zvt::commands::{self, Password};
use kassa_hw::zvt::{CommandKind, Progress, texts};

use crate::cli::{TerminalArgs, TerminalOperation};
use crate::context::Context;
use crate::output;

pub fn run(ctx: &Context, args: &TerminalArgs) -> Result<(), AppError> {
    let settings = match (&args.port, &args.tcp) {
        (_, Some(address)) => TerminalSettings::tcp(address.clone()),
        (Some(port), None) => TerminalSettings {
            data_bits: args.data_bits,
            parity: args.parity,
            stop_bits: args.stop_bits,
            flow_control: args.flow_control,
            ..TerminalSettings::serial(port.clone(), args.baud)
        },
        (None, None) => {
            return Err(AppError::validation(
                "port",
                "name the terminal: --port /dev/ttyUSB0 (serial) or --tcp HOST:PORT (LAN)",
            ));
        }
    };
    let settings = TerminalSettings {
        charset: args.charset,
        ..settings
    };
    let password = match &args.password {
        Some(text) => Password::parse(text).map_err(|e| AppError::validation("password", e.to_string()))?,
        None => Password::default(),
    };
    let mut client = TerminalClient::connect(&settings, password, args.currency, TerminalTimings::default())?;
    let amount = |text: &str| -> Result<u64, AppError> {
        let value: kassa_core::Decimal = text
            .trim()
            .parse()
            .map_err(|_| AppError::validation("amount", format!("{text:?} is not an amount like 12.50")))?;
        let money = Money::new(value, args.currency);
        let minor = money.to_minor()?;
        u64::try_from(minor).ok().filter(|m| *m > 0).ok_or_else(|| {
            AppError::validation("amount", format!("the amount must be above zero, not {text}"))
        })
    };
    let bad = |e: kassa_hw::zvt::bmp::BmpError| AppError::validation("amount", e.to_string());
    let (name, command, kind) = match &args.operation {
        TerminalOperation::Status => (
            "status",
            commands::status_enquiry(password),
            CommandKind::Transaction,
        ),
        TerminalOperation::Pay { amount: a } => (
            "payment",
            commands::authorization(amount(a)?, args.currency.numeric()).map_err(bad)?,
            CommandKind::Transaction,
        ),
        TerminalOperation::Refund { amount: a } => (
            "refund",
            commands::refund(password, amount(a)?, args.currency.numeric()).map_err(bad)?,
            CommandKind::Transaction,
        ),
        TerminalOperation::Reverse { receipt } => (
            "reversal",
            commands::reversal(password, *receipt)
                .map_err(|e| AppError::validation("receipt", e.to_string()))?,
            CommandKind::Transaction,
        ),
        TerminalOperation::Last => (
            "last transaction",
            commands::repeat_receipt(password, true),
            CommandKind::Transaction,
        ),
        TerminalOperation::EndOfDay => (
            "end of day",
            commands::end_of_day(password),
            CommandKind::Transaction,
        ),
        TerminalOperation::LogOff => ("log off", commands::log_off(), CommandKind::EndsAtAcceptance),
    };
    let exchange = client.run(&command, kind, &|| false, &mut |progress| {
        if let Progress::Status(code) = progress {
            eprintln!("terminal: {}", texts::status_text(code));
        }
    });
    let report = TerminalReport::of(&client, name, &exchange);
    output::record(ctx.json, &report, text(&report))?;
    if report.ok {
        Ok(())
    } else {
        Err(AppError::coded(
            kassa_app::ErrorCode::TerminalFailed,
            None,
            format!("the terminal's {name}: {}", report.message),
        ))
    }
}

fn text(report: &TerminalReport) -> String {
    let mut lines = vec![format!(
        "{}: {} ({})",
        report.operation, report.message, report.connection
    )];
    let mut field = |label: &str, value: Option<String>| {
        if let Some(value) = value {
            lines.push(format!("  {label:<12} {value}"));
        }
    };
    field("result code", report.result_code.map(|c| format!("{c:02X}")));
    field("terminal id", report.terminal_id.clone());
    field("trace", report.trace.map(|t| format!("{t:06}")));
    field("receipt", report.receipt.map(|r| format!("{r:04}")));
    field("amount", report.amount_minor.map(|a| a.to_string()));
    field("card", report.card.clone());
    for line in &report.receipt_lines {
        lines.push(format!("  | {line}"));
    }
    for warning in &report.warnings {
        lines.push(format!("  warning: {warning}"));
    }
    lines.join("\n")
}
