//! Acting on a waiting call (issue 18): promote, move, transfer or release it with Xsi-Actions.
//!
//! ```text
//! key (app: choose, confirm) --+                         +--> Input::ActionPending --> applier
//!                              +--> Actions::act --check-+--> ActionSink::send (local: XSP;
//! POST /api/actions -----------+        |                |        remote: a receiver)
//!                                       +-- audit log, counters   +--> Input::ActionSettled
//! ```
//!
//! The board never changes on an answer: a call moves when the XSP's event says so. What this
//! module adds to the board is a "pending" mark on the call (an [`Input`], applied by the one
//! writer, so that it is ordered with the events that clear it), taken off by the matching
//! event, by a failed request, or after [`PENDING_MS`].

mod check;
mod sink;

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use serde::{Deserialize, Serialize};
use tokio::sync::mpsc;

use crate::board::{Board, CallRow, Input, QueueRow, now_ms};
use crate::logging::Wire;

pub use check::{Refusal, check, move_index, promotable_to};
pub use sink::{ActionError, ActionSink, LocalSink, Sent};

/// How long a call shows "pending" when the XSP sends no event about it.
pub const PENDING_MS: i64 = 5_000;

/// The four things a supervisor may do to a waiting call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ActionKind {
    Promote,
    Move,
    Transfer,
    Release,
}

impl ActionKind {
    pub const ALL: [ActionKind; 4] = [
        ActionKind::Promote,
        ActionKind::Move,
        ActionKind::Transfer,
        ActionKind::Release,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ActionKind::Promote => "promote",
            ActionKind::Move => "move",
            ActionKind::Transfer => "transfer",
            ActionKind::Release => "release",
        }
    }

    pub fn parse(word: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == word)
    }

    /// Does `event` answer this action (clear its pending mark)? The ending events take the
    /// call off the board anyway.
    pub fn answered_by(self, event: crate::xsi::CallEventKind) -> bool {
        use crate::xsi::CallEventKind as E;
        matches!(
            (self, event),
            (ActionKind::Promote, E::Promoted)
                | (ActionKind::Move, E::Reordered)
                | (ActionKind::Transfer, E::Transferred)
                | (ActionKind::Release, E::Released)
        )
    }
}

/// What is asked of the call, with its argument.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallAction {
    /// To this priority, 0 (`0-Highest`) .. 3: only ever a lower number than the call's.
    Promote {
        priority: u8,
    },
    /// To this place, counted the specification's way: 0 is the next call to be distributed.
    Move {
        index: u32,
    },
    /// `BlindTransfer?phoneno=`.
    Transfer {
        number: String,
    },
    Release,
}

impl CallAction {
    pub fn kind(&self) -> ActionKind {
        match self {
            CallAction::Promote { .. } => ActionKind::Promote,
            CallAction::Move { .. } => ActionKind::Move,
            CallAction::Transfer { .. } => ActionKind::Transfer,
            CallAction::Release => ActionKind::Release,
        }
    }

    /// The argument as `/api/actions` carries it (empty for a release).
    pub fn argument(&self) -> String {
        match self {
            CallAction::Promote { priority } => priority.to_string(),
            CallAction::Move { index } => index.to_string(),
            CallAction::Transfer { number } => number.clone(),
            CallAction::Release => String::new(),
        }
    }

    /// From `/api/actions`' `action` and `argument`; `Err` says what is wrong, in a line.
    pub fn from_parts(action: &str, argument: Option<&str>) -> Result<Self, String> {
        let kind = ActionKind::parse(action)
            .ok_or_else(|| "action must be promote, move, transfer or release".to_owned())?;
        let argument = argument.map(str::trim).unwrap_or_default();
        match kind {
            ActionKind::Promote => argument
                .split('-')
                .next()
                .and_then(|p| p.parse().ok())
                .filter(|&p: &u8| p <= 3)
                .map(|priority| CallAction::Promote { priority })
                .ok_or_else(|| "promote needs a priority, 0 to 3".to_owned()),
            ActionKind::Move => argument
                .parse()
                .map(|index| CallAction::Move { index })
                .map_err(|_| "move needs an index (0: the next call served)".to_owned()),
            ActionKind::Transfer if argument.is_empty() => {
                Err("transfer needs a number".to_owned())
            }
            ActionKind::Transfer => Ok(CallAction::Transfer {
                number: argument.to_owned(),
            }),
            ActionKind::Release => Ok(CallAction::Release),
        }
    }
}

/// One action on one call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActionRequest {
    pub call_center: Arc<str>,
    pub call_id: Arc<str>,
    pub action: CallAction,
}

/// Who asked, for the audit log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Viewer {
    /// This process's own screen.
    Local,
    /// `POST /api/actions`, with the peer it came from (and what identified it).
    Remote(String),
}

impl fmt::Display for Viewer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Viewer::Local => f.write_str("local"),
            Viewer::Remote(who) => f.write_str(who),
        }
    }
}

/// A transfer destination named in the configuration (`[[transfer_destinations]]`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Destination {
    pub name: String,
    pub number: String,
}

