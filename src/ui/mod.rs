//! Widgets: a pure function of the board snapshot and the view state.
//!
//! ```text
//! +--------------------------------------------------------------+
//! | header: mode, listener, feed health                          |  3 lines
//! |         totals: call centers, waiting, longest, ans, abd     |
//! |         events received / rejected / dropped, last event     |
//! +------------------------------+-------------------------------+
//! | call center panel            | call center panel             |  grid: as many columns
//! |  pos caller number wait ...  |                               |  as panels fit readable
//! |  +N more                     |                               |  (numbers never cut),
//! +------------------------------+-------------------------------+  rows filling the height;
//!                                                                   or zoom: one panel and
//!                                                                   its details
//! | prompt: the filter being typed, or a key's message           |  1 line, only then
//! | footer: key hints                       call centers 1-6 of 9 |  1 line
//! +--------------------------------------------------------------+
//!        help (?) and feed status (s) overlays drawn on top
//! ```

mod agents;
mod compact;
pub mod feed;
mod footer;
pub mod format;
mod header;
mod help;
pub mod history;
mod queue;
mod stats;
mod status;
pub mod theme;
mod truth;
mod zoom;

use ratatui::Frame;
use ratatui::layout::{Alignment, Constraint, Layout, Rect};
use ratatui::text::Line;
use ratatui::widgets::Paragraph;

use crate::app::{Overlay, View};

/// Cells a panel needs at the least for its calls: mark, position, a short name, a full phone
/// number, the wait and the state, inside its borders.
const PANEL_MIN_WIDTH: u16 = 44;
/// More columns than this make panels too small to read across a room, whatever the width.
const MAX_GRID_COLUMNS: usize = 6;
/// Border, one line (a call, `no calls waiting` or `+N more`), border: a quiet panel needs no
/// more, which leaves the lines to the busy ones on a small screen.
const PANEL_MIN_HEIGHT: u16 = 3;
/// Border, column header, border: what a panel costs before its first call.
const PANEL_CHROME: u16 = 3;

/// Draw one frame.
pub fn render(frame: &mut Frame, view: &View) {
    let prompt = u16::from(footer::has_prompt(view));
    let [header_area, body, prompt_area, footer_area] = Layout::vertical([
        Constraint::Length(header::HEIGHT),
        Constraint::Fill(1),
        Constraint::Length(prompt),
        Constraint::Length(1),
    ])
    .areas(frame.area());

    header::render(frame, header_area, view);
    let page = render_body(frame, body, view);
    if prompt > 0 {
        footer::render_prompt(frame, prompt_area, view);
    }
    footer::render(frame, footer_area, view, page);

    match view.app.overlay() {
        Overlay::None => {}
        Overlay::Help => help::render(frame, body, view.theme),
        Overlay::Status => status::render(frame, body, view),
        Overlay::Agents => agents::render(frame, body, view),
        Overlay::History => history::render(frame, body, view),
    }
}

/// Which call centers the body shows, when they do not all fit: `first..last` of `total`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    pub first: usize,
    pub last: usize,
    pub total: usize,
}

fn listening(view: &View) -> String {
    match view.header.listen {
        Some(addr) => format!("listening on {addr}"),
        None => String::new(),
    }
}

/// No call center to show: say why, in the middle of the screen.
fn render_empty(frame: &mut Frame, area: Rect, view: &View) {
    let filtered_out = !view.app.filter().is_empty() && view.app.unfiltered() > 0;
    let (first, second) = if filtered_out {
        // A filter that matches nothing must not look like a quiet board.
        (
            Line::styled(
                format!(
                    "no call center matches the filter \"{}\" ({} hidden)",
                    view.app.filter(),
                    view.app.unfiltered()
                ),
                view.theme.wait(theme::WaitLevel::Warning),
            ),
            "/ to change it, Esc to clear it".to_owned(),
        )
    } else if let Some(attached) = &view.board.attached {
        // Attached, nothing shown yet: the receiver's board is on its way, or cannot come.
        let first = match &attached.lost {
            Some(why) => Line::styled(
                format!("receiver lost: {why}"),
                view.theme.health(crate::status::Health::Down),
            ),
            None => Line::from("waiting for the receiver's board..."),
        };
        (first, format!("attached to {}", attached.receiver))
    } else if view.link.health == crate::status::Health::Off {
        (Line::from("waiting for events..."), listening(view))
    } else {
        // Never a calm, empty board while blind: with a feed, say how it stands
        // (discovering the call centers, or why that failed).
        (
            Line::styled(
                format!("no call center yet: {}", feed::summary(view.link, view.now)),
                view.theme.health(view.link.health),
            ),
            listening(view),
        )
    };
    let lines = vec![first, Line::styled(second, view.theme.dim())];
    let [middle] = Layout::vertical([Constraint::Length(2)])
        .flex(ratatui::layout::Flex::Center)
        .areas(area);
    frame.render_widget(Paragraph::new(lines).alignment(Alignment::Center), middle);
}

