//! The mock XSP sends events as BroadWorks does, and the real wallboard takes them: initial
//! events after subscribe and refresh, none for a collection (whose queues are fetched), live
//! events numbered per subscription, lost ones seen as gaps, every delivery recorded, and the
//! documents valid against the official schema.

#[path = "common/mock_xsp.rs"]
mod mock_xsp;
#[path = "common/tools.rs"]
mod tools;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::http::{HeaderMap, Method, StatusCode};
use mock_xsp::{
    AGENT, AUTHORIZATION, CONFIGURATION, Call, CallCenterMode, Delivered, MONITORING, MockXsp,
    Outcome, PASSWORD, QUEUE, Subscription, USER, channel_id,
};
use reqwest::Url;
use xsi_wallboard::board::{Board, BoardSnapshot, QueueRow, now_ms};
use xsi_wallboard::config::{Mode, Secret, Targets, Timing, XspSettings};
use xsi_wallboard::run::{self, Running, StartOptions};
use xsi_wallboard::xsi::request::{Delivery, SubscriptionRequest, parse_subscription_response};
use xsi_wallboard::xsi::{
    AgentState, CallEventKind, Event, EventData, MonitoredValue, MonitoringStatus, QueueSnapshot,
    parse_event,
};

const SALES: &str = "sales@example.com";
const SUPPORT: &str = "support@example.com";
const GROUP: &str = "enterprise/ent1/group/grp1";
const APP_ID: &str = "xsi-wallboard/test/mock-xsp";
/// The contact URL the subscriptions name: a host the XSP reaches through a port forward, which
/// the mock is told about once the wallboard listens (`route_contact`).
const CONTACT: &str = "http://wallboard.test/xsi-events";
/// Generous: the machine is slow and shared. Never a timing assertion, only a give-up bound.
const BOUND: Duration = Duration::from_secs(30);

fn settings(mock: &MockXsp, targets: Targets, events: &[&str]) -> XspSettings {
    XspSettings {
        xsp_url: Url::parse(&mock.url).expect("mock url"),
        user: USER.into(),
        password: Secret::new(PASSWORD),
        delivery: Delivery::HttpContact(CONTACT.into()),
        targets,
        events: events
            .iter()
            .map(|e| xsi_wallboard::xsi::Package::parse(e).expect("a call-center package"))
            .collect(),
        expires: 3600,
        application_id: APP_ID.into(),
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

/// The whole wallboard on 127.0.0.1:0, its contact routed to the port it got. The mock holds
/// its events until then, so that the initial events are not lost to a route not yet known.
async fn start_wallboard(mock: &MockXsp, xsp: XspSettings) -> Running {
    mock.pause_deliveries();
    let running = run::start(StartOptions {
        listen: "127.0.0.1:0".parse().expect("address"),
        xsp: Some(xsp),
        ..StartOptions::default()
    })
    .await
    .expect("start");
    if let Some(url) = running.event_url() {
        mock.route_contact(CONTACT, &url);
    }
    mock.resume_deliveries();
    running
}

/// The board once `done` holds (bounded, not timed).
async fn board_until(
    board: &Board,
    what: &str,
    done: impl Fn(&BoardSnapshot) -> bool,
) -> BoardSnapshot {
    let mut changes = board.changes();
    let wait = async {
        loop {
            let snapshot = board.snapshot(now_ms());
            if done(&snapshot) {
                return snapshot;
            }
            let _ = changes.changed().await;
        }
    };
    match tokio::time::timeout(BOUND, wait).await {
        Ok(snapshot) => snapshot,
        Err(tokio::time::error::Elapsed { .. }) => {
            panic!("board never showed {what}: {:#?}", board.snapshot(now_ms()))
        }
    }
}

fn row<'a>(snapshot: &'a BoardSnapshot, id: &str) -> Option<&'a QueueRow> {
    snapshot.queues.iter().find(|q| &*q.id == id)
}

