//! Every example of the SWiP document (tests/fixtures/providers/swip/), parsed into the
//! wire types and checked field by field; request examples must also be what the types
//! write, number text for number text.

mod fixture_support;

use std::str::FromStr;

use fixture_support::{Absent, Example, differences, manifest};
use kassa_core::{Currency, Money};
use kassa_providers::swip::{
    CloseOrderRequest, CloseTag, CreateOrderRequest, ErrorBody, ErrorCode, LoyaltyCalculation,
    LoyaltyCalculationRequest, OperationResult, OperationStatus, Order, OrderStatus, PaymentMethod,
    PaymentSystem, RefundRequest, ReverseRequest, Unit,
};
use rust_decimal::Decimal;
use serde::de::DeserializeOwned;

fn body(example: &Example) -> String {
    fixture_support::read(example)
}

fn parse<T: DeserializeOwned>(example: &Example) -> T {
    serde_json::from_str(&body(example)).unwrap_or_else(|error| panic!("{}: {error}", example.file))
}

/// The request example is exactly what the type writes back.
fn round_trips<T: DeserializeOwned + serde::Serialize>(example: &Example) -> T {
    let value: T = parse(example);
    let written = serde_json::to_string(&value).expect("serializes");
    let found = differences(&body(example), &written, Absent::IsNull);
    assert!(
        found.is_empty(),
        "{}: {found:#?}\nwritten: {written}",
        example.file
    );
    value
}

fn dec(text: &str) -> Decimal {
    Decimal::from_str(text).expect("a decimal")
}

/// Digits, not just value: 50.0 must stay 50.0.
fn digits(amount: Option<Decimal>) -> String {
    amount
        .map(|amount| amount.to_string())
        .unwrap_or_else(|| "absent".to_owned())
}

fn check_order(example: &Example, order: &Order, status: OrderStatus) {
    assert_eq!(order.id, "1374289e-12fd-47e1-b111-0c6ae5568ff1");
    assert_eq!(order.merchant_order_id, "1374289e-12fd-47e1-b111-0c6ae5568ff1");
    assert_eq!(order.api_version, Some(3));
    assert_eq!(order.authorization_code.as_deref(), Some("string"));
    assert_eq!(order.cash, Some(false));
    assert_eq!(digits(order.close_amount), "0.0");
    assert_eq!(order.customer_id, None);
    assert_eq!(order.discount_card.as_deref(), Some("string"));
    assert_eq!(order.error.as_deref(), Some("string"));
    assert_eq!(order.merchant_cash.as_deref(), Some("88"));
    assert_eq!(order.merchant_cashier.as_deref(), Some("Cashier name"));
    assert_eq!(
        order.merchant_cashier_id.as_deref(),
        Some("77527945-9a53-4849-a732-bd8736b39144")
    );
    assert_eq!(order.merchant_category.as_deref(), Some("Electronics"));
    assert_eq!(digits(order.merchant_commission), "0");
    assert_eq!(order.merchant_id.as_deref(), Some("VZLT"));
    assert_eq!(order.merchant_name.as_deref(), Some("shop"));
    assert_eq!(order.merchant_order_number.as_deref(), Some("11"));
    assert_eq!(
        order.merchant_profile_image_id.as_deref(),
        Some("175bdc4f-9c3d-4465-89e0-a5bce381d381")
    );
    assert_eq!(order.merchant_store.as_deref(), Some("3"));
    assert_eq!(
        order.order_number.as_deref(),
        Some("28048058915136358726242016980679")
    );
    assert_eq!(order.order_status, status, "{}", example.file);
    assert_eq!(digits(order.paid), "0.0");
    assert_eq!(order.pan.as_deref(), Some("string"));
    assert_eq!(order.payment_method, Some(PaymentMethod::Card));
    assert_eq!(order.payment_system, Some(PaymentSystem::Amex));
    assert_eq!(order.purchases.len(), 1);
    let purchase = &order.purchases[0];
    assert_eq!(
        purchase.id.as_deref(),
        Some("b314fd4e-df92-427b-a2f9-1da10dcefb78")
    );
    assert_eq!(digits(purchase.discount), "0");
    assert_eq!(purchase.name.as_deref(), Some("Sprite 0,33 l"));
    assert_eq!(purchase.parent_id.as_deref(), Some("string"));
    assert_eq!(purchase.product_id, None);
    assert_eq!(purchase.quantity.to_string(), "0");
    assert_eq!(purchase.unit, Some(Unit::Unknown("string".to_owned())));
    assert_eq!(purchase.price.to_string(), "50.0");
    assert_eq!(digits(purchase.amount), "50.0");
    assert_eq!(digits(order.refunded), "0");
    assert_eq!(order.rrn.as_deref(), Some("string"));
    assert_eq!(order.sale_date, Some(1_540_485_815_026));
    assert_eq!(
        order.session_code.as_deref(),
        Some("https://swip.one/?qr=6794742")
    );
    assert_eq!(
        order.slip.as_ref().map(|slip| slip.0.as_str()),
        Some("...very long text...")
    );
    assert_eq!(order.terminal_no.as_deref(), Some("string"));
    assert_eq!(order.total.to_string(), "50.0");
    assert_eq!(order.total_original.to_string(), "50.0");
    assert_eq!(digits(order.unconfirmed), "0.0");
    let amounts = order
        .amounts(Currency::EUR)
        .expect("the example's amounts fit EUR");
    assert_eq!(amounts.total, Money::new(dec("50.0"), Currency::EUR));
    assert!(amounts.paid.is_zero());
}

