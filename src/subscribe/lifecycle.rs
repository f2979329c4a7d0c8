//! One subscription (one target, one event package) kept alive as a state machine.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use tokio::sync::mpsc;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::client::{Granted, XspClient, XspError};
use super::status::{StatusBoard, SubscriptionState, SubscriptionStatus};
use super::{Publisher, Retired, backoff};
use crate::board::{Arrival, Board, FeedState, now_ms};
use crate::config::Timing;
use crate::xsi::request::SubscriptionRequest;
use crate::xsi::{Envelope, Event, EventData, SubscriptionEvent};

/// What one task subscribes to.
#[derive(Debug, Clone)]
pub(super) struct Plan {
    /// Path after `v2.0/`: `user/{id}` or the collection target.
    pub target_path: String,
    /// The call center id, or the collection target, as shown and as `r` names it.
    pub target: Arc<str>,
    pub package: String,
    pub collection: bool,
    /// Call centers whose queue is fetched after each subscribe (collection targets send no
    /// initial event).
    pub snapshot_for: Vec<String>,
}

/// Why a task is woken from outside.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Kick {
    /// `r`: delete, subscribe again, fetch afresh.
    Resubscribe,
    /// The XSP says this subscription ended.
    Terminated(Arc<str>),
}

pub(super) struct Context {
    pub index: usize,
    pub plan: Plan,
    pub request: SubscriptionRequest,
    pub client: XspClient,
    pub publisher: Publisher,
    pub events: mpsc::Sender<Arrival>,
    pub cancel: CancellationToken,
    pub timing: Timing,
    pub user: String,
    /// Told when this subscription's call centers are fed and when they are not.
    pub board: Option<Arc<Board>>,
    /// Every id this task lets go of goes here, for the event channel's 481s.
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
}

