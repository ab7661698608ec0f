//! Corrections: voids of open sales, refunds (credit notes) linked to their original
//! sale, returns without a receipt, post-voids of the last sale, and receipt copies.
//! Every correction is a new record pointing at the original; nothing fiscal is edited.

use std::collections::BTreeMap;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;

use kassa_core::org::{Role, SaleKind, SaleStatus, SaleUnit, TenderMethod, TenderStatus};
use kassa_core::receipt::ReceiptCode;
use kassa_core::{Currency, Decimal, VatRate};
use kassa_store::sales::{self, LineRow, NewSale, SaleRow, SaleTotals, TenderRow};
use kassa_store::{Connection, shifts, stores};

use crate::payments::{cash_rounded, tender_reference};
use crate::sales::{ManagerApproval, SELL, SaleView, Till, money, parse_quantity, text};
use crate::{Actor, AppError, Kassa};

/// One line of a refund: which original line, and how much of it.
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct RefundLineInput {
    pub line_id: i64,
    pub quantity: String,
}

#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct RefundInput {
    /// The scanned receipt code, or a receipt number of this till.
    pub receipt: String,
    pub lines: Vec<RefundLineInput>,
    pub reason: Option<String>,
    pub approval: ManagerApproval,
}

/// One item brought back without a receipt.
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct ReturnItemInput {
    /// A barcode or SKU, as at the till.
    pub code: String,
    pub quantity: Option<String>,
}

/// What is left to refund of one original line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct RefundableLine {
    pub line_id: i64,
    pub name: String,
    pub unit: SaleUnit,
    pub sold: String,
    pub refunded: String,
    pub refundable: String,
    pub refundable_amount: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct RefundableTender {
    pub tender_id: i64,
    pub method: TenderMethod,
    pub paid: String,
    pub refundable: String,
}

/// A completed sale found for a refund, with what can still be refunded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct RefundableSale {
    pub sale: SaleView,
    pub lines: Vec<RefundableLine>,
    pub tenders: Vec<RefundableTender>,
}

fn qty(text: &str) -> Result<Decimal, AppError> {
    Decimal::from_str(text).map_err(|_| AppError::Internal(format!("stored quantity '{text}' is unreadable")))
}

/// Per original line: (sold, already refunded as a positive quantity, already refunded amount positive minor).
struct Remaining {
    sold: Decimal,
    refunded: Decimal,
    refunded_minor: i64,
}

fn remaining_per_line(conn: &Connection, original: &SaleRow) -> Result<BTreeMap<i64, Remaining>, AppError> {
    let mut map = BTreeMap::new();
    for line in sales::lines(conn, original.id)? {
        map.insert(
            line.id,
            Remaining {
                sold: qty(&line.quantity)?,
                refunded: Decimal::ZERO,
                refunded_minor: 0,
            },
        );
    }
    for refund in sales::refunds_of(conn, original.id)? {
        for line in sales::lines(conn, refund.id)? {
            if let Some(entry) = line.original_line_id.and_then(|id| map.get_mut(&id)) {
                entry.refunded += -qty(&line.quantity)?;
                entry.refunded_minor += -line.total_minor;
            }
        }
    }
    Ok(map)
}

fn remaining_per_tender(conn: &Connection, original: &SaleRow) -> Result<Vec<(TenderRow, i64)>, AppError> {
    let refunded: BTreeMap<i64, i64> = sales::refunded_per_tender(conn, original.id)?
        .into_iter()
        .collect();
    Ok(sales::tenders(conn, original.id)?
        .into_iter()
        .filter(|t| t.status == TenderStatus::Approved)
        .map(|t| {
            let left = t.amount_minor + refunded.get(&t.id).copied().unwrap_or(0);
            (t, left)
        })
        .collect())
}

/// The original's card payments with money left for `refund` to give back, latest first
/// (as refunds take them): what is left of each, plus what `refund` itself holds on it for
/// the card part it still owes.
fn card_tenders_left(
    conn: &Connection,
    original: &SaleRow,
    refund: &[TenderRow],
) -> Result<Vec<(TenderRow, i64)>, AppError> {
    let mut cards: Vec<(TenderRow, i64)> = remaining_per_tender(conn, original)?
        .into_iter()
        .filter(|(t, _)| t.method != TenderMethod::Cash)
        .map(|(t, left)| {
            let own = refund
                .iter()
                .filter(|r| r.original_tender_id == Some(t.id) && r.status != TenderStatus::Approved)
                .map(|r| -r.amount_minor)
                .max()
                .unwrap_or(0);
            (t, left + own)
        })
        .filter(|(_, left)| *left > 0)
        .collect();
    cards.reverse();
    Ok(cards)
}

/// What a refund still owes the customer, in positive minor units: its credit (cash
/// rounding included) less what its approved tenders handed back. Zero once settled.
pub(crate) fn owed_minor(refund: &SaleRow, tenders: &[TenderRow]) -> i64 {
    crate::payments::paid_minor(tenders) - (refund.total_minor + refund.rounding_minor)
}

