//! The demo XSP: a simulator that POSTs realistic XSI events over real HTTP.
//!
//! [`Model`] decides what happens (pure, seeded, stepped by the caller); [`run`] drives it from
//! the wall clock and delivers each event the way BroadWorks does: one POST per event, in order,
//! over a keep-alive connection, never redelivered when refused. The POSTs are sent one after
//! another, never concurrently: BroadWorks delivers one target's events in order, and a board
//! that checks `sequenceNumber`s would take an overtaken event for a loss or a late one.

mod actions;
mod agent;
mod calls;
mod cast;
mod center;
mod emit;
mod model;

use std::time::Duration;

use anyhow::Context as _;
use reqwest::header::CONTENT_TYPE;
use tokio::sync::watch;
use tokio::time::{Instant, MissedTickBehavior};
use tokio_util::sync::CancellationToken;

use crate::board::now_ms;
use crate::status::{DemoStatus, FeedSource, Health, LinkStatus};
use crate::xsi;

pub use actions::SimRefusal;
pub use agent::AgentCounts;
pub use model::{GroundTruth, Model};

/// The demo's call centers as (user id, display name). An XSP's queue snapshot names no call
/// center when it is empty, as the demo's calm morning mostly is: without these a panel would
/// show a user id until its first call, as it does on a real board without configured names.
pub fn call_center_names() -> impl Iterator<Item = (&'static str, &'static str)> {
    cast::CENTERS.iter().map(|spec| (spec.target_id, spec.name))
}

/// How often the model is stepped: often enough that an event leaves within a blink of when it
/// was due, rarely enough to cost nothing.
const TICK: Duration = Duration::from_millis(200);
/// A POST that takes longer than this counts as failed (BroadWorks gives up too).
const POST_TIMEOUT: Duration = Duration::from_secs(5);
/// How long to wait for the wallboard's listener to accept connections before subscribing.
const LISTENER_WAIT: Duration = Duration::from_secs(5);
/// Failures in a row after which the feed is shown as down rather than degraded.
const DOWN_AFTER_FAILURES: u64 = 3;
/// A failure keeps the feed degraded for this long.
const DEGRADED_FOR: Duration = Duration::from_secs(30);

pub struct SimOptions {
    /// The wallboard's listener, e.g. `http://127.0.0.1:8765/xsi-events`.
    pub url: String,
    /// Replays the same demo; random when `None`.
    pub seed: Option<u64>,
    /// Where the feed's health is published for the header and the status overlay.
    pub status: Option<watch::Sender<LinkStatus>>,
    /// Where the demo XSP serves Xsi-Actions call commands (bound by the caller, so that the
    /// wallboard knows the address before the demo starts); `None`: it takes none.
    pub actions: Option<tokio::net::TcpListener>,
}

/// The demo's call centers as transfer destinations: (name, number), a transfer to one of
/// them lands the caller in its queue.
pub fn transfer_destinations() -> Vec<crate::actions::Destination> {
    cast::CENTERS
        .iter()
        .filter(|spec| !spec.night_service)
        .map(|spec| crate::actions::Destination {
            name: spec.name.to_owned(),
            number: spec
                .number
                .strip_prefix("tel:")
                .unwrap_or(spec.number)
                .to_owned(),
        })
        .collect()
}

