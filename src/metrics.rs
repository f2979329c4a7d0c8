//! `/metrics`: the board in the Prometheus text format, for the teams that already watch their
//! services in Prometheus and Grafana.
//!
//! Built per scrape from one snapshot (the board has one writer; the scrape only reads), with
//! `prometheus-client` doing the encoding: names, escaping, `# TYPE` and `# HELP` lines are the
//! crate's, not hand-written. Every name starts `xsi_wallboard_`; per-call-center series carry a
//! `call_center` label (the call center's user id, stable where display names change).

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;
use std::sync::atomic::AtomicU64;

use crate::board::BoardSnapshot;
use crate::status::{FeedSource, LinkStatus};
use crate::subscribe::SubscriptionState;

/// The content type of what [`render`] writes (the `OpenMetrics` text format, which Prometheus
/// scrapes natively).
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct CallCenter {
    call_center: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct AgentsIn {
    call_center: String,
    state: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Outcome {
    outcome: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct State {
    state: String,
}

/// Per call center: what is waiting now, the day's counters, and whether the board can be
/// trusted for it.
#[derive(Default)]
struct PerCallCenter {
    calls_waiting: Family<CallCenter, Gauge>,
    longest_wait_seconds: Family<CallCenter, Gauge>,
    answered: Family<CallCenter, Counter>,
    abandoned: Family<CallCenter, Counter>,
    service_level_ratio: Family<CallCenter, Gauge<f64, AtomicU64>>,
    stale: Family<CallCenter, Gauge>,
    unsure: Family<CallCenter, Gauge>,
    agents: Family<AgentsIn, Gauge>,
}

impl PerCallCenter {
    fn fill(&self, board: &BoardSnapshot) {
        for queue in &board.queues {
            let cc = CallCenter {
                call_center: queue.id.to_string(),
            };
            let count = |n: usize| i64::try_from(n).unwrap_or(i64::MAX);
            let secs = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
            self.calls_waiting
                .get_or_create(&cc)
                .set(count(queue.calls.len()));
            self.longest_wait_seconds
                .get_or_create(&cc)
                .set(secs(queue.longest_wait_secs));
            self.answered.get_or_create(&cc).inc_by(queue.answered);
            self.abandoned.get_or_create(&cc).inc_by(queue.abandoned);
            if let Some(percent) = queue.stats.service_level_percent {
                self.service_level_ratio
                    .get_or_create(&cc)
                    .set(percent / 100.0);
            }
            self.stale
                .get_or_create(&cc)
                .set(i64::from(queue.truth.stale));
            self.unsure
                .get_or_create(&cc)
                .set(i64::from(queue.truth.unsure));
            for agent in &queue.agents {
                let state = agent.state.map_or("unknown", |s| s.as_str());
                self.agents
                    .get_or_create(&AgentsIn {
                        call_center: cc.call_center.clone(),
                        state: state.to_owned(),
                    })
                    .inc();
            }
        }
    }

    fn register(self, registry: &mut Registry) {
        registry.register(
            "calls_waiting",
            "Calls waiting in the call center's queue now",
            self.calls_waiting,
        );
        registry.register(
            "longest_wait_seconds",
            "The longest wait of a call waiting now (suspect calls left out)",
            self.longest_wait_seconds,
        );
        registry.register(
            "answered",
            "Calls answered since the daily reset",
            self.answered,
        );
        registry.register(
            "abandoned",
            "Calls abandoned since the daily reset",
            self.abandoned,
        );
        registry.register(
            "service_level_ratio",
            "Answered within the service-level threshold, of those counted (0 to 1)",
            self.service_level_ratio,
        );
        registry.register(
            "stale",
            "1 when the board has not been proved current for the call center",
            self.stale,
        );
        registry.register(
            "unsure",
            "1 when events were lost and the call center is being repaired",
            self.unsure,
        );
        registry.register(
            "agents",
            "Agents joined to the call center, by state (Call Center Agent package)",
            self.agents,
        );
    }
}

/// The board as Prometheus text; `link` adds the subscriptions by state.
pub fn render(board: &BoardSnapshot, link: Option<&LinkStatus>) -> String {
    let mut registry = Registry::with_prefix("xsi_wallboard");
    let per_call_center = PerCallCenter::default();
    per_call_center.fill(board);
    per_call_center.register(&mut registry);

    let events = Family::<Outcome, Counter>::default();
    let e = &board.events;
    for (outcome, n) in [
        ("received", e.received),
        ("applied", e.applied),
        ("duplicate", e.duplicates),
        ("unknown", e.unknown),
        ("rejected", e.rejected),
        ("dropped", e.dropped),
        ("refused", e.refused),
    ] {
        events
            .get_or_create(&Outcome {
                outcome: outcome.to_owned(),
            })
            .inc_by(n);
    }
    registry.register("events", "Event documents, by what became of them", events);
    let gaps = Counter::<u64>::default();
    gaps.inc_by(board.sequence.gaps);
    registry.register(
        "sequence_gaps",
        "Sequence numbers never received: events lost",
        gaps,
    );
    let resyncs = Counter::<u64>::default();
    resyncs.inc_by(board.sequence.resyncs);
    registry.register(
        "resyncs",
        "Call centers made sure again by a snapshot after a loss",
        resyncs,
    );
    if let Some(link) = link {
        registry.register(
            "subscriptions",
            "XSI-Events subscriptions, by state",
            subscriptions(link),
        );
    }

    let mut text = String::new();
    // Writing to a String cannot fail; an error here would be the crate's bug, and a scrape
    // that gets what was written so far still parses.
    let _ = encode(&mut text, &registry);
    text
}

/// How many subscriptions are in each state (every state present, at 0 when none is).
fn subscriptions(link: &LinkStatus) -> Family<State, Gauge> {
    let family = Family::<State, Gauge>::default();
    let lines = match &link.source {
        FeedSource::Subscriptions(subs)
        | FeedSource::Channel {
            subscriptions: Some(subs),
            ..
        } => subs.lines.as_slice(),
        _ => &[],
    };
    for state in SubscriptionState::ALL {
        // Present at 0, so that an alert on a state that is absent can fire.
        family
            .get_or_create(&State {
                state: state.as_str().to_owned(),
            })
            .set(0);
    }
    for line in lines {
        family
            .get_or_create(&State {
                state: line.state.as_str().to_owned(),
            })
            .inc();
    }
    family
}
