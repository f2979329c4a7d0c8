//! `xsi::write_event`: what it writes parses back to the same event, and what the schema knows
//! validates against it.

#[path = "common/tools.rs"]
mod tools;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use proptest::prelude::*;
use xsi_wallboard::xsi::Package;
use xsi_wallboard::xsi::request::{
    Delivery, EventResponse, EventResponseStatus, SubscriptionRequest,
};
use xsi_wallboard::xsi::{
    AgentEvent, AgentEventKind, AgentJoin, AgentJoins, AgentState, CallEvent, CallEventKind,
    ChannelTerminated, ConfigurationEvent, ConfigurationKind, Envelope, ErrorEvent, Event,
    EventData, MonitoredValue, MonitoringStatus, NotQueued, NotQueuedKind, QueueEntry,
    QueueSnapshot, RemoteParty, SubscriptionEvent, parse_event, write_event, write_queue_event,
};

fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

#[expect(
    clippy::unnecessary_wraps,
    reason = "shorthand for the optional fields it is compared with"
)]
fn s(text: &str) -> Option<Arc<str>> {
    Some(Arc::from(text))
}

fn round_trip(event: &Event) -> Event {
    let xml = write_event(event);
    parse_event(xml.as_bytes()).unwrap_or_else(|e| panic!("{e}\n{xml}"))
}

#[test]
fn every_fixture_event_round_trips() {
    let mut checked = 0;
    for dir in ["spec", "public"] {
        for entry in std::fs::read_dir(fixtures_dir().join(dir)).unwrap() {
            let path = entry.unwrap().path();
            let Ok(event) = parse_event(&std::fs::read(&path).unwrap()) else {
                continue;
            };
            assert_eq!(round_trip(&event), event, "{}", path.display());
            checked += 1;
        }
    }
    assert_eq!(checked, 41, "events among the fixtures");
}

fn envelope() -> Envelope {
    Envelope {
        event_id: Arc::from("7c1c4a8e-3b40-4d7e-9b7e-0f3f0a5d1e21"),
        sequence_number: Some(42),
        user_id: Arc::from("supervisor@example.com"),
        external_application_id: Arc::from("xsi-wallboard"),
        subscription_id: Arc::from("0b8c2f8e-5a7d-4b0c-8e58-2a9d6c1f4e11"),
        channel_id: None,
        http_contact: s("http://127.0.0.1:8765/xsi-events"),
        target_id: s("sales@example.com"),
    }
}

fn entry() -> QueueEntry {
    QueueEntry {
        call_id: Arc::from("callhalf-1:0"),
        ext_tracking_id: Arc::from("7:1"),
        remote_party: RemoteParty {
            name: s("Zoë & Jürgen <\"O'Brien\">"),
            address: s("tel:+15007003333"),
            user_id: None,
            user_dn: None,
            privacy: false,
            call_type: s("Network"),
        },
        add_time: Some(1_700_000_000_000),
        remove_time: None,
        mandatory_entrance: false,
        bounced: false,
        reordered: false,
        preserved_wait_secs: Some(42),
        acd_name: s("Sales"),
        acd_number: s("tel:+15006001025"),
        acd_priority: Some(1),
        add_time_in_priority_bucket: Some(1_700_000_000_000),
        answering_user_id: None,
        answering_call_id: None,
    }
}

/// A call event holding what the schema requires for its kind.
fn schema_complete_call(kind: CallEventKind) -> EventData {
    let mut entry = entry();
    if kind.ends_call() {
        entry.remove_time = entry.add_time.map(|t| t + 65_000);
    }
    if matches!(
        kind,
        CallEventKind::WhisperStarted | CallEventKind::AnsweredByAgent
    ) {
        entry.answering_user_id = s("agent1@example.com");
        entry.answering_call_id = s("callhalf-9:0");
    }
    entry.bounced = kind == CallEventKind::Bounced;
    let position = match kind {
        CallEventKind::Added
        | CallEventKind::Bounced
        | CallEventKind::Promoted
        | CallEventKind::Reordered => Some(2),
        _ => None,
    };
    let overflow_reason = (kind == CallEventKind::Overflowed).then(|| Arc::from("size"));
    EventData::Call(CallEvent {
        kind,
        entry,
        position,
        overflow_reason,
    })
}

