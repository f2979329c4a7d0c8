//! One call center: its waiting calls in queue order, with wait timers and marks.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::format::{fit, fit_right, truncate, wait, width};
use super::theme::{Theme, WaitLevel};
use crate::board::{CallRow, QueueRow};

/// The wait mark (`!`, `!!`, `?`) and a space.
const MARK: usize = 3;
/// `waiting`, `offered`, `bounced`.
const STATE: usize = 7;
/// `pri`.
const PRIORITY: usize = 3;
/// A name column narrower than this says nothing: other columns go first.
const NAME_MIN: usize = 12;
/// Beyond this a name column is mostly blank, and the wait drifts away from the caller.
const NAME_MAX: usize = 40;
/// An agent's name is cut to this at most, and the column is dropped rather than cut below
/// `AGENT_MIN`.
const AGENT_MAX: usize = 20;
const AGENT_MIN: usize = 6;

/// Widths of the columns for the calls shown; 0 hides a column. Numbers (position, caller
/// number, wait) are never cut: a column that cannot have its full width is dropped instead.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Columns {
    position: usize,
    priority: usize,
    name: usize,
    number: usize,
    wait: usize,
    state: usize,
    agent: usize,
}

impl Columns {
    /// Fit `calls` into `inner` cells: a priority column only when the call center has calls of
    /// more than one priority (`mixed`: the order, which follows it, then explains itself), an
    /// agent column only when a call has an agent; when narrow, the agent column goes first, then the state, then the
    /// caller's number; the name takes what is left, and ends in `…` when cut.
    fn for_calls(inner: usize, calls: &[CallRow], mixed: bool) -> Self {
        let most = |f: &dyn Fn(&CallRow) -> usize, at_least: usize| {
            calls.iter().map(f).max().unwrap_or(0).max(at_least)
        };
        let mut columns = Columns {
            position: most(&|c| c.position.to_string().len(), 1),
            priority: if mixed { PRIORITY } else { 0 },
            name: 0,
            number: most(
                &|c| c.caller_number.as_deref().map_or(1, width),
                "number".len(),
            ),
            wait: most(&|c| shown_wait(c).len(), "wait".len()),
            state: STATE,
            agent: most(&|c| c.agent.as_deref().map_or(0, width), 0).min(AGENT_MAX),
        };
        if columns.agent > 0 {
            columns.agent = columns.agent.max("agent".len());
        }
        let room = |c: &Columns| inner.saturating_sub(c.fixed());
        // Narrow: a shorter agent column, then none, then no state, then no number.
        if room(&columns) < NAME_MIN && columns.agent > 0 {
            let short = columns.agent - (NAME_MIN - room(&columns)).min(columns.agent);
            columns.agent = if short >= AGENT_MIN { short } else { 0 };
        }
        if room(&columns) < NAME_MIN {
            columns.state = 0;
        }
        if room(&columns) < NAME_MIN {
            columns.number = 0;
        }
        columns.name = room(&columns).min(NAME_MAX);
        columns
    }

    /// Every cell but the name's: columns and the one-cell gaps before them.
    fn fixed(&self) -> usize {
        let gap = |w: usize| if w > 0 { w + 1 } else { 0 };
        MARK + self.position
            + gap(self.priority)
            + 1
            + gap(self.number)
            + gap(self.wait)
            + gap(self.state)
            + gap(self.agent)
    }

    /// `text` is position, priority, caller name, caller number, state and agent.
    fn line<'a>(self, mark: Span<'a>, wait: Span<'a>, text: [&str; 6]) -> Line<'a> {
        let [position, priority, name, number, state, agent] = text;
        let mut spans = vec![
            mark,
            Span::raw(" "),
            Span::raw(fit_right(position, self.position)),
        ];
        if self.priority > 0 {
            spans.push(Span::raw(format!(
                " {}",
                fit_right(priority, self.priority)
            )));
        }
        spans.push(Span::raw(" "));
        spans.push(Span::raw(fit(name, self.name)));
        if self.number > 0 {
            spans.push(Span::raw(" "));
            spans.push(Span::raw(fit(number, self.number)));
        }
        spans.push(Span::raw(" "));
        spans.push(wait);
        if self.state > 0 {
            spans.push(Span::raw(" "));
            spans.push(Span::raw(fit(state, self.state)));
        }
        if self.agent > 0 {
            spans.push(Span::raw(" "));
            spans.push(Span::raw(fit(agent, self.agent)));
        }
        Line::from(spans)
    }
}

/// The wait as shown: `+` for the caller's whole wait, earlier queues included.
fn shown_wait(call: &CallRow) -> String {
    match call.preserved_wait_secs {
        Some(_) => format!("+{}", wait(call.wait_secs)),
        None => wait(call.wait_secs),
    }
}

/// Draw `queue` in `area`; the selected panel has a thick, highlighted border.
pub fn render(frame: &mut Frame, area: Rect, queue: &QueueRow, selected: bool, theme: Theme) {
    render_with_call(frame, area, queue, selected, None, theme);
}

