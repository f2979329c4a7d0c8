//! One call center: its waiting calls in queue order, with wait timers and marks.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::format::{fit, fit_right, truncate, wait};
use super::theme::{Theme, WaitLevel};
use crate::board::{CallRow, QueueRow};

const MARK: usize = 2;
const POSITION: usize = 3;
/// Fits `h:mm:ss`.
const WAIT: usize = 7;
/// `waiting`, `offered`, `bounced`.
const STATE: usize = 7;
/// Mark, position, wait, state and the four gaps around name, wait and state.
const FIXED: usize = MARK + POSITION + WAIT + STATE + 3 + 2;

/// Widths of the columns that share what the fixed ones leave; 0 hides a column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Columns {
    name: usize,
    number: usize,
    agent: usize,
}

impl Columns {
    fn for_width(inner: usize) -> Self {
        let rest = inner.saturating_sub(FIXED);
        if rest >= 26 {
            // Two more gaps, for number and agent.
            let rest = rest - 2;
            let number = (rest * 3 / 10).min(16);
            let agent = ((rest - number) * 2 / 5).min(24);
            Columns {
                name: rest - number - agent,
                number,
                agent,
            }
        } else if rest >= 14 {
            let rest = rest - 1;
            let number = rest / 2;
            Columns {
                name: rest - number,
                number,
                agent: 0,
            }
        } else {
            Columns {
                name: rest,
                number: 0,
                agent: 0,
            }
        }
    }

    /// `text` is position, caller name, caller number, state and agent.
    fn line<'a>(self, mark: Span<'a>, wait: Span<'a>, text: [&str; 5]) -> Line<'a> {
        let [position, name, number, state, agent] = text;
        let mut spans = vec![
            mark,
            Span::raw(fit_right(position, POSITION)),
            Span::raw(" "),
            Span::raw(fit(name, self.name)),
        ];
        if self.number > 0 {
            spans.push(Span::raw(" "));
            spans.push(Span::raw(fit(number, self.number)));
        }
        spans.push(Span::raw(" "));
        spans.push(wait);
        spans.push(Span::raw(" "));
        spans.push(Span::raw(fit(state, STATE)));
        if self.agent > 0 {
            spans.push(Span::raw(" "));
            spans.push(Span::raw(fit(agent, self.agent)));
        }
        Line::from(spans)
    }
}

/// Draw `queue` in `area`; the selected panel has a thick, highlighted border.
pub fn render(frame: &mut Frame, area: Rect, queue: &QueueRow, selected: bool, theme: Theme) {
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

    let columns = Columns::for_width(usize::from(inner.width));
    let height = usize::from(inner.height);
    let mut lines = Vec::with_capacity(height);
    // The column header is the first thing to go when a panel is squeezed: one more call
    // (or the "+N more" note) says more than the column names.
    if height >= 3 || (height == 2 && queue.calls.len() <= 1) {
        lines.push(
            columns
                .line(
                    Span::raw(fit("", MARK)),
                    Span::raw(fit_right("wait", WAIT)),
                    ["#", "caller", "number", "state", "agent"],
                )
                .style(theme.column_header()),
        );
    }
    // Why the panel cannot be trusted comes before the calls: a STALE or UNSURE queue must not
    // read as a calm one.
    if let Some(why) = super::truth::reason(queue, theme)
        && lines.len() < height
    {
        lines.push(why);
    }
    let room = height - lines.len();
    if queue.calls.is_empty() && queue.truth.stale {
        // Not "no calls waiting": nobody knows.
    } else if queue.calls.is_empty() {
        if room > 0 {
            lines.push(Line::styled("  no calls waiting", theme.dim()));
        }
    } else {
        // Only the rows that fit are built, so a queue of hundreds costs a screenful.
        let shown = if queue.calls.len() <= room {
            queue.calls.len()
        } else {
            room.saturating_sub(1)
        };
        lines.extend(
            queue.calls[..shown]
                .iter()
                .map(|call| call_line(columns, call, queue, theme)),
        );
        let hidden = queue.calls.len() - shown;
        if hidden > 0 && room > 0 {
            lines.push(Line::styled(format!("  +{hidden} more"), theme.value()));
        }
    }
    frame.render_widget(Paragraph::new(lines), inner);
}

fn call_line<'a>(columns: Columns, call: &CallRow, queue: &QueueRow, theme: Theme) -> Line<'a> {
    let level = WaitLevel::of(call.wait_secs, queue.warn_secs, queue.crit_secs);
    let style = theme.wait(level);
    // A call past `max_wait_secs` is probably one whose ending was lost: say so, not "!!".
    let mark = if call.suspect { "? " } else { level.mark() };
    // `+` : the caller's whole wait, including earlier queues before a transfer here.
    let shown_wait = match call.preserved_wait_secs {
        Some(_) => format!("+{}", wait(call.wait_secs)),
        None => wait(call.wait_secs),
    };
    columns.line(
        Span::styled(mark, style),
        Span::styled(fit_right(&shown_wait, WAIT), style),
        [
            &call.position.to_string(),
            call.caller_name.as_deref().unwrap_or("-"),
            call.caller_number.as_deref().unwrap_or("-"),
            call.state.as_str(),
            call.agent.as_deref().unwrap_or(""),
        ],
    )
}

/// ` Sales · 3 waiting · longest !! 3:05 · ans 12 · abd 3 `, the name cut first when narrow.
fn title<'a>(queue: &QueueRow, width: u16, theme: Theme) -> Line<'a> {
    let level = WaitLevel::of(queue.longest_wait_secs, queue.warn_secs, queue.crit_secs);
    let mark = match level {
        WaitLevel::Normal => String::new(),
        _ => format!("{} ", level.mark().trim_end()),
    };
    let badge = super::truth::badge(queue, theme);
    let stats = format!(
        "{}{} waiting · longest {mark}{} · ans {} · abd {} ",
        badge
            .as_ref()
            .map_or(String::new(), |b| format!("{} ", b.content)),
        queue.calls.len(),
        wait(queue.longest_wait_secs),
        queue.answered,
        queue.abandoned,
    );
    // Two corners, a space each side of the name and the separator.
    let room = usize::from(width)
        .saturating_sub(2 + 4 + super::format::width(&stats))
        .max(8);
    let mut spans = vec![Span::styled(
        format!(" {} ", truncate(&queue.name, room)),
        theme.title(),
    )];
    if let Some(badge) = badge {
        spans.extend([badge, Span::raw(" ")]);
    }
    spans.extend([
        Span::styled("· ", theme.dim()),
        Span::styled(format!("{} waiting · ", queue.calls.len()), theme.value()),
        Span::raw("longest "),
        Span::styled(
            format!("{mark}{}", wait(queue.longest_wait_secs)),
            theme.wait(level),
        ),
        Span::raw(format!(
            " · ans {} · abd {} ",
            queue.answered, queue.abandoned
        )),
    ]);
    Line::from(spans)
}
