//! A receiver's board, mirrored from its stream: the second [`BoardSource`], beside this
//! process's own [`Board`](crate::board::Board).
//!
//! ```text
//! stream message --apply(local clock)--> State { call centers and agents as last sent, each
//!     with the receiver instant its seconds were computed at; counters; clock samples }
//!     --snapshot_at(now)--> BoardSnapshot (waits from add_time_ms on the receiver's clock)
//! ```
//!
//! Pure state: no socket, no task. The client (`attach::client`) feeds it messages with the
//! local instant they arrived, and says when the stream is lost; the screen takes snapshots.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, PoisonError};

use tokio::sync::watch;

use super::sse::StreamMessage;
use super::wire::{BoardData, RemovedData, Stamp, WireAgent, WireQueue};
use crate::board::agents::AgentRow;
use crate::board::{Attachment, BoardSnapshot, EventCounters, QueueRow, SequenceCounters};
use crate::tui::BoardSource;
use crate::ui::history::Day;

/// Clock samples kept: the receiver's clock is read from the latest few messages.
const CLOCK_SAMPLES: usize = 8;

/// Why a message could not be applied: the mirror may now differ from the receiver's board, so
/// the client starts again from a whole board.
#[derive(Debug, thiserror::Error)]
pub enum MirrorError {
    #[error("a {event} message that does not read: {source}")]
    Unreadable {
        event: String,
        source: serde_json::Error,
    },
    #[error("a {0} message before the first board")]
    BeforeBoard(String),
}

/// One call center or agent as last sent, and the receiver's instant its seconds fields were
/// computed at.
#[derive(Debug, Clone)]
struct Held<T> {
    item: T,
    taken_at_ms: i64,
}

/// `/api/board`'s top level but the call centers and agents.
#[derive(Debug, Clone, Default)]
struct Head {
    events: EventCounters,
    sequence: SequenceCounters,
    last_event_secs_ago: Option<u64>,
    clock_offset_ms: i64,
    actions: crate::actions::ActionTallies,
    taken_at_ms: i64,
}

#[derive(Debug, Default)]
struct State {
    /// `None` until the first `board`.
    head: Option<Head>,
    /// Sorted by name, then id, as `/api/board`.
    queues: Vec<Held<WireQueue>>,
    agents: Vec<Held<WireAgent>>,
    /// The last message's SSE id: a reconnect resumes after it.
    last_id: Option<u64>,
    viewers: Option<u64>,
    /// The stream is down, and why.
    lost: Option<String>,
    /// Receiver's clock minus this host's, one per message (newest last).
    clock: VecDeque<i64>,
}

/// A receiver's board as its stream told it.
#[derive(Debug)]
pub struct Mirror {
    receiver: Arc<str>,
    state: Mutex<State>,
    version: watch::Sender<u64>,
}

