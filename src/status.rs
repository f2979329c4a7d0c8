//! Health of the feed (subscriptions, event channel) as the UI and `/api/board` show it.
//!
//! Producers (`subscribe`, `channel`, the demo) publish a [`LinkStatus`] on a
//! `tokio::sync::watch` channel when it changes; the UI reads the latest value at each frame,
//! words it with the frame's clock, and sends [`FeedCommand`]s back.

use std::sync::Arc;

use serde::Serialize;

pub use crate::channel::{ChannelState, ChannelStatus};
pub use crate::subscribe::{SubscriptionState, SubscriptionStatus};

/// How the feed stands, worst first when several parts are combined.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Health {
    /// Down: no events can arrive (shown red).
    Down,
    /// Working but not fully: retrying, part of the subscriptions lost (shown yellow).
    Degraded,
    /// Everything subscribed and alive (shown green).
    Ok,
    /// No XSP configured (listen-only): nothing to report.
    #[default]
    Off,
}

impl Health {
    pub fn as_str(self) -> &'static str {
        match self {
            Health::Down => "down",
            Health::Degraded => "degraded",
            Health::Ok => "ok",
            Health::Off => "off",
        }
    }
}

/// How the feed stands, as data. Producers (the subscriber, the event channel, the demo)
/// publish it when it changes; the UI words it at each frame (`ui::feed`), so that countdowns
/// move without anyone republishing every second.
#[derive(Debug, Clone, Default)]
pub struct LinkStatus {
    pub health: Health,
    pub source: FeedSource,
}

/// What feeds the board, and how each part of it stands.
#[derive(Debug, Clone, Default)]
pub enum FeedSource {
    /// Nothing said yet.
    #[default]
    Starting,
    /// No XSP configured: anything that POSTs to this URL shows on the board.
    ListenOnly { url: String },
    /// The built-in XSP simulator.
    Demo(DemoStatus),
    /// Subscriptions with an HTTP contact.
    Subscriptions(Subscriptions),
    /// An event channel, and the subscriptions made over it once it is open.
    Channel {
        channel: ChannelStatus,
        subscriptions: Option<Subscriptions>,
    },
    /// A journal replayed (`xsi-wallboard replay`): no feed at all.
    Replay(ReplayStatus),
}

/// A replay's progress.
#[derive(Debug, Clone, Default)]
pub struct ReplayStatus {
    /// Journal files given.
    pub files: usize,
    /// `--speed`, as given (`10x`, `max`).
    pub speed: String,
    /// Lines applied so far.
    pub lines: u64,
    /// The journal's time of the last line applied (epoch ms; 0 before the first).
    pub journal_ms: i64,
    /// The journal has ended; the board stays as it was then.
    pub done: bool,
}

/// The demo simulator's own feed.
#[derive(Debug, Clone, Default)]
pub struct DemoStatus {
    pub url: String,
    pub seed: u64,
    pub posted: u64,
    pub failed: u64,
    pub last_failure: Option<String>,
}

/// Every subscription's state, plus what the subscriber itself has to say.
#[derive(Debug, Clone, Default)]
pub struct Subscriptions {
    pub application_id: String,
    /// Discovering the call centers, or what discovery found.
    pub discovery: Option<String>,
    /// Why the subscriber cannot run (discovery refused, no client).
    pub setup_error: Option<String>,
    pub lines: Vec<SubscriptionStatus>,
}

impl LinkStatus {
    /// Listen-only: the XSP is configured elsewhere.
    pub fn listen_only(url: impl Into<String>) -> Self {
        LinkStatus {
            health: Health::Off,
            source: FeedSource::ListenOnly { url: url.into() },
        }
    }
}

/// What the rest of the wallboard asks of the feed (the subscriber, or the event channel and
/// its subscriber): the UI's keys and the applier's repairs travel the same road.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FeedCommand {
    /// `r`: resubscribe the selected call center (its `targetId`); `R` (`None`): all of them.
    /// Also the way out of a wait for the user after a 401 or a `DuplicateChannelSet`.
    Resubscribe(Option<Arc<str>>),
    /// Events were lost on this subscription: bring the truth back with the cheapest request
    /// (a refresh of a user target, whose initial event follows; a queue fetch per call center
    /// of a collection). The applier spaces repairs; the feed does each one it is asked.
    Repair(Arc<str>),
    /// A `SubscriptionTerminatedEvent` arrived for this subscription: subscribe again.
    Terminated(Arc<str>),
}
