//! The help overlay (`?`): every key, and what the wait marks mean.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph};

use super::theme::{Theme, WaitLevel};

const KEYS: &[(&str, &str)] = &[
    ("q  Ctrl-C", "quit"),
    ("?", "this help"),
    ("Tab / S-Tab", "next / previous call center (or arrows)"),
    ("Enter", "zoom the selected call center"),
    ("Esc", "close overlay, zoom, filter (never quits)"),
    ("r / R", "resubscribe the selected / all call centers"),
    // Two toggles a line, as `f / m`: the overlay must fit an 80x24 screen.
    ("s / a", "feed status / agents: state and time in it"),
    ("h / o", "the day in intervals / sort the call centers"),
    ("c", "compact: one line per call center"),
    // One line for two toggles: the overlay must fit an 80x24 screen.
    ("f / m", "freeze the screen / mute the bell"),
    ("/", "filter by name (Enter keeps, Esc clears)"),
    ("1-9", "select the n-th call center"),
    ("↑ / ↓", "zoomed: select a call (else: call centers)"),
    ("p [ ] t x", "zoomed: promote, move, transfer, release"),
];

pub fn render(frame: &mut Frame, area: Rect, theme: Theme) {
    let mut lines: Vec<Line> = KEYS
        .iter()
        .map(|(key, what)| {
            Line::from(vec![
                Span::styled(format!(" {key:<14}"), theme.key()),
                Span::raw(*what),
            ])
        })
        .collect();
    lines.push(Line::raw(""));
    // The marks that say without colour what colour says: one line each, so the overlay
    // still fits an 80x24 screen.
    lines.push(Line::from(vec![
        Span::styled(" !", theme.wait(WaitLevel::Warning)),
        Span::raw(" / "),
        Span::styled(format!("{:<10}", "!!"), theme.wait(WaitLevel::Critical)),
        Span::raw("waiting past the warning / critical threshold"),
    ]));
    lines.push(Line::from(vec![
        Span::styled(format!(" {:<14}", "?"), theme.dim()),
        Span::raw("suspect: past max_wait_secs, counted apart"),
    ]));
    lines.push(Line::from(vec![
        Span::styled(format!(" {:<14}", "+1:05"), theme.value()),
        Span::raw("wait includes earlier queues (transferred in)"),
    ]));
    let height = lines.len() as u16 + 2;
    let popup = super::centered(area, 62, height);
    frame.render_widget(Clear, popup);
    frame.render_widget(
        Paragraph::new(lines).block(
            theme
                .block(false)
                .border_style(theme.border(true))
                .title(Span::styled(" Help ", theme.title())),
        ),
        popup,
    );
}
