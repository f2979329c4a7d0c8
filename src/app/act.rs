//! Acting on the selected call from the keyboard (issue 18): choose, confirm, hand over.
//!
//! ```text
//! p ---> check --refused--> Outcome::Refused (reason on the message line, audited)
//!          | ok
//!          v
//!      Priority (digit) --+
//! t ---> Destination -----+--> Confirm "release Maria Garcia (+1808…) from Billing? y/n"
//!          (digit, or n: type a number)      | y                       | anything else
//! [ ] x ------------------+                  v                         v
//!                                 Outcome::Act(request)          "not sent"
//! ```
//!
//! Pure like the rest of `app`: what is sent, and how it ends, is the loop's business (it
//! hands the request to `actions::Actions` and shows the answer with [`App::say`]).

use std::sync::Arc;

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind};
use tokio::time::Instant;

use super::{App, FeedMode, Outcome};
use crate::actions::{
    ActionKind, ActionRequest, ActionSettings, CallAction, Refusal, caller_words, check,
    move_index, promotable_to,
};
use crate::board::{CallRow, QueueRow};

/// The most characters a typed transfer number may have (the check refuses longer ones).
const MAX_TYPED: usize = 32;

/// The call an action is about, as the prompt names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Target {
    call_center: Arc<str>,
    call_center_name: Arc<str>,
    call_id: Arc<str>,
    /// As shown on screen (masked where the screen masks it).
    caller: String,
    /// 1-based place in serving order.
    place: u32,
}

impl Target {
    fn request(&self, action: CallAction) -> ActionRequest {
        ActionRequest {
            call_center: self.call_center.clone(),
            call_id: self.call_id.clone(),
            action,
        }
    }
}

/// A question on the message line; keys answer it until it closes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Prompt {
    /// Which priority to promote to (the ones above the call's).
    Priority { target: Target, choices: Vec<u8> },
    /// Which destination to transfer to; `typed` while a number is typed.
    Destination {
        target: Target,
        typed: Option<String>,
    },
    /// The last word: `y` sends, anything else does not.
    Confirm {
        target: Target,
        action: CallAction,
        question: String,
    },
}

/// `Maria Garcia (+1808555…)`: the number cut as the issue's example does, so that a question
/// naming caller and call center fits a line.
fn prompt_caller(call: &CallRow) -> String {
    const NUMBER_CHARS: usize = 8;
    let mut call = call.clone();
    if let Some(number) = call.caller_number.as_deref()
        && number.chars().count() > NUMBER_CHARS
    {
        let cut: String = number.chars().take(NUMBER_CHARS).collect();
        call.caller_number = Some(format!("{cut}…").into());
    }
    caller_words(&call)
}

fn priority_word(priority: u8) -> &'static str {
    match priority {
        0 => "highest",
        1 => "high",
        2 => "medium",
        _ => "low",
    }
}

impl App {
    /// What the configuration allows (`--allow-actions`, the transfer destinations).
    #[must_use]
    pub fn with_action_settings(mut self, settings: ActionSettings) -> Self {
        self.action_settings = settings;
        self
    }

    /// A question is open on the message line: keys go to [`App::prompt_key`].
    pub fn has_prompt(&self) -> bool {
        self.prompt.is_some()
    }

    /// The open question, in one line.
    pub fn prompt_line(&self) -> Option<String> {
        let prompt = self.prompt.as_ref()?;
        Some(match prompt {
            Prompt::Priority { target, choices } => {
                let options: Vec<String> = choices
                    .iter()
                    .map(|p| format!("{p} {}", priority_word(*p)))
                    .collect();
                format!("promote {} to: {}", target.caller, options.join("  "))
            }
            Prompt::Destination {
                target,
                typed: Some(typed),
            } => format!(
                "transfer {} to number: {typed}_  (Enter, Esc cancels)",
                target.caller
            ),
            Prompt::Destination {
                target,
                typed: None,
            } => {
                let mut options: Vec<String> = self
                    .action_settings
                    .destinations
                    .iter()
                    .take(9)
                    .enumerate()
                    .map(|(i, d)| format!("{} {}", i + 1, d.name))
                    .collect();
                if self.action_settings.allow_any_transfer_number {
                    options.push("n a number".to_owned());
                }
                format!("transfer {} to: {}", target.caller, options.join("  "))
            }
            Prompt::Confirm { question, .. } => question.clone(),
        })
    }

    /// The call selected in the zoom, by id (the first call when none is, or it left).
    pub fn selected_call_index(&self, queue: &QueueRow) -> Option<usize> {
        if queue.calls.is_empty() {
            return None;
        }
        let found = self
            .selected_call
            .as_ref()
            .and_then(|id| queue.calls.iter().position(|c| c.call_id == *id));
        Some(found.unwrap_or(0))
    }

