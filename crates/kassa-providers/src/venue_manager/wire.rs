//! The bodies of the Venue Manager Core document, spelled as the document spells them.
//!
//! Amounts (`priceInclVat`, `totalAmount`, ...) are read from the number's own text
//! ([`crate::amount`]); credentials and tokens are [`Secret`]s from the moment they are
//! read. Text values the document lists (`type: "invoice"`) are enums with an `Unknown`
//! variant that keeps what the shop sent.

use std::fmt;

use chrono::NaiveDate;
use kassa_core::{Currency, Money};
use rust_decimal::Decimal;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::Secret;
use crate::amount::{self, AmountError};

/// Reads and writes a [`Secret`] as the JSON string it travels as.
mod secret_text {
    use serde::{Deserialize, Deserializer, Serializer};

    use crate::Secret;

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Secret, D::Error> {
        String::deserialize(deserializer).map(Secret::new)
    }

    pub fn serialize<S: Serializer>(secret: &Secret, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(secret.expose())
    }
}

open_enum! {
    /// `type` of an invoice: "Either 'invoice' or 'credit_note'".
    InvoiceType {
        /// A sale.
        Invoice => "invoice",
        /// A refund of (part of) a sale.
        CreditNote => "credit_note",
    }
}

open_enum! {
    /// `type` of an invoice line, as the examples show them (JSON `admission`, XML
    /// `seasonCard` and `product`); the schema lists none.
    InvoiceLineType {
        /// A ticket for an event.
        Admission => "admission",
        /// A season card.
        SeasonCard => "seasonCard",
        /// Any other product.
        Product => "product",
    }
}

open_enum! {
    /// `productType` of a catalog product; the document shows only `seasoncard`.
    ProductType {
        /// A season card.
        SeasonCard => "seasoncard",
    }
}

open_enum! {
    /// `type` of a customer group; the document shows only `normal`.
    CustomerGroupType {
        /// An ordinary group.
        Normal => "normal",
    }
}

open_enum! {
    /// `type` of an address field; the document shows only `string`.
    AddressFieldType {
        /// Free text.
        String => "string",
    }
}

// ---------------------------------------------------------------------------------------
// Errors

/// `errorCode` of an error body: a number in most of the document's examples and a
/// string (`"1001"`) in the loyalty examples.
// Reading: both spellings carry the same code; it is kept as its decimal text, so `1001`
// and `"1001"` compare equal. The spelling is remembered only to write it back the same.
#[derive(Debug, Clone)]
pub struct ErrorCode {
    text: String,
    quoted: bool,
}

impl PartialEq for ErrorCode {
    fn eq(&self, other: &ErrorCode) -> bool {
        self.text == other.text
    }
}

impl Eq for ErrorCode {}

impl ErrorCode {
    /// A code from its text.
    pub fn new(text: impl Into<String>) -> ErrorCode {
        ErrorCode {
            text: text.into(),
            quoted: false,
        }
    }

    /// The code's text (`"1001"`).
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Whether this is the code `code`.
    pub fn is(&self, code: u32) -> bool {
        self.text.trim().parse::<u64>().ok() == Some(u64::from(code))
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl<'de> Deserialize<'de> for ErrorCode {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<ErrorCode, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = ErrorCode;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an error code as a number or a string")
            }
            fn visit_u64<E: serde::de::Error>(self, value: u64) -> Result<ErrorCode, E> {
                Ok(ErrorCode::new(value.to_string()))
            }
            fn visit_i64<E: serde::de::Error>(self, value: i64) -> Result<ErrorCode, E> {
                Ok(ErrorCode::new(value.to_string()))
            }
            fn visit_f64<E: serde::de::Error>(self, value: f64) -> Result<ErrorCode, E> {
                Err(E::custom(format!("error code {value} is not a whole number")))
            }
            fn visit_str<E: serde::de::Error>(self, value: &str) -> Result<ErrorCode, E> {
                Ok(ErrorCode {
                    text: value.to_owned(),
                    quoted: true,
                })
            }
        }
        deserializer.deserialize_any(Visitor)
    }
}

impl Serialize for ErrorCode {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self.text.parse::<i64>() {
            Ok(number) if !self.quoted => serializer.serialize_i64(number),
            _ => serializer.serialize_str(&self.text),
        }
    }
}

/// The error body of every 4xx/5xx answer: `{"error": "...", "errorCode": 0}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ErrorBody {
    /// "Textual description of the error."
    pub error: String,
    /// "A code, often 0." Not required.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_code: Option<ErrorCode>,
}

