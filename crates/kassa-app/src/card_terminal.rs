//! The integrated card terminal (ZVT) as the till reaches it: a connection opened from the
//! POS device's settings (a serial port with its line settings, or a LAN address),
//! registered once, and kept open between payments; what a technician asks of a terminal
//! (status, a test payment, end of day, log off); and the wording of its codes.
//!
//! A connection that fails is dropped, so the next use opens it again: that is the
//! reconnect after a pulled cable. Only one exchange runs on a terminal at a time; a
//! second caller is told the terminal is busy rather than queued behind a card holder.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use serde::Serialize;

use kassa_core::Currency;
use kassa_core::org::{SerialFlowControl, SerialParity, TerminalCharset};
use kassa_hw::serial::{self, DataBits, FlowControl, LineSettings, Parity, StopBits, TTYPort};
use kassa_hw::zvt::charset::Charset;
use kassa_hw::zvt::commands::{self, Password, StatusInformation};
use kassa_hw::zvt::{
    Apdu, CommandKind, End, Exchange, LinkError, LinkTimings, Progress, SerialLink, SessionTimings, TcpLink,
    Transport, session, texts,
};
use kassa_store::pos_devices::TerminalSettings;

use crate::AppError;
use crate::error::ErrorCode;

/// How long the till waits for its terminal. Tests (and the demo's virtual terminal) set
/// them short; the defaults are the protocol's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TerminalTimings {
    /// Opening a LAN connection.
    pub connect: Duration,
    /// T3: the acknowledgement of a serial block.
    pub ack: Duration,
    /// How often an unacknowledged block is sent again.
    pub resends: u8,
    /// The longest silence inside a serial block.
    pub inter_byte: Duration,
    /// How long a terminal may take to accept a command.
    pub answer: Duration,
    /// T4: the most time between two messages of a transaction.
    pub transaction: Duration,
    /// How often a waiting payment looks whether the cashier cancelled it.
    pub abort_check: Duration,
}

impl Default for TerminalTimings {
    fn default() -> Self {
        TerminalTimings {
            connect: Duration::from_secs(3),
            ack: Duration::from_secs(5),
            resends: 2,
            inter_byte: Duration::from_millis(200),
            answer: Duration::from_secs(5),
            transaction: Duration::from_secs(180),
            abort_check: Duration::from_millis(100),
        }
    }
}

impl TerminalTimings {
    fn session(&self) -> SessionTimings {
        SessionTimings {
            answer: self.answer,
            transaction: self.transaction,
            abort_check: self.abort_check,
        }
    }
}

/// Why the terminal could not be used. Nothing was charged when one of these comes back
/// before a payment's command was sent.
#[derive(Debug, thiserror::Error)]
pub enum TerminalError {
    #[error(transparent)]
    Open(#[from] serial::OpenError),
    #[error("the card terminal at {address} could not be reached: {detail}")]
    Unreachable { address: String, detail: String },
    #[error("the card terminal refused the till's registration: {0}")]
    RegistrationRefused(String),
    #[error("the card terminal did not answer the till's registration: {0}")]
    RegistrationLost(String),
    #[error("the card terminal's settings are incomplete: {0}")]
    Settings(String),
    #[error(
        "the card terminal is busy with another payment or operation; wait for it to finish, or cancel it"
    )]
    Busy,
}

impl From<TerminalError> for AppError {
    fn from(error: TerminalError) -> AppError {
        AppError::coded(ErrorCode::TerminalFailed, None, error.to_string())
    }
}

/// The line to a terminal: a serial link or TCP.
pub enum TerminalLink {
    Serial(SerialLink<TTYPort>),
    Tcp(TcpLink),
}

impl Transport for TerminalLink {
    fn send(&mut self, apdu: &Apdu) -> Result<(), LinkError> {
        match self {
            TerminalLink::Serial(link) => link.send(apdu),
            TerminalLink::Tcp(link) => link.send(apdu),
        }
    }

    fn receive(&mut self, timeout: Duration) -> Result<Apdu, LinkError> {
        match self {
            TerminalLink::Serial(link) => link.receive(timeout),
            TerminalLink::Tcp(link) => link.receive(timeout),
        }
    }
}

