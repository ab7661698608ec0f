//! `provider-step`: what one provider payment step through Kassa costs over a bare call
//! of the same endpoint, against the same emulator in the same run. (Issue 9.)
//!
//! The step is `Kassa::poll_payment` on a pending SWiP payment, the call the till makes
//! about once a second while the customer pays: it checks the actor's session and role,
//! marks payments left by a stopped Kassa, reads the tender and its stored steps, builds
//! the SWiP client from the POS's settings and secrets, sends `GET /orders/{id}`, parses
//! it with exact amounts, and commits what SWiP answered (the prompt, in a transaction
//! with `synchronous=FULL`, so with an fsync).
//!
//! (a) **step**: `poll_payment(tender)`;
//! (b) **bare**: a `reqwest::Client` `GET /orders/{id}` with the same headers, whose body
//!     is parsed into `serde_json::Value`.
//!
//! The demo database is a real file in a temporary directory on the same disk as the
//! rest. Each round makes one call of each, the side going first alternating. Before
//! timing, the step's answer must show the payment pending with the order's QR code and
//! the bare answer must be 200 with the order OPEN; every timed answer is checked the same
//! way outside the timed span. Ratios are ratios of medians. Not part of the test suite;
//! results go into BENCHMARKS.md by hand.
//!
//! `KASSA_SECRETS=file cargo run --release -p kassa-bench --bin provider-step -- [--rounds N] [--warmup N]`

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, ensure};
use chrono::{TimeZone, Utc};
use clap::Parser;
use kassa_app::{
    Actor, Kassa, ManualClock, ProductInput, Provider, ProviderAccountInput, SaleUnit, StorePrice,
    TenderStatus, VatCategory,
};
use kassa_sandbox::{BackgroundSandbox, Ports};
use serde_json::Value;

#[derive(Parser)]
#[command(
    about = "One SWiP payment step through Kassa (poll_payment) vs a bare reqwest GET of the same order"
)]
struct Args {
    /// Measured rounds (each: one step and one bare call).
    #[arg(long, default_value_t = 2000)]
    rounds: usize,
    /// Warm-up rounds, discarded.
    #[arg(long, default_value_t = 200)]
    warmup: usize,
}

struct Setup {
    kassa: Kassa,
    cashier: Actor,
    tender_id: i64,
    session_code: String,
    order_url: String,
    _dir: tempfile::TempDir,
}

/// The demo till with SWiP on the emulator and one SWiP payment pending.
fn setup(sandbox: &BackgroundSandbox) -> Result<Setup> {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("kassa.sqlite3");
    // A still clock: the order never reaches SWiP's 90 s while the bench runs.
    let clock = Arc::new(ManualClock::new(
        Utc.with_ymd_and_hms(2026, 12, 3, 9, 0, 0).unwrap(),
    ));
    let kassa = Kassa::create_demo(&path, clock)?;
    let manager = kassa.login("manager", "1234")?.0;
    let store = kassa
        .list_stores(&manager)?
        .into_iter()
        .find(|s| s.name == "Malmö C")
        .context("the demo has Malmö C")?
        .id;
    kassa.save_product(
        &manager,
        None,
        &ProductInput {
            sku: "BENCH".into(),
            name: "Bench coffee".into(),
            category: Some("Bench".into()),
            vat_category: VatCategory::Reduced,
            unit: SaleUnit::Each,
            active: true,
            barcodes: vec![],
            prices: vec![StorePrice {
                store_id: store,
                price: "40.00".into(),
                currency: String::new(),
            }],
        },
    )?;
    let pos = kassa
        .list_pos_devices(&manager, None, false)?
        .into_iter()
        .find(|d| d.name == "Till 1")
        .context("the demo has Till 1")?
        .id;
    let emulator = sandbox.sandbox().emulator(kassa_sandbox::Provider::Swip);
    let mut input = ProviderAccountInput {
        base_url: emulator.base_url(),
        ..Default::default()
    };
    for (key, value) in kassa_sandbox::swip::DEMO_SETTINGS {
        match *key {
            "token" => input.secrets.insert((*key).to_owned(), (*value).to_owned()),
            "currency" => input.values.insert((*key).to_owned(), "SEK".to_owned()),
            _ => input.values.insert((*key).to_owned(), (*value).to_owned()),
        };
    }
    kassa.set_provider_account(&manager, pos, Provider::Swip, input)?;
    let cashier = kassa.login("cashier", "2222")?.0;
    kassa.open_shift(&cashier, "500")?;
    let sale = kassa.add_item(&cashier, "BENCH", None)?;
    let view = kassa.start_swip_payment(&cashier, sale.id, None)?;
    let tender = view.tenders.last().context("the SWiP tender")?;
    ensure!(
        tender.status == TenderStatus::Pending,
        "the payment is pending: {tender:?}"
    );
    let session_code = tender
        .prompt
        .as_ref()
        .and_then(|p| p.qr.clone())
        .context("a pending SWiP payment shows its QR code")?;
    let created = emulator.harness().changes("order_created");
    let order = created.first().context("the emulator created the order")?;
    let order_id = order["id"].as_str().context("the order's id")?;
    Ok(Setup {
        tender_id: tender.id,
        kassa,
        cashier,
        session_code,
        order_url: format!("{}/orders/{order_id}", emulator.base_url()),
        _dir: dir,
    })
}