// ---------------------------------------------------------------------------------------
// Demo endpoints

/// `GET /test/object`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TestObject {
    /// `"42"` (a string in the document).
    pub id: String,
    /// `"exampleObject"`.
    pub label: String,
    /// `["mon", ...]`.
    pub days: Vec<String>,
}

// ---------------------------------------------------------------------------------------
// Configuration

/// One choice of an address field (`values`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AddressFieldValue {
    /// The value to send (`"M"`).
    pub value: String,
    /// Its translated name (`"Mand"`).
    pub name: String,
}

/// One field of `GET /config/address`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AddressField {
    /// The field's key, used in `address[].field` (`"firstname"`).
    pub field: String,
    /// The field's type.
    #[serde(rename = "type")]
    pub kind: AddressFieldType,
    /// The translated label (`"Fornavn"`).
    pub name: String,
    /// A link for the field (a privacy page).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Whether the customer must fill it in.
    #[serde(default)]
    pub required: bool,
    /// Whether it may be left out when the customer is created.
    #[serde(default)]
    pub optional_on_creation: bool,
    /// The allowed values, when the field is a choice.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub values: Vec<AddressFieldValue>,
}

/// `topics` of a geofence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GeofenceTopics {
    /// The topic published on entering.
    pub inside: String,
    /// The topic published on leaving.
    pub outside: String,
}

/// A push message of a geofence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GeofenceMessage {
    /// Title.
    pub title: String,
    /// Body text.
    pub body: String,
}

/// `messages` of a geofence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GeofenceMessages {
    /// Shown on entering.
    #[serde(rename = "in")]
    pub entering: GeofenceMessage,
    /// Shown on leaving.
    #[serde(rename = "out")]
    pub leaving: GeofenceMessage,
}

/// One entry of `GET /config/geofence`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Geofence {
    /// The geofence's id.
    pub id: u64,
    /// Degrees, read exactly (`56.131973`).
    #[serde(with = "amount::number")]
    pub latitude: Decimal,
    /// Degrees, read exactly.
    #[serde(with = "amount::number")]
    pub longitude: Decimal,
    /// Metres.
    #[serde(with = "amount::number")]
    pub radius: Decimal,
    /// The venue's name.
    pub name: String,
    /// Push topics.
    pub topics: GeofenceTopics,
    /// Push messages.
    pub messages: GeofenceMessages,
}

// ---------------------------------------------------------------------------------------
// Customers and tokens

/// One address value of a customer: `{"field": "street", "value": "Dannebrogsgade 58A"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AddressValue {
    /// The field's key from `GET /config/address`.
    pub field: String,
    /// Its value.
    pub value: String,
}

impl AddressValue {
    /// `field` = `value`.
    pub fn new(field: impl Into<String>, value: impl Into<String>) -> AddressValue {
        AddressValue {
            field: field.into(),
            value: value.into(),
        }
    }
}

/// `POST /customer`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateCustomerRequest {
    /// The new customer's password.
    #[serde(with = "secret_text")]
    pub password: Secret,
    /// The address fields.
    pub address: Vec<AddressValue>,
    /// "Used by the server to identify the App in use".
    pub client_name: String,
    /// Shown to the customer in lists of their tokens.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_os: Option<String>,
}

/// The answer of `POST /customer`, `POST /customer/token`, `POST /customer/dataToken`
/// and `POST /customer/guestToken`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TokenGrant {
    /// "ID of the token".
    pub id: u64,
    /// The JSON Web Token, for `Authorization: Bearer`. Kept in memory only.
    #[serde(with = "secret_text")]
    pub token: Secret,
    /// "ID of the customer".
    pub customer_id: u64,
}

/// One entry of a customer's `data`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerData {
    /// `"seasonRank"`.
    pub label: String,
    /// Its value.
    pub value: String,
}

/// `GET /customer/{customerId}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Customer {
    /// The customer's id.
    pub id: u64,
    /// The login name (an e-mail address).
    pub username: String,
    /// The address fields.
    pub address: Vec<AddressValue>,
    /// "Object with various extra data for the customer".
    pub data: Vec<CustomerData>,
}

/// `POST /customer/{customerId}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EditCustomerRequest {
    /// The address fields to change.
    pub address: Vec<AddressValue>,
}

/// `POST /customer/updatePass`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChangePasswordRequest {
    /// The current password.
    #[serde(with = "secret_text")]
    pub old_password: Secret,
    /// The new password.
    #[serde(with = "secret_text")]
    pub new_password: Secret,
}

