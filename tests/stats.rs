//! Statistics from scripted event sequences: service level, abandon rate, the daily reset across
//! daylight-saving changes, both monitoring wire shapes, agents, and alert crossings.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use jiff::Timestamp;
use jiff::civil::Time;
use jiff::tz::TimeZone;
use xsi_wallboard::alert::{AlertTracker, Crossing};
use xsi_wallboard::board::api::ApiBoard;
use xsi_wallboard::board::persist::{self, NotRestored};
use xsi_wallboard::board::{
    Applier, ApplyOutcome, Board, BoardConfig, Limits, QueueRow, ResetSchedule, ServiceMode,
    Severity, StatsConfig, WHISPER_ANSWER_WAIT_MS,
};
use xsi_wallboard::xsi::{
    AgentEvent, AgentEventKind, AgentJoin, AgentJoins, AgentState, CallEvent, CallEventKind,
    ConfigurationEvent, ConfigurationKind, Envelope, Event, EventData, NotQueued, NotQueuedKind,
    QueueEntry, RemoteParty, SubscriptionEvent, parse_event,
};

const CC: &str = "sales@example.com";
/// 2026-11-28T14:00:00Z.
const T0: i64 = 1_795_874_400_000;

fn at(rfc3339: &str) -> i64 {
    rfc3339
        .parse::<Timestamp>()
        .map_or_else(|e| panic!("{rfc3339}: {e}"), Timestamp::as_millisecond)
}

fn event(target: &str, data: EventData) -> Event {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    Event::Subscription(SubscriptionEvent {
        envelope: Envelope {
            event_id: format!("stats-{}", NEXT.fetch_add(1, Ordering::Relaxed)).into(),
            user_id: "supervisor@example.com".into(),
            target_id: Some(target.into()),
            ..Envelope::default()
        },
        data,
    })
}

/// A call that entered the queue at `added` and left it `waited_secs` later (XSP clock).
fn ended(kind: CallEventKind, id: &str, added: i64, waited_secs: i64) -> Event {
    event(
        CC,
        EventData::Call(CallEvent {
            kind,
            entry: QueueEntry {
                call_id: id.into(),
                add_time: Some(added),
                remove_time: Some(added + waited_secs * 1000),
                ..QueueEntry::default()
            },
            position: None,
            overflow_reason: None,
        }),
    )
}

fn applier_with(limits: Limits, reset: ResetSchedule, start_ms: i64) -> Applier {
    let config = BoardConfig {
        stats: StatsConfig {
            limits,
            reset,
            ..StatsConfig::default()
        },
        ..BoardConfig::default()
    };
    Applier::new(Arc::new(Board::new(config, start_ms)))
}

fn utc_midnight() -> ResetSchedule {
    ResetSchedule {
        time: Time::midnight(),
        zone: TimeZone::UTC,
    }
}

fn row(applier: &Applier, now_ms: i64) -> QueueRow {
    let snapshot = applier.board().snapshot(now_ms);
    snapshot
        .queues
        .into_iter()
        .find(|q| &*q.id == CC)
        .expect("the call center is on the board")
}

/// Two answered (10 s, 30 s) and three abandoned (3 s, 15 s, 40 s) calls.
fn five_calls(applier: &mut Applier) {
    let events = [
        ended(CallEventKind::AnsweredByAgent, "a", T0, 10),
        ended(CallEventKind::AnsweredByAgent, "b", T0, 30),
        ended(CallEventKind::Abandoned, "c", T0, 3),
        ended(CallEventKind::Abandoned, "d", T0, 15),
        ended(CallEventKind::Abandoned, "e", T0, 40),
    ];
    for e in &events {
        applier.apply(e, T0 + 60_000);
    }
}

fn close(actual: Option<f64>, expected: f64) -> bool {
    actual.is_some_and(|a| (a - expected).abs() < 1e-9)
}

#[test]
fn service_level_and_abandon_rate_with_default_short_abandons() {
    let mut applier = applier_with(Limits::default(), utc_midnight(), T0);
    five_calls(&mut applier);
    let q = row(&applier, T0 + 61_000);
    // Within 20 s: a. Denominator: a, b answered + e abandoned after 20 s. c (3 s) is short.
    assert!(
        close(q.stats.service_level_percent, 100.0 / 3.0),
        "{:?}",
        q.stats
    );
    // Abandoned less short (d, e) over answered plus those.
    assert!(close(q.stats.abandon_percent, 50.0), "{:?}", q.stats);
    assert_eq!(q.stats.short_abandoned, 1);
    assert_eq!((q.answered, q.abandoned), (2, 3));
    assert_eq!(q.stats.answered_avg_wait_secs, Some(20));
    assert_eq!(q.stats.answered_longest_wait_secs, Some(30));
}

