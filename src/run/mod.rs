//! Wiring: listener, applier, simulator and UI under one cancellation token.
//!
//! ```text
//! start():  bind (unless --no-listen) --> Board (counters restored) + channel --> spawn
//!           applier, feed (subscriber or event channel, see `feed`), guarded server,
//!           (demo) simulator, and the tasks of `tasks` (alerts, counter saves, `r` without
//!           a feed) --> Running
//! run():    config, logging, runtime, start(), then the TUI or (headless) a wait for
//!           SIGINT/SIGTERM, then Running::shutdown(): subscriptions deleted first (the
//!           listener still up), then cancel and join with a bound
//! ```

use std::io::{IsTerminal, Write};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use crate::actions::{ActionSettings, ActionSink, Actions, LocalSink};
use crate::app::{FeedMode, HeaderInfo};
use crate::board::{
    self, Applier, Board, BoardConfig, CallCenterConfig, Input, Thresholds, persist,
};
use crate::channel;
use crate::cli::{Cli, DEFAULT_EVENT_PATH};
use crate::config::{self, FileConfig, Mode, XspSettings};
use crate::guard::{self, GuardSettings};
use crate::intake::Intake;
use crate::listener::{self, ListenerState};
use crate::logging;
use crate::sim;
use crate::status::{DemoStatus, FeedCommand, FeedSource, Health, LinkStatus};
use crate::subscribe::{self, XspClient, XspError};
use crate::tui;
use crate::viewer::{self, BoundSocket, ViewerSocket};

mod feed;
mod replay;
mod tasks;

pub use replay::replay;

use feed::Feed;
use tasks::{log_commands_without_feed, restore_counters, save_counters, watch_alerts};

/// How long shutdown waits for the tasks before it aborts them.
const SHUTDOWN_BOUND: Duration = Duration::from_secs(5);

/// Exit code for a setup the user must fix (bad flags, address in use, unwritable log).
const EXIT_USAGE: u8 = 2;

/// The demo XSP's settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Demo {
    /// `None`: a fresh seed each run.
    pub seed: Option<u64>,
}

/// Everything [`start`] needs; `Default` is the CLI's defaults.
#[derive(Clone)]
#[expect(
    clippy::struct_excessive_bools,
    reason = "switches of the command line, each its own flag"
)]
pub struct StartOptions {
    pub listen: SocketAddr,
    /// The event path; must pass [`listener::check_path`].
    pub path: String,
    pub board: BoardConfig,
    pub demo: Option<Demo>,
    /// The XSP to subscribe to; `None`: listen-only (or demo).
    pub xsp: Option<XspSettings>,
    /// Open no socket at all (event channel mode only: nothing needs to reach this host).
    pub no_listen: bool,
    /// Serve the wall-TV page at `/wall`.
    pub web: bool,
    /// Run through the shell when a call center crosses into warning or critical.
    pub alert_command: Option<String>,
    /// Where the day's counters are kept across a restart (with an XSP only).
    pub state_file: Option<StateFile>,
    /// The listener's defences: listen token, `allow_from`, readers, TLS, read timeouts,
    /// connection cap.
    pub guard: GuardSettings,
    /// `--mask-callers`: every caller masked in `/api/board` too, not only on the screen.
    pub mask_callers: bool,
    /// `--ascii`: ASCII borders on screen whatever the locale.
    pub ascii: bool,
    /// `--record DIR`: the event journal.
    pub record: Option<RecordOptions>,
    /// The viewers' Unix socket (read and control routes); `None`: none.
    pub viewer_socket: Option<ViewerSocket>,
    /// `--allow-actions` and the transfer destinations (issue 18).
    pub actions: ActionSettings,
}

/// Where and how much the event journal records (`--record`, `record_max_mb`).
#[derive(Debug, Clone)]
pub struct RecordOptions {
    pub dir: PathBuf,
    pub max_mb: u64,
    /// What its files' headers name.
    pub instance: String,
}

/// The counters' state file and whose counters it holds.
#[derive(Debug, Clone)]
pub struct StateFile {
    pub path: std::path::PathBuf,
    /// The XSP and targets: counters of another setup are never restored.
    pub key: String,
}

impl Default for StartOptions {
    fn default() -> Self {
        StartOptions {
            listen: SocketAddr::from(([127, 0, 0, 1], 8765)),
            path: DEFAULT_EVENT_PATH.to_owned(),
            board: BoardConfig::default(),
            demo: None,
            xsp: None,
            no_listen: false,
            web: false,
            alert_command: None,
            state_file: None,
            guard: GuardSettings::default(),
            mask_callers: false,
            ascii: false,
            record: None,
            viewer_socket: None,
            actions: ActionSettings::default(),
        }
    }
}

