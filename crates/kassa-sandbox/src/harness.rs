//! What every emulator shares: the log of what the provider "saw", fault injection, the
//! control endpoints for both, and an HTTP server that can drop a connection after the
//! handler has committed its change.
//!
//! Control endpoints live under `/_sandbox/`, a path none of the real APIs has:
//!
//! | method and path | what it does |
//! |---|---|
//! | `GET /_sandbox/log` | every request, injected fault and state change so far, oldest first |
//! | `GET /_sandbox/faults` | the armed fault rules |
//! | `POST /_sandbox/faults` | arms a [`FaultRule`] (JSON body) |
//! | `DELETE /_sandbox/faults` | disarms every rule |
//!
//! Each emulator adds its own `/_sandbox/...` routes to act as the other side (the
//! customer's app, the terminal, the shop's back office).

use std::convert::Infallible;
use std::future::pending;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, to_bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use hyper_util::rt::TokioIo;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio::sync::{Notify, oneshot};
use tower::ServiceExt;

/// The largest request body an emulator reads (the documents' bodies are a few KiB).
const BODY_LIMIT: usize = 1 << 20;

/// A fault to inject into the answer of a matching request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Fault {
    /// Wait this long before handling the request (then handle it normally).
    Latency {
        /// Milliseconds to wait.
        millis: u64,
    },
    /// Answer with this status and a short text body. With `after_commit` the request is
    /// handled first (its change is kept) and only the answer is replaced, as a server
    /// that fails while writing its answer would.
    Status {
        /// The HTTP status to answer with.
        status: u16,
        /// Whether the handler runs (and commits) first.
        #[serde(default)]
        after_commit: bool,
    },
    /// Answer 429 Too Many Requests with `Retry-After`, without handling the request.
    TooManyRequests {
        /// The `Retry-After` value in seconds.
        retry_after_secs: u64,
    },
    /// Close the connection without any answer. With `after_commit` the handler runs
    /// first and its change is kept: the client cannot tell whether anything happened.
    Drop {
        /// Whether the handler runs (and commits) first.
        #[serde(default)]
        after_commit: bool,
    },
    /// Handle the request, then replace the answer's body with this text (keeping the
    /// status and headers): HTML from a proxy, a JSON body of the wrong shape.
    Body {
        /// The body to send instead.
        text: String,
    },
    /// Handle the request, then send only the first half of its body.
    Truncate,
}

/// When to inject a [`Fault`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FaultRule {
    /// The HTTP method to match (`"POST"`); any method when absent.
    #[serde(default)]
    pub method: Option<String>,
    /// The path to match, segment by segment, where a `*` segment matches any one
    /// segment: `/api/v3/orders/*/close`. A trailing `/**` matches any rest.
    pub path: String,
    /// What to inject.
    pub fault: Fault,
    /// How many matching requests to fault; every one when absent.
    #[serde(default)]
    pub times: Option<u32>,
}

impl FaultRule {
    fn matches(&self, method: &str, path: &str) -> bool {
        if let Some(wanted) = &self.method
            && !wanted.eq_ignore_ascii_case(method)
        {
            return false;
        }
        path_matches(&self.path, path)
    }
}

/// Whether `path` matches `pattern` (see [`FaultRule::path`]).
pub fn path_matches(pattern: &str, path: &str) -> bool {
    let mut wanted = pattern.trim_matches('/').split('/');
    let mut given = path.trim_matches('/').split('/');
    loop {
        match (wanted.next(), given.next()) {
            (Some("**"), _) => return true,
            (Some(w), Some(g)) if w == "*" || w == g => {}
            (None, None) => return true,
            _ => return false,
        }
    }
}

