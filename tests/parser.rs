//! `xsi::parse_event` against every reference sample and the wire's variations.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use xsi_wallboard::xsi::{
    AgentEventKind, AgentJoin, AgentJoins, AgentState, CallEvent, CallEventKind, ConfigurationKind,
    Envelope, Event, EventData, MonitoredValue, NotQueued, NotQueuedKind, ParseError,
    QueueSnapshot, SubscriptionEvent, parse_event, salvage_envelope,
};

fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

fn parse_fixture(name: &str) -> Result<Event, ParseError> {
    let body = std::fs::read(fixtures_dir().join(name)).unwrap();
    parse_event(&body)
}

fn fixture(name: &str) -> Event {
    parse_fixture(name).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn subscription(name: &str) -> SubscriptionEvent {
    match fixture(name) {
        Event::Subscription(s) => s,
        other => panic!("{name}: expected a SubscriptionEvent, got {other:?}"),
    }
}

fn data(name: &str) -> EventData {
    subscription(name).data
}

fn call(name: &str) -> (Envelope, CallEvent) {
    let s = subscription(name);
    match s.data {
        EventData::Call(c) => (s.envelope, c),
        other => panic!("{name}: expected a call event, got {other:?}"),
    }
}

fn snapshot(name: &str) -> QueueSnapshot {
    match data(name) {
        EventData::QueueSnapshot(s) => s,
        other => panic!("{name}: expected a snapshot, got {other:?}"),
    }
}

fn not_queued(name: &str) -> NotQueued {
    match data(name) {
        EventData::NotQueued(n) => n,
        other => panic!("{name}: expected a not-queued event, got {other:?}"),
    }
}

#[expect(
    clippy::unnecessary_wraps,
    reason = "shorthand for the optional fields it is compared with"
)]
fn s(text: &str) -> Option<Arc<str>> {
    Some(Arc::from(text))
}

/// What a fixture must become: the type name (agent events by their own type name).
fn outcome(result: &Result<Event, ParseError>) -> String {
    match result {
        Ok(Event::Subscription(s)) => match &s.data {
            EventData::Agent(a) => a.type_name.to_string(),
            EventData::Unknown(t) => format!("Unknown({t})"),
            data => data.type_name().to_string(),
        },
        Ok(Event::ChannelTerminated(_)) => "ChannelTerminatedEvent".into(),
        Ok(Event::Error(_)) => "ErrorEvent".into(),
        Err(ParseError::NotAnEvent(_)) => "NotAnEvent".into(),
        Err(ParseError::Malformed(_)) => "Malformed".into(),
    }
}

/// Every fixture and its expected outcome; `every_fixture_is_in_the_table` keeps it complete.
const TABLE: &[(&str, &str)] = &[
    (
        "spec/spec-r21_4.7.2.2_RoutePointCallOfferedtoAgentEvent.xml",
        "Unknown(RoutePointCallOfferedToAgentEvent)",
    ),
    (
        "spec/spec-r21_4.7.2.3_RoutePointCallAnsweredByAgentEvent.xml",
        "Unknown(RoutePointCallAnsweredByAgentEvent)",
    ),
    (
        "spec/spec-r21_4.7.3.1_ACDCallAddedEvent.xml",
        "ACDCallAddedEvent",
    ),
    (
        "spec/spec-r21_4.7.3.2_ACDCallOfferedToAgentEvent.xml",
        "ACDCallOfferedToAgentEvent",
    ),
    (
        "spec/spec-r21_4.7.3.3_ACDWhisperStartedEvent.xml",
        "ACDWhisperStartedEvent",
    ),
    (
        "spec/spec-r21_4.7.3.4_ACDWhisperStartedEvent.xml",
        "ACDWhisperStartedEvent",
    ),
    (
        "spec/spec-r21_4.7.3.5_ACDCallOverflowedEvent.xml",
        "ACDCallOverflowedEvent",
    ),
    (
        "spec/spec-r21_4.7.3.6_ACDCallAbandonedEvent.xml",
        "ACDCallAbandonedEvent",
    ),
    (
        "spec/spec-r21_4.7.3.7_ACDCallTransferredEvent.xml",
        "ACDCallTransferredEvent",
    ),
    (
        "spec/spec-r21_4.7.3.8_ACDCallUpdatedEvent.xml",
        "ACDCallUpdatedEvent",
    ),
    (
        "spec/spec-r21_4.7.3.9_ACDCallBouncedEvent.xml",
        "ACDCallBouncedEvent",
    ),
    (
        "spec/spec-r21_4.7.3.10_ACDCallForwardedEvent.xml",
        "ACDCallForwardedEvent",
    ),
    (
        "spec/spec-r21_4.7.3.11_ACDCallReleasedEvent.xml",
        "Unknown(CallReleasedEvent)",
    ),
    (
        "spec/spec-r21_4.7.3.12_ACDCallReorderedEvent.xml",
        "ACDCallReorderedEvent",
    ),
    (
        "spec/spec-r21_4.7.3.13_ACDCallPromotedEvent.xml",
        "ACDCallPromotedEvent",
    ),
    (
        "spec/spec-r21_4.7.3.14_ACDCallStrandedEvent.xml",
        "ACDCallStrandedEvent",
    ),
    (
        "spec/spec-r21_4.7.3.15_ACDCallStrandedUnavailableEvent.xml",
        "ACDCallStrandedUnavailableEvent",
    ),
    (
        "spec/spec-r21_4.7.3.16_ACDCallStrandedUnavailableTreatmentCompleteEvent.xml",
        "ACDCallStrandedUnavailableTreatmentCompletedEvent",
    ),
    (
        "spec/spec-r21_4.7.3.17_ACDCallEscapedEvent.xml",
        "ACDCallEscapedEvent",
    ),
    (
        "spec/spec-r21_4.7.3.18_ACDSubscriptionEvent.xml",
        "ACDSubscriptionEvent",
    ),
    (
        "spec/spec-r21_4.7.3.19_ACDHolidayPolicyAppliedEvent.xml",
        "ACDHolidayPolicyAppliedEvent",
    ),
    (
        "spec/spec-r21_4.7.3.20_ACDNightPolicyAppliedEvent.xml",
        "ACDNightPolicyAppliedEvent",
    ),
    (
        "spec/spec-r21_4.7.3.21_ACDSubscriptionResyncEvent.xml",
        "ACDSubscriptionResyncEvent",
    ),
    (
        "spec/spec-r21_4.7.32.1_SubscriptionTerminatedEvent.xml",
        "SubscriptionTerminatedEvent",
    ),
    (
        "spec/spec-r21_4.7.33.1_ChannelTerminatedEvent.xml",
        "ChannelTerminatedEvent",
    ),
    (
        "spec/spec-r21_4.7.4.1_AgentStateEvent.xml",
        "AgentStateEvent",
    ),
    (
        "spec/spec-r21_4.7.4.2_AgentDispositionCodeAddedEvent.xml",
        "AgentDispositionCodeAddedEvent",
    ),
    (
        "spec/spec-r21_4.7.5.1_ACDForcedForwardingEvent.xml",
        "ACDForcedForwardingEvent",
    ),
    (
        "spec/spec-r21_4.7.5.2_ACDHolidayServiceEvent.xml",
        "ACDHolidayServiceEvent",
    ),
    (
        "spec/spec-r21_4.7.5.3_ACDNightServiceEvent.xml",
        "ACDNightServiceEvent",
    ),
    (
        "spec/spec-r21_4.7.5.4_ACDConfigurationSubscriptionEvent.xml",
        "ACDConfigurationSubscriptionEvent",
    ),
    (
        "spec/spec-r21_4.7.6.1_CallCenterAgentMonitoringEvent.xml",
        "CallCenterAgentMonitoringEvent",
    ),
    (
        "spec/spec-r21_4.7.6.2_CallCenterAgentOnCallAlertEvent.xml",
        "CallCenterAgentOnCallAlertEvent",
    ),
    (
        "spec/spec-r21_4.7.6.3_CallCenterAgentMonitoringSubscriptionEvent.xml",
        "CallCenterAgentMonitoringSubscriptionEvent",
    ),
    (
        "spec/spec-r21_4.7.7_CallCenterMonitoringEvent.xml",
        "CallCenterMonitoringEvent",
    ),
    (
        "public/AgentStateEvent__riis_CallCenterManager.xml",
        "AgentStateEvent",
    ),
    (
        "public/CallCenterMonitoringEvent-invalid__jvleeuwen_laravel-broadsoft.xml",
        "Unknown(CallCenterMonitoringEventBLAAT)",
    ),
    (
        "public/CallCenterMonitoringEvent__jvleeuwen_laravel-broadsoft.xml",
        "CallCenterMonitoringEvent",
    ),
    (
        "public/CallCenterMonitoringEvent__riis_CallCenterManager.xml",
        "CallCenterMonitoringEvent",
    ),
    (
        "public/CallSubscriptionEvent__kimwinther_check_xsi.xml",
        "Unknown(CallSubscriptionEvent)",
    ),
    (
        "public/SubscriptionTerminatedEvent__riis_CallCenterManager.xml",
        "SubscriptionTerminatedEvent",
    ),
    // Not events: well-formed XSI documents of other kinds, refused with a reason.
    ("public/ChannelHeartBeat__kctrey_wxcadm.xml", "NotAnEvent"),
    (
        "public/ChannelResponse__kimwinther_check_xsi.xml",
        "NotAnEvent",
    ),
    ("public/ChannelUpdate__kctrey_wxcadm.xml", "NotAnEvent"),
    ("public/Channel__kctrey_wxcadm.xml", "NotAnEvent"),
    ("public/Channel__kimwinther_check_xsi.xml", "NotAnEvent"),
    ("public/ErrorInfo__nextiva_android_app.xml", "NotAnEvent"),
    ("public/EventResponse__kctrey_wxcadm.xml", "NotAnEvent"),
    (
        "public/SubscriptionResponse__kimwinther_check_xsi.xml",
        "NotAnEvent",
    ),
    ("public/SubscriptionUpdate__kctrey_wxcadm.xml", "NotAnEvent"),
    ("public/Subscription__kctrey_wxcadm.xml", "NotAnEvent"),
    (
        "public/Subscription__kimwinther_check_xsi.xml",
        "NotAnEvent",
    ),
];

