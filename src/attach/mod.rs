//! `xsi-wallboard attach [URL]`: this process's screen on a receiver's board.
//!
//! ```text
//! receiver --/api/board/stream (SSE)--> client::follow --apply--> Mirror (a BoardSource)
//!          --/api/status every 5 s----> client::poll_status --> watch<LinkStatus>   |
//!          <--POST /api/resubscribe---- client::carry_commands <-- r / R            v
//!                                              \--notice ("read-only viewer")--> tui (as local)
//! ```
//!
//! The screen is the local one (`tui`), fed by the [`Mirror`] instead of a local board: view
//! keys stay in this process, `s` words the receiver's status, `r`/`R` are asked of the
//! receiver. Nothing here writes a board of the receiver; the receiver's masking holds.

mod client;
pub mod mirror;
pub mod sse;
mod status;
mod wire;

use std::io::IsTerminal;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

pub use client::{Bearer, Client, ReceiverUrl, Resubscribed, SILENCE, STATUS_EVERY, notice};
pub use mirror::{Mirror, MirrorError};
pub use sse::{SseReader, StreamMessage};

use crate::app::{FeedMode, HeaderInfo};
use crate::cli::Cli;
use crate::config::FileConfig;
use crate::status::{FeedCommand, LinkStatus};

/// Sent as the bearer token when set: control scope (`r`/`R` act on the receiver).
pub const CONTROL_TOKEN_ENV: &str = "XSI_WALLBOARD_CONTROL_TOKEN";

/// An attached viewer's moving parts, running until `cancel`.
#[derive(Debug)]
pub struct Attached {
    /// The receiver's client, for actions on calls (`POST /api/actions`).
    pub receiver: Client,
    /// The receiver's board, as its stream told it.
    pub mirror: Arc<Mirror>,
    /// The receiver's feed status (`s`).
    pub link: watch::Receiver<LinkStatus>,
    /// The screen's `r` / `R`.
    pub commands: mpsc::UnboundedSender<FeedCommand>,
    /// The receiver's answers to them, for the message line.
    pub notices: mpsc::UnboundedReceiver<String>,
    tasks: JoinSet<()>,
}

impl Attached {
    /// Wait for the tasks once `cancel` fired.
    pub async fn join(self) {
        Self::join_tasks(self.tasks).await;
    }
}

/// Start following the receiver at `url` (in the current tokio runtime).
pub fn attach(
    url: &ReceiverUrl,
    bearer: Option<Bearer>,
    cancel: &CancellationToken,
) -> anyhow::Result<Attached> {
    let client = Client::new(url, bearer).context("cannot build the HTTP client")?;
    let mirror = Arc::new(Mirror::new(url.display()));
    let (link_tx, link) = watch::channel(LinkStatus::default());
    let (commands, commands_rx) = mpsc::unbounded_channel();
    let (notices_tx, notices) = mpsc::unbounded_channel();
    let mut tasks = JoinSet::new();
    tasks.spawn(client::follow(
        client.clone(),
        Arc::clone(&mirror),
        cancel.clone(),
    ));
    tasks.spawn(client::poll_status(
        client.clone(),
        Arc::clone(&mirror),
        link_tx,
        cancel.clone(),
    ));
    tasks.spawn(client::carry_commands(
        client.clone(),
        commands_rx,
        notices_tx,
        link.clone(),
        cancel.clone(),
    ));
    Ok(Attached {
        receiver: client,
        mirror,
        link,
        commands,
        notices,
        tasks,
    })
}

/// The bearer token to send: the control token (`XSI_WALLBOARD_CONTROL_TOKEN`), else the read
/// token (`XSI_WALLBOARD_READ_TOKEN`, else `read_token_file`). Never a flag.
pub fn bearer_from(
    control_env: Option<String>,
    read_env: Option<String>,
    file: Option<&FileConfig>,
) -> anyhow::Result<Option<Bearer>> {
    let clean = |value: String| value.trim_end_matches(['\r', '\n']).to_owned();
    if let Some(token) = control_env.filter(|v| !v.is_empty()) {
        return Ok(Some(Bearer::new(clean(token))));
    }
    if let Some(token) = read_env.filter(|v| !v.is_empty()) {
        return Ok(Some(Bearer::new(clean(token))));
    }
    if let Some(path) = file.and_then(|f| f.control_token_file.as_ref()) {
        let token = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read control_token_file {}", path.display()))?;
        return Ok(Some(Bearer::new(clean(token))));
    }
    if let Some(path) = file.and_then(|f| f.read_token_file.as_ref()) {
        let token = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read read_token_file {}", path.display()))?;
        return Ok(Some(Bearer::new(clean(token))));
    }
    Ok(None)
}

/// What `attach` needs, from the flags, the environment and the configuration file.
struct Setup {
    url: ReceiverUrl,
    bearer: Option<Bearer>,
    instance: String,
    ascii: bool,
    mask_callers: bool,
    /// What this viewer's keys offer (`--allow-actions`, the file's destinations).
    actions: crate::actions::ActionSettings,
}

