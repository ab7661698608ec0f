//! What a terminal's codes mean, in English for the CLI, the logs and the stored record;
//! the app's UI says the same in the user's language by code.
//!
//! Two tables: result codes (BMP 27, the byte of a negative completion `84 xx` and of
//! the terminal's Abort `06 1E`), and the status byte of Intermediate Status (04 FF) the
//! cashier sees while the card holder acts. The meanings are the ones independent
//! implementations agree on (the protocol's own table is not public).

/// Result code 0: success.
pub const SUCCESS: u8 = 0x00;
/// Aborted by the card holder, the cashier or a timeout.
pub const ABORTED: u8 = 0x6C;
/// The terminal cannot do that (unknown command, nothing to repeat).
pub const FUNCTION_NOT_POSSIBLE: u8 = 0x83;

/// What result code `code` means, or `None` for a code no table names.
pub fn result_text(code: u8) -> Option<&'static str> {
    Some(match code {
        0x00 => "success",
        // 01 to 63 are the authorisation system's own codes, passed through.
        0x01..=0x63 => "declined by the card issuer",
        0x64 => "the card could not be read",
        0x65 => "no card data (neither magnetic stripe nor chip found)",
        0x66 => "processing error (also a card-reader problem)",
        0x67 => "not allowed for girocard and Maestro cards",
        0x68 => "not allowed for credit and fuel cards",
        0x6A => "the terminal's turnover file is full",
        0x6B => "function switched off (the terminal is not registered)",
        0x6C => "aborted (timeout or the abort key)",
        0x6E => "the card is on the blocked list",
        0x6F => "wrong currency",
        0x71 => "not enough credit on the card",
        0x72 => "chip error",
        0x73 => "the card's data is wrong",
        0x77 => "end of day is not possible",
        0x78 => "the card has expired",
        0x79 => "the card is not valid yet",
        0x7A => "unknown card",
        0x7D => "communication error (the terminal's network module does not answer)",
        0x83 => "the terminal cannot do that",
        0x85 => "a key is missing",
        0x89 | 0xED => "the PIN pad is broken",
        0x9A => "ZVT protocol error (the terminal could not read the till's message)",
        0x9B => "dial-up or network error",
        0x9C => "please wait",
        0xA0 => "the receiver is not ready",
        0xA1 => "the payment host does not answer",
        0xA3 => "no connection to the payment host",
        0xB1 => "the terminal's memory is full",
        0xB2 => "the merchant journal is full",
        0xB4 => "already reversed",
        0xB5 => "the reversal is not possible",
        0xB7 => "wrong amount (pre-authorisation too high)",
        0xB8 => "pre-authorisation error",
        0xBF => "the power supply is too low",
        0xC0 => "the card lock is broken",
        0xC1 => "the merchant card is locked",
        0xC2 => "the terminal needs a diagnosis",
        0xC3 => "the maximum amount is exceeded",
        0xC4 => "the card profiles are invalid (new ones must be loaded)",
        0xC5 => "payment method not supported",
        0xC6 => "currency not applicable",
        0xC8 => "the amount is too small",
        0xC9 => "the maximum transaction amount is too small",
        0xCB => "only allowed in euro",
        0xCC => "the terminal's printer is not ready",
        0xCD => "cashback is not possible",
        0xD2 => "not allowed for service cards",
        0xDC => "a card is inserted",
        0xDD => "the card could not be ejected",
        0xDE => "the card could not be inserted",
        0xE0 => "remote maintenance is on",
        0xE2 => "the card reader does not answer",
        0xE3 => "the shutter is closed",
        0xE4 => "the terminal must be activated",
        0xEC => "PIN processing is not possible",
        0xF0 => "an end of day is still open",
        0xF1 => "offline error",
        0xFA => "offline transactions could not be sent",
        0xFB => "the turnover data is damaged",
        0xFC => "a device the terminal needs is missing or broken",
        0xFD => "baud rate not supported",
        0xFE => "unknown register",
        0xFF => "system error",
        _ => return None,
    })
}

/// `result_text`, or a line naming the code when no table does.
pub fn describe_result(code: u8) -> String {
    match result_text(code) {
        Some(text) => format!("{text} (result code {code:02X})"),
        None => format!("result code {code:02X}, which Kassa does not know"),
    }
}

/// What an intermediate status byte tells the cashier. Codes 0x41 to 0x67 are the codes
/// 0x01 to 0x27 with "remove the card" added.
pub fn status_text(code: u8) -> String {
    if (0x41..=0x67).contains(&code)
        && let Some(base) = base_status(code - 0x40)
    {
        return format!("{base}; remove the card");
    }
    match base_status(code) {
        Some(text) => text.to_owned(),
        None => format!("terminal status {code:02X}"),
    }
}

fn base_status(code: u8) -> Option<&'static str> {
    Some(match code {
        0x00 => "waiting for the amount to be confirmed",
        0x01 | 0x02 => "watch the PIN pad",
        0x03 => "not accepted",
        0x04 => "waiting for the payment host",
        0x05 => "sending an automatic reversal",
        0x06 => "sending post-bookings",
        0x07 => "card not admitted",
        0x08 => "unknown card",
        0x09 => "expired card",
        0x0A => "insert or tap the card",
        0x0B => "remove the card",
        0x0C => "the card could not be read",
        0x0D => "processing error",
        0x0E | 0x17 => "please wait",
        0x0F => "starting an automatic end of day",
        0x10 => "invalid card",
        0x11 => "showing the balance",
        0x12 => "system malfunction",
        0x13 => "payment not possible",
        0x14 => "not enough credit",
        0x15 => "wrong PIN",
        0x16 => "limit not sufficient",
        0x18 => "too many wrong PINs",
        0x19 => "the card's data is wrong",
        0x1A => "service mode",
        0x1B => "approved; fill up",
        0x1C => "approved; take the goods",
        0x1D => "declined",
        0x26 => "waiting for the mobile number",
        0x27 => "waiting for the mobile number again",
        0x28 => "choosing the currency",
        0x29 => "choosing the language",
        0x2A => "insert the card to load it",
        0x2B => "emergency transaction",
        0x2C => "choosing the application",
        0x68 => "card inserted",
        0x69 => "choose dynamic currency conversion",
        0xC7 => "waiting for the mileage",
        0xC8 => "waiting for the cashier",
        0xC9 => "starting an automatic diagnosis",
        0xCA => "starting an automatic initialisation",
        0xCB => "the merchant journal is full",
        0xCC => "debit advice not possible; PIN required",
        0xD2 => "connecting",
        0xD3 => "connected",
        0xE0 => "waiting for the application to be chosen",
        0xE1 => "waiting for the language to be chosen",
        0xE2 => "use the cleaning card",
        0xF1 => "offline",
        0xF2 => "online",
        0xF3 => "offline transaction",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_read_as_cashier_lines() {
        assert_eq!(
            describe_result(0x05),
            "declined by the card issuer (result code 05)"
        );
        assert_eq!(
            describe_result(0x6C),
            "aborted (timeout or the abort key) (result code 6C)"
        );
        assert_eq!(describe_result(0x70), "result code 70, which Kassa does not know");
        assert_eq!(status_text(0x0A), "insert or tap the card");
        assert_eq!(status_text(0x4A), "insert or tap the card; remove the card");
        assert_eq!(status_text(0x68), "card inserted");
        assert_eq!(status_text(0x30), "terminal status 30");
    }
}
