//! Vourity as a [`PaymentMethod`]: the till sends the amount to the merchant's cloud card
//! terminal, the card holder pays there, and the payment is captured before the sale
//! completes. Refunds give back part or all of a captured payment.
//!
//! The flow, and the readings of seeds/000 (as written in `kassa_providers::vourity`) it
//! rests on:
//! - Each attempt has its own `sessionID`, a random id stored with the tender's
//!   `requested` step before the payment request is sent; `merchantReferences.paymentId`
//!   is the tender's reference and `orderId` the sale. The payment's webhook token is
//!   committed in the same transaction (only its hash is stored).
//! - Where a payment stands is read first from the webhooks the listener recorded for it
//!   (they spare a call), then from the terminal's `pos-status`, whose current session
//!   is the payment the terminal is busy with or handled last. Reads move no money, so a
//!   failed read only means "ask again".
//! - `approved` is not final: the method captures it and reports approved only once
//!   Vourity answered `captured`. An approval of another amount than asked is cancelled
//!   on the terminal (nothing is charged) and refused.
//! - Action requests (a signature, an identity check) are the cashier's questions: the
//!   prompt carries the terminal's text and the two answers, sent back through
//!   `action-request-response`.
//! - An unknown outcome is reconciled, never sent again: a session the terminal still
//!   shows as pending is cancelled (the customer is asked again under a new session), an
//!   approved one captured, a final one taken as it is. A session the terminal does not
//!   show (another payment came after it) is cancelled by id: `paymentNotFound` means the
//!   request never arrived, `cancelled` that it was not captured; anything else stays
//!   unknown for a manager, with what to check.
//! - Refunds are not deduplicated by Vourity, so an unanswered refund is never sent
//!   again: reconciling compares the refunded total Vourity reported (by webhook) with
//!   the refunds Kassa knows of.

use rand::TryRngCore as _;
use serde_json::json;

use kassa_core::Money;
use kassa_core::payment::{
    CashierPrompt, CashierQuestion, PaymentError, PaymentMethod, PaymentOutcome, PaymentPurpose,
    PaymentReference, PaymentRequest, PromptText, QuestionKind,
};
use kassa_providers::CallError;
use kassa_providers::vourity::{
    self, ActionRequestStatus, ActionResponseCode, ActionType, NewPayment, PaymentStatus, VourityError,
    WebhookKind,
};
use kassa_store::payment_steps::PaymentStep;

use crate::provider_payments::{NewStep, ProviderMethod, ProviderTimings, retrying};
use crate::{AppError, Kassa};

const METHOD: &str = "Vourity";

/// A new session id: 128 bits from the OS random source, as hex (Vourity takes 1 to 64
/// visible characters). Random rather than the tender's reference, which repeats across
/// databases (a restored till, the demo) while Vourity's session ids must not.
pub(crate) fn new_session_id() -> Result<String, AppError> {
    let mut bytes = [0u8; 16];
    rand::rngs::OsRng
        .try_fill_bytes(&mut bytes)
        .map_err(|e| AppError::Internal(format!("the OS random source failed: {e}")))?;
    Ok(hex::encode(bytes))
}

/// The session id a Vourity tender's `requested` step stored.
pub(crate) fn session_of(steps: &[PaymentStep]) -> Option<String> {
    steps
        .iter()
        .find(|s| s.step == "requested")
        .and_then(|s| s.provider_ref.clone())
}

/// The VAT in `amount` of a sale: all of it when the amount pays the whole sale, else
/// the same share of it, rounded half to even.
pub(crate) fn vat_share(sale: &kassa_store::sales::SaleRow, amount: Money) -> Result<Money, AppError> {
    let minor = i128::from(amount.to_minor()?);
    let total = i128::from(sale.total_minor);
    let vat = i128::from(sale.vat_minor);
    let share = if total <= 0 || minor >= total {
        vat
    } else {
        let scaled = vat * minor;
        let (quotient, rest) = (scaled / total, scaled % total);
        match (2 * rest).cmp(&total) {
            std::cmp::Ordering::Greater => quotient + 1,
            std::cmp::Ordering::Equal if quotient % 2 == 1 => quotient + 1,
            _ => quotient,
        }
    };
    let share = i64::try_from(share).map_err(|_| AppError::Internal("VAT share out of range".into()))?;
    Ok(Money::from_minor(share, amount.currency()))
}