/// The VAT a credit note credits per rate (positive minor units), or `None` for a return
/// without a receipt. Rounding VAT on each credit note's own gross would let partial
/// refunds of one line credit more than was charged (3 × 33.34 at 25 % charge 20.00 VAT but
/// credit 6.67 three times). So each credit note credits the difference between the VAT of
/// the gross credited so far with it and without it, over the sale's credit notes completed
/// before it (in completion order, so a completed note's figure never changes), and the VAT
/// of a rate's whole gross is the VAT the sale charged. Rounding is monotone, so the credits
/// never pass what was charged and reach it exactly when everything is refunded.
pub(crate) fn credited_vat(
    conn: &Connection,
    refund: &SaleRow,
    lines: &[LineRow],
    currency: Currency,
) -> Result<Option<BTreeMap<VatRate, i64>>, AppError> {
    let Some(original_id) = refund.original_sale_id else {
        return Ok(None);
    };
    let original = sales::get_sale(conn, original_id)?
        .ok_or_else(|| AppError::Internal(format!("refund {} names a missing sale", refund.id)))?;
    let rate_of = |line: &LineRow| -> Result<VatRate, AppError> {
        line.vat_rate
            .parse()
            .map_err(|e| AppError::Internal(format!("line VAT rate: {e}")))
    };
    let mut charged: BTreeMap<VatRate, (i64, i64)> = BTreeMap::new();
    for (rate, _, vat, gross) in
        crate::sales::price(&original, &sales::lines(conn, original.id)?, currency)?.vat
    {
        charged.insert(rate, (gross.to_minor()?, vat.to_minor()?));
    }
    // Completed after this one? A till's receipt numbers follow its completions exactly;
    // across tills the completion time decides.
    let completed_later = |other: &SaleRow| match (refund.receipt_no, other.receipt_no) {
        (None, _) => false,
        (Some(mine), Some(theirs)) if other.pos_id == refund.pos_id => theirs > mine,
        _ => (other.completed_at.as_deref(), other.id) > (refund.completed_at.as_deref(), refund.id),
    };
    let mut before: BTreeMap<VatRate, i64> = BTreeMap::new();
    for other in sales::refunds_of(conn, original.id)? {
        if other.id == refund.id || other.status != SaleStatus::Completed || completed_later(&other) {
            continue;
        }
        for line in sales::lines(conn, other.id)? {
            *before.entry(rate_of(&line)?).or_default() -= line.total_minor;
        }
    }
    let mut this: BTreeMap<VatRate, i64> = BTreeMap::new();
    for line in lines {
        *this.entry(rate_of(line)?).or_default() -= line.total_minor;
    }
    let vat_of = |rate: &VatRate, gross: i64| -> Result<i64, AppError> {
        match charged.get(rate) {
            Some(&(charged_gross, charged_vat)) if gross == charged_gross => Ok(charged_vat),
            _ => Ok(rate.vat_in_gross(&money(gross, currency)).to_minor()?),
        }
    };
    let mut credited = BTreeMap::new();
    for (rate, gross) in this {
        let earlier = before.get(&rate).copied().unwrap_or(0);
        credited.insert(rate, vat_of(&rate, earlier + gross)? - vat_of(&rate, earlier)?);
    }
    Ok(Some(credited))
}

/// `total × part / whole`, rounded half away from zero to a whole minor unit.
fn prorated_minor(total_minor: i64, part: Decimal, whole: Decimal) -> Result<i64, AppError> {
    use rust_decimal::prelude::ToPrimitive;
    (Decimal::from(total_minor) * part / whole)
        .round_dp_with_strategy(0, rust_decimal::RoundingStrategy::MidpointAwayFromZero)
        .to_i64()
        .ok_or_else(|| AppError::Internal("refund amount out of range".into()))
}

impl Kassa {
    /// Finds a completed sale by scanned receipt code or by a receipt number of this till.
    fn find_original(&self, conn: &Connection, till: &Till, receipt: &str) -> Result<SaleRow, AppError> {
        let receipt = receipt.trim();
        let (pos_id, number) = if !receipt.is_empty() && receipt.bytes().all(|b| b.is_ascii_digit()) {
            let n: i64 = receipt.parse().map_err(|_| {
                AppError::validation("receipt", format!("'{receipt}' is not a receipt number"))
            })?;
            (till.pos.id, n)
        } else {
            let code =
                ReceiptCode::parse(receipt).map_err(|e| AppError::validation("receipt", e.to_string()))?;
            (i64::from(code.pos_id), code.number as i64)
        };
        let sale = sales::find_by_receipt(conn, pos_id, number)?
            .ok_or_else(|| AppError::NotFound(format!("there is no receipt {number} of POS {pos_id}")))?;
        if sale.kind != SaleKind::Sale {
            return Err(AppError::Conflict(format!(
                "receipt {number} is itself a credit note; refund the original sale"
            )));
        }
        if sale.status == SaleStatus::PostVoided {
            return Err(AppError::Conflict(format!(
                "receipt {number} was post-voided; nothing is left to refund"
            )));
        }
        // Money goes back from this drawer and is counted in this till's Z report, which is
        // in one currency: a receipt paid in another can only be refunded where that
        // currency is kept.
        if sale.currency != till.store.currency {
            return Err(AppError::CurrencyMismatch(format!(
                "receipt {number} was paid in {}, but this till's drawer holds {}; refund it at a till \
                 that takes {}. Nothing was changed",
                sale.currency, till.store.currency, sale.currency
            )));
        }
        // A receipt is refunded in the store that sold it: only there are all its earlier
        // refunds recorded, so only there can the per-line and per-tender limits hold.
        if sale.store_id != till.store.id {
            let store = stores::get(conn, sale.store_id)?
                .map(|s| s.name)
                .unwrap_or_else(|| format!("#{}", sale.store_id));
            return Err(AppError::OtherStore(format!(
                "receipt {number} is from store '{store}', not '{}'; refund it in the store that sold \
                 it, or take the goods back as a return without a receipt. Nothing was changed",
                till.store.name
            )));
        }
        Ok(sale)
    }

