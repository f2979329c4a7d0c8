//! Can a queue's data be trusted? A quiet queue and a dead feed look the same on screen, so a
//! queue is trusted only while its feed is up and its inbound path has been *proved* recently.
//!
//! Each [`Queue`](super::Queue) keeps its own [`Truth`], written by the applier only, and the
//! snapshot turns it into a [`QueueTruth`] at the snapshot's instant.
//!
//! - Proofs of the queue: an event of the Call Center Queue package for the call center, a
//!   granted subscribe or refresh of its Queue subscription, an Xsi-Actions queue fetch, a
//!   channel heartbeat. Events and subscriptions of the other packages (Monitoring,
//!   Configuration, Agent) prove nothing about the waiting calls: when they fail the call center
//!   is *degraded*, never STALE.
//! - STALE: no proof within `liveness_secs`, the Queue feed reported down, the event channel
//!   down, or an expected initial event that never came. The reason is kept in words.
//! - UNSURE: events may have been lost (a sequence gap, a 503); a snapshot newer than the loss
//!   makes the queue sure again.

use serde::Serialize;

use crate::xsi::Package;

/// Default `liveness_secs`: above the 300-s refresh of user-target subscriptions plus slack.
pub const LIVENESS_SECS: u64 = 360;

/// What the feed side (subscriber, event channel) last said about one subscription's packages.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum FeedWord {
    /// Nothing said yet: no subscriber (listen-only, demo), or not subscribed yet.
    #[default]
    Unknown,
    /// Subscribed (or refreshed): events can come.
    Up,
    /// Not subscribed, and why, in words for a supervisor.
    Down(String),
}

/// The other packages a call center is subscribed to, as the subscriber reported them.
#[derive(Debug, Clone, Default)]
struct OtherPackages {
    monitoring: FeedWord,
    configuration: FeedWord,
}

/// One queue's standing, as the applier keeps it (epoch ms on this host's clock).
#[derive(Debug, Clone, Default)]
pub(crate) struct Truth {
    /// The last proof of the queue feed, 0: never.
    last_proof_ms: i64,
    /// The last Call Center Queue event for this call center (the inbound path), 0: never.
    last_queue_event_ms: i64,
    /// The Queue subscription (or the event channel's subscriptions) for this call center.
    feed: FeedWord,
    /// A subscribe or refresh went out at this instant and must bring an initial event by the
    /// second one (user targets only).
    expecting: Option<(i64, i64)>,
    /// The expected initial event of the subscribe or refresh sent at this instant never came.
    silent_since: Option<i64>,
    /// Events may have been lost since this instant, and why.
    unsure: Option<(i64, String)>,
    others: OtherPackages,
    /// A subscriber runs: before it says anything, the queue is "not subscribed yet" rather
    /// than "no event yet".
    subscribed_by_us: bool,
}

/// Board-wide facts that every queue's view takes into account.
#[derive(Debug, Clone, Copy)]
pub(crate) struct TruthContext<'a> {
    pub now_ms: i64,
    pub window_ms: i64,
    pub started_ms: i64,
    /// The event channel is down, and why.
    pub channel_down: Option<&'a str>,
}

/// One queue's standing, as shown (flattened into `/api/board`'s queue objects).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct QueueTruth {
    pub stale: bool,
    /// Why the queue is STALE, in words; `null` when it is not.
    pub stale_reason: Option<String>,
    pub unsure: bool,
    /// Why the queue is UNSURE, in words; `null` when it is not.
    pub unsure_reason: Option<String>,
    /// Seconds since the last proof (since the board started if none yet).
    pub data_age_secs: u64,
    /// The packages of this call center other than the queue that are not live
    /// (`"Call Center Monitoring"`, `"Call Center Configuration"`): their numbers may be old.
    pub degraded: Vec<&'static str>,
}

impl Truth {
    /// A call center the configuration names: the subscriber will subscribe it.
    pub(crate) fn expected() -> Self {
        Truth {
            subscribed_by_us: true,
            ..Truth::default()
        }
    }

    /// A Call Center Queue event for this call center arrived: the inbound path works.
    pub(crate) fn queue_event(&mut self, now_ms: i64) {
        self.last_proof_ms = self.last_proof_ms.max(now_ms);
        self.last_queue_event_ms = self.last_queue_event_ms.max(now_ms);
        self.silent_since = None;
        if self.expecting.is_some_and(|(sent, _)| now_ms >= sent) {
            self.expecting = None;
        }
    }

    /// A proof that is not an event (a queue fetch answered, a channel heartbeat).
    pub(crate) fn prove(&mut self, now_ms: i64) {
        self.last_proof_ms = self.last_proof_ms.max(now_ms);
    }