#[test]
fn service_level_without_short_abandons() {
    let limits = Limits {
        short_abandon_secs: 0,
        ..Limits::default()
    };
    let mut applier = applier_with(limits, utc_midnight(), T0);
    five_calls(&mut applier);
    let q = row(&applier, T0 + 61_000);
    assert!(close(q.stats.service_level_percent, 100.0 / 3.0));
    assert!(close(q.stats.abandon_percent, 60.0), "{:?}", q.stats);
    assert_eq!(q.stats.short_abandoned, 0);
}

#[test]
fn a_short_abandon_limit_past_the_threshold_leaves_those_abandons_out_of_service_level() {
    let limits = Limits {
        short_abandon_secs: 45,
        ..Limits::default()
    };
    let mut applier = applier_with(limits, utc_midnight(), T0);
    five_calls(&mut applier);
    let q = row(&applier, T0 + 61_000);
    // Every abandon is short now: a over a, b.
    assert!(close(q.stats.service_level_percent, 50.0), "{:?}", q.stats);
    assert!(close(q.stats.abandon_percent, 0.0));
    assert_eq!(q.stats.short_abandoned, 3);
}

#[test]
fn an_answer_exactly_at_the_threshold_is_within_it() {
    let mut applier = applier_with(Limits::default(), utc_midnight(), T0);
    applier.apply(&ended(CallEventKind::AnsweredByAgent, "a", T0, 20), T0);
    applier.apply(&ended(CallEventKind::Abandoned, "b", T0, 21), T0);
    let q = row(&applier, T0);
    assert!(close(q.stats.service_level_percent, 50.0), "{:?}", q.stats);
}

#[test]
fn whisper_then_answer_counts_one_answer_with_the_answers_wait() {
    // "The ACD Call Answered By Agent is sent once the whisper announcement completes": the
    // call's wait is the answer's `removeTime - addTime`.
    let mut applier = applier_with(Limits::default(), utc_midnight(), T0);
    applier.apply(&ended(CallEventKind::WhisperStarted, "a", T0, 5), T0);
    assert_eq!(row(&applier, T0).answered, 0);
    applier.apply(&ended(CallEventKind::AnsweredByAgent, "a", T0, 7), T0);
    let q = row(&applier, T0);
    assert_eq!(q.answered, 1);
    assert_eq!(q.stats.answered_longest_wait_secs, Some(7));
    assert!(close(q.stats.service_level_percent, 100.0));
}

#[test]
fn a_whisper_never_answered_counts_as_answered_at_the_whisper() {
    let mut applier = applier_with(Limits::default(), utc_midnight(), T0);
    // Added 30 s before the whisper reached us (host and XSP clocks agree here).
    applier.apply(
        &ended(CallEventKind::WhisperStarted, "a", T0 - 30_000, 30),
        T0,
    );
    assert!(!applier.tick(T0 + 59_000), "still within the bound");
    assert_eq!(row(&applier, T0 + 59_000).answered, 0);
    applier.tick(T0 + WHISPER_ANSWER_WAIT_MS);
    let q = row(&applier, T0 + WHISPER_ANSWER_WAIT_MS);
    assert_eq!(q.answered, 1);
    assert_eq!(q.stats.answered_longest_wait_secs, Some(30));
    assert!(close(q.stats.service_level_percent, 0.0), "30 s > 20 s");
    // Its answer, late after all, is not counted twice.
    assert_eq!(
        applier.apply(
            &ended(CallEventKind::AnsweredByAgent, "a", T0 - 30_000, 95),
            T0 + 70_000
        ),
        ApplyOutcome::Late
    );
    assert_eq!(row(&applier, T0 + 70_000).answered, 1);
}

#[test]
fn no_calls_means_no_percentages() {
    let mut applier = applier_with(Limits::default(), utc_midnight(), T0);
    applier.apply(&ended(CallEventKind::Abandoned, "c", T0, 2), T0);
    let q = row(&applier, T0);
    assert_eq!(q.stats.service_level_percent, None);
    assert_eq!(q.stats.abandon_percent, None);
}

