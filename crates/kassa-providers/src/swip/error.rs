//! SWiP's documented errors, in words a cashier or manager can act on.

use std::fmt;

use super::wire::{ErrorCode, FieldError};

/// An error SWiP's document describes: every code of its numbered table, the string
/// codes of its HTTP table, and a FAIL without a code. The provider's own description
/// is kept and shown after the sentence.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SwipError {
    /// Code 1 INTERNAL SERVER ERROR (`internal_server_error`).
    #[error("SWiP had an internal error; check the order's status before trying again{}", said(.description))]
    InternalError {
        /// SWiP's description.
        description: Option<String>,
    },
    /// Code 2 AUTHENTICATION ERROR (`unauthorized`, HTTP 401).
    #[error("SWiP did not accept the access token; check the token in the SWiP settings{}", said(.description))]
    AuthenticationFailed {
        /// SWiP's description.
        description: Option<String>,
    },
    /// Code 4 ACCESS DENIED (`forbidden`, HTTP 403).
    #[error("SWiP denied access; check the merchant ID, store ID and till ID in the SWiP settings{}", said(.description))]
    AccessDenied {
        /// SWiP's description.
        description: Option<String>,
    },
    /// Code 5 VALIDATION FAILED (and an HTTP 400 without a code).
    #[error("SWiP rejected the request as invalid{}{}", fields(.field_errors), said(.description))]
    ValidationFailed {
        /// SWiP's description.
        description: Option<String>,
        /// Which fields were wrong.
        field_errors: Vec<FieldError>,
    },
    /// Code 6 ILLEGAL STATE.
    #[error("the SWiP order is not in a state that allows this{}", said(.description))]
    IllegalState {
        /// SWiP's description.
        description: Option<String>,
    },
    /// Code 7 METHOD NOT SUPPORTED (`method_not_allowed`, HTTP 405).
    #[error("SWiP does not support this request; Kassa may need an update{}", said(.description))]
    MethodNotSupported {
        /// SWiP's description.
        description: Option<String>,
    },
    /// Code 8 DUPLICATE.
    #[error("SWiP already has this (the QR code may belong to another open order){}", said(.description))]
    Duplicate {
        /// SWiP's description.
        description: Option<String>,
    },
    /// Code 9 NOT FOUND (`not_found`, HTTP 404).
    #[error("SWiP has no such order{}", said(.description))]
    NotFound {
        /// SWiP's description.
        description: Option<String>,
    },
    /// Code 10 UNSUPPORTED MESSAGE.
    #[error("SWiP did not understand the request (format or API version); Kassa may need an update{}", said(.description))]
    UnsupportedMessage {
        /// SWiP's description.
        description: Option<String>,
    },
    /// Code 11 ORDER FLOW VIOLATION.
    #[error("not possible at this step of the SWiP order (a refund or cancellation needs a closed order){}", said(.description))]
    OrderFlowViolation {
        /// SWiP's description.
        description: Option<String>,
    },
    /// Code 13 OPERATION TIMED OUT.
    #[error("the SWiP order timed out (the customer did not pay in time); start a new order{}", said(.description))]
    OperationTimedOut {
        /// SWiP's description.
        description: Option<String>,
    },
    /// Code 27 REVERSE UNAVAILABLE.
    #[error("the SWiP payment can no longer be cancelled; make a refund instead{}", said(.description))]
    ReverseUnavailable {
        /// SWiP's description.
        description: Option<String>,
    },
    /// Code 28 ORDER ALREADY EXISTS.
    #[error("SWiP already has an order with this order ID; a new order needs a new ID{}", said(.description))]
    OrderAlreadyExists {
        /// SWiP's description.
        description: Option<String>,
    },
    /// Code 29 ORDER ALREADY REFUNDED.
    #[error("the SWiP order has already been refunded in full{}", said(.description))]
    OrderAlreadyRefunded {
        /// SWiP's description.
        description: Option<String>,
    },
    /// Code 30 ORDER ALREADY CONFIRMED.
    #[error("the SWiP order is already closed; an order can be closed only once{}", said(.description))]
    OrderAlreadyConfirmed {
        /// SWiP's description.
        description: Option<String>,
    },
    /// Code 31 ORDER NOT PAID.
    #[error("the order was not paid with SWiP, so SWiP cannot give money back for it{}", said(.description))]
    OrderNotPaid {
        /// SWiP's description.
        description: Option<String>,
    },
    /// Code 32 EXCESS TOTAL AMOUNT.
    #[error("the amount is more than the SWiP order allows (its total, or what is left to refund){}", said(.description))]
    ExcessTotalAmount {
        /// SWiP's description.
        description: Option<String>,
    },
    /// `too_many_request` in a body (HTTP 429 itself is a `CallError::Status` with its
    /// Retry-After).
    #[error("SWiP is receiving too many requests; wait a moment and try again{}", said(.description))]
    TooManyRequests {
        /// SWiP's description.
        description: Option<String>,
    },
    /// A refund or reverse answered FAIL without an error code.
    #[error("SWiP refused{}", said(.description))]
    Failed {
        /// SWiP's description.
        description: Option<String>,
    },
    /// A code the document does not list.
    #[error("SWiP answered error {code}{}", said(.description))]
    Unknown {
        /// The code as sent.
        code: String,
        /// SWiP's description.
        description: Option<String>,
    },
}

