//! The XSP's request and response documents around a subscription: the `<Subscription>` we send,
//! the `<Subscription>` and `<ErrorInfo>` it answers, and the Xsi-Actions lists we read at start
//! (`CallCenters` directory, `ACDQueue` of one call center).
//!
//! Documents are small, so they are read into a tiny tree first; elements count only when they
//! are in the XSI namespace (by URI, whatever the prefix).

use std::borrow::Cow;
use std::sync::Arc;

use quick_xml::NsReader;
use quick_xml::escape::resolve_predefined_entity;
use quick_xml::events::Event as XmlEvent;
use quick_xml::name::ResolveResult;

use super::escape::escape;
use super::{QueueEntry, QueueSnapshot, RemoteParty, XSI_NS};

/// Where BroadWorks should deliver the events of a subscription (the schema's choice).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delivery {
    /// `httpContact/uri`: the XSP POSTs each event to this URL.
    HttpContact(String),
    /// `channelSetId`: events come down this wallboard's event channel (issue 7).
    ChannelSet(String),
}

/// A new subscription: one event package for one target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubscriptionRequest {
    /// The event package (`<event>Call Center Queue</event>`).
    pub event: super::Package,
    /// Requested lifetime in seconds; the XSP may grant another.
    pub expires: u32,
    pub delivery: Delivery,
    pub application_id: String,
}

impl SubscriptionRequest {
    /// The `<Subscription>` body of `POST .../v2.0/{target}`, elements in schema order.
    pub fn to_xml(&self) -> String {
        let delivery = match &self.delivery {
            Delivery::HttpContact(uri) => {
                format!("<httpContact><uri>{}</uri></httpContact>", escape(uri))
            }
            Delivery::ChannelSet(id) => {
                format!("<channelSetId>{}</channelSetId>", escape(id))
            }
        };
        format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Subscription xmlns=\"{XSI_NS}\">\
             <event>{}</event><expires>{}</expires>{delivery}<applicationId>{}</applicationId>\
             </Subscription>",
            self.event.name(),
            self.expires,
            escape(&self.application_id),
        )
    }
}

/// The body of a refresh, `PUT .../v2.0/subscription/{id}`.
pub fn refresh_xml(expires: u32) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Subscription xmlns=\"{XSI_NS}\">\
         <expires>{expires}</expires></Subscription>"
    )
}

/// What the XSP granted: the id to refresh and delete with, and the lifetime to plan by.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubscriptionResponse {
    pub subscription_id: Option<Arc<str>>,
    /// Seconds; absent in some refresh answers.
    pub expires: Option<u32>,
}

/// `<ErrorInfo>`: the XSP's reason for a 4xx, worded for people.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrorInfo {
    pub summary: Option<String>,
    pub summary_english: String,
    pub error_code: Option<i64>,
}

impl std::fmt::Display for ErrorInfo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.error_code {
            Some(code) => write!(f, "{} (error {code})", self.summary_english),
            None => f.write_str(&self.summary_english),
        }
    }
}

