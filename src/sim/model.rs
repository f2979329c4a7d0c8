//! The demo XSP's event model: a discrete-event simulation of four call centers that yields the
//! XSI events BroadWorks would send. Pure: no I/O, no clock; time comes in through
//! [`Model::step`], randomness from one seeded RNG, so a seed replays the same events whatever
//! the step sizes.

use std::cmp::Ordering;
use std::collections::BinaryHeap;
use std::sync::Arc;

use rand::rngs::StdRng;
use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};

use crate::xsi::{
    AgentEvent, AgentEventKind, AgentJoin, AgentJoins, AgentState as AcdState, CallEvent,
    CallEventKind, Envelope, Event, EventData, QueueEntry, QueueSnapshot, RemoteParty,
    SubscriptionEvent,
};

use super::cast::{APPLICATION_ID, AREA_CODES, CALLER_NAMES, CENTERS, SUPERVISOR};
use super::center::{AgentState, Center, QueuedCall};

/// Mixed into the seed for the agents' own generator.
const AGENT_SEED: u64 = 0xa6e7_5eed_0000_0001;

/// Where the demo's subscriptions say events go, until the driver names the real listener.
const DEFAULT_HTTP_CONTACT: &str = "http://127.0.0.1:8765/xsi-events";

/// What is true at an instant for one call center: what a correct board shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueTruth {
    /// The call center's user id (`targetId`).
    pub target_id: Arc<str>,
    /// `acdName`.
    pub name: Arc<str>,
    /// `callId`s of every queued call (waiting, offered or bounced) in serving order.
    pub waiting: Vec<Arc<str>>,
    /// Accepted calls still in their whisper announcement: off the waiting list, already
    /// counted in `answered`, their `ACDCallAnsweredByAgentEvent` not yet sent.
    pub whispering: Vec<Arc<str>>,
    /// Calls accepted by an agent (whisper and answer count once).
    pub answered: u64,
    pub abandoned: u64,
    /// Calls that left otherwise: transferred, overflowed, released.
    pub departed: u64,
}

/// Something due at an instant; the agenda runs them in time order, ties in scheduling order.
#[derive(Debug, Clone)]
enum Action {
    /// Subscribed: a snapshot and a monitoring event per call center, then the day begins.
    Start,
    Arrival(usize),
    Abandon(usize, Arc<str>),
    /// The offer to an agent has rung long enough: answered, whispered or bounced.
    OfferOutcome(usize, Arc<str>, usize),
    WhisperEnd(usize, Arc<str>),
    AgentFree(usize, usize),
    /// The agent's call ended: wrap-up until its `AgentFree`.
    WrapUp(usize, usize),
    Promote(usize, Arc<str>),
    Overflow(usize, Arc<str>),
    Monitoring(usize),
    /// A supervisor acts on the queue: reorder, transfer or release a call.
    Supervisor(usize),
}

#[derive(Debug)]
struct Scheduled {
    at_ms: i64,
    order: u64,
    action: Action,
}

// A min-heap on (at_ms, order): `BinaryHeap` pops the greatest, so compare reversed.
impl Ord for Scheduled {
    fn cmp(&self, other: &Self) -> Ordering {
        (other.at_ms, other.order).cmp(&(self.at_ms, self.order))
    }
}
impl PartialOrd for Scheduled {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl PartialEq for Scheduled {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl Eq for Scheduled {}

/// The simulated XSP. See the module docs.
#[derive(Debug)]
pub struct Model {
    seed: u64,
    rng: StdRng,
    /// Agents' subscription and event ids (see [`AGENT_SEED`]).
    agent_rng: StdRng,
    centers: Vec<Center>,
    agenda: BinaryHeap<Scheduled>,
    scheduled: u64,
    /// Source of `callhalf-N:0` ids and `N:1` tracking ids.
    last_call: u64,
    http_contact: Arc<str>,
    out: Vec<Event>,
}

impl Model {
    /// A model of the four demo call centers whose subscriptions start at `start_ms` (epoch
    /// ms) with a few calls already waiting.
    pub fn new(seed: u64, start_ms: i64) -> Self {
        Self::with_call_centers(seed, start_ms, CENTERS.len())
    }

