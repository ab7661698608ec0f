//! ZVT APDUs: `<class> <instruction> <length> <data>`.
//!
//! The length counts the data bytes. Up to 254 it is one byte; `0xFF` means a two-byte
//! little-endian length follows (long receipts and TLV containers need it). A terminal's
//! answer is an APDU too: positive completion `80 00 00`, negative `84 <code> 00`.

/// The most data one APDU can carry: the extended length is two bytes.
pub const MAX_DATA: usize = u16::MAX as usize;

/// One APDU.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Apdu {
    /// The class byte (`06` commands from the register, `04` status from the terminal,
    /// `80`/`84` completions).
    pub class: u8,
    /// The instruction byte.
    pub instruction: u8,
    /// The data after the length.
    pub data: Vec<u8>,
}

/// Why bytes are not one APDU. Offsets are from the APDU's first byte.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApduError {
    /// Fewer bytes than a class, an instruction and a length.
    #[error("an APDU needs at least 3 bytes (class, instruction, length), got {got}")]
    TooShort {
        /// How many bytes there were.
        got: usize,
    },
    /// The length says more data than there is.
    #[error("the APDU's length says {declared} data bytes, but only {available} follow")]
    LengthPastEnd {
        /// The data length the APDU declares.
        declared: usize,
        /// The bytes there are after the length.
        available: usize,
    },
    /// Bytes after the data the length declares.
    #[error("{extra} bytes follow the {declared} data bytes the APDU's length declares")]
    TrailingBytes {
        /// The data length the APDU declares.
        declared: usize,
        /// How many bytes are left over.
        extra: usize,
    },
    /// More data than an extended length can say.
    #[error("an APDU carries at most {MAX_DATA} data bytes, not {len}")]
    TooLong {
        /// The data's length.
        len: usize,
    },
}

impl Apdu {
    /// An APDU with `data`.
    pub fn new(class: u8, instruction: u8, data: impl Into<Vec<u8>>) -> Apdu {
        Apdu {
            class,
            instruction,
            data: data.into(),
        }
    }

    /// The positive completion `80 00 00`, which also acknowledges a terminal's message.
    pub fn ack() -> Apdu {
        Apdu::new(0x80, 0x00, [])
    }

    /// Whether this is a positive completion (`80 00`).
    pub fn is_positive_completion(&self) -> bool {
        self.class == 0x80 && self.instruction == 0x00
    }

    /// The code of a negative completion (`84 <code>`), if this is one.
    pub fn negative_completion(&self) -> Option<u8> {
        (self.class == 0x84).then_some(self.instruction)
    }

    /// The APDU's bytes, the length in its short or extended form as the data needs.
    pub fn encode(&self) -> Result<Vec<u8>, ApduError> {
        let len = self.data.len();
        if len > MAX_DATA {
            return Err(ApduError::TooLong { len });
        }
        let mut out = Vec::with_capacity(len + 5);
        out.push(self.class);
        out.push(self.instruction);
        if len < 0xFF {
            out.push(len as u8);
        } else {
            out.push(0xFF);
            out.extend_from_slice(&(len as u16).to_le_bytes());
        }
        out.extend_from_slice(&self.data);
        Ok(out)
    }

    /// The APDU in `bytes`, which must be exactly one and whole (a serial block's
    /// content): a missing piece is an error.
    pub fn decode(bytes: &[u8]) -> Result<Apdu, ApduError> {
        let (declared, header) = length_of(bytes).ok_or(ApduError::TooShort { got: bytes.len() })?;
        let available = bytes.len() - header;
        if available < declared {
            return Err(ApduError::LengthPastEnd { declared, available });
        }
        if available > declared {
            return Err(ApduError::TrailingBytes {
                declared,
                extra: available - declared,
            });
        }
        Ok(Apdu::new(bytes[0], bytes[1], &bytes[header..]))
    }

    /// The APDU at the start of `bytes` and how many bytes it took, or `None` while more
    /// bytes are needed to tell (a TCP stream delivers APDUs in pieces).
    pub fn decode_prefix(bytes: &[u8]) -> Option<(Apdu, usize)> {
        let (declared, header) = length_of(bytes)?;
        let end = header + declared;
        (bytes.len() >= end).then(|| (Apdu::new(bytes[0], bytes[1], &bytes[header..end]), end))
    }
}

/// The data length an APDU declares and how many bytes its header takes, once its header
/// is all there.
fn length_of(bytes: &[u8]) -> Option<(usize, usize)> {
    match bytes {
        [_, _, 0xFF, lo, hi, ..] => Some((usize::from(u16::from_le_bytes([*lo, *hi])), 5)),
        [_, _, 0xFF, ..] => None,
        [_, _, len, ..] => Some((usize::from(*len), 3)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_and_extended_lengths() {
        let short = Apdu::new(0x06, 0x01, vec![0x04, 0, 0, 0, 0, 0x10, 0x00]);
        assert_eq!(
            short.encode().unwrap(),
            [0x06, 0x01, 0x07, 0x04, 0, 0, 0, 0, 0x10, 0x00]
        );
        // 254 bytes still fit the short form; 255 need the extended one.
        assert_eq!(Apdu::new(0x06, 0xD1, vec![0; 254]).encode().unwrap()[2], 254);
        let long = Apdu::new(0x06, 0xD1, vec![0xAB; 1648]).encode().unwrap();
        assert_eq!(&long[..5], &[0x06, 0xD1, 0xFF, 0x70, 0x06]);
        assert_eq!(Apdu::decode(&long).unwrap().data.len(), 1648);
        assert_eq!(
            Apdu::new(0x06, 0xD1, vec![0; MAX_DATA + 1]).encode(),
            Err(ApduError::TooLong { len: MAX_DATA + 1 })
        );
    }

    #[test]
    fn completions() {
        assert!(
            Apdu::decode(&[0x80, 0x00, 0x00])
                .unwrap()
                .is_positive_completion()
        );
        assert_eq!(
            Apdu::decode(&[0x84, 0x6C, 0x00]).unwrap().negative_completion(),
            Some(0x6C)
        );
        assert_eq!(Apdu::ack().encode().unwrap(), [0x80, 0x00, 0x00]);
    }

    #[test]
    fn pieces_wait_and_wrong_lengths_are_refused() {
        // A stream: nothing yet, then one APDU and the start of the next.
        assert_eq!(Apdu::decode_prefix(&[0x04, 0xFF]), None);
        assert_eq!(Apdu::decode_prefix(&[0x04, 0xFF, 0x02, 0x01]), None);
        let (apdu, used) = Apdu::decode_prefix(&[0x04, 0xFF, 0x01, 0x0A, 0x80]).unwrap();
        assert_eq!((apdu.data, used), (vec![0x0A], 4));
        // A block: everything is there, so a short one is wrong.
        assert_eq!(
            Apdu::decode(&[0x04, 0x0F, 0x05, 0x27, 0x00]),
            Err(ApduError::LengthPastEnd {
                declared: 5,
                available: 2
            })
        );
        assert_eq!(Apdu::decode(&[0x80, 0x00]), Err(ApduError::TooShort { got: 2 }));
        assert_eq!(
            Apdu::decode(&[0x06, 0x01, 0xFF, 0x01]),
            Err(ApduError::TooShort { got: 4 })
        );
        assert_eq!(
            Apdu::decode(&[0x80, 0x00, 0x00, 0x99]),
            Err(ApduError::TrailingBytes {
                declared: 0,
                extra: 1
            })
        );
    }
}