/// Run until cancelled; then delete the subscription within the shutdown budget.
pub(super) async fn run(ctx: Context, mut kicks: mpsc::UnboundedReceiver<Kick>) {
    let mut current: Option<Granted> = None;
    let mut refresh_at = Instant::now();
    let mut attempt = 0;
    let mut step = Step::Subscribe;
    let mut delete_budget = ctx.timing.shutdown_budget;
    // After a subscribe or refresh that must bring an initial event: when it is due by, and
    // when the request went out (epoch ms), so that only a newer proof counts.
    let mut expect_initial: Option<(Instant, i64)> = None;
    loop {
        step = match step {
            Step::Subscribe => {
                ctx.set(|s| s.state = SubscriptionState::Subscribing);
                let sent_ms = now_ms();
                let subscribe = ctx.client.subscribe(&ctx.plan.target_path, &ctx.request);
                tokio::pin!(subscribe);
                let outcome = tokio::select! {
                    outcome = &mut subscribe => outcome,
                    () = ctx.cancel.cancelled() => {
                        // The XSP may already hold this subscription; dropping the request
                        // would leave it POSTing to a closed contact until it expires. Let the
                        // answer arrive (within half the budget; the DELETE gets the rest).
                        let wait = ctx.timing.shutdown_budget / 2;
                        if let Ok(Ok(granted)) = tokio::time::timeout(wait, subscribe).await {
                            ctx.hold(&mut current, granted);
                        }
                        delete_budget = ctx.timing.shutdown_budget / 2;
                        break;
                    }
                };
                match outcome {
                    Ok(granted) => {
                        tracing::info!(target = %ctx.plan.target, package = %ctx.plan.package,
                            id = %granted.subscription_id, expires = granted.expires, "subscribed");
                        attempt = 0;
                        refresh_at = ctx.refresh_time(granted.expires);
                        let (id, expires) = (granted.subscription_id.clone(), granted.expires);
                        // What it replaces is retired before the new id is shown anywhere.
                        ctx.hold(&mut current, granted);
                        ctx.set(|s| {
                            s.state = SubscriptionState::Active;
                            s.subscription_id = Some(id.clone());
                            s.granted_expires = Some(expires);
                            s.refresh_at = Some(refresh_at);
                            s.retry_at = None;
                            s.last_error = None;
                        });
                        ctx.feed(FeedState::Up);
                        expect_initial = ctx.expects_initial_event(sent_ms);
                        if !ctx.fetch_snapshots(&id).await {
                            break;
                        }
                        Step::Active
                    }
                    Err(e @ XspError::Unauthorized(_)) => Step::WaitForUser(e),
                    Err(e) => Step::Retry(e),
                }
            }
            Step::Active => tokio::select! {
                () = ctx.cancel.cancelled() => break,
                () = tokio::time::sleep_until(refresh_at) => Step::Refresh,
                () = sleep_until_some(expect_initial.map(|(due, _)| due)), if expect_initial.is_some() => {
                    if let Some((_, sent_ms)) = expect_initial.take() {
                        ctx.check_initial_event(sent_ms);
                    }
                    Step::Active
                }
                Some(kick) = kicks.recv() => match kick {
                    Kick::Resubscribe => {
                        ctx.delete(current.take(), ctx.timing.shutdown_budget).await;
                        Step::Subscribe
                    }
                    Kick::Terminated(id) if current.as_ref().is_some_and(|g| g.subscription_id == id) => {
                        tracing::info!(target = %ctx.plan.target, %id, "subscription terminated by the XSP");
                        current = None;
                        ctx.retired.retire(id);
                        ctx.set(|s| s.subscription_id = None);
                        Step::Subscribe
                    }
                    // A termination of a subscription this task already replaced.
                    Kick::Terminated(_) => Step::Active,
                },
            },
            Step::Refresh => {
                let Some(granted) = current.as_mut() else {
                    step = Step::Subscribe;
                    continue;
                };
                ctx.set(|s| s.state = SubscriptionState::Refreshing);
                let sent_ms = now_ms();
                let outcome = tokio::select! {
                    () = ctx.cancel.cancelled() => break,
                    outcome = ctx.client.refresh(&granted.subscription_id, ctx.request.expires) => outcome,
                };
                match outcome {
                    Ok(expires) => {
                        granted.expires = expires;
                        refresh_at = ctx.refresh_time(expires);
                        ctx.set(|s| {
                            s.state = SubscriptionState::Active;
                            s.granted_expires = Some(expires);
                            s.refresh_at = Some(refresh_at);
                            s.last_error = None;
                        });
                        ctx.feed(FeedState::Up);
                        expect_initial = ctx.expects_initial_event(sent_ms);
                        let id = granted.subscription_id.clone();
                        if ctx.plan.collection && !ctx.fetch_snapshots(&id).await {
                            break;
                        }
                        Step::Active
                    }
                    // The XSP no longer knows it (BroadWorks answers 403): start over at once.
                    Err(e) if e.subscription_gone() => {
                        tracing::warn!(target = %ctx.plan.target, error = %e, "refresh refused; subscribing again");
                        if let Some(gone) = current.take() {
                            ctx.retired.retire(gone.subscription_id);
                        }
                        ctx.set(|s| {
                            s.subscription_id = None;
                            s.last_error = Some(e.to_string());
                        });
                        Step::Subscribe
                    }
                    Err(e @ XspError::Unauthorized(_)) => Step::WaitForUser(e),
                    // XSP away or failing: keep the id (quit still deletes it) and subscribe
                    // anew after the backoff; BroadWorks overwrites a subscription with the same
                    // applicationId, target and package, so no duplicate is left behind.
                    Err(e) => Step::Retry(e),
                }
            }
            Step::Retry(error) => {
                attempt += 1;
                let delay =
                    backoff::delay(attempt, ctx.timing.backoff_base, ctx.timing.backoff_max);
                let retry_at = Instant::now() + delay;
                tracing::warn!(target = %ctx.plan.target, package = %ctx.plan.package, %error,
                    ?delay, "subscription failed; retrying");
                ctx.set(|s| {
                    s.state = SubscriptionState::Retrying;
                    s.retry_at = Some(retry_at);
                    s.last_error = Some(error.to_string());
                });
                ctx.feed(FeedState::Down);
                tokio::select! {
                    () = ctx.cancel.cancelled() => break,
                    () = tokio::time::sleep_until(retry_at) => {}
                    Some(Kick::Resubscribe) = kicks.recv() => attempt = 0,
                }
                ctx.set(|s| s.retry_at = None);
                Step::Subscribe
            }
            Step::WaitForUser(error) => {
                tracing::error!(target = %ctx.plan.target, %error, "not retried until the user asks");
                ctx.set(|s| {
                    s.state = SubscriptionState::WaitingForUser;
                    s.last_error = Some(error.to_string());
                });
                ctx.feed(FeedState::Down);
                loop {
                    tokio::select! {
                        () = ctx.cancel.cancelled() => break,
                        kick = kicks.recv() => match kick {
                            Some(Kick::Resubscribe) => break,
                            Some(Kick::Terminated(_)) => {}
                            None => ctx.cancel.cancelled().await,
                        },
                    }
                }
                if ctx.cancel.is_cancelled() {
                    break;
                }
                attempt = 0;
                Step::Subscribe
            }
        };
    }
    ctx.delete(current, delete_budget).await;
    ctx.set(|s| s.state = SubscriptionState::Stopped);
}

