//! Hostile and broken bodies over real HTTP: each gets its status, the listener keeps serving,
//! and the board does not change. Plus a property: the parser never panics, whatever the bytes.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use proptest::prelude::*;
use reqwest::StatusCode;
use serde_json::Value;
use xsi_wallboard::run::{self, Running, StartOptions};
use xsi_wallboard::xsi;

const NS: &str = r#"xmlns:xsi="http://schema.broadsoft.com/xsi" xmlns:xsi1="http://www.w3.org/2001/XMLSchema-instance""#;

fn fixture(name: &str) -> String {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(root.join("tests/fixtures/spec").join(name)).expect("fixture")
}

fn added() -> String {
    fixture("spec-r21_4.7.3.1_ACDCallAddedEvent.xml")
}

/// A `SubscriptionEvent` envelope around `event_data` (the part under test), with an `eventID`
/// of its own (one seen before would be a duplicate, and never applied).
fn envelope(event_data: &str) -> String {
    static NEXT: AtomicU32 = AtomicU32::new(1);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><xsi:Event {NS} xsi1:type="xsi:SubscriptionEvent"><xsi:eventID>hostile-{n}</xsi:eventID><xsi:sequenceNumber>1</xsi:sequenceNumber><xsi:userId>sup@example.com</xsi:userId><xsi:externalApplicationId>x</xsi:externalApplicationId><xsi:subscriptionId>s</xsi:subscriptionId><xsi:targetId>cc@example.com</xsi:targetId>{event_data}</xsi:Event>"#
    )
}

fn added_at(add_time: &str) -> String {
    envelope(&format!(
        r#"<xsi:eventData xsi1:type="xsi:ACDCallAddedEvent"><xsi:queueEntry><xsi:callId>c1</xsi:callId><xsi:extTrackingId>1:1</xsi:extTrackingId><xsi:addTime>{add_time}</xsi:addTime></xsi:queueEntry><xsi:position>1</xsi:position></xsi:eventData>"#
    ))
}

