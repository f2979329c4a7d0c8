//! What keeps the XSP's events coming, and where commands go: the subscriber (HTTP contact) or
//! the event channel, behind one interface.

use tokio::sync::{mpsc, watch};

use crate::channel::ChannelHandle;
use crate::status::{FeedCommand, LinkStatus};
use crate::subscribe::SubscriberHandle;

/// What keeps the XSP's events coming.
#[derive(Debug)]
pub(super) enum Feed {
    /// The XSP POSTs to our listener (HTTP contact).
    Contact(SubscriberHandle),
    /// We hold an event channel open and the events come down it.
    Channel(ChannelHandle),
}

impl Feed {
    pub(super) fn status(&self) -> watch::Receiver<LinkStatus> {
        match self {
            Feed::Contact(subscriber) => subscriber.status(),
            Feed::Channel(channel) => channel.status(),
        }
    }

    /// Where `r`/`R` (from the UI) and repairs and terminations (from the applier) go: one
    /// channel, straight to the subscriber, or to the event channel (which reopens itself on
    /// `r` and passes the rest on to its subscriber).
    pub(super) fn control(&self) -> mpsc::UnboundedSender<FeedCommand> {
        match self {
            Feed::Contact(subscriber) => subscriber.control(),
            Feed::Channel(channel) => channel.control(),
        }
    }

    pub(super) async fn shutdown(self) {
        match self {
            Feed::Contact(subscriber) => subscriber.shutdown().await,
            Feed::Channel(channel) => channel.shutdown().await,
        }
    }
}
