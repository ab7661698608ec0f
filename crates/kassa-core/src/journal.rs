//! The fiscal journal's hash chain, as pure functions: the canonical bytes a record is
//! stored as, the hash that links it to the record before, and the check that the
//! stored chain is whole, unaltered and matches every Z report's anchor.
//!
//! Each record's hash is `SHA-256(previous hash || canonical bytes)`, starting from 32
//! zero bytes. Editing a record breaks its hash; recomputing every hash after an edit,
//! or deleting the newest records, still passes that check, which is why each Z report
//! also records (and prints) the chain's length and head hash: an anchor pins the chain
//! from outside the rows that can be rewritten.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use rust_decimal::Decimal;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::money::Money;

/// The canonical bytes of a journal record: the same value always gives the same bytes,
/// so a hash computed when it was written can be recomputed from what is stored.
///
/// For the values the journal holds (strings, integers, booleans, null, arrays and
/// objects) these are the bytes of the JSON Canonicalization Scheme (RFC 8785), so any
/// JCS implementation can recompute a record's hash:
///
/// - Object keys are sorted by their UTF-16 code units, as RFC 8785 § 3.2.3 requires,
///   whatever order the map kept them in. (This differs from code point order only for
///   keys mixing characters above U+FFFF with ones in U+E000–U+FFFF.)
/// - No whitespace anywhere.
/// - Strings are escaped as JSON requires and no more: `"` `\` and control characters
///   (`\n`, `\t`… and `\u00XX` for the rest); everything else, including non-ASCII, is
///   written as UTF-8.
/// - Numbers are written as serde_json holds them, which for integers within ±2^53 is
///   what RFC 8785 asks for.
///
/// **Amounts in journal payloads are strings ("12.50") or integers of minor units
/// (1250), never floats:** a float's text form is not something to sign, and RFC 8785's
/// float formatting is not reproduced here.
pub fn canonical_json(value: &Value) -> Vec<u8> {
    let mut out = Vec::new();
    write_canonical(value, &mut out);
    out
}

fn write_canonical(value: &Value, out: &mut Vec<u8>) {
    match value {
        Value::Null => out.extend_from_slice(b"null"),
        Value::Bool(true) => out.extend_from_slice(b"true"),
        Value::Bool(false) => out.extend_from_slice(b"false"),
        Value::Number(n) => out.extend_from_slice(n.to_string().as_bytes()),
        Value::String(s) => write_string(s, out),
        Value::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_canonical(item, out);
            }
            out.push(b']');
        }
        Value::Object(map) => {
            // serde_json's map is ordered by key unless a dependency turns on
            // "preserve_order" somewhere in the build, so sort here regardless.
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            entries.sort_by(|a, b| a.0.encode_utf16().cmp(b.0.encode_utf16()));
            out.push(b'{');
            for (i, (key, item)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_string(key, out);
                out.push(b':');
                write_canonical(item, out);
            }
            out.push(b'}');
        }
    }
}

fn write_string(s: &str, out: &mut Vec<u8>) {
    // Straight into the buffer: a String per value was a tenth of a sale's commit.
    serde_json::to_writer(&mut *out, s).expect("serializing a str to JSON cannot fail");
}

/// A SHA-256 hash in the journal chain. Written as 64 lower-case hex digits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ChainHash([u8; 32]);

impl ChainHash {
    /// The "previous hash" of the first record: 32 zero bytes.
    pub const GENESIS: ChainHash = ChainHash([0; 32]);

    /// A hash from its 32 bytes.
    pub const fn from_bytes(bytes: [u8; 32]) -> ChainHash {
        ChainHash(bytes)
    }

    /// The 32 bytes.
    pub const fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

/// A text that is not 64 hex digits.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{input:?} is not a journal hash: expected 64 hexadecimal digits (a SHA-256)")]
pub struct InvalidChainHash {
    /// The text as given.
    pub input: String,
}

impl fmt::Display for ChainHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&hex::encode(self.0))
    }
}

impl FromStr for ChainHash {
    type Err = InvalidChainHash;

    /// Parses 64 hex digits, either case (a Z report's head may be typed back from
    /// paper); nothing else, not even surrounding spaces.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let mut bytes = [0u8; 32];
        hex::decode_to_slice(s, &mut bytes).map_err(|_| InvalidChainHash { input: s.to_owned() })?;
        Ok(ChainHash(bytes))
    }
}

