//! The demo XSP: the model's events obey the protocol's rules and its ground truth, the real
//! board shows them without gaps, late events or agents that disagree with monitoring, and the
//! driver delivers them over real HTTP in order.

#[path = "common/feed_words.rs"]
mod feed_words;
use feed_words::Words as _;
#[path = "common/tools.rs"]
mod tools;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

use xsi_wallboard::board::{
    Applier, ApplyOutcome, Board, BoardConfig, QueueRow, ServiceMode, Severity,
};
use xsi_wallboard::sim::{self, GroundTruth, Model, SimOptions};
use xsi_wallboard::status::{FeedSource, Health, LinkStatus};
use xsi_wallboard::xsi::{
    AgentEventKind, AgentJoins, AgentState, CallEventKind, ConfigurationKind, Event, EventData,
    MonitoringStatus, NotQueuedKind, SubscriptionEvent, parse_event, write_event,
};

const START_MS: i64 = 1_764_338_400_000;
const TEN_MINUTES_MS: i64 = 10 * 60 * 1000;

/// Step a model from its start for `duration_ms`, every `tick_ms`.
fn run_model(seed: u64, duration_ms: i64, tick_ms: i64) -> Vec<Event> {
    let mut model = Model::new(seed, START_MS);
    let mut events = Vec::new();
    let mut now = START_MS;
    while now <= START_MS + duration_ms {
        events.extend(model.step(now));
        now += tick_ms;
    }
    events
}

fn subscription(event: &Event) -> &SubscriptionEvent {
    match event {
        Event::Subscription(s) => s,
        other => panic!("the demo sends only SubscriptionEvents, got {other:?}"),
    }
}

fn target(event: &SubscriptionEvent) -> Arc<str> {
    event
        .envelope
        .target_id
        .clone()
        .expect("every demo event names its call center")
}

/// A board built by the simplest reading of the protocol: each queue in serving order as the
/// events' positions say, plus the counts. Panics on any event that breaks a call's life
/// cycle, so it is also the invariant check.
#[derive(Debug, Default)]
struct Replica {
    queues: HashMap<Arc<str>, Vec<Arc<str>>>,
    whispering: HashSet<(Arc<str>, Arc<str>)>,
    ended: HashSet<(Arc<str>, Arc<str>)>,
    known: HashSet<(Arc<str>, Arc<str>)>,
    answered: HashMap<Arc<str>, u64>,
    abandoned: HashMap<Arc<str>, u64>,
    departed: HashMap<Arc<str>, u64>,
    largest_queue: usize,
    kinds: HashSet<CallEventKind>,
    /// Each agent heard from (each on its own subscription): last state and joined call centers.
    agents: HashMap<Arc<str>, (AgentState, Vec<Arc<str>>)>,
    not_queued: HashMap<Arc<str>, u64>,
    /// Call centers whose whole configuration came, and those of them on night service.
    configured: HashSet<Arc<str>>,
    night: HashSet<Arc<str>>,
    monitoring_events: usize,
}

impl Replica {
    fn apply(&mut self, event: &SubscriptionEvent) {
        let cc = target(event);
        match &event.data {
            EventData::QueueSnapshot(snapshot) => {
                let ids: Vec<Arc<str>> =
                    snapshot.entries.iter().map(|e| e.call_id.clone()).collect();
                if let Some(queue) = self.queues.get(&cc) {
                    // A refresh's snapshot: the queue the events built, in serving order.
                    assert_eq!(queue, &ids, "{cc}: refresh snapshot");
                } else {
                    for id in &ids {
                        assert!(self.known.insert((cc.clone(), id.clone())));
                    }
                    self.queues.insert(cc, ids);
                }
            }
            EventData::Call(call) => self.apply_call(&cc, call),
            EventData::Monitoring(status) => self.check_monitoring(&cc, status),
            EventData::Configuration(configuration) => {
                assert_eq!(configuration.kind, ConfigurationKind::Subscription);
                let whole = [
                    configuration.forced_forwarding,
                    configuration.holiday_service,
                    configuration.night_service,
                    configuration.force_night_service,
                ];
                assert!(whole.iter().all(Option::is_some), "{configuration:?}");
                let night = configuration.night_service == Some(true);
                if !self.configured.insert(cc.clone()) {
                    assert_eq!(
                        self.night.contains(&cc),
                        night,
                        "{cc}: configuration changed"
                    );
                }
                if night {
                    self.night.insert(cc);
                }
            }
            EventData::NotQueued(call) => {
                assert_eq!(call.kind, NotQueuedKind::NightPolicyApplied);
                assert!(self.night.contains(&cc), "night policy by day");
                assert!(call.acd_name.is_some() && call.acd_number.is_some());
                *self.not_queued.entry(cc).or_default() += 1;
            }
            // Agents' states, on their own subscriptions: no queue changes.
            EventData::Agent(agent) => {
                let state = agent.state.expect("every demo agent event has a state");
                let joined = match (&agent.kind, &agent.joins) {
                    (AgentEventKind::Subscription, Some(AgentJoins::All(all))) => {
                        assert!(all.iter().all(|j| j.joined) && !all.is_empty());
                        let joined: Vec<Arc<str>> =
                            all.iter().map(|j| j.call_center.clone()).collect();
                        if let Some((before, joined_before)) = self.agents.get(&cc) {
                            // A refresh's initial event: the same agent, as last reported.
                            assert_eq!((before, joined_before), (&state, &joined), "{cc}");
                        }
                        joined
                    }
                    (AgentEventKind::State, None) => {
                        let (_, joined) = self.agents.get(&cc).expect("initial event first");
                        joined.clone()
                    }
                    other => panic!("unexpected agent event {other:?}"),
                };
                self.agents.insert(cc, (state, joined));
            }
            other => panic!("unexpected event data {other:?}"),
        }
        let size = self.queues.values().map(Vec::len).max().unwrap_or(0);
        self.largest_queue = self.largest_queue.max(size);
    }