/// One event of every type the schema defines and the typed events can hold in full.
#[allow(
    clippy::too_many_lines,
    reason = "one event of every type the schema defines, listed"
)]
fn schema_complete_events() -> Vec<Event> {
    let mut data: Vec<EventData> = CallEventKind::ALL
        .into_iter()
        .map(schema_complete_call)
        .collect();
    for resync in [false, true] {
        data.push(EventData::QueueSnapshot(QueueSnapshot {
            resync,
            entries: vec![entry(), entry()],
        }));
    }
    data.push(EventData::QueueSnapshot(QueueSnapshot::default()));
    for kind in [
        NotQueuedKind::Forwarded,
        NotQueuedKind::NightPolicyApplied,
        NotQueuedKind::HolidayPolicyApplied,
    ] {
        data.push(EventData::NotQueued(NotQueued {
            kind,
            call_id: Arc::from("callhalf-2:0"),
            ext_tracking_id: Arc::from("8:1"),
            acd_name: s("Sales"),
            acd_number: s("tel:+15006001025"),
            remote_party: entry().remote_party,
            redirect_address: s("tel:1011"),
        }));
    }
    let stat = |value| {
        Some(MonitoredValue {
            value,
            severity: Some(1),
            prev_severity: Some(0),
            threshold: Some(60),
        })
    };
    data.push(EventData::Monitoring(MonitoringStatus {
        average_handling_time: stat(180),
        expected_wait_time: None,
        average_speed_of_answer: stat(20),
        longest_wait_time: stat(95),
        num_calls_in_queue: Some(MonitoredValue {
            value: 3,
            ..MonitoredValue::default()
        }),
        num_agents_assigned: Some(8),
        num_agents_staffed: Some(6),
        num_staffed_agents_idle: Some(1),
        num_staffed_agents_unavailable: Some(2),
    }));
    data.push(EventData::Configuration(ConfigurationEvent {
        kind: ConfigurationKind::Subscription,
        forced_forwarding: Some(false),
        holiday_service: Some(true),
        night_service: Some(true),
        force_night_service: Some(true),
    }));
    for (kind, active) in [
        (ConfigurationKind::ForcedForwarding, true),
        (ConfigurationKind::HolidayService, false),
        (ConfigurationKind::NightService, true),
    ] {
        data.push(EventData::Configuration(ConfigurationEvent {
            kind,
            forced_forwarding: (kind == ConfigurationKind::ForcedForwarding).then_some(active),
            holiday_service: (kind == ConfigurationKind::HolidayService).then_some(active),
            night_service: (kind == ConfigurationKind::NightService).then_some(active),
            force_night_service: (kind == ConfigurationKind::NightService).then_some(false),
        }));
    }
    let agent = |kind: AgentEventKind, name: &str, state: Option<AgentState>, joined: &[&str]| {
        EventData::Agent(AgentEvent {
            kind,
            type_name: Arc::from(name),
            state,
            state_timestamp: state.map(|_| 1_700_000_000_000),
            unavailable_code: (state == Some(AgentState::Unavailable)).then(|| Arc::from("LUNCH")),
            joins: match kind {
                AgentEventKind::Subscription => Some(AgentJoins::All(
                    joined
                        .iter()
                        .map(|&id| AgentJoin {
                            call_center: Arc::from(id),
                            joined: true,
                        })
                        .collect(),
                )),
                AgentEventKind::JoinUpdate => {
                    Some(joined.first().map_or(AgentJoins::Unassigned, |&id| {
                        AgentJoins::One(AgentJoin {
                            call_center: Arc::from(id),
                            joined: true,
                        })
                    }))
                }
                _ => None,
            },
        })
    };
    data.push(agent(
        AgentEventKind::State,
        "AgentStateEvent",
        Some(AgentState::Unavailable),
        &[],
    ));
    data.push(agent(
        AgentEventKind::Subscription,
        "AgentSubscriptionEvent",
        Some(AgentState::Available),
        &["sales@example.com", "support@example.com"],
    ));
    data.push(agent(
        AgentEventKind::JoinUpdate,
        "ACDAgentJoinUpdateEvent",
        None,
        &["sales@example.com"],
    ));
    data.push(EventData::SubscriptionTerminated);

    let mut events: Vec<Event> = data
        .into_iter()
        .map(|data| {
            Event::Subscription(SubscriptionEvent {
                envelope: envelope(),
                data,
            })
        })
        .collect();
    events.push(Event::ChannelTerminated(ChannelTerminated {
        channel_id: Arc::from("726bfd81-799c-473a-9e32-ed7063ef0b2f"),
        reason: Arc::from("Expired"),
    }));
    events.push(Event::Error(ErrorEvent {
        channel_id: None,
        error_code: s("110"),
        error_message: Arc::from("bad <content>"),
    }));
    events
}

