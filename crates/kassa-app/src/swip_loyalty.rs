//! SWiP loyalty at the till: the merchant's anonymous loyalty programs (seeds/003
//! "Calculate Anonymous discount", `POST /loyalty-calculations`) take a discount off the
//! basket before it is paid, whatever the customer then pays with.
//!
//! The rules, and the readings of the document they rest on:
//! - The discount that applies is the calculation's final `discount` (after SWiP's
//!   rounding), never `discountOriginal`. It is spread over the lines after the cashier's
//!   line and order discounts by the order discount's largest-remainder rule
//!   ([`kassa_core::price_cart_with_loyalty`]), so VAT per rate, refunds and reports see
//!   what each line really cost.
//! - It is SWiP's discount, not the cashier's: the store's discount limit does not count
//!   it, and the receipt, the journal and the Z report name it apart.
//! - It is calculated for the basket as it is, before any payment: a sale with a payment
//!   under way or taken is refused, and any later change to the basket removes it
//!   ([`Kassa::reprice`]); the cashier asks again.
//! - The calculation moves no money, so a lost answer is simply asked again; nothing is
//!   written until SWiP's answer is read and checked. Each calculation names a new
//!   `merchantOrderId` (the document's "Unique order ID"), unrelated to any SWiP order a
//!   later SWiP tender creates.
//! - The answer must agree with itself and with the request: `totalBeforeCalc` is the
//!   total sent, `total` is that less `discount`, and the discount is whole minor units of
//!   the till's currency no larger than the basket. Anything else changes nothing.

use serde::{Deserialize, Serialize};
use serde_json::json;

use kassa_core::org::{Provider, SaleKind, SaleStatus, TenderStatus};
use kassa_core::{Currency, Money};
use kassa_providers::CallError;
use kassa_providers::swip::{LoyaltyCalculation, LoyaltyCalculationRequest, SwipError};
use kassa_store::sales::{self, SaleRow};

use crate::error::ErrorCode;
use crate::sales::{SELL, SaleView, money};
use crate::{Actor, AppError, Kassa};

/// A loyalty discount as the till shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct LoyaltyDiscountView {
    pub provider: Provider,
    /// The programs as the provider describes them, joined ("Discount for all customers").
    pub program: String,
    /// The amount off, positive.
    pub amount: String,
}

/// What `sales.loyalty_detail` holds (migration 0010).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct LoyaltyDetail {
    provider: Provider,
    /// The `merchantOrderId` the calculation was asked under.
    merchant_order_id: String,
    /// The sale's total before the discount, which the calculation was made for.
    basis: String,
    /// SWiP's `discountOriginal`, kept for the record; `discount` is what applies.
    discount_original: String,
    discount: String,
    programs: Vec<LoyaltyProgram>,
    calculated_at: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct LoyaltyProgram {
    program_id: i64,
    description: Option<String>,
    discount: String,
}

/// The loyalty discount stored on `sale`, for its view.
pub(crate) fn loyalty_view(
    sale: &SaleRow,
    currency: Currency,
) -> Result<Option<LoyaltyDiscountView>, AppError> {
    let Some(raw) = &sale.loyalty_detail else {
        return Ok(None);
    };
    let detail: LoyaltyDetail = serde_json::from_str(raw).map_err(|e| {
        AppError::Internal(format!(
            "sale {} has an unreadable loyalty discount: {e}",
            sale.id
        ))
    })?;
    Ok(Some(LoyaltyDiscountView {
        provider: detail.provider,
        program: program_text(&detail.programs),
        amount: money(sale.loyalty_discount_minor, currency).amount_string(),
    }))
}

fn program_text(programs: &[LoyaltyProgram]) -> String {
    let names: Vec<String> = programs
        .iter()
        .map(|p| match p.description.as_deref().map(str::trim) {
            Some(text) if !text.is_empty() => text.to_owned(),
            _ => format!("program {}", p.program_id),
        })
        .collect();
    names.join(", ")
}

/// What the calculation is asked for, read from the sale before the call.
struct Basis {
    pos_id: i64,
    currency: Currency,
    /// The sale's `updated_at` when read: the answer is stored only on the same basket.
    updated_at: String,
    total: Money,
    request: LoyaltyCalculationRequest,
}