    /// How many of the agents joined to `cc` are in a state the predicate accepts.
    fn agents_of(&self, cc: &str, state: impl Fn(AgentState) -> bool) -> usize {
        self.agents
            .values()
            .filter(|(s, joined)| joined.iter().any(|c| &**c == cc) && state(*s))
            .count()
    }

    /// Monitoring counts the same agents the Agent package reported, sent after them: staffed
    /// are the signed in, unavailable the Unavailable, and idle at most the Available (an
    /// agent ringing or talking stays Available: BroadWorks has no on-call state).
    fn check_monitoring(&mut self, cc: &Arc<str>, status: &MonitoringStatus) {
        self.monitoring_events += 1;
        let count = |n: usize| Some(i64::try_from(n).expect("a few agents"));
        let signed_in = self.agents_of(cc, |s| s != AgentState::SignOut);
        let unavailable = self.agents_of(cc, |s| s == AgentState::Unavailable);
        let available = self.agents_of(cc, |s| s == AgentState::Available);
        assert_eq!(status.num_agents_staffed, count(signed_in), "{cc} staffed");
        assert_eq!(
            status.num_staffed_agents_unavailable,
            count(unavailable),
            "{cc} unavailable"
        );
        assert!(
            status.num_staffed_agents_idle <= count(available),
            "{cc}: idle {:?} of {available} Available",
            status.num_staffed_agents_idle
        );
    }

    fn apply_call(&mut self, cc: &Arc<str>, call: &xsi_wallboard::xsi::CallEvent) {
        let key = (cc.clone(), call.entry.call_id.clone());
        let kind = call.kind;
        self.kinds.insert(kind);
        assert!(
            !self.ended.contains(&key),
            "{kind:?} after the end of {key:?}"
        );
        let carries_position = matches!(
            kind,
            CallEventKind::Added
                | CallEventKind::Bounced
                | CallEventKind::Promoted
                | CallEventKind::Reordered
        );
        assert_eq!(
            call.position.is_some(),
            carries_position,
            "position with {kind:?}"
        );
        if kind == CallEventKind::Added {
            assert!(self.known.insert(key.clone()), "{key:?} added twice");
        } else {
            assert!(self.known.contains(&key), "{kind:?} before Added: {key:?}");
        }
        if self.whispering.contains(&key) {
            // The answer that follows the whisper is the answer.
            assert_eq!(kind, CallEventKind::AnsweredByAgent, "after a whisper");
            *self.answered.entry(cc.clone()).or_default() += 1;
            self.whispering.remove(&key);
            self.ended.insert(key);
            return;
        }
        let queue = self.queues.get_mut(cc).expect("snapshot before calls");
        let index = queue.iter().position(|id| *id == key.1);
        let position = call.position.map(|p| p as usize - 1);
        match kind {
            CallEventKind::Added => {
                let at = position.expect("Added has a position");
                assert!(
                    at <= queue.len(),
                    "Added at {at} in a queue of {}",
                    queue.len()
                );
                queue.insert(at, key.1.clone());
            }
            CallEventKind::Bounced => {
                assert_eq!(index, position, "a bounced call keeps its place");
            }
            CallEventKind::Promoted | CallEventKind::Reordered => {
                let from = index.expect("moved call is queued");
                let id = queue.remove(from);
                queue.insert(position.expect("moved call has a position"), id);
            }
            CallEventKind::OfferedToAgent => {
                assert!(index.is_some(), "offered call is queued");
            }
            _ => {
                assert!(kind.ends_call(), "{kind:?} not produced by the demo");
                let from = index.expect("ending call is queued");
                queue.remove(from);
                match kind {
                    CallEventKind::WhisperStarted => {
                        assert!(call.entry.answering_user_id.is_some());
                        self.whispering.insert(key);
                        return;
                    }
                    CallEventKind::AnsweredByAgent => {
                        *self.answered.entry(cc.clone()).or_default() += 1;
                        assert!(call.entry.answering_user_id.is_some());
                    }
                    CallEventKind::Abandoned => {
                        *self.abandoned.entry(cc.clone()).or_default() += 1;
                    }
                    _ => *self.departed.entry(cc.clone()).or_default() += 1,
                }
                assert!(call.entry.remove_time.is_some(), "{kind:?} has removeTime");
                self.ended.insert(key);
            }
        }
    }

