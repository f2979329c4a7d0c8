//! Typed events back to XSI XML, as an XSP sends them (used by the simulator, the load tool
//! and the tests).
//!
//! Elements follow the schema's order, so a written event of a type the schema knows validates
//! against `xsd/XSISchema.xsd` when the event holds what the schema requires (`acdName`,
//! `acdNumber`, `position` on Added/Promoted/Reordered, `overflowReason` on Overflowed, ...).
//! Optional values are written when set, whatever the type: `parse_event(write_event(e)) == e`.
//! What the typed events do not keep is filled in as a real XSP would send it:
//! `ACDCallTransferredEvent` gets `redirect` (reason `transfer`, at `removeTime`), and a call
//! that never queued gets `redirect` reason `deflection` at time 0 when it has an address.
//! Types whose content is not kept (treatment completed, `AgentEventKind::Other`, `Unknown`)
//! are written with an empty `eventData`.

use std::fmt::Write as _;

use super::escape::escape;
use super::{
    AgentEvent, AgentEventKind, AgentJoin, AgentJoins, CallEvent, CallEventKind, ChannelTerminated,
    ConfigurationEvent, ConfigurationKind, Envelope, ErrorEvent, Event, EventData, MonitoredValue,
    MonitoringStatus, NotQueued, QueueEntry, RemoteParty, XSI_INSTANCE_NS, XSI_NS,
};

/// One `<xsi:Event>` document with the XML declaration, prefixes `xsi` (XSI) and `xsi1`
/// (instance), as BroadWorks writes them.
pub fn write_event(event: &Event) -> String {
    match event {
        Event::Subscription(s) => write_queue_event(&s.envelope, &s.data),
        Event::ChannelTerminated(c) => channel_terminated(c),
        Event::Error(e) => error_event(e),
    }
}

/// A `SubscriptionEvent` document from its parts, without building an [`Event`] (the simulator
/// and the load tool keep an envelope and vary the data). Any `eventData`, not only queue ones.
pub fn write_queue_event(envelope: &Envelope, data: &EventData) -> String {
    let mut xml = Xml::root("SubscriptionEvent");
    xml.leaf("eventID", &envelope.event_id);
    if let Some(n) = envelope.sequence_number {
        xml.number("sequenceNumber", n);
    }
    xml.leaf("userId", &envelope.user_id);
    xml.leaf("externalApplicationId", &envelope.external_application_id);
    xml.leaf("subscriptionId", &envelope.subscription_id);
    xml.leaf_opt("channelId", envelope.channel_id.as_deref());
    if let Some(uri) = &envelope.http_contact {
        xml.open("httpContact");
        xml.leaf("uri", uri);
        xml.close("httpContact");
    }
    xml.leaf_opt("targetId", envelope.target_id.as_deref());
    event_data(&mut xml, data);
    xml.finish()
}

fn channel_terminated(event: &ChannelTerminated) -> String {
    let mut xml = Xml::root("ChannelTerminatedEvent");
    xml.leaf("channelId", &event.channel_id);
    xml.leaf("reason", &event.reason);
    xml.finish()
}

fn error_event(event: &ErrorEvent) -> String {
    let mut xml = Xml::root("ErrorEvent");
    // Not in the 2017 schema's ErrorEvent, but the channel is what a reader wants to know.
    xml.leaf_opt("channelId", event.channel_id.as_deref());
    xml.leaf_opt("errorCode", event.error_code.as_deref());
    xml.leaf("errorMessage", &event.error_message);
    xml.finish()
}

fn event_data(xml: &mut Xml, data: &EventData) {
    // An `Other` agent event's type is only in the event itself, not in its kind.
    let type_name = match data {
        EventData::Agent(agent) => &agent.type_name,
        data => data.type_name(),
    };
    xml.open_typed("eventData", type_name);
    match data {
        EventData::QueueSnapshot(snapshot) => {
            if !snapshot.entries.is_empty() {
                xml.open("queueEntries");
                for entry in &snapshot.entries {
                    queue_entry(xml, entry);
                }
                xml.close("queueEntries");
            }
        }
        EventData::Call(call) => call_event(xml, call),
        EventData::NotQueued(event) => not_queued(xml, event),
        EventData::Monitoring(status) => monitoring(xml, status),
        EventData::Configuration(event) => configuration(xml, event),
        EventData::Agent(event) => agent(xml, event),
        EventData::TreatmentCompleted(_)
        | EventData::SubscriptionTerminated
        | EventData::Unknown(_) => {}
    }
    xml.close("eventData");
}