/// One thing the emulator saw or did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LogEntry {
    /// 1, 2, 3… in the order things happened.
    pub seq: u64,
    /// `request`, `fault` or `state`.
    pub kind: String,
    /// The request's method (for `request` and `fault`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    /// The request's path and query (for `request` and `fault`), or the name of the
    /// state change (`order_created`, `payment_captured`).
    pub what: String,
    /// The status answered (for `request`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// Details: the request's headers (credentials masked) and body, the fault, or the
    /// state change's data.
    pub detail: Value,
}

/// The shared state of one emulator's log and faults. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Harness {
    inner: Arc<HarnessInner>,
}

#[derive(Debug)]
struct HarnessInner {
    provider: &'static str,
    seq: AtomicU64,
    log: Mutex<Vec<LogEntry>>,
    faults: Mutex<Vec<FaultRule>>,
}

/// A poisoned lock only means a handler panicked mid-request; the log and fault list
/// are still consistent (every write is a single push or retain).
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Harness {
    /// A harness for the emulator named `provider` (used in log lines).
    pub fn new(provider: &'static str) -> Harness {
        Harness {
            inner: Arc::new(HarnessInner {
                provider,
                seq: AtomicU64::new(0),
                log: Mutex::new(Vec::new()),
                faults: Mutex::new(Vec::new()),
            }),
        }
    }

    /// The emulator's name.
    pub fn provider(&self) -> &'static str {
        self.inner.provider
    }

    fn push(&self, mut entry: LogEntry) {
        // Numbered under the lock so the log's order is the numbers' order.
        let mut log = lock(&self.inner.log);
        entry.seq = self.inner.seq.fetch_add(1, Ordering::SeqCst) + 1;
        tracing::debug!(provider = self.inner.provider, seq = entry.seq, kind = %entry.kind, what = %entry.what, "sandbox");
        log.push(entry);
    }

    /// Records a change of the emulator's state (an order created, a payment captured),
    /// so a test can assert what the provider did, not only what it answered.
    pub fn record(&self, what: &str, detail: Value) {
        self.push(LogEntry {
            seq: 0,
            kind: "state".to_owned(),
            method: None,
            what: what.to_owned(),
            status: None,
            detail,
        });
    }

    /// Everything logged so far, oldest first.
    pub fn log(&self) -> Vec<LogEntry> {
        lock(&self.inner.log).clone()
    }

    /// The state changes named `what`, oldest first.
    pub fn changes(&self, what: &str) -> Vec<Value> {
        lock(&self.inner.log)
            .iter()
            .filter(|entry| entry.kind == "state" && entry.what == what)
            .map(|entry| entry.detail.clone())
            .collect()
    }

    /// Arms a fault rule.
    pub fn add_fault(&self, rule: FaultRule) {
        lock(&self.inner.faults).push(rule);
    }

    /// Disarms every fault rule.
    pub fn clear_faults(&self) {
        lock(&self.inner.faults).clear();
    }

    /// The armed fault rules.
    pub fn faults(&self) -> Vec<FaultRule> {
        lock(&self.inner.faults).clone()
    }

    /// The fault for this request, if a rule matches; counts the rule down.
    fn take_fault(&self, method: &str, path: &str) -> Option<Fault> {
        let mut faults = lock(&self.inner.faults);
        let index = faults.iter().position(|rule| rule.matches(method, path))?;
        let fault = faults[index].fault.clone();
        if let Some(times) = faults[index].times.as_mut() {
            *times = times.saturating_sub(1);
            if *times == 0 {
                faults.remove(index);
            }
        }
        Some(fault)
    }

    /// `router` with the shared control endpoints and the middleware that logs every
    /// request and injects faults.
    pub fn wrap(&self, router: Router) -> Router {
        let control = Router::new()
            .route("/_sandbox/log", get(control_log))
            .route(
                "/_sandbox/faults",
                get(control_faults)
                    .post(control_add_fault)
                    .delete(control_clear_faults),
            )
            .with_state(self.clone());
        router
            .merge(control)
            .layer(middleware::from_fn_with_state(self.clone(), observe))
    }
}

