//! The loopback load tool behind `xsi-load`: a realistic event stream from the demo's model,
//! posted to a running wallboard, then its `/api/board` checked against the model's ground
//! truth. It drives the wallboard from outside, as BroadWorks would, so it lives in a crate of
//! its own and uses only the wallboard's public API.
//!
//! ```text
//! sim::Model (seeded) --step through simulated time--> N calls' events + ground truth
//!   --lane per call center (each call center's events stay in order)--> C keep-alive lanes
//!   --POST, never retried--> wallboard --GET /api/board--> compare with the truth
//! ```
//!
//! Each lane sends its call centers' events one after another, so a call's events arrive in
//! order (BroadWorks sends each subscription's events in order too); `shuffle` swaps
//! neighbouring events inside a lane to test reordering on purpose. With `rate`, requests are
//! due at fixed instants (open loop) and latency counts from when each was due, so a stall in
//! the server shows in the figures instead of slowing the sender (no coordinated omission).

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use reqwest::Url;
use serde::Serialize;

use xsi_wallboard::sim::{GroundTruth, Model};

pub mod viewers;
use xsi_wallboard::xsi::{self, Event};

/// How far the model is stepped at a time (simulated): fine enough that events keep their
/// order of occurrence.
const STEP_MS: i64 = 250;
/// A single request that takes longer has failed (BroadWorks gives up too).
const REQUEST_TIMEOUT: Duration = Duration::from_secs(5);
/// How long after the last answer the board may take to come right.
const BOARD_SETTLE: Duration = Duration::from_secs(5);
/// The most calls one run may generate: the run must stay bounded.
pub const MAX_CALLS: usize = 2_000_000;

/// What to send and how.
#[derive(Debug, Clone)]
pub struct LoadOptions {
    /// The wallboard's event URL, on a loopback address.
    pub url: Url,
    /// Calls to generate (each brings several events).
    pub calls: usize,
    pub call_centers: usize,
    /// Requests in flight at once (one lane each).
    pub concurrency: usize,
    /// Swap neighbouring events within a lane, with this probability per event.
    pub shuffle: f64,
    /// Events per second (open loop); `None`: as fast as the server answers (closed loop).
    pub rate: Option<f64>,
    pub seed: u64,
    /// Give up sending after this long (the report says how many were not sent).
    pub max_duration: Duration,
    /// The server's pid, for its CPU time and peak memory from `/proc`.
    pub server_pid: Option<u32>,
    /// Start the clock at this instant rather than now (stream viewers attached beforehand
    /// know each event's due time from it).
    pub start_at: Option<Instant>,
}

/// Figures of one run.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub events: usize,
    pub sent: usize,
    pub ok: usize,
    /// Answers other than 200, by status (never retried).
    pub non_200: HashMap<u16, usize>,
    /// Requests that got no answer (connection error or timeout).
    pub failed: usize,
    pub seconds: f64,
    pub events_per_sec: f64,
    /// From each request's intended send time (open loop) or its send (closed loop).
    pub latency_ms: Latency,
    /// From each request's actual send: without the load tool's own timer lateness (tokio's
    /// timers tick in whole milliseconds), so it shows what the server added.
    pub service_ms: Latency,
    /// Server CPU (user + system) per event, when its pid was given.
    pub server_cpu_us_per_event: Option<f64>,
    /// Server peak resident memory (`VmHWM`), when its pid was given.
    pub server_peak_rss_mb: Option<f64>,
    /// The board against the ground truth: empty when it matched.
    pub mismatches: Vec<String>,
    /// From the first request to the first `/api/board` that matched the truth.
    pub board_right_ms: Option<f64>,
}

impl Report {
    /// Everything answered 200 and the board is exactly the truth.
    pub fn passed(&self) -> bool {
        self.sent == self.events
            && self.ok == self.sent
            && self.failed == 0
            && self.mismatches.is_empty()
    }
}

/// Percentiles of request latency (ms), from each request's intended send time.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct Latency {
    pub p50: f64,
    pub p90: f64,
    pub p99: f64,
    pub p99_9: f64,
    pub max: f64,
}

