//! A call's life in the demo: it arrives (or meets the night policy), waits, is offered to the
//! longest idle agent, and leaves answered, whispered then answered, abandoned, overflowed,
//! transferred or released.

use std::sync::Arc;

use rand::Rng;
use rand::seq::IndexedRandom;

use crate::xsi::{CallEventKind, EventData, NotQueued, NotQueuedKind, QueueEntry, RemoteParty};

use super::agent::Activity;
use super::cast::{AREA_CODES, CALLER_NAMES, NIGHT_DESTINATION};
use super::center::QueuedCall;
use super::model::{Action, Model};

impl Model {
    pub(super) fn new_entry(&mut self, c: usize, add_time: i64) -> QueueEntry {
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
    pub(super) fn enqueue(&mut self, c: usize, entry: QueueEntry, now: i64) -> u32 {
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

    pub(super) fn arrival(&mut self, c: usize, at: i64) {
        let spec = self.centers[c].spec;
        let next = self.interarrival_ms(c);
        self.schedule(at + next, Action::Arrival(c));
        if !self.rng.random_bool(self.morning(at)) {
            return;
        }
        if spec.night_service {
            self.night_policy(c, at);
            return;
        }
        if self.centers[c].queue.len() >= spec.max_queue {
            return;
        }
        let entry = self.new_entry(c, at);
        self.add(c, entry, at);
    }

    /// Night service: the caller is sent to the answering service and never queues.
    fn night_policy(&mut self, c: usize, at: i64) {
        let entry = self.new_entry(c, at);
        self.centers[c].not_queued += 1;
        self.emit_queue(
            c,
            EventData::NotQueued(NotQueued {
                kind: NotQueuedKind::NightPolicyApplied,
                call_id: entry.call_id,
                ext_tracking_id: entry.ext_tracking_id,
                acd_name: entry.acd_name,
                acd_number: entry.acd_number,
                remote_party: entry.remote_party,
                redirect_address: Some(NIGHT_DESTINATION.into()),
            }),
        );
    }

    pub(super) fn add(&mut self, c: usize, entry: QueueEntry, at: i64) {
        let position = self.enqueue(c, entry.clone(), at);
        self.emit_call(c, CallEventKind::Added, entry, Some(position), None);
        self.dispatch(c, at);
    }

    /// Offer the first unoffered calls in serving order to the longest idle agents.
    pub(super) fn dispatch(&mut self, c: usize, at: i64) {
        loop {
            let longest_idle = self.centers[c]
                .agents
                .iter()
                .filter_map(|&a| match self.agents[a].activity {
                    Activity::Idle { since_ms } => Some((since_ms, a)),
                    _ => None,
                })
                .min()
                .map(|(_, a)| a);
            let Some(agent) = longest_idle else {
                return;
            };
            let center = &mut self.centers[c];
            let Some(call) = center.queue.iter_mut().find(|q| q.offered_to.is_none()) else {
                return;
            };
            call.offered_to = Some(agent);
            let entry = call.entry.clone();
            self.set_activity(agent, Activity::Ringing, at);
            let ring = self.uniform_ms(2, 8);
            self.schedule(
                at + ring,
                Action::OfferOutcome(c, entry.call_id.clone(), agent),
            );
            self.emit_call(c, CallEventKind::OfferedToAgent, entry, None, None);
        }
    }

    pub(super) fn offer_outcome(&mut self, c: usize, call_id: &str, agent: usize, at: i64) {
        let center = &self.centers[c];
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
            let call = &mut self.centers[c].queue[i];
            call.offered_to = None;
            call.entry.bounced = true;
            let entry = call.entry.clone();
            self.set_activity(agent, Activity::Unavailable, at);
            let back = self.uniform_ms(15, 40);
            self.schedule(at + back, Action::AgentFree(agent));
            self.emit_call(c, CallEventKind::Bounced, entry, Some(i as u32 + 1), None);
            self.dispatch(c, at);
            return;
        }
        self.last_call += 1;
        let answering_call_id: Arc<str> = format!("callhalf-{}:0", self.last_call).into();
        let handle = self.exponential_ms(self.centers[c].spec.handle_secs, 10.0);
        let wrap_up = self.uniform_ms(3, 10);
        self.schedule(at + handle, Action::WrapUp(c, agent, Some(handle)));
        self.schedule(at + handle + wrap_up, Action::AgentFree(agent));
        let whisper = self.rng.random_bool(0.25);
        self.set_activity(agent, Activity::OnCall, at);
        let answering_user_id = self.agents[agent].user_id.clone();
        let center = &mut self.centers[c];
        let mut entry = center.queue.remove(i).entry;
        entry.answering_user_id = Some(answering_user_id);
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
            center.record_answer(at - entry.add_time.unwrap_or(at));
            entry.remove_time = Some(at);
            self.emit_call(c, CallEventKind::AnsweredByAgent, entry, None, None);
        }
    }

