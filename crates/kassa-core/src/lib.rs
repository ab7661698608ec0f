//! Kassa's domain types and rules: money with its currency, countries, cash rounding,
//! VAT, barcodes, cart pricing, the receipt document, the fiscal journal's hash chain and
//! the payment interface. No I/O: everything here is a pure function of its inputs, so
//! the same rules hold in the till, the CLI, the exports and the tests.
//!
//! Money is never a float. Amounts are exact [`rust_decimal::Decimal`]s tied to a
//! [`Currency`], parsed from and written as decimal strings, and stored as minor units.
//!
//! ```
//! use kassa_core::{CashRounding, Currency, Money, VatBreakdown, VatRate};
//!
//! let food: VatRate = "12".parse().unwrap();
//! let lines = [(food, Money::parse("99.90", Currency::SEK).unwrap())];
//! let vat = VatBreakdown::from_gross_lines(Currency::SEK, lines).unwrap();
//! assert_eq!(vat.vat().to_string(), "10.70 SEK");
//!
//! let cash = CashRounding::for_currency(Currency::SEK).apply(&vat.gross());
//! assert_eq!(cash.rounded.to_string(), "100.00 SEK");
//! assert_eq!(cash.adjustment.to_string(), "0.10 SEK");
//! ```

pub mod barcode;
pub mod cart;
mod country;
mod currency;
pub mod journal;
mod money;
pub mod org;
pub mod payment;
pub mod receipt;
mod rounding;
mod text;
mod vat;

pub use barcode::{
    Barcode, BarcodeError, InvalidMeasureConfig, MeasureKind, VariableMeasureConfig, gtin_check_digit,
    validate_product_code,
};
pub use cart::{CartError, CartLine, Discount, PricedCart, PricedLine, price_cart, price_cart_with_loyalty};

pub use country::{Country, UnknownCountry};
pub use currency::{Currency, UnknownCurrency};
pub use journal::{
    Anchor, ChainError, ChainHash, ChainSummary, InvalidChainHash, SafTFieldError, SafTSignatureFields,
    StoredRecord, canonical_json, chain_hash, verify_chain,
};
pub use money::{Money, MoneyError};
pub use payment::{
    InvalidPaymentReference, InvalidTransition, PaymentError, PaymentMethod, PaymentOperation,
    PaymentOutcome, PaymentPurpose, PaymentReference, PaymentRequest, PaymentState,
};
pub use receipt::{
    Columns, Receipt, ReceiptCode, ReceiptCodeError, ReceiptKind, ReceiptLanguage, ReceiptLine,
    ReceiptTender, ReceiptVatLine, render_text,
};
pub use rounding::{CashRounded, CashRounding, InvalidCashStep};
pub use text::DecimalTextError;
pub use vat::{InvalidVatRate, InvalidVatRateReason, VatBreakdown, VatLine, VatRate};

// Re-exported so callers name the same Decimal type Kassa's amounts use.
pub use rust_decimal::Decimal;