/// Every case: a name, the body, and the status it must get.
fn cases() -> Vec<(&'static str, Vec<u8>, StatusCode)> {
    let bad = StatusCode::BAD_REQUEST;
    let ok = StatusCode::OK;
    let good = added();
    let deep = format!("{}{}", "<a>".repeat(10_000), "</a>".repeat(10_000));
    let huge_attribute = format!(
        r#"<xsi:Event {NS} junk="{}" xsi1:type="xsi:SubscriptionEvent"/>"#,
        "x".repeat(900_000)
    );
    let laughs = r#"<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]><xsi:Event xmlns:xsi="http://schema.broadsoft.com/xsi">&c;</xsi:Event>"#;
    let monitoring = |value: &str| {
        envelope(&format!(
            r#"<xsi:eventData xsi1:type="xsi:CallCenterMonitoringEvent"><xsi:monitoringStatus><xsi:averageHandlingTime><xsi:value>{value}</xsi:value></xsi:averageHandlingTime></xsi:monitoringStatus></xsi:eventData>"#
        ))
    };
    let owned: Vec<(&'static str, String, StatusCode)> = vec![
        ("empty body", String::new(), bad),
        ("whitespace only", "  \n\t ".into(), bad),
        ("declaration only", r#"<?xml version="1.0"?>"#.into(), bad),
        ("comment only", "<!-- nothing -->".into(), bad),
        ("plain text", "hello, wallboard".into(), bad),
        ("json", r#"{"event":"ACDCallAddedEvent"}"#.into(), bad),
        ("truncated at half", good[..good.len() / 2].into(), bad),
        ("truncated one byte short", good[..good.len() - 1].trim_end().trim_end_matches('>').into(), bad),
        ("unclosed root", format!("<xsi:Event {NS}>"), bad),
        ("mismatched end tag", format!("<xsi:Event {NS}></xsi:Evnt>"), bad),
        ("two roots", format!("{good}{good}"), bad),
        ("text after the root", format!("{good} trailing"), bad),
        ("text before the root", format!("junk {good}"), bad),
        ("wrong root", format!("<xsi:Subscription {NS}/>"), bad),
        ("wrong namespace", good.replace("http://schema.broadsoft.com/xsi", "http://example.com/not-xsi"), bad),
        ("no namespace", "<Event><eventID>x</eventID></Event>".into(), bad),
        ("unbound prefix", "<xsi:Event><xsi:eventID>x</xsi:eventID></xsi:Event>".into(), bad),
        ("missing xsi:type", format!("<xsi:Event {NS}><xsi:eventID>x</xsi:eventID></xsi:Event>"), bad),
        ("unknown top-level type", format!(r#"<xsi:Event {NS} xsi1:type="xsi:NoSuchEvent"/>"#), bad),
        ("missing eventData", envelope(""), bad),
        ("missing eventID", good.replace("<xsi:eventID>", "<xsi:notEventID>").replace("</xsi:eventID>", "</xsi:notEventID>"), bad),
        ("eventData without type", envelope("<xsi:eventData/>"), bad),
        ("queue entry without callId", envelope(r#"<xsi:eventData xsi1:type="xsi:ACDCallAddedEvent"><xsi:queueEntry><xsi:addTime>1</xsi:addTime></xsi:queueEntry></xsi:eventData>"#), bad),
        ("addTime not a number", added_at("yesterday"), bad),
        ("negative addTime", added_at("-5"), bad),
        ("far-future addTime", added_at("99999999999999999"), bad),
        ("addTime overflowing i64", added_at("999999999999999999999999"), bad),
        // Tolerated on purpose (see the parser's `monitoring_junk_loses_only_that_statistic`):
        // a statistic that is not a count or a duration is dropped alone; checked below.
        ("monitoring text where a number belongs", monitoring("fast"), ok),
        ("monitoring negative time", monitoring("-20"), ok),
        ("10 000 nested elements", deep, bad),
        ("huge attribute value", huge_attribute, bad),
        ("billion laughs", laughs.into(), bad),
        ("external entity", r#"<?xml version="1.0"?><!DOCTYPE e [<!ENTITY x SYSTEM "file:///etc/passwd">]><e>&x;</e>"#.into(), bad),
        ("undefined entity", format!("<xsi:Event {NS}>&nope;</xsi:Event>"), bad),
        ("bad character reference", format!("<xsi:Event {NS}>&#xFFFFFFFF;</xsi:Event>"), bad),
        ("CDATA root", "<![CDATA[<xsi:Event/>]]>".into(), bad),
        ("processing instruction root", "<?xsi Event?>".into(), bad),
        ("duplicate attribute", format!(r#"<xsi:Event {NS} a="1" a="2"/>"#), bad),
        ("unknown event type (counted, not an error)", envelope(r#"<xsi:eventData xsi1:type="xsi:SomethingNewEvent"/>"#), ok),
    ];
    let mut all: Vec<(&'static str, Vec<u8>, StatusCode)> = owned
        .into_iter()
        .map(|(name, body, status)| (name, body.into_bytes(), status))
        .collect();
    let mut latin1 = good.into_bytes();
    latin1.extend_from_slice(b"\xff\xfe\x00");
    all.push(("non-UTF-8 bytes after the root", latin1, bad));
    all.push((
        "non-UTF-8 in a value",
        added_at("\u{0}")
            .into_bytes()
            .into_iter()
            .map(|b| if b == 0 { 0xff } else { b })
            .collect(),
        bad,
    ));
    all.push(("NUL bytes", vec![0; 64], bad));
    all.push((
        "UTF-16 bytes",
        "<a/>".encode_utf16().flat_map(u16::to_le_bytes).collect(),
        bad,
    ));
    all
}

async fn board(client: &reqwest::Client, running: &Running) -> Value {
    let url = format!("http://{}/api/board", running.addr.expect("listening"));
    let body = client
        .get(url)
        .send()
        .await
        .expect("GET")
        .bytes()
        .await
        .expect("body");
    serde_json::from_slice(&body).expect("JSON")
}

/// The board once its event counters satisfy `done` (bounded, not timed).
async fn board_after(
    client: &reqwest::Client,
    running: &Running,
    what: &str,
    done: impl Fn(&Value) -> bool,
) -> Value {
    let mut changes = running.board.changes();
    let wait = async {
        loop {
            let now = board(client, running).await;
            if done(&now["events"]) {
                return now;
            }
            let _ = changes.changed().await;
        }
    };
    tokio::time::timeout(Duration::from_secs(30), wait)
        .await
        .unwrap_or_else(|_| panic!("{what}: never counted by the board"))
}

#[tokio::test]
async fn hostile_bodies_get_their_status_and_change_nothing() {
    let running = run::start(StartOptions {
        listen: "127.0.0.1:0".parse().expect("address"),
        ..StartOptions::default()
    })
    .await
    .expect("start");
    let client = reqwest::Client::new();
    let url = running.event_url().expect("listening");
    let health = format!("http://{}/healthz", running.addr.expect("listening"));
    let mut cases = cases();
    assert!(cases.len() >= 40, "{} cases", cases.len());
    // The tolerated ones put a call center on the board: they go last.
    cases.sort_by_key(|(name, _, _)| name.starts_with("monitoring"));
    let empty = board(&client, &running).await["queues"].clone();
    for (name, body, expected) in cases {
        let before = board(&client, &running).await["events"].clone();
        let response = client.post(&url).body(body).send().await.expect(name);
        let status = response.status();
        let reason = response.text().await.unwrap_or_default();
        assert_eq!(status, expected, "{name}: {reason}");
        if expected != StatusCode::OK {
            assert!(
                !reason.trim().is_empty() && !reason.trim().contains('\n'),
                "{name}: one-line reason {reason:?}"
            );
        }
        let alive = client.get(&health).send().await.expect("still serving");
        assert_eq!(alive.status(), StatusCode::OK, "after {name}");
        let now = if expected == StatusCode::OK {
            // A taken event reaches the board after its answer: wait until the applier has
            // counted it, or what the board shows below would be from before it.
            board_after(&client, &running, name, |events| {
                ["applied", "unknown"]
                    .iter()
                    .any(|counter| events[counter] != before[counter])
            })
            .await
        } else {
            board(&client, &running).await
        };
        if name.starts_with("monitoring") {
            // The call center appears, without the statistic that made no sense.
            let queue = &now["queues"][0];
            assert!(queue["monitoring"].is_object(), "{name}: {now:#}");
            assert_eq!(
                queue["monitoring"]["average_handling_secs"],
                Value::Null,
                "{now:#}"
            );
            continue;
        }
        assert_eq!(now["queues"], empty, "{name} changed the board");
    }
    running.shutdown().await.expect("clean shutdown");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Whatever the bytes, the parser answers (an event or an error) and never panics; nor
    /// does the salvage of an event's envelope.
    #[test]
    fn the_parser_never_panics_on_arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
        let _ = xsi::parse_event(&bytes);
        let _ = xsi::salvage_envelope(&bytes);
    }

    /// Nor on a real event cut, spliced and flipped at random places.
    #[test]
    fn the_parser_never_panics_on_mutated_events(cut in 0usize..2000, flip in 0usize..2000, byte in any::<u8>()) {
        let mut body = added().into_bytes();
        let at = flip % body.len();
        body[at] = byte;
        body.truncate(cut.max(1).min(body.len()));
        let parsed = xsi::parse_event(&body);
        let salvaged = xsi::salvage_envelope(&body);
        // What parses is salvaged whole: the two read an envelope the same way.
        if let Ok(xsi::Event::Subscription(event)) = parsed {
            prop_assert_eq!(salvaged, Some(event.envelope));
        }
    }
}
