//! The XSP's answers, read with the events' cursor: `<Subscription>` and `<Channel>` (what a
//! subscribe, a channel open or a refresh granted), `<ErrorInfo>` (why a 4xx), and the
//! Xsi-Actions reads: the `ACDQueue` of one call center, the `CallCenters` and
//! `CallCenterAgents` directories.
//!
//! The rules are the events': an element counts when it is in the XSI namespace (by URI,
//! whatever the prefix), values are trimmed, unknown and foreign elements are skipped, a
//! repeated element's last value stands, and no document type declaration is taken. What
//! differs is tolerance: the body is decoded by its own charset first ([`decode`]), a number
//! that does not parse leaves its field unset, an `ACDQueue` entry without a `callId` is
//! skipped rather than refusing the list, and nothing after the root element is looked at.

use std::borrow::Cow;
use std::sync::Arc;

use encoding_rs::{Encoding, UTF_8, WINDOWS_1252};

use super::ParseError;
use super::acd::{BadAddTime, queue_entry_fields};
use super::cursor::Cursor;
use crate::xsi::QueueSnapshot;
use crate::xsi::request::{ChannelResponse, ErrorInfo, ResponseError, SubscriptionResponse};

impl From<ParseError> for ResponseError {
    fn from(error: ParseError) -> Self {
        match error {
            ParseError::Malformed(reason) => ResponseError::Malformed(reason),
            // The cursor's only refusal of a well-formed answer: a `<!DOCTYPE>`.
            ParseError::NotAnEvent(reason) => ResponseError::Refused(reason),
        }
    }
}

/// Parse the answer to a subscribe or refresh.
pub fn parse_subscription_response(body: &[u8]) -> Result<SubscriptionResponse, ResponseError> {
    read_document(body, "Subscription", |cur| {
        let (mut subscription_id, mut expires) = (None, None);
        while let Some(tag) = cur.next_child()? {
            match tag.xsi_name() {
                Some("subscriptionId") => subscription_id = value(cur)?.map(Arc::from),
                Some("expires") => expires = value(cur)?.map(str::to_owned),
                _ => cur.skip()?,
            }
        }
        Ok(SubscriptionResponse {
            subscription_id,
            expires: seconds(expires.as_deref())?,
        })
    })
}

/// Parse a `<Channel>` document: the first of a channel's stream, and the answer to a refresh.
pub fn parse_channel_response(body: &[u8]) -> Result<ChannelResponse, ResponseError> {
    read_document(body, "Channel", |cur| {
        let (mut channel_id, mut expires) = (None, None);
        while let Some(tag) = cur.next_child()? {
            match tag.xsi_name() {
                Some("channelId") => channel_id = value(cur)?.map(Arc::from),
                Some("expires") => expires = value(cur)?.map(str::to_owned),
                _ => cur.skip()?,
            }
        }
        Ok(ChannelResponse {
            channel_id,
            expires: seconds(expires.as_deref())?,
        })
    })
}

/// A granted lifetime: absent is `None`, present but not a number is an error (the caller
/// cannot plan a refresh on it).
fn seconds(text: Option<&str>) -> Result<Option<u32>, ResponseError> {
    text.map(|t| t.parse().map_err(|_| ResponseError::Missing("expires")))
        .transpose()
}

/// Parse an `<ErrorInfo>` body (any charset its declaration names). `summary` stands in for
/// a missing `summaryEnglish`.
pub fn parse_error_info(body: &[u8]) -> Result<ErrorInfo, ResponseError> {
    read_document(body, "ErrorInfo", |cur| {
        let (mut summary, mut summary_english, mut error_code) = (None, None, None);
        while let Some(tag) = cur.next_child()? {
            match tag.xsi_name() {
                Some("summary") => summary = value(cur)?.map(str::to_owned),
                Some("summaryEnglish") => summary_english = value(cur)?.map(str::to_owned),
                Some("errorCode") => error_code = value(cur)?.and_then(|c| c.parse().ok()),
                _ => cur.skip()?,
            }
        }
        Ok(ErrorInfo {
            summary_english: summary_english
                .or_else(|| summary.clone())
                .ok_or(ResponseError::Missing("summaryEnglish"))?,
            summary,
            error_code,
        })
    })
}

