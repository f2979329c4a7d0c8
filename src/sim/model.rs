//! The demo XSP's event model: a discrete-event simulation of the demo's call centers that
//! yields the XSI events BroadWorks would send. Pure: no I/O, no clock; time comes in through
//! [`Model::step`], randomness from one seeded RNG, so a seed replays the same events whatever
//! the step sizes.
//!
//! The day starts calm (short queues, most agents free, arrivals well below the call centers'
//! rates) and builds up over the first minutes, so that waits cross the warning threshold only
//! after a while. The call life cycle is in `calls`, the events' envelopes in `emit`.

use std::cmp::Ordering;
use std::collections::{BinaryHeap, HashMap};
use std::sync::Arc;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::xsi::{AgentEventKind, AgentState as AcdState, Event};

use super::agent::{Activity, Agent, AgentCounts};
use super::cast::{CENTERS, LATE_STARTERS};
use super::center::{Center, CenterSubscriptions, Subscription, numbered_id};
use super::emit::uuid;

/// Mixed into the seed for the agents' own generator.
const AGENT_SEED: u64 = 0xa6e7_5eed_0000_0001;

/// Where the demo's subscriptions say events go, until the driver names the real listener.
const DEFAULT_HTTP_CONTACT: &str = "http://127.0.0.1:8765/xsi-events";

/// Call Center Monitoring's throttling interval: while calls are queued, a monitoring event
/// goes out this often, and once more after the last call left.
pub(super) const MONITORING_INTERVAL_MS: i64 = 15_000;

/// How often the wallboard refreshes its subscriptions (its subscriber's proof interval), each
/// refresh bringing every subscription's initial event again: what keeps a quiet call
/// center's feed proved on the board.
const REFRESH_INTERVAL_MS: i64 = 5 * 60_000;

/// Arrivals start at this share of each call center's rate and reach it after
/// [`MORNING_RAMP_MS`]: a fresh demo opens calm, and queues build up over the next minutes.
const MORNING_FLOOR: f64 = 0.3;
const MORNING_RAMP_MS: i64 = 4 * 60_000;

/// Share of the agents already on a call when the demo starts.
const ON_CALL_AT_START: f64 = 0.25;

/// The `unavailableCode` an agent gets for letting an offer ring out.
pub(super) const RING_NO_ANSWER_CODE: &str = "RNA";

/// What is true at an instant for one call center: what a correct board shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroundTruth {
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
    /// Calls that never queued (night policy).
    pub not_queued: u64,
    /// The agents joined to this call center, as monitoring counts them.
    pub agents: AgentCounts,
}

/// Something due at an instant; the agenda runs them in time order, ties in scheduling order.
#[derive(Debug, Clone)]
pub(super) enum Action {
    /// Subscribed: each subscription's initial event, then the day begins.
    Start,
    /// The wallboard refreshed its subscriptions: each one's initial event again.
    Refresh,
    Arrival(usize),
    Abandon(usize, Arc<str>),
    /// The offer to agent `.2` has rung long enough: answered, whispered or bounced.
    OfferOutcome(usize, Arc<str>, usize),
    WhisperEnd(usize, Arc<str>),
    /// Agent `.1`'s call for call center `.0` ended after `.2` ms of talk (when known): wrap-up
    /// until its `AgentFree`.
    WrapUp(usize, usize, Option<i64>),
    AgentFree(usize),
    /// A late starter arrives and signs in.
    SignIn(usize),
    Promote(usize, Arc<str>),
    Overflow(usize, Arc<str>),
    /// The monitoring throttling interval of a call center ended.
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
    pub(super) rng: StdRng,
    /// Agents' subscription and event ids (see [`AGENT_SEED`]).
    pub(super) agent_rng: StdRng,
    /// When the subscriptions started: the morning's arrivals ramp up from here.
    start_ms: i64,
    pub(super) centers: Vec<Center>,
    pub(super) agents: Vec<Agent>,
    /// Call centers whose agents changed state since the last monitoring check.
    restaffed: Vec<usize>,
    agenda: BinaryHeap<Scheduled>,
    scheduled: u64,
    /// Source of `callhalf-N:0` ids and `N:1` tracking ids.
    pub(super) last_call: u64,
    pub(super) http_contact: Arc<str>,
    pub(super) out: Vec<Event>,
}

