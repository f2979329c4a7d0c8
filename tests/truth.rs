//! Board truth's parts: sequence gaps, late events after a snapshot and clock skew, all driven
//! by explicit clocks (no sleeping). Liveness is tested through the applier in `truth_board`.

use std::sync::Arc;

use xsi_wallboard::board::clock::{ClockSkew, parse_http_date};
use xsi_wallboard::board::sequence::{Observed, SequenceTracker, SnapshotMarks};

const T0: i64 = 1_795_874_400_000;

fn id(s: &str) -> Arc<str> {
    Arc::from(s)
}

#[test]
fn missing_number_becomes_a_gap_after_the_window_only() {
    let (sub, cc) = (id("sub-1"), id("sales"));
    let mut seq = SequenceTracker::new(2000);
    assert_eq!(seq.observe(&sub, Some(&cc), 1, T0), Observed::InOrder);
    assert_eq!(seq.observe(&sub, Some(&cc), 3, T0), Observed::Ahead);
    assert!(seq.expire(T0 + 1999).is_empty(), "still inside the window");
    let gaps = seq.expire(T0 + 2000);
    assert_eq!(gaps.len(), 1);
    assert_eq!(gaps[0].subscription_id, sub);
    assert_eq!(gaps[0].targets, vec![cc]);
    assert_eq!(gaps[0].missing, 1);
    assert!(seq.expire(T0 + 5000).is_empty(), "a gap is reported once");
}

#[test]
fn a_gap_filled_within_the_window_is_no_gap() {
    let sub = id("sub-1");
    let mut seq = SequenceTracker::new(2000);
    seq.observe(&sub, Some(&id("a")), 10, T0);
    seq.observe(&sub, Some(&id("a")), 12, T0);
    assert_eq!(
        seq.observe(&sub, Some(&id("b")), 11, T0 + 1500),
        Observed::Filled
    );
    assert!(seq.expire(T0 + 10_000).is_empty());
}

#[test]
fn overtaking_targets_of_a_collection_are_not_a_gap() {
    let sub = id("collection");
    let mut seq = SequenceTracker::new(2000);
    // 1..=6 sent alternately for two call centers; b's events arrive before a's.
    for (n, target) in [(1, "a"), (2, "b"), (4, "b"), (6, "b"), (3, "a"), (5, "a")] {
        seq.observe(&sub, Some(&id(target)), n, T0 + i64::from(n) * 10);
    }
    assert!(seq.expire(T0 + 60_000).is_empty());
    assert_eq!(seq.missing(), 0);
}

#[test]
fn the_counter_wraps_after_2147483647() {
    let sub = id("sub-1");
    let mut seq = SequenceTracker::new(2000);
    seq.observe(&sub, None, 2_147_483_646, T0);
    assert_eq!(
        seq.observe(&sub, None, 2_147_483_647, T0),
        Observed::InOrder
    );
    // Whether the next is 0 or 1 is not specified; neither is a gap.
    assert_ne!(seq.observe(&sub, None, 1, T0), Observed::Old);
    assert_eq!(seq.observe(&sub, None, 2, T0), Observed::InOrder);
    assert!(seq.expire(T0 + 60_000).is_empty());
    // A number lost across the wrap is still found.
    let mut seq = SequenceTracker::new(2000);
    seq.observe(&sub, None, 2_147_483_646, T0);
    seq.observe(&sub, None, 1, T0);
    assert_eq!(seq.expire(T0 + 2000)[0].missing, 1, "2147483647 was lost");
}

#[test]
fn a_long_jump_is_a_gap_without_tracking_every_number() {
    let sub = id("sub-1");
    let mut seq = SequenceTracker::new(2000);
    seq.observe(&sub, None, 1, T0);
    assert_eq!(seq.observe(&sub, None, 1_000_000, T0), Observed::Ahead);
    assert_eq!(seq.missing(), 0);
    assert_eq!(seq.expire(T0 + 2000).len(), 1);
}

