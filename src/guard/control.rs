//! Who may act on the feed (`POST /api/resubscribe`): control scope.
//!
//! Control is a wider door than reading, so it has its own token: the control token, sent as
//! `Authorization: Bearer`, from `XSI_WALLBOARD_CONTROL_TOKEN` or `control_token_file` (never a
//! flag). It gives control and read from any address the accept loop lets in; the read token
//! never gives control. Without it only this host may control (loopback, unless
//! `read_loopback = false` closed loopback to reading too), and viewers on the viewer socket
//! unless it is read-only.

use std::net::SocketAddr;

use axum::http::HeaderMap;
use axum::http::header::AUTHORIZATION;

use super::ListenToken;

/// The environment variable that may hold the control token.
pub const CONTROL_TOKEN_ENV: &str = "XSI_WALLBOARD_CONTROL_TOKEN";

/// The control token. `Debug` and `Display` show `***`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ControlToken(ListenToken);

impl ControlToken {
    /// The same rules as the listen token: at least 22 unreserved characters (`gen-token`).
    pub fn new(value: &str) -> Result<Self, String> {
        ListenToken::new(value)
            .map(ControlToken)
            .map_err(|why| why.replace("listen token", "control token"))
    }

    /// Whether a request carries `Authorization: Bearer {control token}` (constant time).
    pub fn presented_in(&self, headers: &HeaderMap) -> bool {
        bearer_credentials(headers).any(|credentials| self.0.matches(credentials))
    }
}

/// The credentials of every `Authorization: Bearer` header (the scheme is case-insensitive,
/// RFC 9110 11.1).
pub(crate) fn bearer_credentials(headers: &HeaderMap) -> impl Iterator<Item = &str> {
    headers
        .get_all(AUTHORIZATION)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .filter_map(|value| value.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, credentials)| credentials.trim())
}

/// Who made a control request, for its log line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Controller {
    /// A viewer on the viewer socket, by the peer's user id (`SO_PEERCRED`).
    Socket { uid: Option<u32> },
    /// The control token, from this address.
    Token { peer: Option<SocketAddr> },
    /// A process on this host, over loopback.
    Loopback { peer: SocketAddr },
}

impl std::fmt::Display for Controller {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Controller::Socket { uid: Some(uid) } => write!(f, "viewer socket, uid {uid}"),
            Controller::Socket { uid: None } => f.write_str("viewer socket, uid unknown"),
            Controller::Token { peer: Some(peer) } => write!(f, "control token from {peer}"),
            Controller::Token { peer: None } => f.write_str("control token"),
            Controller::Loopback { peer } => write!(f, "loopback {peer}"),
        }
    }
}

/// Who may control, in words, for the startup log (the viewer socket is logged with itself).
pub fn describe(loopback: bool, token: Option<&ControlToken>) -> String {
    match (loopback, token.is_some()) {
        (true, true) => {
            "this host (loopback), anyone with the control token (Authorization: Bearer)".into()
        }
        (true, false) => "this host (loopback)".into(),
        (false, true) => "anyone with the control token (Authorization: Bearer)".into(),
        (false, false) => "nobody over HTTP".into(),
    }
}

#[cfg(test)]
mod tests {
    use axum::http::{HeaderMap, HeaderValue, header::AUTHORIZATION};

    use super::{ControlToken, Controller, describe};

    const TOKEN: &str = "c0ntr0lT0ken-abcdefghijklmnopqr";

    fn bearer(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(AUTHORIZATION, HeaderValue::from_str(value).expect("value"));
        headers
    }

    #[test]
    fn only_the_bearer_control_token_is_presented() {
        let token = ControlToken::new(TOKEN).expect("token");
        assert!(token.presented_in(&bearer(&format!("Bearer {TOKEN}"))));
        assert!(token.presented_in(&bearer(&format!("bearer  {TOKEN}"))));
        for bad in [
            TOKEN.to_owned(),
            format!("Basic {TOKEN}"),
            format!("Bearer {TOKEN}x"),
            "Bearer r3adT0ken-abcdefghijklmnopqrstuv".to_owned(),
        ] {
            assert!(!token.presented_in(&bearer(&bad)), "{bad}");
        }
        assert!(!token.presented_in(&HeaderMap::new()));
    }

    #[test]
    fn the_control_token_is_checked_and_never_shown() {
        assert!(ControlToken::new("short").is_err_and(|why| why.contains("control token")));
        let token = ControlToken::new(TOKEN).expect("token");
        assert!(!format!("{token:?}").contains(TOKEN));
        assert!(!describe(true, Some(&token)).contains(TOKEN));
        assert_eq!(describe(false, None), "nobody over HTTP");
        let peer = "192.0.2.1:4000".parse().expect("address");
        assert_eq!(
            Controller::Token { peer: Some(peer) }.to_string(),
            "control token from 192.0.2.1:4000"
        );
        assert_eq!(
            Controller::Socket { uid: Some(1001) }.to_string(),
            "viewer socket, uid 1001"
        );
    }
}
