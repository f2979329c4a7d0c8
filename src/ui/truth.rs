//! Whether a panel can be trusted: a STALE or UNSURE badge beside the call center's name, so a
//! dead feed never passes for a quiet queue.

use ratatui::style::Color;
use ratatui::text::Span;

use super::format::wait;
use super::theme::Theme;
use crate::board::QueueRow;

/// `STALE 7:12` (nothing has proved the feed for that long, or it is down), else `UNSURE`
/// (events were lost; a resync is under way), else nothing.
pub(super) fn badge<'a>(queue: &QueueRow, theme: Theme) -> Option<Span<'a>> {
    let truth = &queue.truth;
    if truth.stale {
        Some(Span::styled(
            format!(" STALE {} ", wait(truth.data_age_secs)),
            theme.badge(Color::Red),
        ))
    } else if truth.unsure {
        Some(Span::styled(" UNSURE ", theme.badge(Color::Yellow)))
    } else {
        None
    }
}