#[test]
fn calls_that_never_waited_are_counted_by_kind() {
    let mut applier = applier_with(Limits::default(), utc_midnight(), T0);
    for (reason, id) in [("size", "o1"), ("time", "o2"), ("size", "o3")] {
        let Event::Subscription(mut e) = ended(CallEventKind::Overflowed, id, T0, 1) else {
            unreachable!()
        };
        if let EventData::Call(call) = &mut e.data {
            call.overflow_reason = Some(reason.into());
        }
        applier.apply(&Event::Subscription(e), T0);
    }
    for kind in [
        NotQueuedKind::Forwarded,
        NotQueuedKind::NightPolicyApplied,
        NotQueuedKind::HolidayPolicyApplied,
        NotQueuedKind::NightPolicyApplied,
    ] {
        let not_queued = NotQueued {
            kind,
            call_id: "n".into(),
            ext_tracking_id: "n".into(),
            acd_name: None,
            acd_number: None,
            remote_party: RemoteParty::default(),
            redirect_address: None,
        };
        applier.apply(&event(CC, EventData::NotQueued(not_queued)), T0);
    }
    let s = row(&applier, T0).stats;
    assert_eq!(
        (s.overflowed, s.overflowed_size, s.overflowed_time),
        (3, 2, 1)
    );
    assert_eq!((s.forwarded, s.night_holiday), (1, 3));
}

#[test]
fn the_mode_badge_follows_the_configuration_package() {
    let mut applier = applier_with(Limits::default(), utc_midnight(), T0);
    applier.apply(&ended(CallEventKind::AnsweredByAgent, "a", T0, 1), T0);
    assert_eq!(row(&applier, T0).stats.mode, None);
    let configuration = |kind, night, holiday, forwarding| {
        event(
            CC,
            EventData::Configuration(ConfigurationEvent {
                kind,
                night_service: night,
                holiday_service: holiday,
                forced_forwarding: forwarding,
                force_night_service: None,
            }),
        )
    };
    let subscription = ConfigurationKind::Subscription;
    applier.apply(
        &configuration(subscription, Some(false), Some(false), Some(false)),
        T0,
    );
    assert_eq!(row(&applier, T0).stats.mode, Some(ServiceMode::Normal));
    applier.apply(
        &configuration(ConfigurationKind::NightService, Some(true), None, None),
        T0,
    );
    assert_eq!(row(&applier, T0).stats.mode, Some(ServiceMode::Night));
    let holiday = configuration(ConfigurationKind::HolidayService, None, Some(true), None);
    applier.apply(&holiday, T0);
    assert_eq!(row(&applier, T0).stats.mode, Some(ServiceMode::Holiday));
    let forwarding = configuration(ConfigurationKind::ForcedForwarding, None, None, Some(true));
    applier.apply(&forwarding, T0);
    assert_eq!(
        row(&applier, T0).stats.mode,
        Some(ServiceMode::ForcedForwarding)
    );
}

// ---- reset ----------------------------------------------------------------------------------

fn new_york_midnight() -> ResetSchedule {
    ResetSchedule {
        time: Time::midnight(),
        zone: TimeZone::get("America/New_York").expect("tzdb has New York"),
    }
}

#[test]
fn the_reset_follows_local_midnight_across_the_autumn_change() {
    let schedule = new_york_midnight();
    // 2026-11-01 is 25 hours long in New York: midnight EDT, then midnight EST.
    let first = at("2026-11-01T04:00:00Z");
    assert_eq!(schedule.next_after(at("2026-10-31T12:00:00Z")), first);
    assert_eq!(schedule.next_after(first), at("2026-11-02T05:00:00Z"));
}

#[test]
fn a_reset_time_inside_the_spring_gap_is_moved_forward_by_the_gap() {
    let schedule = ResetSchedule {
        time: Time::constant(2, 30, 0, 0),
        zone: TimeZone::get("Europe/Berlin").expect("tzdb has Berlin"),
    };
    // 2026-03-29 02:30 does not exist in Berlin; 03:30 CEST is 01:30 UTC.
    assert_eq!(
        schedule.next_after(at("2026-03-28T12:00:00Z")),
        at("2026-03-29T01:30:00Z")
    );
    assert_eq!(
        schedule.next_after(at("2026-03-29T01:30:00Z")),
        at("2026-03-30T00:30:00Z")
    );
}

