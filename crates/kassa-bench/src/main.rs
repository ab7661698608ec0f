//! `kassa-bench`: what does committing a sale through kassa-app cost, against the cheapest
//! durable write SQLite can do on the same disk in the same run?
//!
//! (a) a sale through kassa-app: `add_item` ×3 then `pay_cash`. `pay_cash` is the commit
//!     that writes the tender, the receipt number, the completed status, the journal
//!     record and the outbox message in one transaction; it is timed on its own, and the
//!     whole ring-up + pay (four transactions: each `add_item` commits its line) too.
//! (b) a bare single-row `INSERT` in its own transaction.
//!
//! Both sides use the pragmas kassa-store sets: `journal_mode=WAL`, `synchronous=FULL`,
//! `foreign_keys=ON`. Each round does (b) and (a) on the demo database and (a) on a
//! database with `--seed-sales` earlier sales, seeded in bulk (see `seed`), in an order
//! that rotates every round, so disk and CPU noise hits every side alike. Not part of the
//! test suite; results go into BENCHMARKS.md by hand.
//!
//! `cargo run -p kassa-bench --release -- [--dir DIR] [--sales N] [--seed-sales M]`

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use clap::Parser;
use kassa_app::{Actor, Kassa, ProductInput, SaleStatus, SaleUnit, StorePrice, SystemClock, VatCategory};
use kassa_core::journal::{ChainHash, canonical_json, chain_hash};
use rusqlite::{Connection, params};
use serde_json::Value;

#[derive(Parser)]
#[command(about = "Sale commit vs bare INSERT (WAL, synchronous=FULL) on a real disk")]
struct Args {
    /// Directory for the databases; must not be a tmpfs. Default: $HOME/.cache/kassa-bench.
    #[arg(long)]
    dir: Option<PathBuf>,
    /// Measured sales (and bare INSERTs) per phase.
    #[arg(long, default_value_t = 500)]
    sales: usize,
    /// Earlier sales seeded for the second phase (0 skips it).
    #[arg(long, default_value_t = 1_000_000)]
    seed_sales: u64,
    /// Keep the database files afterwards.
    #[arg(long)]
    keep: bool,
}

const SKUS: [&str; 3] = ["B-KAFFE", "B-BULLE", "B-KOPP"];
const WARMUP: usize = 20;

