//! The single writer: turns events into board changes.

use std::sync::Arc;

use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::{Arrival, Board};
use crate::xsi::Event;

/// What applying one event did (for tests and counters).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApplyOutcome {
    Applied,
    Duplicate,
    Unknown,
    /// Not a queue event (channel and error events, terminations): nothing on the board changed.
    Ignored,
}

/// Owns the writer-only memory (seen event ids, recently ended calls).
#[derive(Debug)]
pub struct Applier {
    board: Arc<Board>,
}

impl Applier {
    pub fn new(board: Arc<Board>) -> Self {
        Applier { board }
    }

    pub fn board(&self) -> &Arc<Board> {
        &self.board
    }

    /// Apply one event that arrived at `arrival_ms` (epoch ms, this host).
    pub fn apply(&mut self, event: &Event, arrival_ms: i64) -> ApplyOutcome {
        let _ = (event, arrival_ms);
        todo!("board helper")
    }
}

/// The applier task: drains the channel in batches and bumps the board's version after each.
pub async fn run_applier(
    mut rx: mpsc::Receiver<Arrival>,
    mut applier: Applier,
    cancel: CancellationToken,
) {
    let mut batch = Vec::with_capacity(256);
    loop {
        tokio::select! {
            () = cancel.cancelled() => break,
            n = rx.recv_many(&mut batch, 256) => {
                if n == 0 { break; }
                for arrival in batch.drain(..) {
                    applier.apply(&arrival.event, arrival.arrival_ms);
                }
                applier.board.bump_version();
            }
        }
    }
}
