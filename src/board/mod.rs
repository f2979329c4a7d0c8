//! The board: one queue per call center, written by one applier task, read at any time by the
//! UI and the HTTP API.
//!
//! ```text
//! listener/channel --Event--> mpsc --> run_applier --apply--> Board (DashMap) --snapshot--> ui, /api/board
//!                                                     \--> watch version bump (the UI's change signal)
//! ```

pub mod agents;
mod apply;
pub mod clock;
pub mod liveness;
mod memory;
pub mod persist;
mod queue;
pub mod sequence;
pub mod snapshot;
pub mod stats;

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};

use dashmap::DashMap;
use tokio::sync::watch;

pub use apply::{Applier, ApplyOutcome, run_applier};
pub use liveness::{FeedState, Liveness, QueueTruth};
pub use memory::{
    ENDED_CALL_TTL_MS, ENDED_CALLS, MAX_CALLS_PER_QUEUE, MAX_QUEUES, SEEN_EVENT_IDS,
    SUSPECT_WAIT_SECS,
};
pub use queue::Queue;
pub use snapshot::{
    BoardSnapshot, CallRow, CallState, EventCounters, MonitoringRow, QueueMode, QueueRow,
    SequenceCounters,
};
pub use stats::{Limits, ResetSchedule, Severity, StatsConfig, StatsRow};

/// Depth of the listener-to-applier channel: a few seconds of a busy service provider's events.
pub const CHANNEL_CAPACITY: usize = 4096;

/// One parsed event on its way to the applier, stamped when it arrived (epoch ms, this host).
#[derive(Debug, Clone, PartialEq)]
pub struct Arrival {
    pub event: crate::xsi::Event,
    pub arrival_ms: i64,
}

/// The bounded channel from every inbound path (listener, event channel) to the one applier.
pub fn channel() -> (
    tokio::sync::mpsc::Sender<Arrival>,
    tokio::sync::mpsc::Receiver<Arrival>,
) {
    tokio::sync::mpsc::channel(CHANNEL_CAPACITY)
}

/// Wait-time thresholds (seconds) for colour and marks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Thresholds {
    pub warn_secs: u64,
    pub crit_secs: u64,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds {
            warn_secs: 60,
            crit_secs: 180,
        }
    }
}

/// What the board is told about call centers before any event arrives.
#[derive(Debug, Clone, Default)]
pub struct BoardConfig {
    /// Thresholds for call centers without their own.
    pub thresholds: Thresholds,
    /// Per call center (by `targetId`): display name and thresholds from the configuration.
    pub call_centers: HashMap<String, CallCenterConfig>,
    /// Service level, abandon and alert settings, and when counters reset.
    pub stats: StatsConfig,
    /// A queue whose feed has not been proved for this long is STALE
    /// [default: [`liveness::LIVENESS_SECS`]].
    pub liveness_secs: Option<u64>,
    /// Calls waiting longer are marked suspect [default: [`SUSPECT_WAIT_SECS`]].
    pub max_wait_secs: Option<u64>,
}

#[derive(Debug, Clone, Default)]
pub struct CallCenterConfig {
    pub name: Option<String>,
    pub thresholds: Option<Thresholds>,
}

/// Counters shared by every path that takes events in; atomics so that handlers on any worker
/// thread can count without a lock.
#[derive(Debug, Default)]
pub struct Stats {
    pub received: AtomicU64,
    pub applied: AtomicU64,
    pub duplicates: AtomicU64,
    pub unknown: AtomicU64,
    pub rejected: AtomicU64,
    pub dropped: AtomicU64,
    /// Events ignored as late: about a call that had already left its queue, or older than the
    /// last snapshot applied for their call center (`/api/board`'s `sequence.late`).
    pub late: AtomicU64,
    /// Losses found in a subscription's `sequenceNumber`s.
    pub gaps: AtomicU64,
    /// Queues made sure again by a snapshot after a loss.
    pub resyncs: AtomicU64,
    /// Calls and call centers dropped to keep memory bounded (oldest first).
    pub evicted: AtomicU64,
    /// Requests the listener's guard turned away (wrong token, address not allowed).
    pub refused: AtomicU64,
    /// Epoch ms of the last event taken in (0: none yet).
    pub last_event_ms: AtomicI64,
}

impl Stats {
    pub fn counters(&self) -> EventCounters {
        EventCounters {
            received: self.received.load(Ordering::Relaxed),
            applied: self.applied.load(Ordering::Relaxed),
            duplicates: self.duplicates.load(Ordering::Relaxed),
            unknown: self.unknown.load(Ordering::Relaxed),
            rejected: self.rejected.load(Ordering::Relaxed),
            dropped: self.dropped.load(Ordering::Relaxed),
            evicted: self.evicted.load(Ordering::Relaxed),
            refused: self.refused.load(Ordering::Relaxed),
        }
    }

    pub fn sequence(&self) -> SequenceCounters {
        SequenceCounters {
            gaps: self.gaps.load(Ordering::Relaxed),
            resyncs: self.resyncs.load(Ordering::Relaxed),
            late: self.late.load(Ordering::Relaxed),
        }
    }
}

