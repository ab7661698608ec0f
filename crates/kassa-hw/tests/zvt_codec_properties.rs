//! Properties of the ZVT codec over arbitrary input: every APDU survives its block and any
//! split of the line's bytes, and no byte sequence makes the decoder panic or take a block
//! whose CRC is wrong.

use kassa_hw::zvt::crc::crc16_kermit;
use kassa_hw::zvt::frame::{DLE, ETX, STX};
use kassa_hw::zvt::{Apdu, FrameDecoder, FrameEvent, encode_frame};
use proptest::prelude::*;

/// Data rich in the bytes that matter to the framing (DLE, STX, ETX, ACK, NAK).
fn data() -> impl Strategy<Value = Vec<u8>> {
    let byte = prop_oneof![
        3 => any::<u8>(),
        1 => Just(DLE),
        1 => Just(STX),
        1 => Just(ETX),
        1 => Just(0x06u8),
        1 => Just(0x15u8),
    ];
    prop_oneof![
        8 => proptest::collection::vec(byte.clone(), 0..300),
        // Past the short length: the extended form.
        1 => proptest::collection::vec(byte, 254..700),
    ]
}

proptest! {
    #[test]
    fn every_apdu_comes_back_whole_however_the_line_splits_it(
        class in any::<u8>(),
        instruction in any::<u8>(),
        data in data(),
        cuts in proptest::collection::vec(any::<prop::sample::Index>(), 0..6),
    ) {
        let apdu = Apdu::new(class, instruction, data);
        let frame = encode_frame(&apdu.encode().unwrap());
        let mut points: Vec<usize> = cuts.iter().map(|i| i.index(frame.len() + 1)).collect();
        points.push(0);
        points.push(frame.len());
        points.sort_unstable();
        let mut decoder = FrameDecoder::new();
        let mut events = Vec::new();
        for pair in points.windows(2) {
            events.extend(decoder.feed(&frame[pair[0]..pair[1]]));
        }
        prop_assert_eq!(events.len(), 1);
        let FrameEvent::Block(bytes) = &events[0] else {
            return Err(TestCaseError::fail(format!("{events:?}")));
        };
        prop_assert_eq!(Apdu::decode(bytes).unwrap(), apdu.clone());
        // Over TCP the same APDU arrives bare, possibly with the next one behind it.
        let mut stream = apdu.encode().unwrap();
        let used = stream.len();
        stream.extend_from_slice(&[0x80, 0x00]);
        let (again, taken) = Apdu::decode_prefix(&stream).unwrap();
        prop_assert_eq!((again, taken), (apdu, used));
    }

    #[test]
    fn arbitrary_bytes_never_panic_and_every_block_taken_has_a_good_crc(
        bytes in proptest::collection::vec(any::<u8>(), 0..2000),
        resets in proptest::collection::vec(any::<prop::sample::Index>(), 0..4),
    ) {
        let mut decoder = FrameDecoder::new();
        let reset_at: Vec<usize> = resets.iter().map(|i| i.index(bytes.len() + 1)).collect();
        for (at, &byte) in bytes.iter().enumerate() {
            if reset_at.contains(&at) {
                decoder.reset();
                prop_assert!(!decoder.in_block());
            }
            if let Some(FrameEvent::Block(apdu)) = decoder.push(byte) {
                // Re-encoding gives a block ending in the CRC just read.
                let mut covered = apdu.clone();
                covered.push(ETX);
                let crc = crc16_kermit(&covered).to_le_bytes();
                let frame = encode_frame(&apdu);
                prop_assert_eq!(&frame[frame.len() - 2..], &crc[..]);
                let _ = Apdu::decode(&apdu);
            }
        }
    }
}

proptest! {
    #[test]
    fn arbitrary_bmp_data_never_panics(data in proptest::collection::vec(any::<u8>(), 0..600)) {
        if let Ok(bmps) = kassa_hw::zvt::bmp::parse(&data) {
            // What was read never claims more than the data holds.
            let used: usize = bmps.fields.iter().map(|f| 1 + f.value.len()).sum();
            prop_assert!(used <= data.len());
        }
        let _ = kassa_hw::zvt::commands::StatusInformation::from_apdu(&Apdu::new(0x04, 0x0F, data));
    }

    #[test]
    fn amounts_round_trip_through_bcd(minor in 0u64..1_000_000_000_000) {
        let apdu = kassa_hw::zvt::commands::authorization(minor, 752).unwrap();
        let bmps = kassa_hw::zvt::bmp::parse(&apdu.data).unwrap();
        prop_assert_eq!(kassa_hw::zvt::bmp::from_bcd(0x04, bmps.get(0x04).unwrap()).unwrap(), minor);
    }
}
