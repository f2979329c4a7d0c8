//! The wallboard's background tasks beside the event road: the UI's commands and the applier's
//! resync requests to the feed, the alert watcher, and the counters' state file.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::StateFile;
use super::feed::CommandSink;
use crate::alert;
use crate::board::{self, Board, persist};
use crate::status::UiCommand;

/// Least time between two resynchronisations of one call center.
const RESYNC_SPACING: Duration = Duration::from_secs(30);

/// How often the counters are written while running (and once more on the way out).
const STATE_SAVE_INTERVAL: Duration = Duration::from_secs(30);

/// `r`/`R` go to the subscriber; without an XSP (listen-only, demo) there is nothing to
/// resubscribe, and the log says so.
pub(super) async fn forward_ui_commands(
    mut requests: mpsc::UnboundedReceiver<UiCommand>,
    control: Option<CommandSink>,
    cancel: CancellationToken,
) -> anyhow::Result<()> {
    loop {
        let command = tokio::select! {
            () = cancel.cancelled() => return Ok(()),
            command = requests.recv() => command,
        };
        let Some(command) = command else {
            return Ok(());
        };
        if let Some(control) = &control {
            tracing::info!(?command, "resubscribing on request");
            control.send(command);
        } else {
            tracing::info!(?command, "no XSP configured; nothing to resubscribe");
        }
    }
}

/// A queue that lost events gets a fresh snapshot: its subscription is made again (a user
/// target's initial event, or a collection's queue fetch). At most once per call center per
/// [`RESYNC_SPACING`], so a feed that keeps losing cannot turn into a subscribe storm.
pub(super) async fn request_resyncs(
    mut requests: mpsc::UnboundedReceiver<Arc<str>>,
    control: Option<CommandSink>,
    cancel: CancellationToken,
) -> anyhow::Result<()> {
    let mut last: std::collections::HashMap<Arc<str>, tokio::time::Instant> =
        std::collections::HashMap::new();
    loop {
        let target = tokio::select! {
            () = cancel.cancelled() => return Ok(()),
            target = requests.recv() => target,
        };
        let Some(target) = target else {
            return Ok(());
        };
        let now = tokio::time::Instant::now();
        if last
            .get(&target)
            .is_some_and(|at| now.duration_since(*at) < RESYNC_SPACING)
        {
            continue;
        }
        last.insert(target.clone(), now);
        if let Some(control) = &control {
            tracing::info!(call_center = %target, "resynchronising after a loss");
            control.send(UiCommand::Resubscribe(Some(target)));
        } else {
            tracing::warn!(call_center = %target,
                "events lost and no XSP to resynchronise from; the queue stays UNSURE until a snapshot arrives");
        }
    }
}

/// Take back today's counters from the state file, if they are this setup's and still current.
pub(super) fn restore_counters(board: &Board, state: &StateFile) {
    let path = state.path.display();
    match persist::load(&state.path) {
        Ok(None) => tracing::info!(%path, "no saved counters yet"),
        Ok(Some(saved)) => match board.restore_counters(saved, &state.key, board::now_ms()) {
            Ok(count) => tracing::info!(%path, call_centers = count, "today's counters restored"),
            Err(why) => tracing::info!(%path, %why, "saved counters not restored"),
        },
        Err(error) => {
            tracing::warn!(%path, %error, "cannot read the saved counters; starting from zero");
        }
    }
}

/// Write the counters every [`STATE_SAVE_INTERVAL`] and once more when quitting. A failure is
/// logged: it costs the counters of a restart, never the board.
pub(super) async fn save_counters(
    board: Arc<Board>,
    state: StateFile,
    cancel: CancellationToken,
) -> anyhow::Result<()> {
    let mut tick = tokio::time::interval(STATE_SAVE_INTERVAL);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    tick.tick().await;
    let mut warned = false;
    loop {
        let quitting = tokio::select! {
            () = cancel.cancelled() => true,
            _ = tick.tick() => false,
        };
        let saved = board.save_counters(&state.key);
        let path = state.path.clone();
        let written = tokio::task::spawn_blocking(move || persist::write(&path, &saved)).await;
        match written {
            Ok(Ok(())) => warned = false,
            Ok(Err(error)) if !warned => {
                warned = true;
                tracing::warn!(path = %state.path.display(), %error, "cannot save the counters");
            }
            Ok(Err(_)) => {}
            Err(join) => tracing::warn!(error = %join, "counter save task failed"),
        }
        if quitting {
            return Ok(());
        }
    }
}

/// Log each call center's alert crossing and run the configured `alert_command` when one
/// enters warning or critical. Once a second, not on every change: wait times cross their
/// limits without any event, and a busy feed must not pay for a snapshot per event.
pub(super) async fn watch_alerts(
    board: Arc<Board>,
    command: Option<String>,
    cancel: CancellationToken,
) -> anyhow::Result<()> {
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let mut tracker = alert::AlertTracker::default();
    loop {
        tokio::select! {
            () = cancel.cancelled() => return Ok(()),
            _ = tick.tick() => {}
        }
        let snapshot = board.snapshot(board::now_ms());
        for crossing in tracker.observe(&snapshot.queues) {
            tracing::warn!(call_center = %crossing.id, from = ?crossing.from, to = ?crossing.to,
                reasons = %crossing.reasons.join("; "), "alert level changed");
            let Some(command) = command.as_deref() else {
                continue;
            };
            if crossing.to > crossing.from
                && let Err(error) = alert::run_command(command, &crossing)
            {
                tracing::error!(%error, "alert_command could not be started");
            }
        }
    }
}