fn main() -> Result<()> {
    let args = Args::parse();
    let dir = match args.dir.clone() {
        Some(d) => d,
        None => {
            PathBuf::from(std::env::var_os("HOME").context("HOME is not set")?).join(".cache/kassa-bench")
        }
    };
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let dir = dir.canonicalize()?;
    let (device, fstype, mount) = mount_of(&dir)?;
    if matches!(fstype.as_str(), "tmpfs" | "ramfs") {
        bail!(
            "{} is on a {fstype} (mounted at {mount}): fsync costs nothing there, so the numbers \
             would mean nothing. Pass --dir on a real disk.",
            dir.display()
        );
    }
    println!(
        "dir: {} (device {device}, {fstype}, mounted at {mount})",
        dir.display()
    );
    println!(
        "pragmas: journal_mode=WAL, foreign_keys=ON; synchronous=FULL for the bare INSERT and pay_cash, \
         NORMAL for the scans (kassa-app's cart writes)"
    );
    println!(
        "measured: {} rounds after {WARMUP} warm-up rounds; each round is one bare INSERT and one sale per \
         database, in rotating order",
        args.sales
    );

    let baseline_path = dir.join("baseline.sqlite3");
    remove_db(&baseline_path)?;
    let baseline = Connection::open(&baseline_path)?;
    configure(&baseline)?;
    baseline.execute_batch(
        "CREATE TABLE t (id INTEGER PRIMARY KEY, at TEXT NOT NULL, payload TEXT NOT NULL) STRICT",
    )?;

    // The demo database as it comes, plus three products.
    let empty_path = dir.join("kassa-empty.sqlite3");
    let (kassa, cashier) = prepare(&empty_path)?;
    let empty_before = sales_count(&empty_path)?;
    let mut tills = vec![(kassa, cashier)];

    // The same with many earlier sales, seeded in bulk.
    let seeded_path = dir.join("kassa-seeded.sqlite3");
    let mut seeded_before = 0;
    if args.seed_sales > 0 {
        let (kassa, cashier) = prepare(&seeded_path)?;
        // One real sale, the template every seeded sale copies.
        let template = ring_up_and_pay(&kassa, &cashier)?.0;
        drop(kassa);
        let started = Instant::now();
        seed(&seeded_path, template, args.seed_sales)?;
        let seeding = started.elapsed();
        // Write the seeded file out now, so its writeback does not slow the measured fsyncs.
        std::fs::File::open(&seeded_path)?.sync_all()?;
        let size = std::fs::metadata(&seeded_path)?.len();
        println!(
            "seeded {} sales in {:.1} s; database file {:.2} GB",
            args.seed_sales,
            seeding.as_secs_f64(),
            size as f64 / 1e9
        );
        let started = Instant::now();
        let kassa = Kassa::open(&seeded_path)?;
        let cashier = kassa.login("cashier", "2222")?.0;
        let opened = started.elapsed();
        let started = Instant::now();
        let journal = kassa.verify_journal(&cashier)?;
        println!(
            "reopened (incl. quick_check) in {:.1} s; journal verify: ok={} length={} in {:.1} s",
            opened.as_secs_f64(),
            journal.ok,
            journal.length,
            started.elapsed().as_secs_f64()
        );
        if !journal.ok {
            bail!("the seeded journal does not verify: {:?}", journal.problem);
        }
        seeded_before = sales_count(&seeded_path)?;
        tills.push((kassa, cashier));
    }

    // One round: a bare INSERT and a sale on each database, in an order that rotates, so
    // disk and CPU noise from anything else on the machine hits every side alike.
    let (base, base_cpu, samples) = measure(&tills, &baseline, args.sales)?;
    drop(tills);
    report(
        &format!("demo database ({empty_before} earlier sales)"),
        &base,
        &base_cpu,
        &samples[0],
    );
    if let Some(seeded) = samples.get(1) {
        report(
            &format!("seeded database ({seeded_before} earlier sales)"),
            &base,
            &base_cpu,
            seeded,
        );
        let empty = &samples[0];
        println!();
        for (name, e, s) in [
            ("pay_cash", &empty.pay, &seeded.pay),
            ("whole-sale", &empty.full, &seeded.full),
        ] {
            let (re, rs) = (ratio(e, &base), ratio(s, &base));
            println!(
                "seeded / empty, {name} ratio: {rs:.2} / {re:.2} = {:.2}x (goal <= 1.2)",
                rs / re
            );
        }
        if !args.keep {
            remove_db(&seeded_path)?;
        }
    }
    if !args.keep {
        remove_db(&empty_path)?;
        drop(baseline);
        remove_db(&baseline_path)?;
    }
    Ok(())
}

/// The pragmas kassa-store's `configure` sets, for the baseline connection.
fn configure(conn: &Connection) -> Result<()> {
    conn.busy_timeout(Duration::from_secs(5))?;
    let mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))?;
    if mode != "wal" {
        bail!("journal_mode is {mode}, not wal");
    }
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    let sync: i64 = conn.query_row("PRAGMA synchronous", [], |r| r.get(0))?;
    if sync != 2 {
        bail!("synchronous is {sync}, not FULL (2)");
    }
    Ok(())
}

/// (device, filesystem type, mount point) of the mount holding `dir`: the longest mount
/// point in /proc/mounts that is a prefix of it.
fn mount_of(dir: &Path) -> Result<(String, String, String)> {
    let mounts = std::fs::read_to_string("/proc/mounts").context("reading /proc/mounts")?;
    let mut best: Option<(String, String, String)> = None;
    for line in mounts.lines() {
        let f: Vec<&str> = line.split_whitespace().collect();
        if f.len() < 3 {
            continue;
        }
        let point = f[1].replace("\\040", " ");
        if dir.starts_with(&point) && best.as_ref().is_none_or(|b| point.len() >= b.2.len()) {
            best = Some((f[0].to_owned(), f[2].to_owned(), point));
        }
    }
    best.context("no mount in /proc/mounts holds the directory")
}

fn remove_db(path: &Path) -> Result<()> {
    for suffix in ["", "-wal", "-shm"] {
        let mut p = path.as_os_str().to_owned();
        p.push(suffix);
        match std::fs::remove_file(&p) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e).with_context(|| format!("removing {}", PathBuf::from(&p).display())),
        }
    }
    Ok(())
}