async fn control_log(State(harness): State<Harness>) -> impl IntoResponse {
    axum::Json(harness.log())
}

async fn control_faults(State(harness): State<Harness>) -> impl IntoResponse {
    axum::Json(harness.faults())
}

async fn control_add_fault(
    State(harness): State<Harness>,
    axum::Json(rule): axum::Json<FaultRule>,
) -> impl IntoResponse {
    harness.add_fault(rule);
    StatusCode::NO_CONTENT
}

async fn control_clear_faults(State(harness): State<Harness>) -> impl IntoResponse {
    harness.clear_faults();
    StatusCode::NO_CONTENT
}

/// Set on every request by [`serve`]: closes the request's connection without an answer.
#[derive(Clone)]
struct ConnectionAbort(Arc<Notify>);

/// Header names whose values are credentials: logged as a mask.
fn is_credential(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    ["auth", "key", "token", "secret", "password"]
        .iter()
        .any(|word| name.contains(word))
}

fn logged_headers(headers: &HeaderMap) -> Value {
    let mut shown = serde_json::Map::new();
    for (name, value) in headers {
        let text = if is_credential(name.as_str()) {
            "••••".to_owned()
        } else {
            String::from_utf8_lossy(value.as_bytes()).into_owned()
        };
        shown.insert(name.as_str().to_owned(), Value::String(text));
    }
    Value::Object(shown)
}

fn logged_body(body: &[u8]) -> Value {
    if body.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(body)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(body).into_owned()))
    }
}

/// Logs the request, injects a matching fault, logs the answer.
async fn observe(State(harness): State<Harness>, request: Request, next: Next) -> Response {
    let method = request.method().as_str().to_owned();
    let path = request.uri().path().to_owned();
    let target = request
        .uri()
        .path_and_query()
        .map(|pq| pq.as_str().to_owned())
        .unwrap_or_else(|| path.clone());
    if path.starts_with("/_sandbox/") {
        return next.run(request).await;
    }
    let abort = request.extensions().get::<ConnectionAbort>().cloned();
    let (parts, body) = request.into_parts();
    let body = match to_bytes(body, BODY_LIMIT).await {
        Ok(body) => body,
        Err(_) => {
            return (StatusCode::PAYLOAD_TOO_LARGE, "request body too large").into_response();
        }
    };
    let detail = json!({
        "headers": logged_headers(&parts.headers),
        "body": logged_body(&body),
    });
    let request = Request::from_parts(parts, Body::from(body));
    let fault = harness.take_fault(&method, &path);
    if let Some(fault) = &fault {
        harness.push(LogEntry {
            seq: 0,
            kind: "fault".to_owned(),
            method: Some(method.clone()),
            what: target.clone(),
            status: None,
            detail: serde_json::to_value(fault).unwrap_or(Value::Null),
        });
    }
    let log_answer = |status: Option<u16>| {
        harness.push(LogEntry {
            seq: 0,
            kind: "request".to_owned(),
            method: Some(method.clone()),
            what: target.clone(),
            status,
            detail: detail.clone(),
        });
    };
    let dropped = || async {
        match &abort {
            Some(abort) => {
                abort.0.notify_one();
                pending::<Response>().await
            }
            // Only reachable when the router is served by something other than `serve`.
            None => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
        }
    };
    match fault {
        None => {}
        Some(Fault::Latency { millis }) => {
            // Emulated latency: the provider being slow is the behaviour under test.
            tokio::time::sleep(Duration::from_millis(millis)).await;
        }
        Some(Fault::Status { status, after_commit }) => {
            if after_commit {
                let _committed = next.run(request).await;
            }
            log_answer(Some(status));
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            return (status, status.canonical_reason().unwrap_or("error")).into_response();
        }
        Some(Fault::TooManyRequests { retry_after_secs }) => {
            log_answer(Some(429));
            let mut response = (StatusCode::TOO_MANY_REQUESTS, "Too Many Requests").into_response();
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(retry_after_secs));
            return response;
        }
        Some(Fault::Drop { after_commit }) => {
            if after_commit {
                let _committed = next.run(request).await;
            }
            log_answer(None);
            return dropped().await;
        }
        Some(Fault::Body { text }) => {
            let response = next.run(request).await;
            log_answer(Some(response.status().as_u16()));
            let (mut parts, _) = response.into_parts();
            parts.headers.remove(header::CONTENT_LENGTH);
            return Response::from_parts(parts, Body::from(text));
        }
        Some(Fault::Truncate) => {
            let response = next.run(request).await;
            log_answer(Some(response.status().as_u16()));
            let (mut parts, body) = response.into_parts();
            let body = to_bytes(body, BODY_LIMIT).await.unwrap_or_default();
            parts.headers.remove(header::CONTENT_LENGTH);
            return Response::from_parts(parts, Body::from(body.slice(..body.len() / 2)));
        }
    }
    let response = next.run(request).await;
    log_answer(Some(response.status().as_u16()));
    response
}

