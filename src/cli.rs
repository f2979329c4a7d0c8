//! Command-line flags (each also readable from an `XSI_WALLBOARD_*` environment variable).

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::Parser;

#[derive(Debug, Clone, Parser)]
#[command(
    name = "xsi-wallboard",
    version,
    about = "Live BroadWorks call-center wallboard for the terminal"
)]
pub struct Cli {
    /// Address the event listener binds to.
    #[arg(long, env = "XSI_WALLBOARD_LISTEN", default_value = "127.0.0.1:8765")]
    pub listen: SocketAddr,
    /// Path the XSP POSTs events to.
    #[arg(long, env = "XSI_WALLBOARD_PATH", default_value = "/xsi-events")]
    pub path: String,
    /// Wait (seconds) from which a call shows as a warning.
    #[arg(long, env = "XSI_WALLBOARD_WARN_SECS", default_value_t = 60)]
    pub warn_secs: u64,
    /// Wait (seconds) from which a call shows as critical.
    #[arg(long, env = "XSI_WALLBOARD_CRIT_SECS", default_value_t = 180)]
    pub crit_secs: u64,
    /// Run with the built-in XSP simulator (no BroadWorks needed).
    #[arg(long, env = "XSI_WALLBOARD_DEMO")]
    pub demo: bool,
    /// Seed for the demo simulator, for a repeatable run.
    #[arg(long, env = "XSI_WALLBOARD_SEED")]
    pub seed: Option<u64>,
    /// Run listener and board without the terminal UI; log to stderr.
    #[arg(long, env = "XSI_WALLBOARD_HEADLESS")]
    pub headless: bool,
    /// Log file (default: in the platform's state or cache directory).
    #[arg(long, env = "XSI_WALLBOARD_LOG_FILE")]
    pub log_file: Option<PathBuf>,
}
