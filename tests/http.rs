//! The HTTP contact end to end: real sockets on 127.0.0.1:0, real XSI documents, the board read
//! back through `/api/board`.

use std::path::PathBuf;
use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::Value;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use xsi_wallboard::board::{Board, BoardConfig, now_ms};
use xsi_wallboard::listener::{self, ListenerState, MAX_BODY_BYTES};
use xsi_wallboard::run::{self, Demo, Running, StartOptions};

/// Upper bound on any wait for the board to catch up: generous, the CI machine is slow.
const SETTLE_BOUND: Duration = Duration::from_secs(10);

/// A sample document under `tests/fixtures/`.
fn sample(dir: &str, name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(dir)
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

const SNAPSHOT: &str = "spec-r21_4.7.3.18_ACDSubscriptionEvent.xml";
const ADDED: &str = "spec-r21_4.7.3.1_ACDCallAddedEvent.xml";
const OFFERED: &str = "spec-r21_4.7.3.2_ACDCallOfferedToAgentEvent.xml";
const WHISPER: &str = "spec-r21_4.7.3.3_ACDWhisperStartedEvent.xml";
const BOUNCED: &str = "spec-r21_4.7.3.9_ACDCallBouncedEvent.xml";
const ABANDONED: &str = "spec-r21_4.7.3.6_ACDCallAbandonedEvent.xml";

/// The queue of the snapshot sample and of the call-event samples.
const SNAPSHOT_CENTER: &str = "callcenter@mtlasdev87.net";
const CALL_CENTER: &str = "ACD_CTI1@broadsoft.com";

async fn start() -> Running {
    run::start(StartOptions {
        listen: "127.0.0.1:0".parse().expect("address"),
        ..StartOptions::default()
    })
    .await
    .expect("start the wallboard core")
}

fn base(running: &Running) -> String {
    format!("http://{}", running.addr.expect("listening"))
}

async fn post(client: &reqwest::Client, url: &str, body: Vec<u8>) -> (StatusCode, String) {
    let response = client
        .post(url)
        .header("content-type", "application/xml; charset=UTF-8")
        .body(body)
        .send()
        .await
        .expect("POST answered");
    let status = response.status();
    (status, response.text().await.expect("response body"))
}

async fn board_json(client: &reqwest::Client, running: &Running) -> Value {
    let response = client
        .get(format!("{}/api/board", base(running)))
        .send()
        .await
        .expect("GET /api/board answered");
    assert_eq!(response.status(), StatusCode::OK);
    let text = response.text().await.expect("board body");
    serde_json::from_str(&text).expect("board JSON")
}

/// Read `/api/board` until `ready` holds, waking on each applied batch; panics after
/// [`SETTLE_BOUND`] with the last board seen.
async fn board_when(
    client: &reqwest::Client,
    running: &Running,
    ready: impl Fn(&Value) -> bool,
) -> Value {
    let mut changes = running.board.changes();
    let deadline = tokio::time::Instant::now() + SETTLE_BOUND;
    loop {
        let board = board_json(client, running).await;
        if ready(&board) {
            return board;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "board never got there: {board:#}"
        );
        let _ = tokio::time::timeout(Duration::from_millis(200), changes.changed()).await;
    }
}

fn queue<'a>(board: &'a Value, id: &str) -> Option<&'a Value> {
    board["queues"]
        .as_array()?
        .iter()
        .find(|q| q["id"].as_str() == Some(id))
}

fn call_ids(queue: &Value) -> Vec<&str> {
    queue["calls"]
        .as_array()
        .map(|calls| calls.iter().filter_map(|c| c["call_id"].as_str()).collect())
        .unwrap_or_default()
}

/// The board without what the clock changes between two reads.
fn without_clock(mut value: Value) -> Value {
    match &mut value {
        Value::Object(map) => {
            for key in ["wait_secs", "longest_wait_secs", "last_event_secs_ago"] {
                map.remove(key);
            }
            for item in map.values_mut() {
                *item = without_clock(item.take());
            }
        }
        Value::Array(items) => {
            for item in items.iter_mut() {
                *item = without_clock(item.take());
            }
        }
        _ => {}
    }
    value
}

