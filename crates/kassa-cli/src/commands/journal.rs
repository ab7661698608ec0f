//! `kassa journal verify`.

use kassa_app::{AppError, StoreError};

use crate::cli::JournalCommand;
use crate::context::Context;
use crate::output;

pub fn run(ctx: &Context, command: JournalCommand) -> Result<(), AppError> {
    let (kassa, actor) = ctx.open_as_user()?;
    match command {
        JournalCommand::Verify => {
            let report = kassa.verify_journal(&actor)?;
            if ctx.json {
                output::json(&report)?;
            }
            match &report.problem {
                None if report.ok => {
                    if !ctx.json {
                        output::line(format!(
                            "journal OK: {} records, head {}, {} Z-report anchors",
                            report.length, report.head, report.anchors_checked
                        ))?;
                    }
                    Ok(())
                }
                problem => Err(StoreError::BadRow(format!(
                    "the journal failed verification ({} records, {} Z-report anchors): {}",
                    report.length,
                    report.anchors_checked,
                    problem.as_deref().unwrap_or("no details")
                ))
                .into()),
            }
        }
    }
}