fn call_event(xml: &mut Xml, call: &CallEvent) {
    queue_entry(xml, &call.entry);
    if let Some(position) = call.position {
        xml.number("position", position);
    }
    xml.leaf_opt("overflowReason", call.overflow_reason.as_deref());
    if call.kind == CallEventKind::Transferred {
        let at = call.entry.remove_time.or(call.entry.add_time).unwrap_or(0);
        redirect(xml, None, "transfer", at);
    }
}

fn redirect(xml: &mut Xml, address: Option<&str>, reason: &str, at: i64) {
    xml.open("redirect");
    xml.leaf_opt("address", address);
    xml.leaf("reason", reason);
    xml.number("redirectTime", at);
    xml.close("redirect");
}

fn queue_entry(xml: &mut Xml, entry: &QueueEntry) {
    xml.open("queueEntry");
    xml.leaf("callId", &entry.call_id);
    xml.leaf("extTrackingId", &entry.ext_tracking_id);
    remote_party(xml, &entry.remote_party);
    if let Some(t) = entry.add_time {
        xml.number("addTime", t);
    }
    if let Some(t) = entry.remove_time {
        xml.number("removeTime", t);
    }
    xml.flag("mandatoryEntrance", entry.mandatory_entrance);
    xml.flag("bounced", entry.bounced);
    xml.flag("reordered", entry.reordered);
    if let Some(secs) = entry.preserved_wait_secs {
        xml.number("preservedWaitTime", secs);
    }
    xml.leaf_opt("acdName", entry.acd_name.as_deref());
    xml.leaf_opt("acdNumber", entry.acd_number.as_deref());
    let priority = entry
        .acd_priority
        .and_then(super::request::acd_priority_name);
    xml.leaf_opt("acdPriority", priority);
    if let Some(t) = entry.add_time_in_priority_bucket {
        xml.number("addTimeInPriorityBucket", t);
    }
    xml.leaf_opt("answeringUserId", entry.answering_user_id.as_deref());
    xml.leaf_opt("answeringCallId", entry.answering_call_id.as_deref());
    xml.close("queueEntry");
}

fn remote_party(xml: &mut Xml, party: &RemoteParty) {
    xml.open("remoteParty");
    xml.leaf_opt("name", party.name.as_deref());
    xml.leaf_opt("address", party.address.as_deref());
    xml.leaf_opt("userId", party.user_id.as_deref());
    xml.leaf_opt("userDN", party.user_dn.as_deref());
    xml.flag("privacy", party.privacy);
    xml.leaf_opt("callType", party.call_type.as_deref());
    xml.close("remoteParty");
}

fn not_queued(xml: &mut Xml, event: &NotQueued) {
    xml.leaf("callId", &event.call_id);
    xml.leaf("extTrackingId", &event.ext_tracking_id);
    xml.leaf_opt("acdName", event.acd_name.as_deref());
    xml.leaf_opt("acdNumber", event.acd_number.as_deref());
    remote_party(xml, &event.remote_party);
    if let Some(address) = &event.redirect_address {
        redirect(xml, Some(address), "deflection", 0);
    }
}

fn monitoring(xml: &mut Xml, status: &MonitoringStatus) {
    xml.open("monitoringStatus");
    let statistics = [
        ("averageHandlingTime", status.average_handling_time),
        ("expectedWaitTime", status.expected_wait_time),
        ("averageSpeedOfAnswer", status.average_speed_of_answer),
        ("longestWaitTime", status.longest_wait_time),
        ("numCallsInQueue", status.num_calls_in_queue),
    ];
    for (name, stat) in statistics {
        if let Some(stat) = stat {
            with_severity(xml, name, stat);
        }
    }
    let counts = [
        ("numAgentsAssigned", status.num_agents_assigned),
        ("numAgentsStaffed", status.num_agents_staffed),
        ("numStaffedAgentsIdle", status.num_staffed_agents_idle),
        (
            "numStaffedAgentsUnavailable",
            status.num_staffed_agents_unavailable,
        ),
    ];
    for (name, count) in counts {
        if let Some(count) = count {
            xml.number(name, count);
        }
    }
    xml.close("monitoringStatus");
}

/// The newer wire shape (`NonNegativeIntWithSeverity`), the one the schema describes.
fn with_severity(xml: &mut Xml, name: &str, stat: MonitoredValue) {
    xml.open(name);
    xml.number("value", stat.value);
    if let Some(s) = stat.severity {
        xml.number("severity", s);
    }
    if let Some(s) = stat.prev_severity {
        xml.number("prevSeverity", s);
    }
    if let Some(t) = stat.threshold {
        xml.number("threshold", t);
    }
    xml.close(name);
}

