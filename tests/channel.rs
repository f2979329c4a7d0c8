//! Event channel mode (issue 7): the splitter, the frames, and the channel lifecycle against the
//! mock XSP's streaming channel endpoint.

#[path = "common/feed_words.rs"]
mod feed_words;
#[path = "common/mock_xsp.rs"]
mod mock_xsp;
use feed_words::Words as _;
#[path = "common/tools.rs"]
mod tools;

use std::sync::Arc;
use std::time::Duration;

use axum::http::Method;
use bytes::Bytes;
use mock_xsp::{MockXsp, PASSWORD, Recorded, Reply, USER, channel_id, channel_terminated};
use proptest::prelude::*;
use reqwest::Url;
use tokio::sync::{mpsc, watch};
use tokio_util::sync::CancellationToken;
use xsi_wallboard::board::{self, Applier, Board, BoardConfig, Input, QueueRow, now_ms};
use xsi_wallboard::channel::{self, ChannelHandle, Frame, SplitError, Splitter};
use xsi_wallboard::config::{Mode, Secret, Targets, Timing, XspSettings};
use xsi_wallboard::intake::Intake;
use xsi_wallboard::listener::{self, ListenerState};
use xsi_wallboard::status::{FeedCommand, Health, LinkStatus};
use xsi_wallboard::xsi::request::{Delivery, EventResponse, EventResponseStatus};
use xsi_wallboard::xsi::{
    CallEvent, CallEventKind, Envelope, Event, EventData, Package, QueueEntry, write_queue_event,
};

const CALL_CENTER: &str = "sales@example.com";
const APP_ID: &str = "xsi-wallboard/test/default";
const CHANNEL_SET: &str = "wallboard-set-1";
/// Bound on any wait for the wallboard to catch up: generous, the CI machine is slow.
const PATIENCE: Duration = Duration::from_secs(30);

// ---------------------------------------------------------------------------------------------
// The splitter

fn split_all(chunks: &[&[u8]]) -> Result<Vec<Bytes>, SplitError> {
    let mut splitter = Splitter::new();
    let mut out = Vec::new();
    for chunk in chunks {
        splitter.push(chunk, &mut out)?;
    }
    Ok(out)
}

const HEARTBEAT: &str = r#"<ChannelHeartBeat xmlns="http://schema.broadsoft.com/xsi"/>"#;

#[test]
fn several_documents_in_one_chunk_come_out_one_by_one() {
    let stream = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Channel><channelId>c</channelId></Channel>\r\n\
         {HEARTBEAT}  <?xml version=\"1.0\"?><!-- between --><a><b/><c>x</c></a>\n"
    );
    let docs = split_all(&[stream.as_bytes()]).expect("splits");
    let docs: Vec<&[u8]> = docs.iter().map(Bytes::as_ref).collect();
    assert_eq!(
        docs,
        [
            b"<Channel><channelId>c</channelId></Channel>".as_slice(),
            HEARTBEAT.as_bytes(),
            b"<a><b/><c>x</c></a>".as_slice(),
        ]
    );
}

#[test]
fn a_document_split_byte_by_byte_comes_out_whole_and_once() {
    let doc = r#"<e a="1>2" b='<'><![CDATA[</e> <x>]]><!-- </e> --><?pi </e>?><f/></e>"#;
    let bytes = doc.as_bytes();
    let chunks: Vec<&[u8]> = bytes.chunks(1).collect();
    let mut splitter = Splitter::new();
    let mut out = Vec::new();
    for (i, chunk) in chunks.iter().enumerate() {
        splitter.push(chunk, &mut out).expect("splits");
        assert_eq!(
            out.is_empty(),
            i + 1 < bytes.len(),
            "emitted early at byte {i}"
        );
        assert_eq!(splitter.is_between_documents(), i + 1 == bytes.len());
    }
    assert_eq!(out, [Bytes::from_static(bytes)]);
}

#[test]
fn text_outside_documents_and_unbalanced_ends_are_refused() {
    assert!(matches!(
        split_all(&[b"<a/> junk <b/>"]),
        Err(SplitError::StrayText(_))
    ));
    assert_eq!(split_all(&[b"</a>"]), Err(SplitError::Unbalanced));
    let huge = format!("<a>{}", "x".repeat(channel::split::MAX_DOCUMENT_BYTES));
    assert_eq!(split_all(&[huge.as_bytes()]), Err(SplitError::TooLarge));
}

