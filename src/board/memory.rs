//! The applier's bounded memories: event ids already applied, and calls that already left.
//!
//! Both are written and read by the applier task only, so they are plain maps; both forget
//! oldest-first so that a long-running wallboard holds a bounded amount.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::Arc;

/// How many `eventID`s are remembered: minutes of a busy service provider's events, far longer
/// than any redelivery or reordering window.
pub const SEEN_EVENT_IDS: usize = 65_536;

/// Bytes of `eventID`s remembered: a count alone let 65 536 long ids hold tens of MB. Real ids
/// (tens of bytes) fill the count first; ids of the parser's maximum (256 bytes) fill this.
pub const SEEN_EVENT_ID_BYTES: usize = 1024 * 1024;

/// Bytes of ended calls' ids remembered, for the same reason.
pub const ENDED_CALL_BYTES: usize = 1024 * 1024;

/// Waiting calls kept on the whole board: [`MAX_QUEUES`] times [`MAX_CALLS_PER_QUEUE`] would be
/// millions. Beyond it, the longest-waiting calls of the fullest queue go, as for one queue.
pub const MAX_CALLS: usize = 3_000;

/// Agents kept; beyond it the one heard from least recently goes.
pub const MAX_AGENTS: usize = 1_000;

/// Call centers kept per agent (the join list of one event is cut to it).
pub const MAX_JOINED_PER_AGENT: usize = 16;

/// Whispers awaiting their answer; beyond it the oldest is counted answered at once.
pub const MAX_WHISPERS: usize = 4_096;

/// How long (ms) and how many ended calls are remembered. A reordered event arrives within
/// seconds; 15 minutes also covers a late snapshot or a slow resync.
pub const ENDED_CALL_TTL_MS: i64 = 15 * 60 * 1000;
pub const ENDED_CALLS: usize = 100_000;

/// Calls kept per queue. BroadWorks caps a call center's queue far lower (hundreds), so more
/// means calls whose ending was lost: the oldest go first, counted and logged.
pub const MAX_CALLS_PER_QUEUE: usize = 2_000;

/// Call centers kept on the board; beyond it the one heard from least recently goes.
pub const MAX_QUEUES: usize = 2_000;

/// A call waiting longer than this (seconds) is marked suspect: probably a call whose ending
/// was lost, shown as such rather than silently kept [default: 4 h].
pub const SUSPECT_WAIT_SECS: u64 = 4 * 60 * 60;

/// `eventID`s already applied, oldest forgotten first.
#[derive(Debug, Default)]
pub(crate) struct SeenEventIds {
    ids: HashSet<Arc<str>>,
    order: VecDeque<Arc<str>>,
    /// Bytes of the ids in `order`.
    bytes: usize,
}

impl SeenEventIds {
    /// Remember `id`; false if it was already there (a duplicate).
    pub(crate) fn insert(&mut self, id: &Arc<str>) -> bool {
        if !self.ids.insert(id.clone()) {
            return false;
        }
        self.order.push_back(id.clone());
        self.bytes += id.len();
        while self.order.len() > SEEN_EVENT_IDS || self.bytes > SEEN_EVENT_ID_BYTES {
            let Some(oldest) = self.order.pop_front() else {
                break;
            };
            self.bytes -= oldest.len();
            self.ids.remove(&oldest);
        }
        true
    }
}

/// How a remembered call left the queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Departure {
    /// Answered, abandoned or otherwise ended, and counted: every later event for it is ignored.
    Counted,
    /// An agent accepted it and the whisper announcement plays (`ACDWhisperStartedEvent`): no
    /// longer waiting, not counted yet. The answer (or another ending) that follows counts it
    /// once; nothing else brings it back, not even a snapshot that still lists it (the call
    /// "remains in the queue" on the XSP while the whisper plays).
    Whispering,
    /// Left out by a snapshot: gone as of that snapshot, but how is not known. A late ending
    /// event may still count it (once); an event newer than the snapshot brings it back.
    Vanished,
    /// Dropped to keep a queue within its cap (its ending was surely lost): a late ending
    /// still counts it, nothing else brings it back.
    Evicted,
}

type CallKey = (Arc<str>, Arc<str>);

/// Calls that left, per (call center, `callId`), so that a late event cannot bring back a ghost.
#[derive(Debug, Default)]
pub(crate) struct EndedCalls {
    calls: HashMap<CallKey, (Departure, i64)>,
    /// Insertion order with the time each was remembered; an entry whose time no longer matches
    /// the map's (it was remembered again later) is skipped when it comes up.
    order: VecDeque<(CallKey, i64)>,
    /// Bytes of the call ids in `order` (the call center's id is shared with its queue).
    bytes: usize,
}

impl EndedCalls {
    pub(crate) fn get(&self, queue: &Arc<str>, call_id: &Arc<str>) -> Option<Departure> {
        self.calls
            .get(&(queue.clone(), call_id.clone()))
            .map(|&(departure, _)| departure)
    }

    pub(crate) fn remember(
        &mut self,
        queue: &Arc<str>,
        call_id: &Arc<str>,
        departure: Departure,
        now_ms: i64,
    ) {
        let key = (queue.clone(), call_id.clone());
        self.calls.insert(key.clone(), (departure, now_ms));
        self.bytes += call_id.len();
        self.order.push_back((key, now_ms));
        self.forget_old(now_ms);
    }

    /// Forget calls remembered before `now_ms - ENDED_CALL_TTL_MS`, and the oldest beyond the cap.
    pub(crate) fn forget_old(&mut self, now_ms: i64) {
        let horizon = now_ms.saturating_sub(ENDED_CALL_TTL_MS);
        while let Some((key, at)) = self.order.front() {
            let live = self.calls.get(key).is_some_and(|&(_, t)| t == *at);
            let within = self.calls.len() <= ENDED_CALLS && self.bytes <= ENDED_CALL_BYTES;
            if live && *at >= horizon && within {
                break;
            }
            if let Some((key, _)) = self.order.pop_front() {
                self.bytes -= key.1.len();
                if live {
                    self.calls.remove(&key);
                }
            }
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.calls.len()
    }

    /// Keep only the calls of the call centers `keep` says yes to (the others left the board);
    /// their places in `order` are skipped when they come up.
    pub(crate) fn retain_queues(&mut self, keep: impl Fn(&str) -> bool) {
        self.calls.retain(|(queue, _), _| keep(queue));
    }

    /// Forget one call (it came back: an event newer than the snapshot that left it out).
    pub(crate) fn forget(&mut self, queue: &Arc<str>, call_id: &Arc<str>) {
        // Its place in `order` is skipped when it comes up: the map no longer matches it.
        self.calls.remove(&(queue.clone(), call_id.clone()));
    }
}
