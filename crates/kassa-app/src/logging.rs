//! Logging for the edges (CLI, desktop app): human-readable lines on stderr and a
//! daily-rotated file in the data directory. Use cases log names and ids, never PINs,
//! passwords, tokens or keys: nothing secret is ever passed to a `tracing` macro.

use std::io::IsTerminal;

use tracing_appender::non_blocking::WorkerGuard;
use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt;
use tracing_subscriber::prelude::*;

/// Starts logging for `component` (the file is `<data dir>/logs/<component>.log.YYYY-MM-DD`).
/// Keep the guard alive for the life of the program so buffered lines reach the file.
/// `RUST_LOG` overrides the console level, which is `console_default` otherwise (the CLI
/// passes "off": its errors are already printed as one line).
pub fn init(component: &str, console_default: &str) -> Option<WorkerGuard> {
    let console = fmt::layer()
        .with_writer(std::io::stderr)
        .with_target(false)
        .with_ansi(std::io::stderr().is_terminal())
        .with_filter(EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(console_default)));
    let file = crate::paths::log_dir().ok().and_then(|dir| {
        std::fs::create_dir_all(&dir).ok()?;
        let appender = tracing_appender::rolling::daily(dir, format!("{component}.log"));
        Some(tracing_appender::non_blocking(appender))
    });
    match file {
        Some((writer, guard)) => {
            let file_layer = fmt::layer()
                .with_ansi(false)
                .with_writer(writer)
                .with_filter(EnvFilter::new("info"));
            let _ = tracing_subscriber::registry()
                .with(console)
                .with(file_layer)
                .try_init();
            Some(guard)
        }
        None => {
            let _ = tracing_subscriber::registry().with(console).try_init();
            None
        }
    }
}