/// A started wallboard core: listener, applier and (demo) simulator running.
#[derive(Debug)]
pub struct Running {
    /// The bound address (the real port when asked for port 0); `None` with `no_listen`.
    pub addr: Option<SocketAddr>,
    pub path: String,
    pub board: Arc<Board>,
    /// Cancelling it stops everything; [`Running::shutdown`] then joins.
    pub cancel: CancellationToken,
    events: mpsc::Sender<Input>,
    link: watch::Receiver<LinkStatus>,
    commands: mpsc::UnboundedSender<FeedCommand>,
    feed: Option<Feed>,
    tasks: JoinSet<anyhow::Result<()>>,
    /// The event journal's writer, finished after the applier stops.
    journal: Option<crate::journal::Journal>,
    actions: Actions,
}

impl Running {
    /// Where the XSP (or the simulator, or a test) POSTs events; `None` without a listener.
    pub fn event_url(&self) -> Option<String> {
        self.addr.map(|addr| format!("http://{addr}{}", self.path))
    }

    /// The feed's health as the UI shows it.
    pub fn link(&self) -> watch::Receiver<LinkStatus> {
        self.link.clone()
    }

    /// Where the UI sends `r`/`R` (to the feed; logged when there is no XSP).
    pub fn commands(&self) -> mpsc::UnboundedSender<FeedCommand> {
        self.commands.clone()
    }

    /// Whether an XSP feed runs (contact or channel mode) rather than listen-only or demo.
    pub fn subscribes(&self) -> bool {
        self.feed.is_some()
    }

    /// Whether the events come down an event channel rather than to the listener.
    pub fn channel_mode(&self) -> bool {
        matches!(self.feed, Some(Feed::Channel(_)))
    }

    /// Where the screen's confirmed actions on calls go (the listener's `/api/actions` too).
    pub fn actions(&self) -> Actions {
        self.actions.clone()
    }

    /// The way in to the applier for paths other than the listener (tests).
    pub fn events(&self) -> mpsc::Sender<Input> {
        self.events.clone()
    }

    /// Cancel and wait for every task, at most [`SHUTDOWN_BOUND`]; the server's error, if it
    /// stopped on its own.
    pub async fn shutdown(mut self) -> anyhow::Result<()> {
        // Delete the subscriptions while the listener still answers: an XSP that keeps
        // posting until its DELETE is done must not meet a closed port and count failures.
        if let Some(feed) = self.feed.take() {
            feed.shutdown().await;
        }
        self.cancel.cancel();
        let mut first_error = None;
        let joined = tokio::time::timeout(SHUTDOWN_BOUND, async {
            while let Some(joined) = self.tasks.join_next().await {
                match joined {
                    Ok(Ok(())) => {}
                    Ok(Err(error)) => {
                        first_error.get_or_insert(error);
                    }
                    Err(join_error) => {
                        first_error.get_or_insert(anyhow::anyhow!("task failed: {join_error}"));
                    }
                }
            }
        })
        .await;
        if joined.is_err() {
            tracing::warn!(
                left = self.tasks.len(),
                "shutdown bound reached; aborting the rest"
            );
            self.tasks.abort_all();
        }
        if let Some(journal) = self.journal.take() {
            // The applier is gone, and its recorder with it: the writer ends its file.
            let finished = tokio::task::spawn_blocking(move || journal.finish());
            if tokio::time::timeout(SHUTDOWN_BOUND, finished)
                .await
                .is_err()
            {
                tracing::warn!("the journal's last lines were not written in time");
            }
        }
        first_error.map_or(Ok(()), Err)
    }
}

/// Bind the listener and spawn the applier, the server and (demo) the simulator.
/// The listener's socket, unless `--no-listen` (which only channel mode can do without).
async fn bind_listener(
    opts: &StartOptions,
    channel_mode: bool,
) -> anyhow::Result<Option<tokio::net::TcpListener>> {
    if opts.no_listen && !channel_mode {
        anyhow::bail!(
            "--no-listen needs --mode channel: otherwise nothing could deliver events here"
        );
    }
    if opts.no_listen {
        return Ok(None);
    }
    tokio::net::TcpListener::bind(opts.listen)
        .await
        .with_context(|| format!("cannot listen on {}", opts.listen))
        .map(Some)
}

