//! Acting on a call from the keyboard (issue 18), drawn on a `TestBackend` at 80x24: each key
//! through its question and its confirmation to the exact request handed over, and nothing
//! handed over without `y`.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use tokio::time::Instant;

use xsi_wallboard::actions::{ActionRequest, ActionSettings, CallAction, Destination, Refusal};
use xsi_wallboard::app::{App, FeedMode, HeaderInfo, Outcome, View, action_for};
use xsi_wallboard::board::{
    BoardSnapshot, CallRow, CallState, Eligibility, EventCounters, QueueMode, QueueRow, QueueTruth,
    SequenceCounters, StatsRow,
};
use xsi_wallboard::status::LinkStatus;
use xsi_wallboard::ui::theme::Theme;

const CC: &str = "billing@example.com";

fn call(n: u32, name: &str, number: &str, priority: u8) -> CallRow {
    CallRow {
        call_id: format!("callhalf-{n}:0").into(),
        ext_tracking_id: format!("{n}:1").into(),
        caller_name: Some(name.into()),
        caller_number: Some(number.into()),
        add_time_ms: 0,
        wait_secs: u64::from(100 - n),
        position: n,
        priority,
        state: CallState::Waiting,
        agent: None,
        suspect: false,
        privacy: false,
        preserved_wait_secs: None,
        eligibility: Eligibility {
            premium: true,
            ..Eligibility::default()
        },
        pending: None,
    }
}

/// Billing: two p0 calls, then Maria Garcia at p2.
fn board() -> BoardSnapshot {
    let calls = vec![
        call(1, "Ada Lovelace", "+441315550101", 0),
        call(2, "Carlos Núñez", "+34915550000", 0),
        call(3, "Maria Garcia", "+18085550199", 2),
    ];
    BoardSnapshot {
        queues: vec![QueueRow {
            id: CC.into(),
            name: "Billing".into(),
            longest_wait_secs: 99,
            calls,
            answered: 0,
            abandoned: 0,
            other_departures: 0,
            not_queued: 0,
            counters_since: "2026-11-28T08:00:00Z".to_owned(),
            monitoring: None,
            mode: QueueMode::default(),
            last_event_secs_ago: Some(1),
            warn_secs: 60,
            crit_secs: 180,
            stats: StatsRow::default(),
            truth: QueueTruth::default(),
            agents: Vec::new(),
        }],
        events: EventCounters::default(),
        last_event_secs_ago: None,
        sequence: SequenceCounters::default(),
        agents: Vec::new(),
        clock_offset_ms: 0,
        taken_at_ms: 0,
        actions: xsi_wallboard::actions::ActionTallies::default(),
        attached: None,
    }
}

fn settings(allow_any: bool) -> ActionSettings {
    ActionSettings {
        allowed: true,
        destinations: vec![Destination {
            name: "Front desk".into(),
            number: "+41445550100".into(),
        }]
        .into(),
        allow_any_transfer_number: allow_any,
    }
}

/// The screen, zoomed on Billing, with the actions these settings allow.
struct Screen {
    app: App,
    board: BoardSnapshot,
    now: Instant,
}

impl Screen {
    fn new(settings: ActionSettings) -> Screen {
        let mut screen = Screen {
            app: App::new()
                .with_feed_mode(FeedMode::Demo)
                .with_action_settings(settings),
            board: board(),
            now: Instant::now(),
        };
        screen.key(KeyCode::Enter);
        screen
    }

    /// One key press as the loop takes it: to the open question, else through the key map.
    fn key(&mut self, code: KeyCode) -> Outcome {
        let key = KeyEvent::new(code, KeyModifiers::NONE);
        if self.app.has_prompt() {
            return self.app.prompt_key(key, &self.board.queues, self.now);
        }
        let action = action_for(key).expect("a press");
        self.app.apply_at(action, &self.board.queues, self.now)
    }

    fn keys(&mut self, codes: &[KeyCode]) -> Outcome {
        let mut last = Outcome::Continue;
        for &code in codes {
            last = self.key(code);
        }
        last
    }

