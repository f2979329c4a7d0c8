//! Alert crossings: a call center entering or leaving warning or critical, seen once per
//! crossing, and the optional `alert_command` that pages someone about it.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant};

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
        // Call centers that left the board are forgotten: the map holds what the board does.
        if self.levels.len() > queues.len() {
            let on_board: std::collections::HashSet<&str> = queues.iter().map(|q| &*q.id).collect();
            self.levels.retain(|id, _| on_board.contains(&**id));
        }
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

/// Least time between two runs of the alert command for one call center: a level that flaps
/// pages once a minute at most.
pub const PER_CALL_CENTER_SPACING: Duration = Duration::from_mins(1);

/// Runs of the alert command, all call centers together, per [`RUN_WINDOW`]; the rest wait.
pub const RUNS_PER_WINDOW: usize = 10;
pub const RUN_WINDOW: Duration = Duration::from_mins(1);

/// Crossings the alert command is to be run for, coalesced and rate-limited: at most one
/// pending run per call center (a newer crossing replaces it, and one back to normal before it
/// ran cancels it), one run per call center per [`PER_CALL_CENTER_SPACING`], and
/// [`RUNS_PER_WINDOW`] runs per [`RUN_WINDOW`] in all. Only call centers the applier vouches for
/// are ever announced (see `Queue::known`), so this holds at most one entry per real call
/// center.
#[derive(Debug, Default)]
pub struct AlertRuns {
    pending: HashMap<Arc<str>, Crossing>,
    last_run: HashMap<Arc<str>, Instant>,
    /// When the last runs started, oldest first (at most [`RUNS_PER_WINDOW`]).
    recent: VecDeque<Instant>,
}

impl AlertRuns {
    /// A crossing announced by the applier.
    pub fn offer(&mut self, crossing: Crossing) {
        if crossing.to > crossing.from {
            // Coalesced: the latest level is what a page should say, counted from the level
            // before the first crossing still pending.
            let from = self
                .pending
                .get(&crossing.id)
                .map_or(crossing.from, |pending| pending.from);
            self.pending
                .insert(crossing.id.clone(), Crossing { from, ..crossing });
        } else {
            // Better or back to normal before it paged anyone: nothing to page about.
            self.pending.remove(&crossing.id);
        }
    }

    /// The crossings to run now, and forgets them.
    pub fn due(&mut self, now: Instant) -> Vec<Crossing> {
        while self
            .recent
            .front()
            .is_some_and(|&at| now.duration_since(at) >= RUN_WINDOW)
        {
            self.recent.pop_front();
        }
        self.last_run
            .retain(|_, at| now.duration_since(*at) < PER_CALL_CENTER_SPACING);
        let mut ready: Vec<Arc<str>> = self
            .pending
            .keys()
            .filter(|id| !self.last_run.contains_key(*id))
            .cloned()
            .collect();
        // The same order every time (a HashMap's is not): oldest-named first is as fair as any.
        ready.sort();
        ready.truncate(RUNS_PER_WINDOW.saturating_sub(self.recent.len()));
        ready
            .into_iter()
            .filter_map(|id| {
                let crossing = self.pending.remove(&id)?;
                self.last_run.insert(id, now);
                self.recent.push_back(now);
                Some(crossing)
            })
            .collect()
    }

    /// When [`Self::due`] may next return something, if anything is pending.
    pub fn next_at(&self) -> Option<Instant> {
        if self.pending.is_empty() {
            return None;
        }
        let window = (self.recent.len() >= RUNS_PER_WINDOW)
            .then(|| self.recent.front().map(|&at| at + RUN_WINDOW))
            .flatten();
        let spacing = self
            .pending
            .keys()
            .map(|id| {
                self.last_run
                    .get(id)
                    .map(|&at| at + PER_CALL_CENTER_SPACING)
            })
            .min()
            .flatten();
        // Something is ready now unless every pending one waits for its spacing.
        let all_spaced = self.pending.keys().all(|id| self.last_run.contains_key(id));
        match (window, all_spaced) {
            (Some(window), true) => Some(window.max(spacing.unwrap_or(window))),
            (Some(window), false) => Some(window),
            (None, true) => spacing,
            (None, false) => Some(Instant::now()),
        }
    }

    /// Crossings waiting for their turn.
    pub fn pending(&self) -> usize {
        self.pending.len()
    }
}

/// Run `command` through the shell for one crossing, details in `XSI_WALLBOARD_ALERT_*`
/// variables (never in the command line, so a call center name cannot inject shell syntax),
/// and none of this process's secrets ([`crate::child::shell`]). The child is not awaited: a
/// slow pager must not hold up the wallboard.
pub fn run_command(command: &str, crossing: &Crossing) -> std::io::Result<tokio::process::Child> {
    let level = |s: Severity| match s {
        Severity::Normal => "normal",
        Severity::Warning => "warning",
        Severity::Critical => "critical",
    };
    let mut child = tokio::process::Command::from(crate::child::shell(command));
    child
        .env("XSI_WALLBOARD_ALERT_CALLCENTER", &*crossing.id)
        .env("XSI_WALLBOARD_ALERT_NAME", &*crossing.name)
        .env("XSI_WALLBOARD_ALERT_LEVEL", level(crossing.to))
        .env("XSI_WALLBOARD_ALERT_PREVIOUS", level(crossing.from))
        .env("XSI_WALLBOARD_ALERT_REASONS", crossing.reasons.join("; "))
        .kill_on_drop(false)
        .spawn()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn crossing(id: &str, from: Severity, to: Severity) -> Crossing {
        Crossing {
            id: id.into(),
            name: id.into(),
            from,
            to,
            reasons: Arc::new([]),
        }
    }

    #[test]
    fn runs_are_coalesced_spaced_and_limited() {
        let t0 = Instant::now();
        let mut runs = AlertRuns::default();
        // A flapping call center: one pending run, at its latest level.
        runs.offer(crossing("a", Severity::Normal, Severity::Warning));
        runs.offer(crossing("a", Severity::Warning, Severity::Critical));
        let due = runs.due(t0);
        assert_eq!(due.len(), 1);
        assert_eq!(
            (due[0].from, due[0].to),
            (Severity::Normal, Severity::Critical)
        );
        // Again within its spacing: waits, then runs once.
        runs.offer(crossing("a", Severity::Normal, Severity::Warning));
        assert!(runs.due(t0 + Duration::from_secs(1)).is_empty());
        assert_eq!(runs.next_at(), Some(t0 + PER_CALL_CENTER_SPACING));
        assert_eq!(runs.due(t0 + PER_CALL_CENTER_SPACING).len(), 1);
        // Back to normal before it ran: cancelled.
        runs.offer(crossing("b", Severity::Normal, Severity::Warning));
        runs.offer(crossing("b", Severity::Warning, Severity::Normal));
        assert_eq!(runs.pending(), 0);
        // Many call centers at once: RUNS_PER_WINDOW now, the rest after the window.
        let t1 = t0 + PER_CALL_CENTER_SPACING * 3;
        for i in 0..300 {
            runs.offer(crossing(
                &format!("cc{i:03}"),
                Severity::Normal,
                Severity::Critical,
            ));
        }
        assert_eq!(runs.due(t1).len(), RUNS_PER_WINDOW);
        assert!(runs.due(t1 + Duration::from_secs(1)).is_empty());
        assert_eq!(runs.next_at(), Some(t1 + RUN_WINDOW));
        assert_eq!(runs.due(t1 + RUN_WINDOW).len(), RUNS_PER_WINDOW);
    }
}
