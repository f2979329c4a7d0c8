//! What keeps the XSP's events coming, and where the UI's commands go: the subscriber (HTTP
//! contact) or the event channel, behind one interface.

use tokio::sync::{mpsc, watch};

use crate::channel::ChannelHandle;
use crate::status::{LinkStatus, UiCommand};
use crate::subscribe::{self, SubscriberHandle};

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

    /// Where `r`/`R` go.
    pub(super) fn control(&self) -> CommandSink {
        match self {
            Feed::Contact(subscriber) => CommandSink::Subscriber(subscriber.control()),
            Feed::Channel(channel) => CommandSink::Channel(channel.control()),
        }
    }

    pub(super) async fn shutdown(self) {
        match self {
            Feed::Contact(subscriber) => subscriber.shutdown().await,
            Feed::Channel(channel) => channel.shutdown().await,
        }
    }
}

/// The receiving end of the UI's commands, whichever feed runs.
#[derive(Debug, Clone)]
pub(super) enum CommandSink {
    Subscriber(subscribe::SubscriberControl),
    Channel(mpsc::UnboundedSender<UiCommand>),
}

impl CommandSink {
    pub(super) fn send(&self, command: UiCommand) {
        match self {
            CommandSink::Subscriber(control) => control.command(command),
            CommandSink::Channel(control) => {
                let _ = control.send(command);
            }
        }
    }
}
