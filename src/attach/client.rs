//! The viewer's side of the wire: one HTTP client (over TCP, TLS or the viewer socket) for the
//! receiver's stream, status and resubscribe, and the tasks that follow the stream (with
//! reconnects), poll the status and carry `r`/`R` to the receiver.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use reqwest::StatusCode;
use tokio::sync::{mpsc, watch};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::mirror::Mirror;
use super::sse::SseReader;
use super::status::WireStatus;
use crate::board::now_ms;
use crate::listener::{ACTIONS_PATH, RESUBSCRIBE_PATH, STATUS_PATH, STREAM_PATH};
use crate::status::{FeedCommand, FeedSource, Health, LinkStatus};

/// The receiver sends a heartbeat every 5 s: three missed means the connection is dead, even
/// where TCP has not noticed (a receiver host gone, a NAT that forgot the flow).
pub const SILENCE: Duration = Duration::from_secs(15);

/// How often the status panel's data is fetched from the receiver.
pub const STATUS_EVERY: Duration = Duration::from_secs(5);

/// Reconnect backoff: from the first, doubling, at most the last.
const BACKOFF_FIRST: Duration = Duration::from_millis(500);
/// At most this between tries: a wall must be back soon after its receiver, and a few
/// hundred viewers retrying every few seconds cost a receiver nothing.
const BACKOFF_MOST: Duration = Duration::from_secs(4);

/// Status and resubscribe answer within this, or the receiver counts as unreachable.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(5);

/// Where the receiver is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReceiverUrl {
    /// `http(s)://host:port`, possibly with a path prefix (a reverse proxy).
    Http(reqwest::Url),
    /// `unix:/path`: the viewer socket.
    Unix(PathBuf),
}

impl ReceiverUrl {
    /// `http://host:port`, `https://...`, or `unix:/path/to.sock`.
    pub fn parse(text: &str) -> Result<Self, String> {
        if let Some(path) = text.strip_prefix("unix:") {
            let path = path.strip_prefix("//").unwrap_or(path);
            if path.is_empty() {
                return Err(
                    "unix: needs a socket path, as in unix:/run/xsi-wallboard/viewers.sock".into(),
                );
            }
            return Ok(ReceiverUrl::Unix(PathBuf::from(path)));
        }
        let url = reqwest::Url::parse(text).map_err(|e| format!("{text:?} is not a URL: {e}"))?;
        match url.scheme() {
            "http" | "https" if url.host().is_some() => Ok(ReceiverUrl::Http(url)),
            _ => Err(format!(
                "{text:?}: give http://HOST:PORT, https://HOST:PORT or unix:/PATH"
            )),
        }
    }

    /// As the header shows it: `host:port` for plain HTTP (the usual jump-host case, and short
    /// enough for an 80-column header), the whole URL otherwise.
    pub fn display(&self) -> String {
        match self {
            ReceiverUrl::Http(url) if url.scheme() == "http" && url.path() == "/" => {
                let host = url.host_str().unwrap_or_default();
                match url.port() {
                    Some(port) => format!("{host}:{port}"),
                    None => host.to_owned(),
                }
            }
            ReceiverUrl::Http(url) => url.as_str().trim_end_matches('/').to_owned(),
            ReceiverUrl::Unix(path) => format!("unix:{}", path.display()),
        }
    }
}

/// A bearer token; never shown.
#[derive(Clone, PartialEq, Eq)]
pub struct Bearer(String);

impl Bearer {
    pub fn new(token: impl Into<String>) -> Self {
        Bearer(token.into())
    }
}

impl std::fmt::Debug for Bearer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Bearer(***)")
    }
}

/// The receiver's endpoints, over whichever transport its URL names.
#[derive(Debug, Clone)]
pub struct Client {
    http: reqwest::Client,
    /// `scheme://host[:port][/prefix]`, without a trailing `/`.
    base: String,
    bearer: Option<Bearer>,
}

/// What the receiver said to `r` / `R`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resubscribed {
    Accepted,
    /// The one refusal (`404 not found`): this viewer has no control scope.
    ReadOnly,
    /// Another answer, in words.
    Other(String),
}

