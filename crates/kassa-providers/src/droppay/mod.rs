//! DropPay Shop API v1, POS devices of type Application (seeds/004).
//!
//! Registers this app as a POS device of a merchant's brand and store, so that DropPay
//! payments can be taken with it: create ([`Client::create_pos`]), read
//! ([`Client::get_pos`]), update ([`Client::update_pos`]: disable for maintenance, move to
//! another Application Key) and soft-delete ([`Client::delete_pos`]). The merchant's
//! currency is EUR; this part of the API carries no amounts.
//!
//! # The access token
//!
//! Requests carry a *User Access Token* as `Authorization: Bearer`. How it is obtained
//! and refreshed is in DropPay's Authentication API, which the document only links. The
//! app therefore does not refresh it: when DropPay answers 401 (code 102 "Access token is
//! bad or expired", or a 401 without body) the call fails with
//! [`DropPayError::TokenExpired`], whose message tells the manager to paste a new user
//! access token in the DropPay settings; 401/101 ([`DropPayError::OutOfScope`]) asks for
//! a token with the POS scope. [`DropPayError::needs_new_token`] tells the UI to open
//! the settings.
//!
//! # A create whose answer was lost
//!
//! There is no endpoint that lists a store's POS devices and no idempotency key, and one
//! Application may be a POS in several stores, so nothing can find the device a lost
//! create made, and sending the create again may make a second one. Such a failure has
//! [`CallError::outcome_unknown`](crate::CallError::outcome_unknown) true (the request was
//! sent; no answer, a 5xx or an unreadable 2xx came back). The app must then not retry:
//! it asks the manager to look at the store's devices in the DropPay back office and
//! enter the POS id, or confirm that none was made.
//!
//! # Readings
//!
//! - Success statuses: 200 (or 201) for POST, 200 for GET and PATCH, 204 for DELETE.
//! - Errors: the document refers to DropPay Common Errors; their status/code table and
//!   Error Info payload `{"code", "description"}` are in [`error`]. A failure without
//!   `Content-Type: application/json` has no body and is typed by its status alone.
//!   The emulator answers: 400/100 missing device or ref, 400/101 wrong type, status or
//!   an Application Key DropPay does not know, 400/103 an id that is not a public id,
//!   401/101 a token without the POS scope, 401/102 a missing, wrong or expired token,
//!   403/101 a brand or store not the user's and any change to a deleted POS, 404 an
//!   unknown brand, store or POS.
//! - A deleted POS: "deletion is not physical"; GET still answers 200, with status
//!   `DELETED` (the document names no status for it); PATCH and DELETE on it are 403/101.
//! - The same Application Key may be registered again, in the same store or another
//!   ("One Application, multiple POS"): no deduplication, each create makes a new POS.
//! - The example answers' trailing comma after `payable_account` is a typo; `logo` (the
//!   examples) and `image` (the entity) are both read; `business_categories` and
//!   `georef.lat`/`lon` are taken as numbers or strings, kept as their exact text.
//! - `device.name` and `description` are the Application's as registered with DropPay;
//!   the request sends only `type` and `ref`.
//! - GET and DELETE send the examples' `Content-Type: application/x-www-form-urlencoded`
//!   with no body.

mod client;
pub mod error;
pub mod wire;

pub use client::{Client, Config, PROBE_POS_ID, PosUpdate, Result};
pub use error::DropPayError;
pub use wire::{Brand, Device, DeviceType, EntityStatus, Place, Pos, PosStatus, Store};

use crate::settings::Field;

/// The provider's name in messages.
pub const PROVIDER: &str = "DropPay";

/// The currency of DropPay merchants.
pub const CURRENCY: kassa_core::Currency = kassa_core::Currency::EUR;

/// What a manager enters for DropPay (the base URL apart). The device's own `pos_id` is
/// not among them: it is what [`Client::create_pos`] answers, and the app keeps it with
/// the POS device and passes it in the settings as `pos_id` once registered.
pub const FIELDS: &[Field] = &[
    Field {
        key: "access_token",
        label: "User access token",
        secret: true,
        example: "ac9185e9f2984867b11069fd2881ff1a",
    },
    Field {
        key: "brand_id",
        label: "Brand ID (brand_id)",
        secret: false,
        example: "BRNC8K195PZ1Q",
    },
    Field {
        key: "store_id",
        label: "Store ID (store_id)",
        secret: false,
        example: "STRX88DHT129M",
    },
    Field {
        key: "application_key",
        label: "Application Key (device ref)",
        secret: false,
        example: "0385a889-03b2-4bac-ac5e-710042b2ba27",
    },
];
