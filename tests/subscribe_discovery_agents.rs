//! What the subscriber subscribes to, against an in-process mock XSP: the call centers the
//! supervisor supervises (discovered), a collection target with its queues fetched, and the
//! agents of the "Call Center Agent" package one by one.

#[path = "common/feed_words.rs"]
mod feed_words;
use feed_words::Words as _;
#[path = "common/mock_xsp.rs"]
mod mock_xsp;
#[path = "common/subscriber.rs"]
mod subscriber;

use axum::http::Method;
use mock_xsp::{AGENT, Call, MONITORING, MockXsp, QUEUE, USER};
use subscriber::{next_fetched, settings, start, status_until};
use xsi_wallboard::config::Targets;
use xsi_wallboard::status::Health;

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
        status.details().iter().any(
            |d| d.contains("discovered 2 call centers: sales@example.com, support@example.com")
        ),
        "{:?}",
        status.details()
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
