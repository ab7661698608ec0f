use serde::Serialize;

use kassa_store::StoreError;

/// A machine-readable kind of error, so the UI (which shows each in the user's language)
/// and scripts can react without matching message text. The first nine are classes; each
/// code after them names a case within a class that a cashier must tell apart, because
/// what to do next differs. The CLI's exit code follows the class ([`ErrorCode::class`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    Validation,
    NotFound,
    Conflict,
    Forbidden,
    Unauthenticated,
    AuthFailed,
    Locked,
    /// A manager's approval is needed: send the same request again with one.
    ApprovalRequired,
    /// The open sale belongs to another cashier.
    NotSaleOwner,
    Database,
    /// A restore that would roll back fiscal records (receipts, shifts, Z reports) this
    /// database holds and the backup does not; nothing was changed.
    RestoreRefused,
    Internal,
    /// A typed number this locale cannot read exactly (validation): retype it.
    InvalidNumber,
    /// No active product has the scanned or typed code (not found): check it or search.
    UnknownProduct,
    /// The till has no open shift (conflict): open one.
    NoOpenShift,
    /// A payment whose outcome is unknown blocks the till (conflict): resolve it first.
    PaymentUnresolved,
    /// This installation is not a usable till: unbound, its POS gone or disabled (conflict).
    TillUnavailable,
    /// Money in one currency offered where another is kept: a receipt in DKK at a SEK till
    /// (conflict).
    CurrencyMismatch,
    /// A receipt of another store, which is refunded in the store that sold it (conflict).
    OtherStore,
    /// A provider could not be reached, refused the credentials or answered with an error
    /// (a class of its own: the settings may be right and the network wrong).
    ProviderFailed,
    /// A provider refused the stored credentials (HTTP 401): a manager enters new ones in
    /// the provider settings (provider failed). DropPay's user access token, which Kassa
    /// cannot renew, is the case in point.
    ProviderCredentialsRejected,
    /// A provider refused a payment or refund request itself (provider failed): no money
    /// moved; the message says what it objected to.
    PaymentRefused,
    /// A provider registration whose outcome is unknown (a DropPay create whose answer was
    /// lost) blocks another (conflict): check the provider's back office, then link the id
    /// found or confirm none was created.
    RegistrationUnknown,
    /// A provider id (a DropPay POS id) that another POS device already holds (conflict).
    ExternalIdTaken,
    /// The integrated card terminal could not be reached (no such port, port busy or
    /// unplugged, no answer on the LAN) or refused the till's registration (a class of
    /// its own: the settings may be right and the cable out).
    TerminalFailed,
}

impl ErrorCode {
    /// The class this code belongs to (a class is its own class).
    pub fn class(self) -> ErrorCode {
        match self {
            ErrorCode::InvalidNumber => ErrorCode::Validation,
            ErrorCode::UnknownProduct => ErrorCode::NotFound,
            ErrorCode::NoOpenShift
            | ErrorCode::PaymentUnresolved
            | ErrorCode::TillUnavailable
            | ErrorCode::CurrencyMismatch
            | ErrorCode::OtherStore
            | ErrorCode::RegistrationUnknown
            | ErrorCode::ExternalIdTaken => ErrorCode::Conflict,
            ErrorCode::ProviderCredentialsRejected | ErrorCode::PaymentRefused => ErrorCode::ProviderFailed,
            class => class,
        }
    }
}

