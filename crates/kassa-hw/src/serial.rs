//! Serial ports for the attached devices: opening one with its line settings, finding the
//! ones there are, and telling a vanished port from a slow device.
//!
//! Opening goes through the `serialport` crate with exclusive access (a second program on
//! the same port would steal bytes mid-transaction). The modem lines (DTR, RTS) are
//! raised where the port has them; a pseudo-terminal has none ("Not a typewriter"), and a
//! failure there is reported, never fatal.

use std::io;
use std::path::Path;
use std::time::Duration;

pub use serialport::{DataBits, FlowControl, Parity, StopBits, TTYPort};

/// How a port's line is set up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LineSettings {
    pub baud_rate: u32,
    pub data_bits: DataBits,
    pub parity: Parity,
    pub stop_bits: StopBits,
    pub flow_control: FlowControl,
}

impl Default for LineSettings {
    /// 9600 8N2, no flow control: what most ZVT terminals ship with.
    fn default() -> Self {
        LineSettings {
            baud_rate: 9600,
            data_bits: DataBits::Eight,
            parity: Parity::None,
            stop_bits: StopBits::Two,
            flow_control: FlowControl::None,
        }
    }
}

impl LineSettings {
    /// How long `bytes` bytes take on this line: a start bit, the data bits, the parity
    /// bit and the stop bits per byte.
    pub fn wire_time(&self, bytes: usize) -> Duration {
        let data = match self.data_bits {
            DataBits::Five => 5,
            DataBits::Six => 6,
            DataBits::Seven => 7,
            DataBits::Eight => 8,
        };
        let parity = u64::from(self.parity != Parity::None);
        let stop = match self.stop_bits {
            StopBits::One => 1,
            StopBits::Two => 2,
        };
        let bits = (1 + data + parity + stop) * bytes as u64;
        Duration::from_nanos(bits * 1_000_000_000 / u64::from(self.baud_rate.max(1)))
    }
}

/// Why a port could not be opened, in words for the settings screen.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error("serial port {port} does not exist; check the cable and pick the port from the list")]
    NotFound { port: String },
    #[error("serial port {port} is in use by another program (or another Kassa); close it and try again")]
    Busy { port: String },
    #[error(
        "Kassa may not open serial port {port}; add the user to the port's group (often `dialout`) and log in again"
    )]
    PermissionDenied { port: String },
    #[error("serial port {port} cannot be set to these line settings: {detail}")]
    Settings { port: String, detail: String },
    #[error("serial port {port} could not be opened: {detail}")]
    Other { port: String, detail: String },
}

/// An opened port, and what could not be set on it without stopping the open.
pub struct OpenedPort {
    pub port: TTYPort,
    /// Modem-line calls that failed (on a pseudo-terminal, always).
    pub warnings: Vec<String>,
}

/// Opens `path` with `settings`, exclusively; reads time out after `inter_byte`, the
/// longest silence allowed inside a message.
pub fn open(path: &str, settings: &LineSettings, inter_byte: Duration) -> Result<OpenedPort, OpenError> {
    let port_name = path.to_owned();
    if !Path::new(path).exists() {
        return Err(OpenError::NotFound { port: port_name });
    }
    let mut port = serialport::new(path, settings.baud_rate)
        .data_bits(settings.data_bits)
        .parity(settings.parity)
        .stop_bits(settings.stop_bits)
        .flow_control(settings.flow_control)
        .timeout(inter_byte)
        .open_native()
        .map_err(|error| open_error(port_name.clone(), error))?;
    let mut warnings = Vec::new();
    use serialport::SerialPort;
    if let Err(error) = port.set_exclusive(true) {
        warnings.push(format!("exclusive access could not be set: {error}"));
    }
    if settings.flow_control != FlowControl::Hardware {
        for (line, result) in [
            ("DTR", port.write_data_terminal_ready(true)),
            ("RTS", port.write_request_to_send(true)),
        ] {
            if let Err(error) = result {
                warnings.push(format!("{line} could not be raised: {error}"));
            }
        }
    }
    Ok(OpenedPort { port, warnings })
}

fn open_error(port: String, error: serialport::Error) -> OpenError {
    use serialport::ErrorKind;
    let detail = error.description.clone();
    match error.kind {
        ErrorKind::NoDevice => OpenError::NotFound { port },
        ErrorKind::InvalidInput => OpenError::Settings { port, detail },
        ErrorKind::Io(io::ErrorKind::NotFound) => OpenError::NotFound { port },
        ErrorKind::Io(io::ErrorKind::PermissionDenied) => OpenError::PermissionDenied { port },
        ErrorKind::Io(io::ErrorKind::ResourceBusy) => OpenError::Busy { port },
        _ if detail.contains("busy") || detail.contains("EBUSY") => OpenError::Busy { port },
        _ => OpenError::Other { port, detail },
    }
}