#[test]
fn counters_reset_at_the_configured_time_and_never_go_down_in_between() {
    let start = at("2026-10-31T12:00:00Z");
    let mut applier = applier_with(Limits::default(), new_york_midnight(), start);
    let answered = |id: &str, now: i64| ended(CallEventKind::AnsweredByAgent, id, now - 5_000, 5);
    let mut last = 0;
    for (i, now) in [
        start,
        at("2026-10-31T23:00:00Z"),
        at("2026-11-01T03:59:59Z"),
    ]
    .into_iter()
    .enumerate()
    {
        applier.apply(&answered(&format!("before-{i}"), now), now);
        let q = row(&applier, now);
        assert!(
            q.answered > last,
            "answered went from {last} to {}",
            q.answered
        );
        last = q.answered;
    }
    assert_eq!(last, 3);

    // Midnight EDT: the first event after it finds the counters zeroed.
    let after = at("2026-11-01T04:00:00Z");
    applier.apply(&answered("after", after), after);
    let q = row(&applier, after);
    assert_eq!(q.answered, 1);
    assert_eq!(q.counters_since, "2026-11-01T04:00:00Z");

    // 23:30 EST on the same (25-hour) day: no reset yet.
    let late = at("2026-11-02T04:30:00Z");
    applier.apply(&answered("late", late), late);
    assert_eq!(row(&applier, late).answered, 2);

    // A quiet board resets too, without an event (the applier's timer calls this).
    assert!(applier.board().reset_if_due(at("2026-11-02T05:00:00Z")));
    let q = row(&applier, at("2026-11-02T05:00:01Z"));
    assert_eq!(
        (q.answered, q.abandoned, q.stats.short_abandoned),
        (0, 0, 0)
    );
    assert_eq!(q.counters_since, "2026-11-02T05:00:00Z");
}

// ---- monitoring, both wire shapes ------------------------------------------------------------

fn sample(path: &str) -> Event {
    let file = format!("{}/tests/fixtures/{path}", env!("CARGO_MANIFEST_DIR"));
    let body = std::fs::read(&file).unwrap_or_else(|e| panic!("{file}: {e}"));
    parse_event(&body).unwrap_or_else(|e| panic!("{file}: {e}"))
}

#[test]
fn monitoring_with_values_and_severities() {
    let mut applier = applier_with(Limits::default(), utc_midnight(), T0);
    applier.apply(
        &sample("spec/spec-r21_4.7.7_CallCenterMonitoringEvent.xml"),
        T0,
    );
    // Alert levels are evaluated at the applier's tick.
    applier.tick(T0);
    let board = applier.board().snapshot(T0);
    let s = &board.queues[0].stats;
    assert_eq!(
        (s.asa_secs, s.aht_secs, s.ewt_secs),
        (Some(3776), Some(3633), Some(1816))
    );
    assert_eq!(
        (s.severity.asa, s.severity.aht, s.severity.ewt),
        (Some(1), Some(1), Some(0))
    );
    assert_eq!(
        (
            s.agents_staffed,
            s.agents_idle,
            s.agents_unavailable,
            s.agents_on_call
        ),
        (Some(2), Some(1), Some(0), Some(1))
    );
    // The XSP's severity 1 is a warning.
    assert_eq!(s.alert, Severity::Warning);
    assert!(
        s.alert_reasons.iter().any(|r| r.starts_with("ASA 3776")),
        "{:?}",
        s.alert_reasons
    );
}

#[test]
fn monitoring_with_bare_integers() {
    let mut applier = applier_with(Limits::default(), utc_midnight(), T0);
    applier.apply(
        &sample("public/CallCenterMonitoringEvent__riis_CallCenterManager.xml"),
        T0,
    );
    let board = applier.board().snapshot(T0);
    let s = &board.queues[0].stats;
    assert_eq!((s.asa_secs, s.calls_in_queue), (Some(0), Some(0)));
    assert_eq!(s.severity.asa, None);
    assert_eq!(
        (s.agents_assigned, s.agents_staffed, s.agents_on_call),
        (Some(27), Some(11), Some(2))
    );
    assert_eq!(s.alert, Severity::Normal);
}

// ---- agents ---------------------------------------------------------------------------------

