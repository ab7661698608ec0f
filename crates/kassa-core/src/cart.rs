//! Pricing a basket exactly: line amounts, line and order discounts, and VAT.
//!
//! Every amount here is rounded to the minor unit once, at a defined step, and the order
//! discount is split over the lines so that the parts add up to it exactly: a receipt,
//! a Z report and an export that add the lines must all reach the same total.

use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};

use crate::currency::Currency;
use crate::money::{Money, MoneyError};
use crate::vat::{VatBreakdown, VatRate};

/// The most decimals a quantity may have: grams of a kilogram.
pub const MAX_QUANTITY_DECIMALS: u32 = 3;

/// The most decimals a discount percentage may have (12.5 %, 33.3333 %).
pub const MAX_PERCENT_DECIMALS: u32 = 4;

/// A discount on one line or on the whole order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Discount {
    /// A percentage, above 0 and at most 100, with at most four decimals.
    Percent(Decimal),
    /// A fixed amount off, above zero, in the cart's currency and whole minor units.
    Amount(Money),
}

/// One line of the basket, as the catalog (or a manager's override) prices it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct CartLine {
    /// The price of one unit (piece or kilogram), VAT included. It may have more
    /// decimals than the currency; only the line amount is rounded.
    pub unit_price: Money,
    /// How many units: above zero, at most three decimals.
    pub quantity: Decimal,
    /// The VAT rate of the line.
    pub vat_rate: VatRate,
    /// The line's own discount.
    pub discount: Option<Discount>,
}

/// One priced line. Every amount is whole minor units and
/// `total == gross - line_discount - order_discount_share - loyalty_share`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct PricedLine {
    /// The line's VAT rate, repeated so a priced line stands on its own.
    pub vat_rate: VatRate,
    /// `unit_price × quantity`, rounded half away from zero.
    pub gross: Money,
    /// The line's own discount.
    pub line_discount: Money,
    /// This line's part of the order discount.
    pub order_discount_share: Money,
    /// This line's part of a loyalty program's discount (SWiP loyalty).
    pub loyalty_share: Money,
    /// What the customer pays for the line.
    pub total: Money,
}

/// A priced basket. Invariants, all exact:
/// - `total` is the sum of the lines' totals, and `subtotal - discount_total`;
/// - `order_discount` is the sum of the lines' order discount shares, and
///   `loyalty_discount` the sum of their loyalty shares;
/// - `vat` is [`VatBreakdown::from_gross_lines`] over the line totals, so
///   `vat.gross() == total`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PricedCart {
    /// The currency of every amount.
    pub currency: Currency,
    /// One per input line, in input order.
    pub lines: Vec<PricedLine>,
    /// The sum of the lines' gross amounts.
    pub subtotal: Money,
    /// The order discount as applied (zero without one).
    pub order_discount: Money,
    /// The loyalty discount as applied (zero without one).
    pub loyalty_discount: Money,
    /// All line discounts plus the order and loyalty discounts.
    pub discount_total: Money,
    /// What the customer pays.
    pub total: Money,
    /// VAT per rate over the line totals.
    pub vat: VatBreakdown,
}

