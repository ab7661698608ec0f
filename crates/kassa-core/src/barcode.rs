//! What a scanned or typed code means: a GS1 trade item number (EAN-13, EAN-8, UPC-A),
//! an in-store variable-measure EAN-13 carrying a price or a weight, or a free code.
//!
//! A misread digit must not ring up another product, so every all-digit code of a GTIN
//! length has its GS1 check digit verified before it is looked up.

use std::fmt;
use std::str::FromStr;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// The longest free code accepted. Longer input is almost always two scans run together
/// or something pasted by mistake; 48 also covers GS1-128 and Code 128 labels in use.
pub const MAX_CODE_CHARS: usize = 48;

/// What the value field of a variable-measure code holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MeasureKind {
    /// The price to charge, in minor units with two decimals (02350 = 23.50).
    Price,
    /// The weight in grams (00532 = 0.532 kg).
    Weight,
}

impl MeasureKind {
    /// The text form used in [`VariableMeasureConfig`]'s text and in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            MeasureKind::Price => "price",
            MeasureKind::Weight => "weight",
        }
    }
}

impl fmt::Display for MeasureKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Which in-store prefixes (GS1 restricted circulation numbers 20–29) carry a price or a
/// weight in their value field.
///
/// The [`Default`] is 20, 21 and 22 for price and 23, 24 and 25 for weight, the split
/// most Nordic scale and label-printer set-ups use; 26–29 stay ordinary in-store GTINs.
/// Stores whose scales print differently configure it (its text form is
/// `"20=price,23=weight"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct VariableMeasureConfig {
    /// Indexed by `prefix - 20`.
    kinds: [Option<MeasureKind>; 10],
}

/// A variable-measure configuration that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvalidMeasureConfig {
    /// A prefix outside the GS1 restricted-circulation range.
    #[error(
        "variable-measure prefix {prefix} is outside 20-29: only GS1's in-store prefixes may carry a price or weight"
    )]
    PrefixOutOfRange {
        /// The prefix given.
        prefix: u8,
    },
    /// The text form does not parse.
    #[error("invalid variable-measure setting {input:?}: {reason}; write it like \"20=price,23=weight\"")]
    Syntax {
        /// The text as given.
        input: String,
        /// What is wrong with it.
        reason: String,
    },
}

impl Default for VariableMeasureConfig {
    fn default() -> Self {
        use MeasureKind::{Price, Weight};
        VariableMeasureConfig {
            kinds: [
                Some(Price),
                Some(Price),
                Some(Price),
                Some(Weight),
                Some(Weight),
                Some(Weight),
                None,
                None,
                None,
                None,
            ],
        }
    }
}

impl VariableMeasureConfig {
    /// No variable-measure prefixes: every EAN-13 is an ordinary GTIN.
    pub const fn none() -> Self {
        VariableMeasureConfig { kinds: [None; 10] }
    }

    /// This configuration with `prefix` (20–29) carrying `kind`.
    pub fn with_prefix(mut self, prefix: u8, kind: MeasureKind) -> Result<Self, InvalidMeasureConfig> {
        self.kinds[slot(prefix)?] = Some(kind);
        Ok(self)
    }

    /// This configuration with `prefix` (20–29) an ordinary in-store GTIN.
    pub fn without_prefix(mut self, prefix: u8) -> Result<Self, InvalidMeasureConfig> {
        self.kinds[slot(prefix)?] = None;
        Ok(self)
    }

    /// What `prefix` carries, if it is configured.
    pub fn kind_of(&self, prefix: u8) -> Option<MeasureKind> {
        slot(prefix).ok().and_then(|i| self.kinds[i])
    }

