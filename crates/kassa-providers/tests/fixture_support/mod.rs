//! What the Vourity and DropPay fixture tests share: the manifest of a provider's
//! examples, and JSON compared with numbers kept as their text.

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
