//! Countries, as ISO 3166-1 alpha-2 codes.

use std::fmt;
use std::str::FromStr;

use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The 249 officially assigned ISO 3166-1 alpha-2 codes, sorted for binary search.
///
/// User-assigned codes such as `XK` and reserved ones such as `UK` are deliberately
/// absent: tax authorities and providers reject them.
static CODES: &[&str] = &[
    "AD", "AE", "AF", "AG", "AI", "AL", "AM", "AO", "AQ", "AR", "AS", "AT", "AU", "AW", "AX", "AZ", "BA",
    "BB", "BD", "BE", "BF", "BG", "BH", "BI", "BJ", "BL", "BM", "BN", "BO", "BQ", "BR", "BS", "BT", "BV",
    "BW", "BY", "BZ", "CA", "CC", "CD", "CF", "CG", "CH", "CI", "CK", "CL", "CM", "CN", "CO", "CR", "CU",
    "CV", "CW", "CX", "CY", "CZ", "DE", "DJ", "DK", "DM", "DO", "DZ", "EC", "EE", "EG", "EH", "ER", "ES",
    "ET", "FI", "FJ", "FK", "FM", "FO", "FR", "GA", "GB", "GD", "GE", "GF", "GG", "GH", "GI", "GL", "GM",
    "GN", "GP", "GQ", "GR", "GS", "GT", "GU", "GW", "GY", "HK", "HM", "HN", "HR", "HT", "HU", "ID", "IE",
    "IL", "IM", "IN", "IO", "IQ", "IR", "IS", "IT", "JE", "JM", "JO", "JP", "KE", "KG", "KH", "KI", "KM",
    "KN", "KP", "KR", "KW", "KY", "KZ", "LA", "LB", "LC", "LI", "LK", "LR", "LS", "LT", "LU", "LV", "LY",
    "MA", "MC", "MD", "ME", "MF", "MG", "MH", "MK", "ML", "MM", "MN", "MO", "MP", "MQ", "MR", "MS", "MT",
    "MU", "MV", "MW", "MX", "MY", "MZ", "NA", "NC", "NE", "NF", "NG", "NI", "NL", "NO", "NP", "NR", "NU",
    "NZ", "OM", "PA", "PE", "PF", "PG", "PH", "PK", "PL", "PM", "PN", "PR", "PS", "PT", "PW", "PY", "QA",
    "RE", "RO", "RS", "RU", "RW", "SA", "SB", "SC", "SD", "SE", "SG", "SH", "SI", "SJ", "SK", "SL", "SM",
    "SN", "SO", "SR", "SS", "ST", "SV", "SX", "SY", "SZ", "TC", "TD", "TF", "TG", "TH", "TJ", "TK", "TL",
    "TM", "TN", "TO", "TR", "TT", "TV", "TW", "TZ", "UA", "UG", "UM", "US", "UY", "UZ", "VA", "VC", "VE",
    "VG", "VI", "VN", "VU", "WF", "WS", "YE", "YT", "ZA", "ZM", "ZW",
];

/// A country, holding a validated ISO 3166-1 alpha-2 code such as `SE`.
///
/// Serialized as the code string.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Country(&'static str);

impl Country {
    /// Sweden.
    pub const SE: Country = Country("SE");
    /// Denmark.
    pub const DK: Country = Country("DK");
    /// Norway.
    pub const NO: Country = Country("NO");

    /// The two-letter upper-case code.
    pub const fn code(self) -> &'static str {
        self.0
    }

    /// Every officially assigned country, sorted by code.
    pub fn all() -> impl ExactSizeIterator<Item = Country> {
        CODES.iter().map(|code| Country(code))
    }
}

impl fmt::Display for Country {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

/// A text that is not an officially assigned ISO 3166-1 alpha-2 code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", describe_unknown(.0))]
pub struct UnknownCountry(pub String);

fn describe_unknown(given: &str) -> String {
    let mut message = format!(
        "unknown country {given:?}: expected an officially assigned ISO 3166-1 alpha-2 code \
         in upper case, such as SE, DK or NO"
    );
    let upper = given.to_ascii_uppercase();
    if upper != given && CODES.binary_search(&upper.as_str()).is_ok() {
        message.push_str(&format!(" (did you mean {upper}?)"));
    }
    message
}

impl FromStr for Country {
    type Err = UnknownCountry;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        CODES
            .binary_search(&s)
            .map(|i| Country(CODES[i]))
            .map_err(|_| UnknownCountry(s.to_owned()))
    }
}

impl Serialize for Country {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.0)
    }
}

impl<'de> Deserialize<'de> for Country {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct CodeVisitor;

        impl Visitor<'_> for CodeVisitor {
            type Value = Country;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an ISO 3166-1 alpha-2 country code such as \"SE\"")
            }

            fn visit_str<E: de::Error>(self, v: &str) -> Result<Country, E> {
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
    fn list_has_249_sorted_unique_two_letter_codes() {
        assert_eq!(CODES.len(), 249);
        assert!(CODES.windows(2).all(|w| w[0] < w[1]), "not strictly sorted");
        assert!(
            CODES
                .iter()
                .all(|c| c.len() == 2 && c.bytes().all(|b| b.is_ascii_uppercase()))
        );
        assert_eq!(Country::all().len(), 249);
    }

    #[test]
    fn parses_assigned_codes() {
        for code in ["SE", "DK", "NO", "FI", "AX", "GB", "ZW", "AD", "SS", "BQ"] {
            assert_eq!(code.parse::<Country>().unwrap().code(), code);
        }
        assert_eq!("SE".parse::<Country>(), Ok(Country::SE));
        assert_eq!("DK".parse::<Country>(), Ok(Country::DK));
        assert_eq!("NO".parse::<Country>(), Ok(Country::NO));
    }

    #[test]
    fn rejects_unassigned_lower_case_and_malformed_codes() {
        for bad in ["XK", "UK", "EU", "se", "Se", "SWE", "S", "", " SE", "S1"] {
            let err = bad.parse::<Country>().unwrap_err();
            assert_eq!(err, UnknownCountry(bad.to_owned()));
            assert!(err.to_string().contains(&format!("{bad:?}")), "{err}");
        }
        let err = "se".parse::<Country>().unwrap_err();
        assert!(err.to_string().contains("did you mean SE?"), "{err}");
    }

    #[test]
    fn serde_uses_the_code_string() {
        assert_eq!(serde_json::to_string(&Country::NO).unwrap(), "\"NO\"");
        assert_eq!(serde_json::from_str::<Country>("\"DK\"").unwrap(), Country::DK);
        assert!(serde_json::from_str::<Country>("\"dk\"").is_err());
        assert!(serde_json::from_str::<Country>("208").is_err());
    }
}
