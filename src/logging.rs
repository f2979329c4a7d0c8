//! tracing to a file (never to the terminal while the TUI is up).
//!
//! `RUST_LOG` chooses what is logged (default `info`). Headless runs log to stderr, where a
//! service manager collects them.

use std::fs::{self, File, OpenOptions};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use anyhow::Context;
use tracing_subscriber::EnvFilter;

/// The log file's name inside the default directory.
const LOG_FILE_NAME: &str = "xsi-wallboard.log";

/// `RUST_LOG` if set and valid, else `info`.
fn filter() -> EnvFilter {
    EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"))
}

/// The platform's state directory for this program (Linux: `$XDG_STATE_HOME/xsi-wallboard`),
/// else its cache directory, else the temp directory: where the log and the counters live.
pub fn state_dir() -> PathBuf {
    directories::ProjectDirs::from("", "", "xsi-wallboard").map_or_else(
        std::env::temp_dir,
        |dirs| {
            dirs.state_dir()
                .unwrap_or_else(|| dirs.cache_dir())
                .to_path_buf()
        },
    )
}

/// Where the TUI logs without `--log-file`: in [`state_dir`].
pub fn default_log_path() -> PathBuf {
    state_dir().join(LOG_FILE_NAME)
}

/// Log to stderr (headless).
pub fn init_stderr() {
    // A second init (tests in one process) keeps the first subscriber: harmless.
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter())
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr)
        .try_init();
}

/// Append logs to `path`, creating its directory; returns the path for the exit message.
pub fn init_file(path: &Path) -> anyhow::Result<PathBuf> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        fs::create_dir_all(dir)
            .with_context(|| format!("cannot create log directory {}", dir.display()))?;
    }
    let file: File = OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .with_context(|| format!("cannot open log file {}", path.display()))?;
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter())
        .with_ansi(false)
        .with_writer(Mutex::new(file))
        .try_init();
    Ok(path.to_path_buf())
}
