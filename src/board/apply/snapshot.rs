//! Snapshots: a queue's whole list of waiting calls, from an `ACDSubscriptionEvent` (the
//! initial event of a subscribe or refresh), an `ACDSubscriptionResyncEvent`, or an Xsi-Actions
//! fetch.
//!
//! A snapshot describes the queue *as of* a point: its own number on its subscription, or the
//! moment a fetch was sent. Inputs newer than that point are not undone by it:
//! - a call that an event numbered after the snapshot (or arrived after the fetch was sent)
//!   told us about survives, listed or not;
//! - a call that ended after it stays ended (its ending is remembered as counted);
//! - a call the snapshot leaves out is gone *as of that snapshot*: remembered as vanished, so a
//!   late ending still counts it, but a newer event or snapshot that lists it brings it back.
//!
//! An `ACDSubscriptionResyncEvent` follows an abnormal shutdown of the Application Server: it
//! is the whole truth, whatever came before (its subscription's count starts again with it).

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use super::super::memory::{Departure, MAX_CALLS_PER_QUEUE};
use super::super::queue::{AsOf, Stamp, WaitingCall};
use super::super::snapshot::CallState;
use super::Applier;
use crate::logging::Wire;
use crate::xsi::QueueSnapshot;

impl Applier {
    /// `id`'s queue is now what `snapshot` lists as of `as_of`; `stamp` is the snapshot's own.
    pub(super) fn replace_queue(
        &mut self,
        id: &Arc<str>,
        snapshot: &QueueSnapshot,
        as_of: &AsOf,
        stamp: &Stamp,
    ) {
        let acd_name = snapshot.entries.iter().find_map(|e| e.acd_name.as_ref());
        let mut queue = self.queue(id, acd_name, stamp.arrival_ms);
        let previous = std::mem::take(&mut queue.calls);
        let listed = self.listed_calls(id, snapshot, &previous, as_of, stamp);
        queue.calls = listed.calls;
        // Calls we heard of after the snapshot's point stay, listed or not.
        let mut gone = Vec::new();
        for call in previous {
            if listed.ids.contains(&call.call_id) {
                continue;
            }
            if call.stamp.is_after(as_of) {
                queue.calls.push(call);
            } else {
                gone.push(call.call_id);
            }
        }
        // A snapshot has no positions: serve by bucket, then age; the sort is stable, so equal
        // ages keep the order BroadWorks listed them in.
        queue.calls.sort_by_key(|c| (c.priority, c.bucket_time_ms));
        let evicted = queue.evict_beyond(MAX_CALLS_PER_QUEUE);
        let sure_again = match as_of {
            AsOf::Whole => queue.truth.resynced_whole(stamp.arrival_ms),
            AsOf::Numbered(..) => queue.truth.resynced(stamp.arrival_ms, stamp.arrival_ms),
            AsOf::SentAt(sent_ms) => queue.truth.resynced(*sent_ms, stamp.arrival_ms),
        };
        drop(queue);
        for call_id in &listed.revived {
            self.ended.forget(id, call_id);
        }
        self.count_evicted_calls(id, evicted, stamp.arrival_ms);
        for call_id in gone {
            self.ended
                .remember(id, &call_id, Departure::Vanished, stamp.arrival_ms);
        }
        if sure_again {
            self.board.outcomes.resyncs.fetch_add(1, Ordering::Relaxed);
            tracing::info!(call_center = %Wire(id), "queue resynchronised");
        }
        // Events of its subscription numbered at or before it describe what it replaced.
        match (as_of, &stamp.number) {
            (AsOf::Numbered(subscription, mark), _) | (AsOf::Whole, Some((subscription, mark))) => {
                self.marks.mark(id, subscription, *mark);
            }
            _ => {}
        }
    }

    /// The calls `snapshot` lists that wait: not ended since (nor being answered), each once,
    /// what we heard after the snapshot's point kept over what it says.
    fn listed_calls(
        &self,
        id: &Arc<str>,
        snapshot: &QueueSnapshot,
        previous: &[WaitingCall],
        as_of: &AsOf,
        stamp: &Stamp,
    ) -> Listed {
        let mut listed = Listed::default();
        for entry in &snapshot.entries {
            // An entry without `addTime` was never added to the queue: not a waiting call.
            let Some(added) = entry.add_time else {
                continue;
            };
            if !listed.ids.insert(entry.call_id.clone()) {
                continue;
            }
            match self.ended.get(id, &entry.call_id) {
                // Ended (or being answered) after what the snapshot saw: it stays ended.
                Some(Departure::Counted | Departure::Whispering) => continue,
                Some(Departure::Vanished | Departure::Evicted) => {
                    listed.revived.push(entry.call_id.clone());
                }
                None => {}
            }
            let call = match previous.iter().find(|c| c.call_id == entry.call_id) {
                // What we heard after the snapshot's point is newer than what it says.
                Some(known) if known.stamp.is_after(as_of) => known.clone(),
                Some(known) => {
                    let mut call = known.clone();
                    call.update_from(entry);
                    call.stamp = stamp.clone();
                    if entry.bounced && call.state == CallState::Waiting {
                        call.state = CallState::Bounced;
                    }
                    call
                }
                None => {
                    let state = if entry.bounced {
                        CallState::Bounced
                    } else {
                        CallState::Waiting
                    };
                    WaitingCall::from_entry(entry, added, state, stamp.clone())
                }
            };
            listed.calls.push(call);
        }
        listed
    }
}

/// What a snapshot lists, as the queue will show it.
#[derive(Default)]
struct Listed {
    calls: Vec<WaitingCall>,
    ids: HashSet<Arc<str>>,
    /// Calls remembered as gone that it lists again.
    revived: Vec<Arc<str>>,
}
