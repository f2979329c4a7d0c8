//! The load tool against an in-process wallboard on 127.0.0.1:0: small, bounded streams, in
//! order and shuffled, must leave the board exactly as the ground truth says. No timing
//! assertions: the figures are for benchmarks, not tests.

use std::time::Duration;

use reqwest::Url;
use xsi_load::{self as load, LoadOptions};
use xsi_wallboard::board::now_ms;
use xsi_wallboard::run::{self, StartOptions};

async fn wallboard() -> run::Running {
    run::start(StartOptions {
        listen: "127.0.0.1:0".parse().expect("address"),
        ..StartOptions::default()
    })
    .await
    .expect("start")
}

fn options(url: &str, concurrency: usize, shuffle: f64) -> LoadOptions {
    LoadOptions {
        url: Url::parse(url).expect("url"),
        calls: 300,
        call_centers: 6,
        concurrency,
        shuffle,
        rate: None,
        seed: 11,
        max_duration: Duration::from_mins(1),
        server_pid: Some(std::process::id()),
        start_at: None,
    }
}

#[tokio::test]
async fn an_ordered_stream_leaves_the_board_exactly_true() {
    let running = wallboard().await;
    let url = running.event_url().expect("listening");
    let opts = options(&url, 8, 0.0);
    let stream = load::generate(opts.seed, opts.call_centers, opts.calls, now_ms());
    let events = stream.bodies.len();
    assert!(events > 3 * opts.calls, "several events per call: {events}");
    let report = load::run(&opts, stream).await.expect("run");
    assert_eq!((report.sent, report.ok, report.failed), (events, events, 0));
    assert!(report.mismatches.is_empty(), "{:#?}", report.mismatches);
    assert!(report.passed());
    assert!(report.server_peak_rss_mb.is_some_and(|mb| mb > 0.0));
    running.shutdown().await.expect("clean shutdown");
}

#[tokio::test]
async fn a_shuffled_stream_still_converges_and_an_open_loop_run_counts_from_due_times() {
    let running = wallboard().await;
    let url = running.event_url().expect("listening");
    let mut opts = options(&url, 4, 0.3);
    opts.rate = Some(20_000.0);
    let stream = load::generate(opts.seed, opts.call_centers, opts.calls, now_ms());
    let report = load::run(&opts, stream).await.expect("run");
    assert!(report.passed(), "{report:#?}");
    assert!(report.latency_ms.max >= report.latency_ms.p50);
    // Each request's time from its send is part of its time from when it was due.
    assert!(report.service_ms.p50 <= report.latency_ms.p50);
    assert!(report.service_ms.max <= report.latency_ms.max);
    running.shutdown().await.expect("clean shutdown");
}

#[tokio::test]
async fn a_board_that_lies_is_reported_and_a_busy_board_is_refused() {
    let running = wallboard().await;
    let url = running.event_url().expect("listening");
    let opts = options(&url, 2, 0.0);
    let stream = load::generate(opts.seed, opts.call_centers, 50, now_ms());
    let truth = stream.truth.clone();
    let report = load::run(&opts, stream).await.expect("run");
    assert!(report.passed(), "{report:#?}");

    // The same board checked against another seed's truth: every difference is named.
    let other = load::generate(99, opts.call_centers, 50, now_ms());
    let board: serde_json::Value = serde_json::from_slice(
        &reqwest::get(format!(
            "http://{}/api/board",
            running.addr.expect("listening")
        ))
        .await
        .expect("GET")
        .bytes()
        .await
        .expect("body"),
    )
    .expect("JSON");
    assert!(load::compare(&board, &truth, true).is_empty());
    assert!(!load::compare(&board, &other.truth, true).is_empty());

    // A second run on the now busy board would compare against the wrong start: refused.
    let again = load::generate(opts.seed, opts.call_centers, 10, now_ms());
    assert!(load::run(&opts, again).await.is_err());
    running.shutdown().await.expect("clean shutdown");
}

#[tokio::test]
async fn a_burst_of_snapshots_all_at_once_leaves_every_call_waiting() {
    let running = wallboard().await;
    let url = running.event_url().expect("listening");
    let mut opts = options(&url, 12, 0.0);
    opts.call_centers = 12;
    let stream = load::snapshot_burst(opts.seed, opts.call_centers, 40, now_ms());
    assert_eq!(stream.bodies.len(), 12, "one snapshot per call center");
    assert!(stream.truth.iter().all(|q| q.waiting.len() == 40));
    let report = load::run(&opts, stream).await.expect("run");
    assert!(report.passed(), "{report:#?}");
    assert!(report.non_200.is_empty(), "no 503 in a burst: {report:#?}");
    assert!(report.board_right_ms.is_some());
    running.shutdown().await.expect("clean shutdown");
}

#[test]
fn only_loopback_targets_are_allowed() {
    for ok in [
        "http://127.0.0.1:8765/xsi-events",
        "http://127.1.2.3/x",
        "http://[::1]:8765/x",
        "http://localhost:8765/x",
    ] {
        assert!(
            load::check_loopback(&Url::parse(ok).expect("url")).is_ok(),
            "{ok}"
        );
    }
    for refused in [
        "http://10.0.0.5:8765/xsi-events",
        "http://xsp.example.com/x",
        "https://127.0.0.1/x",
        "http://[2001:db8::1]/x",
    ] {
        assert!(
            load::check_loopback(&Url::parse(refused).expect("url")).is_err(),
            "{refused}"
        );
    }
}