impl Client {
    pub fn new(url: &ReceiverUrl, bearer: Option<Bearer>) -> anyhow::Result<Self> {
        let builder = reqwest::Client::builder()
            .connect_timeout(REQUEST_TIMEOUT)
            .tcp_keepalive(Duration::from_secs(30))
            .no_proxy();
        let (builder, base) = match url {
            ReceiverUrl::Http(url) => (builder, url.as_str().trim_end_matches('/').to_owned()),
            // Over the socket the host is only a name for the request line.
            ReceiverUrl::Unix(path) => (
                builder.unix_socket(path.clone()),
                "http://localhost".to_owned(),
            ),
        };
        Ok(Client {
            http: builder.build()?,
            base,
            bearer,
        })
    }

    fn request(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        let request = self.http.request(method, format!("{}{path}", self.base));
        match &self.bearer {
            Some(Bearer(token)) => request.bearer_auth(token),
            None => request,
        }
    }

    /// `GET /api/status`.
    pub(crate) async fn status(&self) -> Result<WireStatus, String> {
        let answer = self
            .request(reqwest::Method::GET, STATUS_PATH)
            .timeout(REQUEST_TIMEOUT)
            .send()
            .await
            .map_err(|e| transport_words(&e))?;
        if answer.status() != StatusCode::OK {
            return Err(format!("status refused ({})", answer.status().as_u16()));
        }
        let body = answer.bytes().await.map_err(|e| transport_words(&e))?;
        serde_json::from_slice(&body).map_err(|_| "an unreadable status".to_owned())
    }

    /// `POST /api/resubscribe`: one call center, or all (`None`).
    pub async fn resubscribe(&self, call_center: Option<&str>) -> Resubscribed {
        let body = match call_center {
            Some(id) => serde_json::json!({ "call_center": id }),
            None => serde_json::json!({}),
        };
        let answer = self
            .request(reqwest::Method::POST, RESUBSCRIBE_PATH)
            .timeout(REQUEST_TIMEOUT)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(body.to_string())
            .send()
            .await;
        let answer = match answer {
            Ok(answer) => answer,
            Err(error) => {
                return Resubscribed::Other(format!(
                    "receiver unreachable: {}",
                    transport_words(&error)
                ));
            }
        };
        let status = answer.status();
        let text = answer.text().await.unwrap_or_default();
        match status {
            StatusCode::ACCEPTED => Resubscribed::Accepted,
            // Every refusal is the same `not found`; anything else is the handler's reason.
            StatusCode::NOT_FOUND if text.trim() == "not found" => Resubscribed::ReadOnly,
            _ => Resubscribed::Other(format!(
                "the receiver answered {}: {}",
                status.as_u16(),
                crate::logging::Wire(text.trim())
            )),
        }
    }
}

/// An action waits on the receiver's own request to the XSP: longer than a status read.
const ACTION_TIMEOUT: Duration = Duration::from_secs(15);

impl Client {
    /// `POST /api/actions`: an action confirmed on this screen, checked again, sent, audited
    /// and counted by the receiver; its answer in one line for the message line.
    pub async fn act(&self, request: &crate::actions::ActionRequest) -> String {
        let kind = request.action.kind();
        let argument = request.action.argument();
        let body = serde_json::json!({
            "call_center": &*request.call_center,
            "call_id": &*request.call_id,
            "action": kind.as_str(),
            "argument": (!argument.is_empty()).then_some(argument),
        });
        let answer = self
            .request(reqwest::Method::POST, ACTIONS_PATH)
            .timeout(ACTION_TIMEOUT)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(body.to_string())
            .send()
            .await;
        match answer {
            Ok(answer) => {
                let status = answer.status();
                let text = answer.text().await.unwrap_or_default();
                action_words(kind, status, &text)
            }
            Err(error) => format!(
                "{} not sent: receiver unreachable: {}",
                kind.as_str(),
                transport_words(&error)
            ),
        }
    }
}

/// The receiver's answer to `POST /api/actions`, in the words a local action gets.
fn action_words(kind: crate::actions::ActionKind, status: StatusCode, text: &str) -> String {
    #[derive(serde::Deserialize)]
    struct Answer {
        reason: Option<String>,
        position: Option<u32>,
    }
    let what = kind.as_str();
    // Every refusal of a control request is the same `not found`.
    if status == StatusCode::NOT_FOUND && text.trim() == "not found" {
        return format!(
            "{what} not sent: read-only viewer: actions need control scope on the receiver"
        );
    }
    let answer: Option<Answer> = serde_json::from_str(text).ok();
    let reason = answer
        .as_ref()
        .and_then(|a| a.reason.clone())
        .unwrap_or_else(|| text.trim().to_owned());
    let reason = crate::logging::Wire(&reason);
    match status {
        StatusCode::OK => match answer.and_then(|a| a.position) {
            Some(p) => format!("{what} taken (XSP position {p}); the board follows its event"),
            None => format!("{what} taken; the board follows the XSP's event"),
        },
        StatusCode::CONFLICT => format!("{what} not sent: the receiver refused: {reason}"),
        StatusCode::BAD_GATEWAY => format!("{what} failed: {reason}"),
        other => format!(
            "{what} not sent: the receiver answered {}: {reason}",
            other.as_u16()
        ),
    }
}

