//! Every example of the Flexiti document (tests/fixtures/providers/flexiti/): the bodies
//! parsed into the wire types field by field and written back number text for number
//! text; the URL examples read into the filters and written back parameter for
//! parameter.

mod fixture_support;

use chrono::NaiveDate;
use fixture_support::{Absent, Example, differences, manifest};
use kassa_providers::flexiti::{
    AuthorizationFilter, AuthorizationStatus, CaptureFilter, CaptureRequest, CaptureStatus, PurchaseRequest,
    ReturnRequest, SkuData, TransactionType,
};
use rust_decimal::Decimal;
use serde::de::DeserializeOwned;

fn body(example: &Example) -> String {
    fixture_support::read(example)
}

fn round_trips<T: DeserializeOwned + serde::Serialize>(example: &Example) -> T {
    let text = body(example);
    let value: T = serde_json::from_str(&text).unwrap_or_else(|error| panic!("{}: {error}", example.file));
    let written = serde_json::to_string(&value).expect("serializes");
    let found = differences(&text, &written, Absent::IsNull);
    assert!(
        found.is_empty(),
        "{}: {found:#?}\nwritten: {written}",
        example.file
    );
    value
}

fn digits(amount: Option<Decimal>) -> String {
    amount
        .map(|amount| amount.to_string())
        .unwrap_or_else(|| "absent".to_owned())
}

/// The two products every SKU example lists.
fn check_products(sku: &SkuData) {
    assert_eq!(sku.purchase_order.as_deref(), Some("100001234"));
    assert_eq!(sku.register_id.as_deref(), Some("1A45"));
    assert_eq!(sku.products.len(), 2);
    let first = &sku.products[0];
    assert_eq!(first.sku_id.as_deref(), Some("100xx4567"));
    assert_eq!(first.category.as_deref(), Some("electronics"));
    assert_eq!(first.description.as_deref(), Some("Apple Macbook 16-inch"));
    assert_eq!(digits(first.quantity), "1");
    assert_eq!(digits(first.unit_price), "1000");
    assert_eq!(digits(first.extended_price), "984.35");
    let second = &sku.products[1];
    assert_eq!(second.sku_id.as_deref(), Some("20bb3457"));
    assert_eq!(second.category.as_deref(), Some("office supplies"));
    assert_eq!(second.description.as_deref(), Some("24lb Multiuse Paper, White"));
    assert_eq!(digits(second.unit_price), "33.99");
    assert_eq!(digits(second.extended_price), "42.12");
}

/// The path below `client-id/{client_id}/` and the query pairs of a URL example.
/// Reading: where the document has `&` in place of `?`, the first `&` starts the query.
fn split_url(text: &str) -> (String, Vec<(String, String)>) {
    let below = text
        .trim()
        .split_once("/client-id/{client_id}/")
        .map(|(_, rest)| rest)
        .expect("a path below client-id/{client_id}/");
    let (path, query) = match below.find(['?', '&']) {
        Some(at) => (&below[..at], &below[at + 1..]),
        None => (below, ""),
    };
    let pairs = query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            (name.to_owned(), value.to_owned())
        })
        .collect();
    (path.to_owned(), pairs)
}

