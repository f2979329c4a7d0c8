//! Subscription ids this wallboard let go of: deleted, dropped after the XSP ended them, or
//! replaced by a new subscribe.
//!
//! An event that still carries one is answered 481 on the event channel (BroadWorks then deletes
//! the subscription and drops the event) and never reaches the board. An id never seen is not
//! retired: the XSP can send a new subscription's first event before the answer that names it
//! has been read.

use std::collections::{HashSet, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

/// The last [`Retired::CAPACITY`] retired ids; written by the subscription tasks, read by the
/// channel for every event. Shared by `Arc`.
#[derive(Debug, Default)]
pub struct Retired {
    ids: Mutex<Ids>,
}

#[derive(Debug, Default)]
struct Ids {
    /// Oldest first, to forget in the order they were retired.
    order: VecDeque<Arc<str>>,
    set: HashSet<Arc<str>>,
}

impl Retired {
    /// Far more than the subscriptions a wallboard makes between two of its events' arrival
    /// (one per target and package, made again on `r`); past it the oldest are forgotten.
    pub const CAPACITY: usize = 1024;

    pub fn new() -> Self {
        Retired::default()
    }

    /// Remember `id` as no longer ours.
    pub fn retire(&self, id: Arc<str>) {
        let mut ids = self.lock();
        if !ids.set.insert(id.clone()) {
            return;
        }
        ids.order.push_back(id);
        if ids.order.len() > Self::CAPACITY
            && let Some(oldest) = ids.order.pop_front()
        {
            ids.set.remove(&oldest);
        }
    }

    /// `id` was granted (again): it is ours, whatever it was before. An XSP that overwrites a
    /// subscription may give back the id it had; answering its events 481 would delete it.
    pub fn reinstate(&self, id: &str) {
        let mut ids = self.lock();
        if ids.set.remove(id) {
            ids.order.retain(|kept| &**kept != id);
        }
    }

    pub fn contains(&self, id: &str) -> bool {
        self.lock().set.contains(id)
    }

    pub fn len(&self) -> usize {
        self.lock().order.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> MutexGuard<'_, Ids> {
        // Poisoned only by a panic between the two inserts of `retire`: at worst one id is
        // then never forgotten.
        self.ids.lock().unwrap_or_else(PoisonError::into_inner)
    }
}