#[tokio::test]
async fn health_and_method_and_path_errors() {
    let running = start().await;
    let client = reqwest::Client::new();

    let health = client
        .get(format!("{}/healthz", base(&running)))
        .send()
        .await
        .expect("GET /healthz");
    assert_eq!(health.status(), StatusCode::OK);
    assert_eq!(health.text().await.expect("body"), "ok");

    let get_events = client
        .get(running.event_url().expect("listening"))
        .send()
        .await
        .expect("GET on the event path");
    // A wrong method is refused like an unknown path: no answer says "this path exists".
    assert_eq!(get_events.status(), StatusCode::NOT_FOUND);

    let post_board = client
        .post(format!("{}/api/board", base(&running)))
        .send()
        .await
        .expect("POST on /api/board");
    assert_eq!(post_board.status(), StatusCode::NOT_FOUND);

    let elsewhere = client
        .post(format!("{}/somewhere-else", base(&running)))
        .body(sample("spec", ADDED))
        .send()
        .await
        .expect("POST elsewhere");
    assert_eq!(elsewhere.status(), StatusCode::NOT_FOUND);

    // None of these is an event POST: nothing counted.
    assert_eq!(running.board.event_counters().received, 0);
    running.shutdown().await.expect("clean shutdown");
}

#[tokio::test]
async fn samples_posted_over_http_show_on_the_board() {
    let running = start().await;
    let client = reqwest::Client::new();
    let url = running.event_url().expect("listening");

    for name in [SNAPSHOT, ADDED, OFFERED] {
        let (status, body) = post(&client, &url, sample("spec", name)).await;
        assert_eq!(status, StatusCode::OK, "{name}: {body}");
        assert!(body.is_empty(), "{name}: 200 carries no body");
    }
    let board = board_when(&client, &running, |b| {
        queue(b, CALL_CENTER).is_some_and(|q| q["calls"][0]["state"] == "offered")
    })
    .await;
    let snapshot_queue = queue(&board, SNAPSHOT_CENTER).expect("snapshot queue");
    assert_eq!(call_ids(snapshot_queue), ["callhalf-263:0"]);
    assert_eq!(snapshot_queue["name"], "dnis1", "acdName names the queue");
    assert_eq!(snapshot_queue["calls"][0]["caller_name"], "john3 south");
    let offered = &queue(&board, CALL_CENTER).expect("call queue")["calls"][0];
    assert_eq!(offered["call_id"], "callhalf-53149:0");
    assert_eq!(offered["position"], 1);

    // Whisper: the agent accepted the call; it leaves the waiting list, and is answered when
    // its answer comes (none here). Bounced for a call never seen inserts it; Abandoned ends it.
    for name in [WHISPER, BOUNCED, ABANDONED] {
        let (status, body) = post(&client, &url, sample("spec", name)).await;
        assert_eq!(status, StatusCode::OK, "{name}: {body}");
    }
    let board = board_when(&client, &running, |b| {
        queue(b, CALL_CENTER).is_some_and(|q| q["abandoned"] == 1)
    })
    .await;
    let call_queue = queue(&board, CALL_CENTER).expect("call queue");
    assert!(call_ids(call_queue).is_empty(), "{call_queue:#}");
    assert_eq!(
        call_queue["answered"], 0,
        "answered by the answer, not the whisper"
    );
    assert_eq!(board["events"]["received"], 6);
    assert_eq!(board["events"]["rejected"], 0);
    assert_eq!(board["events"]["dropped"], 0);

    // BroadWorks may send an event twice: the second copy changes nothing.
    let (status, _) = post(&client, &url, sample("spec", ADDED)).await;
    assert_eq!(status, StatusCode::OK);
    let board = board_when(&client, &running, |b| b["events"]["duplicates"] == 1).await;
    assert!(call_ids(queue(&board, CALL_CENTER).expect("call queue")).is_empty());
    running.shutdown().await.expect("clean shutdown");
}

