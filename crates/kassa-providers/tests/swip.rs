//! The SWiP client against the SWiP emulator over loopback HTTP: every endpoint, every
//! documented error code, and the failures a till must survive.

use std::str::FromStr;

use kassa_core::{Currency, Money};
use kassa_providers::swip::{self, Client, CloseTag, OrderStatus, Purchase, SwipError, Unit};
use kassa_providers::{CallError, Secret, Settings};
use kassa_sandbox::harness::{Fault, FaultRule};
use kassa_sandbox::{Ports, Provider, RunningEmulator};
use rust_decimal::Decimal;
use serde_json::{Value, json};

struct Setup {
    emulator: RunningEmulator,
    client: Client,
    http: reqwest::Client,
}

fn settings(base_url: &str, change: impl Fn(&str, &str) -> String) -> Settings {
    let mut settings = Settings {
        base_url: base_url.to_owned(),
        ..Settings::default()
    };
    for (key, value) in kassa_sandbox::swip::DEMO_SETTINGS {
        let field = swip::FIELDS
            .iter()
            .find(|field| field.key == *key)
            .expect("a SWiP field");
        let value = change(key, value);
        if field.secret {
            settings.secrets.insert(key.to_string(), Secret::new(value));
        } else {
            settings.values.insert(key.to_string(), value);
        }
    }
    settings
}

async fn start() -> Setup {
    let emulator = RunningEmulator::start(Provider::Swip, Ports::Ephemeral)
        .await
        .expect("emulator starts");
    let client = Client::from_settings(&settings(&emulator.base_url(), |_, value| value.to_owned()))
        .expect("settings");
    Setup {
        emulator,
        client,
        http: reqwest::Client::new(),
    }
}

fn eur(text: &str) -> Money {
    Money::new(Decimal::from_str(text).expect("decimal"), Currency::EUR)
}

fn dec(text: &str) -> Decimal {
    Decimal::from_str(text).expect("decimal")
}

impl Setup {
    fn request(&self, merchant_order_id: &str, total: &str) -> swip::CreateOrderRequest {
        self.client.order_request(
            merchant_order_id,
            "Alva",
            1_540_485_815_026,
            eur(total),
            eur(total),
            vec![Purchase::new("Coffee", dec("1"), Unit::Pieces, eur(total))],
        )
    }

    async fn create(&self, merchant_order_id: &str, total: &str) -> swip::Order {
        self.client
            .create_order(&self.request(merchant_order_id, total))
            .await
            .expect("order created")
    }

    /// A control route of the emulator, acting as the customer's app or the bank.
    /// `body` is JSON text, so that amounts keep their digits (`json!` goes through f64).
    async fn control(&self, path: &str, body: &str) -> Value {
        let answer = self
            .http
            .post(format!("{}/_sandbox/{path}", self.emulator.origin()))
            .header("Content-Type", "application/json")
            .body(body.to_owned())
            .send()
            .await
            .expect("control route answers");
        assert!(answer.status().is_success(), "{path}: {}", answer.status());
        if answer.status() == 204 {
            Value::Null
        } else {
            answer.json().await.expect("control answer is JSON")
        }
    }

    async fn emulator_order(&self, merchant_order_id: &str) -> Value {
        let orders: Vec<Value> = self
            .http
            .get(format!("{}/_sandbox/orders", self.emulator.origin()))
            .send()
            .await
            .expect("orders")
            .json()
            .await
            .expect("orders JSON");
        orders
            .into_iter()
            .find(|order| order["merchantOrderId"] == merchant_order_id)
            .expect("the emulator has the order")
    }

    fn changes(&self, what: &str) -> Vec<Value> {
        self.emulator.harness().changes(what)
    }

    fn state_changes(&self) -> usize {
        self.emulator
            .harness()
            .log()
            .iter()
            .filter(|entry| entry.kind == "state")
            .count()
    }

    fn fault(&self, method: &str, path: &str, fault: Fault) {
        self.emulator.harness().add_fault(FaultRule {
            method: Some(method.to_owned()),
            path: path.to_owned(),
            fault,
            times: Some(1),
        });
    }

