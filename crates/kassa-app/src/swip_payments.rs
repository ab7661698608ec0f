//! SWiP as a [`PaymentMethod`]: the customer scans the order's QR code and pays in the
//! SWiP app; the till closes the order with what it takes. Refunds name the original
//! order's `merchantOrderId`.
//!
//! The flow, and the readings of seeds/003 it rests on:
//! - The order's `merchantOrderId` is the tender's reference, stored before the create.
//!   A new tender (a new attempt) has a new reference, as the document demands of a new
//!   order.
//! - The customer can pay only by scanning the `sessionCode`, which only the create's
//!   answer carries and the till shows only once that answer is stored. So when the
//!   answer of a create is lost, nobody can have paid the order: reconciling such a
//!   payment answers cancelled (SWiP closes the unseen order itself when it times out).
//! - The till waits up to the document's 90 s ([`ProviderTimings::swip_order_timeout`]);
//!   on timeout or cancel it first reads the order: what was paid is closed (the tender
//!   shrinks to it, the rest is taken another way), nothing paid is closed with 0.
//! - Close is callable once. A close whose answer is lost leaves the payment unknown;
//!   reconciling reads the order, which says whether the close arrived.
//! - Refunds are not deduplicated by SWiP, so an unanswered refund is never sent again:
//!   reconciling compares the order's `refunded` with the refunds Kassa already knows.
//! - The customer may take SWiP's loyalty in the app and pay at the till instead (the
//!   document's "loyalty calculation without payment inside the SWiP app"): with nothing
//!   paid in the app, the till closes the order with the amount it will take in cash,
//!   tagged `ROUNDED` when that is the cash-rounded total (less than one unit off). Such
//!   an order is CLOSED with a close amount and `paid` 0: SWiP took no money, so the
//!   tender is cancelled and the cash is taken as cash. (A personal discount the app
//!   applied shows as an order `total` below the tender; Kassa refuses the at-till close
//!   then rather than guess how to spread it.)
//! - 429 is an answer to a request SWiP did not handle: the same call is made again
//!   after its `Retry-After` (bounded by [`ProviderTimings::max_retry_after`]).

use std::future::Future;

use chrono::{DateTime, Utc};
use serde_json::json;

use kassa_core::payment::{
    CashierPrompt, PaymentError, PaymentMethod, PaymentOutcome, PaymentPurpose, PaymentReference,
    PaymentRequest, PromptText,
};
use kassa_core::{Currency, Money};
use kassa_providers::CallError;
use kassa_providers::swip::{self, CreateOrderRequest, Order, OrderStatus, SwipError};

use crate::Kassa;
use crate::provider_payments::{NewStep, ProviderTimings};

const METHOD: &str = "SWiP";

/// What a refund needs to know about the payment it gives back.
pub(crate) struct SwipRefund {
    /// The original order's id in SWiP (from its `order_created` step).
    pub original_order_id: Option<String>,
    /// What Kassa already recorded as refunded on that order by other, approved refunds.
    pub refunded_by_others: Money,
}

/// One SWiP payment or refund, with what earlier calls stored about it.
pub(crate) struct SwipPayment<'k> {
    pub kassa: &'k Kassa,
    pub client: swip::Client,
    pub timings: ProviderTimings,
    pub amount: Money,
    pub purpose: PaymentPurpose,
    /// The body of the create, built from the sale (purchases only).
    pub order: Option<CreateOrderRequest>,
    /// SWiP's id of the order, once the create's answer was stored.
    pub order_id: Option<String>,
    /// When the create's answer was stored: the 90 s run from there.
    pub created_at: Option<DateTime<Utc>>,
    pub refund: Option<SwipRefund>,
    /// Steps to store with the outcome.
    pub steps: Vec<NewStep>,
}

fn transport(reference: &PaymentReference, detail: impl Into<String>) -> PaymentError {
    crate::provider_payments::transport_error(METHOD, reference, detail)
}

fn rejected(reference: &PaymentReference, reason: impl Into<String>) -> PaymentError {
    crate::provider_payments::rejected_error(METHOD, reference, reason)
}

