//! What supervisors steer by, on each call center's panel: service level, abandon rate, the
//! XSP's averages, free agents, the mode badge and the alert level.

use ratatui::style::Color;
use ratatui::text::{Line, Span};

use super::format::wait;
use super::theme::{Theme, WaitLevel};
use crate::board::{QueueRow, Severity};
use crate::xsi::{AgentState, Package};

/// The alert level as the wait marks show it, so one legend serves both.
pub(super) fn level(severity: Severity) -> WaitLevel {
    match severity {
        Severity::Normal => WaitLevel::Normal,
        Severity::Warning => WaitLevel::Warning,
        Severity::Critical => WaitLevel::Critical,
    }
}

/// ` SL 87% abd 11% ASA 0:14 EWT 1:40 free 1 on call 2 unav 0 ` with the mode and
/// alert badges first, for the panel's bottom border. Unknown values show as `-`; narrow
/// panels clip the end (the badges and the percentages come first for that reason).
pub(super) fn line<'a>(queue: &QueueRow, theme: Theme) -> Line<'a> {
    let stats = &queue.stats;
    let mut spans = vec![Span::raw(" ")];
    if let Some(badge) = mode_badge(stats.mode) {
        // Night service switched on by hand, overriding its schedule.
        let forced = badge == "NIGHT" && queue.mode.force_night_service == Some(true);
        spans.push(Span::styled(
            format!(" {badge}{} ", if forced { " (forced)" } else { "" }),
            theme.badge(Color::Magenta),
        ));
        spans.push(Span::raw(" "));
    }
    if !queue.truth.degraded.is_empty() {
        // The numbers of a package that is down may be old (monitoring: ASA, agents...).
        let packages: Vec<&str> = queue
            .truth
            .degraded
            .iter()
            .filter_map(|name| Package::parse(name).map(Package::short))
            .collect();
        spans.push(Span::styled(
            format!(" no {} ", packages.join(", ")),
            theme.badge(Color::Yellow),
        ));
        spans.push(Span::raw(" "));
    }
    match stats.alert {
        Severity::Normal => {}
        Severity::Warning => {
            spans.push(Span::styled(" WARN ", theme.badge(Color::Yellow)));
            spans.push(Span::raw(" "));
        }
        Severity::Critical => {
            spans.push(Span::styled(" CRIT ", theme.badge(Color::Red)));
            spans.push(Span::raw(" "));
        }
    }
    let below_target = matches!(
        (stats.service_level_percent, stats.sl_target_percent),
        (Some(sl), Some(target)) if sl < f64::from(target)
    );
    spans.push(Span::styled(
        format!("SL {}", percent(stats.service_level_percent)),
        if below_target {
            theme.wait(WaitLevel::Warning)
        } else {
            theme.value()
        },
    ));
    // Single spaces: a 64-column panel (three side by side on 200 columns) shows it all.
    // Wrap-up is known only from the agents followed ("Call Center Agent" package).
    let wrap_up = queue
        .agents
        .iter()
        .filter(|a| a.state == Some(AgentState::WrapUp))
        .count();
    let wrap_up = if queue.agents.is_empty() {
        String::new()
    } else {
        format!(" wrap {wrap_up}")
    };
    spans.push(Span::raw(format!(
        " abd {} ASA {} EWT {} free {} on call {}{wrap_up} unav {} ",
        percent(stats.abandon_percent),
        secs(stats.asa_secs),
        secs(stats.ewt_secs),
        count(stats.agents_idle),
        count(stats.agents_on_call),
        count(stats.agents_unavailable),
    )));
    Line::from(spans)
}

/// NIGHT, HOLIDAY or FORWARDED: a closed queue must not look like a quiet one.
pub(super) fn mode_badge(mode: Option<&str>) -> Option<&'static str> {
    match mode {
        Some("night") => Some("NIGHT"),
        Some("holiday") => Some("HOLIDAY"),
        Some("forced-forwarding") => Some("FORWARDED"),
        _ => None,
    }
}

pub(super) fn percent(value: Option<f64>) -> String {
    value.map_or_else(|| "-".to_owned(), |p| format!("{p:.0}%"))
}

pub(super) fn secs(value: Option<i64>) -> String {
    value.map_or_else(|| "-".to_owned(), |s| wait(u64::try_from(s).unwrap_or(0)))
}

pub(super) fn count(value: Option<i64>) -> String {
    value.map_or_else(|| "-".to_owned(), |n| n.to_string())
}
