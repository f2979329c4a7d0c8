//! Any bytes into the event parser: it answers an event or an error, never panics. The envelope
//! salvage never panics either, and on an event that parses it reads the parser's envelope.
#![no_main]

use libfuzzer_sys::fuzz_target;
use xsi_wallboard::xsi::{self, Event};

fuzz_target!(|data: &[u8]| {
    let parsed = xsi::parse_event(data);
    let salvaged = xsi::salvage_envelope(data);
    if let Ok(Event::Subscription(event)) = parsed {
        assert_eq!(salvaged, Some(event.envelope));
    }
});
