//! `/api/board/stream` end to end: real sockets on 127.0.0.1:0, the demo's model posting real
//! XSI documents, the viewer's board compared with `/api/board` (seconds fields aside).

#[path = "common/sse.rs"]
mod sse;

use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;
use sse::{SseMessage, SseReader, Viewed, normalise};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use xsi_wallboard::board::api::ApiBoard;
use xsi_wallboard::board::{BoardConfig, Thresholds, now_ms};
use xsi_wallboard::run::{self, Running, StartOptions};
use xsi_wallboard::sim::Model;
use xsi_wallboard::stream::{BoardStream, Viewer};
use xsi_wallboard::xsi::write_event;

/// Upper bound on any wait for the stream to catch up: generous, the CI machine is slow.
const SETTLE_BOUND: Duration = Duration::from_secs(15);

/// The model's time starts this long ago, so that its calls have waited a while.
const HISTORY_MS: i64 = 20 * 60_000;

/// A listen-only receiver. Thresholds out of reach: an alert's reason names the longest wait
/// in seconds ("longest wait 75s"), which would change every second.
async fn start() -> Running {
    run::start(StartOptions {
        listen: "127.0.0.1:0".parse().expect("address"),
        board: BoardConfig {
            thresholds: Thresholds {
                warn_secs: 1_000_000,
                crit_secs: 2_000_000,
            },
            ..BoardConfig::default()
        },
        ..StartOptions::default()
    })
    .await
    .expect("start the wallboard core")
}

fn base(running: &Running) -> String {
    format!("http://{}", running.addr.expect("listening"))
}

fn stream_url(running: &Running) -> String {
    format!("{}/api/board/stream", base(running))
}

/// The demo's model, its clock `HISTORY_MS` in the past, posting to `running`.
struct Feeder {
    model: Model,
    clock_ms: i64,
    url: String,
    client: reqwest::Client,
    posted: usize,
}

impl Feeder {
    fn new(running: &Running, seed: u64) -> Feeder {
        let url = running.event_url().expect("an event URL");
        let start = now_ms() - HISTORY_MS;
        Feeder {
            model: Model::new(seed, start).with_http_contact(url.clone()),
            clock_ms: start,
            url,
            client: reqwest::Client::new(),
            posted: 0,
        }
    }

    /// Run the model `ms` further (never past now) and post what it sent.
    async fn advance(&mut self, ms: i64) {
        self.clock_ms = (self.clock_ms + ms).min(now_ms());
        for event in self.model.step(self.clock_ms) {
            let response = self
                .client
                .post(&self.url)
                .header("content-type", "application/xml; charset=UTF-8")
                .body(write_event(&event))
                .send()
                .await
                .expect("POST answered");
            assert_eq!(response.status(), reqwest::StatusCode::OK);
            self.posted += 1;
        }
    }
}

async fn fresh_board(client: &reqwest::Client, running: &Running) -> Value {
    let text = client
        .get(format!("{}/api/board", base(running)))
        .send()
        .await
        .expect("GET /api/board")
        .text()
        .await
        .expect("the board");
    normalise(&serde_json::from_str(&text).expect("board JSON"))
}

/// Apply messages until the viewer's board equals a fresh `/api/board`; the messages read.
async fn until_equal(
    client: &reqwest::Client,
    running: &Running,
    reader: &mut SseReader,
    viewed: &mut Viewed,
) -> Vec<SseMessage> {
    let deadline = Instant::now() + SETTLE_BOUND;
    let mut read = Vec::new();
    loop {
        if viewed.normalised() == fresh_board(client, running).await {
            return read;
        }
        let left = deadline.saturating_duration_since(Instant::now());
        let Some(message) = reader.next_within(left).await else {
            panic!(
                "the viewer's board never equalled /api/board; read {:?}\nviewer: {:#}\nfresh: {:#}",
                read.iter().map(|m| &m.event).collect::<Vec<_>>(),
                viewed.normalised(),
                fresh_board(client, running).await
            );
        };
        viewed.apply(&message);
        read.push(message);
    }
}