fn calculation_failed(error: &CallError<SwipError>) -> AppError {
    let code = match error {
        CallError::Api(SwipError::AuthenticationFailed { .. } | SwipError::AccessDenied { .. }) => {
            ErrorCode::ProviderCredentialsRejected
        }
        _ => ErrorCode::ProviderFailed,
    };
    AppError::coded(
        code,
        None,
        format!(
            "SWiP could not calculate a loyalty discount: {error}. The sale is unchanged; try again, \
             or sell without the SWiP discount"
        ),
    )
}

fn contradiction(detail: String) -> AppError {
    AppError::coded(
        ErrorCode::ProviderFailed,
        None,
        format!(
            "SWiP's loyalty calculation cannot be used: {detail}. The sale is unchanged; try again, or sell \
             without the SWiP discount"
        ),
    )
}

impl Kassa {
    /// Asks SWiP's loyalty programs for a discount on the open sale and applies it (or
    /// removes a stale one when SWiP now gives none). Only before any payment: the
    /// discount changes what is due.
    pub fn apply_swip_loyalty(&self, actor: &Actor, sale_id: i64) -> Result<SaleView, AppError> {
        let basis = self.read(|conn| {
            let user = self.authorize(conn, actor, SELL, "sell")?;
            let till = self.till(conn)?;
            let sale = self.loyalty_sale(conn, &till, sale_id)?;
            self.refuse_unless_owner(conn, &sale, &user)?;
            self.loyalty_basis(conn, &sale, till.pos.id, till.currency)
        })?;
        let client = self.swip_client(basis.pos_id, basis.currency)?;
        let timings = self.provider_timings();
        let calculation =
            crate::provider_payments::retrying(self, &timings, || client.loyalty_calculation(&basis.request))
                .map_err(|e| calculation_failed(&e))?;
        let discount = checked_discount(&calculation, &basis)?;

        let audit = self.audit(Some(actor));
        self.write(|tx| {
            let user = self.authorize(tx, actor, SELL, "sell")?;
            let till = self.till(tx)?;
            let sale = self.loyalty_sale(tx, &till, sale_id)?;
            self.refuse_unless_owner(tx, &sale, &user)?;
            // The same checks as before the call, on the sale as it is in this transaction.
            let now = self.loyalty_basis(tx, &sale, till.pos.id, till.currency)?;
            if sale.updated_at != basis.updated_at
                || now.total != basis.total
                || now.request.purchases != basis.request.purchases
            {
                return Err(AppError::Conflict(format!(
                    "sale {sale_id} changed while SWiP calculated its loyalty discount; ask for the discount again"
                )));
            }
            let before = loyalty_view(&sale, till.currency)?;
            let detail = (!discount.is_zero())
                .then(|| {
                    let result = &calculation.discount_calc_result;
                    serde_json::to_string(&LoyaltyDetail {
                        provider: Provider::Swip,
                        merchant_order_id: basis.request.merchant_order_id.clone(),
                        basis: basis.total.amount_string(),
                        discount_original: result.discount_original.to_string(),
                        discount: result.discount.to_string(),
                        programs: result
                            .lines
                            .iter()
                            .map(|line| LoyaltyProgram {
                                program_id: line.program_id,
                                description: line.description.clone(),
                                discount: line.discount.to_string(),
                            })
                            .collect(),
                        calculated_at: audit.at.clone(),
                    })
                })
                .transpose()
                .map_err(|e| AppError::Internal(format!("could not encode the loyalty discount: {e}")))?;
            self.store_with_loyalty(tx, &sale, &till, discount.to_minor()?, detail, None, &audit)?;
            audit.record(
                tx,
                "sale",
                sale.id,
                "apply_loyalty_discount",
                before.as_ref().map(|v| json!(v)).as_ref(),
                Some(&json!({
                    "provider": "swip",
                    "merchantOrderId": basis.request.merchant_order_id,
                    "basis": basis.total.amount_string(),
                    "discount": discount.amount_string(),
                    "discountOriginal": calculation.discount_calc_result.discount_original.to_string(),
                })),
            )?;
            tracing::info!(sale = sale.id, discount = %discount, "SWiP loyalty discount applied");
            self.sale_view(tx, sale.id)
        })
    }

