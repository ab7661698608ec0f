//! SWiP's bodies as the document spells them (camelCase), and conversions to Kassa money.
//!
//! The document's examples carry `//` comments, trailing commas and, in the get-order
//! example, a stray `"private boolean": "cash"` key; the types read the repaired
//! examples, and ignore unknown keys as the document asks ("The order object can
//! contain other fields that the POS is not using yet. They should be ignored.").

use std::fmt;

use kassa_core::{Currency, Money};
use rust_decimal::Decimal;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::amount::{AmountError, to_money};

open_enum! {
    /// `orderStatus`: the document lists OPEN and CLOSED.
    OrderStatus {
        /// Created, waiting for payment and the till's close.
        Open => "OPEN",
        /// Closed by the till (amount > 0), cancelled (amount 0) or timed out.
        Closed => "CLOSED",
    }
}

open_enum! {
    /// `paymentMethod`. Reading: the document's list of values is empty ("Possible
    /// values:" and nothing); CARD is the one its examples use.
    PaymentMethod {
        /// A bank card in the SWiP app.
        Card => "CARD",
    }
}

open_enum! {
    /// `paymentSystem`. Reading: the list is elided; the examples use AMEX, and the
    /// usual card schemes are named so a till can show them.
    PaymentSystem {
        /// American Express.
        Amex => "AMEX",
        /// Visa.
        Visa => "VISA",
        /// Mastercard.
        Mastercard => "MASTERCARD",
        /// Mir, the Russian national payment system.
        Mir => "MIR",
    }
}

open_enum! {
    /// `unit` of a purchase: LITERS, KILOGRAMS, PIECES. The examples send `"string"`,
    /// which is read as `Unknown("string")`.
    Unit {
        /// Litres.
        Liters => "LITERS",
        /// Kilograms.
        Kilograms => "KILOGRAMS",
        /// Pieces.
        Pieces => "PIECES",
    }
}

open_enum! {
    /// A tag of the close request.
    CloseTag {
        /// The close amount is the cash total rounded (by less than one unit).
        Rounded => "ROUNDED",
    }
}

open_enum! {
    /// `status` of a refund or reverse answer: SUCCESS or FAIL.
    OperationStatus {
        /// Done.
        Success => "SUCCESS",
        /// Refused; `code` and `description` say why.
        Fail => "FAIL",
    }
}

/// The bank slip: "Formatted text (80 symbols in width) with bank information about the
/// payment", to print on the customer's receipt as it is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct BankSlip(pub String);

impl BankSlip {
    /// The width the document gives the slip.
    pub const WIDTH: usize = 80;

    /// The slip's lines, each cut to [`BankSlip::WIDTH`] characters so a line the bank
    /// made too long cannot break the receipt layout.
    pub fn lines(&self) -> impl Iterator<Item = String> + '_ {
        self.0
            .lines()
            .map(|line| line.chars().take(Self::WIDTH).collect())
    }
}

/// One purchase, in an order (request and answer) and in a loyalty calculation.
///
/// Reading: the create-order table marks `name` and `amount` required and `id` not,
/// while the Order object's table does the opposite; one type with all of them
/// optional reads both, and [`Purchase::new`] fills what the request needs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Purchase {
    /// Product ID in the SWiP system.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// SWiP's loyalty for this purchase ("under development").
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "crate::amount::option_number"
    )]
    pub discount: Option<Decimal>,
    /// Description of the purchase.
    #[serde(default)]
    pub name: Option<String>,
    /// The parent product (for a modifier).
    #[serde(default)]
    pub parent_id: Option<String>,
    /// The product's ID in the merchant's system.
    #[serde(default)]
    pub product_id: Option<String>,
    /// Pieces, kilograms or litres.
    #[serde(with = "crate::amount::number")]
    pub quantity: Decimal,
    /// The unit of `quantity`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<Unit>,
    /// The unit price.
    #[serde(with = "crate::amount::number")]
    pub price: Decimal,
    /// `price * quantity`.
    #[serde(default, with = "crate::amount::option_number")]
    pub amount: Option<Decimal>,
    /// The minimal retail price (only with `positionalDiscount: true`).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "crate::amount::option_number"
    )]
    pub mrp: Option<Decimal>,
}

