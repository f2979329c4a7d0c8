//! One call center's queue: its waiting calls in serving order, its counters and what the
//! Monitoring and Configuration packages last said about it.
//!
//! Serving order and stale positions: BroadWorks serves by priority bucket (`acdPriority`, 0
//! first), then by position in the queue. It sends `position` only with Added, Bounced, Promoted
//! and Reordered, so a stored number goes stale as soon as a call ahead leaves. We therefore store
//! no positions at all: `calls` *is* the serving order, and an event's `position` only says where
//! to (re)insert its call, clamped to the call's priority bucket so that a position from a queue
//! we are out of step with can never put a low-priority call ahead of a higher one. A call leaving
//! shifts the ones behind it, as it does on the XSP, and the shown position is the rank in `calls`.
//! A call whose position we were never told is placed by age in its bucket
//! (`addTimeInPriorityBucket`, else `addTime`).
//!
//! A queue holds at most a few hundred calls, so a `Vec` searched linearly beats a map here and
//! keeps the order and the calls in one place.

use std::sync::Arc;

use super::Thresholds;
use super::history::History;
use super::sequence;
use super::snapshot::{CallRow, CallState, Eligibility, MonitoringRow, QueueMode, QueueRow};
use super::stats::{CallStats, QueueAlert, StatsRow};
use super::truth::{QueueTruth, Truth};
use crate::actions::ActionKind;
use crate::xsi::{MonitoringStatus, QueueEntry};

/// Which input last told us about a call: an event numbered on a subscription, or an arrival
/// without a number. A snapshot older than this leaves the call alone.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct Stamp {
    /// Epoch ms (this host) the input arrived.
    pub(crate) arrival_ms: i64,
    /// The event's subscription and `sequenceNumber`, when it had them.
    pub(crate) number: Option<(Arc<str>, u32)>,
}

/// What a snapshot describes the queue as of.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum AsOf {
    /// An `ACDSubscriptionEvent`: the queue at its own number on its subscription.
    Numbered(Arc<str>, u32),
    /// An Xsi-Actions fetch: the queue when the request was sent (epoch ms, this host).
    SentAt(i64),
    /// An `ACDSubscriptionResyncEvent`: the whole truth, whatever came before.
    Whole,
}

impl Stamp {
    /// Did this input come after what a snapshot `as_of` describes?
    pub(crate) fn is_after(&self, as_of: &AsOf) -> bool {
        match (as_of, &self.number) {
            (AsOf::Numbered(subscription, mark), Some((id, n))) => {
                id == subscription && *n != *mark && sequence::at_or_before(*mark, *n)
            }
            (AsOf::SentAt(sent_ms), _) => self.arrival_ms > *sent_ms,
            _ => false,
        }
    }
}

/// One call waiting in a queue.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct WaitingCall {
    pub(crate) call_id: Arc<str>,
    pub(crate) ext_tracking_id: Arc<str>,
    pub(crate) caller_name: Option<Arc<str>>,
    pub(crate) caller_number: Option<Arc<str>>,
    /// Epoch ms, the XSP's clock.
    pub(crate) add_time_ms: i64,
    /// Epoch ms (XSP clock) the call entered its current priority bucket.
    pub(crate) bucket_time_ms: i64,
    pub(crate) priority: u8,
    pub(crate) state: CallState,
    pub(crate) agent: Option<Arc<str>>,
    /// The caller asked not to be identified (`privacy` in the party information).
    pub(crate) privacy: bool,
    /// What the caller already waited in earlier queues (`preservedWaitTime`, seconds).
    pub(crate) preserved_wait_secs: Option<u32>,
    /// `premium`: an entry carried `acdPriority` ("only for Premium" call centers, the one
    /// sign a promote can be taken); `bounced` once (an entry's flag or an
    /// `ACDCallBouncedEvent`), whatever its state is now; `mandatory_entrance` as the last
    /// entry said.
    pub(crate) eligibility: Eligibility,
    /// An action sent and not yet answered by its event (see `actions`), until when (epoch ms,
    /// this host).
    pub(crate) pending: Option<(ActionKind, i64)>,
    /// The input that last told us about this call.
    pub(crate) stamp: Stamp,
}

/// `acdPriority` is optional in the schema; a call center that does not use DNIS priorities
/// serves every call from one bucket, so a call that never said goes in the first one.
const DEFAULT_PRIORITY: u8 = 0;

impl WaitingCall {
    /// A call that entered the queue at `add_time_ms` (the entry's `addTime`: an entry without
    /// one never queued and is never shown as waiting).
    pub(crate) fn from_entry(
        entry: &QueueEntry,
        add_time_ms: i64,
        state: CallState,
        stamp: Stamp,
    ) -> Self {
        let mut call = WaitingCall {
            call_id: entry.call_id.clone(),
            ext_tracking_id: entry.ext_tracking_id.clone(),
            caller_name: None,
            caller_number: None,
            add_time_ms,
            bucket_time_ms: add_time_ms,
            priority: DEFAULT_PRIORITY,
            state,
            agent: None,
            privacy: false,
            preserved_wait_secs: None,
            eligibility: Eligibility::default(),
            pending: None,
            stamp,
        };
        call.update_from(entry);
        call
    }

