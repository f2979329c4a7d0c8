//! The XSP's request and response documents around a subscription: the `<Subscription>` and
//! `<Channel>` we send, the `<Subscription>`, `<Channel>` and `<ErrorInfo>` it answers, and the
//! Xsi-Actions lists we read at start (`CallCenters` and `CallCenterAgents` directories,
//! `ACDQueue` of one call center).
//!
//! The answers are read by the events' cursor, in [`super::parse`]'s `response` module: one
//! way of reading XSI, by namespace URI. What we send is escaped by the events' escaper.

use std::sync::Arc;

use super::XSI_NS;
use super::escape::escape;

pub use super::parse::response::{
    parse_acd_promote, parse_acd_queue, parse_call_center_agents, parse_call_centers,
    parse_channel_response, parse_error_info, parse_queue_call_order, parse_subscription_response,
};

/// Where BroadWorks should deliver the events of a subscription (the schema's choice).
///
/// `Debug` shows a contact URI's origin only: its path may end in the listener's secret token.
#[derive(Clone, PartialEq, Eq)]
pub enum Delivery {
    /// `httpContact/uri`: the XSP POSTs each event to this URL.
    HttpContact(String),
    /// `channelSetId`: events come down this wallboard's event channel (issue 7).
    ChannelSet(String),
}

impl std::fmt::Debug for Delivery {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Delivery::HttpContact(uri) => {
                // `scheme://host:port` and no further: never the path, where a token may be.
                let origin = uri.split_once("://").map_or_else(
                    || "***".to_owned(),
                    |(scheme, rest)| {
                        let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
                        // Userinfo is a secret too.
                        let host = authority.rsplit('@').next().unwrap_or_default();
                        format!("{scheme}://{host}/***")
                    },
                );
                f.debug_tuple("HttpContact").field(&origin).finish()
            }
            Delivery::ChannelSet(id) => f.debug_tuple("ChannelSet").field(id).finish(),
        }
    }
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

/// The schema's `ACDPriorityType` spelling of a priority, 0 (`0-Highest`) .. 3 (`3-Low`).
pub fn acd_priority_name(priority: u8) -> Option<&'static str> {
    match priority {
        0 => Some("0-Highest"),
        1 => Some("1-High"),
        2 => Some("2-Medium"),
        3 => Some("3-Low"),
        _ => None,
    }
}

/// The body of Xsi-Actions `PUT .../callcenter/{cc}/calls/{callId}/Promote` (`ACDPromote`,
/// `XSIACD.xsd`); `None` for a priority the schema has no name for.
pub fn promote_xml(priority: u8) -> Option<String> {
    let name = acd_priority_name(priority)?;
    Some(format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ACDPromote xmlns=\"{XSI_NS}\">\
         <priority>{name}</priority></ACDPromote>"
    ))
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
    /// Well-formed, but not taken (a document type declaration).
    #[error("refused: {0}")]
    Refused(String),
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