/// What the configuration allows.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ActionSettings {
    /// `--allow-actions` / `allow_actions`: off by default, the wallboard only reads.
    pub allowed: bool,
    pub destinations: Arc<[Destination]>,
    /// `allow_any_transfer_number`: a typed number, not only a listed destination.
    pub allow_any_transfer_number: bool,
}

/// How an action ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ActionOutcome {
    /// The XSP took it; the position it gave, if it gave one. The call moves when its event
    /// comes.
    Sent(Sent),
    /// Refused here, before any request: why.
    Refused(Refusal),
    /// The XSP (or the way to it) refused it: why, in a line (`summaryEnglish (error N)`).
    Failed(String),
}

impl ActionOutcome {
    /// One line for the screen and the audit log.
    pub fn words(&self, kind: ActionKind) -> String {
        let what = kind.as_str();
        match self {
            ActionOutcome::Sent(Sent { position: Some(p) }) => {
                format!("{what} taken (XSP position {p}); the board follows its event")
            }
            ActionOutcome::Sent(Sent { position: None }) => {
                format!("{what} taken; the board follows the XSP's event")
            }
            ActionOutcome::Refused(why) => format!("{what} not sent: {why}"),
            ActionOutcome::Failed(why) => format!("{what} failed: {why}"),
        }
    }

    fn tally(&self) -> usize {
        match self {
            ActionOutcome::Sent(_) => 0,
            ActionOutcome::Failed(_) => 1,
            ActionOutcome::Refused(_) => 2,
        }
    }
}

/// `/api/board`'s `actions`: per action, how many went through, failed, were refused.
#[derive(Debug, Default)]
pub struct ActionCounters {
    /// `[kind][ok, failed, refused]`.
    counts: [[AtomicU64; 3]; 4],
}

/// One action's counts, as `/api/board` shows them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct ActionTally {
    pub ok: u64,
    pub failed: u64,
    pub refused: u64,
}

/// `{"promote": {...}, "move": {...}, "transfer": {...}, "release": {...}}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct ActionTallies {
    pub promote: ActionTally,
    #[serde(rename = "move")]
    pub move_: ActionTally,
    pub transfer: ActionTally,
    pub release: ActionTally,
}

impl ActionCounters {
    fn count(&self, kind: ActionKind, outcome: &ActionOutcome) {
        self.counts[kind as usize][outcome.tally()].fetch_add(1, Ordering::Relaxed);
    }

    pub fn tallies(&self) -> ActionTallies {
        let tally = |kind: ActionKind| {
            let [ok, failed, refused] = &self.counts[kind as usize]
                .each_ref()
                .map(|c| c.load(Ordering::Relaxed));
            ActionTally {
                ok: *ok,
                failed: *failed,
                refused: *refused,
            }
        };
        ActionTallies {
            promote: tally(ActionKind::Promote),
            move_: tally(ActionKind::Move),
            transfer: tally(ActionKind::Transfer),
            release: tally(ActionKind::Release),
        }
    }
}

/// The one way an action is taken, from the screen or from `/api/actions`: checked against
/// the board as it is now, audited, counted, marked pending on the board, sent.
#[derive(Clone)]
pub struct Actions {
    settings: ActionSettings,
    /// `None` in listen-only mode: no XSP to act through.
    sink: Option<Arc<dyn ActionSink>>,
    board: Arc<Board>,
    inputs: mpsc::Sender<Input>,
    /// The XSP account the requests go out as, for the audit log.
    account: Arc<str>,
    mask_callers: bool,
}

impl fmt::Debug for Actions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Actions")
            .field("settings", &self.settings)
            .field("account", &self.account)
            .finish_non_exhaustive()
    }
}

impl Actions {
    pub fn new(
        settings: ActionSettings,
        sink: Option<Arc<dyn ActionSink>>,
        board: Arc<Board>,
        inputs: mpsc::Sender<Input>,
        account: impl Into<Arc<str>>,
    ) -> Self {
        Actions {
            settings,
            sink,
            board,
            inputs,
            account: account.into(),
            mask_callers: false,
        }
    }

    /// `--mask-callers`: the audit log masks every caller, not only those who asked.
    #[must_use]
    pub fn with_mask_callers(mut self, mask: bool) -> Self {
        self.mask_callers = mask;
        self
    }

    pub fn settings(&self) -> &ActionSettings {
        &self.settings
    }

