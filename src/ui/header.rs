//! The header: how events arrive, the feed's health, the clock, the filter and the totals, and
//! the event counters.
//!
//! Each line is made of parts with a priority; on a narrow screen the least useful parts go
//! first (the product name, then the listen address, ...), and the feed's state never does.

use jiff::Timestamp;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::format::{ago, wait};
use super::theme::{Theme, WaitLevel};
use crate::app::{ClockZones, View};

pub const HEIGHT: u16 = 3;

/// A piece of a line and how much it matters: 0 is kept longest.
struct Part<'a> {
    priority: u8,
    spans: Vec<Span<'a>>,
}

impl<'a> Part<'a> {
    fn new(priority: u8, spans: Vec<Span<'a>>) -> Self {
        Part { priority, spans }
    }

    fn width(&self) -> usize {
        self.spans.iter().map(Span::width).sum()
    }
}

/// The parts that fit in `width`, in their order: the least important go first (the last of
/// equal ones first), then any that was dropped but fits in the room left comes back (a long
/// feed summary gone should not take a short listen address with it). What still does not fit
/// is clipped at the right edge.
fn fit_parts(parts: Vec<Part<'_>>, width: usize) -> Line<'_> {
    let widths: Vec<usize> = parts.iter().map(Part::width).collect();
    let mut keep = vec![true; parts.len()];
    let used = |keep: &[bool]| -> usize {
        widths
            .iter()
            .zip(keep)
            .filter(|(_, k)| **k)
            .map(|(w, _)| w)
            .sum()
    };
    // Least important first; among equals the later one.
    let mut order: Vec<usize> = (0..parts.len())
        .filter(|&i| parts[i].priority > 0)
        .collect();
    order.sort_by_key(|&i| std::cmp::Reverse((parts[i].priority, i)));
    for &i in &order {
        if used(&keep) <= width {
            break;
        }
        keep[i] = false;
    }
    for &i in order.iter().rev() {
        if !keep[i] && used(&keep) + widths[i] <= width {
            keep[i] = true;
        }
    }
    Line::from(
        parts
            .into_iter()
            .zip(keep)
            .filter(|(_, k)| *k)
            .flat_map(|(p, _)| p.spans)
            .collect::<Vec<_>>(),
    )
}

/// The wall clock at `taken_at_ms` in the host's zone (`Sat 2026-11-28 14:00:00`), and the
/// counters' reset zone's time where that zone is another (`counters 09:00 America/New_York`),
/// so a supervisor knows which midnight the day's counters start from.
pub fn clock(taken_at_ms: i64, zones: &ClockZones) -> (String, Option<String>) {
    let Ok(at) = Timestamp::from_millisecond(taken_at_ms) else {
        return ("--:--:--".to_owned(), None);
    };
    let host = at.to_zoned_datetime(zones.host.clone());
    let local = host.strftime("%a %Y-%m-%d %H:%M:%S").to_string();
    let reset = zones.reset.as_ref().map(|zone| {
        let there = at.to_zoned_datetime(zone.clone());
        let name = zone.iana_name().unwrap_or("reset zone");
        format!("counters {} {name}", there.strftime("%H:%M"))
    });
    (local, reset)
}

pub fn render(frame: &mut Frame, area: Rect, view: &View) {
    let width = usize::from(area.width);
    let lines = vec![
        fit_parts(feed_parts(view), width),
        fit_parts(totals_parts(view), width),
        fit_parts(events_parts(view), width),
    ];
    frame.render_widget(Paragraph::new(lines), area);
}

/// `xsi-wallboard  demo  listening on ...  feed ok: ...  Sat 2026-11-28 14:00:00`.
fn feed_parts<'a>(view: &View) -> Vec<Part<'a>> {
    let theme = view.theme;
    let listen = match view.header.listen {
        Some(addr) => format!("listening on {addr}  "),
        None => "no listener  ".to_owned(),
    };
    let (local, reset) = clock(view.board.taken_at_ms, view.app.clock_zones());
    let mut parts = vec![
        Part::new(6, vec![Span::styled("xsi-wallboard  ", theme.title())]),
        Part::new(
            0,
            vec![
                Span::styled(view.header.mode.as_str(), theme.value()),
                Span::raw("  "),
            ],
        ),
    ];
    match &view.board.attached {
        // An attached viewer names the receiver (and how many watch it) instead of a listener.
        Some(attached) => parts.extend(receiver_parts(attached, theme)),
        None => parts.push(Part::new(5, vec![Span::raw(listen)])),
    }
    if view.header.exposed {
        parts.push(Part::new(
            0,
            vec![Span::styled("OPEN TO ANY SENDER  ", theme.alarm())],
        ));
    }
    if view.app.is_frozen() {
        parts.push(Part::new(0, vec![Span::styled("FROZEN  ", theme.alarm())]));
    }
    parts.push(Part::new(
        0,
        vec![Span::styled(
            format!("feed {}", view.link.health.as_str()),
            theme.health(view.link.health),
        )],
    ));
    parts.push(Part::new(
        3,
        vec![Span::raw(format!(
            ": {}",
            super::feed::summary(view.link, view.now)
        ))],
    ));
    parts.push(Part::new(
        1,
        vec![Span::styled(format!("  {local}"), theme.value())],
    ));
    if let Some(reset) = reset {
        parts.push(Part::new(
            4,
            vec![Span::styled(format!("  {reset}"), theme.dim())],
        ));
    }
    parts
}

/// `to 10.0.0.5:8765  3 viewers` after the mode `attached`, and `RECEIVER LOST` while the
/// stream is down (never cut: the panels are all STALE then, and this says why). Which
/// receiver goes before how many watch it, and both before the feed's detail.
fn receiver_parts<'a>(attached: &crate::board::Attachment, theme: Theme) -> Vec<Part<'a>> {
    let mut parts = Vec::new();
    if attached.lost.is_some() {
        parts.push(Part::new(
            0,
            vec![Span::styled("RECEIVER LOST  ", theme.alarm())],
        ));
    }
    parts.push(Part::new(
        2,
        vec![Span::raw(format!("to {}  ", attached.receiver))],
    ));
    if let Some(viewers) = attached.viewers {
        let noun = if viewers == 1 { "viewer" } else { "viewers" };
        parts.push(Part::new(3, vec![Span::raw(format!("{viewers} {noun}  "))]));
    }
    parts
}

/// `call centers 4  waiting 17 + 1 suspect  longest !! 4:05  answered 103  abandoned 14`, or
/// with a filter `filter: sup - 1 of 4 call centers  filtered: waiting 14 ...`: a filter never
/// passes for an empty, calm board.
fn totals_parts<'a>(view: &View) -> Vec<Part<'a>> {
    let theme = view.theme;
    let board = view.board;
    let filter = view.app.filter();
    let mut parts = Vec::new();
    if filter.is_empty() {
        parts.push(Part::new(
            1,
            vec![
                label("call centers ", theme),
                count(board.queues.len(), theme),
                Span::raw("  "),
            ],
        ));
    } else {
        parts.push(Part::new(
            0,
            vec![
                Span::styled(
                    format!(
                        "filter: {filter} - {} of {} call centers",
                        board.queues.len(),
                        view.app.unfiltered().max(board.queues.len())
                    ),
                    theme.badge(ratatui::style::Color::Yellow),
                ),
                Span::raw("  "),
                label("filtered: ", theme),
            ],
        ));
    }
    let suspect: usize = board
        .queues
        .iter()
        .map(|q| q.calls.iter().filter(|c| c.suspect).count())
        .sum();
    parts.push(Part::new(
        0,
        vec![
            label("waiting ", theme),
            count(board.total_waiting() - suspect, theme),
        ],
    ));
    if suspect > 0 {
        // Calls past `max_wait_secs` are probably ones whose ending was lost: counted apart,
        // never in the longest wait.
        parts.push(Part::new(
            0,
            vec![Span::styled(format!(" + {suspect} suspect"), theme.dim())],
        ));
    }
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
    parts.push(Part::new(
        0,
        vec![
            label("  longest ", theme),
            Span::styled(
                format!("{mark}{}", wait(board.longest_wait_secs())),
                theme.wait(level).patch(theme.value()),
            ),
        ],
    ));
    parts.push(Part::new(
        2,
        vec![
            label("  answered ", theme),
            count(board.total_answered(), theme),
        ],
    ));
    parts.push(Part::new(
        2,
        vec![
            label("  abandoned ", theme),
            count(board.total_abandoned(), theme),
        ],
    ));
    parts
}

/// `events 1204  rejected 3  dropped 0  last event 2s ago`.
fn events_parts<'a>(view: &View) -> Vec<Part<'a>> {
    let theme = view.theme;
    let board = view.board;
    let events = board.events;
    vec![
        Part::new(
            1,
            vec![label("events ", theme), count(events.received, theme)],
        ),
        Part::new(
            2,
            vec![label("  rejected ", theme), count(events.rejected, theme)],
        ),
        Part::new(
            0,
            vec![
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
            ],
        ),
        Part::new(
            0,
            vec![
                label("  last event ", theme),
                Span::styled(
                    match board.last_event_secs_ago {
                        Some(_) => format!("{} ago", ago(board.last_event_secs_ago)),
                        None => ago(None),
                    },
                    theme.value(),
                ),
            ],
        ),
    ]
}

fn label(text: &'static str, theme: Theme) -> Span<'static> {
    Span::styled(text, theme.label())
}

fn count(n: impl std::fmt::Display, theme: Theme) -> Span<'static> {
    Span::styled(n.to_string(), theme.value())
}

#[cfg(test)]
mod tests {
    use jiff::tz::TimeZone;

    use super::*;

    /// 2026-11-28T14:00:00Z.
    const AT: i64 = 1_795_874_400_000;

    #[test]
    fn the_clock_reads_in_the_host_zone() {
        let utc = ClockZones::default();
        assert_eq!(
            clock(AT, &utc),
            ("Sat 2026-11-28 14:00:00".to_owned(), None)
        );
        let lisbon_host = ClockZones {
            host: TimeZone::get("Asia/Tokyo").unwrap(),
            reset: None,
        };
        assert_eq!(clock(AT, &lisbon_host).0, "Sat 2026-11-28 23:00:00");
    }

    #[test]
    fn the_counters_zone_shows_only_where_it_differs() {
        let paris = TimeZone::get("Europe/Paris").unwrap();
        let same = ClockZones::new(paris.clone(), paris.clone());
        assert_eq!(clock(AT, &same).1, None);
        let other = ClockZones::new(paris, TimeZone::get("America/New_York").unwrap());
        assert_eq!(
            clock(AT, &other),
            (
                "Sat 2026-11-28 15:00:00".to_owned(),
                Some("counters 09:00 America/New_York".to_owned())
            )
        );
    }

    #[test]
    fn parts_go_least_useful_first_and_keep_their_order() {
        let parts = || {
            vec![
                Part::new(2, vec![Span::raw("aaaa ")]),
                Part::new(0, vec![Span::raw("keep ")]),
                Part::new(1, vec![Span::raw("bbbb ")]),
                Part::new(2, vec![Span::raw("cccc ")]),
            ]
        };
        assert_eq!(fit_parts(parts(), 20).to_string(), "aaaa keep bbbb cccc ");
        assert_eq!(fit_parts(parts(), 19).to_string(), "aaaa keep bbbb ");
        assert_eq!(fit_parts(parts(), 14).to_string(), "keep bbbb ");
        assert_eq!(fit_parts(parts(), 3).to_string(), "keep ");
        // A long part gone leaves room for a shorter, less important one.
        let long = vec![
            Part::new(0, vec![Span::raw("keep ")]),
            Part::new(5, vec![Span::raw("short ")]),
            Part::new(3, vec![Span::raw("a very long summary ")]),
        ];
        assert_eq!(fit_parts(long, 12).to_string(), "keep short ");
    }
}
