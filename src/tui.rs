//! Terminal lifecycle and the UI loop.
//!
//! One biased `select!` waits on keys, board changes, feed status changes, a one-second tick
//! aligned to the wall clock, and cancellation. Changes mark the screen dirty and frames are
//! coalesced to at most [`MAX_FPS`] a second, so an idle board costs one frame a second.

use std::sync::Arc;
use std::time::Duration;

use crossterm::event::{Event as TermEvent, EventStream, KeyEventKind};
use futures::StreamExt;
use ratatui::DefaultTerminal;
use tokio::sync::{mpsc, watch};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::app::{App, HeaderInfo, Outcome, View, action_for};
use crate::board::{Board, BoardSnapshot, now_ms};
use crate::status::{LinkStatus, UiCommand};
use crate::ui::theme::Theme;

/// Frames per second at most, however fast events arrive.
pub const MAX_FPS: u32 = 20;
const FRAME_INTERVAL: Duration = Duration::from_millis(1000 / MAX_FPS as u64);

/// What the UI needs from the rest of the wallboard.
pub struct UiContext {
    pub board: Arc<Board>,
    pub header: HeaderInfo,
    pub link: watch::Receiver<LinkStatus>,
    pub commands: mpsc::UnboundedSender<UiCommand>,
}

/// Run the wallboard UI until the user quits (which cancels `cancel`) or `cancel` fires.
///
/// The terminal is restored on every way out: return, error, and panic (ratatui's hook restores
/// it before the panic is logged).
pub async fn run(ctx: UiContext, cancel: CancellationToken) -> anyhow::Result<()> {
    install_panic_logger();
    let theme = Theme::from_env();
    let terminal = match ratatui::try_init() {
        Ok(terminal) => terminal,
        Err(err) => {
            // Raw mode may be on already: undo whatever part of the set-up succeeded.
            ratatui::restore();
            return Err(err.into());
        }
    };
    let mut guard = TerminalGuard(terminal);
    let result = run_loop(&mut guard.0, ctx, theme, &cancel).await;
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

async fn run_loop(
    terminal: &mut DefaultTerminal,
    mut ctx: UiContext,
    theme: Theme,
    cancel: &CancellationToken,
) -> anyhow::Result<()> {
    let mut app = App::new();
    let mut keys = EventStream::new();
    let mut board_version = ctx.board.changes();
    // A closed watch would wake `changed()` at once forever: stop polling it instead.
    let mut board_open = true;
    let mut link_open = true;
    let mut dirty = true;
    let mut last_frame: Option<Instant> = None;
    let mut snapshot = draw(terminal, &ctx, &app, theme)?;

    loop {
        if dirty && last_frame.is_none_or(|t| t.elapsed() >= FRAME_INTERVAL) {
            snapshot = draw(terminal, &ctx, &app, theme)?;
            last_frame = Some(Instant::now());
            dirty = false;
        }
        let next_frame = last_frame.map_or_else(Instant::now, |t| t + FRAME_INTERVAL);

        tokio::select! {
            biased;
            event = keys.next() => match event {
                Some(Ok(TermEvent::Key(key))) if key.kind == KeyEventKind::Press => {
                    let Some(action) = action_for(key) else { continue };
                    match app.apply(action, &snapshot.queues) {
                        Outcome::Continue => {}
                        Outcome::Quit => return Ok(()),
                        Outcome::Send(command) => {
                            if ctx.commands.send(command).is_err() {
                                tracing::warn!("no feed listens for UI commands");
                            }
                        }
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
            bumped = board_version.changed(), if board_open => {
                board_open = bumped.is_ok();
                dirty = true;
            }
            updated = ctx.link.changed(), if link_open => {
                link_open = updated.is_ok();
                dirty = true;
            }
            () = tokio::time::sleep_until(next_second()) => dirty = true,
            () = tokio::time::sleep_until(next_frame), if dirty => {}
        }
    }
}

/// Take one snapshot at one instant (every timer on screen is computed from it) and draw it.
fn draw(
    terminal: &mut DefaultTerminal,
    ctx: &UiContext,
    app: &App,
    theme: Theme,
) -> anyhow::Result<BoardSnapshot> {
    let snapshot = ctx.board.snapshot(now_ms());
    let link = ctx.link.borrow().clone();
    let view = View {
        app,
        board: &snapshot,
        link: &link,
        header: &ctx.header,
        theme,
    };
    terminal.draw(|frame| crate::ui::render(frame, &view))?;
    Ok(snapshot)
}

/// The next wall-clock second boundary, so the timers turn over when a clock would.
fn next_second() -> Instant {
    let into_second = now_ms().rem_euclid(1000) as u64;
    Instant::now() + Duration::from_millis(1000 - into_second)
}
