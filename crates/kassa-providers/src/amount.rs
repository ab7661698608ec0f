//! Amounts on the wire, read and written exactly.
//!
//! Providers send amounts as JSON numbers (`19.80`, `4200.5`, `685`). Read the usual way,
//! serde_json turns them into `f64` first, and `840.1` is then no longer `840.1`. Its
//! `arbitrary_precision` feature would fix that, but it changes how every crate in the
//! build handles numbers and breaks internally tagged and flattened enums holding
//! non-integer numbers (serde-json issues 505, 721, 1108). So each amount field is read as
//! the number's raw text ([`RawValue`], serde_json's `raw_value` feature, which changes
//! nothing else) and parsed with `Decimal::from_str`; and written back as a raw number
//! token built from the decimal's own digits.
//!
//! Use with serde's `with` attribute:
//!
//! ```
//! use rust_decimal::Decimal;
//! use serde::{Deserialize, Serialize};
//!
//! #[derive(Serialize, Deserialize)]
//! struct Order {
//!     #[serde(with = "kassa_providers::amount::number")]
//!     amount: Decimal,
//!     #[serde(default, with = "kassa_providers::amount::option_number")]
//!     paid: Option<Decimal>,
//! }
//!
//! let order: Order = serde_json::from_str(r#"{"amount": 840.1, "paid": null}"#).unwrap();
//! assert_eq!(order.amount.to_string(), "840.1");
//! assert_eq!(serde_json::to_string(&order).unwrap(), r#"{"amount":840.1,"paid":null}"#);
//! ```

use std::str::FromStr;

use kassa_core::{Currency, Money};
use rust_decimal::Decimal;
use serde_json::value::RawValue;

/// Why a JSON value is not an acceptable amount.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AmountError {
    /// The value is not a JSON number (a string, `null` where one is required, an object...).
    #[error("expected a number, found {found}")]
    NotANumber {
        /// The value's text, shortened.
        found: String,
    },
    /// A number too large or too precise for a `Decimal` (28 significant digits).
    #[error("the number {text} is out of range for an amount")]
    OutOfRange {
        /// The number as sent.
        text: String,
    },
    /// More decimals than the currency has minor units: `19.805 SEK`.
    #[error("{field}: {amount} {currency} has more than {} decimals", .currency.minor_units())]
    NotMinorExact {
        /// The field it was read from, as the document names it.
        field: &'static str,
        /// The amount as sent.
        amount: Decimal,
        /// The currency it was checked against.
        currency: Currency,
    },
}

/// Parses the text of one JSON value as an exact decimal amount.
pub fn parse_number_text(text: &str) -> Result<Decimal, AmountError> {
    let text = text.trim();
    let is_number = text
        .chars()
        .next()
        .is_some_and(|c| c == '-' || c.is_ascii_digit());
    if !is_number {
        let mut found: String = text.chars().take(40).collect();
        if found.len() < text.len() {
            found.push('…');
        }
        return Err(AmountError::NotANumber { found });
    }
    let parsed = if text.contains(['e', 'E']) {
        Decimal::from_scientific(text)
    } else {
        Decimal::from_str(text)
    };
    parsed.map_err(|_| AmountError::OutOfRange {
        text: text.to_owned(),
    })
}

/// The JSON number token for `amount`: its own digits, no exponent, no float step.
pub fn number_token(amount: Decimal) -> Box<RawValue> {
    RawValue::from_string(amount.to_string()).expect("a Decimal's text is always a valid JSON number")
}

/// `amount` as money in `currency`, refused if it has more decimals than the currency.
pub fn to_money(field: &'static str, amount: Decimal, currency: Currency) -> Result<Money, AmountError> {
    let money = Money::new(amount, currency);
    if money.is_minor_exact() {
        Ok(money)
    } else {
        Err(AmountError::NotMinorExact {
            field,
            amount,
            currency,
        })
    }
}

/// A `Decimal` carried as a JSON number.
pub mod number {
    use rust_decimal::Decimal;
    use serde::{Deserialize, Deserializer, Serialize, Serializer, de::Error as _};
    use serde_json::value::RawValue;

    /// Reads the number from its own text.
    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Decimal, D::Error> {
        let raw = <&RawValue>::deserialize(deserializer)?;
        super::parse_number_text(raw.get()).map_err(D::Error::custom)
    }