fn agent_event(
    kind: AgentEventKind,
    state: Option<AgentState>,
    timestamp: Option<i64>,
    code: Option<&str>,
    joined: &[&str],
) -> Event {
    event(
        "kim@example.com",
        EventData::Agent(AgentEvent {
            kind,
            type_name: kind.type_name().into(),
            state,
            state_timestamp: timestamp,
            unavailable_code: code.map(Arc::from),
            // The initial event lists the call centers, an update one of them (none: the
            // service was unassigned); a state event says nothing of them.
            joins: match kind {
                AgentEventKind::Subscription => Some(AgentJoins::All(
                    joined
                        .iter()
                        .map(|c| AgentJoin {
                            call_center: Arc::from(*c),
                            joined: true,
                        })
                        .collect(),
                )),
                AgentEventKind::JoinUpdate => {
                    Some(joined.first().map_or(AgentJoins::Unassigned, |c| {
                        AgentJoins::One(AgentJoin {
                            call_center: Arc::from(*c),
                            joined: true,
                        })
                    }))
                }
                _ => None,
            },
        }),
    )
}

#[test]
fn agent_states_change_with_their_timestamps_and_codes() {
    let mut applier = applier_with(Limits::default(), utc_midnight(), T0);
    let initial = agent_event(
        AgentEventKind::Subscription,
        Some(AgentState::Available),
        Some(T0 - 120_000),
        None,
        &[CC],
    );
    applier.apply(&initial, T0);
    let agents = applier.board().agents_snapshot(T0);
    assert_eq!(agents.len(), 1);
    assert_eq!(
        (&*agents[0].name, agents[0].state),
        ("kim", Some(AgentState::Available))
    );
    assert_eq!(agents[0].since_secs, 120);

    let lunch = agent_event(
        AgentEventKind::State,
        Some(AgentState::Unavailable),
        Some(T0 + 60_000),
        Some("Lunch"),
        &[],
    );
    applier.apply(&lunch, T0 + 60_500);
    let agents = applier.board().agents_snapshot(T0 + 90_000);
    assert_eq!(agents[0].state, Some(AgentState::Unavailable));
    assert_eq!(agents[0].unavailable_code.as_deref(), Some("Lunch"));
    assert_eq!(agents[0].since_secs, 30);
    // A State event does not list call centers: the joined ones stay, and the call center's
    // panel lists the agent once the call center is on the board.
    assert_eq!(row_agents(&applier, T0 + 90_000), 0);
    applier.apply(
        &ended(CallEventKind::AnsweredByAgent, "a", T0, 1),
        T0 + 60_500,
    );
    assert_eq!(agents[0].call_centers, vec![Arc::<str>::from(CC)]);
    assert_eq!(row_agents(&applier, T0 + 90_000), 1);

    // Back without a timestamp: since the event arrived; the code is gone.
    let back = agent_event(
        AgentEventKind::State,
        Some(AgentState::Available),
        None,
        None,
        &[],
    );
    applier.apply(&back, T0 + 100_000);
    let agents = applier.board().agents_snapshot(T0 + 105_000);
    assert_eq!(
        (agents[0].state, agents[0].since_secs),
        (Some(AgentState::Available), 5)
    );
    assert_eq!(agents[0].unavailable_code, None);

    // The call center service unassigned: no call center any more.
    applier.apply(
        &agent_event(AgentEventKind::JoinUpdate, None, None, None, &[]),
        T0 + 110_000,
    );
    assert!(
        applier.board().agents_snapshot(T0 + 110_000)[0]
            .call_centers
            .is_empty()
    );
}

fn row_agents(applier: &Applier, now_ms: i64) -> usize {
    applier
        .board()
        .snapshot(now_ms)
        .queues
        .iter()
        .map(|q| q.agents.len())
        .sum()
}

// ---- alerts ---------------------------------------------------------------------------------

