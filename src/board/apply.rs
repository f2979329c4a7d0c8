//! The single writer: turns [`Input`]s into board changes.
//!
//! Every queue is changed under its own DashMap entry only, so a reader sees each queue either
//! before or after an input, never half-way. The order of one event's checks matters:
//!
//! ```text
//! event --> its sequenceNumber is received (whatever happens next: no false gap)
//!       --> retired subscription? late --> duplicate eventID? --> older than the last
//!           snapshot of its call center? late --> apply by type
//! tick  --> gaps (missing numbers past their window) --> UNSURE + repair of that subscription
//!       --> repairs put off by the spacing --> whispers never answered --> initial events
//!           that never came --> the daily reset
//! ```

mod actions;
mod calls;
mod feed;
mod snapshot;

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use dashmap::mapref::one::RefMut;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::feeds::Feeds;
use super::input::Input;
use super::memory::{
    Departure, EndedCalls, MAX_CALLS, MAX_CALLS_PER_QUEUE, MAX_QUEUES, SUSPECT_WAIT_SECS,
    SeenEventIds,
};
use super::queue::{AsOf, Queue, Stamp};
use super::sequence::{SequenceTracker, SnapshotMarks};
use super::stats::{AlertInputs, evaluate_alert};
use super::{Board, now_ms};
use crate::alert::Crossing;
use crate::logging::{Throttle, Wire};
use crate::status::FeedCommand;
use crate::xsi::{ConfigurationEvent, Envelope, Event, EventData, Package, SubscriptionEvent};

pub use calls::WHISPER_ANSWER_WAIT_MS;

/// Warnings an attacker's POSTs can repeat, each rate-limited on its own.
static NO_CALL_CENTER: Throttle = Throttle::new();
static EVICTIONS: Throttle = Throttle::new();

/// What applying one input did (for tests and counters).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApplyOutcome {
    Applied,
    Duplicate,
    Unknown,
    /// Nothing on the board changed (channel and error events, treatment announcements, agent
    /// events that say nothing, feed news).
    Ignored,
    /// Older than what the board shows (a call that already left, an event numbered before the
    /// last snapshot, a subscription no longer held): ignored on purpose, so that a late Added
    /// or Offered cannot bring back a ghost.
    Late,
}

/// A call being whispered to: answered once the answer (or the bound) comes.
#[derive(Debug, Clone)]
struct Whisper {
    /// `addTime` (XSP clock, epoch ms), where known.
    added: Option<i64>,
    /// When the whisper started, on the XSP's clock.
    started_on_xsp: i64,
    /// When it arrived here: the bound counts from this.
    arrived: i64,
}

/// Owns the writer-only memory (seen event ids, recently ended calls, sequence numbers, the
/// subscriptions the feed reported, whispers awaiting their answer).
#[derive(Debug)]
pub struct Applier {
    board: Arc<Board>,
    seen: SeenEventIds,
    ended: EndedCalls,
    sequences: SequenceTracker,
    marks: SnapshotMarks,
    feeds: Feeds,
    whispers: HashMap<(Arc<str>, Arc<str>), Whisper>,
    /// Where repairs and terminations go (the feed); `None` without an XSP.
    commands: Option<mpsc::UnboundedSender<FeedCommand>>,
    /// When alert levels are next evaluated (epoch ms): at each wall-clock second.
    next_alert_ms: i64,
    /// Waiting calls on the whole board, as last counted (kept within [`MAX_CALLS`]).
    calls_total: usize,
    /// Call centers dropped to keep within [`MAX_QUEUES`], whose memories (snapshot marks,
    /// sequence targets, whispers, ended calls) are pruned at the next tick. A cell because
    /// eviction happens where a queue is looked up, behind `&self`.
    gone: std::cell::RefCell<Vec<Arc<str>>>,
    /// Where every input taken and every tick is recorded (`--record`).
    journal: Option<crate::journal::Recorder>,
    /// A replay's clock (the journal's); `None`: this host's.
    fixed_now: Option<i64>,
    /// Calls marked pending by an action, and until when (see `actions`).
    pending: Vec<(Arc<str>, Arc<str>, i64)>,
}

