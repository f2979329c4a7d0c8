//! What one document on the channel's stream is.

use std::sync::Arc;

use quick_xml::Reader;
use quick_xml::events::Event as XmlEvent;

use crate::xsi::request::parse_channel_response;
use crate::xsi::{self, Event};

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
    /// An `<xsi:Event>` or `<Channel>` that did not parse: logged and counted as rejected.
    Unparsable(String),
}

impl Frame {
    pub fn parse(document: &[u8]) -> Frame {
        match root_name(document).as_deref() {
            Some("Event") => match xsi::parse_event(document) {
                Ok(event) => Frame::Event(event),
                Err(e) => Frame::Unparsable(e.to_string()),
            },
            Some("Channel") => match parse_channel_response(document) {
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
            Some("ChannelHeartBeat" | "ChannelHeartbeat") => Frame::Heartbeat,
            Some(other) => Frame::Other(other.to_owned()),
            None => Frame::Unparsable("no root element".into()),
        }
    }

    /// The `eventID` to acknowledge: every event except `ChannelTerminatedEvent` (and
    /// `ErrorEvent`, which carries none).
    pub fn ack_id(&self) -> Option<&Arc<str>> {
        match self {
            Frame::Event(Event::Subscription(event)) => Some(&event.envelope.event_id),
            _ => None,
        }
    }
}

/// The local name of the first element, whatever its prefix.
fn root_name(document: &[u8]) -> Option<String> {
    let mut reader = Reader::from_reader(document);
    loop {
        match reader.read_event().ok()? {
            XmlEvent::Start(tag) | XmlEvent::Empty(tag) => {
                return Some(tag.local_name().as_ref().to_owned());
            }
            XmlEvent::Eof => return None,
            _ => {}
        }
    }
}
