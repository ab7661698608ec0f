//! What must be decided before GTK and WebKit start: which WebKit renderer suits this
//! machine, and whether there is a display to open at all.

use std::path::Path;

/// `KASSA_WEBKIT_DMABUF=1` keeps WebKit's DMA-BUF renderer, `0` turns it off; unset, it is
/// off where the machine has no GPU render node.
pub const DMABUF_ENV: &str = "KASSA_WEBKIT_DMABUF";
/// WebKitGTK's own switch; a value the user set is left alone.
const WEBKIT_DISABLE_DMABUF: &str = "WEBKIT_DISABLE_DMABUF_RENDERER";

/// Whether to turn WebKit's DMA-BUF renderer off, and why (for the log).
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Dmabuf {
    /// The user set `WEBKIT_DISABLE_DMABUF_RENDERER` themselves.
    UserChoice,
    Keep(&'static str),
    Disable(&'static str),
}

/// Without a GPU render node (`/dev/dri/renderD*`: a VM, a container, Xvfb) WebKit's
/// DMA-BUF renderer falls back to software buffers shared with the web process, which on
/// such machines took 3.6–4.2 s to the first paint and about 330 MB, against 1.3 s and
/// 155 MB with it off (BENCHMARKS.md).
pub(crate) fn dmabuf_choice(user_set: bool, kassa_override: Option<&str>, render_node: bool) -> Dmabuf {
    if user_set {
        return Dmabuf::UserChoice;
    }
    match kassa_override.map(str::trim) {
        Some("1") => Dmabuf::Keep("KASSA_WEBKIT_DMABUF=1"),
        Some("0") => Dmabuf::Disable("KASSA_WEBKIT_DMABUF=0"),
        _ if render_node => Dmabuf::Keep("a GPU render node exists"),
        _ => Dmabuf::Disable("no GPU render node (/dev/dri/renderD*)"),
    }
}

fn has_render_node(dri: &Path) -> bool {
    std::fs::read_dir(dri).is_ok_and(|entries| {
        entries
            .flatten()
            .any(|e| e.file_name().to_string_lossy().starts_with("renderD"))
    })
}

/// Sets WebKit's environment for this machine. Must run before GTK, WebKit or any other
/// thread starts: the variables are read by WebKit's processes when they start.
pub fn choose_webkit_settings() {
    let user_set = std::env::var_os(WEBKIT_DISABLE_DMABUF).is_some();
    let kassa_override = std::env::var(DMABUF_ENV).ok();
    if let Some(value) = kassa_override.as_deref()
        && !matches!(value.trim(), "0" | "1")
    {
        eprintln!("kassa-desktop: ignoring {DMABUF_ENV}={value:?}; use 1 (DMA-BUF renderer on) or 0 (off)");
    }
    let choice = dmabuf_choice(
        user_set,
        kassa_override.as_deref(),
        has_render_node(Path::new("/dev/dri")),
    );
    if let Dmabuf::Disable(_) = choice {
        // SAFETY: called first thing in main, before any other thread exists, so nothing
        // reads the environment concurrently.
        unsafe { std::env::set_var(WEBKIT_DISABLE_DMABUF, "1") };
    }
    // Logged once logging is up; returned through a static to keep this free of order rules.
    let _ = CHOICE.set(format!("{choice:?}"));
}

static CHOICE: std::sync::OnceLock<String> = std::sync::OnceLock::new();

/// What `choose_webkit_settings` decided, for the log.
pub fn webkit_choice() -> Option<&'static str> {
    CHOICE.get().map(String::as_str)
}

/// The one line printed when no display can be opened, instead of GTK's panic.
pub(crate) fn no_display_message() -> String {
    let var = |name: &str| match std::env::var(name) {
        Ok(v) if !v.is_empty() => format!("{name}={v}"),
        _ => format!("{name} unset"),
    };
    format!(
        "kassa-desktop: cannot open a display ({}, {}); run it in a desktop session, or headless \
         with `xvfb-run -a kassa-desktop` or `bash scripts/demo.sh` (which starts its own Xvfb)",
        var("DISPLAY"),
        var("WAYLAND_DISPLAY")
    )
}

/// Opens the display GTK will use, or says in one line why it cannot.
#[cfg(target_os = "linux")]
pub fn check_display() -> Result<(), String> {
    // gtk_init_check: the same door tao goes through next, without its panic.
    gtk::init().map_err(|_| no_display_message())
}

#[cfg(not(target_os = "linux"))]
pub fn check_display() -> Result<(), String> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_dmabuf_renderer_is_off_without_a_render_node_unless_asked_for() {
        assert!(matches!(dmabuf_choice(false, None, false), Dmabuf::Disable(_)));
        assert!(matches!(dmabuf_choice(false, None, true), Dmabuf::Keep(_)));
        assert!(matches!(dmabuf_choice(false, Some("1"), false), Dmabuf::Keep(_)));
        assert!(matches!(
            dmabuf_choice(false, Some("0"), true),
            Dmabuf::Disable(_)
        ));
        // Anything else is no override (and is warned about).
        assert!(matches!(
            dmabuf_choice(false, Some("yes"), false),
            Dmabuf::Disable(_)
        ));
        assert!(matches!(dmabuf_choice(false, Some("yes"), true), Dmabuf::Keep(_)));
        // WebKit's own variable, set by the user, wins over everything.
        assert_eq!(dmabuf_choice(true, Some("0"), false), Dmabuf::UserChoice);
    }

    #[test]
    fn a_render_node_is_a_render_d_entry_in_the_dri_directory() {
        let dir = tempfile_dir();
        assert!(!has_render_node(&dir.join("missing")));
        std::fs::create_dir_all(dir.join("dri")).unwrap();
        std::fs::write(dir.join("dri/card0"), b"").unwrap();
        assert!(!has_render_node(&dir.join("dri")));
        std::fs::write(dir.join("dri/renderD128"), b"").unwrap();
        assert!(has_render_node(&dir.join("dri")));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    fn tempfile_dir() -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("kassa-startup-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }
}