    /// As [`Model::new`] with `count` call centers (at least one): the demo's four, repeated
    /// with numbered ids (`sales2@demo.example`, "Sales 2") for load runs.
    pub fn with_call_centers(seed: u64, start_ms: i64, count: usize) -> Self {
        let mut rng = StdRng::seed_from_u64(seed);
        // Agents' ids come from their own generator, so that adding agent events left the
        // calls of every seed as they were.
        let mut agent_rng = StdRng::seed_from_u64(seed ^ AGENT_SEED);
        let centers = (0..count.max(1))
            .map(|i| {
                let spec = &CENTERS[i % CENTERS.len()];
                let group = i - i % CENTERS.len();
                // Transfers stay within the same group of four, if that sister exists.
                let transfer_to = spec
                    .transfer_to
                    .map(|sister| group + sister)
                    .filter(|&to| to < count);
                let subscriptions = (uuid(&mut rng), uuid(&mut rng));
                Center::new(spec, i / CENTERS.len(), transfer_to, subscriptions, || {
                    uuid(&mut agent_rng)
                })
            })
            .collect();
        let mut model = Model {
            seed,
            rng,
            agent_rng,
            centers,
            agenda: BinaryHeap::new(),
            scheduled: 0,
            last_call: 40_000,
            http_contact: DEFAULT_HTTP_CONTACT.into(),
            out: Vec::new(),
        };
        for c in 0..model.centers.len() {
            model.seed_queue(c, start_ms);
        }
        model.schedule(start_ms, Action::Start);
        model
    }

    /// The `httpContact/uri` every envelope names: where the events are posted.
    #[must_use]
    pub fn with_http_contact(mut self, uri: impl Into<Arc<str>>) -> Self {
        self.http_contact = uri.into();
        self
    }

    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// Run everything due up to `now_ms` and return the events it produced, in sending order.
    /// A `now_ms` earlier than a previous one produces nothing.
    pub fn step(&mut self, now_ms: i64) -> Vec<Event> {
        while self.agenda.peek().is_some_and(|s| s.at_ms <= now_ms) {
            if let Some(due) = self.agenda.pop() {
                self.run(due.at_ms, due.action);
            }
        }
        std::mem::take(&mut self.out)
    }

    /// The ground truth after the last step, one entry per call center.
    pub fn waiting(&self) -> Vec<QueueTruth> {
        self.centers
            .iter()
            .map(|c| QueueTruth {
                target_id: c.target_id.clone(),
                name: c.name.clone(),
                waiting: c.queue.iter().map(|q| q.entry.call_id.clone()).collect(),
                whispering: c.whispering.iter().map(|e| e.call_id.clone()).collect(),
                answered: c.answered,
                abandoned: c.abandoned,
                departed: c.departed,
            })
            .collect()
    }

    fn schedule(&mut self, at_ms: i64, action: Action) {
        self.scheduled += 1;
        self.agenda.push(Scheduled {
            at_ms,
            order: self.scheduled,
            action,
        });
    }

    /// A random duration in ms, exponential with the given mean in seconds, at least `min_secs`.
    fn exponential_ms(&mut self, mean_secs: f64, min_secs: f64) -> i64 {
        let u: f64 = self.rng.random();
        let secs = -mean_secs * (1.0 - u).ln();
        (secs.max(min_secs) * 1000.0) as i64
    }

    fn uniform_ms(&mut self, from_secs: i64, to_secs: i64) -> i64 {
        self.rng.random_range(from_secs * 1000..=to_secs * 1000)
    }

    fn run(&mut self, at: i64, action: Action) {
        match action {
            Action::Start => self.start(at),
            Action::Arrival(c) => self.arrival(c, at),
            Action::Abandon(c, call_id) => self.abandon(c, &call_id, at),
            Action::OfferOutcome(c, call_id, agent) => self.offer_outcome(c, &call_id, agent, at),
            Action::WhisperEnd(c, call_id) => self.whisper_end(c, &call_id, at),
            Action::AgentFree(c, agent) => {
                let was = self.centers[c].agents[agent].state;
                self.centers[c].agents[agent].state = AgentState::Idle { since_ms: at };
                if matches!(was, AgentState::Busy | AgentState::Unavailable) {
                    self.emit_agent(c, agent, AgentEventKind::State, AcdState::Available, at);
                }
                self.dispatch(c, at);
            }
            Action::WrapUp(c, agent) => {
                self.emit_agent(c, agent, AgentEventKind::State, AcdState::WrapUp, at);
            }
            Action::Promote(c, call_id) => self.promote(c, &call_id, at),
            Action::Overflow(c, call_id) => self.overflow(c, &call_id, at),
            Action::Monitoring(c) => {
                self.emit_monitoring(c, at);
                let next = self.uniform_ms(10, 20);
                self.schedule(at + next, Action::Monitoring(c));
            }
            Action::Supervisor(c) => self.supervisor(c, at),
        }
    }