    /// The configured prefixes in ascending order.
    pub fn prefixes(&self) -> impl Iterator<Item = (u8, MeasureKind)> + '_ {
        (20u8..)
            .zip(self.kinds.iter())
            .filter_map(|(p, k)| k.map(|k| (p, k)))
    }

    /// Checks and normalises a code before it is registered on a product. See
    /// [`validate_product_code`], which uses the default configuration.
    pub fn validate_product_code(&self, text: &str) -> Result<String, BarcodeError> {
        let text = text.trim();
        if text.len() == 7 && text.bytes().all(|b| b.is_ascii_digit()) && text.starts_with('2') {
            let prefix = two_digit_prefix(text);
            return match self.kind_of(prefix) {
                Some(_) => Ok(text.to_owned()),
                None => Err(BarcodeError::UnconfiguredPrefix {
                    code: text.to_owned(),
                    prefix,
                }),
            };
        }
        match Barcode::parse(text, self)? {
            Barcode::Gtin(code) | Barcode::Free(code) => Ok(code),
            Barcode::VariableMeasure { item_key, .. } => Err(BarcodeError::VariableMeasureCode {
                code: text.to_owned(),
                item_key,
            }),
        }
    }
}

fn slot(prefix: u8) -> Result<usize, InvalidMeasureConfig> {
    if (20..=29).contains(&prefix) {
        Ok(usize::from(prefix - 20))
    } else {
        Err(InvalidMeasureConfig::PrefixOutOfRange { prefix })
    }
}

impl fmt::Display for VariableMeasureConfig {
    /// `"20=price,21=price,23=weight"`; empty when nothing is configured.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, (prefix, kind)) in self.prefixes().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            write!(f, "{prefix}={kind}")?;
        }
        Ok(())
    }
}

impl FromStr for VariableMeasureConfig {
    type Err = InvalidMeasureConfig;

    /// Parses the [`Display`](fmt::Display) form; an empty text configures nothing.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let syntax = |reason: String| InvalidMeasureConfig::Syntax {
            input: s.to_owned(),
            reason,
        };
        let mut config = VariableMeasureConfig::none();
        for entry in s.split(',').map(str::trim).filter(|e| !e.is_empty()) {
            let (prefix, kind) = entry
                .split_once('=')
                .ok_or_else(|| syntax(format!("{entry:?} has no '='")))?;
            let prefix: u8 = prefix
                .trim()
                .parse()
                .map_err(|_| syntax(format!("{:?} is not a prefix number", prefix.trim())))?;
            let kind = match kind.trim() {
                "price" => MeasureKind::Price,
                "weight" => MeasureKind::Weight,
                other => return Err(syntax(format!("{other:?} is neither price nor weight"))),
            };
            if config.kind_of(prefix).is_some() {
                return Err(syntax(format!("prefix {prefix} is given twice")));
            }
            config = config.with_prefix(prefix, kind)?;
        }
        Ok(config)
    }
}

/// A scanned or typed code, classified.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Barcode {
    /// A GS1 trade item number with a valid check digit: 13 digits (EAN-13, and UPC-A
    /// with its leading 0) or 8 digits (EAN-8).
    Gtin(String),
    /// An in-store EAN-13 `PP IIIII VVVVV C` with a price or weight in it.
    VariableMeasure {
        /// `PP` + `IIIII`, the 7 digits a variable-measure product is registered under.
        item_key: String,
        /// What the value field holds.
        kind: MeasureKind,
        /// The price in major units (23.50) or the weight in kilograms (0.532).
        value: Decimal,
    },
    /// Any other code: an internal label, a Code 128 or QR text.
    Free(String),
}