/// Real documents: the channel samples and a few events, as the stream would carry them.
fn sample_stream() -> (Vec<u8>, Vec<String>) {
    let docs: Vec<String> = vec![
        format!(
            r#"<Channel xmlns="http://schema.broadsoft.com/xsi"><channelId>{}</channelId><expires>3600</expires></Channel>"#,
            channel_id(1)
        ),
        call_event(1, CallEventKind::Added, "call-1"),
        HEARTBEAT.to_owned(),
        call_event(2, CallEventKind::Added, "call-2 & <friends>"),
        r#"<ChannelHeartbeat xmlns="http://schema.broadsoft.com/xsi"></ChannelHeartbeat>"#
            .to_owned(),
        channel_terminated("c", "Expired"),
    ];
    let mut stream = Vec::new();
    for (i, doc) in docs.iter().enumerate() {
        // Declarations and whitespace between documents, as BroadWorks and proxies write them.
        if i % 2 == 1 {
            stream.extend_from_slice(b"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        }
        stream.extend_from_slice(doc.as_bytes());
        stream.extend_from_slice(b"\r\n");
    }
    // The splitter hands out from the root element on: strip what precedes it.
    let roots = docs
        .iter()
        .map(|d| {
            let start = d
                .find("<xsi:Event")
                .or_else(|| d.rfind("?>\n").map(|i| i + 3));
            d[start.unwrap_or(0)..].to_owned()
        })
        .collect();
    (stream, roots)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn any_chunking_yields_the_same_documents(mut cuts in prop::collection::vec(0usize..4000, 0..40)) {
        let (stream, expected) = sample_stream();
        cuts.sort_unstable();
        let mut chunks = Vec::new();
        let mut start = 0;
        for cut in cuts.into_iter().chain(std::iter::once(stream.len())) {
            let cut = cut.min(stream.len()).max(start);
            chunks.push(&stream[start..cut]);
            start = cut;
        }
        let docs = split_all(&chunks).expect("splits");
        let docs: Vec<String> = docs.iter().map(|d| String::from_utf8_lossy(d).into_owned()).collect();
        prop_assert_eq!(docs, expected);
    }
}

// ---------------------------------------------------------------------------------------------
// Frames

#[test]
fn frames_are_told_apart_by_their_root() {
    let channel = Frame::parse(
        br#"<Channel xmlns="http://schema.broadsoft.com/xsi"><channelId>abc</channelId><expires>7200</expires></Channel>"#,
    );
    assert_eq!(
        channel,
        Frame::Channel {
            channel_id: Arc::from("abc"),
            expires: Some(7200)
        }
    );
    assert_eq!(Frame::parse(HEARTBEAT.as_bytes()), Frame::Heartbeat);
    assert_eq!(
        Frame::parse(b"<xsi:ChannelHeartbeat xmlns:xsi=\"x\"/>"),
        Frame::Heartbeat
    );
    assert_eq!(Frame::parse(b"<Mystery/>"), Frame::Other("Mystery".into()));
    assert!(matches!(
        Frame::parse(
            br#"<Channel xmlns="http://schema.broadsoft.com/xsi"><expires>1</expires></Channel>"#
        ),
        Frame::Unparsable(_)
    ));

    let event = Frame::parse(call_event(7, CallEventKind::Added, "c").as_bytes());
    assert_eq!(event.ack_id().map(|id| &**id), Some("event-7"));
    let terminated = Frame::parse(channel_terminated("c", "MaxChannelsReached").as_bytes());
    assert!(
        matches!(&terminated, Frame::Event(Event::ChannelTerminated(t)) if &*t.reason == "MaxChannelsReached")
    );
    assert_eq!(
        terminated.ack_id(),
        None,
        "ChannelTerminatedEvent is never acknowledged"
    );
}

// ---------------------------------------------------------------------------------------------
// Events for the stream and the contact

/// The `n`th event of the scenario. Its `sequenceNumber` is `n + 1`: number 1 of the
/// subscription went to the XSP's initial event (an empty queue), sent before anything else.
fn call_event(n: u32, kind: CallEventKind, call_id: &str) -> String {
    call_event_of(&mock_xsp::subscription_id(1), n, kind, call_id)
}

/// `call_event` of another subscription.
fn call_event_of(subscription_id: &str, n: u32, kind: CallEventKind, call_id: &str) -> String {
    let envelope = Envelope {
        event_id: Arc::from(format!("event-{n}")),
        sequence_number: Some(n + 1),
        user_id: Arc::from(USER),
        external_application_id: Arc::from(APP_ID),
        subscription_id: Arc::from(subscription_id),
        channel_id: Some(Arc::from(channel_id(1))),
        http_contact: None,
        target_id: Some(Arc::from(CALL_CENTER)),
    };
    let entry = QueueEntry {
        call_id: Arc::from(call_id),
        ext_tracking_id: Arc::from(format!("{n}:1")),
        add_time: Some(1_700_000_000_000 + i64::from(n)),
        acd_name: Some(Arc::from("Sales")),
        ..QueueEntry::default()
    };
    let data = EventData::Call(CallEvent {
        kind,
        entry,
        position: None,
        overflow_reason: None,
    });
    write_queue_event(&envelope, &data)
}

/// Six events: three calls come, one is answered, one abandoned; `call-3` waits at the end.
fn scenario() -> Vec<String> {
    scenario_of(&mock_xsp::subscription_id(1))
}

/// The scenario as the `n`th subscription sends it. A reopened channel subscribes again (the
/// old subscription is deleted): what comes after a reopen is the new subscription's, and the
/// old one's events are answered 481 and never applied.
fn scenario_after_reopen(n: u32) -> Vec<String> {
    scenario_of(&mock_xsp::subscription_id(n))
}

fn scenario_of(subscription_id: &str) -> Vec<String> {
    let event = |n, kind, call_id| call_event_of(subscription_id, n, kind, call_id);
    vec![
        event(1, CallEventKind::Added, "call-1"),
        event(2, CallEventKind::Added, "call-2"),
        event(3, CallEventKind::OfferedToAgent, "call-1"),
        event(4, CallEventKind::AnsweredByAgent, "call-1"),
        event(5, CallEventKind::Added, "call-3"),
        event(6, CallEventKind::Abandoned, "call-2"),
    ]
}

// ---------------------------------------------------------------------------------------------
// The channel against the mock XSP

fn settings(mock: &MockXsp) -> XspSettings {
    XspSettings {
        xsp_url: Url::parse(&mock.url).expect("mock url"),
        user: USER.into(),
        password: Secret::new(PASSWORD),
        delivery: Delivery::ChannelSet(CHANNEL_SET.into()),
        targets: Targets::CallCenters(vec![CALL_CENTER.into()]),
        events: vec![Package::Queue],
        expires: 3600,
        application_id: APP_ID.into(),
        ca_file: None,
        mode: Mode::Channel,
        // Short, so heartbeats are seen within the test; the mock answers each on the stream,
        // so the silence check (two intervals) does not fire on a healthy channel.
        heartbeat_secs: 1,
        agents: Vec::new(),
        timing: Timing {
            backoff_base: Duration::from_millis(20),
            backoff_max: Duration::from_millis(200),
            min_refresh: Duration::from_millis(50),
            shutdown_budget: Duration::from_secs(1),
            request_timeout: Duration::from_secs(5),
            initial_event_wait: Duration::from_secs(10),
        },
    }
}

struct Wallboard {
    board: Arc<Board>,
    handle: ChannelHandle,
    status: watch::Receiver<LinkStatus>,
    cancel: CancellationToken,
}

fn start(mock: &MockXsp) -> Wallboard {
    start_with(settings(mock))
}

fn start_with(settings: XspSettings) -> Wallboard {
    let board = Arc::new(Board::new(BoardConfig::default(), now_ms()));
    let (tx, rx) = board::channel();
    let cancel = CancellationToken::new();
    // As the wallboard wires it: the applier's repairs and terminations go to the channel.
    let handle = channel::spawn(settings, Intake::new(board.clone(), tx), cancel.clone());
    tokio::spawn(board::run_applier(
        rx,
        Applier::new(board.clone()).with_commands(handle.control()),
        cancel.clone(),
    ));
    let status = handle.status();
    Wallboard {
        board,
        handle,
        status,
        cancel,
    }
}

/// The call center's row once `done` holds (bounded, not timed).
async fn queue_when(board: &Board, what: &str, done: impl Fn(&QueueRow) -> bool) -> QueueRow {
    let mut changes = board.changes();
    let wait = async {
        loop {
            let snapshot = board.snapshot(now_ms());
            if let Some(row) = snapshot.queues.iter().find(|q| &*q.id == CALL_CENTER)
                && done(row)
            {
                return row.clone();
            }
            let _ = changes.changed().await;
        }
    };
    match tokio::time::timeout(PATIENCE, wait).await {
        Ok(row) => row,
        Err(tokio::time::error::Elapsed { .. }) => {
            panic!("board never showed {what}: {:#?}", board.snapshot(now_ms()))
        }
    }
}

fn waiting(row: &QueueRow) -> Vec<&str> {
    row.calls.iter().map(|c| &*c.call_id).collect()
}

/// The scenario's end state: only `call-3` waits; one answered, one abandoned.
fn scenario_done(row: &QueueRow) -> bool {
    waiting(row) == ["call-3"] && row.answered == 1 && row.abandoned == 1
}

async fn status_until(
    status: &mut watch::Receiver<LinkStatus>,
    what: &str,
    done: impl Fn(&LinkStatus) -> bool,
) -> LinkStatus {
    let found = tokio::time::timeout(PATIENCE, status.wait_for(|s| done(s)))
        .await
        .map(|r| r.map(|s| s.clone()));
    match found {
        Ok(Ok(found)) => found,
        _ => panic!("status never showed {what}: {:#?}", status.borrow()),
    }
}

fn subscribes(requests: &[Recorded]) -> Vec<&Recorded> {
    requests
        .iter()
        .filter(|r| r.method == Method::POST && r.path.ends_with(&format!("user/{CALL_CENTER}")))
        .collect()
}

/// Wait for channel `n`, the subscription it triggers (the `n`th subscribe) and that
/// subscription's initial event, which the XSP sends before anything the test pushes.
async fn channel_ready(mock: &MockXsp, n: u32) {
    mock.wait_for_channel(n).await;
    mock.wait_until("a subscription over the channel set", |r| {
        subscribes(r).len() >= n as usize
    })
    .await;
    mock.wait_for_deliveries("each subscription's initial event", |d| {
        d.iter().filter(|d| d.initial).count() >= n as usize
    })
    .await;
}

fn stream_of(documents: &[String]) -> Vec<u8> {
    let mut stream = Vec::new();
    for (i, doc) in documents.iter().enumerate() {
        stream.extend_from_slice(doc.as_bytes());
        if i % 2 == 0 {
            stream.extend_from_slice(HEARTBEAT.as_bytes());
        }
        stream.extend_from_slice(b"\n");
    }
    stream
}

/// Cut points at odd places: inside tags, inside names, several documents per chunk.
fn odd_cuts(len: usize) -> Vec<usize> {
    (1..len).filter(|i| i % 97 == 3 || i % 211 == 0).collect()
}

#[tokio::test]
async fn events_reach_the_board_and_each_is_acknowledged_with_its_id() {
    let mock = MockXsp::start(3600).await;
    let mut wallboard = start(&mock);
    channel_ready(&mock, 1).await;

    let open = mock.requests_with(&Method::POST);
    let open = open
        .iter()
        .find(|r| r.path.ends_with("/v2.0/channel"))
        .expect("channel opened");
    assert_eq!(
        open.path,
        "/com.broadsoft.async/com.broadsoft.xsi-events/v2.0/channel"
    );
    assert!(
        open.body
            .contains(&format!("<channelSetId>{CHANNEL_SET}</channelSetId>"))
    );
    assert!(
        open.body
            .contains("<priority>1</priority><weight>50</weight>")
    );
    assert!(
        open.body
            .contains(&format!("<applicationId>{APP_ID}</applicationId>"))
    );
    let requests = mock.requests();
    let subscribe = &subscribes(&requests)[0].body;
    assert!(subscribe.contains(&format!("<channelSetId>{CHANNEL_SET}</channelSetId>")));
    assert!(!subscribe.contains("httpContact"));

    let stream = stream_of(&scenario());
    assert!(mock.push_split(&stream, &odd_cuts(stream.len())));
    let row = queue_when(&wallboard.board, "the scenario", scenario_done).await;
    assert_eq!(waiting(&row), ["call-3"]);

    let acks = mock
        .wait_until("seven acknowledgements", |r| {
            r.iter()
                .filter(|r| r.path.ends_with("/channel/eventresponse"))
                .count()
                >= 7
        })
        .await;
    let mut acked: Vec<String> = acks
        .iter()
        .filter(|r| r.path == "/com.broadsoft.xsi-events/v2.0/channel/eventresponse")
        .map(|r| {
            assert!(
                r.body
                    .contains("<statusCode>200</statusCode><reason>OK</reason>")
            );
            let start = r.body.find("<eventID>").expect("eventID") + "<eventID>".len();
            let end = r.body.find("</eventID>").expect("eventID end");
            r.body[start..end].to_owned()
        })
        .collect();
    acked.sort();
    // The XSP's initial event is acknowledged like the six of the scenario.
    let initial = mock
        .deliveries()
        .into_iter()
        .find(|d| d.initial)
        .expect("the initial event was sent");
    let mut expected: Vec<String> = (1..=6).map(|n| format!("event-{n}")).collect();
    expected.push(initial.event_id);
    expected.sort();
    assert_eq!(acked, expected);

    let status = status_until(&mut wallboard.status, "seven acks", |s| {
        s.details()
            .iter()
            .any(|d| d.contains("acks 7 sent (200: 7, 400: 0, 481: 0), 0 failed"))
    })
    .await;
    assert_eq!(status.health, Health::Ok, "{status:#?}");
    assert!(
        status.details()[0].contains(&channel_id(1)[..8]),
        "{status:#?}"
    );
    wallboard.handle.shutdown().await;
}

#[tokio::test]
async fn heartbeats_go_to_the_channel_and_come_back_on_the_stream() {
    let mock = MockXsp::start(3600).await;
    let mut wallboard = start(&mock);
    channel_ready(&mock, 1).await;
    let beats = mock
        .wait_until("two heartbeats", |r| {
            r.iter().filter(|r| r.path.ends_with("/heartbeat")).count() >= 2
        })
        .await;
    for beat in beats.iter().filter(|r| r.path.ends_with("/heartbeat")) {
        assert_eq!(beat.method, Method::PUT);
        assert_eq!(
            beat.path,
            format!(
                "/com.broadsoft.xsi-events/v2.0/channel/{}/heartbeat",
                channel_id(1)
            )
        );
    }
    status_until(&mut wallboard.status, "a heartbeat seen", |s| {
        s.details().iter().any(|d| d.contains("heartbeat"))
    })
    .await;
    wallboard.handle.shutdown().await;
}

#[tokio::test]
async fn a_terminated_channel_is_reopened_and_the_subscriptions_made_again() {
    let mock = MockXsp::start(3600).await;
    let wallboard = start(&mock);
    channel_ready(&mock, 1).await;
    let events = scenario();
    assert!(mock.push_split(stream_of(&events[..3]).as_slice(), &[5, 40, 41]));
    // A reason the schema does not list: reopened like any other.
    assert!(mock.push_channel(channel_terminated(&channel_id(1), "MaxChannelsReached").as_bytes()));
    channel_ready(&mock, 2).await;
    let requests = mock.requests();
    let subscribe = &subscribes(&requests)[1].body;
    assert!(subscribe.contains(&format!("<channelSetId>{CHANNEL_SET}</channelSetId>")));
    let events = scenario_after_reopen(2);
    assert!(mock.push_split(stream_of(&events[3..]).as_slice(), &[17, 300]));
    queue_when(&wallboard.board, "the scenario", scenario_done).await;
    // Every event is answered, those after the reopen last: an answer to the termination, read
    // before them, would be in by then. Each answer names an event the XSP sent; the
    // termination has no eventID, so an answer to it could not.
    answered(&mock, events.len()).await;
    let sent: Vec<String> = mock
        .deliveries()
        .into_iter()
        .map(|d| d.event_id)
        .chain((1..=events.len()).map(|n| format!("event-{n}")))
        .collect();
    let acks: Vec<Recorded> = mock
        .requests()
        .into_iter()
        .filter(|r| r.path.ends_with("/eventresponse"))
        .collect();
    for ack in &acks {
        assert!(
            sent.contains(&element(&ack.body, "eventID")),
            "the termination is not acknowledged: {}",
            ack.body
        );
    }
    wallboard.handle.shutdown().await;
}

#[tokio::test]
async fn a_stream_dropped_mid_document_is_reopened_and_the_board_completes() {
    let mock = MockXsp::start(3600).await;
    let wallboard = start(&mock);
    channel_ready(&mock, 1).await;
    let events = scenario();
    let first = stream_of(&events[..2]);
    assert!(mock.push_channel(&first));
    // Half of the third event, then the connection goes.
    let third = events[2].as_bytes();
    assert!(mock.push_channel(&third[..third.len() / 2]));
    queue_when(&wallboard.board, "two calls", |q| q.calls.len() == 2).await;
    mock.drop_channel();
    channel_ready(&mock, 2).await;
    // The new subscription's events complete the board, the cut one first.
    let events = scenario_after_reopen(2);
    assert!(mock.push_split(&stream_of(&events[2..]), &[1, 2, 3, 500]));
    queue_when(&wallboard.board, "the scenario", scenario_done).await;
    wallboard.handle.shutdown().await;
}

#[tokio::test]
async fn a_refused_heartbeat_reopens_the_channel() {
    let mock = MockXsp::start(3600).await;
    mock.script(Method::PUT, Reply::NotFound);
    let mut wallboard = start(&mock);
    channel_ready(&mock, 2).await;
    status_until(&mut wallboard.status, "open again", |s| {
        s.health == Health::Ok
    })
    .await;
    let stream = stream_of(&scenario_after_reopen(2));
    assert!(mock.push_split(&stream, &odd_cuts(stream.len())));
    queue_when(&wallboard.board, "the scenario", scenario_done).await;
    wallboard.handle.shutdown().await;
}

#[tokio::test]
async fn duplicate_channel_set_stops_until_the_user_asks() {
    let mock = MockXsp::start(3600).await;
    let mut wallboard = start(&mock);
    channel_ready(&mock, 1).await;
    assert!(
        mock.push_channel(channel_terminated(&channel_id(1), "DuplicateChannelSet").as_bytes())
    );
    let status = status_until(&mut wallboard.status, "stopped", |s| {
        s.summary().contains("stopped")
    })
    .await;
    assert_eq!(status.health, Health::Down);
    assert!(
        status.summary().contains("DuplicateChannelSet"),
        "{status:#?}"
    );
    assert!(status.summary().contains("press r"), "{status:#?}");
    assert_eq!(mock.channels_opened(), 1, "not reopened by itself");
    wallboard.handle.command(FeedCommand::Resubscribe(None));
    mock.wait_for_channel(2).await;
    status_until(&mut wallboard.status, "open again", |s| {
        s.health == Health::Ok
    })
    .await;
    wallboard.handle.shutdown().await;
}

#[tokio::test]
async fn quitting_deletes_the_subscriptions_then_the_channel() {
    let mock = MockXsp::start(3600).await;
    let mut wallboard = start(&mock);
    channel_ready(&mock, 1).await;
    status_until(&mut wallboard.status, "subscribed", |s| {
        s.health == Health::Ok
    })
    .await;
    wallboard.handle.shutdown().await;
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
                mock_xsp::subscription_id(1)
            ),
            format!("/com.broadsoft.xsi-events/v2.0/channel/{}", channel_id(1)),
        ]
    );
    wallboard.cancel.cancel();
}

