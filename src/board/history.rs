//! The day in intervals: per call center, per interval (15, 30 or 60 minutes) since the daily
//! reset, what was offered, answered and abandoned, the service level, ASA, the longest wait,
//! the most calls waiting at once and the agents staffed.
//!
//! Written by the applier alone, with the queue it changes; an interval is picked by the XSP's
//! clock (`addTime` for an offer, `removeTime` for an answer or an abandon), so a late event
//! lands where it happened, not where it arrived. Intervals start on the reset zone's wall
//! clock (10:00, 10:15, ...), whatever the zone's offset. Kept across a restart the same day in
//! the state file, and cleared with the other counters at the reset.

use std::collections::BTreeMap;

use jiff::tz::TimeZone;
use serde::{Deserialize, Serialize};

use super::stats::{Limits, secs_to_ms};

/// Interval lengths a supervisor may choose (`history_interval_mins`).
pub const INTERVAL_CHOICES: [u32; 3] = [15, 30, 60];
/// Unless the configuration says otherwise.
pub const DEFAULT_INTERVAL_MINS: u32 = 15;
/// A day of the shortest intervals, and a little over: the oldest go first past it (a board
/// left without a reset, e.g. a reset zone that never comes round).
const MAX_INTERVALS: usize = 100;

/// One interval's counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Interval {
    pub offered: u64,
    pub answered: u64,
    pub abandoned: u64,
    pub short_abandoned: u64,
    /// Answered calls whose wait is known, and of those, within the service-level threshold.
    pub answered_timed: u64,
    pub answered_within_sl: u64,
    /// Abandoned after waiting longer than the threshold: they count against the level.
    pub abandoned_after_sl: u64,
    pub answer_wait_total_ms: i64,
    pub longest_wait_ms: i64,
    pub max_waiting: u32,
    /// The most agents staffed that monitoring reported in the interval.
    pub agents_staffed: Option<i64>,
}

impl Interval {
    /// Two call centers' intervals as one: counts add, the longest wait is the longer, and
    /// the most waiting at once adds (peaks need not coincide: an upper bound).
    fn add(&mut self, other: &Interval) {
        self.offered += other.offered;
        self.answered += other.answered;
        self.abandoned += other.abandoned;
        self.short_abandoned += other.short_abandoned;
        self.answered_timed += other.answered_timed;
        self.answered_within_sl += other.answered_within_sl;
        self.abandoned_after_sl += other.abandoned_after_sl;
        self.answer_wait_total_ms = self
            .answer_wait_total_ms
            .saturating_add(other.answer_wait_total_ms);
        self.longest_wait_ms = self.longest_wait_ms.max(other.longest_wait_ms);
        self.max_waiting = self.max_waiting.saturating_add(other.max_waiting);
        self.agents_staffed = match (self.agents_staffed, other.agents_staffed) {
            (Some(a), Some(b)) => Some(a + b),
            (a, b) => a.or(b),
        };
    }

    /// Answered within the threshold, of answered (timed) and abandoned after it.
    pub fn service_level_percent(&self) -> Option<f64> {
        let whole = self.answered_timed + self.abandoned_after_sl;
        #[expect(clippy::cast_precision_loss, reason = "counts of calls in an interval")]
        (whole > 0).then(|| self.answered_within_sl as f64 * 100.0 / whole as f64)
    }

    /// Average speed of answer (seconds), of the answers whose wait is known.
    pub fn asa_secs(&self) -> Option<i64> {
        let timed = i64::try_from(self.answered_timed).ok().filter(|&n| n > 0)?;
        Some(self.answer_wait_total_ms / timed / 1000)
    }
}

/// One call center's intervals, by start (epoch ms).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub(crate) struct History {
    intervals: BTreeMap<i64, Interval>,
}

/// Where the intervals fall: their length and the zone whose wall clock they follow.
#[derive(Debug, Clone, PartialEq)]
pub struct IntervalClock {
    pub minutes: u32,
    pub zone: TimeZone,
}

impl Default for IntervalClock {
    fn default() -> Self {
        IntervalClock {
            minutes: DEFAULT_INTERVAL_MINS,
            zone: TimeZone::system(),
        }
    }
}

impl IntervalClock {
    /// The start (epoch ms) of the interval holding `at_ms`.
    pub fn start_of(&self, at_ms: i64) -> i64 {
        let offset_ms = jiff::Timestamp::from_millisecond(at_ms)
            .map_or(0, |t| i64::from(self.zone.to_offset(t).seconds()) * 1000);
        let length = i64::from(self.minutes.max(1)) * 60_000;
        (at_ms + offset_ms).div_euclid(length) * length - offset_ms
    }
}

impl History {
    fn at(&mut self, clock: &IntervalClock, at_ms: i64) -> &mut Interval {
        let start = clock.start_of(at_ms);
        if self.intervals.len() >= MAX_INTERVALS
            && !self.intervals.contains_key(&start)
            && let Some(oldest) = self.intervals.keys().next().copied()
        {
            self.intervals.remove(&oldest);
        }
        self.intervals.entry(start).or_default()
    }

