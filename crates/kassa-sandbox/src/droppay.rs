//! DropPay Shop API v1 emulator, POS devices of type Application (seeds/004).
//!
//! One user (the demo access token) owns brand `BRNC8K195PZ1Q` with stores
//! `STRX88DHT129M` and `STRDEMOSECOND2`; brand `BRNOTHERBRAND1` exists but is someone
//! else's. POS devices are created, read, updated and soft-deleted as the document
//! describes; the readings (written in `kassa-providers`' `droppay` module) are followed
//! here apart:
//!
//! - errors are DropPay Common Errors: status plus `{"code", "description"}` as JSON;
//! - a deleted POS reads back with status `DELETED` and can no longer be changed
//!   (403/101);
//! - the same Application Key can be registered again and again: no deduplication.
//!
//! Control routes:
//!
//! | method and path | what it does |
//! |---|---|
//! | `POST /_sandbox/droppay/token/expire` | the demo token expires (401/102 from now on) |
//! | `POST /_sandbox/droppay/token/renew` | the demo token is valid again |
//! | `GET /_sandbox/droppay/pos` | every POS as the emulator holds it |

// Handlers stop at the first refusal with the error answer itself; an answer is built
// once per request, so the size of `Result<_, Response>` costs nothing that matters.
#![allow(clippy::result_large_err)]

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use serde_json::{Value, json};

use crate::Harness;

/// The path below the host where the document's paths start
/// (`https://api.drop-pay.io/shop/v1`).
pub const BASE_PATH: &str = "/shop/v1";

/// The demo user's access token.
pub const ACCESS_TOKEN: &str = "droppay-demo-user-token-ac9185e9";
/// A valid token of the same user without the POS scope (401/101).
pub const TOKEN_WITHOUT_POS_SCOPE: &str = "droppay-demo-token-without-pos-scope";
/// The demo brand.
pub const BRAND_ID: &str = "BRNC8K195PZ1Q";
/// The demo store.
pub const STORE_ID: &str = "STRX88DHT129M";
/// A second store of the demo brand.
pub const SECOND_STORE_ID: &str = "STRDEMOSECOND2";
/// A brand of another user.
pub const OTHER_BRAND_ID: &str = "BRNOTHERBRAND1";
/// The demo Application Key (the document's create example).
pub const APPLICATION_KEY: &str = "0385a889-03b2-4bac-ac5e-710042b2ba27";
/// A second registered Application (the document's update example).
pub const SECOND_APPLICATION_KEY: &str = "af6cfd85-9021-42e9-8096-bd60d68fe3e2";

/// The settings of the demo database (keys of `kassa_providers::droppay::FIELDS`;
/// `pos_id` is left out: the demo registers the till first).
pub const DEMO_SETTINGS: &[(&str, &str)] = &[
    ("access_token", ACCESS_TOKEN),
    ("brand_id", BRAND_ID),
    ("store_id", STORE_ID),
    ("application_key", APPLICATION_KEY),
];

struct PosRecord {
    id: String,
    brand_id: String,
    store_id: String,
    status: &'static str,
    reference: String,
}

#[derive(Default)]
struct Book {
    poses: BTreeMap<String, PosRecord>,
    token_expired: bool,
}

#[derive(Clone)]
struct Emulator {
    harness: Harness,
    book: Arc<Mutex<Book>>,
}

