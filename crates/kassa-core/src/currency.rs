//! The currencies Kassa can trade in, as ISO 4217 codes.

use std::fmt;
use std::str::FromStr;

use rust_decimal::Decimal;
use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A currency Kassa supports, named by its ISO 4217 alphabetic code.
///
/// Serialized as the code string (`"SEK"`), which is also what SQLite stores.
// The ISO codes are what every receipt, provider document and accountant uses, so the
// variants keep them verbatim rather than being renamed to Rust's casing.
#[allow(clippy::upper_case_acronyms)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Currency {
    /// Swedish krona.
    SEK,
    /// Danish krone.
    DKK,
    /// Norwegian krone.
    NOK,
    /// Euro.
    EUR,
    /// Canadian dollar.
    CAD,
    /// US dollar.
    USD,
    /// Pound sterling.
    GBP,
    /// Swiss franc.
    CHF,
    /// Polish złoty.
    PLN,
}

impl Currency {
    /// Every supported currency, in declaration order.
    pub const ALL: &'static [Currency] = &[
        Currency::SEK,
        Currency::DKK,
        Currency::NOK,
        Currency::EUR,
        Currency::CAD,
        Currency::USD,
        Currency::GBP,
        Currency::CHF,
        Currency::PLN,
    ];

    /// The ISO 4217 numeric code (752 for SEK), which card terminals use.
    pub const fn numeric(self) -> u16 {
        match self {
            Currency::SEK => 752,
            Currency::DKK => 208,
            Currency::NOK => 578,
            Currency::EUR => 978,
            Currency::CAD => 124,
            Currency::USD => 840,
            Currency::GBP => 826,
            Currency::CHF => 756,
            Currency::PLN => 985,
        }
    }

    /// The ISO 4217 alphabetic code, e.g. `"SEK"`.
    pub const fn code(self) -> &'static str {
        match self {
            Currency::SEK => "SEK",
            Currency::DKK => "DKK",
            Currency::NOK => "NOK",
            Currency::EUR => "EUR",
            Currency::CAD => "CAD",
            Currency::USD => "USD",
            Currency::GBP => "GBP",
            Currency::CHF => "CHF",
            Currency::PLN => "PLN",
        }
    }

    /// The number of decimal digits of the currency's minor unit (ISO 4217 "E").
    pub const fn minor_units(self) -> u32 {
        // All supported currencies happen to have two, but a future one (JPY: 0,
        // KWD: 3) will not, so nothing may assume 2.
        match self {
            Currency::SEK
            | Currency::DKK
            | Currency::NOK
            | Currency::EUR
            | Currency::CAD
            | Currency::USD
            | Currency::GBP
            | Currency::CHF
            | Currency::PLN => 2,
        }
    }

    /// One minor unit as an amount, e.g. `0.01` for SEK.
    pub fn minor_unit(self) -> Decimal {
        Decimal::new(1, self.minor_units())
    }

    /// The smallest step cash is paid in, used as the default cash rounding step.
    ///
    /// Sweden and Norway have no coins below one krona, Denmark none below 50 øre,
    /// and Switzerland and Canada round cash to 0.05. Elsewhere cash is exact.
    pub fn default_cash_step(self) -> Decimal {
        match self {
            Currency::SEK | Currency::NOK => Decimal::new(100, 2),
            Currency::DKK => Decimal::new(50, 2),
            Currency::CHF | Currency::CAD => Decimal::new(5, 2),
            Currency::EUR | Currency::USD | Currency::GBP | Currency::PLN => self.minor_unit(),
        }
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// A text that is not the code of a supported currency.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", describe_unknown(.0))]
pub struct UnknownCurrency(pub String);

fn describe_unknown(given: &str) -> String {
    let supported: Vec<&str> = Currency::ALL.iter().map(|c| c.code()).collect();
    let mut message = format!(
        "unknown currency {given:?}: supported ISO 4217 codes are {}",
        supported.join(", ")
    );
    // Codes are matched exactly, so point out the near miss instead of leaving the
    // reader to spot the case difference.
    let upper = given.to_ascii_uppercase();
    if upper != given && supported.contains(&upper.as_str()) {
        message.push_str(&format!(" (codes are upper case: did you mean {upper}?)"));
    }
    message
}

impl FromStr for Currency {
    type Err = UnknownCurrency;

    /// Parses an upper-case ISO 4217 code. Case and surrounding spaces are not
    /// forgiven: a code that reaches here should already be canonical.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Currency::ALL
            .iter()
            .copied()
            .find(|c| c.code() == s)
            .ok_or_else(|| UnknownCurrency(s.to_owned()))
    }
}

impl Serialize for Currency {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.code())
    }
}

impl<'de> Deserialize<'de> for Currency {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct CodeVisitor;

        impl Visitor<'_> for CodeVisitor {
            type Value = Currency;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an ISO 4217 currency code such as \"SEK\"")
            }

            fn visit_str<E: de::Error>(self, v: &str) -> Result<Currency, E> {
                v.parse().map_err(E::custom)
            }
        }

        deserializer.deserialize_str(CodeVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_through_text_and_json() {
        for &c in Currency::ALL {
            assert_eq!(c.code().parse::<Currency>(), Ok(c));
            assert_eq!(c.to_string(), c.code());
            let json = serde_json::to_string(&c).unwrap();
            assert_eq!(json, format!("\"{}\"", c.code()));
            assert_eq!(serde_json::from_str::<Currency>(&json).unwrap(), c);
        }
    }

    #[test]
    fn all_lists_every_currency_once() {
        let mut codes: Vec<&str> = Currency::ALL.iter().map(|c| c.code()).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), 9);
    }

    #[test]
    fn unknown_code_names_the_input_and_the_supported_codes() {
        let err = "XYZ".parse::<Currency>().unwrap_err();
        assert_eq!(err, UnknownCurrency("XYZ".into()));
        let message = err.to_string();
        assert!(message.contains("\"XYZ\""), "{message}");
        assert!(
            message.contains("SEK, DKK, NOK, EUR, CAD, USD, GBP, CHF, PLN"),
            "{message}"
        );
    }

    #[test]
    fn codes_are_case_sensitive_and_not_trimmed() {
        let err = "sek".parse::<Currency>().unwrap_err();
        assert!(err.to_string().contains("did you mean SEK?"), "{err}");
        assert!(" SEK".parse::<Currency>().is_err());
        assert!("".parse::<Currency>().is_err());
        assert!(serde_json::from_str::<Currency>("\"eur\"").is_err());
        assert!(serde_json::from_str::<Currency>("752").is_err());
    }

    #[test]
    fn minor_units_and_cash_steps() {
        for &c in Currency::ALL {
            assert_eq!(c.minor_units(), 2);
            assert!(c.default_cash_step() >= c.minor_unit());
        }
        assert_eq!(Currency::SEK.default_cash_step(), Decimal::new(1, 0));
        assert_eq!(Currency::NOK.default_cash_step(), Decimal::new(1, 0));
        assert_eq!(Currency::DKK.default_cash_step(), Decimal::new(5, 1));
        assert_eq!(Currency::CHF.default_cash_step(), Decimal::new(5, 2));
        assert_eq!(Currency::CAD.default_cash_step(), Decimal::new(5, 2));
        assert_eq!(Currency::EUR.default_cash_step(), Decimal::new(1, 2));
        assert_eq!(Currency::PLN.default_cash_step(), Decimal::new(1, 2));
    }
}
