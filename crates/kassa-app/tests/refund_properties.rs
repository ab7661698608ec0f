//! Property tests for refunds, voids and post-voids: random sequences of sales (cash,
//! card, split), partial refunds (some deliberately too large), voids of open sales and
//! post-voids of the last sale, on a real SQLite file per case. After every step the
//! database is read directly with rusqlite and these invariants are checked:
//!
//! - per original line, the refunded quantities add up to at most what was sold;
//! - per original tender, the money given back through it is at most what it paid;
//! - per sale, its credit notes' totals (line amounts, as positive numbers) add up to at
//!   most the sale's total, exactly: no allowance at all. Cash rounding lives outside the
//!   total (`rounding_minor`): each credit note's own rounding is at most half a krona
//!   (SEK cash rounds to whole kronor), and the money given back for a sale, cash rounding
//!   included, is at most the money taken for it (`total + rounding`), per tender and in sum;
//! - per sale and VAT rate, the VAT its completed credit notes credit is at most the VAT it
//!   charged, and exactly that once every line is refunded;
//! - receipt numbers per POS are exactly 1..=N with no gaps or duplicates, and the
//!   receipt counter is N;
//! - `verify_journal` is ok.
//!
//! Card refunds (of refunds and post-voids) are approved, declined or cancelled at random;
//! a refund left waiting is retried, given in cash with a manager, voided when it handed
//! nothing back, or left open for later steps, whose limits must still count it. Every case
//! ends by settling what is still open and closing the shift: the Z report balances.
//! Cash given instead of a card part is rounded for cash, so it may pass that card
//! payment's amount by the rounding (at most one krona); nothing else has an allowance.
//!
//! A refused step must change nothing (row counts of the selling tables are compared).

mod common;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::str::FromStr;
use std::sync::{Arc, OnceLock};

use chrono::{Duration, TimeZone, Utc};
use common::{DemoTill, Product, demo_till};
use kassa_app::{
    Actor, AppError, CashMovementKind, Kassa, ManagerApproval, ManualClock, RefundInput, RefundLineInput,
    SaleStatus, TenderStatus, VatCategory,
};
use proptest::prelude::*;
use rusqlite::Connection;
use rust_decimal::Decimal;

const CODES: [&str; 3] = ["P-KAFFE", "P-BULLE", "P-KOPP"];
/// SEK cash rounds to whole kronor.
const CASH_STEP: i64 = 100;

fn manager() -> ManagerApproval {
    ManagerApproval {
        name: "manager".into(),
        pin: "1234".into(),
    }
}

#[derive(Debug, Clone)]
enum Pay {
    Cash,
    /// Card for the whole amount; `decline_first` declines one attempt before approving.
    Card {
        decline_first: bool,
    },
    /// Part cash (whole kronor, chosen from the seed), the rest by card.
    Split(u32),
}

#[derive(Debug, Clone)]
enum Op {
    Sell {
        items: Vec<(usize, u32)>,
        pay: Pay,
    },
    /// Refund of lines of one earlier completed sale: (line pick, quantity).
    Refund {
        sale: usize,
        lines: Vec<(usize, u32)>,
        card: Answer,
        then: Then,
    },
    VoidOpen {
        items: Vec<(usize, u32)>,
    },
    PostVoidLast {
        card: Answer,
        then: Then,
    },
}

/// What the terminal says to a card refund.
#[derive(Debug, Clone, Copy)]
enum Answer {
    Approve,
    Decline,
    Cancel,
}

/// What the cashier does with a refund whose card part was declined or cancelled.
#[derive(Debug, Clone, Copy)]
enum Then {
    /// Sends it to the terminal again, which approves.
    Retry,
    /// Gives it in cash with a manager's approval.
    Cash,
    /// Voids the refund: allowed only if it handed nothing back.
    Void,
    /// Leaves it open; later steps must still count it, and the case settles it at the end.
    Later,
}

fn answer() -> impl Strategy<Value = Answer> {
    prop_oneof![2 => Just(Answer::Approve), 1 => Just(Answer::Decline), 1 => Just(Answer::Cancel)]
}