    fn refundable(&self, conn: &Connection, original: &SaleRow) -> Result<RefundableSale, AppError> {
        let currency = original
            .currency
            .parse()
            .map_err(|e| AppError::Internal(format!("{e}")))?;
        let remaining = remaining_per_line(conn, original)?;
        let lines = sales::lines(conn, original.id)?
            .into_iter()
            .map(|line| {
                let r = &remaining[&line.id];
                Ok(RefundableLine {
                    line_id: line.id,
                    name: line.name.clone(),
                    unit: line.unit,
                    sold: r.sold.normalize().to_string(),
                    refunded: r.refunded.normalize().to_string(),
                    refundable: (r.sold - r.refunded).normalize().to_string(),
                    refundable_amount: text(line.total_minor - r.refunded_minor, currency),
                })
            })
            .collect::<Result<_, AppError>>()?;
        let tenders = remaining_per_tender(conn, original)?
            .into_iter()
            .map(|(t, left)| RefundableTender {
                tender_id: t.id,
                method: t.method,
                paid: text(t.amount_minor, currency),
                refundable: text(left.max(0), currency),
            })
            .collect();
        Ok(RefundableSale {
            sale: self.sale_view(conn, original.id)?,
            lines,
            tenders,
        })
    }

    /// Looks up a receipt for the refund screen.
    pub fn find_receipt_for_refund(&self, actor: &Actor, receipt: &str) -> Result<RefundableSale, AppError> {
        self.read(|conn| {
            self.authorize(conn, actor, SELL, "refund")?;
            let till = self.till(conn)?;
            let original = self.find_original(conn, &till, receipt)?;
            self.refundable(conn, &original)
        })
    }

    /// Refunds lines of a completed sale, approved by a manager's PIN. Never more than was
    /// sold minus what was refunded, per line and per tender; the money goes back to the
    /// original tenders (cash at once, card through the terminal, confirmed by the cashier).
    pub fn refund(&self, actor: &Actor, input: &RefundInput) -> Result<SaleView, AppError> {
        let approver = self.approve(&input.approval, "approve a refund")?;
        let now = self.now();
        let view = self.write(|tx| {
            let user = self.authorize(tx, actor, SELL, "refund")?;
            let till = self.till(tx)?;
            self.refuse_if_unknown(tx, &till)?;
            let original = self.find_original(tx, &till, &input.receipt)?;
            if input.lines.is_empty() {
                return Err(AppError::validation(
                    "lines",
                    "choose at least one line to refund",
                ));
            }
            let remaining = remaining_per_line(tx, &original)?;
            let original_lines: BTreeMap<i64, LineRow> = sales::lines(tx, original.id)?
                .into_iter()
                .map(|l| (l.id, l))
                .collect();
            let mut chosen = Vec::new();
            for request in &input.lines {
                let line = original_lines.get(&request.line_id).ok_or_else(|| {
                    AppError::validation(
                        "lines",
                        format!(
                            "receipt {} has no line {}",
                            original.receipt_no.unwrap_or(0),
                            request.line_id
                        ),
                    )
                })?;
                if chosen.iter().any(|(l, _): &(&LineRow, Decimal)| l.id == line.id) {
                    return Err(AppError::validation(
                        "lines",
                        format!("line '{}' is listed twice", line.name),
                    ));
                }
                let q = parse_quantity(&request.quantity, line.unit, &till)?;
                let r = &remaining[&line.id];
                let left = r.sold - r.refunded;
                if q > left {
                    return Err(AppError::validation(
                        "lines",
                        format!(
                            "'{}': at most {} can be refunded ({} sold, {} already refunded)",
                            line.name,
                            left.normalize(),
                            r.sold.normalize(),
                            r.refunded.normalize()
                        ),
                    ));
                }
                chosen.push((line, q));
            }
            let lines: Vec<(LineRow, i64)> = chosen
                .into_iter()
                .map(|(line, q)| -> Result<(LineRow, i64), AppError> {
                    let r = &remaining[&line.id];
                    // The last part of a line gets exactly what is left of its amount, so
                    // rounding never lets the credit notes add up to more than the sale.
                    let amount = if q == r.sold - r.refunded {
                        line.total_minor - r.refunded_minor
                    } else {
                        prorated_minor(line.total_minor, q, r.sold)?
                    };
                    Ok((
                        LineRow {
                            quantity: (-q).normalize().to_string(),
                            ..line.clone()
                        },
                        amount,
                    ))
                })
                .collect::<Result<_, _>>()?;
            let sale = self.new_refund_sale(
                tx,
                &till,
                &original,
                user.id,
                approver,
                "refund",
                input.reason.as_deref(),
                &now,
            )?;
            self.write_refund(tx, &till, &original, &sale, &lines, &now)
        })?;
        self.start_card_refunds(view.id)?;
        Ok(view)
    }

