//! The HTTP contact: an axum router that takes XSI events, answers the XSP at once and hands
//! the parsed events to the applier.
//!
//! ```text
//! POST {path}      one <xsi:Event> -> 200 (queued) | 400 (not an XSI Event) | 413 (> 1 MiB)
//!                                   | 503 (board behind: the event is lost, counted as dropped)
//!                                   | 404 (channel mode: events come down the channel)
//! GET  /healthz    200 "ok"
//! GET  /api/board  the board snapshot as JSON
//! ```
//!
//! BroadWorks ignores the response body and never redelivers a refused event, so the handler
//! parses, queues and answers; it never waits on the board itself.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use tokio::net::TcpListener;
use tokio::sync::mpsc;
use tokio::sync::mpsc::error::SendTimeoutError;
use tokio_util::sync::CancellationToken;

use crate::board::{Arrival, Board, now_ms};
use crate::xsi::{self, Event, EventData};

/// Largest event body taken: a queue snapshot of a few hundred calls is well under this.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// How long a handler waits for room in the applier's channel before it answers 503.
pub const DEFAULT_SEND_TIMEOUT: Duration = Duration::from_secs(1);

/// The routes the listener owns besides the event path; `--path` may not take them.
pub const HEALTH_PATH: &str = "/healthz";
pub const BOARD_PATH: &str = "/api/board";

/// Called for each parsed event before it is queued (the subscription client watches for
/// `SubscriptionTerminatedEvent` through it). Must be cheap and must not block.
pub type EventHook = Arc<dyn Fn(&Event) + Send + Sync>;

/// What every handler shares: the board (for counters and `/api/board`) and the way in to the
/// applier.
#[derive(Clone)]
pub struct ListenerState {
    board: Arc<Board>,
    events: mpsc::Sender<Arrival>,
    send_timeout: Duration,
    on_event: Option<EventHook>,
    /// False in event channel mode: events come down the channel, and a POST here is refused.
    accept_events: bool,
}

impl std::fmt::Debug for ListenerState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ListenerState")
            .field("send_timeout", &self.send_timeout)
            .field("on_event", &self.on_event.is_some())
            .field("accept_events", &self.accept_events)
            .finish_non_exhaustive()
    }
}

impl ListenerState {
    pub fn new(board: Arc<Board>, events: mpsc::Sender<Arrival>) -> Self {
        ListenerState {
            board,
            events,
            send_timeout: DEFAULT_SEND_TIMEOUT,
            on_event: None,
            accept_events: true,
        }
    }

    /// `false` (event channel mode): a POST to the event path answers 404 with a one-line
    /// reason, while `/healthz` and `/api/board` still serve.
    #[must_use]
    pub fn accept_events(mut self, accept: bool) -> Self {
        self.accept_events = accept;
        self
    }

    /// Wait at most `timeout` for room in the channel (tests use a short one to reach the 503).
    #[must_use]
    pub fn with_send_timeout(mut self, timeout: Duration) -> Self {
        self.send_timeout = timeout;
        self
    }

    #[must_use]
    pub fn with_on_event(mut self, hook: EventHook) -> Self {
        self.on_event = Some(hook);
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
    Router::new()
        .route(
            path,
            post(take_event).layer(DefaultBodyLimit::max(MAX_BODY_BYTES)),
        )
        .route(HEALTH_PATH, get(health))
        .route(BOARD_PATH, get(board_json))
        .fallback(not_found)
        .with_state(Arc::new(state))
}

/// Serve `router` on `listener` until `cancel` fires, then finish the requests in flight.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    cancel: CancellationToken,
) -> std::io::Result<()> {
    axum::serve(listener, router)
        .with_graceful_shutdown(cancel.cancelled_owned())
        .await
}

/// `POST {path}`: one XSI event document.
async fn take_event(
    State(listener): State<Arc<ListenerState>>,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    if !listener.accept_events {
        return plain(
            StatusCode::NOT_FOUND,
            "this wallboard takes its events over an event channel (channel mode), not by POST",
        );
    }
    let counters = &listener.board.stats;
    let arrival_ms = now_ms();
    counters.received.fetch_add(1, Ordering::Relaxed);
    counters.last_event_ms.store(arrival_ms, Ordering::Relaxed);

    let body = match body {
        Ok(body) => body,
        Err(rejection) => {
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
    // The event owns its strings now; the body can go before we wait on the channel.
    drop(body);
    let event = match parsed {
        Ok(event) => event,
        Err(error) => {
            counters.rejected.fetch_add(1, Ordering::Relaxed);
            tracing::warn!(%error, "event refused");
            return plain(StatusCode::BAD_REQUEST, &error.to_string());
        }
    };
    if let Event::Subscription(sub) = &event
        && let EventData::Unknown(type_name) = &sub.data
    {
        // Not an error: the applier counts it; the log says what this build skipped.
        tracing::info!(%type_name, event_id = %sub.envelope.event_id, "unknown event type");
    }
    if let Some(hook) = &listener.on_event {
        hook(&event);
    }

    let arrival = Arrival { event, arrival_ms };
    match listener
        .events
        .send_timeout(arrival, listener.send_timeout)
        .await
    {
        Ok(()) => StatusCode::OK.into_response(),
        Err(SendTimeoutError::Timeout(arrival)) => {
            counters.dropped.fetch_add(1, Ordering::Relaxed);
            // A lost event leaves its queue in doubt until a snapshot replaces it.
            match target_of(&arrival.event) {
                Some(target) => listener.board.liveness().mark_unsure(target),
                None => listener.board.liveness().mark_all_unsure(),
            }
            tracing::warn!(
                event = %describe(&arrival.event),
                "event dropped: the board is behind (BroadWorks will not redeliver it)"
            );
            plain(
                StatusCode::SERVICE_UNAVAILABLE,
                "board is behind; event dropped",
            )
        }
        Err(SendTimeoutError::Closed(arrival)) => {
            counters.dropped.fetch_add(1, Ordering::Relaxed);
            tracing::warn!(event = %describe(&arrival.event), "event dropped: shutting down");
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

/// The call center an event is about, if it names one.
fn target_of(event: &Event) -> Option<&str> {
    match event {
        Event::Subscription(sub) => sub.envelope.target_id.as_deref(),
        _ => None,
    }
}

/// `eventID` and type, for a log line about a lost event.
fn describe(event: &Event) -> String {
    match event {
        Event::Subscription(sub) => {
            format!("{} {}", sub.data.type_name(), sub.envelope.event_id)
        }
        Event::ChannelTerminated(_) => "ChannelTerminatedEvent".to_owned(),
        Event::Error(_) => "ErrorEvent".to_owned(),
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