#[test]
fn an_alert_fires_once_per_crossing_and_clears() {
    let limits = Limits {
        max_waiting: Some(1),
        ..Limits::default()
    };
    let mut applier = applier_with(limits, utc_midnight(), T0);
    let waiting = |id: &str| {
        event(
            CC,
            EventData::Call(CallEvent {
                kind: CallEventKind::Added,
                entry: QueueEntry {
                    call_id: id.into(),
                    add_time: Some(T0),
                    ..QueueEntry::default()
                },
                position: None,
                overflow_reason: None,
            }),
        )
    };
    let mut tracker = AlertTracker::default();
    applier.apply(&waiting("a"), T0);
    assert!(crossings(&mut tracker, &mut applier, T0 + 1_000).is_empty());

    applier.apply(&waiting("b"), T0);
    let fired = crossings(&mut tracker, &mut applier, T0 + 2_000);
    assert_eq!(fired.len(), 1, "{fired:?}");
    assert_eq!(
        (fired[0].from, fired[0].to),
        (Severity::Normal, Severity::Critical)
    );
    assert!(fired[0].entered_critical());
    // Still critical: nothing new.
    assert!(crossings(&mut tracker, &mut applier, T0 + 3_000).is_empty());

    applier.apply(
        &ended(CallEventKind::AnsweredByAgent, "b", T0, 3),
        T0 + 3_000,
    );
    let cleared = crossings(&mut tracker, &mut applier, T0 + 4_000);
    assert_eq!(cleared.len(), 1);
    assert_eq!(cleared[0].to, Severity::Normal);
    assert!(!cleared[0].entered_critical());

    // A second crossing fires again.
    applier.apply(&waiting("c"), T0 + 5_000);
    assert_eq!(crossings(&mut tracker, &mut applier, T0 + 6_000).len(), 1);
}

#[test]
fn the_applier_announces_each_crossing_once_for_the_alert_command() {
    let limits = Limits {
        max_waiting: Some(0),
        ..Limits::default()
    };
    let mut applier = applier_with(limits, utc_midnight(), T0);
    let mut crossings = applier.board().crossings();
    applier.apply(&ended(CallEventKind::Abandoned, "gone", T0, 1), T0);
    applier.tick(T0);
    assert!(crossings.try_recv().is_err(), "normal: nothing to say");
    let waiting = event(
        CC,
        EventData::Call(CallEvent {
            kind: CallEventKind::Added,
            entry: QueueEntry {
                call_id: "w".into(),
                add_time: Some(T0),
                ..QueueEntry::default()
            },
            position: None,
            overflow_reason: None,
        }),
    );
    applier.apply(&waiting, T0 + 100);
    // Evaluated once a second, not at every input.
    applier.tick(T0 + 200);
    assert!(crossings.try_recv().is_err(), "within the same second");
    applier.tick(T0 + 1_000);
    let crossing = crossings.try_recv().expect("one crossing");
    assert_eq!(
        (crossing.from, crossing.to),
        (Severity::Normal, Severity::Critical)
    );
    assert_eq!(&*crossing.reasons, ["1 waiting > 0".to_owned()]);
    applier.tick(T0 + 2_000);
    assert!(crossings.try_recv().is_err(), "still critical: said once");
}

/// What the UI's tracker sees of the levels the applier evaluated at its tick at `now`.
fn crossings(tracker: &mut AlertTracker, applier: &mut Applier, now: i64) -> Vec<Crossing> {
    applier.tick(now);
    tracker.observe(&applier.board().snapshot(now).queues)
}

#[test]
fn api_board_lists_every_agent_once_at_the_top_level() {
    let mut applier = applier_with(Limits::default(), utc_midnight(), T0);
    applier.apply(
        &agent_event(
            AgentEventKind::Subscription,
            Some(AgentState::Unavailable),
            Some(T0 - 30_000),
            Some("Lunch"),
            &[CC],
        ),
        T0,
    );
    let json =
        serde_json::to_value(ApiBoard::from(&applier.board().snapshot(T0))).expect("serialises");
    assert_eq!(
        json["agents"],
        serde_json::json!([{
            "id": "kim@example.com",
            "name": "kim",
            "state": "Unavailable",
            "since_secs": 30,
            "unavailable_code": "Lunch",
            "call_centers": [CC],
        }])
    );
}

// ---- counters across a restart --------------------------------------------------------------

const KEY: &str = "https://xsp.example.com/ CallCenters([\"sales@example.com\"])";

