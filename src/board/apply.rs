//! The single writer: turns events into board changes.
//!
//! Every queue is changed under its own DashMap entry only, so a reader sees each queue either
//! before or after an event, never half-way.

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use dashmap::mapref::one::RefMut;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::liveness::FeedState;
use super::memory::{Departure, EndedCalls, MAX_CALLS_PER_QUEUE, MAX_QUEUES, SeenEventIds};
use super::queue::{Queue, WaitingCall};
use super::sequence::{SequenceTracker, SnapshotMarks};
use super::{Arrival, Board, CallState};
use crate::xsi::{
    CallEvent, CallEventKind, ConfigurationEvent, Envelope, Event, EventData, QueueSnapshot,
};

/// What applying one event did (for tests and counters).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApplyOutcome {
    Applied,
    Duplicate,
    Unknown,
    /// Not a queue event (channel and error events, terminations, agent and treatment events):
    /// nothing on the board changed.
    Ignored,
    /// About a call that already left this queue (delivery reordered its events): ignored on
    /// purpose, so that a late Added or Offered cannot bring back a ghost.
    Late,
}

/// Owns the writer-only memory (seen event ids, recently ended calls, sequence numbers).
#[derive(Debug)]
pub struct Applier {
    board: Arc<Board>,
    seen: SeenEventIds,
    ended: EndedCalls,
    sequences: SequenceTracker,
    marks: SnapshotMarks,
    /// Where a queue that lost events is sent to be resynchronised (the subscriber).
    resync: Option<mpsc::UnboundedSender<Arc<str>>>,
}

impl Applier {
    pub fn new(board: Arc<Board>) -> Self {
        Applier {
            board,
            seen: SeenEventIds::default(),
            ended: EndedCalls::default(),
            sequences: SequenceTracker::default(),
            marks: SnapshotMarks::default(),
            resync: None,
        }
    }

    /// Ask `resync` for a fresh snapshot of each call center whose events were lost.
    #[must_use]
    pub fn with_resync(mut self, resync: mpsc::UnboundedSender<Arc<str>>) -> Self {
        self.resync = Some(resync);
        self
    }

    /// Numbers still missing after their window, at `now_ms`, are losses: the queues the
    /// subscription feeds are UNSURE until a snapshot replaces them. Returns how many gaps.
    pub fn expire_gaps(&mut self, now_ms: i64) -> usize {
        let gaps = self.sequences.expire(now_ms);
        for gap in &gaps {
            self.board.stats.gaps.fetch_add(1, Ordering::Relaxed);
            tracing::warn!(subscription = %gap.subscription_id, missing = gap.missing,
                targets = ?gap.targets, "events lost (sequence gap); resynchronising");
            for target in &gap.targets {
                self.board.liveness().mark_unsure(target);
                if let Some(resync) = &self.resync {
                    let _ = resync.send(target.clone());
                }
            }
        }
        gaps.len()
    }

    /// Whether a gap may still be found without any new event (the applier's timer).
    pub fn gaps_pending(&self) -> bool {
        self.sequences.pending()
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
        let stats = &self.board.stats;
        let counter = match outcome {
            ApplyOutcome::Applied => &stats.applied,
            ApplyOutcome::Duplicate => &stats.duplicates,
            ApplyOutcome::Unknown => &stats.unknown,
            ApplyOutcome::Late => &stats.late,
            ApplyOutcome::Ignored => return outcome,
        };
        counter.fetch_add(1, Ordering::Relaxed);
        outcome
    }

