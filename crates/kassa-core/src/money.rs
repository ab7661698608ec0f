//! An exact amount of money in one currency.

use std::borrow::Borrow;
use std::fmt;
use std::ops::Neg;
use std::str::FromStr;

use rust_decimal::{Decimal, RoundingStrategy};
use serde::ser::SerializeStruct;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::currency::{Currency, UnknownCurrency};
use crate::text::{self, DecimalTextError};

/// An amount of money: an exact decimal together with its currency.
///
/// The amount may carry more decimals than the currency's minor unit (a unit price, or
/// a quantity times a price before rounding); [`Money::to_minor`] refuses such values
/// and [`Money::round_to_minor`] rounds them. Amounts of different currencies are never
/// combined.
///
/// Serialized as `{"amount":"12.50","currency":"SEK"}` with the amount as a string, so no
/// JSON reader turns it into a float.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Money {
    amount: Decimal,
    currency: Currency,
}

/// What went wrong building or combining [`Money`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    /// Two amounts in different currencies were combined.
    #[error("cannot combine an amount in {left} with one in {right}")]
    CurrencyMismatch {
        /// The currency of the left-hand (or expected) amount.
        left: Currency,
        /// The currency of the amount that did not match it.
        right: Currency,
    },
    /// A text is not an acceptable amount.
    #[error("invalid amount {input:?}: {reason}")]
    InvalidAmount {
        /// The text as given.
        input: String,
        /// What exactly is wrong with it.
        reason: DecimalTextError,
    },
    /// A text is not of the form `"<amount> <currency code>"`.
    #[error("invalid money {input:?}: expected an amount and a currency code, such as \"12.50 SEK\"")]
    InvalidMoneyText {
        /// The text as given.
        input: String,
    },
    /// The currency code of a money text is not supported.
    #[error(transparent)]
    UnknownCurrency(#[from] UnknownCurrency),
    /// An amount has more decimals than its currency's minor unit.
    #[error("{amount} {currency} is not a whole number of minor units ({} decimals)", .currency.minor_units())]
    NotMinorExact {
        /// The amount as held.
        amount: Decimal,
        /// Its currency.
        currency: Currency,
    },
    /// A result is too large to represent.
    #[error("amount out of range while {operation}")]
    Overflow {
        /// What was being computed, for the message.
        operation: &'static str,
    },
}

impl MoneyError {
    /// A stable, machine-readable name for the kind of error, for callers (and the UI)
    /// that must classify errors without matching message text.
    pub fn code(&self) -> &'static str {
        match self {
            MoneyError::CurrencyMismatch { .. } => "currency_mismatch",
            MoneyError::InvalidAmount { .. } => "invalid_amount",
            MoneyError::InvalidMoneyText { .. } => "invalid_money_text",
            MoneyError::UnknownCurrency(_) => "unknown_currency",
            MoneyError::NotMinorExact { .. } => "not_minor_exact",
            MoneyError::Overflow { .. } => "overflow",
        }
    }
}

/// Which texts [`Money`] accepts.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Syntax {
    /// Typed or imported amounts: whole minor units that fit the database.
    Entry,
    /// Serialized [`Money`]: anything a `Money` can hold, so every value reads back as
    /// itself.
    Wire,
}

/// `10^exp` for the small exponents that minor units and Decimal scales use.
fn pow10(exp: u32) -> Option<i128> {
    10i128.checked_pow(exp)
}

impl Money {
    /// An amount in a currency, kept exactly as given (no rounding).
    pub const fn new(amount: Decimal, currency: Currency) -> Money {
        Money { amount, currency }
    }

    /// Zero in `currency`.
    pub const fn zero(currency: Currency) -> Money {
        Money::new(Decimal::ZERO, currency)
    }

    /// An amount given in minor units, e.g. `from_minor(1250, SEK)` is 12.50 SEK.
    pub fn from_minor(minor: i64, currency: Currency) -> Money {
        // An i64 always fits Decimal's 96-bit mantissa and minor units are at most a
        // handful of digits, far below Decimal's limit of 28.
        Money::new(
            Decimal::from_i128_with_scale(i128::from(minor), currency.minor_units()),
            currency,
        )
    }

    /// The exact amount.
    pub const fn amount(&self) -> Decimal {
        self.amount
    }

    /// The currency.
    pub const fn currency(&self) -> Currency {
        self.currency
    }