impl Applier {
    pub fn new(board: Arc<Board>) -> Self {
        Applier {
            board,
            seen: SeenEventIds::default(),
            ended: EndedCalls::default(),
            sequences: SequenceTracker::default(),
            marks: SnapshotMarks::default(),
            feeds: Feeds::default(),
            whispers: HashMap::new(),
            commands: None,
            next_alert_ms: 0,
            calls_total: 0,
            gone: std::cell::RefCell::default(),
            journal: None,
            fixed_now: None,
            pending: Vec::new(),
        }
    }

    /// Record every input taken and every tick in the event journal.
    #[must_use]
    pub fn with_journal(mut self, journal: crate::journal::Recorder) -> Self {
        self.journal = Some(journal);
        self
    }

    /// A replay: the applier's clock is the journal's, set before each line.
    pub fn set_now(&mut self, now_ms: i64) {
        self.fixed_now = Some(now_ms);
    }

    /// This host's clock, or a replay's.
    fn now(&self) -> i64 {
        self.fixed_now.unwrap_or_else(now_ms)
    }

    /// Send repairs (after a loss) and terminations (a `SubscriptionTerminatedEvent`) to the
    /// feed.
    #[must_use]
    pub fn with_commands(mut self, commands: mpsc::UnboundedSender<FeedCommand>) -> Self {
        self.commands = Some(commands);
        self
    }

    pub fn board(&self) -> &Arc<Board> {
        &self.board
    }

    /// How many ended calls are remembered now (bounded by time and count).
    pub fn remembered_ended_calls(&self) -> usize {
        self.ended.len()
    }

    /// Apply one event that arrived at `arrival_ms` (epoch ms, this host).
    pub fn apply(&mut self, event: &Event, arrival_ms: i64) -> ApplyOutcome {
        self.board.reset_if_due(arrival_ms);
        let outcome = self.apply_event(event, arrival_ms);
        self.count(outcome);
        outcome
    }

    /// Take any input (recorded first, when journaling).
    pub fn take(&mut self, input: Input) -> ApplyOutcome {
        // One reading of the clock for the record and the input: a replay sees the same.
        let now = self.now();
        if let Some(journal) = &self.journal {
            journal.input(now, &input);
        }
        match input {
            Input::Event {
                event,
                arrival_ms,
                raw,
            } => {
                let outcome = self.apply(&event, arrival_ms);
                self.board.release_room(
                    Input::Event {
                        event,
                        arrival_ms,
                        raw,
                    }
                    .weight(),
                );
                outcome
            }
            Input::Refused {
                envelope,
                arrival_ms,
            } => {
                // Its number was received: never a gap, though what it said is lost.
                self.observe(&envelope, None, arrival_ms);
                ApplyOutcome::Ignored
            }
            Input::Dropped(dropped) => {
                self.dropped(&dropped, now);
                ApplyOutcome::Ignored
            }
            Input::Fetched {
                call_center,
                subscription_id,
                snapshot,
                sent_ms,
                arrival_ms,
                raw: _,
            } => self.fetched(
                &call_center,
                subscription_id.as_deref(),
                &snapshot,
                sent_ms,
                arrival_ms,
            ),
            Input::Feed(news) => {
                self.feed_news(news);
                ApplyOutcome::Ignored
            }
            Input::Heartbeat { at_ms } => {
                for mut queue in self.board.queues.iter_mut() {
                    queue.truth.prove(at_ms);
                }
                ApplyOutcome::Ignored
            }
            Input::Channel { down, .. } => {
                if let Ok(mut channel) = self.board.channel_down.lock() {
                    *channel = down;
                }
                ApplyOutcome::Ignored
            }
            Input::ActionPending {
                call_center,
                call_id,
                action,
                until_ms,
            } => {
                self.action_pending(&call_center, &call_id, action, until_ms);
                ApplyOutcome::Ignored
            }
            Input::ActionSettled {
                call_center,
                call_id,
            } => {
                self.action_settled(&call_center, &call_id);
                ApplyOutcome::Ignored
            }
            Input::ServerClock {
                date_ms,
                sent_ms,
                received_ms,
            } => {
                self.board.clock.record_http(date_ms, sent_ms, received_ms);
                ApplyOutcome::Ignored
            }
        }
    }

