//! The interface every way of taking money implements: the external card terminal keyed
//! by hand, ZVT terminals on a serial line, SWiP, Vourity and Flexiti over HTTP.
//!
//! The rules it encodes come from one fact: a call that can move money may time out
//! after the money moved. So every payment has a reference that is stored before the
//! first call, an outcome that can be *unknown*, and a single way out of unknown —
//! asking the other side with the same reference ([`PaymentMethod::reconcile`]) —
//! never charging again under a new one.
//!
//! Synchronous on purpose: the application runs payments on blocking threads, and a
//! terminal protocol is a conversation, not a stream of events.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::money::Money;

/// The longest payment reference: fits every provider's idempotency or order-id field
/// (merchantOrderId, x-reference-id, Ocp-Apim-Trace).
pub const MAX_REFERENCE_CHARS: usize = 64;

/// The idempotency reference of one payment or refund, stored before any call and sent
/// with every call about it: 1 to 64 characters of `A-Z a-z 0-9 - _`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PaymentReference(String);

/// A text that cannot be a payment reference.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvalidPaymentReference {
    #[error("a payment reference cannot be empty")]
    Empty,
    #[error("payment reference {input:?} has {length} characters; at most 64 are allowed")]
    TooLong { input: String, length: usize },
    #[error(
        "payment reference {input:?} has {found:?} at position {position}; only letters A-Z and a-z, digits, '-' and '_' are allowed"
    )]
    Character {
        input: String,
        position: usize,
        found: char,
    },
}

impl PaymentReference {
    /// Checks `text` and makes it a reference. Nothing is trimmed: a reference is
    /// generated, never typed, and must reach the provider byte for byte.
    pub fn new(text: &str) -> Result<PaymentReference, InvalidPaymentReference> {
        if text.is_empty() {
            return Err(InvalidPaymentReference::Empty);
        }
        let length = text.chars().count();
        if length > MAX_REFERENCE_CHARS {
            return Err(InvalidPaymentReference::TooLong {
                input: text.to_owned(),
                length,
            });
        }
        if let Some((i, found)) = text
            .chars()
            .enumerate()
            .find(|(_, c)| !(c.is_ascii_alphanumeric() || *c == '-' || *c == '_'))
        {
            return Err(InvalidPaymentReference::Character {
                input: text.to_owned(),
                position: i + 1,
                found,
            });
        }
        Ok(PaymentReference(text.to_owned()))
    }

    /// The reference as sent.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for PaymentReference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for PaymentReference {
    type Err = InvalidPaymentReference;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        PaymentReference::new(s)
    }
}

impl AsRef<str> for PaymentReference {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl Serialize for PaymentReference {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for PaymentReference {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        PaymentReference::new(&text).map_err(serde::de::Error::custom)
    }
}

/// Which way the money goes.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "type")]
pub enum PaymentPurpose {
    /// The customer pays.
    Purchase,
    /// The customer is paid back for an earlier payment, which the provider may need to
    /// find (card refunds go back to the card that paid).
    Refund { original: PaymentReference },
}

/// One payment or refund to make. `amount` is positive either way; `purpose` says
/// which way it goes.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct PaymentRequest {
    pub reference: PaymentReference,
    pub amount: Money,
    pub purpose: PaymentPurpose,
}

impl PaymentRequest {
    /// Refuses requests no method should send: an amount that is not above zero or not
    /// whole minor units, or a refund that names itself as its original.
    pub fn check(&self) -> Result<(), PaymentError> {
        let invalid = |reason: String| PaymentError::InvalidRequest {
            reference: self.reference.to_string(),
            reason,
        };
        if !self.amount.is_positive() {
            return Err(invalid(format!(
                "the amount {} must be above zero (a refund is a positive amount with purpose refund)",
                self.amount
            )));
        }
        if !self.amount.is_minor_exact() {
            return Err(invalid(format!(
                "the amount {} has more decimals than its currency's minor unit",
                self.amount
            )));
        }
        if let PaymentPurpose::Refund { original } = &self.purpose
            && *original == self.reference
        {
            return Err(invalid(
                "a refund needs a reference of its own, not the original payment's".into(),
            ));
        }
        Ok(())
    }
}

