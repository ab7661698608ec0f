//! What a manager enters per provider, store and till: the base URL, identifiers, and
//! secrets. The app keeps the identifiers in SQLite and the secrets in the OS keyring;
//! this crate only describes the fields ([`Field`]) and reads them ([`Settings`]).

use std::collections::BTreeMap;

use crate::Secret;

/// One field of a provider's settings form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Field {
    /// The key in [`Settings`], the CLI (`kassa provider set swip merchant_id=…`) and the
    /// keyring entry's name.
    pub key: &'static str,
    /// The label on the settings screen, in the document's own words where it has them.
    pub label: &'static str,
    /// Whether the value is a credential: kept in the keyring, never shown back.
    pub secret: bool,
    /// An example value for the placeholder, never a real credential.
    pub example: &'static str,
}

/// A provider's settings as entered: the base URL, plain values and secrets by
/// [`Field::key`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Settings {
    /// The base URL, up to where the document's paths start.
    pub base_url: String,
    /// Values that are not credentials (merchant id, store id, POS id).
    pub values: BTreeMap<String, String>,
    /// Credentials (API keys, tokens, passwords).
    pub secrets: BTreeMap<String, Secret>,
}

/// A setting the provider needs is missing or unusable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SettingsError {
    /// A field is empty or absent.
    #[error("{provider}: {label} ({key}) is not set; enter it in the provider settings")]
    Missing {
        /// The provider's name.
        provider: &'static str,
        /// The field's key.
        key: &'static str,
        /// The field's label.
        label: &'static str,
    },
    /// A field's value is not acceptable.
    #[error("{provider}: {label} ({key}) {reason}")]
    Invalid {
        /// The provider's name.
        provider: &'static str,
        /// The field's key.
        key: &'static str,
        /// The field's label.
        label: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// The base URL cannot be used.
    #[error("{provider}: {source}")]
    BaseUrl {
        /// The provider's name.
        provider: &'static str,
        /// Why.
        source: crate::http::BaseUrlError,
    },
}

impl Settings {
    /// The plain value of `field`, refused when empty.
    pub fn value(&self, provider: &'static str, field: &Field) -> Result<&str, SettingsError> {
        match self.values.get(field.key).map(|value| value.trim()) {
            Some(value) if !value.is_empty() => Ok(value),
            _ => Err(SettingsError::Missing {
                provider,
                key: field.key,
                label: field.label,
            }),
        }
    }

    /// The secret of `field`, refused when empty.
    pub fn secret(&self, provider: &'static str, field: &Field) -> Result<&Secret, SettingsError> {
        match self.secrets.get(field.key) {
            Some(secret) if !secret.is_empty() => Ok(secret),
            _ => Err(SettingsError::Missing {
                provider,
                key: field.key,
                label: field.label,
            }),
        }
    }
}
