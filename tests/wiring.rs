//! The whole wallboard wired to a (mock) XSP: the subscriber starts with the listener, hears
//! `SubscriptionTerminatedEvent`s through it, takes `r` from the UI's command channel, and
//! deletes its subscriptions on the way out; the binary does the same from its flags.

#[path = "common/feed_words.rs"]
mod feed_words;
#[path = "common/mock_xsp.rs"]
mod mock_xsp;
use feed_words::Words as _;

use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;

use axum::http::Method;
use mock_xsp::{AUTHORIZATION, Call, MockXsp, PASSWORD, USER, channel_id, subscription_id};
use reqwest::{StatusCode, Url};
use tokio::io::{AsyncBufReadExt, BufReader};
use xsi_wallboard::config::{Mode, Secret, Targets, Timing, XspSettings};
use xsi_wallboard::run::{self, StartOptions};
use xsi_wallboard::status::FeedCommand;
use xsi_wallboard::xsi::Package;
use xsi_wallboard::xsi::request::Delivery;
use xsi_wallboard::xsi::{
    CallEvent, CallEventKind, Envelope, EventData, QueueEntry, write_queue_event,
};

const CALL_CENTER: &str = "sales@example.com";
const QUEUE: Package = Package::Queue;
/// Generous: the CI machine is slow and shared. Never a timing assertion, only a give-up bound.
const BOUND: Duration = Duration::from_secs(30);

fn settings(mock: &MockXsp, contact: &str) -> XspSettings {
    XspSettings {
        xsp_url: Url::parse(&mock.url).expect("mock url"),
        user: USER.into(),
        password: Secret::new(PASSWORD),
        delivery: Delivery::HttpContact(contact.into()),
        targets: Targets::CallCenters(vec![CALL_CENTER.into()]),
        events: vec![QUEUE],
        expires: 3600,
        application_id: "xsi-wallboard/test/wiring".into(),
        ca_file: None,
        mode: Mode::Contact,
        heartbeat_secs: 15,
        agents: Vec::new(),
        timing: Timing {
            backoff_base: Duration::from_millis(20),
            backoff_max: Duration::from_millis(200),
            min_refresh: Duration::from_millis(50),
            shutdown_budget: Duration::from_secs(2),
            request_timeout: Duration::from_secs(5),
            initial_event_wait: Duration::from_secs(10),
        },
    }
}

fn terminated_xml(subscription_id: &str) -> String {
    let envelope = Envelope {
        event_id: Arc::from("terminated-1"),
        sequence_number: Some(2),
        user_id: Arc::from(CALL_CENTER),
        subscription_id: Arc::from(subscription_id),
        target_id: Some(Arc::from(CALL_CENTER)),
        ..Envelope::default()
    };
    write_queue_event(&envelope, &EventData::SubscriptionTerminated)
}