/// A fresh demo database with three products and an open shift.
fn prepare(path: &Path) -> Result<(Kassa, Actor)> {
    remove_db(path)?;
    let kassa = Kassa::create_demo(path, Arc::new(SystemClock))?;
    let manager = kassa.login("manager", "1234")?.0;
    let store = kassa
        .list_stores(&manager)?
        .into_iter()
        .find(|s| s.name == "Malmö C")
        .context("the demo store Malmö C")?
        .id;
    for (sku, price, vat) in [
        (SKUS[0], "24.90", VatCategory::Reduced),
        (SKUS[1], "32.50", VatCategory::Reduced),
        (SKUS[2], "149.00", VatCategory::Standard),
    ] {
        let input = ProductInput {
            sku: sku.into(),
            name: sku.into(),
            category: Some("Bench".into()),
            vat_category: vat,
            unit: SaleUnit::Each,
            active: true,
            barcodes: vec![],
            prices: vec![StorePrice {
                store_id: store,
                price: price.into(),
                currency: String::new(),
            }],
        };
        kassa.save_product(&manager, None, &input)?;
    }
    let cashier = kassa.login("cashier", "2222")?.0;
    kassa.open_shift(&cashier, "500")?;
    Ok((kassa, cashier))
}

fn sales_count(path: &Path) -> Result<i64> {
    Ok(Connection::open(path)?.query_row(
        "SELECT count(*) FROM sales WHERE status = 'completed'",
        [],
        |r| r.get(0),
    )?)
}

/// What one sale cost: wall and CPU time of its three scans together, of `pay_cash`, and
/// of the whole sale.
#[derive(Clone, Copy)]
struct SaleCost {
    scans: Duration,
    scans_cpu: Duration,
    pay: Duration,
    pay_cpu: Duration,
}

impl SaleCost {
    fn whole(&self) -> Duration {
        self.scans + self.pay
    }
    fn whole_cpu(&self) -> Duration {
        self.scans_cpu + self.pay_cpu
    }
}

/// Rings up the three products and pays cash.
fn ring_up_and_pay(kassa: &Kassa, cashier: &Actor) -> Result<(i64, SaleCost)> {
    let c0 = thread_cpu();
    let t0 = Instant::now();
    let mut id = 0;
    for sku in SKUS {
        id = kassa.add_item(cashier, sku, None)?.id;
    }
    let c1 = thread_cpu();
    let t1 = Instant::now();
    let sale = kassa.pay_cash(cashier, id, "1000")?;
    let t2 = Instant::now();
    let c2 = thread_cpu();
    if sale.status != SaleStatus::Completed {
        bail!("sale {id} did not complete: {:?}", sale.status);
    }
    Ok((
        id,
        SaleCost {
            scans: t1 - t0,
            scans_cpu: c1 - c0,
            pay: t2 - t1,
            pay_cpu: c2 - c1,
        },
    ))
}

/// CPU time (user + system) this thread has used so far. `CLOCK_THREAD_CPUTIME_ID` is the
/// scheduler's exact runtime; `getrusage` splits it by tick samples and can stand still
/// over a sub-millisecond commit.
fn thread_cpu() -> Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime only writes the struct it is given.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

/// One bare INSERT transaction: (wall time, CPU time).
fn bare_insert(conn: &Connection, i: usize) -> Result<(Duration, Duration)> {
    let payload = format!("{i:08} a row about as long as a short sale summary, 64 bytes");
    let c0 = thread_cpu();
    let t0 = Instant::now();
    conn.execute_batch("BEGIN IMMEDIATE")?;
    conn.prepare_cached("INSERT INTO t (at, payload) VALUES (?1, ?2)")?
        .execute(params!["2026-11-23T21:00:00Z", payload])?;
    conn.execute_batch("COMMIT")?;
    let took = t0.elapsed();
    Ok((took, thread_cpu() - c0))
}

#[derive(Default)]
struct Samples {
    scans: Vec<Duration>,
    scans_cpu: Vec<Duration>,
    pay: Vec<Duration>,
    pay_cpu: Vec<Duration>,
    full: Vec<Duration>,
    full_cpu: Vec<Duration>,
}

fn measure(
    tills: &[(Kassa, Actor)],
    baseline: &Connection,
    n: usize,
) -> Result<(Vec<Duration>, Vec<Duration>, Vec<Samples>)> {
    let mut base = Vec::with_capacity(n);
    let mut base_cpu = Vec::with_capacity(n);
    let mut samples: Vec<Samples> = tills.iter().map(|_| Samples::default()).collect();
    let sides = tills.len() + 1;
    for i in 0..WARMUP + n {
        for k in 0..sides {
            let side = (i + k) % sides;
            if side == 0 {
                let (wall, cpu) = bare_insert(baseline, i)?;
                if i >= WARMUP {
                    base.push(wall);
                    base_cpu.push(cpu);
                }
            } else {
                let (kassa, cashier) = &tills[side - 1];
                let (_, cost) = ring_up_and_pay(kassa, cashier)?;
                if i >= WARMUP {
                    let s = &mut samples[side - 1];
                    s.scans.push(cost.scans);
                    s.scans_cpu.push(cost.scans_cpu);
                    s.pay.push(cost.pay);
                    s.pay_cpu.push(cost.pay_cpu);
                    s.full.push(cost.whole());
                    s.full_cpu.push(cost.whole_cpu());
                }
            }
        }
    }
    Ok((base, base_cpu, samples))
}