    /// A call entered the queue at `added_ms` (XSP clock).
    pub(crate) fn offered(&mut self, clock: &IntervalClock, added_ms: i64) {
        self.at(clock, added_ms).offered += 1;
    }

    /// A call was answered at `removed_ms` after waiting `wait_ms` (when known).
    pub(crate) fn answered(
        &mut self,
        clock: &IntervalClock,
        removed_ms: i64,
        wait_ms: Option<i64>,
        limits: Limits,
    ) {
        let interval = self.at(clock, removed_ms);
        interval.answered += 1;
        if let Some(wait_ms) = wait_ms {
            interval.answered_timed += 1;
            interval.answer_wait_total_ms = interval.answer_wait_total_ms.saturating_add(wait_ms);
            interval.longest_wait_ms = interval.longest_wait_ms.max(wait_ms);
            if wait_ms <= secs_to_ms(limits.sl_threshold_secs) {
                interval.answered_within_sl += 1;
            }
        }
    }

    /// A caller hung up at `removed_ms` after waiting `wait_ms` (when known).
    pub(crate) fn abandoned(
        &mut self,
        clock: &IntervalClock,
        removed_ms: i64,
        wait_ms: Option<i64>,
        limits: Limits,
    ) {
        let interval = self.at(clock, removed_ms);
        interval.abandoned += 1;
        if let Some(wait_ms) = wait_ms {
            interval.longest_wait_ms = interval.longest_wait_ms.max(wait_ms);
            if wait_ms < secs_to_ms(limits.short_abandon_secs) {
                interval.short_abandoned += 1;
            } else if wait_ms > secs_to_ms(limits.sl_threshold_secs) {
                interval.abandoned_after_sl += 1;
            }
        }
    }

    /// `waiting` calls wait at `at_ms`.
    pub(crate) fn waiting(&mut self, clock: &IntervalClock, at_ms: i64, waiting: usize) {
        let interval = self.at(clock, at_ms);
        interval.max_waiting = interval
            .max_waiting
            .max(u32::try_from(waiting).unwrap_or(u32::MAX));
    }

    /// Monitoring reported `staffed` agents at `at_ms`.
    pub(crate) fn staffed(&mut self, clock: &IntervalClock, at_ms: i64, staffed: i64) {
        let interval = self.at(clock, at_ms);
        interval.agents_staffed = Some(interval.agents_staffed.map_or(staffed, |s| s.max(staffed)));
    }

    pub(crate) fn clear(&mut self) {
        self.intervals.clear();
    }

    /// The intervals in order, each with its start.
    pub(crate) fn intervals(&self) -> impl Iterator<Item = (i64, &Interval)> {
        self.intervals
            .iter()
            .map(|(start, interval)| (*start, interval))
    }
}

/// `/api/history`: a contract, like `/api/board` (fields added, never renamed).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ApiHistory {
    pub interval_mins: u32,
    /// Sorted by display name, then id.
    pub call_centers: Vec<ApiCallCenterHistory>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ApiCallCenterHistory {
    pub id: String,
    pub name: String,
    /// In order, only the intervals in which something happened.
    pub intervals: Vec<ApiInterval>,
}

/// One interval, as `/api/history` and each row of `/api/history.csv` give it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ApiInterval {
    /// RFC 3339, in the reset zone's offset.
    pub start: String,
    pub offered: u64,
    pub answered: u64,
    pub abandoned: u64,
    pub short_abandoned: u64,
    pub service_level_percent: Option<f64>,
    pub asa_secs: Option<i64>,
    pub longest_wait_secs: i64,
    pub max_waiting: u32,
    pub agents_staffed: Option<i64>,
}

impl ApiInterval {
    fn new(clock: &IntervalClock, start_ms: i64, interval: &Interval) -> Self {
        let start = jiff::Timestamp::from_millisecond(start_ms).map_or_else(
            |_| start_ms.to_string(),
            |t| {
                t.to_zoned_datetime(clock.zone.clone())
                    .strftime("%Y-%m-%dT%H:%M:%S%:z")
                    .to_string()
            },
        );
        ApiInterval {
            start,
            offered: interval.offered,
            answered: interval.answered,
            abandoned: interval.abandoned,
            short_abandoned: interval.short_abandoned,
            service_level_percent: interval
                .service_level_percent()
                .map(|p| (p * 10.0).round() / 10.0),
            asa_secs: interval.asa_secs(),
            longest_wait_secs: interval.longest_wait_ms / 1000,
            max_waiting: interval.max_waiting,
            agents_staffed: interval.agents_staffed,
        }
    }
}

impl super::Board {
    /// The day in intervals, every call center that has any.
    pub fn history(&self) -> ApiHistory {
        let clock = &self.intervals;
        let mut call_centers: Vec<ApiCallCenterHistory> = self
            .queues
            .iter()
            .map(|queue| ApiCallCenterHistory {
                id: queue.key().to_string(),
                name: queue.name.to_string(),
                intervals: queue
                    .history
                    .intervals()
                    .map(|(start, interval)| ApiInterval::new(clock, start, interval))
                    .collect(),
            })
            .collect();
        call_centers.sort_by(|a, b| a.name.cmp(&b.name).then_with(|| a.id.cmp(&b.id)));
        ApiHistory {
            interval_mins: clock.minutes,
            call_centers,
        }
    }
}

