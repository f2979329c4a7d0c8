//! The XSP's HTTP interface: XSI-Events subscriptions, the Xsi-Actions reads we need, and the
//! call center call commands a supervisor acts with (XSI 3.5.5, issue 18).

use std::sync::Arc;

use reqwest::{Method, StatusCode, Url};

use tokio::sync::mpsc;

use crate::board::{Input, now_ms};
use crate::config::{Secret, XspSettings};
use crate::xsi::QueueSnapshot;
use crate::xsi::request::{
    ErrorInfo, SubscriptionRequest, parse_acd_queue, parse_call_center_agents, parse_call_centers,
    parse_error_info, parse_queue_call_order, parse_subscription_response, promote_xml,
    refresh_xml,
};

const EVENTS_ROOT: &str = "com.broadsoft.xsi-events";
const ACTIONS_ROOT: &str = "com.broadsoft.xsi-actions";
/// Event channels open under this root, in front of [`EVENTS_ROOT`].
const ASYNC_ROOT: &str = "com.broadsoft.async";

/// A failed XSP call, sorted by what the wallboard should do about it.
#[derive(Debug, Clone, thiserror::Error)]
pub enum XspError {
    /// 401: wrong account or password. Never retried by itself: repeated attempts can lock
    /// the account.
    #[error("wrong user or password (401){}", info_suffix(.0.as_ref()))]
    Unauthorized(Option<ErrorInfo>),
    /// 403: BroadWorks' answer to any unsuccessful subscription command, including a refresh of
    /// a subscription it no longer knows, and to missing permissions.
    #[error("refused (403){}", info_suffix(.0.as_ref()))]
    Forbidden(Option<ErrorInfo>),
    #[error("not found (404){}", info_suffix(.0.as_ref()))]
    NotFound(Option<ErrorInfo>),
    #[error("XSP error ({status}){}", info_suffix(.info.as_ref()))]
    Status {
        status: u16,
        info: Option<ErrorInfo>,
    },
    /// 3xx: the XSP sent us elsewhere. Never followed: the request carries the password and
    /// the contact URL with the listen token, and would go to a host nobody configured.
    #[error("XSP answered {status} redirecting to {location}: not followed (check xsp_url)")]
    Redirected { status: u16, location: String },
    #[error("TLS failure: {0}")]
    Tls(String),
    #[error("XSP unreachable: {0}")]
    Unreachable(String),
    #[error("unexpected answer: {0}")]
    Protocol(String),
}

fn info_suffix(info: Option<&ErrorInfo>) -> String {
    info.map(|i| format!(": {i}")).unwrap_or_default()
}

impl XspError {
    /// Does this error mean the subscription is gone (subscribe again rather than refresh)?
    pub fn subscription_gone(&self) -> bool {
        matches!(self, XspError::Forbidden(_) | XspError::NotFound(_))
    }
}

/// What a subscribe or refresh granted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Granted {
    pub subscription_id: Arc<str>,
    /// Seconds.
    pub expires: u32,
}

/// HTTP client for one XSP and account; cheap to clone.
#[derive(Debug, Clone)]
pub struct XspClient {
    http: reqwest::Client,
    base: Url,
    user: String,
    password: Secret,
    /// Fed the XSP's `Date` headers: its clock stamps `addTime`, which wait timers count from.
    clock: Option<mpsc::Sender<Input>>,
}

impl XspClient {
    /// Build the client: rustls with the system roots, plus `ca_file` for a private CA.
    pub fn new(settings: &XspSettings) -> Result<Self, XspError> {
        Self::build(settings, None)
    }

    /// A client whose every request goes to `address`, whatever DNS says later: an event
    /// channel lives on one node of an XSP cluster, and its heartbeats, acknowledgements and
    /// refreshes must reach that node (with its cookies, which this client keeps).
    pub fn pinned(settings: &XspSettings, address: std::net::SocketAddr) -> Result<Self, XspError> {
        Self::build(settings, Some(address))
    }

    /// The demo simulator's Xsi-Actions at `base` (loopback, plain HTTP, the demo's account):
    /// the same client as a real XSP's, so that the demo's actions take the same road.
    pub fn demo(base: Url) -> Result<Self, XspError> {
        let http = Self::builder(crate::config::Timing::default().request_timeout)
            .build()
            .map_err(|e| XspError::Tls(e.to_string()))?;
        Ok(XspClient {
            http,
            base,
            user: "supervisor@demo.example".to_owned(),
            password: Secret::new("demo"),
            clock: None,
        })
    }

