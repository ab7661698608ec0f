//! Payments through a provider (SWiP, Vourity, Flexiti): the one place that drives a provider's
//! [`PaymentMethod`] and stores what it answered.
//!
//! Every call follows the same order: the tender (with its reference) is committed as
//! pending first; the method is called outside any transaction; what it answered — the
//! provider's steps (`payment_steps`) and the outcome — is committed together after. A
//! crash between the two leaves a pending tender whose process is gone, which the next
//! start marks unknown and reconciles with the provider under the same reference
//! ([`Kassa::reconcile_interrupted_payments`]). Nothing is ever started again.

use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use chrono::DateTime;
use serde_json::json;

use kassa_core::org::{Provider, SaleKind, SaleStatus, TenderMethod, TenderStatus};
use kassa_core::payment::{
    CashierPrompt, PaymentError, PaymentMethod, PaymentOutcome, PaymentPurpose, PaymentReference,
    PaymentRequest,
};
use kassa_core::{Currency, Money};
use kassa_providers::{Settings, swip, vourity};
use kassa_store::Transaction;
use kassa_store::payment_steps::{self, PaymentStep};
use kassa_store::sales::{self, TenderRow};

use crate::error::ErrorCode;
use crate::payments::{paid_minor, tender_reference};
use crate::sales::{SELL, SaleView, money};
use crate::swip_payments::{SwipPayment, SwipRefund};
use crate::vourity_payments::{VourityPayment, VourityRefund, new_session_id, session_of, vat_share};
use crate::{Actor, AppError, Kassa};

/// How long the till waits for providers, and how it meets `Retry-After`. Configurable
/// so that tests (and a slow store network) need not wait the documents' real times.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProviderTimings {
    /// How long a SWiP order waits for the customer before it is closed (seeds/003: 90 s).
    pub swip_order_timeout: Duration,
    /// The longest `Retry-After` honoured before calling again.
    pub max_retry_after: Duration,
    /// How many times a call answered 429 is made again.
    pub retries_after_429: u32,
}

impl Default for ProviderTimings {
    fn default() -> Self {
        ProviderTimings {
            swip_order_timeout: Duration::from_secs(90),
            max_retry_after: Duration::from_secs(10),
            retries_after_429: 3,
        }
    }
}

/// The provider clients a Kassa built, each kept with the settings it was built from: a
/// manager's change of the settings (or a rotated secret) builds a new one. Per Kassa,
/// not per process, because a client's pooled connections belong to the runtime that
/// opened them, and each Kassa has its own.
#[derive(Debug, Default)]
pub(crate) struct ClientCache {
    swip: Mutex<Vec<(Settings, swip::Client)>>,
    vourity: Mutex<Vec<(Settings, vourity::Client)>>,
    pub(crate) venue_manager: Mutex<Vec<(Settings, kassa_providers::venue_manager::Client)>>,
    /// The shop's guest token the till acts with, by the base URL it came from. Kept in
    /// memory only, as every token.
    pub(crate) guest_token: Mutex<Option<(String, kassa_providers::Secret)>>,
    /// The settings of an account with its credentials, as last read with the account's
    /// row: reused while the row is unchanged, so a till polling its provider does not
    /// read the keyring (or the secret file) every second. Every change of a credential
    /// rewrites the row (`set_provider_account`), in this process or another.
    pub(crate) settings: Mutex<Vec<(kassa_store::provider_accounts::ProviderAccount, Settings)>>,
}

/// The client built from `settings`, from the cache when the same settings built one.
pub(crate) fn cached<T: Clone, E>(
    slot: &Mutex<Vec<(Settings, T)>>,
    settings: Settings,
    build: impl FnOnce(&Settings) -> Result<T, E>,
) -> Result<T, E> {
    // A till serves one POS: a handful of entries at most, old ones dropped.
    const KEPT: usize = 4;
    let mut slot = slot.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some((_, client)) = slot.iter().find(|(built_from, _)| *built_from == settings) {
        return Ok(client.clone());
    }
    let client = build(&settings)?;
    if slot.len() >= KEPT {
        slot.remove(0);
    }
    slot.push((settings, client.clone()));
    Ok(client)
}

/// A provider step to store with the outcome it led to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct NewStep {
    pub step: &'static str,
    pub provider_ref: Option<String>,
    pub amount_minor: Option<i64>,
    pub answer: Option<String>,
}

/// Which call of the method an answer came from: it decides how the state may move.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Call<'a> {
    Start,
    Poll,
    Cancel,
    Reconcile,
    /// The cashier answers the question the payment's prompt asks.
    Answer {
        question_id: &'a str,
        answer: &'a str,
    },
    /// The customer pays `amount` at the till instead (a SWiP order after loyalty).
    PaidAtTill {
        amount: Money,
    },
}

/// A provider's [`PaymentMethod`], which also hands over the steps it took, to be stored
/// with the outcome they led to.
pub(crate) trait ProviderMethod: PaymentMethod {
    fn take_steps(&mut self) -> Vec<NewStep>;

    /// Tells the provider the customer pays `amount` at the till instead. Only SWiP has
    /// such a close (after its loyalty in the app); for the others it is refused.
    fn close_paid_at_till(
        &mut self,
        reference: &PaymentReference,
        _amount: Money,
    ) -> Result<PaymentOutcome, PaymentError> {
        Err(PaymentError::InvalidRequest {
            reference: reference.to_string(),
            reason: "only a SWiP order can be paid at the till instead".into(),
        })
    }
}

pub(crate) fn provider_of(method: TenderMethod) -> Option<Provider> {
    match method {
        TenderMethod::Swip => Some(Provider::Swip),
        TenderMethod::Vourity => Some(Provider::Vourity),
        TenderMethod::Flexiti => Some(Provider::Flexiti),
        TenderMethod::Voucher => Some(Provider::VenueManager),
        TenderMethod::Cash | TenderMethod::ExternalCard | TenderMethod::CardTerminal => None,
    }
}