    /// Reverses the last completed sale of this till in full, approved by a manager's PIN.
    pub fn post_void_last_sale(
        &self,
        actor: &Actor,
        approval: &ManagerApproval,
        reason: &str,
    ) -> Result<SaleView, AppError> {
        let approver = self.approve(approval, "approve a post-void")?;
        let now = self.now();
        let view = self.write(|tx| {
            let user = self.authorize(tx, actor, SELL, "post-void")?;
            let till = self.till(tx)?;
            self.refuse_if_unknown(tx, &till)?;
            let reason = crate::validate::name("reason", "A post-void reason", reason)?;
            let last = sales::last_completed(tx, till.pos.id)?
                .ok_or_else(|| AppError::NotFound("this till has no completed sale to post-void".into()))?;
            if last.kind != SaleKind::Sale || last.status != SaleStatus::Completed {
                return Err(AppError::Conflict(format!(
                    "the last receipt ({}) is not a sale that can be post-voided; use a refund instead",
                    last.receipt_no.unwrap_or(0)
                )));
            }
            // A post-void undoes the sale just made; one of a shift already closed is in its
            // Z report, and only a refund (a credit note of this shift) may correct it.
            let shift = shifts::open_shift_of(tx, till.pos.id)?.ok_or_else(|| {
                AppError::Conflict(format!(
                    "no shift is open on '{}'; open a shift first",
                    till.pos.name
                ))
            })?;
            if last.shift_id != shift.id {
                return Err(AppError::Conflict(format!(
                    "the last receipt ({}) was made in an earlier shift, which is closed; refund it instead",
                    last.receipt_no.unwrap_or(0)
                )));
            }
            if !sales::refunds_of(tx, last.id)?.is_empty() {
                return Err(AppError::Conflict(format!(
                    "receipt {} already has refunds; refund the rest instead of post-voiding it",
                    last.receipt_no.unwrap_or(0)
                )));
            }
            let lines: Vec<(LineRow, i64)> = sales::lines(tx, last.id)?
                .into_iter()
                .map(|l| {
                    let amount = l.total_minor;
                    let q = qty(&l.quantity)?;
                    Ok((
                        LineRow {
                            quantity: (-q).normalize().to_string(),
                            ..l
                        },
                        amount,
                    ))
                })
                .collect::<Result<_, AppError>>()?;
            let sale = self.new_refund_sale(
                tx,
                &till,
                &last,
                user.id,
                approver,
                "post_void",
                Some(&reason),
                &now,
            )?;
            self.write_refund(tx, &till, &last, &sale, &lines, &now)
        })?;
        self.start_card_refunds(view.id)?;
        Ok(view)
    }

    /// An open refund of this till that still owes the customer money because its card part
    /// was declined or cancelled: the refund, its original sale, its tenders and what it
    /// still owes (positive minor units).
    fn refund_waiting(
        &self,
        tx: &Connection,
        till: &Till,
        refund_id: i64,
    ) -> Result<(SaleRow, SaleRow, Vec<TenderRow>, i64), AppError> {
        let sale = self.sale_for_update(tx, till, refund_id, &[SaleStatus::Open])?;
        if sale.kind != SaleKind::Refund {
            return Err(AppError::Conflict(format!(
                "sale {refund_id} is a sale, not a refund waiting for its card part"
            )));
        }
        let original = sale
            .original_sale_id
            .map(|id| sales::get_sale(tx, id))
            .transpose()?
            .flatten()
            .ok_or_else(|| AppError::Internal(format!("open refund {refund_id} names no original sale")))?;
        let tenders = sales::tenders(tx, sale.id)?;
        let owed = owed_minor(&sale, &tenders);
        if owed <= 0 {
            return Err(AppError::Internal(format!(
                "refund {refund_id} is open but owes the customer nothing"
            )));
        }
        Ok((sale, original, tenders, owed))
    }

    /// Sends the card part of a refund to the terminal again after it was declined or
    /// cancelled: a new pending tender (its own reference) for what is still owed, against
    /// the original card payments that have it left.
    pub fn retry_card_refund(&self, actor: &Actor, refund_id: i64) -> Result<SaleView, AppError> {
        let at = crate::timestamp(self.now());
        self.write(|tx| {
            self.authorize(tx, actor, SELL, "refund")?;
            let till = self.till(tx)?;
            self.refuse_if_unknown(tx, &till)?;
            let (sale, original, tenders, owed) = self.refund_waiting(tx, &till, refund_id)?;
            let mut n = tenders.len();
            let mut to_give = owed;
            for (card, left) in card_tenders_left(tx, &original, &tenders)? {
                if to_give == 0 {
                    break;
                }
                let part = to_give.min(left);
                if part <= 0 {
                    continue;
                }
                n += 1;
                sales::insert_tender(
                    tx,
                    &money_back(
                        &sale,
                        n,
                        card.method,
                        part,
                        TenderStatus::Pending,
                        Some(card.id),
                        &at,
                    ),
                )?;
                to_give -= part;
            }
            if to_give > 0 {
                return Err(AppError::Conflict(format!(
                    "the card payments of receipt {} have {} less left than refund {} still owes; \
                     give the rest in cash with a manager's approval. Nothing was changed",
                    original.receipt_no.unwrap_or(0),
                    money(to_give, till.currency),
                    sale.id
                )));
            }
            // This process waits for the terminal's answer (see `instance.rs`).
            sales::claim_pending_tenders(tx, sale.id, self.instance_id())?;
            sales::set_status(tx, sale.id, SaleStatus::Paying, &at)?;
            Ok(())
        })?;
        // Only now, with the pending tender durable, is the terminal asked.
        self.start_card_refunds(refund_id)?;
        self.read(|conn| self.sale_view(conn, refund_id))
    }

