//! The feed status overlay (`s`): the feed's health, one line per subscription or channel, and
//! every event counter.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph, Wrap};

use crate::app::View;

/// `3 viewers attached`, as the receiver last counted them.
fn viewers(count: Option<u64>) -> String {
    match count {
        Some(1) => "1 viewer attached".to_owned(),
        Some(n) => format!("{n} viewers attached"),
        None => "viewers not counted".to_owned(),
    }
}

pub fn render(frame: &mut Frame, area: Rect, view: &View) {
    let theme = view.theme;
    let link = view.link;
    let mut lines = vec![Line::from(vec![
        Span::styled(
            format!(" feed {}", link.health.as_str()),
            theme.health(link.health),
        ),
        Span::raw(format!(": {}", super::feed::summary(link, view.now))),
    ])];
    lines.push(Line::styled(
        format!(
            " mode {} · {}",
            view.header.mode.as_str(),
            match (&view.board.attached, view.header.listen) {
                // Attached: the status below is the receiver's, fetched from it.
                (Some(attached), _) => format!(
                    "the receiver's feed, from {} ({})",
                    attached.receiver,
                    viewers(attached.viewers)
                ),
                (None, Some(addr)) => format!("listening on {addr}"),
                (None, None) => "no listener".to_owned(),
            }
        ),
        theme.dim(),
    ));
    let details = super::feed::details(link, view.now);
    if details.is_empty() {
        lines.push(Line::styled(" no subscriptions to report", theme.dim()));
    } else {
        lines.extend(details.iter().map(|d| Line::raw(format!(" {d}"))));
    }
    let e = view.board.events;
    lines.push(Line::raw(""));
    lines.push(Line::styled(
        format!(
            " events: received {}  applied {}  duplicates {}",
            e.received, e.applied, e.duplicates
        ),
        theme.dim(),
    ));
    lines.push(Line::styled(
        format!(
            "         unknown {}  rejected {}  dropped {}",
            e.unknown, e.rejected, e.dropped
        ),
        theme.dim(),
    ));
    let seq = view.board.sequence;
    lines.push(Line::styled(
        format!(
            " sequence: gaps {}  repairs {}  resyncs {}  late {}",
            seq.gaps, seq.repairs, seq.resyncs, seq.late
        ),
        if seq.gaps > 0 {
            theme.alarm()
        } else {
            theme.dim()
        },
    ));
    if view.board.clock_offset_ms != 0 {
        // Shown only when applied: the wait timers are corrected by this much.
        lines.push(Line::raw(format!(
            " XSP clock {:+.1} s from this host's; wait timers corrected",
            view.board.clock_offset_ms as f64 / 1000.0
        )));
    }

    let width = area.width.saturating_sub(4).min(100);
    // Long detail lines wrap: count the rows they take inside the borders.
    let inner = usize::from(width.saturating_sub(2)).max(1);
    let rows: usize = lines.iter().map(|l| l.width().div_ceil(inner).max(1)).sum();
    let height = u16::try_from(rows).unwrap_or(u16::MAX).saturating_add(2);
    let popup = super::centered(area, width, height);
    frame.render_widget(Clear, popup);
    frame.render_widget(
        Paragraph::new(lines).wrap(Wrap { trim: false }).block(
            theme
                .block(false)
                .border_style(theme.border(true))
                .title(Span::styled(" Feed status ", theme.title())),
        ),
        popup,
    );
}
