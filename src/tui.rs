//! Terminal lifecycle and the UI loop.
