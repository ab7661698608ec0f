//! The DropPay client against the emulator over loopback HTTP: every endpoint, the
//! documented errors, and the failures the client must tell apart.

use std::time::Duration;

use kassa_providers::droppay::{self, Client, DropPayError, PosStatus, PosUpdate};
use kassa_providers::{CallError, Secret, Settings};
use kassa_sandbox::droppay::{
    DEMO_SETTINGS, OTHER_BRAND_ID, SECOND_APPLICATION_KEY, SECOND_STORE_ID, TOKEN_WITHOUT_POS_SCOPE,
};
use kassa_sandbox::{Fault, FaultRule, Ports, Provider, RunningEmulator};

async fn emulator() -> RunningEmulator {
    RunningEmulator::start(Provider::DropPay, Ports::Ephemeral)
        .await
        .unwrap()
}

fn settings(emulator: &RunningEmulator) -> Settings {
    let mut settings = Settings {
        base_url: emulator.base_url(),
        ..Settings::default()
    };
    for (key, value) in DEMO_SETTINGS {
        let field = droppay::FIELDS.iter().find(|field| field.key == *key).unwrap();
        if field.secret {
            settings.secrets.insert((*key).to_owned(), Secret::new(*value));
        } else {
            settings.values.insert((*key).to_owned(), (*value).to_owned());
        }
    }
    settings
}

fn client(emulator: &RunningEmulator) -> Client {
    Client::from_settings(&settings(emulator)).unwrap()
}

fn client_with(emulator: &RunningEmulator, key: &str, value: &str) -> Client {
    let mut settings = settings(emulator);
    if key == "access_token" {
        settings.secrets.insert(key.to_owned(), Secret::new(value));
    } else {
        settings.values.insert(key.to_owned(), value.to_owned());
    }
    Client::from_settings(&settings).unwrap()
}

fn api_error<T: std::fmt::Debug>(result: Result<T, CallError<DropPayError>>) -> DropPayError {
    match result {
        Err(CallError::Api(error)) => error,
        other => panic!("expected a DropPay error answer, got {other:?}"),
    }
}

fn fault(emulator: &RunningEmulator, method: &str, path: &str, fault: Fault) {
    emulator.harness().add_fault(FaultRule {
        method: Some(method.to_owned()),
        path: path.to_owned(),
        fault,
        times: Some(1),
    });
}

async fn control(emulator: &RunningEmulator, path: &str) {
    let answer = reqwest::Client::new()
        .post(format!("{}/_sandbox/droppay/{path}", emulator.origin()))
        .send()
        .await
        .unwrap();
    assert!(answer.status().is_success());
}

const POS_PATH: &str = "/shop/v1/brand/*/store/*/pos";
const ONE_POS_PATH: &str = "/shop/v1/brand/*/store/*/pos/*";

