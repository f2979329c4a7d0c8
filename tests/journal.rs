//! The event journal end to end: a seeded demo simulator posts to a recording wallboard over
//! real HTTP; the journal, replayed at `--speed max` through the same parser and applier (in
//! process, and by the binary's `replay --headless`), ends with exactly the board the live run
//! had.

#[path = "common/binary.rs"]
mod binary;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use xsi_wallboard::board::api::ApiBoard;
use xsi_wallboard::board::{Applier, Board, BoardConfig, CHANNEL_CAPACITY, Thresholds};
use xsi_wallboard::config::{self, XspArgs};
use xsi_wallboard::journal::{self, Driver, Speed, journal_files};
use xsi_wallboard::run::{RecordOptions, StartOptions, start};
use xsi_wallboard::sim::{self, SimOptions};

/// Events the live run must have applied before it stops: calls added, answered and ended.
const EVENTS: u64 = 60;

struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!(
            "xsi-wallboard-test-journal-{name}-{}",
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("a scratch directory");
        Scratch(dir)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The board settings a wallboard without a configuration file has: the replay by the binary
/// (given an empty configuration file) builds the same.
fn board_config() -> BoardConfig {
    let mut board = config::board_config(&XspArgs::default(), None, Thresholds::default());
    board.stats.reset = config::reset_schedule(None).expect("the default schedule");
    board.stats.history_interval_mins = config::history_interval(None).expect("15");
    board
}

/// `/api/board` of `board` at `now_ms`, as JSON, without the journal's own counters (a replay
/// records nothing).
fn api(board: &Board, now_ms: i64) -> serde_json::Value {
    let mut value =
        serde_json::to_value(ApiBoard::from(&board.snapshot(now_ms))).expect("serialises");
    if let Some(object) = value.as_object_mut() {
        object.remove("journal");
    }
    value
}

/// Record a seeded demo run until it has applied [`EVENTS`]; the live board once stopped, and
/// the journal's files.
async fn record_demo(dir: &Path) -> (Arc<Board>, Vec<PathBuf>) {
    let running = start(StartOptions {
        listen: "127.0.0.1:0".parse().expect("an address"),
        board: board_config(),
        record: Some(RecordOptions {
            dir: dir.to_owned(),
            max_mb: 64,
            instance: "journal-test".to_owned(),
        }),
        ..StartOptions::default()
    })
    .await
    .expect("the wallboard starts");
    // The demo's own simulator, seeded, posting to this listener; stopped on our word so that
    // nothing is in flight when the wallboard stops.
    let sim_cancel = CancellationToken::new();
    let simulator = tokio::spawn(sim::run(
        SimOptions {
            url: running.event_url().expect("listening"),
            seed: Some(20_261_204),
            status: None,
            actions: None,
        },
        sim_cancel.clone(),
    ));
    let board = Arc::clone(&running.board);
    for _ in 0..1200 {
        if board.event_counters().applied >= EVENTS {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        board.event_counters().applied >= EVENTS,
        "the demo posted too little: {:?}",
        board.event_counters()
    );
    sim_cancel.cancel();
    let _ = simulator.await;
    // Every POST answered and every input taken by the applier (which applies a batch whole
    // before it looks at the cancellation).
    let events = running.events();
    let mut last = u64::MAX;
    for _ in 0..100 {
        let received = board.event_counters().received;
        if events.capacity() == CHANNEL_CAPACITY && received == last {
            break;
        }
        last = received;
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    running.shutdown().await.expect("a clean stop");
    let counts = board.journal.counts().expect("recording");
    assert_eq!(counts.dropped, 0, "nothing dropped: {counts:?}");
    assert!(counts.bytes > 0);
    let files = journal_files(dir)
        .expect("the journal's directory")
        .into_iter()
        .map(|(path, _)| path)
        .collect();
    (board, files)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replayed_demo_run_ends_with_the_board_the_live_run_had() {
    let scratch = Scratch::new("replay");
    let dir = scratch.0.join("journal");
    let (live, files) = record_demo(&dir).await;
    let header = journal::replay::check(&files).expect("a journal");
    let last_t = journal::replay::lines(&files)
        .last()
        .expect("lines were recorded")
        .t;

    // In process: a fresh board, the journal's lines through the same parser and applier.
    let mut config = board_config();
    config.expected.clone_from(&header.expected);
    let replayed = Arc::new(Board::new(config, header.board_started_ms));
    let lines = Driver {
        applier: Applier::new(Arc::clone(&replayed)),
        speed: Speed::Max,
        from_ms: None,
        status: None,
        cancel: CancellationToken::new(),
    }
    .run(journal::replay::lines(&files));
    assert!(lines > EVENTS, "{lines} lines replayed");
    assert_eq!(
        replayed.now(),
        last_t,
        "the replay's clock is the journal's"
    );
    // Later than the last line too: the same waiting calls wait the same.
    for at in [last_t, last_t + 95_000] {
        assert_eq!(
            api(&replayed, at),
            api(&live, at),
            "the replayed board is the live one"
        );
    }
    let live_board = api(&live, last_t);
    let answered: u64 = live_board["queues"]
        .as_array()
        .expect("queues")
        .iter()
        .map(|q| {
            q["answered"].as_u64().unwrap_or(0)
                + q["calls"].as_array().map_or(0, |c| c.len() as u64)
        })
        .sum();
    assert!(
        answered > 0,
        "a board with calls on it is compared, not an empty one"
    );
    assert_eq!(
        serde_json::to_value(replayed.history()).expect("serialises"),
        serde_json::to_value(live.history()).expect("serialises"),
        "the day's history too"
    );

    // The binary: `replay --speed max --headless` serves the same board on /api/board.
    let empty_config = scratch.0.join("empty.toml");
    std::fs::write(&empty_config, "").expect("an empty configuration");
    let served = replay_by_the_binary(&empty_config, &files).await;
    assert_eq!(
        served, live_board,
        "the binary's replay serves the live board"
    );
}

/// `/api/board` of `xsi-wallboard replay FILES --speed max --headless` once the journal ended.
async fn replay_by_the_binary(config: &Path, files: &[PathBuf]) -> serde_json::Value {
    let config = config.to_str().expect("a UTF-8 path");
    let mut args = vec!["--config", config, "replay", "--speed", "max", "--headless"];
    args.extend(["--listen", "127.0.0.1:0"]);
    args.extend(files.iter().map(|f| f.to_str().expect("a UTF-8 path")));
    let mut child = binary::wallboard(&args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("the binary starts");
    let stdout = child.stdout.take().expect("stdout");
    let mut line = String::new();
    BufReader::new(stdout)
        .read_line(&mut line)
        .expect("the binary says where it serves");
    let url = line
        .split("serving on ")
        .nth(1)
        .expect("serving on URL")
        .trim()
        .to_owned();
    let client = reqwest::Client::new();
    let mut board = serde_json::Value::Null;
    for _ in 0..300 {
        let status: serde_json::Value = client
            .get(format!("{url}/api/status"))
            .send()
            .await
            .expect("the replay serves")
            .bytes()
            .await
            .map(|body| serde_json::from_slice(&body).expect("JSON"))
            .expect("a body");
        assert_eq!(status["source"]["kind"], "replay");
        if status["source"]["done"] == true {
            board = client
                .get(format!("{url}/api/board"))
                .send()
                .await
                .expect("the replay serves")
                .bytes()
                .await
                .map(|body| serde_json::from_slice(&body).expect("JSON"))
                .expect("a body");
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // It keeps serving after the journal ended, until told to stop.
    let again = client.get(format!("{url}/api/board")).send().await;
    assert!(again.is_ok_and(|r| r.status().is_success()));
    let _ = child.kill();
    let _ = child.wait();
    if let Some(object) = board.as_object_mut() {
        object.remove("journal");
    }
    board
}
