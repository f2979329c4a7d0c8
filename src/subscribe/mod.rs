//! The XSP client: subscribe, refresh, resubscribe, delete.
//!
//! ```text
//! spawn --> supervisor: build client, discover call centers if asked, one task per
//!           (target, package)                 |
//!             lifecycle task: Subscribing -> Active -> Refreshing -> Active ...
//!                                  |  403/404 on refresh, SubscriptionTerminatedEvent, `r`
//!                                  +--> Subscribing (backoff on failure; 401 waits for `r`)
//!           cancel --> every task DELETEs its subscription, bounded by the shutdown budget
//! ```
//!
//! Each task writes its line of [`SubscriptionStatus`]; the combined [`LinkStatus`] is
//! published on a `watch` channel after every change, as data with `Instant`s: the UI words it
//! and moves the countdowns itself.
//! What the board must know (a subscription granted, lost or retired; a collection's queues
//! fetched; the XSP's clock) goes to the applier as [`Input`]s on the board's one channel: the
//! subscriber never writes the board. The applier's requests (repairs after a loss,
//! terminations) come back as [`FeedCommand`]s, with the UI's `r` / `R`.

pub mod backoff;
pub mod client;
mod lifecycle;
mod status;

use std::sync::{Arc, Mutex};

use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::board::Input;
use crate::config::{Targets, XspSettings};
use crate::status::{FeedCommand, LinkStatus};
use crate::xsi::Package;
use crate::xsi::request::SubscriptionRequest;

pub use crate::board::Retired;
pub use client::{Granted, XspClient, XspError};
pub use status::{SubscriptionState, SubscriptionStatus, health};

use lifecycle::{Kick, Plan};
use status::StatusBoard;

/// What the rest of the wallboard holds of the subscriber.
#[derive(Debug)]
pub struct SubscriberHandle {
    status: watch::Receiver<LinkStatus>,
    control: mpsc::UnboundedSender<FeedCommand>,
    cancel: CancellationToken,
    supervisor: JoinHandle<()>,
    shutdown_budget: std::time::Duration,
    retired: Arc<Retired>,
}

impl SubscriberHandle {
    /// The feed's health, as data, updated on every change.
    pub fn status(&self) -> watch::Receiver<LinkStatus> {
        self.status.clone()
    }

    /// `r` / `R` from the UI (also the only way out of the wait after a 401), and the
    /// applier's repairs and terminations.
    pub fn command(&self, command: FeedCommand) {
        let _ = self.control.send(command);
    }

    /// The subscription ids this subscriber deleted or replaced: events still carrying one are
    /// not ours any more (the event channel answers them 481).
    pub fn retired(&self) -> &Arc<Retired> {
        &self.retired
    }

    /// A cloneable way in for the UI and the applier, which live longer than a borrow of the
    /// handle (the handle itself is kept for the shutdown).
    pub fn control(&self) -> mpsc::UnboundedSender<FeedCommand> {
        self.control.clone()
    }

    /// Stop every task and DELETE every subscription, in at most about the shutdown budget
    /// (3 s), even when the XSP does not answer.
    pub fn shutdown(self) -> impl Future<Output = ()> {
        self.cancel.cancel();
        // The tasks bound their DELETEs by the budget; the margin covers the joins.
        let bound = self.shutdown_budget + std::time::Duration::from_millis(500);
        let supervisor = self.supervisor;
        async move {
            if tokio::time::timeout(bound, supervisor).await.is_err() {
                tracing::warn!(
                    "subscriptions not all deleted within {}",
                    crate::logging::Human(bound)
                );
            }
        }
    }
}

/// Start subscribing. `board` is the applier's channel: it is told of every subscription
/// granted, lost or retired, and gets the queues of collection targets. Cancelling `cancel`
/// stops the subscriber and deletes its subscriptions, as `shutdown` does.
#[expect(
    clippy::needless_pass_by_value,
    reason = "the contract hands the token over; the subscriber keeps a child of it"
)]
pub fn spawn(
    settings: XspSettings,
    board: mpsc::Sender<Input>,
    cancel: CancellationToken,
) -> SubscriberHandle {
    let cancel = cancel.child_token();
    let status_board = Arc::new(Mutex::new(StatusBoard::new(&settings.application_id)));
    let (status_tx, status) = watch::channel(board_status(&status_board));
    let (control, control_rx) = mpsc::unbounded_channel();
    let shutdown_budget = settings.timing.shutdown_budget;
    let retired = Arc::new(Retired::new());
    let supervisor = tokio::spawn(supervise(
        settings,
        board,
        cancel.clone(),
        Publisher {
            board: status_board,
            tx: Arc::new(status_tx),
        },
        control_rx,
        retired.clone(),
    ));
    SubscriberHandle {
        status,
        control,
        cancel,
        supervisor,
        shutdown_budget,
        retired,
    }
}