/// As [`render`], with the call at index `call` (the zoom's ↑/↓) marked `>` and kept in view.
pub fn render_with_call(
    frame: &mut Frame,
    area: Rect,
    queue: &QueueRow,
    selected: bool,
    call: Option<usize>,
    theme: Theme,
) {
    // A call center in warning or critical shows it on its whole border; the selection keeps
    // the thick line.
    let alert = super::stats::level(queue.stats.alert);
    let border = if alert == WaitLevel::Normal {
        theme.border(selected)
    } else {
        theme.alert_border(alert)
    };
    let block = theme
        .block(selected)
        .border_style(border)
        .title(title(queue, area.width, theme))
        .title_bottom(super::stats::line(queue, theme));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    frame.render_widget(Paragraph::new(lines(queue, inner, theme, call)), inner);
}

/// The panel's inside: column names, why it cannot be trusted, the calls that fit, `+N more`.
pub(super) fn lines<'a>(
    queue: &QueueRow,
    inner: Rect,
    theme: Theme,
    selected_call: Option<usize>,
) -> Vec<Line<'a>> {
    let height = usize::from(inner.height);
    // No column names over an empty list.
    let why = super::truth::reason(queue, theme);
    // No column names over an empty list; in a squeezed panel they go before any call does:
    // they stay when every call fits under them, or when the panel has room to spare (5 lines).
    let needed = queue.calls.len() + 1 + usize::from(why.is_some());
    let header = !queue.calls.is_empty() && (height >= needed || height >= 5);
    let room = height.saturating_sub(usize::from(header) + usize::from(why.is_some()));
    // Only the rows that fit are built (and measured), so a queue of hundreds costs a
    // screenful.
    let shown = if queue.calls.len() <= room {
        queue.calls.len()
    } else {
        room.saturating_sub(1)
    };
    // The selected call stays in view: the list starts late enough to show it last.
    let start = selected_call.map_or(0, |s| {
        (s + 1).saturating_sub(shown).min(queue.calls.len() - shown)
    });
    let calls = &queue.calls[start..start + shown];
    // Judged on every call, not only those shown: the order of the list follows priority
    // whether or not the calls that explain it are on screen.
    let first_priority = queue.calls.first().map(|c| c.priority);
    let mixed = queue
        .calls
        .iter()
        .any(|c| Some(c.priority) != first_priority);
    let columns = Columns::for_calls(usize::from(inner.width), calls, mixed);
    let mut lines = Vec::with_capacity(height);
    // The column header is the first thing to go when a panel is squeezed: one more call
    // (or the "+N more" note) says more than the column names.
    if header {
        lines.push(
            columns
                .line(
                    Span::raw(fit("", MARK - 1)),
                    Span::raw(fit_right("wait", columns.wait)),
                    ["#", "pri", "caller", "number", "state", "agent"],
                )
                .style(theme.column_header()),
        );
    }
    // Why the panel cannot be trusted comes before the calls: a STALE or UNSURE queue must not
    // read as a calm one.
    if let Some(why) = why
        && lines.len() < height
    {
        lines.push(why);
    }
    if queue.calls.is_empty() && queue.truth.stale {
        // Not "no calls waiting": nobody knows.
    } else if queue.calls.is_empty() {
        if room > 0 {
            lines.push(Line::styled("  no calls waiting", theme.dim()));
        }
    } else {
        lines.extend(calls.iter().enumerate().map(|(i, call)| {
            let line = call_line(columns, call, queue, theme);
            if selected_call == Some(start + i) {
                mark_selected(line, theme)
            } else {
                line
            }
        }));
        let hidden = queue.calls.len() - shown;
        if hidden > 0 && room > 0 {
            lines.push(Line::styled(format!("  +{hidden} more"), theme.value()));
        }
    }
    lines
}

