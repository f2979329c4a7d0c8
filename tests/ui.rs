//! Screen tests: the wallboard drawn on a `TestBackend` from hand-built snapshots.

use std::sync::{Arc, LazyLock};
use std::time::Duration;

use tokio::time::Instant;

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyEventState, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::style::Color;
use ratatui::text::Line;

use xsi_wallboard::app::{Action, App, FeedMode, HeaderInfo, Outcome, Overlay, View, action_for};
use xsi_wallboard::board::agents::AgentRow;
use xsi_wallboard::board::{
    BoardSnapshot, CallRow, CallState, EventCounters, QueueMode, QueueRow, QueueTruth,
    SequenceCounters, ServiceMode, Severity, StatsRow,
};
use xsi_wallboard::status::{
    FeedCommand, FeedSource, Health, LinkStatus, SubscriptionState, SubscriptionStatus,
    Subscriptions,
};
use xsi_wallboard::ui::theme::Theme;
use xsi_wallboard::xsi::{AgentState, Package};

/// 2026-11-28T14:00:00Z: a fixed instant so that every wait is known.
const NOW_MS: i64 = 1_795_874_400_000;

fn call(position: u32, name: &str, number: &str, wait_secs: u64, state: CallState) -> CallRow {
    CallRow {
        call_id: format!("callhalf-{position}:0").into(),
        ext_tracking_id: format!("{position}:1").into(),
        caller_name: Some(name.into()),
        caller_number: Some(number.into()),
        add_time_ms: NOW_MS - (wait_secs as i64) * 1000,
        wait_secs,
        position,
        priority: 0,
        state,
        agent: (state == CallState::Offered).then(|| Arc::from("agent.kim@example.com")),
        suspect: false,
        privacy: false,
        preserved_wait_secs: None,
        eligibility: xsi_wallboard::board::Eligibility::default(),
        pending: None,
    }
}

fn queue(id: &str, name: &str, calls: Vec<CallRow>, answered: u64, abandoned: u64) -> QueueRow {
    QueueRow {
        id: id.into(),
        name: name.into(),
        longest_wait_secs: calls.iter().map(|c| c.wait_secs).max().unwrap_or(0),
        calls,
        answered,
        abandoned,
        other_departures: 0,
        not_queued: 0,
        counters_since: "2026-11-28T08:00:00Z".to_owned(),
        monitoring: None,
        mode: QueueMode::default(),
        last_event_secs_ago: Some(3),
        warn_secs: 60,
        crit_secs: 180,
        stats: StatsRow::default(),
        truth: QueueTruth::default(),
        agents: Vec::new(),
    }
}

/// Four call centers: one quiet, one in warning, one critical, one with more calls than fit.
fn known_board() -> BoardSnapshot {
    let billing = queue(
        "billing@example.com",
        "Billing",
        vec![
            call(1, "Zoë Müller", "+41445551234", 245, CallState::Offered),
            call(2, "Carlos Núñez", "+34915550000", 75, CallState::Waiting),
            call(3, "山田太郎", "+81355550101", 12, CallState::Bounced),
        ],
        31,
        4,
    );
    let sales = queue(
        "sales@example.com",
        "Sales",
        vec![call(
            1,
            "Ada Lovelace",
            "+442075550199",
            65,
            CallState::Waiting,
        )],
        12,
        1,
    );
    let support = queue(
        "support@example.com",
        "Support",
        (1..=14)
            .map(|i| {
                call(
                    i,
                    &format!("Caller {i}"),
                    &format!("+1555010{i:04}"),
                    u64::from(15 - i) * 7,
                    CallState::Waiting,
                )
            })
            .collect(),
        57,
        9,
    );
    let vip = queue("vip@example.com", "VIP", Vec::new(), 3, 0);
    BoardSnapshot {
        queues: vec![billing, sales, support, vip],
        events: EventCounters {
            received: 1204,
            applied: 1190,
            duplicates: 4,
            unknown: 2,
            rejected: 3,
            dropped: 0,
            evicted: 0,
            refused: 0,
        },
        last_event_secs_ago: Some(2),
        sequence: SequenceCounters::default(),
        agents: Vec::new(),
        clock_offset_ms: 0,
        taken_at_ms: NOW_MS,
        attached: None,
        actions: xsi_wallboard::actions::ActionTallies::default(),
    }
}

fn empty_board() -> BoardSnapshot {
    BoardSnapshot {
        queues: Vec::new(),
        events: EventCounters::default(),
        last_event_secs_ago: None,
        sequence: SequenceCounters::default(),
        agents: Vec::new(),
        clock_offset_ms: 0,
        taken_at_ms: NOW_MS,
        attached: None,
        actions: xsi_wallboard::actions::ActionTallies::default(),
    }
}

fn header() -> HeaderInfo {
    HeaderInfo {
        listen: Some("127.0.0.1:8765".parse().unwrap()),
        mode: FeedMode::Demo,
        exposed: false,
    }
}

/// The instant every test frame is drawn at: the feed's countdowns are worded from it.
fn frame_now() -> Instant {
    static NOW: LazyLock<Instant> = LazyLock::new(Instant::now);
    *NOW
}

/// Four subscriptions, all live, the next renewal in 29:40.
fn link() -> LinkStatus {
    let line = |target: &str, package: Package, id: &str, renew_secs: u64| SubscriptionStatus {
        target: target.into(),
        package,
        state: SubscriptionState::Active,
        subscription_id: Some(id.into()),
        granted_expires: Some(3600),
        refresh_at: Some(frame_now() + Duration::from_secs(renew_secs)),
        retry_at: None,
        last_error: None,
    };
    LinkStatus {
        health: Health::Ok,
        source: FeedSource::Subscriptions(Subscriptions {
            application_id: "xsi-wallboard/jump1/default".into(),
            discovery: None,
            setup_error: None,
            lines: vec![
                line("sales@example.com", Package::Queue, "3f2a9c1e-aaaa", 1780),
                line(
                    "sales@example.com",
                    Package::Monitoring,
                    "77b0d1e2-bbbb",
                    1790,
                ),
                line("support@example.com", Package::Queue, "1c9e4f00-cccc", 1800),
                line(
                    "support@example.com",
                    Package::Monitoring,
                    "a0b1c2d3-dddd",
                    1810,
                ),
            ],
        }),
    }
}

fn draw_with(
    width: u16,
    height: u16,
    app: &App,
    board: &BoardSnapshot,
    theme: Theme,
) -> Terminal<TestBackend> {
    draw_linked(width, height, app, board, theme, &link())
}

fn draw_linked(
    width: u16,
    height: u16,
    app: &App,
    board: &BoardSnapshot,
    theme: Theme,
    link: &LinkStatus,
) -> Terminal<TestBackend> {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    let header = header();
    let view = View {
        app,
        board,
        link,
        header: &header,
        theme,
        now: frame_now(),
        history: None,
    };
    terminal
        .draw(|frame| xsi_wallboard::ui::render(frame, &view))
        .unwrap();
    terminal
}

