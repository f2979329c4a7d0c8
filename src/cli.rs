//! Command-line flags (each also readable from an `XSI_WALLBOARD_*` environment variable).

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::error::ErrorKind;
use clap::{CommandFactory, Parser};

use crate::board::Thresholds;
use crate::config::XspArgs;
use crate::listener;

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
    /// Address the event listener binds to (port 0: any free port).
    #[arg(long, env = "XSI_WALLBOARD_LISTEN", default_value = "127.0.0.1:8765")]
    pub listen: SocketAddr,
    /// Path the XSP POSTs events to [default: /xsi-events].
    #[arg(long, env = "XSI_WALLBOARD_PATH", value_parser = parse_event_path)]
    pub path: Option<String>,
    /// Wait (seconds) from which a call shows as a warning.
    #[arg(long, env = "XSI_WALLBOARD_WARN_SECS", default_value_t = 60)]
    pub warn_secs: u64,
    /// Wait (seconds) from which a call shows as critical (must exceed --warn-secs).
    #[arg(long, env = "XSI_WALLBOARD_CRIT_SECS", default_value_t = 180)]
    pub crit_secs: u64,
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
    /// Where today's counters are kept across a restart, with an XSP only (default: one file
    /// per XSP and targets in the platform's state directory).
    #[arg(long, env = "XSI_WALLBOARD_STATE_FILE", conflicts_with = "demo")]
    pub state_file: Option<PathBuf>,
    /// Log file (default: in the platform's state or cache directory; with --headless, stderr).
    #[arg(long, env = "XSI_WALLBOARD_LOG_FILE")]
    pub log_file: Option<PathBuf>,
    #[command(flatten)]
    pub xsp: XspArgs,
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Things to do instead of running the wallboard.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::Subcommand)]
pub enum Command {
    /// Print a new listen token (192 random bits, base64url) and nothing else; with it set
    /// (see the README's Security section) the XSP posts to the contact URL plus /TOKEN.
    GenToken,
}

impl Cli {
    /// The path events are taken at.
    pub fn event_path(&self) -> &str {
        self.path.as_deref().unwrap_or(DEFAULT_EVENT_PATH)
    }

    /// The wait thresholds, or a usage error when they cannot both be shown.
    pub fn thresholds(&self) -> Result<Thresholds, clap::Error> {
        if self.crit_secs <= self.warn_secs {
            return Err(Cli::command().error(
                ErrorKind::ArgumentConflict,
                format!(
                    "--crit-secs ({}) must be greater than --warn-secs ({})",
                    self.crit_secs, self.warn_secs
                ),
            ));
        }
        Ok(Thresholds {
            warn_secs: self.warn_secs,
            crit_secs: self.crit_secs,
        })
    }
}

fn parse_event_path(value: &str) -> Result<String, String> {
    listener::check_path(value).map(|()| value.to_owned())
}