fn money_call_error(reference: &PaymentReference, error: CallError<SwipError>) -> PaymentError {
    crate::provider_payments::money_call_error(METHOD, reference, error)
}

fn order_json(order: &Order) -> String {
    json!({
        "id": order.id,
        "merchantOrderId": order.merchant_order_id,
        "orderStatus": order.order_status.to_string(),
        "total": order.total.to_string(),
        "paid": order.paid.map(|p| p.to_string()),
        "closeAmount": order.close_amount.map(|p| p.to_string()),
        "refunded": order.refunded.map(|p| p.to_string()),
        "authorizationCode": order.authorization_code,
        "error": order.error,
    })
    .to_string()
}

impl SwipPayment<'_> {
    fn currency(&self) -> Currency {
        self.amount.currency()
    }

    fn minor(&self, money: &Money) -> Option<i64> {
        money.to_minor().ok()
    }

    /// Runs a call, again after `Retry-After` while SWiP answers 429 (it handled nothing).
    fn call<T, F, Fut>(&self, make: F) -> Result<T, CallError<SwipError>>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, CallError<SwipError>>>,
    {
        crate::provider_payments::retrying(self.kassa, &self.timings, make)
    }

    fn step(&mut self, step: &'static str, amount: Option<i64>, answer: Option<String>) {
        self.steps.push(NewStep {
            step,
            provider_ref: self.order_id.clone(),
            amount_minor: amount,
            answer,
        });
    }

    fn amounts(
        &self,
        reference: &PaymentReference,
        order: &Order,
    ) -> Result<swip::OrderAmounts, PaymentError> {
        order
            .amounts(self.currency())
            .map_err(|e| transport(reference, format!("SWiP answered amounts Kassa cannot read: {e}")))
    }

    /// The outcome a CLOSED order stands for.
    fn closed_outcome(
        &mut self,
        reference: &PaymentReference,
        order: &Order,
    ) -> Result<PaymentOutcome, PaymentError> {
        let amounts = self.amounts(reference, order)?;
        let closed = amounts.close_amount;
        if closed.is_zero() {
            self.step("cancelled", Some(0), Some(order_json(order)));
            return Ok(PaymentOutcome::Cancelled);
        }
        if amounts.paid.is_zero() {
            // Closed with an amount nobody paid in the app: paid at the till. SWiP took
            // nothing; the till takes the money as cash.
            self.step("closed_at_till", self.minor(&closed), Some(order_json(order)));
            return Ok(PaymentOutcome::Cancelled);
        }
        if closed.amount() > self.amount.amount() {
            return Err(rejected(
                reference,
                format!(
                    "SWiP closed the order with {closed}, more than the {} Kassa asked for; nothing is recorded as paid, check the order with SWiP",
                    self.amount
                ),
            ));
        }
        if matches!(self.purpose, PaymentPurpose::Purchase)
            && amounts.total.amount() < self.amount.amount()
            && closed == amounts.total
        {
            // The app gave the customer a personal discount (the order's `total` is below
            // what the till asked) and they paid all of the rest: the difference is SWiP's
            // loyalty discount on the sale, not a part still to pay.
            let discount = self
                .amount
                .checked_sub(&amounts.total)
                .map_err(|e| transport(reference, format!("the SWiP discount: {e}")))?;
            self.step("loyalty_applied", self.minor(&discount), Some(order_json(order)));
        }
        self.step("closed", self.minor(&closed), Some(order_json(order)));
        Ok(PaymentOutcome::Approved {
            authorization: order.authorization_code.clone(),
            partial: (closed != self.amount).then_some(closed),
        })
    }

    /// Closes an OPEN order with what the customer paid in the app, or with 0 when
    /// nothing was paid: the till stopped waiting (timeout, cancel, reconcile).
    fn close_with_what_was_paid(
        &mut self,
        reference: &PaymentReference,
        order: &Order,
    ) -> Result<PaymentOutcome, PaymentError> {
        let amounts = self.amounts(reference, order)?;
        let paid = if amounts.paid.amount() > self.amount.amount() {
            self.amount
        } else {
            amounts.paid
        };
        let id = order.id.clone();
        let answer = if paid.is_zero() {
            self.call(|| self.client.cancel_order(&id))
        } else {
            self.call(|| self.client.close_order(&id, paid, &[]))
        };
        match answer {
            Ok(closed) => self.closed_outcome(reference, &closed),
            // Whether the close arrived is read from the order when reconciling.
            Err(error) => Err(transport(reference, format!("closing the order: {error}"))),
        }
    }

    /// The customer pays at the till after SWiP's loyalty in the app: closes the unpaid
    /// order with `amount`, the cash the till will take (`ROUNDED` when it is the order's
    /// total cash-rounded).
    pub(crate) fn close_paid_at_till(
        &mut self,
        reference: &PaymentReference,
        amount: Money,
    ) -> Result<PaymentOutcome, PaymentError> {
        if !matches!(self.purpose, PaymentPurpose::Purchase) {
            return Err(rejected(reference, "a refund is not paid at the till"));
        }
        let order = self.get(reference).map_err(|e| {
            rejected(
                reference,
                format!("SWiP could not be asked about the order ({e}); nothing was changed, try again"),
            )
        })?;
        if order.order_status == OrderStatus::Closed {
            return self.closed_outcome(reference, &order);
        }
        let amounts = self.amounts(reference, &order)?;
        if !amounts.paid.is_zero() {
            return Err(rejected(
                reference,
                format!(
                    "the customer has already paid {} in the SWiP app; wait for the rest, or cancel to keep what                      was paid and take the rest another way",
                    amounts.paid
                ),
            ));
        }
        if amounts.total != self.amount {
            return Err(rejected(
                reference,
                format!(
                    "SWiP's order now comes to {} where the till asks {} (a personal discount in the app);                      Kassa does not take that over: cancel the SWiP payment and take {} another way",
                    amounts.total, self.amount, self.amount
                ),
            ));
        }
        let difference = (amount.amount() - amounts.total.amount()).abs();
        if difference >= rust_decimal::Decimal::ONE {
            return Err(rejected(
                reference,
                format!(
                    "{amount} is not the order's {} rounded for cash; SWiP takes a rounded close only within one unit",
                    amounts.total
                ),
            ));
        }
        let tags = if difference.is_zero() {
            Vec::new()
        } else {
            vec![swip::CloseTag::Rounded]
        };
        let id = order.id.clone();
        match self.call(|| self.client.close_order(&id, amount, &tags)) {
            Ok(closed) => self.closed_outcome(reference, &closed),
            // Whether the close arrived is read from the order when reconciling.
            Err(error) => Err(transport(reference, format!("closing the order: {error}"))),
        }
    }

    fn get(&self, reference: &PaymentReference) -> Result<Order, PaymentError> {
        let id = self
            .order_id
            .clone()
            .ok_or_else(|| transport(reference, "no SWiP order id is stored for this payment"))?;
        self.call(|| self.client.get_order(&id))
            .map_err(|e| transport(reference, format!("reading the order: {e}")))
    }

    fn waiting(&self, order: &Order, amounts: &swip::OrderAmounts) -> PaymentOutcome {
        let (message, text) = match &order.error {
            Some(error) if !error.is_empty() => (
                format!(
                    "SWiP: {error}. The customer may try again in the app, or cancel and pay another way"
                ),
                PromptText::SwipAppError { error: error.clone() },
            ),
            _ if !amounts.paid.is_zero() => (
                format!(
                    "The customer has paid {} of {} in the SWiP app",
                    amounts.paid, self.amount
                ),
                PromptText::SwipPartPaid {
                    paid: amounts.paid.amount_string(),
                    amount: self.amount.amount_string(),
                    currency: self.currency().code().to_owned(),
                },
            ),
            _ => (
                "Waiting for the customer to scan the QR code and pay in the SWiP app".to_owned(),
                PromptText::SwipWaiting,
            ),
        };
        PaymentOutcome::Pending {
            prompt: CashierPrompt {
                message: Some(message),
                text: Some(Box::new(text)),
                qr: order.session_code.clone(),
                ..CashierPrompt::default()
            },
        }
    }

    fn start_purchase(&mut self, request: &PaymentRequest) -> Result<PaymentOutcome, PaymentError> {
        let reference = &request.reference;
        let body = self
            .order
            .take()
            .ok_or_else(|| rejected(reference, "no order was prepared for SWiP"))?;
        let created = self.call(|| self.client.create_order(&body));
        let order = created.map_err(|e| money_call_error(reference, e))?;
        self.order_id = Some(order.id.clone());
        self.created_at = Some(self.kassa.now());
        self.step(
            "order_created",
            self.minor(&request.amount),
            Some(order_json(&order)),
        );
        if order.session_code.as_deref().is_none_or(str::is_empty) {
            // No QR, no way for the customer to pay: give the order up at once.
            return self.close_with_what_was_paid(reference, &order);
        }
        let amounts = self.amounts(reference, &order)?;
        Ok(self.waiting(&order, &amounts))
    }

    fn start_refund(
        &mut self,
        request: &PaymentRequest,
        original: &PaymentReference,
    ) -> Result<PaymentOutcome, PaymentError> {
        let reference = &request.reference;
        let amount = request.amount;
        let answer = self.call(|| self.client.refund(original.as_str(), amount));
        match answer {
            Ok(result) if result.status == swip::OperationStatus::Success => {
                self.step(
                    "refunded",
                    self.minor(&amount),
                    Some(json!({"slip": result.slip.map(|s| s.lines().collect::<Vec<_>>())}).to_string()),
                );
                Ok(PaymentOutcome::approved(None))
            }
            Ok(result) => {
                let reason = format!(
                    "SWiP refused the refund: {} (code {})",
                    result.description.unwrap_or_default(),
                    result
                        .code
                        .map(|c| c.to_string())
                        .unwrap_or_else(|| "none".into())
                );
                self.step(
                    "refund_failed",
                    self.minor(&amount),
                    Some(json!({"reason": reason}).to_string()),
                );
                Ok(PaymentOutcome::Declined { reason })
            }
            Err(error) => Err(money_call_error(reference, error)),
        }
    }

    fn reconcile_refund(&mut self, reference: &PaymentReference) -> Result<PaymentOutcome, PaymentError> {
        let refund = self
            .refund
            .as_ref()
            .ok_or_else(|| transport(reference, "the refund's original payment is not known"))?;
        let Some(order_id) = refund.original_order_id.clone() else {
            return Ok(PaymentOutcome::Unknown {
                detail:
                    "the original SWiP order's id is not stored; check the refund in the SWiP back office"
                        .into(),
            });
        };
        let others = refund.refunded_by_others;
        let order = match self.call(|| self.client.get_order(&order_id)) {
            Ok(order) => order,
            Err(error) => {
                return Ok(PaymentOutcome::Unknown {
                    detail: format!("reading the original order: {error}"),
                });
            }
        };
        let refunded = order
            .amounts(self.currency())
            .map_err(|e| transport(reference, format!("SWiP answered amounts Kassa cannot read: {e}")))?
            .refunded;
        let answer = Some(order_json(&order));
        if let Some(outcome) = crate::provider_payments::refund_from_refunded_total(
            refunded.amount(),
            others,
            self.amount,
            order_id,
            answer,
            &mut self.steps,
        ) {
            Ok(outcome)
        } else {
            Ok(PaymentOutcome::Unknown {
                detail: format!(
                    "SWiP shows {} refunded on the order, Kassa knows of {}; this refund is {}. Check the order in the SWiP back office",
                    refunded, others, self.amount
                ),
            })
        }
    }
}