#[test]
fn every_fixture_is_in_the_table() {
    let mut on_disk = Vec::new();
    for dir in ["spec", "public"] {
        for entry in std::fs::read_dir(fixtures_dir().join(dir)).unwrap() {
            let name = entry.unwrap().file_name().into_string().unwrap();
            if Path::new(&name).extension().is_some_and(|e| e == "xml") {
                on_disk.push(format!("{dir}/{name}"));
            }
        }
    }
    on_disk.sort();
    let mut listed: Vec<String> = TABLE.iter().map(|(name, _)| (*name).to_string()).collect();
    listed.sort();
    assert_eq!(on_disk, listed, "tests/fixtures and TABLE disagree");
}

#[test]
fn every_fixture_has_its_expected_outcome() {
    for (name, expected) in TABLE {
        assert_eq!(outcome(&parse_fixture(name)), *expected, "{name}");
    }
}

// ---- Call Center Queue: one test per sample ----------------------------------------------

#[test]
fn spec_call_added() {
    let (env, c) = call("spec/spec-r21_4.7.3.1_ACDCallAddedEvent.xml");
    assert_eq!(c.kind, CallEventKind::Added);
    assert_eq!(&*env.event_id, "689984d9-3959-45ce-822b-9b37a963f653");
    assert_eq!(env.sequence_number, Some(10));
    assert_eq!(&*env.external_application_id, "CTIController");
    assert_eq!(env.target_id, s("ACD_CTI1@broadsoft.com"));
    assert_eq!(&*c.entry.call_id, "callhalf-53149:0");
    assert_eq!(&*c.entry.ext_tracking_id, "90:1");
    assert_eq!(
        c.entry.remote_party.name,
        s("NetworkN1FirstName NetworkN1LastName")
    );
    assert_eq!(c.entry.remote_party.address, s("tel:+15007003333"));
    assert_eq!(c.entry.remote_party.call_type, s("Network"));
    assert_eq!(c.entry.add_time, Some(1_271_711_961_291));
    assert_eq!(c.entry.remove_time, None);
    assert_eq!(c.entry.acd_name, s("ACD_CTI1_Name"));
    assert_eq!(c.entry.acd_number, s("tel:+15006001025"));
    assert_eq!(c.entry.acd_priority, Some(0));
    assert_eq!(c.entry.add_time_in_priority_bucket, Some(1_271_711_961_291));
    assert_eq!(c.position, Some(1));
    assert_eq!(c.entry.answering_user_id, None);
}

#[test]
fn spec_call_offered_names_no_agent() {
    let (_, c) = call("spec/spec-r21_4.7.3.2_ACDCallOfferedToAgentEvent.xml");
    assert_eq!(c.kind, CallEventKind::OfferedToAgent);
    assert_eq!(&*c.entry.call_id, "callhalf-53149:0");
    assert_eq!(c.entry.answering_user_id, None);
    assert_eq!(c.position, None);
}

#[test]
fn spec_whisper_started_names_the_agent() {
    for name in [
        "spec/spec-r21_4.7.3.3_ACDWhisperStartedEvent.xml",
        "spec/spec-r21_4.7.3.4_ACDWhisperStartedEvent.xml",
    ] {
        let (_, c) = call(name);
        assert_eq!(c.kind, CallEventKind::WhisperStarted, "{name}");
        assert!(c.kind.ends_call());
        assert_eq!(
            c.entry.answering_user_id,
            s("agentA1@broadsoft.com"),
            "{name}"
        );
        assert_eq!(c.entry.answering_call_id, s("callhalf-53153:0"), "{name}");
    }
}

#[test]
fn spec_call_overflowed_by_time() {
    let (_, c) = call("spec/spec-r21_4.7.3.5_ACDCallOverflowedEvent.xml");
    assert_eq!(c.kind, CallEventKind::Overflowed);
    assert_eq!(c.overflow_reason, s("time"));
    assert_eq!(c.entry.remove_time, Some(1_271_713_812_670));
}

#[test]
fn spec_call_abandoned_after_a_bounce() {
    let (_, c) = call("spec/spec-r21_4.7.3.6_ACDCallAbandonedEvent.xml");
    assert_eq!(c.kind, CallEventKind::Abandoned);
    assert_eq!(&*c.entry.call_id, "callhalf-53197:0");
    assert!(c.entry.bounced);
    assert_eq!(c.entry.add_time, Some(1_271_712_495_635));
    assert_eq!(c.entry.remove_time, Some(1_271_712_593_257));
}