impl Emulator {
    fn book(&self) -> MutexGuard<'_, Book> {
        self.book.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The emulator's routes: the document's endpoints and its `/_sandbox/` control routes.
pub fn router(harness: Harness) -> Router {
    let emulator = Emulator {
        harness,
        book: Arc::new(Mutex::new(Book::default())),
    };
    let base = BASE_PATH;
    Router::new()
        .route(
            &format!("{base}/brand/{{brand}}/store/{{store}}/pos"),
            post(create_pos),
        )
        .route(
            &format!("{base}/brand/{{brand}}/store/{{store}}/pos/{{pos}}"),
            get(get_pos).patch(update_pos).delete(delete_pos),
        )
        .route("/_sandbox/droppay/token/expire", post(expire_token))
        .route("/_sandbox/droppay/token/renew", post(renew_token))
        .route("/_sandbox/droppay/pos", get(control_poses))
        .with_state(emulator)
}

fn failure(status: StatusCode, code: &str, description: &str) -> Response {
    (
        status,
        axum::Json(json!({ "code": code, "description": description })),
    )
        .into_response()
}

/// Who owns which brands and stores, and which Applications are registered.
fn store_of(brand: &str, store: &str) -> Option<Value> {
    match (brand, store) {
        (BRAND_ID, STORE_ID) => Some(json!({
            "id": STORE_ID, "status": "ENABLED", "name": "Rome Store 1", "place": "REAL",
            "address": "Piazza della rotonda - 00186",
        })),
        (BRAND_ID, SECOND_STORE_ID) => Some(json!({
            "id": SECOND_STORE_ID, "status": "ENABLED", "name": "Web shop", "place": "VIRTUAL",
            "address": "https://acme.example/shop",
        })),
        (OTHER_BRAND_ID, "STROTHERSTORE1") => Some(json!({ "id": "STROTHERSTORE1" })),
        _ => None,
    }
}

fn application(reference: &str) -> Option<(&'static str, &'static str)> {
    match reference {
        APPLICATION_KEY => Some(("my Application name", "my Application description")),
        SECOND_APPLICATION_KEY => Some(("my new Application name", "my new Application description")),
        _ => None,
    }
}

fn is_public_id(id: &str, prefix: &str) -> bool {
    id.len() > prefix.len()
        && id.starts_with(prefix)
        && id.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
}

/// Checks the token, the ids' form, and that the brand and store are the user's.
fn authorize(emulator: &Emulator, headers: &HeaderMap, brand: &str, store: &str) -> Result<(), Response> {
    let token = headers
        .get("authorization")
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "));
    match token {
        Some(TOKEN_WITHOUT_POS_SCOPE) => {
            return Err(failure(
                StatusCode::UNAUTHORIZED,
                "101",
                "Request is out of allowed scope",
            ));
        }
        Some(ACCESS_TOKEN) if !emulator.book().token_expired => {}
        _ => {
            return Err(failure(
                StatusCode::UNAUTHORIZED,
                "102",
                "Access token is bad or expired",
            ));
        }
    }
    if !is_public_id(brand, "BRN") || !is_public_id(store, "STR") {
        return Err(failure(StatusCode::BAD_REQUEST, "103", "Wrong public id"));
    }
    if store_of(brand, store).is_none() {
        return Err(failure(StatusCode::NOT_FOUND, "100", "Resource not found"));
    }
    if brand != BRAND_ID {
        return Err(failure(
            StatusCode::FORBIDDEN,
            "101",
            "Access denied to the requested resource",
        ));
    }
    Ok(())
}

#[derive(Serialize)]
struct GeoOut {
    lat: Box<RawValue>,
    lon: Box<RawValue>,
}

fn pos_out(record: &PosRecord) -> Value {
    let (name, description) = application(&record.reference).unwrap_or(("", ""));
    let mut store = store_of(&record.brand_id, &record.store_id).unwrap_or(Value::Null);
    if record.store_id == STORE_ID {
        // Exact coordinates, written from their text.
        let geo = GeoOut {
            lat: RawValue::from_string("41.8922566".to_owned()).unwrap_or_default(),
            lon: RawValue::from_string("12.476499".to_owned()).unwrap_or_default(),
        };
        store["georef"] = serde_json::to_value(geo).unwrap_or(Value::Null);
    }
    json!({
        "id": record.id,
        "status": record.status,
        "device": { "type": "APP", "ref": record.reference, "name": name, "description": description },
        "brand": {
            "id": record.brand_id, "status": "ENABLED", "name": "Acme Super Toons",
            "logo": "http://acme.server/acmesupertoons.png", "description": "Toons since XIX century",
            "business_categories": [1, 12, 19], "payable_account": "ACC32123FHS8V",
        },
        "store": store,
    })
}

fn pos_state(record: &PosRecord) -> Value {
    json!({
        "id": record.id, "brand_id": record.brand_id, "store_id": record.store_id,
        "status": record.status, "ref": record.reference,
    })
}

#[derive(Deserialize)]
struct DeviceIn {
    #[serde(rename = "type")]
    device_type: Option<String>,
    #[serde(rename = "ref")]
    reference: Option<String>,
}

#[derive(Deserialize)]
struct CreateIn {
    device: Option<DeviceIn>,
}

#[derive(Deserialize)]
struct UpdateIn {
    status: Option<String>,
    device: Option<DeviceIn>,
}

/// The Application Key of a device in a body, checked.
fn device_reference(device: &DeviceIn) -> Result<String, Response> {
    let reference = match device.reference.as_deref().map(str::trim) {
        Some(reference) if !reference.is_empty() => reference,
        _ => return Err(failure(StatusCode::BAD_REQUEST, "100", "Missing arguments")),
    };
    match device.device_type.as_deref() {
        None => return Err(failure(StatusCode::BAD_REQUEST, "100", "Missing arguments")),
        Some("APP") => {}
        Some(_) => return Err(failure(StatusCode::BAD_REQUEST, "101", "Wrong arguments")),
    }
    if application(reference).is_none() {
        return Err(failure(StatusCode::BAD_REQUEST, "101", "Wrong arguments"));
    }
    Ok(reference.to_owned())
}

fn new_pos_id() -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut id = String::from("POS");
    for _ in 0..8 {
        id.push(char::from(ALPHABET[rand::random_range(0..ALPHABET.len())]));
    }
    id
}