/// `POST /customer/resetpass`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResetPasswordRequest {
    /// The customer's login name.
    pub username: String,
}

/// The answer of `POST /customer/resetpass`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResetPasswordAnswer {
    /// A sentence for the customer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// `POST /customer/token`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateTokenRequest {
    /// The login name.
    pub username: String,
    /// The password.
    #[serde(with = "secret_text")]
    pub password: Secret,
    /// "Used by the server to identify the App in use".
    pub client_name: String,
    /// Shown to the customer in lists of their tokens.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_os: Option<String>,
}

/// `POST /customer/dataToken` and `POST /customer/pushToken`: `{"token": "..."}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenBody {
    /// For a data token: the simple customer token to extend. For a push token: the
    /// device's push token.
    #[serde(with = "secret_text")]
    pub token: Secret,
}

/// `{clientName, clientOs}`: `POST /customer/guestToken`, `POST /customer/onetimetoken`,
/// `POST /customer/anonymize`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ClientInfo {
    /// "Used by the server to identify the App in use".
    pub client_name: String,
    /// Shown to the customer in lists of their tokens.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_os: Option<String>,
}

/// The answer of `POST /customer/onetimetoken`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OneTimeToken {
    /// "Token for login at the shop", for `<url>/?login_by_token=<token>`, valid 60 s.
    #[serde(with = "secret_text")]
    pub token: Secret,
}

/// The answer of `GET /customer/anonymize`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AnonymizeCheck {
    /// Whether `POST /customer/anonymize` would succeed.
    pub can_be_anonymized: bool,
    /// Why not, when it would not.
    #[serde(default)]
    pub reasons: Vec<String>,
}

/// One saved card of `GET /customer/paymentcards`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentCard {
    /// The card's id, for `POST /order/ordertransaction/savedcard/{cardId}`.
    pub id: u64,
    /// `"VISA"`.
    pub brand: String,
    /// The masked number (`"100000...3333"`).
    pub number: String,
    /// Expiry year.
    pub expire_year: u16,
    /// Expiry month, 1–12.
    pub expire_month: u8,
}

/// `POST /customer/paymentcards` and `POST /order/ordertransaction`'s redirect URLs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AddPaymentCardRequest {
    /// Where the browser goes after success (`cardId=<integer>` is added).
    pub success_url: String,
    /// Where the browser goes after a failure.
    pub failed_url: String,
    /// "Used by the server to identify the App in use".
    pub client_name: String,
    /// Shown to the customer in lists of their tokens.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_os: Option<String>,
}

/// One entry of `GET /customergroup`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerGroup {
    /// The group's id.
    pub id: u64,
    /// `"Sponsor"`.
    pub name: String,
    /// The group's type.
    #[serde(rename = "type")]
    pub kind: CustomerGroupType,
}

// ---------------------------------------------------------------------------------------
// Orders

/// `properties` of an order line (for tickets and season cards).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderLineProperties {
    /// Holder's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Holder's e-mail.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// Holder's date of birth.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date_of_birth: Option<NaiveDate>,
    /// Street.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub street: Option<String>,
    /// Postal code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub zip_code: Option<String>,
    /// City.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub city: Option<String>,
    /// ISO country code (`"DK"`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country_code: Option<String>,
    /// A picture of the holder.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_id: Option<u64>,
    /// "Required when renewing a seasoncard".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub old_card_id: Option<u64>,
}

/// One line of `POST /order`. "One of (sellableId|productId) is required."
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderLine {
    /// The sellable to buy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sellable_id: Option<u64>,
    /// The product to buy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub product_id: Option<u64>,
    /// How many.
    pub quantity: u32,
    /// "Only relevant for products with inventory per date".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<NaiveDate>,
    /// Ticket or season card holder details.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub properties: Option<OrderLineProperties>,
}

/// `POST /order`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateOrderRequest {
    /// What to buy.
    pub order_lines: Vec<OrderLine>,
    /// "Used by the server to identify the App in use".
    pub client_name: String,
    /// Shown to the customer in lists of their tokens.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_os: Option<String>,
}

/// The answer of `POST /order`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreatedOrderBody {
    /// "ID of the created order".
    pub id: u64,
    /// "Number of the created order" (`"AB1C2D3E"`).
    pub number: String,
}

/// `{"id": 43}`: an order transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderTransactionId {
    /// The order transaction's id.
    pub id: u64,
}

