//! `attach`: the screen fed by a receiver's stream. Real receivers on 127.0.0.1:0 (and one on
//! a Unix socket) fed by the demo's model over real HTTP; the mirror compared with the
//! receiver's own board at the same instant, the screens drawn from both compared line by
//! line; the stream lost and found again; `r` on a receiver that refuses control.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::ConnectInfo;
use futures::StreamExt;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use xsi_wallboard::app::{App, FeedMode, HeaderInfo, View};
use xsi_wallboard::attach::{self, Mirror, ReceiverUrl, Resubscribed, SseReader, StreamMessage};
use xsi_wallboard::board::{Board, BoardConfig, BoardSnapshot, Thresholds, now_ms};
use xsi_wallboard::listener::{self, ListenerState};
use xsi_wallboard::run::{self, Running, StartOptions};
use xsi_wallboard::sim::Model;
use xsi_wallboard::status::{FeedCommand, LinkStatus};
use xsi_wallboard::ui::theme::Theme;
use xsi_wallboard::xsi::write_event;

/// Upper bound on any wait for the stream to catch up: generous, the CI machine is slow.
const BOUND: Duration = Duration::from_secs(20);

/// The model's time starts this long ago, so that its calls have waited a while.
const HISTORY_MS: i64 = 20 * 60_000;

/// A listen-only receiver on `listen`. Thresholds out of reach: an alert's reason names the
/// longest wait in seconds, which would make a new revision every second.
async fn receiver(listen: SocketAddr) -> Running {
    run::start(StartOptions {
        listen,
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
    .expect("start the receiver")
}

fn any_port() -> SocketAddr {
    "127.0.0.1:0".parse().expect("an address")
}

/// The demo's model, its clock `HISTORY_MS` in the past, posting to a receiver.
struct Feeder {
    model: Model,
    clock_ms: i64,
    url: String,
    client: reqwest::Client,
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
        }
    }

    /// Post to another receiver (the same one restarted) from now on.
    fn to(&mut self, running: &Running) {
        self.url = running.event_url().expect("an event URL");
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
        }
    }
}

/// Until the board has taken everything posted: its version still for half a second.
async fn settle(board: &Board) {
    let mut version = *board.changes().borrow();
    loop {
        tokio::time::sleep(Duration::from_millis(500)).await;
        let now = *board.changes().borrow();
        if now == version {
            return;
        }
        version = now;
    }
}

/// The receiver's stream, message by message, read with the viewer's own parser.
struct Stream {
    body: futures::stream::BoxStream<'static, reqwest::Result<bytes::Bytes>>,
    reader: SseReader,
    pending: std::collections::VecDeque<StreamMessage>,
}

impl Stream {
    async fn open(running: &Running) -> Stream {
        let url = format!(
            "http://{}/api/board/stream",
            running.addr.expect("listening")
        );
        let response = reqwest::get(url).await.expect("GET the stream");
        assert_eq!(response.status(), reqwest::StatusCode::OK);
        Stream {
            body: response.bytes_stream().boxed(),
            reader: SseReader::default(),
            pending: std::collections::VecDeque::new(),
        }
    }

    async fn next(&mut self) -> StreamMessage {
        let deadline = Instant::now() + BOUND;
        loop {
            if let Some(message) = self.pending.pop_front() {
                return message;
            }
            let chunk = tokio::time::timeout_at(deadline, self.body.next())
                .await
                .expect("a message in time")
                .expect("the stream goes on")
                .expect("a chunk");
            self.pending
                .extend(self.reader.feed(&chunk).expect("messages of a sane size"));
        }
    }
}

fn field(message: &StreamMessage, name: &str) -> i64 {
    let data: serde_json::Value = serde_json::from_str(&message.data).expect("JSON data");
    data[name]
        .as_i64()
        .unwrap_or_else(|| panic!("{name} in {}", message.event))
}

/// The receiver's own board at `at`, as its API gives it (callers who asked for privacy
/// masked), and the mirror's at the same instant, minus what only a mirror has.
fn both_at(board: &Board, mirror: &Mirror, at: i64) -> (BoardSnapshot, BoardSnapshot) {
    let mut local = board.snapshot(at);
    xsi_wallboard::board::privacy::mask_callers(&mut local, false);
    let mut mirrored = mirror.snapshot(at);
    let attached = mirrored
        .attached
        .take()
        .expect("a mirror says whose board it is");
    assert_eq!(attached.lost, None);
    (local, mirrored)
}

