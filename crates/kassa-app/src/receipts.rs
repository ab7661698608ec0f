//! Receipts as documents: the printer-independent receipt model built from a sale, its
//! plain-text rendering for 32/42/48 columns, and the sales history.

use std::str::FromStr;

use serde::Serialize;

use kassa_core::cart::{CartLine, price_cart_with_loyalty};
use kassa_core::org::{Role, SaleKind, SaleStatus, TenderMethod, TenderStatus};
use kassa_core::receipt::{
    Columns, LoyaltyDiscountLine, Receipt, ReceiptCode, ReceiptKind, ReceiptLanguage, ReceiptLine,
    ReceiptTender, ReceiptVatLine,
};
use kassa_core::{Currency, Decimal, Money, VatRate};
use kassa_store::{Connection, sales, settings, shifts, stores};
use serde_json::json;

use crate::sales::{LineView, discount_from_input};
use crate::{Actor, AppError, Kassa, SaleView};

/// A completed receipt on screen. It is not a receipt: the text is marked so at the top
/// and the bottom, and `not_a_receipt` says so for the UI to show beside it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct ReceiptPreview {
    pub sale_id: i64,
    pub receipt_no: i64,
    /// Always true: a preview is never a receipt, and is never counted.
    pub not_a_receipt: bool,
    /// The marking the text carries, in the receipt's language.
    pub marking: String,
    pub text: String,
}

/// A printed copy of a receipt, marked KOPIA, recorded in the shift that printed it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct ReceiptCopy {
    pub sale_id: i64,
    pub receipt_no: i64,
    /// The shift whose X and Z reports count this copy.
    pub shift_id: i64,
    pub text: String,
}

const PREVIEW_SV: &[&str] = &["*** FÖRHANDSGRANSKNING ***", "INTE ETT KVITTO"];
const PREVIEW_EN: &[&str] = &["*** PREVIEW ***", "NOT A RECEIPT"];

fn paper_width(columns: u8) -> Result<Columns, AppError> {
    match columns {
        32 => Ok(Columns::C32),
        42 => Ok(Columns::C42),
        48 => Ok(Columns::C48),
        other => Err(AppError::validation(
            "columns",
            format!("receipts are 32, 42 or 48 characters wide (got {other})"),
        )),
    }
}

fn receipt_language(conn: &Connection) -> Result<ReceiptLanguage, AppError> {
    Ok(match settings::get(conn, settings::LANGUAGE)?.as_deref() {
        Some("sv") => ReceiptLanguage::Sv,
        _ => ReceiptLanguage::En,
    })
}

/// The receipt text between the marking, centred, at the top and at the bottom.
fn framed(text: &str, marking: &[&str], columns: Columns) -> String {
    let width = columns.width();
    let mut banner = String::new();
    for line in marking {
        let pad = width.saturating_sub(line.chars().count()) / 2;
        banner.push_str(&" ".repeat(pad));
        banner.push_str(line);
        banner.push('\n');
    }
    let mut out = banner.clone();
    out.push_str(text);
    if !text.ends_with('\n') {
        out.push('\n');
    }
    out.push_str(&banner);
    out
}

/// One row of the sales history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct SaleSummary {
    pub id: i64,
    pub kind: SaleKind,
    pub status: SaleStatus,
    pub receipt_no: Option<i64>,
    pub receipt_code: Option<String>,
    pub total: String,
    pub currency: String,
    pub cashier_name: String,
    pub completed_at: Option<String>,
    pub copy_printed: bool,
}

fn parse_money(text: &str, currency: Currency) -> Result<Money, AppError> {
    Money::parse(text, currency).map_err(|e| AppError::Internal(format!("amount '{text}': {e}")))
}

fn internal(e: impl std::fmt::Display) -> AppError {
    AppError::Internal(e.to_string())
}

fn nonzero(m: Money) -> Option<Money> {
    (!m.is_zero()).then_some(m)
}