/// Why a response body could not be read.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ResponseError {
    #[error("not well-formed XML: {0}")]
    Malformed(String),
    #[error("expected <{expected}> in the XSI namespace, got <{got}>")]
    UnexpectedRoot { expected: &'static str, got: String },
    #[error("<{0}> has no usable value")]
    Missing(&'static str),
}

/// Parse the answer to a subscribe or refresh.
pub fn parse_subscription_response(body: &[u8]) -> Result<SubscriptionResponse, ResponseError> {
    let root = Element::parse(body)?.expect_root("Subscription")?;
    let expires = match root.child_text("expires") {
        Some(text) => Some(
            text.parse()
                .map_err(|_| ResponseError::Missing("expires"))?,
        ),
        None => None,
    };
    Ok(SubscriptionResponse {
        subscription_id: root.child_text("subscriptionId").map(Arc::from),
        expires,
    })
}

/// Parse an `<ErrorInfo>` body (any charset its declaration names).
pub fn parse_error_info(body: &[u8]) -> Result<ErrorInfo, ResponseError> {
    let root = Element::parse(body)?.expect_root("ErrorInfo")?;
    let summary_english = root
        .child_text("summaryEnglish")
        .or_else(|| root.child_text("summary"))
        .ok_or(ResponseError::Missing("summaryEnglish"))?;
    Ok(ErrorInfo {
        summary: root.child_text("summary").map(str::to_owned),
        summary_english: summary_english.to_owned(),
        error_code: root.child_text("errorCode").and_then(|c| c.parse().ok()),
    })
}

/// Xsi-Actions `CallCenters` directory: the call centers' `serviceUserID`s, in the XSP's order.
pub fn parse_call_centers(body: &[u8]) -> Result<Vec<String>, ResponseError> {
    let root = Element::parse(body)?.expect_root("CallCenters")?;
    Ok(root
        .children("callCenter")
        .filter_map(|cc| cc.child_text("serviceUserID"))
        .map(str::to_owned)
        .collect())
}

/// Xsi-Actions `CallCenterAgents` directory (`.../directories/Agents?callcenter={id}`): the
/// `userId`s of the agents a supervisor sees in `call_center`, in the XSP's order.
pub fn parse_call_center_agents(
    body: &[u8],
    call_center: &str,
) -> Result<Vec<String>, ResponseError> {
    let root = Element::parse(body)?.expect_root("CallCenterAgents")?;
    Ok(root
        .children("callCenter")
        // An XSP that answers for several call centers at once is read for the one asked.
        .filter(|cc| {
            cc.child_text("serviceUserID")
                .is_none_or(|id| id == call_center)
        })
        .flat_map(|cc| cc.children("agentList"))
        .flat_map(|list| list.children("userDetails"))
        .filter_map(|agent| agent.child_text("userId"))
        .map(str::to_owned)
        .collect())
}

/// Xsi-Actions `GET .../callcenter/{id}/calls`: the schema's `ACDQueue` (`queueEntries` only
/// present when calls wait). Read tolerantly: an entry without a `callId` is skipped, unknown
/// elements are ignored, and a bad number leaves its field unset.
pub fn parse_acd_queue(body: &[u8]) -> Result<QueueSnapshot, ResponseError> {
    let root = Element::parse(body)?.expect_root("ACDQueue")?;
    let entries = root
        .child("queueEntries")
        .map(|list| {
            list.children("queueEntry")
                .filter_map(queue_entry)
                .collect()
        })
        .unwrap_or_default();
    Ok(QueueSnapshot {
        resync: false,
        entries,
    })
}

fn queue_entry(e: &Element) -> Option<QueueEntry> {
    let text = |name| e.child_text(name).map(Arc::from);
    let time = |name| e.child_text(name).and_then(|t| t.parse::<i64>().ok());
    let party = e.child("remoteParty");
    let party_text = |name| party.and_then(|p| p.child_text(name)).map(Arc::from);
    Some(QueueEntry {
        call_id: text("callId")?,
        ext_tracking_id: text("extTrackingId").unwrap_or_default(),
        remote_party: RemoteParty {
            name: party_text("name"),
            address: party_text("address"),
            user_id: party_text("userId"),
            user_dn: party_text("userDN"),
            privacy: party.is_some_and(|p| p.child("privacy").is_some()),
            call_type: party_text("callType"),
        },
        add_time: time("addTime"),
        preserved_wait_secs: time("preservedWaitTime").and_then(|t| u32::try_from(t).ok()),
        remove_time: time("removeTime"),
        mandatory_entrance: e.child("mandatoryEntrance").is_some(),
        bounced: e.child("bounced").is_some(),
        reordered: e.child("reordered").is_some(),
        acd_name: text("acdName"),
        acd_number: text("acdNumber"),
        // `0-Highest` .. `3-Low`: the digit is the priority.
        acd_priority: e
            .child_text("acdPriority")
            .and_then(|p| p.split('-').next())
            .and_then(|d| d.parse().ok()),
        add_time_in_priority_bucket: time("addTimeInPriorityBucket"),
        answering_user_id: text("answeringUserId"),
        answering_call_id: text("answeringCallId"),
    })
}

/// One element in the XSI namespace, with its text and XSI child elements.
#[derive(Debug, Default)]
struct Element {
    name: String,
    in_xsi: bool,
    text: String,
    children: Vec<Element>,
}

impl Element {
    fn parse(body: &[u8]) -> Result<Element, ResponseError> {
        let text = decode(body);
        let mut reader = NsReader::from_str(&text);
        let mut stack: Vec<Element> = Vec::new();
        loop {
            let (ns, event) = reader
                .read_resolved_event()
                .map_err(|e| ResponseError::Malformed(e.to_string()))?;
            let in_xsi = matches!(&ns, ResolveResult::Bound(n) if n.as_ref() == XSI_NS);
            match event {
                XmlEvent::Start(start) => stack.push(Element {
                    name: start.local_name().as_ref().to_owned(),
                    in_xsi,
                    ..Element::default()
                }),
                XmlEvent::Empty(start) => {
                    let element = Element {
                        name: start.local_name().as_ref().to_owned(),
                        in_xsi,
                        ..Element::default()
                    };
                    if let Some(done) = attach(&mut stack, element) {
                        return Ok(done);
                    }
                }
                XmlEvent::End(_) => {
                    let element = stack
                        .pop()
                        .ok_or_else(|| ResponseError::Malformed("unbalanced end tag".into()))?;
                    if let Some(done) = attach(&mut stack, element) {
                        return Ok(done);
                    }
                }
                XmlEvent::Text(t) => push_text(&mut stack, &t.xml10_content()),
                XmlEvent::CData(t) => push_text(&mut stack, &t.xml10_content()),
                XmlEvent::GeneralRef(r) => {
                    let resolved = match r.resolve_char_ref() {
                        Ok(Some(c)) => c.to_string(),
                        _ => resolve_predefined_entity(&r).unwrap_or_default().to_owned(),
                    };
                    push_text(&mut stack, &resolved);
                }
                XmlEvent::Eof => return Err(ResponseError::Malformed("no root element".into())),
                _ => {}
            }
        }
    }

    fn expect_root(self, expected: &'static str) -> Result<Element, ResponseError> {
        if self.in_xsi && self.name == expected {
            Ok(self)
        } else {
            Err(ResponseError::UnexpectedRoot {
                expected,
                got: self.name,
            })
        }
    }

    fn children<'a, 'n>(
        &'a self,
        name: &'n str,
    ) -> impl Iterator<Item = &'a Element> + use<'a, 'n> {
        self.children
            .iter()
            .filter(move |c| c.in_xsi && c.name == name)
    }

    fn child(&self, name: &str) -> Option<&Element> {
        self.children(name).next()
    }

    /// The trimmed text of the first such child, when it is not blank.
    fn child_text(&self, name: &str) -> Option<&str> {
        self.child(name)
            .map(|c| c.text.trim())
            .filter(|t| !t.is_empty())
    }
}

