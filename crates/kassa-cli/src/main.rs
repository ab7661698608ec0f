//! `kassa`: Kassa's use cases from a terminal.
//!
//! This binary holds no business rules. It parses arguments, gets the PIN (from
//! `KASSA_PIN` or the terminal, never from an argument), calls `kassa-app`, and prints
//! the result as text or, with `--json`, as JSON.

mod cli;
mod commands;
mod context;
mod exit;
mod output;
mod pin;
mod resolve;

use std::process::ExitCode;

use clap::Parser;

use crate::cli::Cli;

fn main() -> ExitCode {
    let cli = Cli::parse();
    // Kept alive until the end of `main` so buffered log lines reach the file.
    let _log_guard = kassa_app::logging::init("kassa-cli", "off");
    let json = cli.json;
    match commands::run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            output::report_error(&error, json);
            ExitCode::from(exit::code_for(&error))
        }
    }
}
