//! The board: one queue per call center, written by one applier task, read at any time by the
//! UI and the HTTP API.
//!
//! ```text
//! listener/channel/subscriber --Input--> mpsc --> run_applier --take--> Board (DashMap)
//!                                                      |         \--> watch version bump
//!                                 feed <--FeedCommand--+          (the UI's change signal)
//!                        (repairs, terminations)        Board --snapshot--> ui, /api/board
//! ```

pub mod agents;
pub mod api;
mod apply;
pub mod clock;
mod feeds;
pub mod history;
pub mod input;
mod memory;
pub mod persist;
pub mod privacy;
mod queue;
mod retired;
pub mod sequence;
pub mod snapshot;
pub mod stats;
pub mod truth;

use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use dashmap::DashMap;
use tokio::sync::{broadcast, watch};

use crate::alert::Crossing;

use agents::AgentRow;
pub use apply::{Applier, ApplyOutcome, WHISPER_ANSWER_WAIT_MS, run_applier};
pub use feeds::REPAIR_SPACING_MS;
pub use input::{
    CHANNEL_CAPACITY, DroppedEvent, FeedNews, Input, QUEUED_WEIGHT, Raw, Source, Subscribed,
    channel,
};
pub use memory::{
    ENDED_CALL_BYTES, ENDED_CALL_TTL_MS, ENDED_CALLS, MAX_AGENTS, MAX_CALLS, MAX_CALLS_PER_QUEUE,
    MAX_JOINED_PER_AGENT, MAX_QUEUES, MAX_WHISPERS, SEEN_EVENT_ID_BYTES, SEEN_EVENT_IDS,
    SUSPECT_WAIT_SECS,
};
pub use queue::Queue;
pub use retired::Retired;
pub use snapshot::{
    Attachment, BoardSnapshot, CallRow, CallState, Eligibility, EventCounters, MonitoringRow,
    QueueMode, QueueRow, SequenceCounters,
};
pub use stats::{Limits, QueueAlert, ResetSchedule, ServiceMode, Severity, StatsConfig, StatsRow};
pub use truth::{FeedWord, LIVENESS_SECS, QueueTruth};

/// Alert crossings kept for slow receivers (a storm of crossings is rare: one per call center
/// and level change).
const CROSSINGS: usize = 256;

/// Wait-time thresholds (seconds) for colour and marks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Thresholds {
    pub warn_secs: u64,
    pub crit_secs: u64,
}

impl Thresholds {
    /// The two thresholds, if a warning comes before critical (else a wait could never show
    /// as a warning).
    pub fn ordered(warn_secs: u64, crit_secs: u64) -> Option<Self> {
        (warn_secs < crit_secs).then_some(Thresholds {
            warn_secs,
            crit_secs,
        })
    }
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
    /// The call centers the subscriber will subscribe to: on the board from the start (STALE,
    /// "not subscribed yet") so that a wallboard that cannot reach its XSP never shows a calm,
    /// empty board.
    pub expected: Vec<Arc<str>>,
    /// Service level, abandon and alert settings, and when counters reset.
    pub stats: StatsConfig,
    /// A queue whose feed has not been proved for this long is STALE
    /// [default: [`truth::LIVENESS_SECS`]].
    pub liveness_secs: Option<u64>,
    /// Calls waiting longer are marked suspect [default: [`SUSPECT_WAIT_SECS`]].
    pub max_wait_secs: Option<u64>,
}

#[derive(Debug, Clone, Default)]
pub struct CallCenterConfig {
    pub name: Option<String>,
    pub thresholds: Option<Thresholds>,
}

/// What the ways in (listener, event channel) counted of the documents they took: their own
/// counters, on atomics so that handlers on any worker thread count without a lock. They are
/// not board state: the applier never reads them.
#[derive(Debug, Default)]
pub struct IntakeCounters {
    pub received: AtomicU64,
    pub rejected: AtomicU64,
    pub dropped: AtomicU64,
    /// Requests the listener's guard turned away (wrong token, address not allowed).
    pub refused: AtomicU64,
    /// Epoch ms of the last event taken in (0: none yet).
    pub last_event_ms: AtomicI64,
}

/// What the applier did with its inputs (written by the applier only; atomics because the UI
/// and the API read them at any time).
#[derive(Debug, Default)]
pub struct Outcomes {
    pub applied: AtomicU64,
    pub duplicates: AtomicU64,
    pub unknown: AtomicU64,
    /// Events ignored as late: about a call that had already left its queue, older than the
    /// last snapshot applied for their call center, or of a subscription no longer held
    /// (`/api/board`'s `sequence.late`).
    pub late: AtomicU64,
    /// Losses found in a subscription's `sequenceNumber`s.
    pub gaps: AtomicU64,
    /// Queues made sure again by a snapshot after a loss.
    pub resyncs: AtomicU64,
    /// Repairs asked of the feed (a refresh, a queue fetch) after a loss.
    pub repairs: AtomicU64,
    /// Calls and call centers dropped to keep memory bounded (oldest first).
    pub evicted: AtomicU64,
}

