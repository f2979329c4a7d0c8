//! Terminal lifecycle and the UI loop.
//!
//! One biased `select!` waits on keys, board changes, feed status changes, a one-second tick
//! aligned to the wall clock, and cancellation. Changes mark the screen dirty and frames are
//! coalesced to at most [`MAX_FPS`] a second, so an idle board costs one frame a second.

use std::sync::Arc;
use std::time::Duration;

use crossterm::event::{Event as TermEvent, EventStream};
use futures::{Stream, StreamExt};
use ratatui::backend::Backend;
use ratatui::{DefaultTerminal, Terminal};
use tokio::sync::{mpsc, watch};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use jiff::tz::TimeZone;

use crate::actions::Actor;
use crate::app::{App, ClockZones, HeaderInfo, Outcome, Overlay, View, action_for};
use crate::board::{Board, BoardSnapshot, now_ms};
use crate::status::{FeedCommand, LinkStatus};
use crate::ui::history::Day;
use crate::ui::theme::Theme;

/// Frames per second at most, however fast events arrive.
pub const MAX_FPS: u32 = 20;
const FRAME_INTERVAL: Duration = Duration::from_millis(1000 / MAX_FPS as u64);

/// Where the screen's board comes from: this process's own [`Board`], or a receiver's board
/// mirrored from its stream ([`crate::attach::Mirror`]). The screen cannot tell them apart: it
/// draws from snapshots and wakes on changes either way.
pub trait BoardSource: Send + Sync {
    /// The board at `now_ms` (epoch ms, this host's clock): every timer of a frame from it.
    fn snapshot_at(&self, now_ms: i64) -> BoardSnapshot;
    /// Bumped when the board changed.
    fn changes(&self) -> watch::Receiver<u64>;
    /// The day in intervals, where this source keeps it.
    fn history(&self) -> Option<Day>;
    /// The zone the day's counters reset in (the header shows its clock when it is not the
    /// host's).
    fn reset_zone(&self) -> TimeZone;
}

impl BoardSource for Board {
    /// The board's own clock, not the host's: a replay shows the journal's time.
    fn snapshot_at(&self, _host_now_ms: i64) -> BoardSnapshot {
        self.snapshot(self.now())
    }

    fn changes(&self) -> watch::Receiver<u64> {
        Board::changes(self)
    }

    fn history(&self) -> Option<Day> {
        Some(Day {
            per_call_center: Board::history(self),
            all: self.history_all(),
        })
    }

    fn reset_zone(&self) -> TimeZone {
        Board::reset_zone(self).clone()
    }
}

/// What the UI needs from the rest of the wallboard.
pub struct UiContext {
    /// The board shown: this process's, or a receiver's (`attach`).
    pub source: Arc<dyn BoardSource>,
    pub header: HeaderInfo,
    pub link: watch::Receiver<LinkStatus>,
    pub commands: mpsc::UnboundedSender<FeedCommand>,
    /// `--mask-callers`.
    pub mask_callers: bool,
    /// `--ascii`: ASCII borders whatever the locale says.
    pub ascii: bool,
    /// What the feed answers later, shown on the message line (an attached viewer's `r` that
    /// the receiver refused: "read-only viewer").
    pub notices: Option<mpsc::UnboundedReceiver<String>>,
    /// Where confirmed actions on calls go (`None`: none can be taken, the keys say why).
    pub actions: Option<Actor>,
}

/// Run the wallboard UI until the user quits (which cancels `cancel`) or `cancel` fires.
///
/// The terminal is restored on every way out: return, error, and panic (ratatui's hook restores
/// it before the panic is logged).
pub async fn run(ctx: UiContext, cancel: CancellationToken) -> anyhow::Result<()> {
    install_panic_logger();
    let theme = Theme::from_env();
    let theme = theme.with_ascii(theme.is_ascii() || ctx.ascii);
    let terminal = match ratatui::try_init() {
        Ok(terminal) => terminal,
        Err(err) => {
            // Raw mode may be on already: undo whatever part of the set-up succeeded.
            ratatui::restore();
            return Err(err.into());
        }
    };
    let mut guard = TerminalGuard(terminal);
    let source = ctx.source;
    let reset_zone = source.reset_zone();
    let inputs = LoopInputs {
        keys: EventStream::new(),
        board_version: source.changes(),
        history: Some(Box::new({
            let source = Arc::clone(&source);
            move || source.history()
        })),
        snapshot_at: move |now| source.snapshot_at(now),
        notices: ctx.notices,
        link: ctx.link,
        commands: ctx.commands,
        header: ctx.header,
        bell: ring_terminal_bell,
        mask_callers: ctx.mask_callers,
        clock: ClockZones::new(TimeZone::system(), reset_zone),
        actions: ctx.actions,
    };
    let result = run_loop(&mut guard.0, inputs, theme, &cancel).await;
    drop(guard);
    // Quit, or the UI failed: either way nobody watches the board any more, so stop the
    // listener, the feed (which deletes its subscriptions) and the rest.
    cancel.cancel();
    result
}