impl Context {
    fn set(&self, f: impl FnOnce(&mut SubscriptionStatus)) {
        let index = self.index;
        self.publisher.update(|b: &mut StatusBoard| {
            if let Some(line) = b.subscriptions.get_mut(index) {
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

    /// A subscribe or refresh of a call center's own user for the queue package brings an
    /// initial event (PROTOCOL.md, "Initial state"): expect it within `initial_event_wait`.
    fn expects_initial_event(&self, sent_ms: i64) -> Option<(Instant, i64)> {
        (self.board.is_some() && !self.plan.collection && self.plan.package == super::QUEUE_PACKAGE)
            .then(|| (Instant::now() + self.timing.initial_event_wait, sent_ms))
    }

    /// No event for the call center since the request went out: its events do not reach us
    /// (a firewall, a wrong contact URL), so say so instead of showing a quiet queue.
    fn check_initial_event(&self, sent_ms: i64) {
        let Some(board) = &self.board else { return };
        let target = &self.plan.target;
        if board
            .liveness()
            .last_event_ms(target)
            .is_some_and(|proved| proved >= sent_ms)
        {
            return;
        }
        tracing::warn!(%target, wait = ?self.timing.initial_event_wait,
            "no initial event after subscribing or refreshing: are events reaching the contact URL?");
        board.liveness().mark_silent(target);
    }

    /// Tell the board whether this subscription's call centers are fed. Only the queue
    /// package counts: the waiting calls are what a dead feed would falsify.
    fn feed(&self, state: FeedState) {
        let Some(board) = &self.board else { return };
        if self.plan.package != super::QUEUE_PACKAGE {
            return;
        }
        let now = now_ms();
        if self.plan.collection {
            for id in &self.plan.snapshot_for {
                board.liveness().mark_feed(id, state, now);
            }
        } else {
            board.liveness().mark_feed(&self.plan.target, state, now);
        }
    }

    /// Make `granted` the subscription this task holds. One it replaces without a DELETE (a
    /// subscribe after a failed refresh) is no longer ours, unless the XSP gave its id back.
    fn hold(&self, current: &mut Option<Granted>, granted: Granted) {
        self.retired.reinstate(&granted.subscription_id);
        if let Some(old) = current.replace(granted)
            && current
                .as_ref()
                .is_some_and(|new| new.subscription_id != old.subscription_id)
        {
            self.retired.retire(old.subscription_id);
        }
    }

    /// DELETE, bounded by the shutdown budget: quitting must never hang on a silent XSP.
    /// Retired first: from the moment the DELETE may reach the XSP the id is not ours, and an
    /// event for it answered 481 only does what the DELETE does.
    async fn delete(&self, granted: Option<Granted>, budget: std::time::Duration) {
        let Some(granted) = granted else { return };
        self.set(|s| s.state = SubscriptionState::Deleting);
        let id = granted.subscription_id;
        self.retired.retire(id.clone());
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

    /// Fetch each call center's queue and hand it to the board as a snapshot event, so a
    /// collection subscription starts complete. `false` when cancelled meanwhile.
    async fn fetch_snapshots(&self, subscription_id: &Arc<str>) -> bool {
        static SNAPSHOTS: AtomicU64 = AtomicU64::new(0);
        for call_center in &self.plan.snapshot_for {
            let fetched = tokio::select! {
                () = self.cancel.cancelled() => return false,
                fetched = self.client.queue(call_center) => fetched,
            };
            let snapshot = match fetched {
                Ok(snapshot) => snapshot,
                Err(e) => {
                    tracing::warn!(%call_center, error = %e, "initial queue not fetched");
                    self.set(|s| s.last_error = Some(format!("queue of {call_center}: {e}")));
                    continue;
                }
            };
            let n = SNAPSHOTS.fetch_add(1, Ordering::Relaxed);
            let event = Event::Subscription(SubscriptionEvent {
                envelope: Envelope {
                    // Synthetic: unique, and recognisably not the XSP's.
                    event_id: Arc::from(format!("xsi-wallboard-snapshot-{n}")),
                    sequence_number: None,
                    user_id: Arc::from(self.user.as_str()),
                    external_application_id: Arc::from(self.request.application_id.as_str()),
                    subscription_id: subscription_id.clone(),
                    channel_id: None,
                    http_contact: None,
                    target_id: Some(Arc::from(call_center.as_str())),
                },
                data: EventData::QueueSnapshot(snapshot),
            });
            let arrival = Arrival {
                event,
                arrival_ms: now_ms(),
            };
            tokio::select! {
                () = self.cancel.cancelled() => return false,
                sent = self.events.send(arrival) => if sent.is_err() { return true },
            }
        }
        true
    }
}

/// Sleep until `due`, or forever without one (a `select!` branch guarded on `is_some`).
async fn sleep_until_some(due: Option<Instant>) {
    match due {
        Some(due) => tokio::time::sleep_until(due).await,
        None => std::future::pending().await,
    }
}