/// What a refund needs to know about the payment it gives back.
pub(crate) struct VourityRefund {
    /// The original payment's session, from its `requested` step.
    pub original_session_id: Option<String>,
    /// The original payment's id at Vourity (`merchantReferences.paymentId`).
    pub original_payment_id: String,
    /// What Kassa already recorded as refunded of it by other, approved refunds.
    pub refunded_by_others: Money,
}

/// One Vourity payment or refund, with what earlier calls stored about it.
pub(crate) struct VourityPayment<'k> {
    pub kassa: &'k Kassa,
    pub client: vourity::Client,
    pub timings: ProviderTimings,
    pub amount: Money,
    pub purpose: PaymentPurpose,
    /// A purchase's own session (a refund's is its original's, in `refund`).
    pub session_id: Option<String>,
    /// The payment request to send, for a start.
    pub payment: Option<NewPayment>,
    pub refund: Option<VourityRefund>,
    /// Steps to store with the outcome.
    pub steps: Vec<NewStep>,
}

/// Where a session stands, as far as Kassa could learn.
#[derive(Debug, Clone, PartialEq)]
enum Seen {
    /// The session's status, with the approved total when a webhook told it, and the
    /// action request waiting for an answer.
    Status {
        status: PaymentStatus,
        approved_total: Option<Money>,
        action_request: Option<String>,
    },
    /// The terminal shows another session (or none): this one is not on it.
    NotOnTerminal,
}

fn transport(reference: &PaymentReference, detail: impl Into<String>) -> PaymentError {
    crate::provider_payments::transport_error(METHOD, reference, detail)
}

fn rejected(reference: &PaymentReference, reason: impl Into<String>) -> PaymentError {
    crate::provider_payments::rejected_error(METHOD, reference, reason)
}

fn money_call_error(reference: &PaymentReference, error: CallError<VourityError>) -> PaymentError {
    crate::provider_payments::money_call_error(METHOD, reference, error)
}

fn unknown(detail: impl Into<String>) -> PaymentOutcome {
    PaymentOutcome::Unknown {
        detail: detail.into(),
    }
}

/// What the terminal's question means to a cashier.
fn question_kind(action: &vourity::ActionRequestAnswer) -> QuestionKind {
    match &action.action_type {
        ActionType::Signature => QuestionKind::Signature,
        ActionType::IdentityCheck => QuestionKind::IdentityCheck,
        ActionType::ConfirmAmount => QuestionKind::ConfirmAmount,
        ActionType::Unknown(_) => QuestionKind::Other,
    }
}

fn question_text(action: &vourity::ActionRequestAnswer) -> String {
    let what = match &action.action_type {
        ActionType::Signature => {
            "The terminal asks for the card holder's signature: has the customer signed?"
        }
        ActionType::IdentityCheck => {
            "The terminal asks to check the card holder's identity: does the ID match?"
        }
        ActionType::ConfirmAmount => {
            "The terminal asks to confirm the amount with the customer: is it right?"
        }
        ActionType::Unknown(_) => "The terminal asks the cashier to accept or reject:",
    };
    match action.message.as_deref().map(str::trim) {
        Some(message) if !message.is_empty() => format!("{what} ({message})"),
        _ => what.to_owned(),
    }
}

