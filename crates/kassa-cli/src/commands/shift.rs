//! `kassa shift open|x-report|cash-in|cash-out|no-sale|close|z-reports`.

use kassa_app::{AppError, CashMovementKind, ShiftReport, ShiftView};

use crate::cli::ShiftCommand;
use crate::context::Context;
use crate::output::{self, Table, opt};

use super::report;

pub fn run(ctx: &Context, command: ShiftCommand) -> Result<(), AppError> {
    let (kassa, actor) = ctx.open_as_user()?;
    match command {
        ShiftCommand::Open { float } => {
            let shift = kassa.open_shift(&actor, &float)?;
            output::record(
                ctx.json,
                &shift,
                format!(
                    "Opened shift {} on '{}' with a float of {} {}.",
                    shift.id, shift.pos_name, shift.float, shift.currency
                ),
            )
        }
        ShiftCommand::XReport => print_report(ctx, &kassa.x_report(&actor)?),
        ShiftCommand::CashIn { amount, reason } => {
            let shift = kassa.cash_movement(&actor, CashMovementKind::CashIn, &amount, &reason)?;
            moved(
                ctx,
                &shift,
                format!("Put {amount} {} into the drawer.", shift.currency),
            )
        }
        ShiftCommand::CashOut { amount, reason } => {
            let shift = kassa.cash_movement(&actor, CashMovementKind::CashOut, &amount, &reason)?;
            moved(
                ctx,
                &shift,
                format!("Took {amount} {} out of the drawer.", shift.currency),
            )
        }
        ShiftCommand::NoSale { reason } => {
            let shift = kassa.cash_movement(&actor, CashMovementKind::DrawerOpen, "0", &reason)?;
            moved(ctx, &shift, "Recorded a drawer opening without a sale.".into())
        }
        ShiftCommand::Close { counted } => print_report(ctx, &kassa.close_shift(&actor, &counted)?),
        ShiftCommand::ZReports => {
            let reports = kassa.z_reports(&actor)?;
            if ctx.json {
                return output::json(&reports);
            }
            let mut table = Table::new(&[
                "Z NO",
                "STORE",
                "POS",
                "CLOSED",
                "RECEIPTS",
                "NET",
                "EXPECTED",
                "COUNTED",
                "DIFFERENCE",
                "JOURNAL",
            ]);
            for r in &reports {
                let c = &r.currency;
                table.row(vec![
                    opt(r.z_no),
                    r.store_name.clone(),
                    r.pos_name.clone(),
                    opt(r.closed_at.as_deref()),
                    match (r.first_receipt_no, r.last_receipt_no) {
                        (Some(first), Some(last)) => format!("{first}-{last}"),
                        _ => "-".into(),
                    },
                    format!("{} {c}", r.net_total),
                    format!("{} {c}", r.cash_expected),
                    opt(r.cash_counted.as_deref()),
                    opt(r.cash_difference.as_deref()),
                    r.journal_length.to_string(),
                ]);
            }
            table.print("(no Z reports)")
        }
    }
}

fn moved(ctx: &Context, shift: &ShiftView, text: String) -> Result<(), AppError> {
    output::record(
        ctx.json,
        shift,
        format!("{text} (shift {} on '{}')", shift.id, shift.pos_name),
    )
}

fn print_report(ctx: &Context, report: &ShiftReport) -> Result<(), AppError> {
    if ctx.json {
        return output::json(report);
    }
    output::print(&report::render(report))
}
