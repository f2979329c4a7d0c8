//! Call Center Queue, Call Center Monitoring and Call Center Configuration `eventData`.

use super::cursor::{Cursor, TextOrChild};
use super::{ParseError, arc, id, id_opt};
use crate::xsi::{
    CallEvent, CallEventKind, ConfigurationEvent, ConfigurationKind, EventData, MonitoredValue,
    MonitoringStatus, NotQueued, NotQueuedKind, QueueEntry, QueueSnapshot, RemoteParty,
};

/// The announcement-finished events, as the 2017 schema spells them (`Treatement` twice) and as
/// the specification's example 4.7.3.16 spells them: both are accepted.
const TREATMENT_COMPLETED: [&str; 8] = [
    "ACDCallForwardedTreatmentCompletedEvent",
    "ACDCallOverflowedTreatmentCompletedEvent",
    "ACDCallStrandedTreatementCompletedEvent",
    "ACDCallStrandedTreatmentCompletedEvent",
    "ACDCallStrandedUnavailableTreatementCompletedEvent",
    "ACDCallStrandedUnavailableTreatmentCompletedEvent",
    "ACDHolidayPolicyTreatmentCompletedEvent",
    "ACDNightPolicyTreatmentCompletedEvent",
];

/// `Some` if `name` is a type of these packages; the element's content is consumed then.
pub(super) fn event_data(
    cur: &mut Cursor<'_>,
    name: &str,
) -> Result<Option<EventData>, ParseError> {
    let data = match name {
        "ACDSubscriptionEvent" => EventData::QueueSnapshot(snapshot(cur, false)?),
        "ACDSubscriptionResyncEvent" => EventData::QueueSnapshot(snapshot(cur, true)?),
        "ACDCallForwardedEvent" => not_queued(cur, NotQueuedKind::Forwarded)?,
        "ACDNightPolicyAppliedEvent" => not_queued(cur, NotQueuedKind::NightPolicyApplied)?,
        "ACDHolidayPolicyAppliedEvent" => not_queued(cur, NotQueuedKind::HolidayPolicyApplied)?,
        "CallCenterMonitoringEvent" => EventData::Monitoring(monitoring(cur)?),
        "ACDConfigurationSubscriptionEvent" => configuration(cur, ConfigurationKind::Subscription)?,
        "ACDForcedForwardingEvent" => configuration(cur, ConfigurationKind::ForcedForwarding)?,
        "ACDHolidayServiceEvent" => configuration(cur, ConfigurationKind::HolidayService)?,
        "ACDNightServiceEvent" => configuration(cur, ConfigurationKind::NightService)?,
        // Call events first: they are nearly all the traffic.
        name => match CallEventKind::from_type_name(name) {
            Some(kind) => EventData::Call(call_event(cur, kind)?),
            None if TREATMENT_COMPLETED.contains(&name) => {
                cur.skip()?;
                EventData::TreatmentCompleted(arc(name))
            }
            None => return Ok(None),
        },
    };
    Ok(Some(data))
}

fn call_event(cur: &mut Cursor<'_>, kind: CallEventKind) -> Result<CallEvent, ParseError> {
    let mut entry = None;
    let mut position = None;
    let mut overflow_reason = None;
    while let Some(tag) = cur.next_child()? {
        match tag.xsi_name() {
            Some("queueEntry") => entry = Some(queue_entry(cur)?),
            // `PositiveInt`: 0 or junk is no position (the board ranks calls itself).
            Some("position") => position = cur.text()?.parse().ok().filter(|&p: &u32| p > 0),
            Some("overflowReason") => overflow_reason = cur.text_opt()?.map(arc),
            _ => cur.skip()?,
        }
    }
    let entry = entry
        .ok_or_else(|| ParseError::NotAnEvent(format!("{} has no queueEntry", kind.type_name())))?;
    Ok(CallEvent {
        kind,
        entry,
        position,
        overflow_reason,
    })
}

