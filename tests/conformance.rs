//! Conformance: a board that tells the truth on a real XSP. One test per behaviour the XSI
//! schema's documentation (`xsd/`) or the interface specification describes, each through the
//! real HTTP listener on 127.0.0.1 (or the mock XSP, or the event channel), with events written
//! here by hand from the schema's words, not by the wallboard's own writer.
//!
//! Waits are bounded polls of `/api/board`, never fixed sleeps.

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
    assert_eq!(calls, ["b", "c", "d"], "a is gone: the resync is the whole truth");
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
    // Past the warning threshold on the caller's whole wait.
    assert_eq!(queue(&board, SALES)["stats"]["alert"], "warning");
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
