use std::path::{Path, PathBuf};
use std::sync::LazyLock;
use std::time::Duration;

use rusqlite::{Connection, OpenFlags, OptionalExtension, Transaction, TransactionBehavior};
use rusqlite_migration::{M, Migrations};

use crate::StoreError;

/// The migrations in `migrations/` at the repository root, embedded in the binary and
/// applied in order on open. `user_version` counts how many have run.
const MIGRATION_SQL: &[&str] = &[
    include_str!("../../../migrations/0001_foundation.sql"),
    include_str!("../../../migrations/0002_sales.sql"),
    include_str!("../../../migrations/0003_fiscal_guards.sql"),
    include_str!("../../../migrations/0004_permissions.sql"),
    include_str!("../../../migrations/0005_provider_accounts.sql"),
    include_str!("../../../migrations/0006_droppay_registrations.sql"),
    include_str!("../../../migrations/0007_vourity_webhooks.sql"),
    include_str!("../../../migrations/0008_payment_steps.sql"),
    include_str!("../../../migrations/0009_flexiti_ids.sql"),
    include_str!("../../../migrations/0010_loyalty_discounts.sql"),
    include_str!("../../../migrations/0011_terminal_steps.sql"),
];

/// The schema version this build writes and understands.
pub const SCHEMA_VERSION: i64 = MIGRATION_SQL.len() as i64;

static MIGRATIONS: LazyLock<Migrations<'static>> =
    LazyLock::new(|| Migrations::new(MIGRATION_SQL.iter().map(|sql| M::up(sql)).collect()));

/// What a committed write must survive. The connection is at [`Durability::PowerCut`]
/// except inside a [`Db::write`] asked for less, so nothing else can commit weaker.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Durability {
    /// The commit fsyncs the WAL (`synchronous=FULL`): a power cut right after keeps it.
    /// The fsync covers the whole WAL file, so it also makes every earlier commit durable.
    PowerCut,
    /// The commit writes its WAL frames but does not fsync (`synchronous=NORMAL` in WAL
    /// mode): a crash of the process keeps it (the frames are in the OS's page cache), a
    /// power cut or OS crash may lose it until the next [`Durability::PowerCut`] commit.
    ProcessCrash,
}

impl Durability {
    fn pragma(self) -> &'static str {
        match self {
            Durability::PowerCut => "PRAGMA synchronous = FULL",
            Durability::ProcessCrash => "PRAGMA synchronous = NORMAL",
        }
    }
}

/// An open Kassa database.
pub struct Db {
    conn: Connection,
    path: PathBuf,
}

impl std::fmt::Debug for Db {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Db").field("path", &self.path).finish()
    }
}

