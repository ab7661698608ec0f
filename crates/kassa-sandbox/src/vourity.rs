//! Vourity Partners API emulator (seeds/000): a merchant with two cloud terminals.
//!
//! The document shows requests only. Everything it leaves out follows the reading written
//! in `kassa-providers`' `vourity` module (and its README section), implemented here
//! apart:
//!
//! - credentials: `Ocp-Apim-Subscription-Key` is checked first, as Azure API Management
//!   does (`401 {"statusCode": 401, "message": ...}`), then `apikey`
//!   (`401 {"errorCode": "invalidApiKey"}`); `Ocp-Apim-Trace` is only a tracing switch;
//! - every success is 200 with a JSON body echoing `sessionID`/`pointOfServiceID`;
//!   errors are `{"errorCode", "message"}` with 400/403/404/409;
//! - `sessionID` identifies a payment: the same payment request again answers the
//!   existing session, the same id with another body is `409 sessionIdInUse`; nothing
//!   else is deduplicated (each refund refunds again);
//! - states `pending` → `approved`|`declined` (the terminal, through the control routes)
//!   → `captured` → `partiallyRefunded` → `refunded`; `pending`/`approved` → `cancelled`;
//! - each change is posted to the payment's `responseWebhookUrl`, in order, by one
//!   delivery task; a failed delivery is logged (`webhook_failed`), never fatal.
//!
//! Control routes (the terminal's side):
//!
//! | method and path | what it does |
//! |---|---|
//! | `POST /_sandbox/vourity/terminal/{pos}/approve` | the card holder pays the pending payment |
//! | `POST /_sandbox/vourity/terminal/{pos}/decline` | the card is refused |
//! | `POST /_sandbox/vourity/terminal/{pos}/action-request` | the terminal asks the partner (`{"actionType", "message"}`, both optional) |
//! | `GET /_sandbox/vourity/payments/{sessionID}` | the payment as the emulator holds it |
//! | `POST /_sandbox/vourity/payments/{sessionID}/redeliver` | posts the payment's last webhook again, as a provider does when it missed the answer |

// Handlers stop at the first refusal with the error answer itself; an answer is built
// once per request, so the size of `Result<_, Response>` costs nothing that matters.
#![allow(clippy::result_large_err)]

use std::collections::HashMap;
use std::str::FromStr;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, patch, post};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use serde_json::{Value, json};
use tokio::sync::mpsc;

use crate::Harness;

/// The path below the host where the document's paths start (`https://your.apiurl.com`).
pub const BASE_PATH: &str = "";

/// The demo merchant's id.
pub const MERCHANT_ID: &str = "0bc01e2d-cbe4-4593-be3a-e4e22effdb36";
/// The demo terminal a till is configured with.
pub const POINT_OF_SERVICE_ID: &str = "2114b1a2-ad68-469a-9fab-2bdd53eee06a";
/// A second terminal of the same merchant (the id of the document's cancel example).
pub const OTHER_POINT_OF_SERVICE_ID: &str = "34496536-c896-4cbc-9671-ee193878e80b";
/// The `apikey` the emulator accepts.
pub const API_KEY: &str = "demo-vourity-apikey-f2014e88";
/// The `Ocp-Apim-Subscription-Key` the emulator accepts.
pub const SUBSCRIPTION_KEY: &str = "demo-vourity-subscription-0b6c621c";

/// The settings of the demo database (keys of `kassa_providers::vourity::FIELDS`).
pub const DEMO_SETTINGS: &[(&str, &str)] = &[
    ("merchant_id", MERCHANT_ID),
    ("merchant_name", "Kassa Demo"),
    ("point_of_service_id", POINT_OF_SERVICE_ID),
    ("point_of_service_name", "Till 1"),
    ("webhook_url", "http://127.0.0.1:47111/vourity/webhook"),
    ("api_key", API_KEY),
    ("subscription_key", SUBSCRIPTION_KEY),
];

const CURRENCY: &str = "SEK";
const MINOR_UNITS: u32 = 2;

const PENDING: &str = "pending";
const APPROVED: &str = "approved";
const DECLINED: &str = "declined";
const CANCELLED: &str = "cancelled";
const CAPTURED: &str = "captured";
const PARTIALLY_REFUNDED: &str = "partiallyRefunded";
const REFUNDED: &str = "refunded";

struct Pos {
    name: &'static str,
    /// `available`, `offline` or `outOfOrder`; `busy` is derived from the last session.
    status: &'static str,
    last_session: Option<String>,
}

struct Payment {
    session_id: String,
    pos_id: String,
    order_id: String,
    payment_id: String,
    total: Decimal,
    vat: Decimal,
    webhook_url: String,
    /// What makes a repeated payment request "the same request".
    fingerprint: String,
    status: &'static str,
    refunded: Decimal,
    open_action_request: Option<String>,
}

struct ActionRequest {
    id: String,
    session_id: String,
    pos_id: String,
    action_type: String,
    message: Option<String>,
    response_code: Option<String>,
}

#[derive(Default)]
struct Book {
    poses: HashMap<&'static str, Pos>,
    payments: HashMap<String, Payment>,
    action_requests: HashMap<String, ActionRequest>,
}

#[derive(Clone)]
struct Delivery {
    url: String,
    what: &'static str,
    session_id: String,
    body: String,
}

