//! `xsi-load`: POST a realistic XSI event stream to a running `xsi-wallboard` on this machine
//! and check its board against the ground truth. Loopback only, bounded in count and time,
//! never retries a refused request (BroadWorks would not either).
//!
//! ```sh
//! xsi-wallboard --headless --listen 127.0.0.1:8765 &
//! xsi-load --url http://127.0.0.1:8765/xsi-events --calls 20000 --call-centers 50 \
//!     --concurrency 16 --server-pid $!
//! ```

use std::collections::HashMap;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::Parser;
use xsi_load::viewers::{Viewers, ViewersReport};
use xsi_load::{self as load, LoadOptions};
use xsi_wallboard::board::now_ms;

#[derive(Debug, Parser)]
#[command(
    name = "xsi-load",
    version,
    about = "Loopback load and correctness check for xsi-wallboard"
)]
struct Args {
    /// The wallboard's event URL (loopback only).
    #[arg(long, default_value = "http://127.0.0.1:8765/xsi-events")]
    url: reqwest::Url,
    /// Calls to generate; each brings several events (added, offered, answered, ...).
    #[arg(long, default_value_t = 10_000)]
    calls: usize,
    /// Call centers the calls are spread over.
    #[arg(long, default_value_t = 20)]
    call_centers: usize,
    /// Requests in flight at once.
    #[arg(long, default_value_t = 16)]
    concurrency: usize,
    /// Swap neighbouring events of a call center with this probability (deliberate reorder).
    #[arg(long, default_value_t = 0.0)]
    shuffle: f64,
    /// Events per second, open loop (latency from each request's due time); default: as fast
    /// as the server answers.
    #[arg(long)]
    rate: Option<f64>,
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Stop sending after this many seconds.
    #[arg(long, default_value_t = 300)]
    max_secs: u64,
    /// Instead of a call stream: one queue snapshot per call center with this many waiting
    /// calls, all sent at once (the burst after a resubscribe). Concurrency defaults to the
    /// number of call centers then.
    #[arg(long, value_name = "CALLS_PER_CENTER")]
    snapshots: Option<usize>,
    /// The server's pid, for its CPU per event and peak memory.
    #[arg(long)]
    server_pid: Option<u32>,
    /// Attach this many viewers to the wallboard's `/api/board/stream` first, and time each
    /// added call from its POST's due instant to each viewer's first message holding it
    /// (needs --rate).
    #[arg(long, default_value_t = 0, requires = "rate")]
    viewers: usize,
}