impl Latency {
    pub(crate) fn of(mut micros: Vec<u64>) -> Self {
        if micros.is_empty() {
            return Latency::default();
        }
        micros.sort_unstable();
        let at = |q: f64| {
            let index = ((micros.len() as f64 - 1.0) * q).round() as usize;
            micros[index.min(micros.len() - 1)] as f64 / 1000.0
        };
        Latency {
            p50: at(0.50),
            p90: at(0.90),
            p99: at(0.99),
            p99_9: at(0.999),
            max: at(1.0),
        }
    }
}

/// A generated stream: XML bodies with the call center each is about, and what the board
/// must show after all of them.
pub struct Stream {
    pub bodies: Vec<(Arc<str>, String)>,
    pub truth: Vec<GroundTruth>,
    /// Each call's `ACDCallAddedEvent`: its place in `bodies` and the call's id (what a stream
    /// viewer looks for to time the event's way to the screen).
    pub added: Vec<(usize, Arc<str>)>,
}

/// Step the demo's model until `calls` calls have arrived, ending `now_ms` (so that `addTime`s
/// lie in the recent past, as a live XSP's do).
pub fn generate(seed: u64, call_centers: usize, calls: usize, now_ms: i64) -> Stream {
    // First pass: how much simulated time `calls` calls take; then the same run, shifted so
    // that it ends now. The model is deterministic for a seed, so both passes agree.
    let (duration_ms, _) = simulate(seed, call_centers, calls, 0);
    let (_, stream) = simulate(seed, call_centers, calls, now_ms - duration_ms);
    stream
}

fn simulate(seed: u64, call_centers: usize, calls: usize, start_ms: i64) -> (i64, Stream) {
    let mut model = Model::with_call_centers(seed, start_ms, call_centers.max(1));
    let mut bodies = Vec::new();
    let mut added = Vec::new();
    let mut now = start_ms;
    while added.len() < calls {
        for event in model.step(now) {
            if let Event::Subscription(sub) = &event {
                if let xsi::EventData::Call(call) = &sub.data
                    && call.kind == xsi::CallEventKind::Added
                {
                    added.push((bodies.len(), call.entry.call_id.clone()));
                }
                let target = sub.envelope.target_id.clone().unwrap_or_default();
                bodies.push((target, xsi::write_event(&event)));
            }
        }
        now += STEP_MS;
    }
    (
        now - start_ms,
        Stream {
            bodies,
            truth: model.waiting(),
            added,
        },
    )
}

/// The burst after a resubscribe (`R`): one `ACDSubscriptionEvent` per call center, each with
/// `calls_per_center` waiting calls (the oldest waiting about that many seconds), all due at
/// once. The truth is every call waiting, in listed order, and nothing answered yet.
pub fn snapshot_burst(
    seed: u64,
    call_centers: usize,
    calls_per_center: usize,
    now_ms: i64,
) -> Stream {
    let mut model = Model::with_call_centers(seed, now_ms, call_centers.max(1));
    let mut bodies = Vec::new();
    let mut truth = model.waiting();
    for event in model.step(now_ms) {
        let Event::Subscription(mut sub) = event else {
            continue;
        };
        let xsi::EventData::QueueSnapshot(snapshot) = &mut sub.data else {
            continue;
        };
        let target = sub.envelope.target_id.clone().unwrap_or_default();
        let Some(queue) = truth.iter_mut().find(|t| t.target_id == target) else {
            continue;
        };
        let template = snapshot.entries.first().cloned().unwrap_or_default();
        snapshot.entries = (0..calls_per_center)
            .map(|i| {
                let add_time = now_ms - 1000 * (calls_per_center - i) as i64;
                xsi::QueueEntry {
                    call_id: format!("burst-{}-{i}:0", bodies.len()).into(),
                    ext_tracking_id: format!("burst-{}-{i}:1", bodies.len()).into(),
                    add_time: Some(add_time),
                    add_time_in_priority_bucket: Some(add_time),
                    acd_priority: Some(0),
                    ..template.clone()
                }
            })
            .collect();
        queue.waiting = snapshot.entries.iter().map(|e| e.call_id.clone()).collect();
        queue.whispering.clear();
        bodies.push((target, xsi::write_event(&Event::Subscription(sub))));
    }
    Stream {
        bodies,
        truth,
        added: Vec::new(),
    }
}