/// Restores the terminal when dropped, also on an early `?` return.
struct TerminalGuard(DefaultTerminal);

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        ratatui::restore();
    }
}

/// Log panics through tracing (to the log file); chained before ratatui's hook, which restores
/// the terminal first and then calls this one.
fn install_panic_logger() {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        tracing::error!(panic = %info, "the UI panicked");
        previous(info);
    }));
}

/// What the loop waits on and draws from; a struct so that tests can feed keys and snapshots
/// without a terminal or a filled board.
struct LoopInputs<K, S> {
    keys: K,
    /// Bumped by the applier after each batch.
    board_version: watch::Receiver<u64>,
    /// The board at an instant (epoch ms): every timer of a frame is computed from it.
    snapshot_at: S,
    link: watch::Receiver<LinkStatus>,
    commands: mpsc::UnboundedSender<FeedCommand>,
    header: HeaderInfo,
    /// The day in intervals, read when the history overlay is drawn (`None`: nothing kept).
    history: Option<Box<dyn Fn() -> Option<Day> + Send>>,
    /// Answers that come later than the key that asked (see [`UiContext::notices`]).
    notices: Option<mpsc::UnboundedReceiver<String>>,
    /// Rings when a call center enters critical (the terminal's bell; tests count instead).
    bell: fn(),
    mask_callers: bool,
    /// The zones of the header's clock.
    clock: ClockZones,
    /// Where confirmed actions go; each is sent on its own task, its outcome comes back as a
    /// line for the message line.
    actions: Option<Actor>,
}

/// BEL on the terminal: heard in the room, and harmless where the terminal has no bell.
fn ring_terminal_bell() {
    use std::io::Write as _;
    let mut out = std::io::stdout();
    let _ = out.write_all(b"\x07");
    let _ = out.flush();
}

async fn run_loop<B, K, S>(
    terminal: &mut Terminal<B>,
    mut inputs: LoopInputs<K, S>,
    theme: Theme,
    cancel: &CancellationToken,
) -> anyhow::Result<()>
where
    B: Backend,
    B::Error: Send + Sync + 'static,
    K: Stream<Item = std::io::Result<TermEvent>> + Unpin,
    S: Fn(i64) -> BoardSnapshot,
{
    let mut app = App::new()
        .with_mask_callers(inputs.mask_callers)
        .with_feed_mode(inputs.header.mode)
        .with_clock_zones(inputs.clock.clone())
        .with_action_settings(
            inputs
                .actions
                .as_ref()
                .map(|a| a.settings().clone())
                .unwrap_or_default(),
        );
    let (said, mut answers) = mpsc::unbounded_channel::<String>();
    // A closed watch would wake `changed()` at once forever: stop polling it instead.
    let mut board_open = true;
    let mut link_open = true;
    let mut dirty = true;
    let mut last_frame: Option<Instant> = None;
    let mut alerts = crate::alert::AlertTracker::default();
    let mut snapshot = draw(terminal, &inputs, &mut app, theme, None)?;

    loop {
        if dirty && last_frame.is_none_or(|t| t.elapsed() >= FRAME_INTERVAL) {
            let frozen = app.is_frozen().then_some(snapshot);
            snapshot = draw(terminal, &inputs, &mut app, theme, frozen)?;
            let entered_critical = alerts
                .observe(&snapshot.queues)
                .iter()
                .any(crate::alert::Crossing::entered_critical);
            if entered_critical && !app.is_muted() {
                (inputs.bell)();
            }
            last_frame = Some(Instant::now());
            dirty = false;
        }
        let next_frame = last_frame.map_or_else(Instant::now, |t| t + FRAME_INTERVAL);

        tokio::select! {
            biased;
            event = inputs.keys.next() => match event {
                Some(Ok(TermEvent::Key(key))) if app.has_prompt() => {
                    let outcome = app.prompt_key(key, &snapshot.queues, Instant::now());
                    if handle(outcome, &inputs, &said) {
                        return Ok(());
                    }
                    dirty = true;
                }
                Some(Ok(TermEvent::Key(key))) if app.is_typing() => {
                    app.type_key(key);
                    dirty = true;
                }
                Some(Ok(TermEvent::Key(key))) => {
                    // `action_for` drops releases and repeats.
                    let Some(action) = action_for(key) else { continue };
                    if handle(app.apply(action, &snapshot.queues), &inputs, &said) {
                        return Ok(());
                    }
                    dirty = true;
                }
                Some(Ok(TermEvent::Resize(..))) => dirty = true,
                Some(Ok(_)) => {}
                Some(Err(err)) => return Err(err.into()),
                // stdin closed: nobody can quit with a key any more.
                None => return Ok(()),
            },
            () = cancel.cancelled() => return Ok(()),
            Some(answer) = answers.recv() => {
                app.say(answer, Instant::now());
                dirty = true;
            }
            // Once dirty, the next frame shows every change up to it: not listening until
            // then keeps a busy board (1 000 events/s) from waking this task for each event.
            bumped = inputs.board_version.changed(), if board_open && !dirty => {
                board_open = bumped.is_ok();
                dirty = true;
            }
            notice = next_notice(&mut inputs.notices) => {
                match notice {
                    Some(text) => app.say(text, Instant::now()),
                    None => inputs.notices = None,
                }
                dirty = true;
            }
            updated = inputs.link.changed(), if link_open => {
                link_open = updated.is_ok();
                dirty = true;
            }
            () = tokio::time::sleep_until(next_second()) => dirty = true,
            () = tokio::time::sleep_until(next_frame), if dirty => {}
        }
    }
}

