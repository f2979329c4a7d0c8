//! `/metrics`: the board in the Prometheus text format, read back by a Prometheus text parser.

use std::path::PathBuf;
use std::sync::Arc;

use prometheus_parse::{Sample, Scrape, Value};
use reqwest::StatusCode;
use xsi_wallboard::board::agents::AgentRow;
use xsi_wallboard::board::{
    BoardSnapshot, EventCounters, QueueMode, QueueRow, QueueTruth, SequenceCounters, StatsRow,
};
use xsi_wallboard::metrics;
use xsi_wallboard::run::{self, StartOptions};
use xsi_wallboard::xsi::AgentState;

fn sample(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/spec")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn scrape(text: &str) -> Scrape {
    Scrape::parse(text.lines().map(|l| Ok(l.to_owned()))).expect("Prometheus text parses")
}

/// The value of `name` whose labels include every pair of `labels`.
fn value(scrape: &Scrape, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    scrape
        .samples
        .iter()
        .find(|s: &&Sample| {
            s.metric == name && labels.iter().all(|(k, v)| s.labels.get(k) == Some(*v))
        })
        .map(|s| match s.value {
            Value::Counter(v) | Value::Gauge(v) | Value::Untyped(v) => v,
            _ => f64::NAN,
        })
}

fn agent(id: &str, state: Option<AgentState>) -> std::sync::Arc<AgentRow> {
    std::sync::Arc::new(AgentRow {
        id: id.into(),
        name: id.into(),
        state,
        since_secs: 0,
        unavailable_code: None,
        call_centers: vec![Arc::from("sales@example.com")],
    })
}

fn queue(id: &str) -> QueueRow {
    QueueRow {
        id: id.into(),
        name: id.into(),
        calls: Vec::new(),
        answered: 0,
        abandoned: 0,
        other_departures: 0,
        not_queued: 0,
        counters_since: "2026-12-03T00:00:00Z".to_owned(),
        longest_wait_secs: 0,
        monitoring: None,
        mode: QueueMode::default(),
        last_event_secs_ago: None,
        warn_secs: 60,
        crit_secs: 180,
        stats: StatsRow::default(),
        truth: QueueTruth::default(),
        agents: Vec::new(),
    }
}

/// Two call centers whose every number is known.
fn known_board() -> BoardSnapshot {
    let mut sales = queue("sales@example.com");
    sales.answered = 41;
    sales.abandoned = 3;
    sales.longest_wait_secs = 95;
    sales.stats.service_level_percent = Some(62.5);
    sales.truth.unsure = true;
    sales.agents = vec![
        agent("kim", Some(AgentState::Available)),
        agent("lee", Some(AgentState::Available)),
        agent("max", Some(AgentState::WrapUp)),
    ];
    let mut support = queue("support@example.com");
    support.truth.stale = true;
    BoardSnapshot {
        queues: vec![sales, support],
        events: EventCounters {
            received: 100,
            applied: 90,
            duplicates: 4,
            rejected: 2,
            dropped: 1,
            refused: 7,
            ..EventCounters::default()
        },
        last_event_secs_ago: None,
        sequence: SequenceCounters {
            gaps: 2,
            resyncs: 1,
            ..SequenceCounters::default()
        },
        agents: Vec::new(),
        clock_offset_ms: 0,
        taken_at_ms: 0,
        attached: None,
        actions: xsi_wallboard::actions::ActionTallies::default(),
    }
}

/// Names, labels and values against a board whose every number is known.
#[test]
fn a_known_board_reads_back_exactly() {
    let board = known_board();
    let text = metrics::render(&board, None);
    let s = scrape(&text);
    let sales = [("call_center", "sales@example.com")];
    let support = [("call_center", "support@example.com")];
    assert_eq!(
        value(&s, "xsi_wallboard_answered_total", &sales),
        Some(41.0)
    );
    assert_eq!(
        value(&s, "xsi_wallboard_abandoned_total", &sales),
        Some(3.0)
    );
    assert_eq!(
        value(&s, "xsi_wallboard_longest_wait_seconds", &sales),
        Some(95.0)
    );
    assert_eq!(
        value(&s, "xsi_wallboard_service_level_ratio", &sales),
        Some(0.625)
    );
    assert_eq!(
        value(&s, "xsi_wallboard_service_level_ratio", &support),
        None
    );
    assert_eq!(value(&s, "xsi_wallboard_unsure", &sales), Some(1.0));
    assert_eq!(value(&s, "xsi_wallboard_stale", &sales), Some(0.0));
    assert_eq!(value(&s, "xsi_wallboard_stale", &support), Some(1.0));
    assert_eq!(
        value(
            &s,
            "xsi_wallboard_agents",
            &[("call_center", "sales@example.com"), ("state", "Available")]
        ),
        Some(2.0)
    );
    assert_eq!(
        value(&s, "xsi_wallboard_agents", &[("state", "Wrap-Up")]),
        Some(1.0)
    );
    for (outcome, n) in [
        ("received", 100.0),
        ("applied", 90.0),
        ("duplicate", 4.0),
        ("rejected", 2.0),
        ("dropped", 1.0),
        ("refused", 7.0),
    ] {
        assert_eq!(
            value(&s, "xsi_wallboard_events_total", &[("outcome", outcome)]),
            Some(n),
            "{outcome}"
        );
    }
    assert_eq!(
        value(&s, "xsi_wallboard_sequence_gaps_total", &[]),
        Some(2.0)
    );
    assert_eq!(value(&s, "xsi_wallboard_resyncs_total", &[]), Some(1.0));
    assert!(
        text.contains("# TYPE xsi_wallboard_calls_waiting gauge"),
        "{text}"
    );
}

