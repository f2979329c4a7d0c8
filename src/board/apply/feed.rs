//! The feed's side of the applier: subscriptions granted, lost and retired; losses (gaps,
//! 503s) and the repairs they call for; initial events that never came.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use super::super::feeds::Repair;
use super::super::input::{DroppedEvent, FeedNews, Subscribed};
use super::super::truth::FeedWord;
use super::Applier;
use crate::logging::{Throttle, Wire};
use crate::status::FeedCommand;
use crate::xsi::{Envelope, Package};

/// A forger can invent a subscription per POST: its gaps and unrepairable losses are warned
/// of at a bounded rate.
static GAPS: Throttle = Throttle::new();
static UNREPAIRABLE: Throttle = Throttle::new();

impl Applier {
    pub(super) fn feed_news(&mut self, news: FeedNews) {
        match news {
            FeedNews::Up(subscribed) => self.subscribed(subscribed),
            FeedNews::Down {
                package,
                call_centers,
                reason,
                at_ms,
                ..
            } => {
                for id in &call_centers {
                    self.queue(id, None, at_ms).truth.feed(
                        package,
                        FeedWord::Down(reason.clone()),
                        at_ms,
                    );
                }
            }
            FeedNews::Retired { subscription_id } => self.retire(&subscription_id),
        }
    }

    fn subscribed(&mut self, subscribed: Subscribed) {
        for id in &subscribed.call_centers {
            let mut queue = self.queue(id, None, subscribed.sent_ms);
            queue.known = true;
            queue
                .truth
                .feed(subscribed.package, FeedWord::Up, subscribed.sent_ms);
            if subscribed.package == Package::Queue
                && let Some(due) = subscribed.initial_event_due_ms
            {
                queue.truth.expect_initial_event(subscribed.sent_ms, due);
            }
        }
        if let Some(replaced) = self.feeds.up(subscribed) {
            self.sequences.forget(&replaced);
        }
    }

    fn retire(&mut self, subscription_id: &Arc<str>) {
        self.feeds.retire(subscription_id);
        self.sequences.forget(subscription_id);
    }

    /// A `SubscriptionTerminatedEvent`: the XSP ended the subscription. Its call centers'
    /// package is down until the subscriber has subscribed again (only the Queue package makes
    /// them STALE; the others degrade them), and the subscriber is told.
    pub(super) fn terminated(
        &mut self,
        envelope: &Envelope,
        call_center: Option<&Arc<str>>,
        at_ms: i64,
    ) {
        let id = envelope.subscription_id.clone();
        let (package, call_centers) = match self.feeds.get(&id) {
            Some(s) => (s.package, s.call_centers.clone()),
            // Not reported by a subscriber (listen-only): the event's own call center.
            None => (Package::Queue, call_center.cloned().into_iter().collect()),
        };
        let reason = "subscription terminated by the XSP; subscribing again".to_owned();
        for cc in &call_centers {
            self.queue(cc, None, at_ms)
                .truth
                .feed(package, FeedWord::Down(reason.clone()), at_ms);
        }
        self.retire(&id);
        self.send(FeedCommand::Terminated(id));
    }

    /// Events refused with 503: lost. Their queues are UNSURE and their subscriptions repaired.
    pub(super) fn dropped(&mut self, dropped: &[DroppedEvent], now_ms: i64) {
        let mut repair: Vec<Arc<str>> = Vec::new();
        let mut unsure: Vec<Arc<str>> = Vec::new();
        for event in dropped {
            if let (Some(sub), Some(n)) = (&event.subscription_id, event.sequence_number)
                && !self.feeds.is_retired(sub)
            {
                // It was received: a number lost with a 503 is no gap, the loss is known.
                self.sequences
                    .observe(sub, event.target_id.as_ref(), n, now_ms);
            }
            let subscription = event
                .subscription_id
                .clone()
                .filter(|s| self.feeds.get(s).is_some())
                .or_else(|| {
                    event
                        .target_id
                        .as_deref()
                        .and_then(|t| self.feeds.queue_subscription_of(t))
                });
            match (&event.target_id, &subscription) {
                (Some(target), _) => unsure.push(target.clone()),
                (None, Some(sub)) => unsure.extend(self.call_centers_fed_by(sub)),
                (None, None) => unsure.extend(self.board.queue_ids()),
            }
            repair.extend(subscription);
        }
        unsure.sort();
        unsure.dedup();
        for id in &unsure {
            self.queue(id, None, now_ms)
                .truth
                .mark_unsure(now_ms, "an event was refused (503): the board was behind");
        }
        repair.sort();
        repair.dedup();
        for sub in repair {
            self.request_repair(&sub, now_ms);
        }
    }

