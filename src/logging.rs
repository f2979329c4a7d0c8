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

/// Each line's stamp: local time with its offset (a jump host's log is read beside other
/// machines' logs), then the instance's name, so that wallboards sharing one file can be told
/// apart.
#[derive(Debug, Clone)]
struct Stamp {
    instance: String,
}

impl tracing_subscriber::fmt::time::FormatTime for Stamp {
    fn format_time(&self, w: &mut tracing_subscriber::fmt::format::Writer<'_>) -> std::fmt::Result {
        let now = jiff::Timestamp::now().to_zoned_datetime(jiff::tz::TimeZone::system());
        write!(
            w,
            "{} [{}]",
            now.strftime("%Y-%m-%dT%H:%M:%S%.3f%:z"),
            self.instance
        )
    }
}

/// A duration as people read it in a log: `1.5 s`, `250 ms`, `2 min 5 s`.
#[derive(Debug, Clone, Copy)]
pub struct Human(pub std::time::Duration);

impl std::fmt::Display for Human {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let ms = self.0.as_millis();
        if ms < 1000 {
            write!(f, "{ms} ms")
        } else if ms < 60_000 {
            // Tenths of a second are enough for a delay or a bound.
            let tenths = (ms + 50) / 100;
            if tenths.is_multiple_of(10) {
                write!(f, "{} s", tenths / 10)
            } else {
                write!(f, "{}.{} s", tenths / 10, tenths % 10)
            }
        } else {
            let secs = (ms + 500) / 1000;
            match secs % 60 {
                0 => write!(f, "{} min", secs / 60),
                rest => write!(f, "{} min {rest} s", secs / 60),
            }
        }
    }
}

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

/// Log to stderr (headless), each line naming `instance`.
pub fn init_stderr(instance: &str) {
    // A second init (tests in one process) keeps the first subscriber: harmless.
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter())
        .with_timer(Stamp {
            instance: instance.to_owned(),
        })
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr)
        .try_init();
}

/// Append logs to `path`, creating its directory, each line naming `instance`; returns the path
/// for the exit message.
pub fn init_file(path: &Path, instance: &str) -> anyhow::Result<PathBuf> {
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
        .with_timer(Stamp {
            instance: instance.to_owned(),
        })
        .with_ansi(false)
        .with_writer(Mutex::new(file))
        .try_init();
    Ok(path.to_path_buf())
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::Human;

    #[test]
    fn durations_read_as_people_say_them() {
        let cases = [
            (Duration::from_millis(250), "250 ms"),
            (Duration::from_millis(1_510), "1.5 s"),
            (Duration::from_secs(3), "3 s"),
            (Duration::from_millis(59_960), "60 s"),
            (Duration::from_mins(1), "1 min"),
            (Duration::from_secs(125), "2 min 5 s"),
        ];
        for (duration, words) in cases {
            assert_eq!(Human(duration).to_string(), words, "{duration:?}");
        }
    }
}