#[derive(Clone)]
struct Emulator {
    harness: Harness,
    book: Arc<Mutex<Book>>,
    webhooks: mpsc::UnboundedSender<Delivery>,
    webhook_queue: Arc<Mutex<Option<mpsc::UnboundedReceiver<Delivery>>>>,
    /// The last webhook of each session, for the redeliver control route.
    last_webhook: Arc<Mutex<HashMap<String, Delivery>>>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Emulator {
    fn book(&self) -> MutexGuard<'_, Book> {
        lock(&self.book)
    }

    /// Queues a webhook; deliveries leave in the order queued, from one task started on
    /// first use (handlers always run inside the runtime).
    fn post_webhook(&self, payment: &Payment, what: &'static str, body: WebhookOut) {
        let body = serde_json::to_string(&body).unwrap_or_default();
        let delivery = Delivery {
            url: payment.webhook_url.clone(),
            what,
            session_id: payment.session_id.clone(),
            body,
        };
        lock(&self.last_webhook).insert(payment.session_id.clone(), delivery.clone());
        self.queue(delivery);
    }

    fn queue(&self, delivery: Delivery) {
        if let Some(queue) = lock(&self.webhook_queue).take() {
            tokio::spawn(deliver(queue, self.harness.clone()));
        }
        let _ = self.webhooks.send(delivery);
    }
}

async fn deliver(mut queue: mpsc::UnboundedReceiver<Delivery>, harness: Harness) {
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap_or_default();
    while let Some(delivery) = queue.recv().await {
        let sent = client
            .post(&delivery.url)
            .header("content-type", "application/json")
            .body(delivery.body.clone())
            .send()
            .await;
        let detail = |outcome: Value| {
            json!({
                "url": delivery.url,
                "event": delivery.what,
                "sessionID": delivery.session_id,
                "body": delivery.body,
                "outcome": outcome,
            })
        };
        match sent {
            Ok(answer) if answer.status().is_success() => {
                harness.record("webhook_delivered", detail(json!(answer.status().as_u16())));
            }
            Ok(answer) => {
                tracing::warn!(url = %delivery.url, status = %answer.status(), "vourity emulator: webhook refused");
                harness.record("webhook_failed", detail(json!(answer.status().as_u16())));
            }
            Err(error) => {
                tracing::warn!(url = %delivery.url, %error, "vourity emulator: webhook not delivered");
                harness.record("webhook_failed", detail(json!(error.to_string())));
            }
        }
    }
}

/// The emulator's routes: the document's endpoints and its `/_sandbox/` control routes.
pub fn router(harness: Harness) -> Router {
    let (webhooks, queue) = mpsc::unbounded_channel();
    let mut book = Book::default();
    for (id, name) in [
        (POINT_OF_SERVICE_ID, "Till 1"),
        (OTHER_POINT_OF_SERVICE_ID, "Till 2"),
    ] {
        book.poses.insert(
            id,
            Pos {
                name,
                status: "available",
                last_session: None,
            },
        );
    }
    let emulator = Emulator {
        harness,
        book: Arc::new(Mutex::new(book)),
        webhooks,
        webhook_queue: Arc::new(Mutex::new(Some(queue))),
        last_webhook: Arc::new(Mutex::new(HashMap::new())),
    };
    Router::new()
        .route("/pos-payment-request", post(payment_request))
        .route("/pos-payment-cancel", post(payment_cancel))
        .route("/pos-payment-capture", post(payment_capture))
        .route("/pos-payment-refund", post(payment_refund))
        .route("/pointOfServices/{id}/pos-status", get(pos_status))
        .route("/action-request/{id}", get(action_request))
        .route("/action-request-response", post(action_request_response))
        .route("/set-pos-status", patch(set_pos_status))
        .route("/add-discount", post(add_discount))
        .route("/_sandbox/vourity/terminal/{pos}/approve", post(terminal_approve))
        .route("/_sandbox/vourity/terminal/{pos}/decline", post(terminal_decline))
        .route(
            "/_sandbox/vourity/terminal/{pos}/action-request",
            post(terminal_action_request),
        )
        .route("/_sandbox/vourity/payments/{session}", get(control_payment))
        .route(
            "/_sandbox/vourity/payments/{session}/redeliver",
            post(control_redeliver),
        )
        .with_state(emulator)
}

// ---------------------------------------------------------------------------------------
// Answers

fn error(status: StatusCode, code: &str, message: impl Into<String>) -> Response {
    (
        status,
        axum::Json(json!({ "errorCode": code, "message": message.into() })),
    )
        .into_response()
}

fn bad_request(message: impl Into<String>) -> Response {
    error(StatusCode::BAD_REQUEST, "invalidRequest", message)
}

fn ok(body: impl Serialize) -> Response {
    (StatusCode::OK, axum::Json(body)).into_response()
}

/// A decimal as a JSON number token with its own digits.
fn number(amount: Decimal) -> Box<RawValue> {
    RawValue::from_string(amount.to_string())
        .unwrap_or_else(|_| RawValue::from_string("0".to_owned()).expect("0 is a JSON number"))
}

/// The emulator's own exact reading of a JSON number's text.
fn decimal(field: &str, raw: Option<&RawValue>) -> Result<Decimal, Response> {
    let raw = raw.ok_or_else(|| bad_request(format!("{field} is required")))?;
    let text = raw.get().trim();
    if !text.starts_with(|c: char| c == '-' || c.is_ascii_digit()) {
        return Err(bad_request(format!("{field} must be a number, not {text}")));
    }
    let parsed = if text.contains(['e', 'E']) {
        Decimal::from_scientific(text)
    } else {
        Decimal::from_str(text)
    };
    parsed.map_err(|_| {
        error(
            StatusCode::BAD_REQUEST,
            "invalidAmount",
            format!("{field} {text} is out of range"),
        )
    })
}