pub async fn start(opts: StartOptions) -> anyhow::Result<Running> {
    listener::check_path(&opts.path).map_err(anyhow::Error::msg)?;
    let channel_mode = opts.xsp.as_ref().is_some_and(|x| x.mode == Mode::Channel);
    let tcp = bind_listener(&opts, channel_mode).await?;
    let addr = tcp
        .as_ref()
        .map(tokio::net::TcpListener::local_addr)
        .transpose()
        .context("bound socket has no address")?;
    let viewer_socket = bind_viewer_socket(opts.viewer_socket.as_ref())?;
    let socket_door = viewer_socket
        .as_ref()
        .and(opts.viewer_socket.as_ref())
        .map(ViewerSocket::describe);

    let board = new_board(&opts);
    let (journal, recorder) = start_journal(&opts, &board)?.unzip();
    // The channel's depth and the handlers' wait for room in it are the house's fixed figures
    // (`board::CHANNEL_CAPACITY`, `intake::DEFAULT_SEND_TIMEOUT`), not options: a test that
    // needs a full channel builds its own intake with `with_send_timeout`.
    let (events, rx) = board::channel();
    let cancel = CancellationToken::new();
    let mut tasks = JoinSet::new();
    // The feed first: the applier sends it repairs and terminations.
    let feed = opts.xsp.clone().map(|settings| match settings.mode {
        Mode::Contact => Feed::Contact(subscribe::spawn(settings, events.clone(), cancel.clone())),
        Mode::Channel => Feed::Channel(channel::spawn(
            settings,
            Intake::new(Arc::clone(&board), events.clone()).from_channel(),
            cancel.clone(),
        )),
    });
    let commands = spawn_applier(&mut tasks, &board, rx, feed.as_ref(), recorder, &cancel);
    let (actions, demo_actions) = actions_for(&opts, &board, &events).await?;
    // The demo starts before the listener is served: it waits for it to answer.
    let link = match &feed {
        Some(feed) => feed.status(),
        None => spawn_demo_or_listen_only(&mut tasks, &opts, addr, demo_actions, &cancel),
    };
    // One state for the TCP listener and the viewer socket: one board stream for both.
    let state = ListenerState::new(Arc::clone(&board), events.clone())
        .with_guard(opts.guard.guard.clone())
        .with_limits(opts.guard.limits)
        .with_tls(opts.guard.tls.is_some())
        .mask_callers(opts.mask_callers)
        // No XSP posts here in channel mode; a POST would be a stranger's.
        .accept_events(!channel_mode)
        .with_web(opts.web)
        .with_feed(link.clone(), commands.clone())
        .with_actions(actions.clone())
        .with_shutdown(cancel.clone());
    if let Some(socket) = viewer_socket {
        spawn_viewer_socket(&mut tasks, socket, state.clone(), &opts, &cancel);
    }
    if let Some(tcp) = tcp {
        let admission = admission(&opts.guard.guard, !channel_mode, &board);
        spawn_listener(&mut tasks, tcp, state, admission, &opts, &cancel)?;
    }
    log_doors(&opts, addr, channel_mode, socket_door);
    if let Some(state) = opts.state_file {
        tasks.spawn(save_counters(Arc::clone(&board), state, cancel.clone()));
    }
    tasks.spawn(watch_alerts(
        Arc::clone(&board),
        opts.alert_command,
        cancel.clone(),
    ));
    if let Some(xsp) = &opts.xsp
        && let Some(warning) = config::insecure_xsp_warning(&xsp.xsp_url)
    {
        tracing::warn!("{warning}");
    }
    Ok(Running {
        addr,
        path: opts.path,
        board,
        cancel,
        events,
        link,
        commands,
        feed,
        tasks,
        journal,
        actions,
    })
}

/// With `--record`: the event journal's writer, its first file open (a directory it cannot
/// write is said at start, not as drops all day), and the applier's end of it.
fn start_journal(
    opts: &StartOptions,
    board: &Arc<Board>,
) -> anyhow::Result<Option<(crate::journal::Journal, crate::journal::Recorder)>> {
    let Some(record) = &opts.record else {
        return Ok(None);
    };
    let mut settings = crate::journal::Settings::new(record.dir.clone(), record.max_mb);
    settings.instance.clone_from(&record.instance);
    settings.board_started_ms = board.started_ms();
    settings.expected.clone_from(&board.config.expected);
    settings.demo = opts.demo.is_some();
    let started = crate::journal::Journal::start(settings, Arc::clone(&board.journal))
        .with_context(|| format!("cannot record in {}", record.dir.display()))?;
    tracing::info!(dir = %record.dir.display(), max_mb = record.max_mb, "recording the event journal");
    Ok(Some(started))
}

/// Every open door, each start: who may post events, who may read callers' data, who may
/// act on the feed, and who may attach on the viewer socket.
fn log_doors(
    opts: &StartOptions,
    addr: Option<SocketAddr>,
    channel_mode: bool,
    socket_door: Option<String>,
) {
    if let Some(addr) = addr {
        tracing::info!(%addr, path = %opts.path, "listening");
        let guard = &opts.guard.guard;
        tracing::info!(send = %guard.senders(!channel_mode), "who may post events");
        tracing::info!(read = %guard.read.describe(), "who may read the board (/api/board)");
        tracing::info!(control = %guard.controllers(), "who may control (/api/resubscribe)");
        tracing::info!("who may ask /healthz: every peer let in (a sender or a reader)");
    } else {
        tracing::info!("no listener (--no-listen): events come down the event channel");
    }
    if let Some(door) = socket_door {
        tracing::info!(socket = %door, "who may attach: the viewer socket's owner or group");
    }
}

