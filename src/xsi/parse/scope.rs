//! The namespace declarations in scope, just enough for XSI.
//!
//! quick-xml's `NsReader` resolves every name against a general store and, measured on a 1.3 KB
//! `ACDCallAddedEvent`, halves the plain reader's speed. Here a declaration is only classified
//! (XSI, instance, other) and kept in a map from prefix to its innermost binding, with an undo
//! log to restore what an element shadowed when it closes: a lookup costs one hash of a short
//! prefix, however many declarations a hostile document piles up (a scan of every binding made
//! a body of N declarations and N elements cost N^2).
//!
//! XSI documents declare their two or three prefixes on the root; a document that declares more
//! than [`MAX_NAMESPACE_DECLARATIONS`] in all is refused.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use quick_xml::events::BytesStart;

use super::ParseError;
use crate::xsi::{XSI_INSTANCE_NS, XSI_NS};

/// Namespace declarations taken per document: a real event has two or three.
pub const MAX_NAMESPACE_DECLARATIONS: usize = 32;

/// What a prefix (or the default namespace) is bound to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Ns {
    Xsi,
    Instance,
    Other,
    /// No namespace: an unprefixed name without a default, or `xmlns=""`.
    Unbound,
}

/// One declaration, to be undone when its element closes.
struct Undo {
    /// Depth of the element that declared it.
    depth: usize,
    prefix: Box<str>,
    /// What the prefix meant before (`None`: it was not declared).
    shadowed: Option<Ns>,
}

/// FNV-1a: prefixes are a few bytes, and `SipHash`'s setup would cost more than the scan it
/// replaces. Flooding the map is not a concern: it holds at most
/// [`MAX_NAMESPACE_DECLARATIONS`] prefixes.
#[derive(Default)]
struct Fnv(u64);

impl Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        let mut hash = if self.0 == 0 {
            0xcbf2_9ce4_8422_2325
        } else {
            self.0
        };
        for &b in bytes {
            hash ^= u64::from(b);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
        self.0 = hash;
    }
}

#[derive(Default)]
pub(super) struct Scopes {
    /// Each declared prefix (`""`: the default namespace) and its innermost binding.
    bound: HashMap<Box<str>, Ns, BuildHasherDefault<Fnv>>,
    undo: Vec<Undo>,
    /// Declarations read so far in the document, in scope or not.
    declared: usize,
}

impl Scopes {
    /// Records the `xmlns` / `xmlns:p` attributes of an element opened at `depth`.
    pub(super) fn push(&mut self, depth: usize, start: &BytesStart<'_>) -> Result<(), ParseError> {
        // Most elements declare nothing: skip the attribute parse for them (and most have no
        // attributes at all, which is cheaper still to see).
        let raw = start.attributes_raw();
        if raw.len() < "xmlns".len() || !raw.contains("xmlns") {
            return Ok(());
        }
        for (n, attr) in start.attributes().enumerate() {
            if n >= super::cursor::MAX_ATTRIBUTES {
                return Err(super::cursor::too_many_attributes());
            }
            let attr = attr.map_err(|e| ParseError::Malformed(e.to_string()))?;
            let key = attr.key.into_inner();
            let prefix = match key.strip_prefix("xmlns") {
                Some("") => "",
                Some(rest) => match rest.strip_prefix(':') {
                    Some(prefix) => prefix,
                    None => continue,
                },
                None => continue,
            };
            self.declared += 1;
            if self.declared > MAX_NAMESPACE_DECLARATIONS {
                return Err(ParseError::NotAnEvent(format!(
                    "more than {MAX_NAMESPACE_DECLARATIONS} namespace declarations"
                )));
            }
            let ns = match &*attr.value {
                XSI_NS => Ns::Xsi,
                XSI_INSTANCE_NS => Ns::Instance,
                "" => Ns::Unbound,
                _ => Ns::Other,
            };
            let prefix: Box<str> = prefix.into();
            let shadowed = self.bound.insert(prefix.clone(), ns);
            self.undo.push(Undo {
                depth,
                prefix,
                shadowed,
            });
        }
        Ok(())
    }

    /// Drops the declarations of the element closing at `depth`, restoring what they shadowed.
    pub(super) fn pop(&mut self, depth: usize) {
        while let Some(undo) = self.undo.last() {
            if undo.depth < depth {
                break;
            }
            if let Some(undo) = self.undo.pop() {
                match undo.shadowed {
                    Some(ns) => self.bound.insert(undo.prefix, ns),
                    None => self.bound.remove(&undo.prefix),
                };
            }
        }
    }

    /// The namespace of `prefix` (`""` for the default namespace), innermost declaration;
    /// `None` if it was never declared.
    fn lookup(&self, prefix: &str) -> Option<Ns> {
        if self.bound.is_empty() {
            return None;
        }
        self.bound.get(prefix).copied()
    }

    /// An element name's or a `QName` value's namespace: unprefixed takes the default
    /// namespace. `Err` holds an undeclared prefix.
    pub(super) fn resolve<'n>(&self, prefix: Option<&'n str>) -> Result<Ns, &'n str> {
        match prefix {
            None => Ok(self.lookup("").unwrap_or(Ns::Unbound)),
            // Bound by definition, never declared.
            Some("xml") => Ok(Ns::Other),
            Some(p) => self.lookup(p).ok_or(p),
        }
    }

    /// An attribute name's namespace: unprefixed attributes are in no namespace.
    pub(super) fn resolve_attribute(&self, prefix: Option<&str>) -> Ns {
        prefix.map_or(Ns::Unbound, |p| {
            self.resolve(Some(p)).unwrap_or(Ns::Unbound)
        })
    }
}