fn sek_amount(field: &str, raw: Option<&RawValue>, allow_zero: bool) -> Result<Decimal, Response> {
    let amount = decimal(field, raw)?;
    if amount.normalize().scale() > MINOR_UNITS {
        return Err(error(
            StatusCode::BAD_REQUEST,
            "invalidAmount",
            format!("{field} {amount} has more than {MINOR_UNITS} decimals"),
        ));
    }
    if amount.is_sign_negative() && !amount.is_zero() || (!allow_zero && amount.is_zero()) {
        return Err(error(
            StatusCode::BAD_REQUEST,
            "invalidAmount",
            format!("{field} {amount} must be more than zero"),
        ));
    }
    Ok(amount)
}

fn check_currency(currency: Option<&str>) -> Result<(), Response> {
    match currency {
        None => Err(bad_request("currency is required")),
        Some(CURRENCY) => Ok(()),
        Some(other) => Err(error(
            StatusCode::BAD_REQUEST,
            "unsupportedCurrency",
            format!("the merchant takes {CURRENCY}, not {other:?}"),
        )),
    }
}

fn check_msg_type(given: Option<&str>, wanted: &str) -> Result<(), Response> {
    match given {
        Some(given) if given == wanted => Ok(()),
        Some(given) => Err(error(
            StatusCode::BAD_REQUEST,
            "invalidMsgType",
            format!("msgType must be {wanted:?} here, not {given:?}"),
        )),
        None => Err(bad_request("msgType is required")),
    }
}

fn required<'a>(field: &str, value: &'a Option<String>) -> Result<&'a str, Response> {
    match value.as_deref().map(str::trim) {
        Some(value) if !value.is_empty() => Ok(value),
        _ => Err(bad_request(format!("{field} is required"))),
    }
}

fn parse_body<T: for<'de> Deserialize<'de>>(body: &[u8]) -> Result<T, Response> {
    serde_json::from_slice(body).map_err(|error| bad_request(format!("the body is not valid: {error}")))
}