    fn agrees_with(&self, truth: &[GroundTruth]) {
        for t in truth {
            assert_eq!(
                self.queues.get(&t.target_id),
                Some(&t.waiting),
                "{}",
                t.name
            );
            let whispering: HashSet<_> = self
                .whispering
                .iter()
                .filter(|(cc, _)| *cc == t.target_id)
                .map(|(_, id)| id.clone())
                .collect();
            assert_eq!(whispering, t.whispering.iter().cloned().collect());
            let count = |m: &HashMap<Arc<str>, u64>| m.get(&t.target_id).copied().unwrap_or(0);
            assert_eq!(count(&self.answered), t.answered, "{} answered", t.name);
            assert_eq!(count(&self.abandoned), t.abandoned, "{} abandoned", t.name);
            assert_eq!(count(&self.departed), t.departed, "{} departed", t.name);
            assert_eq!(
                count(&self.not_queued),
                t.not_queued,
                "{} not queued",
                t.name
            );
            let cc = &*t.target_id;
            let agents = &t.agents;
            assert_eq!(self.agents_of(cc, |_| true), agents.assigned, "{cc} agents");
            assert_eq!(
                self.agents_of(cc, |s| s != AgentState::SignOut),
                agents.staffed
            );
            assert_eq!(
                self.agents_of(cc, |s| s == AgentState::Available),
                agents.idle + agents.on_call,
                "{cc}: Available are the idle and those ringing or talking"
            );
            assert_eq!(
                self.agents_of(cc, |s| s == AgentState::Unavailable),
                agents.unavailable
            );
            assert_eq!(
                self.agents_of(cc, |s| s == AgentState::WrapUp),
                agents.wrap_up
            );
        }
    }
}

#[test]
fn same_seed_same_events() {
    assert_eq!(run_model(7, 120_000, 200), run_model(7, 120_000, 200));
}

#[test]
fn events_do_not_depend_on_step_size() {
    let fine = run_model(11, 120_000, 100);
    let mut model = Model::new(11, START_MS);
    let coarse = model.step(START_MS + 120_000);
    assert_eq!(fine, coarse);
}

#[test]
fn different_seeds_differ() {
    assert_ne!(run_model(1, 60_000, 200), run_model(2, 60_000, 200));
}

#[test]
fn first_step_sends_each_subscriptions_initial_event_on_a_calm_morning() {
    let mut model = Model::new(3, START_MS);
    let events = model.step(START_MS);
    let events: Vec<&SubscriptionEvent> = events.iter().map(subscription).collect();
    // Each subscription opens with its initial event, numbered 1.
    let mut opening: HashMap<Arc<str>, &SubscriptionEvent> = HashMap::new();
    for event in &events {
        opening
            .entry(event.envelope.subscription_id.clone())
            .or_insert(event);
    }
    for event in opening.values() {
        assert_eq!(event.envelope.sequence_number, Some(1));
        assert!(
            [
                "ACDSubscriptionEvent",
                "CallCenterMonitoringEvent",
                "ACDConfigurationSubscriptionEvent",
                "AgentSubscriptionEvent",
            ]
            .contains(&event.data.type_name()),
            "{} opens a subscription",
            event.data.type_name()
        );
    }
    let truth = model.waiting();
    assert_eq!(truth.len(), 5, "five call centers");
    for t in &truth {
        let of_cc: Vec<&str> = events
            .iter()
            .filter(|e| e.envelope.target_id.as_ref() == Some(&t.target_id))
            .map(|e| e.data.type_name())
            .take(3)
            .collect();
        assert_eq!(
            of_cc,
            [
                "ACDSubscriptionEvent",
                "CallCenterMonitoringEvent",
                "ACDConfigurationSubscriptionEvent"
            ],
            "{}",
            t.name
        );
    }
    let mut replica = Replica::default();
    for event in &events {
        replica.apply(event);
    }
    let night: Vec<&str> = truth
        .iter()
        .filter(|t| replica.night.contains(&t.target_id))
        .map(|t| &*t.name)
        .collect();
    assert_eq!(night, ["APAC Desk"], "one call center on night service");
    assert_eq!(replica.configured.len(), truth.len());
    // Agents: each one initial event listing the call centers joined, one of them in two.
    let agent_ids: HashSet<_> = events
        .iter()
        .filter(|e| e.data.type_name() == "AgentSubscriptionEvent")
        .map(|e| target(e))
        .collect();
    assert_eq!(agent_ids.len(), replica.agents.len());
    assert!(replica.agents.values().any(|(_, joined)| joined.len() == 2));
    let signed_out = replica
        .agents
        .values()
        .filter(|(s, _)| *s == AgentState::SignOut)
        .count();
    assert!(
        (3..=6).contains(&signed_out),
        "late starters and the night desk's agents"
    );
    // A calm morning: a call or none in each queue, just arrived.
    for event in &events {
        if let EventData::QueueSnapshot(snapshot) = &event.data {
            assert!(snapshot.entries.len() <= 1, "{snapshot:?}");
            assert!(snapshot.entries.iter().all(|e| {
                e.add_time
                    .is_some_and(|t| (START_MS - 15_000..START_MS).contains(&t))
            }));
        }
    }
    replica.agrees_with(&truth);
}

