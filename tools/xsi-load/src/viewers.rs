//! Stream viewers for the many-viewers benchmark: N connections to `/api/board/stream`, each
//! noting when it first sees each call the load adds, so that the time from an event's POST
//! (its due instant, open loop) to a viewer holding the change can be measured for every
//! viewer, the slowest included.
//!
//! ```text
//! attach: N x GET /api/board/stream --first message (board)--> ready
//! load:   POST ACDCallAddedEvent(call X) due at T(X)
//! viewer: first SSE message whose data holds "call_id":"X" at R  -->  R - T(X)
//! ```
//!
//! A viewer only scans the message text for call ids (no JSON parse): 200 of them share the
//! machine with the receiver, and the tool must cost less than what it measures. A call that
//! leaves the queue before a viewer's next message (at most 4 a second) is never seen by it:
//! counted as missed, not timed.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use reqwest::Url;
use serde::Serialize;
use tokio::sync::watch;
use tokio::task::JoinSet;

use crate::Latency;

/// A viewer that has not had its first message by then has failed to attach.
const ATTACH_BOUND: Duration = Duration::from_secs(30);
/// The most viewers one run may attach (the receiver's connection cap is 256 by default).
pub const MAX_VIEWERS: usize = 1000;

const CALL_ID: &[u8] = b"\"call_id\":\"";

/// Attached viewers, reading until [`Viewers::finish`].
pub struct Viewers {
    tasks: JoinSet<ViewerOutcome>,
    stop: watch::Sender<bool>,
    count: usize,
}

/// What the viewers saw.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ViewersReport {
    pub viewers: usize,
    /// Viewers whose stream ended or failed before the end of the run.
    pub dropped: usize,
    pub messages: u64,
    pub bytes: u64,
    /// From each added call's due instant to a viewer's first message holding it, over every
    /// viewer and call seen.
    pub seen_ms: Latency,
    pub seen: usize,
    /// (viewer, call) pairs never seen: the call had left before the viewer's next message.
    pub missed: usize,
}

#[derive(Debug, Default)]
struct ViewerOutcome {
    dropped: bool,
    messages: u64,
    bytes: u64,
    /// (call number, when first seen).
    sightings: Vec<(u32, Instant)>,
}

impl Viewers {
    /// Attach `count` viewers to `stream_url` and wait until each has had its first message
    /// (the whole board). `calls` numbers the call ids to look for.
    pub async fn attach(
        stream_url: &Url,
        count: usize,
        calls: Arc<HashMap<Arc<str>, u32>>,
    ) -> anyhow::Result<Self> {
        crate::check_loopback(stream_url)?;
        if count > MAX_VIEWERS {
            bail!("at most {MAX_VIEWERS} viewers");
        }
        let client = reqwest::Client::builder()
            .connect_timeout(ATTACH_BOUND)
            .build()
            .context("HTTP client")?;
        let (stop, stopped) = watch::channel(false);
        let (ready_tx, mut ready) = tokio::sync::mpsc::channel::<()>(count.max(1));
        let mut tasks = JoinSet::new();
        for _ in 0..count {
            let request = client.get(stream_url.clone()).send();
            let (calls, stopped, ready_tx) =
                (Arc::clone(&calls), stopped.clone(), ready_tx.clone());
            tasks.spawn(async move {
                match request.await {
                    Ok(response) if response.status().is_success() => {
                        view(response, &calls, stopped, ready_tx).await
                    }
                    _ => ViewerOutcome {
                        dropped: true,
                        ..ViewerOutcome::default()
                    },
                }
            });
        }
        drop(ready_tx);
        let attached = tokio::time::timeout(ATTACH_BOUND, async {
            let mut n = 0;
            while n < count && ready.recv().await.is_some() {
                n += 1;
            }
            n
        })
        .await
        .unwrap_or(0);
        if attached < count {
            let _ = stop.send(true);
            bail!("only {attached} of {count} viewers got their first message");
        }
        Ok(Viewers { tasks, stop, count })
    }

