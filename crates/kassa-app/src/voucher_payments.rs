//! Venue Manager at the till: voucher codes as a tender and loyalty barcodes.
//!
//! The readings of seeds/001 this rests on:
//! - The till acts as one of the shop's guest customers (`POST /customer/guestToken`):
//!   the voucher and loyalty endpoints take a customer's bearer token, and a till has no
//!   customer of its own. The token is kept in memory only, made again when the shop
//!   answers 401.
//! - A voucher is worth its `creationPrice.amount` ("price, including VAT") in the
//!   price's currency, and it is redeemed whole (`POST /voucher/code/redeem` has no
//!   amount): all or nothing. When it is worth more than what is due, the rest is lost,
//!   and the cashier must say so is accepted before anything is redeemed; no change is
//!   given for a voucher.
//! - A voucher's part of a refund is paid back in cash: Venue Manager has no call that
//!   un-redeems a code (see `corrections.rs`).
//! - A redemption whose answer was lost cannot be told apart from someone else's later
//!   one: a code that still reads valid was not redeemed (the payment is cancelled); a
//!   code that reads used stays unknown with what a manager checks, who then settles it
//!   by hand (`resolve_unknown_payment`). It is never redeemed again automatically.
//! - Venue Manager has no customer search and no "paid at the till" order transaction;
//!   neither is invented here.

use serde::Serialize;
use serde_json::json;

use kassa_core::Money;
use kassa_core::org::{Provider, TenderMethod};
use kassa_core::payment::{
    PaymentError, PaymentMethod, PaymentOperation, PaymentOutcome, PaymentPurpose, PaymentReference,
    PaymentRequest,
};
use kassa_providers::venue_manager::wire::VoucherCode;
use kassa_providers::venue_manager::{self as vm, VenueManagerError};
use kassa_providers::{CallError, Secret};

use crate::error::ErrorCode;
use crate::provider_payments::{NewStep, ProviderMethod, StoredPayment, cached, insert_steps};
use crate::sales::{SELL, SaleView, money};
use crate::{Actor, AppError, Kassa};

const METHOD: &str = "Venue Manager voucher";

/// A voucher code as the till shows it before it is redeemed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct VoucherView {
    pub code: String,
    /// Whether Venue Manager says it can be used.
    pub valid: bool,
    /// Venue Manager's reason when it cannot.
    pub message: Option<String>,
    /// What it is worth, in the till's format.
    pub value: Option<String>,
    pub currency: Option<String>,
    /// What it pays of the sale.
    pub covers: Option<String>,
    /// What is lost when it is worth more than what is due (no change for a voucher).
    pub forfeited: Option<String>,
}

/// A scanned loyalty barcode, registered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct LoyaltyUsage {
    pub code: String,
    /// The points Venue Manager gave for it.
    pub points: String,
}

/// A voucher redemption, with what its `requested` step stored.
pub(crate) struct VoucherPayment<'k> {
    pub kassa: &'k Kassa,
    pub client: vm::Client,
    pub amount: Money,
    /// The code's text and Venue Manager's id for it.
    pub code: Option<(String, u64)>,
    pub steps: Vec<NewStep>,
}

fn rejected(reference: &PaymentReference, reason: impl Into<String>) -> PaymentError {
    crate::provider_payments::rejected_error(METHOD, reference, reason)
}

fn provider_failed(what: &str, error: impl std::fmt::Display) -> AppError {
    AppError::coded(
        ErrorCode::ProviderFailed,
        None,
        format!("Venue Manager did not answer {what}: {error}; try again"),
    )
}

impl Kassa {
    fn venue_manager_client(&self, pos_id: i64) -> Result<vm::Client, AppError> {
        let settings = self.provider_settings(pos_id, Provider::VenueManager)?;
        cached(
            &self.provider_clients.venue_manager,
            settings,
            vm::Client::from_settings,
        )
        .map_err(|e| {
            AppError::coded(
                ErrorCode::ProviderFailed,
                None,
                format!("Venue Manager is not set up correctly for this POS: {e}"),
            )
        })
    }

