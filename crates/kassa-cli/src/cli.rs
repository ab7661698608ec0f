//! The command line, declared with clap's derive API. Parsing only: what each command
//! does is in `commands/`.

use std::path::PathBuf;

use clap::{ArgGroup, Args, Parser, Subcommand};
use kassa_app::{DeviceType, DiscountInput, ExternalId, Place, Provider, RefundLineInput, Role};

use crate::exit::EXIT_CODES_HELP;

#[derive(Debug, Parser)]
#[command(
    name = "kassa",
    version,
    about = "Kassa's back office from a terminal: brands, stores, POS devices, users, the catalog, \
             sales, refunds, shifts with X/Z reports, the journal, backups.",
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

    /// How typed amounts and quantities are read: sv, da, nb, en, de or fr (default: the
    /// installation's UI language). In sv, 12,50 and 12.50 are both 12.50; in en, 12,50
    /// is refused.
    #[arg(long, global = true, env = "KASSA_LOCALE", value_name = "LOCALE")]
    pub locale: Option<kassa_app::NumberLocale>,

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
    /// The catalog: products, prices and the CSV import.
    #[command(subcommand)]
    Product(ProductCommand),
    /// Selling at this installation's till: new sales, history, receipts, refunds.
    #[command(subcommand)]
    Sale(SaleCommand),
    /// The shift at this installation's till: open, cash in/out, X and Z reports.
    #[command(subcommand)]
    Shift(ShiftCommand),
    /// The fiscal journal.
    #[command(subcommand)]
    Journal(JournalCommand),
    /// Database maintenance.
    #[command(subcommand)]
    Db(DbCommand),
    /// Provider accounts of a POS device: settings, credentials, connection tests (managers).
    #[command(subcommand)]
    Provider(ProviderCommand),
    /// Talk to a ZVT card terminal directly, for a technician: no database, no login.
    /// Prints the result code, trace and receipt numbers and the card type.
    Terminal(TerminalArgs),
    /// Run the loopback emulators of every provider API in the foreground (demo and
    /// tests); prints each provider's name and base URL, stops on Ctrl-C.
    Sandbox {
        /// Let the system choose free ports instead of the fixed demo ports (47101-47105).
        #[arg(long)]
        ephemeral: bool,
    },
    /// Write a consistent copy of the database to a new file (managers only).
    Backup {
        /// The backup file to create; an existing file is never overwritten.
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
    /// Replace all data in the database with a checked backup (managers only). Refused
    /// (exit 11) when this database holds fiscal records the backup lacks; a database
    /// that cannot be read at all is kept aside as FILE.unreadable-TIME and replaced.
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
            Command::Product(_) => "product",
            Command::Sale(_) => "sale",
            Command::Shift(_) => "shift",
            Command::Journal(_) => "journal",
            Command::Db(_) => "db",
            Command::Provider(_) => "provider",
            Command::Terminal(_) => "terminal",
            Command::Sandbox { .. } => "sandbox",
            Command::Backup { .. } => "backup",
            Command::Restore { .. } => "restore",
        }
    }
}

/// `kassa terminal`: one operation on a terminal reached by --port or --tcp.
#[derive(Debug, Args)]
pub struct TerminalArgs {
    #[command(subcommand)]
    pub operation: TerminalOperation,
    /// The terminal's serial port, e.g. /dev/ttyUSB0.
    #[arg(long, value_name = "PATH", global = true, conflicts_with = "tcp")]
    pub port: Option<String>,
    /// A terminal on the LAN, e.g. 192.168.1.50:20007.
    #[arg(long, value_name = "HOST:PORT", global = true)]
    pub tcp: Option<String>,
    #[arg(long, value_name = "N", global = true, default_value_t = 9600)]
    pub baud: u32,
    #[arg(long, value_name = "N", global = true, default_value_t = 8)]
    pub data_bits: u8,
    #[arg(long, value_name = "PARITY", global = true, default_value = "none")]
    pub parity: kassa_core::org::SerialParity,
    #[arg(long, value_name = "N", global = true, default_value_t = 2)]
    pub stop_bits: u8,
    #[arg(long, value_name = "FLOW", global = true, default_value = "none")]
    pub flow_control: kassa_core::org::SerialFlowControl,
    /// The currency the till registers in (and pays in).
    #[arg(long, value_name = "CODE", global = true, default_value = "SEK")]
    pub currency: kassa_core::Currency,
    /// The terminal's six-digit password (KASSA_TERMINAL_PASSWORD; default 000000).
    #[arg(
        long,
        value_name = "DIGITS",
        global = true,
        env = "KASSA_TERMINAL_PASSWORD",
        hide_env_values = true
    )]
    pub password: Option<String>,
    /// The character set of the terminal's receipt lines.
    #[arg(long, value_name = "SET", global = true, default_value = "cp437")]
    pub charset: kassa_core::org::TerminalCharset,
}

