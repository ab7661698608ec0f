//! ZVT over TCP (the LAN variant, port 20007 by default): bare APDUs, without blocks,
//! CRC or byte acknowledgements, over a stream that cuts them wherever it likes.
//!
//! What terminals do on a LAN that the link copes with: an APDU arrives in pieces (a long
//! receipt as 1,024 bytes and the rest), so bytes are gathered until a whole APDU is
//! there; some send a text banner when a connection opens, so bytes that cannot start a
//! terminal's APDU are skipped and counted; some drop a link that stays idle, so TCP
//! keep-alive is on.

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::time::{Duration, Instant};

use super::apdu::Apdu;
use super::link::LinkError;
use super::session::Transport;

/// The port ZVT terminals listen on by default.
pub const DEFAULT_PORT: u16 = 20007;

/// The class bytes a terminal's APDU starts with: completions (80, 84), status (04),
/// commands to the till (06) and the rarer 05 and 08.
fn starts_an_apdu(byte: u8) -> bool {
    matches!(byte, 0x04 | 0x05 | 0x06 | 0x08 | 0x80 | 0x84)
}

/// An open TCP link to a terminal.
pub struct TcpLink {
    stream: TcpStream,
    peer: SocketAddr,
    buffer: Vec<u8>,
    skipped: u64,
}

impl TcpLink {
    /// Connects to `address` (`host:port`) within `timeout`, with keep-alive on.
    pub fn connect(address: &str, timeout: Duration) -> io::Result<TcpLink> {
        let mut last = None;
        for peer in address.to_socket_addrs()? {
            match TcpStream::connect_timeout(&peer, timeout) {
                Ok(stream) => return TcpLink::from_stream(stream),
                Err(error) => last = Some(error),
            }
        }
        Err(last.unwrap_or_else(|| {
            io::Error::new(io::ErrorKind::NotFound, format!("{address} names no address"))
        }))
    }

    /// A link over a connected stream.
    pub fn from_stream(stream: TcpStream) -> io::Result<TcpLink> {
        stream.set_nodelay(true)?;
        let keepalive = socket2::TcpKeepalive::new()
            .with_time(Duration::from_secs(5))
            .with_interval(Duration::from_secs(2));
        socket2::SockRef::from(&stream).set_tcp_keepalive(&keepalive)?;
        Ok(TcpLink {
            peer: stream.peer_addr()?,
            stream,
            buffer: Vec::new(),
            skipped: 0,
        })
    }

    /// The terminal's address.
    pub fn peer(&self) -> SocketAddr {
        self.peer
    }

    /// How many bytes were skipped because no APDU could start with them.
    pub fn skipped(&self) -> u64 {
        self.skipped
    }

    fn take_apdu(&mut self) -> Option<Apdu> {
        let junk = self.buffer.iter().take_while(|&&b| !starts_an_apdu(b)).count();
        if junk > 0 {
            self.skipped += junk as u64;
            self.buffer.drain(..junk);
        }
        let (apdu, used) = Apdu::decode_prefix(&self.buffer)?;
        self.buffer.drain(..used);
        Some(apdu)
    }
}

impl Transport for TcpLink {
    fn send(&mut self, apdu: &Apdu) -> Result<(), LinkError> {
        self.stream.write_all(&apdu.encode()?)?;
        self.stream.flush()?;
        Ok(())
    }

    fn receive(&mut self, timeout: Duration) -> Result<Apdu, LinkError> {
        let deadline = Instant::now() + timeout;
        let mut chunk = [0u8; 2048];
        loop {
            if let Some(apdu) = self.take_apdu() {
                return Ok(apdu);
            }
            let now = Instant::now();
            if now >= deadline {
                return Err(LinkError::Silent(timeout));
            }
            // A zero timeout means "block forever" to the socket: at least a millisecond.
            self.stream
                .set_read_timeout(Some((deadline - now).max(Duration::from_millis(1))))?;
            match self.stream.read(&mut chunk) {
                Ok(0) => {
                    return Err(LinkError::Io(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        "the terminal closed the connection",
                    )));
                }
                Ok(n) => self.buffer.extend_from_slice(&chunk[..n]),
                Err(e) if matches!(e.kind(), io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut) => {}
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e.into()),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpListener;

    #[test]
    fn apdus_split_and_behind_a_banner_come_whole() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let address = listener.local_addr().unwrap().to_string();
        let terminal = std::thread::spawn(move || {
            let (mut stream, _) = listener.accept().unwrap();
            stream.write_all(b"TERMINAL v1.0\r\n").unwrap();
            let mut long = vec![0x06, 0xD1, 0xFF, 0x40, 0x06, 0x00];
            long.extend(std::iter::repeat_n(b'x', 0x0640 - 1));
            stream.write_all(&long[..1024]).unwrap();
            stream.flush().unwrap();
            // The rest only after the till has read the first piece and acknowledged.
            let mut ack = [0u8; 3];
            stream.read_exact(&mut ack).unwrap();
            stream.write_all(&long[1024..]).unwrap();
            stream.write_all(&[0x80, 0x00, 0x00]).unwrap();
            ack
        });
        let mut link = TcpLink::connect(&address, Duration::from_secs(2)).unwrap();
        assert!(matches!(
            link.receive(Duration::from_millis(200)),
            Err(LinkError::Silent(_))
        ));
        link.send(&Apdu::ack()).unwrap();
        let line = link.receive(Duration::from_secs(2)).unwrap();
        assert_eq!(
            (line.class, line.instruction, line.data.len()),
            (0x06, 0xD1, 0x0640)
        );
        assert!(
            link.receive(Duration::from_secs(2))
                .unwrap()
                .is_positive_completion()
        );
        assert_eq!(link.skipped(), b"TERMINAL v1.0\r\n".len() as u64);
        assert_eq!(terminal.join().unwrap(), [0x80, 0x00, 0x00]);
    }
}
