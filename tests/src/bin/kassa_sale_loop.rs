//! The child process of `tests/crash.rs`, killed with SIGKILL at random points.
//!
//! `kassa_sale_loop <database>`: opens the database, logs in as the demo cashier (PIN
//! 2222), opens a shift if none is open, then sells forever: rings up 1–3 of the test
//! catalog's items (SKUs `C-KAFFE`, `C-BULLE`, `C-KOPP`) and pays cash. After each
//! completed sale it prints the sale's receipt number on its own line and flushes, so
//! every number the parent reads was committed before it was printed.
//!
//! `kassa_sale_loop <database> --pending-card`: rings up one item, starts an external
//! card payment, prints `pending <tender id>`, flushes, and then blocks reading stdin
//! until the parent kills it (exit code 3 if stdin is closed instead).
//!
//! `kassa_sale_loop <database> --provider swip|vourity|flexiti`: sells one `C-KAFFE` after
//! another through the provider set up for Till 1. After each payment is started it
//! prints `waiting <tender id> <QR text or ->` (the parent then pays as the customer
//! would), polls every 5 ms until the payment is final, prints `done <tender id>
//! <status>`, and voids a sale left unpaid. Flexiti takes the sandbox's demo account,
//! by authorization and capture or by purchase in turn, and answers at once. What a killed predecessor left behind is
//! settled first: `Kassa::open` reconciles interrupted payments, and an outcome still
//! unknown is reconciled again before the next sale.
//!
//! `kassa_sale_loop <database> --scan-then-wait`: rings up three items (continuing a sale a
//! killed predecessor left open), printing `scanned <sale id> <items in the sale>` after
//! each scan has committed, then blocks on stdin like `--pending-card`. Scans commit
//! without an fsync (see `Kassa::write_cart`); the parent checks they survive SIGKILL.

use std::io::{BufRead, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use kassa_app::{Actor, Kassa, SaleStatus, TenderMethod, TenderStatus};

const SKUS: [&str; 3] = ["C-KAFFE", "C-BULLE", "C-KOPP"];

/// The Flexiti emulator's demo account (`kassa_sandbox::flexiti::DEMO_ACCOUNT`; the
/// sandbox is only a dev-dependency of this crate).
const FLEXITI_ACCOUNT: &str = "12341234";

fn main() -> ExitCode {
    let mut args = std::env::args_os().skip(1);
    let Some(path) = args.next().map(PathBuf::from) else {
        eprintln!(
            "usage: kassa_sale_loop <database> [--pending-card | --scan-then-wait | --provider swip|vourity|flexiti]"
        );
        return ExitCode::from(2);
    };
    let mode = match args.next() {
        None => Mode::SellForever,
        Some(a) if a == "--pending-card" => Mode::PendingCard,
        Some(a) if a == "--scan-then-wait" => Mode::ScanThenWait,
        Some(a) if a == "--provider" => match args.next().and_then(|p| p.into_string().ok()).as_deref() {
            Some("swip") => Mode::Provider(TenderMethod::Swip),
            Some("vourity") => Mode::Provider(TenderMethod::Vourity),
            Some("flexiti") => Mode::Provider(TenderMethod::Flexiti),
            other => {
                eprintln!("kassa_sale_loop: --provider swip|vourity|flexiti, not {other:?}");
                return ExitCode::from(2);
            }
        },
        Some(a) => {
            eprintln!("kassa_sale_loop: unknown argument {a:?}");
            return ExitCode::from(2);
        }
    };
    match run(&path, mode) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("kassa_sale_loop: {e}");
            ExitCode::FAILURE
        }
    }
}

#[derive(PartialEq)]
enum Mode {
    SellForever,
    PendingCard,
    ScanThenWait,
    Provider(TenderMethod),
}

/// Blocks until the parent kills this process: nothing more is written.
fn wait_for_kill() -> ExitCode {
    let mut line = String::new();
    let _ = std::io::stdin().lock().read_line(&mut line);
    ExitCode::from(3)
}