/// Whether an I/O error means the port itself is gone (unplugged, or the device node
/// removed), rather than a slow or silent device.
pub fn is_vanished(error: &io::Error) -> bool {
    // EIO and ENXIO are what a USB adapter pulled out (and a closed pseudo-terminal)
    // give on the next read or write; a broken pipe and EOF on a pty the same.
    matches!(
        error.kind(),
        io::ErrorKind::BrokenPipe | io::ErrorKind::UnexpectedEof | io::ErrorKind::NotConnected
    ) || matches!(error.raw_os_error(), Some(5 | 6 | 19))
}

/// A serial port there is, for the settings screen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortInfo {
    /// The path to open (`/dev/ttyUSB0`, or a stable `/dev/serial/by-id/…` link).
    pub path: String,
    /// What it is: "USB 0403:6001 FTDI FT232R", "PCI", "Bluetooth", or empty.
    pub description: String,
    pub usb_vendor: Option<u16>,
    pub usb_product: Option<u16>,
}

/// The serial ports of this machine: the kernel's list and the stable
/// `/dev/serial/by-id` names of USB adapters (which survive replugging into another
/// socket, unlike `/dev/ttyUSB0`).
pub fn available_ports() -> Vec<PortInfo> {
    let mut ports: Vec<PortInfo> = serialport::available_ports()
        .unwrap_or_default()
        .into_iter()
        .map(|info| {
            let (description, usb_vendor, usb_product) = match &info.port_type {
                serialport::SerialPortType::UsbPort(usb) => {
                    let words: Vec<&str> = [usb.manufacturer.as_deref(), usb.product.as_deref()]
                        .into_iter()
                        .flatten()
                        .collect();
                    (
                        format!("USB {:04x}:{:04x} {}", usb.vid, usb.pid, words.join(" "))
                            .trim()
                            .to_owned(),
                        Some(usb.vid),
                        Some(usb.pid),
                    )
                }
                serialport::SerialPortType::PciPort => ("PCI".to_owned(), None, None),
                serialport::SerialPortType::BluetoothPort => ("Bluetooth".to_owned(), None, None),
                serialport::SerialPortType::Unknown => (String::new(), None, None),
            };
            PortInfo {
                path: info.port_name,
                description,
                usb_vendor,
                usb_product,
            }
        })
        .collect();
    if let Ok(entries) = std::fs::read_dir("/dev/serial/by-id") {
        for entry in entries.flatten() {
            let path = entry.path();
            let target = std::fs::canonicalize(&path).ok();
            let described = target
                .as_ref()
                .and_then(|t| ports.iter().find(|p| Path::new(&p.path) == t.as_path()))
                .cloned();
            ports.push(PortInfo {
                path: path.to_string_lossy().into_owned(),
                description: described
                    .as_ref()
                    .map_or_else(String::new, |p| p.description.clone()),
                usb_vendor: described.as_ref().and_then(|p| p.usb_vendor),
                usb_product: described.as_ref().and_then(|p| p.usb_product),
            });
        }
    }
    ports.sort_by(|a, b| a.path.cmp(&b.path));
    ports.dedup_by(|a, b| a.path == b.path);
    ports
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_time_counts_every_bit() {
        // 8N2: 11 bits a byte; 9600 baud → 960 bytes take 1.1 s.
        assert_eq!(
            LineSettings::default().wire_time(960),
            Duration::from_millis(1100)
        );
        let seven_e1 = LineSettings {
            data_bits: DataBits::Seven,
            parity: Parity::Even,
            stop_bits: StopBits::One,
            ..LineSettings::default()
        };
        assert_eq!(seven_e1.wire_time(960), Duration::from_secs(1));
    }

    #[test]
    fn a_missing_port_is_named() {
        let error = open(
            "/dev/kassa-no-such-port",
            &LineSettings::default(),
            Duration::from_millis(50),
        )
        .err()
        .unwrap();
        assert!(matches!(error, OpenError::NotFound { .. }), "{error}");
        assert!(error.to_string().contains("/dev/kassa-no-such-port"));
    }

    #[test]
    fn a_pseudo_terminal_opens_and_its_missing_modem_lines_are_only_warnings() {
        let (_master, slave) = TTYPort::pair().unwrap();
        use serialport::SerialPort;
        let path = slave.name().unwrap();
        let opened = open(&path, &LineSettings::default(), Duration::from_millis(50)).unwrap();
        assert!(
            opened.warnings.iter().any(|w| w.contains("DTR")),
            "{:?}",
            opened.warnings
        );
    }
}