/// What a payment call reads before it asks the provider.
enum DriveRead {
    /// The payment is final already: nothing to ask, here is where it ended.
    Final(Box<SaleView>),
    /// The tender to ask about, and what its method is made from.
    Tender(TenderRow, Box<StoredPayment>),
}

/// A provider tender just committed as pending, with what its method needs to start.
pub(crate) struct OpenedTender {
    pub tender_id: i64,
    pub reference: String,
    pub amount: Money,
    pub sale: sales::SaleRow,
    pub lines: Vec<sales::LineRow>,
    pub cashier: String,
}

/// The providers a cashier takes payments through at the till, in the order of its keys
/// (Venue Manager: its voucher codes and loyalty barcodes; Flexiti only where the till
/// sells in Canadian dollars, the only currency it finances in).
const TILL_PROVIDERS: [Provider; 4] = [
    Provider::Swip,
    Provider::Vourity,
    Provider::Flexiti,
    Provider::VenueManager,
];

/// What a stored provider tender's method is built from.
pub(crate) struct StoredPayment {
    pub pos_id: i64,
    pub currency: Currency,
    pub amount: Money,
    pub purpose: PaymentPurpose,
    /// This tender's own steps, oldest first.
    pub steps: Vec<PaymentStep>,
    /// For a refund: the payment it gives back and that payment's steps.
    pub original: Option<(TenderRow, Vec<PaymentStep>)>,
    /// For a refund: what other approved refunds already gave back of that payment.
    pub refunded_by_others: Money,
}

fn reference_of(text: &str) -> Result<PaymentReference, AppError> {
    PaymentReference::new(text).map_err(|e| AppError::Internal(format!("payment reference {text:?}: {e}")))
}

/// What the till shows for a provider tender: the prompt stored while it is pending, or
/// why it is unknown, was refused or was declined.
pub(crate) fn tender_prompt(tender: &TenderRow) -> Option<CashierPrompt> {
    if provider_of(tender.method).is_none() && tender.method != TenderMethod::CardTerminal {
        return None;
    }
    let value: serde_json::Value = serde_json::from_str(tender.detail.as_deref()?).ok()?;
    if tender.status == TenderStatus::Pending
        && let Some(prompt) = value.get("prompt")
    {
        return serde_json::from_value(prompt.clone()).ok();
    }
    ["unknown", "refused", "declined"]
        .iter()
        .find_map(|key| value.get(*key)?.as_str())
        .map(CashierPrompt::message)
}

fn refused(error: &PaymentError) -> AppError {
    AppError::coded(ErrorCode::PaymentRefused, None, error.to_string())
}

