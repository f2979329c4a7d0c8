//! The wall page's sign-in: a browser's `EventSource` cannot send an `Authorization` header,
//! so `/wall?token={read token}` takes the read token once, sets it as an `HttpOnly`,
//! `SameSite=Strict` cookie, and redirects to `/wall` without it (other parameters, `cc=`,
//! kept), so the token leaves the address bar and the history. The read routes accept the
//! cookie as they accept the bearer read token; control never does.

use axum::http::HeaderMap;
use axum::http::header::COOKIE;

use super::ReadAccess;

/// The cookie's name.
pub const WALL_COOKIE: &str = "xsi_wallboard_read";

/// The query parameter that carries the read token.
const TOKEN_PARAM: &str = "token";

/// What `/wall?{query}` asks for when it carries a token: `None` when it carries none.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignIn {
    /// The read token matched: redirect to `location` and set `set_cookie`.
    Accepted {
        location: String,
        set_cookie: String,
    },
    /// A token that is not the read token (or no read token is configured).
    Refused,
}

/// `/wall`'s query with a `token` parameter: checked (constant time) against the read token.
/// `secure` (served over TLS) marks the cookie `Secure`.
pub fn sign_in(read: &ReadAccess, path: &str, query: &str, secure: bool) -> Option<SignIn> {
    let mut given = None;
    let mut kept = Vec::new();
    for pair in query.split('&').filter(|pair| !pair.is_empty()) {
        match pair.split_once('=') {
            Some((TOKEN_PARAM, value)) => given = Some(value),
            None if pair == TOKEN_PARAM => given = Some(""),
            _ => kept.push(pair),
        }
    }
    let given = given?;
    if !read
        .token
        .as_ref()
        .is_some_and(|token| token.matches(given))
    {
        return Some(SignIn::Refused);
    }
    let location = if kept.is_empty() {
        path.to_owned()
    } else {
        format!("{path}?{}", kept.join("&"))
    };
    let secure = if secure { "; Secure" } else { "" };
    Some(SignIn::Accepted {
        location,
        set_cookie: format!("{WALL_COOKIE}={given}; Path=/; HttpOnly; SameSite=Strict{secure}"),
    })
}

/// Whether the request carries the wall cookie with the read token (constant time).
pub fn cookie_reads(read: &ReadAccess, headers: &HeaderMap) -> bool {
    let Some(token) = &read.token else {
        return false;
    };
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .any(|(name, value)| name == WALL_COOKIE && token.matches(value))
}

#[cfg(test)]
mod tests {
    use axum::http::{HeaderMap, HeaderValue, header::COOKIE};

    use super::{ReadAccess, SignIn, cookie_reads, sign_in};
    use crate::guard::ReadToken;

    const TOKEN: &str = "r3adT0ken-abcdefghijklmnopqrstuv";

    fn read() -> ReadAccess {
        ReadAccess {
            token: ReadToken::new(TOKEN).ok(),
            ..ReadAccess::default()
        }
    }

    #[test]
    fn the_token_becomes_a_strict_http_only_cookie_and_leaves_the_address() {
        let Some(SignIn::Accepted {
            location,
            set_cookie,
        }) = sign_in(
            &read(),
            "/wall",
            &format!("cc=a,b&token={TOKEN}&x=1"),
            false,
        )
        else {
            panic!("accepted");
        };
        assert_eq!(location, "/wall?cc=a,b&x=1");
        assert_eq!(
            set_cookie,
            format!("xsi_wallboard_read={TOKEN}; Path=/; HttpOnly; SameSite=Strict")
        );
        let Some(SignIn::Accepted {
            location,
            set_cookie,
        }) = sign_in(&read(), "/wall", &format!("token={TOKEN}"), true)
        else {
            panic!("accepted");
        };
        assert_eq!(location, "/wall");
        assert!(set_cookie.ends_with("; Secure"), "{set_cookie}");
    }

    #[test]
    fn a_wrong_token_or_none_configured_is_refused_and_no_token_is_no_sign_in() {
        assert_eq!(
            sign_in(&read(), "/wall", "token=nope", false),
            Some(SignIn::Refused)
        );
        assert_eq!(
            sign_in(&read(), "/wall", "token", false),
            Some(SignIn::Refused)
        );
        let no_token = ReadAccess::default();
        assert_eq!(
            sign_in(&no_token, "/wall", &format!("token={TOKEN}"), false),
            Some(SignIn::Refused)
        );
        assert_eq!(sign_in(&read(), "/wall", "cc=a", false), None);
    }

    #[test]
    fn only_the_right_cookie_reads() {
        let mut headers = HeaderMap::new();
        let with = |value: &str| {
            let mut headers = HeaderMap::new();
            headers.insert(COOKIE, HeaderValue::from_str(value).expect("value"));
            headers
        };
        assert!(!cookie_reads(&read(), &headers));
        assert!(cookie_reads(
            &read(),
            &with(&format!("a=b; xsi_wallboard_read={TOKEN}"))
        ));
        assert!(!cookie_reads(&read(), &with(&format!("other={TOKEN}"))));
        assert!(!cookie_reads(&read(), &with("xsi_wallboard_read=wrong")));
        assert!(!cookie_reads(
            &ReadAccess::default(),
            &with(&format!("xsi_wallboard_read={TOKEN}"))
        ));
        headers.insert(COOKIE, HeaderValue::from_static("xsi_wallboard_read="));
        assert!(!cookie_reads(&read(), &headers));
    }
}