/// A transport failure in a supervisor's words (reqwest's own chain names URLs and layers).
fn transport_words(error: &reqwest::Error) -> String {
    if error.is_timeout() {
        "no answer in time".to_owned()
    } else if error.is_connect() {
        "cannot connect".to_owned()
    } else {
        "connection lost".to_owned()
    }
}

/// Follow the receiver's stream into `mirror` until `cancel`: reconnect by itself after a
/// loss, with backoff, resuming after the last message seen.
pub async fn follow(client: Client, mirror: Arc<Mirror>, cancel: CancellationToken) {
    let mut backoff = BACKOFF_FIRST;
    loop {
        let (delivered, why) = tokio::select! {
            () = cancel.cancelled() => return,
            ended = follow_once(&client, &mirror) => ended,
        };
        if delivered {
            backoff = BACKOFF_FIRST;
        }
        tracing::info!(why = %why, retry_in_ms = backoff.as_millis() as u64, "receiver stream lost");
        mirror.lose(format!("{why}; reconnecting"));
        tokio::select! {
            () = cancel.cancelled() => return,
            () = tokio::time::sleep(jitter(backoff)) => {}
        }
        backoff = (backoff * 2).min(BACKOFF_MOST);
    }
}

/// Up to a fifth more: viewers that lost one receiver together do not all call back at once.
fn jitter(delay: Duration) -> Duration {
    let fifth = delay.as_millis() as u64 / 5;
    delay + Duration::from_millis(rand::random_range(0..=fifth))
}

/// One connection: `(whether any message came, why it ended)`.
async fn follow_once(client: &Client, mirror: &Mirror) -> (bool, String) {
    let mut request = client.request(reqwest::Method::GET, STREAM_PATH);
    if let Some(id) = mirror.last_event_id() {
        request = request.header("last-event-id", id.to_string());
    }
    let mut response = match request.send().await {
        Ok(response) => response,
        Err(error) => return (false, transport_words(&error)),
    };
    match response.status() {
        StatusCode::OK => {}
        StatusCode::NOT_FOUND => return (false, "refused (404): no read access".to_owned()),
        other => return (false, format!("refused ({})", other.as_u16())),
    }
    let mut reader = SseReader::default();
    let mut delivered = false;
    loop {
        let chunk = match tokio::time::timeout(SILENCE, response.chunk()).await {
            Err(_) => return (delivered, format!("silent for {} s", SILENCE.as_secs())),
            Ok(Err(_)) => return (delivered, "connection lost".to_owned()),
            Ok(Ok(None)) => return (delivered, "the receiver ended the stream".to_owned()),
            Ok(Ok(Some(chunk))) => chunk,
        };
        let messages = match reader.feed(&chunk) {
            Ok(messages) => messages,
            Err(too_large) => {
                mirror.forget_position();
                return (delivered, too_large.to_string());
            }
        };
        for message in messages {
            if let Err(error) = mirror.apply(&message, now_ms()) {
                // The mirror may differ from the receiver's board now: a whole board next.
                tracing::warn!(%error, "stream message not applied");
                mirror.forget_position();
                return (delivered, "an unreadable message".to_owned());
            }
            delivered = true;
        }
    }
}