impl Kassa {
    /// The provider timings in force.
    pub fn provider_timings(&self) -> ProviderTimings {
        *self.timings.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Changes how long providers are waited for (tests, and a slow store network).
    pub fn set_provider_timings(&self, timings: ProviderTimings) {
        *self.timings.lock().unwrap_or_else(|p| p.into_inner()) = timings;
    }

    /// The providers this till takes payments through, for its tender keys: those of
    /// SWiP and Vourity whose account on the bound POS device has a base URL and every
    /// field and credential key entered. Sellers may ask (the till shows a key only for a
    /// provider it can use); the account's settings stay a manager's
    /// ([`Kassa::provider_accounts`]). Reads no credential: whether one is on this machine
    /// shows when the payment starts.
    pub fn till_payment_providers(&self, actor: &Actor) -> Result<Vec<Provider>, AppError> {
        self.read(|conn| {
            self.authorize(conn, actor, SELL, "take payments")?;
            let till = self.till(conn)?;
            let accounts = kassa_store::provider_accounts::list_for_pos(conn, till.pos.id)?;
            Ok(TILL_PROVIDERS
                .into_iter()
                .filter(|&provider| provider != Provider::Flexiti || till.currency == Currency::CAD)
                .filter(|&provider| {
                    accounts.iter().any(|a| {
                        a.provider == provider
                            && !a.base_url.is_empty()
                            && crate::providers::provider_fields(provider).iter().all(|field| {
                                if field.secret {
                                    a.secret_keys.iter().any(|k| k == field.key)
                                } else {
                                    a.fields.contains_key(field.key)
                                }
                            })
                            // An account in another currency than the till's (a shop, a
                            // merchant account) cannot take its payments: no key for it.
                            && a.fields
                                .get("currency")
                                .is_none_or(|currency| currency.eq_ignore_ascii_case(till.currency.code()))
                    })
                })
                .collect())
        })
    }

    pub(crate) fn swip_client(&self, pos_id: i64, currency: Currency) -> Result<swip::Client, AppError> {
        let settings = self.provider_settings(pos_id, Provider::Swip)?;
        let client =
            cached(&self.provider_clients.swip, settings, swip::Client::from_settings).map_err(|e| {
                AppError::coded(
                    ErrorCode::ProviderFailed,
                    None,
                    format!("SWiP is not set up correctly for this POS: {e}"),
                )
            })?;
        if client.currency() != currency {
            return Err(AppError::coded(
                ErrorCode::CurrencyMismatch,
                None,
                format!(
                    "the SWiP merchant account of this POS is in {}, the till sells in {currency}; \
                     a manager corrects the SWiP settings",
                    client.currency()
                ),
            ));
        }
        Ok(client)
    }

    /// Commits a new pending provider tender of `amount` (all that is left when absent)
    /// on an open sale, with its first step (`requested`), before anything is sent.
    /// `prepare` runs in the same transaction, for what the method must store with it
    /// (a webhook token) or build from the sale.
    pub(crate) fn open_provider_tender<T>(
        &self,
        actor: &Actor,
        sale_id: i64,
        amount: Option<&str>,
        method: TenderMethod,
        provider_ref: Option<String>,
        prepare: impl FnOnce(&Transaction<'_>, &OpenedTender) -> Result<T, AppError>,
    ) -> Result<(OpenedTender, T), AppError> {
        let provider = provider_of(method)
            .ok_or_else(|| AppError::Internal(format!("{} is not a provider method", method.as_str())))?;
        let at = crate::timestamp(self.now());
        let name = crate::providers::provider_name(provider);
        self.open_tender(actor, sale_id, amount, method, name, |tx, opened| {
            insert_steps(
                tx,
                opened.tender_id,
                provider,
                &[NewStep {
                    step: "requested",
                    provider_ref: provider_ref.clone(),
                    amount_minor: Some(opened.amount.to_minor()?),
                    answer: None,
                }],
                &at,
            )?;
            prepare(tx, opened)
        })
    }

    /// Stores a new pending tender of `method` for `amount` (all that is left when absent)
    /// on an open sale, and marks the sale paying, in one transaction with what `first`
    /// records of it (the provider's or terminal's first step): all before anything is
    /// sent. `name` names the method in errors.
    pub(crate) fn open_tender<T>(
        &self,
        actor: &Actor,
        sale_id: i64,
        amount: Option<&str>,
        method: TenderMethod,
        name: &str,
        first: impl FnOnce(&Transaction<'_>, &OpenedTender) -> Result<T, AppError>,
    ) -> Result<(OpenedTender, T), AppError> {
        let at = crate::timestamp(self.now());
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
            let lines = sales::lines(tx, sale.id)?;
            if lines.is_empty() {
                return Err(AppError::Conflict("the sale has no items yet".into()));
            }
            let tenders = sales::tenders(tx, sale.id)?;
            let remaining = sale.total_minor + sale.rounding_minor - paid_minor(&tenders);
            let amount = match amount {
                Some(raw) => crate::sales::parse_amount("amount", raw, &till)?,
                None => money(remaining, till.currency),
            };
            let minor = amount.to_minor()?;
            if minor <= 0 || minor > remaining {
                return Err(AppError::validation(
                    "amount",
                    format!(
                        "a {name} payment must be more than zero and at most the {} still to pay (got {amount})",
                        money(remaining, till.currency)
                    ),
                ));
            }
            let reference = tender_reference(sale.pos_id, sale.id, tenders.len() + 1);
            let tender_id = sales::insert_tender(
                tx,
                &TenderRow {
                    id: 0,
                    sale_id: sale.id,
                    method,
                    amount_minor: minor,
                    status: TenderStatus::Pending,
                    reference: reference.clone(),
                    original_tender_id: None,
                    detail: None,
                    created_at: at.clone(),
                    resolved_at: None,
                },
            )?;
            sales::claim_pending_tenders(tx, sale.id, self.instance_id())?;
            sales::set_status(tx, sale.id, SaleStatus::Paying, &at)?;
            let opened = OpenedTender {
                tender_id,
                reference,
                amount,
                sale,
                lines,
                cashier: user.name.clone(),
            };
            let prepared = first(tx, &opened)?;
            Ok((opened, prepared))
        })
    }

    /// Starts a SWiP payment of `amount` (all that is left when absent): stores the
    /// tender, creates the order and shows its QR code. The sale completes when a later
    /// [`Kassa::poll_payment`] finds it paid.
    pub fn start_swip_payment(
        &self,
        actor: &Actor,
        sale_id: i64,
        amount: Option<&str>,
    ) -> Result<SaleView, AppError> {
        self.mark_interrupted_payments()?;
        let (pos_id, currency) = self.read(|conn| {
            let till = self.till(conn)?;
            Ok((till.pos.id, till.currency))
        })?;
        // Set up before anything is recorded: a till without SWiP stores no tender.
        let client = self.swip_client(pos_id, currency)?;
        let (opened, order) =
            self.open_provider_tender(actor, sale_id, amount, TenderMethod::Swip, None, |_, opened| {
                swip_order(
                    &client,
                    &opened.reference,
                    &opened.cashier,
                    &opened.sale,
                    &opened.lines,
                    opened.amount,
                    self.now(),
                )
            })?;
        let request = PaymentRequest {
            reference: reference_of(&opened.reference)?,
            amount: opened.amount,
            purpose: PaymentPurpose::Purchase,
        };
        let mut method = SwipPayment {
            kassa: self,
            client,
            timings: self.provider_timings(),
            amount: request.amount,
            purpose: PaymentPurpose::Purchase,
            order: Some(order),
            order_id: None,
            created_at: None,
            refund: None,
            steps: Vec::new(),
        };
        let answer = method.start(&request);
        self.record(
            opened.tender_id,
            Provider::Swip,
            method.steps,
            answer,
            Call::Start,
        )
    }

    /// Starts a card payment of `amount` (all that is left when absent) on this till's
    /// Vourity cloud terminal: stores the tender with a new session id and the payment's
    /// webhook token, then sends the payment request. The card holder pays at the
    /// terminal; [`Kassa::poll_payment`] follows it (webhook or `pos-status`), answers
    /// show up as questions ([`Kassa::answer_payment_question`]), and the payment is
    /// captured before the sale completes.
    pub fn start_vourity_payment(
        &self,
        actor: &Actor,
        sale_id: i64,
        amount: Option<&str>,
    ) -> Result<SaleView, AppError> {
        self.mark_interrupted_payments()?;
        let pos_id = self.read(|conn| Ok(self.till(conn)?.pos.id))?;
        // Set up before anything is recorded: a till without Vourity stores no tender.
        let client = self.vourity_client(pos_id)?;
        let session_id = new_session_id()?;
        let (opened, payment) = self.open_provider_tender(
            actor,
            sale_id,
            amount,
            TenderMethod::Vourity,
            Some(session_id.clone()),
            |tx, opened| {
                let token = self.insert_vourity_webhook_token(tx, &opened.reference)?;
                Ok(kassa_providers::vourity::NewPayment {
                    session_id: session_id.clone(),
                    order_id: opened.sale.id.to_string(),
                    payment_id: opened.reference.clone(),
                    total: opened.amount,
                    vat: vat_share(&opened.sale, opened.amount)?,
                    webhook_token: token,
                })
            },
        )?;
        let request = PaymentRequest {
            reference: reference_of(&opened.reference)?,
            amount: opened.amount,
            purpose: PaymentPurpose::Purchase,
        };
        let mut method = VourityPayment {
            kassa: self,
            client,
            timings: self.provider_timings(),
            amount: opened.amount,
            purpose: PaymentPurpose::Purchase,
            session_id: Some(session_id),
            payment: Some(payment),
            refund: None,
            steps: Vec::new(),
        };
        let answer = method.start(&request);
        self.record(
            opened.tender_id,
            Provider::Vourity,
            method.steps,
            answer,
            Call::Start,
        )
    }

    /// Answers the question a pending provider payment asks the cashier (a Vourity
    /// terminal's action request) with one of the answers its prompt offers.
    pub fn answer_payment_question(
        &self,
        actor: &Actor,
        tender_id: i64,
        question_id: &str,
        answer: &str,
    ) -> Result<SaleView, AppError> {
        self.drive(actor, tender_id, Call::Answer { question_id, answer })
    }

    /// The customer took SWiP's loyalty in the app but pays at the till: the unpaid SWiP
    /// order is closed with the cash the till will take (`ROUNDED` when that is its total
    /// cash-rounded), the SWiP payment ends as cancelled (SWiP took nothing) and the sale
    /// is open again for the cash.
    pub fn pay_swip_order_at_till(&self, actor: &Actor, tender_id: i64) -> Result<SaleView, AppError> {
        let amount = self.read(|conn| {
            self.authorize(conn, actor, SELL, "take payments")?;
            let tender = sales::get_tender(conn, tender_id)?
                .ok_or_else(|| AppError::NotFound(format!("there is no payment with id {tender_id}")))?;
            if tender.method != TenderMethod::Swip {
                return Err(AppError::Conflict(format!(
                    "payment {} is not a SWiP payment; only a SWiP order can be paid at the till instead",
                    tender.reference
                )));
            }
            let sale = sales::get_sale(conn, tender.sale_id)?
                .ok_or_else(|| AppError::Internal("sale vanished".into()))?;
            let currency: Currency = sale
                .currency
                .parse()
                .map_err(|e| AppError::Internal(format!("{e}")))?;
            let tenders = sales::tenders(conn, sale.id)?;
            let remaining = sale.total_minor + sale.rounding_minor - paid_minor(&tenders);
            // Cash rounding is of what is left of the sale: only when this payment is all of
            // it is the cash the rounded amount.
            let minor = if tender.amount_minor == remaining {
                crate::payments::cash_rounded(remaining, currency)?
            } else {
                tender.amount_minor
            };
            Ok(money(minor, currency))
        })?;
        self.drive(actor, tender_id, Call::PaidAtTill { amount })
    }

    /// Asks the provider where a pending payment is; completes the sale when it is paid.
    /// The till calls it while the customer pays (every second or so).
    pub fn poll_payment(&self, actor: &Actor, tender_id: i64) -> Result<SaleView, AppError> {
        self.drive(actor, tender_id, Call::Poll)
    }

    /// Gives up on a pending provider payment. What the customer already paid is kept
    /// (the tender shrinks to it) and the rest is taken another way.
    pub fn cancel_payment(&self, actor: &Actor, tender_id: i64) -> Result<SaleView, AppError> {
        self.drive(actor, tender_id, Call::Cancel)
    }

    /// Resolves a provider payment whose outcome is unknown by asking the provider under
    /// the same reference. It stays unknown when the provider cannot tell yet.
    pub fn reconcile_payment(&self, actor: &Actor, tender_id: i64) -> Result<SaleView, AppError> {
        self.drive(actor, tender_id, Call::Reconcile)
    }

    fn drive(&self, actor: &Actor, tender_id: i64, call: Call<'_>) -> Result<SaleView, AppError> {
        // One read transaction for everything the call needs before it is sent (this runs
        // about once a second while a customer pays); the rare payment left by a stopped
        // Kassa is marked first, then the read is done again.
        match self.drive_read(actor, tender_id, call)? {
            None => {
                self.mark_interrupted_payments()?;
                match self.drive_read(actor, tender_id, call)? {
                    Some(read) => self.drive_on(read, call),
                    None => Err(AppError::Conflict(
                        "a payment left by a stopped Kassa could not be marked; try again".into(),
                    )),
                }
            }
            Some(read) => self.drive_on(read, call),
        }
    }

    fn drive_on(&self, read: DriveRead, call: Call<'_>) -> Result<SaleView, AppError> {
        let (tender, stored) = match read {
            DriveRead::Final(view) => return Ok(*view),
            DriveRead::Tender(tender, stored) => (tender, stored),
        };
        if tender.method == TenderMethod::CardTerminal {
            // The terminal's payment runs in the call that started it; the till's screen
            // reads its prompt, and a cancel is a request to that call.
            return match call {
                Call::Reconcile => self.reconcile_terminal_tender(&tender),
                Call::Poll => self.read(|conn| self.sale_view(conn, tender.sale_id)),
                Call::Cancel => self.request_terminal_abort(&tender),
                _ => Err(AppError::Conflict(format!(
                    "payment {} is on the card terminal, which answers by itself",
                    tender.reference
                ))),
            };
        }
        let provider = provider_of(tender.method).ok_or_else(|| {
            AppError::Conflict(format!(
                "payment {} is a {} payment, which is answered at the till, not asked of a provider",
                tender.reference,
                tender.method.as_str()
            ))
        })?;
        self.ask_provider(&tender, provider, call, *stored)
    }

    /// What [`Kassa::drive`] reads: `None` when a payment left by a stopped Kassa must be
    /// marked first.
    fn drive_read(
        &self,
        actor: &Actor,
        tender_id: i64,
        call: Call<'_>,
    ) -> Result<Option<DriveRead>, AppError> {
        let expected = if call == Call::Reconcile {
            TenderStatus::Unknown
        } else {
            TenderStatus::Pending
        };
        let db_path = self.db_path();
        self.read(|conn| {
            if self.any_interrupted_payment(conn, &db_path)? {
                return Ok(None);
            }
            let user = self.authorize(conn, actor, SELL, "take payments")?;
            let till = self.till(conn)?;
            // Resolving a payment that is final already (reconciled when Kassa opened, or
            // by another till session) has nothing left to ask: it shows where it ended.
            if call == Call::Reconcile
                && let Some(stored) = sales::get_tender(conn, tender_id)?
                && matches!(
                    stored.status,
                    TenderStatus::Approved | TenderStatus::Declined | TenderStatus::Cancelled
                )
                && sales::get_sale(conn, stored.sale_id)?.is_some_and(|s| s.pos_id == till.pos.id)
                && (provider_of(stored.method).is_some() || stored.method == TenderMethod::CardTerminal)
            {
                return Ok(Some(DriveRead::Final(Box::new(
                    self.sale_view(conn, stored.sale_id)?,
                ))));
            }
            let tender = self.tender_on_till(conn, &till, tender_id, expected)?;
            if call != Call::Reconcile {
                self.refuse_unless_tender_owner(conn, &tender, &user)?;
                self.refuse_if_taken_elsewhere(conn, &tender)?;
            }
            let stored = stored_payment_in(conn, &tender)?;
            Ok(Some(DriveRead::Tender(tender, Box::new(stored))))
        })
    }

    fn ask_provider(
        &self,
        tender: &TenderRow,
        provider: Provider,
        call: Call<'_>,
        stored: StoredPayment,
    ) -> Result<SaleView, AppError> {
        let reference = reference_of(&tender.reference)?;
        let (mut method, _) = self.method_from(tender, provider, stored)?;
        let answer = match call {
            Call::Start => Err(PaymentError::InvalidRequest {
                reference: tender.reference.clone(),
                reason: "a stored payment is never started again".into(),
            }),
            Call::Poll => method.poll(&reference),
            Call::Cancel => method.cancel(&reference),
            Call::Reconcile => method.reconcile(&reference),
            Call::Answer { question_id, answer } => method.answer(&reference, question_id, answer),
            Call::PaidAtTill { amount } => method.close_paid_at_till(&reference, amount),
        };
        let steps = method.take_steps();
        drop(method);
        self.record(tender.id, provider, steps, answer, call)
    }

    /// What a stored tender's method is made from: its sale, its steps and, for a
    /// refund, the payment it gives back.
    fn stored_payment(&self, tender: &TenderRow) -> Result<StoredPayment, AppError> {
        self.read(|conn| stored_payment_in(conn, tender))
    }

    /// The method that carries a stored tender on, and the request it was started with.
    fn method_for(
        &self,
        tender: &TenderRow,
        provider: Provider,
    ) -> Result<(Box<dyn ProviderMethod + '_>, PaymentRequest), AppError> {
        let stored = self.stored_payment(tender)?;
        self.method_from(tender, provider, stored)
    }

    /// The method for a stored tender, from what [`stored_payment_in`] read.
    fn method_from(
        &self,
        tender: &TenderRow,
        provider: Provider,
        stored: StoredPayment,
    ) -> Result<(Box<dyn ProviderMethod + '_>, PaymentRequest), AppError> {
        let request = PaymentRequest {
            reference: reference_of(&tender.reference)?,
            amount: stored.amount,
            purpose: stored.purpose.clone(),
        };
        let method: Box<dyn ProviderMethod + '_> = match provider {
            Provider::Swip => Box::new(self.swip_method(stored)?),
            Provider::Vourity => Box::new(self.vourity_method(stored)?),
            Provider::VenueManager => Box::new(self.voucher_method(stored)?),
            Provider::Flexiti => Box::new(self.flexiti_method(stored)?),
            other => {
                return Err(AppError::Internal(format!(
                    "{} payments are not taken through a provider method",
                    other.as_str()
                )));
            }
        };
        Ok((method, request))
    }