fn then() -> impl Strategy<Value = Then> {
    prop_oneof![
        Just(Then::Retry),
        Just(Then::Cash),
        Just(Then::Void),
        Just(Then::Later)
    ]
}

fn items() -> impl Strategy<Value = Vec<(usize, u32)>> {
    prop::collection::vec((0..CODES.len(), 1u32..4), 1..4)
}

fn op() -> impl Strategy<Value = Op> {
    let pay = prop_oneof![
        Just(Pay::Cash),
        any::<bool>().prop_map(|decline_first| Pay::Card { decline_first }),
        any::<u32>().prop_map(Pay::Split),
    ];
    prop_oneof![
        4 => (items(), pay).prop_map(|(items, pay)| Op::Sell { items, pay }),
        4 => (
            any::<usize>(),
            prop::collection::vec((any::<usize>(), prop_oneof![3 => 1u32..3, 1 => 1u32..6]), 1..3),
            answer(),
            then(),
        )
            .prop_map(|(sale, lines, card, then)| Op::Refund { sale, lines, card, then }),
        1 => items().prop_map(|items| Op::VoidOpen { items }),
        1 => (answer(), then()).prop_map(|(card, then)| Op::PostVoidLast { card, then }),
    ]
}

struct Till {
    _dir: tempfile::TempDir,
    #[allow(dead_code)]
    path: PathBuf,
    clock: Arc<ManualClock>,
    kassa: Kassa,
    cashier: Actor,
    conn: Connection,
    /// Sales with an id above this were made by the test (the demo has history).
    first_test_sale: i64,
    /// Refunds left waiting for their card part (`Then::Later`).
    open_refunds: Vec<i64>,
}

/// When the shared world's clock starts (as `common::demo_till`'s).
fn start() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 23, 9, 0, 0).unwrap()
}

/// The demo world with the test's products and the shift open, made once per test binary
/// and copied for each case: building the demo (days of history, argon2 PIN hashes) is
/// what a case would otherwise spend most of its time on.
fn template() -> &'static [u8] {
    static TEMPLATE: OnceLock<Vec<u8>> = OnceLock::new();
    TEMPLATE.get_or_init(|| {
        let DemoTill { dir, path, kassa, .. } = demo_till(&[
            Product::each(CODES[0], CODES[0], "", "24.90", VatCategory::Reduced),
            Product::each(CODES[1], CODES[1], "", "32.50", VatCategory::Reduced),
            Product::each(CODES[2], CODES[2], "", "149.00", VatCategory::Standard),
        ]);
        // Closing the last connection checkpoints the WAL into the file.
        drop(kassa);
        let mut wal = path.clone().into_os_string();
        wal.push("-wal");
        assert!(
            std::fs::metadata(&wal).map_or(true, |m| m.len() == 0),
            "the template's WAL was not checkpointed"
        );
        let bytes = std::fs::read(&path).unwrap();
        drop(dir);
        bytes
    })
}

impl Till {
    fn new() -> Till {
        // This test checks money rules, not durability (tests/crash.rs does): where a RAM
        // disk exists, its cases do not wait on fsync.
        let shm = std::path::Path::new("/dev/shm");
        let dir = if shm.is_dir() {
            tempfile::tempdir_in(shm).unwrap()
        } else {
            tempfile::tempdir().unwrap()
        };
        let path = dir.path().join("kassa.sqlite3");
        std::fs::write(&path, template()).unwrap();
        let clock = Arc::new(ManualClock::new(start()));
        let kassa = Kassa::open_with_clock(&path, clock.clone()).unwrap();
        let cashier = kassa.login("cashier", "2222").unwrap().0;
        let conn = Connection::open(&path).unwrap();
        let first_test_sale = conn
            .query_row("SELECT coalesce(max(id), 0) FROM sales", [], |r| r.get(0))
            .unwrap();
        Till {
            first_test_sale,
            _dir: dir,
            path,
            clock,
            kassa,
            cashier,
            conn,
            open_refunds: Vec::new(),
        }
    }

    fn one(&self, sql: &str) -> i64 {
        self.conn.query_row(sql, [], |r| r.get(0)).unwrap()
    }

