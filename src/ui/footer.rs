//! The footer: key hints, and which call centers are on screen when they do not all fit.

use ratatui::Frame;
use ratatui::layout::{Alignment, Rect};
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
            ("?", "help"),
        ]
    };
    let mut spans = Vec::with_capacity(hints.len() * 3);
    for (key, what) in hints {
        spans.push(Span::styled(format!(" {key}"), theme.key()));
        spans.push(Span::raw(format!(" {what} ")));
    }
    frame.render_widget(
        Paragraph::new(Line::from(spans)).style(theme.footer()),
        area,
    );
    if let Some(Page { first, last, total }) = page {
        frame.render_widget(
            Paragraph::new(format!("call centers {first}-{last} of {total} "))
                .alignment(Alignment::Right)
                .style(theme.footer()),
            area.intersection(Rect {
                x: area.right().saturating_sub(30),
                width: 30,
                ..area
            }),
        );
    }
}
