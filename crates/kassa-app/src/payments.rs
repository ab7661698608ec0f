//! Tenders and completion. Every tender is recorded (with its idempotency reference)
//! before anything is asked of a terminal or the cashier; a sale completes in exactly one
//! place, [`Kassa::finalize`], when approved tenders cover it.

use chrono::{DateTime, Utc};
use serde_json::json;

use kassa_core::org::{SaleKind, SaleStatus, TenderMethod, TenderStatus};
use kassa_core::payment::{
    PaymentError, PaymentMethod, PaymentOutcome, PaymentPurpose, PaymentReference, PaymentRequest,
    PaymentState,
};
use kassa_core::{CashRounding, Currency, Money};
use kassa_store::sales::{self, SaleRow, SaleTotals, TenderRow};
use kassa_store::{Connection, outbox};

use crate::sales::{SELL, SaleView, Till, money, parse_amount};
use crate::{Actor, AppError, Kassa};

/// The amount cash must cover, after the currency's cash rounding.
pub(crate) fn cash_rounded(amount_minor: i64, currency: Currency) -> Result<i64, AppError> {
    Ok(CashRounding::for_currency(currency)
        .apply(&money(amount_minor, currency))
        .rounded
        .to_minor()?)
}

/// A stand-alone card terminal not connected to Kassa: the cashier keys the amount into it
/// and tells Kassa what the terminal said. Its "provider" is the cashier's answer.
pub(crate) struct ExternalCard {
    /// What the cashier reports the terminal showed, when asked.
    pub answer: Option<bool>,
}

impl PaymentMethod for ExternalCard {
    fn start(&mut self, _request: &PaymentRequest) -> Result<PaymentOutcome, PaymentError> {
        Ok(PaymentOutcome::pending())
    }

    fn poll(&mut self, _reference: &PaymentReference) -> Result<PaymentOutcome, PaymentError> {
        Ok(self.outcome())
    }

    fn cancel(&mut self, _reference: &PaymentReference) -> Result<PaymentOutcome, PaymentError> {
        Ok(PaymentOutcome::Cancelled)
    }

    fn reconcile(&mut self, _reference: &PaymentReference) -> Result<PaymentOutcome, PaymentError> {
        Ok(match self.answer {
            Some(_) => self.outcome(),
            None => PaymentOutcome::Unknown {
                detail: "ask the cashier to check the terminal's own journal".into(),
            },
        })
    }
}

impl ExternalCard {
    fn outcome(&self) -> PaymentOutcome {
        match self.answer {
            Some(true) => PaymentOutcome::approved(None),
            Some(false) => PaymentOutcome::Declined {
                reason: "declined at the terminal".into(),
            },
            None => PaymentOutcome::pending(),
        }
    }
}

/// Only the stand-alone terminal's payments are answered by the cashier's word; a
/// provider's are asked of the provider.
fn refuse_unless_stand_alone_card(tender: &TenderRow, expected: TenderStatus) -> Result<(), AppError> {
    // A voucher redemption whose answer was lost cannot be told apart from someone else's
    // by asking Venue Manager (see `voucher_payments.rs`): a manager settles it by hand.
    // Nor can an integrated terminal's that reconcile could not match with certainty.
    if tender.method == TenderMethod::ExternalCard
        || (matches!(tender.method, TenderMethod::Voucher | TenderMethod::CardTerminal)
            && expected == TenderStatus::Unknown)
    {
        return Ok(());
    }
    Err(AppError::Conflict(format!(
        "payment {} is a {} payment: it is settled by asking the provider (reconcile: `kassa sale \
         resolve {}` without --approved or --declined), never by hand; nothing was changed",
        tender.reference,
        tender.method.as_str(),
        tender.id
    )))
}

fn state_of(status: TenderStatus) -> PaymentState {
    match status {
        TenderStatus::Pending => PaymentState::Pending,
        TenderStatus::Approved => PaymentState::Approved,
        TenderStatus::Declined => PaymentState::Declined,
        TenderStatus::Cancelled => PaymentState::Cancelled,
        TenderStatus::Unknown => PaymentState::Unknown,
    }
}

