//! CRC-16/KERMIT: polynomial 0x1021 reflected (0x8408), initial value 0, no final XOR,
//! bytes taken least significant bit first. ZVT sends it low byte first.

/// The CRC of `bytes`.
pub fn crc16_kermit(bytes: &[u8]) -> u16 {
    bytes.iter().fold(0u16, |crc, &byte| {
        let mut crc = crc ^ u16::from(byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0x8408
            } else {
                crc >> 1
            };
        }
        crc
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_the_catalogue_check_value() {
        // The CRC catalogue's check value for CRC-16/KERMIT over "123456789".
        assert_eq!(crc16_kermit(b"123456789"), 0x2189);
        assert_eq!(crc16_kermit(&[]), 0);
    }
}