    /// The amount in minor units, e.g. 1250 for 12.50 SEK: how SQLite stores it.
    ///
    /// Fails with [`MoneyError::NotMinorExact`] rather than rounding when the amount has
    /// finer decimals, and with [`MoneyError::Overflow`] when it does not fit an i64.
    pub fn to_minor(&self) -> Result<i64, MoneyError> {
        let overflow = MoneyError::Overflow {
            operation: "converting to minor units",
        };
        let units = self.currency.minor_units();
        let mantissa = self.amount.mantissa();
        let scale = self.amount.scale();
        let minor = if scale <= units {
            pow10(units - scale)
                .and_then(|f| mantissa.checked_mul(f))
                .ok_or(overflow.clone())?
        } else {
            let divisor = pow10(scale - units).ok_or(overflow.clone())?;
            if mantissa % divisor != 0 {
                return Err(MoneyError::NotMinorExact {
                    amount: self.amount,
                    currency: self.currency,
                });
            }
            mantissa / divisor
        };
        i64::try_from(minor).map_err(|_| overflow)
    }

    /// Whether the amount is a whole number of minor units.
    pub fn is_minor_exact(&self) -> bool {
        self.amount.normalize().scale() <= self.currency.minor_units()
    }

    /// The amount rounded to the minor unit, midpoints away from zero (12.345 → 12.35,
    /// -12.345 → -12.35).
    pub fn round_to_minor(&self) -> Money {
        let mut amount = self.amount.round_dp_with_strategy(
            self.currency.minor_units(),
            RoundingStrategy::MidpointAwayFromZero,
        );
        // -0.004 rounds to a negative zero; keep it out of Debug output and stored text.
        if amount.is_zero() {
            amount.set_sign_positive(true);
        }
        Money::new(amount, self.currency)
    }

    fn same_currency(&self, other: &Money) -> Result<(), MoneyError> {
        if self.currency == other.currency {
            Ok(())
        } else {
            Err(MoneyError::CurrencyMismatch {
                left: self.currency,
                right: other.currency,
            })
        }
    }

    /// `self + other`, refusing amounts in different currencies.
    pub fn checked_add(&self, other: &Money) -> Result<Money, MoneyError> {
        self.same_currency(other)?;
        let amount = self
            .amount
            .checked_add(other.amount)
            .ok_or(MoneyError::Overflow { operation: "adding" })?;
        Ok(Money::new(amount, self.currency))
    }

    /// `self - other`, refusing amounts in different currencies.
    pub fn checked_sub(&self, other: &Money) -> Result<Money, MoneyError> {
        self.same_currency(other)?;
        let amount = self
            .amount
            .checked_sub(other.amount)
            .ok_or(MoneyError::Overflow {
                operation: "subtracting",
            })?;
        Ok(Money::new(amount, self.currency))
    }

    /// The amount times a quantity (say 1.5 kg at 12.99 SEK/kg), not rounded: round the
    /// line total with [`Money::round_to_minor`] where the business rule says so.
    pub fn times(&self, quantity: Decimal) -> Result<Money, MoneyError> {
        let amount = self.amount.checked_mul(quantity).ok_or(MoneyError::Overflow {
            operation: "multiplying",
        })?;
        Ok(Money::new(amount, self.currency))
    }

    /// The sum of `items`, all of which must be in `currency`; zero when there are none.
    pub fn sum<I>(items: I, currency: Currency) -> Result<Money, MoneyError>
    where
        I: IntoIterator,
        I::Item: Borrow<Money>,
    {
        items.into_iter().try_fold(Money::zero(currency), |total, item| {
            total.checked_add(item.borrow())
        })
    }

    /// Whether the amount is zero.
    pub fn is_zero(&self) -> bool {
        self.amount.is_zero()
    }

    /// Whether the amount is below zero (negative zero is not).
    pub fn is_negative(&self) -> bool {
        self.amount < Decimal::ZERO
    }

    /// Whether the amount is above zero.
    pub fn is_positive(&self) -> bool {
        self.amount > Decimal::ZERO
    }

    /// Parses an amount such as `"12.50"`, `"-3"` or `"1234.5"` in `currency`.
    ///
    /// Surrounding whitespace is ignored. Refused, each with a specific reason: more
    /// decimals than the currency's minor unit, exponents, digit grouping, decimal
    /// commas, a leading '+', and amounts whose minor units do not fit an i64.
    pub fn parse(text: &str, currency: Currency) -> Result<Money, MoneyError> {
        Money::parse_in(text, currency, Syntax::Entry)
    }