    /// Take every detail the entry carries; keep what it leaves out.
    pub(crate) fn update_from(&mut self, entry: &QueueEntry) {
        if !entry.ext_tracking_id.is_empty() {
            self.ext_tracking_id = entry.ext_tracking_id.clone();
        }
        let party = &entry.remote_party;
        // Once asked for, privacy stays: a later event that omits the flag does not lift it.
        self.privacy |= party.privacy;
        if let Some(name) = &party.name {
            self.caller_name = Some(name.clone());
        }
        if let Some(number) = party.address.as_ref().or(party.user_dn.as_ref()) {
            self.caller_number = Some(caller_number(number));
        }
        if let Some(added) = entry.add_time {
            self.add_time_ms = added;
        }
        if let Some(priority) = entry.acd_priority {
            self.priority = priority;
            self.eligibility.premium = true;
        }
        self.eligibility.bounced |= entry.bounced;
        self.eligibility.mandatory_entrance = entry.mandatory_entrance;
        self.bucket_time_ms = entry
            .add_time_in_priority_bucket
            .unwrap_or(self.add_time_ms);
        if let Some(agent) = &entry.answering_user_id {
            self.agent = Some(agent.clone());
        }
        if entry.preserved_wait_secs.is_some() {
            self.preserved_wait_secs = entry.preserved_wait_secs;
        }
    }

    /// How long the caller has waited at `now_ms` (the XSP's clock): the whole wait, the part
    /// from earlier queues (`None` when not told, or beyond the suspect limit: not a plausible
    /// wait), and whether this queue's own wait is past the suspect limit.
    pub(crate) fn wait(&self, now_ms: i64, suspect_after_secs: u64) -> Wait {
        let own = secs_between(self.add_time_ms, now_ms);
        let preserved = self
            .preserved_wait_secs
            .map(u64::from)
            .filter(|&secs| secs <= suspect_after_secs);
        Wait {
            whole: own + preserved.unwrap_or(0),
            preserved,
            suspect: own > suspect_after_secs,
        }
    }

    fn row(&self, rank: usize, now_ms: i64, suspect_after_secs: u64) -> CallRow {
        let Wait {
            whole: wait_secs,
            preserved: preserved_wait_secs,
            suspect,
        } = self.wait(now_ms, suspect_after_secs);
        CallRow {
            call_id: self.call_id.clone(),
            ext_tracking_id: self.ext_tracking_id.clone(),
            caller_name: self.caller_name.clone(),
            caller_number: self.caller_number.clone(),
            add_time_ms: self.add_time_ms,
            wait_secs,
            position: u32::try_from(rank + 1).unwrap_or(u32::MAX),
            priority: self.priority,
            state: self.state,
            agent: self.agent.clone(),
            suspect,
            privacy: self.privacy,
            preserved_wait_secs,
            eligibility: self.eligibility,
            pending: self.pending.map(|(kind, _)| kind),
        }
    }
}

/// A caller's wait at one instant, in seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Wait {
    /// Including earlier queues.
    pub(crate) whole: u64,
    pub(crate) preserved: Option<u64>,
    /// Waiting in this queue longer than `max_wait_secs`: probably a call whose ending was lost.
    pub(crate) suspect: bool,
}

/// `tel:+15007003333` reads better as `+15007003333`; anything else is shown as sent.
fn caller_number(address: &Arc<str>) -> Arc<str> {
    match address.strip_prefix("tel:") {
        Some(number) => Arc::from(number),
        None => address.clone(),
    }
}

/// Whole seconds from `from_ms` to `to_ms`, 0 if `to_ms` is earlier (clocks of the XSP and this
/// host differ a little).
pub(crate) fn secs_between(from_ms: i64, to_ms: i64) -> u64 {
    u64::try_from(to_ms.saturating_sub(from_ms)).unwrap_or(0) / 1000
}

/// A duration a supervisor reads at a glance: `45 s`, `6 min`, `2 h 05 min`.
pub(crate) fn duration_words(secs: u64) -> String {
    match secs {
        0..60 => format!("{secs} s"),
        60..3600 => format!("{} min", secs / 60),
        _ => format!("{} h {:02} min", secs / 3600, secs / 60 % 60),
    }
}