    /// What every client of the XSP shares: bounded in time, cookies kept, redirects refused.
    fn builder(timeout: std::time::Duration) -> reqwest::ClientBuilder {
        reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout)
            .cookie_store(true)
            // A redirect would resend the Basic credentials and the subscription (the contact
            // URL with the listen token) to wherever the answer points: refused, reported.
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("xsi-wallboard/", env!("CARGO_PKG_VERSION")))
    }

    fn build(
        settings: &XspSettings,
        pinned: Option<std::net::SocketAddr>,
    ) -> Result<Self, XspError> {
        let mut builder = Self::builder(settings.timing.request_timeout);
        if let Some(path) = &settings.ca_file {
            let pem = std::fs::read(path).map_err(|e| {
                XspError::Tls(format!("cannot read ca_file {}: {e}", path.display()))
            })?;
            for cert in reqwest::Certificate::from_pem_bundle(&pem)
                .map_err(|e| XspError::Tls(format!("ca_file {}: {e}", path.display())))?
            {
                builder = builder.add_root_certificate(cert);
            }
        }
        if let (Some(address), Some(host)) = (pinned, settings.xsp_url.host_str()) {
            builder = builder.resolve(host, address);
        }
        let http = builder.build().map_err(|e| XspError::Tls(e.to_string()))?;
        Ok(XspClient {
            http,
            base: settings.xsp_url.clone(),
            user: settings.user.clone(),
            password: settings.password.clone(),
            clock: None,
        })
    }

    /// The account the requests go out as.
    pub fn user(&self) -> &str {
        &self.user
    }

    /// Send the XSP's clock, from each answer's `Date` header, to the board's applier.
    #[must_use]
    pub fn with_clock(mut self, board: Option<mpsc::Sender<Input>>) -> Self {
        self.clock = board;
        self
    }

    /// `POST .../v2.0/{target}`: a new subscription.
    pub async fn subscribe(
        &self,
        target_path: &str,
        request: &SubscriptionRequest,
    ) -> Result<Granted, XspError> {
        let url = self.url(EVENTS_ROOT, target_path);
        let body = self.send(Method::POST, url, Some(request.to_xml())).await?;
        let response =
            parse_subscription_response(&body).map_err(|e| XspError::Protocol(e.to_string()))?;
        let subscription_id = response
            .subscription_id
            .ok_or_else(|| XspError::Protocol("no subscriptionId in the answer".into()))?;
        Ok(Granted {
            subscription_id,
            expires: response.expires.unwrap_or(request.expires),
        })
    }

    /// `PUT .../v2.0/subscription/{id}`; returns the granted lifetime (the asked one when the
    /// answer does not say).
    pub async fn refresh(&self, subscription_id: &str, expires: u32) -> Result<u32, XspError> {
        let url = self.url(EVENTS_ROOT, &format!("subscription/{subscription_id}"));
        let body = self
            .send(Method::PUT, url, Some(refresh_xml(expires)))
            .await?;
        Ok(parse_subscription_response(&body)
            .ok()
            .and_then(|r| r.expires)
            .unwrap_or(expires))
    }

    /// `DELETE .../v2.0/subscription/{id}`.
    pub async fn delete(&self, subscription_id: &str) -> Result<(), XspError> {
        let url = self.url(EVENTS_ROOT, &format!("subscription/{subscription_id}"));
        self.send(Method::DELETE, url, None).await.map(drop)
    }

    /// Xsi-Actions: the call centers this account supervises.
    pub async fn supervised_call_centers(&self) -> Result<Vec<String>, XspError> {
        let mut url = self.url(
            ACTIONS_ROOT,
            &format!("user/{}/directories/CallCenters", self.user),
        );
        url.query_pairs_mut().append_pair("user", "Supervisor");
        let body = self.send(Method::GET, url, None).await?;
        parse_call_centers(&body).map_err(|e| XspError::Protocol(e.to_string()))
    }

    /// Xsi-Actions: the agents this account supervises in one call center.
    pub async fn supervised_agents(&self, call_center: &str) -> Result<Vec<String>, XspError> {
        let mut url = self.url(
            ACTIONS_ROOT,
            &format!("user/{}/directories/Agents", self.user),
        );
        url.query_pairs_mut().append_pair("callcenter", call_center);
        let body = self.send(Method::GET, url, None).await?;
        parse_call_center_agents(&body, call_center).map_err(|e| XspError::Protocol(e.to_string()))
    }

    /// Xsi-Actions: the calls now queued in one call center.
    pub async fn queue(&self, call_center: &str) -> Result<QueueSnapshot, XspError> {
        self.queue_with_body(call_center)
            .await
            .map(|(snapshot, _)| snapshot)
    }

    /// [`Self::queue`], with the answer it was parsed from (the journal records that, so a
    /// replay goes through the same parser).
    pub async fn queue_with_body(
        &self,
        call_center: &str,
    ) -> Result<(QueueSnapshot, bytes::Bytes), XspError> {
        let url = self.url(ACTIONS_ROOT, &format!("callcenter/{call_center}/calls"));
        let body = self.send(Method::GET, url, None).await?;
        let snapshot = parse_acd_queue(&body).map_err(|e| XspError::Protocol(e.to_string()))?;
        Ok((snapshot, body))
    }

    /// `PUT .../callcenter/{cc}/calls/{callId}/Promote` with `<ACDPromote>`; the position
    /// the call took (`QueueCallOrder`), when the answer gives one.
    pub async fn promote(
        &self,
        call_center: &str,
        call_id: &str,
        priority: u8,
    ) -> Result<Option<u32>, XspError> {
        let body = promote_xml(priority)
            .ok_or_else(|| XspError::Protocol(format!("no priority {priority} in the schema")))?;
        let url = self.call_url(call_center, call_id, Some("Promote"));
        let answer = self.send(Method::PUT, url, Some(body)).await?;
        Ok(queue_call_order(&answer))
    }

    /// `PUT .../callcenter/{cc}/calls/{callId}/Reorder?index=N` (N counted from 0, the next
    /// call to be distributed); the position the call took, when the answer gives one.
    pub async fn reorder(
        &self,
        call_center: &str,
        call_id: &str,
        index: u32,
    ) -> Result<Option<u32>, XspError> {
        let mut url = self.call_url(call_center, call_id, Some("Reorder"));
        url.query_pairs_mut()
            .append_pair("index", &index.to_string());
        let answer = self.send(Method::PUT, url, None).await?;
        Ok(queue_call_order(&answer))
    }

    /// `PUT .../callcenter/{cc}/calls/{callId}/BlindTransfer?phoneno=NUMBER` (percent-encoded:
    /// a `+` as `%2B`, not a space).
    pub async fn blind_transfer(
        &self,
        call_center: &str,
        call_id: &str,
        number: &str,
    ) -> Result<(), XspError> {
        let mut url = self.call_url(call_center, call_id, Some("BlindTransfer"));
        url.query_pairs_mut().append_pair("phoneno", number);
        self.send(Method::PUT, url, None).await.map(drop)
    }

    /// `DELETE .../callcenter/{cc}/calls/{callId}`: the queued call is released.
    pub async fn release_call(&self, call_center: &str, call_id: &str) -> Result<(), XspError> {
        let url = self.call_url(call_center, call_id, None);
        self.send(Method::DELETE, url, None).await.map(drop)
    }

    /// `.../callcenter/{cc}/calls/{callId}[/{command}]`, each id one encoded segment (a call id
    /// such as `callhalf-199:0` and a user id with `@` stay whole).
    fn call_url(&self, call_center: &str, call_id: &str, command: Option<&str>) -> Url {
        let mut url = self.url(ACTIONS_ROOT, "callcenter");
        if let Ok(mut segments) = url.path_segments_mut() {
            segments.push(call_center).push("calls").push(call_id);
            if let Some(command) = command {
                segments.push(command);
            }
        }
        url
    }

    /// Any XSI-Events request, `{base}/com.broadsoft.xsi-events/v2.0/{path}` (the event channel).
    pub async fn events_request(
        &self,
        method: Method,
        path: &str,
        body: Option<String>,
    ) -> Result<bytes::Bytes, XspError> {
        self.send(method, self.url(EVENTS_ROOT, path), body).await
    }

    /// `POST {base}/com.broadsoft.async/com.broadsoft.xsi-events/v2.0/{path}` whose answer is a
    /// stream that lasts as long as the channel: the client's per-request timeout would cut it,
    /// so `lifetime` replaces it (silence is detected by the reader instead).
    pub async fn open_stream(
        &self,
        path: &str,
        body: String,
        lifetime: std::time::Duration,
    ) -> Result<reqwest::Response, XspError> {
        let url = self.url_under(&[ASYNC_ROOT, EVENTS_ROOT], path);
        tracing::debug!(%url, "XSP channel open");
        let response = self
            .http
            .post(url)
            .timeout(lifetime)
            .basic_auth(&self.user, Some(self.password.expose()))
            .header(
                reqwest::header::CONTENT_TYPE,
                "application/xml; charset=UTF-8",
            )
            .body(body)
            .send()
            .await
            .map_err(|e| transport_error(&e))?;
        let status = response.status();
        if status.is_success() {
            return Ok(response);
        }
        if let Some(redirect) = redirected(&response) {
            return Err(redirect);
        }
        let body = response.bytes().await.map_err(|e| transport_error(&e))?;
        Err(status_error(status, &body))
    }

    /// `{base}/{root}/v2.0/{path}`, each path segment percent-encoded on its own.
    fn url(&self, root: &str, path: &str) -> Url {
        self.url_under(&[root], path)
    }

    /// `{base}/{roots...}/v2.0/{path}`.
    fn url_under(&self, roots: &[&str], path: &str) -> Url {
        let mut url = self.base.clone();
        if let Ok(mut segments) = url.path_segments_mut() {
            segments.pop_if_empty().extend(roots).push("v2.0");
            segments.extend(path.split('/'));
        }
        url
    }

    async fn send(
        &self,
        method: Method,
        url: Url,
        body: Option<String>,
    ) -> Result<bytes::Bytes, XspError> {
        tracing::debug!(%method, %url, "XSP request");
        let mut request = self
            .http
            .request(method, url)
            .basic_auth(&self.user, Some(self.password.expose()));
        if let Some(body) = body {
            request = request
                .header(
                    reqwest::header::CONTENT_TYPE,
                    "application/xml; charset=UTF-8",
                )
                .body(body);
        }
        let sent_ms = now_ms();
        let response = request.send().await.map_err(|e| transport_error(&e))?;
        if let Some(board) = &self.clock
            && let Some(date_ms) = response
                .headers()
                .get(reqwest::header::DATE)
                .and_then(|d| d.to_str().ok())
                .and_then(crate::board::clock::parse_http_date)
        {
            // A sample is advice: when the board is busy, the next answer brings another.
            let _ = board.try_send(Input::ServerClock {
                date_ms,
                sent_ms,
                received_ms: now_ms(),
            });
        }
        if let Some(redirect) = redirected(&response) {
            return Err(redirect);
        }
        let status = response.status();
        let body = response.bytes().await.map_err(|e| transport_error(&e))?;
        if status.is_success() {
            return Ok(body);
        }
        Err(status_error(status, &body))
    }
}

