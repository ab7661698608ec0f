//! The APDUs a till sends and the terminal's answers it reads, built on [`super::bmp`].
//! So far: Authorization (06 01), and the terminal's Status Information (04 0F) and
//! Intermediate Status (04 FF).

use super::apdu::Apdu;
use super::bmp::{self, BmpError, UnknownBmp, tag};

/// Why a terminal's APDU is not what was expected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CommandError {
    /// Another APDU than the one being read.
    #[error("expected APDU {expected:04X}, got {got:04X}")]
    Unexpected { expected: u16, got: u16 },
    /// Its BMPs cannot be read.
    #[error(transparent)]
    Bmp(#[from] BmpError),
}

fn control(apdu: &Apdu) -> u16 {
    u16::from_be_bytes([apdu.class, apdu.instruction])
}

/// Authorization (06 01) of `amount_minor` in the currency with ISO 4217 numeric code
/// `currency` (978 for EUR, 752 for SEK): BMP 04 as 6 bytes BCD, BMP 49 as 2.
pub fn authorization(amount_minor: u64, currency: u16) -> Result<Apdu, BmpError> {
    let mut data = vec![tag::AMOUNT];
    data.extend(bmp::to_bcd(amount_minor, 6)?);
    data.push(tag::CURRENCY);
    data.extend(bmp::to_bcd(u64::from(currency), 2)?);
    Ok(Apdu::new(0x06, 0x01, data))
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
}
