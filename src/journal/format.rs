//! The journal's lines: what is on disk, and how an [`Input`] becomes one and back.
//!
//! Why JSON lines in gzip: each line stands alone, so a file cut short by a crash or a full disk
//! is read up to its last whole line; `zcat FILE | jq` answers "what did the board receive at
//! 10:32" without this program; `serde_json` is already here; the XML bodies are text, and gzip
//! takes back what JSON escaping and repeated envelopes cost. Each file starts with a [`Header`]
//! naming the format and its version, so a reader refuses what it does not know instead of
//! guessing, and a lone file says whose and since when it is.
//!
//! Events and fetched queues are kept as the documents that arrived, not as what the parser made
//! of them: a replay parses them again with the same parser, so a parser fix shows on an old
//! day, and the file is the evidence of what BroadWorks sent.

use std::sync::Arc;

use base64::Engine as _;
use bytes::Bytes;
use serde::{Deserialize, Serialize};

use crate::board::{DroppedEvent, FeedNews, Input, Raw, Source, Subscribed};
use crate::xsi::{Envelope, Package};

/// The `format` of every header: anything else is not a journal.
pub const FORMAT: &str = "xsi-wallboard-journal";
/// The version this build writes and reads. A reader refuses a higher one (fields may have
/// changed meaning); a new kind of line within a version is skipped by older readers.
pub const VERSION: u32 = 1;

/// A file's first line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Header {
    pub format: String,
    pub version: u32,
    /// The wallboard's `--instance` (`demo` for the demo).
    pub instance: String,
    /// The wallboard's version that wrote it.
    pub wallboard: String,
    /// When this file was started (RFC 3339, UTC).
    pub started: String,
    /// When the board being recorded started (epoch ms): a replay's board starts there, so a
    /// queue never proved ages the same.
    pub board_started_ms: i64,
    /// The call centers on the board from its start (the subscriber's targets).
    pub expected: Vec<Arc<str>>,
    /// Recorded from the demo: a replay takes the demo's call center names, not a
    /// configuration file's.
    #[serde(default)]
    pub demo: bool,
    /// 0 for the run's first file, then one more per rotation.
    pub part: u32,
}

/// One line after the header: `t` is the applier's clock (epoch ms, the recording host's) when
/// it took the input or ticked.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Line {
    pub t: i64,
    #[serde(flatten)]
    pub record: Record,
}

/// What the applier took, one kind per [`Input`] variant, plus its ticks (the timed part of
/// the applier: gaps expire, alerts are evaluated, the day resets).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "k", rename_all = "snake_case")]
pub enum Record {
    Event {
        src: SourceName,
        arrival_ms: i64,
        #[serde(flatten)]
        body: Body,
    },
    /// An event that did not parse (answered 400): its body is not kept (a sender must not fill
    /// the journal with what the board never showed), only the envelope the applier was told
    /// of, so the replay knows its number was received.
    Refused {
        arrival_ms: i64,
        envelope: EnvelopeRecord,
    },
    Dropped {
        events: Vec<DroppedRecord>,
    },
    Fetched {
        call_center: Arc<str>,
        subscription_id: Option<Arc<str>>,
        sent_ms: i64,
        arrival_ms: i64,
        #[serde(flatten)]
        body: Body,
    },
    FeedUp {
        subscription_id: Arc<str>,
        package: Arc<str>,
        target: Arc<str>,
        call_centers: Vec<Arc<str>>,
        collection: bool,
        sent_ms: i64,
        initial_event_due_ms: Option<i64>,
    },
    FeedDown {
        target: Arc<str>,
        package: Arc<str>,
        call_centers: Vec<Arc<str>>,
        reason: String,
        at_ms: i64,
    },
    FeedRetired {
        subscription_id: Arc<str>,
    },
    Heartbeat {
        at_ms: i64,
    },
    Channel {
        down: Option<String>,
        at_ms: i64,
    },
    ServerClock {
        date_ms: i64,
        sent_ms: i64,
        received_ms: i64,
    },
    /// An action on a call sent (issue 18): the call shows "pending" until its event.
    ActionPending {
        call_center: Arc<str>,
        call_id: Arc<str>,
        action: crate::actions::ActionKind,
        until_ms: i64,
    },
    /// The action's request failed: the mark goes.
    ActionSettled {
        call_center: Arc<str>,
        call_id: Arc<str>,
    },
    Tick,
}

/// Which feed an event came by, as written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SourceName {
    Listener,
    Channel,
}

impl From<Source> for SourceName {
    fn from(source: Source) -> Self {
        match source {
            Source::Listener => SourceName::Listener,
            Source::Channel => SourceName::Channel,
        }
    }
}