impl Serialize for ChainHash {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for ChainHash {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer)?
            .parse()
            .map_err(serde::de::Error::custom)
    }
}

/// The hash of a record: `SHA-256(prev || canonical)`.
pub fn chain_hash(prev: &ChainHash, canonical: &[u8]) -> ChainHash {
    let mut hasher = Sha256::new();
    hasher.update(prev.0);
    hasher.update(canonical);
    ChainHash(hasher.finalize().into())
}

/// One journal row as stored: its sequence number, exact bytes and hash (hex).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredRecord {
    pub seq: i64,
    pub canonical: Vec<u8>,
    pub hash: String,
}

/// A point the chain was pinned at, such as a Z report: the chain had `length` records
/// and the last one's hash was `head` (hex).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Anchor {
    /// What made the anchor, for the error message ("Z 3").
    pub label: String,
    pub length: i64,
    pub head: String,
}

/// How many hex digits of the head hash X and Z reports print beside the sequence number:
/// 64 bits, short enough to copy from paper, far too many to match by rewriting records.
pub const SHORT_HEAD_DIGITS: usize = 16;

/// The fewest hex digits of a head hash an anchor typed back from paper may give.
pub const MIN_HEAD_DIGITS: usize = 8;

/// The anchor as a report prints it, `SEQ:HEAD` with the head shortened to
/// [`SHORT_HEAD_DIGITS`]; `kassa journal verify --head` reads it back.
pub fn printed_anchor(length: i64, head: &str) -> String {
    let short: String = head.chars().take(SHORT_HEAD_DIGITS).collect();
    format!("{length}:{short}")
}

/// A `SEQ:HEAD` text that is not an anchor.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "{input:?} is not a journal anchor: write it as printed on an X or Z report, SEQ:HEAD, \
     the record's sequence number and at least {MIN_HEAD_DIGITS} hex digits of its hash (e.g. 42:1f0c9a7be2d34c51)"
)]
pub struct InvalidAnchor {
    pub input: String,
}

impl Anchor {
    /// Reads an anchor kept outside the database (`SEQ:HEAD`, as printed on a report),
    /// where `HEAD` is the whole hash or a prefix of at least [`MIN_HEAD_DIGITS`] digits.
    pub fn parse_printed(label: impl Into<String>, text: &str) -> Result<Anchor, InvalidAnchor> {
        let invalid = || InvalidAnchor {
            input: text.to_owned(),
        };
        let (seq, head) = text.trim().split_once(':').ok_or_else(invalid)?;
        let length: i64 = seq.trim().parse().ok().filter(|n| *n >= 0).ok_or_else(invalid)?;
        let head = head.trim().to_ascii_lowercase();
        if !(MIN_HEAD_DIGITS..=64).contains(&head.len()) || !head.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(invalid());
        }
        Ok(Anchor {
            label: label.into(),
            length,
            head,
        })
    }
}

/// An anchor's head: the whole hash, or (typed back from paper) a prefix of it.
enum AnchorHead {
    Whole(ChainHash),
    Prefix(String),
}

impl AnchorHead {
    fn parse(text: &str) -> Option<AnchorHead> {
        if let Ok(hash) = text.parse::<ChainHash>() {
            return Some(AnchorHead::Whole(hash));
        }
        let ok = (MIN_HEAD_DIGITS..64).contains(&text.len()) && text.bytes().all(|b| b.is_ascii_hexdigit());
        ok.then(|| AnchorHead::Prefix(text.to_ascii_lowercase()))
    }

    fn matches(&self, actual: &ChainHash) -> bool {
        match self {
            AnchorHead::Whole(hash) => hash == actual,
            AnchorHead::Prefix(prefix) => actual.to_string().starts_with(prefix.as_str()),
        }
    }

    fn text(&self) -> String {
        match self {
            AnchorHead::Whole(hash) => hash.to_string(),
            AnchorHead::Prefix(prefix) => format!("{prefix}…"),
        }
    }
}

/// A chain that verified: its length and the last record's hash (GENESIS when empty).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChainSummary {
    pub length: i64,
    pub head: ChainHash,
}

