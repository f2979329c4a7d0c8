//! The history overlay (`h`) at 80x24 and 120x40: charts of the selected call center (and of
//! all together where the screen is wide), then the intervals.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use jiff::Timestamp;
use jiff::civil::Time;
use jiff::tz::TimeZone;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use xsi_wallboard::app::{Action, App, FeedMode, HeaderInfo, Overlay, View};
use xsi_wallboard::board::{Applier, Board, BoardConfig, ResetSchedule, StatsConfig};
use xsi_wallboard::status::LinkStatus;
use xsi_wallboard::ui::history::Day;
use xsi_wallboard::ui::theme::Theme;
use xsi_wallboard::xsi::{
    CallEvent, CallEventKind, Envelope, Event, EventData, QueueEntry, SubscriptionEvent,
};

fn at(rfc3339: &str) -> i64 {
    rfc3339
        .parse::<Timestamp>()
        .map_or_else(|e| panic!("{rfc3339}: {e}"), Timestamp::as_millisecond)
}

fn call(cc: &str, kind: CallEventKind, id: &str, added: &str, removed: Option<&str>) -> Event {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    Event::Subscription(SubscriptionEvent {
        envelope: Envelope {
            event_id: format!("ui-history-{}", NEXT.fetch_add(1, Ordering::Relaxed)).into(),
            user_id: "supervisor@example.com".into(),
            target_id: Some(cc.into()),
            ..Envelope::default()
        },
        data: EventData::Call(CallEvent {
            kind,
            entry: QueueEntry {
                call_id: id.into(),
                add_time: Some(at(added)),
                remove_time: removed.map(at),
                ..QueueEntry::default()
            },
            position: None,
            overflow_reason: None,
        }),
    })
}

/// Two call centers through a morning: Sales busy at 10:00 and 10:15, Support once at 10:15.
fn morning() -> Arc<Board> {
    let start = at("2026-12-03T08:00:00Z");
    let board = Arc::new(Board::new(
        BoardConfig {
            stats: StatsConfig {
                reset: ResetSchedule {
                    time: Time::midnight(),
                    zone: TimeZone::UTC,
                },
                ..StatsConfig::default()
            },
            ..BoardConfig::default()
        },
        start,
    ));
    let mut applier = Applier::new(Arc::clone(&board));
    let (sales, support) = ("sales@example.com", "support@example.com");
    let t = |s: &str| format!("2026-12-03T{s}Z");
    for event in [
        call(sales, CallEventKind::Added, "a", &t("10:01:00"), None),
        call(sales, CallEventKind::Added, "b", &t("10:02:00"), None),
        call(
            sales,
            CallEventKind::AnsweredByAgent,
            "a",
            &t("10:01:00"),
            Some(&t("10:01:10")),
        ),
        call(
            sales,
            CallEventKind::Abandoned,
            "b",
            &t("10:02:00"),
            Some(&t("10:16:00")),
        ),
        call(support, CallEventKind::Added, "c", &t("10:20:00"), None),
        call(
            support,
            CallEventKind::AnsweredByAgent,
            "c",
            &t("10:20:00"),
            Some(&t("10:20:05")),
        ),
    ] {
        applier.apply(&event, at("2026-12-03T10:30:00Z"));
    }
    board
}

fn screen(width: u16, height: u16) -> String {
    let board = morning();
    let snapshot = board.snapshot(at("2026-12-03T10:30:00Z"));
    let mut app = App::new();
    app.apply(Action::Jump(1), &snapshot.queues);
    app.apply(Action::ToggleHistory, &snapshot.queues);
    assert_eq!(app.overlay(), Overlay::History);
    let day = Day {
        per_call_center: board.history(),
        all: board.history_all(),
    };
    let link = LinkStatus::listen_only("http://127.0.0.1:8765/xsi-events");
    let header = HeaderInfo {
        listen: None,
        mode: FeedMode::Demo,
        exposed: false,
    };
    let view = View {
        app: &app,
        board: &snapshot,
        link: &link,
        header: &header,
        theme: Theme::monochrome(),
        now: tokio::time::Instant::now(),
        history: Some(&day),
    };
    let mut terminal = Terminal::new(TestBackend::new(width, height)).expect("terminal");
    terminal
        .draw(|frame| xsi_wallboard::ui::render(frame, &view))
        .expect("draws");
    let buffer = terminal.backend().buffer().clone();
    let mut text = String::new();
    for y in 0..buffer.area.height {
        for x in 0..buffer.area.width {
            text.push_str(buffer[(x, y)].symbol());
        }
        text.push('\n');
    }
    text
}

#[test]
fn the_history_fits_80x24() {
    let screen = screen(80, 24);
    assert!(screen.contains("History · "), "{screen}");
    assert!(screen.contains("15-minute intervals"), "{screen}");
    assert!(screen.contains("most waiting at once"), "{screen}");
    assert!(screen.contains("service level"), "{screen}");
    // The table: both of the selected call center's intervals, latest last.
    let ten = screen.find(" 10:00 ").expect("the 10:00 row");
    let quarter = screen.find(" 10:15 ").expect("the 10:15 row");
    assert!(ten < quarter, "{screen}");
    // No line runs past the screen.
    assert!(screen.lines().all(|l| l.chars().count() == 80));
    insta::assert_snapshot!("history_at_80x24", screen);
}

#[test]
fn a_wide_screen_charts_all_call_centers_beside_the_selected_one() {
    let screen = screen(120, 40);
    assert!(
        screen.contains("all call centers · most waiting"),
        "{screen}"
    );
    insta::assert_snapshot!("history_at_120x40", screen);
    let narrow = screen_narrow();
    assert!(
        !narrow.contains("all call centers · most waiting"),
        "{narrow}"
    );
}

fn screen_narrow() -> String {
    screen(80, 24)
}
