//! DropPay's documented errors as messages a manager can act on.
//!
//! The document's "Errors handling" points to DropPay Common Errors
//! (developers.drop-pay.com/API/errors): a failure is a status, optionally detailed by
//! the Error Info payload `{"code": "1xx", "description"}` when the answer is
//! `Content-Type: application/json`; without that header there is no body. The codes,
//! per status, in the global context (1xx):
//!
//! | status | code | variant |
//! |---|---|---|
//! | 400 | 100 Missing arguments | [`DropPayError::MissingArguments`] |
//! | 400 | 101 Wrong arguments | [`DropPayError::WrongArguments`] |
//! | 400 | 102 Wrong date/time format or value | [`DropPayError::WrongDateTime`] |
//! | 400 | 103 Wrong public id | [`DropPayError::WrongPublicId`] |
//! | 400 | 104 Invalid IBAN code | [`DropPayError::InvalidIban`] |
//! | 400 | 105 Invalid VAT code | [`DropPayError::InvalidVatCode`] |
//! | 400 | 106 Invalid TAX code | [`DropPayError::InvalidTaxCode`] |
//! | 401 | 100 Wrong login credentials | [`DropPayError::WrongCredentials`] |
//! | 401 | 101 Request is out of allowed scope | [`DropPayError::OutOfScope`] |
//! | 401 | 102 Access token is bad or expired, or no body | [`DropPayError::TokenExpired`] |
//! | 403 | 100 Bad signature | [`DropPayError::BadSignature`] |
//! | 403 | 101 Access denied to the requested resource, or no body | [`DropPayError::AccessDenied`] |
//! | 404 | any, or no body | [`DropPayError::NotFound`] |
//! | 405 | any, or no body | [`DropPayError::MethodNotAllowed`] |

/// A documented DropPay failure.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DropPayError {
    /// 400/100.
    #[error("DropPay says arguments are missing: {description}")]
    MissingArguments {
        /// DropPay's description.
        description: String,
    },
    /// 400/101.
    #[error("DropPay refused the arguments: {description}")]
    WrongArguments {
        /// DropPay's description.
        description: String,
    },
    /// 400/102.
    #[error("DropPay refused a date or time: {description}")]
    WrongDateTime {
        /// DropPay's description.
        description: String,
    },
    /// 400/103: a brand, store or POS id that is not a DropPay public id.
    #[error(
        "DropPay does not accept an id as a public id; check the brand, store and POS ids in the DropPay settings: {description}"
    )]
    WrongPublicId {
        /// DropPay's description.
        description: String,
    },
    /// 400/104.
    #[error("DropPay refused an IBAN code")]
    InvalidIban,
    /// 400/105.
    #[error("DropPay refused a VAT code")]
    InvalidVatCode,
    /// 400/106.
    #[error("DropPay refused a tax code")]
    InvalidTaxCode,
    /// 400 without a known code.
    #[error("DropPay refused the request as malformed")]
    BadRequest,
    /// 401/100.
    #[error("DropPay refused the login credentials; paste a new user access token in the DropPay settings")]
    WrongCredentials,
    /// 401/101: the token is valid but lacks the POS scope.
    #[error(
        "the DropPay access token does not allow managing POS devices; create one with the POS scope and paste it in the DropPay settings"
    )]
    OutOfScope,
    /// 401/102 (or 401 with no body): the token is bad or expired. The document gives no
    /// way to refresh a user access token, so the manager pastes a new one.
    #[error(
        "the DropPay access token is not valid or has expired; paste a new user access token in the DropPay settings"
    )]
    TokenExpired,
    /// 403/100.
    #[error("DropPay refused the request's signature")]
    BadSignature,
    /// 403/101 (or 403 with no body): the brand, store or POS is not this user's, or is
    /// deleted and can no longer be changed.
    #[error("DropPay denied access to this brand, store or POS device: {description}")]
    AccessDenied {
        /// DropPay's description, if any.
        description: String,
    },
    /// 404: no such brand, store or POS device.
    #[error("DropPay has no such brand, store or POS device; check the ids in the DropPay settings")]
    NotFound,
    /// 405.
    #[error("DropPay does not allow this method here")]
    MethodNotAllowed,
    /// A status and code the Common Errors do not list.
    #[error("DropPay answered HTTP {status} with error {code}: {description}")]
    Unknown {
        /// HTTP status.
        status: u16,
        /// The code as sent.
        code: String,
        /// The description as sent.
        description: String,
    },
}

impl DropPayError {
    /// The typed error for a status and, when the answer had one, its Error Info code and
    /// description. `None` for a status the Common Errors do not list without a body.
    pub fn from_status(status: u16, info: Option<(&str, &str)>) -> Option<DropPayError> {
        let description = info.map(|(_, text)| text.to_owned()).unwrap_or_default();
        let error = match (status, info.map(|(code, _)| code.trim())) {
            (400, Some("100")) => DropPayError::MissingArguments { description },
            (400, Some("101")) => DropPayError::WrongArguments { description },
            (400, Some("102")) => DropPayError::WrongDateTime { description },
            (400, Some("103")) => DropPayError::WrongPublicId { description },
            (400, Some("104")) => DropPayError::InvalidIban,
            (400, Some("105")) => DropPayError::InvalidVatCode,
            (400, Some("106")) => DropPayError::InvalidTaxCode,
            (400, None) => DropPayError::BadRequest,
            (401, Some("100")) => DropPayError::WrongCredentials,
            (401, Some("101")) => DropPayError::OutOfScope,
            (401, Some("102") | None) => DropPayError::TokenExpired,
            (403, Some("100")) => DropPayError::BadSignature,
            (403, Some("101") | None) => DropPayError::AccessDenied { description },
            (404, _) => DropPayError::NotFound,
            (405, _) => DropPayError::MethodNotAllowed,
            (status, Some(code)) => DropPayError::Unknown {
                status,
                code: code.to_owned(),
                description,
            },
            (_, None) => return None,
        };
        Some(error)
    }

    /// Whether the manager must paste a new access token.
    pub fn needs_new_token(&self) -> bool {
        matches!(
            self,
            DropPayError::TokenExpired | DropPayError::WrongCredentials | DropPayError::OutOfScope
        )
    }
}

impl crate::http::ApiProblem for DropPayError {
    fn problem(&self) -> crate::http::ProblemCode {
        use crate::http::ProblemCode;
        match self {
            DropPayError::WrongCredentials => ProblemCode::Unauthorized,
            DropPayError::TokenExpired => ProblemCode::Unauthorized,
            DropPayError::BadSignature => ProblemCode::Unauthorized,
            DropPayError::AccessDenied { .. } => ProblemCode::Forbidden,
            DropPayError::OutOfScope => ProblemCode::Forbidden,
            DropPayError::NotFound => ProblemCode::NotFound,
            _ => ProblemCode::ProviderError,
        }
    }
}
