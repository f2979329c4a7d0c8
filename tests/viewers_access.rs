//! Who may attach and who may act, over real sockets (issue 17 item 4): the viewer socket
//! (its directory and file modes, read and control scope, read-only, a live socket never taken
//! over and a stale one replaced, the file gone at shutdown), the control token (control and
//! read from anywhere; the read token and no token refused on control), and the wall page's
//! sign-in cookie.
//!
//! Every test starts the wallboard in-process (`run::start`) on 127.0.0.1:0 and a socket in
//! its own temporary directory; nothing is timed, every wait has a give-up bound.

#[path = "common/sse.rs"]
mod sse;

use std::os::unix::fs::{FileTypeExt, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::time::Duration;

use reqwest::StatusCode;
use reqwest::header::{COOKIE, HeaderMap, HeaderValue, LOCATION, SET_COOKIE};
use xsi_wallboard::guard::{ControlToken, Guard, GuardSettings, ReadAccess, ReadToken};
use xsi_wallboard::run::{self, Running, StartOptions};
use xsi_wallboard::viewer::{ViewerSocket, default_in};

/// A give-up bound, never a timing assertion.
const BOUND: Duration = Duration::from_secs(30);
const READ_TOKEN: &str = "r3adT0ken-abcdefghijklmnopqrstuv";
const CONTROL_TOKEN: &str = "c0ntr0lT0ken-abcdefghijklmnopqr";

/// A fresh directory of this test's own under the target directory.
fn scratch(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("viewers-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch directory");
    dir
}

async fn start(guard: GuardSettings, socket: Option<ViewerSocket>, web: bool) -> Running {
    tokio::time::timeout(
        BOUND,
        run::start(StartOptions {
            listen: "127.0.0.1:0".parse().expect("address"),
            guard,
            viewer_socket: socket,
            web,
            ..StartOptions::default()
        }),
    )
    .await
    .expect("started in time")
    .expect("started")
}

fn shared(path: &Path, group: Option<String>, read_only: bool) -> ViewerSocket {
    ViewerSocket {
        path: path.to_owned(),
        shared: true,
        group,
        read_only,
    }
}

/// A client whose every request goes to the viewer socket at `path` (the URL's host is
/// ignored).
fn over_socket(path: &Path) -> reqwest::Client {
    reqwest::Client::builder()
        .unix_socket(path)
        .timeout(BOUND)
        .build()
        .expect("client")
}

async fn send(request: reqwest::RequestBuilder) -> (StatusCode, String) {
    let response = request.send().await.expect("answered");
    let status = response.status();
    (status, response.text().await.expect("body"))
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path)
        .expect("metadata")
        .permissions()
        .mode()
        & 0o777
}

/// The viewer's two doors on the socket: the board (and its stream) and a resubscribe.
async fn reads_and_controls(client: &reqwest::Client) -> (StatusCode, StatusCode) {
    let (board, body) = send(client.get("http://viewer/api/board")).await;
    if board == StatusCode::OK {
        assert!(body.contains("\"queues\""), "{body}");
    }
    let (control, _) = send(
        client
            .post("http://viewer/api/resubscribe")
            .header("content-type", "application/json")
            .body("{}"),
    )
    .await;
    (board, control)
}