/// Xsi-Actions `CallCenters` directory: the call centers' `serviceUserID`s, in the XSP's order.
pub fn parse_call_centers(body: &[u8]) -> Result<Vec<String>, ResponseError> {
    read_document(body, "CallCenters", |cur| {
        let mut ids = Vec::new();
        each(cur, "callCenter", |cur| {
            let mut id = None;
            each(cur, "serviceUserID", |cur| {
                id = value(cur)?.map(str::to_owned);
                Ok(())
            })?;
            ids.extend(id);
            Ok(())
        })?;
        Ok(ids)
    })
}

/// Xsi-Actions `CallCenterAgents` directory (`.../directories/Agents?callcenter={id}`): the
/// `userId`s of the agents a supervisor sees in `call_center`, in the XSP's order.
pub fn parse_call_center_agents(
    body: &[u8],
    call_center: &str,
) -> Result<Vec<String>, ResponseError> {
    read_document(body, "CallCenterAgents", |cur| {
        let mut agents = Vec::new();
        each(cur, "callCenter", |cur| {
            let (mut id, mut its_agents) = (None, Vec::new());
            while let Some(tag) = cur.next_child()? {
                match tag.xsi_name() {
                    Some("serviceUserID") => id = value(cur)?.map(str::to_owned),
                    Some("agentList") => each(cur, "userDetails", |cur| {
                        each(cur, "userId", |cur| {
                            its_agents.extend(value(cur)?.map(str::to_owned));
                            Ok(())
                        })
                    })?,
                    _ => cur.skip()?,
                }
            }
            // An XSP that answers for several call centers at once is read for the one asked.
            if id.is_none_or(|id| id == call_center) {
                agents.append(&mut its_agents);
            }
            Ok(())
        })?;
        Ok(agents)
    })
}

/// Xsi-Actions `GET .../callcenter/{id}/calls`: the schema's `ACDQueue` (`queueEntries` only
/// present when calls wait). Entries are read as in events, but tolerantly: one without a
/// `callId` is skipped, and a bad number (`addTime` included) leaves its field unset.
pub fn parse_acd_queue(body: &[u8]) -> Result<QueueSnapshot, ResponseError> {
    read_document(body, "ACDQueue", |cur| {
        let mut entries = Vec::new();
        each(cur, "queueEntries", |cur| {
            each(cur, "queueEntry", |cur| {
                let entry = queue_entry_fields(cur, BadAddTime::Unset)?;
                if !entry.call_id.is_empty() {
                    entries.push(entry);
                }
                Ok(())
            })
        })?;
        Ok(QueueSnapshot {
            resync: false,
            entries,
        })
    })
}

/// The answer to a Promote or a Reorder (`QueueCallOrder`): the position the call took, as
/// the XSP gives it (the specification counts from 0, the schema types it as a positive
/// integer: it is passed on as given, never re-based). `None` when the element is absent or
/// not a number (an empty 200 is still a success).
pub fn parse_queue_call_order(body: &[u8]) -> Result<Option<u32>, ResponseError> {
    read_document(body, "QueueCallOrder", |cur| {
        let mut position = None;
        each(cur, "position", |cur| {
            position = value(cur)?.and_then(|p| p.parse().ok());
            Ok(())
        })?;
        Ok(position)
    })
}

/// An `<ACDPromote>` request body, as an XSP reads it (the demo XSP and the tests' mock): the
/// priority asked, 0 (`0-Highest`) .. 3.
pub fn parse_acd_promote(body: &[u8]) -> Result<u8, ResponseError> {
    read_document(body, "ACDPromote", |cur| {
        let mut priority = None;
        each(cur, "priority", |cur| {
            priority = value(cur)?
                .and_then(|p| p.split('-').next())
                .and_then(|p| p.parse().ok())
                .filter(|&p: &u8| p <= 3);
            Ok(())
        })?;
        priority.ok_or(ResponseError::Missing("priority"))
    })
}

