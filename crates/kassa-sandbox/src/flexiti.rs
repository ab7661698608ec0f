//! Flexiti POS API v2.5.1 (seeds/002): consumer financing at the till, in CAD.
//!
//! A customer's Flexiti account is authorized for an amount; the till captures up to
//! that amount (in one or more captures), or makes a purchase by account number (an
//! authorization captured at once); a capture is returned in full or in part, never
//! beyond what was captured. Authorizations and captures can be listed with filters
//! and paging.
//!
//! The document elides every path except the base and the three GET examples, and
//! describes no error answers; the readings below are shared with the client
//! (kassa-providers' `flexiti` module writes each next to its code):
//!
//! | method and path (below `/flexiti/pos-api/v2.5.1`) | what it does |
//! |---|---|
//! | `POST /client-id/{client_id}/authorization` | authorizes `amount` on `account_number` |
//! | `POST /client-id/{client_id}/authorization/{authorization_id}/capture` | captures up to the remaining authorized amount |
//! | `POST /client-id/{client_id}/authorization/{authorization_id}/capture/{capture_id}/return` | returns all (`full_return`) or `amount` of a capture |
//! | `POST /client-id/{client_id}/account/{account_number}/purchase` | authorizes and captures in one step |
//! | `GET /client-id/{client_id}/authorizations?...` | authorizations, filtered and paged |
//! | `GET /client-id/{client_id}/authorization/{authorization_id}` | one authorization |
//! | `GET /client-id/{client_id}/captures?...` | captures, filtered and paged |
//!
//! - Every request needs `authorization: Bearer <api key>` (401 otherwise) for the
//!   `client_id` of the path (403 otherwise). POSTs need `x-reference-id`: a repeated
//!   reference with the same request answers the first answer again without acting; a
//!   repeated reference with another request is 409 `reference_conflict`.
//! - Errors answer `{"status": "<code>", "message": "..."}` (the capture answer's own
//!   `status` and `message` fields): 400 `invalid_request`, 401 `unauthorized`, 403
//!   `forbidden`, 404 `not_found`, 409 `reference_conflict`, 422 `insufficient_credit`,
//!   `authorization_not_open`, `amount_exceeds_authorization`, `return_exceeds_capture`.
//! - Statuses: authorizations `opened` → `closed` when fully captured (or `expired`);
//!   captures `opened` → `closed` when fully returned.
//!
//! Control routes:
//!
//! | method and path | what it does |
//! |---|---|
//! | `POST /_sandbox/accounts` | `{"account_number": "...", "credit_limit": 5000.00}` adds or changes an account |
//! | `POST /_sandbox/authorizations/{id}/expire` | the authorization lapses (no more captures) |

use std::collections::BTreeMap;
use std::str::FromStr;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use rust_decimal::Decimal;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::value::RawValue;
use serde_json::{Value, json};

use crate::Harness;

/// Where the document's paths start: `https://{posapi_url}/flexiti/pos-api/v2.5.1`.
pub const BASE_PATH: &str = "/flexiti/pos-api/v2.5.1";

/// The demo merchant's client id.
pub const DEMO_CLIENT_ID: &str = "kassa-demo";
/// The demo API key, sent as `authorization: Bearer <key>`.
pub const DEMO_API_KEY: &str = "flx_demo_4f1b2c3d";
/// The demo store's location id (`external_location_id`).
pub const DEMO_LOCATION_ID: &str = "00-12345";
/// The demo account, with a credit limit of 10 000.00 CAD (the document's example number).
pub const DEMO_ACCOUNT: &str = "12341234";
/// A second demo account with only 100.00 CAD of credit.
pub const DEMO_SMALL_ACCOUNT: &str = "55550000";

/// The settings the demo database is configured with (keys of `kassa_providers::flexiti::FIELDS`).
pub const DEMO_SETTINGS: &[(&str, &str)] = &[
    ("client_id", DEMO_CLIENT_ID),
    ("api_key", DEMO_API_KEY),
    ("location_id", DEMO_LOCATION_ID),
];

/// The corporation and merchant every demo authorization belongs to.
const DEMO_CORPORATION_ID: &str = "1234";
const DEMO_MERCHANT_ID: &str = "1234";

// ---------------------------------------------------------------------------------------
// Errors