    /// The frame as text, at 80x24.
    fn text(&self) -> String {
        let mut terminal = Terminal::new(TestBackend::new(80, 24)).expect("terminal");
        let header = HeaderInfo {
            listen: None,
            mode: FeedMode::Demo,
            exposed: false,
        };
        let link = LinkStatus::listen_only("http://127.0.0.1:8765/xsi-events");
        let view = View {
            app: &self.app,
            board: &self.board,
            link: &link,
            header: &header,
            theme: Theme::monochrome(),
            now: self.now,
            history: None,
        };
        terminal
            .draw(|frame| xsi_wallboard::ui::render(frame, &view))
            .expect("draw");
        let buffer = terminal.backend().buffer().clone();
        buffer
            .content
            .chunks(usize::from(buffer.area.width))
            .map(|row| {
                row.iter()
                    .map(ratatui::buffer::Cell::symbol)
                    .collect::<String>()
            })
            .collect::<Vec<_>>()
            .join("\n")
    }
}

fn request(n: u32, action: CallAction) -> ActionRequest {
    ActionRequest {
        call_center: CC.into(),
        call_id: format!("callhalf-{n}:0").into(),
        action,
    }
}

#[test]
fn p_asks_the_priority_then_confirmation_naming_caller_and_call_center() {
    let mut screen = Screen::new(settings(false));
    screen.keys(&[KeyCode::Down, KeyCode::Down]);
    assert!(screen.text().contains(">3"), "{}", screen.text());
    assert_eq!(screen.key(KeyCode::Char('p')), Outcome::Continue);
    let text = screen.text();
    assert!(
        text.contains("promote Maria Garcia (+1808555…) to: 0 highest  1 high"),
        "{text}"
    );
    // A priority not offered (not above the call's) is not taken.
    assert_eq!(screen.key(KeyCode::Char('2')), Outcome::Continue);
    assert_eq!(screen.key(KeyCode::Char('1')), Outcome::Continue);
    let text = screen.text();
    assert!(
        text.contains("promote Maria Garcia (+1808555…) in Billing to 1-high? y/n"),
        "{text}"
    );
    assert_eq!(
        screen.key(KeyCode::Char('y')),
        Outcome::Act(request(3, CallAction::Promote { priority: 1 }))
    );
    assert!(!screen.app.has_prompt());
}

#[test]
fn brackets_move_one_place_within_the_first_priority() {
    let mut screen = Screen::new(settings(false));
    screen.key(KeyCode::Down);
    screen.key(KeyCode::Char('['));
    let text = screen.text();
    assert!(
        text.contains("move Carlos Núñez (+3491555…) in Billing from place 2 to 1? y/n"),
        "{text}"
    );
    assert_eq!(
        screen.key(KeyCode::Char('y')),
        Outcome::Act(request(2, CallAction::Move { index: 0 }))
    );
    // `]` on the last p0 call: no place after it within its priority, said, audited.
    assert!(matches!(
        screen.key(KeyCode::Char(']')),
        Outcome::Refused(_, Refusal::NoPlace { earlier: false })
    ));
    assert!(
        screen
            .text()
            .contains("move not sent: already the last of its priority")
    );
    screen.key(KeyCode::Up);
    screen.key(KeyCode::Char(']'));
    assert_eq!(
        screen.key(KeyCode::Char('y')),
        Outcome::Act(request(1, CallAction::Move { index: 1 }))
    );
}