/// Serves `router` on `listener` until `shutdown` fires, one task per connection, so that
/// a [`Fault::Drop`] can close its connection with no answer at all.
pub async fn serve(listener: TcpListener, router: Router, mut shutdown: oneshot::Receiver<()>) {
    loop {
        let (stream, _peer): (_, SocketAddr) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    tracing::warn!(%error, "sandbox: accept failed");
                    continue;
                }
            },
            _ = &mut shutdown => return,
        };
        let router = router.clone();
        tokio::spawn(async move {
            let abort = Arc::new(Notify::new());
            let on_request = {
                let abort = abort.clone();
                hyper::service::service_fn(move |request: hyper::Request<hyper::body::Incoming>| {
                    let mut request = request.map(Body::new);
                    request.extensions_mut().insert(ConnectionAbort(abort.clone()));
                    let router = router.clone();
                    async move { Ok::<_, Infallible>(router.oneshot(request).await.into_response()) }
                })
            };
            let connection =
                hyper::server::conn::http1::Builder::new().serve_connection(TokioIo::new(stream), on_request);
            tokio::select! {
                _ = connection => {}
                // Dropping the connection closes the socket mid-request.
                _ = abort.notified() => {}
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_match_segment_by_segment() {
        assert!(path_matches("/api/v3/orders/*/close", "/api/v3/orders/17/close"));
        assert!(!path_matches("/api/v3/orders/*/close", "/api/v3/orders/17"));
        assert!(!path_matches("/api/v3/orders/*", "/api/v3/orders/17/close"));
        assert!(path_matches("/api/**", "/api/v3/orders/17/close"));
        assert!(path_matches("/orders", "/orders/"));
    }

    #[test]
    fn a_counted_rule_runs_out() {
        let harness = Harness::new("test");
        harness.add_fault(FaultRule {
            method: Some("post".to_owned()),
            path: "/orders".to_owned(),
            fault: Fault::Truncate,
            times: Some(2),
        });
        assert_eq!(harness.take_fault("GET", "/orders"), None);
        assert_eq!(harness.take_fault("POST", "/orders"), Some(Fault::Truncate));
        assert_eq!(harness.take_fault("POST", "/orders"), Some(Fault::Truncate));
        assert_eq!(harness.take_fault("POST", "/orders"), None);
        assert!(harness.faults().is_empty());
    }

    #[test]
    fn credentials_are_masked_in_the_log() {
        let mut headers = HeaderMap::new();
        headers.insert("authorization", HeaderValue::from_static("Bearer abc"));
        headers.insert("ocp-apim-subscription-key", HeaderValue::from_static("k"));
        headers.insert("x-merchant-id", HeaderValue::from_static("m1"));
        let shown = logged_headers(&headers).to_string();
        assert!(!shown.contains("abc") && shown.contains("m1"), "{shown}");
    }
}
