//! One event channel kept open as a state machine, with the subscriptions that feed it.
//!
//! ```text
//! Opening --<Channel> read--> Open --stream end / heartbeat 404 / ChannelTerminatedEvent /
//!    ^                          |      silence > 2 heartbeats / refresh 404
//!    |                          v
//!    +---- backoff (1..60 s) -- Reopening          DuplicateChannelSet, 401 --> Stopped --r--> Opening
//! cancel --> delete the subscriptions, DELETE the channel, read until ChannelTerminatedEvent (2 s)
//! ```

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use futures::StreamExt;
use tokio::sync::{mpsc, watch};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::ACK_QUEUE;
use super::client::ChannelClient;
use super::frame::Frame;
use super::split::Splitter;
use super::status::{AckCounters, ChannelState, ChannelStatus};
use crate::board::{Input, now_ms};
use crate::config::XspSettings;
use crate::intake::Intake;
use crate::logging::Wire;
use crate::status::{FeedCommand, LinkStatus};
use crate::subscribe::{self, Retired, SubscriberHandle, XspError, backoff};
use crate::xsi::Event;
use crate::xsi::request::{ChannelRequest, EventResponse, EventResponseStatus};

/// How long quitting reads on after the DELETE, waiting for the `ChannelTerminatedEvent`.
pub(super) const CLOSE_DRAIN: Duration = Duration::from_secs(2);
/// The reason BroadWorks gives when another client opened a channel in our set.
const DUPLICATE_CHANNEL_SET: &str = "DuplicateChannelSet";

/// How a session on one opened channel ended.
enum Ending {
    /// Lost: open a new channel after the backoff.
    Reopen(String),
    /// Not to be reopened until the user asks.
    Stop(String),
    /// Cancelled; the quit sequence already ran.
    Quit,
}

/// What a spawned heartbeat or refresh reports back to the read loop.
enum Chore {
    Heartbeat(Result<(), XspError>),
    Refresh(Result<u32, XspError>),
}

pub(super) struct Lifecycle {
    pub settings: XspSettings,
    pub request: ChannelRequest,
    pub events: mpsc::Sender<Input>,
    pub cancel: CancellationToken,
    pub control: mpsc::UnboundedReceiver<FeedCommand>,
    pub publish: watch::Sender<LinkStatus>,
    pub status: ChannelStatus,
    pub subscriber: Option<SubscriberHandle>,
    /// The subscriber's status, to publish the channel's again when it changes.
    pub subscriptions_status: Option<watch::Receiver<LinkStatus>>,
    pub attempt: u32,
    /// The way in the listener's POSTs take too: the same counting and backpressure.
    pub intake: Intake,
}

impl Lifecycle {
    pub async fn run(mut self) {
        loop {
            self.set(|s| s.state = ChannelState::Opening);
            let opened = tokio::select! {
                () = self.cancel.cancelled() => break,
                opened = ChannelClient::open(&self.settings, &self.request) => opened,
            };
            let ending = match opened {
                Ok((client, response)) => self.session(client, response).await,
                Err(e @ XspError::Unauthorized(_)) => Ending::Stop(e.to_string()),
                Err(e) => Ending::Reopen(format!("cannot open: {e}")),
            };
            let go_on = match ending {
                Ending::Quit => return,
                Ending::Reopen(reason) => self.wait_to_reopen(reason).await,
                Ending::Stop(reason) => self.wait_for_user(reason).await,
            };
            if !go_on {
                break;
            }
        }
        // Cancelled with no channel open: only the subscriptions are left to delete.
        self.set(|s| s.state = ChannelState::Closing);
        if let Some(subscriber) = self.subscriber.take() {
            subscriber.shutdown().await;
        }
    }

    /// No channel, no events: every call center is STALE until a channel is open again.
    async fn feed_down(&self, reason: &str) {
        self.tell(Input::Channel {
            down: Some(reason.to_owned()),
            at_ms: now_ms(),
        })
        .await;
    }

    async fn tell(&self, input: Input) {
        // The board gone means the wallboard is stopping.
        let _ = self.events.send(input).await;
    }

    fn heartbeat_interval(&self) -> Duration {
        Duration::from_secs(self.settings.heartbeat_secs.max(1))
    }

