//! View state and the actions keys map to.
//!
//! Keys become [`Action`]s in [`action_for`]; [`App::apply`] handles every action in one
//! `match`. Rendering reads the state through a [`View`] and never changes it.

use std::net::SocketAddr;
use std::sync::Arc;

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

use crate::board::{BoardSnapshot, QueueRow};
use crate::status::{FeedCommand, LinkStatus};
use crate::ui::theme::Theme;

/// How events reach this wallboard, as the header names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FeedMode {
    /// The built-in XSP simulator posts to the listener.
    Demo,
    /// An XSP posts to the listener (the HTTP contact).
    Contact,
    /// Events come down an event channel this wallboard opened.
    Channel,
    /// The listener takes what an XSP subscribed elsewhere sends.
    #[default]
    ListenOnly,
}

impl FeedMode {
    pub fn as_str(self) -> &'static str {
        match self {
            FeedMode::Demo => "demo",
            FeedMode::Contact => "contact",
            FeedMode::Channel => "channel",
            FeedMode::ListenOnly => "listen-only",
        }
    }
}

/// What the header says about this process, fixed at startup.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct HeaderInfo {
    /// Where the event listener is bound (`None`: no listener, e.g. an event channel only).
    pub listen: Option<SocketAddr>,
    /// How events arrive.
    pub mode: FeedMode,
    /// The listener takes events from anyone who can reach it (bound beyond loopback with
    /// neither a listen token nor `allow_from`): the header says so in red.
    pub exposed: bool,
}

/// Something a key asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    Quit,
    ToggleHelp,
    ToggleStatus,
    /// Esc: close the overlay, else leave the zoom, else quit.
    Back,
    SelectNext,
    SelectPrevious,
    /// Show the selected call center alone, full screen.
    ToggleZoom,
    /// `r`: resubscribe the selected call center.
    Resubscribe,
    /// `R`: resubscribe every call center.
    ResubscribeAll,
    /// `o`: by name, by severity (critical first), by calls waiting.
    CycleSort,
    /// `f`: keep the screen as it is (the header says FROZEN) until pressed again.
    ToggleFreeze,
    /// `c`: one line per call center, for rooms with many queues.
    ToggleCompact,
    /// `m`: no bell when a call center enters critical.
    ToggleMute,
    /// `a`: the agents panel.
    ToggleAgents,
    /// `h`: the day in intervals.
    ToggleHistory,
    /// `/`: type a filter on call center names (Enter keeps it, Esc clears it).
    StartFilter,
    /// `1`..`9`: select the n-th call center on screen.
    Jump(u8),
}

/// The key map. Only presses count (Windows also reports releases and repeats).
///
/// While a filter is typed, keys go to [`App::type_key`] instead.
pub fn action_for(key: KeyEvent) -> Option<Action> {
    if key.kind != KeyEventKind::Press {
        return None;
    }
    let action = match key.code {
        KeyCode::Char('c') if key.modifiers.contains(KeyModifiers::CONTROL) => Action::Quit,
        KeyCode::Char('q') => Action::Quit,
        KeyCode::Char('?') => Action::ToggleHelp,
        KeyCode::Char('s') => Action::ToggleStatus,
        KeyCode::Char('r') => Action::Resubscribe,
        KeyCode::Char('R') => Action::ResubscribeAll,
        KeyCode::Char('o') => Action::CycleSort,
        KeyCode::Char('f') => Action::ToggleFreeze,
        KeyCode::Char('c') => Action::ToggleCompact,
        KeyCode::Char('m') => Action::ToggleMute,
        KeyCode::Char('a') => Action::ToggleAgents,
        KeyCode::Char('h') => Action::ToggleHistory,
        KeyCode::Char('/') => Action::StartFilter,
        KeyCode::Char(digit @ '1'..='9') => Action::Jump(digit as u8 - b'0'),
        KeyCode::Esc => Action::Back,
        KeyCode::Enter => Action::ToggleZoom,
        KeyCode::Tab | KeyCode::Right | KeyCode::Down => Action::SelectNext,
        KeyCode::BackTab | KeyCode::Left | KeyCode::Up => Action::SelectPrevious,
        _ => return None,
    };
    Some(action)
}