/// Shared status lines and the channel they are published on.
#[derive(Debug, Clone)]
struct Publisher {
    board: Arc<Mutex<StatusBoard>>,
    tx: Arc<watch::Sender<LinkStatus>>,
}

impl Publisher {
    fn update(&self, f: impl FnOnce(&mut StatusBoard)) {
        if let Ok(mut board) = self.board.lock() {
            f(&mut board);
        }
        self.publish();
    }

    fn publish(&self) {
        self.tx.send_replace(board_status(&self.board));
    }
}

fn board_status(board: &Mutex<StatusBoard>) -> LinkStatus {
    board.lock().map(|b| b.link_status()).unwrap_or_default()
}

/// One running lifecycle task.
struct Task {
    target: Arc<str>,
    collection: bool,
    kicks: mpsc::UnboundedSender<Kick>,
    join: JoinHandle<()>,
}

async fn supervise(
    settings: XspSettings,
    board: mpsc::Sender<Input>,
    cancel: CancellationToken,
    publisher: Publisher,
    mut control: mpsc::UnboundedReceiver<FeedCommand>,
    retired: Arc<Retired>,
) {
    let client = match XspClient::new(&settings) {
        Ok(client) => client.with_clock(Some(board.clone())),
        Err(e) => {
            publisher.update(|b| b.set_setup_error(format!("cannot start the XSP client: {e}")));
            cancel.cancelled().await;
            return;
        }
    };
    let Some(plans) = plans(&settings, &client, &publisher, &cancel, &mut control).await else {
        return;
    };
    let tasks: Vec<Task> = plans
        .into_iter()
        .map(|plan| {
            let index = publisher
                .board
                .lock()
                .map(|mut b| b.add(&plan.target, plan.package))
                .unwrap_or_default();
            let (kicks, kick_rx) = mpsc::unbounded_channel();
            let target = plan.target.clone();
            let collection = plan.collection;
            let request = SubscriptionRequest {
                event: plan.package,
                expires: settings.expires,
                delivery: settings.delivery.clone(),
                application_id: settings.application_id.clone(),
            };
            let ctx = lifecycle::Context {
                index,
                plan,
                request,
                client: client.clone(),
                publisher: publisher.clone(),
                board: board.clone(),
                cancel: cancel.clone(),
                timing: settings.timing,
                retired: retired.clone(),
            };
            Task {
                target,
                collection,
                kicks,
                join: tokio::spawn(lifecycle::run(ctx, kick_rx)),
            }
        })
        .collect();
    publisher.publish();

    // Published on every change; the UI moves the countdowns itself.
    loop {
        tokio::select! {
            biased;
            () = cancel.cancelled() => break,
            Some(message) = control.recv() => dispatch(message, &tasks, &publisher),
        }
    }
    for task in tasks {
        let _ = task.join.await;
    }
    publisher.publish();
}

/// Route a command, a repair or a termination to the tasks it concerns.
fn dispatch(message: FeedCommand, tasks: &[Task], publisher: &Publisher) {
    match message {
        FeedCommand::Resubscribe(None) => {
            for task in tasks {
                let _ = task.kicks.send(Kick::Resubscribe);
            }
        }
        FeedCommand::Resubscribe(Some(target)) => {
            let mut matched = tasks.iter().filter(|t| t.target == target).peekable();
            if matched.peek().is_some() {
                for task in matched {
                    let _ = task.kicks.send(Kick::Resubscribe);
                }
            } else {
                // A call center inside a collection target: its queue comes from the
                // collection's subscriptions, so those start again (and fetch it afresh).
                for task in tasks.iter().filter(|t| t.collection) {
                    let _ = task.kicks.send(Kick::Resubscribe);
                }
            }
        }
        FeedCommand::Terminated(id) => {
            kick_owner(tasks, publisher, &id, Kick::Terminated(id.clone()));
        }
        FeedCommand::Repair(id) => kick_owner(tasks, publisher, &id, Kick::Repair(id.clone())),
    }
}

/// Wake the task that holds subscription `id`; the applier may name one already replaced.
fn kick_owner(tasks: &[Task], publisher: &Publisher, id: &str, kick: Kick) {
    let owner = publisher
        .board
        .lock()
        .ok()
        .and_then(|b| b.index_of_subscription(id));
    if let Some(task) = owner.and_then(|i| tasks.get(i)) {
        let _ = task.kicks.send(kick);
    } else {
        tracing::debug!(subscription = %id, "a subscription not (or no longer) ours");
    }
}

