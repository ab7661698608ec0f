//! Emulator of the Venue Manager shop API, Core (seeds/001).
//!
//! A small shop: customers with passwords and address fields, JSON Web Tokens for them,
//! a catalog, orders paid by saved card or at a pretend PSP, invoices numbered from
//! 12345 and read page by page with `afterNumber` (JSON or XML), loyalty barcodes and
//! voucher codes. The invoice endpoints take the shop's API user over HTTP Basic
//! ([`DEMO_SETTINGS`]); customer endpoints take `Authorization: Bearer <token>`.
//!
//! It follows the readings of the client's module (kassa-providers `venue_manager`):
//! `GET /catalog/product/{id}`; the order transaction endpoints pay the customer's most
//! recent order with an amount outstanding; `POST /voucher/code/redeem` takes
//! `{"id": <code id>}`; every customer call answers 401 for a missing or invalid token;
//! a customer's username is their `email` address field.
//!
//! Control routes (besides the shared ones), acting as the shop's back office, the PSP
//! and the customer:
//!
//! | method and path | what it does |
//! |---|---|
//! | `GET /_sandbox/state` | customers, orders, transactions, cards, invoices, vouchers, barcodes |
//! | `POST /_sandbox/invoices` | adds an invoice or credit note (lines, currency, externalId); answers its number |
//! | `POST /_sandbox/invoices/{number}/external-id` | `{"externalId"}`: the ID the export gave it |
//! | `POST /_sandbox/products` | adds a catalog product |
//! | `POST /_sandbox/loyalty-barcodes` | `{"code", "points", "valid"}` |
//! | `POST /_sandbox/vouchers` | `{"id", "voucherId", "code", "isValid", "message", "creationPrice"}` |
//! | `POST /_sandbox/customers/{id}/anonymize-blockers` | `{"reasons": [...]}` |
//! | `POST /_sandbox/payment-cards/{id}/declines` | `{"declines": true}`: the acquirer rejects the card |
//! | `POST /_sandbox/psp/payments/{key}/complete` | the customer pays at the PSP |
//! | `POST /_sandbox/psp/cards/{key}/complete` | the customer saves a card at the PSP |

// A handler's early answer is the HTTP response itself, built once per request; boxing
// it would only add noise.
#![allow(clippy::result_large_err)]

use std::collections::BTreeMap;
use std::str::FromStr;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize, Serializer};
use serde_json::value::RawValue;
use serde_json::{Value, json};

use crate::Harness;

/// The path below the host where the document's paths start (its `Location` of a new
/// order is `https://customer.admin.venuemanager.net/api/core/order/{orderId}`).
pub const BASE_PATH: &str = "/api/core";

/// The settings the demo database is configured with (keys of the client's `FIELDS`).
pub const DEMO_SETTINGS: &[(&str, &str)] = &[
    ("api_user", DEMO_API_USER),
    ("api_password", DEMO_API_PASSWORD),
    ("client_name", "Kassa"),
    ("currency", "DKK"),
];

/// The API user the emulator accepts.
pub const DEMO_API_USER: &str = "kassa-demo";
/// That user's password.
pub const DEMO_API_PASSWORD: &str = "demo-api-password";
/// The seeded customer's username (the document's example).
pub const DEMO_CUSTOMER_USERNAME: &str = "alice@example.com";
/// That customer's password (the document's example).
pub const DEMO_CUSTOMER_PASSWORD: &str = "Bob is cute";
/// That customer's id (the document's example).
pub const DEMO_CUSTOMER_ID: u64 = 17721;

const CURRENCY: &str = "DKK";
const FIRST_INVOICE_NUMBER: u64 = 12345;
/// Reading: the document gives no default `limit`; the emulator answers at most 100.
const DEFAULT_INVOICE_LIMIT: usize = 100;

// ---------------------------------------------------------------------------------------
// Exact amounts

/// Writes a decimal as a JSON number with its own digits.
fn number<S: Serializer>(value: &Decimal, serializer: S) -> Result<S::Ok, S::Error> {
    match RawValue::from_string(value.to_string()) {
        Ok(raw) => raw.serialize(serializer),
        Err(error) => Err(serde::ser::Error::custom(error)),
    }
}

/// Reads a JSON number from its own text.
fn decimal_of(raw: &RawValue) -> Result<Decimal, String> {
    let text = raw.get().trim();
    let parsed = if text.contains(['e', 'E']) {
        Decimal::from_scientific(text)
    } else {
        Decimal::from_str(text)
    };
    parsed.map_err(|_| format!("{text} is not a number"))
}

fn decimal_field<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Decimal, D::Error> {
    let raw = Box::<RawValue>::deserialize(deserializer)?;
    decimal_of(&raw).map_err(serde::de::Error::custom)
}

fn optional_decimal_field<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<Decimal>, D::Error> {
    let raw = Option::<Box<RawValue>>::deserialize(deserializer)?;
    match raw {
        None => Ok(None),
        Some(raw) if raw.get().trim() == "null" => Ok(None),
        Some(raw) => decimal_of(&raw).map(Some).map_err(serde::de::Error::custom),
    }
}

// ---------------------------------------------------------------------------------------
// State

#[derive(Debug, Clone)]
struct CustomerRecord {
    id: u64,
    username: String,
    password: String,
    guest: bool,
    anonymized: bool,
    address: Vec<(String, String)>,
    data: Vec<(String, String)>,
    push_token: Option<String>,
    anonymize_blockers: Vec<String>,
}

impl CustomerRecord {
    fn field(&self, name: &str) -> Option<&str> {
        self.address
            .iter()
            .find(|(field, _)| field == name)
            .map(|(_, value)| value.as_str())
    }
}