/// An overlay drawn over the board; one at a time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Overlay {
    #[default]
    None,
    Help,
    /// The feed's status lines (`LinkStatus::details`).
    Status,
    /// Every agent followed: state, time in it, call centers.
    Agents,
    /// The day in intervals: charts and a table.
    History,
}

/// The order of the call centers on screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum SortOrder {
    /// By display name (the board's own order).
    #[default]
    Name,
    /// Critical first, then warning, then by longest wait.
    Severity,
    /// Most calls waiting first.
    Waiting,
}

impl SortOrder {
    fn next(self) -> Self {
        match self {
            SortOrder::Name => SortOrder::Severity,
            SortOrder::Severity => SortOrder::Waiting,
            SortOrder::Waiting => SortOrder::Name,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            SortOrder::Name => "name",
            SortOrder::Severity => "severity",
            SortOrder::Waiting => "waiting",
        }
    }
}

/// What the loop must do after an action.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Redraw and carry on.
    Continue,
    Quit,
    /// Hand this to the feed, then redraw.
    Send(FeedCommand),
}

/// The view state: what is selected and shown, not what the board holds.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[expect(
    clippy::struct_excessive_bools,
    reason = "independent toggles, one per key; no two of them form a state machine"
)]
pub struct App {
    /// The selected call center by id, so that the selection stays on it when others appear
    /// and the sorted order shifts.
    selected: Option<Arc<str>>,
    overlay: Overlay,
    zoomed: bool,
    sort: SortOrder,
    frozen: bool,
    compact: bool,
    muted: bool,
    /// Shown call centers are those whose name or id contains this (case-insensitive).
    filter: String,
    /// Keys are being typed into `filter`.
    typing: bool,
    /// `--mask-callers`: last four digits and initials only (a wall display is public).
    mask_callers: bool,
}

impl App {
    pub fn new() -> Self {
        App::default()
    }

    /// Mask every caller on screen, not only those who asked for privacy.
    #[must_use]
    pub fn with_mask_callers(mut self, mask: bool) -> Self {
        self.mask_callers = mask;
        self
    }

    /// The filter being typed or in force (empty: none).
    pub fn filter(&self) -> &str {
        &self.filter
    }

    pub fn is_typing(&self) -> bool {
        self.typing
    }

    /// A key while the filter is typed: characters extend it, Backspace shortens it, Enter
    /// keeps it, Esc clears it. Either of the last two ends the typing.
    pub fn type_key(&mut self, key: KeyEvent) {
        if key.kind != KeyEventKind::Press {
            return;
        }
        match key.code {
            KeyCode::Enter => self.typing = false,
            KeyCode::Esc => {
                self.filter.clear();
                self.typing = false;
            }
            KeyCode::Backspace => {
                self.filter.pop();
            }
            KeyCode::Char(c) if !key.modifiers.contains(KeyModifiers::CONTROL) => {
                self.filter.push(c);
            }
            _ => {}
        }
    }

    pub fn overlay(&self) -> Overlay {
        self.overlay
    }

    pub fn is_zoomed(&self) -> bool {
        self.zoomed
    }

    pub fn sort(&self) -> SortOrder {
        self.sort
    }

    /// The screen keeps its last snapshot while frozen.
    pub fn is_frozen(&self) -> bool {
        self.frozen
    }

    pub fn is_compact(&self) -> bool {
        self.compact
    }

    pub fn is_muted(&self) -> bool {
        self.muted
    }

