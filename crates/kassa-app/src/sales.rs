//! Ringing up a sale: the cart of an open sale on this installation's till, with prices
//! always taken from the catalog in the backend. Paying and completing are in
//! `payments.rs`; refunds and voids in `corrections.rs`.

use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use kassa_core::barcode::{Barcode, MeasureKind, VariableMeasureConfig};
use kassa_core::cart::{CartLine, Discount, PricedCart, price_cart_with_loyalty};
use kassa_core::org::{PosStatus, Role, SaleKind, SaleStatus, SaleUnit, TenderStatus};
use kassa_core::{Currency, Decimal, Money, VatBreakdown, VatRate};
use kassa_store::pos_devices::PosDevice;
use kassa_store::sales::{self, LineRow, NewSale, SaleRow, SaleTotals};
use kassa_store::stores::Store;
use kassa_store::{Connection, catalog, pos_devices, settings, shifts, stores, users};

use crate::{Actor, AppError, ErrorCode, Kassa, NumberLocale};

/// Who may sell.
pub(crate) const SELL: &[Role] = &[Role::Manager, Role::Cashier];

/// A manager working the till approves their own discounts: they logged in with their PIN.
fn self_approval(user: &kassa_store::users::User) -> Option<i64> {
    (user.role == Role::Manager).then_some(user.id)
}

/// A discount as typed: `{"percent": "10"}` or `{"amount": "5.00"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub enum DiscountInput {
    Percent(String),
    Amount(String),
}

