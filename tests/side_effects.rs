//! What a sender can make the wallboard do besides drawing (issue 15, items 5 and 6), against
//! the real binary on 127.0.0.1:0: the commands it runs get none of its secrets and cannot be
//! driven by forged POSTs, and its log can be neither forged nor flooded.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Child;

const NS: &str = r#"xmlns:xsi="http://schema.broadsoft.com/xsi" xmlns:xsi1="http://www.w3.org/2001/XMLSchema-instance""#;
const PASSWORD: &str = "pw-secret-0a1b2c";
const TOKEN: &str = "listen-token-0123456789abcdefghijklmnop";
const READ_TOKEN: &str = "read-token-qrstuvwxyz9876543210";
const CONTROL_TOKEN: &str = "c0ntr0lT0ken-abcdefghijklmnopqr";
const KNOWN: &str = "known@example.com";
/// Generous: a debug binary on a busy 2-core machine.
const BOUND: Duration = Duration::from_secs(20);

fn scratch(name: &str) -> PathBuf {
    let dir =
        std::env::temp_dir().join(format!("xsi-wallboard-side-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}

/// The binary, headless on 127.0.0.1:0 with `config`, every secret in its environment; returns
/// it and the listener's `http://host:port`.
async fn wallboard(dir: &Path, config: &str, log: Option<&Path>) -> (Child, String) {
    let config_path = dir.join("config.toml");
    std::fs::write(&config_path, config).expect("config");
    let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_xsi-wallboard"));
    command
        .args(["--headless", "--listen", "127.0.0.1:0", "--warn-secs", "1"])
        .args(["--crit-secs", "2", "--config"])
        .arg(&config_path)
        .env("XDG_CONFIG_HOME", dir)
        .env("XDG_STATE_HOME", dir)
        .env("HOME", dir)
        .env("XSI_WALLBOARD_TOKEN", TOKEN)
        .env("XSI_WALLBOARD_READ_TOKEN", READ_TOKEN)
        .env("XSI_WALLBOARD_CONTROL_TOKEN", CONTROL_TOKEN)
        .env_remove("XSI_WALLBOARD_LOG_FILE")
        .env("RUST_LOG", "info")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true);
    if let Some(log) = log {
        command.arg("--log-file").arg(log);
    }
    if !config.contains("password_command") {
        command.env("XSI_PASSWORD", PASSWORD);
    }
    let mut child = command.spawn().expect("spawn xsi-wallboard");
    let stdout = child.stdout.take().expect("stdout piped");
    let mut lines = BufReader::new(stdout).lines();
    let first = tokio::time::timeout(BOUND, lines.next_line())
        .await
        .expect("announced within the bound")
        .expect("stdout readable")
        .expect("a first line");
    let rest = first
        .strip_prefix("listening on http://")
        .unwrap_or_else(|| panic!("{first}"));
    let host = rest.split('/').next().expect("host:port");
    (child, format!("http://{host}"))
}

fn envelope(event_id: &str, target: &str, event_data: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><xsi:Event {NS} xsi1:type="xsi:SubscriptionEvent"><xsi:eventID>{event_id}</xsi:eventID><xsi:userId>sup@example.com</xsi:userId><xsi:externalApplicationId>x</xsi:externalApplicationId><xsi:subscriptionId>forged</xsi:subscriptionId><xsi:targetId>{target}</xsi:targetId>{event_data}</xsi:Event>"#
    )
}

/// Now, epoch ms (the XSP's clock is this host's: the wallboard learns any offset from
/// `addTime`s, so calls "added long ago" would only teach it a skew).
fn now_ms() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_millis()
}

/// A call waiting in `target` from now: critical after 2 s (`--crit-secs 2`).
fn waiting(event_id: &str, target: &str, call_id: &str) -> String {
    let added = now_ms();
    envelope(
        event_id,
        target,
        &format!(
            r#"<xsi:eventData xsi1:type="xsi:ACDCallAddedEvent"><xsi:queueEntry><xsi:callId>{call_id}</xsi:callId><xsi:extTrackingId>1:1</xsi:extTrackingId><xsi:addTime>{added}</xsi:addTime></xsi:queueEntry></xsi:eventData>"#
        ),
    )
}

