//! The small HTTP listener that answers Vourity's webhooks, and what waits for them.
//!
//! Vourity posts each change of a payment (approved, declined, cancelled, captured, each
//! refund, discount and action request) to the `responseWebhookUrl` given in the payment
//! request. That URL is the configured address with a per-payment token as its last path
//! segment: [`Kassa::issue_vourity_webhook_token`] makes the token from 32 bytes of the OS
//! random source for one payment id and stores only its SHA-256 (migration 0007), so the
//! database alone cannot forge a webhook and the token never reaches a log (it is a
//! [`kassa_providers::Secret`] inside [`WebhookToken`]).
//!
//! The listener ([`start_vourity_webhooks`]) binds the address of the setting
//! [`WEBHOOK_ADDRESS_SETTING`] (default [`DEFAULT_WEBHOOK_ADDRESS`]) and serves
//! `POST /vourity/webhook/{token}`. Every call is authenticated with
//! `kassa_providers::vourity::webhook::parse`, and answered (our reading, which the
//! emulator follows):
//!
//! | status | when | recorded |
//! |---|---|---|
//! | 200 `{"status": "recorded"}` | the event is new; it was committed (fsynced) before the answer | yes |
//! | 200 `{"status": "already recorded"}` | the same event of the payment came before (a repeated delivery) | no, it is there once |
//! | 400 | the body is not a webhook body (not JSON, truncated, a field missing, an amount with more decimals than its currency) | no |
//! | 401 | the token is not the payment's | no |
//! | 404 | the body names a payment this till issued no token for, or the path is not a webhook path | no |
//! | 413 | the body is larger than 64 KiB | no |
//! | 500 | the database could not record it: send it again | no |
//! | 503 | the app is closing | no |
//!
//! "The same event" is the payment with the event's kind and, where a payment has several
//! of a kind, the refund's or action request's id or the discounted total; an unlisted kind
//! is the same when its body is byte for byte the same.
//!
//! **Polling is the fallback.** A desktop behind NAT usually cannot be reached from
//! Vourity's cloud, and the listener may fail to bind (the port is taken); that failure is
//! logged and reported by [`Kassa::vourity_webhook_status`], never fatal. A payment method
//! waits with [`Kassa::wait_for_vourity_webhook`] for a short time and, when nothing
//! came, asks Vourity (`pos-status`, `action-request`) as it would have anyway: a webhook
//! only spares it the wait, it is never the only way to learn an outcome.

use std::net::SocketAddr;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError, Weak};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use kassa_core::org::Role;
use kassa_core::{Currency, Money};
use kassa_providers::vourity::wire::msg_type;
use kassa_providers::vourity::{
    PaymentStatus, WebhookError, WebhookEvent, WebhookKind, WebhookToken, webhook,
};
use kassa_store::settings;
use kassa_store::vourity_webhooks::{self as store, StoredEvent};
use rand::TryRngCore as _;
use serde::Serialize;
use serde_json::json;
use sha2::{Digest, Sha256};
use tokio::sync::oneshot;

use crate::{Actor, AppError, Kassa};

/// The setting that holds the listener's address (`127.0.0.1:47111`).
pub const WEBHOOK_ADDRESS_SETTING: &str = "vourity_webhook_address";
/// Where the listener binds unless a manager set another address: loopback, the port the
/// demo's Vourity settings name (`http://127.0.0.1:47111/vourity/webhook`).
pub const DEFAULT_WEBHOOK_ADDRESS: &str = "127.0.0.1:47111";
/// The path the tokens are appended to.
pub const WEBHOOK_PATH: &str = "/vourity/webhook";
/// The largest webhook body read; the bodies are a few hundred bytes.
const BODY_LIMIT: usize = 64 * 1024;

/// Who may issue tokens and read events: those who take payments, and managers.
const PAYING: &[Role] = &[Role::Cashier, Role::Manager];

/// What the listener is doing, for the app to show.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct WebhookListenerStatus {
    /// The address it listens on, or tried to.
    pub address: Option<String>,
    pub listening: bool,
    /// Why it does not listen, in words a manager can act on.
    pub problem: Option<String>,
}

/// One recorded webhook event.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordedWebhook {
    /// Rises with every event recorded; wait for events after this one next.
    pub seq: i64,
    pub received_at: String,
    pub event: WebhookEvent,
}

/// Wakes those waiting for an event when the listener has recorded one, and keeps what the
/// listener is doing.
#[derive(Debug)]
pub(crate) struct WebhookHub {
    /// Counts the events committed; changes wake every waiter.
    recorded: Mutex<u64>,
    changed: Condvar,
    status: Mutex<WebhookListenerStatus>,
}

