//! Backups and restores. A restore replaces the whole database, so it is the one
//! operation that could roll fiscal history back: receipts would be issued again under
//! numbers already handed to customers, and `journal verify` would find nothing wrong.
//!
//! The rule: a backup may replace this database only if it holds all of this database's
//! fiscal history, that is, this database's journal is a prefix of the backup's (the same
//! records, compared by sequence number and hash, with possibly more after them), and the
//! backup's own journal verifies. The only exception is a database that cannot be read at
//! all, which is kept aside, never deleted. Every restore is written to the audit log
//! and as a `restore` journal record of the restored database, naming the backup and what
//! the database held before.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::Serialize;
use serde_json::json;

use kassa_core::journal::printed_anchor;
use kassa_core::org::Role;
use kassa_store::{CheckedBackup, Connection, Db, audit, journal, users};

use crate::{Actor, AppError, Clock, Kassa};

/// What a restore did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct RestoreReport {
    pub db_path: String,
    pub backup: String,
    /// The journal's length before the restore; none when the database was unreadable.
    pub previous_journal_length: Option<i64>,
    /// `SEQ:HEAD` of the restored journal, its `restore` record included.
    pub journal_anchor: String,
    pub journal_length: i64,
    /// Why the database could not be read, when it could not.
    pub unreadable: Option<String>,
    /// Where the unreadable file was kept.
    pub kept_unreadable_at: Option<String>,
}

/// The journal as a restore compares it: (seq, hash) in order.
type Journal = Vec<(i64, String)>;

impl Kassa {
    /// A consistent online copy of the database (managers only).
    pub fn backup(&self, actor: &Actor, out: &Path) -> Result<(), AppError> {
        let mut db = self.db();
        authorize_in(self, &mut db, actor)?;
        Ok(db.backup_to(out)?)
    }

    /// Replaces the whole database with a checked backup (managers only), if the backup
    /// holds all the fiscal history this database holds; see the module documentation.
    /// The role check, the comparison and the restore happen under one lock, so no sale
    /// of this process can slip in between.
    pub fn restore(&self, actor: &Actor, from: &Path) -> Result<RestoreReport, AppError> {
        let at = crate::timestamp(self.now());
        let mut db = self.db();
        authorize_in(self, &mut db, actor)?;
        let backup = Db::check_backup(from)?;
        let backup_journal = trustworthy_journal(&backup)?;
        let (previous, unreadable) = match journal::seq_hashes(db.conn()) {
            Ok(current) => {
                refuse_rollback(&current, &backup_journal, from)?;
                (Some(current), None)
            }
            Err(e) => {
                let e = AppError::from(e);
                if !e.is_unreadable_database() {
                    return Err(e);
                }
                (None, Some(e.to_string()))
            }
        };
        db.restore_checked(&backup)?;
        drop(backup);
        let restored = Restored {
            from,
            backup_length: backup_journal.len() as i64,
            previous: previous
                .as_ref()
                .map(|p| p.last().cloned().unwrap_or((0, String::new()))),
            unreadable,
            kept: None,
        };
        let tx = db.conn_mut().transaction()?;
        let (length, head) = restored.record(&tx, &at, actor)?;
        tx.commit()?;
        tracing::warn!(backup = %from.display(), length, "database restored from a backup");
        Ok(RestoreReport {
            db_path: db.path().display().to_string(),
            backup: from.display().to_string(),
            previous_journal_length: previous.map(|p| p.len() as i64),
            journal_anchor: printed_anchor(length, &head),
            journal_length: length,
            unreadable: restored.unreadable,
            kept_unreadable_at: None,
        })
    }

    /// Restores a database file that cannot be opened at all (not SQLite any more, or
    /// failing SQLite's checks) from a backup. With no readable history to compare, the
    /// user is checked against the backup: a manager of the backup, by name and PIN. The
    /// unreadable file is renamed aside (with its `-wal` and `-shm`), never deleted, and
    /// the restore record says where it went. A database that opens is refused: restore
    /// it through [`Kassa::restore`], which compares fiscal history.
    pub fn restore_unreadable(
        path: &Path,
        from: &Path,
        user: &str,
        pin: &str,
        clock: Arc<dyn Clock>,
    ) -> Result<(Kassa, RestoreReport), AppError> {
        let unreadable = match Db::open(path) {
            Ok(_) => {
                return Err(AppError::Conflict(format!(
                    "{} can be read, so it is restored only after comparing its fiscal history with the \
                     backup's: log in and restore it as usual",
                    path.display()
                )));
            }
            Err(e) => {
                let e = AppError::from(e);
                if !e.is_unreadable_database() {
                    return Err(e);
                }
                e.to_string()
            }
        };
        let backup = Db::check_backup(from)?;
        let backup_journal = trustworthy_journal(&backup)?;
        // The backup's own users decide who may put it in place; signing in to the scratch
        // copy leaves the backup file untouched.
        let candidate = Kassa::open_with_clock(backup.db().path(), clock.clone())?;
        let (actor, session) = candidate.login(user, pin)?;
        if session.role != Role::Manager {
            return Err(AppError::Forbidden(format!(
                "only a manager of the backup can restore it over an unreadable database; '{}' is not one",
                session.name
            )));
        }
        let at = crate::timestamp(clock.now());
        let kept = keep_aside(path, &at)?;
        candidate.db().backup_to(path)?;
        drop(candidate);
        drop(backup);
        let kassa = Kassa::open_with_clock(path, clock)?;
        let restored = Restored {
            from,
            backup_length: backup_journal.len() as i64,
            previous: None,
            unreadable: Some(unreadable),
            kept: Some(kept),
        };
        let (length, head) = kassa.write(|tx| restored.record(tx, &at, &actor))?;
        tracing::warn!(backup = %from.display(), length, "unreadable database replaced by a backup");
        let report = RestoreReport {
            db_path: path.display().to_string(),
            backup: from.display().to_string(),
            previous_journal_length: None,
            journal_anchor: printed_anchor(length, &head),
            journal_length: length,
            unreadable: restored.unreadable,
            kept_unreadable_at: restored.kept.map(|k| k.display().to_string()),
        };
        Ok((kassa, report))
    }
}