    /// A SWiP method for a stored tender, with what its earlier steps recorded.
    fn swip_method(&self, stored: StoredPayment) -> Result<SwipPayment<'_>, AppError> {
        let created = stored.steps.iter().rev().find(|s| s.step == "order_created");
        let refund = stored.original.as_ref().map(|(_, original_steps)| SwipRefund {
            original_order_id: created_order_id(original_steps),
            refunded_by_others: stored.refunded_by_others,
        });
        Ok(SwipPayment {
            kassa: self,
            client: self.swip_client(stored.pos_id, stored.currency)?,
            timings: self.provider_timings(),
            amount: stored.amount,
            purpose: stored.purpose.clone(),
            order: None,
            order_id: created.and_then(|s| s.provider_ref.clone()),
            created_at: created
                .and_then(|s| DateTime::parse_from_rfc3339(&s.at).ok())
                .map(|t| t.to_utc()),
            refund,
            steps: Vec::new(),
        })
    }

    /// A Vourity method for a stored tender: its session id is the one its `requested`
    /// step stored before the payment request was sent.
    fn vourity_method(&self, stored: StoredPayment) -> Result<VourityPayment<'_>, AppError> {
        let refund = stored
            .original
            .as_ref()
            .map(|(original, original_steps)| VourityRefund {
                original_session_id: session_of(original_steps),
                original_payment_id: original.reference.clone(),
                refunded_by_others: stored.refunded_by_others,
            });
        Ok(VourityPayment {
            kassa: self,
            client: self.vourity_client(stored.pos_id)?,
            timings: self.provider_timings(),
            amount: stored.amount,
            purpose: stored.purpose.clone(),
            session_id: session_of(&stored.steps),
            payment: None,
            refund,
            steps: Vec::new(),
        })
    }

    pub(crate) fn vourity_client(&self, pos_id: i64) -> Result<vourity::Client, AppError> {
        let settings = self.provider_settings(pos_id, Provider::Vourity)?;
        cached(
            &self.provider_clients.vourity,
            settings,
            vourity::Client::from_settings,
        )
        .map_err(|e| {
            AppError::coded(
                ErrorCode::ProviderFailed,
                None,
                format!("Vourity is not set up correctly for this POS: {e}"),
            )
        })
    }

    /// Stores what a provider's first call answered (see [`Kassa::record`]).
    pub(crate) fn record_provider(
        &self,
        tender_id: i64,
        provider: Provider,
        steps: Vec<NewStep>,
        answer: Result<PaymentOutcome, PaymentError>,
    ) -> Result<SaleView, AppError> {
        self.record(tender_id, provider, steps, answer, Call::Start)
    }

    /// Stores what a provider answered: its steps and the outcome, in one transaction.
    fn record(
        &self,
        tender_id: i64,
        provider: Provider,
        steps: Vec<NewStep>,
        answer: Result<PaymentOutcome, PaymentError>,
        call: Call<'_>,
    ) -> Result<SaleView, AppError> {
        let now = self.now();
        let at = crate::timestamp(now);
        // A poll that learned nothing new (still pending, the same prompt, no step) has
        // nothing to store: the till polls every second, and an fsync per poll buys
        // nothing.
        if let Ok(PaymentOutcome::Pending { prompt }) = &answer
            && steps.is_empty()
        {
            let unchanged = json!({ "prompt": prompt }).to_string();
            let view = self.read(|conn| {
                let tender = sales::get_tender(conn, tender_id)?
                    .ok_or_else(|| AppError::Internal(format!("payment {tender_id} vanished")))?;
                if tender.status == TenderStatus::Pending
                    && tender.detail.as_deref() == Some(unchanged.as_str())
                {
                    Ok(Some(self.sale_view(conn, tender.sale_id)?))
                } else {
                    Ok(None)
                }
            })?;
            if let Some(view) = view {
                return Ok(view);
            }
        }
        let mut refusal = None;
        let view = self.write(|tx| {
            let till = self.till(tx)?;
            let tender = sales::get_tender(tx, tender_id)?
                .ok_or_else(|| AppError::Internal(format!("payment {tender_id} vanished")))?;
            insert_steps(tx, tender_id, provider, &steps, &at)?;
            match answer {
                Ok(PaymentOutcome::Pending { prompt }) if tender.status == TenderStatus::Pending => {
                    sales::set_tender_detail(tx, tender.id, &json!({ "prompt": prompt }).to_string())?;
                }
                Ok(PaymentOutcome::Pending { .. }) => {
                    // Reconcile must answer a final outcome; the payment stays unknown.
                }
                Ok(PaymentOutcome::Unknown { detail }) if tender.status == TenderStatus::Unknown => {
                    sales::set_tender_detail(tx, tender.id, &json!({ "unknown": detail }).to_string())?;
                }
                Ok(outcome) => {
                    if matches!(outcome, PaymentOutcome::Approved { .. })
                        && let Some(discount) = steps
                            .iter()
                            .find(|s| s.step == "loyalty_applied")
                            .and_then(|s| s.amount_minor)
                    {
                        // Before the tender is settled: the sale's total drops by the
                        // discount, so what the customer paid covers it.
                        self.apply_app_loyalty(tx, &till, &tender, discount)?;
                    }
                    if let PaymentOutcome::Approved {
                        partial: Some(taken), ..
                    } = &outcome
                    {
                        let taken = taken.to_minor()?;
                        let signed = if tender.amount_minor < 0 { -taken } else { taken };
                        sales::reduce_pending_tender_amount(tx, tender.id, signed)?;
                    }
                    let tender = sales::get_tender(tx, tender_id)?
                        .ok_or_else(|| AppError::Internal(format!("payment {tender_id} vanished")))?;
                    let unknown = matches!(outcome, PaymentOutcome::Unknown { .. });
                    self.apply_outcome(tx, &till, &tender, outcome, now)?;
                    if unknown {
                        sales::set_status(tx, tender.sale_id, SaleStatus::Unknown, &at)?;
                    }
                }
                Err(error) if error.leaves_outcome_unknown() => {
                    if tender.status == TenderStatus::Pending {
                        let outcome = PaymentOutcome::Unknown {
                            detail: error.to_string(),
                        };
                        self.apply_outcome(tx, &till, &tender, outcome, now)?;
                        sales::set_status(tx, tender.sale_id, SaleStatus::Unknown, &at)?;
                    }
                    sales::set_tender_detail(
                        tx,
                        tender.id,
                        &json!({ "unknown": error.to_string() }).to_string(),
                    )?;
                }
                Err(error) => {
                    if call == Call::Start && tender.status == TenderStatus::Pending {
                        // Refused before any money moved: the attempt is kept, cancelled.
                        self.apply_outcome(tx, &till, &tender, PaymentOutcome::Cancelled, now)?;
                        sales::set_tender_detail(
                            tx,
                            tender.id,
                            &json!({ "refused": error.to_string() }).to_string(),
                        )?;
                    }
                    refusal = Some(refused(&error));
                }
            }
            self.sale_view(tx, tender.sale_id)
        })?;
        match refusal {
            Some(error) => Err(error),
            None => Ok(view),
        }
    }

    /// Sends a credit note's pending provider refunds, each under its own reference and
    /// naming the payment it returns. Called after the refund is committed.
    pub(crate) fn start_provider_refunds(&self, refund_sale_id: i64) -> Result<(), AppError> {
        let pending = self.read(|conn| {
            Ok(sales::tenders(conn, refund_sale_id)?
                .into_iter()
                .filter(|t| t.status == TenderStatus::Pending && provider_of(t.method).is_some())
                .collect::<Vec<_>>())
        })?;
        for tender in pending {
            let original = tender.original_tender_id.ok_or_else(|| {
                AppError::Internal(format!("refund {} names no original payment", tender.reference))
            })?;
            let provider = provider_of(tender.method)
                .ok_or_else(|| AppError::Internal(format!("refund {} has no provider", tender.reference)))?;
            self.write(|tx| {
                sales::claim_pending_tenders(tx, refund_sale_id, self.instance_id())?;
                insert_steps(
                    tx,
                    tender.id,
                    provider,
                    &[NewStep {
                        step: "requested",
                        provider_ref: None,
                        amount_minor: Some(-tender.amount_minor),
                        answer: Some(json!({ "originalTenderId": original }).to_string()),
                    }],
                    &crate::timestamp(self.now()),
                )?;
                Ok(())
            })?;
            let (mut method, request) = self.method_for(&tender, provider)?;
            let answer = method.start(&request);
            let steps = method.take_steps();
            drop(method);
            match self.record(tender.id, provider, steps, answer, Call::Start) {
                // The refusal is recorded on the refund (cancelled, with the provider's
                // words): the cashier sees it there and retries or gives the money
                // another way.
                Ok(_)
                | Err(AppError::Coded {
                    code: ErrorCode::PaymentRefused,
                    ..
                }) => {}
                Err(other) => return Err(other),
            }
        }
        Ok(())
    }

    /// Reconciles every provider payment of this till whose outcome is unknown — the
    /// ones a stopped Kassa left behind among them — with the provider, under their own
    /// references. Runs when the service opens; a provider that cannot be reached leaves
    /// them unknown for the next try. Returns how many reached a final state.
    pub fn reconcile_interrupted_payments(&self) -> Result<u32, AppError> {
        let unknown = self.read(|conn| {
            let Ok(till) = self.till(conn) else {
                return Ok(Vec::new());
            };
            Ok(sales::tenders_in_status(
                conn,
                till.pos.id,
                TenderStatus::Unknown,
            )?)
        })?;
        let mut resolved = 0;
        for tender in unknown {
            let answer = match provider_of(tender.method) {
                Some(provider) => self
                    .stored_payment(&tender)
                    .and_then(|stored| self.ask_provider(&tender, provider, Call::Reconcile, stored)),
                None if tender.method == TenderMethod::CardTerminal => {
                    self.reconcile_terminal_tender(&tender)
                }
                None => continue,
            };
            match answer {
                Ok(view)
                    if view
                        .tenders
                        .iter()
                        .any(|t| t.id == tender.id && t.status != TenderStatus::Unknown) =>
                {
                    resolved += 1;
                }
                Ok(_) => {}
                Err(error) => tracing::warn!(
                    reference = %tender.reference,
                    "reconciling an interrupted payment failed; it stays unknown: {error}"
                ),
            }
        }
        Ok(resolved)
    }
}

