//! The wallboard's background tasks beside the event road: `r` without a feed, the alert
//! watcher, and the counters' state file.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::StateFile;
use crate::alert;
use crate::board::{self, Board, persist};
use crate::status::FeedCommand;

/// How often the counters are written while running (and once more on the way out).
const STATE_SAVE_INTERVAL: Duration = Duration::from_secs(30);

/// Without an XSP (listen-only, demo) there is nothing to resubscribe: `r`/`R` are logged.
pub(super) async fn log_commands_without_feed(
    mut requests: mpsc::UnboundedReceiver<FeedCommand>,
    cancel: CancellationToken,
) -> anyhow::Result<()> {
    loop {
        let command = tokio::select! {
            () = cancel.cancelled() => return Ok(()),
            command = requests.recv() => command,
        };
        match command {
            None => return Ok(()),
            Some(FeedCommand::Resubscribe(Some(target))) => {
                tracing::info!(call_center = %target, "no XSP configured; nothing to resubscribe");
            }
            Some(_) => tracing::info!("no XSP configured; nothing to resubscribe"),
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

/// Log each call center's alert crossing, as the applier evaluates them once a second, and run
/// the configured `alert_command` when one enters warning or critical.
pub(super) async fn watch_alerts(
    board: Arc<Board>,
    command: Option<String>,
    cancel: CancellationToken,
) -> anyhow::Result<()> {
    let mut crossings = board.crossings();
    loop {
        let crossing = tokio::select! {
            () = cancel.cancelled() => return Ok(()),
            crossing = crossings.recv() => crossing,
        };
        let crossing = match crossing {
            Ok(crossing) => crossing,
            Err(tokio::sync::broadcast::error::RecvError::Lagged(missed)) => {
                tracing::warn!(missed, "alert crossings missed: too many at once");
                continue;
            }
            Err(tokio::sync::broadcast::error::RecvError::Closed) => return Ok(()),
        };
        // A level change is the board working as it should: information, not a warning.
        tracing::info!(call_center = %crossing.id, from = %crossing.from.as_str(), to = %crossing.to.as_str(),
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
