//! Owned, typed XSI events: what the parser produces and the board consumes.
//!
//! Nothing here knows about XML or HTTP; the types follow the names of the XSI schema
//! (`xsd/Events/XSISubscription.xsd`, `xsd/ACD/Events/XSIACDEvents.xsd`) so a reader can look
//! each field up in the specification.

use std::sync::Arc;

/// One `<xsi:Event>` document, by its top-level `xsi:type`.
#[derive(Debug, Clone, PartialEq)]
#[expect(
    clippy::large_enum_variant,
    reason = "nearly every event is a SubscriptionEvent, moved once from parser to applier: \
              boxing it would add an allocation per event and save nothing"
)]
pub enum Event {
    /// `SubscriptionEvent`: the normal case, an envelope around one `eventData`.
    Subscription(SubscriptionEvent),
    /// `ChannelTerminatedEvent` (event channel mode): the channel is gone.
    ChannelTerminated(ChannelTerminated),
    /// `ErrorEvent` (event channel mode).
    Error(ErrorEvent),
}

/// The envelope fields of a `SubscriptionEvent`, in schema order.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Envelope {
    pub event_id: Arc<str>,
    /// Per subscription, from 1; wraps after 2147483647.
    pub sequence_number: Option<u32>,
    /// The subscription's owner (often an admin or supervisor, not the call center).
    pub user_id: Arc<str>,
    pub external_application_id: Arc<str>,
    pub subscription_id: Arc<str>,
    /// Set in event channel mode.
    pub channel_id: Option<Arc<str>>,
    /// Set in HTTP contact mode (`httpContact/uri`).
    pub http_contact: Option<Arc<str>>,
    /// The monitored user: for queue events, the call center.
    pub target_id: Option<Arc<str>>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SubscriptionEvent {
    pub envelope: Envelope,
    pub data: EventData,
}

/// `eventData`, by its `xsi:type` (local name, resolved through the `QName`'s prefix).
#[derive(Debug, Clone, PartialEq)]
pub enum EventData {
    /// `ACDSubscriptionEvent` (initial state) or `ACDSubscriptionResyncEvent`: replace the queue.
    QueueSnapshot(QueueSnapshot),
    /// A Call Center Queue event about one call that carries a `queueEntry`.
    Call(CallEvent),
    /// A call that never entered the queue (forced forwarding, night or holiday policy).
    NotQueued(NotQueued),
    /// `...TreatmentCompletedEvent` (both spellings): an announcement after the call left; no
    /// queue change. Holds the type's local name.
    TreatmentCompleted(Arc<str>),
    /// `CallCenterMonitoringEvent` (both wire shapes).
    Monitoring(MonitoringStatus),
    /// "Call Center Configuration" package: a mode switch of the call center.
    Configuration(ConfigurationEvent),
    /// Call Center Agent package.
    Agent(AgentEvent),
    /// `SubscriptionTerminatedEvent`: the subscription is gone; subscribe again.
    SubscriptionTerminated,
    /// A well-formed event of a type this build does not handle: counted and logged, never fatal.
    Unknown(Arc<str>),
}