#[tokio::test]
async fn both_modes_build_the_same_board_from_the_same_events() {
    let mock = MockXsp::start(3600).await;
    let wallboard = start(&mock);
    channel_ready(&mock, 1).await;
    let events = scenario();
    let stream = stream_of(&events);
    assert!(mock.push_split(&stream, &odd_cuts(stream.len())));
    let by_channel = queue_when(&wallboard.board, "the scenario", scenario_done).await;

    // The same documents POSTed to an HTTP contact: the XSP's initial event, then the scenario.
    let initial = mock
        .deliveries()
        .into_iter()
        .find(|d| d.initial)
        .expect("the initial event was sent");
    let events: Vec<String> = std::iter::once(initial.document).chain(events).collect();
    let board = Arc::new(Board::new(BoardConfig::default(), now_ms()));
    let (tx, rx) = board::channel();
    let cancel = CancellationToken::new();
    tokio::spawn(board::run_applier(
        rx,
        Applier::new(board.clone()),
        cancel.clone(),
    ));
    let tcp = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}/xsi-events", tcp.local_addr().expect("addr"));
    let router = listener::router(ListenerState::new(board.clone(), tx), "/xsi-events");
    tokio::spawn(listener::serve(tcp, router, cancel.clone()));
    let client = reqwest::Client::new();
    for event in &events {
        let response = client
            .post(&url)
            .body(event.clone())
            .send()
            .await
            .expect("post");
        assert_eq!(response.status(), reqwest::StatusCode::OK);
    }
    let by_contact = queue_when(&board, "the scenario", scenario_done).await;

    let comparable = |mut row: QueueRow| {
        // What the clock changes between two reads, and the two boards' start times.
        row.counters_since.clear();
        row.longest_wait_secs = 0;
        row.last_event_secs_ago = None;
        for call in &mut row.calls {
            call.wait_secs = 0;
        }
        row
    };
    assert_eq!(comparable(by_channel), comparable(by_contact));
    assert_eq!(
        wallboard.board.event_counters().applied,
        board.event_counters().applied
    );
    cancel.cancel();
    wallboard.handle.shutdown().await;
}

