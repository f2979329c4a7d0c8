//! The HTTP contact: an axum router that takes XSI events, answers the XSP at once and hands
//! the parsed events to the applier.
//!
//! ```text
//! POST {path}[/{token}]  one <xsi:Event> -> 200 (queued) | 400 (not an XSI Event, or a DTD)
//!                          | 413 (> 1 MiB) | 503 (board behind: lost, counted as dropped)
//!                          | 404 (peer not in allow_from, wrong or missing token)
//!                          | 404 (channel mode: events come down the channel, with a reason)
//! GET  /healthz           200 "ok" (every peer the accept loop let in)
//! GET  /api/board         the board snapshot as JSON (readers only, callers masked)
//! ```
//!
//! Every refusal is the same answer, `404 not found`: a peer outside `allow_from`, a wrong or
//! missing token, a reader not allowed, an unknown path, a wrong method. A scan cannot tell the
//! event path from nothing. With a listen token the event path is `{path}/{token}` only.
//! Guard refusals are counted (`refused`) and logged, never with the path (it may hold a guess
//! at the token).
//!
//! BroadWorks ignores the response body and never redelivers a refused event, so the handler
//! parses, queues and answers; it never waits on the board itself.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::FromRequest;
use axum::extract::{ConnectInfo, DefaultBodyLimit, Request, State};
use axum::http::StatusCode;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get, post};
use std::net::SocketAddr;
use tokio::net::TcpListener;
use tokio::sync::{mpsc, watch};
use tokio_util::sync::CancellationToken;

use crate::board::api::ApiBoard;
use crate::board::privacy::mask_callers;
use crate::board::{Board, Input, now_ms};
use crate::guard::{self, Guard, Limits};
use crate::intake::{Intake, NotTaken};
use crate::status::LinkStatus;

/// Largest event body taken: a queue snapshot of a few hundred calls is well under this.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// How long a handler waits for room in the applier's channel before it answers 503.
pub use crate::intake::DEFAULT_SEND_TIMEOUT;

/// The routes the listener owns besides the event path; `--path` may not take them.
pub const HEALTH_PATH: &str = "/healthz";
pub const BOARD_PATH: &str = "/api/board";
/// The board in the Prometheus text format.
pub const METRICS_PATH: &str = "/metrics";
/// The day in intervals, as JSON and as CSV.
pub const HISTORY_PATH: &str = "/api/history";
pub const HISTORY_CSV_PATH: &str = "/api/history.csv";

/// What every handler shares: the board (for counters and `/api/board`) and the way in to the
/// applier.
#[derive(Clone)]
pub struct ListenerState {
    board: Arc<Board>,
    intake: Intake,
    guard: Guard,
    body_timeout: Duration,
    /// False in event channel mode: events come down the channel, and a POST here is refused.
    accept_events: bool,
    /// The feed's status, for `/metrics`' subscriptions by state.
    link: Option<watch::Receiver<LinkStatus>>,
    /// `--mask-callers`: every caller masked in `/api/board`, not only those who asked for
    /// privacy.
    mask_callers: bool,
}

impl std::fmt::Debug for ListenerState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ListenerState")
            .field("guard", &self.guard)
            .field("body_timeout", &self.body_timeout)
            .field("accept_events", &self.accept_events)
            .field("mask_callers", &self.mask_callers)
            .finish_non_exhaustive()
    }
}

impl ListenerState {
    pub fn new(board: Arc<Board>, events: mpsc::Sender<Input>) -> Self {
        ListenerState {
            intake: Intake::new(Arc::clone(&board), events),
            board,
            guard: Guard::default(),
            body_timeout: Limits::default().body_timeout,
            accept_events: true,
            link: None,
            mask_callers: false,
        }
    }

    /// Report the feed's subscriptions in `/metrics`.
    #[must_use]
    pub fn with_link(mut self, link: watch::Receiver<LinkStatus>) -> Self {
        self.link = Some(link);
        self
    }

    /// `--mask-callers`: `/api/board` shows every caller's initials and last four digits only
    /// (callers who asked for privacy are masked either way).
    #[must_use]
    pub fn mask_callers(mut self, mask: bool) -> Self {
        self.mask_callers = mask;
        self
    }

    /// Take events only with the token, and only from the allowed addresses.
    #[must_use]
    pub fn with_guard(mut self, guard: Guard) -> Self {
        self.guard = guard;
        self
    }

    /// `false` (event channel mode): a POST to the event path answers 404 with a one-line
    /// reason, while `/healthz` and `/api/board` still serve.
    #[must_use]
    pub fn accept_events(mut self, accept: bool) -> Self {
        self.accept_events = accept;
        self
    }