#[derive(Debug)]
struct Failure {
    status: StatusCode,
    code: &'static str,
    message: String,
}

impl Failure {
    fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Failure {
        Failure {
            status,
            code,
            message: message.into(),
        }
    }

    fn invalid(message: impl Into<String>) -> Failure {
        Failure::new(StatusCode::BAD_REQUEST, "invalid_request", message)
    }

    fn not_found(message: impl Into<String>) -> Failure {
        Failure::new(StatusCode::NOT_FOUND, "not_found", message)
    }

    fn refused(code: &'static str, message: impl Into<String>) -> Failure {
        Failure::new(StatusCode::UNPROCESSABLE_ENTITY, code, message)
    }

    fn answer(&self) -> Answer {
        Answer {
            status: self.status,
            body: json!({"status": self.code, "message": self.message}).to_string(),
        }
    }
}

/// An answer kept as text, so that a repeated `x-reference-id` gets it again verbatim.
#[derive(Debug, Clone)]
struct Answer {
    status: StatusCode,
    body: String,
}

impl Answer {
    fn ok(body: &impl Serialize) -> Answer {
        match serde_json::to_string(body) {
            Ok(body) => Answer {
                status: StatusCode::OK,
                body,
            },
            Err(error) => Failure::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal_error",
                error.to_string(),
            )
            .answer(),
        }
    }
}

impl IntoResponse for Answer {
    fn into_response(self) -> Response {
        (self.status, [("content-type", "application/json")], self.body).into_response()
    }
}

// ---------------------------------------------------------------------------------------
// Exact amounts

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
    match Option::<Box<RawValue>>::deserialize(deserializer)? {
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

/// A money amount as the document types it: number (18,2), positive.
fn money(value: Option<Decimal>, field: &str) -> Result<Decimal, Failure> {
    match value {
        None => Err(Failure::invalid(format!("{field} is required"))),
        Some(amount) if amount <= Decimal::ZERO => Err(Failure::invalid(format!("{field} must be positive"))),
        Some(amount) if amount.normalize().scale() > 2 => Err(Failure::invalid(format!(
            "{field} has more than 2 decimals (CAD)"
        ))),
        Some(amount) => Ok(amount),
    }
}

// ---------------------------------------------------------------------------------------
// State

#[derive(Debug, Clone)]
struct Authorization {
    id: i64,
    reference: Option<String>,
    account_number: String,
    amount: Decimal,
    captured: Decimal,
    status: &'static str,
    transaction_type: &'static str,
    creation_date: String,
    location_id: Option<String>,
    employee_username: Option<String>,
}

impl Authorization {
    fn remaining(&self) -> Decimal {
        self.amount - self.captured
    }

    fn json(&self) -> AuthorizationOut<'_> {
        AuthorizationOut {
            authorization_id: self.id,
            reference: self.reference.as_deref(),
            account_number: &self.account_number,
            transaction_type: self.transaction_type,
            status: self.status,
            amount: self.amount,
            captured_amount: self.captured,
            remaining_authorization_amount: self.remaining(),
            creation_date: &self.creation_date,
            external_location_id: self.location_id.as_deref(),
            employee_username: self.employee_username.as_deref(),
        }
    }
}

#[derive(Serialize)]
struct AuthorizationOut<'a> {
    authorization_id: i64,
    reference: Option<&'a str>,
    account_number: &'a str,
    transaction_type: &'a str,
    status: &'a str,
    #[serde(serialize_with = "number")]
    amount: Decimal,
    #[serde(serialize_with = "number")]
    captured_amount: Decimal,
    #[serde(serialize_with = "number")]
    remaining_authorization_amount: Decimal,
    creation_date: &'a str,
    external_location_id: Option<&'a str>,
    employee_username: Option<&'a str>,
}

#[derive(Debug, Clone)]
struct Capture {
    id: i64,
    authorization_id: i64,
    reference: Option<String>,
    date: String,
    creation_date: String,
    amount: Decimal,
    returned: Decimal,
    status: &'static str,
    employee_username: Option<String>,
}