/// The goods of a receipt and its order discount, so that the paper adds up: each line
/// as priced with only its own discount under it, and the order discount once, whole.
///
/// The sale's view folds each line's share of the order discount into the line (that is
/// what VAT is computed on), so a sale is priced again here with kassa-core's
/// `price_cart` from the same stored prices and discounts, and checked line by line
/// against the view; the VAT summary and the total stay the view's.
///
/// A credit note has no discount of its own: it credits what was paid for each line,
/// discounts already taken off. Its lines show the goods at their price and, under
/// them, the discount that was not paid, as a line discount.
/// The catalog price of a line whose price a manager overrode.
fn regular_price(line: &LineView, currency: Currency) -> Result<Option<Money>, AppError> {
    if !line.price_overridden {
        return Ok(None);
    }
    Ok(Some(parse_money(&line.catalog_price, currency)?))
}

/// The goods of a receipt, and the order and loyalty discounts printed under them.
type Goods = (Vec<ReceiptLine>, Option<Money>, Option<LoyaltyDiscountLine>);

fn receipt_goods(view: &SaleView, currency: Currency) -> Result<Goods, AppError> {
    let mut lines = Vec::with_capacity(view.lines.len());
    match view.kind {
        SaleKind::Sale => {
            let cart = view
                .lines
                .iter()
                .map(|l| {
                    Ok(CartLine {
                        unit_price: parse_money(&l.unit_price, currency)?,
                        quantity: Decimal::from_str(&l.quantity).map_err(internal)?,
                        vat_rate: VatRate::from_str(&l.vat_rate).map_err(internal)?,
                        discount: l
                            .discount
                            .as_ref()
                            .map(|d| discount_from_input(d, currency))
                            .transpose()?,
                    })
                })
                .collect::<Result<Vec<_>, AppError>>()?;
            let order = view
                .order_discount
                .as_ref()
                .map(|d| discount_from_input(d, currency))
                .transpose()?;
            let loyalty = view
                .loyalty_discount
                .as_ref()
                .map(|l| {
                    Ok::<_, AppError>(LoyaltyDiscountLine {
                        program: l.program.clone(),
                        amount: parse_money(&l.amount, currency)?,
                    })
                })
                .transpose()?;
            let priced = price_cart_with_loyalty(
                currency,
                &cart,
                order.as_ref(),
                loyalty.as_ref().map(|l| &l.amount),
            )
            .map_err(internal)?;
            for ((l, c), p) in view.lines.iter().zip(&cart).zip(&priced.lines) {
                let discount = p
                    .line_discount
                    .checked_add(&p.order_discount_share)?
                    .checked_add(&p.loyalty_share)?;
                if p.total != parse_money(&l.total, currency)?
                    || discount != parse_money(&l.discount_amount, currency)?
                {
                    return Err(AppError::Internal(format!(
                        "line {} of sale {} prices to {} (discount {}) for the receipt but {} (discount {}) for the sale",
                        l.line_no, view.id, p.total, discount, l.total, l.discount_amount
                    )));
                }
                lines.push(ReceiptLine {
                    name: l.name.clone(),
                    quantity: c.quantity,
                    unit: l.unit,
                    unit_price: c.unit_price,
                    regular_price: regular_price(l, currency)?,
                    discount: nonzero(p.line_discount),
                    total: p.gross.checked_sub(&p.line_discount)?,
                });
            }
            Ok((lines, nonzero(priced.order_discount), loyalty))
        }
        SaleKind::Refund => {
            for l in &view.lines {
                let quantity = Decimal::from_str(&l.quantity).map_err(internal)?;
                let unit_price = parse_money(&l.unit_price, currency)?;
                let total = parse_money(&l.total, currency)?;
                let gross = unit_price.times(quantity)?.round_to_minor();
                let discount = gross.checked_sub(&total)?;
                // Only a discount that makes the credit smaller than the goods' price is
                // one; anything else (a rounding cent the other way) prints as credited.
                let is_discount = !discount.is_zero()
                    && discount.is_negative() == gross.is_negative()
                    && discount.amount().abs() <= gross.amount().abs();
                lines.push(ReceiptLine {
                    name: l.name.clone(),
                    quantity,
                    unit: l.unit,
                    unit_price,
                    regular_price: regular_price(l, currency)?,
                    discount: is_discount.then_some(discount),
                    total,
                });
            }
            Ok((lines, None, None))
        }
    }
}