impl From<SourceName> for Source {
    fn from(source: SourceName) -> Self {
        match source {
            SourceName::Listener => Source::Listener,
            SourceName::Channel => Source::Channel,
        }
    }
}

/// A document: as text when it is UTF-8 (nearly always: readable with `zcat`), else base64.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Body {
    Body(String),
    BodyB64(String),
}

impl Body {
    pub fn of(bytes: &[u8]) -> Body {
        match std::str::from_utf8(bytes) {
            Ok(text) => Body::Body(text.to_owned()),
            Err(_) => Body::BodyB64(base64::engine::general_purpose::STANDARD.encode(bytes)),
        }
    }

    /// The document's bytes; `None` for base64 that does not decode (a damaged file).
    pub fn bytes(&self) -> Option<Bytes> {
        match self {
            Body::Body(text) => Some(Bytes::copy_from_slice(text.as_bytes())),
            Body::BodyB64(b64) => base64::engine::general_purpose::STANDARD
                .decode(b64)
                .ok()
                .map(Bytes::from),
        }
    }
}

/// What was read of a refused event's envelope.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnvelopeRecord {
    pub event_id: Arc<str>,
    pub sequence_number: Option<u32>,
    pub user_id: Arc<str>,
    pub external_application_id: Arc<str>,
    pub subscription_id: Arc<str>,
    pub channel_id: Option<Arc<str>>,
    pub http_contact: Option<Arc<str>>,
    pub target_id: Option<Arc<str>>,
}

impl From<&Envelope> for EnvelopeRecord {
    fn from(e: &Envelope) -> Self {
        EnvelopeRecord {
            event_id: e.event_id.clone(),
            sequence_number: e.sequence_number,
            user_id: e.user_id.clone(),
            external_application_id: e.external_application_id.clone(),
            subscription_id: e.subscription_id.clone(),
            channel_id: e.channel_id.clone(),
            http_contact: e.http_contact.clone(),
            target_id: e.target_id.clone(),
        }
    }
}

impl From<EnvelopeRecord> for Envelope {
    fn from(e: EnvelopeRecord) -> Self {
        Envelope {
            event_id: e.event_id,
            sequence_number: e.sequence_number,
            user_id: e.user_id,
            external_application_id: e.external_application_id,
            subscription_id: e.subscription_id,
            channel_id: e.channel_id,
            http_contact: e.http_contact,
            target_id: e.target_id,
        }
    }
}

/// One event lost with a 503.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DroppedRecord {
    pub target_id: Option<Arc<str>>,
    pub subscription_id: Option<Arc<str>>,
    pub sequence_number: Option<u32>,
}

/// A package by its short name (`queue`, `agent`...), as [`Package::short`] writes it.
fn package_named(name: &str) -> Option<Package> {
    [
        Package::Queue,
        Package::Monitoring,
        Package::Configuration,
        Package::Agent,
    ]
    .into_iter()
    .find(|p| p.short() == name)
}

/// What the journal keeps of an input: the cheap part, taken on the applier's task (a
/// reference to the document, a few `Arc` clones); the writer thread turns it into a
/// [`Record`].
#[derive(Debug, Clone)]
pub enum Taken {
    Event {
        raw: Raw,
        arrival_ms: i64,
    },
    Fetched {
        call_center: Arc<str>,
        subscription_id: Option<Arc<str>>,
        sent_ms: i64,
        arrival_ms: i64,
        body: Bytes,
    },
    /// Any other input: small, cloned whole (boxed: an `Input` is as large as a parsed event).
    Input(Box<Input>),
    /// An event or fetch built in code, without its document: nothing to replay it from.
    Unrecordable,
    Tick,
}

impl Taken {
    /// The bytes of document it holds on to, for the writer queue's budget.
    pub fn weight(&self) -> usize {
        match self {
            Taken::Event { raw, .. } => raw.body.len(),
            Taken::Fetched { body, .. } => body.len(),
            Taken::Input(_) | Taken::Unrecordable | Taken::Tick => 0,
        }
    }

    /// An input as the applier takes it: an event keeps only its document, not the parsed
    /// form.
    pub fn of(input: &Input) -> Taken {
        match input {
            Input::Event {
                raw: Some(raw),
                arrival_ms,
                ..
            } => Taken::Event {
                raw: raw.clone(),
                arrival_ms: *arrival_ms,
            },
            Input::Fetched {
                call_center,
                subscription_id,
                sent_ms,
                arrival_ms,
                raw: Some(body),
                ..
            } => Taken::Fetched {
                call_center: call_center.clone(),
                subscription_id: subscription_id.clone(),
                sent_ms: *sent_ms,
                arrival_ms: *arrival_ms,
                body: body.clone(),
            },
            Input::Event { raw: None, .. } | Input::Fetched { raw: None, .. } => {
                Taken::Unrecordable
            }
            other => Taken::Input(Box::new(other.clone())),
        }
    }
}

