//! What the mock XSP knows of each call center (its queue, monitoring figures and services) and
//! of each agent, kept in step with the events a test sends, so that a later initial event or
//! queue fetch agrees with them; and the `Call` builder tests describe calls with.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use xsi_wallboard::xsi::{
    AgentState, CallEvent, CallEventKind, EventData, MonitoredValue, MonitoringStatus, QueueEntry,
    RemoteParty,
};

/// `extTrackingId`s for calls a test did not give one.
static TRACKING_IDS: AtomicU32 = AtomicU32::new(0);

/// A call center's services, as `ACDConfigurationSubscriptionEvent` reports them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[expect(
    clippy::struct_excessive_bools,
    reason = "one flag per element of the schema's event"
)]
pub struct CallCenterMode {
    pub forced_forwarding: bool,
    pub holiday_service: bool,
    pub night_service: bool,
    pub force_night_service: bool,
}

/// A call for a queue or an event; what a test leaves out the mock fills in as an XSP would
/// (`addTime` now, `extTrackingId`, `acdName` and `acdNumber` of the call center, and for an
/// event about a call it holds, whatever it knows of that call).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Call(QueueEntry);

impl Call {
    pub fn new(call_id: &str) -> Call {
        Call(QueueEntry {
            call_id: Arc::from(call_id),
            ..QueueEntry::default()
        })
    }

    pub fn caller(mut self, name: &str, address: &str) -> Call {
        self.0.remote_party.name = Some(Arc::from(name));
        self.0.remote_party.address = Some(Arc::from(address));
        self
    }

    /// `addTime`, epoch milliseconds on the XSP's clock.
    pub fn added_at(mut self, epoch_ms: i64) -> Call {
        self.0.add_time = Some(epoch_ms);
        self
    }

    /// 0 (`0-Highest`) .. 3 (`3-Low`).
    pub fn priority(mut self, priority: u8) -> Call {
        self.0.acd_priority = Some(priority);
        self
    }

    /// The DNIS the call came in on (`acdName`, `acdNumber`).
    pub fn acd(mut self, name: &str, number: &str) -> Call {
        self.0.acd_name = Some(Arc::from(name));
        self.0.acd_number = Some(Arc::from(number));
        self
    }

    /// `answeringUserId`: the agent who took it.
    pub fn answered_by(mut self, agent: &str) -> Call {
        self.0.answering_user_id = Some(Arc::from(agent));
        self
    }

    pub fn entry(self) -> QueueEntry {
        self.0
    }

    /// The Call Center Queue event of `kind` about this call, for `MockXsp::send`; the mock
    /// fills in `position` where the schema asks for one.
    pub fn event(self, kind: CallEventKind) -> EventData {
        EventData::Call(CallEvent {
            kind,
            entry: self.0,
            position: None,
            overflow_reason: (kind == CallEventKind::Overflowed).then(|| Arc::from("time")),
        })
    }
}

#[derive(Debug, Default)]
pub(super) struct CallCenter {
    /// In queue order (position 1 first).
    pub(super) queue: Vec<QueueEntry>,
    /// `None`: derived from the queue.
    pub(super) monitoring: Option<MonitoringStatus>,
    pub(super) mode: CallCenterMode,
}

#[derive(Debug, Clone, Copy)]
pub(super) struct AgentStatus {
    pub(super) state: AgentState,
    pub(super) since_ms: i64,
}

impl CallCenter {
    /// What an event about this call center changes, and the event completed as the XSP would
    /// send it.
    pub(super) fn apply(&mut self, id: &str, data: EventData, now: i64) -> EventData {
        match data {
            EventData::Call(call) => EventData::Call(self.apply_call(id, call, now)),
            EventData::QueueSnapshot(mut snapshot) => {
                // A resync says what the queue is.
                for entry in &mut snapshot.entries {
                    complete(entry, id, now);
                }
                self.queue.clone_from(&snapshot.entries);
                EventData::QueueSnapshot(snapshot)
            }
            EventData::Monitoring(status) => {
                self.monitoring = Some(status);
                EventData::Monitoring(status)
            }
            EventData::Configuration(event) => {
                let mode = &mut self.mode;
                mode.forced_forwarding = event.forced_forwarding.unwrap_or(mode.forced_forwarding);
                mode.holiday_service = event.holiday_service.unwrap_or(mode.holiday_service);
                mode.night_service = event.night_service.unwrap_or(mode.night_service);
                mode.force_night_service = event
                    .force_night_service
                    .unwrap_or(mode.force_night_service);
                EventData::Configuration(event)
            }
            other => other,
        }
    }

