//! The numbers supervisors steer by: service level, abandon rate, calls that never queued, and
//! the alert level of each call center.
//!
//! BroadWorks sends ASA, AHT, EWT, longest wait and agent counts (`CallCenterMonitoringEvent`)
//! but no service level and no abandon counts: those are computed here from the ending events
//! of the Call Center Queue package. Every wait is `removeTime - addTime`, both stamped by the
//! XSP, so a late or reordered delivery cannot change a call's wait.
//!
//! Counters run from the last reset (a time of day in an IANA zone, the XSP's notion of "today"
//! for the supervisor) and only go up until the next one.

use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, Ordering};

use jiff::civil::Time;
use jiff::tz::TimeZone;
use serde::Serialize;

use std::sync::Arc;

use super::queue::Queue;
use super::snapshot::QueueMode;
use super::{Board, Thresholds};
use crate::xsi::{CallEventKind, MonitoredValue, NotQueuedKind};

/// Default service-level threshold: answered within 20 s (the industry's 80/20 rule).
pub const DEFAULT_SL_THRESHOLD_SECS: u64 = 20;
/// Default short-abandon limit: a caller who hangs up within 5 s most likely misdialled.
pub const DEFAULT_SHORT_ABANDON_SECS: u64 = 5;

/// Statistics settings of one call center.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// A call answered within this many seconds counts toward the service level.
    pub sl_threshold_secs: u64,
    /// Abandons shorter than this are left out of service level and abandon rate.
    pub short_abandon_secs: u64,
    /// Service level below this percentage is a warning.
    pub sl_target_percent: Option<u8>,
    /// More calls waiting than this is critical.
    pub max_waiting: Option<u32>,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            sl_threshold_secs: DEFAULT_SL_THRESHOLD_SECS,
            short_abandon_secs: DEFAULT_SHORT_ABANDON_SECS,
            sl_target_percent: None,
            max_waiting: None,
        }
    }
}

/// When the counters go back to zero: a time of day in a zone (DST handled by jiff).
#[derive(Debug, Clone, PartialEq)]
pub struct ResetSchedule {
    pub time: Time,
    pub zone: TimeZone,
}

impl Default for ResetSchedule {
    /// Local midnight.
    fn default() -> Self {
        ResetSchedule {
            time: Time::midnight(),
            zone: TimeZone::system(),
        }
    }
}

impl ResetSchedule {
    /// The first reset strictly after `epoch_ms` (epoch ms). A reset time that falls in a DST
    /// gap is moved forward by the gap (02:30 on a spring-forward night is 03:30); one in a
    /// fold happens at its first occurrence (jiff's "compatible" rule, as RFC 5545 has it).
    pub fn next_after(&self, epoch_ms: i64) -> i64 {
        let Ok(now) = jiff::Timestamp::from_millisecond(epoch_ms) else {
            return i64::MAX;
        };
        let mut date = now.to_zoned_datetime(self.zone.clone()).date();
        // Two days always reach a later reset; a third guards against a zone that skips a day.
        for _ in 0..3 {
            let at = self
                .zone
                .to_ambiguous_zoned_datetime(date.to_datetime(self.time))
                .compatible();
            if let Ok(at) = at
                && at.timestamp() > now
            {
                return at.timestamp().as_millisecond();
            }
            match date.tomorrow() {
                Ok(next) => date = next,
                Err(_) => break,
            }
        }
        i64::MAX
    }
}

/// Everything the board needs to compute statistics.
#[derive(Debug, Clone)]
pub struct StatsConfig {
    /// For call centers without their own.
    pub limits: Limits,
    /// Per call center, by `targetId`.
    pub call_centers: HashMap<String, Limits>,
    pub reset: ResetSchedule,
    /// The history's interval: 15, 30 or 60 minutes.
    pub history_interval_mins: u32,
}

impl Default for StatsConfig {
    fn default() -> Self {
        StatsConfig {
            limits: Limits::default(),
            call_centers: HashMap::new(),
            reset: ResetSchedule::default(),
            history_interval_mins: super::history::DEFAULT_INTERVAL_MINS,
        }
    }
}

/// Since when the counters run, and when they next reset; atomics because the applier moves
/// them while the UI and the API read them.
#[derive(Debug)]
pub(crate) struct ResetClock {
    since_ms: AtomicI64,
    next_ms: AtomicI64,
}

impl ResetClock {
    pub(crate) fn new(schedule: &ResetSchedule, started_ms: i64) -> Self {
        ResetClock {
            since_ms: AtomicI64::new(started_ms),
            next_ms: AtomicI64::new(schedule.next_after(started_ms)),
        }
    }

    /// Counting from `since_ms` (counters restored from the state file).
    pub(crate) fn restart_from(&self, since_ms: i64) {
        self.since_ms.store(since_ms, Ordering::Relaxed);
    }

