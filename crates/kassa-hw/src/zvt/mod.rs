//! ZVT, the command protocol between an electronic cash register and a card terminal.
//!
//! What is implemented here, and where the facts come from (the protocol specification
//! is not public; these are the points on which independent implementations and the
//! Wireshark dissector `epan/dissectors/packet-zvt.c` agree):
//! - [`apdu`]: an APDU is a class byte, an instruction byte, a length and the data. The
//!   length is one byte up to 254; `0xFF` announces a two-byte little-endian length.
//! - [`frame`]: over a serial line each APDU travels in a block `DLE STX <APDU> DLE ETX
//!   <CRC lo> <CRC hi>`, every `DLE` (0x10) inside the APDU sent twice; the receiver
//!   answers each block with `ACK` (0x06) or `NAK` (0x15). Over TCP (port 20007) the APDUs
//!   go bare, without blocks, CRC or byte acknowledgements.
//! - [`crc`]: the block's CRC-16/KERMIT over the APDU as it is (not doubled) and the `ETX`.
//! - [`bmp`]: the BMPs most APDUs carry, read by a table of length rules; BCD numbers.
//! - [`tlv`]: the BER-TLV objects of the TLV container (BMP 06).
//! - [`commands`]: the commands a till sends and the messages a terminal answers with.
//! - [`texts`]: what result codes and intermediate status bytes mean.
//! - [`charset`]: the terminal's text (CP437, ISO 8859-1/-15).
//! - [`link`]: the serial link: a block sent until acknowledged (T3, two resends), blocks
//!   received acknowledged or refused.
//! - [`tcp`]: the LAN link: bare APDUs reassembled from the stream.
//! - [`session`]: one command's whole exchange over either link, with the transaction
//!   timeout re-armed by every message and the till's abort.

pub mod apdu;
pub mod bmp;
pub mod charset;
pub mod commands;
pub mod crc;
pub mod frame;
pub mod link;
pub mod session;
pub mod tcp;
pub mod texts;
pub mod tlv;

pub use apdu::{Apdu, ApduError};
pub use frame::{FrameDecoder, FrameError, FrameEvent, encode_frame};
pub use link::{LinkError, LinkTimings, SerialLink};
pub use session::{CommandKind, End, Exchange, Phase, Progress, SessionTimings, Transport};
pub use tcp::TcpLink;
