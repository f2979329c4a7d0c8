//! The subscriber against the mock XSP: its settings and the waits the `subscribe_*` tests
//! share. Include it after the mock, which it uses:
//! `#[path = "common/mock_xsp.rs"] mod mock_xsp;` then
//! `#[path = "common/subscriber.rs"] mod subscriber;`.

#![allow(
    dead_code,
    reason = "each test binary uses a different part of the helpers"
)]

use std::sync::Arc;
use std::time::Duration;

use reqwest::Url;
use tokio::sync::{mpsc, watch};
use tokio_util::sync::CancellationToken;
use xsi_wallboard::board::{
    self as board_mod, Applier, Board, BoardConfig, Input, QueueTruth, now_ms,
};
use xsi_wallboard::config::{Mode, Secret, Targets, Timing, XspSettings};
use xsi_wallboard::status::LinkStatus;
use xsi_wallboard::subscribe::{self, SubscriberHandle};
use xsi_wallboard::xsi::Package;
use xsi_wallboard::xsi::request::Delivery;

use super::mock_xsp::{MockXsp, PASSWORD, USER};

pub const CONTACT: &str = "http://wallboard.example:8765/xsi-events";
pub const APP_ID: &str = "xsi-wallboard/test/default";

pub fn settings(mock: &MockXsp, targets: Targets, events: &[&str]) -> XspSettings {
    XspSettings {
        xsp_url: Url::parse(&mock.url).expect("mock url"),
        user: USER.into(),
        password: Secret::new(PASSWORD),
        delivery: Delivery::HttpContact(CONTACT.into()),
        targets,
        events: events
            .iter()
            .map(|e| Package::parse(e).expect("a call-center package"))
            .collect(),
        expires: 3600,
        application_id: APP_ID.into(),
        ca_file: None,
        mode: Mode::Contact,
        heartbeat_secs: 15,
        agents: Vec::new(),
        // Short delays so the lifecycle runs in well under a second per step.
        timing: Timing {
            backoff_base: Duration::from_millis(20),
            backoff_max: Duration::from_millis(200),
            min_refresh: Duration::from_millis(50),
            shutdown_budget: Duration::from_secs(1),
            request_timeout: Duration::from_secs(5),
            initial_event_wait: Duration::from_secs(10),
        },
    }
}

pub struct Running {
    pub handle: SubscriberHandle,
    pub arrivals: mpsc::Receiver<Input>,
    pub status: watch::Receiver<LinkStatus>,
}

pub fn start(settings: XspSettings) -> Running {
    let (tx, arrivals) = mpsc::channel(64);
    let handle = subscribe::spawn(settings, tx, CancellationToken::new());
    let status = handle.status();
    Running {
        handle,
        arrivals,
        status,
    }
}

/// Wait (bounded, not timed) until the published status satisfies `done`.
pub async fn status_until(
    status: &mut watch::Receiver<LinkStatus>,
    what: &str,
    done: impl Fn(&LinkStatus) -> bool,
) -> LinkStatus {
    let found = tokio::time::timeout(Duration::from_secs(30), status.wait_for(|s| done(s)))
        .await
        .map(|r| r.map(|s| s.clone()));
    match found {
        Ok(Ok(found)) => found,
        _ => panic!("status never showed {what}: {:#?}", status.borrow()),
    }
}

pub fn one_call_center(cc: &str) -> Targets {
    Targets::CallCenters(vec![cc.into()])
}

/// A subscriber wired to a real board, as the wallboard runs it: the applier takes the
/// subscriber's news and sends it repairs and terminations.
pub fn start_wired(settings: XspSettings) -> (SubscriberHandle, Arc<Board>, mpsc::Sender<Input>) {
    let board = Arc::new(Board::new(BoardConfig::default(), now_ms()));
    let (tx, rx) = board_mod::channel();
    let handle = subscribe::spawn(settings, tx.clone(), CancellationToken::new());
    let applier = Applier::new(Arc::clone(&board)).with_commands(handle.control());
    tokio::spawn(board_mod::run_applier(
        rx,
        applier,
        CancellationToken::new(),
    ));
    (handle, board, tx)
}

/// Wait (bounded, not timed) until call center `id`'s truth satisfies `done`.
pub async fn truth_until(
    board: &Board,
    id: &str,
    what: &str,
    done: impl Fn(&QueueTruth) -> bool,
) -> QueueTruth {
    let mut changes = board.changes();
    let found = tokio::time::timeout(Duration::from_secs(30), async {
        loop {
            let truth = board
                .snapshot(now_ms())
                .queues
                .into_iter()
                .find(|q| &*q.id == id)
                .map(|q| q.truth);
            if let Some(truth) = truth.filter(|t| done(t)) {
                return truth;
            }
            // The board changes, or time passes (a window may expire without any input).
            let _ = tokio::time::timeout(Duration::from_millis(50), changes.changed()).await;
        }
    })
    .await;
    found.unwrap_or_else(|_| panic!("{id} never showed {what}"))
}

/// The next queue the subscriber fetched, skipping its feed news.
pub async fn next_fetched(
    arrivals: &mut mpsc::Receiver<Input>,
) -> (Arc<str>, xsi_wallboard::xsi::QueueSnapshot, i64) {
    loop {
        let input = tokio::time::timeout(Duration::from_secs(30), arrivals.recv())
            .await
            .expect("a fetched queue arrives")
            .expect("channel open");
        if let Input::Fetched {
            call_center,
            snapshot,
            sent_ms,
            arrival_ms,
            ..
        } = input
        {
            assert!(sent_ms <= arrival_ms, "sent before it was answered");
            return (call_center, snapshot, sent_ms);
        }
    }
}
