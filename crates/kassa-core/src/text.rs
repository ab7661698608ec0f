//! The one strict decimal syntax Kassa accepts for amounts and rates typed by people
//! or sent by other programs: optional '-', digits, optional '.' and digits.
//!
//! Anything looser (exponents, grouping, decimal commas, a '+') is refused rather than
//! guessed at, because a misread amount is money moved.

use rust_decimal::Decimal;

/// Why a text is not an acceptable decimal number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum DecimalTextError {
    /// Nothing but whitespace was given.
    #[error("it is empty")]
    Empty,
    /// A '+' sign was given; only negative amounts carry a sign.
    #[error("a leading '+' is not allowed; write positive amounts without a sign")]
    LeadingPlus,
    /// Exponent notation such as `1e3`.
    #[error("exponent notation is not allowed; write all digits out")]
    Exponent,
    /// A comma, space, underscore or apostrophe, i.e. grouping or a decimal comma.
    #[error("{0:?} is not allowed: use '.' as the decimal separator and no digit grouping")]
    Separator(char),
    /// Any other character that is not a digit.
    #[error("{0:?} is not a digit")]
    InvalidCharacter(char),
    /// More than one '.'.
    #[error("it has more than one decimal point")]
    MultipleDecimalPoints,
    /// No digits at all, e.g. `-` or `.`.
    #[error("it has no digits")]
    NoDigits,
    /// Nothing before the point, e.g. `.5`.
    #[error("it needs a digit before the decimal point (write 0.5, not .5)")]
    MissingIntegerDigits,
    /// Nothing after the point, e.g. `5.`.
    #[error("it needs a digit after the decimal point (write 5 or 5.0, not 5.)")]
    MissingFractionDigits,
    /// More decimals than allowed, e.g. `12.345` for a currency with 2 minor-unit digits.
    #[error("it has {found} decimals but at most {max} are allowed")]
    TooManyDecimals {
        /// The most decimals allowed here.
        max: u32,
        /// The decimals given.
        found: u32,
    },
    /// The number is too large to be stored.
    #[error("it is too large")]
    OutOfRange,
}

/// Rust's `Decimal` holds at most 28 decimals.
const MAX_SCALE: u32 = 28;

/// Parses `text` (trimmed) into an exact `Decimal` with at most `max_decimals` decimals.
///
/// The result has no trailing zeros in its scale and is never negative zero.
pub(crate) fn parse_decimal(text: &str, max_decimals: u32) -> Result<Decimal, DecimalTextError> {
    let text = text.trim();
    if text.is_empty() {
        return Err(DecimalTextError::Empty);
    }
    let (negative, unsigned) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None if text.starts_with('+') => return Err(DecimalTextError::LeadingPlus),
        None => (false, text),
    };

    let mut point = None;
    for (i, c) in unsigned.char_indices() {
        match c {
            '0'..='9' => {}
            '.' if point.is_some() => return Err(DecimalTextError::MultipleDecimalPoints),
            '.' => point = Some(i),
            'e' | 'E' => return Err(DecimalTextError::Exponent),
            ',' | '_' | '\'' | ' ' | '\u{a0}' | '\u{202f}' => {
                return Err(DecimalTextError::Separator(c));
            }
            _ => return Err(DecimalTextError::InvalidCharacter(c)),
        }
    }
    let (integer, fraction) = match point {
        Some(i) => (&unsigned[..i], &unsigned[i + 1..]),
        None => (unsigned, ""),
    };
    if integer.is_empty() && fraction.is_empty() {
        return Err(DecimalTextError::NoDigits);
    }
    if integer.is_empty() {
        return Err(DecimalTextError::MissingIntegerDigits);
    }
    if point.is_some() && fraction.is_empty() {
        return Err(DecimalTextError::MissingFractionDigits);
    }

    let found = u32::try_from(fraction.len()).unwrap_or(u32::MAX);
    let max = max_decimals.min(MAX_SCALE);
    if found > max {
        return Err(DecimalTextError::TooManyDecimals { max, found });
    }

    // Trailing zeros carry no value, and dropping them lets the widest Decimals, which
    // are formatted with padding, be read back.
    let fraction = fraction.trim_end_matches('0');
    let scale = u32::try_from(fraction.len()).unwrap_or(u32::MAX);

    // i128 holds 38 digits, more than Decimal's 96-bit mantissa (28-29 digits), so the
    // checked arithmetic below only fails for numbers Decimal could not hold anyway.
    let mut mantissa: i128 = 0;
    for b in integer.bytes().chain(fraction.bytes()) {
        mantissa = mantissa
            .checked_mul(10)
            .and_then(|m| m.checked_add(i128::from(b - b'0')))
            .ok_or(DecimalTextError::OutOfRange)?;
    }
    if negative {
        mantissa = -mantissa;
    }
    Decimal::try_from_i128_with_scale(mantissa, scale).map_err(|_| DecimalTextError::OutOfRange)
}