/// What a stored tender's method is made from (see [`Kassa::stored_payment`]), read in the
/// caller's transaction.
fn stored_payment_in(conn: &kassa_store::Connection, tender: &TenderRow) -> Result<StoredPayment, AppError> {
    let sale =
        sales::get_sale(conn, tender.sale_id)?.ok_or_else(|| AppError::Internal("sale vanished".into()))?;
    let currency: Currency = sale
        .currency
        .parse()
        .map_err(|e| AppError::Internal(format!("sale {}: {e}", sale.id)))?;
    let steps = payment_steps::of_tender(conn, tender.id)?;
    let (purpose, original, refunded_by_others) = match tender.original_tender_id {
        None => (PaymentPurpose::Purchase, None, 0),
        Some(original_id) => {
            let original = sales::get_tender(conn, original_id)?
                .ok_or_else(|| AppError::Internal(format!("payment {original_id} vanished")))?;
            let original_steps = payment_steps::of_tender(conn, original.id)?;
            let refunded_by_others: i64 = sales::tenders_returning(conn, original.id)?
                .iter()
                .filter(|t| t.id != tender.id && t.status == TenderStatus::Approved)
                .map(|t| -t.amount_minor)
                .sum();
            (
                PaymentPurpose::Refund {
                    original: reference_of(&original.reference)?,
                },
                Some((original, original_steps)),
                refunded_by_others,
            )
        }
    };
    Ok(StoredPayment {
        pos_id: sale.pos_id,
        currency,
        amount: money(tender.amount_minor.abs(), currency),
        purpose,
        steps,
        original,
        refunded_by_others: money(refunded_by_others, currency),
    })
}