/// The role check, on the connection the caller already holds locked.
fn authorize_in(kassa: &Kassa, db: &mut Db, actor: &Actor) -> Result<(), AppError> {
    let tx = db.conn_mut().transaction()?;
    kassa.authorize(&tx, actor, &[Role::Manager], "make backups and restore them")?;
    tx.finish()?;
    Ok(())
}

/// The backup's journal, if it verifies: a backup whose fiscal records are themselves
/// broken is no copy to go back to.
fn trustworthy_journal(backup: &CheckedBackup) -> Result<Journal, AppError> {
    let report = crate::journal::verify(backup.db().conn(), None)?;
    if !report.ok {
        return Err(AppError::RestoreRefused(format!(
            "restore refused: the journal of the backup {} fails verification ({}); nothing was changed. \
             Use another backup",
            backup.from().display(),
            report.problem.unwrap_or_default()
        )));
    }
    Ok(journal::seq_hashes(backup.db().conn())?)
}

/// Refuses unless `current` is a prefix of `backup`: same records, same hashes.
fn refuse_rollback(current: &Journal, backup: &Journal, from: &Path) -> Result<(), AppError> {
    let diverges = current.iter().zip(backup).position(|(c, b)| c != b);
    if let Some(i) = diverges {
        let seq = current[i].0;
        return Err(AppError::RestoreRefused(format!(
            "restore refused: the backup {} is not a copy of this database's fiscal history: the journals differ \
             from record {seq} on (this database has {} records, the backup {}), so restoring it would replace \
             receipts, shifts and Z reports with others; nothing was changed. Restore a backup made from this \
             database",
            from.display(),
            current.len(),
            backup.len()
        )));
    }
    if current.len() > backup.len() {
        let first = backup.len() + 1;
        let last = current.len();
        return Err(AppError::RestoreRefused(format!(
            "restore refused: this database holds fiscal records newer than the backup {} (journal records \
             {first} to {last}; the backup ends at record {}), so restoring it would roll back sales, receipts or \
             shifts and issue their receipt numbers again; nothing was changed. Restore a backup made after \
             record {last}, or keep this database",
            from.display(),
            backup.len()
        )));
    }
    Ok(())
}

/// A restore as the audit log and the journal record it.
struct Restored<'a> {
    from: &'a Path,
    backup_length: i64,
    /// The last journal record before the restore (seq, hash); none when unreadable.
    previous: Option<(i64, String)>,
    unreadable: Option<String>,
    kept: Option<PathBuf>,
}

impl Restored<'_> {
    /// Writes the audit entry and the `restore` journal record; returns the new head.
    fn record(&self, tx: &Connection, at: &str, actor: &Actor) -> Result<(i64, String), AppError> {
        // The actor signed in to the database that was replaced: the same user id in the
        // backup is the same person only if the name matches too.
        let actor_id = users::get(tx, actor.user_id())?
            .filter(|u| u.name == actor.name())
            .map(|u| u.id);
        let details = json!({
            "backup": self.from.display().to_string(),
            "backupJournalLength": self.backup_length,
            "previousJournalLength": self.previous.as_ref().map(|p| p.0),
            "previousJournalHead": self.previous.as_ref().map(|p| p.1.clone()),
            "unreadable": self.unreadable,
            "keptUnreadableAt": self.kept.as_ref().map(|k| k.display().to_string()),
            "byUser": actor.name(),
        });
        audit::append(
            tx,
            audit::NewAuditEntry {
                at,
                actor_user_id: actor_id,
                entity: "database",
                entity_id: 1,
                action: "restore",
                before: None,
                after: Some(details.to_string()),
            },
        )?;
        crate::journal::append(tx, at, "restore", details)
    }
}

/// Renames an unreadable database (and its WAL files) aside; returns the new name.
fn keep_aside(path: &Path, at: &str) -> Result<PathBuf, AppError> {
    let stamp: String = at.chars().filter(char::is_ascii_alphanumeric).collect();
    let kept = PathBuf::from(format!("{}.unreadable-{stamp}", path.display()));
    if kept.exists() {
        return Err(AppError::Conflict(format!(
            "{} already exists; move it away before restoring",
            kept.display()
        )));
    }
    let rename = |from: PathBuf, to: PathBuf| {
        std::fs::rename(&from, &to).map_err(|source| kassa_store::StoreError::Io { path: from, source })
    };
    rename(path.to_owned(), kept.clone())?;
    for suffix in ["-wal", "-shm"] {
        let side = PathBuf::from(format!("{}{suffix}", path.display()));
        if side.exists() {
            rename(side, PathBuf::from(format!("{}{suffix}", kept.display())))?;
        }
    }
    Ok(kept)
}
