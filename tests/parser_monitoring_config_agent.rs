//! `xsi::parse_event` on the Call Center Monitoring, Configuration and Agent packages, in the
//! specification's and the public samples' shapes.

#[path = "common/fixtures.rs"]
mod fixtures;

use std::sync::Arc;

use fixtures::{data, fixtures_dir, s, subscription};
use xsi_wallboard::xsi::{
    AgentEventKind, AgentJoin, AgentJoins, AgentState, ConfigurationKind, Event, EventData,
    MonitoredValue, parse_event,
};

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
