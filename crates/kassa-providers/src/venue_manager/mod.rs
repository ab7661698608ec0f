//! Venue Manager shop API, Core (seeds/001): the shop back end of a venue. Kassa uses it
//! for the shop's customers and their tokens, orders and order transactions, the catalog
//! (imported into Kassa's own), invoices and credit notes (read in number order with
//! `afterNumber`, in JSON or XML) and marking them paid, loyalty barcodes and vouchers.
//!
//! Authentication is twofold: the shop's API user over HTTP Basic for the invoice
//! endpoints ([`FIELDS`]), and per-customer JSON Web Tokens (`Authorization: Bearer`) for
//! everything a customer does. Customer tokens come from [`Client::create_token`],
//! [`Client::create_customer`] or [`Client::create_guest_token`], live in a
//! [`crate::Secret`] in memory, and are never stored.
//!
//! Readings of the document (also in the crate README, and as `// Reading:` comments next
//! to the code):
//! - `errorCode` is a number in most examples and a string (`"1001"`) in the loyalty
//!   ones: both are read, and compared by value.
//! - The `{"error": "Winston writes in his forbidden diary.", "errorCode": 1984}` bodies
//!   under many endpoints are the document's placeholder (copied from `/test/forbidden`):
//!   errors are told apart by status, and by code only where the document names codes
//!   (1001 for the old password; 1000 for anonymization; 1000/1001/1002 for loyalty).
//! - Every call with a customer token answers 401 for a missing or invalid token, also
//!   where the section does not show it; edit customer and change password send the
//!   token although their sections show no `Authorization` header.
//! - `GET /catalog/product/` names no product: the id goes in the path,
//!   `/catalog/product/{id}`.
//! - The two order transaction endpoints name no order: they pay the customer's most
//!   recent order with an amount outstanding.
//! - `POST /voucher/code/redeem` shows no body: it is `{"id": <code id>}`.
//! - `POST /customer/dataToken`'s body `token` is the simple token being extended.
//! - The "XML" example answer of `GET /invoice` is JSON; the real XML is in the schema's
//!   description and is what `format=xml` is read as.
//! - An invoice's `date` is `YYYY-MM-DD`; the JSON examples' `"2019"` is a split value.
//! - The shop has one currency, entered in the settings; an answer in another currency
//!   contradicts the request.
//! - Products give VAT as an amount; the catalog import derives the rate and accepts it
//!   only when exact and valid in the store's country ([`catalog`]).

pub mod catalog;
mod client;
mod error;
pub mod wire;

pub use catalog::{CatalogError, CatalogRow, catalog_row, catalog_rows};
pub use client::{Client, CreatedOrder, InvoiceFormat, PaymentStart, Result};
pub use error::VenueManagerError;

use crate::Field;

/// The provider's name in settings errors.
pub const PROVIDER: &str = "Venue Manager";

/// What a manager enters for a Venue Manager shop (besides the base URL).
pub const FIELDS: &[Field] = &[
    Field {
        key: "api_user",
        label: "API user",
        secret: false,
        example: "kassa-api",
    },
    Field {
        key: "api_password",
        label: "API user's password",
        secret: true,
        example: "(the API user's password)",
    },
    Field {
        key: "client_name",
        label: "Client name (clientName)",
        secret: false,
        example: "Kassa",
    },
    Field {
        key: "currency",
        label: "Shop currency",
        secret: false,
        example: "DKK",
    },
];