impl VourityPayment<'_> {
    fn call<T, F, Fut>(&self, make: F) -> Result<T, CallError<VourityError>>
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Result<T, CallError<VourityError>>>,
    {
        retrying(self.kassa, &self.timings, make)
    }

    fn minor(&self, money: &Money) -> Option<i64> {
        money.to_minor().ok()
    }

    fn step(&mut self, step: &'static str, amount: Option<i64>, answer: Option<String>) {
        self.steps.push(NewStep {
            step,
            provider_ref: self.session_id.clone(),
            amount_minor: amount,
            answer,
        });
    }

    fn session(&self, reference: &PaymentReference) -> Result<String, PaymentError> {
        self.session_id
            .clone()
            .ok_or_else(|| transport(reference, "no Vourity session id is stored for this payment"))
    }

    /// Where this purchase's session stands: from its recorded webhooks when they tell
    /// a status, else from the terminal.
    fn seen(&self, reference: &PaymentReference) -> Result<Seen, PaymentError> {
        let session = self.session(reference)?;
        let events = self
            .kassa
            .recorded_vourity_events(reference.as_str())
            .map_err(|e| transport(reference, format!("reading the recorded webhooks: {e}")))?;
        // The strongest status wins: captured, cancelled and declined are final, approved
        // is not (the capture or a cancel follows it). A discount changes what the
        // terminal asks for; without an approval's webhook it is the only amount known.
        let mut from_webhooks: Option<(PaymentStatus, Option<Money>)> = None;
        let mut action_request = None;
        let mut discounted = None;
        for recorded in events.iter().filter(|r| r.event.session_id == session) {
            let seen = match &recorded.event.kind {
                WebhookKind::Approved { total } => (PaymentStatus::Approved, Some(*total)),
                WebhookKind::Declined => (PaymentStatus::Declined, None),
                WebhookKind::Cancelled => (PaymentStatus::Cancelled, None),
                WebhookKind::Captured => (PaymentStatus::Captured, None),
                WebhookKind::ActionRequested { action_request_id } => {
                    action_request = Some(action_request_id.clone());
                    continue;
                }
                WebhookKind::DiscountApplied { total } => {
                    discounted = Some(*total);
                    continue;
                }
                WebhookKind::Refunded { .. } | WebhookKind::Unknown { .. } => continue,
            };
            let stronger = match &from_webhooks {
                None => true,
                Some((PaymentStatus::Approved, _)) => seen.0 != PaymentStatus::Approved,
                Some(_) => false,
            };
            if stronger {
                from_webhooks = Some(seen);
            }
        }
        if let Some((status, approved_total)) = from_webhooks {
            return Ok(Seen::Status {
                status,
                approved_total: approved_total.or(discounted),
                action_request: None,
            });
        }
        self.terminal_seen(reference, discounted, action_request)
    }

    /// Where this purchase's session stands on the terminal (`pos-status`), which is
    /// never behind the webhooks: used where they may not have caught up yet.
    fn terminal_seen(
        &self,
        reference: &PaymentReference,
        discounted: Option<Money>,
        action_request: Option<String>,
    ) -> Result<Seen, PaymentError> {
        let session = self.session(reference)?;
        let terminal = self
            .call(|| self.client.pos_status())
            .map_err(|e| transport(reference, format!("asking the terminal: {e}")))?;
        match terminal.current_session {
            Some(current) if current.session_id == session => Ok(Seen::Status {
                status: current.payment_status,
                approved_total: discounted,
                action_request: current.action_request_id.or(action_request),
            }),
            _ => Ok(Seen::NotOnTerminal),
        }
    }

    /// After Vourity refused a capture or cancel by state: where the session really is,
    /// from the terminal first (a webhook may lag), else from the webhooks.
    fn seen_after_refusal(&self, reference: &PaymentReference) -> Result<Seen, PaymentError> {
        match self.terminal_seen(reference, None, None)? {
            Seen::NotOnTerminal => self.seen(reference),
            seen => Ok(seen),
        }
    }

    fn waiting(message: impl Into<String>, text: PromptText) -> PaymentOutcome {
        PaymentOutcome::Pending {
            prompt: CashierPrompt::said(message, text),
        }
    }

    /// Kassa asks again after a failed or unreadable answer.
    fn asking_again(detail: String) -> PaymentOutcome {
        Self::waiting(
            format!("{detail}; asking again"),
            PromptText::AskingAgain { detail },
        )
    }

    /// The prompt for a pending session: the terminal's open question, if it has one.
    fn pending(&self, action_request: Option<String>) -> PaymentOutcome {
        let waiting = format!(
            "Waiting for the customer to pay {} on the card terminal",
            self.amount
        );
        let waiting_text = PromptText::TerminalWaiting {
            amount: self.amount.amount_string(),
            currency: self.amount.currency().code().to_owned(),
        };
        let Some(id) = action_request else {
            return Self::waiting(waiting, waiting_text);
        };
        match self.call(|| self.client.action_request(&id)) {
            Ok(action) if action.status == ActionRequestStatus::Open => PaymentOutcome::Pending {
                prompt: CashierPrompt {
                    message: Some(waiting),
                    text: Some(Box::new(waiting_text)),
                    question: Some(CashierQuestion {
                        id: action.action_request_id.clone(),
                        text: question_text(&action),
                        kind: Some(question_kind(&action)),
                        detail: action
                            .message
                            .as_deref()
                            .map(str::trim)
                            .filter(|m| !m.is_empty())
                            .map(str::to_owned),
                        answers: vec![
                            ActionResponseCode::Accepted.as_str().to_owned(),
                            ActionResponseCode::Rejected.as_str().to_owned(),
                        ],
                    }),
                    ..CashierPrompt::default()
                },
            },
            Ok(_) => Self::waiting(waiting, waiting_text),
            Err(error) => Self::asking_again(format!(
                "The terminal asks a question Kassa could not read ({error})"
            )),
        }
    }

    /// Captures an approved session: the payment is final only once Vourity says
    /// `captured`.
    fn capture(
        &mut self,
        reference: &PaymentReference,
        approved_total: Option<Money>,
    ) -> Result<PaymentOutcome, PaymentError> {
        let session = self.session(reference)?;
        if let Some(total) = approved_total
            && total != self.amount
        {
            // Never capture what the till did not ask for: void it on the terminal.
            let cancelled = self.call(|| self.client.payment_cancel(&session));
            let what = match cancelled {
                Ok(_) => {
                    self.step(
                        "cancelled",
                        Some(0),
                        Some(json!({"approved": total.to_string()}).to_string()),
                    );
                    "it was cancelled on the terminal, nothing is charged; take the payment again".to_owned()
                }
                Err(error) => {
                    format!("cancelling it failed ({error}); check the payment in Vourity's back office")
                }
            };
            return Err(rejected(
                reference,
                format!(
                    "the terminal approved {total}, not the {} asked for: {what}",
                    self.amount
                ),
            ));
        }
        match self.call(|| self.client.payment_capture(&session)) {
            Ok(_) => {
                self.step("captured", self.minor(&self.amount), None);
                Ok(PaymentOutcome::approved(None))
            }
            Err(CallError::Api(VourityError::InvalidPaymentState { .. })) => {
                // Captured already (an earlier capture's answer was lost), or cancelled
                // meanwhile: the terminal's status decides.
                match self.seen_after_refusal(reference)? {
                    Seen::Status {
                        status: PaymentStatus::Approved,
                        ..
                    } => Err(rejected(
                        reference,
                        "Vourity refused to capture the approved payment",
                    )),
                    Seen::Status { status, .. } => self.settle(reference, status, None, None),
                    Seen::NotOnTerminal => Err(transport(
                        reference,
                        "Vourity refused the capture and the terminal no longer shows the payment",
                    )),
                }
            }
            Err(error) => Err(transport(reference, format!("capturing the payment: {error}"))),
        }
    }

    /// The outcome a session's status stands for, capturing an approval.
    fn settle(
        &mut self,
        reference: &PaymentReference,
        status: PaymentStatus,
        approved_total: Option<Money>,
        action_request: Option<String>,
    ) -> Result<PaymentOutcome, PaymentError> {
        match status {
            PaymentStatus::Pending => Ok(self.pending(action_request)),
            PaymentStatus::Approved => self.capture(reference, approved_total),
            PaymentStatus::Captured | PaymentStatus::PartiallyRefunded | PaymentStatus::Refunded => {
                self.step("captured", self.minor(&self.amount), None);
                Ok(PaymentOutcome::approved(None))
            }
            PaymentStatus::Declined => {
                self.step("declined", Some(0), None);
                Ok(PaymentOutcome::Declined {
                    reason: "the card was declined at the terminal".into(),
                })
            }
            PaymentStatus::Cancelled => {
                self.step("cancelled", Some(0), None);
                Ok(PaymentOutcome::Cancelled)
            }
            PaymentStatus::Unknown(text) => Ok(Self::asking_again(format!(
                "The terminal reports a status Kassa does not know ({text:?})"
            ))),
        }
    }

    fn start_purchase(&mut self, request: &PaymentRequest) -> Result<PaymentOutcome, PaymentError> {
        let reference = &request.reference;
        let payment = self
            .payment
            .take()
            .ok_or_else(|| rejected(reference, "no payment request was prepared for Vourity"))?;
        let answer = self.call(|| self.client.payment_request(&payment));
        let session = answer.map_err(|e| money_call_error(reference, e))?;
        self.step(
            "sent_to_terminal",
            self.minor(&session.total),
            Some(json!({"status": session.status.as_str(), "vat": session.vat.to_string()}).to_string()),
        );
        self.settle(reference, session.status, Some(session.total), None)
    }

    fn start_refund(
        &mut self,
        request: &PaymentRequest,
        refund: &VourityRefund,
    ) -> Result<PaymentOutcome, PaymentError> {
        let reference = &request.reference;
        let session = refund.original_session_id.clone().ok_or_else(|| {
            rejected(
                reference,
                "the original Vourity payment's session is not stored; refund it another way",
            )
        })?;
        let amount = request.amount;
        let reason = format!("Kassa credit {reference}");
        let answer = self.call(|| self.client.payment_refund(&session, &amount, &reason));
        match answer {
            Ok(done) => {
                self.steps.push(NewStep {
                    step: "refunded",
                    provider_ref: Some(done.refund_id.clone()),
                    amount_minor: self.minor(&done.amount),
                    answer: Some(
                        json!({
                            "session": session,
                            "totalRefunded": done.total_refunded.to_string(),
                            "status": done.status.as_str(),
                        })
                        .to_string(),
                    ),
                });
                Ok(PaymentOutcome::approved(Some(done.refund_id)))
            }
            Err(error) => Err(money_call_error(reference, error)),
        }
    }

    fn reconcile_refund(&mut self) -> Result<PaymentOutcome, PaymentError> {
        let Some(refund) = self.refund.as_ref() else {
            return Ok(unknown("the refund's original payment is not known"));
        };
        let Some(session) = refund.original_session_id.clone() else {
            return Ok(unknown(
                "the original Vourity payment's session is not stored; check the refund in Vourity's back office",
            ));
        };
        let others = refund.refunded_by_others;
        let events = match self.kassa.recorded_vourity_events(&refund.original_payment_id) {
            Ok(events) => events,
            Err(error) => return Ok(unknown(format!("reading the recorded webhooks: {error}"))),
        };
        let reported = events
            .iter()
            .filter(|r| r.event.session_id == session)
            .filter_map(|r| match &r.event.kind {
                WebhookKind::Refunded { total_refunded, .. } => Some(total_refunded.amount()),
                _ => None,
            })
            .max();
        let refunded = match reported {
            Some(total) => total,
            None => {
                // No refund reported by webhook: only a terminal that still shows the
                // payment as captured tells that no refund at all went through.
                match self.call(|| self.client.pos_status()) {
                    Ok(status)
                        if status.current_session.as_ref().is_some_and(|c| {
                            c.session_id == session && c.payment_status == PaymentStatus::Captured
                        }) =>
                    {
                        rust_decimal::Decimal::ZERO
                    }
                    Ok(_) => {
                        return Ok(unknown(format!(
                            "Vourity reported no refund of payment {} and the terminal no longer shows it; \
                             check in Vourity's back office whether {} was refunded",
                            refund.original_payment_id, self.amount
                        )));
                    }
                    Err(error) => return Ok(unknown(format!("asking the terminal: {error}"))),
                }
            }
        };
        let answer = Some(json!({"session": session, "refunded": refunded.to_string()}).to_string());
        if let Some(outcome) = crate::provider_payments::refund_from_refunded_total(
            refunded,
            others,
            self.amount,
            session,
            answer,
            &mut self.steps,
        ) {
            Ok(outcome)
        } else {
            Ok(unknown(format!(
                "Vourity shows {refunded} refunded of the payment, Kassa knows of {others}; this refund is {}. \
                 Check the payment in Vourity's back office",
                self.amount
            )))
        }
    }
}