fn draw(width: u16, height: u16, app: &App, board: &BoardSnapshot) -> Terminal<TestBackend> {
    draw_with(width, height, app, board, Theme::color())
}

/// The screen as text, one line per row; the cells hidden behind a wide character are left out,
/// so a CJK name reads as it is written.
fn text(buffer: &Buffer) -> String {
    let width = usize::from(buffer.area.width).max(1);
    buffer
        .content
        .chunks(width)
        .map(|row| {
            let mut line = String::new();
            let mut hidden = 0;
            for cell in row {
                if hidden > 0 {
                    hidden -= 1;
                    continue;
                }
                line.push_str(cell.symbol());
                hidden = Line::raw(cell.symbol()).width().saturating_sub(1);
            }
            line
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn screen(terminal: &Terminal<TestBackend>) -> String {
    text(terminal.backend().buffer())
}

fn press(code: KeyCode) -> KeyEvent {
    KeyEvent::new(code, KeyModifiers::NONE)
}

fn app_after(actions: &[Action], board: &BoardSnapshot) -> App {
    let mut app = App::new();
    for &action in actions {
        app.apply(action, &board.queues);
    }
    app
}

#[test]
fn known_board_at_80x24() {
    let terminal = draw(80, 24, &App::new(), &known_board());
    insta::assert_snapshot!(terminal.backend());
}

#[test]
fn known_board_at_160x48() {
    let terminal = draw(160, 48, &App::new(), &known_board());
    insta::assert_snapshot!(terminal.backend());
}

/// Four busy call centers (15 calls each): more than one column can hold at 200x60.
fn busy_board() -> BoardSnapshot {
    let mut board = board_with_stats();
    for (q, queue) in board.queues.iter_mut().enumerate() {
        queue.calls = (1..=15)
            .map(|i| {
                call(
                    i,
                    &format!("Caller {q}-{i}"),
                    "+13125550101",
                    u64::from(16 - i) * 11,
                    CallState::Waiting,
                )
            })
            .collect();
        queue.longest_wait_secs = 165;
    }
    board
}

#[test]
fn known_board_at_120x40() {
    let terminal = draw(120, 40, &App::new(), &known_board());
    insta::assert_snapshot!(terminal.backend());
}

#[test]
fn busy_board_at_200x60() {
    let shown = screen(&draw_with(
        200,
        60,
        &App::new(),
        &busy_board(),
        Theme::monochrome(),
    ));
    insta::assert_snapshot!(shown);
}

#[test]
fn a_busy_wide_terminal_puts_panels_side_by_side_and_shows_every_call() {
    let screen = screen(&draw(200, 60, &App::new(), &busy_board()));
    let title_row = screen
        .lines()
        .find(|line| line.contains(" Billing "))
        .unwrap();
    assert!(title_row.contains(" Sales "), "{title_row}");
    // 4 x 15 calls: the grid uses the height instead of leaving it blank.
    assert!(!screen.contains(" more"), "{screen}");
    assert_eq!(screen.matches("+13125550101").count(), 60, "{screen}");
}

#[test]
fn a_quiet_board_takes_the_width_rather_than_cutting_stats_lines() {
    for (w, h) in [(80, 24), (120, 40), (200, 60)] {
        let shown = screen(&draw(w, h, &App::new(), &board_with_stats()));
        let panels = shown.matches(" longest ").count() - 1;
        assert_eq!(panels, 4, "{w}x{h}\n{shown}");
        // Every bottom border ends its stats in full.
        let ends: usize = ["unav 1 ", "unav 0 ", "unav - "]
            .iter()
            .map(|end| shown.matches(end).count())
            .sum();
        assert_eq!(ends, panels, "{w}x{h}\n{shown}");
    }
}

#[test]
fn numbers_are_never_cut_and_names_end_in_an_ellipsis() {
    let mut board = known_board();
    board.queues[0].calls[0].caller_number = Some("+13125550101234".into());
    board.queues[0].calls[0].caller_name =
        Some("Maximiliane Aurelia von Hohenzollern-Sigmaringen".into());
    for (w, h) in [(80, 24), (120, 40), (200, 60)] {
        let shown = screen(&draw(w, h, &App::new(), &board));
        assert!(shown.contains("+13125550101234 "), "{w}x{h}\n{shown}");
        assert!(shown.contains("Maximil"), "{w}x{h}\n{shown}");
        assert!(shown.contains('…'), "{w}x{h}\n{shown}");
        // The agent column is drawn for Billing (a call is offered), and for no other panel.
        let headers: Vec<&str> = shown.lines().filter(|l| l.contains(" caller ")).collect();
        assert_eq!(
            headers.iter().filter(|l| l.contains("agent")).count(),
            1,
            "{w}x{h}\n{shown}"
        );
    }
}

#[test]
fn timers_are_formatted_in_minutes_and_seconds() {
    let screen = screen(&draw(80, 24, &App::new(), &known_board()));
    // Billing's first call waited 245 s, Support's last 7 s.
    assert!(screen.contains("4:05"), "{screen}");
    assert!(screen.contains("1:15"), "{screen}");
    assert!(screen.contains("longest !! 4:05"), "{screen}");
}

#[test]
fn long_waits_switch_to_hours() {
    let mut board = known_board();
    board.queues[1].calls[0].wait_secs = 3725;
    board.queues[1].longest_wait_secs = 3725;
    let screen = screen(&draw(80, 24, &App::new(), &board));
    assert!(screen.contains("1:02:05"), "{screen}");
}

#[test]
fn warning_and_critical_waits_are_marked_without_colour() {
    let terminal = draw_with(80, 24, &App::new(), &known_board(), Theme::monochrome());
    let screen = screen(&terminal);
    let row = |name: &str| {
        screen
            .lines()
            .find(|line| line.contains(name))
            .unwrap()
            .to_owned()
    };
    // 245 s >= crit 180, 75 s >= warn 60, 12 s normal.
    assert!(row("Zoë Müller").contains("!! 1"), "{screen}");
    assert!(row("Carlos Núñez").contains("!  2"), "{screen}");
    assert!(!row("山田太郎").contains('!'), "{screen}");
}

#[test]
fn critical_wait_is_red_and_warning_yellow_in_colour() {
    let terminal = draw(80, 24, &App::new(), &known_board());
    let buffer = terminal.backend().buffer();
    let screen = text(buffer);
    let find = |needle: &str| {
        let (y, line) = screen
            .lines()
            .enumerate()
            .find(|(_, line)| line.contains(needle))
            .unwrap();
        // Cells, not bytes: the lines hold multi-byte characters.
        let x = line[..line.find(needle).unwrap()].chars().count();
        buffer[(x as u16, y as u16)].fg
    };
    assert_eq!(find("4:05"), Color::Red);
    assert_eq!(find("1:15"), Color::Yellow);
}

#[test]
fn a_panel_that_cannot_show_every_call_says_how_many_are_hidden() {
    let screen = screen(&draw(80, 24, &App::new(), &known_board()));
    let note = screen
        .lines()
        .find_map(|line| {
            let at = line.find('+')?;
            let rest = &line[at + 1..];
            rest.contains(" more")
                .then(|| rest.split(' ').next().unwrap().parse::<usize>().unwrap())
        })
        .unwrap_or_else(|| panic!("no overflow note:\n{screen}"));
    let shown = screen.lines().filter(|l| l.contains("Caller ")).count();
    assert_eq!(shown + note, 14, "{screen}");
}

#[test]
fn help_overlay_lists_the_keys() {
    let app = app_after(&[Action::ToggleHelp], &known_board());
    assert_eq!(app.overlay(), Overlay::Help);
    let terminal = draw(80, 24, &app, &known_board());
    let screen = screen(&terminal);
    assert!(screen.contains(" Help "), "{screen}");
    assert!(
        screen.contains("resubscribe the selected / all call centers"),
        "{screen}"
    );
    // Every key and both marks fit at 80x24.
    assert!(
        screen.contains("waiting past the warning / critical threshold"),
        "{screen}"
    );
    assert!(
        screen.contains("Esc           close overlay, zoom, filter (never quits)"),
        "{screen}"
    );
    assert!(screen.contains("? help"), "{screen}");
    insta::assert_snapshot!(terminal.backend());
}

#[test]
fn status_overlay_shows_the_feed_details() {
    let app = app_after(&[Action::ToggleStatus], &known_board());
    let wide = screen(&draw(100, 30, &app, &known_board()));
    assert!(wide.contains("Feed status"), "{wide}");
    assert!(wide.contains("feed ok: 4/4 subscribed"), "{wide}");
    assert!(
        wide.contains("application id: xsi-wallboard/jump1/default"),
        "{wide}"
    );
    assert!(
        wide.contains("support@example.com · Call Center Queue · active · id 1c9e4f00"),
        "{wide}"
    );
    assert!(wide.contains("duplicates 4"), "{wide}");
    assert!(wide.contains("rejected 3  dropped 0"), "{wide}");
    // At 80 columns the long detail line wraps inside the box instead of being cut.
    let narrow = screen(&draw(80, 24, &app, &known_board()));
    assert!(narrow.contains("refresh in 29:40"), "{narrow}");
    assert!(narrow.contains("dropped 0"), "{narrow}");
}

#[test]
fn zoom_shows_only_the_selected_call_center_with_all_its_calls() {
    let board = known_board();
    let app = app_after(
        &[Action::SelectNext, Action::SelectNext, Action::ToggleZoom],
        &board,
    );
    assert!(app.is_zoomed());
    let screen = screen(&draw(120, 40, &app, &board));
    assert!(screen.contains(" Support "), "{screen}");
    assert!(!screen.contains(" Billing "), "{screen}");
    assert!(screen.contains("Caller 14"), "{screen}");
    assert!(!screen.contains(" more"), "{screen}");
    assert!(screen.contains("Esc back"), "{screen}");
}

/// Billing with every number the API knows, and two agents followed.
fn zoom_board() -> BoardSnapshot {
    let mut board = board_with_stats();
    let billing = &mut board.queues[0];
    billing.stats.aht_secs = Some(50);
    billing.stats.short_abandoned = 2;
    billing.stats.overflowed = 3;
    billing.stats.overflowed_size = 1;
    billing.stats.overflowed_time = 2;
    billing.stats.answered_avg_wait_secs = Some(12);
    billing.stats.answered_longest_wait_secs = Some(48);
    billing.stats.sl_threshold_secs = 20;
    billing.stats.sl_target_percent = Some(80);
    billing.stats.alert_reasons = Arc::from(vec!["longest wait 245s >= 180s".to_owned()]);
    billing.agents.clone_from(&board.agents);
    board
}

#[test]
fn zoom_shows_what_the_api_knows_and_the_agents() {
    let board = zoom_board();
    let app = app_after(&[Action::ToggleZoom], &board);
    for (w, h) in [(80, 24), (120, 40), (200, 60)] {
        let shown = screen(&draw_with(w, h, &app, &board, Theme::monochrome()));
        for needle in [
            "SL in 0:20",
            "62% (target 80%)",
            "14% (2 short)",
            "0:48 0:50 2:50",
            "avg 0:12 longest 0:48",
            "3 (full 1, time 2)",
            "free 0 on call 5 unav 1",
            "kim",
            "Unavail (Lunch)",
            "lee",
            "Available",
            "Zoë Müller",
        ] {
            assert!(shown.contains(needle), "{w}x{h}: {needle}\n{shown}");
        }
    }
    let shown = screen(&draw_with(120, 40, &app, &board, Theme::monochrome()));
    insta::assert_snapshot!(shown);
}

#[test]
fn zoom_at_80x24_counts_the_calls_it_cannot_show() {
    let board = known_board();
    let app = app_after(
        &[Action::SelectNext, Action::SelectNext, Action::ToggleZoom],
        &board,
    );
    let shown = screen(&draw(80, 24, &app, &board));
    let calls = shown.matches("Caller ").count();
    let more: usize = shown
        .split('+')
        .find_map(|rest| rest.split(" more").next()?.parse().ok())
        .unwrap_or(0);
    assert_eq!(calls + more, 14, "{shown}");
    assert!(shown.contains("details"), "{shown}");
}

#[test]
fn esc_closes_the_overlay_then_the_zoom_then_the_filter_and_never_quits() {
    let board = known_board();
    let mut app = app_after(&[Action::ToggleZoom, Action::ToggleHelp], &board);
    assert_eq!(app.apply(Action::Back, &board.queues), Outcome::Continue);
    assert_eq!(app.overlay(), Overlay::None);
    assert!(app.is_zoomed());
    assert_eq!(app.apply(Action::Back, &board.queues), Outcome::Continue);
    assert!(!app.is_zoomed());
    // Nothing open: Esc says what it is for, and does not quit.
    assert_eq!(app.apply(Action::Back, &board.queues), Outcome::Continue);
    assert_eq!(
        app.message(Instant::now()),
        Some("Esc closes overlays, the zoom and the filter; q quits")
    );
    assert_eq!(app.apply(Action::Back, &board.queues), Outcome::Continue);
}

#[test]
fn esc_in_every_mode_closes_and_never_quits() {
    let board = known_board();
    let queues = &board.queues;
    // Each overlay, in the main view and in the zoom, in compact mode, frozen, sorted.
    for overlay in [
        Action::ToggleHelp,
        Action::ToggleStatus,
        Action::ToggleAgents,
    ] {
        for before in [
            &[][..],
            &[Action::ToggleZoom][..],
            &[Action::ToggleCompact][..],
            &[Action::ToggleFreeze, Action::CycleSort][..],
        ] {
            let mut app = app_after(before, &board);
            app.apply(overlay, queues);
            assert_ne!(app.overlay(), Overlay::None);
            assert_eq!(app.apply(Action::Back, queues), Outcome::Continue);
            assert_eq!(app.overlay(), Overlay::None, "{overlay:?} after {before:?}");
            assert_eq!(app.is_zoomed(), before.contains(&Action::ToggleZoom));
            assert_eq!(app.apply(Action::Back, queues), Outcome::Continue);
            assert!(!app.is_zoomed());
            assert_eq!(app.is_compact(), before.contains(&Action::ToggleCompact));
        }
    }
    // The filter prompt: Esc clears what was typed and ends the prompt.
    let mut app = app_after(&[Action::StartFilter], &board);
    for c in "zzz".chars() {
        app.type_key(press(KeyCode::Char(c)));
    }
    app.type_key(press(KeyCode::Esc));
    assert!(!app.is_typing());
    assert_eq!(app.filter(), "");
    // A filter in force (the README's `/ filter Enter`, then Esc): Esc clears it.
    let mut app = app_after(&[Action::StartFilter], &board);
    app.type_key(press(KeyCode::Char('s')));
    app.type_key(press(KeyCode::Enter));
    assert_eq!(app.filter(), "s");
    assert_eq!(app.apply(Action::Back, queues), Outcome::Continue);
    assert_eq!(app.filter(), "");
    // An empty board: still nothing to quit.
    assert_eq!(App::new().apply(Action::Back, &[]), Outcome::Continue);
    // Only q and Ctrl-C quit.
    assert_eq!(action_for(press(KeyCode::Esc)), Some(Action::Back));
    assert_eq!(App::new().apply(Action::Quit, queues), Outcome::Quit);
}

#[test]
fn keys_map_to_actions() {
    let cases = [
        (press(KeyCode::Char('q')), Some(Action::Quit)),
        (
            KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL),
            Some(Action::Quit),
        ),
        (press(KeyCode::Char('?')), Some(Action::ToggleHelp)),
        (press(KeyCode::Char('s')), Some(Action::ToggleStatus)),
        (press(KeyCode::Esc), Some(Action::Back)),
        (press(KeyCode::Enter), Some(Action::ToggleZoom)),
        (press(KeyCode::Tab), Some(Action::SelectNext)),
        (press(KeyCode::Right), Some(Action::SelectNext)),
        // Outside the zoom ↑/↓ select call centers; in it, calls (see tests/ui_actions.rs).
        (press(KeyCode::Down), Some(Action::Down)),
        (press(KeyCode::BackTab), Some(Action::SelectPrevious)),
        (press(KeyCode::Left), Some(Action::SelectPrevious)),
        (press(KeyCode::Up), Some(Action::Up)),
        (press(KeyCode::Char('r')), Some(Action::Resubscribe)),
        (
            KeyEvent::new(KeyCode::Char('R'), KeyModifiers::SHIFT),
            Some(Action::ResubscribeAll),
        ),
    ];
    for (key, expected) in cases {
        assert_eq!(action_for(key), expected, "{key:?}");
    }
    for (key, expected) in [
        ('o', Action::CycleSort),
        ('f', Action::ToggleFreeze),
        ('c', Action::ToggleCompact),
        ('m', Action::ToggleMute),
        ('a', Action::ToggleAgents),
    ] {
        assert_eq!(
            action_for(press(KeyCode::Char(key))),
            Some(expected),
            "{key}"
        );
    }
    // Not bound: the key is answered on screen rather than ignored.
    for free in ['z', 'j', '0'] {
        assert_eq!(
            action_for(press(KeyCode::Char(free))),
            Some(Action::Unbound(KeyCode::Char(free))),
            "{free}"
        );
    }
    let mut app = App::new();
    app.apply(Action::Unbound(KeyCode::Char('z')), &[]);
    assert_eq!(
        app.message(Instant::now()),
        Some("z: not a key here; ? lists the keys")
    );
    // Releases and repeats are not presses.
    for kind in [KeyEventKind::Release, KeyEventKind::Repeat] {
        let key = KeyEvent::new_with_kind_and_state(
            KeyCode::Char('q'),
            KeyModifiers::NONE,
            kind,
            KeyEventState::NONE,
        );
        assert_eq!(action_for(key), None);
    }
}

#[test]
fn selection_wraps_around_both_ways() {
    let board = known_board();
    let queues = &board.queues;
    let mut app = App::new();
    assert_eq!(app.selected_index(queues), Some(0));
    app.apply(Action::SelectPrevious, queues);
    assert_eq!(app.selected_index(queues), Some(3));
    app.apply(Action::SelectNext, queues);
    assert_eq!(app.selected_index(queues), Some(0));
    for _ in 0..5 {
        app.apply(Action::SelectNext, queues);
    }
    assert_eq!(app.selected_index(queues), Some(1));
}

#[test]
fn selection_follows_its_call_center_when_another_appears_before_it() {
    let mut board = known_board();
    let app = app_after(&[Action::SelectNext], &board);
    assert_eq!(app.selected_index(&board.queues), Some(1));
    board
        .queues
        .insert(0, queue("aaa@example.com", "Accounts", Vec::new(), 0, 0));
    assert_eq!(app.selected_index(&board.queues), Some(2));
}

#[test]
fn resubscribe_names_the_selected_call_center_or_all() {
    let board = known_board();
    let mut app = App::new().with_feed_mode(FeedMode::Contact);
    app.apply(Action::SelectNext, &board.queues);
    assert_eq!(
        app.apply(Action::Resubscribe, &board.queues),
        Outcome::Send(FeedCommand::Resubscribe(Some("sales@example.com".into())))
    );
    assert_eq!(
        app.apply(Action::ResubscribeAll, &board.queues),
        Outcome::Send(FeedCommand::Resubscribe(None))
    );
    // Nothing known yet (e.g. stuck after a 401): `r` can only mean all.
    assert_eq!(
        App::new()
            .with_feed_mode(FeedMode::Channel)
            .apply(Action::Resubscribe, &[]),
        Outcome::Send(FeedCommand::Resubscribe(None))
    );
}

#[test]
fn resubscribe_without_an_xsp_says_why_nothing_happens_and_the_message_fades() {
    let board = known_board();
    for (mode, why) in [
        (FeedMode::Demo, "demo: no XSP"),
        (FeedMode::ListenOnly, "listen-only: no XSP configured"),
    ] {
        for action in [Action::Resubscribe, Action::ResubscribeAll] {
            let mut app = App::new().with_feed_mode(mode);
            let at = Instant::now();
            assert_eq!(app.apply_at(action, &board.queues, at), Outcome::Continue);
            let said = app.message(at).unwrap_or_default().to_owned();
            assert!(said.starts_with(why), "{said}");
            let view = View {
                app: &app,
                board: &board,
                link: &link(),
                header: &header(),
                theme: Theme::monochrome(),
                now: at + Duration::from_secs(1),
                history: None,
            };
            let shown = render_view(80, 24, &view);
            assert!(shown.contains(why), "{shown}");
            // The hints keep their line: the message has its own.
            assert!(shown.contains("? help"), "{shown}");
            // A few seconds later the line is free again.
            let later = View {
                now: at + Duration::from_secs(xsi_wallboard::app::MESSAGE_SECS),
                ..view
            };
            let shown = render_view(80, 24, &later);
            assert!(!shown.contains(why), "{shown}");
        }
    }
}

fn render_view(width: u16, height: u16, view: &View) -> String {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    terminal
        .draw(|frame| xsi_wallboard::ui::render(frame, view))
        .unwrap();
    screen(&terminal)
}

#[test]
fn no_color_theme_uses_no_colour() {
    let app = app_after(&[Action::ToggleHelp], &known_board());
    let terminal = draw_with(160, 48, &app, &known_board(), Theme::monochrome());
    for cell in &terminal.backend().buffer().content {
        assert_eq!(cell.fg, Color::Reset, "{cell:?}");
        assert_eq!(cell.bg, Color::Reset, "{cell:?}");
    }
}

#[test]
fn empty_board_says_it_is_waiting_for_events() {
    let listen_only = LinkStatus::listen_only("http://127.0.0.1:8765/xsi-events");
    let screen = screen(&draw_linked(
        80,
        24,
        &App::new(),
        &empty_board(),
        Theme::color(),
        &listen_only,
    ));
    assert!(screen.contains("waiting for events..."), "{screen}");
    assert!(screen.contains("listening on 127.0.0.1:8765"), "{screen}");
    assert!(screen.contains("last event never"), "{screen}");
}

#[test]
fn an_empty_board_with_a_failing_discovery_says_why_instead_of_looking_calm() {
    let failing = LinkStatus {
        health: Health::Down,
        source: FeedSource::Subscriptions(Subscriptions {
            setup_error: Some("discovery: wrong user or password (401); press r to retry".into()),
            ..Subscriptions::default()
        }),
    };
    let screen = screen(&draw_linked(
        80,
        24,
        &App::new(),
        &empty_board(),
        Theme::color(),
        &failing,
    ));
    assert!(
        screen.contains("no call center yet: discovery: wrong user or password (401)"),
        "{screen}"
    );
    assert!(!screen.contains("waiting for events"), "{screen}");
}

#[test]
fn long_names_are_truncated_without_panic() {
    let long = "Ω".repeat(300);
    let mut board = known_board();
    board.queues[0].name = long.as_str().into();
    board.queues[0].calls[0].caller_name = Some(long.as_str().into());
    board.queues[0].calls[0].caller_number = Some("9".repeat(300).into());
    board.queues[0].calls[0].agent = Some("山".repeat(300).into());
    for (w, h) in [(80, 24), (160, 48), (41, 12)] {
        let screen = screen(&draw(w, h, &App::new(), &board));
        assert!(screen.contains("ΩΩΩ…"), "{w}x{h}\n{screen}");
    }
}

#[test]
fn tiny_terminals_do_not_panic() {
    let board = known_board();
    let zoomed = app_after(&[Action::ToggleZoom], &board);
    let help = app_after(&[Action::ToggleHelp], &board);
    let status = app_after(&[Action::ToggleStatus], &board);
    for (w, h) in [(20, 5), (1, 1), (0, 0), (5, 20), (30, 8)] {
        for app in [&App::new(), &zoomed, &help, &status] {
            draw(w, h, app, &board);
            draw(w, h, app, &empty_board());
        }
    }
}

#[test]
fn many_call_centers_page_to_the_selection() {
    let mut board = known_board();
    board.queues = (0..30)
        .map(|i| {
            queue(
                &format!("q{i:02}@x"),
                &format!("Queue {i:02}"),
                Vec::new(),
                0,
                0,
            )
        })
        .collect();
    let screen_first = screen(&draw(80, 24, &App::new(), &board));
    assert!(
        screen_first.contains("call centers 1-6 of 30"),
        "{screen_first}"
    );
    let app = app_after(&[Action::SelectPrevious], &board);
    let screen_last = screen(&draw(80, 24, &app, &board));
    assert!(screen_last.contains(" Queue 29 "), "{screen_last}");
    assert!(screen_last.contains("of 30"), "{screen_last}");
}

#[test]
fn dropped_events_and_feed_health_show_in_the_header() {
    let mut board = known_board();
    board.events.dropped = 7;
    let terminal = draw(120, 40, &App::new(), &board);
    let buffer = terminal.backend().buffer();
    let screen = text(buffer);
    assert!(screen.contains("dropped 7"), "{screen}");
    assert!(
        screen.contains("demo  listening on 127.0.0.1:8765"),
        "{screen}"
    );
    let (y, line) = screen
        .lines()
        .enumerate()
        .find(|(_, l)| l.contains("dropped 7"))
        .unwrap();
    let x = line.find("dropped 7").unwrap() + "dropped ".len();
    assert_eq!(buffer[(x as u16, y as u16)].fg, Color::Red);
    let (y, line) = screen
        .lines()
        .enumerate()
        .find(|(_, l)| l.contains("feed ok"))
        .unwrap();
    assert_eq!(
        buffer[(line.find("feed ok").unwrap() as u16, y as u16)].fg,
        Color::Green
    );
}

#[test]
fn a_large_board_shows_what_fits_and_counts_the_rest() {
    let mut board = known_board();
    board.queues = (0..50)
        .map(|q| {
            let calls = (1..=200)
                .map(|i| {
                    call(
                        i,
                        &format!("Caller {q}-{i}"),
                        "+15550100000",
                        30,
                        CallState::Waiting,
                    )
                })
                .collect();
            queue(&format!("q{q:02}@x"), &format!("Queue {q:02}"), calls, 0, 0)
        })
        .collect();
    let screen = screen(&draw(200, 60, &App::new(), &board));
    // As many call centers as fit are on screen; the footer counts them when not all do.
    let panels = screen.matches(" 200 waiting ").count();
    assert!(panels >= 48, "{screen}");
    if panels < 50 {
        assert!(
            screen.contains(&format!("call centers 1-{panels} of 50")),
            "{screen}"
        );
    }
    // Every panel on screen accounts for all 200 of its calls: shown rows plus its note.
    let shown = screen.matches("Caller 0-").count();
    let hidden: usize = screen
        .split('+')
        .skip(1)
        .find_map(|rest| rest.split(" more").next()?.parse::<usize>().ok())
        .unwrap();
    assert_eq!(shown + hidden, 200, "{screen}");
}

#[test]
fn a_stale_or_unsure_queue_says_so_on_its_panel() {
    let mut board = known_board();
    board.queues[0].truth = QueueTruth {
        stale: true,
        stale_reason: Some("nothing has proved the feed for 7 min".into()),
        data_age_secs: 432,
        ..QueueTruth::default()
    };
    board.queues[1].truth = QueueTruth {
        unsure: true,
        unsure_reason: Some("events lost (sequence gap)".into()),
        data_age_secs: 3,
        ..QueueTruth::default()
    };
    let app = app_after(&[], &board);
    let shown = screen(&draw(160, 48, &app, &board));
    assert!(shown.contains("STALE 7:12"), "{shown}");
    assert!(shown.contains("UNSURE"), "{shown}");
    let before = screen(&draw(160, 48, &app, &known_board()));
    assert!(
        !before.contains("STALE") && !before.contains("UNSURE"),
        "{before}"
    );
}

#[test]
fn status_overlay_counts_sequence_gaps_and_shows_a_corrected_clock() {
    let mut board = known_board();
    board.sequence = SequenceCounters {
        gaps: 2,
        resyncs: 1,
        late: 5,
        repairs: 2,
    };
    board.clock_offset_ms = 300_400;
    let app = app_after(&[Action::ToggleStatus], &board);
    let shown = screen(&draw(100, 30, &app, &board));
    assert!(
        shown.contains("gaps 2  repairs 2  resyncs 1  late 5"),
        "{shown}"
    );
    assert!(shown.contains("XSP clock +300.4 s"), "{shown}");
}

#[test]
fn a_suspect_call_is_marked_with_a_question_mark_not_as_critical() {
    let mut board = known_board();
    let call = &mut board.queues[0].calls[0];
    call.suspect = true;
    call.wait_secs = 5 * 3600;
    let app = app_after(&[], &board);
    let shown = screen(&draw_with(160, 48, &app, &board, Theme::monochrome()));
    let line = shown
        .lines()
        .find(|l| l.contains("5:00:00"))
        .unwrap_or_else(|| panic!("the suspect call is shown: {shown}"));
    assert!(line.contains("? "), "{line}");
    assert!(!line.contains("!!"), "{line}");
}

/// The known board with what supervisors steer by: Billing critical and closed for the night,
/// Sales under its service-level target, agents known for Support.
fn board_with_stats() -> BoardSnapshot {
    let mut board = known_board();
    board.queues[0].stats = StatsRow {
        service_level_percent: Some(62.5),
        abandon_percent: Some(14.0),
        asa_secs: Some(48),
        ewt_secs: Some(170),
        agents_idle: Some(0),
        agents_on_call: Some(5),
        agents_unavailable: Some(1),
        mode: Some(ServiceMode::Night),
        alert: Severity::Critical,
        ..StatsRow::default()
    };
    board.queues[1].stats = StatsRow {
        service_level_percent: Some(71.0),
        sl_target_percent: Some(80),
        abandon_percent: Some(4.2),
        asa_secs: Some(9),
        ewt_secs: Some(20),
        agents_idle: Some(2),
        agents_on_call: Some(3),
        agents_unavailable: Some(0),
        alert: Severity::Warning,
        ..StatsRow::default()
    };
    board.agents = [
        AgentRow {
            id: "kim@example.com".into(),
            name: "kim".into(),
            state: Some(AgentState::Unavailable),
            since_secs: 95,
            unavailable_code: Some("Lunch".into()),
            call_centers: vec!["support@example.com".into()],
        },
        AgentRow {
            id: "lee@example.com".into(),
            name: "lee".into(),
            state: Some(AgentState::Available),
            since_secs: 12,
            unavailable_code: None,
            call_centers: vec!["support@example.com".into(), "sales@example.com".into()],
        },
    ]
    .into_iter()
    .map(Arc::new)
    .collect();
    board
}

#[test]
fn stats_rows_at_80x24() {
    let board = board_with_stats();
    let app = app_after(&[], &board);
    let shown = screen(&draw_with(80, 24, &app, &board, Theme::monochrome()));
    insta::assert_snapshot!(shown);
    assert!(shown.contains("NIGHT") && shown.contains("CRIT"), "{shown}");
    assert!(
        shown.contains("SL 62% abd 14% ASA 0:48 EWT 2:50 free 0"),
        "{shown}"
    );
}

#[test]
fn stats_rows_on_a_wide_terminal_colour_the_level() {
    let board = board_with_stats();
    let app = app_after(&[], &board);
    let terminal = draw(200, 50, &app, &board);
    let shown = screen(&terminal);
    assert!(shown.contains(" WARN "), "{shown}");
    assert!(shown.contains("on call 3 unav 0"), "{shown}");
    // With agents followed, those in wrap-up are counted too.
    let mut followed = board_with_stats();
    followed.queues[1].agents = vec![Arc::new(AgentRow {
        id: "kim@example.com".into(),
        name: "kim".into(),
        state: Some(AgentState::WrapUp),
        since_secs: 4,
        unavailable_code: None,
        call_centers: vec!["sales@example.com".into()],
    })];
    let shown = screen(&draw(200, 50, &app, &followed));
    assert!(shown.contains("on call 3 wrap 1"), "{shown}");
    // Sales is under its 80 % target: its SL is drawn as a warning.
    let buffer = terminal.backend().buffer();
    let (x, y) = find(buffer, "SL 71%").expect("Sales' service level on screen");
    assert_eq!(buffer[(x, y)].fg, ratatui::style::Color::Yellow);
}

/// Where `needle` starts in the buffer (cells, single-width text only).
fn find(buffer: &Buffer, needle: &str) -> Option<(u16, u16)> {
    let width = buffer.area.width;
    (0..buffer.area.height).find_map(|y| {
        let row: String = (0..width).map(|x| buffer[(x, y)].symbol()).collect();
        row.find(needle)
            .map(|byte| (u16::try_from(row[..byte].chars().count()).unwrap_or(0), y))
    })
}

#[test]
fn compact_mode_shows_one_line_per_call_center() {
    let board = board_with_stats();
    let app = app_after(&[Action::ToggleCompact], &board);
    let shown = screen(&draw_with(80, 24, &app, &board, Theme::monochrome()));
    insta::assert_snapshot!(shown);
    for name in ["Billing", "Sales", "Support", "VIP"] {
        assert_eq!(
            shown.lines().filter(|l| l.contains(name)).count(),
            1,
            "{name}: {shown}"
        );
    }
}

#[test]
fn compact_mode_says_each_status_in_words() {
    let mut board = board_with_stats();
    board.queues[2].truth = QueueTruth {
        stale: true,
        stale_reason: Some("not subscribed yet".into()),
        ..QueueTruth::default()
    };
    board.queues[3].truth = QueueTruth {
        unsure: true,
        ..QueueTruth::default()
    };
    let app = app_after(&[Action::ToggleCompact], &board);
    let shown = screen(&draw_with(80, 24, &app, &board, Theme::monochrome()));
    let row = |name: &str| {
        shown
            .lines()
            .find(|l| l.contains(name))
            .unwrap_or_else(|| panic!("{name}: {shown}"))
            .to_owned()
    };
    assert!(row("Billing").contains("CRIT NIGHT"), "{shown}");
    assert!(row("Sales").contains("WARN"), "{shown}");
    // Support waits past its warning threshold and nothing proves its queue.
    assert!(row("Support").contains("STALE WARN"), "{shown}");
    assert!(row("VIP").contains("UNSURE"), "{shown}");
    assert!(shown.contains("status"), "{shown}");
}

#[test]
fn sorting_by_severity_puts_critical_first_then_by_waiting() {
    let mut board = board_with_stats();
    board.queues.swap(0, 3);
    let mut app = app_after(&[Action::CycleSort], &board);
    app.arrange(&mut board);
    let order: Vec<&str> = board.queues.iter().map(|q| &*q.name).collect();
    assert_eq!(order[..2], ["Billing", "Sales"]);
    assert_eq!(app.sort(), xsi_wallboard::app::SortOrder::Severity);
    app.apply(Action::CycleSort, &board.queues);
    app.arrange(&mut board);
    let order: Vec<&str> = board.queues.iter().map(|q| &*q.name).collect();
    assert_eq!(order[0], "Support", "most calls waiting first");
    app.apply(Action::CycleSort, &board.queues);
    assert_eq!(app.sort(), xsi_wallboard::app::SortOrder::Name);
}

#[test]
fn freeze_mute_and_the_agents_panel_say_what_they_do() {
    let board = board_with_stats();
    let app = app_after(
        &[
            Action::ToggleFreeze,
            Action::ToggleMute,
            Action::CycleSort,
            Action::ToggleAgents,
        ],
        &board,
    );
    assert!(app.is_frozen() && app.is_muted());
    assert_eq!(app.overlay(), Overlay::Agents);
    let shown = screen(&draw_with(100, 30, &app, &board, Theme::monochrome()));
    insta::assert_snapshot!(shown);
    assert!(shown.contains("FROZEN"), "{shown}");
    assert!(
        shown.contains("muted") && shown.contains("by severity"),
        "{shown}"
    );
    assert!(shown.contains("Agents (2)"), "{shown}");
    assert!(
        shown.contains("Unavailable (Lunch)") && shown.contains("1:35"),
        "{shown}"
    );
}

#[test]
fn mask_callers_shows_initials_and_the_last_four_digits_and_privacy_is_always_masked() {
    let mut board = known_board();
    board.queues[1].calls[0].privacy = true;
    let mut open = board.clone();
    App::new().arrange(&mut open);
    let private = &open.queues[1].calls[0];
    assert_eq!(private.caller_name.as_deref(), Some("A. L."));
    assert_eq!(private.caller_number.as_deref(), Some("••••••••0199"));
    assert_eq!(
        open.queues[0].calls[0].caller_name.as_deref(),
        Some("Zoë Müller"),
        "not masked without the flag"
    );

    let mut app = App::new().with_mask_callers(true);
    let mut masked = board.clone();
    app.arrange(&mut masked);
    let shown = screen(&draw_with(120, 40, &app, &masked, Theme::monochrome()));
    assert!(
        !shown.contains("Zoë") && !shown.contains("+41445551234"),
        "{shown}"
    );
    assert!(shown.contains("Z. M.") && shown.contains("1234"), "{shown}");
}

#[test]
fn a_typed_filter_keeps_matching_call_centers_and_digits_jump() {
    let mut board = known_board();
    let mut app = App::new();
    assert_eq!(
        action_for(press(KeyCode::Char('/'))),
        Some(Action::StartFilter)
    );
    app.apply(Action::StartFilter, &board.queues);
    for c in "SUP".chars() {
        app.type_key(press(KeyCode::Char(c)));
    }
    app.type_key(press(KeyCode::Enter));
    assert!(!app.is_typing());
    assert_eq!(app.filter(), "SUP");
    let mut filtered = board.clone();
    app.arrange(&mut filtered);
    let names: Vec<&str> = filtered.queues.iter().map(|q| &*q.name).collect();
    assert_eq!(names, ["Support"], "case-insensitive, by name or id");
    let shown = screen(&draw_with(100, 30, &app, &filtered, Theme::monochrome()));
    assert!(shown.contains("filter: SUP"), "{shown}");

    app.apply(Action::StartFilter, &board.queues);
    app.type_key(press(KeyCode::Esc));
    assert_eq!(app.filter(), "");
    app.arrange(&mut board);
    assert_eq!(board.queues.len(), 4);

    assert_eq!(action_for(press(KeyCode::Char('3'))), Some(Action::Jump(3)));
    app.apply(Action::Jump(3), &board.queues);
    assert_eq!(app.selected_index(&board.queues), Some(2));
    app.apply(Action::Jump(9), &board.queues);
    assert_eq!(
        app.selected_index(&board.queues),
        Some(2),
        "no ninth call center: the selection stays"
    );
}

fn filtered(filter: &str, board: &BoardSnapshot) -> (App, BoardSnapshot) {
    let mut app = app_after(&[Action::StartFilter], board);
    for c in filter.chars() {
        app.type_key(press(KeyCode::Char(c)));
    }
    app.type_key(press(KeyCode::Enter));
    let mut shown = board.clone();
    app.arrange(&mut shown);
    (app, shown)
}

#[test]
fn calls_of_several_priorities_say_so_in_a_column() {
    let mut board = known_board();
    board.queues[0].calls[0].priority = 0;
    board.queues[0].calls[1].priority = 2;
    board.queues[0].calls[2].priority = 2;
    for (w, h) in [(80, 24), (120, 40), (200, 60)] {
        let shown = screen(&draw(w, h, &App::new(), &board));
        assert!(shown.contains("# pri caller"), "{w}x{h}\n{shown}");
        assert!(shown.contains(" p0 Zoë Mü"), "{w}x{h}\n{shown}");
        assert!(shown.contains(" p2 Carlos Nú"), "{w}x{h}\n{shown}");
        // Only Billing mixes priorities.
        assert_eq!(shown.matches(" pri ").count(), 1, "{w}x{h}\n{shown}");
    }
    // A call of another priority off screen still explains the order of those on it.
    board.queues[2].calls[13].priority = 3;
    let shown = screen(&draw(80, 24, &App::new(), &board));
    assert!(shown.contains("+11 more"), "{shown}");
    assert_eq!(shown.matches(" pri ").count(), 2, "{shown}");
}

#[test]
fn a_filter_that_matches_nothing_says_so_and_never_looks_calm() {
    let (app, board) = filtered("zzz", &known_board());
    for (w, h) in [(80, 24), (120, 40), (200, 60)] {
        let shown = screen(&draw(w, h, &app, &board));
        assert!(
            shown.contains("filter: zzz - 0 of 4 call centers"),
            "{w}x{h}\n{shown}"
        );
        assert!(shown.contains("no call center matches"), "{w}x{h}\n{shown}");
        assert!(!shown.contains("waiting for events"), "{w}x{h}\n{shown}");
    }
    let (app, board) = filtered("sup", &known_board());
    let shown = screen(&draw(80, 24, &app, &board));
    assert!(
        shown.contains("filter: sup - 1 of 4 call centers  filtered: waiting 14"),
        "{shown}"
    );
}

#[test]
fn a_suspect_call_is_counted_apart_and_never_drives_the_longest_wait() {
    let mut board = known_board();
    // A 2010 addTime: the ending was lost. The applier already leaves it out of the queue's
    // longest wait; the screen counts it apart.
    let call = &mut board.queues[1].calls[0];
    call.suspect = true;
    call.wait_secs = 16 * 365 * 86_400;
    board.queues[1].longest_wait_secs = 0;
    let shown = screen(&draw(120, 40, &App::new(), &board));
    assert!(shown.contains("waiting 17 + 1 suspect"), "{shown}");
    assert!(shown.contains("longest !! 4:05"), "{shown}");
    assert!(shown.contains("0 waiting + 1 suspect"), "{shown}");
    assert!(!shown.contains("!! 140160"), "{shown}");
}

#[test]
fn agents_and_call_centers_are_named_where_known() {
    let (app, board) = filtered("", &board_with_stats());
    let app = {
        let mut app = app;
        app.apply(Action::ToggleAgents, &board.queues);
        app
    };
    assert_eq!(
        &*board.queues[0].calls[0].agent.clone().unwrap(),
        "agent.kim"
    );
    let shown = screen(&draw_with(100, 30, &app, &board, Theme::monochrome()));
    assert!(shown.contains("Support, Sales"), "{shown}");
    assert!(!shown.contains("support@example.com"), "{shown}");
}

#[test]
fn at_80x24_the_footer_always_offers_help() {
    let board = known_board();
    let mut typing = app_after(&[Action::StartFilter], &board);
    typing.type_key(press(KeyCode::Char('s')));
    let modes = [
        App::new(),
        app_after(&[Action::ToggleZoom], &board),
        app_after(&[Action::ToggleCompact], &board),
        app_after(&[Action::ToggleMute, Action::CycleSort], &board),
        app_after(&[Action::ToggleHelp], &board),
        typing,
    ];
    for app in &modes {
        let shown = screen(&draw(80, 24, app, &board));
        let footer = shown.lines().last().unwrap_or_default();
        assert!(footer.contains("? help"), "{footer}\n{shown}");
        assert!(!footer.ends_with(" hel"), "{footer}");
    }
    // The prompt has its own line, above the hints.
    let shown = screen(&draw(80, 24, &modes[5], &board));
    let lines: Vec<&str> = shown.lines().collect();
    assert!(lines[22].contains("filter: s_"), "{shown}");
    assert!(lines[23].contains("q quit"), "{shown}");
}

#[test]
fn the_header_keeps_the_feed_state_and_the_clock_on_a_narrow_screen() {
    let mut terminal = Terminal::new(TestBackend::new(80, 24)).unwrap();
    let app = app_after(&[Action::ToggleFreeze], &known_board());
    let exposed = HeaderInfo {
        exposed: true,
        ..header()
    };
    let view = View {
        app: &app,
        board: &known_board(),
        link: &link(),
        header: &exposed,
        theme: Theme::color(),
        now: frame_now(),
        history: None,
    };
    terminal
        .draw(|frame| xsi_wallboard::ui::render(frame, &view))
        .unwrap();
    let first = screen(&terminal)
        .lines()
        .next()
        .unwrap_or_default()
        .to_owned();
    for needle in [
        "demo",
        "OPEN TO ANY SENDER",
        "FROZEN",
        "feed ok",
        "14:00:00",
    ] {
        assert!(first.contains(needle), "{needle}: {first}");
    }
    let wide = screen(&draw(200, 60, &App::new(), &known_board()));
    assert!(
        wide.starts_with(
            "xsi-wallboard  demo  listening on 127.0.0.1:8765  feed ok: 4/4 subscribed"
        ),
        "{wide}"
    );
    assert!(wide.contains("Sat 2026-11-28 14:00:00"), "{wide}");
}

#[test]
fn the_header_shows_the_counters_zone_where_it_is_not_the_hosts() {
    use jiff::tz::TimeZone;
    use xsi_wallboard::app::ClockZones;
    let app = App::new().with_clock_zones(ClockZones::new(
        TimeZone::get("Europe/Lisbon").unwrap(),
        TimeZone::get("America/New_York").unwrap(),
    ));
    let shown = screen(&draw(160, 48, &app, &known_board()));
    assert!(
        shown.contains("Sat 2026-11-28 14:00:00  counters 09:00 America/New_York"),
        "{shown}"
    );
}

#[test]
fn ascii_borders_and_monochrome_keep_warning_and_critical_apart() {
    let board = board_with_stats();
    let theme = Theme::monochrome().with_ascii(true);
    let terminal = draw_with(80, 24, &App::new(), &board, theme);
    let shown = screen(&terminal);
    assert!(
        !shown
            .chars()
            .any(|c| ('\u{2500}'..='\u{257f}').contains(&c)),
        "no box drawing:\n{shown}"
    );
    assert!(shown.contains("# Billing - 3 waiting"), "{shown}");
    assert!(shown.contains("+ Sales - 1 waiting"), "{shown}");
    assert!(
        shown.contains("======#") && shown.contains("-----+"),
        "{shown}"
    );
    // Critical and warning differ by their marks and by their attributes.
    let buffer = terminal.backend().buffer();
    let (x, y) = find(buffer, "4:05 offered").expect("the critical wait");
    let (wx, wy) = find(buffer, "1:15 waiting").expect("the warning wait");
    let critical = buffer[(x, y)].modifier;
    let warning = buffer[(wx, wy)].modifier;
    assert_ne!(critical, warning);
    assert!(critical.contains(ratatui::style::Modifier::REVERSED));
    assert!(warning.contains(ratatui::style::Modifier::BOLD));
}

/// A replay's header: REPLAY where the feed mode goes, the journal's time as the clock (the
/// snapshot is taken at it), and how far the journal is, at 80 columns.
#[test]
fn a_replay_says_replay_and_shows_the_journals_time_in_the_header() {
    let board = known_board();
    let app = App::new();
    let header = HeaderInfo {
        listen: Some("127.0.0.1:39215".parse().unwrap()),
        mode: FeedMode::Replay,
        exposed: false,
    };
    let replay = |done: bool| LinkStatus {
        health: Health::Ok,
        source: FeedSource::Replay(xsi_wallboard::status::ReplayStatus {
            files: 3,
            speed: "10x".into(),
            lines: 1234,
            journal_ms: NOW_MS,
            done,
        }),
    };
    let journal_time = jiff::Timestamp::from_millisecond(NOW_MS)
        .unwrap()
        .to_zoned_datetime(jiff::tz::TimeZone::system())
        .strftime("%H:%M:%S")
        .to_string();
    for (done, words) in [
        (false, "journal 10x: 1234 lines"),
        (true, "journal ended: 1234 lines"),
    ] {
        let link = replay(done);
        let mut terminal = Terminal::new(TestBackend::new(80, 24)).unwrap();
        let view = View {
            app: &app,
            board: &board,
            link: &link,
            header: &header,
            theme: Theme::color(),
            now: frame_now(),
            history: None,
        };
        terminal
            .draw(|frame| xsi_wallboard::ui::render(frame, &view))
            .unwrap();
        let screen = screen(&terminal);
        let top = screen.lines().next().unwrap();
        assert!(
            top.contains(" REPLAY ") || top.starts_with("REPLAY "),
            "{top}"
        );
        assert!(top.contains(words), "{top}");
        assert!(top.contains(&journal_time), "the journal's time: {top}");
    }
}
