//! The header: how events arrive, the feed's health, the totals and the event counters.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::format::{ago, wait};
use super::theme::{Theme, WaitLevel};
use crate::app::View;

pub const HEIGHT: u16 = 3;

pub fn render(frame: &mut Frame, area: Rect, view: &View) {
    let theme = view.theme;
    let board = view.board;
    let listen = match view.header.listen {
        Some(addr) => format!("listening on {addr}"),
        None => "no listener".to_owned(),
    };
    // The product name is the first thing to give way to the feed's summary on a narrow screen.
    let name = if area.width >= 100 {
        "xsi-wallboard  "
    } else {
        ""
    };
    let feed = Line::from(vec![
        Span::styled(name, theme.title()),
        Span::styled(view.header.mode.as_str(), theme.value()),
        Span::raw(format!("  {listen}  ")),
        Span::styled(
            if view.header.exposed {
                "OPEN TO ANY SENDER  "
            } else {
                ""
            },
            theme.alarm(),
        ),
        Span::styled(
            if view.app.is_frozen() { "FROZEN  " } else { "" },
            theme.alarm(),
        ),
        Span::styled(
            format!("feed {}", view.link.health.as_str()),
            theme.health(view.link.health),
        ),
        Span::raw(format!(": {}", super::feed::summary(view.link, view.now))),
    ]);

    // The header's longest wait takes the level of the call center it belongs to.
    let level = board
        .queues
        .iter()
        .map(|q| WaitLevel::of(q.longest_wait_secs, q.warn_secs, q.crit_secs))
        .max()
        .unwrap_or(WaitLevel::Normal);
    let mark = match level {
        WaitLevel::Normal => String::new(),
        _ => format!("{} ", level.mark().trim_end()),
    };
    let totals = Line::from(vec![
        label("call centers ", theme),
        count(board.queues.len(), theme),
        label("  waiting ", theme),
        count(board.total_waiting(), theme),
        label("  longest ", theme),
        Span::styled(
            format!("{mark}{}", wait(board.longest_wait_secs())),
            theme.wait(level).patch(theme.value()),
        ),
        label("  answered ", theme),
        count(board.total_answered(), theme),
        label("  abandoned ", theme),
        count(board.total_abandoned(), theme),
    ]);

    let events = board.events;
    let events = Line::from(vec![
        label("events ", theme),
        count(events.received, theme),
        label("  rejected ", theme),
        count(events.rejected, theme),
        label("  dropped ", theme),
        // A drop is a lost event (BroadWorks does not redeliver): it must stand out.
        Span::styled(
            events.dropped.to_string(),
            if events.dropped > 0 {
                theme.alarm()
            } else {
                theme.value()
            },
        ),
        label("  last event ", theme),
        Span::styled(
            match board.last_event_secs_ago {
                Some(_) => format!("{} ago", ago(board.last_event_secs_ago)),
                None => ago(None),
            },
            theme.value(),
        ),
    ]);

    frame.render_widget(Paragraph::new(vec![feed, totals, events]), area);
}

fn label(text: &'static str, theme: Theme) -> Span<'static> {
    Span::styled(text, theme.label())
}

fn count(n: impl std::fmt::Display, theme: Theme) -> Span<'static> {
    Span::styled(n.to_string(), theme.value())
}
