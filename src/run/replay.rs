//! `xsi-wallboard replay FILE...`: a journal into a fresh board, shown as usual.
//!
//! ```text
//! replay(): headers checked --> board config (the demo's names, or the configuration
//!           file's) --> Board (started when the recorded one did, clock = the journal's)
//!           --> replay thread (Driver: parse + Applier, paced) + listener (no events taken)
//!           --> the TUI with REPLAY in the header, or headless: serve until quit
//! ```
//!
//! No feed, no subscription, no state file, no alert command (an old day must not page
//! anyone): only the journal changes the board.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use super::{
    EXIT_USAGE, QuitSignals, Running, StartOptions, admission, log_commands_without_feed,
    spawn_listener,
};
use crate::actions::{ActionSettings, Actions};
use crate::app::{FeedMode, HeaderInfo};
use crate::board::{self, Applier, Board, BoardConfig, CallCenterConfig, Thresholds};
use crate::cli::{Cli, ReplayArgs};
use crate::config;
use crate::journal::{self, Header, Speed};
use crate::listener::ListenerState;
use crate::logging;
use crate::tui;

/// What a replay needs besides [`StartOptions`].
#[derive(Debug, Clone)]
pub struct ReplayOptions {
    pub files: Vec<PathBuf>,
    pub speed: Speed,
    /// `--from`, as journal time (epoch ms).
    pub from_ms: Option<i64>,
    /// The first file's header.
    pub header: Header,
}