/// The line settings of a serial terminal.
pub fn line_settings(settings: &TerminalSettings) -> Result<LineSettings, TerminalError> {
    Ok(LineSettings {
        baud_rate: settings.baud_rate,
        data_bits: match settings.data_bits {
            5 => DataBits::Five,
            6 => DataBits::Six,
            7 => DataBits::Seven,
            8 => DataBits::Eight,
            other => return Err(TerminalError::Settings(format!("{other} data bits"))),
        },
        parity: match settings.parity {
            SerialParity::None => Parity::None,
            SerialParity::Even => Parity::Even,
            SerialParity::Odd => Parity::Odd,
        },
        stop_bits: match settings.stop_bits {
            1 => StopBits::One,
            2 => StopBits::Two,
            other => return Err(TerminalError::Settings(format!("{other} stop bits"))),
        },
        flow_control: match settings.flow_control {
            SerialFlowControl::None => FlowControl::None,
            SerialFlowControl::Software => FlowControl::Software,
            SerialFlowControl::Hardware => FlowControl::Hardware,
        },
    })
}

/// The character set of a terminal's text.
pub fn charset(settings: &TerminalSettings) -> Charset {
    match settings.charset {
        TerminalCharset::Cp437 => Charset::Cp437,
        TerminalCharset::Iso8859_1 => Charset::Latin1,
        TerminalCharset::Iso8859_15 => Charset::Latin9,
    }
}

/// How the settings reach the terminal, in words ("/dev/ttyUSB0 9600 8N2", "LAN
/// 192.168.1.50:20007").
pub fn describe_connection(settings: &TerminalSettings) -> String {
    match &settings.tcp_address {
        Some(address) => format!("LAN {address}"),
        None => format!(
            "{} {} {}{}{}",
            settings.port,
            settings.baud_rate,
            settings.data_bits,
            match settings.parity {
                SerialParity::None => 'N',
                SerialParity::Even => 'E',
                SerialParity::Odd => 'O',
            },
            settings.stop_bits
        ),
    }
}

/// An open, registered connection to a terminal.
pub struct TerminalClient {
    settings: TerminalSettings,
    password: Password,
    timings: TerminalTimings,
    link: TerminalLink,
    /// What opening the line could not set (a pseudo-terminal's missing modem lines).
    pub warnings: Vec<String>,
    /// The terminal's id, from its registration.
    pub terminal_id: Option<String>,
}

impl TerminalClient {
    /// Opens the line the settings name and registers the till with the terminal in
    /// `currency`, saying who prints the receipts.
    pub fn connect(
        settings: &TerminalSettings,
        password: Password,
        currency: Currency,
        timings: TerminalTimings,
    ) -> Result<TerminalClient, TerminalError> {
        let (link, warnings) = match &settings.tcp_address {
            Some(address) => {
                let link =
                    TcpLink::connect(address, timings.connect).map_err(|e| TerminalError::Unreachable {
                        address: address.clone(),
                        detail: e.to_string(),
                    })?;
                (TerminalLink::Tcp(link), Vec::new())
            }
            None => {
                let opened = serial::open(&settings.port, &line_settings(settings)?, timings.inter_byte)?;
                let link = SerialLink::new(
                    opened.port,
                    LinkTimings {
                        ack: timings.ack,
                        resends: timings.resends,
                        ..LinkTimings::default()
                    },
                );
                (TerminalLink::Serial(link), opened.warnings)
            }
        };
        let mut client = TerminalClient {
            settings: settings.clone(),
            password,
            timings,
            link,
            warnings,
            terminal_id: None,
        };
        client.register(currency)?;
        Ok(client)
    }

    /// The settings this client was opened with.
    pub fn settings(&self) -> &TerminalSettings {
        &self.settings
    }

    fn register(&mut self, currency: Currency) -> Result<(), TerminalError> {
        let mut config = commands::config::INTERMEDIATE_STATUS
            | commands::config::TILL_CONTROLS_PAYMENTS
            | commands::config::TILL_CONTROLS_ADMIN;
        if self.settings.till_prints_receipts {
            config |=
                commands::config::TILL_PRINTS_PAYMENT_RECEIPTS | commands::config::TILL_PRINTS_ADMIN_RECEIPTS;
        }
        let command = commands::registration(self.password, config, currency.numeric())
            .map_err(|e| TerminalError::Settings(e.to_string()))?;
        let exchange = self.run(&command, CommandKind::Transaction, &|| false, &mut |_| {});
        match exchange.end {
            End::Completed(completion) => {
                self.terminal_id = completion.terminal_id;
                Ok(())
            }
            End::Accepted => Ok(()),
            End::Refused { code } | End::Aborted { result_code: code } => {
                Err(TerminalError::RegistrationRefused(texts::describe_result(code)))
            }
            End::Lost { error, .. } => Err(TerminalError::RegistrationLost(error.to_string())),
        }
    }