/// The call ids a call center shows, sorted.
fn waiting(snapshot: &BoardSnapshot, id: &str) -> Vec<String> {
    let mut ids: Vec<String> = row(snapshot, id)
        .map(|q| q.calls.iter().map(|c| c.call_id.to_string()).collect())
        .unwrap_or_default();
    ids.sort();
    ids
}

fn numbers(deliveries: &[Delivered]) -> Vec<u32> {
    deliveries.iter().map(|d| d.sequence_number).collect()
}

#[tokio::test]
#[allow(clippy::too_many_lines, reason = "one story, told start to end")]
async fn every_packages_initial_event_reaches_the_board_after_subscribe() {
    let mock = MockXsp::start(3600).await;
    let added = now_ms() - 90_000;
    mock.set_queue(
        SALES,
        [
            Call::new("call-a")
                .caller("Ann & Co", "tel:+15550001")
                .added_at(added),
            Call::new("call-b").priority(0).added_at(added + 30_000),
        ],
    );
    mock.set_monitoring(
        SALES,
        MonitoringStatus {
            average_speed_of_answer: Some(MonitoredValue {
                value: 12,
                ..MonitoredValue::default()
            }),
            longest_wait_time: Some(MonitoredValue {
                value: 90,
                ..MonitoredValue::default()
            }),
            num_calls_in_queue: Some(MonitoredValue {
                value: 2,
                ..MonitoredValue::default()
            }),
            num_agents_assigned: Some(4),
            num_agents_staffed: Some(3),
            num_staffed_agents_idle: Some(1),
            num_staffed_agents_unavailable: Some(1),
            ..MonitoringStatus::default()
        },
    );
    mock.set_configuration(
        SALES,
        CallCenterMode {
            night_service: true,
            ..CallCenterMode::default()
        },
    );
    mock.set_agents(&[(SALES, "kim@example.com")]);
    mock.set_agent_state("kim@example.com", AgentState::Available);
    let xsp = settings(
        &mock,
        Targets::CallCenters(vec![SALES.into()]),
        &[QUEUE, MONITORING, CONFIGURATION, AGENT],
    );
    let running = start_wallboard(&mock, xsp).await;

    let shown = board_until(&running.board, "every initial event applied", |b| {
        let Some(sales) = row(b, SALES) else {
            return false;
        };
        waiting(b, SALES) == ["call-a", "call-b"]
            && sales.monitoring.is_some()
            && sales.mode.night_service == Some(true)
            && b.agents
                .iter()
                .any(|a| &*a.id == "kim@example.com" && a.state.is_some())
    })
    .await;
    let sales = row(&shown, SALES).expect("sales shown");
    let caller = sales
        .calls
        .iter()
        .find(|c| &*c.call_id == "call-a")
        .expect("call-a shown");
    assert_eq!(caller.caller_name.as_deref(), Some("Ann & Co"));
    assert_eq!(caller.add_time_ms, added);
    let monitoring = sales.monitoring.as_ref().expect("monitoring shown");
    assert_eq!(monitoring.agents_staffed, Some(3));
    assert_eq!(monitoring.average_speed_of_answer_secs, Some(12));
    assert_eq!(sales.mode.forced_forwarding, Some(false));
    let kim = shown
        .agents
        .iter()
        .find(|a| &*a.id == "kim@example.com")
        .expect("kim shown");
    assert_eq!(kim.state, Some(AgentState::Available));
    assert_eq!(kim.call_centers, [Arc::<str>::from(SALES)]);

    // Each subscription's first event is its initial event, number 1, about its own user,
    // POSTed to the contact it named and answered 200 (recorded once the answer is in).
    mock.wait_for_deliveries("four answers", |d| d.len() >= 4)
        .await;
    for (target, package, event_type) in [
        (SALES, QUEUE, "ACDSubscriptionEvent"),
        (SALES, MONITORING, "CallCenterMonitoringEvent"),
        (SALES, CONFIGURATION, "ACDConfigurationSubscriptionEvent"),
        ("kim@example.com", AGENT, "AgentSubscriptionEvent"),
    ] {
        let granted = mock
            .subscription(target, package)
            .expect("subscription granted");
        let delivered = mock.deliveries_for(&granted.id);
        let first = delivered.first().expect("an initial event");
        assert!(first.initial, "{first:#?}");
        assert_eq!(first.sequence_number, 1);
        assert_eq!(first.event_type, event_type);
        assert_eq!(first.target_id.as_deref(), Some(target));
        assert_eq!(first.outcome, Outcome::Answered(200), "{first:#?}");
        let Ok(Event::Subscription(event)) = parse_event(first.document.as_bytes()) else {
            panic!("not a subscription event: {}", first.document)
        };
        assert_eq!(event.envelope.http_contact.as_deref(), Some(CONTACT));
        assert_eq!(&*event.envelope.external_application_id, APP_ID);
        assert_eq!(&*event.envelope.user_id, USER);
        assert_eq!(&*event.envelope.subscription_id, granted.id);
    }
    running.shutdown().await.expect("clean shutdown");
    assert!(
        mock.subscriptions().iter().all(|s| !s.alive()),
        "every subscription deleted on the way out: {:#?}",
        mock.subscriptions()
    );
}

