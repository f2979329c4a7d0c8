//! The HTTP contact: an axum router that takes XSI events, answers the XSP at once and hands
//! the parsed events to the applier.