/// Loopback only: this tool must never load anything but the machine it runs on.
pub fn check_loopback(url: &Url) -> anyhow::Result<()> {
    if url.scheme() != "http" {
        bail!("only http:// URLs (loopback) are allowed, not {url}");
    }
    let loopback = match url.host_str() {
        Some("localhost") => true,
        Some(host) => host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<IpAddr>()
            .is_ok_and(|ip| ip.is_loopback()),
        None => false,
    };
    if !loopback {
        bail!("only loopback targets (127.0.0.0/8, ::1, localhost) are allowed, not {url}");
    }
    Ok(())
}

/// Send the stream, then read and check the board.
pub async fn run(opts: &LoadOptions, stream: Stream) -> anyhow::Result<Report> {
    check_loopback(&opts.url)?;
    let board_url = opts.url.join("/api/board").context("board URL")?;
    let client = reqwest::Client::builder()
        .timeout(REQUEST_TIMEOUT)
        .pool_max_idle_per_host(opts.concurrency.max(1))
        .build()
        .context("HTTP client")?;
    // The check compares the board with this stream alone: it must start empty.
    let before = get_board(&client, &board_url).await?;
    if before["queues"].as_array().is_some_and(|q| !q.is_empty()) {
        bail!("the wallboard's board is not empty: start a fresh one for a checked run");
    }
    let lanes = lanes(
        &stream.bodies,
        opts.concurrency.max(1),
        opts.shuffle,
        opts.seed,
    );
    let events = stream.bodies.len();
    let cpu_before = opts.server_pid.and_then(cpu_ticks);

    let started = match opts.start_at {
        Some(at) => {
            tokio::time::sleep_until(at.into()).await;
            at
        }
        None => Instant::now(),
    };
    let outcome = send_all(&client, opts, lanes, started).await?;
    let seconds = started.elapsed().as_secs_f64();

    let cpu_after = opts.server_pid.and_then(cpu_ticks);
    let (mismatches, board_right_ms) = settle(
        &client,
        &board_url,
        &stream.truth,
        opts.shuffle > 0.0,
        started,
    )
    .await?;
    let sent = outcome.latencies_us.len() + outcome.failed;
    Ok(Report {
        events,
        sent,
        ok: outcome.ok,
        non_200: outcome.non_200,
        failed: outcome.failed,
        seconds,
        events_per_sec: sent as f64 / seconds.max(1e-9),
        latency_ms: Latency::of(outcome.latencies_us),
        service_ms: Latency::of(outcome.service_us),
        server_cpu_us_per_event: match (cpu_before, cpu_after) {
            // USER_HZ is 100 on every Linux the wallboard runs on.
            (Some(before), Some(after)) if sent > 0 => {
                Some((after - before) as f64 * 10_000.0 / sent as f64)
            }
            _ => None,
        },
        server_peak_rss_mb: opts
            .server_pid
            .and_then(peak_rss_kb)
            .map(|kb| kb as f64 / 1024.0),
        mismatches,
        board_right_ms,
    })
}

/// Every lane's requests, closed loop or (with a rate) released by the clock thread; returns
/// when every lane is done or past the deadline.
async fn send_all(
    client: &reqwest::Client,
    opts: &LoadOptions,
    lanes: Vec<Vec<Scheduled>>,
    started: Instant,
) -> anyhow::Result<LaneOutcome> {
    let deadline = started + opts.max_duration;
    let interval = opts
        .rate
        .map(|rate| Duration::from_secs_f64(1.0 / rate.max(1.0)));
    let mut tasks = tokio::task::JoinSet::new();
    let owners = interval.map(|_| due_order(&lanes));
    let mut tickets = Vec::new();
    for lane in lanes {
        let (client, url) = (client.clone(), opts.url.clone());
        let pace = interval.map(|_| {
            let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
            tickets.push(tx);
            rx
        });
        tasks.spawn(send_lane(client, url, lane, pace, deadline));
    }
    if let (Some(interval), Some(owners)) = (interval, owners) {
        std::thread::Builder::new()
            .name("xsi-load-clock".into())
            .spawn(move || pace_lanes(&owners, &tickets, started, interval, deadline))
            .context("clock thread")?;
    }
    let mut outcome = LaneOutcome::default();
    while let Some(done) = tasks.join_next().await {
        outcome.merge(done.context("lane task")?);
    }
    Ok(outcome)
}