fn snapshot(cur: &mut Cursor<'_>, resync: bool) -> Result<QueueSnapshot, ParseError> {
    let mut entries = Vec::new();
    while let Some(tag) = cur.next_child()? {
        if tag.xsi_name() != Some("queueEntries") {
            cur.skip()?;
            continue;
        }
        while let Some(tag) = cur.next_child()? {
            if tag.xsi_name() == Some("queueEntry") {
                // One bad entry refuses the whole snapshot: it replaces the queue, and a
                // silently dropped call would vanish from the board.
                entries.push(queue_entry(cur)?);
            } else {
                cur.skip()?;
            }
        }
    }
    Ok(QueueSnapshot { resync, entries })
}

/// Epoch ms from 2000 to 2100: an `addTime` outside is not a clock reading but a fault, and a
/// wait timer built on it would show nonsense for as long as the call stays.
const PLAUSIBLE_MS: std::ops::Range<i64> = 946_684_800_000..4_102_444_800_000;

/// What a reader does with an `addTime` that is not a plausible time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum BadAddTime {
    /// Refuse the document: an event is taken whole or not at all.
    Refuse,
    /// Leave the entry without one: the Xsi-Actions queue (`ACDQueue`) is read tolerantly.
    Unset,
}

/// `ACDQueueEntry` in an event; only `callId` is required. `addTime` is "only present if the
/// call has been added to the queue" (`XSIACD.xsd`), but when present it must be a plausible
/// time: it is what the wait timer counts from.
fn queue_entry(cur: &mut Cursor<'_>) -> Result<QueueEntry, ParseError> {
    let entry = queue_entry_fields(cur, BadAddTime::Refuse)?;
    if entry.call_id.is_empty() {
        return Err(ParseError::NotAnEvent("queueEntry has no callId".into()));
    }
    Ok(entry)
}

/// The fields of one `ACDQueueEntry`, consumed to its end tag; `call_id` is empty when it has
/// none (the caller refuses or skips such an entry). Shared by events and the Xsi-Actions
/// queue, so that both read an entry the same way.
pub(super) fn queue_entry_fields(
    cur: &mut Cursor<'_>,
    on_bad_add_time: BadAddTime,
) -> Result<QueueEntry, ParseError> {
    let mut entry = QueueEntry::default();
    while let Some(tag) = cur.next_child()? {
        match tag.xsi_name() {
            Some("callId") => entry.call_id = id("callId", cur.text()?)?,
            Some("extTrackingId") => entry.ext_tracking_id = id("extTrackingId", cur.text()?)?,
            Some("remoteParty") => entry.remote_party = remote_party(cur)?,
            Some("addTime") => entry.add_time = add_time(cur.text()?, on_bad_add_time)?,
            Some("removeTime") => {
                entry.remove_time = cur
                    .text()?
                    .parse()
                    .ok()
                    .filter(|t| PLAUSIBLE_MS.contains(t));
            }
            Some("mandatoryEntrance") => entry.mandatory_entrance = flag(cur)?,
            Some("bounced") => entry.bounced = flag(cur)?,
            Some("reordered") => entry.reordered = flag(cur)?,
            // `PositiveInt`; junk or 0 is "not said" (advisory, like every other number).
            Some("preservedWaitTime") => {
                entry.preserved_wait_secs = cur.text()?.parse().ok().filter(|&s: &u32| s > 0);
            }
            Some("acdName") => entry.acd_name = cur.text_opt()?.map(arc),
            Some("acdNumber") => entry.acd_number = cur.text_opt()?.map(arc),
            Some("acdPriority") => entry.acd_priority = acd_priority(cur.text()?),
            Some("addTimeInPriorityBucket") => {
                entry.add_time_in_priority_bucket = cur.text()?.parse().ok();
            }
            Some("answeringUserId") => {
                entry.answering_user_id = id_opt("answeringUserId", cur.text_opt()?)?;
            }
            Some("answeringCallId") => {
                entry.answering_call_id = id_opt("answeringCallId", cur.text_opt()?)?;
            }
            _ => cur.skip()?,
        }
    }
    Ok(entry)
}

/// An `addTime` that is a plausible time, or what `on_bad` says.
fn add_time(text: &str, on_bad: BadAddTime) -> Result<Option<i64>, ParseError> {
    let reason = match text.parse::<i64>() {
        Ok(time) if PLAUSIBLE_MS.contains(&time) => return Ok(Some(time)),
        Ok(time) => format!("queueEntry addTime {time} is not a time between 2000 and 2100"),
        Err(_) => format!("queueEntry addTime `{text}` is not a number"),
    };
    match on_bad {
        BadAddTime::Refuse => Err(ParseError::NotAnEvent(reason)),
        BadAddTime::Unset => Ok(None),
    }
}