/// Writes `value` exactly, with at least `min_decimals` decimals and no trailing zeros
/// beyond them. Never uses an exponent and never prints `-0`.
pub(crate) fn format_decimal(value: Decimal, min_decimals: u32) -> String {
    let normalized = value.normalize();
    let scale = normalized.scale() as usize;
    let digits = normalized.mantissa().unsigned_abs().to_string();
    let (integer, fraction) = if digits.len() > scale {
        let (i, f) = digits.split_at(digits.len() - scale);
        (i.to_owned(), f.to_owned())
    } else {
        ("0".to_owned(), format!("{digits:0>scale$}"))
    };
    let width = scale.max(min_decimals as usize);
    let mut out = String::with_capacity(integer.len() + width + 2);
    if normalized.mantissa() < 0 {
        out.push('-');
    }
    out.push_str(&integer);
    if width > 0 {
        out.push('.');
        out.push_str(&format!("{fraction:0<width$}"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dec(text: &str) -> Decimal {
        text.parse().unwrap()
    }

    #[test]
    fn accepts_plain_decimals() {
        assert_eq!(parse_decimal("12.50", 2), Ok(dec("12.50")));
        assert_eq!(parse_decimal(" -3 ", 2), Ok(dec("-3")));
        assert_eq!(parse_decimal("1234.5", 2), Ok(dec("1234.5")));
        assert_eq!(parse_decimal("007", 2), Ok(dec("7")));
        let zero = parse_decimal("-0.00", 2).unwrap();
        assert!(zero.is_zero() && !zero.is_sign_negative());
    }

    #[test]
    fn names_the_specific_problem() {
        use DecimalTextError::*;
        let cases = [
            ("", Empty),
            ("   ", Empty),
            ("+5", LeadingPlus),
            ("1e3", Exponent),
            ("1E3", Exponent),
            ("1,234.50", Separator(',')),
            ("12,50", Separator(',')),
            ("1 234", Separator(' ')),
            ("1_000", Separator('_')),
            ("1'000", Separator('\'')),
            ("abc", InvalidCharacter('a')),
            ("--5", InvalidCharacter('-')),
            ("5-", InvalidCharacter('-')),
            ("\u{2212}5", InvalidCharacter('\u{2212}')),
            ("12.50 SEK", Separator(' ')),
            ("1.2.3", MultipleDecimalPoints),
            ("-", NoDigits),
            (".", NoDigits),
            (".5", MissingIntegerDigits),
            ("5.", MissingFractionDigits),
            ("12.345", TooManyDecimals { max: 2, found: 3 }),
            ("99999999999999999999999999999999999999999", OutOfRange),
            ("79228162514264337593543950336", OutOfRange),
        ];
        for (input, expected) in cases {
            assert_eq!(parse_decimal(input, 2), Err(expected), "{input:?}");
        }
    }

    #[test]
    fn formats_exactly_with_minimum_decimals() {
        assert_eq!(format_decimal(dec("12.5"), 2), "12.50");
        assert_eq!(format_decimal(dec("-3"), 2), "-3.00");
        assert_eq!(format_decimal(dec("0.001"), 2), "0.001");
        assert_eq!(format_decimal(dec("-0.05"), 2), "-0.05");
        assert_eq!(format_decimal(dec("1000.000"), 0), "1000");
        assert_eq!(format_decimal(dec("12.50"), 0), "12.5");
        assert_eq!(format_decimal(-Decimal::ZERO, 2), "0.00");
        assert_eq!(
            format_decimal(Decimal::MAX, 2),
            "79228162514264337593543950335.00"
        );
    }
}
