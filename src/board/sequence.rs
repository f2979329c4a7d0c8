//! Loss detection from `sequenceNumber`: one counter per subscription, shared by all its targets.
//!
//! Events of different targets may overtake each other, so a number that has not arrived yet is
//! only *missing*; it becomes a *gap* (lost events) when it is still missing after a window. The
//! window is driven by the caller's clock (the applier's `now`), so tests need no sleeping.
//! Every event of a subscription carries its number, whatever its type (`XSIBaseEvent.xsd`), so
//! the caller observes every number it *received*: of events it ignores, refuses or does not
//! know, too. A gap is a number never received.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

/// `sequenceNumber` runs from 1 and wraps after 2147483647: arithmetic is modulo 2^31.
const MODULUS: u32 = 1 << 31;
/// Half the number space: a number less than this far ahead is newer, farther is older
/// (serial-number arithmetic, as RFC 1982 does for DNS).
const HALF: u32 = 1 << 30;
/// How many missing numbers are tracked one by one per subscription; a jump farther than this
/// is a loss however late the rest may be, and is reported as a gap at the next expiry.
const MAX_MISSING: u32 = 4096;
/// Missing numbers tracked over every subscription: beyond it, a jump counts as one long jump
/// (a gap all the same) instead of number by number.
const MAX_MISSING_TOTAL: usize = 65_536;
/// Subscriptions tracked; beyond it the one heard from least recently is forgotten. A
/// wallboard holds one per target and package; a forger can invent one per POST.
pub const MAX_STREAMS: usize = 1024;
/// (subscription, call center) pairs tracked over every subscription.
const MAX_TARGETS_TOTAL: usize = 8192;
/// Default window before a missing number counts as lost.
pub const GAP_WINDOW_MS: i64 = 2000;

/// How one number relates to what the subscription sent before.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Observed {
    /// The first number of the subscription, or one after the highest so far.
    InOrder,
    /// Ahead of the highest: the numbers in between are now missing.
    Ahead,
    /// A missing number arrived within the window (overtaken by another target's event).
    Filled,
    /// Seen already, or older than what is tracked.
    Old,
}

/// Lost events on one subscription: every target it feeds must be resynchronised.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Gap {
    pub subscription_id: Arc<str>,
    /// Targets (call centers) seen on this subscription, sorted.
    pub targets: Vec<Arc<str>>,
    /// How many numbers were lost (at least; a long jump counts as one).
    pub missing: usize,
}

#[derive(Debug, Default)]
struct Stream {
    highest: u32,
    /// Missing number -> when it was first noticed missing (caller's clock, ms).
    missing: BTreeMap<u32, i64>,
    /// A jump too long to track number by number, noticed at this time.
    jump_at: Option<i64>,
    targets: HashSet<Arc<str>>,
    /// When a number was last observed (caller's clock): the quietest goes first.
    heard_ms: i64,
}

/// Per subscription trackers; owned by the applier (one writer, no lock).
#[derive(Debug)]
pub struct SequenceTracker {
    window_ms: i64,
    streams: HashMap<Arc<str>, Stream>,
    /// Missing numbers and targets over every stream (see the caps above).
    missing_total: usize,
    targets_total: usize,
}

impl Default for SequenceTracker {
    fn default() -> Self {
        SequenceTracker::new(GAP_WINDOW_MS)
    }
}

/// `a` is after `b` by `forward(b, a)` steps modulo 2^31.
fn forward(from: u32, to: u32) -> u32 {
    to.wrapping_sub(from) % MODULUS
}

/// Is `a` at or before `b` in the subscription's (wrapping) order?
pub fn at_or_before(a: u32, b: u32) -> bool {
    forward(a, b) < HALF
}

impl SequenceTracker {
    pub fn new(window_ms: i64) -> Self {
        SequenceTracker {
            window_ms,
            streams: HashMap::new(),
            missing_total: 0,
            targets_total: 0,
        }
    }

    /// Note `sequence` on `subscription_id` (about `target`, if the event names one) at `now_ms`.
    pub fn observe(
        &mut self,
        subscription_id: &Arc<str>,
        target: Option<&Arc<str>>,
        sequence: u32,
        now_ms: i64,
    ) -> Observed {
        let sequence = sequence % MODULUS;
        if !self.streams.contains_key(subscription_id) && self.streams.len() >= MAX_STREAMS {
            self.forget_quietest();
        }
        if target.is_some() && self.targets_total >= MAX_TARGETS_TOTAL {
            self.forget_quietest();
        }
        // After the room is made: the stream made room for may be this one.
        let fresh = !self.streams.contains_key(subscription_id);
        let stream = self.streams.entry(subscription_id.clone()).or_default();
        stream.heard_ms = now_ms;
        if let Some(target) = target
            && !stream.targets.contains(target)
        {
            stream.targets.insert(target.clone());
            self.targets_total += 1;
        }
        if fresh {
            stream.highest = sequence;
            return Observed::InOrder;
        }
        let ahead = forward(stream.highest, sequence);
        if ahead == 0 {
            return Observed::Old;
        }
        if ahead >= HALF {
            return if stream.missing.remove(&sequence).is_some() {
                self.missing_total -= 1;
                Observed::Filled
            } else {
                Observed::Old
            };
        }
        let previous = stream.highest;
        stream.highest = sequence;
        if ahead == 1 {
            return Observed::InOrder;
        }
        if ahead > MAX_MISSING || self.missing_total + ahead as usize > MAX_MISSING_TOTAL {
            stream.jump_at.get_or_insert(now_ms);
            return Observed::Ahead;
        }
        for step in 1..ahead {
            let number = (previous + step) % MODULUS;
            // Whether the counter wraps to 0 or to 1 is not specified: 0 is never waited for.
            if number != 0 && stream.missing.insert(number, now_ms).is_none() {
                self.missing_total += 1;
            }
        }
        Observed::Ahead
    }