/// `POST /order/ordertransaction`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PayWithMethodRequest {
    /// Where the browser goes after payment.
    pub success_url: String,
    /// Where the browser goes after a failure.
    pub failed_url: String,
    /// A PSP-specific limit on the payment methods (`"creditcard"`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment_method: Option<String>,
    /// "Used by the server to identify the App in use".
    pub client_name: String,
    /// Shown to the customer in lists of their tokens.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_os: Option<String>,
}

// ---------------------------------------------------------------------------------------
// Catalog

/// `appData` of a category or product.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppData {
    /// Heading.
    pub header: String,
    /// Description.
    pub description: String,
    /// Picture URL, or null.
    pub image: Option<String>,
}

/// One entry of `GET /catalog/categories`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Category {
    /// The category's id.
    pub id: u64,
    /// `"Årskort"`.
    pub name: String,
    /// `"aarskort"`.
    pub label: String,
    /// Texts for the app.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app_data: Option<AppData>,
}

/// `properties` of a product: flags sent as the strings `"1"` and `"0"`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProductProperties {
    /// "Is the seasoncard buyable".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub season_card_is_buyable: Option<String>,
    /// "Is the product for renewing seasoncards".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub season_card_is_renewable: Option<String>,
}

/// A `"1"`/`"0"` flag; anything else is not an answer.
pub fn flag(text: Option<&str>) -> Option<bool> {
    match text?.trim() {
        "1" => Some(true),
        "0" => Some(false),
        _ => None,
    }
}

/// `GET /catalog/product/{id}` and one entry of `GET /catalog/products/`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Product {
    /// The product's id.
    pub id: u64,
    /// `"Årskort 2019"`.
    pub name: String,
    /// `"aarskort2019"`. Required by the schema.
    // Reading: a product without a label (absent, null or empty) is still read; the
    // catalog import names it `vm-<id>`.
    #[serde(default)]
    pub label: Option<String>,
    /// The product's type.
    pub product_type: ProductType,
    /// The price including VAT (`685`).
    #[serde(with = "amount::number")]
    pub price_incl_vat: Decimal,
    /// The VAT in that price, as an amount (`137`).
    #[serde(with = "amount::number")]
    pub vat: Decimal,
    /// `"DKK"`.
    pub currency_code: String,
    /// "If true, then a date must be selected when ordering this product".
    pub has_inventory_per_date: bool,
    /// Texts for the app.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app_data: Option<AppData>,
    /// Season card flags.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub properties: Option<ProductProperties>,
}

// ---------------------------------------------------------------------------------------
// Invoices

/// `customer` of an invoice: the address fields at the time of the sale.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InvoiceCustomer {
    /// The customer's id ("VM ID").
    pub id: u64,
    /// "Address field (NAV customer number)".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub number: Option<String>,
    /// Name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Street.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub street: Option<String>,
    /// Company.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub company: Option<String>,
    /// Postal code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub zip_code: Option<String>,
    /// City.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub city: Option<String>,
    /// Country.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    /// E-mail.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// Mobile number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mobile: Option<String>,
    /// Phone number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
}

/// `deliveryAddress` of an invoice.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeliveryAddress {
    /// Name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Street.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub street: Option<String>,
    /// Company.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub company: Option<String>,
    /// Postal code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub zip_code: Option<String>,
    /// City.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub city: Option<String>,
    /// Country.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
}

/// One line of an invoice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InvoiceLine {
    /// "VM ID".
    pub id: u64,
    /// What was sold.
    #[serde(rename = "type")]
    pub kind: InvoiceLineType,
    /// How many.
    #[serde(with = "amount::number")]
    pub quantity: Decimal,
    /// "Price per pcs, includes vat".
    #[serde(with = "amount::number")]
    pub amount: Decimal,
    /// "Discount for the whole line, includes vat".
    #[serde(with = "amount::number")]
    pub discount: Decimal,
    /// The VAT rate in percent (`25`).
    #[serde(with = "amount::number")]
    pub vat_percentage: Decimal,
    /// "Total price for the whole line (quantity * amount - discount)".
    #[serde(with = "amount::number")]
    pub total_amount: Decimal,
    /// "NAV SKU".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sku: Option<String>,
    /// "Ticket or Season card IDs".
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub numbers: Vec<u64>,
    /// The ticket's event.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_id: Option<u64>,
    /// The event's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_name: Option<String>,
    /// The season of the event or season card.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub season_id: Option<u64>,
    /// The season's name (`"2019/2020"`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub season_name: Option<String>,
}

