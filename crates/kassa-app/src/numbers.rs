//! Numbers typed by people: amounts, weights and counts, percentages, read and written in
//! the notation of the user's locale, exactly (no float is ever involved).
//!
//! Every typed number that enters a use case goes through [`parse_amount`],
//! [`parse_quantity`] or [`parse_percent`]; every amount shown to a person can be written
//! by [`format_amount`]. Stored values and the wire keep kassa-core's one strict form
//! (`12.50`), which this module never changes.
//!
//! What a text means depends on the locale, and a text whose meaning a person could
//! reasonably misjudge is refused rather than guessed at, because a misread amount is
//! money moved:
//!
//! - the locale's decimal separator marks decimals; in Swedish, Norwegian and French,
//!   where '.' has no other meaning, '.' is read as a decimal point too (numeric keypads
//!   type it);
//! - the locale's grouping separators may split the integer part, in groups of exactly
//!   three digits after the first;
//! - a lone ',' or '.' that groups thousands in this locale but would be a decimal point
//!   in others, followed by exactly three digits (`1,234` in English, `1.234` in Danish),
//!   is ambiguous and refused wherever decimals are allowed: write `1234` or `1,234.00`.

use std::fmt;
use std::str::FromStr;

use kassa_core::org::SaleUnit;
use kassa_core::{Currency, Money};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::{AppError, ErrorCode, Language};

/// A locale's way of writing numbers. The UI itself speaks Swedish and English; the
/// others are here for the stores and spreadsheets Kassa meets (Denmark, Norway) and the
/// CLI's `--locale`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NumberLocale {
    Sv,
    Da,
    Nb,
    En,
    De,
    Fr,
}

const SPACES: &[char] = &[' ', '\u{a0}', '\u{202f}'];

impl NumberLocale {
    pub const ALL: [NumberLocale; 6] = [
        NumberLocale::Sv,
        NumberLocale::Da,
        NumberLocale::Nb,
        NumberLocale::En,
        NumberLocale::De,
        NumberLocale::Fr,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            NumberLocale::Sv => "sv",
            NumberLocale::Da => "da",
            NumberLocale::Nb => "nb",
            NumberLocale::En => "en",
            NumberLocale::De => "de",
            NumberLocale::Fr => "fr",
        }
    }

    /// The language's name in English, for messages.
    fn name(self) -> &'static str {
        match self {
            NumberLocale::Sv => "Swedish",
            NumberLocale::Da => "Danish",
            NumberLocale::Nb => "Norwegian",
            NumberLocale::En => "English",
            NumberLocale::De => "German",
            NumberLocale::Fr => "French",
        }
    }

    pub fn decimal_separator(self) -> char {
        match self {
            NumberLocale::En => '.',
            _ => ',',
        }
    }

    /// A second character read as the decimal separator: '.' where it has no other
    /// meaning, because a numeric keypad's decimal key often types it.
    fn alternative_decimal(self) -> Option<char> {
        match self {
            NumberLocale::Sv | NumberLocale::Nb | NumberLocale::Fr => Some('.'),
            NumberLocale::Da | NumberLocale::En | NumberLocale::De => None,
        }
    }

    /// The characters accepted between groups of thousands.
    fn grouping(self) -> &'static [char] {
        match self {
            NumberLocale::Sv | NumberLocale::Nb | NumberLocale::Fr => SPACES,
            NumberLocale::Da | NumberLocale::De => &['.'],
            NumberLocale::En => &[','],
        }
    }

    /// The grouping separator the formatter writes (CLDR's choice for the language).
    pub fn grouping_separator(self) -> char {
        match self {
            NumberLocale::Sv | NumberLocale::Nb => '\u{a0}',
            NumberLocale::Fr => '\u{202f}',
            NumberLocale::Da | NumberLocale::De => '.',
            NumberLocale::En => ',',
        }
    }
}

impl From<Language> for NumberLocale {
    fn from(language: Language) -> Self {
        match language {
            Language::En => NumberLocale::En,
            Language::Sv => NumberLocale::Sv,
        }
    }
}