    /// Gives the card part of a refund, declined or cancelled at the terminal, in cash
    /// instead, approved by a manager's PIN: cash out of the drawer, each part pointing at
    /// the card payment it stands in for (so that payment's limit counts it), and the refund
    /// completes. The cash the refund hands back is rounded once, as a whole, like any cash:
    /// so the amount given for a card part can differ from it by the cash rounding (at most
    /// half the currency's cash step), which is the credit note's rounding line.
    pub fn refund_rest_in_cash(
        &self,
        actor: &Actor,
        refund_id: i64,
        approval: &ManagerApproval,
    ) -> Result<SaleView, AppError> {
        let approver = self.approve(approval, "approve giving a card refund in cash")?;
        let now = self.now();
        let at = crate::timestamp(now);
        self.write(|tx| {
            self.authorize(tx, actor, SELL, "refund")?;
            let till = self.till(tx)?;
            self.refuse_if_unknown(tx, &till)?;
            let (sale, original, tenders, _owed) = self.refund_waiting(tx, &till, refund_id)?;
            let approved = |method: fn(TenderMethod) -> bool| -> i64 {
                -tenders
                    .iter()
                    .filter(|t| t.status == TenderStatus::Approved && method(t.method))
                    .map(|t| t.amount_minor)
                    .sum::<i64>()
            };
            let card_back = approved(|m| m != TenderMethod::Cash);
            let cash_back = approved(|m| m == TenderMethod::Cash);
            // What the credit note gives back before cash rounding: its credit, and for a
            // post-void also the sale's own cash rounding (it returns exactly what was paid).
            let post_void = sale.correction.as_deref() == Some("post_void");
            let base = -sale.total_minor + if post_void { original.rounding_minor } else { 0 };
            let cash_total = cash_rounded(base - card_back, till.currency)?;
            let cash = (cash_total - cash_back).max(0);
            let cards = card_tenders_left(tx, &original, &tenders)?;
            let last = cards.len().saturating_sub(1);
            let mut n = tenders.len();
            let mut to_give = cash;
            for (i, (card, left)) in cards.into_iter().enumerate() {
                if to_give == 0 {
                    break;
                }
                // The last card payment also takes the cash rounding above what it has left.
                let part = if i == last { to_give } else { to_give.min(left) };
                n += 1;
                sales::insert_tender(
                    tx,
                    &TenderRow {
                        detail: Some(
                            json!({ "insteadOfCard": card.reference, "approvedBy": approver }).to_string(),
                        ),
                        ..money_back(
                            &sale,
                            n,
                            TenderMethod::Cash,
                            part,
                            TenderStatus::Approved,
                            Some(card.id),
                            &at,
                        )
                    },
                )?;
                to_give -= part;
            }
            if to_give > 0 {
                return Err(AppError::Internal(format!(
                    "refund {} owes {} more than the card payments it returns have left",
                    sale.id,
                    money(to_give, till.currency)
                )));
            }
            // Stored like every credit note's rounding: what was handed back less the credit,
            // negated (a refund's amounts are negative).
            let handed_back = card_back + cash_back + cash;
            sales::set_totals(
                tx,
                sale.id,
                &SaleTotals {
                    total_minor: sale.total_minor,
                    vat_minor: sale.vat_minor,
                    discount_minor: sale.discount_minor,
                    rounding_minor: -(handed_back + sale.total_minor),
                    change_minor: 0,
                },
                &at,
            )?;
            if !self.complete_if_covered(tx, &till, sale.id, now)? {
                return Err(AppError::Internal(format!(
                    "refund {} is still not covered after the cash was given",
                    sale.id
                )));
            }
            self.sale_view(tx, sale.id)
        })
    }

    #[allow(clippy::too_many_arguments)]
    fn new_refund_sale(
        &self,
        tx: &Connection,
        till: &Till,
        original: &SaleRow,
        cashier: i64,
        approver: i64,
        correction: &str,
        reason: Option<&str>,
        now: &DateTime<Utc>,
    ) -> Result<SaleRow, AppError> {
        let shift =
            shifts::open_shift_of(tx, till.pos.id)?.ok_or_else(|| crate::sales::no_open_shift(till))?;
        let reason = crate::validate::optional_text(reason);
        let id = sales::insert_sale(
            tx,
            &NewSale {
                kind: SaleKind::Refund,
                store_id: till.store.id,
                pos_id: till.pos.id,
                shift_id: shift.id,
                cashier_id: cashier,
                currency: &original.currency,
                original_sale_id: Some(original.id),
                correction: Some(correction),
                reason: reason.as_deref(),
                approved_by: Some(approver),
            },
            &crate::timestamp(*now),
        )?;
        sales::get_sale(tx, id)?.ok_or_else(|| AppError::Internal("refund vanished".into()))
    }

