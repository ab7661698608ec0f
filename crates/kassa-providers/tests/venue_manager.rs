//! The Venue Manager client against its emulator over loopback HTTP: every endpoint,
//! every documented error, and the failures a real shop or network can produce.

use kassa_core::{Currency, Decimal};
use kassa_providers::venue_manager::wire::{AddressValue, InvoiceLineType, InvoiceType, OrderLine};
use kassa_providers::venue_manager::{
    CatalogError, Client, FIELDS, InvoiceFormat, PaymentStart, VenueManagerError, catalog_rows,
};
use kassa_providers::{CallError, Secret, Settings, SettingsError};
use kassa_sandbox::venue_manager::{
    DEMO_CUSTOMER_ID, DEMO_CUSTOMER_PASSWORD, DEMO_CUSTOMER_USERNAME, DEMO_SETTINGS,
};
use kassa_sandbox::{Fault, FaultRule, Ports, Provider, RunningEmulator};
use serde_json::{Value, json};

fn settings(base_url: &str, replace: &[(&str, &str)]) -> Settings {
    let mut settings = Settings {
        base_url: base_url.to_owned(),
        ..Settings::default()
    };
    for (key, value) in DEMO_SETTINGS {
        let value = replace
            .iter()
            .find(|(replaced, _)| replaced == key)
            .map_or(*value, |(_, value)| *value);
        let secret = FIELDS
            .iter()
            .find(|field| field.key == *key)
            .is_some_and(|field| field.secret);
        if secret {
            settings.secrets.insert((*key).to_owned(), Secret::new(value));
        } else {
            settings.values.insert((*key).to_owned(), value.to_owned());
        }
    }
    settings
}

async fn start() -> (RunningEmulator, Client) {
    let emulator = RunningEmulator::start(Provider::VenueManager, Ports::Ephemeral)
        .await
        .expect("the emulator starts");
    let client =
        Client::from_settings(&settings(&emulator.base_url(), &[])).expect("demo settings are complete");
    (emulator, client)
}

async fn control(emulator: &RunningEmulator, path: &str, body: Value) -> Value {
    control_text(emulator, path, body.to_string()).await
}

/// A control call with the body's own text, for amounts a `Value` would round through f64.
async fn control_text(emulator: &RunningEmulator, path: &str, body: String) -> Value {
    let response = reqwest::Client::new()
        .post(format!("{}{path}", emulator.origin()))
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .expect("control route answers");
    let status = response.status();
    let text = response.text().await.expect("control body");
    assert!(status.is_success(), "{path}: {status} {text}");
    if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).expect("control answers JSON")
    }
}

async fn state(emulator: &RunningEmulator) -> Value {
    reqwest::get(format!("{}/_sandbox/state", emulator.origin()))
        .await
        .expect("state")
        .json()
        .await
        .expect("state JSON")
}

fn fault(emulator: &RunningEmulator, method: &str, path: &str, fault: Fault) {
    emulator.harness().add_fault(FaultRule {
        method: Some(method.to_owned()),
        path: format!("/api/core{path}"),
        fault,
        times: Some(1),
    });
}

async fn alice(client: &Client) -> Secret {
    client
        .create_token(DEMO_CUSTOMER_USERNAME, &Secret::new(DEMO_CUSTOMER_PASSWORD))
        .await
        .expect("the demo customer logs in")
        .token
}

fn api(error: CallError<VenueManagerError>) -> VenueManagerError {
    match error {
        CallError::Api(error) => error,
        other => panic!("expected a documented error, got {other:?}"),
    }
}

async fn add_invoice(emulator: &RunningEmulator, body: Value) -> u64 {
    control(emulator, "/_sandbox/invoices", body).await["number"]
        .as_u64()
        .expect("an invoice number")
}

fn line(amount: &str) -> Value {
    serde_json::from_str(&format!(
        r#"{{"type": "product", "quantity": 1, "amount": {amount}, "vatPercentage": 25, "sku": "SKU-{amount}"}}"#
    ))
    .unwrap()
}

// ----- Demo and configuration ----------------------------------------------------------

