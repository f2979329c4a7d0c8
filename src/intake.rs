//! The one way in for event documents, whichever feed brought them (a POST to the listener, the
//! event channel's stream): counted, parsed events queued for the applier with one backpressure
//! policy, and what could not be taken told to the applier as well.
//!
//! ```text
//! document --received--> parse --ok-----> queue: room? yes -> queued
//!                          |                      no  -> wait at most `send_timeout`
//!                          |                              -> queued, or dropped: counted, and
//!                          |                                 the loss told to the applier
//!                          +--refused (400)--> counted; its envelope, if readable, told to the
//!                                              applier (its sequence number was received)
//! ```
//!
//! BroadWorks never redelivers an event: a dropped one is a loss, which makes its queue UNSURE
//! and has the applier repair its subscription.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use tokio::sync::mpsc::error::{SendTimeoutError, TrySendError};
use tokio::sync::{Semaphore, mpsc};

use crate::board::{Board, DroppedEvent, Input, Raw, Source};
use crate::logging::{Throttle, Wire};
use crate::xsi::{self, Envelope, Event, EventData, ParseError};

/// How long a document waits for room in the applier's channel before it is dropped.
pub const DEFAULT_SEND_TIMEOUT: Duration = Duration::from_secs(1);

/// Bodies up to this size (the common case: an event is one or two KB) are parsed where they
/// are, on the async worker that read them: a hand-off would cost more than the parse.
pub const INLINE_PARSE_BYTES: usize = 16 * 1024;

/// Bodies above [`INLINE_PARSE_BYTES`] parsed at once, each on a blocking thread: a big body
/// (a queue snapshot, or a hostile one) never holds an async worker, so `/healthz` and the
/// other connections are served meanwhile; the rest wait for a permit.
pub const BLOCKING_PARSES: usize = 2;

/// Lines a sender can repeat at will, each rate-limited on its own.
static UNKNOWN_TYPES: Throttle = Throttle::new();
static DROPS: Throttle = Throttle::new();

/// Why a document was not taken.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum NotTaken {
    /// Not an XSI event we can read (the reason is the parser's, one line).
    #[error("{0}")]
    Refused(#[from] ParseError),
    /// The board is behind: lost (BroadWorks does not redeliver).
    #[error("board is behind; event dropped")]
    Dropped,
    /// The wallboard is stopping.
    #[error("shutting down; event dropped")]
    Closed,
}

/// Shared by every path that takes event documents in; cheap to clone.
#[derive(Debug, Clone)]
pub struct Intake {
    board: Arc<Board>,
    events: mpsc::Sender<Input>,
    send_timeout: Duration,
    drops: Arc<DropNotices>,
    /// Permits for big bodies' parses ([`BLOCKING_PARSES`]).
    big_parses: Arc<Semaphore>,
    /// The feed this intake serves, as the journal records it.
    source: Source,
}

impl Intake {
    pub fn new(board: Arc<Board>, events: mpsc::Sender<Input>) -> Self {
        Intake {
            board,
            events,
            send_timeout: DEFAULT_SEND_TIMEOUT,
            drops: Arc::default(),
            big_parses: Arc::new(Semaphore::new(BLOCKING_PARSES)),
            source: Source::Listener,
        }
    }

    /// The event channel's intake: its documents are journaled as the channel's.
    #[must_use]
    pub fn from_channel(mut self) -> Self {
        self.source = Source::Channel;
        self
    }

    /// Wait at most `timeout` for room before dropping (a test reaches the drop with a short
    /// one).
    #[must_use]
    pub fn with_send_timeout(mut self, timeout: Duration) -> Self {
        self.send_timeout = timeout;
        self
    }

    /// The applier's channel, for inputs other than documents (channel heartbeats and state).
    pub fn events(&self) -> mpsc::Sender<Input> {
        self.events.clone()
    }

    /// A document arrived at `arrival_ms` (epoch ms, this host).
    pub fn received(&self, arrival_ms: i64) {
        let counters = &self.board.intake;
        counters.received.fetch_add(1, Ordering::Relaxed);
        counters.last_event_ms.store(arrival_ms, Ordering::Relaxed);
    }

    /// A document that was received but refused before parsing (too large, too slow).
    pub fn rejected(&self) {
        self.board.intake.rejected.fetch_add(1, Ordering::Relaxed);
    }

