//! An in-process mock XSP on 127.0.0.1:0: records every request and answers like BroadWorks,
//! or as a test scripts it (401, 403 `ErrorInfo`, 404, 500, hang).
//!
//! It also sends events as BroadWorks does (`events`): it remembers the subscriptions it grants,
//! sends a single user's subscription its package's initial event after each subscribe and
//! refresh, and delivers what a test sends, numbered per subscription, to the HTTP contact or
//! down the event channel, recording every outcome. Collection targets get no initial event;
//! their queues are served by Xsi-Actions from the same state.

#![allow(
    dead_code,
    reason = "each test binary uses a different part of the mock"
)]

use std::collections::{HashMap, VecDeque};
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use futures::StreamExt as _;

#[path = "mock_xsp/call_centers.rs"]
mod call_centers;
#[path = "mock_xsp/events.rs"]
mod events;

#[allow(
    unused_imports,
    reason = "each test binary uses a different part of the mock"
)]
pub use call_centers::{Call, CallCenterMode};
#[allow(
    unused_imports,
    reason = "each test binary uses a different part of the mock"
)]
pub use events::{
    AGENT, CONFIGURATION, Delivered, Ended, MONITORING, Outcome, QUEUE, Subscription,
};

/// The account the mock accepts.
pub const USER: &str = "supervisor@example.com";
pub const PASSWORD: &str = "s3cret";
/// `Basic base64(USER:PASSWORD)`.
pub const AUTHORIZATION: &str = "Basic c3VwZXJ2aXNvckBleGFtcGxlLmNvbTpzM2NyZXQ=";

/// How long a test waits for the client to do something before it fails (not a timing
/// assertion: a bound so that a broken client fails the test instead of hanging it).
const PATIENCE: Duration = Duration::from_secs(30);

/// One request as the mock received it.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: Method,
    pub path: String,
    pub query: Option<String>,
    pub authorization: Option<String>,
    pub content_type: Option<String>,
    pub body: String,
}

/// A scripted answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reply {
    /// What BroadWorks answers when all is well.
    Ok,
    Unauthorized,
    /// 403 with an `ErrorInfo` body.
    Forbidden,
    /// 404 with an `ErrorInfo` body.
    NotFound,
    ServerError,
    /// This status with an `ErrorInfo` of this `summaryEnglish` and `errorCode`.
    Error(u16, &'static str, u32),
    /// Answers as `Ok` after this delay.
    Delay(Duration),
    /// Answers as `Ok` once the test calls [`MockXsp::release_held`]: an answer still on its
    /// way for as long as the test needs.
    Held,
    /// Never answers.
    Hang,
}

#[derive(Default)]
struct State {
    requests: Mutex<Vec<Recorded>>,
    /// Per method, answers consumed in order; `Reply::Ok` once empty.
    script: Mutex<HashMap<Method, VecDeque<Reply>>>,
    granted_expires: AtomicU32,
    next_id: AtomicU32,
    call_centers: Mutex<Vec<String>>,
    /// (call center, agent) pairs the Xsi-Actions agent directory lists.
    agents: Mutex<Vec<(String, String)>>,
    changed: tokio::sync::Notify,
    /// The open event channel's stream, if any: what a test pushes goes down it.
    channel: Mutex<Option<tokio::sync::mpsc::UnboundedSender<Bytes>>>,
    channels_opened: AtomicU32,
    heartbeats: AtomicU32,
    /// When non-zero, the `Date` header says the mock's clock is this far ahead of the host's.
    clock_offset_ms: std::sync::atomic::AtomicI64,
    /// Subscriptions, call center state and event delivery.
    hub: events::Hub,
    event_responses: EventResponseGate,
    /// Requests answered `Reply::Held` wait for this.
    held: HeldGate,
}

pub struct MockXsp {
    pub url: String,
    state: Arc<State>,
}

impl MockXsp {
    /// Start a mock that grants `granted_expires` seconds to every subscription.
    pub async fn start(granted_expires: u32) -> MockXsp {
        let state = Arc::new(State::default());
        state
            .granted_expires
            .store(granted_expires, Ordering::SeqCst);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind 127.0.0.1:0");
        let url = format!("http://{}", listener.local_addr().expect("local addr"));
        let shared = state.clone();
        let app = Router::new().fallback(move |method, uri, headers, body| {
            handle(shared.clone(), method, uri, headers, body)
        });
        tokio::spawn(async move { axum::serve(listener, app).await });
        MockXsp { url, state }
    }

