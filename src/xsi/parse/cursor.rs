//! A small pull cursor over quick-xml's `Reader`: children of the current element, their
//! trimmed text, and `xsi:type` `QName`s resolved through the in-scope prefixes ([`Scopes`]).
//!
//! Element names are matched by namespace URI and local name, never by prefix. A value that is
//! one run of plain text is borrowed from the body; one split by entities, CDATA or line ends is
//! put together in one reused scratch buffer. Reading a value costs no allocation; callers
//! allocate only what they keep.

use std::borrow::Cow;

use quick_xml::Reader;
use quick_xml::escape::resolve_predefined_entity;
use quick_xml::events::{BytesStart, Event as XmlEvent};
use quick_xml::name::{Prefix, QName};

use super::ParseError;
use super::scope::{Ns, Scopes};

/// Elements nested deeper are refused: an event is six or seven deep, and a parser that
/// recursed (or a reader that kept a frame per level) must not be walked off a cliff.
pub const MAX_DEPTH: usize = 64;

/// Elements taken per document: a queue snapshot of a few hundred calls has some thousands.
pub const MAX_ELEMENTS: usize = 50_000;

/// Attributes read per start tag: quick-xml checks each against those before it for
/// duplicates, so a tag with thousands would cost their square. XSI tags have one to four.
pub const MAX_ATTRIBUTES: usize = 32;

/// A start tag the cursor stopped at; its content is still unread.
pub(super) struct Tag<'i> {
    start: BytesStart<'i>,
    /// Where the local name starts in the name as written (after `prefix:`).
    local_at: usize,
    /// The element is in the XSI namespace (whatever its prefix).
    in_xsi: bool,
}

impl Tag<'_> {
    /// The local name if the element is in the XSI namespace, else `None` (foreign elements,
    /// such as the unqualified `<reason>` of spec example 4.7.3.16, are skipped by callers).
    pub(super) fn xsi_name(&self) -> Option<&str> {
        self.in_xsi
            .then(|| self.start.name().into_inner().get(self.local_at..))
            .flatten()
    }

    /// The name as written, for messages.
    pub(super) fn qname(&self) -> &str {
        self.start.name().into_inner()
    }

    /// The local name, whatever the namespace (for messages, and to tell documents apart
    /// before they are read).
    pub(super) fn local_name(&self) -> &str {
        self.qname().get(self.local_at..).unwrap_or_default()
    }
}