/// Without the ages a mirror counts on from an older message (`since_secs`, `data_age_secs`, a
/// call center's `last_event_secs_ago`): a call center unchanged since an older message has
/// them from that message's instant, a second off at most once counted on. Waits are never
/// left out: they come from `add_time_ms`, exact at any instant.
fn without_ages(mut snapshot: BoardSnapshot) -> BoardSnapshot {
    for agent in &mut snapshot.agents {
        Arc::make_mut(agent).since_secs = 0;
    }
    for queue in &mut snapshot.queues {
        queue.last_event_secs_ago = queue.last_event_secs_ago.map(|_| 0);
        queue.truth.data_age_secs = 0;
        for agent in &mut queue.agents {
            Arc::make_mut(agent).since_secs = 0;
        }
    }
    snapshot
}

/// The screen drawn from `snapshot` as the terminal loop draws it, one string per line.
fn screen(snapshot: &BoardSnapshot, mode: FeedMode, width: u16, height: u16) -> Vec<String> {
    let mut app = App::new();
    let mut snapshot = snapshot.clone();
    app.arrange(&mut snapshot);
    let link = LinkStatus::listen_only("http://127.0.0.1:8765/xsi-events");
    let header = HeaderInfo {
        listen: None,
        mode,
        exposed: false,
    };
    let view = View {
        app: &app,
        board: &snapshot,
        link: &link,
        header: &header,
        theme: Theme::monochrome(),
        now: Instant::now(),
        history: None,
    };
    let mut terminal = Terminal::new(TestBackend::new(width, height)).expect("a test terminal");
    terminal
        .draw(|frame| xsi_wallboard::ui::render(frame, &view))
        .expect("drawn");
    let buffer = terminal.backend().buffer();
    buffer
        .content
        .chunks(usize::from(width))
        .map(|row| row.iter().map(ratatui::buffer::Cell::symbol).collect())
        .collect()
}

/// Everything but the header's first line (mode and address, which name the receiver on a
/// viewer) is the same screen.
fn assert_same_screen(local: &BoardSnapshot, mirrored: &BoardSnapshot) {
    for (width, height) in [(80, 24), (200, 60)] {
        let own = screen(local, FeedMode::ListenOnly, width, height);
        let viewed = screen(mirrored, FeedMode::ListenOnly, width, height);
        assert_eq!(own[1..], viewed[1..], "at {width}x{height}");
    }
}

/// A board first, then changes: at each message's instant the mirror is the receiver's own
/// board (waits, counters, truth, agents, stats), and the screens drawn from both are the
/// same, at 80x24 and 200x60.
#[tokio::test]
async fn a_stream_fed_screen_is_the_local_screen() {
    let running = receiver(any_port()).await;
    let mut feeder = Feeder::new(&running, 7);
    feeder.advance(HISTORY_MS / 2).await;
    settle(&running.board).await;

    let mirror = Mirror::new("http://receiver");
    let mut stream = Stream::open(&running).await;
    let first = stream.next().await;
    assert_eq!(first.event, "board");
    // Applied as if this host's clock were the receiver's: the instant is then exact.
    mirror
        .apply(&first, field(&first, "now_ms"))
        .expect("the board applies");
    let at = field(&first, "taken_at_ms");
    let (local, mirrored) = both_at(&running.board, &mirror, at);
    assert!(
        local.total_waiting() > 0,
        "the model's calls are waiting: {local:?}"
    );
    assert_eq!(local, mirrored);
    assert_same_screen(&local, &mirrored);
    // Timers tick from add_time_ms on the receiver's clock, without any message.
    let later = mirror.snapshot(at + 61_000);
    let longest = |s: &BoardSnapshot| s.longest_wait_secs();
    assert_eq!(
        longest(&later),
        longest(&running.board.snapshot(at + 61_000))
    );
    assert!(longest(&later) >= longest(&mirrored) + 60);

    // Changes: the mirror catches up with the board as the model goes on.
    feeder.advance(HISTORY_MS / 4).await;
    settle(&running.board).await;
    let deadline = Instant::now() + BOUND;
    let mut last = None;
    loop {
        let message = stream.next().await;
        mirror
            .apply(&message, field(&message, "now_ms"))
            .expect("a change applies");
        if message.event == "queues" {
            let at = field(&message, "taken_at_ms");
            let (local, mirrored) = both_at(&running.board, &mirror, at);
            let (local, mirrored) = (without_ages(local), without_ages(mirrored));
            if local == mirrored {
                assert_same_screen(&local, &mirrored);
                break;
            }
            last = Some((local, mirrored));
        }
        assert!(
            Instant::now() < deadline,
            "the mirror never caught up with the board: {last:#?}"
        );
    }
    running.shutdown().await.expect("clean shutdown");
}

