//! `/api/status` (the status panel as data) and `/api/resubscribe` (`r` / `R` over HTTP,
//! loopback only for now): through the router with a peer address of the test's choosing, and
//! against a running demo on 127.0.0.1:0.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Request, StatusCode};
use serde_json::Value;
use tokio::sync::{mpsc, watch};
use tower::ServiceExt;
use xsi_wallboard::board::{Board, BoardConfig, now_ms};
use xsi_wallboard::listener::{self, ListenerState};
use xsi_wallboard::run::{self, Demo, StartOptions};
use xsi_wallboard::status::{FeedCommand, LinkStatus};

const CALL_CENTER: &str = "sales@example.com";

struct Wired {
    router: axum::Router,
    commands: mpsc::UnboundedReceiver<FeedCommand>,
}

fn wired() -> Wired {
    let board = Arc::new(Board::new(
        BoardConfig {
            expected: vec![Arc::from(CALL_CENTER)],
            ..BoardConfig::default()
        },
        now_ms(),
    ));
    let (events, _inputs) = xsi_wallboard::board::channel();
    let (commands, requests) = mpsc::unbounded_channel();
    let link = watch::channel(LinkStatus::listen_only("http://127.0.0.1:1/xsi-events")).1;
    let state = ListenerState::new(board, events).with_feed(link, commands);
    Wired {
        router: listener::router(state, "/xsi-events"),
        commands: requests,
    }
}

async fn ask(
    router: &axum::Router,
    peer: Option<&str>,
    method: &str,
    path: &str,
    body: &str,
) -> (StatusCode, String) {
    let mut request = Request::builder()
        .method(method)
        .uri(path)
        .header("content-type", "application/json")
        .body(Body::from(body.to_owned()))
        .expect("a request");
    if let Some(peer) = peer {
        let peer: SocketAddr = peer.parse().expect("an address");
        request.extensions_mut().insert(ConnectInfo(peer));
    }
    let response = router.clone().oneshot(request).await.expect("infallible");
    let status = response.status();
    let body = axum::body::to_bytes(response.into_body(), 64 * 1024)
        .await
        .expect("a body");
    (status, String::from_utf8_lossy(&body).into_owned())
}

