//! Who may read callers' data and who may connect at all, over real sockets on 127.0.0.1:0:
//! privacy masking in `/api/board` (and `--mask-callers` there), the read rule (loopback,
//! `read_from`, the bearer read token), peers refused right after accept (no slot taken), and
//! one answer for every refusal.
//!
//! A test cannot get a peer outside loopback, but Linux routes all of 127.0.0.0/8 to loopback:
//! a client bound to 127.0.0.2 is another address for `allow_from` and `read_from`. The read
//! rule itself is a pure function, unit-tested with addresses beyond loopback
//! (`guard::read`).

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::Value;
use tokio::io::AsyncReadExt;
use tokio::net::{TcpSocket, TcpStream};
use xsi_wallboard::guard::{
    AllowList, ConnectionLimits, Guard, GuardSettings, ListenToken, ReadAccess, ReadToken,
};
use xsi_wallboard::run::{self, Running, StartOptions};

/// A give-up bound, never a timing assertion: the CI machine is slow.
const BOUND: Duration = Duration::from_secs(30);
const TOKEN: &str = "Zq3v9l0cT2w8Yx1bN4m7K5j6H0g2F3d4";
const READ_TOKEN: &str = "r3adT0ken-abcdefghijklmnopqrstuv";
const CALL_CENTER: &str = "ACD_CTI1@broadsoft.com";
/// Another loopback address: a peer that is not 127.0.0.1.
const OTHER: &str = "127.0.0.2";

fn added() -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/spec/spec-r21_4.7.3.1_ACDCallAddedEvent.xml");
    std::fs::read_to_string(path).expect("fixture")
}

/// The sample's caller, who asked for privacy.
fn private_caller() -> String {
    added().replace("<xsi:callType>", "<xsi:privacy/><xsi:callType>")
}

/// A second caller, who did not.
fn open_caller() -> String {
    added()
        .replace("689984d9-3959", "00000000-0000")
        .replace("<xsi:sequenceNumber>10<", "<xsi:sequenceNumber>11<")
        .replace("callhalf-53149:0", "callhalf-60000:0")
        .replace("NetworkN1FirstName NetworkN1LastName", "Zoë Müller")
        .replace("tel:+15007003333", "tel:+41445551234")
}

async fn start(guard: GuardSettings, mask_callers: bool) -> Running {
    run::start(StartOptions {
        listen: "127.0.0.1:0".parse().expect("address"),
        guard,
        mask_callers,
        ..StartOptions::default()
    })
    .await
    .expect("start")
}

/// A client whose connections come from `from`.
fn client_from(from: &str) -> reqwest::Client {
    reqwest::Client::builder()
        .local_address(from.parse::<IpAddr>().expect("address"))
        .build()
        .expect("client")
}