/// What [`Cursor::text_or_child`] found.
pub(super) enum TextOrChild<'c, 'i> {
    Text(&'c str),
    Child(Tag<'i>),
}

/// The value of an `xsi:type` attribute, resolved through the `QName`'s prefix.
pub(super) enum TypeName<'a> {
    /// The `QName`'s namespace is XSI; holds the local name.
    Xsi(&'a str),
    /// Bound to another namespace (or none); holds the `QName` as written.
    Foreign(&'a str),
}

pub(super) struct Cursor<'i> {
    reader: Reader<&'i [u8]>,
    scopes: Scopes,
    /// Scratch for one element's text, reused across values.
    text: String,
    /// Open elements, to tell a truncated document from a complete one.
    depth: usize,
    /// Elements opened so far.
    elements: usize,
}

impl<'i> Cursor<'i> {
    pub(super) fn new(body: &'i [u8]) -> Self {
        let mut reader = Reader::from_reader(body);
        // `<a/>` becomes Start + End: one code path for empty and non-empty elements.
        reader.config_mut().expand_empty_elements = true;
        Cursor {
            reader,
            scopes: Scopes::default(),
            text: String::with_capacity(64),
            depth: 0,
            elements: 0,
        }
    }

    /// The next event, with the bookkeeping every path needs: depth and namespace scopes.
    ///
    /// Returns the bare quick-xml event: this runs for every node of every document, and a
    /// wider return value (the event with a flag beside it) measurably slowed the whole parse.
    /// Whether a start tag is in the XSI namespace is worked out by [`Self::tag`], only for the
    /// tags a caller looks at.
    fn read(&mut self) -> Result<XmlEvent<'i>, ParseError> {
        let event = match self.reader.read_event() {
            Ok(event) => event,
            Err(error) => return Err(self.malformed(&error)),
        };
        match &event {
            XmlEvent::Start(start) => {
                self.depth += 1;
                self.elements += 1;
                if self.depth > MAX_DEPTH {
                    return Err(ParseError::NotAnEvent(format!(
                        "elements nested deeper than {MAX_DEPTH}"
                    )));
                }
                if self.elements > MAX_ELEMENTS {
                    return Err(ParseError::NotAnEvent(format!(
                        "more than {MAX_ELEMENTS} elements"
                    )));
                }
                self.scopes.push(self.depth, start)?;
            }
            XmlEvent::End(_) => {
                self.scopes.pop(self.depth);
                self.depth = self.depth.saturating_sub(1);
            }
            XmlEvent::Eof if self.depth > 0 => {
                return Err(ParseError::Malformed(
                    "document ends inside an element (truncated body?)".into(),
                ));
            }
            _ => {}
        }
        Ok(event)
    }

    #[cold]
    fn malformed(&self, error: &quick_xml::Error) -> ParseError {
        ParseError::Malformed(format!(
            "{error} (at byte {})",
            self.reader.error_position()
        ))
    }

    /// A start tag just read, with its namespace resolved (its own declarations included).
    fn tag(&self, start: BytesStart<'i>) -> Tag<'i> {
        let name = start.name().into_inner();
        // One scan for the `:`, kept for `xsi_name`: quick-xml's `prefix()` and `local_name()`
        // search the name once each, and that made the parse of an Added event about 10 %
        // slower (criterion, best of four runs: 3.95 against 3.59 µs).
        let (prefix, local_at) = match name.bytes().position(|b| b == b':') {
            Some(colon) => (name.get(..colon), colon + 1),
            None => (None, 0),
        };
        let in_xsi = self.scopes.resolve(prefix) == Ok(Ns::Xsi);
        Tag {
            start,
            local_at,
            in_xsi,
        }
    }

    /// The document element; the prolog (declaration, comments, whitespace) is passed over.
    pub(super) fn root(&mut self) -> Result<Tag<'i>, ParseError> {
        loop {
            match self.read()? {
                XmlEvent::Start(start) => return Ok(self.tag(start)),
                XmlEvent::Text(t) if is_xml_whitespace(&t) => {}
                XmlEvent::Text(_) | XmlEvent::CData(_) | XmlEvent::GeneralRef(_) => {
                    return Err(ParseError::Malformed("text before the root element".into()));
                }
                XmlEvent::Eof => {
                    return Err(ParseError::Malformed("empty document".into()));
                }
                XmlEvent::End(_) => {
                    return Err(ParseError::Malformed(
                        "end tag before the root element".into(),
                    ));
                }
                // XSI events never carry one; a DTD's entities could expand without bound
                // (billion laughs) or name external files. Refused before anything is read.
                XmlEvent::DocType(_) => {
                    return Err(ParseError::NotAnEvent(
                        "a document type declaration (<!DOCTYPE>) is not allowed".into(),
                    ));
                }
                _ => {}
            }
        }
    }

    /// After the root element closed: only whitespace, comments and PIs may follow.
    pub(super) fn finish(&mut self) -> Result<(), ParseError> {
        loop {
            match self.read()? {
                XmlEvent::Eof => return Ok(()),
                XmlEvent::Text(t) if is_xml_whitespace(&t) => {}
                XmlEvent::Comment(_) | XmlEvent::PI(_) => {}
                _ => {
                    return Err(ParseError::Malformed(
                        "content after the root element".into(),
                    ));
                }
            }
        }
    }

    /// The next child element of the element whose start tag was read last, or `None` once
    /// that element's end tag is consumed. Text between children is ignored. The caller must
    /// consume each returned child (a `children` loop, [`Self::text`] or [`Self::skip`]).
    pub(super) fn next_child(&mut self) -> Result<Option<Tag<'i>>, ParseError> {
        loop {
            match self.read()? {
                XmlEvent::Start(start) => return Ok(Some(self.tag(start))),
                XmlEvent::End(_) => return Ok(None),
                // `read` already refused an Eof inside an element; this is a stray one.
                XmlEvent::Eof => {
                    return Err(ParseError::Malformed("unexpected end of document".into()));
                }
                _ => {}
            }
        }
    }

    /// The text of the element just entered, with entities resolved and XML whitespace
    /// trimmed; consumes it to its end tag. Child elements inside are skipped.
    pub(super) fn text(&mut self) -> Result<&str, ParseError> {
        // Nearly every value is one run of plain text: borrow it from the body, no copy.
        let first = self.read()?;
        if let XmlEvent::Text(t) = &first
            && let Cow::Borrowed(plain) = t.xml10_content()
        {
            let after = self.read()?;
            if matches!(after, XmlEvent::End(_)) {
                return Ok(plain.trim_matches(is_xml_whitespace_char));
            }
            self.text.clear();
            self.text.push_str(plain);
            self.collect_text_from(after, false)?;
        } else {
            self.text.clear();
            self.collect_text_from(first, false)?;
        }
        Ok(self.text.trim_matches(is_xml_whitespace_char))
    }

