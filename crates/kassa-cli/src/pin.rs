//! Getting PINs: from the environment, else typed on the terminal without echo. A PIN is
//! never a command-line argument (it would show in `ps` and the shell history), and
//! never logged.

use std::io::IsTerminal;

use kassa_app::AppError;

/// The PIN of the user logging in.
pub const PIN_ENV: &str = "KASSA_PIN";
/// A PIN being set for someone (`user add`, `user reset-pin`).
pub const NEW_PIN_ENV: &str = "KASSA_NEW_PIN";

fn from_env(var: &str) -> Option<String> {
    std::env::var(var).ok().filter(|pin| !pin.is_empty())
}

fn ask(prompt: &str) -> Result<String, AppError> {
    rpassword::prompt_password(prompt)
        .map_err(|e| AppError::Internal(format!("could not read the PIN from the terminal: {e}")))
}

fn can_ask() -> bool {
    std::io::stdin().is_terminal()
}

/// The PIN for logging in as `user`: `KASSA_PIN`, else asked once.
pub fn login_pin(user: &str) -> Result<String, AppError> {
    if let Some(pin) = from_env(PIN_ENV) {
        return Ok(pin);
    }
    if !can_ask() {
        return Err(AppError::Unauthenticated(format!(
            "no PIN for '{user}': set {PIN_ENV} (stdin is not a terminal, so the PIN cannot be asked)"
        )));
    }
    ask(&format!("Enter PIN for {user}: "))
}

/// A PIN being chosen for `user`: from `var`, else asked twice on the terminal.
pub fn chosen_pin(var: &str, user: &str) -> Result<String, AppError> {
    if let Some(pin) = from_env(var) {
        return Ok(pin);
    }
    if !can_ask() {
        return Err(AppError::validation(
            "pin",
            format!("no PIN for '{user}': set {var} (stdin is not a terminal, so the PIN cannot be asked)"),
        ));
    }
    let first = ask(&format!("New PIN for {user}: "))?;
    let second = ask("Repeat the PIN: ")?;
    if first != second {
        return Err(AppError::validation(
            "pin",
            "the two PINs differ; nothing was changed",
        ));
    }
    Ok(first)
}

/// The PIN of a manager approving a step at the till (refund, post-void).
pub const APPROVER_PIN_ENV: &str = "KASSA_APPROVER_PIN";

/// The approving manager's PIN: `KASSA_APPROVER_PIN`, else asked once.
pub fn approver_pin(approver: &str) -> Result<String, AppError> {
    if let Some(pin) = from_env(APPROVER_PIN_ENV) {
        return Ok(pin);
    }
    if !can_ask() {
        return Err(AppError::Unauthenticated(format!(
            "no PIN for the approver '{approver}': set {APPROVER_PIN_ENV} (stdin is not a terminal, so the PIN cannot be asked)"
        )));
    }
    ask(&format!("PIN of {approver}, approving: "))
}

/// Asks a yes/no question on the terminal; anything but y/yes is no. `None` when stdin is
/// not a terminal, so the question cannot be asked.
pub fn confirm(question: &str) -> Result<Option<bool>, AppError> {
    use std::io::Write;
    if !can_ask() {
        return Ok(None);
    }
    let mut err = std::io::stderr().lock();
    let _ = write!(err, "{question} [y/N] ");
    let _ = err.flush();
    let mut answer = String::new();
    std::io::stdin()
        .read_line(&mut answer)
        .map_err(|e| AppError::Internal(format!("could not read the answer: {e}")))?;
    Ok(Some(matches!(
        answer.trim().to_lowercase().as_str(),
        "y" | "yes" | "j" | "ja"
    )))
}