    /// Read one opened channel until it is lost or the wallboard quits.
    async fn session(&mut self, client: ChannelClient, response: reqwest::Response) -> Ending {
        let heartbeat = self.heartbeat_interval();
        let silence = heartbeat * 2;
        self.set(|s| {
            s.node = Some(client.node.clone());
            s.channel_id = None;
            s.granted_expires = None;
        });
        let mut stream = response.bytes_stream();
        let mut splitter = Splitter::new();
        let acks = spawn_ack_worker(client.clone(), self.status.acks.clone());
        let (chores_tx, mut chores) = mpsc::unbounded_channel();
        let mut next_heartbeat: Option<Instant> = None;
        let mut refresh_at: Option<Instant> = None;
        let mut silent_at = Instant::now() + silence;
        let far = || Instant::now() + Duration::from_hours(24);
        loop {
            tokio::select! {
                biased;
                () = self.cancel.cancelled() => {
                    self.quit(&client, stream, splitter, &acks).await;
                    return Ending::Quit;
                }
                Some(command) = self.control.recv() => self.forward(command),
                chunk = stream.next() => {
                    let bytes = match chunk {
                        None if splitter.is_between_documents() => {
                            return Ending::Reopen("the XSP closed the stream".into());
                        }
                        None => return Ending::Reopen("the stream ended mid-document".into()),
                        Some(Err(e)) => return Ending::Reopen(format!("stream failed: {e}")),
                        Some(Ok(bytes)) => bytes,
                    };
                    let read = self.read_documents(&bytes, &mut splitter, &acks).await;
                    match read {
                        Err(ending) => return ending,
                        Ok(Some(expires)) => {
                            // The channel is open: heartbeats start, the refresh is planned.
                            next_heartbeat = Some(Instant::now() + heartbeat);
                            refresh_at = expires.map(|e| self.refresh_time(e));
                        }
                        Ok(None) => {}
                    }
                    // Silence counts from when the stream is read again, so a wait for the board
                    // or for room in the ack queue is not taken for the XSP falling silent.
                    silent_at = Instant::now() + silence;
                }
                () = tokio::time::sleep_until(next_heartbeat.unwrap_or_else(far)),
                    if next_heartbeat.is_some() =>
                {
                    next_heartbeat = Some(Instant::now() + heartbeat);
                    if let Some(id) = self.status.channel_id.clone() {
                        let (client, done) = (client.clone(), chores_tx.clone());
                        tokio::spawn(async move {
                            let _ = done.send(Chore::Heartbeat(client.heartbeat(&id).await));
                        });
                    }
                }
                () = tokio::time::sleep_until(refresh_at.unwrap_or_else(far)),
                    if refresh_at.is_some() =>
                {
                    refresh_at = None;
                    if let Some(id) = self.status.channel_id.clone() {
                        let (client, done) = (client.clone(), chores_tx.clone());
                        let expires = self.request.expires;
                        tokio::spawn(async move {
                            let _ = done.send(Chore::Refresh(client.refresh(&id, expires).await));
                        });
                    }
                }
                Some(chore) = chores.recv() => {
                    if let Some(ending) = self.chore_done(chore, &mut refresh_at) {
                        return ending;
                    }
                }
                () = tokio::time::sleep_until(silent_at) => {
                    return Ending::Reopen(format!(
                        "nothing heard for {} s (two heartbeat intervals)",
                        silence.as_secs()
                    ));
                }
                () = subscriptions_changed(&mut self.subscriptions_status) => self.publish(),
            }
        }
    }

    /// Split one chunk into documents and act on each. `Ok(Some(expires))` when one was the
    /// `<Channel>` that opens it; `Err` ends the session.
    async fn read_documents(
        &mut self,
        bytes: &[u8],
        splitter: &mut Splitter,
        acks: &mpsc::Sender<EventResponse>,
    ) -> Result<Option<Option<u32>>, Ending> {
        let mut documents = Vec::new();
        if let Err(e) = splitter.push(bytes, &mut documents) {
            return Err(Ending::Reopen(format!("unreadable stream: {e}")));
        }
        let mut opened = None;
        for document in documents {
            let frame = Frame::parse(&document);
            if let Frame::Channel { expires, .. } = &frame {
                opened = Some(*expires);
            }
            if let Some(ending) = self.take(frame, document, acks).await {
                return Err(ending);
            }
        }
        Ok(opened)
    }