fn count(counter: &AtomicU64) -> u64 {
    counter.load(Ordering::Relaxed)
}

/// The shared state. Only the [`Applier`] writes `queues`, `agents` and the outcomes.
#[derive(Debug)]
pub struct Board {
    pub(crate) queues: DashMap<Arc<str>, Queue>,
    pub(crate) config: BoardConfig,
    /// The ways in count here; see [`IntakeCounters`].
    pub intake: IntakeCounters,
    pub(crate) outcomes: Outcomes,
    /// Bumped after each applied batch.
    version: watch::Sender<u64>,
    /// When the board started (epoch ms): a queue never proved counts its age from here.
    started_ms: i64,
    /// When the counters last reset, and when they next will.
    pub(crate) reset: stats::ResetClock,
    /// Call Center Agent package state, by agent user id.
    pub(crate) agents: DashMap<Arc<str>, agents::Agent>,
    /// The event channel is down, and why (channel mode only).
    pub(crate) channel_down: Mutex<Option<String>>,
    /// The XSP's clock against this host's: wait timers run on the XSP's.
    pub(crate) clock: clock::ClockSkew,
    /// Alert-level changes, as the applier evaluates them once a second.
    crossings: broadcast::Sender<Crossing>,
    /// Where the history's intervals fall.
    pub(crate) intervals: history::IntervalClock,
    /// Room for events in the applier's channel, in bytes of [`Input::weight`] (KiB permits):
    /// taken by the intake, given back by the applier.
    pub(crate) queued_room: tokio::sync::Semaphore,
    /// A replay's clock: the journal's time of the line last applied (epoch ms); 0 on a live
    /// board, whose clock is this host's. See [`Board::now`].
    replay_now: AtomicI64,
    /// What the event journal (`--record`) wrote and dropped.
    pub journal: Arc<crate::journal::Counters>,
    /// Actions on calls, counted by `actions` (atomics, as the intake's counters: a count of
    /// requests, not the board's state).
    pub actions: crate::actions::ActionCounters,
}

impl Board {
    pub fn new(config: BoardConfig, now_ms: i64) -> Self {
        let (version, _) = watch::channel(0);
        let reset = stats::ResetClock::new(&config.stats.reset, now_ms);
        let intervals = history::IntervalClock {
            minutes: config.stats.history_interval_mins,
            zone: config.stats.reset.zone.clone(),
        };
        let board = Board {
            queues: DashMap::new(),
            intake: IntakeCounters::default(),
            outcomes: Outcomes::default(),
            version,
            started_ms: now_ms,
            reset,
            agents: DashMap::new(),
            channel_down: Mutex::new(None),
            clock: clock::ClockSkew::default(),
            crossings: broadcast::channel(CROSSINGS).0,
            queued_room: tokio::sync::Semaphore::new(QUEUED_WEIGHT / 1024),
            replay_now: AtomicI64::new(0),
            journal: Arc::default(),
            actions: crate::actions::ActionCounters::default(),
            config,
            intervals,
        };
        // Before any task can read or write the board: no second writer yet.
        for id in &board.config.expected {
            let name = board.configured_name(id).unwrap_or_else(|| id.clone());
            let mut queue = Queue::new(name);
            queue.truth = truth::Truth::expected();
            queue.known = true;
            board.queues.insert(id.clone(), queue);
        }
        board
    }

    /// The board's "now" (epoch ms) for whoever reads it (the screen, the API, the stream):
    /// this host's clock, or in a replay the journal's, so wait timers show what they showed
    /// then.
    pub fn now(&self) -> i64 {
        match self.replay_now.load(Ordering::Relaxed) {
            0 => now_ms(),
            replayed => replayed,
        }
    }

    /// Whether this board is a replay's.
    pub fn is_replay(&self) -> bool {
        self.replay_now.load(Ordering::Relaxed) != 0
    }

    /// A replay moves the board's clock to the journal's time of its next line.
    pub(crate) fn set_replay_now(&self, journal_ms: i64) {
        self.replay_now.store(journal_ms.max(1), Ordering::Relaxed);
    }

    /// When the board started (epoch ms).
    pub fn started_ms(&self) -> i64 {
        self.started_ms
    }

    /// A receiver that wakes when the board changed.
    pub fn changes(&self) -> watch::Receiver<u64> {
        self.version.subscribe()
    }