#[test]
fn spec_call_transferred() {
    let (_, c) = call("spec/spec-r21_4.7.3.7_ACDCallTransferredEvent.xml");
    assert_eq!(c.kind, CallEventKind::Transferred);
    assert_eq!(&*c.entry.call_id, "callhalf-58225:0");
    assert_eq!(c.entry.remove_time, Some(1_271_770_576_187));
}

#[test]
fn spec_call_updated_without_caller_name() {
    let (_, c) = call("spec/spec-r21_4.7.3.8_ACDCallUpdatedEvent.xml");
    assert_eq!(c.kind, CallEventKind::Updated);
    assert_eq!(c.entry.remote_party.name, None);
    assert_eq!(c.entry.remote_party.address, s("tel:+17003334"));
}

#[test]
fn spec_call_bounced() {
    let (_, c) = call("spec/spec-r21_4.7.3.9_ACDCallBouncedEvent.xml");
    assert_eq!(c.kind, CallEventKind::Bounced);
    assert!(c.entry.bounced);
    assert!(!c.entry.reordered);
    assert_eq!(c.position, None);
}

#[test]
fn spec_call_reordered() {
    let (_, c) = call("spec/spec-r21_4.7.3.12_ACDCallReorderedEvent.xml");
    assert_eq!(c.kind, CallEventKind::Reordered);
    assert!(c.entry.reordered);
    assert_eq!(c.position, Some(1));
    assert_eq!(c.entry.acd_name, s("ACD_CTI1_2_Name"));
    assert_eq!(c.entry.add_time_in_priority_bucket, Some(1_271_776_586_140));
}

#[test]
fn spec_call_promoted() {
    let (_, c) = call("spec/spec-r21_4.7.3.13_ACDCallPromotedEvent.xml");
    assert_eq!(c.kind, CallEventKind::Promoted);
    assert_eq!(c.position, Some(2));
    assert_eq!(c.entry.acd_priority, Some(0));
}

#[test]
fn spec_call_stranded() {
    let (_, c) = call("spec/spec-r21_4.7.3.14_ACDCallStrandedEvent.xml");
    assert_eq!(c.kind, CallEventKind::Stranded);
    assert_eq!(&*c.entry.call_id, "callhalf-54545:0");
    assert_eq!(c.entry.remove_time, Some(1_271_724_227_613));
}

#[test]
fn spec_call_stranded_unavailable() {
    let (_, c) = call("spec/spec-r21_4.7.3.15_ACDCallStrandedUnavailableEvent.xml");
    assert_eq!(c.kind, CallEventKind::StrandedUnavailable);
    assert_eq!(c.entry.add_time_in_priority_bucket, Some(1_271_724_216_742));
}

#[test]
fn spec_treatment_completed_in_the_spellings_of_the_spec_and_the_schema() {
    let name = "spec/spec-r21_4.7.3.16_ACDCallStrandedUnavailableTreatmentCompleteEvent.xml";
    assert_eq!(
        data(name),
        EventData::TreatmentCompleted(Arc::from(
            "ACDCallStrandedUnavailableTreatmentCompletedEvent"
        ))
    );
    // The schema's spelling of the same event.
    let body = std::fs::read_to_string(fixtures_dir().join(name))
        .unwrap()
        .replace("TreatmentCompletedEvent", "TreatementCompletedEvent");
    let Event::Subscription(sub) = parse_event(body.as_bytes()).unwrap() else {
        panic!("not a SubscriptionEvent");
    };
    assert_eq!(
        sub.data,
        EventData::TreatmentCompleted(Arc::from(
            "ACDCallStrandedUnavailableTreatementCompletedEvent"
        ))
    );
}

#[test]
fn spec_call_escaped() {
    let (_, c) = call("spec/spec-r21_4.7.3.17_ACDCallEscapedEvent.xml");
    assert_eq!(c.kind, CallEventKind::Escaped);
    assert!(c.entry.reordered);
    assert_eq!(c.entry.remove_time, Some(1_271_777_047_356));
}

#[test]
fn spec_subscription_snapshot() {
    let name = "spec/spec-r21_4.7.3.18_ACDSubscriptionEvent.xml";
    let sub = subscription(name);
    assert_eq!(sub.envelope.sequence_number, Some(1));
    assert_eq!(sub.envelope.target_id, s("callcenter@mtlasdev87.net"));
    let snap = snapshot(name);
    assert!(!snap.resync);
    assert_eq!(snap.entries.len(), 1);
    let e = &snap.entries[0];
    assert_eq!(&*e.call_id, "callhalf-263:0");
    assert_eq!(e.remote_party.name, s("john3 south"));
    assert_eq!(e.remote_party.user_id, s("south03@mtlasdev87.net"));
    assert_eq!(e.remote_party.user_dn, s("tel:+15146987603;ext=603"));
    assert_eq!(e.remote_party.call_type, s("Group"));
    assert_eq!(e.add_time, Some(1_292_360_704_269));
    assert_eq!(e.acd_name, s("dnis1"));
}

#[test]
fn spec_resync_snapshot_without_target() {
    let name = "spec/spec-r21_4.7.3.21_ACDSubscriptionResyncEvent.xml";
    assert_eq!(subscription(name).envelope.target_id, None);
    let snap = snapshot(name);
    assert!(snap.resync);
    assert_eq!(snap.entries.len(), 1);
    // The sample's `</xsi:addTimeInPriorityBucket >` has a space before `>`.
    assert_eq!(
        snap.entries[0].add_time_in_priority_bucket,
        Some(1_345_225_598_679)
    );
    assert_eq!(&*snap.entries[0].call_id, "callhalf-167:0");
}

#[test]
fn spec_call_forwarded_never_queued() {
    let n = not_queued("spec/spec-r21_4.7.3.10_ACDCallForwardedEvent.xml");
    assert_eq!(n.kind, NotQueuedKind::Forwarded);
    assert_eq!(&*n.call_id, "callhalf-78933:0");
    assert_eq!(&*n.ext_tracking_id, "332:1");
    assert_eq!(n.acd_name, s("ACD_CTI1_Name"));
    assert_eq!(n.acd_number, s("tel:+15006001025"));
    assert_eq!(n.remote_party.address, s("tel:+15007003333"));
    assert_eq!(n.redirect_address, s("tel:1011"));
}

#[test]
fn spec_holiday_policy_applied() {
    let n = not_queued("spec/spec-r21_4.7.3.19_ACDHolidayPolicyAppliedEvent.xml");
    assert_eq!(n.kind, NotQueuedKind::HolidayPolicyApplied);
    assert_eq!(&*n.call_id, "callhalf-79297:0");
    assert_eq!(n.redirect_address, s("tel:1011"));
}

#[test]
fn spec_night_policy_applied() {
    let n = not_queued("spec/spec-r21_4.7.3.20_ACDNightPolicyAppliedEvent.xml");
    assert_eq!(n.kind, NotQueuedKind::NightPolicyApplied);
    assert_eq!(&*n.call_id, "callhalf-271:0");
    assert_eq!(n.acd_name, s("callcenter"));
    assert_eq!(n.redirect_address, None);
}