    /// Stop reading and time each sighting against `due` (the due instant of call number i).
    pub async fn finish(mut self, due: &[Instant]) -> ViewersReport {
        let _ = self.stop.send(true);
        let mut report = ViewersReport {
            viewers: self.count,
            ..ViewersReport::default()
        };
        let mut seen_us = Vec::new();
        while let Some(joined) = self.tasks.join_next().await {
            let Ok(outcome) = joined else {
                report.dropped += 1;
                continue;
            };
            report.dropped += usize::from(outcome.dropped);
            report.messages += outcome.messages;
            report.bytes += outcome.bytes;
            report.missed += due.len().saturating_sub(outcome.sightings.len());
            for (call, at) in outcome.sightings {
                if let Some(due) = due.get(call as usize) {
                    seen_us.push(at.saturating_duration_since(*due).as_micros() as u64);
                }
            }
        }
        report.seen = seen_us.len();
        report.seen_ms = Latency::of(seen_us);
        report
    }
}

/// One viewer: read the stream until stopped, noting the first sighting of each call.
async fn view(
    mut response: reqwest::Response,
    calls: &HashMap<Arc<str>, u32>,
    mut stopped: watch::Receiver<bool>,
    ready: tokio::sync::mpsc::Sender<()>,
) -> ViewerOutcome {
    let mut outcome = ViewerOutcome::default();
    let mut seen = vec![false; calls.len()];
    let mut pending: Vec<u8> = Vec::new();
    let mut ready = Some(ready);
    loop {
        let chunk = tokio::select! {
            _ = stopped.changed() => return outcome,
            chunk = response.chunk() => chunk,
        };
        let Ok(Some(chunk)) = chunk else {
            // The stream ended before the run did.
            outcome.dropped = !*stopped.borrow();
            return outcome;
        };
        let now = Instant::now();
        outcome.bytes += chunk.len() as u64;
        pending.extend_from_slice(&chunk);
        // A message ends with an empty line; scan only whole messages.
        while let Some(end) = find(&pending, b"\n\n") {
            outcome.messages += 1;
            note_calls(
                &pending[..end],
                calls,
                &mut seen,
                now,
                &mut outcome.sightings,
            );
            pending.drain(..end + 2);
            if let Some(ready) = ready.take() {
                let _ = ready.send(()).await;
            }
        }
    }
}

fn note_calls(
    message: &[u8],
    calls: &HashMap<Arc<str>, u32>,
    seen: &mut [bool],
    now: Instant,
    sightings: &mut Vec<(u32, Instant)>,
) {
    let mut rest = message;
    while let Some(at) = find(rest, CALL_ID) {
        rest = &rest[at + CALL_ID.len()..];
        let Some(end) = rest.iter().position(|&b| b == b'"') else {
            return;
        };
        if let Ok(id) = std::str::from_utf8(&rest[..end])
            && let Some(&call) = calls.get(id)
            && let Some(flag) = seen.get_mut(call as usize)
            && !*flag
        {
            *flag = true;
            sightings.push((call, now));
        }
        rest = &rest[end..];
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;
    use std::sync::Arc;
    use std::time::Instant;

    use super::note_calls;

    #[test]
    fn each_call_is_noted_once_at_its_first_sighting() {
        let calls: HashMap<Arc<str>, u32> = [(Arc::from("a:0"), 0), (Arc::from("b:0"), 1)]
            .into_iter()
            .collect();
        let mut seen = vec![false; 2];
        let mut sightings = Vec::new();
        let now = Instant::now();
        let message = br#"event: queues
data: {"queues":[{"calls":[{"call_id":"a:0"},{"call_id":"zz"},{"call_id":"a:0"}]}]}"#;
        note_calls(message, &calls, &mut seen, now, &mut sightings);
        assert_eq!(sightings, vec![(0, now)]);
        note_calls(
            br#"{"call_id":"b:0"}{"call_id":"a:0"}"#,
            &calls,
            &mut seen,
            now,
            &mut sightings,
        );
        assert_eq!(sightings.len(), 2);
        assert!(seen.iter().all(|s| *s));
    }
}
