//! Who may read the board (`/api/board`, and every read route after it).
//!
//! The board holds callers' names and numbers, so a read is not open to whoever reaches the
//! port: it is allowed from loopback (unless `read_loopback = false`, for a shared host whose
//! local users must not read callers' numbers), from the `read_from` blocks, or with the read
//! token sent as `Authorization: Bearer`. Readers are not senders: `allow_from` does not let
//! a peer read, and `read_from` does not let it post.

use std::net::{IpAddr, SocketAddr};

use axum::http::HeaderMap;
use axum::http::header::AUTHORIZATION;

use super::{AllowList, ListenToken};

/// The environment variable that may hold the read token (never a flag: flags show in `ps`).
pub const READ_TOKEN_ENV: &str = "XSI_WALLBOARD_READ_TOKEN";

/// The read token: a bearer token for `/api/board`. `Debug` and `Display` show `***`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadToken(ListenToken);

impl ReadToken {
    /// The same rules as the listen token: at least 22 unreserved characters (`gen-token`).
    pub fn new(value: &str) -> Result<Self, String> {
        ListenToken::new(value)
            .map(ReadToken)
            .map_err(|why| why.replace("listen token", "read token"))
    }

    /// Compares in constant time (for equal lengths; the length is not secret).
    pub fn matches(&self, candidate: &str) -> bool {
        self.0.matches(candidate)
    }
}

/// The read rule as configured.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadAccess {
    /// Loopback peers may read (`read_loopback`, default true).
    pub loopback: bool,
    /// Blocks whose peers may read; empty means no address (unlike `allow_from`).
    pub from: AllowList,
    /// Anyone presenting this as `Authorization: Bearer` may read.
    pub token: Option<ReadToken>,
}

impl Default for ReadAccess {
    /// This host only: what a supervisor running the wallboard on their own machine expects.
    fn default() -> Self {
        ReadAccess {
            loopback: true,
            from: AllowList::default(),
            token: None,
        }
    }
}

impl ReadAccess {
    /// Whether a request from `peer` with `headers` may read. A peer the server did not name
    /// (a router called directly) is no address at all: only the token lets it in.
    pub fn permits(&self, peer: Option<SocketAddr>, headers: &HeaderMap) -> bool {
        peer.is_some_and(|peer| self.admits_address(peer.ip())) || self.bearer_matches(headers)
    }

    /// Whether the address alone lets a peer read: loopback (when open) or `read_from`.
    pub fn admits_address(&self, ip: IpAddr) -> bool {
        (self.loopback && ip.to_canonical().is_loopback()) || self.from.contains(ip)
    }

    /// Whether a peer at `ip` might read at all, which is all the accept loop can know before
    /// a request: any peer might hold the token.
    pub fn may_connect(&self, ip: IpAddr) -> bool {
        self.token.is_some() || self.admits_address(ip)
    }

    /// `Authorization: Bearer {read token}` (the scheme is case-insensitive, RFC 9110 11.1).
    fn bearer_matches(&self, headers: &HeaderMap) -> bool {
        let Some(token) = &self.token else {
            return false;
        };
        headers
            .get_all(AUTHORIZATION)
            .iter()
            .filter_map(|value| value.to_str().ok())
            .filter_map(|value| value.split_once(' '))
            .any(|(scheme, credentials)| {
                scheme.eq_ignore_ascii_case("bearer") && token.matches(credentials.trim())
            })
    }

    /// Who may read, in words, for the startup log.
    pub fn describe(&self) -> String {
        let mut doors = Vec::new();
        if self.loopback {
            doors.push("this host (loopback)".to_owned());
        }
        if !self.from.is_empty() {
            doors.push(format!("read_from {}", self.from));
        }
        if self.token.is_some() {
            doors.push("anyone with the read token (Authorization: Bearer)".to_owned());
        }
        if doors.is_empty() {
            "nobody".to_owned()
        } else {
            doors.join(", ")
        }
    }
}

#[cfg(test)]
mod tests {
    use std::net::SocketAddr;

    use axum::http::{HeaderMap, HeaderValue, header::AUTHORIZATION};

    use super::{AllowList, ReadAccess, ReadToken};

    const TOKEN: &str = "r3adT0ken-abcdefghijklmnopqrstuv";

    #[expect(
        clippy::unnecessary_wraps,
        reason = "what the server hands the read rule"
    )]
    fn peer(text: &str) -> Option<SocketAddr> {
        Some(text.parse().expect("socket address"))
    }

    fn bearer(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(
            AUTHORIZATION,
            HeaderValue::from_str(value).expect("header value"),
        );
        headers
    }

    #[test]
    fn loopback_reads_by_default_and_nobody_else_does() {
        let read = ReadAccess::default();
        let none = HeaderMap::new();
        for local in [
            "127.0.0.1:5000",
            "127.0.0.2:5000",
            "[::1]:5000",
            "[::ffff:127.0.0.1]:1",
        ] {
            assert!(read.permits(peer(local), &none), "{local}");
        }
        for stranger in ["192.0.2.7:5000", "10.0.0.1:80", "[2001:db8::1]:5000"] {
            assert!(!read.permits(peer(stranger), &none), "{stranger}");
            assert!(!read.may_connect(stranger.parse::<SocketAddr>().expect("a").ip()));
        }
        assert!(!read.permits(None, &none), "an unnamed peer is no address");
    }

    #[test]
    fn read_from_and_the_bearer_token_let_a_stranger_read_and_loopback_can_be_closed() {
        let read = ReadAccess {
            loopback: false,
            from: AllowList::parse(&["192.0.2.0/24"]).expect("list"),
            token: Some(ReadToken::new(TOKEN).expect("token")),
        };
        let none = HeaderMap::new();
        assert!(read.permits(peer("192.0.2.9:1"), &none));
        assert!(read.permits(peer("[::ffff:192.0.2.9]:1"), &none));
        assert!(!read.permits(peer("198.51.100.1:1"), &none));
        assert!(!read.permits(peer("127.0.0.1:1"), &none), "loopback closed");
        for good in [format!("Bearer {TOKEN}"), format!("bearer {TOKEN}")] {
            assert!(
                read.permits(peer("198.51.100.1:1"), &bearer(&good)),
                "{good}"
            );
            assert!(read.permits(None, &bearer(&good)), "{good}");
        }
        for bad in [
            TOKEN.to_owned(),
            format!("Basic {TOKEN}"),
            format!("Bearer {TOKEN}x"),
            format!("Bearer {}", &TOKEN[1..]),
            "Bearer ".to_owned(),
        ] {
            assert!(
                !read.permits(peer("198.51.100.1:1"), &bearer(&bad)),
                "{bad}"
            );
        }
        assert!(read.may_connect("203.0.113.1".parse().expect("address")));
    }

    #[test]
    fn the_read_token_is_checked_and_never_shown() {
        assert!(ReadToken::new("short").is_err_and(|why| why.contains("read token")));
        let token = ReadToken::new(TOKEN).expect("token");
        assert!(!format!("{token:?}").contains(TOKEN));
        let read = ReadAccess {
            token: Some(token),
            ..ReadAccess::default()
        };
        assert!(!format!("{read:?} {}", read.describe()).contains(TOKEN));
    }
}
