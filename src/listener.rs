//! The HTTP contact: an axum router that takes XSI events, answers the XSP at once and hands
//! the parsed events to the applier.
//!
//! ```text
//! POST {path}[/{token}]  one <xsi:Event> -> 200 (queued) | 400 (not an XSI Event, or a DTD)
//!                          | 413 (> 1 MiB) | 503 (board behind: lost, counted as dropped)
//!                          | 403 (peer not in allow_from) | 404 (wrong or missing token)
//!                          | 404 (channel mode: events come down the channel)
//! GET  /healthz           200 "ok"
//! GET  /api/board         the board snapshot as JSON
//! ```
//!
//! With a listen token the event path is `{path}/{token}` only; `{path}` alone is 404 like any
//! unknown path, so a scan learns nothing. `/healthz` and `/api/board` answer loopback and
//! `allow_from` peers. Refusals carry no detail and are counted (`refused`), never with the path.
//!
//! BroadWorks ignores the response body and never redelivers a refused event, so the handler
//! parses, queues and answers; it never waits on the board itself.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
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
use tokio::sync::mpsc;
use tokio::sync::mpsc::error::{SendTimeoutError, TrySendError};
use tokio_util::sync::CancellationToken;

use crate::board::{Board, DroppedEvent, Input, now_ms};
use crate::guard::{self, Guard, Limits};
use crate::xsi::{self, Event, EventData};

/// Largest event body taken: a queue snapshot of a few hundred calls is well under this.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// How long a handler waits for room in the applier's channel before it answers 503.
pub const DEFAULT_SEND_TIMEOUT: Duration = Duration::from_secs(1);

/// The routes the listener owns besides the event path; `--path` may not take them.
pub const HEALTH_PATH: &str = "/healthz";
pub const BOARD_PATH: &str = "/api/board";

/// What every handler shares: the board (for counters and `/api/board`) and the way in to the
/// applier.
#[derive(Clone)]
pub struct ListenerState {
    board: Arc<Board>,
    events: mpsc::Sender<Input>,
    send_timeout: Duration,
    drops: Arc<DropNotices>,
    guard: Guard,
    body_timeout: Duration,
    /// False in event channel mode: events come down the channel, and a POST here is refused.
    accept_events: bool,
}

impl std::fmt::Debug for ListenerState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ListenerState")
            .field("send_timeout", &self.send_timeout)
            .field("guard", &self.guard)
            .field("body_timeout", &self.body_timeout)
            .field("accept_events", &self.accept_events)
            .finish_non_exhaustive()
    }
}

