//! Brands, stores and POS devices: what a manager sets up before the first sale.

use kassa_core::org::{PosStatus, Role};
use kassa_store::{Connection, brands, pos_devices, stores};

use crate::{
    Actor, AppError, Brand, BrandInput, Kassa, PosDevice, PosDeviceInput, PrinterSettings, Store, StoreInput,
    TerminalSettings, validate,
};

const MANAGE: &[Role] = &[Role::Manager];

fn clean_brand(input: &BrandInput) -> Result<BrandInput, AppError> {
    Ok(BrandInput {
        name: validate::name("name", "Brand name", &input.name)?,
        description: validate::optional_text(input.description.as_deref()),
    })
}

pub(crate) fn clean_store(conn: &Connection, input: &StoreInput) -> Result<StoreInput, AppError> {
    if brands::get(conn, input.brand_id)?.is_none() {
        return Err(AppError::validation(
            "brandId",
            format!("there is no brand with id {}", input.brand_id),
        ));
    }
    if input.latitude.is_some() != input.longitude.is_some() {
        return Err(AppError::validation(
            if input.latitude.is_some() {
                "longitude"
            } else {
                "latitude"
            },
            "give both latitude and longitude, or neither",
        ));
    }
    Ok(StoreInput {
        brand_id: input.brand_id,
        name: validate::name("name", "Store name", &input.name)?,
        country: validate::country(&input.country)?,
        address: input.address.trim().to_owned(),
        place: input.place,
        latitude: validate::latitude(input.latitude)?,
        longitude: validate::longitude(input.longitude)?,
        currency: validate::currency(&input.currency)?,
        time_zone: validate::time_zone(&input.time_zone)?,
        vat_number: validate::optional_text(input.vat_number.as_deref()),
    })
}

/// A terminal is reached by a serial port with plausible line settings, or by a LAN
/// address; a printer must have a paper width the receipt layouts exist for.
fn clean_terminal(t: &Option<TerminalSettings>) -> Result<Option<TerminalSettings>, AppError> {
    let Some(t) = t else { return Ok(None) };
    let port = t.port.trim();
    let tcp_address = match t.tcp_address.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(address) => Some(clean_tcp_address(address)?),
    };
    if port.is_empty() && tcp_address.is_none() {
        return Err(AppError::validation(
            "terminal.port",
            "the card terminal needs a serial port, or a LAN address (host:port)",
        ));
    }
    check_baud("terminal.baudRate", t.baud_rate)?;
    if !(5..=8).contains(&t.data_bits) {
        return Err(AppError::validation(
            "terminal.dataBits",
            format!("a serial line has 5 to 8 data bits, not {}", t.data_bits),
        ));
    }
    if !(1..=2).contains(&t.stop_bits) {
        return Err(AppError::validation(
            "terminal.stopBits",
            format!("a serial line has 1 or 2 stop bits, not {}", t.stop_bits),
        ));
    }
    Ok(Some(TerminalSettings {
        port: port.to_owned(),
        tcp_address,
        ..t.clone()
    }))
}

/// `host:port`, the port a number from 1 to 65535 (ZVT terminals listen on 20007).
fn clean_tcp_address(address: &str) -> Result<String, AppError> {
    let invalid = |why: &str| {
        AppError::validation(
            "terminal.tcpAddress",
            format!("{address:?} is not a LAN address: {why}; write host:port, e.g. 192.168.1.50:20007"),
        )
    };
    let (host, port) = address
        .rsplit_once(':')
        .ok_or_else(|| invalid("the port is missing"))?;
    let host = host.trim_start_matches('[').trim_end_matches(']');
    if host.is_empty() || host.chars().any(char::is_whitespace) {
        return Err(invalid("the host is missing or has spaces"));
    }
    match port.parse::<u16>() {
        Ok(0) | Err(_) => Err(invalid("the port must be a number from 1 to 65535")),
        Ok(_) => Ok(address.to_owned()),
    }
}

fn clean_printer(p: &Option<PrinterSettings>) -> Result<Option<PrinterSettings>, AppError> {
    let Some(p) = p else { return Ok(None) };
    let port = p.port.trim();
    if port.is_empty() {
        return Err(AppError::validation(
            "printer.port",
            "the printer's serial port must not be empty",
        ));
    }
    check_baud("printer.baudRate", p.baud_rate)?;
    if ![32, 42, 48].contains(&p.columns) {
        return Err(AppError::validation(
            "printer.columns",
            format!(
                "printer width must be 32, 42 or 48 characters (got {})",
                p.columns
            ),
        ));
    }
    Ok(Some(PrinterSettings {
        port: port.to_owned(),
        baud_rate: p.baud_rate,
        columns: p.columns,
    }))
}

fn check_baud(field: &'static str, baud: u32) -> Result<(), AppError> {
    const RATES: [u32; 8] = [1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200];
    if RATES.contains(&baud) {
        Ok(())
    } else {
        Err(AppError::validation(
            field,
            format!("baud rate {baud} is not one of {RATES:?}"),
        ))
    }
}