fn as_written(pairs: Vec<(&'static str, String)>) -> Vec<(String, String)> {
    pairs
        .into_iter()
        .map(|(name, value)| (name.to_owned(), value))
        .collect()
}

fn date(text: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()
}

fn check(example: &Example) {
    match example.file.as_str() {
        "authorization_request.url" => {
            let (path, pairs) = split_url(&body(example));
            assert_eq!(path, "authorization");
            assert!(pairs.is_empty());
        }
        "capture_request_with_sku.json" => {
            let request: CaptureRequest = round_trips(example);
            assert_eq!(request.reference.as_deref(), Some("orderid-12345"));
            assert_eq!(request.amount.to_string(), "3000.12");
            assert_eq!(request.external_location_id.as_deref(), Some("00-12345"));
            assert_eq!(request.external_employee_id.as_deref(), Some("12345-SMITH"));
            let sku = request.sku_data.as_ref().expect("sku_data");
            assert_eq!(digits(sku.transaction_discount_total), "-123.08");
            assert_eq!(digits(sku.transaction_subtotal), "821.17");
            assert_eq!(digits(sku.transaction_total), "1026.47");
            assert_eq!(digits(sku.gst_hst), "133.45");
            assert_eq!(digits(sku.pst), "71.85");
            assert_eq!(sku.shipping_total, None);
            check_products(sku);
        }
        "capture_request_without_sku.json" => {
            let request: CaptureRequest = round_trips(example);
            assert_eq!(request.reference.as_deref(), Some("orderid-12345"));
            assert_eq!(request.amount.to_string(), "3000.12");
            assert_eq!(request.external_location_id.as_deref(), Some("00-12345"));
            assert_eq!(request.external_employee_id.as_deref(), Some("12345-SMITH"));
            assert_eq!(request.sku_data, None);
        }
        "return_request.json" => {
            let request: ReturnRequest = round_trips(example);
            assert_eq!(request.reference.as_deref(), Some("Order-1234"));
            assert_eq!(request.vcc_number.as_deref(), Some("1234567890121256"));
            assert!(!request.full_return);
            assert_eq!(digits(request.amount), "10");
            let sku = request.sku_data.as_ref().expect("sku_data");
            assert_eq!(digits(sku.transaction_discount_total), "-125.08");
            assert_eq!(digits(sku.transaction_subtotal), "-821.17");
            assert_eq!(digits(sku.transaction_total), "-1026.47");
            assert_eq!(digits(sku.gst_hst), "-133.45");
            assert_eq!(digits(sku.pst), "-71.85");
            check_products(sku);
            assert_eq!(request.external_employee_id, None);
        }
        "purchase_request.json" => {
            let request: PurchaseRequest = round_trips(example);
            assert_eq!(request.reference.as_deref(), Some("orderid-12345"));
            assert_eq!(request.amount.to_string(), "1000.12");
            assert_eq!(request.external_location_id.as_deref(), Some("00-12345"));
            assert_eq!(request.external_employee_id.as_deref(), Some("12345-SMITH"));
            assert_eq!(request.vcc_number.as_deref(), Some("1234567890123423"));
            assert_eq!(request.capture_id, Some(346_123));
            check_products(request.sku_data.as_ref().expect("sku_data"));
        }
        "list_authorizations_request.url" => {
            let (path, pairs) = split_url(&body(example));
            assert_eq!(path, "authorizations");
            let filter = AuthorizationFilter::from_query(pairs.iter().map(|(n, v)| (n.as_str(), v.as_str())))
                .expect("the example's filters");
            assert_eq!(filter.account_number.as_deref(), Some("12341234"));
            assert_eq!(
                filter.transaction_type,
                Some(TransactionType::PromotionalPurchase)
            );
            assert_eq!(filter.authorization_status, Some(AuthorizationStatus::Opened));
            assert_eq!(filter.creation_date_from, date("2018-11-11"));
            assert_eq!(filter.creation_date_to, date("2018-12-11"));
            assert_eq!(filter.page_number, Some(1));
            assert_eq!(filter.page_size, Some(10));
            assert_eq!(as_written(filter.to_query()), pairs);
        }
        "get_authorization_request.url" => {
            let (path, pairs) = split_url(&body(example));
            let id = path.strip_prefix("authorization/").expect("authorization/{id}");
            assert_eq!(id.parse::<i64>().ok(), Some(12_343));
            assert_eq!(pairs, vec![("lang".to_owned(), "en".to_owned())]);
        }
        "list_captures_request.url" => {
            let (path, pairs) = split_url(&body(example));
            assert_eq!(path, "captures");
            let filter = CaptureFilter::from_query(pairs.iter().map(|(n, v)| (n.as_str(), v.as_str())))
                .expect("the example's filters");
            assert_eq!(filter.account_number.as_deref(), Some("12341234"));
            assert_eq!(
                filter.transaction_type,
                Some(TransactionType::PromotionalPurchase)
            );
            assert_eq!(filter.capture_status, Some(CaptureStatus::Opened));
            assert_eq!(filter.creation_date_from, date("2018-11-11"));
            assert_eq!(filter.creation_date_to, date("2018-12-11"));
            assert_eq!(filter.capture_id, Some(1234));
            assert_eq!(filter.authorization_corporation_id.as_deref(), Some("1234"));
            assert_eq!(filter.authorization_merchant_id.as_deref(), Some("1234"));
            assert_eq!(filter.authorization_location_id.as_deref(), Some("1122"));
            assert_eq!(filter.authorization_employee_username.as_deref(), Some("billm"));
            assert_eq!(filter.capture_employee_username.as_deref(), Some("johnm"));
            assert_eq!(filter.page_number, Some(1));
            assert_eq!(filter.page_size, Some(10));
            assert_eq!(as_written(filter.to_query()), pairs);
        }
        other => panic!("no check written for {other}"),
    }
}

#[test]
fn every_example_of_the_document_is_read_field_by_field() {
    let examples = manifest("flexiti");
    assert_eq!(examples.len(), 8, "the document has 8 examples");
    for example in &examples {
        assert_eq!(example.document, "002_c1fffe112bb44e1d.txt");
        assert!(example.lines[0] <= example.lines[1]);
        assert_eq!(
            example.direction, "request",
            "the document shows no answer bodies"
        );
        assert_eq!(example.status, None);
        assert!(
            example.endpoint.starts_with("POST /client-id/")
                || example.endpoint.starts_with("GET /client-id/")
        );
        assert!(
            !example.repairs.is_empty(),
            "{}: every example needed a repair",
            example.file
        );
        check(example);
    }
}

#[test]
fn amounts_keep_their_digits_through_the_types() {
    for text in ["0.1", "4200.5", "840.1", "19.80"] {
        let json = format!(r#"{{"amount":{text},"external_employee_id":"e"}}"#);
        let request: CaptureRequest = serde_json::from_str(&json).expect("parses");
        assert_eq!(request.amount.to_string(), text);
        assert!(
            differences(
                &json,
                &serde_json::to_string(&request).expect("writes"),
                Absent::IsNull
            )
            .is_empty()
        );
        let returned = format!(r#"{{"full_return":false,"amount":{text}}}"#);
        let request: ReturnRequest = serde_json::from_str(&returned).expect("parses");
        assert_eq!(digits(request.amount), text);
        assert!(
            differences(
                &returned,
                &serde_json::to_string(&request).expect("writes"),
                Absent::IsNull
            )
            .is_empty()
        );
    }
}
