//! Whether a panel can be trusted: a STALE or UNSURE badge beside the call center's name, so a
//! dead feed never passes for a quiet queue.

use ratatui::style::{Color, Modifier, Style};
use ratatui::text::Span;

use super::format::wait;
use super::theme::Theme;
use crate::board::QueueRow;

/// `STALE 7:12` (nothing has proved the feed for that long, or it is down), else `UNSURE`
/// (events were lost; a resync is under way), else nothing.
pub(super) fn badge<'a>(queue: &QueueRow, theme: Theme) -> Option<Span<'a>> {
    let truth = queue.truth;
    if truth.stale {
        Some(Span::styled(
            format!(" STALE {} ", wait(truth.data_age_secs)),
            loud(theme, Color::Red),
        ))
    } else if truth.unsure {
        Some(Span::styled(" UNSURE ", loud(theme, Color::Yellow)))
    } else {
        None
    }
}

/// Reversed on colour terminals; on monochrome ones the word itself carries the meaning.
fn loud(theme: Theme, color: Color) -> Style {
    let style = Style::new().add_modifier(Modifier::BOLD | Modifier::REVERSED);
    if theme.has_color() {
        style.fg(color)
    } else {
        style
    }
}