#[test]
fn events_older_than_the_last_snapshot_are_late() {
    let (sub, cc) = (id("sub-1"), id("sales"));
    let mut marks = SnapshotMarks::default();
    marks.mark(&cc, &sub, 40);
    assert!(marks.is_late("sales", "sub-1", 39));
    assert!(marks.is_late("sales", "sub-1", 40));
    assert!(!marks.is_late("sales", "sub-1", 41));
    assert!(
        !marks.is_late("sales", "sub-2", 39),
        "another subscription's numbers"
    );
    assert!(!marks.is_late("support", "sub-1", 39), "another target");
    marks.mark(&cc, &sub, 2_147_483_647);
    assert!(
        !marks.is_late("sales", "sub-1", 1),
        "after the wrap is newer"
    );
}

#[test]
fn host_clock_five_minutes_off_is_corrected_from_date_headers() {
    let skew = ClockSkew::default();
    let host_ahead_ms = 300_000;
    for k in 0..3 {
        let sent = T0 + host_ahead_ms + k * 10_000;
        // Round trip 200 ms; the server stamped the midpoint on its own clock.
        skew.record_http(sent - host_ahead_ms + 100, sent, sent + 200);
    }
    let host_now = T0 + host_ahead_ms + 60_000;
    assert_eq!(skew.offset_ms(host_now), -host_ahead_ms);
    // A call added 30 s ago on the XSP waits 30 s, not 5 min 30 s.
    let add_time = T0 + 30_000;
    assert_eq!((skew.server_now(host_now) - add_time) / 1000, 30);
}

#[test]
fn host_clock_behind_shows_no_negative_waits_in_listen_only_mode() {
    let skew = ClockSkew::default();
    let host_behind_ms = 300_000;
    // Added events delivered 50..250 ms after the XSP stamped them.
    for (k, delay) in [(0, 250), (1, 50), (2, 120)] {
        let add_time = T0 + k * 20_000;
        skew.record_added(add_time, add_time - host_behind_ms + delay);
    }
    let host_now = T0 + 60_000 - host_behind_ms;
    // Lower envelope: the fastest delivery, 50 ms.
    assert_eq!(skew.offset_ms(host_now), host_behind_ms - 50);
    let wait = skew.server_now(host_now) - (T0 + 40_000);
    assert!((19_000..=21_000).contains(&wait), "wait {wait} ms");
}

#[test]
fn skew_is_corrected_only_past_2_s_and_with_3_samples() {
    let skew = ClockSkew::default();
    skew.record_http(T0 + 10_000, T0, T0);
    skew.record_http(T0 + 10_000, T0, T0);
    assert_eq!(skew.offset_ms(T0), 0, "two samples are not enough");
    skew.record_http(T0 + 10_000, T0, T0);
    assert_eq!(skew.offset_ms(T0), 10_000);

    let small = ClockSkew::default();
    for _ in 0..5 {
        small.record_http(T0 + 1900, T0, T0);
    }
    assert_eq!(small.offset_ms(T0), 0, "under the threshold");
}

#[test]
fn median_ignores_one_wild_date_sample() {
    let skew = ClockSkew::default();
    for date in [T0 + 5000, T0 + 5000, T0 + 900_000] {
        skew.record_http(date, T0, T0);
    }
    assert_eq!(skew.offset_ms(T0), 5000);
}

#[test]
fn added_samples_older_than_ten_minutes_do_not_count() {
    let skew = ClockSkew::default();
    for k in 0..3 {
        skew.record_added(T0 + k, T0 + k + 10_000);
    }
    assert_eq!(skew.offset_ms(T0 + 60_000), -10_000);
    assert_eq!(skew.offset_ms(T0 + 11 * 60_000), 0);
}

#[test]
fn http_date_header_parses() {
    assert_eq!(parse_http_date("Sat, 28 Nov 2026 14:00:00 GMT"), Some(T0),);
    assert_eq!(parse_http_date("yesterday"), None);
}
