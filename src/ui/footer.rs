//! The footer: key hints, and which call centers are on screen when they do not all fit; and
//! the line above it, shown only while a filter is typed or a message is fresh.

use ratatui::Frame;
use ratatui::layout::{Alignment, Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::Page;
use crate::app::View;

/// Hints in the order they matter; a narrow footer cuts from the end, so `? help` (which leads
/// to every other key) always shows.
const MAIN_HINTS: &[(&str, &str)] = &[
    ("q", "quit"),
    ("?", "help"),
    ("Tab", "select"),
    ("Enter", "zoom"),
    ("/", "filter"),
    ("s", "status"),
    ("a", "agents"),
    ("h", "history"),
    ("o", "sort"),
    ("c", "compact"),
    ("r/R", "resubscribe"),
    ("f", "freeze"),
    ("m", "mute"),
];
const ZOOM_HINTS: &[(&str, &str)] = &[
    ("q", "quit"),
    ("?", "help"),
    ("Esc", "back"),
    ("↑↓", "call"),
    ("p [ ] t x", "act"),
    ("Tab", "next"),
    ("s", "status"),
    ("a", "agents"),
    ("r", "resubscribe"),
];

pub fn render(frame: &mut Frame, area: Rect, view: &View, page: Option<Page>) {
    let theme = view.theme;
    let hints = if view.app.is_zoomed() {
        ZOOM_HINTS
    } else {
        MAIN_HINTS
    };
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
    let note_width = super::format::width(&note);
    let room = usize::from(area.width).saturating_sub(note_width);
    let mut spans = Vec::with_capacity(hints.len() * 2);
    let mut used = 0;
    for (key, what) in hints {
        let hint = 1 + super::format::width(key) + 1 + super::format::width(what) + 1;
        if used + hint > room {
            break;
        }
        used += hint;
        spans.push(Span::styled(format!(" {key}"), theme.key()));
        spans.push(Span::raw(format!(" {what} ")));
    }
    let [hints_area, note_area] = Layout::horizontal([
        Constraint::Fill(1),
        Constraint::Length(u16::try_from(note_width).unwrap_or(u16::MAX)),
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

/// Whether the prompt line is drawn this frame: while a filter is typed, or a message is fresh.
pub fn has_prompt(view: &View) -> bool {
    view.app.has_prompt() || view.app.is_typing() || view.app.message(view.now).is_some()
}

/// A question cut to `cells`, its end kept: `? y/n` (or the typed number's `_`) must show on
/// a narrow screen, so the middle gives way.
fn fit_question(question: &str, cells: usize) -> String {
    use super::format::{truncate, width};
    if width(question) <= cells {
        return question.to_owned();
    }
    let tail = ["? y/n", "_  (Enter, Esc cancels)"]
        .into_iter()
        .find(|tail| question.ends_with(tail))
        .unwrap_or("");
    let head = &question[..question.len() - tail.len()];
    format!(
        "{}{tail}",
        truncate(head, cells.saturating_sub(width(tail)))
    )
}

/// The filter being typed, on its own line (the hints stay readable below it), else the
/// message of the last key.
pub fn render_prompt(frame: &mut Frame, area: Rect, view: &View) {
    let theme = view.theme;
    let line = if let Some(question) = view.app.prompt_line() {
        Line::from(vec![
            Span::raw(" "),
            Span::styled(
                fit_question(&question, usize::from(area.width).saturating_sub(1)),
                theme.key(),
            ),
        ])
    } else if view.app.is_typing() {
        Line::from(vec![
            Span::styled(" filter: ", theme.key()),
            Span::styled(format!("{}_", view.app.filter()), theme.value()),
            Span::styled("   Enter keeps it, Esc clears it", theme.dim()),
        ])
    } else {
        Line::from(vec![
            Span::raw(" "),
            Span::styled(
                view.app.message(view.now).unwrap_or_default().to_owned(),
                theme.value(),
            ),
        ])
    };
    frame.render_widget(Paragraph::new(line), area);
}
