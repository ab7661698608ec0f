//! The fiscal journal as the application writes and checks it. Every fiscal event is
//! appended inside the transaction that makes it, so the event and its record commit
//! together; Z reports anchor the chain's length and head, and every X and Z report
//! prints `SEQ:HEAD` so the chain can be pinned from paper too (`journal verify --head`).
//!
//! Verifying checks the chain itself, every anchor, and completeness both ways: every
//! fiscal row (a receipted sale or refund, a void, a shift opened or closed, a cash
//! movement, a receipt copy, a Z report) has its journal record, and every record that
//! names a row names one that exists. Deleting a record and its row together, and
//! resetting the receipt counter, leaves a consistent database; only an anchor kept
//! outside it (a Z report, or the last printed `SEQ:HEAD`) then shows what is missing.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;
use serde_json::{Value, json};

use kassa_core::journal::{
    Anchor, ChainHash, StoredRecord, canonical_json, chain_hash, printed_anchor, verify_chain,
};
use kassa_core::org::Role;
use kassa_store::{Connection, journal, shifts};

use crate::{Actor, AppError, Kassa};

/// The outcome of `journal verify`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct JournalReport {
    pub ok: bool,
    pub length: i64,
    pub head: String,
    /// `SEQ:HEAD` of the journal as it is now, as reports print it.
    pub anchor: String,
    /// Z-report anchors checked, plus the one given with `--head`, if any.
    pub anchors_checked: u32,
    /// Every problem found, most fundamental first: the chain, the anchors, then
    /// fiscal rows without records and records without rows.
    pub problems: Vec<String>,
    /// The problems in one line (the first few), or none.
    pub problem: Option<String>,
}

/// Appends one event. `payload` must hold amounts as strings or integer minor units;
/// the record adds its sequence number, kind and time, and is stored as canonical bytes.
pub(crate) fn append(
    conn: &Connection,
    at: &str,
    kind: &str,
    payload: Value,
) -> Result<(i64, String), AppError> {
    let (prev_seq, prev_hash) = match journal::head(conn)? {
        Some((seq, hash)) => (
            seq,
            hash.parse::<ChainHash>()
                .map_err(|e| AppError::Internal(format!("journal head is unreadable: {e}")))?,
        ),
        None => (0, ChainHash::GENESIS),
    };
    let seq = prev_seq + 1;
    let record = json!({ "seq": seq, "kind": kind, "at": at, "event": payload });
    let bytes = canonical_json(&record);
    let hash = chain_hash(&prev_hash, &bytes).to_string();
    journal::append(conn, seq, at, kind, &bytes, &hash)?;
    Ok((seq, hash))
}

impl Kassa {
    /// Recomputes the whole chain, checks every Z report's anchor, and checks that every
    /// fiscal row has its record and every record its row.
    pub fn verify_journal(&self, actor: &Actor) -> Result<JournalReport, AppError> {
        self.verify_journal_with_head(actor, None)
    }

    /// [`Kassa::verify_journal`], and also `head`: an anchor kept outside the database,
    /// `SEQ:HEAD` as printed on an X or Z report (the head may be shortened to its first
    /// digits), which a deleted tail cannot match.
    pub fn verify_journal_with_head(
        &self,
        actor: &Actor,
        head: Option<&str>,
    ) -> Result<JournalReport, AppError> {
        let external = head
            .map(|text| {
                Anchor::parse_printed("the anchor given (--head)", text)
                    .map_err(|e| AppError::validation("head", e.to_string()))
            })
            .transpose()?;
        self.read(|conn| {
            self.authorize(conn, actor, Role::ALL, "verify the journal")?;
            verify(conn, external)
        })
    }
}

/// At most this many problems are spelled out in `problem`; `problems` has them all.
const PROBLEMS_IN_ONE_LINE: usize = 5;

pub(crate) fn verify(conn: &Connection, external: Option<Anchor>) -> Result<JournalReport, AppError> {
    let mut records = Vec::new();
    let mut named = NamedRows::default();
    let mut problems = Vec::new();
    journal::for_each(conn, |row| {
        named.add(row.seq, &row.kind, &row.canonical, &mut problems);
        records.push(StoredRecord {
            seq: row.seq,
            canonical: row.canonical,
            hash: row.hash,
        })
    })?;
    let mut anchors: Vec<Anchor> = shifts::z_reports(conn, None)?
        .into_iter()
        .map(|z| Anchor {
            label: format!("Z report {} of POS {}", z.z_no, z.pos_id),
            length: z.journal_length,
            head: z.journal_head,
        })
        .collect();
    anchors.extend(external);
    let anchors_checked = anchors.len() as u32;
    let (length, head) = match verify_chain(records, &anchors) {
        Ok(summary) => (summary.length, summary.head.to_string()),
        Err(e) => {
            problems.insert(0, e.to_string());
            journal::head(conn)?.unwrap_or((0, ChainHash::GENESIS.to_string()))
        }
    };
    problems.extend(named.compare(&journal::fiscal_rows(conn)?));
    let problem = (!problems.is_empty()).then(|| {
        let mut line = problems[..problems.len().min(PROBLEMS_IN_ONE_LINE)].join("; ");
        if problems.len() > PROBLEMS_IN_ONE_LINE {
            line.push_str(&format!("; and {} more", problems.len() - PROBLEMS_IN_ONE_LINE));
        }
        line
    });
    Ok(JournalReport {
        ok: problems.is_empty(),
        length,
        anchor: printed_anchor(length, &head),
        head,
        anchors_checked,
        problems,
        problem,
    })
}