#[derive(Debug, Subcommand)]
pub enum TerminalOperation {
    /// Registration and status enquiry.
    Status,
    /// A card payment of --amount.
    Pay {
        #[arg(long, value_name = "AMOUNT")]
        amount: String,
    },
    /// A refund of --amount to the card presented.
    Refund {
        #[arg(long, value_name = "AMOUNT")]
        amount: String,
    },
    /// Reverse the payment with the terminal's receipt number --receipt (same day).
    Reverse {
        #[arg(long, value_name = "N")]
        receipt: u16,
    },
    /// The last transaction's status information again, without printing.
    Last,
    /// Send the terminal's batch to the host and print its totals.
    EndOfDay,
    /// Log the till off the terminal.
    LogOff,
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
    /// Show or set the store's discount limit: the most a sale may take off (line and
    /// order discounts and price overrides together, as a percentage of the sale before
    /// them) without a manager's approval. Setting it is for managers.
    DiscountLimit {
        /// The store's name or id.
        store: String,
        /// The new limit in percent, from 0 to 100 (at most two decimals), e.g. 15.
        #[arg(long, value_name = "PERCENT")]
        set: Option<String>,
    },
    /// Set (managers) the store's Flexiti location id, sent as `external_location_id`
    /// with its Flexiti payments; without one, the Flexiti account's location_id is sent.
    #[command(group(ArgGroup::new("flexiti_location").required(true).args(["location_id", "clear"])))]
    SetFlexitiLocation {
        /// The store's name or id.
        store: String,
        /// Letters, digits, '-' and '_', at most 50.
        location_id: Option<String>,
        /// Remove the store's id (the account's location_id is sent).
        #[arg(long)]
        clear: bool,
    },
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
    /// The POS device at DropPay (managers): register it, read its state, delete it, and
    /// resolve a registration whose answer was lost. Uses the device's DropPay account
    /// (`kassa provider set droppay --pos POS ...`).
    #[command(subcommand)]
    Droppay(PosDroppayCommand),
}

#[derive(Debug, Subcommand)]
pub enum PosDroppayCommand {
    /// Create the POS device at DropPay under its account's brand and store, and keep
    /// the DropPay id. Refused while an earlier registration's outcome is unknown.
    Register(PosRef),
    /// What Kassa recorded, and what DropPay reports for the device's id now.
    State(PosRef),
    /// Delete the device at DropPay (DropPay keeps it, soft-deleted) and remove its id here.
    Delete(PosRef),
    /// After a registration whose answer was lost: give the device the DropPay POS id
    /// found in DropPay's back office (checked with DropPay first).
    Link {
        #[command(flatten)]
        pos: PosRef,
        /// The DropPay POS id, e.g. POS12JY6DS8.
        #[arg(value_name = "DROPPAY_ID")]
        droppay_id: String,
    },
    /// After a registration whose answer was lost: confirm that DropPay's back office
    /// shows no device from it, so that a new registration may be sent.
    ConfirmNone(PosRef),
}

