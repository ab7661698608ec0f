//! Flexiti as a [`PaymentMethod`]: consumer financing on the customer's Flexiti account
//! number, in CAD, taken at the till in one go (no customer-side step to wait for).
//!
//! The flow, and the readings of seeds/002 (Flexiti POS API v2.5.1) it rests on:
//! - Two ways to take a payment, chosen by the till ([`FlexitiMode`]): an authorization
//!   of the amount on the account (`<reference>-auth`) then its capture inside the same
//!   call (`<reference>-capture`), approved only once captured; or a purchase by account
//!   number (`<reference>-purchase`), authorized and captured by Flexiti in one step.
//! - `x-reference-id` is Flexiti's idempotency reference: the same reference with the
//!   same request answers the first answer and acts no second time. Each operation's
//!   reference is derived from the tender's reference, so it is known before anything is
//!   sent, and the request body is a pure function of what was stored before the send
//!   (the `prepared` step: mode, account, location and employee ids). Reconciling an
//!   unknown outcome therefore re-sends the very same request under the very same
//!   reference: Flexiti answers what it did, or does it now if the first never arrived.
//!   A new reference is never made for a payment.
//! - The in-store channel needs `external_location_id` (the store's Flexiti id, else
//!   the account's `location_id` setting) and `external_employee_id` (the cashier's
//!   Flexiti id, which a manager sets; without it nothing is recorded).
//! - The account number is held in full only in the `prepared` step, because the
//!   re-send must repeat it; every other step, log line and message shows its last four.
//! - Returns go back through `return_capture` on the original capture (its ids from the
//!   original tender's `captured` step), never above what was captured less the returns
//!   Kassa already recorded; a return of the whole capture is sent as `full_return`. A
//!   return carries the original payment's location and employee ids: it is sent after
//!   the credit note commits, where no cashier is at hand, and it must be rebuilt
//!   identically to be re-sent.
//! - Error codes (422 `insufficient_credit`, 404 `not_found`...) are answers: nothing was
//!   charged. The ones about the customer's account or credit decline the payment with a
//!   sentence for the cashier; the others refuse it. 5xx, lost answers and unreadable
//!   successes leave the outcome unknown until reconciled; 429 is retried after its
//!   `Retry-After` (bounded by [`ProviderTimings::max_retry_after`]): Flexiti handled
//!   nothing.
//! - An authorization whose capture is refused (expired, say) is left to lapse: the
//!   document gives no endpoint to release it.

use std::future::Future;

use serde::{Deserialize, Serialize};
use serde_json::json;

use kassa_core::org::{Provider, TenderMethod};
use kassa_core::payment::{
    PaymentError, PaymentMethod, PaymentOperation, PaymentOutcome, PaymentPurpose, PaymentReference,
    PaymentRequest,
};
use kassa_core::{Currency, Money};
use kassa_providers::CallError;
use kassa_providers::flexiti::{
    self, AuthorizationRequest, CaptureRequest, FlexitiError, PurchaseRequest, ReturnRequest,
};
use kassa_store::payment_steps::PaymentStep;
use kassa_store::{stores, users};

use crate::error::ErrorCode;
use crate::provider_payments::{NewStep, ProviderTimings, StoredPayment, insert_steps};
use crate::sales::{SELL, SaleView};
use crate::{Actor, AppError, Kassa};

const METHOD: &str = "Flexiti";

/// The longest Flexiti id (location, employee, account) Kassa keeps: the document's
/// ASCII(50) for the register id, the longest text field it sizes.
pub const MAX_FLEXITI_ID: usize = 50;

/// How the till takes a Flexiti payment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "snake_case")]
pub enum FlexitiMode {
    /// Authorize the amount on the account, then capture it.
    AuthorizeAndCapture,
    /// Purchase by account number (authorized and captured in one step).
    Purchase,
}

/// What is stored before the first request is sent: every request of the payment is
/// built from it alone, so a re-send is byte for byte the first send.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Prepared {
    mode: FlexitiMode,
    account_number: String,
    location_id: String,
    employee_id: String,
}

/// What a return needs of the payment it gives back.
pub(crate) struct FlexitiRefund {
    authorization_id: Option<i64>,
    capture_id: Option<i64>,
    captured: Money,
    /// What other approved returns already gave back of that capture.
    refunded_by_others: Money,
    prepared: Option<Prepared>,
}