impl PaymentMethod for VourityPayment<'_> {
    fn start(&mut self, request: &PaymentRequest) -> Result<PaymentOutcome, PaymentError> {
        request.check()?;
        match &request.purpose {
            PaymentPurpose::Purchase => self.start_purchase(request),
            PaymentPurpose::Refund { .. } => {
                let refund = self.refund.take().ok_or_else(|| {
                    rejected(&request.reference, "the refund's original payment is not known")
                })?;
                let answer = self.start_refund(request, &refund);
                self.refund = Some(refund);
                answer
            }
        }
    }

    fn poll(&mut self, reference: &PaymentReference) -> Result<PaymentOutcome, PaymentError> {
        if !matches!(self.purpose, PaymentPurpose::Purchase) {
            // A refund's answer comes with its request; there is nothing to poll.
            return Ok(PaymentOutcome::pending());
        }
        match self.seen(reference) {
            Ok(Seen::Status {
                status,
                approved_total,
                action_request,
            }) => self.settle(reference, status, approved_total, action_request),
            Ok(Seen::NotOnTerminal) => Ok(Self::waiting(
                "The card terminal shows another payment, not this one; cancel this payment and try again",
                PromptText::TerminalOtherPayment,
            )),
            // A failed read moves no money: keep waiting and read again.
            Err(error) => Ok(Self::asking_again(error.to_string())),
        }
    }

    fn cancel(&mut self, reference: &PaymentReference) -> Result<PaymentOutcome, PaymentError> {
        if !matches!(self.purpose, PaymentPurpose::Purchase) {
            return Err(PaymentError::Unsupported {
                method: METHOD,
                operation: kassa_core::payment::PaymentOperation::Cancel,
            });
        }
        let session = self.session(reference)?;
        match self.call(|| self.client.payment_cancel(&session)) {
            Ok(_) => {
                self.step("cancelled", Some(0), None);
                Ok(PaymentOutcome::Cancelled)
            }
            // Approved-and-captured, or declined, won the race: record where it ended.
            Err(CallError::Api(VourityError::InvalidPaymentState { message })) => {
                match self.seen_after_refusal(reference) {
                    Ok(Seen::Status {
                        status,
                        approved_total,
                        ..
                    }) if status != PaymentStatus::Pending => {
                        self.settle(reference, status, approved_total, None)
                    }
                    _ => Err(rejected(
                        reference,
                        format!("Vourity refused to cancel the payment: {message}"),
                    )),
                }
            }
            Err(error) => Err(money_call_error(reference, error)),
        }
    }

    fn reconcile(&mut self, reference: &PaymentReference) -> Result<PaymentOutcome, PaymentError> {
        if !matches!(self.purpose, PaymentPurpose::Purchase) {
            return self.reconcile_refund();
        }
        let Ok(session) = self.session(reference) else {
            return Ok(unknown("no Vourity session id is stored for this payment"));
        };
        let seen = match self.seen(reference) {
            Ok(seen) => seen,
            Err(error) => return Ok(unknown(error.to_string())),
        };
        let answer = match seen {
            Seen::Status {
                status: PaymentStatus::Pending,
                ..
            }
            | Seen::NotOnTerminal => {
                // Nobody waits at the till for a payment whose answer was lost: take it
                // off the terminal. `paymentNotFound` means the request never arrived.
                match self.call(|| self.client.payment_cancel(&session)) {
                    Ok(_) => {
                        self.step("cancelled", Some(0), None);
                        Ok(PaymentOutcome::Cancelled)
                    }
                    Err(CallError::Api(VourityError::PaymentNotFound)) => {
                        self.step("not_found", Some(0), None);
                        Ok(PaymentOutcome::Cancelled)
                    }
                    Err(CallError::Api(VourityError::InvalidPaymentState { .. })) => {
                        match self.seen_after_refusal(reference) {
                            Ok(Seen::Status {
                                status,
                                approved_total,
                                ..
                            }) if status != PaymentStatus::Pending => {
                                self.settle(reference, status, approved_total, None)
                            }
                            _ => Ok(unknown(format!(
                                "Vourity would not cancel session {session} and the terminal does not show it; \
                             check the payment in Vourity's back office"
                            ))),
                        }
                    }
                    Err(error) => Ok(unknown(format!("cancelling the session: {error}"))),
                }
            }
            Seen::Status {
                status,
                approved_total,
                ..
            } => self.settle(reference, status, approved_total, None),
        };
        match answer {
            Err(error) if error.leaves_outcome_unknown() => Ok(unknown(error.to_string())),
            Ok(PaymentOutcome::Pending { .. }) => {
                Ok(unknown("the terminal still reports the payment as going on"))
            }
            other => other,
        }
    }

    fn answer(
        &mut self,
        reference: &PaymentReference,
        question_id: &str,
        answer: &str,
    ) -> Result<PaymentOutcome, PaymentError> {
        let code = match answer {
            "accepted" => ActionResponseCode::Accepted,
            "rejected" => ActionResponseCode::Rejected,
            other => {
                return Err(PaymentError::InvalidRequest {
                    reference: reference.to_string(),
                    reason: format!(
                        "the terminal's question is answered accepted or rejected, not {other:?}"
                    ),
                });
            }
        };
        let session = self.session(reference)?;
        match self.call(|| {
            self.client
                .action_request_response(question_id, &session, code.clone())
        }) {
            Ok(_) | Err(CallError::Api(VourityError::ActionRequestAlreadyAnswered)) => {
                self.step(
                    "action_answered",
                    None,
                    Some(json!({"actionRequestID": question_id, "responseCode": code.as_str()}).to_string()),
                );
                self.poll(reference)
            }
            // The answer moves no money itself, and the question stays open until an
            // answer arrives: the cashier answers again.
            Err(error) => Err(rejected(
                reference,
                format!("the answer did not reach the terminal ({error}); answer again"),
            )),
        }
    }
}