#[test]
fn spec_examples_of_other_packages_are_unknown() {
    for (name, ty) in [
        (
            "spec/spec-r21_4.7.2.2_RoutePointCallOfferedtoAgentEvent.xml",
            "RoutePointCallOfferedToAgentEvent",
        ),
        (
            "spec/spec-r21_4.7.2.3_RoutePointCallAnsweredByAgentEvent.xml",
            "RoutePointCallAnsweredByAgentEvent",
        ),
        // Printed under ACDCallReleasedEvent, but typed as a Basic Call event.
        (
            "spec/spec-r21_4.7.3.11_ACDCallReleasedEvent.xml",
            "CallReleasedEvent",
        ),
        (
            "public/CallSubscriptionEvent__kimwinther_check_xsi.xml",
            "CallSubscriptionEvent",
        ),
    ] {
        assert_eq!(data(name), EventData::Unknown(Arc::from(ty)), "{name}");
    }
}

// ---- Subscription and channel events ------------------------------------------------------

#[test]
fn spec_subscription_terminated() {
    let sub = subscription("spec/spec-r21_4.7.32.1_SubscriptionTerminatedEvent.xml");
    assert_eq!(sub.data, EventData::SubscriptionTerminated);
    assert_eq!(
        &*sub.envelope.subscription_id,
        "f39acc1f-1349-4293-a940-018dcd1b17dc"
    );
    assert_eq!(
        sub.envelope.channel_id,
        s("726bfd81-799c-473a-9e32-ed7063ef0b2f")
    );
}

#[test]
fn public_subscription_terminated_over_http_contact() {
    let sub = subscription("public/SubscriptionTerminatedEvent__riis_CallCenterManager.xml");
    assert_eq!(sub.data, EventData::SubscriptionTerminated);
    assert_eq!(
        &*sub.envelope.event_id,
        "12d28bed-ae54-41a9-b76c-6fa021a926f8"
    );
    assert_eq!(sub.envelope.sequence_number, Some(2));
    assert_eq!(&*sub.envelope.user_id, "gnolanAdmin1@xdp.broadsoft.com");
    assert_eq!(
        &*sub.envelope.external_application_id,
        "CallCenterDashboard"
    );
    assert_eq!(sub.envelope.channel_id, None);
    assert_eq!(
        sub.envelope.http_contact,
        s(
            "ec2-54-205-41-129.compute-1.amazonaws.com:8080/CallCenterManager/webservices/callCenterSubscriptionCallback"
        )
    );
    assert_eq!(sub.envelope.target_id, s("callCenter3@xdp.broadsoft.com"));
}

#[test]
fn spec_channel_terminated_with_a_reason_the_schema_lacks() {
    let Event::ChannelTerminated(c) = fixture("spec/spec-r21_4.7.33.1_ChannelTerminatedEvent.xml")
    else {
        panic!("not a ChannelTerminatedEvent");
    };
    assert_eq!(&*c.channel_id, "726bfd81-799c-473a-9e32-ed7063ef0b2f");
    assert_eq!(&*c.reason, "MaxChannelsReached");
}

#[test]
fn error_event() {
    let body = br#"<xsi:Event xmlns:xsi="http://schema.broadsoft.com/xsi" xmlns:xsi1="http://www.w3.org/2001/XMLSchema-instance" xsi1:type="xsi:ErrorEvent"><xsi:errorCode>110</xsi:errorCode><xsi:errorMessage> Invalid content </xsi:errorMessage></xsi:Event>"#;
    let Ok(Event::Error(e)) = parse_event(body) else {
        panic!("not an ErrorEvent");
    };
    assert_eq!(e.error_code, s("110"));
    assert_eq!(&*e.error_message, "Invalid content");
    assert_eq!(e.channel_id, None);
}

// ---- Call Center Monitoring ---------------------------------------------------------------

fn monitoring(name: &str) -> xsi_wallboard::xsi::MonitoringStatus {
    match data(name) {
        EventData::Monitoring(m) => m,
        other => panic!("{name}: expected monitoring, got {other:?}"),
    }
}

#[expect(
    clippy::unnecessary_wraps,
    reason = "shorthand for the optional fields it is compared with"
)]
fn bare(value: i64) -> Option<MonitoredValue> {
    Some(MonitoredValue {
        value,
        ..MonitoredValue::default()
    })
}

#[test]
fn spec_monitoring_with_severities() {
    let m = monitoring("spec/spec-r21_4.7.7_CallCenterMonitoringEvent.xml");
    assert_eq!(
        m.average_handling_time,
        Some(MonitoredValue {
            value: 3633,
            severity: Some(1),
            prev_severity: Some(0),
            threshold: Some(3600)
        })
    );
    assert_eq!(
        m.expected_wait_time,
        Some(MonitoredValue {
            value: 1816,
            severity: Some(0),
            prev_severity: Some(1),
            threshold: None
        })
    );
    assert_eq!(m.average_speed_of_answer.map(|v| v.value), Some(3776));
    assert_eq!(
        m.longest_wait_time,
        Some(MonitoredValue {
            value: 0,
            severity: Some(0),
            ..MonitoredValue::default()
        })
    );
    assert_eq!(m.num_calls_in_queue.map(|v| v.value), Some(0));
    assert_eq!(m.num_agents_assigned, Some(3));
    assert_eq!(m.num_agents_staffed, Some(2));
    assert_eq!(m.num_staffed_agents_idle, Some(1));
    assert_eq!(m.num_staffed_agents_unavailable, Some(0));
}

#[test]
fn public_monitoring_value_shape_with_indented_whitespace() {
    let m = monitoring("public/CallCenterMonitoringEvent__jvleeuwen_laravel-broadsoft.xml");
    assert_eq!(m.average_handling_time, bare(1));
    assert_eq!(m.expected_wait_time, bare(2));
    assert_eq!(m.average_speed_of_answer, bare(3));
    assert_eq!(m.longest_wait_time, bare(4));
    assert_eq!(m.num_calls_in_queue, bare(5));
    assert_eq!(m.num_agents_assigned, Some(6));
    assert_eq!(m.num_agents_staffed, Some(7));
    assert_eq!(m.num_staffed_agents_idle, Some(11));
    assert_eq!(m.num_staffed_agents_unavailable, Some(9));
}

#[test]
fn public_monitoring_bare_integer_shape() {
    let sub = subscription("public/CallCenterMonitoringEvent__riis_CallCenterManager.xml");
    assert_eq!(sub.envelope.target_id, s("roph0405@voip.tnltd.net"));
    let m = monitoring("public/CallCenterMonitoringEvent__riis_CallCenterManager.xml");
    assert_eq!(m.average_handling_time, bare(0));
    assert_eq!(m.longest_wait_time, bare(0));
    assert_eq!(m.num_calls_in_queue, bare(0));
    assert_eq!(m.num_agents_assigned, Some(27));
    assert_eq!(m.num_agents_staffed, Some(11));
    assert_eq!(m.num_staffed_agents_idle, Some(0));
    assert_eq!(m.num_staffed_agents_unavailable, Some(9));
}

#[test]
fn public_invalid_monitoring_sample_is_an_unknown_type_not_an_error() {
    let sub =
        subscription("public/CallCenterMonitoringEvent-invalid__jvleeuwen_laravel-broadsoft.xml");
    assert_eq!(
        sub.data,
        EventData::Unknown(Arc::from("CallCenterMonitoringEventBLAAT"))
    );
    assert_eq!(sub.envelope.target_id, s("targetId"));
}