/// One Flexiti payment or return, with what earlier calls stored about it.
pub(crate) struct FlexitiPayment<'k> {
    kassa: &'k Kassa,
    client: flexiti::Client,
    timings: ProviderTimings,
    amount: Money,
    purpose: PaymentPurpose,
    prepared: Option<Prepared>,
    authorization_id: Option<i64>,
    capture_id: Option<i64>,
    refund: Option<FlexitiRefund>,
    steps: Vec<NewStep>,
}

/// `****1234`: enough for the cashier to tell accounts apart, not enough to use one.
pub fn mask_account(account: &str) -> String {
    let tail: String = account
        .chars()
        .rev()
        .take(4)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    format!("****{tail}")
}

/// Checks a Flexiti id as the client sends it (in paths and bodies): trimmed, 1 to
/// [`MAX_FLEXITI_ID`] letters, digits, '-' and '_'.
pub(crate) fn clean_flexiti_id(field: &'static str, what: &str, raw: &str) -> Result<String, AppError> {
    let text = raw.trim();
    if text.is_empty() {
        return Err(AppError::validation(field, format!("{what} is empty")));
    }
    if text.chars().count() > MAX_FLEXITI_ID {
        return Err(AppError::validation(
            field,
            format!("{what} is at most {MAX_FLEXITI_ID} characters"),
        ));
    }
    if !text
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return Err(AppError::validation(
            field,
            format!("{what} may hold only letters, digits, '-' and '_'"),
        ));
    }
    Ok(text.to_owned())
}

fn transport(reference: &PaymentReference, detail: impl Into<String>) -> PaymentError {
    PaymentError::Transport {
        method: METHOD,
        reference: reference.to_string(),
        detail: detail.into(),
    }
}

fn rejected(reference: &PaymentReference, reason: impl Into<String>) -> PaymentError {
    PaymentError::Rejected {
        method: METHOD,
        reference: reference.to_string(),
        reason: reason.into(),
    }
}

fn prepared_of(steps: &[PaymentStep]) -> Option<Prepared> {
    steps
        .iter()
        .find(|s| s.step == "prepared")
        .and_then(|s| serde_json::from_str(s.answer.as_deref()?).ok())
}

/// The (authorization id, capture id) a payment's `authorized` and `captured` steps hold.
fn ids_of(steps: &[PaymentStep]) -> (Option<i64>, Option<i64>) {
    let find = |name: &str| {
        steps
            .iter()
            .rev()
            .find(|s| s.step == name)
            .and_then(|s| s.provider_ref.as_deref()?.parse::<i64>().ok())
    };
    let captured = steps.iter().rev().find(|s| s.step == "captured");
    let authorization = find("authorized").or_else(|| {
        captured
            .and_then(|s| serde_json::from_str::<serde_json::Value>(s.answer.as_deref()?).ok())
            .and_then(|v| v.get("authorization_id")?.as_i64())
    });
    (authorization, find("captured"))
}

/// What an authorization ended in: its id, or an outcome (declined) that ends the payment.
enum Authorized {
    Id(i64),
    Ended(PaymentOutcome),
}

