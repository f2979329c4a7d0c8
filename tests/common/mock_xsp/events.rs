//! What the mock XSP sends, as BroadWorks does: the subscriptions it granted and the delivery of
//! their events, initial and live, to the HTTP contact or down the event channel. What the events
//! report (queues, monitoring, services, agents) is kept in `call_centers`.
//!
//! ```text
//! grant / refresh of user/{id} --> initial event --+
//! test: send, send_about, terminate ---------------+--> numbered under the world's lock
//!                                                       --> the subscription's outbox
//!                                                       --> its worker: one at a time, in order,
//!                                                           POST (await the answer) or channel
//!                                                       --> recorded as a `Delivered`
//! ```

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::body::Bytes;
use tokio::sync::{mpsc, watch};
use xsi_wallboard::xsi::request::Delivery;
use xsi_wallboard::xsi::{
    AgentEvent, AgentEventKind, AgentJoin, AgentJoins, AgentState, ConfigurationEvent,
    ConfigurationKind, Envelope, Event, EventData, MonitoringStatus, QueueEntry, QueueSnapshot,
    SubscriptionEvent, XSI_NS, write_event, write_queue_event,
};

use super::call_centers::{AgentStatus, Call, CallCenter, CallCenterMode, complete};
use super::{MockXsp, PATIENCE, State, USER, channel_id, subscription_id};

/// The event packages whose initial event the mock knows (`xsd/Events/XSISubscription.xsd`).
pub const QUEUE: &str = "Call Center Queue";
pub const MONITORING: &str = "Call Center Monitoring";
pub const CONFIGURATION: &str = "Call Center Configuration";
pub const AGENT: &str = "Call Center Agent";

/// How long one POST to a contact may take before it counts as failed (BroadWorks gives up on a
/// contact too; a hung wallboard must not stall a test forever).
const DELIVERY_TIMEOUT: Duration = Duration::from_secs(10);

/// `sequenceNumber` is a positive `xs:int`: after 2147483647 it wraps to 1 (`XSIBaseEvent.xsd`).
const MAX_SEQUENCE: u32 = 2_147_483_647;

/// Unique over the whole test binary, so that two mocks never send the same `eventID`.
static EVENT_IDS: AtomicU64 = AtomicU64::new(0);

/// A subscription the mock granted, as a test sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subscription {
    pub id: String,
    /// The path after `v2.0/`: `user/{id}`, `enterprise/{ent}/group/{group}`, `system`, ...
    pub target: String,
    pub package: String,
    /// `httpContact/uri` or `channelSetId`; `None` when the request named neither.
    pub delivery: Option<Delivery>,
    /// The `applicationId` it was made with (`externalApplicationId` of its events).
    pub application_id: String,
    /// Seconds, as last granted (by the subscribe or a refresh).
    pub expires: u32,
    pub refreshes: u32,
    /// The last `sequenceNumber` spent, delivered or lost; 0 before the first event.
    pub last_sequence: u32,
    /// `None` while alive.
    pub ended: Option<Ended>,
}

impl Subscription {
    pub fn alive(&self) -> bool {
        self.ended.is_none()
    }

    /// The user of a `user/{id}` target; `None` for a collection (group, enterprise, system).
    pub fn user(&self) -> Option<&str> {
        self.target.strip_prefix("user/")
    }
}

/// How a subscription ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ended {
    /// `DELETE .../subscription/{id}`.
    Deleted,
    /// A new subscription with the same `applicationId`, target and package took its place (one
    /// subscription per application, target and package: spec 4.2.4).
    Replaced,
    /// The test ended it with a `SubscriptionTerminatedEvent` ([`MockXsp::terminate`]).
    Terminated,
}

/// One event the mock sent, and what became of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivered {
    pub subscription_id: String,
    pub sequence_number: u32,
    pub event_id: String,
    /// `eventData`'s type, e.g. `ACDSubscriptionEvent`.
    pub event_type: String,
    /// `targetId`: the call center (or agent) the event is about; `None` only for a collection
    /// subscription's termination.
    pub target_id: Option<String>,
    /// Sent because a subscribe or refresh was granted (not by the test).
    pub initial: bool,
    /// The whole `<xsi:Event>` document as sent.
    pub document: String,
    pub outcome: Outcome,
}