/// The kinds of record that complete a sale or refund, as `Kassa::finalize` names them.
const COMPLETIONS: &[&str] = &["sale", "refund", "post_void", "return_without_receipt"];

/// The rows the journal's records name, gathered while the chain streams past.
#[derive(Default)]
struct NamedRows {
    /// sale id → (seq, pos id, receipt no, kind)
    completed: BTreeMap<i64, (i64, i64, i64, String)>,
    voided: BTreeMap<i64, i64>,
    opened: BTreeMap<i64, i64>,
    closed: BTreeMap<i64, i64>,
    movements: BTreeMap<i64, (i64, String)>,
    /// sale id → the records of its copies
    copies: BTreeMap<i64, Vec<i64>>,
    z_reports: BTreeMap<(i64, i64), i64>,
}

impl NamedRows {
    fn add(&mut self, seq: i64, kind: &str, canonical: &[u8], problems: &mut Vec<String>) {
        // Kinds not listed here name no row of their own (a restore) or are newer than
        // this check; the chain still covers them.
        let listed = COMPLETIONS.contains(&kind)
            || matches!(
                kind,
                "void"
                    | "shift_open"
                    | "shift_close"
                    | "cash_in"
                    | "cash_out"
                    | "drawer_open"
                    | "copy"
                    | "z_report"
            );
        if !listed {
            return;
        }
        let event = serde_json::from_slice::<Value>(canonical)
            .ok()
            .and_then(|v| v.get("event").cloned());
        let id = |key: &str| event.as_ref().and_then(|e| e.get(key)).and_then(Value::as_i64);
        let mut duplicate = |what: String, first: i64| {
            problems.push(format!(
                "journal records {first} and {seq} both record {what}: a record was duplicated"
            ))
        };
        match kind {
            _ if COMPLETIONS.contains(&kind) => match (id("saleId"), id("posId"), id("receiptNo")) {
                (Some(sale), Some(pos), Some(no)) => {
                    if let Some(first) = self.completed.insert(sale, (seq, pos, no, kind.to_owned())) {
                        duplicate(format!("the completion of sale {sale}"), first.0);
                    }
                }
                _ => problems.push(format!(
                    "journal record {seq} ({kind}) does not name its sale and receipt"
                )),
            },
            "void" | "shift_open" | "shift_close" => {
                let (map, key, what) = match kind {
                    "void" => (&mut self.voided, "saleId", "the void of sale"),
                    "shift_open" => (&mut self.opened, "shiftId", "the opening of shift"),
                    _ => (&mut self.closed, "shiftId", "the closing of shift"),
                };
                match id(key) {
                    Some(row) => {
                        if let Some(first) = map.insert(row, seq) {
                            duplicate(format!("{what} {row}"), first);
                        }
                    }
                    None => problems.push(format!("journal record {seq} ({kind}) does not name its row")),
                }
            }
            "copy" => match id("saleId") {
                Some(sale) => self.copies.entry(sale).or_default().push(seq),
                None => problems.push(format!("journal record {seq} (copy) does not name its sale")),
            },
            "z_report" => match (id("posId"), id("zNo")) {
                (Some(pos), Some(z)) => {
                    if let Some(first) = self.z_reports.insert((pos, z), seq) {
                        duplicate(format!("Z report {z} of POS {pos}"), first);
                    }
                }
                _ => problems.push(format!(
                    "journal record {seq} (z_report) does not name its report"
                )),
            },
            _ => match id("movementId") {
                Some(m) => {
                    if let Some(first) = self.movements.insert(m, (seq, kind.to_owned())) {
                        duplicate(format!("cash movement {m}"), first.0);
                    }
                }
                None => problems.push(format!(
                    "journal record {seq} ({kind}) does not name its cash movement"
                )),
            },
        }
    }

