//! One viewer of the stream: what it was last sent, and the messages that bring it to the
//! newest publication.
//!
//! A viewer is pulled: the next message is made when the connection can take it, from the
//! newest publication at that moment. A viewer that cannot keep up is therefore never sent a
//! backlog; it skips to the newest state in one `queues` (and `removed`) message.

use std::collections::{HashSet, VecDeque};
use std::sync::Arc;

use serde::Serialize;
use serde_json::value::RawValue;
use serde_json::{Map, Value};
use tokio::sync::watch;
use tokio::time::Instant;

use super::{HEARTBEAT, Item, MIN_INTERVAL, Publication, Seat};
use crate::board::now_ms;

/// One SSE message: its event name, its `id` (the stream's revision) and its JSON data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// `board`, `queues`, `removed` or `heartbeat`.
    pub event: &'static str,
    pub id: u64,
    pub data: String,
}

/// What is due to be sent, made into a [`Message`] when it goes (so that `now_ms` is the
/// receiver's clock at sending).
enum Due {
    Board(Arc<Publication>),
    Changes {
        publication: Arc<Publication>,
        queues: Vec<Arc<RawValue>>,
        agents: Vec<Arc<RawValue>>,
    },
    Removed {
        publication: Arc<Publication>,
        queues: Vec<Arc<str>>,
        agents: Vec<Arc<str>>,
    },
    Heartbeat(Arc<Publication>),
}

/// One connection's view of the stream.
pub struct Viewer {
    rx: watch::Receiver<Arc<Publication>>,
    /// The state the viewer has, once it applied what it was sent; `None` before the first
    /// `board`.
    has: Option<Arc<Publication>>,
    due: VecDeque<Due>,
    last_sent: Option<Instant>,
    /// Counts this viewer among those connected while it lives.
    seat: Seat,
}

impl std::fmt::Debug for Viewer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Viewer")
            .field("has", &self.has.as_ref().map(|p| p.rev))
            .finish_non_exhaustive()
    }
}

impl Viewer {
    pub(crate) fn new(
        mut rx: watch::Receiver<Arc<Publication>>,
        resume_from: Option<Arc<Publication>>,
        seat: Seat,
    ) -> Self {
        // The first message is due at once: a board, or what changed since `resume_from`.
        rx.mark_changed();
        let mut viewer = Viewer {
            rx,
            has: None,
            due: VecDeque::new(),
            last_sent: None,
            seat,
        };
        let newest = viewer.rx.borrow_and_update().clone();
        if let Some(from) = resume_from {
            viewer.due = changes(&from, &newest);
            if viewer.due.is_empty() {
                // Nothing changed: a heartbeat says the stream is live and what clock it runs
                // on.
                viewer.due.push_back(Due::Heartbeat(Arc::clone(&newest)));
            }
        } else {
            viewer.due.push_back(Due::Board(Arc::clone(&newest)));
        }
        viewer.has = Some(newest);
        viewer
    }

    /// The next message, at most one per [`MIN_INTERVAL`]; `None` when the stream is gone.
    pub async fn next(&mut self) -> Option<Message> {
        loop {
            if let Some(due) = self.due.pop_front() {
                self.pace().await;
                self.last_sent = Some(Instant::now());
                return Some(render(&due, self.seat.viewers()));
            }
            let has = self.has.clone()?;
            let heartbeat_at = self.last_sent.unwrap_or_else(Instant::now) + HEARTBEAT;
            tokio::select! {
                changed = self.rx.changed() => changed.ok()?,
                () = tokio::time::sleep_until(heartbeat_at) => {
                    self.due.push_back(Due::Heartbeat(has));
                    continue;
                }
            }
            // Changes that come while this viewer waits its turn are sent together.
            self.pace().await;
            let newest = self.rx.borrow_and_update().clone();
            self.due = changes(&has, &newest);
            self.has = Some(newest);
        }
    }

    async fn pace(&self) {
        if let Some(last) = self.last_sent {
            tokio::time::sleep_until(last + MIN_INTERVAL).await;
        }
    }
}

