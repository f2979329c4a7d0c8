//! `/api/board/stream`: the board as Server-Sent Events, for viewers other than this process's
//! own screen (the wall page, other tools).
//!
//! ```text
//! Board --version bump / 1 s tick--> publisher (one task, at most 4 snapshots a second)
//!     --watch<Arc<Publication>>--> Viewer (one per connection: diff against what it was
//!     last sent, at most 4 messages a second) --> SSE
//!                     history (the last HISTORY revisions) --> resume by Last-Event-ID
//! ```
//!
//! The stream only reads: one publisher takes snapshots (as the UI does) and turns each into
//! JSON values per call center and agent. A value whose content, the seconds fields aside, did
//! not change keeps its `Arc`, so that a viewer finds what changed by comparing pointers. A
//! viewer holds the last publication it was sent and nothing else: one that falls behind is
//! sent the difference to the newest, never a backlog.
//!
//! Fields that count seconds (`wait_secs`, `longest_wait_secs`, `data_age_secs`, `since_secs`,
//! `*_secs_ago`) change every second without anything happening: they do not make a call
//! center changed. Viewers compute them from the times and the receiver's clock.

mod viewer;

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use serde_json::value::RawValue;
use serde_json::{Map, Value};
use tokio::sync::watch;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::board::api::ApiBoard;
use crate::board::{Board, now_ms};

pub use viewer::{Message, Viewer};

/// Least time between two messages to one viewer: 4 a second.
pub const MIN_INTERVAL: Duration = Duration::from_millis(250);

/// Least time between two publications (snapshots of a changed board). Shorter than a
/// viewer's interval: a change waits for the next publication and then for its viewer's next
/// turn, and with both at 250 ms the two waits added up to nearly 500 ms at p99 (200 viewers,
/// 1 000 events/s). A publication that takes long (a big board) spaces them further: at most
/// a fifth of the publisher's time goes to publishing.
const PUBLISH_INTERVAL: Duration = Duration::from_millis(50);

/// A heartbeat after this long without a message.
pub const HEARTBEAT: Duration = Duration::from_secs(5);

/// Time-driven changes (a queue turning STALE, a call turning suspect, counters of refused
/// documents) bump no version: the publisher looks once a second anyway.
const TICK: Duration = Duration::from_secs(1);

/// Revisions kept for resuming: a minute of changes at the fastest rate.
pub const HISTORY: usize = 240;

/// And at most this much memory for them (estimated): at 1 000 events/s every call center
/// changes in every revision, and 240 whole boards took a receiver past 200 MB; at 8 MiB a
/// receiver with 200 viewers settled at 44 MB. A viewer further behind gets a whole board, as
/// for any revision no longer kept (a reconnect within seconds still resumes).
pub const HISTORY_BYTES: usize = 4 * 1024 * 1024;

/// How the board becomes `/api/board`'s JSON: the listener's own conversion, so that what a
/// viewer is sent is exactly what `/api/board` answers (masking included).
pub type Render = Arc<dyn Fn(&Board, i64) -> ApiBoard + Send + Sync>;

/// One JSON object (a call center or an agent) of a publication.
#[derive(Debug, Clone)]
pub(crate) struct Item {
    pub(crate) id: Arc<str>,
    /// As the snapshot gave it, seconds fields at the publication's instant, as JSON text:
    /// serialised once per publication, then copied as is into every viewer's message (at
    /// 200 viewers, serialising per viewer was most of the stream's cost and its latency).
    pub(crate) shown: Arc<RawValue>,
    /// Without the seconds fields; the same `Arc` as the previous publication's while unchanged.
    pub(crate) key: Arc<Value>,
}

/// The board as one snapshot gave it, in the shape the stream sends.
#[derive(Debug)]
pub struct Publication {
    /// The stream's revision: the SSE `id`. Bumped when anything but seconds changed. It starts
    /// at the receiver's start in epoch ms (and grows at most 4 a second), so an id from
    /// before a restart is never mistaken for one of this run.
    pub rev: u64,
    /// The board's version (the applier's batch count) at the snapshot.
    pub board_version: u64,
    /// When the snapshot was taken (epoch ms, the receiver's clock): the seconds fields are as
    /// of this instant.
    pub taken_at_ms: i64,
    /// `/api/board`'s top-level fields but `queues` and `agents` (counters, clock offset).
    pub(crate) head: Arc<Map<String, Value>>,
    pub(crate) head_key: Arc<Value>,
    pub(crate) queues: Vec<Item>,
    pub(crate) agents: Vec<Item>,
}