/// A question the terminal or provider asks the cashier while a payment is pending
/// (Vourity's action requests): answered through [`PaymentMethod::answer`].
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct CashierQuestion {
    /// The provider's id of the question, sent back with the answer.
    pub id: String,
    /// The question in English, as Kassa puts it (with the provider's own words).
    pub text: String,
    /// What kind of question it is, for the UI to ask it in the user's language.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<QuestionKind>,
    /// The provider's own words with the question (the terminal's message), as sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// The answers the provider accepts, as it names them.
    pub answers: Vec<String>,
}

/// The kinds of question a terminal asks the cashier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "snake_case")]
pub enum QuestionKind {
    /// Has the card holder signed?
    Signature,
    /// Does the card holder's ID match?
    IdentityCheck,
    /// Is the amount right?
    ConfirmAmount,
    /// Accept or reject, as the terminal's words say.
    Other,
}

/// What a prompt's message says, by kind and with its values, so that the UI can say it
/// in the user's language; [`CashierPrompt::message`] says the same in English (for the
/// CLI and the logs). Amounts are decimal strings in `currency`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "snake_case", tag = "key")]
pub enum PromptText {
    /// Waiting for the customer to scan the QR code and pay in the SWiP app.
    SwipWaiting,
    /// The customer has paid part of the amount in the SWiP app.
    SwipPartPaid {
        paid: String,
        amount: String,
        currency: String,
    },
    /// SWiP reports a problem with the customer's payment in the app.
    SwipAppError { error: String },
    /// Waiting for the customer to pay on the card terminal.
    TerminalWaiting { amount: String, currency: String },
    /// The card terminal shows another payment than this one.
    TerminalOtherPayment,
    /// Asking the provider failed, or its answer could not be read; Kassa asks again.
    /// `detail` is in English.
    AskingAgain { detail: String },
}

/// What the cashier should see while a payment is pending. Every part is optional: a
/// stand-alone terminal shows nothing, SWiP a QR code, Vourity the terminal's state and
/// its questions, a ZVT terminal its intermediate status lines.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct CashierPrompt {
    /// A line for the cashier ("waiting for the customer to pay in the SWiP app").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// The same line by kind, for the UI's language.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<Box<PromptText>>,
    /// A question to answer before the payment can go on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub question: Option<CashierQuestion>,
    /// The text to show (or print) as a QR code for the customer to scan.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub qr: Option<String>,
    /// The terminal's own status lines, newest last.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub status_lines: Vec<String>,
}

impl CashierPrompt {
    /// A prompt with only a message.
    pub fn message(text: impl Into<String>) -> CashierPrompt {
        CashierPrompt {
            message: Some(text.into()),
            ..CashierPrompt::default()
        }
    }

    /// A prompt with a message in English and the same by kind.
    pub fn said(message: impl Into<String>, text: PromptText) -> CashierPrompt {
        CashierPrompt {
            message: Some(message.into()),
            text: Some(Box::new(text)),
            ..CashierPrompt::default()
        }
    }
}

/// What a payment method reports about a payment.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "type")]
pub enum PaymentOutcome {
    /// Still in progress: the customer is at the terminal or the app.
    Pending {
        /// What the cashier should see meanwhile.
        #[serde(default)]
        prompt: CashierPrompt,
    },
    /// The money moved, and it is final for the provider (captured, closed).
    Approved {
        /// The authorisation code, when the method gives one.
        authorization: Option<String>,
        /// Set when the provider took less than was asked through its own documented
        /// flow (a SWiP order that timed out part-paid is closed with what was paid):
        /// the amount actually taken. The rest is still to pay, another way. A provider
        /// that approves an amount it was not asked for is an error, never this.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        partial: Option<Money>,
    },
    /// Refused (card declined, insufficient funds, credit not granted). No money moved.
    Declined { reason: String },
    /// Aborted before approval. No money moved.
    Cancelled,
    /// The method lost track (timeout, dropped connection, crash): money may or may not
    /// have moved. Resolved only by [`PaymentMethod::reconcile`].
    Unknown { detail: String },
}

