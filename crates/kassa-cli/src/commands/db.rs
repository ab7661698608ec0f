//! `kassa audit`, `kassa db check`, `kassa backup`, `kassa restore`.

use std::path::Path;

use std::sync::Arc;

use kassa_app::{AppError, Kassa, StoreError, SystemClock};
use serde::Serialize;

use crate::context::Context;
use crate::output::{self, Table, opt};

pub fn audit(ctx: &Context, entity: Option<&str>, id: Option<i64>, limit: u32) -> Result<(), AppError> {
    let (kassa, actor) = ctx.open_as_user()?;
    let entries = kassa.audit_trail(&actor, entity, id, limit)?;
    if ctx.json {
        return output::json(&entries);
    }
    let mut table = Table::new(&["ID", "AT", "BY", "ENTITY", "ENTITY ID", "ACTION"]);
    for e in &entries {
        table.row(vec![
            e.id.to_string(),
            e.at.clone(),
            opt(e.actor_name.as_deref()),
            e.entity.clone(),
            e.entity_id.to_string(),
            e.action.clone(),
        ]);
    }
    table.print("(no audit entries)")
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct CheckOut<'a> {
    db_path: String,
    ok: bool,
    problems: &'a [String],
}

/// Managers only: the check reads the whole file and reports on its structure.
pub fn check(ctx: &Context) -> Result<(), AppError> {
    let (kassa, actor) = ctx.open_as_user()?;
    let path = kassa.db_path();
    let problems = kassa.integrity_problems(&actor)?;
    if ctx.json {
        output::json(&CheckOut {
            db_path: path.display().to_string(),
            ok: problems.is_empty(),
            problems: &problems,
        })?;
    } else if problems.is_empty() {
        output::line(format!("{}: ok (integrity and foreign keys)", path.display()))?;
    } else {
        for problem in &problems {
            output::line(problem)?;
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(StoreError::Corrupt {
            path,
            details: format!("{} problem(s) found", problems.len()),
        }
        .into())
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct FileOut {
    db_path: String,
    file: String,
}

pub fn backup(ctx: &Context, out: &Path) -> Result<(), AppError> {
    let (kassa, actor) = ctx.open_as_user()?;
    kassa.backup(&actor, out)?;
    let result = FileOut {
        db_path: kassa.db_path().display().to_string(),
        file: out.display().to_string(),
    };
    output::record(
        ctx.json,
        &result,
        format!("Backed up {} to {}.", result.db_path, result.file),
    )
}

/// A database that opens is restored only if the backup holds all its fiscal history;
/// one that cannot be read at all is kept aside and replaced, the user being checked
/// against the backup's users.
pub fn restore(ctx: &Context, from: &Path) -> Result<(), AppError> {
    let path = ctx.db_path()?;
    let report = match Kassa::open(&path) {
        Ok(kassa) => {
            let (user, pin) = ctx.credentials()?;
            let (actor, _) = kassa.login(&user, &pin)?;
            kassa.restore(&actor, from)?
        }
        Err(e) if e.is_unreadable_database() => {
            let (user, pin) = ctx.credentials()?;
            Kassa::restore_unreadable(&path, from, &user, &pin, Arc::new(SystemClock))?.1
        }
        Err(e) => return Err(e),
    };
    let mut text = format!(
        "Restored {} from {}; journal now {} records (anchor {}).",
        report.db_path, report.backup, report.journal_length, report.journal_anchor
    );
    if let Some(kept) = &report.kept_unreadable_at {
        text.push_str(&format!(" The unreadable database was kept as {kept}."));
    }
    output::record(ctx.json, &report, text)
}
