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
//! GET  /api/board/stream  the board as Server-Sent Events (`stream`; readers only)
//! GET  /wall              the wall-TV page (with `--web`), fed by that stream (readers only)
//! GET  /api/status        the feed's status panel as data (`control`; readers only)
//! GET  /api/history(.csv) the day in intervals (readers only)
//! GET  /metrics           the board in the Prometheus text format (readers only)
//! POST /api/resubscribe   {"call_center": ID} or {}: `r` / `R` (control scope)
//! POST /api/actions       an action on a waiting call, checked and sent here (control, as
//!                         above): 200 ok | 409 refused | 502 failed, each with its reason
//! ```
//!
//! Reads: loopback (unless `read_loopback = false`), `read_from`, the bearer read or control
//! token, the wall cookie (`/wall?token=` sets it), or the viewer socket. Control: the bearer
//! control token, loopback (unless closed), or the viewer socket (unless read-only). The viewer
//! socket ([`viewer_router`]) serves the same read and control routes, never the event path.
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
use axum::response::sse::{Event, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get, post};
use std::net::SocketAddr;
use tokio::net::TcpListener;
use tokio::sync::{mpsc, watch};
use tokio_util::sync::CancellationToken;

use crate::board::api::ApiBoard;
use crate::board::privacy::mask_callers;
use crate::board::{Board, Input, now_ms};
use crate::control::{ApiStatus, ResubscribeRequest};
use crate::guard::cookie::{self, SignIn};
use crate::guard::{self, ConnectionLimits, Controller, Guard};
use crate::intake::{Intake, NotTaken};
use crate::logging::{Throttle, Wire};
use crate::status::LinkStatus;

/// Refusals are what a scan or a flood produces: logged at a bounded rate, the rest counted.
static GUARD_REFUSALS: Throttle = Throttle::new();
static EVENT_REFUSALS: Throttle = Throttle::new();
use crate::status::FeedCommand;
use crate::stream::{BoardStream, Message};
use crate::viewer::SocketPeer;

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
pub const STREAM_PATH: &str = "/api/board/stream";
pub const WALL_PATH: &str = "/wall";
pub const STATUS_PATH: &str = "/api/status";
pub const RESUBSCRIBE_PATH: &str = "/api/resubscribe";
/// `POST`: an action on a waiting call (issue 18).
pub const ACTIONS_PATH: &str = "/api/actions";

/// A resubscribe request is a few bytes of JSON.
const MAX_CONTROL_BODY_BYTES: usize = 4 * 1024;

/// The wall-TV page: one self-contained file, no build step.
const WALL_PAGE: &str = include_str!("../assets/wall.html");

/// How long a browser's `EventSource` waits before it reconnects after the stream drops.
const SSE_RETRY: Duration = Duration::from_secs(2);

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
    /// `/api/board/stream`'s publications, shared by every viewer.
    stream: Arc<BoardStream>,
    /// Serve `/wall` (`--web`).
    web: bool,
    /// The feed's status, as the status panel shows it.
    link: watch::Receiver<LinkStatus>,
    /// Where `/api/resubscribe` sends `r` / `R`; `None`: refused (no feed wired).
    commands: Option<mpsc::UnboundedSender<FeedCommand>>,
    /// Where `/api/actions` takes its actions; `None`: refused (none wired).
    actions: Option<crate::actions::Actions>,
    /// `--mask-callers`: every caller masked in `/api/board` and its stream, not only those
    /// who asked for privacy.
    mask_callers: bool,
    /// Ends the board streams at shutdown.
    stream_cancel: CancellationToken,
    /// Over TLS the wall cookie is marked `Secure`.
    transport: Transport,
}

/// What the listener is served over.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Transport {
    Http,
    Https,
}

impl std::fmt::Debug for ListenerState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ListenerState")
            .field("guard", &self.guard)
            .field("body_timeout", &self.body_timeout)
            .field("accept_events", &self.accept_events)
            .field("mask_callers", &self.mask_callers)
            .field("web", &self.web)
            .finish_non_exhaustive()
    }
}