    /// Answer with a `Date` header this far ahead of the host's clock (an XSP whose clock is
    /// off, or a host whose clock is).
    pub fn set_clock_offset_ms(&self, offset_ms: i64) {
        self.state
            .clock_offset_ms
            .store(offset_ms, Ordering::SeqCst);
    }

    /// The agents the Xsi-Actions directory lists, as (call center, agent user id).
    pub fn set_agents(&self, pairs: &[(&str, &str)]) {
        *self.state.agents.lock().expect("lock") = pairs
            .iter()
            .map(|(cc, agent)| ((*cc).to_owned(), (*agent).to_owned()))
            .collect();
    }

    /// The call centers the Xsi-Actions directory lists (their queues: `set_queue`).
    pub fn set_call_centers(&self, ids: &[&str]) {
        *self.state.call_centers.lock().expect("lock") =
            ids.iter().map(|s| (*s).to_owned()).collect();
    }

    /// Answer the next request with this method as told.
    pub fn script(&self, method: Method, reply: Reply) {
        self.state
            .script
            .lock()
            .expect("lock")
            .entry(method)
            .or_default()
            .push_back(reply);
    }

    pub fn requests(&self) -> Vec<Recorded> {
        self.state.requests.lock().expect("lock").clone()
    }

    pub fn requests_with(&self, method: &Method) -> Vec<Recorded> {
        self.requests()
            .into_iter()
            .filter(|r| r.method == method)
            .collect()
    }

    /// Wait until the recorded requests satisfy `done`; panics after a generous bound.
    pub async fn wait_until(
        &self,
        what: &str,
        done: impl Fn(&[Recorded]) -> bool,
    ) -> Vec<Recorded> {
        let wait = async {
            loop {
                let changed = self.state.changed.notified();
                tokio::pin!(changed);
                changed.as_mut().enable();
                let requests = self.requests();
                if done(&requests) {
                    return requests;
                }
                changed.await;
            }
        };
        match tokio::time::timeout(PATIENCE, wait).await {
            Ok(requests) => requests,
            Err(tokio::time::error::Elapsed { .. }) => panic!(
                "mock XSP: gave up waiting for {what}; got {:#?}",
                self.requests()
            ),
        }
    }

    /// Wait until `n` requests with `method` arrived.
    pub async fn wait_for_count(&self, method: Method, n: usize) -> Vec<Recorded> {
        let what = format!("{n} x {method}");
        self.wait_until(&what, |r| {
            r.iter().filter(|r| r.method == method).count() >= n
        })
        .await
        .into_iter()
        .filter(|r| r.method == method)
        .collect()
    }
}

/// The event channel (issue 7): a chunked stream the test writes into.
impl MockXsp {
    /// Send raw bytes down the open channel as one chunk; false if no channel is open.
    pub fn push_channel(&self, chunk: &[u8]) -> bool {
        self.state
            .channel
            .lock()
            .expect("lock")
            .as_ref()
            .is_some_and(|tx| tx.send(Bytes::copy_from_slice(chunk)).is_ok())
    }

    /// Send a document stream cut into chunks at the given byte offsets.
    pub fn push_split(&self, stream: &[u8], cuts: &[usize]) -> bool {
        let mut start = 0;
        let mut ok = true;
        for &cut in cuts.iter().chain(std::iter::once(&stream.len())) {
            let cut = cut.clamp(start, stream.len());
            if cut > start {
                ok &= self.push_channel(&stream[start..cut]);
            }
            start = cut;
        }
        ok
    }

    /// End the open channel's response (the XSP or a proxy dropped it).
    pub fn drop_channel(&self) {
        self.state.channel.lock().expect("lock").take();
    }

    /// How many channels were opened so far.
    pub fn channels_opened(&self) -> u32 {
        self.state.channels_opened.load(Ordering::SeqCst)
    }

    /// Wait until the `n`th channel is open (its `<Channel>` document sent).
    pub async fn wait_for_channel(&self, n: u32) {
        let what = format!("channel {n} open");
        self.wait_until(&what, |_| {
            self.state.channels_opened.load(Ordering::SeqCst) >= n
                && self.state.channel.lock().expect("lock").is_some()
        })
        .await;
    }
}

/// The `channelId` of the mock's `n`th channel (from 1).
pub fn channel_id(n: u32) -> String {
    format!("{n:08}-cccc-4000-8000-000000000000")
}

/// The `subscriptionId` the mock gave in its `n`th grant (from 1).
pub fn subscription_id(n: u32) -> String {
    format!("{n:08}-0000-4000-8000-000000000000")
}

