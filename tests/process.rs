//! The binary as an operator meets it on a jump host: no terminal, two demos at once, the log's
//! start and stop lines, and SIGHUP.

#[path = "common/binary.rs"]
mod binary;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Generous bound for a child to start, answer or stop (never a speed target).
const BOUND: Duration = Duration::from_secs(30);

/// The binary, logging at INFO.
fn wallboard(args: &[&str]) -> Command {
    let mut command = binary::wallboard(args);
    command.env("RUST_LOG", "info");
    command
}

/// Kills the child if a test fails before it stopped it.
struct Child(std::process::Child);

impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Child {
    fn signal(&self, name: &str) {
        let status = Command::new("kill")
            .args([name, &self.0.id().to_string()])
            .status()
            .expect("run kill");
        assert!(status.success(), "kill {name}");
    }

    /// The exit status, within the bound.
    fn wait(&mut self) -> std::process::ExitStatus {
        let deadline = Instant::now() + BOUND;
        loop {
            if let Some(status) = self.0.try_wait().expect("wait") {
                return status;
            }
            assert!(Instant::now() < deadline, "still running after {BOUND:?}");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn running(&mut self) -> bool {
        self.0.try_wait().expect("wait").is_none()
    }
}

/// The first line of the child's stdout: `listening on URL`.
fn announced(child: &mut Child) -> String {
    use std::io::BufRead;
    let stdout = child.0.stdout.take().expect("stdout piped");
    let mut line = String::new();
    std::io::BufReader::new(stdout)
        .read_line(&mut line)
        .expect("stdout readable");
    line.trim_end().to_owned()
}

/// Wait until the log holds `needle`; the log's text.
fn log_until(path: &Path, needle: &str) -> String {
    let deadline = Instant::now() + BOUND;
    loop {
        let text = std::fs::read_to_string(path).unwrap_or_default();
        if text.contains(needle) {
            return text;
        }
        assert!(
            Instant::now() < deadline,
            "no {needle:?} in the log within {BOUND:?}:\n{text}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Started from a script, a pipe or cron without `--headless`: one line that says what to do,
/// exit 2, and not one escape sequence on either stream.
#[test]
fn without_a_terminal_it_says_use_headless() {
    let output = wallboard(&["--demo"])
        .stdin(Stdio::null())
        .output()
        .expect("run xsi-wallboard");
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&output.stderr),
        "xsi-wallboard: not a terminal: use --headless\n"
    );
    assert!(output.stdout.is_empty(), "{:?}", output.stdout);
}

/// Two people on one jump host each run the demo: each gets its own free port.
#[test]
fn two_demos_run_side_by_side() {
    let start = || {
        Child(
            wallboard(&["--demo", "--headless"])
                .env("RUST_LOG", "off")
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(Stdio::null())
                .spawn()
                .expect("spawn xsi-wallboard"),
        )
    };
    let (mut first, mut second) = (start(), start());
    let (a, b) = (announced(&mut first), announced(&mut second));
    assert!(a.starts_with("listening on http://127.0.0.1:"), "{a}");
    assert!(b.starts_with("listening on http://127.0.0.1:"), "{b}");
    assert_ne!(a, b);
    assert!(first.running() && second.running());
}

/// The log says who started (version, pid, mode, instance, configuration, address), in local
/// time with its offset and the instance on every line; SIGHUP headless without TLS is logged
/// and ignored; SIGTERM stops with a stop line.
#[cfg(unix)]
#[test]
fn the_log_has_start_and_stop_lines_and_sighup_is_not_a_silent_death() {
    let dir = std::env::temp_dir().join(format!("xsi-wallboard-process-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let log = dir.join("wallboard.log");
    let log_arg = log.to_str().expect("utf-8 path");
    let mut child = Child(
        wallboard(&[
            "--headless",
            "--listen",
            "127.0.0.1:0",
            "--instance",
            "nightdesk",
            "--log-file",
            log_arg,
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn xsi-wallboard"),
    );
    let url = announced(&mut child);
    let text = log_until(&log, "started");
    let start = text
        .lines()
        .find(|l| l.contains("started"))
        .expect("a start line");
    for field in [
        format!("version={}", env!("CARGO_PKG_VERSION")),
        format!("pid={}", child.0.id()),
        "mode=listen-only".to_owned(),
        "instance=nightdesk".to_owned(),
        "config=none".to_owned(),
        format!(
            "listen={}",
            url.strip_prefix("listening on ").expect("announced")
        ),
    ] {
        assert!(start.contains(&field), "{field} in {start}");
    }

    child.signal("-HUP");
    log_until(&log, "SIGHUP ignored");
    assert!(child.running(), "SIGHUP killed the headless wallboard");

    child.signal("-TERM");
    assert!(child.wait().success());
    let text = log_until(&log, "stopped");
    for line in text.lines() {
        // 2026-12-03T22:51:07.123+01:00 [nightdesk] INFO ...
        let (stamp, rest) = line.split_once(' ').expect("a stamp");
        assert!(
            stamp.len() == 29 && stamp.as_bytes()[10] == b'T' && stamp[23..].contains(':'),
            "local time with its offset: {line}"
        );
        assert!(rest.starts_with("[nightdesk] "), "{line}");
        assert!(!line.contains("Some("), "no Rust Debug output: {line}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}
