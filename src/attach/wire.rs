//! The stream's messages as `attach` reads them: `/api/board`'s JSON (the contract in
//! `board::api`) read back into owned values, leniently (a field a newer receiver adds is
//! ignored, one an older receiver lacks takes its default).

use std::sync::Arc;

use serde::Deserialize;

use crate::board::{
    CallRow, CallState, EventCounters, MonitoringRow, QueueMode, QueueTruth, SequenceCounters,
    StatsRow,
};
use crate::xsi::{AgentState, Package};

/// `board` and `queues` data: `/api/board`'s fields (all of them, or what changed) and the
/// stream's stamps.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub(crate) struct BoardData {
    pub(crate) queues: Vec<WireQueue>,
    pub(crate) agents: Vec<WireAgent>,
    pub(crate) events: EventCounters,
    pub(crate) last_event_secs_ago: Option<u64>,
    pub(crate) sequence: SequenceCounters,
    pub(crate) clock_offset_ms: i64,
    /// The receiver's actions on calls, counted.
    pub(crate) actions: crate::actions::ActionTallies,
    #[serde(flatten)]
    pub(crate) stamp: Stamp,
    /// The instant the seconds fields were computed at (the receiver's clock).
    pub(crate) taken_at_ms: Option<i64>,
}

/// `removed` data: ids of call centers and agents gone.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub(crate) struct RemovedData {
    pub(crate) queues: Vec<Arc<str>>,
    pub(crate) agents: Vec<Arc<str>>,
    #[serde(flatten)]
    pub(crate) stamp: Stamp,
}

/// On every message: the receiver's clock when it was sent and how many viewers it has.
#[derive(Debug, Clone, Copy, Default, Deserialize)]
#[serde(default)]
pub(crate) struct Stamp {
    pub(crate) now_ms: Option<i64>,
    pub(crate) viewers: Option<u64>,
}

/// One call center of `/api/board`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub(crate) struct WireQueue {
    pub(crate) id: Arc<str>,
    pub(crate) name: Arc<str>,
    pub(crate) calls: Vec<WireCall>,
    pub(crate) answered: u64,
    pub(crate) abandoned: u64,
    pub(crate) other_departures: u64,
    pub(crate) not_queued: u64,
    pub(crate) counters_since: String,
    pub(crate) monitoring: Option<MonitoringRow>,
    pub(crate) mode: QueueMode,
    pub(crate) last_event_secs_ago: Option<u64>,
    pub(crate) warn_secs: u64,
    pub(crate) crit_secs: u64,
    pub(crate) stats: StatsRow,
    pub(crate) stale: bool,
    pub(crate) stale_reason: Option<String>,
    pub(crate) unsure: bool,
    pub(crate) unsure_reason: Option<String>,
    pub(crate) data_age_secs: u64,
    pub(crate) degraded: Vec<String>,
}

/// One waiting call; its wait is computed by the viewer from `add_time_ms`.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct WireCall {
    pub(crate) call_id: Arc<str>,
    #[serde(default)]
    pub(crate) ext_tracking_id: Arc<str>,
    pub(crate) caller_name: Option<Arc<str>>,
    pub(crate) caller_number: Option<Arc<str>>,
    pub(crate) add_time_ms: i64,
    #[serde(default)]
    pub(crate) position: u32,
    #[serde(default)]
    pub(crate) priority: u8,
    pub(crate) state: CallState,
    pub(crate) agent: Option<Arc<str>>,
    #[serde(default)]
    pub(crate) suspect: bool,
    #[serde(default)]
    pub(crate) privacy: bool,
    pub(crate) preserved_wait_secs: Option<u64>,
    /// What the receiver checks before an action (flat in the JSON).
    #[serde(flatten)]
    pub(crate) eligibility: crate::board::Eligibility,
    /// An action sent on the receiver whose event has not come yet.
    #[serde(default)]
    pub(crate) pending: Option<crate::actions::ActionKind>,
}

/// One agent.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub(crate) struct WireAgent {
    pub(crate) id: Arc<str>,
    pub(crate) name: Arc<str>,
    pub(crate) state: Option<String>,
    pub(crate) since_secs: u64,
    pub(crate) unavailable_code: Option<Arc<str>>,
    pub(crate) call_centers: Vec<Arc<str>>,
}

impl WireCall {
    /// The call as shown at `server_now_ms` (the XSP's clock, as the receiver corrects it):
    /// its own wait since `add_time_ms`, plus what it waited in earlier queues.
    pub(crate) fn row(&self, server_now_ms: i64) -> CallRow {
        let own = u64::try_from(server_now_ms.saturating_sub(self.add_time_ms)).unwrap_or(0) / 1000;
        CallRow {
            call_id: self.call_id.clone(),
            ext_tracking_id: self.ext_tracking_id.clone(),
            caller_name: self.caller_name.clone(),
            caller_number: self.caller_number.clone(),
            add_time_ms: self.add_time_ms,
            wait_secs: own + self.preserved_wait_secs.unwrap_or(0),
            position: self.position,
            priority: self.priority,
            state: self.state,
            agent: self.agent.clone(),
            suspect: self.suspect,
            privacy: self.privacy,
            preserved_wait_secs: self.preserved_wait_secs,
            eligibility: self.eligibility,
            pending: self.pending,
        }
    }
}

impl WireQueue {
    /// The queue's standing as the receiver said, its age `elapsed_secs` later.
    pub(crate) fn truth(&self, elapsed_secs: u64) -> QueueTruth {
        QueueTruth {
            stale: self.stale,
            stale_reason: self.stale_reason.clone(),
            unsure: self.unsure,
            unsure_reason: self.unsure_reason.clone(),
            data_age_secs: self.data_age_secs.saturating_add(elapsed_secs),
            // The contract names packages by the schema's names; an unknown one is dropped
            // rather than shown as something this build cannot word.
            degraded: self
                .degraded
                .iter()
                .filter_map(|name| Package::parse(name).map(Package::name))
                .collect(),
        }
    }
}

impl WireAgent {
    pub(crate) fn state(&self) -> Option<AgentState> {
        self.state.as_deref().and_then(AgentState::parse)
    }
}