/// The first thing wrong with a journal.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChainError {
    /// Sequence numbers skip: records were deleted. `after_seq` is 0 when the first
    /// record is not number 1.
    #[error("{}", describe_gap(*.after_seq, *.next_seq))]
    Gap { after_seq: i64, next_seq: i64 },
    /// A sequence number repeats or goes backwards.
    #[error(
        "journal record {next_seq} comes after record {after_seq}: records are duplicated, renumbered or read out of order"
    )]
    OutOfOrder { after_seq: i64, next_seq: i64 },
    /// The stored hash is not the hash of the record's bytes over the previous hash.
    #[error(
        "journal record {seq} fails its hash check: the record or its hash was altered, or the record before it was rewritten"
    )]
    BadHash { seq: i64 },
    /// An anchor (Z report) does not match the chain.
    #[error("the journal does not match {label}'s anchor at record {length}: {reason}")]
    AnchorBroken {
        label: String,
        length: i64,
        reason: String,
    },
}

fn describe_gap(after_seq: i64, next_seq: i64) -> String {
    if after_seq == 0 {
        format!("the journal starts at record {next_seq} instead of 1: the records before it were deleted")
    } else if next_seq == after_seq + 2 {
        format!(
            "the journal jumps from record {after_seq} to record {next_seq}: record {} was deleted",
            after_seq + 1
        )
    } else {
        format!(
            "the journal jumps from record {after_seq} to record {next_seq}: records {} to {} were deleted",
            after_seq + 1,
            next_seq - 1
        )
    }
}

impl ChainError {
    /// A stable, machine-readable name for the kind of error.
    pub fn code(&self) -> &'static str {
        match self {
            ChainError::Gap { .. } => "gap",
            ChainError::OutOfOrder { .. } => "out_of_order",
            ChainError::BadHash { .. } => "bad_hash",
            ChainError::AnchorBroken { .. } => "anchor_broken",
        }
    }
}

/// Checks a whole journal, read in sequence order, against its anchors.
///
/// In order: sequence numbers start at 1 and have no gaps; every stored hash equals the
/// hash recomputed from the record's bytes and the previous hash; then every anchor,
/// lowest length first: the record at its length exists and has its head hash. The
/// first problem found is returned, naming the record or the anchor.
///
/// Records are streamed; only the hashes at anchored lengths are kept.
pub fn verify_chain(
    records: impl IntoIterator<Item = StoredRecord>,
    anchors: &[Anchor],
) -> Result<ChainSummary, ChainError> {
    let mut wanted: BTreeMap<i64, ChainHash> = BTreeMap::new();
    let anchored: std::collections::BTreeSet<i64> = anchors.iter().map(|a| a.length).collect();
    let mut prev = ChainHash::GENESIS;
    let mut length = 0i64;
    for record in records {
        if record.seq <= length {
            return Err(ChainError::OutOfOrder {
                after_seq: length,
                next_seq: record.seq,
            });
        }
        if record.seq != length + 1 {
            return Err(ChainError::Gap {
                after_seq: length,
                next_seq: record.seq,
            });
        }
        let expected = chain_hash(&prev, &record.canonical);
        match record.hash.parse::<ChainHash>() {
            Ok(stored) if stored == expected => {}
            _ => return Err(ChainError::BadHash { seq: record.seq }),
        }
        length = record.seq;
        prev = expected;
        if anchored.contains(&length) {
            wanted.insert(length, expected);
        }
    }

    let mut ordered: Vec<&Anchor> = anchors.iter().collect();
    ordered.sort_by_key(|a| a.length);
    for anchor in ordered {
        let broken = |reason: String| ChainError::AnchorBroken {
            label: anchor.label.clone(),
            length: anchor.length,
            reason,
        };
        let Some(head) = AnchorHead::parse(&anchor.head) else {
            return Err(broken(format!(
                "its head {:?} is not a SHA-256 hash in hex, so the anchor itself was altered",
                anchor.head
            )));
        };
        let actual = match anchor.length {
            n if n < 0 => {
                return Err(broken(format!(
                    "its length {n} is negative, so the anchor itself was altered"
                )));
            }
            0 => ChainHash::GENESIS,
            n if n > length => {
                return Err(broken(format!(
                    "the journal has only {length} records, so records {} to {n} were deleted",
                    length + 1
                )));
            }
            n => wanted[&n],
        };
        if !head.matches(&actual) {
            return Err(broken(format!(
                "record {}'s hash is {actual}, but the anchor recorded {}: records up to {} were rewritten",
                anchor.length,
                head.text(),
                anchor.length
            )));
        }
    }
    Ok(ChainSummary { length, head: prev })
}