/// One invoice or credit note of `GET /invoice`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Invoice {
    /// "VM ID".
    pub id: u64,
    /// "Unique identifier (used for the after_number in requests)".
    pub number: u64,
    /// The order invoiced.
    pub order_id: u64,
    /// Invoice or credit note.
    #[serde(rename = "type")]
    pub kind: InvoiceType,
    /// The invoice date.
    // Reading: a full `YYYY-MM-DD` date. The JSON examples' `"2019"` is the document's
    // split of `2019-01-17` (its schema description begins "01-17"; the XML example has
    // the whole date).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<NaiveDate>,
    /// "Includes both vat and discount".
    #[serde(with = "amount::number")]
    pub total_amount: Decimal,
    /// "Includes vat".
    #[serde(with = "amount::number")]
    pub total_discount: Decimal,
    /// The VAT in `totalAmount`.
    #[serde(with = "amount::number")]
    pub total_vat: Decimal,
    /// `"DKK"`.
    pub currency_code: String,
    /// The customer.
    pub customer: InvoiceCustomer,
    /// Where it was delivered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delivery_address: Option<DeliveryAddress>,
    /// The lines.
    pub lines: Vec<InvoiceLine>,
}

/// An invoice's amounts as money, each checked against the currency's minor units.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvoiceMoney {
    /// The currency.
    pub currency: Currency,
    /// `totalAmount`.
    pub total: Money,
    /// `totalDiscount`.
    pub discount: Money,
    /// `totalVat`.
    pub vat: Money,
    /// Per line: `amount`, `discount`, `totalAmount`.
    pub lines: Vec<(Money, Money, Money)>,
}

/// Why an invoice's amounts are not money.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvoiceMoneyError {
    /// The currency code is not one Kassa knows.
    #[error("invoice {number}: {source}")]
    Currency {
        /// The invoice's number.
        number: u64,
        /// Why.
        source: kassa_core::UnknownCurrency,
    },
    /// An amount with more decimals than the currency has.
    #[error("invoice {number}: {source}")]
    Amount {
        /// The invoice's number.
        number: u64,
        /// Which amount.
        source: AmountError,
    },
}

impl Invoice {
    /// The invoice's amounts as money in its currency.
    pub fn money(&self) -> Result<InvoiceMoney, InvoiceMoneyError> {
        let number = self.number;
        let currency: Currency = self
            .currency_code
            .parse()
            .map_err(|source| InvoiceMoneyError::Currency { number, source })?;
        let money = |field: &'static str, value: Decimal| {
            amount::to_money(field, value, currency)
                .map_err(|source| InvoiceMoneyError::Amount { number, source })
        };
        let mut lines = Vec::with_capacity(self.lines.len());
        for line in &self.lines {
            lines.push((
                money("lines[].amount", line.amount)?,
                money("lines[].discount", line.discount)?,
                money("lines[].totalAmount", line.total_amount)?,
            ));
        }
        Ok(InvoiceMoney {
            currency,
            total: money("totalAmount", self.total_amount)?,
            discount: money("totalDiscount", self.total_discount)?,
            vat: money("totalVat", self.total_vat)?,
            lines,
        })
    }
}

// ---------------------------------------------------------------------------------------
// Loyalty and vouchers

/// `POST /loyalty/barcode/registerUsage`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RegisterUsageRequest {
    /// "Used by the server to identify the App in use".
    pub client_name: String,
    /// Required here (unlike elsewhere).
    pub client_os: String,
    /// "The code to register".
    pub code: String,
}

/// The answer of `POST /loyalty/barcode/registerUsage`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoyaltyPoints {
    /// "Number of points given for usage."
    #[serde(with = "amount::number")]
    pub points: Decimal,
}

/// `creationPrice` of a voucher code: "Price if the code were created by buying a product".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreationPrice {
    /// "Price, including VAT".
    #[serde(with = "amount::number")]
    pub amount: Decimal,
    /// "Discount given on the line, including VAT".
    #[serde(with = "amount::number")]
    pub discount: Decimal,
    /// VAT rate in percent.
    #[serde(with = "amount::number")]
    pub vat_percentage: Decimal,
    /// `"DKK"`.
    pub currency_code: String,
}

/// The answer of `GET /voucher/code?code=`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VoucherCode {
    /// "VM ID for the code (used for redeeming)".
    pub id: u64,
    /// "VM ID for the voucher".
    pub voucher_id: u64,
    /// The code's text.
    pub code: String,
    /// Whether it can be used.
    pub is_valid: bool,
    /// "Error message if the voucher code isn't valid".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// What the code cost, when it was bought.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub creation_price: Option<CreationPrice>,
}