/// A provider call whose outcome is not known: the payment becomes unknown.
pub(crate) fn transport_error(
    method: &'static str,
    reference: &PaymentReference,
    detail: impl Into<String>,
) -> PaymentError {
    PaymentError::Transport {
        method,
        reference: reference.to_string(),
        detail: detail.into(),
    }
}

/// A provider's definite refusal: nothing moved.
pub(crate) fn rejected_error(
    method: &'static str,
    reference: &PaymentReference,
    reason: impl Into<String>,
) -> PaymentError {
    PaymentError::Rejected {
        method,
        reference: reference.to_string(),
        reason: reason.into(),
    }
}

/// A failed call that moves money: unknown when the provider may have acted on it, else
/// refused.
pub(crate) fn money_call_error<E: std::fmt::Display>(
    method: &'static str,
    reference: &PaymentReference,
    error: kassa_providers::CallError<E>,
) -> PaymentError {
    if error.outcome_unknown() {
        transport_error(method, reference, error.to_string())
    } else {
        rejected_error(method, reference, error.to_string())
    }
}

/// An unanswered refund, judged by the refunded total the provider shows against the
/// refunds Kassa already knows of (providers that do not deduplicate refunds are never
/// sent one again): nothing beyond them means this one never arrived (cancelled), exactly
/// this refund beyond them means it went through (approved). Anything else is `None`:
/// the caller leaves it unknown for the back office. The step it finds is pushed.
pub(crate) fn refund_from_refunded_total(
    refunded: rust_decimal::Decimal,
    others: Money,
    this: Money,
    provider_ref: String,
    answer: Option<String>,
    steps: &mut Vec<NewStep>,
) -> Option<PaymentOutcome> {
    let extra = refunded - others.amount();
    let (step, amount_minor, outcome) = if extra.is_zero() {
        ("refund_not_found", Some(0), PaymentOutcome::Cancelled)
    } else if extra == this.amount() {
        ("refunded", this.to_minor().ok(), PaymentOutcome::approved(None))
    } else {
        return None;
    };
    steps.push(NewStep {
        step,
        provider_ref: Some(provider_ref),
        amount_minor,
        answer,
    });
    Some(outcome)
}

