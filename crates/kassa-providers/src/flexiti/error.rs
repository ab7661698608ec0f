//! Flexiti's error answers, in words a cashier or manager can act on.
//!
//! Reading: the document describes no error answers. Kassa reads the body
//! `{"status": "<code>", "message": "..."}` (the capture answer's own `status` and
//! `message`), and where no code comes, the HTTP status; the emulator answers the same.

/// An error answer of the Flexiti API. Flexiti's message is kept and shown after the
/// sentence.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FlexitiError {
    /// HTTP 400 `invalid_request`.
    #[error("Flexiti rejected the request as invalid{}", said(.message))]
    InvalidRequest {
        /// Flexiti's message.
        message: Option<String>,
    },
    /// HTTP 401 `unauthorized`.
    #[error("Flexiti did not accept the API key; check it in the Flexiti settings{}", said(.message))]
    Unauthorized {
        /// Flexiti's message.
        message: Option<String>,
    },
    /// HTTP 403 `forbidden`.
    #[error("the API key is not for this client ID; check the client ID in the Flexiti settings{}", said(.message))]
    Forbidden {
        /// Flexiti's message.
        message: Option<String>,
    },
    /// HTTP 404 `not_found`.
    #[error("Flexiti has no such account, authorization or capture{}", said(.message))]
    NotFound {
        /// Flexiti's message.
        message: Option<String>,
    },
    /// HTTP 409 `reference_conflict`.
    #[error("this request reference was already used for another request; Kassa must send a new one{}", said(.message))]
    ReferenceConflict {
        /// Flexiti's message.
        message: Option<String>,
    },
    /// HTTP 422 `insufficient_credit`.
    #[error("the customer's Flexiti account does not have enough credit for this amount{}", said(.message))]
    InsufficientCredit {
        /// Flexiti's message.
        message: Option<String>,
    },
    /// HTTP 422 `authorization_not_open`.
    #[error("the Flexiti authorization is no longer open (captured in full or expired); ask for a new one{}", said(.message))]
    AuthorizationNotOpen {
        /// Flexiti's message.
        message: Option<String>,
    },
    /// HTTP 422 `amount_exceeds_authorization`.
    #[error("the amount is more than what is left of the Flexiti authorization{}", said(.message))]
    AmountExceedsAuthorization {
        /// Flexiti's message.
        message: Option<String>,
    },
    /// HTTP 422 `return_exceeds_capture`.
    #[error("the return is more than what is left to return of the Flexiti purchase{}", said(.message))]
    ReturnExceedsCapture {
        /// Flexiti's message.
        message: Option<String>,
    },
    /// A code Kassa does not know.
    #[error("Flexiti refused (HTTP {status}, {code}){}", said(.message))]
    Unknown {
        /// The HTTP status.
        status: u16,
        /// The code as sent.
        code: String,
        /// Flexiti's message.
        message: Option<String>,
    },
}

fn said(message: &Option<String>) -> String {
    match message.as_deref().map(str::trim) {
        Some(text) if !text.is_empty() => format!(" (Flexiti: {text})"),
        _ => String::new(),
    }
}

impl FlexitiError {
    /// The error for `code` (as the body names it) at HTTP `status`.
    pub fn from_code(status: u16, code: &str, message: Option<String>) -> FlexitiError {
        match code {
            "invalid_request" => FlexitiError::InvalidRequest { message },
            "unauthorized" => FlexitiError::Unauthorized { message },
            "forbidden" => FlexitiError::Forbidden { message },
            "not_found" => FlexitiError::NotFound { message },
            "reference_conflict" => FlexitiError::ReferenceConflict { message },
            "insufficient_credit" => FlexitiError::InsufficientCredit { message },
            "authorization_not_open" => FlexitiError::AuthorizationNotOpen { message },
            "amount_exceeds_authorization" => FlexitiError::AmountExceedsAuthorization { message },
            "return_exceeds_capture" => FlexitiError::ReturnExceedsCapture { message },
            other => FlexitiError::Unknown {
                status,
                code: other.to_owned(),
                message,
            },
        }
    }

    /// The code of this error, as the body names it.
    pub fn code(&self) -> &str {
        match self {
            FlexitiError::InvalidRequest { .. } => "invalid_request",
            FlexitiError::Unauthorized { .. } => "unauthorized",
            FlexitiError::Forbidden { .. } => "forbidden",
            FlexitiError::NotFound { .. } => "not_found",
            FlexitiError::ReferenceConflict { .. } => "reference_conflict",
            FlexitiError::InsufficientCredit { .. } => "insufficient_credit",
            FlexitiError::AuthorizationNotOpen { .. } => "authorization_not_open",
            FlexitiError::AmountExceedsAuthorization { .. } => "amount_exceeds_authorization",
            FlexitiError::ReturnExceedsCapture { .. } => "return_exceeds_capture",
            FlexitiError::Unknown { code, .. } => code,
        }
    }
}

impl crate::http::ApiProblem for FlexitiError {
    fn problem(&self) -> crate::http::ProblemCode {
        use crate::http::ProblemCode;
        match self {
            FlexitiError::Unauthorized { .. } => ProblemCode::Unauthorized,
            FlexitiError::Forbidden { .. } => ProblemCode::Forbidden,
            FlexitiError::NotFound { .. } => ProblemCode::NotFound,
            _ => ProblemCode::ProviderError,
        }
    }
}
