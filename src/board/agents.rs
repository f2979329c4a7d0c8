//! Agents, from the Call Center Agent package: each agent's ACD state, since when, and the call
//! centers the agent is joined to.
//!
//! The package is subscribed per agent user; the agent is the envelope's `targetId`. BroadWorks
//! has no on-call agent state: agents on a call are counted from Call Center Monitoring instead
//! (see `stats`).

use std::sync::Arc;

use std::sync::atomic::Ordering;

use super::memory::{MAX_AGENTS, MAX_JOINED_PER_AGENT};
use super::queue::secs_between;
use super::{ApplyOutcome, Board};
use crate::xsi::{AgentEvent, AgentEventKind, AgentJoins, AgentState};

/// One agent as the board keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Agent {
    state: Option<AgentState>,
    /// Epoch ms of the last state change: the XSP's `stateTimestamp` when sent, else when the
    /// event arrived here.
    since_ms: i64,
    unavailable_code: Option<Arc<str>>,
    joined: Vec<Arc<str>>,
    /// When an event last changed it (this host): the least recently heard goes first.
    heard_ms: i64,
}

/// One agent as the agent panel shows it (`/api/board` converts it into `ApiAgent`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentRow {
    /// The agent's user id.
    pub id: Arc<str>,
    /// The user part of the id: the package carries no display name.
    pub name: Arc<str>,
    /// `None` until told.
    pub state: Option<AgentState>,
    /// Seconds in this state at the snapshot's instant.
    pub since_secs: u64,
    /// Set while Unavailable, if the agent gave one.
    pub unavailable_code: Option<Arc<str>>,
    /// Call centers the agent is joined to.
    pub call_centers: Vec<Arc<str>>,
}

impl Board {
    /// Apply a Call Center Agent event; only the applier calls this.
    pub(crate) fn apply_agent(
        &self,
        agent_id: Option<&Arc<str>>,
        event: &AgentEvent,
        arrival_ms: i64,
    ) -> ApplyOutcome {
        let lists_joined = matches!(
            event.kind,
            AgentEventKind::Subscription | AgentEventKind::JoinUpdate
        );
        // An event that says neither a state nor the joined call centers changes nothing.
        if event.kind == AgentEventKind::Other || (event.state.is_none() && !lists_joined) {
            return ApplyOutcome::Ignored;
        }
        let Some(id) = agent_id.filter(|id| !id.is_empty()) else {
            return ApplyOutcome::Ignored;
        };
        if self.agents.len() >= MAX_AGENTS && !self.agents.contains_key(id) {
            self.evict_quietest_agent();
        }
        let mut agent = self.agents.entry(id.clone()).or_insert_with(|| Agent {
            state: None,
            since_ms: arrival_ms,
            unavailable_code: None,
            joined: Vec::new(),
            heard_ms: arrival_ms,
        });
        agent.heard_ms = arrival_ms;
        if let Some(state) = event.state {
            let timestamp = event.state_timestamp.filter(|&t| t > 0);
            // A repeated state (a refresh, an initial event) keeps its start unless the XSP
            // says when it began.
            if agent.state != Some(state) || timestamp.is_some() {
                agent.since_ms = timestamp.unwrap_or(arrival_ms);
            }
            agent.state = Some(state);
            agent.unavailable_code = if state == AgentState::Unavailable {
                event.unavailable_code.clone()
            } else {
                None
            };
        }
        match &event.joins {
            // The initial event lists every call center the agent belongs to.
            Some(AgentJoins::All(all)) => {
                agent.joined = all
                    .iter()
                    .filter(|j| j.joined)
                    .map(|j| j.call_center.clone())
                    .take(MAX_JOINED_PER_AGENT)
                    .collect();
            }
            // An update says one call center: joined, left, or a skill-level change.
            Some(AgentJoins::One(join)) => {
                let known = agent.joined.iter().position(|c| *c == join.call_center);
                match (join.joined, known) {
                    (true, None) if agent.joined.len() < MAX_JOINED_PER_AGENT => {
                        agent.joined.push(join.call_center.clone());
                    }
                    (false, Some(i)) => {
                        agent.joined.remove(i);
                    }
                    _ => {}
                }
            }
            Some(AgentJoins::Unassigned) => agent.joined.clear(),
            None => {}
        }
        ApplyOutcome::Applied
    }

    /// Room for one more agent: the one heard from least recently goes (counted as evicted).
    fn evict_quietest_agent(&self) {
        let quietest = self
            .agents
            .iter()
            .min_by_key(|a| a.heard_ms)
            .map(|a| a.key().clone());
        if let Some(id) = quietest {
            self.agents.remove(&id);
            self.outcomes.evicted.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Every agent, sorted by name then id, timed at `now_ms`.
    pub fn agents_snapshot(&self, now_ms: i64) -> Vec<AgentRow> {
        let mut rows: Vec<AgentRow> = self
            .agents
            .iter()
            .map(|agent| row(agent.key(), &agent, now_ms))
            .collect();
        rows.sort_by(|a, b| a.name.cmp(&b.name).then_with(|| a.id.cmp(&b.id)));
        rows
    }
}

fn row(id: &Arc<str>, agent: &Agent, now_ms: i64) -> AgentRow {
    let name = match id.split_once('@') {
        Some((user, _)) if !user.is_empty() => Arc::from(user),
        _ => id.clone(),
    };
    AgentRow {
        id: id.clone(),
        name,
        state: agent.state,
        since_secs: secs_between(agent.since_ms, now_ms),
        unavailable_code: agent.unavailable_code.clone(),
        call_centers: agent.joined.clone(),
    }
}
