//! The APDUs a till sends and the terminal's answers it reads, built on [`super::bmp`].
//!
//! Commands (till → terminal): Registration (06 00), Authorization (06 01), Log off
//! (06 02), Repeat Receipt (06 20), Reversal (06 30), Refund (06 31), End of Day (06 50),
//! Status Enquiry (05 01) and the till's Abort (06 B0). Messages (terminal → till, while
//! the terminal leads a transaction): Intermediate Status (04 FF), Status Information
//! (04 0F), Print Line (06 D1), Print Text Block (06 D3), Completion (06 0F) and the
//! terminal's Abort (06 1E).

use super::apdu::Apdu;
use super::bmp::{self, BmpError, UnknownBmp, tag};
use super::tlv::{self, Tlv, TlvError};

/// Why a terminal's APDU is not what was expected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CommandError {
    /// Another APDU than the one being read.
    #[error("expected APDU {expected:04X}, got {got:04X}")]
    Unexpected { expected: u16, got: u16 },
    /// Its BMPs cannot be read.
    #[error(transparent)]
    Bmp(#[from] BmpError),
    /// Its TLV container cannot be read.
    #[error(transparent)]
    Tlv(#[from] TlvError),
    /// A message without the data it must carry.
    #[error("APDU {control:04X} is too short: {reason}")]
    Truncated { control: u16, reason: &'static str },
}

/// The class and instruction of an APDU as one number (`0x040F`).
pub fn control(apdu: &Apdu) -> u16 {
    u16::from_be_bytes([apdu.class, apdu.instruction])
}

/// The terminal's password: six digits, sent as 3 bytes BCD with every command that
/// changes money or the terminal's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Password(u32);

/// A password that is not six digits.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a terminal password is 6 digits (000000 to 999999), not {0:?}")]
pub struct InvalidPassword(pub String);

impl Password {
    /// Six digits, as the terminal's menu shows them.
    pub fn parse(text: &str) -> Result<Password, InvalidPassword> {
        let text = text.trim();
        if text.len() != 6 || !text.bytes().all(|b| b.is_ascii_digit()) {
            return Err(InvalidPassword(text.to_owned()));
        }
        text.parse()
            .map(Password)
            .map_err(|_| InvalidPassword(text.to_owned()))
    }

    /// The six digits.
    pub fn digits(self) -> String {
        format!("{:06}", self.0)
    }

    fn bcd(self) -> Vec<u8> {
        bmp::to_bcd(u64::from(self.0), 3).expect("six digits fit in 3 BCD bytes")
    }
}

/// The config byte of Registration: what the till takes over from the terminal.
pub mod config {
    /// The till prints the payment receipts: the terminal sends them as print lines.
    pub const TILL_PRINTS_PAYMENT_RECEIPTS: u8 = 0x02;
    /// The till prints the administration receipts (end of day).
    pub const TILL_PRINTS_ADMIN_RECEIPTS: u8 = 0x04;
    /// The terminal sends Intermediate Status while the card holder acts.
    pub const INTERMEDIATE_STATUS: u8 = 0x08;
    /// Payments are started from the till (the terminal's keys cannot start one).
    pub const TILL_CONTROLS_PAYMENTS: u8 = 0x10;
    /// Administration is started from the till.
    pub const TILL_CONTROLS_ADMIN: u8 = 0x20;
    /// Receipts come as Print Text Blocks (06 D3) instead of single lines (06 D1).
    pub const TEXT_BLOCKS: u8 = 0x80;
}

/// Registration (06 00): the till's password, config byte and currency. The currency
/// goes without a BMP tag here, unlike in Authorization.
pub fn registration(password: Password, config_byte: u8, currency: u16) -> Result<Apdu, BmpError> {
    let mut data = password.bcd();
    data.push(config_byte);
    data.extend(bmp::to_bcd(u64::from(currency), 2)?);
    Ok(Apdu::new(0x06, 0x00, data))
}

fn amount_and_currency(data: &mut Vec<u8>, amount_minor: u64, currency: u16) -> Result<(), BmpError> {
    data.push(tag::AMOUNT);
    data.extend(bmp::to_bcd(amount_minor, 6)?);
    data.push(tag::CURRENCY);
    data.extend(bmp::to_bcd(u64::from(currency), 2)?);
    Ok(())
}

/// Authorization (06 01) of `amount_minor` in the currency with ISO 4217 numeric code
/// `currency` (978 for EUR, 752 for SEK): BMP 04 as 6 bytes BCD, BMP 49 as 2.
pub fn authorization(amount_minor: u64, currency: u16) -> Result<Apdu, BmpError> {
    let mut data = Vec::with_capacity(11);
    amount_and_currency(&mut data, amount_minor, currency)?;
    Ok(Apdu::new(0x06, 0x01, data))
}

/// Refund (06 31) of `amount_minor` to the card presented.
pub fn refund(password: Password, amount_minor: u64, currency: u16) -> Result<Apdu, BmpError> {
    let mut data = password.bcd();
    amount_and_currency(&mut data, amount_minor, currency)?;
    Ok(Apdu::new(0x06, 0x31, data))
}

/// Reversal (06 30) of the payment with terminal receipt number `receipt` (4 digits), in
/// the terminal's open batch.
pub fn reversal(password: Password, receipt: u16) -> Result<Apdu, BmpError> {
    let mut data = password.bcd();
    data.push(tag::RECEIPT);
    data.extend(bmp::to_bcd(u64::from(receipt), 2)?);
    Ok(Apdu::new(0x06, 0x30, data))
}

/// End of Day (06 50): the terminal sends its batch to the host and reports the totals.
pub fn end_of_day(password: Password) -> Apdu {
    Apdu::new(0x06, 0x50, password.bcd())
}

/// Log off (06 02).
pub fn log_off() -> Apdu {
    Apdu::new(0x06, 0x02, [])
}

/// Status Enquiry (05 01).
pub fn status_enquiry(password: Password) -> Apdu {
    Apdu::new(0x05, 0x01, password.bcd())
}

/// The service byte of Repeat Receipt asking for the last transaction's Status
/// Information without printing its receipt again.
pub const REPEAT_STATUS_ONLY: u8 = 0x01;

/// Repeat Receipt (06 20): the last transaction's Status Information, and its receipt
/// unless `status_only`. What a till asks after it lost a transaction's result.
pub fn repeat_receipt(password: Password, status_only: bool) -> Apdu {
    let mut data = password.bcd();
    if status_only {
        data.extend([0x03, REPEAT_STATUS_ONLY]);
    }
    Apdu::new(0x06, 0x20, data)
}

/// The till's Abort (06 B0) of the transaction the terminal is running. Not every
/// terminal honours it: an approval may still follow.
pub fn abort() -> Apdu {
    Apdu::new(0x06, 0xB0, [])
}

/// What the terminal reports of a transaction (04 0F). Every field is optional: terminals
/// send what they have.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct StatusInformation {
    /// 0 is success; anything else is the terminal's error code.
    pub result_code: Option<u8>,
    pub amount_minor: Option<u64>,
    pub currency: Option<u16>,
    pub trace: Option<u64>,
    pub receipt: Option<u64>,
    pub terminal_id: Option<String>,
    pub card_type: Option<u8>,
    pub card_name: Option<String>,
    /// The card number as the terminal shows it, masked digits as `*`.
    pub masked_pan: Option<String>,
    /// MMDD.
    pub date: Option<String>,
    /// HHMMSS.
    pub time: Option<String>,
    /// Set when a BMP whose length is not known stopped the reading (what came before it
    /// is here).
    pub stopped_at: Option<UnknownBmp>,
}

impl StatusInformation {
    /// Reads a Status Information APDU.
    pub fn from_apdu(apdu: &Apdu) -> Result<StatusInformation, CommandError> {
        if control(apdu) != 0x040F {
            return Err(CommandError::Unexpected {
                expected: 0x040F,
                got: control(apdu),
            });
        }
        let bmps = bmp::parse(&apdu.data)?;
        let number = |t: u8| bmps.get(t).map(|v| bmp::from_bcd(t, v)).transpose();
        let digits = |t: u8| {
            bmps.get(t)
                .map(|v| {
                    bmp::from_bcd(t, v)?;
                    Ok::<_, BmpError>(v.iter().map(|b| format!("{b:02X}")).collect::<String>())
                })
                .transpose()
        };
        Ok(StatusInformation {
            result_code: bmps.get(tag::RESULT_CODE).and_then(|v| v.first().copied()),
            amount_minor: number(tag::AMOUNT)?,
            currency: number(tag::CURRENCY)?.map(|c| c as u16),
            trace: number(tag::TRACE)?,
            receipt: number(tag::RECEIPT)?,
            terminal_id: digits(tag::TERMINAL_ID)?,
            card_type: bmps.get(tag::CARD_TYPE).and_then(|v| v.first().copied()),
            card_name: bmps
                .get(tag::CARD_NAME)
                .map(|v| String::from_utf8_lossy(v).trim().to_owned()),
            masked_pan: bmps.get(tag::PAN).map(masked_digits),
            date: digits(tag::DATE)?,
            time: digits(tag::TIME)?,
            stopped_at: bmps.stopped_at,
        })
    }
}

/// A card number's nibbles: digits as they are, `E` (masked) as `*`, `F` (padding) left out.
fn masked_digits(value: &[u8]) -> String {
    value
        .iter()
        .flat_map(|b| [b >> 4, b & 0x0F])
        .filter_map(|nibble| match nibble {
            0..=9 => Some(char::from(b'0' + nibble)),
            0x0E => Some('*'),
            _ => None,
        })
        .collect()
}

/// The status byte of an Intermediate Status Information APDU (04 FF), which the till
/// shows the cashier while the card holder acts; `None` for any other APDU.
pub fn intermediate_status(apdu: &Apdu) -> Option<u8> {
    (control(apdu) == 0x04FF)
        .then(|| apdu.data.first().copied())
        .flatten()
}

/// The terminal's Completion (06 0F): the transaction ended and the till leads again.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Completion {
    pub result_code: Option<u8>,
    /// The terminal's status byte (registration and status enquiry report it).
    pub status_byte: Option<u8>,
    pub terminal_id: Option<String>,
    pub currency: Option<u16>,
    /// The terminal's software version (Status Enquiry reports it).
    pub software_version: Option<String>,
    /// Set when a BMP whose length is not known stopped the reading.
    pub stopped_at: Option<UnknownBmp>,
}