fn abandoned(event_id: &str, target: &str, call_id: &str) -> String {
    envelope(
        event_id,
        target,
        &format!(
            r#"<xsi:eventData xsi1:type="xsi:ACDCallAbandonedEvent"><xsi:queueEntry><xsi:callId>{call_id}</xsi:callId><xsi:extTrackingId>1:1</xsi:extTrackingId><xsi:addTime>{added}</xsi:addTime></xsi:queueEntry></xsi:eventData>"#,
            added = now_ms()
        ),
    )
}

async fn post(client: &reqwest::Client, url: &str, body: String) -> StatusCode {
    client
        .post(url)
        .body(body)
        .send()
        .await
        .expect("answered")
        .status()
}

/// `path`'s text once `ready` holds for it, within [`BOUND`].
async fn file_when(path: &Path, ready: impl Fn(&str) -> bool) -> String {
    let started = Instant::now();
    loop {
        let text = std::fs::read_to_string(path).unwrap_or_default();
        if ready(&text) {
            return text;
        }
        assert!(
            started.elapsed() < BOUND,
            "{} never ready: {text:?}",
            path.display()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn assert_no_secret(what: &str, env: &str) {
    for secret in [PASSWORD, TOKEN, READ_TOKEN, CONTROL_TOKEN] {
        assert!(!env.contains(secret), "{what} saw a secret: {env}");
    }
    for variable in [
        "XSI_PASSWORD=",
        "XSI_WALLBOARD_TOKEN=",
        "XSI_WALLBOARD_READ_TOKEN=",
        "XSI_WALLBOARD_CONTROL_TOKEN=",
    ] {
        assert!(
            !env.lines().any(|l| l.starts_with(variable)),
            "{what}: {variable}"
        );
    }
}

#[tokio::test]
async fn alert_command_runs_without_secrets_once_for_a_known_call_center_only() {
    let dir = scratch("alert");
    let (runs, env) = (dir.join("runs"), dir.join("env"));
    let config = format!(
        "sl_target_percent = 80\nalert_command = \"echo \\\"$XSI_WALLBOARD_ALERT_CALLCENTER\\\" >> '{}'; env > '{}'\"\n\
         [[callcenter]]\nid = \"{KNOWN}\"\nwarn_secs = 1\ncrit_secs = 2\n",
        runs.display(),
        env.display()
    );
    let (mut child, base) = wallboard(&dir, &config, None).await;
    let url = format!("{base}/xsi-events/{TOKEN}");
    let client = reqwest::Client::new();

    // A configured call center goes critical: the command runs, without our secrets.
    assert_eq!(
        post(&client, &url, waiting("e0", KNOWN, "c0")).await,
        StatusCode::OK
    );
    let seen = file_when(&env, |env| env.contains("XSI_WALLBOARD_ALERT_LEVEL=")).await;
    assert!(
        seen.contains(&format!("XSI_WALLBOARD_ALERT_CALLCENTER={KNOWN}")),
        "{seen}"
    );
    assert_no_secret("alert_command", &seen);

    // 300 forged POSTs: 150 call centers nobody configured each take a call (critical after
    // 2 s), and the known one flaps.
    let started = Instant::now();
    for i in 0..300 {
        let id = format!("f{i}");
        let body = match i % 4 {
            0 | 2 => waiting(&id, &format!("forged{i}@example.com"), "c"),
            1 => waiting(&id, KNOWN, &format!("k{i}")),
            _ => abandoned(&id, KNOWN, &format!("k{}", i - 2)),
        };
        assert_eq!(post(&client, &url, body).await, StatusCode::OK, "{i}");
        if i % 30 == 0 {
            // Let the applier's once-a-second evaluation see the flaps.
            tokio::time::sleep(Duration::from_millis(150)).await;
        }
    }
    // Time for any run they would cause (evaluated once a second).
    tokio::time::sleep(Duration::from_secs(4)).await;
    // The forged call centers did cross: they are on the board, critical.
    let board = client
        .get(format!("{base}/api/board"))
        .send()
        .await
        .expect("board")
        .bytes()
        .await
        .expect("body");
    let board: serde_json::Value = serde_json::from_slice(&board).expect("JSON");
    let warned = board["queues"]
        .as_array()
        .expect("queues")
        .iter()
        .filter(|q| q["id"].as_str().is_some_and(|id| id.starts_with("forged")))
        .filter(|q| q["stats"]["alert"] == "critical")
        .count();
    assert_eq!(warned, 150, "forged call centers critical");
    let ran = std::fs::read_to_string(&runs).unwrap_or_default();
    eprintln!(
        "300 forged POSTs in {:?}; alert_command ran {} time(s)",
        started.elapsed(),
        ran.lines().count()
    );
    assert_eq!(ran.lines().collect::<Vec<_>>(), [KNOWN], "{ran}");
    let _ = child.kill().await;
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn password_command_runs_without_secrets() {
    let dir = scratch("password");
    let env = dir.join("env");
    // An XSP nobody listens on: the password is read before anything is sent.
    let config = format!(
        "xsp_url = \"https://127.0.0.1:9\"\nxsp_user = \"sup@example.com\"\n\
         contact_url = \"http://127.0.0.1:9/xsi-events\"\n\
         password_command = \"env > '{}'; echo from-the-command\"\n\
         [[callcenter]]\nid = \"{KNOWN}\"\n",
        env.display()
    );
    let (mut child, _) = wallboard(&dir, &config, None).await;
    let seen = file_when(&env, |env| env.contains("PATH=")).await;
    assert_no_secret("password_command", &seen);
    let _ = child.kill().await;
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn wire_values_are_escaped_in_the_log_and_refusals_rate_limited() {
    let dir = scratch("log");
    let log = dir.join("wallboard.log");
    let (mut child, base) = wallboard(&dir, "", Some(&log)).await;
    let url = format!("{base}/xsi-events/{TOKEN}");
    let client = reqwest::Client::new();
    let forged_line = "2026-12-03T00:00:00.000000Z ERROR xsi_wallboard: forged line";

    // An unknown type (taken and logged) whose name and eventID carry a newline, a forged line
    // and an ANSI escape.
    let evil = envelope(
        "id\u{1b}[2J\u{1b}[31mred",
        "cc@example.com",
        &format!(r#"<xsi:eventData xsi1:type="xsi:Evil&#10;{forged_line}"/>"#)
            .replace("&#10;", "\n"),
    );
    assert_eq!(post(&client, &url, evil).await, StatusCode::OK);

    // 200 refusals of 100 KB each: the log grows by a few lines, not by their bodies.
    let big_id = "x".repeat(100_000);
    for i in 0..200 {
        let body = envelope(&format!("{big_id}{i}"), "cc@example.com", "");
        assert_eq!(post(&client, &url, body).await, StatusCode::BAD_REQUEST);
    }
    // Wrong tokens: refused by the guard, rate-limited on their own.
    for _ in 0..50 {
        let wrong = format!("{base}/xsi-events/{}", "w".repeat(40));
        assert_eq!(
            post(&client, &wrong, String::new()).await,
            StatusCode::NOT_FOUND
        );
    }
    // The next window's first refusal says how many were held back.
    tokio::time::sleep(Duration::from_secs(11)).await;
    let body = envelope(&format!("{big_id}last"), "cc@example.com", "");
    assert_eq!(post(&client, &url, body).await, StatusCode::BAD_REQUEST);
    let text = file_when(&log, |log| log.contains("more like it not logged")).await;

    assert!(text.contains("unknown event type"), "{text}");
    assert!(
        !text.lines().any(|l| l.starts_with(forged_line)),
        "a forged line made it into the log:\n{text}"
    );
    assert!(
        !text.contains('\u{1b}'),
        "an escape made it into the log:\n{text}"
    );
    assert!(text.contains(r"\u{1b}[31m"), "{text}");
    assert!(text.contains(r"\u{a}2026-12-03"), "{text}");
    let refusals = text.lines().filter(|l| l.contains("event refused")).count();
    assert!(
        (2..=10).contains(&refusals),
        "{refusals} refusal lines:\n{text}"
    );
    let guard = text
        .lines()
        .filter(|l| l.contains("listener guard"))
        .count();
    assert!((1..=5).contains(&guard), "{guard} guard lines:\n{text}");
    assert!(
        text.contains("and 195 more like it not logged"),
        "the count of what was held back:\n{text}"
    );
    assert!(text.len() < 20_000, "{} bytes of log", text.len());
    let _ = child.kill().await;
    let _ = std::fs::remove_dir_all(dir);
}