/// What a SAF-T Cash Register signature signs for one transaction, kept exactly as it
/// will be signed: `prevSignature;transDate;transTime;nr;transAmntIn;transAmntEx`.
///
/// Built only through [`SafTSignatureFields::new`], which checks every field, so that
/// [`SafTSignatureFields::signature_input`] cannot produce a string the tax authority's
/// verifier would read differently.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct SafTSignatureFields {
    trans_date: String,
    trans_time: String,
    nr: String,
    amount_incl_vat: Money,
    amount_excl_vat: Money,
}

/// The longest transaction number SAF-T allows (`IdentificationString35`).
pub const SAFT_NR_MAX_CHARS: usize = 35;

/// A SAF-T signature field that cannot be signed as given.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SafTFieldError {
    #[error("transaction date {value:?} is not a valid date written YYYY-MM-DD")]
    Date { value: String },
    #[error("transaction time {value:?} is not a valid time written HH:MM:SS (24-hour clock)")]
    Time { value: String },
    #[error("transaction number {value:?} cannot be signed: {reason}")]
    Nr { value: String, reason: &'static str },
    #[error("the amount {which} VAT, {amount}, is not a whole number of hundredths; round it before signing")]
    Amount { which: &'static str, amount: Money },
    #[error("the amounts including and excluding VAT are in different currencies ({incl} and {excl})")]
    CurrencyMismatch {
        incl: crate::currency::Currency,
        excl: crate::currency::Currency,
    },
}

impl SafTSignatureFields {
    /// Checks and keeps the fields: a real calendar date `YYYY-MM-DD`, a time
    /// `HH:MM:SS`, a number of 1 to 35 characters without ';' or control characters
    /// (';' separates the signed fields), and two amounts in one currency that are
    /// exact to two decimals.
    pub fn new(
        trans_date: &str,
        trans_time: &str,
        nr: &str,
        amount_incl_vat: Money,
        amount_excl_vat: Money,
    ) -> Result<SafTSignatureFields, SafTFieldError> {
        if !valid_date(trans_date) {
            return Err(SafTFieldError::Date {
                value: trans_date.to_owned(),
            });
        }
        if !valid_time(trans_time) {
            return Err(SafTFieldError::Time {
                value: trans_time.to_owned(),
            });
        }
        let nr_error = |reason| SafTFieldError::Nr {
            value: nr.to_owned(),
            reason,
        };
        let chars = nr.chars().count();
        if chars == 0 || chars > SAFT_NR_MAX_CHARS {
            return Err(nr_error("it must have 1 to 35 characters"));
        }
        if nr.contains(';') {
            return Err(nr_error("';' separates the signed fields"));
        }
        if nr.chars().any(char::is_control) || nr.trim() != nr {
            return Err(nr_error("it has control characters or surrounding spaces"));
        }
        if amount_incl_vat.currency() != amount_excl_vat.currency() {
            return Err(SafTFieldError::CurrencyMismatch {
                incl: amount_incl_vat.currency(),
                excl: amount_excl_vat.currency(),
            });
        }
        for (which, amount) in [("including", &amount_incl_vat), ("excluding", &amount_excl_vat)] {
            if amount.amount().normalize().scale() > 2 {
                return Err(SafTFieldError::Amount {
                    which,
                    amount: *amount,
                });
            }
        }
        Ok(SafTSignatureFields {
            trans_date: trans_date.to_owned(),
            trans_time: trans_time.to_owned(),
            nr: nr.to_owned(),
            amount_incl_vat,
            amount_excl_vat,
        })
    }

    pub fn trans_date(&self) -> &str {
        &self.trans_date
    }

    pub fn trans_time(&self) -> &str {
        &self.trans_time
    }

    pub fn nr(&self) -> &str {
        &self.nr
    }

    pub fn amount_incl_vat(&self) -> Money {
        self.amount_incl_vat
    }

    pub fn amount_excl_vat(&self) -> Money {
        self.amount_excl_vat
    }

    /// `prev;date;time;nr;in;ex`, amounts with exactly two decimals and a point
    /// (`-12.50`). The first transaction's `prev_signature` is `"0"` in the Norwegian
    /// specification.
    pub fn signature_input(&self, prev_signature: &str) -> String {
        format!(
            "{prev_signature};{};{};{};{};{}",
            self.trans_date,
            self.trans_time,
            self.nr,
            two_decimals(self.amount_incl_vat.amount()),
            two_decimals(self.amount_excl_vat.amount())
        )
    }
}

fn two_decimals(amount: Decimal) -> String {
    let mut amount = amount.normalize();
    if amount.is_zero() {
        amount.set_sign_positive(true);
    }
    // `new` refused more than two decimals, so this only pads.
    amount.rescale(2);
    amount.to_string()
}

fn digits(text: &str) -> Option<u32> {
    if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) {
        text.parse().ok()
    } else {
        None
    }
}