    /// What the screen shows of a snapshot: the filter applied, callers masked (always those
    /// who asked for privacy), the call centers in the chosen order (stable: ties keep name
    /// order).
    pub fn arrange(&self, snapshot: &mut BoardSnapshot) {
        if !self.filter.is_empty() {
            let needle = self.filter.to_lowercase();
            snapshot.queues.retain(|q| {
                q.name.to_lowercase().contains(&needle) || q.id.to_lowercase().contains(&needle)
            });
        }
        crate::board::privacy::mask_callers(snapshot, self.mask_callers);
        match self.sort {
            SortOrder::Name => {}
            SortOrder::Severity => snapshot.queues.sort_by(|a, b| {
                b.stats
                    .alert
                    .cmp(&a.stats.alert)
                    .then(b.longest_wait_secs.cmp(&a.longest_wait_secs))
            }),
            SortOrder::Waiting => snapshot
                .queues
                .sort_by_key(|q| std::cmp::Reverse(q.calls.len())),
        }
    }

    /// Index of the selected call center in `queues`: the remembered one if it is still there,
    /// else the first.
    pub fn selected_index(&self, queues: &[QueueRow]) -> Option<usize> {
        if queues.is_empty() {
            return None;
        }
        let found = self
            .selected
            .as_ref()
            .and_then(|id| queues.iter().position(|q| q.id == *id));
        Some(found.unwrap_or(0))
    }

    /// Handle one action against the call centers as last drawn.
    pub fn apply(&mut self, action: Action, queues: &[QueueRow]) -> Outcome {
        match action {
            Action::Quit => return Outcome::Quit,
            Action::ToggleHelp => self.toggle_overlay(Overlay::Help),
            Action::ToggleStatus => self.toggle_overlay(Overlay::Status),
            Action::Back => {
                if self.overlay != Overlay::None {
                    self.overlay = Overlay::None;
                } else if self.zoomed {
                    self.zoomed = false;
                } else {
                    return Outcome::Quit;
                }
            }
            Action::SelectNext => self.step(queues, 1),
            Action::SelectPrevious => self.step(queues, -1),
            Action::ToggleZoom => self.zoomed = !self.zoomed && !queues.is_empty(),
            Action::Resubscribe => {
                // With no call center known yet (e.g. waiting after a 401), `r` can only mean all.
                let target = self.selected_index(queues).map(|i| queues[i].id.clone());
                return Outcome::Send(FeedCommand::Resubscribe(target));
            }
            Action::ResubscribeAll => return Outcome::Send(FeedCommand::Resubscribe(None)),
            Action::CycleSort => self.sort = self.sort.next(),
            Action::ToggleFreeze => self.frozen = !self.frozen,
            Action::ToggleCompact => self.compact = !self.compact,
            Action::ToggleMute => self.muted = !self.muted,
            Action::ToggleAgents => self.toggle_overlay(Overlay::Agents),
            Action::ToggleHistory => self.toggle_overlay(Overlay::History),
            Action::StartFilter => self.typing = true,
            Action::Jump(n) => {
                if let Some(queue) = queues.get(usize::from(n).saturating_sub(1)) {
                    self.selected = Some(queue.id.clone());
                }
            }
        }
        Outcome::Continue
    }

    fn toggle_overlay(&mut self, overlay: Overlay) {
        self.overlay = if self.overlay == overlay {
            Overlay::None
        } else {
            overlay
        };
    }

    /// Move the selection by `delta`, wrapping around at either end.
    fn step(&mut self, queues: &[QueueRow], delta: isize) {
        let Some(current) = self.selected_index(queues) else {
            return;
        };
        let next = (current as isize + delta).rem_euclid(queues.len() as isize) as usize;
        self.selected = Some(queues[next].id.clone());
    }
}

/// Everything one frame is drawn from.
#[derive(Debug, Clone, Copy)]
pub struct View<'a> {
    pub app: &'a App,
    pub board: &'a BoardSnapshot,
    pub link: &'a LinkStatus,
    pub header: &'a HeaderInfo,
    pub theme: Theme,
    /// The frame's instant, on the clock the feed's status counts down on.
    pub now: tokio::time::Instant,
    /// The day in intervals, read only while the history overlay is open.
    pub history: Option<&'a crate::ui::history::Day>,
}
