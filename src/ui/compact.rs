//! Compact mode (`c`): one line per call center with the numbers a room with many queues
//! needs, the selected one marked.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::format::{fit, fit_right, wait};
use super::stats::{count, level, mode_badge, percent};
use super::theme::WaitLevel;
use crate::app::View;

/// Columns after the name: waiting, longest, SL, abandon, free agents, badge.
const FIXED: usize = 2 + 5 + 1 + 8 + 1 + 5 + 1 + 5 + 1 + 5 + 1 + 9;

/// Draw the list; returns the first and last call centers shown (1-based) when not all fit.
pub fn render(frame: &mut Frame, area: Rect, view: &View) -> Option<super::Page> {
    let theme = view.theme;
    let queues = &view.board.queues;
    let block = theme.block(false);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let name_width = usize::from(inner.width).saturating_sub(FIXED).max(8);
    let rows = usize::from(inner.height).saturating_sub(1).max(1);
    let selected = view.app.selected_index(queues).unwrap_or(0);
    let first = selected / rows * rows;
    let last = (first + rows).min(queues.len());
    let mut lines = vec![Line::styled(
        format!(
            "  {} {} {} {} {} {} {}",
            fit("call center", name_width),
            fit_right("wait", 5),
            fit_right("longest", 8),
            fit_right("SL", 5),
            fit_right("abd", 5),
            fit_right("free", 5),
            "mode"
        ),
        theme.column_header(),
    )];
    for (index, queue) in queues.iter().enumerate().take(last).skip(first) {
        let wait_level = WaitLevel::of(queue.longest_wait_secs, queue.warn_secs, queue.crit_secs);
        let alert = level(queue.stats.alert).max(wait_level);
        let marker = if index == selected { "> " } else { "  " };
        let badge =
            mode_badge(queue.stats.mode).unwrap_or(if queue.truth.stale { "STALE" } else { "" });
        lines.push(Line::from(vec![
            Span::styled(marker, theme.key()),
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
                " {} {} {} {}",
                fit_right(&percent(queue.stats.service_level_percent), 5),
                fit_right(&percent(queue.stats.abandon_percent), 5),
                fit_right(&count(queue.stats.agents_idle), 5),
                badge
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
