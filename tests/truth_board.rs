//! Board truth wired into the applier, the board and `/api/board`: sequence gaps make a queue
//! UNSURE and ask the feed to repair that subscription, a snapshot makes it sure again, events
//! older than the snapshot are ignored, silence and a dead feed make it STALE, and a host clock
//! that is minutes off neither inflates nor negates wait timers. Clocks are explicit: nothing
//! sleeps.

use std::sync::Arc;

use tokio::sync::mpsc;
use xsi_wallboard::board::api::ApiBoard;
use xsi_wallboard::board::{
    Applier, ApplyOutcome, Board, BoardConfig, DroppedEvent, FeedNews, Input, QueueRow, Subscribed,
};
use xsi_wallboard::status::FeedCommand;
use xsi_wallboard::xsi::{
    CallEvent, CallEventKind, Envelope, Event, EventData, Package, QueueEntry, QueueSnapshot,
    SubscriptionEvent,
};

const T0: i64 = 1_795_874_400_000;
const SALES: &str = "sales@example.com";
const SUPPORT: &str = "support@example.com";
const SUB: &str = "sub-queue-1";

fn envelope(n: u32, target: &str) -> Envelope {
    Envelope {
        event_id: Arc::from(format!("ev-{target}-{n}")),
        sequence_number: Some(n),
        user_id: Arc::from("supervisor@example.com"),
        subscription_id: Arc::from(SUB),
        target_id: Some(Arc::from(target)),
        ..Envelope::default()
    }
}

fn entry(call_id: &str, add_time: i64) -> QueueEntry {
    QueueEntry {
        call_id: Arc::from(call_id),
        ext_tracking_id: Arc::from(format!("ext-{call_id}")),
        add_time: Some(add_time),
        ..QueueEntry::default()
    }
}

fn added(n: u32, target: &str, call_id: &str, add_time: i64) -> Event {
    Event::Subscription(SubscriptionEvent {
        envelope: envelope(n, target),
        data: EventData::Call(CallEvent {
            kind: CallEventKind::Added,
            entry: entry(call_id, add_time),
            position: None,
            overflow_reason: None,
        }),
    })
}

fn snapshot(n: u32, target: &str, calls: &[(&str, i64)]) -> Event {
    Event::Subscription(SubscriptionEvent {
        envelope: envelope(n, target),
        data: EventData::QueueSnapshot(QueueSnapshot {
            entries: calls.iter().map(|(id, at)| entry(id, *at)).collect(),
            ..QueueSnapshot::default()
        }),
    })
}

/// An applier whose feed holds one collection subscription, `SUB`, feeding both call centers.
fn setup() -> (Applier, mpsc::UnboundedReceiver<FeedCommand>) {
    let board = Arc::new(Board::new(BoardConfig::default(), T0));
    let (tx, rx) = mpsc::unbounded_channel();
    let mut applier = Applier::new(board).with_commands(tx);
    applier.take(Input::Feed(FeedNews::Up(Subscribed {
        subscription_id: Arc::from(SUB),
        package: Package::Queue,
        target: Arc::from("enterprise/ent/group/grp"),
        call_centers: vec![Arc::from(SALES), Arc::from(SUPPORT)],
        collection: true,
        sent_ms: T0 - 1000,
        initial_event_due_ms: None,
    })));
    (applier, rx)
}

fn commands(rx: &mut mpsc::UnboundedReceiver<FeedCommand>) -> Vec<FeedCommand> {
    std::iter::from_fn(|| rx.try_recv().ok()).collect()
}

fn row(applier: &Applier, id: &str, now_ms: i64) -> QueueRow {
    applier
        .board()
        .snapshot(now_ms)
        .queues
        .into_iter()
        .find(|q| &*q.id == id)
        .expect("queue on the board")
}

