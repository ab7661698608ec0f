//! Shared by the CLI test binaries: locating (and if needed building) the `kassa` binary.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

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