/// The position in a Promote's or Reorder's answer: an answer without one (or not XML) is
/// still a success, the XSP's event says the rest.
fn queue_call_order(body: &[u8]) -> Option<u32> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return None;
    }
    parse_queue_call_order(body).ok().flatten()
}

/// Longest `Location` shown: enough to recognise a host and path, not a place to dump text.
const MAX_LOCATION_CHARS: usize = 200;

/// A 3xx, with where it pointed (control characters blanked and cut short: the XSP's words
/// reach the status panel and the log).
fn redirected(response: &reqwest::Response) -> Option<XspError> {
    let status = response.status();
    if !status.is_redirection() {
        return None;
    }
    let location = response
        .headers()
        .get(reqwest::header::LOCATION)
        .map(|value| String::from_utf8_lossy(value.as_bytes()).into_owned())
        .unwrap_or_default();
    let mut location: String = location
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(MAX_LOCATION_CHARS)
        .collect();
    if location.is_empty() {
        location.push_str("nowhere given");
    }
    Some(XspError::Redirected {
        status: status.as_u16(),
        location,
    })
}

/// A 4xx or 5xx, with the XSP's `ErrorInfo` when it sent one.
fn status_error(status: StatusCode, body: &[u8]) -> XspError {
    let info = parse_error_info(body).ok();
    match status {
        StatusCode::UNAUTHORIZED => XspError::Unauthorized(info),
        StatusCode::FORBIDDEN => XspError::Forbidden(info),
        StatusCode::NOT_FOUND => XspError::NotFound(info),
        other => XspError::Status {
            status: other.as_u16(),
            info,
        },
    }
}