#[derive(Serialize)]
struct CaptureOut<'a> {
    capture_id: i64,
    reference: Option<&'a str>,
    authorization_id: i64,
    account_number: &'a str,
    transaction_type: &'a str,
    date: &'a str,
    #[serde(serialize_with = "number")]
    amount: Decimal,
    #[serde(serialize_with = "number")]
    returned_amount: Decimal,
    #[serde(serialize_with = "number")]
    remaining_authorization_amount: Decimal,
    #[serde(serialize_with = "number")]
    term_amount: Decimal,
    username: Option<&'a str>,
    status: &'a str,
    message: &'a str,
}

#[derive(Serialize)]
struct ReturnOut<'a> {
    return_id: i64,
    reference: Option<&'a str>,
    authorization_id: i64,
    capture_id: i64,
    date: &'a str,
    #[serde(serialize_with = "number")]
    amount: Decimal,
    #[serde(serialize_with = "number")]
    remaining_capture_amount: Decimal,
    status: &'a str,
    message: &'a str,
}

#[derive(Debug, Default)]
struct Ledger {
    accounts: BTreeMap<String, Decimal>,
    authorizations: BTreeMap<i64, Authorization>,
    captures: BTreeMap<i64, Capture>,
    /// x-reference-id → (what was asked, the answer given).
    references: BTreeMap<String, (String, Answer)>,
    next_id: i64,
}

impl Ledger {
    fn new_id(&mut self) -> i64 {
        self.next_id += 1;
        12_343 + self.next_id
    }

    /// What the account can still take: its limit less what open authorizations hold
    /// and what was captured and not returned.
    fn available(&self, account_number: &str) -> Option<Decimal> {
        let limit = *self.accounts.get(account_number)?;
        let held: Decimal = self
            .authorizations
            .values()
            .filter(|authorization| authorization.account_number == account_number)
            .map(|authorization| {
                let open = if authorization.status == "opened" {
                    authorization.remaining()
                } else {
                    Decimal::ZERO
                };
                let owed: Decimal = self
                    .captures
                    .values()
                    .filter(|capture| capture.authorization_id == authorization.id)
                    .map(|capture| capture.amount - capture.returned)
                    .sum();
                open + owed
            })
            .sum();
        Some(limit - held)
    }

    fn capture_json<'a>(&'a self, capture: &'a Capture, message: &'a str) -> CaptureOut<'a> {
        let authorization = self.authorizations.get(&capture.authorization_id);
        CaptureOut {
            capture_id: capture.id,
            reference: capture.reference.as_deref(),
            authorization_id: capture.authorization_id,
            account_number: authorization.map_or("", |a| a.account_number.as_str()),
            transaction_type: authorization.map_or("", |a| a.transaction_type),
            date: &capture.date,
            amount: capture.amount,
            returned_amount: capture.returned,
            remaining_authorization_amount: authorization.map_or(Decimal::ZERO, Authorization::remaining),
            term_amount: capture.amount,
            username: capture.employee_username.as_deref(),
            status: capture.status,
            message,
        }
    }
}

#[derive(Clone)]
struct Flexiti {
    harness: Harness,
    ledger: Arc<Mutex<Ledger>>,
}

impl Flexiti {
    fn ledger(&self) -> MutexGuard<'_, Ledger> {
        self.ledger.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get(name)
        .and_then(|value| value.to_str().ok())
        .map(str::trim)
}

fn authorize(headers: &HeaderMap, client_id: &str) -> Result<(), Failure> {
    let key = header(headers, "authorization").and_then(|value| value.strip_prefix("Bearer "));
    if key.map(str::trim) != Some(DEMO_API_KEY) {
        return Err(Failure::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "missing or invalid authorization",
        ));
    }
    if client_id != DEMO_CLIENT_ID {
        return Err(Failure::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            format!("the key is not for client {client_id}"),
        ));
    }
    Ok(())
}

fn today() -> String {
    chrono::Utc::now().date_naive().format("%Y-%m-%d").to_string()
}

