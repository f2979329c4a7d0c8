//! One call center's queue.

/// One call center: its waiting calls in serving order and its counters.
#[derive(Debug, Default)]
pub struct Queue {}
