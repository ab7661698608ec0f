//! `kassa demo`: a database with a brand, two stores in two currencies, four tills and one
//! user per role, so a newcomer sees every screen working without any accounts.

use std::path::Path;
use std::sync::Arc;

use kassa_core::org::{DeviceType, Place, Provider, Role, TerminalProtocol};
use kassa_store::settings;

use crate::{
    AppError, BrandInput, Clock, ExternalId, Kassa, PosDeviceInput, PrinterSettings, StoreInput,
    TerminalSettings, UserInput,
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
        let kassa = Kassa::create_with_clock(path, clock)?;
        kassa.fill_demo()?;
        Ok(kassa)
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
                terminal: hardware.then(|| TerminalSettings {
                    port: "/dev/ttyUSB0".into(),
                    baud_rate: 9600,
                    protocol: TerminalProtocol::Zvt,
                }),
                printer: hardware.then(|| PrinterSettings {
                    port: "/dev/ttyUSB1".into(),
                    baud_rate: 19200,
                    columns: 42,
                }),
            };
            let first =
                self.insert_pos_device(tx, &audit, &till(malmo.id, "Till 1", Some("POSDEMO0001"), true))?;
            self.insert_pos_device(tx, &audit, &till(malmo.id, "Till 2", None, false))?;
            self.insert_pos_device(
                tx,
                &audit,
                &till(copenhagen.id, "Kasse 1", Some("POSDEMO0003"), true),
            )?;
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
    for suffix in ["", "-wal", "-shm"] {
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