impl fmt::Display for NumberLocale {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An unknown locale code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{0}' is not a number locale; use one of sv, da, nb, en, de, fr")]
pub struct UnknownNumberLocale(pub String);

impl FromStr for NumberLocale {
    type Err = UnknownNumberLocale;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let wanted = s.trim().to_ascii_lowercase();
        // "sv-SE", "nb_NO", "en-GB": the language decides the notation here.
        let language = wanted.split(['-', '_']).next().unwrap_or_default();
        NumberLocale::ALL
            .into_iter()
            .find(|l| l.as_str() == language || (language == "no" && *l == NumberLocale::Nb))
            .ok_or_else(|| UnknownNumberLocale(s.to_owned()))
    }
}

/// Why a typed text is not a number in a locale.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NumberError {
    #[error("it is empty")]
    Empty,
    #[error("a leading '+' is not allowed; write positive numbers without a sign")]
    LeadingPlus,
    #[error("exponent notation is not allowed; write all digits out")]
    Exponent,
    #[error("{0:?} is not part of a number")]
    InvalidCharacter(char),
    #[error("it mixes {0:?} and {1:?} as decimal separators")]
    MixedDecimalSeparators(char, char),
    #[error("it has more than one decimal separator")]
    MultipleDecimalSeparators,
    #[error("{0:?} groups thousands, in groups of three digits, and only before the decimals")]
    BadGrouping(char),
    #[error("{0:?} followed by three digits could be a decimal separator or group thousands")]
    Ambiguous(char),
    #[error("it has no digits")]
    NoDigits,
    #[error("it needs a digit before the decimal separator")]
    MissingIntegerDigits,
    #[error("it needs a digit after the decimal separator")]
    MissingFractionDigits,
    #[error("it has {found} decimals but at most {max} are allowed here")]
    TooManyDecimals { max: u32, found: u32 },
    #[error("it is too large")]
    OutOfRange,
}

/// Reads `text` as a number in `locale` with at most `max_decimals` decimals, exactly.
/// The result has no trailing zeros in its scale and is never negative zero.
pub fn parse_number(locale: NumberLocale, text: &str, max_decimals: u32) -> Result<Decimal, NumberError> {
    let text = text.trim_matches(|c: char| c.is_whitespace());
    if text.is_empty() {
        return Err(NumberError::Empty);
    }
    let (negative, unsigned) = match text.strip_prefix(['-', '\u{2212}']) {
        Some(rest) => (true, rest),
        None if text.starts_with('+') => return Err(NumberError::LeadingPlus),
        None => (false, text),
    };

    let decimal = locale.decimal_separator();
    let grouping = locale.grouping();
    let mut decimal_used = None;
    let mut decimal_at = None;
    for (i, c) in unsigned.char_indices() {
        match c {
            '0'..='9' => {}
            c if c == decimal || Some(c) == locale.alternative_decimal() => {
                match decimal_used {
                    Some(d) if d != c => return Err(NumberError::MixedDecimalSeparators(d, c)),
                    Some(_) => return Err(NumberError::MultipleDecimalSeparators),
                    None => {}
                }
                decimal_used = Some(c);
                decimal_at = Some(i);
            }
            c if grouping.contains(&c) => {
                if decimal_at.is_some() {
                    return Err(NumberError::BadGrouping(c));
                }
            }
            'e' | 'E' => return Err(NumberError::Exponent),
            _ => return Err(NumberError::InvalidCharacter(c)),
        }
    }
    let (integer, fraction) = match decimal_at {
        Some(i) => (
            &unsigned[..i],
            &unsigned[i + decimal_used.map_or(1, char::len_utf8)..],
        ),
        None => (unsigned, ""),
    };
    if integer.is_empty() && fraction.is_empty() {
        return Err(NumberError::NoDigits);
    }
    if integer.is_empty() {
        return Err(NumberError::MissingIntegerDigits);
    }
    if decimal_at.is_some() && fraction.is_empty() {
        return Err(NumberError::MissingFractionDigits);
    }

    let groups: Vec<&str> = integer.split(|c| grouping.contains(&c)).collect();
    if groups.len() > 1 {
        let separator = integer.chars().find(|c| grouping.contains(c)).unwrap_or(' ');
        let well_formed = (1..=3).contains(&groups[0].len())
            && !(groups[0].starts_with('0'))
            && groups[1..].iter().all(|g| g.len() == 3);
        if !well_formed {
            return Err(NumberError::BadGrouping(separator));
        }
        let could_be_decimal = matches!(separator, ',' | '.');
        if could_be_decimal && groups.len() == 2 && decimal_at.is_none() && max_decimals > 0 {
            return Err(NumberError::Ambiguous(separator));
        }
    }

    let found = u32::try_from(fraction.len()).unwrap_or(u32::MAX);
    if found > max_decimals {
        return Err(NumberError::TooManyDecimals {
            max: max_decimals,
            found,
        });
    }
    let fraction = fraction.trim_end_matches('0');
    let scale = u32::try_from(fraction.len()).unwrap_or(u32::MAX);
    let mut mantissa: i128 = 0;
    for b in groups.concat().bytes().chain(fraction.bytes()) {
        mantissa = mantissa
            .checked_mul(10)
            .and_then(|m| m.checked_add(i128::from(b - b'0')))
            .ok_or(NumberError::OutOfRange)?;
    }
    if negative {
        mantissa = -mantissa;
    }
    Decimal::try_from_i128_with_scale(mantissa, scale).map_err(|_| NumberError::OutOfRange)
}

