//! One subscription (one target, one event package) kept alive as a state machine.
//!
//! ```text
//! Subscribe --granted--> Active --refresh due / repair (user target)--> Refresh --ok--> Active
//!    ^  |                  |  repair (collection): fetch each call center's queue, stay Active
//!    |  +--failed--> Retry (backoff) --+    403/404 on refresh, SubscriptionTerminatedEvent, `r`
//!    +---------------------------------+--> Subscribe        401 --> WaitForUser --`r`--> Subscribe
//! cancel --> DELETE within the shutdown budget
//! ```
//!
//! The board hears of each step through the applier's channel: `Up` when granted or refreshed
//! (with when the initial event is due), `Down` with the reason when failing, `Retired` when an
//! id is given up. It never hears it from anywhere else.

use std::sync::Arc;

use tokio::sync::mpsc;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::client::{Granted, XspClient, XspError};
use super::status::{StatusBoard, SubscriptionState, SubscriptionStatus};
use super::{Publisher, Retired, backoff};
use crate::board::{FeedNews, Input, Subscribed, now_ms};
use crate::config::Timing;
use crate::xsi::Package;
use crate::xsi::request::SubscriptionRequest;

/// What one task subscribes to.
#[derive(Debug, Clone)]
pub(super) struct Plan {
    /// Path after `v2.0/`: `user/{id}` or the collection target.
    pub target_path: String,
    /// The call center (or agent) id, or the collection target, as shown and as `r` names it.
    pub target: Arc<str>,
    pub package: Package,
    pub collection: bool,
    /// A collection's call centers: those it feeds, whose queues are fetched after each
    /// subscribe (collection targets send no initial event). Empty for a user target.
    pub call_centers: Vec<Arc<str>>,
}

impl Plan {
    /// The call centers this subscription feeds.
    fn feeds(&self) -> Vec<Arc<str>> {
        match (self.collection, self.package) {
            (true, _) => self.call_centers.clone(),
            // Agents are subscribed per agent: no call center's feed.
            (false, Package::Agent) => Vec::new(),
            (false, _) => vec![self.target.clone()],
        }
    }
}

/// Why a task is woken from outside.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Kick {
    /// `r`: delete, subscribe again, fetch afresh.
    Resubscribe,
    /// The XSP says this subscription ended.
    Terminated(Arc<str>),
    /// Events were lost on this subscription: bring the truth back.
    Repair(Arc<str>),
}

pub(super) struct Context {
    pub index: usize,
    pub plan: Plan,
    pub request: SubscriptionRequest,
    pub client: XspClient,
    pub publisher: Publisher,
    /// The applier's channel: feed news and fetched queues.
    pub board: mpsc::Sender<Input>,
    pub cancel: CancellationToken,
    pub timing: Timing,
    /// Every id this task lets go of goes here too, for the event channel's 481s (the board
    /// hears of it in order, through its channel).
    pub retired: Arc<Retired>,
}

/// A refresh of a user-target subscription brings an initial event: refreshing at least this
/// often proves a quiet queue's feed well within the board's liveness window (360 s by
/// default). A collection target's queues are fetched again at each refresh instead.
const PROOF_INTERVAL: std::time::Duration = std::time::Duration::from_mins(5);

enum Step {
    Subscribe,
    Active,
    Refresh,
    Retry(XspError),
    WaitForUser(XspError),
    Quit,
}

/// The running state of one subscription.
struct Lifecycle {
    ctx: Context,
    kicks: mpsc::UnboundedReceiver<Kick>,
    current: Option<Granted>,
    refresh_at: Instant,
    attempt: u32,
    delete_budget: std::time::Duration,
}

/// Run until cancelled; then delete the subscription within the shutdown budget.
pub(super) async fn run(ctx: Context, kicks: mpsc::UnboundedReceiver<Kick>) {
    let delete_budget = ctx.timing.shutdown_budget;
    let mut lifecycle = Lifecycle {
        ctx,
        kicks,
        current: None,
        refresh_at: Instant::now(),
        attempt: 0,
        delete_budget,
    };
    let mut step = Step::Subscribe;
    loop {
        step = match step {
            Step::Subscribe => lifecycle.subscribe().await,
            Step::Active => lifecycle.active().await,
            Step::Refresh => lifecycle.refresh().await,
            Step::Retry(error) => lifecycle.retry(error).await,
            Step::WaitForUser(error) => lifecycle.wait_for_user(error).await,
            Step::Quit => break,
        };
    }
    let (current, budget) = (lifecycle.current.take(), lifecycle.delete_budget);
    lifecycle.ctx.delete(current, budget).await;
    lifecycle.ctx.set(|s| s.state = SubscriptionState::Stopped);
}