#[tokio::test]
async fn a_listener_not_accepting_events_refuses_posts_but_serves_the_rest() {
    let board = Arc::new(Board::new(BoardConfig::default(), now_ms()));
    let (tx, mut rx) = mpsc::channel::<Input>(8);
    let cancel = CancellationToken::new();
    let tcp = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base = format!("http://{}", tcp.local_addr().expect("addr"));
    let state = ListenerState::new(board, tx).accept_events(false);
    tokio::spawn(listener::serve(
        tcp,
        listener::router(state, "/xsi-events"),
        cancel.clone(),
    ));
    let client = reqwest::Client::new();
    let response = client
        .post(format!("{base}/xsi-events"))
        .body(call_event(1, CallEventKind::Added, "c"))
        .send()
        .await
        .expect("post");
    assert_eq!(response.status(), reqwest::StatusCode::NOT_FOUND);
    let reason = response.text().await.expect("body");
    assert!(reason.contains("event channel"), "{reason}");
    assert_eq!(reason.trim_end().lines().count(), 1, "{reason}");
    assert!(rx.try_recv().is_err(), "nothing reached the board");
    for path in [listener::HEALTH_PATH, listener::BOARD_PATH] {
        let response = client
            .get(format!("{base}{path}"))
            .send()
            .await
            .expect("get");
        assert_eq!(response.status(), reqwest::StatusCode::OK, "{path}");
    }
    cancel.cancel();
}

