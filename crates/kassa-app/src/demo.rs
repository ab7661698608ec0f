//! `kassa demo`: a database with a brand, two stores in two currencies, four tills and one
//! user per role, so a newcomer sees every screen working without any accounts.

use std::path::Path;
use std::sync::Arc;

use kassa_core::Decimal;
use kassa_core::org::{CashMovementKind, DeviceType, Place, Provider, Role, SaleUnit, VatCategory};
use kassa_store::settings;

use crate::{
    Actor, AppError, BrandInput, Clock, ExternalId, Kassa, ManagerApproval, ManualClock, PosDeviceInput,
    PrinterSettings, ProductInput, RefundInput, RefundLineInput, StoreInput, StorePrice, TerminalSettings,
    UserInput,
};

/// A demo user and the PIN printed on screen and in the README.
#[derive(Debug, Clone, Copy)]
pub struct DemoUser {
    pub name: &'static str,
    pub role: Role,
    pub pin: &'static str,
}

pub const DEMO_USERS: &[DemoUser] = &[
    DemoUser {
        name: "manager",
        role: Role::Manager,
        pin: "1234",
    },
    DemoUser {
        name: "cashier",
        role: Role::Cashier,
        pin: "2222",
    },
    DemoUser {
        name: "accountant",
        role: Role::Accountant,
        pin: "3333",
    },
];

impl Kassa {
    /// Creates (or recreates) a demo database at `path`. An existing file is replaced only
    /// if it is itself a demo database; anything else is refused untouched.
    pub fn create_demo(path: &Path, clock: Arc<dyn Clock>) -> Result<Kassa, AppError> {
        if path.exists() {
            let is_demo = Kassa::open_with_clock(path, clock.clone()).and_then(|existing| {
                existing.read(|conn| Ok(settings::get(conn, settings::DEMO)?.is_some()))
            });
            match is_demo {
                Ok(true) => remove_database_files(path)?,
                Ok(false) => {
                    return Err(AppError::Conflict(format!(
                        "{} is not a demo database; `kassa demo` never overwrites a real one (choose another --db)",
                        path.display()
                    )));
                }
                Err(e) => {
                    return Err(AppError::Conflict(format!(
                        "{} exists and cannot be checked ({e}); `kassa demo` leaves it alone (choose another --db)",
                        path.display()
                    )));
                }
            }
        }
        // History is made on a clock of its own, starting a few days back, so every screen
        // and report has days of sales to show; the database is then reopened on `clock`.
        let today = clock.now().date_naive();
        let start = (today - chrono::Days::new(DEMO_DAYS))
            .and_hms_opt(7, 30, 0)
            .unwrap_or_default()
            .and_utc();
        let history_clock = Arc::new(ManualClock::new(start));
        let kassa = Kassa::create_with_clock(path, history_clock.clone())?;
        kassa.fill_demo()?;
        kassa.fill_demo_catalog()?;
        kassa.fill_demo_history(&history_clock)?;
        drop(kassa);
        Kassa::open_with_clock(path, clock)
    }

