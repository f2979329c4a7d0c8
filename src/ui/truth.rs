//! Whether a panel can be trusted: a STALE or UNSURE badge beside the call center's name, so a
//! dead feed never passes for a quiet queue.

use ratatui::style::Color;
use ratatui::text::{Line, Span};

use super::format::wait;
use super::theme::{Theme, WaitLevel};
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

/// The reason a panel cannot be trusted, in words, as its first line: `STALE: not subscribed
/// yet`, `UNSURE: events lost (sequence gap)`.
pub(super) fn reason<'a>(queue: &QueueRow, theme: Theme) -> Option<Line<'a>> {
    let truth = &queue.truth;
    let (word, why, level) = if truth.stale {
        ("STALE", truth.stale_reason.as_deref(), WaitLevel::Critical)
    } else if truth.unsure {
        ("UNSURE", truth.unsure_reason.as_deref(), WaitLevel::Warning)
    } else {
        return None;
    };
    Some(Line::from(vec![
        Span::raw("  "),
        Span::styled(word, theme.wait(level)),
        Span::styled(
            format!(": {}", why.unwrap_or("no reason given")),
            theme.dim(),
        ),
    ]))
}