#[test]
fn a_lost_event_makes_every_queue_of_its_subscription_unsure_until_a_snapshot() {
    let (mut applier, mut resyncs) = setup();
    applier.apply(&snapshot(1, SALES, &[]), T0);
    applier.apply(&snapshot(2, SUPPORT, &[]), T0);
    applier.apply(&added(3, SALES, "c1", T0), T0);
    // 4 never comes.
    applier.apply(&added(5, SUPPORT, "c2", T0), T0 + 10);
    assert_eq!(applier.expire_gaps(T0 + 1000), 0, "within the window");
    assert!(!row(&applier, SALES, T0 + 1000).truth.unsure);

    assert_eq!(applier.expire_gaps(T0 + 2500), 1);
    for id in [SALES, SUPPORT] {
        assert!(row(&applier, id, T0 + 2500).truth.unsure, "{id}");
    }
    // Events are ordered only per call center: the loss is the subscription's, so that one
    // subscription is repaired, once.
    assert_eq!(
        commands(&mut resyncs),
        [FeedCommand::Repair(Arc::from(SUB))]
    );
    let snap = applier.board().snapshot(T0 + 2500);
    assert_eq!(snap.sequence.gaps, 1);
    assert_eq!(snap.sequence.resyncs, 0);

    // The resubscription's initial event replaces the queue: sure again, counted once.
    applier.apply(&snapshot(6, SALES, &[("c1", T0)]), T0 + 3000);
    assert!(!row(&applier, SALES, T0 + 3000).truth.unsure);
    assert!(row(&applier, SUPPORT, T0 + 3000).truth.unsure);
    assert_eq!(applier.board().snapshot(T0 + 3000).sequence.resyncs, 1);
}

#[test]
fn an_event_overtaken_within_the_window_is_no_loss() {
    let (mut applier, mut resyncs) = setup();
    applier.apply(&added(1, SALES, "c1", T0), T0);
    applier.apply(&added(3, SUPPORT, "c3", T0), T0);
    applier.apply(&added(2, SALES, "c2", T0), T0 + 500);
    assert_eq!(applier.expire_gaps(T0 + 10_000), 0);
    assert!(resyncs.try_recv().is_err());
    assert_eq!(applier.board().snapshot(T0 + 10_000).sequence.gaps, 0);
}

#[test]
fn events_older_than_the_last_snapshot_are_ignored_and_counted_late() {
    let (mut applier, _resyncs) = setup();
    applier.apply(&added(1, SALES, "c1", T0), T0);
    applier.apply(&snapshot(5, SALES, &[("c1", T0)]), T0 + 100);
    // Sent before the snapshot (number 4), delivered after it: the snapshot already knows.
    assert_eq!(
        applier.apply(&added(4, SALES, "ghost", T0), T0 + 200),
        ApplyOutcome::Late
    );
    let sales = row(&applier, SALES, T0 + 200);
    assert_eq!(
        sales.calls.iter().map(|c| &*c.call_id).collect::<Vec<_>>(),
        ["c1"]
    );
    assert_eq!(applier.board().snapshot(T0 + 200).sequence.late, 1);
    // After the snapshot, events apply again.
    assert_eq!(
        applier.apply(&added(6, SALES, "c6", T0), T0 + 300),
        ApplyOutcome::Applied
    );
}

#[test]
fn a_silent_or_dead_feed_is_stale_and_an_event_proves_it_again() {
    let (mut applier, _resyncs) = setup();
    applier.apply(&snapshot(1, SALES, &[]), T0);
    let fresh = row(&applier, SALES, T0 + 60_000).truth;
    assert!(!fresh.stale);
    assert_eq!(fresh.data_age_secs, 60);

    let silent = row(&applier, SALES, T0 + 361_000).truth;
    assert!(silent.stale, "no proof for longer than liveness_secs");

    applier.apply(&added(2, SALES, "c1", T0 + 361_000), T0 + 361_000);
    assert!(!row(&applier, SALES, T0 + 362_000).truth.stale);

    applier.take(Input::Feed(FeedNews::Down {
        target: Arc::from(SALES),
        package: Package::Queue,
        call_centers: vec![Arc::from(SALES)],
        reason: "queue subscription failed: refused (403); retrying".into(),
        at_ms: T0 + 362_000,
    }));
    let down = row(&applier, SALES, T0 + 362_000).truth;
    assert!(down.stale, "a subscription that failed shows at once");
    assert_eq!(
        down.stale_reason.as_deref(),
        Some("queue subscription failed: refused (403); retrying")
    );
    applier.take(Input::Feed(FeedNews::Up(Subscribed {
        subscription_id: Arc::from("sub-new"),
        package: Package::Queue,
        target: Arc::from(SALES),
        call_centers: vec![Arc::from(SALES)],
        collection: false,
        sent_ms: T0 + 363_000,
        initial_event_due_ms: None,
    })));
    let up = row(&applier, SALES, T0 + 363_000).truth;
    assert!(!up.stale);
    assert_eq!(up.stale_reason, None);
}