    pub(crate) fn since_ms(&self) -> i64 {
        self.since_ms.load(Ordering::Relaxed)
    }
}

/// Counters of one call center since the last reset, beyond `answered` and `abandoned`.
/// Serialised only into the state file (`persist`), never into `/api/board`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, serde::Deserialize)]
#[serde(default)]
pub(crate) struct CallStats {
    /// Answered calls whose wait is known (both times sent).
    answered_timed: u64,
    answered_within_sl: u64,
    answered_wait_total_ms: i64,
    answered_longest_wait_ms: i64,
    short_abandoned: u64,
    /// Abandoned after waiting longer than the service-level threshold.
    abandoned_after_sl: u64,
    overflowed_size: u64,
    overflowed_time: u64,
    forwarded: u64,
    night: u64,
    holiday: u64,
}

impl CallStats {
    /// A call left the queue for good (`kind.ends_call()`); counted once by the applier.
    /// `wait_ms` is this queue's own wait, `removeTime - addTime` on the XSP's clock (never an
    /// earlier queue's `preservedWaitTime`); `None` when unknown (no removeTime). A whisper
    /// never followed by its answer is answered at the whisper.
    pub(crate) fn record_ending(
        &mut self,
        kind: CallEventKind,
        wait_ms: Option<i64>,
        overflow_reason: Option<&str>,
        limits: Limits,
    ) {
        let within = |wait_ms: i64, secs: u64| wait_ms <= secs_to_ms(secs);
        match kind {
            CallEventKind::WhisperStarted | CallEventKind::AnsweredByAgent => {
                if let Some(wait_ms) = wait_ms {
                    self.answered_timed += 1;
                    if within(wait_ms, limits.sl_threshold_secs) {
                        self.answered_within_sl += 1;
                    }
                    self.answered_wait_total_ms =
                        self.answered_wait_total_ms.saturating_add(wait_ms);
                    self.answered_longest_wait_ms = self.answered_longest_wait_ms.max(wait_ms);
                }
            }
            CallEventKind::Abandoned => match wait_ms {
                Some(w) if w < secs_to_ms(limits.short_abandon_secs) => self.short_abandoned += 1,
                Some(w) if !within(w, limits.sl_threshold_secs) => self.abandoned_after_sl += 1,
                _ => {}
            },
            CallEventKind::Overflowed => match overflow_reason {
                Some("time") => self.overflowed_time += 1,
                // `size` (the queue was full), and any reason the schema may add later.
                _ => self.overflowed_size += 1,
            },
            _ => {}
        }
    }

    pub(crate) fn record_not_queued(&mut self, kind: NotQueuedKind) {
        match kind {
            NotQueuedKind::Forwarded => self.forwarded += 1,
            NotQueuedKind::NightPolicyApplied => self.night += 1,
            NotQueuedKind::HolidayPolicyApplied => self.holiday += 1,
        }
    }
}

pub(super) fn secs_to_ms(secs: u64) -> i64 {
    i64::try_from(secs.saturating_mul(1000)).unwrap_or(i64::MAX)
}

/// How urgent a call center is.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    #[default]
    Normal,
    Warning,
    Critical,
}

impl Severity {
    /// The level in a word, for logs and the alert command's environment.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Normal => "normal",
            Severity::Warning => "warning",
            Severity::Critical => "critical",
        }
    }

    /// The XSP's `SimpleThresholdBasedSeverity`: 0 normal, larger is worse.
    pub fn from_xsp(severity: Option<u8>) -> Self {
        match severity {
            None | Some(0) => Severity::Normal,
            Some(1) => Severity::Warning,
            Some(_) => Severity::Critical,
        }
    }
}

/// The XSP's severity of each monitored value, where it sent one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, serde::Deserialize)]
#[serde(default)]
pub struct XspSeverities {
    pub asa: Option<u8>,
    pub aht: Option<u8>,
    pub ewt: Option<u8>,
    pub longest_wait: Option<u8>,
    pub calls_in_queue: Option<u8>,
}

