//! The wall-TV page (`/wall` with `--web`) in a real browser: headless Chromium driven through
//! chromedriver's `WebDriver` endpoint, against a demo receiver on 127.0.0.1:0.

#[path = "common/tools.rs"]
mod tools;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use base64::Engine as _;
use serde_json::{Value, json};
use tokio::time::Instant;
use xsi_wallboard::run::{self, Demo, Running, StartOptions};

/// Upper bound on any wait for the browser or the demo: generous, the CI machine is slow.
const BOUND: Duration = Duration::from_secs(30);

async fn demo(web: bool) -> Running {
    run::start(StartOptions {
        listen: "127.0.0.1:0".parse().expect("address"),
        demo: Some(Demo { seed: Some(17) }),
        web,
        ..StartOptions::default()
    })
    .await
    .expect("start the demo receiver")
}

fn base(running: &Running) -> String {
    format!("http://{}", running.addr.expect("listening"))
}

#[tokio::test]
async fn the_page_is_served_only_with_web_and_fetches_nothing_from_elsewhere() {
    let client = reqwest::Client::new();
    let without = demo(false).await;
    let answer = client
        .get(format!("{}/wall", base(&without)))
        .send()
        .await
        .expect("GET /wall");
    assert_eq!(answer.status(), reqwest::StatusCode::NOT_FOUND);
    without.shutdown().await.expect("clean shutdown");

    let with = demo(true).await;
    let answer = client
        .get(format!("{}/wall", base(&with)))
        .send()
        .await
        .expect("GET /wall");
    assert_eq!(answer.status(), reqwest::StatusCode::OK);
    let policy = answer.headers()["content-security-policy"]
        .to_str()
        .expect("ASCII")
        .to_owned();
    assert!(policy.contains("default-src 'none'"), "{policy}");
    let page = answer.text().await.expect("the page");
    assert!(page.contains("EventSource(\"/api/board/stream\")"));
    for outside in ["http://", "https://", "src=", "href=", "@import", "url("] {
        assert!(
            !page.contains(outside),
            "the page refers elsewhere: {outside}"
        );
    }
    with.shutdown().await.expect("clean shutdown");
}

/// chromedriver on a free port, stopped when dropped.
struct Driver {
    child: Child,
    url: String,
    client: reqwest::Client,
    session: Option<String>,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Driver {
    async fn start(chromium: &tools::Chromium) -> Driver {
        // A port the system just gave out and let go: chromedriver binds it next.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let child = Command::new(&chromium.driver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromedriver");
        let driver = Driver {
            child,
            url: format!("http://127.0.0.1:{port}"),
            client: reqwest::Client::new(),
            session: None,
        };
        let deadline = Instant::now() + BOUND;
        loop {
            let ready = driver
                .client
                .get(format!("{}/status", driver.url))
                .send()
                .await;
            if let Ok(ready) = ready
                && let Ok(status) = ready.text().await
                && serde_json::from_str::<Value>(&status)
                    .is_ok_and(|status| status["value"]["ready"] == true)
            {
                return driver;
            }
            assert!(Instant::now() < deadline, "chromedriver never became ready");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    async fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let mut request = self.client.request(method, format!("{}{path}", self.url));
        if let Some(body) = body {
            request = request
                .header("content-type", "application/json")
                .body(body.to_string());
        }
        let answer = request
            .send()
            .await
            .expect("chromedriver answered")
            .text()
            .await
            .expect("an answer");
        let answer: Value = serde_json::from_str(&answer).expect("WebDriver JSON");
        assert!(
            answer["value"]["error"].is_null(),
            "WebDriver {path}: {answer}"
        );
        answer["value"].clone()
    }

    /// A headless Chromium at 1920x1080 that stays on loopback.
    async fn open(&mut self, chromium: &tools::Chromium) {
        let capabilities = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": chromium.browser,
                "args": ["--headless=new", "--no-sandbox", "--disable-gpu",
                         "--disable-background-networking", "--disable-dev-shm-usage",
                         "--window-size=1920,1080"]
            }
        }}});
        let session = self
            .call(reqwest::Method::POST, "/session", Some(capabilities))
            .await;
        self.session = Some(
            session["sessionId"]
                .as_str()
                .expect("a session id")
                .to_owned(),
        );
    }

    fn session_path(&self, path: &str) -> String {
        format!("/session/{}{path}", self.session.as_deref().expect("open"))
    }

    async fn navigate(&self, url: &str) {
        self.call(
            reqwest::Method::POST,
            &self.session_path("/url"),
            Some(json!({"url": url})),
        )
        .await;
    }

    /// What the page shows, read from its DOM.
    async fn look(&self) -> Look {
        let script = r"
            const text = (e) => e ? e.textContent : null;
            return {
                status: text(document.getElementById('status')),
                clock: text(document.getElementById('clock')),
                tiles: [...document.querySelectorAll('.tile')].map(t => ({
                    cc: t.dataset.cc,
                    level: text(t.querySelector('.level')),
                    calls: [...t.querySelectorAll('.call:not(.more)')].map(c => ({
                        who: text(c.querySelector('.who')), wait: text(c.querySelector('.wait'))
                    }))
                }))
            };";
        let value = self
            .call(
                reqwest::Method::POST,
                &self.session_path("/execute/sync"),
                Some(json!({"script": script, "args": []})),
            )
            .await;
        serde_json::from_value(value).expect("a look")
    }

    async fn look_until(&self, what: &str, ready: impl Fn(&Look) -> bool) -> Look {
        let deadline = Instant::now() + BOUND;
        loop {
            let look = self.look().await;
            if ready(&look) {
                return look;
            }
            assert!(Instant::now() < deadline, "never {what}: {look:#?}");
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }

    async fn screenshot(&self, to: &Path) {
        let png = self
            .call(
                reqwest::Method::GET,
                &self.session_path("/screenshot"),
                None,
            )
            .await;
        let png = base64::engine::general_purpose::STANDARD
            .decode(png.as_str().expect("base64"))
            .expect("a PNG");
        std::fs::write(to, png).expect("write the screenshot");
    }

    async fn close(&mut self) {
        if self.session.is_some() {
            self.call(reqwest::Method::DELETE, &self.session_path(""), None)
                .await;
            self.session = None;
        }
    }
}