#[derive(Debug, Subcommand)]
pub enum ProviderCommand {
    /// Every provider account of the POS, with which fields are set.
    List(ProviderPos),
    /// Set up or change a provider account. Plain fields as KEY=VALUE; each credential
    /// named with --secret KEY is read from KASSA_SECRET_<KEY> (upper case) or asked on
    /// the terminal, never taken from the command line.
    Set {
        /// swip, vourity, flexiti, venue_manager or droppay.
        provider: Provider,
        #[command(flatten)]
        pos: ProviderPos,
        /// The base URL the provider gave you (https://…).
        #[arg(long, value_name = "URL")]
        base_url: String,
        /// A credential to store in the keyring.
        #[arg(long = "secret", value_name = "KEY")]
        secrets: Vec<String>,
        /// Plain fields, such as merchant_id=M123.
        #[arg(value_name = "KEY=VALUE")]
        values: Vec<String>,
    },
    /// Call a harmless endpoint with the stored credentials and say what happened
    /// (exit 0 when the provider answered with the credentials, 12 when not).
    Test {
        provider: Provider,
        #[command(flatten)]
        pos: ProviderPos,
    },
    /// Show or set (managers) the address the desktop app listens on for Vourity's
    /// webhooks (default 127.0.0.1:47111), used from the app's next start. Vourity must
    /// reach it at the host and port of the Vourity `webhook_url`; where it cannot, the
    /// app follows payments by polling.
    WebhookAddress {
        /// IP:port to listen on, such as 0.0.0.0:47111.
        address: Option<String>,
    },
    /// Take this till's Vourity card terminal in or out of service (managers):
    /// available, offline or outOfOrder.
    TerminalStatus {
        /// available, offline or outOfOrder.
        status: String,
    },
}