impl EventData {
    /// The short name used in logs and counters.
    pub fn type_name(&self) -> &str {
        match self {
            EventData::QueueSnapshot(s) if s.resync => "ACDSubscriptionResyncEvent",
            EventData::QueueSnapshot(_) => "ACDSubscriptionEvent",
            EventData::Call(c) => c.kind.type_name(),
            EventData::NotQueued(n) => n.kind.type_name(),
            EventData::TreatmentCompleted(name) | EventData::Unknown(name) => name,
            EventData::Monitoring(_) => "CallCenterMonitoringEvent",
            EventData::Configuration(c) => c.kind.type_name(),
            EventData::Agent(a) => a.kind.type_name(),
            EventData::SubscriptionTerminated => "SubscriptionTerminatedEvent",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct QueueSnapshot {
    /// True for `ACDSubscriptionResyncEvent` (BroadWorks knows updates were lost).
    pub resync: bool,
    /// In the order BroadWorks listed them.
    pub entries: Vec<QueueEntry>,
}

/// The Call Center Queue events that carry one `queueEntry`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CallEventKind {
    Added,
    OfferedToAgent,
    Bounced,
    Updated,
    Promoted,
    Reordered,
    WhisperStarted,
    AnsweredByAgent,
    Abandoned,
    Released,
    Transferred,
    Stranded,
    StrandedUnavailable,
    Overflowed,
    Escaped,
}

impl CallEventKind {
    pub const ALL: [CallEventKind; 15] = [
        CallEventKind::Added,
        CallEventKind::OfferedToAgent,
        CallEventKind::Bounced,
        CallEventKind::Updated,
        CallEventKind::Promoted,
        CallEventKind::Reordered,
        CallEventKind::WhisperStarted,
        CallEventKind::AnsweredByAgent,
        CallEventKind::Abandoned,
        CallEventKind::Released,
        CallEventKind::Transferred,
        CallEventKind::Stranded,
        CallEventKind::StrandedUnavailable,
        CallEventKind::Overflowed,
        CallEventKind::Escaped,
    ];

    /// The schema's `xsi:type` local name.
    pub fn type_name(self) -> &'static str {
        match self {
            CallEventKind::Added => "ACDCallAddedEvent",
            CallEventKind::OfferedToAgent => "ACDCallOfferedToAgentEvent",
            CallEventKind::Bounced => "ACDCallBouncedEvent",
            CallEventKind::Updated => "ACDCallUpdatedEvent",
            CallEventKind::Promoted => "ACDCallPromotedEvent",
            CallEventKind::Reordered => "ACDCallReorderedEvent",
            CallEventKind::WhisperStarted => "ACDWhisperStartedEvent",
            CallEventKind::AnsweredByAgent => "ACDCallAnsweredByAgentEvent",
            CallEventKind::Abandoned => "ACDCallAbandonedEvent",
            CallEventKind::Released => "ACDCallReleasedEvent",
            CallEventKind::Transferred => "ACDCallTransferredEvent",
            CallEventKind::Stranded => "ACDCallStrandedEvent",
            CallEventKind::StrandedUnavailable => "ACDCallStrandedUnavailableEvent",
            CallEventKind::Overflowed => "ACDCallOverflowedEvent",
            CallEventKind::Escaped => "ACDCallEscapedEvent",
        }
    }

    pub fn from_type_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.type_name() == name)
    }

    /// Does this event take the call out of the waiting list for good?
    pub fn ends_call(self) -> bool {
        matches!(
            self,
            CallEventKind::WhisperStarted
                | CallEventKind::AnsweredByAgent
                | CallEventKind::Abandoned
                | CallEventKind::Released
                | CallEventKind::Transferred
                | CallEventKind::Stranded
                | CallEventKind::StrandedUnavailable
                | CallEventKind::Overflowed
                | CallEventKind::Escaped
        )
    }
}

/// A Call Center Queue event about one queued call.
#[derive(Debug, Clone, PartialEq)]
pub struct CallEvent {
    pub kind: CallEventKind,
    pub entry: QueueEntry,
    /// 1-based; a sibling of `queueEntry`, sent with Added, Bounced, Promoted and Reordered.
    pub position: Option<u32>,
    /// `ACDCallOverflowedEvent/overflowReason` (`size` or `time`).
    pub overflow_reason: Option<Arc<str>>,
}

