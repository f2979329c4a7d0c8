//! Callers' names and numbers as anyone but the XSP may see them.
//!
//! A caller who asked for privacy (`<privacy/>` in the remote party) is masked wherever the
//! board is shown: the screen and `/api/board` alike; `--mask-callers` masks every caller (a
//! wall display, and whoever reads its JSON, is public). Nothing logs a caller's name or
//! number. One function does it for both, so the screen and the JSON cannot disagree.

use std::sync::Arc;

use super::snapshot::BoardSnapshot;

/// `+41445551234` as `•••••••1234`: the last four digits, enough to tell callers apart on a
/// public wall, not enough to call them.
pub fn mask_number(number: &str) -> String {
    let digits: Vec<char> = number.chars().filter(char::is_ascii_digit).collect();
    let keep = digits.len().saturating_sub(4);
    let tail: String = digits[keep..].iter().collect();
    format!("{}{tail}", "•".repeat(keep.min(8)))
}

/// `Zoë Müller` as `Z. M.`: initials only.
pub fn mask_name(name: &str) -> String {
    let initials: Vec<String> = name
        .split_whitespace()
        .filter_map(|word| word.chars().find(|c| c.is_alphanumeric()))
        .map(|c| format!("{c}."))
        .collect();
    if initials.is_empty() {
        "-".to_owned()
    } else {
        initials.join(" ")
    }
}

/// Mask the callers who asked for privacy, and every caller when `everyone` (`--mask-callers`).
pub fn mask_callers(snapshot: &mut BoardSnapshot, everyone: bool) {
    for call in snapshot.queues.iter_mut().flat_map(|q| q.calls.iter_mut()) {
        if everyone || call.privacy {
            call.caller_name = call.caller_name.as_deref().map(|n| Arc::from(mask_name(n)));
            call.caller_number = call
                .caller_number
                .as_deref()
                .map(|n| Arc::from(mask_number(n)));
        }
    }
}