/// Writes `value` in `locale`'s notation with at least `min_decimals` decimals, grouped
/// in thousands when `group` is set. Never an exponent, never `-0`.
pub fn format_number(locale: NumberLocale, value: Decimal, min_decimals: u32, group: bool) -> String {
    let normalized = value.normalize();
    let scale = normalized.scale() as usize;
    let digits = normalized.mantissa().unsigned_abs().to_string();
    let (integer, fraction) = if digits.len() > scale {
        let (i, f) = digits.split_at(digits.len() - scale);
        (i.to_owned(), f.to_owned())
    } else {
        ("0".to_owned(), format!("{digits:0>scale$}"))
    };
    let mut out = String::with_capacity(integer.len() * 2 + scale + 4);
    if normalized.mantissa() < 0 {
        out.push('-');
    }
    for (i, c) in integer.chars().enumerate() {
        if group && i > 0 && (integer.len() - i) % 3 == 0 {
            out.push(locale.grouping_separator());
        }
        out.push(c);
    }
    let width = scale.max(min_decimals as usize);
    if width > 0 {
        out.push(locale.decimal_separator());
        out.push_str(&format!("{fraction:0<width$}"));
    }
    out
}

/// An amount as a person reads it: the locale's separators, grouped thousands, exactly
/// the currency's minor units (`1 234,50` in Swedish, `1,234.50` in English).
pub fn format_amount(locale: NumberLocale, money: &Money) -> String {
    format_number(locale, money.amount(), money.currency().minor_units(), true)
}

/// A quantity or weight as a person types it back (no grouping: quantities stay below
/// 10 000, and an ungrouped `1234` can never be misread).
pub fn format_quantity(locale: NumberLocale, quantity: Decimal) -> String {
    format_number(locale, quantity, 0, false)
}

fn refused(
    locale: NumberLocale,
    field: &'static str,
    text: &str,
    what: &str,
    reason: &NumberError,
    example: &str,
) -> AppError {
    let message = format!(
        "{field}: '{}' is not {what} in {} notation: {reason}; write it like {example}",
        text.trim(),
        locale.name(),
    );
    match reason {
        // A number read fine that has more decimals than the field allows is like any
        // other value out of bounds; the rest could not be read at all.
        NumberError::TooManyDecimals { .. } => AppError::validation(field, message),
        _ => AppError::coded(ErrorCode::InvalidNumber, Some(field), message),
    }
}