/// The stream's shared state: the newest publication, the history, and the publisher's
/// lifetime (it runs while anyone watches).
pub struct BoardStream {
    board: Arc<Board>,
    render: Render,
    published: watch::Sender<Arc<Publication>>,
    shared: Mutex<Shared>,
    /// One publication at a time: two would both take the previous revision's number.
    publishing: Mutex<()>,
    cancel: CancellationToken,
    /// Viewers connected now (each holds a [`Seat`]): `board` and `heartbeat` messages and
    /// `/api/status` carry it, so every viewer's header can say how many watch.
    viewers: Arc<AtomicU64>,
}

/// A connected viewer's place in the count: taken when its stream starts, given back when the
/// stream is dropped (the connection closed), whichever way it ends.
#[derive(Debug)]
pub(crate) struct Seat(Arc<AtomicU64>);

impl Seat {
    fn take(count: &Arc<AtomicU64>) -> Self {
        count.fetch_add(1, Ordering::Relaxed);
        Seat(Arc::clone(count))
    }

    /// Viewers connected now, this one included.
    pub(crate) fn viewers(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

impl Drop for Seat {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

#[derive(Default)]
struct Shared {
    publisher_running: bool,
    /// Oldest first; one publication per revision (the first of it), as [`Publication::kept`]
    /// makes it, with the memory it added.
    history: VecDeque<(Arc<Publication>, usize)>,
    /// The sum of the history's weights.
    history_bytes: usize,
}

impl std::fmt::Debug for BoardStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BoardStream")
            .field("rev", &self.published.borrow().rev)
            .finish_non_exhaustive()
    }
}

impl BoardStream {
    /// The stream of `board`, rendered by `render`; it ends its viewers when `cancel` fires.
    pub fn new(board: Arc<Board>, render: Render, cancel: CancellationToken) -> Arc<Self> {
        let start = now_ms();
        let first = build(
            &board,
            &render,
            board.now(),
            None,
            u64::try_from(start).unwrap_or(0),
        );
        let first = Arc::new(first);
        let mut shared = Shared::default();
        shared.remember(&first, None);
        Arc::new(BoardStream {
            board,
            render,
            published: watch::channel(first).0,
            shared: Mutex::new(shared),
            publishing: Mutex::new(()),
            cancel,
            viewers: Arc::default(),
        })
    }

    /// Fires when the receiver shuts down: streams end then.
    pub fn cancelled(&self) -> CancellationToken {
        self.cancel.clone()
    }

    /// A new viewer, resuming after `last_event_id` when that revision is still known.
    pub fn viewer(self: &Arc<Self>, last_event_id: Option<u64>) -> Viewer {
        let rx = self.watch();
        let resume_from = last_event_id.and_then(|rev| self.revision(rev));
        Viewer::new(rx, resume_from, Seat::take(&self.viewers))
    }

    /// Stream viewers connected now.
    pub fn viewers(&self) -> u64 {
        self.viewers.load(Ordering::Relaxed)
    }

    /// The newest publication.
    pub fn current(&self) -> Arc<Publication> {
        self.published.borrow().clone()
    }

    /// A receiver of publications; starts the publisher if nobody watched.
    fn watch(self: &Arc<Self>) -> watch::Receiver<Arc<Publication>> {
        let (rx, start) = {
            let mut shared = self.shared.lock().unwrap_or_else(PoisonError::into_inner);
            let start = !shared.publisher_running;
            shared.publisher_running = true;
            (self.published.subscribe(), start)
        };
        if start {
            // A viewer arriving after a quiet time gets the board as it is now, not as it was
            // when the last viewer left.
            self.publish();
            tokio::spawn(Arc::clone(self).run_publisher());
        }
        rx
    }

    fn revision(&self, rev: u64) -> Option<Arc<Publication>> {
        let shared = self.shared.lock().unwrap_or_else(PoisonError::into_inner);
        shared
            .history
            .iter()
            .find(|(p, _)| p.rev == rev)
            .map(|(p, _)| Arc::clone(p))
    }