impl Kassa {
    pub fn list_sales(&self, actor: &Actor, limit: u32) -> Result<Vec<SaleSummary>, AppError> {
        self.read(|conn| {
            self.authorize(conn, actor, Role::ALL, "see sales")?;
            sales::completed(conn, None, limit.clamp(1, 1000))?
                .into_iter()
                .map(|s| {
                    let view = self.sale_view(conn, s.id)?;
                    Ok(SaleSummary {
                        id: s.id,
                        kind: s.kind,
                        status: s.status,
                        receipt_no: s.receipt_no,
                        receipt_code: view.receipt_code,
                        total: view.total,
                        currency: s.currency.clone(),
                        cashier_name: view.cashier_name,
                        completed_at: s.completed_at,
                        copy_printed: sales::copy_printed(conn, s.id)?,
                    })
                })
                .collect()
        })
    }

    pub fn sale(&self, actor: &Actor, sale_id: i64) -> Result<crate::SaleView, AppError> {
        self.read(|conn| {
            self.authorize(conn, actor, Role::ALL, "see sales")?;
            self.sale_view(conn, sale_id)
        })
    }

    pub(crate) fn receipt_document(
        &self,
        conn: &Connection,
        sale_id: i64,
        copy: bool,
    ) -> Result<Receipt, AppError> {
        let view = self.sale_view(conn, sale_id)?;
        let sale = sales::get_sale(conn, sale_id)?
            .ok_or_else(|| AppError::NotFound(format!("there is no sale with id {sale_id}")))?;
        let number = sale.receipt_no.ok_or_else(|| {
            AppError::Conflict(format!("sale {sale_id} is not completed and has no receipt"))
        })?;
        let store =
            stores::get(conn, sale.store_id)?.ok_or_else(|| AppError::Internal("store vanished".into()))?;
        let currency: Currency = sale
            .currency
            .parse()
            .map_err(|e| AppError::Internal(format!("{e}")))?;
        let completed = sale
            .completed_at
            .as_deref()
            .and_then(crate::clock::parse_timestamp)
            .unwrap_or_else(|| self.now());
        let local = self.store_local(&store, completed);
        let original = match sale.original_sale_id {
            Some(id) => sales::get_sale(conn, id)?.and_then(|o| {
                o.receipt_no.map(|n| ReceiptCode {
                    store_id: o.store_id as u32,
                    pos_id: o.pos_id as u32,
                    number: n as u64,
                })
            }),
            None => None,
        };
        let (lines, order_discount, loyalty_discount) = receipt_goods(&view, currency)?;
        let vat = view
            .vat
            .iter()
            .map(|v| {
                Ok(ReceiptVatLine {
                    rate: VatRate::from_str(&v.rate).map_err(|e| AppError::Internal(e.to_string()))?,
                    net: parse_money(&v.net, currency)?,
                    vat: parse_money(&v.vat, currency)?,
                    gross: parse_money(&v.gross, currency)?,
                })
            })
            .collect::<Result<_, AppError>>()?;
        let mut tenders: Vec<ReceiptTender> = sales::tenders(conn, sale.id)?
            .into_iter()
            .filter(|t| t.status == TenderStatus::Approved)
            .map(|t| ReceiptTender {
                method: t.method,
                amount: Money::from_minor(t.amount_minor, currency),
            })
            .collect();
        // Change comes out of the last cash handed over: print that tender as received.
        if sale.change_minor != 0
            && let Some(cash) = tenders.iter_mut().rev().find(|t| t.method == TenderMethod::Cash)
        {
            cash.amount = Money::from_minor(cash.amount.to_minor()? + sale.change_minor, currency);
        }
        let rounding = Money::from_minor(sale.rounding_minor, currency);
        let change = Money::from_minor(sale.change_minor, currency);
        Ok(Receipt {
            kind: match sale.kind {
                SaleKind::Sale => ReceiptKind::Sale,
                SaleKind::Refund => ReceiptKind::Refund { original },
            },
            store_name: store.name.clone(),
            brand_name: store.brand_name.clone(),
            address: store.address.clone(),
            vat_number: store.vat_number.clone(),
            pos_name: view.pos_name.clone(),
            receipt_code: ReceiptCode {
                store_id: sale.store_id as u32,
                pos_id: sale.pos_id as u32,
                number: number as u64,
            },
            cashier: view.cashier_name.clone(),
            local_time: local.format("%Y-%m-%d %H:%M:%S").to_string(),
            lines,
            order_discount,
            loyalty_discount,
            vat,
            total: parse_money(&view.total, currency)?,
            tenders,
            cash_rounding: (!rounding.is_zero()).then_some(rounding),
            change: (!change.is_zero()).then_some(change),
            copy,
            training: false,
        })
    }

