//! The subscription lifecycle against an in-process mock XSP.

#[path = "common/mock_xsp.rs"]
mod mock_xsp;

use std::sync::Arc;
use std::time::Duration;

use axum::http::Method;
use mock_xsp::{AUTHORIZATION, Call, MockXsp, Outcome, PASSWORD, Reply, USER, subscription_id};
use reqwest::Url;
use tokio::sync::{mpsc, watch};
use tokio_util::sync::CancellationToken;
use xsi_wallboard::board::{
    self as board_mod, Applier, Board, BoardConfig, Input, QueueTruth, now_ms,
};
use xsi_wallboard::config::{Mode, Secret, Targets, Timing, XspSettings};
use xsi_wallboard::status::{FeedCommand, Health, LinkStatus};
use xsi_wallboard::subscribe::{self, Retired, SubscriberHandle};
use xsi_wallboard::xsi::request::Delivery;
use xsi_wallboard::xsi::{EventData, Package};

const CONTACT: &str = "http://wallboard.example:8765/xsi-events";
const APP_ID: &str = "xsi-wallboard/test/default";
const QUEUE: &str = "Call Center Queue";
const MONITORING: &str = "Call Center Monitoring";
const AGENT: &str = "Call Center Agent";

fn settings(mock: &MockXsp, targets: Targets, events: &[&str]) -> XspSettings {
    XspSettings {
        xsp_url: Url::parse(&mock.url).expect("mock url"),
        user: USER.into(),
        password: Secret::new(PASSWORD),
        delivery: Delivery::HttpContact(CONTACT.into()),
        targets,
        events: events
            .iter()
            .map(|e| Package::parse(e).expect("a call-center package"))
            .collect(),
        expires: 3600,
        application_id: APP_ID.into(),
        ca_file: None,
        mode: Mode::Contact,
        heartbeat_secs: 15,
        agents: Vec::new(),
        // Short delays so the lifecycle runs in well under a second per step.
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

struct Running {
    handle: SubscriberHandle,
    arrivals: mpsc::Receiver<Input>,
    status: watch::Receiver<LinkStatus>,
}

fn start(settings: XspSettings) -> Running {
    let (tx, arrivals) = mpsc::channel(64);
    let handle = subscribe::spawn(settings, tx, CancellationToken::new());
    let status = handle.status();
    Running {
        handle,
        arrivals,
        status,
    }
}

/// Wait (bounded, not timed) until the published status satisfies `done`.
async fn status_until(
    status: &mut watch::Receiver<LinkStatus>,
    what: &str,
    done: impl Fn(&LinkStatus) -> bool,
) -> LinkStatus {
    let found = tokio::time::timeout(Duration::from_secs(30), status.wait_for(|s| done(s)))
        .await
        .map(|r| r.map(|s| s.clone()));
    match found {
        Ok(Ok(found)) => found,
        _ => panic!("status never showed {what}: {:#?}", status.borrow()),
    }
}

fn one_call_center(cc: &str) -> Targets {
    Targets::CallCenters(vec![cc.into()])
}

/// A subscriber wired to a real board, as the wallboard runs it: the applier takes the
/// subscriber's news and sends it repairs and terminations.
fn start_wired(settings: XspSettings) -> (SubscriberHandle, Arc<Board>, mpsc::Sender<Input>) {
    let board = Arc::new(Board::new(BoardConfig::default(), now_ms()));
    let (tx, rx) = board_mod::channel();
    let handle = subscribe::spawn(settings, tx.clone(), CancellationToken::new());
    let applier = Applier::new(Arc::clone(&board)).with_commands(handle.control());
    tokio::spawn(board_mod::run_applier(
        rx,
        applier,
        CancellationToken::new(),
    ));
    (handle, board, tx)
}

/// Wait (bounded, not timed) until call center `id`'s truth satisfies `done`.
async fn truth_until(
    board: &Board,
    id: &str,
    what: &str,
    done: impl Fn(&QueueTruth) -> bool,
) -> QueueTruth {
    let mut changes = board.changes();
    let found = tokio::time::timeout(Duration::from_secs(30), async {
        loop {
            let truth = board
                .snapshot(now_ms())
                .queues
                .into_iter()
                .find(|q| &*q.id == id)
                .map(|q| q.truth);
            if let Some(truth) = truth.filter(|t| done(t)) {
                return truth;
            }
            // The board changes, or time passes (a window may expire without any input).
            let _ = tokio::time::timeout(Duration::from_millis(50), changes.changed()).await;
        }
    })
    .await;
    found.unwrap_or_else(|_| panic!("{id} never showed {what}"))
}

/// The next queue the subscriber fetched, skipping its feed news.
async fn next_fetched(
    arrivals: &mut mpsc::Receiver<Input>,
) -> (Arc<str>, xsi_wallboard::xsi::QueueSnapshot, i64) {
    loop {
        let input = tokio::time::timeout(Duration::from_secs(30), arrivals.recv())
            .await
            .expect("a fetched queue arrives")
            .expect("channel open");
        if let Input::Fetched {
            call_center,
            snapshot,
            sent_ms,
            arrival_ms,
            ..
        } = input
        {
            assert!(sent_ms <= arrival_ms, "sent before it was answered");
            return (call_center, snapshot, sent_ms);
        }
    }
}

#[tokio::test]
async fn subscribes_each_call_center_and_package_with_basic_auth_and_schema_body() {
    let mock = MockXsp::start(3600).await;
    let targets = Targets::CallCenters(vec![
        "sales@example.com".into(),
        "support@example.com".into(),
    ]);
    let mut run = start(settings(&mock, targets, &[QUEUE, MONITORING]));

    let posts = mock.wait_for_count(Method::POST, 4).await;
    let mut paths: Vec<_> = posts.iter().map(|r| r.path.clone()).collect();
    paths.sort();
    paths.dedup();
    assert_eq!(
        paths,
        [
            "/com.broadsoft.xsi-events/v2.0/user/sales@example.com",
            "/com.broadsoft.xsi-events/v2.0/user/support@example.com",
        ]
    );
    for post in &posts {
        assert_eq!(post.authorization.as_deref(), Some(AUTHORIZATION));
        assert_eq!(
            post.content_type.as_deref(),
            Some("application/xml; charset=UTF-8")
        );
        assert!(
            post.body
                .contains(r#"<Subscription xmlns="http://schema.broadsoft.com/xsi">"#),
            "{}",
            post.body
        );
        assert!(post.body.contains(&format!("<expires>3600</expires><httpContact><uri>{CONTACT}</uri></httpContact><applicationId>{APP_ID}</applicationId>")), "{}", post.body);
    }
    let packages: Vec<_> = posts
        .iter()
        .filter(|p| p.body.contains("<event>Call Center Monitoring</event>"))
        .collect();
    assert_eq!(packages.len(), 2);

    let status = status_until(&mut run.status, "all subscribed", |s| {
        s.health == Health::Ok
    })
    .await;
    assert!(
        status.summary.starts_with("4/4 subscribed"),
        "{}",
        status.summary
    );
    assert!(
        status.details.iter().any(|d| d.contains(APP_ID)),
        "{:?}",
        status.details
    );
    run.handle.shutdown().await;
}

#[tokio::test]
async fn uses_the_granted_expires_and_refreshes_at_half_time() {
    // Asked for 3600 s, granted 1 s: only a client that plans by the grant refreshes now.
    let mock = MockXsp::start(1).await;
    let run = start(settings(
        &mock,
        one_call_center("sales@example.com"),
        &[QUEUE],
    ));

    let puts = mock.wait_for_count(Method::PUT, 2).await;
    for put in &puts {
        assert_eq!(
            put.path,
            format!(
                "/com.broadsoft.xsi-events/v2.0/subscription/{}",
                subscription_id(1)
            )
        );
        assert!(put.body.contains("<Subscription xmlns=\"http://schema.broadsoft.com/xsi\"><expires>3600</expires></Subscription>"), "{}", put.body);
    }
    assert_eq!(
        mock.requests_with(&Method::POST).len(),
        1,
        "a refresh is not a new subscription"
    );
    run.handle.shutdown().await;
}

#[tokio::test]
async fn a_403_on_refresh_subscribes_again() {
    let mock = MockXsp::start(1).await;
    mock.script(Method::PUT, Reply::Forbidden);
    let mut run = start(settings(
        &mock,
        one_call_center("sales@example.com"),
        &[QUEUE],
    ));

    mock.wait_for_count(Method::POST, 2).await;
    status_until(&mut run.status, "the new subscription", |s| {
        s.health == Health::Ok && s.details.iter().any(|d| d.contains("id 00000002"))
    })
    .await;
    run.handle.shutdown().await;
    let deletes = mock.requests_with(&Method::DELETE);
    assert!(
        deletes
            .iter()
            .all(|d| !d.path.ends_with(&subscription_id(1))),
        "the refused one is not deleted again"
    );
}

#[tokio::test]
async fn a_404_on_refresh_subscribes_again_too() {
    let mock = MockXsp::start(1).await;
    mock.script(Method::PUT, Reply::NotFound);
    let run = start(settings(
        &mock,
        one_call_center("sales@example.com"),
        &[QUEUE],
    ));
    mock.wait_for_count(Method::POST, 2).await;
    run.handle.shutdown().await;
}

#[tokio::test]
async fn subscription_terminated_event_triggers_resubscribe_and_stale_ones_are_ignored() {
    let mock = MockXsp::start(3600).await;
    let mut run = start(settings(
        &mock,
        one_call_center("sales@example.com"),
        &[QUEUE],
    ));
    status_until(&mut run.status, "subscribed", |s| s.health == Health::Ok).await;

    run.handle
        .command(FeedCommand::Terminated(Arc::from("not-ours")));
    run.handle
        .command(FeedCommand::Terminated(Arc::from(subscription_id(1))));
    mock.wait_for_count(Method::POST, 2).await;
    status_until(&mut run.status, "subscribed again", |s| {
        s.health == Health::Ok
    })
    .await;

    // The same (now old) id again: nothing to do. A command afterwards proves the task is
    // still listening, and the count shows the stale termination caused no subscribe.
    run.handle
        .command(FeedCommand::Terminated(Arc::from(subscription_id(1))));
    run.handle.command(FeedCommand::Resubscribe(None));
    mock.wait_for_count(Method::POST, 3).await;
    assert_eq!(mock.requests_with(&Method::POST).len(), 3);
    run.handle.shutdown().await;
}

/// Wait until the subscription's status line names the `n`th granted id.
async fn holding(run: &mut Running, n: u32) {
    let short = &subscription_id(n)[..8];
    status_until(&mut run.status, &format!("subscription {short}"), |s| {
        s.health == Health::Ok && s.details.iter().any(|d| d.contains(&format!("id {short}")))
    })
    .await;
}

/// Every id let go of is retired (the event channel answers its events 481): deleted on `r`,
/// ended by the XSP, deleted on quit. The id held is never retired.
#[tokio::test]
async fn ids_deleted_or_terminated_are_retired_and_the_held_one_is_not() {
    let mock = MockXsp::start(3600).await;
    let mut run = start(settings(
        &mock,
        one_call_center("sales@example.com"),
        &[QUEUE],
    ));
    let retired = run.handle.retired().clone();
    holding(&mut run, 1).await;
    assert!(retired.is_empty());

    run.handle.command(FeedCommand::Resubscribe(None));
    holding(&mut run, 2).await;
    assert!(retired.contains(&subscription_id(1)), "deleted on r");
    assert!(!retired.contains(&subscription_id(2)));

    run.handle
        .command(FeedCommand::Terminated(Arc::from(subscription_id(2))));
    holding(&mut run, 3).await;
    assert!(retired.contains(&subscription_id(2)), "ended by the XSP");
    assert!(!retired.contains(&subscription_id(3)));

    run.handle.shutdown().await;
    assert!(retired.contains(&subscription_id(3)), "deleted on quit");
    assert_eq!(retired.len(), 3);
}

/// A refused refresh loses the subscription; a failed one is replaced by a new subscribe
/// without a DELETE. Either way the old id is retired once the new one is held.
#[tokio::test]
async fn ids_lost_or_replaced_after_a_refresh_are_retired() {
    for (reply, what) in [
        (Reply::Forbidden, "refused"),
        (Reply::ServerError, "failed"),
    ] {
        let mock = MockXsp::start(1).await;
        mock.script(Method::PUT, reply);
        let mut run = start(settings(
            &mock,
            one_call_center("sales@example.com"),
            &[QUEUE],
        ));
        let retired = run.handle.retired().clone();
        holding(&mut run, 2).await;
        assert!(retired.contains(&subscription_id(1)), "refresh {what}");
        assert!(!retired.contains(&subscription_id(2)), "refresh {what}");
        run.handle.shutdown().await;
    }
}

#[test]
fn retired_ids_are_bounded_oldest_first_and_a_regranted_id_is_ours_again() {
    let retired = Retired::new();
    let id = |n: usize| Arc::<str>::from(format!("sub-{n}"));
    for n in 0..Retired::CAPACITY + 10 {
        retired.retire(id(n));
    }
    // Retiring twice keeps one entry.
    retired.retire(id(Retired::CAPACITY + 9));
    assert_eq!(retired.len(), Retired::CAPACITY);
    assert!(!retired.contains("sub-9"), "the oldest are forgotten");
    assert!(retired.contains("sub-10"));
    assert!(retired.contains(&id(Retired::CAPACITY + 9)));

    retired.reinstate("sub-10");
    assert!(!retired.contains("sub-10"));
    assert_eq!(retired.len(), Retired::CAPACITY - 1);
    // Room again: the next one retired forgets nothing.
    retired.retire(id(5000));
    assert!(retired.contains("sub-11"));
    assert_eq!(retired.len(), Retired::CAPACITY);
}

#[tokio::test]
async fn a_401_waits_for_the_user_and_is_shown_in_words() {
    let mock = MockXsp::start(3600).await;
    mock.script(Method::POST, Reply::Unauthorized);
    let mut run = start(settings(
        &mock,
        one_call_center("sales@example.com"),
        &[QUEUE],
    ));

    let status = status_until(&mut run.status, "the 401 wait", |s| {
        s.health == Health::Down && s.summary.contains("press r")
    })
    .await;
    assert!(
        status.summary.contains("wrong user or password (401)"),
        "{}",
        status.summary
    );
    assert_eq!(mock.requests_with(&Method::POST).len(), 1);

    run.handle.command(FeedCommand::Resubscribe(Some(Arc::from(
        "sales@example.com",
    ))));
    mock.wait_for_count(Method::POST, 2).await;
    status_until(&mut run.status, "subscribed after r", |s| {
        s.health == Health::Ok
    })
    .await;
    assert_eq!(
        mock.requests_with(&Method::POST).len(),
        2,
        "no retry of its own in between"
    );
    run.handle.shutdown().await;
}

#[tokio::test]
async fn a_403_error_info_on_subscribe_is_shown_and_retried_with_backoff() {
    let mock = MockXsp::start(3600).await;
    mock.script(Method::POST, Reply::Forbidden);
    mock.script(Method::POST, Reply::ServerError);
    let mut run = start(settings(
        &mock,
        one_call_center("sales@example.com"),
        &[QUEUE],
    ));

    let failed = status_until(&mut run.status, "the 403", |s| {
        s.details.iter().any(|d| d.contains("retrying"))
    })
    .await;
    assert!(
        failed
            .details
            .iter()
            .any(|d| d.contains("refused (403): Subscription not found (error 110861)")),
        "{:?}",
        failed.details
    );
    mock.wait_for_count(Method::POST, 3).await;
    status_until(&mut run.status, "subscribed at last", |s| {
        s.health == Health::Ok
    })
    .await;
    run.handle.shutdown().await;
}

/// A dead XSP is a red status in words, retried, never a crash: the innermost cause and the
/// host, not reqwest's layers of wrapping.
#[tokio::test]
async fn an_unreachable_xsp_is_shown_in_words_and_retried() {
    let mock = MockXsp::start(3600).await;
    // A port that refuses: bound, then closed again.
    let closed = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let port = closed.local_addr().expect("addr").port();
    drop(closed);
    let mut dead = settings(&mock, one_call_center("sales@example.com"), &[QUEUE]);
    dead.xsp_url = Url::parse(&format!("http://127.0.0.1:{port}")).expect("url");
    let mut run = start(dead);

    let shown = status_until(&mut run.status, "a retry after the refusal", |s| {
        s.details.iter().any(|d| d.contains("retrying"))
    })
    .await;
    assert_eq!(shown.health, Health::Down, "{shown:?}");
    let line = shown
        .details
        .iter()
        .find(|d| d.contains("unreachable"))
        .unwrap_or_else(|| panic!("no unreachable line: {:?}", shown.details));
    assert!(line.contains(&format!("127.0.0.1:{port}")), "{line}");
    assert!(line.to_ascii_lowercase().contains("refused"), "{line}");
    assert!(!line.contains("error sending request"), "{line}");
    run.handle.shutdown().await;
}

#[tokio::test]
async fn discovers_the_supervised_call_centers() {
    let mock = MockXsp::start(3600).await;
    mock.set_call_centers(&["sales@example.com", "support@example.com"]);
    let mut run = start(settings(&mock, Targets::Discover, &[QUEUE]));

    let posts = mock.wait_for_count(Method::POST, 2).await;
    let gets = mock.requests_with(&Method::GET);
    assert_eq!(
        gets[0].path,
        format!("/com.broadsoft.xsi-actions/v2.0/user/{USER}/directories/CallCenters")
    );
    assert_eq!(gets[0].query.as_deref(), Some("user=Supervisor"));
    let mut paths: Vec<_> = posts.iter().map(|p| p.path.as_str()).collect();
    paths.sort_unstable();
    assert_eq!(
        paths,
        [
            "/com.broadsoft.xsi-events/v2.0/user/sales@example.com",
            "/com.broadsoft.xsi-events/v2.0/user/support@example.com",
        ]
    );
    let status = status_until(&mut run.status, "subscribed", |s| s.health == Health::Ok).await;
    assert!(
        status.details.iter().any(
            |d| d.contains("discovered 2 call centers: sales@example.com, support@example.com")
        ),
        "{:?}",
        status.details
    );
    run.handle.shutdown().await;
}

#[tokio::test]
async fn a_collection_target_fetches_each_queue_as_a_snapshot() {
    let mock = MockXsp::start(3600).await;
    mock.set_queue(
        "sales@example.com",
        [Call::new("callhalf-sales@example.com").caller("Caller & Co", "tel:+15007003333")],
    );
    let targets = Targets::Collection {
        target: "enterprise/ent1/group/grp1".into(),
        call_centers: vec!["sales@example.com".into()],
    };
    let mut run = start(settings(&mock, targets, &[QUEUE, MONITORING]));

    let posts = mock.wait_for_count(Method::POST, 2).await;
    assert!(
        posts
            .iter()
            .all(|p| p.path == "/com.broadsoft.xsi-events/v2.0/enterprise/ent1/group/grp1")
    );
    let (call_center, snapshot, _) = next_fetched(&mut run.arrivals).await;
    assert_eq!(&*call_center, "sales@example.com");
    assert_eq!(snapshot.entries.len(), 1);
    assert_eq!(
        snapshot.entries[0].call_id.as_ref(),
        "callhalf-sales@example.com"
    );
    assert_eq!(
        snapshot.entries[0].remote_party.name.as_deref(),
        Some("Caller & Co")
    );
    // Only the queue package's subscription fetches; monitoring needs no snapshot.
    let fetches = mock.requests_with(&Method::GET);
    assert_eq!(fetches.len(), 1, "{fetches:#?}");
    assert_eq!(
        fetches[0].path,
        "/com.broadsoft.xsi-actions/v2.0/callcenter/sales@example.com/calls"
    );
    // A collection gets no initial event: neither subscription spent a sequence number.
    let granted = mock.subscriptions();
    assert_eq!(granted.len(), 2, "{granted:#?}");
    assert!(granted.iter().all(|s| s.last_sequence == 0), "{granted:#?}");
    run.handle.shutdown().await;
}

#[tokio::test]
async fn resubscribe_one_target_deletes_and_subscribes_only_it() {
    let mock = MockXsp::start(3600).await;
    let targets = Targets::CallCenters(vec![
        "sales@example.com".into(),
        "support@example.com".into(),
    ]);
    let mut run = start(settings(&mock, targets, &[QUEUE]));
    status_until(&mut run.status, "subscribed", |s| s.health == Health::Ok).await;

    run.handle.command(FeedCommand::Resubscribe(Some(Arc::from(
        "support@example.com",
    ))));
    let posts = mock.wait_for_count(Method::POST, 3).await;
    assert_eq!(
        posts[2].path,
        "/com.broadsoft.xsi-events/v2.0/user/support@example.com"
    );
    let deletes = mock.requests_with(&Method::DELETE);
    assert_eq!(deletes.len(), 1);
    run.handle.shutdown().await;
}

#[tokio::test]
async fn shutdown_deletes_every_subscription() {
    let mock = MockXsp::start(3600).await;
    let targets = Targets::CallCenters(vec![
        "sales@example.com".into(),
        "support@example.com".into(),
    ]);
    let mut run = start(settings(&mock, targets, &[QUEUE, MONITORING]));
    status_until(&mut run.status, "subscribed", |s| s.health == Health::Ok).await;

    run.handle.shutdown().await;
    let mut deleted: Vec<_> = mock
        .requests_with(&Method::DELETE)
        .into_iter()
        .map(|d| d.path)
        .collect();
    deleted.sort();
    let mut expected: Vec<_> = (1..=4)
        .map(|n| {
            format!(
                "/com.broadsoft.xsi-events/v2.0/subscription/{}",
                subscription_id(n)
            )
        })
        .collect();
    expected.sort();
    assert_eq!(deleted, expected);
}

#[tokio::test]
async fn shutdown_is_bounded_when_the_xsp_hangs() {
    let mock = MockXsp::start(3600).await;
    mock.script(Method::DELETE, Reply::Hang);
    let mut run = start(settings(
        &mock,
        one_call_center("sales@example.com"),
        &[QUEUE],
    ));
    status_until(&mut run.status, "subscribed", |s| s.health == Health::Ok).await;

    // The bound is generous on purpose: this checks that shutdown ends, not how fast.
    tokio::time::timeout(Duration::from_secs(20), run.handle.shutdown())
        .await
        .expect("shutdown returns although the XSP never answers the DELETE");
    assert_eq!(mock.requests_with(&Method::DELETE).len(), 1);
}

#[tokio::test]
async fn a_slow_xsp_is_waited_for_and_quitting_mid_request_returns() {
    let mock = MockXsp::start(3600).await;
    mock.script(Method::POST, Reply::Delay(Duration::from_millis(300)));
    let mut run = start(settings(
        &mock,
        one_call_center("sales@example.com"),
        &[QUEUE],
    ));
    status_until(&mut run.status, "subscribed", |s| s.health == Health::Ok).await;
    assert_eq!(
        mock.requests_with(&Method::POST).len(),
        1,
        "a slow answer is not a failure"
    );
    run.handle.shutdown().await;

    let hung = MockXsp::start(3600).await;
    hung.script(Method::POST, Reply::Hang);
    let run = start(settings(
        &hung,
        one_call_center("sales@example.com"),
        &[QUEUE],
    ));
    hung.wait_for_count(Method::POST, 1).await;
    tokio::time::timeout(Duration::from_secs(20), run.handle.shutdown())
        .await
        .expect("shutdown returns while a subscribe hangs");
    assert!(
        hung.requests_with(&Method::DELETE).is_empty(),
        "nothing granted, nothing to delete"
    );
}

/// Quitting while a subscribe is on its way must not leave the XSP with a subscription that
/// POSTs to a closed contact for an hour: the answer is awaited (bounded) and then deleted.
#[tokio::test]
async fn quitting_while_a_subscribe_is_answered_deletes_what_was_granted() {
    let mock = MockXsp::start(3600).await;
    mock.script(Method::POST, Reply::Delay(Duration::from_millis(200)));
    let run = start(settings(
        &mock,
        one_call_center("sales@example.com"),
        &[QUEUE],
    ));
    mock.wait_for_count(Method::POST, 1).await;
    tokio::time::timeout(Duration::from_secs(20), run.handle.shutdown())
        .await
        .expect("shutdown returns");
    let deletes = mock.requests_with(&Method::DELETE);
    assert_eq!(deletes.len(), 1, "{deletes:#?}");
    assert_eq!(
        deletes[0].path,
        format!(
            "/com.broadsoft.xsi-events/v2.0/subscription/{}",
            subscription_id(1)
        )
    );
}

#[tokio::test]
async fn a_wrong_password_is_shown_and_not_retried() {
    let mock = MockXsp::start(3600).await;
    let mut wrong = settings(&mock, one_call_center("sales@example.com"), &[QUEUE]);
    wrong.password = Secret::new("wrong");
    let mut run = start(wrong);
    status_until(&mut run.status, "the 401", |s| s.summary.contains("(401)")).await;
    assert_eq!(mock.requests().len(), 1);
    run.handle.shutdown().await;
}

// --- documents: what we send and what the XSP answers ---

mod documents {
    use std::path::PathBuf;

    use std::sync::Arc;

    use xsi_wallboard::xsi::request::{
        Delivery, ResponseError, SubscriptionRequest, parse_acd_queue, parse_call_center_agents,
        parse_call_centers, parse_channel_response, parse_error_info, parse_subscription_response,
        refresh_xml,
    };
    use xsi_wallboard::xsi::{EventData, QueueEntry, QueueSnapshot, RemoteParty};

    /// `../shared/xsi` (samples and schema), where this checkout has it.
    fn shared() -> Option<PathBuf> {
        let candidates = [
            std::env::var_os("XSI_SHARED_DIR").map(PathBuf::from),
            Some(PathBuf::from(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../shared/xsi"
            ))),
            Some(PathBuf::from("/work/wt/shared/xsi")),
        ];
        let found = candidates
            .into_iter()
            .flatten()
            .find(|p| p.join("xsd").is_dir());
        if found.is_none() {
            eprintln!("skipped: ../shared/xsi not found (set XSI_SHARED_DIR)");
        }
        found
    }

    fn sample(name: &str) -> Option<Vec<u8>> {
        shared().map(|dir| {
            std::fs::read(dir.join("samples/public").join(name)).expect("sample readable")
        })
    }

    fn request(delivery: Delivery) -> SubscriptionRequest {
        SubscriptionRequest {
            event: xsi_wallboard::xsi::Package::Queue,
            expires: 3600,
            delivery,
            application_id: "xsi-wallboard/host & co/default".into(),
        }
    }

    #[test]
    fn subscription_with_http_contact_in_schema_order() {
        let xml = request(Delivery::HttpContact(
            "https://wb.example:8443/xsi-events?a=1&b=2".into(),
        ))
        .to_xml();
        assert_eq!(
            xml,
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Subscription xmlns=\"http://schema.broadsoft.com/xsi\">\
             <event>Call Center Queue</event><expires>3600</expires>\
             <httpContact><uri>https://wb.example:8443/xsi-events?a=1&amp;b=2</uri></httpContact>\
             <applicationId>xsi-wallboard/host &amp; co/default</applicationId></Subscription>"
        );
    }

    #[test]
    fn subscription_with_channel_set_id() {
        let xml = request(Delivery::ChannelSet("set-1".into())).to_xml();
        assert!(
            xml.contains(
                "<expires>3600</expires><channelSetId>set-1</channelSetId><applicationId>"
            ),
            "{xml}"
        );
        assert!(!xml.contains("httpContact"));
    }

    #[test]
    fn what_we_send_validates_against_the_schema() {
        let Some(dir) = shared() else { return };
        if std::process::Command::new("xmllint")
            .arg("--version")
            .output()
            .is_err()
        {
            eprintln!("skipped: xmllint not installed");
            return;
        }
        let documents = [
            (
                "http",
                request(Delivery::HttpContact(
                    "https://wb.example/xsi-events".into(),
                ))
                .to_xml(),
            ),
            (
                "channel",
                request(Delivery::ChannelSet("set-1".into())).to_xml(),
            ),
            ("refresh", refresh_xml(3600)),
        ];
        for (name, xml) in documents {
            let path = std::env::temp_dir()
                .join(format!("xsi-wallboard-{}-{name}.xml", std::process::id()));
            std::fs::write(&path, &xml).expect("write temp");
            let out = std::process::Command::new("xmllint")
                .arg("--noout")
                .arg("--schema")
                .arg(dir.join("xsd/XSISchema.xsd"))
                .arg(&path)
                .output()
                .expect("xmllint runs");
            let _ = std::fs::remove_file(&path);
            assert!(
                out.status.success(),
                "{name}: {}\n{xml}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
    }

    #[test]
    fn subscription_response_sample() {
        let Some(body) = sample("SubscriptionResponse__kimwinther_check_xsi.xml") else {
            return;
        };
        let r = parse_subscription_response(&body).expect("parses");
        assert_eq!(
            r.subscription_id.as_deref(),
            Some("98ed3939-c113-419c-8012-092556b85c66")
        );
        assert_eq!(r.expires, Some(86400));
    }

    #[test]
    fn refresh_answer_without_id_and_prefixed_namespace() {
        let body = br#"<x:Subscription xmlns:x="http://schema.broadsoft.com/xsi"><x:expires>7200</x:expires></x:Subscription>"#;
        let r = parse_subscription_response(body).expect("parses");
        assert_eq!((r.subscription_id, r.expires), (None, Some(7200)));
    }

    #[test]
    fn a_subscription_in_another_namespace_is_not_ours() {
        let body =
            br#"<Subscription xmlns="urn:other"><subscriptionId>x</subscriptionId></Subscription>"#;
        assert!(matches!(
            parse_subscription_response(body),
            Err(ResponseError::UnexpectedRoot { .. })
        ));
        assert!(matches!(
            parse_subscription_response(b"<Subscription"),
            Err(ResponseError::Malformed(_))
        ));
    }

    #[test]
    fn error_info_sample_in_latin1() {
        let Some(body) = sample("ErrorInfo__nextiva_android_app.xml") else {
            return;
        };
        let info = parse_error_info(&body).expect("parses");
        assert_eq!(
            info.summary_english,
            "Phone Number already exists +1123456789."
        );
        assert_eq!(info.error_code, Some(8251));
        assert_eq!(
            info.to_string(),
            "Phone Number already exists +1123456789. (error 8251)"
        );
    }

    #[test]
    fn error_info_decodes_by_its_declaration() {
        let mut body = br#"<?xml version="1.0" encoding="ISO-8859-1"?><ErrorInfo xmlns="http://schema.broadsoft.com/xsi"><summaryEnglish>Benutzer gel"#.to_vec();
        body.push(0xF6); // ö in ISO-8859-1
        body.extend_from_slice(b"scht</summaryEnglish><errorCode>4001</errorCode></ErrorInfo>");
        let info = parse_error_info(&body).expect("parses");
        assert_eq!(info.summary_english, "Benutzer gelöscht");
    }

    /// An `ErrorInfo` in the XSP's default charset, declared as ISO-8859-1 (or windows-1252):
    /// read as windows-1252, as browsers do, so text typed on Windows keeps its `€` (0x80).
    #[test]
    fn error_info_in_windows_1252_keeps_its_e_acute_and_euro() {
        for declaration in [
            r#"<?xml version="1.0" encoding="ISO-8859-1"?>"#,
            "<?xml version='1.0' encoding = 'windows-1252' ?>",
            r#"<?xml version="1.0" encoding="latin1"?>"#,
        ] {
            let mut body = declaration.as_bytes().to_vec();
            body.extend_from_slice(
                br#"<ErrorInfo xmlns="http://schema.broadsoft.com/xsi"><summaryEnglish>Caf"#,
            );
            body.push(0xE9); // é
            body.extend_from_slice(b" ferm");
            body.push(0xE9);
            body.extend_from_slice(b": 5 ");
            body.push(0x80); // € in windows-1252, a C1 control in ISO-8859-1 proper
            body.extend_from_slice(b"</summaryEnglish><errorCode>4001</errorCode></ErrorInfo>");
            let info = parse_error_info(&body).expect("parses");
            assert_eq!(info.summary_english, "Café fermé: 5 €", "{declaration}");
            assert_eq!(info.error_code, Some(4001));
        }
    }

    /// A byte-order mark says more than the declaration: UTF-16 with its mark is read, and a
    /// UTF-8 mark before the declaration is passed over.
    #[test]
    fn error_info_by_its_byte_order_mark() {
        let text = r#"<?xml version="1.0" encoding="UTF-16"?><ErrorInfo xmlns="http://schema.broadsoft.com/xsi"><summaryEnglish>Zoë €</summaryEnglish><errorCode>1</errorCode></ErrorInfo>"#;
        let mut utf16 = vec![0xFF, 0xFE];
        utf16.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
        let info = parse_error_info(&utf16).expect("UTF-16 parses");
        assert_eq!(info.summary_english, "Zoë €");
        let utf8 = [
            b"\xEF\xBB\xBF".as_slice(),
            text.replace("UTF-16", "UTF-8").as_bytes(),
        ]
        .concat();
        let info = parse_error_info(&utf8).expect("UTF-8 with a mark parses");
        assert_eq!(info.summary_english, "Zoë €");
        // A label no one knows: UTF-8, the XML default.
        let unknown = text.replace("UTF-16", "x-martian");
        let info = parse_error_info(unknown.as_bytes()).expect("parses");
        assert_eq!(info.summary_english, "Zoë €");
    }

    #[test]
    fn call_centers_directory() {
        let body = br#"<?xml version="1.0" encoding="UTF-8"?>
<CallCenters xmlns="http://schema.broadsoft.com/xsi">
  <callCenter><serviceUserID>sales@example.com</serviceUserID></callCenter>
  <callCenter><serviceUserID>support@example.com</serviceUserID><numberCallsInQueue>2</numberCallsInQueue></callCenter>
</CallCenters>"#;
        assert_eq!(
            parse_call_centers(body).expect("parses"),
            ["sales@example.com", "support@example.com"]
        );
        let empty = br#"<CallCenters xmlns="http://schema.broadsoft.com/xsi"/>"#;
        assert!(parse_call_centers(empty).expect("parses").is_empty());
    }

    /// Answers are matched by namespace URI, never by prefix: a foreign element with an XSI
    /// local name is not read, whatever prefix either uses; what follows the root is not read.
    #[test]
    fn answers_count_xsi_elements_by_namespace_not_by_prefix() {
        let body =
            br#"<s:Subscription xmlns:s="http://schema.broadsoft.com/xsi" xmlns:xsi="urn:not-xsi">
  <s:subscriptionId> sub-1 </s:subscriptionId><s:expires>3600</s:expires>
  <xsi:subscriptionId>foreign</xsi:subscriptionId><xsi:expires>BLAAT</xsi:expires>
</s:Subscription> trailing bytes, not read"#;
        let r = parse_subscription_response(body).expect("parses");
        assert_eq!(r.subscription_id.as_deref(), Some("sub-1"));
        assert_eq!(r.expires, Some(3600));

        let channel = parse_channel_response(
            br#"<Channel xmlns="http://schema.broadsoft.com/xsi"><channelId>ch</channelId><expires>soon</expires></Channel>"#,
        );
        assert_eq!(channel, Err(ResponseError::Missing("expires")));
        let channel = parse_channel_response(
            br#"<c:Channel xmlns:c="http://schema.broadsoft.com/xsi"><c:channelId>ch</c:channelId></c:Channel>"#,
        )
        .expect("parses");
        assert_eq!(
            (channel.channel_id.as_deref(), channel.expires),
            (Some("ch"), None)
        );

        // `summary` stands in for a missing `summaryEnglish`; a foreign `summaryEnglish` is
        // not one.
        let info = parse_error_info(
            br#"<ErrorInfo xmlns="http://schema.broadsoft.com/xsi" xmlns:o="urn:o"><o:summaryEnglish>no</o:summaryEnglish><summary>Nein</summary><errorCode>x</errorCode></ErrorInfo>"#,
        )
        .expect("parses");
        assert_eq!(
            (
                info.summary_english.as_str(),
                info.summary.as_deref(),
                info.error_code
            ),
            ("Nein", Some("Nein"), None)
        );
        assert_eq!(
            parse_error_info(br#"<ErrorInfo xmlns="http://schema.broadsoft.com/xsi"/>"#),
            Err(ResponseError::Missing("summaryEnglish"))
        );
    }

    /// No answer may bring a document type declaration (its entities could expand without
    /// bound): refused before the root is read.
    #[test]
    fn an_answer_with_a_doctype_is_refused() {
        let body = br#"<?xml version="1.0"?><!DOCTYPE Subscription [<!ENTITY a "aaaa">]><Subscription xmlns="http://schema.broadsoft.com/xsi"><subscriptionId>&a;</subscriptionId></Subscription>"#;
        assert!(matches!(
            parse_subscription_response(body),
            Err(ResponseError::Refused(_))
        ));
    }

    /// The supervisor's agents in the call center asked for: another call center's are left
    /// out wherever its `serviceUserID` stands, one without an id counts, and only XSI
    /// `userId`s are taken.
    #[test]
    fn call_center_agents_directory() {
        let body = br#"<?xml version="1.0" encoding="ISO-8859-1"?>
<d:CallCenterAgents xmlns:d="http://schema.broadsoft.com/xsi" xmlns:o="urn:other">
  <d:callCenter><d:agentList><d:userDetails><d:userId>other-agent</d:userId></d:userDetails></d:agentList>
    <d:serviceUserID>support@example.com</d:serviceUserID></d:callCenter>
  <d:callCenter><d:serviceUserID>sales@example.com</d:serviceUserID>
    <d:agentList><d:userDetails><d:userId>ann@example.com</d:userId><d:firstName>Ann</d:firstName></d:userDetails>
      <d:userDetails><o:userId>foreign</o:userId><d:userId> bob@example.com </d:userId></d:userDetails></d:agentList>
    <d:agentList><d:userDetails><d:userId>cy@example.com</d:userId></d:userDetails></d:agentList></d:callCenter>
  <d:callCenter><d:agentList><d:userDetails><d:userId>no-id@example.com</d:userId></d:userDetails></d:agentList></d:callCenter>
</d:CallCenterAgents>"#;
        assert_eq!(
            parse_call_center_agents(body, "sales@example.com").expect("parses"),
            [
                "ann@example.com",
                "bob@example.com",
                "cy@example.com",
                "no-id@example.com"
            ]
        );
        assert!(matches!(
            parse_call_center_agents(body, "x").map(|a| a.len()),
            Ok(1)
        ));
        assert!(matches!(
            parse_call_center_agents(
                br#"<CallCenters xmlns="http://schema.broadsoft.com/xsi"/>"#,
                "x"
            ),
            Err(ResponseError::UnexpectedRoot {
                expected: "CallCenterAgents",
                ..
            })
        ));
    }

    /// An `ACDQueue` entry is read as the same entry in an `ACDSubscriptionEvent`: one reader
    /// for both, so a fetched queue and an initial event cannot disagree about a call.
    #[test]
    fn acd_queue_entries_read_as_event_entries() {
        let entry = QueueEntry {
            call_id: Arc::from("callhalf-1:0"),
            ext_tracking_id: Arc::from("1:1"),
            remote_party: RemoteParty {
                name: Some(Arc::from("Zoë <Müller> & Co")),
                address: Some(Arc::from("tel:+41445551234")),
                user_id: Some(Arc::from("zoe@example.com")),
                privacy: true,
                call_type: Some(Arc::from("Network")),
                ..RemoteParty::default()
            },
            add_time: Some(1_700_000_000_000),
            remove_time: Some(1_700_000_060_000),
            preserved_wait_secs: Some(12),
            bounced: true,
            acd_name: Some(Arc::from("Sales")),
            acd_number: Some(Arc::from("+15550000")),
            acd_priority: Some(2),
            add_time_in_priority_bucket: Some(1_700_000_000_000),
            answering_user_id: Some(Arc::from("ann@example.com")),
            ..QueueEntry::default()
        };
        let event = xsi_wallboard::xsi::write_queue_event(
            &xsi_wallboard::xsi::Envelope::default(),
            &EventData::QueueSnapshot(QueueSnapshot {
                resync: false,
                entries: vec![entry.clone()],
            }),
        );
        let from = event.find("<xsi:queueEntries>").expect("entries written");
        let to = event.find("</xsi:eventData>").expect("eventData closed");
        let body = format!(
            r#"<xsi:ACDQueue xmlns:xsi="http://schema.broadsoft.com/xsi">{}</xsi:ACDQueue>"#,
            &event[from..to]
        );
        let fetched = parse_acd_queue(body.as_bytes()).expect("parses");
        assert_eq!(fetched.entries, [entry]);

        // Where an event would be refused, the fetched list only loses the value: an `addTime`
        // that is no time, a priority outside 0-3, a preserved wait of 0.
        let odd = br#"<ACDQueue xmlns="http://schema.broadsoft.com/xsi"><queueEntries><queueEntry>
  <callId>c3</callId><addTime>5</addTime><acdPriority>7-Unknown</acdPriority>
  <preservedWaitTime>0</preservedWaitTime></queueEntry></queueEntries></ACDQueue>"#;
        let odd = parse_acd_queue(odd).expect("parses");
        let odd = &odd.entries[0];
        assert_eq!(
            (odd.add_time, odd.acd_priority, odd.preserved_wait_secs),
            (None, None, None)
        );
    }

    #[test]
    fn acd_queue_is_read_tolerantly() {
        let body = br#"<?xml version="1.0" encoding="UTF-8"?>
<ACDQueue xmlns="http://schema.broadsoft.com/xsi"><queueEntries>
 <queueEntry><callId>c1</callId><extTrackingId>7:1</extTrackingId>
  <remoteParty><name>Ann</name><address>tel:+15550001</address><privacy/></remoteParty>
  <addTime>1700000000000</addTime><mandatoryEntrance/><bounced/><acdPriority>0-Highest</acdPriority>
  <somethingNewer>ignored</somethingNewer></queueEntry>
 <queueEntry><extTrackingId>no call id: skipped</extTrackingId></queueEntry>
 <queueEntry><callId>c2</callId><remoteParty/><addTime>not a number</addTime></queueEntry>
</queueEntries></ACDQueue>"#;
        let snapshot = parse_acd_queue(body).expect("parses");
        assert!(!snapshot.resync);
        let ids: Vec<_> = snapshot
            .entries
            .iter()
            .map(|e| e.call_id.as_ref())
            .collect();
        assert_eq!(ids, ["c1", "c2"]);
        let first = &snapshot.entries[0];
        assert_eq!(first.add_time, Some(1_700_000_000_000));
        assert!(first.mandatory_entrance && first.bounced && !first.reordered);
        assert!(first.remote_party.privacy);
        assert_eq!(first.acd_priority, Some(0));
        assert_eq!(snapshot.entries[1].add_time, None);
        let empty = parse_acd_queue(br#"<ACDQueue xmlns="http://schema.broadsoft.com/xsi"/>"#)
            .expect("parses");
        assert!(empty.entries.is_empty());
    }
}

/// The board learns from the subscriber whether a call center is fed: a granted subscription
/// proves it even while the queue is quiet; a failing one shows it STALE at once, with why.
#[tokio::test]
async fn the_board_is_told_when_a_feed_is_up_and_when_it_is_down() {
    let mock = MockXsp::start(3600).await;
    let (handle, board, _tx) = start_wired(settings(
        &mock,
        one_call_center("sales@example.com"),
        &[QUEUE],
    ));
    truth_until(&board, "sales@example.com", "fed", |t| !t.stale).await;
    handle.shutdown().await;

    let failing = MockXsp::start(3600).await;
    for _ in 0..50 {
        failing.script(Method::POST, Reply::ServerError);
    }
    let (handle, board, _tx) = start_wired(settings(
        &failing,
        one_call_center("sales@example.com"),
        &[QUEUE],
    ));
    let truth = truth_until(&board, "sales@example.com", "STALE", |t| t.stale).await;
    let reason = truth.stale_reason.expect("a reason");
    assert!(
        reason.contains("queue subscription failed") && reason.contains("500"),
        "{reason}"
    );
    handle.shutdown().await;
}

/// A host clock 5 minutes behind the XSP's: the `Date` headers of the XSP's answers set the
/// offset, and wait timers count from `addTime` on the XSP's clock, neither inflated nor
/// negative.
#[tokio::test]
async fn the_xsps_date_headers_correct_a_skewed_host_clock() {
    let targets = || {
        Targets::CallCenters(vec![
            "sales@example.com".into(),
            "support@example.com".into(),
            "vip@example.com".into(),
        ])
    };
    let mock = MockXsp::start(3600).await;
    mock.set_clock_offset_ms(300_000);
    let (handle, board, _tx) = start_wired(settings(&mock, targets(), &[QUEUE]));
    let mut status = handle.status();
    status_until(&mut status, "subscribed", |s| s.health == Health::Ok).await;
    let offset = tokio::time::timeout(Duration::from_secs(30), async {
        loop {
            let offset = board.clock_offset_ms(now_ms());
            if offset != 0 {
                return offset;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
    .expect("the offset is estimated");
    // The Date header has whole seconds; the round trip on loopback is tiny.
    assert!(
        (offset - 300_000).abs() <= 1_500,
        "offset {offset} ms, expected about 300 000"
    );
    handle.shutdown().await;

    let honest = MockXsp::start(3600).await;
    let (handle, board, _tx) = start_wired(settings(&honest, targets(), &[QUEUE]));
    let mut status = handle.status();
    status_until(&mut status, "subscribed", |s| s.health == Health::Ok).await;
    assert_eq!(
        board.clock_offset_ms(now_ms()),
        0,
        "a clock within 2 s is left alone"
    );
    handle.shutdown().await;
}
/// With the "Call Center Agent" package the wallboard follows each agent the supervisor sees,
/// one subscription per agent user (each once, even when in two call centers), and subscribes
/// the call centers to the other packages only.
#[tokio::test]
async fn agents_are_found_and_subscribed_one_by_one() {
    let mock = MockXsp::start(3600).await;
    mock.set_agents(&[
        ("sales@example.com", "kim@example.com"),
        ("sales@example.com", "lee@example.com"),
        ("support@example.com", "lee@example.com"),
    ]);
    let targets = Targets::CallCenters(vec![
        "sales@example.com".into(),
        "support@example.com".into(),
    ]);
    let mut run = start(settings(&mock, targets, &[QUEUE, AGENT]));
    status_until(&mut run.status, "subscribed", |s| s.health == Health::Ok).await;

    let gets: Vec<String> = mock
        .requests_with(&Method::GET)
        .into_iter()
        .map(|r| format!("{}?{}", r.path, r.query.unwrap_or_default()))
        .collect();
    assert_eq!(
        gets,
        [
            format!(
                "/com.broadsoft.xsi-actions/v2.0/user/{USER}/directories/Agents?callcenter=sales%40example.com"
            ),
            format!(
                "/com.broadsoft.xsi-actions/v2.0/user/{USER}/directories/Agents?callcenter=support%40example.com"
            ),
        ]
    );
    let mut subscribed: Vec<(String, bool)> = mock
        .requests_with(&Method::POST)
        .into_iter()
        .map(|r| {
            let agent_package = r.body.contains("<event>Call Center Agent</event>");
            (r.path, agent_package)
        })
        .collect();
    subscribed.sort();
    let user = |id: &str| format!("/com.broadsoft.xsi-events/v2.0/user/{id}");
    assert_eq!(
        subscribed,
        [
            (user("kim@example.com"), true),
            (user("lee@example.com"), true),
            (user("sales@example.com"), false),
            (user("support@example.com"), false),
        ]
    );
    run.handle.shutdown().await;
}

/// A subscribe of a call center's own user brings an initial event; when none comes within
/// the wait, the inbound path is broken and the call center shows STALE until an event does.
#[tokio::test]
async fn a_missing_initial_event_marks_the_call_center_stale_until_an_event_arrives() {
    let mock = MockXsp::start(3600).await;
    let mut xsp = settings(&mock, one_call_center("sales@example.com"), &[QUEUE]);
    xsp.timing.initial_event_wait = Duration::from_millis(100);
    // The mock sends the initial event, but to wallboard.example, which it cannot reach (it
    // delivers only on loopback): the wallboard must notice, with a bound, not a timing.
    let (handle, board, tx) = start_wired(xsp);
    let lost = mock
        .wait_for_deliveries("the initial event", |d| !d.is_empty())
        .await;
    assert_eq!(lost[0].event_type, "ACDSubscriptionEvent");
    assert!(
        matches!(lost[0].outcome, Outcome::Unreachable(_)),
        "{lost:#?}"
    );
    let truth = truth_until(
        &board,
        "sales@example.com",
        "STALE without its initial event",
        |t| t.stale,
    )
    .await;
    let reason = truth.stale_reason.expect("a reason");
    assert!(reason.contains("no initial event"), "{reason}");
    // Any queue event for it proves the inbound path again.
    let event = xsi_wallboard::xsi::Event::Subscription(xsi_wallboard::xsi::SubscriptionEvent {
        envelope: xsi_wallboard::xsi::Envelope {
            event_id: Arc::from("late-initial"),
            subscription_id: Arc::from("sub"),
            target_id: Some(Arc::from("sales@example.com")),
            ..xsi_wallboard::xsi::Envelope::default()
        },
        data: EventData::QueueSnapshot(xsi_wallboard::xsi::QueueSnapshot::default()),
    });
    tx.send(Input::Event {
        event,
        arrival_ms: now_ms(),
    })
    .await
    .expect("applier running");
    truth_until(&board, "sales@example.com", "fed again", |t| !t.stale).await;
    handle.shutdown().await;
}