#[tokio::test]
async fn a_refresh_brings_the_initial_event_again_with_the_next_number() {
    // Granted 1 s: the wallboard refreshes every half second.
    let mock = MockXsp::start(1).await;
    mock.set_queue(SALES, [Call::new("call-a")]);
    let xsp = settings(&mock, Targets::CallCenters(vec![SALES.into()]), &[QUEUE]);
    let running = start_wallboard(&mock, xsp).await;
    let granted = mock.wait_for_subscription(SALES, QUEUE).await;

    let first_two = mock
        .wait_for_deliveries("the initial event of the subscribe and of a refresh", |d| {
            d.iter().filter(|d| d.subscription_id == granted.id).count() >= 2
        })
        .await;
    let first_two: Vec<&Delivered> = first_two
        .iter()
        .filter(|d| d.subscription_id == granted.id)
        .take(2)
        .collect();
    for (delivered, number) in first_two.iter().zip(1..) {
        assert!(delivered.initial, "{delivered:#?}");
        assert_eq!(delivered.event_type, "ACDSubscriptionEvent");
        assert_eq!(delivered.sequence_number, number);
        assert_eq!(delivered.outcome, Outcome::Answered(200));
    }
    assert!(
        mock.requests_with(&Method::PUT)
            .iter()
            .any(|r| r.path.ends_with(&granted.id)),
        "the second one followed a refresh"
    );

    // A call arrives; the next refresh's initial event lists it too.
    let added = mock.send(&granted.id, Call::new("call-c").event(CallEventKind::Added));
    let later = mock
        .wait_for_deliveries("an initial event after the call", |d| {
            d.iter()
                .any(|d| d.subscription_id == granted.id && d.initial && d.sequence_number > added)
        })
        .await;
    let later = later
        .iter()
        .find(|d| d.subscription_id == granted.id && d.initial && d.sequence_number > added)
        .expect("found above");
    let Ok(Event::Subscription(event)) = parse_event(later.document.as_bytes()) else {
        panic!("not a subscription event: {}", later.document)
    };
    let EventData::QueueSnapshot(snapshot) = event.data else {
        panic!("not a queue snapshot: {:?}", event.data)
    };
    let mut listed: Vec<&str> = snapshot.entries.iter().map(|e| &*e.call_id).collect();
    listed.sort_unstable();
    assert_eq!(listed, ["call-a", "call-c"]);
    board_until(&running.board, "both calls", |b| {
        waiting(b, SALES) == ["call-a", "call-c"]
    })
    .await;

    // One counter for the subscription, spent in order, delivered in order, none skipped.
    let delivered = mock.deliveries_for(&granted.id);
    let expected: Vec<u32> = (1..=u32::try_from(delivered.len()).expect("few")).collect();
    assert_eq!(numbers(&delivered), expected);
    assert!(delivered.iter().all(Delivered::reached), "{delivered:#?}");
    running.shutdown().await.expect("clean shutdown");
}