async fn handle(
    state: Arc<State>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let offset = state.clock_offset_ms.load(Ordering::SeqCst);
    let mut response = answer(state, method, uri, headers, body).await;
    if offset != 0 {
        let now = jiff::Timestamp::now().as_millisecond() + offset;
        let date = jiff::Timestamp::from_millisecond(now)
            .ok()
            .and_then(|t| {
                jiff::fmt::rfc2822::DateTimePrinter::new()
                    .timestamp_to_rfc9110_string(&t)
                    .ok()
            })
            .and_then(|d| axum::http::HeaderValue::from_str(&d).ok());
        if let Some(date) = date {
            response
                .headers_mut()
                .insert(axum::http::header::DATE, date);
        }
    }
    response
}

async fn answer(
    state: Arc<State>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let body = String::from_utf8_lossy(&body).into_owned();
    let header = |name| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    state.requests.lock().expect("lock").push(Recorded {
        method: method.clone(),
        path: uri.path().to_owned(),
        query: uri.query().map(str::to_owned),
        authorization: header("authorization"),
        content_type: header("content-type"),
        body: body.clone(),
    });
    state.changed.notify_waiters();
    state.event_responses.pass(&method, uri.path()).await;

    if header("authorization").as_deref() != Some(AUTHORIZATION) {
        return StatusCode::UNAUTHORIZED.into_response();
    }
    let reply = state
        .script
        .lock()
        .expect("lock")
        .get_mut(&method)
        .and_then(VecDeque::pop_front)
        .unwrap_or(Reply::Ok);
    match reply {
        Reply::Ok => ok(&state, &method, uri.path(), &body),
        Reply::Unauthorized => StatusCode::UNAUTHORIZED.into_response(),
        Reply::Forbidden => error_info(StatusCode::FORBIDDEN, "Subscription not found", 110_861),
        Reply::NotFound => error_info(StatusCode::NOT_FOUND, "Not found", 4008),
        Reply::ServerError => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
        Reply::Error(status, summary, code) => error_info(
            StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST),
            summary,
            code,
        ),
        Reply::Delay(delay) => {
            tokio::time::sleep(delay).await;
            ok(&state, &method, uri.path(), &body)
        }
        Reply::Held => {
            state.held.pass().await;
            ok(&state, &method, uri.path(), &body)
        }
        Reply::Hang => std::future::pending().await,
    }
}

const EVENTS_ROOT: &str = "/com.broadsoft.xsi-events/v2.0/";
const SUBSCRIPTION_PATH: &str = "/com.broadsoft.xsi-events/v2.0/subscription/";

fn ok(state: &Arc<State>, method: &Method, path: &str, body: &str) -> Response {
    if let Some(response) = channel_route(state, method, path, body) {
        return response;
    }
    // Refresh or delete of a subscription the XSP does not hold (never granted, deleted,
    // replaced, terminated): BroadWorks answers 403.
    let not_held = || error_info(StatusCode::FORBIDDEN, "Subscription not found", 110_861);
    if let Some(id) = path.strip_prefix(SUBSCRIPTION_PATH) {
        if *method == Method::PUT {
            return match events::refresh(state, id) {
                Some(expires) => xml(format!(
                    r#"<?xml version="1.0" encoding="UTF-8"?><Subscription xmlns="http://schema.broadsoft.com/xsi"><expires>{expires}</expires></Subscription>"#
                )),
                None => not_held(),
            };
        }
        if *method == Method::DELETE {
            return if events::delete(state, id) {
                StatusCode::OK.into_response()
            } else {
                not_held()
            };
        }
    }
    if let Some(response) = call_command(method, path) {
        return response;
    }
    let expires = state.granted_expires.load(Ordering::SeqCst);
    if *method == Method::DELETE {
        return StatusCode::OK.into_response();
    }
    if *method == Method::PUT {
        return xml(format!(
            r#"<?xml version="1.0" encoding="UTF-8"?><Subscription xmlns="http://schema.broadsoft.com/xsi"><expires>{expires}</expires></Subscription>"#
        ));
    }
    if *method == Method::POST {
        let target = percent_decode(path.strip_prefix(EVENTS_ROOT).unwrap_or(path));
        let (id, expires) = events::grant(state, &target, body);
        return xml(format!(
            r#"<?xml version="1.0" encoding="UTF-8"?><Subscription xmlns="http://schema.broadsoft.com/xsi"><subscriptionId>{id}</subscriptionId><expires>{expires}</expires></Subscription>"#
        ));
    }
    if path.ends_with("/directories/CallCenters") {
        let mut entries = String::new();
        for id in state.call_centers.lock().expect("lock").iter() {
            let _ = write!(
                entries,
                "<callCenter><serviceUserID>{id}</serviceUserID></callCenter>"
            );
        }
        return xml(format!(
            r#"<CallCenters xmlns="http://schema.broadsoft.com/xsi">{entries}</CallCenters>"#
        ));
    }
    if path.ends_with("/directories/Agents") {
        // Every call center's agents; the client reads the one it asked about.
        let mut entries = String::new();
        for (cc, agent) in state.agents.lock().expect("lock").iter() {
            let _ = write!(
                entries,
                "<callCenter><serviceUserID>{cc}</serviceUserID><agentList><userDetails>\
                 <userId>{agent}</userId><firstName>A</firstName><lastName>Gent</lastName>\
                 </userDetails></agentList></callCenter>"
            );
        }
        return xml(format!(
            r#"<CallCenterAgents xmlns="http://schema.broadsoft.com/xsi">{entries}</CallCenterAgents>"#
        ));
    }
    if let Some(rest) = path.strip_prefix("/com.broadsoft.xsi-actions/v2.0/callcenter/")
        && let Some(id) = rest.strip_suffix("/calls")
    {
        return xml(events::acd_queue(state, &percent_decode(id)));
    }
    StatusCode::NOT_FOUND.into_response()
}

