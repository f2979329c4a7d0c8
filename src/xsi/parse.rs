//! quick-xml, namespace-aware: bytes to [`Event`].
//!
//! Elements are matched by namespace URI and local name; `xsi:type` `QName`s are resolved through
//! their prefix (`xsi:`/`xsi1:` on the wire, but any prefix or a default namespace works).
//! Values are trimmed of surrounding whitespace. Elements this build does not know, and elements
//! in other namespaces, are skipped.
//!
//! Numbers that do not parse (`BLAAT`) are handled per field, never with a panic:
//! - `addTime` is what the wait timer counts from: a call event or snapshot entry without a
//!   numeric one is refused ([`ParseError::NotAnEvent`]), as is one without a `callId`;
//! - every other number is advisory (`sequenceNumber`, `position`, `removeTime`,
//!   `addTimeInPriorityBucket`, monitoring statistics, severities, timestamps) and becomes `None`.
//!   The board recomputes positions itself, and a missing `sequenceNumber` only skips the gap
//!   check for that event.
//!
//! The XSP's answers to our requests (`<Subscription>`, `<Channel>`, `<ErrorInfo>`, the
//! Xsi-Actions queue and directories) are read by the same cursor, more tolerantly
//! (`response`, re-exported by [`super::request`]).

mod acd;
mod agent;
mod cursor;
pub(super) mod response;
mod salvage;
mod scope;

use std::sync::Arc;

use cursor::{Cursor, Tag, TypeName};

use super::{ChannelTerminated, Envelope, ErrorEvent, Event, EventData, SubscriptionEvent};

pub use salvage::salvage_envelope;

/// Why a body is not an XSI event; each maps to a `400` with this text as the one-line reason.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ParseError {
    #[error("not well-formed XML: {0}")]
    Malformed(String),
    #[error("not an XSI Event: {0}")]
    NotAnEvent(String),
}

impl ParseError {
    /// The reason goes into an HTTP status line's body and a log line: one short line.
    fn into_one_line(self) -> Self {
        fn clean(reason: String) -> String {
            const MAX_CHARS: usize = 200;
            if reason.len() <= MAX_CHARS && !reason.contains(char::is_control) {
                return reason;
            }
            reason
                .chars()
                .map(|c| if c.is_control() { ' ' } else { c })
                .take(MAX_CHARS)
                .collect()
        }
        match self {
            ParseError::Malformed(r) => ParseError::Malformed(clean(r)),
            ParseError::NotAnEvent(r) => ParseError::NotAnEvent(clean(r)),
        }
    }
}

/// The local name of a document's root element, whatever its namespace: the event channel
/// tells its documents apart by it before it parses them. Read by the same cursor, under the
/// same limits (no document type declaration).
pub fn root_local_name(document: &[u8]) -> Result<String, ParseError> {
    let mut cur = Cursor::new(document);
    let root = cur.root().map_err(ParseError::into_one_line)?;
    Ok(root.local_name().to_owned())
}

/// Parse one `<Event>` document.
pub fn parse_event(body: &[u8]) -> Result<Event, ParseError> {
    parse_document(body).map_err(ParseError::into_one_line)
}

fn parse_document(body: &[u8]) -> Result<Event, ParseError> {
    let mut cur = Cursor::new(body);
    let root = cur.root()?;
    if root.xsi_name() != Some("Event") {
        let reason = format!(
            "root element is <{}>, not an Event in the XSI namespace",
            root.qname()
        );
        return refuse(&mut cur, reason);
    }
    let event = match cur.xsi_type(&root)? {
        Some(TypeName::Xsi("SubscriptionEvent")) => Event::Subscription(subscription(&mut cur)?),
        Some(TypeName::Xsi("ChannelTerminatedEvent")) => {
            Event::ChannelTerminated(channel_terminated(&mut cur)?)
        }
        Some(TypeName::Xsi("ErrorEvent")) => Event::Error(error_event(&mut cur)?),
        Some(TypeName::Xsi(other) | TypeName::Foreign(other)) => {
            let reason = format!("unsupported Event type `{other}`");
            return refuse(&mut cur, reason);
        }
        None => return refuse(&mut cur, "Event has no xsi:type".into()),
    };
    cur.finish()?;
    Ok(event)
}

/// Refuses a document whose root is not an event we take, after reading the rest of it: a
/// document that is not even well-formed is reported as such.
fn refuse(cur: &mut Cursor<'_>, reason: String) -> Result<Event, ParseError> {
    cur.skip()?;
    cur.finish()?;
    Err(ParseError::NotAnEvent(reason))
}

/// Longest identifier taken (`eventID`, `subscriptionId`, `targetId`, `callId`, user ids):
/// BroadWorks' are tens of bytes; a longer one is refused, since an id cut short could merge
/// two calls or two events into one.
pub const MAX_ID_BYTES: usize = 256;

/// Longest text kept (names, numbers, type names): longer ones are cut, never refused, since
/// BroadWorks does not redeliver and a real event must not be lost for a long caller name.
pub const MAX_TEXT_BYTES: usize = 128;

/// A name, number or other text value as kept in the event: cut to [`MAX_TEXT_BYTES`] on a
/// char boundary, so that what a board holds is bounded in bytes.
fn arc(s: &str) -> Arc<str> {
    Arc::from(cut(s, MAX_TEXT_BYTES))
}

