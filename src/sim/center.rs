//! One simulated call center: its queue in serving order, its agents, its subscriptions and the
//! counts a supervisor would see.

use std::sync::Arc;

use crate::xsi::{MonitoredValue, MonitoringStatus, QueueEntry};

use super::agent::AgentCounts;
use super::cast::CenterSpec;

/// One subscription's identity and its `sequenceNumber` counter.
#[derive(Debug)]
pub(super) struct Subscription {
    pub id: Arc<str>,
    last_sequence: u32,
}

impl Subscription {
    pub fn new(id: Arc<str>) -> Self {
        Subscription {
            id,
            last_sequence: 0,
        }
    }

    /// The next `sequenceNumber`: from 1, wrapping after 2147483647 as the schema says.
    pub fn next_sequence(&mut self) -> u32 {
        self.last_sequence = if self.last_sequence >= i32::MAX as u32 {
            1
        } else {
            self.last_sequence + 1
        };
        self.last_sequence
    }
}

/// The three packages a supervisor subscribes to per call center, each its own subscription
/// with its own `sequenceNumber` counter (the agents' package is per agent: see `agent`).
#[derive(Debug)]
pub(super) struct CenterSubscriptions {
    /// "Call Center Queue".
    pub queue: Subscription,
    /// "Call Center Monitoring".
    pub monitoring: Subscription,
    /// "Call Center Configuration".
    pub configuration: Subscription,
}

/// A call in the queue: waiting, or ringing an agent (`offered_to`, an index into the model's
/// agents).
#[derive(Debug, Clone)]
pub(super) struct QueuedCall {
    pub entry: QueueEntry,
    pub offered_to: Option<usize>,
}

impl QueuedCall {
    pub fn priority(&self) -> u8 {
        self.entry.acd_priority.unwrap_or(0)
    }
}

#[derive(Debug)]
pub(super) struct Center {
    pub spec: &'static CenterSpec,
    /// Where a supervisor transfers calls to (an index into the model's call centers).
    pub transfer_to: Option<usize>,
    pub target_id: Arc<str>,
    pub name: Arc<str>,
    pub number: Arc<str>,
    pub subscriptions: CenterSubscriptions,
    /// Every queued call, in the order the queue serves them: priority bucket, then place.
    pub queue: Vec<QueuedCall>,
    /// Accepted by an agent while the whisper announcement plays: no longer waiting, not yet
    /// answered.
    pub whispering: Vec<QueueEntry>,
    /// Indexes into the model's agents of those assigned to (and joined to) this call center.
    pub agents: Vec<usize>,
    /// The agent counts of the last `CallCenterMonitoringEvent` sent: a new one goes out when
    /// they change, as BroadWorks sends one on staffing, idle and unavailable changes.
    pub counts_sent: Option<AgentCounts>,
    /// A call was queued at some point of the current monitoring interval: the periodic event
    /// is due at its end even if the queue has emptied since.
    pub queued_in_interval: bool,
    /// Calls accepted by an agent (a whisper and its answer count once).
    pub answered: u64,
    pub abandoned: u64,
    /// Calls that left otherwise: transferred, overflowed, released.
    pub departed: u64,
    /// Calls that never queued (night policy).
    pub not_queued: u64,
    /// Sum of waits of answered calls, for `averageSpeedOfAnswer`.
    answer_wait_total_ms: i64,
    /// Calls whose talk has ended, and the sum of their talk times, for `averageHandlingTime`.
    handled: u64,
    handle_total_ms: i64,
}

impl Center {
    /// Copy `copy` of a call center spec: the first keeps the spec's ids, later ones (for load
    /// runs with many call centers) get a numbered user id and name. Agents are added by the
    /// model, which owns them.
    pub fn new(
        spec: &'static CenterSpec,
        copy: usize,
        transfer_to: Option<usize>,
        subscriptions: CenterSubscriptions,
    ) -> Self {
        let (target_id, name) = if copy == 0 {
            (spec.target_id.into(), spec.name.into())
        } else {
            (
                numbered_id(spec.target_id, copy),
                format!("{} {}", spec.name, copy + 1).into(),
            )
        };
        Center {
            spec,
            transfer_to,
            target_id,
            name,
            number: spec.number.into(),
            subscriptions,
            queue: Vec::new(),
            whispering: Vec::new(),
            agents: Vec::new(),
            counts_sent: None,
            queued_in_interval: false,
            answered: 0,
            abandoned: 0,
            departed: 0,
            not_queued: 0,
            answer_wait_total_ms: 0,
            handled: 0,
            handle_total_ms: 0,
        }
    }

