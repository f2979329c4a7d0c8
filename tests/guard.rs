//! The listener only the XSP can feed: the listen token, `allow_from`, TLS, read timeouts and
//! the connection cap, over real sockets on 127.0.0.1:0.

#[path = "common/mock_xsp.rs"]
mod mock_xsp;

use std::path::PathBuf;
use std::time::Duration;

use axum::http::Method;
use reqwest::StatusCode;
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use xsi_wallboard::config::{Mode, Secret, Targets, Timing, XspSettings};
use xsi_wallboard::guard::{
    AllowList, CertReloader, ConnectionLimits, Guard, GuardSettings, ListenToken, TlsFiles,
};
use xsi_wallboard::run::{self, Running, StartOptions};
use xsi_wallboard::xsi::request::Delivery;

/// A give-up bound, never a timing assertion: the CI machine is slow.
const BOUND: Duration = Duration::from_secs(30);
const TOKEN: &str = "Zq3v9l0cT2w8Yx1bN4m7K5j6H0g2F3d4";
const ADDED: &str = "spec-r21_4.7.3.1_ACDCallAddedEvent.xml";

fn sample(name: &str) -> Vec<u8> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    std::fs::read(root.join("tests/fixtures/spec").join(name)).expect("fixture")
}

async fn start(guard: GuardSettings) -> Running {
    run::start(StartOptions {
        listen: "127.0.0.1:0".parse().expect("address"),
        guard,
        ..StartOptions::default()
    })
    .await
    .expect("start")
}

fn with_token() -> GuardSettings {
    GuardSettings {
        guard: Guard::new(
            Some(ListenToken::new(TOKEN).expect("token")),
            AllowList::default(),
        ),
        ..GuardSettings::default()
    }
}

async fn board(client: &reqwest::Client, running: &Running) -> Value {
    let url = format!("http://{}/api/board", running.addr.expect("listening"));
    let body = client
        .get(url)
        .send()
        .await
        .expect("GET")
        .bytes()
        .await
        .expect("body");
    serde_json::from_slice(&body).expect("JSON")
}

async fn post(client: &reqwest::Client, url: &str) -> StatusCode {
    client
        .post(url)
        .body(sample(ADDED))
        .send()
        .await
        .expect("answered")
        .status()
}

#[tokio::test]
async fn a_forged_post_without_the_token_is_refused_and_the_xsps_is_taken() {
    let running = start(with_token()).await;
    let client = reqwest::Client::new();
    let base = running.event_url().expect("listening");

    for forged in [
        base.clone(),
        format!("{base}/not-the-token-0123456789abcdef"),
        format!("{base}/{}", &TOKEN[..TOKEN.len() - 1]),
        format!("{base}/{TOKEN}x"),
    ] {
        assert_eq!(
            post(&client, &forged).await,
            StatusCode::NOT_FOUND,
            "{forged}"
        );
    }
    let before = board(&client, &running).await;
    assert_eq!(
        before["queues"],
        serde_json::json!([]),
        "nothing forged got in"
    );
    assert_eq!(before["events"]["refused"], 4);
    assert_eq!(
        before["events"]["received"], 0,
        "refused before the body is read"
    );

    assert_eq!(
        post(&client, &format!("{base}/{TOKEN}")).await,
        StatusCode::OK
    );
    let mut changes = running.board.changes();
    tokio::time::timeout(BOUND, async {
        while running.board.snapshot(0).total_waiting() == 0 {
            let _ = changes.changed().await;
        }
    })
    .await
    .expect("the XSP's event reached the board");
    running.shutdown().await.expect("clean shutdown");
}