impl Completion {
    fn from_data(data: &[u8]) -> Result<Completion, CommandError> {
        // Status Enquiry's completion starts with the software version (LLLVAR, untagged)
        // and the terminal's status byte. Its first byte is then an `Fx` length digit,
        // which is no BMP tag a completion carries.
        let (software_version, status, rest) = match lllvar_prefix(data) {
            Some((version, [status, rest @ ..])) => (
                Some(String::from_utf8_lossy(version).trim().to_owned()),
                Some(*status),
                rest,
            ),
            _ => (None, None, data),
        };
        let bmps = bmp::parse(rest)?;
        Ok(Completion {
            result_code: bmps.get(tag::RESULT_CODE).and_then(|v| v.first().copied()),
            status_byte: status.or_else(|| bmps.get(0x19).and_then(|v| v.first().copied())),
            terminal_id: bmps
                .get(tag::TERMINAL_ID)
                .map(|v| v.iter().map(|b| format!("{b:02X}")).collect()),
            currency: bmps
                .get(tag::CURRENCY)
                .map(|v| bmp::from_bcd(tag::CURRENCY, v))
                .transpose()?
                .map(|c| c as u16),
            software_version,
            stopped_at: bmps.stopped_at,
        })
    }
}

/// An untagged LLLVAR at the start of `data` and what follows it.
fn lllvar_prefix(data: &[u8]) -> Option<(&[u8], &[u8])> {
    let digits = data.get(..3)?;
    let len = digits.iter().try_fold(0usize, |n, b| {
        (b & 0xF0 == 0xF0 && b & 0x0F <= 9).then(|| n * 10 + usize::from(b & 0x0F))
    })?;
    let value = data.get(3..3 + len)?;
    Some((value, &data[3 + len..]))
}