async fn get(client: &reqwest::Client, url: &str, bearer: Option<&str>) -> (StatusCode, String) {
    let mut request = client.get(url);
    if let Some(token) = bearer {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.expect("answered");
    (response.status(), response.text().await.expect("body"))
}

async fn post_both_callers(running: &Running) {
    let client = reqwest::Client::new();
    let url = running.event_url().expect("listening");
    for body in [private_caller(), open_caller()] {
        let answer = client.post(&url).body(body).send().await.expect("answered");
        assert_eq!(answer.status(), StatusCode::OK);
    }
    let mut changes = running.board.changes();
    tokio::time::timeout(BOUND, async {
        while running.board.snapshot(0).total_waiting() < 2 {
            let _ = changes.changed().await;
        }
    })
    .await
    .expect("both callers reached the board");
}

/// The callers of `/api/board` as (name, number, privacy).
async fn callers(running: &Running) -> Vec<(String, String, bool)> {
    let url = format!("http://{}/api/board", running.addr.expect("listening"));
    let (status, body) = get(&reqwest::Client::new(), &url, None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let board: Value = serde_json::from_str(&body).expect("JSON");
    let queue = board["queues"]
        .as_array()
        .and_then(|queues| queues.iter().find(|q| q["id"] == CALL_CENTER))
        .expect("the call center");
    let text = |value: &Value| value.as_str().unwrap_or_default().to_owned();
    queue["calls"]
        .as_array()
        .expect("calls")
        .iter()
        .map(|call| {
            (
                text(&call["caller_name"]),
                text(&call["caller_number"]),
                call["privacy"].as_bool().unwrap_or_default(),
            )
        })
        .collect()
}

#[tokio::test]
async fn a_privacy_caller_is_masked_in_the_json_and_mask_callers_masks_everyone_there() {
    let running = start(GuardSettings::default(), false).await;
    post_both_callers(&running).await;
    let shown = callers(&running).await;
    assert!(
        shown.contains(&("N. N.".to_owned(), "•••••••3333".to_owned(), true)),
        "the caller who asked for privacy is masked: {shown:?}"
    );
    assert!(
        shown.contains(&("Zoë Müller".to_owned(), "+41445551234".to_owned(), false)),
        "the other is shown as is: {shown:?}"
    );
    let body = format!("{shown:?}");
    assert!(
        !body.contains("NetworkN1") && !body.contains("5007003333"),
        "{body}"
    );
    running.shutdown().await.expect("clean shutdown");

    let masked = start(GuardSettings::default(), true).await;
    post_both_callers(&masked).await;
    let shown = callers(&masked).await;
    assert!(
        shown.contains(&("Z. M.".to_owned(), "•••••••1234".to_owned(), false)),
        "--mask-callers masks every caller in the JSON: {shown:?}"
    );
    assert!(shown.contains(&("N. N.".to_owned(), "•••••••3333".to_owned(), true)));
    masked.shutdown().await.expect("clean shutdown");
}

fn readers(read: ReadAccess) -> GuardSettings {
    GuardSettings {
        guard: Guard::default().with_read(read),
        ..GuardSettings::default()
    }
}

#[tokio::test]
async fn reads_need_loopback_read_from_or_the_bearer_token() {
    // A shared host: this host's users may not read; 127.0.0.2 stands for a read_from address.
    let running = start(
        readers(ReadAccess {
            loopback: false,
            from: AllowList::parse(&[format!("{OTHER}/32")]).expect("list"),
            token: Some(ReadToken::new(READ_TOKEN).expect("token")),
        }),
        false,
    )
    .await;
    let addr = running.addr.expect("listening");
    let board = format!("http://{addr}/api/board");
    let local = client_from("127.0.0.1");

    assert_eq!(
        get(&local, &board, None).await,
        (StatusCode::NOT_FOUND, "not found\n".to_owned()),
        "loopback closed: the same answer as any refusal"
    );
    for wrong in [&READ_TOKEN[1..], TOKEN, ""] {
        assert_eq!(
            get(&local, &board, Some(wrong)).await.0,
            StatusCode::NOT_FOUND
        );
    }
    let (status, body) = get(&local, &board, Some(READ_TOKEN)).await;
    assert_eq!(status, StatusCode::OK, "the bearer read token: {body}");
    assert!(body.starts_with("{\"queues\""), "{body}");
    let (status, _) = get(&client_from(OTHER), &board, None).await;
    assert_eq!(status, StatusCode::OK, "an address in read_from");
    // /healthz says nothing about callers: open to every peer let in.
    let (status, body) = get(&local, &format!("http://{addr}/healthz"), None).await;
    assert_eq!((status, body.as_str()), (StatusCode::OK, "ok"));
    assert!(
        running.board.event_counters().refused >= 4,
        "read refusals are counted"
    );
    running.shutdown().await.expect("clean shutdown");

    // The default: this host reads, nobody else does (127.0.0.2 is loopback too, so the
    // refusal of a stranger is the unit tests' in `guard::read`).
    let default = start(GuardSettings::default(), false).await;
    let board = format!("http://{}/api/board", default.addr.expect("listening"));
    assert_eq!(get(&local, &board, None).await.0, StatusCode::OK);
    default.shutdown().await.expect("clean shutdown");
}

/// A socket to `addr` from `from`, connected and left idle.
async fn idle_from(from: &str, addr: SocketAddr) -> TcpStream {
    let socket = TcpSocket::new_v4().expect("socket");
    socket
        .bind(SocketAddr::new(from.parse().expect("address"), 0))
        .expect("bind");
    socket.connect(addr).await.expect("connect")
}

#[tokio::test]
async fn a_peer_that_may_neither_send_nor_read_takes_no_connection_slot() {
    // Two slots; a header timeout far past the bound below, so that an idle socket holding a
    // slot would hold it for the whole test.
    let guard = GuardSettings {
        guard: Guard::new(None, AllowList::parse(&["127.0.0.1/32"]).expect("list")).with_read(
            ReadAccess {
                loopback: false,
                ..ReadAccess::default()
            },
        ),
        limits: ConnectionLimits {
            header_timeout: Duration::from_mins(2),
            max_connections: 2,
            ..ConnectionLimits::default()
        },
        ..GuardSettings::default()
    };
    let running = start(guard, false).await;
    let addr = running.addr.expect("listening");
    let mut strangers = Vec::new();
    for _ in 0..4 {
        strangers.push(idle_from(OTHER, addr).await);
    }
    // Each is closed at once, before a byte is read.
    for stranger in &mut strangers {
        let mut byte = [0u8; 1];
        let read = tokio::time::timeout(BOUND, stranger.read(&mut byte))
            .await
            .expect("closed by the listener within the bound");
        assert!(matches!(read, Ok(0) | Err(_)), "{read:?}");
    }
    // The XSP's POST is served with the strangers still connected (a generous bound: had they
    // held the two slots, it would wait for the two-minute header timeout).
    let answer = tokio::time::timeout(
        Duration::from_secs(10),
        client_from("127.0.0.1")
            .post(running.event_url().expect("listening"))
            .body(added())
            .send(),
    )
    .await
    .expect("the allowed POST is not held behind the strangers")
    .expect("answered");
    assert_eq!(answer.status(), StatusCode::OK);
    assert_eq!(running.board.event_counters().refused, 4);
    drop(strangers);
    running.shutdown().await.expect("clean shutdown");
}

#[tokio::test]
async fn every_refusal_is_the_same_answer() {
    // 127.0.0.2 is the XSP (it may send, not read); 127.0.0.1 a reader that may not send.
    let guard = GuardSettings {
        guard: Guard::new(
            Some(ListenToken::new(TOKEN).expect("token")),
            AllowList::parse(&[format!("{OTHER}/32")]).expect("list"),
        )
        .with_read(ReadAccess {
            loopback: false,
            from: AllowList::parse(&["127.0.0.1/32"]).expect("list"),
            token: None,
        }),
        ..GuardSettings::default()
    };
    let running = start(guard, false).await;
    let addr = running.addr.expect("listening");
    let base = running.event_url().expect("listening");
    let xsp = client_from(OTHER);
    let local = client_from("127.0.0.1");
    let body = added();
    let requests = [
        (
            "wrong token",
            xsp.post(format!("{base}/{}", &TOKEN[1..]))
                .body(body.clone()),
        ),
        ("missing token", xsp.post(&base).body(body.clone())),
        (
            "unknown path",
            xsp.post(format!("http://{addr}/elsewhere"))
                .body(body.clone()),
        ),
        (
            "unknown path, GET",
            local.get(format!("http://{addr}/xsi")).body(body.clone()),
        ),
        (
            "wrong method on the event path",
            xsp.get(format!("{base}/{TOKEN}")),
        ),
        (
            "wrong method on a read path",
            local.post(format!("http://{addr}/api/board")),
        ),
        (
            "peer not in allow_from",
            local.post(format!("{base}/{TOKEN}")).body(body.clone()),
        ),
        ("not a reader", xsp.get(format!("http://{addr}/api/board"))),
    ];
    let mut answers = Vec::new();
    for (what, request) in requests {
        let response = request.send().await.expect("answered");
        let content_type = response
            .headers()
            .get("content-type")
            .map(|v| v.to_str().unwrap_or_default().to_owned());
        let answer = (
            response.status(),
            content_type,
            response.text().await.expect("body"),
        );
        answers.push((what, answer));
    }
    let first = answers[0].1.clone();
    assert_eq!(first.0, StatusCode::NOT_FOUND);
    assert_eq!(first.2, "not found\n");
    for (what, answer) in &answers {
        assert_eq!(answer, &first, "{what}");
    }
    // The XSP's own POST still goes through.
    let taken = xsp
        .post(format!("{base}/{TOKEN}"))
        .body(body)
        .send()
        .await
        .expect("answered");
    assert_eq!(taken.status(), StatusCode::OK);
    running.shutdown().await.expect("clean shutdown");
}