    fn apply_event(&mut self, event: &Event, arrival_ms: i64) -> ApplyOutcome {
        // Channel and error events concern the inbound path, not a queue: the subscriber acts on
        // them.
        let Event::Subscription(subscription) = event else {
            return ApplyOutcome::Ignored;
        };
        let envelope = &subscription.envelope;
        if !envelope.event_id.is_empty() && !self.seen.insert(&envelope.event_id) {
            return ApplyOutcome::Duplicate;
        }
        if self.check_sequence(envelope, &subscription.data, arrival_ms) {
            return ApplyOutcome::Late;
        }
        self.ended.forget_old(arrival_ms);
        match &subscription.data {
            EventData::QueueSnapshot(snapshot) => {
                let acd_name = snapshot.entries.iter().find_map(|e| e.acd_name.as_ref());
                let id = queue_id(envelope, acd_name);
                self.replace_queue(&id, acd_name, snapshot, arrival_ms);
                self.resynced(&id, envelope, arrival_ms);
                ApplyOutcome::Applied
            }
            EventData::Call(call) => {
                let id = queue_id(envelope, call.entry.acd_name.as_ref());
                if call.kind == CallEventKind::Added
                    && let Some(added) = call.entry.add_time
                {
                    self.board.clock.record_added(added, arrival_ms);
                }
                self.apply_call(&id, call, arrival_ms)
            }
            EventData::NotQueued(not_queued) => {
                let id = queue_id(envelope, not_queued.acd_name.as_ref());
                let mut queue = self.queue(&id, not_queued.acd_name.as_ref(), arrival_ms);
                queue.not_queued += 1;
                queue.stats.record_not_queued(not_queued.kind);
                ApplyOutcome::Applied
            }
            EventData::Monitoring(status) => {
                let id = queue_id(envelope, None);
                self.queue(&id, None, arrival_ms).monitoring = Some(*status);
                ApplyOutcome::Applied
            }
            EventData::Configuration(configuration) => {
                let id = queue_id(envelope, None);
                apply_configuration(&mut self.queue(&id, None, arrival_ms), configuration);
                ApplyOutcome::Applied
            }
            EventData::Unknown(_) => ApplyOutcome::Unknown,
            EventData::Agent(agent) => self.board.apply_agent(envelope, agent, arrival_ms),
            EventData::SubscriptionTerminated => {
                // Until the subscriber has subscribed again, nothing proves this feed.
                let id = queue_id(envelope, None);
                self.board
                    .liveness()
                    .mark_feed(&id, FeedState::Down, arrival_ms);
                self.sequences.forget(&envelope.subscription_id);
                ApplyOutcome::Ignored
            }
            EventData::TreatmentCompleted(_) => ApplyOutcome::Ignored,
        }
    }

    /// Every event proves its call center's feed; numbered events of the queue packages are
    /// checked for losses. `true`: the event is older than the last snapshot applied for its
    /// call center, which already shows what came after it.
    fn check_sequence(&mut self, envelope: &Envelope, data: &EventData, arrival_ms: i64) -> bool {
        let target = queue_id(envelope, None);
        if envelope.target_id.is_some() {
            self.board.liveness().prove(&target, arrival_ms);
        }
        // Monitoring and configuration events carry whole state: a lost one is replaced by the
        // next. Agent events belong to agents' subscriptions, not to a queue.
        let numbered = matches!(
            data,
            EventData::QueueSnapshot(_) | EventData::Call(_) | EventData::NotQueued(_)
        );
        let Some(sequence) = envelope.sequence_number.filter(|_| numbered) else {
            return false;
        };
        let subscription = &envelope.subscription_id;
        if !matches!(data, EventData::QueueSnapshot(_))
            && self.marks.is_late(&target, subscription, sequence)
        {
            return true;
        }
        self.sequences
            .observe(subscription, Some(&target), sequence, arrival_ms);
        false
    }

    /// A snapshot replaced `id`'s queue: events numbered before it are late, and a queue that
    /// was UNSURE is sure again.
    fn resynced(&mut self, id: &Arc<str>, envelope: &Envelope, arrival_ms: i64) {
        let liveness = self.board.liveness();
        if liveness.view(id, arrival_ms).unsure {
            self.board.stats.resyncs.fetch_add(1, Ordering::Relaxed);
            tracing::info!(call_center = %id, "queue resynchronised");
        }
        liveness.resynced(id, arrival_ms);
        // A fetched snapshot has no number of its own: it is as new as the highest seen.
        let mark = envelope
            .sequence_number
            .or_else(|| self.sequences.highest(&envelope.subscription_id));
        if let Some(mark) = mark {
            self.marks.mark(id, &envelope.subscription_id, mark);
        }
    }