#[test]
fn monitoring_junk_loses_only_that_statistic() {
    let name = "public/CallCenterMonitoringEvent-invalid__jvleeuwen_laravel-broadsoft.xml";
    let body = std::fs::read_to_string(fixtures_dir().join(name))
        .unwrap()
        .replace(
            "CallCenterMonitoringEventBLAAT",
            "CallCenterMonitoringEvent",
        )
        .replace("<xsi:numAgentsStaffed>7<", "<xsi:numAgentsStaffed>-<");
    let Event::Subscription(sub) = parse_event(body.as_bytes()).unwrap() else {
        panic!("not a SubscriptionEvent");
    };
    let EventData::Monitoring(m) = sub.data else {
        panic!("not monitoring");
    };
    assert_eq!(m.average_handling_time, None, "BLAAT is no number");
    assert_eq!(m.expected_wait_time, bare(2));
    assert_eq!(m.num_agents_staffed, None);
    assert_eq!(m.num_staffed_agents_idle, Some(8));
}

// ---- Call Center Agent and Configuration --------------------------------------------------

fn agent(name: &str) -> xsi_wallboard::xsi::AgentEvent {
    match data(name) {
        EventData::Agent(a) => a,
        other => panic!("{name}: expected an agent event, got {other:?}"),
    }
}

#[test]
fn spec_agent_state_with_severity_timestamp() {
    let a = agent("spec/spec-r21_4.7.4.1_AgentStateEvent.xml");
    assert_eq!(a.kind, AgentEventKind::State);
    assert_eq!(a.state, Some(AgentState::Unavailable));
    assert_eq!(a.state_timestamp, Some(1_292_361_232_195));
}

#[test]
fn public_agent_state_with_bare_timestamp() {
    let sub = subscription("public/AgentStateEvent__riis_CallCenterManager.xml");
    assert_eq!(sub.envelope.target_id, s("6234456521@voip.tnltd.net"));
    let a = agent("public/AgentStateEvent__riis_CallCenterManager.xml");
    assert_eq!(a.state, Some(AgentState::Available));
    assert_eq!(a.state_timestamp, Some(1_412_607_268_159));
    assert_eq!(a.unavailable_code, None);
}

#[test]
fn spec_agent_events_the_board_does_not_act_on() {
    for (name, ty) in [
        (
            "spec/spec-r21_4.7.4.2_AgentDispositionCodeAddedEvent.xml",
            "AgentDispositionCodeAddedEvent",
        ),
        (
            "spec/spec-r21_4.7.6.1_CallCenterAgentMonitoringEvent.xml",
            "CallCenterAgentMonitoringEvent",
        ),
        (
            "spec/spec-r21_4.7.6.2_CallCenterAgentOnCallAlertEvent.xml",
            "CallCenterAgentOnCallAlertEvent",
        ),
        (
            "spec/spec-r21_4.7.6.3_CallCenterAgentMonitoringSubscriptionEvent.xml",
            "CallCenterAgentMonitoringSubscriptionEvent",
        ),
    ] {
        let a = agent(name);
        assert_eq!(a.kind, AgentEventKind::Other, "{name}");
        assert_eq!(&*a.type_name, ty);
        assert_eq!(a.state, None);
    }
}

#[test]
fn agent_subscription_lists_joined_call_centers() {
    let body = br#"<?xml version="1.0" encoding="UTF-8"?>
<xsi:Event xsi1:type="xsi:SubscriptionEvent" xmlns:xsi="http://schema.broadsoft.com/xsi" xmlns:xsi1="http://www.w3.org/2001/XMLSchema-instance">
<xsi:eventID>e1</xsi:eventID><xsi:sequenceNumber>1</xsi:sequenceNumber><xsi:userId>sup@x</xsi:userId>
<xsi:externalApplicationId>wb</xsi:externalApplicationId><xsi:subscriptionId>s1</xsi:subscriptionId>
<xsi:httpContact><xsi:uri>http://h/x</xsi:uri></xsi:httpContact><xsi:targetId>agent@x</xsi:targetId>
<xsi:eventData xsi1:type="xsi:AgentSubscriptionEvent"><xsi:joinData><xsi:joinInfos>
<xsi:joinInfo><xsi:acdUserId>sales@x</xsi:acdUserId><xsi:joined/></xsi:joinInfo>
<xsi:joinInfo><xsi:acdUserId>support@x</xsi:acdUserId></xsi:joinInfo>
</xsi:joinInfos></xsi:joinData><xsi:stateInfo><xsi:state>Wrap-Up</xsi:state>
<xsi:stateTimestamp><xsi:value>5</xsi:value></xsi:stateTimestamp></xsi:stateInfo></xsi:eventData></xsi:Event>"#;
    let Ok(Event::Subscription(sub)) = parse_event(body) else {
        panic!("not parsed");
    };
    let EventData::Agent(a) = sub.data else {
        panic!("not an agent event");
    };
    assert_eq!(a.kind, AgentEventKind::Subscription);
    assert_eq!(
        a.joins,
        Some(AgentJoins::All(vec![
            AgentJoin {
                call_center: Arc::from("sales@x"),
                joined: true
            },
            AgentJoin {
                call_center: Arc::from("support@x"),
                joined: false
            },
        ]))
    );
    assert_eq!(a.state, Some(AgentState::WrapUp));
    assert_eq!(a.state_timestamp, Some(5));
}

fn configuration(name: &str) -> xsi_wallboard::xsi::ConfigurationEvent {
    match data(name) {
        EventData::Configuration(c) => c,
        other => panic!("{name}: expected configuration, got {other:?}"),
    }
}

#[test]
fn spec_forced_forwarding_active() {
    let c = configuration("spec/spec-r21_4.7.5.1_ACDForcedForwardingEvent.xml");
    assert_eq!(c.kind, ConfigurationKind::ForcedForwarding);
    assert_eq!(
        (c.forced_forwarding, c.holiday_service, c.night_service),
        (Some(true), None, None)
    );
}

#[test]
fn spec_holiday_service_inactive() {
    let c = configuration("spec/spec-r21_4.7.5.2_ACDHolidayServiceEvent.xml");
    assert_eq!(c.kind, ConfigurationKind::HolidayService);
    assert_eq!(
        (c.forced_forwarding, c.holiday_service, c.night_service),
        (None, Some(false), None)
    );
}

#[test]
fn spec_night_service_inactive() {
    let c = configuration("spec/spec-r21_4.7.5.3_ACDNightServiceEvent.xml");
    assert_eq!(c.kind, ConfigurationKind::NightService);
    assert_eq!(c.night_service, Some(false));
}

#[test]
fn spec_configuration_subscription_is_the_whole_state() {
    // "When present, indicates that ... is active" (XSIACDEvents.xsd): the initial event is the
    // whole state, so a service it leaves out is off, not unknown.
    let c = configuration("spec/spec-r21_4.7.5.4_ACDConfigurationSubscriptionEvent.xml");
    assert_eq!(c.kind, ConfigurationKind::Subscription);
    assert_eq!(
        (
            c.forced_forwarding,
            c.holiday_service,
            c.night_service,
            c.force_night_service
        ),
        (Some(true), Some(false), Some(false), Some(false))
    );
}

// ---- Wire variations ----------------------------------------------------------------------

const ADDED: &str = "spec/spec-r21_4.7.3.1_ACDCallAddedEvent.xml";

fn added_body() -> String {
    std::fs::read_to_string(fixtures_dir().join(ADDED)).unwrap()
}