/// A typed amount in `currency`, at most its minor units of decimals.
pub fn parse_amount(
    locale: NumberLocale,
    field: &'static str,
    text: &str,
    currency: Currency,
) -> Result<Money, AppError> {
    let example = || {
        format_amount(
            locale,
            &Money::new(Decimal::new(123_450, 2), currency).round_to_minor(),
        )
    };
    let what = format!("an amount in {currency}");
    let value = parse_number(locale, text, currency.minor_units())
        .map_err(|e| refused(locale, field, text, &what, &e, &example()))?;
    // kassa-core's entry rules (whole minor units that fit the database) on the exact value.
    Money::parse(&value.to_string(), currency)
        .map_err(|_| refused(locale, field, text, &what, &NumberError::OutOfRange, &example()))
}

/// The most a typed quantity may be: more is a slip of the finger, not a sale.
const MAX_QUANTITY: u32 = 9999;

/// A typed quantity of an item sold `unit`: whole pieces, or kilograms to the gram.
pub fn parse_quantity(locale: NumberLocale, text: &str, unit: SaleUnit) -> Result<Decimal, AppError> {
    let (max_decimals, what, example) = match unit {
        SaleUnit::Each => (0, "a whole number of pieces", "2".to_owned()),
        SaleUnit::Kg => (3, "a weight in kg", format_quantity(locale, Decimal::new(350, 3))),
    };
    let q = parse_number(locale, text, max_decimals)
        .map_err(|e| refused(locale, "quantity", text, what, &e, &example))?;
    if q <= Decimal::ZERO {
        return Err(AppError::validation(
            "quantity",
            format!(
                "quantity must be more than zero (got {}); returns go through a refund",
                text.trim()
            ),
        ));
    }
    if q > Decimal::from(MAX_QUANTITY) {
        return Err(AppError::validation(
            "quantity",
            format!(
                "quantity {} is more than {MAX_QUANTITY}; check the input",
                text.trim()
            ),
        ));
    }
    Ok(q)
}

/// A typed percentage (a trailing '%' is allowed), to two decimals.
pub fn parse_percent(locale: NumberLocale, field: &'static str, text: &str) -> Result<Decimal, AppError> {
    let bare = text.trim().trim_end_matches('%');
    let example = format!("{} or {} %", format_quantity(locale, Decimal::new(125, 1)), 10);
    parse_number(locale, bare, 2).map_err(|e| refused(locale, field, text, "a percentage", &e, &example))
}

#[cfg(test)]
mod tests {
    use super::*;
    use NumberLocale::*;

    fn dec(text: &str) -> Decimal {
        text.parse().unwrap()
    }

    const SAMPLES: [&str; 9] = [
        "12,50",
        "12.50",
        "1.234",
        "1,234",
        "1 234,5",
        "1\u{a0}234,5",
        "1.234,56",
        "0,350",
        "1,234.56",
    ];

    type Means = Result<&'static str, NumberError>;

    /// Per sample text: what it means (or why it is refused) as an amount in a currency
    /// with two decimals, and as a weight in kg (three decimals).
    fn table(locale: NumberLocale) -> [(Means, Means); 9] {
        use NumberError::*;
        let too_many = |found| Err(TooManyDecimals { max: 2, found });
        let both = |e: NumberError| (Err(e.clone()), Err(e));
        match locale {
            Sv | Nb | Fr => [
                (Ok("12.5"), Ok("12.5")),
                (Ok("12.5"), Ok("12.5")),
                (too_many(3), Ok("1.234")),
                (too_many(3), Ok("1.234")),
                (Ok("1234.5"), Ok("1234.5")),
                (Ok("1234.5"), Ok("1234.5")),
                both(MixedDecimalSeparators('.', ',')),
                (too_many(3), Ok("0.35")),
                both(MixedDecimalSeparators(',', '.')),
            ],
            Da | De => [
                (Ok("12.5"), Ok("12.5")),
                both(BadGrouping('.')),
                both(Ambiguous('.')),
                (too_many(3), Ok("1.234")),
                both(InvalidCharacter(' ')),
                both(InvalidCharacter('\u{a0}')),
                (Ok("1234.56"), Ok("1234.56")),
                (too_many(3), Ok("0.35")),
                both(BadGrouping('.')),
            ],
            En => [
                both(BadGrouping(',')),
                (Ok("12.5"), Ok("12.5")),
                (too_many(3), Ok("1.234")),
                both(Ambiguous(',')),
                both(InvalidCharacter(' ')),
                both(InvalidCharacter('\u{a0}')),
                both(BadGrouping(',')),
                both(BadGrouping(',')),
                (Ok("1234.56"), Ok("1234.56")),
            ],
        }
    }