/// Replay until quit; the exit code says how it ended.
pub fn replay(cli: Cli, args: &ReplayArgs) -> ExitCode {
    let header = match journal::replay::check(&args.files) {
        Ok(header) => header,
        Err(error) => {
            eprintln!("xsi-wallboard: {error}");
            return ExitCode::from(EXIT_USAGE);
        }
    };
    let terminal = std::io::stdin().is_terminal() && std::io::stdout().is_terminal();
    if !args.headless && !terminal {
        eprintln!("xsi-wallboard: not a terminal: use replay --headless");
        return ExitCode::from(EXIT_USAGE);
    }
    let (opts, replay) = match replay_options(&cli, args, header) {
        Ok(options) => options,
        Err(error) => {
            eprintln!("xsi-wallboard: {error:#}");
            return ExitCode::from(EXIT_USAGE);
        }
    };
    let instance = format!("{} (replay)", replay.header.instance);
    let log_path = if args.headless && cli.log_file.is_none() {
        logging::init_stderr(&instance);
        None
    } else {
        let path = cli.log_file.unwrap_or_else(logging::default_log_path);
        match logging::init_file(&path, &instance) {
            Ok(path) => Some(path),
            Err(error) => {
                eprintln!("xsi-wallboard: {error:#}");
                return ExitCode::from(EXIT_USAGE);
            }
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("xsi-wallboard: cannot start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    let code = runtime.block_on(replay_until_quit(opts, replay, args.headless));
    runtime.shutdown_timeout(std::time::Duration::from_secs(1));
    if let Some(path) = log_path {
        eprintln!("xsi-wallboard: log in {}", path.display());
    }
    code
}

/// The board as the recorded one was configured: the demo's names for a demo's journal, else
/// the configuration file's call centers, thresholds and statistics settings (the XSP itself
/// is not needed: nothing is subscribed).
fn replay_options(
    cli: &Cli,
    args: &ReplayArgs,
    header: Header,
) -> anyhow::Result<(StartOptions, ReplayOptions)> {
    let thresholds = cli.thresholds().map_err(|e| anyhow::anyhow!("{e}"))?;
    let mut board = if header.demo {
        demo_board(thresholds)
    } else {
        let (file, _path) = config::load_with_path(&cli.xsp)?;
        config::check_call_centers(file.as_ref(), thresholds)?;
        let mut board = config::board_config(&cli.xsp, file.as_ref(), thresholds);
        board.stats.reset = config::reset_schedule(file.as_ref())?;
        board.stats.history_interval_mins = config::history_interval(file.as_ref())?;
        board
    };
    board.expected.clone_from(&header.expected);
    let from_ms = match args.from {
        Some(hh_mm) => {
            let started = header
                .started
                .parse::<jiff::Timestamp>()
                .context("the journal's header has no start time")?;
            Some(
                journal::replay::from_ms(
                    hh_mm,
                    started.as_millisecond(),
                    &jiff::tz::TimeZone::system(),
                )
                .context("--from: no such time in the journal's day")?,
            )
        }
        None => None,
    };
    let opts = StartOptions {
        // Any free port by default: a replay must not take a live wallboard's.
        listen: args
            .listen
            .unwrap_or_else(|| std::net::SocketAddr::from(([127, 0, 0, 1], 0))),
        board,
        mask_callers: cli.mask_callers,
        ascii: cli.ascii,
        ..StartOptions::default()
    };
    let replay = ReplayOptions {
        files: args.files.clone(),
        speed: args.speed,
        from_ms,
        header,
    };
    Ok((opts, replay))
}

/// The demo's call center names, as the demo's own run has them.
fn demo_board(thresholds: Thresholds) -> BoardConfig {
    let call_centers = crate::sim::call_center_names()
        .map(|(id, name)| {
            let names = CallCenterConfig {
                name: Some(name.to_owned()),
                thresholds: None,
            };
            (id.to_owned(), names)
        })
        .collect();
    BoardConfig {
        thresholds,
        call_centers,
        ..BoardConfig::default()
    }
}

/// Bind, and start the replay and the listener (which takes no events: only the journal
/// writes this board).
pub async fn start_replay(opts: StartOptions, replay: ReplayOptions) -> anyhow::Result<Running> {
    let tcp = tokio::net::TcpListener::bind(opts.listen)
        .await
        .with_context(|| format!("cannot listen on {}", opts.listen))?;
    let addr = tcp.local_addr().context("bound socket has no address")?;
    let board = Arc::new(Board::new(
        opts.board.clone(),
        replay.header.board_started_ms,
    ));
    // Before the first line, the board's clock is the recorded board's start, not today.
    board.set_replay_now(replay.header.board_started_ms);
    // Nothing is ever sent here: the listener refuses events, and the replay applies directly.
    let (events, _unused) = board::channel();
    let cancel = CancellationToken::new();
    let mut tasks = JoinSet::new();
    let (commands, requests) = mpsc::unbounded_channel();
    tasks.spawn(log_commands_without_feed(requests, cancel.clone()));
    let (status, link) = watch::channel(journal::replay::status(&replay.files, replay.speed));
    let driver = journal::Driver {
        applier: Applier::new(Arc::clone(&board)),
        speed: replay.speed,
        from_ms: replay.from_ms,
        status: Some(status),
        cancel: cancel.clone(),
    };
    let files = replay.files;
    tasks.spawn(async move {
        let lines = tokio::task::spawn_blocking(move || driver.run(journal::replay::lines(&files)))
            .await
            .map_err(|error| anyhow::anyhow!("replay failed: {error}"))?;
        // The end of the journal is not the end: the board stays up, as it was then.
        tracing::info!(lines, "journal replayed");
        Ok(())
    });
    let state = ListenerState::new(Arc::clone(&board), events.clone())
        .with_guard(opts.guard.guard.clone())
        .with_limits(opts.guard.limits)
        .mask_callers(opts.mask_callers)
        .accept_events(false)
        .with_feed(link.clone(), commands.clone())
        .with_shutdown(cancel.clone());
    let admission = admission(&opts.guard.guard, false, &board);
    spawn_listener(&mut tasks, tcp, state, admission, &opts, &cancel)?;
    // A replay acts on nothing: the calls it shows are gone.
    let actions = Actions::new(
        ActionSettings::default(),
        None,
        Arc::clone(&board),
        events.clone(),
        "none",
    );
    Ok(Running {
        addr: Some(addr),
        path: opts.path,
        board,
        cancel,
        events,
        link,
        commands,
        feed: None,
        tasks,
        journal: None,
        actions,
    })
}

async fn replay_until_quit(opts: StartOptions, replay: ReplayOptions, headless: bool) -> ExitCode {
    let (mask_callers, ascii) = (opts.mask_callers, opts.ascii);
    let mut signals = match QuitSignals::install() {
        Ok(signals) => signals,
        Err(error) => {
            eprintln!("xsi-wallboard: cannot install signal handlers: {error}");
            return ExitCode::FAILURE;
        }
    };
    let files = replay.files.len();
    let speed = replay.speed.describe();
    let running = match start_replay(opts, replay).await {
        Ok(running) => running,
        Err(error) => {
            tracing::error!(error = format!("{error:#}"), "cannot start");
            eprintln!("xsi-wallboard: {error:#}");
            return ExitCode::from(EXIT_USAGE);
        }
    };
    let url = running
        .addr
        .map(|addr| format!("http://{addr}"))
        .unwrap_or_default();
    tracing::info!(files, %speed, serving = %url, "replaying a journal");
    let cancel = running.cancel.clone();
    tokio::spawn(async move {
        tokio::select! {
            () = cancel.cancelled() => {}
            name = signals.recv(headless, false) => {
                tracing::info!(signal = name, "quitting on a signal");
                cancel.cancel();
            }
        }
    });
    let ui_result = if headless {
        println!("replaying {files} journal file(s) at {speed}; serving on {url}");
        let _ = std::io::stdout().flush();
        running.cancel.cancelled().await;
        Ok(())
    } else {
        let ctx = tui::UiContext {
            source: Arc::clone(&running.board) as Arc<dyn tui::BoardSource>,
            header: HeaderInfo {
                listen: running.addr,
                mode: FeedMode::Replay,
                exposed: false,
            },
            link: running.link(),
            commands: running.commands(),
            mask_callers,
            ascii,
            notices: None,
            actions: None,
        };
        tui::run(ctx, running.cancel.clone()).await
    };
    match ui_result.and(running.shutdown().await) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("xsi-wallboard: {error:#}");
            ExitCode::FAILURE
        }
    }
}