impl Db {
    /// Creates a new database file and applies every migration. Refuses an existing file:
    /// only `kassa init`, `kassa demo` and the app's first run create databases.
    pub fn create(path: &Path) -> Result<Db, StoreError> {
        if path.exists() {
            return Err(StoreError::AlreadyExists {
                path: path.to_owned(),
            });
        }
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|source| StoreError::Io {
                path: dir.to_owned(),
                source,
            })?;
        }
        let mut conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE
                | OpenFlags::SQLITE_OPEN_CREATE
                | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        configure(&conn)?;
        MIGRATIONS
            .to_latest(&mut conn)
            .map_err(|source| StoreError::Migration {
                path: path.to_owned(),
                source,
            })?;
        Ok(Db {
            conn,
            path: path.to_owned(),
        })
    }

    /// Opens an existing database, migrating it forward if it is older than this build.
    ///
    /// A mistyped path is an error, never a new empty file; so are a file that is not
    /// SQLite, a schema newer than this build, and a file failing `PRAGMA quick_check`.
    pub fn open(path: &Path) -> Result<Db, StoreError> {
        if !path.is_file() {
            return Err(StoreError::Missing {
                path: path.to_owned(),
            });
        }
        // Without SQLITE_OPEN_CREATE a vanished file fails here instead of being recreated.
        let mut conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        let version = read_user_version(&conn, path)?;
        if version > SCHEMA_VERSION {
            return Err(StoreError::TooNew {
                path: path.to_owned(),
                found: version,
                known: SCHEMA_VERSION,
            });
        }
        if version == 0 {
            refuse_foreign_tables(&conn, path)?;
        }
        configure(&conn)?;
        quick_check(&conn, path)?;
        MIGRATIONS
            .to_latest(&mut conn)
            .map_err(|source| StoreError::Migration {
                path: path.to_owned(),
                source,
            })?;
        Ok(Db {
            conn,
            path: path.to_owned(),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn conn(&self) -> &Connection {
        &self.conn
    }

    pub fn conn_mut(&mut self) -> &mut Connection {
        &mut self.conn
    }

    /// Runs `work` in one IMMEDIATE transaction committed with `durability`; all of it is
    /// committed or none of it. The connection is back at [`Durability::PowerCut`]
    /// afterwards, whichever way `work` ended.
    pub fn write<T, E: From<StoreError>>(
        &mut self,
        durability: Durability,
        work: impl FnOnce(&Transaction<'_>) -> Result<T, E>,
    ) -> Result<T, E> {
        if durability == Durability::PowerCut {
            return Self::write_in(&mut self.conn, work);
        }
        set_durability(&self.conn, durability).map_err(StoreError::from)?;
        let result = Self::write_in(&mut self.conn, work);
        let restored = set_durability(&self.conn, Durability::PowerCut).map_err(StoreError::from);
        let value = result?;
        restored?;
        Ok(value)
    }

    fn write_in<T, E: From<StoreError>>(
        conn: &mut Connection,
        work: impl FnOnce(&Transaction<'_>) -> Result<T, E>,
    ) -> Result<T, E> {
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(StoreError::from)?;
        let value = work(&tx)?;
        tx.commit().map_err(StoreError::from)?;
        Ok(value)
    }

    /// Runs SQLite's full `integrity_check` and `foreign_key_check`; an empty list means
    /// the file is sound.
    pub fn integrity_problems(&self) -> Result<Vec<String>, StoreError> {
        let mut problems: Vec<String> = self
            .conn
            .prepare("PRAGMA integrity_check")?
            .query_map([], |row| row.get::<_, String>(0))?
            .collect::<Result<_, _>>()?;
        if problems == ["ok"] {
            problems.clear();
        }
        let mut fk = self.conn.prepare("PRAGMA foreign_key_check")?;
        let fk_problems = fk.query_map([], |row| {
            Ok(format!(
                "row {} of {} points at a missing {} row",
                row.get::<_, Option<i64>>(1)?.unwrap_or_default(),
                row.get::<_, String>(0)?,
                row.get::<_, String>(2)?
            ))
        })?;
        for problem in fk_problems {
            problems.push(problem?);
        }
        Ok(problems)
    }

    /// Writes a consistent copy of the live database to `out` with `VACUUM INTO`, which
    /// reads one snapshot inside SQLite; copying the file could tear a page mid-write.
    pub fn backup_to(&self, out: &Path) -> Result<(), StoreError> {
        if out.exists() {
            return Err(StoreError::AlreadyExists { path: out.to_owned() });
        }
        let target = out.to_str().ok_or_else(|| StoreError::Io {
            path: out.to_owned(),
            source: std::io::Error::new(std::io::ErrorKind::InvalidInput, "backup path is not valid UTF-8"),
        })?;
        self.conn.execute("VACUUM INTO ?1", [target])?;
        Ok(())
    }

    /// Checks that the file at `from` is a sound Kassa database this build understands,
    /// and opens it for reading (and the application's checks) from a private scratch
    /// copy, so that checking never migrates or otherwise touches the file given.
    pub fn check_backup(from: &Path) -> Result<CheckedBackup, StoreError> {
        // Opening the backup through the same door as any database applies every check.
        if !from.is_file() {
            return Err(StoreError::Missing {
                path: from.to_owned(),
            });
        }
        let scratch_dir = ScratchDir::new()?;
        let scratch = scratch_dir.0.join("candidate.sqlite3");
        std::fs::copy(from, &scratch).map_err(|source| StoreError::Io {
            path: from.to_owned(),
            source,
        })?;
        let candidate = Db::open(&scratch).map_err(|e| relabel(e, &scratch, from))?;
        let problems = candidate.integrity_problems()?;
        if !problems.is_empty() {
            return Err(StoreError::Corrupt {
                path: from.to_owned(),
                details: problems.join("; "),
            });
        }
        Ok(CheckedBackup {
            db: candidate,
            _scratch: scratch_dir,
            from: from.to_owned(),
        })
    }

    /// Replaces this database's content with a checked backup. Uses SQLite's online
    /// backup API so the target stays a valid database at every step. Whether the
    /// backup may replace this database (fiscal history) is the application's decision.
    pub fn restore_checked(&mut self, backup: &CheckedBackup) -> Result<(), StoreError> {
        let copy = rusqlite::backup::Backup::new(&backup.db.conn, &mut self.conn)?;
        copy.run_to_completion(256, Duration::from_millis(0), None)?;
        Ok(())
    }

    /// Replaces this database's content with the backup at `from`, after checking that
    /// the backup is a sound Kassa database this build understands.
    pub fn restore_from(&mut self, from: &Path) -> Result<(), StoreError> {
        let backup = Db::check_backup(from)?;
        self.restore_checked(&backup)
    }
}

/// A backup that passed every check of [`Db::open`] and SQLite's integrity check, open
/// on a scratch copy that is removed when this is dropped.
pub struct CheckedBackup {
    // Declared before the scratch directory, so the connection closes before its
    // directory is removed.
    db: Db,
    _scratch: ScratchDir,
    from: PathBuf,
}

impl CheckedBackup {
    /// The backup's content (the scratch copy, migrated to this build's schema).
    pub fn db(&self) -> &Db {
        &self.db
    }

    pub fn db_mut(&mut self) -> &mut Db {
        &mut self.db
    }

    /// The file the backup was read from.
    pub fn from(&self) -> &Path {
        &self.from
    }
}

impl std::fmt::Debug for CheckedBackup {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CheckedBackup").field("from", &self.from).finish()
    }
}

/// A private temporary directory, removed when dropped, whichever way the restore ends.
struct ScratchDir(PathBuf);

impl ScratchDir {
    fn new() -> Result<ScratchDir, StoreError> {
        let base = std::env::temp_dir();
        for attempt in 0..100u32 {
            let dir = base.join(format!("kassa-restore-{}-{attempt}", std::process::id()));
            match std::fs::create_dir(&dir) {
                Ok(()) => return Ok(ScratchDir(dir)),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
                Err(source) => return Err(StoreError::Io { path: dir, source }),
            }
        }
        Err(StoreError::Io {
            path: base,
            source: std::io::Error::new(
                std::io::ErrorKind::AlreadyExists,
                "no free scratch directory name",
            ),
        })
    }
}

impl Drop for ScratchDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Errors about the scratch copy name the file the user gave.
fn relabel(error: StoreError, scratch: &Path, original: &Path) -> StoreError {
    let fix = |p: PathBuf| if p == scratch { original.to_owned() } else { p };
    match error {
        StoreError::NotSqlite { path } => StoreError::NotSqlite { path: fix(path) },
        StoreError::NotKassa { path, tables } => StoreError::NotKassa {
            path: fix(path),
            tables,
        },
        StoreError::TooNew { path, found, known } => StoreError::TooNew {
            path: fix(path),
            found,
            known,
        },
        StoreError::Corrupt { path, details } => StoreError::Corrupt {
            path: fix(path),
            details,
        },
        other => other,
    }
}

fn configure(conn: &Connection) -> Result<(), StoreError> {
    conn.busy_timeout(Duration::from_secs(5))?;
    // Every statement of a sale stays prepared; see `cached.rs`.
    conn.set_prepared_statement_cache_capacity(256);
    // WAL lets the app read while a sale commits; FULL fsyncs the WAL on every commit so
    // a power cut never loses a sale the cashier saw as done.
    conn.pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get::<_, String>(0))?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    Ok(())
}

/// Sets `synchronous` (a pager flag; cheap, and cached as a prepared statement).
fn set_durability(conn: &Connection, durability: Durability) -> rusqlite::Result<()> {
    conn.prepare_cached(durability.pragma())?.execute([])?;
    Ok(())
}

fn read_user_version(conn: &Connection, path: &Path) -> Result<i64, StoreError> {
    match conn.query_row("PRAGMA user_version", [], |row| row.get::<_, i64>(0)) {
        Ok(v) => Ok(v),
        Err(rusqlite::Error::SqliteFailure(e, _)) if e.code == rusqlite::ErrorCode::NotADatabase => {
            Err(StoreError::NotSqlite {
                path: path.to_owned(),
            })
        }
        Err(rusqlite::Error::SqliteFailure(e, detail)) if e.code == rusqlite::ErrorCode::DatabaseCorrupt => {
            Err(StoreError::Corrupt {
                path: path.to_owned(),
                details: detail.unwrap_or_else(|| e.to_string()),
            })
        }
        Err(e) => Err(e.into()),
    }
}

/// A version-0 file with tables of its own belongs to some other program.
fn refuse_foreign_tables(conn: &Connection, path: &Path) -> Result<(), StoreError> {
    let tables: Option<String> = conn
        .query_row(
            "SELECT group_concat(name, ', ') FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
            [],
            |row| row.get(0),
        )
        .optional()?
        .flatten();
    match tables {
        Some(tables) if !tables.is_empty() => Err(StoreError::NotKassa {
            path: path.to_owned(),
            tables,
        }),
        _ => Ok(()),
    }
}

fn quick_check(conn: &Connection, path: &Path) -> Result<(), StoreError> {
    let corrupt = |details: String| StoreError::Corrupt {
        path: path.to_owned(),
        details,
    };
    let result: Result<Vec<String>, rusqlite::Error> = conn
        .prepare("PRAGMA quick_check")
        .and_then(|mut stmt| stmt.query_map([], |row| row.get::<_, String>(0))?.collect());
    match result {
        Ok(lines) if lines == ["ok"] => Ok(()),
        Ok(lines) => Err(corrupt(lines.join("; "))),
        Err(rusqlite::Error::SqliteFailure(e, detail))
            if matches!(
                e.code,
                rusqlite::ErrorCode::DatabaseCorrupt | rusqlite::ErrorCode::NotADatabase
            ) =>
        {
            Err(corrupt(detail.unwrap_or_else(|| e.to_string())))
        }
        Err(e) => Err(e.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A file dropped into `migrations/` but not listed above would silently never run.
    #[test]
    fn every_migration_file_is_embedded_in_order() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../migrations");
        let mut files: Vec<String> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .filter(|name| name.ends_with(".sql"))
            .collect();
        files.sort();
        assert_eq!(files.len(), MIGRATION_SQL.len(), "migrations/ has {files:?}");
        // 0001, 0002, … with no gap: the schema version is the embedded list's position,
        // so the file's number must be that position too.
        let mut last = 0;
        for (name, sql) in files.iter().zip(MIGRATION_SQL) {
            let number: u32 = name
                .get(..4)
                .and_then(|n| n.parse().ok())
                .unwrap_or_else(|| panic!("{name} does not start with a 4-digit number"));
            assert!(
                number == last + 1 && name.as_bytes().get(4) == Some(&b'_'),
                "{name} is out of sequence"
            );
            last = number;
            assert_eq!(
                &std::fs::read_to_string(dir.join(name)).unwrap(),
                sql,
                "{name} differs from the embedded copy"
            );
        }
        MIGRATIONS.validate().unwrap();
    }

    #[test]
    fn a_new_database_uses_wal_full_sync_and_foreign_keys() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::create(&dir.path().join("k.sqlite3")).unwrap();
        let conn = db.conn();
        let get = |pragma: &str| {
            conn.query_row(&format!("PRAGMA {pragma}"), [], |r| {
                r.get::<_, rusqlite::types::Value>(0)
            })
            .unwrap()
        };
        use rusqlite::types::Value;
        assert_eq!(get("journal_mode"), Value::Text("wal".into()));
        assert_eq!(get("synchronous"), Value::Integer(2), "FULL");
        assert_eq!(get("foreign_keys"), Value::Integer(1));
        assert_eq!(
            conn.query_row("PRAGMA user_version", [], |r| r.get::<_, i64>(0))
                .unwrap(),
            SCHEMA_VERSION
        );
        let not_strict: i64 = conn
            .query_row("SELECT count(*) FROM pragma_table_list WHERE schema = 'main' AND name NOT LIKE 'sqlite_%' AND strict = 0", [], |r| r.get(0))
            .unwrap();
        assert_eq!(not_strict, 0, "every table is STRICT");
        let real_money: i64 = conn
            .query_row(
                "SELECT count(*) FROM pragma_table_list t, pragma_table_info(t.name) c \
                 WHERE t.schema = 'main' AND c.type IN ('REAL', 'NUMERIC') AND c.name NOT IN ('latitude', 'longitude')",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(real_money, 0, "no REAL or NUMERIC columns except coordinates");
    }

    fn synchronous(conn: &Connection) -> i64 {
        conn.query_row("PRAGMA synchronous", [], |r| r.get(0)).unwrap()
    }

    /// A cart commit skips the fsync for itself only: whatever it returns, the next writer
    /// (a payment, a fiscal record) commits at FULL again.
    #[test]
    fn a_process_crash_write_is_relaxed_only_for_its_own_commit() {
        let dir = tempfile::tempdir().unwrap();
        let mut db = Db::create(&dir.path().join("k.sqlite3")).unwrap();
        let inside = db
            .write(Durability::ProcessCrash, |tx| {
                Ok::<_, StoreError>(synchronous(tx))
            })
            .unwrap();
        assert_eq!(inside, 1, "NORMAL inside the relaxed write");
        assert_eq!(synchronous(db.conn()), 2, "FULL again after it");
        let failed: Result<(), StoreError> = db.write(Durability::ProcessCrash, |tx| {
            tx.execute_batch("SELECT * FROM no_such_table")?;
            Ok(())
        });
        assert!(failed.is_err());
        assert_eq!(
            synchronous(db.conn()),
            2,
            "FULL again after a failed relaxed write"
        );
        let inside = db
            .write(Durability::PowerCut, |tx| Ok::<_, StoreError>(synchronous(tx)))
            .unwrap();
        assert_eq!(inside, 2, "FULL inside a power-cut write");
    }

    #[test]
    fn create_refuses_an_existing_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("k.sqlite3");
        std::fs::write(&path, b"keep me").unwrap();
        assert!(matches!(Db::create(&path), Err(StoreError::AlreadyExists { .. })));
        assert_eq!(std::fs::read(&path).unwrap(), b"keep me");
    }
}
