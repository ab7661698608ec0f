//! One command's whole exchange with a terminal, over either transport.
//!
//! The till sends a command; the terminal accepts it (`80 00 00`) or refuses it
//! (`84 xx 00`). For a transaction the terminal then leads: it sends intermediate status,
//! status information and receipt lines, each answered `80 00 00`, and ends with
//! Completion (06 0F) or Abort (06 1E). The transaction timeout (T4) starts again with
//! every message, so a card holder slow at the PIN pad does not time the payment out.
//!
//! The till may ask to abort (06 B0) while the terminal leads; the terminal may not
//! honour it and approve anyway, so whatever it reports after the abort is taken as the
//! result.

use std::time::{Duration, Instant};

use super::apdu::Apdu;
use super::commands::{self, Completion, PrintLine, PrintTexts, StatusInformation, TerminalMessage, control};
use super::link::LinkError;

/// A line to a terminal that carries whole APDUs: the serial link (blocks, CRC, ACK) or
/// TCP (bare APDUs).
pub trait Transport {
    /// Sends `apdu`; on serial, until the terminal acknowledges the block.
    fn send(&mut self, apdu: &Apdu) -> Result<(), LinkError>;

    /// The next APDU within `timeout`, or [`LinkError::Silent`].
    fn receive(&mut self, timeout: Duration) -> Result<Apdu, LinkError>;
}

impl<L: std::io::Read + std::io::Write> Transport for super::link::SerialLink<L> {
    fn send(&mut self, apdu: &Apdu) -> Result<(), LinkError> {
        super::link::SerialLink::send(self, apdu)
    }

    fn receive(&mut self, timeout: Duration) -> Result<Apdu, LinkError> {
        super::link::SerialLink::receive(self, timeout)
    }
}

/// How long an exchange waits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionTimings {
    /// How long the terminal may take to accept or refuse a command.
    pub answer: Duration,
    /// T4: the most time between two messages of a transaction.
    pub transaction: Duration,
    /// How often a waiting exchange looks whether the till asked to abort.
    pub abort_check: Duration,
}

impl Default for SessionTimings {
    fn default() -> Self {
        SessionTimings {
            answer: Duration::from_secs(5),
            transaction: Duration::from_secs(180),
            abort_check: Duration::from_millis(100),
        }
    }
}

/// Whether a command's exchange ends when the terminal accepts it, or runs on as a
/// transaction the terminal leads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CommandKind {
    /// Log off, the till's abort: `80 00 00` is the whole answer.
    EndsAtAcceptance,
    /// Everything else.
    Transaction,
}

/// Where an exchange was when the line failed, which decides what the till knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// The command itself was not acknowledged: the terminal may or may not have it.
    Sending,
    /// The command went out, its acceptance never came.
    Accepting,
    /// The terminal was leading the transaction.
    Running,
}

/// How an exchange ended.
#[derive(Debug)]
pub enum End {
    /// The terminal accepted a command that ends there.
    Accepted,
    /// The terminal refused the command (`84 xx`): nothing was done.
    Refused { code: u8 },
    /// Completion (06 0F).
    Completed(Completion),
    /// The terminal's Abort (06 1E) with its result code.
    Aborted { result_code: u8 },
    /// The line failed or went silent: what happened after `phase` is not known.
    Lost { phase: Phase, error: LinkError },
}

/// Everything one exchange brought, in order of arrival.
#[derive(Debug)]
pub struct Exchange {
    /// Intermediate status bytes, oldest first.
    pub statuses: Vec<u8>,
    /// Status information received (a transaction has one; repeat receipt repeats one).
    pub status_information: Vec<StatusInformation>,
    /// Receipt lines as they came (print lines, or the lines of text blocks).
    pub print_lines: Vec<PrintLine>,
    /// Whole receipts as they came in text blocks.
    pub print_texts: Vec<PrintTexts>,
    /// Whether the till asked to abort.
    pub abort_sent: bool,
    /// APDUs the till could not read or handle, answered `84 83 00`, with why.
    pub unreadable: Vec<(Apdu, String)>,
    pub end: End,
}

impl Exchange {
    /// The transaction's result: the last status information, if one came.
    pub fn result(&self) -> Option<&StatusInformation> {
        self.status_information.last()
    }
}

