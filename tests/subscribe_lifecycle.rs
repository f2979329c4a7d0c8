//! The subscription lifecycle against an in-process mock XSP: subscribe, refresh at half the
//! granted time, a refresh refused, a subscription ended by the XSP, the ids let go of, `r`, and
//! the DELETEs on quit.

#[path = "common/feed_words.rs"]
mod feed_words;
use feed_words::Words as _;
#[path = "common/mock_xsp.rs"]
mod mock_xsp;
#[path = "common/subscriber.rs"]
mod subscriber;

use std::sync::Arc;
use std::time::Duration;

use axum::http::Method;
use mock_xsp::{AUTHORIZATION, MONITORING, MockXsp, QUEUE, Reply, subscription_id};
use subscriber::{APP_ID, CONTACT, Running, one_call_center, settings, start, status_until};
use xsi_wallboard::config::Targets;
use xsi_wallboard::status::{FeedCommand, Health};
use xsi_wallboard::subscribe::Retired;

#[tokio::test]
async fn subscribes_each_call_center_and_package_with_basic_auth_and_schema_body() {
    let mock = MockXsp::start(3600).await;
    let targets = Targets::CallCenters(vec![
        "sales@example.com".into(),
        "support@example.com".into(),
    ]);
    let mut run = start(settings(&mock, targets, &[QUEUE, MONITORING]));

    let posts = mock.wait_for_count(Method::POST, 4).await;
    let mut paths: Vec<_> = posts.iter().map(|r| r.path.clone()).collect();
    paths.sort();
    paths.dedup();
    assert_eq!(
        paths,
        [
            "/com.broadsoft.xsi-events/v2.0/user/sales@example.com",
            "/com.broadsoft.xsi-events/v2.0/user/support@example.com",
        ]
    );
    for post in &posts {
        assert_eq!(post.authorization.as_deref(), Some(AUTHORIZATION));
        assert_eq!(
            post.content_type.as_deref(),
            Some("application/xml; charset=UTF-8")
        );
        assert!(
            post.body
                .contains(r#"<Subscription xmlns="http://schema.broadsoft.com/xsi">"#),
            "{}",
            post.body
        );
        assert!(post.body.contains(&format!("<expires>3600</expires><httpContact><uri>{CONTACT}</uri></httpContact><applicationId>{APP_ID}</applicationId>")), "{}", post.body);
    }
    let packages: Vec<_> = posts
        .iter()
        .filter(|p| p.body.contains("<event>Call Center Monitoring</event>"))
        .collect();
    assert_eq!(packages.len(), 2);

    let status = status_until(&mut run.status, "all subscribed", |s| {
        s.health == Health::Ok
    })
    .await;
    assert!(
        status.summary().starts_with("4/4 subscribed"),
        "{}",
        status.summary()
    );
    assert!(
        status.details().iter().any(|d| d.contains(APP_ID)),
        "{:?}",
        status.details()
    );
    run.handle.shutdown().await;
}

#[tokio::test]
async fn uses_the_granted_expires_and_refreshes_at_half_time() {
    // Asked for 3600 s, granted 1 s: only a client that plans by the grant refreshes now.
    let mock = MockXsp::start(1).await;
    let run = start(settings(
        &mock,
        one_call_center("sales@example.com"),
        &[QUEUE],
    ));

    let puts = mock.wait_for_count(Method::PUT, 2).await;
    for put in &puts {
        assert_eq!(
            put.path,
            format!(
                "/com.broadsoft.xsi-events/v2.0/subscription/{}",
                subscription_id(1)
            )
        );
        assert!(put.body.contains("<Subscription xmlns=\"http://schema.broadsoft.com/xsi\"><expires>3600</expires></Subscription>"), "{}", put.body);
    }
    assert_eq!(
        mock.requests_with(&Method::POST).len(),
        1,
        "a refresh is not a new subscription"
    );
    run.handle.shutdown().await;
}

#[tokio::test]
async fn a_403_on_refresh_subscribes_again() {
    a_refused_refresh_is_replaced_by_a_new_subscription(Reply::Forbidden).await;
}

#[tokio::test]
async fn a_404_on_refresh_subscribes_again_too() {
    a_refused_refresh_is_replaced_by_a_new_subscription(Reply::NotFound).await;
}

/// A refresh refused with `reply` (403 or 404: the XSP no longer holds the subscription) is
/// followed at once by a new subscribe, and the new id takes the old one's place: the old id
/// is never refreshed again (nor deleted), it is retired, and the new one (a new POST, a new
/// id) is the one refreshed from then on and deleted on quit.
#[allow(clippy::too_many_lines, reason = "one story, told start to end")]
async fn a_refused_refresh_is_replaced_by_a_new_subscription(reply: Reply) {
    // Granted 1 s: a refresh every half second.
    let mock = MockXsp::start(1).await;
    mock.script(Method::PUT, reply);
    let mut run = start(settings(
        &mock,
        one_call_center("sales@example.com"),
        &[QUEUE],
    ));
    let retired = run.handle.retired().clone();
    let (old, new) = (subscription_id(1), subscription_id(2));
    let at = |id: &str| format!("/com.broadsoft.xsi-events/v2.0/subscription/{id}");
    let refreshes_of_new = |requests: &[mock_xsp::Recorded]| {
        requests
            .iter()
            .filter(|r| r.method == Method::PUT && r.path == at(&new))
            .count()
    };

    // Two refreshes of the new one: two refresh periods in which the old one, were it still
    // held, would have been refreshed again.
    let requests = mock
        .wait_until("the new subscription refreshed twice", |r| {
            refreshes_of_new(r) >= 2
        })
        .await;
    // Every request up to that second refresh, in the order the XSP got them.
    let second = (1..=requests.len())
        .find(|&n| refreshes_of_new(&requests[..n]) == 2)
        .expect("waited for above");
    let seen: Vec<(Method, String)> = requests[..second]
        .iter()
        .map(|r| (r.method.clone(), r.path.clone()))
        .collect();
    let subscribe = (
        Method::POST,
        "/com.broadsoft.xsi-events/v2.0/user/sales@example.com".to_owned(),
    );
    assert_eq!(
        seen,
        [
            subscribe.clone(),
            (Method::PUT, at(&old)),
            subscribe,
            (Method::PUT, at(&new)),
            (Method::PUT, at(&new)),
        ],
        "{reply:?} on refresh"
    );
    // The XSP's view: the old one refreshed never (its refusal was scripted), replaced by the
    // new one, which holds the refreshes.
    let granted = mock.subscriptions();
    assert_eq!(granted.len(), 2, "{granted:#?}");
    assert_eq!(
        (
            granted[0].id.as_str(),
            granted[0].refreshes,
            granted[0].ended
        ),
        (old.as_str(), 0, Some(mock_xsp::Ended::Replaced)),
        "{granted:#?}"
    );
    assert_eq!(granted[1].id, new);
    assert!(
        granted[1].alive() && granted[1].refreshes >= 2,
        "{granted:#?}"
    );
    assert!(retired.contains(&old), "the refused id is retired");
    assert!(!retired.contains(&new), "the new id is held");
    status_until(&mut run.status, "the new subscription", |s| {
        s.health == Health::Ok && s.details().iter().any(|d| d.contains("id 00000002"))
    })
    .await;

    run.handle.shutdown().await;
    let deletes: Vec<String> = mock
        .requests_with(&Method::DELETE)
        .into_iter()
        .map(|d| d.path)
        .collect();
    assert_eq!(
        deletes,
        [at(&new)],
        "the new one is deleted on quit, the refused one is not deleted again"
    );
    assert!(
        mock.requests_with(&Method::PUT)
            .iter()
            .all(|put| put.path == at(&new) || put.path == at(&old)),
        "no other id refreshed"
    );
    assert_eq!(
        mock.requests_with(&Method::PUT)
            .iter()
            .filter(|put| put.path == at(&old))
            .count(),
        1,
        "the old id is never refreshed after its refusal"
    );
}

#[tokio::test]
async fn subscription_terminated_event_triggers_resubscribe_and_stale_ones_are_ignored() {
    let mock = MockXsp::start(3600).await;
    let mut run = start(settings(
        &mock,
        one_call_center("sales@example.com"),
        &[QUEUE],
    ));
    status_until(&mut run.status, "subscribed", |s| s.health == Health::Ok).await;

    run.handle
        .command(FeedCommand::Terminated(Arc::from("not-ours")));
    run.handle
        .command(FeedCommand::Terminated(Arc::from(subscription_id(1))));
    mock.wait_for_count(Method::POST, 2).await;
    status_until(&mut run.status, "subscribed again", |s| {
        s.health == Health::Ok
    })
    .await;

    // The same (now old) id again: nothing to do. A command afterwards proves the task is
    // still listening, and the count shows the stale termination caused no subscribe.
    run.handle
        .command(FeedCommand::Terminated(Arc::from(subscription_id(1))));
    run.handle.command(FeedCommand::Resubscribe(None));
    mock.wait_for_count(Method::POST, 3).await;
    assert_eq!(mock.requests_with(&Method::POST).len(), 3);
    run.handle.shutdown().await;
}

/// Wait until the subscription's status line names the `n`th granted id.
async fn holding(run: &mut Running, n: u32) {
    let short = &subscription_id(n)[..8];
    status_until(&mut run.status, &format!("subscription {short}"), |s| {
        s.health == Health::Ok
            && s.details()
                .iter()
                .any(|d| d.contains(&format!("id {short}")))
    })
    .await;
}

/// Every id let go of is retired (the event channel answers its events 481): deleted on `r`,
/// ended by the XSP, deleted on quit. The id held is never retired.
#[tokio::test]
async fn ids_deleted_or_terminated_are_retired_and_the_held_one_is_not() {
    let mock = MockXsp::start(3600).await;
    let mut run = start(settings(
        &mock,
        one_call_center("sales@example.com"),
        &[QUEUE],
    ));
    let retired = run.handle.retired().clone();
    holding(&mut run, 1).await;
    assert!(retired.is_empty());

    run.handle.command(FeedCommand::Resubscribe(None));
    holding(&mut run, 2).await;
    assert!(retired.contains(&subscription_id(1)), "deleted on r");
    assert!(!retired.contains(&subscription_id(2)));

    run.handle
        .command(FeedCommand::Terminated(Arc::from(subscription_id(2))));
    holding(&mut run, 3).await;
    assert!(retired.contains(&subscription_id(2)), "ended by the XSP");
    assert!(!retired.contains(&subscription_id(3)));

    run.handle.shutdown().await;
    assert!(retired.contains(&subscription_id(3)), "deleted on quit");
    assert_eq!(retired.len(), 3);
}

/// A refused refresh loses the subscription; a failed one is replaced by a new subscribe
/// without a DELETE. Either way the old id is retired once the new one is held.
#[tokio::test]
async fn ids_lost_or_replaced_after_a_refresh_are_retired() {
    for (reply, what) in [
        (Reply::Forbidden, "refused"),
        (Reply::ServerError, "failed"),
    ] {
        let mock = MockXsp::start(1).await;
        mock.script(Method::PUT, reply);
        let mut run = start(settings(
            &mock,
            one_call_center("sales@example.com"),
            &[QUEUE],
        ));
        let retired = run.handle.retired().clone();
        holding(&mut run, 2).await;
        assert!(retired.contains(&subscription_id(1)), "refresh {what}");
        assert!(!retired.contains(&subscription_id(2)), "refresh {what}");
        run.handle.shutdown().await;
    }
}

#[test]
fn retired_ids_are_bounded_oldest_first_and_a_regranted_id_is_ours_again() {
    let retired = Retired::new();
    let id = |n: usize| Arc::<str>::from(format!("sub-{n}"));
    for n in 0..Retired::CAPACITY + 10 {
        retired.retire(id(n));
    }
    // Retiring twice keeps one entry.
    retired.retire(id(Retired::CAPACITY + 9));
    assert_eq!(retired.len(), Retired::CAPACITY);
    assert!(!retired.contains("sub-9"), "the oldest are forgotten");
    assert!(retired.contains("sub-10"));
    assert!(retired.contains(&id(Retired::CAPACITY + 9)));

    retired.reinstate("sub-10");
    assert!(!retired.contains("sub-10"));
    assert_eq!(retired.len(), Retired::CAPACITY - 1);
    // Room again: the next one retired forgets nothing.
    retired.retire(id(5000));
    assert!(retired.contains("sub-11"));
    assert_eq!(retired.len(), Retired::CAPACITY);
}

#[tokio::test]
async fn resubscribe_one_target_deletes_and_subscribes_only_it() {
    let mock = MockXsp::start(3600).await;
    let targets = Targets::CallCenters(vec![
        "sales@example.com".into(),
        "support@example.com".into(),
    ]);
    let mut run = start(settings(&mock, targets, &[QUEUE]));
    status_until(&mut run.status, "subscribed", |s| s.health == Health::Ok).await;
    let held = |target| mock.subscription(target, QUEUE).expect("subscribed").id;
    let (sales, support) = (held("sales@example.com"), held("support@example.com"));

    run.handle.command(FeedCommand::Resubscribe(Some(Arc::from(
        "support@example.com",
    ))));
    let posts = mock.wait_for_count(Method::POST, 3).await;
    assert_eq!(
        posts[2].path,
        "/com.broadsoft.xsi-events/v2.0/user/support@example.com"
    );
    // Its old subscription was deleted before the new one was asked for; sales' is untouched.
    let deletes = mock.requests_with(&Method::DELETE);
    assert_eq!(deletes.len(), 1);
    assert_eq!(
        deletes[0].path,
        format!("/com.broadsoft.xsi-events/v2.0/subscription/{support}")
    );
    assert_ne!(held("support@example.com"), support);
    assert_eq!(held("sales@example.com"), sales);
    run.handle.shutdown().await;
}

#[tokio::test]
async fn shutdown_deletes_every_subscription() {
    let mock = MockXsp::start(3600).await;
    let targets = Targets::CallCenters(vec![
        "sales@example.com".into(),
        "support@example.com".into(),
    ]);
    let mut run = start(settings(&mock, targets, &[QUEUE, MONITORING]));
    status_until(&mut run.status, "subscribed", |s| s.health == Health::Ok).await;

    run.handle.shutdown().await;
    let mut deleted: Vec<_> = mock
        .requests_with(&Method::DELETE)
        .into_iter()
        .map(|d| d.path)
        .collect();
    deleted.sort();
    let mut expected: Vec<_> = (1..=4)
        .map(|n| {
            format!(
                "/com.broadsoft.xsi-events/v2.0/subscription/{}",
                subscription_id(n)
            )
        })
        .collect();
    expected.sort();
    assert_eq!(deleted, expected);
}

#[tokio::test]
async fn shutdown_is_bounded_when_the_xsp_hangs() {
    let mock = MockXsp::start(3600).await;
    mock.script(Method::DELETE, Reply::Hang);
    let mut run = start(settings(
        &mock,
        one_call_center("sales@example.com"),
        &[QUEUE],
    ));
    status_until(&mut run.status, "subscribed", |s| s.health == Health::Ok).await;

    // The bound is generous on purpose: this checks that shutdown ends, not how fast.
    tokio::time::timeout(Duration::from_secs(20), run.handle.shutdown())
        .await
        .expect("shutdown returns although the XSP never answers the DELETE");
    assert_eq!(mock.requests_with(&Method::DELETE).len(), 1);
}

#[tokio::test]
async fn a_slow_xsp_is_waited_for_and_quitting_mid_request_returns() {
    let mock = MockXsp::start(3600).await;
    mock.script(Method::POST, Reply::Delay(Duration::from_millis(300)));
    let mut run = start(settings(
        &mock,
        one_call_center("sales@example.com"),
        &[QUEUE],
    ));
    status_until(&mut run.status, "subscribed", |s| s.health == Health::Ok).await;
    assert_eq!(
        mock.requests_with(&Method::POST).len(),
        1,
        "a slow answer is not a failure"
    );
    run.handle.shutdown().await;

    let hung = MockXsp::start(3600).await;
    hung.script(Method::POST, Reply::Hang);
    let run = start(settings(
        &hung,
        one_call_center("sales@example.com"),
        &[QUEUE],
    ));
    hung.wait_for_count(Method::POST, 1).await;
    tokio::time::timeout(Duration::from_secs(20), run.handle.shutdown())
        .await
        .expect("shutdown returns while a subscribe hangs");
    assert!(
        hung.requests_with(&Method::DELETE).is_empty(),
        "nothing granted, nothing to delete"
    );
}

/// Quitting while a subscribe is on its way must not leave the XSP with a subscription that
/// POSTs to a closed contact for an hour: the answer is awaited (bounded) and then deleted.
#[tokio::test]
async fn quitting_while_a_subscribe_is_answered_deletes_what_was_granted() {
    let mock = MockXsp::start(3600).await;
    mock.script(Method::POST, Reply::Held);
    let run = start(settings(
        &mock,
        one_call_center("sales@example.com"),
        &[QUEUE],
    ));
    mock.wait_for_count(Method::POST, 1).await;
    // Quit (shutdown cancels at once) while the subscribe is unanswered; then the XSP answers.
    let stopping = run.handle.shutdown();
    mock.release_held();
    tokio::time::timeout(Duration::from_secs(20), stopping)
        .await
        .expect("shutdown returns");
    let deletes = mock.requests_with(&Method::DELETE);
    assert_eq!(deletes.len(), 1, "{deletes:#?}");
    assert_eq!(
        deletes[0].path,
        format!(
            "/com.broadsoft.xsi-events/v2.0/subscription/{}",
            subscription_id(1)
        )
    );
}