/// Fetch the receiver's status every [`STATUS_EVERY`] for the status panel (`s`) and the
/// header's feed state; while the receiver cannot be reached the feed shows as down.
pub async fn poll_status(
    client: Client,
    mirror: Arc<Mirror>,
    link: watch::Sender<LinkStatus>,
    cancel: CancellationToken,
) {
    let mut every = tokio::time::interval(STATUS_EVERY);
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut mirrored = crate::tui::BoardSource::changes(&*mirror);
    let mut was_lost = false;
    loop {
        let poll = tokio::select! {
            () = cancel.cancelled() => return,
            _ = every.tick() => true,
            changed = mirrored.changed() => {
                if changed.is_err() {
                    return;
                }
                // A stream lost shows as a feed down at once; one found again is polled at
                // once; otherwise polls keep their pace.
                let lost = mirror.lost().is_some();
                let back = was_lost && !lost;
                was_lost = lost;
                if lost {
                    link.send_if_modified(|link| {
                        let was = link.health;
                        link.health = Health::Down;
                        was != Health::Down
                    });
                }
                back
            }
        };
        if !poll {
            continue;
        }
        match client.status().await {
            Ok(status) => {
                let _ = link.send(status.link_status(Instant::now()));
            }
            Err(why) => {
                tracing::debug!(%why, "receiver status not read");
                link.send_modify(|link| link.health = Health::Down);
            }
        }
        // The stream may be lost while the status still answers: the board is not live.
        if mirror.lost().is_some() {
            link.send_modify(|link| link.health = Health::Down);
        }
    }
}

/// Carry the screen's `r` / `R` to the receiver and its answer back to the message line.
pub async fn carry_commands(
    client: Client,
    mut commands: mpsc::UnboundedReceiver<FeedCommand>,
    notices: mpsc::UnboundedSender<String>,
    link: watch::Receiver<LinkStatus>,
    cancel: CancellationToken,
) {
    loop {
        let command = tokio::select! {
            () = cancel.cancelled() => return,
            command = commands.recv() => match command {
                Some(command) => command,
                None => return,
            },
        };
        // Only the screen sends here, and it sends only `r` / `R`.
        let FeedCommand::Resubscribe(target) = command else {
            continue;
        };
        let mut answer = client.resubscribe(target.as_deref()).await;
        // A demo or listen-only receiver takes the command but has no XSP to ask: say so, as
        // its own screen would.
        let no_xsp = match &link.borrow().source {
            FeedSource::Demo(_) => Some("demo"),
            FeedSource::ListenOnly { .. } => Some("listen-only"),
            _ => None,
        };
        if let (Resubscribed::Accepted, Some(kind)) = (&answer, no_xsp) {
            answer = Resubscribed::Other(format!("{kind} receiver: no XSP to resubscribe to"));
        }
        let _ = notices.send(notice(target.as_deref(), &answer));
    }
}

/// The message line's words for the receiver's answer.
pub fn notice(target: Option<&str>, answer: &Resubscribed) -> String {
    match answer {
        Resubscribed::Accepted => format!(
            "the receiver resubscribes {}",
            target.unwrap_or("every call center")
        ),
        Resubscribed::ReadOnly => {
            "read-only viewer: r/R need control scope on the receiver".to_owned()
        }
        Resubscribed::Other(words) => words.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn receiver_urls_and_how_the_header_names_them() {
        let plain = ReceiverUrl::parse("http://10.0.0.5:8765").unwrap();
        assert_eq!(plain.display(), "10.0.0.5:8765");
        let tls = ReceiverUrl::parse("https://wall.example.com:8443/").unwrap();
        assert_eq!(tls.display(), "https://wall.example.com:8443");
        let proxied = ReceiverUrl::parse("http://proxy.example.com/wallboard").unwrap();
        assert_eq!(proxied.display(), "http://proxy.example.com/wallboard");
        let socket = ReceiverUrl::parse("unix:/run/xsi-wallboard/viewers.sock").unwrap();
        assert_eq!(
            socket,
            ReceiverUrl::Unix(PathBuf::from("/run/xsi-wallboard/viewers.sock"))
        );
        assert_eq!(socket.display(), "unix:/run/xsi-wallboard/viewers.sock");
        for wrong in ["unix:", "ftp://host", "127.0.0.1:8765", "http://"] {
            assert!(ReceiverUrl::parse(wrong).is_err(), "{wrong}");
        }
    }

    #[test]
    fn a_bearer_is_never_shown() {
        assert_eq!(format!("{:?}", Bearer::new("s3cret")), "Bearer(***)");
    }

    #[test]
    fn the_control_token_goes_before_the_read_token() {
        let bearer = |control: Option<&str>, read: Option<&str>| {
            super::super::bearer_from(control.map(str::to_owned), read.map(str::to_owned), None)
                .unwrap()
        };
        assert_eq!(bearer(Some("c\n"), Some("r")), Some(Bearer::new("c")));
        assert_eq!(bearer(Some(""), Some("r")), Some(Bearer::new("r")));
        assert_eq!(bearer(None, None), None);
    }
}