#[test]
fn ten_minutes_keep_every_rule_and_match_the_ground_truth() {
    let mut kinds = HashSet::new();
    for seed in [1, 2, 3] {
        let mut model = Model::new(seed, START_MS);
        let mut replica = Replica::default();
        let mut sequences: HashMap<Arc<str>, u32> = HashMap::new();
        let mut event_ids = HashSet::new();
        let mut now = START_MS;
        while now <= START_MS + TEN_MINUTES_MS {
            for event in &model.step(now) {
                let event = subscription(event);
                let envelope = &event.envelope;
                let last = sequences
                    .entry(envelope.subscription_id.clone())
                    .or_default();
                assert_eq!(envelope.sequence_number, Some(*last + 1), "sequence");
                *last += 1;
                assert!(
                    event_ids.insert(envelope.event_id.clone()),
                    "eventID reused"
                );
                assert_eq!(envelope.event_id.len(), 36, "uuid-shaped eventID");
                assert_eq!(envelope.event_id.as_bytes()[14], b'4', "version 4");
                replica.apply(event);
            }
            replica.agrees_with(&model.waiting());
            now += 250;
        }
        // Three subscriptions (queue, monitoring, configuration) per call center, one per agent.
        assert!(replica.agents.len() >= 15, "agents heard from");
        assert_eq!(
            sequences.len(),
            3 * model.waiting().len() + replica.agents.len()
        );
        assert!(replica.monitoring_events > 50, "monitoring checked");
        assert!(
            replica.largest_queue <= 12,
            "queue grew to {}",
            replica.largest_queue
        );
        kinds.extend(replica.kinds);
        let truth = model.waiting();
        let (open, night): (Vec<_>, Vec<_>) = truth
            .iter()
            .partition(|t| !replica.night.contains(&t.target_id));
        assert!(open.iter().all(|t| t.answered > 0 && t.abandoned > 0));
        assert!(night.iter().all(|t| t.not_queued > 0 && t.answered == 0));
    }
    // The calm mornings of these seeds together (a VIP call is promoted only after 45 s
    // unanswered in its bucket, which a calm morning may never see).
    for kind in [
        CallEventKind::Added,
        CallEventKind::OfferedToAgent,
        CallEventKind::Bounced,
        CallEventKind::WhisperStarted,
        CallEventKind::AnsweredByAgent,
        CallEventKind::Abandoned,
        CallEventKind::Promoted,
        CallEventKind::Reordered,
    ] {
        assert!(kinds.contains(&kind), "no {kind:?}");
    }
}

#[test]
fn calls_leave_in_every_way_the_demo_knows() {
    let mut kinds = HashSet::new();
    // Overflow by time is rare: the caller must outwait the overflow time without hanging up.
    for seed in 1..=8 {
        for event in run_model(seed, 20 * 60 * 1000, 1000)
            .iter()
            .map(subscription)
        {
            if let EventData::Call(call) = &event.data {
                kinds.insert(call.kind);
            }
        }
    }
    for kind in [
        CallEventKind::Transferred,
        CallEventKind::Released,
        CallEventKind::Overflowed,
    ] {
        assert!(
            kinds.contains(&kind),
            "no {kind:?} in 160 simulated minutes"
        );
    }
}

#[test]
fn queues_hover_in_a_readable_range() {
    let mut model = Model::new(5, START_MS);
    let mut samples = Vec::new();
    for minute in 1..=30 {
        model.step(START_MS + minute * 60_000);
        samples.extend(model.waiting().iter().map(|t| t.waiting.len()));
    }
    let mean = samples.iter().sum::<usize>() as f64 / samples.len() as f64;
    assert!((2.0..=12.0).contains(&mean), "mean queue length {mean}");
}

#[test]
fn callers_look_like_real_callers() {
    let events = run_model(9, TEN_MINUTES_MS, 1000);
    let parties: Vec<_> = events
        .iter()
        .map(subscription)
        .filter_map(|e| match &e.data {
            EventData::Call(c) if c.kind == CallEventKind::Added => {
                Some(c.entry.remote_party.clone())
            }
            _ => None,
        })
        .collect();
    assert!(parties.len() > 50);
    assert!(
        parties
            .iter()
            .any(|p| p.privacy && p.name.is_none() && p.address.is_none())
    );
    assert!(
        parties
            .iter()
            .any(|p| p.name.as_deref().is_some_and(|n| !n.is_ascii()))
    );
    assert!(
        parties
            .iter()
            .any(|p| p.name.is_none() && p.address.is_some())
    );
    for address in parties.iter().filter_map(|p| p.address.as_deref()) {
        let digits = address.strip_prefix("tel:+1").expect("tel: URI");
        assert!(
            digits.len() == 10 && digits.bytes().all(|b| b.is_ascii_digit()),
            "{address}"
        );
    }
}

