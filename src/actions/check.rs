//! The checks made before an action is sent: what BroadWorks would refuse anyway (XSI 3.5.5.4
//! and 3.5.5.5), what this wallboard's configuration does not allow, and a call that is gone.
//! Pure: the screen runs them before it asks for confirmation, `Actions::act` again against
//! the board as it is when the request leaves (the screen's snapshot may be a second old).

use std::fmt;

use super::{ActionRequest, ActionSettings, CallAction};
use crate::board::{CallRow, QueueRow};

/// The longest number a transfer may be typed with.
const MAX_NUMBER_CHARS: usize = 32;

/// Why an action is not sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// Neither `--allow-actions` nor `allow_actions = true`.
    ActionsOff,
    /// Listen-only: no XSP to send it to.
    NoXsp,
    /// The call (or its call center) is no longer on the board.
    Gone,
    /// No `acdPriority` in the call's queue entries: not a Premium call center.
    NotPremium,
    Bounced,
    MandatoryEntrance,
    /// Promote only ever to a higher priority (a lower number) than the call has.
    NotHigher {
        current: u8,
        asked: u8,
    },
    /// A move is for `0-Highest` calls (or where the call center sends no priority).
    NotHighest {
        current: u8,
    },
    /// No place that way within the call's priority.
    NoPlace {
        earlier: bool,
    },
    /// A transfer to a number that is not one of `[[transfer_destinations]]`.
    NotListed,
    /// A typed number that is not one (digits, `+`, `*`, `#`).
    BadNumber,
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Refusal::ActionsOff => {
                f.write_str("actions are off (start with --allow-actions to allow them)")
            }
            Refusal::NoXsp => f.write_str("listen-only: no XSP to act through (--xsp-url)"),
            Refusal::Gone => f.write_str("the call is no longer waiting"),
            Refusal::NotPremium => f.write_str(
                "not a Premium call center (its calls carry no priority): BroadWorks would refuse",
            ),
            Refusal::Bounced => f.write_str("a bounced call cannot be promoted or moved"),
            Refusal::MandatoryEntrance => {
                f.write_str("the caller hears the mandatory entrance message: try again after it")
            }
            Refusal::NotHigher { current, asked } => write!(
                f,
                "a call can only be promoted: p{asked} is not above its p{current}"
            ),
            Refusal::NotHighest { current } => write!(
                f,
                "only 0-Highest calls move; this one is p{current}: promote it first"
            ),
            Refusal::NoPlace { earlier: true } => f.write_str("already the first of its priority"),
            Refusal::NoPlace { earlier: false } => f.write_str("already the last of its priority"),
            Refusal::NotListed => f.write_str(
                "not one of the transfer destinations (allow_any_transfer_number is off)",
            ),
            Refusal::BadNumber => f.write_str("not a phone number (digits, +, * and # only)"),
        }
    }
}

/// May `request` be sent, given the call center as the board shows it?
pub fn check(
    request: &ActionRequest,
    queue: Option<&QueueRow>,
    settings: &ActionSettings,
) -> Result<(), Refusal> {
    if !settings.allowed {
        return Err(Refusal::ActionsOff);
    }
    let queue = queue.ok_or(Refusal::Gone)?;
    let call = queue
        .calls
        .iter()
        .find(|c| c.call_id == request.call_id)
        .ok_or(Refusal::Gone)?;
    match &request.action {
        CallAction::Promote { priority } => {
            promotable_to(call)?;
            if *priority >= call.priority {
                return Err(Refusal::NotHigher {
                    current: call.priority,
                    asked: *priority,
                });
            }
            Ok(())
        }
        CallAction::Move { index } => {
            movable(call)?;
            let current = u32::try_from(
                queue
                    .calls
                    .iter()
                    .position(|c| c.call_id == call.call_id)
                    .unwrap_or(0),
            )
            .unwrap_or(u32::MAX);
            let last = u32::try_from(highest_bucket_len(queue))
                .unwrap_or(u32::MAX)
                .saturating_sub(1);
            if *index > last {
                return Err(Refusal::NoPlace { earlier: false });
            }
            if *index == current {
                return Err(Refusal::NoPlace {
                    earlier: current == 0,
                });
            }
            Ok(())
        }
        CallAction::Transfer { number } => transfer_allowed(number, settings),
        CallAction::Release => Ok(()),
    }
}

/// The priorities `call` may be promoted to (highest first), or why none.
pub fn promotable_to(call: &CallRow) -> Result<Vec<u8>, Refusal> {
    if !call.eligibility.premium {
        return Err(Refusal::NotPremium);
    }
    if call.eligibility.bounced {
        return Err(Refusal::Bounced);
    }
    if call.eligibility.mandatory_entrance {
        return Err(Refusal::MandatoryEntrance);
    }
    if call.priority == 0 {
        return Err(Refusal::NotHigher {
            current: 0,
            asked: 0,
        });
    }
    Ok((0..call.priority).collect())
}

/// Where `[` (`earlier`) or `]` would move the call at `rank` (0-based, in serving order), in
/// the specification's count (0 is the next call distributed), or why it cannot move.
pub fn move_index(queue: &QueueRow, rank: usize, earlier: bool) -> Result<u32, Refusal> {
    let call = queue.calls.get(rank).ok_or(Refusal::Gone)?;
    movable(call)?;
    let last = highest_bucket_len(queue).saturating_sub(1);
    let index = if earlier {
        rank.checked_sub(1)
    } else {
        (rank < last).then_some(rank + 1)
    };
    index
        .and_then(|i| u32::try_from(i).ok())
        .ok_or(Refusal::NoPlace { earlier })
}

/// A move is for calls in the first bucket only (XSI 3.5.5.5: "if its priority is set to
/// 0-Highest"); a call center that sends no priority serves all from that one.
fn movable(call: &CallRow) -> Result<(), Refusal> {
    if call.eligibility.premium && call.priority != 0 {
        return Err(Refusal::NotHighest {
            current: call.priority,
        });
    }
    if call.eligibility.bounced {
        return Err(Refusal::Bounced);
    }
    if call.eligibility.mandatory_entrance {
        return Err(Refusal::MandatoryEntrance);
    }
    Ok(())
}

/// How many calls are in the first bucket: those a move may reorder among.
fn highest_bucket_len(queue: &QueueRow) -> usize {
    queue.calls.iter().take_while(|c| c.priority == 0).count()
}

fn transfer_allowed(number: &str, settings: &ActionSettings) -> Result<(), Refusal> {
    if settings.destinations.iter().any(|d| d.number == number) {
        return Ok(());
    }
    if !settings.allow_any_transfer_number {
        return Err(Refusal::NotListed);
    }
    let plausible = !number.is_empty()
        && number.chars().count() <= MAX_NUMBER_CHARS
        && number
            .chars()
            .enumerate()
            .all(|(i, c)| c.is_ascii_digit() || c == '*' || c == '#' || (c == '+' && i == 0));
    if plausible {
        Ok(())
    } else {
        Err(Refusal::BadNumber)
    }
}