impl Model {
    /// A model of the demo's call centers whose subscriptions start at `start_ms` (epoch ms).
    pub fn new(seed: u64, start_ms: i64) -> Self {
        Self::with_call_centers(seed, start_ms, CENTERS.len())
    }

    /// As [`Model::new`] with `count` call centers (at least one): the demo's, repeated with
    /// numbered ids (`sales2@demo.example`, "Sales 2", `ana.silva2@demo.example`) for load runs.
    pub fn with_call_centers(seed: u64, start_ms: i64, count: usize) -> Self {
        let mut rng = StdRng::seed_from_u64(seed);
        // Agents' ids come from their own generator, so that adding agent events left the
        // calls of every seed as they were.
        let agent_rng = StdRng::seed_from_u64(seed ^ AGENT_SEED);
        let count = count.max(1);
        let centers = (0..count)
            .map(|i| {
                let spec = &CENTERS[i % CENTERS.len()];
                let group = i - i % CENTERS.len();
                // Transfers stay within the same group of copies, if that sister exists.
                let transfer_to = spec
                    .transfer_to
                    .map(|sister| group + sister)
                    .filter(|&to| to < count);
                let subscriptions = CenterSubscriptions {
                    queue: Subscription::new(uuid(&mut rng)),
                    monitoring: Subscription::new(uuid(&mut rng)),
                    configuration: Subscription::new(uuid(&mut rng)),
                };
                Center::new(spec, i / CENTERS.len(), transfer_to, subscriptions)
            })
            .collect();
        let mut model = Model {
            seed,
            rng,
            agent_rng,
            start_ms,
            centers,
            agents: Vec::new(),
            restaffed: Vec::new(),
            agenda: BinaryHeap::new(),
            scheduled: 0,
            last_call: 40_000,
            http_contact: DEFAULT_HTTP_CONTACT.into(),
            out: Vec::new(),
        };
        model.join_agents();
        model.staff_the_morning(start_ms);
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
                self.send_changed_monitoring(due.at_ms);
            }
        }
        std::mem::take(&mut self.out)
    }

    /// The ground truth after the last step, one entry per call center.
    pub fn waiting(&self) -> Vec<GroundTruth> {
        (0..self.centers.len())
            .map(|c| {
                let center = &self.centers[c];
                GroundTruth {
                    target_id: center.target_id.clone(),
                    name: center.name.clone(),
                    waiting: center
                        .queue
                        .iter()
                        .map(|q| q.entry.call_id.clone())
                        .collect(),
                    whispering: center
                        .whispering
                        .iter()
                        .map(|e| e.call_id.clone())
                        .collect(),
                    answered: center.answered,
                    abandoned: center.abandoned,
                    departed: center.departed,
                    not_queued: center.not_queued,
                    agents: self.agent_counts(c),
                }
            })
            .collect()
    }

    pub(super) fn schedule(&mut self, at_ms: i64, action: Action) {
        self.scheduled += 1;
        self.agenda.push(Scheduled {
            at_ms,
            order: self.scheduled,
            action,
        });
    }

    /// A random duration in ms, exponential with the given mean in seconds, at least `min_secs`.
    pub(super) fn exponential_ms(&mut self, mean_secs: f64, min_secs: f64) -> i64 {
        let u: f64 = self.rng.random();
        let secs = -mean_secs * (1.0 - u).ln();
        (secs.max(min_secs) * 1000.0) as i64
    }

    pub(super) fn uniform_ms(&mut self, from_secs: i64, to_secs: i64) -> i64 {
        self.rng.random_range(from_secs * 1000..=to_secs * 1000)
    }

    /// The time to a call center's next candidate arrival at its full rate; [`Model::morning`]
    /// then keeps a share of them (thinning: arrivals follow the morning's rising rate however
    /// long the draws).
    pub(super) fn interarrival_ms(&mut self, c: usize) -> i64 {
        self.exponential_ms(60.0 / self.centers[c].spec.arrivals_per_min, 1.0)
    }

    /// How busy the morning is at `at_ms`, as a share of the call centers' full rates.
    pub(super) fn morning(&self, at_ms: i64) -> f64 {
        let ramp = (at_ms - self.start_ms) as f64 / MORNING_RAMP_MS as f64;
        MORNING_FLOOR + (1.0 - MORNING_FLOOR) * ramp.clamp(0.0, 1.0)
    }

    fn run(&mut self, at: i64, action: Action) {
        match action {
            Action::Start => self.start(at),
            Action::Refresh => {
                self.initial_events(at);
                self.schedule(at + REFRESH_INTERVAL_MS, Action::Refresh);
            }
            Action::Arrival(c) => self.arrival(c, at),
            Action::Abandon(c, call_id) => self.abandon(c, &call_id, at),
            Action::OfferOutcome(c, call_id, agent) => self.offer_outcome(c, &call_id, agent, at),
            Action::WhisperEnd(c, call_id) => self.whisper_end(c, &call_id, at),
            Action::WrapUp(c, agent, handle_ms) => {
                if let Some(handle_ms) = handle_ms {
                    self.centers[c].record_handled(handle_ms);
                }
                self.set_activity(agent, Activity::WrapUp, at);
            }
            Action::AgentFree(agent) => {
                self.set_activity(agent, Activity::Idle { since_ms: at }, at);
                self.offer_to(agent, at);
            }
            Action::SignIn(agent) => self.sign_in(agent, at),
            Action::Promote(c, call_id) => self.promote(c, &call_id, at),
            Action::Overflow(c, call_id) => self.overflow(c, &call_id, at),
            Action::Monitoring(c) => self.monitoring_interval(c, at),
            Action::Supervisor(c) => self.supervisor(c, at),
        }
    }

    /// Each agent once, in the call centers that list them (an agent listed by two is joined to
    /// both and has one subscription).
    fn join_agents(&mut self) {
        let mut by_id: HashMap<Arc<str>, usize> = HashMap::new();
        for c in 0..self.centers.len() {
            let spec = self.centers[c].spec;
            for id in spec.agents {
                let user_id = numbered_id(id, c / CENTERS.len());
                let a = if let Some(&a) = by_id.get(&user_id) {
                    a
                } else {
                    let subscription = Subscription::new(uuid(&mut self.agent_rng));
                    self.agents.push(Agent::new(user_id.clone(), subscription));
                    by_id.insert(user_id, self.agents.len() - 1);
                    self.agents.len() - 1
                };
                self.agents[a].centers.push(c);
                self.centers[c].agents.push(a);
            }
        }
    }

    /// Who is in when the demo starts: most agents, free for a while or on a first call; late
    /// starters sign in over the first minutes; a call center on night service has nobody.
    fn staff_the_morning(&mut self, start_ms: i64) {
        for a in 0..self.agents.len() {
            let agent = &self.agents[a];
            let first = agent.centers.first().copied().unwrap_or(0);
            let copy = first / CENTERS.len();
            let late = LATE_STARTERS
                .iter()
                .any(|id| numbered_id(id, copy) == agent.user_id);
            let at_work = agent
                .centers
                .iter()
                .any(|&c| !self.centers[c].spec.night_service);
            let (activity, since_ms) = if !at_work || late {
                if at_work {
                    let arrives = self.uniform_ms(60, 240);
                    self.schedule(start_ms + arrives, Action::SignIn(a));
                }
                (
                    Activity::SignedOut,
                    start_ms - self.uniform_ms(3_600, 14_400),
                )
            } else {
                let since_ms = start_ms - self.uniform_ms(20, 300);
                if self.rng.random_bool(ON_CALL_AT_START) {
                    let talk = self.uniform_ms(5, 30);
                    let wrap_up = self.uniform_ms(3, 10);
                    self.schedule(start_ms + talk, Action::WrapUp(first, a, None));
                    self.schedule(start_ms + talk + wrap_up, Action::AgentFree(a));
                    (Activity::OnCall, since_ms)
                } else {
                    (Activity::Idle { since_ms }, since_ms)
                }
            };
            let agent = &mut self.agents[a];
            agent.activity = activity;
            agent.reported = activity.acd_state();
            agent.reported_since_ms = since_ms;
        }
    }

    /// A call just arrived when the subscription starts, or none: a calm morning.
    fn seed_queue(&mut self, c: usize, start_ms: i64) {
        if self.centers[c].spec.night_service || self.rng.random_bool(0.5) {
            return;
        }
        let age = self.uniform_ms(2, 12);
        let entry = self.new_entry(c, start_ms - age);
        self.enqueue(c, entry, start_ms);
    }

    /// Subscribed: each subscription's initial event, then the day's first arrivals, offers,
    /// monitoring intervals, supervisors and refreshes are set going.
    fn start(&mut self, at: i64) {
        self.initial_events(at);
        self.schedule(at + REFRESH_INTERVAL_MS, Action::Refresh);
        for c in 0..self.centers.len() {
            let arrival = self.interarrival_ms(c);
            self.schedule(at + arrival, Action::Arrival(c));
            if self.centers[c].spec.night_service {
                continue;
            }
            let phase = self.rng.random_range(1..=MONITORING_INTERVAL_MS);
            self.schedule(at + phase, Action::Monitoring(c));
            let supervisor = self.uniform_ms(30, 90);
            self.schedule(at + supervisor, Action::Supervisor(c));
            self.dispatch(c, at);
        }
    }

    /// What BroadWorks sends after a subscribe or refresh: per agent the joined call centers
    /// and state, per call center the queue snapshot, monitoring and whole configuration.
    /// Agents come first so that no monitoring count is ever ahead of the agents it counts.
    fn initial_events(&mut self, at: i64) {
        for a in 0..self.agents.len() {
            self.emit_agent(a, AgentEventKind::Subscription);
        }
        for c in 0..self.centers.len() {
            self.emit_snapshot(c);
            self.emit_monitoring(c, at);
            self.emit_configuration(c);
        }
    }

    /// The end of a monitoring throttling interval: an event if calls were queued during it.
    fn monitoring_interval(&mut self, c: usize, at: i64) {
        let center = &mut self.centers[c];
        let due = center.queued_in_interval || !center.queue.is_empty();
        center.queued_in_interval = !center.queue.is_empty();
        if due {
            self.emit_monitoring(c, at);
        }
        self.schedule(at + MONITORING_INTERVAL_MS, Action::Monitoring(c));
    }

    /// A monitoring event for each call center whose agent counts changed, after the agent
    /// events that changed them: one per instant, however many agents moved.
    fn send_changed_monitoring(&mut self, at: i64) {
        if self.restaffed.is_empty() {
            return;
        }
        let mut restaffed = std::mem::take(&mut self.restaffed);
        restaffed.sort_unstable();
        restaffed.dedup();
        for &c in &restaffed {
            let now = self.agent_counts(c).monitored();
            if self.centers[c].counts_sent.map(AgentCounts::monitored) != Some(now) {
                self.emit_monitoring(c, at);
            }
        }
        restaffed.clear();
        self.restaffed = restaffed;
    }

    pub(super) fn agent_counts(&self, c: usize) -> AgentCounts {
        AgentCounts::of(self.centers[c].agents.iter().map(|&a| &self.agents[a]))
    }

    /// Change what agent `a` does; the Agent package hears of it when the ACD state changes
    /// (not when an Available agent starts ringing or talking), monitoring at the end of the
    /// instant if the counts changed.
    pub(super) fn set_activity(&mut self, a: usize, activity: Activity, at: i64) {
        let agent = &mut self.agents[a];
        agent.activity = activity;
        let state = activity.acd_state();
        if state != agent.reported {
            agent.reported = state;
            agent.reported_since_ms = at;
            agent.unavailable_code =
                (state == AcdState::Unavailable).then(|| Arc::from(RING_NO_ANSWER_CODE));
            self.emit_agent(a, AgentEventKind::State);
        }
        let centers = &self.agents[a].centers;
        self.restaffed.extend_from_slice(centers);
    }

    /// A late starter signs in (`Sign-In`, then `Available` at once) and takes the next call.
    fn sign_in(&mut self, a: usize, at: i64) {
        let agent = &mut self.agents[a];
        agent.reported = AcdState::SignIn;
        agent.reported_since_ms = at;
        self.emit_agent(a, AgentEventKind::State);
        self.set_activity(a, Activity::Idle { since_ms: at }, at);
        self.offer_to(a, at);
    }

    /// A free agent takes the next call of the call centers they are joined to, the one whose
    /// next caller has waited longest first.
    pub(super) fn offer_to(&mut self, a: usize, at: i64) {
        let mut centers = self.agents[a].centers.clone();
        centers.sort_by_key(|&c| self.centers[c].first_unoffered_added().unwrap_or(i64::MAX));
        for c in centers {
            self.dispatch(c, at);
        }
    }
}
