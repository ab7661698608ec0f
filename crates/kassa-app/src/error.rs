use serde::Serialize;

use kassa_store::StoreError;

/// A machine-readable class of error, so the UI and scripts can react without matching
/// message text.
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
    Internal,
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
}

impl AppError {
    pub fn validation(field: &'static str, message: impl Into<String>) -> Self {
        AppError::Validation {
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
        }
    }

    /// The input field the error is about, for the UI to highlight.
    pub fn field(&self) -> Option<&'static str> {
        match self {
            AppError::Validation { field, .. } => Some(field),
            _ => None,
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
