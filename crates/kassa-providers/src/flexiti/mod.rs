//! Flexiti POS API v2.5.1 (seeds/002): consumer financing at the till, in CAD.
//!
//! The customer's Flexiti account is authorized for an amount ([`Client::authorize`]);
//! the till captures up to it ([`Client::capture`], one or more times), or buys in one
//! step by account number ([`Client::purchase`]); a capture is returned in full or in
//! part ([`Client::return_capture`]). [`Client::list_authorizations`],
//! [`Client::get_authorization`] and [`Client::list_captures`] read back, with the
//! document's filters and paging.
//!
//! Every request carries `authorization: Bearer <api key>` and `x-reference-id`, the
//! idempotency reference: the caller gives one per operation and sends the same one
//! again when retrying an operation whose outcome is unknown, so Flexiti answers the
//! first answer instead of acting twice.
//!
//! The document elides all but the base URL and three GET examples, and its JSON is
//! broken; the readings (summarised in the crate README):
//! - paths: `authorization` (create), `authorization/{authorization_id}/capture`,
//!   `authorization/{authorization_id}/capture/{capture_id}/return`,
//!   `account/{account_number}/purchase`, `authorizations`, `authorization/{id}`,
//!   `captures`, all below `/flexiti/pos-api/v2.5.1/client-id/{client_id}/`;
//! - the GET examples' `12343&lang=en` and `captures&lang=en` are read as `?lang=en`;
//! - `authorization` is `Bearer <api key>`; `x-reference-id` goes on every request
//!   (GETs get a fresh one) and deduplicates POSTs; a reused reference with another
//!   request is a conflict (409);
//! - the authorization request and every answer but the capture's are elided: see the
//!   types in [`wire`]; error answers are `{"status": code, "message": text}` ([`FlexitiError`]);
//! - Kassa is the in-store channel: `external_location_id` (a setting) and
//!   `external_employee_id` (the cashier) are always sent;
//! - 5xx and 429 stay `CallError::Status` (outcome unknown, Retry-After kept).

mod client;
mod error;
pub mod wire;

pub use client::{Client, FlexitiResult};
pub use error::FlexitiError;
pub use wire::{
    Authorization, AuthorizationFilter, AuthorizationPage, AuthorizationRequest, AuthorizationStatus,
    Capture, CaptureFilter, CapturePage, CaptureRequest, CaptureStatus, ErrorBody, PurchaseRequest, Return,
    ReturnRequest, ReturnStatus, SkuData, SkuProduct, TransactionType,
};

use crate::Field;

/// The provider's name in settings errors.
const PROVIDER: &str = "Flexiti";

const FIELD_LIST: [Field; 3] = [
    Field {
        key: "client_id",
        label: "Client ID (client_id in the paths)",
        secret: false,
        example: "acme-retail",
    },
    Field {
        key: "api_key",
        label: "API key (authorization header)",
        secret: true,
        example: "flx_live_…",
    },
    Field {
        key: "location_id",
        label: "Store location ID (external_location_id)",
        secret: false,
        example: "00-12345",
    },
];

/// What a manager enters for Flexiti (the base URL apart, which ends in
/// `/flexiti/pos-api/v2.5.1`).
pub const FIELDS: &[Field] = &FIELD_LIST;