/// `0-Highest` .. `3-Low`; the leading digit is what counts.
fn acd_priority(text: &str) -> Option<u8> {
    let digits = text.split('-').next()?;
    digits.parse().ok().filter(|&p: &u8| p <= 3)
}

/// An `EmptyContent` flag: present means set.
fn flag(cur: &mut Cursor<'_>) -> Result<bool, ParseError> {
    cur.skip()?;
    Ok(true)
}

/// `PartyInformation`.
pub(super) fn remote_party(cur: &mut Cursor<'_>) -> Result<RemoteParty, ParseError> {
    let mut party = RemoteParty::default();
    while let Some(tag) = cur.next_child()? {
        match tag.xsi_name() {
            Some("name") => party.name = cur.text_opt()?.map(arc),
            Some("address") => party.address = cur.text_opt()?.map(arc),
            Some("userId") => party.user_id = id_opt("userId", cur.text_opt()?)?,
            Some("userDN") => party.user_dn = cur.text_opt()?.map(arc),
            Some("privacy") => party.privacy = flag(cur)?,
            Some("callType") => party.call_type = cur.text_opt()?.map(arc),
            _ => cur.skip()?,
        }
    }
    Ok(party)
}

/// The flat events of calls that never queued.
fn not_queued(cur: &mut Cursor<'_>, kind: NotQueuedKind) -> Result<EventData, ParseError> {
    let mut event = NotQueued {
        kind,
        call_id: arc(""),
        ext_tracking_id: arc(""),
        acd_name: None,
        acd_number: None,
        remote_party: RemoteParty::default(),
        redirect_address: None,
    };
    while let Some(tag) = cur.next_child()? {
        match tag.xsi_name() {
            Some("callId") => event.call_id = id("callId", cur.text()?)?,
            Some("extTrackingId") => event.ext_tracking_id = id("extTrackingId", cur.text()?)?,
            Some("acdName") => event.acd_name = cur.text_opt()?.map(arc),
            Some("acdNumber") => event.acd_number = cur.text_opt()?.map(arc),
            Some("remoteParty") => event.remote_party = remote_party(cur)?,
            Some("redirect") => {
                while let Some(child) = cur.next_child()? {
                    if child.xsi_name() == Some("address") {
                        event.redirect_address = cur.text_opt()?.map(arc);
                    } else {
                        cur.skip()?;
                    }
                }
            }
            _ => cur.skip()?,
        }
    }
    if event.call_id.is_empty() {
        return Err(ParseError::NotAnEvent(format!(
            "{} has no callId",
            kind.type_name()
        )));
    }
    Ok(EventData::NotQueued(event))
}

/// `monitoringStatus`; junk in one statistic loses that statistic only.
fn monitoring(cur: &mut Cursor<'_>) -> Result<MonitoringStatus, ParseError> {
    let mut status = MonitoringStatus::default();
    while let Some(tag) = cur.next_child()? {
        if tag.xsi_name() != Some("monitoringStatus") {
            cur.skip()?;
            continue;
        }
        while let Some(tag) = cur.next_child()? {
            match tag.xsi_name() {
                Some("averageHandlingTime") => status.average_handling_time = monitored(cur)?,
                Some("expectedWaitTime") => status.expected_wait_time = monitored(cur)?,
                Some("averageSpeedOfAnswer") => status.average_speed_of_answer = monitored(cur)?,
                Some("longestWaitTime") => status.longest_wait_time = monitored(cur)?,
                Some("numCallsInQueue") => status.num_calls_in_queue = monitored(cur)?,
                Some("numAgentsAssigned") => status.num_agents_assigned = cur.text()?.parse().ok(),
                Some("numAgentsStaffed") => status.num_agents_staffed = cur.text()?.parse().ok(),
                Some("numStaffedAgentsIdle") => {
                    status.num_staffed_agents_idle = cur.text()?.parse().ok();
                }
                Some("numStaffedAgentsUnavailable") => {
                    status.num_staffed_agents_unavailable = cur.text()?.parse().ok();
                }
                _ => cur.skip()?,
            }
        }
    }
    Ok(status)
}