impl Default for WebhookHub {
    fn default() -> Self {
        WebhookHub {
            recorded: Mutex::new(0),
            changed: Condvar::new(),
            status: Mutex::new(WebhookListenerStatus {
                address: None,
                listening: false,
                problem: Some(
                    "the Vourity webhook listener was not started; payments are followed by polling".into(),
                ),
            }),
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl WebhookHub {
    fn set_status(&self, status: WebhookListenerStatus) {
        *lock(&self.status) = status;
    }
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// How a call to the listener ended.
enum Outcome {
    Recorded {
        payment_id: String,
        kind: &'static str,
        new: bool,
    },
    Refused(WebhookError),
}

impl Kassa {
    /// The address the listener binds: the setting, else [`DEFAULT_WEBHOOK_ADDRESS`].
    pub fn vourity_webhook_address(&self) -> Result<SocketAddr, AppError> {
        let stored = self.read(|conn| Ok(settings::get(conn, WEBHOOK_ADDRESS_SETTING)?))?;
        let text = stored.as_deref().unwrap_or(DEFAULT_WEBHOOK_ADDRESS);
        text.parse().map_err(|e| {
            AppError::validation(
                "address",
                format!("the Vourity webhook address {text:?} is not IP:port ({e}); a manager sets it again"),
            )
        })
    }

    /// Sets the listener's address (managers only); it is used from the next start. The
    /// address must be reachable for Vourity at the host and port of the `webhook_url`
    /// entered in the Vourity settings (a port forwarded to it, a tunnel).
    pub fn set_vourity_webhook_address(&self, actor: &Actor, text: &str) -> Result<SocketAddr, AppError> {
        let address: SocketAddr = text.trim().parse().map_err(|e| {
            AppError::validation(
                "address",
                format!(
                    "{:?} is not an IP address and port such as 127.0.0.1:47111 ({e})",
                    text.trim()
                ),
            )
        })?;
        let audit = self.audit(Some(actor));
        self.write(|tx| {
            self.authorize(tx, actor, &[Role::Manager], "set the Vourity webhook address")?;
            let before = settings::get(tx, WEBHOOK_ADDRESS_SETTING)?;
            settings::set(tx, WEBHOOK_ADDRESS_SETTING, &address.to_string())?;
            audit.record(
                tx,
                "setting",
                0,
                "vourity_webhook_address",
                before.map(|b| json!({ "address": b })).as_ref(),
                Some(&json!({ "address": address.to_string() })),
            )?;
            Ok(address)
        })
    }

    /// What the listener is doing (any signed-in user: the till shows it).
    pub fn vourity_webhook_status(&self, actor: &Actor) -> Result<WebhookListenerStatus, AppError> {
        self.read(|conn| {
            self.authorize(conn, actor, Role::ALL, "see the webhook listener")
                .map(drop)
        })?;
        Ok(lock(&self.webhooks.status).clone())
    }

    /// A new webhook token for `payment_id`, from the OS random source, to be put in that
    /// payment's `responseWebhookUrl` (`vourity::Client::webhook_url_for`). Only its hash
    /// is stored; a payment gets one token, so a second call for it is refused.
    pub fn issue_vourity_webhook_token(
        &self,
        actor: &Actor,
        payment_id: &str,
    ) -> Result<WebhookToken, AppError> {
        self.write(|tx| {
            self.authorize(tx, actor, PAYING, "take payments")?;
            self.insert_vourity_webhook_token(tx, payment_id)
        })
    }

    /// Makes and stores (as its hash) the webhook token of `payment_id`, inside the
    /// caller's transaction: a payment's token is committed with the payment itself.
    pub(crate) fn insert_vourity_webhook_token(
        &self,
        tx: &kassa_store::Transaction<'_>,
        payment_id: &str,
    ) -> Result<WebhookToken, AppError> {
        let payment_id = payment_id.trim();
        if payment_id.is_empty() || payment_id.len() > 200 {
            return Err(AppError::validation(
                "paymentId",
                "a payment id is 1 to 200 characters",
            ));
        }
        let mut bytes = [0u8; 32];
        rand::rngs::OsRng
            .try_fill_bytes(&mut bytes)
            .map_err(|e| AppError::Internal(format!("the OS random source failed: {e}")))?;
        let token = WebhookToken::from_random_bytes(&bytes);
        let at = crate::timestamp(self.now());
        if store::insert_payment(tx, payment_id, &sha256_hex(token.expose().as_bytes()), &at)? {
            Ok(token)
        } else {
            Err(AppError::Conflict(format!(
                "payment {payment_id:?} already has a webhook token; use the URL made with it"
            )))
        }
    }

    /// Every event recorded for `payment_id`, oldest first, for a payment method that
    /// already checked who asks.
    pub(crate) fn recorded_vourity_events(&self, payment_id: &str) -> Result<Vec<RecordedWebhook>, AppError> {
        self.read(|conn| {
            store::events_after(conn, payment_id, 0)?
                .into_iter()
                .map(recorded_of)
                .collect()
        })
    }

    /// The events recorded for `payment_id` after event `after` (0: all), oldest first.
    pub fn vourity_webhook_events(
        &self,
        actor: &Actor,
        payment_id: &str,
        after: i64,
    ) -> Result<Vec<RecordedWebhook>, AppError> {
        self.read(|conn| {
            self.authorize(conn, actor, PAYING, "follow payments")?;
            store::events_after(conn, payment_id, after)?
                .into_iter()
                .map(recorded_of)
                .collect()
        })
    }

    /// Waits until an event for `payment_id` after event `after` is recorded, or `timeout`
    /// has passed (`None`: then poll Vourity, see the module's docs). Woken by the
    /// listener's commit, not by sleeping.
    pub fn wait_for_vourity_webhook(
        &self,
        actor: &Actor,
        payment_id: &str,
        after: i64,
        timeout: Duration,
    ) -> Result<Option<RecordedWebhook>, AppError> {
        let deadline = Instant::now() + timeout;
        loop {
            // Read the count before looking, so a commit between the look and the wait
            // changes it and the wait returns at once.
            let seen = *lock(&self.webhooks.recorded);
            if let Some(first) = self
                .vourity_webhook_events(actor, payment_id, after)?
                .into_iter()
                .next()
            {
                return Ok(Some(first));
            }
            let mut recorded = lock(&self.webhooks.recorded);
            while *recorded == seen {
                let now = Instant::now();
                if now >= deadline {
                    return Ok(None);
                }
                recorded = self
                    .webhooks
                    .changed
                    .wait_timeout(recorded, deadline - now)
                    .unwrap_or_else(PoisonError::into_inner)
                    .0;
            }
        }
    }

    /// Authenticates and records one webhook call, all in one transaction.
    fn record_vourity_webhook(&self, path_token: &str, body: &[u8]) -> Result<Outcome, AppError> {
        // The stored value is the token's hash, so the presented token is hashed too and
        // the two hashes are compared (in constant time, by `WebhookToken::matches`).
        let presented = sha256_hex(path_token.as_bytes());
        let at = crate::timestamp(self.now());
        let outcome = self.write(|tx| {
            let mut lookup_failed = None;
            let parsed = webhook::parse(
                &presented,
                |payment_id| match store::token_sha256(tx, payment_id) {
                    Ok(hash) => hash.and_then(|hash| WebhookToken::new(hash).ok()),
                    Err(error) => {
                        lookup_failed = Some(error);
                        None
                    }
                },
                body,
            );
            if let Some(error) = lookup_failed {
                return Err(AppError::from(error));
            }
            let event = match parsed {
                Ok(event) => event,
                Err(refusal) => return Ok(Outcome::Refused(refusal)),
            };
            let stored = stored_of(&event, body, &at)?;
            let kind = kind_name(&event.kind);
            let new = store::insert_event(tx, &stored)?;
            Ok(Outcome::Recorded {
                payment_id: event.payment_id,
                kind,
                new,
            })
        })?;
        if let Outcome::Recorded { new: true, .. } = outcome {
            *lock(&self.webhooks.recorded) += 1;
            self.webhooks.changed.notify_all();
        }
        Ok(outcome)
    }
}

fn kind_name(kind: &WebhookKind) -> &'static str {
    match kind {
        WebhookKind::Approved { .. } => "approved",
        WebhookKind::Declined => "declined",
        WebhookKind::Cancelled => "cancelled",
        WebhookKind::Captured => "captured",
        WebhookKind::Refunded { .. } => "refunded",
        WebhookKind::DiscountApplied { .. } => "discount_applied",
        WebhookKind::ActionRequested { .. } => "action_requested",
        WebhookKind::Unknown { .. } => "unknown",
    }
}

fn stored_of(event: &WebhookEvent, body: &[u8], at: &str) -> Result<StoredEvent, AppError> {
    let kind = kind_name(&event.kind);
    let minor = |money: &Money| money.to_minor().map_err(AppError::from);
    let mut stored = StoredEvent {
        id: 0,
        payment_id: event.payment_id.clone(),
        event_key: kind.to_owned(),
        kind: kind.to_owned(),
        msg_type: msg_type::PAYMENT_STATUS_UPDATE.to_owned(),
        payment_status: None,
        session_id: event.session_id.clone(),
        order_id: event.order_id.clone(),
        point_of_service_id: event.point_of_service_id.clone(),
        amount_minor: None,
        total_refunded_minor: None,
        currency: None,
        reference: None,
        body: String::from_utf8_lossy(body).into_owned(),
        received_at: at.to_owned(),
    };
    match &event.kind {
        WebhookKind::Approved { total } => {
            stored.payment_status = Some(PaymentStatus::Approved.as_str().to_owned());
            stored.amount_minor = Some(minor(total)?);
            stored.currency = Some(total.currency().code().to_owned());
        }
        WebhookKind::Declined => stored.payment_status = Some(PaymentStatus::Declined.as_str().to_owned()),
        WebhookKind::Cancelled => stored.payment_status = Some(PaymentStatus::Cancelled.as_str().to_owned()),
        WebhookKind::Captured => stored.payment_status = Some(PaymentStatus::Captured.as_str().to_owned()),
        WebhookKind::Refunded {
            refund_id,
            amount,
            total_refunded,
            status,
        } => {
            stored.event_key = format!("refunded:{refund_id}");
            stored.payment_status = Some(status.as_str().to_owned());
            stored.amount_minor = Some(minor(amount)?);
            stored.total_refunded_minor = Some(minor(total_refunded)?);
            stored.currency = Some(amount.currency().code().to_owned());
            stored.reference = Some(refund_id.clone());
        }
        WebhookKind::DiscountApplied { total } => {
            stored.event_key = format!("discount_applied:{}", total.amount_string());
            stored.payment_status = Some(PaymentStatus::Pending.as_str().to_owned());
            stored.amount_minor = Some(minor(total)?);
            stored.currency = Some(total.currency().code().to_owned());
        }
        WebhookKind::ActionRequested { action_request_id } => {
            stored.event_key = format!("action_requested:{action_request_id}");
            stored.msg_type = msg_type::ACTION_REQUEST.to_owned();
            stored.reference = Some(action_request_id.clone());
        }
        WebhookKind::Unknown {
            msg_type,
            payment_status,
        } => {
            stored.event_key = format!("unknown:{}", sha256_hex(body));
            stored.msg_type = msg_type.clone();
            stored.payment_status = payment_status.clone();
        }
    }
    Ok(stored)
}

fn recorded_of(stored: StoredEvent) -> Result<RecordedWebhook, AppError> {
    let broken =
        |what: &str| AppError::Internal(format!("the recorded Vourity webhook {} lacks {what}", stored.id));
    let money = |minor: Option<i64>| -> Result<Money, AppError> {
        let minor = minor.ok_or_else(|| broken("an amount"))?;
        let currency: Currency = stored
            .currency
            .as_deref()
            .ok_or_else(|| broken("a currency"))?
            .parse()
            .map_err(|_| broken("a known currency"))?;
        Ok(Money::from_minor(minor, currency))
    };
    let kind = match stored.kind.as_str() {
        "approved" => WebhookKind::Approved {
            total: money(stored.amount_minor)?,
        },
        "declined" => WebhookKind::Declined,
        "cancelled" => WebhookKind::Cancelled,
        "captured" => WebhookKind::Captured,
        "refunded" => WebhookKind::Refunded {
            refund_id: stored.reference.clone().ok_or_else(|| broken("a refund id"))?,
            amount: money(stored.amount_minor)?,
            total_refunded: money(stored.total_refunded_minor)?,
            status: PaymentStatus::from_text(stored.payment_status.as_deref().unwrap_or("")),
        },
        "discount_applied" => WebhookKind::DiscountApplied {
            total: money(stored.amount_minor)?,
        },
        "action_requested" => WebhookKind::ActionRequested {
            action_request_id: stored
                .reference
                .clone()
                .ok_or_else(|| broken("an action request id"))?,
        },
        _ => WebhookKind::Unknown {
            msg_type: stored.msg_type.clone(),
            payment_status: stored.payment_status.clone(),
        },
    };
    Ok(RecordedWebhook {
        seq: stored.id,
        received_at: stored.received_at,
        event: WebhookEvent {
            payment_id: stored.payment_id,
            order_id: stored.order_id,
            session_id: stored.session_id,
            point_of_service_id: stored.point_of_service_id,
            kind,
        },
    })
}

/// The running listener; stops when dropped.
pub struct WebhookListener {
    address: SocketAddr,
    shutdown: Option<oneshot::Sender<()>>,
    runtime: Option<tokio::runtime::Runtime>,
}

impl std::fmt::Debug for WebhookListener {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebhookListener")
            .field("address", &self.address)
            .finish_non_exhaustive()
    }
}

impl WebhookListener {
    /// The address it listens on (with the port chosen, when port 0 was asked for).
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// The base of every payment's webhook URL: `http://<address>/vourity/webhook`.
    pub fn webhook_url(&self) -> String {
        format!("http://{}{WEBHOOK_PATH}", self.address)
    }
}

impl Drop for WebhookListener {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

/// Starts the listener on `address` (port 0: any free port), on a thread of its own. A
/// failure to bind is recorded for [`Kassa::vourity_webhook_status`] and returned; the
/// caller logs it and carries on, since polling still works.
pub fn start_vourity_webhooks(kassa: &Arc<Kassa>, address: SocketAddr) -> Result<WebhookListener, AppError> {
    let failed = |problem: String| {
        kassa.webhooks.set_status(WebhookListenerStatus {
            address: Some(address.to_string()),
            listening: false,
            problem: Some(problem.clone()),
        });
        AppError::Conflict(problem)
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .thread_name("kassa-webhooks")
        .build()
        .map_err(|e| failed(format!("cannot start the Vourity webhook listener: {e}")))?;
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind(address))
        .map_err(|e| {
            failed(format!(
                "cannot listen for Vourity webhooks on {address}: {e}; Vourity payments are followed by polling \
                 instead. Free the port, or set another address (kassa provider webhook-address)"
            ))
        })?;
    let bound = listener
        .local_addr()
        .map_err(|e| failed(format!("the Vourity webhook listener has no address: {e}")))?;
    let router = Router::new()
        .route(&format!("{WEBHOOK_PATH}/{{token}}"), post(receive))
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .with_state(Arc::downgrade(kassa));
    let (shutdown, stop) = oneshot::channel::<()>();
    runtime.spawn(async move {
        let served = axum::serve(listener, router)
            .with_graceful_shutdown(async {
                let _ = stop.await;
            })
            .await;
        if let Err(error) = served {
            tracing::error!("the Vourity webhook listener stopped: {error}");
        }
    });
    kassa.webhooks.set_status(WebhookListenerStatus {
        address: Some(bound.to_string()),
        listening: true,
        problem: None,
    });
    tracing::info!(address = %bound, "listening for Vourity webhooks");
    Ok(WebhookListener {
        address: bound,
        shutdown: Some(shutdown),
        runtime: Some(runtime),
    })
}

fn answer(status: StatusCode, body: serde_json::Value) -> Response {
    (status, axum::Json(body)).into_response()
}

// The token is only ever in `token` here and in the hash made from it: the path is not
// logged, and neither is anything holding the token.
async fn receive(State(kassa): State<Weak<Kassa>>, Path(token): Path<String>, body: Bytes) -> Response {
    let handled = tokio::task::spawn_blocking(move || {
        // Upgraded on the blocking thread only: should this be the last reference, the
        // service (and its runtime) is dropped where blocking is allowed.
        let kassa = kassa.upgrade()?;
        Some(kassa.record_vourity_webhook(&token, &body))
    })
    .await;
    match handled {
        Ok(Some(Ok(Outcome::Recorded {
            payment_id,
            kind,
            new,
        }))) => {
            if new {
                tracing::info!(payment_id = %payment_id, kind, "Vourity webhook recorded");
                answer(StatusCode::OK, json!({"status": "recorded"}))
            } else {
                tracing::info!(payment_id = %payment_id, kind, "Vourity webhook repeated; recorded before");
                answer(StatusCode::OK, json!({"status": "already recorded"}))
            }
        }
        Ok(Some(Ok(Outcome::Refused(refusal)))) => {
            tracing::warn!("{refusal}");
            let status = StatusCode::from_u16(refusal.http_status()).unwrap_or(StatusCode::BAD_REQUEST);
            answer(status, json!({"error": refusal.to_string()}))
        }
        Ok(Some(Err(error))) => {
            tracing::error!("a Vourity webhook could not be recorded: {error}");
            answer(
                StatusCode::INTERNAL_SERVER_ERROR,
                json!({"error": "the till could not record the webhook; send it again"}),
            )
        }
        Ok(None) | Err(_) => answer(
            StatusCode::SERVICE_UNAVAILABLE,
            json!({"error": "the till is closing; send the webhook again later"}),
        ),
    }
}