impl Delivered {
    /// Did it reach the wallboard (a 2xx, or written down an open channel)?
    pub fn reached(&self) -> bool {
        match &self.outcome {
            Outcome::Answered(status) => (200..300).contains(status),
            Outcome::SentDown(_) => true,
            Outcome::Unreachable(_) | Outcome::NoChannel => false,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The contact answered with this HTTP status.
    Answered(u16),
    /// No answer: refused, timed out, or a host off loopback (never tried: tests stay on
    /// 127.0.0.1).
    Unreachable(String),
    /// Written down the open event channel with this `channelId`.
    SentDown(String),
    /// Channel mode, but no channel of the subscription's channel set was open: lost.
    NoChannel,
}

/// Everything the XSP knows and sends; one lock, so that an event's number, its content and the
/// state it reports are consistent with each other.
#[derive(Debug, Default)]
struct World {
    subscriptions: Vec<Granted>,
    call_centers: HashMap<String, CallCenter>,
    agents: HashMap<String, AgentStatus>,
}

#[derive(Debug)]
struct Granted {
    info: Subscription,
    /// To the subscription's delivery worker; dropped when the subscription ends (the worker
    /// then sends what is queued and stops).
    outbox: Option<mpsc::UnboundedSender<Outgoing>>,
}

/// A numbered event on its way; the worker adds the contact or channel and writes it.
#[derive(Debug)]
struct Outgoing {
    envelope: Envelope,
    data: EventData,
    initial: bool,
}

/// The mock's sending side, part of its shared state.
pub(super) struct Hub {
    world: Mutex<World>,
    deliveries: Mutex<Vec<Delivered>>,
    /// True: workers hold their events until resumed.
    paused: watch::Sender<bool>,
    /// Contact URI as named, and the URL the mock posts its events to instead.
    routes: Mutex<HashMap<String, String>>,
    /// The `channelSetId` the open channel was made for.
    channel_set: Mutex<Option<String>>,
    http: reqwest::Client,
}

impl Default for Hub {
    fn default() -> Self {
        let http = reqwest::Client::builder()
            // An HTTP_PROXY of the machine running the tests must not take our loopback POSTs.
            .no_proxy()
            .timeout(DELIVERY_TIMEOUT)
            .build()
            .expect("mock XSP: build the HTTP client that delivers events");
        Hub {
            world: Mutex::default(),
            deliveries: Mutex::default(),
            paused: watch::Sender::new(false),
            routes: Mutex::default(),
            channel_set: Mutex::default(),
            http,
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .expect("mock XSP: a lock was poisoned by a panic")
}

/// The XSP's clock: the host's, moved by `set_clock_offset_ms`.
fn now_ms(state: &State) -> i64 {
    jiff::Timestamp::now().as_millisecond() + state.clock_offset_ms.load(Ordering::SeqCst)
}

fn next_sequence(last: u32) -> u32 {
    if last >= MAX_SEQUENCE { 1 } else { last + 1 }
}

fn fresh_event_id() -> String {
    let n = EVENT_IDS.fetch_add(1, Ordering::SeqCst) + 1;
    format!("{n:08}-eeee-4000-8000-000000000000")
}

/// `sales@example.com` for `user/sales@example.com` or `sales@example.com`; collections as given.
fn target_path(target: &str) -> String {
    if target.contains('/') || target == "system" {
        target.to_owned()
    } else {
        format!("user/{target}")
    }
}

// ---------------------------------------------------------------------------------------------
// Requests the XSP answers

/// `POST .../v2.0/{target}`: remember the subscription, start its worker, and for a single
/// user send the package's initial event. Returns the new id and the granted expiry.
pub(super) fn grant(state: &Arc<State>, target: &str, body: &str) -> (String, u32) {
    let n = state.next_id.fetch_add(1, Ordering::SeqCst) + 1;
    let id = subscription_id(n);
    let expires = state.granted_expires.load(Ordering::SeqCst);
    let package = element_text(body, "event").unwrap_or_default();
    let delivery = element_text(body, "uri")
        .map(Delivery::HttpContact)
        .or_else(|| element_text(body, "channelSetId").map(Delivery::ChannelSet));
    let application_id = element_text(body, "applicationId").unwrap_or_default();
    {
        let mut world = lock(&state.hub.world);
        for old in &mut world.subscriptions {
            if old.info.alive()
                && old.info.application_id == application_id
                && old.info.target == target
                && old.info.package.eq_ignore_ascii_case(&package)
            {
                old.end(Ended::Replaced);
            }
        }
        let outbox = delivery.clone().map(|delivery| {
            let (tx, rx) = mpsc::unbounded_channel();
            tokio::spawn(deliver(Arc::clone(state), delivery, rx));
            tx
        });
        world.subscriptions.push(Granted {
            info: Subscription {
                id: id.clone(),
                target: target.to_owned(),
                package,
                delivery,
                application_id,
                expires,
                refreshes: 0,
                last_sequence: 0,
                ended: None,
            },
            outbox,
        });
        let index = world.subscriptions.len() - 1;
        send_initial(state, &mut world, index);
    }
    state.changed.notify_waiters();
    (id, expires)
}

/// `PUT .../subscription/{id}`: the new expiry, and the initial event again (spec 4.7.3.18: "An
/// `ACDSubscriptionEvent` is generated immediately after a subscription is added or refreshed");
/// `None` for a subscription the XSP does not hold (BroadWorks answers 403).
pub(super) fn refresh(state: &Arc<State>, id: &str) -> Option<u32> {
    let expires = state.granted_expires.load(Ordering::SeqCst);
    {
        let mut world = lock(&state.hub.world);
        let index = world
            .subscriptions
            .iter()
            .position(|g| g.info.id == id && g.info.alive())?;
        let granted = &mut world.subscriptions[index].info;
        granted.expires = expires;
        granted.refreshes += 1;
        send_initial(state, &mut world, index);
    }
    state.changed.notify_waiters();
    Some(expires)
}

/// `DELETE .../subscription/{id}`; false for one the XSP does not hold.
pub(super) fn delete(state: &State, id: &str) -> bool {
    let deleted = lock(&state.hub.world)
        .subscriptions
        .iter_mut()
        .find(|g| g.info.id == id && g.info.alive())
        .map(|g| g.end(Ended::Deleted))
        .is_some();
    state.changed.notify_waiters();
    deleted
}

/// Xsi-Actions `GET .../callcenter/{id}/calls`: the same queue the initial events list.
pub(super) fn acd_queue(state: &State, call_center: &str) -> String {
    let entries = lock(&state.hub.world)
        .call_centers
        .get(call_center)
        .map(|cc| cc.queue.clone())
        .unwrap_or_default();
    // The entries as the event writer writes them (schema order), without its envelope.
    let event = write_queue_event(
        &Envelope::default(),
        &EventData::QueueSnapshot(QueueSnapshot {
            resync: false,
            entries,
        }),
    );
    let open = "<xsi:queueEntries>";
    let close = "</xsi:queueEntries>";
    let list = event
        .find(open)
        .zip(event.rfind(close))
        .map_or("", |(start, end)| &event[start..end + close.len()]);
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><xsi:ACDQueue xmlns:xsi="{XSI_NS}">{list}</xsi:ACDQueue>"#
    )
}

/// A channel was opened for this channel set (its `channelSetId`).
pub(super) fn channel_opened(state: &State, body: &str) {
    *lock(&state.hub.channel_set) = element_text(body, "channelSetId");
}

impl Granted {
    fn end(&mut self, how: Ended) {
        self.info.ended = Some(how);
        self.outbox = None;
    }
}

/// A user target's initial event for its package (none for a collection: spec 4.7.3.18 and
/// 4.7.5.4, "provided that the subscription target is not a collection of subscribers").
fn send_initial(state: &State, world: &mut World, index: usize) {
    let info = &world.subscriptions[index].info;
    let Some(user) = info.user().map(str::to_owned) else {
        return;
    };
    let package = info.package.clone();
    let now = now_ms(state);
    let data = if package.eq_ignore_ascii_case(QUEUE) {
        EventData::QueueSnapshot(QueueSnapshot {
            resync: false,
            entries: world.call_center(&user).queue.clone(),
        })
    } else if package.eq_ignore_ascii_case(MONITORING) {
        let assigned = lock(&state.agents)
            .iter()
            .filter(|(cc, _)| *cc == user)
            .count();
        EventData::Monitoring(world.call_center(&user).monitoring(now, assigned))
    } else if package.eq_ignore_ascii_case(CONFIGURATION) {
        let mode = world.call_center(&user).mode;
        EventData::Configuration(ConfigurationEvent {
            kind: ConfigurationKind::Subscription,
            forced_forwarding: Some(mode.forced_forwarding),
            holiday_service: Some(mode.holiday_service),
            night_service: Some(mode.night_service),
            force_night_service: Some(mode.force_night_service),
        })
    } else if package.eq_ignore_ascii_case(AGENT) {
        let joins = lock(&state.agents)
            .iter()
            .filter(|(_, agent)| *agent == user)
            .map(|(cc, _)| AgentJoin {
                call_center: Arc::from(cc.as_str()),
                joined: true,
            })
            .collect();
        let status = world.agents.get(&user).copied();
        EventData::Agent(AgentEvent {
            kind: AgentEventKind::Subscription,
            type_name: Arc::from(AgentEventKind::Subscription.type_name()),
            state: status.map(|s| s.state),
            state_timestamp: status.map(|s| s.since_ms),
            unavailable_code: None,
            joins: Some(AgentJoins::All(joins)),
        })
    } else {
        return;
    };
    enqueue(&mut world.subscriptions[index], Some(&user), data, true);
}

/// Number the event and hand it to the subscription's worker; returns its number.
fn enqueue(granted: &mut Granted, target_id: Option<&str>, data: EventData, initial: bool) -> u32 {
    let sequence = next_sequence(granted.info.last_sequence);
    granted.info.last_sequence = sequence;
    let envelope = Envelope {
        event_id: Arc::from(fresh_event_id()),
        sequence_number: Some(sequence),
        // The owner of the subscription: the only account the mock accepts.
        user_id: Arc::from(USER),
        external_application_id: Arc::from(granted.info.application_id.as_str()),
        subscription_id: Arc::from(granted.info.id.as_str()),
        channel_id: None,
        http_contact: None,
        target_id: target_id.map(Arc::from),
    };
    if let Some(outbox) = &granted.outbox {
        let _ = outbox.send(Outgoing {
            envelope,
            data,
            initial,
        });
    }
    sequence
}

// ---------------------------------------------------------------------------------------------
// Delivery

/// One subscription's deliveries, one at a time and in order: each POST's answer is awaited
/// before the next event goes.
async fn deliver(
    state: Arc<State>,
    delivery: Delivery,
    mut outbox: mpsc::UnboundedReceiver<Outgoing>,
) {
    let mut paused = state.hub.paused.subscribe();
    while let Some(outgoing) = outbox.recv().await {
        // A paused XSP holds its events; they go out in order when it resumes.
        let _ = paused.wait_for(|held| !held).await;
        let Outgoing {
            mut envelope,
            data,
            initial,
        } = outgoing;
        let (document, outcome) = match &delivery {
            Delivery::HttpContact(uri) => {
                envelope.http_contact = Some(Arc::from(uri.as_str()));
                let document = write(&envelope, &data);
                let outcome = post(&state, uri, &document).await;
                (document, outcome)
            }
            Delivery::ChannelSet(set) => down_the_channel(&state, set, &mut envelope, &data),
        };
        lock(&state.hub.deliveries).push(Delivered {
            subscription_id: envelope.subscription_id.to_string(),
            sequence_number: envelope.sequence_number.unwrap_or_default(),
            event_id: envelope.event_id.to_string(),
            event_type: data.type_name().to_owned(),
            target_id: envelope.target_id.as_deref().map(str::to_owned),
            initial,
            document,
            outcome,
        });
        state.changed.notify_waiters();
    }
}

fn write(envelope: &Envelope, data: &EventData) -> String {
    write_event(&Event::Subscription(SubscriptionEvent {
        envelope: envelope.clone(),
        data: data.clone(),
    }))
}

async fn post(state: &State, uri: &str, document: &str) -> Outcome {
    let to = lock(&state.hub.routes)
        .get(uri)
        .cloned()
        .unwrap_or_else(|| uri.to_owned());
    if !on_loopback(&to) {
        return Outcome::Unreachable(format!(
            "{to}: not on loopback (the mock delivers only to 127.0.0.1; see route_contact)"
        ));
    }
    let sent = state
        .hub
        .http
        .post(&to)
        .header("content-type", "application/xml")
        .body(document.to_owned())
        .send()
        .await;
    match sent {
        Ok(answer) => Outcome::Answered(answer.status().as_u16()),
        Err(error) => {
            let mut reason = error.to_string();
            let mut source = std::error::Error::source(&error);
            while let Some(cause) = source {
                reason = format!("{reason}: {cause}");
                source = cause.source();
            }
            Outcome::Unreachable(reason)
        }
    }
}

fn on_loopback(url: &str) -> bool {
    let Ok(url) = reqwest::Url::parse(url) else {
        return false;
    };
    let Some(host) = url.host_str() else {
        return false;
    };
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    match bare.parse::<std::net::IpAddr>() {
        Ok(ip) => ip.is_loopback(),
        Err(_) => host.eq_ignore_ascii_case("localhost"),
    }
}

/// Channel mode: the event goes down the open channel if it belongs to the subscription's
/// channel set, with that channel's id in its envelope; otherwise it is lost.
fn down_the_channel(
    state: &State,
    set: &str,
    envelope: &mut Envelope,
    data: &EventData,
) -> (String, Outcome) {
    let open = lock(&state.channel);
    let ours = lock(&state.hub.channel_set).as_deref() == Some(set);
    let Some(stream) = open.as_ref().filter(|_| ours) else {
        return (write(envelope, data), Outcome::NoChannel);
    };
    let channel = channel_id(state.channels_opened.load(Ordering::SeqCst));
    envelope.channel_id = Some(Arc::from(channel.as_str()));
    let document = write(envelope, data);
    let outcome = if stream.send(Bytes::from(document.clone())).is_ok() {
        Outcome::SentDown(channel)
    } else {
        Outcome::NoChannel
    };
    (document, outcome)
}

impl World {
    fn call_center(&mut self, id: &str) -> &mut CallCenter {
        self.call_centers.entry(id.to_owned()).or_default()
    }

    fn subscription(&mut self, id: &str) -> &mut Granted {
        let granted = self
            .subscriptions
            .iter_mut()
            .find(|g| g.info.id == id)
            .unwrap_or_else(|| panic!("mock XSP: no subscription {id} was granted"));
        assert!(
            granted.info.alive(),
            "mock XSP: subscription {id} ended ({:?}); BroadWorks sends nothing for it",
            granted.info.ended
        );
        granted
    }

    /// What an event changes in the XSP's own state, and the event completed as the XSP would
    /// send it.
    fn apply(&mut self, target: &str, data: EventData, now: i64) -> EventData {
        match data {
            EventData::Agent(event) => {
                if let Some(state) = event.state {
                    let since_ms = event.state_timestamp.unwrap_or(now);
                    self.agents
                        .insert(target.to_owned(), AgentStatus { state, since_ms });
                }
                EventData::Agent(event)
            }
            data => self.call_center(target).apply(target, data, now),
        }
    }
}

/// The text of the first `<name>` element of a small document, unescaped. The wallboard's
/// requests use a default namespace, so no prefix is expected.
fn element_text(body: &str, name: &str) -> Option<String> {
    let open = format!("<{name}>");
    let close = format!("</{name}>");
    let start = body.find(&open)? + open.len();
    let end = start + body[start..].find(&close)?;
    quick_xml::escape::unescape(&body[start..end])
        .ok()
        .map(|text| text.trim().to_owned())
}

// ---------------------------------------------------------------------------------------------
// The test's controls

/// Subscriptions, call center state and event delivery.
impl MockXsp {
    /// Every subscription granted so far, in the order granted (ended ones included).
    pub fn subscriptions(&self) -> Vec<Subscription> {
        lock(&self.state.hub.world)
            .subscriptions
            .iter()
            .map(|g| g.info.clone())
            .collect()
    }

    /// The latest subscription to `package` on `target` (`user/{id}`, a bare user id, or a
    /// collection path such as `enterprise/ent1/group/grp1`), alive ones first.
    pub fn subscription(&self, target: &str, package: &str) -> Option<Subscription> {
        let target = target_path(target);
        let matching: Vec<Subscription> = self
            .subscriptions()
            .into_iter()
            .filter(|s| s.target == target && s.package.eq_ignore_ascii_case(package))
            .collect();
        matching
            .iter()
            .rev()
            .find(|s| s.alive())
            .or(matching.last())
            .cloned()
    }

    /// Wait until an alive subscription to `package` on `target` exists.
    pub async fn wait_for_subscription(&self, target: &str, package: &str) -> Subscription {
        let what = format!("a subscription to {package} on {target}");
        self.wait_for_state(&what, || {
            self.subscription(target, package)
                .filter(Subscription::alive)
        })
        .await
    }

    /// Replace a call center's queue (position 1 first), as initial events and the Xsi-Actions
    /// queue list it.
    pub fn set_queue(&self, call_center: &str, calls: impl IntoIterator<Item = Call>) {
        let now = now_ms(&self.state);
        let queue = calls
            .into_iter()
            .map(|call| {
                let mut entry = call.entry();
                complete(&mut entry, call_center, now);
                entry
            })
            .collect();
        lock(&self.state.hub.world).call_center(call_center).queue = queue;
    }

    /// The call center's queue as the mock holds it now.
    pub fn queue(&self, call_center: &str) -> Vec<QueueEntry> {
        lock(&self.state.hub.world)
            .call_centers
            .get(call_center)
            .map(|cc| cc.queue.clone())
            .unwrap_or_default()
    }

    /// What `CallCenterMonitoringEvent` reports from now on (instead of the queue's own
    /// figures).
    pub fn set_monitoring(&self, call_center: &str, status: MonitoringStatus) {
        lock(&self.state.hub.world)
            .call_center(call_center)
            .monitoring = Some(status);
    }

    /// What `ACDConfigurationSubscriptionEvent` reports (all off until set).
    pub fn set_configuration(&self, call_center: &str, mode: CallCenterMode) {
        lock(&self.state.hub.world).call_center(call_center).mode = mode;
    }

    /// The agent's state in `AgentSubscriptionEvent` (none until set), since now.
    pub fn set_agent_state(&self, agent: &str, state: AgentState) {
        let since_ms = now_ms(&self.state);
        lock(&self.state.hub.world)
            .agents
            .insert(agent.to_owned(), AgentStatus { state, since_ms });
    }

    /// Send a live event on a single user's subscription (`targetId` = that user) with its next
    /// `sequenceNumber`, which is returned. The mock's state follows the event (a call added,
    /// ended, moved; a resync's queue; monitoring, configuration, agent state), so a later
    /// initial event or queue fetch agrees with it. Panics for a collection: use
    /// [`MockXsp::send_about`].
    pub fn send(&self, subscription_id: &str, data: EventData) -> u32 {
        let user = self
            .subscriptions()
            .into_iter()
            .find(|s| s.id == subscription_id)
            .and_then(|s| s.user().map(str::to_owned))
            .unwrap_or_else(|| {
                panic!("mock XSP: {subscription_id} is no user subscription; use send_about")
            });
        self.send_about(subscription_id, &user, data)
    }

    /// [`MockXsp::send`] about `target_id`: for collection subscriptions, whose events name the
    /// call center (or agent) they concern.
    pub fn send_about(&self, subscription_id: &str, target_id: &str, data: EventData) -> u32 {
        let now = now_ms(&self.state);
        let sequence = {
            let mut world = lock(&self.state.hub.world);
            let data = world.apply(target_id, data, now);
            enqueue(
                world.subscription(subscription_id),
                Some(target_id),
                data,
                false,
            )
        };
        self.state.changed.notify_waiters();
        sequence
    }

    /// Spend the subscription's next `sequenceNumber` on an event that never arrives (lost on
    /// the way); returns the number lost.
    pub fn lose(&self, subscription_id: &str) -> u32 {
        let mut world = lock(&self.state.hub.world);
        let granted = world.subscription(subscription_id);
        granted.info.last_sequence = next_sequence(granted.info.last_sequence);
        granted.info.last_sequence
    }

    /// Make `next` the subscription's next `sequenceNumber` (to test the wrap after
    /// 2147483647).
    pub fn set_next_sequence(&self, subscription_id: &str, next: u32) {
        let mut world = lock(&self.state.hub.world);
        world.subscription(subscription_id).info.last_sequence =
            if next <= 1 { MAX_SEQUENCE } else { next - 1 };
    }

    /// End the subscription from the XSP's side: a `SubscriptionTerminatedEvent`, then nothing
    /// more. Returns its number.
    pub fn terminate(&self, subscription_id: &str) -> u32 {
        let sequence = {
            let mut world = lock(&self.state.hub.world);
            let granted = world.subscription(subscription_id);
            let target = granted.info.user().map(str::to_owned);
            let sequence = enqueue(
                granted,
                target.as_deref(),
                EventData::SubscriptionTerminated,
                false,
            );
            granted.end(Ended::Terminated);
            sequence
        };
        self.state.changed.notify_waiters();
        sequence
    }

    /// Every event sent so far with its outcome, in the order the outcomes came.
    pub fn deliveries(&self) -> Vec<Delivered> {
        lock(&self.state.hub.deliveries).clone()
    }

    /// The events of one subscription, in order.
    pub fn deliveries_for(&self, subscription_id: &str) -> Vec<Delivered> {
        self.deliveries()
            .into_iter()
            .filter(|d| d.subscription_id == subscription_id)
            .collect()
    }

    /// Wait until the deliveries so far satisfy `done`; panics after a generous bound.
    pub async fn wait_for_deliveries(
        &self,
        what: &str,
        done: impl Fn(&[Delivered]) -> bool,
    ) -> Vec<Delivered> {
        self.wait_for_state(what, || {
            let deliveries = self.deliveries();
            done(&deliveries).then_some(deliveries)
        })
        .await
    }

    /// Hold every event from now on (an XSP that stalls); [`MockXsp::resume_deliveries`] sends
    /// them, each subscription's in order.
    pub fn pause_deliveries(&self) {
        self.state.hub.paused.send_replace(true);
    }

    pub fn resume_deliveries(&self) {
        self.state.hub.paused.send_replace(false);
    }

    /// POST events for the contact `named` to `to` instead (a port forward between the XSP and
    /// the wallboard): the subscription and the events keep naming `named`. For a wallboard
    /// whose port is known only once it listens.
    pub fn route_contact(&self, named: &str, to: &str) {
        lock(&self.state.hub.routes).insert(named.to_owned(), to.to_owned());
    }

    /// Wait until `probe` finds something; panics after a generous bound.
    async fn wait_for_state<T>(&self, what: &str, probe: impl Fn() -> Option<T>) -> T {
        let wait = async {
            loop {
                let changed = self.state.changed.notified();
                tokio::pin!(changed);
                changed.as_mut().enable();
                if let Some(found) = probe() {
                    return found;
                }
                changed.await;
            }
        };
        match tokio::time::timeout(PATIENCE, wait).await {
            Ok(found) => found,
            Err(tokio::time::error::Elapsed { .. }) => panic!(
                "mock XSP: gave up waiting for {what}; subscriptions {:#?}, deliveries {:#?}",
                self.subscriptions(),
                self.deliveries()
            ),
        }
    }
}