#[tokio::test]
async fn a_device_is_registered_read_disabled_moved_and_soft_deleted() {
    let emulator = emulator().await;
    let client = client(&emulator);
    client.test_connection().await.unwrap();

    let pos = client.create_pos().await.unwrap();
    assert_eq!(pos.status, PosStatus::Enabled);
    assert!(pos.id.starts_with("POS"), "{}", pos.id);
    assert_eq!(pos.device.reference, "0385a889-03b2-4bac-ac5e-710042b2ba27");
    assert_eq!(pos.device.name.as_deref(), Some("my Application name"));
    let store = pos.store.as_ref().unwrap();
    assert_eq!(store.georef.as_ref().unwrap().lat.as_str(), "41.8922566");
    assert_eq!(emulator.harness().changes("pos_created").len(), 1);

    let read = client.get_pos(&pos.id).await.unwrap();
    assert_eq!(read, pos);

    let disabled = client
        .update_pos(
            &pos.id,
            &PosUpdate {
                status: Some(PosStatus::Disabled),
                application_key: Some(SECOND_APPLICATION_KEY.to_owned()),
            },
        )
        .await
        .unwrap();
    assert_eq!(disabled.status, PosStatus::Disabled);
    assert_eq!(disabled.device.reference, SECOND_APPLICATION_KEY);
    assert_eq!(disabled.device.name.as_deref(), Some("my new Application name"));
    let enabled = client
        .update_pos(
            &pos.id,
            &PosUpdate {
                status: Some(PosStatus::Enabled),
                application_key: None,
            },
        )
        .await
        .unwrap();
    assert_eq!(enabled.device.reference, SECOND_APPLICATION_KEY);
    assert_eq!(emulator.harness().changes("pos_updated").len(), 2);

    client.delete_pos(&pos.id).await.unwrap();
    assert_eq!(emulator.harness().changes("pos_deleted").len(), 1);
    // Not physical: the POS is still there, marked deleted.
    let deleted = client.get_pos(&pos.id).await.unwrap();
    assert_eq!(deleted.status, PosStatus::Deleted);
    // A client configured with the deleted POS still connects.
    client_with(&emulator, "pos_id", &pos.id)
        .test_connection()
        .await
        .unwrap();

    let error = api_error(
        client
            .update_pos(
                &pos.id,
                &PosUpdate {
                    status: Some(PosStatus::Enabled),
                    application_key: None,
                },
            )
            .await,
    );
    assert!(matches!(error, DropPayError::AccessDenied { .. }), "{error}");
    let error = api_error(client.delete_pos(&pos.id).await);
    assert!(matches!(error, DropPayError::AccessDenied { .. }), "{error}");
    assert_eq!(emulator.harness().changes("pos_deleted").len(), 1);
    assert_eq!(emulator.harness().changes("pos_updated").len(), 2);
}

#[tokio::test]
async fn the_same_application_can_be_registered_twice() {
    let emulator = emulator().await;
    let first = client(&emulator).create_pos().await.unwrap();
    let second = client(&emulator).create_pos().await.unwrap();
    let elsewhere = client_with(&emulator, "store_id", SECOND_STORE_ID)
        .create_pos()
        .await
        .unwrap();
    assert_ne!(first.id, second.id);
    assert_eq!(elsewhere.store.unwrap().id, SECOND_STORE_ID);
    assert_eq!(emulator.harness().changes("pos_created").len(), 3);
    // A POS of another store is not found under this one.
    client(&emulator).get_pos(&second.id).await.unwrap();
    let error = api_error(client(&emulator).get_pos(&elsewhere.id).await);
    assert_eq!(error, DropPayError::NotFound);
}

#[tokio::test]
async fn a_create_whose_answer_was_lost_is_unknown_and_was_made() {
    let emulator = emulator().await;
    fault(&emulator, "POST", POS_PATH, Fault::Drop { after_commit: true });
    let error = client(&emulator).create_pos().await.unwrap_err();
    assert!(error.outcome_unknown(), "{error:?}");
    assert_eq!(emulator.harness().changes("pos_created").len(), 1);
    fault(
        &emulator,
        "POST",
        POS_PATH,
        Fault::Status {
            status: 503,
            after_commit: true,
        },
    );
    let error = client(&emulator).create_pos().await.unwrap_err();
    assert!(error.outcome_unknown(), "{error:?}");
    fault(&emulator, "POST", POS_PATH, Fault::Truncate);
    let error = client(&emulator).create_pos().await.unwrap_err();
    assert!(matches!(error, CallError::Malformed(_)), "{error:?}");
    assert!(error.outcome_unknown());
    assert_eq!(emulator.harness().changes("pos_created").len(), 3);
}

#[tokio::test]
async fn an_expired_token_asks_for_a_new_one() {
    let emulator = emulator().await;
    let client = client(&emulator);
    let pos = client.create_pos().await.unwrap();
    control(&emulator, "token/expire").await;
    let error = api_error(client.get_pos(&pos.id).await);
    assert_eq!(error, DropPayError::TokenExpired);
    assert!(error.needs_new_token());
    assert!(
        error.to_string().contains("paste a new user access token"),
        "{error}"
    );
    let error = api_error(client.delete_pos(&pos.id).await);
    assert_eq!(error, DropPayError::TokenExpired);
    assert!(emulator.harness().changes("pos_deleted").is_empty());
    control(&emulator, "token/renew").await;
    client.delete_pos(&pos.id).await.unwrap();
}