impl Lifecycle {
    async fn subscribe(&mut self) -> Step {
        self.ctx.set(|s| s.state = SubscriptionState::Subscribing);
        let sent_ms = now_ms();
        // `Err`: cancelled meanwhile, with what the XSP granted if it answered in time.
        let outcome = {
            let ctx = &self.ctx;
            let subscribe = ctx.client.subscribe(&ctx.plan.target_path, &ctx.request);
            tokio::pin!(subscribe);
            tokio::select! {
                outcome = &mut subscribe => Ok(outcome),
                () = ctx.cancel.cancelled() => {
                    // The XSP may already hold this subscription; dropping the request would
                    // leave it POSTing to a closed contact until it expires. Let the answer
                    // arrive (within half the budget; the DELETE gets the rest).
                    let wait = ctx.timing.shutdown_budget / 2;
                    Err(tokio::time::timeout(wait, subscribe).await.ok().and_then(Result::ok))
                }
            }
        };
        let granted = match outcome {
            Ok(Ok(granted)) => granted,
            Ok(Err(e @ XspError::Unauthorized(_))) => return Step::WaitForUser(e),
            Ok(Err(e)) => return Step::Retry(e),
            Err(granted) => {
                if let Some(granted) = granted {
                    self.hold(granted).await;
                }
                self.delete_budget = self.ctx.timing.shutdown_budget / 2;
                return Step::Quit;
            }
        };
        tracing::info!(target = %self.ctx.plan.target, package = %self.ctx.plan.package,
            id = %granted.subscription_id, expires = granted.expires, "subscribed");
        self.attempt = 0;
        self.refresh_at = self.ctx.refresh_time(granted.expires);
        let refresh_at = self.refresh_at;
        self.ctx.set(|s| {
            s.state = SubscriptionState::Active;
            s.subscription_id = Some(granted.subscription_id.clone());
            s.granted_expires = Some(granted.expires);
            s.refresh_at = Some(refresh_at);
            s.retry_at = None;
            s.last_error = None;
        });
        let id = granted.subscription_id.clone();
        // What it replaces is retired before the new id is used anywhere.
        self.hold(granted).await;
        self.ctx.up(&id, sent_ms).await;
        if !self.ctx.fetch_queues(&id).await {
            return Step::Quit;
        }
        Step::Active
    }

    /// Make `granted` the subscription this task holds. One it replaces without a DELETE (a
    /// subscribe after a failed refresh) is no longer ours, unless the XSP gave its id back.
    async fn hold(&mut self, granted: Granted) {
        self.ctx.retired.reinstate(&granted.subscription_id);
        let new_id = granted.subscription_id.clone();
        if let Some(old) = self.current.replace(granted)
            && old.subscription_id != new_id
        {
            self.ctx.retired(&old.subscription_id).await;
        }
    }

    async fn active(&mut self) -> Step {
        tokio::select! {
            () = self.ctx.cancel.cancelled() => Step::Quit,
            () = tokio::time::sleep_until(self.refresh_at) => Step::Refresh,
            Some(kick) = self.kicks.recv() => self.kicked(kick).await,
        }
    }

    async fn kicked(&mut self, kick: Kick) -> Step {
        let ours = |id: &Arc<str>, current: &Option<Granted>| {
            current.as_ref().is_some_and(|g| g.subscription_id == *id)
        };
        match kick {
            Kick::Resubscribe => {
                self.give_up_current(self.ctx.timing.shutdown_budget).await;
                Step::Subscribe
            }
            Kick::Terminated(id) if ours(&id, &self.current) => {
                tracing::info!(target = %self.ctx.plan.target, %id, "subscription terminated by the XSP");
                // The XSP already deleted it (the applier retired it on seeing the event).
                self.ctx.retired.retire(id);
                self.current = None;
                self.ctx.set(|s| s.subscription_id = None);
                Step::Subscribe
            }
            Kick::Repair(id) if ours(&id, &self.current) => {
                tracing::info!(target = %self.ctx.plan.target, package = %self.ctx.plan.package, %id,
                    "repairing after lost events");
                if !self.ctx.plan.collection {
                    // An initial event follows every refresh (spec 4.7.3.18).
                    return Step::Refresh;
                }
                if self.ctx.plan.package == Package::Queue && !self.ctx.fetch_queues(&id).await {
                    return Step::Quit;
                }
                Step::Active
            }
            // About a subscription this task already replaced.
            Kick::Terminated(_) | Kick::Repair(_) => Step::Active,
        }
    }

