//! The Vourity webhook listener over real loopback HTTP: the emulator posts to it after a
//! terminal approval, and every call it must refuse is refused with nothing recorded.

use std::io::Write;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use chrono::{TimeZone, Utc};
use kassa_app::{Actor, ErrorCode, Kassa, ManualClock, WebhookListener, start_vourity_webhooks};
use kassa_core::{Currency, Money};
use kassa_providers::vourity::{self, Client, NewPayment, WebhookKind, WebhookToken};
use kassa_providers::{Secret, Settings};
use kassa_sandbox::vourity::{DEMO_SETTINGS, POINT_OF_SERVICE_ID};
use kassa_sandbox::{BackgroundSandbox, Ports};
use rusqlite::Connection;
use rust_decimal::Decimal;

/// Everything `kassa_app` logs in this test binary, at every level.
fn app_log() -> &'static Arc<Mutex<Vec<u8>>> {
    static LOG: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();
    LOG.get_or_init(|| {
        let log = Arc::new(Mutex::new(Vec::new()));
        let writer = SharedLog(log.clone());
        tracing_subscriber::fmt()
            .with_env_filter("kassa_app=trace")
            .with_writer(move || writer.clone())
            .with_ansi(false)
            .init();
        log
    })
}

#[derive(Clone)]
struct SharedLog(Arc<Mutex<Vec<u8>>>);

impl Write for SharedLog {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

struct World {
    _dir: tempfile::TempDir,
    path: std::path::PathBuf,
    kassa: Arc<Kassa>,
    cashier: Actor,
    listener: WebhookListener,
    sandbox: BackgroundSandbox,
    runtime: tokio::runtime::Runtime,
}

fn world() -> World {
    app_log();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("kassa.sqlite3");
    let clock = Arc::new(ManualClock::new(
        Utc.with_ymd_and_hms(2026, 11, 23, 9, 0, 0).unwrap(),
    ));
    let kassa = Arc::new(Kassa::create_demo(&path, clock).unwrap());
    let cashier = kassa.login("cashier", "2222").unwrap().0;
    let listener = start_vourity_webhooks(&kassa, SocketAddr::from((Ipv4Addr::LOCALHOST, 0))).unwrap();
    World {
        _dir: dir,
        path,
        kassa,
        cashier,
        listener,
        sandbox: BackgroundSandbox::start(Ports::Ephemeral).unwrap(),
        runtime: tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap(),
    }
}

fn sek(text: &str) -> Money {
    Money::new(text.parse::<Decimal>().unwrap(), Currency::SEK)
}

impl World {
    fn emulator(&self) -> &kassa_sandbox::RunningEmulator {
        self.sandbox.sandbox().emulator(kassa_sandbox::Provider::Vourity)
    }

    fn client(&self) -> Client {
        let mut settings = Settings {
            base_url: self.emulator().base_url(),
            ..Settings::default()
        };
        for (key, value) in DEMO_SETTINGS {
            let field = vourity::FIELDS.iter().find(|f| f.key == *key).unwrap();
            if field.secret {
                settings.secrets.insert((*key).to_owned(), Secret::new(*value));
            } else {
                settings.values.insert((*key).to_owned(), (*value).to_owned());
            }
        }
        settings
            .values
            .insert("webhook_url".into(), self.listener.webhook_url());
        Client::from_settings(&settings).unwrap()
    }

    /// Asks the terminal for a payment whose webhooks go to the listener.
    fn start_payment(&self, payment_id: &str, total: &str) -> (Client, WebhookToken, String) {
        let token = self
            .kassa
            .issue_vourity_webhook_token(&self.cashier, payment_id)
            .unwrap();
        let client = self.client();
        let session_id = format!("session-{payment_id}");
        let payment = NewPayment {
            session_id: session_id.clone(),
            order_id: format!("order-{payment_id}"),
            payment_id: payment_id.to_owned(),
            total: sek(total),
            vat: sek("0.00"),
            webhook_token: token.clone(),
        };
        self.runtime.block_on(client.payment_request(&payment)).unwrap();
        (client, token, session_id)
    }

    fn control(&self, path: &str) -> u16 {
        let url = format!("{}{path}", self.emulator().origin());
        self.runtime.block_on(async {
            reqwest::Client::new()
                .post(&url)
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        })
    }

    /// Posts `body` to the listener at `path` (below its address) and returns the status.
    fn post(&self, path: &str, body: &[u8]) -> u16 {
        let url = format!("http://{}{path}", self.listener.address());
        let body = body.to_vec();
        self.runtime.block_on(async {
            reqwest::Client::new()
                .post(&url)
                .header("content-type", "application/json")
                .body(body)
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        })
    }

    fn recorded(&self) -> i64 {
        Connection::open(&self.path)
            .unwrap()
            .query_row("SELECT count(*) FROM vourity_webhook_events", [], |r| r.get(0))
            .unwrap()
    }

