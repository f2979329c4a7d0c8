//! The feed's status as the screen words it, for tests that wait for a word to appear.

use tokio::time::Instant;
use xsi_wallboard::status::LinkStatus;
use xsi_wallboard::ui::feed;

#[allow(dead_code, reason = "each test crate uses the words it needs")]
pub trait Words {
    /// The header's line, worded now.
    fn summary(&self) -> String;
    /// The status overlay's lines, worded now.
    fn details(&self) -> Vec<String>;
}

impl Words for LinkStatus {
    fn summary(&self) -> String {
        feed::summary(self, Instant::now())
    }

    fn details(&self) -> Vec<String> {
        feed::details(self, Instant::now())
    }
}