    /// A selected call that left (answered, abandoned, acted on) hands the selection to the
    /// call now at its place, not to the first: the next key acts where the eye already is.
    pub(super) fn keep_call_selected(&mut self, queues: &[QueueRow]) {
        let Some(queue) = self.selected_index(queues).map(|i| &queues[i]) else {
            return;
        };
        let found = self
            .selected_call
            .as_ref()
            .and_then(|id| queue.calls.iter().position(|c| c.call_id == *id));
        match found {
            Some(rank) => self.selected_call_rank = rank,
            None if self.selected_call.is_some() && !queue.calls.is_empty() => {
                let rank = self.selected_call_rank.min(queue.calls.len() - 1);
                self.selected_call = Some(queue.calls[rank].call_id.clone());
            }
            None => {}
        }
    }

    /// ↑ / ↓ in the zoom: the previous or next call, stopping at either end.
    pub(super) fn step_call(&mut self, queues: &[QueueRow], delta: isize, now: Instant) {
        let Some(queue) = self.selected_index(queues).map(|i| &queues[i]) else {
            return;
        };
        let Some(current) = self.selected_call_index(queue) else {
            self.say("no call waiting here", now);
            return;
        };
        let last = queue.calls.len() - 1;
        let next = current.saturating_add_signed(delta).min(last);
        self.selected_call = Some(queue.calls[next].call_id.clone());
        self.selected_call_rank = next;
    }

    /// `p`, `[`, `]`, `t`, `x` on the selected call.
    pub(super) fn begin_action(
        &mut self,
        kind: ActionKind,
        earlier: bool,
        queues: &[QueueRow],
        now: Instant,
    ) -> Outcome {
        if !self.zoomed {
            self.say(
                format!(
                    "{}: zoom in (Enter) and pick the call with ↑/↓ first",
                    kind.as_str()
                ),
                now,
            );
            return Outcome::Continue;
        }
        let Some(queue) = self.selected_index(queues).map(|i| &queues[i]) else {
            return Outcome::Continue;
        };
        let Some(rank) = self.selected_call_index(queue) else {
            self.say(format!("{}: no call waiting here", kind.as_str()), now);
            return Outcome::Continue;
        };
        let call = &queue.calls[rank];
        let target = Target {
            call_center: queue.id.clone(),
            call_center_name: queue.name.clone(),
            call_id: call.call_id.clone(),
            caller: prompt_caller(call),
            place: call.position,
        };
        // What the request would be, for a refusal's audit line before an argument is chosen.
        let provisional = match kind {
            ActionKind::Promote => CallAction::Promote {
                priority: call.priority.saturating_sub(1),
            },
            ActionKind::Move => CallAction::Move {
                index: u32::try_from(rank).unwrap_or(u32::MAX),
            },
            ActionKind::Transfer => CallAction::Transfer {
                number: String::new(),
            },
            ActionKind::Release => CallAction::Release,
        };
        if let Err(refusal) = self.may_act(kind, earlier, queue, rank, call) {
            return self.refuse(target.request(provisional), refusal, now);
        }
        self.message = None;
        match kind {
            ActionKind::Promote => {
                let choices = promotable_to(call).unwrap_or_default();
                if let [only] = choices[..] {
                    self.confirm(target, CallAction::Promote { priority: only });
                } else {
                    self.prompt = Some(Prompt::Priority { target, choices });
                }
            }
            ActionKind::Move => {
                if let Ok(index) = move_index(queue, rank, earlier) {
                    self.confirm(target, CallAction::Move { index });
                }
            }
            ActionKind::Transfer => {
                let typed = self
                    .action_settings
                    .destinations
                    .is_empty()
                    .then(String::new);
                self.prompt = Some(Prompt::Destination { target, typed });
            }
            ActionKind::Release => self.confirm(target, CallAction::Release),
        }
        Outcome::Continue
    }

    /// Everything that can be said against the action before its argument is chosen.
    fn may_act(
        &self,
        kind: ActionKind,
        earlier: bool,
        queue: &QueueRow,
        rank: usize,
        call: &CallRow,
    ) -> Result<(), Refusal> {
        if !self.action_settings.allowed {
            return Err(Refusal::ActionsOff);
        }
        if self.feed_mode == FeedMode::ListenOnly {
            return Err(Refusal::NoXsp);
        }
        match kind {
            ActionKind::Promote => promotable_to(call).map(drop),
            ActionKind::Move => move_index(queue, rank, earlier).map(drop),
            ActionKind::Transfer
                if self.action_settings.destinations.is_empty()
                    && !self.action_settings.allow_any_transfer_number =>
            {
                Err(Refusal::NotListed)
            }
            ActionKind::Transfer | ActionKind::Release => Ok(()),
        }
    }

