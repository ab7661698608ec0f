//! VAT: rates, and Kassa's one rule for computing it.
//!
//! **The rule:** VAT is computed once per rate, on the gross total of that rate's lines,
//! rounded half away from zero to the minor unit; net is gross minus VAT. Computing it
//! per line and summing would let rounding drift the total VAT by up to half a minor
//! unit per line, and the receipt, the Z report and the SAF-T export would disagree.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use rust_decimal::Decimal;
use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::currency::Currency;
use crate::money::{Money, MoneyError};
use crate::text::{self, DecimalTextError};

/// The most decimals a rate may have. Real rates have at most one or two (12.5, 8.1);
/// the bound keeps the exact integer arithmetic below well inside i128.
const MAX_RATE_DECIMALS: u32 = 4;

/// A VAT rate in percent, from 0 to 100 inclusive, e.g. `25` or `12.5`.
///
/// Ordered by value; serialized as a string such as `"12.5"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct VatRate(Decimal);

/// A VAT rate that is malformed or outside 0..=100 percent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid VAT rate {input:?}: {reason}")]
pub struct InvalidVatRate {
    /// The rate as given.
    pub input: String,
    /// What is wrong with it.
    pub reason: InvalidVatRateReason,
}

/// Why a VAT rate was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum InvalidVatRateReason {
    /// The text is not a plain decimal number.
    #[error(transparent)]
    Text(#[from] DecimalTextError),
    /// Below zero.
    #[error("a VAT rate cannot be negative")]
    Negative,
    /// Above one hundred percent.
    #[error("a VAT rate cannot exceed 100 percent")]
    AboveHundred,
}

impl VatRate {
    /// Zero-rated (or exempt) goods and services.
    pub const ZERO: VatRate = VatRate(Decimal::ZERO);

    /// A rate of `percent` percent.
    pub fn new(percent: Decimal) -> Result<VatRate, InvalidVatRate> {
        let invalid = |reason| InvalidVatRate {
            input: percent.to_string(),
            reason,
        };
        if percent < Decimal::ZERO {
            return Err(invalid(InvalidVatRateReason::Negative));
        }
        if percent > Decimal::ONE_HUNDRED {
            return Err(invalid(InvalidVatRateReason::AboveHundred));
        }
        let normalized = percent.normalize();
        if normalized.scale() > MAX_RATE_DECIMALS {
            return Err(invalid(InvalidVatRateReason::Text(
                DecimalTextError::TooManyDecimals {
                    max: MAX_RATE_DECIMALS,
                    found: normalized.scale(),
                },
            )));
        }
        Ok(VatRate(normalized))
    }

    /// The rate in percent (25 for 25 %).
    pub fn percent(&self) -> Decimal {
        self.0
    }

    /// The VAT contained in a VAT-inclusive amount: `gross * rate / (100 + rate)`,
    /// rounded half away from zero to the minor unit.
    ///
    /// # Panics
    ///
    /// Only for amounts beyond about 10^26, which [`Money::parse`] never produces.
    pub fn vat_in_gross(&self, gross: &Money) -> Money {
        let (p, hundred) = self.as_ratio();
        scaled_round(gross, p, hundred + p)
    }

    /// The VAT-exclusive part of a VAT-inclusive amount: `gross - vat_in_gross(gross)`.
    ///
    /// # Panics
    ///
    /// As [`VatRate::vat_in_gross`].
    pub fn net_from_gross(&self, gross: &Money) -> Money {
        let vat = self.vat_in_gross(gross);
        gross
            .checked_sub(&vat)
            .expect("net is smaller than gross and in its currency")
    }

    /// The VAT on a VAT-exclusive amount: `net * rate / 100`, rounded half away from
    /// zero to the minor unit.
    ///
    /// # Panics
    ///
    /// As [`VatRate::vat_in_gross`].
    pub fn vat_on_net(&self, net: &Money) -> Money {
        let (p, hundred) = self.as_ratio();
        scaled_round(net, p, hundred)
    }

    /// A VAT-exclusive amount plus its VAT: `net + vat_on_net(net)`.
    ///
    /// # Panics
    ///
    /// As [`VatRate::vat_in_gross`].
    pub fn gross_from_net(&self, net: &Money) -> Money {
        let vat = self.vat_on_net(net);
        net.checked_add(&vat)
            .expect("gross of an amount accepted on entry fits a Decimal")
    }