fn authenticate(headers: &HeaderMap) -> Result<(), Response> {
    let header = |name: &str| headers.get(name).and_then(|value| value.to_str().ok());
    // API Management answers for the subscription key before the API sees the request.
    match header("ocp-apim-subscription-key") {
        None => {
            return Err((
                StatusCode::UNAUTHORIZED,
                axum::Json(json!({
                    "statusCode": 401,
                    "message": "Access denied due to missing subscription key. Make sure to include subscription key when making requests to an API."
                })),
            )
                .into_response());
        }
        Some(key) if key != SUBSCRIPTION_KEY => {
            return Err((
                StatusCode::UNAUTHORIZED,
                axum::Json(json!({
                    "statusCode": 401,
                    "message": "Access denied due to invalid subscription key. Make sure to provide a valid key for an active subscription."
                })),
            )
                .into_response());
        }
        Some(_) => {}
    }
    if header("apikey") != Some(API_KEY) {
        return Err(error(
            StatusCode::UNAUTHORIZED,
            "invalidApiKey",
            "the apikey header is missing or not valid",
        ));
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Bodies

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ReferencesIn {
    order_id: Option<String>,
    payment_id: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PaymentRequestIn {
    #[serde(rename = "sessionID")]
    session_id: Option<String>,
    msg_type: Option<String>,
    #[serde(rename = "merchantID")]
    merchant_id: Option<String>,
    merchant_name: Option<String>,
    #[serde(rename = "pointOfServiceID")]
    point_of_service_id: Option<String>,
    point_of_service_name: Option<String>,
    total_amount_incl_vat: Option<Box<RawValue>>,
    total_vat_amount: Option<Box<RawValue>>,
    currency: Option<String>,
    response_webhook_url: Option<String>,
    merchant_references: Option<ReferencesIn>,
    #[serde(rename = "_id")]
    #[allow(dead_code)]
    id: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SessionCommandIn {
    #[serde(rename = "sessionID")]
    session_id: Option<String>,
    #[serde(rename = "pointOfServiceID")]
    point_of_service_id: Option<String>,
    msg_type: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RefundIn {
    #[serde(rename = "sessionID")]
    session_id: Option<String>,
    #[serde(rename = "pointOfServiceID")]
    point_of_service_id: Option<String>,
    msg_type: Option<String>,
    currency: Option<String>,
    refund_amount: Option<Box<RawValue>>,
    refund_reason: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ActionResponseIn {
    response_code: Option<String>,
    #[serde(rename = "actionRequestID")]
    action_request_id: Option<String>,
    #[serde(rename = "sessionID")]
    session_id: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SetPosStatusIn {
    status_code: Option<String>,
    #[serde(rename = "pointOfServiceID")]
    point_of_service_id: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct AddDiscountIn {
    #[serde(rename = "sessionID")]
    session_id: Option<String>,
    #[serde(rename = "pointOfServiceID")]
    point_of_service_id: Option<String>,
    msg_type: Option<String>,
    discount_amount_incl_vat: Option<Box<RawValue>>,
    discount_vat_amount: Option<Box<RawValue>>,
    currency: Option<String>,
    discount_reason: Option<String>,
}

#[derive(Serialize)]
struct ReferencesOut {
    #[serde(rename = "orderId")]
    order_id: String,
    #[serde(rename = "paymentId")]
    payment_id: String,
}

impl ReferencesOut {
    fn of(payment: &Payment) -> ReferencesOut {
        ReferencesOut {
            order_id: payment.order_id.clone(),
            payment_id: payment.payment_id.clone(),
        }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PaymentOut {
    msg_type: &'static str,
    #[serde(rename = "sessionID")]
    session_id: String,
    #[serde(rename = "pointOfServiceID")]
    point_of_service_id: String,
    payment_status: &'static str,
    total_amount_incl_vat: Box<RawValue>,
    total_vat_amount: Box<RawValue>,
    currency: &'static str,
    merchant_references: ReferencesOut,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SessionOut {
    msg_type: &'static str,
    #[serde(rename = "sessionID")]
    session_id: String,
    #[serde(rename = "pointOfServiceID")]
    point_of_service_id: String,
    payment_status: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct RefundOut {
    msg_type: &'static str,
    #[serde(rename = "sessionID")]
    session_id: String,
    #[serde(rename = "pointOfServiceID")]
    point_of_service_id: String,
    #[serde(rename = "refundID")]
    refund_id: String,
    refund_amount: Box<RawValue>,
    total_refunded_amount: Box<RawValue>,
    currency: &'static str,
    payment_status: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PosSessionOut {
    #[serde(rename = "sessionID")]
    session_id: String,
    payment_status: &'static str,
    merchant_references: ReferencesOut,
    #[serde(rename = "actionRequestID")]
    action_request_id: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PosStatusOut {
    #[serde(rename = "pointOfServiceID")]
    point_of_service_id: String,
    point_of_service_name: &'static str,
    status_code: &'static str,
    current_session: Option<PosSessionOut>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ActionRequestOut {
    #[serde(rename = "actionRequestID")]
    action_request_id: String,
    #[serde(rename = "sessionID")]
    session_id: String,
    #[serde(rename = "pointOfServiceID")]
    point_of_service_id: String,
    action_type: String,
    message: Option<String>,
    status: &'static str,
    response_code: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct DiscountOut {
    msg_type: &'static str,
    #[serde(rename = "sessionID")]
    session_id: String,
    #[serde(rename = "pointOfServiceID")]
    point_of_service_id: String,
    total_amount_incl_vat: Box<RawValue>,
    total_vat_amount: Box<RawValue>,
    currency: &'static str,
    payment_status: &'static str,
}

#[derive(Serialize, Default)]
#[serde(rename_all = "camelCase")]
struct WebhookOut {
    msg_type: &'static str,
    #[serde(rename = "sessionID")]
    session_id: String,
    #[serde(rename = "pointOfServiceID")]
    point_of_service_id: String,
    merchant_references: Option<ReferencesOut>,
    #[serde(skip_serializing_if = "Option::is_none")]
    payment_status: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    total_amount_incl_vat: Option<Box<RawValue>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    currency: Option<&'static str>,
    #[serde(rename = "refundID", skip_serializing_if = "Option::is_none")]
    refund_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    refund_amount: Option<Box<RawValue>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    total_refunded_amount: Option<Box<RawValue>>,
    #[serde(rename = "actionRequestID", skip_serializing_if = "Option::is_none")]
    action_request_id: Option<String>,
}

fn webhook_for(payment: &Payment) -> WebhookOut {
    WebhookOut {
        msg_type: "paymentStatusUpdate",
        session_id: payment.session_id.clone(),
        point_of_service_id: payment.pos_id.clone(),
        merchant_references: Some(ReferencesOut::of(payment)),
        payment_status: Some(payment.status),
        currency: Some(CURRENCY),
        ..WebhookOut::default()
    }
}

fn payment_out(payment: &Payment) -> PaymentOut {
    PaymentOut {
        msg_type: "paymentRequestResponse",
        session_id: payment.session_id.clone(),
        point_of_service_id: payment.pos_id.clone(),
        payment_status: payment.status,
        total_amount_incl_vat: number(payment.total),
        total_vat_amount: number(payment.vat),
        currency: CURRENCY,
        merchant_references: ReferencesOut::of(payment),
    }
}

fn payment_state(payment: &Payment) -> Value {
    json!({
        "sessionID": payment.session_id,
        "pointOfServiceID": payment.pos_id,
        "orderId": payment.order_id,
        "paymentId": payment.payment_id,
        "status": payment.status,
        "totalAmountInclVat": payment.total.to_string(),
        "totalVatAmount": payment.vat.to_string(),
        "refunded": payment.refunded.to_string(),
        "currency": CURRENCY,
        "webhookUrl": payment.webhook_url,
        "actionRequestID": payment.open_action_request,
    })
}

// ---------------------------------------------------------------------------------------
// The document's endpoints

async fn payment_request(State(emulator): State<Emulator>, headers: HeaderMap, body: Bytes) -> Response {
    match payment_request_inner(&emulator, &headers, &body) {
        Ok(response) | Err(response) => response,
    }
}

fn payment_request_inner(
    emulator: &Emulator,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Response, Response> {
    authenticate(headers)?;
    let request: PaymentRequestIn = parse_body(body)?;
    check_msg_type(request.msg_type.as_deref(), "paymentRequest")?;
    let session_id = required("sessionID", &request.session_id)?.to_owned();
    let merchant_id = required("merchantID", &request.merchant_id)?;
    required("merchantName", &request.merchant_name)?;
    let pos_id = required("pointOfServiceID", &request.point_of_service_id)?.to_owned();
    required("pointOfServiceName", &request.point_of_service_name)?;
    let references = request
        .merchant_references
        .as_ref()
        .ok_or_else(|| bad_request("merchantReferences is required"))?;
    let order_id = required("merchantReferences.orderId", &references.order_id)?.to_owned();
    let payment_id = required("merchantReferences.paymentId", &references.payment_id)?.to_owned();
    if merchant_id != MERCHANT_ID {
        return Err(error(
            StatusCode::FORBIDDEN,
            "merchantNotAllowed",
            format!("merchant {merchant_id:?} is not one this apikey may use"),
        ));
    }
    check_currency(request.currency.as_deref())?;
    let total = sek_amount(
        "totalAmountInclVat",
        request.total_amount_incl_vat.as_deref(),
        false,
    )?;
    let vat = sek_amount("totalVatAmount", request.total_vat_amount.as_deref(), true)?;
    if vat > total {
        return Err(error(
            StatusCode::BAD_REQUEST,
            "invalidAmount",
            format!("totalVatAmount {vat} is more than totalAmountInclVat {total}"),
        ));
    }
    let webhook_url = required("responseWebhookUrl", &request.response_webhook_url)?.to_owned();
    match reqwest::Url::parse(&webhook_url) {
        Ok(url) if matches!(url.scheme(), "http" | "https") => {}
        _ => {
            return Err(error(
                StatusCode::BAD_REQUEST,
                "invalidWebhookUrl",
                format!("responseWebhookUrl {webhook_url:?} is not an absolute http(s) URL"),
            ));
        }
    }
    let fingerprint = format!("{merchant_id}|{pos_id}|{total}|{vat}|{webhook_url}|{order_id}|{payment_id}");
    let mut book = emulator.book();
    let Some(pos) = book.poses.get(pos_id.as_str()) else {
        return Err(error(
            StatusCode::NOT_FOUND,
            "pointOfServiceNotFound",
            format!("no point of service {pos_id:?}"),
        ));
    };
    let pos_status = pos.status;
    let last_session = pos.last_session.clone();
    if let Some(existing) = book.payments.get(&session_id) {
        // The session id identifies the payment: the same request again is answered with
        // the session as it stands; another request under the same id is refused.
        if existing.fingerprint == fingerprint {
            return Ok(ok(payment_out(existing)));
        }
        return Err(error(
            StatusCode::CONFLICT,
            "sessionIdInUse",
            format!("session {session_id:?} already belongs to another payment request"),
        ));
    }
    if pos_status != "available" {
        return Err(error(
            StatusCode::CONFLICT,
            "pointOfServiceUnavailable",
            format!("point of service {pos_id:?} is {pos_status}"),
        ));
    }
    if let Some(last) = last_session.and_then(|session| book.payments.get(&session))
        && last.status == PENDING
    {
        return Err(error(
            StatusCode::CONFLICT,
            "pointOfServiceBusy",
            format!(
                "point of service {pos_id:?} is busy with session {:?}",
                last.session_id
            ),
        ));
    }
    let payment = Payment {
        session_id: session_id.clone(),
        pos_id: pos_id.clone(),
        order_id,
        payment_id,
        total,
        vat,
        webhook_url,
        fingerprint,
        status: PENDING,
        refunded: Decimal::ZERO,
        open_action_request: None,
    };
    emulator
        .harness
        .record("payment_requested", payment_state(&payment));
    let response = ok(payment_out(&payment));
    if let Some(pos) = book.poses.get_mut(pos_id.as_str()) {
        pos.last_session = Some(session_id.clone());
    }
    book.payments.insert(session_id, payment);
    Ok(response)
}

/// The payment of `session_id` on `pos_id`, or the error answer for an unknown one.
fn find_payment<'a>(book: &'a mut Book, session_id: &str, pos_id: &str) -> Result<&'a mut Payment, Response> {
    if !book.poses.contains_key(pos_id) {
        return Err(error(
            StatusCode::NOT_FOUND,
            "pointOfServiceNotFound",
            format!("no point of service {pos_id:?}"),
        ));
    }
    match book.payments.get_mut(session_id) {
        Some(payment) if payment.pos_id == pos_id => Ok(payment),
        _ => Err(error(
            StatusCode::NOT_FOUND,
            "paymentNotFound",
            format!("no payment session {session_id:?} on point of service {pos_id:?}"),
        )),
    }
}

fn wrong_state(payment: &Payment, wanted: &str) -> Response {
    error(
        StatusCode::CONFLICT,
        "invalidPaymentState",
        format!("the payment is {}; it must be {wanted}", payment.status),
    )
}

async fn payment_cancel(State(emulator): State<Emulator>, headers: HeaderMap, body: Bytes) -> Response {
    session_command(&emulator, &headers, &body, "paymentCancel")
}

async fn payment_capture(State(emulator): State<Emulator>, headers: HeaderMap, body: Bytes) -> Response {
    session_command(&emulator, &headers, &body, "paymentCapture")
}

fn session_command(
    emulator: &Emulator,
    headers: &HeaderMap,
    body: &[u8],
    msg_type: &'static str,
) -> Response {
    let run = || -> Result<Response, Response> {
        authenticate(headers)?;
        let request: SessionCommandIn = parse_body(body)?;
        check_msg_type(request.msg_type.as_deref(), msg_type)?;
        let session_id = required("sessionID", &request.session_id)?;
        let pos_id = required("pointOfServiceID", &request.point_of_service_id)?;
        let mut book = emulator.book();
        let payment = find_payment(&mut book, session_id, pos_id)?;
        let (new_status, what, answer_type) = if msg_type == "paymentCancel" {
            if !matches!(payment.status, PENDING | APPROVED) {
                return Err(wrong_state(payment, "pending or approved"));
            }
            (CANCELLED, "payment_cancelled", "paymentCancelResponse")
        } else {
            if payment.status != APPROVED {
                return Err(wrong_state(payment, "approved"));
            }
            (CAPTURED, "payment_captured", "paymentCaptureResponse")
        };
        payment.status = new_status;
        emulator.harness.record(what, payment_state(payment));
        emulator.post_webhook(payment, what, webhook_for(payment));
        Ok(ok(SessionOut {
            msg_type: answer_type,
            session_id: payment.session_id.clone(),
            point_of_service_id: payment.pos_id.clone(),
            payment_status: payment.status,
        }))
    };
    match run() {
        Ok(response) | Err(response) => response,
    }
}

async fn payment_refund(State(emulator): State<Emulator>, headers: HeaderMap, body: Bytes) -> Response {
    let run = || -> Result<Response, Response> {
        authenticate(&headers)?;
        let request: RefundIn = parse_body(&body)?;
        check_msg_type(request.msg_type.as_deref(), "paymentRefund")?;
        let session_id = required("sessionID", &request.session_id)?;
        let pos_id = required("pointOfServiceID", &request.point_of_service_id)?;
        check_currency(request.currency.as_deref())?;
        let amount = sek_amount("refundAmount", request.refund_amount.as_deref(), false)?;
        let mut book = emulator.book();
        let payment = find_payment(&mut book, session_id, pos_id)?;
        if !matches!(payment.status, CAPTURED | PARTIALLY_REFUNDED) {
            return Err(wrong_state(payment, "captured"));
        }
        let left = payment.total - payment.refunded;
        if amount > left {
            return Err(error(
                StatusCode::CONFLICT,
                "refundExceedsPayment",
                format!("refundAmount {amount} is more than the {left} {CURRENCY} left to refund"),
            ));
        }
        // No deduplication: every refund call refunds again, under a new id.
        let refund_id = format!("RF{:016x}", rand::random::<u64>());
        payment.refunded += amount;
        payment.status = if payment.refunded == payment.total {
            REFUNDED
        } else {
            PARTIALLY_REFUNDED
        };
        let mut state = payment_state(payment);
        state["refundID"] = json!(refund_id);
        state["refundAmount"] = json!(amount.to_string());
        state["refundReason"] = json!(request.refund_reason);
        emulator.harness.record("payment_refunded", state);
        let webhook = WebhookOut {
            refund_id: Some(refund_id.clone()),
            refund_amount: Some(number(amount)),
            total_refunded_amount: Some(number(payment.refunded)),
            ..webhook_for(payment)
        };
        emulator.post_webhook(payment, "payment_refunded", webhook);
        Ok(ok(RefundOut {
            msg_type: "paymentRefundResponse",
            session_id: payment.session_id.clone(),
            point_of_service_id: payment.pos_id.clone(),
            refund_id,
            refund_amount: number(amount),
            total_refunded_amount: number(payment.refunded),
            currency: CURRENCY,
            payment_status: payment.status,
        }))
    };
    match run() {
        Ok(response) | Err(response) => response,
    }
}

fn pos_status_out(book: &Book, pos_id: &str) -> Option<PosStatusOut> {
    let (id, pos) = book.poses.get_key_value(pos_id)?;
    let session = pos
        .last_session
        .as_ref()
        .and_then(|session| book.payments.get(session));
    let status_code = match session {
        Some(payment) if payment.status == PENDING => "busy",
        _ => pos.status,
    };
    Some(PosStatusOut {
        point_of_service_id: (*id).to_owned(),
        point_of_service_name: pos.name,
        status_code,
        current_session: session.map(|payment| PosSessionOut {
            session_id: payment.session_id.clone(),
            payment_status: payment.status,
            merchant_references: ReferencesOut::of(payment),
            action_request_id: payment.open_action_request.clone(),
        }),
    })
}

async fn pos_status(
    State(emulator): State<Emulator>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    if let Err(response) = authenticate(&headers) {
        return response;
    }
    match pos_status_out(&emulator.book(), &id) {
        Some(status) => ok(status),
        None => error(
            StatusCode::NOT_FOUND,
            "pointOfServiceNotFound",
            format!("no point of service {id:?}"),
        ),
    }
}

fn action_request_out(request: &ActionRequest) -> ActionRequestOut {
    ActionRequestOut {
        action_request_id: request.id.clone(),
        session_id: request.session_id.clone(),
        point_of_service_id: request.pos_id.clone(),
        action_type: request.action_type.clone(),
        message: request.message.clone(),
        status: if request.response_code.is_some() {
            "answered"
        } else {
            "open"
        },
        response_code: request.response_code.clone(),
    }
}

async fn action_request(
    State(emulator): State<Emulator>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    if let Err(response) = authenticate(&headers) {
        return response;
    }
    match emulator.book().action_requests.get(&id) {
        Some(request) => ok(action_request_out(request)),
        None => error(
            StatusCode::NOT_FOUND,
            "actionRequestNotFound",
            format!("no action request {id:?}"),
        ),
    }
}

async fn action_request_response(
    State(emulator): State<Emulator>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let run = || -> Result<Response, Response> {
        authenticate(&headers)?;
        let request: ActionResponseIn = parse_body(&body)?;
        let code = required("responseCode", &request.response_code)?;
        if !matches!(code, "accepted" | "rejected") {
            return Err(bad_request(format!(
                "responseCode must be \"accepted\" or \"rejected\", not {code:?}"
            )));
        }
        let id = required("actionRequestID", &request.action_request_id)?;
        let mut guard = emulator.book();
        let book = &mut *guard;
        let action = match book.action_requests.get_mut(id) {
            Some(action)
                if request
                    .session_id
                    .as_deref()
                    .is_none_or(|s| s == action.session_id) =>
            {
                action
            }
            _ => {
                return Err(error(
                    StatusCode::NOT_FOUND,
                    "actionRequestNotFound",
                    format!("no action request {id:?}"),
                ));
            }
        };
        if action.response_code.is_some() {
            return Err(error(
                StatusCode::CONFLICT,
                "actionRequestAlreadyAnswered",
                format!("action request {id:?} is already answered"),
            ));
        }
        action.response_code = Some(code.to_owned());
        emulator.harness.record(
            "action_answered",
            json!({ "actionRequestID": id, "sessionID": action.session_id, "responseCode": code }),
        );
        let answer = action_request_out(action);
        if let Some(payment) = book.payments.get_mut(&action.session_id) {
            payment.open_action_request = None;
            if code == "rejected" && payment.status == PENDING {
                payment.status = DECLINED;
                emulator
                    .harness
                    .record("payment_declined", payment_state(payment));
                emulator.post_webhook(payment, "payment_declined", webhook_for(payment));
            }
        }
        Ok(ok(answer))
    };
    match run() {
        Ok(response) | Err(response) => response,
    }
}

async fn set_pos_status(State(emulator): State<Emulator>, headers: HeaderMap, body: Bytes) -> Response {
    let run = || -> Result<Response, Response> {
        authenticate(&headers)?;
        let request: SetPosStatusIn = parse_body(&body)?;
        let code = required("statusCode", &request.status_code)?;
        let status = match code {
            "available" => "available",
            "offline" => "offline",
            "outOfOrder" => "outOfOrder",
            other => {
                return Err(bad_request(format!(
                    "statusCode must be available, offline or outOfOrder, not {other:?}"
                )));
            }
        };
        let pos_id = required("pointOfServiceID", &request.point_of_service_id)?;
        let mut book = emulator.book();
        let Some(out) = pos_status_out(&book, pos_id) else {
            return Err(error(
                StatusCode::NOT_FOUND,
                "pointOfServiceNotFound",
                format!("no point of service {pos_id:?}"),
            ));
        };
        if out.status_code == "busy" {
            return Err(error(
                StatusCode::CONFLICT,
                "pointOfServiceBusy",
                format!("point of service {pos_id:?} is busy with a payment"),
            ));
        }
        if let Some(pos) = book.poses.get_mut(pos_id) {
            pos.status = status;
        }
        emulator.harness.record(
            "pos_status_set",
            json!({ "pointOfServiceID": pos_id, "statusCode": status }),
        );
        match pos_status_out(&book, pos_id) {
            Some(out) => Ok(ok(out)),
            None => Err(StatusCode::INTERNAL_SERVER_ERROR.into_response()),
        }
    };
    match run() {
        Ok(response) | Err(response) => response,
    }
}

async fn add_discount(State(emulator): State<Emulator>, headers: HeaderMap, body: Bytes) -> Response {
    let run = || -> Result<Response, Response> {
        authenticate(&headers)?;
        let request: AddDiscountIn = parse_body(&body)?;
        check_msg_type(request.msg_type.as_deref(), "addDiscount")?;
        let session_id = required("sessionID", &request.session_id)?;
        let pos_id = required("pointOfServiceID", &request.point_of_service_id)?;
        check_currency(request.currency.as_deref())?;
        let discount = sek_amount(
            "discountAmountInclVat",
            request.discount_amount_incl_vat.as_deref(),
            false,
        )?;
        let discount_vat = sek_amount("discountVatAmount", request.discount_vat_amount.as_deref(), true)?;
        let mut book = emulator.book();
        let payment = find_payment(&mut book, session_id, pos_id)?;
        if payment.status != PENDING {
            return Err(wrong_state(payment, "pending"));
        }
        if discount >= payment.total || discount_vat > payment.vat || discount_vat > discount {
            return Err(error(
                StatusCode::CONFLICT,
                "discountExceedsAmount",
                format!(
                    "a discount of {discount} (VAT {discount_vat}) does not fit the {} (VAT {}) to pay",
                    payment.total, payment.vat
                ),
            ));
        }
        payment.total -= discount;
        payment.vat -= discount_vat;
        let mut state = payment_state(payment);
        state["discountAmountInclVat"] = json!(discount.to_string());
        state["discountReason"] = json!(request.discount_reason);
        emulator.harness.record("discount_added", state);
        let webhook = WebhookOut {
            total_amount_incl_vat: Some(number(payment.total)),
            ..webhook_for(payment)
        };
        emulator.post_webhook(payment, "discount_added", webhook);
        Ok(ok(DiscountOut {
            msg_type: "addDiscountResponse",
            session_id: payment.session_id.clone(),
            point_of_service_id: payment.pos_id.clone(),
            total_amount_incl_vat: number(payment.total),
            total_vat_amount: number(payment.vat),
            currency: CURRENCY,
            payment_status: payment.status,
        }))
    };
    match run() {
        Ok(response) | Err(response) => response,
    }
}

// ---------------------------------------------------------------------------------------
// Control routes: the terminal

fn control_error(status: StatusCode, message: String) -> Response {
    (status, axum::Json(json!({ "error": message }))).into_response()
}

/// The pending payment on `pos_id`.
fn pending_on<'a>(book: &'a mut Book, pos_id: &str) -> Result<&'a mut Payment, Response> {
    let session = book
        .poses
        .get(pos_id)
        .ok_or_else(|| control_error(StatusCode::NOT_FOUND, format!("no point of service {pos_id:?}")))?
        .last_session
        .clone();
    match session.and_then(|session| book.payments.get_mut(&session)) {
        Some(payment) if payment.status == PENDING => Ok(payment),
        _ => Err(control_error(
            StatusCode::CONFLICT,
            format!("no pending payment on point of service {pos_id:?}"),
        )),
    }
}

async fn terminal_approve(State(emulator): State<Emulator>, Path(pos_id): Path<String>) -> Response {
    terminal_decide(&emulator, &pos_id, APPROVED)
}

async fn terminal_decline(State(emulator): State<Emulator>, Path(pos_id): Path<String>) -> Response {
    terminal_decide(&emulator, &pos_id, DECLINED)
}

fn terminal_decide(emulator: &Emulator, pos_id: &str, status: &'static str) -> Response {
    let mut book = emulator.book();
    let payment = match pending_on(&mut book, pos_id) {
        Ok(payment) => payment,
        Err(response) => return response,
    };
    if let Some(open) = &payment.open_action_request {
        return control_error(
            StatusCode::CONFLICT,
            format!("action request {open:?} waits for the partner's answer"),
        );
    }
    payment.status = status;
    let what = if status == APPROVED {
        "payment_approved"
    } else {
        "payment_declined"
    };
    emulator.harness.record(what, payment_state(payment));
    let webhook = WebhookOut {
        total_amount_incl_vat: Some(number(payment.total)),
        ..webhook_for(payment)
    };
    emulator.post_webhook(payment, what, webhook);
    ok(payment_state(payment))
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct ActionRequestControl {
    action_type: Option<String>,
    message: Option<String>,
}

async fn terminal_action_request(
    State(emulator): State<Emulator>,
    Path(pos_id): Path<String>,
    body: Bytes,
) -> Response {
    let control: ActionRequestControl = if body.is_empty() {
        ActionRequestControl::default()
    } else {
        match serde_json::from_slice(&body) {
            Ok(control) => control,
            Err(error) => return control_error(StatusCode::BAD_REQUEST, error.to_string()),
        }
    };
    let mut guard = emulator.book();
    let book = &mut *guard;
    let id = format!("{:032x}", rand::random::<u128>());
    let payment = match pending_on(book, &pos_id) {
        Ok(payment) => payment,
        Err(response) => return response,
    };
    if let Some(open) = &payment.open_action_request {
        return control_error(
            StatusCode::CONFLICT,
            format!("action request {open:?} is still open"),
        );
    }
    payment.open_action_request = Some(id.clone());
    let action = ActionRequest {
        id: id.clone(),
        session_id: payment.session_id.clone(),
        pos_id: pos_id.clone(),
        action_type: control.action_type.unwrap_or_else(|| "signature".to_owned()),
        message: control
            .message
            .or_else(|| Some("Check the card holder's signature".to_owned())),
        response_code: None,
    };
    emulator.harness.record(
        "action_requested",
        json!({ "actionRequestID": id, "sessionID": payment.session_id, "actionType": action.action_type }),
    );
    let webhook = WebhookOut {
        msg_type: "actionRequest",
        action_request_id: Some(id.clone()),
        payment_status: Some(payment.status),
        ..webhook_for(payment)
    };
    emulator.post_webhook(payment, "action_requested", webhook);
    let answer = action_request_out(&action);
    book.action_requests.insert(id, action);
    ok(answer)
}

async fn control_redeliver(State(emulator): State<Emulator>, Path(session): Path<String>) -> Response {
    let last = lock(&emulator.last_webhook).get(&session).cloned();
    match last {
        Some(delivery) => {
            emulator.harness.record(
                "webhook_redelivered",
                json!({"sessionID": session, "event": delivery.what}),
            );
            emulator.queue(delivery);
            StatusCode::ACCEPTED.into_response()
        }
        None => control_error(
            StatusCode::NOT_FOUND,
            format!("session {session:?} has sent no webhook"),
        ),
    }
}

async fn control_payment(State(emulator): State<Emulator>, Path(session): Path<String>) -> Response {
    match emulator.book().payments.get(&session) {
        Some(payment) => ok(payment_state(payment)),
        None => control_error(StatusCode::NOT_FOUND, format!("no payment session {session:?}")),
    }
}