    /// A queue fetched from the XSP (`GET callcenter/{id}/calls`), as of when it was asked.
    fn fetched(
        &mut self,
        call_center: &Arc<str>,
        subscription_id: Option<&str>,
        snapshot: &crate::xsi::QueueSnapshot,
        sent_ms: i64,
        arrival_ms: i64,
    ) -> ApplyOutcome {
        self.board.reset_if_due(arrival_ms);
        let stamp = Stamp {
            arrival_ms,
            number: None,
        };
        let before = self.calls_in(call_center);
        self.replace_queue(call_center, snapshot, &AsOf::SentAt(sent_ms), &stamp);
        self.calls_changed(call_center, before, arrival_ms);
        // Fetched from the XSP by this wallboard: a real call center.
        if let Some(mut queue) = self.board.queues.get_mut(call_center) {
            queue.known = true;
        }
        tracing::debug!(call_center = %Wire(call_center), subscription = %Wire(subscription_id.unwrap_or("none")), calls = snapshot.entries.len(),
            "queue fetched");
        self.count(ApplyOutcome::Applied);
        ApplyOutcome::Applied
    }

    fn count(&self, outcome: ApplyOutcome) {
        let outcomes = &self.board.outcomes;
        let counter: &AtomicU64 = match outcome {
            ApplyOutcome::Applied => &outcomes.applied,
            ApplyOutcome::Duplicate => &outcomes.duplicates,
            ApplyOutcome::Unknown => &outcomes.unknown,
            ApplyOutcome::Late => &outcomes.late,
            ApplyOutcome::Ignored => return,
        };
        counter.fetch_add(1, Ordering::Relaxed);
    }

    fn apply_event(&mut self, event: &Event, arrival_ms: i64) -> ApplyOutcome {
        // Channel and error events concern the inbound path, not a queue: the channel acts on
        // them.
        let Event::Subscription(subscription) = event else {
            return ApplyOutcome::Ignored;
        };
        let envelope = &subscription.envelope;
        let package = Package::of(&subscription.data);
        let call_center = self.call_center_of(envelope);
        if self.feeds.is_retired(&envelope.subscription_id) {
            // Not ours any more: its numbers are forgotten, and a newer subscription says the
            // same things with numbers we do follow.
            return ApplyOutcome::Late;
        }
        let counted_target = call_center
            .as_ref()
            .filter(|_| package == Some(Package::Queue));
        if let EventData::QueueSnapshot(snapshot) = &subscription.data
            && snapshot.resync
            && let Some(sequence) = envelope.sequence_number
        {
            // After an abnormal shutdown of the Application Server the count starts again.
            self.sequences
                .restart(&envelope.subscription_id, counted_target, sequence);
        } else {
            self.observe(envelope, counted_target, arrival_ms);
        }
        if !envelope.event_id.is_empty() && !self.seen.insert(&envelope.event_id) {
            return ApplyOutcome::Duplicate;
        }
        self.ended.forget_old(arrival_ms);
        if let EventData::SubscriptionTerminated = &subscription.data {
            self.terminated(envelope, call_center.as_ref(), arrival_ms);
            return ApplyOutcome::Ignored;
        }
        if let EventData::Agent(agent) = &subscription.data {
            // The agent is the event's target; without one, the agent its subscription is for.
            let agent_id = envelope
                .target_id
                .clone()
                .filter(|t| !t.is_empty())
                .or_else(|| {
                    self.feeds
                        .get(&envelope.subscription_id)
                        .filter(|s| !s.collection)
                        .map(|s| s.target.clone())
                });
            return self.board.apply_agent(agent_id.as_ref(), agent, arrival_ms);
        }
        if let EventData::Unknown(_) = &subscription.data {
            return ApplyOutcome::Unknown;
        }
        let Some(id) = call_center else {
            crate::warn_throttled!(NO_CALL_CENTER, event = %Wire(subscription.data.type_name()),
                subscription = %Wire(&envelope.subscription_id),
                "event names no call center (no targetId, and not a subscription of one call center); ignored");
            return ApplyOutcome::Ignored;
        };
        self.apply_to_queue(&id, subscription, arrival_ms)
    }

