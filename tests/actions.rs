//! Acting on a waiting call (issue 18), against the mock XSP: each request exactly as the
//! specification says (method, URL, query, a body the schema takes), the refusals that never
//! reach the XSP, the XSP's `ErrorInfo` in one line, the pending mark and what clears it, the
//! audit line and the counters of `/api/board`.

#[path = "common/mock_xsp.rs"]
mod mock_xsp;
#[path = "common/subscriber.rs"]
mod subscriber;
#[path = "common/tools.rs"]
mod tools;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::http::Method;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use xsi_wallboard::actions::{
    ActionKind, ActionOutcome, ActionRequest, ActionSettings, Actions, CallAction, Destination,
    LocalSink, PENDING_MS, Refusal, Viewer,
};
use xsi_wallboard::board::{
    self, Applier, Board, BoardConfig, CallRow, Input, QueueRow, now_ms, run_applier,
};
use xsi_wallboard::subscribe::XspClient;
use xsi_wallboard::xsi::{
    CallEvent, CallEventKind, Envelope, Event, EventData, QueueEntry, QueueSnapshot, RemoteParty,
    SubscriptionEvent,
};

use mock_xsp::{MockXsp, QUEUE_CALL_ORDER_POSITION, Reply};

const CC: &str = "billing@example.com";
const ACTIONS_CALLS: &str = "/com.broadsoft.xsi-actions/v2.0/callcenter/billing@example.com/calls";

/// A waiting call: `priority` as `acdPriority` (None: the call center sends none).
fn entry(n: u32, priority: Option<u8>) -> QueueEntry {
    QueueEntry {
        call_id: format!("callhalf-{n}:0").into(),
        ext_tracking_id: format!("{n}:1").into(),
        remote_party: RemoteParty {
            name: Some("Maria Garcia".into()),
            address: Some(format!("tel:+180855501{n:02}").into()),
            ..RemoteParty::default()
        },
        add_time: Some(now_ms() - 60_000 + i64::from(n)),
        acd_name: Some("Billing".into()),
        acd_priority: priority,
        ..QueueEntry::default()
    }
}

fn call_id(n: u32) -> Arc<str> {
    format!("callhalf-{n}:0").into()
}

fn fetched(entries: Vec<QueueEntry>) -> Input {
    let now = now_ms();
    Input::Fetched {
        call_center: CC.into(),
        subscription_id: None,
        snapshot: QueueSnapshot {
            resync: false,
            entries,
        },
        sent_ms: now - 1,
        arrival_ms: now,
        raw: None,
    }
}

fn event(kind: CallEventKind, entry: QueueEntry, position: Option<u32>) -> Input {
    Input::Event {
        event: Event::Subscription(SubscriptionEvent {
            envelope: Envelope {
                event_id: format!("ev-{}-{kind:?}", entry.call_id).into(),
                target_id: Some(CC.into()),
                ..Envelope::default()
            },
            data: EventData::Call(CallEvent {
                kind,
                entry,
                position,
                overflow_reason: None,
            }),
        }),
        arrival_ms: now_ms(),
        raw: None,
    }
}

fn allowed() -> ActionSettings {
    ActionSettings {
        allowed: true,
        destinations: vec![Destination {
            name: "Front desk".into(),
            number: "+41445550100".into(),
        }]
        .into(),
        allow_any_transfer_number: false,
    }
}

/// A board fed by a running applier, the mock XSP, and the actions on both.
struct Bench {
    mock: MockXsp,
    board: Arc<Board>,
    inputs: mpsc::Sender<Input>,
    actions: Actions,
    cancel: CancellationToken,
}