#[tokio::test]
async fn an_address_outside_allow_from_is_refused_but_this_host_may_read() {
    let guard = GuardSettings {
        guard: Guard::new(
            None,
            AllowList::parse(&["192.0.2.0/24"]).expect("valid list"),
        ),
        ..GuardSettings::default()
    };
    let running = start(guard).await;
    let client = reqwest::Client::new();
    let url = running.event_url().expect("listening");
    // The same answer as a wrong token or an unknown path: nothing to tell them apart by.
    assert_eq!(post(&client, &url).await, StatusCode::NOT_FOUND);
    // The supervisor's own host still reads the board and the health check.
    let snapshot = board(&client, &running).await;
    assert_eq!(snapshot["queues"], serde_json::json!([]));
    assert_eq!(snapshot["events"]["refused"], 1);
    let health = client
        .get(format!(
            "http://{}/healthz",
            running.addr.expect("listening")
        ))
        .send()
        .await
        .expect("GET");
    assert_eq!(health.status(), StatusCode::OK);

    let open = GuardSettings {
        guard: Guard::new(
            None,
            AllowList::parse(&["127.0.0.0/8"]).expect("valid list"),
        ),
        ..GuardSettings::default()
    };
    let allowed = start(open).await;
    let url = allowed.event_url().expect("listening");
    assert_eq!(post(&client, &url).await, StatusCode::OK);
    allowed.shutdown().await.expect("clean shutdown");
    running.shutdown().await.expect("clean shutdown");
}

#[tokio::test]
async fn a_dtd_is_refused_before_any_entity_is_expanded() {
    let running = start(GuardSettings::default()).await;
    let client = reqwest::Client::new();
    let url = running.event_url().expect("listening");
    let laughs = r#"<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<xsi:Event xmlns:xsi="http://schema.broadsoft.com/xsi"><xsi:eventID>&lol3;</xsi:eventID></xsi:Event>"#;
    let external =
        r#"<?xml version="1.0"?><!DOCTYPE e [<!ENTITY x SYSTEM "file:///etc/passwd">]><e>&x;</e>"#;
    for body in [laughs, external] {
        let response = client.post(&url).body(body).send().await.expect("answered");
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);
        let reason = response.text().await.expect("reason");
        assert!(reason.contains("DOCTYPE"), "{reason}");
    }
    assert_eq!(
        board(&client, &running).await["queues"],
        serde_json::json!([])
    );
    running.shutdown().await.expect("clean shutdown");
}

/// The subscriber tells the XSP the contact URL with the token; the listener serves the path
/// without it.
#[tokio::test]
async fn the_subscription_names_the_contact_url_with_the_token() {
    let mock = mock_xsp::MockXsp::start(3600).await;
    let token = ListenToken::new(TOKEN).expect("token");
    let xsp = XspSettings {
        xsp_url: reqwest::Url::parse(&mock.url).expect("url"),
        user: mock_xsp::USER.into(),
        password: Secret::new(mock_xsp::PASSWORD),
        delivery: Delivery::HttpContact("https://wb.example.com/bw/events/".into()),
        targets: Targets::CallCenters(vec!["sales@example.com".into()]),
        events: vec![xsi_wallboard::xsi::Package::Queue],
        expires: 3600,
        application_id: "xsi-wallboard/test/guard".into(),
        ca_file: None,
        mode: Mode::Contact,
        heartbeat_secs: 15,
        agents: Vec::new(),
        timing: Timing::default(),
    };
    assert_eq!(xsp.contact_path().as_deref(), Some("/bw/events/"));
    let xsp = xsp.with_listen_token(Some(&token));
    let running = run::start(StartOptions {
        listen: "127.0.0.1:0".parse().expect("address"),
        path: "/bw/events".into(),
        xsp: Some(xsp),
        guard: with_token(),
        ..StartOptions::default()
    })
    .await
    .expect("start");
    let posts = mock.wait_for_count(Method::POST, 1).await;
    assert!(
        posts[0]
            .body
            .contains(&format!("https://wb.example.com/bw/events/{TOKEN}<")),
        "{}",
        posts[0].body
    );
    running.shutdown().await.expect("clean shutdown");
}

