//! The world most selling tests start from: the demo database on a real file, bound to
//! Till 1 in Malmö C, with a few test products priced there, a manual clock at
//! 2026-11-23 09:00 UTC, and the cashier's shift open with a 500.00 float.

// Each test binary includes this module and uses a different part of it.
#![allow(dead_code)]

use std::path::PathBuf;
use std::sync::Arc;

use chrono::{TimeZone, Utc};
use kassa_app::{Actor, Kassa, ManualClock, ProductInput, SaleUnit, StorePrice, VatCategory};

/// A product to add to the demo catalog, priced in Malmö C.
pub struct Product {
    pub sku: &'static str,
    pub name: &'static str,
    /// A barcode, or "" for none (sold by SKU).
    pub code: &'static str,
    pub price: &'static str,
    pub vat: VatCategory,
    pub unit: SaleUnit,
}

impl Product {
    /// A product sold by the piece.
    pub const fn each(
        sku: &'static str,
        name: &'static str,
        code: &'static str,
        price: &'static str,
        vat: VatCategory,
    ) -> Product {
        Product {
            sku,
            name,
            code,
            price,
            vat,
            unit: SaleUnit::Each,
        }
    }
}

pub struct DemoTill {
    /// Keeps the database's directory alive as long as the test needs it.
    pub dir: tempfile::TempDir,
    pub path: PathBuf,
    pub clock: Arc<ManualClock>,
    pub kassa: Kassa,
    pub manager: Actor,
    pub cashier: Actor,
}

pub fn demo_till(products: &[Product]) -> DemoTill {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("kassa.sqlite3");
    let clock = Arc::new(ManualClock::new(
        Utc.with_ymd_and_hms(2026, 11, 23, 9, 0, 0).unwrap(),
    ));
    let kassa = Kassa::create_demo(&path, clock.clone()).unwrap();
    let manager = kassa.login("manager", "1234").unwrap().0;
    let malmo = kassa
        .list_stores(&manager)
        .unwrap()
        .into_iter()
        .find(|s| s.name == "Malmö C")
        .unwrap()
        .id;
    for p in products {
        let input = ProductInput {
            sku: p.sku.into(),
            name: p.name.into(),
            category: Some("Test".into()),
            vat_category: p.vat,
            unit: p.unit,
            active: true,
            barcodes: if p.code.is_empty() {
                vec![]
            } else {
                vec![p.code.into()]
            },
            prices: vec![StorePrice {
                store_id: malmo,
                price: p.price.into(),
                currency: String::new(),
            }],
        };
        kassa.save_product(&manager, None, &input).unwrap();
    }
    let cashier = kassa.login("cashier", "2222").unwrap().0;
    kassa.open_shift(&cashier, "500").unwrap();
    DemoTill {
        dir,
        path,
        clock,
        kassa,
        manager,
        cashier,
    }
}

/// An emulator's control routes (`/_sandbox/...`), called over loopback HTTP as any
/// outside test would: faults to arm, the emulator's own log to read.
pub struct SandboxControl {
    pub origin: String,
    http: tokio::runtime::Runtime,
}

impl SandboxControl {
    pub fn new(origin: String) -> SandboxControl {
        SandboxControl {
            origin,
            http: tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap(),
        }
    }

    /// Calls a control route; its status and body (JSON, or null when empty).
    pub fn try_call(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<serde_json::Value>,
    ) -> (u16, serde_json::Value) {
        self.http.block_on(async {
            let mut request = reqwest::Client::new().request(method, format!("{}{path}", self.origin));
            if let Some(body) = body {
                request = request.json(&body);
            }
            let answer = request.send().await.unwrap();
            let status = answer.status().as_u16();
            let text = answer.text().await.unwrap();
            let value = if text.is_empty() {
                serde_json::Value::Null
            } else {
                serde_json::from_str(&text).unwrap_or(serde_json::Value::String(text))
            };
            (status, value)
        })
    }

    /// Calls a control route that must succeed.
    pub fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<serde_json::Value>,
    ) -> serde_json::Value {
        let (status, value) = self.try_call(method, path, body);
        assert!((200..300).contains(&status), "{path}: {status} {value}");
        value
    }

    /// Arms one fault for the next matching call.
    pub fn fault(&self, method: &str, path: &str, fault: serde_json::Value) {
        self.call(
            reqwest::Method::POST,
            "/_sandbox/faults",
            Some(serde_json::json!({"method": method, "path": path, "fault": fault, "times": 1})),
        );
    }

    /// A GET of one of the emulator's documented routes (`url` in full), authenticated
    /// with `bearer`, that must succeed; its JSON answer.
    pub fn documented_get(&self, url: &str, bearer: &str, query: &[(&str, String)]) -> serde_json::Value {
        self.http.block_on(async {
            let answer = reqwest::Client::new()
                .get(url)
                .query(query)
                .bearer_auth(bearer)
                .header("x-reference-id", format!("test-read-{}", rand_suffix()))
                .send()
                .await
                .unwrap();
            assert!(answer.status().is_success(), "{url}: {}", answer.status());
            answer.json().await.unwrap()
        })
    }

    pub fn clear_faults(&self) {
        self.call(reqwest::Method::DELETE, "/_sandbox/faults", None);
    }

    /// The emulator's state changes of one kind (`order_closed`, `payment_captured`...).
    pub fn state_changes(&self, what: &str) -> Vec<serde_json::Value> {
        self.call(reqwest::Method::GET, "/_sandbox/log", None)
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["kind"] == "state" && e["what"] == what)
            .cloned()
            .collect()
    }
}