    /// The bodies the emulator delivered (to whatever answered).
    fn delivered_bodies(&self) -> Vec<String> {
        self.emulator()
            .harness()
            .changes("webhook_delivered")
            .into_iter()
            .map(|detail| detail["body"].as_str().unwrap().to_owned())
            .collect()
    }

    fn assert_not_logged(&self, token: &WebhookToken) {
        let log = String::from_utf8_lossy(&app_log().lock().unwrap()).into_owned();
        assert!(!log.contains(token.expose()), "the token reached the log:\n{log}");
    }
}

const WAIT: Duration = Duration::from_secs(10);

#[test]
fn an_approval_on_the_terminal_reaches_the_listener_and_is_recorded() {
    let w = world();
    let (client, token, session_id) = w.start_payment("pay-approve", "19.80");
    assert!(
        client.webhook_url_for(&token).ends_with(token.expose()),
        "the token is the URL's last segment"
    );
    assert_eq!(
        w.kassa
            .wait_for_vourity_webhook(&w.cashier, "pay-approve", 0, Duration::ZERO)
            .unwrap(),
        None,
        "nothing before the card holder pays"
    );
    assert_eq!(
        w.control(&format!(
            "/_sandbox/vourity/terminal/{POINT_OF_SERVICE_ID}/approve"
        )),
        200
    );
    let event = w
        .kassa
        .wait_for_vourity_webhook(&w.cashier, "pay-approve", 0, WAIT)
        .unwrap()
        .expect("the webhook arrives");
    assert_eq!(event.event.payment_id, "pay-approve");
    assert_eq!(event.event.session_id, session_id);
    assert_eq!(event.event.order_id, "order-pay-approve");
    assert_eq!(event.event.kind, WebhookKind::Approved { total: sek("19.80") });

    // The emulator had its 2xx; the event is in the file, read back as it came.
    let events = w
        .kassa
        .vourity_webhook_events(&w.cashier, "pay-approve", 0)
        .unwrap();
    assert_eq!(events, std::slice::from_ref(&event));
    assert_eq!(w.recorded(), 1);
    let reopened = Kassa::open(&w.path).unwrap();
    let cashier = reopened.login("cashier", "2222").unwrap().0;
    assert_eq!(
        reopened
            .vourity_webhook_events(&cashier, "pay-approve", 0)
            .unwrap(),
        std::slice::from_ref(&event),
        "recorded durably, before the answer"
    );

    // Capturing posts the next event; waiting after the first finds only it.
    w.runtime.block_on(client.payment_capture(&session_id)).unwrap();
    let next = w
        .kassa
        .wait_for_vourity_webhook(&w.cashier, "pay-approve", event.seq, WAIT)
        .unwrap()
        .expect("the capture's webhook");
    assert_eq!(next.event.kind, WebhookKind::Captured);
    assert!(next.seq > event.seq);
    w.assert_not_logged(&token);
}

#[test]
fn a_repeated_delivery_is_recorded_once() {
    let w = world();
    let (_client, token, session_id) = w.start_payment("pay-twice", "42.00");
    w.control(&format!(
        "/_sandbox/vourity/terminal/{POINT_OF_SERVICE_ID}/decline"
    ));
    let first = w
        .kassa
        .wait_for_vourity_webhook(&w.cashier, "pay-twice", 0, WAIT)
        .unwrap()
        .unwrap();
    assert_eq!(first.event.kind, WebhookKind::Declined);
    assert_eq!(
        w.control(&format!("/_sandbox/vourity/payments/{session_id}/redeliver")),
        202
    );
    // The emulator posts again; wait until it saw the listener's answer.
    let deadline = std::time::Instant::now() + WAIT;
    while w.delivered_bodies().len() < 2 {
        assert!(
            std::time::Instant::now() < deadline,
            "the redelivery was not answered"
        );
        // Polling the emulator's log: it answers nothing a test could wait on.
        std::thread::sleep(Duration::from_millis(10));
    }
    let bodies = w.delivered_bodies();
    assert_eq!(bodies[0], bodies[1], "the same event, delivered twice");
    // And once more by hand, with the same URL: answered 200, recorded once.
    let path = format!("/vourity/webhook/{}", token.expose());
    assert_eq!(w.post(&path, bodies[0].as_bytes()), 200);
    assert_eq!(w.recorded(), 1);
    assert_eq!(
        w.kassa
            .vourity_webhook_events(&w.cashier, "pay-twice", 0)
            .unwrap()
            .len(),
        1
    );
    w.assert_not_logged(&token);
}

#[test]
fn calls_that_cannot_be_trusted_or_read_are_refused_and_not_recorded() {
    let w = world();
    let (_client, token, _session) = w.start_payment("pay-bad", "10.00");
    let good = format!(
        r#"{{"msgType":"paymentStatusUpdate","sessionID":"s","pointOfServiceID":"{POINT_OF_SERVICE_ID}","merchantReferences":{{"orderId":"o","paymentId":"pay-bad"}},"paymentStatus":"approved","totalAmountInclVat":10.00,"currency":"SEK"}}"#
    );
    let ours = format!("/vourity/webhook/{}", token.expose());
    let other = WebhookToken::from_random_bytes(&[9; 32]);
    let theirs = format!("/vourity/webhook/{}", other.expose());

    // Wrong token: 401.
    assert_eq!(w.post(&theirs, good.as_bytes()), 401);
    // A payment this till issued no token for: 404.
    let unknown = good.replace("pay-bad", "pay-nobody");
    assert_eq!(w.post(&ours, unknown.as_bytes()), 404);
    // Not a webhook body: 400.
    assert_eq!(w.post(&ours, b"<html>hello</html>"), 400);
    assert_eq!(w.post(&ours, br#"{"msgType":"paymentStatusUpdate"}"#), 400);
    // Truncated: 400.
    assert_eq!(w.post(&ours, &good.as_bytes()[..good.len() / 2]), 400);
    // More decimals than SEK has: 400.
    assert_eq!(w.post(&ours, good.replace("10.00", "10.005").as_bytes()), 400);
    // No token in the path, or another path: 404; another method: 405.
    assert_eq!(w.post("/vourity/webhook/", good.as_bytes()), 404);
    assert_eq!(w.post("/elsewhere", good.as_bytes()), 404);
    assert_eq!(w.post(&format!("{ours}/more"), good.as_bytes()), 404);
    // Larger than the listener reads: 413.
    let huge = format!("{},\"pad\":\"{}\"}}", &good[..good.len() - 1], "x".repeat(70_000));
    assert_eq!(w.post(&ours, huge.as_bytes()), 413);
    assert_eq!(w.recorded(), 0, "nothing refused is recorded");

    // The right call is taken.
    assert_eq!(w.post(&ours, good.as_bytes()), 200);
    assert_eq!(w.recorded(), 1);
    w.assert_not_logged(&token);
}

#[test]
fn tokens_are_one_per_payment_and_never_printed() {
    let w = world();
    let token = w
        .kassa
        .issue_vourity_webhook_token(&w.cashier, "pay-once")
        .unwrap();
    assert!(token.expose().len() >= 43);
    assert!(!format!("{token:?}").contains(token.expose()));
    let again = w
        .kassa
        .issue_vourity_webhook_token(&w.cashier, "pay-once")
        .unwrap_err();
    assert_eq!(again.code(), ErrorCode::Conflict);
    let other = w
        .kassa
        .issue_vourity_webhook_token(&w.cashier, "pay-other")
        .unwrap();
    assert_ne!(other.expose(), token.expose());
    // The database holds the token's hash, never the token.
    let dump: Vec<String> = Connection::open(&w.path)
        .unwrap()
        .prepare("SELECT payment_id || ' ' || token_sha256 FROM vourity_webhook_payments")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(dump.len(), 2);
    assert!(
        dump.iter()
            .all(|row| !row.contains(token.expose()) && !row.contains(other.expose()))
    );
    let accountant = w.kassa.login("accountant", "3333").unwrap().0;
    assert_eq!(
        w.kassa
            .issue_vourity_webhook_token(&accountant, "pay-acct")
            .unwrap_err()
            .code(),
        ErrorCode::Forbidden
    );
    w.assert_not_logged(&token);
}

#[test]
fn a_taken_port_is_reported_not_fatal_and_waiting_falls_back_to_polling() {
    let w = world();
    let manager = w.kassa.login("manager", "1234").unwrap().0;
    let status = w.kassa.vourity_webhook_status(&manager).unwrap();
    assert!(status.listening, "{status:?}");
    // A second listener on the first one's port cannot bind.
    let error = start_vourity_webhooks(&w.kassa, w.listener.address()).unwrap_err();
    assert!(error.to_string().contains("polling"), "{error}");
    let status = w.kassa.vourity_webhook_status(&manager).unwrap();
    assert!(!status.listening);
    assert!(
        status
            .problem
            .unwrap()
            .contains(&w.listener.address().to_string())
    );
    // Waiting then ends at its deadline with nothing, and the caller polls Vourity.
    w.kassa
        .issue_vourity_webhook_token(&w.cashier, "pay-silent")
        .unwrap();
    assert_eq!(
        w.kassa
            .wait_for_vourity_webhook(&w.cashier, "pay-silent", 0, Duration::from_millis(50))
            .unwrap(),
        None
    );
    // The address is a setting; the default is the demo's.
    assert_eq!(
        w.kassa.vourity_webhook_address().unwrap().to_string(),
        kassa_app::DEFAULT_WEBHOOK_ADDRESS
    );
    w.kassa
        .set_vourity_webhook_address(&manager, "0.0.0.0:48000")
        .unwrap();
    assert_eq!(
        w.kassa.vourity_webhook_address().unwrap().to_string(),
        "0.0.0.0:48000"
    );
    assert_eq!(
        w.kassa
            .set_vourity_webhook_address(&manager, "localhost")
            .unwrap_err()
            .code(),
        ErrorCode::Validation
    );
}
