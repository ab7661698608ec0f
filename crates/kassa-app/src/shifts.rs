//! Shifts at the till: opening with a float, cash in and out, drawer openings without a
//! sale, and closing with counted cash, which makes the numbered, immutable Z report. The
//! X report is the same figures at any moment, read-only.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::json;

use kassa_core::org::{CashMovementKind, Role, SaleKind, SaleStatus, TenderMethod, TenderStatus};
use kassa_core::{Currency, VatRate};
use kassa_store::shifts::{self, ShiftRow, ZReportRow};
use kassa_store::{Connection, journal, sales, users};

use crate::sales::{SELL, Till, VatView, parse_amount, text};
use crate::{Actor, AppError, Kassa};

const REPORT_READERS: &[Role] = &[Role::Manager, Role::Cashier, Role::Accountant];

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct ShiftView {
    pub id: i64,
    pub pos_name: String,
    pub currency: String,
    pub opened_by: String,
    pub opened_at: String,
    pub float: String,
    pub closed_at: Option<String>,
}

/// A sum and how many made it, under a name (a tender method, a cashier).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct NamedAmount {
    pub name: String,
    pub count: u32,
    pub amount: String,
}

/// The figures of an X or Z report (Sweden's SKVFS 2014:9 ch. 7 § 2 lists what a Z report
/// must hold; every count here is kept from the first sale).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct ShiftReport {
    /// "X" or "Z".
    pub kind: String,
    pub z_no: Option<i64>,
    pub store_name: String,
    pub vat_number: Option<String>,
    pub pos_name: String,
    pub currency: String,
    pub shift_id: i64,
    pub opened_at: String,
    pub closed_at: Option<String>,
    pub made_at: String,
    pub grand_total_sales: String,
    pub grand_total_returns: String,
    pub grand_total_net: String,
    pub sales_total: String,
    pub returns_total: String,
    pub net_total: String,
    pub vat: Vec<VatView>,
    pub tenders: Vec<NamedAmount>,
    pub cashiers: Vec<NamedAmount>,
    pub sales_count: u32,
    pub returns_count: u32,
    /// Discounts the till gave (line, order and price discounts), loyalty excluded.
    pub discounts: NamedAmount,
    /// Discounts loyalty programs gave (SWiP loyalty).
    pub loyalty_discounts: NamedAmount,
    pub voids: NamedAmount,
    pub post_voids: NamedAmount,
    pub copies_printed: u32,
    pub drawer_openings: u32,
    pub price_overrides: u32,
    pub cash_float: String,
    pub cash_in: String,
    pub cash_out: String,
    pub cash_payments: String,
    pub cash_expected: String,
    pub cash_counted: Option<String>,
    pub cash_difference: Option<String>,
    pub first_receipt_no: Option<i64>,
    pub last_receipt_no: Option<i64>,
    /// The journal's length and head hash when the report was made: printed on a Z report
    /// it anchors the chain outside the database.
    pub journal_length: i64,
    pub journal_head: String,
    /// `SEQ:HEAD` (the head shortened), printed on every X and Z report so that the chain
    /// is pinned on paper: `kassa journal verify --head SEQ:HEAD` then catches a deleted
    /// tail even during an open shift. Z reports made before it was printed have none.
    #[serde(default)]
    pub journal_anchor: String,
}

fn add(map: &mut BTreeMap<String, (u32, i64)>, name: &str, amount: i64) {
    let entry = map.entry(name.to_owned()).or_insert((0, 0));
    entry.0 += 1;
    entry.1 += amount;
}

fn named(map: BTreeMap<String, (u32, i64)>, currency: Currency) -> Vec<NamedAmount> {
    map.into_iter()
        .map(|(name, (count, amount))| NamedAmount {
            name,
            count,
            amount: text(amount, currency),
        })
        .collect()
}