impl Bench {
    async fn new(settings: ActionSettings, calls: Vec<QueueEntry>) -> Bench {
        let mock = MockXsp::start(3600).await;
        let board = Arc::new(Board::new(BoardConfig::default(), now_ms()));
        let (inputs, rx) = board::channel();
        let cancel = CancellationToken::new();
        tokio::spawn(run_applier(
            rx,
            Applier::new(Arc::clone(&board)),
            cancel.clone(),
        ));
        let xsp = subscriber::settings(
            &mock,
            subscriber::one_call_center(CC),
            &["Call Center Queue"],
        );
        let client = XspClient::new(&xsp).expect("client");
        let actions = Actions::new(
            settings,
            Some(Arc::new(LocalSink::new(client))),
            Arc::clone(&board),
            inputs.clone(),
            mock_xsp::USER,
        );
        let bench = Bench {
            mock,
            board,
            inputs,
            actions,
            cancel,
        };
        bench.send(fetched(calls)).await;
        bench
    }

    async fn send(&self, input: Input) {
        let version = self.board.changes().borrow().to_owned();
        self.inputs.send(input).await.expect("applier");
        let mut changes = self.board.changes();
        let _ =
            tokio::time::timeout(Duration::from_secs(10), changes.wait_for(|v| *v > version)).await;
    }

    fn queue(&self) -> QueueRow {
        self.board
            .snapshot(now_ms())
            .queues
            .into_iter()
            .find(|q| &*q.id == CC)
            .expect("the call center on the board")
    }

    fn call(&self, n: u32) -> Option<CallRow> {
        self.queue()
            .calls
            .into_iter()
            .find(|c| c.call_id == call_id(n))
    }

    async fn act(&self, n: u32, action: CallAction) -> ActionOutcome {
        let request = ActionRequest {
            call_center: CC.into(),
            call_id: call_id(n),
            action,
        };
        self.actions.act(request, &Viewer::Local).await
    }