/// Runs a provider call, again after its `Retry-After` while the provider answers 429:
/// a 429 is an answer to a request the provider did not handle, so calling again cannot
/// act twice. Waits are bounded by [`ProviderTimings::max_retry_after`].
pub(crate) fn retrying<T, E, F, Fut>(
    kassa: &Kassa,
    timings: &ProviderTimings,
    mut make: F,
) -> Result<T, kassa_providers::CallError<E>>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, kassa_providers::CallError<E>>>,
{
    let mut attempts = 0;
    loop {
        match kassa.block_on(make()) {
            Err(kassa_providers::CallError::Status {
                status: 429,
                retry_after,
                ..
            }) if attempts < timings.retries_after_429 => {
                attempts += 1;
                let wait = retry_after
                    .unwrap_or(Duration::from_secs(1))
                    .min(timings.max_retry_after);
                // Retry-After is the provider's protocol for "not now": waiting it out is
                // the documented way, bounded so a till never hangs on it.
                std::thread::sleep(wait);
            }
            other => return other,
        }
    }
}

pub(crate) fn insert_steps(
    tx: &Transaction<'_>,
    tender_id: i64,
    provider: Provider,
    steps: &[NewStep],
    at: &str,
) -> Result<(), AppError> {
    for step in steps {
        payment_steps::insert(
            tx,
            &PaymentStep {
                id: 0,
                tender_id,
                provider: provider.as_str().to_owned(),
                step: step.step.to_owned(),
                provider_ref: step.provider_ref.clone(),
                amount_minor: step.amount_minor,
                answer: step.answer.clone(),
                at: at.to_owned(),
            },
        )?;
    }
    Ok(())
}