/// The `stats` object of a call center in `/api/board`.
/// Also read back (`Deserialize`) by `attach`, which mirrors a receiver's board from its stream.
#[derive(Debug, Clone, PartialEq, Default, Serialize, serde::Deserialize)]
#[serde(default)]
pub struct StatsRow {
    /// Answered within the threshold over answered plus abandoned after it; `None` before the
    /// first such call.
    pub service_level_percent: Option<f64>,
    /// Abandoned (less short abandons) over answered plus abandoned (less short abandons).
    pub abandon_percent: Option<f64>,
    pub short_abandoned: u64,
    /// From `CallCenterMonitoringEvent`.
    pub asa_secs: Option<i64>,
    pub aht_secs: Option<i64>,
    pub ewt_secs: Option<i64>,
    pub longest_wait_secs: Option<i64>,
    pub calls_in_queue: Option<i64>,
    pub agents_assigned: Option<i64>,
    pub agents_staffed: Option<i64>,
    pub agents_idle: Option<i64>,
    pub agents_unavailable: Option<i64>,
    /// Staffed less idle less unavailable: BroadWorks has no on-call agent state.
    pub agents_on_call: Option<i64>,
    pub severity: XspSeverities,
    /// Average and longest `removeTime - addTime` of answered calls since the reset.
    pub answered_avg_wait_secs: Option<u64>,
    pub answered_longest_wait_secs: Option<u64>,
    pub overflowed: u64,
    pub overflowed_size: u64,
    pub overflowed_time: u64,
    pub forwarded: u64,
    pub night_holiday: u64,
    /// `None` until the Configuration package said.
    pub mode: Option<ServiceMode>,
    pub sl_threshold_secs: u64,
    pub sl_target_percent: Option<u8>,
    pub max_waiting: Option<u32>,
    /// The worst of the wait thresholds, the configured targets and the XSP's severities.
    pub alert: Severity,
    /// Why `alert` is not normal, one phrase per crossed threshold.
    pub alert_reasons: Arc<[String]>,
}

/// A call center's alert level and why, as the applier evaluates it once a second (waits
/// cross thresholds without any event): the UI, the API and the alert command all read it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct QueueAlert {
    pub level: Severity,
    /// One phrase per threshold crossed (empty when normal).
    pub reasons: Arc<[String]>,
}

/// What a call center does with its calls now, as its Configuration says. Named in the API
/// as `normal`, `night`, `holiday` and `forced-forwarding`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ServiceMode {
    Normal,
    Night,
    Holiday,
    ForcedForwarding,
}

impl ServiceMode {
    /// The mode of `mode`. Forced forwarding overrides holiday service, which overrides night
    /// service, as on the XSP; `None` until the Configuration package said anything.
    pub fn of(mode: &QueueMode) -> Option<ServiceMode> {
        if mode.forced_forwarding == Some(true) {
            Some(ServiceMode::ForcedForwarding)
        } else if mode.holiday_service == Some(true) {
            Some(ServiceMode::Holiday)
        } else if mode.night_service == Some(true) {
            Some(ServiceMode::Night)
        } else if mode == &QueueMode::default() {
            None
        } else {
            Some(ServiceMode::Normal)
        }
    }
}

fn percent(part: u64, whole: u64) -> Option<f64> {
    // Counts stay far below 2^52: the conversion is exact.
    #[expect(clippy::cast_precision_loss, reason = "counts of calls in a day")]
    (whole > 0).then(|| (part as f64) * 100.0 / (whole as f64))
}

fn ms_to_secs(ms: i64) -> u64 {
    u64::try_from(ms).unwrap_or(0) / 1000
}

/// The statistics of `queue`.
pub(crate) fn stats_row(queue: &Queue, limits: Limits) -> StatsRow {
    let s = &queue.stats;
    let monitoring = queue.monitoring.unwrap_or_default();
    let value = |v: Option<MonitoredValue>| v.map(|v| v.value);
    let severity = |v: Option<MonitoredValue>| v.and_then(|v| v.severity);
    let counted_abandons = queue.abandoned.saturating_sub(s.short_abandoned);
    let on_call = match (
        monitoring.num_agents_staffed,
        monitoring.num_staffed_agents_idle,
        monitoring.num_staffed_agents_unavailable,
    ) {
        (Some(staffed), Some(idle), Some(unavailable)) => Some(
            staffed
                .saturating_sub(idle)
                .saturating_sub(unavailable)
                .max(0),
        ),
        _ => None,
    };
    StatsRow {
        service_level_percent: percent(
            s.answered_within_sl,
            s.answered_timed + s.abandoned_after_sl,
        ),
        abandon_percent: percent(counted_abandons, queue.answered + counted_abandons),
        short_abandoned: s.short_abandoned,
        asa_secs: value(monitoring.average_speed_of_answer),
        aht_secs: value(monitoring.average_handling_time),
        ewt_secs: value(monitoring.expected_wait_time),
        longest_wait_secs: value(monitoring.longest_wait_time),
        calls_in_queue: value(monitoring.num_calls_in_queue),
        agents_assigned: monitoring.num_agents_assigned,
        agents_staffed: monitoring.num_agents_staffed,
        agents_idle: monitoring.num_staffed_agents_idle,
        agents_unavailable: monitoring.num_staffed_agents_unavailable,
        agents_on_call: on_call,
        severity: XspSeverities {
            asa: severity(monitoring.average_speed_of_answer),
            aht: severity(monitoring.average_handling_time),
            ewt: severity(monitoring.expected_wait_time),
            longest_wait: severity(monitoring.longest_wait_time),
            calls_in_queue: severity(monitoring.num_calls_in_queue),
        },
        answered_avg_wait_secs: (s.answered_timed > 0)
            .then(|| ms_to_secs(s.answered_wait_total_ms) / s.answered_timed),
        answered_longest_wait_secs: (s.answered_timed > 0)
            .then(|| ms_to_secs(s.answered_longest_wait_ms)),
        overflowed: s.overflowed_size + s.overflowed_time,
        overflowed_size: s.overflowed_size,
        overflowed_time: s.overflowed_time,
        forwarded: s.forwarded,
        night_holiday: s.night + s.holiday,
        mode: ServiceMode::of(&queue.mode),
        sl_threshold_secs: limits.sl_threshold_secs,
        sl_target_percent: limits.sl_target_percent,
        max_waiting: limits.max_waiting,
        // Evaluated once a second by the applier, not once per frame.
        alert: queue.alert.level,
        alert_reasons: Arc::clone(&queue.alert.reasons),
    }
}

