//! The demo XSP obeys the call center call commands (XSI 3.5.5) as BroadWorks does: it checks
//! the request, changes its queue, answers (`QueueCallOrder`, or an `ErrorInfo`), and sends the
//! event a real XSP sends (`ACDCallPromotedEvent`, `ACDCallReorderedEvent`,
//! `ACDCallTransferredEvent`, `ACDCallReleasedEvent`), so every key can be tried without
//! BroadWorks. The wallboard reaches it with the same Xsi-Actions client as a real XSP.

use axum::Router;
use axum::body::Bytes;
use axum::http::{Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use tokio::sync::{mpsc, oneshot};
use tokio_util::sync::CancellationToken;

use super::center::QueuedCall;
use super::model::Model;
use crate::actions::CallAction;
use crate::xsi::CallEventKind;
use crate::xsi::request::parse_acd_promote;

const CALLS_PREFIX: &str = "/com.broadsoft.xsi-actions/v2.0/callcenter/";

/// Why the demo XSP refuses a command: the status and the `ErrorInfo` it answers with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimRefusal {
    pub status: u16,
    pub summary: String,
    pub code: u32,
}

impl SimRefusal {
    fn new(status: u16, summary: &str, code: u32) -> Self {
        SimRefusal {
            status,
            summary: summary.to_owned(),
            code,
        }
    }
}

/// A command taken off the HTTP side, answered by the model's loop (which owns the model).
#[derive(Debug)]
pub(super) struct Command {
    pub call_center: String,
    pub call_id: String,
    pub action: CallAction,
    pub answer: oneshot::Sender<Result<Option<u32>, SimRefusal>>,
}

impl Model {
    /// Carry out one command at `at`; the position the call took for a promote or a move.
    pub fn act(
        &mut self,
        call_center: &str,
        call_id: &str,
        action: &CallAction,
        at: i64,
    ) -> Result<Option<u32>, SimRefusal> {
        let c = self
            .centers
            .iter()
            .position(|center| &*center.target_id == call_center)
            .ok_or_else(|| SimRefusal::new(404, "Call center not found", 4008))?;
        let i = self.centers[c]
            .index_of(call_id)
            .ok_or_else(|| SimRefusal::new(404, "Call not found in the queue", 4008))?;
        match action {
            CallAction::Promote { priority } => self.promote_to(c, i, *priority, at).map(Some),
            CallAction::Move { index } => self.reorder_to(c, i, *index).map(Some),
            CallAction::Transfer { number } => {
                self.transfer_to(c, i, number, at);
                Ok(None)
            }
            CallAction::Release => {
                let (entry, freed) = self.remove(c, i, at);
                self.centers[c].departed += 1;
                self.emit_call(c, CallEventKind::Released, entry, None, None);
                self.after_removal(freed, at);
                Ok(None)
            }
        }
    }

    fn promote_to(&mut self, c: usize, i: usize, priority: u8, at: i64) -> Result<u32, SimRefusal> {
        let call = &self.centers[c].queue[i];
        if call.entry.bounced {
            return Err(SimRefusal::new(
                400,
                "A bounced call cannot be promoted",
                110_501,
            ));
        }
        if priority >= call.priority() {
            return Err(SimRefusal::new(
                400,
                "The call can only be promoted to a higher priority",
                110_502,
            ));
        }
        let center = &mut self.centers[c];
        let mut call: QueuedCall = center.queue.remove(i);
        call.entry.acd_priority = Some(priority);
        call.entry.add_time_in_priority_bucket = Some(at);
        let entry = call.entry.clone();
        let position = center.insert_at_bucket_end(call);
        self.emit_call(c, CallEventKind::Promoted, entry, Some(position), None);
        Ok(position)
    }

    /// `index` counts from 0 (XSI 3.5.5.5); the call stays within its priority, so the place
    /// taken may differ from the one asked ("due to the dynamic nature of the queue").
    fn reorder_to(&mut self, c: usize, i: usize, index: u32) -> Result<u32, SimRefusal> {
        let center = &mut self.centers[c];
        let call = &center.queue[i];
        if call.priority() != 0 {
            return Err(SimRefusal::new(
                400,
                "Only calls of priority 0-Highest can be reordered",
                110_503,
            ));
        }
        if call.entry.bounced {
            return Err(SimRefusal::new(
                400,
                "A bounced call cannot be reordered",
                110_504,
            ));
        }
        let mut call = center.queue.remove(i);
        call.entry.reordered = true;
        let bucket = center
            .queue
            .iter()
            .take_while(|q| q.priority() == 0)
            .count();
        let at = usize::try_from(index).unwrap_or(usize::MAX).min(bucket);
        let entry = call.entry.clone();
        center.queue.insert(at, call);
        let position = u32::try_from(at + 1).unwrap_or(u32::MAX);
        self.emit_call(c, CallEventKind::Reordered, entry, Some(position), None);
        Ok(position)
    }

