//! The history overlay (`h`): the day in intervals for the selected call center and for all
//! together: how many waited (the most at once) and the service level through the day as
//! sparklines, then the intervals as a table, latest last.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::Line;
use ratatui::widgets::{Block, Clear, Paragraph, Sparkline};

use super::format::fit;
use crate::app::View;
use crate::board::history::{ApiCallCenterHistory, ApiHistory, ApiInterval};

/// What the overlay draws: each call center's day and all together.
#[derive(Debug, Clone, PartialEq)]
pub struct Day {
    pub per_call_center: ApiHistory,
    pub all: ApiCallCenterHistory,
}

/// Sparkline rows for each of the two charts.
const CHART_HEIGHT: u16 = 2;

pub fn render(frame: &mut Frame, area: Rect, view: &View) {
    let theme = view.theme;
    frame.render_widget(Clear, area);
    let selected = view
        .app
        .selected_index(&view.board.queues)
        .and_then(|i| view.board.queues.get(i))
        .map(|q| q.id.clone());
    let Some(day) = view.history else {
        // An attached viewer keeps no day of its own: say where it is rather than show a blank.
        let block = Block::bordered()
            .border_style(theme.border(true))
            .title(" History (h or Esc closes) ");
        let text = Paragraph::new(vec![
            Line::raw("The day in intervals is kept by the receiver, not by this viewer:"),
            Line::raw("GET /api/history (or /api/history.csv) on the receiver."),
        ])
        .block(block);
        frame.render_widget(text, area);
        return;
    };
    let history = &day.per_call_center;
    let one = selected
        .as_deref()
        .and_then(|id| history.call_centers.iter().find(|c| c.id == id));
    let all = &day.all;
    let (title, shown) = match one {
        Some(cc) => (cc.name.as_str(), cc),
        None => ("all call centers", all),
    };
    let block = Block::bordered()
        .border_style(theme.border(true))
        .title(format!(
            " History · {title} · {}-minute intervals (h or Esc closes) ",
            history.interval_mins
        ));
    let inner = block.inner(area);
    frame.render_widget(block, area);

    // Wide screens chart all call centers beside the selected one.
    let beside = one.is_some() && inner.width >= 100;
    let [charts, table] = Layout::vertical([
        Constraint::Length(2 * (CHART_HEIGHT + 1)),
        Constraint::Fill(1),
    ])
    .areas(inner);
    if beside {
        let [left, right] =
            Layout::horizontal([Constraint::Fill(1), Constraint::Fill(1)]).areas(charts);
        render_charts(frame, left, shown, view);
        render_charts(frame, right, all, view);
    } else {
        render_charts(frame, charts, shown, view);
    }
    render_table(frame, table, shown, view);
}

/// Calls waiting (the most at once) and the service level, one sparkline each.
fn render_charts(frame: &mut Frame, area: Rect, cc: &ApiCallCenterHistory, view: &View) {
    let theme = view.theme;
    let [waiting_label, waiting, sl_label, sl] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(CHART_HEIGHT),
        Constraint::Length(1),
        Constraint::Length(CHART_HEIGHT),
    ])
    .areas(area);
    // The latest intervals that fit, one column each.
    let skip = cc.intervals.len().saturating_sub(usize::from(area.width));
    let shown = &cc.intervals[skip..];
    let most = shown.iter().map(|i| i.max_waiting).max().unwrap_or(0);
    frame.render_widget(
        Paragraph::new(Line::styled(
            format!(" {} · most waiting at once (peak {most})", cc.name),
            theme.dim(),
        )),
        waiting_label,
    );
    frame.render_widget(
        Sparkline::default()
            .data(shown.iter().map(|i| u64::from(i.max_waiting)))
            .style(theme.value()),
        waiting,
    );
    let latest = shown
        .iter()
        .rev()
        .find_map(|i| i.service_level_percent)
        .map_or_else(|| "-".to_owned(), |p| format!("{p:.0}%"));
    frame.render_widget(
        Paragraph::new(Line::styled(
            format!(" service level, 0-100% (latest {latest})"),
            theme.dim(),
        )),
        sl_label,
    );
    frame.render_widget(
        Sparkline::default()
            .data(shown.iter().map(|i| {
                // An interval with nothing counted has no level: a gap, not a zero.
                i.service_level_percent.map(|p| p.round() as u64)
            }))
            .max(100)
            .style(theme.value()),
        sl,
    );
}

/// The intervals, latest last; the oldest give way when they do not all fit.
fn render_table(frame: &mut Frame, area: Rect, cc: &ApiCallCenterHistory, view: &View) {
    let theme = view.theme;
    let mut lines = vec![Line::styled(
        format!(
            " {} {:>5} {:>5} {:>5} {:>5} {:>5} {:>6} {:>7} {:>5} {:>6}",
            fit("from", 5),
            "offer",
            "ans",
            "abd",
            "short",
            "SL",
            "ASA",
            "longest",
            "most",
            "staff"
        ),
        theme.column_header(),
    )];
    let rows = usize::from(area.height).saturating_sub(1);
    if cc.intervals.is_empty() {
        lines.push(Line::styled(
            " nothing yet since the daily reset",
            theme.dim(),
        ));
    }
    let skip = cc.intervals.len().saturating_sub(rows);
    for interval in &cc.intervals[skip..] {
        lines.push(Line::raw(row(interval)));
    }
    frame.render_widget(Paragraph::new(lines), area);
}

fn row(i: &ApiInterval) -> String {
    let opt = |v: Option<String>| v.unwrap_or_else(|| "-".to_owned());
    // `2026-12-03T10:15:00+01:00` -> `10:15`.
    let from = i.start.get(11..16).unwrap_or(&i.start);
    format!(
        " {from:5} {:>5} {:>5} {:>5} {:>5} {:>5} {:>6} {:>7} {:>5} {:>6}",
        i.offered,
        i.answered,
        i.abandoned,
        i.short_abandoned,
        opt(i.service_level_percent.map(|p| format!("{p:.0}%"))),
        opt(i.asa_secs.map(|s| format!("{s}s"))),
        format!("{}s", i.longest_wait_secs),
        i.max_waiting,
        opt(i.agents_staffed.map(|s| s.to_string())),
    )
}
