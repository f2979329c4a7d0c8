//! The zoom (Enter): one call center full screen, with every number the board knows about it
//! and its agents beside its calls.
//!
//! ```text
//! wide (>= 110 columns)                      narrow
//! +- calls ------------------+ +- details -+  +- details (two columns) ------+
//! |                          | | SL, ASA...|  | SL ...          | agents ... |
//! |                          | | agents    |  +------------------------------+
//! +--------------------------+ +-----------+  +- calls ----------------------+
//! ```

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::format::{fit, wait};
use super::stats::{count, percent, secs};
use super::theme::{Theme, WaitLevel};
use crate::board::QueueRow;
use crate::xsi::AgentState;

/// From this width the details stand beside the calls.
const SIDE_BY_SIDE: u16 = 110;
/// The details' column: labels and values fit in this.
const DETAILS_WIDTH: u16 = 42;
/// Labels' column: every line fits half of an 80-column screen (39 cells).
const LABEL: usize = 14;

/// `call`: the index of the call selected with ↑/↓.
pub fn render(frame: &mut Frame, area: Rect, queue: &QueueRow, call: Option<usize>, theme: Theme) {
    let details = details_lines(queue, theme);
    if area.width >= SIDE_BY_SIDE {
        let [calls, side] =
            Layout::horizontal([Constraint::Fill(1), Constraint::Length(DETAILS_WIDTH)])
                .areas(area);
        super::queue::render_with_call(frame, calls, queue, true, call, theme);
        let block = details_block(theme);
        let inner = block.inner(side);
        frame.render_widget(block, side);
        frame.render_widget(Paragraph::new(clip(details, inner.height)), inner);
    } else {
        // Two columns of details on top, at most two fifths of the height; the calls take the rest.
        let per_column = details.len().div_ceil(2);
        let height = u16::try_from(per_column)
            .unwrap_or(u16::MAX)
            .saturating_add(2)
            .min(area.height * 2 / 5);
        let [top, calls] =
            Layout::vertical([Constraint::Length(height), Constraint::Fill(1)]).areas(area);
        let block = details_block(theme);
        let inner = block.inner(top);
        frame.render_widget(block, top);
        let [left, right] =
            Layout::horizontal([Constraint::Fill(1), Constraint::Fill(1)]).areas(inner);
        let rows = usize::from(inner.height);
        let mut details = details;
        let split = per_column.min(rows).min(details.len());
        let second = details.split_off(split);
        frame.render_widget(Paragraph::new(details), left);
        frame.render_widget(Paragraph::new(clip(second, inner.height)), right);
        super::queue::render_with_call(frame, calls, queue, true, call, theme);
    }
}

fn details_block(theme: Theme) -> ratatui::widgets::Block<'static> {
    theme
        .block(false)
        .title(Span::styled(" details ", theme.title()))
}

/// At most `height` lines; the last says how many more there were.
fn clip(mut lines: Vec<Line<'static>>, height: u16) -> Vec<Line<'static>> {
    let height = usize::from(height);
    if lines.len() > height && height > 0 {
        let hidden = lines.len() - height + 1;
        lines.truncate(height - 1);
        lines.push(Line::raw(format!("+{hidden} more")));
    }
    lines
}

fn row(label: &str, value: String) -> Line<'static> {
    Line::from(vec![Span::raw(fit(label, LABEL)), Span::raw(value)])
}

/// What the API knows about the call center, as short labelled lines, then its agents.
pub(super) fn details_lines(queue: &QueueRow, theme: Theme) -> Vec<Line<'static>> {
    let s = &queue.stats;
    let below_target = matches!(
        (s.service_level_percent, s.sl_target_percent),
        (Some(sl), Some(target)) if sl < f64::from(target)
    );
    let target = s
        .sl_target_percent
        .map_or_else(String::new, |t| format!(" (target {t}%)"));
    let mut lines = vec![
        Line::from(vec![
            Span::raw(fit(&format!("SL in {}", wait(s.sl_threshold_secs)), LABEL)),
            Span::styled(
                format!("{}{target}", percent(s.service_level_percent)),
                if below_target {
                    theme.wait(WaitLevel::Warning)
                } else {
                    theme.value()
                },
            ),
        ]),
        row(
            "abandoned",
            format!(
                "{} ({} short)",
                percent(s.abandon_percent),
                s.short_abandoned
            ),
        ),
        row(
            "ASA AHT EWT",
            format!(
                "{} {} {}",
                secs(s.asa_secs),
                secs(s.aht_secs),
                secs(s.ewt_secs)
            ),
        ),
        row(
            "answered wait",
            format!(
                "avg {} longest {}",
                s.answered_avg_wait_secs
                    .map_or_else(|| "-".to_owned(), wait),
                s.answered_longest_wait_secs
                    .map_or_else(|| "-".to_owned(), wait)
            ),
        ),
        row(
            "longest",
            format!(
                "{} warn {} crit {}",
                wait(queue.longest_wait_secs),
                wait(queue.warn_secs),
                wait(queue.crit_secs)
            ),
        ),
        row(
            "overflowed",
            format!(
                "{} (full {}, time {})",
                s.overflowed, s.overflowed_size, s.overflowed_time
            ),
        ),
        row(
            "answered",
            format!("{} abandoned {}", queue.answered, queue.abandoned),
        ),
        row(
            "agents",
            format!(
                "free {} on call {} unav {}",
                count(s.agents_idle),
                count(s.agents_on_call),
                count(s.agents_unavailable)
            ),
        ),
    ];
    for reason in s.alert_reasons.iter() {
        lines.push(Line::styled(
            format!("! {reason}"),
            theme.wait(super::stats::level(s.alert)),
        ));
    }
    lines.extend(agent_lines(queue, theme));
    lines
}

/// The call center's agents (from the Call Center Agent package), one line each.
fn agent_lines(queue: &QueueRow, theme: Theme) -> Vec<Line<'static>> {
    let mut lines = Vec::with_capacity(queue.agents.len().max(1));
    if queue.agents.is_empty() {
        lines.push(Line::styled("agents not followed", theme.dim()));
    }
    for agent in &queue.agents {
        let state = match (agent.state, agent.unavailable_code.as_deref()) {
            (Some(AgentState::Unavailable), Some(code)) => format!("Unavail ({code})"),
            (Some(state), _) => state.as_str().to_owned(),
            (None, _) => "-".to_owned(),
        };
        lines.push(Line::from(vec![
            Span::raw(fit(&agent.name, LABEL)),
            Span::raw(format!("{} {}", fit(&state, 15), wait(agent.since_secs))),
        ]));
    }
    lines
}
