//! Conformance: a board that tells the truth on a real XSP. One test per behaviour the XSI
//! schema's documentation (`xsd/`) or the interface specification describes, each through the
//! real HTTP listener on 127.0.0.1 (or the mock XSP, or the event channel), with events written
//! here by hand from the schema's words, not by the wallboard's own writer.
//!
//! Waits are bounded polls of `/api/board`, never fixed sleeps.
//!
//! Where each item of the issue "A board that tells the truth on a real XSP" is tested:
//! 1 every number counts, 3 snapshots, 4 whisper, 5 no `addTime`, 6 configuration, 7 agents,
//! 12 `preservedWaitTime`: here, through the listener; 2 repairs, 8 feed per package, 9 which
//! call center, 11 never a calm empty board: here, against the mock XSP (`mod xsp`); 10 the
//! event channel answers every event (200, 400, 481, never dropped): `tests/channel.rs`, against
//! the mock's channel; 13 the demo tells the truth: `tests/sim.rs` (ten simulated minutes).

#[path = "common/mock_xsp.rs"]
mod mock_xsp;

use std::time::Duration;

use serde_json::Value;
use xsi_wallboard::run::{self, Running, StartOptions};

/// Generous: a broken wallboard fails the test instead of hanging it; never a speed target.
const BOUND: Duration = Duration::from_secs(30);
const SALES: &str = "sales@example.com";
const SUPPORT: &str = "support@example.com";
/// 2026-12-01T10:00:00Z.
const T0: i64 = 1_796_119_200_000;

// ---- documents, as the schema describes them ---------------------------------------------------

/// One `SubscriptionEvent` with the envelope in schema order. `sequence` is the subscription's
/// counter; `target` may be absent (`targetId` is optional).
fn event(id: &str, sequence: u32, sub: &str, target: Option<&str>, data: &str) -> String {
    let target = target.map_or(String::new(), |t| {
        format!("<xsi:targetId>{t}</xsi:targetId>")
    });
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<xsi:Event xsi1:type="xsi:SubscriptionEvent" xmlns:xsi="http://schema.broadsoft.com/xsi" xmlns:xsi1="http://www.w3.org/2001/XMLSchema-instance">
<xsi:eventID>{id}</xsi:eventID><xsi:sequenceNumber>{sequence}</xsi:sequenceNumber>
<xsi:userId>supervisor@example.com</xsi:userId><xsi:externalApplicationId>wallboard</xsi:externalApplicationId>
<xsi:subscriptionId>{sub}</xsi:subscriptionId><xsi:httpContact><xsi:uri>http://127.0.0.1/xsi-events</xsi:uri></xsi:httpContact>
{target}{data}</xsi:Event>"#
    )
}