    /// What a heartbeat or refresh came back with; `Some` ends the session.
    fn chore_done(&mut self, chore: Chore, refresh_at: &mut Option<Instant>) -> Option<Ending> {
        match chore {
            Chore::Heartbeat(Err(e @ XspError::NotFound(_))) => {
                return Some(Ending::Reopen(format!("heartbeat refused: {e}")));
            }
            Chore::Heartbeat(Err(e)) => {
                tracing::warn!(error = %e, "channel heartbeat failed");
                self.set(|s| s.last_error = Some(format!("heartbeat: {e}")));
            }
            Chore::Heartbeat(Ok(())) => {}
            Chore::Refresh(Ok(expires)) => {
                *refresh_at = Some(self.refresh_time(expires));
                self.set(|s| s.granted_expires = Some(expires));
            }
            Chore::Refresh(Err(e)) if e.subscription_gone() => {
                return Some(Ending::Reopen(format!("refresh refused: {e}")));
            }
            Chore::Refresh(Err(e)) => {
                // Try again a heartbeat later; the channel is still within its lifetime.
                tracing::warn!(error = %e, "channel refresh failed");
                *refresh_at = Some(Instant::now() + self.heartbeat_interval());
                self.set(|s| s.last_error = Some(format!("refresh: {e}")));
            }
        }
        None
    }

    /// Act on one document; `Some` ends the session.
    async fn take(
        &mut self,
        frame: Frame,
        document: bytes::Bytes,
        acks: &mpsc::Sender<EventResponse>,
    ) -> Option<Ending> {
        let retired = self.subscriber.as_ref().map(|s| &**s.retired());
        let answered = self.answer(&frame, retired, acks).await;
        if answered == Some(EventResponseStatus::UnknownSubscription) {
            // Not ours any more: what it says is not the board's to hear.
            return None;
        }
        match frame {
            Frame::Channel {
                channel_id,
                expires,
            } => {
                tracing::info!(
                    %channel_id,
                    expires_secs = expires.unwrap_or_default(),
                    node = %self.status.node.as_deref().unwrap_or("unknown"),
                    "channel open"
                );
                self.attempt = 0;
                self.set(|s| {
                    s.state = ChannelState::Open;
                    s.channel_id = Some(channel_id);
                    s.granted_expires = expires;
                    s.last_error = None;
                });
                self.tell(Input::Channel {
                    down: None,
                    at_ms: now_ms(),
                })
                .await;
                self.subscribe();
            }
            Frame::Event(Event::ChannelTerminated(terminated)) => {
                let ours = self.status.channel_id.as_deref();
                if ours.is_some_and(|id| id != &*terminated.channel_id) {
                    tracing::debug!(channel = %terminated.channel_id, "termination of an older channel");
                    return None;
                }
                let reason = terminated.reason;
                tracing::warn!(reason = %Wire(&reason), "channel terminated by the XSP");
                return Some(if &*reason == DUPLICATE_CHANNEL_SET {
                    Ending::Stop(format!(
                        "another client opened channel set {} ({reason})",
                        self.status.channel_set_id
                    ))
                } else {
                    Ending::Reopen(format!("terminated by the XSP: {reason}"))
                });
            }
            Frame::Event(Event::Error(error)) => {
                tracing::warn!(code = %Wire(error.error_code.as_deref().unwrap_or("none")), message = %Wire(&error.error_message),
                    "ErrorEvent on the channel");
                let code = error.error_code.as_deref().unwrap_or("no code");
                self.set(|s| {
                    s.last_error =
                        Some(format!("XSP error event: {} ({code})", error.error_message));
                });
            }
            Frame::Event(event) => self.pass_on(event, document).await,
            Frame::Heartbeat => {
                // The stream carries every call center's events: a heartbeat proves them all.
                self.tell(Input::Heartbeat { at_ms: now_ms() }).await;
                self.set(|s| s.last_heartbeat = Some(Instant::now()));
            }
            Frame::Other(root) => tracing::debug!(%root, "document ignored on the channel"),
            Frame::BrokenEvent { reason, envelope } => {
                self.count_rejected();
                if answered.is_none() {
                    tracing::warn!(reason = %Wire(&reason), "unreadable event without an eventID: not answered");
                }
                // Logged with its 400. Its number was received all the same: no false gap.
                if let Some(envelope) = envelope {
                    self.tell(Input::Refused {
                        envelope,
                        arrival_ms: now_ms(),
                    })
                    .await;
                }
            }
            Frame::Unparsable(reason) => {
                self.count_rejected();
                tracing::warn!(reason = %Wire(&reason), "unreadable document on the channel");
            }
        }
        None
    }