#[tokio::test]
async fn a_collection_gets_no_initial_event_and_its_queues_are_fetched() {
    let mock = MockXsp::start(3600).await;
    mock.set_queue(SALES, [Call::new("call-a")]);
    mock.set_queue(SUPPORT, [Call::new("call-s1"), Call::new("call-s2")]);
    let xsp = settings(
        &mock,
        Targets::Collection {
            target: GROUP.into(),
            call_centers: vec![SALES.into(), SUPPORT.into()],
        },
        &[QUEUE],
    );
    let running = start_wallboard(&mock, xsp).await;
    board_until(&running.board, "both fetched queues", |b| {
        waiting(b, SALES) == ["call-a"] && waiting(b, SUPPORT) == ["call-s1", "call-s2"]
    })
    .await;
    let mut fetched: Vec<String> = mock
        .requests_with(&Method::GET)
        .into_iter()
        .map(|r| r.path)
        .collect();
    fetched.sort();
    assert_eq!(
        fetched,
        [
            format!("/com.broadsoft.xsi-actions/v2.0/callcenter/{SALES}/calls"),
            format!("/com.broadsoft.xsi-actions/v2.0/callcenter/{SUPPORT}/calls"),
        ]
    );
    let granted = mock
        .subscription(GROUP, QUEUE)
        .expect("the group subscription");
    // The number is spent when an event is made, so this proves none was.
    assert_eq!(granted.last_sequence, 0, "{granted:#?}");
    assert!(mock.deliveries_for(&granted.id).is_empty());

    // Its events name the call center they concern, one counter for all of them.
    let first = mock.send_about(
        &granted.id,
        SUPPORT,
        Call::new("call-s3").event(CallEventKind::Added),
    );
    let second = mock.send_about(
        &granted.id,
        SALES,
        Call::new("call-a").event(CallEventKind::Abandoned),
    );
    assert_eq!((first, second), (1, 2));
    let shown = board_until(
        &running.board,
        "the call added and the call abandoned",
        |b| waiting(b, SUPPORT).len() == 3 && row(b, SALES).is_some_and(|q| q.abandoned == 1),
    )
    .await;
    assert!(waiting(&shown, SALES).is_empty());
    let delivered = mock
        .wait_for_deliveries("both answers", |d| d.len() >= 2)
        .await;
    let targets: Vec<Option<&str>> = delivered.iter().map(|d| d.target_id.as_deref()).collect();
    assert_eq!(targets, [Some(SUPPORT), Some(SALES)]);
    assert_eq!(numbers(&delivered), [1, 2]);
    // The mock's own state followed: a fetch now agrees with the board.
    assert!(mock.queue(SALES).is_empty());
    assert_eq!(mock.queue(SUPPORT).len(), 3);
    running.shutdown().await.expect("clean shutdown");
}