    /// The rate as the integers `(p, h)` with `rate / 100 == p / h`.
    fn as_ratio(&self) -> (i128, i128) {
        let scale = 10i128.pow(self.0.scale());
        (self.0.mantissa(), 100 * scale)
    }
}

/// `money * mul / div`, rounded half away from zero to the currency's minor unit, in
/// exact integer arithmetic: Decimal division stops at 28 digits, and a quotient cut
/// just below a midpoint would round the wrong way.
fn scaled_round(money: &Money, mul: i128, div: i128) -> Money {
    let units = money.currency().minor_units();
    let amount = money.amount();
    let (mantissa, scale) = (amount.mantissa(), amount.scale());
    // result in minor units = mantissa / 10^scale * mul / div * 10^units
    let (num, den) = if scale >= units {
        (
            mantissa.checked_mul(mul),
            10i128.checked_pow(scale - units).and_then(|p| p.checked_mul(div)),
        )
    } else {
        (
            10i128
                .checked_pow(units - scale)
                .and_then(|p| p.checked_mul(mantissa))
                .and_then(|m| m.checked_mul(mul)),
            Some(div),
        )
    };
    let minor = num
        .zip(den)
        .map(|(num, den)| {
            let quotient = num / den;
            let remainder = num % den;
            if remainder.unsigned_abs() * 2 >= den.unsigned_abs() {
                quotient + num.signum()
            } else {
                quotient
            }
        })
        .and_then(|q| Decimal::try_from_i128_with_scale(q, units).ok())
        .expect("VAT of an amount accepted on entry fits a Decimal");
    Money::new(minor, money.currency())
}

impl fmt::Display for VatRate {
    /// The percentage without a sign: `25`, `12.5`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&text::format_decimal(self.0, 0))
    }
}

impl FromStr for VatRate {
    type Err = InvalidVatRate;

    /// Parses a percentage such as `"25"` or `"12.5"`, without a `%` sign.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let percent = text::parse_decimal(s, MAX_RATE_DECIMALS).map_err(|reason| InvalidVatRate {
            input: s.to_owned(),
            reason: reason.into(),
        })?;
        VatRate::new(percent).map_err(|e| InvalidVatRate {
            input: s.to_owned(),
            reason: e.reason,
        })
    }
}

impl Serialize for VatRate {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for VatRate {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct RateVisitor;

        impl Visitor<'_> for RateVisitor {
            type Value = VatRate;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a VAT percentage as a string, such as \"25\" or \"12.5\"")
            }

            fn visit_str<E: de::Error>(self, v: &str) -> Result<VatRate, E> {
                v.parse().map_err(E::custom)
            }
        }

        deserializer.deserialize_str(RateVisitor)
    }
}

/// The totals of one VAT rate in a [`VatBreakdown`]; `net + vat == gross` exactly.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct VatLine {
    /// The rate.
    pub rate: VatRate,
    /// The sum of the gross (VAT-inclusive) amounts of the lines at this rate.
    pub gross: Money,
    /// `gross - vat`.
    pub net: Money,
    /// `rate.vat_in_gross(gross)`.
    pub vat: Money,
}

/// The VAT of a sale, refund or report, one [`VatLine`] per rate.
///
/// Kassa's one VAT rule: VAT is computed once per rate, on the gross total of that
/// rate's lines, rounded half away from zero to the minor unit; net is gross minus VAT.
/// Per-line VAT summed would drift by up to half a minor unit per line, and the receipt,
/// the Z report and the SAF-T export would disagree.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct VatBreakdown {
    currency: Currency,
    lines: Vec<VatLine>,
    gross: Money,
    net: Money,
    vat: Money,
}

impl VatBreakdown {
    /// Groups VAT-inclusive line amounts by rate and computes each rate's VAT once, on
    /// the rate's summed gross.
    ///
    /// Refuses lines in another currency ([`MoneyError::CurrencyMismatch`]) and lines
    /// that are not whole minor units ([`MoneyError::NotMinorExact`]): a line must be
    /// rounded to what the customer is charged before its VAT can be reported.
    pub fn from_gross_lines<I>(currency: Currency, lines: I) -> Result<VatBreakdown, MoneyError>
    where
        I: IntoIterator<Item = (VatRate, Money)>,
    {
        let mut by_rate: BTreeMap<VatRate, Money> = BTreeMap::new();
        for (rate, gross) in lines {
            if gross.currency() != currency {
                return Err(MoneyError::CurrencyMismatch {
                    left: currency,
                    right: gross.currency(),
                });
            }
            gross.to_minor()?;
            let total = by_rate.entry(rate).or_insert(Money::zero(currency));
            *total = total.checked_add(&gross)?;
        }

        let lines: Vec<VatLine> = by_rate
            .into_iter()
            .rev()
            .map(|(rate, gross)| {
                let vat = rate.vat_in_gross(&gross);
                let net = gross.checked_sub(&vat)?;
                Ok(VatLine {
                    rate,
                    gross,
                    net,
                    vat,
                })
            })
            .collect::<Result<_, MoneyError>>()?;
        Ok(VatBreakdown {
            currency,
            gross: Money::sum(lines.iter().map(|l| l.gross), currency)?,
            net: Money::sum(lines.iter().map(|l| l.net), currency)?,
            vat: Money::sum(lines.iter().map(|l| l.vat), currency)?,
            lines,
        })
    }