    /// Snapshot on each board change (at most every [`PUBLISH_INTERVAL`]) and each [`TICK`], until
    /// nobody watches or the receiver stops.
    async fn run_publisher(self: Arc<Self>) {
        let mut versions = self.board.changes();
        let mut tick = tokio::time::interval(TICK);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            let last = Instant::now();
            tokio::select! {
                () = self.cancel.cancelled() => break,
                () = self.published.closed() => {
                    if self.stop_if_unwatched() { return; }
                    // A viewer came in between: watch on.
                    continue;
                }
                bumped = versions.changed() => if bumped.is_err() { break },
                _ = tick.tick() => {}
            }
            versions.borrow_and_update();
            let started = Instant::now();
            self.publish();
            let interval = PUBLISH_INTERVAL.max(started.elapsed() * 5);
            tokio::time::sleep_until(last.max(Instant::now() - interval) + interval).await;
        }
        self.shared
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .publisher_running = false;
    }

    /// Under the lock [`watch`](Self::watch) takes: no viewer can subscribe in between.
    fn stop_if_unwatched(&self) -> bool {
        let mut shared = self.shared.lock().unwrap_or_else(PoisonError::into_inner);
        if self.published.receiver_count() == 0 {
            shared.publisher_running = false;
            true
        } else {
            false
        }
    }

    /// Take a snapshot and publish it; a new revision when something but seconds changed.
    fn publish(&self) {
        let _one = self
            .publishing
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let previous = self.current();
        let next = build(
            &self.board,
            &self.render,
            self.board.now(),
            Some(&previous),
            previous.rev,
        );
        let next = Arc::new(next);
        if next.rev != previous.rev {
            let mut shared = self.shared.lock().unwrap_or_else(PoisonError::into_inner);
            shared.remember(&next, Some(&previous));
        }
        self.published.send_replace(next);
    }
}

impl Shared {
    /// Keep `publication` for resuming, within [`HISTORY`] revisions and [`HISTORY_BYTES`].
    fn remember(&mut self, publication: &Publication, previous: Option<&Publication>) {
        let weight = publication.added_weight(previous);
        self.history
            .push_back((Arc::new(publication.kept()), weight));
        self.history_bytes += weight;
        // The newest always stays: a viewer resuming from it needs nothing but a heartbeat.
        while self.history.len() > 1
            && (self.history.len() > HISTORY || self.history_bytes > HISTORY_BYTES)
        {
            if let Some((_, weight)) = self.history.pop_front() {
                self.history_bytes -= weight;
            }
        }
    }
}

impl Publication {
    /// What resuming needs of a past revision: its number, and each item's id and key (to
    /// compare with the newest by pointer). The shown values are dropped: they are new
    /// `Arc`s at every publication (their seconds fields tick), and keeping them kept a whole
    /// board per revision; keys are shared with the revisions where they did not change.
    fn kept(&self) -> Publication {
        let keys = |items: &[Item]| -> Vec<Item> {
            items
                .iter()
                .map(|item| Item {
                    id: Arc::clone(&item.id),
                    // A kept revision is only compared with (by its keys), never sent: what a
                    // viewer is sent always comes from the newest publication.
                    shown: Arc::clone(&NOT_KEPT),
                    key: Arc::clone(&item.key),
                })
                .collect()
        };
        Publication {
            rev: self.rev,
            board_version: self.board_version,
            taken_at_ms: self.taken_at_ms,
            head: Arc::default(),
            head_key: Arc::clone(&self.head_key),
            queues: keys(&self.queues),
            agents: keys(&self.agents),
        }
    }

    /// The memory keeping this revision adds (estimated): the keys it does not share with
    /// `previous`, and its lists.
    fn added_weight(&self, previous: Option<&Publication>) -> usize {
        let new = |items: &[Item], old: Option<&[Item]>| -> usize {
            let shared: std::collections::HashSet<*const Value> = old
                .unwrap_or_default()
                .iter()
                .map(|item| Arc::as_ptr(&item.key))
                .collect();
            items
                .iter()
                .map(|item| {
                    let key = if shared.contains(&Arc::as_ptr(&item.key)) {
                        0
                    } else {
                        weight(&item.key)
                    };
                    key + item.id.len() + ITEM_OVERHEAD
                })
                .sum()
        };
        let head = match previous {
            Some(p) if Arc::ptr_eq(&p.head_key, &self.head_key) => 0,
            _ => weight(&self.head_key),
        };
        head + new(&self.queues, previous.map(|p| p.queues.as_slice()))
            + new(&self.agents, previous.map(|p| p.agents.as_slice()))
    }
}