    /// A Call Center Queue, Monitoring or Configuration event for call center `id`.
    fn apply_to_queue(
        &mut self,
        id: &Arc<str>,
        subscription: &SubscriptionEvent,
        arrival_ms: i64,
    ) -> ApplyOutcome {
        let before = self.calls_in(id);
        let outcome = self.change_queue(id, subscription, arrival_ms);
        self.calls_changed(id, before, arrival_ms);
        outcome
    }

    /// Waiting calls of one call center now.
    fn calls_in(&self, id: &str) -> usize {
        self.board.queues.get(id).map_or(0, |q| q.calls.len())
    }

    /// `id` had `before` calls and may have more now: the board's count is kept, and the cap on
    /// the whole board enforced, at once (a batch of snapshots could otherwise hold millions).
    fn calls_changed(&mut self, id: &str, before: usize, now_ms: i64) {
        let after = self.calls_in(id);
        self.calls_total = (self.calls_total + after).saturating_sub(before);
        if self.calls_total > MAX_CALLS {
            self.enforce_call_cap(now_ms);
        }
    }

    /// Counts every waiting call again and drops the longest-waiting ones of the fullest call
    /// centers while the board holds more than [`MAX_CALLS`].
    fn enforce_call_cap(&mut self, now_ms: i64) {
        let mut sizes: Vec<(usize, Arc<str>)> = self
            .board
            .queues
            .iter()
            .map(|q| (q.calls.len(), q.key().clone()))
            .collect();
        self.calls_total = sizes.iter().map(|(n, _)| n).sum();
        if self.calls_total <= MAX_CALLS {
            return;
        }
        // Fullest first. A tenth of the cap is freed at once, so that a flood at the cap does
        // not count the whole board again at every event.
        sizes.sort_by_key(|(size, _)| std::cmp::Reverse(*size));
        let mut excess = self.calls_total - MAX_CALLS + MAX_CALLS / 10;
        for (size, id) in sizes {
            if excess == 0 {
                break;
            }
            let cut = excess.min(size);
            let evicted = match self.board.queues.get_mut(&id) {
                Some(mut queue) => queue.evict_beyond(size - cut),
                None => continue,
            };
            excess -= evicted.len().min(excess);
            self.calls_total -= evicted.len().min(self.calls_total);
            self.count_evicted_calls(&id, evicted, now_ms);
        }
    }

    /// Forget what was kept about call centers that left the board.
    fn prune_gone(&mut self) {
        let gone: Vec<Arc<str>> = std::mem::take(&mut *self.gone.borrow_mut());
        if gone.is_empty() {
            return;
        }
        for id in &gone {
            // Back on the board since (an event after its eviction): kept.
            if self.board.queues.contains_key(id) {
                continue;
            }
            self.marks.forget(id);
            self.sequences.forget_target(id);
        }
        let board = &self.board;
        self.whispers
            .retain(|(queue, _), _| board.queues.contains_key(queue));
        self.ended
            .retain_queues(|queue| board.queues.contains_key(queue));
    }