fn run(path: &std::path::Path, mode: Mode) -> Result<ExitCode, kassa_app::AppError> {
    let kassa = Kassa::open(path)?;
    let cashier = kassa.login("cashier", "2222")?.0;
    if kassa.current_shift(&cashier)?.is_none() {
        kassa.open_shift(&cashier, "500")?;
    }
    let mut out = std::io::stdout().lock();
    if let Mode::Provider(method) = mode {
        return pay_through_provider(&kassa, &cashier, method, &mut out);
    }
    if mode == Mode::ScanThenWait {
        for sku in SKUS {
            let sale = kassa.add_item(&cashier, sku, None)?;
            let items: usize = sale
                .lines
                .iter()
                .map(|l| l.quantity.parse::<usize>().expect("whole items"))
                .sum();
            writeln!(out, "scanned {} {items}", sale.id)
                .and_then(|()| out.flush())
                .expect("stdout");
        }
        return Ok(wait_for_kill());
    }
    if mode == Mode::PendingCard {
        let id = kassa.add_item(&cashier, SKUS[0], None)?.id;
        let sale = kassa.start_card_payment(&cashier, id, None)?;
        let tender = sale
            .tenders
            .iter()
            .find(|t| t.status == TenderStatus::Pending)
            .expect("a pending card tender")
            .id;
        writeln!(out, "pending {tender}")
            .and_then(|()| out.flush())
            .expect("stdout");
        // The terminal never answers.
        return Ok(wait_for_kill());
    }
    // A small xorshift: which items and how many; nothing here needs to be reproducible.
    let mut state = u64::from(std::process::id()) | 1 << 40;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    loop {
        // A sale a killed predecessor left open is continued: its items are kept.
        let mut id = 0;
        for _ in 0..1 + next() % 3 {
            id = kassa.add_item(&cashier, SKUS[(next() % 3) as usize], None)?.id;
        }
        let sale = kassa.pay_cash(&cashier, id, "100000")?;
        assert_eq!(sale.status, SaleStatus::Completed, "{sale:?}");
        let no = sale.receipt_no.expect("a completed sale has a receipt number");
        if writeln!(out, "{no}").and_then(|()| out.flush()).is_err() {
            // The parent stopped reading.
            return Ok(ExitCode::SUCCESS);
        }
    }
}

fn final_status(status: TenderStatus) -> bool {
    matches!(
        status,
        TenderStatus::Approved | TenderStatus::Declined | TenderStatus::Cancelled
    )
}

/// Sells through a provider forever (see the module's docs).
fn pay_through_provider(
    kassa: &Kassa,
    cashier: &Actor,
    method: TenderMethod,
    out: &mut impl Write,
) -> Result<ExitCode, kassa_app::AppError> {
    loop {
        // What a killed predecessor left: an outcome still unknown is asked again.
        if let Some(sale) = kassa.current_sale(cashier)? {
            for tender in sale.tenders.iter().filter(|t| t.status == TenderStatus::Unknown) {
                kassa.reconcile_payment(cashier, tender.id)?;
            }
        }
        let sale = kassa.add_item(cashier, SKUS[0], None)?;
        let view = match method {
            TenderMethod::Swip => kassa.start_swip_payment(cashier, sale.id, None)?,
            TenderMethod::Flexiti => {
                let mode = if sale.id % 2 == 0 {
                    kassa_app::FlexitiMode::Purchase
                } else {
                    kassa_app::FlexitiMode::AuthorizeAndCapture
                };
                kassa.start_flexiti_payment(cashier, sale.id, FLEXITI_ACCOUNT, None, mode)?
            }
            _ => kassa.start_vourity_payment(cashier, sale.id, None)?,
        };
        let tender = view
            .tenders
            .iter()
            .rev()
            .find(|t| t.method == method)
            .expect("the payment just started")
            .clone();
        let qr = tender
            .prompt
            .as_ref()
            .and_then(|p| p.qr.clone())
            .unwrap_or_else(|| "-".into());
        if writeln!(out, "waiting {} {qr}", tender.id)
            .and_then(|()| out.flush())
            .is_err()
        {
            return Ok(ExitCode::SUCCESS);
        }
        let mut status = tender.status;
        while !final_status(status) {
            let view = if status == TenderStatus::Unknown {
                kassa.reconcile_payment(cashier, tender.id)?
            } else {
                // Neither provider pushes to this loop: asking again is the protocol.
                std::thread::sleep(std::time::Duration::from_millis(5));
                kassa.poll_payment(cashier, tender.id)?
            };
            status = view
                .tenders
                .iter()
                .find(|t| t.id == tender.id)
                .expect("the tender")
                .status;
        }
        if writeln!(out, "done {} {status}", tender.id)
            .and_then(|()| out.flush())
            .is_err()
        {
            return Ok(ExitCode::SUCCESS);
        }
        let view = kassa.sale(cashier, sale.id)?;
        if view.status == SaleStatus::Open {
            kassa.void_sale(cashier, sale.id, None)?;
        }
    }
}
