//! Clock skew between the XSP (whose clock stamps `addTime`) and this host (which ticks the wait
//! timers). Wait = server now - `addTime`, where server now = host now + offset.
//!
//! Two sources: (a) the XSP's `Date` response header, at the midpoint of the request's round
//! trip (median of recent samples); (b) in listen-only mode, the lower envelope of arrival time
//! minus `addTime` of `ACDCallAddedEvent`s over the last 10 minutes (an Added event is sent as the
//! call is added, so the smallest difference is the offset plus the shortest delivery delay).
//! The offset is applied only when it exceeds 2 s over at least 3 samples: a 1-second `Date`
//! header and network jitter would otherwise move every timer for nothing.

use std::collections::VecDeque;
use std::sync::Mutex;

/// Offsets at or below this (ms) are left uncorrected.
pub const SKEW_THRESHOLD_MS: i64 = 2000;
/// Samples needed before any correction.
pub const SKEW_MIN_SAMPLES: usize = 3;
/// `Date` samples kept (the most recent).
const HTTP_SAMPLES: usize = 15;
/// How far back Added samples count.
const ADDED_WINDOW_MS: i64 = 10 * 60 * 1000;
/// Added samples kept at most (a busy hour has many; the envelope needs few).
const ADDED_SAMPLES: usize = 1024;

#[derive(Debug, Default)]
struct Samples {
    /// Server minus host (ms), one per `Date` header.
    http: VecDeque<i64>,
    /// (arrival on this host, arrival - `addTime`) per Added event.
    added: VecDeque<(i64, i64)>,
}

/// The estimator; shared by the XSP client (HTTP samples) and the applier (Added samples).
#[derive(Debug, Default)]
pub struct ClockSkew {
    samples: Mutex<Samples>,
}

impl ClockSkew {
    /// A response with `Date: date_ms` to a request sent at `sent_ms` and answered at
    /// `received_ms` (host clock): the server stamped it at about the midpoint.
    pub fn record_http(&self, date_ms: i64, sent_ms: i64, received_ms: i64) {
        if received_ms < sent_ms {
            return;
        }
        let midpoint = sent_ms + (received_ms - sent_ms) / 2;
        if let Ok(mut s) = self.samples.lock() {
            s.http.push_back(date_ms - midpoint);
            while s.http.len() > HTTP_SAMPLES {
                s.http.pop_front();
            }
        }
    }

    /// The `Date` header's text, as the XSP sent it (`Sun, 06 Nov 1994 08:49:37 GMT`); ignored
    /// if it does not parse.
    pub fn record_http_header(&self, date: &str, sent_ms: i64, received_ms: i64) {
        if let Some(date_ms) = parse_http_date(date) {
            self.record_http(date_ms, sent_ms, received_ms);
        }
    }

    /// An `ACDCallAddedEvent` with `add_time_ms` (XSP clock) arrived at `arrival_ms` (host).
    pub fn record_added(&self, add_time_ms: i64, arrival_ms: i64) {
        if add_time_ms <= 0 {
            return;
        }
        if let Ok(mut s) = self.samples.lock() {
            s.added.push_back((arrival_ms, arrival_ms - add_time_ms));
            let horizon = arrival_ms.saturating_sub(ADDED_WINDOW_MS);
            while s
                .added
                .front()
                .is_some_and(|&(at, _)| at < horizon || s.added.len() > ADDED_SAMPLES)
            {
                s.added.pop_front();
            }
        }
    }

    /// Server minus host (ms) in force at `now_ms`: 0 until the threshold and sample count are
    /// met. `Date` samples win over the Added envelope when there are enough of them.
    pub fn offset_ms(&self, now_ms: i64) -> i64 {
        let Ok(s) = self.samples.lock() else { return 0 };
        let estimate = if s.http.len() >= SKEW_MIN_SAMPLES {
            let mut sorted: Vec<i64> = s.http.iter().copied().collect();
            sorted.sort_unstable();
            Some(sorted[sorted.len() / 2])
        } else {
            let horizon = now_ms.saturating_sub(ADDED_WINDOW_MS);
            let recent: Vec<i64> = s
                .added
                .iter()
                .filter(|&&(at, _)| at >= horizon)
                .map(|&(_, delay)| delay)
                .collect();
            (recent.len() >= SKEW_MIN_SAMPLES)
                .then(|| recent.iter().copied().min())
                .flatten()
                .map(|host_minus_server| -host_minus_server)
        };
        estimate
            .filter(|o| o.abs() > SKEW_THRESHOLD_MS)
            .unwrap_or(0)
    }

    /// The XSP's clock now, as best known: what wait timers are computed against.
    pub fn server_now(&self, host_now_ms: i64) -> i64 {
        host_now_ms + self.offset_ms(host_now_ms)
    }
}

/// An HTTP `Date` (IMF-fixdate, which is RFC 2822 syntax) as epoch ms.
pub fn parse_http_date(date: &str) -> Option<i64> {
    static PARSER: jiff::fmt::rfc2822::DateTimeParser = jiff::fmt::rfc2822::DateTimeParser::new();
    PARSER
        .parse_timestamp(date.trim())
        .ok()
        .map(jiff::Timestamp::as_millisecond)
}