#[test]
fn a_restart_the_same_day_restores_the_counters_from_the_state_file() {
    let dir = std::env::temp_dir().join(format!("xsi-wallboard-state-{}", std::process::id()));
    let path = dir.join("counters.json");
    let mut before = applier_with(Limits::default(), utc_midnight(), T0);
    five_calls(&mut before);
    let shown = row(&before, T0 + 60_000);
    persist::write(&path, &before.board().save_counters(KEY)).expect("written");
    let temporary = std::fs::read_dir(&dir)
        .expect("list")
        .filter_map(Result::ok)
        .any(|entry| entry.file_name().to_string_lossy().ends_with(".tmp"));
    assert!(
        !temporary,
        "the temporary file is renamed over the real one"
    );

    // Two hours later, same UTC day: everything counted comes back, since the first start.
    let after = applier_with(Limits::default(), utc_midnight(), T0 + 7_200_000);
    let saved = persist::load(&path).expect("readable").expect("present");
    assert_eq!(
        after.board().restore_counters(saved, KEY, T0 + 7_200_000),
        Ok(1)
    );
    let restored = row(&after, T0 + 7_200_000);
    assert_eq!(
        (restored.answered, restored.abandoned),
        (shown.answered, shown.abandoned)
    );
    assert_eq!(
        restored.stats.service_level_percent,
        shown.stats.service_level_percent
    );
    assert_eq!(restored.stats.short_abandoned, shown.stats.short_abandoned);
    assert_eq!(restored.counters_since, shown.counters_since);
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn counters_of_another_day_or_setup_are_not_restored() {
    let mut before = applier_with(Limits::default(), utc_midnight(), T0);
    five_calls(&mut before);
    let saved = before.board().save_counters(KEY);

    let other_setup = applier_with(Limits::default(), utc_midnight(), T0);
    assert_eq!(
        other_setup.board().restore_counters(
            saved.clone(),
            "https://other.example.com/ Discover",
            T0
        ),
        Err(NotRestored::OtherKey)
    );
    // 14:00 UTC + 11 h is past the next midnight: that day's counters are over.
    let next_day = applier_with(Limits::default(), utc_midnight(), T0 + 11 * 3_600_000);
    assert_eq!(
        next_day
            .board()
            .restore_counters(saved, KEY, T0 + 11 * 3_600_000),
        Err(NotRestored::Expired)
    );
    assert!(next_day.board().snapshot(T0).queues.is_empty());
    assert_eq!(
        persist::load(std::path::Path::new("/nonexistent/xsi/state.json")).ok(),
        Some(None)
    );
}

/// The state directory is not a symlink trap: links planted where the temporary file used to
/// be (`{path}.tmp`) and at the state file itself are never written through; the file and a
/// directory made for it are the owner's only.
#[cfg(unix)]
#[test]
fn a_planted_symlink_is_never_written_through() {
    use std::os::unix::fs::{PermissionsExt, symlink};

    let root = std::env::temp_dir().join(format!("xsi-wallboard-trap-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    std::fs::create_dir_all(&root).expect("temp dir");
    let victim = root.join("victim");
    std::fs::write(&victim, "precious").expect("victim");
    let dir = root.join("state").join("xsi-wallboard");
    let path = dir.join("counters.json");
    let mut applier = applier_with(Limits::default(), utc_midnight(), T0);
    five_calls(&mut applier);
    let saved = applier.board().save_counters(KEY);

    persist::write(&path, &saved).expect("written in a new directory");
    let mode = |p: &std::path::Path| {
        std::fs::symlink_metadata(p)
            .expect("metadata")
            .permissions()
            .mode()
            & 0o777
    };
    assert_eq!(
        mode(&dir),
        0o700,
        "a directory made here is the owner's only"
    );
    assert_eq!(mode(&path), 0o600, "the state file is the owner's only");

    // An attacker who can write the directory plants links at the old fixed temporary name
    // and at the state file itself.
    symlink(&victim, dir.join("counters.json.tmp")).expect("plant a link");
    std::fs::remove_file(&path).expect("remove");
    symlink(&victim, &path).expect("plant a link");
    persist::write(&path, &saved).expect("written past the links");
    assert_eq!(
        std::fs::read_to_string(&victim).expect("victim"),
        "precious",
        "nothing written through a link"
    );
    assert!(
        std::fs::symlink_metadata(&path)
            .expect("metadata")
            .file_type()
            .is_file(),
        "the link at the state file is replaced, not followed"
    );
    assert_eq!(mode(&path), 0o600);
    assert_eq!(
        persist::load(&path).expect("readable").expect("present"),
        saved
    );
    let strays: Vec<_> = std::fs::read_dir(&dir)
        .expect("list")
        .filter_map(Result::ok)
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .filter(|name| name != "counters.json" && name != "counters.json.tmp")
        .collect();
    assert!(strays.is_empty(), "no temporary file left: {strays:?}");
    let _ = std::fs::remove_dir_all(root);
}