/// `s` cut to at most `max` bytes, on a char boundary.
pub(crate) fn cut(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// An identifier (`field` names it in the refusal): refused over [`MAX_ID_BYTES`].
fn id(field: &str, s: &str) -> Result<Arc<str>, ParseError> {
    if s.len() > MAX_ID_BYTES {
        return Err(ParseError::NotAnEvent(format!(
            "{field} is longer than {MAX_ID_BYTES} bytes"
        )));
    }
    Ok(Arc::from(s))
}

/// An optional identifier: empty is none.
fn id_opt(field: &str, s: Option<&str>) -> Result<Option<Arc<str>>, ParseError> {
    s.map(|s| id(field, s)).transpose()
}

fn subscription(cur: &mut Cursor<'_>) -> Result<SubscriptionEvent, ParseError> {
    let mut envelope = Envelope::default();
    let mut data = None;
    while let Some(tag) = cur.next_child()? {
        match tag.xsi_name() {
            Some("eventData") => data = Some(event_data(cur, &tag)?),
            name => {
                if !envelope_field(cur, name, &mut envelope)? {
                    cur.skip()?;
                }
            }
        }
    }
    if envelope.event_id.is_empty() {
        return Err(ParseError::NotAnEvent(
            "SubscriptionEvent has no eventID".into(),
        ));
    }
    let data =
        data.ok_or_else(|| ParseError::NotAnEvent("SubscriptionEvent has no eventData".into()))?;
    Ok(SubscriptionEvent { envelope, data })
}

/// Reads the envelope field the cursor just entered (`name`, its XSI local name) into
/// `envelope`; `false` when it is not one, left unread for the caller. Shared with
/// [`salvage_envelope`] so that both read an envelope the same way.
fn envelope_field(
    cur: &mut Cursor<'_>,
    name: Option<&str>,
    envelope: &mut Envelope,
) -> Result<bool, ParseError> {
    match name {
        // An empty `eventID` counts as none (the last one written wins, as for every field).
        Some("eventID") => {
            envelope.event_id = id_opt("eventID", cur.text_opt()?)?.unwrap_or_default();
        }
        Some("sequenceNumber") => envelope.sequence_number = cur.text()?.parse().ok(),
        // `clientId` is the schema's 23.0 alternative to `userId`.
        Some("userId" | "clientId") => envelope.user_id = id("userId", cur.text()?)?,
        Some("externalApplicationId") => {
            envelope.external_application_id = id("externalApplicationId", cur.text()?)?;
        }
        Some("subscriptionId") => envelope.subscription_id = id("subscriptionId", cur.text()?)?,
        Some("channelId") => envelope.channel_id = id_opt("channelId", cur.text_opt()?)?,
        Some("httpContact") => {
            while let Some(child) = cur.next_child()? {
                if child.xsi_name() == Some("uri") {
                    envelope.http_contact = cur.text_opt()?.map(arc);
                } else {
                    cur.skip()?;
                }
            }
        }
        Some("targetId") => envelope.target_id = id_opt("targetId", cur.text_opt()?)?,
        _ => return Ok(false),
    }
    Ok(true)
}

/// `eventData` by its `xsi:type`; a type this build does not handle is `Unknown`, not an error.
fn event_data(cur: &mut Cursor<'_>, tag: &Tag<'_>) -> Result<EventData, ParseError> {
    let name = match cur.xsi_type(tag)? {
        Some(TypeName::Xsi(name)) => name,
        // Not an XSI type: keep the QName as written so the log shows what came.
        Some(TypeName::Foreign(qname)) => {
            let unknown = EventData::Unknown(arc(qname));
            cur.skip()?;
            return Ok(unknown);
        }
        None => return Err(ParseError::NotAnEvent("eventData has no xsi:type".into())),
    };
    if let Some(data) = acd::event_data(cur, name)? {
        return Ok(data);
    }
    if let Some(data) = agent::event_data(cur, name)? {
        return Ok(data);
    }
    let data = match name {
        "SubscriptionTerminatedEvent" => EventData::SubscriptionTerminated,
        other => EventData::Unknown(arc(other)),
    };
    cur.skip()?;
    Ok(data)
}

fn channel_terminated(cur: &mut Cursor<'_>) -> Result<ChannelTerminated, ParseError> {
    let mut channel_id = None;
    // Kept as received: the specification prints `MaxChannelsReached`, which the schema lacks.
    let mut reason = arc("");
    while let Some(tag) = cur.next_child()? {
        match tag.xsi_name() {
            Some("channelId") => channel_id = id_opt("channelId", cur.text_opt()?)?,
            Some("reason") => reason = arc(cur.text()?),
            _ => cur.skip()?,
        }
    }
    let channel_id = channel_id
        .ok_or_else(|| ParseError::NotAnEvent("ChannelTerminatedEvent has no channelId".into()))?;
    Ok(ChannelTerminated { channel_id, reason })
}

fn error_event(cur: &mut Cursor<'_>) -> Result<ErrorEvent, ParseError> {
    let mut event = ErrorEvent {
        channel_id: None,
        error_code: None,
        error_message: arc(""),
    };
    while let Some(tag) = cur.next_child()? {
        match tag.xsi_name() {
            Some("channelId") => event.channel_id = id_opt("channelId", cur.text_opt()?)?,
            Some("errorCode") => event.error_code = cur.text_opt()?.map(arc),
            Some("errorMessage") => event.error_message = arc(cur.text()?),
            _ => cur.skip()?,
        }
    }
    Ok(event)
}