/// Call Center Monitoring as the specification describes it: sent when the agents' counts
/// change (here at once, after the agent events that changed them), at every throttling
/// interval while calls are queued, after each subscribe and refresh, and otherwise not at all
/// by a quiet call center.
#[test]
fn monitoring_follows_the_agents_and_the_throttling_interval() {
    const TICK: i64 = 250;
    let mut model = Model::new(4, START_MS);
    let mut last: HashMap<Arc<str>, (i64, MonitoringStatus)> = HashMap::new();
    let mut sent: HashMap<Arc<str>, usize> = HashMap::new();
    let mut queued_since: HashMap<Arc<str>, i64> = HashMap::new();
    let mut night_monitoring = Vec::new();
    let mut now = START_MS;
    while now <= START_MS + TEN_MINUTES_MS {
        for event in model.step(now).iter().map(subscription) {
            if let EventData::Monitoring(status) = &event.data {
                last.insert(target(event), (now, *status));
                *sent.entry(target(event)).or_default() += 1;
                if &*target(event) == "apac@demo.example" {
                    night_monitoring.push(now - START_MS);
                }
            }
        }
        for t in model.waiting() {
            let (at, status) = last[&t.target_id];
            let count = |n: usize| Some(i64::try_from(n).expect("a few agents"));
            assert_eq!(
                (
                    status.num_agents_staffed,
                    status.num_staffed_agents_idle,
                    status.num_staffed_agents_unavailable,
                ),
                (
                    count(t.agents.staffed),
                    count(t.agents.idle),
                    count(t.agents.unavailable)
                ),
                "{} at {now}: the last monitoring event is current",
                t.name
            );
            if t.waiting.is_empty() {
                queued_since.remove(&t.target_id);
            } else {
                let since = *queued_since.entry(t.target_id.clone()).or_insert(now);
                let silent = now - at.max(since);
                assert!(
                    silent <= 15_000 + TICK,
                    "{}: calls queued, no monitoring for {silent} ms",
                    t.name
                );
            }
        }
        now += TICK;
    }
    // The night desk never queues a call and its agents never move: it hears from monitoring
    // only in the initial events of the subscribe and of each 5-minute refresh.
    let night = model
        .waiting()
        .into_iter()
        .find(|t| &*t.name == "APAC Desk")
        .expect("the night desk");
    assert_eq!(night_monitoring, [0, 300_000, 600_000]);
    assert!(
        sent[&night.target_id] == 3 && sent.values().all(|&n| n >= 3),
        "{sent:?}"
    );
    assert!(sent.values().filter(|&&n| n > 20).count() >= 4, "{sent:?}");
}

#[test]
fn every_event_parses_back_equal() {
    for event in run_model(8, TEN_MINUTES_MS, 500) {
        let xml = xsi_wallboard::xsi::write_event(&event);
        let parsed = xsi_wallboard::xsi::parse_event(xml.as_bytes())
            .unwrap_or_else(|e| panic!("{e}: {xml}"));
        assert_eq!(parsed, event, "{xml}");
    }
}

/// The board's applier as the wallboard drives it: each event as it arrives at `now_ms`, then
/// the gap check at that instant. The one place these tests touch the applier's API.
fn apply_at(applier: &mut Applier, events: &[Event], now_ms: i64) -> Vec<ApplyOutcome> {
    let outcomes = events.iter().map(|e| applier.apply(e, now_ms)).collect();
    // What the applier's task does after each batch and each second: gaps, alert levels.
    applier.tick(now_ms);
    outcomes
}

/// The model's events for `now_ms` as the wallboard receives them: written to XML and parsed
/// back, the bytes of the real path.
fn step_on_the_wire(model: &mut Model, now_ms: i64) -> Vec<Event> {
    model
        .step(now_ms)
        .iter()
        .map(|event| {
            let xml = write_event(event);
            parse_event(xml.as_bytes()).unwrap_or_else(|e| panic!("{e}: {xml}"))
        })
        .collect()
}

/// The agents a call center's panel lists agree with its monitoring counts, and both with
/// the model: signed in = staffed, Unavailable = unavailable, and Available = idle plus those
/// ringing or talking (BroadWorks keeps an agent on a call Available; monitoring alone says
/// they are not idle, and the panel's "on call" is staffed less idle less unavailable).
fn agents_agree(row: &QueueRow, truth: &GroundTruth, at: i64) {
    let listed = |state: AgentState| row.agents.iter().filter(|a| a.state == Some(state)).count();
    let signed_in = row
        .agents
        .iter()
        .filter(|a| a.state.is_some_and(|s| s != AgentState::SignOut))
        .count();
    let n = |count: usize| Some(i64::try_from(count).expect("a few agents"));
    let monitoring = row.monitoring.expect("monitoring since the start");
    let name = &row.name;
    assert_eq!(monitoring.agents_staffed, n(signed_in), "{name} at {at}");
    assert_eq!(
        monitoring.agents_unavailable,
        n(listed(AgentState::Unavailable)),
        "{name} at {at}"
    );
    assert_eq!(
        monitoring.agents_idle,
        n(truth.agents.idle),
        "{name} at {at}"
    );
    assert_eq!(
        listed(AgentState::Available),
        truth.agents.idle + truth.agents.on_call,
        "{name} at {at}"
    );
    assert_eq!(
        listed(AgentState::WrapUp),
        truth.agents.wrap_up,
        "{name} at {at}"
    );
    assert_eq!(
        row.stats.agents_on_call,
        n(truth.agents.on_call + truth.agents.wrap_up),
        "{name} at {at}"
    );
    assert_eq!(row.agents.len(), truth.agents.assigned, "{name} at {at}");
}

