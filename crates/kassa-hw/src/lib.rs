//! Kassa's hardware protocols, as codecs that do no I/O of their own: bytes in, typed
//! messages out, and back. The transports (serial ports, TCP) and the payment method that
//! drive a terminal build on these, so every rule of a protocol is tested here against
//! golden bytes and arbitrary input, without a device.
//!
//! - [`zvt`]: the ZVT protocol of German and Nordic card terminals (Ingenico, Verifone,
//!   CCV, Feig, Worldline…): the serial block framing with its CRC and acknowledgements,
//!   and the APDUs inside, the serial and TCP links and one command's whole exchange.
//! - [`serial`]: opening serial ports with their line settings, and finding them.

pub mod serial;
pub mod zvt;