/// The next notice; pending forever once there is none to wait for.
async fn next_notice(notices: &mut Option<mpsc::UnboundedReceiver<String>>) -> Option<String> {
    match notices {
        Some(rx) => rx.recv().await,
        None => std::future::pending().await,
    }
}

/// Do what a key's outcome asks; true to quit.
fn handle<K, S>(
    outcome: Outcome,
    inputs: &LoopInputs<K, S>,
    said: &mpsc::UnboundedSender<String>,
) -> bool {
    match outcome {
        Outcome::Continue => {}
        Outcome::Quit => return true,
        Outcome::Send(command) => {
            if inputs.commands.send(command).is_err() {
                tracing::warn!("no feed listens for UI commands");
            }
        }
        Outcome::Refused(request, refusal) => {
            if let Some(actions) = &inputs.actions {
                actions.refused(&request, refusal);
            }
        }
        Outcome::Act(request) => {
            let Some(actions) = inputs.actions.clone() else {
                let _ = said.send("no way to act from this screen".to_owned());
                return false;
            };
            let said = said.clone();
            // The request takes up to the XSP's timeout: the screen keeps drawing meanwhile.
            tokio::spawn(async move {
                let _ = said.send(actions.act(request).await);
            });
        }
    }
    false
}

/// Take one snapshot at one instant (every timer on screen is computed from it), in the chosen
/// order, and draw it; a frozen screen draws `frozen` again instead.
fn draw<B, K, S>(
    terminal: &mut Terminal<B>,
    inputs: &LoopInputs<K, S>,
    app: &mut App,
    theme: Theme,
    frozen: Option<BoardSnapshot>,
) -> anyhow::Result<BoardSnapshot>
where
    B: Backend,
    B::Error: Send + Sync + 'static,
    S: Fn(i64) -> BoardSnapshot,
{
    let snapshot = frozen.unwrap_or_else(|| {
        let mut snapshot = (inputs.snapshot_at)(now_ms());
        app.arrange(&mut snapshot);
        snapshot
    });
    let link = inputs.link.borrow().clone();
    let day = (app.overlay() == Overlay::History)
        .then(|| inputs.history.as_ref().and_then(|history| history()))
        .flatten();
    let view = View {
        app,
        board: &snapshot,
        link: &link,
        header: &inputs.header,
        theme,
        now: Instant::now(),
        history: day.as_ref(),
    };
    terminal.draw(|frame| crate::ui::render(frame, &view))?;
    Ok(snapshot)
}

/// The next wall-clock second boundary, so the timers turn over when a clock would.
fn next_second() -> Instant {
    let into_second = now_ms().rem_euclid(1000) as u64;
    Instant::now() + Duration::from_millis(1000 - into_second)
}

#[cfg(test)]
mod tests {
    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
    use ratatui::backend::TestBackend;
    use tokio_stream::wrappers::UnboundedReceiverStream;

    use super::*;
    use crate::board::{EventCounters, SequenceCounters};

    type Keys = mpsc::UnboundedSender<std::io::Result<TermEvent>>;

    struct Harness {
        keys: Keys,
        commands: mpsc::UnboundedReceiver<FeedCommand>,
        _board_version: watch::Sender<u64>,
        _link: watch::Sender<LinkStatus>,
    }

    fn empty(now_ms: i64) -> BoardSnapshot {
        BoardSnapshot {
            queues: Vec::new(),
            events: EventCounters::default(),
            last_event_secs_ago: None,
            sequence: SequenceCounters::default(),
            agents: Vec::new(),
            clock_offset_ms: 0,
            taken_at_ms: now_ms,
            attached: None,
            actions: crate::actions::ActionTallies::default(),
        }
    }