fn valid_date(text: &str) -> bool {
    let parts: Vec<&str> = text.split('-').collect();
    let [y, m, d] = parts[..] else { return false };
    if (y.len(), m.len(), d.len()) != (4, 2, 2) {
        return false;
    }
    let (Some(year), Some(month), Some(day)) = (digits(y), digits(m), digits(d)) else {
        return false;
    };
    let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    let days = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    year >= 1 && (1..=days).contains(&day)
}

fn valid_time(text: &str) -> bool {
    let parts: Vec<&str> = text.split(':').collect();
    let [h, m, s] = parts[..] else { return false };
    if (h.len(), m.len(), s.len()) != (2, 2, 2) {
        return false;
    }
    matches!(
        (digits(h), digits(m), digits(s)),
        (Some(h), Some(m), Some(s)) if h < 24 && m < 60 && s < 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::currency::Currency;
    use serde_json::json;

    /// A chain of `n` records the way the application writes them.
    fn chain(n: i64) -> Vec<StoredRecord> {
        let mut prev = ChainHash::GENESIS;
        (1..=n)
            .map(|seq| {
                let canonical = canonical_json(&json!({
                    "seq": seq,
                    "kind": "sale",
                    "event": { "total": format!("{seq}.50"), "note": "Växel åt kund" },
                }));
                let hash = chain_hash(&prev, &canonical);
                prev = hash;
                StoredRecord {
                    seq,
                    canonical,
                    hash: hash.to_string(),
                }
            })
            .collect()
    }

    fn anchor(label: &str, records: &[StoredRecord], length: i64) -> Anchor {
        Anchor {
            label: label.into(),
            length,
            head: records[usize::try_from(length).unwrap() - 1].hash.clone(),
        }
    }

    /// Rehashes every record from `from` (1-based) on, as an attacker with sqlite3 who
    /// knows the scheme would.
    fn recompute_from(records: &mut [StoredRecord], from: usize) {
        let mut prev = if from == 1 {
            ChainHash::GENESIS
        } else {
            records[from - 2].hash.parse().unwrap()
        };
        for record in &mut records[from - 1..] {
            let hash = chain_hash(&prev, &record.canonical);
            record.hash = hash.to_string();
            prev = hash;
        }
    }

    #[test]
    fn canonical_json_sorts_keys_by_utf16_code_units_as_rfc_8785_does() {
        // U+FFFD is one code unit (0xFFFD); U+1F600 is a surrogate pair starting 0xD83D,
        // so JCS puts the emoji first although its code point is larger.
        let value = json!({ "\u{FFFD}": 1, "\u{1F600}": 2, "a": 3 });
        assert_eq!(
            String::from_utf8(canonical_json(&value)).unwrap(),
            "{\"a\":3,\"\u{1F600}\":2,\"\u{FFFD}\":1}"
        );
    }

    #[test]
    fn canonical_json_is_sorted_compact_and_escaped() {
        let value = json!({
            "seq": 1,
            "b": [true, null, -5, "x"],
            "a": { "z": "\"quoted\" \\ back\nslash\u{1}", "ä": "å", "B": 0 },
        });
        assert_eq!(
            String::from_utf8(canonical_json(&value)).unwrap(),
            r#"{"a":{"B":0,"z":"\"quoted\" \\ back\nslash\u0001","ä":"å"},"b":[true,null,-5,"x"],"seq":1}"#
        );
        // Same value, keys inserted in another order: same bytes.
        let mut map = serde_json::Map::new();
        map.insert("seq".into(), json!(1));
        map.insert(
            "a".into(),
            json!({ "B": 0, "ä": "å", "z": "\"quoted\" \\ back\nslash\u{1}" }),
        );
        map.insert("b".into(), json!([true, null, -5, "x"]));
        assert_eq!(canonical_json(&Value::Object(map)), canonical_json(&value));
    }

    #[test]
    fn first_hash_matches_a_known_sha256_vector() {
        let canonical = canonical_json(&json!({
            "seq": 1,
            "kind": "sale",
            "at": "2026-11-23T13:05:09Z",
            "event": { "total": "12.50", "total_minor": 1250 },
        }));
        assert_eq!(
            canonical,
            br#"{"at":"2026-11-23T13:05:09Z","event":{"total":"12.50","total_minor":1250},"kind":"sale","seq":1}"#
        );
        // { head -c 32 /dev/zero; printf '%s' '<the bytes above>'; } | sha256sum
        assert_eq!(
            chain_hash(&ChainHash::GENESIS, &canonical).to_string(),
            "8fa3aa6f09d4a2f8a6716a2cb1fddd83d1eae0bc29b51ae6d80f7d1f29b55c33"
        );
    }

    #[test]
    fn hashes_print_and_parse_as_hex() {
        assert_eq!(ChainHash::GENESIS.to_string(), "0".repeat(64));
        let h = chain_hash(&ChainHash::GENESIS, b"abc");
        assert_eq!(h.to_string().parse(), Ok(h));
        assert_eq!(h.to_string().to_uppercase().parse(), Ok(h));
        assert_eq!(
            serde_json::from_str::<ChainHash>(&serde_json::to_string(&h).unwrap()).unwrap(),
            h
        );
        for bad in [
            "",
            "00",
            &"g".repeat(64),
            &format!(" {}", "0".repeat(64)),
            &"0".repeat(66),
        ] {
            assert!(bad.parse::<ChainHash>().is_err(), "{bad}");
        }
        assert_eq!(
            "xyz".parse::<ChainHash>().unwrap_err().to_string(),
            "\"xyz\" is not a journal hash: expected 64 hexadecimal digits (a SHA-256)"
        );
    }

    #[test]
    fn an_intact_chain_of_ten_verifies() {
        let records = chain(10);
        let head: ChainHash = records[9].hash.parse().unwrap();
        let anchors = [anchor("Z 1", &records, 4), anchor("Z 2", &records, 10)];
        assert_eq!(
            verify_chain(records, &anchors),
            Ok(ChainSummary { length: 10, head })
        );
        assert_eq!(
            verify_chain(Vec::new(), &[]),
            Ok(ChainSummary {
                length: 0,
                head: ChainHash::GENESIS
            })
        );
        let empty_anchor = Anchor {
            label: "Z 0".into(),
            length: 0,
            head: ChainHash::GENESIS.to_string(),
        };
        assert!(verify_chain(Vec::new(), &[empty_anchor]).is_ok());
    }

    #[test]
    fn a_flipped_byte_names_its_record() {
        let mut records = chain(10);
        records[4].canonical[10] ^= 0x01;
        let err = verify_chain(records, &[]).unwrap_err();
        assert_eq!(err, ChainError::BadHash { seq: 5 });
        assert_eq!(
            err.to_string(),
            "journal record 5 fails its hash check: the record or its hash was altered, or the record before it was rewritten"
        );
    }

    #[test]
    fn an_edited_record_with_its_own_hash_recomputed_breaks_the_next() {
        let mut records = chain(10);
        records[4].canonical =
            canonical_json(&json!({ "seq": 5, "kind": "sale", "event": { "total": "0.00" } }));
        let prev: ChainHash = records[3].hash.parse().unwrap();
        records[4].hash = chain_hash(&prev, &records[4].canonical).to_string();
        assert_eq!(verify_chain(records, &[]), Err(ChainError::BadHash { seq: 6 }));
    }

    #[test]
    fn a_removed_middle_record_is_a_gap() {
        let mut records = chain(10);
        records.remove(5);
        let err = verify_chain(records, &[]).unwrap_err();
        assert_eq!(
            err,
            ChainError::Gap {
                after_seq: 5,
                next_seq: 7
            }
        );
        assert_eq!(
            err.to_string(),
            "the journal jumps from record 5 to record 7: record 6 was deleted"
        );
        let mut records = chain(3);
        records.remove(0);
        assert_eq!(
            verify_chain(records, &[]).unwrap_err().to_string(),
            "the journal starts at record 2 instead of 1: the records before it were deleted"
        );
        let mut records = chain(3);
        records.swap(1, 2);
        assert_eq!(
            verify_chain(records, &[]),
            Err(ChainError::Gap {
                after_seq: 1,
                next_seq: 3
            })
        );
        let mut records = chain(3);
        records.insert(2, records[1].clone());
        assert_eq!(
            verify_chain(records, &[]),
            Err(ChainError::OutOfOrder {
                after_seq: 2,
                next_seq: 2
            })
        );
    }

    #[test]
    fn deleting_the_records_before_an_anchor_breaks_it() {
        let mut records = chain(10);
        let anchors = [anchor("Z 1", &records, 4), anchor("Z 2", &records, 10)];
        records.truncate(7);
        // Without the anchors the shortened chain looks whole.
        assert!(verify_chain(records.clone(), &[]).is_ok());
        let err = verify_chain(records, &anchors).unwrap_err();
        assert_eq!(
            err,
            ChainError::AnchorBroken {
                label: "Z 2".into(),
                length: 10,
                reason: "the journal has only 7 records, so records 8 to 10 were deleted".into()
            }
        );
        assert_eq!(
            err.to_string(),
            "the journal does not match Z 2's anchor at record 10: the journal has only 7 records, so records 8 to 10 were deleted"
        );
    }

    #[test]
    fn rewriting_records_before_an_anchor_with_recomputed_hashes_breaks_it() {
        let mut records = chain(10);
        let anchors = [anchor("Z 2", &records, 8), anchor("Z 1", &records, 3)];
        records[5].canonical =
            canonical_json(&json!({ "seq": 6, "kind": "sale", "event": { "total": "0.00" } }));
        recompute_from(&mut records, 6);
        // Every hash checks out on its own…
        assert!(verify_chain(records.clone(), &[]).is_ok());
        // …but Z 2 pinned record 8's hash; Z 1, before the edit, still holds.
        let err = verify_chain(records.clone(), &anchors).unwrap_err();
        let ChainError::AnchorBroken {
            label,
            length,
            reason,
        } = &err
        else {
            panic!("{err:?}")
        };
        assert_eq!((label.as_str(), *length), ("Z 2", 8));
        assert!(reason.contains("records up to 8 were rewritten"), "{reason}");

        // Rewriting from the start breaks the earliest anchor first.
        let mut records = chain(10);
        records[0].canonical = b"{}".to_vec();
        recompute_from(&mut records, 1);
        assert!(matches!(
            verify_chain(records, &anchors),
            Err(ChainError::AnchorBroken { length: 3, .. })
        ));
    }

    #[test]
    fn a_malformed_anchor_is_reported() {
        let records = chain(3);
        let mut bad = anchor("Z 1", &records, 3);
        bad.head = "not a hash".into();
        assert!(matches!(
            verify_chain(records.clone(), &[bad]),
            Err(ChainError::AnchorBroken { reason, .. }) if reason.contains("not a SHA-256")
        ));
        let mut negative = anchor("Z 1", &records, 3);
        negative.length = -1;
        assert!(matches!(
            verify_chain(records, &[negative]),
            Err(ChainError::AnchorBroken { length: -1, .. })
        ));
    }

    #[test]
    fn a_printed_anchor_reads_back_and_pins_the_chain_by_its_prefix() {
        let mut records = chain(10);
        let printed = printed_anchor(10, &records[9].hash);
        assert_eq!(printed.len(), "10:".len() + SHORT_HEAD_DIGITS);
        let anchor = Anchor::parse_printed("the head given", &printed).unwrap();
        assert!(verify_chain(records.clone(), std::slice::from_ref(&anchor)).is_ok());
        // Typed in capitals, or with only the first eight digits: still the same anchor.
        let upper = Anchor::parse_printed("h", &printed.to_uppercase()).unwrap();
        let eight = Anchor::parse_printed("h", &printed[..3 + MIN_HEAD_DIGITS]).unwrap();
        assert!(verify_chain(records.clone(), &[upper, eight]).is_ok());

        // The tail deleted: the anchor names the records that are missing.
        records.truncate(7);
        assert!(verify_chain(records.clone(), &[]).is_ok());
        assert_eq!(
            verify_chain(records.clone(), std::slice::from_ref(&anchor))
                .unwrap_err()
                .to_string(),
            "the journal does not match the head given's anchor at record 10: the journal has only 7 records, \
             so records 8 to 10 were deleted"
        );
        // An anchor of another chain at a length that exists fails on its hash.
        let other = Anchor::parse_printed("h", &format!("7:{}", "0".repeat(16))).unwrap();
        assert!(matches!(
            verify_chain(records, &[other]),
            Err(ChainError::AnchorBroken { reason, .. }) if reason.contains("were rewritten")
        ));

        for bad in [
            "",
            "10",
            "10:",
            "x:1f0c9a7b",
            "-1:1f0c9a7b",
            "10:1f0c9a7",
            "10:1f0c9a7g",
            &format!("1:{}", "a".repeat(65)),
        ] {
            assert!(Anchor::parse_printed("h", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_stored_hash_that_is_not_hex_is_a_bad_hash() {
        let mut records = chain(3);
        records[1].hash = "garbage".into();
        assert_eq!(verify_chain(records, &[]), Err(ChainError::BadHash { seq: 2 }));
    }

    fn nok(minor: i64) -> Money {
        Money::from_minor(minor, Currency::NOK)
    }

    #[test]
    fn saft_signature_input() {
        // The transaction of the Norwegian example file: nr 1000, 86.40 incl. and 75.12
        // excl. VAT on 2020-01-01 at 09:00:00; the first signature signs over "0".
        let fields =
            SafTSignatureFields::new("2020-01-01", "09:00:00", "1000", nok(8640), nok(7512)).unwrap();
        assert_eq!(
            fields.signature_input("0"),
            "0;2020-01-01;09:00:00;1000;86.40;75.12"
        );
        let refund = SafTSignatureFields::new(
            "2024-02-29",
            "23:59:59",
            "KR000030001000000042",
            Money::new(Decimal::new(-125, 0), Currency::NOK),
            Money::new(Decimal::new(-1000, 1), Currency::NOK),
        )
        .unwrap();
        assert_eq!(
            refund.signature_input("abc="),
            "abc=;2024-02-29;23:59:59;KR000030001000000042;-125.00;-100.00"
        );
        assert_eq!(refund.nr(), "KR000030001000000042");
        let zero = SafTSignatureFields::new("2020-01-01", "00:00:00", "1", -nok(0), nok(0)).unwrap();
        assert_eq!(zero.signature_input("0"), "0;2020-01-01;00:00:00;1;0.00;0.00");
    }

    #[test]
    fn saft_fields_are_checked() {
        let ok = |d: &str, t: &str, nr: &str| SafTSignatureFields::new(d, t, nr, nok(100), nok(80));
        for date in [
            "2023-02-29",
            "2020-13-01",
            "2020-1-01",
            "20-01-01",
            "2020/01/01",
            "2020-01-00",
            "0000-01-01",
            "2020-04-31",
        ] {
            assert!(
                matches!(ok(date, "09:00:00", "1"), Err(SafTFieldError::Date { .. })),
                "{date}"
            );
        }
        assert!(ok("2000-02-29", "09:00:00", "1").is_ok());
        assert!(ok("1900-02-29", "09:00:00", "1").is_err());
        for time in ["24:00:00", "09:60:00", "09:00:60", "9:00:00", "09:00", "09-00-00"] {
            assert!(
                matches!(ok("2020-01-01", time, "1"), Err(SafTFieldError::Time { .. })),
                "{time}"
            );
        }
        for nr in ["", "1;2", " 1", "1\n", &"9".repeat(36)] {
            assert!(
                matches!(ok("2020-01-01", "09:00:00", nr), Err(SafTFieldError::Nr { .. })),
                "{nr:?}"
            );
        }
        let err = SafTSignatureFields::new(
            "2020-01-01",
            "09:00:00",
            "1",
            Money::new(Decimal::new(12345, 3), Currency::NOK),
            nok(1),
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "the amount including VAT, 12.345 NOK, is not a whole number of hundredths; round it before signing"
        );
        assert!(matches!(
            SafTSignatureFields::new(
                "2020-01-01",
                "09:00:00",
                "1",
                nok(1),
                Money::from_minor(1, Currency::DKK)
            ),
            Err(SafTFieldError::CurrencyMismatch { .. })
        ));
    }
}