    /// Answer the event in `frame`, if it is one with an `eventID`: its response is queued for
    /// the ack worker. Returns the status sent.
    async fn answer(
        &self,
        frame: &Frame,
        retired: Option<&Retired>,
        acks: &mpsc::Sender<EventResponse>,
    ) -> Option<EventResponseStatus> {
        let response = frame.response(|id| retired.is_some_and(|r| r.contains(id)))?;
        let status = response.status;
        match status {
            EventResponseStatus::Received => {}
            EventResponseStatus::Unprocessable => {
                tracing::warn!(event_id = %shown(&response.event_id), reason = %Wire(response.reason()),
                    "event could not be read; answered 400 (BroadWorks drops it)");
            }
            EventResponseStatus::UnknownSubscription => {
                let subscription = frame
                    .subscription_id()
                    .map_or_else(String::new, |id| shown(id));
                tracing::info!(event_id = %shown(&response.event_id), %subscription,
                    "event of a subscription no longer ours; answered 481 (BroadWorks deletes it)");
            }
        }
        // Wait for room rather than drop it: an unanswered event pushes BroadWorks toward
        // `NonResponsiveChannel`. Only quitting ends the wait (the channel is being deleted).
        tokio::select! {
            biased;
            sent = acks.send(response) => {
                if let Err(mpsc::error::SendError(lost)) = sent {
                    // The worker ends only once every sender is gone: it panicked.
                    self.status.acks.failed.fetch_add(1, Ordering::Relaxed);
                    tracing::error!(event_id = %shown(&lost.event_id), "ack worker gone; event not answered");
                }
            }
            () = self.cancel.cancelled() => tracing::debug!("quitting; an event not answered"),
        }
        Some(status)
    }

    /// Hand a parsed event to the board through the intake the listener uses: the same
    /// counting and the same backpressure (a drop is a loss the applier repairs).
    async fn pass_on(&self, event: Event, document: bytes::Bytes) {
        let arrival_ms = now_ms();
        self.intake.received(arrival_ms);
        // The answer is already on its way: a dropped event is lost on the XSP's side as it
        // would be with a 400, and the applier repairs its subscription.
        let _ = self.intake.take_event(event, document, arrival_ms).await;
    }

    fn count_rejected(&self) {
        self.intake.rejected();
    }

    /// Start the subscriptions over the channel set, or make them again after a reopen.
    fn subscribe(&mut self) {
        if let Some(subscriber) = &self.subscriber {
            subscriber.command(FeedCommand::Resubscribe(None));
            return;
        }
        let subscriber = subscribe::spawn(
            self.settings.clone(),
            self.events.clone(),
            self.cancel.clone(),
        );
        self.subscriptions_status = Some(subscriber.status());
        self.subscriber = Some(subscriber);
    }

    fn forward(&self, command: FeedCommand) {
        if let Some(subscriber) = &self.subscriber {
            subscriber.command(command);
        }
    }

    /// Back off, then reopen; `false` when cancelled meanwhile.
    async fn wait_to_reopen(&mut self, reason: String) -> bool {
        self.feed_down(&reason).await;
        self.attempt += 1;
        let timing = self.settings.timing;
        let delay = backoff::delay(self.attempt, timing.backoff_base, timing.backoff_max);
        let at = Instant::now() + delay;
        tracing::warn!(%reason, delay = %crate::logging::Human(delay), "event channel lost; reopening");
        self.set(|s| {
            s.state = ChannelState::Reopening { at };
            s.last_error = Some(reason);
        });
        loop {
            tokio::select! {
                biased;
                () = self.cancel.cancelled() => return false,
                () = tokio::time::sleep_until(at) => return true,
                Some(command) = self.control.recv() => {
                    if !matches!(command, FeedCommand::Resubscribe(_)) {
                        // Repairs and terminations concern subscriptions that a new channel
                        // makes again anyway.
                        continue;
                    }
                    // `r` while down: try now, and resubscribe once open.
                    self.attempt = 0;
                    self.forward(command);
                    return true;
                }
                () = subscriptions_changed(&mut self.subscriptions_status) => self.publish(),
            }
        }
    }