/// One line the terminal asks the till to print (06 D1): an attribute byte and the text,
/// in the terminal's character set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrintLine {
    pub attribute: u8,
    pub text: Vec<u8>,
}

impl PrintLine {
    /// The attribute that marks a receipt's last line.
    pub const LAST: u8 = 0xFF;

    /// Whether this line ends the receipt.
    pub fn is_last(&self) -> bool {
        self.attribute == PrintLine::LAST
    }
}

/// Which receipt a text block is (TLV tag 1F07).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReceiptKind {
    Merchant,
    Customer,
    Administration,
    /// A type the table does not name.
    Other(u8),
}

impl ReceiptKind {
    fn from_byte(b: u8) -> ReceiptKind {
        match b {
            1 => ReceiptKind::Merchant,
            2 => ReceiptKind::Customer,
            3 => ReceiptKind::Administration,
            other => ReceiptKind::Other(other),
        }
    }
}

/// A whole receipt the terminal asks the till to print (06 D3): its kind and lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrintTexts {
    pub kind: Option<ReceiptKind>,
    pub lines: Vec<Vec<u8>>,
}

impl PrintTexts {
    fn from_data(data: &[u8]) -> Result<PrintTexts, CommandError> {
        let bmps = bmp::parse(data)?;
        let container = bmps.get(tag::TLV).ok_or(CommandError::Truncated {
            control: 0x06D3,
            reason: "a print text block without its TLV container",
        })?;
        let objects = tlv::parse(container)?;
        let texts = Tlv::find(&objects, 0x25);
        let children = texts.map_or(&objects[..], |t| &t.children[..]);
        Ok(PrintTexts {
            kind: Tlv::find(children, 0x1F07)
                .and_then(|t| t.value.first().copied())
                .map(ReceiptKind::from_byte),
            lines: children
                .iter()
                .filter(|t| t.tag == 0x07)
                .map(|t| t.value.clone())
                .collect(),
        })
    }
}

