//! The character sets of the text a terminal sends (print lines, card names): CP437 by
//! default, ISO 8859-1 or ISO 8859-15 on some terminals — set per terminal, since the
//! bytes cannot tell.

use std::fmt;
use std::str::FromStr;

/// A terminal's character set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Charset {
    /// IBM code page 437, ZVT's default.
    #[default]
    Cp437,
    /// ISO 8859-1 (Latin-1).
    Latin1,
    /// ISO 8859-15 (Latin-9, Latin-1 with the euro sign).
    Latin9,
}

/// CP437's upper half, 0x80 to 0xFF.
const CP437_HIGH: &str = "ÇüéâäàåçêëèïîìÄÅÉæÆôöòûùÿÖÜ¢£¥₧ƒáíóúñÑªº¿⌐¬½¼¡«»░▒▓│┤╡╢╖╕╣║╗╝╜╛┐\
└┴┬├─┼╞╟╚╔╩╦╠═╬╧╨╤╥╙╘╒╓╫╪┘┌█▄▌▐▀αßΓπΣσµτΦΘΩδ∞φε∩≡±≥≤⌠⌡÷≈°∙·√ⁿ²■\u{a0}";

impl Charset {
    /// `bytes` as text. Control bytes other than tab become spaces, so a stray byte
    /// cannot reach a receipt or the screen as a control character.
    pub fn decode(self, bytes: &[u8]) -> String {
        bytes
            .iter()
            .map(|&b| match b {
                b'\t' => '\t',
                0x00..=0x1F | 0x7F => ' ',
                0x20..=0x7E => char::from(b),
                _ => self.high(b),
            })
            .collect()
    }

    fn high(self, b: u8) -> char {
        match self {
            Charset::Cp437 => CP437_HIGH.chars().nth(usize::from(b - 0x80)).unwrap_or('?'),
            Charset::Latin1 => char::from(b),
            Charset::Latin9 => match b {
                0xA4 => '€',
                0xA6 => 'Š',
                0xA8 => 'š',
                0xB4 => 'Ž',
                0xB8 => 'ž',
                0xBC => 'Œ',
                0xBD => 'œ',
                0xBE => 'Ÿ',
                _ => char::from(b),
            },
        }
    }

    /// The name in settings.
    pub fn as_str(self) -> &'static str {
        match self {
            Charset::Cp437 => "cp437",
            Charset::Latin1 => "iso-8859-1",
            Charset::Latin9 => "iso-8859-15",
        }
    }
}

impl fmt::Display for Charset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A character set name Kassa does not know.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown character set {0:?}; use cp437, iso-8859-1 or iso-8859-15")]
pub struct UnknownCharset(pub String);

impl FromStr for Charset {
    type Err = UnknownCharset;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "cp437" | "437" => Ok(Charset::Cp437),
            "iso-8859-1" | "latin1" | "latin-1" => Ok(Charset::Latin1),
            "iso-8859-15" | "latin9" | "latin-9" => Ok(Charset::Latin9),
            _ => Err(UnknownCharset(s.to_owned())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nordic_letters_in_each_charset() {
        assert_eq!(CP437_HIGH.chars().count(), 128);
        assert_eq!(
            Charset::Cp437.decode(&[0x86, 0x84, 0x94, 0x8F, 0x8E, 0x99, 0x91, 0x92]),
            "åäöÅÄÖæÆ"
        );
        assert_eq!(Charset::Latin1.decode(&[0xE5, 0xE4, 0xF6, 0xF8, 0xD8]), "åäöøØ");
        assert_eq!(Charset::Latin9.decode(&[0xA4, 0x41]), "€A");
        assert_eq!(Charset::Cp437.decode(&[0x07, b'a', 0x1B]), " a ");
        assert_eq!("ISO-8859-15".parse::<Charset>(), Ok(Charset::Latin9));
        assert!("utf-16".parse::<Charset>().is_err());
    }
}