    #[test]
    fn each_locale_reads_the_sample_texts_as_its_table_says() {
        let read = |locale, text, decimals| parse_number(locale, text, decimals).map(|d| d.to_string());
        for locale in NumberLocale::ALL {
            for (text, (amount, weight)) in SAMPLES.iter().zip(table(locale)) {
                assert_eq!(
                    read(locale, text, 2),
                    amount.map(str::to_owned),
                    "{locale} amount {text:?}"
                );
                assert_eq!(
                    read(locale, text, 3),
                    weight.map(str::to_owned),
                    "{locale} kg {text:?}"
                );
            }
        }
    }

    #[test]
    fn grouping_must_be_in_threes_and_only_before_the_decimals() {
        use NumberError::*;
        let cases = [
            (Sv, "1 234 567,89", Ok(dec("1234567.89"))),
            (Sv, "12 34,5", Err(BadGrouping(' '))),
            (Sv, "1234 567", Err(BadGrouping(' '))),
            (Sv, "1 234,567 8", Err(BadGrouping(' '))),
            (Fr, "1\u{202f}234,5", Ok(dec("1234.5"))),
            (Da, "1.234.567", Ok(dec("1234567"))),
            (Da, "1.234.567,5", Ok(dec("1234567.5"))),
            (De, "1.23,5", Err(BadGrouping('.'))),
            (En, "1,234,567", Ok(dec("1234567"))),
            (En, "1,234.5", Ok(dec("1234.5"))),
            (En, "12,34.5", Err(BadGrouping(','))),
            (En, "0,123.5", Err(BadGrouping(','))),
        ];
        for (locale, text, expected) in cases {
            assert_eq!(parse_number(locale, text, 2), expected, "{locale} {text:?}");
        }
    }

    #[test]
    fn a_lone_grouping_comma_is_grouping_where_no_decimals_are_allowed() {
        assert_eq!(parse_number(En, "1,234", 0), Ok(dec("1234")));
        assert_eq!(parse_number(Da, "1.234", 0), Ok(dec("1234")));
    }

    #[test]
    fn refuses_what_is_not_a_plain_number() {
        use NumberError::*;
        let cases = [
            ("", Empty),
            ("  ", Empty),
            ("+5", LeadingPlus),
            ("1e3", Exponent),
            ("12,50kr", InvalidCharacter('k')),
            ("12,50 kr", BadGrouping(' ')),
            ("abc", InvalidCharacter('a')),
            ("1,2,3", MultipleDecimalSeparators),
            ("-", NoDigits),
            (",5", MissingIntegerDigits),
            ("5,", MissingFractionDigits),
            ("1'000", InvalidCharacter('\'')),
            ("99999999999999999999999999999999999999999", OutOfRange),
        ];
        for (text, expected) in cases {
            assert_eq!(parse_number(Sv, text, 2), Err(expected), "{text:?}");
        }
        assert_eq!(parse_number(Sv, "-12,50", 2), Ok(dec("-12.5")));
        let zero = parse_number(Sv, "-0,00", 2).unwrap();
        assert!(zero.is_zero() && !zero.is_sign_negative());
    }