    /// Numbers still missing after their window, at `now_ms`, are losses: the queues the
    /// subscription feeds are UNSURE, and that subscription alone is repaired. Returns how
    /// many gaps.
    pub fn expire_gaps(&mut self, now_ms: i64) -> usize {
        let gaps = self.sequences.expire(now_ms);
        for gap in &gaps {
            self.board.outcomes.gaps.fetch_add(1, Ordering::Relaxed);
            let package = self.feeds.get(&gap.subscription_id).map(|s| s.package);
            crate::warn_throttled!(GAPS, subscription = %Wire(&gap.subscription_id), missing = gap.missing,
                package = package.map_or("unknown", Package::name),
                "events lost (sequence gap); repairing");
            // Only the queue package's losses can falsify the waiting calls; an unknown
            // subscription (listen-only) may be one.
            if matches!(package, None | Some(Package::Queue)) {
                let mut targets = self.call_centers_fed_by(&gap.subscription_id);
                targets.extend(gap.targets.iter().cloned());
                targets.sort();
                targets.dedup();
                for id in &targets {
                    self.queue(id, None, now_ms)
                        .truth
                        .mark_unsure(now_ms, "events lost (sequence gap)");
                }
            }
            self.request_repair(&gap.subscription_id, now_ms);
        }
        gaps.len()
    }

    fn call_centers_fed_by(&self, subscription_id: &str) -> Vec<Arc<str>> {
        let mut ids = self
            .feeds
            .get(subscription_id)
            .map(|s| s.call_centers.clone())
            .unwrap_or_default();
        ids.extend(self.sequences.targets(subscription_id));
        ids.sort();
        ids.dedup();
        ids
    }

    fn request_repair(&mut self, subscription_id: &Arc<str>, now_ms: i64) {
        match self.feeds.request_repair(subscription_id, now_ms) {
            Repair::Now(id) => self.send_repair(id),
            Repair::Later => {
                tracing::info!(subscription = %Wire(subscription_id), "repaired lately; repairing again when the spacing ends");
            }
            Repair::Unknown if self.commands.is_some() => {
                crate::warn_throttled!(UNREPAIRABLE, subscription = %Wire(subscription_id),
                    "events lost on a subscription the subscriber has not reported; its queues stay UNSURE until a snapshot arrives");
            }
            Repair::Unknown => {
                crate::warn_throttled!(UNREPAIRABLE, subscription = %Wire(subscription_id),
                    "events lost and no XSP to resynchronise from; the queues stay UNSURE until a snapshot arrives");
            }
        }
    }

    pub(super) fn send_repair(&self, subscription_id: Arc<str>) {
        self.board.outcomes.repairs.fetch_add(1, Ordering::Relaxed);
        self.send(FeedCommand::Repair(subscription_id));
    }

    fn send(&self, command: FeedCommand) {
        if let Some(commands) = &self.commands {
            let _ = commands.send(command);
        }
    }

    /// Queue subscriptions whose initial event is overdue: the inbound path looks broken.
    pub(super) fn check_initial_events(&mut self, now_ms: i64) -> bool {
        let mut silent = Vec::new();
        for mut queue in self.board.queues.iter_mut() {
            if queue.truth.check_initial_event(now_ms) {
                silent.push(queue.key().clone());
            }
        }
        for id in &silent {
            tracing::warn!(call_center = %Wire(id),
                "no initial event after subscribing or refreshing: are events reaching the contact URL?");
        }
        !silent.is_empty()
    }
}
