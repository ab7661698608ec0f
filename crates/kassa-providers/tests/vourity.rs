//! The Vourity client against the emulator over loopback HTTP: every endpoint, the
//! webhook the emulator posts, and every failure the client must tell apart.

use std::str::FromStr;
use std::time::Duration;

use kassa_core::{Currency, Money};
use kassa_providers::vourity::wire::{ErrorBody, PaymentRequestBody};
use kassa_providers::vourity::{
    self, ActionRequestStatus, ActionResponseCode, Client, NewPayment, PaymentStatus, PosStatusCode,
    VourityError, WebhookError, WebhookEvent, WebhookKind, WebhookToken,
};
use kassa_providers::{CallError, Secret, Settings};
use kassa_sandbox::vourity::{
    API_KEY, DEMO_SETTINGS, MERCHANT_ID, OTHER_POINT_OF_SERVICE_ID, POINT_OF_SERVICE_ID, SUBSCRIPTION_KEY,
};
use kassa_sandbox::{Fault, FaultRule, Ports, Provider, RunningEmulator};
use rust_decimal::Decimal;
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::sync::mpsc;

/// A webhook call as the till's listener received it.
struct Received {
    path: String,
    body: Vec<u8>,
}

/// A minimal HTTP listener standing in for the app's: records each POST and answers 200.
struct Listener {
    url: String,
    calls: mpsc::UnboundedReceiver<Received>,
}

impl Listener {
    async fn start() -> Listener {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/vourity/webhook", listener.local_addr().unwrap());
        let (sender, calls) = mpsc::unbounded_channel();
        tokio::spawn(async move {
            while let Ok((mut stream, _)) = listener.accept().await {
                let sender = sender.clone();
                tokio::spawn(async move {
                    let mut data = Vec::new();
                    let mut chunk = [0u8; 4096];
                    let (head_end, length) = loop {
                        let read = stream.read(&mut chunk).await.unwrap_or(0);
                        if read == 0 {
                            return;
                        }
                        data.extend_from_slice(&chunk[..read]);
                        if let Some(end) = data.windows(4).position(|w| w == b"\r\n\r\n") {
                            let head = String::from_utf8_lossy(&data[..end]).to_ascii_lowercase();
                            let length = head
                                .lines()
                                .find_map(|line| line.strip_prefix("content-length:"))
                                .and_then(|value| value.trim().parse::<usize>().ok())
                                .unwrap_or(0);
                            break (end + 4, length);
                        }
                    };
                    while data.len() < head_end + length {
                        let read = stream.read(&mut chunk).await.unwrap_or(0);
                        if read == 0 {
                            return;
                        }
                        data.extend_from_slice(&chunk[..read]);
                    }
                    let head = String::from_utf8_lossy(&data[..head_end]).into_owned();
                    let path = head.split_whitespace().nth(1).unwrap_or("").to_owned();
                    let body = data[head_end..head_end + length].to_vec();
                    let _ = stream
                        .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
                        .await;
                    let _ = sender.send(Received { path, body });
                });
            }
        });
        Listener { url, calls }
    }

    async fn next(&mut self) -> Received {
        tokio::time::timeout(Duration::from_secs(10), self.calls.recv())
            .await
            .expect("a webhook within 10 s")
            .expect("the listener runs")
    }

    /// The next webhook, authenticated and parsed as the app does.
    async fn next_event(&mut self, payment_id: &str, token: &WebhookToken) -> WebhookEvent {
        let call = self.next().await;
        let path_token = call.path.rsplit('/').next().unwrap_or("");
        vourity::webhook::parse(
            path_token,
            |id| (id == payment_id).then(|| token.clone()),
            &call.body,
        )
        .unwrap_or_else(|error| panic!("{error}: {}", String::from_utf8_lossy(&call.body)))
    }
}

struct Setup {
    emulator: RunningEmulator,
    client: Client,
    listener: Listener,
}

fn settings(emulator: &RunningEmulator, webhook_url: &str) -> Settings {
    let mut settings = Settings {
        base_url: emulator.base_url(),
        ..Settings::default()
    };
    for (key, value) in DEMO_SETTINGS {
        let field = vourity::FIELDS.iter().find(|field| field.key == *key).unwrap();
        if field.secret {
            settings.secrets.insert((*key).to_owned(), Secret::new(*value));
        } else {
            settings.values.insert((*key).to_owned(), (*value).to_owned());
        }
    }
    settings
        .values
        .insert("webhook_url".to_owned(), webhook_url.to_owned());
    settings
}

async fn setup() -> Setup {
    let emulator = RunningEmulator::start(Provider::Vourity, Ports::Ephemeral)
        .await
        .unwrap();
    let listener = Listener::start().await;
    let client = Client::from_settings(&settings(&emulator, &listener.url)).unwrap();
    Setup {
        emulator,
        client,
        listener,
    }
}