#[tokio::test]
async fn subscriber_runs_with_the_listener_and_deletes_before_it_stops() {
    let mock = MockXsp::start(3600).await;
    let running = run::start(StartOptions {
        listen: "127.0.0.1:0".parse().expect("address"),
        xsp: Some(settings(&mock, "http://wallboard.example:8765/xsi-events")),
        ..StartOptions::default()
    })
    .await
    .expect("start");
    assert!(running.subscribes());

    let first = mock.wait_for_count(Method::POST, 1).await;
    assert_eq!(
        first[0].path,
        format!("/com.broadsoft.xsi-events/v2.0/user/{CALL_CENTER}")
    );
    assert_eq!(first[0].authorization.as_deref(), Some(AUTHORIZATION));
    assert!(
        first[0]
            .body
            .contains("http://wallboard.example:8765/xsi-events"),
        "{}",
        first[0].body
    );
    // The UI's status line is the subscriber's, not the listen-only note.
    let mut link = running.link();
    let shown = tokio::time::timeout(
        BOUND,
        link.wait_for(|s| s.details().iter().any(|d| d.contains(CALL_CENTER))),
    )
    .await
    .expect("status names the call center within the bound")
    .expect("status channel open")
    .clone();
    assert!(!shown.summary().contains("listen-only"), "{shown:?}");

    // The XSP ends the subscription through the listener: the subscriber subscribes again.
    let client = reqwest::Client::new();
    let answer = client
        .post(running.event_url().expect("listening"))
        .header("content-type", "application/xml")
        .body(terminated_xml(&subscription_id(1)))
        .send()
        .await
        .expect("POST to the listener");
    assert_eq!(answer.status(), StatusCode::OK);
    mock.wait_for_count(Method::POST, 2).await;

    // `r` from the UI reaches the subscriber.
    running
        .commands()
        .send(FeedCommand::Resubscribe(None))
        .expect("command channel open");
    mock.wait_for_count(Method::POST, 3).await;
    // `r` deleted the second subscription before it made the third.
    let delete = |n| {
        format!(
            "/com.broadsoft.xsi-events/v2.0/subscription/{}",
            subscription_id(n)
        )
    };
    let paths = |requests: Vec<mock_xsp::Recorded>| -> Vec<String> {
        requests.into_iter().map(|r| r.path).collect()
    };
    assert_eq!(paths(mock.requests_with(&Method::DELETE)), [delete(2)]);

    tokio::time::timeout(BOUND, running.shutdown())
        .await
        .expect("shutdown within the bound")
        .expect("clean shutdown");
    assert_eq!(
        paths(mock.requests_with(&Method::DELETE)),
        [delete(2), delete(3)],
        "the subscription held is deleted on shutdown"
    );
}

#[tokio::test]
async fn without_an_xsp_commands_are_taken_and_nothing_subscribes() {
    let running = run::start(StartOptions {
        listen: "127.0.0.1:0".parse().expect("address"),
        ..StartOptions::default()
    })
    .await
    .expect("start");
    assert!(!running.subscribes());
    assert!(running.link().borrow().summary().contains("listen-only"));
    running
        .commands()
        .send(FeedCommand::Resubscribe(None))
        .expect("command channel open");
    running.shutdown().await.expect("clean shutdown");
}

fn added_on_channel(n: u32, call_id: &str) -> String {
    let envelope = Envelope {
        event_id: Arc::from(format!("channel-event-{n}")),
        sequence_number: Some(n),
        user_id: Arc::from(USER),
        subscription_id: Arc::from(subscription_id(1)),
        channel_id: Some(Arc::from(channel_id(1))),
        target_id: Some(Arc::from(CALL_CENTER)),
        ..Envelope::default()
    };
    let entry = QueueEntry {
        call_id: Arc::from(call_id),
        ext_tracking_id: Arc::from(format!("{n}:1")),
        add_time: Some(1_700_000_000_000),
        acd_name: Some(Arc::from("Sales")),
        ..QueueEntry::default()
    };
    write_queue_event(
        &envelope,
        &EventData::Call(CallEvent {
            kind: CallEventKind::Added,
            entry,
            position: None,
            overflow_reason: None,
        }),
    )
}

