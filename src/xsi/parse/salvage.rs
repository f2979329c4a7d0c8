//! What can still be read of an event that did not parse: its envelope.
//!
//! An event refused for a bad `eventData` (or cut short, or broken after its envelope) must still
//! be answered by its `eventID` on the event channel (an `EventResponse` with 400, or 481 when
//! its `subscriptionId` is one we let go of), and its `sequenceNumber` still counts for the gap
//! check. The envelope comes first in the schema's order, so it is usually intact.

use super::cursor::{Cursor, TypeName};
use super::{ParseError, envelope_field};
use crate::xsi::Envelope;

/// The envelope fields of a `SubscriptionEvent`, read in document order with the parser's own
/// cursor up to `eventData` or the first error, whatever follows them. `None` when neither an
/// `eventID` nor a `subscriptionId` was read, when the root is not an XSI `Event`, and for a
/// `ChannelTerminatedEvent` or `ErrorEvent` (which carry no `eventID` and are never answered).
///
/// Never reads further than [`super::parse_event`] does on the same bytes, under the same
/// limits (no document type declaration, no entity but the predefined ones and character
/// references), and never panics: it is cheap enough to run after every failed parse.
pub fn salvage_envelope(body: &[u8]) -> Option<Envelope> {
    let mut cur = Cursor::new(body);
    let root = cur.root().ok()?;
    if root.xsi_name() != Some("Event") {
        return None;
    }
    // An unreadable `xsi:type` may be exactly what broke the parse: read on regardless.
    if let Ok(Some(TypeName::Xsi("ChannelTerminatedEvent" | "ErrorEvent"))) = cur.xsi_type(&root) {
        return None;
    }
    let mut envelope = Envelope::default();
    // An error ends the salvage; what was read before it stands.
    let _ = read_envelope(&mut cur, &mut envelope);
    (!envelope.event_id.is_empty() || !envelope.subscription_id.is_empty()).then_some(envelope)
}

/// The root's children up to `eventData` (not entered) or the root's end.
fn read_envelope(cur: &mut Cursor<'_>, envelope: &mut Envelope) -> Result<(), ParseError> {
    while let Some(tag) = cur.next_child()? {
        match tag.xsi_name() {
            Some("eventData") => return Ok(()),
            name => {
                if !envelope_field(cur, name, envelope)? {
                    cur.skip()?;
                }
            }
        }
    }
    Ok(())
}