    fn fill_demo(&self) -> Result<(), AppError> {
        let audit = self.audit(None);
        self.write(|tx| {
            settings::set(tx, settings::DEMO, &audit.at)?;
            let brand = kassa_store::brands::insert(
                tx,
                &BrandInput {
                    name: "Nordljus".into(),
                    description: Some("Demo brand: coffee, bakery and deli".into()),
                },
                &audit.at,
            )?;
            audit.record(tx, "brand", brand.id, "create", None, Some(&brand))?;
            let malmo = self.insert_store(
                tx,
                &audit,
                &StoreInput {
                    brand_id: brand.id,
                    name: "Malmö C".into(),
                    country: "SE".into(),
                    address: "Stortorget 1, 211 22 Malmö".into(),
                    place: Place::Real,
                    latitude: Some(55.6059),
                    longitude: Some(13.0007),
                    currency: "SEK".into(),
                    time_zone: "Europe/Stockholm".into(),
                    vat_number: Some("SE556677889901".into()),
                },
            )?;
            let copenhagen = self.insert_store(
                tx,
                &audit,
                &StoreInput {
                    brand_id: brand.id,
                    name: "København Nørreport".into(),
                    country: "DK".into(),
                    address: "Nørre Voldgade 1, 1358 København K".into(),
                    place: Place::Real,
                    latitude: Some(55.6833),
                    longitude: Some(12.5714),
                    currency: "DKK".into(),
                    time_zone: "Europe/Copenhagen".into(),
                    vat_number: Some("DK12345678".into()),
                },
            )?;
            let till = |store_id: i64, name: &str, droppay: Option<&str>, hardware: bool| PosDeviceInput {
                store_id,
                name: name.into(),
                device_type: DeviceType::Till,
                external_ids: droppay
                    .map(|id| {
                        vec![ExternalId {
                            provider: Provider::Droppay,
                            external_id: id.into(),
                        }]
                    })
                    .unwrap_or_default(),
                terminal: hardware.then(|| TerminalSettings::serial("/dev/ttyUSB0", 9600)),
                printer: hardware.then(|| PrinterSettings {
                    port: "/dev/ttyUSB1".into(),
                    baud_rate: 19200,
                    columns: 42,
                }),
            };
            let first =
                // No DropPay ids: a demo till is registered with the DropPay emulator
                // through "Register with DropPay", so every id the demo shows is one the
                // sandbox knows.
                self.insert_pos_device(tx, &audit, &till(malmo.id, "Till 1", None, true))?;
            self.insert_pos_device(tx, &audit, &till(malmo.id, "Till 2", None, false))?;
            self.insert_pos_device(tx, &audit, &till(copenhagen.id, "Kasse 1", None, true))?;
            self.insert_pos_device(tx, &audit, &till(copenhagen.id, "Kasse 2", None, false))?;
            self.bind(tx, &audit, first.id)?;
            for user in DEMO_USERS {
                self.insert_user(
                    tx,
                    &audit,
                    &UserInput {
                        name: user.name.into(),
                        role: user.role,
                        pin: user.pin.into(),
                    },
                )?;
            }
            Ok(())
        })
    }
}

pub(crate) fn remove_database_files(path: &Path) -> Result<(), AppError> {
    crate::instance::remove_lock_dir(path);
    // `.secrets`: the file fallback of the secret store, whose entries belong to this
    // database's identity and die with it.
    for suffix in ["", "-wal", "-shm", ".secrets"] {
        let mut file = path.as_os_str().to_owned();
        file.push(suffix);
        match std::fs::remove_file(&file) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => {
                return Err(AppError::Internal(format!(
                    "could not remove database file {}: {e}",
                    Path::new(&file).display()
                )));
            }
        }
    }
    Ok(())
}

/// How many days of history the demo has.
const DEMO_DAYS: u64 = 3;