impl Kassa {
    fn shift_view(&self, conn: &Connection, till: &Till, shift: &ShiftRow) -> Result<ShiftView, AppError> {
        Ok(ShiftView {
            id: shift.id,
            pos_name: till.pos.name.clone(),
            currency: shift.currency.clone(),
            opened_by: users::get(conn, shift.opened_by)?
                .map(|u| u.name)
                .unwrap_or_default(),
            opened_at: shift.opened_at.clone(),
            float: text(shift.float_minor, till.currency),
            closed_at: shift.closed_at.clone(),
        })
    }

    fn open_shift_on(&self, conn: &Connection, till: &Till) -> Result<ShiftRow, AppError> {
        shifts::open_shift_of(conn, till.pos.id)?.ok_or_else(|| crate::sales::no_open_shift(till))
    }

    pub fn current_shift(&self, actor: &Actor) -> Result<Option<ShiftView>, AppError> {
        self.read(|conn| {
            self.authorize(conn, actor, REPORT_READERS, "see shifts")?;
            let till = self.till(conn)?;
            shifts::open_shift_of(conn, till.pos.id)?
                .map(|s| self.shift_view(conn, &till, &s))
                .transpose()
        })
    }

    /// Opens a shift on this till with the cash float counted into the drawer.
    pub fn open_shift(&self, actor: &Actor, float: &str) -> Result<ShiftView, AppError> {
        let at = crate::timestamp(self.now());
        self.write(|tx| {
            let user = self.authorize(tx, actor, SELL, "open shifts")?;
            let till = self.till(tx)?;
            if let Some(open) = shifts::open_shift_of(tx, till.pos.id)? {
                return Err(AppError::Conflict(format!(
                    "a shift is already open on '{}' since {}; close it first",
                    till.pos.name, open.opened_at
                )));
            }
            let amount = parse_amount("float", float, &till)?;
            if amount.is_negative() {
                return Err(AppError::validation("float", "the float must not be negative"));
            }
            let id = shifts::open(tx, till.pos.id, &till.store.currency, user.id, amount.to_minor()?, &at)?;
            crate::journal::append(
                tx,
                &at,
                "shift_open",
                json!({ "shiftId": id, "posId": till.pos.id, "userId": user.id, "float": amount.amount_string() }),
            )?;
            let shift = shifts::get(tx, id)?.ok_or_else(|| AppError::Internal("shift vanished".into()))?;
            self.shift_view(tx, &till, &shift)
        })
    }

    /// Puts cash into or takes it out of the drawer, with a reason; or records that the
    /// drawer was opened without a sale (`amount` is then ignored).
    pub fn cash_movement(
        &self,
        actor: &Actor,
        kind: CashMovementKind,
        amount: &str,
        reason: &str,
    ) -> Result<ShiftView, AppError> {
        let at = crate::timestamp(self.now());
        self.write(|tx| {
            let user = self.authorize(tx, actor, SELL, "move cash")?;
            let till = self.till(tx)?;
            self.refuse_if_unknown(tx, &till)?;
            let shift = self.open_shift_on(tx, &till)?;
            let reason = crate::validate::name("reason", "A reason", reason)?;
            let minor = match kind {
                CashMovementKind::DrawerOpen => 0,
                CashMovementKind::CashIn | CashMovementKind::CashOut => {
                    let amount = parse_amount("amount", amount, &till)?;
                    if !amount.is_positive() {
                        return Err(AppError::validation(
                            "amount",
                            format!("the amount must be more than zero (got {amount})"),
                        ));
                    }
                    amount.to_minor()?
                }
            };
            let id = shifts::add_cash_movement(tx, shift.id, kind, minor, Some(&reason), user.id, &at)?;
            crate::journal::append(
                tx,
                &at,
                kind.as_str(),
                json!({
                    "movementId": id, "shiftId": shift.id, "posId": till.pos.id, "userId": user.id,
                    "amount": text(minor, till.currency), "reason": reason,
                }),
            )?;
            self.shift_view(tx, &till, &shift)
        })
    }

