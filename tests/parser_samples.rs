//! `xsi::parse_event` against every reference sample under `tests/fixtures/`: a table of what
//! each must become, kept complete, and the samples of packages the wallboard does not follow.

#[path = "common/fixtures.rs"]
mod fixtures;

use std::sync::Arc;

use fixtures::{data, fixture_names, parse_fixture};
use xsi_wallboard::xsi::{Event, EventData, ParseError};

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
    let on_disk = fixture_names();
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