    /// The shop's guest token for `client`, made when there is none (or `fresh`).
    fn guest_token(&self, client: &vm::Client, fresh: bool) -> Result<Secret, CallError<VenueManagerError>> {
        let base = client.base_url().to_string();
        let mut slot = self
            .provider_clients
            .guest_token
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if !fresh
            && let Some((from, token)) = slot.as_ref()
            && *from == base
        {
            return Ok(token.clone());
        }
        let grant = self.block_on(client.create_guest_token())?;
        *slot = Some((base, grant.token.clone()));
        Ok(grant.token)
    }

    /// Runs a customer call as the till's guest, once more with a new token when the
    /// shop says the token is no longer valid (401: the call was not handled).
    fn as_guest<T, F, Fut>(&self, client: &vm::Client, mut call: F) -> Result<T, CallError<VenueManagerError>>
    where
        F: FnMut(Secret) -> Fut,
        Fut: std::future::Future<Output = Result<T, CallError<VenueManagerError>>>,
    {
        let token = self.guest_token(client, false)?;
        match self.block_on(call(token)) {
            Err(CallError::Api(VenueManagerError::NotLoggedIn { .. }))
            | Err(CallError::Status { status: 401, .. }) => {
                let token = self.guest_token(client, true)?;
                self.block_on(call(token))
            }
            other => other,
        }
    }

    fn voucher_answer_error(code: &str, error: CallError<VenueManagerError>) -> AppError {
        match error {
            CallError::Api(VenueManagerError::UnknownVoucherCode { .. }) => AppError::coded(
                ErrorCode::NotFound,
                Some("voucher"),
                format!("Venue Manager knows no voucher code {code:?}; check the code and scan it again"),
            ),
            // The answer itself is unusable (another currency than the shop's, another
            // code): asking again would not change it.
            CallError::Contradiction(why) => AppError::coded(
                ErrorCode::PaymentRefused,
                Some("voucher"),
                format!("voucher code {code:?} cannot pay here: {why}"),
            ),
            other => provider_failed(&format!("for voucher code {code:?}"), other),
        }
    }

    /// Looks a voucher code up for the sale, without redeeming it: whether it can be used,
    /// what it is worth, what it pays and what would be lost.
    pub fn look_up_voucher(&self, actor: &Actor, sale_id: i64, code: &str) -> Result<VoucherView, AppError> {
        self.voucher_for_sale(actor, sale_id, code)
            .map(|(_, _, view)| view)
    }

    fn voucher_for_sale(
        &self,
        actor: &Actor,
        sale_id: i64,
        code: &str,
    ) -> Result<(vm::Client, VoucherCode, VoucherView), AppError> {
        let code = code.trim();
        if code.is_empty() {
            return Err(AppError::validation("voucher", "scan or type the voucher code"));
        }
        let (pos_id, currency, remaining) = self.read(|conn| {
            self.authorize(conn, actor, SELL, "take payments")?;
            let till = self.till(conn)?;
            let sale = kassa_store::sales::get_sale(conn, sale_id)?
                .filter(|s| s.pos_id == till.pos.id)
                .ok_or_else(|| AppError::NotFound(format!("sale {sale_id} is not on this till")))?;
            let paid = crate::payments::paid_minor(&kassa_store::sales::tenders(conn, sale.id)?);
            let remaining = money(sale.total_minor + sale.rounding_minor - paid, till.currency);
            Ok((till.pos.id, till.currency, remaining))
        })?;
        let client = self.venue_manager_client(pos_id)?;
        if client.currency() != currency {
            return Err(AppError::coded(
                ErrorCode::CurrencyMismatch,
                Some("voucher"),
                format!(
                    "the Venue Manager shop of this POS sells in {}, the till in {currency}; a manager corrects \
                     the Venue Manager settings",
                    client.currency()
                ),
            ));
        }
        let voucher = self
            .as_guest(&client, |token| {
                let client = client.clone();
                let code = code.to_owned();
                async move { client.voucher_code(&token, &code).await }
            })
            .map_err(|e| Self::voucher_answer_error(code, e))?;
        let view = voucher_view(&voucher, currency, remaining)?;
        Ok((client, voucher, view))
    }

