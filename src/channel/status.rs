//! The channel's state, worded for a supervisor, and its combination with the subscriptions'.

use std::fmt::Write as _;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use tokio::time::Instant;

use crate::status::{Health, LinkStatus};
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

    /// `acks N sent (200: a, 400: b, 481: c), F failed`: the status panel's words.
    pub fn summary(&self) -> String {
        let received = self.received.load(Ordering::Relaxed);
        let unprocessable = self.unprocessable.load(Ordering::Relaxed);
        let unknown = self.unknown_subscription.load(Ordering::Relaxed);
        format!(
            "acks {} sent (200: {received}, 400: {unprocessable}, 481: {unknown}), {} failed",
            received + unprocessable + unknown,
            self.failed.load(Ordering::Relaxed)
        )
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

    /// The header's summary and the panel's channel line; the subscriptions' status (when they
    /// run) adds its own, and the worse health wins.
    pub fn link_status(&self, subscriptions: Option<&LinkStatus>, now: Instant) -> LinkStatus {
        let (health, summary) = match &self.state {
            ChannelState::Open => (Health::Ok, "channel open".to_owned()),
            ChannelState::Opening => (Health::Down, "opening the event channel".to_owned()),
            ChannelState::Reopening { at } => (
                Health::Down,
                format!(
                    "channel lost, reopening in {} s",
                    at.saturating_duration_since(now).as_secs()
                ),
            ),
            ChannelState::Stopped => (
                Health::Down,
                format!(
                    "channel stopped: {}; press r",
                    self.last_error.as_deref().unwrap_or("stopped")
                ),
            ),
            ChannelState::Closing => (Health::Down, "closing the event channel".to_owned()),
        };
        let mut details = vec![self.line(now)];
        let (health, summary) = match subscriptions {
            Some(subs) if self.state == ChannelState::Open => {
                details.extend(subs.details.iter().cloned());
                (
                    health.min(subs.health),
                    format!("{summary} · {}", subs.summary),
                )
            }
            Some(subs) => {
                details.extend(subs.details.iter().cloned());
                (health, summary)
            }
            None => (health, summary),
        };
        LinkStatus {
            health,
            summary,
            details,
        }
    }

    fn line(&self, now: Instant) -> String {
        let mut text = format!("channel set {}", self.channel_set_id);
        if let Some(id) = &self.channel_id {
            let short: String = id.chars().take(8).collect();
            let _ = write!(text, " · channel {short}");
        }
        if let Some(node) = &self.node {
            let _ = write!(text, " · on {node}");
        }
        if let Some(expires) = self.granted_expires {
            let _ = write!(text, " · expires {expires} s");
        }
        if let Some(at) = self.last_heartbeat {
            let _ = write!(
                text,
                " · heartbeat {} s ago",
                now.saturating_duration_since(at).as_secs()
            );
        }
        let _ = write!(text, " · {}", self.acks.summary());
        if let Some(error) = &self.last_error {
            let _ = write!(text, " · last error: {error}");
        }
        text
    }
}
