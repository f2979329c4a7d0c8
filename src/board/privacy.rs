//! Callers' names and numbers as anyone but the XSP may see them.
//!
//! A caller who asked for privacy (`<privacy/>` in the remote party) is masked wherever the
//! board is shown: the screen and `/api/board` alike; `--mask-callers` masks every caller (a
//! wall display, and whoever reads its JSON, is public). No log line names a caller but the
//! audit line of an action on their call (issue 18), masked by the same rule. One function
//! does it for all of them, so the screen, the JSON and the audit log cannot disagree.

use std::sync::Arc;

use super::snapshot::{BoardSnapshot, CallRow};

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
        mask_call(call, everyone);
    }
}

/// Mask one call's caller if they asked for privacy, or when `everyone`.
pub fn mask_call(call: &mut CallRow, everyone: bool) {
    if everyone || call.privacy {
        call.caller_name = call.caller_name.as_deref().map(|n| Arc::from(mask_name(n)));
        call.caller_number = call
            .caller_number
            .as_deref()
            .map(|n| Arc::from(mask_number(n)));
    }
}
