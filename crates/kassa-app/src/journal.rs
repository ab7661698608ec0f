//! The fiscal journal as the application writes and checks it. Every fiscal event is
//! appended inside the transaction that makes it, so the event and its record commit
//! together; Z reports anchor the chain's length and head.

use serde::Serialize;
use serde_json::{Value, json};

use kassa_core::journal::{Anchor, ChainHash, StoredRecord, canonical_json, chain_hash, verify_chain};
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
    pub anchors_checked: u32,
    /// What is wrong, naming the first bad record or the broken anchor.
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
    /// Recomputes the whole chain and checks every Z report's anchor.
    pub fn verify_journal(&self, actor: &Actor) -> Result<JournalReport, AppError> {
        self.read(|conn| {
            self.authorize(conn, actor, Role::ALL, "verify the journal")?;
            verify(conn)
        })
    }
}

pub(crate) fn verify(conn: &Connection) -> Result<JournalReport, AppError> {
    let mut records = Vec::new();
    journal::for_each(conn, |row| {
        records.push(StoredRecord {
            seq: row.seq,
            canonical: row.canonical,
            hash: row.hash,
        })
    })?;
    let anchors: Vec<Anchor> = shifts::z_reports(conn, None)?
        .into_iter()
        .map(|z| Anchor {
            label: format!("Z report {} of POS {}", z.z_no, z.pos_id),
            length: z.journal_length,
            head: z.journal_head,
        })
        .collect();
    let anchors_checked = anchors.len() as u32;
    Ok(match verify_chain(records, &anchors) {
        Ok(summary) => JournalReport {
            ok: true,
            length: summary.length,
            head: summary.head.to_string(),
            anchors_checked,
            problem: None,
        },
        Err(e) => JournalReport {
            ok: false,
            length: journal::head(conn)?.map(|(seq, _)| seq).unwrap_or(0),
            head: journal::head(conn)?.map(|(_, h)| h).unwrap_or_default(),
            anchors_checked,
            problem: Some(e.to_string()),
        },
    })
}
