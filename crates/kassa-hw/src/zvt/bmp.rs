//! The data of most ZVT APDUs: a sequence of BMPs, each a one-byte tag and a value whose
//! length follows from the tag: fixed, `LLVAR` (two bytes `Fx Fy`, length `xy`), `LLLVAR`
//! (three bytes) or, for the TLV container (tag 06), a BER length.
//!
//! The table holds the length rule of every BMP a till meets (the Wireshark dissector's
//! table, `packet-zvt.c`, and the track data every implementation agrees on). A BMP whose
//! length rule is known is taken or skipped by it; one whose rule is not known cannot be
//! skipped, so parsing stops there and says where, keeping what came before.

/// How a BMP's value length is given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LengthRule {
    /// Always this many bytes.
    Fixed(usize),
    /// Two length bytes (their low nibbles: tens, ones).
    Ll,
    /// Three length bytes (hundreds, tens, ones).
    Lll,
    /// A BER length: one byte below 0x80, else 0x81 + one byte or 0x82 + two bytes.
    Ber,
}

/// BMP tags Kassa reads by name.
pub mod tag {
    /// Amount in minor units, 6 bytes BCD.
    pub const AMOUNT: u8 = 0x04;
    /// The TLV container.
    pub const TLV: u8 = 0x06;
    /// Trace number, 3 bytes BCD.
    pub const TRACE: u8 = 0x0B;
    /// Time HHMMSS, 3 bytes BCD.
    pub const TIME: u8 = 0x0C;
    /// Date MMDD, 2 bytes BCD.
    pub const DATE: u8 = 0x0D;
    /// The card number (masked), LLVAR BCD.
    pub const PAN: u8 = 0x22;
    /// Result code, 1 byte.
    pub const RESULT_CODE: u8 = 0x27;
    /// Terminal id, 4 bytes BCD.
    pub const TERMINAL_ID: u8 = 0x29;
    /// Currency code (ISO 4217 numeric), 2 bytes BCD.
    pub const CURRENCY: u8 = 0x49;
    /// Receipt number, 2 bytes BCD.
    pub const RECEIPT: u8 = 0x87;
    /// Card type, 1 byte.
    pub const CARD_TYPE: u8 = 0x8A;
    /// Card name, LLVAR ASCII.
    pub const CARD_NAME: u8 = 0x8B;
}

/// The length rule of `bmp`, when it is known.
pub fn length_rule(bmp: u8) -> Option<LengthRule> {
    use LengthRule::*;
    Some(match bmp {
        0x01 | 0x02 | 0x03 | 0x05 | 0x19 | 0x27 | 0x8A => Fixed(1),
        0x0D | 0x0E | 0x17 | 0x3A | 0x49 | 0x87 => Fixed(2),
        0x0B | 0x0C => Fixed(3),
        0x29 => Fixed(4),
        0x04 => Fixed(6),
        0x3B => Fixed(8),
        0x2A => Fixed(15),
        0x22 | 0x23 | 0x2D | 0x8B => Ll,
        0x24 | 0x3C => Lll,
        0x06 => Ber,
        _ => return None,
    })
}

/// One BMP and its value (without the length bytes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Field {
    pub bmp: u8,
    pub value: Vec<u8>,
}

/// Where parsing stopped at a BMP whose length is not known.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UnknownBmp {
    /// The tag.
    pub bmp: u8,
    /// Its offset in the data.
    pub offset: usize,
}

/// The BMPs of some data, as far as they could be read.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Bmps {
    pub fields: Vec<Field>,
    /// Set when parsing stopped at a BMP whose length rule is not known.
    pub stopped_at: Option<UnknownBmp>,
}

impl Bmps {
    /// The first value of `bmp`.
    pub fn get(&self, bmp: u8) -> Option<&[u8]> {
        self.fields
            .iter()
            .find(|f| f.bmp == bmp)
            .map(|f| f.value.as_slice())
    }
}

/// Why BMP data cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BmpError {
    /// A value (or its length bytes) runs past the end of the data.
    #[error("BMP {bmp:02X} at offset {offset} needs {needed} more bytes, but only {available} are left")]
    PastEnd {
        bmp: u8,
        offset: usize,
        needed: usize,
        available: usize,
    },
    /// Length bytes that are not digits.
    #[error("BMP {bmp:02X} at offset {offset} has a length that is not decimal digits")]
    BadLength { bmp: u8, offset: usize },
    /// A value that should be BCD has a nibble above 9.
    #[error("BMP {bmp:02X} is not BCD digits: {value:02X?}")]
    NotBcd { bmp: u8, value: Vec<u8> },
    /// A number too large for its BCD field.
    #[error("{value} does not fit in {digits} BCD digits")]
    TooLarge { value: u64, digits: usize },
}

/// Reads the BMPs in `data`.
pub fn parse(data: &[u8]) -> Result<Bmps, BmpError> {
    let mut bmps = Bmps::default();
    let mut at = 0;
    while at < data.len() {
        let bmp = data[at];
        let Some(rule) = length_rule(bmp) else {
            bmps.stopped_at = Some(UnknownBmp { bmp, offset: at });
            break;
        };
        let rest = &data[at + 1..];
        let past_end = |needed: usize, available: usize| BmpError::PastEnd {
            bmp,
            offset: at,
            needed,
            available,
        };
        let (header, len) = match rule {
            LengthRule::Fixed(n) => (0, n),
            LengthRule::Ll | LengthRule::Lll => {
                let digits = if rule == LengthRule::Ll { 2 } else { 3 };
                let bytes = rest.get(..digits).ok_or(past_end(digits, rest.len()))?;
                // Each length byte is `Fx`: its high nibble is F, its low nibble a digit.
                if bytes.iter().any(|b| b & 0xF0 != 0xF0 || b & 0x0F > 9) {
                    return Err(BmpError::BadLength { bmp, offset: at });
                }
                (
                    digits,
                    bytes.iter().fold(0usize, |n, b| n * 10 + usize::from(b & 0x0F)),
                )
            }
            LengthRule::Ber => match rest {
                [n, ..] if *n < 0x80 => (1, usize::from(*n)),
                [0x81, n, ..] => (2, usize::from(*n)),
                [0x82, hi, lo, ..] => (3, usize::from(u16::from_be_bytes([*hi, *lo]))),
                [0x81] | [0x82] | [0x82, _] | [] => return Err(past_end(3, rest.len())),
                _ => return Err(BmpError::BadLength { bmp, offset: at }),
            },
        };
        let value = rest
            .get(header..header + len)
            .ok_or(past_end(header + len, rest.len()))?;
        bmps.fields.push(Field {
            bmp,
            value: value.to_vec(),
        });
        at += 1 + header + len;
    }
    Ok(bmps)
}

