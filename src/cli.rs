//! Command-line flags (each also readable from an `XSI_WALLBOARD_*` environment variable).

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::error::ErrorKind;
use clap::{CommandFactory, Parser};

use crate::board::Thresholds;
use crate::config::{FileConfig, XspArgs};
use crate::listener;

/// Wait thresholds unless a flag or the file sets them.
pub const DEFAULT_WARN_SECS: u64 = 60;
pub const DEFAULT_CRIT_SECS: u64 = 180;

/// Where the listener binds unless `--listen` (or the demo) says otherwise.
pub const DEFAULT_LISTEN: SocketAddr =
    SocketAddr::new(std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST), 8765);

/// Where the XSP POSTs events unless `--path` says otherwise.
pub const DEFAULT_EVENT_PATH: &str = "/xsi-events";

#[derive(Debug, Clone, Parser)]
#[expect(
    clippy::struct_excessive_bools,
    reason = "command-line switches: each is its own flag"
)]
#[command(
    name = "xsi-wallboard",
    version,
    about = "Live BroadWorks call-center wallboard for the terminal"
)]
pub struct Cli {
    /// Address the event listener binds to, `HOST:PORT` (a name is resolved; port 0: any free
    /// port) [default: 127.0.0.1:8765; with --demo a free port on 127.0.0.1].
    #[arg(long, env = "XSI_WALLBOARD_LISTEN", value_parser = parse_listen)]
    pub listen: Option<SocketAddr>,
    /// Path the XSP POSTs events to [default: /xsi-events].
    #[arg(long, env = "XSI_WALLBOARD_PATH", value_parser = parse_event_path)]
    pub path: Option<String>,
    /// Wait (seconds) from which a call shows as a warning [default: 60].
    #[arg(long, env = "XSI_WALLBOARD_WARN_SECS", value_parser = parse_secs, allow_hyphen_values = true)]
    pub warn_secs: Option<u64>,
    /// Wait (seconds) from which a call shows as critical (must exceed --warn-secs) [default:
    /// 180].
    #[arg(long, env = "XSI_WALLBOARD_CRIT_SECS", value_parser = parse_secs, allow_hyphen_values = true)]
    pub crit_secs: Option<u64>,
    /// Run with the built-in XSP simulator (no BroadWorks needed; no configuration file read).
    #[arg(
        long,
        env = "XSI_WALLBOARD_DEMO",
        conflicts_with_all = ["xsp_url", "xsp_user", "contact_url", "callcenter", "target"]
    )]
    pub demo: bool,
    /// Seed for the demo simulator, for a repeatable run.
    #[arg(long, env = "XSI_WALLBOARD_SEED", requires = "demo")]
    pub seed: Option<u64>,
    /// Run listener and board without the terminal UI; log to stderr.
    #[arg(long, env = "XSI_WALLBOARD_HEADLESS")]
    pub headless: bool,
    /// Show only the last 4 digits of callers' numbers and their initials (a wall display is
    /// public); callers who asked for privacy are always masked.
    #[arg(long, env = "XSI_WALLBOARD_MASK_CALLERS")]
    pub mask_callers: bool,
    /// Allow acting on waiting calls (promote, move, transfer, release) with Xsi-Actions: the
    /// account must supervise those call centers, and the wallboard no longer only reads.
    #[arg(long, env = "XSI_WALLBOARD_ALLOW_ACTIONS")]
    pub allow_actions: bool,
    /// Plain ASCII borders, for terminals or fonts without box drawing (the default when the
    /// locale is not UTF-8).
    #[arg(long, env = "XSI_WALLBOARD_ASCII")]
    pub ascii: bool,
    /// Open no socket at all: channel mode only, where events come down the event channel.
    #[arg(
        long,
        env = "XSI_WALLBOARD_NO_LISTEN",
        conflicts_with_all = ["listen", "path", "demo"]
    )]
    pub no_listen: bool,
    /// Serve the wall-TV page at /wall: read-only, fed by /api/board/stream, for a browser on
    /// a wall display.
    #[arg(long, env = "XSI_WALLBOARD_WEB", conflicts_with = "no_listen")]
    pub web: bool,
    /// Where today's counters are kept across a restart, with an XSP only (default: one file
    /// per XSP and targets in the platform's state directory).
    #[arg(long, env = "XSI_WALLBOARD_STATE_FILE", conflicts_with = "demo")]
    pub state_file: Option<PathBuf>,
    /// The viewers' Unix socket (read and control routes; `attach` connects to it), created
    /// 0660 with `viewer_group` for a shared host [default:
    /// $XDG_RUNTIME_DIR/xsi-wallboard/{instance}.sock in a 0700 directory; the demo: none].
    #[arg(long, env = "XSI_WALLBOARD_VIEWER_SOCKET", value_name = "PATH")]
    pub viewer_socket: Option<PathBuf>,
    /// Log file (default: in the platform's state or cache directory; with --headless, stderr).
    #[arg(long, env = "XSI_WALLBOARD_LOG_FILE")]
    pub log_file: Option<PathBuf>,
    /// Record every input the board takes in this directory (hourly gzip files, 0600, capped
    /// by `record_max_mb`), for `xsi-wallboard replay`. The files hold callers' numbers, even
    /// with --mask-callers.
    #[arg(long, env = "XSI_WALLBOARD_RECORD", value_name = "DIR")]
    pub record: Option<PathBuf>,
    #[command(flatten)]
    pub xsp: XspArgs,
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Things to do instead of running the wallboard.
#[derive(Debug, Clone, PartialEq, clap::Subcommand)]
pub enum Command {
    /// Print a new listen token (192 random bits, base64url) and nothing else; with it set
    /// (see the README's Security section) the XSP posts to the contact URL plus /TOKEN.
    GenToken,
    /// Replay a journal recorded with --record into a fresh board: the screen (or, headless,
    /// /api/board and the rest on --listen) shows the day as it was.
    Replay(ReplayArgs),
    /// Watch a receiver's board on this terminal: the same screen, fed by its stream
    ///
    /// The receiver is a `--headless` wallboard elsewhere. `XSI_WALLBOARD_CONTROL_TOKEN` (else
    /// `XSI_WALLBOARD_READ_TOKEN`) is sent as a bearer token when set.
    Attach {
        /// `http(s)://HOST:PORT` or `unix:/PATH` [default: the viewer socket of --instance,
        /// $XDG_RUNTIME_DIR/xsi-wallboard/{instance}.sock].
        url: Option<String>,
    },
}

