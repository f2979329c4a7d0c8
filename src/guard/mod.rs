//! Who may feed the board: the listener's defences.
//!
//! The XSI specification gives the XSP no credentials to present to an HTTP contact, so the
//! contact URL itself carries the secret ([`token`]); the peer's address is checked against
//! `allow_from` ([`allow`]); [`tls`] keeps the token off the wire; [`serve`] cuts off clients
//! that stall (slowloris) and caps concurrent connections.
//!
//! ```text
//! accept (cap) --TLS handshake (timeout)--> HTTP/1.1 (header timeout) --> router
//!   event route: address in allow_from? (403) --> token matches? (404) --> body (timeout, 1 MiB)
//! ```

pub mod allow;
pub mod serve;
pub mod settings;
pub mod tls;
pub mod token;

use std::net::SocketAddr;

pub use allow::AllowList;
pub use serve::{Limits, serve};
pub use settings::{GuardSettings, TOKEN_ENV};
pub use tls::{CertReloader, TlsFiles};
pub use token::{ListenToken, gen_token};

/// What the event route checks before it reads a body.
#[derive(Debug, Clone, Default)]
pub struct Guard {
    /// With a token, events are taken only at `{path}/{token}`.
    pub token: Option<ListenToken>,
    /// Empty: any address.
    pub allow_from: AllowList,
}

impl Guard {
    pub fn new(token: Option<ListenToken>, allow_from: AllowList) -> Self {
        Guard { token, allow_from }
    }
}

/// The warning for a listener anyone on the network can post forged calls to: bound beyond
/// loopback with neither a token nor an address list. `None` when the bind is safe.
pub fn exposure_warning(
    listen_addr: SocketAddr,
    has_token: bool,
    has_allow: bool,
) -> Option<String> {
    if listen_addr.ip().is_loopback() || has_token || has_allow {
        return None;
    }
    Some(format!(
        "listener on {listen_addr} accepts events from anyone who can reach it: set \
         XSI_WALLBOARD_TOKEN (see `xsi-wallboard gen-token`) or --allow-from"
    ))
}

#[cfg(test)]
mod tests {
    use super::exposure_warning;

    #[test]
    fn only_an_open_non_loopback_bind_warns() {
        let any = "0.0.0.0:8765".parse().expect("address");
        let lan = "192.0.2.7:8765".parse().expect("address");
        let v6_any = "[::]:8765".parse().expect("address");
        let local = "127.0.0.1:8765".parse().expect("address");
        let v6_local = "[::1]:8765".parse().expect("address");
        assert!(exposure_warning(any, false, false).is_some());
        assert!(exposure_warning(lan, false, false).is_some());
        assert!(exposure_warning(v6_any, false, false).is_some());
        assert!(exposure_warning(any, true, false).is_none());
        assert!(exposure_warning(any, false, true).is_none());
        assert!(exposure_warning(local, false, false).is_none());
        assert!(exposure_warning(v6_local, false, false).is_none());
        let warning = exposure_warning(any, false, false).unwrap_or_default();
        assert!(warning.contains("0.0.0.0:8765"), "{warning}");
    }
}
