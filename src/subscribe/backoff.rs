//! Capped exponential backoff with jitter, so that many wallboards cut off by one XSP outage do
//! not all come back in the same second.

use std::time::Duration;

use rand::Rng;

/// The delay before retry number `attempt` (1 for the first): `base * 2^(attempt-1)`, capped at
/// `max`, then drawn uniformly from its upper half ("equal jitter": never less than half, so
/// the cap still spaces retries out).
pub fn delay(attempt: u32, base: Duration, max: Duration) -> Duration {
    let doubled = base.saturating_mul(1 << attempt.saturating_sub(1).min(16));
    let capped = doubled.min(max);
    let half = capped / 2;
    let jitter = rand::rng().random_range(0.0..=1.0);
    half + half.mul_f64(jitter)
}
