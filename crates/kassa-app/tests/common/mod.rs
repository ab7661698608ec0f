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