    /// Calls already waiting when the subscription starts (their `addTime` in the past).
    fn seed_queue(&mut self, c: usize, start_ms: i64) {
        let count = self.rng.random_range(3..=6);
        let mut ages: Vec<i64> = (0..count).map(|_| self.uniform_ms(5, 150)).collect();
        ages.sort_unstable_by(|a, b| b.cmp(a));
        for age in ages {
            let entry = self.new_entry(c, start_ms - age);
            self.enqueue(c, entry, start_ms);
        }
    }

    fn start(&mut self, at: i64) {
        for c in 0..self.centers.len() {
            let entries = self.centers[c]
                .queue
                .iter()
                .map(|q| q.entry.clone())
                .collect();
            self.emit_queue(
                c,
                EventData::QueueSnapshot(QueueSnapshot {
                    resync: false,
                    entries,
                }),
            );
            self.emit_monitoring(c, at);
            // Every agent is finishing a call when the demo starts: the snapshot stays on
            // screen for a moment before the first offers.
            for agent in 0..self.centers[c].agents.len() {
                self.emit_agent(c, agent, AgentEventKind::Subscription, AcdState::WrapUp, at);
                let free = self.uniform_ms(2, 25);
                self.schedule(at + free, Action::AgentFree(c, agent));
            }
            let arrival = self.exponential_ms(60.0 / self.centers[c].spec.arrivals_per_min, 1.0);
            self.schedule(at + arrival, Action::Arrival(c));
            let monitoring = self.uniform_ms(10, 20);
            self.schedule(at + monitoring, Action::Monitoring(c));
            let supervisor = self.uniform_ms(30, 90);
            self.schedule(at + supervisor, Action::Supervisor(c));
        }
    }

    fn new_entry(&mut self, c: usize, add_time: i64) -> QueueEntry {
        self.last_call += 1;
        let n = self.last_call;
        let center = &self.centers[c];
        let (acd_name, acd_number) = (center.name.clone(), center.number.clone());
        let priority = *center.spec.priorities.choose(&mut self.rng).unwrap_or(&0);
        QueueEntry {
            call_id: format!("callhalf-{n}:0").into(),
            ext_tracking_id: format!("{n}:1").into(),
            remote_party: self.new_caller(),
            add_time: Some(add_time),
            acd_name: Some(acd_name),
            acd_number: Some(acd_number),
            acd_priority: Some(priority),
            add_time_in_priority_bucket: Some(add_time),
            ..QueueEntry::default()
        }
    }

    /// A caller as the network presents them: named, number only, or withheld.
    fn new_caller(&mut self) -> RemoteParty {
        let area = AREA_CODES.choose(&mut self.rng).copied().unwrap_or(202);
        let line = self.rng.random_range(100..=199);
        let address: Arc<str> = format!("tel:+1{area}555{line:04}").into();
        let roll: f64 = self.rng.random();
        let call_type = Some(Arc::from("Network"));
        if roll < 0.07 {
            RemoteParty {
                privacy: true,
                call_type,
                ..RemoteParty::default()
            }
        } else if roll < 0.2 {
            RemoteParty {
                address: Some(address),
                call_type,
                ..RemoteParty::default()
            }
        } else {
            let name = CALLER_NAMES
                .choose(&mut self.rng)
                .copied()
                .unwrap_or("Caller");
            RemoteParty {
                name: Some(name.into()),
                address: Some(address),
                call_type,
                ..RemoteParty::default()
            }
        }
    }