/// `eventData` of type `ty` with `body` inside.
fn data(ty: &str, body: &str) -> String {
    format!(r#"<xsi:eventData xsi1:type="xsi:{ty}">{body}</xsi:eventData>"#)
}

/// An `ACDQueueEntry`; `add_time` is "only present if the call has been added to the queue".
fn entry(call: &str, add_time: Option<i64>, remove_time: Option<i64>, extra: &str) -> String {
    let add = add_time.map_or(String::new(), |t| format!("<xsi:addTime>{t}</xsi:addTime>"));
    let remove = remove_time.map_or(String::new(), |t| {
        format!("<xsi:removeTime>{t}</xsi:removeTime>")
    });
    format!(
        "<xsi:queueEntry><xsi:callId>{call}</xsi:callId><xsi:extTrackingId>{call}:1</xsi:extTrackingId>\
         <xsi:remoteParty><xsi:name>Caller {call}</xsi:name><xsi:address countryCode=\"1\">tel:+15550100</xsi:address>\
         <xsi:callType>Network</xsi:callType></xsi:remoteParty>{add}{remove}{extra}\
         <xsi:acdName>Sales</xsi:acdName><xsi:acdNumber>+15550199</xsi:acdNumber></xsi:queueEntry>"
    )
}

/// A call event of type `ty` about one entry.
fn call(ty: &str, entry: &str) -> String {
    let position = if ty == "ACDCallAddedEvent" {
        "<xsi:position>1</xsi:position>"
    } else {
        ""
    };
    data(ty, &format!("{entry}{position}"))
}

/// An `ACDSubscriptionEvent` (or `ACDSubscriptionResyncEvent`) listing `entries`.
fn snapshot(ty: &str, entries: &[String]) -> String {
    data(
        ty,
        &format!("<xsi:queueEntries>{}</xsi:queueEntries>", entries.concat()),
    )
}

// ---- the wallboard, over HTTP ------------------------------------------------------------------

struct Wallboard {
    running: Running,
    client: reqwest::Client,
    url: String,
}

async fn listen_only() -> Wallboard {
    let running = run::start(StartOptions {
        listen: "127.0.0.1:0".parse().expect("address"),
        ..StartOptions::default()
    })
    .await
    .expect("start");
    let url = running.event_url().expect("listening");
    Wallboard {
        running,
        client: reqwest::Client::new(),
        url,
    }
}

impl Wallboard {
    /// POST one document; its status and body.
    async fn post(&self, body: String) -> (u16, String) {
        let response = self
            .client
            .post(&self.url)
            .header("content-type", "application/xml")
            .body(body)
            .send()
            .await
            .expect("post");
        let status = response.status().as_u16();
        (status, response.text().await.unwrap_or_default())
    }

    /// POST each document and expect 200 for each.
    async fn post_all(&self, bodies: impl IntoIterator<Item = String>) {
        for body in bodies {
            let (status, reason) = self.post(body.clone()).await;
            assert_eq!(status, 200, "{reason}\n{body}");
        }
    }

    async fn board(&self) -> Value {
        let addr = self.running.addr.expect("listening");
        let text = self
            .client
            .get(format!("http://{addr}/api/board"))
            .send()
            .await
            .expect("get")
            .text()
            .await
            .expect("body");
        serde_json::from_str(&text).expect("json")
    }

    /// `/api/board` once `done` holds.
    async fn board_when(&self, what: &str, done: impl Fn(&Value) -> bool) -> Value {
        let wait = async {
            loop {
                let board = self.board().await;
                if done(&board) {
                    return board;
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        };
        match tokio::time::timeout(BOUND, wait).await {
            Ok(board) => board,
            Err(tokio::time::error::Elapsed { .. }) => {
                panic!("board never showed {what}: {:#}", self.board().await)
            }
        }
    }

    async fn stop(self) {
        self.running.shutdown().await.expect("clean shutdown");
    }
}

fn queue<'a>(board: &'a Value, id: &str) -> &'a Value {
    board["queues"]
        .as_array()
        .and_then(|q| q.iter().find(|q| q["id"] == id))
        .unwrap_or_else(|| panic!("no queue {id}: {board:#}"))
}

fn waiting(board: &Value, id: &str) -> Vec<String> {
    queue(board, id)["calls"]
        .as_array()
        .map(|calls| {
            calls
                .iter()
                .filter_map(|c| c["call_id"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

// ---- 1. sequence numbers: every event counts ------------------------------------------------

/// "Every event on a subscription carries the subscription's sequenceNumber", whatever its
/// type. A subscription whose numbers are all received, through every kind of event the board
/// ignores, refuses or does not know, has no gap; a second subscription that really lost one
/// has exactly one, and only its call center is UNSURE.
#[tokio::test]
#[allow(clippy::too_many_lines, reason = "one story, told start to end")]
async fn every_event_type_counts_its_sequence_number() {
    let wb = listen_only().await;
    let s = "sub-all-types";
    let added = entry("c1", Some(T0), None, "");
    let gone = entry("c1", Some(T0), Some(T0 + 30_000), "");
    let flat = "<xsi:callId>f1</xsi:callId><xsi:extTrackingId>f1:1</xsi:extTrackingId>\
        <xsi:acdName>Sales</xsi:acdName><xsi:acdNumber>+15550199</xsi:acdNumber>\
        <xsi:remoteParty><xsi:address>tel:+15550111</xsi:address></xsi:remoteParty>";
    let documents = [
        snapshot("ACDSubscriptionEvent", &[]),
        call("ACDCallAddedEvent", &added),
        call("ACDCallAbandonedEvent", &gone),
        // The schema spells two of these `Treatement`; the specification `Treatment`.
        data("ACDCallStrandedTreatementCompletedEvent", ""),
        data("ACDCallStrandedTreatmentCompletedEvent", ""),
        data("ACDCallOverflowedTreatmentCompletedEvent", ""),
        data("ACDNightPolicyTreatmentCompletedEvent", ""),
        data("ACDCallForwardedEvent", flat),
        data("ACDNightPolicyAppliedEvent", flat),
        data("ACDHolidayPolicyAppliedEvent", flat),
        data(
            "CallCenterMonitoringEvent",
            "<xsi:monitoringStatus><xsi:averageSpeedOfAnswer>3</xsi:averageSpeedOfAnswer>\
             <xsi:longestWaitTime>0</xsi:longestWaitTime><xsi:numCallsInQueue>0</xsi:numCallsInQueue>\
             <xsi:numAgentsAssigned>1</xsi:numAgentsAssigned><xsi:numAgentsStaffed>1</xsi:numAgentsStaffed>\
             <xsi:numStaffedAgentsIdle>1</xsi:numStaffedAgentsIdle>\
             <xsi:numStaffedAgentsUnavailable>0</xsi:numStaffedAgentsUnavailable></xsi:monitoringStatus>",
        ),
        data("ACDNightServiceEvent", "<xsi:active/>"),
        data("SomeEventOfALaterRelease", "<xsi:whatever/>"),
        // A late Added (its call already ended) and a late snapshot entry: ignored, counted.
        call("ACDCallAddedEvent", &added),
    ];
    let mut n = 0;
    for body in documents {
        n += 1;
        wb.post_all([event(&format!("all-{n}"), n, s, Some(SALES), &body)])
            .await;
    }
    // One the wallboard must refuse (400): what it said is lost, its number is not.
    n += 1;
    let refused = event(
        &format!("all-{n}"),
        n,
        s,
        Some(SALES),
        &call(
            "ACDCallAddedEvent",
            &entry("c9", Some(T0), None, "").replace(&format!(">{T0}<"), ">BLAAT<"),
        ),
    );
    let (status, reason) = wb.post(refused).await;
    assert_eq!(status, 400, "{reason}");
    n += 1;
    wb.post_all([event(
        &format!("all-{n}"),
        n,
        s,
        Some(SALES),
        &data("ACDHolidayServiceEvent", "<xsi:active>false</xsi:active>"),
    )])
    .await;
    // The same eventID again (a duplicate): its number is the one already seen.
    wb.post_all([event(
        "all-1",
        1,
        s,
        Some(SALES),
        &snapshot("ACDSubscriptionEvent", &[]),
    )])
    .await;

    // Another subscription loses its number 2.
    let lost = "sub-lossy";
    wb.post_all([
        event(
            "lossy-1",
            1,
            lost,
            Some(SUPPORT),
            &snapshot("ACDSubscriptionEvent", &[]),
        ),
        event(
            "lossy-3",
            3,
            lost,
            Some(SUPPORT),
            &call("ACDCallAddedEvent", &entry("c2", Some(T0), None, "")),
        ),
    ])
    .await;
    // The lossy subscription's gap is declared after the window; the other's numbers were all
    // seen before it, so had any been missing it would be declared by then too.
    let board = wb
        .board_when("the real gap", |b| {
            b["sequence"]["gaps"].as_u64() >= Some(1)
        })
        .await;
    assert_eq!(board["sequence"]["gaps"], 1, "{:#}", board["sequence"]);
    assert_eq!(queue(&board, SUPPORT)["unsure"], true);
    assert_eq!(queue(&board, SALES)["unsure"], false, "no false gap");
    assert_eq!(board["events"]["unknown"], 1);
    assert_eq!(board["events"]["duplicates"], 1);
    assert!(board["sequence"]["late"].as_u64() >= Some(1));
    wb.stop().await;
}

// ---- 3. snapshots against newer events -------------------------------------------------------

/// "An `ACDSubscriptionEvent` describes the queue at its own sequence number": a call added by an
/// event numbered after it survives it, a call ended after it stays ended, and a call it leaves
/// out is gone as of that snapshot only (a later event that lists it brings it back).
#[tokio::test]
async fn a_snapshot_does_not_undo_what_came_after_it() {
    let wb = listen_only().await;
    let s = "sub-queue";
    let at = |n: u32, body: String| event(&format!("snap-{n}"), n, s, Some(SALES), &body);
    wb.post_all([
        at(1, snapshot("ACDSubscriptionEvent", &[])),
        at(
            2,
            call("ACDCallAddedEvent", &entry("old", Some(T0), None, "")),
        ),
        at(
            3,
            call("ACDCallAddedEvent", &entry("ended", Some(T0), None, "")),
        ),
        // Numbered after the refresh's initial event (5) but delivered before it.
        at(
            6,
            call(
                "ACDCallAddedEvent",
                &entry("new", Some(T0 + 60_000), None, ""),
            ),
        ),
        at(
            7,
            call(
                "ACDCallAbandonedEvent",
                &entry("ended", Some(T0), Some(T0 + 90_000), ""),
            ),
        ),
    ])
    .await;
    // Number 4 was lost on the way (the queue's state at 5 includes it): the snapshot lists
    // `ended` (still waiting at 5) but neither `old` (gone by 5) nor `new` (added at 6).
    wb.post_all([at(
        5,
        snapshot(
            "ACDSubscriptionEvent",
            &[entry("ended", Some(T0), None, "")],
        ),
    )])
    .await;
    let board = wb
        .board_when("the snapshot applied", |b| {
            !waiting(b, SALES).iter().any(|c| c == "old")
        })
        .await;
    assert_eq!(
        waiting(&board, SALES),
        ["new"],
        "{:#}",
        queue(&board, SALES)
    );
    assert_eq!(queue(&board, SALES)["abandoned"], 1);

    // `old` was left out as of number 5; an event numbered after it lists it again: it is
    // back. An event numbered before the snapshot is late and changes nothing.
    wb.post_all([
        at(
            8,
            call(
                "ACDCallBouncedEvent",
                &entry("old", Some(T0), None, "<xsi:bounced/>"),
            ),
        ),
        at(
            4,
            call("ACDCallAddedEvent", &entry("ghost", Some(T0), None, "")),
        ),
    ])
    .await;
    let board = wb
        .board_when("old back", |b| waiting(b, SALES).iter().any(|c| c == "old"))
        .await;
    assert_eq!(waiting(&board, SALES), ["old", "new"]);
    assert!(board["sequence"]["late"].as_u64() >= Some(1));
    wb.stop().await;
}

/// An `ACDSubscriptionResyncEvent` follows an abnormal shutdown of the Application Server: its
/// numbering starts again (the specification's example carries 1). It is applied as the whole
/// truth, never dropped as late, and what follows it counts from its number.
#[tokio::test]
async fn a_resync_event_is_the_whole_truth_and_restarts_the_count() {
    let wb = listen_only().await;
    let s = "sub-resync";
    let at = |id: &str, n: u32, body: String| event(id, n, s, Some(SALES), &body);
    wb.post_all([
        at("r-40", 40, snapshot("ACDSubscriptionEvent", &[])),
        at(
            "r-41",
            41,
            call("ACDCallAddedEvent", &entry("a", Some(T0), None, "")),
        ),
        at(
            "r-42",
            42,
            call("ACDCallAddedEvent", &entry("b", Some(T0 + 1000), None, "")),
        ),
        at(
            "r-1",
            1,
            snapshot(
                "ACDSubscriptionResyncEvent",
                &[
                    entry("b", Some(T0 + 1000), None, ""),
                    entry("c", Some(T0 + 2000), None, ""),
                ],
            ),
        ),
        at(
            "r-2",
            2,
            call("ACDCallAddedEvent", &entry("d", Some(T0 + 3000), None, "")),
        ),
    ])
    .await;
    let board = wb
        .board_when("the resync and what follows", |b| {
            waiting(b, SALES).iter().any(|c| c == "d")
        })
        .await;
    let mut calls = waiting(&board, SALES);
    calls.sort();
    assert_eq!(
        calls,
        ["b", "c", "d"],
        "a is gone: the resync is the whole truth"
    );
    assert_eq!(board["sequence"]["late"], 0, "never dropped as late");
    assert_eq!(queue(&board, SALES)["unsure"], false);
    wb.stop().await;
}

// ---- 4. whisper, then answer -----------------------------------------------------------------

/// "The call remains in the queue, but subsequent actions on the call are rejected. The ACD
/// Call Answered By Agent is sent once the whisper announcement completes": not waiting any
/// more, answered once, with the answer's wait, and counted in the service level.
#[tokio::test]
async fn a_whispered_call_is_answered_once_with_the_answers_wait() {
    let wb = listen_only().await;
    let s = "sub-whisper";
    let agent = "<xsi:answeringUserId>agent1@example.com</xsi:answeringUserId>";
    let at = |n: u32, body: String| event(&format!("w-{n}"), n, s, Some(SALES), &body);
    wb.post_all([
        at(
            1,
            call("ACDCallAddedEvent", &entry("w", Some(T0), None, "")),
        ),
        at(
            2,
            call("ACDWhisperStartedEvent", &entry("w", Some(T0), None, agent)),
        ),
    ])
    .await;
    let board = wb
        .board_when("the whisper", |b| waiting(b, SALES).is_empty())
        .await;
    assert_eq!(
        queue(&board, SALES)["answered"],
        0,
        "answered by the answer"
    );
    // Still listed by a snapshot while the announcement plays: not waiting.
    wb.post_all([
        at(
            3,
            snapshot("ACDSubscriptionEvent", &[entry("w", Some(T0), None, agent)]),
        ),
        at(
            4,
            call(
                "ACDCallAnsweredByAgentEvent",
                &entry("w", Some(T0), Some(T0 + 15_000), agent),
            ),
        ),
    ])
    .await;
    let board = wb
        .board_when("the answer", |b| queue(b, SALES)["answered"] == 1)
        .await;
    let q = queue(&board, SALES);
    assert!(waiting(&board, SALES).is_empty());
    assert_eq!(q["stats"]["answered_longest_wait_secs"], 15);
    assert_eq!(q["stats"]["service_level_percent"], 100.0, "15 s <= 20 s");
    wb.stop().await;
}

// ---- 5. entries without addTime --------------------------------------------------------------

/// `addTime`: "Only present if the call has been added to the queue". An overflow because the
/// queue is full never queued: taken (200), counted, never shown waiting. Only `callId` is
/// needed to end a call.
#[tokio::test]
async fn an_entry_without_add_time_is_taken_counted_and_never_waiting() {
    let wb = listen_only().await;
    let s = "sub-overflow";
    let full = data(
        "ACDCallOverflowedEvent",
        &format!(
            "{}<xsi:overflowReason>size</xsi:overflowReason>",
            entry("full", None, Some(T0 + 100), "")
        ),
    );
    let (status, reason) = wb.post(event("o-1", 1, s, Some(SALES), &full)).await;
    assert_eq!(status, 200, "{reason}");
    // A call we saw added, ended by an event that names only its callId.
    wb.post_all([
        event(
            "o-2",
            2,
            s,
            Some(SALES),
            &call("ACDCallAddedEvent", &entry("q", Some(T0), None, "")),
        ),
        event(
            "o-3",
            3,
            s,
            Some(SALES),
            &data(
                "ACDCallReleasedEvent",
                "<xsi:queueEntry><xsi:callId>q</xsi:callId></xsi:queueEntry>",
            ),
        ),
    ])
    .await;
    let board = wb
        .board_when("both", |b| queue(b, SALES)["other_departures"] == 1)
        .await;
    let q = queue(&board, SALES);
    assert!(waiting(&board, SALES).is_empty(), "{q:#}");
    assert_eq!(q["stats"]["overflowed_size"], 1);
    assert_eq!(q["not_queued"], 1, "it never queued");
    assert_eq!(board["events"]["rejected"], 0);
    wb.stop().await;
}

// ---- 6. Call Center Configuration ------------------------------------------------------------

/// `ACDConfigurationSubscriptionEvent` is the whole state (replace, never merge); a service is
/// on when its element (per-service events: its `active` child) is present, unless `active`
/// says false; `active` is `xs:boolean` before R20.sp1 and `EmptyContent` from it.
#[tokio::test]
async fn configuration_is_whole_state_and_reads_both_shapes_of_active() {
    let wb = listen_only().await;
    let s = "sub-config";
    let at = |n: u32, body: String| event(&format!("cfg-{n}"), n, s, Some(SALES), &body);
    let mode = |b: &Value| queue(b, SALES)["mode"].clone();
    wb.post_all([at(
        1,
        data(
            "ACDConfigurationSubscriptionEvent",
            "<xsi:holidayService><xsi:active>true</xsi:active></xsi:holidayService>\
             <xsi:nightService/><xsi:forceNightService/>",
        ),
    )])
    .await;
    let board = wb
        .board_when("configuration", |b| !mode(b)["night_service"].is_null())
        .await;
    assert_eq!(
        mode(&board),
        serde_json::json!({"night_service": true, "holiday_service": true,
            "forced_forwarding": false, "force_night_service": true})
    );
    assert_eq!(queue(&board, SALES)["stats"]["mode"], "holiday");
    // Before R20.sp1: a boolean; from it: an empty element.
    wb.post_all([
        at(
            2,
            data("ACDHolidayServiceEvent", "<xsi:active>false</xsi:active>"),
        ),
        at(3, data("ACDForcedForwardingEvent", "<xsi:active/>")),
    ])
    .await;
    let board = wb
        .board_when("the per-service events", |b| {
            mode(b)["forced_forwarding"] == true
        })
        .await;
    assert_eq!(mode(&board)["holiday_service"], false);
    assert_eq!(queue(&board, SALES)["stats"]["mode"], "forced-forwarding");
    // A missed deactivation is corrected by the next initial event: it replaces.
    wb.post_all([at(4, data("ACDConfigurationSubscriptionEvent", ""))])
        .await;
    let board = wb
        .board_when("normal again", |b| {
            queue(b, SALES)["stats"]["mode"] == "normal"
        })
        .await;
    assert_eq!(
        mode(&board),
        serde_json::json!({"night_service": false, "holiday_service": false,
            "forced_forwarding": false, "force_night_service": false})
    );
    wb.stop().await;
}

// ---- 7. agents -------------------------------------------------------------------------------

/// `AgentSubscriptionEvent` lists every call center the agent belongs to (`joined` "only
/// present when the agent has joined"); `ACDAgentJoinUpdateEvent` carries one `joinInfo`: that
/// call center joined or left; without `ccAgentJoinUpdateData` the service was unassigned.
#[tokio::test]
async fn agent_joins_follow_the_initial_list_and_one_update_at_a_time() {
    let wb = listen_only().await;
    let s = "sub-agent";
    let kim = "kim@example.com";
    let at = |n: u32, body: String| event(&format!("ag-{n}"), n, s, Some(kim), &body);
    let join = |cc: &str, joined: bool| {
        format!(
            "<xsi:joinInfo><xsi:acdUserId>{cc}</xsi:acdUserId>{}</xsi:joinInfo>",
            if joined { "<xsi:joined/>" } else { "" }
        )
    };
    let joined = |b: &Value| -> Vec<String> {
        b["agents"][0]["call_centers"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|c| c.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    };
    wb.post_all([at(
        1,
        data(
            "AgentSubscriptionEvent",
            &format!(
                "<xsi:joinData><xsi:joinInfos>{}{}</xsi:joinInfos></xsi:joinData>\
                 <xsi:stateInfo><xsi:state>Available</xsi:state></xsi:stateInfo>",
                join(SALES, true),
                join(SUPPORT, false)
            ),
        ),
    )])
    .await;
    let board = wb.board_when("the agent", |b| !joined(b).is_empty()).await;
    assert_eq!(joined(&board), [SALES], "support: belongs, not joined");
    wb.post_all([at(
        2,
        data(
            "ACDAgentJoinUpdateEvent",
            &format!(
                "<xsi:ccAgentJoinUpdateData>{}</xsi:ccAgentJoinUpdateData>",
                join(SUPPORT, true)
            ),
        ),
    )])
    .await;
    let board = wb
        .board_when("support joined", |b| joined(b).len() == 2)
        .await;
    assert_eq!(joined(&board), [SALES, SUPPORT], "one update adds one");
    wb.post_all([at(
        3,
        data(
            "ACDAgentJoinUpdateEvent",
            &format!(
                "<xsi:ccAgentJoinUpdateData>{}</xsi:ccAgentJoinUpdateData>",
                join(SALES, false)
            ),
        ),
    )])
    .await;
    let board = wb
        .board_when("sales left", |b| joined(b) == [SUPPORT])
        .await;
    assert_eq!(board["agents"][0]["state"], "Available");
    wb.post_all([at(4, data("ACDAgentJoinUpdateEvent", ""))])
        .await;
    wb.board_when("unassigned", |b| joined(b).is_empty()).await;
    wb.stop().await;
}

// ---- 12. preservedWaitTime -------------------------------------------------------------------

/// `preservedWaitTime`: "the total time spent waiting in the previous ACD queue(s)" (read as
/// seconds). The caller's whole wait includes it; a value beyond `max_wait_secs` is ignored as
/// implausible; service level and ASA use this queue's own wait.
#[tokio::test]
async fn a_transferred_call_shows_its_whole_wait_but_counts_its_own() {
    let wb = listen_only().await;
    let s = "sub-preserved";
    let now = xsi_wallboard::board::now_ms();
    let at = |n: u32, body: String| event(&format!("pw-{n}"), n, s, Some(SALES), &body);
    let preserved = |secs: u64| format!("<xsi:preservedWaitTime>{secs}</xsi:preservedWaitTime>");
    wb.post_all([
        at(
            1,
            call(
                "ACDCallAddedEvent",
                &entry("t", Some(now - 10_000), None, &preserved(120)),
            ),
        ),
        at(
            2,
            call(
                "ACDCallAddedEvent",
                &entry("odd", Some(now - 10_000), None, &preserved(30 * 24 * 3600)),
            ),
        ),
    ])
    .await;
    let board = wb
        .board_when("both", |b| waiting(b, SALES).len() == 2)
        .await;
    let calls = queue(&board, SALES)["calls"]
        .as_array()
        .expect("calls")
        .clone();
    let t = calls.iter().find(|c| c["call_id"] == "t").expect("t");
    assert_eq!(t["preserved_wait_secs"], 120);
    let whole = t["wait_secs"].as_u64().expect("wait");
    assert!(
        (130..=140).contains(&whole),
        "120 s before + about 10 s here: {whole}"
    );
    // Past the warning threshold on the caller's whole wait (levels are evaluated each second).
    wb.board_when("the warning", |b| {
        queue(b, SALES)["stats"]["alert"] == "warning"
    })
    .await;
    let odd = calls.iter().find(|c| c["call_id"] == "odd").expect("odd");
    assert_eq!(
        odd["preserved_wait_secs"],
        Value::Null,
        "a month is not a wait"
    );
    assert!(odd["wait_secs"].as_u64() < Some(60));
    // Answered 15 s after it entered this queue: within the 20-s service level.
    wb.post_all([at(
        3,
        call(
            "ACDCallAnsweredByAgentEvent",
            &entry("t", Some(now - 10_000), Some(now + 5_000), &preserved(120)),
        ),
    )])
    .await;
    let board = wb
        .board_when("answered", |b| queue(b, SALES)["answered"] == 1)
        .await;
    let stats = &queue(&board, SALES)["stats"];
    assert_eq!(stats["service_level_percent"], 100.0);
    assert_eq!(stats["answered_longest_wait_secs"], 15);
    wb.stop().await;
}

// ---- with an XSP: the mock, as the specification says it behaves -----------------------------

mod xsp {
    use std::time::{Duration, Instant};

    use axum::http::Method;
    use reqwest::Url;
    use xsi_wallboard::board::{Board, BoardSnapshot, QueueRow, now_ms};
    use xsi_wallboard::config::{Mode, Secret, Targets, Timing, XspSettings};
    use xsi_wallboard::run::{self, Running, StartOptions};
    use xsi_wallboard::xsi::request::Delivery;
    use xsi_wallboard::xsi::{CallEventKind, Package};

    use super::mock_xsp::{Call, MONITORING, MockXsp, PASSWORD, QUEUE, Recorded, Reply, USER};
    use super::{BOUND, SALES, SUPPORT};

    const CONTACT: &str = "http://wallboard.test/xsi-events";
    const GROUP: &str = "enterprise/ent1/group/grp1";

    pub(super) fn settings(url: &str, targets: Targets, events: &[Package]) -> XspSettings {
        XspSettings {
            xsp_url: Url::parse(url).expect("xsp url"),
            user: USER.into(),
            password: Secret::new(PASSWORD),
            delivery: Delivery::HttpContact(CONTACT.into()),
            targets,
            events: events.to_vec(),
            expires: 3600,
            application_id: "xsi-wallboard/test/conformance".into(),
            ca_file: None,
            mode: Mode::Contact,
            heartbeat_secs: 15,
            agents: Vec::new(),
            timing: Timing {
                backoff_base: Duration::from_millis(50),
                backoff_max: Duration::from_millis(500),
                min_refresh: Duration::from_millis(50),
                shutdown_budget: Duration::from_secs(2),
                request_timeout: Duration::from_secs(5),
                initial_event_wait: Duration::from_secs(10),
            },
        }
    }

    /// The whole wallboard on 127.0.0.1:0, its contact routed to the port it got.
    async fn start(mock: &MockXsp, xsp: XspSettings) -> Running {
        mock.pause_deliveries();
        let running = run::start(StartOptions {
            listen: "127.0.0.1:0".parse().expect("address"),
            xsp: Some(xsp),
            ..StartOptions::default()
        })
        .await
        .expect("start");
        if let Some(url) = running.event_url() {
            mock.route_contact(CONTACT, &url);
        }
        mock.resume_deliveries();
        running
    }

    async fn board_until(
        board: &Board,
        what: &str,
        done: impl Fn(&BoardSnapshot) -> bool,
    ) -> BoardSnapshot {
        let wait = async {
            loop {
                let snapshot = board.snapshot(now_ms());
                if done(&snapshot) {
                    return snapshot;
                }
                // Time passing matters here (a gap window, a refresh), not only changes.
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        };
        match tokio::time::timeout(BOUND, wait).await {
            Ok(snapshot) => snapshot,
            Err(tokio::time::error::Elapsed { .. }) => {
                panic!("board never showed {what}: {:#?}", board.snapshot(now_ms()))
            }
        }
    }

    fn row<'a>(snapshot: &'a BoardSnapshot, id: &str) -> &'a QueueRow {
        snapshot
            .queues
            .iter()
            .find(|q| &*q.id == id)
            .unwrap_or_else(|| panic!("no {id} on the board: {snapshot:#?}"))
    }

    fn added(id: &str) -> xsi_wallboard::xsi::EventData {
        Call::new(id)
            .added_at(now_ms() - 5_000)
            .event(CallEventKind::Added)
    }

    /// Requests made after the first `from` ones, as `METHOD path`.
    fn since(requests: &[Recorded], from: usize) -> Vec<String> {
        requests[from..]
            .iter()
            .map(|r| format!("{} {}", r.method, r.path))
            .collect()
    }

    // ---- 2. a gap repairs its own subscription, with the cheapest request --------------------

    /// A lost event on one call center's Queue subscription (a user target): that call center
    /// is UNSURE, and is repaired by one refresh of that subscription (an initial event follows
    /// every refresh, spec 4.7.3.18) and nothing else: no other subscription, no other request.
    #[tokio::test]
    async fn a_lost_event_is_repaired_by_one_refresh_of_its_subscription_only() {
        let mock = MockXsp::start(3600).await;
        let targets = Targets::CallCenters(vec![SALES.into(), SUPPORT.into()]);
        let xsp = settings(&mock.url, targets, &[Package::Queue, Package::Monitoring]);
        let running = start(&mock, xsp).await;
        let queue_sub = mock.wait_for_subscription(SALES, QUEUE).await;
        for cc in [SALES, SUPPORT] {
            for package in [QUEUE, MONITORING] {
                mock.wait_for_subscription(cc, package).await;
            }
        }
        board_until(&running.board, "both proved", |b| {
            b.queues.len() == 2 && b.queues.iter().all(|q| !q.truth.stale)
        })
        .await;
        let before = mock.requests().len();

        mock.lose(&queue_sub.id);
        let lost_at = Instant::now();
        mock.send(&queue_sub.id, added("after-the-loss"));
        // UNSURE lasts from the gap (after its window) to the refresh's initial event: on
        // loopback a few milliseconds, so it is read from the counters, not watched.
        let repaired = board_until(&running.board, "sales sure again", |b| {
            b.sequence.resyncs >= 1 && !row(b, SALES).truth.unsure
        })
        .await;
        let took = lost_at.elapsed();
        assert_eq!(repaired.sequence.gaps, 1);
        assert_eq!(repaired.sequence.repairs, 1);
        assert_eq!(repaired.sequence.resyncs, 1, "only sales was in doubt");
        assert!(!row(&repaired, SUPPORT).truth.unsure);
        // The refresh's initial event lists the call the live event added.
        assert_eq!(
            row(&repaired, SALES)
                .calls
                .iter()
                .map(|c| &*c.call_id)
                .collect::<Vec<_>>(),
            ["after-the-loss"]
        );
        let asked = since(&mock.requests(), before);
        assert_eq!(
            asked,
            [format!(
                "PUT /com.broadsoft.xsi-events/v2.0/subscription/{}",
                queue_sub.id
            )],
            "exactly one refresh of that subscription"
        );
        eprintln!("conformance: lost event repaired in {took:?} (one refresh)");
        running.shutdown().await.expect("clean shutdown");
    }

    /// A collection target gets no initial event, and its events are ordered only per call
    /// center (spec 4.2.4.4): a lost number cannot be pinned to one call center, so every call
    /// center the subscription feeds is fetched once, and nothing else is asked.
    #[tokio::test]
    async fn a_lost_event_on_a_collection_fetches_each_of_its_call_centers_once() {
        let mock = MockXsp::start(3600).await;
        mock.set_call_centers(&[SALES, SUPPORT]);
        let targets = Targets::Collection {
            target: GROUP.into(),
            call_centers: vec![SALES.into(), SUPPORT.into()],
        };
        let running = start(&mock, settings(&mock.url, targets, &[Package::Queue])).await;
        let sub = mock.wait_for_subscription(GROUP, QUEUE).await;
        mock.send_about(&sub.id, SALES, added("first"));
        board_until(&running.board, "the first call", |b| {
            b.queues.len() == 2 && !row(b, SALES).calls.is_empty()
        })
        .await;
        let before = mock.requests().len();

        mock.lose(&sub.id);
        mock.send_about(&sub.id, SUPPORT, added("second"));
        board_until(&running.board, "both UNSURE then sure", |b| {
            b.sequence.gaps == 1 && b.sequence.resyncs >= 2
        })
        .await;
        let mut asked = since(&mock.requests(), before);
        asked.sort();
        assert_eq!(
            asked,
            [
                format!("GET /com.broadsoft.xsi-actions/v2.0/callcenter/{SALES}/calls"),
                format!("GET /com.broadsoft.xsi-actions/v2.0/callcenter/{SUPPORT}/calls"),
            ]
        );
        running.shutdown().await.expect("clean shutdown");
    }

    // ---- 8. feed state per package -----------------------------------------------------------

    /// Only the Call Center Queue subscription proves the queue: a terminated Monitoring
    /// subscription leaves the queue trusted and shows it degraded; a terminated Queue
    /// subscription makes it STALE (until subscribed again).
    #[tokio::test]
    async fn a_lost_monitoring_subscription_degrades_a_queue_and_never_makes_it_stale() {
        let mock = MockXsp::start(3600).await;
        // Every new subscribe hangs from here on: what was lost stays lost while we look.
        let xsp = settings(
            &mock.url,
            Targets::CallCenters(vec![SALES.into()]),
            &[Package::Queue, Package::Monitoring],
        );
        let running = start(&mock, xsp).await;
        let monitoring = mock.wait_for_subscription(SALES, MONITORING).await;
        let queue = mock.wait_for_subscription(SALES, QUEUE).await;
        board_until(&running.board, "proved", |b| {
            b.queues.len() == 1 && !row(b, SALES).truth.stale
        })
        .await;
        mock.script(Method::POST, Reply::Hang);
        mock.terminate(&monitoring.id);
        let degraded = board_until(&running.board, "degraded", |b| {
            !row(b, SALES).truth.degraded.is_empty()
        })
        .await;
        let truth = &row(&degraded, SALES).truth;
        assert_eq!(truth.degraded, ["Call Center Monitoring"]);
        assert!(!truth.stale, "{truth:?}");

        mock.script(Method::POST, Reply::Hang);
        mock.terminate(&queue.id);
        let stale = board_until(&running.board, "stale", |b| row(b, SALES).truth.stale).await;
        let reason = row(&stale, SALES)
            .truth
            .stale_reason
            .clone()
            .unwrap_or_default();
        assert!(reason.contains("terminated"), "{reason}");
        running.shutdown().await.expect("clean shutdown");
    }

    // ---- 9. which call center ----------------------------------------------------------------

    /// An event without `targetId` belongs to the target of its `subscriptionId`, never to its
    /// `acdName` (a DNIS name of the call center).
    #[tokio::test]
    async fn an_event_without_target_id_belongs_to_its_subscriptions_call_center() {
        let mock = MockXsp::start(3600).await;
        let xsp = settings(
            &mock.url,
            Targets::CallCenters(vec![SALES.into()]),
            &[Package::Queue],
        );
        let running = start(&mock, xsp).await;
        let sub = mock.wait_for_subscription(SALES, QUEUE).await;
        board_until(&running.board, "proved", |b| {
            b.queues.len() == 1 && !row(b, SALES).truth.stale
        })
        .await;
        // The mock names the target; this one, as the schema allows, does not.
        let body = super::event(
            "no-target",
            sub.last_sequence + 1,
            &sub.id,
            None,
            &super::call(
                "ACDCallAddedEvent",
                &super::entry("dnis-call", Some(now_ms() - 1000), None, ""),
            ),
        );
        let url = running.event_url().expect("listening");
        let status = reqwest::Client::new()
            .post(url)
            .body(body)
            .send()
            .await
            .expect("post")
            .status();
        assert_eq!(status, 200);
        let shown = board_until(&running.board, "the call", |b| {
            b.queues.iter().any(|q| !q.calls.is_empty())
        })
        .await;
        assert_eq!(shown.queues.len(), 1, "no queue keyed on the acdName");
        assert_eq!(&*row(&shown, SALES).calls[0].call_id, "dnis-call");
        running.shutdown().await.expect("clean shutdown");
    }

    // ---- 11. never a calm empty board while blind ---------------------------------------------

    /// With the XSP unreachable, every configured call center is on the board from the start,
    /// by its id, STALE with the reason in words; a subscription refused with 401 says so too.
    #[tokio::test]
    async fn configured_call_centers_show_stale_with_a_reason_while_the_xsp_is_unreachable() {
        // A port nothing listens on (bound, then dropped).
        let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let dead = format!("http://{}", closed.local_addr().expect("addr"));
        drop(closed);
        let targets = Targets::CallCenters(vec![SALES.into(), SUPPORT.into()]);
        let running = run::start(StartOptions {
            listen: "127.0.0.1:0".parse().expect("address"),
            xsp: Some(settings(&dead, targets, &[Package::Queue])),
            ..StartOptions::default()
        })
        .await
        .expect("start");
        let blind = running.board.snapshot(now_ms());
        let ids: Vec<&str> = blind.queues.iter().map(|q| &*q.id).collect();
        assert_eq!(ids, [SALES, SUPPORT], "on the board from the start");
        assert!(blind.queues.iter().all(|q| q.truth.stale));
        let failing = board_until(&running.board, "the failure in words", |b| {
            b.queues.iter().all(|q| {
                q.truth
                    .stale_reason
                    .as_deref()
                    .is_some_and(|r| r.contains("queue subscription failed"))
            })
        })
        .await;
        assert!(failing.queues.iter().all(|q| q.calls.is_empty()));
        running.shutdown().await.expect("clean shutdown");

        let mock = MockXsp::start(3600).await;
        mock.script(Method::POST, Reply::Unauthorized);
        mock.script(Method::POST, Reply::Unauthorized);
        let targets = Targets::CallCenters(vec![SALES.into()]);
        let running = start(&mock, settings(&mock.url, targets, &[Package::Queue])).await;
        let refused = board_until(&running.board, "the 401 in words", |b| {
            row(b, SALES)
                .truth
                .stale_reason
                .as_deref()
                .is_some_and(|r| r.contains("401"))
        })
        .await;
        let reason = row(&refused, SALES)
            .truth
            .stale_reason
            .clone()
            .unwrap_or_default();
        assert!(reason.contains("press r"), "{reason}");
        running.shutdown().await.expect("clean shutdown");
    }
}