    /// A request with the demo headers, `replaced` ones changed, for what the client
    /// never sends.
    fn raw(&self, method: reqwest::Method, path: &str, replaced: &[(&str, &str)]) -> reqwest::RequestBuilder {
        let bearer = format!("Bearer {}", kassa_sandbox::swip::DEMO_TOKEN);
        let mut headers = vec![
            ("Authorization", bearer.as_str()),
            ("X-Merchant-ID", kassa_sandbox::swip::DEMO_MERCHANT_ID),
            ("X-Store-ID", kassa_sandbox::swip::DEMO_STORE_ID),
            ("X-Cash-ID", kassa_sandbox::swip::DEMO_CASH_ID),
            ("Api-Version", "3"),
        ];
        for (name, value) in replaced {
            if let Some(header) = headers.iter_mut().find(|(known, _)| known == name) {
                header.1 = value;
            }
        }
        let mut request = self
            .http
            .request(method, format!("{}{path}", self.emulator.base_url()));
        for (name, value) in headers {
            request = request.header(name, value);
        }
        request
    }
}

fn api_error<T: std::fmt::Debug>(result: Result<T, CallError<SwipError>>) -> SwipError {
    match result {
        Err(CallError::Api(error)) => error,
        other => panic!("expected a SWiP error, got {other:?}"),
    }
}