#[tokio::test]
async fn a_lost_event_is_seen_by_the_board_as_a_sequence_gap() {
    let mock = MockXsp::start(3600).await;
    let xsp = settings(&mock, Targets::CallCenters(vec![SALES.into()]), &[QUEUE]);
    let running = start_wallboard(&mock, xsp).await;
    let granted = mock.wait_for_subscription(SALES, QUEUE).await;
    mock.wait_for_deliveries("the initial event", |d| d.iter().any(Delivered::reached))
        .await;

    let lost = mock.lose(&granted.id);
    let sent = mock.send(&granted.id, Call::new("call-x").event(CallEventKind::Added));
    assert_eq!((lost, sent), (2, 3));
    let shown = board_until(&running.board, "a sequence gap", |b| b.sequence.gaps >= 1).await;
    assert_eq!(waiting(&shown, SALES), ["call-x"]);

    // The HTTP API says the same.
    let url = format!(
        "http://{}{}",
        running.addr.expect("listening"),
        xsi_wallboard::listener::BOARD_PATH
    );
    let body = reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("client")
        .get(url)
        .send()
        .await
        .expect("GET /api/board")
        .bytes()
        .await
        .expect("body");
    let board: serde_json::Value = serde_json::from_slice(&body).expect("JSON");
    assert!(
        board["sequence"]["gaps"].as_u64().is_some_and(|g| g >= 1),
        "{board:#}"
    );
    // Nothing carried number 2: 1 and 3 went out (what the wallboard does about the gap is
    // not asserted here).
    assert_eq!(numbers(&mock.deliveries_for(&granted.id))[..2], [1, 3]);
    running.shutdown().await.expect("clean shutdown");
}

#[tokio::test]
async fn in_channel_mode_the_events_go_down_the_channel() {
    let mock = MockXsp::start(3600).await;
    mock.set_queue(SALES, [Call::new("call-a")]);
    let mut xsp = settings(&mock, Targets::CallCenters(vec![SALES.into()]), &[QUEUE]);
    xsp.mode = Mode::Channel;
    let running = run::start(StartOptions {
        listen: "127.0.0.1:0".parse().expect("address"),
        xsp: Some(xsp),
        ..StartOptions::default()
    })
    .await
    .expect("start");
    board_until(&running.board, "the initial queue", |b| {
        waiting(b, SALES) == ["call-a"]
    })
    .await;
    let granted = mock.wait_for_subscription(SALES, QUEUE).await;
    assert!(matches!(granted.delivery, Some(Delivery::ChannelSet(_))));
    mock.send(&granted.id, Call::new("call-b").event(CallEventKind::Added));
    board_until(&running.board, "the live call", |b| {
        waiting(b, SALES) == ["call-a", "call-b"]
    })
    .await;

    let delivered = mock.deliveries_for(&granted.id);
    assert_eq!(numbers(&delivered), [1, 2]);
    for event in &delivered {
        assert_eq!(event.outcome, Outcome::SentDown(channel_id(1)));
        assert!(
            event
                .document
                .contains(&format!("<xsi:channelId>{}</xsi:channelId>", channel_id(1))),
            "{}",
            event.document
        );
    }
    // The wallboard acknowledges each by its eventID.
    let acks = mock
        .wait_until("both acknowledged", |r| {
            delivered.iter().all(|d| {
                r.iter().any(|r| {
                    r.path.ends_with("/channel/eventresponse")
                        && r.body
                            .contains(&format!("<eventID>{}</eventID>", d.event_id))
                })
            })
        })
        .await;
    assert!(!acks.is_empty());
    running.shutdown().await.expect("clean shutdown");
}

// ---------------------------------------------------------------------------------------------
// The mock's delivery itself, against a stand-in contact

/// One POST the stand-in took.
#[derive(Debug, Clone)]
struct Posted {
    sequence: u32,
    content_type: Option<String>,
}

/// A stand-in for a wallboard's listener: records the `sequenceNumber` and content type of each
/// POST and the most it ever held at once. It holds each answer a moment, so that a sender
/// that did not wait for answers would be caught with two at once.
#[derive(Clone)]
struct StandIn {
    url: String,
    seen: Arc<Mutex<Vec<Posted>>>,
    in_flight: Arc<AtomicUsize>,
    most_at_once: Arc<AtomicUsize>,
}

