//! Every example of the Vourity document (tests/fixtures/providers/vourity) read into the
//! wire types, checked field by field, and written back to the same JSON, numbers
//! compared by their text.

use kassa_providers::vourity::wire::{
    self, ActionRequestResponseBody, PaymentRefundBody, PaymentRequestBody, SessionCommandBody,
    SetPosStatusBody,
};
use kassa_providers::vourity::{ActionResponseCode, PosStatusCode};

mod fixture_support;

use fixture_support::{dir, exact, manifest, round_trip};

#[test]
fn the_manifest_lists_every_example_once() {
    let examples = manifest("vourity");
    assert_eq!(examples.len(), 12);
    for example in &examples {
        assert_eq!(example.document, "000_72dc44b8ce631202.txt");
        assert!(example.lines[0] <= example.lines[1]);
        // The document has requests only.
        assert_eq!(example.direction, "request");
        assert_eq!(example.status, None);
        assert!(!example.repairs.is_empty());
        assert!(dir("vourity").join(&example.file).exists(), "{}", example.file);
    }
    let endpoints: std::collections::BTreeSet<&str> = examples.iter().map(|e| e.endpoint.as_str()).collect();
    assert_eq!(endpoints.len(), 6);
}

#[test]
fn every_example_reads_into_the_wire_types_and_back() {
    for example in manifest("vourity") {
        match example.endpoint.as_str() {
            "POST /pos-payment-request" => {
                let body: PaymentRequestBody = round_trip(&example);
                assert_eq!(body.session_id, "a4101007-cd84-45c1-a493-fb37c342021c");
                assert_eq!(body.msg_type, wire::msg_type::PAYMENT_REQUEST);
                assert_eq!(body.merchant_id, "0bc01e2d-cbe4-4593-be3a-e4e22effdb36");
                assert_eq!(body.merchant_name, "My Company Name");
                assert_eq!(body.point_of_service_id, "2114b1a2-ad68-469a-9fab-2bdd53eee06a");
                assert_eq!(body.point_of_service_name, "Test");
                assert_eq!(body.total_amount_incl_vat.to_string(), "2");
                assert_eq!(body.total_vat_amount.to_string(), "1");
                assert_eq!(body.currency, "SEK");
                let total =
                    wire::money("totalAmountInclVat", body.total_amount_incl_vat, &body.currency).unwrap();
                assert_eq!(
                    (total.amount().to_string(), total.currency().code()),
                    ("2".to_owned(), "SEK")
                );
                assert_eq!(body.response_webhook_url, "https://webhook.test.com");
                assert_eq!(
                    body.merchant_references.order_id,
                    "3ee34aa2-8436-4b6b-888a-d66de981434f"
                );
                assert_eq!(
                    body.merchant_references.payment_id,
                    "71821815-5aeb-4fe0-a60e-edec7a95bfde"
                );
                assert_eq!(body.id.as_deref(), Some("a410a872-cd84-45c1-a493-fb37c342021c"));
            }
            "POST /pos-payment-cancel" | "POST /pos-payment-capture" => {
                let body: SessionCommandBody = round_trip(&example);
                assert_eq!(body.session_id, "1bb58cfa-063d-4f5c-be5d-b90cfb64d1d6");
                assert_eq!(body.point_of_service_id, "34496536-c896-4cbc-9671-ee193878e80b");
                let wanted = if example.endpoint.ends_with("cancel") {
                    wire::msg_type::PAYMENT_CANCEL
                } else {
                    wire::msg_type::PAYMENT_CAPTURE
                };
                assert_eq!(body.msg_type, wanted);
            }
            "POST /pos-payment-refund" => {
                let body: PaymentRefundBody = round_trip(&example);
                assert_eq!(body.session_id, "1bb58cfa-063d-4f5c-be5d-b90cfb64d1d6");
                assert_eq!(body.point_of_service_id, "34496536-c896-4cbc-9671-ee193878e80b");
                assert_eq!(body.msg_type, wire::msg_type::PAYMENT_REFUND);
                assert_eq!(body.currency, "SEK");
                assert_eq!(body.refund_amount.to_string(), "2");
                assert_eq!(body.refund_reason, "Problem with the vending machine");
            }
            "POST /action-request-response" => {
                let body: ActionRequestResponseBody = round_trip(&example);
                assert_eq!(body.response_code, ActionResponseCode::Accepted);
                // Our reading adds these; the document's example has neither.
                assert_eq!((body.action_request_id, body.session_id), (None, None));
            }
            "PATCH /set-pos-status" => {
                let body: SetPosStatusBody = round_trip(&example);
                assert_eq!(body.status_code, PosStatusCode::Available);
                assert_eq!(body.point_of_service_id, None);
            }
            other => panic!("{}: no check for {other}", example.file),
        }
    }
}

#[test]
fn the_exact_comparison_tells_number_texts_apart() {
    assert_ne!(exact(r#"{"a":2}"#), exact(r#"{"a":2.0}"#));
    assert_ne!(exact(r#"{"a":19.80}"#), exact(r#"{"a":19.8}"#));
    assert_eq!(
        exact(r#"{"a":[1,"x",null,true]}"#),
        exact(r#"{ "a" : [1, "x", null, true] }"#)
    );
}
