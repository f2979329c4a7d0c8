//! The subscriber wired to a real board, against an in-process mock XSP: what the board learns
//! from it (a feed up or down, a missing initial event) and the clock offset the XSP's `Date`
//! headers give.

#[path = "common/mock_xsp.rs"]
mod mock_xsp;
#[path = "common/subscriber.rs"]
mod subscriber;

use std::sync::Arc;
use std::time::Duration;

use axum::http::Method;
use mock_xsp::{MockXsp, Outcome, QUEUE, Reply};
use subscriber::{one_call_center, settings, start_wired, status_until, truth_until};
use xsi_wallboard::board::{Input, now_ms};
use xsi_wallboard::config::Targets;
use xsi_wallboard::status::Health;
use xsi_wallboard::xsi::EventData;

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
        raw: None,
    })
    .await
    .expect("applier running");
    truth_until(&board, "sales@example.com", "fed again", |t| !t.stale).await;
    handle.shutdown().await;
}