#[tokio::test]
async fn the_default_socket_is_the_users_own_and_gives_read_and_control() {
    let dir = scratch("default");
    let path = default_in(Some(dir.clone()), "test").expect("a default path");
    let running = start(
        GuardSettings::default(),
        Some(ViewerSocket {
            path: path.clone(),
            shared: false,
            group: None,
            read_only: false,
        }),
        false,
    )
    .await;
    let socket_dir = path.parent().expect("directory");
    assert_eq!(mode(socket_dir), 0o700, "the user's own directory");
    assert!(
        std::fs::metadata(&path)
            .expect("socket")
            .file_type()
            .is_socket()
    );
    assert_eq!(mode(&path), 0o600);

    let client = over_socket(&path);
    let (board, control) = reads_and_controls(&client).await;
    assert_eq!(board, StatusCode::OK, "a socket viewer reads");
    assert_eq!(control, StatusCode::ACCEPTED, "and controls");
    // The stream over the socket: the whole board first.
    let mut stream = sse::SseReader::open(&client, "http://viewer/api/board/stream", None).await;
    let first = stream.next_within(BOUND).await.expect("a first message");
    assert_eq!(first.event, "board");
    // Never the event path: the XSP posts over TCP only.
    let (status, _) = send(client.post("http://viewer/xsi-events").body("<x/>")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    drop(stream);

    tokio::time::timeout(BOUND, running.shutdown())
        .await
        .expect("stopped in time")
        .expect("stopped");
    assert!(!path.exists(), "the socket is removed at shutdown");
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn a_shared_socket_is_0660_with_the_viewer_group_and_may_be_read_only() {
    let dir = scratch("shared");
    let path = dir.join("viewers.sock");
    // The test's own primary group: a process may give its files only to its own groups.
    let gid = nix::unistd::getgid();
    let group = nix::unistd::Group::from_gid(gid)
        .ok()
        .flatten()
        .map_or_else(|| gid.as_raw().to_string(), |g| g.name);
    let running = start(
        GuardSettings::default(),
        Some(shared(&path, Some(group), false)),
        false,
    )
    .await;
    assert_eq!(mode(&path), 0o660);
    assert_eq!(
        std::fs::metadata(&path).expect("socket").gid(),
        gid.as_raw()
    );
    let (board, control) = reads_and_controls(&over_socket(&path)).await;
    assert_eq!((board, control), (StatusCode::OK, StatusCode::ACCEPTED));
    running.shutdown().await.expect("stopped");
    assert!(!path.exists());

    let running = start(
        GuardSettings::default(),
        Some(shared(&path, None, true)),
        false,
    )
    .await;
    let (board, control) = reads_and_controls(&over_socket(&path)).await;
    assert_eq!(board, StatusCode::OK, "a read-only viewer reads");
    assert_eq!(control, StatusCode::NOT_FOUND, "and is refused control");
    running.shutdown().await.expect("stopped");
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn a_live_socket_is_never_taken_over_and_a_stale_one_is_replaced() {
    let dir = scratch("live");
    let path = dir.join("viewers.sock");
    let first = start(
        GuardSettings::default(),
        Some(shared(&path, None, false)),
        false,
    )
    .await;
    let second = run::start(StartOptions {
        listen: "127.0.0.1:0".parse().expect("address"),
        viewer_socket: Some(shared(&path, None, false)),
        ..StartOptions::default()
    })
    .await;
    let error = format!("{:#}", second.expect_err("refused"));
    assert!(error.contains("another receiver"), "{error}");
    // The first still serves.
    let (board, _) = send(over_socket(&path).get("http://viewer/api/board")).await;
    assert_eq!(board, StatusCode::OK);
    first.shutdown().await.expect("stopped");

    // A receiver that died left its file: nobody answers on it.
    drop(std::os::unix::net::UnixListener::bind(&path).expect("a stale socket"));
    assert!(path.exists());
    let running = start(
        GuardSettings::default(),
        Some(shared(&path, None, false)),
        false,
    )
    .await;
    let (board, _) = send(over_socket(&path).get("http://viewer/api/board")).await;
    assert_eq!(board, StatusCode::OK, "the stale socket was replaced");
    running.shutdown().await.expect("stopped");

    // Whatever is not a socket is never removed.
    std::fs::write(&path, "not a socket").expect("a plain file");
    let refused = run::start(StartOptions {
        listen: "127.0.0.1:0".parse().expect("address"),
        viewer_socket: Some(shared(&path, None, false)),
        ..StartOptions::default()
    })
    .await;
    let error = format!("{:#}", refused.expect_err("refused"));
    assert!(error.contains("not a socket"), "{error}");
    assert_eq!(
        std::fs::read_to_string(&path).expect("kept"),
        "not a socket"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// Loopback closed (as on a shared host), a read token and a control token.
fn tokens() -> GuardSettings {
    GuardSettings {
        guard: Guard::default()
            .with_read(ReadAccess {
                loopback: false,
                token: ReadToken::new(READ_TOKEN).ok(),
                ..ReadAccess::default()
            })
            .with_control(ControlToken::new(CONTROL_TOKEN).ok()),
        ..GuardSettings::default()
    }
}

#[tokio::test]
async fn the_control_token_controls_and_reads_and_the_read_token_never_controls() {
    let running = start(tokens(), None, false).await;
    let base = format!("http://{}", running.addr.expect("bound"));
    let client = reqwest::Client::builder()
        .timeout(BOUND)
        .build()
        .expect("client");
    let resubscribe = |bearer: Option<&str>| {
        let mut request = client
            .post(format!("{base}/api/resubscribe"))
            .header("content-type", "application/json")
            .body("{}");
        if let Some(token) = bearer {
            request = request.bearer_auth(token);
        }
        request
    };
    let (status, body) = send(resubscribe(Some(CONTROL_TOKEN))).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    for (bearer, why) in [
        (Some(READ_TOKEN), "the read token"),
        (None, "no token"),
        (Some("c0ntr0lT0ken-abcdefghijklmnopqX"), "a wrong token"),
    ] {
        let (status, body) = send(resubscribe(bearer)).await;
        assert_eq!(
            (status, body.as_str()),
            (StatusCode::NOT_FOUND, "not found\n"),
            "{why}"
        );
    }
    let board = |bearer: Option<&str>| {
        let request = client.get(format!("{base}/api/board"));
        match bearer {
            Some(token) => request.bearer_auth(token),
            None => request,
        }
    };
    assert_eq!(send(board(Some(CONTROL_TOKEN))).await.0, StatusCode::OK);
    assert_eq!(send(board(Some(READ_TOKEN))).await.0, StatusCode::OK);
    assert_eq!(send(board(None)).await.0, StatusCode::NOT_FOUND);
    running.shutdown().await.expect("stopped");
}

#[tokio::test]
async fn this_host_controls_without_a_token_unless_loopback_is_closed() {
    let running = start(GuardSettings::default(), None, false).await;
    let url = format!("http://{}/api/resubscribe", running.addr.expect("bound"));
    let (status, _) = send(reqwest::Client::new().post(&url).body("{}")).await;
    assert_eq!(status, StatusCode::ACCEPTED);
    running.shutdown().await.expect("stopped");
}

#[tokio::test]
async fn the_wall_token_becomes_a_strict_cookie_the_stream_accepts() {
    let running = start(tokens(), None, true).await;
    let base = format!("http://{}", running.addr.expect("bound"));
    let plain = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(BOUND)
        .build()
        .expect("client");
    let response = plain
        .get(format!("{base}/wall?cc=ACD_1,ACD_2&token={READ_TOKEN}"))
        .send()
        .await
        .expect("answered");
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let location = response.headers()[LOCATION].to_str().expect("text");
    assert_eq!(location, "/wall?cc=ACD_1,ACD_2", "the token leaves the URL");
    let set_cookie = response.headers()[SET_COOKIE]
        .to_str()
        .expect("text")
        .to_owned();
    for attribute in ["HttpOnly", "SameSite=Strict", "Path=/"] {
        assert!(set_cookie.contains(attribute), "{set_cookie}");
    }
    let cookie = set_cookie.split(';').next().expect("name=value").to_owned();

    // The browser comes back with the cookie: the page and its stream answer.
    let mut headers = HeaderMap::new();
    headers.insert(COOKIE, HeaderValue::from_str(&cookie).expect("header"));
    let browser = reqwest::Client::builder()
        .default_headers(headers)
        .timeout(BOUND)
        .build()
        .expect("client");
    let (status, page) = send(browser.get(format!("{base}{location}"))).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("<html"), "the page");
    let mut stream =
        sse::SseReader::open(&browser, &format!("{base}/api/board/stream"), None).await;
    assert_eq!(
        stream.next_within(BOUND).await.expect("a message").event,
        "board"
    );
    drop(stream);
    // The cookie reads, never controls.
    let (status, _) = send(browser.post(format!("{base}/api/resubscribe")).body("{}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // A wrong token sets nothing; without the cookie the stream is refused.
    let response = plain
        .get(format!("{base}/wall?token=wrong-token-abcdefghijklmnop"))
        .send()
        .await
        .expect("answered");
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert!(response.headers().get(SET_COOKIE).is_none());
    let (status, _) = send(plain.get(format!("{base}/api/board/stream"))).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    running.shutdown().await.expect("stopped");
}