/// Why a code was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BarcodeError {
    /// Nothing but whitespace.
    #[error("the code is empty; scan the item again or type its code")]
    Empty,
    /// Longer than [`MAX_CODE_CHARS`].
    #[error(
        "the code is {length} characters long, but at most {max} are allowed; check that two scans did not run together"
    )]
    TooLong {
        /// Its length in characters.
        length: usize,
        /// The most allowed.
        max: usize,
    },
    /// A control character (tab, newline, GS…) inside the code.
    #[error(
        "the code has the control character U+{code_point:04X} at position {position}; scan it again, or check the scanner does not send control codes"
    )]
    ControlCharacter {
        /// 1-based position in the trimmed code, in characters.
        position: usize,
        /// The character's Unicode code point.
        code_point: u32,
    },
    /// An EAN-13, EAN-8 or UPC-A whose check digit is wrong: a misread or a typo.
    #[error("barcode {code} has check digit {found}, but it should be {expected}; rescan or type it again")]
    CheckDigit {
        /// The code as given.
        code: String,
        /// Its last digit.
        found: u8,
        /// The check digit its other digits call for.
        expected: u8,
    },
    /// A variable-measure code whose value is zero.
    #[error("barcode {code} carries a {kind} of zero; weigh or label the item again")]
    ZeroMeasure {
        /// The code as given.
        code: String,
        /// What the zero was meant to be.
        kind: MeasureKind,
    },
    /// A full variable-measure code given where a product code is registered.
    #[error(
        "{code} is a variable-measure code with a price or weight built in; register the product under its item key {item_key} instead"
    )]
    VariableMeasureCode {
        /// The code as given.
        code: String,
        /// What to register instead.
        item_key: String,
    },
    /// A 7-digit item key whose prefix carries neither price nor weight here.
    #[error(
        "{code} looks like a variable-measure item key, but prefix {prefix} is not configured for price or weight; configure the prefix or use another code"
    )]
    UnconfiguredPrefix {
        /// The code as given.
        code: String,
        /// Its first two digits.
        prefix: u8,
    },
}

impl BarcodeError {
    /// A stable, machine-readable name for the kind of error.
    pub fn code(&self) -> &'static str {
        match self {
            BarcodeError::Empty => "empty",
            BarcodeError::TooLong { .. } => "too_long",
            BarcodeError::ControlCharacter { .. } => "control_character",
            BarcodeError::CheckDigit { .. } => "check_digit",
            BarcodeError::ZeroMeasure { .. } => "zero_measure",
            BarcodeError::VariableMeasureCode { .. } => "variable_measure_code",
            BarcodeError::UnconfiguredPrefix { .. } => "unconfigured_prefix",
        }
    }
}

/// The GS1 check digit for `digits_without_check` (any length): weights 3, 1, 3, …
/// from the rightmost digit, and the digit that brings the sum to a multiple of ten.
///
/// # Panics
///
/// If `digits_without_check` holds anything but ASCII digits: callers check that first.
pub fn gtin_check_digit(digits_without_check: &str) -> u8 {
    let sum: u32 = digits_without_check
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| {
            assert!(b.is_ascii_digit(), "gtin_check_digit takes ASCII digits only");
            let weight = if i % 2 == 0 { 3 } else { 1 };
            u32::from(b - b'0') * weight
        })
        .sum();
    // `sum % 10` is below 10, so the result is a single digit.
    ((10 - sum % 10) % 10) as u8
}

/// Checks and normalises a code before it is registered on a product, with the default
/// [`VariableMeasureConfig`]:
/// - EAN-13, EAN-8 and UPC-A must have a valid check digit; UPC-A becomes its 13-digit
///   GTIN, so the scanner's either form finds the product;
/// - a 7-digit `2xIIIII` is a variable-measure item key, accepted only when prefix `2x`
///   is configured;
/// - a full variable-measure EAN-13 is refused (its value part changes from item to
///   item), naming the item key to register instead;
/// - anything else is a free code, under the same rules as [`Barcode::parse`].
pub fn validate_product_code(text: &str) -> Result<String, BarcodeError> {
    VariableMeasureConfig::default().validate_product_code(text)
}