/// Bind the viewer socket. A socket the operator named must be had (its failure stops the
/// start); the default one is a convenience: without it (another receiver of the same
/// instance answers there) the wallboard runs and says why.
fn bind_viewer_socket(socket: Option<&ViewerSocket>) -> anyhow::Result<Option<BoundSocket>> {
    let Some(socket) = socket else {
        return Ok(None);
    };
    match socket.bind() {
        Ok(bound) => Ok(Some(bound)),
        Err(error) if !socket.shared => {
            tracing::warn!(error = format!("{error:#}"), "no viewer socket");
            Ok(None)
        }
        Err(error) => Err(error),
    }
}

/// Serve the viewer socket until cancelled (then its file is removed).
fn spawn_viewer_socket(
    tasks: &mut JoinSet<anyhow::Result<()>>,
    socket: BoundSocket,
    state: ListenerState,
    opts: &StartOptions,
    cancel: &CancellationToken,
) {
    let read_only = opts.viewer_socket.as_ref().is_some_and(|s| s.read_only);
    let router = listener::viewer_router(state);
    let limits = opts.guard.limits;
    let cancel = cancel.clone();
    tasks.spawn(async move {
        socket
            .serve(router, limits, read_only, cancel)
            .await
            .context("viewer socket failed")
    });
}

/// The one way actions on calls are taken: to the XSP with the subscriber's account and TLS
/// settings, to the demo XSP's Xsi-Actions, or (listen-only) nowhere, each refusal said. The
/// demo's Xsi-Actions port is bound here (returned for the simulator to serve), so that the
/// sink knows its address before the demo starts.
async fn actions_for(
    opts: &StartOptions,
    board: &Arc<Board>,
    events: &mpsc::Sender<Input>,
) -> anyhow::Result<(Actions, Option<tokio::net::TcpListener>)> {
    let demo = match opts.demo {
        Some(_) => Some(
            tokio::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
                .await
                .context("demo: cannot bind its Xsi-Actions")?,
        ),
        None => None,
    };
    let client = if let Some(xsp) = &opts.xsp {
        XspClient::new(xsp).map(|c| c.with_clock(Some(events.clone())))
    } else if let Some(addr) = demo.as_ref().and_then(|d| d.local_addr().ok()) {
        reqwest::Url::parse(&format!("http://{addr}/"))
            .map_err(|e| XspError::Protocol(e.to_string()))
            .and_then(XspClient::demo)
    } else {
        Err(XspError::Protocol("listen-only".into()))
    };
    let (sink, account): (Option<Arc<dyn ActionSink>>, String) = match client {
        Ok(client) => {
            let account = client.user().to_owned();
            (Some(Arc::new(LocalSink::new(client))), account)
        }
        Err(error) => {
            if opts.xsp.is_some() {
                tracing::warn!(%error, "no client for actions on calls");
            }
            (None, "none".to_owned())
        }
    };
    if opts.actions.allowed && opts.demo.is_none() {
        tracing::warn!(
            account = %account,
            "actions on calls allowed (--allow-actions): this wallboard may promote, move, \
             transfer and release calls"
        );
    }
    let actions = Actions::new(
        opts.actions.clone(),
        sink,
        Arc::clone(board),
        events.clone(),
        account,
    )
    .with_mask_callers(opts.mask_callers);
    Ok((actions, demo))
}

/// The board, with the call centers the subscriber will subscribe already on it (STALE until
/// proved: never a calm, empty board) and today's counters back from the state file.
fn new_board(opts: &StartOptions) -> Arc<Board> {
    let mut config = opts.board.clone();
    if let Some(xsp) = &opts.xsp {
        config.expected = xsp.targets.call_centers();
    }
    let board = Arc::new(Board::new(config, board::now_ms()));
    if let Some(state) = &opts.state_file {
        restore_counters(&board, state);
    }
    board
}

