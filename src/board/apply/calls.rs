//! Call Center Queue events about one call: it waits, changes, is whispered to, or leaves.

use std::sync::Arc;

use super::super::memory::{Departure, MAX_CALLS_PER_QUEUE, MAX_WHISPERS};
use super::super::queue::{Stamp, WaitingCall};
use super::super::snapshot::CallState;
use super::{Applier, ApplyOutcome, Whisper};
use crate::logging::Wire;
use crate::xsi::{CallEvent, CallEventKind};

/// How long a whispered call waits for its `ACDCallAnsweredByAgentEvent` (the schema: it "is
/// sent once the whisper announcement completes", a few seconds) before it is counted answered
/// at the whisper.
pub const WHISPER_ANSWER_WAIT_MS: i64 = 60_000;

impl Applier {
    pub(super) fn apply_call(
        &mut self,
        id: &Arc<str>,
        event: &CallEvent,
        stamp: &Stamp,
    ) -> ApplyOutcome {
        let remembered = self.ended.get(id, &event.entry.call_id);
        if remembered == Some(Departure::Counted) {
            return ApplyOutcome::Late;
        }
        if event.kind == CallEventKind::WhisperStarted {
            return self.whisper_started(id, event, remembered, stamp.arrival_ms);
        }
        if event.kind.ends_call() {
            return self.call_ended(id, event, stamp.arrival_ms);
        }
        match remembered {
            // Being answered, or dropped at the cap: nothing brings it back to the waiting list.
            Some(Departure::Whispering | Departure::Counted | Departure::Evicted) => {
                return ApplyOutcome::Late;
            }
            // Left out by a snapshot, but this event is newer than it (an older one was found
            // late before it got here): the call is back.
            Some(Departure::Vanished) => self.ended.forget(id, &event.entry.call_id),
            None => {}
        }
        self.call_waits(id, event, stamp)
    }

    /// The call is (still) in the queue: update it, or place it if we never saw it added.
    fn call_waits(&mut self, id: &Arc<str>, event: &CallEvent, stamp: &Stamp) -> ApplyOutcome {
        let entry = &event.entry;
        let new_state = match event.kind {
            CallEventKind::OfferedToAgent => Some(CallState::Offered),
            CallEventKind::Bounced => Some(CallState::Bounced),
            _ => None,
        };
        let mut queue = self.queue(id, entry.acd_name.as_ref(), stamp.arrival_ms);
        if let Some(index) = queue.index_of(&entry.call_id) {
            let call = &mut queue.calls[index];
            let served_as = (call.priority, call.bucket_time_ms);
            call.update_from(entry);
            call.stamp = stamp.clone();
            if event.kind == CallEventKind::Bounced {
                call.eligibility.bounced = true;
            }
            if super::actions::answers(call.pending, event.kind) {
                call.pending = None;
            }
            if let Some(state) = new_state {
                call.state = state;
            }
            // Re-place only when the serving order may have changed.
            if event.position.is_some() || served_as != (call.priority, call.bucket_time_ms) {
                let call = queue.calls.remove(index);
                queue.place(call, event.position);
            }
            return ApplyOutcome::Applied;
        }
        // "Only present if the call has been added to the queue": an entry without `addTime`
        // never waited, and is never shown as waiting.
        let Some(added) = entry.add_time else {
            return ApplyOutcome::Applied;
        };
        // A call we never saw added (its Added was lost or is late): its queueEntry says all
        // we need.
        let state = new_state.unwrap_or(if entry.bounced {
            CallState::Bounced
        } else {
            CallState::Waiting
        });
        let mut call = WaitingCall::from_entry(entry, added, state, stamp.clone());
        call.eligibility.bounced |= event.kind == CallEventKind::Bounced;
        queue.place(call, event.position);
        if queue.calls.len() > MAX_CALLS_PER_QUEUE {
            // The guard is this queue's shard lock; eviction touches only this queue.
            let evicted = queue.evict_beyond(MAX_CALLS_PER_QUEUE);
            drop(queue);
            self.count_evicted_calls(id, evicted, stamp.arrival_ms);
        }
        ApplyOutcome::Applied
    }