fn sek(text: &str) -> Money {
    Money::new(Decimal::from_str(text).unwrap(), Currency::SEK)
}

fn payment(name: &str, total: &str, vat: &str) -> NewPayment {
    let mut seed = [0u8; 32];
    for (byte, value) in seed.iter_mut().zip(name.bytes().cycle()) {
        *byte = value;
    }
    NewPayment {
        session_id: format!("session-{name}"),
        order_id: format!("order-{name}"),
        payment_id: format!("payment-{name}"),
        total: sek(total),
        vat: sek(vat),
        webhook_token: WebhookToken::from_random_bytes(&seed),
    }
}

async fn terminal(setup: &Setup, pos: &str, action: &str) -> Value {
    let url = format!(
        "{}/_sandbox/vourity/terminal/{pos}/{action}",
        setup.emulator.origin()
    );
    let answer = reqwest::Client::new().post(url).send().await.unwrap();
    assert!(answer.status().is_success(), "{action}: {}", answer.status());
    answer.json().await.unwrap()
}

fn api_error<T: std::fmt::Debug>(result: Result<T, CallError<VourityError>>) -> VourityError {
    match result {
        Err(CallError::Api(error)) => error,
        other => panic!("expected a Vourity error answer, got {other:?}"),
    }
}

fn status_of<T: std::fmt::Debug>(
    result: Result<T, CallError<VourityError>>,
) -> (u16, CallError<VourityError>) {
    match result {
        Err(error @ CallError::Status { status, .. }) => (status, error),
        other => panic!("expected an HTTP status error, got {other:?}"),
    }
}

fn fault(setup: &Setup, method: &str, path: &str, fault: Fault) {
    setup.emulator.harness().add_fault(FaultRule {
        method: Some(method.to_owned()),
        path: path.to_owned(),
        fault,
        times: Some(1),
    });
}

#[tokio::test]
async fn a_payment_is_approved_captured_and_refunded_twice() {
    let mut setup = setup().await;
    setup.client.test_connection().await.unwrap();
    let new = payment("happy", "19.80", "3.96");
    let session = setup.client.payment_request(&new).await.unwrap();
    assert_eq!(session.status, PaymentStatus::Pending);
    assert_eq!(session.total, sek("19.80"));
    assert_eq!(session.total.amount().to_string(), "19.80");

    let status = setup.client.pos_status().await.unwrap();
    assert_eq!(status.status_code, PosStatusCode::Busy);
    let current = status.current_session.unwrap();
    assert_eq!(current.session_id, new.session_id);
    assert_eq!(current.payment_status, PaymentStatus::Pending);

    terminal(&setup, POINT_OF_SERVICE_ID, "approve").await;
    let event = setup
        .listener
        .next_event(&new.payment_id, &new.webhook_token)
        .await;
    assert_eq!(event.session_id, new.session_id);
    assert_eq!(event.order_id, new.order_id);
    assert_eq!(event.kind, WebhookKind::Approved { total: sek("19.80") });

    assert_eq!(
        setup.client.payment_capture(&new.session_id).await.unwrap(),
        PaymentStatus::Captured
    );
    let event = setup
        .listener
        .next_event(&new.payment_id, &new.webhook_token)
        .await;
    assert_eq!(event.kind, WebhookKind::Captured);

    // The same refund twice refunds twice: the document promises no deduplication.
    let first = setup
        .client
        .payment_refund(&new.session_id, &sek("0.80"), "Problem with the vending machine")
        .await
        .unwrap();
    let second = setup
        .client
        .payment_refund(&new.session_id, &sek("0.80"), "Problem with the vending machine")
        .await
        .unwrap();
    assert_ne!(first.refund_id, second.refund_id);
    assert_eq!(first.status, PaymentStatus::PartiallyRefunded);
    assert_eq!(second.total_refunded, sek("1.60"));
    match setup
        .listener
        .next_event(&new.payment_id, &new.webhook_token)
        .await
        .kind
    {
        WebhookKind::Refunded {
            amount,
            total_refunded,
            ..
        } => {
            assert_eq!((amount, total_refunded), (sek("0.80"), sek("0.80")));
        }
        other => panic!("{other:?}"),
    }
    setup
        .listener
        .next_event(&new.payment_id, &new.webhook_token)
        .await;
    let refunds = setup.emulator.harness().changes("payment_refunded");
    assert_eq!(refunds.len(), 2);
    assert_eq!(refunds[1]["refunded"], "1.60");

    let error = api_error(
        setup
            .client
            .payment_refund(&new.session_id, &sek("18.21"), "too much")
            .await,
    );
    assert!(
        matches!(error, VourityError::RefundExceedsPayment { .. }),
        "{error}"
    );
    let last = setup
        .client
        .payment_refund(&new.session_id, &sek("18.20"), "the rest")
        .await
        .unwrap();
    assert_eq!(last.status, PaymentStatus::Refunded);
    assert_eq!(last.total_refunded, sek("19.80"));
    assert_eq!(setup.emulator.harness().changes("payment_refunded").len(), 3);

    let status = setup.client.pos_status().await.unwrap();
    assert_eq!(status.status_code, PosStatusCode::Available);
    assert_eq!(
        status.current_session.unwrap().payment_status,
        PaymentStatus::Refunded
    );
}

