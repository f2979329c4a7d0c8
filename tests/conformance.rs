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
            Err(_) => panic!("board never showed {what}: {:#}", self.board().await),
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