    /// What a Call Center Queue, Monitoring or Configuration event does to its queue.
    fn change_queue(
        &mut self,
        id: &Arc<str>,
        subscription: &SubscriptionEvent,
        arrival_ms: i64,
    ) -> ApplyOutcome {
        let envelope = &subscription.envelope;
        let stamp = Stamp {
            arrival_ms,
            number: envelope
                .sequence_number
                .map(|n| (envelope.subscription_id.clone(), n)),
        };
        if Package::of(&subscription.data) == Some(Package::Queue) {
            self.queue(id, None, arrival_ms)
                .truth
                .queue_event(arrival_ms);
        }
        if self.feeds.get(&envelope.subscription_id).is_some() {
            // Fed by a subscription this wallboard holds: the XSP vouches for it.
            self.queue(id, None, arrival_ms).known = true;
        }
        match &subscription.data {
            EventData::QueueSnapshot(snapshot) => {
                let as_of = match (&stamp.number, snapshot.resync) {
                    (_, true) => AsOf::Whole,
                    (Some((sub, n)), false) => AsOf::Numbered(sub.clone(), *n),
                    // An unnumbered snapshot describes the queue as it arrives.
                    (None, false) => AsOf::SentAt(arrival_ms),
                };
                self.replace_queue(id, snapshot, &as_of, &stamp);
                ApplyOutcome::Applied
            }
            EventData::Call(call) => {
                if let Some((sub, n)) = &stamp.number
                    && self.marks.is_late(id, sub, *n)
                {
                    return ApplyOutcome::Late;
                }
                let added = (call.kind == crate::xsi::CallEventKind::Added)
                    .then_some(call.entry.add_time)
                    .flatten();
                if let Some(added) = added {
                    self.board.clock.record_added(added, arrival_ms);
                }
                // The XSP's time of the change, as the intervals go by it.
                let happened = call.entry.remove_time.or(added).unwrap_or(arrival_ms);
                let outcome = self.apply_call(id, call, &stamp);
                if outcome == ApplyOutcome::Applied {
                    let clock = &self.board.intervals;
                    let mut queue = self.queue(id, None, arrival_ms);
                    if let Some(added) = added {
                        queue.history.offered(clock, added);
                    }
                    let waiting = queue.calls.len();
                    queue.history.waiting(clock, happened, waiting);
                }
                outcome
            }
            EventData::NotQueued(not_queued) => {
                let mut queue = self.queue(id, not_queued.acd_name.as_ref(), arrival_ms);
                queue.not_queued += 1;
                queue.stats.record_not_queued(not_queued.kind);
                ApplyOutcome::Applied
            }
            EventData::Monitoring(status) => {
                let mut queue = self.queue(id, None, arrival_ms);
                queue.monitoring = Some(*status);
                if let Some(staffed) = status.num_agents_staffed {
                    queue
                        .history
                        .staffed(&self.board.intervals, arrival_ms, staffed);
                }
                ApplyOutcome::Applied
            }
            EventData::Configuration(configuration) => {
                apply_configuration(&mut self.queue(id, None, arrival_ms), configuration);
                ApplyOutcome::Applied
            }
            // An announcement after the call left: its number counted, nothing else changes.
            EventData::TreatmentCompleted(_) => ApplyOutcome::Ignored,
            EventData::Agent(_) | EventData::SubscriptionTerminated | EventData::Unknown(_) => {
                ApplyOutcome::Ignored
            }
        }
    }

    /// The call center an event is about: its `targetId`; without one, the call center its
    /// subscription was made for. Never `acdName`: that can be a DNIS name of the call
    /// center. Without either (listen-only, an unknown subscription), the subscription's owner.
    fn call_center_of(&self, envelope: &Envelope) -> Option<Arc<str>> {
        if let Some(target) = envelope.target_id.as_ref().filter(|t| !t.is_empty()) {
            return Some(target.clone());
        }
        match self.feeds.get(&envelope.subscription_id) {
            Some(subscribed) if !subscribed.collection => subscribed.call_centers.first().cloned(),
            Some(_) => None,
            None => Some(envelope.user_id.clone()).filter(|u| !u.is_empty()),
        }
    }

    /// The event's number was received on its subscription.
    fn observe(&mut self, envelope: &Envelope, target: Option<&Arc<str>>, arrival_ms: i64) {
        if let Some(sequence) = envelope.sequence_number
            && !envelope.subscription_id.is_empty()
            && !self.feeds.is_retired(&envelope.subscription_id)
        {
            self.sequences
                .observe(&envelope.subscription_id, target, sequence, arrival_ms);
        }
    }