/// The line for what was taken; `None` for what cannot be recorded.
pub fn record_of(taken: &Taken) -> Option<Record> {
    Some(match taken {
        Taken::Tick => Record::Tick,
        Taken::Unrecordable => return None,
        Taken::Event { raw, arrival_ms } => Record::Event {
            src: raw.source.into(),
            arrival_ms: *arrival_ms,
            body: Body::of(&raw.body),
        },
        Taken::Fetched {
            call_center,
            subscription_id,
            sent_ms,
            arrival_ms,
            body,
        } => Record::Fetched {
            call_center: call_center.clone(),
            subscription_id: subscription_id.clone(),
            sent_ms: *sent_ms,
            arrival_ms: *arrival_ms,
            body: Body::of(body),
        },
        Taken::Input(input) => return input_record(input),
    })
}

/// The line for an input that carries no document.
fn input_record(input: &Input) -> Option<Record> {
    Some(match input {
        // Taken apart by [`Taken::of`]: never here.
        Input::Event { .. } | Input::Fetched { .. } => return None,
        Input::Refused {
            envelope,
            arrival_ms,
        } => Record::Refused {
            arrival_ms: *arrival_ms,
            envelope: envelope.into(),
        },
        Input::Dropped(events) => Record::Dropped {
            events: events
                .iter()
                .map(|d| DroppedRecord {
                    target_id: d.target_id.clone(),
                    subscription_id: d.subscription_id.clone(),
                    sequence_number: d.sequence_number,
                })
                .collect(),
        },
        Input::Feed(news) => feed_record(news),
        Input::Heartbeat { at_ms } => Record::Heartbeat { at_ms: *at_ms },
        Input::Channel { down, at_ms } => Record::Channel {
            down: down.clone(),
            at_ms: *at_ms,
        },
        Input::ServerClock {
            date_ms,
            sent_ms,
            received_ms,
        } => Record::ServerClock {
            date_ms: *date_ms,
            sent_ms: *sent_ms,
            received_ms: *received_ms,
        },
        Input::ActionPending {
            call_center,
            call_id,
            action,
            until_ms,
        } => Record::ActionPending {
            call_center: call_center.clone(),
            call_id: call_id.clone(),
            action: *action,
            until_ms: *until_ms,
        },
        Input::ActionSettled {
            call_center,
            call_id,
        } => Record::ActionSettled {
            call_center: call_center.clone(),
            call_id: call_id.clone(),
        },
    })
}

fn feed_record(news: &FeedNews) -> Record {
    match news {
        FeedNews::Up(up) => Record::FeedUp {
            subscription_id: up.subscription_id.clone(),
            package: Arc::from(up.package.short()),
            target: up.target.clone(),
            call_centers: up.call_centers.clone(),
            collection: up.collection,
            sent_ms: up.sent_ms,
            initial_event_due_ms: up.initial_event_due_ms,
        },
        FeedNews::Down {
            target,
            package,
            call_centers,
            reason,
            at_ms,
        } => Record::FeedDown {
            target: target.clone(),
            package: Arc::from(package.short()),
            call_centers: call_centers.clone(),
            reason: reason.clone(),
            at_ms: *at_ms,
        },
        FeedNews::Retired { subscription_id } => Record::FeedRetired {
            subscription_id: subscription_id.clone(),
        },
    }
}

/// What a replay does with a line.
#[derive(Debug)]
pub enum Replayed {
    /// A document to parse and apply as an event that arrived then.
    Event {
        body: Bytes,
        source: Source,
        arrival_ms: i64,
    },
    /// An Xsi-Actions queue answer to parse and apply as fetched.
    Fetched {
        call_center: Arc<str>,
        subscription_id: Option<Arc<str>>,
        sent_ms: i64,
        arrival_ms: i64,
        body: Bytes,
    },
    /// An input that needs no parsing (boxed: an `Input` is as large as a parsed event).
    Input(Box<Input>),
    Tick,
}

/// Why a line cannot be replayed.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum Unreplayable {
    #[error("a body that does not decode")]
    Body,
    #[error("an unknown package {0:?}")]
    Package(String),
    #[error("not the subscriber's news: {0}")]
    Kind(String),
}