/// SWiP's id of the order a payment created, from its stored steps.
fn created_order_id(steps: &[PaymentStep]) -> Option<String> {
    steps
        .iter()
        .rev()
        .find(|s| s.step == "order_created")
        .and_then(|s| s.provider_ref.clone())
}

/// One sale line as a SWiP purchase: its unit price, and what it comes to after
/// `discount_minor` off.
pub(crate) fn swip_purchase(
    line: &sales::LineRow,
    discount_minor: i64,
    total_minor: i64,
    currency: Currency,
) -> Result<swip::Purchase, AppError> {
    let quantity: rust_decimal::Decimal = line
        .quantity
        .parse()
        .map_err(|e| AppError::Internal(format!("line {}: quantity {:?}: {e}", line.id, line.quantity)))?;
    let unit = match line.unit {
        kassa_core::org::SaleUnit::Each => swip::Unit::Pieces,
        kassa_core::org::SaleUnit::Kg => swip::Unit::Kilograms,
    };
    let mut purchase = swip::Purchase::new(
        line.name.clone(),
        quantity,
        unit,
        money(line.unit_price_minor, currency),
    );
    purchase.amount = Some(money(total_minor, currency).amount());
    if discount_minor != 0 {
        purchase.discount = Some(money(discount_minor, currency).amount());
    }
    Ok(purchase)
}

/// The create-order body for a SWiP tender: the sale's lines when SWiP pays all of it,
/// else one purchase for the part SWiP pays (the rest is paid another way).
fn swip_order(
    client: &swip::Client,
    reference: &str,
    cashier: &str,
    sale: &sales::SaleRow,
    lines: &[sales::LineRow],
    amount: Money,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<swip::CreateOrderRequest, AppError> {
    let currency = amount.currency();
    let whole = amount.to_minor()? == sale.total_minor + sale.rounding_minor && sale.rounding_minor == 0;
    let purchases: Vec<swip::Purchase> = if whole {
        lines
            .iter()
            .map(|line| swip_purchase(line, line.discount_minor, line.total_minor, currency))
            .collect::<Result<_, AppError>>()?
    } else {
        vec![swip::Purchase::new(
            format!("Part payment of sale {}", sale.id),
            rust_decimal::Decimal::ONE,
            swip::Unit::Pieces,
            amount,
        )]
    };
    let original = if whole {
        money(sale.total_minor + sale.discount_minor, currency)
    } else {
        amount
    };
    Ok(client.order_request(
        reference,
        cashier,
        now.timestamp_millis(),
        amount,
        original,
        purchases,
    ))
}
