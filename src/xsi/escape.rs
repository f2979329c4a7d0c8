//! Text into the XML we write: one escaper for both writers, the events' (`write.rs`) and the
//! requests' (`request.rs`).

use std::borrow::Cow;

/// `text` ready for element content and quoted attribute values. quick-xml's
/// [`escape`](quick_xml::escape::escape) does the markup (`&`, `<`, `>`, `"`, `'`) and writes a
/// carriage return as `&#13;`, so that it survives end-of-line normalisation. What it leaves
/// alone, the characters outside XML 1.0's `Char` production (C0 controls but tab, line feed
/// and carriage return; U+FFFE, U+FFFF), no document may carry even as a reference: each
/// becomes U+FFFD first, or the whole document would be refused.
pub(super) fn escape(text: &str) -> Cow<'_, str> {
    if !text.contains(is_forbidden) {
        return quick_xml::escape::escape(text);
    }
    let replaced: String = text
        .chars()
        .map(|c| {
            if is_forbidden(c) {
                char::REPLACEMENT_CHARACTER
            } else {
                c
            }
        })
        .collect();
    Cow::Owned(quick_xml::escape::escape(replaced).into_owned())
}

/// Characters outside XML 1.0's `Char` production (surrogates cannot occur in a `str`).
fn is_forbidden(c: char) -> bool {
    matches!(c, '\u{0}'..='\u{8}' | '\u{b}' | '\u{c}' | '\u{e}'..='\u{1f}' | '\u{fffe}' | '\u{ffff}')
}
