//! The desktop binary where no display can be opened: one line that says so and how to run
//! headless, and a failing exit status — not GTK's panic and backtrace.

use std::process::{Command, Stdio};

use crate::support::required_file;

#[test]
#[ignore = "needs the built app; run by scripts/test.sh"]
fn the_app_without_a_display_says_so_in_one_line_and_fails() {
    let app = required_file("KASSA_APP_BIN");
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(&app)
        // A display number nothing listens on, and no Wayland to fall back to.
        .env("DISPLAY", ":12345")
        .env_remove("WAYLAND_DISPLAY")
        .env("RUST_BACKTRACE", "1")
        // Wherever it got, it must not touch a real database.
        .env("KASSA_DB", dir.path().join("none.sqlite3"))
        .env("HOME", dir.path())
        .env("XDG_DATA_HOME", dir.path())
        .stdin(Stdio::null())
        .output()
        .expect("start the app");
    let stderr = String::from_utf8_lossy(&out.stderr);
    let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    assert!(
        !out.status.success(),
        "exit status {}, stderr: {stderr}",
        out.status
    );
    assert_eq!(lines.len(), 1, "exactly one line on stderr, got: {stderr}");
    let line = lines[0];
    assert!(line.contains("cannot open a display"), "{line}");
    assert!(
        line.contains("DISPLAY=:12345"),
        "names the display it tried: {line}"
    );
    assert!(line.contains("xvfb-run"), "says how to run headless: {line}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(
        out.stdout.is_empty(),
        "stdout: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(
        !dir.path().join("none.sqlite3").exists(),
        "no database is created before a window can open"
    );
}