fn render_body(frame: &mut Frame, area: Rect, view: &View) -> Option<Page> {
    let queues = &view.board.queues;
    let Some(selected) = view.app.selected_index(queues) else {
        render_empty(frame, area, view);
        return None;
    };

    if view.app.is_zoomed() {
        let queue = &queues[selected];
        zoom::render(
            frame,
            area,
            queue,
            view.app.selected_call_index(queue),
            view.theme,
        );
        return None;
    }
    if view.app.is_compact() {
        return compact::render(frame, area, view);
    }

    let columns = choose_columns(area, queues, min_panel_width(queues, view.theme));
    let plan = GridPlan::new(area, queues.len(), selected, columns);
    let heights = fill(
        area.height,
        share(area.height, &plan.desired_heights(queues), PANEL_MIN_HEIGHT),
    );

    let mut y = area.y;
    for (offset, height) in heights.into_iter().enumerate() {
        let row = plan.first_row + offset;
        let row_area = Rect::new(area.x, y, area.width, height);
        y = y.saturating_add(height);
        let cells = Layout::horizontal(vec![Constraint::Fill(1); plan.columns]).split(row_area);
        for (column, cell) in cells.iter().enumerate() {
            let index = row * plan.columns + column;
            if let Some(q) = queues.get(index) {
                queue::render(frame, *cell, q, index == selected, view.theme);
            }
        }
    }

    let first = plan.first_row * plan.columns;
    let last = ((plan.first_row + plan.rows) * plan.columns).min(queues.len());
    (first > 0 || last < queues.len()).then_some(Page {
        first: first + 1,
        last,
        total: queues.len(),
    })
}

/// How the grid is cut: columns by width, then the page of rows that holds the selection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct GridPlan {
    columns: usize,
    /// First grid row shown.
    first_row: usize,
    /// Grid rows shown.
    rows: usize,
}

impl GridPlan {
    fn new(area: Rect, panels: usize, selected: usize, columns: usize) -> Self {
        let columns = columns.clamp(1, panels.max(1));
        let total_rows = panels.div_ceil(columns);
        let fit = usize::from(area.height / PANEL_MIN_HEIGHT).max(1);
        let rows = total_rows.min(fit);
        // Page by whole screens so that panels do not shift while moving within a page.
        let first_row = (selected / columns) / rows * rows;
        let rows = rows.min(total_rows - first_row);
        GridPlan {
            columns,
            first_row,
            rows,
        }
    }
}

impl GridPlan {
    /// Lines each grid row shown would like: chrome and its busiest panel's calls.
    fn desired_heights(&self, queues: &[crate::board::QueueRow]) -> Vec<u16> {
        (self.first_row..self.first_row + self.rows)
            .map(|row| {
                let start = (row * self.columns).min(queues.len());
                let end = ((row + 1) * self.columns).min(queues.len());
                let most = queues[start..end]
                    .iter()
                    .map(|q| {
                        let why = usize::from(q.truth.stale || q.truth.unsure);
                        // An empty list has no column names: border, one line, border.
                        if q.calls.is_empty() {
                            2 + 1 + why
                        } else {
                            usize::from(PANEL_CHROME) + q.calls.len() + why
                        }
                    })
                    .max()
                    .unwrap_or(usize::from(PANEL_MIN_HEIGHT));
                u16::try_from(most).unwrap_or(u16::MAX)
            })
            .collect()
    }

    /// How much of the board this grid shows: call centers on screen, then calls on screen.
    fn shows(&self, area: Rect, queues: &[crate::board::QueueRow]) -> (usize, usize) {
        let heights = share(area.height, &self.desired_heights(queues), PANEL_MIN_HEIGHT);
        let mut panels = 0;
        let mut calls = 0;
        for (offset, height) in heights.into_iter().enumerate() {
            let row = self.first_row + offset;
            let room = usize::from(height.saturating_sub(PANEL_CHROME));
            for queue in queues.iter().skip(row * self.columns).take(self.columns) {
                panels += 1;
                let waiting = queue.calls.len();
                calls += if waiting <= room {
                    waiting
                } else {
                    room.saturating_sub(1)
                };
            }
        }
        (panels, calls)
    }
}