    fn parse_in(text: &str, currency: Currency, syntax: Syntax) -> Result<Money, MoneyError> {
        let invalid = |reason| MoneyError::InvalidAmount {
            input: text.to_owned(),
            reason,
        };
        let units = currency.minor_units();
        let max_decimals = match syntax {
            Syntax::Entry => units,
            Syntax::Wire => u32::MAX,
        };
        let mut amount = text::parse_decimal(text, max_decimals).map_err(invalid)?;
        if syntax == Syntax::Entry {
            // Everything Kassa stores is INTEGER minor units, so an amount that cannot
            // be stored is refused at the door rather than failing later inside a
            // transaction.
            let lowest = Decimal::from_i128_with_scale(i128::from(i64::MIN), units);
            let highest = Decimal::from_i128_with_scale(i128::from(i64::MAX), units);
            if amount < lowest || amount > highest {
                return Err(invalid(DecimalTextError::OutOfRange));
            }
            // Canonical scale, so the Decimal is the same however it was typed; within
            // the i64 range this cannot overflow.
            amount.rescale(units);
        }
        Ok(Money::new(amount, currency))
    }

    /// The amount alone, exactly, with at least the currency's minor-unit decimals
    /// (`"12.50"`, `"-3.00"`, `"0.125"`).
    pub fn amount_string(&self) -> String {
        text::format_decimal(self.amount, self.currency.minor_units())
    }
}

impl Neg for Money {
    type Output = Money;

    fn neg(self) -> Money {
        let mut amount = -self.amount;
        if amount.is_zero() {
            amount.set_sign_positive(true);
        }
        Money::new(amount, self.currency)
    }
}

impl Neg for &Money {
    type Output = Money;

    fn neg(self) -> Money {
        -*self
    }
}

impl fmt::Display for Money {
    /// `"12.50 SEK"`: exactly the currency's minor-unit decimals, or more only when the
    /// amount really has them (an unrounded `0.125 SEK` is not shown as `0.13 SEK`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.amount_string(), self.currency)
    }
}

impl FromStr for Money {
    type Err = MoneyError;

    /// Parses `"12.50 SEK"`: an amount as [`Money::parse`] takes it, whitespace, and an
    /// upper-case currency code.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let mut parts = s.split_whitespace();
        let (Some(amount), Some(code), None) = (parts.next(), parts.next(), parts.next()) else {
            return Err(MoneyError::InvalidMoneyText { input: s.to_owned() });
        };
        let currency: Currency = code.parse()?;
        Money::parse(amount, currency)
    }
}

impl Serialize for Money {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut s = serializer.serialize_struct("Money", 2)?;
        s.serialize_field("amount", &self.amount_string())?;
        s.serialize_field("currency", &self.currency)?;
        s.end()
    }
}

/// The wire shape; a `String` amount makes serde refuse JSON numbers outright.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MoneyWire {
    amount: String,
    currency: Currency,
}

impl<'de> Deserialize<'de> for Money {
    /// Reads the amount string exactly, with the same syntax as [`Money::parse`] but
    /// without its limits on decimals and size: [`Money`] itself may hold such values
    /// (an unrounded line total), and a serialized value must read back as itself.
    /// [`Money::to_minor`] still refuses them where they would be stored.
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let wire = MoneyWire::deserialize(deserializer)?;
        Money::parse_in(&wire.amount, wire.currency, Syntax::Wire).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Currency::*;

    fn dec(text: &str) -> Decimal {
        text.parse().unwrap()
    }

    fn sek(text: &str) -> Money {
        Money::new(dec(text), SEK)
    }

    #[test]
    fn minor_units_round_trip() {
        let m = Money::from_minor(1250, SEK);
        assert_eq!(m.amount(), dec("12.50"));
        assert_eq!(m.currency(), SEK);
        assert_eq!(m.to_minor(), Ok(1250));
        assert_eq!(Money::from_minor(-5, EUR).to_minor(), Ok(-5));
        assert_eq!(Money::from_minor(i64::MAX, USD).to_minor(), Ok(i64::MAX));
        assert_eq!(Money::from_minor(i64::MIN, USD).to_minor(), Ok(i64::MIN));
        assert_eq!(sek("12.5").to_minor(), Ok(1250));
        assert_eq!(sek("3").to_minor(), Ok(300));
        assert_eq!(sek("12.3400000").to_minor(), Ok(1234));
    }

    #[test]
    fn to_minor_refuses_to_round_or_overflow() {
        assert_eq!(
            sek("12.345").to_minor(),
            Err(MoneyError::NotMinorExact {
                amount: dec("12.345"),
                currency: SEK
            })
        );
        let huge = sek("100000000000000000000");
        assert_eq!(huge.to_minor().unwrap_err().code(), "overflow");
        assert_eq!(
            Money::new(Decimal::MAX, SEK).to_minor().unwrap_err().code(),
            "overflow"
        );
        assert!(!sek("0.001").is_minor_exact());
        assert!(sek("0.100").is_minor_exact());
    }

