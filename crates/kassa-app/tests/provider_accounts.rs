//! Provider accounts and **Test connection**, over real loopback HTTP to the sandbox's
//! emulators, on a real SQLite file and a real secret store (the keyring where one
//! answers, else the 0600 file — CI has no keyring service, so there it is the file).

mod common;

use std::collections::BTreeMap;

use kassa_app::{
    ConnectionTestCode, ErrorCode, Kassa, Provider, ProviderAccountInput, SecretBackend, provider_fields,
};
use kassa_sandbox::harness::{Fault, FaultRule};
use kassa_sandbox::{BackgroundSandbox, Ports, RunningEmulator};

const ALL: [(Provider, kassa_sandbox::Provider); 5] = [
    (Provider::Swip, kassa_sandbox::Provider::Swip),
    (Provider::Vourity, kassa_sandbox::Provider::Vourity),
    (Provider::Flexiti, kassa_sandbox::Provider::Flexiti),
    (Provider::VenueManager, kassa_sandbox::Provider::VenueManager),
    (Provider::Droppay, kassa_sandbox::Provider::DropPay),
];

fn demo_settings(emulated: kassa_sandbox::Provider) -> &'static [(&'static str, &'static str)] {
    match emulated {
        kassa_sandbox::Provider::Swip => kassa_sandbox::swip::DEMO_SETTINGS,
        kassa_sandbox::Provider::Vourity => kassa_sandbox::vourity::DEMO_SETTINGS,
        kassa_sandbox::Provider::Flexiti => kassa_sandbox::flexiti::DEMO_SETTINGS,
        kassa_sandbox::Provider::VenueManager => kassa_sandbox::venue_manager::DEMO_SETTINGS,
        kassa_sandbox::Provider::DropPay => kassa_sandbox::droppay::DEMO_SETTINGS,
    }
}

/// The demo account of `provider` pointed at `emulator`, with every credential replaced by
/// `wrong_secret` when one is given.
fn account_input(
    provider: Provider,
    emulator: &RunningEmulator,
    wrong_secret: Option<&str>,
) -> ProviderAccountInput {
    let fields = provider_fields(provider);
    let mut input = ProviderAccountInput {
        base_url: emulator.base_url(),
        ..Default::default()
    };
    for (key, value) in demo_settings(emulator.provider()) {
        if fields.iter().any(|f| f.key == *key && f.secret) {
            input
                .secrets
                .insert((*key).into(), wrong_secret.unwrap_or(value).into());
        } else {
            input.values.insert((*key).into(), (*value).into());
        }
    }
    input
}

fn till_1(kassa: &Kassa, manager: &kassa_app::Actor) -> i64 {
    kassa
        .list_pos_devices(manager, None, false)
        .unwrap()
        .into_iter()
        .find(|p| p.name == "Till 1")
        .expect("the demo has Till 1")
        .id
}

fn emulator(sandbox: &BackgroundSandbox, emulated: kassa_sandbox::Provider) -> &RunningEmulator {
    sandbox.sandbox().emulator(emulated)
}

#[test]
fn every_provider_connects_with_the_demo_credentials_and_none_is_written_to_sqlite() {
    let till = common::demo_till(&[]);
    let sandbox = BackgroundSandbox::start(Ports::Ephemeral).unwrap();
    let pos = till_1(&till.kassa, &till.manager);
    for (provider, emulated) in ALL {
        let input = account_input(provider, emulator(&sandbox, emulated), None);
        let view = till
            .kassa
            .set_provider_account(&till.manager, pos, provider, input)
            .unwrap();
        // DropPay's POS id is filled in by registration, not by the manager.
        assert!(
            view.fields
                .iter()
                .all(|f| f.is_set || (provider == Provider::Droppay && f.key == "pos_id")),
            "{provider:?}: {view:?}"
        );
        assert!(
            view.fields
                .iter()
                .filter(|f| f.secret)
                .all(|f| f.value.is_none() && f.is_set)
        );
        let test = till
            .kassa
            .test_provider_account(&till.manager, pos, provider)
            .unwrap();
        assert!(test.ok, "{provider:?}: {test:?}");
        assert_eq!(test.code, ConnectionTestCode::Ok);
    }
    // The stored result is what the settings screen shows.
    for view in till.kassa.provider_accounts(&till.manager, pos).unwrap() {
        assert_eq!(view.test_ok, Some(true), "{view:?}");
        assert!(view.tested_at.is_some());
    }
    // No credential's text is anywhere in the database file (nor its WAL).
    let mut bytes = std::fs::read(&till.path).unwrap();
    if let Ok(wal) = std::fs::read(till.path.with_extension("sqlite3-wal")) {
        bytes.extend(wal);
    }
    for (provider, emulated) in ALL {
        for (key, value) in demo_settings(emulated) {
            if provider_fields(provider)
                .iter()
                .any(|f| f.key == *key && f.secret)
            {
                assert!(
                    !bytes.windows(value.len()).any(|w| w == value.as_bytes()),
                    "{provider:?} {key} is in the SQLite file"
                );
            }
        }
    }
}