    fn report(
        &self,
        conn: &Connection,
        till: &Till,
        shift: &ShiftRow,
        kind: &str,
        counted: Option<i64>,
    ) -> Result<ShiftReport, AppError> {
        let c = till.currency;
        let mut sales_total = 0;
        let mut returns_total = 0;
        let mut sales_count = 0;
        let mut returns_count = 0;
        let mut vat: BTreeMap<VatRate, (i64, i64, i64)> = BTreeMap::new();
        let mut tenders = BTreeMap::new();
        let mut cashiers = BTreeMap::new();
        let mut discounts = (0u32, 0i64);
        let mut loyalty_discounts = (0u32, 0i64);
        let mut voids = (0u32, 0i64);
        let mut post_voids = (0u32, 0i64);
        let mut price_overrides = 0;
        let mut cash_payments = 0;
        let mut first = None;
        let mut last = None;
        let mut names: BTreeMap<i64, String> = BTreeMap::new();
        for sale in shifts::sales_of_shift(conn, shift.id)? {
            if sale.status == SaleStatus::Voided {
                // A voided refund handed nothing back and credited nothing: no void of a sale.
                if sale.kind == SaleKind::Sale {
                    voids.0 += 1;
                    voids.1 += sale.total_minor;
                }
                // Cash taken towards a sale that was then voided went back to the customer
                // with it: the void records a return tender for each cash tender, so what
                // stays in the drawer is their net, zero. Summed from the records rather
                // than assumed, so the expected cash is what the tender rows say it is.
                cash_payments += cash_in_drawer(conn, sale.id)?;
                continue;
            }
            let Some(receipt_no) = sale.receipt_no else {
                // A sale still open, part paid in cash (an X report taken while the card
                // for the rest is at the terminal): that cash is in the drawer already,
                // though it counts as sales only once the sale completes.
                cash_payments += cash_in_drawer(conn, sale.id)?;
                continue;
            };
            first = Some(first.map_or(receipt_no, |f: i64| f.min(receipt_no)));
            last = Some(last.map_or(receipt_no, |l: i64| l.max(receipt_no)));
            let amount = sale.total_minor + sale.rounding_minor;
            match sale.kind {
                SaleKind::Sale => {
                    sales_total += amount;
                    sales_count += 1;
                }
                SaleKind::Refund => {
                    returns_total += amount;
                    returns_count += 1;
                    if sale.correction.as_deref() == Some("post_void") {
                        post_voids.0 += 1;
                        post_voids.1 += amount;
                    }
                }
            }
            let given = sale.discount_minor - sale.loyalty_discount_minor;
            if given != 0 && sale.kind == SaleKind::Sale {
                discounts.0 += 1;
                discounts.1 += given;
            }
            if sale.loyalty_discount_minor != 0 && sale.kind == SaleKind::Sale {
                loyalty_discounts.0 += 1;
                loyalty_discounts.1 += sale.loyalty_discount_minor;
            }
            let lines = sales::lines(conn, sale.id)?;
            price_overrides += lines.iter().filter(|l| l.price_override_by.is_some()).count() as u32;
            for (rate, net, v, gross) in crate::sales::price_in(conn, &sale, &lines, c)?.vat {
                let e = vat.entry(rate).or_insert((0, 0, 0));
                e.0 += net.to_minor()?;
                e.1 += v.to_minor()?;
                e.2 += gross.to_minor()?;
            }
            for t in sales::tenders(conn, sale.id)?
                .into_iter()
                .filter(|t| t.status == TenderStatus::Approved)
            {
                add(&mut tenders, t.method.as_str(), t.amount_minor);
                if t.method == TenderMethod::Cash {
                    cash_payments += t.amount_minor;
                }
            }
            let name = match names.get(&sale.cashier_id) {
                Some(n) => n.clone(),
                None => {
                    let n = users::get(conn, sale.cashier_id)?
                        .map(|u| u.name)
                        .unwrap_or_default();
                    names.insert(sale.cashier_id, n.clone());
                    n
                }
            };
            add(&mut cashiers, &name, amount);
        }
        let mut cash_in = 0;
        let mut cash_out = 0;
        let mut drawer_openings = 0;
        for m in shifts::cash_movements(conn, shift.id)? {
            match m.kind {
                CashMovementKind::CashIn => cash_in += m.amount_minor,
                CashMovementKind::CashOut => cash_out += m.amount_minor,
                CashMovementKind::DrawerOpen => drawer_openings += 1,
            }
        }
        let expected = shift.float_minor + cash_in - cash_out + cash_payments;
        let (grand_sales, grand_returns) = shifts::grand_totals(conn, till.pos.id)?;
        let (journal_length, journal_head) = journal::head(conn)?.unwrap_or((0, String::new()));
        let pair = |(count, amount): (u32, i64)| NamedAmount {
            name: String::new(),
            count,
            amount: text(amount, c),
        };
        Ok(ShiftReport {
            kind: kind.to_owned(),
            z_no: None,
            store_name: till.store.name.clone(),
            vat_number: till.store.vat_number.clone(),
            pos_name: till.pos.name.clone(),
            currency: till.store.currency.clone(),
            shift_id: shift.id,
            opened_at: shift.opened_at.clone(),
            closed_at: shift.closed_at.clone(),
            made_at: crate::timestamp(self.now()),
            grand_total_sales: text(grand_sales, c),
            grand_total_returns: text(grand_returns, c),
            grand_total_net: text(grand_sales + grand_returns, c),
            sales_total: text(sales_total, c),
            returns_total: text(returns_total, c),
            net_total: text(sales_total + returns_total, c),
            vat: vat
                .into_iter()
                .rev()
                .map(|(rate, (net, v, gross))| VatView {
                    rate: rate.to_string(),
                    net: text(net, c),
                    vat: text(v, c),
                    gross: text(gross, c),
                })
                .collect(),
            tenders: named(tenders, c),
            cashiers: named(cashiers, c),
            sales_count,
            returns_count,
            discounts: pair(discounts),
            loyalty_discounts: pair(loyalty_discounts),
            voids: pair(voids),
            post_voids: pair(post_voids),
            copies_printed: shifts::copies_in_shift(conn, shift.id)? as u32,
            drawer_openings,
            price_overrides,
            cash_float: text(shift.float_minor, c),
            cash_in: text(cash_in, c),
            cash_out: text(cash_out, c),
            cash_payments: text(cash_payments, c),
            cash_expected: text(expected, c),
            cash_counted: counted.map(|m| text(m, c)),
            cash_difference: counted.map(|m| text(m - expected, c)),
            first_receipt_no: first,
            last_receipt_no: last,
            journal_anchor: kassa_core::journal::printed_anchor(journal_length, &journal_head),
            journal_length,
            journal_head,
        })
    }