    /// Row counts of every table a selling step writes.
    fn counts(&self) -> Vec<i64> {
        ["sales", "sale_lines", "tenders", "journal", "outbox"]
            .iter()
            .map(|t| self.one(&format!("SELECT count(*) FROM {t}")))
            .collect()
    }

    fn ring_up(&self, items: &[(usize, u32)]) -> i64 {
        let mut id = 0;
        for &(p, q) in items {
            id = self
                .kassa
                .add_item(&self.cashier, CODES[p], Some(&q.to_string()))
                .unwrap()
                .id;
        }
        id
    }

    fn approve_pending_card(&self, id: i64) -> kassa_app::SaleView {
        let view = self.kassa.sale(&self.cashier, id).unwrap();
        let pending: Vec<i64> = view
            .tenders
            .iter()
            .filter(|t| t.status == TenderStatus::Pending)
            .map(|t| t.id)
            .collect();
        assert!(!pending.is_empty(), "{view:?}");
        let mut last = view;
        for t in pending {
            last = self.kassa.confirm_card_payment(&self.cashier, t, true).unwrap();
        }
        last
    }

    fn sell(&self, items: &[(usize, u32)], pay: &Pay) {
        let id = self.ring_up(items);
        let view = match pay {
            Pay::Cash => {
                let due = self.kassa.sale(&self.cashier, id).unwrap().cash_due;
                let due = Decimal::from_str(&due).unwrap();
                // Tender a round 1000 more than due: change is given.
                self.kassa
                    .pay_cash(&self.cashier, id, &(due + Decimal::from(1000)).to_string())
                    .unwrap()
            }
            Pay::Card { decline_first } => {
                if *decline_first {
                    let v = self.kassa.start_card_payment(&self.cashier, id, None).unwrap();
                    let t = v
                        .tenders
                        .iter()
                        .find(|t| t.status == TenderStatus::Pending)
                        .unwrap()
                        .id;
                    let back = self.kassa.confirm_card_payment(&self.cashier, t, false).unwrap();
                    assert_eq!(back.status, SaleStatus::Open);
                }
                self.kassa.start_card_payment(&self.cashier, id, None).unwrap();
                self.approve_pending_card(id)
            }
            Pay::Split(seed) => {
                let due = self.kassa.sale(&self.cashier, id).unwrap().cash_due;
                let due: u32 = Decimal::from_str(&due)
                    .unwrap()
                    .trunc()
                    .to_string()
                    .parse()
                    .unwrap();
                let part = 1 + seed % (due - 1);
                let v = self.kassa.pay_cash(&self.cashier, id, &part.to_string()).unwrap();
                assert_eq!(
                    v.status,
                    SaleStatus::Open,
                    "a partial cash tender leaves the sale open"
                );
                self.kassa.start_card_payment(&self.cashier, id, None).unwrap();
                self.approve_pending_card(id)
            }
        };
        assert_eq!(view.status, SaleStatus::Completed, "{view:?}");
    }