/// Post the demo's events to `opts.url` until `cancel` fires.
pub async fn run(opts: SimOptions, cancel: CancellationToken) -> anyhow::Result<()> {
    let url = reqwest::Url::parse(&opts.url)
        .with_context(|| format!("demo: listener URL {:?}", opts.url))?;
    let seed = opts.seed.unwrap_or_else(rand::random);
    let client = reqwest::Client::builder()
        .timeout(POST_TIMEOUT)
        .build()
        .context("demo: HTTP client")?;
    let mut tally = PostTally::new(url.as_str(), seed, opts.status);
    tally.publish();

    // Like an XSP after a subscribe, start only once the contact answers, so the first
    // snapshot is not lost to a listener that is still binding.
    tokio::select! {
        biased;
        () = cancel.cancelled() => return Ok(()),
        () = wait_for_listener(&url) => {}
    }
    tracing::info!(seed, url = %url, "demo XSP started");
    let mut model = Model::new(seed, now_ms()).with_http_contact(url.as_str());
    let mut tick = tokio::time::interval(TICK);
    tick.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let (command_tx, mut commands) = tokio::sync::mpsc::channel::<actions::Command>(16);
    if let Some(listener) = opts.actions {
        tokio::spawn(actions::serve(listener, command_tx, cancel.clone()));
    } else {
        drop(command_tx);
    }
    loop {
        tokio::select! {
            biased;
            () = cancel.cancelled() => break,
            Some(command) = commands.recv() => {
                // Carried out at once: its event leaves in this round, before the next tick's.
                let done = model.act(&command.call_center, &command.call_id, &command.action, now_ms());
                let _ = command.answer.send(done);
            }
            _ = tick.tick() => {}
        }
        let events = model.step(now_ms());
        for event in &events {
            let outcome = tokio::select! {
                biased;
                () = cancel.cancelled() => return Ok(()),
                outcome = post(&client, &url, event) => outcome,
            };
            tally.record(outcome);
        }
        if !events.is_empty() {
            tally.publish();
        }
    }
    tracing::info!(
        posted = tally.posted,
        failed = tally.failed,
        "demo XSP stopped"
    );
    Ok(())
}

/// One event, one POST; the answer's body is ignored as BroadWorks ignores it.
async fn post(
    client: &reqwest::Client,
    url: &reqwest::Url,
    event: &xsi::Event,
) -> Result<(), String> {
    let response = client
        .post(url.clone())
        .header(CONTENT_TYPE, "application/xml; charset=UTF-8")
        .body(xsi::write_event(event))
        .send()
        .await
        .map_err(|e| format!("POST failed: {e}"))?;
    let status = response.status();
    if status.is_success() {
        Ok(())
    } else {
        Err(format!("refused: HTTP {status}"))
    }
}

/// Wait until something accepts TCP connections at the URL's address, for a bounded time.
async fn wait_for_listener(url: &reqwest::Url) {
    let Ok(addrs) = url.socket_addrs(|| None) else {
        return;
    };
    let deadline = Instant::now() + LISTENER_WAIT;
    while Instant::now() < deadline {
        for addr in &addrs {
            if tokio::net::TcpStream::connect(addr).await.is_ok() {
                return;
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tracing::warn!(url = %url, "demo: listener not answering; posting anyway");
}

/// The demo's posts counted: what it reports as its feed's health.
struct PostTally {
    url: String,
    seed: u64,
    status: Option<watch::Sender<LinkStatus>>,
    posted: u64,
    failed: u64,
    failures_in_a_row: u64,
    last_failure: Option<(Instant, String)>,
}

impl PostTally {
    fn new(url: &str, seed: u64, status: Option<watch::Sender<LinkStatus>>) -> Self {
        PostTally {
            url: url.to_owned(),
            seed,
            status,
            posted: 0,
            failed: 0,
            failures_in_a_row: 0,
            last_failure: None,
        }
    }

    fn record(&mut self, outcome: Result<(), String>) {
        match outcome {
            Ok(()) => {
                self.posted += 1;
                self.failures_in_a_row = 0;
            }
            Err(reason) => {
                self.failed += 1;
                self.failures_in_a_row += 1;
                // Log the first of a run of failures, not every one.
                if self.failures_in_a_row == 1 {
                    tracing::warn!(url = %self.url, %reason, "demo: event lost");
                }
                self.last_failure = Some((Instant::now(), reason));
            }
        }
    }

    fn link_status(&self) -> LinkStatus {
        let recent_failure = self
            .last_failure
            .as_ref()
            .is_some_and(|(at, _)| at.elapsed() < DEGRADED_FOR);
        let health = if self.posted == 0 && self.failed == 0 {
            // Nothing sent yet: waiting for the listener to answer.
            Health::Degraded
        } else if self.failures_in_a_row >= DOWN_AFTER_FAILURES {
            Health::Down
        } else if recent_failure {
            Health::Degraded
        } else {
            Health::Ok
        };
        LinkStatus {
            health,
            source: FeedSource::Demo(DemoStatus {
                url: self.url.clone(),
                seed: self.seed,
                posted: self.posted,
                failed: self.failed,
                last_failure: self.last_failure.as_ref().map(|(_, why)| why.clone()),
            }),
        }
    }

    fn publish(&self) {
        if let Some(status) = &self.status {
            status.send_replace(self.link_status());
        }
    }
}
