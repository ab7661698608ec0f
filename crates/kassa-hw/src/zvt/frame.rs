//! ZVT's serial blocks: `DLE STX <APDU, each DLE doubled> DLE ETX <CRC lo> <CRC hi>`, each
//! answered by a single `ACK` or `NAK` byte.
//!
//! [`encode_frame`] builds a block; [`FrameDecoder`] takes the bytes of a serial line as
//! they come (any split) and reports acknowledgements and blocks. Bytes outside a block
//! that are neither `ACK`, `NAK` nor the start of a block (a terminal's banner on power-up,
//! line noise) are skipped and counted, not an error. Timing (the inter-byte timeout, T3)
//! belongs to the transport: on a timeout it calls [`FrameDecoder::reset`].

use super::crc::crc16_kermit;

/// Data link escape: starts and ends a block, and is doubled inside one.
pub const DLE: u8 = 0x10;
/// Start of text, after `DLE`.
pub const STX: u8 = 0x02;
/// End of text, after `DLE`.
pub const ETX: u8 = 0x03;
/// The receiver took the block.
pub const ACK: u8 = 0x06;
/// The receiver wants the block again.
pub const NAK: u8 = 0x15;

/// The longest APDU a block can carry: an extended length of 0xFFFF plus its header.
pub const MAX_APDU: usize = 5 + u16::MAX as usize;

/// The block carrying `apdu` (its bytes as [`super::Apdu::encode`] makes them).
pub fn encode_frame(apdu: &[u8]) -> Vec<u8> {
    let doubled = apdu.iter().filter(|&&b| b == DLE).count();
    let mut out = Vec::with_capacity(apdu.len() + doubled + 6);
    out.extend_from_slice(&[DLE, STX]);
    for &byte in apdu {
        out.push(byte);
        if byte == DLE {
            out.push(DLE);
        }
    }
    out.extend_from_slice(&[DLE, ETX]);
    let mut covered = apdu.to_vec();
    covered.push(ETX);
    out.extend_from_slice(&crc16_kermit(&covered).to_le_bytes());
    out
}

/// What the line said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FrameEvent {
    /// `ACK`: the other side took our block.
    Ack,
    /// `NAK`: the other side wants our block again.
    Nak,
    /// A whole block with a good CRC: its APDU's bytes, DLEs undoubled. Answer it with
    /// `ACK`.
    Block(Vec<u8>),
    /// A block that cannot be taken. Answer it with `NAK`, so it is sent again.
    Bad(FrameError),
}

/// Why a block was not taken.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FrameError {
    /// The CRC at the end does not match the block.
    #[error("the block's CRC is {got:04X}, but its bytes give {expected:04X}")]
    BadCrc {
        /// The CRC of the block's bytes.
        expected: u16,
        /// The CRC the block ended with.
        got: u16,
    },
    /// A `DLE` inside the block followed by a byte that is neither `DLE` nor `ETX`.
    #[error("a DLE inside the block is followed by {byte:02X}, not DLE or ETX")]
    BadEscape {
        /// The byte after the `DLE`.
        byte: u8,
    },
    /// A new block started (`DLE STX`) before this one ended.
    #[error("a new block started after {received} bytes, before this one ended")]
    Interrupted {
        /// The APDU bytes received before.
        received: usize,
    },
    /// The block went on past the longest APDU there can be.
    #[error("the block is longer than the {MAX_APDU} bytes an APDU can have")]
    TooLong,
    /// The line fell silent inside a block (the transport's inter-byte timeout).
    #[error("the line fell silent after {received} bytes of a block")]
    Truncated {
        /// The APDU bytes received before.
        received: usize,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Between blocks.
    Idle,
    /// A `DLE` between blocks: `STX` starts a block.
    IdleDle,
    /// Inside a block.
    Data,
    /// A `DLE` inside a block.
    DataDle,
    /// After `DLE ETX`: the CRC's low byte comes next.
    CrcLow,
    /// The CRC's high byte comes next.
    CrcHigh(u8),
}

/// Reads a serial line's bytes into [`FrameEvent`]s.
#[derive(Debug, Clone)]
pub struct FrameDecoder {
    state: State,
    apdu: Vec<u8>,
    skipped: u64,
}