// ---------------------------------------------------------------------------------------
// Every endpoint

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_order_paid_in_the_app_is_created_polled_and_closed() {
    let setup = start().await;
    let order = setup.create("k-1", "50.00").await;
    assert_eq!(order.order_status, OrderStatus::Open);
    assert!(
        order
            .session_code
            .as_deref()
            .is_some_and(|code| code.starts_with("https://swip.one/?qr="))
    );
    assert_eq!(setup.changes("order_created").len(), 1);

    let polled = setup.client.get_order(&order.id).await.expect("get order");
    assert_eq!(polled.paid, Some(dec("0")));
    assert!(!polled.is_paid_in_full());

    setup
        .control(&format!("orders/{}/pay", order.id), r#"{"amount": 20.00}"#)
        .await;
    let polled = setup.client.get_order(&order.id).await.expect("get order");
    assert_eq!(polled.paid.map(|paid| paid.to_string()).as_deref(), Some("20.00"));
    assert_eq!(polled.unconfirmed, polled.paid);
    setup.control(&format!("orders/{}/pay", order.id), r#"{}"#).await;
    let polled = setup.client.get_order(&order.id).await.expect("get order");
    assert!(polled.is_paid_in_full());
    assert_eq!(polled.amounts(Currency::EUR).expect("EUR").paid, eur("50.00"));
    let slip = polled.slip.expect("a bank slip once paid");
    assert!(
        slip.lines()
            .all(|line| line.chars().count() <= swip::BankSlip::WIDTH)
    );
    assert!(slip.0.contains("SWiP DEMO BANK"));

    let closed = setup
        .client
        .close_order(&order.id, eur("50.00"), &[])
        .await
        .expect("close");
    assert_eq!(closed.order_status, OrderStatus::Closed);
    assert_eq!(closed.unconfirmed, Some(dec("0")));
    assert_eq!(closed.paid, Some(dec("50.00")));
    assert_eq!(setup.changes("order_paid").len(), 2);
    let closes = setup.changes("order_closed");
    assert_eq!(closes.len(), 1);
    assert_eq!(closes[0]["order"]["closeAmount"], "50.00");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cash_order_is_closed_with_a_rounded_total() {
    let setup = start().await;
    let order = setup.create("k-cash", "19.98").await;
    let closed = setup
        .client
        .close_order(&order.id, eur("20.00"), &[CloseTag::Rounded])
        .await
        .expect("rounded close");
    assert_eq!(closed.close_amount, Some(dec("20.00")));
    assert_eq!(closed.cash, Some(true));
    assert_eq!(setup.changes("order_closed")[0]["rounded"], true);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancelling_gives_the_app_payment_back() {
    let setup = start().await;
    let order = setup.create("k-cancel", "30.00").await;
    setup
        .control(&format!("orders/{}/pay", order.id), r#"{"amount": 10.00}"#)
        .await;
    let cancelled = setup.client.cancel_order(&order.id).await.expect("cancel");
    assert_eq!(cancelled.order_status, OrderStatus::Closed);
    assert_eq!(cancelled.paid, Some(dec("0")));
    assert_eq!(cancelled.close_amount.map(|amount| amount.is_zero()), Some(true));
    let logged = setup.changes("order_cancelled");
    assert_eq!(logged.len(), 1);
    assert_eq!(logged[0]["paid"], "0");
    // The request carried the example's body.
    let requests = setup.emulator.harness().log();
    let close = requests
        .iter()
        .rfind(|entry| entry.kind == "request" && entry.what.ends_with("/actions/close"))
        .expect("close logged");
    assert_eq!(close.detail["body"], json!({"amount": 0.0}));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_close_without_a_body_cancels_as_the_document_says() {
    let setup = start().await;
    let order = setup.create("k-nobody", "30.00").await;
    let answer = setup
        .raw(
            reqwest::Method::POST,
            &format!("/orders/{}/actions/close", order.id),
            &[],
        )
        .send()
        .await
        .expect("answer");
    assert_eq!(answer.status(), 200);
    assert_eq!(setup.changes("order_cancelled").len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn partial_refunds_are_each_made_and_capped_by_the_payment() {
    let setup = start().await;
    let order = setup.create("k-refund", "50.00").await;
    setup.control(&format!("orders/{}/pay", order.id), r#"{}"#).await;
    setup
        .client
        .close_order(&order.id, eur("50.00"), &[])
        .await
        .expect("close");

    // The same refund twice is two refunds: SWiP does not deduplicate them.
    for _ in 0..2 {
        let result = setup
            .client
            .refund("k-refund", eur("20.00"))
            .await
            .expect("refund");
        assert_eq!(result.status, swip::OperationStatus::Success);
        assert!(result.slip.is_some());
    }
    assert_eq!(setup.changes("order_refunded").len(), 2);
    assert_eq!(setup.emulator_order("k-refund").await["refunded"], "40.00");
    let polled = setup.client.get_order(&order.id).await.expect("get");
    assert_eq!(polled.refunded, Some(dec("40.00")));

    let error = api_error(setup.client.refund("k-refund", eur("10.01")).await);
    assert!(matches!(error, SwipError::ExcessTotalAmount { .. }), "{error:?}");
    setup
        .client
        .refund("k-refund", eur("10.00"))
        .await
        .expect("the rest");
    let error = api_error(setup.client.refund("k-refund", eur("0.01")).await);
    assert!(
        matches!(error, SwipError::OrderAlreadyRefunded { .. }),
        "{error:?}"
    );
    assert_eq!(setup.changes("order_refunded").len(), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_held_payment_is_reversed_until_the_bank_settles_it() {
    let setup = start().await;
    let order = setup.create("k-rev", "50.00").await;
    setup.control(&format!("orders/{}/pay", order.id), r#"{}"#).await;
    setup
        .client
        .close_order(&order.id, eur("50.00"), &[])
        .await
        .expect("close");
    let result = setup
        .client
        .reverse("k-rev", Some(eur("25.00")))
        .await
        .expect("reverse");
    assert_eq!(result.status, swip::OperationStatus::Success);
    let logged = setup.changes("payment_reversed");
    assert_eq!(logged.len(), 1);
    assert_eq!(logged[0]["amount"], "25.00");
    assert_eq!(setup.emulator_order("k-rev").await["reversed"], "25.00");

    setup
        .control(&format!("orders/{}/settle", order.id), r#"{}"#)
        .await;
    let error = api_error(setup.client.reverse("k-rev", None).await);
    assert!(matches!(error, SwipError::ReverseUnavailable { .. }), "{error:?}");
    assert!(error.to_string().contains("make a refund instead"), "{error}");
    assert_eq!(setup.changes("payment_reversed").len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_loyalty_calculation_discounts_the_basket() {
    let setup = start().await;
    let request = swip::LoyaltyCalculationRequest {
        merchant_order_id: "k-loyal".to_owned(),
        purchases: vec![Purchase::new("Cake", dec("2"), Unit::Pieces, eur("99.00"))],
        total: dec("198.00"),
    };
    let calculation = setup
        .client
        .loyalty_calculation(&request)
        .await
        .expect("calculation");
    let result = &calculation.discount_calc_result;
    assert_eq!(result.discount_original.to_string(), "19.80");
    assert_eq!(result.discount.to_string(), "20");
    assert_eq!(result.lines[0].program_id, 584);
    assert_eq!(calculation.total_before_calc.to_string(), "198.00");
    assert_eq!(calculation.total.to_string(), "178.00");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_connection_proves_and_disproves_the_credentials() {
    let setup = start().await;
    setup
        .client
        .test_connection()
        .await
        .expect("demo credentials work");

    let wrong = Client::from_settings(&settings(&setup.emulator.base_url(), |key, value| {
        if key == "token" {
            "not-the-token".to_owned()
        } else {
            value.to_owned()
        }
    }))
    .expect("settings");
    let error = api_error(wrong.test_connection().await);
    assert!(
        matches!(error, SwipError::AuthenticationFailed { .. }),
        "{error:?}"
    );
    assert!(error.to_string().contains("check the token"), "{error}");

    let other_store = Client::from_settings(&settings(&setup.emulator.base_url(), |key, value| {
        if key == "store_id" {
            "store-9".to_owned()
        } else {
            value.to_owned()
        }
    }))
    .expect("settings");
    let error = api_error(other_store.test_connection().await);
    assert!(matches!(error, SwipError::AccessDenied { .. }), "{error:?}");
}

#[test]
fn settings_name_what_is_missing_or_wrong() {
    let missing = settings("http://127.0.0.1:1", |key, value| {
        if key == "cash_id" {
            String::new()
        } else {
            value.to_owned()
        }
    });
    let error = Client::from_settings(&missing).expect_err("no till id");
    assert!(error.to_string().contains("X-Cash-ID"), "{error}");
    let currency = settings("http://127.0.0.1:1", |key, value| {
        if key == "currency" {
            "eur".to_owned()
        } else {
            value.to_owned()
        }
    });
    let error = Client::from_settings(&currency).expect_err("lower-case currency");
    assert!(error.to_string().contains("unknown currency"), "{error}");
}

// ---------------------------------------------------------------------------------------
// Every documented error code the emulator can be brought to answer

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_existing_merchant_order_id_is_refused_with_28() {
    let setup = start().await;
    setup.create("k-dup", "10.00").await;
    let error = api_error(setup.client.create_order(&setup.request("k-dup", "10.00")).await);
    assert!(matches!(error, SwipError::OrderAlreadyExists { .. }), "{error:?}");
    assert_eq!(setup.changes("order_created").len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_order_is_closed_only_once_30() {
    let setup = start().await;
    let order = setup.create("k-twice", "10.00").await;
    setup
        .client
        .close_order(&order.id, eur("10.00"), &[])
        .await
        .expect("first close");
    let error = api_error(setup.client.close_order(&order.id, eur("10.00"), &[]).await);
    assert!(
        matches!(error, SwipError::OrderAlreadyConfirmed { .. }),
        "{error:?}"
    );
    let error = api_error(setup.client.cancel_order(&order.id).await);
    assert!(
        matches!(error, SwipError::OrderAlreadyConfirmed { .. }),
        "{error:?}"
    );
    assert_eq!(setup.changes("order_closed").len(), 1);
    assert!(setup.changes("order_cancelled").is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn closing_above_the_total_is_32_and_a_bad_rounding_is_5() {
    let setup = start().await;
    let order = setup.create("k-excess", "10.00").await;
    let error = api_error(setup.client.close_order(&order.id, eur("10.50"), &[]).await);
    assert!(matches!(error, SwipError::ExcessTotalAmount { .. }), "{error:?}");
    let error = api_error(
        setup
            .client
            .close_order(&order.id, eur("12.00"), &[CloseTag::Rounded])
            .await,
    );
    assert!(
        matches!(error, SwipError::ValidationFailed { ref field_errors, .. } if field_errors[0].field.as_deref() == Some("amount")),
        "{error:?}"
    );
    setup
        .control(&format!("orders/{}/pay", order.id), r#"{"amount": 5.00}"#)
        .await;
    let error = api_error(
        setup
            .client
            .close_order(&order.id, eur("10.00"), &[CloseTag::Rounded])
            .await,
    );
    assert!(error.to_string().contains("ROUNDED applies only"), "{error}");
    assert!(setup.changes("order_closed").is_empty());
    assert_eq!(setup.emulator_order("k-excess").await["orderStatus"], "OPEN");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refunds_and_reverses_of_the_wrong_order_are_refused() {
    let setup = start().await;
    let open = setup.create("k-open", "10.00").await;
    let error = api_error(setup.client.refund("k-open", eur("1.00")).await);
    assert!(
        matches!(error, SwipError::OrderFlowViolation { .. }),
        "11: {error:?}"
    );
    let error = api_error(setup.client.reverse("k-open", None).await);
    assert!(
        matches!(error, SwipError::OrderFlowViolation { .. }),
        "11: {error:?}"
    );

    setup
        .client
        .close_order(&open.id, eur("10.00"), &[])
        .await
        .expect("cash close");
    let error = api_error(setup.client.refund("k-open", eur("1.00")).await);
    assert!(matches!(error, SwipError::OrderNotPaid { .. }), "31: {error:?}");
    let error = api_error(setup.client.reverse("k-open", None).await);
    assert!(matches!(error, SwipError::OrderNotPaid { .. }), "31: {error:?}");

    let error = api_error(setup.client.refund("k-nobody-knows", eur("1.00")).await);
    assert!(matches!(error, SwipError::NotFound { .. }), "9: {error:?}");
    let error = api_error(
        setup
            .client
            .get_order("7f000000-0000-4000-8000-000000000001")
            .await,
    );
    assert!(matches!(error, SwipError::NotFound { .. }), "9: {error:?}");
    assert!(setup.changes("order_refunded").is_empty());
    assert!(setup.changes("payment_reversed").is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_timed_out_order_is_13_and_a_declined_payment_is_shown() {
    let setup = start().await;
    let order = setup.create("k-late", "10.00").await;
    setup
        .control(
            &format!("orders/{}/decline", order.id),
            r#"{"reason": "insufficient funds"}"#,
        )
        .await;
    let polled = setup.client.get_order(&order.id).await.expect("get");
    assert_eq!(polled.error.as_deref(), Some("insufficient funds"));
    assert_eq!(polled.order_status, OrderStatus::Open);

    setup
        .control(&format!("orders/{}/abandon", order.id), r#"{}"#)
        .await;
    let error = api_error(setup.client.close_order(&order.id, eur("10.00"), &[]).await);
    assert!(
        matches!(error, SwipError::OperationTimedOut { .. }),
        "13: {error:?}"
    );
    assert!(setup.changes("order_closed").is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_qr_in_use_is_8_and_a_calculation_for_a_closed_order_is_6() {
    let setup = start().await;
    let mut request = setup.request("k-qr-1", "10.00");
    request.session_code = Some("https://swip.one/?qr=1".to_owned());
    let first = setup.client.create_order(&request).await.expect("first");
    request.merchant_order_id = "k-qr-2".to_owned();
    let error = api_error(setup.client.create_order(&request).await);
    assert!(matches!(error, SwipError::Duplicate { .. }), "8: {error:?}");
    assert_eq!(setup.changes("order_created").len(), 1);

    setup.client.cancel_order(&first.id).await.expect("cancel");
    let calculation = swip::LoyaltyCalculationRequest {
        merchant_order_id: "k-qr-1".to_owned(),
        purchases: Vec::new(),
        total: dec("10.00"),
    };
    let error = api_error(setup.client.loyalty_calculation(&calculation).await);
    assert!(matches!(error, SwipError::IllegalState { .. }), "6: {error:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_invalid_order_is_5_with_its_fields() {
    let setup = start().await;
    let mut request = setup.request("k-invalid", "10.00");
    request.merchant_cashier = " ".to_owned();
    let error = api_error(setup.client.create_order(&request).await);
    match &error {
        SwipError::ValidationFailed { field_errors, .. } => {
            assert_eq!(field_errors[0].field.as_deref(), Some("merchantCashier"));
        }
        other => panic!("expected 5, got {other:?}"),
    }
    assert!(
        error.to_string().contains("merchantCashier must not be empty"),
        "{error}"
    );
    assert!(setup.changes("order_created").is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_the_client_never_sends_is_answered_as_documented() {
    let setup = start().await;
    // 7: a method the path does not take.
    let answer = setup
        .raw(reqwest::Method::GET, "/refunds", &[])
        .send()
        .await
        .expect("answer");
    assert_eq!(answer.status(), 405);
    let body: Value = answer.json().await.expect("error object");
    assert_eq!(body["code"], 7);
    // 10: another API version, and a body that is not JSON.
    let answer = setup
        .raw(reqwest::Method::POST, "/orders", &[("Api-Version", "2")])
        .body("{}")
        .send()
        .await
        .expect("answer");
    assert_eq!(answer.status(), 400);
    let body: Value = answer.json().await.expect("error object");
    assert_eq!(body["code"], 10);
    let answer = setup
        .raw(reqwest::Method::POST, "/orders", &[])
        .body("<xml/>")
        .send()
        .await
        .expect("answer");
    let body: Value = answer.json().await.expect("error object");
    assert_eq!(body["code"], 10);
    // 2 and 4 from the headers.
    let answer = setup
        .raw(
            reqwest::Method::GET,
            "/orders/x",
            &[("Authorization", "Bearer wrong")],
        )
        .send()
        .await
        .expect("answer");
    assert_eq!(answer.status(), 401);
    assert_eq!(answer.json::<Value>().await.expect("error object")["code"], 2);
    assert!(setup.changes("order_created").is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_outage_is_code_1_at_500_and_leaves_the_outcome_unknown() {
    let setup = start().await;
    setup.control("outage", r#"{"on": true}"#).await;
    let error = setup
        .client
        .create_order(&setup.request("k-outage", "10.00"))
        .await
        .expect_err("outage");
    match &error {
        CallError::Status {
            status: 500, excerpt, ..
        } => assert!(excerpt.contains("\"code\":1"), "{excerpt}"),
        other => panic!("expected HTTP 500, got {other:?}"),
    }
    assert!(error.outcome_unknown());
    assert!(setup.changes("order_created").is_empty());
    setup.control("outage", r#"{"on": false}"#).await;
    setup.create("k-outage", "10.00").await;
}

// ---------------------------------------------------------------------------------------
// HTTP statuses, broken bodies, bad amounts, contradictions, lost answers

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_statuses_from_faults_are_typed() {
    let setup = start().await;
    for status in [401, 403, 404, 429, 500, 503] {
        setup.fault(
            "POST",
            "/orders",
            Fault::Status {
                status,
                after_commit: false,
            },
        );
        let error = setup
            .client
            .create_order(&setup.request(&format!("k-{status}"), "10.00"))
            .await
            .expect_err("fault");
        match (status, &error) {
            (401, CallError::Api(SwipError::AuthenticationFailed { .. }))
            | (403, CallError::Api(SwipError::AccessDenied { .. }))
            | (404, CallError::Api(SwipError::NotFound { .. })) => assert!(!error.outcome_unknown()),
            (429 | 500 | 503, CallError::Status { status: got, .. }) if *got == status => {
                assert_eq!(error.outcome_unknown(), status >= 500);
            }
            _ => panic!("{status}: {error:?}"),
        }
    }
    setup.emulator.harness().add_fault(FaultRule {
        method: Some("GET".to_owned()),
        path: "/orders/*".to_owned(),
        fault: Fault::TooManyRequests { retry_after_secs: 3 },
        times: Some(1),
    });
    let error = setup.client.get_order("abc").await.expect_err("429");
    assert!(
        matches!(error, CallError::Status { status: 429, retry_after: Some(after), .. } if after.as_secs() == 3)
    );
    assert_eq!(error.code(), "provider_rate_limited");
    assert!(setup.changes("order_created").is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bodies_that_are_not_the_order_object_are_malformed() {
    let setup = start().await;
    let order = setup.create("k-broken", "10.00").await;
    let path = format!("/orders/{}", order.id);
    for fault in [
        Fault::Body {
            text: "<html>bad gateway</html>".to_owned(),
        },
        Fault::Truncate,
        Fault::Body {
            text: r#"{"orders":[]}"#.to_owned(),
        },
        Fault::Body {
            text: format!(
                r#"{{"id":"{}","merchantOrderId":"k-broken","orderStatus":"OPEN","total":"10.00","totalOriginal":10.00}}"#,
                order.id
            ),
        },
    ] {
        setup.fault("GET", &path, fault.clone());
        let error = setup.client.get_order(&order.id).await.expect_err("broken body");
        assert!(matches!(error, CallError::Malformed(_)), "{fault:?}: {error:?}");
        assert_eq!(error.code(), "provider_malformed");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn amounts_finer_than_the_currency_are_refused_both_ways() {
    let setup = start().await;
    let error = setup
        .client
        .create_order(&setup.request("k-fine", "10.005"))
        .await
        .expect_err("three decimals");
    assert!(
        matches!(&error, CallError::Refused(text) if text.contains("10.005 EUR has more than 2 decimals")),
        "{error:?}"
    );
    let order = setup.create("k-fine", "10.00").await;
    let error = setup
        .client
        .refund("k-fine", eur("0.001"))
        .await
        .expect_err("three decimals");
    assert!(matches!(error, CallError::Refused(_)), "{error:?}");
    let error = setup
        .client
        .close_order(&order.id, Money::new(dec("10.00"), Currency::SEK), &[])
        .await
        .expect_err("another currency");
    assert!(
        matches!(&error, CallError::Refused(text) if text.contains("not in EUR")),
        "{error:?}"
    );
    assert!(setup.changes("order_closed").is_empty());
    assert!(setup.changes("order_refunded").is_empty());
    // Only k-fine's valid order reached the emulator.
    assert_eq!(setup.changes("order_created").len(), 1);

    setup.fault(
        "GET",
        &format!("/orders/{}", order.id),
        Fault::Body {
            text: format!(r#"{{"id":"{}","merchantOrderId":"k-fine","orderStatus":"OPEN","total":10.005,"totalOriginal":10.00}}"#, order.id),
        },
    );
    let error = setup
        .client
        .get_order(&order.id)
        .await
        .expect_err("three decimals");
    assert!(
        matches!(&error, CallError::Malformed(malformed) if malformed.detail.contains("total: 10.005 EUR")),
        "{error:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_answer_that_contradicts_the_request_is_caught() {
    let setup = start().await;
    setup.fault(
        "POST",
        "/orders",
        Fault::Body {
            text: r#"{"id":"1","merchantOrderId":"k-contra","orderStatus":"OPEN","total":1.00,"totalOriginal":10.00}"#.to_owned(),
        },
    );
    let error = setup
        .client
        .create_order(&setup.request("k-contra", "10.00"))
        .await
        .expect_err("contradiction");
    assert!(
        matches!(&error, CallError::Contradiction(text) if text.contains("total 1.00")),
        "{error:?}"
    );
    assert!(error.outcome_unknown());

    let order = setup.create("k-contra-2", "10.00").await;
    let path = format!("/orders/{}/actions/close", order.id);
    setup.fault(
        "POST",
        &path,
        Fault::Body {
            text: format!(r#"{{"id":"{}","merchantOrderId":"k-contra-2","orderStatus":"CLOSED","closeAmount":9.00,"total":10.00,"totalOriginal":10.00}}"#, order.id),
        },
    );
    let error = setup
        .client
        .close_order(&order.id, eur("10.00"), &[])
        .await
        .expect_err("contradiction");
    assert!(
        matches!(&error, CallError::Contradiction(text) if text.contains("closed with 9.00")),
        "{error:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_statuses_are_kept_or_leave_the_outcome_unknown() {
    let setup = start().await;
    let order = setup.create("k-status", "10.00").await;
    setup.fault(
        "GET",
        &format!("/orders/{}", order.id),
        Fault::Body {
            text: format!(r#"{{"id":"{}","merchantOrderId":"k-status","orderStatus":"PAID","paymentMethod":"SBP","total":10.00,"totalOriginal":10.00}}"#, order.id),
        },
    );
    let polled = setup
        .client
        .get_order(&order.id)
        .await
        .expect("an unknown status is still an order");
    assert_eq!(polled.order_status, OrderStatus::Unknown("PAID".to_owned()));
    assert_eq!(
        polled.payment_method,
        Some(swip::PaymentMethod::Unknown("SBP".to_owned()))
    );

    setup.fault(
        "POST",
        &format!("/orders/{}/actions/close", order.id),
        Fault::Body {
            text: format!(r#"{{"id":"{}","merchantOrderId":"k-status","orderStatus":"SETTLING","closeAmount":10.00,"total":10.00,"totalOriginal":10.00}}"#, order.id),
        },
    );
    let error = setup
        .client
        .close_order(&order.id, eur("10.00"), &[])
        .await
        .expect_err("not CLOSED");
    assert!(
        matches!(&error, CallError::Contradiction(text) if text.contains("SETTLING")),
        "{error:?}"
    );

    // The Body fault lets the close happen: the order is closed (paid outside the app).
    assert_eq!(setup.emulator_order("k-status").await["orderStatus"], "CLOSED");
    setup.fault(
        "POST",
        "/refunds",
        Fault::Body {
            text: r#"{"status":"PENDING","code":0}"#.to_owned(),
        },
    );
    let error = setup
        .client
        .refund("k-status", eur("1.00"))
        .await
        .expect_err("pending");
    assert!(
        matches!(&error, CallError::Malformed(malformed) if malformed.detail.contains("PENDING")),
        "{error:?}"
    );
    assert!(error.outcome_unknown());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_dropped_after_commit_leaves_the_outcome_unknown() {
    let setup = start().await;
    setup.fault("POST", "/orders", Fault::Drop { after_commit: true });
    let error = setup
        .client
        .create_order(&setup.request("k-drop", "10.00"))
        .await
        .expect_err("dropped");
    assert!(error.outcome_unknown(), "{error:?}");
    // The order exists: asking again with the same merchantOrderId proves it (28).
    assert_eq!(setup.changes("order_created").len(), 1);
    let error = api_error(setup.client.create_order(&setup.request("k-drop", "10.00")).await);
    assert!(matches!(error, SwipError::OrderAlreadyExists { .. }));

    let order = setup.create("k-drop-2", "10.00").await;
    setup.control(&format!("orders/{}/pay", order.id), r#"{}"#).await;
    setup
        .client
        .close_order(&order.id, eur("10.00"), &[])
        .await
        .expect("close");
    setup.fault("POST", "/refunds", Fault::Drop { after_commit: true });
    let error = setup
        .client
        .refund("k-drop-2", eur("4.00"))
        .await
        .expect_err("dropped");
    assert!(error.outcome_unknown());
    assert_eq!(setup.changes("order_refunded").len(), 1);
    assert_eq!(setup.emulator_order("k-drop-2").await["refunded"], "4.00");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_dropped_before_commit_changes_nothing() {
    let setup = start().await;
    setup.fault("POST", "/orders", Fault::Drop { after_commit: false });
    let error = setup
        .client
        .create_order(&setup.request("k-drop", "10.00"))
        .await
        .expect_err("dropped");
    assert!(error.outcome_unknown(), "the client cannot tell: {error:?}");
    assert_eq!(setup.state_changes(), 0);
    setup.create("k-drop", "10.00").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn amounts_keep_their_digits_on_the_wire() {
    let setup = start().await;
    for (index, text) in ["0.1", "4200.5", "840.1", "19.80"].into_iter().enumerate() {
        let id = format!("k-digits-{index}");
        let order = setup.create(&id, text).await;
        assert_eq!(order.total.to_string(), text);
        let logged = setup.changes("order_created");
        assert_eq!(logged[index]["total"], text);
        setup.control(&format!("orders/{}/pay", order.id), r#"{}"#).await;
        let closed = setup
            .client
            .close_order(&order.id, eur(text), &[])
            .await
            .expect("close");
        assert_eq!(
            closed.close_amount.map(|amount| amount.to_string()).as_deref(),
            Some(text)
        );
        setup.client.refund(&id, eur(text)).await.expect("full refund");
        assert_eq!(setup.emulator_order(&id).await["refunded"], text);
    }
}
