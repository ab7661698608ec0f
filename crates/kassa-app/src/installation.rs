//! This installation: its first run, the POS device it acts as, and its language.

use serde::{Deserialize, Serialize};

use kassa_core::org::{DeviceType, Place, Role};
use kassa_store::{Connection, brands, pos_devices, settings, stores, users};

use crate::{Actor, AppError, BrandInput, Kassa, PosDeviceInput, Session, StoreInput, UserInput};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "snake_case")]
pub enum Language {
    En,
    Sv,
}

impl Language {
    fn as_str(self) -> &'static str {
        match self {
            Language::En => "en",
            Language::Sv => "sv",
        }
    }
}

/// The installation's UI language (English until a user picks one).
pub(crate) fn language(conn: &Connection) -> Result<Language, AppError> {
    Ok(match settings::get(conn, settings::LANGUAGE)?.as_deref() {
        Some("sv") => Language::Sv,
        _ => Language::En,
    })
}

/// The POS device this installation is, as the top bar shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct BoundDevice {
    pub pos_id: i64,
    pub pos_name: String,
    pub store_id: i64,
    pub store_name: String,
    pub brand_name: String,
    pub currency: String,
    /// Whether an integrated card terminal is set up for this POS (the till's card key).
    pub card_terminal: bool,
}

/// What the app needs to know before anyone logs in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct AppStatus {
    /// The database file, for a manager only: before a login the app does not say where
    /// its data lives.
    pub db_path: Option<String>,
    pub is_demo: bool,
    /// No user exists yet: the first-run screen must create the brand, store and manager.
    pub needs_first_run: bool,
    pub language: Language,
    pub bound_device: Option<BoundDevice>,
    pub session: Option<Session>,
}

/// The first-run form: the brand, the first store and the first manager in one step.
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct FirstRunInput {
    pub brand_name: String,
    pub store_name: String,
    pub country: String,
    pub currency: String,
    pub time_zone: String,
    pub address: String,
    pub manager_name: String,
    pub manager_pin: String,
}

/// The name of the till the first run creates and binds this installation to.
pub const FIRST_POS_NAME: &str = "Till 1";

impl Kassa {
    pub(crate) fn bound_pos_id(&self, conn: &Connection) -> Result<Option<i64>, AppError> {
        Ok(settings::get(conn, settings::BOUND_POS_ID)?.and_then(|v| v.parse().ok()))
    }

    fn bound_device(&self, conn: &Connection) -> Result<Option<BoundDevice>, AppError> {
        let Some(pos_id) = self.bound_pos_id(conn)? else {
            return Ok(None);
        };
        let Some(pos) = pos_devices::get(conn, pos_id)?.filter(|p| p.deleted_at.is_none()) else {
            return Ok(None);
        };
        let Some(store) = stores::get(conn, pos.store_id)? else {
            return Ok(None);
        };
        Ok(Some(BoundDevice {
            pos_id,
            pos_name: pos.name,
            store_id: store.id,
            store_name: store.name,
            brand_name: store.brand_name,
            currency: store.currency,
            card_terminal: pos.terminal.is_some(),
        }))
    }

    /// Everything the start screen needs; works without a login.
    pub fn status(&self, actor: Option<&Actor>) -> Result<AppStatus, AppError> {
        let session = match actor {
            Some(actor) => self.session(actor).ok(),
            None => None,
        };
        let db_path = session
            .as_ref()
            .filter(|s| s.role == Role::Manager)
            .map(|_| self.db_path().display().to_string());
        self.read(|conn| {
            let language = language(conn)?;
            Ok(AppStatus {
                db_path,
                is_demo: settings::get(conn, settings::DEMO)?.is_some(),
                needs_first_run: users::count(conn)? == 0,
                language,
                bound_device: self.bound_device(conn)?,
                session,
            })
        })
    }