#[tokio::test]
async fn documented_errors_are_typed() {
    let emulator = emulator().await;
    let error = api_error(
        client_with(&emulator, "access_token", "wrong")
            .test_connection()
            .await,
    );
    assert_eq!(error, DropPayError::TokenExpired);
    let error = api_error(
        client_with(&emulator, "access_token", TOKEN_WITHOUT_POS_SCOPE)
            .create_pos()
            .await,
    );
    assert_eq!(error, DropPayError::OutOfScope);
    let error = api_error(
        client_with(&emulator, "brand_id", "NOTABRAND")
            .test_connection()
            .await,
    );
    assert!(matches!(error, DropPayError::WrongPublicId { .. }), "{error}");
    // An unknown brand is a 404 like an unknown POS, so only a create or a read of a
    // registered POS shows it.
    let error = api_error(
        client_with(&emulator, "brand_id", "BRNUNKNOWN1")
            .create_pos()
            .await,
    );
    assert_eq!(error, DropPayError::NotFound);
    let mut other = settings(&emulator);
    other
        .values
        .insert("brand_id".to_owned(), OTHER_BRAND_ID.to_owned());
    other
        .values
        .insert("store_id".to_owned(), "STROTHERSTORE1".to_owned());
    let other = Client::from_settings(&other).unwrap();
    let error = api_error(other.create_pos().await);
    assert!(matches!(error, DropPayError::AccessDenied { .. }), "{error}");
    let error = api_error(
        client_with(&emulator, "application_key", "not-registered")
            .create_pos()
            .await,
    );
    assert!(matches!(error, DropPayError::WrongArguments { .. }), "{error}");
    let error = api_error(client(&emulator).get_pos("POSNOSUCH1").await);
    assert_eq!(error, DropPayError::NotFound);
    assert!(emulator.harness().changes("pos_created").is_empty());
}