/// One of the faults the fault loops inject, at random, with its name for the counts:
/// latency, a 5xx before or after the provider committed, 429 with Retry-After, the
/// connection dropped after the commit, or a success whose body is `malformed`.
pub fn random_fault(rng: &mut impl rand::Rng, malformed: &str) -> (&'static str, serde_json::Value) {
    use serde_json::json;
    match rng.random_range(0..6) {
        0 => ("latency", json!({"kind": "latency", "millis": 30})),
        1 => ("5xx", json!({"kind": "status", "status": 503})),
        2 => (
            "5xx after commit",
            json!({"kind": "status", "status": 500, "after_commit": true}),
        ),
        3 => ("429", json!({"kind": "too_many_requests", "retry_after_secs": 1})),
        4 => (
            "dropped after commit",
            json!({"kind": "drop", "after_commit": true}),
        ),
        _ => ("malformed", json!({"kind": "body", "text": malformed})),
    }
}

/// The fault loops' payment count (KASSA_FAULT_PAYMENTS may raise it, never below 200)
/// and seed (KASSA_FAULT_SEED repeats a run), printed.
pub fn fault_loop_settings() -> (usize, u64) {
    let count = std::env::var("KASSA_FAULT_PAYMENTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200usize)
        .max(200);
    let seed = std::env::var("KASSA_FAULT_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(rand::random);
    println!("fault seed {seed} (KASSA_FAULT_SEED to repeat)");
    (count, seed)
}

/// Provider account settings from a sandbox module's demo values: `secrets` name the
/// credentials, `overrides` replace values (a currency to match the till, a webhook URL).
pub fn account_input(
    base_url: String,
    demo: &[(&str, &str)],
    secrets: &[&str],
    overrides: &[(&str, &str)],
) -> kassa_app::ProviderAccountInput {
    let mut input = kassa_app::ProviderAccountInput {
        base_url,
        ..Default::default()
    };
    for (key, value) in demo {
        let value = overrides
            .iter()
            .find(|(k, _)| k == key)
            .map_or(*value, |(_, v)| *v);
        if secrets.contains(key) {
            input.secrets.insert((*key).to_owned(), value.to_owned());
        } else {
            input.values.insert((*key).to_owned(), value.to_owned());
        }
    }
    input
}

/// A till selling in CAD: the demo database with a store of the demo brand selling in
/// CAD and its till "Caisse 1", this installation bound to it, `products` priced there,
/// and the cashier's shift open on it with a 200.00 float.
///
/// Kassa has no Canadian tax table (GST/HST/PST are provincial, not one rate per VAT
/// category), so the store is registered in Sweden, whose VAT table exists, and sells in
/// CAD: Flexiti only cares about the currency.
pub struct CanadianTill {
    pub till: DemoTill,
    pub store_id: i64,
    pub pos_id: i64,
}

pub fn canadian_till(products: &[Product]) -> CanadianTill {
    let till = demo_till(&[]);
    let (kassa, manager) = (&till.kassa, &till.manager);
    let brand_id = kassa.list_stores(manager).unwrap()[0].brand_id;
    let store = kassa
        .create_store(
            manager,
            &kassa_app::StoreInput {
                brand_id,
                name: "CAD outlet".into(),
                country: "SE".into(),
                address: "Stortorget 2, 211 22 Malmö".into(),
                place: kassa_app::Place::Real,
                latitude: None,
                longitude: None,
                currency: "CAD".into(),
                time_zone: "Europe/Stockholm".into(),
                vat_number: None,
            },
        )
        .unwrap();
    let pos = kassa
        .create_pos_device(
            manager,
            &kassa_app::PosDeviceInput {
                store_id: store.id,
                name: "Caisse 1".into(),
                device_type: kassa_app::DeviceType::Till,
                external_ids: vec![],
                terminal: None,
                printer: None,
            },
        )
        .unwrap();
    kassa.bind_installation(manager, pos.id).unwrap();
    for p in products {
        let input = ProductInput {
            sku: p.sku.into(),
            name: p.name.into(),
            category: Some("Test".into()),
            vat_category: p.vat,
            unit: p.unit,
            active: true,
            barcodes: if p.code.is_empty() {
                vec![]
            } else {
                vec![p.code.into()]
            },
            prices: vec![StorePrice {
                store_id: store.id,
                price: p.price.into(),
                currency: String::new(),
            }],
        };
        kassa.save_product(manager, None, &input).unwrap();
    }
    kassa.open_shift(&till.cashier, "200").unwrap();
    CanadianTill {
        till,
        store_id: store.id,
        pos_id: pos.id,
    }
}

fn rand_suffix() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    N.fetch_add(1, Ordering::Relaxed)
}