/// Why a basket could not be priced. Line numbers are 1-based, as the cashier sees them.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CartError {
    /// An amount in another currency than the cart's.
    #[error(
        "{what} is in {found}, but the sale is in {expected}; every amount of a sale must be in one currency"
    )]
    CurrencyMismatch {
        /// Which amount, e.g. "the unit price of line 2".
        what: String,
        /// The sale's currency.
        expected: Currency,
        /// The amount's currency.
        found: Currency,
    },
    /// A negative unit price.
    #[error(
        "line {line} has a negative unit price {price}; sell with a price of zero or more (refunds are priced positive and then negated)"
    )]
    NegativePrice {
        /// The line number.
        line: usize,
        /// The price as given.
        price: Money,
    },
    /// A quantity of zero or less, or with too many decimals.
    #[error(
        "line {line} has quantity {quantity}, but a quantity must be above zero with at most {max_decimals} decimals"
    )]
    InvalidQuantity {
        /// The line number.
        line: usize,
        /// The quantity as given.
        quantity: Decimal,
        /// [`MAX_QUANTITY_DECIMALS`].
        max_decimals: u32,
    },
    /// A percentage outside `0 < p <= 100`, or an amount that is not above zero or not
    /// whole minor units.
    #[error("{what} is invalid: {reason}")]
    InvalidDiscount {
        /// "the discount on line 3" or "the order discount".
        what: String,
        /// What is wrong.
        reason: String,
    },
    /// A line discount larger than the line.
    #[error(
        "the discount of {discount} on line {line} is more than the line's {allowed}; give at most {allowed}"
    )]
    LineDiscountTooLarge {
        /// The line number.
        line: usize,
        /// The discount asked for.
        discount: Money,
        /// The line's gross amount, the largest discount possible.
        allowed: Money,
    },
    /// An order discount larger than what the lines come to after their own discounts.
    #[error(
        "the order discount of {discount} is more than the {allowed} the lines come to after their own discounts; give at most {allowed}"
    )]
    OrderDiscountTooLarge {
        /// The discount asked for.
        discount: Money,
        /// The sum of the lines after their own discounts.
        allowed: Money,
    },
    /// A loyalty discount that is negative, not whole minor units, in another currency,
    /// or larger than what the lines come to after every other discount.
    #[error(
        "the loyalty discount of {discount} cannot be given: the lines come to {allowed} after their other discounts, and a loyalty discount must be whole minor units from 0 to that"
    )]
    InvalidLoyaltyDiscount {
        /// The loyalty discount as given.
        discount: Money,
        /// The sum of the lines after line and order discounts.
        allowed: Money,
    },
    /// An amount too large to compute with.
    #[error("the sale's amounts are too large to compute: {0}")]
    Money(#[from] MoneyError),
}

impl CartError {
    /// A stable, machine-readable name for the kind of error.
    pub fn code(&self) -> &'static str {
        match self {
            CartError::CurrencyMismatch { .. } => "currency_mismatch",
            CartError::NegativePrice { .. } => "negative_price",
            CartError::InvalidQuantity { .. } => "invalid_quantity",
            CartError::InvalidDiscount { .. } => "invalid_discount",
            CartError::LineDiscountTooLarge { .. } => "line_discount_too_large",
            CartError::OrderDiscountTooLarge { .. } => "order_discount_too_large",
            CartError::InvalidLoyaltyDiscount { .. } => "invalid_loyalty_discount",
            CartError::Money(e) => e.code(),
        }
    }
}

fn round_half_away(money: Money) -> Money {
    money.round_to_minor()
}

/// Prices `lines` in `currency`, with an optional order-level discount.
///
/// 1. Line gross = `unit_price × quantity`, rounded half away from zero.
/// 2. Line discount: a percentage is `gross × p / 100` rounded half away from zero; an
///    amount is taken as given. More than the gross is refused.
/// 3. The order discount (a percentage is taken of the lines' sum after step 2) is split
///    over the lines in proportion to their amounts after step 2 by the largest-remainder
///    method: each line gets the whole minor units of its exact share, and the units
///    left over go to the largest fractional remainders, ties to the lower line index.
///    The shares sum to the order discount exactly and none exceeds its line.
/// 4. Line total = gross − line discount − share; VAT per rate over the line totals.
///
/// Refunds are priced with positive quantities and flipped with [`PricedCart::negated`].
pub fn price_cart(
    currency: Currency,
    lines: &[CartLine],
    order_discount: Option<&Discount>,
) -> Result<PricedCart, CartError> {
    price_cart_with_loyalty(currency, lines, order_discount, None)
}