    /// Completed sales (kind 'sale') of this till, oldest first: (id, receipt_no).
    fn completed_sales(&self) -> Vec<(i64, i64)> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT id, receipt_no FROM sales WHERE kind = 'sale' AND receipt_no IS NOT NULL \
                 AND pos_id = (SELECT CAST(value AS INTEGER) FROM settings WHERE key = 'bound_pos_id') ORDER BY id",
            )
            .unwrap();
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    }

    /// Per line of a sale: (line id, sold, refunded so far).
    fn line_state(&self, sale: i64) -> Vec<(i64, Decimal, Decimal)> {
        let mut stmt = self
            .conn
            .prepare("SELECT id, quantity FROM sale_lines WHERE sale_id = ?1 ORDER BY line_no")
            .unwrap();
        let lines: Vec<(i64, String)> = stmt
            .query_map([sale], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        lines
            .into_iter()
            .map(|(id, q)| (id, Decimal::from_str(&q).unwrap(), self.refunded_qty(id)))
            .collect()
    }

    /// Refunded quantity of an original line, over every credit note that is not voided
    /// (completed, or still waiting for its card part).
    fn refunded_qty(&self, line: i64) -> Decimal {
        self.refunded_qty_in(line, "s.status <> 'voided'")
    }

    fn refunded_qty_in(&self, line: i64, condition: &str) -> Decimal {
        let mut stmt = self
            .conn
            .prepare(&format!(
                "SELECT l.quantity FROM sale_lines l JOIN sales s ON s.id = l.sale_id \
                 WHERE l.original_line_id = ?1 AND s.kind = 'refund' AND {condition}"
            ))
            .unwrap();
        let qs: Vec<String> = stmt
            .query_map([line], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        qs.iter().map(|q| -Decimal::from_str(q).unwrap()).sum()
    }

    /// Answers a credit note's card refunds, then does `then` if it is left waiting.
    /// Returns the refund if it is still open afterwards.
    fn settle(&self, credit: kassa_app::SaleView, card: Answer, then: Then) -> Option<i64> {
        let mut view = credit;
        if view.status == SaleStatus::Paying {
            let pending: Vec<i64> = view
                .tenders
                .iter()
                .filter(|t| t.status == TenderStatus::Pending)
                .map(|t| t.id)
                .collect();
            for t in pending {
                view = match card {
                    Answer::Approve => self.kassa.confirm_card_payment(&self.cashier, t, true),
                    Answer::Decline => self.kassa.confirm_card_payment(&self.cashier, t, false),
                    Answer::Cancel => self.kassa.cancel_card_payment(&self.cashier, t),
                }
                .unwrap();
            }
        }
        match view.status {
            SaleStatus::Completed => None,
            SaleStatus::Open => self.settle_open(&view, then),
            other => panic!("a credit note ended {other:?}: {view:?}"),
        }
    }

    fn settle_open(&self, view: &kassa_app::SaleView, then: Then) -> Option<i64> {
        let id = view.id;
        match then {
            Then::Retry => {
                let retry = self.kassa.retry_card_refund(&self.cashier, id).unwrap();
                assert_eq!(retry.status, SaleStatus::Paying, "{retry:?}");
                let done = self.approve_pending_card(id);
                assert_eq!(done.status, SaleStatus::Completed, "{done:?}");
                None
            }
            Then::Cash => {
                let done = self
                    .kassa
                    .refund_rest_in_cash(&self.cashier, id, &manager())
                    .unwrap();
                assert_eq!(done.status, SaleStatus::Completed, "{done:?}");
                None
            }
            Then::Void => {
                let before = self.counts();
                let result = self.kassa.void_sale(&self.cashier, id, None);
                if view.paid == "0.00" {
                    assert_eq!(result.unwrap().status, SaleStatus::Voided);
                    None
                } else {
                    assert_refused(&result.expect_err("a refund that handed money back cannot be voided"));
                    assert_eq!(self.counts(), before, "a refused void changed the database");
                    Some(id)
                }
            }
            Then::Later => Some(id),
        }
    }

    /// Settles every refund still waiting (in cash, or voided if it handed nothing back)
    /// and closes the shift: whatever was declined or cancelled, the till can close.
    fn settle_all_and_close(&mut self) {
        for id in std::mem::take(&mut self.open_refunds) {
            let view = self.kassa.sale(&self.cashier, id).unwrap();
            if view.status != SaleStatus::Open {
                continue;
            }
            let then = if view.paid == "0.00" {
                Then::Void
            } else {
                Then::Cash
            };
            assert_eq!(self.settle_open(&view, then), None);
        }
        // Refunds of the demo's earlier sales may pay out more cash than this shift took:
        // the manager brings what is missing from the safe.
        let expected = self.kassa.x_report(&self.cashier).unwrap().cash_expected;
        let missing = -Decimal::from_str(&expected).unwrap();
        if missing > Decimal::ZERO {
            self.kassa
                .cash_movement(
                    &self.cashier,
                    CashMovementKind::CashIn,
                    &missing.to_string(),
                    "from the safe",
                )
                .unwrap();
        }
        let expected = self.kassa.x_report(&self.cashier).unwrap().cash_expected;
        let z = self
            .kassa
            .close_shift(&self.cashier, &expected)
            .unwrap_or_else(|e| panic!("the shift could not close: {e}"));
        assert_eq!(z.cash_difference.as_deref(), Some("0.00"));
    }

    fn refund(&mut self, sale: usize, lines: &[(usize, u32)], card: Answer, then: Then) {
        // Mostly the test's own sales; one pick in four from the demo's history too.
        let all = self.completed_sales();
        let ours: Vec<(i64, i64)> = all
            .iter()
            .copied()
            .filter(|(id, _)| *id > self.first_test_sale)
            .collect();
        let sales = if ours.is_empty() || (sale % 4 == 1 && sale != usize::MAX) {
            all
        } else {
            ours
        };
        if sales.is_empty() {
            return;
        }
        let pick = if sale == usize::MAX {
            sales.len() - 1
        } else {
            sale / 4 % sales.len()
        };
        let (sale_id, receipt_no) = sales[pick];
        let status: String = self
            .conn
            .query_row("SELECT status FROM sales WHERE id = ?1", [sale_id], |r| r.get(0))
            .unwrap();
        let state = self.line_state(sale_id);
        let mut chosen: BTreeMap<i64, u32> = BTreeMap::new();
        for &(pick, q) in lines {
            let (line_id, _, _) = state[pick % state.len()];
            chosen.entry(line_id).or_insert(q);
        }
        let too_much = chosen.iter().any(|(id, q)| {
            let (_, sold, refunded) = state.iter().find(|(l, _, _)| l == id).unwrap();
            Decimal::from(*q) > sold - refunded
        });
        let input = RefundInput {
            receipt: receipt_no.to_string(),
            lines: chosen
                .iter()
                .map(|(&line_id, q)| RefundLineInput {
                    line_id,
                    quantity: q.to_string(),
                })
                .collect(),
            reason: Some("property test".into()),
            approval: manager(),
        };
        let before = self.counts();
        let result = self.kassa.refund(&self.cashier, &input);
        eprintln!(
            "refund of {receipt_no} ({status}, too much: {too_much}): {}",
            match &result {
                Ok(v) => format!("{:?} {}", v.status, v.total),
                Err(e) => e.to_string(),
            }
        );
        if status == "post_voided" || too_much {
            let err =
                result.expect_err("a post-voided sale or a quantity above what is left must be refused");
            assert_refused(&err);
            assert_eq!(self.counts(), before, "a refused refund changed the database");
            return;
        }
        let credit =
            result.unwrap_or_else(|e| panic!("refund within limits refused: {e} ({input:?}, {state:?})"));
        if let Some(open) = self.settle(credit, card, then) {
            self.open_refunds.push(open);
        }
    }

    fn void_open(&self, items: &[(usize, u32)]) {
        let id = self.ring_up(items);
        let v = self.kassa.void_sale(&self.cashier, id, None).unwrap();
        assert_eq!(v.status, SaleStatus::Voided);
        assert_eq!(v.receipt_no, None, "a voided sale takes no receipt number");
    }

    fn post_void_last(&mut self, card: Answer, then: Then) {
        // Allowed only when the till's last receipt is a completed sale without refunds.
        let last: Option<(i64, String, String)> = self
            .conn
            .query_row(
                "SELECT id, kind, status FROM sales WHERE receipt_no IS NOT NULL \
                 AND pos_id = (SELECT CAST(value AS INTEGER) FROM settings WHERE key = 'bound_pos_id') \
                 ORDER BY receipt_no DESC LIMIT 1",
                [],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .ok();
        let allowed = last.as_ref().is_some_and(|(id, kind, status)| {
            kind == "sale"
                && status == "completed"
                && self.one(&format!(
                    "SELECT count(*) FROM sales WHERE original_sale_id = {id} AND status <> 'voided'"
                )) == 0
        });
        let before = self.counts();
        let result = self
            .kassa
            .post_void_last_sale(&self.cashier, &manager(), "property test");
        eprintln!(
            "post-void (allowed: {allowed}): {}",
            match &result {
                Ok(v) => v.total.clone(),
                Err(e) => e.to_string(),
            }
        );
        if !allowed {
            assert_refused(&result.expect_err("post-void must be refused"));
            assert_eq!(self.counts(), before, "a refused post-void changed the database");
            return;
        }
        let (id, _, _) = last.unwrap();
        let credit = result.unwrap_or_else(|e| panic!("post-void of sale {id} refused: {e}"));
        let credit_id = credit.id;
        let open = self.settle(credit, card, then);
        let status = self.kassa.sale(&self.cashier, credit_id).unwrap().status;
        // The sale is post-voided exactly when its post-void completed.
        assert_eq!(
            self.kassa.sale(&self.cashier, id).unwrap().status == SaleStatus::PostVoided,
            status == SaleStatus::Completed,
            "post-void {credit_id} is {status:?}"
        );
        if let Some(open) = open {
            self.open_refunds.push(open);
        }
    }

    /// Per sale with completed credit notes and per VAT rate: VAT credited ≤ VAT charged,
    /// equal once every line is refunded in full.
    fn check_vat(&self) {
        let decimal = |s: &str| Decimal::from_str(s).unwrap();
        for (sale_id, _) in self.completed_sales() {
            let mut stmt = self
                .conn
                .prepare("SELECT id FROM sales WHERE original_sale_id = ?1 AND status = 'completed'")
                .unwrap();
            let credits: Vec<i64> = stmt
                .query_map([sale_id], |r| r.get(0))
                .unwrap()
                .collect::<Result<_, _>>()
                .unwrap();
            if credits.is_empty() {
                continue;
            }
            let sale = self.kassa.sale(&self.cashier, sale_id).unwrap();
            let mut credited: BTreeMap<String, Decimal> = BTreeMap::new();
            for id in credits {
                for v in self.kassa.sale(&self.cashier, id).unwrap().vat {
                    *credited.entry(v.rate).or_default() -= decimal(&v.vat);
                }
            }
            let all_refunded = self
                .line_state(sale_id)
                .iter()
                .all(|(line, sold, _)| self.refunded_qty_in(*line, "s.status = 'completed'") == *sold);
            for charged in &sale.vat {
                let charged_vat = decimal(&charged.vat);
                let back = credited.get(&charged.rate).copied().unwrap_or_default();
                assert!(
                    back >= Decimal::ZERO && back <= charged_vat,
                    "sale {sale_id}: {back} VAT credited at {} % of {charged_vat} charged",
                    charged.rate
                );
                if all_refunded {
                    assert_eq!(
                        back, charged_vat,
                        "sale {sale_id} refunded in full: VAT at {} %",
                        charged.rate
                    );
                }
            }
            for rate in credited.keys() {
                assert!(
                    sale.vat.iter().any(|v| &v.rate == rate),
                    "sale {sale_id}: VAT credited at {rate} %, which it never charged"
                );
            }
        }
    }

    fn check_invariants(&self) {
        let c = &self.conn;
        // Per original line.
        let mut stmt = c
            .prepare("SELECT id, quantity FROM sale_lines WHERE original_line_id IS NULL")
            .unwrap();
        let lines: Vec<(i64, String)> = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        for (id, sold) in lines {
            let sold = Decimal::from_str(&sold).unwrap();
            let refunded = self.refunded_qty(id);
            assert!(refunded <= sold, "line {id}: refunded {refunded} of {sold} sold");
            assert!(refunded >= Decimal::ZERO);
        }
        // Per original tender: money back through it ≤ what it paid (plus the cash rounding
        // of cash given instead of it, when a card refund was given in cash).
        let mut stmt = c
            .prepare(
                "SELECT o.id, o.amount_minor, coalesce(( \
                   SELECT -sum(t.amount_minor) FROM tenders t JOIN sales s ON s.id = t.sale_id \
                   WHERE t.original_tender_id = o.id AND s.status <> 'voided' \
                   AND t.status IN ('approved', 'pending', 'unknown')), 0), \
                 EXISTS (SELECT 1 FROM tenders t WHERE t.original_tender_id = o.id \
                   AND t.detail LIKE '%insteadOfCard%') \
                 FROM tenders o WHERE o.original_tender_id IS NULL AND o.status = 'approved'",
            )
            .unwrap();
        let tenders: Vec<(i64, i64, i64, bool)> = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        for (id, paid, back, in_cash) in tenders {
            let allowance = if in_cash { CASH_STEP } else { 0 };
            assert!(
                (0..=paid + allowance).contains(&back),
                "tender {id}: {back} given back of {paid} paid"
            );
        }
        // Per sale: credit notes' totals ≤ sale total exactly; money back ≤ money taken.
        let mut stmt = c
            .prepare(
                "SELECT o.id, o.total_minor, o.total_minor + o.rounding_minor, \
                   coalesce((SELECT -sum(r.total_minor) FROM sales r WHERE r.original_sale_id = o.id \
                             AND r.kind = 'refund' AND r.status <> 'voided'), 0), \
                   coalesce((SELECT -sum(t.amount_minor) FROM tenders t JOIN sales r ON r.id = t.sale_id \
                             WHERE r.original_sale_id = o.id AND r.kind = 'refund' AND r.status <> 'voided' \
                             AND t.status IN ('approved', 'pending', 'unknown')), 0), \
                   (SELECT coalesce(sum(t.amount_minor), 0) FROM tenders t WHERE t.sale_id = o.id \
                             AND t.status = 'approved'), \
                   EXISTS (SELECT 1 FROM tenders t JOIN sales r ON r.id = t.sale_id \
                             WHERE r.original_sale_id = o.id AND t.detail LIKE '%insteadOfCard%') \
                 FROM sales o WHERE o.kind = 'sale' AND o.receipt_no IS NOT NULL",
            )
            .unwrap();
        let sales: Vec<(i64, i64, i64, i64, i64, i64, bool)> = stmt
            .query_map([], |r| {
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    r.get(5)?,
                    r.get(6)?,
                ))
            })
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        for (id, total, taken, credited, given_back, tendered, in_cash) in sales {
            let taken_plus = taken + if in_cash { CASH_STEP } else { 0 };
            assert_eq!(
                taken, tendered,
                "sale {id}: approved tenders must equal total + rounding"
            );
            assert!(
                credited <= total,
                "sale {id}: credit notes {credited} > total {total}"
            );
            assert!(
                given_back <= taken_plus,
                "sale {id}: gave back {given_back} of {taken} taken"
            );
        }
        // A credit note that rounds in the customer's favour does so by under one krona (a
        // post-void that gave a card part in cash rounds that on top of the sale's own
        // rounding). One that rounds the other way takes in what the sale's rounding and
        // earlier notes' rounding left missing, which can add up past a krona: that is
        // bounded by "never gives back more than was taken" above.
        assert!(
            self.one(&format!(
                "SELECT count(*) FROM sales r WHERE kind = 'refund' AND status = 'completed' \
                 AND rounding_minor < 0 AND abs(rounding_minor) >= CASE WHEN correction = 'post_void' AND EXISTS (SELECT 1 \
                 FROM tenders t WHERE t.sale_id = r.id AND t.detail LIKE '%insteadOfCard%') \
                 THEN {} ELSE {CASH_STEP} END",
                CASH_STEP + 1
            )) == 0,
            "a credit note rounded by more than its cash rounding allows"
        );
        self.check_vat();
        // Receipt numbers per POS: 1..=N, and the counter says N.
        let mut stmt = c.prepare("SELECT DISTINCT pos_id FROM sales").unwrap();
        let pos: Vec<i64> = stmt
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        for p in pos {
            let mut stmt = c
                .prepare("SELECT receipt_no FROM sales WHERE pos_id = ?1 AND receipt_no IS NOT NULL ORDER BY receipt_no")
                .unwrap();
            let nos: Vec<i64> = stmt
                .query_map([p], |r| r.get(0))
                .unwrap()
                .collect::<Result<_, _>>()
                .unwrap();
            let expected: Vec<i64> = (1..=nos.len() as i64).collect();
            assert_eq!(nos, expected, "receipt numbers of POS {p}");
            let counter: i64 = c
                .query_row(
                    "SELECT coalesce(max(last_no), 0) FROM receipt_counters WHERE pos_id = ?1",
                    [p],
                    |r| r.get(0),
                )
                .unwrap();
            assert_eq!(counter, nos.len() as i64, "receipt counter of POS {p}");
        }
        let report = self.kassa.verify_journal(&self.cashier).unwrap();
        assert!(report.ok, "{report:?}");
    }
}