#[tokio::test]
async fn a_payment_is_cancelled_and_then_cannot_be_captured() {
    let mut setup = setup().await;
    let new = payment("cancel", "2", "1");
    setup.client.payment_request(&new).await.unwrap();
    assert_eq!(
        setup.client.payment_cancel(&new.session_id).await.unwrap(),
        PaymentStatus::Cancelled
    );
    let event = setup
        .listener
        .next_event(&new.payment_id, &new.webhook_token)
        .await;
    assert_eq!(event.kind, WebhookKind::Cancelled);
    let error = api_error(setup.client.payment_capture(&new.session_id).await);
    assert!(
        matches!(&error, VourityError::InvalidPaymentState { message } if message.contains("cancelled")),
        "{error}"
    );
    let error = api_error(setup.client.payment_cancel(&new.session_id).await);
    assert!(
        matches!(error, VourityError::InvalidPaymentState { .. }),
        "{error}"
    );
    assert_eq!(setup.emulator.harness().changes("payment_cancelled").len(), 1);
    assert!(setup.emulator.harness().changes("payment_captured").is_empty());
}

#[tokio::test]
async fn a_declined_payment_cannot_be_captured() {
    let mut setup = setup().await;
    let new = payment("declined", "50", "10");
    setup.client.payment_request(&new).await.unwrap();
    terminal(&setup, POINT_OF_SERVICE_ID, "decline").await;
    let event = setup
        .listener
        .next_event(&new.payment_id, &new.webhook_token)
        .await;
    assert_eq!(event.kind, WebhookKind::Declined);
    let error = api_error(setup.client.payment_capture(&new.session_id).await);
    assert!(
        matches!(error, VourityError::InvalidPaymentState { .. }),
        "{error}"
    );
    let error = api_error(
        setup
            .client
            .payment_refund(&new.session_id, &sek("1"), "no")
            .await,
    );
    assert!(
        matches!(error, VourityError::InvalidPaymentState { .. }),
        "{error}"
    );
}

#[tokio::test]
async fn an_action_request_is_read_and_answered() {
    let mut setup = setup().await;
    let new = payment("action", "120", "24");
    setup.client.payment_request(&new).await.unwrap();
    terminal(&setup, POINT_OF_SERVICE_ID, "action-request").await;
    let WebhookKind::ActionRequested { action_request_id } = setup
        .listener
        .next_event(&new.payment_id, &new.webhook_token)
        .await
        .kind
    else {
        panic!("expected an action request");
    };
    // The polling fallback names it too.
    let status = setup.client.pos_status().await.unwrap();
    assert_eq!(
        status.current_session.unwrap().action_request_id.as_deref(),
        Some(action_request_id.as_str())
    );
    let request = setup.client.action_request(&action_request_id).await.unwrap();
    assert_eq!(request.status, ActionRequestStatus::Open);
    assert_eq!(request.session_id, new.session_id);

    let answered = setup
        .client
        .action_request_response(&action_request_id, &new.session_id, ActionResponseCode::Accepted)
        .await
        .unwrap();
    assert_eq!(answered.status, ActionRequestStatus::Answered);
    assert_eq!(setup.emulator.harness().changes("action_answered").len(), 1);
    let error = api_error(
        setup
            .client
            .action_request_response(&action_request_id, &new.session_id, ActionResponseCode::Rejected)
            .await,
    );
    assert_eq!(error, VourityError::ActionRequestAlreadyAnswered);
    assert_eq!(setup.emulator.harness().changes("action_answered").len(), 1);

    terminal(&setup, POINT_OF_SERVICE_ID, "approve").await;
    let event = setup
        .listener
        .next_event(&new.payment_id, &new.webhook_token)
        .await;
    assert!(matches!(event.kind, WebhookKind::Approved { .. }));

    let error = api_error(setup.client.action_request("no-such-request").await);
    assert_eq!(error, VourityError::ActionRequestNotFound);
}