async fn stand_in(status_for: fn(u32) -> StatusCode) -> StandIn {
    let tcp = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind 127.0.0.1:0");
    let contact = StandIn {
        url: format!("http://{}/events", tcp.local_addr().expect("address")),
        seen: Arc::default(),
        in_flight: Arc::default(),
        most_at_once: Arc::default(),
    };
    let shared = contact.clone();
    let app = axum::Router::new().fallback(move |headers: HeaderMap, body: axum::body::Bytes| {
        let shared = shared.clone();
        async move {
            let now = shared.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
            shared.most_at_once.fetch_max(now, Ordering::SeqCst);
            let sequence = match parse_event(&body) {
                Ok(Event::Subscription(event)) => event.envelope.sequence_number.unwrap_or(0),
                _ => 0,
            };
            let content_type = headers
                .get("content-type")
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned);
            shared.seen.lock().expect("lock").push(Posted {
                sequence,
                content_type,
            });
            tokio::time::sleep(Duration::from_millis(50)).await;
            shared.in_flight.fetch_sub(1, Ordering::SeqCst);
            status_for(sequence)
        }
    });
    tokio::spawn(async move { axum::serve(tcp, app).await });
    contact
}

/// Subscribe as any client would, without a wallboard.
async fn subscribe(
    mock: &MockXsp,
    target: &str,
    package: &str,
    delivery: Delivery,
) -> Subscription {
    let body = SubscriptionRequest {
        event: xsi_wallboard::xsi::Package::parse(package).expect("a call-center package"),
        expires: 3600,
        delivery,
        application_id: APP_ID.into(),
    }
    .to_xml();
    let answer = reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("client")
        .post(format!(
            "{}/com.broadsoft.xsi-events/v2.0/{target}",
            mock.url
        ))
        .header("authorization", AUTHORIZATION)
        .header("content-type", "application/xml; charset=UTF-8")
        .body(body)
        .send()
        .await
        .expect("subscribe");
    assert_eq!(answer.status(), StatusCode::OK);
    let granted = parse_subscription_response(&answer.bytes().await.expect("body"))
        .expect("a subscription answer");
    let id = granted.subscription_id.expect("an id");
    mock.subscriptions()
        .into_iter()
        .find(|s| *s.id == *id)
        .expect("remembered by the mock")
}

#[tokio::test]
async fn events_go_one_at_a_time_in_order_and_a_refused_one_is_not_sent_again() {
    let mock = MockXsp::start(3600).await;
    // Number 3 is refused, as a wallboard that fell behind answers.
    let contact = stand_in(|n| {
        if n == 3 {
            StatusCode::SERVICE_UNAVAILABLE
        } else {
            StatusCode::OK
        }
    })
    .await;
    let granted = subscribe(
        &mock,
        &format!("user/{SALES}"),
        QUEUE,
        Delivery::HttpContact(contact.url.clone()),
    )
    .await;
    for n in 1..=4 {
        mock.send(
            &granted.id,
            Call::new(&format!("call-{n}")).event(CallEventKind::Added),
        );
    }
    let delivered = mock
        .wait_for_deliveries("the initial event and four calls", |d| d.len() >= 5)
        .await;
    assert_eq!(numbers(&delivered), [1, 2, 3, 4, 5]);
    let outcomes: Vec<&Outcome> = delivered.iter().map(|d| &d.outcome).collect();
    assert_eq!(
        outcomes,
        [
            &Outcome::Answered(200),
            &Outcome::Answered(200),
            &Outcome::Answered(503),
            &Outcome::Answered(200),
            &Outcome::Answered(200),
        ]
    );
    let seen = contact.seen.lock().expect("lock").clone();
    assert_eq!(
        seen.iter().map(|p| p.sequence).collect::<Vec<_>>(),
        [1, 2, 3, 4, 5],
        "each once, in order: BroadWorks does not redeliver"
    );
    assert!(
        seen.iter()
            .all(|p| p.content_type.as_deref() == Some("application/xml")),
        "{seen:?}"
    );
    assert_eq!(contact.most_at_once.load(Ordering::SeqCst), 1);
    // The Added events carry the position the mock gave them, one after the other.
    for (delivered, position) in delivered[1..].iter().zip(1..) {
        assert!(
            delivered
                .document
                .contains(&format!("<xsi:position>{position}</xsi:position>")),
            "{}",
            delivered.document
        );
    }
}

