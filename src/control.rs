//! `/api/status` and `/api/resubscribe`: the status panel as data, and `r`/`R` over HTTP.
//!
//! The status is the feed's [`LinkStatus`] serialised as data (states as words of the
//! protocol, instants as epoch ms), never the UI's sentences: a viewer words it itself.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use serde::{Deserialize, Serialize};
use tokio::time::Instant;

use crate::status::{
    ChannelState, ChannelStatus, DemoStatus, FeedSource, Health, LinkStatus, SubscriptionStatus,
    Subscriptions,
};

/// `GET /api/status`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ApiStatus {
    pub health: Health,
    pub source: ApiSource,
    /// The receiver's clock when this was taken (epoch ms): the `*_at_ms` fields count from it.
    pub now_ms: i64,
    /// Viewers connected to the receiver's board stream now (`attach`, `/wall`, others).
    pub viewers: u64,
}

/// What feeds the board, by `kind`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ApiSource {
    Starting,
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
    Subscriptions(ApiSubscriptions),
    Channel {
        channel: ApiChannel,
        subscriptions: Option<ApiSubscriptions>,
    },
    /// A journal replayed: how far (`journal_ms`, the journal's clock) and whether it ended.
    Replay {
        files: usize,
        speed: String,
        lines: u64,
        journal_ms: i64,
        done: bool,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ApiSubscriptions {
    pub application_id: String,
    pub discovery: Option<String>,
    pub setup_error: Option<String>,
    pub subscriptions: Vec<ApiSubscription>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ApiSubscription {
    pub target: Arc<str>,
    /// The event package's name (`Call Center Queue`, ...).
    pub package: &'static str,
    /// `subscribing`, `active`, `refreshing`, `retrying`, `waiting_for_user`, `deleting`,
    /// `stopped`.
    pub state: &'static str,
    pub subscription_id: Option<Arc<str>>,
    pub granted_expires_secs: Option<u32>,
    pub refresh_at_ms: Option<i64>,
    pub retry_at_ms: Option<i64>,
    pub last_error: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ApiChannel {
    /// `opening`, `open`, `reopening`, `stopped`, `closing`.
    pub state: &'static str,
    pub reopen_at_ms: Option<i64>,
    pub channel_set_id: String,
    pub channel_id: Option<Arc<str>>,
    pub node: Option<Arc<str>>,
    pub granted_expires_secs: Option<u32>,
    pub last_heartbeat_ms: Option<i64>,
    /// Event responses by status sent: 200, 400, 481, and those whose POST failed.
    pub acks_received: u64,
    pub acks_unprocessable: u64,
    pub acks_unknown_subscription: u64,
    pub acks_failed: u64,
    pub last_error: Option<String>,
}

/// `POST /api/actions` (issue 18): an action a viewer confirmed, to be checked again here and
/// sent by this wallboard.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActionBody {
    pub call_center: String,
    pub call_id: String,
    /// `promote`, `move`, `transfer` or `release`.
    pub action: String,
    /// The priority (0-3) of a promote, the 0-based index of a move, the number of a
    /// transfer; none for a release.
    pub argument: Option<String>,
}

impl ActionBody {
    /// The request, or what is wrong with the body in one line.
    pub fn request(&self) -> Result<crate::actions::ActionRequest, String> {
        let action =
            crate::actions::CallAction::from_parts(&self.action, self.argument.as_deref())?;
        Ok(crate::actions::ActionRequest {
            call_center: self.call_center.as_str().into(),
            call_id: self.call_id.as_str().into(),
            action,
        })
    }
}

/// The answer to `POST /api/actions`: `result` is `ok`, `refused` or `failed`; `reason` says
/// why in a line; `position` is what the XSP answered a promote or a move.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ActionAnswer {
    pub result: &'static str,
    pub reason: Option<String>,
    pub position: Option<u32>,
}

impl From<&crate::actions::ActionOutcome> for ActionAnswer {
    fn from(outcome: &crate::actions::ActionOutcome) -> Self {
        use crate::actions::ActionOutcome;
        match outcome {
            ActionOutcome::Sent(sent) => ActionAnswer {
                result: "ok",
                reason: None,
                position: sent.position,
            },
            ActionOutcome::Refused(why) => ActionAnswer {
                result: "refused",
                reason: Some(why.to_string()),
                position: None,
            },
            ActionOutcome::Failed(why) => ActionAnswer {
                result: "failed",
                reason: Some(why.clone()),
                position: None,
            },
        }
    }
}

/// `POST /api/resubscribe`: one call center, or (no `call_center`) all of them.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResubscribeRequest {
    pub call_center: Option<String>,
}