/// `ACDQueueEntry`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct QueueEntry {
    pub call_id: Arc<str>,
    pub ext_tracking_id: Arc<str>,
    pub remote_party: RemoteParty,
    /// Epoch milliseconds, the XSP's clock. "Only present if the call has been added to the
    /// queue" (`XSIACD.xsd`): an `ACDCallOverflowedEvent` for `size` (queue full) has none.
    pub add_time: Option<i64>,
    pub remove_time: Option<i64>,
    pub mandatory_entrance: bool,
    pub bounced: bool,
    pub reordered: bool,
    /// `preservedWaitTime`: what the caller already waited in earlier queues before being
    /// transferred here. The schema gives no unit; the specification's examples are small
    /// integers, read as seconds.
    pub preserved_wait_secs: Option<u32>,
    pub acd_name: Option<Arc<str>>,
    pub acd_number: Option<Arc<str>>,
    /// 0 (highest) .. 3 (low), from `0-Highest` .. `3-Low`.
    pub acd_priority: Option<u8>,
    pub add_time_in_priority_bucket: Option<i64>,
    pub answering_user_id: Option<Arc<str>>,
    pub answering_call_id: Option<Arc<str>>,
}

/// `PartyInformation` (the caller).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RemoteParty {
    pub name: Option<Arc<str>>,
    /// e.g. `tel:+15007003333`.
    pub address: Option<Arc<str>>,
    pub user_id: Option<Arc<str>>,
    pub user_dn: Option<Arc<str>>,
    /// `privacy` present: the caller asked not to be identified.
    pub privacy: bool,
    pub call_type: Option<Arc<str>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NotQueuedKind {
    /// `ACDCallForwardedEvent` (forced forwarding).
    Forwarded,
    NightPolicyApplied,
    HolidayPolicyApplied,
}

impl NotQueuedKind {
    pub fn type_name(self) -> &'static str {
        match self {
            NotQueuedKind::Forwarded => "ACDCallForwardedEvent",
            NotQueuedKind::NightPolicyApplied => "ACDNightPolicyAppliedEvent",
            NotQueuedKind::HolidayPolicyApplied => "ACDHolidayPolicyAppliedEvent",
        }
    }
}

/// A call that reached the call center but never queued (flat fields, no `queueEntry`).
#[derive(Debug, Clone, PartialEq)]
pub struct NotQueued {
    pub kind: NotQueuedKind,
    pub call_id: Arc<str>,
    pub ext_tracking_id: Arc<str>,
    pub acd_name: Option<Arc<str>>,
    /// Required by the schema; kept so a written event validates.
    pub acd_number: Option<Arc<str>>,
    pub remote_party: RemoteParty,
    /// `redirect/address`, where the call was sent.
    pub redirect_address: Option<Arc<str>>,
}

/// One statistic of `monitoringStatus`: a bare integer on older servers, or
/// `<value>`, `severity?`, `prevSeverity?`, `threshold?` on newer ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct MonitoredValue {
    pub value: i64,
    pub severity: Option<u8>,
    pub prev_severity: Option<u8>,
    pub threshold: Option<i64>,
}

/// `CallCenterMonitoringEvent/monitoringStatus` (times in seconds).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct MonitoringStatus {
    pub average_handling_time: Option<MonitoredValue>,
    pub expected_wait_time: Option<MonitoredValue>,
    pub average_speed_of_answer: Option<MonitoredValue>,
    pub longest_wait_time: Option<MonitoredValue>,
    pub num_calls_in_queue: Option<MonitoredValue>,
    pub num_agents_assigned: Option<i64>,
    pub num_agents_staffed: Option<i64>,
    pub num_staffed_agents_idle: Option<i64>,
    pub num_staffed_agents_unavailable: Option<i64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ConfigurationKind {
    /// `ACDConfigurationSubscriptionEvent` (initial state; flags below may all be set).
    Subscription,
    ForcedForwarding,
    HolidayService,
    NightService,
}

impl ConfigurationKind {
    pub fn type_name(self) -> &'static str {
        match self {
            ConfigurationKind::Subscription => "ACDConfigurationSubscriptionEvent",
            ConfigurationKind::ForcedForwarding => "ACDForcedForwardingEvent",
            ConfigurationKind::HolidayService => "ACDHolidayServiceEvent",
            ConfigurationKind::NightService => "ACDNightServiceEvent",
        }
    }
}