    /// Writes a refund's lines (negative) and its tenders back to the original tenders,
    /// latest first, each limited to what is left of it; completes when all is settled.
    fn write_refund(
        &self,
        tx: &Connection,
        till: &Till,
        original: &SaleRow,
        sale: &SaleRow,
        lines: &[(LineRow, i64)],
        now: &DateTime<Utc>,
    ) -> Result<SaleView, AppError> {
        let at = crate::timestamp(*now);
        let mut total = 0;
        for (line, amount) in lines {
            let row = LineRow {
                sale_id: sale.id,
                // A credit note credits line amounts after discounts; it gives none itself.
                discount_minor: 0,
                total_minor: -amount,
                original_line_id: Some(line.id),
                ..line.clone()
            };
            sales::insert_line(tx, &row)?;
            total += amount;
        }
        let post_void = sale.correction.as_deref() == Some("post_void");
        // A post-void gives back exactly what was paid, cash rounding included.
        let mut rounding = if post_void { original.rounding_minor } else { 0 };
        let mut to_give = total + rounding;
        let mut remaining_tenders = remaining_per_tender(tx, original)?;
        remaining_tenders.reverse();
        let mut n = 0;
        for (tender, left) in remaining_tenders {
            if to_give <= 0 {
                break;
            }
            let mut part = to_give.min(left);
            if part <= 0 {
                continue;
            }
            // A voucher cannot be given back through Venue Manager (it has no call that
            // un-redeems one): its part of a refund is paid back in cash.
            let method = match tender.method {
                TenderMethod::Voucher => TenderMethod::Cash,
                other => other,
            };
            let status = match method {
                TenderMethod::Cash | TenderMethod::Voucher => {
                    // Cash back is rounded like cash taken. Round what is still to give, not
                    // this tender's share of it: 82.30 back from 82.00 paid in cash (rounded
                    // down when it was taken) is 82.00, not 82.00 and 0.30 short. A tender
                    // that cannot cover the rounded rest gives all it has, which was cash
                    // taken and so already a cash amount; another tender gives the rest.
                    if !post_void {
                        let rounded_rest = cash_rounded(to_give, till.currency)?;
                        if rounded_rest <= left {
                            rounding += rounded_rest - to_give;
                            to_give = rounded_rest;
                            part = rounded_rest;
                        }
                    }
                    TenderStatus::Approved
                }
                // Sent to the terminal or provider after this transaction commits.
                TenderMethod::ExternalCard
                | TenderMethod::CardTerminal
                | TenderMethod::Swip
                | TenderMethod::Vourity
                | TenderMethod::Flexiti => TenderStatus::Pending,
            };
            if part == 0 {
                // Rounding took the rest to nothing (0.30 back in kronor): no tender to print.
                continue;
            }
            n += 1;
            sales::insert_tender(
                tx,
                &money_back(sale, n, method, part, status, Some(tender.id), &at),
            )?;
            to_give -= part;
        }
        // Cash rounding can leave the tenders less than a rest that is owed: 57.40 paid as
        // 57.00, 32.50 back as 33.00, and then 24.90 finds 24.00 left. What the sale's own
        // rounding kept back and earlier refunds' rounding gave out beyond their lines is
        // exactly what is missing once everything is credited, so a shortfall up to that
        // sum is rounding on this credit note; anything more is refused below. Bounded so,
        // the refunds of a sale never give back more than it took.
        let rounding_given_before: i64 = sales::refunds_of(tx, original.id)?
            .iter()
            .filter(|r| r.id != sale.id)
            .map(|r| -r.rounding_minor)
            .sum();
        let shortfall_from_rounding = rounding_given_before - original.rounding_minor;
        if !post_void && to_give > 0 && to_give <= shortfall_from_rounding {
            rounding -= to_give;
            to_give = 0;
        }
        if to_give > 0 {
            return Err(AppError::Conflict(format!(
                "the refund of {} is more than the original tenders have left ({} short)",
                money(total, till.currency),
                money(to_give, till.currency)
            )));
        }
        let priced = crate::sales::price_in(
            tx,
            &sales::get_sale(tx, sale.id)?.unwrap_or_else(|| sale.clone()),
            &sales::lines(tx, sale.id)?,
            till.currency,
        )?;
        sales::set_totals(
            tx,
            sale.id,
            &SaleTotals {
                total_minor: -total,
                vat_minor: priced.vat_total.to_minor()?,
                discount_minor: 0,
                rounding_minor: -rounding,
                change_minor: 0,
            },
            &at,
        )?;
        if sales::tenders(tx, sale.id)?
            .iter()
            .any(|t| t.status == TenderStatus::Pending)
        {
            // This process waits for the terminal's answer (see `instance.rs`).
            sales::claim_pending_tenders(tx, sale.id, self.instance_id())?;
            sales::set_status(tx, sale.id, SaleStatus::Paying, &at)?;
        } else {
            self.complete_if_covered(tx, till, sale.id, *now)?;
        }
        // A post-void marks its sale post-voided when it completes (`finalize`), not here:
        // until its card part is given back, the sale stands.
        self.sale_view(tx, sale.id)
    }