/// A client that sends half a request and stalls is cut off; so is one that never finishes
/// its body.
#[tokio::test]
async fn slow_clients_are_cut_off() {
    let guard = GuardSettings {
        limits: ConnectionLimits {
            header_timeout: Duration::from_millis(300),
            body_timeout: Duration::from_millis(300),
            max_connections: 16,
        },
        ..GuardSettings::default()
    };
    let running = start(guard).await;
    let addr = running.addr.expect("listening");

    let mut stalled = TcpStream::connect(addr).await.expect("connect");
    stalled
        .write_all(b"POST /xsi-events HTTP/1.1\r\nHost: wallboard\r\n")
        .await
        .expect("write");
    let mut rest = Vec::new();
    tokio::time::timeout(BOUND, stalled.read_to_end(&mut rest))
        .await
        .expect("the server closed the stalled connection within the bound")
        .ok();

    let mut trickle = TcpStream::connect(addr).await.expect("connect");
    trickle
        .write_all(b"POST /xsi-events HTTP/1.1\r\nHost: wallboard\r\nContent-Length: 500\r\n\r\n<xsi:Event")
        .await
        .expect("write");
    let mut answer = Vec::new();
    tokio::time::timeout(BOUND, trickle.read_to_end(&mut answer))
        .await
        .expect("answered within the bound")
        .ok();
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert_eq!(running.board.snapshot(0).events.rejected, 1);
    running.shutdown().await.expect("clean shutdown");
}

/// Beyond `max_connections` a connection waits in the backlog until one is free.
#[tokio::test]
async fn connections_beyond_the_cap_wait_their_turn() {
    let guard = GuardSettings {
        limits: ConnectionLimits {
            max_connections: 1,
            ..ConnectionLimits::default()
        },
        ..GuardSettings::default()
    };
    let running = start(guard).await;
    let addr = running.addr.expect("listening");
    let health = b"GET /healthz HTTP/1.1\r\nHost: wallboard\r\n\r\n";
    // The holder is served once and keeps its connection (and so the only slot) open.
    let mut holder = TcpStream::connect(addr).await.expect("connect");
    holder.write_all(health).await.expect("write");
    assert!(
        answer_to(&mut holder).await.starts_with("HTTP/1.1 200"),
        "the holder holds the slot"
    );
    // The waiter's connection is complete (the kernel's backlog takes it) and its request sent.
    let mut waiter = TcpStream::connect(addr).await.expect("connect");
    waiter
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: wallboard\r\nConnection: close\r\n\r\n")
        .await
        .expect("write");
    // The server goes on serving the holder. Had it taken the waiter in, the waiter's answer
    // would be out before this one: the waiter was there first.
    holder.write_all(health).await.expect("write");
    assert!(
        answer_to(&mut holder).await.starts_with("HTTP/1.1 200"),
        "the holder is served again"
    );
    let mut early = [0u8; 64];
    match waiter.try_read(&mut early) {
        Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
        other => panic!(
            "served while the only slot was taken: {other:?} {:?}",
            String::from_utf8_lossy(&early)
        ),
    }
    drop(holder);
    let mut answer = Vec::new();
    tokio::time::timeout(BOUND, waiter.read_to_end(&mut answer))
        .await
        .expect("served once the slot was free")
        .expect("read");
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    running.shutdown().await.expect("clean shutdown");
}

/// The answer to one small request on a kept-alive connection (bounded).
async fn answer_to(stream: &mut TcpStream) -> String {
    let mut answer = [0u8; 512];
    let read = tokio::time::timeout(BOUND, stream.read(&mut answer))
        .await
        .expect("answered within the bound")
        .expect("read");
    String::from_utf8_lossy(&answer[..read]).into_owned()
}

fn self_signed(dir: &std::path::Path, name: &str) -> (TlsFiles, String) {
    let cert = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).expect("cert");
    let pem = cert.cert.pem();
    let files = TlsFiles {
        cert: dir.join(format!("{name}.crt")),
        key: dir.join(format!("{name}.key")),
    };
    std::fs::write(&files.cert, &pem).expect("write cert");
    std::fs::write(&files.key, cert.signing_key.serialize_pem()).expect("write key");
    (files, pem)
}