/// What a call center's alert level is evaluated from, at one instant.
#[derive(Debug, Clone, Copy)]
pub(crate) struct AlertInputs {
    /// Longest wait of the calls that are not suspect (whole waits, earlier queues included).
    pub longest_wait_secs: u64,
    pub waiting: usize,
    pub thresholds: Thresholds,
    pub limits: Limits,
}

/// The worst level any threshold gives, with a phrase per threshold crossed.
pub(crate) fn evaluate_alert(queue: &Queue, inputs: AlertInputs) -> QueueAlert {
    let mut level = Severity::Normal;
    let mut reasons = Vec::new();
    let mut raise = |to: Severity, why: String| {
        level = level.max(to);
        reasons.push(why);
    };
    let (longest, thresholds) = (inputs.longest_wait_secs, inputs.thresholds);
    if longest >= thresholds.crit_secs {
        raise(
            Severity::Critical,
            format!("longest wait {longest}s >= {}s", thresholds.crit_secs),
        );
    } else if longest >= thresholds.warn_secs {
        raise(
            Severity::Warning,
            format!("longest wait {longest}s >= {}s", thresholds.warn_secs),
        );
    }
    if let Some(max) = inputs.limits.max_waiting
        && inputs.waiting > max as usize
    {
        raise(
            Severity::Critical,
            format!("{} waiting > {max}", inputs.waiting),
        );
    }
    let s = &queue.stats;
    let service_level = percent(
        s.answered_within_sl,
        s.answered_timed + s.abandoned_after_sl,
    );
    if let (Some(target), Some(sl)) = (inputs.limits.sl_target_percent, service_level)
        && sl < f64::from(target)
    {
        raise(
            Severity::Warning,
            format!("service level {sl:.0}% < {target}%"),
        );
    }
    let monitoring = queue.monitoring.unwrap_or_default();
    for (name, value) in [
        ("ASA", monitoring.average_speed_of_answer),
        ("AHT", monitoring.average_handling_time),
        ("EWT", monitoring.expected_wait_time),
        ("XSP longest wait", monitoring.longest_wait_time),
        ("calls in queue", monitoring.num_calls_in_queue),
    ] {
        let Some(value) = value else { continue };
        let severity = Severity::from_xsp(value.severity);
        if severity > Severity::Normal {
            raise(
                severity,
                format!(
                    "{name} {} (XSP severity {})",
                    value.value,
                    value.severity.unwrap_or(0)
                ),
            );
        }
    }
    QueueAlert {
        level,
        reasons: reasons.into(),
    }
}

impl Board {
    /// Statistics settings of a call center.
    pub fn limits_for(&self, id: &str) -> Limits {
        self.config
            .stats
            .call_centers
            .get(id)
            .copied()
            .unwrap_or(self.config.stats.limits)
    }

    /// When the next reset is due (epoch ms, this host).
    pub fn next_reset_ms(&self) -> i64 {
        self.reset.next_ms.load(Ordering::Relaxed)
    }

    /// Zero every call center's counters if the reset time has passed; only the applier calls
    /// this, so no event is counted on the wrong side of a reset.
    pub fn reset_if_due(&self, now_ms: i64) -> bool {
        let due = self.next_reset_ms();
        if now_ms < due {
            return false;
        }
        for mut queue in self.queues.iter_mut() {
            reset_counters(&mut queue);
        }
        self.reset.since_ms.store(due, Ordering::Relaxed);
        self.reset.next_ms.store(
            self.config.stats.reset.next_after(now_ms),
            Ordering::Relaxed,
        );
        true
    }
}

fn reset_counters(queue: &mut Queue) {
    queue.history.clear();
    queue.answered = 0;
    queue.abandoned = 0;
    queue.other_departures = 0;
    queue.not_queued = 0;
    queue.stats = CallStats::default();
}