#[test]
fn t_picks_a_listed_destination_or_a_typed_number_only_when_allowed() {
    let mut screen = Screen::new(settings(false));
    screen.key(KeyCode::Char('t'));
    let text = screen.text();
    assert!(
        text.contains("transfer Ada Lovelace (+4413155…) to: 1 Front desk"),
        "{text}"
    );
    // No typing without allow_any_transfer_number.
    screen.key(KeyCode::Char('n'));
    assert!(
        screen.text().contains("to: 1 Front desk"),
        "{}",
        screen.text()
    );
    screen.key(KeyCode::Char('1'));
    let text = screen.text();
    assert!(
        text.contains("transfer Ada Lovelace (+4413155…) from Billing to Front desk"),
        "{text}"
    );
    assert!(
        text.contains("? y/n"),
        "the question's end stays on screen: {text}"
    );
    assert_eq!(
        screen.key(KeyCode::Char('y')),
        Outcome::Act(request(
            1,
            CallAction::Transfer {
                number: "+41445550100".into()
            }
        ))
    );

    let mut screen = Screen::new(settings(true));
    screen.keys(&[KeyCode::Char('t'), KeyCode::Char('n')]);
    for c in "+1808x555".chars() {
        screen.key(KeyCode::Char(c));
    }
    screen.key(KeyCode::Backspace);
    assert!(
        screen.text().contains("to number: +180855_"),
        "{}",
        screen.text()
    );
    screen.key(KeyCode::Enter);
    assert!(
        screen.text().contains("to +180855? y/n"),
        "{}",
        screen.text()
    );
    assert_eq!(
        screen.key(KeyCode::Char('y')),
        Outcome::Act(request(
            1,
            CallAction::Transfer {
                number: "+180855".into()
            }
        ))
    );
}

#[test]
fn x_sends_nothing_without_y() {
    let mut screen = Screen::new(settings(false));
    screen.key(KeyCode::Char('x'));
    let text = screen.text();
    assert!(
        text.contains("release Ada Lovelace (+4413155…) from Billing? y/n"),
        "{text}"
    );
    assert_eq!(screen.key(KeyCode::Char('n')), Outcome::Continue);
    assert!(screen.text().contains("not confirmed: nothing sent"));
    screen.key(KeyCode::Char('x'));
    assert_eq!(screen.key(KeyCode::Esc), Outcome::Continue);
    assert!(screen.text().contains("cancelled: nothing sent"));
    // Esc closed the question, not the zoom.
    assert!(screen.app.is_zoomed());
    screen.key(KeyCode::Char('x'));
    assert_eq!(
        screen.key(KeyCode::Char('y')),
        Outcome::Act(request(1, CallAction::Release))
    );
}

#[test]
fn refused_before_any_question_with_the_reason_on_screen() {
    let mut off = Screen::new(ActionSettings::default());
    assert!(matches!(
        off.key(KeyCode::Char('x')),
        Outcome::Refused(_, Refusal::ActionsOff)
    ));
    assert!(!off.app.has_prompt());
    assert!(
        off.text().contains("release not sent: actions are off"),
        "{}",
        off.text()
    );

    let mut screen = Screen::new(settings(false));
    // Maria Garcia is p2: she must be promoted before she can move.
    screen.keys(&[KeyCode::Down, KeyCode::Down]);
    assert!(matches!(
        screen.key(KeyCode::Char('[')),
        Outcome::Refused(_, Refusal::NotHighest { current: 2 })
    ));
    // A bounced call is never promoted.
    if let Some(call) = screen.board.queues[0].calls.get_mut(2) {
        call.eligibility.bounced = true;
    }
    assert!(matches!(
        screen.key(KeyCode::Char('p')),
        Outcome::Refused(_, Refusal::Bounced)
    ));
    // Outside the zoom the keys say how to get to a call.
    screen.key(KeyCode::Esc);
    assert_eq!(screen.key(KeyCode::Char('p')), Outcome::Continue);
    assert!(
        screen.text().contains("zoom in (Enter) and pick the call"),
        "{}",
        screen.text()
    );
}

#[test]
fn a_selected_call_that_leaves_hands_the_selection_to_the_call_at_its_place() {
    let mut screen = Screen::new(settings(false));
    screen.key(KeyCode::Down);
    screen.app.arrange(&mut screen.board);
    // Carlos (place 2) is answered: Maria, now at place 2, is selected, not Ada at 1.
    screen.board.queues[0].calls.remove(1);
    screen.app.arrange(&mut screen.board);
    screen.key(KeyCode::Char('x'));
    assert!(
        screen
            .text()
            .contains("release Maria Garcia (+1808555…) from Billing? y/n"),
        "{}",
        screen.text()
    );
}
