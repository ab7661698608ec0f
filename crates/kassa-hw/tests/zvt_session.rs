//! One command's exchange over TCP, against a terminal scripted in this file byte by
//! byte: the order of messages, the acknowledgements the till sends, the abort, the
//! transaction timeout re-armed by every message, and a link lost mid-transaction.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::Duration;

use kassa_hw::zvt::commands::{self, Password};
use kassa_hw::zvt::{CommandKind, End, Phase, Progress, SessionTimings, TcpLink, session};

/// A terminal that answers with a script: `Expect` reads one APDU from the till and
/// checks its bytes, `Send` writes one.
enum Step {
    Expect(Vec<u8>),
    Send(Vec<u8>),
    Pause(Duration),
    Hangup,
}

const ACK: [u8; 3] = [0x80, 0x00, 0x00];

fn read_apdu(stream: &mut TcpStream) -> Vec<u8> {
    let mut head = [0u8; 3];
    stream.read_exact(&mut head).unwrap();
    let mut data = vec![0u8; usize::from(head[2])];
    stream.read_exact(&mut data).unwrap();
    [head.to_vec(), data].concat()
}

fn terminal(script: Vec<Step>) -> (String, thread::JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap().to_string();
    let handle = thread::spawn(move || {
        let (mut stream, _) = listener.accept().unwrap();
        for step in script {
            match step {
                Step::Expect(bytes) => assert_eq!(read_apdu(&mut stream), bytes, "the till sent"),
                Step::Send(bytes) => stream.write_all(&bytes).unwrap(),
                Step::Pause(time) => thread::sleep(time),
                Step::Hangup => return,
            }
        }
    });
    (address, handle)
}

fn timings() -> SessionTimings {
    SessionTimings {
        answer: Duration::from_millis(500),
        transaction: Duration::from_millis(300),
        abort_check: Duration::from_millis(10),
    }
}

fn status_information(result: u8) -> Vec<u8> {
    let data = [
        vec![0x27, result],
        vec![0x04, 0x00, 0x00, 0x00, 0x00, 0x25, 0x00],
        vec![0x0B, 0x00, 0x00, 0x07],
        vec![0x87, 0x00, 0x03],
    ]
    .concat();
    [vec![0x04, 0x0F, data.len() as u8], data].concat()
}

#[test]
fn a_payment_runs_to_completion_and_every_message_is_acknowledged_first() {
    let authorization = commands::authorization(2500, 752).unwrap().encode().unwrap();
    let (address, terminal) = terminal(vec![
        Step::Expect(authorization.clone()),
        Step::Send(ACK.to_vec()),
        Step::Send(vec![0x04, 0xFF, 0x01, 0x0A]),
        Step::Expect(ACK.to_vec()),
        // Each pause is shorter than T4 (300 ms) but together they are longer: the
        // timeout starts again with every message.
        Step::Pause(Duration::from_millis(200)),
        Step::Send(vec![0x04, 0xFF, 0x01, 0x01]),
        Step::Expect(ACK.to_vec()),
        Step::Pause(Duration::from_millis(200)),
        Step::Send(status_information(0x00)),
        Step::Expect(ACK.to_vec()),
        Step::Send([&[0x06, 0xD1, 0x03, 0xFF][..], b"OK"].concat()),
        Step::Expect(ACK.to_vec()),
        // A message the till has no use for: refused, the transaction goes on.
        Step::Send(vec![0x06, 0x77, 0x00]),
        Step::Expect(vec![0x84, 0x83, 0x00]),
        Step::Send(vec![0x06, 0x0F, 0x00]),
        Step::Expect(ACK.to_vec()),
    ]);
    let mut link = TcpLink::connect(&address, Duration::from_secs(1)).unwrap();
    let mut seen = Vec::new();
    let exchange = session::run(
        &mut link,
        &commands::authorization(2500, 752).unwrap(),
        CommandKind::Transaction,
        timings(),
        &|| false,
        &mut |progress| {
            seen.push(match progress {
                Progress::Status(code) => format!("status {code:02X}"),
                Progress::Result(info) => format!("result {:?}", info.result_code),
                Progress::Line(line) => format!("line {}", String::from_utf8_lossy(&line.text)),
                Progress::Texts(_) => "texts".into(),
            })
        },
    );
    terminal.join().unwrap();
    assert!(matches!(exchange.end, End::Completed(_)), "{:?}", exchange.end);
    assert_eq!(seen, ["status 0A", "status 01", "result Some(0)", "line OK"]);
    let result = exchange.result().unwrap();
    assert_eq!(
        (result.amount_minor, result.trace, result.receipt),
        (Some(2500), Some(7), Some(3))
    );
    assert_eq!(exchange.unreadable.len(), 1);
    assert!(!exchange.abort_sent);
}