impl ListenerState {
    pub fn new(board: Arc<Board>, events: mpsc::Sender<Input>) -> Self {
        ListenerState {
            intake: Intake::new(Arc::clone(&board), events),
            stream: board_stream(&board, false, CancellationToken::new()),
            board,
            guard: Guard::default(),
            body_timeout: ConnectionLimits::default().body_timeout,
            accept_events: true,
            web: false,
            link: watch::channel(LinkStatus::default()).1,
            commands: None,
            actions: None,
            mask_callers: false,
            stream_cancel: CancellationToken::new(),
            transport: Transport::Http,
        }
    }

    /// Served over TLS (the wall cookie is then `Secure`).
    #[must_use]
    pub fn with_tls(mut self, tls: bool) -> Self {
        self.transport = if tls {
            Transport::Https
        } else {
            Transport::Http
        };
        self
    }

    /// `--mask-callers`: `/api/board` and its stream show every caller's initials and last four
    /// digits only (callers who asked for privacy are masked either way).
    #[must_use]
    pub fn mask_callers(mut self, mask: bool) -> Self {
        self.mask_callers = mask;
        self.stream = board_stream(&self.board, mask, self.stream_cancel.clone());
        self
    }

    /// The feed's status for `/api/status`, and where `/api/resubscribe` sends its commands
    /// (the same road as the screen's `r` / `R`).
    #[must_use]
    pub fn with_feed(
        mut self,
        link: watch::Receiver<LinkStatus>,
        commands: mpsc::UnboundedSender<FeedCommand>,
    ) -> Self {
        self.link = link;
        self.commands = Some(commands);
        self
    }

    /// Take `/api/actions` (the same checks, audit and sending as the screen's keys).
    #[must_use]
    pub fn with_actions(mut self, actions: crate::actions::Actions) -> Self {
        self.actions = Some(actions);
        self
    }

    /// End the board streams when `cancel` fires (an endless response would otherwise hold
    /// the shutdown until the drain bound).
    #[must_use]
    pub fn with_shutdown(mut self, cancel: CancellationToken) -> Self {
        self.stream = board_stream(&self.board, self.mask_callers, cancel.clone());
        self.stream_cancel = cancel;
        self
    }