impl PaymentOutcome {
    /// Pending, with nothing to show the cashier.
    pub fn pending() -> PaymentOutcome {
        PaymentOutcome::Pending {
            prompt: CashierPrompt::default(),
        }
    }

    /// Approved in full.
    pub fn approved(authorization: Option<String>) -> PaymentOutcome {
        PaymentOutcome::Approved {
            authorization,
            partial: None,
        }
    }

    /// The state this outcome reports.
    pub fn state(&self) -> PaymentState {
        match self {
            PaymentOutcome::Pending { .. } => PaymentState::Pending,
            PaymentOutcome::Approved { .. } => PaymentState::Approved,
            PaymentOutcome::Declined { .. } => PaymentState::Declined,
            PaymentOutcome::Cancelled => PaymentState::Cancelled,
            PaymentOutcome::Unknown { .. } => PaymentState::Unknown,
        }
    }
}

/// An operation of [`PaymentMethod`], for errors.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PaymentOperation {
    Purchase,
    Refund,
    Poll,
    Cancel,
    Reconcile,
    Answer,
}

impl fmt::Display for PaymentOperation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            PaymentOperation::Purchase => "purchase",
            PaymentOperation::Refund => "refund",
            PaymentOperation::Poll => "poll",
            PaymentOperation::Cancel => "cancel",
            PaymentOperation::Reconcile => "reconcile",
            PaymentOperation::Answer => "answer a question",
        })
    }
}

/// A call that produced no outcome.
///
/// Only [`PaymentError::Transport`] leaves the payment's fate open; the caller then
/// records the payment as unknown and reconciles it later. The other errors are
/// definite: the request was not acted on and no money moved.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PaymentError {
    /// The method cannot do this at all (a terminal without refunds, a provider without
    /// cancel). Nothing was sent.
    #[error(
        "{method} cannot {operation}; use another tender or do it on the terminal or provider's own system"
    )]
    Unsupported {
        method: &'static str,
        operation: PaymentOperation,
    },
    /// The request is malformed, caught before anything was sent.
    #[error("payment {reference} was not sent: {reason}")]
    InvalidRequest { reference: String, reason: String },
    /// The terminal or provider could not be reached, or stopped answering: the request
    /// may or may not have arrived. Record the payment as unknown and reconcile it.
    #[error(
        "{method} did not answer for payment {reference}: {detail}; the outcome is unknown until it is reconciled"
    )]
    Transport {
        method: &'static str,
        reference: String,
        detail: String,
    },
    /// The terminal or provider answered and refused the request itself (not a card
    /// decline: an unknown original payment, a refund above what was paid, bad
    /// credentials). No money moved.
    #[error("{method} refused payment {reference}: {reason}")]
    Rejected {
        method: &'static str,
        reference: String,
        reason: String,
    },
}

impl PaymentError {
    /// A stable, machine-readable name for the kind of error.
    pub fn code(&self) -> &'static str {
        match self {
            PaymentError::Unsupported { .. } => "unsupported",
            PaymentError::InvalidRequest { .. } => "invalid_request",
            PaymentError::Transport { .. } => "transport",
            PaymentError::Rejected { .. } => "rejected",
        }
    }

    /// Whether the payment's outcome is now unknown and must be reconciled.
    pub fn leaves_outcome_unknown(&self) -> bool {
        matches!(self, PaymentError::Transport { .. })
    }
}