/// [`price_cart`] with a loyalty program's discount as well: a fixed amount the program
/// (SWiP loyalty) computed for the basket, taken last, after the order discount, and split
/// over the lines by the same largest-remainder rule in proportion to their amounts after
/// the line and order discounts. It is kept apart from the order discount so that a
/// receipt, the journal and a report can name it for what it is.
pub fn price_cart_with_loyalty(
    currency: Currency,
    lines: &[CartLine],
    order_discount: Option<&Discount>,
    loyalty_discount: Option<&Money>,
) -> Result<PricedCart, CartError> {
    let mut gross = Vec::with_capacity(lines.len());
    let mut line_discounts = Vec::with_capacity(lines.len());
    for (index, line) in lines.iter().enumerate() {
        let number = index + 1;
        check_currency(currency, &line.unit_price, || {
            format!("the unit price of line {number}")
        })?;
        if line.unit_price.is_negative() {
            return Err(CartError::NegativePrice {
                line: number,
                price: line.unit_price,
            });
        }
        if line.quantity <= Decimal::ZERO || line.quantity.normalize().scale() > MAX_QUANTITY_DECIMALS {
            return Err(CartError::InvalidQuantity {
                line: number,
                quantity: line.quantity,
                max_decimals: MAX_QUANTITY_DECIMALS,
            });
        }
        let line_gross = round_half_away(line.unit_price.times(line.quantity)?);
        let discount = match &line.discount {
            None => Money::zero(currency),
            Some(d) => discount_amount(currency, d, &line_gross, || {
                format!("the discount on line {number}")
            })?,
        };
        if discount.amount() > line_gross.amount() {
            return Err(CartError::LineDiscountTooLarge {
                line: number,
                discount,
                allowed: line_gross,
            });
        }
        gross.push(line_gross);
        line_discounts.push(discount);
    }

    let after_line: Vec<Money> = gross
        .iter()
        .zip(&line_discounts)
        .map(|(g, d)| g.checked_sub(d))
        .collect::<Result<_, _>>()?;
    let base = Money::sum(&after_line, currency)?;
    let order = match order_discount {
        None => Money::zero(currency),
        Some(d) => discount_amount(currency, d, &base, || "the order discount".to_owned())?,
    };
    if order.amount() > base.amount() {
        return Err(CartError::OrderDiscountTooLarge {
            discount: order,
            allowed: base,
        });
    }
    let shares = largest_remainder_split(&order, &after_line)?;
    let after_order: Vec<Money> = after_line
        .iter()
        .zip(&shares)
        .map(|(a, s)| a.checked_sub(s))
        .collect::<Result<_, _>>()?;
    let base = Money::sum(&after_order, currency)?;
    let loyalty = match loyalty_discount {
        None => Money::zero(currency),
        Some(amount) => {
            let refused = || CartError::InvalidLoyaltyDiscount {
                discount: *amount,
                allowed: tidy(base),
            };
            if amount.currency() != currency {
                return Err(CartError::CurrencyMismatch {
                    what: "the loyalty discount".to_owned(),
                    expected: currency,
                    found: amount.currency(),
                });
            }
            if amount.is_negative() || !amount.is_minor_exact() || amount.amount() > base.amount() {
                return Err(refused());
            }
            *amount
        }
    };
    let loyalty_shares = largest_remainder_split(&loyalty, &after_order)?;

    let mut priced = Vec::with_capacity(lines.len());
    for (i, line) in lines.iter().enumerate() {
        priced.push(PricedLine {
            vat_rate: line.vat_rate,
            gross: gross[i],
            line_discount: line_discounts[i],
            order_discount_share: shares[i],
            loyalty_share: loyalty_shares[i],
            total: after_order[i].checked_sub(&loyalty_shares[i])?,
        });
    }
    let subtotal = Money::sum(&gross, currency)?;
    let discount_total = Money::sum(&line_discounts, currency)?
        .checked_add(&order)?
        .checked_add(&loyalty)?;
    let total = Money::sum(priced.iter().map(|l| l.total), currency)?;
    let vat = VatBreakdown::from_gross_lines(currency, priced.iter().map(|l| (l.vat_rate, l.total)))?;
    Ok(PricedCart {
        currency,
        lines: priced,
        subtotal: tidy(subtotal),
        order_discount: tidy(order),
        loyalty_discount: tidy(loyalty),
        discount_total: tidy(discount_total),
        total: tidy(total),
        vat,
    })
}

fn check_currency(expected: Currency, money: &Money, what: impl FnOnce() -> String) -> Result<(), CartError> {
    if money.currency() == expected {
        Ok(())
    } else {
        Err(CartError::CurrencyMismatch {
            what: what(),
            expected,
            found: money.currency(),
        })
    }
}