/// `xsi-wallboard replay FILE... [--speed N|max] [--from HH:MM] [--headless] [--listen ADDR]`.
#[derive(Debug, Clone, PartialEq, clap::Args)]
pub struct ReplayArgs {
    /// Journal files (`journal-*.jsonl.gz`), replayed in the order given (a shell glob sorts
    /// them by time).
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// Times real speed, or `max` for as fast as it goes [default: 1].
    #[arg(long, default_value = "1", value_parser = crate::journal::Speed::parse)]
    pub speed: crate::journal::Speed,
    /// Start showing at this time of day (the host's zone): what came before is applied at
    /// once.
    #[arg(long, value_name = "HH:MM", value_parser = crate::journal::replay::parse_hh_mm)]
    pub from: Option<(i8, i8)>,
    /// No screen: serve /api/board, the stream, /metrics and /api/history on --listen, and
    /// keep serving after the journal ends.
    #[arg(long)]
    pub headless: bool,
    /// Where to serve [default: a free port on 127.0.0.1].
    #[arg(long, value_parser = parse_listen)]
    pub listen: Option<SocketAddr>,
}

impl Cli {
    /// Where the listener binds: `--listen`, else the default; the demo takes any free port so
    /// that two people on one jump host can each run it.
    pub fn listen_addr(&self) -> SocketAddr {
        self.listen.unwrap_or(if self.demo {
            SocketAddr::from(([127, 0, 0, 1], 0))
        } else {
            DEFAULT_LISTEN
        })
    }