#[test]
fn wrong_credentials_are_reported_as_refused_by_the_provider() {
    let till = common::demo_till(&[]);
    let sandbox = BackgroundSandbox::start(Ports::Ephemeral).unwrap();
    let pos = till_1(&till.kassa, &till.manager);
    for (provider, emulated) in ALL {
        let input = account_input(provider, emulator(&sandbox, emulated), Some("wrong-secret"));
        till.kassa
            .set_provider_account(&till.manager, pos, provider, input)
            .unwrap();
        let test = till
            .kassa
            .test_provider_account(&till.manager, pos, provider)
            .unwrap();
        assert!(!test.ok, "{provider:?}: {test:?}");
        // Each provider answers a bad credential with its own documented error; every one
        // of them is reported as refused credentials.
        assert_eq!(
            test.code,
            ConnectionTestCode::ProviderUnauthorized,
            "{provider:?}: {test:?}"
        );
        let view = till
            .kassa
            .provider_accounts(&till.manager, pos)
            .unwrap()
            .into_iter()
            .find(|v| v.provider == provider)
            .unwrap();
        assert_eq!(view.test_ok, Some(false));
        assert!(!view.test_message.unwrap_or_default().contains("wrong-secret"));
    }
}

#[test]
fn nothing_listening_a_server_error_and_a_malformed_answer_each_say_what_failed() {
    let till = common::demo_till(&[]);
    let sandbox = BackgroundSandbox::start(Ports::Ephemeral).unwrap();
    let pos = till_1(&till.kassa, &till.manager);
    let swip = emulator(&sandbox, kassa_sandbox::Provider::Swip);
    till.kassa
        .set_provider_account(
            &till.manager,
            pos,
            Provider::Swip,
            account_input(Provider::Swip, swip, None),
        )
        .unwrap();

    swip.harness().add_fault(FaultRule {
        method: None,
        path: "/**".into(),
        fault: Fault::Status {
            status: 503,
            after_commit: false,
        },
        times: Some(1),
    });
    let test = till
        .kassa
        .test_provider_account(&till.manager, pos, Provider::Swip)
        .unwrap();
    assert_eq!(test.code, ConnectionTestCode::ProviderStatus, "{test:?}");
    assert!(test.message.contains("503"), "{}", test.message);

    swip.harness().add_fault(FaultRule {
        method: None,
        path: "/**".into(),
        fault: Fault::Body {
            text: "<html>proxy error</html>".into(),
        },
        times: Some(1),
    });
    let test = till
        .kassa
        .test_provider_account(&till.manager, pos, Provider::Swip)
        .unwrap();
    // A 404 page that is not SWiP's error object proves nothing about the account.
    assert_eq!(test.code, ConnectionTestCode::ProviderMalformed, "{test:?}");

    swip.harness().add_fault(FaultRule {
        method: None,
        path: "/**".into(),
        fault: Fault::TooManyRequests { retry_after_secs: 7 },
        times: Some(1),
    });
    let test = till
        .kassa
        .test_provider_account(&till.manager, pos, Provider::Swip)
        .unwrap();
    assert_eq!(test.code, ConnectionTestCode::ProviderRateLimited, "{test:?}");

    // Once the faults are used up the same account works again.
    let test = till
        .kassa
        .test_provider_account(&till.manager, pos, Provider::Swip)
        .unwrap();
    assert!(test.ok, "{test:?}");

    // A port nothing listens on: bind one, note it, close it.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let mut input = account_input(Provider::Swip, swip, None);
    input.base_url = format!("http://{closed}/api/v3");
    input.secrets.clear(); // the stored token is kept
    till.kassa
        .set_provider_account(&till.manager, pos, Provider::Swip, input)
        .unwrap();
    let test = till
        .kassa
        .test_provider_account(&till.manager, pos, Provider::Swip)
        .unwrap();
    assert_eq!(test.code, ConnectionTestCode::ProviderUnreachable, "{test:?}");
}