/// Put a finished element under its parent; the root comes back when it closes.
fn attach(stack: &mut [Element], element: Element) -> Option<Element> {
    match stack.last_mut() {
        Some(parent) => {
            parent.children.push(element);
            None
        }
        None => Some(element),
    }
}

fn push_text(stack: &mut [Element], text: &str) {
    if let Some(current) = stack.last_mut() {
        current.text.push_str(text);
    }
}

/// Bytes to text by the document's own word: a byte-order mark, else the XML declaration's
/// `encoding`, else UTF-8. Xsi-Actions answers follow the user's locale (directories,
/// profiles) or the XSP's default charset (platform errors), not always UTF-8 (spec 3.3.4);
/// ISO-8859-1 is common, and `encoding_rs` reads that label as windows-1252, as browsers do,
/// which is right for text typed on Windows clients (`€` is 0x80 there). Bytes the charset
/// cannot map become U+FFFD.
fn decode(body: &[u8]) -> Cow<'_, str> {
    let declared = declared_encoding(body).unwrap_or(encoding_rs::UTF_8);
    // `decode` sniffs a byte-order mark first: it overrides the declaration and is dropped.
    declared.decode(body).0
}

/// The encoding the XML declaration names, when `encoding_rs` knows the label.
fn declared_encoding(body: &[u8]) -> Option<&'static encoding_rs::Encoding> {
    let declaration = body.strip_prefix(b"<?xml")?;
    let declaration = &declaration[..find(declaration, b"?>")?];
    let after = find(declaration, b"encoding")? + b"encoding".len();
    let value = declaration[after..]
        .trim_ascii_start()
        .strip_prefix(b"=")?
        .trim_ascii_start();
    let (&quote, value) = value.split_first()?;
    if quote != b'"' && quote != b'\'' {
        return None;
    }
    let label = &value[..value.iter().position(|&b| b == quote)?];
    let encoding = encoding_rs::Encoding::for_label(label)
        // Not a WHATWG label, but one this reader has always taken.
        .or_else(|| {
            label
                .eq_ignore_ascii_case(b"latin-1")
                .then_some(encoding_rs::WINDOWS_1252)
        })?;
    // A declaration readable as ASCII is in none of the others (UTF-16 without a mark is
    // not), and `replacement` would turn the whole answer into U+FFFD: UTF-8 then.
    encoding.is_ascii_compatible().then_some(encoding)
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// A new event channel, `POST .../v2.0/channel` (issue 7).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChannelRequest {
    pub channel_set_id: String,
    /// The spec's failover ordering within a set; one channel per set here, so 1 and 50.
    pub priority: u32,
    pub weight: u32,
    /// Requested lifetime in seconds; the XSP may grant another.
    pub expires: u32,
    pub application_id: String,
}