/// Spawn the board's one writer; where the UI's `r` / `R` go (the feed, or a log line when
/// there is none).
fn spawn_applier(
    tasks: &mut JoinSet<anyhow::Result<()>>,
    board: &Arc<Board>,
    inputs: mpsc::Receiver<Input>,
    feed: Option<&Feed>,
    journal: Option<crate::journal::Recorder>,
    cancel: &CancellationToken,
) -> mpsc::UnboundedSender<FeedCommand> {
    let mut applier = Applier::new(Arc::clone(board));
    if let Some(journal) = journal {
        applier = applier.with_journal(journal);
    }
    let commands = if let Some(feed) = feed {
        applier = applier.with_commands(feed.control());
        feed.control()
    } else {
        // Nothing to resubscribe: the log says so when `r` is pressed.
        let (commands, requests) = mpsc::unbounded_channel();
        tasks.spawn(log_commands_without_feed(requests, cancel.clone()));
        commands
    };
    let applier = tokio::spawn(board::run_applier(inputs, applier, cancel.clone()));
    let applier_cancel = cancel.clone();
    tasks.spawn(async move {
        let stopped = applier.await;
        // A board that no longer changes would be a lie on the wall: stop everything.
        applier_cancel.cancel();
        stopped.map_err(|error| anyhow::anyhow!("board applier failed: {error}"))
    });
    commands
}

/// The accept loop's rule: peers that may neither send nor read are closed at once, counted
/// as refused (logged at debug only: a flood of them must not flood the log).
fn admission(guard: &guard::Guard, takes_events: bool, board: &Arc<Board>) -> guard::Admission {
    let guard = guard.clone();
    let board = Arc::clone(board);
    guard::Admission::new(move |ip| {
        let admitted = guard.admits(ip, takes_events);
        if !admitted {
            board
                .intake
                .refused
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            tracing::debug!(peer = %ip, "connection refused: may neither send nor read");
        }
        admitted
    })
}

/// Serve the listener (TLS when configured) until cancelled; its failure stops the wallboard.
fn spawn_listener(
    tasks: &mut JoinSet<anyhow::Result<()>>,
    tcp: tokio::net::TcpListener,
    state: ListenerState,
    admission: guard::Admission,
    opts: &StartOptions,
    cancel: &CancellationToken,
) -> anyhow::Result<()> {
    let app = listener::router(state, &opts.path);
    let tls = match &opts.guard.tls {
        Some(files) => {
            let reloader = guard::CertReloader::new(files.clone())?;
            let config = reloader.server_config()?;
            reloader.reload_on_sighup(cancel.clone());
            Some(config)
        }
        None => None,
    };
    let limits = opts.guard.limits;
    let server_cancel = cancel.clone();
    tasks.spawn(async move {
        let served =
            guard::serve_admitting(tcp, app, tls, limits, admission, server_cancel.clone()).await;
        if let Err(error) = &served {
            // Without the listener nothing reaches the board: stop the whole wallboard.
            tracing::error!(%error, "listener failed");
            server_cancel.cancel();
        }
        served.context("listener failed")
    });
    Ok(())
}

/// Without an XSP: the demo simulator (posting to our own listener), or listen-only. The feed's
/// health as the UI shows it.
fn spawn_demo_or_listen_only(
    tasks: &mut JoinSet<anyhow::Result<()>>,
    opts: &StartOptions,
    addr: Option<SocketAddr>,
    actions: Option<tokio::net::TcpListener>,
    cancel: &CancellationToken,
) -> watch::Receiver<LinkStatus> {
    let running_url = addr.map_or_else(
        || "nowhere (no listener)".to_owned(),
        |addr| format!("http://{addr}{}", opts.path),
    );
    let Some(demo) = opts.demo else {
        return watch::channel(LinkStatus::listen_only(running_url)).1;
    };
    // Bound to every interface: the simulator still talks to this host over loopback.
    let own_url = match addr {
        Some(addr) if addr.ip().is_unspecified() => {
            let loopback = match addr {
                SocketAddr::V4(_) => IpAddr::V4(Ipv4Addr::LOCALHOST),
                SocketAddr::V6(_) => IpAddr::V6(Ipv6Addr::LOCALHOST),
            };
            format!(
                "http://{}{}",
                SocketAddr::new(loopback, addr.port()),
                opts.path
            )
        }
        _ => running_url,
    };
    let (demo_link, link) = watch::channel(LinkStatus {
        health: Health::Ok,
        source: FeedSource::Demo(DemoStatus::default()),
    });
    let sim = sim::SimOptions {
        url: own_url,
        seed: demo.seed,
        status: Some(demo_link),
        actions,
    };
    let sim_cancel = cancel.clone();
    tasks.spawn(async move {
        // The demo failing is not the wallboard failing: say so and keep the board up.
        if let Err(error) = sim::run(sim, sim_cancel).await {
            tracing::error!(error = format!("{error:#}"), "demo simulator stopped");
        }
        Ok(())
    });
    link
}