    /// The whisper announcement ended: the schema's `ACDCallAnsweredByAgentEvent` follows.
    pub(super) fn whisper_end(&mut self, c: usize, call_id: &str, at: i64) {
        let center = &mut self.centers[c];
        let Some(i) = center
            .whispering
            .iter()
            .position(|e| &*e.call_id == call_id)
        else {
            return;
        };
        let mut entry = center.whispering.remove(i);
        // Answered when the announcement ends, as the board counts it: the answer's
        // `removeTime - addTime` is the call's wait.
        center.record_answer(at - entry.add_time.unwrap_or(at));
        entry.remove_time = Some(at);
        self.emit_call(c, CallEventKind::AnsweredByAgent, entry, None, None);
    }

    /// Take a call out of the queue; an agent it was ringing is free again and takes the next
    /// call once the removal has been reported (see [`Model::after_removal`]).
    pub(super) fn remove(
        &mut self,
        c: usize,
        index: usize,
        at: i64,
    ) -> (QueueEntry, Option<usize>) {
        let call = self.centers[c].queue.remove(index);
        if let Some(agent) = call.offered_to {
            self.set_activity(agent, Activity::Idle { since_ms: at }, at);
        }
        let mut entry = call.entry;
        entry.remove_time = Some(at);
        (entry, call.offered_to)
    }

    pub(super) fn after_removal(&mut self, freed: Option<usize>, at: i64) {
        if let Some(agent) = freed {
            self.offer_to(agent, at);
        }
    }

    pub(super) fn abandon(&mut self, c: usize, call_id: &str, at: i64) {
        let Some(i) = self.centers[c].index_of(call_id) else {
            return;
        };
        let (entry, freed) = self.remove(c, i, at);
        self.centers[c].abandoned += 1;
        self.emit_call(c, CallEventKind::Abandoned, entry, None, None);
        self.after_removal(freed, at);
    }

    pub(super) fn overflow(&mut self, c: usize, call_id: &str, at: i64) {
        let Some(i) = self.centers[c].index_of(call_id) else {
            return;
        };
        if self.centers[c].queue[i].offered_to.is_some() {
            // Ringing an agent: BroadWorks waits for the offer's outcome.
            self.schedule(at + 10_000, Action::Overflow(c, call_id.into()));
            return;
        }
        let (entry, _) = self.remove(c, i, at);
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
    pub(super) fn promote(&mut self, c: usize, call_id: &str, at: i64) {
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
    pub(super) fn supervisor(&mut self, c: usize, at: i64) {
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
            let (entry, _) = self.remove(c, i, at);
            self.centers[c].departed += 1;
            self.emit_call(c, CallEventKind::Transferred, entry.clone(), None, None);
            // The caller lands in the sister call center as a new call half, same caller.
            let mut moved = self.new_entry(to, at);
            moved.ext_tracking_id = entry.ext_tracking_id;
            moved.remote_party = entry.remote_party;
            self.add(to, moved, at);
        } else {
            let (entry, _) = self.remove(c, i, at);
            self.centers[c].departed += 1;
            self.emit_call(c, CallEventKind::Released, entry, None, None);
        }
    }
}
