//! Bodies built to cost the parser more than their size (issue 15, item 2), over real HTTP on
//! 127.0.0.1:0: each is refused with a 400 and its reason within a generous bound, and
//! `/healthz` answers while they are in flight. The bounds are seconds: correctness bounds on a
//! slow shared machine, not speed targets (the quadratic parse took 2.8 s for one 489 KB body
//! in a release build, far longer in this debug one).

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use xsi_wallboard::run::{self, Running, StartOptions};

const NS: &str = r#"xmlns:xsi="http://schema.broadsoft.com/xsi" xmlns:xsi1="http://www.w3.org/2001/XMLSchema-instance""#;

/// How long one refusal may take, bombs in flight or not.
const BOUND: Duration = Duration::from_secs(5);

/// A valid `SubscriptionEvent` (an unknown type, which is taken: 200) with `extra` put inside
/// its `eventData`, and `declarations` added to the root's.
fn event(declarations: &str, extra: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><xsi:Event {NS}{declarations} xsi1:type="xsi:SubscriptionEvent"><xsi:eventID>bomb</xsi:eventID><xsi:sequenceNumber>1</xsi:sequenceNumber><xsi:userId>sup@example.com</xsi:userId><xsi:externalApplicationId>x</xsi:externalApplicationId><xsi:subscriptionId>s</xsi:subscriptionId><xsi:targetId>cc@example.com</xsi:targetId><xsi:eventData xsi1:type="xsi:SomethingNewEvent">{extra}</xsi:eventData></xsi:Event>"#
    )
}

/// The shape that cost N^2: N prefixes declared on the root and N elements whose prefix is the
/// first declared (every lookup walked all N). 17 500 of each is the 489 KB body of the issue.
fn namespace_bomb(n: usize) -> String {
    let declarations: String = numbered(n, |i| format!(r#" xmlns:p{i}="urn:x""#));
    let elements = "<xsi:x/>".repeat(n);
    event(&declarations, &elements)
}

/// `each(i)` for `i` in `0..n`, end to end.
fn numbered(n: usize, each: impl Fn(usize) -> String) -> String {
    (0..n).fold(String::new(), |mut all, i| {
        all.push_str(&each(i));
        all
    })
}

async fn start() -> Running {
    run::start(StartOptions {
        listen: "127.0.0.1:0".parse().expect("address"),
        ..StartOptions::default()
    })
    .await
    .expect("start the wallboard core")
}

async fn post(client: &reqwest::Client, url: &str, body: String) -> (StatusCode, String) {
    let response = client.post(url).body(body).send().await.expect("answered");
    let status = response.status();
    (status, response.text().await.unwrap_or_default())
}

/// Two worker threads, as on the 2-core machine of the issue: a parse that held a worker
/// would show in `/healthz`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn namespace_bomb_is_refused_quickly_while_healthz_answers() {
    let running = start().await;
    let client = reqwest::Client::new();
    let url = running.event_url().expect("listening");
    let health = format!("http://{}/healthz", running.addr.expect("listening"));
    let bomb = namespace_bomb(17_500);
    assert!(bomb.len() > 480_000, "{} bytes", bomb.len());

    let started = Instant::now();
    let bombs: Vec<_> = (0..4)
        .map(|_| {
            let (client, url, bomb) = (client.clone(), url.clone(), bomb.clone());
            tokio::spawn(async move { post(&client, &url, bomb).await })
        })
        .collect();
    // While they are in flight, the listener still answers a health check within the bound.
    for _ in 0..5 {
        let asked = Instant::now();
        let alive = tokio::time::timeout(BOUND, client.get(&health).send())
            .await
            .expect("/healthz answered within the bound while bombs are in flight")
            .expect("/healthz");
        assert_eq!(alive.status(), StatusCode::OK);
        assert!(asked.elapsed() < BOUND);
    }
    for bomb in bombs {
        let (status, reason) = tokio::time::timeout(BOUND * 2, bomb)
            .await
            .expect("bomb answered within the bound")
            .expect("task");
        assert_eq!(status, StatusCode::BAD_REQUEST, "{reason}");
        // Refused at the 33rd attribute of the root (the per-tag cap comes first; the
        // per-document cap on declarations is checked below with one on each of 40 siblings).
        assert!(reason.contains("more than 32"), "{reason}");
    }
    let elapsed = started.elapsed();
    eprintln!(
        "4 namespace bombs of {} bytes answered in {elapsed:?}",
        bomb.len()
    );
    assert!(elapsed < BOUND * 2, "{elapsed:?}");
    running.shutdown().await.expect("clean shutdown");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn depth_element_and_attribute_limits_are_enforced() {
    let running = start().await;
    let client = reqwest::Client::new();
    let url = running.event_url().expect("listening");
    let nested = |n: usize| format!("{}{}", "<a>".repeat(n), "</a>".repeat(n));
    let attributes: String = numbered(20_000, |i| format!(r#" a{i}="""#));
    let cases = [
        // The README's promise, inside an event that is otherwise valid.
        (
            "100 000 nested elements",
            event("", &nested(100_000)),
            "nested deeper than 64",
        ),
        ("65 levels", event("", &nested(63)), "nested deeper than 64"),
        (
            "60 000 elements",
            event("", &"<xsi:x/>".repeat(60_000)),
            "more than 50000 elements",
        ),
        (
            "20 000 attributes on the root",
            event(&attributes, ""),
            "more than 32 attributes",
        ),
        (
            "a declaration on each of 40 siblings",
            event(
                "",
                &numbered(40, |i| format!(r#"<p{i}:x xmlns:p{i}="urn:x"/>"#)),
            ),
            "more than 32 namespace declarations",
        ),
    ];
    for (name, body, why) in cases {
        let started = Instant::now();
        let (status, reason) = post(&client, &url, body).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{name}: {reason}");
        assert!(reason.contains(why), "{name}: {reason}");
        assert!(started.elapsed() < BOUND, "{name}: {:?}", started.elapsed());
    }
    // Just inside the limits: taken (root, eventData and 62 more make 64 levels).
    for (name, body) in [
        ("64 levels", event("", &nested(62))),
        ("40 000 elements", event("", &"<xsi:x/>".repeat(40_000))),
        (
            "30 declarations",
            event(&numbered(28, |i| format!(r#" xmlns:p{i}="urn:x""#)), ""),
        ),
    ] {
        let (status, reason) = post(&client, &url, body).await;
        assert_eq!(status, StatusCode::OK, "{name}: {reason}");
    }
    running.shutdown().await.expect("clean shutdown");
}