/// A call center's panel shows the model's waiting calls, in serving order, and its counts.
/// `hidden_reorder`: a refresh snapshot listed a call a supervisor had moved; a snapshot
/// carries no positions and the board places its calls by priority bucket and age, so only
/// which calls wait is compared until those calls have left.
fn queue_matches(row: &QueueRow, truth: &GroundTruth, hidden_reorder: bool, at: i64) {
    let mut shown: Vec<&str> = row.calls.iter().map(|c| &*c.call_id).collect();
    let mut waiting: Vec<&str> = truth.waiting.iter().map(|c| &**c).collect();
    if hidden_reorder {
        shown.sort_unstable();
        waiting.sort_unstable();
    }
    let name = &row.name;
    assert_eq!(shown, waiting, "{name} at {at}");
    assert_eq!(row.answered, truth.answered, "{name} at {at}");
    assert_eq!(row.abandoned, truth.abandoned, "{name} at {at}");
    assert_eq!(row.other_departures, truth.departed, "{name} at {at}");
    assert_eq!(row.not_queued, truth.not_queued, "{name} at {at}");
}

/// What the board made of each event of a run, and the figures of the run.
#[derive(Debug, Default)]
struct Ledger {
    events: usize,
    calls: usize,
    whispered: HashSet<Arc<str>>,
    /// Per call center, supervisor-reordered calls listed by its last refresh snapshot.
    hidden_reorders: HashMap<Arc<str>, HashSet<Arc<str>>>,
}

impl Ledger {
    fn record(&mut self, event: &SubscriptionEvent, outcome: ApplyOutcome) {
        self.events += 1;
        if let EventData::QueueSnapshot(listed) = &event.data {
            let reordered = listed.entries.iter().filter(|e| e.reordered);
            let ids = reordered.map(|e| e.call_id.clone()).collect();
            self.hidden_reorders.insert(target(event), ids);
        }
        // Nothing the simulator sends is older than what the board shows.
        assert_ne!(outcome, ApplyOutcome::Late, "late: {event:?}");
        let EventData::Call(call) = &event.data else {
            return;
        };
        let call_id = &call.entry.call_id;
        if call.kind.ends_call()
            && let Some(hidden) = self.hidden_reorders.get_mut(&target(event))
        {
            hidden.remove(call_id);
        }
        match call.kind {
            CallEventKind::Added => self.calls += 1,
            CallEventKind::WhisperStarted => {
                self.whispered.insert(call_id.clone());
            }
            _ => {}
        }
    }

    /// Whether a refresh snapshot has hidden a reorder in this call center's queue.
    fn order_hidden(&self, call_center: &Arc<str>) -> bool {
        self.hidden_reorders
            .get(call_center)
            .is_some_and(|h| !h.is_empty())
    }
}

/// The done criterion of the demo's truth: ten simulated minutes on virtual time, through
/// the writer, the parser and the real board, without a gap, a duplicate or a late event (the
/// answer that follows a whisper is the answer, not a late event); at every instant
/// the agents agree with the monitoring counts and the queues with the model; the first minute
/// is calm and colour comes later.
#[test]
fn ten_simulated_minutes_on_the_board_keep_every_number_and_agents_match_monitoring() {
    const SEED: u64 = 2024;
    const TICK: i64 = 250;
    let mut model = Model::new(SEED, START_MS);
    let board = Arc::new(Board::new(BoardConfig::default(), START_MS));
    let mut applier = Applier::new(Arc::clone(&board));
    let mut ledger = Ledger::default();
    let (mut max_wait, mut first_alert) = (0, None);
    let mut now = START_MS;
    while now <= START_MS + TEN_MINUTES_MS {
        let arrived = step_on_the_wire(&mut model, now);
        let outcomes = apply_at(&mut applier, &arrived, now);
        for (event, outcome) in arrived.iter().map(subscription).zip(outcomes) {
            ledger.record(event, outcome);
        }
        let snapshot = board.snapshot(now);
        for t in &model.waiting() {
            let row = snapshot.queues.iter().find(|q| q.id == t.target_id);
            let row = row.expect("every call center on the board");
            agents_agree(row, t, now - START_MS);
            queue_matches(row, t, ledger.order_hidden(&t.target_id), now - START_MS);
        }
        let longest = snapshot.longest_wait_secs();
        let alert = snapshot.queues.iter().map(|q| q.stats.alert).max();
        if now - START_MS <= 60_000 {
            assert!(
                longest < 60,
                "a call waited {longest} s in the first minute"
            );
            assert_eq!(
                alert,
                Some(Severity::Normal),
                "an alert in the first minute"
            );
        } else if first_alert.is_none() && alert > Some(Severity::Normal) {
            first_alert = Some((now - START_MS) / 1000);
        }
        max_wait = max_wait.max(longest);
        now += TICK;
    }
    let sequence = board.sequence_counters();
    let counters = board.event_counters();
    let (events, calls) = (ledger.events, ledger.calls);
    eprintln!(
        "seed {SEED}, 10 simulated minutes: {events} events, {calls} calls queued, longest \
         wait {max_wait} s, first alert at {first_alert:?} s, {} whispers, {sequence:?}",
        ledger.whispered.len()
    );
    assert_eq!(sequence.gaps, 0, "sequence gaps");
    assert!(!applier.gaps_pending(), "numbers still missing");
    assert_eq!(counters.duplicates, 0);
    assert_eq!(counters.unknown, 0);
    assert_eq!(sequence.late, 0, "late events");
    assert!(
        calls > 100 && events > 800,
        "{calls} calls, {events} events"
    );
    assert!(first_alert.is_some(), "colour after the first minute");
    assert!(!ledger.whispered.is_empty(), "whispers exercised");
}

