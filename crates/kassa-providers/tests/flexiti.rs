//! The Flexiti client against the Flexiti emulator over loopback HTTP: every endpoint,
//! every error code, the idempotency reference, and the failures a till must survive.

use std::str::FromStr;

use kassa_core::{Currency, Money};
use kassa_providers::flexiti::{
    self, AuthorizationFilter, AuthorizationRequest, AuthorizationStatus, CaptureFilter, CaptureRequest,
    CaptureStatus, Client, FlexitiError, PurchaseRequest, ReturnRequest,
};
use kassa_providers::{CallError, Secret, Settings};
use kassa_sandbox::flexiti::{DEMO_ACCOUNT, DEMO_SMALL_ACCOUNT};
use kassa_sandbox::harness::{Fault, FaultRule};
use kassa_sandbox::{Ports, Provider, RunningEmulator};
use rust_decimal::Decimal;
use serde_json::Value;

const CASHIER: &str = "12345-SMITH";

struct Setup {
    emulator: RunningEmulator,
    client: Client,
}

fn settings(base_url: &str, change: impl Fn(&str, &str) -> String) -> Settings {
    let mut settings = Settings {
        base_url: base_url.to_owned(),
        ..Settings::default()
    };
    for (key, value) in kassa_sandbox::flexiti::DEMO_SETTINGS {
        let field = flexiti::FIELDS
            .iter()
            .find(|field| field.key == *key)
            .expect("a Flexiti field");
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
    let emulator = RunningEmulator::start(Provider::Flexiti, Ports::Ephemeral)
        .await
        .expect("emulator starts");
    let client = Client::from_settings(&settings(&emulator.base_url(), |_, value| value.to_owned()))
        .expect("settings");
    Setup { emulator, client }
}

fn cad(text: &str) -> Money {
    Money::new(Decimal::from_str(text).expect("decimal"), Currency::CAD)
}

fn dec(text: &str) -> Decimal {
    Decimal::from_str(text).expect("decimal")
}

fn api_error<T: std::fmt::Debug>(result: Result<T, CallError<FlexitiError>>) -> FlexitiError {
    match result {
        Err(CallError::Api(error)) => error,
        other => panic!("expected a Flexiti error, got {other:?}"),
    }
}

impl Setup {
    fn changes(&self, what: &str) -> Vec<Value> {
        self.emulator.harness().changes(what)
    }

    fn fault(&self, method: &str, path: &str, fault: Fault) {
        self.emulator.harness().add_fault(FaultRule {
            method: Some(method.to_owned()),
            path: format!("{}{path}", kassa_sandbox::flexiti::BASE_PATH),
            fault,
            times: Some(1),
        });
    }

    async fn authorize(&self, reference_id: &str, amount: &str) -> flexiti::Authorization {
        let request = AuthorizationRequest::new(DEMO_ACCOUNT, cad(amount), CASHIER).expect("CAD");
        self.client
            .authorize(reference_id, &request)
            .await
            .expect("authorized")
    }

    async fn capture(&self, reference_id: &str, authorization_id: i64, amount: &str) -> flexiti::Capture {
        let request = CaptureRequest::new(cad(amount), CASHIER).expect("CAD");
        self.client
            .capture(reference_id, authorization_id, &request)
            .await
            .expect("captured")
    }
}

// ---------------------------------------------------------------------------------------
// Every endpoint

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_authorization_is_captured_up_to_its_amount_and_read_back() {
    let setup = start().await;
    let authorization = setup.authorize("ref-auth-1", "3000.12").await;
    assert_eq!(authorization.status, AuthorizationStatus::Opened);
    assert_eq!(authorization.amount.to_string(), "3000.12");
    assert_eq!(setup.changes("authorization_opened").len(), 1);

    let first = setup
        .capture("ref-cap-1", authorization.authorization_id, "1000.12")
        .await;
    assert_eq!(first.status, CaptureStatus::Opened);
    assert_eq!(first.remaining_authorization_amount, Some(dec("2000.00")));
    let second = setup
        .capture("ref-cap-2", authorization.authorization_id, "2000.00")
        .await;
    assert_eq!(second.remaining_authorization_amount, Some(dec("0.00")));
    assert_eq!(setup.changes("capture_made").len(), 2);

    let read = setup
        .client
        .get_authorization(authorization.authorization_id)
        .await
        .expect("get authorization");
    assert_eq!(read.status, AuthorizationStatus::Closed);
    assert_eq!(read.captured_amount, Some(dec("3000.12")));

    let error = api_error(
        setup
            .client
            .capture(
                "ref-cap-3",
                authorization.authorization_id,
                &CaptureRequest::new(cad("0.01"), CASHIER).expect("CAD"),
            )
            .await,
    );
    assert!(
        matches!(error, FlexitiError::AuthorizationNotOpen { .. }),
        "{error:?}"
    );
    assert_eq!(setup.changes("capture_made").len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_capture_beyond_the_authorization_is_refused() {
    let setup = start().await;
    let authorization = setup.authorize("ref-a", "100.00").await;
    let request = CaptureRequest::new(cad("100.01"), CASHIER).expect("CAD");
    let error = api_error(
        setup
            .client
            .capture("ref-c", authorization.authorization_id, &request)
            .await,
    );
    assert!(
        matches!(error, FlexitiError::AmountExceedsAuthorization { .. }),
        "{error:?}"
    );
    assert!(error.to_string().contains("more than what is left"), "{error}");
    assert!(setup.changes("capture_made").is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_purchase_by_account_number_is_returned_in_part_then_in_full() {
    let setup = start().await;
    let request = PurchaseRequest::new(cad("1000.12"), CASHIER).expect("CAD");
    let capture = setup
        .client
        .purchase("ref-p", DEMO_ACCOUNT, &request)
        .await
        .expect("purchase");
    assert_eq!(capture.amount.to_string(), "1000.12");
    assert_eq!(capture.account_number.as_deref(), Some(DEMO_ACCOUNT));
    assert_eq!(setup.changes("authorization_opened").len(), 1);
    assert_eq!(setup.changes("capture_made").len(), 1);

    let partial = ReturnRequest::new(Some(cad("10.00")), CASHIER).expect("CAD");
    let returned = setup
        .client
        .return_capture("ref-r1", capture.authorization_id, capture.capture_id, &partial)
        .await
        .expect("partial return");
    assert_eq!(returned.amount.to_string(), "10.00");
    assert_eq!(returned.remaining_capture_amount, Some(dec("990.12")));

    let full = ReturnRequest::new(None, CASHIER).expect("CAD");
    let returned = setup
        .client
        .return_capture("ref-r2", capture.authorization_id, capture.capture_id, &full)
        .await
        .expect("full return");
    assert_eq!(returned.amount.to_string(), "990.12");
    let logged = setup.changes("capture_returned");
    assert_eq!(logged.len(), 2);
    assert_eq!(logged[1]["returned_amount"], "1000.12");

    let error = api_error(
        setup
            .client
            .return_capture("ref-r3", capture.authorization_id, capture.capture_id, &partial)
            .await,
    );
    assert!(
        matches!(error, FlexitiError::ReturnExceedsCapture { .. }),
        "{error:?}"
    );
    let page = setup
        .client
        .list_captures(&CaptureFilter {
            capture_id: Some(capture.capture_id),
            ..CaptureFilter::default()
        })
        .await
        .expect("list captures");
    assert_eq!(page.captures[0].status, CaptureStatus::Closed);
    assert_eq!(page.captures[0].returned_amount, Some(dec("1000.12")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lists_filter_and_page() {
    let setup = start().await;
    let mut ids = Vec::new();
    for index in 0..3 {
        ids.push(
            setup
                .authorize(&format!("ref-l{index}"), "50.00")
                .await
                .authorization_id,
        );
    }
    setup.capture("ref-lc", ids[0], "50.00").await;
    let small = AuthorizationRequest::new(DEMO_SMALL_ACCOUNT, cad("20.00"), "OTHER-CASHIER").expect("CAD");
    setup
        .client
        .authorize("ref-small", &small)
        .await
        .expect("small account");

    let today = chrono::Utc::now().date_naive();
    let opened = AuthorizationFilter {
        account_number: Some(DEMO_ACCOUNT.to_owned()),
        authorization_status: Some(AuthorizationStatus::Opened),
        creation_date_from: Some(today),
        creation_date_to: Some(today),
        page_number: Some(1),
        page_size: Some(1),
        ..AuthorizationFilter::default()
    };
    let page = setup.client.list_authorizations(&opened).await.expect("page 1");
    assert_eq!(
        page.total_count, 2,
        "two of the demo account's three are still open"
    );
    assert_eq!(page.authorizations.len(), 1);
    let second = setup
        .client
        .list_authorizations(&AuthorizationFilter {
            page_number: Some(2),
            ..opened.clone()
        })
        .await
        .expect("page 2");
    assert_eq!(second.authorizations.len(), 1);
    assert_ne!(
        second.authorizations[0].authorization_id,
        page.authorizations[0].authorization_id
    );
    let yesterday = today.pred_opt().expect("a day before");
    let none = setup
        .client
        .list_authorizations(&AuthorizationFilter {
            creation_date_to: Some(yesterday),
            ..AuthorizationFilter::default()
        })
        .await
        .expect("empty page");
    assert_eq!(none.total_count, 0);

    let by_cashier = setup
        .client
        .list_captures(&CaptureFilter {
            capture_employee_username: Some(CASHIER.to_owned()),
            authorization_location_id: Some(kassa_sandbox::flexiti::DEMO_LOCATION_ID.to_owned()),
            capture_status: Some(CaptureStatus::Opened),
            ..CaptureFilter::default()
        })
        .await
        .expect("captures");
    assert_eq!(by_cashier.captures.len(), 1);
    assert_eq!(by_cashier.captures[0].authorization_id, ids[0]);
    let nobody = setup
        .client
        .list_captures(&CaptureFilter {
            capture_employee_username: Some("OTHER-CASHIER".to_owned()),
            ..CaptureFilter::default()
        })
        .await
        .expect("captures");
    assert!(nobody.captures.is_empty());

    let error = api_error(
        setup
            .client
            .list_captures(&CaptureFilter {
                page_size: Some(500),
                ..CaptureFilter::default()
            })
            .await,
    );
    assert!(matches!(error, FlexitiError::InvalidRequest { .. }), "{error:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_connection_proves_and_disproves_the_credentials() {
    let setup = start().await;
    setup.client.test_connection().await.expect("demo credentials");
    let wrong_key = Client::from_settings(&settings(&setup.emulator.base_url(), |key, value| {
        if key == "api_key" {
            "flx_wrong".to_owned()
        } else {
            value.to_owned()
        }
    }))
    .expect("settings");
    let error = api_error(wrong_key.test_connection().await);
    assert!(matches!(error, FlexitiError::Unauthorized { .. }), "{error:?}");
    let other_client = Client::from_settings(&settings(&setup.emulator.base_url(), |key, value| {
        if key == "client_id" {
            "someone-else".to_owned()
        } else {
            value.to_owned()
        }
    }))
    .expect("settings");
    let error = api_error(other_client.test_connection().await);
    assert!(matches!(error, FlexitiError::Forbidden { .. }), "{error:?}");
    let bad = settings(&setup.emulator.base_url(), |key, value| {
        if key == "client_id" {
            "a/b".to_owned()
        } else {
            value.to_owned()
        }
    });
    assert!(
        Client::from_settings(&bad)
            .expect_err("slash")
            .to_string()
            .contains("Client ID")
    );
}

// ---------------------------------------------------------------------------------------
// The idempotency reference

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_repeated_reference_is_answered_once_and_a_new_one_acts_again() {
    let setup = start().await;
    let authorization = setup.authorize("ref-idem-a", "100.00").await;
    let first = setup
        .capture("ref-idem-c", authorization.authorization_id, "30.00")
        .await;
    let again = setup
        .capture("ref-idem-c", authorization.authorization_id, "30.00")
        .await;
    assert_eq!(first, again);
    assert_eq!(setup.changes("capture_made").len(), 1);
    assert_eq!(setup.changes("request_replayed").len(), 1);

    // Without the reference's promise a second capture is a second capture.
    let other = setup
        .capture("ref-idem-c2", authorization.authorization_id, "30.00")
        .await;
    assert_ne!(other.capture_id, first.capture_id);
    assert_eq!(setup.changes("capture_made").len(), 2);

    let request = CaptureRequest::new(cad("5.00"), CASHIER).expect("CAD");
    let error = api_error(
        setup
            .client
            .capture("ref-idem-c", authorization.authorization_id, &request)
            .await,
    );
    assert!(
        matches!(error, FlexitiError::ReferenceConflict { .. }),
        "{error:?}"
    );
    assert_eq!(setup.changes("capture_made").len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_dropped_after_commit_is_resolved_by_the_same_reference() {
    let setup = start().await;
    let authorization = setup.authorize("ref-drop-a", "100.00").await;
    let path = format!(
        "/client-id/kassa-demo/authorization/{}/capture",
        authorization.authorization_id
    );
    setup.fault("POST", &path, Fault::Drop { after_commit: true });
    let request = CaptureRequest::new(cad("40.00"), CASHIER).expect("CAD");
    let error = setup
        .client
        .capture("ref-drop-c", authorization.authorization_id, &request)
        .await
        .expect_err("dropped");
    assert!(error.outcome_unknown(), "{error:?}");
    assert_eq!(setup.changes("capture_made").len(), 1, "the capture happened");

    let replayed = setup
        .client
        .capture("ref-drop-c", authorization.authorization_id, &request)
        .await
        .expect("the first answer again");
    assert_eq!(replayed.amount.to_string(), "40.00");
    assert_eq!(setup.changes("capture_made").len(), 1, "and happened once");
}

// ---------------------------------------------------------------------------------------
// Errors and bad input

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn credit_accounts_and_ids_are_checked() {
    let setup = start().await;
    let too_much = AuthorizationRequest::new(DEMO_SMALL_ACCOUNT, cad("100.01"), CASHIER).expect("CAD");
    let error = api_error(setup.client.authorize("ref-credit", &too_much).await);
    assert!(
        matches!(error, FlexitiError::InsufficientCredit { .. }),
        "{error:?}"
    );
    let unknown = AuthorizationRequest::new("99999999", cad("1.00"), CASHIER).expect("CAD");
    let error = api_error(setup.client.authorize("ref-unknown", &unknown).await);
    assert!(matches!(error, FlexitiError::NotFound { .. }), "{error:?}");
    let error = api_error(setup.client.get_authorization(1).await);
    assert!(matches!(error, FlexitiError::NotFound { .. }), "{error:?}");
    let error = api_error(
        setup
            .client
            .return_capture("ref-ret", 1, 2, &ReturnRequest::new(None, CASHIER).expect("CAD"))
            .await,
    );
    assert!(matches!(error, FlexitiError::NotFound { .. }), "{error:?}");
    assert!(setup.changes("authorization_opened").is_empty());

    let authorization = setup.authorize("ref-exp", "10.00").await;
    let answer = reqwest::Client::new()
        .post(format!(
            "{}/_sandbox/authorizations/{}/expire",
            setup.emulator.origin(),
            authorization.authorization_id
        ))
        .send()
        .await
        .expect("expire");
    assert_eq!(answer.status(), 204);
    let error = api_error(
        setup
            .client
            .capture(
                "ref-exp-c",
                authorization.authorization_id,
                &CaptureRequest::new(cad("1.00"), CASHIER).expect("CAD"),
            )
            .await,
    );
    assert!(
        matches!(error, FlexitiError::AuthorizationNotOpen { .. }),
        "{error:?}"
    );
    let read = setup
        .client
        .get_authorization(authorization.authorization_id)
        .await
        .expect("read");
    assert_eq!(read.status, AuthorizationStatus::Expired);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_the_client_refuses_never_reaches_flexiti() {
    let setup = start().await;
    let fine = AuthorizationRequest {
        amount: dec("10.005"),
        ..AuthorizationRequest::new(DEMO_ACCOUNT, cad("1.00"), CASHIER).expect("CAD")
    };
    let error = setup
        .client
        .authorize("ref-fine", &fine)
        .await
        .expect_err("three decimals");
    assert!(
        matches!(&error, CallError::Refused(text) if text.contains("10.005 CAD has more than 2 decimals")),
        "{error:?}"
    );
    assert!(
        AuthorizationRequest::new(DEMO_ACCOUNT, Money::new(dec("1.00"), Currency::EUR), CASHIER).is_err()
    );
    let no_cashier = AuthorizationRequest {
        external_employee_id: None,
        ..AuthorizationRequest::new(DEMO_ACCOUNT, cad("1.00"), CASHIER).expect("CAD")
    };
    let error = setup
        .client
        .authorize("ref-nc", &no_cashier)
        .await
        .expect_err("no cashier");
    assert!(
        matches!(&error, CallError::Refused(text) if text.contains("external_employee_id")),
        "{error:?}"
    );
    let request = AuthorizationRequest::new(DEMO_ACCOUNT, cad("1.00"), CASHIER).expect("CAD");
    let error = setup
        .client
        .authorize("", &request)
        .await
        .expect_err("no reference");
    assert!(matches!(error, CallError::Refused(_)));
    let error = setup
        .client
        .return_capture(
            "ref-x",
            1,
            2,
            &ReturnRequest {
                amount: None,
                full_return: false,
                ..ReturnRequest::new(None, CASHIER).expect("CAD")
            },
        )
        .await
        .expect_err("no amount");
    assert!(matches!(error, CallError::Refused(_)));
    let requests = setup
        .emulator
        .harness()
        .log()
        .iter()
        .filter(|entry| entry.kind == "request")
        .count();
    assert_eq!(requests, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_emulator_refuses_a_transaction_without_its_reference() {
    let setup = start().await;
    let answer = reqwest::Client::new()
        .post(format!("{}/client-id/kassa-demo/authorization", setup.emulator.base_url()))
        .bearer_auth(kassa_sandbox::flexiti::DEMO_API_KEY)
        .body(r#"{"account_number":"12341234","amount":1.00,"external_location_id":"l","external_employee_id":"e"}"#)
        .send()
        .await
        .expect("answer");
    assert_eq!(answer.status(), 400);
    let body: Value = answer.json().await.expect("error body");
    assert_eq!(body["status"], "invalid_request");
    assert!(setup.changes("authorization_opened").is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_statuses_from_faults_are_typed() {
    let setup = start().await;
    for status in [401, 403, 404, 429, 500, 503] {
        setup.fault(
            "POST",
            "/client-id/kassa-demo/authorization",
            Fault::Status {
                status,
                after_commit: false,
            },
        );
        let request = AuthorizationRequest::new(DEMO_ACCOUNT, cad("1.00"), CASHIER).expect("CAD");
        let error = setup
            .client
            .authorize(&format!("ref-{status}"), &request)
            .await
            .expect_err("fault");
        match (status, &error) {
            (401, CallError::Api(FlexitiError::Unauthorized { .. }))
            | (403, CallError::Api(FlexitiError::Forbidden { .. }))
            | (404, CallError::Api(FlexitiError::NotFound { .. })) => assert!(!error.outcome_unknown()),
            (429 | 500 | 503, CallError::Status { status: got, .. }) if *got == status => {
                assert_eq!(error.outcome_unknown(), status >= 500);
            }
            _ => panic!("{status}: {error:?}"),
        }
    }
    setup.fault(
        "GET",
        "/client-id/kassa-demo/authorizations",
        Fault::TooManyRequests { retry_after_secs: 2 },
    );
    let error = setup.client.test_connection().await.expect_err("429");
    assert!(
        matches!(error, CallError::Status { status: 429, retry_after: Some(after), .. } if after.as_secs() == 2)
    );
    assert!(setup.changes("authorization_opened").is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn broken_bodies_bad_amounts_contradictions_and_unknown_statuses() {
    let setup = start().await;
    let authorization = setup.authorize("ref-b", "100.00").await;
    let id = authorization.authorization_id;
    let get_path = format!("/client-id/kassa-demo/authorization/{id}");
    for fault in [
        Fault::Body {
            text: "<html>proxy error</html>".to_owned(),
        },
        Fault::Truncate,
        Fault::Body {
            text: r#"{"authorizations":[]}"#.to_owned(),
        },
        Fault::Body {
            text: format!(r#"{{"authorization_id":{id},"status":"opened","amount":100.005}}"#),
        },
    ] {
        setup.fault("GET", &get_path, fault.clone());
        let error = setup.client.get_authorization(id).await.expect_err("broken");
        assert!(matches!(error, CallError::Malformed(_)), "{fault:?}: {error:?}");
    }

    setup.fault(
        "GET",
        &get_path,
        Fault::Body {
            text: format!(r#"{{"authorization_id":{id},"status":"suspended","transaction_type":"layaway","amount":100.00}}"#),
        },
    );
    let read = setup
        .client
        .get_authorization(id)
        .await
        .expect("an unknown status is kept");
    assert_eq!(read.status, AuthorizationStatus::Unknown("suspended".to_owned()));
    assert_eq!(
        read.transaction_type,
        Some(flexiti::TransactionType::Unknown("layaway".to_owned()))
    );

    setup.fault(
        "GET",
        &get_path,
        Fault::Body {
            text: r#"{"authorization_id":1,"status":"opened","amount":100.00}"#.to_owned(),
        },
    );
    let error = setup.client.get_authorization(id).await.expect_err("another id");
    assert!(matches!(error, CallError::Contradiction(_)), "{error:?}");

    let capture_path = format!("/client-id/kassa-demo/authorization/{id}/capture");
    setup.fault(
        "POST",
        &capture_path,
        Fault::Body {
            text: format!(r#"{{"capture_id":9,"authorization_id":{id},"amount":25.00,"status":"opened"}}"#),
        },
    );
    let request = CaptureRequest::new(cad("20.00"), CASHIER).expect("CAD");
    let error = setup
        .client
        .capture("ref-contra", id, &request)
        .await
        .expect_err("another amount");
    assert!(
        matches!(&error, CallError::Contradiction(text) if text.contains("captured 25.00")),
        "{error:?}"
    );
    assert!(error.outcome_unknown());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn amounts_keep_their_digits_on_the_wire() {
    let setup = start().await;
    for (index, text) in ["0.1", "4200.5", "840.1", "19.80"].into_iter().enumerate() {
        let authorization = setup.authorize(&format!("ref-d{index}"), text).await;
        assert_eq!(authorization.amount.to_string(), text);
        assert_eq!(setup.changes("authorization_opened")[index]["amount"], text);
        let capture = setup
            .capture(&format!("ref-dc{index}"), authorization.authorization_id, text)
            .await;
        assert_eq!(capture.amount.to_string(), text);
        let returned = setup
            .client
            .return_capture(
                &format!("ref-dr{index}"),
                authorization.authorization_id,
                capture.capture_id,
                &ReturnRequest::new(Some(cad(text)), CASHIER).expect("CAD"),
            )
            .await
            .expect("return");
        assert_eq!(returned.amount.to_string(), text);
        assert_eq!(setup.changes("capture_returned")[index]["amount"], text);
    }
}
