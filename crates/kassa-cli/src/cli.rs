//! The command line, declared with clap's derive API. Parsing only: what each command
//! does is in `commands/`.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};
use kassa_app::{DeviceType, ExternalId, Place, Provider, Role};

use crate::exit::EXIT_CODES_HELP;

#[derive(Debug, Parser)]
#[command(
    name = "kassa",
    version,
    about = "Kassa's back office from a terminal: brands, stores, POS devices, users, backups.",
    after_help = EXIT_CODES_HELP
)]
pub struct Cli {
    /// The database file (default: $KASSA_DB, else kassa.sqlite3 in the data directory;
    /// for `kassa demo`: kassa-demo.sqlite3 there).
    #[arg(long, global = true, value_name = "PATH")]
    pub db: Option<PathBuf>,

    /// The user to act as; the PIN comes from KASSA_PIN or is asked.
    #[arg(long, global = true, env = "KASSA_USER", value_name = "NAME")]
    pub user: Option<String>,

    /// Print lists and records as JSON (camelCase), and errors as JSON on stderr.
    #[arg(long, global = true)]
    pub json: bool,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create a new, empty database with its first manager (PIN: KASSA_PIN or asked twice).
    Init {
        /// The first manager's user name.
        #[arg(long, value_name = "NAME")]
        manager: String,
    },
    /// Create (or recreate) a demo database and print its users' PINs.
    Demo,
    /// What the database is and which POS this installation acts as (no login).
    Status,
    /// Brands.
    #[command(subcommand)]
    Brand(BrandCommand),
    /// Stores.
    #[command(subcommand)]
    Store(StoreCommand),
    /// POS devices (tills, self checkouts, mobile POS).
    #[command(subcommand)]
    Pos(PosCommand),
    /// Users and roles.
    #[command(subcommand)]
    User(UserCommand),
    /// The audit trail, newest first.
    Audit {
        /// Only entries about this kind of record (brand, store, pos_device, user, installation).
        #[arg(long, value_name = "ENTITY")]
        entity: Option<String>,
        /// Only entries about the record with this id.
        #[arg(long, value_name = "N")]
        id: Option<i64>,
        /// At most this many entries.
        #[arg(long, value_name = "N", default_value_t = 50)]
        limit: u32,
    },
    /// Database maintenance.
    #[command(subcommand)]
    Db(DbCommand),
    /// Write a consistent copy of the database to a new file (managers only).
    Backup {
        /// The backup file to create; an existing file is never overwritten.
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
    /// Replace all data in the database with a checked backup (managers only).
    Restore {
        /// The backup file.
        file: PathBuf,
    },
}

impl Command {
    /// The command's name for the log; never its arguments.
    pub fn name(&self) -> &'static str {
        match self {
            Command::Init { .. } => "init",
            Command::Demo => "demo",
            Command::Status => "status",
            Command::Brand(_) => "brand",
            Command::Store(_) => "store",
            Command::Pos(_) => "pos",
            Command::User(_) => "user",
            Command::Audit { .. } => "audit",
            Command::Db(_) => "db",
            Command::Backup { .. } => "backup",
            Command::Restore { .. } => "restore",
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum BrandCommand {
    /// Add a brand.
    Add {
        name: String,
        #[arg(long, value_name = "TEXT")]
        description: Option<String>,
    },
    /// List brands.
    List,
    /// Rename a brand or change its description (an empty description clears it).
    Edit {
        /// The brand's name or id.
        brand: String,
        #[arg(long, value_name = "NAME")]
        name: Option<String>,
        #[arg(long, value_name = "TEXT")]
        description: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum StoreCommand {
    /// Add a store to a brand.
    Add(StoreAdd),
    /// List stores.
    List,
    /// Change a store: only the options given are changed.
    Edit(StoreEdit),
}

#[derive(Debug, Args)]
pub struct StoreAdd {
    /// The brand's name or id.
    #[arg(long, value_name = "BRAND")]
    pub brand: String,
    #[arg(long)]
    pub name: String,
    /// ISO 3166 country code, e.g. SE.
    #[arg(long, value_name = "CODE")]
    pub country: String,
    /// ISO 4217 currency code, e.g. SEK.
    #[arg(long, value_name = "CODE")]
    pub currency: String,
    /// IANA time zone, e.g. Europe/Stockholm.
    #[arg(long, value_name = "ZONE")]
    pub time_zone: String,
    /// REAL or VIRTUAL [default: REAL].
    #[arg(long, value_parser = parse_place)]
    pub place: Option<Place>,
    #[command(flatten)]
    pub details: StoreDetails,
}

#[derive(Debug, Args)]
pub struct StoreEdit {
    /// The store's name or id.
    pub store: String,
    /// Move the store to another brand (name or id).
    #[arg(long, value_name = "BRAND")]
    pub brand: Option<String>,
    #[arg(long)]
    pub name: Option<String>,
    #[arg(long, value_name = "CODE")]
    pub country: Option<String>,
    #[arg(long, value_name = "CODE")]
    pub currency: Option<String>,
    #[arg(long, value_name = "ZONE")]
    pub time_zone: Option<String>,
    /// REAL or VIRTUAL.
    #[arg(long, value_parser = parse_place)]
    pub place: Option<Place>,
    #[command(flatten)]
    pub details: StoreDetails,
    /// Remove the store's coordinates.
    #[arg(long, conflicts_with_all = ["lat", "lon"])]
    pub clear_location: bool,
}

/// Store options shared by `add` and `edit`.
#[derive(Debug, Args)]
pub struct StoreDetails {
    #[arg(long, value_name = "TEXT")]
    pub address: Option<String>,
    /// Latitude in degrees (give --lon too).
    #[arg(long, value_name = "F", allow_negative_numbers = true, requires = "lon")]
    pub lat: Option<f64>,
    /// Longitude in degrees (give --lat too).
    #[arg(long, value_name = "F", allow_negative_numbers = true, requires = "lat")]
    pub lon: Option<f64>,
    /// The store's VAT number; empty clears it.
    #[arg(long, value_name = "TEXT")]
    pub vat_number: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum PosCommand {
    /// Add a POS device to a store.
    Add(PosAdd),
    /// List POS devices.
    List {
        /// Only this store's devices (name or id).
        #[arg(long, value_name = "STORE")]
        store: Option<String>,
        /// Include deleted devices.
        #[arg(long)]
        include_deleted: bool,
    },
    /// Change a POS device: only the options given are changed.
    Edit(PosEdit),
    /// Put a POS device back in service.
    Enable(PosRef),
    /// Take a POS device out of service (it keeps its history).
    Disable(PosRef),
    /// Delete a POS device (kept in the database for history).
    Delete(PosRef),
    /// Make this installation act as the given POS device.
    Bind(PosRef),
}

/// A POS device by id, or by name (with --store when several stores have that name).
#[derive(Debug, Args)]
pub struct PosRef {
    /// The POS device's id or name.
    pub pos: String,
    /// The store the POS belongs to (name or id), when its name is not unique.
    #[arg(long, value_name = "STORE")]
    pub store: Option<String>,
}

#[derive(Debug, Args)]
pub struct PosAdd {
    /// The store (name or id).
    #[arg(long, value_name = "STORE")]
    pub store: String,
    #[arg(long)]
    pub name: String,
    /// till, self_checkout or mobile.
    #[arg(long = "type", value_name = "TYPE", value_parser = parse_device_type, default_value = "till")]
    pub device_type: DeviceType,
    #[command(flatten)]
    pub settings: PosSettings,
}

#[derive(Debug, Args)]
pub struct PosEdit {
    #[command(flatten)]
    pub pos: PosRef,
    #[arg(long)]
    pub name: Option<String>,
    /// till, self_checkout or mobile.
    #[arg(long = "type", value_name = "TYPE", value_parser = parse_device_type)]
    pub device_type: Option<DeviceType>,
    /// Move the device to another store (name or id).
    #[arg(long, value_name = "STORE")]
    pub move_to: Option<String>,
    #[command(flatten)]
    pub settings: PosSettings,
    /// Remove the id the device has with this provider (repeatable).
    #[arg(long, value_name = "PROVIDER", value_parser = parse_provider)]
    pub remove_external_id: Vec<Provider>,
    /// Remove the card terminal settings.
    #[arg(long, conflicts_with_all = ["terminal_port", "terminal_baud"])]
    pub no_terminal: bool,
    /// Remove the receipt printer settings.
    #[arg(long, conflicts_with_all = ["printer_port", "printer_baud", "printer_columns"])]
    pub no_printer: bool,
}

/// POS options shared by `add` and `edit`.
#[derive(Debug, Args)]
pub struct PosSettings {
    /// The device's DropPay POS id.
    #[arg(long, value_name = "ID")]
    pub droppay_id: Option<String>,
    #[arg(long, value_name = "ID")]
    pub vourity_id: Option<String>,
    #[arg(long, value_name = "ID")]
    pub swip_id: Option<String>,
    #[arg(long, value_name = "ID")]
    pub flexiti_id: Option<String>,
    #[arg(long, value_name = "ID")]
    pub venue_manager_id: Option<String>,
    /// An id with any provider, as PROVIDER=ID (repeatable).
    #[arg(long, value_name = "PROVIDER=ID", value_parser = parse_external_id)]
    pub external_id: Vec<ExternalId>,
    /// The card terminal's serial port, e.g. /dev/ttyUSB0 (ZVT protocol).
    #[arg(long, value_name = "PORT")]
    pub terminal_port: Option<String>,
    #[arg(long, value_name = "N")]
    pub terminal_baud: Option<u32>,
    /// The receipt printer's serial port (ESC/POS).
    #[arg(long, value_name = "PORT")]
    pub printer_port: Option<String>,
    #[arg(long, value_name = "N")]
    pub printer_baud: Option<u32>,
    /// Characters per line: 32, 42 or 48.
    #[arg(long, value_name = "N")]
    pub printer_columns: Option<u8>,
}

impl PosSettings {
    /// Every provider id given, in the order of the options.
    pub fn external_ids(&self) -> Vec<ExternalId> {
        let named = [
            (Provider::Droppay, &self.droppay_id),
            (Provider::Vourity, &self.vourity_id),
            (Provider::Swip, &self.swip_id),
            (Provider::Flexiti, &self.flexiti_id),
            (Provider::VenueManager, &self.venue_manager_id),
        ];
        named
            .into_iter()
            .filter_map(|(provider, id)| {
                id.as_ref().map(|id| ExternalId {
                    provider,
                    external_id: id.clone(),
                })
            })
            .chain(self.external_id.iter().cloned())
            .collect()
    }
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Add a user (PIN: KASSA_NEW_PIN or asked twice).
    Add {
        name: String,
        /// manager, cashier or accountant.
        #[arg(long, value_parser = parse_role)]
        role: Role,
    },
    /// List users.
    List,
    /// Change a user's role.
    Role {
        name: String,
        /// manager, cashier or accountant.
        #[arg(value_parser = parse_role)]
        role: Role,
    },
    /// Stop a user from logging in.
    Disable { name: String },
    /// Let a disabled user log in again.
    Enable { name: String },
    /// Set a new PIN (KASSA_NEW_PIN or asked twice); also lifts a lockout.
    ResetPin { name: String },
}

#[derive(Debug, Subcommand)]
pub enum DbCommand {
    /// Run SQLite's full integrity and foreign-key checks; non-zero exit on any problem.
    Check,
}

fn parse_place(s: &str) -> Result<Place, String> {
    s.trim().to_uppercase().parse().map_err(|e| format!("{e}"))
}

fn parse_device_type(s: &str) -> Result<DeviceType, String> {
    s.trim()
        .to_lowercase()
        .replace('-', "_")
        .parse()
        .map_err(|e| format!("{e}"))
}

fn parse_role(s: &str) -> Result<Role, String> {
    s.trim().to_lowercase().parse().map_err(|e| format!("{e}"))
}

fn parse_provider(s: &str) -> Result<Provider, String> {
    s.trim()
        .to_lowercase()
        .replace('-', "_")
        .parse()
        .map_err(|e| format!("{e}"))
}

fn parse_external_id(s: &str) -> Result<ExternalId, String> {
    let (provider, id) = s
        .split_once('=')
        .ok_or_else(|| format!("'{s}' is not PROVIDER=ID, e.g. droppay=POS123"))?;
    Ok(ExternalId {
        provider: parse_provider(provider)?,
        external_id: id.to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_is_well_formed() {
        Cli::command().debug_assert();
    }

    #[test]
    fn external_ids_parse() {
        let id = parse_external_id("venue-manager=VM 1").unwrap();
        assert_eq!(id.provider, Provider::VenueManager);
        assert_eq!(id.external_id, "VM 1");
        assert!(parse_external_id("droppay").is_err());
        assert!(
            parse_external_id("paypal=1")
                .unwrap_err()
                .contains("not a valid provider")
        );
    }
}
