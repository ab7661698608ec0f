//! Cash rounding: what a customer paying in notes and coins actually hands over.

use rust_decimal::Decimal;

use crate::currency::Currency;
use crate::money::Money;

/// Rounds totals paid in cash to a multiple of the smallest coin in use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct CashRounding {
    step: Decimal,
}

/// A cash rounding step that is zero or negative.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("invalid cash rounding step {step}: it must be greater than zero")]
pub struct InvalidCashStep {
    /// The step as given.
    pub step: Decimal,
}

/// A total after cash rounding, with the adjustment to show on the receipt.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct CashRounded {
    /// The amount to be paid in cash: a multiple of the step.
    pub rounded: Money,
    /// `rounded - original`; positive when the customer pays more.
    pub adjustment: Money,
}

impl CashRounding {
    /// Rounding to multiples of `step`, which must be positive.
    pub fn new(step: Decimal) -> Result<CashRounding, InvalidCashStep> {
        if step > Decimal::ZERO {
            Ok(CashRounding {
                step: step.normalize(),
            })
        } else {
            Err(InvalidCashStep { step })
        }
    }

    /// The usual cash rounding of a currency (see [`Currency::default_cash_step`]).
    pub fn for_currency(currency: Currency) -> CashRounding {
        CashRounding {
            step: currency.default_cash_step().normalize(),
        }
    }

    /// The step totals are rounded to.
    pub fn step(&self) -> Decimal {
        self.step
    }

    /// Rounds `total` to the nearest multiple of the step, midpoints away from zero, so
    /// a refund rounds the same way as the sale it reverses.
    ///
    /// # Panics
    ///
    /// Only if `total` lies within one step of the largest value a `Decimal` can hold,
    /// far beyond any amount [`Money::parse`] or [`Money::from_minor`] produce.
    pub fn apply(&self, total: &Money) -> CashRounded {
        let amount = total.amount();
        // Work from the remainder rather than dividing by the step: the remainder is
        // exact and small, so the adjustment is too, and only the final addition can
        // reach Decimal's limits.
        let remainder = amount % self.step;
        let adjustment = if remainder.abs() * Decimal::TWO >= self.step {
            let away = if remainder.is_sign_negative() {
                -self.step
            } else {
                self.step
            };
            away - remainder
        } else {
            -remainder
        };
        let rounded = amount
            .checked_add(adjustment)
            .expect("cash rounding overflowed Decimal; amounts that large are refused on entry");
        let currency = total.currency();
        CashRounded {
            rounded: tidy(Money::new(rounded, currency)),
            adjustment: tidy(Money::new(adjustment, currency)),
        }
    }
}

/// Gives the result at least the currency's scale and never a negative zero, so it
/// compares, prints and stores like any other amount.
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

#[cfg(test)]
mod tests {
    use super::*;
    use Currency::*;

    fn dec(text: &str) -> Decimal {
        text.parse().unwrap()
    }

    fn round(step: &str, amount: &str, currency: Currency) -> (String, String) {
        let r = CashRounding::new(dec(step))
            .unwrap()
            .apply(&Money::new(dec(amount), currency));
        (r.rounded.to_string(), r.adjustment.to_string())
    }

    fn pair(rounded: &str, adjustment: &str) -> (String, String) {
        (rounded.to_owned(), adjustment.to_owned())
    }

    #[test]
    fn rounds_to_whole_kronor() {
        assert_eq!(round("1", "12.49", SEK), pair("12.00 SEK", "-0.49 SEK"));
        assert_eq!(round("1", "12.50", SEK), pair("13.00 SEK", "0.50 SEK"));
        assert_eq!(round("1", "12.51", SEK), pair("13.00 SEK", "0.49 SEK"));
        assert_eq!(round("1", "12.00", SEK), pair("12.00 SEK", "0.00 SEK"));
    }

    #[test]
    fn negative_totals_round_away_from_zero_like_their_sales() {
        assert_eq!(round("1", "-12.50", SEK), pair("-13.00 SEK", "-0.50 SEK"));
        assert_eq!(round("1", "-12.49", SEK), pair("-12.00 SEK", "0.49 SEK"));
        assert_eq!(round("0.5", "-0.24", DKK), pair("0.00 DKK", "0.24 DKK"));
    }

    #[test]
    fn other_steps() {
        assert_eq!(round("0.50", "7.24", DKK), pair("7.00 DKK", "-0.24 DKK"));
        assert_eq!(round("0.50", "7.25", DKK), pair("7.50 DKK", "0.25 DKK"));
        assert_eq!(round("0.05", "1.025", CHF), pair("1.05 CHF", "0.025 CHF"));
        assert_eq!(round("0.05", "1.02", CHF), pair("1.00 CHF", "-0.02 CHF"));
        assert_eq!(round("0.05", "1.03", CAD), pair("1.05 CAD", "0.02 CAD"));
        assert_eq!(round("0.01", "1.03", EUR), pair("1.03 EUR", "0.00 EUR"));
        assert_eq!(round("10", "1234.56", NOK), pair("1230.00 NOK", "-4.56 NOK"));
    }

    #[test]
    fn default_steps_follow_the_currency() {
        assert_eq!(CashRounding::for_currency(SEK).step(), dec("1"));
        assert_eq!(CashRounding::for_currency(DKK).step(), dec("0.5"));
        let r = CashRounding::for_currency(NOK).apply(&Money::from_minor(9950, NOK));
        assert_eq!(r.rounded, Money::from_minor(10000, NOK));
        assert_eq!(r.adjustment, Money::from_minor(50, NOK));
    }

    #[test]
    fn refuses_zero_and_negative_steps() {
        assert_eq!(
            CashRounding::new(Decimal::ZERO),
            Err(InvalidCashStep { step: Decimal::ZERO })
        );
        let err = CashRounding::new(dec("-0.5")).unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid cash rounding step -0.5: it must be greater than zero"
        );
    }
}