/// The amount a discount takes off `base` (already whole minor units).
fn discount_amount(
    currency: Currency,
    discount: &Discount,
    base: &Money,
    what: impl Fn() -> String,
) -> Result<Money, CartError> {
    let invalid = |reason: String| CartError::InvalidDiscount { what: what(), reason };
    match discount {
        Discount::Percent(p) => {
            if *p <= Decimal::ZERO || *p > Decimal::ONE_HUNDRED {
                return Err(invalid(format!(
                    "{p} % is not a percentage above 0 and at most 100"
                )));
            }
            let decimals = p.normalize().scale();
            if decimals > MAX_PERCENT_DECIMALS {
                return Err(invalid(format!(
                    "{p} % has {decimals} decimals, but at most {MAX_PERCENT_DECIMALS} are allowed"
                )));
            }
            // Exact: the base has the minor unit's decimals and p at most four, so the
            // product and the quotient stay far inside Decimal's 28 digits of scale and
            // the rounding below sees the true value, midpoints included.
            let off = base
                .amount()
                .checked_mul(*p)
                .and_then(|x| x.checked_div(Decimal::ONE_HUNDRED))
                .ok_or(MoneyError::Overflow {
                    operation: "computing a percentage discount",
                })?;
            let off =
                off.round_dp_with_strategy(currency.minor_units(), RoundingStrategy::MidpointAwayFromZero);
            Ok(tidy(Money::new(off, currency)))
        }
        Discount::Amount(amount) => {
            check_currency(currency, amount, &what)?;
            if !amount.is_positive() {
                return Err(invalid(format!("{amount} is not above zero")));
            }
            if !amount.is_minor_exact() {
                return Err(invalid(format!(
                    "{amount} has more decimals than {currency}'s minor unit"
                )));
            }
            Ok(tidy(*amount))
        }
    }
}

/// Splits `total` (≥ 0) over `weights` (each ≥ 0, summing to at least `total`) in
/// proportion, by the largest-remainder method, in whole minor units.
fn largest_remainder_split(total: &Money, weights: &[Money]) -> Result<Vec<Money>, CartError> {
    let currency = total.currency();
    let d = i128::from(total.to_minor()?);
    let w: Vec<i128> = weights
        .iter()
        .map(|m| m.to_minor().map(i128::from))
        .collect::<Result<_, _>>()?;
    let sum: i128 = w.iter().sum();
    if d == 0 || sum == 0 {
        return Ok(vec![Money::zero(currency); weights.len()]
            .into_iter()
            .map(tidy)
            .collect());
    }
    // d and each weight fit an i64, so their product fits an i128.
    let mut parts: Vec<i128> = w.iter().map(|wi| d * wi / sum).collect();
    let mut left = d - parts.iter().sum::<i128>();
    let mut order: Vec<usize> = (0..w.len()).collect();
    // Stable sort: equal remainders keep index order, the deterministic tie-break.
    order.sort_by_key(|&i| std::cmp::Reverse(d * w[i] % sum));
    for &i in &order {
        if left == 0 {
            break;
        }
        parts[i] += 1;
        left -= 1;
    }
    parts
        .into_iter()
        .map(|p| {
            let minor = i64::try_from(p).map_err(|_| MoneyError::Overflow {
                operation: "splitting the order discount",
            })?;
            Ok(Money::from_minor(minor, currency))
        })
        .collect()
}

/// At least the currency's scale and no negative zero, so amounts print and compare
/// alike however they were computed.
fn tidy(money: Money) -> Money {
    let mut amount = money.amount();
    if amount.is_zero() {
        amount.set_sign_positive(true);
    }
    let units = money.currency().minor_units();
    if amount.scale() < units {
        amount.rescale(units);
    }
    Money::new(amount, money.currency())
}