/// Run the wallboard until quit; the exit code says how it ended.
pub fn run(cli: Cli) -> ExitCode {
    // Before logging starts: a configuration mistake is said on the terminal, plainly.
    let (cli, file) = match with_config_file(cli) {
        Ok(loaded) => loaded,
        Err(error) => {
            eprintln!("xsi-wallboard: {error:#}");
            return ExitCode::from(EXIT_USAGE);
        }
    };
    // The screen needs a terminal both ways; without one (a pipe, cron, a service) say what to
    // do instead, before anything could write an escape sequence.
    let terminal = std::io::stdin().is_terminal() && std::io::stdout().is_terminal();
    if !cli.headless && !terminal {
        eprintln!("xsi-wallboard: not a terminal: use --headless");
        return ExitCode::from(EXIT_USAGE);
    }
    let thresholds = match cli.thresholds() {
        Ok(thresholds) => thresholds,
        Err(usage) => {
            let _ = usage.print();
            return ExitCode::from(EXIT_USAGE);
        }
    };
    let (opts, launch) = match start_options(&cli, thresholds, file) {
        Ok(started) => started,
        Err(error) => {
            eprintln!("xsi-wallboard: {error:#}");
            return ExitCode::from(EXIT_USAGE);
        }
    };
    private_state_dir();
    let log_path = if cli.headless && cli.log_file.is_none() {
        logging::init_stderr(&launch.instance);
        None
    } else {
        let path = cli.log_file.unwrap_or_else(logging::default_log_path);
        match logging::init_file(&path, &launch.instance) {
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
    let code = runtime.block_on(serve_until_quit(opts, &launch, cli.headless));
    // Tasks that ignored the shutdown bound must not keep the process alive.
    runtime.shutdown_timeout(Duration::from_secs(1));
    if let Some(path) = log_path {
        eprintln!("xsi-wallboard: log in {}", path.display());
    }
    code
}

/// The wallboard's own state directory (the log and the counters by default) is its owner's
/// alone: made 0700, and brought back to 0700 if an earlier version made it 0755. Only a
/// directory of our own name: the fallback (the temp directory) is never touched. Failures
/// are the log's and the state file's to report when they write.
fn private_state_dir() {
    let dir = logging::state_dir();
    if dir.file_name().is_none_or(|name| name != "xsi-wallboard") {
        return;
    }
    let _ = persist::private_dir(&dir);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let _ = std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700));
    }
}

/// What the flags and the configuration file ask for. The demo reads no configuration file:
/// it must run the same on every machine, and it talks to no real XSP.
fn start_options(
    cli: &Cli,
    thresholds: Thresholds,
    file: Option<(FileConfig, PathBuf)>,
) -> anyhow::Result<(StartOptions, Launch)> {
    let demo = cli.demo.then_some(Demo { seed: cli.seed });
    // The viewer socket's keys, read after the instance name is known.
    let file_config = file.as_ref().map(|(file, _)| file.clone());
    // The demo's listener takes only the simulator's loopback POSTs: no token, no TLS.
    let mut launch = Launch {
        instance: cli
            .xsp
            .instance
            .clone()
            .unwrap_or_else(|| if cli.demo { "demo" } else { "default" }.to_owned()),
        config: None,
        note: None,
    };
    // The file's `record_max_mb` now (the file is taken apart below); its instance later.
    let record = record_options(cli, file.as_ref())?;
    let (board, xsp, alert_command, guard, actions) = if demo.is_some() {
        let (board, actions) = demo_setup(thresholds);
        (board, None, None, GuardSettings::default(), actions)
    } else {
        let (file, config_path) =
            file.map_or((None, None), |(file, path)| (Some(file), Some(path)));
        config::check_call_centers(file.as_ref(), thresholds)?;
        if cli.xsp.instance.is_none()
            && let Some(instance) = file.as_ref().and_then(|f| f.instance.clone())
        {
            launch.instance = instance;
        }
        launch.config = config_path;
        let mut board = config::board_config(&cli.xsp, file.as_ref(), thresholds);
        board.stats.reset = config::reset_schedule(file.as_ref())?;
        board.stats.history_interval_mins = config::history_interval(file.as_ref())?;
        let alert_command = file.as_ref().and_then(|f| f.alert_command.clone());
        let guard = GuardSettings::resolve(&cli.xsp, file.as_ref())?;
        let actions = config::action_settings(cli.allow_actions, file.as_ref())
            .map_err(anyhow::Error::msg)?;
        (
            board,
            config::resolve(&cli.xsp, file)?,
            alert_command,
            guard,
            actions,
        )
    };
    // Counters survive a restart only against a real XSP: the demo and listen-only mode have
    // no stable identity to key them by.
    let state_file = xsp.as_ref().map(|xsp| {
        let key = format!("{} {:?}", xsp.xsp_url, xsp.targets);
        StateFile {
            path: cli
                .state_file
                .clone()
                .unwrap_or_else(|| persist::default_path(&key)),
            key,
        }
    });
    // The path the XSP was told to POST to is the path we serve, unless --path says otherwise.
    let path = cli
        .path
        .clone()
        .or_else(|| xsp.as_ref().and_then(XspSettings::contact_path))
        .unwrap_or_else(|| DEFAULT_EVENT_PATH.to_owned());
    listener::check_path(&path)
        .map_err(|reason| anyhow::anyhow!("the contact URL's path {path:?}: {reason}"))?;
    // Only now: the listener's path is the contact URL's without the token.
    let xsp = xsp.map(|xsp| xsp.with_listen_token(guard.guard.token.as_ref()));
    let viewer_socket = viewer_socket(cli, file_config.as_ref(), &mut launch)?;
    let opts = StartOptions {
        listen: cli.listen_addr(),
        path,
        board,
        demo,
        xsp,
        no_listen: cli.no_listen,
        web: cli.web,
        alert_command,
        state_file,
        guard,
        mask_callers: cli.mask_callers,
        ascii: cli.ascii,
        record: record.map(|record| RecordOptions {
            instance: launch.instance.clone(),
            ..record
        }),
        viewer_socket,
        actions,
    };
    Ok((opts, launch))
}