/// The shared state. Only the [`Applier`] writes `queues`.
#[derive(Debug)]
pub struct Board {
    pub(crate) queues: DashMap<Arc<str>, Queue>,
    pub(crate) config: BoardConfig,
    pub stats: Stats,
    /// Bumped after each applied batch.
    version: watch::Sender<u64>,
    /// When the counters started (epoch ms).
    pub(crate) started_ms: i64,
    /// When the counters last reset, and when they next will.
    pub(crate) reset: stats::ResetClock,
    /// Call Center Agent package state, by agent user id.
    pub(crate) agents: DashMap<Arc<str>, agents::Agent>,
    /// Which queues' feeds are proved, which may have lost events.
    liveness: Liveness,
    /// The XSP's clock against this host's: wait timers run on the XSP's.
    pub clock: clock::ClockSkew,
}

impl Board {
    pub fn new(config: BoardConfig, now_ms: i64) -> Self {
        let (version, _) = watch::channel(0);
        let reset = stats::ResetClock::new(&config.stats.reset, now_ms);
        Board {
            queues: DashMap::new(),
            stats: Stats::default(),
            version,
            started_ms: now_ms,
            reset,
            liveness: Liveness::new(
                config.liveness_secs.unwrap_or(liveness::LIVENESS_SECS),
                now_ms,
            ),
            agents: DashMap::new(),
            clock: clock::ClockSkew::default(),
            config,
        }
    }

    /// Proofs of each call center's feed; the subscriber and the applier write them.
    pub fn liveness(&self) -> &Liveness {
        &self.liveness
    }

    /// A receiver that wakes when the board changed.
    pub fn changes(&self) -> watch::Receiver<u64> {
        self.version.subscribe()
    }

    pub(crate) fn bump_version(&self) {
        self.version.send_modify(|v| *v = v.wrapping_add(1));
    }

    /// The configured alias of a call center, if any.
    pub(crate) fn configured_name(&self, id: &str) -> Option<Arc<str>> {
        self.config
            .call_centers
            .get(id)
            .and_then(|c| c.name.as_deref())
            .map(Arc::from)
    }

    /// The call centers on the board (`targetId`s), in no particular order.
    pub fn queue_ids(&self) -> Vec<Arc<str>> {
        self.queues.iter().map(|q| q.key().clone()).collect()
    }

    /// When this board was created (epoch ms, this host): the first counters' start.
    pub fn started_ms(&self) -> i64 {
        self.started_ms
    }

    /// When the counters started or last reset (epoch ms, this host).
    pub fn counters_since_ms(&self) -> i64 {
        self.reset.since_ms()
    }

    /// Thresholds for a call center.
    pub fn thresholds_for(&self, id: &str) -> Thresholds {
        self.config
            .call_centers
            .get(id)
            .and_then(|c| c.thresholds)
            .unwrap_or(self.config.thresholds)
    }

    /// Copy what a frame or an API answer needs, computing waits at `now_ms` (epoch ms).
    ///
    /// Each queue is copied under its own shard's read guard, which is released before the copy
    /// is sorted or used: strings are `Arc<str>` clones, never fresh allocations.
    pub fn snapshot(&self, now_ms: i64) -> BoardSnapshot {
        let counters_since = rfc3339(self.reset.since_ms());
        // Waits are the XSP's clock minus its addTime; this host's clock may be off.
        let clock_offset_ms = self.clock.offset_ms(now_ms);
        let server_now_ms = now_ms + clock_offset_ms;
        let mut queues: Vec<QueueRow> = self
            .queues
            .iter()
            .map(|queue| {
                let id = queue.key();
                let mut row = queue.row(
                    id,
                    counters_since.clone(),
                    self.thresholds_for(id),
                    now_ms,
                    server_now_ms,
                    self.config.max_wait_secs.unwrap_or(SUSPECT_WAIT_SECS),
                );
                row.truth = self.liveness.view(id, now_ms);
                row.stats = stats::stats_row(&queue, &row, self.limits_for(id));
                row.agents = self.agents_of(id, now_ms);
                row
            })
            .collect();
        queues.sort_by(|a, b| a.name.cmp(&b.name).then_with(|| a.id.cmp(&b.id)));
        let last_event_ms = self.stats.last_event_ms.load(Ordering::Relaxed);
        BoardSnapshot {
            queues,
            events: self.stats.counters(),
            last_event_secs_ago: (last_event_ms > 0)
                .then(|| queue::secs_between(last_event_ms, now_ms)),
            sequence: self.stats.sequence(),
            agents: self.agents_snapshot(now_ms),
            clock_offset_ms,
            taken_at_ms: now_ms,
        }
    }
}

/// Epoch ms as RFC 3339 (UTC); empty if out of range (it cannot be for a clock reading).
fn rfc3339(epoch_ms: i64) -> String {
    jiff::Timestamp::from_millisecond(epoch_ms)
        .map(|t| t.to_string())
        .unwrap_or_default()
}

/// Milliseconds since the Unix epoch on this host's clock.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}