/// A way of taking (and giving back) money.
///
/// The contract, which the application relies on and every implementation keeps:
///
/// - **The reference is durable first.** [`start`](PaymentMethod::start) is called only
///   after the request, reference included, is committed to the database. An
///   implementation sends the reference as the provider's idempotency key (or the
///   terminal's receipt/trace number) so a repeated call cannot charge twice.
/// - **Unknown is resolved by asking, never by resending.** A timeout, a dropped
///   connection or a crash leaves the payment unknown (an
///   [`PaymentOutcome::Unknown`] or a [`PaymentError::Transport`]). The application
///   then calls [`reconcile`](PaymentMethod::reconcile) with the *same* reference until
///   it gives a final answer. It never calls `start` again with a new reference for the
///   same money.
/// - **Refunds are payments too**: `start` with [`PaymentPurpose::Refund`], under a new
///   reference of their own, naming the original.
/// - **Outcomes are reported, not assumed.** Each call returns what the other side
///   said; the application moves the stored state through [`PaymentState`], which
///   refuses impossible moves (an approved payment becoming declined).
pub trait PaymentMethod {
    /// Sends the request. Returns [`PaymentOutcome::Pending`] when the answer comes
    /// later (the customer is at the terminal), or the final outcome when it is known
    /// at once.
    fn start(&mut self, request: &PaymentRequest) -> Result<PaymentOutcome, PaymentError>;

    /// The current outcome of a started payment; `Pending` while it is still going on.
    fn poll(&mut self, reference: &PaymentReference) -> Result<PaymentOutcome, PaymentError>;

    /// Asks to abort a pending payment. Returns the outcome that resulted, which may be
    /// `Approved` if the approval won the race: the caller records whatever comes back.
    fn cancel(&mut self, reference: &PaymentReference) -> Result<PaymentOutcome, PaymentError>;

    /// Asks the terminal or provider what became of a payment whose outcome was lost.
    /// Returns a final outcome, or `Unknown` if it still cannot tell (ask again later).
    /// A provider that never received the request answers `Cancelled`: nothing moved.
    fn reconcile(&mut self, reference: &PaymentReference) -> Result<PaymentOutcome, PaymentError>;

    /// Answers the question a pending payment's prompt asked ([`CashierQuestion`]) with
    /// one of its answers. Methods that never ask refuse.
    fn answer(
        &mut self,
        reference: &PaymentReference,
        question_id: &str,
        answer: &str,
    ) -> Result<PaymentOutcome, PaymentError> {
        let _ = (reference, question_id, answer);
        Err(PaymentError::Unsupported {
            method: "this payment method",
            operation: PaymentOperation::Answer,
        })
    }
}

/// Where a stored payment is in its life.
///
/// ```text
///   Pending ──start/poll/cancel──▶ Approved | Declined | Cancelled | Unknown (| Pending)
///   Unknown ──reconcile only─────▶ Approved | Declined | Cancelled (| Unknown)
///   Approved, Declined, Cancelled: final
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PaymentState {
    Pending,
    Approved,
    Declined,
    Cancelled,
    Unknown,
}

/// A move the payment state machine refuses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("{}", describe_refusal(*.from, *.to, *.via_reconcile))]
pub struct InvalidTransition {
    /// The stored state.
    pub from: PaymentState,
    /// The state the reported outcome would lead to.
    pub to: PaymentState,
    /// Whether the outcome came from reconcile (else from start, poll or cancel).
    pub via_reconcile: bool,
}

fn describe_refusal(from: PaymentState, to: PaymentState, via_reconcile: bool) -> String {
    if from.is_final() {
        format!("the payment is already {from}, which is final; it cannot become {to}")
    } else if !via_reconcile {
        format!(
            "the payment's outcome is unknown and only reconcile may resolve it; an answer of {to} from start, poll or cancel is not accepted"
        )
    } else if from == PaymentState::Pending {
        "only a payment whose outcome is unknown is reconciled; this one is pending, so poll it".to_owned()
    } else {
        format!("reconcile must answer with a final outcome or unknown, not {to}; the payment stays unknown")
    }
}

