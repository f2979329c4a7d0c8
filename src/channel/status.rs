//! The channel's state as data, and its combination with the subscriptions' (the UI words
//! both: `ui::feed`).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use tokio::time::Instant;

use crate::status::{FeedSource, Health, LinkStatus};
use crate::xsi::request::EventResponseStatus;

/// Where the channel's lifecycle stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChannelState {
    Opening,
    Open,
    /// Lost; opens again at the instant.
    Reopening {
        at: Instant,
    },
    /// `DuplicateChannelSet` (or a 401): not reopened until the user presses `r`.
    Stopped,
    /// Quitting: subscriptions and channel being deleted.
    Closing,
}

/// Event responses, counted by the ack worker once the XSP has answered the POST: by the
/// status sent, and those whose POST failed (the event is then unanswered).
#[derive(Debug, Default)]
pub struct AckCounters {
    /// 200: received.
    pub received: AtomicU64,
    /// 400: could not be processed (did not parse).
    pub unprocessable: AtomicU64,
    /// 481: for a subscription this wallboard deleted or replaced.
    pub unknown_subscription: AtomicU64,
    pub failed: AtomicU64,
}

impl AckCounters {
    /// Count one response the XSP took.
    pub fn sent(&self, status: EventResponseStatus) {
        let counter = match status {
            EventResponseStatus::Received => &self.received,
            EventResponseStatus::Unprocessable => &self.unprocessable,
            EventResponseStatus::UnknownSubscription => &self.unknown_subscription,
        };
        counter.fetch_add(1, Ordering::Relaxed);
    }

    /// Received, unprocessable, unknown subscription, failed: read at the instant asked.
    pub fn counts(&self) -> [u64; 4] {
        [
            &self.received,
            &self.unprocessable,
            &self.unknown_subscription,
            &self.failed,
        ]
        .map(|c| c.load(Ordering::Relaxed))
    }
}

/// Everything the status panel shows of the channel.
#[derive(Debug, Clone)]
pub struct ChannelStatus {
    pub state: ChannelState,
    pub channel_set_id: String,
    pub channel_id: Option<Arc<str>>,
    /// The XSP node that holds the channel.
    pub node: Option<Arc<str>>,
    /// Seconds, as granted.
    pub granted_expires: Option<u32>,
    pub last_heartbeat: Option<Instant>,
    pub acks: Arc<AckCounters>,
    /// Why it was lost, stopped, or what the last `ErrorEvent` said.
    pub last_error: Option<String>,
}

impl ChannelStatus {
    pub fn new(channel_set_id: String) -> Self {
        ChannelStatus {
            state: ChannelState::Opening,
            channel_set_id,
            channel_id: None,
            node: None,
            granted_expires: None,
            last_heartbeat: None,
            acks: Arc::default(),
            last_error: None,
        }
    }

    /// The channel's part of the feed, combined with its subscriptions' once they run: the
    /// worse health wins while the channel is open; otherwise the channel's alone counts.
    pub fn link_status(&self, subscriptions: Option<&LinkStatus>) -> LinkStatus {
        let own = match self.state {
            ChannelState::Open => Health::Ok,
            _ => Health::Down,
        };
        let subscriptions = subscriptions.and_then(|link| match &link.source {
            FeedSource::Subscriptions(subs) => Some((link.health, subs.clone())),
            _ => None,
        });
        let health = match &subscriptions {
            Some((subs, _)) if self.state == ChannelState::Open => own.min(*subs),
            _ => own,
        };
        LinkStatus {
            health,
            source: FeedSource::Channel {
                channel: self.clone(),
                subscriptions: subscriptions.map(|(_, subs)| subs),
            },
        }
    }
}