fn now() -> String {
    chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// The emulator's routes: the document's endpoints and its `/_sandbox/` control routes.
pub fn router(harness: Harness) -> Router {
    let mut ledger = Ledger::default();
    ledger
        .accounts
        .insert(DEMO_ACCOUNT.to_owned(), Decimal::new(1_000_000, 2));
    ledger
        .accounts
        .insert(DEMO_SMALL_ACCOUNT.to_owned(), Decimal::new(10_000, 2));
    let flexiti = Flexiti {
        harness,
        ledger: Arc::new(Mutex::new(ledger)),
    };
    let documented = Router::new()
        .route("/client-id/{client_id}/authorization", post(create_authorization))
        .route(
            "/client-id/{client_id}/authorization/{authorization_id}",
            get(get_authorization),
        )
        .route(
            "/client-id/{client_id}/authorization/{authorization_id}/capture",
            post(capture),
        )
        .route(
            "/client-id/{client_id}/authorization/{authorization_id}/capture/{capture_id}/return",
            post(return_capture),
        )
        .route(
            "/client-id/{client_id}/account/{account_number}/purchase",
            post(purchase),
        )
        .route("/client-id/{client_id}/authorizations", get(list_authorizations))
        .route("/client-id/{client_id}/captures", get(list_captures));
    Router::new()
        .nest(BASE_PATH, documented)
        .route("/_sandbox/accounts", post(control_account))
        .route("/_sandbox/authorizations/{id}/expire", post(control_expire))
        .with_state(flexiti)
}

/// Runs a POST once per `x-reference-id`: a repeat of the same request gets the first
/// answer again, a different request under a used reference is refused.
fn once(
    flexiti: &Flexiti,
    headers: &HeaderMap,
    client_id: &str,
    uri: &Uri,
    body: &Bytes,
    act: impl FnOnce(&mut Ledger, &Harness) -> Result<Answer, Failure>,
) -> Response {
    if let Err(failure) = authorize(headers, client_id) {
        return failure.answer().into_response();
    }
    let Some(reference) = header(headers, "x-reference-id").filter(|value| !value.is_empty()) else {
        return Failure::invalid("the x-reference-id header is required")
            .answer()
            .into_response();
    };
    let asked = format!("{} {}", uri.path(), String::from_utf8_lossy(body));
    let mut ledger = flexiti.ledger();
    if let Some((first, answer)) = ledger.references.get(reference) {
        if *first == asked {
            flexiti
                .harness
                .record("request_replayed", json!({"x_reference_id": reference}));
            return answer.clone().into_response();
        }
        return Failure::new(
            StatusCode::CONFLICT,
            "reference_conflict",
            format!("x-reference-id {reference} was used for another request"),
        )
        .answer()
        .into_response();
    }
    let answer = act(&mut ledger, &flexiti.harness).unwrap_or_else(|failure| failure.answer());
    // Refusals are kept too: the same request under the same reference is refused again.
    ledger
        .references
        .insert(reference.to_owned(), (asked, answer.clone()));
    answer.into_response()
}

fn parse<T: for<'de> Deserialize<'de>>(body: &Bytes) -> Result<T, Failure> {
    serde_json::from_slice(body).map_err(|error| Failure::invalid(format!("the body is not valid: {error}")))
}

#[derive(Debug, Deserialize)]
struct Transaction {
    #[serde(default)]
    reference: Option<String>,
    #[serde(default, deserialize_with = "optional_decimal")]
    amount: Option<Decimal>,
    #[serde(default)]
    account_number: Option<String>,
    #[serde(default)]
    vcc_number: Option<String>,
    #[serde(default)]
    full_return: Option<bool>,
    #[serde(default)]
    external_location_id: Option<String>,
    #[serde(default)]
    external_employee_id: Option<String>,
    #[serde(default)]
    sku_data: Option<Value>,
    #[serde(default)]
    #[allow(dead_code)]
    capture_id: Option<Value>,
}

impl Transaction {
    fn check_common(&self) -> Result<(), Failure> {
        if let Some(vcc) = &self.vcc_number
            && (vcc.len() > 16 || !vcc.chars().all(|c| c.is_ascii_digit()))
        {
            return Err(Failure::invalid("vcc_number must be at most 16 digits"));
        }
        // Reading: Kassa is the in-store channel, so both ids are required.
        if self.external_location_id.as_deref().is_none_or(str::is_empty) {
            return Err(Failure::invalid("external_location_id is required in store"));
        }
        if self.external_employee_id.as_deref().is_none_or(str::is_empty) {
            return Err(Failure::invalid("external_employee_id is required in store"));
        }
        if let Some(sku) = &self.sku_data
            && !sku.is_object()
        {
            return Err(Failure::invalid("sku_data must be an object"));
        }
        Ok(())
    }
}

fn open_authorization(
    ledger: &mut Ledger,
    harness: &Harness,
    account_number: &str,
    input: &Transaction,
    amount: Decimal,
) -> Result<i64, Failure> {
    let Some(available) = ledger.available(account_number) else {
        return Err(Failure::not_found(format!("no account {account_number}")));
    };
    if amount > available {
        return Err(Failure::refused(
            "insufficient_credit",
            format!("the account has {available} CAD of credit left"),
        ));
    }
    let id = ledger.new_id();
    let authorization = Authorization {
        id,
        reference: input.reference.clone(),
        account_number: account_number.to_owned(),
        amount,
        captured: Decimal::ZERO,
        status: "opened",
        transaction_type: "promotional_purchase",
        creation_date: today(),
        location_id: input.external_location_id.clone(),
        employee_username: input.external_employee_id.clone(),
    };
    harness.record(
        "authorization_opened",
        json!({"authorization_id": id, "account_number": account_number, "amount": amount.to_string()}),
    );
    ledger.authorizations.insert(id, authorization);
    Ok(id)
}

fn make_capture(
    ledger: &mut Ledger,
    harness: &Harness,
    authorization_id: i64,
    input: &Transaction,
    amount: Decimal,
) -> Result<i64, Failure> {
    let Some(authorization) = ledger.authorizations.get_mut(&authorization_id) else {
        return Err(Failure::not_found(format!("no authorization {authorization_id}")));
    };
    if authorization.status != "opened" {
        return Err(Failure::refused(
            "authorization_not_open",
            format!("authorization {authorization_id} is {}", authorization.status),
        ));
    }
    if amount > authorization.remaining() {
        return Err(Failure::refused(
            "amount_exceeds_authorization",
            format!(
                "only {} CAD of the authorization is left",
                authorization.remaining()
            ),
        ));
    }
    authorization.captured += amount;
    if authorization.remaining().is_zero() {
        authorization.status = "closed";
    }
    let remaining = authorization.remaining();
    let id = ledger.new_id();
    ledger.captures.insert(
        id,
        Capture {
            id,
            authorization_id,
            reference: input.reference.clone(),
            date: now(),
            creation_date: today(),
            amount,
            returned: Decimal::ZERO,
            status: "opened",
            employee_username: input.external_employee_id.clone(),
        },
    );
    harness.record(
        "capture_made",
        json!({
            "capture_id": id,
            "authorization_id": authorization_id,
            "amount": amount.to_string(),
            "remaining_authorization_amount": remaining.to_string(),
        }),
    );
    Ok(id)
}

async fn create_authorization(
    State(flexiti): State<Flexiti>,
    Path(client_id): Path<String>,
    headers: HeaderMap,
    uri: Uri,
    body: Bytes,
) -> Response {
    once(&flexiti, &headers, &client_id, &uri, &body, |ledger, harness| {
        let input: Transaction = parse(&body)?;
        input.check_common()?;
        let amount = money(input.amount, "amount")?;
        let Some(account_number) = input.account_number.as_deref().filter(|text| !text.is_empty()) else {
            return Err(Failure::invalid("account_number is required"));
        };
        let id = open_authorization(ledger, harness, account_number, &input, amount)?;
        let authorization = &ledger.authorizations[&id];
        Ok(Answer::ok(&authorization.json()))
    })
}

async fn capture(
    State(flexiti): State<Flexiti>,
    Path((client_id, authorization_id)): Path<(String, String)>,
    headers: HeaderMap,
    uri: Uri,
    body: Bytes,
) -> Response {
    once(&flexiti, &headers, &client_id, &uri, &body, |ledger, harness| {
        let authorization_id = id_of(&authorization_id)?;
        let input: Transaction = parse(&body)?;
        input.check_common()?;
        let amount = money(input.amount, "amount")?;
        let id = make_capture(ledger, harness, authorization_id, &input, amount)?;
        let capture = &ledger.captures[&id];
        Ok(Answer::ok(&ledger.capture_json(capture, "captured")))
    })
}

async fn purchase(
    State(flexiti): State<Flexiti>,
    Path((client_id, account_number)): Path<(String, String)>,
    headers: HeaderMap,
    uri: Uri,
    body: Bytes,
) -> Response {
    once(&flexiti, &headers, &client_id, &uri, &body, |ledger, harness| {
        let input: Transaction = parse(&body)?;
        input.check_common()?;
        let amount = money(input.amount, "amount")?;
        let authorization_id = open_authorization(ledger, harness, &account_number, &input, amount)?;
        let id = make_capture(ledger, harness, authorization_id, &input, amount)?;
        let capture = &ledger.captures[&id];
        Ok(Answer::ok(&ledger.capture_json(capture, "purchased")))
    })
}

async fn return_capture(
    State(flexiti): State<Flexiti>,
    Path((client_id, authorization_id, capture_id)): Path<(String, String, String)>,
    headers: HeaderMap,
    uri: Uri,
    body: Bytes,
) -> Response {
    once(&flexiti, &headers, &client_id, &uri, &body, |ledger, harness| {
        let authorization_id = id_of(&authorization_id)?;
        let capture_id = id_of(&capture_id)?;
        let input: Transaction = parse(&body)?;
        input.check_common()?;
        let return_id = ledger.new_id();
        let Some(capture) = ledger
            .captures
            .get_mut(&capture_id)
            .filter(|capture| capture.authorization_id == authorization_id)
        else {
            return Err(Failure::not_found(format!(
                "no capture {capture_id} of authorization {authorization_id}"
            )));
        };
        let left = capture.amount - capture.returned;
        // Reading: `amount` is "Yes if full_return is false"; absent `full_return` is false.
        let amount = if input.full_return == Some(true) {
            if left.is_zero() {
                return Err(Failure::refused(
                    "return_exceeds_capture",
                    "the capture is already returned in full",
                ));
            }
            left
        } else {
            money(input.amount, "amount")?
        };
        if amount > left {
            return Err(Failure::refused(
                "return_exceeds_capture",
                format!("only {left} CAD of the capture can be returned"),
            ));
        }
        capture.returned += amount;
        if capture.returned == capture.amount {
            capture.status = "closed";
        }
        let remaining = capture.amount - capture.returned;
        harness.record(
            "capture_returned",
            json!({
                "return_id": return_id,
                "capture_id": capture_id,
                "amount": amount.to_string(),
                "returned_amount": capture.returned.to_string(),
            }),
        );
        Ok(Answer::ok(&ReturnOut {
            return_id,
            reference: input.reference.as_deref(),
            authorization_id,
            capture_id,
            date: &now(),
            amount,
            remaining_capture_amount: remaining,
            status: "returned",
            message: "returned",
        }))
    })
}

fn id_of(text: &str) -> Result<i64, Failure> {
    text.parse()
        .map_err(|_| Failure::not_found(format!("{text} is not an id of this API")))
}

// ---------------------------------------------------------------------------------------
// Reads

async fn get_authorization(
    State(flexiti): State<Flexiti>,
    Path((client_id, authorization_id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    if let Err(failure) = authorize(&headers, &client_id) {
        return failure.answer().into_response();
    }
    let answer = id_of(&authorization_id).and_then(|id| {
        let ledger = flexiti.ledger();
        ledger
            .authorizations
            .get(&id)
            .map(|authorization| Answer::ok(&authorization.json()))
            .ok_or_else(|| Failure::not_found(format!("no authorization {id}")))
    });
    answer.unwrap_or_else(|failure| failure.answer()).into_response()
}

/// The query as pairs; a parameter named twice is refused.
fn query(raw: Option<String>) -> Result<BTreeMap<String, String>, Failure> {
    let mut pairs = BTreeMap::new();
    for pair in raw.unwrap_or_default().split('&').filter(|pair| !pair.is_empty()) {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        let value = percent_decode(value);
        if pairs.insert(name.to_owned(), value).is_some() {
            return Err(Failure::invalid(format!("{name} is given twice")));
        }
    }
    Ok(pairs)
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let hex = |byte: u8| (byte as char).to_digit(16);
    let mut out = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        match bytes[index] {
            b'+' => out.push(b' '),
            b'%' if index + 2 < bytes.len() => match (hex(bytes[index + 1]), hex(bytes[index + 2])) {
                (Some(high), Some(low)) => {
                    out.push((high * 16 + low) as u8);
                    index += 2;
                }
                _ => out.push(b'%'),
            },
            byte => out.push(byte),
        }
        index += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

struct Paging {
    number: usize,
    size: usize,
}

fn paging(query: &BTreeMap<String, String>) -> Result<Paging, Failure> {
    let number = match query.get("page_number") {
        Some(text) => text.parse().ok().filter(|n| *n >= 1),
        None => Some(1),
    }
    .ok_or_else(|| Failure::invalid("page_number must be 1 or more"))?;
    let size = match query.get("page_size") {
        Some(text) => text.parse().ok().filter(|n| (1..=100).contains(n)),
        None => Some(10),
    }
    .ok_or_else(|| Failure::invalid("page_size must be 1 to 100"))?;
    Ok(Paging { number, size })
}

fn date_filter(query: &BTreeMap<String, String>, name: &str) -> Result<Option<String>, Failure> {
    match query.get(name) {
        None => Ok(None),
        Some(text) if chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d").is_ok() => Ok(Some(text.clone())),
        Some(text) => Err(Failure::invalid(format!(
            "{name} {text:?} is not a date (YYYY-MM-DD)"
        ))),
    }
}

fn known_parameters(query: &BTreeMap<String, String>, known: &[&str]) -> Result<(), Failure> {
    match query.keys().find(|name| !known.contains(&name.as_str())) {
        Some(name) => Err(Failure::invalid(format!("unknown query parameter {name}"))),
        None => Ok(()),
    }
}

fn page_of<T: Serialize>(items: Vec<T>, paging: &Paging, name: &str) -> Answer {
    let total = items.len();
    let shown: Vec<T> = items
        .into_iter()
        .skip((paging.number - 1) * paging.size)
        .take(paging.size)
        .collect();
    let mut body = serde_json::Map::new();
    body.insert("page_number".to_owned(), json!(paging.number));
    body.insert("page_size".to_owned(), json!(paging.size));
    body.insert("total_count".to_owned(), json!(total));
    let page = PageOut {
        meta: body,
        items: shown,
        name,
    };
    Answer::ok(&page)
}

/// A page: the paging fields and the items under `name`.
struct PageOut<'a, T> {
    meta: serde_json::Map<String, Value>,
    items: Vec<T>,
    name: &'a str,
}

impl<T: Serialize> Serialize for PageOut<'_, T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = serializer.serialize_map(Some(self.meta.len() + 1))?;
        for (key, value) in &self.meta {
            map.serialize_entry(key, value)?;
        }
        map.serialize_entry(self.name, &self.items)?;
        map.end()
    }
}

async fn list_authorizations(
    State(flexiti): State<Flexiti>,
    Path(client_id): Path<String>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Response {
    if let Err(failure) = authorize(&headers, &client_id) {
        return failure.answer().into_response();
    }
    let answer = (|| {
        let query = query(raw)?;
        known_parameters(
            &query,
            &[
                "lang",
                "account_number",
                "transaction_type",
                "authorization_status",
                "creation_date_from",
                "creation_date_to",
                "page_number",
                "page_size",
            ],
        )?;
        let paging = paging(&query)?;
        let from = date_filter(&query, "creation_date_from")?;
        let to = date_filter(&query, "creation_date_to")?;
        let ledger = flexiti.ledger();
        let matches = |a: &&Authorization| {
            query.get("account_number").is_none_or(|n| *n == a.account_number)
                && query
                    .get("transaction_type")
                    .is_none_or(|t| t == a.transaction_type)
                && query.get("authorization_status").is_none_or(|s| s == a.status)
                && from.as_ref().is_none_or(|from| a.creation_date >= *from)
                && to.as_ref().is_none_or(|to| a.creation_date <= *to)
        };
        let items: Vec<AuthorizationOut<'_>> = ledger
            .authorizations
            .values()
            .filter(matches)
            .map(Authorization::json)
            .collect();
        Ok::<_, Failure>(page_of(items, &paging, "authorizations"))
    })();
    answer.unwrap_or_else(|failure| failure.answer()).into_response()
}

async fn list_captures(
    State(flexiti): State<Flexiti>,
    Path(client_id): Path<String>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Response {
    if let Err(failure) = authorize(&headers, &client_id) {
        return failure.answer().into_response();
    }
    let answer = (|| {
        let query = query(raw)?;
        known_parameters(
            &query,
            &[
                "lang",
                "account_number",
                "transaction_type",
                "capture_status",
                "creation_date_from",
                "creation_date_to",
                "capture_id",
                "authorization_corporation_id",
                "authorization_merchant_id",
                "authorization_location_id",
                "authorization_employee_username",
                "capture_employee_username",
                "page_number",
                "page_size",
            ],
        )?;
        let paging = paging(&query)?;
        let from = date_filter(&query, "creation_date_from")?;
        let to = date_filter(&query, "creation_date_to")?;
        let ledger = flexiti.ledger();
        let is = |name: &str, value: Option<&str>| {
            query
                .get(name)
                .is_none_or(|wanted| Some(wanted.as_str()) == value)
        };
        let items: Vec<CaptureOut<'_>> = ledger
            .captures
            .values()
            .filter(|capture| {
                let authorization = ledger.authorizations.get(&capture.authorization_id);
                is("account_number", authorization.map(|a| a.account_number.as_str()))
                    && is("transaction_type", authorization.map(|a| a.transaction_type))
                    && is("capture_status", Some(capture.status))
                    && is("capture_id", Some(&capture.id.to_string()))
                    && is("authorization_corporation_id", Some(DEMO_CORPORATION_ID))
                    && is("authorization_merchant_id", Some(DEMO_MERCHANT_ID))
                    && is(
                        "authorization_location_id",
                        authorization.and_then(|a| a.location_id.as_deref()),
                    )
                    && is(
                        "authorization_employee_username",
                        authorization.and_then(|a| a.employee_username.as_deref()),
                    )
                    && is("capture_employee_username", capture.employee_username.as_deref())
                    && from.as_ref().is_none_or(|from| capture.creation_date >= *from)
                    && to.as_ref().is_none_or(|to| capture.creation_date <= *to)
            })
            .map(|capture| ledger.capture_json(capture, "captured"))
            .collect();
        Ok::<_, Failure>(page_of(items, &paging, "captures"))
    })();
    answer.unwrap_or_else(|failure| failure.answer()).into_response()
}

// ---------------------------------------------------------------------------------------
// Control routes

#[derive(Debug, Deserialize)]
struct AccountIn {
    account_number: String,
    #[serde(default, deserialize_with = "optional_decimal")]
    credit_limit: Option<Decimal>,
}

async fn control_account(State(flexiti): State<Flexiti>, body: Bytes) -> Response {
    let input: AccountIn = match serde_json::from_slice(&body) {
        Ok(input) => input,
        Err(error) => return (StatusCode::BAD_REQUEST, error.to_string()).into_response(),
    };
    let limit = input.credit_limit.unwrap_or(Decimal::ZERO);
    flexiti
        .ledger()
        .accounts
        .insert(input.account_number.clone(), limit);
    flexiti.harness.record(
        "account_set",
        json!({"account_number": input.account_number, "credit_limit": limit.to_string()}),
    );
    StatusCode::NO_CONTENT.into_response()
}

async fn control_expire(State(flexiti): State<Flexiti>, Path(id): Path<i64>) -> Response {
    let mut ledger = flexiti.ledger();
    let Some(authorization) = ledger.authorizations.get_mut(&id) else {
        return (StatusCode::NOT_FOUND, format!("no authorization {id}")).into_response();
    };
    authorization.status = "expired";
    flexiti
        .harness
        .record("authorization_expired", json!({"authorization_id": id}));
    StatusCode::NO_CONTENT.into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_are_decoded_and_doubles_refused() {
        let pairs = query(Some("a=1&b=x%20y&c=d+e".to_owned())).unwrap();
        assert_eq!(pairs["b"], "x y");
        assert_eq!(pairs["c"], "d e");
        assert!(query(Some("a=1&a=2".to_owned())).is_err());
    }

    #[test]
    fn amounts_are_exact_and_cad() {
        assert_eq!(
            money(Some(Decimal::new(30_0012, 2)), "amount")
                .unwrap()
                .to_string(),
            "3000.12"
        );
        assert!(money(Some(Decimal::new(1_005, 3)), "amount").is_err());
        assert!(money(Some(Decimal::ZERO), "amount").is_err());
        let raw = RawValue::from_string("840.1".to_owned()).unwrap();
        assert_eq!(decimal_from_raw(&raw).unwrap().to_string(), "840.1");
    }
}