    /// Writes the decimal's digits as a number token.
    pub fn serialize<S: Serializer>(amount: &Decimal, serializer: S) -> Result<S::Ok, S::Error> {
        super::number_token(*amount).serialize(serializer)
    }
}

/// An optional `Decimal` carried as a JSON number or `null` (use with `#[serde(default)]`
/// where the field may be absent).
pub mod option_number {
    use rust_decimal::Decimal;
    use serde::{Deserialize, Deserializer, Serialize, Serializer, de::Error as _};
    use serde_json::value::RawValue;

    /// Reads the number from its own text; `null` is `None`.
    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<Decimal>, D::Error> {
        let raw = Option::<&RawValue>::deserialize(deserializer)?;
        match raw {
            None => Ok(None),
            Some(raw) if raw.get().trim() == "null" => Ok(None),
            Some(raw) => super::parse_number_text(raw.get())
                .map(Some)
                .map_err(D::Error::custom),
        }
    }

    /// Writes the decimal's digits as a number token, or `null`.
    pub fn serialize<S: Serializer>(amount: &Option<Decimal>, serializer: S) -> Result<S::Ok, S::Error> {
        amount.map(super::number_token).serialize(serializer)
    }
}

/// A `Decimal` carried as a JSON string holding a number (`"19.80"`), for the fields a
/// document sends that way.
pub mod string {
    use rust_decimal::Decimal;
    use serde::{Deserialize, Deserializer, Serializer, de::Error as _};

    /// Reads the number inside the string.
    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Decimal, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        super::parse_number_text(&text).map_err(D::Error::custom)
    }

    /// Writes the decimal's digits as a string.
    pub fn serialize<S: Serializer>(amount: &Decimal, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(amount)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::{Deserialize, Serialize};

    #[derive(Debug, Serialize, Deserialize, PartialEq)]
    struct Body {
        #[serde(with = "number")]
        amount: Decimal,
        #[serde(default, with = "option_number")]
        paid: Option<Decimal>,
        #[serde(with = "string")]
        text: Decimal,
    }

    #[test]
    fn amounts_keep_their_digits_both_ways() {
        for digits in [
            "0.1",
            "4200.5",
            "840.1",
            "19.80",
            "685",
            "-12.50",
            "0.01",
            "99999999.99",
        ] {
            let json = format!(r#"{{"amount":{digits},"paid":{digits},"text":"{digits}"}}"#);
            let body: Body = serde_json::from_str(&json).unwrap();
            assert_eq!(body.amount.to_string(), digits);
            assert_eq!(body.paid.unwrap().to_string(), digits);
            assert_eq!(body.text.to_string(), digits);
            assert_eq!(serde_json::to_string(&body).unwrap(), json);
        }
    }

    #[test]
    fn an_exponent_is_read_exactly() {
        let body: Body = serde_json::from_str(r#"{"amount":1.5e2,"text":"2E-2"}"#).unwrap();
        assert_eq!(body.amount, Decimal::new(150, 0));
        assert_eq!(body.text, Decimal::new(2, 2));
        assert_eq!(body.paid, None);
    }

    #[test]
    fn what_is_not_a_number_is_named() {
        let error = serde_json::from_str::<Body>(r#"{"amount":"19.80","text":"1"}"#).unwrap_err();
        assert!(
            error.to_string().contains("expected a number, found \"19.80\""),
            "{error}"
        );
        let error = serde_json::from_str::<Body>(r#"{"amount":1,"text":"abc"}"#).unwrap_err();
        assert!(
            error.to_string().contains("expected a number, found abc"),
            "{error}"
        );
        let error = serde_json::from_str::<Body>(r#"{"amount":1e40,"text":"1"}"#).unwrap_err();
        assert!(error.to_string().contains("out of range"), "{error}");
    }

    #[test]
    fn minor_units_are_checked_per_currency() {
        let ok = to_money("amount", Decimal::new(1980, 2), Currency::SEK).unwrap();
        assert_eq!(ok.to_string(), "19.80 SEK");
        let error = to_money("amount", Decimal::new(19805, 3), Currency::SEK).unwrap_err();
        assert_eq!(error.to_string(), "amount: 19.805 SEK has more than 2 decimals");
    }
}