impl ChannelRequest {
    /// The `<Channel>` body, elements in schema order.
    pub fn to_xml(&self) -> String {
        format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Channel xmlns=\"{XSI_NS}\">\
             <channelSetId>{}</channelSetId><priority>{}</priority><weight>{}</weight>\
             <expires>{}</expires><applicationId>{}</applicationId></Channel>",
            escape(&self.channel_set_id),
            self.priority,
            self.weight,
            self.expires,
            escape(&self.application_id),
        )
    }
}

/// The body of a channel refresh, `PUT .../v2.0/channel/{id}`.
pub fn channel_refresh_xml(expires: u32) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Channel xmlns=\"{XSI_NS}\">\
         <expires>{expires}</expires></Channel>"
    )
}

/// `EventResponseStatusCode` (`XSIBaseEvent.xsd`): what the client tells BroadWorks about one
/// event received on a channel. The codes that would move the event to another channel of the
/// set (404, 500) are not used: this wallboard keeps one channel per set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EventResponseStatus {
    /// 200: the event was received.
    Received,
    /// 400: this event could not be processed; BroadWorks drops it.
    Unprocessable,
    /// 481: the event's `subscriptionId` is unknown to the client; BroadWorks deletes the
    /// subscription and drops the event.
    UnknownSubscription,
}

impl EventResponseStatus {
    pub fn code(self) -> u16 {
        match self {
            EventResponseStatus::Received => 200,
            EventResponseStatus::Unprocessable => 400,
            EventResponseStatus::UnknownSubscription => 481,
        }
    }
}

/// The acknowledgement of one event received on a channel, `POST .../v2.0/channel/eventresponse`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventResponse {
    /// As received: the XSP matches the response to its event by it.
    pub event_id: Arc<str>,
    pub status: EventResponseStatus,
    /// One line, at most [`EventResponse::MAX_REASON_CHARS`] characters, never empty.
    reason: String,
}

impl EventResponse {
    /// The longest reason sent: it is for BroadWorks' logs, and a parse error can quote the
    /// event's own (hostile) text.
    pub const MAX_REASON_CHARS: usize = 200;

    /// 200 `OK`.
    pub fn received(event_id: Arc<str>) -> Self {
        EventResponse::new(event_id, EventResponseStatus::Received, "OK")
    }

    /// 400 with why the event could not be processed (a parse error).
    pub fn unprocessable(event_id: Arc<str>, reason: &str) -> Self {
        EventResponse::new(event_id, EventResponseStatus::Unprocessable, reason)
    }

    /// 481: the subscription was deleted or replaced by this client.
    pub fn unknown_subscription(event_id: Arc<str>) -> Self {
        EventResponse::new(
            event_id,
            EventResponseStatus::UnknownSubscription,
            "subscription no longer held by this client",
        )
    }

    /// The reason made one line of XML characters, bounded, and never empty (the schema's
    /// `NonEmptyString`).
    pub fn new(event_id: Arc<str>, status: EventResponseStatus, reason: &str) -> Self {
        let mut clean: String = reason
            .chars()
            .map(|c| if is_xml_text_char(c) { c } else { ' ' })
            .take(Self::MAX_REASON_CHARS)
            .collect();
        if clean.trim().is_empty() {
            clean = format!("status {}", status.code());
        }
        EventResponse {
            event_id,
            status,
            reason: clean,
        }
    }

    pub fn reason(&self) -> &str {
        &self.reason
    }

    /// The `<EventResponse>` body, elements in schema order.
    pub fn to_xml(&self) -> String {
        format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<EventResponse xmlns=\"{XSI_NS}\">\
             <eventID>{}</eventID><statusCode>{}</statusCode><reason>{}</reason></EventResponse>",
            escape(&self.event_id),
            self.status.code(),
            escape(&self.reason),
        )
    }
}

/// A character XML 1.0 allows in text and that keeps the reason on one line.
fn is_xml_text_char(c: char) -> bool {
    !c.is_control() && !matches!(c, '\u{2028}' | '\u{2029}' | '\u{FFFE}' | '\u{FFFF}')
}

/// The first document of a channel's stream (and the answer to a refresh).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChannelResponse {
    pub channel_id: Option<Arc<str>>,
    /// Seconds.
    pub expires: Option<u32>,
}

/// Parse a `<Channel>` document.
pub fn parse_channel_response(body: &[u8]) -> Result<ChannelResponse, ResponseError> {
    let root = Element::parse(body)?.expect_root("Channel")?;
    let expires = match root.child_text("expires") {
        Some(text) => Some(
            text.parse()
                .map_err(|_| ResponseError::Missing("expires"))?,
        ),
        None => None,
    };
    Ok(ChannelResponse {
        channel_id: root.child_text("channelId").map(Arc::from),
        expires,
    })
}