    /// The subscriber's word on one package of this call center.
    pub(crate) fn feed(&mut self, package: Package, word: FeedWord, now_ms: i64) {
        self.subscribed_by_us = true;
        match package {
            Package::Queue => {
                if word == FeedWord::Up {
                    self.prove(now_ms);
                } else {
                    // No subscription: no initial event to wait for.
                    self.expecting = None;
                }
                self.feed = word;
            }
            Package::Monitoring => self.others.monitoring = word,
            Package::Configuration => self.others.configuration = word,
            // Agents are subscribed per agent, not per call center.
            Package::Agent => {}
        }
    }

    /// A subscribe or refresh of this call center's Queue subscription went out at `sent_ms`
    /// and must bring an initial event by `due_ms`, unless one already came since.
    pub(crate) fn expect_initial_event(&mut self, sent_ms: i64, due_ms: i64) {
        if self.last_queue_event_ms < sent_ms {
            self.expecting = Some((sent_ms, due_ms));
        }
    }

    /// Past its due time with no event: the inbound path looks broken. True if this call
    /// made the queue silent.
    pub(crate) fn check_initial_event(&mut self, now_ms: i64) -> bool {
        match self.expecting {
            Some((sent_ms, due_ms)) if now_ms >= due_ms => {
                self.expecting = None;
                self.silent_since = Some(sent_ms);
                true
            }
            _ => false,
        }
    }

    /// When an initial event is due, if one is awaited (the applier's timer).
    pub(crate) fn initial_event_due(&self) -> Option<i64> {
        self.expecting.map(|(_, due)| due)
    }

    /// Events for this queue may have been lost at `now_ms`.
    pub(crate) fn mark_unsure(&mut self, now_ms: i64, why: &str) {
        if self.unsure.is_none() {
            self.unsure = Some((now_ms, why.to_owned()));
        }
    }

    /// A snapshot describing the queue as of `as_of_ms` replaced it: sure again if that is
    /// after the loss was noticed. True if it was unsure and no longer is.
    pub(crate) fn resynced(&mut self, as_of_ms: i64, now_ms: i64) -> bool {
        self.prove(now_ms);
        match &self.unsure {
            Some((since, _)) if as_of_ms >= *since => {
                self.unsure = None;
                true
            }
            _ => false,
        }
    }

    /// A snapshot that is the whole truth whatever came before (`ACDSubscriptionResyncEvent`).
    pub(crate) fn resynced_whole(&mut self, now_ms: i64) -> bool {
        self.prove(now_ms);
        self.unsure.take().is_some()
    }

    /// How the queue stands at `ctx.now_ms`.
    pub(crate) fn view(&self, ctx: TruthContext<'_>) -> QueueTruth {
        let since = if self.last_proof_ms > 0 {
            self.last_proof_ms
        } else {
            ctx.started_ms
        };
        let age_ms = ctx.now_ms.saturating_sub(since).max(0);
        let stale_reason = self.stale_reason(ctx, age_ms);
        let mut degraded = Vec::new();
        for (package, word) in [
            (Package::Monitoring, &self.others.monitoring),
            (Package::Configuration, &self.others.configuration),
        ] {
            if matches!(word, FeedWord::Down(_)) {
                degraded.push(package.name());
            }
        }
        QueueTruth {
            stale: stale_reason.is_some(),
            stale_reason,
            unsure: self.unsure.is_some(),
            unsure_reason: self.unsure.as_ref().map(|(_, why)| why.clone()),
            data_age_secs: u64::try_from(age_ms / 1000).unwrap_or(0),
            degraded,
        }
    }

    fn stale_reason(&self, ctx: TruthContext<'_>, age_ms: i64) -> Option<String> {
        if let Some(why) = ctx.channel_down {
            return Some(format!("event channel down: {why}"));
        }
        if let FeedWord::Down(why) = &self.feed {
            return Some(why.clone());
        }
        if let Some(sent_ms) = self.silent_since {
            return Some(format!(
                "no initial event after the subscribe or refresh at {}: are events reaching \
                 the contact URL?",
                clock_time(sent_ms)
            ));
        }
        if self.last_proof_ms == 0 {
            return Some(if self.subscribed_by_us && self.feed == FeedWord::Unknown {
                "not subscribed yet".to_owned()
            } else {
                "no event yet".to_owned()
            });
        }
        (age_ms > ctx.window_ms).then(|| {
            format!(
                "nothing has proved the feed for {}",
                super::queue::duration_words(u64::try_from(age_ms / 1000).unwrap_or(0))
            )
        })
    }
}

/// `HH:MM:SS` in the host's time zone, for a reason a supervisor reads.
fn clock_time(epoch_ms: i64) -> String {
    jiff::Timestamp::from_millisecond(epoch_ms).map_or_else(
        |_| "?".to_owned(),
        |t| {
            t.to_zoned_datetime(jiff::tz::TimeZone::system())
                .strftime("%H:%M:%S")
                .to_string()
        },
    )
}