#[test]
fn a_host_clock_five_minutes_slow_shows_true_waits() {
    let (mut applier, _resyncs) = setup();
    // This host runs 5 minutes behind the XSP: each call arrives "before" it was added.
    let skew = 300_000;
    for n in 0..3u32 {
        let host_now = T0 + i64::from(n) * 1000;
        let add_time = host_now + skew - 200; // delivered 200 ms after it was added
        applier.apply(&added(n + 1, SALES, &format!("c{n}"), add_time), host_now);
    }
    let snap = applier.board().snapshot(T0 + 10_000);
    assert!(
        (snap.clock_offset_ms - skew).abs() < 1000,
        "offset {}",
        snap.clock_offset_ms
    );
    let waits: Vec<u64> = snap.queues[0].calls.iter().map(|c| c.wait_secs).collect();
    // Added 10.2 s, 9.2 s and 8.2 s before the board looked, by the XSP's clock.
    assert_eq!(waits, [10, 9, 8]);
}

#[test]
fn a_small_offset_is_left_alone() {
    let (mut applier, _resyncs) = setup();
    for n in 0..5u32 {
        let host_now = T0 + i64::from(n) * 1000;
        applier.apply(
            &added(n + 1, SALES, &format!("c{n}"), host_now - 1500),
            host_now,
        );
    }
    assert_eq!(applier.board().snapshot(T0 + 10_000).clock_offset_ms, 0);
}

#[test]
fn api_board_carries_the_truth_fields() {
    let (mut applier, _resyncs) = setup();
    applier.apply(&snapshot(1, SALES, &[]), T0);
    let json = serde_json::to_value(ApiBoard::from(&applier.board().snapshot(T0 + 5000)))
        .expect("serialises");
    let queue = &json["queues"][0];
    assert_eq!(queue["stale"], false);
    assert_eq!(queue["unsure"], false);
    assert_eq!(queue["data_age_secs"], 5);
    assert_eq!(queue["stale_reason"], serde_json::Value::Null);
    assert_eq!(queue["unsure_reason"], serde_json::Value::Null);
    assert_eq!(queue["degraded"], serde_json::json!([]));
    assert_eq!(
        json["sequence"],
        serde_json::json!({"gaps": 0, "resyncs": 0, "late": 0, "repairs": 0})
    );
    assert_eq!(json["clock_offset_ms"], 0);
    assert_eq!(json["agents"], serde_json::json!([]));
}

#[test]
fn a_queue_over_its_cap_drops_its_longest_waiting_call_and_never_revives_it() {
    use xsi_wallboard::board::MAX_CALLS_PER_QUEUE;
    let (mut applier, _resyncs) = setup();
    let calls = u32::try_from(MAX_CALLS_PER_QUEUE).expect("small cap") + 1;
    for n in 1..=calls {
        // Call n was added n ms after T0: call 1 waits longest.
        applier.apply(
            &added(n, SALES, &format!("c{n}"), T0 + i64::from(n)),
            T0 + 10_000,
        );
    }
    let snap = applier.board().snapshot(T0 + 20_000);
    assert_eq!(snap.queues[0].calls.len(), MAX_CALLS_PER_QUEUE);
    assert!(!snap.queues[0].calls.iter().any(|c| &*c.call_id == "c1"));
    assert_eq!(snap.events.evicted, 1);
    // A late event about the dropped call does not bring it back.
    assert_eq!(
        applier.apply(&added(calls + 1, SALES, "c1", T0 + 1), T0 + 20_000),
        ApplyOutcome::Late
    );
    assert_eq!(
        applier.board().snapshot(T0 + 20_000).queues[0].calls.len(),
        MAX_CALLS_PER_QUEUE
    );
}