impl Default for FrameDecoder {
    fn default() -> Self {
        FrameDecoder::new()
    }
}

impl FrameDecoder {
    /// A decoder between blocks.
    pub fn new() -> FrameDecoder {
        FrameDecoder {
            state: State::Idle,
            apdu: Vec::new(),
            skipped: 0,
        }
    }

    /// How many bytes outside blocks were skipped as noise so far.
    pub fn skipped(&self) -> u64 {
        self.skipped
    }

    /// Whether a block is partly received.
    pub fn in_block(&self) -> bool {
        !matches!(self.state, State::Idle | State::IdleDle)
    }

    /// The line fell silent: forgets a partly received block, which it reports.
    pub fn reset(&mut self) -> Option<FrameEvent> {
        let was_in_block = self.in_block();
        let received = self.apdu.len();
        self.state = State::Idle;
        self.apdu.clear();
        was_in_block.then_some(FrameEvent::Bad(FrameError::Truncated { received }))
    }

    /// Takes `bytes` and returns what they completed, in order.
    pub fn feed(&mut self, bytes: &[u8]) -> Vec<FrameEvent> {
        bytes.iter().filter_map(|&b| self.push(b)).collect()
    }

    /// Takes one byte; returns what it completed, if anything.
    pub fn push(&mut self, byte: u8) -> Option<FrameEvent> {
        match self.state {
            State::Idle => match byte {
                ACK => Some(FrameEvent::Ack),
                NAK => Some(FrameEvent::Nak),
                DLE => {
                    self.state = State::IdleDle;
                    None
                }
                _ => {
                    self.skipped += 1;
                    None
                }
            },
            State::IdleDle => {
                if byte == STX {
                    self.apdu.clear();
                    self.state = State::Data;
                } else {
                    self.skipped += 2;
                    self.state = State::Idle;
                }
                None
            }
            State::Data => {
                if byte == DLE {
                    self.state = State::DataDle;
                    None
                } else {
                    self.take(byte)
                }
            }
            State::DataDle => match byte {
                DLE => {
                    self.state = State::Data;
                    self.take(DLE)
                }
                ETX => {
                    self.state = State::CrcLow;
                    None
                }
                STX => {
                    // The other side gave up on that block and starts again.
                    let received = self.apdu.len();
                    self.apdu.clear();
                    self.state = State::Data;
                    Some(FrameEvent::Bad(FrameError::Interrupted { received }))
                }
                other => self.fail(FrameError::BadEscape { byte: other }),
            },
            State::CrcLow => {
                self.state = State::CrcHigh(byte);
                None
            }
            State::CrcHigh(low) => {
                let got = u16::from_le_bytes([low, byte]);
                self.apdu.push(ETX);
                let expected = crc16_kermit(&self.apdu);
                self.apdu.pop();
                self.state = State::Idle;
                let apdu = std::mem::take(&mut self.apdu);
                if got == expected {
                    Some(FrameEvent::Block(apdu))
                } else {
                    Some(FrameEvent::Bad(FrameError::BadCrc { expected, got }))
                }
            }
        }
    }

    fn take(&mut self, byte: u8) -> Option<FrameEvent> {
        if self.apdu.len() >= MAX_APDU {
            return self.fail(FrameError::TooLong);
        }
        self.apdu.push(byte);
        None
    }

