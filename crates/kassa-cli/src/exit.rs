//! Exit codes, one per class of error, so scripts can react without reading messages.
//!
//! | code | meaning                                                   |
//! |------|-----------------------------------------------------------|
//! | 0    | success                                                   |
//! | 1    | other / internal error                                    |
//! | 2    | usage: bad arguments (clap's own errors)                  |
//! | 3    | validation: bad input, nothing was changed                |
//! | 4    | not found                                                 |
//! | 5    | conflict: duplicate, last manager, bound POS, a provider  |
//! |      | id another POS holds, a DropPay registration whose outcome |
//! |      | is unknown (check DropPay, then link or confirm-none), ... |
//! | 6    | forbidden: the user's role may not do this, a manager's   |
//! |      | approval is needed, or the sale is another cashier's       |
//! | 7    | authentication failed or no user/PIN given                |
//! | 8    | the user is locked after too many wrong PINs              |
//! | 10   | database: missing, not SQLite, too new, corrupt, a journal |
//! |      | that fails `kassa journal verify`                          |
//! | 11   | restore refused: the backup lacks fiscal records this      |
//! |      | database holds (or its own journal fails verification)     |
//! | 12   | a provider could not be reached, refused the credentials   |
//! |      | (a 401: enter new ones with `kassa provider set`) or        |
//! |      | answered with an error (`kassa provider test`, `kassa pos   |
//! |      | droppay`), or a payment was refused (a card declined)       |
//! | 13   | the card terminal could not be reached (no such port, port  |
//! |      | busy, unplugged, no answer) or refused the registration     |
//!
//! Keep [`EXIT_CODES_HELP`] (shown by `kassa --help`) in step with this table.

use kassa_app::{AppError, ErrorCode};

pub const EXIT_CODES_HELP: &str = "\
Exit codes:
  0  success
  1  other / internal error
  2  usage: bad arguments
  3  validation: bad input, nothing was changed
  4  not found
  5  conflict (duplicate name, last manager, bound POS, a receipt of another currency or store,
     a provider id another POS holds, a DropPay registration whose outcome is unknown, ...)
  6  forbidden: your role may not do this, a manager must approve (--approver),
     or the open sale is another cashier's
  7  authentication failed, or no user/PIN given
  8  user locked after too many wrong PINs
  10 database problem (missing, not SQLite, newer schema, corrupt, journal fails verify)
  11 restore refused: the backup lacks fiscal records this database holds
  12 a provider could not be reached, refused the credentials (enter new ones with
     kassa provider set) or answered with an error; or a payment was refused (declined)
  13 the card terminal could not be reached (port missing, busy or unplugged; no answer)

The PIN is read from KASSA_PIN, else asked on the terminal; it is never an argument.
New PINs (user add, user reset-pin) come from KASSA_NEW_PIN, else are asked twice.
A manager approving a refund, post-void or discount over the limit gives the PIN in KASSA_APPROVER_PIN, else it
is asked on the terminal.";

pub fn code_for(error: &AppError) -> u8 {
    match error.code().class() {
        ErrorCode::Validation => 3,
        ErrorCode::NotFound => 4,
        ErrorCode::Conflict => 5,
        ErrorCode::Forbidden | ErrorCode::ApprovalRequired | ErrorCode::NotSaleOwner => 6,
        ErrorCode::Unauthenticated | ErrorCode::AuthFailed => 7,
        ErrorCode::Locked => 8,
        ErrorCode::Database => 10,
        ErrorCode::RestoreRefused => 11,
        ErrorCode::ProviderFailed => 12,
        ErrorCode::TerminalFailed => 13,
        ErrorCode::Internal => 1,
        // `class()` only returns the classes above.
        ErrorCode::InvalidNumber
        | ErrorCode::UnknownProduct
        | ErrorCode::NoOpenShift
        | ErrorCode::PaymentUnresolved
        | ErrorCode::TillUnavailable
        | ErrorCode::CurrencyMismatch
        | ErrorCode::OtherStore
        | ErrorCode::ProviderCredentialsRejected
        | ErrorCode::PaymentRefused
        | ErrorCode::RegistrationUnknown
        | ErrorCode::ExternalIdTaken => 1,
    }
}