#[tokio::test]
async fn an_unreachable_contact_is_recorded_as_failed() {
    let mock = MockXsp::start(3600).await;
    let closed = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let port = closed.local_addr().expect("address").port();
    drop(closed);
    let refused = subscribe(
        &mock,
        &format!("user/{SALES}"),
        QUEUE,
        Delivery::HttpContact(format!("http://127.0.0.1:{port}/events")),
    )
    .await;
    let elsewhere = subscribe(
        &mock,
        &format!("user/{SUPPORT}"),
        QUEUE,
        Delivery::HttpContact("http://wallboard.example/events".into()),
    )
    .await;
    let delivered = mock
        .wait_for_deliveries("both initial events", |d| d.len() >= 2)
        .await;
    for granted in [&refused, &elsewhere] {
        let attempt = delivered
            .iter()
            .find(|d| d.subscription_id == granted.id)
            .expect("an attempt recorded");
        assert!(
            matches!(&attempt.outcome, Outcome::Unreachable(_)) && !attempt.reached(),
            "{attempt:#?}"
        );
    }
    // The mock goes on: the next event of the refused subscription is tried too.
    mock.send(&refused.id, Call::new("call-1").event(CallEventKind::Added));
    let again = mock
        .wait_for_deliveries("a second attempt", |d| {
            d.iter().filter(|d| d.subscription_id == refused.id).count() >= 2
        })
        .await;
    assert!(
        again
            .iter()
            .filter(|d| d.subscription_id == refused.id)
            .all(|d| matches!(d.outcome, Outcome::Unreachable(_)))
    );
}

#[tokio::test]
async fn refresh_and_delete_of_a_subscription_not_held_are_refused() {
    let mock = MockXsp::start(3600).await;
    let contact = "http://wallboard.example/events";
    let first = subscribe(
        &mock,
        "user/sales@example.com",
        QUEUE,
        Delivery::HttpContact(contact.into()),
    )
    .await;
    // The same application, target and package again: the new one takes the old one's place.
    let second = subscribe(
        &mock,
        "user/sales@example.com",
        QUEUE,
        Delivery::HttpContact(contact.into()),
    )
    .await;
    let client = reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("client");
    let command = |method: reqwest::Method, id: &str| {
        client
            .request(
                method,
                format!(
                    "{}/com.broadsoft.xsi-events/v2.0/subscription/{id}",
                    mock.url
                ),
            )
            .header("authorization", AUTHORIZATION)
            .body(xsi_wallboard::xsi::request::refresh_xml(3600))
            .send()
    };
    let status =
        |answer: reqwest::Result<reqwest::Response>| answer.expect("the mock answers").status();
    assert_eq!(
        status(command(reqwest::Method::PUT, &first.id).await),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        status(command(reqwest::Method::PUT, &second.id).await),
        StatusCode::OK
    );
    assert_eq!(
        status(command(reqwest::Method::DELETE, &second.id).await),
        StatusCode::OK
    );
    assert_eq!(
        status(command(reqwest::Method::DELETE, &second.id).await),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        status(command(reqwest::Method::PUT, "never-granted").await),
        StatusCode::FORBIDDEN
    );
    let ended: Vec<_> = mock
        .subscriptions()
        .into_iter()
        .map(|s| (s.id, s.ended))
        .collect();
    assert_eq!(
        ended,
        [
            (first.id, Some(mock_xsp::Ended::Replaced)),
            (second.id.clone(), Some(mock_xsp::Ended::Deleted)),
        ]
    );
    let refreshed = mock.subscription(SALES, QUEUE).expect("found");
    assert_eq!((refreshed.id, refreshed.refreshes), (second.id, 1));
}