impl FlexitiPayment<'_> {
    fn currency(&self) -> Currency {
        self.amount.currency()
    }

    fn minor(&self, money: &Money) -> Option<i64> {
        money.to_minor().ok()
    }

    fn call<T, F, Fut>(&self, make: F) -> Result<T, CallError<FlexitiError>>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, CallError<FlexitiError>>>,
    {
        crate::provider_payments::retrying(self.kassa, &self.timings, make)
    }

    /// A text with the account number masked (the client's messages may carry it).
    fn masked(&self, text: String) -> String {
        let account = self
            .prepared
            .as_ref()
            .or_else(|| self.refund.as_ref()?.prepared.as_ref())
            .map(|p| p.account_number.clone());
        match account {
            Some(account) if !account.is_empty() => text.replace(&account, &mask_account(&account)),
            _ => text,
        }
    }

    fn step(
        &mut self,
        step: &'static str,
        provider_ref: Option<String>,
        amount: Option<i64>,
        answer: serde_json::Value,
    ) {
        self.steps.push(NewStep {
            step,
            provider_ref,
            amount_minor: amount,
            answer: Some(answer.to_string()),
        });
    }

    /// What a failed money call stands for. Documented codes are answers (nothing was
    /// charged); a call that may have arrived leaves the outcome unknown.
    fn failed(
        &mut self,
        reference: &PaymentReference,
        during: &'static str,
        error: CallError<FlexitiError>,
    ) -> Result<PaymentOutcome, PaymentError> {
        let text = self.masked(error.to_string());
        if error.outcome_unknown() {
            return Err(transport(reference, format!("{during}: {text}")));
        }
        let account = self
            .prepared
            .as_ref()
            .map(|p| mask_account(&p.account_number))
            .unwrap_or_default();
        let declined = match &error {
            CallError::Api(FlexitiError::InsufficientCredit { .. }) => Some(format!(
                "Flexiti declined: account {account} does not have {} of credit left. Ask for a smaller amount or another way to pay",
                self.amount
            )),
            CallError::Api(FlexitiError::NotFound { .. }) if during != "returning" => Some(format!(
                "Flexiti has no account {account}. Check the account number with the customer"
            )),
            CallError::Api(FlexitiError::AuthorizationNotOpen { .. }) => Some(
                "Flexiti declined the capture: the authorization is no longer open (expired). Nothing was charged; start the Flexiti payment again".to_owned(),
            ),
            CallError::Api(FlexitiError::AmountExceedsAuthorization { .. }) => Some(format!(
                "Flexiti declined the capture of {}: more than is left of the authorization. Nothing was charged",
                self.amount
            )),
            CallError::Api(FlexitiError::ReturnExceedsCapture { .. }) => Some(format!(
                "Flexiti refused the return of {}: more than is left to return of the purchase",
                self.amount
            )),
            _ => None,
        };
        let code = match &error {
            CallError::Api(api) => api.code().to_owned(),
            _ => "refused".to_owned(),
        };
        self.step(
            "declined",
            None,
            Some(0),
            json!({"during": during, "code": code, "message": text}),
        );
        match declined {
            Some(reason) => Ok(PaymentOutcome::Declined { reason }),
            None => Err(rejected(reference, format!("{during}: {text}"))),
        }
    }

    fn prepared(&self, reference: &PaymentReference) -> Result<Prepared, PaymentError> {
        self.prepared
            .clone()
            .ok_or_else(|| rejected(reference, "no Flexiti request was stored for this payment"))
    }

    fn not_cad(&self, reference: &PaymentReference, error: impl std::fmt::Display) -> PaymentError {
        PaymentError::InvalidRequest {
            reference: reference.to_string(),
            reason: format!("Flexiti takes CAD only: {error}"),
        }
    }

    /// Authorizes (the same request under `<reference>-auth` every time).
    fn authorize(
        &mut self,
        reference: &PaymentReference,
        prepared: &Prepared,
    ) -> Result<Authorized, PaymentError> {
        let mut body =
            AuthorizationRequest::new(&prepared.account_number, self.amount, &prepared.employee_id)
                .map_err(|e| self.not_cad(reference, e))?;
        body.reference = Some(reference.to_string());
        body.external_location_id = Some(prepared.location_id.clone());
        let x_ref = format!("{reference}-auth");
        match self.call(|| self.client.authorize(&x_ref, &body)) {
            Ok(authorization) => {
                let id = authorization.authorization_id;
                self.authorization_id = Some(id);
                self.step(
                    "authorized",
                    Some(id.to_string()),
                    self.minor(&self.amount),
                    json!({
                        "x_reference_id": x_ref,
                        "account": mask_account(&prepared.account_number),
                        "status": format!("{:?}", authorization.status),
                        "amount": authorization.amount.to_string(),
                    }),
                );
                Ok(Authorized::Id(id))
            }
            Err(error) => self
                .failed(reference, "authorizing", error)
                .map(Authorized::Ended),
        }
    }

    /// Captures the whole authorization (the same request under `<reference>-capture`).
    fn capture(
        &mut self,
        reference: &PaymentReference,
        prepared: &Prepared,
        authorization_id: i64,
    ) -> Result<PaymentOutcome, PaymentError> {
        let mut body = CaptureRequest::new(self.amount, &prepared.employee_id)
            .map_err(|e| self.not_cad(reference, e))?;
        body.reference = Some(reference.to_string());
        body.external_location_id = Some(prepared.location_id.clone());
        let x_ref = format!("{reference}-capture");
        match self.call(|| self.client.capture(&x_ref, authorization_id, &body)) {
            Ok(capture) => Ok(self.captured(&x_ref, prepared, &capture)),
            Err(error) => self.failed(reference, "capturing", error),
        }
    }

    fn captured(&mut self, x_ref: &str, prepared: &Prepared, capture: &flexiti::Capture) -> PaymentOutcome {
        self.capture_id = Some(capture.capture_id);
        self.step(
            "captured",
            Some(capture.capture_id.to_string()),
            self.minor(&self.amount),
            json!({
                "x_reference_id": x_ref,
                "authorization_id": capture.authorization_id,
                "account": mask_account(&prepared.account_number),
                "amount": capture.amount.to_string(),
                "term_amount": capture.term_amount.map(|a| a.to_string()),
                "status": format!("{:?}", capture.status),
            }),
        );
        PaymentOutcome::approved(Some(capture.capture_id.to_string()))
    }

    /// Purchases by account number (the same request under `<reference>-purchase`).
    fn purchase(
        &mut self,
        reference: &PaymentReference,
        prepared: &Prepared,
    ) -> Result<PaymentOutcome, PaymentError> {
        let mut body = PurchaseRequest::new(self.amount, &prepared.employee_id)
            .map_err(|e| self.not_cad(reference, e))?;
        body.reference = Some(reference.to_string());
        body.external_location_id = Some(prepared.location_id.clone());
        let x_ref = format!("{reference}-purchase");
        let account = prepared.account_number.clone();
        match self.call(|| self.client.purchase(&x_ref, &account, &body)) {
            Ok(capture) => Ok(self.captured(&x_ref, prepared, &capture)),
            Err(error) => self.failed(reference, "purchasing", error),
        }
    }

    /// Takes the payment from wherever its stored steps left it: the same requests,
    /// under the same references, for the steps without an answer.
    fn take(&mut self, reference: &PaymentReference) -> Result<PaymentOutcome, PaymentError> {
        let prepared = self.prepared(reference)?;
        if self.capture_id.is_some() {
            return Ok(PaymentOutcome::approved(self.capture_id.map(|id| id.to_string())));
        }
        match prepared.mode {
            FlexitiMode::Purchase => self.purchase(reference, &prepared),
            FlexitiMode::AuthorizeAndCapture => {
                let authorization_id = match self.authorization_id {
                    Some(id) => id,
                    None => match self.authorize(reference, &prepared)? {
                        Authorized::Id(id) => id,
                        Authorized::Ended(outcome) => return Ok(outcome),
                    },
                };
                self.capture(reference, &prepared, authorization_id)
            }
        }
    }

    /// The return's body: all of the capture as `full_return` when this return gives
    /// back the whole capture, else the amount. A function of stored facts only, so a
    /// re-send is the same request.
    fn return_body(&self, refund: &FlexitiRefund, prepared: &Prepared) -> Result<ReturnRequest, String> {
        let whole = self.amount == refund.captured;
        let mut body = ReturnRequest::new((!whole).then_some(self.amount), &prepared.employee_id)
            .map_err(|e| e.to_string())?;
        body.external_location_id = Some(prepared.location_id.clone());
        Ok(body)
    }

    fn give_back(&mut self, reference: &PaymentReference) -> Result<PaymentOutcome, PaymentError> {
        let refund = self
            .refund
            .take()
            .ok_or_else(|| rejected(reference, "the return's original Flexiti payment is not known"))?;
        let outcome = self.give_back_of(reference, &refund);
        self.refund = Some(refund);
        outcome
    }

    fn give_back_of(
        &mut self,
        reference: &PaymentReference,
        refund: &FlexitiRefund,
    ) -> Result<PaymentOutcome, PaymentError> {
        let (Some(authorization_id), Some(capture_id), Some(prepared)) = (
            refund.authorization_id,
            refund.capture_id,
            refund.prepared.clone(),
        ) else {
            return Err(rejected(
                reference,
                "the original Flexiti payment has no stored capture to return; give the money back another way",
            ));
        };
        let left = refund
            .captured
            .checked_sub(&refund.refunded_by_others)
            .map_err(|e| rejected(reference, e.to_string()))?;
        if self.amount.amount() > left.amount() {
            return Err(rejected(
                reference,
                format!(
                    "a Flexiti return of {} is more than the {left} left of the {} captured; nothing was sent",
                    self.amount, refund.captured
                ),
            ));
        }
        let mut body = self
            .return_body(refund, &prepared)
            .map_err(|e| self.not_cad(reference, e))?;
        body.reference = Some(reference.to_string());
        let x_ref = format!("{reference}-return");
        match self.call(|| {
            self.client
                .return_capture(&x_ref, authorization_id, capture_id, &body)
        }) {
            Ok(returned) => {
                self.step(
                    "returned",
                    Some(returned.return_id.to_string()),
                    self.minor(&self.amount),
                    json!({
                        "x_reference_id": x_ref,
                        "authorization_id": authorization_id,
                        "capture_id": capture_id,
                        "full_return": body.full_return,
                        "amount": returned.amount.to_string(),
                        "remaining_capture_amount": returned.remaining_capture_amount.map(|a| a.to_string()),
                    }),
                );
                if returned.amount != self.amount.amount() {
                    // A full return answered with another amount than Kassa counts on.
                    return Err(transport(
                        reference,
                        format!(
                            "Flexiti returned {} CAD where Kassa returns {}; check the return with Flexiti",
                            returned.amount, self.amount
                        ),
                    ));
                }
                Ok(PaymentOutcome::approved(Some(returned.return_id.to_string())))
            }
            Err(error) => self.failed(reference, "returning", error),
        }
    }
}

