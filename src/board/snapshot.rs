//! Plain, sorted copies of the board for one frame or one `/api/board` answer.
//!
//! A snapshot is taken with no DashMap guard held afterwards: the UI and the HTTP API render
//! from these values only. The rows here are the screen's and may change freely; `/api/board`
//! converts them into its own contract types (`api`). The small value types that both share
//! (`CallState`, `MonitoringRow`, `QueueMode`, the counters) serialise as that contract says.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::agents::AgentRow;
use super::stats::StatsRow;
use super::truth::QueueTruth;
use crate::xsi::MonitoringStatus;

/// How a waiting call stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CallState {
    Waiting,
    /// Offered to an agent who has not answered yet.
    Offered,
    /// An agent let it ring out; back in the queue.
    Bounced,
}

impl CallState {
    pub fn as_str(self) -> &'static str {
        match self {
            CallState::Waiting => "waiting",
            CallState::Offered => "offered",
            CallState::Bounced => "bounced",
        }
    }
}

/// One waiting call, as shown.
#[derive(Debug, Clone, PartialEq)]
pub struct CallRow {
    pub call_id: Arc<str>,
    pub ext_tracking_id: Arc<str>,
    pub caller_name: Option<Arc<str>>,
    pub caller_number: Option<Arc<str>>,
    /// Epoch ms, the XSP's clock.
    pub add_time_ms: i64,
    /// Seconds the caller has waited at the snapshot's instant (never negative): in this queue
    /// since `addTime`, plus `preserved_wait_secs` from earlier queues.
    pub wait_secs: u64,
    /// 1-based rank in the order the queue serves calls.
    pub position: u32,
    /// 0 (highest) .. 3 (low).
    pub priority: u8,
    pub state: CallState,
    pub agent: Option<Arc<str>>,
    /// Waiting longer than `max_wait_secs`: probably a call whose ending was lost.
    pub suspect: bool,
    /// The caller asked not to be identified: the screen always masks this caller.
    pub privacy: bool,
    /// Seconds the caller waited in earlier queues before a transfer here
    /// (`preservedWaitTime`); already included in `wait_secs`. Service level and ASA use this
    /// queue's own wait only.
    pub preserved_wait_secs: Option<u64>,
    /// What decides whether BroadWorks takes an action on the call.
    pub eligibility: Eligibility,
    /// An action sent whose event has not come yet (shown as "pending").
    pub pending: Option<crate::actions::ActionKind>,
}

/// What BroadWorks looks at before it promotes or reorders a call (XSI 3.5.5.4, 3.5.5.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Eligibility {
    /// The call's entries carry `acdPriority`, sent "only for Premium" call centers.
    pub premium: bool,
    /// Bounced at least once: neither promoted nor reordered any more.
    pub bounced: bool,
    /// The mandatory entrance message plays.
    pub mandatory_entrance: bool,
}

/// The `monitoring` object of `/api/board` (flat, seconds and counts).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct MonitoringRow {
    pub calls_in_queue: Option<i64>,
    pub longest_wait_secs: Option<i64>,
    pub expected_wait_secs: Option<i64>,
    pub average_speed_of_answer_secs: Option<i64>,
    pub average_handling_secs: Option<i64>,
    pub agents_assigned: Option<i64>,
    pub agents_staffed: Option<i64>,
    pub agents_idle: Option<i64>,
    pub agents_unavailable: Option<i64>,
}

impl From<&MonitoringStatus> for MonitoringRow {
    fn from(m: &MonitoringStatus) -> Self {
        MonitoringRow {
            calls_in_queue: m.num_calls_in_queue.map(|v| v.value),
            longest_wait_secs: m.longest_wait_time.map(|v| v.value),
            expected_wait_secs: m.expected_wait_time.map(|v| v.value),
            average_speed_of_answer_secs: m.average_speed_of_answer.map(|v| v.value),
            average_handling_secs: m.average_handling_time.map(|v| v.value),
            agents_assigned: m.num_agents_assigned,
            agents_staffed: m.num_agents_staffed,
            agents_idle: m.num_staffed_agents_idle,
            agents_unavailable: m.num_staffed_agents_unavailable,
        }
    }
}

/// Which services of the "Call Center Configuration" package are on (`None`: not told yet).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct QueueMode {
    pub night_service: Option<bool>,
    pub holiday_service: Option<bool>,
    pub forced_forwarding: Option<bool>,
    /// Night service switched on by hand, overriding its schedule (`forceNightService`).
    pub force_night_service: Option<bool>,
}