// ---------------------------------------------------------------------------------------------
// The documents against the official schema

#[tokio::test]
#[allow(clippy::too_many_lines, reason = "one story, told start to end")]
async fn what_the_mock_sends_validates_against_the_schema() {
    let Some(xmllint) = tools::xmllint() else {
        return;
    };
    let mock = MockXsp::start(3600).await;
    let contact = stand_in(|_| StatusCode::OK).await;
    let to_contact = || Delivery::HttpContact(contact.url.clone());
    mock.set_queue(
        SALES,
        [
            Call::new("call-a")
                .caller("Ann & Co", "tel:+15550001")
                .priority(1),
            Call::new("call-b").acd("Sales DNIS", "tel:+15550199"),
        ],
    );
    mock.set_configuration(
        SALES,
        CallCenterMode {
            holiday_service: true,
            force_night_service: true,
            ..CallCenterMode::default()
        },
    );
    mock.set_agents(&[(SALES, "kim@example.com"), (SUPPORT, "kim@example.com")]);
    mock.set_agent_state("kim@example.com", AgentState::WrapUp);
    let queue = subscribe(&mock, &format!("user/{SALES}"), QUEUE, to_contact()).await;
    subscribe(&mock, &format!("user/{SALES}"), MONITORING, to_contact()).await;
    subscribe(&mock, &format!("user/{SALES}"), CONFIGURATION, to_contact()).await;
    subscribe(&mock, "user/kim@example.com", AGENT, to_contact()).await;
    let group = subscribe(&mock, GROUP, QUEUE, to_contact()).await;
    mock.send(&queue.id, Call::new("call-c").event(CallEventKind::Added));
    mock.send(&queue.id, Call::new("call-a").event(CallEventKind::Bounced));
    mock.send(
        &queue.id,
        Call::new("call-b")
            .answered_by("kim@example.com")
            .event(CallEventKind::AnsweredByAgent),
    );
    mock.send(
        &queue.id,
        EventData::QueueSnapshot(QueueSnapshot {
            resync: true,
            entries: mock.queue(SALES),
        }),
    );
    mock.send_about(
        &group.id,
        SUPPORT,
        Call::new("call-s").event(CallEventKind::Added),
    );
    mock.terminate(&group.id);
    let delivered = mock
        .wait_for_deliveries("every event", |d| d.len() >= 10)
        .await;
    assert!(delivered.iter().all(Delivered::reached), "{delivered:#?}");
    let mut types: Vec<&str> = delivered.iter().map(|d| d.event_type.as_str()).collect();
    types.sort_unstable();
    assert_eq!(
        types,
        [
            "ACDCallAddedEvent",
            "ACDCallAddedEvent",
            "ACDCallAnsweredByAgentEvent",
            "ACDCallBouncedEvent",
            "ACDConfigurationSubscriptionEvent",
            "ACDSubscriptionEvent",
            "ACDSubscriptionResyncEvent",
            "AgentSubscriptionEvent",
            "CallCenterMonitoringEvent",
            "SubscriptionTerminatedEvent",
        ]
    );
    // And the Xsi-Actions queue list.
    let listed = reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("client")
        .get(format!(
            "{}/com.broadsoft.xsi-actions/v2.0/callcenter/{SALES}/calls",
            mock.url
        ))
        .header("authorization", AUTHORIZATION)
        .send()
        .await
        .expect("GET the queue")
        .text()
        .await
        .expect("body");
    assert!(listed.contains("call-c"), "{listed}");

    let documents: Vec<(String, String)> = delivered
        .iter()
        .map(|d| {
            (
                format!("{}-{}", d.event_type, d.sequence_number),
                d.document.clone(),
            )
        })
        .chain(std::iter::once(("ACDQueue".to_owned(), listed)))
        .collect();
    xmllint.assert_valid(documents);
}