impl Mirror {
    /// An empty mirror of the receiver at `receiver` (its URL, as the header names it).
    pub fn new(receiver: impl Into<Arc<str>>) -> Self {
        Mirror {
            receiver: receiver.into(),
            state: Mutex::new(State::default()),
            version: watch::channel(0).0,
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn bump(&self) {
        self.version.send_modify(|v| *v = v.wrapping_add(1));
    }

    /// The SSE id to resume after (`Last-Event-ID`), if any message came.
    pub fn last_event_id(&self) -> Option<u64> {
        self.state().last_id
    }

    /// Start again from a whole board at the next connection.
    pub fn forget_position(&self) {
        self.state().last_id = None;
    }

    /// The stream is down: every call center shows STALE with `why` until a message comes.
    pub fn lose(&self, why: impl Into<String>) {
        self.state().lost = Some(why.into());
        self.bump();
    }

    /// Why the stream is down, if it is.
    pub fn lost(&self) -> Option<String> {
        self.state().lost.clone()
    }

    /// The receiver's clock minus this host's (ms), as the messages' `now_ms` said: the
    /// largest of the last few samples, the one that spent the least time on the way.
    pub fn receiver_offset_ms(&self) -> i64 {
        offset(&self.state().clock)
    }

    /// Apply one message that arrived at `local_ms` (this host's epoch ms).
    pub fn apply(&self, message: &StreamMessage, local_ms: i64) -> Result<(), MirrorError> {
        let unreadable = |source| MirrorError::Unreadable {
            event: message.event.clone(),
            source,
        };
        let mut state = self.state();
        let stamp = match message.event.as_str() {
            "board" => {
                let data: BoardData = serde_json::from_str(&message.data).map_err(unreadable)?;
                let stamp = data.stamp;
                state.replace(data, local_ms);
                stamp
            }
            "queues" | "removed" if state.head.is_none() => {
                return Err(MirrorError::BeforeBoard(message.event.clone()));
            }
            "queues" => {
                let data: BoardData = serde_json::from_str(&message.data).map_err(unreadable)?;
                let stamp = data.stamp;
                state.update(data, local_ms);
                stamp
            }
            "removed" => {
                let data: RemovedData = serde_json::from_str(&message.data).map_err(unreadable)?;
                state.queues.retain(|q| !data.queues.contains(&q.item.id));
                state.agents.retain(|a| !data.agents.contains(&a.item.id));
                data.stamp
            }
            // `heartbeat`, and any event a newer receiver sends: the stream is alive.
            _ => serde_json::from_str::<Stamp>(&message.data).unwrap_or_default(),
        };
        state.stamp(stamp, local_ms);
        if message.id.is_some() {
            state.last_id = message.id;
        }
        state.lost = None;
        drop(state);
        self.bump();
        Ok(())
    }

    /// The receiver's board at `local_ms`: waits from each call's `add_time_ms` on the
    /// receiver's clock (corrected to the XSP's as the receiver does), seconds fields grown by
    /// the time since they were computed.
    pub fn snapshot(&self, local_ms: i64) -> BoardSnapshot {
        let state = self.state();
        let receiver_now = local_ms.saturating_add(offset(&state.clock));
        let head = state.head.clone().unwrap_or_default();
        let later = |taken_at_ms: i64| {
            u64::try_from(receiver_now.saturating_sub(taken_at_ms)).unwrap_or(0) / 1000
        };
        let agents: Vec<Arc<AgentRow>> = state
            .agents
            .iter()
            .map(|held| {
                let a = &held.item;
                Arc::new(AgentRow {
                    id: a.id.clone(),
                    name: a.name.clone(),
                    state: a.state(),
                    since_secs: a.since_secs.saturating_add(later(held.taken_at_ms)),
                    unavailable_code: a.unavailable_code.clone(),
                    call_centers: a.call_centers.clone(),
                })
            })
            .collect();
        // Shared, as the receiver's own snapshot shares them: one row per agent.
        let mut joined: HashMap<&str, Vec<Arc<AgentRow>>> = HashMap::new();
        for agent in &agents {
            for call_center in &agent.call_centers {
                joined
                    .entry(call_center)
                    .or_default()
                    .push(Arc::clone(agent));
            }
        }
        let server_now = receiver_now.saturating_add(head.clock_offset_ms);
        let queues = state
            .queues
            .iter()
            .map(|held| {
                let mut row = queue_row(&held.item, server_now, later(held.taken_at_ms));
                row.agents = joined.get(&*row.id).cloned().unwrap_or_default();
                if let Some(why) = &state.lost {
                    // Whatever the receiver last said, nothing proves it now.
                    row.truth.stale = true;
                    row.truth.stale_reason = Some(format!("receiver lost: {why}"));
                }
                row
            })
            .collect();
        BoardSnapshot {
            queues,
            events: head.events,
            last_event_secs_ago: head
                .last_event_secs_ago
                .map(|secs| secs.saturating_add(later(head.taken_at_ms))),
            sequence: head.sequence,
            agents,
            clock_offset_ms: head.clock_offset_ms,
            taken_at_ms: local_ms,
            actions: head.actions,
            attached: Some(Attachment {
                receiver: self.receiver.clone(),
                viewers: state.viewers,
                lost: state.lost.clone(),
            }),
        }
    }
}

impl BoardSource for Mirror {
    fn snapshot_at(&self, now_ms: i64) -> BoardSnapshot {
        self.snapshot(now_ms)
    }

    fn changes(&self) -> watch::Receiver<u64> {
        self.version.subscribe()
    }

    /// The receiver keeps the day (`/api/history`); a viewer does not mirror it.
    fn history(&self) -> Option<Day> {
        None
    }

    /// The receiver's reset zone is not in its stream: the header shows this host's clock.
    fn reset_zone(&self) -> jiff::tz::TimeZone {
        jiff::tz::TimeZone::system()
    }
}

fn offset(samples: &VecDeque<i64>) -> i64 {
    samples.iter().copied().max().unwrap_or(0)
}

/// One call center as shown at `server_now_ms`, its seconds fields `later` seconds on.
fn queue_row(q: &WireQueue, server_now_ms: i64, later: u64) -> QueueRow {
    let calls: Vec<_> = q.calls.iter().map(|c| c.row(server_now_ms)).collect();
    // As the receiver computes it: a suspect call does not make the queue look worse.
    let longest_wait_secs = calls
        .iter()
        .filter(|c| !c.suspect)
        .map(|c| c.wait_secs)
        .max()
        .unwrap_or(0);
    QueueRow {
        id: q.id.clone(),
        name: q.name.clone(),
        calls,
        answered: q.answered,
        abandoned: q.abandoned,
        other_departures: q.other_departures,
        not_queued: q.not_queued,
        counters_since: q.counters_since.clone(),
        longest_wait_secs,
        monitoring: q.monitoring,
        mode: q.mode,
        last_event_secs_ago: q.last_event_secs_ago.map(|s| s.saturating_add(later)),
        warn_secs: q.warn_secs,
        crit_secs: q.crit_secs,
        stats: q.stats.clone(),
        truth: q.truth(later),
        agents: Vec::new(),
    }
}

impl State {
    /// A whole board: everything before it is gone.
    fn replace(&mut self, data: BoardData, local_ms: i64) {
        let taken_at_ms = data.taken_at_ms.or(data.stamp.now_ms).unwrap_or(local_ms);
        self.head = Some(head(&data, taken_at_ms));
        self.queues = held(data.queues, taken_at_ms);
        self.agents = held(data.agents, taken_at_ms);
        sort(&mut self.queues, &mut self.agents);
    }

    /// What changed: call centers and agents replaced by id (or added), the counters.
    fn update(&mut self, data: BoardData, local_ms: i64) {
        let taken_at_ms = data.taken_at_ms.or(data.stamp.now_ms).unwrap_or(local_ms);
        self.head = Some(head(&data, taken_at_ms));
        upsert(&mut self.queues, data.queues, taken_at_ms, |q| &q.id);
        upsert(&mut self.agents, data.agents, taken_at_ms, |a| &a.id);
        sort(&mut self.queues, &mut self.agents);
    }

    fn stamp(&mut self, stamp: Stamp, local_ms: i64) {
        if let Some(viewers) = stamp.viewers {
            self.viewers = Some(viewers);
        }
        if let Some(now_ms) = stamp.now_ms {
            self.clock.push_back(now_ms.saturating_sub(local_ms));
            while self.clock.len() > CLOCK_SAMPLES {
                self.clock.pop_front();
            }
        }
    }
}

fn head(data: &BoardData, taken_at_ms: i64) -> Head {
    Head {
        events: data.events,
        sequence: data.sequence,
        last_event_secs_ago: data.last_event_secs_ago,
        clock_offset_ms: data.clock_offset_ms,
        actions: data.actions,
        taken_at_ms,
    }
}

fn held<T>(items: Vec<T>, taken_at_ms: i64) -> Vec<Held<T>> {
    items
        .into_iter()
        .map(|item| Held { item, taken_at_ms })
        .collect()
}

fn upsert<T>(held: &mut Vec<Held<T>>, changed: Vec<T>, taken_at_ms: i64, id: fn(&T) -> &Arc<str>) {
    for item in changed {
        match held.iter_mut().find(|h| id(&h.item) == id(&item)) {
            Some(old) => *old = Held { item, taken_at_ms },
            None => held.push(Held { item, taken_at_ms }),
        }
    }
}

/// `/api/board`'s order: call centers and agents by name, then id.
fn sort(queues: &mut [Held<WireQueue>], agents: &mut [Held<WireAgent>]) {
    queues.sort_by(|a, b| (&a.item.name, &a.item.id).cmp(&(&b.item.name, &b.item.id)));
    agents.sort_by(|a, b| (&a.item.name, &a.item.id).cmp(&(&b.item.name, &b.item.id)));
}
