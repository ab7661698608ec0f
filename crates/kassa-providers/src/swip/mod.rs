//! SWiP POS API v3 (seeds/003): QR and app payments with SWiP loyalty.
//!
//! The till creates an order ([`Client::create_order`]) and shows or prints its
//! `sessionCode` as a QR; the customer pays in the SWiP app (or pays cash or card at the
//! till after SWiP's loyalty calculation); the till polls the order
//! ([`Client::get_order`]) until `paid` covers it, then closes it once with the amount
//! taken ([`Client::close_order`], `ROUNDED` for a rounded cash total), or cancels it
//! with amount 0 ([`Client::cancel_order`]) after the document's 90 seconds. A closed
//! order is refunded ([`Client::refund`], partial refunds any number of times) or, while
//! the funds are on hold, reversed ([`Client::reverse`]). [`Client::loyalty_calculation`]
//! asks for the anonymous discount of a basket. The bank's `slip` ([`BankSlip`]) is
//! printed on the receipt.
//!
//! Every request carries `Authorization: Bearer <token>`, `X-Merchant-ID`,
//! `X-Store-ID`, `X-Cash-ID` and `Api-Version: 3`.
//!
//! Readings of the document (summarised in the crate README):
//! - SWiP's bodies carry no currency: the merchant account's currency is a setting, and
//!   every amount is checked against its minor units.
//! - Close and cancel share `POST /orders/{id}/actions/close`; cancel sends
//!   `{"amount":0.0}` (the body is optional; absent means cancel).
//! - The HTTP table gives 400 the code `unauthorized`: a slip; a 400 is a validation
//!   failure and the body's numbered `code` decides. Error codes may come as numbers
//!   (the error object) or as the HTTP table's names; both map to [`SwipError`].
//! - 5xx and 429 stay `CallError::Status` whatever the body says, so that a server error
//!   leaves the outcome unknown and a 429 keeps its Retry-After.
//! - Refunds and reverses that SWiP refuses come as `{"status":"FAIL","code":n}` (the
//!   shape of their response example) or as an error object; both map to [`SwipError`].
//!   A status other than SUCCESS or FAIL leaves the outcome unknown.
//! - The refund and reverse tables call `merchantId`/`merchantOrderId` path parameters;
//!   the paths have no placeholders and the examples put them in the body.
//!   `merchantId` is the merchant's code (the `X-Merchant-ID` value).
//! - `posType`'s list of values is elided: it is a setting (what SWiP registered the
//!   till as).
//! - `test_connection` asks for an order that does not exist: "not found" proves the
//!   credentials, 401 disproves them.

mod client;
mod error;
pub mod wire;

pub use client::{Client, SwipResult};
pub use error::{ErrorCodeText, SwipError};
pub use wire::{
    BankSlip, CloseOrderRequest, CloseTag, CreateOrderRequest, DiscountCalcResult, DiscountLine, ErrorBody,
    ErrorCode, FieldError, LoyaltyCalculation, LoyaltyCalculationRequest, OperationResult, OperationStatus,
    Order, OrderAmounts, OrderStatus, PaymentMethod, PaymentSystem, Purchase, RefundRequest, ReverseRequest,
    Unit,
};

use crate::Field;

/// The provider's name in settings errors.
const PROVIDER: &str = "SWiP";

const FIELD_LIST: [Field; 6] = [
    Field {
        key: "token",
        label: "Token (Authorization: Bearer)",
        secret: true,
        example: "8c6b8b64-6815-6084-0a3e-178401251b68",
    },
    Field {
        key: "merchant_id",
        label: "Merchant ID (X-Merchant-ID)",
        secret: false,
        example: "ABCD",
    },
    Field {
        key: "store_id",
        label: "Store ID (X-Store-ID)",
        secret: false,
        example: "Test storeID",
    },
    Field {
        key: "cash_id",
        label: "Till ID (X-Cash-ID)",
        secret: false,
        example: "1231",
    },
    Field {
        key: "pos_type",
        label: "POS type, as SWiP registered this till (posType)",
        secret: false,
        example: "RKEEPER",
    },
    Field {
        key: "currency",
        label: "Currency of the SWiP merchant account (ISO code)",
        secret: false,
        example: "EUR",
    },
];

/// What a manager enters for SWiP (the base URL apart).
pub const FIELDS: &[Field] = &FIELD_LIST;