    #[test]
    fn formats_amounts_per_locale_and_minor_units() {
        let sek = Money::new(dec("1234567.5"), Currency::SEK);
        let expected = [
            (Sv, "1\u{a0}234\u{a0}567,50"),
            (Da, "1.234.567,50"),
            (Nb, "1\u{a0}234\u{a0}567,50"),
            (En, "1,234,567.50"),
            (De, "1.234.567,50"),
            (Fr, "1\u{202f}234\u{202f}567,50"),
        ];
        for (locale, text) in expected {
            assert_eq!(format_amount(locale, &sek), text, "{locale}");
        }
        assert_eq!(
            format_amount(Sv, &Money::new(dec("-0.05"), Currency::SEK)),
            "-0,05"
        );
        assert_eq!(
            format_amount(Sv, &Money::new(dec("100"), Currency::SEK)),
            "100,00"
        );
        assert_eq!(format_number(En, dec("1234"), 0, true), "1,234");
        assert_eq!(format_quantity(Sv, dec("0.350")), "0,35");
        assert_eq!(format_quantity(En, dec("1234")), "1234");
    }

    #[test]
    fn messages_name_the_field_the_text_and_the_expected_form() {
        let e = parse_amount(En, "tendered", "1,234", Currency::SEK).unwrap_err();
        assert_eq!(e.code(), ErrorCode::InvalidNumber);
        assert_eq!(e.field(), Some("tendered"));
        let message = e.to_string();
        assert!(
            message.contains("tendered") && message.contains("'1,234'"),
            "{message}"
        );
        assert!(message.contains("1,234.50"), "{message}");

        let e = parse_amount(Da, "float", "12.50", Currency::DKK)
            .unwrap_err()
            .to_string();
        assert!(e.contains("Danish") && e.contains("1.234,50"), "{e}");

        let e = parse_quantity(Sv, "0,3505", SaleUnit::Kg)
            .unwrap_err()
            .to_string();
        assert!(e.contains("at most 3") && e.contains("0,35"), "{e}");
        let e = parse_quantity(Sv, "1,5", SaleUnit::Each).unwrap_err().to_string();
        assert!(e.contains("pieces"), "{e}");
    }

    #[test]
    fn locales_are_named_by_language() {
        assert_eq!("sv-SE".parse::<NumberLocale>(), Ok(Sv));
        assert_eq!("nb_NO".parse::<NumberLocale>(), Ok(Nb));
        assert_eq!("no".parse::<NumberLocale>(), Ok(Nb));
        assert_eq!("EN".parse::<NumberLocale>(), Ok(En));
        assert!("xx".parse::<NumberLocale>().is_err());
    }

    mod properties {
        use super::*;
        use proptest::prelude::*;

        fn locale() -> impl Strategy<Value = NumberLocale> {
            proptest::sample::select(NumberLocale::ALL.to_vec())
        }

        fn currency() -> impl Strategy<Value = Currency> {
            proptest::sample::select(vec!["SEK", "DKK", "NOK", "EUR", "GBP"])
                .prop_map(|c| c.parse::<Currency>().unwrap())
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(512))]

            #[test]
            fn a_formatted_amount_reads_back_as_itself(
                locale in locale(),
                currency in currency(),
                minor in -1_000_000_000_000i64..1_000_000_000_000,
            ) {
                let money = Money::from_minor(minor, currency);
                let text = format_amount(locale, &money);
                let back = parse_amount(locale, "amount", &text, currency).unwrap();
                prop_assert_eq!(back, money.round_to_minor(), "{}", text);
            }

            #[test]
            fn a_formatted_weight_reads_back_as_itself(
                locale in locale(),
                grams in 1i64..=9_999_000,
            ) {
                let kg = Decimal::new(grams, 3);
                let text = format_quantity(locale, kg);
                prop_assert_eq!(parse_quantity(locale, &text, SaleUnit::Kg).unwrap(), kg.normalize(), "{}", text);
            }
        }
    }
}