#[tokio::test]
async fn a_rejected_action_request_declines_the_payment() {
    let mut setup = setup().await;
    let new = payment("rejected", "120", "24");
    setup.client.payment_request(&new).await.unwrap();
    let request = terminal(&setup, POINT_OF_SERVICE_ID, "action-request").await;
    let id = request["actionRequestID"].as_str().unwrap().to_owned();
    setup
        .listener
        .next_event(&new.payment_id, &new.webhook_token)
        .await;
    setup
        .client
        .action_request_response(&id, &new.session_id, ActionResponseCode::Rejected)
        .await
        .unwrap();
    let event = setup
        .listener
        .next_event(&new.payment_id, &new.webhook_token)
        .await;
    assert_eq!(event.kind, WebhookKind::Declined);
}

#[tokio::test]
async fn the_terminal_is_set_out_of_service_and_is_busy_with_one_payment() {
    let setup = setup().await;
    let answer = setup.client.set_pos_status(PosStatusCode::Offline).await.unwrap();
    assert_eq!(answer.status_code, PosStatusCode::Offline);
    let error = api_error(setup.client.payment_request(&payment("offline", "10", "2")).await);
    assert!(
        matches!(error, VourityError::PointOfServiceUnavailable { .. }),
        "{error}"
    );
    setup
        .client
        .set_pos_status(PosStatusCode::Available)
        .await
        .unwrap();
    assert_eq!(setup.emulator.harness().changes("pos_status_set").len(), 2);

    setup
        .client
        .payment_request(&payment("first", "10", "2"))
        .await
        .unwrap();
    let error = api_error(setup.client.payment_request(&payment("second", "10", "2")).await);
    assert_eq!(error, VourityError::PointOfServiceBusy);
    let error = api_error(setup.client.set_pos_status(PosStatusCode::OutOfOrder).await);
    assert_eq!(error, VourityError::PointOfServiceBusy);
    assert_eq!(setup.emulator.harness().changes("payment_requested").len(), 1);
    assert!(matches!(
        setup.client.set_pos_status(PosStatusCode::Busy).await,
        Err(CallError::Refused(_))
    ));
}

#[tokio::test]
async fn a_discount_lowers_the_pending_payment() {
    let mut setup = setup().await;
    let new = payment("discount", "100", "20");
    setup.client.payment_request(&new).await.unwrap();
    let discounted = setup
        .client
        .add_discount(&new.session_id, &sek("10"), &sek("2"), Some("member"))
        .await
        .unwrap();
    assert_eq!((discounted.total, discounted.vat), (sek("90"), sek("18")));
    let event = setup
        .listener
        .next_event(&new.payment_id, &new.webhook_token)
        .await;
    assert_eq!(event.kind, WebhookKind::DiscountApplied { total: sek("90") });
    let error = api_error(
        setup
            .client
            .add_discount(&new.session_id, &sek("90"), &sek("1"), None)
            .await,
    );
    assert!(
        matches!(error, VourityError::DiscountExceedsAmount { .. }),
        "{error}"
    );
    assert_eq!(setup.emulator.harness().changes("discount_added").len(), 1);
    terminal(&setup, POINT_OF_SERVICE_ID, "approve").await;
    let event = setup
        .listener
        .next_event(&new.payment_id, &new.webhook_token)
        .await;
    assert_eq!(event.kind, WebhookKind::Approved { total: sek("90") });
    let error = api_error(
        setup
            .client
            .add_discount(&new.session_id, &sek("1"), &sek("0"), None)
            .await,
    );
    assert!(
        matches!(error, VourityError::InvalidPaymentState { .. }),
        "{error}"
    );
}

#[tokio::test]
async fn the_session_id_identifies_the_payment() {
    let setup = setup().await;
    let new = payment("same", "25", "5");
    setup.client.payment_request(&new).await.unwrap();
    let again = setup.client.payment_request(&new).await.unwrap();
    assert_eq!(again.status, PaymentStatus::Pending);
    assert_eq!(setup.emulator.harness().changes("payment_requested").len(), 1);
    let different = NewPayment {
        total: sek("26"),
        ..new.clone()
    };
    let error = api_error(setup.client.payment_request(&different).await);
    assert_eq!(error, VourityError::SessionIdInUse);
    assert_eq!(setup.emulator.harness().changes("payment_requested").len(), 1);
}

#[tokio::test]
async fn a_payment_request_whose_answer_was_lost_is_found_by_its_session_id() {
    let setup = setup().await;
    fault(
        &setup,
        "POST",
        "/pos-payment-request",
        Fault::Drop { after_commit: true },
    );
    let new = payment("dropped", "42", "8.40");
    let error = setup.client.payment_request(&new).await.unwrap_err();
    assert!(error.outcome_unknown(), "{error:?}");
    assert_eq!(setup.emulator.harness().changes("payment_requested").len(), 1);
    // Retried with the same session id, the answer is the payment already made.
    let session = setup.client.payment_request(&new).await.unwrap();
    assert_eq!(session.status, PaymentStatus::Pending);
    assert_eq!(setup.emulator.harness().changes("payment_requested").len(), 1);
}