impl Purchase {
    /// A purchase of `quantity` at `price`, its amount rounded to the currency's minor
    /// units.
    pub fn new(name: impl Into<String>, quantity: Decimal, unit: Unit, price: Money) -> Purchase {
        let amount = (price.amount() * quantity).round_dp(price.currency().minor_units());
        Purchase {
            id: None,
            discount: None,
            name: Some(name.into()),
            parent_id: None,
            product_id: None,
            quantity,
            unit: Some(unit),
            price: price.amount(),
            amount: Some(amount),
            mrp: None,
        }
    }
}

/// The body of `POST /orders`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateOrderRequest {
    /// Number of guests.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guests: Option<u32>,
    /// Cashier name.
    pub merchant_cashier: String,
    /// Cashier ID.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub merchant_cashier_id: Option<String>,
    /// The order's ID in Kassa; a new one for every order, even a repeated basket.
    pub merchant_order_id: String,
    /// The number printed on the receipt.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub merchant_order_number: Option<String>,
    /// Where the order comes from. Reading: the list of values is elided; the value is
    /// the one SWiP registered for the till (a setting), RKEEPER in the example.
    pub pos_type: String,
    /// The basket.
    pub purchases: Vec<Purchase>,
    /// Sale date, milliseconds since 1970-01-01.
    pub sale_date: i64,
    /// The QR text; Kassa leaves it out and SWiP fills it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_code: Option<String>,
    /// The amount after discounts.
    #[serde(with = "crate::amount::number")]
    pub total: Decimal,
    /// The amount before discounts.
    #[serde(with = "crate::amount::number")]
    pub total_original: Decimal,
    /// Positional discount (lets `mrp` apply).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub positional_discount: Option<bool>,
}

/// The Order object, as every order endpoint answers it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Order {
    /// The API version the order was paid with.
    #[serde(default)]
    pub api_version: Option<i64>,
    /// The payment system's authorization code.
    #[serde(default)]
    pub authorization_code: Option<String>,
    /// Paid by an alternative method (cash, the till's card terminal).
    #[serde(default)]
    pub cash: Option<bool>,
    /// The amount the order was closed with (0 until closed, and when cancelled).
    #[serde(default, with = "crate::amount::option_number")]
    pub close_amount: Option<Decimal>,
    /// The customer who paid.
    #[serde(default)]
    pub customer_id: Option<String>,
    /// The customer's discount card in SWiP.
    #[serde(default)]
    pub discount_card: Option<String>,
    /// The last payment error, as text.
    #[serde(default)]
    pub error: Option<String>,
    /// The order's ID in SWiP. Reading: "false" in the Required column means the POS
    /// does not fill it; every answer carries it, and Kassa needs it to poll and close.
    pub id: String,
    /// The till (from `X-Cash-ID`).
    #[serde(default)]
    pub merchant_cash: Option<String>,
    /// Cashier name.
    #[serde(default)]
    pub merchant_cashier: Option<String>,
    /// Cashier ID.
    #[serde(default)]
    pub merchant_cashier_id: Option<String>,
    /// The merchant's line of business.
    #[serde(default)]
    pub merchant_category: Option<String>,
    /// The merchant's external commission.
    #[serde(default, with = "crate::amount::option_number")]
    pub merchant_commission: Option<Decimal>,
    /// The merchant's discount (in the close answer).
    #[serde(default, with = "crate::amount::option_number")]
    pub merchant_discount: Option<Decimal>,
    /// The merchant's code in SWiP (the `X-Merchant-ID` value).
    #[serde(default)]
    pub merchant_id: Option<String>,
    /// The merchant's name.
    #[serde(default)]
    pub merchant_name: Option<String>,
    /// The order's ID in Kassa.
    pub merchant_order_id: String,
    /// The number printed on the receipt.
    #[serde(default)]
    pub merchant_order_number: Option<String>,
    /// Image in the merchant's profile.
    #[serde(default)]
    pub merchant_profile_image_id: Option<String>,
    /// The store (from `X-Store-ID`).
    #[serde(default)]
    pub merchant_store: Option<String>,
    /// The order number at the acquiring bank.
    #[serde(default)]
    pub order_number: Option<String>,
    /// OPEN or CLOSED. Reading: Required "false", but an order without a status cannot
    /// be followed, so an answer without one is refused as malformed.
    pub order_status: OrderStatus,
    /// What the customer paid in the app, once the bank confirmed it.
    #[serde(default, with = "crate::amount::option_number")]
    pub paid: Option<Decimal>,
    /// Masked card number.
    #[serde(default)]
    pub pan: Option<String>,
    /// How the customer paid.
    #[serde(default)]
    pub payment_method: Option<PaymentMethod>,
    /// The card scheme.
    #[serde(default)]
    pub payment_system: Option<PaymentSystem>,
    /// The basket.
    #[serde(default)]
    pub purchases: Vec<Purchase>,
    /// What was refunded.
    #[serde(default, with = "crate::amount::option_number")]
    pub refunded: Option<Decimal>,
    /// The bank transaction's reference.
    #[serde(default)]
    pub rrn: Option<String>,
    /// Sale date, milliseconds since 1970-01-01.
    #[serde(default)]
    pub sale_date: Option<i64>,
    /// The QR text to show or print for the customer to scan.
    #[serde(default)]
    pub session_code: Option<String>,
    /// The bank slip to print.
    #[serde(default)]
    pub slip: Option<BankSlip>,
    /// SWiP's loyalty discount (in the close answer).
    #[serde(default, with = "crate::amount::option_number")]
    pub swip_discount: Option<Decimal>,
    /// The bank terminal.
    #[serde(default)]
    pub terminal_no: Option<String>,
    /// The amount after discounts.
    #[serde(with = "crate::amount::number")]
    pub total: Decimal,
    /// The amount before discounts.
    #[serde(with = "crate::amount::number")]
    pub total_original: Decimal,
    /// Paid in the app but not yet confirmed by the till's close (`paid >= unconfirmed`).
    #[serde(default, with = "crate::amount::option_number")]
    pub unconfirmed: Option<Decimal>,
}

