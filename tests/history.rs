//! The day in intervals: boundaries by the XSP's clock, the daily reset, a restart the same
//! day, and `/api/history` with its CSV twin.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use jiff::Timestamp;
use jiff::civil::Time;
use jiff::tz::TimeZone;
use xsi_wallboard::board::{Applier, Board, BoardConfig, ResetSchedule, StatsConfig};
use xsi_wallboard::xsi::{
    CallEvent, CallEventKind, Envelope, Event, EventData, QueueEntry, SubscriptionEvent,
};

const CC: &str = "sales@example.com";

fn at(rfc3339: &str) -> i64 {
    rfc3339
        .parse::<Timestamp>()
        .map_or_else(|e| panic!("{rfc3339}: {e}"), Timestamp::as_millisecond)
}

fn call(kind: CallEventKind, id: &str, added: i64, removed: Option<i64>) -> Event {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    Event::Subscription(SubscriptionEvent {
        envelope: Envelope {
            event_id: format!("history-{}", NEXT.fetch_add(1, Ordering::Relaxed)).into(),
            user_id: "supervisor@example.com".into(),
            target_id: Some(CC.into()),
            ..Envelope::default()
        },
        data: EventData::Call(CallEvent {
            kind,
            entry: QueueEntry {
                call_id: id.into(),
                add_time: Some(added),
                remove_time: removed,
                ..QueueEntry::default()
            },
            position: None,
            overflow_reason: None,
        }),
    })
}

/// A board whose counters reset at midnight UTC, in 15-minute intervals.
fn applier(start_ms: i64) -> Applier {
    let config = BoardConfig {
        stats: StatsConfig {
            reset: ResetSchedule {
                time: Time::midnight(),
                zone: TimeZone::UTC,
            },
            history_interval_mins: 15,
            ..StatsConfig::default()
        },
        ..BoardConfig::default()
    };
    Applier::new(Arc::new(Board::new(config, start_ms)))
}

/// Offered by `addTime`, answered and abandoned by `removeTime`: an answer at 10:14:59 and one
/// at 10:15:00 fall in two intervals, whenever they arrive.
fn a_morning(applier: &mut Applier) {
    let arrival = at("2026-12-03T10:20:00Z");
    for event in [
        call(CallEventKind::Added, "a", at("2026-12-03T10:14:40Z"), None),
        call(CallEventKind::Added, "b", at("2026-12-03T10:14:50Z"), None),
        call(CallEventKind::Added, "c", at("2026-12-03T10:15:05Z"), None),
        call(
            CallEventKind::AnsweredByAgent,
            "a",
            at("2026-12-03T10:14:40Z"),
            Some(at("2026-12-03T10:14:59Z")),
        ),
        call(
            CallEventKind::AnsweredByAgent,
            "b",
            at("2026-12-03T10:14:50Z"),
            Some(at("2026-12-03T10:15:00Z")),
        ),
        call(
            CallEventKind::Abandoned,
            "c",
            at("2026-12-03T10:15:05Z"),
            Some(at("2026-12-03T10:16:05Z")),
        ),
    ] {
        applier.apply(&event, arrival);
    }
}

#[test]
fn intervals_are_picked_by_the_xsps_clock() {
    let mut applier = applier(at("2026-12-03T08:00:00Z"));
    a_morning(&mut applier);
    let history = applier.board().history();
    assert_eq!(history.interval_mins, 15);
    let sales = &history.call_centers[0];
    assert_eq!(sales.id, CC);
    let starts: Vec<&str> = sales.intervals.iter().map(|i| i.start.as_str()).collect();
    assert_eq!(
        starts,
        ["2026-12-03T10:00:00+00:00", "2026-12-03T10:15:00+00:00"]
    );
    let (first, second) = (&sales.intervals[0], &sales.intervals[1]);
    assert_eq!((first.offered, first.answered, first.abandoned), (2, 1, 0));
    assert_eq!(first.service_level_percent, Some(100.0));
    assert_eq!(first.asa_secs, Some(19));
    assert_eq!(
        (second.offered, second.answered, second.abandoned),
        (1, 1, 1)
    );
    // b waited 10 s (within 20 s), c abandoned after 60 s: one of two.
    assert_eq!(second.service_level_percent, Some(50.0));
    assert_eq!(second.longest_wait_secs, 60);
    // Two waited at once before 10:15 (a and b); c's offer came before any answer, so three.
    assert_eq!((first.max_waiting, second.max_waiting), (2, 3));
}

#[test]
fn the_daily_reset_clears_the_history() {
    let mut applier = applier(at("2026-12-03T08:00:00Z"));
    a_morning(&mut applier);
    assert!(applier.board().reset_if_due(at("2026-12-04T00:00:01Z")));
    let history = applier.board().history();
    assert!(
        history.call_centers.iter().all(|c| c.intervals.is_empty()),
        "{history:?}"
    );
}

#[test]
fn a_restart_the_same_day_keeps_the_history() {
    let mut before = applier(at("2026-12-03T08:00:00Z"));
    a_morning(&mut before);
    let saved = before.board().save_counters("key");
    let after = applier(at("2026-12-03T11:00:00Z"));
    after
        .board()
        .restore_counters(saved, "key", at("2026-12-03T11:00:00Z"))
        .expect("restored the same day");
    assert_eq!(after.board().history(), before.board().history());
}

#[test]
fn the_csv_has_one_row_per_call_center_and_interval() {
    let mut applier = applier(at("2026-12-03T08:00:00Z"));
    a_morning(&mut applier);
    let csv = applier.board().history().to_csv();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(
        lines[0],
        "id,name,start,offered,answered,abandoned,short_abandoned,service_level_percent,\
         asa_secs,longest_wait_secs,max_waiting,agents_staffed"
    );
    assert_eq!(lines.len(), 3, "{csv}");
    assert_eq!(
        lines[1],
        "sales@example.com,sales@example.com,2026-12-03T10:00:00+00:00,2,1,0,0,100,19,19,2,"
    );
}

/// Through the listener, with the same access as `/api/board`.
#[tokio::test]
async fn the_history_is_served_as_json_and_csv() {
    use xsi_wallboard::run::{self, StartOptions};
    let running = run::start(StartOptions {
        listen: "127.0.0.1:0".parse().expect("address"),
        ..StartOptions::default()
    })
    .await
    .expect("start the wallboard core");
    let base = format!("http://{}", running.addr.expect("listening"));
    let client = reqwest::Client::new();
    let json = client
        .get(format!("{base}/api/history"))
        .send()
        .await
        .expect("GET /api/history");
    assert_eq!(json.status(), reqwest::StatusCode::OK);
    let body: serde_json::Value =
        serde_json::from_str(&json.text().await.expect("body")).expect("JSON");
    assert_eq!(body["interval_mins"], 15, "{body}");
    assert!(body["call_centers"].is_array(), "{body}");
    let csv = client
        .get(format!("{base}/api/history.csv"))
        .send()
        .await
        .expect("GET /api/history.csv");
    assert_eq!(
        csv.headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok()),
        Some("text/csv; charset=utf-8")
    );
    let text = csv.text().await.expect("body");
    assert!(text.starts_with("id,name,start,offered,"), "{text}");
    running.shutdown().await.expect("clean shutdown");
}