// ---------------------------------------------------------------------------------------------
// Event responses: every event answered, by what became of it

/// One `EventResponse` as the mock received it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Answer {
    event_id: String,
    status: String,
    reason: String,
}

fn element(body: &str, name: &str) -> String {
    let open = format!("<{name}>");
    let close = format!("</{name}>");
    let start = body.find(&open).map(|i| i + open.len());
    let end = body.find(&close);
    match (start, end) {
        (Some(start), Some(end)) if start <= end => body[start..end].to_owned(),
        _ => panic!("no <{name}> in {body}"),
    }
}

/// Every event response posted so far to the events this file writes (`event-N`), in the
/// order they came; the mock's own initial events are answered too, but are not these tests'.
fn answers(requests: &[Recorded]) -> Vec<Answer> {
    requests
        .iter()
        .filter(|r| r.path == "/com.broadsoft.xsi-events/v2.0/channel/eventresponse")
        .map(|r| {
            assert_eq!(r.method, Method::POST);
            Answer {
                event_id: element(&r.body, "eventID"),
                status: element(&r.body, "statusCode"),
                reason: element(&r.body, "reason"),
            }
        })
        .filter(|a| a.event_id.starts_with("event-"))
        .collect()
}

/// Wait until `n` event responses arrived; they are returned in order.
async fn answered(mock: &MockXsp, n: usize) -> Vec<Answer> {
    let what = format!("{n} event responses");
    answers(&mock.wait_until(&what, |r| answers(r).len() >= n).await)
}