    /// The queue `id`, created on first sight, stamped with the event's arrival.
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
            self.board.queues.remove(&id);
            self.board.stats.evicted.fetch_add(1, Ordering::Relaxed);
            tracing::warn!(call_center = %id, cap = MAX_QUEUES,
                "too many call centers; the one heard from least recently was dropped");
        }
    }

    /// Calls dropped by [`MAX_CALLS_PER_QUEUE`] (their endings were lost): counted, logged and
    /// remembered as vanished, so that a late ending still counts and nothing else revives them.
    fn count_evicted_calls(&mut self, id: &Arc<str>, evicted: Vec<Arc<str>>, arrival_ms: i64) {
        for call_id in evicted {
            self.board.stats.evicted.fetch_add(1, Ordering::Relaxed);
            tracing::warn!(call_center = %id, %call_id, cap = MAX_CALLS_PER_QUEUE,
                "queue over its cap; the longest-waiting call was dropped");
            self.ended
                .remember(id, &call_id, Departure::Vanished, arrival_ms);
        }
    }

    fn apply_call(&mut self, id: &Arc<str>, event: &CallEvent, arrival_ms: i64) -> ApplyOutcome {
        let entry = &event.entry;
        let ends_call = event.kind.ends_call();
        match self.ended.get(id, &entry.call_id) {
            Some(Departure::Counted) => return ApplyOutcome::Late,
            Some(Departure::Vanished) if !ends_call => return ApplyOutcome::Late,
            _ => {}
        }
        let mut queue = self.queue(id, entry.acd_name.as_ref(), arrival_ms);
        if ends_call {
            queue.remove(&entry.call_id);
            queue
                .stats
                .record_departure(event, self.board.limits_for(id));
            match event.kind {
                // Whisper: the agent accepted; the Answered that follows is the same answer.
                CallEventKind::WhisperStarted | CallEventKind::AnsweredByAgent => {
                    queue.answered += 1;
                }
                CallEventKind::Abandoned => queue.abandoned += 1,
                _ => queue.other_departures += 1,
            }
            drop(queue);
            self.ended
                .remember(id, &entry.call_id, Departure::Counted, arrival_ms);
            return ApplyOutcome::Applied;
        }
        let new_state = match event.kind {
            CallEventKind::OfferedToAgent => Some(CallState::Offered),
            CallEventKind::Bounced => Some(CallState::Bounced),
            _ => None,
        };
        if let Some(index) = queue.index_of(&entry.call_id) {
            let call = &mut queue.calls[index];
            let served_as = (call.priority, call.bucket_time_ms);
            call.update_from(entry);
            if let Some(state) = new_state {
                call.state = state;
            }
            // Re-place only when the serving order may have changed.
            if event.position.is_some() || served_as != (call.priority, call.bucket_time_ms) {
                let call = queue.calls.remove(index);
                queue.place(call, event.position);
            }
        } else if let Some(added) = entry.add_time {
            // A call we never saw added (its Added was lost or is late): its queueEntry says
            // all we need.
            let state = new_state.unwrap_or(if entry.bounced {
                CallState::Bounced
            } else {
                CallState::Waiting
            });
            queue.place(WaitingCall::from_entry(entry, added, state), event.position);
            if queue.calls.len() > MAX_CALLS_PER_QUEUE {
                let mut full = queue;
                // The guard is this queue's shard lock; eviction touches only this queue.
                let evicted = full.evict_beyond(MAX_CALLS_PER_QUEUE);
                drop(full);
                self.count_evicted_calls(id, evicted, arrival_ms);
                return ApplyOutcome::Applied;
            }
        }
        ApplyOutcome::Applied
    }

    /// `ACDSubscriptionEvent` / `ACDSubscriptionResyncEvent`: the queue is now exactly these calls,
    /// less those we saw end (they cannot come back). Calls we showed that the snapshot leaves
    /// out have gone without our hearing how: remembered as vanished, so that only a late ending
    /// event can still count them.
    fn replace_queue(
        &mut self,
        id: &Arc<str>,
        acd_name: Option<&Arc<str>>,
        snapshot: &QueueSnapshot,
        arrival_ms: i64,
    ) {
        let mut queue = self.queue(id, acd_name, arrival_ms);
        let previous = std::mem::take(&mut queue.calls);
        let mut listed: HashSet<&str> = HashSet::with_capacity(snapshot.entries.len());
        for entry in &snapshot.entries {
            // An entry without `addTime` was never added to the queue: not a waiting call.
            let Some(added) = entry.add_time else {
                continue;
            };
            if self.ended.get(id, &entry.call_id).is_some() || !listed.insert(&entry.call_id) {
                continue;
            }
            let call = match previous.iter().find(|c| c.call_id == entry.call_id) {
                Some(known) => {
                    let mut call = known.clone();
                    call.update_from(entry);
                    if entry.bounced && call.state == CallState::Waiting {
                        call.state = CallState::Bounced;
                    }
                    call
                }
                None if entry.bounced => WaitingCall::from_entry(entry, added, CallState::Bounced),
                None => WaitingCall::from_entry(entry, added, CallState::Waiting),
            };
            queue.calls.push(call);
        }
        // A snapshot has no positions: serve by bucket, then age; the sort is stable, so equal
        // ages keep the order BroadWorks listed them in.
        queue.calls.sort_by_key(|c| (c.priority, c.bucket_time_ms));
        let evicted = queue.evict_beyond(MAX_CALLS_PER_QUEUE);
        drop(queue);
        self.count_evicted_calls(id, evicted, arrival_ms);
        for gone in previous.iter().filter(|c| !listed.contains(&*c.call_id)) {
            self.ended
                .remember(id, &gone.call_id, Departure::Vanished, arrival_ms);
        }
    }
}