    /// The currency of every amount in the breakdown.
    pub fn currency(&self) -> Currency {
        self.currency
    }

    /// One line per rate that occurred, highest rate first.
    pub fn rates(&self) -> &[VatLine] {
        &self.lines
    }

    /// The total of all rates' gross amounts.
    pub fn gross(&self) -> Money {
        self.gross
    }

    /// The total of all rates' net amounts.
    pub fn net(&self) -> Money {
        self.net
    }

    /// The total of all rates' VAT.
    pub fn vat(&self) -> Money {
        self.vat
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Currency::*;

    fn rate(text: &str) -> VatRate {
        text.parse().unwrap()
    }

    fn sek(minor: i64) -> Money {
        Money::from_minor(minor, SEK)
    }

    #[test]
    fn parses_rates() {
        assert_eq!(rate("25").percent(), Decimal::from(25));
        assert_eq!(rate("12.5").percent(), Decimal::new(125, 1));
        assert_eq!(rate("12.50"), rate("12.5"));
        assert_eq!(rate("0"), VatRate::ZERO);
        assert_eq!(rate("100").percent(), Decimal::ONE_HUNDRED);
        assert_eq!(rate(" 6 ").to_string(), "6");
        assert_eq!(rate("12.50").to_string(), "12.5");
        assert!(rate("25") > rate("12.5"));
    }

    #[test]
    fn refuses_bad_rates() {
        let reason = |text: &str| text.parse::<VatRate>().unwrap_err().reason;
        assert_eq!(reason("-1"), InvalidVatRateReason::Negative);
        assert_eq!(reason("-0.01"), InvalidVatRateReason::Negative);
        assert_eq!(reason("101"), InvalidVatRateReason::AboveHundred);
        assert_eq!(reason("100.01"), InvalidVatRateReason::AboveHundred);
        assert_eq!(reason(""), InvalidVatRateReason::Text(DecimalTextError::Empty));
        assert_eq!(
            reason("25%"),
            InvalidVatRateReason::Text(DecimalTextError::InvalidCharacter('%'))
        );
        assert_eq!(
            reason("2.5e1"),
            InvalidVatRateReason::Text(DecimalTextError::Exponent)
        );
        assert_eq!(
            reason("12,5"),
            InvalidVatRateReason::Text(DecimalTextError::Separator(','))
        );
        assert_eq!(
            reason("1.23456"),
            InvalidVatRateReason::Text(DecimalTextError::TooManyDecimals { max: 4, found: 5 })
        );
        let err = "101".parse::<VatRate>().unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid VAT rate \"101\": a VAT rate cannot exceed 100 percent"
        );
        assert_eq!(
            VatRate::new(Decimal::from(-6)).unwrap_err().reason,
            InvalidVatRateReason::Negative
        );
        assert_eq!(VatRate::new(Decimal::from(101)).unwrap_err().input, "101");
    }

    #[test]
    fn serde_uses_a_string() {
        assert_eq!(serde_json::to_string(&rate("12.5")).unwrap(), "\"12.5\"");
        assert_eq!(serde_json::from_str::<VatRate>("\"25\"").unwrap(), rate("25"));
        assert!(serde_json::from_str::<VatRate>("25").is_err());
        assert!(serde_json::from_str::<VatRate>("\"101\"").is_err());
    }