#[tokio::test]
async fn bodies_the_emulator_refuses_have_the_documented_codes() {
    let emulator = emulator().await;
    let pos = client(&emulator).create_pos().await.unwrap();
    let send = |method: reqwest::Method, path: String, body: &'static str| {
        let url = format!(
            "{}/brand/BRNC8K195PZ1Q/store/STRX88DHT129M/{path}",
            emulator.base_url()
        );
        async move {
            let answer = reqwest::Client::new()
                .request(method, url)
                .bearer_auth(kassa_sandbox::droppay::ACCESS_TOKEN)
                .header("content-type", "application/json")
                .body(body)
                .send()
                .await
                .unwrap();
            let status = answer.status().as_u16();
            let info: droppay::wire::ErrorInfo = answer.json().await.unwrap();
            DropPayError::from_status(
                status,
                Some((info.code.as_str(), info.description.as_deref().unwrap_or(""))),
            )
            .unwrap()
        }
    };
    let error = send(reqwest::Method::POST, "pos".to_owned(), r#"{}"#).await;
    assert!(matches!(error, DropPayError::MissingArguments { .. }), "{error}");
    let error = send(
        reqwest::Method::POST,
        "pos".to_owned(),
        r#"{"device":{"type":"TERMINAL","ref":"0385a889-03b2-4bac-ac5e-710042b2ba27"}}"#,
    )
    .await;
    assert!(matches!(error, DropPayError::WrongArguments { .. }), "{error}");
    let error = send(
        reqwest::Method::PATCH,
        format!("pos/{}", pos.id),
        r#"{"status":"DELETED"}"#,
    )
    .await;
    assert!(matches!(error, DropPayError::WrongArguments { .. }), "{error}");
    let error = send(reqwest::Method::PATCH, format!("pos/{}", pos.id), r#"{}"#).await;
    assert!(matches!(error, DropPayError::MissingArguments { .. }), "{error}");
    let error = send(reqwest::Method::GET, "pos/not-a-pos".to_owned(), "").await;
    assert!(matches!(error, DropPayError::WrongPublicId { .. }), "{error}");
    assert!(emulator.harness().changes("pos_updated").is_empty());
    assert_eq!(emulator.harness().changes("pos_created").len(), 1);
}

#[test]
fn every_common_error_code_has_its_variant() {
    let cases: [(u16, Option<&str>, DropPayError); 17] = [
        (
            400,
            Some("100"),
            DropPayError::MissingArguments {
                description: "d".into(),
            },
        ),
        (
            400,
            Some("101"),
            DropPayError::WrongArguments {
                description: "d".into(),
            },
        ),
        (
            400,
            Some("102"),
            DropPayError::WrongDateTime {
                description: "d".into(),
            },
        ),
        (
            400,
            Some("103"),
            DropPayError::WrongPublicId {
                description: "d".into(),
            },
        ),
        (400, Some("104"), DropPayError::InvalidIban),
        (400, Some("105"), DropPayError::InvalidVatCode),
        (400, Some("106"), DropPayError::InvalidTaxCode),
        (400, None, DropPayError::BadRequest),
        (401, Some("100"), DropPayError::WrongCredentials),
        (401, Some("101"), DropPayError::OutOfScope),
        (401, Some("102"), DropPayError::TokenExpired),
        (401, None, DropPayError::TokenExpired),
        (403, Some("100"), DropPayError::BadSignature),
        (
            403,
            Some("101"),
            DropPayError::AccessDenied {
                description: "d".into(),
            },
        ),
        (404, None, DropPayError::NotFound),
        (405, Some("100"), DropPayError::MethodNotAllowed),
        (
            409,
            Some("199"),
            DropPayError::Unknown {
                status: 409,
                code: "199".into(),
                description: "d".into(),
            },
        ),
    ];
    for (status, code, expected) in cases {
        assert_eq!(
            DropPayError::from_status(status, code.map(|code| (code, "d"))),
            Some(expected),
            "{status} {code:?}"
        );
    }
    assert_eq!(DropPayError::from_status(429, None), None);
}

#[tokio::test]
async fn statuses_without_a_body_are_typed_by_status() {
    let emulator = emulator().await;
    let pos = client(&emulator).create_pos().await.unwrap();
    let client = client_with(&emulator, "pos_id", &pos.id);
    let expected = [
        (401, Some(DropPayError::TokenExpired)),
        (
            403,
            Some(DropPayError::AccessDenied {
                description: String::new(),
            }),
        ),
        (404, Some(DropPayError::NotFound)),
        (500, None),
        (503, None),
    ];
    for (status, typed) in expected {
        fault(
            &emulator,
            "GET",
            ONE_POS_PATH,
            Fault::Status {
                status,
                after_commit: false,
            },
        );
        let error = client.test_connection().await.unwrap_err();
        match typed {
            Some(typed) => assert_eq!(error, CallError::Api(typed), "{status}"),
            None => {
                assert!(
                    matches!(error, CallError::Status { status: got, .. } if got == status),
                    "{error:?}"
                );
                assert!(error.outcome_unknown());
            }
        }
    }
    fault(
        &emulator,
        "GET",
        ONE_POS_PATH,
        Fault::TooManyRequests { retry_after_secs: 3 },
    );
    let error = client.test_connection().await.unwrap_err();
    assert!(
        matches!(error, CallError::Status { status: 429, retry_after: Some(after), .. } if after == Duration::from_secs(3)),
        "{error:?}"
    );
    assert!(!error.outcome_unknown());
}

#[tokio::test]
async fn unreadable_and_contradicting_answers_are_refused() {
    let emulator = emulator().await;
    let client = client(&emulator);
    let pos = client.create_pos().await.unwrap();
    for body in ["<html>proxy</html>", r#"{"id":5}"#] {
        fault(
            &emulator,
            "GET",
            ONE_POS_PATH,
            Fault::Body {
                text: body.to_owned(),
            },
        );
        let error = client.get_pos(&pos.id).await.unwrap_err();
        assert!(matches!(error, CallError::Malformed(_)), "{error:?}");
    }
    fault(&emulator, "GET", ONE_POS_PATH, Fault::Truncate);
    assert!(matches!(
        client.get_pos(&pos.id).await,
        Err(CallError::Malformed(_))
    ));

    let answer = |id: &str, status: &str, reference: &str| {
        format!(r#"{{"id":"{id}","status":"{status}","device":{{"type":"APP","ref":"{reference}"}}}}"#)
    };
    fault(
        &emulator,
        "GET",
        ONE_POS_PATH,
        Fault::Body {
            text: answer("POSOTHER1", "ENABLED", "x"),
        },
    );
    assert!(matches!(
        client.get_pos(&pos.id).await,
        Err(CallError::Contradiction(_))
    ));
    fault(
        &emulator,
        "POST",
        POS_PATH,
        Fault::Body {
            text: answer("POSNEW1", "ENABLED", "another-key"),
        },
    );
    assert!(matches!(
        client.create_pos().await,
        Err(CallError::Contradiction(_))
    ));
    // An unknown status value is kept for a read, and contradicts a create.
    fault(
        &emulator,
        "GET",
        ONE_POS_PATH,
        Fault::Body {
            text: answer(&pos.id, "SUSPENDED", "x"),
        },
    );
    assert_eq!(
        client.get_pos(&pos.id).await.unwrap().status,
        PosStatus::Unknown("SUSPENDED".to_owned())
    );
    fault(
        &emulator,
        "POST",
        POS_PATH,
        Fault::Body {
            text: answer("POSNEW2", "SUSPENDED", "0385a889-03b2-4bac-ac5e-710042b2ba27"),
        },
    );
    let error = client.create_pos().await.unwrap_err();
    assert!(
        matches!(&error, CallError::Contradiction(text) if text.contains("SUSPENDED")),
        "{error:?}"
    );
    assert!(error.outcome_unknown());
    fault(
        &emulator,
        "PATCH",
        ONE_POS_PATH,
        Fault::Body {
            text: answer(&pos.id, "ENABLED", "0385a889-03b2-4bac-ac5e-710042b2ba27"),
        },
    );
    let error = client
        .update_pos(
            &pos.id,
            &PosUpdate {
                status: Some(PosStatus::Disabled),
                application_key: None,
            },
        )
        .await
        .unwrap_err();
    assert!(matches!(error, CallError::Contradiction(_)), "{error:?}");
}

#[tokio::test]
async fn bad_input_is_refused_before_sending() {
    let emulator = emulator().await;
    let client = client(&emulator);
    for result in [
        client.get_pos("POS/../x").await.map(|_| ()),
        client.delete_pos("").await,
        client.update_pos("POS1", &PosUpdate::default()).await.map(|_| ()),
        client
            .update_pos(
                "POS1",
                &PosUpdate {
                    status: Some(PosStatus::Deleted),
                    application_key: None,
                },
            )
            .await
            .map(|_| ()),
    ] {
        assert!(matches!(result, Err(CallError::Refused(_))), "{result:?}");
    }
    assert!(
        emulator
            .harness()
            .log()
            .iter()
            .all(|entry| entry.kind != "request")
    );
    let mut missing = settings(&emulator);
    missing.secrets.clear();
    assert!(
        Client::from_settings(&missing)
            .unwrap_err()
            .to_string()
            .contains("access_token")
    );
    let mut bad = settings(&emulator);
    bad.values.insert("store_id".to_owned(), "STR/1".to_owned());
    assert!(
        Client::from_settings(&bad)
            .unwrap_err()
            .to_string()
            .contains("store_id")
    );
}
