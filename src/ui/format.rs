//! Durations and text fitted to the cells they get.

use std::borrow::Cow;

use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

pub use crate::board::privacy::{mask_name, mask_number};

/// A wait as a supervisor reads it: `m:ss` below an hour, `h:mm:ss` from an hour on.
pub fn wait(secs: u64) -> String {
    let (h, m, s) = (secs / 3600, secs / 60 % 60, secs % 60);
    if h > 0 {
        format!("{h}:{m:02}:{s:02}")
    } else {
        format!("{m}:{s:02}")
    }
}

/// Time since something happened, short: `4s`, `2m05s`, `1h07m`; `never` without one.
pub fn ago(secs: Option<u64>) -> String {
    match secs {
        None => "never".to_owned(),
        Some(s) if s < 60 => format!("{s}s"),
        Some(s) if s < 3600 => format!("{}m{:02}s", s / 60, s % 60),
        Some(s) => format!("{}h{:02}m", s / 3600, s / 60 % 60),
    }
}

/// Display width in terminal cells.
pub fn width(text: &str) -> usize {
    text.width()
}

/// `text` cut to at most `max` cells, ending in `…` when cut. Wide (CJK) characters are never
/// split, so the result may be a cell short.
pub fn truncate(text: &str, max: usize) -> Cow<'_, str> {
    if text.width() <= max {
        return Cow::Borrowed(text);
    }
    if max == 0 {
        return Cow::Borrowed("");
    }
    let mut out = String::with_capacity(max + 2);
    let mut used = 0;
    for ch in text.chars() {
        let w = ch.width().unwrap_or(0);
        if used + w > max - 1 {
            break;
        }
        used += w;
        out.push(ch);
    }
    out.push('…');
    Cow::Owned(out)
}

/// `text` truncated and padded with spaces to exactly `cells` cells (left aligned).
pub fn fit(text: &str, cells: usize) -> String {
    let cut = truncate(text, cells);
    let pad = cells.saturating_sub(cut.width());
    let mut out = String::with_capacity(cut.len() + pad);
    out.push_str(&cut);
    out.extend(std::iter::repeat_n(' ', pad));
    out
}

/// `text` truncated and padded to exactly `cells` cells, right aligned (numbers, timers).
pub fn fit_right(text: &str, cells: usize) -> String {
    let cut = truncate(text, cells);
    let pad = cells.saturating_sub(cut.width());
    let mut out = String::with_capacity(cut.len() + pad);
    out.extend(std::iter::repeat_n(' ', pad));
    out.push_str(&cut);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_read_as_minutes_then_hours() {
        assert_eq!(wait(0), "0:00");
        assert_eq!(wait(59), "0:59");
        assert_eq!(wait(61), "1:01");
        assert_eq!(wait(3599), "59:59");
        assert_eq!(wait(3600), "1:00:00");
        assert_eq!(wait(36_061), "10:01:01");
    }

    #[test]
    fn ago_is_short() {
        assert_eq!(ago(None), "never");
        assert_eq!(ago(Some(4)), "4s");
        assert_eq!(ago(Some(125)), "2m05s");
        assert_eq!(ago(Some(4020)), "1h07m");
    }

    #[test]
    fn truncate_counts_cells_not_bytes() {
        assert_eq!(truncate("Zoë", 3), "Zoë");
        assert_eq!(truncate("Zoë Müller", 5), "Zoë …");
        assert_eq!(truncate("山田太郎", 5), "山田…");
        assert_eq!(truncate("abc", 0), "");
        assert_eq!(fit("山田太郎", 5), "山田…");
        assert_eq!(fit("山田太郎", 6), "山田… ");
        // A wide character never splits: one cell short, padded.
        assert_eq!(fit("山田太郎", 4), "山… ");
        assert_eq!(fit_right("7", 3), "  7");
    }
}
