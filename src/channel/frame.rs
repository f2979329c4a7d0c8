//! What one document on the channel's stream is.

use std::sync::Arc;

use crate::xsi::request::{EventResponse, parse_channel_response};
use crate::xsi::{self, Envelope, Event};

/// One document from the stream, classified by its root element's local name.
#[derive(Debug, Clone, PartialEq)]
#[expect(
    clippy::large_enum_variant,
    reason = "nearly every frame is an event, moved once to the applier: boxing it would add an \
              allocation per event and save nothing"
)]
pub enum Frame {
    /// `<Channel>`: the first document, naming the channel and its granted lifetime.
    Channel {
        channel_id: Arc<str>,
        /// Seconds; `None` when the XSP did not say.
        expires: Option<u32>,
    },
    /// `<xsi:Event>`: parsed by the same parser as the HTTP contact.
    Event(Event),
    /// `<ChannelHeartBeat/>`, also printed `<ChannelHeartbeat/>`.
    Heartbeat,
    /// A document this client does not use (logged, never fatal); holds its root's name.
    Other(String),
    /// An `<xsi:Event>` that did not parse: logged and counted as rejected, and answered 400
    /// by the `eventID` salvaged from its envelope, when there is one.
    BrokenEvent {
        /// The parse error: one line, bounded.
        reason: String,
        envelope: Option<Envelope>,
    },
    /// A `<Channel>` (or a document whose root cannot be read) that did not parse: logged and
    /// counted as rejected.
    Unparsable(String),
}

impl Frame {
    pub fn parse(document: &[u8]) -> Frame {
        let root = match xsi::root_local_name(document) {
            Ok(root) => root,
            Err(e) => return Frame::Unparsable(e.to_string()),
        };
        match root.as_str() {
            "Event" => match xsi::parse_event(document) {
                Ok(event) => Frame::Event(event),
                Err(e) => Frame::BrokenEvent {
                    reason: e.to_string(),
                    envelope: xsi::salvage_envelope(document),
                },
            },
            "Channel" => match parse_channel_response(document) {
                Ok(response) => match response.channel_id {
                    Some(channel_id) => Frame::Channel {
                        channel_id,
                        expires: response.expires,
                    },
                    None => Frame::Unparsable("<Channel> without a channelId".into()),
                },
                Err(e) => Frame::Unparsable(e.to_string()),
            },
            // The specification prints both spellings.
            "ChannelHeartBeat" | "ChannelHeartbeat" => Frame::Heartbeat,
            _ => Frame::Other(root),
        }
    }

    /// The `eventID` to acknowledge: every event whose `eventID` can be read, parsed or not,
    /// except `ChannelTerminatedEvent` (and `ErrorEvent`, which carries none).
    pub fn ack_id(&self) -> Option<&Arc<str>> {
        self.envelope()
            .map(|envelope| &envelope.event_id)
            .filter(|id| !id.is_empty())
    }

    /// The answer BroadWorks gets for this document, if it gets one: 481 for an event of a
    /// subscription `is_retired` (parsed or not: BroadWorks then deletes the subscription), 400
    /// with the parse error for another event that did not parse, 200 for the rest.
    pub fn response(&self, is_retired: impl Fn(&str) -> bool) -> Option<EventResponse> {
        let event_id = self.ack_id()?.clone();
        Some(if self.subscription_id().is_some_and(|id| is_retired(id)) {
            EventResponse::unknown_subscription(event_id)
        } else if let Frame::BrokenEvent { reason, .. } = self {
            EventResponse::unprocessable(event_id, reason)
        } else {
            EventResponse::received(event_id)
        })
    }

    /// The `subscriptionId` of an event, parsed or salvaged, when it has one.
    pub fn subscription_id(&self) -> Option<&Arc<str>> {
        self.envelope()
            .map(|envelope| &envelope.subscription_id)
            .filter(|id| !id.is_empty())
    }

    /// The envelope of a `SubscriptionEvent`, whole or salvaged.
    fn envelope(&self) -> Option<&Envelope> {
        match self {
            Frame::Event(Event::Subscription(event)) => Some(&event.envelope),
            Frame::BrokenEvent { envelope, .. } => envelope.as_ref(),
            _ => None,
        }
    }
}