    async fn refresh(&mut self) -> Step {
        let Some(id) = self.current.as_ref().map(|g| g.subscription_id.clone()) else {
            return Step::Subscribe;
        };
        let ctx = &self.ctx;
        ctx.set(|s| s.state = SubscriptionState::Refreshing);
        let sent_ms = now_ms();
        let outcome = tokio::select! {
            () = ctx.cancel.cancelled() => return Step::Quit,
            outcome = ctx.client.refresh(&id, ctx.request.expires) => outcome,
        };
        match outcome {
            Ok(expires) => {
                if let Some(granted) = self.current.as_mut() {
                    granted.expires = expires;
                }
                self.refresh_at = ctx.refresh_time(expires);
                let refresh_at = self.refresh_at;
                ctx.set(|s| {
                    s.state = SubscriptionState::Active;
                    s.granted_expires = Some(expires);
                    s.refresh_at = Some(refresh_at);
                    s.last_error = None;
                });
                ctx.up(&id, sent_ms).await;
                if ctx.plan.collection && !ctx.fetch_queues(&id).await {
                    return Step::Quit;
                }
                Step::Active
            }
            // The XSP no longer knows it (BroadWorks answers 403): start over at once.
            Err(e) if e.subscription_gone() => {
                tracing::warn!(target = %ctx.plan.target, error = %e, "refresh refused; subscribing again");
                ctx.retired(&id).await;
                self.current = None;
                ctx.set(|s| {
                    s.subscription_id = None;
                    s.last_error = Some(e.to_string());
                });
                Step::Subscribe
            }
            Err(e @ XspError::Unauthorized(_)) => Step::WaitForUser(e),
            // XSP away or failing: keep the id (quit still deletes it) and subscribe anew after
            // the backoff; BroadWorks overwrites a subscription with the same applicationId,
            // target and package, so no duplicate is left behind.
            Err(e) => Step::Retry(e),
        }
    }

    async fn retry(&mut self, error: XspError) -> Step {
        self.attempt += 1;
        let ctx = &self.ctx;
        let delay = backoff::delay(
            self.attempt,
            ctx.timing.backoff_base,
            ctx.timing.backoff_max,
        );
        let retry_at = Instant::now() + delay;
        tracing::warn!(target = %ctx.plan.target, package = %ctx.plan.package, %error,
            delay = %crate::logging::Human(delay), "subscription failed; retrying");
        ctx.set(|s| {
            s.state = SubscriptionState::Retrying;
            s.retry_at = Some(retry_at);
            s.last_error = Some(error.to_string());
        });
        ctx.down(format!(
            "{} subscription failed: {error}; retrying",
            ctx.plan.package.short()
        ))
        .await;
        tokio::select! {
            () = ctx.cancel.cancelled() => return Step::Quit,
            () = tokio::time::sleep_until(retry_at) => {}
            Some(Kick::Resubscribe) = self.kicks.recv() => self.attempt = 0,
        }
        ctx.set(|s| s.retry_at = None);
        Step::Subscribe
    }

    async fn wait_for_user(&mut self, error: XspError) -> Step {
        let ctx = &self.ctx;
        tracing::error!(target = %ctx.plan.target, %error, "not retried until the user asks");
        ctx.set(|s| {
            s.state = SubscriptionState::WaitingForUser;
            s.last_error = Some(error.to_string());
        });
        ctx.down(format!(
            "{} subscription failed: {error}; press r to retry",
            ctx.plan.package.short()
        ))
        .await;
        loop {
            tokio::select! {
                () = ctx.cancel.cancelled() => return Step::Quit,
                kick = self.kicks.recv() => match kick {
                    Some(Kick::Resubscribe) => break,
                    Some(_) => {}
                    None => {
                        ctx.cancel.cancelled().await;
                        return Step::Quit;
                    }
                },
            }
        }
        self.attempt = 0;
        Step::Subscribe
    }

    /// `r`: delete the current subscription (bounded) before making a new one.
    async fn give_up_current(&mut self, budget: std::time::Duration) {
        let current = self.current.take();
        self.ctx.delete(current, budget).await;
    }
}

