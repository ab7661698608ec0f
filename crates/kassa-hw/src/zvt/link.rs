//! ZVT's serial link: sending a block until it is acknowledged, receiving blocks and
//! acknowledging them, over any byte line with a read timeout (a serial port, a
//! pseudo-terminal).
//!
//! The rules: a block sent is answered by `ACK` within T3 (about 5 s); after a `NAK` or
//! silence it is sent again, at most twice more. A block received with a good CRC is
//! answered `ACK`, a bad one `NAK` (the terminal sends it again). The line's read timeout
//! is the inter-byte timeout: silence that long inside a block drops the block.

use std::io::{self, Read, Write};
use std::time::{Duration, Instant};

use super::apdu::{Apdu, ApduError};
use super::frame::{ACK, FrameDecoder, FrameEvent, NAK, encode_frame};

/// How long the link waits, and how often it sends a block again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LinkTimings {
    /// T3: how long an `ACK` may take.
    pub ack: Duration,
    /// How many times a block is sent again after a `NAK` or a missing `ACK`.
    pub resends: u8,
    /// How many bad blocks in a row are answered `NAK` before receiving gives up.
    pub bad_blocks: u8,
}

impl Default for LinkTimings {
    fn default() -> Self {
        LinkTimings {
            ack: Duration::from_secs(5),
            resends: 2,
            bad_blocks: 3,
        }
    }
}

/// Why the link could not send or receive.
#[derive(Debug, thiserror::Error)]
pub enum LinkError {
    /// No `ACK` after every attempt.
    #[error("the terminal did not acknowledge the block after {attempts} attempts ({nak} answered NAK)")]
    NotAcknowledged {
        /// Blocks sent.
        attempts: u8,
        /// How many of them were answered `NAK`.
        nak: u8,
    },
    /// Nothing arrived in time.
    #[error("the terminal sent nothing within {0:?}")]
    Silent(Duration),
    /// Only bad blocks arrived.
    #[error("the terminal sent {0} bad blocks in a row; the line may be noisy or set up wrongly")]
    BadBlocks(u8),
    /// A good block that is not an APDU.
    #[error("the terminal sent a block that is not an APDU: {0}")]
    Apdu(#[from] ApduError),
    /// The line failed (unplugged, closed).
    #[error("the serial line failed: {0}")]
    Io(#[from] io::Error),
}

/// A ZVT link over `line`, whose reads time out (returning `TimedOut` or `WouldBlock`)
/// after the inter-byte timeout.
pub struct SerialLink<L: Read + Write> {
    line: L,
    decoder: FrameDecoder,
    timings: LinkTimings,
    /// Blocks that arrived while waiting for an `ACK`, acknowledged, for `receive`.
    waiting: Vec<Apdu>,
}

impl<L: Read + Write> SerialLink<L> {
    pub fn new(line: L, timings: LinkTimings) -> SerialLink<L> {
        SerialLink {
            line,
            decoder: FrameDecoder::new(),
            timings,
            waiting: Vec::new(),
        }
    }

    /// The line, for its owner to reconfigure.
    pub fn line_mut(&mut self) -> &mut L {
        &mut self.line
    }

    /// Gives the line back.
    pub fn into_line(self) -> L {
        self.line
    }

    /// Sends `apdu` until the terminal acknowledges it.
    pub fn send(&mut self, apdu: &Apdu) -> Result<(), LinkError> {
        let frame = encode_frame(&apdu.encode()?);
        let attempts = 1 + self.timings.resends;
        let mut nak = 0;
        for _ in 0..attempts {
            self.line.write_all(&frame)?;
            self.line.flush()?;
            let deadline = Instant::now() + self.timings.ack;
            match self.until(deadline, |event| {
                matches!(event, FrameEvent::Ack | FrameEvent::Nak)
            })? {
                Some(FrameEvent::Ack) => return Ok(()),
                Some(_) => nak += 1,
                None => {}
            }
        }
        Err(LinkError::NotAcknowledged { attempts, nak })
    }

    /// Receives the next APDU within `timeout`, acknowledging it (and asking again for
    /// bad blocks).
    pub fn receive(&mut self, timeout: Duration) -> Result<Apdu, LinkError> {
        if !self.waiting.is_empty() {
            return Ok(self.waiting.remove(0));
        }
        let deadline = Instant::now() + timeout;
        let mut bad = 0;
        loop {
            match self.until(deadline, |event| {
                matches!(event, FrameEvent::Block(_) | FrameEvent::Bad(_))
            })? {
                Some(FrameEvent::Block(bytes)) => {
                    // `until` acknowledged it already.
                    return Ok(Apdu::decode(&bytes)?);
                }
                Some(FrameEvent::Bad(_)) => {
                    bad += 1;
                    if bad >= self.timings.bad_blocks {
                        return Err(LinkError::BadBlocks(bad));
                    }
                }
                Some(_) => {}
                None => return Err(LinkError::Silent(timeout)),
            }
        }
    }

    /// Reads until an event `wanted` takes, or the deadline. Blocks are acknowledged (and
    /// bad ones refused) as they arrive; a block that arrives while it is not wanted is
    /// kept for [`SerialLink::receive`].
    fn until(
        &mut self,
        deadline: Instant,
        wanted: impl Fn(&FrameEvent) -> bool,
    ) -> Result<Option<FrameEvent>, LinkError> {
        let mut buffer = [0u8; 256];
        loop {
            if Instant::now() >= deadline {
                return Ok(None);
            }
            let read = match self.line.read(&mut buffer) {
                Ok(0) => {
                    return Err(LinkError::Io(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        "the line was closed",
                    )));
                }
                Ok(n) => n,
                Err(e) if matches!(e.kind(), io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock) => {
                    // Silence as long as the inter-byte timeout drops a partial block.
                    if let Some(event) = self.decoder.reset() {
                        self.answer(&event)?;
                        if wanted(&event) {
                            return Ok(Some(event));
                        }
                    }
                    continue;
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e.into()),
            };
            // Byte by byte, so that nothing after the wanted event is taken from the line.
            for (i, &byte) in buffer[..read].iter().enumerate() {
                let Some(event) = self.decoder.push(byte) else {
                    continue;
                };
                self.answer(&event)?;
                if wanted(&event) {
                    // Feed the rest to the decoder: blocks among it are kept, answered.
                    let rest: Vec<u8> = buffer[i + 1..read].to_vec();
                    for later in self.decoder.feed(&rest) {
                        self.answer(&later)?;
                        if let FrameEvent::Block(bytes) = later {
                            self.waiting.push(Apdu::decode(&bytes)?);
                        }
                    }
                    return Ok(Some(event));
                }
                if let FrameEvent::Block(bytes) = event {
                    self.waiting.push(Apdu::decode(&bytes)?);
                }
            }
        }
    }

    /// Acknowledges a block, or asks for a bad one again.
    fn answer(&mut self, event: &FrameEvent) -> Result<(), LinkError> {
        let byte = match event {
            FrameEvent::Block(_) => ACK,
            FrameEvent::Bad(_) => NAK,
            _ => return Ok(()),
        };
        self.line.write_all(&[byte])?;
        self.line.flush()?;
        Ok(())
    }
}