fn configuration(xml: &mut Xml, event: &ConfigurationEvent) {
    let own = match event.kind {
        ConfigurationKind::Subscription => {
            // The whole state: an element for each service that is on, none for one that is off.
            let services = [
                ("forcedForwarding", event.forced_forwarding),
                ("holidayService", event.holiday_service),
                ("nightService", event.night_service),
            ];
            for (name, active) in services {
                if active == Some(true) {
                    xml.open(name);
                    xml.leaf("active", "true");
                    xml.close(name);
                }
            }
            xml.flag("forceNightService", event.force_night_service == Some(true));
            return;
        }
        ConfigurationKind::ForcedForwarding => event.forced_forwarding,
        ConfigurationKind::HolidayService => event.holiday_service,
        ConfigurationKind::NightService => event.night_service,
    };
    // R20.sp1 and later: `active` is `EmptyContent`, present when on.
    xml.flag("active", own == Some(true));
    if event.kind == ConfigurationKind::NightService {
        xml.flag("forceNightService", event.force_night_service == Some(true));
    }
}

fn agent(xml: &mut Xml, event: &AgentEvent) {
    match event.kind {
        AgentEventKind::State => state_info(xml, "agentStateInfo", event),
        AgentEventKind::Subscription => {
            xml.open("joinData");
            if let Some(AgentJoins::All(all)) = &event.joins
                && !all.is_empty()
            {
                xml.open("joinInfos");
                for join in all {
                    join_info(xml, join);
                }
                xml.close("joinInfos");
            }
            xml.close("joinData");
            if event.state.is_some() {
                state_info(xml, "stateInfo", event);
            }
        }
        AgentEventKind::JoinUpdate => {
            // The schema allows one `joinInfo` per update; none at all is an unassignment.
            if let Some(AgentJoins::One(join)) = &event.joins {
                xml.open("ccAgentJoinUpdateData");
                join_info(xml, join);
                xml.close("ccAgentJoinUpdateData");
            }
        }
        AgentEventKind::Other => {}
    }
}

fn state_info(xml: &mut Xml, element: &str, event: &AgentEvent) {
    xml.open(element);
    xml.leaf_opt("state", event.state.map(super::AgentState::as_str));
    if let Some(t) = event.state_timestamp {
        xml.open("stateTimestamp");
        xml.number("value", t);
        xml.close("stateTimestamp");
    }
    xml.leaf_opt("unavailableCode", event.unavailable_code.as_deref());
    xml.close(element);
}

fn join_info(xml: &mut Xml, join: &AgentJoin) {
    xml.open("joinInfo");
    xml.leaf("acdUserId", &join.call_center);
    xml.flag("joined", join.joined);
    xml.close("joinInfo");
}

/// A string builder for one event document; every element is in the `xsi:` prefix.
struct Xml {
    out: String,
}

impl Xml {
    /// Starts the document: declaration and `<xsi:Event xsi1:type="xsi:{event_type}" ...>`.
    fn root(event_type: &str) -> Self {
        let mut out = String::with_capacity(1536);
        out.push_str(r#"<?xml version="1.0" encoding="UTF-8"?>"#);
        // Writing to a String cannot fail.
        let _ = write!(
            out,
            r#"<xsi:Event xsi1:type="xsi:{event_type}" xmlns:xsi="{XSI_NS}" xmlns:xsi1="{XSI_INSTANCE_NS}">"#
        );
        Xml { out }
    }

    fn finish(mut self) -> String {
        self.out.push_str("</xsi:Event>");
        self.out
    }

    fn open(&mut self, name: &str) {
        let _ = write!(self.out, "<xsi:{name}>");
    }

    fn open_typed(&mut self, name: &str, type_name: &str) {
        let _ = write!(self.out, r#"<xsi:{name} xsi1:type="xsi:"#);
        self.out.push_str(&escape(type_name));
        self.out.push_str("\">");
    }

    fn close(&mut self, name: &str) {
        let _ = write!(self.out, "</xsi:{name}>");
    }

    fn leaf(&mut self, name: &str, text: &str) {
        self.open(name);
        self.out.push_str(&escape(text));
        self.close(name);
    }

    fn leaf_opt(&mut self, name: &str, text: Option<&str>) {
        if let Some(text) = text {
            self.leaf(name, text);
        }
    }

    fn number(&mut self, name: &str, n: impl std::fmt::Display) {
        let _ = write!(self.out, "<xsi:{name}>{n}</xsi:{name}>");
    }

    /// An `EmptyContent` element, written only when set.
    fn flag(&mut self, name: &str, set: bool) {
        if set {
            let _ = write!(self.out, "<xsi:{name}/>");
        }
    }
}