/// Whatever the seed, a fresh demo opens without a wait near the warning threshold and
/// without an alert on any panel.
#[test]
fn a_fresh_demo_opens_calm_whatever_the_seed() {
    for seed in 1..=20 {
        let mut model = Model::new(seed, START_MS);
        let board = Arc::new(Board::new(BoardConfig::default(), START_MS));
        let mut applier = Applier::new(Arc::clone(&board));
        let mut now = START_MS;
        while now <= START_MS + 60_000 {
            let arrived = step_on_the_wire(&mut model, now);
            apply_at(&mut applier, &arrived, now);
            let snapshot = board.snapshot(now);
            for queue in &snapshot.queues {
                assert!(
                    queue.longest_wait_secs < 60 && queue.stats.alert == Severity::Normal,
                    "seed {seed} at {} s: {} waited {} s, {:?}",
                    (now - START_MS) / 1000,
                    queue.name,
                    queue.longest_wait_secs,
                    queue.stats.alert_reasons
                );
            }
            now += 500;
        }
        assert!(
            board
                .snapshot(now)
                .queues
                .iter()
                .any(|q| q.stats.mode == Some(ServiceMode::Night)),
            "seed {seed}: the night desk shows NIGHT"
        );
    }
}

/// Every kind of event the demo sends is a valid XSI document (the official schema, with
/// `xmllint`: see `tests/common/tools.rs` for where it is missing).
#[test]
fn every_kind_of_demo_event_validates_against_the_schema() {
    let Some(xmllint) = tools::xmllint() else {
        return;
    };
    // The first event of each type, and of each agent state.
    let mut kinds: BTreeMap<String, Event> = BTreeMap::new();
    for event in run_model(8, TEN_MINUTES_MS, 500) {
        let data = &subscription(&event).data;
        let mut kind = data.type_name().to_owned();
        if let EventData::Agent(agent) = data {
            kind = format!("{kind} {:?}", agent.state);
        }
        kinds.entry(kind).or_insert(event);
    }
    assert!(kinds.len() >= 20, "{:?}", kinds.keys());
    xmllint.assert_valid(
        kinds
            .iter()
            .map(|(kind, event)| (kind.clone(), write_event(event))),
    );
}

/// One POST as the contact saw it.
#[derive(Debug, Clone)]
struct Posted {
    content_type: Option<String>,
    body: Bytes,
}

/// A tiny XSP contact: records every body, answers `answer`.
#[derive(Clone)]
struct Receiver {
    bodies: Arc<Mutex<Vec<Posted>>>,
    answer: StatusCode,
}

async fn record(State(rx): State<Receiver>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let content_type = headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    rx.bodies
        .lock()
        .expect("receiver lock")
        .push(Posted { content_type, body });
    rx.answer
}