fn assert_refused(err: &AppError) {
    assert!(
        matches!(
            err.code(),
            kassa_app::ErrorCode::Validation
                | kassa_app::ErrorCode::Conflict
                | kassa_app::ErrorCode::NotFound
        ),
        "refused with an unexpected kind of error: {err}"
    );
}

fn run(ops: &[Op]) {
    let mut t = Till::new();
    t.check_invariants();
    for op in ops {
        t.clock.advance(Duration::seconds(7));
        match op {
            Op::Sell { items, pay } => t.sell(items, pay),
            Op::Refund {
                sale,
                lines,
                card,
                then,
            } => t.refund(*sale, lines, *card, *then),
            Op::VoidOpen { items } => t.void_open(items),
            Op::PostVoidLast { card, then } => t.post_void_last(*card, *then),
        }
        t.check_invariants();
    }
    t.settle_all_and_close();
    t.check_invariants();
}

proptest! {
    #![proptest_config(ProptestConfig {
        // 200 per run of the suite; PROPTEST_CASES=2000 searches deeper by hand.
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|n| n.parse().ok()).unwrap_or(200),
        // Write no regression files into the source tree (the failing sequence is printed).
        max_shrink_iters: 256,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn refunds_voids_and_post_voids_never_give_back_more_than_was_sold(
        ops in prop::collection::vec(op(), 1..12)
    ) {
        run(&ops);
    }
}

