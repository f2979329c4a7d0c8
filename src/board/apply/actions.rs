//! Pending marks of actions on calls (issue 18). They are board state because every viewer of
//! this board should see that a call is being acted on, and because only the applier sees the
//! XSP's events in order: a mark set here before the request leaves is cleared by the event
//! that answers it even when the event comes before the HTTP answer. The outcome's words stay
//! in the UI state of whoever acted (a one-line message), as a key's other answers do.

use std::sync::Arc;

use super::Applier;
use crate::actions::ActionKind;
use crate::xsi::CallEventKind;

/// Marks kept at most: each is a confirmed key press or a control request, far fewer; a bound
/// all the same.
const MAX_PENDING: usize = 1024;

impl Applier {
    /// Mark the call pending until `until_ms`, if it is on the board.
    pub(super) fn action_pending(
        &mut self,
        call_center: &Arc<str>,
        call_id: &Arc<str>,
        action: ActionKind,
        until_ms: i64,
    ) -> bool {
        let Some(mut queue) = self.board.queues.get_mut(call_center) else {
            return false;
        };
        let Some(index) = queue.index_of(call_id) else {
            return false;
        };
        queue.calls[index].pending = Some((action, until_ms));
        drop(queue);
        if self.pending.len() >= MAX_PENDING {
            self.pending.remove(0);
        }
        self.pending
            .push((call_center.clone(), call_id.clone(), until_ms));
        true
    }

    /// Take the call's mark off (the request failed: no event will answer it).
    pub(super) fn action_settled(&mut self, call_center: &Arc<str>, call_id: &Arc<str>) -> bool {
        self.pending
            .retain(|(cc, call, _)| !(cc == call_center && call == call_id));
        let Some(mut queue) = self.board.queues.get_mut(call_center) else {
            return false;
        };
        queue
            .index_of(call_id)
            .and_then(|i| queue.calls[i].pending.take())
            .is_some()
    }

    /// Marks past their time, taken off; true if any was still shown.
    pub(super) fn expire_pending(&mut self, now_ms: i64) -> bool {
        if self.pending.iter().all(|(_, _, until)| *until > now_ms) {
            return false;
        }
        let (due, kept): (Vec<_>, Vec<_>) = std::mem::take(&mut self.pending)
            .into_iter()
            .partition(|(_, _, until)| *until <= now_ms);
        self.pending = kept;
        let mut changed = false;
        for (call_center, call_id, until) in due {
            let Some(mut queue) = self.board.queues.get_mut(&call_center) else {
                continue;
            };
            if let Some(i) = queue.index_of(&call_id)
                // A later mark on the same call keeps its own time.
                && queue.calls[i].pending.is_some_and(|(_, u)| u == until)
            {
                queue.calls[i].pending = None;
                changed = true;
            }
        }
        changed
    }

    /// When the next mark runs out.
    pub(super) fn next_pending_ms(&self) -> Option<i64> {
        self.pending.iter().map(|(_, _, until)| *until).min()
    }
}

/// Does `event` answer the action `pending` (so its mark goes)?
pub(super) fn answers(pending: Option<(ActionKind, i64)>, event: CallEventKind) -> bool {
    pending.is_some_and(|(action, _)| action.answered_by(event))
}
