//! Any bytes into the event parser: it answers an event or an error, never panics.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = xsi_wallboard::xsi::parse_event(data);
});