fn demo(key: &str) -> &'static str {
    kassa_sandbox::swip::DEMO_SETTINGS
        .iter()
        .find(|(k, _)| *k == key)
        .map(|(_, v)| *v)
        .unwrap_or_else(|| panic!("SWiP's demo settings have {key}"))
}

fn step(setup: &Setup) -> Result<Duration> {
    let start = Instant::now();
    let view = setup.kassa.poll_payment(&setup.cashier, setup.tender_id)?;
    let took = start.elapsed();
    let tender = view
        .tenders
        .iter()
        .find(|t| t.id == setup.tender_id)
        .context("the tender")?;
    ensure!(
        tender.status == TenderStatus::Pending
            && tender.prompt.as_ref().and_then(|p| p.qr.as_deref()) == Some(setup.session_code.as_str()),
        "the step did not answer the pending payment with its QR code: {tender:?}"
    );
    Ok(took)
}

async fn bare(http: &reqwest::Client, setup: &Setup) -> Result<Duration> {
    let start = Instant::now();
    let answer = http
        .get(&setup.order_url)
        .bearer_auth(demo("token"))
        .header("X-Merchant-ID", demo("merchant_id"))
        .header("X-Store-ID", demo("store_id"))
        .header("X-Cash-ID", demo("cash_id"))
        .header("Api-Version", "3")
        .header("Accept", "application/json")
        .send()
        .await?;
    let status = answer.status().as_u16();
    let body: Value = answer.json().await?;
    let took = start.elapsed();
    ensure!(
        status == 200 && body["orderStatus"] == "OPEN",
        "the bare call did not read the open order: {status} {body}"
    );
    Ok(took)
}

fn percentile(sorted: &[Duration], fraction: f64) -> Duration {
    let index = ((sorted.len() as f64 - 1.0) * fraction).round() as usize;
    sorted[index]
}

fn micros(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1e6
}

fn main() -> Result<()> {
    let args = Args::parse();
    let sandbox = BackgroundSandbox::start(Ports::Ephemeral)?;
    let setup = setup(&sandbox)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let http = reqwest::Client::builder()
        .timeout(kassa_providers::http::DEFAULT_TIMEOUT)
        .connect_timeout(kassa_providers::http::CONNECT_TIMEOUT)
        .build()?;
    let mut steps = Vec::with_capacity(args.rounds);
    let mut bares = Vec::with_capacity(args.rounds);
    for round in 0..args.warmup + args.rounds {
        let (s, b) = if round % 2 == 0 {
            let s = step(&setup)?;
            (s, runtime.block_on(bare(&http, &setup))?)
        } else {
            let b = runtime.block_on(bare(&http, &setup))?;
            (step(&setup)?, b)
        };
        if round >= args.warmup {
            steps.push(s);
            bares.push(b);
        }
    }
    steps.sort();
    bares.sort();
    let (step_median, bare_median) = (percentile(&steps, 0.5), percentile(&bares, 0.5));
    println!(
        "{} rounds after {} warm-up: step (poll_payment) median {:.1} µs, p90 {:.1} µs; \
         bare GET median {:.1} µs, p90 {:.1} µs; ratio of medians {:.2}, step − bare {:+.1} µs",
        args.rounds,
        args.warmup,
        micros(step_median),
        micros(percentile(&steps, 0.9)),
        micros(bare_median),
        micros(percentile(&bares, 0.9)),
        step_median.as_secs_f64() / bare_median.as_secs_f64(),
        micros(step_median) - micros(bare_median),
    );
    Ok(())
}