/// What to subscribe to; discovers the call centers first when the configuration names none.
/// `None` when cancelled.
async fn plans(
    settings: &XspSettings,
    client: &XspClient,
    publisher: &Publisher,
    cancel: &CancellationToken,
    control: &mut mpsc::UnboundedReceiver<FeedCommand>,
) -> Option<Vec<Plan>> {
    let per_package = |target: &str, collection: bool, snapshot: &[String]| -> Vec<Plan> {
        settings
            .events
            .iter()
            // A call center's own user has no agent state; a collection covers its agents.
            .filter(|&&package| collection || package != Package::Agent)
            .map(|&package| Plan {
                target_path: if collection {
                    target.to_owned()
                } else {
                    format!("user/{target}")
                },
                target: Arc::from(target),
                package,
                collection,
                // A collection's call centers: which ones it feeds, and whose queues its Queue
                // subscription fetches.
                call_centers: if collection {
                    snapshot.iter().map(|c| Arc::from(c.as_str())).collect()
                } else {
                    Vec::new()
                },
            })
            .collect()
    };
    let call_centers: Vec<String> = match &settings.targets {
        Targets::CallCenters(ids) => ids.clone(),
        Targets::Discover => discover(settings, client, publisher, cancel, control).await?,
        Targets::Collection { .. } => Vec::new(),
    };
    let mut plans: Vec<Plan> = match &settings.targets {
        Targets::CallCenters(_) | Targets::Discover => call_centers
            .iter()
            .flat_map(|id| per_package(id, false, &[]))
            .collect(),
        Targets::Collection {
            target,
            call_centers,
        } => {
            let call_centers = if call_centers.is_empty() {
                discover(settings, client, publisher, cancel, control).await?
            } else {
                call_centers.clone()
            };
            per_package(target, true, &call_centers)
        }
    };
    let wants_agents = settings.events.contains(&Package::Agent);
    if wants_agents && !matches!(settings.targets, Targets::Collection { .. }) {
        let agents = if settings.agents.is_empty() {
            supervised_agents(client, &call_centers).await
        } else {
            settings.agents.clone()
        };
        plans.extend(agents.iter().map(|agent| Plan {
            target_path: format!("user/{agent}"),
            target: Arc::from(agent.as_str()),
            package: Package::Agent,
            collection: false,
            call_centers: Vec::new(),
        }));
    }
    Some(plans)
}

/// The agents the account supervises in `call_centers`, each once. A failure is logged and
/// costs only the agent panel: the queues must not wait for it.
async fn supervised_agents(client: &XspClient, call_centers: &[String]) -> Vec<String> {
    let mut agents: Vec<String> = Vec::new();
    for call_center in call_centers {
        match client.supervised_agents(call_center).await {
            Ok(found) => {
                for agent in found {
                    if !agents.contains(&agent) {
                        agents.push(agent);
                    }
                }
            }
            Err(error) => {
                tracing::warn!(%call_center, %error, "cannot list the call center's agents");
            }
        }
    }
    tracing::info!(count = agents.len(), "agents to follow");
    agents
}

/// Ask the XSP which call centers the account supervises, retrying with backoff; a 401 or an
/// empty list waits for `r`.
async fn discover(
    settings: &XspSettings,
    client: &XspClient,
    publisher: &Publisher,
    cancel: &CancellationToken,
    control: &mut mpsc::UnboundedReceiver<FeedCommand>,
) -> Option<Vec<String>> {
    let mut attempt = 0;
    loop {
        publisher.update(|b| {
            b.set_discovery(format!(
                "discovering the call centers {} supervises",
                settings.user
            ));
        });
        let outcome = tokio::select! {
            () = cancel.cancelled() => return None,
            outcome = client.supervised_call_centers() => outcome,
        };
        let wait_for_user = match outcome {
            Ok(found) if !found.is_empty() => {
                tracing::info!(call_centers = %found.join(", "), "discovered call centers");
                publisher.update(|b| {
                    b.set_discovery(format!(
                        "discovered {} call centers: {}",
                        found.len(),
                        found.join(", ")
                    ));
                });
                return Some(found);
            }
            Ok(_) => {
                publisher.update(|b| {
                    b.set_setup_error(format!(
                        "{} supervises no call center: add --callcenter, then press r",
                        settings.user
                    ));
                });
                true
            }
            Err(e @ XspError::Unauthorized(_)) => {
                publisher
                    .update(|b| b.set_setup_error(format!("discovery: {e}; press r to retry")));
                true
            }
            Err(e) => {
                attempt += 1;
                let delay = backoff::delay(
                    attempt,
                    settings.timing.backoff_base,
                    settings.timing.backoff_max,
                );
                publisher.update(|b| {
                    b.set_setup_error(format!(
                        "discovery: {e}; retrying in {} s",
                        delay.as_secs().max(1)
                    ));
                });
                tokio::select! {
                    () = cancel.cancelled() => return None,
                    () = tokio::time::sleep(delay) => {}
                    Some(FeedCommand::Resubscribe(_)) = control.recv() => attempt = 0,
                }
                false
            }
        };
        if wait_for_user {
            loop {
                tokio::select! {
                    () = cancel.cancelled() => return None,
                    message = control.recv() => match message {
                        Some(FeedCommand::Resubscribe(_)) => break,
                        Some(_) => {}
                        None => return None,
                    },
                }
            }
            attempt = 0;
        }
    }
}