#[tokio::test]
async fn a_capture_whose_answer_was_lost_has_happened() {
    let setup = setup().await;
    let new = payment("lost-capture", "42", "8.40");
    setup.client.payment_request(&new).await.unwrap();
    terminal(&setup, POINT_OF_SERVICE_ID, "approve").await;
    fault(
        &setup,
        "POST",
        "/pos-payment-capture",
        Fault::Drop { after_commit: true },
    );
    let error = setup.client.payment_capture(&new.session_id).await.unwrap_err();
    assert!(error.outcome_unknown(), "{error:?}");
    assert_eq!(setup.emulator.harness().changes("payment_captured").len(), 1);
    let status = setup.client.pos_status().await.unwrap();
    assert_eq!(
        status.current_session.unwrap().payment_status,
        PaymentStatus::Captured
    );
}

#[tokio::test]
async fn wrong_keys_are_told_apart() {
    let setup = setup().await;
    let mut wrong = settings(&setup.emulator, &setup.listener.url);
    wrong
        .secrets
        .insert("subscription_key".to_owned(), Secret::new("nope"));
    let error = api_error(Client::from_settings(&wrong).unwrap().test_connection().await);
    assert!(
        matches!(&error, VourityError::InvalidSubscriptionKey { message } if message.contains("invalid subscription key")),
        "{error}"
    );
    assert!(error.is_settings_problem());

    let mut wrong = settings(&setup.emulator, &setup.listener.url);
    wrong.secrets.insert("api_key".to_owned(), Secret::new("nope"));
    let error = api_error(Client::from_settings(&wrong).unwrap().test_connection().await);
    assert_eq!(error, VourityError::InvalidApiKey);

    let mut wrong = settings(&setup.emulator, &setup.listener.url);
    wrong
        .values
        .insert("point_of_service_id".to_owned(), "unknown-pos".to_owned());
    let error = api_error(Client::from_settings(&wrong).unwrap().test_connection().await);
    assert_eq!(error, VourityError::PointOfServiceNotFound);

    let mut wrong = settings(&setup.emulator, &setup.listener.url);
    wrong
        .values
        .insert("merchant_id".to_owned(), "another-merchant".to_owned());
    let error = api_error(
        Client::from_settings(&wrong)
            .unwrap()
            .payment_request(&payment("merchant", "1", "0"))
            .await,
    );
    assert_eq!(error, VourityError::MerchantNotAllowed);
    assert!(setup.emulator.harness().changes("payment_requested").is_empty());

    // The keys never reach the emulator's log in clear.
    let log = serde_json::to_string(&setup.emulator.harness().log()).unwrap();
    assert!(!log.contains(API_KEY) && !log.contains(SUBSCRIPTION_KEY));
}

#[tokio::test]
async fn missing_settings_are_named() {
    let setup = setup().await;
    let mut missing = settings(&setup.emulator, &setup.listener.url);
    missing.secrets.remove("api_key");
    let error = Client::from_settings(&missing).unwrap_err();
    assert!(error.to_string().contains("api_key"), "{error}");
    let mut bad = settings(&setup.emulator, &setup.listener.url);
    bad.values.insert("webhook_url".to_owned(), "ftp://x".to_owned());
    let error = Client::from_settings(&bad).unwrap_err();
    assert!(error.to_string().contains("webhook_url"), "{error}");
}

#[tokio::test]
async fn unknown_sessions_are_payment_not_found() {
    let setup = setup().await;
    for result in [
        setup.client.payment_capture("never-requested").await,
        setup.client.payment_cancel("never-requested").await,
    ] {
        assert_eq!(api_error(result), VourityError::PaymentNotFound);
    }
    assert_eq!(
        api_error(
            setup
                .client
                .payment_refund("never-requested", &sek("1"), "x")
                .await
        ),
        VourityError::PaymentNotFound
    );
    assert_eq!(
        api_error(
            setup
                .client
                .add_discount("never-requested", &sek("1"), &sek("0"), None)
                .await
        ),
        VourityError::PaymentNotFound
    );
}

#[tokio::test]
async fn another_currency_is_refused_by_vourity() {
    let setup = setup().await;
    let mut new = payment("euro", "10", "2");
    new.total = Money::new(Decimal::from(10), Currency::EUR);
    new.vat = Money::new(Decimal::from(2), Currency::EUR);
    let error = api_error(setup.client.payment_request(&new).await);
    assert!(
        matches!(error, VourityError::UnsupportedCurrency { .. }),
        "{error}"
    );
    assert!(setup.emulator.harness().changes("payment_requested").is_empty());
}