    /// The queue `id`, created on first sight, stamped with the input's arrival.
    fn queue(
        &self,
        id: &Arc<str>,
        acd_name: Option<&Arc<str>>,
        arrival_ms: i64,
    ) -> RefMut<'_, Arc<str>, Queue> {
        if self.board.queues.len() >= MAX_QUEUES && !self.board.queues.contains_key(id) {
            self.evict_quietest_queue();
        }
        let mut queue = self.board.queues.entry(id.clone()).or_insert_with(|| {
            Queue::new(self.board.configured_name(id).unwrap_or_else(|| id.clone()))
        });
        if queue.acd_name.is_none()
            && let Some(acd_name) = acd_name
        {
            // Only a display name: the first one seen (later ones may be DNIS names).
            queue.acd_name = Some(acd_name.clone());
            if self.board.configured_name(id).is_none() {
                queue.name = acd_name.clone();
            }
        }
        queue.last_event_ms = arrival_ms;
        queue
    }

    /// Room for one more call center: the one heard from least recently goes.
    fn evict_quietest_queue(&self) {
        let quietest = self
            .board
            .queues
            .iter()
            .min_by_key(|q| q.last_event_ms)
            .map(|q| q.key().clone());
        if let Some(id) = quietest {
            // The board's call count now overestimates: the next check counts again.
            self.board.queues.remove(&id);
            self.gone.borrow_mut().push(id.clone());
            self.board.outcomes.evicted.fetch_add(1, Ordering::Relaxed);
            crate::warn_throttled!(EVICTIONS, call_center = %Wire(&id), cap = MAX_QUEUES,
                "too many call centers; the one heard from least recently was dropped");
        }
    }

    /// Calls dropped by [`MAX_CALLS_PER_QUEUE`] (their endings were lost): counted, logged and
    /// remembered as evicted, so that a late ending still counts and nothing else revives them.
    fn count_evicted_calls(&mut self, id: &Arc<str>, evicted: Vec<Arc<str>>, arrival_ms: i64) {
        for call_id in evicted {
            self.board.outcomes.evicted.fetch_add(1, Ordering::Relaxed);
            crate::warn_throttled!(EVICTIONS, call_center = %Wire(id), call_id = %Wire(&call_id),
                cap = MAX_CALLS_PER_QUEUE,
                "queue over its cap; the longest-waiting call was dropped");
            self.ended
                .remember(id, &call_id, Departure::Evicted, arrival_ms);
        }
    }

    /// The timed part of the applier, at `now_ms`: gaps, repairs put off, whispers without an
    /// answer, initial events that never came, the daily reset. True if the board changed.
    pub fn tick(&mut self, now_ms: i64) -> bool {
        if let Some(journal) = &self.journal {
            journal.tick(now_ms);
        }
        let mut changed = self.board.reset_if_due(now_ms);
        changed |= self.expire_gaps(now_ms) > 0;
        for id in self.feeds.due_repairs(now_ms) {
            self.send_repair(id);
        }
        changed |= self.answer_silent_whispers(now_ms) > 0;
        changed |= self.expire_pending(now_ms);
        changed |= self.check_initial_events(now_ms);
        self.prune_gone();
        if now_ms >= self.next_alert_ms {
            // Once a second: the count kept event by event is made exact again.
            self.enforce_call_cap(now_ms);
            changed |= self.evaluate_alerts(now_ms);
            self.next_alert_ms = now_ms - now_ms.rem_euclid(1000) + 1000;
        }
        changed
    }

    /// Every call center's alert level at `now_ms`, evaluated here once for the UI, the API and
    /// the alert command; each change is announced. True if any level or reason changed.
    fn evaluate_alerts(&mut self, now_ms: i64) -> bool {
        let server_now_ms = self.board.clock.server_now(now_ms);
        let suspect_after = self.board.config.max_wait_secs.unwrap_or(SUSPECT_WAIT_SECS);
        let mut changed = false;
        for mut queue in self.board.queues.iter_mut() {
            let id = queue.key().clone();
            let inputs = AlertInputs {
                longest_wait_secs: queue.longest_wait_secs(server_now_ms, suspect_after),
                waiting: queue.calls.len(),
                thresholds: self.board.thresholds_for(&id),
                limits: self.board.limits_for(&id),
            };
            let alert = evaluate_alert(&queue, inputs);
            if alert == queue.alert {
                continue;
            }
            changed = true;
            let previous = std::mem::replace(&mut queue.alert, alert);
            // Unknown call centers (only ever POSTed about) show their level on the board,
            // but their crossings are not announced: they page nobody and log nothing.
            let known = queue.known || self.board.config.call_centers.contains_key(&*id);
            if known && previous.level != queue.alert.level {
                self.board.announce(Crossing {
                    id,
                    name: queue.name.clone(),
                    from: previous.level,
                    to: queue.alert.level,
                    reasons: Arc::clone(&queue.alert.reasons),
                });
            }
        }
        changed
    }

    /// When [`Self::tick`] next has something to do (epoch ms), if anything is pending.
    pub fn next_due_ms(&self) -> Option<i64> {
        let gap = self.sequences.pending().then(|| now_ms() + 500);
        let whisper = self
            .whispers
            .values()
            .map(|w| w.arrived + WHISPER_ANSWER_WAIT_MS)
            .min();
        let initial = self
            .board
            .queues
            .iter()
            .filter_map(|q| q.truth.initial_event_due())
            .min();
        [
            gap,
            whisper,
            initial,
            self.feeds.next_repair_ms(),
            self.next_pending_ms(),
            Some(self.next_alert_ms),
        ]
        .into_iter()
        .flatten()
        .min()
    }

    /// Whether a gap may still be found without any new event.
    pub fn gaps_pending(&self) -> bool {
        self.sequences.pending()
    }
}