    /// Put a call in the queue and schedule what may happen to it; returns its position.
    fn enqueue(&mut self, c: usize, entry: QueueEntry, now: i64) -> u32 {
        let spec = self.centers[c].spec;
        let call_id = entry.call_id.clone();
        let add_time = entry.add_time.unwrap_or(now);
        let promotable = entry.acd_priority.unwrap_or(0) > 0;
        let position = self.centers[c].insert_at_bucket_end(QueuedCall {
            entry,
            offered_to: None,
        });
        let patience = self.exponential_ms(spec.patience_secs, 10.0);
        self.schedule(now + patience, Action::Abandon(c, call_id.clone()));
        let overflow_at = (add_time + spec.overflow_secs * 1000).max(now + 30_000);
        self.schedule(overflow_at, Action::Overflow(c, call_id.clone()));
        if let (Some(after), true) = (spec.promote_after_secs, promotable) {
            self.schedule(now + after * 1000, Action::Promote(c, call_id));
        }
        position
    }

    fn arrival(&mut self, c: usize, at: i64) {
        let spec = self.centers[c].spec;
        let next = self.exponential_ms(60.0 / spec.arrivals_per_min, 1.0);
        self.schedule(at + next, Action::Arrival(c));
        if self.centers[c].queue.len() >= spec.max_queue {
            return;
        }
        let entry = self.new_entry(c, at);
        self.add(c, entry, at);
    }

    fn add(&mut self, c: usize, entry: QueueEntry, at: i64) {
        let position = self.enqueue(c, entry.clone(), at);
        self.emit_call(c, CallEventKind::Added, entry, Some(position), None);
        self.dispatch(c, at);
    }

    /// Offer the first unoffered calls in serving order to the longest idle agents.
    fn dispatch(&mut self, c: usize, at: i64) {
        loop {
            let center = &mut self.centers[c];
            let Some(agent) = center.longest_idle_agent() else {
                return;
            };
            let Some(call) = center.queue.iter_mut().find(|q| q.offered_to.is_none()) else {
                return;
            };
            call.offered_to = Some(agent);
            let entry = call.entry.clone();
            center.agents[agent].state = AgentState::Ringing;
            let ring = self.uniform_ms(2, 8);
            self.schedule(
                at + ring,
                Action::OfferOutcome(c, entry.call_id.clone(), agent),
            );
            self.emit_call(c, CallEventKind::OfferedToAgent, entry, None, None);
        }
    }

    fn offer_outcome(&mut self, c: usize, call_id: &str, agent: usize, at: i64) {
        let center = &mut self.centers[c];
        let Some(i) = center
            .index_of(call_id)
            .filter(|&i| center.queue[i].offered_to == Some(agent))
        else {
            // The caller hung up while it rang; the agent was freed then.
            return;
        };
        let roll: f64 = self.rng.random();
        if roll < 0.15 {
            // Ring-no-answer: the call keeps its place, the agent is made unavailable.
            let center = &mut self.centers[c];
            let call = &mut center.queue[i];
            call.offered_to = None;
            call.entry.bounced = true;
            let entry = call.entry.clone();
            center.agents[agent].state = AgentState::Unavailable;
            let back = self.uniform_ms(15, 40);
            self.schedule(at + back, Action::AgentFree(c, agent));
            self.emit_agent(c, agent, AgentEventKind::State, AcdState::Unavailable, at);
            self.emit_call(c, CallEventKind::Bounced, entry, Some(i as u32 + 1), None);
            self.dispatch(c, at);
            return;
        }
        self.last_call += 1;
        let answering_call_id: Arc<str> = format!("callhalf-{}:0", self.last_call).into();
        let handle = self.exponential_ms(self.centers[c].spec.handle_secs, 10.0);
        let wrap_up = self.uniform_ms(3, 10);
        self.schedule(at + handle, Action::WrapUp(c, agent));
        self.schedule(at + handle + wrap_up, Action::AgentFree(c, agent));
        let whisper = self.rng.random_bool(0.25);
        let center = &mut self.centers[c];
        let mut entry = center.queue.remove(i).entry;
        center.agents[agent].state = AgentState::Busy;
        center.record_answer(at - entry.add_time.unwrap_or(at), handle);
        entry.answering_user_id = Some(center.agents[agent].user_id.clone());
        entry.answering_call_id = Some(answering_call_id);
        if whisper {
            center.whispering.push(entry.clone());
            let announcement = self.uniform_ms(3, 6);
            self.schedule(
                at + announcement,
                Action::WhisperEnd(c, entry.call_id.clone()),
            );
            self.emit_call(c, CallEventKind::WhisperStarted, entry, None, None);
        } else {
            entry.remove_time = Some(at);
            self.emit_call(c, CallEventKind::AnsweredByAgent, entry, None, None);
        }
    }