    /// Sets up an empty database: brand, first store, its first till (bound to this
    /// installation) and the first manager, all or nothing. Logs the manager in.
    pub fn first_run_setup(&self, input: &FirstRunInput) -> Result<(Actor, Session), AppError> {
        let audit = self.audit(None);
        self.write(|tx| {
            if users::count(tx)? != 0 {
                return Err(AppError::Conflict(
                    "this database is already set up; log in instead".into(),
                ));
            }
            let brand_input = BrandInput {
                name: input.brand_name.clone(),
                description: None,
            };
            let brand_name = crate::validate::name("brandName", "Brand name", &brand_input.name)?;
            let brand = match brands::find_by_name(tx, &brand_name)? {
                Some(existing) => existing,
                None => {
                    let brand = brands::insert(
                        tx,
                        &BrandInput {
                            name: brand_name,
                            description: None,
                        },
                        &audit.at,
                    )?;
                    audit.record(tx, "brand", brand.id, "create", None, Some(&brand))?;
                    brand
                }
            };
            let store = self.insert_store(
                tx,
                &audit,
                &StoreInput {
                    brand_id: brand.id,
                    name: input.store_name.clone(),
                    country: input.country.clone(),
                    address: input.address.clone(),
                    place: Place::Real,
                    latitude: None,
                    longitude: None,
                    currency: input.currency.clone(),
                    time_zone: input.time_zone.clone(),
                    vat_number: None,
                },
            )?;
            let pos = self.insert_pos_device(
                tx,
                &audit,
                &PosDeviceInput {
                    store_id: store.id,
                    name: FIRST_POS_NAME.into(),
                    device_type: DeviceType::Till,
                    external_ids: Vec::new(),
                    terminal: None,
                    printer: None,
                },
            )?;
            self.bind(tx, &audit, pos.id)?;
            self.insert_user(
                tx,
                &audit,
                &UserInput {
                    name: input.manager_name.clone(),
                    role: Role::Manager,
                    pin: input.manager_pin.clone(),
                },
            )?;
            Ok(())
        })?;
        self.login(&input.manager_name, &input.manager_pin)
    }

    /// `kassa init`: a new database with its first manager, or no file at all. The name
    /// and PIN are checked before the file is created, and the file is removed again if
    /// the manager cannot be written.
    pub fn init(
        path: &std::path::Path,
        manager_name: &str,
        pin: &str,
    ) -> Result<(Kassa, crate::User), AppError> {
        crate::validate::name("name", "User name", manager_name)?;
        crate::validate::pin(pin)?;
        let kassa = Kassa::create(path)?;
        let audit = kassa.audit(None);
        let created = kassa.write(|tx| {
            kassa.insert_user(
                tx,
                &audit,
                &UserInput {
                    name: manager_name.into(),
                    role: Role::Manager,
                    pin: pin.into(),
                },
            )
        });
        match created {
            Ok(user) => Ok((kassa, user)),
            Err(e) => {
                drop(kassa);
                crate::demo::remove_database_files(path)?;
                Err(e)
            }
        }
    }

    pub(crate) fn bind(
        &self,
        tx: &Connection,
        audit: &crate::Audit<'_>,
        pos_id: i64,
    ) -> Result<(), AppError> {
        let before = self.bound_pos_id(tx)?;
        settings::set(tx, settings::BOUND_POS_ID, &pos_id.to_string())?;
        audit.record(tx, "installation", 1, "bind", before.as_ref(), Some(&pos_id))?;
        Ok(())
    }

    /// Makes this installation act as the given (live, enabled) POS device.
    pub fn bind_installation(&self, actor: &Actor, pos_id: i64) -> Result<AppStatus, AppError> {
        let audit = self.audit(Some(actor));
        self.write(|tx| {
            self.authorize(
                tx,
                actor,
                &[Role::Manager],
                "choose which POS this installation is",
            )?;
            let pos = pos_devices::get(tx, pos_id)?
                .ok_or_else(|| AppError::NotFound(format!("there is no POS device with id {pos_id}")))?;
            if pos.deleted_at.is_some() {
                return Err(AppError::Conflict(format!(
                    "POS '{}' was deleted and cannot be used",
                    pos.name
                )));
            }
            if pos.status != kassa_core::org::PosStatus::Enabled {
                return Err(AppError::Conflict(format!(
                    "POS '{}' is disabled; enable it first",
                    pos.name
                )));
            }
            self.bind(tx, &audit, pos_id)
        })?;
        self.status(Some(actor))
    }

    /// Sets the installation's UI language (managers only: it is the till's, not a
    /// user's, setting).
    pub fn set_language(&self, actor: &Actor, language: Language) -> Result<AppStatus, AppError> {
        let audit = self.audit(Some(actor));
        self.write(|tx| {
            self.authorize(tx, actor, &[Role::Manager], "change the language")?;
            let before = settings::get(tx, settings::LANGUAGE)?;
            settings::set(tx, settings::LANGUAGE, language.as_str())?;
            audit.record(
                tx,
                "installation",
                1,
                "set_language",
                before.as_deref().map(str::to_owned).as_ref(),
                Some(&language.as_str().to_owned()),
            )?;
            Ok(())
        })?;
        self.status(Some(actor))
    }
}