    #[test]
    fn vat_in_gross_rounds_half_away_from_zero() {
        // 125.00 at 25 %: exactly 25.00.
        assert_eq!(rate("25").vat_in_gross(&sek(12500)), sek(2500));
        assert_eq!(rate("25").net_from_gross(&sek(12500)), sek(10000));
        // 0.10 at 25 %: 0.02 exactly.
        assert_eq!(rate("25").vat_in_gross(&sek(10)), sek(2));
        // 0.02 at 25 %: 0.004 → 0.00; 0.03 → 0.006 → 0.01.
        assert_eq!(rate("25").vat_in_gross(&sek(2)), sek(0));
        assert_eq!(rate("25").vat_in_gross(&sek(3)), sek(1));
        // 10.60 at 6 %: exactly 0.60. 0.53 at 6 %: 0.03 exactly.
        assert_eq!(rate("6").vat_in_gross(&sek(1060)), sek(60));
        assert_eq!(rate("6").vat_in_gross(&sek(53)), sek(3));
        // A true midpoint: 0.45 at 12.5 % is 0.05 exactly; 0.09 at 12.5 % is 0.01 exactly;
        // 0.045 at 12.5 % = 0.005 → 0.01 (away from zero), and -0.005 → -0.01.
        assert_eq!(
            rate("12.5").vat_in_gross(&Money::new(Decimal::new(45, 3), SEK)),
            sek(1)
        );
        assert_eq!(
            rate("12.5").vat_in_gross(&Money::new(Decimal::new(-45, 3), SEK)),
            sek(-1)
        );
        assert_eq!(rate("25").vat_in_gross(&sek(-3)), sek(-1));
        assert_eq!(VatRate::ZERO.vat_in_gross(&sek(999)), sek(0));
        assert_eq!(rate("100").vat_in_gross(&sek(1000)), sek(500));
    }

    #[test]
    fn vat_on_net_and_back() {
        assert_eq!(rate("25").vat_on_net(&sek(10000)), sek(2500));
        assert_eq!(rate("25").gross_from_net(&sek(10000)), sek(12500));
        // 0.02 net at 25 % = 0.005 → 0.01.
        assert_eq!(rate("25").vat_on_net(&sek(2)), sek(1));
        assert_eq!(rate("25").vat_on_net(&sek(-2)), sek(-1));
        assert_eq!(rate("12.5").vat_on_net(&sek(4)), sek(1));
        assert_eq!(rate("12.5").gross_from_net(&sek(3)), sek(3));
    }

    #[test]
    fn breakdown_computes_vat_once_per_rate() {
        // Three lines of 0.03 at 25 %: per line VAT would be 0.01 each (0.03 in all), but
        // on the rate's total of 0.09 it is 0.018 → 0.02.
        let lines = [
            (rate("25"), sek(3)),
            (rate("12"), sek(11200)),
            (rate("25"), sek(3)),
            (rate("6"), sek(1060)),
            (rate("25"), sek(3)),
        ];
        let b = VatBreakdown::from_gross_lines(SEK, lines).unwrap();
        let rates: Vec<_> = b.rates().iter().map(|l| l.rate.to_string()).collect();
        assert_eq!(rates, ["25", "12", "6"]);
        let first = b.rates()[0];
        assert_eq!((first.gross, first.vat, first.net), (sek(9), sek(2), sek(7)));
        let second = b.rates()[1];
        assert_eq!(
            (second.gross, second.vat, second.net),
            (sek(11200), sek(1200), sek(10000))
        );
        let third = b.rates()[2];
        assert_eq!(
            (third.gross, third.vat, third.net),
            (sek(1060), sek(60), sek(1000))
        );
        assert_eq!(b.gross(), sek(12269));
        assert_eq!(b.vat(), sek(1262));
        assert_eq!(b.net(), sek(11007));
        assert_eq!(b.currency(), SEK);
    }

    #[test]
    fn empty_breakdown_is_zero() {
        let b = VatBreakdown::from_gross_lines(NOK, []).unwrap();
        assert!(b.rates().is_empty());
        assert_eq!(b.gross(), Money::zero(NOK));
        assert_eq!(b.vat(), Money::zero(NOK));
    }

    #[test]
    fn breakdown_refuses_foreign_and_unrounded_lines() {
        let lines = [(rate("25"), sek(100)), (rate("25"), Money::from_minor(100, NOK))];
        assert_eq!(
            VatBreakdown::from_gross_lines(SEK, lines),
            Err(MoneyError::CurrencyMismatch {
                left: SEK,
                right: NOK
            })
        );
        let unrounded = [(rate("25"), Money::new(Decimal::new(12345, 3), SEK))];
        assert_eq!(
            VatBreakdown::from_gross_lines(SEK, unrounded).unwrap_err().code(),
            "not_minor_exact"
        );
    }
}