/// `--record DIR` (or `record`) with `record_max_mb` from the file.
fn record_options(
    cli: &Cli,
    file: Option<&(FileConfig, PathBuf)>,
) -> anyhow::Result<Option<RecordOptions>> {
    let max_mb = file
        .and_then(|(file, _)| file.record_max_mb)
        .unwrap_or(crate::journal::DEFAULT_MAX_MB);
    if max_mb == 0 {
        anyhow::bail!("record_max_mb must be at least 1");
    }
    Ok(cli.record.clone().map(|dir| RecordOptions {
        dir,
        max_mb,
        instance: String::new(),
    }))
}

/// The viewer socket the flags and the file ask for, once the instance is known; why there is
/// none goes to the start line (logging has not started yet).
fn viewer_socket(
    cli: &Cli,
    file: Option<&FileConfig>,
    launch: &mut Launch,
) -> anyhow::Result<Option<ViewerSocket>> {
    let socket =
        ViewerSocket::resolve(cli.viewer_socket.clone(), file, &launch.instance, cli.demo)?;
    if socket.is_none() && !cli.demo {
        launch.note = Some(viewer::NO_RUNTIME_DIR);
    }
    Ok(socket)
}

/// The demo's board and actions: the simulator's own names, as a configuration file would give
/// a real XSP's, and every action allowed on its own XSP (its destinations its call centers).
fn demo_setup(thresholds: Thresholds) -> (BoardConfig, ActionSettings) {
    let call_centers = sim::call_center_names()
        .map(|(id, name)| {
            let names = CallCenterConfig {
                name: Some(name.to_owned()),
                thresholds: None,
            };
            (id.to_owned(), names)
        })
        .collect();
    let board = BoardConfig {
        thresholds,
        call_centers,
        ..BoardConfig::default()
    };
    let actions = ActionSettings {
        allowed: true,
        destinations: sim::transfer_destinations().into(),
        allow_any_transfer_number: false,
    };
    (board, actions)
}

fn feed_mode(opts: &StartOptions) -> FeedMode {
    if opts.demo.is_some() {
        FeedMode::Demo
    } else if let Some(xsp) = &opts.xsp {
        match xsp.mode {
            Mode::Contact => FeedMode::Contact,
            Mode::Channel => FeedMode::Channel,
        }
    } else {
        FeedMode::ListenOnly
    }
}

/// The start line: enough to tell, in a shared log, which wallboard this is and what it opened.
fn log_start(launch: &Launch, mode: FeedMode, running: &Running) {
    tracing::info!(
        version = %env!("CARGO_PKG_VERSION"),
        pid = std::process::id(),
        mode = %mode.as_str(),
        instance = %launch.instance,
        config = %launch
            .config
            .as_ref()
            .map_or_else(|| "none".to_owned(), |p| p.display().to_string()),
        listen = %running
            .event_url()
            .unwrap_or_else(|| "none (--no-listen)".to_owned()),
        "started"
    );
    if let Some(note) = launch.note {
        tracing::info!("{note}");
    }
}

/// The flags over the configuration file, and the file with its path. The demo reads none: it
/// must run the same on every machine.
fn with_config_file(cli: Cli) -> anyhow::Result<(Cli, Option<(FileConfig, PathBuf)>)> {
    if cli.demo {
        return Ok((cli, None));
    }
    let (Some(file), Some(path)) = config::load_with_path(&cli.xsp)? else {
        return Ok((cli, None));
    };
    let cli = cli
        .with_file(&file)
        .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    Ok((cli, Some((file, path))))
}

/// What the start line says about this run besides what `StartOptions` holds.
struct Launch {
    /// `--instance`, the file's `instance`, or `default` (`demo` for the demo).
    instance: String,
    /// The configuration file read, if any.
    config: Option<PathBuf>,
    /// Something the operator should know that was found before logging started.
    note: Option<&'static str>,
}