/// The demo catalog: (SKU, name, category, VAT category, unit, SEK price, DKK price). Items
/// sold by weight are found by their variable-measure item key (23 + item code).
const DEMO_PRODUCTS: &[(&str, &str, &str, VatCategory, SaleUnit, &str, &str)] = &[
    (
        "KAF-001",
        "Bryggkaffe",
        "Kaffe",
        VatCategory::Reduced,
        SaleUnit::Each,
        "32.00",
        "30.00",
    ),
    (
        "KAF-002",
        "Cappuccino",
        "Kaffe",
        VatCategory::Reduced,
        SaleUnit::Each,
        "45.00",
        "42.00",
    ),
    (
        "BAK-001",
        "Kanelbulle",
        "Bageri",
        VatCategory::Reduced,
        SaleUnit::Each,
        "38.00",
        "32.00",
    ),
    (
        "BAK-002",
        "Kardemummabulle",
        "Bageri",
        VatCategory::Reduced,
        SaleUnit::Each,
        "39.00",
        "33.00",
    ),
    (
        "BAK-003",
        "Surdegsbröd",
        "Bageri",
        VatCategory::Reduced,
        SaleUnit::Each,
        "69.00",
        "55.00",
    ),
    (
        "BAK-004",
        "Wienerbröd",
        "Bageri",
        VatCategory::Reduced,
        SaleUnit::Each,
        "35.00",
        "28.00",
    ),
    (
        "DEL-001",
        "Räksmörgås",
        "Deli",
        VatCategory::Reduced,
        SaleUnit::Each,
        "119.00",
        "95.00",
    ),
    (
        "DEL-002",
        "Smørrebrød med laks",
        "Deli",
        VatCategory::Reduced,
        SaleUnit::Each,
        "89.00",
        "75.00",
    ),
    (
        "DEL-003",
        "Västerbottensost",
        "Deli",
        VatCategory::Reduced,
        SaleUnit::Kg,
        "389.00",
        "329.00",
    ),
    (
        "GOD-001",
        "Lakrits, lösvikt",
        "Godis",
        VatCategory::Reduced,
        SaleUnit::Kg,
        "199.00",
        "169.00",
    ),
    (
        "DRY-001",
        "Mineralvatten 33 cl",
        "Dryck",
        VatCategory::Reduced,
        SaleUnit::Each,
        "25.00",
        "22.00",
    ),
    (
        "BOK-001",
        "Kokbok: Nordiskt bageri",
        "Böcker",
        VatCategory::ReducedLow,
        SaleUnit::Each,
        "299.00",
        "279.00",
    ),
    (
        "HEM-001",
        "Kaffekopp, keramik",
        "Hem",
        VatCategory::Standard,
        SaleUnit::Each,
        "149.00",
        "129.00",
    ),
    (
        "HEM-002",
        "Tygpåse",
        "Hem",
        VatCategory::Standard,
        SaleUnit::Each,
        "29.00",
        "25.00",
    ),
];

/// The demo EAN-13 of the n-th product (Swedish GS1 prefix 735, company 0012, with a
/// computed check digit), or its variable-measure item key if sold by weight.
pub fn demo_code(index: usize) -> String {
    let (_, _, _, _, unit, _, _) = DEMO_PRODUCTS[index];
    if unit == SaleUnit::Kg {
        return format!("23{:05}", index + 1);
    }
    let base = format!("735001200{:03}", index + 1);
    format!("{base}{}", kassa_core::barcode::gtin_check_digit(&base))
}

/// A small deterministic generator, so every demo database tells the same story.
struct Story(u64);

impl Story {
    fn next(&mut self, below: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) % below
    }
}

impl Kassa {
    fn demo_actor(&self, name: &str) -> Result<Actor, AppError> {
        let pin = DEMO_USERS
            .iter()
            .find(|u| u.name == name)
            .map(|u| u.pin)
            .unwrap_or_default();
        Ok(self.login(name, pin)?.0)
    }

    fn fill_demo_catalog(&self) -> Result<(), AppError> {
        let manager = self.demo_actor("manager")?;
        let stores = self.list_stores(&manager)?;
        for (index, (sku, name, category, vat, unit, sek, dkk)) in DEMO_PRODUCTS.iter().enumerate() {
            let prices = stores
                .iter()
                .map(|s| StorePrice {
                    store_id: s.id,
                    price: if s.currency == "DKK" { dkk } else { sek }.to_string(),
                    currency: String::new(),
                })
                .collect();
            self.save_product(
                &manager,
                None,
                &ProductInput {
                    sku: sku.to_string(),
                    name: name.to_string(),
                    category: Some(category.to_string()),
                    vat_category: *vat,
                    unit: *unit,
                    active: true,
                    barcodes: vec![demo_code(index)],
                    prices,
                },
            )?;
        }
        Ok(())
    }