    /// Parse one received document and queue it for the applier. A body over
    /// [`INLINE_PARSE_BYTES`] is parsed off the async workers (see [`BLOCKING_PARSES`]).
    pub async fn take(&self, body: Bytes, arrival_ms: i64) -> Result<(), NotTaken> {
        let parsed = if body.len() <= INLINE_PARSE_BYTES {
            parse(&body)
        } else {
            let Ok(_permit) = self.big_parses.acquire().await else {
                return Err(NotTaken::Closed);
            };
            let document = body.clone();
            match tokio::task::spawn_blocking(move || parse(&document)).await {
                Ok(parsed) => parsed,
                // The parser does not panic on any input (fuzzed); if it ever did, the body
                // is refused like any other it cannot read.
                Err(join) => Err(Box::new(Unreadable {
                    error: ParseError::Malformed(format!("the parse failed ({join})")),
                    envelope: None,
                })),
            }
        };
        match parsed {
            Ok(event) => self.take_event(event, body, arrival_ms).await,
            Err(unreadable) => {
                let Unreadable { error, envelope } = *unreadable;
                self.refused(envelope, arrival_ms);
                Err(NotTaken::Refused(error))
            }
        }
    }

    /// A document that did not parse: counted, and its number (if its envelope could be read)
    /// told to the applier, so that it is no false gap. Best effort: a board too busy to hear
    /// it may see a gap, and repair it.
    fn refused(&self, envelope: Option<Envelope>, arrival_ms: i64) {
        self.rejected();
        if let Some(envelope) = envelope {
            let _ = self.events.try_send(Input::Refused {
                envelope,
                arrival_ms,
            });
        }
    }

    /// Queue a parsed event for the applier, with the `document` it was parsed from (for the
    /// journal).
    pub async fn take_event(
        &self,
        event: Event,
        document: Bytes,
        arrival_ms: i64,
    ) -> Result<(), NotTaken> {
        if let Event::Subscription(sub) = &event
            && let EventData::Unknown(type_name) = &sub.data
        {
            // Not an error: the applier counts it; the log says what this build skipped.
            if let Some(suppressed) = UNKNOWN_TYPES.admit(std::time::Instant::now()) {
                tracing::info!(type_name = %Wire(type_name), event_id = %Wire(&sub.envelope.event_id),
                    suppressed = suppressed.0, "unknown event type");
            }
        }
        // The document only goes along for the journal: held in the queue, it would keep
        // hyper's whole read buffer (not only these bytes) alive until the applier takes it.
        let raw = self.board.journal.enabled().then(|| Raw {
            body: document,
            source: self.source,
        });
        let input = Input::Event {
            event,
            arrival_ms,
            raw,
        };
        let room = Board::room_for(input.weight());
        let (lost, why) = match self.queue(input, room).await {
            Ok(()) => return Ok(()),
            Err(lost) => lost,
        };
        self.board.intake.dropped.fetch_add(1, Ordering::Relaxed);
        if let Input::Event { event, .. } = &lost {
            crate::warn_throttled!(DROPS, event = %describe(event), %why,
                "event dropped (BroadWorks will not redeliver it)");
            if why == NotTaken::Dropped {
                // Its queue is in doubt until a snapshot replaces it: the applier is told as
                // soon as it has room.
                self.drops.notify(&self.events, dropped(event));
            }
        }
        Err(why)
    }
}

/// The event, or why not and what could be salvaged of its envelope; one road for both, so
/// that a big body's salvage runs off the async workers too.
pub(crate) fn parse(body: &[u8]) -> Result<Event, Box<Unreadable>> {
    xsi::parse_event(body).map_err(|error| {
        Box::new(Unreadable {
            error,
            envelope: xsi::salvage_envelope(body),
        })
    })
}

/// A body that did not parse: why, and its envelope if that much could be read.
pub(crate) struct Unreadable {
    pub(crate) error: ParseError,
    pub(crate) envelope: Option<Envelope>,
}