impl PaymentState {
    /// Approved, declined and cancelled never change again.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            PaymentState::Approved | PaymentState::Declined | PaymentState::Cancelled
        )
    }

    /// The stored text form ("pending", "approved", …).
    pub fn as_str(self) -> &'static str {
        match self {
            PaymentState::Pending => "pending",
            PaymentState::Approved => "approved",
            PaymentState::Declined => "declined",
            PaymentState::Cancelled => "cancelled",
            PaymentState::Unknown => "unknown",
        }
    }

    /// The state after an outcome reported by `start`, `poll` or `cancel` — or by the
    /// application itself recording `Unknown` after a timeout or a restart.
    ///
    /// Only a pending payment moves: to any outcome, or stays pending. An unknown
    /// payment is left to [`PaymentState::reconcile`]; a final one never moves.
    pub fn transition(self, outcome: &PaymentOutcome) -> Result<PaymentState, InvalidTransition> {
        let to = outcome.state();
        match self {
            PaymentState::Pending => Ok(to),
            _ => Err(InvalidTransition {
                from: self,
                to,
                via_reconcile: false,
            }),
        }
    }

    /// The state after an outcome reported by `reconcile`.
    ///
    /// Only an unknown payment is reconciled: to a final outcome, or it stays unknown
    /// when the other side cannot tell yet. "Pending" is not an answer to "what
    /// happened?", so it is refused and the payment stays unknown.
    pub fn reconcile(self, outcome: &PaymentOutcome) -> Result<PaymentState, InvalidTransition> {
        let to = outcome.state();
        match (self, to) {
            (PaymentState::Unknown, PaymentState::Pending) => Err(InvalidTransition {
                from: self,
                to,
                via_reconcile: true,
            }),
            (PaymentState::Unknown, _) => Ok(to),
            _ => Err(InvalidTransition {
                from: self,
                to,
                via_reconcile: true,
            }),
        }
    }
}