/// Through the listener: what was posted is what a scrape sees, and `/api/board` agrees.
#[tokio::test]
async fn a_scrape_sees_what_was_posted() {
    let running = run::start(StartOptions {
        listen: "127.0.0.1:0".parse().expect("address"),
        ..StartOptions::default()
    })
    .await
    .expect("start the wallboard core");
    let base = format!("http://{}", running.addr.expect("listening"));
    let client = reqwest::Client::new();
    let url = running.event_url().expect("event URL");
    let posted = client
        .post(&url)
        .header("content-type", "application/xml; charset=UTF-8")
        .body(sample("spec-r21_4.7.3.18_ACDSubscriptionEvent.xml"))
        .send()
        .await
        .expect("POST");
    assert_eq!(posted.status(), StatusCode::OK);

    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(20);
    let (text, waiting) = loop {
        let response = client
            .get(format!("{base}/metrics"))
            .send()
            .await
            .expect("GET /metrics");
        assert_eq!(response.status(), StatusCode::OK);
        let content_type = response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        assert!(
            content_type.starts_with("application/openmetrics-text"),
            "{content_type}"
        );
        let text = response.text().await.expect("body");
        let waiting = value(
            &scrape(&text),
            "xsi_wallboard_calls_waiting",
            &[("call_center", "callcenter@mtlasdev87.net")],
        );
        if waiting.is_some() || tokio::time::Instant::now() > deadline {
            break (text, waiting);
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    let body = client
        .get(format!("{base}/api/board"))
        .send()
        .await
        .expect("GET /api/board")
        .text()
        .await
        .expect("body");
    let board: serde_json::Value = serde_json::from_str(&body).expect("JSON");
    let calls = board["queues"]
        .as_array()
        .and_then(|q| q.iter().find(|q| q["id"] == "callcenter@mtlasdev87.net"))
        .and_then(|q| q["calls"].as_array())
        .map(Vec::len)
        .expect("the call center on the board");
    assert!(calls > 0, "{board:#}");
    #[expect(clippy::cast_precision_loss, reason = "a handful of calls")]
    let expected = calls as f64;
    assert_eq!(waiting, Some(expected), "{text}");
    assert_eq!(
        value(
            &scrape(&text),
            "xsi_wallboard_events_total",
            &[("outcome", "applied")]
        ),
        Some(1.0)
    );
    running.shutdown().await.expect("clean shutdown");
}

/// Subscriptions by state, every state present (at 0 when none is in it).
#[test]
fn subscriptions_are_counted_by_state() {
    use xsi_wallboard::status::{
        FeedSource, Health, LinkStatus, SubscriptionState, SubscriptionStatus, Subscriptions,
    };
    let subscription = |state| SubscriptionStatus {
        target: "sales@example.com".into(),
        package: xsi_wallboard::xsi::Package::Queue,
        state,
        subscription_id: None,
        granted_expires: None,
        refresh_at: None,
        retry_at: None,
        last_error: None,
    };
    let link = LinkStatus {
        health: Health::Degraded,
        source: FeedSource::Subscriptions(Subscriptions {
            lines: vec![
                subscription(SubscriptionState::Active),
                subscription(SubscriptionState::Active),
                subscription(SubscriptionState::Retrying),
            ],
            ..Subscriptions::default()
        }),
    };
    let s = scrape(&metrics::render(&known_board(), Some(&link)));
    let state = |name| value(&s, "xsi_wallboard_subscriptions", &[("state", name)]);
    assert_eq!(state("active"), Some(2.0));
    assert_eq!(state("retrying"), Some(1.0));
    assert_eq!(state("waiting_for_user"), Some(0.0));
}
