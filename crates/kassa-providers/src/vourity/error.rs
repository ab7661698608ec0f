//! The error answers of our reading of the Partners API, as messages a cashier or manager
//! can act on.
//!
//! Reading: the document gives no error codes or bodies. Ours are
//! `{"errorCode": "<code>", "message": "..."}` with the statuses below, plus the answer
//! Azure API Management itself gives for a missing or wrong `Ocp-Apim-Subscription-Key`
//! (`{"statusCode": 401, "message": "Access denied due to ..."}`). The emulator answers
//! with exactly these.
//!
//! | status | errorCode | variant |
//! |---|---|---|
//! | 401 | (API Management) | [`VourityError::InvalidSubscriptionKey`] |
//! | 401 | `invalidApiKey` | [`VourityError::InvalidApiKey`] |
//! | 400 | `invalidRequest` | [`VourityError::InvalidRequest`] |
//! | 400 | `invalidMsgType` | [`VourityError::InvalidMsgType`] |
//! | 400 | `invalidAmount` | [`VourityError::InvalidAmount`] |
//! | 400 | `unsupportedCurrency` | [`VourityError::UnsupportedCurrency`] |
//! | 400 | `invalidWebhookUrl` | [`VourityError::InvalidWebhookUrl`] |
//! | 403 | `merchantNotAllowed` | [`VourityError::MerchantNotAllowed`] |
//! | 404 | `pointOfServiceNotFound` | [`VourityError::PointOfServiceNotFound`] |
//! | 404 | `paymentNotFound` | [`VourityError::PaymentNotFound`] |
//! | 404 | `actionRequestNotFound` | [`VourityError::ActionRequestNotFound`] |
//! | 409 | `pointOfServiceBusy` | [`VourityError::PointOfServiceBusy`] |
//! | 409 | `pointOfServiceUnavailable` | [`VourityError::PointOfServiceUnavailable`] |
//! | 409 | `sessionIdInUse` | [`VourityError::SessionIdInUse`] |
//! | 409 | `invalidPaymentState` | [`VourityError::InvalidPaymentState`] |
//! | 409 | `refundExceedsPayment` | [`VourityError::RefundExceedsPayment`] |
//! | 409 | `discountExceedsAmount` | [`VourityError::DiscountExceedsAmount`] |
//! | 409 | `actionRequestAlreadyAnswered` | [`VourityError::ActionRequestAlreadyAnswered`] |

use super::wire::ErrorBody;

/// An error answer of the Partners API.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VourityError {
    /// API Management refused the subscription key.
    #[error(
        "Vourity refused the subscription key (Ocp-Apim-Subscription-Key); check it in the Vourity settings"
    )]
    InvalidSubscriptionKey {
        /// API Management's message.
        message: String,
    },
    /// The API key is missing or wrong.
    #[error("Vourity refused the API key; check it in the Vourity settings")]
    InvalidApiKey,
    /// The body is not what Vourity expects (a field missing or of the wrong type).
    #[error("Vourity refused the request as malformed: {message}")]
    InvalidRequest {
        /// Vourity's explanation.
        message: String,
    },
    /// The `msgType` does not fit the endpoint.
    #[error("Vourity refused the request's message type: {message}")]
    InvalidMsgType {
        /// Vourity's explanation.
        message: String,
    },
    /// An amount is zero, negative, has too many decimals, or the VAT exceeds it.
    #[error("Vourity refused the amount: {message}")]
    InvalidAmount {
        /// Vourity's explanation.
        message: String,
    },
    /// The merchant does not take this currency.
    #[error("Vourity does not take this currency for the merchant: {message}")]
    UnsupportedCurrency {
        /// Vourity's explanation.
        message: String,
    },
    /// The webhook address is not an absolute http(s) URL.
    #[error("Vourity refused the webhook address; check it in the Vourity settings: {message}")]
    InvalidWebhookUrl {
        /// Vourity's explanation.
        message: String,
    },
    /// The merchant id does not belong to this API key.
    #[error("the merchant id is not one this Vourity API key may use; check the Vourity settings")]
    MerchantNotAllowed,
    /// No terminal with this point-of-service id.
    #[error("Vourity knows no terminal with this point-of-service id; check the Vourity settings")]
    PointOfServiceNotFound,
    /// No payment session with this id.
    #[error("Vourity knows no payment with this session id")]
    PaymentNotFound,
    /// No action request with this id.
    #[error("Vourity knows no such action request")]
    ActionRequestNotFound,
    /// Another payment is in progress on the terminal.
    #[error("the card terminal is busy with another payment; finish or cancel it first")]
    PointOfServiceBusy,
    /// The terminal is offline or out of order.
    #[error("the card terminal is offline or out of order: {message}")]
    PointOfServiceUnavailable {
        /// Vourity's explanation.
        message: String,
    },
    /// A different payment already uses this session id.
    #[error("Vourity already has a different payment with this session id")]
    SessionIdInUse,
    /// The payment is not in a state that allows the command (capture before approval,
    /// cancel after capture, refund before capture...).
    #[error("the payment cannot be changed that way now: {message}")]
    InvalidPaymentState {
        /// Vourity's explanation (names the current status).
        message: String,
    },
    /// The refund would give back more than was captured.
    #[error("the refund is more than what is left of the payment: {message}")]
    RefundExceedsPayment {
        /// Vourity's explanation.
        message: String,
    },
    /// The discount is more than the amount still to pay.
    #[error("the discount is more than the amount to pay: {message}")]
    DiscountExceedsAmount {
        /// Vourity's explanation.
        message: String,
    },
    /// The action request has already been answered.
    #[error("the terminal's question has already been answered")]
    ActionRequestAlreadyAnswered,
    /// An error code our reading does not list.
    #[error("Vourity answered HTTP {status} with error {code}: {message}")]
    Unknown {
        /// The HTTP status.
        status: u16,
        /// The code as sent.
        code: String,
        /// The message as sent.
        message: String,
    },
}