async fn start_receiver(answer: StatusCode) -> (Receiver, String, CancellationToken) {
    let receiver = Receiver {
        bodies: Arc::default(),
        answer,
    };
    let app = Router::new()
        .route("/xsi-events", post(record))
        .with_state(receiver.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind loopback");
    let url = format!("http://{}/xsi-events", listener.local_addr().expect("addr"));
    let stop = CancellationToken::new();
    let shutdown = stop.clone();
    tokio::spawn(async move {
        axum::serve(listener, app)
            .with_graceful_shutdown(shutdown.cancelled_owned())
            .await
    });
    (receiver, url, stop)
}

/// The count in "demo XSP: N events posted".
fn posted(status: &LinkStatus) -> u64 {
    match &status.source {
        FeedSource::Demo(demo) => demo.posted,
        _ => 0,
    }
}

/// Run the driver until `done` holds for its status, bounded at 30 s.
async fn drive_until(url: String, done: impl Fn(&LinkStatus) -> bool) -> LinkStatus {
    let (status_tx, mut status_rx) = watch::channel(LinkStatus::default());
    let cancel = CancellationToken::new();
    let driver = tokio::spawn(sim::run(
        SimOptions {
            url,
            seed: Some(42),
            status: Some(status_tx),
            actions: None,
        },
        cancel.clone(),
    ));
    let reached = tokio::time::timeout(
        std::time::Duration::from_secs(30),
        status_rx.wait_for(|s| done(s)),
    )
    .await
    .is_ok_and(|r| r.is_ok());
    let last = status_rx.borrow().clone();
    cancel.cancel();
    tokio::time::timeout(std::time::Duration::from_secs(10), driver)
        .await
        .expect("driver stops on cancel")
        .expect("driver task")
        .expect("driver stops cleanly on cancel");
    assert!(reached, "status never got there: {last:?}");
    last
}

#[tokio::test]
async fn driver_posts_xml_and_reports_progress() {
    let (receiver, url, stop) = start_receiver(StatusCode::OK).await;
    let status = drive_until(url, |s| posted(s) >= 8).await;
    stop.cancel();
    assert_eq!(status.health, Health::Ok);
    let bodies = receiver.bodies.lock().expect("receiver lock").clone();
    // The opening batch: a snapshot and a monitoring event per call center.
    assert!(bodies.len() >= 8, "{} bodies", bodies.len());
    for posted in &bodies {
        assert_eq!(
            posted.content_type.as_deref(),
            Some("application/xml; charset=UTF-8")
        );
    }
    assert!(status.details().iter().any(|d| d.contains("--seed 42")));
}

#[tokio::test]
async fn refused_events_are_counted_not_retried() {
    let (receiver, url, stop) = start_receiver(StatusCode::SERVICE_UNAVAILABLE).await;
    let status = drive_until(url, |s| s.health == Health::Down).await;
    stop.cancel();
    assert!(status.summary().contains("lost"), "{}", status.summary());
    let bodies = receiver.bodies.lock().expect("receiver lock").clone();
    // No retry: every request the XSP made carried a different event.
    assert!(!bodies.is_empty());
    let distinct: HashSet<_> = bodies.iter().map(|p| p.body.clone()).collect();
    assert_eq!(distinct.len(), bodies.len(), "an event was sent twice");
}

#[tokio::test]
async fn events_arrive_in_order_and_parse() {
    let (receiver, url, stop) = start_receiver(StatusCode::OK).await;
    drive_until(url, |s| posted(s) >= 8).await;
    stop.cancel();
    let bodies = receiver.bodies.lock().expect("receiver lock").clone();
    let mut sequences: HashMap<Arc<str>, u32> = HashMap::new();
    let mut replica = Replica::default();
    for posted in &bodies {
        let event = xsi_wallboard::xsi::parse_event(&posted.body).expect("a parseable XSI event");
        let event = subscription(&event);
        let last = sequences
            .entry(event.envelope.subscription_id.clone())
            .or_default();
        assert_eq!(event.envelope.sequence_number, Some(*last + 1));
        *last += 1;
        replica.apply(event);
    }
    assert_eq!(replica.queues.len(), 5, "a snapshot per call center");
}

#[test]
fn many_call_centers_for_load_runs_keep_the_rules() {
    let mut model = Model::with_call_centers(12, START_MS, 50);
    let truth = model.waiting();
    let ids: HashSet<_> = truth.iter().map(|t| t.target_id.clone()).collect();
    assert_eq!(ids.len(), 50, "distinct call center ids");
    assert!(ids.contains("sales2@demo.example"));
    assert!(ids.contains("apac10@demo.example"));
    let mut replica = Replica::default();
    let mut now = START_MS;
    while now <= START_MS + 180_000 {
        for event in model.step(now).iter().map(subscription) {
            replica.apply(event);
        }
        now += 1000;
    }
    replica.agrees_with(&model.waiting());
    assert_eq!(replica.queues.len(), 50);
}

/// The demo XSP obeys the call center call commands (issue 18): each changes its queue and
/// sends the event a real XSP sends; what BroadWorks refuses it refuses with an `ErrorInfo`'s
/// words.
#[test]
fn the_demo_xsp_obeys_promote_move_transfer_and_release_with_their_events() {
    use xsi_wallboard::actions::CallAction;
    let start = 1_795_860_000_000;
    let mut model = Model::new(11, start);
    let mut at = start;
    // A busy enough moment: some call center with three calls waiting.
    let busy = loop {
        at += 1_000;
        model.step(at);
        if let Some(truth) = model.waiting().into_iter().find(|t| t.waiting.len() >= 3) {
            break truth;
        }
        assert!(at < start + 3_600_000, "no queue of three in an hour");
    };
    let cc = busy.target_id.clone();
    let kinds = |events: &[Event]| -> Vec<(CallEventKind, Arc<str>)> {
        events
            .iter()
            .filter_map(|e| match &subscription(e).data {
                EventData::Call(call) => Some((call.kind, call.entry.call_id.clone())),
                _ => None,
            })
            .collect()
    };
    let [first, second, third] = [0, 1, 2].map(|i| busy.waiting[i].clone());
    assert_eq!(model.act(&cc, &third, &CallAction::Release, at), Ok(None));
    assert!(kinds(&model.step(at)).contains(&(CallEventKind::Released, third.clone())));
    assert!(!model.waiting().iter().any(|t| t.waiting.contains(&third)));
    assert_eq!(
        model.act(
            &cc,
            &second,
            &CallAction::Transfer {
                number: "+12025550100".into()
            },
            at
        ),
        Ok(None)
    );
    let transferred = kinds(&model.step(at));
    assert!(
        transferred.contains(&(CallEventKind::Transferred, second.clone())),
        "{transferred:?}"
    );
    // A promote either moves the call up a priority (its event says where) or, for a call at
    // 0-Highest already, is refused as BroadWorks refuses it.
    match model.act(&cc, &first, &CallAction::Promote { priority: 0 }, at) {
        Ok(Some(_)) => {
            assert!(kinds(&model.step(at)).contains(&(CallEventKind::Promoted, first.clone())));
        }
        Err(refusal) => {
            assert_eq!(refusal.status, 400, "{refusal:?}");
            let after = kinds(&model.step(at));
            assert!(
                !after.iter().any(|(k, _)| *k == CallEventKind::Promoted),
                "{after:?}"
            );
        }
        Ok(None) => panic!("a promote answers a position"),
    }
    // Now at 0-Highest either way: it may be moved, to the front of its priority.
    assert_eq!(
        model.act(&cc, &first, &CallAction::Move { index: 0 }, at),
        Ok(Some(1))
    );
    assert!(kinds(&model.step(at)).contains(&(CallEventKind::Reordered, first.clone())));
    let gone = model.act(&cc, "callhalf-1:0", &CallAction::Release, at);
    assert_eq!(gone.map_err(|r| r.status), Err(404));
}