fn check_operation(example: &Example) {
    let result: OperationResult = parse(example);
    assert_eq!(result.status, OperationStatus::Success);
    assert_eq!(result.slip.as_ref().map(|slip| slip.0.as_str()), Some("string"));
    assert_eq!(result.description.as_deref(), Some("Some description"));
    assert_eq!(result.code, Some(ErrorCode::Number(0)));
}

fn check(example: &Example) {
    match (
        example.endpoint.as_str(),
        example.direction.as_str(),
        example.file.as_str(),
    ) {
        ("POST /orders", "request", _) => {
            let request: CreateOrderRequest = round_trips(example);
            assert_eq!(request.guests, Some(0));
            assert_eq!(request.merchant_cashier, "Cashier name");
            assert_eq!(
                request.merchant_cashier_id.as_deref(),
                Some("77527945-9a53-4849-a732-bd8736b39144")
            );
            assert_eq!(request.merchant_order_id, "1374289e-12fd-47e1-b111-0c6ae5568ff1");
            assert_eq!(request.merchant_order_number.as_deref(), Some("11"));
            assert_eq!(request.pos_type, "RKEEPER");
            assert_eq!(request.purchases.len(), 1);
            assert_eq!(request.purchases[0].name.as_deref(), Some("Sprite 0,33 l"));
            assert_eq!(request.purchases[0].price.to_string(), "50.0");
            assert_eq!(digits(request.purchases[0].amount), "50.0");
            assert_eq!(
                request.purchases[0].unit,
                Some(Unit::Unknown("string".to_owned()))
            );
            assert_eq!(request.sale_date, 1_540_485_815_026);
            assert_eq!(
                request.session_code.as_deref(),
                Some("https://swip.one/?qr=6794742")
            );
            assert_eq!(request.total.to_string(), "50.0");
            assert_eq!(request.total_original.to_string(), "50.0");
            assert_eq!(request.positional_discount, None);
        }
        ("POST /orders", "response", _) | ("GET /orders/{id}", "response", _) => {
            let order: Order = parse(example);
            check_order(example, &order, OrderStatus::Open);
            assert_eq!(order.swip_discount, None);
        }
        ("POST /orders/{id}/actions/close", "request", file) => {
            let request: CloseOrderRequest = round_trips(example);
            match file {
                "close_order_request.json" => {
                    assert_eq!(request.amount.to_string(), "50.0");
                    assert!(request.tags.is_empty());
                }
                "rounding_request.json" => {
                    assert_eq!(request.amount.to_string(), "50.0");
                    assert_eq!(request.tags, vec![CloseTag::Rounded]);
                }
                "cancel_order_request.json" => {
                    assert_eq!(request.amount.to_string(), "0.0");
                    assert!(request.tags.is_empty());
                }
                other => panic!("{other}: no check written for this close example"),
            }
        }
        ("POST /orders/{id}/actions/close", "response", file) => {
            let order: Order = parse(example);
            check_order(example, &order, OrderStatus::Closed);
            if file == "close_order_response.json" {
                assert_eq!(digits(order.merchant_discount), "0");
                assert_eq!(digits(order.swip_discount), "0");
            } else {
                assert_eq!(order.merchant_discount, None);
            }
        }
        ("POST /refunds", "request", _) => {
            let request: RefundRequest = round_trips(example);
            assert_eq!(request.amount.to_string(), "25.00");
            assert_eq!(request.merchant_id, "d30ceaab-cc06-4f7c-bc58-2e86d336d7b3");
            assert_eq!(request.merchant_order_id, "130ceaab-cc06-4f7c-bc58-2e86d336d723");
        }
        ("POST /reverses", "request", _) => {
            let request: ReverseRequest = round_trips(example);
            assert_eq!(digits(request.amount), "25.00");
            assert_eq!(request.merchant_id, "d30ceaab-cc06-4f7c-bc58-2e86d336d7b3");
            assert_eq!(request.merchant_order_id, "130ceaab-cc06-4f7c-bc58-2e86d336d723");
        }
        ("POST /refunds", "response", _) | ("POST /reverses", "response", _) => check_operation(example),
        ("POST /loyalty-calculations", "request", _) => {
            let request: LoyaltyCalculationRequest = round_trips(example);
            assert_eq!(request.merchant_order_id, "130ceaab-cc06-4f7c-bc58-2e86d336d723");
            assert_eq!(request.total.to_string(), "50.50");
            assert_eq!(request.purchases.len(), 1);
            assert_eq!(digits(request.purchases[0].discount), "0");
            assert_eq!(request.purchases[0].quantity.to_string(), "0");
        }
        ("POST /loyalty-calculations", "response", _) => {
            let calculation: LoyaltyCalculation = parse(example);
            let result = &calculation.discount_calc_result;
            assert_eq!(result.discount_original.to_string(), "19.80");
            assert_eq!(result.discount.to_string(), "20.0");
            assert_eq!(result.lines.len(), 1);
            assert_eq!(result.lines[0].program_id, 584);
            assert_eq!(
                result.lines[0].description.as_deref(),
                Some("Discount for all customers")
            );
            assert_eq!(result.lines[0].discount.to_string(), "19.80");
            assert_eq!(calculation.total_before_calc.to_string(), "50.0");
            assert_eq!(calculation.total.to_string(), "30.0");
        }
        (_, "response", "error_object.json") => {
            let error: ErrorBody = parse(example);
            assert_eq!(error.code, Some(ErrorCode::Number(0)));
            assert_eq!(error.description.as_deref(), Some("string"));
            assert_eq!(error.field_errors.len(), 1);
            assert_eq!(error.field_errors[0].field.as_deref(), Some("string"));
            assert_eq!(error.field_errors[0].message.as_deref(), Some("string"));
            assert_eq!(error.field_errors[0].object_name.as_deref(), Some("string"));
        }
        other => panic!("no check written for {other:?}"),
    }
}