fn status_of(state: PaymentState) -> TenderStatus {
    match state {
        PaymentState::Pending => TenderStatus::Pending,
        PaymentState::Approved => TenderStatus::Approved,
        PaymentState::Declined => TenderStatus::Declined,
        PaymentState::Cancelled => TenderStatus::Cancelled,
        PaymentState::Unknown => TenderStatus::Unknown,
    }
}

/// Splits "10 EUR" into its amount and checks the currency is the sale's. Only a trailing
/// word of letters is a currency: "1 234,50" is one amount where spaces group thousands.
fn tendered_amount(raw: &str, till: &Till) -> Result<Money, AppError> {
    let currency = till.currency;
    let trimmed = raw.trim();
    let amount = match trimmed.rsplit_once(char::is_whitespace) {
        Some((amount, code)) if !code.is_empty() && code.chars().all(|c| c.is_alphabetic()) => {
            if code != currency.code() {
                return Err(AppError::validation(
                    "amount",
                    format!("this sale is in {currency}; a tender in {code} is not accepted"),
                ));
            }
            amount
        }
        _ => trimmed,
    };
    parse_amount("amount", amount, till)
}

pub(crate) fn paid_minor(tenders: &[TenderRow]) -> i64 {
    tenders
        .iter()
        .filter(|t| t.status == TenderStatus::Approved)
        .map(|t| t.amount_minor)
        .sum()
}

fn payment_reference(text: &str) -> Result<PaymentReference, AppError> {
    PaymentReference::new(text).map_err(|e| AppError::Internal(format!("payment reference {text:?}: {e}")))
}

fn new_reference(sale: &SaleRow, tenders: &[TenderRow]) -> String {
    tender_reference(sale.pos_id, sale.id, tenders.len() + 1)
}

/// The idempotency reference of a sale's `n`th tender: `KS-<pos>-<sale>-<n>`. Unique per
/// tender (the column is UNIQUE) and stable, so a terminal or provider asked twice about
/// the same reference knows it is the same payment.
pub(crate) fn tender_reference(pos_id: i64, sale_id: i64, n: usize) -> String {
    format!("KS-{pos_id}-{sale_id}-{n}")
}