#[tokio::test]
async fn a_board_first_then_changes_that_add_up_to_a_fresh_board() {
    let running = start().await;
    let client = reqwest::Client::new();
    let mut feeder = Feeder::new(&running, 7);
    feeder.advance(HISTORY_MS / 2).await;
    let mut reader = SseReader::open(&client, &stream_url(&running), None).await;
    let first = reader
        .next_within(SETTLE_BOUND)
        .await
        .expect("a first message");
    assert_eq!(first.event, "board", "{first:?}");
    assert!(
        first
            .id
            .as_deref()
            .is_some_and(|id| id.parse::<u64>().is_ok()),
        "{first:?}"
    );
    assert!(
        first.retry.is_some(),
        "the first message tells EventSource when to reconnect"
    );
    for stamp in ["board_version", "now_ms", "taken_at_ms", "viewers"] {
        assert!(
            first.data[stamp].is_number(),
            "{stamp} missing: {:?}",
            first.data
        );
    }
    let mut viewed = Viewed::default();
    viewed.apply(&first);
    let queues = viewed.board["queues"].as_array().expect("queues").len();
    assert!(queues >= 3, "the demo's call centers: {queues}");
    assert!(
        !viewed.board["agents"]
            .as_array()
            .expect("agents")
            .is_empty()
    );
    until_equal(&client, &running, &mut reader, &mut viewed).await;

    // The rest of the model's day: calls come and go, agents change state.
    let before = feeder.posted;
    feeder.advance(HISTORY_MS).await;
    assert!(
        feeder.posted > before + 20,
        "the model posted {}",
        feeder.posted - before
    );
    let read = until_equal(&client, &running, &mut reader, &mut viewed).await;
    assert!(
        read.iter().any(|m| m.event == "queues"),
        "changes came as queues messages: {read:?}"
    );
    let mut ids: Vec<u64> = read
        .iter()
        .filter_map(|m| m.id.as_deref()?.parse().ok())
        .collect();
    assert!(ids.iter().all(|&id| id > 0));
    let sorted = {
        ids.dedup();
        let mut sorted = ids.clone();
        sorted.sort_unstable();
        sorted
    };
    assert_eq!(ids, sorted, "ids only grow");
    for message in read.iter().filter(|m| m.event == "queues") {
        let total = message.data["queues"].as_array().expect("queues").len();
        assert!(
            total <= queues,
            "only the call centers that changed: {total}"
        );
        assert!(
            message.data["events"].is_object(),
            "the counters come along"
        );
    }
    running.shutdown().await.expect("clean shutdown");
}

#[tokio::test]
async fn many_events_make_at_most_four_messages_a_second() {
    let running = start().await;
    let client = reqwest::Client::new();
    let mut feeder = Feeder::new(&running, 3);
    let mut reader = SseReader::open(&client, &stream_url(&running), None).await;
    let first = reader.next_within(SETTLE_BOUND).await.expect("a board");
    assert_eq!(first.event, "board");
    let mut viewed = Viewed::default();
    viewed.apply(&first);

    // The model's whole history posted as fast as the listener takes it, read meanwhile.
    let window = Instant::now();
    let posting = tokio::spawn(async move {
        for _ in 0..40 {
            feeder.advance(HISTORY_MS / 40).await;
        }
        feeder.posted
    });
    let mut read = Vec::new();
    while !posting.is_finished() {
        if let Some(message) = reader.next_within(Duration::from_millis(100)).await {
            viewed.apply(&message);
            read.push(message);
        }
    }
    let elapsed = window.elapsed();
    let posted = posting.await.expect("the feeder");
    let seconds = elapsed.as_secs_f64().ceil();
    // Generous: the first tick, clumps on the way, and one more for the bound's edges.
    let bound = (4.0 * seconds) as usize + 4;
    assert!(
        read.len() <= bound,
        "{} messages in {elapsed:?} for {posted} events (bound {bound})",
        read.len()
    );
    assert!(
        posted > 4 * read.len(),
        "coalesced: {posted} events, {} messages",
        read.len()
    );
    until_equal(&client, &running, &mut reader, &mut viewed).await;
    running.shutdown().await.expect("clean shutdown");
}