    /// Takes goods back without a receipt: a manager's PIN and a reason are required, the
    /// price is today's catalog price, and the money goes back in cash.
    pub fn return_without_receipt(
        &self,
        actor: &Actor,
        items: &[ReturnItemInput],
        reason: &str,
        approval: &ManagerApproval,
    ) -> Result<SaleView, AppError> {
        let reason = crate::validate::name("reason", "A reason for a return without a receipt", reason)?;
        if items.is_empty() {
            return Err(AppError::validation(
                "items",
                "name at least one item to take back",
            ));
        }
        let approver = self.approve(approval, "approve a return without a receipt")?;
        let now = self.now();
        self.write(|tx| {
            let user = self.authorize(tx, actor, SELL, "take returns")?;
            let till = self.till(tx)?;
            self.refuse_if_unknown(tx, &till)?;
            let shift =
                shifts::open_shift_of(tx, till.pos.id)?.ok_or_else(|| crate::sales::no_open_shift(&till))?;
            let at = crate::timestamp(now);
            let mut lines = Vec::new();
            for item in items {
                let scanned = self.scanned_item(tx, &till, &item.code, item.quantity.as_deref(), now)?;
                let total = prorated_minor(scanned.unit_price_minor, scanned.quantity, Decimal::ONE)?;
                lines.push((scanned, total));
            }
            let id = sales::insert_sale(
                tx,
                &NewSale {
                    kind: SaleKind::Refund,
                    store_id: till.store.id,
                    pos_id: till.pos.id,
                    shift_id: shift.id,
                    cashier_id: user.id,
                    currency: &till.store.currency,
                    original_sale_id: None,
                    correction: Some("return_without_receipt"),
                    reason: Some(&reason),
                    approved_by: Some(approver),
                },
                &at,
            )?;
            let mut total = 0;
            for (scanned, amount) in &lines {
                sales::insert_line(
                    tx,
                    &LineRow {
                        id: 0,
                        sale_id: id,
                        line_no: 0,
                        product_id: Some(scanned.product.id),
                        sku: scanned.product.sku.clone(),
                        name: scanned.product.name.clone(),
                        barcode: Some(scanned.code.lookup_key().to_owned()),
                        unit: scanned.product.unit,
                        quantity: (-scanned.quantity).normalize().to_string(),
                        unit_price_minor: scanned.unit_price_minor,
                        catalog_price_minor: scanned.unit_price_minor,
                        price_override_by: None,
                        vat_rate: scanned.vat_rate.clone(),
                        discount: None,
                        discount_minor: 0,
                        total_minor: -amount,
                        original_line_id: None,
                    },
                )?;
                total += amount;
            }
            let cash = cash_rounded(total, till.currency)?;
            sales::insert_tender(
                tx,
                &TenderRow {
                    id: 0,
                    sale_id: id,
                    method: TenderMethod::Cash,
                    amount_minor: -cash,
                    status: TenderStatus::Approved,
                    reference: tender_reference(till.pos.id, id, 1),
                    original_tender_id: None,
                    detail: None,
                    created_at: at.clone(),
                    resolved_at: Some(at.clone()),
                },
            )?;
            let sale =
                sales::get_sale(tx, id)?.ok_or_else(|| AppError::Internal("return vanished".into()))?;
            let priced = crate::sales::price(&sale, &sales::lines(tx, id)?, till.currency)?;
            sales::set_totals(
                tx,
                id,
                &SaleTotals {
                    total_minor: -total,
                    vat_minor: priced.vat_total.to_minor()?,
                    discount_minor: 0,
                    rounding_minor: -(cash - total),
                    change_minor: 0,
                },
                &at,
            )?;
            self.complete_if_covered(tx, &till, id, now)?;
            self.sale_view(tx, id)
        })
    }