/// The selected call: `>` before its place, and underlined (a reversed line already means
/// critical).
fn mark_selected(mut line: Line<'_>, theme: Theme) -> Line<'_> {
    if let Some(gap) = line.spans.get_mut(1) {
        *gap = Span::styled(">", theme.key());
    }
    line.patch_style(
        ratatui::style::Style::new().add_modifier(ratatui::style::Modifier::UNDERLINED),
    )
}

fn call_line<'a>(columns: Columns, call: &CallRow, queue: &QueueRow, theme: Theme) -> Line<'a> {
    let level = WaitLevel::of(call.wait_secs, queue.warn_secs, queue.crit_secs);
    // A call past `max_wait_secs` is probably one whose ending was lost: say so, quietly, not
    // as an alarm.
    let (mark, style) = if call.suspect {
        ("? ", theme.dim())
    } else {
        (level.mark(), theme.wait(level))
    };
    columns.line(
        Span::styled(mark, style),
        Span::styled(fit_right(&shown_wait(call), columns.wait), style),
        [
            &call.position.to_string(),
            // `p0` (served first) .. `p3`: readable even where the column names are cut.
            &format!("p{}", call.priority),
            call.caller_name.as_deref().unwrap_or("-"),
            call.caller_number.as_deref().unwrap_or("-"),
            // An action sent and not yet answered by the XSP's event says so where the state is.
            if call.pending.is_some() {
                "pending"
            } else {
                call.state.as_str()
            },
            call.agent.as_deref().unwrap_or(""),
        ],
    )
}

/// ` Sales · 3 waiting · longest !! 3:05 · ans 12 · abd 3 `, the name cut first when narrow;
/// suspect calls are counted apart (`2 waiting + 1 suspect`).
fn title<'a>(queue: &QueueRow, panel_width: u16, theme: Theme) -> Line<'a> {
    let level = WaitLevel::of(queue.longest_wait_secs, queue.warn_secs, queue.crit_secs);
    let mark = match level {
        WaitLevel::Normal => String::new(),
        _ => format!("{} ", level.mark().trim_end()),
    };
    let sep = theme.separator();
    let suspect = queue.calls.iter().filter(|c| c.suspect).count();
    let waiting = if suspect > 0 {
        format!(
            "{} waiting + {suspect} suspect",
            queue.calls.len() - suspect
        )
    } else {
        format!("{} waiting", queue.calls.len())
    };
    let badge = super::truth::badge(queue, theme);
    let stats = format!(
        "{}{waiting}{sep}longest {mark}{}{sep}ans {}{sep}abd {} ",
        badge
            .as_ref()
            .map_or(String::new(), |b| format!("{} ", b.content)),
        wait(queue.longest_wait_secs),
        queue.answered,
        queue.abandoned,
    );
    // Two corners, a space each side of the name and the separator.
    let room = usize::from(panel_width)
        .saturating_sub(2 + 2 + width(sep) + width(&stats))
        .max(8);
    let mut spans = vec![Span::styled(
        format!(" {} ", truncate(&queue.name, room)),
        theme.title(),
    )];
    if let Some(badge) = badge {
        spans.extend([badge, Span::raw(" ")]);
    }
    spans.extend([
        Span::styled(sep.trim_start().to_owned(), theme.dim()),
        Span::styled(waiting, theme.value()),
        Span::raw(format!("{sep}longest ")),
        Span::styled(
            format!("{mark}{}", wait(queue.longest_wait_secs)),
            theme.wait(level),
        ),
        Span::raw(format!(
            "{sep}ans {}{sep}abd {} ",
            queue.answered, queue.abandoned
        )),
    ]);
    Line::from(spans)
}

/// The cells a title needs with its name cut to 8: what a panel must be to show its numbers.
pub(super) fn title_min_width(queue: &QueueRow, theme: Theme) -> usize {
    let name = width(&queue.name).min(8);
    title(queue, u16::MAX, theme).width() - width(&queue.name) + name + 2
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::board::CallState;

    fn call(position: u32, number: &str, agent: Option<&str>, priority: u8) -> CallRow {
        CallRow {
            call_id: "c".into(),
            ext_tracking_id: "e".into(),
            caller_name: Some("Hélène Marchand-Lefebvre".into()),
            caller_number: Some(number.into()),
            add_time_ms: 0,
            wait_secs: 65,
            position,
            priority,
            state: CallState::Waiting,
            agent: agent.map(Arc::from),
            suspect: false,
            privacy: false,
            preserved_wait_secs: None,
            eligibility: crate::board::Eligibility::default(),
            pending: None,
        }
    }

    #[test]
    fn numbers_keep_their_width_and_the_name_takes_the_rest() {
        let calls = [call(1, "+13125550101", None, 0), call(12, "+1", None, 0)];
        let c = Columns::for_calls(60, &calls, false);
        assert_eq!(
            (c.position, c.number, c.wait, c.agent, c.priority),
            (2, 12, 4, 0, 0)
        );
        assert_eq!(c.fixed() + c.name, 60);
        let line = c.line(
            Span::raw("  "),
            Span::raw("1:05"),
            [
                "1",
                "0",
                "Hélène Marchand-Lefebvre",
                "+13125550101",
                "waiting",
                "",
            ],
        );
        assert_eq!(line.width(), 60);
        assert!(line.to_string().starts_with("    1 Hélène"), "{line}");
        assert!(line.to_string().contains("+13125550101"), "{line}");
    }

    #[test]
    fn narrow_panels_drop_whole_columns_rather_than_cut_a_number() {
        let calls = [call(1, "+13125550101", Some("agent.kim"), 0)];
        let wide = Columns::for_calls(76, &calls, false);
        assert_eq!(wide.agent, "agent.kim".len());
        let narrow = Columns::for_calls(40, &calls, false);
        assert_eq!(narrow.agent, 0);
        assert_eq!(narrow.number, 12, "never cut");
        let tiny = Columns::for_calls(24, &calls, false);
        assert_eq!((tiny.number, tiny.state), (0, 0));
        assert!(tiny.name >= NAME_MIN.min(24 - tiny.fixed()));
    }

    #[test]
    fn a_priority_column_only_when_priorities_differ() {
        let calls = [call(1, "+1", None, 1), call(2, "+1", None, 1)];
        assert_eq!(Columns::for_calls(80, &calls, false).priority, 0);
        assert_eq!(Columns::for_calls(80, &calls, true).priority, PRIORITY);
    }
}