#[test]
fn too_many_call_centers_drop_the_one_heard_from_least_recently() {
    use xsi_wallboard::board::MAX_QUEUES;
    // No subscriber: only the events put call centers on the board.
    let mut applier = Applier::new(Arc::new(Board::new(BoardConfig::default(), T0)));
    let queues = u32::try_from(MAX_QUEUES).expect("small cap") + 1;
    for n in 1..=queues {
        let target = format!("cc{n}@example.com");
        applier.apply(&snapshot(n, &target, &[]), T0 + i64::from(n));
    }
    let snap = applier.board().snapshot(T0 + 10_000);
    assert_eq!(snap.queues.len(), MAX_QUEUES);
    assert!(!snap.queues.iter().any(|q| &*q.id == "cc1@example.com"));
    assert!(snap.queues.iter().any(|q| &*q.id == "cc2@example.com"));
    assert_eq!(snap.events.evicted, 1);
}

#[test]
fn a_call_waiting_past_the_maximum_is_marked_suspect() {
    use xsi_wallboard::board::SUSPECT_WAIT_SECS;
    let (mut applier, _resyncs) = setup();
    let max_ms = i64::try_from(SUSPECT_WAIT_SECS).expect("small") * 1000;
    applier.apply(&added(1, SALES, "forgotten", T0 - max_ms - 1000), T0);
    applier.apply(&added(2, SALES, "fresh", T0 - 5000), T0);
    let calls = &applier.board().snapshot(T0).queues[0].calls;
    let suspect: Vec<(&str, bool)> = calls.iter().map(|c| (&*c.call_id, c.suspect)).collect();
    assert_eq!(suspect, [("forgotten", true), ("fresh", false)]);
}

#[test]
fn a_queue_is_stale_once_the_window_passes_without_proof() {
    let (mut applier, _commands) = setup();
    applier.apply(&added(1, SALES, "c1", T0), T0);
    assert!(!row(&applier, SALES, T0 + 360_000).truth.stale);
    let view = row(&applier, SALES, T0 + 361_000).truth;
    assert!(view.stale);
    assert_eq!(view.data_age_secs, 361);
    assert_eq!(
        view.stale_reason.as_deref(),
        Some("nothing has proved the feed for 6 min")
    );
}

#[test]
fn a_quiet_queue_kept_proved_by_refreshes_or_heartbeats_is_not_stale() {
    let (mut applier, _commands) = setup();
    applier.apply(&snapshot(1, SALES, &[]), T0);
    applier.apply(&snapshot(2, SUPPORT, &[]), T0);
    // No events for an hour: sales's subscription is refreshed every 300 s (each refresh
    // proves it), support is proved by channel heartbeats.
    for k in 1..=12 {
        let at = T0 + k * 300_000;
        applier.take(Input::Feed(FeedNews::Up(Subscribed {
            subscription_id: Arc::from("sub-sales"),
            package: Package::Queue,
            target: Arc::from(SALES),
            call_centers: vec![Arc::from(SALES)],
            collection: false,
            sent_ms: at,
            initial_event_due_ms: None,
        })));
        applier.take(Input::Heartbeat { at_ms: at });
    }
    let at = T0 + 12 * 300_000 + 60_000;
    assert!(!row(&applier, SALES, at).truth.stale);
    assert!(!row(&applier, SUPPORT, at).truth.stale);
}

#[test]
fn a_503_makes_its_queue_unsure_and_repairs_its_subscription() {
    let (mut applier, mut commands_rx) = setup();
    applier.apply(&snapshot(1, SALES, &[]), T0);
    applier.apply(&snapshot(2, SUPPORT, &[]), T0);
    applier.take(Input::Dropped(vec![DroppedEvent {
        target_id: Some(Arc::from(SALES)),
        subscription_id: Some(Arc::from(SUB)),
        sequence_number: Some(3),
    }]));
    let sales = row(&applier, SALES, T0).truth;
    assert!(sales.unsure);
    assert!(
        sales
            .unsure_reason
            .as_deref()
            .is_some_and(|r| r.contains("503"))
    );
    assert!(!row(&applier, SUPPORT, T0).truth.unsure);
    assert_eq!(
        commands(&mut commands_rx),
        [FeedCommand::Repair(Arc::from(SUB))]
    );
    // Its number was received: no gap on top of the loss.
    applier.apply(&added(4, SALES, "c4", T0), T0 + 10);
    assert_eq!(applier.expire_gaps(T0 + 60_000), 0);
    // A 503 naming nothing leaves every queue in doubt.
    applier.take(Input::Dropped(vec![DroppedEvent {
        target_id: None,
        subscription_id: None,
        sequence_number: None,
    }]));
    assert!(row(&applier, SUPPORT, T0 + 60_000).truth.unsure);
}