#[derive(Debug, Clone)]
struct TokenRecord {
    id: u64,
    customer_id: u64,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
struct ProductRecord {
    id: u64,
    name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    label: Option<String>,
    product_type: String,
    #[serde(serialize_with = "number")]
    price_incl_vat: Decimal,
    #[serde(serialize_with = "number")]
    vat: Decimal,
    currency_code: String,
    has_inventory_per_date: bool,
    app_data: Value,
    properties: Value,
}

#[derive(Debug, Clone)]
struct OrderLineRecord {
    product_id: u64,
    quantity: u32,
    date: Option<String>,
}

#[derive(Debug, Clone)]
struct OrderRecord {
    id: u64,
    number: String,
    customer_id: u64,
    lines: Vec<OrderLineRecord>,
    total: Decimal,
    invoiced: bool,
}

#[derive(Debug, Clone)]
struct TransactionRecord {
    id: u64,
    order_id: u64,
    amount: Decimal,
    method: String,
    completed: bool,
    psp_key: Option<String>,
}

#[derive(Debug, Clone)]
struct CardRecord {
    id: u64,
    customer_id: u64,
    brand: String,
    number: String,
    expire_year: u16,
    expire_month: u8,
    declines: bool,
}

#[derive(Debug, Clone)]
struct CardRegistration {
    customer_id: u64,
    success_url: String,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
struct InvoiceLineRecord {
    id: u64,
    #[serde(rename = "type")]
    kind: String,
    #[serde(serialize_with = "number")]
    quantity: Decimal,
    #[serde(serialize_with = "number")]
    amount: Decimal,
    #[serde(serialize_with = "number")]
    discount: Decimal,
    #[serde(serialize_with = "number")]
    vat_percentage: Decimal,
    #[serde(serialize_with = "number")]
    total_amount: Decimal,
    #[serde(skip_serializing_if = "Option::is_none")]
    sku: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    numbers: Vec<u64>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
struct InvoiceRecord {
    id: u64,
    number: u64,
    order_id: u64,
    #[serde(rename = "type")]
    kind: String,
    date: String,
    #[serde(serialize_with = "number")]
    total_amount: Decimal,
    #[serde(serialize_with = "number")]
    total_discount: Decimal,
    #[serde(serialize_with = "number")]
    total_vat: Decimal,
    currency_code: String,
    customer: BTreeMap<String, Value>,
    lines: Vec<InvoiceLineRecord>,
    #[serde(skip)]
    external_id: Option<String>,
    #[serde(skip)]
    paid: bool,
}

#[derive(Debug, Clone)]
struct BarcodeRecord {
    points: Decimal,
    valid: bool,
    used: bool,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
struct CreationPriceRecord {
    #[serde(serialize_with = "number")]
    amount: Decimal,
    #[serde(serialize_with = "number")]
    discount: Decimal,
    #[serde(serialize_with = "number")]
    vat_percentage: Decimal,
    currency_code: String,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
struct VoucherRecord {
    id: u64,
    voucher_id: u64,
    code: String,
    is_valid: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    message: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    creation_price: Option<CreationPriceRecord>,
    #[serde(skip)]
    redeemed: bool,
}

struct Shop {
    customers: BTreeMap<u64, CustomerRecord>,
    next_customer_id: u64,
    tokens: BTreeMap<String, TokenRecord>,
    next_token_id: u64,
    categories: Value,
    products: Vec<ProductRecord>,
    sellables: BTreeMap<u64, u64>,
    orders: Vec<OrderRecord>,
    next_order_id: u64,
    transactions: Vec<TransactionRecord>,
    next_transaction_id: u64,
    cards: Vec<CardRecord>,
    next_card_id: u64,
    card_registrations: BTreeMap<String, CardRegistration>,
    invoices: Vec<InvoiceRecord>,
    next_invoice_id: u64,
    next_line_id: u64,
    barcodes: BTreeMap<String, BarcodeRecord>,
    vouchers: Vec<VoucherRecord>,
}

#[derive(Clone)]
struct Emulator {
    harness: Harness,
    shop: Arc<Mutex<Shop>>,
}

impl Emulator {
    fn shop(&self) -> MutexGuard<'_, Shop> {
        self.shop.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

impl Shop {
    fn seeded() -> Shop {
        let mut customers = BTreeMap::new();
        customers.insert(
            DEMO_CUSTOMER_ID,
            CustomerRecord {
                id: DEMO_CUSTOMER_ID,
                username: DEMO_CUSTOMER_USERNAME.to_owned(),
                password: DEMO_CUSTOMER_PASSWORD.to_owned(),
                guest: false,
                anonymized: false,
                address: vec![
                    ("firstname".to_owned(), "Alice".to_owned()),
                    ("lastname".to_owned(), "Example".to_owned()),
                    ("email".to_owned(), DEMO_CUSTOMER_USERNAME.to_owned()),
                    ("street".to_owned(), "Dannebrogsgade 58A".to_owned()),
                ],
                data: vec![("seasonRank".to_owned(), "Gold".to_owned())],
                push_token: None,
                anonymize_blockers: Vec::new(),
            },
        );
        let app_data = |header: &str, description: &str| json!({"header": header, "description": description, "image": null});
        let product =
            |id, name: &str, label: Option<&str>, kind: &str, price: i64, vat: i64, dated| ProductRecord {
                id,
                name: name.to_owned(),
                label: label.map(str::to_owned),
                product_type: kind.to_owned(),
                price_incl_vat: Decimal::from(price),
                vat: Decimal::from(vat),
                currency_code: CURRENCY.to_owned(),
                has_inventory_per_date: dated,
                app_data: app_data(name, name),
                properties: if kind == "seasoncard" {
                    json!({"seasonCardIsBuyable": "1", "seasonCardIsRenewable": "0"})
                } else {
                    json!({})
                },
            };
        let mut barcodes = BTreeMap::new();
        barcodes.insert(
            "XYZ1234".to_owned(),
            BarcodeRecord {
                points: Decimal::from(12),
                valid: true,
                used: false,
            },
        );
        Shop {
            customers,
            next_customer_id: DEMO_CUSTOMER_ID + 1,
            tokens: BTreeMap::new(),
            next_token_id: 1,
            categories: json!([
                {"id": 8, "name": "Årskort", "label": "aarskort", "appData": app_data("Årskort", "Årskort til hele året")},
                {"id": 9, "name": "Billetter", "label": "billetter", "appData": app_data("Billetter", "Billetter til kampe")},
            ]),
            products: vec![
                product(
                    3,
                    "Årskort 2019",
                    Some("aarskort2019"),
                    "seasoncard",
                    685,
                    137,
                    false,
                ),
                product(
                    51,
                    "Billet, voksen",
                    Some("billet-voksen"),
                    "ticket",
                    150,
                    30,
                    true,
                ),
                product(52, "Kampprogram", None, "product", 20, 4, false),
            ],
            sellables: BTreeMap::from([(23, 3)]),
            orders: Vec::new(),
            next_order_id: 65478,
            transactions: Vec::new(),
            next_transaction_id: 43,
            cards: Vec::new(),
            next_card_id: 10,
            card_registrations: BTreeMap::new(),
            invoices: Vec::new(),
            next_invoice_id: 1,
            next_line_id: 1,
            barcodes,
            vouchers: vec![VoucherRecord {
                id: 123,
                voucher_id: 120,
                code: "XYZ1234".to_owned(),
                is_valid: true,
                message: None,
                creation_price: Some(CreationPriceRecord {
                    amount: Decimal::from(100),
                    discount: Decimal::ZERO,
                    vat_percentage: Decimal::from(25),
                    currency_code: CURRENCY.to_owned(),
                }),
                redeemed: false,
            }],
        }
    }

    /// A JSON Web Token in shape: header, payload, a random signature.
    fn issue_token(&mut self, customer_id: u64, claims: Value) -> TokenRecord {
        let id = self.next_token_id;
        self.next_token_id += 1;
        let header = URL_SAFE_NO_PAD.encode(br#"{"typ":"JWT","alg":"HS256"}"#);
        let mut payload = json!({
            "iss": "kassa_sandbox",
            "iat": chrono::Utc::now().timestamp(),
            "jti": id,
        });
        if let (Some(payload), Some(claims)) = (payload.as_object_mut(), claims.as_object()) {
            payload.extend(claims.clone());
        }
        let payload = URL_SAFE_NO_PAD.encode(payload.to_string());
        let signature = URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>());
        let token = format!("{header}.{payload}.{signature}");
        let record = TokenRecord { id, customer_id };
        self.tokens.insert(token, record.clone());
        record
    }

    fn token_text(&self, id: u64) -> String {
        self.tokens
            .iter()
            .find(|(_, record)| record.id == id)
            .map(|(text, _)| text.clone())
            .unwrap_or_default()
    }

    fn outstanding(&self, order: &OrderRecord) -> Decimal {
        let paid: Decimal = self
            .transactions
            .iter()
            .filter(|transaction| transaction.order_id == order.id && transaction.completed)
            .map(|transaction| transaction.amount)
            .sum();
        order.total - paid
    }

    /// The order the order transaction endpoints pay (see the module docs).
    fn order_to_pay(&self, customer_id: u64) -> Option<usize> {
        self.orders
            .iter()
            .rposition(|order| order.customer_id == customer_id && self.outstanding(order) > Decimal::ZERO)
    }

    fn anonymize_reasons(&self, customer: &CustomerRecord) -> Vec<String> {
        let mut reasons = customer.anonymize_blockers.clone();
        for order in self
            .orders
            .iter()
            .filter(|order| order.customer_id == customer.id)
        {
            if self.outstanding(order) > Decimal::ZERO {
                reasons.push(format!("Order {} is not paid", order.number));
            }
        }
        reasons
    }

    fn invoice_customer(&self, customer_id: u64) -> BTreeMap<String, Value> {
        let mut shown = BTreeMap::new();
        shown.insert("id".to_owned(), json!(customer_id));
        if let Some(customer) = self.customers.get(&customer_id) {
            let name = [customer.field("firstname"), customer.field("lastname")]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(" ");
            if !name.is_empty() {
                shown.insert("name".to_owned(), json!(name));
            }
            for (from, to) in [
                ("street", "street"),
                ("email", "email"),
                ("zipcode", "zipCode"),
                ("city", "city"),
            ] {
                if let Some(value) = customer.field(from) {
                    shown.insert(to.to_owned(), json!(value));
                }
            }
        }
        shown
    }

    fn add_invoice(&mut self, mut invoice: InvoiceRecord) -> &InvoiceRecord {
        invoice.id = self.next_invoice_id;
        self.next_invoice_id += 1;
        invoice.number = self
            .invoices
            .last()
            .map_or(FIRST_INVOICE_NUMBER, |last| last.number + 1);
        self.invoices.push(invoice);
        let last = self.invoices.len() - 1;
        &self.invoices[last]
    }

    fn next_line_id(&mut self) -> u64 {
        let id = self.next_line_id;
        self.next_line_id += 1;
        id
    }

    /// Invoices a fully paid order, as the shop does when its payment completes.
    fn invoice_order(&mut self, order_index: usize) -> Option<Value> {
        let order = self.orders[order_index].clone();
        if order.invoiced || self.outstanding(&order) > Decimal::ZERO {
            return None;
        }
        self.orders[order_index].invoiced = true;
        let mut lines = Vec::new();
        let mut total_vat = Decimal::ZERO;
        for line in &order.lines {
            let Some(product) = self
                .products
                .iter()
                .find(|product| product.id == line.product_id)
                .cloned()
            else {
                continue;
            };
            let quantity = Decimal::from(line.quantity);
            let net = product.price_incl_vat - product.vat;
            let rate = if net.is_zero() {
                Decimal::ZERO
            } else {
                (product.vat * Decimal::ONE_HUNDRED / net).round_dp(2).normalize()
            };
            total_vat += product.vat * quantity;
            let kind = match product.product_type.as_str() {
                "seasoncard" => "seasonCard",
                "ticket" => "admission",
                _ => "product",
            };
            let id = self.next_line_id();
            lines.push(InvoiceLineRecord {
                id,
                kind: kind.to_owned(),
                quantity,
                amount: product.price_incl_vat,
                discount: Decimal::ZERO,
                vat_percentage: rate,
                total_amount: product.price_incl_vat * quantity,
                sku: product.label.clone(),
                numbers: Vec::new(),
            });
        }
        let invoice = InvoiceRecord {
            id: 0,
            number: 0,
            order_id: order.id,
            kind: "invoice".to_owned(),
            date: chrono::Utc::now().date_naive().to_string(),
            total_amount: order.total,
            total_discount: Decimal::ZERO,
            total_vat,
            currency_code: CURRENCY.to_owned(),
            customer: self.invoice_customer(order.customer_id),
            lines,
            external_id: None,
            paid: true,
        };
        let invoice = self.add_invoice(invoice);
        Some(
            json!({"number": invoice.number, "orderId": invoice.order_id, "totalAmount": invoice.total_amount.to_string()}),
        )
    }
}

// ---------------------------------------------------------------------------------------
// Answers

fn error(status: StatusCode, message: &str, code: Value) -> Response {
    (status, axum::Json(json!({"error": message, "errorCode": code}))).into_response()
}

fn bad_request(message: &str) -> Response {
    error(StatusCode::BAD_REQUEST, message, json!(0))
}

fn missing(argument: &str) -> Response {
    bad_request(&format!("Argument '{argument}' missing or empty."))
}

fn invalid_token() -> Response {
    error(StatusCode::UNAUTHORIZED, "Invalid token", json!(0))
}

fn not_logged_in() -> Response {
    error(StatusCode::UNAUTHORIZED, "No customer logged in.", json!(0))
}

fn unauthorized_api_user() -> Response {
    error(StatusCode::UNAUTHORIZED, "Unauthorized.", json!(0))
}

fn no_content() -> Response {
    StatusCode::NO_CONTENT.into_response()
}

fn json_body(body: &Bytes) -> Result<Value, Response> {
    if body.is_empty() {
        return Ok(json!({}));
    }
    let value: Value =
        serde_json::from_slice(body).map_err(|_| bad_request("The request body is not valid JSON."))?;
    if value.is_object() {
        Ok(value)
    } else {
        Err(bad_request("The request body must be a JSON object."))
    }
}

fn text<'a>(body: &'a Value, key: &str) -> Option<&'a str> {
    body.get(key)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|text| !text.is_empty())
}

fn required<'a>(body: &'a Value, key: &str) -> Result<&'a str, Response> {
    text(body, key).ok_or_else(|| missing(key))
}

fn origin(headers: &HeaderMap) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|value| value.to_str().ok())
        .unwrap_or("127.0.0.1");
    format!("http://{host}")
}