#[tokio::test]
async fn refused_bodies_get_reasons_and_leave_the_board_alone() {
    let running = start().await;
    let client = reqwest::Client::new();
    let url = running.event_url().expect("listening");
    let (status, _) = post(&client, &url, sample("spec", SNAPSHOT)).await;
    assert_eq!(status, StatusCode::OK);
    let before = board_when(&client, &running, |b| queue(b, SNAPSHOT_CENTER).is_some()).await;

    let malformed = br#"<?xml version="1.0"?><xsi:Event xmlns:xsi="http://schema.broadsoft.com/xsi"><xsi:eventID>x</xsi:Event>"#;
    let (status, reason) = post(&client, &url, malformed.to_vec()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_one_line(&reason);

    let not_an_event = sample("public", "Subscription__kimwinther_check_xsi.xml");
    let (status, reason) = post(&client, &url, not_an_event).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(reason.contains("not an XSI Event"), "{reason}");
    assert_one_line(&reason);

    // The right local names in someone else's namespace are not XSI.
    let foreign = String::from_utf8(sample("spec", ADDED))
        .expect("UTF-8 sample")
        .replace("http://schema.broadsoft.com/xsi", "urn:example:not-xsi");
    let (status, reason) = post(&client, &url, foreign.into_bytes()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{reason}");
    assert_one_line(&reason);

    let mut oversized = sample("spec", ADDED);
    oversized.resize(MAX_BODY_BYTES + 1, b' ');
    let (status, reason) = post(&client, &url, oversized).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(reason.contains("larger than"), "{reason}");

    // A good event after the refused ones: once it shows, anything queued before it has been
    // applied too (one channel, one applier), so the comparison below is not a race.
    let (status, _) = post(&client, &url, sample("spec", ADDED)).await;
    assert_eq!(status, StatusCode::OK);
    let after = board_when(&client, &running, |b| queue(b, CALL_CENTER).is_some()).await;

    assert_eq!(
        without_clock(queue(&after, SNAPSHOT_CENTER).cloned().unwrap_or_default()),
        without_clock(queue(&before, SNAPSHOT_CENTER).cloned().unwrap_or_default()),
    );
    assert_eq!(after["queues"].as_array().map(Vec::len), Some(2));
    assert_eq!(after["events"]["rejected"], 4);
    assert_eq!(after["events"]["received"], 6);
    assert!(!after["last_event_secs_ago"].is_null());
    running.shutdown().await.expect("clean shutdown");
}

fn assert_one_line(reason: &str) {
    let line = reason.strip_suffix('\n').unwrap_or(reason);
    assert!(!line.is_empty(), "empty reason");
    assert!(!line.contains('\n'), "reason spans lines: {reason:?}");
}

#[tokio::test]
async fn unknown_event_types_are_taken_not_refused() {
    let running = start().await;
    let client = reqwest::Client::new();
    let unknown = String::from_utf8(sample("spec", ADDED))
        .expect("UTF-8 sample")
        .replace("xsi:ACDCallAddedEvent", "xsi:ACDCallTeleportedEvent");
    let (status, body) = post(
        &client,
        &running.event_url().expect("listening"),
        unknown.into_bytes(),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let board = board_when(&client, &running, |b| b["events"]["unknown"] == 1).await;
    assert_eq!(board["events"]["rejected"], 0);
    assert!(queue(&board, CALL_CENTER).is_none_or(|q| call_ids(q).is_empty()));
    running.shutdown().await.expect("clean shutdown");
}

/// The board fell behind: the handler waits its timeout, answers 503 and counts the loss.
#[tokio::test]
async fn a_full_channel_answers_503_and_counts_a_drop() {
    let board = Arc::new(Board::new(BoardConfig::default(), now_ms()));
    // Capacity one and nobody reading: the first event fills it, the second cannot get in.
    let (events, _stalled_applier) = mpsc::channel(1);
    let state =
        ListenerState::new(Arc::clone(&board), events).with_send_timeout(Duration::from_millis(50));
    let tcp = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = tcp.local_addr().expect("address");
    let cancel = CancellationToken::new();
    let server = tokio::spawn(listener::serve(
        tcp,
        listener::router(state, "/events"),
        cancel.clone(),
    ));
    let client = reqwest::Client::new();
    let url = format!("http://{addr}/events");

    let (first, _) = post(&client, &url, sample("spec", ADDED)).await;
    assert_eq!(first, StatusCode::OK);
    let (second, reason) = post(&client, &url, sample("spec", OFFERED)).await;
    assert_eq!(second, StatusCode::SERVICE_UNAVAILABLE);
    assert!(reason.contains("dropped"), "{reason}");

    let counters = board.event_counters();
    assert_eq!(counters.received, 2);
    assert_eq!(counters.dropped, 1);
    assert_eq!(counters.rejected, 0);
    cancel.cancel();
    server
        .await
        .expect("server task")
        .expect("server stopped cleanly");
}

/// `--demo`: the simulator's events travel over real HTTP, all parse, and the board fills.
#[tokio::test]
async fn the_demo_fills_the_board_over_http() {
    let running = run::start(StartOptions {
        listen: "127.0.0.1:0".parse().expect("address"),
        demo: Some(Demo { seed: Some(7) }),
        ..StartOptions::default()
    })
    .await
    .expect("start with the demo");
    let client = reqwest::Client::new();
    // Every call center with its configuration, every agent, and each panel's monitoring
    // counting the agents joined to it (a read may fall between an agent event and its
    // monitoring event, so this is waited for rather than asserted at one instant).
    let board = board_when(&client, &running, |b| {
        b["queues"]
            .as_array()
            .is_some_and(|q| q.len() == 5 && q.iter().all(|q| q["stats"]["mode"].is_string()))
            && b["agents"].as_array().is_some_and(|a| a.len() >= 16)
            && staffed_agrees_with_agents(b)
    })
    .await;
    assert_eq!(board["sequence"]["gaps"], 0, "{board:#}");
    assert_eq!(board["events"]["duplicates"], 0, "{board:#}");
    let modes: Vec<&Value> = board["queues"]
        .as_array()
        .map(|q| q.iter().map(|q| &q["stats"]["mode"]).collect())
        .unwrap_or_default();
    assert_eq!(
        modes.iter().filter(|m| **m == "night").count(),
        1,
        "the night desk alone shows NIGHT: {modes:?}"
    );
    assert_eq!(board["events"]["rejected"], 0, "{board:#}");
    assert_eq!(board["events"]["unknown"], 0, "{board:#}");
    // The demo's agent events went through the writer, the listener and the parser too.
    assert!(
        board["agents"]
            .as_array()
            .is_some_and(|agents| agents.iter().all(|a| a["state"].is_string())),
        "{board:#}"
    );
    assert_eq!(board["events"]["dropped"], 0, "{board:#}");
    assert!(matches!(
        running.link().borrow().source,
        xsi_wallboard::status::FeedSource::Demo(_)
    ));
    running.shutdown().await.expect("clean shutdown");
}

/// Every queue of `/api/board` counts as staffed (monitoring) the agents joined to it that are
/// signed in (the Agent package).
fn staffed_agrees_with_agents(board: &Value) -> bool {
    let (Some(queues), Some(agents)) = (board["queues"].as_array(), board["agents"].as_array())
    else {
        return false;
    };
    queues.iter().all(|queue| {
        let signed_in = agents
            .iter()
            .filter(|a| {
                a["call_centers"]
                    .as_array()
                    .is_some_and(|joined| joined.contains(&queue["id"]))
                    && a["state"].as_str().is_some_and(|s| s != "Sign-Out")
            })
            .count();
        queue["monitoring"]["agents_staffed"].as_u64() == u64::try_from(signed_in).ok()
    })
}

/// The binary's demo names every call center from the start, though a calm morning's queue
/// snapshots are mostly empty and so name none (the simulator's names stand in for the
/// configuration file the demo does not read).
#[tokio::test]
async fn the_demo_binary_names_every_call_center_from_the_start() {
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_xsi-wallboard"))
        .args([
            "--headless",
            "--demo",
            "--seed",
            "1",
            "--listen",
            "127.0.0.1:0",
        ])
        .env_remove("XSI_WALLBOARD_LOG_FILE")
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .kill_on_drop(true)
        .spawn()
        .expect("spawn xsi-wallboard");
    let stdout = child.stdout.take().expect("stdout piped");
    let mut lines = BufReader::new(stdout).lines();
    let first = tokio::time::timeout(Duration::from_secs(30), lines.next_line())
        .await
        .expect("announced within the bound")
        .expect("stdout readable")
        .expect("a first line");
    let url = reqwest::Url::parse(first.strip_prefix("listening on ").unwrap_or(&first))
        .expect("the listener's URL");
    let board_url = url.join("/api/board").expect("board URL");
    let client = reqwest::Client::new();
    let deadline = tokio::time::Instant::now() + SETTLE_BOUND;
    let names = loop {
        let body = client
            .get(board_url.clone())
            .send()
            .await
            .expect("GET /api/board")
            .bytes()
            .await
            .expect("body");
        let board: Value = serde_json::from_slice(&body).expect("JSON");
        let mut names: Vec<String> = board["queues"]
            .as_array()
            .map(|q| {
                q.iter()
                    .filter_map(|q| q["name"].as_str())
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default();
        names.sort();
        if names.len() == 5 || tokio::time::Instant::now() >= deadline {
            break names;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    child.kill().await.expect("stop the demo");
    assert_eq!(
        names,
        ["APAC Desk", "Billing", "Sales", "Support", "VIP Line"]
    );
}

/// The binary as a service manager runs it: announces its address, takes events, and exits 0
/// on SIGTERM (a service manager's stop) and on SIGINT (Ctrl-C in a shell).
#[cfg(unix)]
#[tokio::test]
async fn headless_binary_serves_and_stops_on_sigterm_and_sigint() {
    for signal in ["-TERM", "-INT"] {
        headless_run_stopped_by(signal).await;
    }
}

#[cfg(unix)]
async fn headless_run_stopped_by(signal: &str) {
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_xsi-wallboard"))
        .args([
            "--headless",
            "--listen",
            "127.0.0.1:0",
            "--path",
            "/bw/events",
        ])
        .env_remove("XSI_WALLBOARD_LOG_FILE")
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .kill_on_drop(true)
        .spawn()
        .expect("spawn xsi-wallboard");
    let stdout = child.stdout.take().expect("stdout piped");
    let mut lines = BufReader::new(stdout).lines();
    let first = tokio::time::timeout(Duration::from_secs(30), lines.next_line())
        .await
        .expect("announced within the bound")
        .expect("stdout readable")
        .expect("a first line");
    let url = first
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("unexpected first line {first:?}"))
        .to_owned();
    assert!(
        url.starts_with("http://127.0.0.1:") && url.ends_with("/bw/events"),
        "{url}"
    );

    let client = reqwest::Client::new();
    let (status, body) = post(&client, &url, sample("spec", ADDED)).await;
    assert_eq!(status, StatusCode::OK, "{body}");

    let pid = child.id().expect("child running").to_string();
    let killed = std::process::Command::new("kill")
        .args([signal, &pid])
        .status()
        .expect("run kill");
    assert!(killed.success());
    let exit = tokio::time::timeout(Duration::from_secs(20), child.wait())
        .await
        .expect("exited within the bound after the signal")
        .expect("exit status");
    assert!(exit.success(), "exit after kill {signal}: {exit}");
}