/// What a kept revision's items show: nothing (see [`Publication::kept`]).
static NOT_KEPT: std::sync::LazyLock<Arc<RawValue>> =
    std::sync::LazyLock::new(|| Arc::from(RawValue::NULL.to_owned()));

/// `value` as JSON text, once.
fn raw(value: &Value) -> Arc<RawValue> {
    // A JSON value always serialises, and its text is valid JSON.
    serde_json::value::to_raw_value(value).map_or_else(|_| Arc::clone(&NOT_KEPT), Arc::from)
}

/// Bytes an item costs besides its key (its `Arc`s and its place in the list).
const ITEM_OVERHEAD: usize = 64;

/// The memory a JSON value holds (estimated): a node's size plus what its strings, arrays and
/// maps hold on the heap.
fn weight(value: &Value) -> usize {
    const NODE: usize = std::mem::size_of::<Value>();
    NODE + match value {
        Value::String(text) => text.len(),
        Value::Array(values) => values.iter().map(weight).sum(),
        // A map entry: the key's bytes and its share of the map's own nodes.
        Value::Object(map) => map.iter().map(|(k, v)| k.len() + NODE + weight(v)).sum(),
        _ => 0,
    }
}

/// A publication of the board now; `rev` is `previous`'s, plus one if anything changed.
fn build(
    board: &Board,
    render: &Render,
    now: i64,
    previous: Option<&Publication>,
    rev: u64,
) -> Publication {
    let board_version = *board.changes().borrow();
    let rendered = render(board, now);
    let mut head = match serde_json::to_value(&rendered) {
        Ok(Value::Object(map)) => map,
        // The contract types always serialise to an object; nothing else can be sent.
        _ => Map::new(),
    };
    let queues = take_array(&mut head, "queues");
    let agents = take_array(&mut head, "agents");
    let empty = Vec::new();
    let (old_queues, old_agents) = previous.map_or((&empty, &empty), |p| (&p.queues, &p.agents));
    let queues = items(queues, old_queues, QUEUE_SECONDS);
    let agents = items(agents, old_agents, AGENT_SECONDS);
    let head_key = Value::Object(without(&head, HEAD_SECONDS));
    let head_key = match previous {
        Some(p) if *p.head_key == head_key => Arc::clone(&p.head_key),
        _ => Arc::new(head_key),
    };
    let changed = previous.is_none_or(|p| {
        !Arc::ptr_eq(&p.head_key, &head_key)
            || !same(&p.queues, &queues)
            || !same(&p.agents, &agents)
    });
    Publication {
        rev: if changed && previous.is_some() {
            rev + 1
        } else {
            rev
        },
        board_version,
        taken_at_ms: now,
        head: Arc::new(head),
        head_key,
        queues,
        agents,
    }
}

fn take_array(head: &mut Map<String, Value>, key: &str) -> Vec<Value> {
    match head.remove(key) {
        Some(Value::Array(values)) => values,
        _ => Vec::new(),
    }
}

/// Same ids in the same order, each unchanged.
fn same(old: &[Item], new: &[Item]) -> bool {
    old.len() == new.len()
        && old
            .iter()
            .zip(new)
            .all(|(a, b)| a.id == b.id && Arc::ptr_eq(&a.key, &b.key))
}

/// Seconds fields of `/api/board`, where they are: top level, per call center (and per call),
/// per agent.
const HEAD_SECONDS: &[&str] = &["last_event_secs_ago"];
const QUEUE_SECONDS: &[&str] = &["longest_wait_secs", "last_event_secs_ago", "data_age_secs"];
const CALL_SECONDS: &[&str] = &["wait_secs"];
const AGENT_SECONDS: &[&str] = &["since_secs"];