    /// The body read timeout the event route enforces (the rest of [`Limits`] is
    /// [`guard::serve`]'s).
    #[must_use]
    pub fn with_limits(mut self, limits: Limits) -> Self {
        self.body_timeout = limits.body_timeout;
        self
    }

    /// Wait at most `timeout` for room in the channel (tests use a short one to reach the 503).
    #[must_use]
    pub fn with_send_timeout(mut self, timeout: Duration) -> Self {
        self.intake = self.intake.with_send_timeout(timeout);
        self
    }
}

/// Why a `--path` cannot be the event path, or `Ok` if it can.
///
/// The path becomes a literal axum route: it must start with `/`, hold no route syntax
/// (`{`, `}`, `*`, `:` at a segment start), no query or fragment, and not shadow the
/// listener's own routes.
pub fn check_path(path: &str) -> Result<(), String> {
    if !path.starts_with('/') {
        return Err(format!("path {path:?} must start with '/'"));
    }
    if [
        HEALTH_PATH,
        BOARD_PATH,
        METRICS_PATH,
        HISTORY_PATH,
        HISTORY_CSV_PATH,
    ]
    .contains(&path)
    {
        return Err(format!("path {path:?} is taken by the listener itself"));
    }
    let allowed = |c: char| c.is_ascii_alphanumeric() || "/-._~!$&'()+,;=@".contains(c);
    if let Some(bad) = path.chars().find(|&c| !allowed(c)) {
        return Err(format!("path {path:?} may not contain {bad:?}"));
    }
    if path.contains("//") {
        return Err(format!("path {path:?} has an empty segment"));
    }
    Ok(())
}

/// The listener's routes, with events taken at `path`.
///
/// # Panics
/// If `path` fails [`check_path`]: axum refuses such routes. Callers check user input first.
pub fn router(state: ListenerState, path: &str) -> Router {
    let state = Arc::new(state);
    // A token is one more segment: `{path}/{token}` (a `/` path gives `/{token}`).
    let event_path = if state.guard.token.is_some() {
        format!("{}/{{token}}", path.trim_end_matches('/'))
    } else {
        path.to_owned()
    };
    // The guard wraps every method and runs before the body is read; a wrong method is the
    // same 404 as everything else, so no answer says "this path exists".
    let events = post(take_event)
        .fallback(not_found)
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(middleware::from_fn_with_state(
            Arc::clone(&state),
            guard_events,
        ));
    let reads = Router::new()
        .route(BOARD_PATH, get(board_json).fallback(not_found))
        .route(METRICS_PATH, get(metrics).fallback(not_found))
        .route(HISTORY_PATH, get(history_json).fallback(not_found))
        .route(HISTORY_CSV_PATH, get(history_csv).fallback(not_found))
        .route_layer(middleware::from_fn_with_state(
            Arc::clone(&state),
            guard_reads,
        ));
    let mut router = Router::new()
        .route(&event_path, events)
        // Open to every peer the accept loop let in: it says nothing about callers.
        .route(HEALTH_PATH, get(health).fallback(not_found));
    if state.guard.token.is_some() && event_path != path {
        // The bare path is what a forger tries first: refused like a wrong token, and counted.
        router = router.route(path, any(missing_token));
    }
    router.merge(reads).fallback(not_found).with_state(state)
}

/// `{path}` without the token, when one is required.
async fn missing_token(State(listener): State<Arc<ListenerState>>, request: Request) -> Response {
    refuse(&listener, peer(&request), "missing listen token")
}

/// Serve `router` on `listener` with the default [`Limits`] and no TLS until `cancel` fires,
/// then finish the requests in flight. [`guard::serve`] takes TLS and other limits.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    cancel: CancellationToken,
) -> std::io::Result<()> {
    guard::serve(listener, router, None, Limits::default(), cancel).await
}

/// The peer's address, when the server supplied it (`guard::serve` does; a router called
/// directly, as in tests, has none).
fn peer(request: &Request) -> Option<SocketAddr> {
    request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| *addr)
}

/// The event route's gate: address, then token, before any byte of the body.
async fn guard_events(
    State(listener): State<Arc<ListenerState>>,
    request: Request,
    next: Next,
) -> Response {
    let guard = &listener.guard;
    let peer = peer(&request);
    // With an address list, a request whose peer is unknown is refused: fail closed.
    let address_ok =
        guard.allow_from.is_empty() || peer.is_some_and(|p| guard.allow_from.permits(p.ip()));
    if !address_ok {
        return refuse(&listener, peer, "address not in allow_from");
    }
    if let Some(token) = &guard.token {
        let given = request.uri().path().rsplit('/').next().unwrap_or_default();
        if !token.matches(given) {
            return refuse(&listener, peer, "wrong listen token");
        }
    }
    next.run(request).await
}

