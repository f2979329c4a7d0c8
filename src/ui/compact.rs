//! Compact mode (`c`): one line per call center with the numbers a room with many queues
//! needs, the selected one marked, and its status in words so that it reads without colour.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::format::{fit, fit_right, wait};
use super::stats::{count, level, mode_badge, percent};
use super::theme::WaitLevel;
use crate::app::View;
use crate::board::{QueueRow, Severity};

/// Columns after the status and the name: waiting, longest, SL, abandon, free agents.
const FIXED: usize = 2 + 1 + 5 + 1 + 8 + 1 + 5 + 1 + 5 + 1 + 5;

/// What a call center's colour would say, in words, most urgent first: `STALE`, `UNSURE`,
/// `CRIT`, `WARN`, then the mode (`NIGHT`, `HOLIDAY`, `FORWARDED`); `ok` when none applies.
pub(super) fn status_words(queue: &QueueRow) -> String {
    let mut words: Vec<&str> = Vec::new();
    if queue.truth.stale {
        words.push("STALE");
    } else if queue.truth.unsure {
        words.push("UNSURE");
    }
    let wait_level = WaitLevel::of(queue.longest_wait_secs, queue.warn_secs, queue.crit_secs);
    match level(queue.stats.alert).max(wait_level) {
        WaitLevel::Critical => words.push("CRIT"),
        WaitLevel::Warning => words.push("WARN"),
        WaitLevel::Normal => {}
    }
    if let Some(mode) = mode_badge(queue.stats.mode) {
        words.push(mode);
    }
    if words.is_empty() {
        "ok".to_owned()
    } else {
        words.join(" ")
    }
}

/// Draw the list; returns the first and last call centers shown (1-based) when not all fit.
pub fn render(frame: &mut Frame, area: Rect, view: &View) -> Option<super::Page> {
    let theme = view.theme;
    let queues = &view.board.queues;
    let block = theme.block(false);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let statuses: Vec<String> = queues.iter().map(status_words).collect();
    let status_width = statuses
        .iter()
        .map(|s| super::format::width(s))
        .max()
        .unwrap_or(0)
        .max("status".len());
    // Capped like a panel's caller column: on a wide screen the numbers stay beside the name.
    let name_width = usize::from(inner.width)
        .saturating_sub(FIXED + status_width + 1)
        .clamp(8, 40);
    let rows = usize::from(inner.height).saturating_sub(1).max(1);
    let selected = view.app.selected_index(queues).unwrap_or(0);
    let first = selected / rows * rows;
    let last = (first + rows).min(queues.len());
    let mut lines = vec![Line::styled(
        format!(
            "  {} {} {} {} {} {} {}",
            fit("status", status_width),
            fit("call center", name_width),
            fit_right("wait", 5),
            fit_right("longest", 8),
            fit_right("SL", 5),
            fit_right("abd", 5),
            fit_right("free", 5),
        ),
        theme.column_header(),
    )];
    for (index, queue) in queues.iter().enumerate().take(last).skip(first) {
        let wait_level = WaitLevel::of(queue.longest_wait_secs, queue.warn_secs, queue.crit_secs);
        let alert = level(queue.stats.alert).max(wait_level);
        let marker = if index == selected { "> " } else { "  " };
        let status_style = if queue.truth.stale || queue.stats.alert == Severity::Critical {
            theme.wait(WaitLevel::Critical)
        } else {
            theme.wait(alert)
        };
        lines.push(Line::from(vec![
            Span::styled(marker, theme.key()),
            Span::styled(fit(&statuses[index], status_width), status_style),
            Span::raw(" "),
            Span::styled(fit(&queue.name, name_width), theme.wait(alert)),
            Span::raw(format!(" {}", fit_right(&queue.calls.len().to_string(), 5))),
            Span::styled(
                format!(
                    " {}",
                    fit_right(
                        &format!(
                            "{}{}",
                            wait_level.mark().trim_end(),
                            wait(queue.longest_wait_secs)
                        ),
                        8
                    )
                ),
                theme.wait(wait_level),
            ),
            Span::raw(format!(
                " {} {} {}",
                fit_right(&percent(queue.stats.service_level_percent), 5),
                fit_right(&percent(queue.stats.abandon_percent), 5),
                fit_right(&count(queue.stats.agents_idle), 5),
            )),
        ]));
    }
    frame.render_widget(Paragraph::new(lines), inner);
    (first > 0 || last < queues.len()).then_some(super::Page {
        first: first + 1,
        last,
        total: queues.len(),
    })
}