async fn create_pos(
    State(emulator): State<Emulator>,
    Path((brand, store)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Err(response) = authorize(&emulator, &headers, &brand, &store) {
        return response;
    }
    let request: CreateIn = match serde_json::from_slice(&body) {
        Ok(request) => request,
        Err(_) => return failure(StatusCode::BAD_REQUEST, "101", "Wrong arguments"),
    };
    let Some(device) = request.device else {
        return failure(StatusCode::BAD_REQUEST, "100", "Missing arguments");
    };
    let reference = match device_reference(&device) {
        Ok(reference) => reference,
        Err(response) => return response,
    };
    // No deduplication: one Application may act as POS many times over.
    let mut book = emulator.book();
    let mut id = new_pos_id();
    while book.poses.contains_key(&id) {
        id = new_pos_id();
    }
    let record = PosRecord {
        id: id.clone(),
        brand_id: brand,
        store_id: store,
        status: "ENABLED",
        reference,
    };
    emulator.harness.record("pos_created", pos_state(&record));
    let answer = pos_out(&record);
    book.poses.insert(id, record);
    (StatusCode::OK, axum::Json(answer)).into_response()
}

/// The POS `pos` of the brand and store, or the answer for one there is not.
fn find<'a>(book: &'a mut Book, brand: &str, store: &str, pos: &str) -> Result<&'a mut PosRecord, Response> {
    if !is_public_id(pos, "POS") {
        return Err(failure(StatusCode::BAD_REQUEST, "103", "Wrong public id"));
    }
    match book.poses.get_mut(pos) {
        Some(record) if record.brand_id == brand && record.store_id == store => Ok(record),
        _ => Err(failure(StatusCode::NOT_FOUND, "100", "Resource not found")),
    }
}

async fn get_pos(
    State(emulator): State<Emulator>,
    Path((brand, store, pos)): Path<(String, String, String)>,
    headers: HeaderMap,
) -> Response {
    if let Err(response) = authorize(&emulator, &headers, &brand, &store) {
        return response;
    }
    let mut book = emulator.book();
    match find(&mut book, &brand, &store, &pos) {
        Ok(record) => (StatusCode::OK, axum::Json(pos_out(record))).into_response(),
        Err(response) => response,
    }
}

fn deleted() -> Response {
    failure(
        StatusCode::FORBIDDEN,
        "101",
        "Access denied to the requested resource",
    )
}

async fn update_pos(
    State(emulator): State<Emulator>,
    Path((brand, store, pos)): Path<(String, String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Err(response) = authorize(&emulator, &headers, &brand, &store) {
        return response;
    }
    let request: UpdateIn = match serde_json::from_slice(&body) {
        Ok(request) => request,
        Err(_) => return failure(StatusCode::BAD_REQUEST, "101", "Wrong arguments"),
    };
    let mut book = emulator.book();
    let record = match find(&mut book, &brand, &store, &pos) {
        Ok(record) => record,
        Err(response) => return response,
    };
    if record.status == "DELETED" {
        return deleted();
    }
    if request.status.is_none() && request.device.is_none() {
        return failure(StatusCode::BAD_REQUEST, "100", "Missing arguments");
    }
    let status = match request.status.as_deref() {
        None => record.status,
        Some("ENABLED") => "ENABLED",
        Some("DISABLED") => "DISABLED",
        Some(_) => return failure(StatusCode::BAD_REQUEST, "101", "Wrong arguments"),
    };
    let reference = match &request.device {
        None => record.reference.clone(),
        Some(device) => match device_reference(device) {
            Ok(reference) => reference,
            Err(response) => return response,
        },
    };
    record.status = status;
    record.reference = reference;
    emulator.harness.record("pos_updated", pos_state(record));
    (StatusCode::OK, axum::Json(pos_out(record))).into_response()
}

async fn delete_pos(
    State(emulator): State<Emulator>,
    Path((brand, store, pos)): Path<(String, String, String)>,
    headers: HeaderMap,
) -> Response {
    if let Err(response) = authorize(&emulator, &headers, &brand, &store) {
        return response;
    }
    let mut book = emulator.book();
    let record = match find(&mut book, &brand, &store, &pos) {
        Ok(record) => record,
        Err(response) => return response,
    };
    if record.status == "DELETED" {
        return deleted();
    }
    // Not physical: the record stays for the transactions' history.
    record.status = "DELETED";
    emulator.harness.record("pos_deleted", pos_state(record));
    StatusCode::NO_CONTENT.into_response()
}

async fn expire_token(State(emulator): State<Emulator>) -> Response {
    emulator.book().token_expired = true;
    emulator.harness.record("token_expired", json!({}));
    StatusCode::NO_CONTENT.into_response()
}

async fn renew_token(State(emulator): State<Emulator>) -> Response {
    emulator.book().token_expired = false;
    emulator.harness.record("token_renewed", json!({}));
    StatusCode::NO_CONTENT.into_response()
}

async fn control_poses(State(emulator): State<Emulator>) -> Response {
    let book = emulator.book();
    let poses: Vec<Value> = book.poses.values().map(pos_state).collect();
    axum::Json(poses).into_response()
}