/// Until `check` holds for the mirror's board now.
async fn until(mirror: &Mirror, what: &str, check: impl Fn(&BoardSnapshot) -> bool) {
    let deadline = Instant::now() + BOUND;
    loop {
        let snapshot = mirror.snapshot(now_ms());
        if check(&snapshot) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "never {what}: {:?}",
            snapshot.attached
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn header_line(snapshot: &BoardSnapshot) -> String {
    screen(snapshot, FeedMode::Attached, 200, 60).remove(0)
}

/// The receiver stops: every call center is STALE ("receiver lost") at once, the header says
/// RECEIVER LOST; it starts again on the same port: the viewer reconnects by itself and shows
/// the new run's board.
#[tokio::test]
async fn stale_when_the_receiver_is_lost_and_back_on_reconnect() {
    let running = receiver(any_port()).await;
    let addr = running.addr.expect("listening");
    let mut feeder = Feeder::new(&running, 11);
    feeder.advance(HISTORY_MS / 2).await;
    let cancel = CancellationToken::new();
    let url = ReceiverUrl::parse(&format!("http://{addr}")).expect("a URL");
    let attached = attach::attach(&url, None, &cancel).expect("attached");
    let mirror = Arc::clone(&attached.mirror);
    until(&mirror, "showing the board", |s| {
        !s.queues.is_empty() && s.queues.iter().all(|q| !q.truth.stale)
    })
    .await;
    let header = header_line(&mirror.snapshot(now_ms()));
    assert!(
        header.contains(&format!("attached  to {addr}  1 viewer")),
        "{header}"
    );

    running.shutdown().await.expect("clean shutdown");
    until(&mirror, "STALE after the loss", |s| {
        s.queues.iter().all(|q| {
            q.truth.stale
                && q.truth
                    .stale_reason
                    .as_deref()
                    .is_some_and(|r| r.starts_with("receiver lost"))
        })
    })
    .await;
    let lost = mirror.snapshot(now_ms());
    assert!(header_line(&lost).contains("RECEIVER LOST"));
    let panels = screen(&lost, FeedMode::Attached, 80, 24).join("\n");
    assert!(panels.contains("receiver lost"), "{panels}");

    // The same port again, a new run: a whole board replaces the old one.
    let again = receiver(addr).await;
    feeder.to(&again);
    feeder.advance(HISTORY_MS / 4).await;
    settle(&again.board).await;
    until(&mirror, "live again after the reconnect", |s| {
        s.attached.as_ref().is_some_and(|a| a.lost.is_none())
            && !s.queues.is_empty()
            && s.queues.iter().all(|q| !q.truth.stale)
            && s.events.received == again.board.event_counters().received
    })
    .await;
    cancel.cancel();
    attached.join().await;
    again.shutdown().await.expect("clean shutdown");
}

/// A second server on the receiver's board, as the viewer socket or a TCP port with other
/// rules would be: the router, with every request from a local peer (a socket peer is
/// this host), and control refused when `read_only`.
fn viewer_router(running: &Running, read_only: bool, cancel: &CancellationToken) -> axum::Router {
    let state = ListenerState::new(Arc::clone(&running.board), running.events())
        .with_feed(running.link(), running.commands())
        .with_actions(running.actions())
        .with_shutdown(cancel.clone());
    let router = listener::router(state, "/xsi-events");
    let router = if read_only {
        router.layer(axum::middleware::from_fn(
            |request: axum::extract::Request, next: axum::middleware::Next| async move {
                // The control routes, refused as the receiver refuses a read-only viewer.
                let path = request.uri().path();
                if path == listener::RESUBSCRIBE_PATH || path == listener::ACTIONS_PATH {
                    return listener::refusal();
                }
                next.run(request).await
            },
        ))
    } else {
        router
    };
    let local: SocketAddr = "127.0.0.1:1".parse().expect("an address");
    router.layer(axum::Extension(ConnectInfo(local)))
}

/// Until the receiver's status (listen-only) has reached the viewer's status panel.
async fn receivers_status(attached: &attach::Attached) {
    let deadline = Instant::now() + BOUND;
    let mut link = attached.link.clone();
    while !matches!(
        link.borrow().source,
        xsi_wallboard::status::FeedSource::ListenOnly { .. }
    ) {
        tokio::time::timeout_at(deadline, link.changed())
            .await
            .expect("the receiver's status in time")
            .expect("the status goes on");
    }
}

/// `attach unix:/path`: the same board over a Unix socket.
#[tokio::test]
async fn attach_over_a_unix_socket() {
    let running = receiver(any_port()).await;
    let mut feeder = Feeder::new(&running, 5);
    feeder.advance(HISTORY_MS / 2).await;
    settle(&running.board).await;
    let dir = std::env::temp_dir().join(format!("xsi-wallboard-attach-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a directory");
    let path = dir.join("viewers.sock");
    let _ = std::fs::remove_file(&path);
    let socket = tokio::net::UnixListener::bind(&path).expect("bind the socket");
    let cancel = CancellationToken::new();
    let router = viewer_router(&running, false, &cancel);
    let server = tokio::spawn({
        let cancel = cancel.clone();
        async move {
            axum::serve(socket, router)
                .with_graceful_shutdown(cancel.cancelled_owned())
                .await
        }
    });

    let url = ReceiverUrl::parse(&format!("unix:{}", path.display())).expect("a URL");
    let attached = attach::attach(&url, None, &cancel).expect("attached");
    let mirror = Arc::clone(&attached.mirror);
    let queues = running.board.snapshot(now_ms()).queues.len();
    until(&mirror, "showing the board over the socket", |s| {
        s.queues.len() == queues && s.events == running.board.event_counters()
    })
    .await;
    let header = header_line(&mirror.snapshot(now_ms()));
    assert!(
        header.contains(&format!("to unix:{}", path.display())),
        "{header}"
    );
    // The status panel's data came the same way.
    receivers_status(&attached).await;

    cancel.cancel();
    attached.join().await;
    let _ = server.await;
    let _ = std::fs::remove_dir_all(&dir);
    running.shutdown().await.expect("clean shutdown");
}

/// `r` on a viewer the receiver gives no control: the receiver's one refusal, and the viewer
/// says "read-only viewer" on the message line; with control, the receiver takes it.
#[tokio::test]
async fn r_on_a_read_only_viewer_says_so() {
    let running = receiver(any_port()).await;
    let cancel = CancellationToken::new();
    let mut answers = Vec::new();
    for read_only in [true, false] {
        let tcp = tokio::net::TcpListener::bind(any_port())
            .await
            .expect("bind");
        let addr = tcp.local_addr().expect("an address");
        let router = viewer_router(&running, read_only, &cancel);
        let server = tokio::spawn({
            let cancel = cancel.clone();
            async move {
                axum::serve(tcp, router)
                    .with_graceful_shutdown(cancel.cancelled_owned())
                    .await
            }
        });
        let url = ReceiverUrl::parse(&format!("http://{addr}")).expect("a URL");
        let mut attached = attach::attach(&url, None, &cancel).expect("attached");
        receivers_status(&attached).await;
        attached
            .commands
            .send(FeedCommand::Resubscribe(None))
            .expect("the command task listens");
        let said = tokio::time::timeout(BOUND, attached.notices.recv())
            .await
            .expect("an answer in time")
            .expect("a notice");
        answers.push(said);
        server.abort();
        attached.mirror.lose("test over");
    }
    assert!(answers[0].starts_with("read-only viewer"), "{answers:?}");
    // With control the receiver takes it; a listen-only one has no XSP to ask, and the viewer
    // says so as the receiver's own screen would.
    assert_eq!(answers[1], "listen-only receiver: no XSP to resubscribe to");
    assert_eq!(
        attach::notice(None, &Resubscribed::ReadOnly),
        answers[0],
        "the same words as the screen's"
    );
    cancel.cancel();
    running.shutdown().await.expect("clean shutdown");
}

/// The message line shows the answer: the terminal loop's notices reach the screen.
#[tokio::test]
async fn the_read_only_notice_reaches_the_message_line() {
    let mut app = App::new().with_feed_mode(FeedMode::Attached);
    let snapshot = Mirror::new("http://receiver").snapshot(now_ms());
    let outcome = app.apply(xsi_wallboard::app::Action::ResubscribeAll, &snapshot.queues);
    assert_eq!(
        outcome,
        xsi_wallboard::app::Outcome::Send(FeedCommand::Resubscribe(None))
    );
    app.say(
        attach::notice(None, &Resubscribed::ReadOnly),
        Instant::now(),
    );
    let link = LinkStatus::default();
    let header = HeaderInfo {
        listen: None,
        mode: FeedMode::Attached,
        exposed: false,
    };
    let view = View {
        app: &app,
        board: &snapshot,
        link: &link,
        header: &header,
        theme: Theme::monochrome(),
        now: Instant::now(),
        history: None,
    };
    let mut terminal = Terminal::new(TestBackend::new(80, 24)).expect("a test terminal");
    terminal
        .draw(|frame| xsi_wallboard::ui::render(frame, &view))
        .expect("drawn");
    let text = format!("{}", terminal.backend());
    assert!(text.contains("read-only viewer"), "{text}");
    assert!(text.contains("waiting for the receiver's board"), "{text}");
}

/// The receiver counts its stream viewers: each connected one is in `board` and `heartbeat`
/// messages and in `/api/status`; one that leaves is no longer counted.
#[tokio::test]
async fn the_receiver_counts_its_viewers() {
    let running = receiver(any_port()).await;
    let status = || async {
        let url = format!("http://{}/api/status", running.addr.expect("listening"));
        let text = reqwest::get(url)
            .await
            .expect("GET /api/status")
            .text()
            .await
            .expect("a body");
        let json: serde_json::Value = serde_json::from_str(&text).expect("JSON");
        json["viewers"].as_u64().expect("viewers in the status")
    };
    assert_eq!(status().await, 0);
    let mut first = Stream::open(&running).await;
    assert_eq!(field(&first.next().await, "viewers"), 1);
    let mut second = Stream::open(&running).await;
    assert_eq!(field(&second.next().await, "viewers"), 2);
    assert_eq!(status().await, 2);
    drop(second);
    let deadline = Instant::now() + BOUND;
    while status().await != 1 {
        assert!(Instant::now() < deadline, "a viewer gone is still counted");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // The next heartbeat of the one left says so too.
    let heartbeat = loop {
        let message = first.next().await;
        if message.event == "heartbeat" {
            break message;
        }
    };
    assert_eq!(field(&heartbeat, "viewers"), 1);
    running.shutdown().await.expect("clean shutdown");
}

/// An action confirmed on a viewer goes to the receiver's `POST /api/actions`, which checks it
/// again: a read-only viewer is told so, one with control gets the receiver's own reason.
#[tokio::test]
async fn an_action_on_a_viewer_is_the_receivers_to_take() {
    let running = receiver(any_port()).await;
    let cancel = CancellationToken::new();
    let mut answers = Vec::new();
    for read_only in [true, false] {
        let tcp = tokio::net::TcpListener::bind(any_port())
            .await
            .expect("bind");
        let addr = tcp.local_addr().expect("an address");
        let router = viewer_router(&running, read_only, &cancel);
        let server = tokio::spawn({
            let cancel = cancel.clone();
            async move {
                axum::serve(tcp, router)
                    .with_graceful_shutdown(cancel.cancelled_owned())
                    .await
            }
        });
        let url = ReceiverUrl::parse(&format!("http://{addr}")).expect("a URL");
        let attached = attach::attach(&url, None, &cancel).expect("attached");
        let request = xsi_wallboard::actions::ActionRequest {
            call_center: "sales@example.com".into(),
            call_id: "callhalf-1:0".into(),
            action: xsi_wallboard::actions::CallAction::Release,
        };
        let said = tokio::time::timeout(BOUND, attached.receiver.act(&request))
            .await
            .expect("an answer in time");
        answers.push(said);
        server.abort();
        attached.mirror.lose("test over");
    }
    assert_eq!(
        answers[0],
        "release not sent: read-only viewer: actions need control scope on the receiver"
    );
    // This receiver allows no actions: it says so itself, and nothing reaches an XSP.
    assert!(
        answers[1].starts_with("release not sent: the receiver refused: actions are off"),
        "{answers:?}"
    );
    cancel.cancel();
    running.shutdown().await.expect("clean shutdown");
}
