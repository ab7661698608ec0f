//! Every example of the Venue Manager document (tests/fixtures/providers/venue_manager/)
//! read into the wire types: each is written back and compared with the example value by
//! value, numbers by their text, and the fields that matter are checked by name.

mod fixture_support;

use fixture_support::{Absent, Example as Entry, differences, manifest};
use kassa_core::Decimal;
use kassa_providers::venue_manager::wire::{
    AddPaymentCardRequest, AddressField, AnonymizeCheck, Category, ChangePasswordRequest, ClientInfo,
    CreateCustomerRequest, CreateOrderRequest, CreateTokenRequest, CreatedOrderBody, Customer, CustomerGroup,
    CustomerGroupType, EditCustomerRequest, ErrorBody, Geofence, Invoice, InvoiceLineType, InvoiceType,
    LoyaltyPoints, OneTimeToken, OrderTransactionId, PayWithMethodRequest, PaymentCard, Product, ProductType,
    RegisterUsageRequest, ResetPasswordAnswer, ResetPasswordRequest, TestObject, TokenBody, TokenGrant,
    VoucherCode, flag, xml,
};
use serde::Serialize;
use serde::de::DeserializeOwned;

/// Compares two JSON texts value by value, numbers by their text, every key on both
/// sides. Returns where they differ.
fn same_json(expected: &str, actual: &str) -> Result<(), String> {
    let found = differences(expected, actual, Absent::Differs);
    if found.is_empty() {
        Ok(())
    } else {
        Err(found.join("; "))
    }
}

/// Reads `text` as `T`, writes it back, and compares with the example.
fn round_trip<T: DeserializeOwned + Serialize>(entry: &Entry, text: &str) -> T {
    let value: T = serde_json::from_str(text).unwrap_or_else(|error| panic!("{}: {error}", entry.file));
    let written = serde_json::to_string(&value).expect("wire types serialize");
    if let Err(difference) = same_json(text, &written) {
        panic!("{}: {difference}", entry.file);
    }
    value
}

fn digits(value: Decimal) -> String {
    value.to_string()
}

fn check_invoice_json(invoice: &Invoice) {
    assert_eq!(
        (invoice.id, invoice.number, invoice.order_id),
        (12345, 12345, 12345)
    );
    assert_eq!(invoice.kind, InvoiceType::Invoice);
    assert_eq!(
        invoice.date.map(|date| date.to_string()).as_deref(),
        Some("2019-01-17")
    );
    assert_eq!(digits(invoice.total_amount), "4200.5");
    assert_eq!(digits(invoice.total_discount), "0");
    assert_eq!(digits(invoice.total_vat), "840.1");
    assert_eq!(invoice.currency_code, "DKK");
    assert_eq!(invoice.customer.id, 1234);
    assert_eq!(invoice.customer.number.as_deref(), Some("12341234"));
    assert_eq!(
        invoice.delivery_address.as_ref().and_then(|a| a.city.as_deref()),
        Some("xyz")
    );
    let line = &invoice.lines[0];
    assert_eq!(line.kind, InvoiceLineType::Admission);
    assert_eq!(
        [
            line.quantity,
            line.amount,
            line.discount,
            line.vat_percentage,
            line.total_amount
        ]
        .map(digits),
        ["2", "100", "50", "25", "150"].map(str::to_owned)
    );
    assert_eq!(line.numbers, vec![12340000, 12340001]);
    assert_eq!(line.event_name.as_deref(), Some("Gryffindor - Slytherin"));
    assert_eq!(line.season_name.as_deref(), Some("2019/2020"));
    let money = invoice.money().expect("the example's amounts are DKK");
    assert_eq!(money.total.to_string(), "4200.50 DKK");
}