    /// For elements with two wire shapes (a bare value, or child elements): the trimmed text if
    /// the element has no child, else its first child, with the rest to be read by
    /// [`Self::next_child`].
    pub(super) fn text_or_child(&mut self) -> Result<TextOrChild<'_, 'i>, ParseError> {
        self.text.clear();
        let first = self.read()?;
        Ok(match self.collect_text_from(first, true)? {
            Some(tag) => TextOrChild::Child(tag),
            None => TextOrChild::Text(self.text.trim_matches(is_xml_whitespace_char)),
        })
    }

    /// Appends the element's text to the scratch, starting with `event` (already read), up to
    /// its end tag, or up to its first child if `stop_at_child` (then that child is returned,
    /// unread).
    fn collect_text_from(
        &mut self,
        mut event: XmlEvent<'i>,
        stop_at_child: bool,
    ) -> Result<Option<Tag<'i>>, ParseError> {
        loop {
            match event {
                XmlEvent::Text(t) => self.text.push_str(&t.xml10_content()),
                XmlEvent::CData(c) => self.text.push_str(&c),
                XmlEvent::GeneralRef(r) => {
                    if let Some(resolved) = resolve_predefined_entity(&r) {
                        self.text.push_str(resolved);
                    } else if let Ok(Some(c)) = r.resolve_char_ref() {
                        self.text.push(c);
                    } else {
                        return Err(ParseError::Malformed(format!("unknown entity &{};", &*r)));
                    }
                }
                XmlEvent::Start(start) if stop_at_child => return Ok(Some(self.tag(start))),
                XmlEvent::Start(_) => self.skip()?,
                XmlEvent::End(_) => return Ok(None),
                _ => {}
            }
            event = self.read()?;
        }
    }

    /// Text of the element just entered, or `None` if it is empty after trimming.
    pub(super) fn text_opt(&mut self) -> Result<Option<&str>, ParseError> {
        Ok(Some(self.text()?).filter(|s| !s.is_empty()))
    }

    /// Consumes the element just entered, whatever it holds.
    pub(super) fn skip(&mut self) -> Result<(), ParseError> {
        let target = self.depth.saturating_sub(1);
        while self.depth > target {
            self.read()?;
        }
        Ok(())
    }

    /// The element's `xsi:type` (attribute in the XMLSchema-instance namespace, any prefix),
    /// its `QName` resolved with the element's namespace bindings in scope (an unprefixed value
    /// takes the default namespace). Must be called before reading the element's content.
    pub(super) fn xsi_type<'t>(
        &self,
        tag: &'t Tag<'i>,
    ) -> Result<Option<TypeName<'t>>, ParseError> {
        for (n, attr) in tag.start.attributes().enumerate() {
            if n >= MAX_ATTRIBUTES {
                return Err(too_many_attributes());
            }
            let attr = attr.map_err(|e| ParseError::Malformed(e.to_string()))?;
            let (local, prefix) = attr.key.decompose();
            let is_type = local.into_inner() == "type"
                && self
                    .scopes
                    .resolve_attribute(prefix.map(Prefix::into_inner))
                    == Ns::Instance;
            if !is_type {
                continue;
            }
            // The raw attribute value: a `QName` never needs entity references, so one that has
            // them is refused instead of unescaped into an allocation.
            let value = match attr.value {
                std::borrow::Cow::Borrowed(v) if !v.contains('&') => v,
                _ => {
                    return Err(ParseError::NotAnEvent(format!(
                        "xsi:type of {} uses entity references",
                        tag.qname()
                    )));
                }
            };
            let value = value.trim_matches(is_xml_whitespace_char);
            let (local, prefix) = QName(value).decompose();
            return match self.scopes.resolve(prefix.map(Prefix::into_inner)) {
                Ok(Ns::Xsi) => Ok(Some(TypeName::Xsi(local.into_inner()))),
                Ok(_) => Ok(Some(TypeName::Foreign(value))),
                Err(prefix) => Err(ParseError::NotAnEvent(format!(
                    "xsi:type `{value}` uses undeclared prefix `{prefix}`"
                ))),
            };
        }
        Ok(None)
    }
}

#[cold]
pub(super) fn too_many_attributes() -> ParseError {
    ParseError::NotAnEvent(format!(
        "a start tag has more than {MAX_ATTRIBUTES} attributes"
    ))
}

fn is_xml_whitespace_char(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\r' | '\n')
}

fn is_xml_whitespace(s: &str) -> bool {
    s.chars().all(is_xml_whitespace_char)
}