    /// The path events are taken at.
    pub fn event_path(&self) -> &str {
        self.path.as_deref().unwrap_or(DEFAULT_EVENT_PATH)
    }

    /// The wait thresholds, or a usage error when they cannot both be shown.
    pub fn thresholds(&self) -> Result<Thresholds, clap::Error> {
        let warn_secs = self.warn_secs.unwrap_or(DEFAULT_WARN_SECS);
        let crit_secs = self.crit_secs.unwrap_or(DEFAULT_CRIT_SECS);
        Thresholds::ordered(warn_secs, crit_secs).ok_or_else(|| {
            Cli::command().error(
                ErrorKind::ArgumentConflict,
                format!("--crit-secs ({crit_secs}) must be greater than --warn-secs ({warn_secs})"),
            )
        })
    }

    /// The flags over the configuration file: a flag (or its variable) wins, the file fills
    /// what no flag set, and a switch is on when either turns it on.
    pub fn with_file(mut self, file: &FileConfig) -> Result<Self, String> {
        if self.listen.is_none()
            && let Some(listen) = &file.listen
        {
            self.listen = Some(parse_listen(listen).map_err(|e| format!("listen: {e}"))?);
        }
        if self.path.is_none()
            && let Some(path) = &file.path
        {
            self.path = Some(parse_event_path(path).map_err(|e| format!("path: {e}"))?);
        }
        self.warn_secs = self.warn_secs.or(file.warn_secs);
        self.crit_secs = self.crit_secs.or(file.crit_secs);
        self.seed = self.seed.or(file.seed);
        self.state_file = self.state_file.or_else(|| file.state_file.clone());
        self.log_file = self.log_file.or_else(|| file.log_file.clone());
        self.record = self.record.or_else(|| file.record.clone());
        self.viewer_socket = self.viewer_socket.or_else(|| file.viewer_socket.clone());
        let on = |flag: bool, key: Option<bool>| flag || key == Some(true);
        self.demo = on(self.demo, file.demo);
        self.headless = on(self.headless, file.headless);
        self.mask_callers = on(self.mask_callers, file.mask_callers);
        self.allow_actions = on(self.allow_actions, file.allow_actions);
        self.ascii = on(self.ascii, file.ascii);
        self.no_listen = on(self.no_listen, file.no_listen);
        self.web = on(self.web, file.web);
        if self.demo && (file.xsp_url.is_some() || file.target.is_some()) {
            return Err("demo = true cannot go with an XSP (xsp_url, target): choose one".into());
        }
        if self.seed.is_some() && !self.demo {
            return Err("seed needs the demo (--demo or demo = true)".into());
        }
        Ok(self)
    }
}

/// A whole number of seconds, said plainly when it is not one.
fn parse_secs(value: &str) -> Result<u64, String> {
    let value = value.trim();
    if value.starts_with('-') {
        return Err(format!("{value} must be a positive number of seconds"));
    }
    value
        .parse()
        .map_err(|_| format!("{value:?} is not a whole number of seconds"))
}

fn parse_event_path(value: &str) -> Result<String, String> {
    listener::check_path(value).map(|()| value.to_owned())
}

/// `HOST:PORT`, the host an address or a name (resolved now; the first address it has).
fn parse_listen(value: &str) -> Result<SocketAddr, String> {
    if let Ok(addr) = value.parse() {
        return Ok(addr);
    }
    if !value.contains(':') {
        return Err(format!(
            "{value:?} has no port: give HOST:PORT, e.g. 127.0.0.1:8765 (port 0: any free port)"
        ));
    }
    let mut addrs = std::net::ToSocketAddrs::to_socket_addrs(value)
        .map_err(|e| format!("cannot resolve {value:?}: {e}"))?;
    addrs
        .next()
        .ok_or_else(|| format!("{value:?} resolves to no address"))
}