/// Which POS device's accounts: this installation's till unless named.
#[derive(Debug, Args)]
pub struct ProviderPos {
    /// The POS device (id or name); default: the one this installation is bound to.
    #[arg(long, value_name = "POS")]
    pub pos: Option<String>,
    /// The store the POS belongs to, when its name is not unique.
    #[arg(long, value_name = "STORE")]
    pub store: Option<String>,
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
    #[arg(long, conflicts_with_all = ["terminal_port", "terminal_baud", "terminal_tcp"])]
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
    /// A card terminal on the LAN instead, e.g. 192.168.1.50:20007 (ZVT over TCP).
    #[arg(long, value_name = "HOST:PORT", conflicts_with = "terminal_port")]
    pub terminal_tcp: Option<String>,
    /// The terminal line's data bits (5-8; default 8).
    #[arg(long, value_name = "N")]
    pub terminal_data_bits: Option<u8>,
    /// The terminal line's parity: none, even or odd (default none).
    #[arg(long, value_name = "PARITY")]
    pub terminal_parity: Option<kassa_core::org::SerialParity>,
    /// The terminal line's stop bits: 1 or 2 (default 2).
    #[arg(long, value_name = "N")]
    pub terminal_stop_bits: Option<u8>,
    /// The terminal line's flow control: none, software or hardware (default none).
    #[arg(long, value_name = "FLOW")]
    pub terminal_flow_control: Option<kassa_core::org::SerialFlowControl>,
    /// The character set of the terminal's receipt lines: cp437, iso8859_1, iso8859_15.
    #[arg(long, value_name = "SET")]
    pub terminal_charset: Option<kassa_core::org::TerminalCharset>,
    /// Let the terminal print its own receipts (by default the till prints them).
    #[arg(long, value_name = "BOOL")]
    pub terminal_prints_receipts: Option<bool>,
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
    /// Set (managers) the user's Flexiti employee id, sent as `external_employee_id`;
    /// a cashier without one cannot take Flexiti payments.
    #[command(group(ArgGroup::new("flexiti_employee").required(true).args(["employee_id", "clear"])))]
    SetFlexitiEmployee {
        name: String,
        /// Letters, digits, '-' and '_', at most 50.
        employee_id: Option<String>,
        /// Remove the user's id.
        #[arg(long)]
        clear: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum DbCommand {
    /// Run SQLite's full integrity and foreign-key checks; non-zero exit on any problem.
    Check,
}

#[derive(Debug, Subcommand)]
pub enum ProductCommand {
    /// Import products from a CSV file, or from a POS device's Venue Manager shop
    /// (managers only). CSV columns: sku, name, vat, store, price, and optionally
    /// category, unit (each or kg), barcodes (separated by spaces or '|'). `vat` is a
    /// category (standard, reduced, reduced_low, zero) or a percentage valid in the
    /// store's country. With --from-venue-manager the shop's categories and products are
    /// read with the POS's Venue Manager account and priced in the POS's store: the SKU is
    /// the product's label (or vm-<id>), no barcodes, and the VAT rate vat/(price-vat)
    /// must be exactly one valid in the store's country; an existing SKU is updated. The
    /// preview is printed first; nothing is imported when any row is rejected, nor
    /// without --yes or a "y" at the prompt.
    #[command(group(ArgGroup::new("source").required(true).args(["file", "from_venue_manager"])))]
    Import {
        /// The CSV file (comma or semicolon separated, UTF-8, header row first).
        file: Option<PathBuf>,
        /// Read the catalog from the Venue Manager shop of a POS device's account.
        #[arg(long)]
        from_venue_manager: bool,
        /// With --from-venue-manager: whose account, and whose store the prices are for.
        #[command(flatten)]
        pos: ProviderPos,
        /// Import without asking (needed when stdin is not a terminal).
        #[arg(long)]
        yes: bool,
    },
    /// List products with their prices per store.
    List {
        /// Only products whose name, SKU or code contains this.
        #[arg(long, value_name = "Q")]
        query: Option<String>,
        /// Include inactive products.
        #[arg(long)]
        include_inactive: bool,
    },
}

/// One `--item`: a barcode or SKU, and an optional quantity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemArg {
    pub code: String,
    pub quantity: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum SaleCommand {
    /// Ring up a sale on this installation's till and pay it, all at once. If any step
    /// fails, the open sale is voided, so nothing is left half-done.
    ///
    /// --card records a payment on the stand-alone card terminal for what is left to pay:
    /// by giving it, you assert that the terminal APPROVED that amount. With --cash and
    /// --card, cash is taken first and the card pays the rest.
    ///
    /// --swip creates a SWiP order for what is left, prints its QR code's text, and waits
    /// while the customer pays in the SWiP app (up to SWiP's 90 s).
    ///
    /// --vourity sends what is left to the till's Vourity card terminal and waits while the
    /// customer pays there; a question the terminal asks (a signature, an ID check) is
    /// printed and answered on stdin with `accepted` or `rejected`.
    ///
    /// --flexiti ACCOUNT takes what is left on the customer's Flexiti account (the till
    /// must sell in CAD and the cashier have a Flexiti employee id): authorized, then
    /// captured; with --flexiti-purchase, as one purchase by account number.
    ///
    /// --swip-loyalty asks SWiP's loyalty programs for a discount on the basket first.
    ///
    /// --terminal sends what is left to the till's integrated card terminal (ZVT) and
    /// waits for its result; its status lines are printed to stderr as they come.
    New(SaleNew),
    /// Completed sales and credit notes, newest first.
    List {
        /// At most this many.
        #[arg(long, value_name = "N", default_value_t = 20)]
        limit: u32,
    },
    /// Show a sale's receipt as a preview, marked as not a receipt (or, with --copy, print
    /// its one copy).
    Show {
        /// The sale's id (see `kassa sale list`).
        id: i64,
        /// Receipt width in characters: 32, 42 or 48.
        #[arg(long, value_name = "N", default_value_t = 42)]
        columns: u8,
        /// Print the receipt's one allowed copy (marked KOPIA; cashiers and managers); it is
        /// recorded and counted in the open shift of this till.
        #[arg(long)]
        copy: bool,
    },
    /// Refund lines of a receipt, approved by a manager (PIN from KASSA_APPROVER_PIN or
    /// asked). Use --show first to see the line ids and what is left to refund.
    ///
    /// The money goes back to the original payments: cash at once; a card refund waits for
    /// the terminal and is settled with `kassa sale resolve PAYMENT_ID --approved`.
    Refund(SaleRefund),
    /// Reverse the last sale of this till in full, approved by a manager (PIN from
    /// KASSA_APPROVER_PIN or asked).
    PostVoid {
        /// The approving manager's user name.
        #[arg(long, value_name = "NAME")]
        approver: String,
        /// Why the sale is reversed (required).
        #[arg(long, value_name = "TEXT")]
        reason: String,
    },
    /// Take goods back without a receipt, at today's catalog price, cash back; needs a
    /// reason and a manager (PIN from KASSA_APPROVER_PIN or asked).
    Return {
        /// A barcode or SKU, optionally with a quantity: `7350012000019*2`.
        #[arg(long = "item", value_name = "CODE[*QTY]", required = true, value_parser = parse_item)]
        items: Vec<ItemArg>,
        /// Why the goods are taken back without a receipt (required).
        #[arg(long, value_name = "TEXT")]
        reason: String,
        /// The approving manager's user name.
        #[arg(long, value_name = "NAME")]
        approver: String,
    },
    /// Settle a payment that is pending or whose outcome is unknown.
    ///
    /// Without --approved or --declined, a provider payment (SWiP, Vourity, Flexiti) is reconciled: the
    /// provider is asked what became of it under its own reference, and nothing is sent
    /// again. --approved and --declined are only for the stand-alone card terminal, as its
    /// own journal shows the payment.
    #[command(group(ArgGroup::new("outcome").required(false).args(["approved", "declined"])))]
    Resolve {
        /// The payment's id (shown by `kassa sale show ID --json` under tenders).
        tender_id: i64,
        /// The terminal approved the payment.
        #[arg(long)]
        approved: bool,
        /// The terminal declined it (or it never happened).
        #[arg(long)]
        declined: bool,
        /// The manager approving that a payment whose outcome was lost is marked approved
        /// (the PIN comes from KASSA_APPROVER_PIN or the terminal).
        #[arg(long, value_name = "NAME", conflicts_with = "declined")]
        approver: Option<String>,
    },
}

#[derive(Debug, Args)]
#[command(group(ArgGroup::new("tender").required(true).multiple(true).args(["cash", "card", "swip", "vourity", "flexiti", "voucher"])))]
pub struct SaleNew {
    /// An item by barcode or SKU, with an optional quantity: 7310865004703, SKU-1*2,
    /// BANANA*0.532 (kg). Repeatable.
    #[arg(long = "item", value_name = "CODE[*QTY]", required = true, value_parser = parse_item)]
    pub items: Vec<ItemArg>,
    /// An order discount: a percentage (10%) or an amount (5.00).
    #[arg(long, value_name = "N% | AMOUNT", value_parser = parse_discount)]
    pub discount: Option<DiscountInput>,
    /// Ask the till's SWiP loyalty programs for a discount on the basket before it is
    /// paid (any tender); it is printed as its own line and not counted against the
    /// store's discount limit.
    #[arg(long)]
    pub swip_loyalty: bool,
    /// Cash handed over; change is computed.
    #[arg(long, value_name = "AMOUNT")]
    pub cash: Option<String>,
    /// The rest is paid on the stand-alone card terminal, and you assert it approved.
    #[arg(long, conflicts_with_all = ["swip", "vourity", "flexiti", "terminal"])]
    pub card: bool,
    /// The rest is paid on the till's integrated card terminal (ZVT): the amount is sent
    /// to it, its messages are printed as they come, and its result decides.
    #[arg(long, conflicts_with_all = ["swip", "vourity", "flexiti"])]
    pub terminal: bool,
    /// The rest is paid through SWiP: the customer scans the printed QR text.
    #[arg(long, conflicts_with_all = ["vourity", "flexiti"])]
    pub swip: bool,
    /// The rest is paid on the till's Vourity card terminal.
    #[arg(long, conflicts_with = "flexiti")]
    pub vourity: bool,
    /// A Venue Manager voucher code, redeemed whole first; --cash or another tender pays
    /// the rest.
    #[arg(long, value_name = "CODE")]
    pub voucher: Option<String>,
    /// Redeem a --voucher worth more than what is due: the rest is lost (no change is
    /// given for a voucher). Without it such a voucher is refused.
    #[arg(long, requires = "voucher")]
    pub accept_voucher_loss: bool,
    /// The rest is financed on this Flexiti account number (authorized, then captured).
    #[arg(long, value_name = "ACCOUNT")]
    pub flexiti: Option<String>,
    /// With --flexiti: one purchase by account number instead of authorize and capture.
    #[arg(long, requires = "flexiti")]
    pub flexiti_purchase: bool,
    /// How often the provider is asked whether the customer has paid, in milliseconds.
    #[arg(long, value_name = "MS", default_value_t = 1000, hide = true)]
    pub poll_interval_ms: u64,
    /// A manager approving a --discount over the store's discount limit (the PIN comes
    /// from KASSA_APPROVER_PIN or the terminal).
    #[arg(long, value_name = "NAME", requires = "discount")]
    pub approver: Option<String>,
}

#[derive(Debug, Args)]
pub struct SaleRefund {
    /// The receipt: its number on this till, or the scanned KR... code.
    #[arg(long, value_name = "CODE_OR_NUMBER")]
    pub receipt: String,
    /// A line to refund and how much of it, as LINE_ID=QTY (repeatable).
    #[arg(long = "line", value_name = "LINE_ID=QTY", value_parser = parse_refund_line,
          required_unless_present = "show")]
    pub lines: Vec<RefundLineInput>,
    /// Why the goods come back (kept with the credit note).
    #[arg(long, value_name = "TEXT")]
    pub reason: Option<String>,
    /// The approving manager's user name.
    #[arg(long, value_name = "NAME", required_unless_present = "show")]
    pub approver: Option<String>,
    /// Only list the receipt's lines and what can still be refunded.
    #[arg(long, conflicts_with_all = ["lines", "reason", "approver"])]
    pub show: bool,
}