/// One call center.
#[derive(Debug, Clone, PartialEq)]
pub struct QueueRow {
    /// The event's `targetId`.
    pub id: Arc<str>,
    /// Configured alias, else `acdName`, else the id.
    pub name: Arc<str>,
    /// Waiting calls in queue order.
    pub calls: Vec<CallRow>,
    pub answered: u64,
    pub abandoned: u64,
    /// Calls that left another way (released, transferred, stranded, overflowed, escaped).
    pub other_departures: u64,
    /// Calls that reached the call center but never queued (forced forwarding, night or
    /// holiday policy).
    pub not_queued: u64,
    /// RFC 3339.
    pub counters_since: String,
    pub longest_wait_secs: u64,
    pub monitoring: Option<MonitoringRow>,
    /// Night, holiday and forced-forwarding services, as the Configuration package last said.
    pub mode: QueueMode,
    /// Seconds since the last event for this call center.
    pub last_event_secs_ago: Option<u64>,
    /// Per call center wait thresholds in force (seconds).
    pub warn_secs: u64,
    pub crit_secs: u64,
    /// Service level, abandon rate, the XSP's statistics and the alert level.
    pub stats: StatsRow,
    /// Whether what is shown can be trusted, and why not.
    pub truth: QueueTruth,
    /// Agents joined to this call center (the UI's agent panel); `/api/board` lists every agent
    /// once, at the top level, instead.
    pub agents: Vec<Arc<AgentRow>>,
}

/// The event counters of the whole wallboard.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct EventCounters {
    /// Event documents taken in (HTTP or channel), well-formed or not.
    pub received: u64,
    /// Applied to the board.
    pub applied: u64,
    /// Same `eventID` seen before: applied once.
    pub duplicates: u64,
    /// Well-formed events of a type this build does not handle.
    pub unknown: u64,
    /// Refused with a 4xx (malformed, not an Event, too large).
    pub rejected: u64,
    /// Parsed but refused with 503 because the board fell behind: lost, BroadWorks does not
    /// redeliver.
    pub dropped: u64,
    /// Calls and call centers dropped to keep memory bounded (see `max_wait_secs` and the
    /// caps in the README).
    pub evicted: u64,
    /// Turned away by the listener's guard (wrong or missing token, address not allowed).
    pub refused: u64,
}

/// What the subscriptions' `sequenceNumber`s said about losses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct SequenceCounters {
    /// Numbers still missing after the window: events lost, queues resynchronised.
    pub gaps: u64,
    /// Queues made sure again by a snapshot after a loss.
    pub resyncs: u64,
    /// Events ignored as older than what the board already shows.
    pub late: u64,
    /// Repairs asked of the feed after a loss (a refresh of a user target's subscription, a
    /// queue fetch per call center of a collection's).
    pub repairs: u64,
}

/// The whole board at one instant.
#[derive(Debug, Clone, PartialEq)]
pub struct BoardSnapshot {
    /// Sorted by display name, then id.
    pub queues: Vec<QueueRow>,
    pub events: EventCounters,
    pub last_event_secs_ago: Option<u64>,
    pub sequence: SequenceCounters,
    /// Every agent followed ("Call Center Agent" package), by name.
    pub agents: Vec<Arc<AgentRow>>,
    /// The XSP's clock minus this host's, as applied to wait timers (0: not corrected).
    pub clock_offset_ms: i64,
    /// The instant the wait times were computed at (epoch ms, this host's clock).
    pub taken_at_ms: i64,
    /// Actions on calls, per action: sent, failed, refused.
    pub actions: crate::actions::ActionTallies,
    /// `Some` when this board is a receiver's, mirrored from its stream (`attach`); `None` for
    /// this process's own.
    pub attached: Option<Attachment>,
}

/// The receiver a mirrored board comes from, as the header names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attachment {
    /// The receiver's URL (`http://host:port`, `unix:/path`).
    pub receiver: Arc<str>,
    /// Viewers attached to the receiver's stream, as its last message said.
    pub viewers: Option<u64>,
    /// The stream is down and why, in words: every call center is STALE meanwhile.
    pub lost: Option<String>,
}

impl BoardSnapshot {
    pub fn total_waiting(&self) -> usize {
        self.queues.iter().map(|q| q.calls.len()).sum()
    }

    pub fn longest_wait_secs(&self) -> u64 {
        self.queues
            .iter()
            .map(|q| q.longest_wait_secs)
            .max()
            .unwrap_or(0)
    }

    pub fn total_answered(&self) -> u64 {
        self.queues.iter().map(|q| q.answered).sum()
    }

    pub fn total_abandoned(&self) -> u64 {
        self.queues.iter().map(|q| q.abandoned).sum()
    }
}
