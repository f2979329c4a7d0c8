//! The XSI protocol: XML documents to typed events and back.

mod escape;
mod event;
mod package;
pub mod parse;
pub mod request;
pub mod write;

pub use event::*;
pub use package::Package;
pub use parse::{ParseError, parse_event, root_local_name, salvage_envelope};
pub use write::{write_event, write_queue_event};

/// The XSI namespace URI: every XSI element is in it, whatever its prefix.
pub const XSI_NS: &str = "http://schema.broadsoft.com/xsi";
/// XML Schema instance namespace: home of the `type` attribute.
pub const XSI_INSTANCE_NS: &str = "http://www.w3.org/2001/XMLSchema-instance";
