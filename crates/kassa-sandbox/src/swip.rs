//! SWiP POS API v3 (seeds/003): QR / app payments with SWiP loyalty.
//!
//! The till creates an order; the customer scans its `sessionCode` and pays in the SWiP
//! app (or pays cash or card at the till after the loyalty calculation); the till polls
//! the order and closes it once with the amount it takes (0 cancels). Closed orders can
//! be refunded (partially, any number of times) or, while the funds are still on hold,
//! reversed.
//!
//! | method and path | what it does |
//! |---|---|
//! | `POST /orders` | creates an OPEN order; an existing `merchantOrderId` answers error 28 |
//! | `GET /orders/{id}` | the order as it is now |
//! | `POST /orders/{id}/actions/close` | closes (amount > 0) or cancels (amount 0 or no body) once |
//! | `POST /refunds` | refunds part or all of a closed, app-paid order; never deduplicated |
//! | `POST /reverses` | releases held funds of a closed order not yet settled (else error 27) |
//! | `POST /loyalty-calculations` | the anonymous discount for a basket (demo program 584: 10 %) |
//!
//! Control routes, acting as the customer's app and the bank:
//!
//! | method and path | what it does |
//! |---|---|
//! | `GET /_sandbox/orders` | every order with its full state (also `reversed`, `settled`) |
//! | `POST /_sandbox/orders/{id}/pay` | the customer pays `{"amount": n}` in the app (all that is left when absent) |
//! | `POST /_sandbox/orders/{id}/loyalty` | the app gives the customer a personal discount `{"discount": n}` before they pay: `total` drops, `totalOriginal` stays |
//! | `POST /_sandbox/orders/{id}/decline` | the bank declines the customer's payment (`{"reason": "..."}`) |
//! | `POST /_sandbox/orders/{id}/abandon` | the customer walks away: the order times out and is closed with 0 |
//! | `POST /_sandbox/orders/{id}/settle` | the bank captures the held funds: reverses are no longer possible |
//! | `POST /_sandbox/outage` | `{"on": true}`: every document endpoint answers 500 with code 1 until `{"on": false}` |
//!
//! Readings of the document this emulator shares with the client (kassa-providers'
//! `swip` module documents each):
//! - business refusals of `/orders...` answer HTTP 400 with the error object; a missing
//!   order 404 with code 9; authentication 401 code 2; a store or merchant that is not
//!   this merchant's 403 code 4; a method the path does not take 405 code 7; a body that
//!   is not JSON or an `Api-Version` other than 3, 400 code 10;
//! - refunds and reverses that SWiP refuses for the order's state answer HTTP 200 with
//!   `{"status":"FAIL","code":n,"description":...}`, the shape their response example has;
//! - closing twice answers 30; a refund or reverse of an OPEN order 11; of an order not
//!   paid through SWiP 31; beyond what is left 32; of a fully refunded order 29; a
//!   calculation for a closed order 6; a second OPEN order with the same `sessionCode` 8;
//!   closing an order that timed out 13;
//! - `ROUNDED` is only for orders paid outside the app (`paid` 0), and the close amount
//!   may then differ from `total` by at most one unit;
//! - refund `merchantId` is the merchant's code, the same as `X-Merchant-ID`.

use std::collections::BTreeMap;
use std::str::FromStr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use rust_decimal::Decimal;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::value::RawValue;
use serde_json::{Value, json};

use crate::Harness;

/// The document's integration URL (`https://capi3.weawer.ru`) has no path.
pub const BASE_PATH: &str = "";

/// The static token the demo merchant was issued.
pub const DEMO_TOKEN: &str = "8c6b8b64-6815-6084-0a3e-178401251b68";
/// The demo merchant's four-letter code.
pub const DEMO_MERCHANT_ID: &str = "ABCD";
/// The demo store, as SWiP registered it at onboarding.
pub const DEMO_STORE_ID: &str = "store-1";
/// The demo till.
pub const DEMO_CASH_ID: &str = "1231";

/// The settings the demo database is configured with (keys of `kassa_providers::swip::FIELDS`).
pub const DEMO_SETTINGS: &[(&str, &str)] = &[
    ("token", DEMO_TOKEN),
    ("merchant_id", DEMO_MERCHANT_ID),
    ("store_id", DEMO_STORE_ID),
    ("cash_id", DEMO_CASH_ID),
    ("pos_type", "KASSA"),
    ("currency", "EUR"),
];

/// The demo anonymous loyalty program.
const DEMO_PROGRAM_ID: i64 = 584;
const DEMO_PROGRAM_RATE: Decimal = Decimal::from_parts(10, 0, 0, false, 2);

/// The error codes of the document's table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Code {
    Internal = 1,
    Authentication = 2,
    AccessDenied = 4,
    ValidationFailed = 5,
    IllegalState = 6,
    MethodNotSupported = 7,
    Duplicate = 8,
    NotFound = 9,
    UnsupportedMessage = 10,
    OrderFlowViolation = 11,
    OperationTimedOut = 13,
    ReverseUnavailable = 27,
    OrderAlreadyExists = 28,
    OrderAlreadyRefunded = 29,
    OrderAlreadyConfirmed = 30,
    OrderNotPaid = 31,
    ExcessTotalAmount = 32,
}