/// The position the mock answers every Promote and Reorder with.
pub const QUEUE_CALL_ORDER_POSITION: u32 = 2;

/// Xsi-Actions call center call commands (XSI 3.5.5): Promote and Reorder answer a
/// `QueueCallOrder`, `BlindTransfer` and the release (DELETE) an empty 200. The mock sends no
/// event for them: a test sends the XSP's event itself, when it wants one.
fn call_command(method: &Method, path: &str) -> Option<Response> {
    let rest = path.strip_prefix("/com.broadsoft.xsi-actions/v2.0/callcenter/")?;
    let (_, call) = rest.split_once("/calls/")?;
    let order = || {
        xml(format!(
            r#"<?xml version="1.0" encoding="UTF-8"?><QueueCallOrder xmlns="http://schema.broadsoft.com/xsi"><position>{QUEUE_CALL_ORDER_POSITION}</position></QueueCallOrder>"#
        ))
    };
    match (method.as_str(), call.rsplit_once('/').map(|(_, c)| c)) {
        ("PUT", Some("Promote" | "Reorder")) => Some(order()),
        ("PUT", Some("BlindTransfer")) | ("DELETE", None) => Some(StatusCode::OK.into_response()),
        _ => None,
    }
}

/// `%40` and the like in a path segment, as a client may encode an `@`.
fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let escaped = (bytes[i] == b'%')
            .then(|| text.get(i + 1..i + 3))
            .flatten()
            .and_then(|hex| u8::from_str_radix(hex, 16).ok());
        if let Some(byte) = escaped {
            out.push(byte);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn xml(body: String) -> Response {
    ([("content-type", "application/xml; charset=UTF-8")], body).into_response()
}

fn error_info(status: StatusCode, summary: &str, code: u32) -> Response {
    let body = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><ErrorInfo xmlns="http://schema.broadsoft.com/xsi"><summary>{summary}</summary><summaryEnglish>{summary}</summaryEnglish><errorCode>{code}</errorCode></ErrorInfo>"#
    );
    (
        status,
        [("content-type", "application/xml; charset=UTF-8")],
        body,
    )
        .into_response()
}

const CHANNEL_OPEN_PATH: &str = "/com.broadsoft.async/com.broadsoft.xsi-events/v2.0/channel";
const CHANNEL_PATH: &str = "/com.broadsoft.xsi-events/v2.0/channel/";

