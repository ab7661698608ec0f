//! Checks on what people type, each returning a specific, readable error.

use std::str::FromStr;

use kassa_core::{Country, Currency};

use crate::AppError;

/// Longest name Kassa accepts; receipts and the top bar must still show it.
pub const MAX_NAME_CHARS: usize = 80;

/// Trims a required name and checks it is neither empty nor too long.
pub fn name(field: &'static str, label: &str, raw: &str) -> Result<String, AppError> {
    let trimmed = raw.trim();
    if trimmed.is_empty() {
        return Err(AppError::validation(field, format!("{label} must not be empty")));
    }
    if trimmed.chars().count() > MAX_NAME_CHARS {
        return Err(AppError::validation(
            field,
            format!(
                "{label} must be at most {MAX_NAME_CHARS} characters (it has {})",
                trimmed.chars().count()
            ),
        ));
    }
    if trimmed.chars().any(char::is_control) {
        return Err(AppError::validation(
            field,
            format!("{label} must not contain control characters"),
        ));
    }
    Ok(trimmed.to_owned())
}

/// Trims optional text; blank becomes `None`.
pub fn optional_text(raw: Option<&str>) -> Option<String> {
    raw.map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned)
}

pub fn country(raw: &str) -> Result<String, AppError> {
    let code = raw.trim();
    Country::from_str(code)
        .map(|c| c.code().to_owned())
        .map_err(|e| AppError::validation("country", e.to_string()))
}

pub fn currency(raw: &str) -> Result<String, AppError> {
    let code = raw.trim();
    Currency::from_str(code)
        .map(|c| c.code().to_owned())
        .map_err(|e| AppError::validation("currency", e.to_string()))
}

pub fn time_zone(raw: &str) -> Result<String, AppError> {
    let name = raw.trim();
    chrono_tz::Tz::from_str(name)
        .map(|tz| tz.name().to_owned())
        .map_err(|_| {
            AppError::validation(
                "timeZone",
                format!("'{name}' is not a known time zone; use an IANA name such as Europe/Stockholm"),
            )
        })
}

pub fn latitude(value: Option<f64>) -> Result<Option<f64>, AppError> {
    coordinate("latitude", value, 90.0)
}

pub fn longitude(value: Option<f64>) -> Result<Option<f64>, AppError> {
    coordinate("longitude", value, 180.0)
}

fn coordinate(field: &'static str, value: Option<f64>, limit: f64) -> Result<Option<f64>, AppError> {
    match value {
        Some(v) if !v.is_finite() || !(-limit..=limit).contains(&v) => Err(AppError::validation(
            field,
            format!("{field} must be between -{limit} and {limit} (got {v})"),
        )),
        other => Ok(other),
    }
}

/// Shortest and longest PIN: short enough to type at a till, long enough not to guess
/// before the lockout.
pub const PIN_MIN_DIGITS: usize = 4;
pub const PIN_MAX_DIGITS: usize = 12;

pub fn pin(raw: &str) -> Result<&str, AppError> {
    if raw.len() < PIN_MIN_DIGITS || raw.len() > PIN_MAX_DIGITS || !raw.bytes().all(|b| b.is_ascii_digit()) {
        return Err(AppError::validation(
            "pin",
            format!("a PIN must be {PIN_MIN_DIGITS} to {PIN_MAX_DIGITS} digits"),
        ));
    }
    Ok(raw)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_trimmed_and_must_not_be_blank() {
        assert_eq!(name("name", "Store name", "  Malmö C ").unwrap(), "Malmö C");
        let err = name("name", "POS name", " \t ").unwrap_err();
        assert_eq!(err.to_string(), "POS name must not be empty");
        assert_eq!(err.field(), Some("name"));
        assert!(name("name", "Store name", &"x".repeat(81)).is_err());
        assert!(name("name", "Store name", "a\u{7}b").is_err());
    }

    #[test]
    fn coordinates_are_range_checked() {
        assert_eq!(latitude(Some(55.6)).unwrap(), Some(55.6));
        assert_eq!(
            latitude(Some(91.0)).unwrap_err().to_string(),
            "latitude must be between -90 and 90 (got 91)"
        );
        assert!(longitude(Some(-180.5)).is_err());
        assert!(longitude(Some(f64::NAN)).is_err());
        assert_eq!(longitude(None).unwrap(), None);
    }

    #[test]
    fn codes_are_checked() {
        assert_eq!(country(" SE ").unwrap(), "SE");
        assert!(country("XX").is_err());
        assert!(country("se").is_err());
        assert_eq!(currency("DKK").unwrap(), "DKK");
        assert!(currency("KRN").unwrap_err().to_string().contains("KRN"));
        assert_eq!(time_zone("Europe/Copenhagen").unwrap(), "Europe/Copenhagen");
        assert!(time_zone("Mars/Olympus").is_err());
    }

    #[test]
    fn pins_are_digits_of_bounded_length() {
        assert!(pin("1234").is_ok());
        assert!(pin("123").is_err());
        assert!(pin("12a4").is_err());
        assert!(pin("1234567890123").is_err());
    }
}