fn check_error(entry: &Entry, text: &str) {
    let body: ErrorBody = round_trip(entry, text);
    let code = body.error_code.as_ref().expect("every example has a code");
    let expected: (&str, u32) = match entry.file.as_str() {
        f if f.starts_with("10_") => ("Argument 'password' missing or empty.", 0),
        f if f.starts_with("13_") => ("Addressfield could not be updated.", 0),
        f if f.starts_with("14_") => ("No customer logged in.", 0),
        f if f.starts_with("16_") => ("Den gamle adgangskode er forkert", 1001),
        f if f.starts_with("19_") => ("Ukendt brugernavn.", 0),
        f if f.starts_with("22_") => ("Argument 'username' missing or empty.", 0),
        f if f.starts_with("23_") => ("Cannot login with supplied username and password.", 0),
        f if f.starts_with("24_") || f.starts_with("27_") || f.starts_with("33_") => ("Invalid token", 0),
        f if f.starts_with("36_") => (
            "The customer cannot be anonymized for the following reasons: xxx",
            1000,
        ),
        f if f.starts_with("44_") => ("Rejected by acquirer", 0),
        f if f.starts_with("62_") => ("Argument \"code\" missing or empty.", 1984),
        f if f.starts_with("63_") => ("Loyalty barcode no longer valid", 1001),
        f if f.starts_with("64_") => ("Unknown loyalty barcode: XYZ1234", 1000),
        _ => ("Winston writes in his forbidden diary.", 1984),
    };
    assert_eq!(body.error, expected.0, "{}", entry.file);
    assert!(code.is(expected.1), "{}: code {code}", entry.file);
}