/// The call center an event is about: the envelope's `targetId`, else the entry's `acdName`,
/// else the subscription's owner.
fn queue_id(envelope: &Envelope, acd_name: Option<&Arc<str>>) -> Arc<str> {
    envelope
        .target_id
        .as_ref()
        .filter(|id| !id.is_empty())
        .or(acd_name.filter(|name| !name.is_empty()))
        .unwrap_or(&envelope.user_id)
        .clone()
}

/// Configuration events say only what changed; keep what they leave out.
fn apply_configuration(queue: &mut Queue, configuration: &ConfigurationEvent) {
    let mode = &mut queue.mode;
    mode.forced_forwarding = configuration.forced_forwarding.or(mode.forced_forwarding);
    mode.holiday_service = configuration.holiday_service.or(mode.holiday_service);
    mode.night_service = configuration.night_service.or(mode.night_service);
}

/// The applier task: drains the channel in batches and bumps the board's version after each.
pub async fn run_applier(
    mut rx: mpsc::Receiver<Arrival>,
    mut applier: Applier,
    cancel: CancellationToken,
) {
    let mut batch = Vec::with_capacity(256);
    loop {
        // A quiet night still resets at the configured time; the wake-up is bounded so that a
        // host clock change is noticed within a minute, and a missing sequence number becomes
        // a gap within about a second of its window even if nothing else arrives.
        let bound = if applier.gaps_pending() { 500 } else { 60_000 };
        let until_reset = applier
            .board
            .next_reset_ms()
            .saturating_sub(super::now_ms())
            .clamp(0, bound);
        tokio::select! {
            () = cancel.cancelled() => break,
            () = tokio::time::sleep(std::time::Duration::from_millis(until_reset.unsigned_abs())) => {
                let now = super::now_ms();
                if applier.board.reset_if_due(now) | (applier.expire_gaps(now) > 0) {
                    applier.board.bump_version();
                }
            }
            n = rx.recv_many(&mut batch, 256) => {
                if n == 0 { break; }
                for arrival in batch.drain(..) {
                    applier.apply(&arrival.event, arrival.arrival_ms);
                }
                applier.expire_gaps(super::now_ms());
                applier.board.bump_version();
            }
        }
    }
}
