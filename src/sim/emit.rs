//! The demo's events as BroadWorks addresses them: each on its subscription, numbered by that
//! subscription's own `sequenceNumber` counter whatever the event's type, so that a board
//! checking every number sees no gap.

use std::sync::Arc;

use rand::Rng;
use rand::rngs::StdRng;

use crate::xsi::{
    AgentEvent, AgentEventKind, AgentJoin, AgentJoins, CallEvent, CallEventKind,
    ConfigurationEvent, ConfigurationKind, Envelope, Event, EventData, QueueEntry, QueueSnapshot,
    SubscriptionEvent,
};

use super::cast::{APPLICATION_ID, SUPERVISOR};
use super::model::Model;

impl Model {
    pub(super) fn emit_call(
        &mut self,
        c: usize,
        kind: CallEventKind,
        entry: QueueEntry,
        position: Option<u32>,
        overflow_reason: Option<Arc<str>>,
    ) {
        self.emit_queue(
            c,
            EventData::Call(CallEvent {
                kind,
                entry,
                position,
                overflow_reason,
            }),
        );
    }

    /// `ACDSubscriptionEvent`: every call now queued, in serving order.
    pub(super) fn emit_snapshot(&mut self, c: usize) {
        let entries = self.centers[c]
            .queue
            .iter()
            .map(|q| q.entry.clone())
            .collect();
        self.emit_queue(
            c,
            EventData::QueueSnapshot(QueueSnapshot {
                resync: false,
                entries,
            }),
        );
    }

    /// An event on the call center's "Call Center Queue" subscription.
    pub(super) fn emit_queue(&mut self, c: usize, data: EventData) {
        let event_id = uuid(&mut self.rng);
        let center = &mut self.centers[c];
        let sequence = center.subscriptions.queue.next_sequence();
        let subscription_id = center.subscriptions.queue.id.clone();
        let target = center.target_id.clone();
        self.push(target, event_id, sequence, subscription_id, data);
    }

    /// `CallCenterMonitoringEvent` on the "Call Center Monitoring" subscription, its agent
    /// counts remembered so that the next change is noticed.
    pub(super) fn emit_monitoring(&mut self, c: usize, at: i64) {
        let event_id = uuid(&mut self.rng);
        let counts = self.agent_counts(c);
        let center = &mut self.centers[c];
        center.counts_sent = Some(counts);
        let data = EventData::Monitoring(center.monitoring(at, counts));
        let sequence = center.subscriptions.monitoring.next_sequence();
        let subscription_id = center.subscriptions.monitoring.id.clone();
        let target = center.target_id.clone();
        self.push(target, event_id, sequence, subscription_id, data);
    }

    /// `ACDConfigurationSubscriptionEvent`: the whole configuration, every service said.
    pub(super) fn emit_configuration(&mut self, c: usize) {
        let event_id = uuid(&mut self.rng);
        let center = &mut self.centers[c];
        let data = EventData::Configuration(ConfigurationEvent {
            kind: ConfigurationKind::Subscription,
            forced_forwarding: Some(false),
            holiday_service: Some(false),
            night_service: Some(center.spec.night_service),
            // On its schedule, not forced by hand.
            force_night_service: Some(false),
        });
        let sequence = center.subscriptions.configuration.next_sequence();
        let subscription_id = center.subscriptions.configuration.id.clone();
        let target = center.target_id.clone();
        self.push(target, event_id, sequence, subscription_id, data);
    }

    /// The agent's reported state on the agent's own subscription (the "Call Center Agent"
    /// package is subscribed per agent user); the initial `AgentSubscriptionEvent` also lists
    /// the call centers the agent is joined to.
    pub(super) fn emit_agent(&mut self, a: usize, kind: AgentEventKind) {
        let event_id = uuid(&mut self.agent_rng);
        let joins = (kind == AgentEventKind::Subscription).then(|| {
            AgentJoins::All(
                self.agents[a]
                    .centers
                    .iter()
                    .map(|&c| AgentJoin {
                        call_center: self.centers[c].target_id.clone(),
                        joined: true,
                    })
                    .collect(),
            )
        });
        let agent = &mut self.agents[a];
        let data = EventData::Agent(AgentEvent {
            kind,
            type_name: kind.type_name().into(),
            state: Some(agent.reported),
            state_timestamp: Some(agent.reported_since_ms),
            unavailable_code: agent.unavailable_code.clone(),
            joins,
        });
        let sequence = agent.subscription.next_sequence();
        let subscription_id = agent.subscription.id.clone();
        let target = agent.user_id.clone();
        self.push(target, event_id, sequence, subscription_id, data);
    }

    fn push(
        &mut self,
        target: Arc<str>,
        event_id: Arc<str>,
        sequence: u32,
        subscription_id: Arc<str>,
        data: EventData,
    ) {
        let envelope = Envelope {
            event_id,
            sequence_number: Some(sequence),
            user_id: SUPERVISOR.into(),
            external_application_id: APPLICATION_ID.into(),
            subscription_id,
            channel_id: None,
            http_contact: Some(self.http_contact.clone()),
            target_id: Some(target),
        };
        self.out
            .push(Event::Subscription(SubscriptionEvent { envelope, data }));
    }
}

/// A version-4-shaped UUID from the seeded RNG (BroadWorks' `eventID` and subscription ids).
pub(super) fn uuid(rng: &mut StdRng) -> Arc<str> {
    let bits: u128 = rng.random();
    let bits = (bits & !(0xf << 76) | (0x4 << 76)) & !(0x3 << 62) | (0x2 << 62);
    format!(
        "{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
        bits >> 96,
        (bits >> 80) & 0xffff,
        (bits >> 64) & 0xffff,
        (bits >> 48) & 0xffff,
        bits & 0xffff_ffff_ffff
    )
    .into()
}