/// Decodes `body`, checks that its root is `expected` in the XSI namespace, and reads the
/// root's content with `read`.
fn read_document<T>(
    body: &[u8],
    expected: &'static str,
    read: impl FnOnce(&mut Cursor<'_>) -> Result<T, ResponseError>,
) -> Result<T, ResponseError> {
    let text = decode(body);
    let mut cur = Cursor::new(text.as_bytes());
    let root = cur.root()?;
    if root.xsi_name() != Some(expected) {
        return Err(ResponseError::UnexpectedRoot {
            expected,
            got: root.local_name().to_owned(),
        });
    }
    read(&mut cur)
}

/// Reads each child of the element just entered that is `name` in the XSI namespace with
/// `read`, and skips the others, up to the element's end tag.
fn each<'i>(
    cur: &mut Cursor<'i>,
    name: &str,
    mut read: impl FnMut(&mut Cursor<'i>) -> Result<(), ResponseError>,
) -> Result<(), ResponseError> {
    while let Some(tag) = cur.next_child()? {
        if tag.xsi_name() == Some(name) {
            read(cur)?;
        } else {
            cur.skip()?;
        }
    }
    Ok(())
}

/// The text of the element just entered, trimmed, or `None` when blank. Trimmed of Unicode
/// whitespace too, beyond XML's: these values are ids and numbers, typed by people into
/// BroadWorks' web portal.
fn value<'c>(cur: &'c mut Cursor<'_>) -> Result<Option<&'c str>, ParseError> {
    Ok(cur.text_opt()?.map(str::trim).filter(|t| !t.is_empty()))
}

/// Bytes to text by the document's own word: a byte-order mark, else the XML declaration's
/// `encoding`, else UTF-8. Xsi-Actions answers follow the user's locale (directories,
/// profiles) or the XSP's default charset (platform errors), not always UTF-8 (spec 3.3.4);
/// ISO-8859-1 is common, and `encoding_rs` reads that label as windows-1252, as browsers do,
/// which is right for text typed on Windows clients (`€` is 0x80 there). Bytes the charset
/// cannot map become U+FFFD.
///
/// Events are not decoded: BroadWorks always sends them in UTF-8, and their parser reads the
/// body's bytes as they are.
fn decode(body: &[u8]) -> Cow<'_, str> {
    let declared = declared_encoding(body).unwrap_or(UTF_8);
    // `decode` sniffs a byte-order mark first: it overrides the declaration and is dropped.
    declared.decode(body).0
}

/// The encoding the XML declaration names, when `encoding_rs` knows the label.
fn declared_encoding(body: &[u8]) -> Option<&'static Encoding> {
    let declaration = body.strip_prefix(b"<?xml")?;
    let declaration = &declaration[..find(declaration, b"?>")?];
    let after = find(declaration, b"encoding")? + b"encoding".len();
    let value = declaration[after..]
        .trim_ascii_start()
        .strip_prefix(b"=")?
        .trim_ascii_start();
    let (&quote, value) = value.split_first()?;
    if quote != b'"' && quote != b'\'' {
        return None;
    }
    let label = &value[..value.iter().position(|&b| b == quote)?];
    let encoding = Encoding::for_label(label)
        // Not a WHATWG label, but one this reader has always taken.
        .or_else(|| {
            label
                .eq_ignore_ascii_case(b"latin-1")
                .then_some(WINDOWS_1252)
        })?;
    // A declaration readable as ASCII is in none of the others (UTF-16 without a mark is
    // not), and `replacement` would turn the whole answer into U+FFFD: UTF-8 then.
    encoding.is_ascii_compatible().then_some(encoding)
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}