    /// The X report: the open shift's figures now. Changes nothing.
    pub fn x_report(&self, actor: &Actor) -> Result<ShiftReport, AppError> {
        self.read(|conn| {
            self.authorize(conn, actor, REPORT_READERS, "read X reports")?;
            let till = self.till(conn)?;
            let shift = self.open_shift_on(conn, &till)?;
            self.report(conn, &till, &shift, "X", None)
        })
    }

    /// Closes the shift with the counted cash and makes its Z report, once.
    pub fn close_shift(&self, actor: &Actor, counted: &str) -> Result<ShiftReport, AppError> {
        let at = crate::timestamp(self.now());
        self.write(|tx| {
            let user = self.authorize(tx, actor, SELL, "close shifts")?;
            let till = self.till(tx)?;
            let shift = self.open_shift_on(tx, &till)?;
            let busy = sales::by_status(
                tx,
                till.pos.id,
                &[
                    SaleStatus::Open,
                    SaleStatus::Parked,
                    SaleStatus::Paying,
                    SaleStatus::Unknown,
                ],
            )?;
            if let Some(sale) = busy.iter().find(|s| s.shift_id == shift.id) {
                if sale.kind == SaleKind::Refund && sale.status == SaleStatus::Open {
                    let owed = crate::corrections::owed_minor(sale, &sales::tenders(tx, sale.id)?);
                    return Err(AppError::Conflict(format!(
                        "refund {} still owes the customer {} after its card part was declined or \
                         cancelled; retry the card refund, give the rest in cash with a manager's \
                         approval, or void the refund if it handed nothing back, then close the shift",
                        sale.id,
                        crate::sales::money(owed, till.currency)
                    )));
                }
                return Err(AppError::Conflict(format!(
                    "sale {} is still {}; finish, void or resolve it before closing the shift",
                    sale.id, sale.status
                )));
            }
            let counted_money = parse_amount("counted", counted, &till)?;
            if counted_money.is_negative() {
                return Err(AppError::validation(
                    "counted",
                    "counted cash must not be negative",
                ));
            }
            let counted_minor = counted_money.to_minor()?;
            let before = self.report(tx, &till, &shift, "Z", Some(counted_minor))?;
            let expected = kassa_core::Money::parse(&before.cash_expected, till.currency)?.to_minor()?;
            shifts::close(tx, shift.id, user.id, expected, counted_minor, &at)?;
            crate::journal::append(
                tx,
                &at,
                "shift_close",
                json!({
                    "shiftId": shift.id, "posId": till.pos.id, "userId": user.id,
                    "expected": text(expected, till.currency), "counted": counted_money.amount_string(),
                    "difference": text(counted_minor - expected, till.currency),
                }),
            )?;
            let z_no = shifts::next_z_no(tx, till.pos.id)?;
            let shift =
                shifts::get(tx, shift.id)?.ok_or_else(|| AppError::Internal("shift vanished".into()))?;
            let mut report = self.report(tx, &till, &shift, "Z", Some(counted_minor))?;
            report.z_no = Some(z_no);
            let body = serde_json::to_value(&report).map_err(|e| AppError::Internal(e.to_string()))?;
            // The Z record is the last link the report anchors: its own sequence and hash.
            let (length, head) = crate::journal::append(
                tx,
                &at,
                "z_report",
                json!({ "zNo": z_no, "posId": till.pos.id, "report": body }),
            )?;
            report.journal_length = length;
            report.journal_head = head.clone();
            report.journal_anchor = kassa_core::journal::printed_anchor(length, &head);
            let body = serde_json::to_string(&report).map_err(|e| AppError::Internal(e.to_string()))?;
            shifts::insert_z_report(
                tx,
                &ZReportRow {
                    id: 0,
                    pos_id: till.pos.id,
                    z_no,
                    shift_id: shift.id,
                    created_at: at.clone(),
                    journal_length: length,
                    journal_head: head,
                    body,
                },
            )?;
            Ok(report)
        })
    }

    /// Every Z report, oldest first (all tills).
    pub fn z_reports(&self, actor: &Actor) -> Result<Vec<ShiftReport>, AppError> {
        self.read(|conn| {
            self.authorize(conn, actor, REPORT_READERS, "read Z reports")?;
            shifts::z_reports(conn, None)?
                .into_iter()
                .map(|z| {
                    serde_json::from_str(&z.body)
                        .map_err(|e| AppError::Internal(format!("Z report {} is unreadable: {e}", z.z_no)))
                })
                .collect()
        })
    }
}

/// The approved cash tenders of a sale, net: what it put into (or took out of) the drawer.
fn cash_in_drawer(conn: &Connection, sale_id: i64) -> Result<i64, AppError> {
    Ok(sales::tenders(conn, sale_id)?
        .iter()
        .filter(|t| t.status == TenderStatus::Approved && t.method == TenderMethod::Cash)
        .map(|t| t.amount_minor)
        .sum())
}