    /// What the rows and the records disagree on, each way.
    fn compare(mut self, rows: &journal::FiscalRows) -> Vec<String> {
        let mut problems = Vec::new();
        let mut numbers: BTreeMap<i64, BTreeSet<i64>> = BTreeMap::new();
        for (sale, pos, no, kind) in &rows.receipted {
            numbers.entry(*pos).or_default().insert(*no);
            let what = if kind == "sale" { "sale" } else { "refund" };
            match self.completed.remove(sale) {
                None => problems.push(format!(
                    "{what} {sale} (receipt {no} of POS {pos}) has no journal record: its record was deleted"
                )),
                Some((seq, rpos, rno, rkind)) => {
                    let kind_matches = (rkind == "sale") == (kind == "sale");
                    if (rpos, rno) != (*pos, *no) || !kind_matches {
                        problems.push(format!(
                            "{what} {sale} is receipt {no} of POS {pos}, but journal record {seq} records it as \
                             {rkind} receipt {rno} of POS {rpos}: the sale was altered"
                        ));
                    }
                }
            }
        }
        for (sale, (seq, pos, no, kind)) in self.completed {
            problems.push(format!(
                "journal record {seq} ({kind}, receipt {no} of POS {pos}) names sale {sale}, which has no \
                 receipt in the database: the sale was deleted or its number removed"
            ));
        }
        for (pos, last) in &rows.receipt_counters {
            let taken = numbers.remove(pos).unwrap_or_default();
            let missing: Vec<i64> = (1..=*last).filter(|n| !taken.contains(n)).collect();
            if !missing.is_empty() {
                problems.push(format!(
                    "POS {pos} has issued receipts up to {last}, but no sale holds receipt {}: the series is broken",
                    list(&missing)
                ));
            }
            if let Some(beyond) = taken.iter().find(|n| **n > *last) {
                problems.push(format!(
                    "POS {pos}'s receipt counter is at {last}, below receipt {beyond}: the counter was reset"
                ));
            }
        }
        for (pos, taken) in numbers {
            problems.push(format!(
                "POS {pos} has receipts {} but no receipt counter: the counter was deleted",
                list(&taken.into_iter().collect::<Vec<_>>())
            ));
        }
        missing_both_ways(
            &mut problems,
            &rows.voided,
            &mut self.voided,
            "voided sale",
            "a void",
        );
        let opened: Vec<i64> = rows.shifts.iter().map(|(id, _)| *id).collect();
        missing_both_ways(
            &mut problems,
            &opened,
            &mut self.opened,
            "shift",
            "a shift opening",
        );
        let closed: Vec<i64> = rows
            .shifts
            .iter()
            .filter(|(_, c)| *c)
            .map(|(id, _)| *id)
            .collect();
        missing_both_ways(
            &mut problems,
            &closed,
            &mut self.closed,
            "closed shift",
            "a shift closing",
        );
        for (id, kind) in &rows.cash_movements {
            match self.movements.remove(id) {
                None => problems.push(format!(
                    "cash movement {id} ({kind}) has no journal record: its record was deleted"
                )),
                Some((seq, rkind)) if rkind != *kind => problems.push(format!(
                    "cash movement {id} is {kind}, but journal record {seq} records it as {rkind}: the movement was altered"
                )),
                Some(_) => {}
            }
        }
        for (id, (seq, kind)) in self.movements {
            problems.push(format!(
                "journal record {seq} ({kind}) names cash movement {id}, which is not in the database: it was deleted"
            ));
        }
        let mut copies: BTreeMap<i64, usize> = BTreeMap::new();
        for sale in &rows.copies {
            *copies.entry(*sale).or_default() += 1;
        }
        for (sale, count) in &copies {
            let recorded = self.copies.remove(sale).unwrap_or_default();
            if recorded.len() < *count {
                problems.push(format!(
                    "{count} receipt copies of sale {sale} are in the database but the journal records {}: \
                     a record was deleted",
                    recorded.len()
                ));
            } else if recorded.len() > *count {
                problems.push(format!(
                    "the journal records {} receipt copies of sale {sale} (records {}) but the database has {count}: \
                     a copy was deleted",
                    recorded.len(),
                    list(&recorded)
                ));
            }
        }
        for (sale, recorded) in self.copies {
            problems.push(format!(
                "journal records {} name receipt copies of sale {sale}, which has none in the database: \
                 the copies were deleted",
                list(&recorded)
            ));
        }
        for (pos, z) in &rows.z_reports {
            if self.z_reports.remove(&(*pos, *z)).is_none() {
                problems.push(format!(
                    "Z report {z} of POS {pos} has no journal record: its record was deleted"
                ));
            }
        }
        for ((pos, z), seq) in self.z_reports {
            problems.push(format!(
                "journal record {seq} is Z report {z} of POS {pos}, which is not in the database: it was deleted"
            ));
        }
        problems
    }
}

/// Rows of one kind against the records that name them, by id.
fn missing_both_ways(
    problems: &mut Vec<String>,
    rows: &[i64],
    records: &mut BTreeMap<i64, i64>,
    row_name: &str,
    record_name: &str,
) {
    for id in rows {
        if records.remove(id).is_none() {
            problems.push(format!(
                "{row_name} {id} has no journal record of {record_name}: its record was deleted"
            ));
        }
    }
    for (id, seq) in std::mem::take(records) {
        problems.push(format!(
            "journal record {seq} records {record_name} of {row_name} {id}, which is not in the database \
             as such: the row was deleted or altered"
        ));
    }
}

/// "3", "3 and 5", "3, 4 and 9", or "3 to 40" for an unbroken run.
fn list(numbers: &[i64]) -> String {
    match numbers {
        [] => String::new(),
        [one] => one.to_string(),
        [first, .., last] if numbers.windows(2).all(|w| w[1] == w[0] + 1) => format!("{first} to {last}"),
        [init @ .., last] => format!(
            "{} and {last}",
            init.iter().map(i64::to_string).collect::<Vec<_>>().join(", ")
        ),
    }
}