fn said(description: &Option<String>) -> String {
    match description.as_deref().map(str::trim) {
        Some(text) if !text.is_empty() => format!(" (SWiP: {text})"),
        _ => String::new(),
    }
}

fn fields(field_errors: &[FieldError]) -> String {
    let shown: Vec<String> = field_errors
        .iter()
        .map(|error| {
            let field = error.field.as_deref().unwrap_or("?");
            match error.message.as_deref() {
                Some(message) => format!("{field} {message}"),
                None => field.to_owned(),
            }
        })
        .collect();
    if shown.is_empty() {
        String::new()
    } else {
        format!(": {}", shown.join("; "))
    }
}

impl SwipError {
    /// The error for `code` (never 0, which is no error).
    pub fn from_code(
        code: &ErrorCode,
        description: Option<String>,
        field_errors: Vec<FieldError>,
    ) -> SwipError {
        match code {
            ErrorCode::Number(number) => match number {
                1 => SwipError::InternalError { description },
                2 => SwipError::AuthenticationFailed { description },
                4 => SwipError::AccessDenied { description },
                5 => SwipError::ValidationFailed {
                    description,
                    field_errors,
                },
                6 => SwipError::IllegalState { description },
                7 => SwipError::MethodNotSupported { description },
                8 => SwipError::Duplicate { description },
                9 => SwipError::NotFound { description },
                10 => SwipError::UnsupportedMessage { description },
                11 => SwipError::OrderFlowViolation { description },
                13 => SwipError::OperationTimedOut { description },
                27 => SwipError::ReverseUnavailable { description },
                28 => SwipError::OrderAlreadyExists { description },
                29 => SwipError::OrderAlreadyRefunded { description },
                30 => SwipError::OrderAlreadyConfirmed { description },
                31 => SwipError::OrderNotPaid { description },
                32 => SwipError::ExcessTotalAmount { description },
                other => SwipError::Unknown {
                    code: other.to_string(),
                    description,
                },
            },
            // Reading: the HTTP table gives 400 the code `unauthorized`, the same as
            // 401; a 400 is a rule violation, so `unauthorized` is only ever read as
            // an authentication failure and a 400 is read by its status (see client.rs).
            ErrorCode::Name(name) => match name.as_str() {
                "unauthorized" => SwipError::AuthenticationFailed { description },
                "forbidden" => SwipError::AccessDenied { description },
                "not_found" => SwipError::NotFound { description },
                "method_not_allowed" => SwipError::MethodNotSupported { description },
                "too_many_request" | "too_many_requests" => SwipError::TooManyRequests { description },
                "internal_server_error" => SwipError::InternalError { description },
                other => SwipError::Unknown {
                    code: other.to_owned(),
                    description,
                },
            },
        }
    }

    /// SWiP's code for this error, as the document numbers or names it.
    pub fn code(&self) -> ErrorCodeText {
        let text = match self {
            SwipError::InternalError { .. } => "1",
            SwipError::AuthenticationFailed { .. } => "2",
            SwipError::AccessDenied { .. } => "4",
            SwipError::ValidationFailed { .. } => "5",
            SwipError::IllegalState { .. } => "6",
            SwipError::MethodNotSupported { .. } => "7",
            SwipError::Duplicate { .. } => "8",
            SwipError::NotFound { .. } => "9",
            SwipError::UnsupportedMessage { .. } => "10",
            SwipError::OrderFlowViolation { .. } => "11",
            SwipError::OperationTimedOut { .. } => "13",
            SwipError::ReverseUnavailable { .. } => "27",
            SwipError::OrderAlreadyExists { .. } => "28",
            SwipError::OrderAlreadyRefunded { .. } => "29",
            SwipError::OrderAlreadyConfirmed { .. } => "30",
            SwipError::OrderNotPaid { .. } => "31",
            SwipError::ExcessTotalAmount { .. } => "32",
            SwipError::TooManyRequests { .. } => "too_many_request",
            SwipError::Failed { .. } => "FAIL",
            SwipError::Unknown { code, .. } => return ErrorCodeText(code.clone()),
        };
        ErrorCodeText(text.to_owned())
    }
}

/// A SWiP error code as text (`"28"`, `"too_many_request"`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrorCodeText(pub String);

impl fmt::Display for ErrorCodeText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl crate::http::ApiProblem for SwipError {
    fn problem(&self) -> crate::http::ProblemCode {
        use crate::http::ProblemCode;
        match self {
            SwipError::AuthenticationFailed { .. } => ProblemCode::Unauthorized,
            SwipError::AccessDenied { .. } => ProblemCode::Forbidden,
            SwipError::NotFound { .. } => ProblemCode::NotFound,
            SwipError::TooManyRequests { .. } => ProblemCode::RateLimited,
            _ => ProblemCode::ProviderError,
        }
    }
}