#[test]
fn every_example_of_the_document_is_read_field_by_field() {
    let examples = manifest("swip");
    assert_eq!(examples.len(), 16, "the document has 16 examples");
    for example in &examples {
        assert_eq!(example.document, "003_be2092af50c50b0b.txt");
        assert!(example.lines[0] <= example.lines[1]);
        assert!(matches!(example.direction.as_str(), "request" | "response"));
        assert!(example.direction == "response" || example.status.is_none());
        assert!(example.repairs.iter().all(|repair| !repair.is_empty()));
        check(example);
    }
}

#[test]
fn the_stray_private_boolean_key_is_ignored() {
    let example = manifest("swip")
        .into_iter()
        .find(|example| example.file == "get_order_response.json")
        .expect("the get-order example");
    assert!(body(&example).contains(r#""private boolean": "cash""#));
    let order: Order = parse(&example);
    assert_eq!(order.cash, Some(false));
}

#[test]
fn amounts_keep_their_digits_through_the_types() {
    for text in ["0.1", "4200.5", "840.1", "19.80"] {
        let json = format!(r#"{{"amount":{text},"merchantId":"ABCD","merchantOrderId":"o-1"}}"#);
        let refund: RefundRequest = serde_json::from_str(&json).expect("parses");
        assert_eq!(refund.amount.to_string(), text);
        assert!(
            differences(
                &json,
                &serde_json::to_string(&refund).expect("writes"),
                Absent::IsNull
            )
            .is_empty()
        );

        let close = CloseOrderRequest {
            amount: dec(text),
            tags: vec![CloseTag::Rounded],
        };
        let written = serde_json::to_string(&close).expect("writes");
        assert_eq!(written, format!(r#"{{"amount":{text},"tags":["ROUNDED"]}}"#));
        let back: CloseOrderRequest = serde_json::from_str(&written).expect("parses");
        assert_eq!(back.amount.to_string(), text);

        let order = format!(
            r#"{{"id":"i","merchantOrderId":"m","orderStatus":"OPEN","total":{text},"totalOriginal":{text},"paid":{text}}}"#
        );
        let order: Order = serde_json::from_str(&order).expect("parses");
        let amounts = order.amounts(Currency::EUR).expect("two decimals at most");
        assert_eq!(amounts.paid.amount().to_string(), text);
    }
}
