//! The listen token: the secret path segment the XSP posts to.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::rngs::OsRng;
use rand::{RngCore, TryRngCore};
use subtle::ConstantTimeEq;

use crate::config::Secret;

/// Random bytes in a new token: 192 bits, well past guessing over HTTP.
const TOKEN_BYTES: usize = 24;

/// Shortest token taken from the user: 22 base64url characters carry 128 bits.
pub const MIN_TOKEN_CHARS: usize = 22;

/// A new token: [`TOKEN_BYTES`] from the operating system's random source, base64url without
/// padding (path-safe, so it needs no escaping in the contact URL).
///
/// # Panics
/// If the operating system has no random source to give: no token is better than a weak one.
pub fn gen_token() -> String {
    let mut bytes = [0u8; TOKEN_BYTES];
    OsRng.unwrap_err().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// A checked token; `Debug` and `Display` show `***`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListenToken(Secret);

impl ListenToken {
    /// Takes a token as configured (a file's trailing newline removed by the caller). It must
    /// be at least [`MIN_TOKEN_CHARS`] long and a single path segment of unreserved characters,
    /// since it is appended to the contact URL as is.
    pub fn new(value: &str) -> Result<Self, String> {
        if value.len() < MIN_TOKEN_CHARS {
            return Err(format!(
                "the listen token is too short ({} characters, at least {MIN_TOKEN_CHARS}): \
                 make one with `xsi-wallboard gen-token`",
                value.len()
            ));
        }
        if let Some(bad) = value
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || "-._~".contains(*c)))
        {
            return Err(format!(
                "the listen token may hold only letters, digits and -._~ (found {:?})",
                if bad.is_control() { ' ' } else { bad }
            ));
        }
        Ok(ListenToken(Secret::new(value)))
    }

    /// Compares in constant time (for equal lengths; the length is not secret).
    pub fn matches(&self, candidate: &str) -> bool {
        self.0
            .expose()
            .as_bytes()
            .ct_eq(candidate.as_bytes())
            .into()
    }

    /// The value, for the one place it belongs: the contact URL sent to the XSP.
    pub fn expose(&self) -> &str {
        self.0.expose()
    }
}

impl std::fmt::Display for ListenToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(&self.0, f)
    }
}

#[cfg(test)]
mod tests {
    use super::{ListenToken, MIN_TOKEN_CHARS, gen_token};

    #[test]
    fn generated_tokens_are_long_distinct_and_acceptable() {
        let first = gen_token();
        let second = gen_token();
        assert_ne!(first, second);
        assert_eq!(first.len(), 32, "24 bytes as base64url without padding");
        assert!(first.len() >= MIN_TOKEN_CHARS);
        assert!(ListenToken::new(&first).is_ok());
    }

    #[test]
    fn tokens_are_checked_compared_and_never_shown() {
        assert!(ListenToken::new("short").is_err());
        assert!(ListenToken::new("has/a/slash-in-it-0123456789").is_err());
        assert!(ListenToken::new("has space in it 0123456789").is_err());
        let token = ListenToken::new("abcdefghijklmnopqrstuvwxyz").expect("valid token");
        assert!(token.matches("abcdefghijklmnopqrstuvwxyz"));
        assert!(!token.matches("abcdefghijklmnopqrstuvwxyZ"));
        assert!(!token.matches("abcdefghijklmnopqrstuvwxy"));
        assert!(!token.matches(""));
        assert_eq!(format!("{token} {token:?}"), "*** ListenToken(***)");
    }
}