impl Code {
    fn text(self) -> &'static str {
        match self {
            Code::Internal => "INTERNAL SERVER ERROR",
            Code::Authentication => "AUTHENTICATION ERROR",
            Code::AccessDenied => "ACCESS DENIED",
            Code::ValidationFailed => "VALIDATION FAILED",
            Code::IllegalState => "ILLEGAL STATE",
            Code::MethodNotSupported => "METHOD NOT SUPPORTED",
            Code::Duplicate => "DUPLICATE",
            Code::NotFound => "NOT FOUND",
            Code::UnsupportedMessage => "UNSUPPORTED MESSAGE",
            Code::OrderFlowViolation => "ORDER FLOW VIOLATION",
            Code::OperationTimedOut => "OPERATION TIMED OUT",
            Code::ReverseUnavailable => "REVERSE UNAVAILABLE",
            Code::OrderAlreadyExists => "ORDER ALREADY EXISTS",
            Code::OrderAlreadyRefunded => "ORDER ALREADY REFUNDED",
            Code::OrderAlreadyConfirmed => "ORDER ALREADY CONFIRMED",
            Code::OrderNotPaid => "ORDER NOT PAID",
            Code::ExcessTotalAmount => "EXCESS TOTAL AMOUNT",
        }
    }

    fn status(self) -> StatusCode {
        match self {
            Code::Internal => StatusCode::INTERNAL_SERVER_ERROR,
            Code::Authentication => StatusCode::UNAUTHORIZED,
            Code::AccessDenied => StatusCode::FORBIDDEN,
            Code::NotFound => StatusCode::NOT_FOUND,
            Code::MethodNotSupported => StatusCode::METHOD_NOT_ALLOWED,
            _ => StatusCode::BAD_REQUEST,
        }
    }
}

/// A documented error answer: the error object with its HTTP status.
#[derive(Debug)]
struct Failure {
    code: Code,
    description: String,
    field_errors: Vec<Value>,
}

impl Failure {
    fn new(code: Code, description: impl Into<String>) -> Failure {
        Failure {
            code,
            description: description.into(),
            field_errors: Vec::new(),
        }
    }

    fn fields(field_errors: Vec<Value>) -> Failure {
        Failure {
            code: Code::ValidationFailed,
            description: Code::ValidationFailed.text().to_owned(),
            field_errors,
        }
    }
}

impl IntoResponse for Failure {
    fn into_response(self) -> Response {
        let body = json!({
            "code": self.code as i64,
            "description": self.description,
            "fieldErrors": self.field_errors,
        });
        (self.code.status(), axum::Json(body)).into_response()
    }
}

fn field_error(object: &str, field: &str, message: &str) -> Value {
    json!({"field": field, "message": message, "objectName": object})
}

// ---------------------------------------------------------------------------------------
// Exact amounts: read from the number's own text, written as the decimal's digits.

fn decimal_from_raw(raw: &RawValue) -> Result<Decimal, String> {
    let text = raw.get().trim();
    if !text.starts_with(|c: char| c == '-' || c.is_ascii_digit()) {
        return Err(format!("expected a number, found {text}"));
    }
    let parsed = if text.contains(['e', 'E']) {
        Decimal::from_scientific(text)
    } else {
        Decimal::from_str(text)
    };
    parsed.map_err(|_| format!("{text} is not a usable amount"))
}

fn optional_decimal<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<Decimal>, D::Error> {
    let raw = Option::<Box<RawValue>>::deserialize(deserializer)?;
    match raw {
        None => Ok(None),
        Some(raw) if raw.get().trim() == "null" => Ok(None),
        Some(raw) => decimal_from_raw(&raw).map(Some).map_err(serde::de::Error::custom),
    }
}

fn number<S: Serializer>(amount: &Decimal, serializer: S) -> Result<S::Ok, S::Error> {
    match RawValue::from_string(amount.to_string()) {
        Ok(raw) => raw.serialize(serializer),
        Err(error) => Err(serde::ser::Error::custom(error)),
    }
}

#[cfg(test)]
fn optional_number<S: Serializer>(amount: &Option<Decimal>, serializer: S) -> Result<S::Ok, S::Error> {
    match amount {
        Some(amount) => number(amount, serializer),
        None => serializer.serialize_none(),
    }
}

/// The body parsed as `T`: not JSON is code 10, JSON of the wrong shape code 5.
fn parse_body<T: for<'de> Deserialize<'de>>(body: &Bytes, object: &str) -> Result<T, Failure> {
    let value: &RawValue = serde_json::from_slice(body)
        .map_err(|error| Failure::new(Code::UnsupportedMessage, format!("the body is not JSON: {error}")))?;
    serde_json::from_str(value.get())
        .map_err(|error| Failure::fields(vec![field_error(object, "", &error.to_string())]))
}

// ---------------------------------------------------------------------------------------
// State

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Status {
    Open,
    Closed,
}