/// A message the terminal sends while it leads a transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TerminalMessage {
    /// Intermediate Status (04 FF): what the card holder is asked to do.
    Intermediate { status: u8 },
    /// Status Information (04 0F): the transaction's result.
    Status(Box<StatusInformation>),
    /// Print Line (06 D1).
    PrintLine(PrintLine),
    /// Print Text Block (06 D3).
    PrintTexts(PrintTexts),
    /// Completion (06 0F): the end, the till leads again.
    Completion(Completion),
    /// The terminal's Abort (06 1E): the end, with the reason.
    Abort { result_code: u8 },
    /// Anything else; the till answers that it cannot do it.
    Other(Apdu),
}

impl TerminalMessage {
    /// Reads a message from the terminal.
    pub fn from_apdu(apdu: &Apdu) -> Result<TerminalMessage, CommandError> {
        let truncated = |reason| CommandError::Truncated {
            control: control(apdu),
            reason,
        };
        Ok(match control(apdu) {
            0x04FF => TerminalMessage::Intermediate {
                status: *apdu
                    .data
                    .first()
                    .ok_or(truncated("an intermediate status without its status byte"))?,
            },
            0x040F => TerminalMessage::Status(Box::new(StatusInformation::from_apdu(apdu)?)),
            0x06D1 => {
                let (attribute, text) = apdu
                    .data
                    .split_first()
                    .ok_or(truncated("a print line without its attribute"))?;
                TerminalMessage::PrintLine(PrintLine {
                    attribute: *attribute,
                    text: text.to_vec(),
                })
            }
            0x06D3 => TerminalMessage::PrintTexts(PrintTexts::from_data(&apdu.data)?),
            0x060F => TerminalMessage::Completion(Completion::from_data(&apdu.data)?),
            0x061E => TerminalMessage::Abort {
                result_code: *apdu
                    .data
                    .first()
                    .ok_or(truncated("an abort without its result code"))?,
            },
            _ => TerminalMessage::Other(apdu.clone()),
        })
    }
}