    /// Runs one command's exchange.
    pub fn run(
        &mut self,
        command: &Apdu,
        kind: CommandKind,
        abort_requested: &dyn Fn() -> bool,
        progress: &mut dyn FnMut(Progress<'_>),
    ) -> Exchange {
        session::run(
            &mut self.link,
            command,
            kind,
            self.timings.session(),
            abort_requested,
            progress,
        )
    }

    /// The terminal's password, for the commands that carry it.
    pub fn password(&self) -> Password {
        self.password
    }

    /// Text from the terminal in its character set.
    pub fn text(&self, bytes: &[u8]) -> String {
        charset(&self.settings).decode(bytes)
    }
}

/// What a technician's command to the terminal found, for the CLI and the settings screen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct TerminalReport {
    /// The command, in words ("status", "payment", "end of day").
    pub operation: String,
    /// How the terminal was reached.
    pub connection: String,
    /// Whether the command did what was asked.
    pub ok: bool,
    /// What happened, in words.
    pub message: String,
    pub result_code: Option<u8>,
    pub terminal_id: Option<String>,
    pub trace: Option<u32>,
    pub receipt: Option<u32>,
    /// The amount the terminal reported (a payment's, or end of day's total), in minor
    /// units.
    pub amount_minor: Option<i64>,
    pub card: Option<String>,
    pub status_lines: Vec<String>,
    pub receipt_lines: Vec<String>,
    pub warnings: Vec<String>,
}

impl TerminalReport {
    /// A report of an exchange.
    pub fn of(client: &TerminalClient, operation: &str, exchange: &Exchange) -> TerminalReport {
        let result = exchange.result();
        let (ok, message) = describe_end(exchange);
        TerminalReport {
            operation: operation.to_owned(),
            connection: describe_connection(client.settings()),
            ok,
            message,
            result_code: result.and_then(|r| r.result_code).or(match exchange.end {
                End::Aborted { result_code } => Some(result_code),
                End::Refused { code } => Some(code),
                _ => None,
            }),
            terminal_id: result
                .and_then(|r| r.terminal_id.clone())
                .or_else(|| client.terminal_id.clone()),
            trace: result.and_then(|r| r.trace).map(|t| t as u32),
            receipt: result.and_then(|r| r.receipt).map(|r| r as u32),
            amount_minor: result.and_then(|r| r.amount_minor).map(|a| a as i64),
            card: result.and_then(card_of),
            status_lines: exchange.statuses.iter().map(|s| texts::status_text(*s)).collect(),
            receipt_lines: exchange
                .print_lines
                .iter()
                .map(|l| client.text(&l.text))
                .collect(),
            warnings: client.warnings.clone(),
        }
    }
}

/// The card as the terminal named it: name and masked number.
pub fn card_of(info: &StatusInformation) -> Option<String> {
    match (&info.card_name, &info.masked_pan) {
        (Some(name), Some(pan)) => Some(format!("{name} {pan}")),
        (Some(name), None) => Some(name.clone()),
        (None, Some(pan)) => Some(pan.clone()),
        (None, None) => None,
    }
}

/// Whether an exchange did what was asked, and what happened in words.
pub fn describe_end(exchange: &Exchange) -> (bool, String) {
    let result = exchange.result().and_then(|r| r.result_code);
    match (&exchange.end, result) {
        (End::Completed(_) | End::Accepted, None | Some(texts::SUCCESS)) => (true, "done".to_owned()),
        (_, Some(code)) if code != texts::SUCCESS => (false, texts::describe_result(code)),
        (End::Aborted { result_code }, _) => (false, texts::describe_result(*result_code)),
        (End::Refused { code }, _) => (false, format!("refused: {}", texts::describe_result(*code))),
        (End::Lost { phase, error }, Some(_)) => (
            true,
            format!("the result arrived, then the line failed ({phase:?}): {error}"),
        ),
        (End::Lost { phase, error }, None) => (false, format!("no answer ({phase:?}): {error}")),
        (End::Completed(_) | End::Accepted, Some(_)) => (true, "done".to_owned()),
    }
}