impl Kassa {
    /// Takes cash. When it covers what is left (after cash rounding) the sale completes and
    /// the change is recorded; less than that is a partial cash tender.
    pub fn pay_cash(&self, actor: &Actor, sale_id: i64, tendered: &str) -> Result<SaleView, AppError> {
        let now = self.now();
        let at = crate::timestamp(now);
        self.write(|tx| {
            let user = self.authorize(tx, actor, SELL, "take payments")?;
            let till = self.till(tx)?;
            let sale = self.sale_for_update(tx, &till, sale_id, &[SaleStatus::Open])?;
            self.refuse_unless_owner(tx, &sale, &user)?;
            if sale.kind != SaleKind::Sale {
                return Err(AppError::Conflict(
                    "refunds are paid back through the refund itself".into(),
                ));
            }
            if sales::lines(tx, sale.id)?.is_empty() {
                return Err(AppError::Conflict("the sale has no items yet".into()));
            }
            let tenders = sales::tenders(tx, sale.id)?;
            let amount = tendered_amount(tendered, &till)?;
            let tendered_minor = amount.to_minor()?;
            let remaining = sale.total_minor + sale.rounding_minor - paid_minor(&tenders);
            let due = cash_rounded(remaining, till.currency)?;
            if tendered_minor < 0 || (tendered_minor == 0 && due > 0) {
                return Err(AppError::validation(
                    "amount",
                    format!("cash tendered must be more than zero (got {amount})"),
                ));
            }
            // Cash that covers what is left, unrounded, settles the sale: it must then cover
            // the rounded amount too. Taken as a part payment, 82.80 against 82.70 left (83.00
            // due in cash) would pay the sale with no change and no rounding line.
            if tendered_minor >= remaining && tendered_minor < due {
                return Err(AppError::validation(
                    "amount",
                    format!(
                        "{} in cash does not cover the {} due ({} left to pay, rounded for cash); \
                         take at least {}, or less than {} as a part payment",
                        money(tendered_minor, till.currency),
                        money(due, till.currency),
                        money(remaining, till.currency),
                        money(due, till.currency),
                        money(remaining, till.currency)
                    ),
                ));
            }
            let (applied, change, rounding) = if tendered_minor >= due {
                (due, tendered_minor - due, due - remaining)
            } else {
                (tendered_minor, 0, 0)
            };
            sales::insert_tender(
                tx,
                &TenderRow {
                    id: 0,
                    sale_id: sale.id,
                    method: TenderMethod::Cash,
                    amount_minor: applied,
                    status: TenderStatus::Approved,
                    reference: new_reference(&sale, &tenders),
                    original_tender_id: None,
                    detail: Some(json!({ "tendered": amount.amount_string() }).to_string()),
                    created_at: at.clone(),
                    resolved_at: Some(at.clone()),
                },
            )?;
            let totals = SaleTotals {
                total_minor: sale.total_minor,
                vat_minor: sale.vat_minor,
                discount_minor: sale.discount_minor,
                rounding_minor: sale.rounding_minor + rounding,
                change_minor: change,
            };
            sales::set_totals(tx, sale.id, &totals, &at)?;
            // Completing builds the final view already; building it again costs a third of
            // the commit's CPU.
            match self.complete_if_covered_with_view(tx, &till, sale.id, now)? {
                Some(view) => Ok(view),
                None => self.sale_view(tx, sale.id),
            }
        })
    }

    /// Starts a payment on the stand-alone card terminal. The tender is stored as pending
    /// with its reference first; the cashier then keys the amount in and confirms.
    pub fn start_card_payment(
        &self,
        actor: &Actor,
        sale_id: i64,
        amount: Option<&str>,
    ) -> Result<SaleView, AppError> {
        let at = crate::timestamp(self.now());
        let started = self.write(|tx| {
            let user = self.authorize(tx, actor, SELL, "take payments")?;
            let till = self.till(tx)?;
            let sale = self.sale_for_update(tx, &till, sale_id, &[SaleStatus::Open])?;
            self.refuse_unless_owner(tx, &sale, &user)?;
            if sale.kind != SaleKind::Sale {
                return Err(AppError::Conflict(
                    "refunds are paid back through the refund itself".into(),
                ));
            }
            let tenders = sales::tenders(tx, sale.id)?;
            let remaining = sale.total_minor + sale.rounding_minor - paid_minor(&tenders);
            let amount = match amount {
                Some(raw) => tendered_amount(raw, &till)?,
                None => money(remaining, till.currency),
            };
            let minor = amount.to_minor()?;
            if minor <= 0 || minor > remaining {
                return Err(AppError::validation(
                    "amount",
                    format!(
                        "a card payment must be more than zero and at most the {} still to pay (got {})",
                        money(remaining, till.currency),
                        amount
                    ),
                ));
            }
            let reference = new_reference(&sale, &tenders);
            sales::insert_tender(
                tx,
                &TenderRow {
                    id: 0,
                    sale_id: sale.id,
                    method: TenderMethod::ExternalCard,
                    amount_minor: minor,
                    status: TenderStatus::Pending,
                    reference: reference.clone(),
                    original_tender_id: None,
                    detail: None,
                    created_at: at.clone(),
                    resolved_at: None,
                },
            )?;
            // This process waits for the terminal's answer (see `instance.rs`).
            sales::claim_pending_tenders(tx, sale.id, self.instance_id())?;
            sales::set_status(tx, sale.id, SaleStatus::Paying, &at)?;
            Ok((reference, amount))
        })?;
        // Only now, with the pending tender durable, is the terminal asked.
        let (reference, amount) = started;
        self.ask_terminal(&PaymentRequest {
            reference: payment_reference(&reference)?,
            amount,
            purpose: PaymentPurpose::Purchase,
        })?;
        self.read(|conn| self.sale_view(conn, sale_id))
    }

