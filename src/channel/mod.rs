//! Event channel mode (issue 7): the wallboard opens a long-lived streaming request to the XSP
//! and the events come back down it, so no inbound port is needed.
//!
//! ```text
//! spawn --> lifecycle task: POST .../channel --> stream --split--> documents --frame-->
//!             <Channel>            channel id, granted expiry; subscriptions (channelSetId)
//!             <xsi:Event>          --parse_event--> Input::Event --> same mpsc as the listener
//!                                  --EventResponse--> ack worker (bounded queue; full: the
//!                                    read waits) --> POST eventresponse, in order:
//!                                    200, 400 (did not parse; eventID salvaged), or 481
//!                                    (a subscription we let go of: not applied)
//!             <ChannelHeartBeat/>  last heartbeat
//!           timers: PUT heartbeat every heartbeat_secs, PUT refresh at half the granted expiry
//! ```
//!
//! The board cannot tell this mode from the HTTP contact: both send [`Input::Event`]s into the one
//! applier channel.

pub mod client;
pub mod frame;
mod lifecycle;
pub mod split;
mod status;

use std::time::Duration;

use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::config::XspSettings;
use crate::intake::Intake;
use crate::status::{FeedCommand, LinkStatus};
use crate::xsi::request::{ChannelRequest, Delivery};

pub use frame::Frame;
pub use split::{SplitError, Splitter};
pub use status::{AckCounters, ChannelState, ChannelStatus};

/// Event responses waiting for the ack worker. When it is full the read path waits for room (the
/// XSP holds the events meanwhile): a response dropped is an event left unanswered, and those push
/// BroadWorks toward terminating the channel (`NonResponsiveChannel`).
pub const ACK_QUEUE: usize = 1024;

/// The spec's failover fields: this wallboard keeps one channel in its set.
const PRIORITY: u32 = 1;
const WEIGHT: u32 = 50;

/// What the rest of the wallboard holds of the channel (and the subscriptions it runs).
#[derive(Debug)]
pub struct ChannelHandle {
    status: watch::Receiver<LinkStatus>,
    control: mpsc::UnboundedSender<FeedCommand>,
    cancel: CancellationToken,
    task: JoinHandle<()>,
    shutdown_bound: Duration,
}

impl ChannelHandle {
    /// Channel and subscriptions combined, updated on every change and once a second.
    pub fn status(&self) -> watch::Receiver<LinkStatus> {
        self.status.clone()
    }

    /// `r` / `R`: passed to the subscriptions; also reopens a stopped or waiting channel.
    pub fn command(&self, command: FeedCommand) {
        let _ = self.control.send(command);
    }

    /// Where commands go, for holders that outlive a borrow of the handle.
    pub fn control(&self) -> mpsc::UnboundedSender<FeedCommand> {
        self.control.clone()
    }

    /// Delete the subscriptions, then the channel, and read until the XSP confirms, bounded
    /// even when the XSP does not answer.
    pub fn shutdown(self) -> impl Future<Output = ()> {
        self.cancel.cancel();
        let bound = self.shutdown_bound;
        let task = self.task;
        async move {
            if tokio::time::timeout(bound, task).await.is_err() {
                tracing::warn!(
                    "event channel not closed within {}",
                    crate::logging::Human(bound)
                );
            }
        }
    }
}

/// Open the event channel and keep it open; subscriptions are made over its channel set once it
/// is open. What comes down it goes through `intake`, as the listener's POSTs do. Cancelling
/// `cancel` quits as [`ChannelHandle::shutdown`] does.
#[expect(
    clippy::needless_pass_by_value,
    reason = "the contract hands the token over, as subscribe::spawn's does"
)]
pub fn spawn(
    mut settings: XspSettings,
    intake: Intake,
    cancel: CancellationToken,
) -> ChannelHandle {
    let cancel = cancel.child_token();
    // Subscriptions name the channel set, whatever the delivery was configured as.
    let channel_set_id = match &settings.delivery {
        Delivery::ChannelSet(id) => id.clone(),
        Delivery::HttpContact(_) => settings.application_id.clone(),
    };
    settings.delivery = Delivery::ChannelSet(channel_set_id.clone());
    let request = ChannelRequest {
        channel_set_id: channel_set_id.clone(),
        priority: PRIORITY,
        weight: WEIGHT,
        expires: settings.expires,
        application_id: settings.application_id.clone(),
    };
    let status = ChannelStatus::new(channel_set_id);
    let (publish, status_rx) = watch::channel(status.link_status(None));
    let (control, control_rx) = mpsc::unbounded_channel();
    let budget = settings.timing.shutdown_budget;
    // Subscriptions' deletes, the channel's, the drain, and a margin for the joins.
    let shutdown_bound = budget * 2 + lifecycle::CLOSE_DRAIN + Duration::from_secs(1);
    let task = tokio::spawn(
        lifecycle::Lifecycle {
            settings,
            request,
            events: intake.events(),
            cancel: cancel.clone(),
            control: control_rx,
            publish,
            status,
            subscriber: None,
            subscriptions_status: None,
            attempt: 0,
            intake,
        }
        .run(),
    );
    ChannelHandle {
        status: status_rx,
        control,
        cancel,
        task,
        shutdown_bound,
    }
}
