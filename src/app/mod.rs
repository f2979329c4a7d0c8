//! View state and the actions keys map to.
//!
//! `act` is the part that acts on a waiting call (issue 18): its questions and confirmation.
//!
//! Keys become [`Action`]s in [`action_for`]; [`App::apply`] handles every action in one
//! `match`. Rendering reads the state through a [`View`] and never changes it.

mod act;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use jiff::tz::TimeZone;
use tokio::time::Instant;

use crate::actions::{ActionKind, ActionRequest, ActionSettings, Refusal};
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
    /// A journal replayed (`xsi-wallboard replay`): the header says REPLAY.
    Replay,
    /// `attach`: a receiver's board, mirrored from its stream; `r`/`R` are asked of the
    /// receiver.
    Attached,
}

impl FeedMode {
    pub fn as_str(self) -> &'static str {
        match self {
            FeedMode::Demo => "demo",
            FeedMode::Contact => "contact",
            FeedMode::Channel => "channel",
            FeedMode::ListenOnly => "listen-only",
            FeedMode::Replay => "REPLAY",
            FeedMode::Attached => "attached",
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
    /// Esc: close the overlay, else leave the zoom, else clear the filter; never quits (a
    /// stray Esc must not end a wall display).
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
    /// ↑: in the zoom, the previous call; elsewhere the previous call center.
    Up,
    /// ↓: in the zoom, the next call; elsewhere the next call center.
    Down,
    /// `p`, `[` / `]`, `t`, `x`: act on the selected call (`earlier` for `[`).
    Act {
        kind: crate::actions::ActionKind,
        earlier: bool,
    },
    /// A key that means nothing here: said on screen, so no key press goes unanswered.
    Unbound(KeyCode),
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
        KeyCode::Char('p') => act(ActionKind::Promote, false),
        KeyCode::Char('[') => act(ActionKind::Move, true),
        KeyCode::Char(']') => act(ActionKind::Move, false),
        KeyCode::Char('t') => act(ActionKind::Transfer, false),
        KeyCode::Char('x') => act(ActionKind::Release, false),
        KeyCode::Down => Action::Down,
        KeyCode::Up => Action::Up,
        KeyCode::Tab | KeyCode::Right => Action::SelectNext,
        KeyCode::BackTab | KeyCode::Left => Action::SelectPrevious,
        // Modifier keys alone and the like are not something a user "pressed" to get an answer.
        KeyCode::Modifier(_) | KeyCode::Null => return None,
        other => Action::Unbound(other),
    };
    Some(action)
}

fn act(kind: ActionKind, earlier: bool) -> Action {
    Action::Act { kind, earlier }
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
    /// Critical first, then warning, then the rest; within a level the name order. Only a
    /// change of level moves a panel (a wall whose panels swap every tick cannot be read).
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
    /// Confirmed: hand this action to `actions::Actions`, show how it ended.
    Act(ActionRequest),
    /// Refused before any question or request: audit it (the reason is on screen).
    Refused(ActionRequest, Refusal),
}

/// How long a one-line message stays on screen: long enough to read, short enough that the
/// line is free again for the next one.
pub const MESSAGE_SECS: u64 = 4;

/// A one-line answer to a key that has no other visible effect (`r` in the demo, an Esc with
/// nothing to close, a key that is not bound), shown until [`MESSAGE_SECS`] have passed.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Message {
    text: String,
    shown_at: Instant,
}

/// The zones the header's clock is read in: this host's, and the counters' reset zone when it
/// is another (a supervisor in Lisbon watching counters that reset at midnight in New York).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClockZones {
    pub host: TimeZone,
    /// `None` when it is the host's.
    pub reset: Option<TimeZone>,
}

impl Default for ClockZones {
    /// UTC and no reset zone: what tests draw with, so that their screens do not depend on
    /// the machine's zone.
    fn default() -> Self {
        ClockZones {
            host: TimeZone::UTC,
            reset: None,
        }
    }
}