    fn fail(&mut self, error: FrameError) -> Option<FrameEvent> {
        self.state = State::Idle;
        self.apdu.clear();
        Some(FrameEvent::Bad(error))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::zvt::Apdu;

    /// The positive completion, as the golden frame gives it.
    const ACK_FRAME: [u8; 9] = [0x10, 0x02, 0x80, 0x00, 0x00, 0x10, 0x03, 0xF5, 0x1F];
    /// Authorization of 110.00 EUR (BMP 04 amount 000000011000, BMP 49 currency 0978):
    /// the amount's 0x10 is doubled on the line, the length counts it once.
    const AUTHORIZATION_FRAME: [u8; 20] = [
        0x10, 0x02, 0x06, 0x01, 0x0A, 0x04, 0x00, 0x00, 0x00, 0x01, 0x10, 0x10, 0x00, 0x49, 0x09, 0x78, 0x10,
        0x03, 0xF2, 0xFF,
    ];

    fn authorization() -> Apdu {
        Apdu::new(
            0x06,
            0x01,
            vec![0x04, 0x00, 0x00, 0x00, 0x01, 0x10, 0x00, 0x49, 0x09, 0x78],
        )
    }

    #[test]
    fn golden_frames_are_encoded_byte_for_byte() {
        assert_eq!(encode_frame(&Apdu::ack().encode().unwrap()), ACK_FRAME);
        assert_eq!(
            encode_frame(&authorization().encode().unwrap()),
            AUTHORIZATION_FRAME
        );
    }

    #[test]
    fn golden_frames_decode_in_any_split() {
        for split in 0..AUTHORIZATION_FRAME.len() {
            let mut decoder = FrameDecoder::new();
            let mut events = decoder.feed(&AUTHORIZATION_FRAME[..split]);
            events.extend(decoder.feed(&AUTHORIZATION_FRAME[split..]));
            assert_eq!(events.len(), 1, "split at {split}");
            let FrameEvent::Block(bytes) = &events[0] else {
                panic!("split at {split}: {events:?}");
            };
            assert_eq!(Apdu::decode(bytes).unwrap(), authorization());
        }
    }

    #[test]
    fn acknowledgements_and_noise_between_blocks() {
        let mut decoder = FrameDecoder::new();
        let mut line = b"TERMINAL READY\r\n".to_vec();
        line.push(ACK);
        line.extend_from_slice(&ACK_FRAME);
        line.push(NAK);
        let events = decoder.feed(&line);
        assert_eq!(
            events,
            [
                FrameEvent::Ack,
                FrameEvent::Block(vec![0x80, 0x00, 0x00]),
                FrameEvent::Nak
            ]
        );
        assert_eq!(decoder.skipped(), 16);
    }

    #[test]
    fn a_bad_crc_a_bad_escape_an_interruption_and_silence_are_reported() {
        let mut corrupt = ACK_FRAME;
        corrupt[8] ^= 0x01;
        assert_eq!(
            FrameDecoder::new().feed(&corrupt),
            [FrameEvent::Bad(FrameError::BadCrc {
                expected: 0x1FF5,
                got: 0x1EF5
            })]
        );
        // A flipped data byte is caught by the CRC too.
        let mut flipped = AUTHORIZATION_FRAME;
        flipped[6] = 0x01;
        assert!(matches!(
            FrameDecoder::new().feed(&flipped)[..],
            [FrameEvent::Bad(FrameError::BadCrc { .. })]
        ));
        assert_eq!(
            FrameDecoder::new().feed(&[0x10, 0x02, 0x80, 0x10, 0x41]),
            [FrameEvent::Bad(FrameError::BadEscape { byte: 0x41 })]
        );
        // Restarted mid-block: the first part is reported, the new block taken.
        let mut restarted = vec![0x10, 0x02, 0x06, 0x01];
        restarted.extend_from_slice(&ACK_FRAME);
        assert_eq!(
            FrameDecoder::new().feed(&restarted),
            [
                FrameEvent::Bad(FrameError::Interrupted { received: 2 }),
                FrameEvent::Block(vec![0x80, 0x00, 0x00])
            ]
        );
        let mut decoder = FrameDecoder::new();
        assert!(decoder.feed(&AUTHORIZATION_FRAME[..7]).is_empty());
        assert!(decoder.in_block());
        assert_eq!(
            decoder.reset(),
            Some(FrameEvent::Bad(FrameError::Truncated { received: 5 }))
        );
        assert_eq!(decoder.reset(), None);
        assert_eq!(
            decoder.feed(&ACK_FRAME),
            [FrameEvent::Block(vec![0x80, 0x00, 0x00])]
        );
    }

    #[test]
    fn an_endless_block_is_cut_off() {
        let mut decoder = FrameDecoder::new();
        decoder.feed(&[DLE, STX]);
        let events = decoder.feed(&vec![0x41; MAX_APDU + 1]);
        assert_eq!(events, [FrameEvent::Bad(FrameError::TooLong)]);
        assert!(!decoder.in_block());
    }
}