/// The read routes' gate: loopback (unless closed), `read_from`, or the bearer read token.
async fn guard_reads(
    State(listener): State<Arc<ListenerState>>,
    request: Request,
    next: Next,
) -> Response {
    let peer = peer(&request);
    if !listener.guard.read.permits(peer, request.headers()) {
        return refuse(&listener, peer, "not a reader");
    }
    next.run(request).await
}

/// Count and log a refusal (never the path: it may hold a guess at the token) and answer as
/// to an unknown path.
fn refuse(listener: &ListenerState, peer: Option<SocketAddr>, why: &'static str) -> Response {
    listener
        .board
        .intake
        .refused
        .fetch_add(1, Ordering::Relaxed);
    let peer = peer.map_or_else(|| "unknown".to_owned(), |p| p.to_string());
    tracing::warn!(%peer, why, "request refused by the listener guard");
    refusal()
}

/// The one answer to every refusal: the same status and body whatever was refused.
pub fn refusal() -> Response {
    plain(StatusCode::NOT_FOUND, "not found")
}

/// `POST {path}`: one XSI event document.
async fn take_event(State(listener): State<Arc<ListenerState>>, request: Request) -> Response {
    if !listener.accept_events {
        return plain(
            StatusCode::NOT_FOUND,
            "this wallboard takes its events over an event channel (channel mode), not by POST",
        );
    }
    let arrival_ms = now_ms();
    let intake = &listener.intake;
    intake.received(arrival_ms);

    // A client that sends headers and then trickles (or stalls) its body is cut off.
    let body = match tokio::time::timeout(listener.body_timeout, Bytes::from_request(request, &()))
        .await
    {
        Ok(Ok(body)) => body,
        Err(_elapsed) => {
            intake.rejected();
            let reason = format!(
                "event body not received within {} s",
                listener.body_timeout.as_secs()
            );
            tracing::warn!(%reason, "event refused");
            return plain(StatusCode::REQUEST_TIMEOUT, &reason);
        }
        Ok(Err(rejection)) => {
            intake.rejected();
            let status = rejection.status();
            let reason = if status == StatusCode::PAYLOAD_TOO_LARGE {
                format!("event body larger than {MAX_BODY_BYTES} bytes")
            } else {
                rejection.body_text()
            };
            tracing::warn!(%status, %reason, "event refused");
            return plain(status, &reason);
        }
    };
    match intake.take(&body, arrival_ms).await {
        Ok(()) => StatusCode::OK.into_response(),
        Err(NotTaken::Refused(error)) => {
            tracing::warn!(%error, "event refused");
            plain(StatusCode::BAD_REQUEST, &error.to_string())
        }
        // Counted and logged by the intake; the applier hears of the loss.
        Err(why @ (NotTaken::Dropped | NotTaken::Closed)) => {
            plain(StatusCode::SERVICE_UNAVAILABLE, &why.to_string())
        }
    }
}

async fn health() -> &'static str {
    "ok"
}

async fn board_json(State(state): State<Arc<ListenerState>>) -> Response {
    let mut snapshot = state.board.snapshot(now_ms());
    mask_callers(&mut snapshot, state.mask_callers);
    Json(ApiBoard::from(&snapshot)).into_response()
}

async fn metrics(State(state): State<Arc<ListenerState>>) -> Response {
    let snapshot = state.board.snapshot(now_ms());
    let link = state.link.as_ref().map(|link| link.borrow().clone());
    (
        [(
            axum::http::header::CONTENT_TYPE,
            crate::metrics::CONTENT_TYPE,
        )],
        crate::metrics::render(&snapshot, link.as_ref()),
    )
        .into_response()
}

async fn history_json(State(state): State<Arc<ListenerState>>) -> Response {
    Json(state.board.history()).into_response()
}

async fn history_csv(State(state): State<Arc<ListenerState>>) -> Response {
    (
        [(axum::http::header::CONTENT_TYPE, "text/csv; charset=utf-8")],
        state.board.history().to_csv(),
    )
        .into_response()
}

async fn not_found() -> Response {
    refusal()
}

/// A one-line `text/plain` answer (reasons from quick-xml may span lines).
fn plain(status: StatusCode, reason: &str) -> Response {
    let mut line: String = reason
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    line.push('\n');
    (status, line).into_response()
}

#[cfg(test)]
mod tests {
    use super::check_path;

    #[test]
    fn event_paths_are_literal_routes_of_their_own() {
        assert!(check_path("/xsi-events").is_ok());
        assert!(check_path("/bw/events/v2.0").is_ok());
        assert!(check_path("/").is_ok());
        for bad in [
            "xsi-events",
            "/healthz",
            "/api/board",
            "/{id}",
            "/*rest",
            "/a b",
            "/a//b",
        ] {
            assert!(check_path(bad).is_err(), "{bad} accepted");
        }
    }
}
