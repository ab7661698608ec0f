//! A credential that never prints.

use std::fmt;

use zeroize::Zeroizing;

/// An API key, subscription key, password, bearer token or client secret.
///
/// `Debug` and `Display` print a mask, so a secret inside a request, a config or an error
/// cannot reach a log by accident; the text is wiped from memory when dropped. The only
/// way to the text is [`Secret::expose`], which the clients call where a header is built.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(Zeroizing<String>);

impl Secret {
    /// Wraps a credential.
    pub fn new(text: impl Into<String>) -> Secret {
        Secret(Zeroizing::new(text.into()))
    }

    /// The credential's text, for building a header or storing it in the keyring.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Whether the credential is empty (a settings field left blank).
    pub fn is_empty(&self) -> bool {
        self.0.trim().is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(••••)")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("••••")
    }
}

impl From<String> for Secret {
    fn from(text: String) -> Secret {
        Secret::new(text)
    }
}

impl From<&str> for Secret {
    fn from(text: &str) -> Secret {
        Secret::new(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_secret_never_prints() {
        let secret = Secret::new("sk_live_0123456789");
        let shown = format!("{secret} {secret:?} {:?}", Some(&secret));
        assert!(!shown.contains("0123456789"), "{shown}");
        assert_eq!(secret.expose(), "sk_live_0123456789");
        assert!(Secret::new("  ").is_empty());
    }
}
