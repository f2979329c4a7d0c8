//! An XSP that refuses or cannot be reached, against an in-process mock XSP: the failure is shown
//! in words, and retried with backoff or left to the user (a 401).

#[path = "common/feed_words.rs"]
mod feed_words;
use feed_words::Words as _;
#[path = "common/mock_xsp.rs"]
mod mock_xsp;
#[path = "common/subscriber.rs"]
mod subscriber;

use std::sync::Arc;

use axum::http::Method;
use mock_xsp::{MockXsp, QUEUE, Reply};
use reqwest::Url;
use subscriber::{one_call_center, settings, start, status_until};
use xsi_wallboard::config::Secret;
use xsi_wallboard::status::{FeedCommand, Health};

#[tokio::test]
async fn a_401_waits_for_the_user_and_is_shown_in_words() {
    let mock = MockXsp::start(3600).await;
    mock.script(Method::POST, Reply::Unauthorized);
    let mut run = start(settings(
        &mock,
        one_call_center("sales@example.com"),
        &[QUEUE],
    ));

    let status = status_until(&mut run.status, "the 401 wait", |s| {
        s.health == Health::Down && s.summary().contains("press r")
    })
    .await;
    assert!(
        status.summary().contains("wrong user or password (401)"),
        "{}",
        status.summary()
    );
    assert_eq!(mock.requests_with(&Method::POST).len(), 1);

    run.handle.command(FeedCommand::Resubscribe(Some(Arc::from(
        "sales@example.com",
    ))));
    mock.wait_for_count(Method::POST, 2).await;
    status_until(&mut run.status, "subscribed after r", |s| {
        s.health == Health::Ok
    })
    .await;
    assert_eq!(
        mock.requests_with(&Method::POST).len(),
        2,
        "no retry of its own in between"
    );
    run.handle.shutdown().await;
}

#[tokio::test]
async fn a_403_error_info_on_subscribe_is_shown_and_retried_with_backoff() {
    let mock = MockXsp::start(3600).await;
    mock.script(Method::POST, Reply::Forbidden);
    mock.script(Method::POST, Reply::ServerError);
    let mut run = start(settings(
        &mock,
        one_call_center("sales@example.com"),
        &[QUEUE],
    ));

    let failed = status_until(&mut run.status, "the 403", |s| {
        s.details().iter().any(|d| d.contains("retrying"))
    })
    .await;
    assert!(
        failed
            .details()
            .iter()
            .any(|d| d.contains("refused (403): Subscription not found (error 110861)")),
        "{:?}",
        failed.details()
    );
    mock.wait_for_count(Method::POST, 3).await;
    status_until(&mut run.status, "subscribed at last", |s| {
        s.health == Health::Ok
    })
    .await;
    run.handle.shutdown().await;
}

/// A dead XSP is a red status in words, retried, never a crash: the innermost cause and the
/// host, not reqwest's layers of wrapping.
#[tokio::test]
async fn an_unreachable_xsp_is_shown_in_words_and_retried() {
    let mock = MockXsp::start(3600).await;
    // A port that refuses: bound, then closed again.
    let closed = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let port = closed.local_addr().expect("addr").port();
    drop(closed);
    let mut dead = settings(&mock, one_call_center("sales@example.com"), &[QUEUE]);
    dead.xsp_url = Url::parse(&format!("http://127.0.0.1:{port}")).expect("url");
    let mut run = start(dead);

    let shown = status_until(&mut run.status, "a retry after the refusal", |s| {
        s.details().iter().any(|d| d.contains("retrying"))
    })
    .await;
    assert_eq!(shown.health, Health::Down, "{shown:?}");
    let details = shown.details();
    let line = details
        .iter()
        .find(|d| d.contains("unreachable"))
        .unwrap_or_else(|| panic!("no unreachable line: {details:?}"));
    assert!(line.contains(&format!("127.0.0.1:{port}")), "{line}");
    assert!(line.to_ascii_lowercase().contains("refused"), "{line}");
    assert!(!line.contains("error sending request"), "{line}");
    run.handle.shutdown().await;
}

#[tokio::test]
async fn a_wrong_password_is_shown_and_not_retried() {
    let mock = MockXsp::start(3600).await;
    let mut wrong = settings(&mock, one_call_center("sales@example.com"), &[QUEUE]);
    wrong.password = Secret::new("wrong");
    let mut run = start(wrong);
    status_until(&mut run.status, "the 401", |s| {
        s.summary().contains("(401)")
    })
    .await;
    assert_eq!(mock.requests().len(), 1);
    run.handle.shutdown().await;
}

/// An XSP that answers with a redirect is not followed: the subscription (Basic credentials,
/// the contact URL with its token) never reaches where the redirect points, and the status
/// says where that was.
#[tokio::test]
async fn a_redirect_is_reported_with_its_location_and_never_followed() {
    // The mock stands for the host the redirect points to: it must hear nothing.
    let mock = MockXsp::start(3600).await;
    let elsewhere = format!(
        "{}/com.broadsoft.xsi-events/v2.0/user/sales@example.com",
        mock.url
    );
    let redirector = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let redirector_url = format!("http://{}", redirector.local_addr().expect("addr"));
    let location = elsewhere.clone();
    let app = axum::Router::new().fallback(move || {
        let location = location.clone();
        async move {
            (
                axum::http::StatusCode::TEMPORARY_REDIRECT,
                [(axum::http::header::LOCATION, location)],
            )
        }
    });
    tokio::spawn(async move { axum::serve(redirector, app).await });
    let mut redirected = settings(&mock, one_call_center("sales@example.com"), &[QUEUE]);
    redirected.xsp_url = Url::parse(&redirector_url).expect("url");
    let mut run = start(redirected);

    let shown = status_until(&mut run.status, "the redirect reported", |s| {
        s.details().iter().any(|d| d.contains("redirect"))
    })
    .await;
    let details = shown.details();
    assert!(
        details
            .iter()
            .any(|d| d.contains("307") && d.contains(&elsewhere) && d.contains("not followed")),
        "{details:?}"
    );
    assert!(
        mock.requests().is_empty(),
        "the redirect was followed: {:?}",
        mock.requests()
    );
    run.handle.shutdown().await;
}
