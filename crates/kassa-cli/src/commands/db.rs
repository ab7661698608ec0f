//! `kassa audit`, `kassa db check`, `kassa backup`, `kassa restore`.

use std::path::Path;

use kassa_app::{AppError, StoreError};
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

pub fn restore(ctx: &Context, from: &Path) -> Result<(), AppError> {
    let (kassa, actor) = ctx.open_as_user()?;
    kassa.restore(&actor, from)?;
    let result = FileOut {
        db_path: kassa.db_path().display().to_string(),
        file: from.display().to_string(),
    };
    output::record(
        ctx.json,
        &result,
        format!("Restored {} from {}.", result.db_path, result.file),
    )
}