/// An order's amounts as money, checked against the merchant's currency.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderAmounts {
    /// After discounts.
    pub total: Money,
    /// Before discounts.
    pub total_original: Money,
    /// Paid in the app (0 when absent).
    pub paid: Money,
    /// Paid in the app, not yet confirmed by a close (0 when absent).
    pub unconfirmed: Money,
    /// The close amount (0 when absent).
    pub close_amount: Money,
    /// Refunded so far (0 when absent).
    pub refunded: Money,
}

impl Order {
    /// The amounts as money in `currency`; an amount with more decimals than the
    /// currency has is refused.
    pub fn amounts(&self, currency: Currency) -> Result<OrderAmounts, AmountError> {
        let or_zero = |amount: Option<Decimal>| amount.unwrap_or(Decimal::ZERO);
        Ok(OrderAmounts {
            total: to_money("total", self.total, currency)?,
            total_original: to_money("totalOriginal", self.total_original, currency)?,
            paid: to_money("paid", or_zero(self.paid), currency)?,
            unconfirmed: to_money("unconfirmed", or_zero(self.unconfirmed), currency)?,
            close_amount: to_money("closeAmount", or_zero(self.close_amount), currency)?,
            refunded: to_money("refunded", or_zero(self.refunded), currency)?,
        })
    }

    /// Whether the customer has paid the whole total in the app.
    pub fn is_paid_in_full(&self) -> bool {
        self.paid.is_some_and(|paid| paid >= self.total)
    }
}

/// The body of `POST /orders/{id}/actions/close`, for closing and for cancelling
/// (`ConfirmOrderRequest` in the document).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CloseOrderRequest {
    /// The close amount; 0 cancels the order and gives the customer's payment back.
    #[serde(with = "crate::amount::number")]
    pub amount: Decimal,
    /// `ROUNDED` when the amount is the cash total rounded.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<CloseTag>,
}

/// The body of `POST /refunds`.
///
/// Reading: the table calls `merchantId` and `merchantOrderId` "path" parameters, but
/// the path has no placeholders and the example sends them in the body: they go in the
/// body. `merchantId` is "Merchant ID in the SWiP system"; the Order object's
/// `merchantId` holds the merchant's four-letter code (`VZLT`), the `X-Merchant-ID`
/// value, so that is what Kassa sends.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RefundRequest {
    /// The amount to give back.
    #[serde(with = "crate::amount::number")]
    pub amount: Decimal,
    /// The merchant.
    pub merchant_id: String,
    /// The order's ID in Kassa.
    pub merchant_order_id: String,
}

