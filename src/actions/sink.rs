//! Where a checked, confirmed action goes: the one small interface between deciding and
//! sending. [`LocalSink`] sends it to the XSP as Xsi-Actions; a viewer attached to another
//! wallboard implements the same trait by posting it to that receiver's `/api/actions`, which
//! checks it again and sends it with its own `LocalSink`.

use futures::future::BoxFuture;

use super::{ActionRequest, CallAction};
use crate::subscribe::{XspClient, XspError};

/// What the XSP answered to an action it took.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Sent {
    /// `QueueCallOrder/position` of a promote or a move, as the XSP gave it.
    pub position: Option<u32>,
}

/// Why an action was not taken after it left: in one line, the XSP's own words where it gave
/// them (`ErrorInfo`'s `summaryEnglish` and `errorCode`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ActionError(pub String);

impl From<XspError> for ActionError {
    fn from(error: XspError) -> Self {
        ActionError(error.to_string())
    }
}

/// Sends one action; the caller has checked and confirmed it.
pub trait ActionSink: Send + Sync {
    fn send<'a>(&'a self, request: &'a ActionRequest) -> BoxFuture<'a, Result<Sent, ActionError>>;
}

/// Xsi-Actions on the XSP this wallboard subscribes to, with the same account, TLS and
/// cookies (the subscriber's client).
#[derive(Debug, Clone)]
pub struct LocalSink {
    client: XspClient,
}

impl LocalSink {
    pub fn new(client: XspClient) -> Self {
        LocalSink { client }
    }
}

impl ActionSink for LocalSink {
    fn send<'a>(&'a self, request: &'a ActionRequest) -> BoxFuture<'a, Result<Sent, ActionError>> {
        Box::pin(async move {
            let (cc, call) = (&*request.call_center, &*request.call_id);
            let position = match &request.action {
                CallAction::Promote { priority } => {
                    self.client.promote(cc, call, *priority).await?
                }
                CallAction::Move { index } => self.client.reorder(cc, call, *index).await?,
                CallAction::Transfer { number } => {
                    self.client.blind_transfer(cc, call, number).await?;
                    None
                }
                CallAction::Release => {
                    self.client.release_call(cc, call).await?;
                    None
                }
            };
            Ok(Sent { position })
        })
    }
}
