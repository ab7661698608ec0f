//! `kassa journal verify`.

use kassa_app::{AppError, StoreError};

use crate::cli::JournalCommand;
use crate::context::Context;
use crate::output;

pub fn run(ctx: &Context, command: JournalCommand) -> Result<(), AppError> {
    let (kassa, actor) = ctx.open_as_user()?;
    match command {
        JournalCommand::Verify { head } => {
            let report = kassa.verify_journal_with_head(&actor, head.as_deref())?;
            if ctx.json {
                output::json(&report)?;
            }
            match &report.problem {
                None if report.ok => {
                    if !ctx.json {
                        output::line(format!(
                            "journal OK: {} records, head {}, {} anchors checked, every fiscal row recorded (anchor {})",
                            report.length, report.head, report.anchors_checked, report.anchor
                        ))?;
                    }
                    Ok(())
                }
                problem => Err(StoreError::BadRow(format!(
                    "the journal failed verification ({} records, {} anchors): {}",
                    report.length,
                    report.anchors_checked,
                    problem.as_deref().unwrap_or("no details")
                ))
                .into()),
            }
        }
    }
}