/// Sends a raw body to an endpoint with valid keys and maps the error answer as the
/// client does: for the codes this client never provokes itself.
async fn raw_error(setup: &Setup, path: &str, body: &str) -> VourityError {
    let answer = reqwest::Client::new()
        .post(format!("{}/{path}", setup.emulator.base_url()))
        .header("apikey", API_KEY)
        .header("Ocp-Apim-Subscription-Key", SUBSCRIPTION_KEY)
        .header("Ocp-Apim-Trace", "true")
        .header("content-type", "application/json")
        .body(body.to_owned())
        .send()
        .await
        .unwrap();
    let status = answer.status().as_u16();
    let body: ErrorBody = answer.json().await.unwrap();
    VourityError::from_body(status, &body).unwrap()
}

fn raw_payment_request(changes: &[(&str, &str)]) -> String {
    let mut text = format!(
        r#"{{"sessionID":"raw-1","msgType":"paymentRequest","merchantID":"{MERCHANT_ID}","merchantName":"M","pointOfServiceID":"{POINT_OF_SERVICE_ID}","pointOfServiceName":"T","totalAmountInclVat":2,"totalVatAmount":1,"currency":"SEK","responseWebhookUrl":"http://127.0.0.1:9/hook","merchantReferences":{{"orderId":"o","paymentId":"p"}}}}"#
    );
    for (from, to) in changes {
        text = text.replace(from, to);
    }
    text
}

#[tokio::test]
async fn the_emulator_refuses_bad_bodies_with_the_documented_codes() {
    let setup = setup().await;
    let cases: [(&str, &[(&str, &str)]); 6] = [
        ("msgType", &[("\"paymentRequest\"", "\"paymentCancel\"")]),
        (
            "amount",
            &[("\"totalAmountInclVat\":2", "\"totalAmountInclVat\":19.805")],
        ),
        ("vat", &[("\"totalVatAmount\":1", "\"totalVatAmount\":3")]),
        ("currency", &[("\"SEK\"", "\"EUR\"")]),
        ("webhook", &[("http://127.0.0.1:9/hook", "not a url")]),
        ("missing", &[("\"sessionID\":\"raw-1\",", "")]),
    ];
    let mut errors = Vec::new();
    for (name, changes) in cases {
        errors.push((
            name,
            raw_error(&setup, "pos-payment-request", &raw_payment_request(changes)).await,
        ));
    }
    assert!(
        matches!(errors[0].1, VourityError::InvalidMsgType { .. }),
        "{:?}",
        errors[0]
    );
    assert!(
        matches!(&errors[1].1, VourityError::InvalidAmount { message } if message.contains("19.805")),
        "{:?}",
        errors[1]
    );
    assert!(
        matches!(errors[2].1, VourityError::InvalidAmount { .. }),
        "{:?}",
        errors[2]
    );
    assert!(
        matches!(errors[3].1, VourityError::UnsupportedCurrency { .. }),
        "{:?}",
        errors[3]
    );
    assert!(
        matches!(errors[4].1, VourityError::InvalidWebhookUrl { .. }),
        "{:?}",
        errors[4]
    );
    assert!(
        matches!(&errors[5].1, VourityError::InvalidRequest { message } if message.contains("sessionID")),
        "{:?}",
        errors[5]
    );
    let not_json = raw_error(&setup, "pos-payment-request", "{\"sessionID\":").await;
    assert!(
        matches!(not_json, VourityError::InvalidRequest { .. }),
        "{not_json:?}"
    );
    // The document's own bodies of the action request response and set POS status name
    // no target: refused, per our reading.
    let error = raw_error(
        &setup,
        "action-request-response",
        r#"{"responseCode":"accepted"}"#,
    )
    .await;
    assert!(
        matches!(&error, VourityError::InvalidRequest { message } if message.contains("actionRequestID")),
        "{error:?}"
    );
    assert!(setup.emulator.harness().changes("payment_requested").is_empty());
    // An unlisted code is kept.
    let unknown = VourityError::from_body(
        418,
        &ErrorBody {
            error_code: Some("teapot".to_owned()),
            message: Some("short and stout".to_owned()),
            status_code: None,
        },
    );
    assert!(matches!(unknown, Some(VourityError::Unknown { status: 418, code, .. }) if code == "teapot"));
}

#[tokio::test]
async fn an_amount_finer_than_the_currency_is_refused_before_sending() {
    let setup = setup().await;
    let new = payment("fine", "19.805", "3.96");
    let error = setup.client.payment_request(&new).await.unwrap_err();
    assert!(
        matches!(&error, CallError::Refused(text) if text.contains("19.805 SEK has more than 2 decimals")),
        "{error}"
    );
    let error = setup
        .client
        .payment_refund("any-session", &sek("0.001"), "x")
        .await
        .unwrap_err();
    assert!(matches!(error, CallError::Refused(_)), "{error}");
    let zero = setup
        .client
        .payment_request(&payment("zero", "0", "0"))
        .await
        .unwrap_err();
    assert!(matches!(zero, CallError::Refused(_)), "{zero}");
    assert!(
        setup
            .emulator
            .harness()
            .log()
            .iter()
            .all(|entry| entry.kind != "request"),
        "nothing was sent"
    );
}