/// The terminal of one Kassa: its open connection, and the abort flags of the payments
/// running on it.
#[derive(Default)]
pub(crate) struct TerminalSlot {
    connection: Mutex<Option<TerminalClient>>,
    aborts: Mutex<Vec<(i64, Arc<AtomicBool>)>>,
    timings: Mutex<TerminalTimings>,
}

impl std::fmt::Debug for TerminalSlot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TerminalSlot").finish_non_exhaustive()
    }
}

/// The terminal's connection, held for one exchange.
pub(crate) struct Held<'a> {
    guard: MutexGuard<'a, Option<TerminalClient>>,
}

impl Held<'_> {
    pub(crate) fn client(&mut self) -> &mut TerminalClient {
        self.guard.as_mut().expect("a held connection is open")
    }

    /// Drops the connection after a failed line, so the next use opens it again.
    pub(crate) fn forget(&mut self) {
        *self.guard = None;
    }
}

impl TerminalSlot {
    pub(crate) fn timings(&self) -> TerminalTimings {
        *self.timings.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn set_timings(&self, timings: TerminalTimings) {
        *self.timings.lock().unwrap_or_else(PoisonError::into_inner) = timings;
        // A connection opened with the old timings keeps them; open it again.
        if let Ok(mut connection) = self.connection.try_lock() {
            *connection = None;
        }
    }

    /// The open connection for `settings`, opened (and registered) when there is none or
    /// the settings changed. Refused while another exchange holds it.
    pub(crate) fn hold(
        &self,
        settings: &TerminalSettings,
        password: Password,
        currency: Currency,
    ) -> Result<Held<'_>, TerminalError> {
        let mut guard = match self.connection.try_lock() {
            Ok(guard) => guard,
            Err(std::sync::TryLockError::Poisoned(poisoned)) => poisoned.into_inner(),
            Err(std::sync::TryLockError::WouldBlock) => return Err(TerminalError::Busy),
        };
        let stale = guard
            .as_ref()
            .is_none_or(|client| client.settings() != settings || client.password() != password);
        if stale {
            *guard = None;
            *guard = Some(TerminalClient::connect(
                settings,
                password,
                currency,
                self.timings(),
            )?);
        }
        Ok(Held { guard })
    }

    /// A flag the payment of `tender_id` watches while it runs.
    pub(crate) fn abort_flag(&self, tender_id: i64) -> Arc<AtomicBool> {
        let mut aborts = self.aborts.lock().unwrap_or_else(PoisonError::into_inner);
        let flag = Arc::new(AtomicBool::new(false));
        aborts.retain(|(id, _)| *id != tender_id);
        aborts.push((tender_id, flag.clone()));
        flag
    }

    pub(crate) fn clear_abort(&self, tender_id: i64) {
        self.aborts
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .retain(|(id, _)| *id != tender_id);
    }

    /// Asks the running payment of `tender_id` to abort; false when none runs here.
    pub(crate) fn request_abort(&self, tender_id: i64) -> bool {
        let aborts = self.aborts.lock().unwrap_or_else(PoisonError::into_inner);
        match aborts.iter().find(|(id, _)| *id == tender_id) {
            Some((_, flag)) => {
                flag.store(true, Ordering::SeqCst);
                true
            }
            None => false,
        }
    }
}

/// A serial port the settings screen offers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct SerialPortView {
    pub path: String,
    /// "USB 0403:6001 FTDI FT232R", "PCI", or empty when nothing is known.
    pub description: String,
}

/// The serial ports of this machine, with `extra` (a virtual terminal's stable path in
/// demo mode) among them.
pub fn serial_ports(extra: &[String]) -> Vec<SerialPortView> {
    let mut ports: Vec<SerialPortView> = serial::available_ports()
        .into_iter()
        .map(|p| SerialPortView {
            path: p.path,
            description: p.description,
        })
        .collect();
    for path in extra {
        if !ports.iter().any(|p| &p.path == path) && std::path::Path::new(path).exists() {
            ports.push(SerialPortView {
                path: path.clone(),
                description: "virtual terminal (demo)".to_owned(),
            });
        }
    }
    ports
}
