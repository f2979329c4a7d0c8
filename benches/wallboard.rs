//! The hot path, stage by stage: parse one event, apply a realistic stream, take a snapshot
//! and render a full frame. `cargo bench` (add `-- --quick` for a fast pass).
//!
//! Streams come from the demo's model, as `xsi-load` generates them, so the benches see the
//! same mix of events as the demo and the load tool: added, offered, bounced, answered,
//! abandoned, reordered, monitoring and agent events.

use std::hint::black_box;
use std::sync::Arc;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use xsi_wallboard::app::{App, FeedMode, HeaderInfo, View};
use xsi_wallboard::board::{Applier, Board, BoardConfig};
use xsi_wallboard::sim::Model;
use xsi_wallboard::status::LinkStatus;
use xsi_wallboard::ui::{self, theme::Theme};
use xsi_wallboard::xsi::{
    self, CallEvent, CallEventKind, Envelope, Event, EventData, QueueEntry, QueueSnapshot,
    RemoteParty, SubscriptionEvent,
};

/// 2026-11-28T14:00:00Z.
const NOW: i64 = 1_795_874_400_000;

fn entry(call: usize, add_time: i64) -> QueueEntry {
    QueueEntry {
        call_id: Arc::from(format!("callhalf-{call}:0")),
        ext_tracking_id: Arc::from(format!("{call}:1")),
        remote_party: RemoteParty {
            name: Some(Arc::from("Zoë Müller & Co")),
            address: Some(Arc::from("tel:+41445551234")),
            ..RemoteParty::default()
        },
        add_time: Some(add_time),
        acd_name: Some(Arc::from("Sales Queue")),
        acd_priority: Some(0),
        add_time_in_priority_bucket: Some(add_time),
        ..QueueEntry::default()
    }
}

fn envelope(n: usize, target: &str) -> Envelope {
    Envelope {
        event_id: Arc::from(format!("c74803e3-0000-4000-8000-{n:012}")),
        sequence_number: Some(u32::try_from(n).unwrap_or(u32::MAX)),
        user_id: Arc::from("ccadmin@acme.example.net"),
        external_application_id: Arc::from("xsi-wallboard/bench/default"),
        subscription_id: Arc::from("cd613e30-0000-4000-8000-000000000001"),
        http_contact: Some(Arc::from("http://127.0.0.1:8765/xsi-events")),
        target_id: Some(Arc::from(target)),
        ..Envelope::default()
    }
}

fn added(n: usize, target: &str, add_time: i64) -> Event {
    Event::Subscription(SubscriptionEvent {
        envelope: envelope(n, target),
        data: EventData::Call(CallEvent {
            kind: CallEventKind::Added,
            entry: entry(n, add_time),
            position: Some(1),
            overflow_reason: None,
        }),
    })
}

fn parse(c: &mut Criterion) {
    let typical = xsi::write_event(&added(1, "sales-cc@acme.example.net", NOW));
    let snapshot = xsi::write_queue_event(
        &envelope(2, "sales-cc@acme.example.net"),
        &EventData::QueueSnapshot(QueueSnapshot {
            resync: false,
            entries: (0..20).map(|i| entry(i, NOW - 1000 * i as i64)).collect(),
        }),
    );
    let mut group = c.benchmark_group("parse");
    for (name, body) in [
        ("ACDCallAddedEvent", typical),
        ("ACDSubscriptionEvent_20_calls", snapshot),
    ] {
        group.throughput(Throughput::Bytes(body.len() as u64));
        group.bench_function(BenchmarkId::new(name, body.len()), |b| {
            b.iter(|| xsi::parse_event(black_box(body.as_bytes())).expect("parses"));
        });
        // The floor under our parser: quick-xml reading every event of the same body and
        // doing nothing with it.
        group.bench_function(
            BenchmarkId::new(format!("{name}_quick_xml_floor"), body.len()),
            |b| {
                b.iter(|| {
                    let mut reader = quick_xml::Reader::from_reader(black_box(body.as_bytes()));
                    let mut n = 0usize;
                    loop {
                        match reader.read_event() {
                            Ok(quick_xml::events::Event::Eof) => break n,
                            Ok(_) => n += 1,
                            Err(e) => panic!("{e}"),
                        }
                    }
                });
            },
        );
    }
    group.finish();
}