    /// Adds the personal discount SWiP's app gave the customer on `tender`'s order (its
    /// `total` below what the till asked, all of it paid) to the sale's loyalty discount,
    /// in the transaction that records the payment, and re-prices the sale with it.
    pub(crate) fn apply_app_loyalty(
        &self,
        tx: &kassa_store::Connection,
        till: &crate::sales::Till,
        tender: &kassa_store::sales::TenderRow,
        discount_minor: i64,
    ) -> Result<(), AppError> {
        let audit = self.audit(None);
        let sale = sales::get_sale(tx, tender.sale_id)?
            .ok_or_else(|| AppError::Internal(format!("sale {} vanished", tender.sale_id)))?;
        if sale.kind != SaleKind::Sale || discount_minor <= 0 {
            return Ok(());
        }
        let before = loyalty_view(&sale, till.currency)?;
        let mut detail = match &sale.loyalty_detail {
            Some(raw) => serde_json::from_str::<LoyaltyDetail>(raw).map_err(|e| {
                AppError::Internal(format!(
                    "sale {} has an unreadable loyalty discount: {e}",
                    sale.id
                ))
            })?,
            None => LoyaltyDetail {
                provider: Provider::Swip,
                merchant_order_id: tender.reference.clone(),
                basis: money(sale.total_minor, till.currency).amount_string(),
                discount_original: String::new(),
                discount: String::new(),
                programs: Vec::new(),
                calculated_at: audit.at.clone(),
            },
        };
        let discount = money(discount_minor, till.currency);
        detail.programs.push(LoyaltyProgram {
            program_id: 0,
            description: Some("Personal discount in the SWiP app".to_owned()),
            discount: discount.amount_string(),
        });
        let total = sale.loyalty_discount_minor + discount_minor;
        detail.discount = money(total, till.currency).amount_string();
        if detail.discount_original.is_empty() {
            detail.discount_original = detail.discount.clone();
        }
        let json = serde_json::to_string(&detail)
            .map_err(|e| AppError::Internal(format!("could not encode the loyalty discount: {e}")))?;
        self.store_with_loyalty(tx, &sale, till, total, Some(json), None, &audit)?;
        audit.record(
            tx,
            "sale",
            sale.id,
            "apply_loyalty_discount",
            before.as_ref().map(|v| json!(v)).as_ref(),
            Some(&json!({
                "provider": "swip",
                "source": "app",
                "merchantOrderId": tender.reference,
                "discount": discount.amount_string(),
            })),
        )?;
        tracing::info!(sale = sale.id, discount = %discount, "SWiP's app gave a personal discount");
        Ok(())
    }

