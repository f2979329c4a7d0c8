//! `/api/board`: the board as JSON, a contract others rely on. Fields are added, never renamed
//! or removed. These types are the contract; the snapshot the screen draws from
//! ([`BoardSnapshot`]) is converted into them and may change freely.
//!
//! The values inside (`stats`, `monitoring`, `mode`, `events`, `sequence`, and the truth fields
//! flattened into each queue) are plain data types whose serialised form is part of this
//! contract too; each says so.

use std::sync::Arc;

use serde::Serialize;

use super::agents::AgentRow;
use super::snapshot::{
    BoardSnapshot, CallRow, CallState, EventCounters, MonitoringRow, QueueMode, QueueRow,
    SequenceCounters,
};
use super::stats::StatsRow;
use super::truth::QueueTruth;

/// The whole board.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ApiBoard {
    /// Sorted by display name, then id.
    pub queues: Vec<ApiQueue>,
    pub events: EventCounters,
    pub last_event_secs_ago: Option<u64>,
    pub sequence: SequenceCounters,
    /// Every agent followed ("Call Center Agent" package), by name.
    pub agents: Vec<ApiAgent>,
    /// The XSP's clock minus this host's, as applied to wait timers (0: not corrected).
    pub clock_offset_ms: i64,
    /// What the event journal wrote and dropped (`--record`); `null` when not recording.
    pub journal: Option<crate::journal::JournalCounts>,
    /// Actions on calls (issue 18): `{"promote": {"ok": N, "failed": N, "refused": N}, "move":
    /// ..., "transfer": ..., "release": ...}`.
    pub actions: crate::actions::ActionTallies,
}

/// One call center.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ApiQueue {
    /// The call center's user id (the events' `targetId`).
    pub id: Arc<str>,
    /// Configured alias, else `acdName`, else the id.
    pub name: Arc<str>,
    /// Waiting calls in the order the queue serves them.
    pub calls: Vec<ApiCall>,
    pub answered: u64,
    pub abandoned: u64,
    pub other_departures: u64,
    pub not_queued: u64,
    /// RFC 3339.
    pub counters_since: String,
    pub longest_wait_secs: u64,
    pub monitoring: Option<MonitoringRow>,
    pub mode: QueueMode,
    pub last_event_secs_ago: Option<u64>,
    pub warn_secs: u64,
    pub crit_secs: u64,
    pub stats: StatsRow,
    /// `stale`, `stale_reason`, `unsure`, `unsure_reason`, `data_age_secs`, `degraded`.
    #[serde(flatten)]
    pub truth: QueueTruth,
}

/// One waiting call.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ApiCall {
    pub call_id: Arc<str>,
    pub ext_tracking_id: Arc<str>,
    pub caller_name: Option<Arc<str>>,
    pub caller_number: Option<Arc<str>>,
    /// Epoch ms, the XSP's clock.
    pub add_time_ms: i64,
    /// The caller's whole wait (earlier queues included).
    pub wait_secs: u64,
    /// 1-based rank in serving order.
    pub position: u32,
    /// 0 (highest) .. 3 (low).
    pub priority: u8,
    pub state: CallState,
    pub agent: Option<Arc<str>>,
    pub suspect: bool,
    pub privacy: bool,
    pub preserved_wait_secs: Option<u64>,
    /// Issue 18: what a viewer checks before it offers an action on the call: `premium`
    /// (`acdPriority` was sent), `bounced`, `mandatory_entrance`.
    #[serde(flatten)]
    pub eligibility: super::snapshot::Eligibility,
    /// `promote`, `move`, `transfer` or `release` sent and not yet answered by the XSP's event.
    pub pending: Option<crate::actions::ActionKind>,
}

/// One agent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ApiAgent {
    pub id: Arc<str>,
    pub name: Arc<str>,
    /// `Sign-In`, `Available`, `Unavailable`, `Wrap-Up`, `Sign-Out` (the schema's spelling);
    /// `null` until told.
    pub state: Option<&'static str>,
    pub since_secs: u64,
    pub unavailable_code: Option<Arc<str>>,
    pub call_centers: Vec<Arc<str>>,
}

impl From<&BoardSnapshot> for ApiBoard {
    fn from(snapshot: &BoardSnapshot) -> Self {
        ApiBoard {
            queues: snapshot.queues.iter().map(ApiQueue::from).collect(),
            events: snapshot.events,
            last_event_secs_ago: snapshot.last_event_secs_ago,
            sequence: snapshot.sequence,
            agents: snapshot
                .agents
                .iter()
                .map(|a| ApiAgent::from(&**a))
                .collect(),
            clock_offset_ms: snapshot.clock_offset_ms,
            journal: None,
            actions: snapshot.actions,
        }
    }
}

impl From<&QueueRow> for ApiQueue {
    fn from(q: &QueueRow) -> Self {
        ApiQueue {
            id: q.id.clone(),
            name: q.name.clone(),
            calls: q.calls.iter().map(ApiCall::from).collect(),
            answered: q.answered,
            abandoned: q.abandoned,
            other_departures: q.other_departures,
            not_queued: q.not_queued,
            counters_since: q.counters_since.clone(),
            longest_wait_secs: q.longest_wait_secs,
            monitoring: q.monitoring,
            mode: q.mode,
            last_event_secs_ago: q.last_event_secs_ago,
            warn_secs: q.warn_secs,
            crit_secs: q.crit_secs,
            stats: q.stats.clone(),
            truth: q.truth.clone(),
        }
    }
}

impl From<&CallRow> for ApiCall {
    fn from(c: &CallRow) -> Self {
        ApiCall {
            call_id: c.call_id.clone(),
            ext_tracking_id: c.ext_tracking_id.clone(),
            caller_name: c.caller_name.clone(),
            caller_number: c.caller_number.clone(),
            add_time_ms: c.add_time_ms,
            wait_secs: c.wait_secs,
            position: c.position,
            priority: c.priority,
            state: c.state,
            agent: c.agent.clone(),
            suspect: c.suspect,
            privacy: c.privacy,
            preserved_wait_secs: c.preserved_wait_secs,
            eligibility: c.eligibility,
            pending: c.pending,
        }
    }
}

impl From<&AgentRow> for ApiAgent {
    fn from(a: &AgentRow) -> Self {
        ApiAgent {
            id: a.id.clone(),
            name: a.name.clone(),
            state: a.state.map(crate::xsi::AgentState::as_str),
            since_secs: a.since_secs,
            unavailable_code: a.unavailable_code.clone(),
            call_centers: a.call_centers.clone(),
        }
    }
}