#[derive(Debug, Subcommand)]
pub enum ShiftCommand {
    /// Open a shift on this till with the cash float in the drawer.
    Open {
        #[arg(long = "float", value_name = "AMOUNT")]
        float: String,
    },
    /// The X report: the open shift's figures now (changes nothing).
    XReport,
    /// Put cash into the drawer.
    CashIn {
        amount: String,
        #[arg(long, value_name = "TEXT")]
        reason: String,
    },
    /// Take cash out of the drawer.
    CashOut {
        amount: String,
        #[arg(long, value_name = "TEXT")]
        reason: String,
    },
    /// Record that the drawer was opened without a sale.
    NoSale {
        #[arg(long, value_name = "TEXT")]
        reason: String,
    },
    /// Close the shift with the counted cash and print its Z report (made once).
    Close {
        #[arg(long, value_name = "AMOUNT")]
        counted: String,
    },
    /// Every Z report, oldest first.
    ZReports,
}

#[derive(Debug, Subcommand)]
pub enum JournalCommand {
    /// Recompute the journal's hash chain, check every Z report's anchor, and check that
    /// every sale, refund, void, shift event, cash movement, copy and Z report has its
    /// record and every record its row; non-zero exit naming what is wrong or missing.
    Verify {
        /// Also check an anchor kept outside the database: `SEQ:HEAD` as printed on the
        /// last X or Z report (at least 8 hex digits of the head). A deleted tail cannot
        /// match it.
        #[arg(long, value_name = "SEQ:HEAD")]
        head: Option<String>,
    },
}