impl Intake {
    /// Queue `input` once it has `room` (KiB of the board's queued weight) and a place in the
    /// channel, waiting at most `send_timeout` for both; what could not be queued, and why.
    async fn queue(&self, input: Input, room: u32) -> Result<(), (Input, NotTaken)> {
        let deadline = tokio::time::Instant::now() + self.send_timeout;
        // Room is the normal case: taken without arming a timer.
        let permit = match self.board.queued_room.try_acquire_many(room) {
            Ok(permit) => permit,
            Err(tokio::sync::TryAcquireError::Closed) => return Err((input, NotTaken::Closed)),
            Err(tokio::sync::TryAcquireError::NoPermits) => {
                match tokio::time::timeout_at(deadline, self.board.queued_room.acquire_many(room))
                    .await
                {
                    Ok(Ok(permit)) => permit,
                    Ok(Err(_closed)) => return Err((input, NotTaken::Closed)),
                    Err(_elapsed) => return Err((input, NotTaken::Dropped)),
                }
            }
        };
        let input = match self.events.try_send(input) {
            Ok(()) => {
                // Given back by the applier when it takes the event.
                permit.forget();
                return Ok(());
            }
            Err(TrySendError::Full(input) | TrySendError::Closed(input)) => input,
        };
        let wait = deadline.saturating_duration_since(tokio::time::Instant::now());
        match self.events.send_timeout(input, wait).await {
            Ok(()) => {
                permit.forget();
                Ok(())
            }
            // The permit is dropped here: the room is free again.
            Err(SendTimeoutError::Timeout(lost)) => Err((lost, NotTaken::Dropped)),
            Err(SendTimeoutError::Closed(lost)) => Err((lost, NotTaken::Closed)),
        }
    }
}

/// What the applier needs to know of an event lost with a 503.
fn dropped(event: &Event) -> DroppedEvent {
    match event {
        Event::Subscription(sub) => DroppedEvent {
            target_id: sub.envelope.target_id.clone(),
            subscription_id: Some(sub.envelope.subscription_id.clone()),
            sequence_number: sub.envelope.sequence_number,
        },
        _ => DroppedEvent {
            target_id: None,
            subscription_id: None,
            sequence_number: None,
        },
    }
}

/// `eventID` and type, for a log line about a lost event.
fn describe(event: &Event) -> String {
    match event {
        Event::Subscription(sub) => {
            format!(
                "{} {}",
                Wire(sub.data.type_name()),
                Wire(&sub.envelope.event_id)
            )
        }
        Event::ChannelTerminated(_) => "ChannelTerminatedEvent".to_owned(),
        Event::Error(_) => "ErrorEvent".to_owned(),
    }
}

/// Events lost to a full channel, on their way to the applier. The channel that had no room
/// for the event has no room for the news of its loss either, so the news waits here (bounded)
/// and one task delivers it as soon as there is room, in order after what was queued before.
#[derive(Debug, Default)]
struct DropNotices {
    pending: Mutex<Vec<DroppedEvent>>,
    sending: AtomicBool,
}

/// Beyond this many pending notices, they are merged into one that names nothing: every queue
/// is then in doubt, which is what so many losses mean anyway.
const MAX_PENDING_DROPS: usize = 1024;

impl DropNotices {
    fn notify(self: &Arc<Self>, events: &mpsc::Sender<Input>, event: DroppedEvent) {
        if let Ok(mut pending) = self.pending.lock() {
            if pending.len() >= MAX_PENDING_DROPS {
                pending.clear();
                pending.push(DroppedEvent {
                    target_id: None,
                    subscription_id: None,
                    sequence_number: None,
                });
            } else {
                pending.push(event);
            }
        }
        if self.sending.swap(true, Ordering::AcqRel) {
            return;
        }
        let (notices, events) = (Arc::clone(self), events.clone());
        tokio::spawn(async move {
            loop {
                let batch = notices
                    .pending
                    .lock()
                    .map(|mut p| std::mem::take(&mut *p))
                    .unwrap_or_default();
                if batch.is_empty() {
                    notices.sending.store(false, Ordering::Release);
                    // A notice pushed after the take but before the store would wait forever.
                    let more = notices.pending.lock().is_ok_and(|p| !p.is_empty());
                    if !more || notices.sending.swap(true, Ordering::AcqRel) {
                        return;
                    }
                    continue;
                }
                if events.send(Input::Dropped(batch)).await.is_err() {
                    return;
                }
            }
        });
    }
}