impl Record {
    /// The input to give the applier again.
    pub fn replayed(self) -> Result<Replayed, Unreplayable> {
        let input = match self {
            Record::Event {
                src,
                arrival_ms,
                body,
            } => {
                return Ok(Replayed::Event {
                    body: body.bytes().ok_or(Unreplayable::Body)?,
                    source: src.into(),
                    arrival_ms,
                });
            }
            Record::Fetched {
                call_center,
                subscription_id,
                sent_ms,
                arrival_ms,
                body,
            } => {
                return Ok(Replayed::Fetched {
                    call_center,
                    subscription_id,
                    sent_ms,
                    arrival_ms,
                    body: body.bytes().ok_or(Unreplayable::Body)?,
                });
            }
            Record::Tick => return Ok(Replayed::Tick),
            Record::Refused {
                arrival_ms,
                envelope,
            } => Input::Refused {
                envelope: envelope.into(),
                arrival_ms,
            },
            Record::Dropped { events } => Input::Dropped(
                events
                    .into_iter()
                    .map(|d| DroppedEvent {
                        target_id: d.target_id,
                        subscription_id: d.subscription_id,
                        sequence_number: d.sequence_number,
                    })
                    .collect(),
            ),
            Record::FeedUp { .. } | Record::FeedDown { .. } | Record::FeedRetired { .. } => {
                Input::Feed(self.feed_news()?)
            }
            Record::Heartbeat { at_ms } => Input::Heartbeat { at_ms },
            Record::Channel { down, at_ms } => Input::Channel { down, at_ms },
            Record::ServerClock {
                date_ms,
                sent_ms,
                received_ms,
            } => Input::ServerClock {
                date_ms,
                sent_ms,
                received_ms,
            },
            Record::ActionPending {
                call_center,
                call_id,
                action,
                until_ms,
            } => Input::ActionPending {
                call_center,
                call_id,
                action,
                until_ms,
            },
            Record::ActionSettled {
                call_center,
                call_id,
            } => Input::ActionSettled {
                call_center,
                call_id,
            },
        };
        Ok(Replayed::Input(Box::new(input)))
    }

    /// The subscriber's news, from a `feed_*` line.
    fn feed_news(self) -> Result<FeedNews, Unreplayable> {
        let package =
            |name: &str| package_named(name).ok_or_else(|| Unreplayable::Package(name.to_owned()));
        Ok(match self {
            Record::FeedUp {
                subscription_id,
                package: name,
                target,
                call_centers,
                collection,
                sent_ms,
                initial_event_due_ms,
            } => FeedNews::Up(Subscribed {
                subscription_id,
                package: package(&name)?,
                target,
                call_centers,
                collection,
                sent_ms,
                initial_event_due_ms,
            }),
            Record::FeedDown {
                target,
                package: name,
                call_centers,
                reason,
                at_ms,
            } => FeedNews::Down {
                target,
                package: package(&name)?,
                call_centers,
                reason,
                at_ms,
            },
            Record::FeedRetired { subscription_id } => FeedNews::Retired { subscription_id },
            other => return Err(Unreplayable::Kind(format!("{other:?}"))),
        })
    }
}

/// The raw document of an event, for a test or a tool that builds one by hand.
pub fn raw(body: &str, source: Source) -> Raw {
    Raw {
        body: Bytes::copy_from_slice(body.as_bytes()),
        source,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_of_line_reads_back_as_written() {
        let lines = [
            Line {
                t: 1,
                record: Record::Event {
                    src: SourceName::Channel,
                    arrival_ms: 2,
                    body: Body::of(b"<xsi:Event/>"),
                },
            },
            Line {
                t: 3,
                record: Record::Event {
                    src: SourceName::Listener,
                    arrival_ms: 4,
                    body: Body::of(&[0xff, 0xfe, b'<']),
                },
            },
            Line {
                t: 5,
                record: Record::Tick,
            },
            Line {
                t: 6,
                record: Record::FeedDown {
                    target: "cc".into(),
                    package: "queue".into(),
                    call_centers: vec!["cc".into()],
                    reason: "403".into(),
                    at_ms: 6,
                },
            },
        ];
        for line in lines {
            let text = serde_json::to_string(&line).expect("serialises");
            assert!(!text.contains('\n'), "one line: {text}");
            let back: Line = serde_json::from_str(&text).expect("reads back");
            assert_eq!(back, line, "{text}");
        }
        let tick = serde_json::to_string(&Line {
            t: 7,
            record: Record::Tick,
        })
        .expect("serialises");
        assert_eq!(tick, r#"{"t":7,"k":"tick"}"#);
    }

    #[test]
    fn a_body_that_is_not_utf8_survives_as_base64() {
        let body = Body::of(&[0xe9, b'a']);
        assert!(matches!(body, Body::BodyB64(_)));
        assert_eq!(body.bytes().as_deref(), Some(&[0xe9, b'a'][..]));
    }

    #[test]
    fn packages_read_back_by_their_short_names() {
        for package in [
            Package::Queue,
            Package::Monitoring,
            Package::Configuration,
            Package::Agent,
        ] {
            assert_eq!(package_named(package.short()), Some(package));
        }
        assert_eq!(package_named("nonsense"), None);
    }
}