impl ProviderMethod for VourityPayment<'_> {
    fn take_steps(&mut self) -> Vec<NewStep> {
        std::mem::take(&mut self.steps)
    }
}

impl Kassa {
    /// Takes this till's Vourity terminal in or out of service (`set-pos-status`):
    /// `available`, `offline` or `outOfOrder`. Managers only; answers the status the
    /// terminal now has.
    pub fn set_vourity_terminal_status(
        &self,
        actor: &crate::Actor,
        status: &str,
    ) -> Result<String, AppError> {
        let code = match status {
            "available" => vourity::PosStatusCode::Available,
            "offline" => vourity::PosStatusCode::Offline,
            "outOfOrder" | "out_of_order" | "out-of-order" => vourity::PosStatusCode::OutOfOrder,
            other => {
                return Err(AppError::validation(
                    "status",
                    format!("a Vourity terminal is set available, offline or outOfOrder, not {other:?}"),
                ));
            }
        };
        let pos_id = self.read(|conn| {
            self.authorize(
                conn,
                actor,
                &[kassa_core::org::Role::Manager],
                "take the card terminal out of service",
            )?;
            Ok(self.till(conn)?.pos.id)
        })?;
        let client = self.vourity_client(pos_id)?;
        let answer = self.block_on(client.set_pos_status(code)).map_err(|e| {
            AppError::coded(
                crate::ErrorCode::ProviderFailed,
                None,
                format!("Vourity did not set the terminal's status: {e}"),
            )
        })?;
        tracing::info!(status = %answer.status_code, "the Vourity terminal's status was set");
        Ok(answer.status_code.as_str().to_owned())
    }
}