/// The demo model's events over `call_centers` call centers until `calls` calls have arrived,
/// ending at `NOW`, each written and parsed back as the listener would see it. The same stream
/// as `xsi-load`'s (which cannot be a dependency here: it depends on this crate).
fn demo_stream(seed: u64, call_centers: usize, calls: usize) -> Vec<Event> {
    const STEP_MS: i64 = 250;
    let run = |start_ms: i64| {
        let mut model = Model::with_call_centers(seed, start_ms, call_centers);
        let (mut events, mut added, mut now) = (Vec::new(), 0, start_ms);
        while added < calls {
            for event in model.step(now) {
                if let Event::Subscription(sub) = &event {
                    if let EventData::Call(call) = &sub.data
                        && call.kind == CallEventKind::Added
                    {
                        added += 1;
                    }
                    let body = xsi::write_event(&event);
                    events.push(xsi::parse_event(body.as_bytes()).expect("the stream parses"));
                }
            }
            now += STEP_MS;
        }
        (now - start_ms, events)
    };
    // The model is deterministic for a seed: the first run measures how long the calls take,
    // the second ends now, so that `addTime`s lie in the recent past as a live XSP's do.
    let (duration_ms, _) = run(0);
    run(NOW - duration_ms).1
}

fn apply(c: &mut Criterion) {
    let events = demo_stream(1, 20, 2_000);
    let mut group = c.benchmark_group("apply");
    group.throughput(Throughput::Elements(events.len() as u64));
    group.bench_function(BenchmarkId::new("mixed_stream", events.len()), |b| {
        b.iter(|| {
            let mut applier = Applier::new(Arc::new(Board::new(BoardConfig::default(), NOW)));
            for event in &events {
                applier.apply(black_box(event), NOW);
            }
            applier
        });
    });
    group.finish();
}

/// A board of `centers` call centers with `calls` waiting calls each.
fn full_board(centers: usize, calls: usize) -> Arc<Board> {
    let board = Arc::new(Board::new(BoardConfig::default(), NOW));
    let mut applier = Applier::new(Arc::clone(&board));
    let mut n = 0;
    for center in 0..centers {
        let target = format!("cc{center}@acme.example.net");
        for call in 0..calls {
            n += 1;
            applier.apply(&added(n, &target, NOW - 7_000 * call as i64), NOW);
        }
    }
    board
}

fn render(c: &mut Criterion) {
    let mut group = c.benchmark_group("frame");
    for (centers, calls, width, height) in [(4, 25, 120, 40), (50, 200, 250, 70)] {
        let board = full_board(centers, calls);
        let mut terminal = Terminal::new(TestBackend::new(width, height)).expect("terminal");
        let app = App::new();
        let link = LinkStatus::default();
        let header = HeaderInfo {
            listen: None,
            mode: FeedMode::Demo,
            exposed: false,
        };
        let id = format!("{centers}x{calls}_at_{width}x{height}");
        group.bench_function(BenchmarkId::new("snapshot", &id), |b| {
            b.iter(|| board.snapshot(black_box(NOW)));
        });
        group.bench_function(BenchmarkId::new("snapshot_and_draw", &id), |b| {
            b.iter(|| {
                let snapshot = board.snapshot(NOW);
                let view = View {
                    app: &app,
                    board: &snapshot,
                    link: &link,
                    header: &header,
                    theme: Theme::color(),
                    now: tokio::time::Instant::now(),
                    history: None,
                };
                terminal
                    .draw(|frame| ui::render(frame, &view))
                    .expect("draws");
            });
        });
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20);
    targets = parse, apply, render
}
criterion_main!(benches);
