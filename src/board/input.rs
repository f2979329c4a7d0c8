//! What the applier takes in: every change to the board, from every part of the wallboard, on
//! one channel and in the order it happened.
//!
//! ```text
//! listener (POST) ---Event / Refused / Dropped---+
//! event channel  ---Event / Refused / Heartbeat / ChannelDown/Up--+--> mpsc --> applier
//! subscriber     ---Feed (granted, lost, retired) / Fetched / ServerClock-+
//! ```
//!
//! Nothing else writes the board: a feed lost, a queue fetched or a 503 given is an input here,
//! so it is applied in order with the events around it.

use std::sync::Arc;

use crate::xsi::{Envelope, Event, Package, QueueSnapshot};

/// Depth of the channel into the applier: a few seconds of a busy service provider's events.
pub const CHANNEL_CAPACITY: usize = 4096;

/// What the events waiting in the channel may weigh in all (see [`Input::weight`]): the
/// channel's depth is a count, and 4096 parsed queue snapshots of a megabyte each would be
/// gigabytes. An event that does not fit waits for room like one that finds the channel full.
pub const QUEUED_WEIGHT: usize = 4 * 1024 * 1024;

/// One change for the board.
#[derive(Debug, Clone, PartialEq)]
#[expect(
    clippy::large_enum_variant,
    reason = "nearly every input is an event, moved once from parser to applier: boxing it \
              would add an allocation per event and save nothing"
)]
pub enum Input {
    /// A parsed event, stamped when it arrived (epoch ms, this host), with the document it was
    /// parsed from (what the journal records; `None` for one built in code, e.g. a test).
    Event {
        event: Event,
        arrival_ms: i64,
        raw: Option<Raw>,
    },
    /// An event refused with 400 (it did not parse). What could be read of its envelope still
    /// counts: its `sequenceNumber` was received, so it is no gap.
    Refused { envelope: Envelope, arrival_ms: i64 },
    /// Events the listener had to refuse with 503 (the board was behind): lost, BroadWorks
    /// does not redeliver. The call centers and subscriptions they named, where known.
    Dropped(Vec<DroppedEvent>),
    /// A call center's queue as Xsi-Actions answered it (collection targets get no initial
    /// event). It describes the queue at the moment the request was sent.
    Fetched {
        call_center: Arc<str>,
        /// The subscription the fetch stands in for the initial event of.
        subscription_id: Option<Arc<str>>,
        snapshot: QueueSnapshot,
        sent_ms: i64,
        arrival_ms: i64,
        /// The Xsi-Actions answer it was parsed from (what the journal records).
        raw: Option<bytes::Bytes>,
    },
    /// The subscriber's word on one subscription.
    Feed(FeedNews),
    /// A channel heartbeat: the stream carries every call center's events, so it proves them.
    Heartbeat { at_ms: i64 },
    /// The event channel is open (`None`) or down, with why.
    Channel { down: Option<String>, at_ms: i64 },
    /// An action on a call is about to be sent (issue 18): the call shows "pending" until the
    /// XSP's event about it, [`Input::ActionSettled`], or `until_ms` (epoch ms, this host).
    ActionPending {
        call_center: Arc<str>,
        call_id: Arc<str>,
        action: crate::actions::ActionKind,
        until_ms: i64,
    },
    /// The action's request failed: nothing will come, the mark goes.
    ActionSettled {
        call_center: Arc<str>,
        call_id: Arc<str>,
    },
    /// An XSP `Date` header: the XSP's clock against this host's.
    ServerClock {
        date_ms: i64,
        sent_ms: i64,
        received_ms: i64,
    },
}

impl Input {
    /// About what this input holds in memory, in bytes: the intake reserves it against
    /// [`QUEUED_WEIGHT`] before queueing an event, the applier gives it back on taking it.
    /// An estimate from the parser's bounds (ids of at most 256 bytes, text of 128), the same
    /// on both sides.
    pub fn weight(&self) -> usize {
        const BASE: usize = 512;
        let Input::Event { event, .. } = self else {
            return 0;
        };
        let Event::Subscription(sub) = event else {
            return BASE;
        };
        BASE + match &sub.data {
            crate::xsi::EventData::QueueSnapshot(snapshot) => snapshot.entries.len() * 1024,
            crate::xsi::EventData::Agent(agent) => match &agent.joins {
                Some(crate::xsi::AgentJoins::All(all)) => all.len() * 320,
                _ => 0,
            },
            _ => 0,
        }
    }
}

/// An event's document as it arrived, and which feed brought it: the journal records this, not
/// the parsed event, so that a replay goes through the same parser. `Bytes` is a reference
/// count: carrying it costs no copy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Raw {
    pub body: bytes::Bytes,
    pub source: Source,
}

/// The feed an event came by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Source {
    /// Sent with a POST to the listener (the HTTP contact, or the demo simulator).
    #[default]
    Listener,
    /// Read from the event channel's stream.
    Channel,
}

impl Source {
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Listener => "listener",
            Source::Channel => "channel",
        }
    }
}

/// One event lost with a 503, as far as it was read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DroppedEvent {
    pub target_id: Option<Arc<str>>,
    pub subscription_id: Option<Arc<str>>,
    pub sequence_number: Option<u32>,
}

/// What the subscriber (or the event channel's subscriber) reports.
#[derive(Debug, Clone, PartialEq)]
pub enum FeedNews {
    /// A subscription was granted or refreshed: events of its package can come.
    Up(Subscribed),
    /// No live subscription for this target and package, and why (in words).
    Down {
        target: Arc<str>,
        package: Package,
        /// The call centers it would feed.
        call_centers: Vec<Arc<str>>,
        reason: String,
        at_ms: i64,
    },
    /// A subscription this wallboard no longer holds (deleted, replaced, terminated): its
    /// numbers mean nothing any more, and events still carrying it are late.
    Retired { subscription_id: Arc<str> },
}

/// A subscription granted (or refreshed) by the XSP.
#[derive(Debug, Clone, PartialEq)]
pub struct Subscribed {
    pub subscription_id: Arc<str>,
    pub package: Package,
    /// What was subscribed: a call center's (or agent's) user id, or a collection target.
    pub target: Arc<str>,
    /// The call centers this subscription feeds (the target itself for a call center's user).
    pub call_centers: Vec<Arc<str>>,
    /// A group, enterprise or service provider: no initial event, queues are fetched.
    pub collection: bool,
    /// When the subscribe or refresh request went out (epoch ms, this host).
    pub sent_ms: i64,
    /// A user target brings an initial event: by when it must have come.
    pub initial_event_due_ms: Option<i64>,
}

/// The bounded channel from every part of the wallboard to the one applier.
pub fn channel() -> (
    tokio::sync::mpsc::Sender<Input>,
    tokio::sync::mpsc::Receiver<Input>,
) {
    tokio::sync::mpsc::channel(CHANNEL_CAPACITY)
}
