//! The demo's agents: one pool shared by the call centers, each agent joined to one or more of
//! them, with what the agent is doing and the ACD state the Call Center Agent package reports.
//!
//! BroadWorks has no on-call ACD state: an agent ringing or talking is still `Available` in the
//! Agent package, and only Call Center Monitoring tells them apart ("idle: not on a call and in
//! the available state", `XSIACD.xsd`). Both are derived here from the one [`Activity`], so the
//! two packages can never disagree.

use std::sync::Arc;

use crate::xsi::AgentState as AcdState;

use super::center::Subscription;

/// What an agent is doing right now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Activity {
    SignedOut,
    /// Ready for a call since this instant (the longest idle agent is offered first).
    Idle {
        since_ms: i64,
    },
    /// Being offered a call: reserved for it, so no longer idle.
    Ringing,
    OnCall,
    WrapUp,
    /// Made unavailable after letting an offer ring out (the call bounced).
    Unavailable,
}

impl Activity {
    /// The state the Call Center Agent package reports for this activity.
    pub fn acd_state(self) -> AcdState {
        match self {
            Activity::SignedOut => AcdState::SignOut,
            Activity::Idle { .. } | Activity::Ringing | Activity::OnCall => AcdState::Available,
            Activity::WrapUp => AcdState::WrapUp,
            Activity::Unavailable => AcdState::Unavailable,
        }
    }
}

#[derive(Debug)]
pub(super) struct Agent {
    pub user_id: Arc<str>,
    pub activity: Activity,
    /// The ACD state last reported on the agent's subscription, since when, and its code.
    pub reported: AcdState,
    pub reported_since_ms: i64,
    pub unavailable_code: Option<Arc<str>>,
    /// The agent's own "Call Center Agent" subscription.
    pub subscription: Subscription,
    /// Indexes of the call centers the agent is assigned and joined to.
    pub centers: Vec<usize>,
}

impl Agent {
    pub fn new(user_id: Arc<str>, subscription: Subscription) -> Self {
        Agent {
            user_id,
            activity: Activity::SignedOut,
            reported: AcdState::SignOut,
            reported_since_ms: 0,
            unavailable_code: None,
            subscription,
            centers: Vec::new(),
        }
    }
}

/// How a call center's agents stand, in Call Center Monitoring's terms, plus what monitoring
/// leaves implicit: agents ringing or talking (`Available` to the Agent package, but not idle)
/// and in wrap-up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct AgentCounts {
    /// `numAgentsAssigned`.
    pub assigned: usize,
    /// `numAgentsStaffed`: signed in, in any state but `Sign-Out`.
    pub staffed: usize,
    /// `numStaffedAgentsIdle`: `Available` and not on a call.
    pub idle: usize,
    /// `numStaffedAgentsUnavailable`.
    pub unavailable: usize,
    /// Ringing or talking: `Available`, yet neither idle nor unavailable.
    pub on_call: usize,
    pub wrap_up: usize,
}

impl AgentCounts {
    pub(super) fn of<'a>(agents: impl IntoIterator<Item = &'a Agent>) -> Self {
        let mut counts = AgentCounts::default();
        for agent in agents {
            counts.assigned += 1;
            let count = match agent.activity {
                Activity::SignedOut => continue,
                Activity::Idle { .. } => &mut counts.idle,
                Activity::Ringing | Activity::OnCall => &mut counts.on_call,
                Activity::WrapUp => &mut counts.wrap_up,
                Activity::Unavailable => &mut counts.unavailable,
            };
            *count += 1;
            counts.staffed += 1;
        }
        counts
    }

    /// The counts a `CallCenterMonitoringEvent` carries: when one of these changes, BroadWorks
    /// sends one.
    pub(super) fn monitored(self) -> (usize, usize, usize, usize) {
        (self.assigned, self.staffed, self.idle, self.unavailable)
    }
}