/// `value` as `bytes` bytes of BCD (two digits a byte, most significant first).
pub fn to_bcd(value: u64, bytes: usize) -> Result<Vec<u8>, BmpError> {
    let digits = bytes * 2;
    let text = value.to_string();
    if text.len() > digits {
        return Err(BmpError::TooLarge { value, digits });
    }
    let padded = format!("{text:0>digits$}");
    Ok(padded
        .as_bytes()
        .chunks(2)
        .map(|pair| ((pair[0] - b'0') << 4) | (pair[1] - b'0'))
        .collect())
}

/// The number in BCD `value` of `bmp`.
pub fn from_bcd(bmp: u8, value: &[u8]) -> Result<u64, BmpError> {
    let not_bcd = || BmpError::NotBcd {
        bmp,
        value: value.to_vec(),
    };
    if value.len() > 9 {
        return Err(not_bcd());
    }
    value.iter().try_fold(0u64, |n, b| {
        let (hi, lo) = (u64::from(b >> 4), u64::from(b & 0x0F));
        if hi > 9 || lo > 9 {
            return Err(not_bcd());
        }
        Ok(n * 100 + hi * 10 + lo)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_authorization_golden_frame_reads_as_amount_and_currency() {
        let data = [0x04, 0x00, 0x00, 0x00, 0x01, 0x10, 0x00, 0x49, 0x09, 0x78];
        let bmps = parse(&data).unwrap();
        assert_eq!(bmps.stopped_at, None);
        assert_eq!(from_bcd(tag::AMOUNT, bmps.get(tag::AMOUNT).unwrap()), Ok(11000));
        assert_eq!(from_bcd(tag::CURRENCY, bmps.get(tag::CURRENCY).unwrap()), Ok(978));
        assert_eq!(to_bcd(11000, 6).unwrap(), data[1..7]);
        assert_eq!(to_bcd(978, 2).unwrap(), [0x09, 0x78]);
        assert!(matches!(
            to_bcd(1_000_000_000_000, 6),
            Err(BmpError::TooLarge { .. })
        ));
    }

    #[test]
    fn variable_lengths_and_the_tlv_container() {
        // PAN (LLVAR 3 bytes), card name (LLVAR "VISA"), additional data (LLLVAR), a TLV
        // container with a one-byte and a 0x81 length, then the result code.
        let mut data = vec![0x22, 0xF0, 0xF3, 0x47, 0x11, 0x1E];
        data.extend([0x8B, 0xF0, 0xF4, b'V', b'I', b'S', b'A']);
        data.extend([0x3C, 0xF0, 0xF0, 0xF2, b'o', b'k']);
        data.extend([0x06, 0x02, 0x12, 0x00]);
        data.extend([0x06, 0x81, 0x01, 0xAA]);
        data.extend([0x27, 0x00]);
        let bmps = parse(&data).unwrap();
        let tags: Vec<u8> = bmps.fields.iter().map(|f| f.bmp).collect();
        assert_eq!(tags, [0x22, 0x8B, 0x3C, 0x06, 0x06, 0x27]);
        assert_eq!(bmps.get(tag::CARD_NAME), Some(&b"VISA"[..]));
        assert_eq!(bmps.get(tag::RESULT_CODE), Some(&[0x00][..]));
        assert_eq!(bmps.fields[4].value, [0xAA]);
    }

    #[test]
    fn an_unknown_bmp_stops_parsing_where_it_is_and_keeps_what_came_before() {
        let bmps = parse(&[0x27, 0x00, 0x9F, 0x01, 0x02]).unwrap();
        assert_eq!(bmps.fields.len(), 1);
        assert_eq!(bmps.stopped_at, Some(UnknownBmp { bmp: 0x9F, offset: 2 }));
    }

    #[test]
    fn lengths_past_the_end_and_bad_digits_are_errors() {
        assert_eq!(
            parse(&[0x04, 0x00, 0x01]),
            Err(BmpError::PastEnd {
                bmp: 0x04,
                offset: 0,
                needed: 6,
                available: 2
            })
        );
        assert!(matches!(
            parse(&[0x22, 0xF9, 0xF9, 0x01]),
            Err(BmpError::PastEnd { .. })
        ));
        assert_eq!(
            parse(&[0x22, 0x00, 0x01]),
            Err(BmpError::BadLength { bmp: 0x22, offset: 0 })
        );
        assert!(matches!(
            parse(&[0x06, 0x82, 0x01]),
            Err(BmpError::PastEnd { .. })
        ));
        assert_eq!(
            parse(&[0x06, 0x83, 0x01]),
            Err(BmpError::BadLength { bmp: 0x06, offset: 0 })
        );
        assert!(matches!(from_bcd(0x04, &[0x1A]), Err(BmpError::NotBcd { .. })));
    }
}
