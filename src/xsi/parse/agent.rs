//! Call Center Agent package `eventData`.

use super::cursor::{Cursor, TextOrChild};
use super::{ParseError, arc, id_opt};
use crate::xsi::{AgentEvent, AgentEventKind, AgentJoin, AgentJoins, AgentState, EventData};

/// Agent events the board does not act on; recognised so they are not counted as unknown.
const OTHER: [&str; 4] = [
    "AgentDispositionCodeAddedEvent",
    "CallCenterAgentMonitoringEvent",
    "CallCenterAgentMonitoringSubscriptionEvent",
    "CallCenterAgentOnCallAlertEvent",
];

/// `Some` if `name` is an agent event; the element's content is consumed then.
pub(super) fn event_data(
    cur: &mut Cursor<'_>,
    name: &str,
) -> Result<Option<EventData>, ParseError> {
    let kind = match name {
        "AgentStateEvent" => AgentEventKind::State,
        "AgentSubscriptionEvent" => AgentEventKind::Subscription,
        "ACDAgentJoinUpdateEvent" => AgentEventKind::JoinUpdate,
        name if OTHER.contains(&name) => AgentEventKind::Other,
        _ => return Ok(None),
    };
    let mut event = AgentEvent {
        kind,
        type_name: arc(name),
        state: None,
        state_timestamp: None,
        unavailable_code: None,
        joins: match kind {
            AgentEventKind::Subscription => Some(AgentJoins::All(Vec::new())),
            // Without `ccAgentJoinUpdateData`: "only not present for service unassignment".
            AgentEventKind::JoinUpdate => Some(AgentJoins::Unassigned),
            AgentEventKind::State | AgentEventKind::Other => None,
        },
    };
    if kind == AgentEventKind::Other {
        cur.skip()?;
        return Ok(Some(EventData::Agent(event)));
    }
    while let Some(tag) = cur.next_child()? {
        match tag.xsi_name() {
            // `AgentStateEvent/agentStateInfo`, `AgentSubscriptionEvent/stateInfo`.
            Some("agentStateInfo" | "stateInfo") => state_info(cur, &mut event)?,
            // `AgentSubscriptionEvent/joinData/joinInfos/joinInfo*`.
            Some("joinData") if kind == AgentEventKind::Subscription => {
                let mut all = Vec::new();
                while let Some(tag) = cur.next_child()? {
                    if tag.xsi_name() == Some("joinInfos") {
                        join_infos(cur, &mut all)?;
                    } else {
                        cur.skip()?;
                    }
                }
                event.joins = Some(AgentJoins::All(all));
            }
            // `ACDAgentJoinUpdateEvent/ccAgentJoinUpdateData/joinInfo?`: one call center
            // joined or left; without the `joinInfo` the service was unassigned.
            Some("ccAgentJoinUpdateData") if kind == AgentEventKind::JoinUpdate => {
                let mut one = Vec::new();
                join_infos(cur, &mut one)?;
                event.joins = Some(match one.pop() {
                    Some(join) => AgentJoins::One(join),
                    None => AgentJoins::Unassigned,
                });
            }
            _ => cur.skip()?,
        }
    }
    Ok(Some(EventData::Agent(event)))
}

/// `AgentStateInformation`: unknown states and junk timestamps become `None`.
fn state_info(cur: &mut Cursor<'_>, event: &mut AgentEvent) -> Result<(), ParseError> {
    while let Some(tag) = cur.next_child()? {
        match tag.xsi_name() {
            Some("state") => event.state = AgentState::parse(cur.text()?),
            Some("stateTimestamp") => event.state_timestamp = timestamp(cur)?,
            Some("unavailableCode") => event.unavailable_code = cur.text_opt()?.map(arc),
            _ => cur.skip()?,
        }
    }
    Ok(())
}

/// `stateTimestamp`: a bare number (older servers) or `TimestampWithSeverity/value`.
fn timestamp(cur: &mut Cursor<'_>) -> Result<Option<i64>, ParseError> {
    let mut next = match cur.text_or_child()? {
        TextOrChild::Text(bare) => return Ok(bare.parse().ok()),
        TextOrChild::Child(tag) => Some(tag),
    };
    let mut value = None;
    while let Some(tag) = next {
        if tag.xsi_name() == Some("value") {
            value = cur.text()?.parse().ok();
        } else {
            cur.skip()?;
        }
        next = cur.next_child()?;
    }
    Ok(value)
}

/// `joinInfo` children of the element just entered, joined or not (`joined` present).
fn join_infos(cur: &mut Cursor<'_>, joins: &mut Vec<AgentJoin>) -> Result<(), ParseError> {
    while let Some(tag) = cur.next_child()? {
        if tag.xsi_name() != Some("joinInfo") {
            cur.skip()?;
            continue;
        }
        let mut acd_user_id = None;
        let mut joined = false;
        while let Some(tag) = cur.next_child()? {
            match tag.xsi_name() {
                Some("acdUserId") => acd_user_id = id_opt("acdUserId", cur.text_opt()?)?,
                Some("joined") => {
                    cur.skip()?;
                    joined = true;
                }
                _ => cur.skip()?,
            }
        }
        if let Some(call_center) = acd_user_id {
            joins.push(AgentJoin {
                call_center,
                joined,
            });
        }
    }
    Ok(())
}
