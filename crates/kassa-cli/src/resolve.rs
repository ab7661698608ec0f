//! Names to records: brands, stores, POS devices and users may be given by name or id on
//! the command line. Lookups go through the list use cases, so they obey the same role
//! checks; an unknown or ambiguous name is a clear error, never a guess.

use kassa_app::{Actor, AppError, Brand, Kassa, PosDevice, Store, User};

/// A record that can be named on the command line.
trait Named {
    const KIND: &'static str;
    const FIELD: &'static str;
    const HINT: &'static str = "give the id instead";
    fn name(&self) -> &str;
    fn id(&self) -> i64;
    fn describe(&self) -> String {
        format!("'{}' (id {})", self.name(), self.id())
    }
}

impl Named for Brand {
    const KIND: &'static str = "brand";
    const FIELD: &'static str = "brand";
    fn name(&self) -> &str {
        &self.name
    }
    fn id(&self) -> i64 {
        self.id
    }
}

impl Named for Store {
    const KIND: &'static str = "store";
    const FIELD: &'static str = "store";
    fn name(&self) -> &str {
        &self.name
    }
    fn id(&self) -> i64 {
        self.id
    }
    fn describe(&self) -> String {
        format!("'{}' of brand '{}' (id {})", self.name, self.brand_name, self.id)
    }
}

impl Named for PosDevice {
    const KIND: &'static str = "POS device";
    const FIELD: &'static str = "pos";
    const HINT: &'static str = "give the id, or the store with --store";
    fn name(&self) -> &str {
        &self.name
    }
    fn id(&self) -> i64 {
        self.id
    }
    fn describe(&self) -> String {
        format!("'{}' in '{}' (id {})", self.name, self.store_name, self.id)
    }
}

impl Named for User {
    const KIND: &'static str = "user";
    const FIELD: &'static str = "user";
    fn name(&self) -> &str {
        &self.name
    }
    fn id(&self) -> i64 {
        self.id
    }
}

/// The item `key` names: those named `key` (exactly, else ignoring case), plus the one
/// whose id is `key`. One match is the answer; none or several is an error.
fn pick<T: Named>(items: Vec<T>, key: &str) -> Result<T, AppError> {
    let key = key.trim();
    let mut matches: Vec<usize> = (0..items.len()).filter(|&i| items[i].name() == key).collect();
    if matches.is_empty() {
        let lower = key.to_lowercase();
        matches = (0..items.len())
            .filter(|&i| items[i].name().to_lowercase() == lower)
            .collect();
    }
    if let Ok(wanted) = key.parse::<i64>()
        && let Some(i) = items.iter().position(|item| item.id() == wanted)
        && !matches.contains(&i)
    {
        matches.push(i);
    }
    match matches.as_slice() {
        [] => Err(AppError::NotFound(format!(
            "there is no {} named '{key}'",
            T::KIND
        ))),
        [only] => Ok(items.into_iter().nth(*only).expect("an index into the same list")),
        several => Err(AppError::validation(
            T::FIELD,
            format!(
                "'{key}' could mean {} {}s: {}; {}",
                several.len(),
                T::KIND,
                several
                    .iter()
                    .map(|&i| items[i].describe())
                    .collect::<Vec<_>>()
                    .join(", "),
                T::HINT
            ),
        )),
    }
}

pub fn brand(kassa: &Kassa, actor: &Actor, key: &str) -> Result<Brand, AppError> {
    pick(kassa.list_brands(actor)?, key)
}

pub fn store(kassa: &Kassa, actor: &Actor, key: &str) -> Result<Store, AppError> {
    pick(kassa.list_stores(actor)?, key)
}

/// A POS device by id (deleted ones too, so kassa-app can say why it refuses), or a live
/// one by name, optionally within one store.
pub fn pos(kassa: &Kassa, actor: &Actor, key: &str, store_key: Option<&str>) -> Result<PosDevice, AppError> {
    let store_id = store_key
        .map(|s| store(kassa, actor, s))
        .transpose()?
        .map(|s| s.id);
    let mut devices = kassa.list_pos_devices(actor, store_id, true)?;
    let wanted_id = key.trim().parse::<i64>().ok();
    devices.retain(|d| d.deleted_at.is_none() || Some(d.id) == wanted_id);
    pick(devices, key)
}

pub fn user(kassa: &Kassa, actor: &Actor, key: &str) -> Result<User, AppError> {
    pick(kassa.list_users(actor)?, key)
}