#[tokio::test]
async fn http_statuses_without_a_vourity_body_are_reported_as_statuses() {
    let setup = setup().await;
    let path = format!("/pointOfServices/{POINT_OF_SERVICE_ID}/pos-status");
    for status in [401u16, 403, 404, 500, 503] {
        fault(
            &setup,
            "GET",
            &path,
            Fault::Status {
                status,
                after_commit: false,
            },
        );
        let (got, error) = status_of(setup.client.pos_status().await);
        assert_eq!(got, status);
        assert_eq!(error.outcome_unknown(), status >= 500, "{status}");
    }
    fault(
        &setup,
        "GET",
        &path,
        Fault::TooManyRequests { retry_after_secs: 7 },
    );
    let (got, error) = status_of(setup.client.test_connection().await);
    assert_eq!(got, 429);
    assert_eq!(error.code(), "provider_rate_limited");
    assert!(
        matches!(error, CallError::Status { retry_after: Some(after), .. } if after == Duration::from_secs(7))
    );
}

#[tokio::test]
async fn a_server_error_after_commit_leaves_the_refund_unknown_and_done() {
    let mut setup = setup().await;
    let new = payment("refund-500", "30", "6");
    setup.client.payment_request(&new).await.unwrap();
    terminal(&setup, POINT_OF_SERVICE_ID, "approve").await;
    setup.client.payment_capture(&new.session_id).await.unwrap();
    setup
        .listener
        .next_event(&new.payment_id, &new.webhook_token)
        .await;
    setup
        .listener
        .next_event(&new.payment_id, &new.webhook_token)
        .await;
    fault(
        &setup,
        "POST",
        "/pos-payment-refund",
        Fault::Status {
            status: 500,
            after_commit: true,
        },
    );
    let error = setup
        .client
        .payment_refund(&new.session_id, &sek("5"), "x")
        .await
        .unwrap_err();
    assert!(error.outcome_unknown());
    assert_eq!(setup.emulator.harness().changes("payment_refunded").len(), 1);
    // The webhook still tells the till what happened.
    let event = setup
        .listener
        .next_event(&new.payment_id, &new.webhook_token)
        .await;
    assert!(matches!(event.kind, WebhookKind::Refunded { amount, .. } if amount == sek("5")));
}

#[tokio::test]
async fn unreadable_answers_are_malformed() {
    let setup = setup().await;
    let path = format!("/pointOfServices/{POINT_OF_SERVICE_ID}/pos-status");
    for body in [
        Fault::Body {
            text: "<html>gateway</html>".to_owned(),
        },
        Fault::Truncate,
        Fault::Body {
            text: r#"{"pointOfService":"x"}"#.to_owned(),
        },
    ] {
        fault(&setup, "GET", &path, body);
        let error = setup.client.pos_status().await.unwrap_err();
        assert!(matches!(error, CallError::Malformed(_)), "{error:?}");
        assert!(error.outcome_unknown());
    }
}

#[tokio::test]
async fn answers_that_contradict_the_request_are_refused() {
    let setup = setup().await;
    let cases = [
        (
            "11",
            "SEK",
            "pending",
            "session",
            "the terminal asks for 11.00 SEK",
        ),
        ("10", "EUR", "pending", "session", "EUR"),
        ("10.001", "SEK", "pending", "session", "10.001"),
        (
            "10",
            "SEK",
            "teleported",
            "session",
            "unknown payment status \"teleported\"",
        ),
        ("10", "SEK", "pending", "another", "session \"another"),
    ];
    for (index, (total, currency, status, echoed, named)) in cases.into_iter().enumerate() {
        let new = payment(&format!("contradiction-{index}"), "10", "2");
        let echoed_session = if echoed == "session" {
            new.session_id.clone()
        } else {
            format!("another-{index}")
        };
        let text = format!(
            r#"{{"msgType":"paymentRequestResponse","sessionID":"{echoed_session}","pointOfServiceID":"{POINT_OF_SERVICE_ID}","paymentStatus":"{status}","totalAmountInclVat":{total},"totalVatAmount":2,"currency":"{currency}","merchantReferences":{{"orderId":"{}","paymentId":"{}"}}}}"#,
            new.order_id, new.payment_id
        );
        fault(&setup, "POST", "/pos-payment-request", Fault::Body { text });
        let error = setup.client.payment_request(&new).await.unwrap_err();
        match &error {
            CallError::Contradiction(text) => assert!(text.contains(named), "{named}: {text}"),
            other => panic!("{other:?}"),
        }
        // The payment may exist at Vourity: the till must find out, not retry blindly.
        assert!(error.outcome_unknown());
        // Free the terminal for the next case: the emulator did take the request.
        setup.client.payment_cancel(&new.session_id).await.unwrap();
    }
}