/// Name a transport failure in words: TLS problems are told apart, since retrying does not fix
/// them without a change on one side.
fn transport_error(error: &reqwest::Error) -> XspError {
    let mut chain = Vec::new();
    let mut source: Option<&dyn std::error::Error> = Some(error);
    while let Some(e) = source {
        chain.push(e.to_string());
        source = e.source();
    }
    let lower = chain.join(": ").to_ascii_lowercase();
    // reqwest's outer layers repeat the URL and say "error sending request"; the innermost
    // cause ("Connection refused", "invalid peer certificate: UnknownIssuer") is what a
    // supervisor can act on, with the host it concerns.
    let cause = chain.last().map_or("unknown error", String::as_str);
    let host = error
        .url()
        .and_then(|url| {
            url.host_str()
                .map(|h| (h.to_owned(), url.port_or_known_default()))
        })
        .map_or_else(String::new, |(h, port)| match port {
            Some(port) => format!(" ({h}:{port})"),
            None => format!(" ({h})"),
        });
    let text = format!("{cause}{host}");
    if lower.contains("certificate") || lower.contains("tls") || lower.contains("handshake") {
        XspError::Tls(text)
    } else if error.is_timeout() {
        XspError::Unreachable(format!("timed out{host}"))
    } else {
        XspError::Unreachable(text)
    }
}
