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
