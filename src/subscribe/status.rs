//! Each subscription's state, as data (the UI words it: `ui::feed`).

use std::sync::Arc;

use tokio::time::Instant;

use crate::status::{FeedSource, Health, LinkStatus, Subscriptions};
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
    pub const ALL: [SubscriptionState; 7] = [
        SubscriptionState::Subscribing,
        SubscriptionState::Active,
        SubscriptionState::Refreshing,
        SubscriptionState::Retrying,
        SubscriptionState::WaitingForUser,
        SubscriptionState::Deleting,
        SubscriptionState::Stopped,
    ];

    /// The state in a word, for `/metrics` labels and logs.
    pub fn as_str(self) -> &'static str {
        match self {
            SubscriptionState::Subscribing => "subscribing",
            SubscriptionState::Active => "active",
            SubscriptionState::Refreshing => "refreshing",
            SubscriptionState::Retrying => "retrying",
            SubscriptionState::WaitingForUser => "waiting_for_user",
            SubscriptionState::Deleting => "deleting",
            SubscriptionState::Stopped => "stopped",
        }
    }

    pub fn is_live(self) -> bool {
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
    pub(super) status: Subscriptions,
}

impl StatusBoard {
    pub(super) fn new(application_id: &str) -> Self {
        StatusBoard {
            status: Subscriptions {
                application_id: application_id.to_owned(),
                ..Subscriptions::default()
            },
        }
    }

    pub(super) fn add(&mut self, target: &Arc<str>, package: Package) -> usize {
        self.status.lines.push(SubscriptionStatus {
            target: target.clone(),
            package,
            state: SubscriptionState::Subscribing,
            subscription_id: None,
            granted_expires: None,
            refresh_at: None,
            retry_at: None,
            last_error: None,
        });
        self.status.setup_error = None;
        self.status.lines.len() - 1
    }

    pub(super) fn set_discovery(&mut self, line: String) {
        self.status.discovery = Some(line);
        self.status.setup_error = None;
    }

    pub(super) fn set_setup_error(&mut self, line: String) {
        self.status.setup_error = Some(line);
    }

    pub(super) fn index_of_subscription(&self, id: &str) -> Option<usize> {
        self.status
            .lines
            .iter()
            .position(|s| s.subscription_id.as_deref() == Some(id))
    }

    pub(super) fn subscriptions_mut(&mut self) -> &mut [SubscriptionStatus] {
        &mut self.status.lines
    }

    pub(super) fn link_status(&self) -> LinkStatus {
        LinkStatus {
            health: health(&self.status),
            source: FeedSource::Subscriptions(self.status.clone()),
        }
    }
}

/// How a set of subscriptions stands: down when none is live or the user must act, degraded
/// when some are not live, ok when all are.
pub fn health(status: &Subscriptions) -> Health {
    let total = status.lines.len();
    let live = status.lines.iter().filter(|s| s.state.is_live()).count();
    let waiting = status
        .lines
        .iter()
        .any(|s| s.state == SubscriptionState::WaitingForUser);
    if status.setup_error.is_some() || waiting || (total > 0 && live == 0) {
        Health::Down
    } else if total == 0 || live < total {
        Health::Degraded
    } else {
        Health::Ok
    }
}