/// The Added sample rewritten with other prefixes: same event. Placeholders first, so that
/// swapping the two prefixes works too.
fn with_prefixes(xsi: &str, instance: &str) -> String {
    added_body()
        .replace("xmlns:xsi1=", "@INSTANCE_DECL@")
        .replace("xsi1:", "@INSTANCE@")
        .replace("xmlns:xsi=", "@XSI_DECL@")
        .replace("<xsi:", "<@XSI@")
        .replace("</xsi:", "</@XSI@")
        .replace("\"xsi:", "\"@XSI@")
        .replace("@INSTANCE_DECL@", &format!("xmlns:{instance}="))
        .replace("@INSTANCE@", &format!("{instance}:"))
        .replace("@XSI_DECL@", &format!("xmlns:{xsi}="))
        .replace("@XSI@", &format!("{xsi}:"))
}

#[test]
fn other_prefixes_give_the_same_event() {
    let expected = fixture(ADDED);
    for (xsi, instance) in [("bw", "xs"), ("a", "b"), ("xsi1", "xsi"), ("ns0", "ns1")] {
        let body = with_prefixes(xsi, instance);
        assert!(
            body.contains(&format!("<{xsi}:queueEntry>")),
            "rewrite failed for {xsi}"
        );
        assert_eq!(
            parse_event(body.as_bytes()),
            Ok(expected.clone()),
            "prefixes {xsi}/{instance}"
        );
    }
}