/// The negative completion the till answers a message it cannot handle with
/// (`84 83 00`: function not possible).
pub fn not_possible() -> Apdu {
    Apdu::new(0x84, super::texts::FUNCTION_NOT_POSSIBLE, [])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::zvt::encode_frame;

    #[test]
    fn authorization_is_the_golden_frame() {
        let apdu = authorization(11000, 978).unwrap();
        let frame = encode_frame(&apdu.encode().unwrap());
        assert_eq!(
            frame,
            [
                0x10, 0x02, 0x06, 0x01, 0x0A, 0x04, 0x00, 0x00, 0x00, 0x01, 0x10, 0x10, 0x00, 0x49, 0x09,
                0x78, 0x10, 0x03, 0xF2, 0xFF
            ]
        );
        assert!(authorization(1_000_000_000_000, 978).is_err());
    }

    #[test]
    fn status_information_is_read_by_its_bmps() {
        let mut data = vec![0x27, 0x00];
        data.extend([0x04, 0x00, 0x00, 0x00, 0x01, 0x10, 0x00]);
        data.extend([0x0B, 0x00, 0x01, 0x23]);
        data.extend([0x0C, 0x14, 0x05, 0x09]);
        data.extend([0x0D, 0x12, 0x04]);
        data.extend([0x22, 0xF0, 0xF4, 0x47, 0xEE, 0xEE, 0x11]);
        data.extend([0x29, 0x52, 0x00, 0x00, 0x17]);
        data.extend([0x49, 0x07, 0x52]);
        data.extend([0x87, 0x00, 0x42]);
        data.extend([0x8A, 0x0A]);
        data.extend([0x8B, 0xF0, 0xF4, b'V', b'I', b'S', b'A']);
        let info = StatusInformation::from_apdu(&Apdu::new(0x04, 0x0F, data)).unwrap();
        assert_eq!(info.result_code, Some(0));
        assert_eq!(info.amount_minor, Some(11000));
        assert_eq!(info.currency, Some(752));
        assert_eq!(info.trace, Some(123));
        assert_eq!(info.receipt, Some(42));
        assert_eq!(info.terminal_id.as_deref(), Some("52000017"));
        assert_eq!(info.card_type, Some(0x0A));
        assert_eq!(info.card_name.as_deref(), Some("VISA"));
        assert_eq!(info.masked_pan.as_deref(), Some("47****11"));
        assert_eq!(
            (info.date.as_deref(), info.time.as_deref()),
            (Some("1204"), Some("140509"))
        );
        assert_eq!(info.stopped_at, None);
    }

    #[test]
    fn other_apdus_and_bad_bcd_are_refused() {
        assert!(matches!(
            StatusInformation::from_apdu(&Apdu::new(0x04, 0xFF, vec![0x0A])),
            Err(CommandError::Unexpected { .. })
        ));
        assert!(matches!(
            StatusInformation::from_apdu(&Apdu::new(0x04, 0x0F, vec![0x0B, 0x00, 0x0A, 0x00])),
            Err(CommandError::Bmp(BmpError::NotBcd { .. }))
        ));
        assert_eq!(
            intermediate_status(&Apdu::new(0x04, 0xFF, vec![0x0A, 0x05])),
            Some(0x0A)
        );
        assert_eq!(intermediate_status(&Apdu::ack()), None);
    }

    #[test]
    fn every_command_has_its_layout() {
        let pw = Password::parse("123456").unwrap();
        let bytes = |apdu: Apdu| apdu.encode().unwrap();
        assert_eq!(
            bytes(registration(pw, 0xBE, 752).unwrap()),
            [0x06, 0x00, 0x06, 0x12, 0x34, 0x56, 0xBE, 0x07, 0x52]
        );
        assert_eq!(
            bytes(refund(pw, 2500, 752).unwrap()),
            [
                0x06, 0x31, 0x0D, 0x12, 0x34, 0x56, 0x04, 0, 0, 0, 0, 0x25, 0x00, 0x49, 0x07, 0x52
            ]
        );
        assert_eq!(
            bytes(reversal(pw, 42).unwrap()),
            [0x06, 0x30, 0x06, 0x12, 0x34, 0x56, 0x87, 0x00, 0x42]
        );
        assert!(reversal(pw, 10_000).is_err());
        assert_eq!(bytes(end_of_day(pw)), [0x06, 0x50, 0x03, 0x12, 0x34, 0x56]);
        assert_eq!(bytes(log_off()), [0x06, 0x02, 0x00]);
        assert_eq!(bytes(status_enquiry(pw)), [0x05, 0x01, 0x03, 0x12, 0x34, 0x56]);
        assert_eq!(
            bytes(repeat_receipt(pw, true)),
            [0x06, 0x20, 0x05, 0x12, 0x34, 0x56, 0x03, 0x01]
        );
        assert_eq!(
            bytes(repeat_receipt(pw, false)),
            [0x06, 0x20, 0x03, 0x12, 0x34, 0x56]
        );
        assert_eq!(bytes(abort()), [0x06, 0xB0, 0x00]);
        assert_eq!(bytes(not_possible()), [0x84, 0x83, 0x00]);
        for bad in ["12345", "1234567", "12a456", ""] {
            assert!(Password::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn terminal_messages_are_told_apart() {
        let read = |class, instruction, data: &[u8]| {
            TerminalMessage::from_apdu(&Apdu::new(class, instruction, data))
        };
        assert_eq!(
            read(0x04, 0xFF, &[0x0A, 0x01]),
            Ok(TerminalMessage::Intermediate { status: 0x0A })
        );
        assert!(matches!(
            read(0x04, 0xFF, &[]),
            Err(CommandError::Truncated { .. })
        ));
        assert_eq!(
            read(0x06, 0x1E, &[0x6C]),
            Ok(TerminalMessage::Abort { result_code: 0x6C })
        );
        let Ok(TerminalMessage::PrintLine(line)) = read(0x06, 0xD1, &[0xFF, b'O', b'K']) else {
            panic!("a print line");
        };
        assert!(line.is_last());
        assert_eq!(line.text, b"OK");
        let Ok(TerminalMessage::Completion(done)) = read(
            0x06,
            0x0F,
            &[0x19, 0x00, 0x29, 0x52, 0x00, 0x00, 0x17, 0x49, 0x07, 0x52],
        ) else {
            panic!("a completion");
        };
        assert_eq!(
            (done.status_byte, done.terminal_id.as_deref(), done.currency),
            (Some(0), Some("52000017"), Some(752))
        );
        // Status Enquiry's completion: software version first, untagged.
        let Ok(TerminalMessage::Completion(status)) =
            read(0x06, 0x0F, &[0xF0, 0xF0, 0xF3, b'1', b'.', b'2', 0x00])
        else {
            panic!("a completion");
        };
        assert_eq!(
            (status.software_version.as_deref(), status.status_byte),
            (Some("1.2"), Some(0))
        );
        let mut block = vec![0x06, 0x10, 0x25, 0x0E, 0x1F, 0x07, 0x01, 0x02];
        block.extend([0x07, 0x03, b'A', b'B', b'C', 0x07, 0x00, 0x07, 0x01, 0x94]);
        let Ok(TerminalMessage::PrintTexts(texts)) = read(0x06, 0xD3, &block) else {
            panic!("a text block");
        };
        assert_eq!(texts.kind, Some(ReceiptKind::Customer));
        assert_eq!(texts.lines, [b"ABC".to_vec(), Vec::new(), vec![0x94]]);
        assert!(matches!(
            read(0x06, 0xD3, &[0x27, 0x00]),
            Err(CommandError::Truncated { .. })
        ));
        assert!(matches!(
            read(0x06, 0xD3, &[0x06, 0x02, 0x07, 0x05]),
            Err(CommandError::Tlv(_))
        ));
        assert!(matches!(read(0x06, 0x77, &[1]), Ok(TerminalMessage::Other(_))));
    }
}
