//! The footer: key hints, and which call centers are on screen when they do not all fit.

use ratatui::Frame;
use ratatui::layout::{Alignment, Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::Page;
use crate::app::View;

pub fn render(frame: &mut Frame, area: Rect, view: &View, page: Option<Page>) {
    let theme = view.theme;
    let hints: &[(&str, &str)] = if view.app.is_zoomed() {
        &[
            ("q", "quit"),
            ("Esc", "back"),
            ("Tab", "next"),
            ("r", "resubscribe"),
            ("s", "status"),
            ("?", "help"),
        ]
    } else {
        &[
            ("q", "quit"),
            ("Tab", "select"),
            ("Enter", "zoom"),
            ("r/R", "resubscribe"),
            ("s", "status"),
            ("a", "agents"),
            ("o", "sort"),
            ("c", "compact"),
            ("?", "help"),
        ]
    };
    let mut spans = Vec::with_capacity(hints.len() * 2);
    for (key, what) in hints {
        spans.push(Span::styled(format!(" {key}"), theme.key()));
        spans.push(Span::raw(format!(" {what} ")));
    }
    // The page note keeps its place at the right; the hints are cut before it.
    let mut note = page.map_or_else(String::new, |Page { first, last, total }| {
        format!(" call centers {first}-{last} of {total} ")
    });
    if view.app.sort() != crate::app::SortOrder::Name {
        note = format!(" by {}{note}", view.app.sort().as_str());
    }
    if view.app.is_muted() {
        note = format!(" muted{note}");
    }
    if view.app.is_typing() {
        note = format!(
            " filter: {}_ (Enter keeps, Esc clears){note}",
            view.app.filter()
        );
    } else if !view.app.filter().is_empty() {
        note = format!(" filter: {}{note}", view.app.filter());
    }
    let [hints_area, note_area] = Layout::horizontal([
        Constraint::Fill(1),
        Constraint::Length(u16::try_from(note.len()).unwrap_or(u16::MAX)),
    ])
    .areas(area);
    frame.render_widget(
        Paragraph::new(Line::from(spans)).style(theme.footer()),
        hints_area,
    );
    frame.render_widget(
        Paragraph::new(note)
            .alignment(Alignment::Right)
            .style(theme.footer()),
        note_area,
    );
}