    #[test]
    fn rounds_half_away_from_zero() {
        assert_eq!(sek("12.345").round_to_minor(), sek("12.35"));
        assert_eq!(sek("-12.345").round_to_minor(), sek("-12.35"));
        assert_eq!(sek("12.344999").round_to_minor(), sek("12.34"));
        assert_eq!(sek("0.005").round_to_minor(), sek("0.01"));
        assert_eq!(sek("-0.005").round_to_minor(), sek("-0.01"));
        assert_eq!(sek("7").round_to_minor(), sek("7"));
        let zero = sek("-0.004").round_to_minor();
        assert!(zero.is_zero() && !zero.amount().is_sign_negative());
    }

    #[test]
    fn arithmetic_stays_in_one_currency() {
        assert_eq!(sek("12.50").checked_add(&sek("0.55")), Ok(sek("13.05")));
        assert_eq!(sek("12.50").checked_sub(&sek("20")), Ok(sek("-7.50")));
        let err = sek("1").checked_add(&Money::new(dec("1"), EUR)).unwrap_err();
        assert_eq!(
            err,
            MoneyError::CurrencyMismatch {
                left: SEK,
                right: EUR
            }
        );
        assert_eq!(err.to_string(), "cannot combine an amount in SEK with one in EUR");
        assert!(sek("1").checked_sub(&Money::zero(NOK)).is_err());
        let max = Money::new(Decimal::MAX, SEK);
        assert_eq!(max.checked_add(&sek("1")).unwrap_err().code(), "overflow");
        assert_eq!((-max).checked_sub(&sek("1")).unwrap_err().code(), "overflow");
    }

    #[test]
    fn times_is_exact_and_unrounded() {
        assert_eq!(sek("12.99").times(dec("1.5")), Ok(sek("19.485")));
        assert_eq!(sek("10").times(dec("-2")), Ok(sek("-20")));
        let max = Money::new(Decimal::MAX, SEK);
        assert_eq!(max.times(dec("2")).unwrap_err().code(), "overflow");
    }

    #[test]
    fn sum_requires_one_currency() {
        let items = [sek("1.10"), sek("2.20"), sek("-0.30")];
        assert_eq!(Money::sum(items.iter(), SEK), Ok(sek("3.00")));
        assert_eq!(Money::sum(items, SEK), Ok(sek("3")));
        assert_eq!(Money::sum(Vec::<Money>::new(), DKK), Ok(Money::zero(DKK)));
        let mixed = [sek("1"), Money::from_minor(1, NOK)];
        assert_eq!(
            Money::sum(mixed.iter(), SEK),
            Err(MoneyError::CurrencyMismatch {
                left: SEK,
                right: NOK
            })
        );
        assert!(Money::sum(items.iter(), EUR).is_err());
    }

    #[test]
    fn signs() {
        assert!(Money::zero(SEK).is_zero());
        assert!(sek("-0.01").is_negative());
        assert!(sek("0.01").is_positive());
        let negated = -Money::zero(SEK);
        assert!(negated.is_zero() && !negated.is_negative());
        assert_eq!(negated.to_string(), "0.00 SEK");
        assert_eq!(-sek("5"), sek("-5"));
        assert_eq!(-&sek("-5"), sek("5"));
    }

    #[test]
    fn parses_amounts() {
        assert_eq!(Money::parse("12.50", SEK), Ok(sek("12.50")));
        assert_eq!(Money::parse("-3", SEK), Ok(sek("-3")));
        assert_eq!(Money::parse("1234.5", SEK), Ok(sek("1234.5")));
        assert_eq!(Money::parse("  7.05\n", DKK), Ok(Money::from_minor(705, DKK)));
        assert_eq!(
            Money::parse("92233720368547758.07", SEK),
            Ok(Money::from_minor(i64::MAX, SEK))
        );
        assert_eq!(
            Money::parse("-92233720368547758.08", SEK),
            Ok(Money::from_minor(i64::MIN, SEK))
        );
        // Canonical scale, so the stored Decimal looks the same however it was typed.
        assert_eq!(Money::parse("1234.5", SEK).unwrap().amount().scale(), 2);
    }