fn clean_pos(
    conn: &Connection,
    input: &PosDeviceInput,
    editing: Option<i64>,
) -> Result<PosDeviceInput, AppError> {
    let store = stores::get(conn, input.store_id)?.ok_or_else(|| {
        AppError::validation("storeId", format!("there is no store with id {}", input.store_id))
    })?;
    let name = validate::name("name", "POS name", &input.name)?;
    if let Some(other) = pos_devices::find_live_by_name(conn, store.id, &name)?
        && Some(other.id) != editing
    {
        return Err(AppError::Conflict(format!(
            "store '{}' already has a POS named '{}'",
            store.name, other.name
        )));
    }
    let mut external_ids = Vec::with_capacity(input.external_ids.len());
    for id in &input.external_ids {
        let value = id.external_id.trim();
        if value.is_empty() {
            return Err(AppError::validation(
                "externalIds",
                format!("the {} id must not be empty; remove the row instead", id.provider),
            ));
        }
        if external_ids
            .iter()
            .any(|e: &crate::ExternalId| e.provider == id.provider)
        {
            return Err(AppError::validation(
                "externalIds",
                format!("a POS can have only one {} id", id.provider),
            ));
        }
        if let Some(owner) = pos_devices::find_by_external_id(conn, id.provider, value)?
            && Some(owner) != editing
        {
            return Err(AppError::coded(
                crate::ErrorCode::ExternalIdTaken,
                Some("externalIds"),
                format!(
                    "{} id '{value}' already belongs to another POS device (id {owner})",
                    id.provider
                ),
            ));
        }
        external_ids.push(crate::ExternalId {
            provider: id.provider,
            external_id: value.to_owned(),
        });
    }
    Ok(PosDeviceInput {
        store_id: store.id,
        name,
        device_type: input.device_type,
        external_ids,
        terminal: clean_terminal(&input.terminal)?,
        printer: clean_printer(&input.printer)?,
    })
}

fn live_device(conn: &Connection, id: i64) -> Result<PosDevice, AppError> {
    let device = pos_devices::get(conn, id)?
        .ok_or_else(|| AppError::NotFound(format!("there is no POS device with id {id}")))?;
    if device.deleted_at.is_some() {
        return Err(AppError::Conflict(format!(
            "POS '{}' in '{}' was deleted; deleted devices are kept only for history",
            device.name, device.store_name
        )));
    }
    Ok(device)
}

impl Kassa {
    pub fn list_brands(&self, actor: &Actor) -> Result<Vec<Brand>, AppError> {
        self.read(|conn| {
            self.authorize(conn, actor, Role::ALL, "see brands")?;
            Ok(brands::list(conn)?)
        })
    }

    pub fn create_brand(&self, actor: &Actor, input: &BrandInput) -> Result<Brand, AppError> {
        let audit = self.audit(Some(actor));
        self.write(|tx| {
            self.authorize(tx, actor, MANAGE, "create brands")?;
            let input = clean_brand(input)?;
            if let Some(existing) = brands::find_by_name(tx, &input.name)? {
                return Err(AppError::Conflict(format!(
                    "a brand named '{}' already exists",
                    existing.name
                )));
            }
            let brand = brands::insert(tx, &input, &audit.at)?;
            audit.record(tx, "brand", brand.id, "create", None, Some(&brand))?;
            Ok(brand)
        })
    }

    pub fn update_brand(&self, actor: &Actor, id: i64, input: &BrandInput) -> Result<Brand, AppError> {
        let audit = self.audit(Some(actor));
        self.write(|tx| {
            self.authorize(tx, actor, MANAGE, "edit brands")?;
            let before = brands::get(tx, id)?
                .ok_or_else(|| AppError::NotFound(format!("there is no brand with id {id}")))?;
            let input = clean_brand(input)?;
            if let Some(other) = brands::find_by_name(tx, &input.name)?
                && other.id != id
            {
                return Err(AppError::Conflict(format!(
                    "a brand named '{}' already exists",
                    other.name
                )));
            }
            let after = brands::update(tx, id, &input, &audit.at)?;
            audit.record(tx, "brand", id, "update", Some(&before), Some(&after))?;
            Ok(after)
        })
    }

    pub fn list_stores(&self, actor: &Actor) -> Result<Vec<Store>, AppError> {
        self.read(|conn| {
            self.authorize(conn, actor, Role::ALL, "see stores")?;
            Ok(stores::list(conn)?)
        })
    }

    pub(crate) fn insert_store(
        &self,
        tx: &Connection,
        audit: &crate::Audit<'_>,
        input: &StoreInput,
    ) -> Result<Store, AppError> {
        let input = clean_store(tx, input)?;
        if let Some(existing) = stores::find_by_name(tx, input.brand_id, &input.name)? {
            return Err(AppError::Conflict(format!(
                "brand '{}' already has a store named '{}'",
                existing.brand_name, existing.name
            )));
        }
        let store = stores::insert(tx, &input, &audit.at)?;
        audit.record(tx, "store", store.id, "create", None, Some(&store))?;
        Ok(store)
    }