    /// Each call center's alert-level changes, as the applier evaluates them once a second.
    /// A receiver that falls more than a few hundred behind skips ahead (and is told so).
    pub fn crossings(&self) -> broadcast::Receiver<Crossing> {
        self.crossings.subscribe()
    }

    pub(crate) fn announce(&self, crossing: Crossing) {
        // Nobody listening (no alert command, tests) is fine.
        let _ = self.crossings.send(crossing);
    }

    /// KiB permits of [`Self::queued_room`] for an input of `weight` bytes (at least one, at
    /// most all: a single event larger than the budget still passes, alone).
    pub(crate) fn room_for(weight: usize) -> u32 {
        (weight.div_ceil(1024)).clamp(1, QUEUED_WEIGHT / 1024) as u32
    }

    /// The applier took an event of `weight`: its room is free again. Never above the budget
    /// (inputs sent by tests straight into the channel took none).
    pub(crate) fn release_room(&self, weight: usize) {
        let give = (Self::room_for(weight) as usize)
            .min((QUEUED_WEIGHT / 1024).saturating_sub(self.queued_room.available_permits()));
        self.queued_room.add_permits(give);
    }

    pub(crate) fn bump_version(&self) {
        self.version.send_modify(|v| *v = v.wrapping_add(1));
    }

    /// The configured alias of a call center, if any.
    /// The zone the day's counters reset in (`time_zone`): the header shows its clock too when
    /// it is not the host's.
    pub fn reset_zone(&self) -> &jiff::tz::TimeZone {
        &self.config.stats.reset.zone
    }

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

    /// Thresholds for a call center.
    pub fn thresholds_for(&self, id: &str) -> Thresholds {
        self.config
            .call_centers
            .get(id)
            .and_then(|c| c.thresholds)
            .unwrap_or(self.config.thresholds)
    }

    /// The XSP's clock minus this host's at `now_ms`, as applied to wait timers.
    pub fn clock_offset_ms(&self, now_ms: i64) -> i64 {
        self.clock.offset_ms(now_ms)
    }

    /// The event counters of the intake and the applier together.
    pub fn event_counters(&self) -> EventCounters {
        let (intake, outcomes) = (&self.intake, &self.outcomes);
        EventCounters {
            received: count(&intake.received),
            applied: count(&outcomes.applied),
            duplicates: count(&outcomes.duplicates),
            unknown: count(&outcomes.unknown),
            rejected: count(&intake.rejected),
            dropped: count(&intake.dropped),
            evicted: count(&outcomes.evicted),
            refused: count(&intake.refused),
        }
    }

    pub fn sequence_counters(&self) -> SequenceCounters {
        let outcomes = &self.outcomes;
        SequenceCounters {
            gaps: count(&outcomes.gaps),
            resyncs: count(&outcomes.resyncs),
            late: count(&outcomes.late),
            repairs: count(&outcomes.repairs),
        }
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
        let channel_down = self.channel_down.lock().ok().and_then(|down| down.clone());
        let ctx = truth::TruthContext {
            now_ms,
            window_ms: i64::try_from(
                self.config
                    .liveness_secs
                    .unwrap_or(LIVENESS_SECS)
                    .saturating_mul(1000),
            )
            .unwrap_or(i64::MAX),
            started_ms: self.started_ms,
            channel_down: channel_down.as_deref(),
        };
        // Every agent once, then each call center's by lookup: not a scan of all agents per
        // call center.
        // Shared, not copied: an agent joined to many call centers is one row (a flood of
        // agents joined to 16 call centers each made a read of the board cost 10 MB).
        let agents: Vec<Arc<AgentRow>> = self
            .agents_snapshot(now_ms)
            .into_iter()
            .map(Arc::new)
            .collect();
        let mut joined: HashMap<Arc<str>, Vec<Arc<AgentRow>>> = HashMap::new();
        for agent in &agents {
            for call_center in &agent.call_centers {
                joined
                    .entry(call_center.clone())
                    .or_default()
                    .push(Arc::clone(agent));
            }
        }
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
                row.truth = queue.truth.view(ctx);
                row.stats = stats::stats_row(&queue, self.limits_for(id));
                row.agents = joined.remove(&**id).unwrap_or_default();
                row
            })
            .collect();
        queues.sort_by(|a, b| a.name.cmp(&b.name).then_with(|| a.id.cmp(&b.id)));
        let last_event_ms = self.intake.last_event_ms.load(Ordering::Relaxed);
        BoardSnapshot {
            queues,
            events: self.event_counters(),
            last_event_secs_ago: (last_event_ms > 0)
                .then(|| queue::secs_between(last_event_ms, now_ms)),
            sequence: self.sequence_counters(),
            agents,
            clock_offset_ms,
            taken_at_ms: now_ms,
            attached: None,
            actions: self.actions.tallies(),
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