    /// Sends the card refunds a credit note recorded as pending to the terminal, each as a
    /// payment with purpose Refund naming the payment it returns. Called after the
    /// transaction that stored them, never inside it: the refund is durable first.
    pub(crate) fn start_card_refunds(&self, refund_sale_id: i64) -> Result<(), AppError> {
        let requests = self.read(|conn| {
            let sale = sales::get_sale(conn, refund_sale_id)?
                .ok_or_else(|| AppError::Internal(format!("refund {refund_sale_id} vanished")))?;
            let currency: Currency = sale
                .currency
                .parse()
                .map_err(|e| AppError::Internal(format!("refund {refund_sale_id}: {e}")))?;
            let mut requests = Vec::new();
            for tender in sales::tenders(conn, sale.id)? {
                if tender.method != TenderMethod::ExternalCard || tender.status != TenderStatus::Pending {
                    continue;
                }
                let original = tender
                    .original_tender_id
                    .and_then(|id| sales::get_tender(conn, id).transpose())
                    .transpose()?
                    .ok_or_else(|| {
                        AppError::Internal(format!(
                            "card refund {} names no original payment",
                            tender.reference
                        ))
                    })?;
                requests.push(PaymentRequest {
                    reference: payment_reference(&tender.reference)?,
                    amount: money(-tender.amount_minor, currency),
                    purpose: PaymentPurpose::Refund {
                        original: payment_reference(&original.reference)?,
                    },
                });
            }
            Ok(requests)
        })?;
        for request in &requests {
            self.ask_terminal(request)?;
        }
        self.start_terminal_refunds(refund_sale_id)?;
        self.start_provider_refunds(refund_sale_id)
    }

    /// Sends a request to the stand-alone terminal. Its answer always comes later, from
    /// the cashier (`confirm_card_payment`), so `start` only checks and hands over.
    fn ask_terminal(&self, request: &PaymentRequest) -> Result<(), AppError> {
        request.check().map_err(|e| AppError::Internal(e.to_string()))?;
        let mut terminal = ExternalCard { answer: None };
        match terminal.start(request) {
            Ok(PaymentOutcome::Pending { .. }) => Ok(()),
            Ok(other) => Err(AppError::Internal(format!(
                "the stand-alone terminal answered {other:?} at once for {}; its answers come from the cashier",
                request.reference
            ))),
            Err(e) => Err(AppError::Internal(e.to_string())),
        }
    }

    /// The cashier's answer for a pending card payment: approved or declined. Only the
    /// process that started the payment waits for it; a payment another running Kassa is
    /// taking is refused, and one whose process has stopped is unknown by now and goes
    /// through [`Kassa::resolve_unknown_payment`].
    pub fn confirm_card_payment(
        &self,
        actor: &Actor,
        tender_id: i64,
        approved: bool,
    ) -> Result<SaleView, AppError> {
        self.mark_interrupted_payments()?;
        self.settle_card(actor, tender_id, TenderStatus::Pending, approved, None)
    }

    /// Resolves a card payment whose outcome was lost (the app stopped while it was
    /// pending). The cashier checks the terminal's own journal; nothing is charged again.
    /// Marking it approved completes the sale on that word alone, so it needs a manager
    /// (`approval`, or a manager doing it); marking it declined does not. Any seller at the
    /// till may resolve it: the till is blocked until it is, and its cashier may be gone.
    pub fn resolve_unknown_payment(
        &self,
        actor: &Actor,
        tender_id: i64,
        approved: bool,
        approval: Option<&crate::ManagerApproval>,
    ) -> Result<SaleView, AppError> {
        let approver = match approval {
            Some(a) if approved => Some(self.approve(a, "approve an unknown card payment as paid")?),
            _ => None,
        };
        self.settle_card(actor, tender_id, TenderStatus::Unknown, approved, approver)
    }