    fn whisper_end(&mut self, c: usize, call_id: &str, at: i64) {
        let center = &mut self.centers[c];
        let Some(i) = center
            .whispering
            .iter()
            .position(|e| &*e.call_id == call_id)
        else {
            return;
        };
        let mut entry = center.whispering.remove(i);
        entry.remove_time = Some(at);
        self.emit_call(c, CallEventKind::AnsweredByAgent, entry, None, None);
    }

    /// Take a call out of the queue, freeing an agent it was ringing.
    fn remove(&mut self, c: usize, index: usize, at: i64) -> QueueEntry {
        let center = &mut self.centers[c];
        let call = center.queue.remove(index);
        if let Some(agent) = call.offered_to {
            center.agents[agent].state = AgentState::Idle { since_ms: at };
        }
        let mut entry = call.entry;
        entry.remove_time = Some(at);
        entry
    }

    fn abandon(&mut self, c: usize, call_id: &str, at: i64) {
        let Some(i) = self.centers[c].index_of(call_id) else {
            return;
        };
        let entry = self.remove(c, i, at);
        self.centers[c].abandoned += 1;
        self.emit_call(c, CallEventKind::Abandoned, entry, None, None);
        self.dispatch(c, at);
    }

    fn overflow(&mut self, c: usize, call_id: &str, at: i64) {
        let Some(i) = self.centers[c].index_of(call_id) else {
            return;
        };
        if self.centers[c].queue[i].offered_to.is_some() {
            // Ringing an agent: BroadWorks waits for the offer's outcome.
            self.schedule(at + 10_000, Action::Overflow(c, call_id.into()));
            return;
        }
        let entry = self.remove(c, i, at);
        self.centers[c].departed += 1;
        self.emit_call(
            c,
            CallEventKind::Overflowed,
            entry,
            None,
            Some("time".into()),
        );
    }

    /// Priority escalation: a call that waited long in its bucket moves up one.
    fn promote(&mut self, c: usize, call_id: &str, at: i64) {
        let center = &mut self.centers[c];
        let Some(i) = center.index_of(call_id) else {
            return;
        };
        if center.queue[i].offered_to.is_some() {
            self.schedule(at + 10_000, Action::Promote(c, call_id.into()));
            return;
        }
        let mut call = center.queue.remove(i);
        let priority = call.priority().saturating_sub(1);
        call.entry.acd_priority = Some(priority);
        call.entry.add_time_in_priority_bucket = Some(at);
        let entry = call.entry.clone();
        let position = center.insert_at_bucket_end(call);
        if priority > 0
            && let Some(after) = center.spec.promote_after_secs
        {
            self.schedule(at + after * 1000, Action::Promote(c, call_id.into()));
        }
        self.emit_call(c, CallEventKind::Promoted, entry, Some(position), None);
    }

    /// Now and then a supervisor moves a call to the front of its bucket, transfers one to a
    /// sister call center, or releases one.
    fn supervisor(&mut self, c: usize, at: i64) {
        let next = self.uniform_ms(40, 90);
        self.schedule(at + next, Action::Supervisor(c));
        let candidates: Vec<usize> = self.centers[c]
            .queue
            .iter()
            .enumerate()
            .filter(|(_, q)| q.offered_to.is_none())
            .map(|(i, _)| i)
            .collect();
        let Some(&i) = candidates.choose(&mut self.rng) else {
            return;
        };
        let roll: f64 = self.rng.random();
        if roll < 0.4 {
            let center = &mut self.centers[c];
            let position = center.move_to_bucket_front(i);
            let call = &mut center.queue[position as usize - 1];
            call.entry.reordered = true;
            let entry = call.entry.clone();
            self.emit_call(c, CallEventKind::Reordered, entry, Some(position), None);
        } else if let (true, Some(to)) = (roll < 0.75, self.centers[c].transfer_to) {
            let entry = self.remove(c, i, at);
            self.centers[c].departed += 1;
            self.emit_call(c, CallEventKind::Transferred, entry.clone(), None, None);
            // The caller lands in the sister call center as a new call half, same caller.
            let mut moved = self.new_entry(to, at);
            moved.ext_tracking_id = entry.ext_tracking_id;
            moved.remote_party = entry.remote_party;
            self.add(to, moved, at);
            self.dispatch(c, at);
        } else {
            let entry = self.remove(c, i, at);
            self.centers[c].departed += 1;
            self.emit_call(c, CallEventKind::Released, entry, None, None);
            self.dispatch(c, at);
        }
    }