fn with_location(status: StatusCode, location: &str, body: Option<Value>) -> Response {
    let mut response = match body {
        Some(body) => (status, axum::Json(body)).into_response(),
        None => status.into_response(),
    };
    if let Ok(value) = HeaderValue::from_str(location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    response
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

/// The customer the bearer token belongs to.
fn customer_of(shop: &Shop, headers: &HeaderMap) -> Option<u64> {
    let record = shop.tokens.get(bearer(headers)?)?;
    shop.customers
        .get(&record.customer_id)
        .filter(|customer| !customer.anonymized)
        .map(|customer| customer.id)
}

fn is_api_user(headers: &HeaderMap) -> bool {
    let Some(value) = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
    else {
        return false;
    };
    let Some((scheme, encoded)) = value.split_once(' ') else {
        return false;
    };
    if !scheme.eq_ignore_ascii_case("basic") {
        return false;
    }
    let Ok(decoded) = STANDARD.decode(encoded.trim()) else {
        return false;
    };
    decoded == format!("{DEMO_API_USER}:{DEMO_API_PASSWORD}").as_bytes()
}

fn grant(shop: &Shop, token: &TokenRecord) -> Value {
    json!({"id": token.id, "token": shop.token_text(token.id), "customerId": token.customer_id})
}

// ---------------------------------------------------------------------------------------
// Router

/// The emulator's routes: the document's endpoints and its `/_sandbox/` control routes.
pub fn router(harness: Harness) -> Router {
    let emulator = Emulator {
        harness,
        shop: Arc::new(Mutex::new(Shop::seeded())),
    };
    let api = Router::new()
        .route("/test/integer", get(|| async { axum::Json(json!(42)) }))
        .route(
            "/test/integerArray",
            get(|| async { axum::Json(json!([1, 1, 2, 3, 5, 8, 13, 21, 34, 55, 89])) }),
        )
        .route(
            "/test/string",
            get(|| async { axum::Json(json!("This result is a simple string value.")) }),
        )
        .route(
            "/test/object",
            get(|| async {
                axum::Json(json!({"id": "42", "label": "exampleObject", "days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]}))
            }),
        )
        .route("/test/noContent", get(|| async { no_content() }))
        .route(
            "/test/forbidden",
            get(|| async { error(StatusCode::FORBIDDEN, "Winston writes in his forbidden diary.", json!(1984)) }),
        )
        .route("/config/address", get(address_config))
        .route("/config/geofence", get(geofences))
        .route("/customer", post(create_customer))
        .route("/customer/{customer_id}", get(get_customer).post(edit_customer))
        .route("/customer/updatePass", post(change_password))
        .route("/customer/resetpass", post(reset_password))
        .route("/customer/token", post(create_token).get(validate_token))
        .route("/customer/dataToken", post(create_data_token))
        .route("/customer/pushToken", post(set_push_token))
        .route("/customer/guestToken", post(create_guest_token))
        .route("/customer/onetimetoken", post(create_one_time_token))
        .route("/customer/anonymize", get(anonymize_check).post(anonymize))
        .route("/customer/paymentcards", get(payment_cards).post(add_payment_card))
        .route("/customergroup", get(customer_groups))
        .route("/order", post(create_order))
        .route("/order/ordertransaction/savedcard/{card_id}", post(pay_with_saved_card))
        .route("/order/ordertransaction", post(pay_with_method))
        .route("/catalog/categories", get(categories))
        .route("/catalog/products", get(products))
        .route("/catalog/products/", get(products))
        .route("/catalog/product", get(product_without_id))
        .route("/catalog/product/", get(product_without_id))
        .route("/catalog/product/{product_id}", get(product))
        .route("/invoice", get(invoices))
        .route("/invoice/markAsPaidByExternalId/{external_id}", put(mark_invoice_paid))
        .route("/loyalty/barcode/registerUsage", post(register_usage))
        .route("/voucher/code", get(voucher_code))
        .route("/voucher/code/redeem", post(redeem_voucher_code));
    let control = Router::new()
        .route("/_sandbox/state", get(control_state))
        .route("/_sandbox/invoices", post(control_add_invoice))
        .route(
            "/_sandbox/invoices/{number}/external-id",
            post(control_set_external_id),
        )
        .route("/_sandbox/products", post(control_add_product))
        .route("/_sandbox/loyalty-barcodes", post(control_add_barcode))
        .route("/_sandbox/vouchers", post(control_add_voucher))
        .route(
            "/_sandbox/customers/{customer_id}/anonymize-blockers",
            post(control_anonymize_blockers),
        )
        .route(
            "/_sandbox/payment-cards/{card_id}/declines",
            post(control_card_declines),
        )
        .route(
            "/_sandbox/psp/payments/{key}/complete",
            post(control_complete_payment),
        )
        .route("/_sandbox/psp/cards/{key}/complete", post(control_complete_card));
    Router::new()
        .nest(BASE_PATH, api)
        .merge(control)
        .with_state(emulator)
}

type Params = Query<BTreeMap<String, String>>;

// ----- Configuration -------------------------------------------------------------------

async fn address_config(Query(query): Params) -> Response {
    // "If missing, or unknown to the shop, the default language will be used".
    let english = query.get("languageCode").map(String::as_str) == Some("en");
    let name = |da: &str, en: &str| if english { en.to_owned() } else { da.to_owned() };
    let field = |field: &str, da: &str, en: &str, required: bool| json!({"field": field, "type": "string", "name": name(da, en), "required": required, "optionalOnCreation": !required});
    let fields = match query.get("addressType").map(String::as_str).unwrap_or("billing") {
        "billing" => json!([
            field("firstname", "Fornavn", "First name", true),
            field("lastname", "Efternavn", "Last name", true),
            field("email", "E-mail", "E-mail", true),
            field("street", "Adresse", "Street", false),
            field("zipcode", "Postnummer", "Postal code", false),
            field("city", "By", "City", false),
            {"field": "gender", "type": "string", "name": name("Køn", "Gender"), "required": false, "optionalOnCreation": true,
             "values": [{"value": "M", "name": name("Mand", "Male")}, {"value": "K", "name": name("Kvinde", "Female")}]},
            {"field": "privacy", "type": "string", "name": name("Privatlivspolitik", "Privacy policy"), "required": false, "optionalOnCreation": true,
             "url": "http://shop.venuemanager.net/side/privacy"},
        ]),
        "season_card" => json!([
            field("firstname", "Fornavn", "First name", true),
            field("dateOfBirth", "Fødselsdato", "Date of birth", true),
        ]),
        // Reading: an address type the shop does not have has no fields.
        _ => json!([]),
    };
    axum::Json(fields).into_response()
}

async fn geofences() -> Response {
    // The coordinates are sent with their own digits, as the document's example.
    let body = r#"[{"id":1,"latitude":56.131973,"longitude":10.193669,"radius":120,"name":"Ceres Arena","topics":{"inside":"/topic/agf/geofence_inside/1","outside":"/topic/agf/geofence_outside/1"},"messages":{"in":{"title":"Velkommen til VM Arena","body":"Velkommen til VM Arena"},"out":{"title":"Tak for besøget","body":"Vi ses snart igen"}}}]"#;
    ([(header::CONTENT_TYPE, "application/json")], body).into_response()
}

// ----- Customers and tokens -------------------------------------------------------------

fn address_of(body: &Value) -> Result<Vec<(String, String)>, Response> {
    let Some(entries) = body.get("address").and_then(Value::as_array) else {
        return Err(missing("address"));
    };
    let mut address = Vec::new();
    for entry in entries {
        let (Some(field), Some(value)) = (text(entry, "field"), entry.get("value").and_then(Value::as_str))
        else {
            return Err(bad_request("Every address entry needs a field and a value."));
        };
        address.push((field.to_owned(), value.to_owned()));
    }
    Ok(address)
}

const ADDRESS_FIELDS: &[&str] = &[
    "firstname",
    "lastname",
    "email",
    "street",
    "zipcode",
    "city",
    "gender",
    "privacy",
    "dateOfBirth",
];

async fn create_customer(State(emulator): State<Emulator>, body: Bytes) -> Response {
    let body = match json_body(&body) {
        Ok(body) => body,
        Err(response) => return response,
    };
    let result = (|| {
        let password = required(&body, "password")?;
        let address = address_of(&body)?;
        required(&body, "clientName")?;
        // Reading: the username is the `email` address field (the document's customer
        // has username "sta@combine.dk" and no other e-mail).
        let username = address
            .iter()
            .find(|(field, _)| field == "email")
            .map(|(_, value)| value.trim().to_owned())
            .filter(|value| !value.is_empty())
            .ok_or_else(|| missing("email"))?;
        if let Some((field, _)) = address
            .iter()
            .find(|(field, _)| !ADDRESS_FIELDS.contains(&field.as_str()))
        {
            return Err(bad_request(&format!("Unknown address field '{field}'.")));
        }
        let mut shop = emulator.shop();
        if shop
            .customers
            .values()
            .any(|customer| !customer.anonymized && customer.username.eq_ignore_ascii_case(&username))
        {
            return Err(bad_request("A customer with that e-mail already exists."));
        }
        let id = shop.next_customer_id;
        shop.next_customer_id += 1;
        shop.customers.insert(
            id,
            CustomerRecord {
                id,
                username: username.clone(),
                password: password.to_owned(),
                guest: false,
                anonymized: false,
                address,
                data: Vec::new(),
                push_token: None,
                anonymize_blockers: Vec::new(),
            },
        );
        let token = shop.issue_token(id, json!({}));
        emulator.harness.record(
            "customer_created",
            json!({"customerId": id, "username": username}),
        );
        emulator.harness.record(
            "token_created",
            json!({"tokenId": token.id, "customerId": id, "kind": "customer"}),
        );
        Ok(axum::Json(grant(&shop, &token)).into_response())
    })();
    result.unwrap_or_else(|response| response)
}

async fn get_customer(
    State(emulator): State<Emulator>,
    Path(customer_id): Path<String>,
    headers: HeaderMap,
    Query(query): Params,
) -> Response {
    let shop = emulator.shop();
    let Some(caller) = customer_of(&shop, &headers) else {
        return invalid_token();
    };
    if query.get("clientName").is_none_or(|name| name.trim().is_empty()) {
        return missing("clientName");
    }
    // Reading: a token answers only for its own customer.
    if customer_id.parse::<u64>().ok() != Some(caller) {
        return invalid_token();
    }
    let Some(customer) = shop.customers.get(&caller) else {
        return invalid_token();
    };
    let address: Vec<Value> = customer
        .address
        .iter()
        .map(|(field, value)| json!({"field": field, "value": value}))
        .collect();
    let data: Vec<Value> = customer
        .data
        .iter()
        .map(|(label, value)| json!({"label": label, "value": value}))
        .collect();
    axum::Json(json!({"id": customer.id, "username": customer.username, "address": address, "data": data}))
        .into_response()
}

async fn edit_customer(
    State(emulator): State<Emulator>,
    Path(customer_id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let mut shop = emulator.shop();
    let Some(caller) = customer_of(&shop, &headers) else {
        return not_logged_in();
    };
    if customer_id.parse::<u64>().ok() != Some(caller) {
        return not_logged_in();
    }
    let body = match json_body(&body) {
        Ok(body) => body,
        Err(response) => return response,
    };
    let address = match address_of(&body) {
        Ok(address) => address,
        Err(response) => return response,
    };
    let unknown = address
        .iter()
        .any(|(field, _)| !ADDRESS_FIELDS.contains(&field.as_str()));
    let empties_username = address
        .iter()
        .any(|(field, value)| field == "email" && value.trim().is_empty());
    if unknown || empties_username {
        return bad_request("Addressfield could not be updated.");
    }
    let Some(customer) = shop.customers.get_mut(&caller) else {
        return not_logged_in();
    };
    let mut changed = Vec::new();
    for (field, value) in address {
        if field == "email" {
            customer.username = value.clone();
        }
        match customer.address.iter_mut().find(|(name, _)| *name == field) {
            Some(entry) => entry.1 = value,
            None => customer.address.push((field.clone(), value)),
        }
        changed.push(field);
    }
    emulator.harness.record(
        "customer_updated",
        json!({"customerId": caller, "fields": changed}),
    );
    no_content()
}

async fn change_password(State(emulator): State<Emulator>, headers: HeaderMap, body: Bytes) -> Response {
    let mut shop = emulator.shop();
    let Some(caller) = customer_of(&shop, &headers) else {
        return not_logged_in();
    };
    let body = match json_body(&body) {
        Ok(body) => body,
        Err(response) => return response,
    };
    let (old, new) = match (required(&body, "oldPassword"), required(&body, "newPassword")) {
        (Ok(old), Ok(new)) => (old.to_owned(), new.to_owned()),
        (Err(response), _) | (_, Err(response)) => return response,
    };
    let Some(customer) = shop.customers.get_mut(&caller) else {
        return not_logged_in();
    };
    if customer.password != old {
        return error(
            StatusCode::BAD_REQUEST,
            "Den gamle adgangskode er forkert",
            json!(1001),
        );
    }
    customer.password = new;
    emulator
        .harness
        .record("password_changed", json!({"customerId": caller}));
    no_content()
}

async fn reset_password(State(emulator): State<Emulator>, body: Bytes) -> Response {
    let body = match json_body(&body) {
        Ok(body) => body,
        Err(response) => return response,
    };
    let username = match required(&body, "username") {
        Ok(username) => username,
        Err(response) => return response,
    };
    let shop = emulator.shop();
    let Some(customer) = shop.customers.values().find(|customer| {
        !customer.anonymized && !customer.guest && customer.username.eq_ignore_ascii_case(username)
    }) else {
        return error(StatusCode::NOT_FOUND, "Ukendt brugernavn.", json!(0));
    };
    emulator
        .harness
        .record("password_reset_requested", json!({"customerId": customer.id}));
    axum::Json(
        json!({"message": "Du vil snarest modtage et link per mail til at nulstille din adgangskode."}),
    )
    .into_response()
}

async fn create_token(State(emulator): State<Emulator>, body: Bytes) -> Response {
    let body = match json_body(&body) {
        Ok(body) => body,
        Err(response) => return response,
    };
    let (username, password) = match (
        required(&body, "username"),
        required(&body, "password"),
        required(&body, "clientName"),
    ) {
        (Ok(username), Ok(password), Ok(_)) => (username, password),
        (Err(response), _, _) | (_, Err(response), _) | (_, _, Err(response)) => return response,
    };
    let mut shop = emulator.shop();
    let Some(customer_id) = shop
        .customers
        .values()
        .find(|customer| {
            !customer.anonymized
                && !customer.guest
                && customer.username.eq_ignore_ascii_case(username)
                && customer.password == password
        })
        .map(|customer| customer.id)
    else {
        return error(
            StatusCode::UNAUTHORIZED,
            "Cannot login with supplied username and password.",
            json!(0),
        );
    };
    let token = shop.issue_token(customer_id, json!({}));
    emulator.harness.record(
        "token_created",
        json!({"tokenId": token.id, "customerId": customer_id, "kind": "customer"}),
    );
    axum::Json(grant(&shop, &token)).into_response()
}

async fn validate_token(State(emulator): State<Emulator>, headers: HeaderMap) -> Response {
    match customer_of(&emulator.shop(), &headers) {
        Some(_) => no_content(),
        None => invalid_token(),
    }
}

async fn create_data_token(State(emulator): State<Emulator>, headers: HeaderMap, body: Bytes) -> Response {
    let mut shop = emulator.shop();
    let Some(caller) = customer_of(&shop, &headers) else {
        return invalid_token();
    };
    let body = match json_body(&body) {
        Ok(body) => body,
        Err(response) => return response,
    };
    // The body's token is the simple token being extended: it must be the caller's.
    let extended = text(&body, "token")
        .and_then(|token| shop.tokens.get(token))
        .map(|record| record.customer_id);
    if extended != Some(caller) {
        return invalid_token();
    }
    let Some(customer) = shop.customers.get(&caller).cloned() else {
        return invalid_token();
    };
    let mut claims = serde_json::Map::new();
    let given = customer.field("firstname").map(str::to_owned);
    let family = customer.field("lastname").map(str::to_owned);
    if let Some(given) = &given {
        claims.insert("given_name".to_owned(), json!(given));
    }
    if let Some(family) = &family {
        claims.insert("family_name".to_owned(), json!(family));
    }
    let full: Vec<String> = [given, family].into_iter().flatten().collect();
    if !full.is_empty() {
        claims.insert("name".to_owned(), json!(full.join(" ")));
    }
    claims.insert("email".to_owned(), json!(customer.username));
    if let Some((_, rank)) = customer.data.iter().find(|(label, _)| label == "seasonRank") {
        claims.insert("season_rank".to_owned(), json!(rank));
    }
    let claims = Value::Object(claims);
    let token = shop.issue_token(caller, claims.clone());
    emulator.harness.record(
        "data_token_created",
        json!({"tokenId": token.id, "customerId": caller, "claims": claims}),
    );
    axum::Json(grant(&shop, &token)).into_response()
}

async fn set_push_token(State(emulator): State<Emulator>, headers: HeaderMap, body: Bytes) -> Response {
    let mut shop = emulator.shop();
    let Some(caller) = customer_of(&shop, &headers) else {
        return invalid_token();
    };
    let body = match json_body(&body) {
        Ok(body) => body,
        Err(response) => return response,
    };
    let push_token = match required(&body, "token") {
        Ok(token) => token.to_owned(),
        Err(response) => return response,
    };
    let Some(customer) = shop.customers.get_mut(&caller) else {
        return invalid_token();
    };
    let replaced = customer.push_token.replace(push_token.clone()).is_some();
    emulator.harness.record(
        "push_token_set",
        json!({"customerId": caller, "replaced": replaced, "length": push_token.len()}),
    );
    no_content()
}

async fn create_guest_token(State(emulator): State<Emulator>, body: Bytes) -> Response {
    let body = match json_body(&body) {
        Ok(body) => body,
        Err(response) => return response,
    };
    if let Err(response) = required(&body, "clientName") {
        return response;
    }
    let mut shop = emulator.shop();
    let id = shop.next_customer_id;
    shop.next_customer_id += 1;
    shop.customers.insert(
        id,
        CustomerRecord {
            id,
            username: String::new(),
            password: String::new(),
            guest: true,
            anonymized: false,
            address: Vec::new(),
            data: Vec::new(),
            push_token: None,
            anonymize_blockers: Vec::new(),
        },
    );
    let token = shop.issue_token(id, json!({"guest": true}));
    emulator
        .harness
        .record("guest_created", json!({"customerId": id}));
    emulator.harness.record(
        "token_created",
        json!({"tokenId": token.id, "customerId": id, "kind": "guest"}),
    );
    axum::Json(grant(&shop, &token)).into_response()
}

async fn create_one_time_token(
    State(emulator): State<Emulator>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let shop = emulator.shop();
    let Some(caller) = customer_of(&shop, &headers) else {
        return invalid_token();
    };
    let body = match json_body(&body) {
        Ok(body) => body,
        Err(response) => return response,
    };
    if let Err(response) = required(&body, "clientName") {
        return response;
    }
    let token = hex(&rand::random::<[u8; 20]>());
    emulator.harness.record(
        "one_time_token_created",
        json!({"customerId": caller, "lifetimeSeconds": 60}),
    );
    axum::Json(json!({"token": token})).into_response()
}

async fn anonymize_check(
    State(emulator): State<Emulator>,
    headers: HeaderMap,
    Query(query): Params,
) -> Response {
    let shop = emulator.shop();
    let Some(caller) = customer_of(&shop, &headers) else {
        return invalid_token();
    };
    if query.get("clientName").is_none_or(|name| name.trim().is_empty()) {
        return missing("clientName");
    }
    let Some(customer) = shop.customers.get(&caller) else {
        return invalid_token();
    };
    let reasons = shop.anonymize_reasons(customer);
    axum::Json(json!({"canBeAnonymized": reasons.is_empty(), "reasons": reasons})).into_response()
}

async fn anonymize(State(emulator): State<Emulator>, headers: HeaderMap, body: Bytes) -> Response {
    let mut shop = emulator.shop();
    let Some(caller) = customer_of(&shop, &headers) else {
        return invalid_token();
    };
    let body = match json_body(&body) {
        Ok(body) => body,
        Err(response) => return response,
    };
    if let Err(response) = required(&body, "clientName") {
        return response;
    }
    let Some(customer) = shop.customers.get(&caller).cloned() else {
        return invalid_token();
    };
    let reasons = shop.anonymize_reasons(&customer);
    if !reasons.is_empty() {
        return error(
            StatusCode::BAD_REQUEST,
            &format!(
                "The customer cannot be anonymized for the following reasons: {}",
                reasons.join("; ")
            ),
            json!(1000),
        );
    }
    if let Some(customer) = shop.customers.get_mut(&caller) {
        customer.anonymized = true;
        customer.username = format!("anonymized-{caller}");
        customer.password.clear();
        customer.address.clear();
        customer.data.clear();
        customer.push_token = None;
    }
    shop.tokens.retain(|_, token| token.customer_id != caller);
    shop.cards.retain(|card| card.customer_id != caller);
    emulator
        .harness
        .record("customer_anonymized", json!({"customerId": caller}));
    no_content()
}

async fn payment_cards(
    State(emulator): State<Emulator>,
    headers: HeaderMap,
    Query(query): Params,
) -> Response {
    let shop = emulator.shop();
    let Some(caller) = customer_of(&shop, &headers) else {
        return invalid_token();
    };
    if query.get("clientName").is_none_or(|name| name.trim().is_empty()) {
        return missing("clientName");
    }
    let cards: Vec<Value> = shop
        .cards
        .iter()
        .filter(|card| card.customer_id == caller)
        .map(|card| {
            json!({"id": card.id, "brand": card.brand, "number": card.number, "expire_year": card.expire_year, "expire_month": card.expire_month})
        })
        .collect();
    axum::Json(cards).into_response()
}

async fn add_payment_card(State(emulator): State<Emulator>, headers: HeaderMap, body: Bytes) -> Response {
    let mut shop = emulator.shop();
    let Some(caller) = customer_of(&shop, &headers) else {
        return invalid_token();
    };
    let body = match json_body(&body) {
        Ok(body) => body,
        Err(response) => return response,
    };
    let success_url = match (
        required(&body, "successUrl"),
        required(&body, "failedUrl"),
        required(&body, "clientName"),
    ) {
        (Ok(success), Ok(_), Ok(_)) => success.to_owned(),
        (Err(response), _, _) | (_, Err(response), _) | (_, _, Err(response)) => return response,
    };
    let key = hex(&rand::random::<[u8; 32]>());
    shop.card_registrations.insert(
        key.clone(),
        CardRegistration {
            customer_id: caller,
            success_url,
        },
    );
    emulator.harness.record(
        "card_registration_started",
        json!({"customerId": caller, "key": key}),
    );
    with_location(
        StatusCode::CREATED,
        &format!("{}/_sandbox/psp/cards/{key}", origin(&headers)),
        None,
    )
}

async fn customer_groups() -> Response {
    axum::Json(json!([
        {"id": 1, "name": "Sponsor", "type": "normal"},
        {"id": 2, "name": "Sæsonkortholder", "type": "normal"},
    ]))
    .into_response()
}

// ----- Orders ---------------------------------------------------------------------------

async fn create_order(State(emulator): State<Emulator>, headers: HeaderMap, body: Bytes) -> Response {
    let mut shop = emulator.shop();
    let Some(caller) = customer_of(&shop, &headers) else {
        return invalid_token();
    };
    let body = match json_body(&body) {
        Ok(body) => body,
        Err(response) => return response,
    };
    let Some(entries) = body
        .get("orderLines")
        .and_then(Value::as_array)
        .filter(|lines| !lines.is_empty())
    else {
        return missing("orderLines");
    };
    if let Err(response) = required(&body, "clientName") {
        return response;
    }
    let mut lines = Vec::new();
    let mut total = Decimal::ZERO;
    for entry in entries {
        let Some(quantity) = entry
            .get("quantity")
            .and_then(Value::as_u64)
            .and_then(|quantity| u32::try_from(quantity).ok())
            .filter(|quantity| *quantity > 0)
        else {
            return bad_request("Every order line needs a quantity of at least 1.");
        };
        let product_id = match (
            entry.get("productId").and_then(Value::as_u64),
            entry.get("sellableId").and_then(Value::as_u64),
        ) {
            (Some(product_id), _) => product_id,
            (None, Some(sellable_id)) => match shop.sellables.get(&sellable_id) {
                Some(product_id) => *product_id,
                None => return bad_request(&format!("Unknown sellable {sellable_id}.")),
            },
            (None, None) => return bad_request("One of (sellableId|productId) is required."),
        };
        let Some(product) = shop.products.iter().find(|product| product.id == product_id) else {
            return bad_request(&format!("Unknown product {product_id}."));
        };
        let date = entry.get("date").and_then(Value::as_str).map(str::to_owned);
        if product.has_inventory_per_date && date.is_none() {
            return bad_request(&format!("Product {product_id} needs a date."));
        }
        total += product.price_incl_vat * Decimal::from(quantity);
        lines.push(OrderLineRecord {
            product_id,
            quantity,
            date,
        });
    }
    let id = shop.next_order_id;
    shop.next_order_id += 1;
    let number: String = hex(&rand::random::<[u8; 4]>()).to_ascii_uppercase();
    let recorded_lines: Vec<Value> = lines
        .iter()
        .map(|line| json!({"productId": line.product_id, "quantity": line.quantity, "date": line.date}))
        .collect();
    shop.orders.push(OrderRecord {
        id,
        number: number.clone(),
        customer_id: caller,
        lines,
        total,
        invoiced: false,
    });
    emulator.harness.record(
        "order_created",
        json!({"orderId": id, "number": number, "customerId": caller, "total": total.to_string(), "currencyCode": CURRENCY, "lines": recorded_lines}),
    );
    let index = shop.orders.len() - 1;
    if let Some(invoice) = shop.invoice_order(index) {
        emulator.harness.record("invoice_created", invoice);
    }
    with_location(
        StatusCode::CREATED,
        &format!("{}{BASE_PATH}/order/{id}", origin(&headers)),
        Some(json!({"id": id, "number": number})),
    )
}

fn complete_transaction(emulator: &Emulator, shop: &mut Shop, transaction_index: usize) {
    shop.transactions[transaction_index].completed = true;
    let transaction = shop.transactions[transaction_index].clone();
    emulator.harness.record(
        "order_transaction_completed",
        json!({"transactionId": transaction.id, "orderId": transaction.order_id, "amount": transaction.amount.to_string(), "method": transaction.method}),
    );
    if let Some(order_index) = shop
        .orders
        .iter()
        .position(|order| order.id == transaction.order_id)
        && let Some(invoice) = shop.invoice_order(order_index)
    {
        emulator.harness.record("invoice_created", invoice);
    }
}

async fn pay_with_saved_card(
    State(emulator): State<Emulator>,
    Path(card_id): Path<String>,
    headers: HeaderMap,
) -> Response {
    let mut shop = emulator.shop();
    let Some(caller) = customer_of(&shop, &headers) else {
        return invalid_token();
    };
    // "The order and the card must belong to the same customer."
    let Some(card) = card_id
        .parse::<u64>()
        .ok()
        .and_then(|id| {
            shop.cards
                .iter()
                .find(|card| card.id == id && card.customer_id == caller)
        })
        .cloned()
    else {
        return bad_request(&format!("Unknown payment card {card_id}."));
    };
    let Some(order_index) = shop.order_to_pay(caller) else {
        return bad_request("The customer has no order with an amount to pay.");
    };
    let order = shop.orders[order_index].clone();
    let amount = shop.outstanding(&order);
    if card.declines {
        emulator.harness.record(
            "payment_rejected",
            json!({"orderId": order.id, "cardId": card.id, "amount": amount.to_string()}),
        );
        return bad_request("Rejected by acquirer");
    }
    let id = shop.next_transaction_id;
    shop.next_transaction_id += 1;
    shop.transactions.push(TransactionRecord {
        id,
        order_id: order.id,
        amount,
        method: format!("savedcard:{}", card.id),
        completed: false,
        psp_key: None,
    });
    let index = shop.transactions.len() - 1;
    complete_transaction(&emulator, &mut shop, index);
    axum::Json(json!({"id": id})).into_response()
}

async fn pay_with_method(State(emulator): State<Emulator>, headers: HeaderMap, body: Bytes) -> Response {
    let mut shop = emulator.shop();
    let Some(caller) = customer_of(&shop, &headers) else {
        return invalid_token();
    };
    let body = match json_body(&body) {
        Ok(body) => body,
        Err(response) => return response,
    };
    for key in ["successUrl", "failedUrl", "clientName"] {
        if let Err(response) = required(&body, key) {
            return response;
        }
    }
    let method = text(&body, "paymentMethod").unwrap_or("any").to_owned();
    let Some(order_index) = shop.order_to_pay(caller) else {
        // Fully paid: "All order transactions from the order are returned".
        let Some(latest) = shop.orders.iter().rev().find(|order| order.customer_id == caller) else {
            return bad_request("The customer has no order to pay.");
        };
        let all: Vec<Value> = shop
            .transactions
            .iter()
            .filter(|transaction| transaction.order_id == latest.id && transaction.completed)
            .map(|transaction| json!({"id": transaction.id}))
            .collect();
        return axum::Json(all).into_response();
    };
    let order = shop.orders[order_index].clone();
    let amount = shop.outstanding(&order);
    let id = shop.next_transaction_id;
    shop.next_transaction_id += 1;
    let key = hex(&rand::random::<[u8; 32]>());
    shop.transactions.push(TransactionRecord {
        id,
        order_id: order.id,
        amount,
        method: method.clone(),
        completed: false,
        psp_key: Some(key.clone()),
    });
    emulator.harness.record(
        "order_transaction_created",
        json!({"transactionId": id, "orderId": order.id, "amount": amount.to_string(), "paymentMethod": method}),
    );
    with_location(
        StatusCode::CREATED,
        &format!("{}/_sandbox/psp/payments/{key}", origin(&headers)),
        Some(json!({"id": id})),
    )
}

// ----- Catalog --------------------------------------------------------------------------

async fn categories(State(emulator): State<Emulator>) -> Response {
    axum::Json(emulator.shop().categories.clone()).into_response()
}

async fn products(State(emulator): State<Emulator>, Query(query): Params) -> Response {
    let shop = emulator.shop();
    let wanted = query.get("productType").filter(|kind| !kind.is_empty());
    let products: Vec<&ProductRecord> = shop
        .products
        .iter()
        .filter(|product| wanted.is_none_or(|kind| product.product_type == *kind))
        .collect();
    axum::Json(products).into_response()
}

async fn product_without_id() -> Response {
    missing("productId")
}

async fn product(State(emulator): State<Emulator>, Path(product_id): Path<String>) -> Response {
    let shop = emulator.shop();
    match product_id
        .parse::<u64>()
        .ok()
        .and_then(|id| shop.products.iter().find(|product| product.id == id))
    {
        Some(product) => axum::Json(product).into_response(),
        None => error(
            StatusCode::NOT_FOUND,
            &format!("Unknown product {product_id}."),
            json!(0),
        ),
    }
}

// ----- Invoices -------------------------------------------------------------------------

fn xml_text(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn invoices_xml(invoices: &[&InvoiceRecord]) -> String {
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<invoices>\n");
    for invoice in invoices {
        out.push_str(" <invoice>\n");
        let mut element = |indent: &str, name: &str, value: &str| {
            out.push_str(&format!("{indent}<{name}>{}</{name}>\n", xml_text(value)));
        };
        element("  ", "id", &invoice.id.to_string());
        element("  ", "number", &invoice.number.to_string());
        element("  ", "orderId", &invoice.order_id.to_string());
        element("  ", "type", &invoice.kind);
        element("  ", "date", &invoice.date);
        element("  ", "totalAmount", &invoice.total_amount.to_string());
        element("  ", "totalDiscount", &invoice.total_discount.to_string());
        element("  ", "totalVat", &invoice.total_vat.to_string());
        element("  ", "currencyCode", &invoice.currency_code);
        out.push_str("  <customer>\n");
        for (name, value) in &invoice.customer {
            let value = match value {
                Value::String(text) => text.clone(),
                other => other.to_string(),
            };
            out.push_str(&format!("   <{name}>{}</{name}>\n", xml_text(&value)));
        }
        out.push_str("  </customer>\n  <lines>\n");
        for line in &invoice.lines {
            out.push_str("   <line>\n");
            let mut element = |name: &str, value: &str| {
                out.push_str(&format!("    <{name}>{}</{name}>\n", xml_text(value)));
            };
            element("id", &line.id.to_string());
            element("type", &line.kind);
            element("quantity", &line.quantity.to_string());
            element("amount", &line.amount.to_string());
            element("discount", &line.discount.to_string());
            element("vatPercentage", &line.vat_percentage.to_string());
            element("totalAmount", &line.total_amount.to_string());
            if let Some(sku) = &line.sku {
                element("sku", sku);
            }
            if !line.numbers.is_empty() {
                out.push_str("    <numbers>\n");
                for number in &line.numbers {
                    out.push_str(&format!("     <number>{number}</number>\n"));
                }
                out.push_str("    </numbers>\n");
            }
            out.push_str("   </line>\n");
        }
        out.push_str("  </lines>\n </invoice>\n");
    }
    out.push_str("</invoices>\n");
    out
}

async fn invoices(State(emulator): State<Emulator>, headers: HeaderMap, Query(query): Params) -> Response {
    if !is_api_user(&headers) {
        return unauthorized_api_user();
    }
    let xml = match query.get("format").map(String::as_str).unwrap_or("json") {
        "json" => false,
        "xml" => true,
        _ => return bad_request("format is not valid. Must be json or xml."),
    };
    let limit = match query.get("limit") {
        None => DEFAULT_INVOICE_LIMIT,
        Some(text) => match text.parse::<usize>() {
            Ok(limit) if limit > 0 => limit,
            _ => return bad_request("limit must be a positive number."),
        },
    };
    let shop = emulator.shop();
    let after = match query.get("afterNumber") {
        None => None,
        Some(text) => match text.parse::<u64>() {
            Ok(after) if shop.invoices.iter().any(|invoice| invoice.number == after) => Some(after),
            _ => {
                return error(
                    StatusCode::NOT_FOUND,
                    "afterNumber is not a known invoice.",
                    json!(0),
                );
            }
        },
    };
    let page: Vec<&InvoiceRecord> = shop
        .invoices
        .iter()
        .filter(|invoice| after.is_none_or(|after| invoice.number > after))
        .take(limit)
        .collect();
    if xml {
        ([(header::CONTENT_TYPE, "application/xml")], invoices_xml(&page)).into_response()
    } else {
        axum::Json(page).into_response()
    }
}

async fn mark_invoice_paid(
    State(emulator): State<Emulator>,
    Path(external_id): Path<String>,
    headers: HeaderMap,
) -> Response {
    if !is_api_user(&headers) {
        return unauthorized_api_user();
    }
    let mut shop = emulator.shop();
    let matching: Vec<usize> = shop
        .invoices
        .iter()
        .enumerate()
        .filter(|(_, invoice)| invoice.external_id.as_deref() == Some(external_id.as_str()))
        .map(|(index, _)| index)
        .collect();
    match matching.as_slice() {
        [] => error(
            StatusCode::NOT_FOUND,
            "The supplied externalId is not known.",
            json!(0),
        ),
        [index] => {
            let invoice = &mut shop.invoices[*index];
            let was_paid = invoice.paid;
            invoice.paid = true;
            emulator.harness.record(
                "invoice_marked_paid",
                json!({"number": invoice.number, "externalId": external_id, "wasPaid": was_paid}),
            );
            no_content()
        }
        _ => error(
            StatusCode::NOT_ACCEPTABLE,
            "The supplied externalId does not uniquely identify an invoice.",
            json!(0),
        ),
    }
}

// ----- Loyalty and vouchers -------------------------------------------------------------

async fn register_usage(State(emulator): State<Emulator>, headers: HeaderMap, body: Bytes) -> Response {
    let mut shop = emulator.shop();
    let Some(caller) = customer_of(&shop, &headers) else {
        return invalid_token();
    };
    let body = match json_body(&body) {
        Ok(body) => body,
        Err(response) => return response,
    };
    let Some(code) = text(&body, "code").map(str::to_owned) else {
        return bad_request("Argument \"code\" missing or empty.");
    };
    for key in ["clientName", "clientOs"] {
        if let Err(response) = required(&body, key) {
            return response;
        }
    }
    let Some(barcode) = shop.barcodes.get_mut(&code) else {
        return error(
            StatusCode::NOT_FOUND,
            &format!("Unknown loyalty barcode: {code}"),
            json!("1000"),
        );
    };
    if !barcode.valid {
        return error(
            StatusCode::FORBIDDEN,
            "Loyalty barcode no longer valid",
            json!("1001"),
        );
    }
    if barcode.used {
        return error(
            StatusCode::FORBIDDEN,
            "Loyalty barcode already used",
            json!("1002"),
        );
    }
    barcode.used = true;
    let points = barcode.points;
    emulator.harness.record(
        "loyalty_usage_registered",
        json!({"code": code, "customerId": caller, "points": points.to_string()}),
    );
    #[derive(Serialize)]
    struct Points {
        #[serde(serialize_with = "number")]
        points: Decimal,
    }
    axum::Json(Points { points }).into_response()
}

async fn voucher_code(
    State(emulator): State<Emulator>,
    headers: HeaderMap,
    Query(query): Params,
) -> Response {
    let shop = emulator.shop();
    if customer_of(&shop, &headers).is_none() {
        return invalid_token();
    }
    let Some(code) = query
        .get("code")
        .map(|code| code.trim())
        .filter(|code| !code.is_empty())
    else {
        return bad_request("Missing voucher code value");
    };
    match shop.vouchers.iter().find(|voucher| voucher.code == code) {
        Some(voucher) => axum::Json(voucher).into_response(),
        None => error(StatusCode::NOT_FOUND, "Unknown voucher code", json!(0)),
    }
}

async fn redeem_voucher_code(State(emulator): State<Emulator>, headers: HeaderMap, body: Bytes) -> Response {
    let mut shop = emulator.shop();
    let Some(caller) = customer_of(&shop, &headers) else {
        return invalid_token();
    };
    let body = match json_body(&body) {
        Ok(body) => body,
        Err(response) => return response,
    };
    let Some(id) = body.get("id").and_then(Value::as_u64) else {
        return bad_request("Missing voucher code ID");
    };
    let Some(voucher) = shop.vouchers.iter_mut().find(|voucher| voucher.id == id) else {
        return error(StatusCode::NOT_FOUND, "Unknown voucher code", json!(0));
    };
    if voucher.redeemed {
        return error(StatusCode::FORBIDDEN, "Voucher code already redeemed", json!(0));
    }
    voucher.redeemed = true;
    voucher.is_valid = false;
    voucher.message = Some("Rabatkoden er allerede brugt".to_owned());
    emulator.harness.record(
        "voucher_code_redeemed",
        json!({"id": id, "code": voucher.code, "customerId": caller}),
    );
    no_content()
}

// ----- Control routes -------------------------------------------------------------------

fn control_error(message: impl Into<String>) -> Response {
    (
        StatusCode::BAD_REQUEST,
        axum::Json(json!({"error": message.into()})),
    )
        .into_response()
}

async fn control_state(State(emulator): State<Emulator>) -> Response {
    let shop = emulator.shop();
    let customers: Vec<Value> = shop
        .customers
        .values()
        .map(|customer| {
            json!({"id": customer.id, "username": customer.username, "guest": customer.guest, "anonymized": customer.anonymized,
                   "pushTokenSet": customer.push_token.is_some(),
                   "address": customer.address.iter().map(|(field, value)| json!({"field": field, "value": value})).collect::<Vec<_>>()})
        })
        .collect();
    let orders: Vec<Value> = shop
        .orders
        .iter()
        .map(|order| {
            json!({"id": order.id, "number": order.number, "customerId": order.customer_id, "total": order.total.to_string(),
                   "outstanding": shop.outstanding(order).to_string(), "invoiced": order.invoiced})
        })
        .collect();
    let transactions: Vec<Value> = shop
        .transactions
        .iter()
        .map(|transaction| {
            json!({"id": transaction.id, "orderId": transaction.order_id, "amount": transaction.amount.to_string(),
                   "method": transaction.method, "completed": transaction.completed})
        })
        .collect();
    let cards: Vec<Value> = shop
        .cards
        .iter()
        .map(|card| json!({"id": card.id, "customerId": card.customer_id, "brand": card.brand}))
        .collect();
    let invoices: Vec<Value> = shop
        .invoices
        .iter()
        .map(|invoice| {
            json!({"number": invoice.number, "type": invoice.kind, "orderId": invoice.order_id, "externalId": invoice.external_id,
                   "paid": invoice.paid, "totalAmount": invoice.total_amount.to_string()})
        })
        .collect();
    let vouchers: Vec<Value> = shop
        .vouchers
        .iter()
        .map(|voucher| json!({"id": voucher.id, "code": voucher.code, "redeemed": voucher.redeemed}))
        .collect();
    let barcodes: Vec<Value> = shop
        .barcodes
        .iter()
        .map(|(code, barcode)| json!({"code": code, "valid": barcode.valid, "used": barcode.used}))
        .collect();
    axum::Json(
        json!({"customers": customers, "orders": orders, "transactions": transactions, "cards": cards,
                      "invoices": invoices, "vouchers": vouchers, "barcodes": barcodes}),
    )
    .into_response()
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct NewInvoiceLine {
    #[serde(rename = "type", default = "product_kind")]
    kind: String,
    #[serde(deserialize_with = "decimal_field")]
    quantity: Decimal,
    #[serde(deserialize_with = "decimal_field")]
    amount: Decimal,
    #[serde(default, deserialize_with = "optional_decimal_field")]
    discount: Option<Decimal>,
    #[serde(deserialize_with = "decimal_field")]
    vat_percentage: Decimal,
    #[serde(default)]
    sku: Option<String>,
    #[serde(default)]
    numbers: Vec<u64>,
}

fn product_kind() -> String {
    "product".to_owned()
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct NewInvoice {
    #[serde(rename = "type", default = "invoice_kind")]
    kind: String,
    #[serde(default)]
    order_id: Option<u64>,
    #[serde(default)]
    customer_id: Option<u64>,
    #[serde(default)]
    currency_code: Option<String>,
    #[serde(default)]
    date: Option<String>,
    #[serde(default)]
    external_id: Option<String>,
    /// When absent, the VAT in each line's total at its rate, to the øre.
    #[serde(default, deserialize_with = "optional_decimal_field")]
    total_vat: Option<Decimal>,
    lines: Vec<NewInvoiceLine>,
}

fn invoice_kind() -> String {
    "invoice".to_owned()
}

async fn control_add_invoice(State(emulator): State<Emulator>, body: Bytes) -> Response {
    let new: NewInvoice = match serde_json::from_slice(&body) {
        Ok(new) => new,
        Err(error) => return control_error(format!("not an invoice: {error}")),
    };
    let mut shop = emulator.shop();
    let customer_id = new.customer_id.unwrap_or(DEMO_CUSTOMER_ID);
    let mut lines = Vec::new();
    let mut total = Decimal::ZERO;
    let mut discount_total = Decimal::ZERO;
    let mut vat_total = Decimal::ZERO;
    for line in new.lines {
        let discount = line.discount.unwrap_or(Decimal::ZERO);
        let line_total = line.quantity * line.amount - discount;
        total += line_total;
        discount_total += discount;
        vat_total +=
            (line_total * line.vat_percentage / (Decimal::ONE_HUNDRED + line.vat_percentage)).round_dp(2);
        let id = shop.next_line_id();
        lines.push(InvoiceLineRecord {
            id,
            kind: line.kind,
            quantity: line.quantity,
            amount: line.amount,
            discount,
            vat_percentage: line.vat_percentage,
            total_amount: line_total,
            sku: line.sku,
            numbers: line.numbers,
        });
    }
    let invoice = InvoiceRecord {
        id: 0,
        number: 0,
        order_id: new.order_id.unwrap_or(0),
        kind: new.kind,
        date: new
            .date
            .unwrap_or_else(|| chrono::Utc::now().date_naive().to_string()),
        total_amount: total,
        total_discount: discount_total,
        total_vat: new.total_vat.unwrap_or(vat_total),
        currency_code: new.currency_code.unwrap_or_else(|| CURRENCY.to_owned()),
        customer: shop.invoice_customer(customer_id),
        lines,
        external_id: new.external_id,
        paid: false,
    };
    let invoice = shop.add_invoice(invoice);
    let answer = json!({"number": invoice.number, "id": invoice.id, "totalAmount": invoice.total_amount.to_string(),
                        "externalId": invoice.external_id});
    emulator.harness.record("invoice_created", answer.clone());
    axum::Json(answer).into_response()
}

async fn control_set_external_id(
    State(emulator): State<Emulator>,
    Path(number): Path<u64>,
    body: Bytes,
) -> Response {
    let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let Some(external_id) = text(&body, "externalId").map(str::to_owned) else {
        return control_error("externalId is required");
    };
    let mut shop = emulator.shop();
    let Some(invoice) = shop.invoices.iter_mut().find(|invoice| invoice.number == number) else {
        return control_error(format!("no invoice number {number}"));
    };
    invoice.external_id = Some(external_id.clone());
    emulator.harness.record(
        "invoice_exported",
        json!({"number": number, "externalId": external_id}),
    );
    no_content()
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct NewProduct {
    id: u64,
    name: String,
    #[serde(default)]
    label: Option<String>,
    #[serde(default = "product_kind")]
    product_type: String,
    #[serde(deserialize_with = "decimal_field")]
    price_incl_vat: Decimal,
    #[serde(deserialize_with = "decimal_field")]
    vat: Decimal,
    #[serde(default)]
    currency_code: Option<String>,
    #[serde(default)]
    has_inventory_per_date: bool,
}

async fn control_add_product(State(emulator): State<Emulator>, body: Bytes) -> Response {
    let new: NewProduct = match serde_json::from_slice(&body) {
        Ok(new) => new,
        Err(error) => return control_error(format!("not a product: {error}")),
    };
    let mut shop = emulator.shop();
    shop.products.retain(|product| product.id != new.id);
    let product = ProductRecord {
        id: new.id,
        name: new.name.clone(),
        label: new.label,
        product_type: new.product_type,
        price_incl_vat: new.price_incl_vat,
        vat: new.vat,
        currency_code: new.currency_code.unwrap_or_else(|| CURRENCY.to_owned()),
        has_inventory_per_date: new.has_inventory_per_date,
        app_data: json!({"header": new.name, "description": "", "image": null}),
        properties: json!({}),
    };
    emulator.harness.record(
        "product_added",
        json!({"id": product.id, "priceInclVat": product.price_incl_vat.to_string()}),
    );
    shop.products.push(product);
    no_content()
}

#[derive(Deserialize)]
struct NewBarcode {
    code: String,
    #[serde(deserialize_with = "decimal_field")]
    points: Decimal,
    #[serde(default = "yes")]
    valid: bool,
}

fn yes() -> bool {
    true
}

async fn control_add_barcode(State(emulator): State<Emulator>, body: Bytes) -> Response {
    let new: NewBarcode = match serde_json::from_slice(&body) {
        Ok(new) => new,
        Err(error) => return control_error(format!("not a barcode: {error}")),
    };
    emulator.shop().barcodes.insert(
        new.code.clone(),
        BarcodeRecord {
            points: new.points,
            valid: new.valid,
            used: false,
        },
    );
    emulator.harness.record(
        "loyalty_barcode_added",
        json!({"code": new.code, "valid": new.valid}),
    );
    no_content()
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct NewCreationPrice {
    #[serde(deserialize_with = "decimal_field")]
    amount: Decimal,
    #[serde(default, deserialize_with = "optional_decimal_field")]
    discount: Option<Decimal>,
    #[serde(deserialize_with = "decimal_field")]
    vat_percentage: Decimal,
    #[serde(default)]
    currency_code: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct NewVoucher {
    id: u64,
    voucher_id: u64,
    code: String,
    #[serde(default = "yes")]
    is_valid: bool,
    #[serde(default)]
    message: Option<String>,
    #[serde(default)]
    creation_price: Option<NewCreationPrice>,
}

async fn control_add_voucher(State(emulator): State<Emulator>, body: Bytes) -> Response {
    let new: NewVoucher = match serde_json::from_slice(&body) {
        Ok(new) => new,
        Err(error) => return control_error(format!("not a voucher code: {error}")),
    };
    let mut shop = emulator.shop();
    shop.vouchers
        .retain(|voucher| voucher.id != new.id && voucher.code != new.code);
    shop.vouchers.push(VoucherRecord {
        id: new.id,
        voucher_id: new.voucher_id,
        code: new.code.clone(),
        is_valid: new.is_valid,
        message: new.message,
        creation_price: new.creation_price.map(|price| CreationPriceRecord {
            amount: price.amount,
            discount: price.discount.unwrap_or(Decimal::ZERO),
            vat_percentage: price.vat_percentage,
            currency_code: price.currency_code.unwrap_or_else(|| CURRENCY.to_owned()),
        }),
        redeemed: false,
    });
    emulator
        .harness
        .record("voucher_code_added", json!({"id": new.id, "code": new.code}));
    no_content()
}

async fn control_anonymize_blockers(
    State(emulator): State<Emulator>,
    Path(customer_id): Path<u64>,
    body: Bytes,
) -> Response {
    let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let Some(reasons) = body.get("reasons").and_then(Value::as_array) else {
        return control_error("reasons (an array of strings) is required");
    };
    let reasons: Vec<String> = reasons
        .iter()
        .filter_map(Value::as_str)
        .map(str::to_owned)
        .collect();
    let mut shop = emulator.shop();
    let Some(customer) = shop.customers.get_mut(&customer_id) else {
        return control_error(format!("no customer {customer_id}"));
    };
    customer.anonymize_blockers = reasons.clone();
    emulator.harness.record(
        "anonymize_blockers_set",
        json!({"customerId": customer_id, "reasons": reasons}),
    );
    no_content()
}

async fn control_card_declines(
    State(emulator): State<Emulator>,
    Path(card_id): Path<u64>,
    body: Bytes,
) -> Response {
    let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let declines = body.get("declines").and_then(Value::as_bool).unwrap_or(true);
    let mut shop = emulator.shop();
    let Some(card) = shop.cards.iter_mut().find(|card| card.id == card_id) else {
        return control_error(format!("no payment card {card_id}"));
    };
    card.declines = declines;
    emulator.harness.record(
        "card_declines_set",
        json!({"cardId": card_id, "declines": declines}),
    );
    no_content()
}

async fn control_complete_payment(State(emulator): State<Emulator>, Path(key): Path<String>) -> Response {
    let mut shop = emulator.shop();
    let Some(index) = shop
        .transactions
        .iter()
        .position(|transaction| transaction.psp_key.as_deref() == Some(key.as_str()))
    else {
        return control_error("no payment with that key");
    };
    if shop.transactions[index].completed {
        return control_error("that payment is already completed");
    }
    complete_transaction(&emulator, &mut shop, index);
    let transaction = &shop.transactions[index];
    axum::Json(json!({"transactionId": transaction.id, "orderId": transaction.order_id})).into_response()
}

async fn control_complete_card(
    State(emulator): State<Emulator>,
    Path(key): Path<String>,
    body: Bytes,
) -> Response {
    let body: Value = serde_json::from_slice(&body).unwrap_or(json!({}));
    let mut shop = emulator.shop();
    let Some(registration) = shop.card_registrations.remove(&key) else {
        return control_error("no card registration with that key");
    };
    let id = shop.next_card_id;
    shop.next_card_id += 1;
    let card = CardRecord {
        id,
        customer_id: registration.customer_id,
        brand: text(&body, "brand").unwrap_or("VISA").to_owned(),
        number: text(&body, "number").unwrap_or("100000...3333").to_owned(),
        expire_year: body
            .get("expireYear")
            .and_then(Value::as_u64)
            .and_then(|year| u16::try_from(year).ok())
            .unwrap_or(2030),
        expire_month: body
            .get("expireMonth")
            .and_then(Value::as_u64)
            .and_then(|month| u8::try_from(month).ok())
            .unwrap_or(12),
        declines: false,
    };
    shop.cards.push(card);
    emulator.harness.record(
        "payment_card_saved",
        json!({"cardId": id, "customerId": registration.customer_id}),
    );
    let separator = if registration.success_url.contains('?') {
        '&'
    } else {
        '?'
    };
    axum::Json(
        json!({"cardId": id, "redirect": format!("{}{separator}cardId={id}", registration.success_url)}),
    )
    .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_are_written_with_their_digits() {
        #[derive(Serialize)]
        struct Body {
            #[serde(serialize_with = "number")]
            amount: Decimal,
        }
        for digits in ["0.1", "4200.5", "840.1", "19.80"] {
            let text = serde_json::to_string(&Body {
                amount: digits.parse().unwrap(),
            })
            .unwrap();
            assert_eq!(text, format!(r#"{{"amount":{digits}}}"#));
        }
        let raw = RawValue::from_string("19.80".to_owned()).unwrap();
        assert_eq!(decimal_of(&raw).unwrap().to_string(), "19.80");
    }

    #[test]
    fn xml_text_is_escaped() {
        assert_eq!(xml_text("a<b & \"c\""), "a&lt;b &amp; &quot;c&quot;");
    }
}