fn check(entry: &Entry, text: &str) {
    let key = (entry.endpoint.as_str(), entry.direction.as_str(), entry.status);
    if entry.direction == "response" && entry.status.is_some_and(|status| status >= 400) {
        return check_error(entry, text);
    }
    match key {
        ("GET /test/integer", _, _) => assert_eq!(round_trip::<i64>(entry, text), 42),
        ("GET /test/integerArray", _, _) => {
            assert_eq!(
                round_trip::<Vec<i64>>(entry, text),
                vec![1, 1, 2, 3, 5, 8, 13, 21, 34, 55, 89]
            );
        }
        ("GET /test/string", _, _) => {
            assert_eq!(
                round_trip::<String>(entry, text),
                "This result is a simple string value."
            );
        }
        ("GET /test/object", _, _) => {
            let object: TestObject = round_trip(entry, text);
            assert_eq!(
                (object.id.as_str(), object.label.as_str()),
                ("42", "exampleObject")
            );
            assert_eq!(object.days.first().map(String::as_str), Some("mon"));
        }
        ("GET /config/address", _, _) => {
            let fields: Vec<AddressField> = round_trip(entry, text);
            let field = &fields[0];
            assert_eq!(
                (field.field.as_str(), field.kind.as_str(), field.name.as_str()),
                ("firstname", "string", "Fornavn")
            );
            assert!(field.required && field.optional_on_creation);
            assert_eq!(
                field.url.as_deref(),
                Some("http://shop.venuemanager.net/side/privacy")
            );
            assert_eq!(
                (field.values[0].value.as_str(), field.values[0].name.as_str()),
                ("M", "Mand")
            );
        }
        ("GET /config/geofence", _, _) => {
            let fences: Vec<Geofence> = round_trip(entry, text);
            let fence = &fences[0];
            assert_eq!(
                (
                    digits(fence.latitude),
                    digits(fence.longitude),
                    digits(fence.radius)
                ),
                ("56.131973".to_owned(), "10.193669".to_owned(), "120".to_owned())
            );
            assert_eq!(fence.topics.inside, "/topic/agf/geofence_inside/1");
            assert_eq!(fence.messages.leaving.title, "Velkommen til VM Arena");
        }
        ("POST /customer", "request", _) => {
            let request: CreateCustomerRequest = round_trip(entry, text);
            assert_eq!(request.password.expose(), "Hello, world!");
            assert_eq!(
                (
                    request.address[0].field.as_str(),
                    request.address[0].value.as_str()
                ),
                ("street", "Dannebrogsgade 58A")
            );
            assert_eq!(
                (request.client_name.as_str(), request.client_os.as_deref()),
                ("VenueApp", Some("iPhone"))
            );
        }
        (
            "POST /customer"
            | "POST /customer/token"
            | "POST /customer/dataToken"
            | "POST /customer/guestToken",
            "response",
            _,
        ) => {
            let grant: TokenGrant = round_trip(entry, text);
            assert_eq!((grant.id, grant.customer_id), (17721, 17721));
            assert!(grant.token.expose().starts_with("eyJ0eXAiOiJKV1Qi"));
            assert!(
                !format!("{grant:?}").contains("eyJ0eXAi"),
                "the token never prints"
            );
        }
        ("GET /customer/{customerId}", _, _) => {
            let customer: Customer = round_trip(entry, text);
            assert_eq!(
                (customer.id, customer.username.as_str()),
                (17721, "sta@combine.dk")
            );
            assert_eq!(customer.data[0].label, "seasonRank");
        }
        ("POST /customer/{customerId}", "request", _) => {
            let request: EditCustomerRequest = round_trip(entry, text);
            assert_eq!(request.address[0].value, "Dannebrogsgade 58A");
        }
        ("POST /customer/updatePass", "request", _) => {
            let request: ChangePasswordRequest = round_trip(entry, text);
            assert_eq!(
                (request.old_password.expose(), request.new_password.expose()),
                ("Hello, world!", "Hello, world!")
            );
        }
        ("POST /customer/resetpass", "request", _) => {
            assert_eq!(
                round_trip::<ResetPasswordRequest>(entry, text).username,
                "Hello, world!"
            );
        }
        ("POST /customer/resetpass", "response", _) => {
            let answer: ResetPasswordAnswer = round_trip(entry, text);
            assert!(
                answer
                    .message
                    .is_some_and(|message| message.starts_with("Du vil snarest"))
            );
        }
        ("POST /customer/token", "request", _) => {
            let request: CreateTokenRequest = round_trip(entry, text);
            assert_eq!(
                (request.username.as_str(), request.password.expose()),
                ("alice@example.com", "Bob is cute")
            );
        }
        ("POST /customer/dataToken" | "POST /customer/pushToken", "request", _) => {
            assert_eq!(
                round_trip::<TokenBody>(entry, text).token.expose(),
                "Hello, world!"
            );
        }
        (
            "POST /customer/guestToken" | "POST /customer/onetimetoken" | "POST /customer/anonymize",
            "request",
            _,
        ) => {
            let info: ClientInfo = round_trip(entry, text);
            assert_eq!(
                (info.client_name.as_str(), info.client_os.as_deref()),
                ("VenueApp", Some("iPhone"))
            );
        }
        ("POST /customer/onetimetoken", "response", _) => {
            let token: OneTimeToken = round_trip(entry, text);
            assert_eq!(token.token.expose(), "2d0002947ce783aaea1a29d4c04bec5b066ac56f");
        }
        ("GET /customer/anonymize", _, _) => {
            let check: AnonymizeCheck = round_trip(entry, text);
            assert!(check.can_be_anonymized);
            assert_eq!(check.reasons, vec!["Hello, world!".to_owned()]);
        }
        ("GET /customer/paymentcards", _, _) => {
            let cards: Vec<PaymentCard> = round_trip(entry, text);
            let card = &cards[0];
            assert_eq!(
                (card.id, card.brand.as_str(), card.number.as_str()),
                (10, "VISA", "100000...3333")
            );
            assert_eq!((card.expire_year, card.expire_month), (2017, 12));
        }
        ("POST /customer/paymentcards", "request", _) => {
            let request: AddPaymentCardRequest = round_trip(entry, text);
            assert_eq!(
                (request.success_url.as_str(), request.failed_url.as_str()),
                ("http://example.com/success", "http://example.com/argh")
            );
        }
        ("GET /customergroup", _, _) => {
            let groups: Vec<CustomerGroup> = round_trip(entry, text);
            assert_eq!((groups[0].id, groups[0].name.as_str()), (17721, "Sponsor"));
            assert_eq!(groups[0].kind, CustomerGroupType::Normal);
        }
        ("POST /order", "request", _) => {
            let request: CreateOrderRequest = round_trip(entry, text);
            let line = &request.order_lines[0];
            assert_eq!(
                (line.sellable_id, line.product_id, line.quantity),
                (Some(23), Some(51), 5)
            );
            assert_eq!(
                line.date.map(|date| date.to_string()).as_deref(),
                Some("2019-02-19")
            );
            let properties = line.properties.as_ref().expect("properties");
            assert_eq!(properties.zip_code.as_deref(), Some("9000"));
            assert_eq!(
                (properties.image_id, properties.old_card_id),
                (Some(5823), Some(5823))
            );
        }
        ("POST /order", "response", Some(201)) => {
            let created: CreatedOrderBody = round_trip(entry, text);
            assert_eq!((created.id, created.number.as_str()), (65478, "AB1C2D3E"));
        }
        ("POST /order/ordertransaction/savedcard/{cardId}", "response", _)
        | ("POST /order/ordertransaction", "response", Some(201)) => {
            assert_eq!(round_trip::<OrderTransactionId>(entry, text).id, 43);
        }
        ("POST /order/ordertransaction", "response", Some(200)) => {
            assert_eq!(
                round_trip::<Vec<OrderTransactionId>>(entry, text),
                vec![OrderTransactionId { id: 43 }]
            );
        }
        ("POST /order/ordertransaction", "request", _) => {
            let request: PayWithMethodRequest = round_trip(entry, text);
            assert_eq!(request.payment_method.as_deref(), Some("creditcard"));
        }
        ("GET /catalog/categories", _, _) => {
            let categories: Vec<Category> = round_trip(entry, text);
            assert_eq!(
                (
                    categories[0].id,
                    categories[0].name.as_str(),
                    categories[0].label.as_str()
                ),
                (8, "Årskort", "aarskort")
            );
            assert!(
                categories[0]
                    .app_data
                    .as_ref()
                    .and_then(|data| data.image.as_deref())
                    .is_some()
            );
        }
        ("GET /catalog/products/" | "GET /catalog/product/", _, _) => {
            let product: Product = if entry.endpoint.ends_with("products/") {
                round_trip::<Vec<Product>>(entry, text).remove(0)
            } else {
                round_trip(entry, text)
            };
            assert_eq!((product.id, product.label.as_deref()), (3, Some("aarskort2019")));
            assert_eq!(product.product_type, ProductType::SeasonCard);
            assert_eq!(
                (digits(product.price_incl_vat), digits(product.vat)),
                ("685".to_owned(), "137".to_owned())
            );
            assert_eq!(product.currency_code, "DKK");
            let properties = product.properties.as_ref().expect("properties");
            assert_eq!(flag(properties.season_card_is_buyable.as_deref()), Some(true));
            assert_eq!(flag(properties.season_card_is_renewable.as_deref()), Some(false));
        }
        ("GET /invoice", "response", Some(200)) if entry.file.ends_with(".xml") => {
            let invoices =
                xml::parse_invoices(text).unwrap_or_else(|error| panic!("{}: {error}", entry.file));
            let invoice = &invoices[0];
            assert_eq!(invoice.number, 12345);
            assert_eq!(
                invoice.date.map(|date| date.to_string()).as_deref(),
                Some("2019-01-17")
            );
            assert_eq!(
                [invoice.total_amount, invoice.total_discount, invoice.total_vat].map(digits),
                ["4200.5", "0.0", "840.1"].map(str::to_owned)
            );
            assert_eq!(invoice.customer.phone.as_deref(), Some("xyz"));
            let kinds: Vec<&InvoiceLineType> = invoice.lines.iter().map(|line| &line.kind).collect();
            assert_eq!(
                kinds,
                [
                    &InvoiceLineType::Admission,
                    &InvoiceLineType::SeasonCard,
                    &InvoiceLineType::Product
                ]
            );
            assert_eq!(invoice.lines[0].numbers, vec![123450000, 123450001]);
            assert!(invoice.lines[2].numbers.is_empty());
            assert_eq!(
                invoice
                    .lines
                    .iter()
                    .map(|line| digits(line.total_amount))
                    .collect::<Vec<_>>(),
                ["150.0", "800.0", "40.0"]
            );
            assert_eq!(digits(invoice.lines[1].vat_percentage), "25.0");
        }
        ("GET /invoice", "response", Some(200)) => {
            let invoices: Vec<Invoice> = round_trip(entry, text);
            check_invoice_json(&invoices[0]);
        }
        ("POST /loyalty/barcode/registerUsage", "request", _) => {
            let request: RegisterUsageRequest = round_trip(entry, text);
            assert_eq!(
                (request.client_os.as_str(), request.code.as_str()),
                ("iPhone - iOS - 12.0", "XYZ1234")
            );
        }
        ("POST /loyalty/barcode/registerUsage", "response", _) => {
            assert_eq!(digits(round_trip::<LoyaltyPoints>(entry, text).points), "12");
        }
        ("GET /voucher/code", "response", _) => {
            let voucher: VoucherCode = round_trip(entry, text);
            assert_eq!(
                (
                    voucher.id,
                    voucher.voucher_id,
                    voucher.code.as_str(),
                    voucher.is_valid
                ),
                (123, 120, "XYZ1234", true)
            );
            let price = voucher.creation_price.as_ref().expect("creationPrice");
            assert_eq!(
                [price.amount, price.discount, price.vat_percentage].map(digits),
                ["100", "0", "25"].map(str::to_owned)
            );
        }
        other => panic!("{}: no check for {other:?}", entry.file),
    }
}