impl Barcode {
    /// Classifies a scanned or typed code; surrounding whitespace (a scanner's Enter) is
    /// ignored.
    pub fn parse(text: &str, config: &VariableMeasureConfig) -> Result<Barcode, BarcodeError> {
        let text = text.trim();
        if text.is_empty() {
            return Err(BarcodeError::Empty);
        }
        let length = text.chars().count();
        if length > MAX_CODE_CHARS {
            return Err(BarcodeError::TooLong {
                length,
                max: MAX_CODE_CHARS,
            });
        }
        if let Some((i, c)) = text.chars().enumerate().find(|(_, c)| c.is_control()) {
            return Err(BarcodeError::ControlCharacter {
                position: i + 1,
                code_point: u32::from(c),
            });
        }
        if !text.bytes().all(|b| b.is_ascii_digit()) || ![8, 12, 13].contains(&text.len()) {
            return Ok(Barcode::Free(text.to_owned()));
        }

        let (body, check) = text.split_at(text.len() - 1);
        let found = check.as_bytes()[0] - b'0';
        let expected = gtin_check_digit(body);
        if found != expected {
            return Err(BarcodeError::CheckDigit {
                code: text.to_owned(),
                found,
                expected,
            });
        }
        match text.len() {
            8 => Ok(Barcode::Gtin(text.to_owned())),
            // A leading zero leaves the check digit unchanged (it adds nothing to the
            // weighted sum), so UPC-A and its GTIN-13 are the same number.
            12 => Ok(Barcode::Gtin(format!("0{text}"))),
            _ => match config.kind_of(two_digit_prefix(text)) {
                Some(kind) => variable_measure(text, kind),
                None => Ok(Barcode::Gtin(text.to_owned())),
            },
        }
    }

    /// The string products are looked up by: the GTIN, the variable-measure item key, or
    /// the free code.
    pub fn lookup_key(&self) -> &str {
        match self {
            Barcode::Gtin(code) | Barcode::Free(code) => code,
            Barcode::VariableMeasure { item_key, .. } => item_key,
        }
    }
}

/// The first two digits of an all-digit code of at least two digits.
fn two_digit_prefix(digits: &str) -> u8 {
    let b = digits.as_bytes();
    (b[0] - b'0') * 10 + (b[1] - b'0')
}