    /// A completed receipt as the screen shows it: a preview, marked at the top and the
    /// bottom as not a receipt, and flagged so. Anyone signed in may look (accountants
    /// included); nothing is printed or counted.
    pub fn receipt_preview(
        &self,
        actor: &Actor,
        sale_id: i64,
        columns: u8,
    ) -> Result<ReceiptPreview, AppError> {
        let columns = paper_width(columns)?;
        self.read(|conn| {
            self.authorize(conn, actor, Role::ALL, "see receipts")?;
            let language = receipt_language(conn)?;
            let receipt = self.receipt_document(conn, sale_id, false)?;
            let marking = match language {
                ReceiptLanguage::Sv => PREVIEW_SV,
                ReceiptLanguage::En => PREVIEW_EN,
            };
            let text = kassa_core::receipt::render_text(&receipt, columns, language);
            Ok(ReceiptPreview {
                sale_id,
                receipt_no: receipt.receipt_code.number as i64,
                not_a_receipt: true,
                marking: marking.join(" "),
                text: framed(&text, marking, columns),
            })
        })
    }

    /// Prints a copy of a completed receipt (cashiers and managers): marked KOPIA,
    /// recorded and journaled, and counted in the X and Z reports of the shift that
    /// prints it, the open shift of this till, whichever shift the sale was in. One
    /// copy per receipt (Sweden allows one; the schema holds every store to it).
    ///
    /// The original is printed only by the transaction that completes the sale
    /// (`Kassa::finalize`, where the print job will be queued once printing exists);
    /// every later rendering for paper goes through here and is a copy.
    pub fn print_receipt_copy(
        &self,
        actor: &Actor,
        sale_id: i64,
        columns: u8,
    ) -> Result<ReceiptCopy, AppError> {
        let columns = paper_width(columns)?;
        let at = crate::timestamp(self.now());
        self.write(|tx| {
            let user = self.authorize(tx, actor, &[Role::Manager, Role::Cashier], "print receipt copies")?;
            let sale = sales::get_sale(tx, sale_id)?
                .ok_or_else(|| AppError::NotFound(format!("there is no sale with id {sale_id}")))?;
            let number = sale.receipt_no.ok_or_else(|| {
                AppError::Conflict(format!("sale {sale_id} is not completed and has no receipt to copy"))
            })?;
            if sales::copy_printed(tx, sale.id)? {
                return Err(AppError::Conflict(format!(
                    "a copy of receipt {number} was already printed; only one copy is allowed"
                )));
            }
            let till = self.till(tx)?;
            let shift = shifts::open_shift_of(tx, till.pos.id)?.ok_or_else(|| {
                AppError::Conflict(format!(
                    "no shift is open on '{}'; open one to print a copy, which is counted in the shift that prints it",
                    till.pos.name
                ))
            })?;
            let copy_id = shifts::record_copy(tx, sale.id, shift.id, user.id, &at)?;
            crate::journal::append(
                tx,
                &at,
                "copy",
                json!({
                    "copyId": copy_id, "saleId": sale.id, "posId": sale.pos_id, "receiptNo": number,
                    "byUserId": user.id, "shiftId": shift.id, "printedOnPosId": till.pos.id,
                }),
            )?;
            let language = receipt_language(tx)?;
            let receipt = self.receipt_document(tx, sale.id, true)?;
            Ok(ReceiptCopy {
                sale_id,
                receipt_no: number,
                shift_id: shift.id,
                text: kassa_core::receipt::render_text(&receipt, columns, language),
            })
        })
    }
}
