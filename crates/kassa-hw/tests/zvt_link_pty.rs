//! The ZVT serial link over a real pseudo-terminal pair (`serialport::TTYPort::pair`): the
//! till's side is the link, the other side a terminal scripted byte by byte in a thread.
//! Pair-based tests share the pty system's state, so they run one at a time. Each script
//! hands its side back when done: closing it would hang the line up (the till's reads then
//! fail with a broken pipe, as they do when a terminal is unplugged).

use std::io::{Read, Write};
use std::sync::Mutex;
use std::thread;
use std::time::Duration;

use kassa_hw::zvt::frame::{ACK, NAK};
use kassa_hw::zvt::{Apdu, FrameDecoder, FrameEvent, LinkError, LinkTimings, SerialLink, encode_frame};
use serialport::{SerialPort, TTYPort};

static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

/// For the silence cases: T3 short, so that three unanswered attempts take under a second.
const FAST: LinkTimings = LinkTimings {
    ack: Duration::from_millis(150),
    resends: 2,
    bad_blocks: 3,
};

/// Where the scripted terminal answers: T3 long enough that a busy machine's scheduling
/// never looks like a missing ACK.
const STEADY: LinkTimings = LinkTimings {
    ack: Duration::from_secs(3),
    ..FAST
};

fn pair() -> (TTYPort, TTYPort) {
    let (mut till, mut terminal) = TTYPort::pair().expect("a pseudo-terminal pair");
    // The inter-byte timeout.
    till.set_timeout(Duration::from_millis(20)).unwrap();
    terminal.set_timeout(Duration::from_millis(20)).unwrap();
    (till, terminal)
}

/// Reads from the terminal's side until `count` events arrived or `wait` passed.
fn events(terminal: &mut TTYPort, count: usize, wait: Duration) -> Vec<FrameEvent> {
    let mut decoder = FrameDecoder::new();
    let mut seen = Vec::new();
    let until = std::time::Instant::now() + wait;
    let mut buffer = [0u8; 256];
    while seen.len() < count && std::time::Instant::now() < until {
        match terminal.read(&mut buffer) {
            Ok(n) => seen.extend(decoder.feed(&buffer[..n])),
            Err(_) => continue,
        }
    }
    seen
}

/// 110.00 EUR: its amount holds a DLE, doubled on the line.
fn authorization() -> Apdu {
    kassa_hw::zvt::commands::authorization(11000, 978).unwrap()
}

#[test]
fn a_block_answered_nak_is_sent_again_and_taken_on_ack() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
    let (till, mut terminal) = pair();
    let expected = authorization().encode().unwrap();
    let script = thread::spawn(move || {
        let mut blocks = Vec::new();
        for answer in [NAK, ACK] {
            let got = events(&mut terminal, 1, Duration::from_secs(2));
            blocks.extend(got);
            terminal.write_all(&[answer]).unwrap();
        }
        (blocks, terminal)
    });
    let mut link = SerialLink::new(till, STEADY);
    link.send(&authorization()).unwrap();
    let (blocks, _terminal) = script.join().unwrap();
    assert_eq!(
        blocks,
        [FrameEvent::Block(expected.clone()), FrameEvent::Block(expected)],
        "sent twice: once, and again after the NAK"
    );
}

#[test]
fn silence_and_nak_after_every_attempt_are_clear_errors() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
    let (till, mut terminal) = pair();
    let mut link = SerialLink::new(till, FAST);
    let error = link.send(&Apdu::ack()).unwrap_err();
    assert!(
        matches!(error, LinkError::NotAcknowledged { attempts: 3, nak: 0 }),
        "{error}"
    );
    // The terminal side saw the block three times.
    let seen = events(&mut terminal, 3, Duration::from_millis(500));
    assert_eq!(seen.len(), 3, "{seen:?}");

    let script = thread::spawn(move || {
        for _ in 0..3 {
            events(&mut terminal, 1, Duration::from_secs(2));
            terminal.write_all(&[NAK]).unwrap();
        }
        terminal
    });
    let mut link = SerialLink::new(link.into_line(), STEADY);
    let error = link.send(&Apdu::ack()).unwrap_err();
    let _terminal = script.join().unwrap();
    assert!(
        matches!(error, LinkError::NotAcknowledged { attempts: 3, nak: 3 }),
        "{error}"
    );
    assert!(error.to_string().contains("3 attempts"), "{error}");
}

#[test]
fn a_bad_block_is_refused_with_nak_and_the_good_one_taken_with_ack() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
    let (till, mut terminal) = pair();
    let status = Apdu::new(0x04, 0xFF, vec![0x0A]);
    let good = encode_frame(&status.encode().unwrap());
    let mut bad = good.clone();
    let last = bad.len() - 1;
    bad[last] ^= 0xFF;
    let script = thread::spawn(move || {
        let mut answers = Vec::new();
        let mut buffer = [0u8; 16];
        for frame in [&bad, &good] {
            terminal.write_all(frame).unwrap();
            let until = std::time::Instant::now() + Duration::from_secs(2);
            loop {
                if let Ok(n) = terminal.read(&mut buffer)
                    && n > 0
                {
                    answers.extend_from_slice(&buffer[..n]);
                    break;
                }
                assert!(std::time::Instant::now() < until, "no answer from the till");
            }
        }
        (answers, terminal)
    });
    let mut link = SerialLink::new(till, STEADY);
    let received = link.receive(Duration::from_secs(2)).unwrap();
    assert_eq!(received, status);
    let (answers, terminal) = script.join().unwrap();
    assert_eq!(answers, [NAK, ACK]);
    // Nothing more comes: silence is a clear error.
    let error = link.receive(Duration::from_millis(100)).unwrap_err();
    assert!(matches!(error, LinkError::Silent(_)), "{error}");
    // The terminal unplugged: a clear line error, not a wait.
    drop(terminal);
    let error = link.receive(Duration::from_millis(500)).unwrap_err();
    assert!(matches!(error, LinkError::Io(_)), "{error}");
}