/// `POST /voucher/code/redeem`.
// Reading: the document shows no body; its 400 is "Missing voucher code ID" and the
// code's `id` is "used for redeeming", so the body is `{"id": <code id>}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RedeemVoucherRequest {
    /// The code's `id` from `GET /voucher/code`.
    pub id: u64,
}

// ---------------------------------------------------------------------------------------
// Invoices as XML (`format=xml`)

/// The XML form of `GET /invoice?format=xml`, as the schema's description shows it:
/// `<invoices><invoice>...<lines><line>...<numbers><number>`.
pub mod xml {
    use chrono::NaiveDate;
    use rust_decimal::Decimal;
    use serde::{Deserialize, Deserializer};

    use super::{DeliveryAddress, Invoice, InvoiceCustomer, InvoiceLine, InvoiceLineType, InvoiceType};

    fn decimal<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Decimal, D::Error> {
        let text = String::deserialize(deserializer)?;
        crate::amount::parse_number_text(&text).map_err(serde::de::Error::custom)
    }

    #[derive(Deserialize)]
    struct Invoices {
        #[serde(rename = "invoice", default)]
        invoices: Vec<XmlInvoice>,
    }

    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct XmlInvoice {
        id: u64,
        number: u64,
        order_id: u64,
        #[serde(rename = "type")]
        kind: String,
        #[serde(default)]
        date: Option<NaiveDate>,
        #[serde(deserialize_with = "decimal")]
        total_amount: Decimal,
        #[serde(deserialize_with = "decimal")]
        total_discount: Decimal,
        #[serde(deserialize_with = "decimal")]
        total_vat: Decimal,
        currency_code: String,
        customer: InvoiceCustomer,
        #[serde(default)]
        delivery_address: Option<DeliveryAddress>,
        #[serde(default)]
        lines: Lines,
    }

    #[derive(Deserialize, Default)]
    struct Lines {
        #[serde(rename = "line", default)]
        lines: Vec<XmlLine>,
    }

    #[derive(Deserialize, Default)]
    struct Numbers {
        #[serde(rename = "number", default)]
        numbers: Vec<u64>,
    }

    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct XmlLine {
        id: u64,
        #[serde(rename = "type")]
        kind: String,
        #[serde(deserialize_with = "decimal")]
        quantity: Decimal,
        #[serde(deserialize_with = "decimal")]
        amount: Decimal,
        #[serde(deserialize_with = "decimal")]
        discount: Decimal,
        #[serde(deserialize_with = "decimal")]
        vat_percentage: Decimal,
        #[serde(deserialize_with = "decimal")]
        total_amount: Decimal,
        #[serde(default)]
        sku: Option<String>,
        #[serde(default)]
        numbers: Numbers,
        #[serde(default)]
        event_id: Option<u64>,
        #[serde(default)]
        event_name: Option<String>,
        #[serde(default)]
        season_id: Option<u64>,
        #[serde(default)]
        season_name: Option<String>,
    }

    /// Reads `<invoices>` into the same invoices the JSON form gives.
    pub fn parse_invoices(text: &str) -> Result<Vec<Invoice>, quick_xml::DeError> {
        let invoices: Invoices = quick_xml::de::from_str(text)?;
        Ok(invoices
            .invoices
            .into_iter()
            .map(|invoice| Invoice {
                id: invoice.id,
                number: invoice.number,
                order_id: invoice.order_id,
                kind: InvoiceType::from_text(&invoice.kind),
                date: invoice.date,
                total_amount: invoice.total_amount,
                total_discount: invoice.total_discount,
                total_vat: invoice.total_vat,
                currency_code: invoice.currency_code,
                customer: invoice.customer,
                delivery_address: invoice.delivery_address,
                lines: invoice
                    .lines
                    .lines
                    .into_iter()
                    .map(|line| InvoiceLine {
                        id: line.id,
                        kind: InvoiceLineType::from_text(&line.kind),
                        quantity: line.quantity,
                        amount: line.amount,
                        discount: line.discount,
                        vat_percentage: line.vat_percentage,
                        total_amount: line.total_amount,
                        sku: line.sku,
                        numbers: line.numbers.numbers,
                        event_id: line.event_id,
                        event_name: line.event_name,
                        season_id: line.season_id,
                        season_name: line.season_name,
                    })
                    .collect(),
            })
            .collect())
    }
}