fn main() -> ExitCode {
    let args = Args::parse();
    if let Err(error) = check_args(&args) {
        eprintln!("xsi-load: {error}");
        return ExitCode::from(2);
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("xsi-load: {error}");
            return ExitCode::FAILURE;
        }
    };
    let (stream, calls, concurrency) = match args.snapshots {
        Some(per_center) => (
            load::snapshot_burst(args.seed, args.call_centers, per_center, now_ms()),
            per_center * args.call_centers,
            args.concurrency.max(args.call_centers),
        ),
        None => (
            load::generate(args.seed, args.call_centers, args.calls, now_ms()),
            args.calls,
            args.concurrency,
        ),
    };
    eprintln!(
        "xsi-load: {} events for {calls} calls over {} call centers, concurrency {concurrency}{}",
        stream.bodies.len(),
        args.call_centers,
        args.rate
            .map_or_else(String::new, |r| format!(", {r} events/s open loop"))
    );
    let opts = LoadOptions {
        url: args.url,
        calls,
        call_centers: args.call_centers,
        concurrency,
        shuffle: args.shuffle,
        rate: args.rate,
        seed: args.seed,
        max_duration: Duration::from_secs(args.max_secs.min(3600)),
        server_pid: args.server_pid,
        start_at: None,
    };
    let (report, viewers) = match runtime.block_on(run_with_viewers(opts, stream, args.viewers)) {
        Ok(done) => done,
        Err(error) => {
            eprintln!("xsi-load: {error:#}");
            return ExitCode::FAILURE;
        }
    };
    print_report(&report);
    if let Some(viewers) = &viewers {
        print_viewers(viewers);
    }
    if report.passed() && viewers.as_ref().is_none_or(|v| v.dropped == 0) {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// The load, with `viewers` stream viewers attached first (none: the plain load). The clock
/// starts once every viewer has its first board, so each added call's due instant is known.
async fn run_with_viewers(
    mut opts: LoadOptions,
    stream: load::Stream,
    viewers: usize,
) -> anyhow::Result<(load::Report, Option<ViewersReport>)> {
    let Some(rate) = opts.rate.filter(|_| viewers > 0) else {
        return Ok((load::run(&opts, stream).await?, None));
    };
    let numbered: HashMap<Arc<str>, u32> = stream
        .added
        .iter()
        .enumerate()
        .map(|(n, (_, id))| (Arc::clone(id), n as u32))
        .collect();
    let stream_url = opts.url.join("/api/board/stream")?;
    let attached = Viewers::attach(&stream_url, viewers, Arc::new(numbered)).await?;
    eprintln!("xsi-load: {viewers} viewers attached to {stream_url}");
    // A moment for the viewers' first messages to be out of the way.
    let start_at = Instant::now() + Duration::from_millis(500);
    opts.start_at = Some(start_at);
    // Open loop: request i is due at start + i / rate, as the load itself schedules it.
    let interval = Duration::from_secs_f64(1.0 / rate.max(1.0));
    let due: Vec<Instant> = stream
        .added
        .iter()
        .map(|(index, _)| start_at + interval.mul_f64(*index as f64))
        .collect();
    let report = load::run(&opts, stream).await?;
    // The last changes reach the viewers within a message interval or two.
    tokio::time::sleep(Duration::from_secs(1)).await;
    Ok((report, Some(attached.finish(&due).await)))
}

fn print_viewers(viewers: &ViewersReport) {
    let s = viewers.seen_ms;
    println!(
        "viewers {} dropped {} messages {} ({:.1} MB)",
        viewers.viewers,
        viewers.dropped,
        viewers.messages,
        viewers.bytes as f64 / 1e6
    );
    println!(
        "POST to viewer ms ({} seen, {} missed): p50 {:.1} p90 {:.1} p99 {:.1} p99.9 {:.1} max {:.1}",
        viewers.seen, viewers.missed, s.p50, s.p90, s.p99, s.p99_9, s.max
    );
    if let Ok(json) = serde_json::to_string(viewers) {
        println!("viewers-json: {json}");
    }
}

/// The figures, the board's verdict, and the same as one JSON line for scripts.
fn print_report(report: &load::Report) {
    let l = report.latency_ms;
    println!(
        "events {} sent {} ok {} non-200 {:?} failed {}",
        report.events, report.sent, report.ok, report.non_200, report.failed
    );
    println!(
        "{:.0} events/s over {:.2} s; latency ms p50 {:.3} p90 {:.3} p99 {:.3} p99.9 {:.3} max {:.3}",
        report.events_per_sec, report.seconds, l.p50, l.p90, l.p99, l.p99_9, l.max
    );
    let s = report.service_ms;
    println!(
        "from actual send: p50 {:.3} p90 {:.3} p99 {:.3} p99.9 {:.3} max {:.3}",
        s.p50, s.p90, s.p99, s.p99_9, s.max
    );
    if let Some(cpu) = report.server_cpu_us_per_event {
        // Per event, and as a share of one core over the sending time.
        let core = cpu * report.events_per_sec / 1e4;
        println!("server CPU {cpu:.2} us/event, {core:.1}% of a core");
    }
    if let Some(rss) = report.server_peak_rss_mb {
        println!("server peak RSS {rss:.1} MB");
    }
    if report.mismatches.is_empty() {
        match report.board_right_ms {
            Some(ms) => println!("board: MATCH, right {ms:.0} ms after the first request"),
            None => println!("board: MATCH"),
        }
    } else {
        println!("board: MISMATCH");
        for line in &report.mismatches {
            println!("  {line}");
        }
    }
    if let Ok(json) = serde_json::to_string(&report) {
        println!("json: {json}");
    }
}

/// Refuses what the tool must never do: load a remote host, or run without bounds.
fn check_args(args: &Args) -> anyhow::Result<()> {
    load::check_loopback(&args.url)?;
    if args.calls == 0 || args.calls > load::MAX_CALLS || args.concurrency == 0 {
        anyhow::bail!(
            "--calls must be 1..={} and --concurrency at least 1",
            load::MAX_CALLS
        );
    }
    if args.viewers > xsi_load::viewers::MAX_VIEWERS {
        anyhow::bail!(
            "--viewers must be at most {}",
            xsi_load::viewers::MAX_VIEWERS
        );
    }
    // The board keeps at most 2000 calls a queue; a bigger snapshot could never match.
    if args
        .snapshots
        .is_some_and(|n| n == 0 || n > 2000 || args.call_centers == 0 || args.call_centers > 500)
    {
        anyhow::bail!("--snapshots must be 1..=2000, with --call-centers 1..=500");
    }
    Ok(())
}
