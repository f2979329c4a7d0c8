//! The feed's status in words: the header's summary and the status overlay's lines, worded at
//! each frame from the data the producers published (so countdowns move by themselves).

use std::fmt::Write as _;

use tokio::time::Instant;

use crate::status::{
    ChannelState, ChannelStatus, DemoStatus, FeedSource, LinkStatus, SubscriptionState,
    SubscriptionStatus, Subscriptions,
};

/// The header's one line, e.g. `2/2 subscribed, renew in 29:40`.
pub fn summary(link: &LinkStatus, now: Instant) -> String {
    match &link.source {
        FeedSource::Starting => "starting".to_owned(),
        FeedSource::ListenOnly { url } => format!("listen-only: POST events to {url}"),
        FeedSource::Demo(demo) if demo.posted == 0 && demo.failed == 0 => {
            "demo XSP starting".to_owned()
        }
        FeedSource::Demo(demo) => {
            let mut text = format!("demo XSP: {} events posted", demo.posted);
            if demo.failed > 0 {
                let _ = write!(text, ", {} lost", demo.failed);
            }
            text
        }
        FeedSource::Subscriptions(subs) => subscriptions_summary(subs, now),
        FeedSource::Replay(replay) => replay_summary(replay),
        FeedSource::Channel {
            channel,
            subscriptions,
        } => {
            let own = channel_summary(channel, now);
            match subscriptions {
                Some(subs) if channel.state == ChannelState::Open => {
                    format!("{own} · {}", subscriptions_summary(subs, now))
                }
                _ => own,
            }
        }
    }
}

/// `journal 10x: 1234 lines` while replaying, `journal ended: 1234 lines` after (short: the
/// header gives the feed's words little room at 80 columns).
fn replay_summary(replay: &crate::status::ReplayStatus) -> String {
    if replay.done {
        format!("journal ended: {} lines", replay.lines)
    } else {
        format!("journal {}: {} lines", replay.speed, replay.lines)
    }
}

/// The status overlay's lines, one per subscription or channel.
pub fn details(link: &LinkStatus, now: Instant) -> Vec<String> {
    match &link.source {
        FeedSource::Starting | FeedSource::ListenOnly { .. } | FeedSource::Replay(_) => Vec::new(),
        FeedSource::Demo(demo) => demo_details(demo),
        FeedSource::Subscriptions(subs) => subscriptions_details(subs, now),
        FeedSource::Channel {
            channel,
            subscriptions,
        } => {
            let mut lines = vec![channel_line(channel, now)];
            if let Some(subs) = subscriptions {
                lines.extend(subscriptions_details(subs, now));
            }
            lines
        }
    }
}

fn demo_details(demo: &DemoStatus) -> Vec<String> {
    let mut lines = vec![
        format!("demo XSP posting to {}", demo.url),
        format!("seed {} (replay with --seed {})", demo.seed, demo.seed),
    ];
    if let Some(reason) = &demo.last_failure {
        lines.push(format!("last lost event: {reason}"));
    }
    lines
}

fn subscriptions_summary(subs: &Subscriptions, now: Instant) -> String {
    let total = subs.lines.len();
    let live = subs.lines.iter().filter(|s| s.state.is_live()).count();
    if let Some(error) = &subs.setup_error {
        return error.clone();
    }
    if total == 0 {
        return subs.discovery.clone().unwrap_or_else(|| "starting".into());
    }
    if let Some(waiting) = subs
        .lines
        .iter()
        .find(|s| s.state == SubscriptionState::WaitingForUser)
    {
        let reason = waiting.last_error.as_deref().unwrap_or("waiting");
        return format!("{reason}: press r to retry");
    }
    if live == total {
        let next = subs.lines.iter().filter_map(|s| s.refresh_at).min();
        let renew = next.map_or_else(String::new, |at| {
            format!(
                ", renew in {}",
                clock(at.saturating_duration_since(now).as_secs())
            )
        });
        return format!("{live}/{total} subscribed{renew}");
    }
    let retry = subs
        .lines
        .iter()
        .filter_map(|s| s.retry_at)
        .min()
        .map_or_else(String::new, |at| {
            format!(
                ", retry in {} s",
                at.saturating_duration_since(now).as_secs()
            )
        });
    format!("{live}/{total} subscribed{retry}")
}