#[test]
fn schema_complete_events_round_trip() {
    for event in schema_complete_events() {
        assert_eq!(round_trip(&event), event);
    }
}

#[test]
fn written_events_validate_against_the_schema() {
    let Some(xmllint) = tools::xmllint() else {
        return;
    };
    xmllint.assert_valid(
        schema_complete_events()
            .iter()
            .enumerate()
            .map(|(i, event)| (format!("event-{i:02}"), write_event(event))),
    );
}

#[test]
fn document_is_written_as_broadworks_does() {
    let Event::Subscription(added) = &schema_complete_events()[0] else {
        unreachable!()
    };
    let xml = write_queue_event(&added.envelope, &added.data);
    assert_eq!(xml, write_event(&schema_complete_events()[0]));
    assert!(xml.starts_with(r#"<?xml version="1.0" encoding="UTF-8"?><xsi:Event xsi1:type="xsi:SubscriptionEvent" xmlns:xsi="http://schema.broadsoft.com/xsi" xmlns:xsi1="http://www.w3.org/2001/XMLSchema-instance"><xsi:eventID>"#), "{xml}");
    assert!(xml.contains(r#"<xsi:eventData xsi1:type="xsi:ACDCallAddedEvent"><xsi:queueEntry><xsi:callId>callhalf-1:0</xsi:callId>"#), "{xml}");
    assert!(
        xml.contains("<xsi:name>Zoë &amp; Jürgen &lt;&quot;O&apos;Brien&quot;&gt;</xsi:name>"),
        "{xml}"
    );
    assert!(
        xml.contains("<xsi:acdPriority>1-High</xsi:acdPriority>"),
        "{xml}"
    );
    assert!(
        xml.ends_with("</xsi:position></xsi:eventData></xsi:Event>"),
        "{xml}"
    );
}

#[test]
fn characters_xml_cannot_carry_are_replaced_and_cr_survives() {
    let mut event = SubscriptionEvent {
        envelope: envelope(),
        data: schema_complete_call(CallEventKind::Added),
    };
    if let EventData::Call(call) = &mut event.data {
        call.entry.remote_party.name = s("a\u{1}b\rc");
    }
    let Event::Subscription(back) = round_trip(&Event::Subscription(event)) else {
        unreachable!()
    };
    let EventData::Call(call) = back.data else {
        unreachable!()
    };
    assert_eq!(call.entry.remote_party.name, s("a\u{fffd}b\rc"));
}

/// The requests we send go through the same escaper as the events: markup escaped, a carriage
/// return kept as a reference, and what XML 1.0 cannot carry replaced, so the XSP always gets a
/// well-formed document.
#[test]
fn requests_are_escaped_as_events_are() {
    let request = SubscriptionRequest {
        event: Package::Queue,
        expires: 3600,
        delivery: Delivery::ChannelSet("set\u{1}<1>".into()),
        application_id: "wb & \"co\"\r\u{b}".into(),
    };
    let xml = request.to_xml();
    assert!(
        xml.contains("<channelSetId>set\u{fffd}&lt;1&gt;</channelSetId>"),
        "{xml}"
    );
    assert!(
        xml.contains("<applicationId>wb &amp; &quot;co&quot;&#13;\u{fffd}</applicationId>"),
        "{xml}"
    );
    let response = EventResponse::new(
        Arc::from("id\u{ffff}&"),
        EventResponseStatus::Received,
        "OK",
    );
    assert!(
        response
            .to_xml()
            .contains("<eventID>id\u{fffd}&amp;</eventID>"),
        "{}",
        response.to_xml()
    );
    for xml in [xml, response.to_xml()] {
        let mut reader = quick_xml::Reader::from_str(&xml);
        loop {
            match reader.read_event() {
                Ok(quick_xml::events::Event::Eof) => break,
                Ok(_) => {}
                Err(e) => panic!("{e}\n{xml}"),
            }
        }
    }
}

#[test]
fn unknown_and_other_types_are_written_empty_with_their_type() {
    for data in [
        EventData::Unknown(Arc::from("CallSubscriptionEvent")),
        EventData::TreatmentCompleted(Arc::from("ACDCallStrandedTreatementCompletedEvent")),
        EventData::Agent(AgentEvent {
            kind: AgentEventKind::Other,
            type_name: Arc::from("AgentDispositionCodeAddedEvent"),
            state: None,
            state_timestamp: None,
            unavailable_code: None,
            joins: None,
        }),
    ] {
        let event = Event::Subscription(SubscriptionEvent {
            envelope: envelope(),
            data,
        });
        assert_eq!(round_trip(&event), event);
    }
}

// ---- Property: any call event survives the trip --------------------------------------------

/// Text as the XSP sends it: non-empty, no surrounding whitespace (values are trimmed), with
/// the characters that need escaping and some that are not ASCII.
fn text() -> impl Strategy<Value = Arc<str>> {
    "[A-Za-z0-9&<>'\"ëü東:@+.-]([A-Za-z0-9 &<>'\"ëü東:@+.-]{0,16}[A-Za-z0-9&<>'\"ëü東:@+.-])?"
        .prop_map(|s| Arc::from(s.as_str()))
}

/// Clock readings the parser accepts (2000 to 2100; others are refused as faults).
fn time() -> impl Strategy<Value = i64> {
    946_684_800_000..4_102_444_800_000_i64
}

prop_compose! {
    fn remote_party()(
        name in proptest::option::of(text()),
        address in proptest::option::of(text()),
        user_id in proptest::option::of(text()),
        user_dn in proptest::option::of(text()),
        privacy in any::<bool>(),
        call_type in proptest::option::of(text()),
    ) -> RemoteParty {
        RemoteParty { name, address, user_id, user_dn, privacy, call_type }
    }
}

prop_compose! {
    fn queue_entry()(
        call_id in text(),
        ext_tracking_id in text(),
        remote_party in remote_party(),
        add_time in proptest::option::of(time()),
        remove_time in proptest::option::of(time()),
        preserved_wait_secs in proptest::option::of(1..=86_400_u32),
        flags in any::<(bool, bool, bool)>(),
        acd_name in proptest::option::of(text()),
        acd_number in proptest::option::of(text()),
        acd_priority in proptest::option::of(0..=3_u8),
        add_time_in_priority_bucket in proptest::option::of(time()),
        answering_user_id in proptest::option::of(text()),
        answering_call_id in proptest::option::of(text()),
    ) -> QueueEntry {
        QueueEntry {
            call_id, ext_tracking_id, remote_party, add_time, remove_time,
            mandatory_entrance: flags.0, bounced: flags.1, reordered: flags.2, preserved_wait_secs,
            acd_name, acd_number, acd_priority, add_time_in_priority_bucket,
            answering_user_id, answering_call_id,
        }
    }
}

prop_compose! {
    fn call_event()(
        kind in proptest::sample::select(CallEventKind::ALL.to_vec()),
        entry in queue_entry(),
        position in proptest::option::of(1..=u32::MAX),
        overflow_reason in proptest::option::of(text()),
    ) -> CallEvent {
        CallEvent { kind, entry, position, overflow_reason }
    }
}

prop_compose! {
    fn generated_envelope()(
        event_id in text(),
        sequence_number in proptest::option::of(any::<u32>()),
        ids in (text(), text(), text()),
        contact in prop_oneof![
            text().prop_map(|c| (Some(c), None)),
            text().prop_map(|u| (None, Some(u))),
        ],
        target_id in proptest::option::of(text()),
    ) -> Envelope {
        Envelope {
            event_id, sequence_number,
            user_id: ids.0, external_application_id: ids.1, subscription_id: ids.2,
            channel_id: contact.0, http_contact: contact.1, target_id,
        }
    }
}

proptest! {
    #[test]
    fn any_call_event_round_trips(envelope in generated_envelope(), call in call_event()) {
        let event = Event::Subscription(SubscriptionEvent { envelope, data: EventData::Call(call) });
        prop_assert_eq!(round_trip(&event), event);
    }

    #[test]
    fn any_snapshot_round_trips(envelope in generated_envelope(), entries in proptest::collection::vec(queue_entry(), 0..5), resync in any::<bool>()) {
        let event = Event::Subscription(SubscriptionEvent {
            envelope,
            data: EventData::QueueSnapshot(QueueSnapshot { resync, entries }),
        });
        prop_assert_eq!(round_trip(&event), event);
    }
}