fn answer_to(answers: &[Answer], event_id: &str) -> Answer {
    let found: Vec<&Answer> = answers.iter().filter(|a| a.event_id == event_id).collect();
    assert_eq!(found.len(), 1, "{event_id} answered once: {answers:#?}");
    found[0].clone()
}

async fn acks_line(wallboard: &mut Wallboard, expected: &str) {
    status_until(&mut wallboard.status, expected, |s| {
        s.details().iter().any(|d| d.contains(expected))
    })
    .await;
}

#[tokio::test]
async fn an_event_that_does_not_parse_is_answered_400_and_changes_nothing() {
    let mock = MockXsp::start(3600).await;
    let mut wallboard = start(&mock);
    channel_ready(&mock, 1).await;
    // Refused for what is in its eventData: a time that is not a number, and an end tag
    // that does not match (the stream still splits it: depth is all the splitter counts).
    let bad_time =
        call_event(2, CallEventKind::Added, "call-2").replace(">1700000000002<", ">BLAAT<");
    let mismatched =
        call_event(3, CallEventKind::Added, "call-3").replace("</xsi:callId>", "</xsi:calId>");
    assert_ne!(bad_time, call_event(2, CallEventKind::Added, "call-2"));
    assert_ne!(mismatched, call_event(3, CallEventKind::Added, "call-3"));
    let stream = stream_of(&[
        call_event(1, CallEventKind::Added, "call-1"),
        bad_time,
        mismatched,
        call_event(4, CallEventKind::Added, "call-4"),
    ]);
    assert!(mock.push_split(&stream, &odd_cuts(stream.len())));

    let row = queue_when(&wallboard.board, "call-4", |q| {
        waiting(q).contains(&"call-4")
    })
    .await;
    assert_eq!(waiting(&row), ["call-1", "call-4"]);
    let answers = answered(&mock, 4).await;
    let order: Vec<&str> = answers.iter().map(|a| a.event_id.as_str()).collect();
    assert_eq!(order, ["event-1", "event-2", "event-3", "event-4"]);
    for (id, status) in [
        ("event-1", "200"),
        ("event-2", "400"),
        ("event-3", "400"),
        ("event-4", "200"),
    ] {
        assert_eq!(answer_to(&answers, id).status, status, "{id}");
    }
    assert_eq!(answer_to(&answers, "event-1").reason, "OK");
    // The parse error, one line, bounded.
    let reason = answer_to(&answers, "event-2").reason;
    assert!(
        reason.contains("addTime") && reason.contains("BLAAT"),
        "{reason}"
    );
    let reason = answer_to(&answers, "event-3").reason;
    assert!(reason.contains("not well-formed"), "{reason}");
    for answer in &answers {
        assert!(!answer.reason.contains('\n') && answer.reason.chars().count() <= 200);
    }
    // The subscription's initial event is answered too.
    acks_line(
        &mut wallboard,
        "acks 5 sent (200: 3, 400: 2, 481: 0), 0 failed",
    )
    .await;
    wallboard.handle.shutdown().await;
}