fn subscriptions_details(subs: &Subscriptions, now: Instant) -> Vec<String> {
    let mut lines = vec![format!("application id: {}", subs.application_id)];
    lines.extend(subs.discovery.clone());
    lines.extend(subs.lines.iter().map(|s| subscription_line(s, now)));
    lines
}

fn subscription_line(s: &SubscriptionStatus, now: Instant) -> String {
    let state = match s.state {
        SubscriptionState::Subscribing => "subscribing".to_owned(),
        SubscriptionState::Active => "active".to_owned(),
        SubscriptionState::Refreshing => "refreshing".to_owned(),
        SubscriptionState::Retrying => match s.retry_at {
            Some(at) => format!(
                "retrying in {} s",
                at.saturating_duration_since(now).as_secs()
            ),
            None => "retrying".to_owned(),
        },
        SubscriptionState::WaitingForUser => "failed, press r".to_owned(),
        SubscriptionState::Deleting => "deleting".to_owned(),
        SubscriptionState::Stopped => "stopped".to_owned(),
    };
    let mut text = format!("{} · {} · {state}", s.target, s.package);
    if let Some(id) = &s.subscription_id {
        let short: String = id.chars().take(8).collect();
        let _ = write!(text, " · id {short}");
    }
    if s.state.is_live() {
        if let Some(expires) = s.granted_expires {
            let _ = write!(text, " · expires {expires} s");
        }
        if let Some(at) = s.refresh_at {
            let _ = write!(
                text,
                " · refresh in {}",
                clock(at.saturating_duration_since(now).as_secs())
            );
        }
    }
    if let Some(error) = &s.last_error {
        let _ = write!(text, " · last error: {error}");
    }
    text
}

fn channel_summary(channel: &ChannelStatus, now: Instant) -> String {
    match &channel.state {
        ChannelState::Open => "channel open".to_owned(),
        ChannelState::Opening => "opening the event channel".to_owned(),
        ChannelState::Reopening { at } => format!(
            "channel lost, reopening in {} s",
            at.saturating_duration_since(now).as_secs()
        ),
        ChannelState::Stopped => format!(
            "channel stopped: {}; press r",
            channel.last_error.as_deref().unwrap_or("stopped")
        ),
        ChannelState::Closing => "closing the event channel".to_owned(),
    }
}

fn channel_line(channel: &ChannelStatus, now: Instant) -> String {
    let mut text = format!("channel set {}", channel.channel_set_id);
    if let Some(id) = &channel.channel_id {
        let short: String = id.chars().take(8).collect();
        let _ = write!(text, " · channel {short}");
    }
    if let Some(node) = &channel.node {
        let _ = write!(text, " · on {node}");
    }
    if let Some(expires) = channel.granted_expires {
        let _ = write!(text, " · expires {expires} s");
    }
    if let Some(at) = channel.last_heartbeat {
        let _ = write!(
            text,
            " · heartbeat {} s ago",
            now.saturating_duration_since(at).as_secs()
        );
    }
    let [received, unprocessable, unknown, failed] = channel.acks.counts();
    let _ = write!(
        text,
        " · acks {} sent (200: {received}, 400: {unprocessable}, 481: {unknown}), {failed} failed",
        received + unprocessable + unknown
    );
    if let Some(error) = &channel.last_error {
        let _ = write!(text, " · last error: {error}");
    }
    text
}

/// `m:ss`, or `h:mm:ss` from an hour.
fn clock(secs: u64) -> String {
    let (h, m, s) = (secs / 3600, secs / 60 % 60, secs % 60);
    if h > 0 {
        format!("{h}:{m:02}:{s:02}")
    } else {
        format!("{m}:{s:02}")
    }
}