    /// Gives up on a pending card payment (the terminal was cancelled).
    pub fn cancel_card_payment(&self, actor: &Actor, tender_id: i64) -> Result<SaleView, AppError> {
        self.mark_interrupted_payments()?;
        let now = self.now();
        let at = crate::timestamp(now);
        self.write(|tx| {
            let user = self.authorize(tx, actor, SELL, "take payments")?;
            let till = self.till(tx)?;
            if let Some(tender) = sales::get_tender(tx, tender_id)? {
                refuse_unless_stand_alone_card(&tender, TenderStatus::Pending)?;
            }
            let tender = self.tender_on_till(tx, &till, tender_id, TenderStatus::Pending)?;
            self.refuse_unless_tender_owner(tx, &tender, &user)?;
            self.refuse_if_taken_elsewhere(tx, &tender)?;
            let reference =
                PaymentReference::new(&tender.reference).map_err(|e| AppError::Internal(e.to_string()))?;
            let outcome = ExternalCard { answer: None }
                .cancel(&reference)
                .map_err(|e| AppError::Internal(e.to_string()))?;
            self.apply_outcome(tx, &till, &tender, outcome, now)?;
            let _ = at;
            self.sale_view(tx, tender.sale_id)
        })
    }

    pub(crate) fn tender_on_till(
        &self,
        conn: &Connection,
        till: &Till,
        tender_id: i64,
        expected: TenderStatus,
    ) -> Result<TenderRow, AppError> {
        let tender = sales::get_tender(conn, tender_id)?
            .ok_or_else(|| AppError::NotFound(format!("there is no payment with id {tender_id}")))?;
        let sale = sales::get_sale(conn, tender.sale_id)?
            .ok_or_else(|| AppError::Internal("sale vanished".into()))?;
        if sale.pos_id != till.pos.id {
            return Err(AppError::Conflict(format!(
                "payment {tender_id} belongs to another till"
            )));
        }
        if tender.status != expected {
            return Err(AppError::Conflict(format!(
                "payment {} is {}, not {}; nothing was changed",
                tender.reference, tender.status, expected
            )));
        }
        Ok(tender)
    }

    /// A pending payment is answered only in the process that waits for it. (One whose
    /// process stopped was marked unknown just before, by `mark_interrupted_payments`.)
    pub(crate) fn refuse_if_taken_elsewhere(
        &self,
        conn: &Connection,
        tender: &TenderRow,
    ) -> Result<(), AppError> {
        match sales::tender_owner(conn, tender.id)? {
            Some(owner) if owner != self.instance_id() => Err(AppError::Conflict(format!(
                "payment {} is being taken by another Kassa that is running on this computer (the \
                 app, or another command); answer it there. Nothing was changed",
                tender.reference
            ))),
            _ => Ok(()),
        }
    }

    /// A pending payment is the open sale's: only its cashier answers or cancels it.
    pub(crate) fn refuse_unless_tender_owner(
        &self,
        conn: &Connection,
        tender: &TenderRow,
        user: &kassa_store::users::User,
    ) -> Result<(), AppError> {
        let sale = sales::get_sale(conn, tender.sale_id)?
            .ok_or_else(|| AppError::Internal("sale vanished".into()))?;
        self.refuse_unless_owner(conn, &sale, user)
    }