    /// The caller leaves this queue; to one of the demo's call centers' numbers, they land
    /// there as a new call half (as the demo's own supervisor does).
    fn transfer_to(&mut self, c: usize, i: usize, number: &str, at: i64) {
        let (entry, freed) = self.remove(c, i, at);
        self.centers[c].departed += 1;
        self.emit_call(c, CallEventKind::Transferred, entry.clone(), None, None);
        self.after_removal(freed, at);
        let to = self
            .centers
            .iter()
            .position(|center| center.number.strip_prefix("tel:") == Some(number));
        if let Some(to) = to.filter(|&to| !self.centers[to].spec.night_service) {
            let mut moved = self.new_entry(to, at);
            moved.ext_tracking_id = entry.ext_tracking_id;
            moved.remote_party = entry.remote_party;
            self.add(to, moved, at);
        }
    }
}

/// Serve the commands on `listener` until `cancel`, passing each to the model's loop.
pub(super) async fn serve(
    listener: tokio::net::TcpListener,
    commands: mpsc::Sender<Command>,
    cancel: CancellationToken,
) {
    let app = Router::new().fallback(move |method: Method, uri: Uri, body: Bytes| {
        let commands = commands.clone();
        async move { answer(&commands, &method, &uri, &body).await }
    });
    let served = axum::serve(listener, app)
        .with_graceful_shutdown(async move { cancel.cancelled().await })
        .await;
    if let Err(error) = served {
        tracing::warn!(%error, "demo XSP: its Xsi-Actions stopped");
    }
}

async fn answer(
    commands: &mpsc::Sender<Command>,
    method: &Method,
    uri: &Uri,
    body: &[u8],
) -> Response {
    let Some((call_center, call_id, action)) = parse(method, uri, body) else {
        return error_info(StatusCode::BAD_REQUEST, "Invalid request", 4000);
    };
    let (answer, answered) = oneshot::channel();
    let command = Command {
        call_center,
        call_id,
        action,
        answer,
    };
    if commands.send(command).await.is_err() {
        return error_info(
            StatusCode::SERVICE_UNAVAILABLE,
            "The demo XSP has stopped",
            0,
        );
    }
    match answered.await {
        Ok(Ok(Some(position))) => (
            [("content-type", "application/xml; charset=UTF-8")],
            format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<QueueCallOrder \
                 xmlns=\"{}\"><position>{position}</position></QueueCallOrder>",
                crate::xsi::XSI_NS
            ),
        )
            .into_response(),
        Ok(Ok(None)) => StatusCode::OK.into_response(),
        Ok(Err(refusal)) => error_info(
            StatusCode::from_u16(refusal.status).unwrap_or(StatusCode::BAD_REQUEST),
            &refusal.summary,
            refusal.code,
        ),
        Err(_) => error_info(
            StatusCode::SERVICE_UNAVAILABLE,
            "The demo XSP has stopped",
            0,
        ),
    }
}

/// `.../callcenter/{cc}/calls/{callId}[/Promote|/Reorder|/BlindTransfer]` with its method.
fn parse(method: &Method, uri: &Uri, body: &[u8]) -> Option<(String, String, CallAction)> {
    let url = reqwest::Url::parse(&format!("http://sim{uri}")).ok()?;
    let rest = url.path().strip_prefix(CALLS_PREFIX)?;
    let segments: Vec<String> = rest.split('/').map(percent_decode).collect();
    let query = |name: &str| {
        url.query_pairs()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.into_owned())
    };
    let (call_center, call_id, command) = match segments.as_slice() {
        [cc, calls, call] if calls == "calls" => (cc, call, None),
        [cc, calls, call, command] if calls == "calls" => (cc, call, Some(command.as_str())),
        _ => return None,
    };
    let action = match (method.as_str(), command) {
        ("DELETE", None) => CallAction::Release,
        ("PUT", Some("Promote")) => CallAction::Promote {
            priority: parse_acd_promote(body).ok()?,
        },
        ("PUT", Some("Reorder")) => CallAction::Move {
            index: query("index").and_then(|i| i.parse().ok()).unwrap_or(0),
        },
        ("PUT", Some("BlindTransfer")) => CallAction::Transfer {
            number: query("phoneno")?,
        },
        _ => return None,
    };
    Some((call_center.clone(), call_id.clone(), action))
}

/// `%40` and the like in a path segment.
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

fn error_info(status: StatusCode, summary: &str, code: u32) -> Response {
    let body = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ErrorInfo xmlns=\"{}\"><summary>{summary}\
         </summary><summaryEnglish>{summary}</summaryEnglish><errorCode>{code}</errorCode>\
         </ErrorInfo>",
        crate::xsi::XSI_NS
    );
    (
        status,
        [("content-type", "application/xml; charset=UTF-8")],
        body,
    )
        .into_response()
}