    /// Pays what is due, or part of it, with a voucher code: looks it up, records the
    /// tender, then redeems the code whole. A voucher worth more than what is due is
    /// refused unless `accept_forfeit` says the cashier told the customer the rest is lost.
    pub fn pay_with_voucher(
        &self,
        actor: &Actor,
        sale_id: i64,
        code: &str,
        accept_forfeit: bool,
    ) -> Result<SaleView, AppError> {
        self.mark_interrupted_payments()?;
        let (client, lookup, view) = self.voucher_for_sale(actor, sale_id, code)?;
        let code = view.code.clone();
        if !view.valid {
            return Err(AppError::coded(
                ErrorCode::PaymentRefused,
                Some("voucher"),
                format!(
                    "voucher code {code:?} cannot be used: {}",
                    view.message
                        .as_deref()
                        .unwrap_or("Venue Manager says it is not valid")
                ),
            ));
        }
        let (Some(covers), Some(value)) = (view.covers.clone(), view.value.clone()) else {
            return Err(AppError::coded(
                ErrorCode::PaymentRefused,
                Some("voucher"),
                format!(
                    "Venue Manager gives voucher code {code:?} no value (no creationPrice); it cannot pay"
                ),
            ));
        };
        if let Some(lost) = &view.forfeited
            && !accept_forfeit
        {
            return Err(AppError::validation(
                "voucher",
                format!(
                    "voucher code {code:?} is worth {value} but only {covers} is due: it is redeemed whole and \
                     {lost} is lost (no change is given for a voucher). Tell the customer, then confirm to redeem it"
                ),
            ));
        }
        let (opened, ()) = self.open_provider_tender(
            actor,
            sale_id,
            Some(&covers),
            TenderMethod::Voucher,
            Some(lookup.id.to_string()),
            |tx, opened| {
                // What reconciling needs, with the tender: the code's text (to read it
                // back) and what Venue Manager said it is worth.
                insert_steps(
                    tx,
                    opened.tender_id,
                    Provider::VenueManager,
                    &[NewStep {
                        step: "looked_up",
                        provider_ref: Some(lookup.id.to_string()),
                        amount_minor: None,
                        answer: Some(json!({ "code": code, "id": lookup.id, "value": value }).to_string()),
                    }],
                    &crate::timestamp(self.now()),
                )
            },
        )?;
        let request = PaymentRequest {
            reference: PaymentReference::new(&opened.reference)
                .map_err(|e| AppError::Internal(format!("payment reference: {e}")))?,
            amount: opened.amount,
            purpose: PaymentPurpose::Purchase,
        };
        let mut method = VoucherPayment {
            kassa: self,
            client,
            amount: opened.amount,
            code: Some((code, lookup.id)),
            steps: Vec::new(),
        };
        let answer = method.start(&request);
        let steps = method.take_steps();
        self.record_provider(opened.tender_id, Provider::VenueManager, steps, answer)
    }