    /// A few days on the first till of each store: shifts with sales in cash and by card,
    /// a refund, a void, a drawer opening, and a Z report at closing.
    fn fill_demo_history(&self, clock: &ManualClock) -> Result<(), AppError> {
        let manager = self.demo_actor("manager")?;
        let cashier = self.demo_actor("cashier")?;
        let approval = ManagerApproval {
            name: "manager".into(),
            pin: "1234".into(),
        };
        let mut story = Story(20261123);
        let tills: Vec<i64> = ["Till 1", "Kasse 1"]
            .iter()
            .filter_map(|name| {
                self.list_pos_devices(&manager, None, false)
                    .ok()?
                    .into_iter()
                    .find(|p| p.name == *name)
                    .map(|p| p.id)
            })
            .collect();
        for _day in 0..DEMO_DAYS {
            for &till in &tills {
                self.bind_installation(&manager, till)?;
                let currency = self
                    .status(Some(&manager))?
                    .bound_device
                    .map(|b| b.currency)
                    .unwrap_or_default();
                let float = if currency == "DKK" { "1000" } else { "2000" };
                self.open_shift(&cashier, float)?;
                let mut last_receipt = None;
                for sale_no in 0..8 {
                    clock.advance(chrono::Duration::minutes(17 + story.next(40) as i64));
                    let items = 1 + story.next(3);
                    let mut sale = None;
                    for _ in 0..items {
                        let index = story.next(DEMO_PRODUCTS.len() as u64) as usize;
                        let quantity = match DEMO_PRODUCTS[index].4 {
                            SaleUnit::Kg => Some(format!("0.{:03}", 150 + story.next(500))),
                            SaleUnit::Each => None,
                        };
                        sale = Some(self.add_item(&cashier, &demo_code(index), quantity.as_deref())?);
                    }
                    let Some(sale) = sale else { continue };
                    if sale_no == 5 {
                        self.void_sale(&cashier, sale.id, None)?;
                        continue;
                    }
                    let done = if story.next(2) == 0 {
                        // Customers hand over the next 50 up, as people do.
                        let due: Decimal = sale.cash_due.parse().unwrap_or_default();
                        let fifty = Decimal::from(50);
                        let tendered = (due / fifty).ceil() * fifty;
                        self.pay_cash(&cashier, sale.id, &tendered.to_string())?
                    } else {
                        let paying = self.start_card_payment(&cashier, sale.id, None)?;
                        let tender = paying
                            .tenders
                            .iter()
                            .find(|t| t.status == crate::TenderStatus::Pending)
                            .map(|t| t.id);
                        self.confirm_card_payment(&cashier, tender.unwrap_or_default(), true)?
                    };
                    if sale_no == 2 {
                        last_receipt = done.receipt_code.clone().zip(done.lines.first().map(|l| l.id));
                    }
                }
                if let Some((receipt, line_id)) = last_receipt.take() {
                    clock.advance(chrono::Duration::minutes(25));
                    let credit = self.refund(
                        &cashier,
                        &RefundInput {
                            receipt,
                            lines: vec![RefundLineInput {
                                line_id,
                                quantity: "1".into(),
                            }],
                            reason: Some("Kunden ångrade köpet".into()),
                            approval: approval.clone(),
                        },
                    )?;
                    // Money back to a card goes through the terminal, confirmed by the cashier.
                    for tender in credit
                        .tenders
                        .iter()
                        .filter(|t| t.status == crate::TenderStatus::Pending)
                    {
                        self.confirm_card_payment(&cashier, tender.id, true)?;
                    }
                }
                self.cash_movement(&cashier, CashMovementKind::DrawerOpen, "", "Växel till kund")?;
                let expected = self.x_report(&cashier)?.cash_expected;
                clock.advance(chrono::Duration::minutes(30));
                self.close_shift(&cashier, &expected)?;
            }
            // The next morning.
            clock.advance(chrono::Duration::hours(14));
        }
        // The installation ends where it began: Till 1 in Malmö C, no shift open.
        if let Some(&first) = tills.first() {
            self.bind_installation(&manager, first)?;
        }
        Ok(())
    }
}