fn parse_item(s: &str) -> Result<ItemArg, String> {
    let (code, quantity) = match s.rsplit_once('*') {
        Some((code, qty)) => (code.trim(), Some(qty.trim())),
        None => (s.trim(), None),
    };
    if code.is_empty() {
        return Err(format!("'{s}' has no barcode or SKU"));
    }
    if quantity == Some("") {
        return Err(format!("'{s}' has no quantity after '*'"));
    }
    Ok(ItemArg {
        code: code.to_owned(),
        quantity: quantity.map(str::to_owned),
    })
}

fn parse_discount(s: &str) -> Result<DiscountInput, String> {
    let s = s.trim();
    if s.is_empty() {
        return Err("give a percentage (10%) or an amount (5.00)".into());
    }
    Ok(match s.strip_suffix('%') {
        Some(percent) => DiscountInput::Percent(percent.trim().to_owned()),
        None => DiscountInput::Amount(s.to_owned()),
    })
}

fn parse_refund_line(s: &str) -> Result<RefundLineInput, String> {
    let (id, quantity) = s
        .split_once('=')
        .ok_or_else(|| format!("'{s}' is not LINE_ID=QTY, e.g. 12=1"))?;
    let line_id = id.trim().parse().map_err(|_| {
        format!(
            "'{}' is not a line id (see `kassa sale refund --show`)",
            id.trim()
        )
    })?;
    Ok(RefundLineInput {
        line_id,
        quantity: quantity.trim().to_owned(),
    })
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
    fn items_discounts_and_refund_lines_parse() {
        let item = parse_item("7310865004703").unwrap();
        assert_eq!((item.code.as_str(), item.quantity), ("7310865004703", None));
        let item = parse_item("BANANA*0.532").unwrap();
        assert_eq!(
            (item.code.as_str(), item.quantity.as_deref()),
            ("BANANA", Some("0.532"))
        );
        assert!(parse_item("*2").is_err());
        assert!(parse_item("X*").is_err());
        assert_eq!(
            parse_discount("10%").unwrap(),
            DiscountInput::Percent("10".into())
        );
        assert_eq!(
            parse_discount("5.00").unwrap(),
            DiscountInput::Amount("5.00".into())
        );
        let line = parse_refund_line("12=1").unwrap();
        assert_eq!((line.line_id, line.quantity.as_str()), (12, "1"));
        assert!(parse_refund_line("12").is_err());
        assert!(parse_refund_line("x=1").is_err());
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