    /// The subscriptions whose missing numbers have outlived the window at `now_ms`. Each gap
    /// is reported once: its numbers are forgotten (a resync replaces what they carried).
    pub fn expire(&mut self, now_ms: i64) -> Vec<Gap> {
        let mut gaps = Vec::new();
        for (id, stream) in &mut self.streams {
            let horizon = now_ms.saturating_sub(self.window_ms);
            let overdue = stream.missing.values().any(|&at| at <= horizon)
                || stream.jump_at.is_some_and(|at| at <= horizon);
            if !overdue {
                continue;
            }
            let mut targets: Vec<Arc<str>> = stream.targets.iter().cloned().collect();
            targets.sort();
            gaps.push(Gap {
                subscription_id: id.clone(),
                targets,
                missing: stream.missing.len() + usize::from(stream.jump_at.is_some()),
            });
            self.missing_total -= stream.missing.len();
            stream.missing.clear();
            stream.jump_at = None;
        }
        gaps.sort_by(|a, b| a.subscription_id.cmp(&b.subscription_id));
        gaps
    }

    /// Forget a subscription (deleted or replaced): its numbers mean nothing any more.
    pub fn forget(&mut self, subscription_id: &str) {
        if let Some(stream) = self.streams.remove(subscription_id) {
            self.missing_total -= stream.missing.len();
            self.targets_total -= stream.targets.len();
        }
    }

    /// Room for another subscription or target: the subscription heard from least recently is
    /// forgotten (its losses, if any, can no longer be told; a forged one's never mattered).
    fn forget_quietest(&mut self) {
        let quietest = self
            .streams
            .iter()
            .min_by_key(|(_, s)| s.heard_ms)
            .map(|(id, _)| id.clone());
        if let Some(id) = quietest {
            self.forget(&id);
        }
    }

    /// Forget `target` in every subscription (its call center left the board).
    pub fn forget_target(&mut self, target: &str) {
        for stream in self.streams.values_mut() {
            if stream.targets.remove(target) {
                self.targets_total -= 1;
            }
        }
    }

    /// Subscriptions tracked now.
    pub fn streams(&self) -> usize {
        self.streams.len()
    }

    /// The subscription's count starts again at `sequence` (an `ACDSubscriptionResyncEvent`
    /// follows an Application Server that shut down abnormally; the specification's example
    /// carries number 1): what was missing is no longer awaited.
    pub fn restart(
        &mut self,
        subscription_id: &Arc<str>,
        target: Option<&Arc<str>>,
        sequence: u32,
    ) {
        if !self.streams.contains_key(&**subscription_id) && self.streams.len() >= MAX_STREAMS {
            self.forget_quietest();
        }
        let stream = self.streams.entry(subscription_id.clone()).or_default();
        stream.highest = sequence % MODULUS;
        self.missing_total -= stream.missing.len();
        stream.missing.clear();
        stream.jump_at = None;
        if let Some(target) = target
            && stream.targets.insert(target.clone())
        {
            self.targets_total += 1;
        }
    }

    /// The call centers seen on a subscription so far.
    pub fn targets(&self, subscription_id: &str) -> Vec<Arc<str>> {
        let mut targets: Vec<Arc<str>> = self
            .streams
            .get(subscription_id)
            .map(|s| s.targets.iter().cloned().collect())
            .unwrap_or_default();
        targets.sort();
        targets
    }

    /// Whether any number is missing or a jump is noticed: a gap may yet be declared.
    pub fn pending(&self) -> bool {
        self.streams
            .values()
            .any(|s| !s.missing.is_empty() || s.jump_at.is_some())
    }

    /// How many numbers are missing now, over every subscription.
    pub fn missing(&self) -> usize {
        self.streams.values().map(|s| s.missing.len()).sum()
    }
}

/// Per target, the (subscription, sequence number) of the last snapshot applied: an event of
/// that subscription numbered at or before it describes a state the snapshot already replaced.
#[derive(Debug, Default)]
pub struct SnapshotMarks {
    marks: HashMap<Arc<str>, (Arc<str>, u32)>,
}

impl SnapshotMarks {
    /// A snapshot for `target` was applied; `sequence` is its own number or, for a snapshot
    /// fetched through Xsi-Actions (no number), the highest the subscription had sent.
    pub fn mark(&mut self, target: &Arc<str>, subscription_id: &Arc<str>, sequence: u32) {
        self.marks.insert(
            target.clone(),
            (subscription_id.clone(), sequence % MODULUS),
        );
    }

    /// The mark of `target`'s last snapshot, if it was numbered.
    pub fn get(&self, target: &str) -> Option<(&Arc<str>, u32)> {
        self.marks.get(target).map(|(id, mark)| (id, *mark))
    }

    /// Forget `target` (its call center left the board).
    pub fn forget(&mut self, target: &str) {
        self.marks.remove(target);
    }

    /// Is this event older than the last snapshot applied for its target?
    pub fn is_late(&self, target: &str, subscription_id: &str, sequence: u32) -> bool {
        self.marks.get(target).is_some_and(|(id, mark)| {
            &**id == subscription_id && at_or_before(sequence % MODULUS, *mark)
        })
    }
}

impl SequenceTracker {
    /// The highest number seen on a subscription, if any (the mark of a fetched snapshot).
    pub fn highest(&self, subscription_id: &str) -> Option<u32> {
        self.streams.get(subscription_id).map(|s| s.highest)
    }
}