    /// Voids an open or parked sale. Nothing is sold and no receipt number is taken; the
    /// record is kept. Cash already taken towards the sale (a customer who paid part in cash
    /// and left when the card for the rest was declined) is handed back: each approved cash
    /// tender gets a return tender (negative, `original_tender_id` pointing at it) in the
    /// same transaction, so the drawer nets to zero and the journal's void record names the
    /// cash returned. Handing cash back needs a manager: a manager voiding, or `approval`
    /// with a manager's PIN. A card payment already approved cannot be given back from the
    /// drawer, and a payment still pending or unknown must be settled first: both are
    /// refused and nothing changes.
    ///
    /// A refund waiting for its declined card part can be voided only if it handed nothing
    /// back; otherwise its card part is retried or given in cash.
    pub fn void_sale(
        &self,
        actor: &Actor,
        sale_id: i64,
        approval: Option<&ManagerApproval>,
    ) -> Result<SaleView, AppError> {
        let approver = approval
            .map(|a| self.approve(a, "approve handing cash back on a void"))
            .transpose()?;
        let at = crate::timestamp(self.now());
        self.write(|tx| {
            let user = self.authorize(tx, actor, SELL, "void sales")?;
            let till = self.till(tx)?;
            let sale = self.sale_for_update(tx, &till, sale_id, &[SaleStatus::Open, SaleStatus::Parked])?;
            if sale.cashier_id != user.id && user.role != Role::Manager {
                return Err(AppError::Forbidden("only the sale's own cashier or a manager can void it".into()));
            }
            let tenders = sales::tenders(tx, sale.id)?;
            if sale.kind == SaleKind::Refund {
                let handed_back = -crate::payments::paid_minor(&tenders);
                if handed_back != 0 {
                    return Err(AppError::Conflict(format!(
                        "refund {} has already handed back {}, so it cannot be voided; nothing was \
                         changed. Retry its card part at the terminal, or give the rest in cash with \
                         a manager's approval",
                        sale.id,
                        money(handed_back, till.currency)
                    )));
                }
            }
            // An open or parked sale never has one (it is `paying` or `unknown` then), but a
            // payment whose outcome is not final must never be voided over.
            if let Some(t) = tenders
                .iter()
                .find(|t| matches!(t.status, TenderStatus::Pending | TenderStatus::Unknown))
            {
                return Err(AppError::Conflict(format!(
                    "payment {} of sale {} is still {}; settle it at the terminal before voiding the sale",
                    t.reference, sale.id, t.status
                )));
            }
            let approved: Vec<&TenderRow> = tenders
                .iter()
                .filter(|t| t.status == TenderStatus::Approved && t.amount_minor != 0)
                .collect();
            if let Some(card) = approved.iter().find(|t| t.method != TenderMethod::Cash) {
                let method = match card.method {
                    TenderMethod::ExternalCard => "card",
                    other => other.as_str(),
                };
                return Err(AppError::Conflict(format!(
                    "sale {} has an approved {method} payment of {} ({}), which cannot be handed back \
                     in cash, so the sale cannot be voided; nothing was changed. Complete the sale \
                     (take the rest of the payment), then refund it with a manager's approval so the \
                     {method} part goes back through the terminal",
                    sale.id,
                    money(card.amount_minor, till.currency),
                    card.reference
                )));
            }
            let cash_to_return: i64 = approved.iter().map(|t| t.amount_minor).sum();
            let approved_by = if user.role == Role::Manager { Some(user.id) } else { approver };
            if cash_to_return != 0 && approved_by.is_none() {
                return Err(AppError::Forbidden(format!(
                    "voiding sale {} hands {} in cash back to the customer, which needs a manager's \
                     approval; ask a manager to approve with their PIN. Nothing was changed",
                    sale.id,
                    money(cash_to_return, till.currency)
                )));
            }
            // Cash is handed back tender by tender, exactly as taken (a part payment in cash
            // is never rounded: rounding is applied only by the tender that completes a sale).
            let mut n = tenders.len();
            let mut cash_returned = 0;
            let mut returns = Vec::new();
            for cash in approved {
                if cash.amount_minor < 0 || cash.original_tender_id.is_some() {
                    return Err(AppError::Internal(format!(
                        "open sale {} has a cash tender given back ({}) before it was voided",
                        sale.id, cash.reference
                    )));
                }
                n += 1;
                let back = TenderRow {
                    detail: Some(json!({ "returnedOnVoid": cash.reference }).to_string()),
                    ..money_back(&sale, n, TenderMethod::Cash, cash.amount_minor, TenderStatus::Approved, Some(cash.id), &at)
                };
                let reference = back.reference.clone();
                sales::insert_tender(tx, &back)?;
                cash_returned += cash.amount_minor;
                returns.push(json!({
                    "method": TenderMethod::Cash.as_str(),
                    "amount": money(-cash.amount_minor, till.currency).amount_string(),
                    "reference": reference,
                    "returns": cash.reference,
                }));
            }
            sales::set_voided(tx, sale.id, SaleStatus::Voided, user.id, &at)?;
            let view = self.sale_view(tx, sale.id)?;
            crate::journal::append(
                tx,
                &at,
                "void",
                json!({
                    "saleId": sale.id, "posId": sale.pos_id, "shiftId": sale.shift_id, "cashierId": user.id,
                    "total": view.total,
                    "lines": view.lines.iter().map(|l| json!({ "sku": l.sku, "quantity": l.quantity, "total": l.total })).collect::<Vec<_>>(),
                    "cashReturned": money(cash_returned, till.currency).amount_string(),
                    "tenders": returns,
                    "approvedBy": if cash_returned != 0 { approved_by } else { None },
                }),
            )?;
            Ok(view)
        })
    }
}

/// A tender that hands `amount_minor` back on `sale` (a credit note or a void), numbered `n`
/// in the sale's `KS-<pos>-<sale>-<n>` series and pointing at the tender it returns. It is
/// settled at once unless it waits for a terminal (`Pending`).
fn money_back(
    sale: &SaleRow,
    n: usize,
    method: TenderMethod,
    amount_minor: i64,
    status: TenderStatus,
    original_tender_id: Option<i64>,
    at: &str,
) -> TenderRow {
    TenderRow {
        id: 0,
        sale_id: sale.id,
        method,
        amount_minor: -amount_minor,
        status,
        reference: tender_reference(sale.pos_id, sale.id, n),
        original_tender_id,
        detail: None,
        created_at: at.to_owned(),
        resolved_at: (status == TenderStatus::Approved).then(|| at.to_owned()),
    }
}