    fn emit_call(
        &mut self,
        c: usize,
        kind: CallEventKind,
        entry: QueueEntry,
        position: Option<u32>,
        overflow_reason: Option<Arc<str>>,
    ) {
        self.emit_queue(
            c,
            EventData::Call(CallEvent {
                kind,
                entry,
                position,
                overflow_reason,
            }),
        );
    }

    fn emit_queue(&mut self, c: usize, data: EventData) {
        let event_id = uuid(&mut self.rng);
        let center = &mut self.centers[c];
        let sequence = center.queue_subscription.next_sequence();
        let subscription_id = center.queue_subscription.id.clone();
        self.push(c, event_id, sequence, subscription_id, data);
    }

    fn emit_monitoring(&mut self, c: usize, at: i64) {
        let event_id = uuid(&mut self.rng);
        let center = &mut self.centers[c];
        let sequence = center.monitoring_subscription.next_sequence();
        let subscription_id = center.monitoring_subscription.id.clone();
        let data = EventData::Monitoring(center.monitoring(at));
        self.push(c, event_id, sequence, subscription_id, data);
    }

    /// An agent's state, on the agent's own subscription (the "Call Center Agent" package is
    /// subscribed per agent user). A ring-no-answer makes the agent unavailable with a code.
    fn emit_agent(&mut self, c: usize, a: usize, kind: AgentEventKind, state: AcdState, at: i64) {
        let event_id = uuid(&mut self.agent_rng);
        let center = &mut self.centers[c];
        let joined = center.target_id.clone();
        let agent = &mut center.agents[a];
        let sequence = agent.subscription.next_sequence();
        let subscription_id = agent.subscription.id.clone();
        let target = agent.user_id.clone();
        let data = EventData::Agent(AgentEvent {
            kind,
            type_name: kind.type_name().into(),
            state: Some(state),
            state_timestamp: Some(at),
            unavailable_code: (state == AcdState::Unavailable).then(|| Arc::from("RNA")),
            joins: (kind == AgentEventKind::Subscription).then(|| {
                AgentJoins::All(vec![AgentJoin {
                    call_center: joined,
                    joined: true,
                }])
            }),
        });
        self.push_to(target, event_id, sequence, subscription_id, data);
    }

    fn push(
        &mut self,
        c: usize,
        event_id: Arc<str>,
        sequence: u32,
        subscription_id: Arc<str>,
        data: EventData,
    ) {
        let target = self.centers[c].target_id.clone();
        self.push_to(target, event_id, sequence, subscription_id, data);
    }

    fn push_to(
        &mut self,
        target: Arc<str>,
        event_id: Arc<str>,
        sequence: u32,
        subscription_id: Arc<str>,
        data: EventData,
    ) {
        let envelope = Envelope {
            event_id,
            sequence_number: Some(sequence),
            user_id: SUPERVISOR.into(),
            external_application_id: APPLICATION_ID.into(),
            subscription_id,
            channel_id: None,
            http_contact: Some(self.http_contact.clone()),
            target_id: Some(target),
        };
        self.out
            .push(Event::Subscription(SubscriptionEvent { envelope, data }));
    }
}

/// A version-4-shaped UUID from the seeded RNG (BroadWorks' `eventID` and subscription ids).
fn uuid(rng: &mut StdRng) -> Arc<str> {
    let bits: u128 = rng.random();
    let bits = (bits & !(0xf << 76) | (0x4 << 76)) & !(0x3 << 62) | (0x2 << 62);
    format!(
        "{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
        bits >> 96,
        (bits >> 80) & 0xffff,
        (bits >> 64) & 0xffff,
        (bits >> 48) & 0xffff,
        bits & 0xffff_ffff_ffff
    )
    .into()
}