    /// Stores `sale`'s loyalty discount as `minor` with its `detail` (0 and `None` clear
    /// it) and re-prices the sale with it.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn store_with_loyalty(
        &self,
        conn: &kassa_store::Connection,
        sale: &SaleRow,
        till: &crate::sales::Till,
        minor: i64,
        detail: Option<String>,
        approver: Option<i64>,
        audit: &crate::Audit<'_>,
    ) -> Result<(), AppError> {
        sales::set_loyalty_discount(conn, sale.id, minor, detail.as_deref(), &audit.at)?;
        let mut updated = sale.clone();
        updated.loyalty_discount_minor = minor;
        updated.loyalty_detail = detail;
        self.store_prices(conn, &updated, till, approver, audit)
    }

    /// Removes the loyalty discount from the open sale (the customer does not want it, or
    /// it is to be calculated again later).
    pub fn remove_loyalty_discount(&self, actor: &Actor, sale_id: i64) -> Result<SaleView, AppError> {
        let audit = self.audit(Some(actor));
        self.write(|tx| {
            let user = self.authorize(tx, actor, SELL, "sell")?;
            let till = self.till(tx)?;
            let sale = self.loyalty_sale(tx, &till, sale_id)?;
            self.refuse_unless_owner(tx, &sale, &user)?;
            if sale.loyalty_detail.is_none() && sale.loyalty_discount_minor == 0 {
                return self.sale_view(tx, sale.id);
            }
            // Re-pricing without it is exactly what a change to the basket does.
            self.reprice(tx, &sale, &till, None, &audit)?;
            self.sale_view(tx, sale.id)
        })
    }

    /// The open sale a loyalty discount is for. A sale being paid is named for what it is:
    /// the discount comes before payment.
    fn loyalty_sale(
        &self,
        conn: &kassa_store::Connection,
        till: &crate::sales::Till,
        sale_id: i64,
    ) -> Result<SaleRow, AppError> {
        let sale = self.sale_for_update(
            conn,
            till,
            sale_id,
            &[SaleStatus::Open, SaleStatus::Paying, SaleStatus::Unknown],
        )?;
        refuse_after_payment(conn, &sale)?;
        self.cart_for_update(conn, till, sale_id)
    }

    /// Checks that the sale can take a loyalty discount and builds the calculation's
    /// request from it, priced without any loyalty discount it has now.
    fn loyalty_basis(
        &self,
        conn: &kassa_store::Connection,
        sale: &SaleRow,
        pos_id: i64,
        currency: Currency,
    ) -> Result<Basis, AppError> {
        if sale.kind != SaleKind::Sale {
            return Err(AppError::Conflict("a refund takes no loyalty discount".into()));
        }
        refuse_after_payment(conn, sale)?;
        let lines = sales::lines(conn, sale.id)?;
        if lines.is_empty() {
            return Err(AppError::Conflict(
                "the sale has no items yet; add them before asking SWiP for a loyalty discount".into(),
            ));
        }
        let mut without = sale.clone();
        without.loyalty_discount_minor = 0;
        without.loyalty_detail = None;
        let pricing = crate::sales::price(&without, &lines, currency)?;
        if !pricing.total.is_positive() {
            return Err(AppError::Conflict(
                "the sale comes to nothing; there is nothing for a loyalty discount to take off".into(),
            ));
        }
        let purchases = lines
            .iter()
            .zip(&pricing.lines)
            .map(|(line, (discount, total))| {
                crate::provider_payments::swip_purchase(
                    line,
                    discount.to_minor()?,
                    total.to_minor()?,
                    currency,
                )
            })
            .collect::<Result<Vec<_>, AppError>>()?;
        let merchant_order_id = format!(
            "KL-{}-{}-{}",
            sale.pos_id,
            sale.id,
            &crate::vourity_payments::new_session_id()?[..12]
        );
        Ok(Basis {
            pos_id,
            currency,
            updated_at: sale.updated_at.clone(),
            total: pricing.total,
            request: LoyaltyCalculationRequest {
                merchant_order_id,
                purchases,
                total: pricing.total.amount(),
            },
        })
    }
}

/// A loyalty discount changes what is due, so it comes before any payment is under way
/// or taken (declined and cancelled attempts took nothing).
fn refuse_after_payment(conn: &kassa_store::Connection, sale: &SaleRow) -> Result<(), AppError> {
    let tenders = sales::tenders(conn, sale.id)?;
    if tenders.iter().any(|t| {
        matches!(
            t.status,
            TenderStatus::Approved | TenderStatus::Pending | TenderStatus::Unknown
        )
    }) {
        return Err(AppError::Conflict(format!(
            "sale {} already has a payment; a loyalty discount is calculated before anything is paid",
            sale.id
        )));
    }
    Ok(())
}

/// The discount SWiP's answer gives, once it agrees with itself and with the request.
fn checked_discount(calculation: &LoyaltyCalculation, basis: &Basis) -> Result<Money, AppError> {
    let currency = basis.currency;
    let result = &calculation.discount_calc_result;
    let discount = Money::new(result.discount, currency);
    if !discount.is_minor_exact() {
        return Err(contradiction(format!(
            "its discount {} has more decimals than {currency} has",
            result.discount
        )));
    }
    if calculation.total_before_calc != basis.total.amount() {
        return Err(contradiction(format!(
            "it was calculated for a total of {} where the sale comes to {}",
            calculation.total_before_calc,
            basis.total.amount_string()
        )));
    }
    if discount.is_negative() || result.discount > basis.total.amount() {
        return Err(contradiction(format!(
            "its discount {} is not between 0 and the sale's {}",
            result.discount,
            basis.total.amount_string()
        )));
    }
    if calculation.total != calculation.total_before_calc - result.discount {
        return Err(contradiction(format!(
            "its total {} is not {} less the discount {}",
            calculation.total, calculation.total_before_calc, result.discount
        )));
    }
    Ok(money(discount.to_minor()?, currency))
}