impl ClockZones {
    /// `reset` is kept only where it differs from `host`.
    pub fn new(host: TimeZone, reset: TimeZone) -> Self {
        let reset = (reset != host).then_some(reset);
        ClockZones { host, reset }
    }
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
    /// How events arrive: `r`/`R` mean nothing without an XSP, and say so.
    feed_mode: FeedMode,
    message: Option<Message>,
    /// Call centers on the board before the filter, as of the last [`App::arrange`]: the
    /// header says `0 of 4` rather than letting a filter pass for an empty board.
    unfiltered: usize,
    clock: ClockZones,
    /// The call selected in the zoom (↑/↓), by id.
    selected_call: Option<Arc<str>>,
    /// Where the selected call was in its list, for when it leaves (see `keep_call_selected`).
    selected_call_rank: usize,
    /// A question about an action, open on the message line.
    prompt: Option<act::Prompt>,
    /// What the configuration allows of actions.
    action_settings: ActionSettings,
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

    /// How events arrive, for the keys whose meaning depends on it (`r`, `R`).
    #[must_use]
    pub fn with_feed_mode(mut self, mode: FeedMode) -> Self {
        self.feed_mode = mode;
        self
    }

    /// The zones the header's clock shows.
    #[must_use]
    pub fn with_clock_zones(mut self, zones: ClockZones) -> Self {
        self.clock = zones;
        self
    }

    pub fn clock_zones(&self) -> &ClockZones {
        &self.clock
    }

    /// The filter being typed or in force (empty: none).
    pub fn filter(&self) -> &str {
        &self.filter
    }

    pub fn is_typing(&self) -> bool {
        self.typing
    }

    /// How many call centers the board held before the filter (as of the last arrange).
    pub fn unfiltered(&self) -> usize {
        self.unfiltered
    }

    /// The message to show at `now`, if one is still fresh.
    pub fn message(&self, now: Instant) -> Option<&str> {
        self.message
            .as_ref()
            .filter(|m| now.saturating_duration_since(m.shown_at).as_secs() < MESSAGE_SECS)
            .map(|m| m.text.as_str())
    }