    fn settle_card(
        &self,
        actor: &Actor,
        tender_id: i64,
        expected: TenderStatus,
        approved: bool,
        approver: Option<i64>,
    ) -> Result<SaleView, AppError> {
        let now = self.now();
        let audit = self.audit(Some(actor));
        self.write(|tx| {
            let user = self.authorize(tx, actor, SELL, "take payments")?;
            let till = self.till(tx)?;
            if let Some(tender) = sales::get_tender(tx, tender_id)? {
                refuse_unless_stand_alone_card(&tender, expected)?;
            }
            let tender = self.tender_on_till(tx, &till, tender_id, expected)?;
            if expected == TenderStatus::Pending {
                self.refuse_unless_tender_owner(tx, &tender, &user)?;
                self.refuse_if_taken_elsewhere(tx, &tender)?;
            }
            if expected == TenderStatus::Unknown && approved {
                let by = approver
                    .or((user.role == kassa_core::org::Role::Manager).then_some(user.id))
                    .ok_or_else(|| {
                        AppError::ApprovalRequired(format!(
                            "marking payment {} ({}) approved completes the sale without the terminal's \
                             answer reaching Kassa; a manager must approve with their name and PIN after \
                             checking the terminal's own journal (marking it declined needs no approval)",
                            tender.reference,
                            money(tender.amount_minor, till.currency)
                        ))
                    })?;
                audit.record(
                    tx,
                    "tender",
                    tender.id,
                    "approve_unknown_payment",
                    None,
                    Some(&json!({ "reference": tender.reference, "approvedBy": by })),
                )?;
            }
            let reference =
                PaymentReference::new(&tender.reference).map_err(|e| AppError::Internal(e.to_string()))?;
            let mut terminal = ExternalCard {
                answer: Some(approved),
            };
            let outcome = match expected {
                TenderStatus::Unknown => terminal.reconcile(&reference),
                _ => terminal.poll(&reference),
            }
            .map_err(|e| AppError::Internal(e.to_string()))?;
            self.apply_outcome(tx, &till, &tender, outcome, now)?;
            self.sale_view(tx, tender.sale_id)
        })
    }

    /// Records a payment outcome through the state machine, then completes the sale or
    /// reopens it for another tender.
    pub(crate) fn apply_outcome(
        &self,
        tx: &Connection,
        till: &Till,
        tender: &TenderRow,
        outcome: PaymentOutcome,
        now: DateTime<Utc>,
    ) -> Result<(), AppError> {
        let at = crate::timestamp(now);
        let state = state_of(tender.status);
        let next = if state == PaymentState::Unknown {
            state.reconcile(&outcome)
        } else {
            state.transition(&outcome)
        }
        .map_err(|e| AppError::Conflict(format!("payment {}: {e}", tender.reference)))?;
        let detail = match &outcome {
            PaymentOutcome::Approved {
                authorization: Some(code),
                ..
            } => Some(json!({ "authorization": code }).to_string()),
            PaymentOutcome::Declined { reason } => Some(json!({ "declined": reason }).to_string()),
            _ => None,
        };
        sales::resolve_tender(tx, tender.id, status_of(next), detail.as_deref(), &at)?;
        // A refund may send several card parts at once: while one is still at the terminal
        // the refund stays `paying`. Otherwise a sale not yet covered is open for another
        // tender, and a refund whose card part was declined or cancelled is open too, its
        // lines and the money it already handed back still counted against the original
        // (see `corrections.rs`): it is retried, given in cash with a manager, or voided if
        // it handed nothing back.
        let still_pending = sales::tenders(tx, tender.sale_id)?
            .iter()
            .any(|t| t.status == TenderStatus::Pending);
        match next {
            PaymentState::Approved => {
                if !self.complete_if_covered(tx, till, tender.sale_id, now)? && !still_pending {
                    sales::set_status(tx, tender.sale_id, SaleStatus::Open, &at)?;
                }
            }
            PaymentState::Declined | PaymentState::Cancelled => {
                if !still_pending {
                    sales::set_status(tx, tender.sale_id, SaleStatus::Open, &at)?
                }
            }
            PaymentState::Pending | PaymentState::Unknown => {}
        }
        Ok(())
    }

    /// Completes the sale when approved tenders cover it. Returns whether it did.
    pub(crate) fn complete_if_covered(
        &self,
        tx: &Connection,
        till: &Till,
        sale_id: i64,
        now: DateTime<Utc>,
    ) -> Result<bool, AppError> {
        Ok(self
            .complete_if_covered_with_view(tx, till, sale_id, now)?
            .is_some())
    }

