//! Health of the feed (subscriptions, event channel) as the UI and `/api/board` show it.
//!
//! Producers (`subscribe`, `channel`, the demo) publish a [`LinkStatus`] on a
//! `tokio::sync::watch` channel; the UI reads the latest value at each frame and sends
//! [`FeedCommand`]s back. Neither side knows the other's types.

use std::sync::Arc;

use serde::Serialize;

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

/// The feed's state for one frame: a one-line summary for the header and detail lines for the
/// status overlay (key `s`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct LinkStatus {
    pub health: Health,
    /// e.g. `2/2 subscribed, renew in 29:40`.
    pub summary: String,
    /// One line per subscription or channel, already worded for a supervisor.
    pub details: Vec<String>,
}

impl LinkStatus {
    /// Listen-only: the XSP is configured elsewhere.
    pub fn off(summary: impl Into<String>) -> Self {
        LinkStatus {
            health: Health::Off,
            summary: summary.into(),
            details: Vec::new(),
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