/// One call center: its waiting calls in serving order and its counters.
#[derive(Debug)]
pub struct Queue {
    /// Display name: the configured alias, else the first `acdName` seen, else the id.
    pub(crate) name: Arc<str>,
    /// Waiting calls in serving order (see the module comment).
    pub(crate) calls: Vec<WaitingCall>,
    /// First `acdName` seen: later ones may be the DNIS names of the same call center.
    pub(crate) acd_name: Option<Arc<str>>,
    pub(crate) answered: u64,
    pub(crate) abandoned: u64,
    pub(crate) other_departures: u64,
    /// Calls that never queued (forced forwarding, night or holiday policy).
    pub(crate) not_queued: u64,
    pub(crate) monitoring: Option<MonitoringStatus>,
    pub(crate) mode: QueueMode,
    /// Service level, abandon and never-queued counters (see `stats`).
    pub(crate) stats: CallStats,
    /// Epoch ms (this host) of the last event for this call center.
    pub(crate) last_event_ms: i64,
    /// Whether what is shown can be trusted (written by the applier).
    pub(crate) truth: Truth,
    /// The alert level and why, as the applier last evaluated it (once a second).
    pub(crate) alert: QueueAlert,
    /// The day in intervals (see `history`).
    pub(crate) history: History,
    /// Vouched for by more than a POST: configured, expected, subscribed by the feed, or fed
    /// by a subscription the feed holds. Only these run the alert command: a forger can put
    /// any call center on the board, but cannot page anyone with it.
    pub(crate) known: bool,
}

impl Queue {
    pub(crate) fn new(name: Arc<str>) -> Self {
        Queue {
            name,
            calls: Vec::new(),
            acd_name: None,
            answered: 0,
            abandoned: 0,
            other_departures: 0,
            not_queued: 0,
            monitoring: None,
            mode: QueueMode::default(),
            stats: CallStats::default(),
            last_event_ms: 0,
            truth: Truth::default(),
            alert: QueueAlert::default(),
            history: History::default(),
            known: false,
        }
    }

    /// The longest wait at `server_now_ms` of the calls that are not suspect, in seconds.
    pub(crate) fn longest_wait_secs(&self, server_now_ms: i64, suspect_after_secs: u64) -> u64 {
        self.calls
            .iter()
            .map(|c| c.wait(server_now_ms, suspect_after_secs))
            .filter(|w| !w.suspect)
            .map(|w| w.whole)
            .max()
            .unwrap_or(0)
    }

    pub(crate) fn index_of(&self, call_id: &str) -> Option<usize> {
        self.calls.iter().position(|c| &*c.call_id == call_id)
    }

    pub(crate) fn remove(&mut self, call_id: &str) -> Option<WaitingCall> {
        self.index_of(call_id).map(|i| self.calls.remove(i))
    }

    /// Put `call` (not in the list) where it is served: at the 1-based `position` the XSP gave,
    /// kept inside the call's priority bucket, else by age within the bucket.
    /// Drop the longest-waiting calls beyond `max` (their endings were lost); their ids.
    pub(crate) fn evict_beyond(&mut self, max: usize) -> Vec<Arc<str>> {
        let mut evicted = Vec::new();
        while self.calls.len() > max {
            let Some(oldest) = self
                .calls
                .iter()
                .enumerate()
                .min_by_key(|(_, c)| c.add_time_ms)
                .map(|(i, _)| i)
            else {
                break;
            };
            evicted.push(self.calls.remove(oldest).call_id);
        }
        evicted
    }

    pub(crate) fn place(&mut self, call: WaitingCall, position: Option<u32>) {
        let start = self.calls.partition_point(|c| c.priority < call.priority);
        let end = start + self.calls[start..].partition_point(|c| c.priority == call.priority);
        let index = match position {
            Some(position) => (position.saturating_sub(1) as usize).clamp(start, end),
            None => {
                start
                    + self.calls[start..end]
                        .iter()
                        .take_while(|c| c.bucket_time_ms <= call.bucket_time_ms)
                        .count()
            }
        };
        self.calls.insert(index, call);
    }

    /// The row shown for this queue at `now_ms` (this host's clock), waits counted to
    /// `server_now_ms` (the XSP's clock, which stamped `addTime`).
    pub(crate) fn row(
        &self,
        id: &Arc<str>,
        counters_since: String,
        thresholds: Thresholds,
        now_ms: i64,
        server_now_ms: i64,
        suspect_after_secs: u64,
    ) -> QueueRow {
        let calls: Vec<CallRow> = self
            .calls
            .iter()
            .enumerate()
            .map(|(rank, call)| call.row(rank, server_now_ms, suspect_after_secs))
            .collect();
        // A suspect call (probably one whose ending was lost) does not make the queue look worse.
        let longest_wait_secs = calls
            .iter()
            .filter(|c| !c.suspect)
            .map(|c| c.wait_secs)
            .max()
            .unwrap_or(0);
        QueueRow {
            id: id.clone(),
            name: self.name.clone(),
            calls,
            answered: self.answered,
            abandoned: self.abandoned,
            other_departures: self.other_departures,
            not_queued: self.not_queued,
            counters_since,
            longest_wait_secs,
            monitoring: self.monitoring.as_ref().map(MonitoringRow::from),
            mode: self.mode,
            last_event_secs_ago: (self.last_event_ms > 0)
                .then(|| secs_between(self.last_event_ms, now_ms)),
            warn_secs: thresholds.warn_secs,
            crit_secs: thresholds.crit_secs,
            // Filled by the board, which knows the limits and the agents.
            stats: StatsRow::default(),
            truth: QueueTruth::default(),
            agents: Vec::new(),
        }
    }
}