    /// A voucher method for a stored tender, with the code its `looked_up` step stored.
    pub(crate) fn voucher_method(&self, stored: StoredPayment) -> Result<VoucherPayment<'_>, AppError> {
        let code = stored
            .steps
            .iter()
            .find(|s| s.step == "looked_up")
            .and_then(|s| serde_json::from_str::<serde_json::Value>(s.answer.as_deref()?).ok())
            .and_then(|v| Some((v.get("code")?.as_str()?.to_owned(), v.get("id")?.as_u64()?)));
        Ok(VoucherPayment {
            kassa: self,
            client: self.venue_manager_client(stored.pos_id)?,
            amount: stored.amount,
            code,
            steps: Vec::new(),
        })
    }

    /// Registers a scanned loyalty barcode with Venue Manager; answers the points given.
    /// Its documented refusals (no longer valid, already used, unknown) are the
    /// cashier's messages.
    pub fn register_loyalty_barcode(&self, actor: &Actor, code: &str) -> Result<LoyaltyUsage, AppError> {
        let code = code.trim();
        if code.is_empty() {
            return Err(AppError::validation(
                "barcode",
                "scan or type the loyalty barcode",
            ));
        }
        let pos_id = self.read(|conn| {
            self.authorize(conn, actor, SELL, "register loyalty barcodes")?;
            Ok(self.till(conn)?.pos.id)
        })?;
        let client = self.venue_manager_client(pos_id)?;
        let answer = self.as_guest(&client, |token| {
            let client = client.clone();
            let code = code.to_owned();
            async move { client.register_loyalty_usage(&token, &code).await }
        });
        match answer {
            Ok(points) => {
                tracing::info!(points = %points.points, "a loyalty barcode was registered");
                Ok(LoyaltyUsage {
                    code: code.to_owned(),
                    points: points.points.normalize().to_string(),
                })
            }
            Err(CallError::Api(VenueManagerError::LoyaltyBarcodeExpired { .. })) => Err(AppError::coded(
                ErrorCode::PaymentRefused,
                Some("barcode"),
                format!(
                    "loyalty barcode {code:?} is no longer valid; the customer asks the shop for a new one"
                ),
            )),
            Err(CallError::Api(VenueManagerError::LoyaltyBarcodeUsed { .. })) => Err(AppError::coded(
                ErrorCode::PaymentRefused,
                Some("barcode"),
                format!("loyalty barcode {code:?} has already been used; each barcode counts once"),
            )),
            Err(CallError::Api(VenueManagerError::UnknownLoyaltyBarcode { .. })) => Err(AppError::coded(
                ErrorCode::NotFound,
                Some("barcode"),
                format!("Venue Manager knows no loyalty barcode {code:?}; check it and scan it again"),
            )),
            Err(other) => Err(provider_failed(&format!("for loyalty barcode {code:?}"), other)),
        }
    }
}

fn voucher_view(
    voucher: &VoucherCode,
    currency: kassa_core::Currency,
    remaining: Money,
) -> Result<VoucherView, AppError> {
    let value = match &voucher.creation_price {
        Some(price) => {
            let price_currency: kassa_core::Currency = price.currency_code.parse().map_err(|_| {
                AppError::coded(
                    ErrorCode::CurrencyMismatch,
                    Some("voucher"),
                    format!(
                        "voucher code {:?} is in {:?}, a currency Kassa does not take",
                        voucher.code, price.currency_code
                    ),
                )
            })?;
            if price_currency != currency {
                return Err(AppError::coded(
                    ErrorCode::CurrencyMismatch,
                    Some("voucher"),
                    format!(
                        "voucher code {:?} is worth {} {price_currency}; this till takes {currency}, so it cannot pay here",
                        voucher.code, price.amount
                    ),
                ));
            }
            Some(Money::new(price.amount, currency))
        }
        None => None,
    };
    let covers = value.map(|v| {
        if v.amount() > remaining.amount() {
            remaining
        } else {
            v
        }
    });
    let forfeited = match (value, covers) {
        (Some(v), Some(c)) if v.amount() > c.amount() => {
            Some(money(v.to_minor()? - c.to_minor()?, currency).amount_string())
        }
        _ => None,
    };
    Ok(VoucherView {
        code: voucher.code.clone(),
        valid: voucher.is_valid,
        message: voucher.message.clone(),
        value: value.map(|v| v.amount_string()),
        currency: value.map(|v| v.currency().to_string()),
        covers: covers.map(|c| c.amount_string()),
        forfeited,
    })
}

impl VoucherPayment<'_> {
    fn code(&self, reference: &PaymentReference) -> Result<(String, u64), PaymentError> {
        self.code
            .clone()
            .ok_or_else(|| rejected(reference, "the voucher code of this payment is not stored"))
    }
}