#[derive(Debug, Clone, serde::Deserialize)]
struct Look {
    status: Option<String>,
    clock: Option<String>,
    tiles: Vec<Tile>,
}

#[derive(Debug, Clone, serde::Deserialize)]
struct Tile {
    cc: String,
    level: Option<String>,
    calls: Vec<Call>,
}

#[derive(Debug, Clone, serde::Deserialize)]
struct Call {
    who: Option<String>,
    wait: Option<String>,
}

impl Look {
    fn waits(&self) -> HashMap<String, u64> {
        self.tiles
            .iter()
            .flat_map(|t| &t.calls)
            .filter_map(|c| Some((c.who.clone()?, secs(c.wait.as_deref()?)?)))
            .collect()
    }
}

/// `m:ss` or `h:mm:ss` as seconds.
fn secs(shown: &str) -> Option<u64> {
    shown.split(':').try_fold(0, |total, part| {
        Some(total * 60 + part.parse::<u64>().ok()?)
    })
}

fn screenshot_path(name: &str) -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("target"),
        PathBuf::from,
    );
    std::fs::create_dir_all(&target).expect("target directory");
    target.join(name)
}

#[tokio::test]
async fn a_browser_shows_callers_ticking_timers_and_stale_when_the_receiver_stops() {
    let Some(chromium) = tools::chromium() else {
        return;
    };
    let running = demo(true).await;
    let mut driver = Driver::start(&chromium).await;
    driver.open(&chromium).await;
    driver.navigate(&format!("{}/wall", base(&running))).await;

    let first = driver
        .look_until("live with callers", |look| {
            look.status.as_deref() == Some("LIVE")
                && look.tiles.len() >= 3
                && !look.waits().is_empty()
        })
        .await;
    assert!(
        first.clock.as_deref().is_some_and(|c| c.len() == 8),
        "a clock: {first:?}"
    );
    // Timers tick between two looks, for the callers still waiting.
    let second = driver
        .look_until("a timer advanced", |look| {
            look.waits()
                .iter()
                .any(|(who, &wait)| first.waits().get(who).is_some_and(|&was| wait > was))
        })
        .await;
    assert!(
        second
            .tiles
            .iter()
            .all(|t| t.level.as_deref().is_some_and(|l| !l.is_empty())),
        "every tile says its level in words: {second:?}"
    );
    driver.screenshot(&screenshot_path("wall-live.png")).await;

    // ?cc= shows the chosen call center only.
    let chosen = second.tiles[1].cc.clone();
    driver
        .navigate(&format!("{}/wall?cc={chosen}", base(&running)))
        .await;
    let only = driver
        .look_until("the chosen call center", |look| {
            look.status.as_deref() == Some("LIVE") && !look.tiles.is_empty()
        })
        .await;
    assert_eq!(
        only.tiles.iter().map(|t| t.cc.as_str()).collect::<Vec<_>>(),
        [chosen.as_str()]
    );

    // The receiver stops: the page says STALE, on the header and on every tile, and its
    // timers tick on from the calls' add times (the stream no longer sends any wait).
    driver.navigate(&format!("{}/wall", base(&running))).await;
    driver
        .look_until("live with callers again", |look| {
            look.status.as_deref() == Some("LIVE") && !look.waits().is_empty()
        })
        .await;
    running.shutdown().await.expect("clean shutdown");
    let stale = driver
        .look_until("STALE", |look| {
            look.status
                .as_deref()
                .is_some_and(|s| s.starts_with("STALE"))
        })
        .await;
    assert!(
        stale
            .tiles
            .iter()
            .all(|t| t.level.as_deref().is_some_and(|l| l.starts_with("STALE"))),
        "{stale:?}"
    );
    driver
        .look_until("timers ticking while STALE", |look| {
            look.waits()
                .iter()
                .any(|(who, &wait)| stale.waits().get(who).is_some_and(|&was| wait > was))
        })
        .await;
    driver.screenshot(&screenshot_path("wall-stale.png")).await;
    driver.close().await;
}
