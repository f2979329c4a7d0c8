//! The day's counters across a restart: a small JSON state file, written atomically, restored
//! only when it belongs to the same XSP and targets and its counting period is still current.
//!
//! Only counters are kept (answered, abandoned, departures, never-queued, service-level and
//! wait sums). Waiting calls are not: the XSP's snapshot after subscribing is the truth for
//! those, and a restored call would be a guess.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::Board;
use super::history::History;
use super::queue::Queue;
use super::stats::CallStats;

/// Bumped when the file's meaning changes; another version is ignored, never misread.
const VERSION: u32 = 1;

/// What the file holds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SavedCounters {
    version: u32,
    /// Which XSP and targets these counters are about.
    key: String,
    /// When the counting period began (epoch ms).
    since_ms: i64,
    queues: BTreeMap<String, SavedQueue>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct SavedQueue {
    name: String,
    acd_name: Option<String>,
    answered: u64,
    abandoned: u64,
    other_departures: u64,
    not_queued: u64,
    stats: CallStats,
    /// The day in intervals (absent in files written before the history existed).
    #[serde(default)]
    history: History,
}

/// Why saved counters were not restored.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NotRestored {
    #[error("written by another version of the state file format")]
    Version,
    #[error("about another XSP or other targets")]
    OtherKey,
    #[error("from an earlier counting period (a reset has passed since)")]
    Expired,
}

/// The default state file for `key`: one file per XSP and targets under the platform's state
/// directory, so two wallboards watching different call centers never share one.
pub fn default_path(key: &str) -> PathBuf {
    crate::logging::state_dir().join(format!("counters-{:016x}.json", fnv1a(key.as_bytes())))
}

/// A stable 64-bit FNV-1a: the file name must not change between builds (std's hasher may).
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(*byte)).wrapping_mul(0x0100_0000_01b3)
    })
}

impl Board {
    /// The counters as they stand, to be written.
    pub fn save_counters(&self, key: &str) -> SavedCounters {
        let queues = self
            .queues
            .iter()
            .map(|queue| {
                (
                    queue.key().to_string(),
                    SavedQueue {
                        name: queue.name.to_string(),
                        acd_name: queue.acd_name.as_deref().map(str::to_owned),
                        answered: queue.answered,
                        abandoned: queue.abandoned,
                        other_departures: queue.other_departures,
                        not_queued: queue.not_queued,
                        stats: queue.stats,
                        history: queue.history.clone(),
                    },
                )
            })
            .collect();
        SavedCounters {
            version: VERSION,
            key: key.to_owned(),
            since_ms: self.reset.since_ms(),
            queues,
        }
    }

    /// Take the saved counters back, before any event is applied, if they are this XSP's and
    /// targets' and no reset has passed since they began. Returns how many call centers.
    pub fn restore_counters(
        &self,
        saved: SavedCounters,
        key: &str,
        now_ms: i64,
    ) -> Result<usize, NotRestored> {
        if saved.version != VERSION {
            return Err(NotRestored::Version);
        }
        if saved.key != key {
            return Err(NotRestored::OtherKey);
        }
        if self.config.stats.reset.next_after(saved.since_ms) <= now_ms {
            return Err(NotRestored::Expired);
        }
        let count = saved.queues.len();
        for (id, saved) in saved.queues {
            let id: Arc<str> = Arc::from(id);
            let mut queue = Queue::new(
                self.configured_name(&id)
                    .unwrap_or_else(|| Arc::from(saved.name)),
            );
            queue.acd_name = saved.acd_name.map(Arc::from);
            queue.answered = saved.answered;
            queue.abandoned = saved.abandoned;
            queue.other_departures = saved.other_departures;
            queue.not_queued = saved.not_queued;
            queue.stats = saved.stats;
            queue.history = saved.history;
            self.queues.insert(id, queue);
        }
        self.reset.restart_from(saved.since_ms);
        self.bump_version();
        Ok(count)
    }
}

/// Read a state file; `None` when there is none yet.
pub fn load(path: &Path) -> std::io::Result<Option<SavedCounters>> {
    match std::fs::read(path) {
        Ok(bytes) => serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

/// Write atomically: a temporary file beside it, flushed to disk, then renamed over it, so a
/// crash leaves the old file or the new one, never half of one.
///
/// The state directory is not a symlink trap: the temporary file has a random name and is
/// created fresh (`create_new`, that is `O_CREAT | O_EXCL`, which never follows a symbolic
/// link: a planted link makes it fail, and another name is tried), readable by the owner only
/// (0600); a directory made here is 0700. The rename replaces a link planted at `path` itself
/// rather than writing through it.
pub fn write(path: &Path, saved: &SavedCounters) -> std::io::Result<()> {
    let dir = match path.parent().filter(|d| !d.as_os_str().is_empty()) {
        Some(dir) => {
            private_dir(dir)?;
            dir.to_path_buf()
        }
        None => PathBuf::from("."),
    };
    let file_name = path
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_default();
    let (tmp, mut file) = fresh_temp_file(&dir, &file_name)?;
    let written = (|| {
        serde_json::to_writer(&mut file, saved)
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))?;
        file.flush()?;
        file.sync_all()?;
        drop(file);
        std::fs::rename(&tmp, path)
    })();
    if written.is_err() {
        // Best effort: a stray temporary file costs a few bytes, never the state file.
        let _ = std::fs::remove_file(&tmp);
    }
    written
}

/// Create `dir` (and its missing parents) readable by the owner only. An existing directory
/// is left as it is: it may be one the user chose and shares on purpose.
pub fn private_dir(dir: &Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)
}

/// Tries at a fresh name before giving up (each collision is a 2^-64 chance, or a planted
/// file).
const TEMP_ATTEMPTS: usize = 8;

/// A new file `.{name}.{random}.tmp` in `dir`, created by this call and no earlier one.
fn fresh_temp_file(dir: &Path, name: &str) -> std::io::Result<(PathBuf, std::fs::File)> {
    let mut last = None;
    for _ in 0..TEMP_ATTEMPTS {
        let tmp = dir.join(format!(".{name}.{:016x}.tmp", rand::random::<u64>()));
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        match options.open(&tmp) {
            Ok(file) => return Ok((tmp, file)),
            Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => last = Some(error),
            Err(error) => return Err(error),
        }
    }
    Err(last.unwrap_or_else(|| std::io::Error::other("no fresh temporary file name")))
}
