//! Who may feed the board: the listener's defences.
//!
//! The XSI specification gives the XSP no credentials to present to an HTTP contact, so the
//! contact URL itself carries the secret ([`token`]); the peer's address is checked against
//! `allow_from` ([`allow`]); who may read the board is [`read`]'s rule; [`tls`] keeps the token
//! off the wire; [`serve`] cuts off clients that stall (slowloris) and caps concurrent
//! connections.
//!
//! ```text
//! accept --peer may send or read? (else closed: no slot, no handshake)--> slot (cap)
//!   --TLS handshake (timeout)--> HTTP/1.1 (header timeout) --> router
//!   event route: address in allow_from? --> token matches? --> body (timeout, 1 MiB)
//!   read routes: loopback / read_from / bearer read or control token / wall cookie?
//!   control routes: bearer control token / loopback (unless closed)?   /healthz: open
//!   every refusal: the same 404 "not found"
//! ```

pub mod allow;
pub mod control;
pub mod cookie;
pub mod read;
pub mod serve;
pub mod settings;
pub mod tls;
pub mod token;

use std::net::{IpAddr, SocketAddr};

pub use allow::AllowList;
pub use control::{CONTROL_TOKEN_ENV, ControlToken, Controller};
pub use read::{READ_TOKEN_ENV, ReadAccess, ReadToken};
pub use serve::{Admission, ConnectionLimits, serve, serve_admitting};
pub use settings::{GuardSettings, SecretEnv, TOKEN_ENV};
pub use tls::{CertReloader, TlsFiles};
pub use token::{ListenToken, gen_token};

/// What the routes check before they answer: the event route before it reads a body, the
/// read routes before they show a caller; and, on the address alone, the accept loop.
#[derive(Debug, Clone, Default)]
pub struct Guard {
    /// With a token, events are taken only at `{path}/{token}`.
    pub token: Option<ListenToken>,
    /// Who may post events. Empty: any address.
    pub allow_from: AllowList,
    /// Who may read the board (default: this host only).
    pub read: ReadAccess,
    /// The bearer token that gives control (and read) scope from any admitted address.
    pub control: Option<ControlToken>,
}

impl Guard {
    /// Senders' rules, with the default read rule (this host only).
    pub fn new(token: Option<ListenToken>, allow_from: AllowList) -> Self {
        Guard {
            token,
            allow_from,
            read: ReadAccess::default(),
            control: None,
        }
    }

    #[must_use]
    pub fn with_control(mut self, control: Option<ControlToken>) -> Self {
        self.control = control;
        self
    }

    #[must_use]
    pub fn with_read(mut self, read: ReadAccess) -> Self {
        self.read = read;
        self
    }

    /// Whether a peer at `ip` may open a connection at all: it may send (when the listener
    /// takes events) or it may read. Decided right after accept, so a peer that may do
    /// neither never holds a connection slot or costs a TLS handshake.
    pub fn admits(&self, ip: IpAddr, takes_events: bool) -> bool {
        (takes_events && self.allow_from.permits(ip))
            || self.read.may_connect(ip)
            || self.control.is_some()
    }

    /// Who may control (`/api/resubscribe`) over HTTP, in words, for the startup log.
    pub fn controllers(&self) -> String {
        control::describe(self.read.loopback, self.control.as_ref())
    }

    /// Who may post events, in words, for the startup log.
    pub fn senders(&self, takes_events: bool) -> String {
        if !takes_events {
            return "nobody (events come down the event channel)".to_owned();
        }
        let from = if self.allow_from.is_empty() {
            "any address".to_owned()
        } else {
            format!("allow_from {}", self.allow_from)
        };
        if self.token.is_some() {
            format!("{from}, with the listen token in the path")
        } else {
            format!("{from}, without a token")
        }
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
    use super::{
        AllowList, ControlToken, Guard, ListenToken, ReadAccess, ReadToken, exposure_warning,
    };

    #[test]
    fn only_peers_that_may_send_or_read_are_let_in() {
        let ip = |text: &str| text.parse().expect("address");
        let token = ListenToken::new("Zq3v9l0cT2w8Yx1bN4m7K5j6H0g2F3d4").ok();
        let senders = AllowList::parse(&["192.0.2.0/24"]).expect("list");
        let guard = Guard::new(token.clone(), senders.clone());
        assert!(guard.admits(ip("192.0.2.1"), true), "the XSP");
        assert!(guard.admits(ip("127.0.0.1"), true), "this host reads");
        assert!(!guard.admits(ip("198.51.100.1"), true), "neither");
        assert!(
            !guard.admits(ip("192.0.2.1"), false),
            "nobody posts in channel mode"
        );
        let closed = guard.clone().with_read(ReadAccess {
            loopback: false,
            ..ReadAccess::default()
        });
        assert!(!closed.admits(ip("127.0.0.1"), true));
        let readers = closed.clone().with_read(ReadAccess {
            loopback: false,
            from: AllowList::parse(&["198.51.100.0/24"]).expect("list"),
            token: None,
        });
        assert!(readers.admits(ip("198.51.100.1"), true));
        let bearer = closed.with_read(ReadAccess {
            loopback: false,
            from: AllowList::default(),
            token: ReadToken::new("r3adT0ken-abcdefghijklmnopqrstuv").ok(),
        });
        assert!(
            bearer.admits(ip("203.0.113.5"), true),
            "any peer may hold the token"
        );
        // No address list: anyone may try the listen token.
        assert!(Guard::new(token.clone(), AllowList::default()).admits(ip("203.0.113.5"), true));
        // With a control token, any peer may try it (as for the read token).
        let controlled = Guard::new(token, senders)
            .with_read(ReadAccess {
                loopback: false,
                ..ReadAccess::default()
            })
            .with_control(ControlToken::new("c0ntr0lT0ken-abcdefghijklmnopqr").ok());
        assert!(controlled.admits(ip("203.0.113.5"), false));
    }

    #[test]
    fn the_doors_are_named_in_words() {
        let guard = Guard::new(
            ListenToken::new("Zq3v9l0cT2w8Yx1bN4m7K5j6H0g2F3d4").ok(),
            AllowList::parse(&["192.0.2.0/24"]).expect("list"),
        );
        assert_eq!(
            guard.senders(true),
            "allow_from [192.0.2.0/24], with the listen token in the path"
        );
        assert!(guard.senders(false).starts_with("nobody"));
        assert_eq!(guard.read.describe(), "this host (loopback)");
        let open = Guard::default();
        assert_eq!(open.senders(true), "any address, without a token");
        let closed = open.with_read(ReadAccess {
            loopback: false,
            ..ReadAccess::default()
        });
        assert_eq!(closed.read.describe(), "nobody");
    }

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