async fn serve_until_quit(opts: StartOptions, launch: &Launch, headless: bool) -> ExitCode {
    let mask_callers = opts.mask_callers;
    let ascii = opts.ascii;
    let exposed = !opts.no_listen
        && opts.demo.is_none()
        && guard::exposure_warning(
            opts.listen,
            opts.guard.guard.token.is_some(),
            !opts.guard.guard.allow_from.is_empty(),
        )
        .inspect(|warning| tracing::warn!("{warning}"))
        .is_some();
    let mode = feed_mode(&opts);
    // Installed before anything is announced, so a script that signals as soon as it reads the
    // address is heard.
    let tls = opts.guard.tls.is_some();
    let mut signals = match QuitSignals::install() {
        Ok(signals) => signals,
        Err(error) => {
            eprintln!("xsi-wallboard: cannot install signal handlers: {error}");
            return ExitCode::FAILURE;
        }
    };
    let running = match start(opts).await {
        Ok(running) => running,
        Err(error) => {
            tracing::error!(error = format!("{error:#}"), "cannot start");
            eprintln!("xsi-wallboard: {error:#}");
            return ExitCode::from(EXIT_USAGE);
        }
    };
    log_start(launch, mode, &running);
    let cancel = running.cancel.clone();
    tokio::spawn(async move {
        tokio::select! {
            () = cancel.cancelled() => {}
            name = signals.recv(headless, tls) => {
                tracing::info!(signal = name, "quitting on a signal");
                cancel.cancel();
            }
        }
    });

    let ui_result = if headless {
        match running.event_url() {
            Some(url) => println!("listening on {url}"),
            None => println!("not listening (--no-listen)"),
        }
        let _ = std::io::stdout().flush();
        running.cancel.cancelled().await;
        Ok(())
    } else {
        let ctx = tui::UiContext {
            source: Arc::clone(&running.board) as Arc<dyn tui::BoardSource>,
            header: HeaderInfo {
                listen: running.addr,
                mode,
                exposed,
            },
            link: running.link(),
            commands: running.commands(),
            mask_callers,
            ascii,
            notices: None,
            actions: Some(crate::actions::Actor::Local(running.actions())),
        };
        tui::run(ctx, running.cancel.clone()).await
    };

    let shutdown = running.shutdown().await;
    match ui_result.and(shutdown) {
        Ok(()) => {
            tracing::info!(instance = %launch.instance, "stopped");
            ExitCode::SUCCESS
        }
        Err(error) => {
            tracing::error!(error = format!("{error:#}"), "stopped with an error");
            eprintln!("xsi-wallboard: {error:#}");
            ExitCode::FAILURE
        }
    }
}

/// SIGINT, SIGTERM and SIGHUP, registered eagerly (an unhandled SIGHUP would kill the process
/// without a word when the SSH session drops).
struct QuitSignals {
    #[cfg(unix)]
    interrupt: tokio::signal::unix::Signal,
    #[cfg(unix)]
    terminate: tokio::signal::unix::Signal,
    #[cfg(unix)]
    hangup: tokio::signal::unix::Signal,
}

impl QuitSignals {
    #[cfg(unix)]
    fn install() -> std::io::Result<Self> {
        use tokio::signal::unix::{SignalKind, signal};
        Ok(QuitSignals {
            interrupt: signal(SignalKind::interrupt())?,
            terminate: signal(SignalKind::terminate())?,
            hangup: signal(SignalKind::hangup())?,
        })
    }

    #[cfg(not(unix))]
    fn install() -> std::io::Result<Self> {
        Ok(QuitSignals {})
    }

    /// The name of the first quit signal received. SIGHUP quits the screen (its terminal is
    /// gone: the SSH session dropped); headless it asks for the TLS certificate to be read
    /// again (the guard's reloader hears it too) and is otherwise ignored, both logged.
    #[cfg(unix)]
    async fn recv(&mut self, headless: bool, tls: bool) -> &'static str {
        loop {
            tokio::select! {
                _ = self.interrupt.recv() => return "SIGINT",
                _ = self.terminate.recv() => return "SIGTERM",
                _ = self.hangup.recv() => {
                    if !headless {
                        tracing::info!("SIGHUP: the terminal is gone");
                        return "SIGHUP";
                    }
                    if tls {
                        tracing::info!("SIGHUP: reloading the TLS certificate");
                    } else {
                        tracing::info!("SIGHUP ignored: headless, no TLS certificate to reload");
                    }
                }
            }
        }
    }

    #[cfg(not(unix))]
    async fn recv(&mut self, _headless: bool, _tls: bool) -> &'static str {
        match tokio::signal::ctrl_c().await {
            Ok(()) => "Ctrl-C",
            // No way to hear Ctrl-C: wait for the UI's own quit instead.
            Err(_) => std::future::pending().await,
        }
    }
}