    /// Check `request` against the board now, and send it if it passes. Confirmation has
    /// happened already (at this screen, or at the viewer that posted it).
    pub async fn act(&self, request: ActionRequest, viewer: &Viewer) -> ActionOutcome {
        let now = now_ms();
        let queue = self.queue_row(&request.call_center, now);
        let call = queue
            .as_ref()
            .and_then(|q| q.calls.iter().find(|c| c.call_id == request.call_id));
        let checked = check(&request, queue.as_ref(), &self.settings)
            .and_then(|()| self.sink.clone().ok_or(Refusal::NoXsp));
        let sink = match checked {
            Ok(sink) => sink,
            Err(refusal) => {
                let outcome = ActionOutcome::Refused(refusal);
                self.record(&request, call, viewer, &outcome);
                return outcome;
            }
        };
        let caller = call.cloned();
        let kind = request.action.kind();
        // Marked before the request leaves: the XSP's event may come before its answer, and
        // must find the mark to clear (both go through the applier's one channel, in order).
        let _ = self
            .inputs
            .send(Input::ActionPending {
                call_center: request.call_center.clone(),
                call_id: request.call_id.clone(),
                action: kind,
                until_ms: now + PENDING_MS,
            })
            .await;
        let outcome = match sink.send(&request).await {
            Ok(sent) => ActionOutcome::Sent(sent),
            Err(error) => {
                let _ = self
                    .inputs
                    .send(Input::ActionSettled {
                        call_center: request.call_center.clone(),
                        call_id: request.call_id.clone(),
                    })
                    .await;
                ActionOutcome::Failed(error.to_string())
            }
        };
        self.record(&request, caller.as_ref(), viewer, &outcome);
        outcome
    }

    /// An action refused before it got here (by the screen, which checks before it asks for
    /// confirmation): audited and counted like one refused here.
    pub fn refused(&self, request: &ActionRequest, viewer: &Viewer, refusal: Refusal) {
        let queue = self.queue_row(&request.call_center, now_ms());
        let call = queue
            .as_ref()
            .and_then(|q| q.calls.iter().find(|c| c.call_id == request.call_id));
        self.record(request, call, viewer, &ActionOutcome::Refused(refusal));
    }

    fn queue_row(&self, call_center: &str, now: i64) -> Option<QueueRow> {
        self.board
            .snapshot(now)
            .queues
            .into_iter()
            .find(|q| &*q.id == call_center)
    }

    /// The audit line and the counters.
    fn record(
        &self,
        request: &ActionRequest,
        call: Option<&CallRow>,
        viewer: &Viewer,
        outcome: &ActionOutcome,
    ) {
        let kind = request.action.kind();
        self.board.actions.count(kind, outcome);
        let caller = call.map_or_else(|| "-".to_owned(), |c| self.caller(c));
        let time = jiff::Timestamp::now();
        tracing::info!(
            target: "audit",
            %time,
            account = %Wire(&self.account),
            viewer = %Wire(&viewer.to_string()),
            call_center = %Wire(&request.call_center),
            call = %Wire(&request.call_id),
            caller = %Wire(&caller),
            request = %kind.as_str(),
            argument = %Wire(&request.action.argument()),
            result = %Wire(&outcome.words(kind)),
            "call action"
        );
    }

    /// The caller as the audit log names them: masked under `--mask-callers`, and always
    /// for a caller who asked for privacy.
    fn caller(&self, call: &CallRow) -> String {
        let mut call = call.clone();
        crate::board::privacy::mask_call(&mut call, self.mask_callers);
        caller_words(&call)
    }
}

/// Where the screen's confirmed actions go: this wallboard's own [`Actions`] (checked, sent to
/// the XSP, audited and counted here), or, on an attached viewer, the receiver's
/// `POST /api/actions`, which checks, sends, audits and counts them itself.
#[derive(Clone)]
pub enum Actor {
    Local(Actions),
    Remote {
        /// What this viewer's configuration allows: the keys offer no more (the receiver
        /// applies its own settings again).
        settings: ActionSettings,
        receiver: crate::attach::Client,
    },
}

impl Actor {
    pub fn settings(&self) -> &ActionSettings {
        match self {
            Actor::Local(actions) => actions.settings(),
            Actor::Remote { settings, .. } => settings,
        }
    }

    /// Take a confirmed action; its outcome in one line for the message line.
    pub async fn act(&self, request: ActionRequest) -> String {
        let kind = request.action.kind();
        match self {
            Actor::Local(actions) => actions.act(request, &Viewer::Local).await.words(kind),
            Actor::Remote { receiver, .. } => receiver.act(&request).await,
        }
    }

    /// An action the screen refused before asking for confirmation: audited where the
    /// actions are counted (here; an attached viewer's refusals never reach the receiver, so
    /// its own log keeps them).
    pub fn refused(&self, request: &ActionRequest, refusal: Refusal) {
        match self {
            Actor::Local(actions) => actions.refused(request, &Viewer::Local, refusal),
            Actor::Remote { .. } => tracing::info!(
                target: "audit",
                call_center = %Wire(&request.call_center),
                call = %Wire(&request.call_id),
                request = %request.action.kind().as_str(),
                result = %Wire(&ActionOutcome::Refused(refusal).words(request.action.kind())),
                "call action refused on this viewer"
            ),
        }
    }
}

/// `Maria Garcia (+1808555…)`, or the part that is known.
pub fn caller_words(call: &CallRow) -> String {
    match (call.caller_name.as_deref(), call.caller_number.as_deref()) {
        (Some(name), Some(number)) => format!("{name} ({number})"),
        (Some(name), None) => name.to_owned(),
        (None, Some(number)) => number.to_owned(),
        (None, None) => "an unknown caller".to_owned(),
    }
}