/// `ACDConfigurationSubscriptionEvent` is the whole state: it replaces, never merges, so a
/// missed deactivation is corrected by the next refresh. A per-service event changes its own
/// service only.
fn apply_configuration(queue: &mut Queue, configuration: &ConfigurationEvent) {
    let mode = &mut queue.mode;
    if configuration.kind == crate::xsi::ConfigurationKind::Subscription {
        mode.forced_forwarding = configuration.forced_forwarding;
        mode.holiday_service = configuration.holiday_service;
        mode.night_service = configuration.night_service;
        mode.force_night_service = configuration.force_night_service;
        return;
    }
    mode.forced_forwarding = configuration.forced_forwarding.or(mode.forced_forwarding);
    mode.holiday_service = configuration.holiday_service.or(mode.holiday_service);
    mode.night_service = configuration.night_service.or(mode.night_service);
    mode.force_night_service = configuration
        .force_night_service
        .or(mode.force_night_service);
}

/// The applier task: drains the channel in batches and bumps the board's version after each.
pub async fn run_applier(
    mut rx: mpsc::Receiver<Input>,
    mut applier: Applier,
    cancel: CancellationToken,
) {
    let mut batch = Vec::with_capacity(256);
    loop {
        // A quiet night still resets at the configured time; the wake-up is bounded so that a
        // host clock change is noticed within a minute.
        let now = now_ms();
        let due = applier
            .next_due_ms()
            .unwrap_or(i64::MAX)
            .min(applier.board.next_reset_ms())
            .min(now + 60_000);
        let wait = std::time::Duration::from_millis(due.saturating_sub(now).max(0).unsigned_abs());
        tokio::select! {
            () = cancel.cancelled() => break,
            () = tokio::time::sleep(wait) => {
                if applier.tick(now_ms()) {
                    applier.board.bump_version();
                }
            }
            n = rx.recv_many(&mut batch, 256) => {
                if n == 0 { break; }
                for input in batch.drain(..) {
                    applier.take(input);
                }
                applier.tick(now_ms());
                applier.board.bump_version();
            }
        }
    }
}