#[tokio::test]
async fn the_demo_endpoints_answer_as_documented() {
    let (_emulator, client) = start().await;
    assert_eq!(client.test_integer().await.unwrap(), 42);
    assert_eq!(
        client.test_integer_array().await.unwrap(),
        vec![1, 1, 2, 3, 5, 8, 13, 21, 34, 55, 89]
    );
    assert_eq!(
        client.test_string().await.unwrap(),
        "This result is a simple string value."
    );
    let object = client.test_object().await.unwrap();
    assert_eq!(
        (object.id.as_str(), object.label.as_str()),
        ("42", "exampleObject")
    );
    assert_eq!(object.days.len(), 7);
    client.test_no_content().await.unwrap();
    match api(client.test_forbidden().await.unwrap_err()) {
        VenueManagerError::DemoForbidden { message, code } => {
            assert_eq!(message, "Winston writes in his forbidden diary.");
            assert!(code.is_some_and(|code| code.is(1984)));
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn address_and_geofence_configuration_are_read() {
    let (_emulator, client) = start().await;
    let billing = client.address_config("da", None).await.unwrap();
    let first = billing.iter().find(|field| field.field == "firstname").unwrap();
    assert_eq!(first.name, "Fornavn");
    assert!(first.required);
    let gender = billing.iter().find(|field| field.field == "gender").unwrap();
    assert_eq!(gender.values[0].name, "Mand");
    let season = client.address_config("en", Some("season_card")).await.unwrap();
    assert_eq!(season.len(), 2);
    assert_eq!(season[0].name, "First name");
    let fences = client.geofences("da").await.unwrap();
    assert_eq!(fences[0].latitude.to_string(), "56.131973");
    assert_eq!(fences[0].longitude.to_string(), "10.193669");
    assert_eq!(fences[0].messages.entering.title, "Velkommen til VM Arena");
}

// ----- Customers and tokens ------------------------------------------------------------

#[tokio::test]
async fn a_customer_is_created_edited_logged_in_and_anonymized() {
    let (emulator, client) = start().await;
    let password = Secret::new("Hello, world!");
    let grant = client
        .create_customer(
            &password,
            vec![
                AddressValue::new("firstname", "Bo"),
                AddressValue::new("email", "bo@example.dk"),
                AddressValue::new("street", "Dannebrogsgade 58A"),
            ],
        )
        .await
        .unwrap();
    let created = emulator.harness().changes("customer_created");
    assert_eq!(created.len(), 1);
    assert_eq!(created[0]["customerId"], json!(grant.customer_id));
    let token = grant.token;

    let customer = client.customer(&token, grant.customer_id).await.unwrap();
    assert_eq!(customer.username, "bo@example.dk");
    assert!(
        customer
            .address
            .contains(&AddressValue::new("street", "Dannebrogsgade 58A"))
    );

    client
        .edit_customer(
            &token,
            grant.customer_id,
            vec![AddressValue::new("city", "Aalborg")],
        )
        .await
        .unwrap();
    assert_eq!(
        emulator.harness().changes("customer_updated")[0]["fields"],
        json!(["city"])
    );
    let customer = client.customer(&token, grant.customer_id).await.unwrap();
    assert!(customer.address.contains(&AddressValue::new("city", "Aalborg")));

    let new_password = Secret::new("Goodbye, world!");
    client
        .change_password(&token, &password, &new_password)
        .await
        .unwrap();
    assert_eq!(emulator.harness().changes("password_changed").len(), 1);
    let login = client.create_token("bo@example.dk", &new_password).await.unwrap();
    assert_eq!(login.customer_id, grant.customer_id);
    client.validate_token(&login.token).await.unwrap();

    let data = client.create_data_token(&login.token).await.unwrap();
    assert_eq!(data.customer_id, grant.customer_id);
    let claims = &emulator.harness().changes("data_token_created")[0]["claims"];
    assert_eq!(claims["given_name"], json!("Bo"));
    assert_eq!(claims["email"], json!("bo@example.dk"));
    client.validate_token(&data.token).await.unwrap();

    client
        .set_push_token(&login.token, &Secret::new("apns-device-token"))
        .await
        .unwrap();
    client
        .set_push_token(&login.token, &Secret::new("apns-device-token-2"))
        .await
        .unwrap();
    let pushes = emulator.harness().changes("push_token_set");
    assert_eq!(pushes.len(), 2);
    assert_eq!(pushes[1]["replaced"], json!(true));

    let one_time = client.create_one_time_token(&login.token).await.unwrap();
    assert_eq!(one_time.token.expose().len(), 40);
    assert_eq!(emulator.harness().changes("one_time_token_created").len(), 1);

    let answer = client.reset_password("bo@example.dk").await.unwrap();
    assert!(answer.message.is_some());
    assert_eq!(
        emulator.harness().changes("password_reset_requested")[0]["customerId"],
        json!(grant.customer_id)
    );

    let check = client.anonymize_check(&login.token).await.unwrap();
    assert!(check.can_be_anonymized, "{check:?}");
    client.anonymize(&login.token).await.unwrap();
    assert_eq!(
        emulator.harness().changes("customer_anonymized")[0]["customerId"],
        json!(grant.customer_id)
    );
    // Every token of an anonymized customer is gone.
    for token in [&token, &login.token, &data.token] {
        let error = api(client.validate_token(token).await.unwrap_err());
        assert!(
            matches!(error, VenueManagerError::NotLoggedIn { .. }),
            "{error:?}"
        );
    }
    let error = api(client
        .create_token("bo@example.dk", &new_password)
        .await
        .unwrap_err());
    assert!(
        matches!(error, VenueManagerError::LoginFailed { .. }),
        "{error:?}"
    );
}

#[tokio::test]
async fn customer_errors_are_typed_and_change_nothing() {
    let (emulator, client) = start().await;
    let error = api(client
        .create_customer(
            &Secret::new("pw"),
            vec![AddressValue::new("firstname", "No mail")],
        )
        .await
        .unwrap_err());
    assert!(
        matches!(&error, VenueManagerError::InvalidRequest { message, .. } if message.contains("email")),
        "{error:?}"
    );
    let error = api(client
        .create_customer(&Secret::new(""), vec![])
        .await
        .unwrap_err());
    assert!(
        matches!(&error, VenueManagerError::InvalidRequest { message, .. } if message.contains("password")),
        "{error:?}"
    );
    assert!(emulator.harness().changes("customer_created").is_empty());

    let error = api(client
        .create_token(DEMO_CUSTOMER_USERNAME, &Secret::new("wrong"))
        .await
        .unwrap_err());
    assert_eq!(
        error.to_string(),
        "the shop does not accept that username and password: Cannot login with supplied username and password."
    );
    let error = api(client.create_token("", &Secret::new("x")).await.unwrap_err());
    assert!(
        matches!(error, VenueManagerError::InvalidRequest { .. }),
        "{error:?}"
    );
    assert!(emulator.harness().changes("token_created").is_empty());

    let token = alice(&client).await;
    let error = api(client
        .edit_customer(
            &token,
            DEMO_CUSTOMER_ID,
            vec![AddressValue::new("shoeSize", "44")],
        )
        .await
        .unwrap_err());
    assert!(
        matches!(error, VenueManagerError::AddressNotUpdated { .. }),
        "{error:?}"
    );
    let error = api(client
        .edit_customer(&Secret::new("not-a-token"), DEMO_CUSTOMER_ID, vec![])
        .await
        .unwrap_err());
    assert!(
        matches!(&error, VenueManagerError::NotLoggedIn { message } if message == "No customer logged in."),
        "{error:?}"
    );
    let error = api(client
        .customer(&token, DEMO_CUSTOMER_ID + 1000)
        .await
        .unwrap_err());
    assert!(
        matches!(error, VenueManagerError::NotLoggedIn { .. }),
        "{error:?}"
    );
    assert!(emulator.harness().changes("customer_updated").is_empty());

    let error = api(client
        .change_password(&token, &Secret::new("not the password"), &Secret::new("new"))
        .await
        .unwrap_err());
    assert_eq!(
        error,
        VenueManagerError::WrongOldPassword {
            message: "Den gamle adgangskode er forkert".to_owned()
        }
    );
    assert!(emulator.harness().changes("password_changed").is_empty());

    let error = api(client.reset_password("nobody@example.com").await.unwrap_err());
    assert!(
        matches!(&error, VenueManagerError::UnknownUsername { message } if message == "Ukendt brugernavn."),
        "{error:?}"
    );
    assert!(emulator.harness().changes("password_reset_requested").is_empty());

    let error = api(client
        .create_data_token(&Secret::new("eyJ.forged.token"))
        .await
        .unwrap_err());
    assert!(
        matches!(error, VenueManagerError::NotLoggedIn { .. }),
        "{error:?}"
    );
    let error = api(client.create_one_time_token(&Secret::new("x")).await.unwrap_err());
    assert!(
        matches!(error, VenueManagerError::NotLoggedIn { .. }),
        "{error:?}"
    );
    assert!(emulator.harness().changes("data_token_created").is_empty());
}

#[tokio::test]
async fn a_customer_with_reasons_is_not_anonymized() {
    let (emulator, client) = start().await;
    let token = alice(&client).await;
    control(
        &emulator,
        &format!("/_sandbox/customers/{DEMO_CUSTOMER_ID}/anonymize-blockers"),
        json!({"reasons": ["Active season card"]}),
    )
    .await;
    let check = client.anonymize_check(&token).await.unwrap();
    assert!(!check.can_be_anonymized);
    assert_eq!(check.reasons, vec!["Active season card".to_owned()]);
    let error = api(client.anonymize(&token).await.unwrap_err());
    assert!(
        matches!(&error, VenueManagerError::CannotBeAnonymized { message } if message.contains("Active season card")),
        "{error:?}"
    );
    assert!(emulator.harness().changes("customer_anonymized").is_empty());
    client.validate_token(&token).await.unwrap();
}

#[tokio::test]
async fn a_guest_gets_a_token_and_customer_groups_are_listed() {
    let (emulator, client) = start().await;
    let guest = client.create_guest_token().await.unwrap();
    assert_eq!(
        emulator.harness().changes("guest_created")[0]["customerId"],
        json!(guest.customer_id)
    );
    client.validate_token(&guest.token).await.unwrap();
    let groups = client.customer_groups().await.unwrap();
    assert_eq!(groups[0].name, "Sponsor");
    assert_eq!(groups[0].kind.as_str(), "normal");
}

// ----- Orders and payment --------------------------------------------------------------

#[tokio::test]
async fn an_order_is_paid_with_a_saved_card_and_invoiced() {
    let (emulator, client) = start().await;
    let token = alice(&client).await;
    let page = client
        .add_payment_card(&token, "http://example.com/success", "http://example.com/argh")
        .await
        .unwrap();
    let key_path = page
        .strip_prefix(&emulator.origin())
        .expect("the PSP page is the emulator's");
    let saved = control(
        &emulator,
        &format!("{key_path}/complete"),
        json!({"brand": "VISA"}),
    )
    .await;
    let card_id = saved["cardId"].as_u64().unwrap();
    let cards = client.payment_cards(&token).await.unwrap();
    assert_eq!(cards.len(), 1);
    assert_eq!((cards[0].id, cards[0].brand.as_str()), (card_id, "VISA"));

    let order = client
        .create_order(
            &token,
            vec![
                OrderLine {
                    sellable_id: None,
                    product_id: Some(3),
                    quantity: 2,
                    date: None,
                    properties: None,
                },
                OrderLine {
                    sellable_id: Some(23),
                    product_id: None,
                    quantity: 1,
                    date: None,
                    properties: None,
                },
            ],
        )
        .await
        .unwrap();
    assert_eq!(order.number.len(), 8);
    assert!(
        order
            .location
            .as_deref()
            .unwrap()
            .ends_with(&format!("/api/core/order/{}", order.id))
    );
    assert_eq!(
        emulator.harness().changes("order_created")[0]["total"],
        json!("2055")
    );

    let paid = client.pay_with_saved_card(&token, card_id).await.unwrap();
    let completed = emulator.harness().changes("order_transaction_completed");
    assert_eq!(completed.len(), 1);
    assert_eq!(completed[0]["transactionId"], json!(paid.id));
    assert_eq!(completed[0]["amount"], json!("2055"));

    // The paid order became the shop's next invoice.
    let invoices = client.invoices(None, 10, InvoiceFormat::Json).await.unwrap();
    assert_eq!(invoices.len(), 1);
    assert_eq!(invoices[0].order_id, order.id);
    assert_eq!(invoices[0].total_amount, Decimal::from(2055));
    assert_eq!(invoices[0].lines[0].kind, InvoiceLineType::SeasonCard);
    assert_eq!(invoices[0].lines[0].vat_percentage, Decimal::from(25));

    // Nothing is outstanding now, so paying again lists the order's transactions.
    let again = client
        .pay_with_method(
            &token,
            "http://example.com/success",
            "http://example.com/argh",
            None,
        )
        .await
        .unwrap();
    assert_eq!(
        again,
        PaymentStart::AlreadyPaid {
            transaction_ids: vec![paid.id]
        }
    );
    let error = api(client.pay_with_saved_card(&token, card_id).await.unwrap_err());
    assert!(
        matches!(error, VenueManagerError::PaymentFailed { .. }),
        "{error:?}"
    );
    assert_eq!(emulator.harness().changes("order_transaction_completed").len(), 1);
}

#[tokio::test]
async fn a_declined_card_and_a_bad_order_change_nothing() {
    let (emulator, client) = start().await;
    let token = alice(&client).await;
    let page = client
        .add_payment_card(&token, "http://example.com/ok", "http://example.com/no")
        .await
        .unwrap();
    let key_path = page.strip_prefix(&emulator.origin()).unwrap().to_owned();
    let card_id = control(&emulator, &format!("{key_path}/complete"), json!({})).await["cardId"]
        .as_u64()
        .unwrap();
    control(
        &emulator,
        &format!("/_sandbox/payment-cards/{card_id}/declines"),
        json!({"declines": true}),
    )
    .await;

    let error = api(client
        .create_order(
            &token,
            vec![OrderLine {
                sellable_id: None,
                product_id: Some(999),
                quantity: 1,
                date: None,
                properties: None,
            }],
        )
        .await
        .unwrap_err());
    assert!(
        matches!(&error, VenueManagerError::OrderRejected { message, .. } if message.contains("999")),
        "{error:?}"
    );
    assert!(emulator.harness().changes("order_created").is_empty());
    let refused = client.create_order(&token, vec![]).await.unwrap_err();
    assert!(matches!(refused, CallError::Refused(_)), "{refused:?}");

    client
        .create_order(
            &token,
            vec![OrderLine {
                sellable_id: None,
                product_id: Some(52),
                quantity: 3,
                date: None,
                properties: None,
            }],
        )
        .await
        .unwrap();
    let error = api(client.pay_with_saved_card(&token, card_id).await.unwrap_err());
    assert_eq!(
        error,
        VenueManagerError::PaymentFailed {
            message: "Rejected by acquirer".to_owned()
        }
    );
    assert!(
        emulator
            .harness()
            .changes("order_transaction_completed")
            .is_empty()
    );
    assert_eq!(state(&emulator).await["orders"][0]["outstanding"], json!("60"));
}

#[tokio::test]
async fn an_order_is_paid_at_the_psp() {
    let (emulator, client) = start().await;
    let token = alice(&client).await;
    let order = client
        .create_order(
            &token,
            vec![OrderLine {
                sellable_id: None,
                product_id: Some(51),
                quantity: 2,
                date: Some("2019-02-19".parse().unwrap()),
                properties: None,
            }],
        )
        .await
        .unwrap();
    let start = client
        .pay_with_method(
            &token,
            &format!("http://example.com/wait?order_number={}", order.number),
            "http://example.com/argh",
            Some("creditcard"),
        )
        .await
        .unwrap();
    let PaymentStart::Redirect {
        transaction_id,
        payment_url,
    } = start
    else {
        panic!("an unpaid order is paid at the PSP: {start:?}");
    };
    let created = emulator.harness().changes("order_transaction_created");
    assert_eq!(created[0]["transactionId"], json!(transaction_id));
    assert_eq!(created[0]["paymentMethod"], json!("creditcard"));
    assert!(emulator.harness().changes("invoice_created").is_empty());
    let key_path = payment_url.strip_prefix(&emulator.origin()).unwrap().to_owned();
    control(&emulator, &format!("{key_path}/complete"), json!({})).await;
    assert_eq!(emulator.harness().changes("invoice_created").len(), 1);
    assert_eq!(state(&emulator).await["orders"][0]["outstanding"], json!("0"));
}

// ----- Catalog -------------------------------------------------------------------------

#[tokio::test]
async fn the_catalog_is_read_and_converted() {
    let (_emulator, client) = start().await;
    let categories = client.categories(Some("da")).await.unwrap();
    assert_eq!(categories[0].name, "Årskort");
    let products = client.products(Some("da"), None).await.unwrap();
    assert_eq!(products.len(), 3);
    let season = client.products(None, Some("seasoncard")).await.unwrap();
    assert_eq!(season.len(), 1);
    let product = client.product(3, Some("da")).await.unwrap();
    assert_eq!(product.price_incl_vat.to_string(), "685");
    assert_eq!(product.vat.to_string(), "137");
    let error = api(client.product(999, None).await.unwrap_err());
    assert!(
        matches!(error, VenueManagerError::UnknownProduct { product_id: 999, .. }),
        "{error:?}"
    );

    let rates = [Decimal::from(25), Decimal::ZERO];
    let rows = catalog_rows(&products, &categories, |p| (p.id == 3).then_some(8), &rates);
    let first = rows[0].as_ref().unwrap();
    assert_eq!(
        (first.sku.as_str(), first.category.as_deref()),
        ("aarskort2019", Some("Årskort"))
    );
    assert_eq!(first.vat_rate, Decimal::from(25));
    assert_eq!(first.price.currency(), Currency::DKK);
    // The programme has no label.
    assert_eq!(rows[2].as_ref().unwrap().sku, "vm-52");
    let only_12 = catalog_rows(&products, &categories, |_| None, &[Decimal::from(12)]);
    assert!(matches!(
        &only_12[0],
        Err(CatalogError::RateNotValid { id: 3, .. })
    ));
}

// ----- Invoices ------------------------------------------------------------------------

#[tokio::test]
async fn invoices_are_paged_by_number_in_json_and_xml() {
    let (emulator, client) = start().await;
    client.test_connection().await.unwrap();
    assert!(
        client
            .invoices(None, 10, InvoiceFormat::Json)
            .await
            .unwrap()
            .is_empty()
    );
    let first = add_invoice(&emulator, json!({"lines": [line("100")]})).await;
    let second = add_invoice(&emulator, json!({"type": "credit_note", "lines": [line("-50")]})).await;
    let third = add_invoice(
        &emulator,
        json!({"lines": [{"type": "admission", "quantity": 2, "amount": 100, "discount": 50, "vatPercentage": 25, "numbers": [12340000, 12340001]}]}),
    )
    .await;
    assert_eq!((first, second, third), (12345, 12346, 12347));

    let page = client.invoices(None, 2, InvoiceFormat::Json).await.unwrap();
    assert_eq!(
        page.iter().map(|i| i.number).collect::<Vec<_>>(),
        vec![first, second]
    );
    assert_eq!(page[1].kind, InvoiceType::CreditNote);
    let rest = client
        .invoices(Some(second), 10, InvoiceFormat::Json)
        .await
        .unwrap();
    assert_eq!(rest.len(), 1);
    assert_eq!(rest[0].lines[0].total_amount, Decimal::from(150));
    assert_eq!(rest[0].lines[0].numbers, vec![12340000, 12340001]);

    let xml = client
        .invoices(Some(first), 10, InvoiceFormat::Xml)
        .await
        .unwrap();
    let json = client
        .invoices(Some(first), 10, InvoiceFormat::Json)
        .await
        .unwrap();
    assert_eq!(xml, json);
    assert!(
        client
            .invoices(Some(third), 10, InvoiceFormat::Xml)
            .await
            .unwrap()
            .is_empty()
    );

    let error = api(client
        .invoices(Some(99), 10, InvoiceFormat::Json)
        .await
        .unwrap_err());
    assert!(
        matches!(
            error,
            VenueManagerError::UnknownInvoiceNumber { after_number: 99, .. }
        ),
        "{error:?}"
    );
    let refused = client.invoices(None, 0, InvoiceFormat::Json).await.unwrap_err();
    assert!(matches!(refused, CallError::Refused(_)));
}

#[tokio::test]
async fn a_format_other_than_json_or_xml_is_a_400() {
    // The client cannot ask for another format; the emulator still answers as documented.
    let (emulator, _client) = start().await;
    let response = reqwest::Client::new()
        .get(format!("{}/invoice?format=csv", emulator.base_url()))
        .basic_auth(DEMO_SETTINGS[0].1, Some(DEMO_SETTINGS[1].1))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"], json!("format is not valid. Must be json or xml."));
}

#[tokio::test]
async fn a_wrong_api_user_is_told_apart() {
    let (emulator, _client) = start().await;
    for replaced in [("api_password", "wrong"), ("api_user", "someone")] {
        let client = Client::from_settings(&settings(&emulator.base_url(), &[replaced])).unwrap();
        let error = client.test_connection().await.unwrap_err();
        assert_eq!(error.code(), "provider_unauthorized");
        let error = api(error);
        assert!(
            matches!(error, VenueManagerError::ApiUserRejected { .. }),
            "{error:?}"
        );
        assert!(error.to_string().contains("API user"), "{error}");
        let error = api(client.mark_invoice_paid("DG817").await.unwrap_err());
        assert!(
            matches!(error, VenueManagerError::ApiUserRejected { .. }),
            "{error:?}"
        );
    }
    assert!(emulator.harness().changes("invoice_marked_paid").is_empty());
}

#[tokio::test]
async fn invoices_are_marked_paid_by_external_id() {
    let (emulator, client) = start().await;
    let number = add_invoice(&emulator, json!({"lines": [line("100")]})).await;
    control(
        &emulator,
        &format!("/_sandbox/invoices/{number}/external-id"),
        json!({"externalId": "DG817"}),
    )
    .await;
    client.mark_invoice_paid("DG817").await.unwrap();
    let marked = emulator.harness().changes("invoice_marked_paid");
    assert_eq!(marked.len(), 1);
    assert_eq!(marked[0]["number"], json!(number));
    assert_eq!(state(&emulator).await["invoices"][0]["paid"], json!(true));

    let error = api(client.mark_invoice_paid("NOPE").await.unwrap_err());
    assert!(
        matches!(&error, VenueManagerError::UnknownExternalId { external_id, .. } if external_id == "NOPE"),
        "{error:?}"
    );
    add_invoice(&emulator, json!({"externalId": "DUP 1/2", "lines": [line("1")]})).await;
    add_invoice(&emulator, json!({"externalId": "DUP 1/2", "lines": [line("2")]})).await;
    let error = api(client.mark_invoice_paid("DUP 1/2").await.unwrap_err());
    assert!(
        matches!(error, VenueManagerError::AmbiguousExternalId { .. }),
        "{error:?}"
    );
    let refused = client.mark_invoice_paid("  ").await.unwrap_err();
    assert!(matches!(refused, CallError::Refused(_)));
    assert_eq!(emulator.harness().changes("invoice_marked_paid").len(), 1);
}

// ----- Loyalty and vouchers ------------------------------------------------------------

#[tokio::test]
async fn loyalty_barcodes_are_registered_once() {
    let (emulator, client) = start().await;
    let token = alice(&client).await;
    let points = client.register_loyalty_usage(&token, "XYZ1234").await.unwrap();
    assert_eq!(points.points, Decimal::from(12));
    assert_eq!(emulator.harness().changes("loyalty_usage_registered").len(), 1);

    let error = api(client
        .register_loyalty_usage(&token, "XYZ1234")
        .await
        .unwrap_err());
    assert!(
        matches!(error, VenueManagerError::LoyaltyBarcodeUsed { .. }),
        "{error:?}"
    );
    control(
        &emulator,
        "/_sandbox/loyalty-barcodes",
        json!({"code": "OLD1", "points": 5, "valid": false}),
    )
    .await;
    let error = api(client.register_loyalty_usage(&token, "OLD1").await.unwrap_err());
    assert_eq!(
        error,
        VenueManagerError::LoyaltyBarcodeExpired {
            message: "Loyalty barcode no longer valid".to_owned()
        }
    );
    let error = api(client.register_loyalty_usage(&token, "NOPE").await.unwrap_err());
    assert!(
        matches!(&error, VenueManagerError::UnknownLoyaltyBarcode { message } if message.contains("NOPE")),
        "{error:?}"
    );
    let error = api(client.register_loyalty_usage(&token, "").await.unwrap_err());
    assert!(
        matches!(error, VenueManagerError::InvalidRequest { .. }),
        "{error:?}"
    );
    let error = api(client
        .register_loyalty_usage(&Secret::new("x"), "XYZ1234")
        .await
        .unwrap_err());
    assert!(
        matches!(error, VenueManagerError::NotLoggedIn { .. }),
        "{error:?}"
    );
    assert_eq!(emulator.harness().changes("loyalty_usage_registered").len(), 1);
}

#[tokio::test]
async fn voucher_codes_are_read_and_redeemed_once() {
    let (emulator, client) = start().await;
    let token = alice(&client).await;
    let voucher = client.voucher_code(&token, "XYZ1234").await.unwrap();
    assert!(voucher.is_valid);
    let price = voucher.creation_price.as_ref().unwrap();
    assert_eq!(
        (price.amount.to_string().as_str(), price.currency_code.as_str()),
        ("100", "DKK")
    );
    client.redeem_voucher_code(&token, voucher.id).await.unwrap();
    assert_eq!(
        emulator.harness().changes("voucher_code_redeemed")[0]["id"],
        json!(voucher.id)
    );
    let after = client.voucher_code(&token, "XYZ1234").await.unwrap();
    assert!(!after.is_valid);
    assert_eq!(after.message.as_deref(), Some("Rabatkoden er allerede brugt"));

    let error = api(client.redeem_voucher_code(&token, voucher.id).await.unwrap_err());
    assert!(
        matches!(error, VenueManagerError::VoucherAlreadyRedeemed { .. }),
        "{error:?}"
    );
    let error = api(client.redeem_voucher_code(&token, 999).await.unwrap_err());
    assert!(
        matches!(error, VenueManagerError::UnknownVoucherCode { .. }),
        "{error:?}"
    );
    let error = api(client.voucher_code(&token, "NOPE").await.unwrap_err());
    assert!(
        matches!(error, VenueManagerError::UnknownVoucherCode { .. }),
        "{error:?}"
    );
    let error = api(client.voucher_code(&token, "").await.unwrap_err());
    assert!(
        matches!(&error, VenueManagerError::InvalidRequest { message, .. } if message == "Missing voucher code value"),
        "{error:?}"
    );
    assert_eq!(emulator.harness().changes("voucher_code_redeemed").len(), 1);
}

// ----- Failures ------------------------------------------------------------------------

#[tokio::test]
async fn http_statuses_without_a_documented_body_stay_statuses() {
    let (emulator, client) = start().await;
    for status in [401u16, 403, 404, 500, 503] {
        fault(
            &emulator,
            "GET",
            "/invoice",
            Fault::Status {
                status,
                after_commit: false,
            },
        );
        let error = client.test_connection().await.unwrap_err();
        match &error {
            CallError::Status { status: got, .. } => assert_eq!(*got, status),
            other => panic!("{status}: {other:?}"),
        }
        assert_eq!(error.outcome_unknown(), status >= 500, "{status}");
    }
    fault(
        &emulator,
        "POST",
        "/order",
        Fault::TooManyRequests { retry_after_secs: 7 },
    );
    let token = alice(&client).await;
    let error = client
        .create_order(
            &token,
            vec![OrderLine {
                sellable_id: None,
                product_id: Some(3),
                quantity: 1,
                date: None,
                properties: None,
            }],
        )
        .await
        .unwrap_err();
    assert!(
        matches!(error, CallError::Status { status: 429, retry_after: Some(after), .. } if after.as_secs() == 7),
        "{error:?}"
    );
    assert_eq!(error.code(), "provider_rate_limited");
    assert!(emulator.harness().changes("order_created").is_empty());
}

#[tokio::test]
async fn bodies_that_are_not_the_documents_are_malformed() {
    let (emulator, client) = start().await;
    fault(
        &emulator,
        "GET",
        "/catalog/products/",
        Fault::Body {
            text: "<html>502 Bad Gateway</html>".to_owned(),
        },
    );
    let error = client.products(None, None).await.unwrap_err();
    assert!(
        matches!(&error, CallError::Malformed(m) if m.what == "products"),
        "{error:?}"
    );
    fault(&emulator, "GET", "/catalog/products/", Fault::Truncate);
    assert!(matches!(
        client.products(None, None).await.unwrap_err(),
        CallError::Malformed(_)
    ));
    fault(
        &emulator,
        "GET",
        "/catalog/products/",
        Fault::Body {
            text: r#"{"id": 3}"#.to_owned(),
        },
    );
    assert!(matches!(
        client.products(None, None).await.unwrap_err(),
        CallError::Malformed(_)
    ));
    fault(
        &emulator,
        "GET",
        "/invoice",
        Fault::Body {
            text: "not xml at all".to_owned(),
        },
    );
    let error = client.invoices(None, 5, InvoiceFormat::Xml).await.unwrap_err();
    assert!(
        matches!(&error, CallError::Malformed(m) if m.what == "invoice list (XML)"),
        "{error:?}"
    );
    fault(
        &emulator,
        "GET",
        "/test/integer",
        Fault::Body {
            text: "\"42\"".to_owned(),
        },
    );
    assert!(matches!(
        client.test_integer().await.unwrap_err(),
        CallError::Malformed(_)
    ));
}

#[tokio::test]
async fn an_amount_finer_than_the_currency_is_refused() {
    let (emulator, client) = start().await;
    add_invoice(&emulator, json!({"lines": [line("100.005")]})).await;
    let error = client.invoices(None, 10, InvoiceFormat::Json).await.unwrap_err();
    assert!(
        matches!(&error, CallError::Malformed(m) if m.detail.contains("100.005 DKK has more than 2 decimals")),
        "{error:?}"
    );
    let error = client.invoices(None, 10, InvoiceFormat::Xml).await.unwrap_err();
    assert!(matches!(error, CallError::Malformed(_)), "{error:?}");
    control(
        &emulator,
        "/_sandbox/products",
        json!({"id": 77, "name": "Odd", "priceInclVat": 19.805, "vat": 3.961}),
    )
    .await;
    let error = client.product(77, None).await.unwrap_err();
    assert!(
        matches!(&error, CallError::Malformed(m) if m.detail.contains("19.805")),
        "{error:?}"
    );
}

#[tokio::test]
async fn answers_that_contradict_the_request_are_caught() {
    let (emulator, client) = start().await;
    let first = add_invoice(&emulator, json!({"currencyCode": "SEK", "lines": [line("100")]})).await;
    let error = client.invoices(None, 10, InvoiceFormat::Json).await.unwrap_err();
    assert!(
        matches!(&error, CallError::Contradiction(text) if text.contains("SEK") && text.contains("DKK")),
        "{error:?}"
    );
    assert!(error.outcome_unknown());

    add_invoice(&emulator, json!({"lines": [line("100")]})).await;
    let earlier = format!(
        r#"[{{"id":1,"number":{first},"orderId":0,"type":"invoice","totalAmount":1,"totalDiscount":0,"totalVat":0.2,"currencyCode":"DKK","customer":{{"id":1}},"lines":[]}}]"#
    );
    fault(&emulator, "GET", "/invoice", Fault::Body { text: earlier });
    let error = client
        .invoices(Some(first), 10, InvoiceFormat::Json)
        .await
        .unwrap_err();
    assert!(
        matches!(&error, CallError::Contradiction(text) if text.contains(&format!("after number {first}"))),
        "{error:?}"
    );

    control(
        &emulator,
        "/_sandbox/products",
        json!({"id": 78, "name": "Svensk", "priceInclVat": 125, "vat": 25, "currencyCode": "SEK"}),
    )
    .await;
    let error = client.product(78, None).await.unwrap_err();
    assert!(matches!(error, CallError::Contradiction(_)), "{error:?}");
    fault(
        &emulator,
        "GET",
        "/catalog/product/3",
        Fault::Body {
            text: r#"{"id":4,"name":"x","label":"x","productType":"seasoncard","priceInclVat":1,"vat":0.2,"currencyCode":"DKK","hasInventoryPerDate":false}"#.to_owned(),
        },
    );
    let error = client.product(3, None).await.unwrap_err();
    assert!(
        matches!(&error, CallError::Contradiction(text) if text.contains("product 3")),
        "{error:?}"
    );
}

#[tokio::test]
async fn unknown_text_values_are_kept_not_guessed() {
    let (emulator, client) = start().await;
    add_invoice(
        &emulator,
        json!({"type": "refund", "lines": [{"type": "giftcard", "quantity": 1, "amount": 10, "vatPercentage": 0}]}),
    )
    .await;
    let invoices = client.invoices(None, 10, InvoiceFormat::Json).await.unwrap();
    assert_eq!(invoices[0].kind, InvoiceType::Unknown("refund".to_owned()));
    assert_eq!(
        invoices[0].lines[0].kind,
        InvoiceLineType::Unknown("giftcard".to_owned())
    );
    let xml = client.invoices(None, 10, InvoiceFormat::Xml).await.unwrap();
    assert_eq!(xml[0].kind, InvoiceType::Unknown("refund".to_owned()));
    let products = client.products(None, Some("ticket")).await.unwrap();
    assert_eq!(products[0].product_type.as_str(), "ticket");
}

#[tokio::test]
async fn a_connection_dropped_after_commit_leaves_the_outcome_unknown() {
    let (emulator, client) = start().await;
    let token = alice(&client).await;
    fault(&emulator, "POST", "/order", Fault::Drop { after_commit: true });
    let error = client
        .create_order(
            &token,
            vec![OrderLine {
                sellable_id: None,
                product_id: Some(3),
                quantity: 1,
                date: None,
                properties: None,
            }],
        )
        .await
        .unwrap_err();
    assert!(error.outcome_unknown(), "{error:?}");
    assert_eq!(emulator.harness().changes("order_created").len(), 1);

    let number = add_invoice(&emulator, json!({"externalId": "DG817", "lines": [line("1")]})).await;
    fault(
        &emulator,
        "PUT",
        "/invoice/markAsPaidByExternalId/DG817",
        Fault::Drop { after_commit: true },
    );
    let error = client.mark_invoice_paid("DG817").await.unwrap_err();
    assert!(error.outcome_unknown(), "{error:?}");
    assert_eq!(
        emulator.harness().changes("invoice_marked_paid")[0]["number"],
        json!(number)
    );

    fault(&emulator, "POST", "/order", Fault::Drop { after_commit: false });
    let error = client
        .create_order(
            &token,
            vec![OrderLine {
                sellable_id: None,
                product_id: Some(3),
                quantity: 1,
                date: None,
                properties: None,
            }],
        )
        .await
        .unwrap_err();
    assert!(error.outcome_unknown(), "the client cannot tell: {error:?}");
    assert_eq!(emulator.harness().changes("order_created").len(), 1);
}

#[tokio::test]
async fn amounts_keep_their_digits_through_the_shop() {
    let (emulator, client) = start().await;
    let digits = ["0.1", "4200.5", "840.1", "19.80"];
    let lines: Vec<String> = digits
        .iter()
        .map(|amount| format!(r#"{{"quantity": 1, "amount": {amount}, "vatPercentage": 25}}"#))
        .collect();
    control_text(
        &emulator,
        "/_sandbox/invoices",
        format!(r#"{{"lines": [{}]}}"#, lines.join(",")),
    )
    .await;
    for format in [InvoiceFormat::Json, InvoiceFormat::Xml] {
        let invoices = client.invoices(None, 1, format).await.unwrap();
        let amounts: Vec<String> = invoices[0]
            .lines
            .iter()
            .map(|line| line.amount.to_string())
            .collect();
        assert_eq!(amounts, digits, "{format:?}");
        assert_eq!(invoices[0].total_amount.to_string(), "5060.50", "{format:?}");
        // And back through the wire type.
        let text = serde_json::to_string(&invoices[0]).unwrap();
        for amount in digits {
            assert!(text.contains(&format!("\"amount\":{amount},")), "{text}");
        }
        let again: kassa_providers::venue_manager::wire::Invoice = serde_json::from_str(&text).unwrap();
        assert_eq!(again, invoices[0]);
    }
}

#[tokio::test]
async fn settings_are_checked() {
    let emulator = RunningEmulator::start(Provider::VenueManager, Ports::Ephemeral)
        .await
        .unwrap();
    let mut missing = settings(&emulator.base_url(), &[]);
    missing.secrets.clear();
    assert!(matches!(
        Client::from_settings(&missing),
        Err(SettingsError::Missing {
            key: "api_password",
            ..
        })
    ));
    let error = Client::from_settings(&settings(&emulator.base_url(), &[("currency", "dkk")])).unwrap_err();
    assert!(error.to_string().contains("did you mean DKK"), "{error}");
    assert!(matches!(
        Client::from_settings(&settings("ftp://shop", &[])),
        Err(SettingsError::BaseUrl { .. })
    ));
    let shown = format!(
        "{:?}",
        Client::from_settings(&settings(&emulator.base_url(), &[])).unwrap()
    );
    assert!(!shown.contains(DEMO_SETTINGS[1].1), "{shown}");
}