fn setup(cli: &Cli, url: Option<&str>) -> anyhow::Result<Setup> {
    let (file, _) = crate::config::load_with_path(&cli.xsp)?;
    let instance = cli
        .xsp
        .instance
        .clone()
        .or_else(|| file.as_ref().and_then(|f| f.instance.clone()))
        .unwrap_or_else(|| "default".to_owned());
    let url = match url {
        Some(url) => ReceiverUrl::parse(url).map_err(anyhow::Error::msg)?,
        // The receiver's socket as this host's configuration names it (a shared jump host's
        // `viewer_socket`), else the instance's own.
        None => ReceiverUrl::Unix(
            file.as_ref()
                .and_then(|f| f.viewer_socket.clone())
                .or_else(|| crate::viewer::viewer_socket_default(&instance))
                .ok_or_else(|| {
                    anyhow::anyhow!(
                        "no receiver named and no default viewer socket (XDG_RUNTIME_DIR is \
                         not set): give attach a URL, http://HOST:PORT or unix:/PATH"
                    )
                })?,
        ),
    };
    let bearer = bearer_from(
        std::env::var(CONTROL_TOKEN_ENV).ok(),
        std::env::var(crate::guard::READ_TOKEN_ENV).ok(),
        file.as_ref(),
    )?;
    let on = |flag: bool, key: Option<bool>| flag || key == Some(true);
    Ok(Setup {
        url,
        bearer,
        instance,
        ascii: on(cli.ascii, file.as_ref().and_then(|f| f.ascii)),
        mask_callers: on(cli.mask_callers, file.as_ref().and_then(|f| f.mask_callers)),
        actions: crate::config::action_settings(
            on(
                cli.allow_actions,
                file.as_ref().and_then(|f| f.allow_actions),
            ),
            file.as_ref(),
        )
        .map_err(anyhow::Error::msg)?,
    })
}

/// `xsi-wallboard attach [URL]`: the screen on a receiver's board until `q`.
pub fn run(cli: &Cli, url: Option<&str>) -> ExitCode {
    let setup = match setup(cli, url) {
        Ok(setup) => setup,
        Err(error) => {
            eprintln!("xsi-wallboard: {error:#}");
            return ExitCode::from(2);
        }
    };
    if !(std::io::stdin().is_terminal() && std::io::stdout().is_terminal()) {
        eprintln!("xsi-wallboard: attach needs a terminal");
        return ExitCode::from(2);
    }
    let path = cli
        .log_file
        .clone()
        .unwrap_or_else(crate::logging::default_log_path);
    let log_path = match crate::logging::init_file(&path, &setup.instance) {
        Ok(path) => path,
        Err(error) => {
            eprintln!("xsi-wallboard: {error:#}");
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("xsi-wallboard: cannot start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(watch_receiver(setup));
    runtime.shutdown_timeout(std::time::Duration::from_secs(1));
    eprintln!("xsi-wallboard: log in {}", log_path.display());
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("xsi-wallboard: {error:#}");
            ExitCode::FAILURE
        }
    }
}

async fn watch_receiver(setup: Setup) -> anyhow::Result<()> {
    let cancel = CancellationToken::new();
    let attached = attach(&setup.url, setup.bearer, &cancel)?;
    tracing::info!(receiver = %setup.url.display(), instance = %setup.instance, "attaching");
    spawn_quit_on_signals(cancel.clone());
    let Attached {
        receiver,
        mirror,
        link,
        commands,
        notices,
        tasks,
    } = attached;
    let ctx = crate::tui::UiContext {
        source: mirror,
        header: HeaderInfo {
            listen: None,
            mode: FeedMode::Attached,
            exposed: false,
        },
        link,
        commands,
        mask_callers: setup.mask_callers,
        ascii: setup.ascii,
        notices: Some(notices),
        // Confirmed here, checked again and sent by the receiver (control scope).
        actions: Some(crate::actions::Actor::Remote {
            settings: setup.actions.clone(),
            receiver,
        }),
    };
    let result = crate::tui::run(ctx, cancel.clone()).await;
    cancel.cancel();
    Attached::join_tasks(tasks).await;
    tracing::info!("detached");
    result
}

impl Attached {
    async fn join_tasks(mut tasks: JoinSet<()>) {
        while tasks.join_next().await.is_some() {}
    }
}

/// SIGTERM, and SIGHUP when the SSH session under the screen drops: quit (Ctrl-C is a key
/// while the screen is up).
fn spawn_quit_on_signals(cancel: CancellationToken) {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let (Ok(mut hangup), Ok(mut terminate)) = (
            signal(SignalKind::hangup()),
            signal(SignalKind::terminate()),
        ) else {
            tracing::warn!("cannot install signal handlers");
            return;
        };
        tokio::spawn(async move {
            tokio::select! {
                () = cancel.cancelled() => {}
                _ = hangup.recv() => cancel.cancel(),
                _ = terminate.recv() => cancel.cancel(),
            }
        });
    }
    #[cfg(not(unix))]
    drop(cancel);
}
