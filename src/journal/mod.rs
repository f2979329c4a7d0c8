//! The day on record: every input the board's one writer takes, in order, on disk
//! (`--record DIR`), and a replay of it into a fresh board (`xsi-wallboard replay`).
//!
//! ```text
//! applier --take/tick--> Recorder (try_send, never waits) --> writer thread --> DIR/*.jsonl.gz
//! replay FILE... --> lines --> same parser --> Applier (clock := journal time) --> Board
//! ```

pub mod format;
pub mod replay;
mod writer;

pub use format::{FORMAT, Header, Line, Record, VERSION};
pub use replay::{Driver, ReplayError, Speed};
pub use writer::{
    Counters, DEFAULT_MAX_MB, Journal, JournalCounts, QUEUE_LINES, RETRY_AFTER, Recorder, Settings,
    journal_files,
};