    /// [`Kassa::complete_if_covered`], returning the completed sale's view when it did.
    fn complete_if_covered_with_view(
        &self,
        tx: &Connection,
        till: &Till,
        sale_id: i64,
        now: DateTime<Utc>,
    ) -> Result<Option<SaleView>, AppError> {
        let sale = sales::get_sale(tx, sale_id)?.ok_or_else(|| AppError::Internal("sale vanished".into()))?;
        let tenders = sales::tenders(tx, sale.id)?;
        let due = sale.total_minor + sale.rounding_minor;
        let paid = paid_minor(&tenders);
        let covered = if due >= 0 { paid >= due } else { paid <= due };
        if !covered || tenders.iter().any(|t| t.status == TenderStatus::Pending) {
            return Ok(None);
        }
        Ok(Some(self.finalize(tx, till, &sale, &tenders, now)?.1))
    }

    /// The single place where a receipt is finalised: it takes the next receipt number,
    /// marks the sale completed, appends the journal record and queues the outbox message,
    /// all in the caller's transaction. (Sweden's control-unit call belongs here.) Returns
    /// the receipt number and the completed sale's view: nothing after it changes the view,
    /// so callers need not build it again.
    pub(crate) fn finalize(
        &self,
        tx: &Connection,
        till: &Till,
        sale: &SaleRow,
        tenders: &[TenderRow],
        now: DateTime<Utc>,
    ) -> Result<(i64, SaleView), AppError> {
        let at = crate::timestamp(now);
        let receipt_no = sales::take_receipt_no(tx, sale.pos_id)?;
        sales::mark_completed(tx, sale.id, receipt_no, &at)?;
        // A post-void voids its sale only once it has given all the money back.
        if sale.kind == SaleKind::Refund
            && sale.correction.as_deref() == Some("post_void")
            && let Some(original) = sale.original_sale_id
        {
            sales::set_voided(tx, original, SaleStatus::PostVoided, sale.cashier_id, &at)?;
        }
        let view = self.sale_view(tx, sale.id)?;
        // A credit note's VAT depends on the credit notes completed before it (see
        // `credited_vat`): fixed now, as it completes.
        let vat_minor = if sale.kind == SaleKind::Refund {
            let vat = crate::sales::price_in(tx, sale, &sales::lines(tx, sale.id)?, till.currency)?
                .vat_total
                .to_minor()?;
            if vat != sale.vat_minor {
                sales::set_totals(
                    tx,
                    sale.id,
                    &SaleTotals {
                        total_minor: sale.total_minor,
                        vat_minor: vat,
                        discount_minor: sale.discount_minor,
                        rounding_minor: sale.rounding_minor,
                        change_minor: sale.change_minor,
                    },
                    &at,
                )?;
            }
            vat
        } else {
            sale.vat_minor
        };
        let local = self.store_local(&till.store, now);
        let incl = money(sale.total_minor + sale.rounding_minor, till.currency);
        let excl = money(sale.total_minor - vat_minor, till.currency);
        // The journal names each correction for what it is.
        let kind = match (sale.kind, sale.correction.as_deref()) {
            (SaleKind::Sale, _) => "sale",
            (SaleKind::Refund, Some("post_void")) => "post_void",
            (SaleKind::Refund, Some("return_without_receipt")) => "return_without_receipt",
            (SaleKind::Refund, _) => "refund",
        };
        let payload = json!({
            "saleId": sale.id,
            "receiptNo": receipt_no,
            "receiptCode": view.receipt_code,
            "originalReceiptCode": view.original_receipt_code,
            "storeId": sale.store_id,
            "posId": sale.pos_id,
            "shiftId": sale.shift_id,
            "cashierId": sale.cashier_id,
            "currency": sale.currency,
            "reason": sale.reason,
            "lines": view.lines.iter().map(|l| json!({
                "sku": l.sku, "name": l.name, "quantity": l.quantity, "unitPrice": l.unit_price,
                "discount": l.discount_amount, "total": l.total, "vatRate": l.vat_rate,
                "priceOverridden": l.price_overridden,
            })).collect::<Vec<_>>(),
            "vat": view.vat.iter().map(|v| json!({ "rate": v.rate, "net": v.net, "vat": v.vat, "gross": v.gross })).collect::<Vec<_>>(),
            "tenders": tenders.iter().filter(|t| t.status == TenderStatus::Approved).map(|t| json!({
                "method": t.method.as_str(), "amount": money(t.amount_minor, till.currency).amount_string(), "reference": t.reference,
            })).collect::<Vec<_>>(),
            "discountTotal": view.discount_total,
            "rounding": view.rounding,
            "change": view.change,
            // Exactly the values a SAF-T Cash Register signature signs.
            "signature": {
                "transDate": local.format("%Y-%m-%d").to_string(),
                "transTime": local.format("%H:%M:%S").to_string(),
                "nr": receipt_no.to_string(),
                "transAmntIn": incl.amount_string(),
                "transAmntEx": excl.amount_string(),
            },
        });
        let mut payload = payload;
        if let Some(loyalty) = &view.loyalty_discount {
            // A loyalty program's discount, named apart: part of discountTotal and of the
            // lines' discounts, but the provider's, not the cashier's.
            payload["loyaltyDiscount"] = json!(loyalty);
        }
        let message = payload.to_string();
        crate::journal::append(tx, &at, kind, payload)?;
        outbox::enqueue(tx, &format!("{kind}.completed"), &message, &at)?;
        Ok((receipt_no, view))
    }