    /// Say `text` on the message line from `now` on.
    pub fn say(&mut self, text: impl Into<String>, now: Instant) {
        self.message = Some(Message {
            text: text.into(),
            shown_at: now,
        });
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

    /// What the screen shows of a snapshot: the filter applied (how many there were before is
    /// remembered for the header), callers masked (always those who asked for privacy), agents
    /// and call centers by name where known, the call centers in the chosen order (stable:
    /// ties keep name order).
    pub fn arrange(&mut self, snapshot: &mut BoardSnapshot) {
        name_agents_and_call_centers(snapshot);
        self.unfiltered = snapshot.queues.len();
        if !self.filter.is_empty() {
            let needle = self.filter.to_lowercase();
            snapshot.queues.retain(|q| {
                q.name.to_lowercase().contains(&needle) || q.id.to_lowercase().contains(&needle)
            });
        }
        crate::board::privacy::mask_callers(snapshot, self.mask_callers);
        self.keep_call_selected(&snapshot.queues);
        match self.sort {
            SortOrder::Name => {}
            // `sort_by_key` is stable: within a level the board's name order stays.
            SortOrder::Severity => snapshot
                .queues
                .sort_by_key(|q| std::cmp::Reverse(severity_rank(q))),
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

    /// Handle one action against the call centers as last drawn, now.
    pub fn apply(&mut self, action: Action, queues: &[QueueRow]) -> Outcome {
        self.apply_at(action, queues, Instant::now())
    }

    /// Handle one action at `now` (when a message it gives starts to show).
    pub fn apply_at(&mut self, action: Action, queues: &[QueueRow], now: Instant) -> Outcome {
        match action {
            Action::Quit => return Outcome::Quit,
            Action::ToggleHelp => self.toggle_overlay(Overlay::Help),
            Action::ToggleStatus => self.toggle_overlay(Overlay::Status),
            Action::Back => self.back(now),
            // In the zoom ↑ / ↓ select a call; outside it call centers, as Tab and ←/→ do.
            Action::Up | Action::Down if self.zoomed => {
                self.step_call(queues, if action == Action::Up { -1 } else { 1 }, now);
            }
            Action::SelectNext | Action::Down => self.step(queues, 1, now),
            Action::SelectPrevious | Action::Up => self.step(queues, -1, now),
            Action::ToggleZoom => {
                if queues.is_empty() {
                    self.zoomed = false;
                    self.say("no call center to zoom", now);
                } else {
                    self.zoomed = !self.zoomed;
                }
            }
            Action::Resubscribe | Action::ResubscribeAll => {
                return self.resubscribe(action == Action::ResubscribeAll, queues, now);
            }
            Action::CycleSort => {
                self.sort = self.sort.next();
                self.say(format!("sorted by {}", self.sort.as_str()), now);
            }
            Action::ToggleFreeze => {
                self.frozen = !self.frozen;
                let text = if self.frozen {
                    "frozen: the screen is not updated; f to go live"
                } else {
                    "live again"
                };
                self.say(text, now);
            }
            Action::ToggleCompact => self.compact = !self.compact,
            Action::ToggleMute => {
                self.muted = !self.muted;
                let text = if self.muted {
                    "bell muted; m to ring it again"
                } else {
                    "bell on: it rings when a call center enters critical"
                };
                self.say(text, now);
            }
            Action::ToggleAgents => self.toggle_overlay(Overlay::Agents),
            Action::ToggleHistory => self.toggle_overlay(Overlay::History),
            Action::StartFilter => {
                // The prompt takes the message line: an older message would return after it.
                self.message = None;
                self.typing = true;
            }
            Action::Jump(n) => match queues.get(usize::from(n).saturating_sub(1)) {
                Some(queue) => self.selected = Some(queue.id.clone()),
                None => self.say(
                    format!("no call center {n}: there are {}", queues.len()),
                    now,
                ),
            },
            Action::Act { kind, earlier } => {
                return self.begin_action(kind, earlier, queues, now);
            }
            Action::Unbound(code) => {
                self.say(format!("{code}: not a key here; ? lists the keys"), now);
            }
        }
        Outcome::Continue
    }

    /// Esc closes the innermost thing open, and never quits.
    fn back(&mut self, now: Instant) {
        if self.overlay != Overlay::None {
            self.overlay = Overlay::None;
        } else if self.zoomed {
            self.zoomed = false;
        } else if !self.filter.is_empty() {
            self.filter.clear();
            self.say("filter cleared", now);
        } else {
            self.say("Esc closes overlays, the zoom and the filter; q quits", now);
        }
    }

    /// `r` / `R`: with an XSP, a command for the feed; without one (demo, listen-only) a
    /// message saying why nothing happens, where the supervisor looks rather than in the log.
    fn resubscribe(&mut self, all: bool, queues: &[QueueRow], now: Instant) -> Outcome {
        match self.feed_mode {
            FeedMode::Demo => {
                self.say(
                    "demo: no XSP to resubscribe to; the simulator feeds the board",
                    now,
                );
                return Outcome::Continue;
            }
            FeedMode::ListenOnly => {
                self.say(
                    "listen-only: no XSP configured (--xsp-url), nothing to resubscribe",
                    now,
                );
                return Outcome::Continue;
            }
            FeedMode::Replay => {
                self.say(
                    "replay: no XSP to resubscribe to; the journal feeds the board",
                    now,
                );
                return Outcome::Continue;
            }
            FeedMode::Contact | FeedMode::Channel | FeedMode::Attached => {}
        }
        // With no call center known yet (e.g. waiting after a 401), `r` can only mean all.
        let target = if all {
            None
        } else {
            self.selected_index(queues).map(|i| &queues[i])
        };
        // Attached, the receiver answers; its answer (or refusal) replaces this message.
        let asking = if self.feed_mode == FeedMode::Attached {
            "asking the receiver: "
        } else {
            ""
        };
        if let Some(queue) = target {
            self.say(format!("{asking}resubscribing {}", queue.name), now);
            Outcome::Send(FeedCommand::Resubscribe(Some(queue.id.clone())))
        } else {
            self.say(format!("{asking}resubscribing every call center"), now);
            Outcome::Send(FeedCommand::Resubscribe(None))
        }
    }

    fn toggle_overlay(&mut self, overlay: Overlay) {
        self.overlay = if self.overlay == overlay {
            Overlay::None
        } else {
            overlay
        };
    }

    /// Move the selection by `delta`, wrapping around at either end.
    fn step(&mut self, queues: &[QueueRow], delta: isize, now: Instant) {
        let Some(current) = self.selected_index(queues) else {
            self.say("no call center to select", now);
            return;
        };
        if queues.len() == 1 {
            self.say("only one call center on screen", now);
        }
        let next = (current as isize + delta).rem_euclid(queues.len() as isize) as usize;
        self.selected = Some(queues[next].id.clone());
    }
}

/// What orders call centers by severity: the alert level, and within it a queue whose data
/// cannot be trusted first. Nothing that changes every second (a wait) takes part, so panels
/// move only when a level changes.
fn severity_rank(queue: &QueueRow) -> (crate::board::Severity, bool) {
    (queue.stats.alert, queue.truth.stale || queue.truth.unsure)
}

/// Agents in queue lists by their name rather than their user id, and an agent's call centers
/// by the names the board knows them by (an id stays where no name is known).
fn name_agents_and_call_centers(snapshot: &mut BoardSnapshot) {
    let names: HashMap<Arc<str>, Arc<str>> = snapshot
        .queues
        .iter()
        .map(|q| (q.id.clone(), q.name.clone()))
        .collect();
    for agent in &mut snapshot.agents {
        // The screen's copy only (the queue lists share the row until here).
        for center in &mut Arc::make_mut(agent).call_centers {
            if let Some(name) = names.get(center) {
                *center = name.clone();
            }
        }
    }
    let agents: HashMap<Arc<str>, Arc<str>> = snapshot
        .agents
        .iter()
        .map(|a| (a.id.clone(), a.name.clone()))
        .collect();
    for call in snapshot.queues.iter_mut().flat_map(|q| q.calls.iter_mut()) {
        if let Some(id) = &call.agent {
            call.agent = Some(agents.get(id).cloned().unwrap_or_else(|| user_part(id)));
        }
    }
}

/// `kim` of `kim@example.com`: BroadWorks sends agents by user id only.
fn user_part(id: &Arc<str>) -> Arc<str> {
    match id.split_once('@') {
        Some((user, _)) if !user.is_empty() => Arc::from(user),
        _ => id.clone(),
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::board::{QueueTruth, Severity, StatsRow};

    fn queue(name: &str, alert: Severity, longest: u64) -> QueueRow {
        QueueRow {
            id: format!("{name}@x").into(),
            name: name.into(),
            calls: Vec::new(),
            answered: 0,
            abandoned: 0,
            other_departures: 0,
            not_queued: 0,
            counters_since: String::new(),
            longest_wait_secs: longest,
            monitoring: None,
            mode: crate::board::QueueMode::default(),
            last_event_secs_ago: None,
            warn_secs: 60,
            crit_secs: 180,
            stats: StatsRow {
                alert,
                ..StatsRow::default()
            },
            truth: QueueTruth::default(),
            agents: Vec::new(),
        }
    }

    fn order(app: &mut App, queues: Vec<QueueRow>) -> Vec<String> {
        let mut board = BoardSnapshot {
            queues,
            events: crate::board::EventCounters::default(),
            last_event_secs_ago: None,
            sequence: crate::board::SequenceCounters::default(),
            agents: Vec::new(),
            clock_offset_ms: 0,
            taken_at_ms: 0,
            attached: None,
            actions: crate::actions::ActionTallies::default(),
        };
        app.arrange(&mut board);
        board.queues.iter().map(|q| q.name.to_string()).collect()
    }

    #[test]
    fn severity_order_moves_a_panel_only_when_its_level_changes() {
        let mut app = App::new();
        app.apply(Action::CycleSort, &[]);
        assert_eq!(app.sort(), SortOrder::Severity);
        // Ticks: the waits grow at different rates, the levels stay: the order stays.
        for tick in 0..30 {
            let queues = vec![
                queue("Billing", Severity::Warning, 70 + tick),
                queue("Sales", Severity::Normal, 10 + 3 * tick),
                queue("Support", Severity::Warning, 100 - tick),
                queue("VIP", Severity::Critical, 200),
            ];
            assert_eq!(
                order(&mut app, queues),
                ["VIP", "Billing", "Support", "Sales"],
                "tick {tick}"
            );
        }
        // Sales turns critical: it moves up, beside VIP, in name order.
        let queues = vec![
            queue("Billing", Severity::Warning, 99),
            queue("Sales", Severity::Critical, 190),
            queue("Support", Severity::Warning, 71),
            queue("VIP", Severity::Critical, 200),
        ];
        assert_eq!(
            order(&mut app, queues),
            ["Sales", "VIP", "Billing", "Support"]
        );
    }

    #[test]
    fn messages_fade_after_a_few_seconds() {
        let mut app = App::new();
        let at = Instant::now();
        app.apply_at(Action::ToggleMute, &[], at);
        assert!(app.message(at).is_some_and(|m| m.starts_with("bell muted")));
        let almost = at + std::time::Duration::from_millis(MESSAGE_SECS * 1000 - 1);
        assert!(app.message(almost).is_some());
        let gone = at + std::time::Duration::from_secs(MESSAGE_SECS);
        assert_eq!(app.message(gone), None);
    }
}
