//! One simulated call center: its queue in serving order, its agents, its subscriptions and the
//! counts a supervisor would see.

use std::sync::Arc;

use crate::xsi::{MonitoredValue, MonitoringStatus, QueueEntry};

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

/// A call in the queue: waiting, or ringing an agent (`offered_to`).
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

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum AgentState {
    /// Ready for a call since this instant (the longest idle agent is offered first).
    Idle {
        since_ms: i64,
    },
    Ringing,
    /// On a call or in wrap-up.
    Busy,
    /// Made unavailable after letting an offer ring out (the call bounced).
    Unavailable,
}

#[derive(Debug)]
pub(super) struct Agent {
    pub user_id: Arc<str>,
    pub state: AgentState,
    /// The agent's own "Call Center Agent" subscription.
    pub subscription: Subscription,
}

#[derive(Debug)]
pub(super) struct Center {
    pub spec: &'static CenterSpec,
    /// Where a supervisor transfers calls to (an index into the model's call centers).
    pub transfer_to: Option<usize>,
    pub target_id: Arc<str>,
    pub name: Arc<str>,
    pub number: Arc<str>,
    /// The "Call Center Queue" subscription.
    pub queue_subscription: Subscription,
    /// The "Call Center Monitoring" subscription.
    pub monitoring_subscription: Subscription,
    /// Every queued call, in the order the queue serves them: priority bucket, then place.
    pub queue: Vec<QueuedCall>,
    /// Accepted by an agent while the whisper announcement plays: no longer waiting, not yet
    /// answered.
    pub whispering: Vec<QueueEntry>,
    pub agents: Vec<Agent>,
    /// Calls accepted by an agent (a whisper and its answer count once).
    pub answered: u64,
    pub abandoned: u64,
    /// Calls that left otherwise: transferred, overflowed, released.
    pub departed: u64,
    /// Sum of waits of answered calls, for `averageSpeedOfAnswer`.
    answer_wait_total_ms: i64,
    /// Sum of talk times handed out, for `averageHandlingTime`.
    handle_total_ms: i64,
}

impl Center {
    /// Copy `copy` of a call center spec: the first keeps the spec's ids, later ones (for load
    /// runs with many call centers) get a numbered user id and name.
    pub fn new(
        spec: &'static CenterSpec,
        copy: usize,
        transfer_to: Option<usize>,
        subscriptions: (Arc<str>, Arc<str>),
        mut agent_subscription_id: impl FnMut() -> Arc<str>,
    ) -> Self {
        let (target_id, name) = if copy == 0 {
            (spec.target_id.into(), spec.name.into())
        } else {
            let (user, domain) = spec
                .target_id
                .split_once('@')
                .unwrap_or((spec.target_id, ""));
            (
                format!("{user}{}@{domain}", copy + 1).into(),
                format!("{} {}", spec.name, copy + 1).into(),
            )
        };
        let (queue_sub, monitoring_sub) = subscriptions;
        // Copies get their own agents, as they get their own user id.
        let agent_id = |id: &str| -> Arc<str> {
            match (copy, id.split_once('@')) {
                (0, _) | (_, None) => id.into(),
                (_, Some((user, domain))) => format!("{user}{}@{domain}", copy + 1).into(),
            }
        };
        let agents = spec
            .agents
            .iter()
            .map(|id| Agent {
                user_id: agent_id(id),
                state: AgentState::Busy,
                subscription: Subscription::new(agent_subscription_id()),
            })
            .collect();
        Center {
            spec,
            transfer_to,
            target_id,
            name,
            number: spec.number.into(),
            queue_subscription: Subscription::new(queue_sub),
            monitoring_subscription: Subscription::new(monitoring_sub),
            queue: Vec::new(),
            whispering: Vec::new(),
            agents,
            answered: 0,
            abandoned: 0,
            departed: 0,
            answer_wait_total_ms: 0,
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

    /// The longest idle agent, who BroadWorks' "longest idle" policy offers the next call to.
    pub fn longest_idle_agent(&self) -> Option<usize> {
        self.agents
            .iter()
            .enumerate()
            .filter_map(|(i, a)| match a.state {
                AgentState::Idle { since_ms } => Some((since_ms, i)),
                _ => None,
            })
            .min()
            .map(|(_, i)| i)
    }

    pub fn record_answer(&mut self, waited_ms: i64, handle_ms: i64) {
        self.answered += 1;
        self.answer_wait_total_ms += waited_ms.max(0);
        self.handle_total_ms += handle_ms;
    }

    /// `monitoringStatus` as the XSP would compute it now (newer wire shape, with severities).
    pub fn monitoring(&self, now_ms: i64) -> MonitoringStatus {
        let answered = i64::try_from(self.answered).unwrap_or(i64::MAX).max(1);
        let average_speed_of_answer = self.answer_wait_total_ms / answered / 1000;
        let average_handling_time = if self.answered == 0 {
            self.spec.handle_secs as i64
        } else {
            self.handle_total_ms / answered / 1000
        };
        let longest_wait = self
            .queue
            .iter()
            .filter_map(|q| q.entry.add_time.map(|added| (now_ms - added) / 1000))
            .max()
            .unwrap_or(0)
            .max(0);
        let count = |state: fn(&AgentState) -> bool| {
            self.agents.iter().filter(|a| state(&a.state)).count() as i64
        };
        let staffed = self.agents.len() as i64;
        let idle = count(|s| matches!(s, AgentState::Idle { .. }));
        let unavailable = count(|s| matches!(s, AgentState::Unavailable));
        let queued = self.queue.len() as i64;
        let expected_wait = queued * average_handling_time / staffed.max(1);
        MonitoringStatus {
            average_handling_time: Some(graded(average_handling_time, 120)),
            expected_wait_time: Some(graded(expected_wait, 180)),
            average_speed_of_answer: Some(graded(average_speed_of_answer, 60)),
            longest_wait_time: Some(graded(longest_wait, 180)),
            num_calls_in_queue: Some(graded(queued, 8)),
            // One more agent is assigned than staffed: someone is always on leave.
            num_agents_assigned: Some(staffed + 1),
            num_agents_staffed: Some(staffed),
            num_staffed_agents_idle: Some(idle),
            num_staffed_agents_unavailable: Some(unavailable),
        }
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