/// A fixed sequence that always exercises the interesting paths (split tender refunded
/// in parts, a too-large request, a post-void), whatever the random cases pick.
#[test]
fn a_fixed_sequence_of_sales_refunds_and_post_voids_keeps_the_invariants() {
    use Answer::*;
    run(&[
        Op::Sell {
            items: vec![(0, 3), (1, 1)],
            pay: Pay::Split(7),
        },
        // The card part is declined and left waiting: what it holds stays counted.
        Op::Refund {
            sale: usize::MAX,
            lines: vec![(0, 1)],
            card: Decline,
            then: Then::Later,
        },
        Op::Refund {
            sale: usize::MAX,
            lines: vec![(0, 3)],
            card: Approve,
            then: Then::Cash,
        },
        Op::Refund {
            sale: usize::MAX,
            lines: vec![(0, 2), (1, 1)],
            card: Cancel,
            then: Then::Cash,
        },
        Op::Sell {
            items: vec![(2, 1)],
            pay: Pay::Card { decline_first: true },
        },
        Op::VoidOpen { items: vec![(1, 2)] },
        Op::PostVoidLast {
            card: Decline,
            then: Then::Void,
        },
        Op::PostVoidLast {
            card: Cancel,
            then: Then::Retry,
        },
        Op::PostVoidLast {
            card: Approve,
            then: Then::Later,
        },
        Op::Sell {
            items: vec![(0, 1)],
            pay: Pay::Split(3),
        },
        Op::Refund {
            sale: usize::MAX,
            lines: vec![(0, 1)],
            card: Decline,
            then: Then::Void,
        },
        Op::PostVoidLast {
            card: Decline,
            then: Then::Cash,
        },
    ]);
}

/// Found by the property test in CI: a split sale paid partly in rounded cash, two refunds
/// (one left waiting after a cancelled card part), then the last item. The sale's rounding
/// and the first refund's rounding together left the tenders a whole krona short of the
/// last item's 149.00; that krona is rounding, not a refund too many.
#[test]
fn the_last_refund_absorbs_the_rounding_of_the_sale_and_of_earlier_refunds() {
    use Answer::*;
    run(&[
        Op::Sell {
            items: vec![(2, 2), (1, 1)],
            pay: Pay::Split(35034301),
        },
        Op::Refund {
            sale: 618647422311412050,
            lines: vec![(4826060200094747952, 1)],
            card: Approve,
            then: Then::Retry,
        },
        Op::Refund {
            sale: 12107157417729434,
            lines: vec![(4031409058886191643, 1)],
            card: Cancel,
            then: Then::Later,
        },
        Op::Refund {
            sale: 13342092538181632746,
            lines: vec![(10923255201392611574, 1), (14976314588154996776, 2)],
            card: Decline,
            then: Then::Retry,
        },
    ]);
}