#[tokio::test]
async fn an_unknown_pos_status_is_kept_for_the_caller() {
    let setup = setup().await;
    let path = format!("/pointOfServices/{POINT_OF_SERVICE_ID}/pos-status");
    fault(
        &setup,
        "GET",
        &path,
        Fault::Body {
            text: format!(
                r#"{{"pointOfServiceID":"{POINT_OF_SERVICE_ID}","statusCode":"hibernating","currentSession":null}}"#
            ),
        },
    );
    let status = setup.client.pos_status().await.unwrap();
    assert_eq!(
        status.status_code,
        PosStatusCode::Unknown("hibernating".to_owned())
    );
    // A status for another terminal is a contradiction.
    fault(
        &setup,
        "GET",
        &path,
        Fault::Body {
            text: format!(r#"{{"pointOfServiceID":"{OTHER_POINT_OF_SERVICE_ID}","statusCode":"available"}}"#),
        },
    );
    assert!(matches!(
        setup.client.pos_status().await,
        Err(CallError::Contradiction(_))
    ));
}

#[tokio::test]
async fn a_failed_webhook_delivery_is_logged_and_not_fatal() {
    let setup = setup().await;
    // A port nobody listens on.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let client = Client::from_settings(&settings(&setup.emulator, &format!("http://{closed}/hook"))).unwrap();
    let new = payment("no-listener", "10", "2");
    client.payment_request(&new).await.unwrap();
    terminal(&setup, POINT_OF_SERVICE_ID, "approve").await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while setup.emulator.harness().changes("webhook_failed").is_empty() {
        assert!(tokio::time::Instant::now() < deadline, "no webhook_failed entry");
        tokio::task::yield_now().await;
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // The emulator goes on; the till polls.
    let status = client.pos_status().await.unwrap();
    assert_eq!(
        status.current_session.unwrap().payment_status,
        PaymentStatus::Approved
    );
    client.payment_capture(&new.session_id).await.unwrap();
}

#[tokio::test]
async fn webhooks_with_the_wrong_token_or_an_unknown_payment_are_refused() {
    let mut setup = setup().await;
    let new = payment("webhook-auth", "10", "2");
    setup.client.payment_request(&new).await.unwrap();
    terminal(&setup, POINT_OF_SERVICE_ID, "approve").await;
    let call = setup.listener.next().await;
    let path_token = call.path.rsplit('/').next().unwrap().to_owned();
    assert_eq!(path_token, new.webhook_token.expose());
    let other = WebhookToken::from_random_bytes(&[1; 32]);
    assert_eq!(
        vourity::webhook::parse(other.expose(), |_| Some(new.webhook_token.clone()), &call.body),
        Err(WebhookError::WrongSecret {
            payment_id: new.payment_id.clone()
        })
    );
    let unknown = vourity::webhook::parse(&path_token, |_| None, &call.body).unwrap_err();
    assert_eq!(unknown.http_status(), 404);
    let bad =
        vourity::webhook::parse(&path_token, |_| Some(new.webhook_token.clone()), b"<html>").unwrap_err();
    assert_eq!(bad.http_status(), 400);
}

#[test]
fn amounts_keep_their_digits_through_the_wire_types() {
    for digits in ["0.1", "4200.5", "840.1", "19.80"] {
        let json = format!(
            r#"{{"sessionID":"s","msgType":"paymentRequest","merchantID":"m","merchantName":"n","pointOfServiceID":"p","pointOfServiceName":"t","totalAmountInclVat":{digits},"totalVatAmount":{digits},"currency":"SEK","responseWebhookUrl":"http://h/t","merchantReferences":{{"orderId":"o","paymentId":"p"}}}}"#
        );
        let body: PaymentRequestBody = serde_json::from_str(&json).unwrap();
        assert_eq!(body.total_amount_incl_vat.to_string(), digits);
        assert_eq!(body.total_amount_incl_vat, Decimal::from_str(digits).unwrap());
        assert_eq!(serde_json::to_string(&body).unwrap(), json);
    }
}

#[tokio::test]
async fn amounts_keep_their_digits_through_the_emulator() {
    let setup = setup().await;
    for (index, digits) in ["0.1", "4200.5", "840.1", "19.80"].into_iter().enumerate() {
        let new = payment(&format!("digits-{index}"), digits, "0");
        let session = setup.client.payment_request(&new).await.unwrap();
        assert_eq!(session.total.amount().to_string(), digits);
        let logged = setup.emulator.harness().changes("payment_requested");
        assert_eq!(logged[index]["totalAmountInclVat"], digits);
        setup.client.payment_cancel(&new.session_id).await.unwrap();
    }
}
