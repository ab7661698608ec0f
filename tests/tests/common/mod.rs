//! Shared by the CLI test binaries: locating (and if needed building) the `kassa` binary,
//! a test's own data directory and database, running `kassa` in it with a clean
//! environment, and checking how a run ended.

use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::OnceLock;

use serde_json::Value;
use tempfile::TempDir;

/// Exit codes documented in `kassa --help`; each test binary checks the ones it needs.
#[allow(dead_code)]
pub mod exit {
    pub const VALIDATION: i32 = 3;
    pub const NOT_FOUND: i32 = 4;
    pub const CONFLICT: i32 = 5;
    pub const FORBIDDEN: i32 = 6;
    pub const AUTH: i32 = 7;
    pub const LOCKED: i32 = 8;
    pub const DATABASE: i32 = 10;
}

/// One test's world: a data directory and the database path passed with `--db` (not
/// created here). Each test binary adds the helpers of its own in an `impl World`.
pub struct World {
    pub dir: TempDir,
    pub db: PathBuf,
}

impl World {
    pub fn new() -> World {
        let dir = tempfile::tempdir().expect("temp dir");
        let db = dir.path().join("kassa.sqlite3");
        World { dir, db }
    }

    /// A path in the data directory.
    #[allow(dead_code)] // not every CLI test binary needs one
    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// `kassa --db <db> <args>` with a clean environment of Kassa variables.
    pub fn kassa(&self, args: &[&str]) -> assert_cmd::Command {
        self.kassa_db(&self.db, args)
    }

    /// Like [`World::kassa`], with another database file.
    pub fn kassa_db(&self, db: &Path, args: &[&str]) -> assert_cmd::Command {
        let mut cmd = assert_cmd::Command::new(kassa_bin());
        for var in [
            "KASSA_PIN",
            "KASSA_NEW_PIN",
            "KASSA_APPROVER_PIN",
            "KASSA_USER",
            "KASSA_DB",
            "RUST_LOG",
        ] {
            cmd.env_remove(var);
        }
        cmd.env("KASSA_DATA_DIR", self.dir.path())
            .arg("--db")
            .arg(db)
            .args(args)
            .write_stdin("");
        cmd
    }

    /// Acting as `user` with `pin` given through KASSA_PIN.
    pub fn as_user(&self, user: &str, pin: &str, args: &[&str]) -> assert_cmd::Command {
        let mut cmd = self.kassa(args);
        cmd.env("KASSA_USER", user).env("KASSA_PIN", pin);
        cmd
    }

    pub fn as_manager(&self, args: &[&str]) -> assert_cmd::Command {
        self.as_user("manager", "1234", args)
    }
}

pub fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Runs a command that must succeed; returns its stdout.
pub fn ok(mut cmd: assert_cmd::Command) -> String {
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "command failed ({:?}): {}{}",
        out.status.code(),
        stdout(&out),
        stderr(&out)
    );
    stdout(&out)
}

/// A record or list printed with `--json` by a command that must succeed.
pub fn json(mut cmd: assert_cmd::Command) -> Value {
    cmd.arg("--json");
    serde_json::from_str(&ok(cmd)).expect("stdout is JSON")
}

/// Runs a command that must fail with `code`, without a panic; returns (stdout, stderr).
pub fn fails(mut cmd: assert_cmd::Command, code: i32) -> (String, String) {
    let out = cmd.output().unwrap();
    let (o, e) = (stdout(&out), stderr(&out));
    assert_eq!(
        out.status.code(),
        Some(code),
        "expected exit {code}; stdout: {o} stderr: {e}"
    );
    assert!(!e.contains("panicked"), "panic: {e}");
    (o, e)
}

/// The `kassa` binary of this build. `cargo test -p kassa-tests` does not build other
/// packages' binaries, so it is built here once (a no-op when it is up to date), into the
/// same target directory as this test. `KASSA_BIN` overrides the lookup.
pub fn kassa_bin() -> &'static Path {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        if let Some(bin) = std::env::var_os("KASSA_BIN") {
            return PathBuf::from(bin);
        }
        let exe = std::env::current_exe().expect("the test's own path");
        // <target>/<profile>/deps/cli-<hash>
        let profile_dir = exe
            .parent()
            .and_then(Path::parent)
            .expect("target/<profile>/deps");
        let target_dir = profile_dir.parent().expect("target dir");
        let profile = match profile_dir.file_name().and_then(|n| n.to_str()) {
            Some("debug") => "dev",
            Some(other) => other,
            None => "dev",
        };
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let manifest = Path::new(env!("CARGO_MANIFEST_DIR")).join("../Cargo.toml");
        let status = std::process::Command::new(cargo)
            .args([
                "build",
                "--quiet",
                "-p",
                "kassa-cli",
                "--bin",
                "kassa",
                "--profile",
                profile,
            ])
            .arg("--manifest-path")
            .arg(&manifest)
            .arg("--target-dir")
            .arg(target_dir)
            .status()
            .expect("run cargo build for the kassa binary");
        assert!(status.success(), "building the kassa binary failed");
        let bin = profile_dir.join(format!("kassa{}", std::env::consts::EXE_SUFFIX));
        assert!(bin.is_file(), "no kassa binary at {}", bin.display());
        bin
    })
}

impl World {
    /// A fresh installation: manager (PIN 1234) and cashier (PIN 2222), one store
    /// "Malmö C" (SE, SEK) with "Till 1", to which this installation is bound.
    #[allow(dead_code)]
    pub fn installed() -> World {
        let w = World::new();
        let mut init = w.kassa(&["init", "--manager", "manager"]);
        init.env("KASSA_PIN", "1234");
        ok(init);
        ok(w.as_manager(&["brand", "add", "Nordljus"]));
        ok(w.as_manager(&[
            "store",
            "add",
            "--brand",
            "Nordljus",
            "--name",
            "Malmö C",
            "--country",
            "SE",
            "--currency",
            "SEK",
            "--time-zone",
            "Europe/Stockholm",
        ]));
        ok(w.as_manager(&["pos", "add", "--store", "Malmö C", "--name", "Till 1"]));
        ok(w.as_manager(&["pos", "bind", "Till 1"]));
        let mut cashier = w.as_manager(&["user", "add", "cashier", "--role", "cashier"]);
        cashier.env("KASSA_NEW_PIN", "2222");
        ok(cashier);
        w
    }
}
