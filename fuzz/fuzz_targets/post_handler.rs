//! Any bytes POSTed through the listener's router (guard, body limit, parser, channel): the
//! answer is 200 or a 4xx/503 with a reason, never a panic.
#![no_main]

use std::sync::{Arc, OnceLock};

use axum::body::Body;
use axum::http::Request;
use libfuzzer_sys::fuzz_target;
use tower::ServiceExt;
use xsi_wallboard::board::{Board, BoardConfig, Input};
use xsi_wallboard::listener::{self, ListenerState};

struct Harness {
    runtime: tokio::runtime::Runtime,
    router: axum::Router,
    // Kept so the channel stays open; events are drained by the runtime's task.
    _events: tokio::sync::mpsc::Sender<Input>,
}

fn harness() -> &'static Harness {
    static HARNESS: OnceLock<Harness> = OnceLock::new();
    HARNESS.get_or_init(|| {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .expect("runtime");
        let board = Arc::new(Board::new(BoardConfig::default(), 0));
        let (events, mut rx) = tokio::sync::mpsc::channel(1024);
        runtime.spawn(async move { while rx.recv().await.is_some() {} });
        let router = listener::router(ListenerState::new(board, events.clone()), "/xsi-events");
        Harness {
            runtime,
            router,
            _events: events,
        }
    })
}

fuzz_target!(|data: &[u8]| {
    let harness = harness();
    let request = Request::post("/xsi-events")
        .body(Body::from(data.to_vec()))
        .expect("request");
    let status = harness
        .runtime
        .block_on(harness.router.clone().oneshot(request))
        .expect("infallible")
        .status();
    assert!(
        status.is_success() || status.is_client_error() || status.as_u16() == 503,
        "{status}"
    );
});