/// One statistic in either wire shape: a bare integer (older servers) or
/// `<value>`, `severity?`, `prevSeverity?`, `threshold?` (newer ones).
pub(super) fn monitored(cur: &mut Cursor<'_>) -> Result<Option<MonitoredValue>, ParseError> {
    // Counts and durations are never negative: such a value is dropped like text would be.
    let mut next =
        match cur.text_or_child()? {
            TextOrChild::Text(bare) => {
                return Ok(bare.parse().ok().filter(|v: &i64| *v >= 0).map(|value| {
                    MonitoredValue {
                        value,
                        ..MonitoredValue::default()
                    }
                }));
            }
            TextOrChild::Child(tag) => Some(tag),
        };
    let mut value = None;
    let mut stat = MonitoredValue::default();
    while let Some(tag) = next {
        match tag.xsi_name() {
            Some("value") => value = cur.text()?.parse().ok().filter(|v: &i64| *v >= 0),
            Some("severity") => stat.severity = cur.text()?.parse().ok(),
            Some("prevSeverity") => stat.prev_severity = cur.text()?.parse().ok(),
            Some("threshold") => stat.threshold = cur.text()?.parse().ok(),
            _ => cur.skip()?,
        }
        next = cur.next_child()?;
    }
    Ok(value.map(|value| MonitoredValue { value, ..stat }))
}

/// Call Center Configuration package: which services are active.
///
/// One rule for every service element, in the initial event and in the per-service events: the
/// service is on when its element (per-service events: its `active` child) is present, unless
/// an `active` child says `false`; absent means off. `active` is `xs:boolean` in the initial
/// event and in per-service events before R20.sp1, `EmptyContent` from R20.sp1: both read.
fn configuration(cur: &mut Cursor<'_>, kind: ConfigurationKind) -> Result<EventData, ParseError> {
    let whole = kind == ConfigurationKind::Subscription;
    // The initial event is the whole state: what it leaves out is off.
    let mut event = ConfigurationEvent {
        kind,
        forced_forwarding: whole.then_some(false),
        holiday_service: whole.then_some(false),
        night_service: whole.then_some(false),
        force_night_service: (whole || kind == ConfigurationKind::NightService).then_some(false),
    };
    let mut active = false;
    while let Some(tag) = cur.next_child()? {
        match tag.xsi_name() {
            Some("active") => active = active_flag(cur)?,
            Some("forcedForwarding") if whole => {
                event.forced_forwarding = Some(service_info(cur)?);
            }
            Some("holidayService") if whole => event.holiday_service = Some(service_info(cur)?),
            Some("nightService") if whole => event.night_service = Some(service_info(cur)?),
            Some("forceNightService") => event.force_night_service = Some(flag(cur)?),
            _ => cur.skip()?,
        }
    }
    match kind {
        ConfigurationKind::Subscription => {}
        ConfigurationKind::ForcedForwarding => event.forced_forwarding = Some(active),
        ConfigurationKind::HolidayService => event.holiday_service = Some(active),
        ConfigurationKind::NightService => event.night_service = Some(active),
    }
    Ok(EventData::Configuration(event))
}

/// `ActivatableServiceInfo` present: on, unless its `active` child says `false`.
fn service_info(cur: &mut Cursor<'_>) -> Result<bool, ParseError> {
    let mut on = true;
    while let Some(tag) = cur.next_child()? {
        if tag.xsi_name() == Some("active") {
            on = active_flag(cur)?;
        } else {
            cur.skip()?;
        }
    }
    Ok(on)
}

/// An `active` element present: `EmptyContent` (R20.sp1 on) or an `xs:boolean` (before). Only
/// an explicit false (`false`, `0`) turns it off.
fn active_flag(cur: &mut Cursor<'_>) -> Result<bool, ParseError> {
    let text = cur.text()?;
    Ok(xs_boolean(text) != Some(false))
}

pub(super) fn xs_boolean(text: &str) -> Option<bool> {
    match text {
        "true" | "1" => Some(true),
        "false" | "0" => Some(false),
        _ => None,
    }
}