#[tokio::test]
async fn with_the_xsp_slow_to_take_responses_every_event_is_answered_exactly_once() {
    let mock = MockXsp::start(3600).await;
    mock.hold_event_responses();
    let mut settings = settings(&mock);
    // The held response must not time out: this is about the queue, not the XSP failing.
    settings.timing.request_timeout = PATIENCE * 2;
    let mut wallboard = start_with(settings);
    channel_ready(&mock, 1).await;

    // More events than the ack queue holds, with the first response held.
    let total = u32::try_from(channel::ACK_QUEUE).expect("small") + 64;
    let events: Vec<String> = (1..=total)
        .map(|n| call_event(n, CallEventKind::Added, &format!("call-{n}")))
        .collect();
    let stream = stream_of(&events);
    let cuts: Vec<usize> = (1..stream.len() / 8192).map(|i| i * 8192).collect();
    assert!(mock.push_split(&stream, &cuts));

    // One response in flight, the queue full: the reading waits there.
    let queued = u64::try_from(channel::ACK_QUEUE).expect("small") + 1;
    let mut changes = wallboard.board.changes();
    let filled = async {
        while wallboard.board.event_counters().applied < queued {
            let _ = changes.changed().await;
        }
    };
    assert!(
        tokio::time::timeout(PATIENCE, filled).await.is_ok(),
        "the board never took the events before the full queue: {:?}",
        wallboard.board.event_counters()
    );
    mock.release_event_responses();

    // And the subscription's initial event, answered before them.
    let sent = total + 1;
    let all = format!("acks {sent} sent (200: {sent}, 400: 0, 481: 0), 0 failed");
    let status = status_until(&mut wallboard.status, &all, |s| {
        // A failure ends the wait at once: it can only be wrong from then on.
        s.details()
            .iter()
            .any(|d| d.contains(&all) || (d.contains("acks") && !d.contains(", 0 failed")))
    })
    .await;
    assert!(
        status.details().iter().any(|d| d.contains(&all)),
        "{status:#?}"
    );
    let answers = answers(&mock.requests());
    assert_eq!(answers.len(), total as usize, "none lost, none twice");
    // In the order the events came, each once.
    for (n, answer) in (1..=total).zip(&answers) {
        assert_eq!(answer.event_id, format!("event-{n}"));
        assert_eq!(answer.status, "200");
    }
    queue_when(&wallboard.board, "every call", |q| {
        q.calls.len() == total as usize
    })
    .await;
    wallboard.handle.shutdown().await;
}