impl PaymentMethod for VoucherPayment<'_> {
    fn start(&mut self, request: &PaymentRequest) -> Result<PaymentOutcome, PaymentError> {
        request.check()?;
        if !matches!(request.purpose, PaymentPurpose::Purchase) {
            return Err(PaymentError::Unsupported {
                method: METHOD,
                operation: PaymentOperation::Refund,
            });
        }
        let reference = &request.reference;
        let (code, id) = self.code(reference)?;
        let client = self.client.clone();
        let answer = self.kassa.as_guest(&self.client, |token| {
            let client = client.clone();
            async move { client.redeem_voucher_code(&token, id).await }
        });
        match answer {
            Ok(()) => {
                self.steps.push(NewStep {
                    step: "redeemed",
                    provider_ref: Some(id.to_string()),
                    amount_minor: self.amount.to_minor().ok(),
                    answer: None,
                });
                Ok(PaymentOutcome::approved(Some(format!("voucher {code}"))))
            }
            Err(CallError::Api(VenueManagerError::VoucherAlreadyRedeemed { .. })) => Err(rejected(
                reference,
                format!("voucher code {code:?} has already been redeemed; it cannot pay again"),
            )),
            Err(CallError::Api(VenueManagerError::UnknownVoucherCode { .. })) => Err(rejected(
                reference,
                format!("Venue Manager no longer knows voucher code {code:?}"),
            )),
            Err(error) if error.outcome_unknown() => Err(crate::provider_payments::transport_error(
                METHOD,
                reference,
                format!("redeeming voucher code {code:?}: {error}"),
            )),
            Err(error) => Err(rejected(
                reference,
                format!("redeeming voucher code {code:?}: {error}"),
            )),
        }
    }

    fn poll(&mut self, _reference: &PaymentReference) -> Result<PaymentOutcome, PaymentError> {
        // A redemption is answered at once; there is nothing to poll.
        Ok(PaymentOutcome::pending())
    }

    fn cancel(&mut self, _reference: &PaymentReference) -> Result<PaymentOutcome, PaymentError> {
        Err(PaymentError::Unsupported {
            method: METHOD,
            operation: PaymentOperation::Cancel,
        })
    }

    fn reconcile(&mut self, reference: &PaymentReference) -> Result<PaymentOutcome, PaymentError> {
        let Ok((code, id)) = self.code(reference) else {
            return Ok(PaymentOutcome::Unknown {
                detail: "the voucher code of this payment is not stored; a manager checks Venue Manager"
                    .into(),
            });
        };
        let client = self.client.clone();
        let lookup = self.kassa.as_guest(&self.client, |token| {
            let client = client.clone();
            let code = code.clone();
            async move { client.voucher_code(&token, &code).await }
        });
        match lookup {
            Ok(voucher) if voucher.is_valid => {
                // Still usable: the redemption never arrived.
                self.steps.push(NewStep {
                    step: "not_redeemed",
                    provider_ref: Some(id.to_string()),
                    amount_minor: Some(0),
                    answer: None,
                });
                Ok(PaymentOutcome::Cancelled)
            }
            Ok(voucher) => Ok(PaymentOutcome::Unknown {
                detail: format!(
                    "Venue Manager shows voucher code {code:?} as used ({}), and cannot tell whether this payment \
                     or a later one redeemed it. A manager checks in Venue Manager when and where code {code} was \
                     redeemed, then marks this payment approved (the voucher paid here) or declined",
                    voucher.message.unwrap_or_else(|| "no reason given".into())
                ),
            }),
            Err(error) => Ok(PaymentOutcome::Unknown {
                detail: format!("reading voucher code {code:?}: {error}"),
            }),
        }
    }
}

impl ProviderMethod for VoucherPayment<'_> {
    fn take_steps(&mut self) -> Vec<NewStep> {
        std::mem::take(&mut self.steps)
    }
}
