//! The subscriptions the feed reported, as the applier knows them: which package and which call
//! centers each feeds, which ones are retired, and when each may be repaired next.
//!
//! A repair is the cheapest request that brings the truth back after a loss on one
//! subscription: a refresh for a user target (an initial event follows every refresh, spec
//! 4.7.3.18), a queue fetch per call center for a collection. The applier asks for it; the feed
//! (subscriber) knows how. At most one repair per subscription per [`REPAIR_SPACING_MS`]: a
//! second loss within that time is repaired when the spacing ends, never dropped.

use std::collections::HashMap;
use std::sync::Arc;

use super::input::Subscribed;
use super::retired::Retired;
use crate::xsi::Package;

/// Least time between two repairs of one subscription.
pub const REPAIR_SPACING_MS: i64 = 10_000;

#[derive(Debug)]
struct Entry {
    subscribed: Subscribed,
    last_repair_ms: Option<i64>,
    repair_due_ms: Option<i64>,
}

/// What to do about a loss on one subscription.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Repair {
    /// Ask the feed now.
    Now(Arc<str>),
    /// Already repaired lately: asked again when the spacing ends.
    Later,
    /// Not a subscription this wallboard holds (listen-only, or not reported yet).
    Unknown,
}

#[derive(Debug, Default)]
pub(crate) struct Feeds {
    live: HashMap<Arc<str>, Entry>,
    /// Ids no longer held: events still carrying one are late.
    retired: Retired,
}

impl Feeds {
    /// A subscription was granted or refreshed. Another live one for the same target and
    /// package has been replaced by it: that one is retired, and its id returned.
    pub(crate) fn up(&mut self, subscribed: Subscribed) -> Option<Arc<str>> {
        let replaced = self
            .live
            .iter()
            .find(|(id, e)| {
                **id != subscribed.subscription_id
                    && e.subscribed.target == subscribed.target
                    && e.subscribed.package == subscribed.package
            })
            .map(|(id, _)| id.clone());
        if let Some(old) = &replaced {
            self.retire(old);
        }
        let id = subscribed.subscription_id.clone();
        // The XSP may give back an id it had: it is ours again.
        self.retired.reinstate(&id);
        match self.live.get_mut(&id) {
            // A refresh: the repair history stays with the subscription.
            Some(entry) => entry.subscribed = subscribed,
            None => {
                self.live.insert(
                    id,
                    Entry {
                        subscribed,
                        last_repair_ms: None,
                        repair_due_ms: None,
                    },
                );
            }
        }
        replaced
    }

    /// The subscription is no longer ours.
    pub(crate) fn retire(&mut self, id: &Arc<str>) {
        // An event without a subscription id (a test client's) names no subscription.
        if id.is_empty() {
            return;
        }
        self.live.remove(id);
        self.retired.retire(id.clone());
    }

    pub(crate) fn get(&self, id: &str) -> Option<&Subscribed> {
        self.live.get(id).map(|e| &e.subscribed)
    }

    pub(crate) fn is_retired(&self, id: &str) -> bool {
        self.retired.contains(id)
    }

    /// The live Queue subscription that feeds `call_center`, if any.
    pub(crate) fn queue_subscription_of(&self, call_center: &str) -> Option<Arc<str>> {
        self.live
            .iter()
            .find(|(_, e)| {
                e.subscribed.package == Package::Queue
                    && e.subscribed
                        .call_centers
                        .iter()
                        .any(|c| &**c == call_center)
            })
            .map(|(id, _)| id.clone())
    }

    /// A loss on subscription `id` at `now_ms`: repair now, or once the spacing ends.
    pub(crate) fn request_repair(&mut self, id: &str, now_ms: i64) -> Repair {
        let Some(entry) = self.live.get_mut(id) else {
            return Repair::Unknown;
        };
        match entry.last_repair_ms {
            Some(last) if now_ms < last + REPAIR_SPACING_MS => {
                entry.repair_due_ms.get_or_insert(last + REPAIR_SPACING_MS);
                Repair::Later
            }
            _ => {
                entry.last_repair_ms = Some(now_ms);
                entry.repair_due_ms = None;
                Repair::Now(entry.subscribed.subscription_id.clone())
            }
        }
    }

    /// Repairs put off by the spacing that are due at `now_ms`; each is taken as done.
    pub(crate) fn due_repairs(&mut self, now_ms: i64) -> Vec<Arc<str>> {
        let mut due = Vec::new();
        for (id, entry) in &mut self.live {
            if entry.repair_due_ms.is_some_and(|at| at <= now_ms) {
                entry.repair_due_ms = None;
                entry.last_repair_ms = Some(now_ms);
                due.push(id.clone());
            }
        }
        due.sort();
        due
    }

    /// The earliest repair put off, if any (the applier's timer).
    pub(crate) fn next_repair_ms(&self) -> Option<i64> {
        self.live.values().filter_map(|e| e.repair_due_ms).min()
    }
}
