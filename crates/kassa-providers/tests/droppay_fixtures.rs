//! Every example of the DropPay document (tests/fixtures/providers/droppay) read into
//! the wire types, checked field by field, and written back to the same JSON, numbers
//! compared by their text.

use kassa_providers::droppay::wire::{
    CreatePosBody, DeviceType, EntityStatus, NumberOrText, Place, Pos, PosStatus, UpdatePosBody,
};

mod fixture_support;

use fixture_support::{dir, exact, manifest, round_trip};

#[test]
fn the_manifest_lists_every_example_once() {
    let examples = manifest("droppay");
    assert_eq!(examples.len(), 5);
    for example in &examples {
        assert_eq!(example.document, "004_6b30ab69f8f8a246.txt");
        assert!(example.lines[0] < example.lines[1]);
        match example.direction.as_str() {
            "request" => assert_eq!(example.status, None),
            "response" => assert_eq!(example.status, Some(200)),
            other => panic!("{other}"),
        }
        assert!(!example.repairs.is_empty());
        assert!(dir("droppay").join(&example.file).exists(), "{}", example.file);
    }
}

fn check_pos(pos: &Pos, status: PosStatus, reference: &str, name: &str, description: &str) {
    assert_eq!(pos.id, "POS12JY6DS8");
    assert_eq!(pos.status, status);
    assert_eq!(pos.device.device_type, DeviceType::App);
    assert_eq!(pos.device.reference, reference);
    assert_eq!(pos.device.name.as_deref(), Some(name));
    assert_eq!(pos.device.description.as_deref(), Some(description));
    let brand = pos.brand.as_ref().unwrap();
    assert_eq!(brand.id, "BRNC8K195PZ1Q");
    assert_eq!(brand.status, Some(EntityStatus::Enabled));
    assert_eq!(brand.name.as_deref(), Some("Acme Super Toons"));
    assert_eq!(
        brand.logo.as_deref(),
        Some("http://acme.server/acmesupertoons.png")
    );
    assert_eq!(brand.description.as_deref(), Some("Toons since XIX century"));
    let categories: Vec<&str> = brand
        .business_categories
        .iter()
        .map(NumberOrText::as_str)
        .collect();
    assert_eq!(categories, ["1", "12", "19"]);
    assert!(matches!(brand.business_categories[0], NumberOrText::Number(_)));
    assert_eq!(brand.payable_account.as_deref(), Some("ACC32123FHS8V"));
    let store = pos.store.as_ref().unwrap();
    assert_eq!(store.id, "STRX88DHT129M");
    assert_eq!(store.status, Some(EntityStatus::Enabled));
    assert_eq!(store.name.as_deref(), Some("Rome Store 1"));
    assert_eq!(store.place, Some(Place::Real));
    assert_eq!(store.address.as_deref(), Some("Piazza della rotonda - 00186"));
    let georef = store.georef.as_ref().unwrap();
    assert_eq!(georef.lat.decimal().unwrap().to_string(), "41.8922566");
    assert_eq!(georef.lon.decimal().unwrap().to_string(), "12.476499");
}

#[test]
fn every_example_reads_into_the_wire_types_and_back() {
    for example in manifest("droppay") {
        match (example.endpoint.as_str(), example.direction.as_str()) {
            ("POST /brand/{brand_id}/store/{store_id}/pos", "request") => {
                let body: CreatePosBody = round_trip(&example);
                assert_eq!(body.device.device_type, DeviceType::App);
                assert_eq!(body.device.reference, "0385a889-03b2-4bac-ac5e-710042b2ba27");
            }
            ("PATCH /brand/{brand_id}/store/{store_id}/pos/{pos_id}", "request") => {
                let body: UpdatePosBody = round_trip(&example);
                assert_eq!(body.status, Some(PosStatus::Disabled));
                let device = body.device.unwrap();
                assert_eq!(device.device_type, DeviceType::App);
                assert_eq!(device.reference, "af6cfd85-9021-42e9-8096-bd60d68fe3e2");
            }
            ("POST /brand/{brand_id}/store/{store_id}/pos", "response")
            | ("GET /brand/{brand_id}/store/{store_id}/pos/{pos_id}", "response") => {
                let pos: Pos = round_trip(&example);
                check_pos(
                    &pos,
                    PosStatus::Enabled,
                    "0385a889-03b2-4bac-ac5e-710042b2ba27",
                    "my Application name",
                    "my Application description",
                );
            }
            ("PATCH /brand/{brand_id}/store/{store_id}/pos/{pos_id}", "response") => {
                let pos: Pos = round_trip(&example);
                check_pos(
                    &pos,
                    PosStatus::Disabled,
                    "af6cfd85-9021-42e9-8096-bd60d68fe3e2",
                    "my new Application name",
                    "my new Application description",
                );
            }
            other => panic!("{}: no check for {other:?}", example.file),
        }
    }
}

#[test]
fn the_exact_comparison_tells_number_texts_apart() {
    assert_ne!(exact(r#"{"lat":41.8922566}"#), exact(r#"{"lat":41.892256600}"#));
    assert_ne!(exact(r#"{"lat":41.8922566}"#), exact(r#"{"lat":"41.8922566"}"#));
}