    type TestInputs =
        LoopInputs<UnboundedReceiverStream<std::io::Result<TermEvent>>, fn(i64) -> BoardSnapshot>;

    fn inputs() -> (TestInputs, Harness) {
        let (keys, key_stream) = mpsc::unbounded_channel();
        let (commands, command_rx) = mpsc::unbounded_channel();
        let (board_tx, board_version) = watch::channel(0);
        let (link_tx, link) =
            watch::channel(LinkStatus::listen_only("http://127.0.0.1:8765/xsi-events"));
        let inputs = LoopInputs {
            keys: UnboundedReceiverStream::new(key_stream),
            board_version,
            snapshot_at: empty as fn(i64) -> BoardSnapshot,
            history: None,
            notices: None,
            link,
            commands,
            // With an XSP, so that `r`/`R` reach the feed.
            header: HeaderInfo {
                mode: crate::app::FeedMode::Contact,
                ..HeaderInfo::default()
            },
            bell: || {},
            mask_callers: false,
            clock: ClockZones::default(),
            actions: None,
        };
        let harness = Harness {
            keys,
            commands: command_rx,
            _board_version: board_tx,
            _link: link_tx,
        };
        (inputs, harness)
    }

    fn key(c: char) -> TermEvent {
        TermEvent::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE))
    }

    #[tokio::test]
    async fn keys_reach_the_feed_and_q_ends_the_loop() {
        let (inputs, mut harness) = inputs();
        harness.keys.send(Ok(key('R'))).unwrap();
        harness.keys.send(Ok(key('q'))).unwrap();
        let mut terminal = Terminal::new(TestBackend::new(80, 24)).unwrap();
        let cancel = CancellationToken::new();
        run_loop(&mut terminal, inputs, Theme::monochrome(), &cancel)
            .await
            .unwrap();
        assert_eq!(
            harness.commands.try_recv(),
            Ok(FeedCommand::Resubscribe(None))
        );
        let screen = format!("{}", terminal.backend());
        assert!(screen.contains("waiting for events..."), "{screen}");
    }

    #[tokio::test]
    async fn esc_never_ends_the_loop_and_answers_on_screen() {
        let (inputs, harness) = inputs();
        let esc = TermEvent::Key(KeyEvent::new(KeyCode::Esc, KeyModifiers::NONE));
        for _ in 0..3 {
            harness.keys.send(Ok(esc.clone())).unwrap();
        }
        let mut terminal = Terminal::new(TestBackend::new(80, 24)).unwrap();
        let cancel = CancellationToken::new();
        let ran = tokio::time::timeout(
            Duration::from_millis(300),
            run_loop(&mut terminal, inputs, Theme::monochrome(), &cancel),
        )
        .await;
        assert!(ran.is_err(), "the loop ended on Esc: {ran:?}");
        let screen = format!("{}", terminal.backend());
        assert!(screen.contains("Esc closes overlays"), "{screen}");
        drop(harness);
    }

    /// An answer that comes after the key (an attached viewer's `r` refused by the receiver)
    /// reaches the message line through the loop.
    #[tokio::test]
    async fn a_later_notice_shows_on_the_message_line() {
        let (mut inputs, harness) = inputs();
        let (notices, rx) = mpsc::unbounded_channel();
        inputs.notices = Some(rx);
        notices
            .send("read-only viewer: r/R need control scope on the receiver".to_owned())
            .unwrap();
        let mut terminal = Terminal::new(TestBackend::new(80, 24)).unwrap();
        let cancel = CancellationToken::new();
        let ran = tokio::time::timeout(
            Duration::from_millis(300),
            run_loop(&mut terminal, inputs, Theme::monochrome(), &cancel),
        )
        .await;
        assert!(ran.is_err(), "the loop ended: {ran:?}");
        let screen = format!("{}", terminal.backend());
        assert!(screen.contains("read-only viewer"), "{screen}");
        drop((harness, notices));
    }

    #[tokio::test]
    async fn cancellation_from_elsewhere_ends_the_loop() {
        let (inputs, _harness) = inputs();
        let mut terminal = Terminal::new(TestBackend::new(80, 24)).unwrap();
        let cancel = CancellationToken::new();
        cancel.cancel();
        run_loop(&mut terminal, inputs, Theme::monochrome(), &cancel)
            .await
            .unwrap();
    }

    #[tokio::test]
    async fn closed_stdin_ends_the_loop_cleanly_with_the_feed_gone_too() {
        let (inputs, harness) = inputs();
        // Every sender gone: no key can come, and board and feed are closed.
        drop(harness);
        let mut terminal = Terminal::new(TestBackend::new(80, 24)).unwrap();
        let cancel = CancellationToken::new();
        run_loop(&mut terminal, inputs, Theme::monochrome(), &cancel)
            .await
            .unwrap();
    }
}
