//! The error answers the Venue Manager document describes, per endpoint, as sentences a
//! cashier or manager understands.

use super::wire::{ErrorBody, ErrorCode};

/// A documented error answer of the Venue Manager shop API. Each carries the shop's own
/// message (`error`), which is often Danish and shown as it came.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VenueManagerError {
    /// `GET /test/forbidden` (403): the demo endpoint that always fails.
    #[error("the shop refused the demo call, as it always does: {message}")]
    DemoForbidden {
        /// The shop's message.
        message: String,
        /// The code sent (1984 in the document).
        code: Option<ErrorCode>,
    },
    /// A required argument is missing or empty (400 on customer, token, order and
    /// loyalty calls).
    #[error("the shop rejected the request: {message}")]
    InvalidRequest {
        /// The shop's message (`Argument 'password' missing or empty.`).
        message: String,
        /// The code sent.
        code: Option<ErrorCode>,
    },
    /// `POST /customer/{customerId}` (400): "Addressfield could not be updated."
    #[error("the customer's address could not be updated: {message}")]
    AddressNotUpdated {
        /// The shop's message.
        message: String,
    },
    /// 401 on a customer call: the customer token is missing, invalid or expired.
    #[error(
        "the customer is not logged in at the shop (the token is invalid or expired; log in again): {message}"
    )]
    NotLoggedIn {
        /// The shop's message (`Invalid token`, `No customer logged in.`).
        message: String,
    },
    /// `POST /customer/token` (401): wrong username or password.
    #[error("the shop does not accept that username and password: {message}")]
    LoginFailed {
        /// The shop's message.
        message: String,
    },
    /// `POST /customer/updatePass` (400, code 1001): the old password is wrong.
    #[error("the current password is wrong: {message}")]
    WrongOldPassword {
        /// The shop's message (`Den gamle adgangskode er forkert`).
        message: String,
    },
    /// `POST /customer/resetpass` (404): no customer has that username.
    #[error("the shop knows no customer with that username: {message}")]
    UnknownUsername {
        /// The shop's message (`Ukendt brugernavn.`).
        message: String,
    },
    /// `POST /customer/anonymize` (400, code 1000).
    #[error("the customer cannot be anonymized: {message}")]
    CannotBeAnonymized {
        /// The shop's message, naming the reasons.
        message: String,
    },
    /// `POST /order` (400): the order was not created.
    #[error("the shop did not accept the order: {message}")]
    OrderRejected {
        /// The shop's message.
        message: String,
        /// The code sent.
        code: Option<ErrorCode>,
    },
    /// `POST /order/ordertransaction/savedcard/{cardId}` (400): "Failed to pay the order".
    #[error("the saved card payment failed: {message}")]
    PaymentFailed {
        /// The shop's message (`Rejected by acquirer`).
        message: String,
    },
    /// `GET /catalog/product/{id}` (404): no such product.
    #[error("the shop has no product {product_id}: {message}")]
    UnknownProduct {
        /// The product asked for.
        product_id: u64,
        /// The shop's message.
        message: String,
    },
    /// 401 on an invoice call: the API user's name or password is wrong.
    #[error(
        "the shop does not accept the API user (check the API user name and password in the provider settings): {message}"
    )]
    ApiUserRejected {
        /// The shop's message.
        message: String,
    },
    /// `GET /invoice` (400): "format is not valid. Must be json or xml."
    #[error("the shop rejected the invoice request's format or paging: {message}")]
    InvalidInvoiceQuery {
        /// The shop's message.
        message: String,
    },
    /// `GET /invoice` (404): "afterNumber is not a known invoice."
    #[error("the shop knows no invoice number {after_number} to continue after: {message}")]
    UnknownInvoiceNumber {
        /// The `afterNumber` sent.
        after_number: u64,
        /// The shop's message.
        message: String,
    },
    /// `PUT /invoice/markAsPaidByExternalId/{externalId}` (404).
    #[error("the shop knows no invoice with external ID {external_id:?}: {message}")]
    UnknownExternalId {
        /// The external ID sent.
        external_id: String,
        /// The shop's message.
        message: String,
    },
    /// `PUT /invoice/markAsPaidByExternalId/{externalId}` (406).
    #[error(
        "the external ID {external_id:?} belongs to more than one invoice at the shop; mark it paid in the shop's back office: {message}"
    )]
    AmbiguousExternalId {
        /// The external ID sent.
        external_id: String,
        /// The shop's message.
        message: String,
    },
    /// `POST /loyalty/barcode/registerUsage` (403, code 1001).
    #[error("the loyalty barcode is no longer valid: {message}")]
    LoyaltyBarcodeExpired {
        /// The shop's message.
        message: String,
    },
    /// `POST /loyalty/barcode/registerUsage` (403, code 1002).
    #[error("the loyalty barcode has already been used: {message}")]
    LoyaltyBarcodeUsed {
        /// The shop's message.
        message: String,
    },
    /// `POST /loyalty/barcode/registerUsage` (404, code 1000).
    #[error("the shop does not know that loyalty barcode: {message}")]
    UnknownLoyaltyBarcode {
        /// The shop's message (`Unknown loyalty barcode: XYZ1234`).
        message: String,
    },
    /// `GET /voucher/code` and `POST /voucher/code/redeem` (404).
    #[error("the shop does not know that voucher code: {message}")]
    UnknownVoucherCode {
        /// The shop's message.
        message: String,
    },
    /// `POST /voucher/code/redeem` (403).
    #[error("the voucher code has already been redeemed: {message}")]
    VoucherAlreadyRedeemed {
        /// The shop's message.
        message: String,
    },
    /// An error body at a status or with a code the document does not give for this
    /// endpoint.
    #[error("the shop answered HTTP {status}{}: {message}", code_hint(.code))]
    Unknown {
        /// The HTTP status.
        status: u16,
        /// The code sent.
        code: Option<ErrorCode>,
        /// The shop's message.
        message: String,
    },
}

fn code_hint(code: &Option<ErrorCode>) -> String {
    match code {
        Some(code) => format!(" (error code {code})"),
        None => String::new(),
    }
}

impl VenueManagerError {
    /// The error for an error body that matches nothing documented.
    pub(crate) fn unknown(status: u16, body: ErrorBody) -> VenueManagerError {
        VenueManagerError::Unknown {
            status,
            code: body.error_code,
            message: body.error,
        }
    }
}

impl crate::http::ApiProblem for VenueManagerError {
    fn problem(&self) -> crate::http::ProblemCode {
        use crate::http::ProblemCode;
        match self {
            VenueManagerError::ApiUserRejected { .. } => ProblemCode::Unauthorized,
            VenueManagerError::NotLoggedIn { .. } => ProblemCode::Unauthorized,
            VenueManagerError::LoginFailed { .. } => ProblemCode::Unauthorized,
            VenueManagerError::DemoForbidden { .. } => ProblemCode::Forbidden,
            _ => ProblemCode::ProviderError,
        }
    }
}
