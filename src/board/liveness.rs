//! Is a queue's data current? A quiet queue and a dead feed look the same on screen, so a queue
//! is trusted only while its feed is up and its inbound path has been *proved* recently.
//!
//! Proofs: any event for the call center (the applier), the initial event each refresh of a
//! user-target subscription brings, an Xsi-Actions queue fetch, a channel heartbeat (these from
//! the subscriber, through [`Liveness::prove`] / [`Liveness::prove_all`]). A queue with no proof
//! within `liveness_secs` is STALE, as is one whose feed was reported down. A loss (a 503, a
//! sequence gap) makes it UNSURE until a snapshot resynchronises it.

use std::sync::Arc;

use dashmap::DashMap;

/// Default `liveness_secs`: above the 300-s refresh of user-target subscriptions plus slack.
pub const LIVENESS_SECS: u64 = 360;

/// What the subscriber knows of a target's feed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FeedState {
    /// Subscribed (or refreshed, or channel heartbeat answered): also a proof.
    Up,
    /// Not subscribed (failed, retrying, waiting for the user, terminated): stale at once.
    Down,
}

/// One queue's standing, as shown (flattened into `/api/board`'s queue objects).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
pub struct QueueTruth {
    pub stale: bool,
    pub unsure: bool,
    /// Seconds since the last proof (since the board started if none yet).
    pub data_age_secs: u64,
}

#[derive(Debug, Clone, Copy, Default)]
struct TargetTruth {
    last_proof_ms: i64,
    feed: Option<FeedState>,
    unsure: bool,
    /// An expected initial event did not arrive (see [`Liveness::mark_silent`]).
    silent: bool,
    /// The last proof that came in over the inbound path (an event), not from the subscriber.
    last_event_ms: i64,
}

impl TargetTruth {
    /// An event got here: the inbound path works, whatever was feared.
    fn arrived(&mut self, now_ms: i64) {
        self.last_proof_ms = self.last_proof_ms.max(now_ms);
        self.last_event_ms = self.last_event_ms.max(now_ms);
        self.silent = false;
    }
}

/// Per target (call center id); written by the applier and the subscriber, read by snapshots.
#[derive(Debug)]
pub struct Liveness {
    window_ms: i64,
    started_ms: i64,
    targets: DashMap<Arc<str>, TargetTruth>,
}

impl Liveness {
    pub fn new(liveness_secs: u64, started_ms: i64) -> Self {
        Liveness {
            window_ms: i64::try_from(liveness_secs.saturating_mul(1000)).unwrap_or(i64::MAX),
            started_ms,
            targets: DashMap::new(),
        }
    }

    /// The inbound path for `target` worked at `now_ms`.
    pub fn prove(&self, target: &str, now_ms: i64) {
        // Every event proves its call center: look it up first, so that the hot path does not
        // allocate a key for a target that is already known.
        if let Some(mut t) = self.targets.get_mut(target) {
            t.arrived(now_ms);
            return;
        }
        self.targets
            .entry(Arc::from(target))
            .or_default()
            .arrived(now_ms);
    }

    /// A refresh's initial event did not come: the inbound path looks broken, so `target` is
    /// STALE until any event for it arrives.
    pub fn mark_silent(&self, target: &str) {
        self.targets.entry(Arc::from(target)).or_default().silent = true;
    }

    /// When an event for `target` last arrived (epoch ms), if ever; a granted subscription
    /// does not count here.
    pub fn last_event_ms(&self, target: &str) -> Option<i64> {
        self.targets
            .get(target)
            .map(|t| t.last_event_ms)
            .filter(|&ms| ms > 0)
    }

    /// A proof for every target (a channel heartbeat carries all of them).
    pub fn prove_all(&self, now_ms: i64) {
        for mut t in self.targets.iter_mut() {
            t.arrived(now_ms);
        }
    }

    /// The subscriber's word on `target`'s feed; `Up` is also a proof.
    pub fn mark_feed(&self, target: &str, state: FeedState, now_ms: i64) {
        let mut t = self.targets.entry(Arc::from(target)).or_default();
        t.feed = Some(state);
        if state == FeedState::Up {
            t.last_proof_ms = t.last_proof_ms.max(now_ms);
        }
    }

    /// The subscriber's word on every known target at once (the event channel is down).
    pub fn mark_all_feed(&self, state: FeedState, now_ms: i64) {
        for mut t in self.targets.iter_mut() {
            t.feed = Some(state);
            if state == FeedState::Up {
                t.last_proof_ms = t.last_proof_ms.max(now_ms);
            }
        }
    }

    /// Events for `target` may have been lost.
    pub fn mark_unsure(&self, target: &str) {
        self.targets.entry(Arc::from(target)).or_default().unsure = true;
    }

    /// Every known target may have lost events (a 503 whose target is not known).
    pub fn mark_all_unsure(&self) {
        for mut t in self.targets.iter_mut() {
            t.unsure = true;
        }
    }

    /// A snapshot replaced `target`'s queue at `now_ms`: sure again, and proved.
    pub fn resynced(&self, target: &str, now_ms: i64) {
        let mut t = self.targets.entry(Arc::from(target)).or_default();
        t.unsure = false;
        t.last_proof_ms = t.last_proof_ms.max(now_ms);
    }

    /// How `target` stands at `now_ms`.
    pub fn view(&self, target: &str, now_ms: i64) -> QueueTruth {
        let t = self.targets.get(target).map(|t| *t).unwrap_or_default();
        let since = if t.last_proof_ms > 0 {
            t.last_proof_ms
        } else {
            self.started_ms
        };
        let age_ms = now_ms.saturating_sub(since).max(0);
        QueueTruth {
            stale: t.feed == Some(FeedState::Down)
                || t.silent
                || t.last_proof_ms == 0
                || age_ms > self.window_ms,
            unsure: t.unsure,
            data_age_secs: u64::try_from(age_ms / 1000).unwrap_or(0),
        }
    }
}