    pub fn create_store(&self, actor: &Actor, input: &StoreInput) -> Result<Store, AppError> {
        let audit = self.audit(Some(actor));
        self.write(|tx| {
            self.authorize(tx, actor, MANAGE, "create stores")?;
            self.insert_store(tx, &audit, input)
        })
    }

    pub fn update_store(&self, actor: &Actor, id: i64, input: &StoreInput) -> Result<Store, AppError> {
        let audit = self.audit(Some(actor));
        self.write(|tx| {
            self.authorize(tx, actor, MANAGE, "edit stores")?;
            let before = stores::get(tx, id)?
                .ok_or_else(|| AppError::NotFound(format!("there is no store with id {id}")))?;
            let input = clean_store(tx, input)?;
            if let Some(other) = stores::find_by_name(tx, input.brand_id, &input.name)?
                && other.id != id
            {
                return Err(AppError::Conflict(format!(
                    "brand '{}' already has a store named '{}'",
                    other.brand_name, other.name
                )));
            }
            let after = stores::update(tx, id, &input, &audit.at)?;
            audit.record(tx, "store", id, "update", Some(&before), Some(&after))?;
            Ok(after)
        })
    }

    pub fn list_pos_devices(
        &self,
        actor: &Actor,
        store_id: Option<i64>,
        include_deleted: bool,
    ) -> Result<Vec<PosDevice>, AppError> {
        self.read(|conn| {
            self.authorize(conn, actor, Role::ALL, "see POS devices")?;
            Ok(pos_devices::list(conn, store_id, include_deleted)?)
        })
    }

    pub(crate) fn insert_pos_device(
        &self,
        tx: &Connection,
        audit: &crate::Audit<'_>,
        input: &PosDeviceInput,
    ) -> Result<PosDevice, AppError> {
        let input = clean_pos(tx, input, None)?;
        let device = pos_devices::insert(tx, &input, &audit.at)?;
        audit.record(tx, "pos_device", device.id, "create", None, Some(&device))?;
        Ok(device)
    }

    pub fn create_pos_device(&self, actor: &Actor, input: &PosDeviceInput) -> Result<PosDevice, AppError> {
        let audit = self.audit(Some(actor));
        self.write(|tx| {
            self.authorize(tx, actor, MANAGE, "create POS devices")?;
            self.insert_pos_device(tx, &audit, input)
        })
    }

    pub fn update_pos_device(
        &self,
        actor: &Actor,
        id: i64,
        input: &PosDeviceInput,
    ) -> Result<PosDevice, AppError> {
        let audit = self.audit(Some(actor));
        self.write(|tx| {
            self.authorize(tx, actor, MANAGE, "edit POS devices")?;
            let before = live_device(tx, id)?;
            let input = clean_pos(tx, input, Some(id))?;
            let after = pos_devices::update(tx, id, &input, &audit.at)?;
            audit.record(tx, "pos_device", id, "update", Some(&before), Some(&after))?;
            Ok(after)
        })
    }

    pub fn set_pos_device_status(
        &self,
        actor: &Actor,
        id: i64,
        status: PosStatus,
    ) -> Result<PosDevice, AppError> {
        let audit = self.audit(Some(actor));
        self.write(|tx| {
            self.authorize(tx, actor, MANAGE, "enable or disable POS devices")?;
            let before = live_device(tx, id)?;
            if before.status == status {
                return Ok(before);
            }
            let after = pos_devices::set_status(tx, id, status, &audit.at)?;
            let action = match status {
                PosStatus::Enabled => "enable",
                PosStatus::Disabled => "disable",
            };
            audit.record(tx, "pos_device", id, action, Some(&before), Some(&after))?;
            Ok(after)
        })
    }

    /// Soft-deletes a device: it disappears from lists and cannot be used, but stays in the
    /// database with its history. The device this installation is bound to cannot go.
    pub fn delete_pos_device(&self, actor: &Actor, id: i64) -> Result<PosDevice, AppError> {
        let audit = self.audit(Some(actor));
        self.write(|tx| {
            self.authorize(tx, actor, MANAGE, "delete POS devices")?;
            let before = live_device(tx, id)?;
            if self.bound_pos_id(tx)? == Some(id) {
                return Err(AppError::Conflict(format!(
                    "POS '{}' is this installation's own till; bind the installation to another POS first",
                    before.name
                )));
            }
            let after = pos_devices::soft_delete(tx, id, &audit.at)?;
            audit.record(tx, "pos_device", id, "delete", Some(&before), Some(&after))?;
            Ok(after)
        })
    }

    /// The audit trail, newest first, optionally narrowed to one entity type or row.
    pub fn audit_trail(
        &self,
        actor: &Actor,
        entity: Option<&str>,
        entity_id: Option<i64>,
        limit: u32,
    ) -> Result<Vec<crate::AuditEntry>, AppError> {
        self.read(|conn| {
            self.authorize(
                conn,
                actor,
                &[Role::Manager, Role::Accountant],
                "read the audit trail",
            )?;
            Ok(kassa_store::audit::list(
                conn,
                entity,
                entity_id,
                limit.clamp(1, 1000),
            )?)
        })
    }
}