/// What brings a viewer that has `from` to `to`: a `removed` for call centers and agents gone,
/// a `queues` for those new or changed (and the counters).
fn changes(from: &Arc<Publication>, to: &Arc<Publication>) -> VecDeque<Due> {
    let mut due = VecDeque::new();
    if from.rev == to.rev {
        return due;
    }
    let gone = |old: &[Item], new: &[Item]| -> Vec<Arc<str>> {
        let kept: HashSet<&str> = new.iter().map(|i| &*i.id).collect();
        old.iter()
            .filter(|i| !kept.contains(&*i.id))
            .map(|i| Arc::clone(&i.id))
            .collect()
    };
    let (queues_gone, agents_gone) = (
        gone(&from.queues, &to.queues),
        gone(&from.agents, &to.agents),
    );
    if !queues_gone.is_empty() || !agents_gone.is_empty() {
        due.push_back(Due::Removed {
            publication: Arc::clone(to),
            queues: queues_gone,
            agents: agents_gone,
        });
    }
    let changed = |old: &[Item], new: &[Item]| -> Vec<Arc<RawValue>> {
        let before: std::collections::HashMap<&str, &Arc<Value>> =
            old.iter().map(|i| (&*i.id, &i.key)).collect();
        new.iter()
            .filter(|i| {
                before
                    .get(&*i.id)
                    .is_none_or(|key| !Arc::ptr_eq(key, &i.key))
            })
            .map(|i| Arc::clone(&i.shown))
            .collect()
    };
    let queues = changed(&from.queues, &to.queues);
    let agents = changed(&from.agents, &to.agents);
    if !queues.is_empty() || !agents.is_empty() || !Arc::ptr_eq(&from.head_key, &to.head_key) {
        due.push_back(Due::Changes {
            publication: Arc::clone(to),
            queues,
            agents,
        });
    }
    due
}

/// `board` and `queues`: `/api/board`'s fields (only what changed, for `queues`), plus the
/// stream's own.
#[derive(Serialize)]
struct BoardData<'a> {
    #[serde(flatten)]
    head: &'a Map<String, Value>,
    /// Each serialised once per publication, copied as is (see `Item::shown`).
    queues: Vec<&'a RawValue>,
    agents: Vec<&'a RawValue>,
    #[serde(flatten)]
    stamp: Stamp,
    /// The instant the seconds fields were computed at (epoch ms, the receiver's clock).
    taken_at_ms: i64,
}

#[derive(Serialize)]
struct RemovedData<'a> {
    queues: &'a [Arc<str>],
    agents: &'a [Arc<str>],
    #[serde(flatten)]
    stamp: Stamp,
}

/// On every message: the board's version, the receiver's clock when it was sent, and how many
/// viewers are connected to the receiver's stream then.
#[derive(Serialize)]
struct Stamp {
    board_version: u64,
    now_ms: i64,
    viewers: u64,
}

fn render(due: &Due, viewers: u64) -> Message {
    let stamp = |p: &Publication| Stamp {
        board_version: p.board_version,
        now_ms: now_ms(),
        viewers,
    };
    let (event, publication, data) = match due {
        Due::Board(p) => (
            "board",
            p,
            board_data(
                p,
                p.queues.iter().map(|i| &*i.shown),
                p.agents.iter().map(|i| &*i.shown),
                viewers,
            ),
        ),
        Due::Changes {
            publication,
            queues,
            agents,
        } => (
            "queues",
            publication,
            board_data(
                publication,
                queues.iter().map(|v| &**v),
                agents.iter().map(|v| &**v),
                viewers,
            ),
        ),
        Due::Removed {
            publication,
            queues,
            agents,
        } => (
            "removed",
            publication,
            serde_json::to_string(&RemovedData {
                queues,
                agents,
                stamp: stamp(publication),
            }),
        ),
        Due::Heartbeat(p) => ("heartbeat", p, serde_json::to_string(&stamp(p))),
    };
    Message {
        event,
        id: publication.rev,
        // Maps of JSON values with string keys always serialise.
        data: data.unwrap_or_default(),
    }
}

fn board_data<'a>(
    publication: &'a Publication,
    queues: impl Iterator<Item = &'a RawValue>,
    agents: impl Iterator<Item = &'a RawValue>,
    viewers: u64,
) -> serde_json::Result<String> {
    serde_json::to_string(&BoardData {
        head: &publication.head,
        queues: queues.collect(),
        agents: agents.collect(),
        stamp: Stamp {
            board_version: publication.board_version,
            now_ms: now_ms(),
            viewers,
        },
        taken_at_ms: publication.taken_at_ms,
    })
}