impl Status {
    fn text(self) -> &'static str {
        match self {
            Status::Open => "OPEN",
            Status::Closed => "CLOSED",
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
struct PurchaseIn {
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    parent_id: Option<String>,
    #[serde(default)]
    product_id: Option<String>,
    #[serde(default, deserialize_with = "optional_decimal")]
    quantity: Option<Decimal>,
    #[serde(default)]
    unit: Option<String>,
    #[serde(default, deserialize_with = "optional_decimal")]
    price: Option<Decimal>,
    #[serde(default, deserialize_with = "optional_decimal")]
    amount: Option<Decimal>,
    #[serde(default, deserialize_with = "optional_decimal")]
    discount: Option<Decimal>,
    #[serde(default, deserialize_with = "optional_decimal")]
    mrp: Option<Decimal>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
struct PurchaseOut {
    id: String,
    #[serde(serialize_with = "number")]
    discount: Decimal,
    name: String,
    parent_id: Option<String>,
    product_id: Option<String>,
    #[serde(serialize_with = "number")]
    quantity: Decimal,
    unit: Option<String>,
    #[serde(serialize_with = "number")]
    price: Decimal,
    #[serde(serialize_with = "number")]
    amount: Decimal,
}

#[derive(Debug, Clone)]
struct Order {
    id: String,
    merchant_order_id: String,
    merchant_order_number: Option<String>,
    cashier: String,
    cashier_id: Option<String>,
    sale_date: i64,
    session_code: String,
    total: Decimal,
    total_original: Decimal,
    purchases: Vec<PurchaseOut>,
    store: String,
    cash: String,
    order_number: String,
    status: Status,
    paid: Decimal,
    unconfirmed: Decimal,
    close_amount: Decimal,
    refunded: Decimal,
    reversed: Decimal,
    settled: bool,
    timed_out: bool,
    error: Option<String>,
    payment: Option<AppPayment>,
    paid_cash: bool,
}

/// What the bank reports once the customer pays in the app.
#[derive(Debug, Clone)]
struct AppPayment {
    pan: String,
    rrn: String,
    authorization_code: String,
    terminal_no: String,
}

impl Order {
    fn slip(&self) -> Option<String> {
        let payment = self.payment.as_ref()?;
        Some(slip_text(&[
            "SWiP DEMO BANK".to_owned(),
            format!(
                "MERCHANT {DEMO_MERCHANT_ID}  STORE {}  TILL {}",
                self.store, self.cash
            ),
            format!("TERMINAL {}", payment.terminal_no),
            format!("CARD {}", payment.pan),
            format!("RRN {}  AUTH {}", payment.rrn, payment.authorization_code),
            format!("PAID {}", self.paid),
            if self.refunded > Decimal::ZERO {
                format!("REFUNDED {}", self.refunded)
            } else {
                "APPROVED".to_owned()
            },
        ]))
    }

    fn json(&self) -> OrderOut<'_> {
        OrderOut {
            api_version: 3,
            authorization_code: self.payment.as_ref().map(|p| p.authorization_code.as_str()),
            cash: self.paid_cash,
            close_amount: self.close_amount,
            customer_id: self
                .payment
                .as_ref()
                .map(|_| "5f0c4a1e-0000-4000-8000-00000000c0de"),
            discount_card: None,
            error: self.error.as_deref(),
            id: &self.id,
            merchant_cash: &self.cash,
            merchant_cashier: &self.cashier,
            merchant_cashier_id: self.cashier_id.as_deref(),
            merchant_category: "Demo",
            merchant_commission: Decimal::ZERO,
            merchant_discount: Decimal::ZERO,
            merchant_id: DEMO_MERCHANT_ID,
            merchant_name: "Kassa demo shop",
            merchant_order_id: &self.merchant_order_id,
            merchant_order_number: self.merchant_order_number.as_deref(),
            merchant_store: &self.store,
            order_number: &self.order_number,
            order_status: self.status.text(),
            paid: self.paid,
            pan: self.payment.as_ref().map(|p| p.pan.as_str()),
            payment_method: self.payment.as_ref().map(|_| "CARD"),
            payment_system: self.payment.as_ref().map(|_| "VISA"),
            purchases: &self.purchases,
            refunded: self.refunded,
            rrn: self.payment.as_ref().map(|p| p.rrn.as_str()),
            sale_date: self.sale_date,
            session_code: &self.session_code,
            slip: self.slip(),
            swip_discount: Decimal::ZERO,
            terminal_no: self.payment.as_ref().map(|p| p.terminal_no.as_str()),
            total: self.total,
            total_original: self.total_original,
            unconfirmed: self.unconfirmed,
        }
    }

    /// What can still be refunded or reversed: the app payment SWiP keeps.
    fn refundable(&self) -> Decimal {
        self.paid - self.refunded
    }

    fn state(&self) -> Value {
        json!({
            "id": self.id,
            "merchantOrderId": self.merchant_order_id,
            "orderStatus": self.status.text(),
            "total": self.total.to_string(),
            "paid": self.paid.to_string(),
            "unconfirmed": self.unconfirmed.to_string(),
            "closeAmount": self.close_amount.to_string(),
            "refunded": self.refunded.to_string(),
            "reversed": self.reversed.to_string(),
            "settled": self.settled,
            "timedOut": self.timed_out,
            "error": self.error,
            "sessionCode": self.session_code,
        })
    }
}

/// The bank slip: lines of at most 80 characters, as the document describes the `slip`.
fn slip_text(lines: &[String]) -> String {
    lines
        .iter()
        .map(|line| line.chars().take(80).collect::<String>())
        .collect::<Vec<_>>()
        .join("\n")
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct OrderOut<'a> {
    api_version: i64,
    authorization_code: Option<&'a str>,
    cash: bool,
    #[serde(serialize_with = "number")]
    close_amount: Decimal,
    customer_id: Option<&'a str>,
    discount_card: Option<&'a str>,
    error: Option<&'a str>,
    id: &'a str,
    merchant_cash: &'a str,
    merchant_cashier: &'a str,
    merchant_cashier_id: Option<&'a str>,
    merchant_category: &'a str,
    #[serde(serialize_with = "number")]
    merchant_commission: Decimal,
    #[serde(serialize_with = "number")]
    merchant_discount: Decimal,
    merchant_id: &'a str,
    merchant_name: &'a str,
    merchant_order_id: &'a str,
    merchant_order_number: Option<&'a str>,
    merchant_store: &'a str,
    order_number: &'a str,
    order_status: &'a str,
    #[serde(serialize_with = "number")]
    paid: Decimal,
    pan: Option<&'a str>,
    payment_method: Option<&'a str>,
    payment_system: Option<&'a str>,
    purchases: &'a [PurchaseOut],
    #[serde(serialize_with = "number")]
    refunded: Decimal,
    rrn: Option<&'a str>,
    sale_date: i64,
    session_code: &'a str,
    slip: Option<String>,
    #[serde(serialize_with = "number")]
    swip_discount: Decimal,
    terminal_no: Option<&'a str>,
    #[serde(serialize_with = "number")]
    total: Decimal,
    #[serde(serialize_with = "number")]
    total_original: Decimal,
    #[serde(serialize_with = "number")]
    unconfirmed: Decimal,
}

#[derive(Debug, Default)]
struct Orders {
    by_id: BTreeMap<String, Order>,
    next: u64,
}

impl Orders {
    fn by_merchant_order_id(&mut self, merchant_order_id: &str) -> Option<&mut Order> {
        self.by_id
            .values_mut()
            .find(|order| order.merchant_order_id == merchant_order_id)
    }
}

#[derive(Clone)]
struct Swip {
    harness: Harness,
    orders: Arc<Mutex<Orders>>,
    /// Set through `/_sandbox/outage`: every document endpoint answers code 1.
    outage: Arc<AtomicBool>,
}

impl Swip {
    fn orders(&self) -> MutexGuard<'_, Orders> {
        self.orders.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Who is calling, from the headers every request must carry.
struct Caller {
    store: String,
    cash: String,
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get(name)
        .and_then(|value| value.to_str().ok())
        .map(str::trim)
}

impl Swip {
    fn authorize(&self, headers: &HeaderMap) -> Result<Caller, Failure> {
        if self.outage.load(Ordering::SeqCst) {
            return Err(Failure::new(Code::Internal, "SWiP is having an outage"));
        }
        authorize(headers)
    }
}

fn authorize(headers: &HeaderMap) -> Result<Caller, Failure> {
    let token = header(headers, "authorization").and_then(|value| value.strip_prefix("Bearer "));
    if token.map(str::trim) != Some(DEMO_TOKEN) {
        return Err(Failure::new(
            Code::Authentication,
            "invalid or missing bearer token",
        ));
    }
    match header(headers, "x-merchant-id") {
        Some(DEMO_MERCHANT_ID) => {}
        Some(_) => return Err(Failure::new(Code::AccessDenied, "unknown merchant")),
        None => {
            return Err(Failure::fields(vec![field_error(
                "Headers",
                "X-Merchant-ID",
                "is required",
            )]));
        }
    }
    let store = match header(headers, "x-store-id") {
        Some(DEMO_STORE_ID) => DEMO_STORE_ID.to_owned(),
        Some(_) => {
            return Err(Failure::new(
                Code::AccessDenied,
                "the store is not this merchant's",
            ));
        }
        None => {
            return Err(Failure::fields(vec![field_error(
                "Headers",
                "X-Store-ID",
                "is required",
            )]));
        }
    };
    // Reading: the document allows an empty X-Cash-ID (vending machines), so only its
    // presence is required.
    let Some(cash) = header(headers, "x-cash-id") else {
        return Err(Failure::fields(vec![field_error(
            "Headers",
            "X-Cash-ID",
            "is required",
        )]));
    };
    if header(headers, "api-version") != Some("3") {
        return Err(Failure::new(Code::UnsupportedMessage, "Api-Version must be 3"));
    }
    Ok(Caller {
        store,
        cash: cash.to_owned(),
    })
}

fn new_uuid() -> String {
    let bits = rand::random::<u128>();
    // Version 4, variant 1, so the ids look like the document's.
    let bits = (bits & !(0xf << 76) | (0x4 << 76)) & !(0x3 << 62) | (0x2 << 62);
    let hex = format!("{bits:032x}");
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

/// The emulator's routes: the document's endpoints and its `/_sandbox/` control routes.
pub fn router(harness: Harness) -> Router {
    let swip = Swip {
        harness,
        orders: Arc::new(Mutex::new(Orders::default())),
        outage: Arc::new(AtomicBool::new(false)),
    };
    Router::new()
        .route("/orders", post(create_order).fallback(method_not_supported))
        .route("/orders/{id}", get(get_order).fallback(method_not_supported))
        .route(
            "/orders/{id}/actions/close",
            post(close_order).fallback(method_not_supported),
        )
        .route("/refunds", post(refund).fallback(method_not_supported))
        .route("/reverses", post(reverse).fallback(method_not_supported))
        .route(
            "/loyalty-calculations",
            post(loyalty_calculation).fallback(method_not_supported),
        )
        .route("/_sandbox/orders", get(control_orders))
        .route("/_sandbox/orders/{id}/pay", post(control_pay))
        .route("/_sandbox/orders/{id}/loyalty", post(control_loyalty))
        .route("/_sandbox/orders/{id}/decline", post(control_decline))
        .route("/_sandbox/orders/{id}/abandon", post(control_abandon))
        .route("/_sandbox/orders/{id}/settle", post(control_settle))
        .route("/_sandbox/outage", post(control_outage))
        .with_state(swip)
}

async fn method_not_supported() -> Response {
    Failure::new(Code::MethodNotSupported, "this path does not take that method").into_response()
}

// ---------------------------------------------------------------------------------------
// POST /orders

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct CreateOrderIn {
    #[serde(default)]
    session_code: Option<String>,
    #[serde(default)]
    merchant_order_id: Option<String>,
    #[serde(default)]
    merchant_order_number: Option<String>,
    #[serde(default)]
    merchant_cashier_id: Option<String>,
    #[serde(default)]
    merchant_cashier: Option<String>,
    #[serde(default)]
    sale_date: Option<i64>,
    #[serde(default, deserialize_with = "optional_decimal")]
    total: Option<Decimal>,
    #[serde(default, deserialize_with = "optional_decimal")]
    total_original: Option<Decimal>,
    #[serde(default)]
    purchases: Option<Vec<PurchaseIn>>,
    #[serde(default)]
    #[allow(dead_code)]
    guests: Option<i64>,
    #[serde(default)]
    pos_type: Option<String>,
    #[serde(default)]
    #[allow(dead_code)]
    positional_discount: Option<bool>,
}

fn required<'a>(value: &'a Option<String>, object: &str, field: &str, errors: &mut Vec<Value>) -> &'a str {
    match value.as_deref().map(str::trim) {
        Some(text) if !text.is_empty() => text,
        _ => {
            errors.push(field_error(object, field, "must not be empty"));
            ""
        }
    }
}

fn required_amount(value: Option<Decimal>, object: &str, field: &str, errors: &mut Vec<Value>) -> Decimal {
    match value {
        Some(amount) if amount >= Decimal::ZERO => amount,
        Some(_) => {
            errors.push(field_error(object, field, "must not be negative"));
            Decimal::ZERO
        }
        None => {
            errors.push(field_error(object, field, "must not be null"));
            Decimal::ZERO
        }
    }
}

fn checked_purchases(purchases: &[PurchaseIn], errors: &mut Vec<Value>) -> Vec<PurchaseOut> {
    purchases
        .iter()
        .map(|purchase| {
            let name = required(&purchase.name, "Purchase", "name", errors).to_owned();
            let quantity = required_amount(purchase.quantity, "Purchase", "quantity", errors);
            let price = required_amount(purchase.price, "Purchase", "price", errors);
            let amount = required_amount(purchase.amount, "Purchase", "amount", errors);
            if let Some(mrp) = purchase.mrp
                && mrp < Decimal::ZERO
            {
                errors.push(field_error("Purchase", "mrp", "must not be negative"));
            }
            PurchaseOut {
                id: purchase.id.clone().unwrap_or_else(new_uuid),
                discount: purchase.discount.unwrap_or(Decimal::ZERO),
                name,
                parent_id: purchase.parent_id.clone(),
                product_id: purchase.product_id.clone(),
                quantity,
                unit: purchase.unit.clone(),
                price,
                amount,
            }
        })
        .collect()
}

async fn create_order(State(swip): State<Swip>, headers: HeaderMap, body: Bytes) -> Response {
    match try_create_order(&swip, &headers, &body) {
        Ok(response) => response,
        Err(failure) => failure.into_response(),
    }
}

fn try_create_order(swip: &Swip, headers: &HeaderMap, body: &Bytes) -> Result<Response, Failure> {
    let caller = swip.authorize(headers)?;
    let input: CreateOrderIn = parse_body(body, "Order")?;
    let mut errors = Vec::new();
    let merchant_order_id =
        required(&input.merchant_order_id, "Order", "merchantOrderId", &mut errors).to_owned();
    let cashier = required(&input.merchant_cashier, "Order", "merchantCashier", &mut errors).to_owned();
    required(&input.pos_type, "Order", "posType", &mut errors);
    if input.sale_date.is_none() {
        errors.push(field_error("Order", "saleDate", "must not be null"));
    }
    let total = required_amount(input.total, "Order", "total", &mut errors);
    let total_original = required_amount(input.total_original, "Order", "totalOriginal", &mut errors);
    let purchases = match &input.purchases {
        Some(purchases) if !purchases.is_empty() => checked_purchases(purchases, &mut errors),
        _ => {
            errors.push(field_error("Order", "purchases", "must not be empty"));
            Vec::new()
        }
    };
    if !errors.is_empty() {
        return Err(Failure::fields(errors));
    }
    let mut orders = swip.orders();
    if orders
        .by_id
        .values()
        .any(|order| order.merchant_order_id == merchant_order_id)
    {
        return Err(Failure::new(
            Code::OrderAlreadyExists,
            format!("an order with merchantOrderId {merchant_order_id} already exists"),
        ));
    }
    let session_code = match input.session_code.as_deref().map(str::trim) {
        Some(code) if !code.is_empty() => {
            if orders
                .by_id
                .values()
                .any(|order| order.status == Status::Open && order.session_code == code)
            {
                return Err(Failure::new(
                    Code::Duplicate,
                    "another open order already uses this sessionCode",
                ));
            }
            code.to_owned()
        }
        _ => format!("https://swip.one/?qr={}", 6_794_742 + orders.next),
    };
    orders.next += 1;
    let order = Order {
        id: new_uuid(),
        merchant_order_id,
        merchant_order_number: input.merchant_order_number.clone(),
        cashier,
        cashier_id: input.merchant_cashier_id.clone(),
        sale_date: input.sale_date.unwrap_or_default(),
        session_code,
        total,
        total_original,
        purchases,
        store: caller.store,
        cash: caller.cash,
        order_number: format!("{:032}", 28_048_058_915_136_u64 + orders.next),
        status: Status::Open,
        paid: Decimal::ZERO,
        unconfirmed: Decimal::ZERO,
        close_amount: Decimal::ZERO,
        refunded: Decimal::ZERO,
        reversed: Decimal::ZERO,
        settled: false,
        timed_out: false,
        error: None,
        payment: None,
        paid_cash: false,
    };
    swip.harness.record("order_created", order.state());
    let response = (StatusCode::OK, axum::Json(order.json())).into_response();
    orders.by_id.insert(order.id.clone(), order);
    Ok(response)
}

// ---------------------------------------------------------------------------------------
// GET /orders/{id}

async fn get_order(State(swip): State<Swip>, Path(id): Path<String>, headers: HeaderMap) -> Response {
    if let Err(failure) = swip.authorize(&headers) {
        return failure.into_response();
    }
    let orders = swip.orders();
    match orders.by_id.get(&id) {
        Some(order) => axum::Json(order.json()).into_response(),
        None => Failure::new(Code::NotFound, format!("order {id} not found")).into_response(),
    }
}

// ---------------------------------------------------------------------------------------
// POST /orders/{id}/actions/close (close and cancel share the path)

#[derive(Debug, Default, Deserialize)]
struct CloseIn {
    #[serde(default, deserialize_with = "optional_decimal")]
    amount: Option<Decimal>,
    #[serde(default)]
    tags: Option<Vec<String>>,
}

async fn close_order(
    State(swip): State<Swip>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Err(failure) = swip.authorize(&headers) {
        return failure.into_response();
    }
    // Reading: "The request body is optional. If it is absent, the entire order is
    // cancelled" — an empty body is a close with amount 0.
    let input = if body.iter().all(u8::is_ascii_whitespace) {
        CloseIn::default()
    } else {
        match parse_body::<CloseIn>(&body, "ConfirmOrderRequest") {
            Ok(input) => input,
            Err(failure) => return failure.into_response(),
        }
    };
    let amount = input.amount.unwrap_or(Decimal::ZERO);
    let tags = input.tags.unwrap_or_default();
    let rounded = tags.iter().any(|tag| tag == "ROUNDED");
    if let Some(tag) = tags.iter().find(|tag| tag.as_str() != "ROUNDED") {
        return Failure::fields(vec![field_error(
            "ConfirmOrderRequest",
            "tags",
            &format!("unknown tag {tag}"),
        )])
        .into_response();
    }
    if amount < Decimal::ZERO {
        return Failure::fields(vec![field_error(
            "ConfirmOrderRequest",
            "amount",
            "must not be negative",
        )])
        .into_response();
    }
    let mut orders = swip.orders();
    let Some(order) = orders.by_id.get_mut(&id) else {
        return Failure::new(Code::NotFound, format!("order {id} not found")).into_response();
    };
    if order.timed_out {
        return Failure::new(
            Code::OperationTimedOut,
            "the order timed out before it was closed",
        )
        .into_response();
    }
    if order.status == Status::Closed {
        return Failure::new(Code::OrderAlreadyConfirmed, "the order is already closed").into_response();
    }
    if rounded {
        if order.paid > Decimal::ZERO {
            return Failure::fields(vec![field_error(
                "ConfirmOrderRequest",
                "tags",
                "ROUNDED applies only to orders paid outside the app",
            )])
            .into_response();
        }
        if (amount - order.total).abs() > Decimal::ONE {
            return Failure::fields(vec![field_error(
                "ConfirmOrderRequest",
                "amount",
                "a ROUNDED amount may differ from the total by at most one",
            )])
            .into_response();
        }
    } else if amount > order.total {
        return Failure::new(
            Code::ExcessTotalAmount,
            format!(
                "the close amount {amount} is more than the order total {}",
                order.total
            ),
        )
        .into_response();
    }
    order.status = Status::Closed;
    order.close_amount = amount;
    order.unconfirmed = Decimal::ZERO;
    if amount.is_zero() {
        // Cancelling gives the customer back what they paid in the app.
        order.paid = Decimal::ZERO;
        swip.harness.record("order_cancelled", order.state());
    } else {
        // Closing for less than was paid in the app confirms only the close amount and
        // gives the rest back.
        if order.paid > amount {
            order.paid = amount;
        }
        order.paid_cash = order.paid.is_zero();
        swip.harness.record(
            "order_closed",
            json!({"order": order.state(), "rounded": rounded}),
        );
    }
    axum::Json(order.json()).into_response()
}

// ---------------------------------------------------------------------------------------
// POST /refunds and POST /reverses

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct MoneyBackIn {
    #[serde(default, deserialize_with = "optional_decimal")]
    amount: Option<Decimal>,
    #[serde(default)]
    merchant_id: Option<String>,
    #[serde(default)]
    merchant_order_id: Option<String>,
}

#[derive(Serialize)]
struct OperationOut {
    status: &'static str,
    slip: Option<String>,
    description: String,
    code: i64,
}

fn operation_failed(code: Code, description: impl Into<String>) -> Response {
    axum::Json(OperationOut {
        status: "FAIL",
        slip: None,
        description: description.into(),
        code: code as i64,
    })
    .into_response()
}

/// Checks the body of a refund or reverse; `amount_required` for refunds.
fn money_back_input(
    body: &Bytes,
    object: &str,
    amount_required: bool,
) -> Result<(Option<Decimal>, String), Failure> {
    let input: MoneyBackIn = parse_body(body, object)?;
    let mut errors = Vec::new();
    let merchant_order_id =
        required(&input.merchant_order_id, object, "merchantOrderId", &mut errors).to_owned();
    match input.merchant_id.as_deref() {
        Some(DEMO_MERCHANT_ID) => {}
        Some(_) => {
            return Err(Failure::new(
                Code::AccessDenied,
                "merchantId is not this merchant",
            ));
        }
        None => errors.push(field_error(object, "merchantId", "must not be null")),
    }
    match input.amount {
        Some(amount) if amount <= Decimal::ZERO => {
            errors.push(field_error(object, "amount", "must be positive"));
        }
        None if amount_required => errors.push(field_error(object, "amount", "must not be null")),
        _ => {}
    }
    if errors.is_empty() {
        Ok((input.amount, merchant_order_id))
    } else {
        Err(Failure::fields(errors))
    }
}

async fn refund(State(swip): State<Swip>, headers: HeaderMap, body: Bytes) -> Response {
    if let Err(failure) = swip.authorize(&headers) {
        return failure.into_response();
    }
    let (amount, merchant_order_id) = match money_back_input(&body, "RefundRequest", true) {
        Ok(input) => input,
        Err(failure) => return failure.into_response(),
    };
    let amount = amount.unwrap_or_default();
    let mut orders = swip.orders();
    let Some(order) = orders.by_merchant_order_id(&merchant_order_id) else {
        return Failure::new(Code::NotFound, format!("order {merchant_order_id} not found")).into_response();
    };
    if order.status == Status::Open {
        return operation_failed(Code::OrderFlowViolation, "only a CLOSED order can be refunded");
    }
    if order.paid.is_zero() && order.refunded.is_zero() {
        return operation_failed(Code::OrderNotPaid, "the order was not paid through SWiP");
    }
    if order.refundable().is_zero() {
        return operation_failed(
            Code::OrderAlreadyRefunded,
            "the order is already refunded in full",
        );
    }
    if amount > order.refundable() {
        return operation_failed(
            Code::ExcessTotalAmount,
            format!("only {} is left to refund", order.refundable()),
        );
    }
    // Not deduplicated: the document allows any number of partial refunds.
    order.refunded += amount;
    swip.harness.record(
        "order_refunded",
        json!({"amount": amount.to_string(), "order": order.state()}),
    );
    axum::Json(OperationOut {
        status: "SUCCESS",
        slip: order.slip(),
        description: format!("refunded {amount}"),
        code: 0,
    })
    .into_response()
}

async fn reverse(State(swip): State<Swip>, headers: HeaderMap, body: Bytes) -> Response {
    if let Err(failure) = swip.authorize(&headers) {
        return failure.into_response();
    }
    let (amount, merchant_order_id) = match money_back_input(&body, "ReverseRequest", false) {
        Ok(input) => input,
        Err(failure) => return failure.into_response(),
    };
    let mut orders = swip.orders();
    let Some(order) = orders.by_merchant_order_id(&merchant_order_id) else {
        return Failure::new(Code::NotFound, format!("order {merchant_order_id} not found")).into_response();
    };
    if order.status == Status::Open {
        return operation_failed(Code::OrderFlowViolation, "only a CLOSED order can be reversed");
    }
    if order.paid.is_zero() && order.reversed.is_zero() {
        return operation_failed(Code::OrderNotPaid, "the order was not paid through SWiP");
    }
    if order.settled || order.refunded > Decimal::ZERO || order.refundable().is_zero() {
        return operation_failed(
            Code::ReverseUnavailable,
            "the funds are no longer on hold; make a refund instead",
        );
    }
    let amount = amount.unwrap_or(order.refundable());
    if amount > order.refundable() {
        return operation_failed(
            Code::ExcessTotalAmount,
            format!("only {} is on hold", order.refundable()),
        );
    }
    // Released funds were never taken, so they leave `paid` rather than count as refunded.
    order.paid -= amount;
    order.reversed += amount;
    swip.harness.record(
        "payment_reversed",
        json!({"amount": amount.to_string(), "order": order.state()}),
    );
    axum::Json(OperationOut {
        status: "SUCCESS",
        slip: Some(slip_text(&[
            "SWiP DEMO BANK".to_owned(),
            format!("REVERSAL {amount}"),
            format!("ORDER {}", order.merchant_order_id),
        ])),
        description: format!("released {amount}"),
        code: 0,
    })
    .into_response()
}

// ---------------------------------------------------------------------------------------
// POST /loyalty-calculations

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct CalculationIn {
    #[serde(default)]
    merchant_order_id: Option<String>,
    #[serde(default)]
    purchases: Option<Vec<PurchaseIn>>,
    #[serde(default, deserialize_with = "optional_decimal")]
    total: Option<Decimal>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct CalculationOut {
    discount_calc_result: DiscountOut,
    #[serde(serialize_with = "number")]
    total_before_calc: Decimal,
    #[serde(serialize_with = "number")]
    total: Decimal,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct DiscountOut {
    #[serde(serialize_with = "number")]
    discount_original: Decimal,
    #[serde(serialize_with = "number")]
    discount: Decimal,
    lines: Vec<DiscountLineOut>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct DiscountLineOut {
    program_id: i64,
    description: &'static str,
    #[serde(serialize_with = "number")]
    discount: Decimal,
}

async fn loyalty_calculation(State(swip): State<Swip>, headers: HeaderMap, body: Bytes) -> Response {
    if let Err(failure) = swip.authorize(&headers) {
        return failure.into_response();
    }
    let input: CalculationIn = match parse_body(&body, "LoyaltyCalculation") {
        Ok(input) => input,
        Err(failure) => return failure.into_response(),
    };
    let mut errors = Vec::new();
    let merchant_order_id = required(
        &input.merchant_order_id,
        "LoyaltyCalculation",
        "merchantOrderId",
        &mut errors,
    )
    .to_owned();
    let total = required_amount(input.total, "LoyaltyCalculation", "total", &mut errors);
    if let Some(purchases) = &input.purchases {
        checked_purchases(purchases, &mut errors);
    }
    if !errors.is_empty() {
        return Failure::fields(errors).into_response();
    }
    if swip
        .orders()
        .by_merchant_order_id(&merchant_order_id)
        .is_some_and(|order| order.status == Status::Closed)
    {
        return Failure::new(Code::IllegalState, "the order is already closed").into_response();
    }
    let discount_original = (total * DEMO_PROGRAM_RATE).round_dp(2);
    // The final discount is rounded to whole units, as in the document's example
    // (19.80 → 20.0), never beyond the total.
    let discount = discount_original.round_dp(0).min(total);
    axum::Json(CalculationOut {
        discount_calc_result: DiscountOut {
            discount_original,
            discount,
            lines: vec![DiscountLineOut {
                program_id: DEMO_PROGRAM_ID,
                description: "Discount for all customers",
                discount: discount_original,
            }],
        },
        total_before_calc: total,
        total: total - discount,
    })
    .into_response()
}

// ---------------------------------------------------------------------------------------
// Control routes: the customer's app and the bank.

/// A refusal of a control route (not a document answer).
struct ControlError(StatusCode, String);

impl IntoResponse for ControlError {
    fn into_response(self) -> Response {
        control_error(self.0, self.1)
    }
}

fn control_error(status: StatusCode, message: impl Into<String>) -> Response {
    (status, axum::Json(json!({"error": message.into()}))).into_response()
}

async fn control_orders(State(swip): State<Swip>) -> Response {
    let orders = swip.orders();
    axum::Json(orders.by_id.values().map(Order::state).collect::<Vec<_>>()).into_response()
}

#[derive(Debug, Default, Deserialize)]
struct PayIn {
    #[serde(default, deserialize_with = "optional_decimal")]
    amount: Option<Decimal>,
}

#[derive(Debug, Default, Deserialize)]
struct DeclineIn {
    #[serde(default)]
    reason: Option<String>,
}

fn control_body<T: Default + for<'de> Deserialize<'de>>(body: &Bytes) -> Result<T, ControlError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    serde_json::from_slice(body).map_err(|error| ControlError(StatusCode::BAD_REQUEST, error.to_string()))
}

/// Runs `change` on the OPEN order `id`.
fn with_open_order(
    swip: &Swip,
    id: &str,
    change: impl FnOnce(&mut Order, &Harness) -> Result<(), ControlError>,
) -> Response {
    let mut orders = swip.orders();
    let Some(order) = orders.by_id.get_mut(id) else {
        return control_error(StatusCode::NOT_FOUND, format!("no order {id}"));
    };
    if order.status != Status::Open {
        return control_error(
            StatusCode::CONFLICT,
            format!("order {id} is {}", order.status.text()),
        );
    }
    match change(order, &swip.harness) {
        Ok(()) => axum::Json(order.state()).into_response(),
        Err(error) => error.into_response(),
    }
}

async fn control_pay(State(swip): State<Swip>, Path(id): Path<String>, body: Bytes) -> Response {
    let input: PayIn = match control_body(&body) {
        Ok(input) => input,
        Err(error) => return error.into_response(),
    };
    with_open_order(&swip, &id, |order, harness| {
        let left = order.total - order.paid;
        let amount = input.amount.unwrap_or(left);
        if amount <= Decimal::ZERO || amount > left {
            return Err(ControlError(
                StatusCode::BAD_REQUEST,
                format!("the customer can pay more than 0 and at most {left}"),
            ));
        }
        order.paid += amount;
        order.unconfirmed += amount;
        order.error = None;
        let serial = order.order_number.len() as u64 + u64::from(rand::random::<u16>());
        order.payment = Some(AppPayment {
            pan: "411111******1111".to_owned(),
            rrn: format!("{:012}", 300_000_000_000_u64 + serial),
            authorization_code: format!("{:06}", serial % 1_000_000),
            terminal_no: "10000042".to_owned(),
        });
        harness.record(
            "order_paid",
            json!({"amount": amount.to_string(), "order": order.state()}),
        );
        Ok(())
    })
}

#[derive(Debug, Default, Deserialize)]
struct LoyaltyIn {
    #[serde(default, deserialize_with = "optional_decimal")]
    discount: Option<Decimal>,
}

/// The document's scenario 1: the app shows the customer the order "with personalized
/// loyalty", and the POS later "receives the paid order with applied loyalty".
async fn control_loyalty(State(swip): State<Swip>, Path(id): Path<String>, body: Bytes) -> Response {
    let input: LoyaltyIn = match control_body(&body) {
        Ok(input) => input,
        Err(error) => return error.into_response(),
    };
    with_open_order(&swip, &id, |order, harness| {
        let discount = input.discount.unwrap_or_default();
        if !order.paid.is_zero() {
            return Err(ControlError(
                StatusCode::CONFLICT,
                "loyalty is applied before the customer pays".to_owned(),
            ));
        }
        if discount <= Decimal::ZERO || discount >= order.total {
            return Err(ControlError(
                StatusCode::BAD_REQUEST,
                format!(
                    "a personal discount is more than 0 and less than the total {}",
                    order.total
                ),
            ));
        }
        order.total -= discount;
        harness.record(
            "loyalty_applied",
            json!({"discount": discount.to_string(), "order": order.state()}),
        );
        Ok(())
    })
}

async fn control_decline(State(swip): State<Swip>, Path(id): Path<String>, body: Bytes) -> Response {
    let input: DeclineIn = match control_body(&body) {
        Ok(input) => input,
        Err(error) => return error.into_response(),
    };
    with_open_order(&swip, &id, |order, harness| {
        order.error = Some(
            input
                .reason
                .unwrap_or_else(|| "payment declined by the bank".to_owned()),
        );
        harness.record("payment_declined", order.state());
        Ok(())
    })
}

async fn control_abandon(State(swip): State<Swip>, Path(id): Path<String>) -> Response {
    with_open_order(&swip, &id, |order, harness| {
        // SWiP closes a timed-out order itself and gives back what was paid.
        order.status = Status::Closed;
        order.timed_out = true;
        order.close_amount = Decimal::ZERO;
        order.paid = Decimal::ZERO;
        order.unconfirmed = Decimal::ZERO;
        order.error = Some("operation timed out".to_owned());
        harness.record("order_timed_out", order.state());
        Ok(())
    })
}

async fn control_settle(State(swip): State<Swip>, Path(id): Path<String>) -> Response {
    let mut orders = swip.orders();
    let Some(order) = orders.by_id.get_mut(&id) else {
        return control_error(StatusCode::NOT_FOUND, format!("no order {id}"));
    };
    if order.status != Status::Closed {
        return control_error(StatusCode::CONFLICT, "only a closed order's funds are captured");
    }
    order.settled = true;
    swip.harness.record("payment_settled", order.state());
    axum::Json(order.state()).into_response()
}

#[derive(Debug, Default, Deserialize)]
struct OutageIn {
    #[serde(default)]
    on: bool,
}

async fn control_outage(State(swip): State<Swip>, body: Bytes) -> Response {
    let input: OutageIn = match control_body(&body) {
        Ok(input) => input,
        Err(error) => return error.into_response(),
    };
    swip.outage.store(input.on, Ordering::SeqCst);
    swip.harness.record("outage", json!({"on": input.on}));
    StatusCode::NO_CONTENT.into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_keep_their_digits() {
        #[derive(Deserialize, Serialize)]
        struct Body {
            #[serde(
                default,
                deserialize_with = "optional_decimal",
                serialize_with = "optional_number"
            )]
            amount: Option<Decimal>,
        }
        for digits in ["0.1", "4200.5", "840.1", "19.80", "0.0"] {
            let json = format!(r#"{{"amount":{digits}}}"#);
            let body: Body = serde_json::from_str(&json).unwrap();
            assert_eq!(body.amount.unwrap().to_string(), digits);
            assert_eq!(serde_json::to_string(&body).unwrap(), json);
        }
        assert!(serde_json::from_str::<Body>(r#"{"amount":"1"}"#).is_err());
    }

    #[test]
    fn ids_look_like_uuids() {
        let id = new_uuid();
        assert_eq!(id.len(), 36);
        assert_eq!(&id[14..15], "4");
    }
}