    /// Wait until `done` holds; a bound, not a timing target: a broken build fails, not hangs.
    async fn until(&self, what: &str, done: impl Fn() -> bool) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        while !done() {
            assert!(
                tokio::time::Instant::now() < deadline,
                "gave up waiting for {what}"
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// Requests to the call commands (the mock also answers other paths).
    fn commands(&self) -> Vec<mock_xsp::Recorded> {
        self.mock
            .requests()
            .into_iter()
            .filter(|r| r.path.starts_with(ACTIONS_CALLS))
            .collect()
    }
}

impl Drop for Bench {
    fn drop(&mut self) {
        self.cancel.cancel();
    }
}

#[tokio::test]
async fn promote_puts_an_acd_promote_the_schema_takes_and_reads_the_position() {
    let bench = Bench::new(allowed(), vec![entry(1, Some(2))]).await;
    let outcome = bench.act(1, CallAction::Promote { priority: 1 }).await;
    assert_eq!(
        outcome,
        ActionOutcome::Sent(xsi_wallboard::actions::Sent {
            position: Some(QUEUE_CALL_ORDER_POSITION)
        })
    );
    let [sent] = bench.commands().try_into().expect("one request");
    assert_eq!(sent.method, Method::PUT);
    assert_eq!(sent.path, format!("{ACTIONS_CALLS}/callhalf-1:0/Promote"));
    assert_eq!(sent.query, None);
    assert_eq!(sent.authorization.as_deref(), Some(mock_xsp::AUTHORIZATION));
    assert!(
        sent.content_type
            .as_deref()
            .is_some_and(|c| c.starts_with("application/xml")),
        "{sent:?}"
    );
    assert!(
        sent.body.contains("<priority>1-High</priority>"),
        "{}",
        sent.body
    );
    if let Some(xmllint) = tools::xmllint() {
        xmllint.assert_valid([("ACDPromote", sent.body.as_bytes())]);
    }
    // Sent, not yet moved: the board waits for the XSP's event and says so.
    let call = bench.call(1).expect("still waiting");
    assert_eq!(
        (call.priority, call.pending),
        (2, Some(ActionKind::Promote))
    );
}

#[tokio::test]
async fn move_reorders_by_the_specs_index_and_transfer_and_release_say_nothing_else() {
    let calls = vec![entry(1, Some(0)), entry(2, Some(0)), entry(3, Some(0))];
    let bench = Bench::new(
        ActionSettings {
            allow_any_transfer_number: true,
            ..allowed()
        },
        calls,
    )
    .await;
    // The third call one place earlier: list index 2, so index 1 (the first call is 0).
    let moved = bench.act(3, CallAction::Move { index: 1 }).await;
    assert!(matches!(moved, ActionOutcome::Sent(_)), "{moved:?}");
    let typed = bench
        .act(
            2,
            CallAction::Transfer {
                number: "+1 808".replace(' ', ""),
            },
        )
        .await;
    assert!(matches!(typed, ActionOutcome::Sent(_)), "{typed:?}");
    let released = bench.act(1, CallAction::Release).await;
    assert!(matches!(released, ActionOutcome::Sent(_)), "{released:?}");
    let sent = bench.commands();
    let seen: Vec<(Method, String, Option<String>, String)> = sent
        .into_iter()
        .map(|r| (r.method, r.path, r.query, r.body))
        .collect();
    assert_eq!(
        seen,
        [
            (
                Method::PUT,
                format!("{ACTIONS_CALLS}/callhalf-3:0/Reorder"),
                Some("index=1".to_owned()),
                String::new()
            ),
            (
                Method::PUT,
                format!("{ACTIONS_CALLS}/callhalf-2:0/BlindTransfer"),
                // `+` is a space in a query: sent as %2B.
                Some("phoneno=%2B1808".to_owned()),
                String::new()
            ),
            (
                Method::DELETE,
                format!("{ACTIONS_CALLS}/callhalf-1:0"),
                None,
                String::new()
            ),
        ]
    );
}

#[tokio::test]
async fn refusals_never_reach_the_xsp() {
    let mut bounced = entry(2, Some(3));
    bounced.bounced = true;
    let mut entrance = entry(3, Some(3));
    entrance.mandatory_entrance = true;
    let calls = vec![
        entry(1, None),
        bounced,
        entrance,
        entry(4, Some(1)),
        entry(5, Some(0)),
    ];
    let bench = Bench::new(allowed(), calls).await;
    let cases = [
        (1, CallAction::Promote { priority: 0 }, Refusal::NotPremium),
        (2, CallAction::Promote { priority: 1 }, Refusal::Bounced),
        (
            3,
            CallAction::Promote { priority: 1 },
            Refusal::MandatoryEntrance,
        ),
        (
            4,
            CallAction::Promote { priority: 2 },
            Refusal::NotHigher {
                current: 1,
                asked: 2,
            },
        ),
        (
            4,
            CallAction::Move { index: 0 },
            Refusal::NotHighest { current: 1 },
        ),
        (
            5,
            CallAction::Transfer {
                number: "+19005550000".into(),
            },
            Refusal::NotListed,
        ),
        (9, CallAction::Release, Refusal::Gone),
    ];
    for (n, action, refusal) in cases {
        let outcome = bench.act(n, action.clone()).await;
        assert_eq!(
            outcome,
            ActionOutcome::Refused(refusal),
            "call {n}: {action:?}"
        );
    }
    // Actions off: the same request that would pass is refused, here and before any question.
    let off = Actions::new(
        ActionSettings::default(),
        None,
        Arc::clone(&bench.board),
        bench.inputs.clone(),
        "nobody",
    );
    let request = ActionRequest {
        call_center: CC.into(),
        call_id: call_id(5),
        action: CallAction::Release,
    };
    assert_eq!(
        off.act(request, &Viewer::Local).await,
        ActionOutcome::Refused(Refusal::ActionsOff)
    );
    assert!(bench.commands().is_empty(), "{:#?}", bench.commands());
    let tallies = bench.board.snapshot(now_ms()).actions;
    assert_eq!(
        (
            tallies.promote.refused,
            tallies.move_.refused,
            tallies.transfer.refused
        ),
        (4, 1, 1)
    );
    assert_eq!(tallies.release.refused, 2);
    assert_eq!(tallies.promote.ok + tallies.release.failed, 0);
    // /api/board's contract: {"promote": {"ok", "failed", "refused"}, "move": ...}.
    let json = serde_json::to_value(xsi_wallboard::board::api::ApiBoard::from(
        &bench.board.snapshot(now_ms()),
    ))
    .expect("json");
    assert_eq!(json["actions"]["move"]["refused"], 1);
    assert_eq!(json["actions"]["release"]["ok"], 0);
}

#[tokio::test]
async fn each_error_info_is_said_in_one_line_and_the_mark_goes() {
    let bench = Bench::new(allowed(), vec![entry(1, Some(2)), entry(2, Some(0))]).await;
    let scripted = [
        (
            Reply::Error(400, "Call can not be promoted", 110_502),
            1,
            CallAction::Promote { priority: 0 },
            "promote failed: XSP error (400): Call can not be promoted (error 110502)",
        ),
        (
            Reply::Error(404, "Call not found", 4008),
            2,
            CallAction::Release,
            "release failed: not found (404): Call not found (error 4008)",
        ),
        (Reply::Forbidden, 2, CallAction::Move { index: 0 }, ""),
    ];
    for (reply, n, action, words) in scripted {
        let method = if action == CallAction::Release {
            Method::DELETE
        } else {
            Method::PUT
        };
        bench.mock.script(method, reply);
        let kind = action.kind();
        let outcome = bench.act(n, action).await;
        if words.is_empty() {
            // A move to where the call already is: refused here, the script stays unused.
            assert_eq!(
                outcome,
                ActionOutcome::Refused(Refusal::NoPlace { earlier: true })
            );
            continue;
        }
        assert_eq!(outcome.words(kind), words);
        assert!(!outcome.words(kind).contains('\n'));
        // Nothing else changes: the call stays, its mark is taken off (by an input the
        // applier takes after the answer).
        bench
            .until(&format!("call {n}'s mark taken off"), || {
                bench.call(n).expect("still waiting").pending.is_none()
            })
            .await;
    }
    let tallies = bench.board.snapshot(now_ms()).actions;
    assert_eq!((tallies.promote.failed, tallies.release.failed), (1, 1));
}

#[tokio::test]
async fn the_pending_mark_goes_with_the_xsps_event_and_else_after_five_seconds() {
    let board = Arc::new(Board::new(BoardConfig::default(), now_ms()));
    let mut applier = Applier::new(Arc::clone(&board));
    applier.take(fetched(vec![entry(1, Some(2)), entry(2, Some(0))]));
    let now = now_ms();
    for n in [1, 2] {
        applier.take(Input::ActionPending {
            call_center: CC.into(),
            call_id: call_id(n),
            action: if n == 1 {
                ActionKind::Promote
            } else {
                ActionKind::Move
            },
            until_ms: now + PENDING_MS,
        });
    }
    let pending = |n: u32| {
        board.snapshot(now_ms()).queues[0]
            .calls
            .iter()
            .find(|c| c.call_id == call_id(n))
            .and_then(|c| c.pending)
    };
    assert_eq!(pending(1), Some(ActionKind::Promote));
    // Another event about the call does not answer the promote.
    applier.take(event(CallEventKind::Updated, entry(1, Some(2)), None));
    assert_eq!(pending(1), Some(ActionKind::Promote));
    // The XSP's ACDCallPromotedEvent does, and moves the call as it says.
    applier.take(event(CallEventKind::Promoted, entry(1, Some(0)), Some(1)));
    assert_eq!(pending(1), None);
    let calls = &board.snapshot(now_ms()).queues[0].calls;
    assert_eq!(
        (calls[0].call_id.clone(), calls[0].priority),
        (call_id(1), 0)
    );
    // No ACDCallReorderedEvent comes for the move: the mark goes after five seconds.
    applier.tick(now + PENDING_MS - 1);
    assert_eq!(pending(2), Some(ActionKind::Move));
    assert!(applier.tick(now + PENDING_MS), "the board changed");
    assert_eq!(pending(2), None);
    // A failed request takes it off at once.
    applier.take(Input::ActionPending {
        call_center: CC.into(),
        call_id: call_id(2),
        action: ActionKind::Release,
        until_ms: now + 60_000,
    });
    applier.take(Input::ActionSettled {
        call_center: CC.into(),
        call_id: call_id(2),
    });
    assert_eq!(pending(2), None);
}

/// The log lines written while a test runs on this thread.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("lock").write(buf)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Every log line of this test binary, from whichever test: a global subscriber (a
/// thread's own would miss events whose callsites another thread registered first), read by
/// one test for the calls only it acts on.
fn captured_log() -> &'static Captured {
    static CAPTURED: std::sync::OnceLock<Captured> = std::sync::OnceLock::new();
    CAPTURED.get_or_init(|| {
        let captured = Captured::default();
        let writer = captured.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(move || writer.clone())
            .with_ansi(false)
            .with_max_level(tracing::Level::INFO)
            .finish();
        let _ = tracing::subscriber::set_global_default(subscriber);
        captured
    })
}

#[tokio::test]
async fn every_action_confirmed_or_refused_leaves_an_audit_line_with_the_caller_masked() {
    let captured = captured_log();
    let bench = Bench::new(allowed(), vec![entry(41, Some(2)), entry(42, Some(0))]).await;
    let masked = Actions::new(
        allowed(),
        None,
        Arc::clone(&bench.board),
        bench.inputs.clone(),
        mock_xsp::USER,
    )
    .with_mask_callers(true);
    let sent = bench.act(41, CallAction::Promote { priority: 1 }).await;
    assert!(matches!(sent, ActionOutcome::Sent(_)));
    let request = ActionRequest {
        call_center: CC.into(),
        call_id: call_id(42),
        action: CallAction::Promote { priority: 0 },
    };
    let refused = masked
        .act(request, &Viewer::Remote("address 127.0.0.1:5000".into()))
        .await;
    assert!(matches!(refused, ActionOutcome::Refused(_)));
    let log = String::from_utf8_lossy(&captured.0.lock().expect("lock")).into_owned();
    let lines: Vec<&str> = log
        .lines()
        .filter(|l| {
            l.contains(" audit: ") && (l.contains("callhalf-41:0") || l.contains("callhalf-42:0"))
        })
        .collect();
    assert_eq!(lines.len(), 2, "{log}");
    for field in [
        "INFO audit:",
        "account=supervisor@example.com",
        "viewer=local",
        "call_center=billing@example.com",
        "call=callhalf-41:0",
        "caller=Maria Garcia (+18085550141)",
        "request=promote",
        "argument=1",
        "result=promote taken (XSP position 2); the board follows its event",
    ] {
        assert!(lines[0].contains(field), "{field} in {}", lines[0]);
    }
    // Under --mask-callers the audit line masks the caller as the screen does.
    for field in [
        "viewer=address 127.0.0.1:5000",
        "caller=M. G. (•••••••0142)",
        "result=promote not sent: a call can only be promoted",
    ] {
        assert!(lines[1].contains(field), "{field} in {}", lines[1]);
    }
    assert!(!lines[1].contains("Maria"), "{}", lines[1]);
}

/// What the wallboard sends an XSP reads back (the demo XSP reads it so), and what an XSP
/// answers is read as given: a position is never re-based.
#[test]
fn promote_bodies_and_queue_call_orders_read_back() {
    use xsi_wallboard::xsi::request::{parse_acd_promote, parse_queue_call_order, promote_xml};
    for priority in 0..=3 {
        let body = promote_xml(priority).expect("a schema priority");
        assert_eq!(parse_acd_promote(body.as_bytes()), Ok(priority), "{body}");
    }
    assert_eq!(promote_xml(4), None);
    let answer = r#"<QueueCallOrder xmlns="http://schema.broadsoft.com/xsi"><position>0</position></QueueCallOrder>"#;
    assert_eq!(parse_queue_call_order(answer.as_bytes()), Ok(Some(0)));
    let other = r#"<Other xmlns="http://schema.broadsoft.com/xsi"/>"#;
    assert!(parse_queue_call_order(other.as_bytes()).is_err());
}