/// The widest any panel needs to be read: its stats line (the bottom border) and title in
/// full, or the calls' minimum, whichever is more. A grid column narrower than this cuts
/// numbers, so it is not offered.
fn min_panel_width(queues: &[crate::board::QueueRow], theme: theme::Theme) -> u16 {
    let widest = queues
        .iter()
        .map(|q| {
            // Two corners and a cell to spare at either end.
            let stats = stats::line(q, theme).width() + 4;
            let title = queue::title_min_width(q, theme);
            stats.max(title)
        })
        .max()
        .unwrap_or(0);
    u16::try_from(widest)
        .unwrap_or(u16::MAX)
        .max(PANEL_MIN_WIDTH)
}

/// The number of grid columns: of those whose panels are at least `min_width` wide, the one
/// that shows the most call centers, then the most calls; the most columns among equals, so
/// that panels are tall (the screen's height is used) and the grid does not change shape as
/// calls come and go.
fn choose_columns(area: Rect, queues: &[crate::board::QueueRow], min_width: u16) -> usize {
    let most = usize::from(area.width / min_width.max(1))
        .clamp(1, MAX_GRID_COLUMNS)
        .min(queues.len().max(1));
    let mut best = (1, (0, 0));
    for columns in 1..=most {
        // Judged on the first page: what a glance at the wall shows.
        let plan = GridPlan::new(area, queues.len(), 0, columns);
        let shows = plan.shows(area, queues);
        if shows >= best.1 {
            best = (columns, shows);
        }
    }
    best.0
}

/// Share `available` lines among rows that would like `desired` lines each: every row gets
/// `min` (or what is left), then lines go one at a time to the rows still short, so a busy
/// queue grows without starving a quiet one. Never more than `available` in total.
fn share(available: u16, desired: &[u16], min: u16) -> Vec<u16> {
    let mut left = available;
    let mut heights: Vec<u16> = desired
        .iter()
        .map(|&want| {
            let h = want.min(min).min(left);
            left -= h;
            h
        })
        .collect();
    while left > 0 {
        let mut grew = false;
        for (h, &want) in heights.iter_mut().zip(desired) {
            if left > 0 && *h < want {
                *h += 1;
                left -= 1;
                grew = true;
            }
        }
        if !grew {
            break;
        }
    }
    heights
}

/// Hand the lines no row asked for to every row in turn, so that the grid fills the screen
/// instead of leaving its bottom blank (a wall display reads as a whole).
fn fill(available: u16, mut heights: Vec<u16>) -> Vec<u16> {
    let used: u16 = heights.iter().sum();
    let rows = u16::try_from(heights.len()).unwrap_or(u16::MAX);
    if rows == 0 || used >= available {
        return heights;
    }
    let spare = available - used;
    for (i, h) in heights.iter_mut().enumerate() {
        let i = u16::try_from(i).unwrap_or(u16::MAX);
        *h += spare / rows + u16::from(i < spare % rows);
    }
    heights
}

/// A rectangle of at most `width` x `height` centred in `area`.
fn centered(area: Rect, width: u16, height: u16) -> Rect {
    let [row] = Layout::vertical([Constraint::Length(height.min(area.height))])
        .flex(ratatui::layout::Flex::Center)
        .areas(area);
    let [cell] = Layout::horizontal([Constraint::Length(width.min(area.width))])
        .flex(ratatui::layout::Flex::Center)
        .areas(row);
    cell
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn share_gives_every_row_its_minimum_then_grows_the_busy_ones() {
        assert_eq!(share(20, &[4, 10, 4], 4), vec![4, 10, 4]);
        assert_eq!(share(14, &[4, 30, 30], 4), vec![4, 5, 5]);
        assert_eq!(share(6, &[10, 10], 4), vec![4, 2]);
        assert_eq!(share(0, &[10], 4), vec![0]);
    }

    #[test]
    fn spare_lines_go_to_every_row_so_the_grid_fills_the_screen() {
        assert_eq!(fill(24, vec![4, 10, 4]), vec![6, 12, 6]);
        assert_eq!(fill(20, vec![4, 10, 4]), vec![5, 11, 4]);
        assert_eq!(fill(10, vec![4, 6]), vec![4, 6]);
        assert_eq!(fill(10, vec![]), Vec::<u16>::new());
    }

    #[test]
    fn grid_pages_to_the_selected_panel() {
        let area = Rect::new(0, 0, 80, 12);
        // One column, four rows of three lines fit: panel 7 is on the second page.
        assert_eq!(
            GridPlan::new(area, 8, 7, 1),
            GridPlan {
                columns: 1,
                first_row: 4,
                rows: 4
            }
        );
        let wide = Rect::new(0, 0, 200, 40);
        assert_eq!(GridPlan::new(wide, 4, 0, 3).columns, 3);
        assert_eq!(GridPlan::new(wide, 2, 0, 3).columns, 2);
    }
}