/// The body of `POST /reverses`; without `amount` the whole held amount is released.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReverseRequest {
    /// The amount to release.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "crate::amount::option_number"
    )]
    pub amount: Option<Decimal>,
    /// The merchant (see [`RefundRequest`]).
    pub merchant_id: String,
    /// The order's ID in Kassa.
    pub merchant_order_id: String,
}

/// The answer of `POST /refunds` and `POST /reverses`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OperationResult {
    /// SUCCESS or FAIL.
    pub status: OperationStatus,
    /// The bank slip to print.
    #[serde(default)]
    pub slip: Option<BankSlip>,
    /// Why it failed.
    #[serde(default)]
    pub description: Option<String>,
    /// SWiP's error code (0 on success).
    #[serde(default)]
    pub code: Option<ErrorCode>,
}

/// The body of `POST /loyalty-calculations`.
///
/// Reading: the table calls `merchantOrderId` a "path" parameter named "Unique order
/// ID"; the path has no placeholder and the example sends it in the body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LoyaltyCalculationRequest {
    /// The order's ID in Kassa.
    pub merchant_order_id: String,
    /// The basket.
    pub purchases: Vec<Purchase>,
    /// The order's total.
    #[serde(with = "crate::amount::number")]
    pub total: Decimal,
}

/// The answer of `POST /loyalty-calculations`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LoyaltyCalculation {
    /// The discount found.
    pub discount_calc_result: DiscountCalcResult,
    /// The total before the calculation.
    #[serde(with = "crate::amount::number")]
    pub total_before_calc: Decimal,
    /// The total after the discount.
    #[serde(with = "crate::amount::number")]
    pub total: Decimal,
}

/// The discount of a loyalty calculation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DiscountCalcResult {
    /// The discount before rounding.
    #[serde(with = "crate::amount::number")]
    pub discount_original: Decimal,
    /// The discount after rounding: what applies.
    #[serde(with = "crate::amount::number")]
    pub discount: Decimal,
    /// One line per loyalty program.
    #[serde(default)]
    pub lines: Vec<DiscountLine>,
}

/// One loyalty program's part of a discount.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DiscountLine {
    /// The program.
    pub program_id: i64,
    /// The program's description.
    #[serde(default)]
    pub description: Option<String>,
    /// This program's discount.
    #[serde(with = "crate::amount::number")]
    pub discount: Decimal,
}

/// The error object of a 4xx or 5xx answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ErrorBody {
    /// SWiP's error code.
    #[serde(default)]
    pub code: Option<ErrorCode>,
    /// The error's description.
    #[serde(default)]
    pub description: Option<String>,
    /// Field by field detail.
    #[serde(default)]
    pub field_errors: Vec<FieldError>,
}

/// One field's problem in an error object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FieldError {
    /// The field.
    #[serde(default)]
    pub field: Option<String>,
    /// What is wrong.
    #[serde(default)]
    pub message: Option<String>,
    /// The object it belongs to.
    #[serde(default)]
    pub object_name: Option<String>,
}

/// SWiP's error code. Reading: the error object's example carries a number (the
/// numbered table), while the HTTP table's "Error code" column names string codes
/// (`not_found`, `too_many_request`); both are read, and a number sent as a string
/// (`"28"`) counts as the number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ErrorCode {
    /// A code of the numbered table (or one it does not list).
    Number(i64),
    /// A string code of the HTTP table (or one it does not list).
    Name(String),
}

impl ErrorCode {
    /// Whether the code means "no error" (0, as in a SUCCESS answer).
    pub fn is_none(&self) -> bool {
        matches!(self, ErrorCode::Number(0))
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ErrorCode::Number(number) => write!(f, "{number}"),
            ErrorCode::Name(name) => f.write_str(name),
        }
    }
}

impl Serialize for ErrorCode {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            ErrorCode::Number(number) => serializer.serialize_i64(*number),
            ErrorCode::Name(name) => serializer.serialize_str(name),
        }
    }
}

impl<'de> Deserialize<'de> for ErrorCode {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<ErrorCode, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Either {
            Number(i64),
            Text(String),
        }
        Ok(match Either::deserialize(deserializer)? {
            Either::Number(number) => ErrorCode::Number(number),
            Either::Text(text) => match text.trim().parse::<i64>() {
                Ok(number) => ErrorCode::Number(number),
                Err(_) => ErrorCode::Name(text),
            },
        })
    }
}