impl PaymentMethod for FlexitiPayment<'_> {
    fn start(&mut self, request: &PaymentRequest) -> Result<PaymentOutcome, PaymentError> {
        request.check()?;
        if request.amount.currency() != Currency::CAD || self.currency() != Currency::CAD {
            return Err(PaymentError::InvalidRequest {
                reference: request.reference.to_string(),
                reason: format!(
                    "Flexiti takes CAD only, the payment is in {}",
                    request.amount.currency()
                ),
            });
        }
        match &request.purpose {
            PaymentPurpose::Purchase => self.take(&request.reference),
            PaymentPurpose::Refund { .. } => self.give_back(&request.reference),
        }
    }

    fn poll(&mut self, _reference: &PaymentReference) -> Result<PaymentOutcome, PaymentError> {
        // Every Flexiti call answers at once: a payment is never left pending to poll.
        Err(PaymentError::Unsupported {
            method: METHOD,
            operation: PaymentOperation::Poll,
        })
    }

    fn cancel(&mut self, _reference: &PaymentReference) -> Result<PaymentOutcome, PaymentError> {
        Err(PaymentError::Unsupported {
            method: METHOD,
            operation: PaymentOperation::Cancel,
        })
    }

    fn reconcile(&mut self, reference: &PaymentReference) -> Result<PaymentOutcome, PaymentError> {
        let answer = if matches!(self.purpose, PaymentPurpose::Purchase) {
            if self.prepared.is_none() {
                // Stopped before the request was stored: nothing was ever sent.
                self.step("never_sent", None, Some(0), json!({}));
                return Ok(PaymentOutcome::Cancelled);
            }
            self.take(reference)
        } else {
            self.give_back(reference)
        };
        match answer {
            Err(error) if error.leaves_outcome_unknown() => Ok(PaymentOutcome::Unknown {
                detail: error.to_string(),
            }),
            // A re-send refused (a reference conflict, the credentials) says nothing of
            // the first send: the payment stays unknown for a person to check.
            Err(error) => Ok(PaymentOutcome::Unknown {
                detail: format!("{error}; check the payment with Flexiti"),
            }),
            other => other,
        }
    }
}