/// A viewer nobody reads while the board changes: its next message is one step to the newest
/// state, never the revisions in between.
#[tokio::test]
async fn a_viewer_that_falls_behind_skips_to_the_newest_state() {
    let running = start().await;
    let client = reqwest::Client::new();
    let render = Arc::new(|board: &xsi_wallboard::board::Board, now: i64| {
        ApiBoard::from(&board.snapshot(now))
    });
    let stream = BoardStream::new(Arc::clone(&running.board), render, CancellationToken::new());
    let mut lagging: Viewer = stream.viewer(None);
    let first = lagging.next().await.expect("a board");
    assert_eq!(first.event, "board");
    let mut viewed = Viewed::default();
    viewed.apply(&as_sse(&first));

    // Several revisions published while the viewer is not pulled.
    let mut feeder = Feeder::new(&running, 5);
    let deadline = Instant::now() + SETTLE_BOUND;
    while stream.current().rev < first.id + 5 {
        assert!(
            Instant::now() < deadline,
            "the stream published no revisions"
        );
        feeder.advance(HISTORY_MS / 20).await;
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    // Let the publisher take in the last POST.
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    let newest = stream.current().rev;
    let next = lagging.next().await.expect("a message");
    assert_eq!(next.event, "queues", "{next:?}");
    assert!(
        next.id >= newest,
        "one step from {} to the newest ({newest}), not {}",
        first.id,
        next.id
    );
    viewed.apply(&as_sse(&next));
    assert_eq!(viewed.normalised(), fresh_board(&client, &running).await);
    running.shutdown().await.expect("clean shutdown");
}

fn as_sse(message: &xsi_wallboard::stream::Message) -> SseMessage {
    SseMessage {
        event: message.event.to_owned(),
        id: Some(message.id.to_string()),
        data: serde_json::from_str(&message.data).expect("JSON data"),
        retry: None,
    }
}

#[tokio::test]
async fn a_reconnect_resumes_after_its_last_event_id() {
    let running = start().await;
    let client = reqwest::Client::new();
    let mut feeder = Feeder::new(&running, 9);
    feeder.advance(HISTORY_MS / 3).await;
    let mut reader = SseReader::open(&client, &stream_url(&running), None).await;
    let first = reader.next_within(SETTLE_BOUND).await.expect("a board");
    let mut viewed = Viewed::default();
    viewed.apply(&first);
    let read = until_equal(&client, &running, &mut reader, &mut viewed).await;
    let last_id = read.last().unwrap_or(&first).id.clone().expect("an id");
    drop(reader);

    // Away while the board changes; back with the last id seen.
    feeder.advance(HISTORY_MS / 3).await;
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    let mut reader = SseReader::open(&client, &stream_url(&running), Some(&last_id)).await;
    let resumed = reader.next_within(SETTLE_BOUND).await.expect("a message");
    assert_ne!(
        resumed.event, "board",
        "resumed, not started over: {resumed:?}"
    );
    viewed.apply(&resumed);
    until_equal(&client, &running, &mut reader, &mut viewed).await;

    // An id this receiver never gave (another run's, or garbage): a whole board.
    for unknown in ["1", "not-a-number"] {
        let mut reader = SseReader::open(&client, &stream_url(&running), Some(unknown)).await;
        let message = reader.next_within(SETTLE_BOUND).await.expect("a message");
        assert_eq!(message.event, "board", "after {unknown}");
    }
    running.shutdown().await.expect("clean shutdown");
}

#[tokio::test]
async fn a_quiet_board_sends_heartbeats_and_shutdown_ends_the_stream() {
    let running = start().await;
    let client = reqwest::Client::new();
    let mut reader = SseReader::open(&client, &stream_url(&running), None).await;
    let first = reader.next_within(SETTLE_BOUND).await.expect("a board");
    assert_eq!(first.event, "board");
    let beat = reader.next_within(SETTLE_BOUND).await.expect("a heartbeat");
    assert_eq!(beat.event, "heartbeat", "{beat:?}");
    assert_eq!(beat.id, first.id, "nothing changed: the same revision");
    assert!(
        beat.data["now_ms"].as_i64().is_some_and(|t| t > 0),
        "{beat:?}"
    );
    // Ended by the shutdown itself, well before the server's 5-s drain bound would cut it.
    let stopping = tokio::spawn(running.shutdown());
    assert!(
        reader.ends_within(Duration::from_secs(4)).await,
        "the stream ends with the receiver"
    );
    stopping.await.expect("joined").expect("clean shutdown");
}

/// A call center that leaves the board comes as `removed`; one that comes back as `queues`.
#[tokio::test]
async fn a_call_center_gone_is_removed_by_id() {
    let running = start().await;
    let mut feeder = Feeder::new(&running, 11);
    feeder.advance(HISTORY_MS / 4).await;
    // The board as rendered hides the call centers in `hidden`: the way eviction drops one.
    let hidden: Arc<std::sync::Mutex<Vec<String>>> = Arc::default();
    let hiding = Arc::clone(&hidden);
    let render = Arc::new(move |board: &xsi_wallboard::board::Board, now: i64| {
        let mut api = ApiBoard::from(&board.snapshot(now));
        let hidden = hiding.lock().expect("not poisoned").clone();
        api.queues.retain(|q| !hidden.iter().any(|h| **h == *q.id));
        api
    });
    let stream = BoardStream::new(Arc::clone(&running.board), render, CancellationToken::new());
    let mut watcher = stream.viewer(None);
    let first = watcher.next().await.expect("a board");
    let mut viewed = Viewed::default();
    viewed.apply(&as_sse(&first));
    let gone = viewed.board["queues"][0]["id"]
        .as_str()
        .expect("an id")
        .to_owned();
    hidden.lock().expect("not poisoned").push(gone.clone());

    let next = tokio::time::timeout(SETTLE_BOUND, watcher.next())
        .await
        .expect("within the bound")
        .expect("a message");
    assert_eq!(next.event, "removed", "{next:?}");
    let data: Value = serde_json::from_str(&next.data).expect("JSON");
    assert_eq!(data["queues"], serde_json::json!([gone]));
    viewed.apply(&as_sse(&next));
    assert!(
        !viewed.board["queues"]
            .as_array()
            .expect("queues")
            .iter()
            .any(|q| q["id"] == gone.as_str())
    );

    hidden.lock().expect("not poisoned").clear();
    let back = tokio::time::timeout(SETTLE_BOUND, watcher.next())
        .await
        .expect("within the bound")
        .expect("a message");
    assert_eq!(back.event, "queues", "{back:?}");
    viewed.apply(&as_sse(&back));
    let client = reqwest::Client::new();
    assert_eq!(viewed.normalised(), fresh_board(&client, &running).await);
    running.shutdown().await.expect("clean shutdown");
}
