//! Compares two JSON documents value by value, numbers by their own text (never through
//! f64), so that `50.0` and `50.00` differ and `840.1` stays `840.1`.
//!
//! A key that is absent on one side equals `null` on the other: the documents' examples
//! spell optional fields either way (`"productId": null`, or leave `mrp` out), and both
//! mean "no value".

use std::collections::BTreeMap;

use serde_json::value::RawValue;

/// Where the two documents differ, one line per difference; empty when equal.
pub fn differences(expected: &str, actual: &str) -> Vec<String> {
    let mut found = Vec::new();
    compare("$", expected, actual, &mut found);
    found
}

fn kind(text: &str) -> char {
    text.trim_start().chars().next().unwrap_or(' ')
}

fn compare(at: &str, expected: &str, actual: &str, found: &mut Vec<String>) {
    let (expected, actual) = (expected.trim(), actual.trim());
    match (kind(expected), kind(actual)) {
        ('{', '{') => {
            let expected: BTreeMap<String, Box<RawValue>> =
                serde_json::from_str(expected).expect("expected object");
            let actual: BTreeMap<String, Box<RawValue>> =
                serde_json::from_str(actual).expect("actual object");
            let keys: std::collections::BTreeSet<&String> = expected.keys().chain(actual.keys()).collect();
            for key in keys {
                let left = expected.get(key).map_or("null", |raw| raw.get());
                let right = actual.get(key).map_or("null", |raw| raw.get());
                compare(&format!("{at}.{key}"), left, right, found);
            }
        }
        ('[', '[') => {
            let expected: Vec<Box<RawValue>> = serde_json::from_str(expected).expect("expected array");
            let actual: Vec<Box<RawValue>> = serde_json::from_str(actual).expect("actual array");
            if expected.len() != actual.len() {
                found.push(format!(
                    "{at}: {} items, expected {}",
                    actual.len(),
                    expected.len()
                ));
                return;
            }
            for (index, (left, right)) in expected.iter().zip(&actual).enumerate() {
                compare(&format!("{at}[{index}]"), left.get(), right.get(), found);
            }
        }
        ('"', '"') => {
            let left: String = serde_json::from_str(expected).expect("expected string");
            let right: String = serde_json::from_str(actual).expect("actual string");
            if left != right {
                found.push(format!("{at}: {actual}, expected {expected}"));
            }
        }
        // Numbers, booleans and null: the token's text.
        _ => {
            if expected != actual {
                found.push(format!("{at}: {actual}, expected {expected}"));
            }
        }
    }
}

#[test]
fn numbers_are_compared_by_their_text() {
    assert!(differences(r#"{"a":50.0,"b":[1,"x"]}"#, r#"{"b":[1,"x"],"a":50.0}"#).is_empty());
    assert_eq!(differences(r#"{"a":50.0}"#, r#"{"a":50.00}"#).len(), 1);
    assert_eq!(
        differences(r#"{"a":840.1}"#, r#"{"a":840.10000000000002}"#).len(),
        1
    );
    assert!(differences(r#"{"a":null}"#, r#"{}"#).is_empty());
    assert_eq!(differences(r#"{"a":1}"#, r#"{}"#).len(), 1);
    assert_eq!(differences(r#"[1,2]"#, r#"[1]"#).len(), 1);
}