    /// Stay down until `r`; `false` when cancelled meanwhile.
    async fn wait_for_user(&mut self, reason: String) -> bool {
        self.feed_down(&reason).await;
        tracing::error!(%reason, "event channel stopped; not reopened until the user asks");
        self.set(|s| {
            s.state = ChannelState::Stopped;
            s.last_error = Some(reason);
        });
        loop {
            tokio::select! {
                () = self.cancel.cancelled() => return false,
                command = self.control.recv() => match command {
                    Some(FeedCommand::Resubscribe(_)) => {
                        self.attempt = 0;
                        return true;
                    }
                    Some(_) => {}
                    None => return false,
                },
            }
        }
    }

    /// Delete the subscriptions, then the channel, then read on until the XSP confirms with a
    /// `ChannelTerminatedEvent` (or [`CLOSE_DRAIN`] passes).
    async fn quit(
        &mut self,
        client: &ChannelClient,
        mut stream: impl futures::Stream<Item = reqwest::Result<bytes::Bytes>> + Unpin,
        mut splitter: Splitter,
        acks: &mpsc::Sender<EventResponse>,
    ) {
        self.set(|s| s.state = ChannelState::Closing);
        let mut retired = None;
        if let Some(subscriber) = self.subscriber.take() {
            retired = Some(subscriber.retired().clone());
            subscriber.shutdown().await;
        }
        let Some(id) = self.status.channel_id.clone() else {
            return;
        };
        match tokio::time::timeout(self.settings.timing.shutdown_budget, client.delete(&id)).await {
            Ok(Ok(())) => tracing::info!(channel = %id, "channel deleted"),
            Ok(Err(e)) => tracing::warn!(channel = %id, error = %e, "channel delete failed"),
            Err(_) => tracing::warn!(channel = %id, "channel delete timed out"),
        }
        let confirmed = async {
            let mut documents = Vec::new();
            while let Some(Ok(bytes)) = stream.next().await {
                if splitter.push(&bytes, &mut documents).is_err() {
                    return;
                }
                for document in documents.drain(..) {
                    let frame = Frame::parse(&document);
                    if let Frame::Event(Event::ChannelTerminated(_)) = frame {
                        return;
                    }
                    // Still answered (481 for the subscriptions just deleted), never applied.
                    self.answer(&frame, retired.as_deref(), acks).await;
                }
            }
        };
        if tokio::time::timeout(CLOSE_DRAIN, confirmed).await.is_err() {
            tracing::info!(channel = %id, "no ChannelTerminatedEvent after the delete");
        }
    }

    /// Half the granted lifetime, never sooner than the configured floor.
    fn refresh_time(&self, expires: u32) -> Instant {
        let half = Duration::from_secs(u64::from(expires)) / 2;
        Instant::now() + half.max(self.settings.timing.min_refresh)
    }

    fn set(&mut self, f: impl FnOnce(&mut ChannelStatus)) {
        f(&mut self.status);
        self.publish();
    }

    /// Publish the channel's status with its subscriptions'; on every change of either (the
    /// UI moves the countdowns itself).
    fn publish(&self) {
        let subscriptions = self
            .subscriber
            .as_ref()
            .map(|s| s.status().borrow().clone());
        self.publish
            .send_replace(self.status.link_status(subscriptions.as_ref()));
    }
}

/// Wakes when the subscriptions' status changed; never without a subscriber (or once it is
/// gone).
async fn subscriptions_changed(status: &mut Option<watch::Receiver<LinkStatus>>) {
    let changed = match status {
        Some(status) => status.changed().await.is_ok(),
        None => false,
    };
    if !changed {
        *status = None;
        std::future::pending::<()>().await;
    }
}

/// The ack worker: POSTs each `EventResponse` in turn, in the order the events came, off the
/// read path; ends when the session drops its sender and the queue is empty.
fn spawn_ack_worker(
    client: ChannelClient,
    counters: Arc<AckCounters>,
) -> mpsc::Sender<EventResponse> {
    let (tx, mut rx) = mpsc::channel::<EventResponse>(ACK_QUEUE);
    tokio::spawn(async move {
        while let Some(response) = rx.recv().await {
            match client.respond(&response).await {
                Ok(()) => counters.sent(response.status),
                Err(e) => {
                    counters.failed.fetch_add(1, Ordering::Relaxed);
                    tracing::warn!(event_id = %shown(&response.event_id),
                        status = response.status.code(), error = %e,
                        "event response failed; the event is unanswered");
                }
            }
        }
    });
    tx
}

/// A value from the wire, fit for a log line: escaped and cut short (it may be hostile).
fn shown(value: &str) -> String {
    Wire(value).to_string()
}