/// `mode = channel`: the wallboard opens the event channel instead of naming a contact, the
/// events it carries reach the same board (and its intake counters), the listener refuses
/// event POSTs, and quitting deletes the subscription and then the channel.
#[tokio::test]
async fn channel_mode_feeds_the_same_board_and_the_listener_takes_no_events() {
    let mock = MockXsp::start(3600).await;
    let mut xsp = settings(&mock, "http://unused.example/xsi-events");
    xsp.mode = Mode::Channel;
    let running = run::start(StartOptions {
        listen: "127.0.0.1:0".parse().expect("address"),
        xsp: Some(xsp),
        ..StartOptions::default()
    })
    .await
    .expect("start");
    assert!(running.subscribes());
    assert!(running.channel_mode());

    mock.wait_for_channel(1).await;
    let subscribed = mock.wait_for_count(Method::POST, 2).await;
    let subscription = subscribed
        .iter()
        .find(|r| r.path.ends_with(&format!("/user/{CALL_CENTER}")))
        .expect("a subscription for the call center");
    assert!(
        subscription.body.contains("channelSetId") && !subscription.body.contains("httpContact"),
        "{}",
        subscription.body
    );

    // BroadWorks sends the initial event down the channel first (number 1, an empty queue);
    // the call comes after it, with the next number.
    mock.wait_for_deliveries("the initial event down the channel", |d| {
        d.iter().any(|d| d.initial && d.reached())
    })
    .await;
    let granted = mock.wait_for_subscription(CALL_CENTER, QUEUE.name()).await;
    mock.send(&granted.id, Call::new("call-1").event(CallEventKind::Added));
    let mut changes = running.board.changes();
    tokio::time::timeout(BOUND, async {
        while running.board.snapshot(0).total_waiting() == 0 {
            let _ = changes.changed().await;
        }
    })
    .await
    .expect("the channel's event reached the board within the bound");
    let counters = running.board.event_counters();
    assert_eq!(
        counters.received, 2,
        "the initial event and the call: {counters:?}"
    );

    let refused = reqwest::Client::new()
        .post(running.event_url().expect("listening"))
        .body(added_on_channel(2, "call-2"))
        .send()
        .await
        .expect("listener answers");
    assert_eq!(refused.status(), StatusCode::NOT_FOUND);
    assert_eq!(running.board.snapshot(0).total_waiting(), 1);

    running.shutdown().await.expect("clean shutdown");
    let deletes: Vec<String> = mock
        .requests_with(&Method::DELETE)
        .into_iter()
        .map(|r| r.path)
        .collect();
    assert_eq!(
        deletes,
        [
            format!(
                "/com.broadsoft.xsi-events/v2.0/subscription/{}",
                subscription_id(1)
            ),
            format!("/com.broadsoft.xsi-events/v2.0/channel/{}", channel_id(1)),
        ]
    );
}

/// The binary from its flags: the listener serves the contact URL's path, the subscription
/// names that URL, and SIGTERM deletes the subscription before the process exits 0.
#[cfg(unix)]
#[tokio::test]
async fn binary_subscribes_from_flags_and_deletes_on_sigterm() {
    let mock = MockXsp::start(3600).await;
    let config_home =
        std::env::temp_dir().join(format!("xsi-wallboard-wiring-{}", std::process::id()));
    let contact = "http://127.0.0.1:9/bw/contact";
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_xsi-wallboard"))
        .args([
            "--headless",
            "--listen",
            "127.0.0.1:0",
            "--xsp-url",
            &mock.url,
            "--xsp-user",
            USER,
            "--contact-url",
            contact,
            "--callcenter",
            CALL_CENTER,
            "--events",
            QUEUE.name(),
        ])
        // No configuration file of the machine running the tests may leak in.
        .env("XDG_CONFIG_HOME", &config_home)
        .env("HOME", &config_home)
        .env("XSI_PASSWORD", PASSWORD)
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
    let first = tokio::time::timeout(BOUND, lines.next_line())
        .await
        .expect("announced within the bound")
        .expect("stdout readable")
        .expect("a first line");
    assert!(
        first.starts_with("listening on http://127.0.0.1:") && first.ends_with("/bw/contact"),
        "the listener must serve the contact URL's path: {first}"
    );

    let posts = mock.wait_for_count(Method::POST, 1).await;
    assert!(posts[0].body.contains(contact), "{}", posts[0].body);
    assert!(
        !posts[0].body.contains(PASSWORD),
        "the password leaked into the body"
    );

    let pid = child.id().expect("child running");
    // The helper the no-listen test relies on does see a listener when there is one.
    #[cfg(target_os = "linux")]
    assert_eq!(listening_sockets(pid), 1);
    let killed = std::process::Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()
        .expect("run kill");
    assert!(killed.success());
    let exit = tokio::time::timeout(BOUND, child.wait())
        .await
        .expect("exited within the bound after SIGTERM")
        .expect("exit status");
    assert!(exit.success(), "exit after SIGTERM: {exit}");
    let deletes = mock.requests_with(&Method::DELETE);
    assert_eq!(deletes.len(), 1, "{deletes:#?}");
    assert_eq!(
        deletes[0].path,
        format!(
            "/com.broadsoft.xsi-events/v2.0/subscription/{}",
            subscription_id(1)
        )
    );
    let _ = std::fs::remove_dir_all(config_home);
}