#[test]
fn every_example_of_the_document_reads_into_the_wire_types() {
    let entries = manifest("venue_manager");
    assert_eq!(entries.len(), 70, "every example of the document is extracted");
    let mut seen = std::collections::BTreeSet::new();
    for entry in &entries {
        assert_eq!(entry.document, "001_188772e4e716388d.txt");
        assert!(entry.lines[0] <= entry.lines[1], "{}", entry.file);
        assert!(
            matches!(entry.direction.as_str(), "request" | "response"),
            "{}",
            entry.file
        );
        assert_eq!(
            entry.direction == "request",
            entry.status.is_none(),
            "{}",
            entry.file
        );
        assert!(seen.insert(entry.file.clone()), "{} twice", entry.file);
        let text = fixture_support::read(entry);
        check(entry, &text);
    }
    let repaired: Vec<&str> = entries
        .iter()
        .filter(|entry| !entry.repairs.is_empty())
        .map(|entry| entry.file.as_str())
        .collect();
    assert_eq!(
        repaired.len(),
        3,
        "only the invoice examples needed repairs: {repaired:?}"
    );
}

#[test]
fn amounts_keep_their_digits_through_the_wire_types() {
    for amount in ["0.1", "4200.5", "840.1", "19.80"] {
        let text = format!(
            r#"{{"id":1,"number":2,"orderId":3,"type":"invoice","totalAmount":{amount},"totalDiscount":{amount},"totalVat":{amount},"currencyCode":"DKK","customer":{{"id":4}},"lines":[{{"id":5,"type":"product","quantity":1,"amount":{amount},"discount":0,"vatPercentage":25,"totalAmount":{amount}}}]}}"#
        );
        let invoice: Invoice = serde_json::from_str(&text).unwrap();
        assert_eq!(invoice.total_amount.to_string(), amount);
        assert_eq!(invoice.lines[0].amount.to_string(), amount);
        same_json(&text, &serde_json::to_string(&invoice).unwrap()).unwrap();
        let voucher = format!(
            r#"{{"id":1,"voucherId":2,"code":"C","isValid":true,"creationPrice":{{"amount":{amount},"discount":0,"vatPercentage":25,"currencyCode":"DKK"}}}}"#
        );
        let read: VoucherCode = serde_json::from_str(&voucher).unwrap();
        assert_eq!(read.creation_price.as_ref().unwrap().amount.to_string(), amount);
        same_json(&voucher, &serde_json::to_string(&read).unwrap()).unwrap();
    }
}