    fn refuse(&mut self, request: ActionRequest, refusal: Refusal, now: Instant) -> Outcome {
        self.prompt = None;
        self.say(
            format!("{} not sent: {refusal}", request.action.kind().as_str()),
            now,
        );
        Outcome::Refused(request, refusal)
    }

    /// Ask the last question, naming caller and call center.
    fn confirm(&mut self, target: Target, action: CallAction) {
        let (caller, center) = (&target.caller, &target.call_center_name);
        let question = match &action {
            CallAction::Promote { priority } => format!(
                "promote {caller} in {center} to {priority}-{}? y/n",
                priority_word(*priority)
            ),
            CallAction::Move { index } => format!(
                "move {caller} in {center} from place {} to {}? y/n",
                target.place,
                index + 1
            ),
            CallAction::Transfer { number } => {
                let name = self
                    .action_settings
                    .destinations
                    .iter()
                    .find(|d| d.number == *number)
                    .map_or_else(|| number.clone(), |d| format!("{} ({number})", d.name));
                format!("transfer {caller} from {center} to {name}? y/n")
            }
            CallAction::Release => format!("release {caller} from {center}? y/n"),
        };
        self.prompt = Some(Prompt::Confirm {
            target,
            action,
            question,
        });
    }

    /// A key while a question is open. Esc cancels any of them; at the confirmation only `y`
    /// sends.
    pub fn prompt_key(&mut self, key: KeyEvent, queues: &[QueueRow], now: Instant) -> Outcome {
        if key.kind != KeyEventKind::Press {
            return Outcome::Continue;
        }
        let Some(prompt) = self.prompt.take() else {
            return Outcome::Continue;
        };
        if key.code == KeyCode::Esc {
            self.say("cancelled: nothing sent", now);
            return Outcome::Continue;
        }
        match prompt {
            Prompt::Confirm { target, action, .. } => {
                if key.code == KeyCode::Char('y') {
                    let request = target.request(action);
                    let queue = queues.iter().find(|q| q.id == request.call_center);
                    // The board may have moved on while the question was open.
                    if let Err(refusal) = check(&request, queue, &self.action_settings) {
                        return self.refuse(request, refusal, now);
                    }
                    self.say(
                        format!("{}: sending...", request.action.kind().as_str()),
                        now,
                    );
                    return Outcome::Act(request);
                }
                self.say("not confirmed: nothing sent", now);
            }
            Prompt::Priority { target, choices } => match key.code {
                KeyCode::Char(c @ '0'..='3') if choices.contains(&(c as u8 - b'0')) => {
                    self.confirm(
                        target,
                        CallAction::Promote {
                            priority: c as u8 - b'0',
                        },
                    );
                }
                _ => self.prompt = Some(Prompt::Priority { target, choices }),
            },
            Prompt::Destination { target, typed } => {
                return self.destination_key(key, target, typed, queues, now);
            }
        }
        Outcome::Continue
    }

    fn destination_key(
        &mut self,
        key: KeyEvent,
        target: Target,
        typed: Option<String>,
        queues: &[QueueRow],
        now: Instant,
    ) -> Outcome {
        let Some(mut typed) = typed else {
            match key.code {
                KeyCode::Char(c @ '1'..='9') => {
                    let picked = self
                        .action_settings
                        .destinations
                        .get(usize::from(c as u8 - b'1'))
                        .map(|d| d.number.clone());
                    match picked {
                        Some(number) => self.confirm(target, CallAction::Transfer { number }),
                        None => {
                            self.prompt = Some(Prompt::Destination {
                                target,
                                typed: None,
                            });
                        }
                    }
                }
                KeyCode::Char('n') if self.action_settings.allow_any_transfer_number => {
                    self.prompt = Some(Prompt::Destination {
                        target,
                        typed: Some(String::new()),
                    });
                }
                _ => {
                    self.prompt = Some(Prompt::Destination {
                        target,
                        typed: None,
                    });
                }
            }
            return Outcome::Continue;
        };
        match key.code {
            KeyCode::Enter => {
                let request = target.request(CallAction::Transfer {
                    number: typed.clone(),
                });
                let queue = queues.iter().find(|q| q.id == request.call_center);
                if let Err(refusal) = check(&request, queue, &self.action_settings) {
                    return self.refuse(request, refusal, now);
                }
                self.confirm(target, CallAction::Transfer { number: typed });
                return Outcome::Continue;
            }
            KeyCode::Backspace => {
                typed.pop();
            }
            KeyCode::Char(c)
                if (c.is_ascii_digit() || "+*#".contains(c)) && typed.len() < MAX_TYPED =>
            {
                typed.push(c);
            }
            _ => {}
        }
        self.prompt = Some(Prompt::Destination {
            target,
            typed: Some(typed),
        });
        Outcome::Continue
    }
}