/// Mistakes in the XSP settings stop the start with a plain message and exit code 2.
#[test]
fn bad_xsp_settings_are_usage_errors() {
    let cases: [(&[&str], &str); 3] = [
        (
            &[
                "--xsp-url",
                "https://xsp.example.com",
                "--xsp-user",
                "sup@example.com",
                "--contact-url",
                "https://wb.example.com/xsi-events",
            ],
            "no XSP password",
        ),
        (&["--xsp-url", "https://xsp.example.com"], "no account"),
        (
            &["--demo", "--xsp-url", "https://xsp.example.com"],
            "cannot be used with",
        ),
    ];
    let home = std::env::temp_dir().join(format!("xsi-wallboard-usage-{}", std::process::id()));
    for (args, expected) in cases {
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_xsi-wallboard"))
            .args(["--headless", "--listen", "127.0.0.1:0"])
            .args(args)
            .env("XDG_CONFIG_HOME", &home)
            .env("HOME", &home)
            .env_remove("XSI_PASSWORD")
            .env_remove("XSI_WALLBOARD_LOG_FILE")
            .stdin(Stdio::null())
            .output()
            .expect("run xsi-wallboard");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(expected), "{args:?}: {stderr}");
    }
    let _ = std::fs::remove_dir_all(home);
}

/// Listening TCP sockets held by process `pid` (Linux: its socket fds against /proc/net/tcp*).
#[cfg(target_os = "linux")]
fn listening_sockets(pid: u32) -> usize {
    let inodes: std::collections::HashSet<String> = std::fs::read_dir(format!("/proc/{pid}/fd"))
        .map(|dir| {
            dir.filter_map(Result::ok)
                .filter_map(|fd| std::fs::read_link(fd.path()).ok())
                .filter_map(|target| {
                    let target = target.to_string_lossy().into_owned();
                    target
                        .strip_prefix("socket:[")
                        .and_then(|rest| rest.strip_suffix(']'))
                        .map(str::to_owned)
                })
                .collect()
        })
        .unwrap_or_default();
    ["/proc/net/tcp", "/proc/net/tcp6"]
        .iter()
        .filter_map(|table| std::fs::read_to_string(table).ok())
        .flat_map(|table| {
            table
                .lines()
                .skip(1)
                .map(|line| {
                    let fields: Vec<&str> = line.split_whitespace().collect();
                    // st is the 4th field, inode the 10th; 0A is LISTEN.
                    (
                        fields.get(3).copied() == Some("0A"),
                        fields.get(9).map(|s| (*s).to_owned()),
                    )
                })
                .collect::<Vec<_>>()
        })
        .filter(|(listen, inode)| *listen && inode.as_ref().is_some_and(|i| inodes.contains(i)))
        .count()
}

/// `--mode channel --no-listen`: the binary opens no listening socket at all, takes its events
/// over the channel, and still deletes its subscription and the channel on SIGTERM.
#[cfg(target_os = "linux")]
#[tokio::test]
async fn channel_mode_with_no_listen_opens_no_socket() {
    let mock = MockXsp::start(3600).await;
    let config_home =
        std::env::temp_dir().join(format!("xsi-wallboard-nolisten-{}", std::process::id()));
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_xsi-wallboard"))
        .args([
            "--headless",
            "--no-listen",
            "--mode",
            "channel",
            "--xsp-url",
            &mock.url,
            "--xsp-user",
            USER,
            "--callcenter",
            CALL_CENTER,
            "--events",
            QUEUE.name(),
        ])
        .env("XDG_CONFIG_HOME", &config_home)
        .env("HOME", &config_home)
        .env("XSI_PASSWORD", PASSWORD)
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
    let first = tokio::time::timeout(BOUND, lines.next_line())
        .await
        .expect("announced within the bound")
        .expect("stdout readable")
        .expect("a first line");
    assert_eq!(first, "not listening (--no-listen)");

    mock.wait_for_channel(1).await;
    mock.wait_until("the subscription over the channel", |r| {
        r.iter()
            .any(|r| r.method == Method::POST && r.path.ends_with(&format!("/user/{CALL_CENTER}")))
    })
    .await;
    let pid = child.id().expect("child running");
    assert_eq!(listening_sockets(pid), 0, "no listening socket may be open");

    let killed = std::process::Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()
        .expect("run kill");
    assert!(killed.success());
    let exit = tokio::time::timeout(BOUND, child.wait())
        .await
        .expect("exited within the bound after SIGTERM")
        .expect("exit status");
    assert!(exit.success(), "exit after SIGTERM: {exit}");
    let deletes: Vec<String> = mock
        .requests_with(&Method::DELETE)
        .into_iter()
        .map(|r| r.path)
        .collect();
    assert_eq!(
        deletes,
        [
            format!(
                "/com.broadsoft.xsi-events/v2.0/subscription/{}",
                subscription_id(1)
            ),
            format!("/com.broadsoft.xsi-events/v2.0/channel/{}", channel_id(1)),
        ]
    );
    let _ = std::fs::remove_dir_all(config_home);
}

