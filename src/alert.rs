//! Alert crossings: a call center entering or leaving warning or critical, seen once per
//! crossing, and the optional `alert_command` that pages someone about it.

use std::collections::HashMap;
use std::sync::Arc;

use crate::board::{QueueRow, Severity};

/// One change of a call center's alert level.
#[derive(Debug, Clone, PartialEq)]
pub struct Crossing {
    pub id: Arc<str>,
    pub name: Arc<str>,
    pub from: Severity,
    pub to: Severity,
    /// Why the new level, one phrase per threshold crossed (empty when back to normal).
    pub reasons: Arc<[String]>,
}

impl Crossing {
    /// The moment the terminal bell rings.
    pub fn entered_critical(&self) -> bool {
        self.to == Severity::Critical && self.from != Severity::Critical
    }
}

/// Remembers each call center's last alert level, so that a level held over many snapshots is
/// reported once (the UI's bell, and a viewer that only sees snapshots; the applier reports the
/// crossings it evaluates itself on [`crate::board::Board::crossings`]).
#[derive(Debug, Default)]
pub struct AlertTracker {
    levels: HashMap<Arc<str>, Severity>,
}

impl AlertTracker {
    /// The crossings since the previous call. A call center seen for the first time crosses
    /// from normal.
    pub fn observe(&mut self, queues: &[QueueRow]) -> Vec<Crossing> {
        let mut crossings = Vec::new();
        for queue in queues {
            let to = queue.stats.alert;
            let from = self
                .levels
                .insert(queue.id.clone(), to)
                .unwrap_or(Severity::Normal);
            if from != to {
                crossings.push(Crossing {
                    id: queue.id.clone(),
                    name: queue.name.clone(),
                    from,
                    to,
                    reasons: Arc::clone(&queue.stats.alert_reasons),
                });
            }
        }
        crossings
    }
}

/// Run `command` through the shell for one crossing, details in `XSI_WALLBOARD_ALERT_*`
/// variables (never in the command line, so a call center name cannot inject shell syntax).
/// The child is not awaited: a slow pager must not hold up the wallboard.
pub fn run_command(command: &str, crossing: &Crossing) -> std::io::Result<tokio::process::Child> {
    let level = |s: Severity| match s {
        Severity::Normal => "normal",
        Severity::Warning => "warning",
        Severity::Critical => "critical",
    };
    tokio::process::Command::new("sh")
        .arg("-c")
        .arg(command)
        .env("XSI_WALLBOARD_ALERT_CALLCENTER", &*crossing.id)
        .env("XSI_WALLBOARD_ALERT_NAME", &*crossing.name)
        .env("XSI_WALLBOARD_ALERT_LEVEL", level(crossing.to))
        .env("XSI_WALLBOARD_ALERT_PREVIOUS", level(crossing.from))
        .env("XSI_WALLBOARD_ALERT_REASONS", crossing.reasons.join("; "))
        .stdin(std::process::Stdio::null())
        .kill_on_drop(false)
        .spawn()
}