    #[test]
    fn refuses_bad_amounts_with_a_reason() {
        let reason = |text: &str| match Money::parse(text, SEK) {
            Err(MoneyError::InvalidAmount { input, reason }) => {
                assert_eq!(input, text);
                reason
            }
            other => panic!("{text:?} gave {other:?}"),
        };
        assert_eq!(
            reason("12.345"),
            DecimalTextError::TooManyDecimals { max: 2, found: 3 }
        );
        assert_eq!(reason("1e3"), DecimalTextError::Exponent);
        assert_eq!(reason(""), DecimalTextError::Empty);
        assert_eq!(reason("abc"), DecimalTextError::InvalidCharacter('a'));
        assert_eq!(reason("+5"), DecimalTextError::LeadingPlus);
        assert_eq!(reason("1,234.50"), DecimalTextError::Separator(','));
        assert_eq!(reason("12,50"), DecimalTextError::Separator(','));
        assert_eq!(reason("92233720368547758.08"), DecimalTextError::OutOfRange);
        assert_eq!(reason("-92233720368547758.09"), DecimalTextError::OutOfRange);
        let message = Money::parse("12.345", SEK).unwrap_err().to_string();
        assert_eq!(
            message,
            "invalid amount \"12.345\": it has 3 decimals but at most 2 are allowed"
        );
    }

    #[test]
    fn parses_and_displays_money_text() {
        assert_eq!("12.50 SEK".parse::<Money>(), Ok(sek("12.50")));
        assert_eq!(" -3 EUR ".parse::<Money>(), Ok(Money::new(dec("-3"), EUR)));
        assert_eq!(sek("12.5").to_string(), "12.50 SEK");
        assert_eq!(sek("-3").to_string(), "-3.00 SEK");
        assert_eq!(Money::from_minor(5, CHF).to_string(), "0.05 CHF");
        assert_eq!(sek("19.485").to_string(), "19.485 SEK");
    }

    #[test]
    fn refuses_bad_money_text() {
        let err = "12.345 SEK".parse::<Money>().unwrap_err();
        assert_eq!(err.code(), "invalid_amount");
        assert!(matches!(
            "12.50 XYZ".parse::<Money>(),
            Err(MoneyError::UnknownCurrency(UnknownCurrency(code))) if code == "XYZ"
        ));
        assert_eq!(
            "12.50 sek".parse::<Money>().unwrap_err().code(),
            "unknown_currency"
        );
        for bad in ["", "12.50", "SEK", "12.50 SEK extra", "12.50SEK"] {
            assert_eq!(
                bad.parse::<Money>(),
                Err(MoneyError::InvalidMoneyText {
                    input: bad.to_owned()
                }),
                "{bad:?}"
            );
        }
        assert_eq!(
            "SEK 12.50".parse::<Money>().unwrap_err().code(),
            "unknown_currency"
        );
        assert_eq!("1e3 SEK".parse::<Money>().unwrap_err().code(), "invalid_amount");
    }

    #[test]
    fn serde_uses_a_string_amount() {
        let json = serde_json::to_string(&sek("12.5")).unwrap();
        assert_eq!(json, r#"{"amount":"12.50","currency":"SEK"}"#);
        let back: Money = serde_json::from_str(&json).unwrap();
        assert_eq!(back, sek("12.50"));

        let unrounded = sek("19.485");
        let json = serde_json::to_string(&unrounded).unwrap();
        assert_eq!(json, r#"{"amount":"19.485","currency":"SEK"}"#);
        assert_eq!(serde_json::from_str::<Money>(&json).unwrap(), unrounded);

        // Too large to store, but still a Money, so it must read back as itself.
        let huge = Money::new(Decimal::MAX, EUR);
        let json = serde_json::to_string(&huge).unwrap();
        assert_eq!(serde_json::from_str::<Money>(&json).unwrap(), huge);
    }

    #[test]
    fn serde_refuses_numbers_and_sloppy_input() {
        for bad in [
            r#"{"amount":12.5,"currency":"SEK"}"#,
            r#"{"amount":1250,"currency":"SEK"}"#,
            r#"{"amount":"1e3","currency":"SEK"}"#,
            r#"{"amount":"","currency":"SEK"}"#,
            r#"{"amount":"12.50","currency":"sek"}"#,
            r#"{"amount":"12.50"}"#,
            r#"{"amount":"12.50","currency":"SEK","extra":1}"#,
            r#""12.50 SEK""#,
        ] {
            assert!(serde_json::from_str::<Money>(bad).is_err(), "{bad}");
        }
        let err = serde_json::from_str::<Money>(r#"{"amount":"1,5","currency":"SEK"}"#).unwrap_err();
        assert!(err.to_string().contains("decimal separator"), "{err}");
    }
}