impl crate::provider_payments::ProviderMethod for FlexitiPayment<'_> {
    fn take_steps(&mut self) -> Vec<NewStep> {
        std::mem::take(&mut self.steps)
    }
}

impl Kassa {
    /// The Flexiti client of a POS, refusing a till that does not sell in CAD.
    pub(crate) fn flexiti_client(
        &self,
        pos_id: i64,
        currency: Currency,
    ) -> Result<flexiti::Client, AppError> {
        if currency != Currency::CAD {
            return Err(AppError::coded(
                ErrorCode::CurrencyMismatch,
                None,
                format!("Flexiti takes payments in CAD only; this till sells in {currency}"),
            ));
        }
        let settings = self.provider_settings(pos_id, Provider::Flexiti)?;
        flexiti::Client::from_settings(&settings).map_err(|e| {
            AppError::coded(
                ErrorCode::ProviderFailed,
                None,
                format!("Flexiti is not set up correctly for this POS: {e}"),
            )
        })
    }

    /// Takes a Flexiti payment of `amount` (all that is left when absent) on the
    /// customer's account number, by authorization and capture or by purchase (`mode`).
    /// The request (and the ids it carries) is stored before it is sent; the answer
    /// comes at once, so the sale is paid, declined or — when the answer was lost —
    /// unknown until reconciled under the same references.
    pub fn start_flexiti_payment(
        &self,
        actor: &Actor,
        sale_id: i64,
        account_number: &str,
        amount: Option<&str>,
        mode: FlexitiMode,
    ) -> Result<SaleView, AppError> {
        self.mark_interrupted_payments()?;
        let account_number =
            clean_flexiti_id("account_number", "the Flexiti account number", account_number)?;
        let (pos_id, currency, store_location, employee) = self.read(|conn| {
            let user = self.authorize(conn, actor, SELL, "take payments")?;
            let till = self.till(conn)?;
            Ok((
                till.pos.id,
                till.currency,
                stores::flexiti_location_id(conn, till.store.id)?,
                users::flexiti_employee_id(conn, user.id)?,
            ))
        })?;
        // All checked before anything is recorded: a till without Flexiti, not in CAD,
        // or a cashier Flexiti does not know stores no tender.
        let client = self.flexiti_client(pos_id, currency)?;
        let employee_id = employee.ok_or_else(|| {
            AppError::coded(
                ErrorCode::Validation,
                None,
                "you have no Flexiti employee id, which Flexiti needs for every in-store payment; a manager sets your Flexiti employee id",
            )
        })?;
        let settings = self.provider_settings(pos_id, Provider::Flexiti)?;
        let location_id = match store_location {
            Some(id) => id,
            None => settings
                .values
                .get("location_id")
                .cloned()
                .filter(|v| !v.trim().is_empty())
                .ok_or_else(|| {
                    AppError::coded(
                        ErrorCode::ProviderFailed,
                        None,
                        "neither this store nor the Flexiti settings have a Flexiti location id; a manager sets one",
                    )
                })?,
        };
        let prepared = Prepared {
            mode,
            account_number,
            location_id,
            employee_id,
        };
        let (opened, ()) = self.open_provider_tender(
            actor,
            sale_id,
            amount,
            TenderMethod::Flexiti,
            None,
            |tx, opened| {
                insert_steps(
                    tx,
                    opened.tender_id,
                    Provider::Flexiti,
                    &[NewStep {
                        step: "prepared",
                        provider_ref: None,
                        amount_minor: opened.amount.to_minor().ok(),
                        answer: Some(
                            serde_json::to_string(&prepared)
                                .map_err(|e| AppError::Internal(format!("Flexiti request: {e}")))?,
                        ),
                    }],
                    &crate::timestamp(self.now()),
                )
            },
        )?;
        tracing::info!(
            reference = %opened.reference,
            account = %mask_account(&prepared.account_number),
            ?mode,
            "Flexiti payment stored, sending"
        );
        let request = PaymentRequest {
            reference: PaymentReference::new(&opened.reference)
                .map_err(|e| AppError::Internal(format!("payment reference {}: {e}", opened.reference)))?,
            amount: opened.amount,
            purpose: PaymentPurpose::Purchase,
        };
        let mut method = FlexitiPayment {
            kassa: self,
            client,
            timings: self.provider_timings(),
            amount: opened.amount,
            purpose: PaymentPurpose::Purchase,
            prepared: Some(prepared),
            authorization_id: None,
            capture_id: None,
            refund: None,
            steps: Vec::new(),
        };
        let answer = method.start(&request);
        self.record_provider(opened.tender_id, Provider::Flexiti, method.steps, answer)
    }