/// The applier may still be working through its channel after the last 200: read the board
/// until it is right, for at most [`BOARD_SETTLE`] after the last answer. The differences
/// left, and when (from `started`) the board came right.
async fn settle(
    client: &reqwest::Client,
    board_url: &Url,
    truth: &[GroundTruth],
    shuffled: bool,
    started: Instant,
) -> anyhow::Result<(Vec<String>, Option<f64>)> {
    let settle_until = Instant::now() + BOARD_SETTLE;
    loop {
        let board = get_board(client, board_url).await?;
        let mismatches = compare(&board, truth, !shuffled);
        if mismatches.is_empty() {
            return Ok((mismatches, Some(started.elapsed().as_secs_f64() * 1000.0)));
        }
        if Instant::now() >= settle_until {
            return Ok((mismatches, None));
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

async fn get_board(client: &reqwest::Client, url: &Url) -> anyhow::Result<serde_json::Value> {
    let body = client
        .get(url.clone())
        .send()
        .await
        .context("GET /api/board")?
        .bytes()
        .await
        .context("GET /api/board")?;
    serde_json::from_slice(&body).context("/api/board is not JSON")
}

/// Each call center's events go to one lane, in order; lanes take call centers round-robin
/// in order of first appearance.
fn lanes(
    bodies: &[(Arc<str>, String)],
    concurrency: usize,
    shuffle: f64,
    seed: u64,
) -> Vec<Vec<Scheduled>> {
    let mut lane_of: HashMap<&str, usize> = HashMap::new();
    let mut lanes: Vec<Vec<Scheduled>> = vec![Vec::new(); concurrency];
    for (index, (target, body)) in bodies.iter().enumerate() {
        let next = lane_of.len() % concurrency;
        let lane = *lane_of.entry(target).or_insert(next);
        lanes[lane].push(Scheduled {
            index,
            body: Arc::from(body.as_str()),
        });
    }
    if shuffle > 0.0 {
        let mut rng = StdRng::seed_from_u64(seed ^ 0x5_4ff1e);
        for lane in &mut lanes {
            for i in 1..lane.len() {
                if rng.random_bool(shuffle.clamp(0.0, 1.0)) {
                    lane.swap(i - 1, i);
                }
            }
        }
    }
    lanes.retain(|lane| !lane.is_empty());
    lanes
}

#[derive(Debug, Clone)]
struct Scheduled {
    /// Place in the whole stream: with a rate, the request is due at `index / rate`.
    index: usize,
    body: Arc<str>,
}

#[derive(Debug, Default)]
struct LaneOutcome {
    ok: usize,
    non_200: HashMap<u16, usize>,
    failed: usize,
    latencies_us: Vec<u64>,
    /// From the moment each request was actually sent: the server's share of the latency.
    service_us: Vec<u64>,
}

impl LaneOutcome {
    fn merge(&mut self, other: LaneOutcome) {
        self.ok += other.ok;
        self.failed += other.failed;
        for (status, n) in other.non_200 {
            *self.non_200.entry(status).or_default() += n;
        }
        self.latencies_us.extend(other.latencies_us);
        self.service_us.extend(other.service_us);
    }
}

/// Open loop: which lane sends the request due `i`-th (every lane's own order is kept; a
/// lane's `n`-th ticket releases its `n`-th request).
fn due_order(lanes: &[Vec<Scheduled>]) -> Vec<usize> {
    let mut owners: Vec<(usize, usize)> = lanes
        .iter()
        .enumerate()
        .flat_map(|(lane, events)| events.iter().map(move |e| (e.index, lane)))
        .collect();
    owners.sort_unstable();
    owners.into_iter().map(|(_, lane)| lane).collect()
}

/// The open-loop clock, on a thread of its own: tokio's timers tick in whole milliseconds,
/// which would add up to a millisecond of the tool's own lateness to every figure. A thread
/// sleeping to each due instant hands the owning lane a ticket stamped with that instant.
fn pace_lanes(
    owners: &[usize],
    tickets: &[tokio::sync::mpsc::UnboundedSender<Instant>],
    started: Instant,
    interval: Duration,
    deadline: Instant,
) {
    for (i, &lane) in owners.iter().enumerate() {
        let due = started + interval.mul_f64(i as f64);
        if due >= deadline {
            break;
        }
        if let Some(wait) = due.checked_duration_since(Instant::now()) {
            std::thread::sleep(wait);
        }
        // A lane that has stopped (deadline) no longer listens; that is fine.
        let _ = tickets[lane].send(due);
    }
}

async fn send_lane(
    client: reqwest::Client,
    url: Url,
    lane: Vec<Scheduled>,
    mut pace: Option<tokio::sync::mpsc::UnboundedReceiver<Instant>>,
    deadline: Instant,
) -> LaneOutcome {
    let mut outcome = LaneOutcome::default();
    for event in lane {
        let due = match &mut pace {
            Some(tickets) => match tickets.recv().await {
                Some(due) => due,
                // The clock stopped at the deadline.
                None => break,
            },
            None => Instant::now(),
        };
        if Instant::now() >= deadline {
            break;
        }
        let sent_at = Instant::now();
        let answer = client
            .post(url.clone())
            .header(reqwest::header::CONTENT_TYPE, "text/xml; charset=UTF-8")
            .body(event.body.to_string())
            .send()
            .await;
        match answer {
            Ok(response) => {
                let status = response.status();
                // Drain the (empty) body so the connection is reused.
                let _ = response.bytes().await;
                // One reading of the clock for both, so the time from the send can never
                // exceed the time from the due instant.
                let now = Instant::now();
                let micros = |since: Instant| {
                    u64::try_from(now.saturating_duration_since(since).as_micros())
                        .unwrap_or(u64::MAX)
                };
                outcome.latencies_us.push(micros(due));
                outcome.service_us.push(micros(sent_at));
                if status == reqwest::StatusCode::OK {
                    outcome.ok += 1;
                } else {
                    *outcome.non_200.entry(status.as_u16()).or_default() += 1;
                }
            }
            Err(_) => outcome.failed += 1,
        }
    }
    outcome
}

/// Differences between `/api/board` and the truth, one line each. `ordered`: each queue's
/// calls must be in the truth's serving order too (not when events were shuffled on purpose:
/// a reorder event applied out of turn may leave a different, equally valid order).
pub fn compare(board: &serde_json::Value, truth: &[GroundTruth], ordered: bool) -> Vec<String> {
    let mut mismatches = Vec::new();
    let queues: HashMap<&str, &serde_json::Value> = board["queues"]
        .as_array()
        .map(|queues| {
            queues
                .iter()
                .filter_map(|q| q["id"].as_str().map(|id| (id, q)))
                .collect()
        })
        .unwrap_or_default();
    for expected in truth {
        let id = &*expected.target_id;
        let Some(queue) = queues.get(id) else {
            mismatches.push(format!("{id}: missing from the board"));
            continue;
        };
        let mut shown: Vec<&str> = queue["calls"]
            .as_array()
            .map(|calls| calls.iter().filter_map(|c| c["call_id"].as_str()).collect())
            .unwrap_or_default();
        let mut waiting: Vec<&str> = expected.waiting.iter().map(|c| &**c).collect();
        if !ordered {
            shown.sort_unstable();
            waiting.sort_unstable();
        }
        if shown != waiting {
            let ghosts = shown.iter().filter(|c| !waiting.contains(c)).count();
            let missing = waiting.iter().filter(|c| !shown.contains(c)).count();
            mismatches.push(format!(
                "{id}: calls differ ({ghosts} ghost, {missing} missing, {} shown, {} true)",
                shown.len(),
                waiting.len()
            ));
        }
        for (key, want) in [
            ("answered", expected.answered),
            ("abandoned", expected.abandoned),
            ("other_departures", expected.departed),
        ] {
            let got = queue[key].as_u64().unwrap_or(u64::MAX);
            if got != want {
                mismatches.push(format!("{id}: {key} {got}, true {want}"));
            }
        }
    }
    for id in queues.keys() {
        if !truth.iter().any(|t| &*t.target_id == *id) {
            mismatches.push(format!("{id}: on the board but not in the stream"));
        }
    }
    mismatches.sort();
    mismatches
}

/// User plus system CPU ticks of `pid` (fields 14 and 15 of `/proc/PID/stat`).
pub fn cpu_ticks(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name may hold spaces: count fields after its closing parenthesis.
    let rest = stat.rsplit_once(')')?.1;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    Some(utime + stime)
}

/// Peak resident set (`VmHWM`, kB) of `pid`.
pub fn peak_rss_kb(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}