fn pct(v: &[Duration], p: usize) -> Duration {
    let mut v = v.to_vec();
    v.sort();
    v[(v.len() * p / 100).min(v.len() - 1)]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Ratio of medians.
fn ratio(a: &[Duration], b: &[Duration]) -> f64 {
    pct(a, 50).as_secs_f64() / pct(b, 50).as_secs_f64()
}

fn report(label: &str, base: &[Duration], base_cpu: &[Duration], s: &Samples) {
    println!();
    println!("== {label}");
    println!("{:>40}  {:>10} {:>10} {:>12}", "", "median", "p90", "CPU median");
    for (name, v, cpu) in [
        ("bare INSERT txn (1 commit, FULL)", base, base_cpu),
        ("3 scans (3 add_item commits, NORMAL)", &s.scans, &s.scans_cpu),
        ("pay_cash (1 commit, FULL)", &s.pay, &s.pay_cpu),
        ("whole sale (3 scans + pay_cash)", &s.full, &s.full_cpu),
    ] {
        println!(
            "{name:>40}: {:7.3} ms {:7.3} ms {:9.3} ms",
            ms(pct(v, 50)),
            ms(pct(v, 90)),
            ms(pct(cpu, 50)),
        );
    }
    let cpu_ratio = |a: &[Duration]| ratio(a, base_cpu);
    println!(
        "ratio (medians) pay_cash / bare INSERT = {:.2} (goal <= 1.5), CPU {:.3} ms vs {:.3} ms = {:.2}x",
        ratio(&s.pay, base),
        ms(pct(&s.pay_cpu, 50)),
        ms(pct(base_cpu, 50)),
        cpu_ratio(&s.pay_cpu)
    );
    println!(
        "ratio (medians) whole sale / bare INSERT = {:.2} (goal <= 1.5), CPU {:.3} ms vs {:.3} ms = {:.2}x",
        ratio(&s.full, base),
        ms(pct(&s.full_cpu, 50)),
        ms(pct(base_cpu, 50)),
        cpu_ratio(&s.full_cpu)
    );
}

/// Seeds `count` completed sales after the template sale, in transactions of 10,000,
/// straight into the tables with SQL: each copies the template's sale row, its three
/// lines and its cash tender (with a unique reference), takes the next receipt number,
/// and appends a journal record built like kassa-app's (the template's record with the
/// sale id, receipt number and code changed), chained with kassa_core::journal. The
/// sales go into closed historical shifts of 1,000 sales each. Outbox messages are not
/// seeded: a synced till has delivered them. Seeding runs with synchronous=NORMAL (it is
/// setup, not measured); the WAL is checkpointed and truncated before measuring.
fn seed(path: &Path, template: i64, count: u64) -> Result<()> {
    let mut conn = Connection::open(path)?;
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    conn.pragma_update(None, "cache_size", -200_000)?;
    let (pos_id, store_id, receipt_no): (i64, i64, i64) = conn.query_row(
        "SELECT pos_id, store_id, receipt_no FROM sales WHERE id = ?1",
        [template],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
    )?;
    let last_no: i64 = conn.query_row(
        "SELECT last_no FROM receipt_counters WHERE pos_id = ?1",
        [pos_id],
        |r| r.get(0),
    )?;
    if last_no != receipt_no {
        bail!("the template must be the till's last receipt ({last_no} vs {receipt_no})");
    }
    let (seq, hash, canonical): (i64, String, Vec<u8>) = conn.query_row(
        "SELECT seq, hash, canonical FROM journal ORDER BY seq DESC LIMIT 1",
        [],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
    )?;
    let record: Value = serde_json::from_slice(&canonical)?;
    if record["event"]["saleId"].as_i64() != Some(template) {
        bail!("the journal's last record is not the template sale: {record}");
    }
    let code = |no: i64| {
        kassa_core::receipt::ReceiptCode::new(store_id as u32, pos_id as u32, no as u64)
            .map(|c| Value::String(c.to_string()))
            .unwrap_or(Value::Null)
    };
    if record["event"]["receiptCode"] != code(receipt_no) {
        bail!(
            "receipt codes are not made the way this seeder makes them: {}",
            record["event"]["receiptCode"]
        );
    }
    let mut prev: ChainHash = hash.parse().map_err(|e| anyhow::anyhow!("journal head: {e}"))?;
    let mut seq = seq;
    let first_id: i64 = conn.query_row("SELECT max(id) + 1 FROM sales", [], |r| r.get(0))?;
    let batch = 10_000u64;
    let started = Instant::now();
    let mut done = 0u64;
    let mut shift = 0i64;
    while done < count {
        let tx = conn.transaction()?;
        {
            let mut sale = tx.prepare_cached(
                "INSERT INTO sales (id, kind, status, store_id, pos_id, shift_id, cashier_id, currency, customer_ref, \
                   original_sale_id, correction, reason, approved_by, order_discount, receipt_no, total_minor, vat_minor, \
                   discount_minor, rounding_minor, change_minor, created_at, updated_at, completed_at, voided_at, voided_by) \
                 SELECT ?1, kind, status, store_id, pos_id, ?2, cashier_id, currency, customer_ref, original_sale_id, \
                   correction, reason, approved_by, order_discount, ?3, total_minor, vat_minor, discount_minor, \
                   rounding_minor, change_minor, created_at, updated_at, completed_at, voided_at, voided_by \
                 FROM sales WHERE id = ?4",
            )?;
            let mut lines = tx.prepare_cached(
                "INSERT INTO sale_lines (sale_id, line_no, product_id, sku, name, barcode, unit, quantity, \
                   unit_price_minor, catalog_price_minor, price_override_by, vat_rate, discount, discount_minor, \
                   total_minor, original_line_id) \
                 SELECT ?1, line_no, product_id, sku, name, barcode, unit, quantity, unit_price_minor, \
                   catalog_price_minor, price_override_by, vat_rate, discount, discount_minor, total_minor, original_line_id \
                 FROM sale_lines WHERE sale_id = ?2",
            )?;
            let mut tenders = tx.prepare_cached(
                "INSERT INTO tenders (sale_id, method, amount_minor, status, reference, original_tender_id, detail, \
                   created_at, resolved_at) \
                 SELECT ?1, method, amount_minor, status, 'SEED-' || ?1 || '-' || id, original_tender_id, detail, \
                   created_at, resolved_at FROM tenders WHERE sale_id = ?2",
            )?;
            let mut shifts = tx.prepare_cached(
                "INSERT INTO shifts (pos_id, currency, opened_by, opened_at, float_minor, closed_by, closed_at, \
                   expected_minor, counted_minor, difference_minor) \
                 SELECT pos_id, currency, opened_by, opened_at, float_minor, opened_by, opened_at, float_minor, \
                   float_minor, 0 FROM shifts WHERE id = (SELECT shift_id FROM sales WHERE id = ?1)",
            )?;
            let mut journal = tx.prepare_cached(
                "INSERT INTO journal (seq, at, kind, canonical, hash) VALUES (?1, ?2, ?3, ?4, ?5)",
            )?;
            let end = (done + batch).min(count);
            for i in done..end {
                if i % 1000 == 0 {
                    shifts.execute([template])?;
                    shift = tx.last_insert_rowid();
                }
                let id = first_id + i as i64;
                let no = receipt_no + 1 + i as i64;
                sale.execute(params![id, shift, no, template])?;
                lines.execute(params![id, template])?;
                tenders.execute(params![id, template])?;
                seq += 1;
                let mut r = record.clone();
                r["seq"] = seq.into();
                let ev = &mut r["event"];
                ev["saleId"] = id.into();
                ev["shiftId"] = shift.into();
                ev["receiptNo"] = no.into();
                ev["receiptCode"] = code(no);
                ev["signature"]["nr"] = no.to_string().into();
                let bytes = canonical_json(&r);
                prev = chain_hash(&prev, &bytes);
                journal.execute(params![seq, r["at"].as_str(), "sale", bytes, prev.to_string()])?;
            }
            done = end;
        }
        tx.execute(
            "UPDATE receipt_counters SET last_no = ?2 WHERE pos_id = ?1",
            params![pos_id, receipt_no + done as i64],
        )?;
        tx.commit()?;
        let rate = done as f64 / started.elapsed().as_secs_f64();
        eprint!(
            "\rseeding: {done}/{count} sales ({:.0}%), {rate:.0}/s, ~{:.0} s left   ",
            done as f64 * 100.0 / count as f64,
            (count - done) as f64 / rate
        );
        std::io::stderr().flush().ok();
    }
    eprintln!();
    // The seeded sales are older than the open shift's sales-to-come; the open shift keeps
    // its id, so the till's current shift is unchanged.
    // No ANALYZE: kassa never runs it, so the query plans stay the ones a till would use.
    conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE);")?;
    Ok(())
}