impl VourityError {
    /// The typed error for an error body; `None` when the body carries no code at all
    /// (then the status alone is reported).
    pub fn from_body(status: u16, body: &ErrorBody) -> Option<VourityError> {
        let message = body.message.clone().unwrap_or_default();
        let Some(code) = body.error_code.as_deref() else {
            // API Management's own answer: no errorCode, its statusCode mirrors the status.
            return (status == 401 && body.status_code == Some(401))
                .then_some(VourityError::InvalidSubscriptionKey { message });
        };
        Some(match code {
            "invalidApiKey" => VourityError::InvalidApiKey,
            "invalidRequest" => VourityError::InvalidRequest { message },
            "invalidMsgType" => VourityError::InvalidMsgType { message },
            "invalidAmount" => VourityError::InvalidAmount { message },
            "unsupportedCurrency" => VourityError::UnsupportedCurrency { message },
            "invalidWebhookUrl" => VourityError::InvalidWebhookUrl { message },
            "merchantNotAllowed" => VourityError::MerchantNotAllowed,
            "pointOfServiceNotFound" => VourityError::PointOfServiceNotFound,
            "paymentNotFound" => VourityError::PaymentNotFound,
            "actionRequestNotFound" => VourityError::ActionRequestNotFound,
            "pointOfServiceBusy" => VourityError::PointOfServiceBusy,
            "pointOfServiceUnavailable" => VourityError::PointOfServiceUnavailable { message },
            "sessionIdInUse" => VourityError::SessionIdInUse,
            "invalidPaymentState" => VourityError::InvalidPaymentState { message },
            "refundExceedsPayment" => VourityError::RefundExceedsPayment { message },
            "discountExceedsAmount" => VourityError::DiscountExceedsAmount { message },
            "actionRequestAlreadyAnswered" => VourityError::ActionRequestAlreadyAnswered,
            other => VourityError::Unknown {
                status,
                code: other.to_owned(),
                message,
            },
        })
    }

    /// Whether the manager must fix the settings (a key, the merchant or terminal id).
    pub fn is_settings_problem(&self) -> bool {
        matches!(
            self,
            VourityError::InvalidSubscriptionKey { .. }
                | VourityError::InvalidApiKey
                | VourityError::InvalidWebhookUrl { .. }
                | VourityError::MerchantNotAllowed
                | VourityError::PointOfServiceNotFound
        )
    }
}

impl crate::http::ApiProblem for VourityError {
    fn problem(&self) -> crate::http::ProblemCode {
        use crate::http::ProblemCode;
        match self {
            VourityError::InvalidSubscriptionKey { .. } => ProblemCode::Unauthorized,
            VourityError::InvalidApiKey => ProblemCode::Unauthorized,
            VourityError::MerchantNotAllowed => ProblemCode::Forbidden,
            VourityError::PointOfServiceNotFound => ProblemCode::NotFound,
            _ => ProblemCode::ProviderError,
        }
    }
}