    /// Serve the wall-TV page at `/wall` (`--web`).
    #[must_use]
    pub fn with_web(mut self, web: bool) -> Self {
        self.web = web;
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

    /// The body read timeout the event route enforces (the rest of [`ConnectionLimits`] is
    /// [`guard::serve`]'s).
    #[must_use]
    pub fn with_limits(mut self, limits: ConnectionLimits) -> Self {
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
        STREAM_PATH,
        WALL_PATH,
        STATUS_PATH,
        RESUBSCRIBE_PATH,
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
    let mut router = Router::new()
        .route(&event_path, events)
        // Open to every peer the accept loop let in: it says nothing about callers.
        .route(HEALTH_PATH, get(health).fallback(not_found));
    if state.guard.token.is_some() && event_path != path {
        // The bare path is what a forger tries first: refused like a wrong token, and counted.
        router = router.route(path, any(missing_token));
    }
    router
        .merge(reads_and_control(&state))
        .fallback(not_found)
        .with_state(state)
}

/// The viewer socket's routes: the read and control routes and `/healthz`, never the event
/// path (the XSP posts over TCP only). The same state, so the same board stream.
pub fn viewer_router(state: ListenerState) -> Router {
    let state = Arc::new(state);
    Router::new()
        .route(HEALTH_PATH, get(health).fallback(not_found))
        .merge(reads_and_control(&state))
        .fallback(not_found)
        .with_state(state)
}

/// Every read behind `guard_reads` (the stream and the page too), control behind
/// `guard_control`.
fn reads_and_control(state: &Arc<ListenerState>) -> Router<Arc<ListenerState>> {
    let mut reads = Router::new()
        .route(BOARD_PATH, get(board_json).fallback(not_found))
        .route(STREAM_PATH, get(board_events).fallback(not_found))
        .route(STATUS_PATH, get(status_json).fallback(not_found))
        .route(METRICS_PATH, get(metrics).fallback(not_found))
        .route(HISTORY_PATH, get(history_json).fallback(not_found))
        .route(HISTORY_CSV_PATH, get(history_csv).fallback(not_found));
    if state.web {
        reads = reads.route(WALL_PATH, get(wall_page).fallback(not_found));
    }
    let reads = reads.route_layer(middleware::from_fn_with_state(
        Arc::clone(state),
        guard_reads,
    ));
    let control = Router::new()
        .route(RESUBSCRIBE_PATH, post(resubscribe).fallback(not_found))
        .route(ACTIONS_PATH, post(act_on_call).fallback(not_found))
        .layer(DefaultBodyLimit::max(MAX_CONTROL_BODY_BYTES))
        .route_layer(middleware::from_fn_with_state(
            Arc::clone(state),
            guard_control,
        ));
    reads.merge(control)
}

/// `{path}` without the token, when one is required.
async fn missing_token(State(listener): State<Arc<ListenerState>>, request: Request) -> Response {
    refuse(&listener, peer(&request), "missing listen token")
}

/// Serve `router` on `listener` with the default [`ConnectionLimits`] and no TLS until `cancel` fires,
/// then finish the requests in flight. [`guard::serve`] takes TLS and other limits.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    cancel: CancellationToken,
) -> std::io::Result<()> {
    guard::serve(listener, router, None, ConnectionLimits::default(), cancel).await
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

/// The read routes' gate: the viewer socket, loopback (unless closed), `read_from`, the bearer
/// read or control token, or the wall cookie. `/wall?token=` is the wall's sign-in.
async fn guard_reads(
    State(listener): State<Arc<ListenerState>>,
    request: Request,
    next: Next,
) -> Response {
    if request.extensions().get::<SocketPeer>().is_some() {
        return next.run(request).await;
    }
    let peer = peer(&request);
    let guard = &listener.guard;
    if request.uri().path() == WALL_PATH
        && let Some(query) = request.uri().query()
        && let Some(sign_in) = cookie::sign_in(
            &guard.read,
            WALL_PATH,
            query,
            listener.transport == Transport::Https,
        )
    {
        return match sign_in {
            SignIn::Accepted {
                location,
                set_cookie,
            } => (
                StatusCode::SEE_OTHER,
                [
                    (axum::http::header::LOCATION, location),
                    (axum::http::header::SET_COOKIE, set_cookie),
                    (axum::http::header::CACHE_CONTROL, "no-store".to_owned()),
                ],
            )
                .into_response(),
            SignIn::Refused => refuse(&listener, peer, "wrong wall token"),
        };
    }
    let headers = request.headers();
    let reads = guard.read.permits(peer, headers)
        || guard
            .control
            .as_ref()
            .is_some_and(|token| token.presented_in(headers))
        || cookie::cookie_reads(&guard.read, headers);
    if !reads {
        return refuse(&listener, peer, "not a reader");
    }
    next.run(request).await
}

/// The control routes' gate: the viewer socket (unless read-only), the bearer control token,
/// or loopback (unless `read_loopback = false` closed it). The read token never controls. A
/// request whose peer is unknown has only the token: fail closed. Who passed is handed to the
/// handler for its log line.
async fn guard_control(
    State(listener): State<Arc<ListenerState>>,
    mut request: Request,
    next: Next,
) -> Response {
    let peer = peer(&request);
    let guard = &listener.guard;
    let controller = if let Some(socket) = request.extensions().get::<SocketPeer>() {
        socket
            .control
            .then_some(Controller::Socket { uid: socket.uid })
    } else if guard
        .control
        .as_ref()
        .is_some_and(|token| token.presented_in(request.headers()))
    {
        Some(Controller::Token { peer })
    } else {
        peer.filter(|p| guard.read.loopback && p.ip().to_canonical().is_loopback())
            .map(|peer| Controller::Loopback { peer })
    };
    let Some(controller) = controller else {
        return refuse(&listener, peer, "no control scope");
    };
    request.extensions_mut().insert(controller);
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
    crate::warn_throttled!(GUARD_REFUSALS, %peer, why, "request refused by the listener guard");
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
            crate::warn_throttled!(EVENT_REFUSALS, %reason, "event refused");
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
            crate::warn_throttled!(EVENT_REFUSALS, %status, reason = %Wire(&reason), "event refused");
            return plain(status, &reason);
        }
    };
    match intake.take(body, arrival_ms).await {
        Ok(()) => StatusCode::OK.into_response(),
        Err(NotTaken::Refused(error)) => {
            // The parser's reason quotes the body (a type name, a prefix): escaped.
            crate::warn_throttled!(EVENT_REFUSALS, error = %Wire(&error.to_string()), "event refused");
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
    Json(api_board(
        &state.board,
        state.board.now(),
        state.mask_callers,
    ))
    .into_response()
}

/// `/api/board`'s answer at `now_ms`; the stream sends exactly this, so masking reaches every
/// viewer.
fn api_board(board: &Board, now_ms: i64, mask: bool) -> ApiBoard {
    let mut snapshot = board.snapshot(now_ms);
    mask_callers(&mut snapshot, mask);
    let mut api = ApiBoard::from(&snapshot);
    api.journal = board.journal.counts();
    api
}

fn board_stream(board: &Arc<Board>, mask: bool, cancel: CancellationToken) -> Arc<BoardStream> {
    BoardStream::new(
        Arc::clone(board),
        Arc::new(move |board: &Board, now_ms: i64| api_board(board, now_ms, mask)),
        cancel,
    )
}

async fn metrics(State(state): State<Arc<ListenerState>>) -> Response {
    let snapshot = state.board.snapshot(state.board.now());
    let link = state.link.borrow().clone();
    (
        [(
            axum::http::header::CONTENT_TYPE,
            crate::metrics::CONTENT_TYPE,
        )],
        crate::metrics::render(&snapshot, Some(&link)),
    )
        .into_response()
}

/// `/api/board/stream`: a `board`, then what changed; resumes after `Last-Event-ID`.
async fn board_events(
    State(state): State<Arc<ListenerState>>,
    headers: axum::http::HeaderMap,
) -> Response {
    // A browser sends back the last `id` it saw; anything unreadable gets a whole board.
    let last_event_id = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    let viewer = state.stream.viewer(last_event_id);
    let cancel = state.stream.cancelled();
    let messages = futures::stream::unfold((viewer, true), |(mut viewer, first)| async move {
        let message = viewer.next().await?;
        let event = sse_event(message, first);
        Some((Ok::<_, std::convert::Infallible>(event), (viewer, false)))
    });
    let messages = futures::StreamExt::take_until(messages, cancel.cancelled_owned());
    (
        // A reverse proxy (nginx) would otherwise hold the messages back in its buffer.
        [("x-accel-buffering", "no")],
        Sse::new(messages),
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

fn sse_event(message: Message, first: bool) -> Event {
    let event = Event::default()
        .event(message.event)
        .id(message.id.to_string())
        .data(message.data);
    if first { event.retry(SSE_RETRY) } else { event }
}

/// `/api/status`: the feed's status as data (the screen's status panel words the same).
async fn status_json(State(state): State<Arc<ListenerState>>) -> Response {
    let link = state.link.borrow().clone();
    let viewers = state.stream.viewers();
    Json(ApiStatus::new(
        &link,
        tokio::time::Instant::now(),
        now_ms(),
        viewers,
    ))
    .into_response()
}

/// `POST /api/resubscribe`: `{"call_center": "ID"}` resubscribes one call center (`r`), `{}`
/// (or no body) all of them (`R`). Logged with who asked.
async fn resubscribe(State(state): State<Arc<ListenerState>>, request: Request) -> Response {
    let who = request
        .extensions()
        .get::<Controller>()
        .map_or_else(|| "unknown".to_owned(), ToString::to_string);
    let body = match Bytes::from_request(request, &()).await {
        Ok(body) => body,
        Err(rejection) => return plain(rejection.status(), &rejection.body_text()),
    };
    let asked: ResubscribeRequest = if body.iter().all(u8::is_ascii_whitespace) {
        ResubscribeRequest::default()
    } else {
        match serde_json::from_slice(&body) {
            Ok(asked) => asked,
            Err(error) => {
                return plain(
                    StatusCode::BAD_REQUEST,
                    &format!("expected {{\"call_center\": \"ID\"}} or {{}}: {error}"),
                );
            }
        }
    };
    let target: Option<Arc<str>> = asked.call_center.map(Arc::from);
    if let Some(id) = &target
        && !state.board.queue_ids().contains(id)
    {
        return plain(StatusCode::NOT_FOUND, "no such call center on the board");
    }
    let Some(commands) = &state.commands else {
        return plain(StatusCode::SERVICE_UNAVAILABLE, "no feed to resubscribe");
    };
    let call_center = target.as_deref().unwrap_or("all").to_owned();
    tracing::info!(by = %who, %call_center, "resubscribe asked over HTTP");
    if commands.send(FeedCommand::Resubscribe(target)).is_err() {
        return plain(StatusCode::SERVICE_UNAVAILABLE, "the feed has stopped");
    }
    (
        StatusCode::ACCEPTED,
        Json(serde_json::json!({ "resubscribe": call_center })),
    )
        .into_response()
}

/// `POST /api/actions`: `{"call_center", "call_id", "action", "argument"}`. Confirmation has
/// happened at the viewer; the checks are made again here against this board, the action is
/// audited with who asked, and sent with this wallboard's own account.
async fn act_on_call(State(state): State<Arc<ListenerState>>, request: Request) -> Response {
    // Who the control gate let in (socket uid, control token and address, loopback).
    let who = request
        .extensions()
        .get::<Controller>()
        .map(ToString::to_string)
        .or_else(|| peer(&request).map(|p| format!("address {p}")))
        .unwrap_or_else(|| "address unknown".to_owned());
    let body = match Bytes::from_request(request, &()).await {
        Ok(body) => body,
        Err(rejection) => return plain(rejection.status(), &rejection.body_text()),
    };
    let asked = serde_json::from_slice::<crate::control::ActionBody>(&body)
        .map_err(|error| error.to_string())
        .and_then(|body| body.request());
    let asked = match asked {
        Ok(asked) => asked,
        Err(error) => {
            return plain(
                StatusCode::BAD_REQUEST,
                &format!(
                    "expected {{\"call_center\", \"call_id\", \"action\", \"argument\"}}: {error}"
                ),
            );
        }
    };
    let Some(actions) = &state.actions else {
        return plain(StatusCode::SERVICE_UNAVAILABLE, "no actions here");
    };
    let outcome = actions
        .act(asked, &crate::actions::Viewer::Remote(who))
        .await;
    let status = match outcome {
        crate::actions::ActionOutcome::Sent(_) => StatusCode::OK,
        crate::actions::ActionOutcome::Refused(_) => StatusCode::CONFLICT,
        crate::actions::ActionOutcome::Failed(_) => StatusCode::BAD_GATEWAY,
    };
    (status, Json(crate::control::ActionAnswer::from(&outcome))).into_response()
}

/// `/wall`: the page; its data comes from the stream, so it is read-only by construction.
async fn wall_page() -> Response {
    (
        [
            ("content-type", "text/html; charset=utf-8"),
            ("cache-control", "no-cache"),
            // The page fetches nothing from elsewhere; say so to the browser too.
            (
                "content-security-policy",
                "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; \
                 connect-src 'self'; img-src 'self' data:",
            ),
        ],
        WALL_PAGE,
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
            "/api/board/stream",
            "/wall",
            "/{id}",
            "/*rest",
            "/a b",
            "/a//b",
        ] {
            assert!(check_path(bad).is_err(), "{bad} accepted");
        }
    }
}