    /// `ACDWhisperStartedEvent`: an agent accepted the call and the whisper announcement plays.
    /// The call is no longer waiting, but it is answered only by the answer that follows (whose
    /// `removeTime` gives its wait), or, if none comes within [`WHISPER_ANSWER_WAIT_MS`], at the
    /// whisper's arrival on the XSP's clock.
    fn whisper_started(
        &mut self,
        id: &Arc<str>,
        event: &CallEvent,
        remembered: Option<Departure>,
        arrival_ms: i64,
    ) -> ApplyOutcome {
        if remembered == Some(Departure::Whispering) {
            return ApplyOutcome::Late;
        }
        let entry = &event.entry;
        let removed = self
            .queue(id, entry.acd_name.as_ref(), arrival_ms)
            .remove(&entry.call_id);
        let whisper = Whisper {
            added: entry.add_time.or(removed.map(|c| c.add_time_ms)),
            started_on_xsp: self.board.clock.server_now(arrival_ms),
            arrived: arrival_ms,
        };
        self.whispers
            .insert((id.clone(), entry.call_id.clone()), whisper);
        if self.whispers.len() > MAX_WHISPERS
            && let Some(oldest) = self.whispers.values().map(|w| w.arrived).min()
        {
            // As if its answer's wait had passed: counted answered at the whisper.
            self.answer_silent_whispers(oldest + WHISPER_ANSWER_WAIT_MS);
        }
        self.ended
            .remember(id, &entry.call_id, Departure::Whispering, arrival_ms);
        ApplyOutcome::Applied
    }

    /// The call left the queue for good (answered, abandoned, released, ...): counted once.
    fn call_ended(&mut self, id: &Arc<str>, event: &CallEvent, arrival_ms: i64) -> ApplyOutcome {
        let entry = &event.entry;
        let whisper = self.whispers.remove(&(id.clone(), entry.call_id.clone()));
        let limits = self.board.limits_for(id);
        let mut queue = self.queue(id, entry.acd_name.as_ref(), arrival_ms);
        let removed = queue.remove(&entry.call_id);
        let add_time = entry
            .add_time
            .or(removed.as_ref().map(|c| c.add_time_ms))
            .or(whisper.as_ref().and_then(|w| w.added));
        // The XSP's own clock for both ends: this queue's wait, never an earlier queue's.
        let wait_ms = entry
            .remove_time
            .zip(add_time)
            .map(|(removed_at, added)| removed_at.saturating_sub(added).max(0));
        queue.stats.record_ending(
            event.kind,
            wait_ms,
            event.overflow_reason.as_deref(),
            limits,
        );
        // The interval is the XSP's: when the call left its queue.
        let left_at = entry.remove_time.unwrap_or(arrival_ms);
        match event.kind {
            CallEventKind::AnsweredByAgent => {
                queue
                    .history
                    .answered(&self.board.intervals, left_at, wait_ms, limits);
            }
            CallEventKind::Abandoned => {
                queue
                    .history
                    .abandoned(&self.board.intervals, left_at, wait_ms, limits);
            }
            _ => {}
        }
        let queued = add_time.is_some() || removed.is_some() || whisper.is_some();
        match event.kind {
            CallEventKind::AnsweredByAgent => queue.answered += 1,
            CallEventKind::Abandoned => queue.abandoned += 1,
            _ if queued => queue.other_departures += 1,
            // Overflowed because the queue was full, and other calls that never queued.
            _ => queue.not_queued += 1,
        }
        drop(queue);
        self.ended
            .remember(id, &entry.call_id, Departure::Counted, arrival_ms);
        ApplyOutcome::Applied
    }

    /// Whispers whose answer never came within the bound: answered at the whisper. Returns
    /// how many.
    pub(super) fn answer_silent_whispers(&mut self, now_ms: i64) -> usize {
        let overdue: Vec<(Arc<str>, Arc<str>)> = self
            .whispers
            .iter()
            .filter(|(_, w)| now_ms >= w.arrived + WHISPER_ANSWER_WAIT_MS)
            .map(|(key, _)| key.clone())
            .collect();
        for key in &overdue {
            let Some(whisper) = self.whispers.remove(key) else {
                continue;
            };
            let (id, call_id) = key;
            let limits = self.board.limits_for(id);
            let wait_ms = whisper
                .added
                .map(|added| whisper.started_on_xsp.saturating_sub(added).max(0));
            let mut queue = self.queue(id, None, now_ms);
            queue
                .stats
                .record_ending(CallEventKind::AnsweredByAgent, wait_ms, None, limits);
            queue.answered += 1;
            queue.history.answered(
                &self.board.intervals,
                whisper.started_on_xsp,
                wait_ms,
                limits,
            );
            drop(queue);
            tracing::info!(call_center = %Wire(id), call_id = %Wire(call_id),
                "whispered call never reported answered; counted answered at the whisper");
            self.ended.remember(id, call_id, Departure::Counted, now_ms);
        }
        overdue.len()
    }
}
