//! `/api/status` read back into the [`LinkStatus`] the status panel words: the receiver's feed,
//! shown by the same screen code as a local one. Instants come as epoch ms on the receiver's
//! clock and go back to this host's monotonic clock by their distance from the answer's
//! `now_ms`, so countdowns tick as they do on the receiver's own screen.

use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::time::Duration;

use serde::Deserialize;
use tokio::time::Instant;

use crate::channel::AckCounters;
use crate::status::{
    ChannelState, ChannelStatus, DemoStatus, FeedSource, Health, LinkStatus, ReplayStatus,
    SubscriptionState, SubscriptionStatus, Subscriptions,
};
use crate::xsi::Package;

#[derive(Debug, Clone, Deserialize)]
pub(crate) struct WireStatus {
    health: String,
    source: WireSource,
    now_ms: i64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
enum WireSource {
    ListenOnly {
        url: String,
    },
    Demo {
        url: String,
        seed: u64,
        posted: u64,
        failed: u64,
        last_failure: Option<String>,
    },
    Subscriptions(WireSubscriptions),
    Channel {
        channel: WireChannel,
        subscriptions: Option<WireSubscriptions>,
    },
    /// A receiver that replays a journal (`xsi-wallboard replay --headless`).
    Replay {
        files: usize,
        speed: String,
        lines: u64,
        journal_ms: i64,
        done: bool,
    },
    /// `starting`, and a kind a newer receiver may add.
    #[serde(other)]
    Starting,
}

#[derive(Debug, Clone, Deserialize)]
struct WireSubscriptions {
    application_id: String,
    discovery: Option<String>,
    setup_error: Option<String>,
    subscriptions: Vec<WireSubscription>,
}

#[derive(Debug, Clone, Deserialize)]
struct WireSubscription {
    target: Arc<str>,
    package: String,
    state: String,
    subscription_id: Option<Arc<str>>,
    granted_expires_secs: Option<u32>,
    refresh_at_ms: Option<i64>,
    retry_at_ms: Option<i64>,
    last_error: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
struct WireChannel {
    state: String,
    reopen_at_ms: Option<i64>,
    channel_set_id: String,
    channel_id: Option<Arc<str>>,
    node: Option<Arc<str>>,
    granted_expires_secs: Option<u32>,
    last_heartbeat_ms: Option<i64>,
    #[serde(default)]
    acks_received: u64,
    #[serde(default)]
    acks_unprocessable: u64,
    #[serde(default)]
    acks_unknown_subscription: u64,
    #[serde(default)]
    acks_failed: u64,
    last_error: Option<String>,
}

/// The receiver's instants on this host's monotonic clock.
#[derive(Debug, Clone, Copy)]
struct Clocks {
    now: Instant,
    receiver_now_ms: i64,
}

impl Clocks {
    fn instant(self, at_ms: i64) -> Instant {
        let ms = at_ms.saturating_sub(self.receiver_now_ms);
        let distance = Duration::from_millis(ms.unsigned_abs());
        if ms >= 0 {
            self.now + distance
        } else {
            self.now.checked_sub(distance).unwrap_or(self.now)
        }
    }
}

impl WireStatus {
    /// The status as the panel words it, at `now` (when the answer arrived).
    pub(crate) fn link_status(&self, now: Instant) -> LinkStatus {
        let clocks = Clocks {
            now,
            receiver_now_ms: self.now_ms,
        };
        let health = match self.health.as_str() {
            "ok" => Health::Ok,
            "degraded" => Health::Degraded,
            "down" => Health::Down,
            _ => Health::Off,
        };
        let source = match &self.source {
            WireSource::Starting => FeedSource::Starting,
            WireSource::ListenOnly { url } => FeedSource::ListenOnly { url: url.clone() },
            WireSource::Demo {
                url,
                seed,
                posted,
                failed,
                last_failure,
            } => FeedSource::Demo(DemoStatus {
                url: url.clone(),
                seed: *seed,
                posted: *posted,
                failed: *failed,
                last_failure: last_failure.clone(),
            }),
            WireSource::Replay {
                files,
                speed,
                lines,
                journal_ms,
                done,
            } => FeedSource::Replay(ReplayStatus {
                files: *files,
                speed: speed.clone(),
                lines: *lines,
                journal_ms: *journal_ms,
                done: *done,
            }),
            WireSource::Subscriptions(s) => FeedSource::Subscriptions(s.status(clocks)),
            WireSource::Channel {
                channel,
                subscriptions,
            } => FeedSource::Channel {
                channel: channel.status(clocks),
                subscriptions: subscriptions.as_ref().map(|s| s.status(clocks)),
            },
        };
        LinkStatus { health, source }
    }
}

impl WireSubscriptions {
    fn status(&self, clocks: Clocks) -> Subscriptions {
        Subscriptions {
            application_id: self.application_id.clone(),
            discovery: self.discovery.clone(),
            setup_error: self.setup_error.clone(),
            lines: self
                .subscriptions
                .iter()
                .filter_map(|line| line.status(clocks))
                .collect(),
        }
    }
}

impl WireSubscription {
    /// `None` for a package or state this build cannot word.
    fn status(&self, clocks: Clocks) -> Option<SubscriptionStatus> {
        let state = SubscriptionState::ALL
            .into_iter()
            .find(|s| s.as_str() == self.state)?;
        Some(SubscriptionStatus {
            target: self.target.clone(),
            package: Package::parse(&self.package)?,
            state,
            subscription_id: self.subscription_id.clone(),
            granted_expires: self.granted_expires_secs,
            refresh_at: self.refresh_at_ms.map(|at| clocks.instant(at)),
            retry_at: self.retry_at_ms.map(|at| clocks.instant(at)),
            last_error: self.last_error.clone(),
        })
    }
}

impl WireChannel {
    fn status(&self, clocks: Clocks) -> ChannelStatus {
        let state = match self.state.as_str() {
            "open" => ChannelState::Open,
            "reopening" => ChannelState::Reopening {
                at: self
                    .reopen_at_ms
                    .map_or(clocks.now, |at| clocks.instant(at)),
            },
            "stopped" => ChannelState::Stopped,
            "closing" => ChannelState::Closing,
            _ => ChannelState::Opening,
        };
        ChannelStatus {
            state,
            channel_set_id: self.channel_set_id.clone(),
            channel_id: self.channel_id.clone(),
            node: self.node.clone(),
            granted_expires: self.granted_expires_secs,
            last_heartbeat: self.last_heartbeat_ms.map(|at| clocks.instant(at)),
            acks: Arc::new(AckCounters {
                received: AtomicU64::new(self.acks_received),
                unprocessable: AtomicU64::new(self.acks_unprocessable),
                unknown_subscription: AtomicU64::new(self.acks_unknown_subscription),
                failed: AtomicU64::new(self.acks_failed),
            }),
            last_error: self.last_error.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_replaying_receiver_reads_back_as_a_replay() {
        let wire: WireStatus = serde_json::from_str(
            r#"{"health":"ok","now_ms":1000,"viewers":1,"source":{"kind":"replay","files":2,
                "speed":"max","lines":79,"journal_ms":900,"done":true}}"#,
        )
        .expect("a replay's status");
        let status = wire.link_status(Instant::now());
        let FeedSource::Replay(replay) = status.source else {
            panic!("{:?}", status.source);
        };
        assert_eq!((replay.files, replay.lines, replay.done), (2, 79, true));
        assert_eq!(replay.speed, "max");
    }
}