/// An instant of the feed as this host's epoch ms, counted from one reading of both clocks.
#[derive(Debug, Clone, Copy)]
struct Clocks {
    now: Instant,
    now_ms: i64,
}

impl Clocks {
    fn epoch_ms(self, at: Instant) -> i64 {
        let ms = |d: std::time::Duration| i64::try_from(d.as_millis()).unwrap_or(i64::MAX);
        if at >= self.now {
            self.now_ms.saturating_add(ms(at - self.now))
        } else {
            self.now_ms.saturating_sub(ms(self.now - at))
        }
    }
}

impl ApiStatus {
    /// The status of `link` at `now` (`now_ms` on the epoch clock), with `viewers` connected.
    pub fn new(link: &LinkStatus, now: Instant, now_ms: i64, viewers: u64) -> Self {
        let clocks = Clocks { now, now_ms };
        let source = match &link.source {
            FeedSource::Starting => ApiSource::Starting,
            FeedSource::ListenOnly { url } => ApiSource::ListenOnly { url: url.clone() },
            FeedSource::Demo(demo) => demo_source(demo),
            FeedSource::Replay(replay) => ApiSource::Replay {
                files: replay.files,
                speed: replay.speed.clone(),
                lines: replay.lines,
                journal_ms: replay.journal_ms,
                done: replay.done,
            },
            FeedSource::Subscriptions(s) => ApiSource::Subscriptions(subscriptions(s, clocks)),
            FeedSource::Channel {
                channel,
                subscriptions: s,
            } => ApiSource::Channel {
                channel: channel_status(channel, clocks),
                subscriptions: s.as_ref().map(|s| subscriptions(s, clocks)),
            },
        };
        ApiStatus {
            health: link.health,
            source,
            now_ms,
            viewers,
        }
    }
}

fn demo_source(demo: &DemoStatus) -> ApiSource {
    ApiSource::Demo {
        url: demo.url.clone(),
        seed: demo.seed,
        posted: demo.posted,
        failed: demo.failed,
        last_failure: demo.last_failure.clone(),
    }
}

fn subscriptions(s: &Subscriptions, clocks: Clocks) -> ApiSubscriptions {
    ApiSubscriptions {
        application_id: s.application_id.clone(),
        discovery: s.discovery.clone(),
        setup_error: s.setup_error.clone(),
        subscriptions: s.lines.iter().map(|l| subscription(l, clocks)).collect(),
    }
}

fn subscription(line: &SubscriptionStatus, clocks: Clocks) -> ApiSubscription {
    ApiSubscription {
        target: line.target.clone(),
        package: line.package.name(),
        state: line.state.as_str(),
        subscription_id: line.subscription_id.clone(),
        granted_expires_secs: line.granted_expires,
        refresh_at_ms: line.refresh_at.map(|at| clocks.epoch_ms(at)),
        retry_at_ms: line.retry_at.map(|at| clocks.epoch_ms(at)),
        last_error: line.last_error.clone(),
    }
}

fn channel_status(channel: &ChannelStatus, clocks: Clocks) -> ApiChannel {
    let (state, reopen_at_ms) = match channel.state {
        ChannelState::Opening => ("opening", None),
        ChannelState::Open => ("open", None),
        ChannelState::Reopening { at } => ("reopening", Some(clocks.epoch_ms(at))),
        ChannelState::Stopped => ("stopped", None),
        ChannelState::Closing => ("closing", None),
    };
    let acks = &channel.acks;
    ApiChannel {
        state,
        reopen_at_ms,
        channel_set_id: channel.channel_set_id.clone(),
        channel_id: channel.channel_id.clone(),
        node: channel.node.clone(),
        granted_expires_secs: channel.granted_expires,
        last_heartbeat_ms: channel.last_heartbeat.map(|at| clocks.epoch_ms(at)),
        acks_received: acks.received.load(Ordering::Relaxed),
        acks_unprocessable: acks.unprocessable.load(Ordering::Relaxed),
        acks_unknown_subscription: acks.unknown_subscription.load(Ordering::Relaxed),
        acks_failed: acks.failed.load(Ordering::Relaxed),
        last_error: channel.last_error.clone(),
    }
}