#[tokio::test]
async fn after_r_events_of_the_old_subscription_are_answered_481_and_never_applied() {
    let mock = MockXsp::start(3600).await;
    let mut wallboard = start(&mock);
    channel_ready(&mock, 1).await;
    status_until(&mut wallboard.status, "subscribed", |s| {
        s.health == Health::Ok
    })
    .await;
    wallboard.handle.command(FeedCommand::Resubscribe(None));
    let old = mock_xsp::subscription_id(1);
    let deleted = format!("/com.broadsoft.xsi-events/v2.0/subscription/{old}");
    mock.wait_until("the old subscription deleted and a new one made", |r| {
        r.iter()
            .any(|r| r.method == Method::DELETE && r.path == deleted)
            && subscribes(r).len() >= 2
    })
    .await;

    // A subscription never seen may be one whose grant is still on its way: applied.
    let never_seen = "77777777-0000-4000-8000-000000000000";
    let stream = stream_of(&[
        call_event_of(&old, 1, CallEventKind::Added, "call-of-the-old"),
        call_event_of(never_seen, 2, CallEventKind::Added, "call-of-the-new"),
        // A broken event of the old subscription: 481 as well (BroadWorks deletes it).
        call_event_of(&old, 3, CallEventKind::Added, "broken")
            .replace("</xsi:callId>", "</xsi:calId>"),
    ]);
    assert!(mock.push_split(&stream, &odd_cuts(stream.len())));

    let answers = answered(&mock, 3).await;
    assert_eq!(answer_to(&answers, "event-1").status, "481");
    assert_eq!(answer_to(&answers, "event-2").status, "200");
    assert_eq!(answer_to(&answers, "event-3").status, "481");
    let row = queue_when(&wallboard.board, "the new subscription's call", |q| {
        waiting(q).contains(&"call-of-the-new")
    })
    .await;
    assert_eq!(
        waiting(&row),
        ["call-of-the-new"],
        "the old one's never applied"
    );
    // With the two subscriptions' initial events.
    acks_line(
        &mut wallboard,
        "acks 5 sent (200: 3, 400: 0, 481: 2), 0 failed",
    )
    .await;
    wallboard.handle.shutdown().await;
}

#[test]
fn frames_answer_by_what_became_of_the_event() {
    let retired = |id: &str| id == "retired-sub";
    let good = Frame::parse(call_event(1, CallEventKind::Added, "c").as_bytes());
    let response = good.response(retired).expect("answered");
    assert_eq!(
        (
            &*response.event_id,
            response.status.code(),
            response.reason()
        ),
        ("event-1", 200, "OK")
    );

    let broken = call_event(2, CallEventKind::Added, "c").replace(">1700000000002<", ">x<");
    let broken = Frame::parse(broken.as_bytes());
    assert!(matches!(&broken, Frame::BrokenEvent { .. }), "{broken:?}");
    assert_eq!(broken.ack_id().map(|id| &**id), Some("event-2"));
    let response = broken.response(retired).expect("answered");
    assert_eq!(response.status.code(), 400);
    assert!(response.reason().contains("addTime"), "{response:?}");

    for frame in [
        Frame::parse(call_event_of("retired-sub", 3, CallEventKind::Added, "c").as_bytes()),
        Frame::parse(
            call_event_of("retired-sub", 4, CallEventKind::Added, "c")
                .replace(">1700000000004<", ">x<")
                .as_bytes(),
        ),
    ] {
        assert_eq!(frame.response(retired).map(|r| r.status.code()), Some(481));
    }

    // Nothing to answer by: no eventID, or a ChannelTerminatedEvent.
    let no_id = call_event(5, CallEventKind::Added, "c")
        .replace("<xsi:eventID>event-5</xsi:eventID>", "")
        .replace(">1700000000005<", ">x<");
    assert_eq!(Frame::parse(no_id.as_bytes()).response(retired), None);
    let terminated = Frame::parse(channel_terminated("c", "Expired").as_bytes());
    assert_eq!(terminated.response(|_| true), None);
    assert_eq!(Frame::parse(b"<xsi:Event").response(retired), None);
}

#[test]
fn event_response_reasons_are_one_short_line_of_xml_text() {
    let hostile = format!(
        "a\nb\r\tc\u{1b}[31m\u{0}\u{FFFF}\u{2028}{}",
        "x".repeat(5000)
    );
    let response = EventResponse::unprocessable(Arc::from("e"), &hostile);
    assert_eq!(response.status, EventResponseStatus::Unprocessable);
    let reason = response.reason();
    assert_eq!(reason.chars().count(), EventResponse::MAX_REASON_CHARS);
    assert!(reason.starts_with("a b  c [31m"), "{reason:?}");
    assert!(!reason.contains(|c: char| c.is_control() || c == '\u{FFFF}' || c == '\u{2028}'));
    // The schema's NonEmptyString.
    for empty in ["", "  ", "\n"] {
        let response = EventResponse::unprocessable(Arc::from("e"), empty);
        assert_eq!(response.reason(), "status 400");
    }
}

#[test]
fn event_responses_validate_against_the_schema() {
    let Some(xmllint) = tools::xmllint() else {
        return;
    };
    let id = || Arc::from("2a4dc940-5165-4a39-9f0d-ad9481259337");
    let documents = [
        EventResponse::received(id()),
        EventResponse::unprocessable(
            id(),
            "not an XSI Event: queueEntry addTime `<&>\"'` is not a number",
        ),
        EventResponse::unprocessable(id(), &format!("\u{0}\u{FFFE}{}", "é".repeat(400))),
        EventResponse::unprocessable(id(), ""),
        EventResponse::unknown_subscription(id()),
        EventResponse::received(Arc::from("<odd & id>")),
    ];
    xmllint.assert_valid(
        documents
            .iter()
            .enumerate()
            .map(|(i, response)| (format!("response-{i}"), response.to_xml())),
    );
}