/// Everything a use case can refuse or fail with. Every message is meant to be shown to
/// the person who asked, as is: it says what was wrong and, where it helps, what to do.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// Bad input in one field; nothing was changed.
    #[error("{message}")]
    Validation { field: &'static str, message: String },
    #[error("{0}")]
    NotFound(String),
    /// The input is well-formed but clashes with what is stored (duplicates, last manager).
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    Unauthenticated(String),
    #[error("{0}")]
    AuthFailed(String),
    #[error("{0}")]
    Locked(String),
    /// A receipt (or other money) in a currency this till's drawer does not hold.
    #[error("{0}")]
    CurrencyMismatch(String),
    /// A receipt of another store; nothing was changed.
    #[error("{0}")]
    OtherStore(String),
    /// The backup does not hold all the fiscal history this database holds.
    #[error("{0}")]
    RestoreRefused(String),
    /// Allowed, but only with a manager's name and PIN (e.g. a discount over the limit).
    #[error("{0}")]
    ApprovalRequired(String),
    /// The sale is open in another cashier's name; only they may change it.
    #[error("{0}")]
    NotSaleOwner(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    /// An amount that cannot be what was asked (wrong currency, not whole minor units).
    #[error(transparent)]
    Money(#[from] kassa_core::MoneyError),
    #[error("internal error: {0}")]
    Internal(String),
    /// A case with a code of its own (one of the codes after the classes), optionally
    /// about one input field.
    #[error("{message}")]
    Coded {
        code: ErrorCode,
        field: Option<&'static str>,
        message: String,
    },
}

impl AppError {
    pub fn validation(field: &'static str, message: impl Into<String>) -> Self {
        AppError::Validation {
            field,
            message: message.into(),
        }
    }

    /// A case that has a code of its own; `field` is the input it is about, if any.
    pub fn coded(code: ErrorCode, field: Option<&'static str>, message: impl Into<String>) -> Self {
        AppError::Coded {
            code,
            field,
            message: message.into(),
        }
    }

    pub fn code(&self) -> ErrorCode {
        match self {
            AppError::Validation { .. } => ErrorCode::Validation,
            AppError::NotFound(_) => ErrorCode::NotFound,
            AppError::Conflict(_) => ErrorCode::Conflict,
            AppError::Forbidden(_) => ErrorCode::Forbidden,
            AppError::Unauthenticated(_) => ErrorCode::Unauthenticated,
            AppError::AuthFailed(_) => ErrorCode::AuthFailed,
            AppError::Locked(_) => ErrorCode::Locked,
            AppError::CurrencyMismatch(_) => ErrorCode::CurrencyMismatch,
            AppError::OtherStore(_) => ErrorCode::OtherStore,
            AppError::RestoreRefused(_) => ErrorCode::RestoreRefused,
            AppError::ApprovalRequired(_) => ErrorCode::ApprovalRequired,
            AppError::NotSaleOwner(_) => ErrorCode::NotSaleOwner,
            AppError::Store(
                StoreError::Missing { .. }
                | StoreError::AlreadyExists { .. }
                | StoreError::NotSqlite { .. }
                | StoreError::NotKassa { .. }
                | StoreError::TooNew { .. }
                | StoreError::Corrupt { .. }
                | StoreError::Migration { .. }
                | StoreError::Sqlite(_)
                | StoreError::Io { .. }
                | StoreError::BadRow(_),
            ) => ErrorCode::Database,
            AppError::Money(_) => ErrorCode::Validation,
            AppError::Internal(_) => ErrorCode::Internal,
            AppError::Coded { code, .. } => *code,
        }
    }

    /// The input field the error is about, for the UI to highlight.
    pub fn field(&self) -> Option<&'static str> {
        match self {
            AppError::Validation { field, .. } => Some(field),
            AppError::Coded { field, .. } => *field,
            _ => None,
        }
    }
}

impl AppError {
    /// The database file itself cannot be read (not SQLite any more, or failing
    /// SQLite's checks): the one case in which a restore need not, and cannot, compare
    /// fiscal history with it.
    pub fn is_unreadable_database(&self) -> bool {
        match self {
            AppError::Store(StoreError::Corrupt { .. } | StoreError::NotSqlite { .. }) => true,
            AppError::Store(StoreError::Sqlite(kassa_store::RusqliteError::SqliteFailure(e, _))) => matches!(
                e.code,
                rusqlite::ErrorCode::DatabaseCorrupt | rusqlite::ErrorCode::NotADatabase
            ),
            _ => false,
        }
    }
}

impl From<kassa_store::RusqliteError> for AppError {
    fn from(e: kassa_store::RusqliteError) -> Self {
        AppError::Store(StoreError::Sqlite(e))
    }
}

/// The error as it crosses to the UI and to `--json` output.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct ApiError {
    pub code: ErrorCode,
    pub message: String,
    pub field: Option<String>,
}

impl From<&AppError> for ApiError {
    fn from(e: &AppError) -> Self {
        ApiError {
            code: e.code(),
            message: e.to_string(),
            field: e.field().map(str::to_owned),
        }
    }
}

impl From<AppError> for ApiError {
    fn from(e: AppError) -> Self {
        ApiError::from(&e)
    }
}
