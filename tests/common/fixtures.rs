//! The reference samples under `tests/fixtures/` and their parse, for the `parser_*` tests.
//! Include it as the mock is: `#[path = "common/fixtures.rs"] mod fixtures;`.

#![allow(
    dead_code,
    reason = "each test binary uses a different part of the helpers"
)]

use std::path::{Path, PathBuf};
use std::sync::Arc;

use xsi_wallboard::xsi::{
    CallEvent, Envelope, Event, EventData, NotQueued, ParseError, QueueSnapshot, SubscriptionEvent,
    parse_event,
};

pub fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

/// Every XML fixture on disk, as `spec/NAME` or `public/NAME`, sorted.
pub fn fixture_names() -> Vec<String> {
    let mut names = Vec::new();
    for dir in ["spec", "public"] {
        for entry in std::fs::read_dir(fixtures_dir().join(dir)).unwrap() {
            let name = entry.unwrap().file_name().into_string().unwrap();
            if Path::new(&name).extension().is_some_and(|e| e == "xml") {
                names.push(format!("{dir}/{name}"));
            }
        }
    }
    names.sort();
    assert!(
        !names.is_empty(),
        "no fixtures in {}",
        fixtures_dir().display()
    );
    names
}

pub fn parse_fixture(name: &str) -> Result<Event, ParseError> {
    let body = std::fs::read(fixtures_dir().join(name)).unwrap();
    parse_event(&body)
}

pub fn fixture(name: &str) -> Event {
    parse_fixture(name).unwrap_or_else(|e| panic!("{name}: {e}"))
}

pub fn subscription(name: &str) -> SubscriptionEvent {
    match fixture(name) {
        Event::Subscription(s) => s,
        other => panic!("{name}: expected a SubscriptionEvent, got {other:?}"),
    }
}

pub fn data(name: &str) -> EventData {
    subscription(name).data
}

pub fn call(name: &str) -> (Envelope, CallEvent) {
    let s = subscription(name);
    match s.data {
        EventData::Call(c) => (s.envelope, c),
        other => panic!("{name}: expected a call event, got {other:?}"),
    }
}

pub fn snapshot(name: &str) -> QueueSnapshot {
    match data(name) {
        EventData::QueueSnapshot(s) => s,
        other => panic!("{name}: expected a snapshot, got {other:?}"),
    }
}

pub fn not_queued(name: &str) -> NotQueued {
    match data(name) {
        EventData::NotQueued(n) => n,
        other => panic!("{name}: expected a not-queued event, got {other:?}"),
    }
}

#[expect(
    clippy::unnecessary_wraps,
    reason = "shorthand for the optional fields it is compared with"
)]
pub fn s(text: &str) -> Option<Arc<str>> {
    Some(Arc::from(text))
}

pub const ADDED: &str = "spec/spec-r21_4.7.3.1_ACDCallAddedEvent.xml";

pub fn added_body() -> String {
    std::fs::read_to_string(fixtures_dir().join(ADDED)).unwrap()
}