impl fmt::Display for PaymentState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::currency::Currency;
    use PaymentState::*;
    use std::collections::HashMap;

    fn outcome(state: PaymentState) -> PaymentOutcome {
        match state {
            Pending => PaymentOutcome::pending(),
            Approved => PaymentOutcome::approved(Some("123456".into())),
            Declined => PaymentOutcome::Declined {
                reason: "insufficient funds".into(),
            },
            Cancelled => PaymentOutcome::Cancelled,
            Unknown => PaymentOutcome::Unknown {
                detail: "timed out".into(),
            },
        }
    }

    const ALL: [PaymentState; 5] = [Pending, Approved, Declined, Cancelled, Unknown];

    #[test]
    fn every_transition_from_start_poll_or_cancel() {
        for from in ALL {
            for to in ALL {
                let result = from.transition(&outcome(to));
                if from == Pending {
                    assert_eq!(result, Ok(to), "{from} -> {to}");
                } else {
                    assert_eq!(
                        result,
                        Err(InvalidTransition {
                            from,
                            to,
                            via_reconcile: false
                        }),
                        "{from} -> {to}"
                    );
                }
            }
        }
    }

    #[test]
    fn every_transition_from_reconcile() {
        for from in ALL {
            for to in ALL {
                let result = from.reconcile(&outcome(to));
                let allowed = from == Unknown && to != Pending;
                if allowed {
                    assert_eq!(result, Ok(to), "{from} -> {to}");
                } else {
                    assert_eq!(
                        result,
                        Err(InvalidTransition {
                            from,
                            to,
                            via_reconcile: true
                        }),
                        "{from} -> {to}"
                    );
                }
            }
        }
    }

    #[test]
    fn refusals_explain_themselves() {
        assert_eq!(
            Approved.transition(&outcome(Declined)).unwrap_err().to_string(),
            "the payment is already approved, which is final; it cannot become declined"
        );
        assert_eq!(
            Cancelled.reconcile(&outcome(Approved)).unwrap_err().to_string(),
            "the payment is already cancelled, which is final; it cannot become approved"
        );
        assert_eq!(
            Unknown.transition(&outcome(Approved)).unwrap_err().to_string(),
            "the payment's outcome is unknown and only reconcile may resolve it; an answer of approved from start, poll or cancel is not accepted"
        );
        assert_eq!(
            Pending.reconcile(&outcome(Approved)).unwrap_err().to_string(),
            "only a payment whose outcome is unknown is reconciled; this one is pending, so poll it"
        );
        assert_eq!(
            Unknown.reconcile(&outcome(Pending)).unwrap_err().to_string(),
            "reconcile must answer with a final outcome or unknown, not pending; the payment stays unknown"
        );
    }

    #[test]
    fn finality_and_text() {
        let finals: Vec<PaymentState> = ALL.into_iter().filter(|s| s.is_final()).collect();
        assert_eq!(finals, [Approved, Declined, Cancelled]);
        for s in ALL {
            assert_eq!(serde_json::to_string(&s).unwrap(), format!("\"{s}\""));
            assert_eq!(outcome(s).state(), s);
        }
    }

    #[test]
    fn references() {
        assert_eq!(
            PaymentReference::new("sale-42_t1").unwrap().as_str(),
            "sale-42_t1"
        );
        assert!(PaymentReference::new(&"a".repeat(64)).is_ok());
        assert_eq!(PaymentReference::new(""), Err(InvalidPaymentReference::Empty));
        assert_eq!(
            PaymentReference::new(&"a".repeat(65)),
            Err(InvalidPaymentReference::TooLong {
                input: "a".repeat(65),
                length: 65
            })
        );
        assert_eq!(
            PaymentReference::new("sale 42").unwrap_err().to_string(),
            "payment reference \"sale 42\" has ' ' at position 5; only letters A-Z and a-z, digits, '-' and '_' are allowed"
        );
        assert!(PaymentReference::new("köp-1").is_err());
        assert!(PaymentReference::new("a/b").is_err());
        assert!(serde_json::from_str::<PaymentReference>("\"bad ref\"").is_err());
        let r: PaymentReference = serde_json::from_str("\"ok-1\"").unwrap();
        assert_eq!(serde_json::to_string(&r).unwrap(), "\"ok-1\"");
    }

    fn request(minor: i64, purpose: PaymentPurpose) -> PaymentRequest {
        PaymentRequest {
            reference: PaymentReference::new("pay-1").unwrap(),
            amount: Money::from_minor(minor, Currency::SEK),
            purpose,
        }
    }

    #[test]
    fn requests_are_checked_before_sending() {
        assert_eq!(request(100, PaymentPurpose::Purchase).check(), Ok(()));
        let refund = PaymentPurpose::Refund {
            original: PaymentReference::new("pay-0").unwrap(),
        };
        assert_eq!(request(100, refund).check(), Ok(()));
        assert_eq!(
            request(0, PaymentPurpose::Purchase).check().unwrap_err().code(),
            "invalid_request"
        );
        assert_eq!(
            request(-100, PaymentPurpose::Purchase)
                .check()
                .unwrap_err()
                .code(),
            "invalid_request"
        );
        let own = PaymentPurpose::Refund {
            original: PaymentReference::new("pay-1").unwrap(),
        };
        assert!(request(100, own).check().is_err());
        let mut fine = request(100, PaymentPurpose::Purchase);
        fine.amount = Money::new(rust_decimal::Decimal::new(1005, 3), Currency::SEK);
        assert!(fine.check().is_err());
    }

    #[test]
    fn errors_say_whether_the_outcome_is_open() {
        let transport = PaymentError::Transport {
            method: "zvt",
            reference: "pay-1".into(),
            detail: "no answer within 30 s".into(),
        };
        assert!(transport.leaves_outcome_unknown());
        assert_eq!(
            transport.to_string(),
            "zvt did not answer for payment pay-1: no answer within 30 s; the outcome is unknown until it is reconciled"
        );
        let unsupported = PaymentError::Unsupported {
            method: "external card",
            operation: PaymentOperation::Refund,
        };
        assert!(!unsupported.leaves_outcome_unknown());
        assert_eq!(
            unsupported.to_string(),
            "external card cannot refund; use another tender or do it on the terminal or provider's own system"
        );
    }

    /// A terminal that approves after one poll and can lose its answer, to run the
    /// contract end to end: store, start, lose track, reconcile with the same reference.
    #[derive(Default)]
    struct Terminal {
        charged: HashMap<String, i64>,
        polls: u32,
        drop_next_answer: bool,
    }

    impl PaymentMethod for Terminal {
        fn start(&mut self, request: &PaymentRequest) -> Result<PaymentOutcome, PaymentError> {
            request.check()?;
            // Idempotent per reference: a repeated start cannot charge twice.
            self.charged
                .entry(request.reference.to_string())
                .or_insert(request.amount.to_minor().unwrap());
            if self.drop_next_answer {
                return Err(PaymentError::Transport {
                    method: "test terminal",
                    reference: request.reference.to_string(),
                    detail: "connection dropped".into(),
                });
            }
            Ok(PaymentOutcome::pending())
        }

        fn poll(&mut self, _reference: &PaymentReference) -> Result<PaymentOutcome, PaymentError> {
            self.polls += 1;
            Ok(if self.polls > 1 {
                PaymentOutcome::approved(None)
            } else {
                PaymentOutcome::pending()
            })
        }

        fn cancel(&mut self, _reference: &PaymentReference) -> Result<PaymentOutcome, PaymentError> {
            Err(PaymentError::Unsupported {
                method: "test terminal",
                operation: PaymentOperation::Cancel,
            })
        }

        fn reconcile(&mut self, reference: &PaymentReference) -> Result<PaymentOutcome, PaymentError> {
            Ok(match self.charged.get(reference.as_str()) {
                Some(_) => PaymentOutcome::approved(Some("A1".into())),
                None => PaymentOutcome::Cancelled,
            })
        }
    }

    #[test]
    fn the_contract_end_to_end() {
        let mut terminal = Terminal::default();
        let req = request(2500, PaymentPurpose::Purchase);
        let mut state = Pending; // stored with the reference before start
        state = state.transition(&terminal.start(&req).unwrap()).unwrap();
        state = state.transition(&terminal.poll(&req.reference).unwrap()).unwrap();
        assert_eq!(state, Pending);
        state = state.transition(&terminal.poll(&req.reference).unwrap()).unwrap();
        assert_eq!(state, Approved);

        let mut lost = Terminal {
            drop_next_answer: true,
            ..Terminal::default()
        };
        let err = lost.start(&req).unwrap_err();
        assert!(err.leaves_outcome_unknown());
        let state = Pending
            .transition(&PaymentOutcome::Unknown {
                detail: err.to_string(),
            })
            .unwrap();
        assert_eq!(state, Unknown);
        // Polling cannot resolve it; reconciling with the same reference does.
        assert!(state.transition(&lost.poll(&req.reference).unwrap()).is_err());
        let resolved = state.reconcile(&lost.reconcile(&req.reference).unwrap()).unwrap();
        assert_eq!(resolved, Approved);
        assert_eq!(lost.charged.len(), 1);
        assert_eq!(
            Unknown.reconcile(
                &lost
                    .reconcile(&PaymentReference::new("never-sent").unwrap())
                    .unwrap()
            ),
            Ok(Cancelled)
        );
    }
}