/// Splits a checked 13-digit `PP IIIII VVVVV C` code.
fn variable_measure(code: &str, kind: MeasureKind) -> Result<Barcode, BarcodeError> {
    let raw: i64 = code[7..12]
        .parse()
        .expect("five ASCII digits always parse as an integer");
    if raw == 0 {
        return Err(BarcodeError::ZeroMeasure {
            code: code.to_owned(),
            kind,
        });
    }
    // The price field is two decimals whatever the store's currency: that is how the
    // scales print it, and every currency Kassa trades in has two.
    let scale = match kind {
        MeasureKind::Price => 2,
        MeasureKind::Weight => 3,
    };
    Ok(Barcode::VariableMeasure {
        item_key: code[..7].to_owned(),
        kind,
        value: Decimal::new(raw, scale),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn parse(text: &str) -> Result<Barcode, BarcodeError> {
        Barcode::parse(text, &VariableMeasureConfig::default())
    }

    fn gtin(code: &str) -> Barcode {
        Barcode::Gtin(code.to_owned())
    }

    #[test]
    fn check_digits_of_published_examples() {
        // GS1's and the barcode literature's worked examples, each recomputed by hand.
        assert_eq!(gtin_check_digit("400638133393"), 1); // EAN-13 4006381333931
        assert_eq!(gtin_check_digit("7351353"), 7); // EAN-8 73513537
        assert_eq!(gtin_check_digit("03600029145"), 2); // UPC-A 036000291452
        assert_eq!(gtin_check_digit("590123412345"), 7); // EAN-13 5901234123457
        assert_eq!(gtin_check_digit("9638507"), 4); // EAN-8 96385074
        assert_eq!(gtin_check_digit(""), 0);
    }

    #[test]
    fn valid_gtins_parse() {
        assert_eq!(parse("4006381333931"), Ok(gtin("4006381333931")));
        assert_eq!(parse("5901234123457"), Ok(gtin("5901234123457")));
        assert_eq!(parse("7310865004703"), Ok(gtin("7310865004703")));
        assert_eq!(parse("73513537"), Ok(gtin("73513537")));
        assert_eq!(parse("96385074"), Ok(gtin("96385074")));
    }

    #[test]
    fn upc_a_and_its_ean_13_are_the_same_product() {
        let upc = parse("036000291452").unwrap();
        let ean = parse("0036000291452").unwrap();
        assert_eq!(upc, gtin("0036000291452"));
        assert_eq!(upc, ean);
        assert_eq!(upc.lookup_key(), "0036000291452");
        assert_eq!(validate_product_code("036000291452").unwrap(), "0036000291452");
    }

    #[test]
    fn wrong_check_digits_are_refused_with_the_right_digit() {
        let err = parse("7310865004701").unwrap_err();
        assert_eq!(
            err,
            BarcodeError::CheckDigit {
                code: "7310865004701".into(),
                found: 1,
                expected: 3
            }
        );
        assert_eq!(
            err.to_string(),
            "barcode 7310865004701 has check digit 1, but it should be 3; rescan or type it again"
        );
        assert_eq!(err.code(), "check_digit");
        assert!(matches!(
            parse("73513538"),
            Err(BarcodeError::CheckDigit { expected: 7, .. })
        ));
        assert!(matches!(
            parse("036000291453"),
            Err(BarcodeError::CheckDigit { expected: 2, .. })
        ));
        // Variable-measure codes are checked too.
        assert!(matches!(
            parse("2012345023506"),
            Err(BarcodeError::CheckDigit { expected: 5, .. })
        ));
    }

    #[test]
    fn variable_price_codes() {
        assert_eq!(gtin_check_digit("201234502350"), 5);
        let code = parse("2012345023505").unwrap();
        assert_eq!(
            code,
            Barcode::VariableMeasure {
                item_key: "2012345".into(),
                kind: MeasureKind::Price,
                value: Decimal::new(2350, 2)
            }
        );
        assert_eq!(code.lookup_key(), "2012345");
        let Barcode::VariableMeasure { value, .. } = code else {
            unreachable!()
        };
        assert_eq!(value.to_string(), "23.50");
    }

    #[test]
    fn variable_weight_codes() {
        assert_eq!(gtin_check_digit("231234500532"), 8);
        let code = parse(" 2312345005328\r\n").unwrap();
        let Barcode::VariableMeasure {
            item_key,
            kind,
            value,
        } = code
        else {
            panic!("not variable: {code:?}")
        };
        assert_eq!((item_key.as_str(), kind), ("2312345", MeasureKind::Weight));
        assert_eq!(value.to_string(), "0.532");
    }

    #[test]
    fn zero_measure_is_refused() {
        let body = "201234500000";
        let code = format!("{body}{}", gtin_check_digit(body));
        assert_eq!(
            parse(&code).unwrap_err().to_string(),
            format!("barcode {code} carries a price of zero; weigh or label the item again")
        );
    }

    #[test]
    fn unconfigured_prefixes_are_plain_gtins() {
        let body = "261234502350";
        let code = format!("{body}{}", gtin_check_digit(body));
        assert_eq!(parse(&code), Ok(gtin(&code)));
        let none = VariableMeasureConfig::none();
        assert_eq!(Barcode::parse("2012345023505", &none), Ok(gtin("2012345023505")));
        let custom = none.with_prefix(26, MeasureKind::Weight).unwrap();
        assert!(matches!(
            Barcode::parse(&code, &custom),
            Ok(Barcode::VariableMeasure {
                kind: MeasureKind::Weight,
                ..
            })
        ));
    }

    #[test]
    fn free_codes() {
        assert_eq!(parse("ABC-123"), Ok(Barcode::Free("ABC-123".into())));
        assert_eq!(
            parse("  Kaffe bönor 500g "),
            Ok(Barcode::Free("Kaffe bönor 500g".into()))
        );
        // All digits, but not a GTIN length: no check digit to verify.
        assert_eq!(parse("12345"), Ok(Barcode::Free("12345".into())));
        assert_eq!(
            parse("12345678901234"),
            Ok(Barcode::Free("12345678901234".into()))
        );
        assert_eq!(parse("2012345"), Ok(Barcode::Free("2012345".into())));
        let max = "ö".repeat(MAX_CODE_CHARS);
        assert_eq!(parse(&max), Ok(Barcode::Free(max.clone())));
    }

    #[test]
    fn empty_long_and_control_codes_are_refused() {
        assert_eq!(parse(""), Err(BarcodeError::Empty));
        assert_eq!(parse(" \t\r\n"), Err(BarcodeError::Empty));
        assert_eq!(
            parse(&"x".repeat(49)),
            Err(BarcodeError::TooLong { length: 49, max: 48 })
        );
        let err = parse("0104\u{1d}1234").unwrap_err();
        assert_eq!(
            err,
            BarcodeError::ControlCharacter {
                position: 5,
                code_point: 0x1d
            }
        );
        assert_eq!(
            err.to_string(),
            "the code has the control character U+001D at position 5; scan it again, or check the scanner does not send control codes"
        );
    }

    #[test]
    fn product_codes_for_the_catalog() {
        assert_eq!(validate_product_code(" 4006381333931 ").unwrap(), "4006381333931");
        assert_eq!(validate_product_code("73513537").unwrap(), "73513537");
        assert_eq!(validate_product_code("2012345").unwrap(), "2012345");
        assert_eq!(validate_product_code("2512345").unwrap(), "2512345");
        assert_eq!(validate_product_code("SKU-9").unwrap(), "SKU-9");
        assert_eq!(validate_product_code("1234567").unwrap(), "1234567");
        assert_eq!(
            validate_product_code("2612345"),
            Err(BarcodeError::UnconfiguredPrefix {
                code: "2612345".into(),
                prefix: 26
            })
        );
        assert_eq!(
            validate_product_code("2012345023505"),
            Err(BarcodeError::VariableMeasureCode {
                code: "2012345023505".into(),
                item_key: "2012345".into()
            })
        );
        assert!(matches!(
            validate_product_code("4006381333932"),
            Err(BarcodeError::CheckDigit { .. })
        ));
        let custom = VariableMeasureConfig::none()
            .with_prefix(29, MeasureKind::Price)
            .unwrap();
        assert_eq!(custom.validate_product_code("2912345").unwrap(), "2912345");
        assert!(custom.validate_product_code("2012345").is_err());
    }

    #[test]
    fn config_text_round_trips_and_refuses_nonsense() {
        let default = VariableMeasureConfig::default();
        assert_eq!(
            default.to_string(),
            "20=price,21=price,22=price,23=weight,24=weight,25=weight"
        );
        assert_eq!(default.to_string().parse(), Ok(default));
        assert_eq!("".parse(), Ok(VariableMeasureConfig::none()));
        assert_eq!(
            " 28 = weight "
                .parse::<VariableMeasureConfig>()
                .unwrap()
                .kind_of(28),
            Some(MeasureKind::Weight)
        );
        assert_eq!(
            "19=price".parse::<VariableMeasureConfig>(),
            Err(InvalidMeasureConfig::PrefixOutOfRange { prefix: 19 })
        );
        for bad in ["20", "2x=price", "20=volume", "20=price,20=weight"] {
            assert!(
                matches!(
                    bad.parse::<VariableMeasureConfig>(),
                    Err(InvalidMeasureConfig::Syntax { .. })
                ),
                "{bad}"
            );
        }
        assert_eq!(default.kind_of(30), None);
        assert_eq!(default.without_prefix(20).unwrap().kind_of(20), None);
    }

    proptest! {
        #[test]
        fn computed_check_digit_parses_and_any_single_change_fails(
            digits in proptest::collection::vec(0u8..10, 12),
            position in 0usize..13,
            delta in 1u8..10,
        ) {
            let body: String = digits.iter().map(|d| char::from(b'0' + d)).collect();
            let code = format!("{body}{}", gtin_check_digit(&body));
            let config = VariableMeasureConfig::none();
            prop_assert_eq!(Barcode::parse(&code, &config), Ok(Barcode::Gtin(code.clone())));

            // GS1's weights 1 and 3 are both coprime with 10, so every single-digit
            // change moves the weighted sum off a multiple of ten.
            let mut changed = code.into_bytes();
            changed[position] = b'0' + (changed[position] - b'0' + delta) % 10;
            let changed = String::from_utf8(changed).unwrap();
            let is_check_digit_error = matches!(
                Barcode::parse(&changed, &config),
                Err(BarcodeError::CheckDigit { .. })
            );
            prop_assert!(is_check_digit_error, "{} was accepted", changed);
        }
    }
}
