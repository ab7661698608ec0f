//! Typed clients of the provider APIs Kassa talks to, one module per published document
//! (`../shared/seeds/`, mapped in this crate's README):
//!
//! | module | document |
//! |---|---|
//! | [`vourity`] | Vourity Partners API: the cloud card terminal |
//! | [`venue_manager`] | Venue Manager shop API (Core): customers, orders, catalog, invoices, vouchers, loyalty |
//! | [`flexiti`] | Flexiti POS API v2.5.1: consumer financing |
//! | [`swip`] | SWiP POS API v3: QR / app payments and loyalty |
//! | [`droppay`] | DropPay Shop API v1: registering this app as a POS device |
//!
//! Each provider module is split the way a payment connector is split from its
//! transformers: `client.rs` knows the base URL, headers, authentication, timeouts and how
//! statuses and error bodies map to typed errors; `wire.rs` holds the request and response
//! bodies exactly as the document spells them, with conversions to and from `kassa-core`
//! types. Where a document is ambiguous or elided, the reading chosen is written next to
//! the code that depends on it, and the emulator in `kassa-sandbox` behaves the same way.
//!
//! Rules every module keeps:
//! - amounts are read from the JSON number's own text into a `Decimal` and checked
//!   against the currency's minor units ([`amount`]); never through `f64`;
//! - a status or enum value the document does not list becomes an explicit `Unknown`
//!   variant carrying the text, never a panic or a silent default;
//! - credentials are [`Secret`]s, which print as a mask in `Debug` and `Display`;
//! - every call returns [`CallError`], which tells a failure that left nothing changed
//!   at the provider from one whose outcome is unknown ([`CallError::outcome_unknown`]).

#[macro_use]
mod open_enum;

pub mod amount;
pub mod http;
mod secret;
pub mod settings;

pub mod droppay;
pub mod flexiti;
pub mod swip;
pub mod venue_manager;
pub mod vourity;

pub use http::{CallError, HttpClient, TransportError, TransportErrorKind};
pub use secret::Secret;
pub use settings::{Field, Settings, SettingsError};
