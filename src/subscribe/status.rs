//! Each subscription's state, worded for a supervisor.

use std::fmt::Write as _;
use std::sync::Arc;

use tokio::time::Instant;

use crate::status::{Health, LinkStatus};
use crate::xsi::Package;

/// Where one subscription's lifecycle stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SubscriptionState {
    Subscribing,
    Active,
    Refreshing,
    /// Failed; tries again at `retry_at`.
    Retrying,
    /// 401: waits for `r`, since retrying a wrong password can lock the account.
    WaitingForUser,
    Deleting,
    Stopped,
}

impl SubscriptionState {
    fn is_live(self) -> bool {
        matches!(
            self,
            SubscriptionState::Active | SubscriptionState::Refreshing
        )
    }
}

/// One subscription's status line.
#[derive(Debug, Clone)]
pub struct SubscriptionStatus {
    pub target: Arc<str>,
    pub package: Package,
    pub state: SubscriptionState,
    pub subscription_id: Option<Arc<str>>,
    /// Seconds, as granted by the XSP.
    pub granted_expires: Option<u32>,
    pub refresh_at: Option<Instant>,
    pub retry_at: Option<Instant>,
    /// The XSP's words (`summaryEnglish` and code) where it gave any.
    pub last_error: Option<String>,
}

/// Every line, plus what the supervisor itself has to say (discovery, setup errors).
#[derive(Debug)]
pub(super) struct StatusBoard {
    application_id: String,
    discovery: Option<String>,
    setup_error: Option<String>,
    pub(super) subscriptions: Vec<SubscriptionStatus>,
}

impl StatusBoard {
    pub(super) fn new(application_id: &str) -> Self {
        StatusBoard {
            application_id: application_id.to_owned(),
            discovery: None,
            setup_error: None,
            subscriptions: Vec::new(),
        }
    }

    pub(super) fn add(&mut self, target: &Arc<str>, package: Package) -> usize {
        self.subscriptions.push(SubscriptionStatus {
            target: target.clone(),
            package,
            state: SubscriptionState::Subscribing,
            subscription_id: None,
            granted_expires: None,
            refresh_at: None,
            retry_at: None,
            last_error: None,
        });
        self.setup_error = None;
        self.subscriptions.len() - 1
    }

    pub(super) fn set_discovery(&mut self, line: String) {
        self.discovery = Some(line);
        self.setup_error = None;
    }

    pub(super) fn set_setup_error(&mut self, line: String) {
        self.setup_error = Some(line);
    }

    pub(super) fn index_of_subscription(&self, id: &str) -> Option<usize> {
        self.subscriptions
            .iter()
            .position(|s| s.subscription_id.as_deref() == Some(id))
    }

    pub(super) fn link_status(&self, now: Instant) -> LinkStatus {
        let total = self.subscriptions.len();
        let live = self
            .subscriptions
            .iter()
            .filter(|s| s.state.is_live())
            .count();
        let waiting = self
            .subscriptions
            .iter()
            .find(|s| s.state == SubscriptionState::WaitingForUser);
        let (health, summary) = if let Some(error) = &self.setup_error {
            (Health::Down, error.clone())
        } else if total == 0 {
            (
                Health::Degraded,
                self.discovery.clone().unwrap_or_else(|| "starting".into()),
            )
        } else if let Some(s) = waiting {
            let reason = s.last_error.as_deref().unwrap_or("waiting");
            (Health::Down, format!("{reason}: press r to retry"))
        } else if live == total {
            let next = self.subscriptions.iter().filter_map(|s| s.refresh_at).min();
            let renew = next.map(|at| {
                format!(
                    ", renew in {}",
                    clock(at.saturating_duration_since(now).as_secs())
                )
            });
            (
                Health::Ok,
                format!("{live}/{total} subscribed{}", renew.unwrap_or_default()),
            )
        } else {
            let retrying = self
                .subscriptions
                .iter()
                .filter_map(|s| s.retry_at)
                .min()
                .map(|at| {
                    format!(
                        ", retry in {} s",
                        at.saturating_duration_since(now).as_secs()
                    )
                });
            let health = if live == 0 {
                Health::Down
            } else {
                Health::Degraded
            };
            (
                health,
                format!("{live}/{total} subscribed{}", retrying.unwrap_or_default()),
            )
        };
        let mut details = vec![format!("application id: {}", self.application_id)];
        details.extend(self.discovery.clone());
        details.extend(self.subscriptions.iter().map(|s| line(s, now)));
        LinkStatus {
            health,
            summary,
            details,
        }
    }
}

fn line(s: &SubscriptionStatus, now: Instant) -> String {
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

/// `m:ss`, or `h:mm:ss` from an hour.
fn clock(secs: u64) -> String {
    let (h, m, s) = (secs / 3600, secs / 60 % 60, secs % 60);
    if h > 0 {
        format!("{h}:{m:02}:{s:02}")
    } else {
        format!("{m}:{s:02}")
    }
}