#[test]
fn bad_account_input_is_refused_with_the_field_named_and_nothing_stored() {
    let till = common::demo_till(&[]);
    let sandbox = BackgroundSandbox::start(Ports::Ephemeral).unwrap();
    let pos = till_1(&till.kassa, &till.manager);
    let vourity = emulator(&sandbox, kassa_sandbox::Provider::Vourity);
    let good = account_input(Provider::Vourity, vourity, None);

    let mut cases: Vec<(&str, ProviderAccountInput, &str)> = Vec::new();
    let mut unknown = good.clone();
    unknown.values.insert("merchant".into(), "x".into());
    cases.push(("unknown field", unknown, "has no field \"merchant\""));
    let mut secret_as_value = good.clone();
    let key = secret_as_value.secrets.pop_first().unwrap();
    secret_as_value.values.insert(key.0, key.1);
    cases.push(("credential given as a value", secret_as_value, "is a credential"));
    let mut value_as_secret = good.clone();
    value_as_secret.secrets.insert("merchant_id".into(), "x".into());
    cases.push((
        "value given as a credential",
        value_as_secret,
        "is not a credential",
    ));
    for (url, why) in [
        ("", "enter the base URL"),
        ("   ", "enter the base URL"),
        ("not a url", ""),
        ("ftp://127.0.0.1/api", ""),
    ] {
        let mut bad = good.clone();
        bad.base_url = url.into();
        cases.push(("base URL", bad, why));
    }

    for (what, input, expected) in cases {
        let error = till
            .kassa
            .set_provider_account(&till.manager, pos, Provider::Vourity, input)
            .unwrap_err();
        assert_eq!(error.code(), ErrorCode::Validation, "{what}: {error}");
        assert!(error.to_string().contains(expected), "{what}: {error}");
        assert!(
            error.to_string().contains("Vourity"),
            "{what}: the provider is named: {error}"
        );
        let view = till
            .kassa
            .provider_accounts(&till.manager, pos)
            .unwrap()
            .into_iter()
            .find(|v| v.provider == Provider::Vourity)
            .unwrap();
        assert!(
            view.base_url.is_empty() && view.fields.iter().all(|f| !f.is_set),
            "{what}: {view:?}"
        );
    }
    assert!(
        till.kassa
            .audit_trail(&till.manager, Some("provider_account"), Some(pos), 10)
            .unwrap()
            .is_empty(),
        "a refused change leaves no audit entry"
    );

    // A deleted or unknown POS device has no accounts.
    let error = till
        .kassa
        .set_provider_account(&till.manager, 9999, Provider::Vourity, good)
        .unwrap_err();
    assert_eq!(error.code(), ErrorCode::NotFound, "{error}");
}

#[test]
fn a_kept_credential_survives_an_edit_and_a_missing_one_is_named() {
    let till = common::demo_till(&[]);
    let sandbox = BackgroundSandbox::start(Ports::Ephemeral).unwrap();
    let pos = till_1(&till.kassa, &till.manager);
    let flexiti = emulator(&sandbox, kassa_sandbox::Provider::Flexiti);
    let view = till
        .kassa
        .set_provider_account(
            &till.manager,
            pos,
            Provider::Flexiti,
            account_input(Provider::Flexiti, flexiti, None),
        )
        .unwrap();
    // An edit that leaves the credentials empty keeps them.
    let mut edit = account_input(Provider::Flexiti, flexiti, None);
    for secret in edit.secrets.values_mut() {
        secret.clear();
    }
    till.kassa
        .set_provider_account(&till.manager, pos, Provider::Flexiti, edit)
        .unwrap();
    assert!(
        till.kassa
            .test_provider_account(&till.manager, pos, Provider::Flexiti)
            .unwrap()
            .ok
    );

    // The credential disappears from the store (the keyring was reset, the file lost).
    match view.secret_store {
        SecretBackend::File => {
            let mut file = till.path.as_os_str().to_owned();
            file.push(".secrets");
            std::fs::remove_file(&file).unwrap();
        }
        // This machine has a keyring service; the test needs the file store to remove
        // the secret behind the app's back (CI runs the file store).
        SecretBackend::Keyring => return,
    }
    let test = till
        .kassa
        .test_provider_account(&till.manager, pos, Provider::Flexiti)
        .unwrap();
    assert_eq!(test.code, ConnectionTestCode::SettingsMissing, "{test:?}");
    assert!(test.message.contains("missing"), "{}", test.message);
    assert!(test.message.contains("enter it again"), "{}", test.message);
}