/// A manager's name and PIN, for steps that need a manager's approval at the till.
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct ManagerApproval {
    pub name: String,
    pub pin: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct LineView {
    pub id: i64,
    pub line_no: i64,
    pub sku: String,
    pub name: String,
    pub unit: SaleUnit,
    pub quantity: String,
    pub unit_price: String,
    pub price_overridden: bool,
    /// The catalog's price when the line was added; differs from `unit_price` after an
    /// override.
    pub catalog_price: String,
    pub vat_rate: String,
    pub discount: Option<DiscountInput>,
    pub discount_amount: String,
    pub total: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct TenderView {
    pub id: i64,
    pub method: kassa_core::org::TenderMethod,
    pub amount: String,
    pub status: TenderStatus,
    pub reference: String,
    /// What the cashier should see while the payment is pending (a QR code, the
    /// provider's words), or why it is unknown or was refused.
    pub prompt: Option<kassa_core::payment::CashierPrompt>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct VatView {
    pub rate: String,
    pub net: String,
    pub vat: String,
    pub gross: String,
}

/// A sale as the till shows it. Every amount is a decimal string computed here; the UI
/// shows them and computes nothing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct SaleView {
    pub id: i64,
    pub kind: SaleKind,
    pub status: SaleStatus,
    pub currency: String,
    pub store_name: String,
    pub pos_name: String,
    pub cashier_name: String,
    pub customer_ref: Option<String>,
    pub receipt_no: Option<i64>,
    pub receipt_code: Option<String>,
    pub original_receipt_code: Option<String>,
    pub lines: Vec<LineView>,
    pub order_discount: Option<DiscountInput>,
    /// A loyalty program's discount (SWiP loyalty), shown as its own line; part of
    /// `discount_total` and of the lines' `discount_amount`.
    pub loyalty_discount: Option<crate::swip_loyalty::LoyaltyDiscountView>,
    pub subtotal: String,
    pub discount_total: String,
    pub total: String,
    pub vat: Vec<VatView>,
    pub tenders: Vec<TenderView>,
    /// Approved tenders so far.
    pub paid: String,
    /// Still to pay (negative for money still to give back on a refund).
    pub remaining: String,
    /// What cash must cover of `remaining`, after the currency's cash rounding.
    pub cash_due: String,
    pub rounding: String,
    pub change: String,
    pub created_at: String,
    pub completed_at: Option<String>,
}

/// What a scanned code or typed SKU sells.
pub(crate) struct ScannedItem {
    pub product: kassa_store::catalog::Product,
    pub quantity: Decimal,
    pub unit_price_minor: i64,
    pub vat_rate: String,
    pub code: Barcode,
}

/// The till this installation is, with its store; refused when unbound, deleted or disabled.
pub(crate) struct Till {
    pub pos: PosDevice,
    pub store: Store,
    pub currency: Currency,
    /// How numbers typed at this till are read.
    pub locale: NumberLocale,
}

pub(crate) fn money(minor: i64, currency: Currency) -> Money {
    Money::from_minor(minor, currency)
}

pub(crate) fn text(minor: i64, currency: Currency) -> String {
    money(minor, currency).amount_string()
}

/// The refusal of sales, returns and cash work on a till with no open shift.
pub(crate) fn no_open_shift(till: &Till) -> AppError {
    AppError::coded(
        ErrorCode::NoOpenShift,
        None,
        format!("no shift is open on '{}'; open a shift first", till.pos.name),
    )
}

/// A typed amount, read in the till's number notation.
pub(crate) fn parse_amount(field: &'static str, raw: &str, till: &Till) -> Result<Money, AppError> {
    crate::numbers::parse_amount(till.locale, field, raw, till.currency)
}

/// A typed quantity, read in the till's number notation.
pub(crate) fn parse_quantity(raw: &str, unit: SaleUnit, till: &Till) -> Result<Decimal, AppError> {
    crate::numbers::parse_quantity(till.locale, raw, unit)
}

/// A stored amount: the canonical form, or a lone decimal comma as discounts typed before
/// the notation was the locale's were kept.
fn stored_amount(field: &'static str, raw: &str, currency: Currency) -> Result<Money, AppError> {
    let trimmed = raw.trim();
    let normalised = if trimmed.matches(',').count() == 1 && !trimmed.contains('.') {
        trimmed.replace(',', ".")
    } else {
        trimmed.to_owned()
    };
    Money::parse(&normalised, currency)
        .map_err(|e| AppError::validation(field, format!("'{trimmed}' is not an amount in {currency}: {e}")))
}

/// A discount as typed at the till, in the canonical form it is stored in, so that what it
/// means never depends on a later language setting.
pub(crate) fn typed_discount(d: &DiscountInput, till: &Till) -> Result<DiscountInput, AppError> {
    let canonical = match d {
        DiscountInput::Percent(p) => {
            DiscountInput::Percent(crate::numbers::parse_percent(till.locale, "discount", p)?.to_string())
        }
        DiscountInput::Amount(a) => DiscountInput::Amount(parse_amount("discount", a, till)?.amount_string()),
    };
    discount_from_input(&canonical, till.currency)?;
    Ok(canonical)
}

pub(crate) fn discount_from_input(d: &DiscountInput, currency: Currency) -> Result<Discount, AppError> {
    match d {
        DiscountInput::Percent(p) => {
            let percent = Decimal::from_str(p.trim().trim_end_matches('%').trim())
                .map_err(|_| AppError::validation("discount", format!("'{p}' is not a percentage")))?;
            if percent <= Decimal::ZERO || percent > Decimal::from(100) {
                return Err(AppError::validation(
                    "discount",
                    format!("a discount must be above 0 % and at most 100 % (got {percent} %)"),
                ));
            }
            Ok(Discount::Percent(percent))
        }
        DiscountInput::Amount(a) => {
            let amount = stored_amount("discount", a, currency)?;
            if !amount.is_positive() {
                return Err(AppError::validation(
                    "discount",
                    format!("a discount must be more than zero (got {a})"),
                ));
            }
            Ok(Discount::Amount(amount))
        }
    }
}

fn discount_json(d: &Option<DiscountInput>) -> Result<Option<String>, AppError> {
    d.as_ref()
        .map(|d| serde_json::to_string(d).map_err(|e| AppError::Internal(e.to_string())))
        .transpose()
}

fn discount_parse(stored: &Option<String>) -> Result<Option<DiscountInput>, AppError> {
    stored
        .as_deref()
        .map(|s| {
            serde_json::from_str(s)
                .map_err(|e| AppError::Internal(format!("stored discount is unreadable: {e}")))
        })
        .transpose()
}

/// The store's limit on a sale's combined reduction, in percent.
pub(crate) fn discount_limit(conn: &Connection, store_id: i64) -> Result<Decimal, AppError> {
    let stored = stores::discount_limit(conn, store_id)?
        .ok_or_else(|| AppError::NotFound(format!("there is no store with id {store_id}")))?;
    Decimal::from_str(&stored).map_err(|_| {
        AppError::Internal(format!(
            "store {store_id} has an unreadable discount limit '{stored}'"
        ))
    })
}

/// Checks a discount limit as typed: a percentage from 0 to 100 with at most two decimals.
pub(crate) fn parse_discount_limit(raw: &str) -> Result<Decimal, AppError> {
    let trimmed = raw.trim().trim_end_matches('%').trim().replace(',', ".");
    // Plain decimals only: Decimal's parser would also take "1e2".
    let plain = trimmed
        .chars()
        .all(|c| c.is_ascii_digit() || c == '.' || c == '-');
    let percent = Some(trimmed.as_str())
        .filter(|_| plain)
        .and_then(|t| Decimal::from_str(t).ok())
        .ok_or_else(|| {
            AppError::validation(
                "discountLimit",
                format!(
                    "'{}' is not a percentage; give a number from 0 to 100, e.g. 10",
                    raw.trim()
                ),
            )
        })?;
    if percent < Decimal::ZERO || percent > Decimal::from(100) {
        return Err(AppError::validation(
            "discountLimit",
            format!("a discount limit must be from 0 % to 100 % (got {percent} %)"),
        ));
    }
    if percent.normalize().scale() > 2 {
        return Err(AppError::validation(
            "discountLimit",
            format!("a discount limit may have at most two decimals (got {percent})"),
        ));
    }
    Ok(percent.normalize())
}

/// How much a sale takes off what its lines cost at catalog prices: line discounts, the
/// order discount and price overrides below the catalog price, together.
pub(crate) struct Reduction {
    pub amount: Money,
    pub undiscounted: Money,
    /// `amount` as a percentage of `undiscounted`, rounded up to two decimals.
    pub share: Decimal,
}

pub(crate) fn reduction(
    lines: &[LineRow],
    priced: &Pricing,
    currency: Currency,
) -> Result<Reduction, AppError> {
    let mut undiscounted = Money::zero(currency);
    let mut overrides = Money::zero(currency);
    for (line, (discount, total)) in lines.iter().zip(&priced.lines) {
        let quantity = Decimal::from_str(&line.quantity)
            .map_err(|_| AppError::Internal(format!("line {} has an unreadable quantity", line.id)))?;
        let at_catalog = money(line.catalog_price_minor, currency)
            .times(quantity)?
            .round_to_minor();
        let charged = discount.checked_add(total)?;
        undiscounted = undiscounted.checked_add(&at_catalog)?;
        // An override above the catalog price is not a reduction, and does not offset one.
        let below = at_catalog.checked_sub(&charged)?;
        if below.is_positive() {
            overrides = overrides.checked_add(&below)?;
        }
    }
    // A loyalty program's discount is the provider's, not the cashier's: the store's limit
    // on what the till gives away does not count it.
    let amount = overrides
        .checked_add(&priced.discount_total)?
        .checked_sub(&priced.loyalty_discount)?;
    let share = if undiscounted.is_positive() {
        (amount.amount() * Decimal::from(100) / undiscounted.amount())
            .round_dp_with_strategy(2, rust_decimal::RoundingStrategy::AwayFromZero)
            .normalize()
    } else {
        Decimal::ZERO
    };
    Ok(Reduction {
        amount,
        undiscounted,
        share,
    })
}

/// A sale's amounts as the till and the journal show them.
pub(crate) struct Pricing {
    /// Per line: (discount, total), in line order.
    pub lines: Vec<(Money, Money)>,
    pub subtotal: Money,
    pub discount_total: Money,
    /// The part of `discount_total` a loyalty program gave.
    pub loyalty_discount: Money,
    pub total: Money,
    /// Per VAT rate: (rate, net, vat, gross).
    pub vat: Vec<(VatRate, Money, Money, Money)>,
    pub vat_total: Money,
}

/// Prices a sale with the one set of money rules in kassa-core. A sale is priced from its
/// catalog prices and discounts; a refund from the amounts it credits, which were fixed
/// from the original lines when it was made.
pub(crate) fn price(sale: &SaleRow, lines: &[LineRow], currency: Currency) -> Result<Pricing, AppError> {
    let rate_of = |line: &LineRow| -> Result<VatRate, AppError> {
        line.vat_rate
            .parse()
            .map_err(|e| AppError::Internal(format!("line VAT rate: {e}")))
    };
    if sale.kind == SaleKind::Refund {
        let mut out = Vec::with_capacity(lines.len());
        let mut gross_lines = Vec::with_capacity(lines.len());
        let mut subtotal = 0;
        for line in lines {
            out.push((
                money(line.discount_minor, currency),
                money(line.total_minor, currency),
            ));
            gross_lines.push((rate_of(line)?, money(-line.total_minor, currency)));
            subtotal += line.total_minor + line.discount_minor;
        }
        let vat = VatBreakdown::from_gross_lines(currency, gross_lines)?;
        let discount_total: i64 = lines.iter().map(|l| l.discount_minor).sum();
        return Ok(Pricing {
            lines: out,
            subtotal: money(subtotal, currency),
            discount_total: money(discount_total, currency),
            loyalty_discount: Money::zero(currency),
            total: money(lines.iter().map(|l| l.total_minor).sum(), currency),
            vat: vat
                .rates()
                .iter()
                .map(|r| (r.rate, -r.net, -r.vat, -r.gross))
                .collect(),
            vat_total: -vat.vat(),
        });
    }
    let mut cart = Vec::with_capacity(lines.len());
    for line in lines {
        let quantity = Decimal::from_str(&line.quantity)
            .map_err(|_| AppError::Internal(format!("line {} has an unreadable quantity", line.id)))?;
        let discount = discount_parse(&line.discount)?
            .map(|d| discount_from_input(&d, currency))
            .transpose()?;
        cart.push(CartLine {
            unit_price: money(line.unit_price_minor, currency),
            quantity,
            vat_rate: rate_of(line)?,
            discount,
        });
    }
    let order_discount = discount_parse(&sale.order_discount)?
        .map(|d| discount_from_input(&d, currency))
        .transpose()?;
    let loyalty = (sale.loyalty_discount_minor != 0).then(|| money(sale.loyalty_discount_minor, currency));
    let priced: PricedCart =
        price_cart_with_loyalty(currency, &cart, order_discount.as_ref(), loyalty.as_ref())
            .map_err(|e| AppError::validation("discount", e.to_string()))?;
    Ok(Pricing {
        lines: priced
            .lines
            .iter()
            .map(|l| {
                let discount = l
                    .line_discount
                    .checked_add(&l.order_discount_share)?
                    .checked_add(&l.loyalty_share)?;
                Ok((discount, l.total))
            })
            .collect::<Result<_, AppError>>()?,
        subtotal: priced.subtotal,
        discount_total: priced.discount_total,
        loyalty_discount: priced.loyalty_discount,
        total: priced.total,
        vat: priced
            .vat
            .rates()
            .iter()
            .map(|r| (r.rate, r.net, r.vat, r.gross))
            .collect(),
        vat_total: priced.vat.vat(),
    })
}

/// Prices a sale or refund as stored. A credit note of an original sale credits VAT per
/// rate so that all the sale's credit notes together never credit more VAT than the sale
/// charged, and exactly that once everything is refunded (see
/// [`crate::corrections::credited_vat`]).
pub(crate) fn price_in(
    conn: &Connection,
    sale: &SaleRow,
    lines: &[LineRow],
    currency: Currency,
) -> Result<Pricing, AppError> {
    let mut priced = price(sale, lines, currency)?;
    if sale.kind == SaleKind::Refund
        && let Some(credited) = crate::corrections::credited_vat(conn, sale, lines, currency)?
    {
        let mut vat_total = 0;
        for (rate, net, vat, gross) in priced.vat.iter_mut() {
            let credit = credited.get(rate).copied().unwrap_or(0);
            *vat = money(-credit, currency);
            *net = gross.checked_sub(vat)?;
            vat_total -= credit;
        }
        priced.vat_total = money(vat_total, currency);
    }
    Ok(priced)
}

impl Kassa {
    pub(crate) fn till(&self, conn: &Connection) -> Result<Till, AppError> {
        let pos_id = settings::get(conn, settings::BOUND_POS_ID)?
            .and_then(|v| v.parse::<i64>().ok())
            .ok_or_else(|| {
                AppError::coded(
                    ErrorCode::TillUnavailable,
                    None,
                    "this installation is not bound to a POS yet; a manager must choose its till first",
                )
            })?;
        let pos = pos_devices::get(conn, pos_id)?.ok_or_else(|| {
            AppError::coded(
                ErrorCode::TillUnavailable,
                None,
                "this installation's POS no longer exists; a manager must rebind it",
            )
        })?;
        if pos.deleted_at.is_some() || pos.status != PosStatus::Enabled {
            return Err(AppError::coded(
                ErrorCode::TillUnavailable,
                None,
                format!(
                    "POS '{}' is disabled; a manager must enable it before selling",
                    pos.name
                ),
            ));
        }
        let store = stores::get(conn, pos.store_id)?
            .ok_or_else(|| AppError::Internal("the POS's store vanished".into()))?;
        let currency = store
            .currency
            .parse()
            .map_err(|e| AppError::Internal(format!("store currency: {e}")))?;
        let locale = self.number_locale_in(conn)?;
        Ok(Till {
            pos,
            store,
            currency,
            locale,
        })
    }

    /// The local date at the store, which picks the VAT rate in force.
    pub(crate) fn store_local(&self, store: &Store, at: DateTime<Utc>) -> chrono::NaiveDateTime {
        match chrono_tz::Tz::from_str(&store.time_zone) {
            Ok(tz) => at.with_timezone(&tz).naive_local(),
            Err(_) => at.naive_utc(),
        }
    }

    /// A sale on this till that the actor may work on.
    pub(crate) fn sale_for_update(
        &self,
        conn: &Connection,
        till: &Till,
        sale_id: i64,
        allowed: &[SaleStatus],
    ) -> Result<SaleRow, AppError> {
        let sale = sales::get_sale(conn, sale_id)?
            .ok_or_else(|| AppError::NotFound(format!("there is no sale with id {sale_id}")))?;
        if sale.pos_id != till.pos.id {
            return Err(AppError::Conflict(format!(
                "sale {sale_id} belongs to another till"
            )));
        }
        if !allowed.contains(&sale.status) {
            return Err(AppError::Conflict(format!(
                "sale {sale_id} is {} and cannot be changed that way",
                sale.status
            )));
        }
        Ok(sale)
    }

    /// An open sale whose cart may change. A refund is open only while its declined card
    /// part waits to be settled, and its lines are fixed from the original sale.
    pub(crate) fn cart_for_update(
        &self,
        conn: &Connection,
        till: &Till,
        sale_id: i64,
    ) -> Result<SaleRow, AppError> {
        let sale = self.sale_for_update(conn, till, sale_id, &[SaleStatus::Open])?;
        if sale.kind == SaleKind::Refund {
            return Err(AppError::Conflict(format!(
                "refund {sale_id} cannot be changed; retry its card part, give the rest in cash with a \
                 manager's approval, or void it if it handed nothing back"
            )));
        }
        Ok(sale)
    }

    /// Refuses a change to an open sale by anyone but the cashier it is open for: the
    /// receipt names that cashier, so only they add to it, discount it or take its
    /// payments. Another user voids it (its own cashier or a manager) or has it parked and
    /// recalls it, which makes it theirs.
    pub(crate) fn refuse_unless_owner(
        &self,
        conn: &Connection,
        sale: &SaleRow,
        user: &kassa_store::users::User,
    ) -> Result<(), AppError> {
        if sale.cashier_id == user.id {
            return Ok(());
        }
        let owner = users::get(conn, sale.cashier_id)?
            .map(|u| u.name)
            .unwrap_or_else(|| format!("user {}", sale.cashier_id));
        Err(AppError::NotSaleOwner(format!(
            "sale {} is open for '{owner}', not '{}'; only '{owner}' can change it or take its \
             payments (it can be parked and recalled by you, or voided)",
            sale.id, user.name
        )))
    }

    /// Refuses new work while a payment's outcome is unknown: it must be resolved first.
    pub(crate) fn refuse_if_unknown(&self, conn: &Connection, till: &Till) -> Result<(), AppError> {
        if let Some(sale) = sales::by_status(conn, till.pos.id, &[SaleStatus::Unknown])?.first() {
            return Err(AppError::coded(
                ErrorCode::PaymentUnresolved,
                None,
                format!(
                    "sale {} has a payment whose outcome is unknown; reconcile it (`kassa sale resolve`, or \
                     Reconcile now at the till) before anything else",
                    sale.id
                ),
            ));
        }
        Ok(())
    }

    /// Re-prices a sale after a change, checks its combined reduction against the store's
    /// discount limit and stores the line and sale totals. Every change to an open sale's
    /// lines or discounts passes here, so no order of changes gets past the limit.
    /// `approver` is the manager who approved this change (or the manager making it).
    ///
    /// A loyalty discount was calculated by its provider for the basket as it was, so a
    /// change to the basket removes it (the cashier asks for it again).
    pub(crate) fn reprice(
        &self,
        conn: &Connection,
        sale: &SaleRow,
        till: &Till,
        approver: Option<i64>,
        audit: &crate::Audit<'_>,
    ) -> Result<(), AppError> {
        if sale.loyalty_discount_minor == 0 && sale.loyalty_detail.is_none() {
            return self.store_prices(conn, sale, till, approver, audit);
        }
        audit.record(
            conn,
            "sale",
            sale.id,
            "clear_loyalty_discount",
            Some(&serde_json::json!({
                "amount": money(sale.loyalty_discount_minor, till.currency).amount_string(),
            })),
            Some(&serde_json::json!({ "reason": "the basket changed after the calculation" })),
        )?;
        self.store_with_loyalty(conn, sale, till, 0, None, approver, audit)
    }

    /// Prices `sale` as stored (its loyalty discount included), checks the discount limit
    /// and writes the line and sale totals.
    pub(crate) fn store_prices(
        &self,
        conn: &Connection,
        sale: &SaleRow,
        till: &Till,
        approver: Option<i64>,
        audit: &crate::Audit<'_>,
    ) -> Result<(), AppError> {
        let currency = till.currency;
        let now = audit.at.as_str();
        let lines = sales::lines(conn, sale.id)?;
        let priced = price(sale, &lines, currency)?;
        if sale.kind == SaleKind::Sale {
            self.check_discount_limit(conn, sale, till, &lines, &priced, approver, audit)?;
        }
        for (line, (discount, total)) in lines.iter().zip(&priced.lines) {
            let mut updated = line.clone();
            updated.discount_minor = discount.to_minor()?;
            updated.total_minor = total.to_minor()?;
            if updated != *line {
                sales::update_line(conn, &updated)?;
            }
        }
        let totals = SaleTotals {
            total_minor: priced.total.to_minor()?,
            vat_minor: priced.vat_total.to_minor()?,
            discount_minor: priced.discount_total.to_minor()?,
            rounding_minor: sale.rounding_minor,
            change_minor: sale.change_minor,
        };
        sales::set_totals(conn, sale.id, &totals, now)?;
        Ok(())
    }

    /// Refuses a reduction above the store's limit unless a manager approved it, now or
    /// earlier for at least this share; records a new approval on the sale and in the
    /// audit log.
    #[allow(clippy::too_many_arguments)]
    fn check_discount_limit(
        &self,
        conn: &Connection,
        sale: &SaleRow,
        till: &Till,
        lines: &[LineRow],
        priced: &Pricing,
        approver: Option<i64>,
        audit: &crate::Audit<'_>,
    ) -> Result<(), AppError> {
        let reduction = reduction(lines, priced, till.currency)?;
        let limit = discount_limit(conn, till.store.id)?;
        if reduction.share <= limit {
            return Ok(());
        }
        let approved = sales::discount_approval(conn, sale.id)?
            .map(|(by, percent)| {
                Decimal::from_str(&percent).map(|p| (by, p)).map_err(|_| {
                    AppError::Internal(format!("sale {} has an unreadable approved share", sale.id))
                })
            })
            .transpose()?;
        if approved.is_some_and(|(_, p)| reduction.share <= p) {
            return Ok(());
        }
        let Some(by) = approver else {
            let earlier = match approved {
                Some((_, p)) => format!(" (a manager approved up to {p} %)"),
                None => String::new(),
            };
            return Err(AppError::ApprovalRequired(format!(
                "the discounts and price overrides on sale {} would take {} off its {} before \
                 discounts, {} %, over the limit of {limit} % in store '{}'{earlier}; a manager must \
                 approve with their name and PIN, or lower or remove a discount",
                sale.id, reduction.amount, reduction.undiscounted, reduction.share, till.store.name
            )));
        };
        let share = reduction.share.to_string();
        sales::set_discount_approval(conn, sale.id, by, &share, &audit.at)?;
        audit.record(
            conn,
            "sale",
            sale.id,
            "approve_discount",
            approved
                .map(|(by, p)| serde_json::json!({ "approvedBy": by, "percent": p.to_string() }))
                .as_ref(),
            Some(&serde_json::json!({
                "approvedBy": by,
                "percent": share,
                "limitPercent": limit.to_string(),
                "reduction": reduction.amount.amount_string(),
                "undiscounted": reduction.undiscounted.amount_string(),
            })),
        )?;
        tracing::info!(sale = sale.id, approved_by = by, percent = %share, "discount over the limit approved");
        Ok(())
    }

    pub(crate) fn sale_view(&self, conn: &Connection, sale_id: i64) -> Result<SaleView, AppError> {
        let sale = sales::get_sale(conn, sale_id)?
            .ok_or_else(|| AppError::NotFound(format!("there is no sale with id {sale_id}")))?;
        let currency: Currency = sale
            .currency
            .parse()
            .map_err(|e| AppError::Internal(format!("{e}")))?;
        let lines = sales::lines(conn, sale.id)?;
        let priced = price_in(conn, &sale, &lines, currency)?;
        let tenders = sales::tenders(conn, sale.id)?;
        let paid: i64 = tenders
            .iter()
            .filter(|t| t.status == TenderStatus::Approved)
            .map(|t| t.amount_minor)
            .sum();
        let remaining = sale.total_minor + sale.rounding_minor - paid;
        let cash_due = crate::payments::cash_rounded(remaining, currency)?;
        let store =
            stores::get(conn, sale.store_id)?.ok_or_else(|| AppError::Internal("store vanished".into()))?;
        let pos =
            pos_devices::get(conn, sale.pos_id)?.ok_or_else(|| AppError::Internal("POS vanished".into()))?;
        let cashier = users::get(conn, sale.cashier_id)?
            .map(|u| u.name)
            .unwrap_or_default();
        let code = |s: &SaleRow| {
            s.receipt_no.map(|n| {
                kassa_core::receipt::ReceiptCode {
                    store_id: s.store_id as u32,
                    pos_id: s.pos_id as u32,
                    number: n as u64,
                }
                .encode()
            })
        };
        let original = sale
            .original_sale_id
            .map(|id| sales::get_sale(conn, id))
            .transpose()?
            .flatten();
        Ok(SaleView {
            id: sale.id,
            kind: sale.kind,
            status: sale.status,
            currency: sale.currency.clone(),
            store_name: store.name,
            pos_name: pos.name,
            cashier_name: cashier,
            customer_ref: sale.customer_ref.clone(),
            receipt_no: sale.receipt_no,
            receipt_code: code(&sale),
            original_receipt_code: original.as_ref().and_then(code),
            lines: lines
                .iter()
                .zip(&priced.lines)
                .map(|(l, (discount, total))| {
                    Ok(LineView {
                        id: l.id,
                        line_no: l.line_no,
                        sku: l.sku.clone(),
                        name: l.name.clone(),
                        unit: l.unit,
                        quantity: l.quantity.clone(),
                        unit_price: text(l.unit_price_minor, currency),
                        price_overridden: l.price_override_by.is_some(),
                        catalog_price: text(l.catalog_price_minor, currency),
                        vat_rate: l.vat_rate.clone(),
                        discount: discount_parse(&l.discount)?,
                        discount_amount: discount.amount_string(),
                        total: total.amount_string(),
                    })
                })
                .collect::<Result<_, AppError>>()?,
            order_discount: discount_parse(&sale.order_discount)?,
            loyalty_discount: crate::swip_loyalty::loyalty_view(&sale, currency)?,
            subtotal: priced.subtotal.amount_string(),
            discount_total: priced.discount_total.amount_string(),
            total: priced.total.amount_string(),
            vat: priced
                .vat
                .iter()
                .map(|(rate, net, vat, gross)| VatView {
                    rate: rate.to_string(),
                    net: net.amount_string(),
                    vat: vat.amount_string(),
                    gross: gross.amount_string(),
                })
                .collect(),
            tenders: tenders
                .iter()
                .map(|t| TenderView {
                    id: t.id,
                    method: t.method,
                    amount: text(t.amount_minor, currency),
                    status: t.status,
                    reference: t.reference.clone(),
                    prompt: crate::provider_payments::tender_prompt(t),
                })
                .collect(),
            paid: text(paid, currency),
            remaining: text(remaining, currency),
            cash_due: text(cash_due, currency),
            rounding: text(sale.rounding_minor, currency),
            change: text(sale.change_minor, currency),
            created_at: sale.created_at.clone(),
            completed_at: sale.completed_at.clone(),
        })
    }

    /// The open sale the actor is working on at this till, if any.
    pub fn current_sale(&self, actor: &Actor) -> Result<Option<SaleView>, AppError> {
        self.read(|conn| {
            let user = self.authorize(conn, actor, SELL, "sell")?;
            let till = self.till(conn)?;
            let open = sales::by_status(
                conn,
                till.pos.id,
                &[SaleStatus::Open, SaleStatus::Paying, SaleStatus::Unknown],
            )?;
            // A refund waiting for its declined card part is settled on the refund screen,
            // not rung up at the till.
            let mine = open.iter().find(|s| s.status == SaleStatus::Unknown).or_else(|| {
                open.iter().find(|s| {
                    s.cashier_id == user.id && !(s.kind == SaleKind::Refund && s.status == SaleStatus::Open)
                })
            });
            mine.map(|s| self.sale_view(conn, s.id)).transpose()
        })
    }

    /// The actor's open sale on this till, created if there is none. Needs an open shift.
    fn open_sale_in(
        &self,
        conn: &Connection,
        till: &Till,
        user_id: i64,
        now: &str,
    ) -> Result<SaleRow, AppError> {
        self.refuse_if_unknown(conn, till)?;
        let open = sales::by_status(conn, till.pos.id, &[SaleStatus::Open])?;
        if let Some(sale) = open
            .into_iter()
            .find(|s| s.cashier_id == user_id && s.kind == SaleKind::Sale)
        {
            return Ok(sale);
        }
        let shift =
            shifts::open_shift_of(conn, till.pos.id)?.ok_or_else(|| crate::sales::no_open_shift(till))?;
        let id = sales::insert_sale(
            conn,
            &NewSale {
                kind: SaleKind::Sale,
                store_id: till.store.id,
                pos_id: till.pos.id,
                shift_id: shift.id,
                cashier_id: user_id,
                currency: &till.store.currency,
                original_sale_id: None,
                correction: None,
                reason: None,
                approved_by: None,
            },
            now,
        )?;
        sales::get_sale(conn, id)?.ok_or_else(|| AppError::Internal("sale vanished".into()))
    }

    /// Adds an item by scanned barcode, SKU or exact code. The price comes from the catalog
    /// (or, for variable-measure codes, from the code); nothing about price is taken from
    /// the caller. An unknown code changes nothing.
    /// Finds what a code or SKU sells on this till: the product, the quantity (from the
    /// code for variable-measure items), its price from the catalog (or the code) and the
    /// VAT rate in force at the store today. Nothing about price comes from the caller.
    pub(crate) fn scanned_item(
        &self,
        tx: &Connection,
        till: &Till,
        code: &str,
        quantity: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<ScannedItem, AppError> {
        let config = VariableMeasureConfig::default();
        let trimmed = code.trim();
        let parsed =
            Barcode::parse(trimmed, &config).map_err(|e| AppError::validation("code", e.to_string()))?;
        let product = match catalog::find_by_code(tx, parsed.lookup_key())? {
            Some(p) => Some(p),
            None => catalog::find_by_sku(tx, trimmed)?,
        }
        .filter(|p| p.active)
        .ok_or_else(|| {
            AppError::coded(
                ErrorCode::UnknownProduct,
                Some("code"),
                format!("no active product has the code or SKU '{trimmed}'"),
            )
        })?;
        let stored_price = catalog::price(tx, product.id, till.store.id)?.ok_or_else(|| {
            AppError::Conflict(format!(
                "'{}' has no price in store '{}'; a manager must set one",
                product.name, till.store.name
            ))
        })?;
        let local_date = self
            .store_local(&till.store, now)
            .date()
            .format("%Y-%m-%d")
            .to_string();
        let vat_rate = catalog::vat_rate(tx, &till.store.country, product.vat_category, &local_date)?
            .ok_or_else(|| {
                AppError::Conflict(format!(
                    "{} has no {} VAT rate on {local_date}",
                    till.store.country, product.vat_category
                ))
            })?;
        let (qty, unit_price_minor) = match &parsed {
            Barcode::VariableMeasure {
                kind: MeasureKind::Price,
                value,
                ..
            } => (
                Decimal::ONE,
                Money::new(*value, till.currency).round_to_minor().to_minor()?,
            ),
            Barcode::VariableMeasure {
                kind: MeasureKind::Weight,
                value,
                ..
            } => (*value, stored_price.unit_price_minor),
            _ => {
                let q = match quantity {
                    Some(q) => parse_quantity(q, product.unit, till)?,
                    None if product.unit == SaleUnit::Kg => {
                        return Err(AppError::validation(
                            "quantity",
                            format!("'{}' is sold by weight; enter its weight in kg", product.name),
                        ));
                    }
                    None => Decimal::ONE,
                };
                (q, stored_price.unit_price_minor)
            }
        };
        Ok(ScannedItem {
            product,
            quantity: qty,
            unit_price_minor,
            vat_rate,
            code: parsed,
        })
    }

    pub fn add_item(&self, actor: &Actor, code: &str, quantity: Option<&str>) -> Result<SaleView, AppError> {
        let now = self.now();
        let at = crate::timestamp(now);
        let audit = self.audit(Some(actor));
        self.write_cart(|tx| {
            let user = self.authorize(tx, actor, SELL, "sell")?;
            let till = self.till(tx)?;
            let ScannedItem {
                product,
                quantity: qty,
                unit_price_minor,
                vat_rate,
                code: parsed,
            } = self.scanned_item(tx, &till, code, quantity, now)?;
            let sale = self.open_sale_in(tx, &till, user.id, &at)?;
            let lines = sales::lines(tx, sale.id)?;
            // Scanning the same item again adds to its line, when nothing else differs.
            let same = lines.iter().rev().find(|l| {
                l.product_id == Some(product.id)
                    && l.unit == SaleUnit::Each
                    && product.unit == SaleUnit::Each
                    && l.unit_price_minor == unit_price_minor
                    && l.price_override_by.is_none()
                    && l.discount.is_none()
                    && !matches!(parsed, Barcode::VariableMeasure { .. })
            });
            match same {
                Some(line) => {
                    let mut updated = line.clone();
                    let q = Decimal::from_str(&line.quantity)
                        .map_err(|e| AppError::Internal(e.to_string()))?
                        + qty;
                    updated.quantity = q.normalize().to_string();
                    sales::update_line(tx, &updated)?;
                }
                None => {
                    sales::insert_line(
                        tx,
                        &LineRow {
                            id: 0,
                            sale_id: sale.id,
                            line_no: 0,
                            product_id: Some(product.id),
                            sku: product.sku.clone(),
                            name: product.name.clone(),
                            barcode: Some(parsed.lookup_key().to_owned()),
                            unit: product.unit,
                            quantity: qty.normalize().to_string(),
                            unit_price_minor,
                            catalog_price_minor: unit_price_minor,
                            price_override_by: None,
                            vat_rate,
                            discount: None,
                            discount_minor: 0,
                            total_minor: 0,
                            original_line_id: None,
                        },
                    )?;
                }
            }
            self.reprice(tx, &sale, &till, self_approval(&user), &audit)?;
            self.sale_view(tx, sale.id)
        })
    }

    /// Runs a change to one line of the actor's open sale and re-prices it.
    fn change_line(
        &self,
        actor: &Actor,
        sale_id: i64,
        line_id: i64,
        approver: Option<i64>,
        change: impl FnOnce(&Connection, &Till, &mut LineRow) -> Result<bool, AppError>,
    ) -> Result<SaleView, AppError> {
        let audit = self.audit(Some(actor));
        self.write(|tx| {
            let user = self.authorize(tx, actor, SELL, "sell")?;
            let till = self.till(tx)?;
            let sale = self.cart_for_update(tx, &till, sale_id)?;
            self.refuse_unless_owner(tx, &sale, &user)?;
            let mut line = sales::get_line(tx, line_id)?
                .filter(|l| l.sale_id == sale.id)
                .ok_or_else(|| AppError::NotFound(format!("sale {sale_id} has no line {line_id}")))?;
            if change(tx, &till, &mut line)? {
                sales::update_line(tx, &line)?;
            } else {
                sales::delete_line(tx, line.id)?;
            }
            self.reprice(tx, &sale, &till, approver.or(self_approval(&user)), &audit)?;
            self.sale_view(tx, sale.id)
        })
    }

    pub fn set_line_quantity(
        &self,
        actor: &Actor,
        sale_id: i64,
        line_id: i64,
        quantity: &str,
    ) -> Result<SaleView, AppError> {
        self.change_line(actor, sale_id, line_id, None, |_, till, line| {
            line.quantity = parse_quantity(quantity, line.unit, till)?.to_string();
            Ok(true)
        })
    }

    pub fn remove_line(&self, actor: &Actor, sale_id: i64, line_id: i64) -> Result<SaleView, AppError> {
        self.change_line(actor, sale_id, line_id, None, |_, _, _| Ok(false))
    }

    /// Sets or clears a line's discount. Above the store's discount limit (the sale's
    /// reduction as a whole) it needs `approval`, a manager's name and PIN.
    pub fn set_line_discount(
        &self,
        actor: &Actor,
        sale_id: i64,
        line_id: i64,
        discount: Option<DiscountInput>,
        approval: Option<&ManagerApproval>,
    ) -> Result<SaleView, AppError> {
        let approver = self.discount_approver(approval)?;
        self.change_line(actor, sale_id, line_id, approver, |_, till, line| {
            let discount = discount.as_ref().map(|d| typed_discount(d, till)).transpose()?;
            line.discount = discount_json(&discount)?;
            Ok(true)
        })
    }

    /// Sets a price other than the catalog's, approved by a manager's PIN.
    pub fn override_price(
        &self,
        actor: &Actor,
        sale_id: i64,
        line_id: i64,
        price: &str,
        approval: &ManagerApproval,
    ) -> Result<SaleView, AppError> {
        let approver = self.approve(approval, "approve a price override")?;
        // The manager who approves the price approves the reduction it makes, too.
        self.change_line(actor, sale_id, line_id, Some(approver), |_, till, line| {
            let new_price = parse_amount("price", price, till)?;
            if new_price.is_negative() {
                return Err(AppError::validation("price", "a price must not be negative"));
            }
            line.unit_price_minor = new_price.to_minor()?;
            line.price_override_by = if line.unit_price_minor == line.catalog_price_minor {
                None
            } else {
                Some(approver)
            };
            Ok(true)
        })
    }

    /// Runs a change to the actor's open sale on this till and returns the sale after it.
    fn change_open_sale(
        &self,
        actor: &Actor,
        sale_id: i64,
        change: impl FnOnce(&Connection, &Till, &SaleRow, &crate::Audit<'_>, Option<i64>) -> Result<(), AppError>,
    ) -> Result<SaleView, AppError> {
        let audit = self.audit(Some(actor));
        self.write(|tx| {
            let user = self.authorize(tx, actor, SELL, "sell")?;
            let till = self.till(tx)?;
            let sale = self.cart_for_update(tx, &till, sale_id)?;
            self.refuse_unless_owner(tx, &sale, &user)?;
            change(tx, &till, &sale, &audit, self_approval(&user))?;
            self.sale_view(tx, sale.id)
        })
    }

    /// Sets or clears the order discount. Above the store's discount limit (the sale's
    /// reduction as a whole, line discounts included) it needs `approval`.
    pub fn set_order_discount(
        &self,
        actor: &Actor,
        sale_id: i64,
        discount: Option<DiscountInput>,
        approval: Option<&ManagerApproval>,
    ) -> Result<SaleView, AppError> {
        let approver = self.discount_approver(approval)?;
        self.change_open_sale(actor, sale_id, |tx, till, sale, audit, own| {
            let discount = discount.as_ref().map(|d| typed_discount(d, till)).transpose()?;
            sales::set_order_discount(tx, sale.id, discount_json(&discount)?.as_deref(), &audit.at)?;
            let sale =
                sales::get_sale(tx, sale.id)?.ok_or_else(|| AppError::Internal("sale vanished".into()))?;
            self.reprice(tx, &sale, till, approver.or(own), audit)
        })
    }

    /// Checks a manager's approval for a discount, when one was given.
    fn discount_approver(&self, approval: Option<&ManagerApproval>) -> Result<Option<i64>, AppError> {
        approval
            .map(|a| self.approve(a, "approve a discount over the limit"))
            .transpose()
    }

    /// The store's limit on a sale's combined reduction, in percent (any user may read it:
    /// the till shows it).
    pub fn discount_limit(&self, actor: &Actor, store_id: i64) -> Result<String, AppError> {
        self.read(|conn| {
            self.authorize(conn, actor, Role::ALL, "see the discount limit")?;
            Ok(discount_limit(conn, store_id)?.to_string())
        })
    }

    /// Sets a store's limit on a sale's combined reduction (managers only): a percentage
    /// from 0 to 100 with at most two decimals. Above it, a manager approves at the till.
    pub fn set_discount_limit(
        &self,
        actor: &Actor,
        store_id: i64,
        percent: &str,
    ) -> Result<String, AppError> {
        let audit = self.audit(Some(actor));
        self.write(|tx| {
            self.authorize(tx, actor, &[Role::Manager], "set the discount limit")?;
            let before = discount_limit(tx, store_id)?;
            let limit = parse_discount_limit(percent)?;
            stores::set_discount_limit(tx, store_id, &limit.to_string(), &audit.at)?;
            audit.record(
                tx,
                "store",
                store_id,
                "set_discount_limit",
                Some(&before.to_string()),
                Some(&limit.to_string()),
            )?;
            Ok(limit.to_string())
        })
    }

    pub fn set_customer_ref(
        &self,
        actor: &Actor,
        sale_id: i64,
        customer_ref: Option<&str>,
    ) -> Result<SaleView, AppError> {
        self.change_open_sale(actor, sale_id, |tx, _, sale, audit, _| {
            let at = &audit.at;
            let value = crate::validate::optional_text(customer_ref);
            if value.as_ref().is_some_and(|v| v.chars().count() > 64) {
                return Err(AppError::validation(
                    "customerRef",
                    "a customer reference must be at most 64 characters",
                ));
            }
            sales::set_customer_ref(tx, sale.id, value.as_deref(), at)?;
            Ok(())
        })
    }

    /// Puts the open sale aside; it survives restarts and can be recalled on this till.
    pub fn park_sale(&self, actor: &Actor, sale_id: i64) -> Result<SaleView, AppError> {
        self.change_open_sale(actor, sale_id, |tx, _, sale, audit, _| {
            let at = &audit.at;
            if sales::lines(tx, sale.id)?.is_empty() {
                return Err(AppError::Conflict("an empty sale cannot be parked".into()));
            }
            sales::set_status(tx, sale.id, SaleStatus::Parked, at)?;
            Ok(())
        })
    }

    pub fn parked_sales(&self, actor: &Actor) -> Result<Vec<SaleView>, AppError> {
        self.read(|conn| {
            self.authorize(conn, actor, SELL, "sell")?;
            let till = self.till(conn)?;
            sales::by_status(conn, till.pos.id, &[SaleStatus::Parked])?
                .iter()
                .map(|s| self.sale_view(conn, s.id))
                .collect()
        })
    }

    /// Brings a parked sale back as the actor's open sale. Refused while the actor has an
    /// open sale with items: park or finish that one first.
    pub fn recall_sale(&self, actor: &Actor, sale_id: i64) -> Result<SaleView, AppError> {
        let at = crate::timestamp(self.now());
        self.write(|tx| {
            let user = self.authorize(tx, actor, SELL, "sell")?;
            let till = self.till(tx)?;
            self.refuse_if_unknown(tx, &till)?;
            let sale = self.sale_for_update(tx, &till, sale_id, &[SaleStatus::Parked])?;
            for open in sales::by_status(tx, till.pos.id, &[SaleStatus::Open])? {
                if open.cashier_id == user.id && !sales::delete_if_empty(tx, open.id)? {
                    return Err(AppError::Conflict(format!(
                        "sale {} is still open; park, pay or void it before recalling another",
                        open.id
                    )));
                }
            }
            sales::set_status(tx, sale.id, SaleStatus::Open, &at)?;
            sales::reassign(tx, sale.id, user.id, &at)?;
            self.sale_view(tx, sale.id)
        })
    }
}