/// What a running exchange reports as it goes, for the cashier's screen and the record.
#[derive(Debug, Clone, Copy)]
pub enum Progress<'a> {
    Status(u8),
    Result(&'a StatusInformation),
    Line(&'a PrintLine),
    Texts(&'a PrintTexts),
}

/// Runs `command` to its end. `abort_requested` is looked at while the terminal leads;
/// the first time it says yes, the till's Abort is sent. `progress` sees every message
/// before the terminal gets its acknowledgement, so what the caller records of it is
/// recorded first.
pub fn run(
    transport: &mut dyn Transport,
    command: &Apdu,
    kind: CommandKind,
    timings: SessionTimings,
    abort_requested: &dyn Fn() -> bool,
    progress: &mut dyn FnMut(Progress<'_>),
) -> Exchange {
    let mut exchange = Exchange {
        statuses: Vec::new(),
        status_information: Vec::new(),
        print_lines: Vec::new(),
        print_texts: Vec::new(),
        abort_sent: false,
        unreadable: Vec::new(),
        end: End::Accepted,
    };
    let end = drive(
        transport,
        command,
        kind,
        timings,
        abort_requested,
        progress,
        &mut exchange,
    );
    exchange.end = end;
    exchange
}

fn drive(
    transport: &mut dyn Transport,
    command: &Apdu,
    kind: CommandKind,
    timings: SessionTimings,
    abort_requested: &dyn Fn() -> bool,
    progress: &mut dyn FnMut(Progress<'_>),
    exchange: &mut Exchange,
) -> End {
    let lost = |phase, error| End::Lost { phase, error };
    if let Err(error) = transport.send(command) {
        return lost(Phase::Sending, error);
    }
    // The acceptance. A terminal that starts leading at once (an intermediate status
    // before `80 00`) has accepted too.
    let first = match transport.receive(timings.answer) {
        Ok(apdu) => apdu,
        Err(error) => return lost(Phase::Accepting, error),
    };
    let mut pending = None;
    if let Some(code) = first.negative_completion() {
        return End::Refused { code };
    } else if !first.is_positive_completion() {
        pending = Some(first);
    } else if kind == CommandKind::EndsAtAcceptance {
        return End::Accepted;
    }
    let mut deadline = Instant::now() + timings.transaction;
    loop {
        let apdu = match pending.take() {
            Some(apdu) => apdu,
            None => {
                if !exchange.abort_sent && abort_requested() {
                    if let Err(error) = transport.send(&commands::abort()) {
                        return lost(Phase::Running, error);
                    }
                    exchange.abort_sent = true;
                }
                let now = Instant::now();
                if now >= deadline {
                    return lost(Phase::Running, LinkError::Silent(timings.transaction));
                }
                let slice = if exchange.abort_sent {
                    deadline - now
                } else {
                    (deadline - now).min(timings.abort_check)
                };
                match transport.receive(slice) {
                    Ok(apdu) => apdu,
                    Err(LinkError::Silent(_)) => continue,
                    Err(error) => return lost(Phase::Running, error),
                }
            }
        };
        deadline = Instant::now() + timings.transaction;
        // The terminal's answer to the till's abort: accepted (the end follows) or
        // refused (the transaction goes on).
        if apdu.is_positive_completion() || apdu.negative_completion().is_some() {
            continue;
        }
        let message = match TerminalMessage::from_apdu(&apdu) {
            Ok(message) => message,
            Err(error) => {
                exchange.unreadable.push((apdu.clone(), error.to_string()));
                if let Err(error) = transport.send(&commands::not_possible()) {
                    return lost(Phase::Running, error);
                }
                continue;
            }
        };
        let mut answer = Apdu::ack();
        let end = match message {
            TerminalMessage::Intermediate { status } => {
                progress(Progress::Status(status));
                exchange.statuses.push(status);
                None
            }
            TerminalMessage::Status(info) => {
                progress(Progress::Result(&info));
                exchange.status_information.push(*info);
                None
            }
            TerminalMessage::PrintLine(line) => {
                progress(Progress::Line(&line));
                exchange.print_lines.push(line);
                None
            }
            TerminalMessage::PrintTexts(texts) => {
                progress(Progress::Texts(&texts));
                exchange
                    .print_lines
                    .extend(texts.lines.iter().map(|text| PrintLine {
                        attribute: 0,
                        text: text.clone(),
                    }));
                exchange.print_texts.push(texts);
                None
            }
            TerminalMessage::Completion(completion) => Some(End::Completed(completion)),
            TerminalMessage::Abort { result_code } => Some(End::Aborted { result_code }),
            TerminalMessage::Other(other) => {
                exchange.unreadable.push((
                    other,
                    format!("APDU {:04X} is not part of a transaction", control(&apdu)),
                ));
                answer = commands::not_possible();
                None
            }
        };
        if let Err(error) = transport.send(&answer) {
            // The end arrived; only its acknowledgement was lost, and the terminal has
            // finished either way.
            return end.unwrap_or_else(|| lost(Phase::Running, error));
        }
        if let Some(end) = end {
            return end;
        }
    }
}