/// Each value with its key, reusing the previous key's `Arc` when equal.
fn items(values: Vec<Value>, previous: &[Item], seconds: &[&str]) -> Vec<Item> {
    let before: HashMap<&str, &Item> = previous.iter().map(|i| (&*i.id, i)).collect();
    values
        .into_iter()
        .map(|value| {
            let id: Arc<str> = Arc::from(value.get("id").and_then(Value::as_str).unwrap_or(""));
            let key = match &value {
                Value::Object(map) => Value::Object(without(map, seconds)),
                other => other.clone(),
            };
            let key = match before.get(&*id) {
                Some(old) if *old.key == key => Arc::clone(&old.key),
                _ => Arc::new(key),
            };
            Item {
                id,
                shown: raw(&value),
                key,
            }
        })
        .collect()
}

/// A copy of `map` without the seconds fields (and its calls' `wait_secs`).
fn without(map: &Map<String, Value>, seconds: &[&str]) -> Map<String, Value> {
    map.iter()
        .filter(|(k, _)| !seconds.contains(&k.as_str()))
        .map(|(k, v)| {
            let v = match (k.as_str(), v) {
                ("calls", Value::Array(calls)) => Value::Array(
                    calls
                        .iter()
                        .map(|call| match call {
                            Value::Object(call) => Value::Object(without(call, CALL_SECONDS)),
                            other => other.clone(),
                        })
                        .collect(),
                ),
                _ => v.clone(),
            };
            (k.clone(), v)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use serde_json::{Value, json};

    use super::{HISTORY, HISTORY_BYTES, Item, Publication, Shared};

    fn item(id: &str, key: &Arc<Value>) -> Item {
        Item {
            id: Arc::from(id),
            shown: super::raw(&json!({"id": id, "wait_secs": 3})),
            key: Arc::clone(key),
        }
    }

    fn publication(rev: u64, queues: Vec<Item>) -> Publication {
        Publication {
            rev,
            board_version: rev,
            taken_at_ms: 0,
            head: Arc::default(),
            head_key: Arc::new(json!({})),
            queues,
            agents: Vec::new(),
        }
    }

    /// A call center whose calls fill about `kib` KiB.
    fn big_key(kib: usize, n: u64) -> Arc<Value> {
        Arc::new(json!({"id": "cc", "n": n, "calls": vec!["x".repeat(1024); kib]}))
    }

    #[test]
    fn a_kept_revision_holds_keys_only_and_an_unchanged_key_weighs_nothing() {
        let key = big_key(4, 0);
        let first = publication(1, vec![item("cc", &key)]);
        let kept = first.kept();
        assert_eq!(kept.queues[0].shown.get(), "null", "shown dropped");
        assert!(Arc::ptr_eq(&kept.queues[0].key, &key));
        let same = publication(2, vec![item("cc", &key)]);
        let changed = publication(3, vec![item("cc", &big_key(4, 1))]);
        assert!(same.added_weight(Some(&first)) < 200, "the key is shared");
        assert!(changed.added_weight(Some(&first)) > 4 * 1024);
    }

    #[test]
    fn the_history_is_bounded_in_bytes_as_well_as_in_revisions() {
        let mut shared = Shared::default();
        let mut previous = publication(0, Vec::new());
        shared.remember(&previous, None);
        // Every revision a new 64 KiB call center: 240 of them would be 15 MiB.
        for rev in 1..=HISTORY as u64 {
            let next = publication(rev, vec![item("cc", &big_key(64, rev))]);
            shared.remember(&next, Some(&previous));
            previous = next;
        }
        assert!(
            shared.history_bytes <= HISTORY_BYTES,
            "{}",
            shared.history_bytes
        );
        assert!(shared.history.len() < HISTORY, "{}", shared.history.len());
        assert_eq!(
            shared.history.back().map(|(p, _)| p.rev),
            Some(HISTORY as u64)
        );
        let counted: usize = shared.history.iter().map(|(_, w)| w).sum();
        assert_eq!(counted, shared.history_bytes);
        // Small changes: the revision count binds.
        let mut shared = Shared::default();
        let key = big_key(1, 0);
        for rev in 0..(HISTORY as u64 + 10) {
            shared.remember(&publication(rev, vec![item("cc", &key)]), None);
        }
        assert_eq!(shared.history.len(), HISTORY);
    }
}