impl Context {
    fn set(&self, f: impl FnOnce(&mut SubscriptionStatus)) {
        let index = self.index;
        self.publisher.update(|b: &mut StatusBoard| {
            if let Some(line) = b.subscriptions_mut().get_mut(index) {
                f(line);
            }
        });
    }

    /// Half the granted lifetime, as the specification recommends, and at least every
    /// [`PROOF_INTERVAL`] so that a quiet queue is proved alive.
    fn refresh_time(&self, expires: u32) -> Instant {
        let half = std::time::Duration::from_secs(u64::from(expires)) / 2;
        Instant::now() + half.min(PROOF_INTERVAL).max(self.timing.min_refresh)
    }

    /// Tell the board the subscription `id` is live: a subscribe or refresh of a user target
    /// brings an initial event (PROTOCOL.md, "Initial state"), due within `initial_event_wait`.
    async fn up(&self, id: &Arc<str>, sent_ms: i64) {
        let wait = i64::try_from(self.timing.initial_event_wait.as_millis()).unwrap_or(i64::MAX);
        self.tell(FeedNews::Up(Subscribed {
            subscription_id: id.clone(),
            package: self.plan.package,
            target: self.plan.target.clone(),
            call_centers: self.plan.feeds(),
            collection: self.plan.collection,
            sent_ms,
            initial_event_due_ms: (!self.plan.collection).then(|| now_ms().saturating_add(wait)),
        }))
        .await;
    }

    /// Tell the board this subscription's call centers are not fed, and why.
    async fn down(&self, reason: String) {
        self.tell(FeedNews::Down {
            target: self.plan.target.clone(),
            package: self.plan.package,
            call_centers: self.plan.feeds(),
            reason,
            at_ms: now_ms(),
        })
        .await;
    }

    /// This id is no longer ours: the event channel answers its events 481 from now on, and
    /// the board, in order with the events before it, takes what still comes as late.
    async fn retired(&self, id: &Arc<str>) {
        self.retired.retire(id.clone());
        self.tell(FeedNews::Retired {
            subscription_id: id.clone(),
        })
        .await;
    }

    async fn tell(&self, news: FeedNews) {
        // The board gone means the wallboard is stopping: nothing left to tell.
        let _ = self.board.send(Input::Feed(news)).await;
    }

    /// DELETE, bounded by the shutdown budget: quitting must never hang on a silent XSP.
    async fn delete(&self, granted: Option<Granted>, budget: std::time::Duration) {
        let Some(granted) = granted else { return };
        self.set(|s| s.state = SubscriptionState::Deleting);
        let id = granted.subscription_id;
        // Retired first: from the moment the DELETE may reach the XSP the id is not ours, and
        // an event for it answered 481 only does what the DELETE does.
        self.retired(&id).await;
        match tokio::time::timeout(budget, self.client.delete(&id)).await {
            Ok(Ok(())) => {
                tracing::info!(target = %self.plan.target, %id, "subscription deleted");
            }
            Ok(Err(e)) => {
                tracing::warn!(target = %self.plan.target, %id, error = %e, "delete failed");
            }
            Err(_) => tracing::warn!(target = %self.plan.target, %id, "delete timed out"),
        }
        self.set(|s| s.subscription_id = None);
    }

    /// Fetch each call center's queue of a collection's Queue subscription and hand it to the
    /// board, stamped with when the request was sent (it describes the queue at that moment).
    /// `false` when cancelled meanwhile.
    async fn fetch_queues(&self, subscription_id: &Arc<str>) -> bool {
        if !self.plan.collection || self.plan.package != Package::Queue {
            return true;
        }
        for call_center in &self.plan.call_centers {
            let sent_ms = now_ms();
            let fetched = tokio::select! {
                () = self.cancel.cancelled() => return false,
                fetched = self.client.queue_with_body(call_center) => fetched,
            };
            let (snapshot, body) = match fetched {
                Ok(fetched) => fetched,
                Err(e) => {
                    tracing::warn!(%call_center, error = %e, "queue not fetched");
                    self.set(|s| s.last_error = Some(format!("queue of {call_center}: {e}")));
                    continue;
                }
            };
            let input = Input::Fetched {
                call_center: call_center.clone(),
                subscription_id: Some(subscription_id.clone()),
                snapshot,
                sent_ms,
                arrival_ms: now_ms(),
                raw: Some(body),
            };
            tokio::select! {
                () = self.cancel.cancelled() => return false,
                sent = self.board.send(input) => if sent.is_err() { return true },
            }
        }
        true
    }
}