#[test]
fn default_namespace_gives_the_same_event() {
    let body = added_body()
        .replace("<xsi:", "<")
        .replace("</xsi:", "</")
        .replace("xmlns:xsi=", "xmlns=")
        .replace("\"xsi:", "\"");
    assert!(body.contains(r#"xsi1:type="ACDCallAddedEvent""#));
    assert_eq!(parse_event(body.as_bytes()), Ok(fixture(ADDED)));
}

#[test]
fn type_prefix_is_resolved_not_compared() {
    // The type's QName uses a prefix declared only on eventData, bound to the XSI namespace.
    let body = added_body().replace(
        r#"<xsi:eventData xsi1:type="xsi:ACDCallAddedEvent">"#,
        r#"<xsi:eventData xmlns:t="http://schema.broadsoft.com/xsi" xsi1:type="t:ACDCallAddedEvent">"#,
    );
    assert_eq!(parse_event(body.as_bytes()), Ok(fixture(ADDED)));
}

#[test]
fn redeclared_prefixes_are_scoped_to_their_element() {
    // Inside `redirections` the `xsi` prefix means another namespace; after it, XSI again.
    let body = added_body().replace(
        "<xsi:position>1</xsi:position>",
        r#"<xsi:redirections xmlns:xsi="urn:o"><xsi:position>5</xsi:position></xsi:redirections><xsi:position>1</xsi:position>"#,
    );
    assert_eq!(parse_event(body.as_bytes()), Ok(fixture(ADDED)));
    // A queueEntry whose prefix is rebound is not the XSI queueEntry.
    let body = added_body().replace("<xsi:queueEntry>", r#"<xsi:queueEntry xmlns:xsi="urn:o">"#);
    assert!(
        matches!(parse_event(body.as_bytes()), Err(ParseError::NotAnEvent(r)) if r.contains("queueEntry"))
    );
    // `xmlns=""` takes unprefixed names out of the default namespace.
    let body = added_body()
        .replace("<xsi:", "<")
        .replace("</xsi:", "</")
        .replace("xmlns:xsi=", "xmlns=")
        .replace("\"xsi:", "\"")
        .replace(
            "<position>1</position>",
            r#"<position xmlns="">7</position><position>1</position>"#,
        );
    assert_eq!(parse_event(body.as_bytes()), Ok(fixture(ADDED)));
}

#[test]
fn a_type_in_another_namespace_is_unknown() {
    let body = added_body().replace(
        r#"<xsi:eventData xsi1:type="xsi:ACDCallAddedEvent">"#,
        r#"<xsi:eventData xmlns:o="urn:other" xsi1:type="o:ACDCallAddedEvent">"#,
    );
    let Ok(Event::Subscription(sub)) = parse_event(body.as_bytes()) else {
        panic!("not parsed");
    };
    assert_eq!(
        sub.data,
        EventData::Unknown(Arc::from("o:ACDCallAddedEvent"))
    );
}

#[test]
fn an_undeclared_type_prefix_is_refused() {
    let body = added_body().replace("\"xsi:ACDCallAddedEvent\"", "\"nope:ACDCallAddedEvent\"");
    assert!(
        matches!(parse_event(body.as_bytes()), Err(ParseError::NotAnEvent(r)) if r.contains("nope"))
    );
}

#[test]
fn a_type_attribute_outside_the_instance_namespace_does_not_count() {
    let body = added_body().replace(
        r#"<xsi:eventData xsi1:type="xsi:ACDCallAddedEvent">"#,
        r#"<xsi:eventData type="xsi:ACDCallAddedEvent">"#,
    );
    assert!(
        matches!(parse_event(body.as_bytes()), Err(ParseError::NotAnEvent(r)) if r.contains("xsi:type"))
    );
}

#[test]
fn whitespace_around_values_is_trimmed() {
    let body = added_body()
        .replace(
            "<xsi:callId>callhalf-53149:0<",
            "<xsi:callId>\n\t  callhalf-53149:0 \r\n<",
        )
        .replace(
            "<xsi:addTime>1271711961291<",
            "<xsi:addTime>  1271711961291\n<",
        )
        .replace("<xsi:position>1<", "<xsi:position> 1 <")
        .replace(
            "<xsi:acdPriority>0-Highest<",
            "<xsi:acdPriority>\n0-Highest\n<",
        )
        .replace(
            r#"xsi1:type="xsi:ACDCallAddedEvent""#,
            r#"xsi1:type="  xsi:ACDCallAddedEvent ""#,
        );
    assert_eq!(parse_event(body.as_bytes()), Ok(fixture(ADDED)));
}

#[test]
fn entities_and_non_ascii_names() {
    let body = added_body().replace(
        "NetworkN1FirstName NetworkN1LastName",
        "Zoë &amp; Jürgen &lt;Müller&gt; &#x00E9;&#233; O&apos;Brien &quot;東京&quot; <![CDATA[&x]]>",
    );
    let (_, expected_call) = call(ADDED);
    let Ok(Event::Subscription(sub)) = parse_event(body.as_bytes()) else {
        panic!("not parsed");
    };
    let EventData::Call(c) = sub.data else {
        panic!("not a call")
    };
    assert_eq!(
        c.entry.remote_party.name,
        s("Zoë & Jürgen <Müller> éé O'Brien \"東京\" &x")
    );
    assert_eq!(c.entry.call_id, expected_call.entry.call_id);
}

#[test]
fn byte_order_mark_and_comments_are_accepted() {
    let body = format!(
        "\u{feff}{}",
        added_body().replace("<xsi:callId>", "<!-- c --><xsi:callId><?pi x?>")
    );
    assert_eq!(parse_event(body.as_bytes()), Ok(fixture(ADDED)));
}

#[test]
fn unknown_entity_is_malformed() {
    let body = added_body().replace("NetworkN1FirstName", "&bogus;");
    assert!(matches!(
        parse_event(body.as_bytes()),
        Err(ParseError::Malformed(_))
    ));
}

#[test]
fn elements_in_other_namespaces_are_ignored() {
    let body = added_body().replace(
        "<xsi:position>1</xsi:position>",
        r#"<xsi:position>1</xsi:position><o:position xmlns:o="urn:o">7</o:position><position>9</position>"#,
    );
    assert_eq!(parse_event(body.as_bytes()), Ok(fixture(ADDED)));
}

#[test]
fn unknown_elements_are_skipped() {
    let body = added_body().replace(
        "<xsi:position>1</xsi:position>",
        "<xsi:position>1</xsi:position><xsi:redirections><xsi:x><xsi:y>z</xsi:y></xsi:x></xsi:redirections>",
    );
    assert_eq!(parse_event(body.as_bytes()), Ok(fixture(ADDED)));
}

// ---- Refusals -----------------------------------------------------------------------------

fn reason(result: Result<Event, ParseError>) -> ParseError {
    result.expect_err("expected a refusal")
}

#[test]
fn empty_body_is_malformed() {
    assert!(matches!(reason(parse_event(b"")), ParseError::Malformed(_)));
    assert!(matches!(
        reason(parse_event(b"  \n ")),
        ParseError::Malformed(_)
    ));
    assert!(matches!(
        reason(parse_event(br#"<?xml version="1.0" encoding="UTF-8"?>"#)),
        ParseError::Malformed(_)
    ));
}

#[test]
fn malformed_xml_is_malformed() {
    for body in [
        "<xsi:Event",
        "not xml at all",
        "<a><b></a></b>",
        "<xsi:Event xmlns:xsi=\"http://schema.broadsoft.com/xsi\"></xsi:Evnt>",
        "<xsi:Event xmlns:xsi=\"http://schema.broadsoft.com/xsi\" a=\"1></xsi:Event>",
        "<xsi:Event xmlns:xsi=\"http://schema.broadsoft.com/xsi\"><xsi:eventID>a & b</xsi:eventID></xsi:Event>",
    ] {
        assert!(
            matches!(parse_event(body.as_bytes()), Err(ParseError::Malformed(_))),
            "{body}: {:?}",
            parse_event(body.as_bytes())
        );
    }
}

#[test]
fn truncated_body_is_malformed_at_every_cut() {
    let body = added_body();
    // Every cut inside the root element (after its start tag is complete, and before its end
    // tag is) leaves a document that is not well-formed.
    let start = body.find("<xsi:eventID>").unwrap();
    let end = body.rfind("</xsi:Event>").unwrap();
    for cut in (start..end).step_by(7) {
        let result = parse_event(&body.as_bytes()[..cut]);
        assert!(
            matches!(result, Err(ParseError::Malformed(_))),
            "cut at {cut}: {result:?}"
        );
    }
}

#[test]
fn content_after_the_root_is_malformed() {
    let body = format!("{}<xsi:Event/>", added_body());
    assert!(matches!(
        parse_event(body.as_bytes()),
        Err(ParseError::Malformed(_))
    ));
}

#[test]
fn invalid_utf8_is_malformed() {
    let mut body = added_body().into_bytes();
    let at = body.windows(7).position(|w| w == b"Network").unwrap();
    body[at] = 0xFF;
    assert!(matches!(parse_event(&body), Err(ParseError::Malformed(_))));
}

#[test]
fn wrong_root_is_not_an_event() {
    let result = parse_event(br#"<Subscription xmlns="http://schema.broadsoft.com/xsi"><expires>1</expires></Subscription>"#);
    assert!(matches!(result, Err(ParseError::NotAnEvent(r)) if r.contains("Subscription")));
}

#[test]
fn event_root_in_another_namespace_is_not_an_event() {
    let body = added_body().replace(
        r#"xmlns:xsi="http://schema.broadsoft.com/xsi""#,
        r#"xmlns:xsi="http://example.com/not-xsi""#,
    );
    assert!(matches!(
        parse_event(body.as_bytes()),
        Err(ParseError::NotAnEvent(_))
    ));
    // No namespace at all.
    let bare = r#"<Event xmlns:i="http://www.w3.org/2001/XMLSchema-instance" i:type="SubscriptionEvent"/>"#;
    assert!(matches!(
        parse_event(bare.as_bytes()),
        Err(ParseError::NotAnEvent(_))
    ));
}

#[test]
fn event_without_type_or_with_unknown_top_level_type() {
    let untyped = r#"<xsi:Event xmlns:xsi="http://schema.broadsoft.com/xsi"><xsi:eventID>1</xsi:eventID></xsi:Event>"#;
    assert!(
        matches!(parse_event(untyped.as_bytes()), Err(ParseError::NotAnEvent(r)) if r.contains("xsi:type"))
    );
    let body = added_body().replace("xsi:SubscriptionEvent", "xsi:SomethingElseEvent");
    assert!(
        matches!(parse_event(body.as_bytes()), Err(ParseError::NotAnEvent(r)) if r.contains("SomethingElseEvent"))
    );
}

#[test]
fn call_event_without_call_id_is_not_an_event() {
    let body = added_body().replace("<xsi:callId>callhalf-53149:0</xsi:callId>", "");
    assert!(
        matches!(parse_event(body.as_bytes()), Err(ParseError::NotAnEvent(r)) if r.contains("callId"))
    );
    let blank = added_body().replace("callhalf-53149:0", "  ");
    assert!(
        matches!(parse_event(blank.as_bytes()), Err(ParseError::NotAnEvent(r)) if r.contains("callId"))
    );
}

#[test]
fn call_event_without_queue_entry_is_not_an_event() {
    let body = added_body();
    let from = body.find("<xsi:queueEntry>").unwrap();
    let to = body.find("</xsi:queueEntry>").unwrap() + "</xsi:queueEntry>".len();
    let body = format!("{}{}", &body[..from], &body[to..]);
    assert!(
        matches!(parse_event(body.as_bytes()), Err(ParseError::NotAnEvent(r)) if r.contains("queueEntry"))
    );
}

#[test]
fn add_time_junk_is_not_an_event_other_number_junk_is_dropped() {
    let body = added_body().replace(">1271711961291<", ">BLAAT<");
    // addTime and addTimeInPriorityBucket carry the same value in the sample: addTime refuses.
    assert!(
        matches!(parse_event(body.as_bytes()), Err(ParseError::NotAnEvent(r)) if r.contains("BLAAT"))
    );

    let body = added_body()
        .replace("<xsi:position>1<", "<xsi:position>BLAAT<")
        .replace(
            "<xsi:acdPriority>0-Highest<",
            "<xsi:acdPriority>9-Whatever<",
        )
        .replace(
            "<xsi:addTimeInPriorityBucket>1271711961291<",
            "<xsi:addTimeInPriorityBucket>x<",
        )
        .replace("<xsi:sequenceNumber>", "<xsi:sequenceNumber>-");
    let Ok(Event::Subscription(sub)) = parse_event(body.as_bytes()) else {
        panic!("junk in advisory numbers must not refuse the event");
    };
    let EventData::Call(c) = sub.data else {
        panic!("not a call")
    };
    assert_eq!(sub.envelope.sequence_number, None);
    assert_eq!(c.position, None);
    assert_eq!(c.entry.acd_priority, None);
    assert_eq!(c.entry.add_time_in_priority_bucket, None);
    assert_eq!(c.entry.add_time, Some(1_271_711_961_291));
}

#[test]
fn subscription_event_without_event_id_or_event_data_is_not_an_event() {
    let body = added_body()
        .replace("<xsi:eventID>", "<xsi:other>")
        .replace("</xsi:eventID>", "</xsi:other>");
    assert!(
        matches!(parse_event(body.as_bytes()), Err(ParseError::NotAnEvent(r)) if r.contains("eventID"))
    );
    let body = added_body();
    let from = body.find("<xsi:eventData").unwrap();
    let to = body.find("</xsi:eventData>").unwrap() + "</xsi:eventData>".len();
    let body = format!("{}{}", &body[..from], &body[to..]);
    assert!(
        matches!(parse_event(body.as_bytes()), Err(ParseError::NotAnEvent(r)) if r.contains("eventData"))
    );
}

#[test]
fn refusal_reasons_are_one_short_line() {
    let long_type = format!("xsi:{}\nEvent", "X".repeat(500));
    let body = added_body().replace("xsi:SubscriptionEvent", &long_type);
    let err = parse_event(body.as_bytes()).unwrap_err();
    let text = err.to_string();
    assert!(!text.contains('\n'), "{text}");
    assert!(text.len() < 300, "{} chars", text.len());
}

// ---- Salvage: the envelope of an event that does not parse --------------------------------

/// The Added sample's envelope, as parsed.
fn added_envelope() -> Envelope {
    subscription(ADDED).envelope
}

#[test]
fn salvage_of_a_whole_event_is_its_envelope() {
    for (name, _) in TABLE {
        let body = std::fs::read(fixtures_dir().join(name)).unwrap();
        let salvaged = salvage_envelope(&body);
        match parse_event(&body) {
            Ok(Event::Subscription(event)) => {
                assert_eq!(salvaged, Some(event.envelope), "{name}");
            }
            // No eventID to answer by (ChannelTerminatedEvent, ErrorEvent), or no event at
            // all (the fixtures refused are other documents: Channel, Subscription, ...).
            Ok(Event::ChannelTerminated(_) | Event::Error(_)) | Err(_) => {
                assert_eq!(salvaged, None, "{name}");
            }
        }
    }
}

#[test]
fn salvage_reads_the_envelope_of_an_event_whose_event_data_is_broken() {
    // Refused by the parser for what is inside eventData, each in its own way.
    let not_well_formed = added_body().replace("</xsi:callId>", "</xsi:calId>");
    let bad_add_time = added_body().replace(">1271711961291<", ">BLAAT<");
    let no_type = added_body().replace(r#" xsi1:type="xsi:ACDCallAddedEvent""#, "");
    let bad_entity = added_body().replace("Network<", "Net&work;<");
    for body in [not_well_formed, bad_add_time, no_type, bad_entity] {
        assert!(parse_event(body.as_bytes()).is_err(), "{body}");
        assert_eq!(salvage_envelope(body.as_bytes()), Some(added_envelope()));
    }
}

#[test]
fn salvage_of_a_partial_document_keeps_what_came_before_the_cut() {
    let body = added_body();
    let full = added_envelope();
    let id_end = body.find("</xsi:eventID>").unwrap() + "</xsi:eventID>".len();
    let subscription_end =
        body.find("</xsi:subscriptionId>").unwrap() + "</xsi:subscriptionId>".len();
    for cut in 0..body.len() {
        let salvaged = salvage_envelope(&body.as_bytes()[..cut]);
        if cut < id_end {
            assert_eq!(salvaged, None, "cut at {cut}");
            continue;
        }
        let salvaged = salvaged.unwrap_or_else(|| panic!("cut at {cut}: nothing salvaged"));
        // Every field read is the event's own; none is read half.
        assert_eq!(salvaged.event_id, full.event_id, "cut at {cut}");
        for (got, want) in [
            (&salvaged.user_id, &full.user_id),
            (&salvaged.subscription_id, &full.subscription_id),
            (
                &salvaged.external_application_id,
                &full.external_application_id,
            ),
        ] {
            assert!(got.is_empty() || got == want, "cut at {cut}: {salvaged:?}");
        }
        assert!(salvaged.sequence_number.is_none() || salvaged.sequence_number == Some(10));
        assert!(salvaged.target_id.is_none() || salvaged.target_id == full.target_id);
        if cut >= subscription_end {
            assert_eq!(
                salvaged.subscription_id, full.subscription_id,
                "cut at {cut}"
            );
        }
    }
}

#[test]
fn salvage_stops_at_event_data_and_at_the_first_error() {
    // Fields after eventData are not envelope fields, even when they look like them.
    let after = added_body().replace(
        "</xsi:eventData>",
        "</xsi:eventData><xsi:targetId>late@example.com</xsi:targetId>",
    );
    assert_eq!(salvage_envelope(after.as_bytes()), Some(added_envelope()));
    // A broken userId ends the salvage: the eventID and sequenceNumber before it stand.
    let broken = added_body().replace(
        "<xsi:userId>adminCTI@broadsoft.com@broadsoft.com</xsi:userId>",
        "<xsi:userId>a &bad; b</xsi:userId>",
    );
    let salvaged = salvage_envelope(broken.as_bytes()).expect("the eventID was read");
    assert_eq!(salvaged.event_id, added_envelope().event_id);
    assert_eq!(salvaged.sequence_number, Some(10));
    assert_eq!(&*salvaged.user_id, "");
    assert_eq!(&*salvaged.subscription_id, "");
    // Only a subscriptionId: still worth returning (the eventID is empty).
    let no_id = added_body().replace(
        "<xsi:eventID>689984d9-3959-45ce-822b-9b37a963f653</xsi:eventID>",
        "<xsi:eventID> </xsi:eventID>",
    );
    let salvaged = salvage_envelope(no_id.as_bytes()).expect("the subscriptionId was read");
    assert_eq!(&*salvaged.event_id, "");
    assert_eq!(salvaged.subscription_id, added_envelope().subscription_id);
}

#[test]
fn salvage_of_garbage_empty_and_foreign_documents_is_none() {
    let doctype = format!(
        "<!DOCTYPE x [<!ENTITY a \"a\">]>{}",
        added_body().trim_start_matches(r#"<?xml version="1.0" encoding="UTF-8"?>"#)
    );
    let other_namespace = added_body().replace(
        r#"xmlns:xsi="http://schema.broadsoft.com/xsi""#,
        r#"xmlns:xsi="http://example.com/not-xsi""#,
    );
    for body in [
        String::new(),
        "   ".into(),
        "hello, wallboard".into(),
        "\u{0}\u{1}<<<>>>&&&".into(),
        r#"{"eventID":"1"}"#.into(),
        "<xsi:Event".into(),
        r#"<Subscription xmlns="http://schema.broadsoft.com/xsi"><subscriptionId>s</subscriptionId></Subscription>"#.into(),
        other_namespace,
        // A document type declaration is refused before anything is read, as by the parser.
        doctype,
        // Never answered, whatever it holds.
        r#"<xsi:Event xmlns:xsi="http://schema.broadsoft.com/xsi" xmlns:i="http://www.w3.org/2001/XMLSchema-instance" i:type="xsi:ChannelTerminatedEvent"><xsi:eventID>e</xsi:eventID><xsi:channelId>c</xsi:channelId></xsi:Event>"#.into(),
    ] {
        assert_eq!(salvage_envelope(body.as_bytes()), None, "{body:?}");
    }
    assert_eq!(salvage_envelope(&[0xFF, 0xFE, 0x00, 0x3C]), None);
}