#[tokio::test]
async fn resubscribe_one_or_all_from_this_host_goes_to_the_feed() {
    let mut wired = wired();
    let local = Some("127.0.0.1:40000");
    let body = format!(r#"{{"call_center": "{CALL_CENTER}"}}"#);
    let (status, said) = ask(&wired.router, local, "POST", "/api/resubscribe", &body).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{said}");
    assert_eq!(
        wired.commands.try_recv().ok(),
        Some(FeedCommand::Resubscribe(Some(Arc::from(CALL_CENTER))))
    );
    for all in ["{}", ""] {
        let (status, said) = ask(&wired.router, local, "POST", "/api/resubscribe", all).await;
        assert_eq!(status, StatusCode::ACCEPTED, "{all:?}: {said}");
        assert_eq!(
            wired.commands.try_recv().ok(),
            Some(FeedCommand::Resubscribe(None))
        );
    }
    // Over IPv6 loopback too.
    let (status, _) = ask(
        &wired.router,
        Some("[::1]:40000"),
        "POST",
        "/api/resubscribe",
        "{}",
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    assert!(wired.commands.try_recv().is_ok());
}

#[tokio::test]
async fn resubscribe_is_refused_from_elsewhere_and_for_what_it_cannot_do() {
    let mut wired = wired();
    for (peer, body, want) in [
        // The one answer to every refusal (issue 15): 404, as to an unknown path.
        (Some("10.0.0.7:40000"), "{}", StatusCode::NOT_FOUND),
        (None, "{}", StatusCode::NOT_FOUND),
        (
            Some("127.0.0.1:1"),
            "{\"call_center\": 7}",
            StatusCode::BAD_REQUEST,
        ),
        (
            Some("127.0.0.1:1"),
            "{\"everything\": true}",
            StatusCode::BAD_REQUEST,
        ),
        (Some("127.0.0.1:1"), "not json", StatusCode::BAD_REQUEST),
        (
            Some("127.0.0.1:1"),
            "{\"call_center\": \"nobody@example.com\"}",
            StatusCode::NOT_FOUND,
        ),
    ] {
        let (status, said) = ask(&wired.router, peer, "POST", "/api/resubscribe", body).await;
        assert_eq!(status, want, "{peer:?} {body}: {said}");
    }
    let (status, _) = ask(
        &wired.router,
        Some("127.0.0.1:1"),
        "GET",
        "/api/resubscribe",
        "",
    )
    .await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "a wrong method is refused like the rest"
    );
    assert!(
        wired.commands.try_recv().is_err(),
        "nothing reached the feed"
    );
}

#[tokio::test]
async fn status_is_the_feed_as_data() {
    let wired = wired();
    let (status, said) = ask(&wired.router, Some("127.0.0.1:1"), "GET", "/api/status", "").await;
    assert_eq!(status, StatusCode::OK);
    let json: Value = serde_json::from_str(&said).expect("JSON");
    assert_eq!(json["health"], "off", "{json}");
    assert_eq!(json["source"]["kind"], "listen_only", "{json}");
    assert_eq!(json["source"]["url"], "http://127.0.0.1:1/xsi-events");
    assert!(json["now_ms"].as_i64().is_some_and(|t| t > 0));

    // A running demo says what it posted, over a real socket.
    let running = run::start(StartOptions {
        listen: "127.0.0.1:0".parse().expect("address"),
        demo: Some(Demo { seed: Some(4) }),
        ..StartOptions::default()
    })
    .await
    .expect("the demo");
    let url = format!("http://{}/api/status", running.addr.expect("listening"));
    let text = reqwest::get(&url)
        .await
        .expect("GET /api/status")
        .text()
        .await
        .expect("a body");
    let json: Value = serde_json::from_str(&text).expect("JSON");
    // Its health moves as it starts: a word of the contract, whichever it is now.
    assert!(
        ["ok", "degraded", "down", "off"].contains(&json["health"].as_str().unwrap_or("")),
        "{json}"
    );
    assert_eq!(json["source"]["kind"], "demo", "{json}");
    assert_eq!(json["source"]["seed"], 4, "{json}");
    running.shutdown().await.expect("clean shutdown");
}

/// The stream, the page and the status are reads: behind the same gate as `/api/board`
/// (`guard_reads`), so a peer that is no reader (not loopback, not in `read_from`, no read
/// token) gets none of them.
#[tokio::test]
async fn every_read_is_behind_the_board_gate() {
    let board = Arc::new(Board::new(BoardConfig::default(), now_ms()));
    let (events, _inputs) = xsi_wallboard::board::channel();
    let readers = xsi_wallboard::guard::ReadAccess {
        from: xsi_wallboard::guard::AllowList::parse(&["192.0.2.0/24"]).expect("a CIDR"),
        ..xsi_wallboard::guard::ReadAccess::default()
    };
    let state = ListenerState::new(board, events)
        .with_guard(xsi_wallboard::guard::Guard::default().with_read(readers))
        .with_web(true);
    let router = listener::router(state, "/xsi-events");
    for path in [
        "/api/board",
        "/api/board/stream",
        "/wall",
        "/api/status",
        "/metrics",
        "/api/history",
        "/api/history.csv",
    ] {
        // Bounded: an open stream would never end.
        let refused = ask(&router, Some("198.51.100.9:5000"), "GET", path, "");
        let (status, _) = tokio::time::timeout(std::time::Duration::from_secs(10), refused)
            .await
            .unwrap_or_else(|_| panic!("{path} answered a stranger with an open stream"));
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
        // The page answers an allowed peer at once (the stream would not end: not read here).
        if path != "/api/board/stream" {
            let (status, _) = ask(&router, Some("192.0.2.4:5000"), "GET", path, "").await;
            assert_eq!(status, StatusCode::OK, "{path}");
        }
    }
}

/// `POST /api/actions` (issue 18) against a running demo: checked again here, sent to the demo
/// XSP's Xsi-Actions, and the call leaves the board only when the XSP's event says so.
#[tokio::test]
async fn an_action_posted_by_a_viewer_is_checked_sent_and_followed_by_its_event() {
    let running = run::start(StartOptions {
        listen: "127.0.0.1:0".parse().expect("address"),
        demo: Some(Demo { seed: Some(4) }),
        actions: xsi_wallboard::actions::ActionSettings {
            allowed: true,
            ..Default::default()
        },
        ..StartOptions::default()
    })
    .await
    .expect("the demo");
    let url = format!("http://{}/api/actions", running.addr.expect("listening"));
    // A bound, not a timing target: the demo's morning brings a caller within seconds.
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_mins(1);
    let (call_center, call) = loop {
        let snapshot = running.board.snapshot(now_ms());
        if let Some((q, c)) = snapshot
            .queues
            .iter()
            .find_map(|q| q.calls.last().map(|c| (q.id.clone(), c.clone())))
        {
            break (q, c);
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no call waited in the demo"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    };
    let post = |body: Value| {
        let url = url.clone();
        async move {
            let response = reqwest::Client::new()
                .post(&url)
                .header("content-type", "application/json")
                .body(body.to_string())
                .send()
                .await
                .expect("POST /api/actions");
            let status = response.status();
            (status, response.text().await.unwrap_or_default())
        }
    };
    // A demotion is refused here, never sent.
    let (status, said) = post(serde_json::json!({
        "call_center": &*call_center, "call_id": &*call.call_id,
        "action": "promote", "argument": "3",
    }))
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "{said}");
    assert!(said.contains(r#""result":"refused""#), "{said}");
    let (status, said) = post(serde_json::json!({"call_center": "x", "action": "release"})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{said}");
    let (status, said) = post(serde_json::json!({
        "call_center": &*call_center, "call_id": &*call.call_id, "action": "release",
    }))
    .await;
    // The caller may have hung up in the meantime: then the demo XSP says so.
    if status == StatusCode::OK {
        assert!(said.contains(r#""result":"ok""#), "{said}");
        let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(30);
        while running
            .board
            .snapshot(now_ms())
            .queues
            .iter()
            .any(|q| q.calls.iter().any(|c| c.call_id == call.call_id))
        {
            assert!(
                tokio::time::Instant::now() < deadline,
                "the release's event never came"
            );
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        let tallies = running.board.snapshot(now_ms()).actions;
        assert_eq!((tallies.release.ok, tallies.promote.refused), (1, 1));
    } else {
        assert!(
            said.contains("Call not found") || said.contains("no longer waiting"),
            "{status} {said}"
        );
    }
    running.shutdown().await.expect("shutdown");
}

#[tokio::test]
async fn actions_are_refused_from_elsewhere_as_every_control_request_is() {
    let wired = wired();
    let body = r#"{"call_center": "sales@example.com", "call_id": "c", "action": "release"}"#;
    for peer in [Some("192.0.2.7:5000"), None] {
        let (status, said) = ask(&wired.router, peer, "POST", "/api/actions", body).await;
        assert_eq!(
            (status, said.trim()),
            (StatusCode::NOT_FOUND, "not found"),
            "{peer:?}"
        );
    }
    // From this host, with no actions wired: said, not sent.
    let (status, _) = ask(
        &wired.router,
        Some("127.0.0.1:5000"),
        "POST",
        "/api/actions",
        body,
    )
    .await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
}
