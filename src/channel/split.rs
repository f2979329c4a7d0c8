//! The event channel's response body is one long chunked stream of XML documents; HTTP chunk
//! boundaries mean nothing to it. [`Splitter`] takes the bytes as they come and hands back each
//! complete document, whatever the chunking: a document split over many chunks, several in one
//! chunk, whitespace, XML declarations or comments between them.
//!
//! It reads only markup boundaries (tags, comments, CDATA, processing instructions, quoted
//! attribute values) and counts element depth; checking well-formedness is the parser's job.

use bytes::{Buf, Bytes, BytesMut};

/// Largest document taken; as on the HTTP contact (a queue snapshot is well under this).
pub const MAX_DOCUMENT_BYTES: usize = crate::listener::MAX_BODY_BYTES;

/// The stream cannot be split any further: the channel must be reopened.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SplitError {
    #[error("document larger than {MAX_DOCUMENT_BYTES} bytes")]
    TooLarge,
    #[error("text outside any document: {0:?}")]
    StrayText(String),
    #[error("closing tag with no open element")]
    Unbalanced,
}

/// Incremental splitter; keeps only the unfinished document between calls.
#[derive(Debug, Default)]
pub struct Splitter {
    buf: BytesMut,
    /// Bytes of `buf` already scanned (always at a markup boundary or in text).
    pos: usize,
    /// Open elements of the current document; 0 between documents.
    depth: usize,
    /// Where the current document's root starts in `buf`, when one has started.
    start: Option<usize>,
}

/// What one piece of markup is.
enum Markup {
    Open,
    Close,
    /// Self-closing element, comment, declaration, processing instruction, CDATA.
    Neutral {
        element: bool,
    },
}

impl Splitter {
    pub fn new() -> Self {
        Splitter::default()
    }

    /// Take more bytes; append each document completed by them to `out`.
    pub fn push(&mut self, chunk: &[u8], out: &mut Vec<Bytes>) -> Result<(), SplitError> {
        self.buf.extend_from_slice(chunk);
        loop {
            let Some(lt) = self.buf[self.pos..].iter().position(|&b| b == b'<') else {
                self.check_text(self.buf.len())?;
                self.pos = self.buf.len();
                break;
            };
            let lt = self.pos + lt;
            self.check_text(lt)?;
            // Wait for the rest of a tag split across chunks; `pos` stays at its `<`.
            let Some((markup, end)) = scan_markup(&self.buf[lt..]) else {
                self.pos = lt;
                break;
            };
            let end = lt + end;
            match markup {
                Markup::Open => {
                    if self.depth == 0 {
                        self.start = Some(lt);
                    }
                    self.depth += 1;
                }
                Markup::Close => {
                    self.depth = self.depth.checked_sub(1).ok_or(SplitError::Unbalanced)?;
                    if self.depth == 0 {
                        self.emit(end, out);
                        continue;
                    }
                }
                Markup::Neutral { element: true } if self.depth == 0 => {
                    // A whole document in one empty element: `<ChannelHeartBeat/>`.
                    self.start = Some(lt);
                    self.emit(end, out);
                    continue;
                }
                Markup::Neutral { .. } => {}
            }
            self.pos = end;
        }
        self.discard_between_documents();
        if self.buf.len() > MAX_DOCUMENT_BYTES {
            return Err(SplitError::TooLarge);
        }
        Ok(())
    }

    /// True when no document is half-read (a stream that ends here lost nothing).
    pub fn is_between_documents(&self) -> bool {
        self.depth == 0 && self.buf[self.pos..].iter().all(u8::is_ascii_whitespace)
    }

    /// Hand out `buf[start..end]` and forget everything before `end`.
    fn emit(&mut self, end: usize, out: &mut Vec<Bytes>) {
        let start = self.start.take().unwrap_or(0);
        let mut taken = self.buf.split_to(end);
        taken.advance(start);
        out.push(taken.freeze());
        self.pos = 0;
    }

    /// Between documents, scanned bytes (whitespace, declarations) need not be kept.
    fn discard_between_documents(&mut self) {
        if self.depth == 0 && self.start.is_none() && self.pos > 0 {
            self.buf.advance(self.pos);
            self.pos = 0;
        }
    }

    /// Outside a document only whitespace may stand between markup.
    fn check_text(&self, upto: usize) -> Result<(), SplitError> {
        if self.depth > 0 {
            return Ok(());
        }
        let text = &self.buf[self.pos..upto];
        // A byte-order mark may open the stream.
        let text = text.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(text);
        if text.iter().all(u8::is_ascii_whitespace) {
            Ok(())
        } else {
            let shown: String = String::from_utf8_lossy(text).chars().take(40).collect();
            Err(SplitError::StrayText(shown))
        }
    }
}

/// The markup starting at `bytes[0] == b'<'` and the index just past its end, or `None` if it
/// does not end within `bytes` yet.
fn scan_markup(bytes: &[u8]) -> Option<(Markup, usize)> {
    let ends_at = |open: &[u8], close: &[u8]| -> Option<Option<usize>> {
        if bytes.len() < open.len() {
            // Too short to tell what it is yet, unless it already differs.
            return open.starts_with(bytes).then_some(None);
        }
        bytes
            .starts_with(open)
            .then(|| find(&bytes[open.len()..], close).map(|i| open.len() + i + close.len()))
    };
    let neutral = Markup::Neutral { element: false };
    if let Some(end) = ends_at(b"<!--", b"-->") {
        return end.map(|e| (neutral, e));
    }
    if let Some(end) = ends_at(b"<![CDATA[", b"]]>") {
        return end.map(|e| (neutral, e));
    }
    if let Some(end) = ends_at(b"<?", b"?>") {
        return end.map(|e| (neutral, e));
    }
    // A start, end or empty-element tag, or `<!DOCTYPE ...>`: ends at the first `>` outside
    // a quoted attribute value.
    let mut quote = None;
    for (i, &b) in bytes.iter().enumerate().skip(1) {
        match (quote, b) {
            (Some(q), _) if b == q => quote = None,
            (None, b'"' | b'\'') => quote = Some(b),
            (None, b'>') => {
                let markup = match bytes.get(1) {
                    Some(b'/') => Markup::Close,
                    Some(b'!') => Markup::Neutral { element: false },
                    _ if bytes[i - 1] == b'/' => Markup::Neutral { element: true },
                    _ => Markup::Open,
                };
                return Some((markup, i + 1));
            }
            // Inside a quoted value, or an ordinary byte of the tag.
            _ => {}
        }
    }
    None
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}