impl ListenerState {
    pub fn new(board: Arc<Board>, events: mpsc::Sender<Input>) -> Self {
        ListenerState {
            board,
            events,
            send_timeout: DEFAULT_SEND_TIMEOUT,
            drops: Arc::default(),
            guard: Guard::default(),
            body_timeout: Limits::default().body_timeout,
            accept_events: true,
        }
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
        self.send_timeout = timeout;
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
    if path == HEALTH_PATH || path == BOARD_PATH {
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
    // The guard wraps every method (a GET with a wrong token is 404, not 405) and runs before
    // the body is read.
    let events = post(take_event)
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(middleware::from_fn_with_state(
            Arc::clone(&state),
            guard_events,
        ));
    let reads = Router::new()
        .route(HEALTH_PATH, get(health))
        .route(BOARD_PATH, get(board_json))
        .route_layer(middleware::from_fn_with_state(
            Arc::clone(&state),
            guard_reads,
        ));
    let mut router = Router::new().route(&event_path, events);
    if state.guard.token.is_some() && event_path != path {
        // The bare path is what a forger tries first: refused like a wrong token, and counted.
        router = router.route(path, any(missing_token));
    }
    router.merge(reads).fallback(not_found).with_state(state)
}

/// `{path}` without the token, when one is required.
async fn missing_token(State(listener): State<Arc<ListenerState>>, request: Request) -> Response {
    refuse(
        &listener,
        StatusCode::NOT_FOUND,
        peer(&request),
        "missing listen token",
    )
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

/// The event route's gate: address (403), then token (404), before any byte of the body.
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
        return refuse(
            &listener,
            StatusCode::FORBIDDEN,
            peer,
            "address not in allow_from",
        );
    }
    if let Some(token) = &guard.token {
        let given = request.uri().path().rsplit('/').next().unwrap_or_default();
        if !token.matches(given) {
            return refuse(&listener, StatusCode::NOT_FOUND, peer, "wrong listen token");
        }
    }
    next.run(request).await
}

/// `/healthz` and `/api/board`: this host, and the addresses events are taken from.
async fn guard_reads(
    State(listener): State<Arc<ListenerState>>,
    request: Request,
    next: Next,
) -> Response {
    let allow = &listener.guard.allow_from;
    let peer = peer(&request);
    let ok = allow.is_empty()
        || peer.is_some_and(|p| p.ip().to_canonical().is_loopback() || allow.permits(p.ip()));
    if !ok {
        return refuse(
            &listener,
            StatusCode::FORBIDDEN,
            peer,
            "address not in allow_from",
        );
    }
    next.run(request).await
}

/// Count and log a refusal (never the path: it may hold a guess at the token) and answer with
/// the status alone.
fn refuse(
    listener: &ListenerState,
    status: StatusCode,
    peer: Option<SocketAddr>,
    why: &'static str,
) -> Response {
    listener
        .board
        .intake
        .refused
        .fetch_add(1, Ordering::Relaxed);
    let peer = peer.map_or_else(|| "unknown".to_owned(), |p| p.to_string());
    tracing::warn!(%peer, %status, why, "request refused by the listener guard");
    plain(status, status.canonical_reason().unwrap_or("refused"))
}

/// `POST {path}`: one XSI event document.
async fn take_event(State(listener): State<Arc<ListenerState>>, request: Request) -> Response {
    if !listener.accept_events {
        return plain(
            StatusCode::NOT_FOUND,
            "this wallboard takes its events over an event channel (channel mode), not by POST",
        );
    }
    let counters = &listener.board.intake;
    let arrival_ms = now_ms();
    counters.received.fetch_add(1, Ordering::Relaxed);
    counters.last_event_ms.store(arrival_ms, Ordering::Relaxed);

    // A client that sends headers and then trickles (or stalls) its body is cut off.
    let body = match tokio::time::timeout(listener.body_timeout, Bytes::from_request(request, &()))
        .await
    {
        Ok(Ok(body)) => body,
        Err(_elapsed) => {
            counters.rejected.fetch_add(1, Ordering::Relaxed);
            let reason = format!(
                "event body not received within {} s",
                listener.body_timeout.as_secs()
            );
            tracing::warn!(%reason, "event refused");
            return plain(StatusCode::REQUEST_TIMEOUT, &reason);
        }
        Ok(Err(rejection)) => {
            counters.rejected.fetch_add(1, Ordering::Relaxed);
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
    let parsed = xsi::parse_event(&body);
    let event = match parsed {
        Ok(event) => event,
        Err(error) => {
            counters.rejected.fetch_add(1, Ordering::Relaxed);
            tracing::warn!(%error, "event refused");
            // What it said is lost, but its number was received: no false gap. Best effort: a
            // board too busy to hear it may see a gap, and repair it.
            if let Some(envelope) = xsi::salvage_envelope(&body) {
                let _ = listener.events.try_send(Input::Refused {
                    envelope,
                    arrival_ms,
                });
            }
            return plain(StatusCode::BAD_REQUEST, &error.to_string());
        }
    };
    // The event owns its strings now; the body can go before we wait on the channel.
    drop(body);
    if let Event::Subscription(sub) = &event
        && let EventData::Unknown(type_name) = &sub.data
    {
        // Not an error: the applier counts it; the log says what this build skipped.
        tracing::info!(%type_name, event_id = %sub.envelope.event_id, "unknown event type");
    }
    let arrival = Input::Event { event, arrival_ms };
    // Room in the channel is the normal case: queue without arming a timer. Only a full
    // channel waits (bounded) before the 503.
    let arrival = match listener.events.try_send(arrival) {
        Ok(()) => return StatusCode::OK.into_response(),
        Err(TrySendError::Full(arrival) | TrySendError::Closed(arrival)) => arrival,
    };
    match listener
        .events
        .send_timeout(arrival, listener.send_timeout)
        .await
    {
        Ok(()) => StatusCode::OK.into_response(),
        Err(SendTimeoutError::Timeout(arrival)) => {
            counters.dropped.fetch_add(1, Ordering::Relaxed);
            // A lost event leaves its queue in doubt until a snapshot replaces it: the applier
            // is told as soon as it has room.
            if let Input::Event { event, .. } = &arrival {
                listener.drops.notify(&listener.events, dropped(event));
            }
            tracing::warn!(
                event = %describe(&arrival),
                "event dropped: the board is behind (BroadWorks will not redeliver it)"
            );
            plain(
                StatusCode::SERVICE_UNAVAILABLE,
                "board is behind; event dropped",
            )
        }
        Err(SendTimeoutError::Closed(arrival)) => {
            counters.dropped.fetch_add(1, Ordering::Relaxed);
            tracing::warn!(event = %describe(&arrival), "event dropped: shutting down");
            plain(
                StatusCode::SERVICE_UNAVAILABLE,
                "shutting down; event dropped",
            )
        }
    }
}

async fn health() -> &'static str {
    "ok"
}

async fn board_json(State(state): State<Arc<ListenerState>>) -> Response {
    Json(state.board.snapshot(now_ms())).into_response()
}

async fn not_found() -> Response {
    plain(StatusCode::NOT_FOUND, "not found")
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

/// What the applier needs to know of an event lost with a 503.
fn dropped(event: &Event) -> DroppedEvent {
    match event {
        Event::Subscription(sub) => DroppedEvent {
            target_id: sub.envelope.target_id.clone(),
            subscription_id: Some(sub.envelope.subscription_id.clone()),
            sequence_number: sub.envelope.sequence_number,
        },
        _ => DroppedEvent {
            target_id: None,
            subscription_id: None,
            sequence_number: None,
        },
    }
}

/// `eventID` and type, for a log line about a lost event.
fn describe(input: &Input) -> String {
    match input {
        Input::Event {
            event: Event::Subscription(sub),
            ..
        } => format!("{} {}", sub.data.type_name(), sub.envelope.event_id),
        Input::Event {
            event: Event::ChannelTerminated(_),
            ..
        } => "ChannelTerminatedEvent".to_owned(),
        Input::Event {
            event: Event::Error(_),
            ..
        } => "ErrorEvent".to_owned(),
        _ => "input".to_owned(),
    }
}

/// Events lost with a 503, on their way to the applier. The channel that had no room for the
/// event has no room for the news of its loss either, so the news waits here (bounded) and one
/// task delivers it as soon as there is room, in order after what was queued before it.
#[derive(Debug, Default)]
struct DropNotices {
    pending: Mutex<Vec<DroppedEvent>>,
    sending: AtomicBool,
}

/// Beyond this many pending notices, they are merged into one that names nothing: every queue
/// is then in doubt, which is what so many losses mean anyway.
const MAX_PENDING_DROPS: usize = 1024;

impl DropNotices {
    fn notify(self: &Arc<Self>, events: &mpsc::Sender<Input>, event: DroppedEvent) {
        if let Ok(mut pending) = self.pending.lock() {
            if pending.len() >= MAX_PENDING_DROPS {
                pending.clear();
                pending.push(DroppedEvent {
                    target_id: None,
                    subscription_id: None,
                    sequence_number: None,
                });
            } else {
                pending.push(event);
            }
        }
        if self.sending.swap(true, Ordering::AcqRel) {
            return;
        }
        let (notices, events) = (Arc::clone(self), events.clone());
        tokio::spawn(async move {
            loop {
                let batch = notices
                    .pending
                    .lock()
                    .map(|mut p| std::mem::take(&mut *p))
                    .unwrap_or_default();
                if batch.is_empty() {
                    notices.sending.store(false, Ordering::Release);
                    // A notice pushed after the take but before the store would wait forever.
                    let more = notices.pending.lock().is_ok_and(|p| !p.is_empty());
                    if !more || notices.sending.swap(true, Ordering::AcqRel) {
                        return;
                    }
                    continue;
                }
                if events.send(Input::Dropped(batch)).await.is_err() {
                    return;
                }
            }
        });
    }
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
