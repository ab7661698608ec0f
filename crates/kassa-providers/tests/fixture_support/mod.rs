//! What the fixture tests of every provider share: the manifest of a provider's examples,
//! and JSON compared with numbers kept as their text (never through f64), so that `50.0`
//! and `50.00` differ and `840.1` stays `840.1`.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::value::RawValue;

#[derive(Debug, Deserialize)]
pub struct Example {
    /// Set by [`manifest`]: the provider directory the example is in.
    #[serde(skip)]
    pub provider: String,
    pub file: String,
    pub document: String,
    pub lines: [u32; 2],
    pub endpoint: String,
    pub direction: String,
    pub status: Option<u16>,
    pub repairs: Vec<String>,
}

/// A JSON document with numbers kept as their text, so `2` and `2.0` differ and no
/// number passes through f64.
#[derive(Debug, PartialEq)]
pub enum Exact {
    Null,
    Bool(bool),
    Number(String),
    Text(String),
    List(Vec<Exact>),
    Object(BTreeMap<String, Exact>),
}

pub fn exact(text: &str) -> Exact {
    let raw: Box<RawValue> = serde_json::from_str(text).expect("valid JSON");
    let text = raw.get().trim();
    match text.as_bytes().first() {
        Some(b'{') => {
            let map: BTreeMap<String, Box<RawValue>> = serde_json::from_str(text).unwrap();
            Exact::Object(
                map.into_iter()
                    .map(|(key, value)| (key, exact(value.get())))
                    .collect(),
            )
        }
        Some(b'[') => {
            let list: Vec<Box<RawValue>> = serde_json::from_str(text).unwrap();
            Exact::List(list.iter().map(|value| exact(value.get())).collect())
        }
        Some(b'"') => Exact::Text(serde_json::from_str(text).unwrap()),
        Some(b't' | b'f') => Exact::Bool(text == "true"),
        Some(b'n') => Exact::Null,
        _ => Exact::Number(text.to_owned()),
    }
}

/// The fixture directory of one provider (`tests/fixtures/providers/<provider>`).
pub fn dir(provider: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures/providers")
        .join(provider)
}

/// The provider's manifest, each example with the file it is in.
pub fn manifest(provider: &str) -> Vec<Example> {
    let text = std::fs::read_to_string(dir(provider).join("manifest.json")).unwrap();
    let mut examples: Vec<Example> = serde_json::from_str(&text).unwrap();
    for example in &mut examples {
        example.provider = provider.to_owned();
    }
    examples
}

pub fn read(example: &Example) -> String {
    std::fs::read_to_string(dir(&example.provider).join(&example.file)).unwrap()
}

/// Parses the example, and checks that writing it back gives the same document.
pub fn round_trip<T: DeserializeOwned + serde::Serialize>(example: &Example) -> T {
    let text = read(example);
    let body: T = serde_json::from_str(&text).unwrap_or_else(|error| panic!("{}: {error}", example.file));
    let written = serde_json::to_string(&body).unwrap();
    assert_eq!(
        exact(&written),
        exact(&text),
        "{} written back differs",
        example.file
    );
    body
}

/// How a key present on one side only is compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Absent {
    /// It is a difference.
    Differs,
    /// It equals `null` on the other side: for documents whose examples spell optional
    /// fields either way (`"productId": null`, or leave `mrp` out), both meaning "no value".
    IsNull,
}

/// Where the two documents differ, one line per difference; empty when equal.
pub fn differences(expected: &str, actual: &str, absent: Absent) -> Vec<String> {
    let mut found = Vec::new();
    compare("$", expected, actual, absent, &mut found);
    found
}

fn kind(text: &str) -> char {
    text.trim_start().chars().next().unwrap_or(' ')
}

fn compare(at: &str, expected: &str, actual: &str, absent: Absent, found: &mut Vec<String>) {
    let (expected, actual) = (expected.trim(), actual.trim());
    match (kind(expected), kind(actual)) {
        ('{', '{') => {
            let expected: BTreeMap<String, Box<RawValue>> =
                serde_json::from_str(expected).expect("expected object");
            let actual: BTreeMap<String, Box<RawValue>> =
                serde_json::from_str(actual).expect("actual object");
            let keys: std::collections::BTreeSet<&String> = expected.keys().chain(actual.keys()).collect();
            for key in keys {
                let path = format!("{at}.{key}");
                match (expected.get(key), actual.get(key), absent) {
                    (Some(left), Some(right), _) => compare(&path, left.get(), right.get(), absent, found),
                    (left, right, Absent::IsNull) => compare(
                        &path,
                        left.map_or("null", |raw| raw.get()),
                        right.map_or("null", |raw| raw.get()),
                        absent,
                        found,
                    ),
                    (Some(_), None, Absent::Differs) => found.push(format!("{path}: missing")),
                    (None, _, Absent::Differs) => found.push(format!("{path}: not expected")),
                }
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
                compare(&format!("{at}[{index}]"), left.get(), right.get(), absent, found);
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
    for absent in [Absent::Differs, Absent::IsNull] {
        assert!(differences(r#"{"a":50.0,"b":[1,"x"]}"#, r#"{"b":[1,"x"],"a":50.0}"#, absent).is_empty());
        assert_eq!(differences(r#"{"a":50.0}"#, r#"{"a":50.00}"#, absent).len(), 1);
        assert_eq!(differences(r#"{"a": 19.80}"#, r#"{"a":19.8}"#, absent).len(), 1);
        assert_eq!(
            differences(r#"{"a":840.1}"#, r#"{"a":840.10000000000002}"#, absent).len(),
            1
        );
        assert_eq!(differences(r#""1001""#, "1001", absent).len(), 1);
        assert_eq!(differences(r#"{"a":1}"#, r#"{}"#, absent).len(), 1);
        assert_eq!(differences(r#"[1,2]"#, r#"[1]"#, absent).len(), 1);
    }
    assert!(differences(r#"{"a":null}"#, r#"{}"#, Absent::IsNull).is_empty());
    assert_eq!(differences(r#"{"a":null}"#, r#"{}"#, Absent::Differs).len(), 1);
}