impl PricedCart {
    /// The same cart with every amount negated, for a credit note: quantities were
    /// priced positive so rounding and discount splitting treat a refund exactly like
    /// the sale it reverses.
    pub fn negated(&self) -> PricedCart {
        let neg = |m: Money| tidy(-m);
        let lines: Vec<PricedLine> = self
            .lines
            .iter()
            .map(|l| PricedLine {
                vat_rate: l.vat_rate,
                gross: neg(l.gross),
                line_discount: neg(l.line_discount),
                order_discount_share: neg(l.order_discount_share),
                loyalty_share: neg(l.loyalty_share),
                total: neg(l.total),
            })
            .collect();
        // VAT rounds half away from zero, so the VAT of the negated totals is exactly
        // the negated VAT; recomputing keeps VatBreakdown the only place that makes one.
        let vat = VatBreakdown::from_gross_lines(self.currency, lines.iter().map(|l| (l.vat_rate, l.total)))
            .expect("negating amounts that were already summed cannot overflow or change currency");
        PricedCart {
            currency: self.currency,
            lines,
            subtotal: neg(self.subtotal),
            order_discount: neg(self.order_discount),
            loyalty_discount: neg(self.loyalty_discount),
            discount_total: neg(self.discount_total),
            total: neg(self.total),
            vat,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Currency::*;

    fn sek(text: &str) -> Money {
        Money::parse(text, SEK).unwrap()
    }

    fn dec(text: &str) -> Decimal {
        text.parse().unwrap()
    }

    fn rate(text: &str) -> VatRate {
        text.parse().unwrap()
    }

    fn line(price: &str, quantity: &str, vat: &str, discount: Option<Discount>) -> CartLine {
        CartLine {
            unit_price: sek(price),
            quantity: dec(quantity),
            vat_rate: rate(vat),
            discount,
        }
    }

    #[test]
    fn simple_basket() {
        let cart = price_cart(
            SEK,
            &[
                line("12.50", "2", "12", None),
                line("129.00", "0.532", "12", None),
                line("49.90", "1", "25", None),
            ],
            None,
        )
        .unwrap();
        // 129.00 × 0.532 = 68.628 → 68.63
        let totals: Vec<String> = cart.lines.iter().map(|l| l.total.to_string()).collect();
        assert_eq!(totals, ["25.00 SEK", "68.63 SEK", "49.90 SEK"]);
        assert_eq!(cart.subtotal, sek("143.53"));
        assert_eq!(cart.discount_total, sek("0"));
        assert_eq!(cart.total, sek("143.53"));
        assert_eq!(cart.total.to_string(), "143.53 SEK");
        // 12 %: 93.63 × 12/112 = 10.0318 → 10.03; 25 %: 49.90 / 5 = 9.98
        assert_eq!(cart.vat.rates()[0].vat, sek("9.98"));
        assert_eq!(cart.vat.rates()[1].vat, sek("10.03"));
        assert_eq!(cart.vat.gross(), cart.total);
    }

    #[test]
    fn line_gross_rounds_half_away_from_zero() {
        // 0.125 × 1 = 0.125 → 0.13; 33.33 × 0.5 = 16.665 → 16.67
        let cart = price_cart(
            SEK,
            &[
                CartLine {
                    unit_price: Money::new(dec("0.125"), SEK),
                    quantity: Decimal::ONE,
                    vat_rate: rate("25"),
                    discount: None,
                },
                line("33.33", "0.5", "25", None),
            ],
            None,
        )
        .unwrap();
        assert_eq!(cart.lines[0].gross, sek("0.13"));
        assert_eq!(cart.lines[1].gross, sek("16.67"));
    }

    #[test]
    fn line_discounts() {
        let cart = price_cart(
            SEK,
            &[
                line("19.99", "3", "25", Some(Discount::Percent(dec("15")))),
                line("100", "1", "25", Some(Discount::Amount(sek("100")))),
            ],
            None,
        )
        .unwrap();
        // 59.97 × 15 % = 8.9955 → 9.00
        assert_eq!(cart.lines[0].line_discount, sek("9.00"));
        assert_eq!(cart.lines[0].total, sek("50.97"));
        assert_eq!(cart.lines[1].total, sek("0"));
        assert_eq!(cart.discount_total, sek("109.00"));
        assert_eq!(cart.total, sek("50.97"));
    }

    #[test]
    fn order_discount_is_split_by_largest_remainder() {
        // 1.00 over three equal lines: 0.33 each and the extra cent to line 1 (ties go
        // to the lowest index).
        let lines = [
            line("10", "1", "25", None),
            line("10", "1", "12", None),
            line("10", "1", "6", None),
        ];
        let cart = price_cart(SEK, &lines, Some(&Discount::Amount(sek("1")))).unwrap();
        let shares: Vec<Money> = cart.lines.iter().map(|l| l.order_discount_share).collect();
        assert_eq!(shares, [sek("0.34"), sek("0.33"), sek("0.33")]);
        assert_eq!(cart.total, sek("29.00"));
        assert_eq!(cart.order_discount, sek("1.00"));

        // Proportional to the amounts after line discounts: 10 % of 100.00 + 50.00 -
        // 10.00 = 14.00, split 90:50.
        let lines = [
            line("100", "1", "25", Some(Discount::Amount(sek("10")))),
            line("50", "1", "12", None),
        ];
        let cart = price_cart(SEK, &lines, Some(&Discount::Percent(dec("10")))).unwrap();
        assert_eq!(cart.order_discount, sek("14.00"));
        assert_eq!(cart.lines[0].order_discount_share, sek("9.00"));
        assert_eq!(cart.lines[1].order_discount_share, sek("5.00"));
        assert_eq!(cart.total, sek("126.00"));
        assert_eq!(cart.discount_total, sek("24.00"));
    }

    #[test]
    fn largest_remainder_picks_the_largest_fraction() {
        // 0.10 over 1.00, 2.00, 4.00: exact 0.0142857, 0.0285714, 0.0571428 → 1, 2, 5
        // minor units with 2 left over to give: the remainders are 3/7, 6/7 and 5/7.
        let lines = [
            line("1", "1", "25", None),
            line("2", "1", "25", None),
            line("4", "1", "25", None),
        ];
        let cart = price_cart(SEK, &lines, Some(&Discount::Amount(sek("0.10")))).unwrap();
        let shares: Vec<Money> = cart.lines.iter().map(|l| l.order_discount_share).collect();
        assert_eq!(shares, [sek("0.01"), sek("0.03"), sek("0.06")]);
    }

    #[test]
    fn refusals_say_what_and_where() {
        let err = price_cart(
            SEK,
            &[
                line("10", "1", "25", None),
                line("10", "1", "25", Some(Discount::Amount(sek("10.01")))),
            ],
            None,
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "the discount of 10.01 SEK on line 2 is more than the line's 10.00 SEK; give at most 10.00 SEK"
        );
        assert_eq!(err.code(), "line_discount_too_large");

        let err = price_cart(
            SEK,
            &[line("10", "1", "25", None)],
            Some(&Discount::Amount(sek("11"))),
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "the order discount of 11.00 SEK is more than the 10.00 SEK the lines come to after their own discounts; give at most 10.00 SEK"
        );
        assert!(matches!(
            price_cart(SEK, &[], Some(&Discount::Percent(dec("5")))),
            Ok(PricedCart { .. })
        ));
        assert!(matches!(
            price_cart(SEK, &[], Some(&Discount::Amount(sek("1")))),
            Err(CartError::OrderDiscountTooLarge { .. })
        ));

        for (q, ok) in [
            ("0", false),
            ("-1", false),
            ("1.0005", false),
            ("1.500", true),
            ("0.001", true),
        ] {
            let result = price_cart(SEK, &[line("10", q, "25", None)], None);
            assert_eq!(result.is_ok(), ok, "{q}: {result:?}");
        }
        let err = price_cart(SEK, &[line("10", "0", "25", None)], None).unwrap_err();
        assert_eq!(
            err.to_string(),
            "line 1 has quantity 0, but a quantity must be above zero with at most 3 decimals"
        );

        for p in ["0", "-5", "100.01", "12.00001"] {
            let err = price_cart(
                SEK,
                &[line("10", "1", "25", Some(Discount::Percent(dec(p))))],
                None,
            )
            .unwrap_err();
            assert_eq!(err.code(), "invalid_discount", "{p}");
        }
        let full = price_cart(
            SEK,
            &[line("10", "1", "25", Some(Discount::Percent(dec("100"))))],
            None,
        )
        .unwrap();
        assert!(full.total.is_zero());
        let err = price_cart(
            SEK,
            &[line("10", "1", "25", Some(Discount::Amount(sek("0"))))],
            None,
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "the discount on line 1 is invalid: 0.00 SEK is not above zero"
        );
        let err = price_cart(
            SEK,
            &[line(
                "10",
                "1",
                "25",
                Some(Discount::Amount(Money::new(dec("0.005"), SEK))),
            )],
            None,
        )
        .unwrap_err();
        assert_eq!(err.code(), "invalid_discount");

        let err = price_cart(SEK, &[line("-1", "1", "25", None)], None).unwrap_err();
        assert_eq!(err.code(), "negative_price");
    }

    #[test]
    fn mixed_currencies_are_refused() {
        let mut nok = line("10", "1", "25", None);
        nok.unit_price = Money::from_minor(1000, NOK);
        let err = price_cart(SEK, &[line("10", "1", "25", None), nok], None).unwrap_err();
        assert_eq!(
            err.to_string(),
            "the unit price of line 2 is in NOK, but the sale is in SEK; every amount of a sale must be in one currency"
        );
        let err = price_cart(
            SEK,
            &[line("10", "1", "25", None)],
            Some(&Discount::Amount(Money::from_minor(100, DKK))),
        )
        .unwrap_err();
        assert_eq!(err.code(), "currency_mismatch");
    }

    #[test]
    fn negated_flips_every_amount_and_the_vat_exactly() {
        let lines = [
            line("19.99", "3", "25", Some(Discount::Percent(dec("15")))),
            line("7.05", "1", "12", None),
            line("3.33", "1", "6", None),
        ];
        let cart = price_cart(SEK, &lines, Some(&Discount::Amount(sek("5")))).unwrap();
        let credit = cart.negated();
        assert_eq!(credit.total, -cart.total);
        assert_eq!(credit.subtotal, -cart.subtotal);
        assert_eq!(credit.discount_total, -cart.discount_total);
        assert_eq!(credit.order_discount, -cart.order_discount);
        for (c, s) in credit.lines.iter().zip(&cart.lines) {
            assert_eq!(c.gross, -s.gross);
            assert_eq!(c.line_discount, -s.line_discount);
            assert_eq!(c.order_discount_share, -s.order_discount_share);
            assert_eq!(c.total, -s.total);
        }
        for (c, s) in credit.vat.rates().iter().zip(cart.vat.rates()) {
            assert_eq!(
                (c.rate, c.gross, c.vat, c.net),
                (s.rate, -s.gross, -s.vat, -s.net)
            );
        }
        assert_eq!(credit.negated(), cart);
    }

    #[test]
    fn a_loyalty_discount_comes_after_the_order_discount_and_is_split_the_same_way() {
        // 10 % order discount of 100.00 + 50.00 = 15.00, leaving 90.00 and 45.00; a
        // loyalty discount of 13.50 splits 2:1 over those.
        let lines = [line("100", "1", "25", None), line("50", "1", "12", None)];
        let cart = price_cart_with_loyalty(
            SEK,
            &lines,
            Some(&Discount::Percent(dec("10"))),
            Some(&sek("13.50")),
        )
        .unwrap();
        assert_eq!(cart.order_discount, sek("15.00"));
        assert_eq!(cart.loyalty_discount, sek("13.50"));
        assert_eq!(cart.lines[0].loyalty_share, sek("9.00"));
        assert_eq!(cart.lines[1].loyalty_share, sek("4.50"));
        assert_eq!(cart.lines[0].total, sek("81.00"));
        assert_eq!(cart.lines[1].total, sek("40.50"));
        assert_eq!(cart.total, sek("121.50"));
        assert_eq!(cart.discount_total, sek("28.50"));
        assert_eq!(cart.vat.gross(), cart.total);

        // Without one the cart is exactly price_cart's.
        let plain = price_cart(SEK, &lines, None).unwrap();
        assert_eq!(price_cart_with_loyalty(SEK, &lines, None, None).unwrap(), plain);
        assert!(plain.loyalty_discount.is_zero());

        // The whole remainder may go; more, less than zero, a fraction of the minor unit or
        // another currency may not.
        let all = price_cart_with_loyalty(SEK, &lines, None, Some(&sek("150"))).unwrap();
        assert!(all.total.is_zero());
        let err = price_cart_with_loyalty(SEK, &lines, None, Some(&sek("150.01"))).unwrap_err();
        assert_eq!(err.code(), "invalid_loyalty_discount");
        assert_eq!(
            err.to_string(),
            "the loyalty discount of 150.01 SEK cannot be given: the lines come to 150.00 SEK after their other discounts, and a loyalty discount must be whole minor units from 0 to that"
        );
        for bad in [sek("-1"), Money::new(dec("0.005"), SEK)] {
            let err = price_cart_with_loyalty(SEK, &lines, None, Some(&bad)).unwrap_err();
            assert_eq!(err.code(), "invalid_loyalty_discount", "{bad}");
        }
        let err = price_cart_with_loyalty(SEK, &lines, None, Some(&Money::from_minor(100, NOK))).unwrap_err();
        assert_eq!(err.code(), "currency_mismatch");
    }
}