#[tokio::test]
async fn tls_serves_with_the_configured_certificate_and_a_bad_reload_keeps_it() {
    let dir = std::env::temp_dir().join(format!("xsi-wallboard-tls-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let (files, pem) = self_signed(&dir, "first");
    let running = start(GuardSettings {
        tls: Some(files.clone()),
        ..GuardSettings::default()
    })
    .await;
    let port = running.addr.expect("listening").port();
    let client = reqwest::Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(pem.as_bytes()).expect("pem"))
        .build()
        .expect("client");
    let health = client
        .get(format!("https://localhost:{port}/healthz"))
        .send()
        .await
        .expect("TLS handshake with the configured certificate");
    assert_eq!(health.status(), StatusCode::OK);
    let plain = reqwest::get(format!("http://localhost:{port}/healthz")).await;
    assert!(plain.is_err() || plain.is_ok_and(|r| !r.status().is_success()));
    running.shutdown().await.expect("clean shutdown");

    // The reloader SIGHUP drives, serving a listener of its own: a renewed pair is presented
    // from the next handshake on; a broken file is reported and the certificate in use stays.
    let reloader = CertReloader::new(files.clone()).expect("loads");
    let tcp = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!(
        "https://localhost:{}/healthz",
        tcp.local_addr().expect("address").port()
    );
    let stop = tokio_util::sync::CancellationToken::new();
    let router = axum::Router::new().route("/healthz", axum::routing::get(|| async { "ok" }));
    tokio::spawn(xsi_wallboard::guard::serve(
        tcp,
        router,
        Some(reloader.server_config().expect("TLS configuration")),
        ConnectionLimits::default(),
        stop.clone(),
    ));
    let (second, second_pem) = self_signed(&dir, "second");
    assert!(served_trusting(&url, &pem).await, "the configured pair");
    assert!(
        !served_trusting(&url, &second_pem).await,
        "not the next one yet"
    );
    std::fs::copy(&second.cert, &files.cert).expect("copy");
    std::fs::copy(&second.key, &files.key).expect("copy");
    reloader.reload().expect("a renewed pair loads");
    assert!(served_trusting(&url, &second_pem).await, "the renewed pair");
    assert!(!served_trusting(&url, &pem).await, "the old pair is gone");
    std::fs::write(&files.key, "not a key").expect("write");
    assert!(reloader.reload().is_err(), "a broken key is refused");
    assert!(
        served_trusting(&url, &second_pem).await,
        "the pair in use stays"
    );
    stop.cancel();
    let _ = std::fs::remove_dir_all(dir);
}

/// Does a client that trusts only `pem` get `url` answered (a new connection, a new handshake)?
async fn served_trusting(url: &str, pem: &str) -> bool {
    let client = reqwest::Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(pem.as_bytes()).expect("pem"))
        .tls_built_in_root_certs(false)
        .pool_max_idle_per_host(0)
        .build()
        .expect("client");
    client
        .get(url)
        .send()
        .await
        .is_ok_and(|answer| answer.status().is_success())
}

#[test]
fn settings_come_from_the_environment_and_the_file_never_from_a_flag() {
    use clap::Parser;
    use xsi_wallboard::cli::Cli;
    let cli = Cli::parse_from(["xsi-wallboard", "--allow-from", "192.0.2.0/24,198.51.100.7"]);
    let file: xsi_wallboard::config::FileConfig = toml::from_str(
        r#"
        listen_token = "from-the-file-0123456789abcdef"
        "#,
    )
    .expect("toml");
    let from_env = GuardSettings::resolve_with_env(&cli.xsp, Some(&file), Some(TOKEN.to_owned()))
        .expect("resolves");
    let token = from_env.guard.token.expect("a token");
    assert!(token.matches(TOKEN), "the environment wins over the file");
    assert!(!from_env.guard.allow_from.is_empty());
    let from_file = GuardSettings::resolve_with_env(&cli.xsp, Some(&file), None).expect("resolves");
    assert!(
        from_file
            .guard
            .token
            .expect("a token")
            .matches("from-the-file-0123456789abcdef")
    );
    assert!(Cli::try_parse_from(["xsi-wallboard", "--listen-token", TOKEN]).is_err());
    let short: xsi_wallboard::config::FileConfig =
        toml::from_str(r#"listen_token = "short""#).expect("toml");
    assert!(GuardSettings::resolve_with_env(&cli.xsp, Some(&short), None).is_err());
}