    fn apply_call(&mut self, id: &str, mut call: CallEvent, now: i64) -> CallEvent {
        let known = self
            .queue
            .iter()
            .position(|e| e.call_id == call.entry.call_id);
        if let Some(index) = known {
            fill_from(&mut call.entry, &self.queue[index]);
        }
        complete(&mut call.entry, id, now);
        // `position` is 1-based, sent with Added, Bounced, Promoted and Reordered.
        let place = |queue: &Vec<QueueEntry>, position: Option<u32>, default: usize| {
            position
                .map_or(default, |p| (p as usize).saturating_sub(1))
                .min(queue.len())
        };
        match call.kind {
            CallEventKind::Added => {
                if let Some(index) = known {
                    self.queue.remove(index);
                }
                let at = place(&self.queue, call.position, self.queue.len());
                self.queue.insert(at, call.entry.clone());
                call.position = Some(at as u32 + 1);
            }
            kind if kind.ends_call() => {
                if let Some(index) = known {
                    self.queue.remove(index);
                }
                call.entry.remove_time.get_or_insert(now);
            }
            kind => {
                call.entry.bounced |= kind == CallEventKind::Bounced;
                call.entry.reordered |= kind == CallEventKind::Reordered;
                if let Some(index) = known {
                    self.queue.remove(index);
                    let at = place(&self.queue, call.position, index);
                    self.queue.insert(at, call.entry.clone());
                    if matches!(
                        kind,
                        CallEventKind::Bounced | CallEventKind::Promoted | CallEventKind::Reordered
                    ) {
                        call.position = Some(at as u32 + 1);
                    }
                } else if matches!(
                    kind,
                    CallEventKind::Bounced | CallEventKind::Promoted | CallEventKind::Reordered
                ) {
                    call.position.get_or_insert(1);
                }
            }
        }
        call
    }

    /// Sent after subscribe and refresh; what a test set, or the queue's own figures.
    pub(super) fn monitoring(&self, now: i64, assigned: usize) -> MonitoringStatus {
        self.monitoring.unwrap_or_else(|| {
            let longest_ms = self
                .queue
                .iter()
                .filter_map(|e| e.add_time)
                .map(|added| now - added)
                .max()
                .unwrap_or(0);
            let value = |value: i64| {
                Some(MonitoredValue {
                    value,
                    ..MonitoredValue::default()
                })
            };
            MonitoringStatus {
                average_speed_of_answer: value(0),
                longest_wait_time: value(longest_ms.max(0) / 1000),
                num_calls_in_queue: value(self.queue.len() as i64),
                num_agents_assigned: Some(assigned as i64),
                num_agents_staffed: Some(0),
                num_staffed_agents_idle: Some(0),
                num_staffed_agents_unavailable: Some(0),
                ..MonitoringStatus::default()
            }
        })
    }
}

/// An event about a call the XSP holds says all the XSP knows of it: fields the test left out
/// come from the queue.
fn fill_from(entry: &mut QueueEntry, known: &QueueEntry) {
    if entry.ext_tracking_id.is_empty() {
        entry.ext_tracking_id.clone_from(&known.ext_tracking_id);
    }
    if entry.remote_party == RemoteParty::default() {
        entry.remote_party.clone_from(&known.remote_party);
    }
    entry.add_time = entry.add_time.or(known.add_time);
    entry.mandatory_entrance |= known.mandatory_entrance;
    entry.bounced |= known.bounced;
    entry.reordered |= known.reordered;
    entry.preserved_wait_secs = entry.preserved_wait_secs.or(known.preserved_wait_secs);
    entry.acd_name = entry.acd_name.take().or_else(|| known.acd_name.clone());
    entry.acd_number = entry.acd_number.take().or_else(|| known.acd_number.clone());
    entry.acd_priority = entry.acd_priority.or(known.acd_priority);
    entry.add_time_in_priority_bucket = entry
        .add_time_in_priority_bucket
        .or(known.add_time_in_priority_bucket);
    entry.answering_user_id = entry
        .answering_user_id
        .take()
        .or_else(|| known.answering_user_id.clone());
    entry.answering_call_id = entry
        .answering_call_id
        .take()
        .or_else(|| known.answering_call_id.clone());
}

/// What the schema requires of a queue entry and the test did not say: `extTrackingId`,
/// `addTime` (now), `acdName` (the call center's local part) and `acdNumber`.
pub(super) fn complete(entry: &mut QueueEntry, call_center: &str, now: i64) {
    if entry.ext_tracking_id.is_empty() {
        let n = TRACKING_IDS.fetch_add(1, Ordering::SeqCst) + 1;
        entry.ext_tracking_id = Arc::from(format!("{n}:1"));
    }
    entry.add_time.get_or_insert(now);
    if entry.acd_name.is_none() {
        let name = call_center.split('@').next().unwrap_or(call_center);
        entry.acd_name = Some(Arc::from(name));
    }
    if entry.acd_number.is_none() {
        entry.acd_number = Some(Arc::from("tel:+15550100"));
    }
}