/// Answers for the event channel's requests; `None` for every other path.
fn channel_route(state: &State, method: &Method, path: &str, body: &str) -> Option<Response> {
    if *method == Method::POST && path == CHANNEL_OPEN_PATH {
        events::channel_opened(state, body);
        return Some(open_channel(state));
    }
    let rest = path.strip_prefix(CHANNEL_PATH)?;
    if *method == Method::POST && rest == "eventresponse" {
        return Some(StatusCode::OK.into_response());
    }
    if *method == Method::PUT
        && let Some(_id) = rest.strip_suffix("/heartbeat")
    {
        // The XSP answers a heartbeat with one on the stream; both spellings occur.
        let n = state.heartbeats.fetch_add(1, Ordering::SeqCst);
        let name = if n.is_multiple_of(2) {
            "ChannelHeartBeat"
        } else {
            "ChannelHeartbeat"
        };
        send_down(
            state,
            format!(r#"<{name} xmlns="http://schema.broadsoft.com/xsi"/>"#),
        );
        return Some(StatusCode::OK.into_response());
    }
    if *method == Method::PUT {
        let expires = state.granted_expires.load(Ordering::SeqCst);
        return Some(xml(format!(
            r#"<?xml version="1.0" encoding="UTF-8"?><Channel xmlns="http://schema.broadsoft.com/xsi"><expires>{expires}</expires></Channel>"#
        )));
    }
    if *method == Method::DELETE {
        send_down(state, channel_terminated(rest, "ExplicitDelete"));
        state.channel.lock().expect("lock").take();
        return Some(StatusCode::OK.into_response());
    }
    None
}

/// A `ChannelTerminatedEvent` document.
pub fn channel_terminated(channel_id: &str, reason: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<xsi:Event xsi1:type="xsi:ChannelTerminatedEvent" xmlns:xsi1="http://www.w3.org/2001/XMLSchema-instance" xmlns:xsi="http://schema.broadsoft.com/xsi">
<xsi:channelId>{channel_id}</xsi:channelId>
<xsi:reason>{reason}</xsi:reason>
</xsi:Event>"#
    )
}

fn send_down(state: &State, document: String) {
    if let Some(tx) = state.channel.lock().expect("lock").as_ref() {
        let _ = tx.send(Bytes::from(document));
    }
}

/// A streamed answer whose first document is `<Channel>`, itself cut in two chunks.
fn open_channel(state: &State) -> Response {
    let n = state.channels_opened.fetch_add(1, Ordering::SeqCst) + 1;
    let expires = state.granted_expires.load(Ordering::SeqCst);
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel::<Bytes>();
    let first = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<Channel xmlns="http://schema.broadsoft.com/xsi"><channelId>{}</channelId><expires>{expires}</expires></Channel>"#,
        channel_id(n)
    );
    let (a, b) = first.split_at(first.len() / 2);
    let _ = tx.send(Bytes::copy_from_slice(a.as_bytes()));
    let _ = tx.send(Bytes::copy_from_slice(b.as_bytes()));
    *state.channel.lock().expect("lock") = Some(tx);
    state.changed.notify_waiters();
    let stream = tokio_stream::wrappers::UnboundedReceiverStream::new(rx)
        .map(Ok::<Bytes, std::convert::Infallible>);
    (
        [("content-type", "application/xml; charset=UTF-8")],
        axum::body::Body::from_stream(stream),
    )
        .into_response()
}

/// An XSP slow to take event responses: `POST .../channel/eventresponse` is recorded on arrival
/// and answered only once released.
impl MockXsp {
    /// Leave every event response unanswered until [`MockXsp::release_event_responses`].
    pub fn hold_event_responses(&self) {
        self.state
            .event_responses
            .held
            .store(true, Ordering::SeqCst);
    }

    /// Answer the held event responses, and every later one at once.
    pub fn release_event_responses(&self) {
        self.state
            .event_responses
            .held
            .store(false, Ordering::SeqCst);
        self.state.event_responses.released.notify_waiters();
    }
}

/// Requests scripted `Reply::Held`.
impl MockXsp {
    /// Answer the requests held so far, and every later `Reply::Held` at once.
    pub fn release_held(&self) {
        self.state.held.released.store(true, Ordering::SeqCst);
        self.state.held.changed.notify_waiters();
    }
}

#[derive(Default)]
struct HeldGate {
    released: std::sync::atomic::AtomicBool,
    changed: tokio::sync::Notify,
}

impl HeldGate {
    async fn pass(&self) {
        loop {
            let changed = self.changed.notified();
            tokio::pin!(changed);
            changed.as_mut().enable();
            if self.released.load(Ordering::SeqCst) {
                return;
            }
            changed.await;
        }
    }
}

#[derive(Default)]
struct EventResponseGate {
    held: std::sync::atomic::AtomicBool,
    released: tokio::sync::Notify,
}

impl EventResponseGate {
    /// Returns once event responses are not held (at once for every other request).
    async fn pass(&self, method: &Method, path: &str) {
        if *method != Method::POST || !path.ends_with("/channel/eventresponse") {
            return;
        }
        loop {
            let released = self.released.notified();
            tokio::pin!(released);
            released.as_mut().enable();
            if !self.held.load(Ordering::SeqCst) {
                return;
            }
            released.await;
        }
    }
}