/// `--no-listen` without channel mode could never receive an event: refused at start.
#[tokio::test]
async fn no_listen_in_contact_mode_is_refused() {
    let mock = MockXsp::start(3600).await;
    let refused = run::start(StartOptions {
        xsp: Some(settings(&mock, "http://wallboard.example/xsi-events")),
        no_listen: true,
        ..StartOptions::default()
    })
    .await;
    let error = refused.expect_err("refused");
    assert!(error.to_string().contains("--mode channel"), "{error:#}");
}

/// With an XSP, the day's counters are written to the state file on the way out and taken
/// back by the next start.
#[tokio::test]
async fn counters_survive_a_restart_through_the_state_file() {
    use xsi_wallboard::board::{Input, now_ms};
    use xsi_wallboard::run::StateFile;
    use xsi_wallboard::xsi::{Event, SubscriptionEvent};

    let mock = MockXsp::start(3600).await;
    let dir = std::env::temp_dir().join(format!("xsi-wallboard-restart-{}", std::process::id()));
    let state = StateFile {
        path: dir.join("counters.json"),
        key: format!("{} sales", mock.url),
    };
    let options = || StartOptions {
        listen: "127.0.0.1:0".parse().expect("address"),
        xsp: Some(settings(&mock, "http://wallboard.example/xsi-events")),
        state_file: Some(state.clone()),
        ..StartOptions::default()
    };
    let running = run::start(options()).await.expect("start");
    let answered = Event::Subscription(SubscriptionEvent {
        envelope: Envelope {
            event_id: Arc::from("answered-1"),
            user_id: Arc::from(CALL_CENTER),
            target_id: Some(Arc::from(CALL_CENTER)),
            ..Envelope::default()
        },
        data: EventData::Call(CallEvent {
            kind: CallEventKind::AnsweredByAgent,
            entry: QueueEntry {
                call_id: Arc::from("call-1"),
                add_time: Some(now_ms() - 30_000),
                remove_time: Some(now_ms() - 10_000),
                ..QueueEntry::default()
            },
            position: None,
            overflow_reason: None,
        }),
    });
    running
        .events()
        .send(Input::Event {
            event: answered,
            arrival_ms: now_ms(),
            raw: None,
        })
        .await
        .expect("applier running");
    let mut changes = running.board.changes();
    tokio::time::timeout(BOUND, async {
        while running.board.snapshot(now_ms()).total_answered() == 0 {
            let _ = changes.changed().await;
        }
    })
    .await
    .expect("applied within the bound");
    running.shutdown().await.expect("clean shutdown");
    assert!(state.path.exists(), "written on the way out");

    let again = run::start(options()).await.expect("start again");
    let snapshot = again.board.snapshot(now_ms());
    assert_eq!(snapshot.total_answered(), 1, "{snapshot:#?}");
    again.shutdown().await.expect("clean shutdown");
    let _ = std::fs::remove_dir_all(dir);
}
