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

/// Characters of one wire value kept in a log line; the rest is counted, not written.
pub const WIRE_CHARS: usize = 120;

/// A value that came from the wire (an event's type, its ids, a peer's text), as a log line
/// shows it: control characters (newlines, ANSI escapes) and backslashes escaped, so that it
/// can neither forge a line nor drive the terminal that reads the log, and cut to
/// [`WIRE_CHARS`], so that a megabyte id costs a log line, not a megabyte.
#[derive(Debug, Clone, Copy)]
pub struct Wire<'a>(pub &'a str);

impl std::fmt::Display for Wire<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        use std::fmt::Write;
        let mut chars = self.0.char_indices();
        for (_, c) in chars.by_ref().take(WIRE_CHARS) {
            if c == '\\' {
                f.write_str("\\\\")?;
            } else if c.is_control() {
                write!(f, "{}", c.escape_unicode())?;
            } else {
                f.write_char(c)?;
            }
        }
        if let Some((at, _)) = chars.next() {
            write!(f, "...(+{} bytes)", self.0.len() - at)?;
        }
        Ok(())
    }
}

/// How long one [`Throttle`] window lasts, and how many lines it lets through in it.
pub const THROTTLE_WINDOW: std::time::Duration = std::time::Duration::from_secs(10);
pub const THROTTLE_LINES: u32 = 5;

/// Rate limit for one kind of repeated warning (refusals, rejects): [`THROTTLE_LINES`] per
/// [`THROTTLE_WINDOW`], the rest counted and reported with the next line let through, so that
/// 200 hostile POSTs write a few lines and a count, never 200 MB.
#[derive(Debug)]
pub struct Throttle {
    state: Mutex<ThrottleState>,
}

#[derive(Debug)]
struct ThrottleState {
    window_start: Option<std::time::Instant>,
    lines: u32,
    suppressed: u64,
}

/// Lines held back before the one being written (displayed as a phrase, empty when none).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Suppressed(pub u64);

impl std::fmt::Display for Suppressed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let window = THROTTLE_WINDOW.as_secs();
        write!(
            f,
            "and {} more like it not logged (at most {THROTTLE_LINES} every {window} s)",
            self.0
        )
    }
}

impl Throttle {
    pub const fn new() -> Self {
        Throttle {
            state: Mutex::new(ThrottleState {
                window_start: None,
                lines: 0,
                suppressed: 0,
            }),
        }
    }

    /// Whether a line may be written at `now`, and how many were held back before it.
    pub fn admit(&self, now: std::time::Instant) -> Option<Suppressed> {
        let mut state = self
            .state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let expired = state
            .window_start
            .is_none_or(|start| now.duration_since(start) >= THROTTLE_WINDOW);
        if expired {
            state.window_start = Some(now);
            state.lines = 0;
        }
        if state.lines >= THROTTLE_LINES {
            state.suppressed += 1;
            return None;
        }
        state.lines += 1;
        Some(Suppressed(std::mem::take(&mut state.suppressed)))
    }
}

impl Default for Throttle {
    fn default() -> Self {
        Throttle::new()
    }
}

/// `tracing::warn!` through a [`Throttle`] (a `static`): the same fields and message, plus
/// `suppressed = "and N more like it in the last 10 s"` when lines were held back before it.
#[macro_export]
macro_rules! warn_throttled {
    ($throttle:expr, $($rest:tt)+) => {
        if let Some(suppressed) = $throttle.admit(std::time::Instant::now()) {
            if suppressed.0 > 0 {
                tracing::warn!(suppressed = %suppressed, $($rest)+);
            } else {
                tracing::warn!($($rest)+);
            }
        }
    };
}

#[cfg(test)]
mod tests {
    use super::Human;
    use super::*;

    #[test]
    fn wire_values_cannot_forge_lines_or_escape_the_terminal() {
        let forged = "x\n2026-01-01T00:00:00Z  INFO forged\x1b[31mred\\";
        let shown = Wire(forged).to_string();
        assert!(!shown.contains(['\n', '\x1b']), "{shown}");
        assert_eq!(
            shown,
            "x\\u{a}2026-01-01T00:00:00Z  INFO forged\\u{1b}[31mred\\\\"
        );
        let long = "é".repeat(1000);
        let shown = Wire(&long).to_string();
        assert!(shown.starts_with(&"é".repeat(WIRE_CHARS)), "{shown}");
        assert!(shown.ends_with("...(+1760 bytes)"), "{shown}");
    }

    #[test]
    fn a_throttle_lets_a_few_through_and_counts_the_rest() {
        let throttle = Throttle::new();
        let t0 = std::time::Instant::now();
        let admitted = (0..100).filter(|_| throttle.admit(t0).is_some()).count();
        assert_eq!(admitted, THROTTLE_LINES as usize);
        assert_eq!(throttle.admit(t0 + THROTTLE_WINDOW), Some(Suppressed(95)));
        assert_eq!(
            Suppressed(95).to_string(),
            "and 95 more like it not logged (at most 5 every 10 s)"
        );
    }

    #[test]
    fn durations_read_as_people_say_them() {
        let cases = [
            (std::time::Duration::from_millis(250), "250 ms"),
            (std::time::Duration::from_millis(1_510), "1.5 s"),
            (std::time::Duration::from_secs(3), "3 s"),
            (std::time::Duration::from_millis(59_960), "60 s"),
            (std::time::Duration::from_mins(1), "1 min"),
            (std::time::Duration::from_secs(125), "2 min 5 s"),
        ];
        for (duration, words) in cases {
            assert_eq!(Human(duration).to_string(), words, "{duration:?}");
        }
    }
}