impl super::Board {
    /// Every call center's intervals added up, interval by interval, the service level and
    /// ASA computed from the added counts.
    pub fn history_all(&self) -> ApiCallCenterHistory {
        let clock = &self.intervals;
        let mut sum: BTreeMap<i64, Interval> = BTreeMap::new();
        for queue in &self.queues {
            for (start, interval) in queue.history.intervals() {
                sum.entry(start).or_default().add(interval);
            }
        }
        ApiCallCenterHistory {
            id: String::new(),
            name: "all call centers".to_owned(),
            intervals: sum
                .iter()
                .map(|(start, interval)| ApiInterval::new(clock, *start, interval))
                .collect(),
        }
    }
}

impl ApiHistory {
    /// One row per call center and interval, the JSON's names as the header.
    pub fn to_csv(&self) -> String {
        let opt = |v: Option<String>| v.unwrap_or_default();
        let mut writer = csv::Writer::from_writer(Vec::new());
        // Writing to memory cannot fail.
        let _ = writer.write_record(CSV_HEADER);
        for cc in &self.call_centers {
            for i in &cc.intervals {
                let _ = writer.write_record([
                    cc.id.clone(),
                    cc.name.clone(),
                    i.start.clone(),
                    i.offered.to_string(),
                    i.answered.to_string(),
                    i.abandoned.to_string(),
                    i.short_abandoned.to_string(),
                    opt(i.service_level_percent.map(|p| p.to_string())),
                    opt(i.asa_secs.map(|s| s.to_string())),
                    i.longest_wait_secs.to_string(),
                    i.max_waiting.to_string(),
                    opt(i.agents_staffed.map(|s| s.to_string())),
                ]);
            }
        }
        String::from_utf8(writer.into_inner().unwrap_or_default()).unwrap_or_default()
    }
}

/// The CSV's columns.
pub const CSV_HEADER: [&str; 12] = [
    "id",
    "name",
    "start",
    "offered",
    "answered",
    "abandoned",
    "short_abandoned",
    "service_level_percent",
    "asa_secs",
    "longest_wait_secs",
    "max_waiting",
    "agents_staffed",
];

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(minutes: u32) -> IntervalClock {
        IntervalClock {
            minutes,
            zone: TimeZone::UTC,
        }
    }

    fn ms(rfc3339: &str) -> i64 {
        rfc3339.parse::<jiff::Timestamp>().map_or_else(
            |e| panic!("{rfc3339}: {e}"),
            jiff::Timestamp::as_millisecond,
        )
    }

    /// 10:14:59.999 is in the interval of 10:00; 10:15:00 starts the next.
    #[test]
    fn interval_boundaries_fall_on_the_quarter_hour() {
        let clock = utc(15);
        assert_eq!(
            clock.start_of(ms("2026-12-03T10:14:59.999Z")),
            ms("2026-12-03T10:00:00Z")
        );
        assert_eq!(
            clock.start_of(ms("2026-12-03T10:15:00Z")),
            ms("2026-12-03T10:15:00Z")
        );
        assert_eq!(
            utc(60).start_of(ms("2026-12-03T10:59:00Z")),
            ms("2026-12-03T10:00:00Z")
        );
    }

    /// Hours start on the zone's wall clock, also where it is half an hour off UTC.
    #[test]
    fn intervals_follow_the_zones_wall_clock() {
        let clock = IntervalClock {
            minutes: 60,
            zone: TimeZone::get("Asia/Kolkata").expect("zone"),
        };
        // 10:20 in Kolkata is 04:50 UTC; its hour began at 10:00 local, 04:30 UTC.
        assert_eq!(
            clock.start_of(ms("2026-12-03T04:50:00Z")),
            ms("2026-12-03T04:30:00Z")
        );
    }

    #[test]
    fn an_answer_and_an_abandon_land_in_their_own_intervals() {
        let clock = utc(15);
        let limits = Limits::default();
        let mut history = History::default();
        history.answered(&clock, ms("2026-12-03T10:14:59Z"), Some(12_000), limits);
        history.answered(&clock, ms("2026-12-03T10:15:00Z"), Some(40_000), limits);
        history.abandoned(&clock, ms("2026-12-03T10:15:30Z"), Some(2_000), limits);
        let intervals: Vec<_> = history.intervals().collect();
        assert_eq!(intervals.len(), 2);
        let (first, second) = (intervals[0].1, intervals[1].1);
        assert_eq!((first.answered, first.answered_within_sl), (1, 1));
        assert_eq!(first.asa_secs(), Some(12));
        assert_eq!((second.answered, second.answered_within_sl), (1, 0));
        assert_eq!((second.abandoned, second.short_abandoned), (1, 1));
        assert_eq!(second.service_level_percent(), Some(0.0));
        assert_eq!(second.longest_wait_ms, 40_000);
    }
}