    pub fn index_of(&self, call_id: &str) -> Option<usize> {
        self.queue.iter().position(|q| &*q.entry.call_id == call_id)
    }

    /// Enqueue at the back of the call's priority bucket; returns its 1-based position.
    pub fn insert_at_bucket_end(&mut self, call: QueuedCall) -> u32 {
        let p = call.priority();
        let at = self.queue.iter().take_while(|q| q.priority() <= p).count();
        self.queue.insert(at, call);
        self.queued_in_interval = true;
        at as u32 + 1
    }

    /// Move a queued call to the front of its bucket (a supervisor's reorder); returns its new
    /// 1-based position.
    pub fn move_to_bucket_front(&mut self, index: usize) -> u32 {
        let call = self.queue.remove(index);
        let p = call.priority();
        let at = self.queue.iter().take_while(|q| q.priority() < p).count();
        self.queue.insert(at, call);
        at as u32 + 1
    }

    /// `addTime` of the first call not yet ringing an agent: how long the next offer is overdue.
    pub fn first_unoffered_added(&self) -> Option<i64> {
        self.queue
            .iter()
            .find(|q| q.offered_to.is_none())
            .and_then(|q| q.entry.add_time)
    }

    pub fn record_answer(&mut self, waited_ms: i64) {
        self.answered += 1;
        self.answer_wait_total_ms += waited_ms.max(0);
    }

    /// A call's talk ended (the agent goes to wrap-up): it now counts in the handling time.
    pub fn record_handled(&mut self, handle_ms: i64) {
        self.handled += 1;
        self.handle_total_ms += handle_ms.max(0);
    }

    /// `monitoringStatus` as the XSP would compute it now (newer wire shape, with severities),
    /// its agent counts from the same agent states the Call Center Agent package reports.
    pub fn monitoring(&self, now_ms: i64, agents: AgentCounts) -> MonitoringStatus {
        let answered = i64::try_from(self.answered).unwrap_or(i64::MAX).max(1);
        let average_speed_of_answer = self.answer_wait_total_ms / answered / 1000;
        // Until a call has ended, the call center's usual talk time.
        let average_handling_time = match i64::try_from(self.handled) {
            Ok(handled) if handled > 0 => self.handle_total_ms / handled / 1000,
            _ => self.spec.handle_secs as i64,
        };
        let longest_wait = self
            .queue
            .iter()
            .filter_map(|q| q.entry.add_time.map(|added| (now_ms - added) / 1000))
            .max()
            .unwrap_or(0)
            .max(0);
        let count = |n: usize| i64::try_from(n).unwrap_or(i64::MAX);
        let staffed = count(agents.staffed);
        let queued = count(self.queue.len());
        let expected_wait = queued * average_handling_time / staffed.max(1);
        MonitoringStatus {
            average_handling_time: Some(graded(average_handling_time, 120)),
            expected_wait_time: Some(graded(expected_wait, 180)),
            average_speed_of_answer: Some(graded(average_speed_of_answer, 60)),
            longest_wait_time: Some(graded(longest_wait, 180)),
            num_calls_in_queue: Some(graded(queued, 8)),
            num_agents_assigned: Some(count(agents.assigned)),
            num_agents_staffed: Some(staffed),
            num_staffed_agents_idle: Some(count(agents.idle)),
            num_staffed_agents_unavailable: Some(count(agents.unavailable)),
        }
    }
}

/// `sales@demo.example` as copy 1 (the second): `sales2@demo.example`. Copies for load runs get
/// their own call center and agent ids this way.
pub(super) fn numbered_id(id: &str, copy: usize) -> Arc<str> {
    match (copy, id.split_once('@')) {
        (0, _) | (_, None) => id.into(),
        (_, Some((user, domain))) => format!("{user}{}@{domain}", copy + 1).into(),
    }
}

/// A statistic with the severity the XSP derives from its threshold (0 normal, 1 over).
fn graded(value: i64, threshold: i64) -> MonitoredValue {
    MonitoredValue {
        value,
        severity: Some(u8::from(value > threshold)),
        prev_severity: None,
        threshold: Some(threshold),
    }
}
