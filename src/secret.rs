//! The Monime access token, wrapped so it cannot leak: its `Debug` prints a redaction and it has
//! no `Display`. Only the HTTP client reads it, to build the `Authorization` header.

use std::fmt;

#[derive(Clone, PartialEq, Eq)]
pub struct AccessToken(String);

impl AccessToken {
    pub fn new(token: impl Into<String>) -> Self {
        AccessToken(token.into())
    }

    /// The token itself. Call sites are few and each puts it in a sensitive header, nowhere else.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Monime's test-mode tokens start `mon_test_`; these never move real money.
    pub fn is_test_mode(&self) -> bool {
        self.0.starts_with("mon_test_")
    }
}

impl fmt::Debug for AccessToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AccessToken(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_token() {
        let token = AccessToken::new("mon_test_s3cr3t");
        let shown = format!("{token:?} {:#?}", Some(&token));
        assert!(!shown.contains("s3cr3t"), "{shown}");
        assert!(token.is_test_mode());
        assert!(!AccessToken::new("mon_live").is_test_mode());
    }
}