#[test]
fn an_abort_is_sent_once_and_an_approval_after_it_still_counts() {
    let (address, terminal) = terminal(vec![
        Step::Expect(commands::authorization(2500, 752).unwrap().encode().unwrap()),
        Step::Send(ACK.to_vec()),
        Step::Send(vec![0x04, 0xFF, 0x01, 0x0A]),
        Step::Expect(ACK.to_vec()),
        Step::Expect(vec![0x06, 0xB0, 0x00]),
        // This terminal does not honour the abort: it answers it and approves.
        Step::Send(ACK.to_vec()),
        Step::Send(status_information(0x00)),
        Step::Expect(ACK.to_vec()),
        Step::Send(vec![0x06, 0x0F, 0x00]),
        Step::Expect(ACK.to_vec()),
    ]);
    let mut link = TcpLink::connect(&address, Duration::from_secs(1)).unwrap();
    let asked = AtomicBool::new(false);
    let exchange = session::run(
        &mut link,
        &commands::authorization(2500, 752).unwrap(),
        CommandKind::Transaction,
        timings(),
        &|| asked.load(Ordering::SeqCst),
        &mut |progress| {
            if matches!(progress, Progress::Status(0x0A)) {
                asked.store(true, Ordering::SeqCst);
            }
        },
    );
    terminal.join().unwrap();
    assert!(exchange.abort_sent);
    assert!(matches!(exchange.end, End::Completed(_)));
    assert_eq!(exchange.result().unwrap().result_code, Some(0));
}

#[test]
fn refusal_abort_silence_and_a_hang_up_each_end_the_exchange_their_way() {
    let password = Password::parse("000000").unwrap();
    let command = commands::end_of_day(password);
    let (address, terminal_refusing) = terminal(vec![
        Step::Expect(command.encode().unwrap()),
        Step::Send(vec![0x84, 0x83, 0x00]),
    ]);
    let mut link = TcpLink::connect(&address, Duration::from_secs(1)).unwrap();
    let refused = session::run(
        &mut link,
        &command,
        CommandKind::Transaction,
        timings(),
        &|| false,
        &mut |_| {},
    );
    terminal_refusing.join().unwrap();
    assert!(matches!(refused.end, End::Refused { code: 0x83 }));

    let (address, terminal_aborting) = terminal(vec![
        Step::Expect(command.encode().unwrap()),
        Step::Send(ACK.to_vec()),
        Step::Send(vec![0x06, 0x1E, 0x01, 0x77]),
        Step::Expect(ACK.to_vec()),
    ]);
    let mut link = TcpLink::connect(&address, Duration::from_secs(1)).unwrap();
    let aborted = session::run(
        &mut link,
        &command,
        CommandKind::Transaction,
        timings(),
        &|| false,
        &mut |_| {},
    );
    terminal_aborting.join().unwrap();
    assert!(matches!(aborted.end, End::Aborted { result_code: 0x77 }));

    // Accepted, then nothing for longer than T4.
    let (address, terminal_silent) = terminal(vec![
        Step::Expect(command.encode().unwrap()),
        Step::Send(ACK.to_vec()),
        Step::Pause(Duration::from_millis(600)),
    ]);
    let mut link = TcpLink::connect(&address, Duration::from_secs(1)).unwrap();
    let silent = session::run(
        &mut link,
        &command,
        CommandKind::Transaction,
        timings(),
        &|| false,
        &mut |_| {},
    );
    assert!(
        matches!(
            silent.end,
            End::Lost {
                phase: Phase::Running,
                ..
            }
        ),
        "{:?}",
        silent.end
    );
    terminal_silent.join().unwrap();

    // The status information arrived, then the line went: the result is known anyway.
    let authorization = commands::authorization(2500, 752).unwrap();
    let (address, terminal_hanging_up) = terminal(vec![
        Step::Expect(authorization.encode().unwrap()),
        Step::Send(ACK.to_vec()),
        Step::Send(status_information(0x00)),
        Step::Expect(ACK.to_vec()),
        Step::Hangup,
    ]);
    let mut link = TcpLink::connect(&address, Duration::from_secs(1)).unwrap();
    let lost = session::run(
        &mut link,
        &authorization,
        CommandKind::Transaction,
        timings(),
        &|| false,
        &mut |_| {},
    );
    terminal_hanging_up.join().unwrap();
    assert!(
        matches!(
            lost.end,
            End::Lost {
                phase: Phase::Running,
                ..
            }
        ),
        "{:?}",
        lost.end
    );
    assert_eq!(lost.result().unwrap().result_code, Some(0));

    // Log off ends at acceptance.
    let (address, terminal_logging_off) = terminal(vec![
        Step::Expect(vec![0x06, 0x02, 0x00]),
        Step::Send(ACK.to_vec()),
    ]);
    let mut link = TcpLink::connect(&address, Duration::from_secs(1)).unwrap();
    let off = session::run(
        &mut link,
        &commands::log_off(),
        CommandKind::EndsAtAcceptance,
        timings(),
        &|| false,
        &mut |_| {},
    );
    terminal_logging_off.join().unwrap();
    assert!(matches!(off.end, End::Accepted));
}