    /// A Flexiti method for a stored tender, from its steps and, for a return, the
    /// original payment's.
    pub(crate) fn flexiti_method(&self, stored: StoredPayment) -> Result<FlexitiPayment<'_>, AppError> {
        let (authorization_id, capture_id) = ids_of(&stored.steps);
        let refund = stored.original.as_ref().map(|(_, original_steps)| {
            let (authorization_id, capture_id) = ids_of(original_steps);
            let captured_minor = original_steps
                .iter()
                .rev()
                .find(|s| s.step == "captured")
                .and_then(|s| s.amount_minor)
                .unwrap_or(0);
            FlexitiRefund {
                authorization_id,
                capture_id,
                captured: Money::from_minor(captured_minor, stored.currency),
                refunded_by_others: stored.refunded_by_others,
                prepared: prepared_of(original_steps),
            }
        });
        Ok(FlexitiPayment {
            kassa: self,
            client: self.flexiti_client(stored.pos_id, stored.currency)?,
            timings: self.provider_timings(),
            amount: stored.amount,
            purpose: stored.purpose.clone(),
            prepared: prepared_of(&stored.steps),
            authorization_id,
            capture_id,
            refund,
            steps: Vec::new(),
        })
    }

    /// Sets (or with `None` clears) a store's Flexiti location id, sent as
    /// `external_location_id`; without one the Flexiti account's `location_id` is sent.
    pub fn set_store_flexiti_location(
        &self,
        actor: &Actor,
        store_id: i64,
        location_id: Option<&str>,
    ) -> Result<Option<String>, AppError> {
        let audit = self.audit(Some(actor));
        self.write(|tx| {
            self.authorize(
                tx,
                actor,
                &[kassa_core::org::Role::Manager],
                "set a store's Flexiti location id",
            )?;
            let value = location_id
                .map(|raw| clean_flexiti_id("location_id", "the Flexiti location id", raw))
                .transpose()?;
            stores::get(tx, store_id)?
                .ok_or_else(|| AppError::NotFound(format!("there is no store with id {store_id}")))?;
            let before = stores::flexiti_location_id(tx, store_id)?;
            stores::set_flexiti_location_id(tx, store_id, value.as_deref(), &audit.at)?;
            audit.record(
                tx,
                "store",
                store_id,
                "set_flexiti_location",
                Some(&json!({ "flexitiLocationId": before })),
                Some(&json!({ "flexitiLocationId": value })),
            )?;
            Ok(value)
        })
    }

    /// A store's Flexiti location id, when set.
    pub fn store_flexiti_location(&self, actor: &Actor, store_id: i64) -> Result<Option<String>, AppError> {
        self.read(|conn| {
            self.authorize(conn, actor, kassa_core::org::Role::ALL, "see stores")?;
            Ok(stores::flexiti_location_id(conn, store_id)?)
        })
    }

    /// Sets (or with `None` clears) a user's Flexiti employee id, sent as
    /// `external_employee_id` with every Flexiti payment the user takes.
    pub fn set_user_flexiti_employee(
        &self,
        actor: &Actor,
        user_id: i64,
        employee_id: Option<&str>,
    ) -> Result<Option<String>, AppError> {
        let audit = self.audit(Some(actor));
        self.write(|tx| {
            self.authorize(
                tx,
                actor,
                &[kassa_core::org::Role::Manager],
                "set a user's Flexiti employee id",
            )?;
            let value = employee_id
                .map(|raw| clean_flexiti_id("employee_id", "the Flexiti employee id", raw))
                .transpose()?;
            users::get(tx, user_id)?
                .ok_or_else(|| AppError::NotFound(format!("there is no user with id {user_id}")))?;
            let before = users::flexiti_employee_id(tx, user_id)?;
            users::set_flexiti_employee_id(tx, user_id, value.as_deref(), &audit.at)?;
            audit.record(
                tx,
                "user",
                user_id,
                "set_flexiti_employee",
                Some(&json!({ "flexitiEmployeeId": before })),
                Some(&json!({ "flexitiEmployeeId": value })),
            )?;
            Ok(value)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accounts_are_masked_to_their_last_four() {
        assert_eq!(mask_account("12341234"), "****1234");
        assert_eq!(mask_account("12"), "****12");
    }

    #[test]
    fn flexiti_ids_are_trimmed_and_path_safe() {
        assert_eq!(clean_flexiti_id("f", "id", "  00-12345 ").unwrap(), "00-12345");
        for bad in ["", "   ", "a/b", "a b", "é", &"x".repeat(MAX_FLEXITI_ID + 1)] {
            assert!(clean_flexiti_id("f", "id", bad).is_err(), "{bad:?}");
        }
        assert!(clean_flexiti_id("f", "id", &"x".repeat(MAX_FLEXITI_ID)).is_ok());
    }
}