#[test]
fn only_a_manager_sees_sets_or_tests_provider_accounts() {
    let till = common::demo_till(&[]);
    let sandbox = BackgroundSandbox::start(Ports::Ephemeral).unwrap();
    let pos = till_1(&till.kassa, &till.manager);
    let swip = emulator(&sandbox, kassa_sandbox::Provider::Swip);
    let before = swip.harness().log().len();
    let error = till.kassa.provider_accounts(&till.cashier, pos).unwrap_err();
    assert_eq!(error.code(), ErrorCode::Forbidden);
    let error = till
        .kassa
        .set_provider_account(
            &till.cashier,
            pos,
            Provider::Swip,
            account_input(Provider::Swip, swip, None),
        )
        .unwrap_err();
    assert_eq!(error.code(), ErrorCode::Forbidden);
    let error = till
        .kassa
        .test_provider_account(&till.cashier, pos, Provider::Swip)
        .unwrap_err();
    assert_eq!(error.code(), ErrorCode::Forbidden);
    assert_eq!(
        swip.harness().log().len(),
        before,
        "nothing was sent for a refused caller"
    );
    let none: BTreeMap<_, _> = till
        .kassa
        .provider_accounts(&till.manager, pos)
        .unwrap()
        .into_iter()
        .map(|v| (v.provider.as_str(), v.base_url))
        .collect();
    assert!(none.values().all(String::is_empty), "{none:?}");
}

#[test]
fn the_till_offers_the_payment_providers_whose_accounts_are_set_up_to_its_sellers() {
    let till = common::demo_till(&[]);
    let sandbox = BackgroundSandbox::start(Ports::Ephemeral).unwrap();
    let pos = till_1(&till.kassa, &till.manager);
    assert_eq!(till.kassa.till_payment_providers(&till.cashier).unwrap(), []);

    // DropPay takes no payment at the till's keys, Flexiti none at a till that does not sell
    // in Canadian dollars; a SWiP account missing its token is not usable yet.
    for (provider, emulated) in [
        (Provider::Flexiti, kassa_sandbox::Provider::Flexiti),
        (Provider::Droppay, kassa_sandbox::Provider::DropPay),
    ] {
        let input = account_input(provider, emulator(&sandbox, emulated), None);
        till.kassa
            .set_provider_account(&till.manager, pos, provider, input)
            .unwrap();
    }
    let mut no_token = account_input(
        Provider::Swip,
        emulator(&sandbox, kassa_sandbox::Provider::Swip),
        None,
    );
    no_token.secrets.clear();
    till.kassa
        .set_provider_account(&till.manager, pos, Provider::Swip, no_token)
        .unwrap();
    assert_eq!(till.kassa.till_payment_providers(&till.cashier).unwrap(), []);

    // The demo SWiP merchant account is in EUR, Till 1 sells in SEK: no key for it.
    let swip_in_euros = account_input(
        Provider::Swip,
        emulator(&sandbox, kassa_sandbox::Provider::Swip),
        None,
    );
    till.kassa
        .set_provider_account(&till.manager, pos, Provider::Swip, swip_in_euros)
        .unwrap();
    assert_eq!(till.kassa.till_payment_providers(&till.cashier).unwrap(), []);

    for (provider, emulated) in [
        (Provider::Vourity, kassa_sandbox::Provider::Vourity),
        (Provider::Swip, kassa_sandbox::Provider::Swip),
    ] {
        let mut input = account_input(provider, emulator(&sandbox, emulated), None);
        if provider == Provider::Swip {
            input.values.insert("currency".into(), "SEK".into());
        }
        till.kassa
            .set_provider_account(&till.manager, pos, provider, input)
            .unwrap();
    }
    assert_eq!(
        till.kassa.till_payment_providers(&till.cashier).unwrap(),
        [Provider::Swip, Provider::Vourity],
        "in the order of the till's keys"
    );
    assert_eq!(
        till.kassa.till_payment_providers(&till.manager).unwrap(),
        [Provider::Swip, Provider::Vourity]
    );
    // A Venue Manager shop gives the till its voucher and loyalty keys, when it sells in
    // the till's currency (the demo shop is in DKK, Till 1 in SEK).
    let mut input = account_input(
        Provider::VenueManager,
        emulator(&sandbox, kassa_sandbox::Provider::VenueManager),
        None,
    );
    till.kassa
        .set_provider_account(&till.manager, pos, Provider::VenueManager, input.clone())
        .unwrap();
    assert_eq!(
        till.kassa.till_payment_providers(&till.cashier).unwrap(),
        [Provider::Swip, Provider::Vourity]
    );
    input.values.insert("currency".into(), "SEK".into());
    till.kassa
        .set_provider_account(&till.manager, pos, Provider::VenueManager, input)
        .unwrap();
    assert_eq!(
        till.kassa.till_payment_providers(&till.cashier).unwrap(),
        [Provider::Swip, Provider::Vourity, Provider::VenueManager]
    );
    let accountant = till.kassa.login("accountant", "3333").unwrap().0;
    let error = till.kassa.till_payment_providers(&accountant).unwrap_err();
    assert_eq!(error.code(), ErrorCode::Forbidden);
}