/// Call Center Configuration package: which services are active.
///
/// `ACDConfigurationSubscriptionEvent` is the whole state: every field is `Some` (a service
/// whose element is absent is off). A per-service event says only its own service (and the
/// night service event also `forceNightService`); the others are `None`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigurationEvent {
    pub kind: ConfigurationKind,
    pub forced_forwarding: Option<bool>,
    pub holiday_service: Option<bool>,
    pub night_service: Option<bool>,
    /// `forceNightService`: night service switched on by hand, overriding its schedule.
    pub force_night_service: Option<bool>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AgentEventKind {
    /// `AgentStateEvent`.
    State,
    /// `AgentSubscriptionEvent` (initial).
    Subscription,
    /// `ACDAgentJoinUpdateEvent`.
    JoinUpdate,
    /// Any other agent event the board does not act on (e.g. `AgentDispositionCodeAddedEvent`,
    /// `CallCenterAgentMonitoringEvent`); holds no state change.
    Other,
}

impl AgentEventKind {
    pub fn type_name(self) -> &'static str {
        match self {
            AgentEventKind::State => "AgentStateEvent",
            AgentEventKind::Subscription => "AgentSubscriptionEvent",
            AgentEventKind::JoinUpdate => "ACDAgentJoinUpdateEvent",
            AgentEventKind::Other => "AgentEvent",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AgentState {
    SignIn,
    Available,
    Unavailable,
    WrapUp,
    SignOut,
}

impl AgentState {
    /// The schema's spelling (`Sign-In`, `Wrap-Up`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            AgentState::SignIn => "Sign-In",
            AgentState::Available => "Available",
            AgentState::Unavailable => "Unavailable",
            AgentState::WrapUp => "Wrap-Up",
            AgentState::SignOut => "Sign-Out",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "Sign-In" => Some(AgentState::SignIn),
            "Available" => Some(AgentState::Available),
            "Unavailable" => Some(AgentState::Unavailable),
            "Wrap-Up" => Some(AgentState::WrapUp),
            "Sign-Out" => Some(AgentState::SignOut),
            _ => None,
        }
    }
}

/// Call Center Agent package events; the agent is the envelope's `targetId`.
#[derive(Debug, Clone, PartialEq)]
pub struct AgentEvent {
    pub kind: AgentEventKind,
    /// The type's local name as received (for `Other`).
    pub type_name: Arc<str>,
    pub state: Option<AgentState>,
    /// Epoch milliseconds of the last state change (`stateTimestamp`, either shape).
    pub state_timestamp: Option<i64>,
    pub unavailable_code: Option<Arc<str>>,
    /// What the event says of the call centers the agent belongs to; `None` for events that
    /// say nothing of them (`AgentStateEvent`).
    pub joins: Option<AgentJoins>,
}

/// The call centers of an agent, as the Call Center Agent package reports them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AgentJoins {
    /// `AgentSubscriptionEvent`: every call center the agent belongs to, joined or not (an
    /// empty list: none).
    All(Vec<AgentJoin>),
    /// `ACDAgentJoinUpdateEvent` with a `joinInfo`: this one call center was joined or left (or
    /// its skill level changed); the others are as they were.
    One(AgentJoin),
    /// `ACDAgentJoinUpdateEvent` without `ccAgentJoinUpdateData` (or without its `joinInfo`):
    /// the agent's call center service was unassigned, so it belongs to none.
    Unassigned,
}

/// `ACDAgentJoinInfo`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentJoin {
    pub call_center: Arc<str>,
    /// `joined` present: the agent has joined this call center (not only belongs to it).
    pub joined: bool,
}

/// `ChannelTerminatedEvent`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChannelTerminated {
    pub channel_id: Arc<str>,
    /// `DuplicateChannelSet`, `Expired`, ..., or one the schema does not list
    /// (`MaxChannelsReached`): kept as received.
    pub reason: Arc<str>,
}

/// `ErrorEvent` (event channel mode).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrorEvent {
    pub channel_id: Option<Arc<str>>,
    pub error_code: Option<Arc<str>>,
    pub error_message: Arc<str>,
}
