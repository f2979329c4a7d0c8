//! `xsi::parse_event` on the Call Center Queue package: one test per sample of the
//! specification (section 4.7.3).

#[path = "common/fixtures.rs"]
mod fixtures;

use std::sync::Arc;

use fixtures::{call, data, fixtures_dir, not_queued, s, snapshot, subscription};
use xsi_wallboard::xsi::{CallEventKind, Event, EventData, NotQueuedKind, parse_event};

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
