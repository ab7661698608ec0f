// No console window next to the app on Windows release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

use std::process::ExitCode;

fn main() -> ExitCode {
    // Before GTK, WebKit or any thread starts: they read these settings once.
    kassa_desktop::startup::choose_webkit_settings();
    if let Err(message) = kassa_desktop::startup::check_display() {
        eprintln!("{message}");
        return ExitCode::FAILURE;
    }
    kassa_desktop::run();
    ExitCode::SUCCESS
}