impl PaymentMethod for SwipPayment<'_> {
    fn start(&mut self, request: &PaymentRequest) -> Result<PaymentOutcome, PaymentError> {
        request.check()?;
        if request.amount.currency() != self.currency() {
            return Err(PaymentError::InvalidRequest {
                reference: request.reference.to_string(),
                reason: format!(
                    "the SWiP merchant account is in {}, the payment in {}",
                    self.currency(),
                    request.amount.currency()
                ),
            });
        }
        match &request.purpose {
            PaymentPurpose::Purchase => self.start_purchase(request),
            PaymentPurpose::Refund { original } => {
                let original = original.clone();
                self.start_refund(request, &original)
            }
        }
    }

    fn poll(&mut self, reference: &PaymentReference) -> Result<PaymentOutcome, PaymentError> {
        if !matches!(self.purpose, PaymentPurpose::Purchase) {
            // A refund's answer comes with its request; there is nothing to poll.
            return Ok(PaymentOutcome::pending());
        }
        let order = match self.get(reference) {
            Ok(order) => order,
            // A failed read moves no money: keep waiting and read again.
            Err(error) => {
                return Ok(PaymentOutcome::Pending {
                    prompt: CashierPrompt::said(
                        format!("{error}; asking again"),
                        PromptText::AskingAgain {
                            detail: error.to_string(),
                        },
                    ),
                });
            }
        };
        if order.order_status == OrderStatus::Closed {
            return self.closed_outcome(reference, &order);
        }
        let amounts = self.amounts(reference, &order)?;
        // What the customer owes in the app: less than the till asked when the app gave
        // them a personal discount.
        let due = if amounts.total.amount() < self.amount.amount() {
            amounts.total
        } else {
            self.amount
        };
        if due.is_positive() && amounts.paid.amount() >= due.amount() {
            let id = order.id.clone();
            let amount = due;
            // Paid in the app, so never `ROUNDED` (that tag is for orders paid at the till).
            return match self.call(|| self.client.close_order(&id, amount, &[])) {
                Ok(closed) => self.closed_outcome(reference, &closed),
                Err(error) => Err(transport(reference, format!("closing the order: {error}"))),
            };
        }
        let waited = self
            .created_at
            .map(|at| self.kassa.now() - at)
            .and_then(|d| d.to_std().ok())
            .unwrap_or_default();
        if waited >= self.timings.swip_order_timeout {
            self.step("timed_out", self.minor(&amounts.paid), Some(order_json(&order)));
            return self.close_with_what_was_paid(reference, &order);
        }
        Ok(self.waiting(&order, &amounts))
    }

    fn cancel(&mut self, reference: &PaymentReference) -> Result<PaymentOutcome, PaymentError> {
        if !matches!(self.purpose, PaymentPurpose::Purchase) {
            return Err(PaymentError::Unsupported {
                method: METHOD,
                operation: kassa_core::payment::PaymentOperation::Cancel,
            });
        }
        // Reading the order moves no money: when it fails the payment stays pending and
        // the cashier cancels again.
        let order = self.get(reference).map_err(|e| {
            rejected(
                reference,
                format!("SWiP could not be asked about the order ({e}); nothing was changed, cancel again"),
            )
        })?;
        if order.order_status == OrderStatus::Closed {
            return self.closed_outcome(reference, &order);
        }
        self.close_with_what_was_paid(reference, &order)
    }

    fn reconcile(&mut self, reference: &PaymentReference) -> Result<PaymentOutcome, PaymentError> {
        if !matches!(self.purpose, PaymentPurpose::Purchase) {
            return self.reconcile_refund(reference);
        }
        if self.order_id.is_none() {
            self.step("never_shown", Some(0), None);
            return Ok(PaymentOutcome::Cancelled);
        }
        let order = match self.get(reference) {
            Ok(order) => order,
            Err(error) => {
                return Ok(PaymentOutcome::Unknown {
                    detail: error.to_string(),
                });
            }
        };
        if order.order_status == OrderStatus::Closed {
            return self.closed_outcome(reference, &order);
        }
        match self.close_with_what_was_paid(reference, &order) {
            Err(error) if error.leaves_outcome_unknown() => Ok(PaymentOutcome::Unknown {
                detail: error.to_string(),
            }),
            other => other,
        }
    }
}

impl crate::provider_payments::ProviderMethod for SwipPayment<'_> {
    fn take_steps(&mut self) -> Vec<NewStep> {
        std::mem::take(&mut self.steps)
    }

    fn close_paid_at_till(
        &mut self,
        reference: &PaymentReference,
        amount: Money,
    ) -> Result<PaymentOutcome, PaymentError> {
        SwipPayment::close_paid_at_till(self, reference, amount)
    }
}