    /// Whether a pending payment's owner (`None` for rows written before owners were) is a
    /// Kassa process that is no longer running.
    fn is_lost(&self, db_path: &std::path::Path, owner: Option<&str>) -> bool {
        match owner {
            // Written before owners were recorded: its process is long gone.
            None => true,
            Some(id) if id == self.instance_id() => false,
            Some(id) => !crate::instance::is_running(db_path, id),
        }
    }

    /// Whether any payment is pending for a Kassa process that is no longer running (see
    /// [`Kassa::mark_interrupted_payments`]), read in the caller's transaction.
    /// `db_path` is [`Kassa::db_path`], taken before the transaction (which holds the
    /// database it would wait for).
    pub(crate) fn any_interrupted_payment(
        &self,
        conn: &Connection,
        db_path: &std::path::Path,
    ) -> Result<bool, AppError> {
        let pending = sales::pending_tenders_with_owner(conn)?;
        Ok(pending
            .iter()
            .any(|(_, owner)| self.is_lost(db_path, owner.as_deref())))
    }

    /// A card payment left pending by a Kassa process that is no longer running has lost
    /// its outcome: it becomes Unknown, with its sale, and must be resolved (through
    /// reconcile) before the till does anything else. A payment that this or another
    /// running process waits for is left alone. Runs when the service opens; returns how
    /// many it marked.
    pub fn mark_interrupted_payments(&self) -> Result<u32, AppError> {
        // Runs before every payment call: the common case (nothing lost) only reads, so
        // a till polling its provider does not take the write lock once a second.
        let db_path = self.db_path();
        if !self.read(|conn| self.any_interrupted_payment(conn, &db_path))? {
            return Ok(0);
        }
        let at = crate::timestamp(self.now());
        self.write(|tx| {
            let mut count = 0;
            for (tender, owner) in sales::pending_tenders_with_owner(tx)? {
                if self.is_lost(&db_path, owner.as_deref()) {
                    sales::resolve_tender(tx, tender.id, TenderStatus::Unknown, None, &at)?;
                    sales::set_status(tx, tender.sale_id, SaleStatus::Unknown, &at)?;
                    count += 1;
                }
            }
            Ok(count)
        })
    }
}
