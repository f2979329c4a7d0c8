//! The journal's writer: a thread of its own behind a bounded queue, so the applier never waits
//! for a disk.
//!
//! ```text
//! applier --Recorder::input/tick (try_send: full? dropped, counted, logged)--> queue
//!   --> writer thread: Record as a JSON line --> gzip --> journal-<UTC start>.jsonl.gz (0600)
//!         a new file each UTC hour (and at a quarter of the cap), the oldest deleted while
//!         all of them weigh more than the cap; a write that fails drops its line (counted)
//!         and the file is opened again after `retry`
//! ```

use std::collections::VecDeque;
use std::fs::File;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError, SyncSender, TrySendError};
use std::sync::{Arc, mpsc};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use flate2::Compression;
use flate2::write::GzEncoder;
use serde::Serialize;

use super::format::{FORMAT, Header, Line, Taken, VERSION, record_of};
use crate::board::Input;
use crate::logging::Throttle;

/// Lines waiting for the writer at most: about a minute of a busy service provider's events.
/// Beyond, lines are dropped (and counted), never waited for.
pub const QUEUE_LINES: usize = 16 * 1024;
/// What the documents waiting for the writer may weigh in all: the queue's depth is a count,
/// and a stuck disk under a stream of megabyte queue snapshots must not hold gigabytes.
pub const QUEUE_BYTES: usize = 64 * 1024 * 1024;
/// Written lines reach the file (a gzip sync flush) at least this often: a crash loses at most
/// this much, and `zcat` of today's file shows the last second.
const FLUSH_EVERY: Duration = Duration::from_secs(1);
/// After a failed open or write, the next try waits this long (a full disk is not retried for
/// every line).
pub const RETRY_AFTER: Duration = Duration::from_secs(5);
/// `record_max_mb` unless set.
pub const DEFAULT_MAX_MB: u64 = 1024;

const PREFIX: &str = "journal-";
const SUFFIX: &str = ".jsonl.gz";
const HOUR_MS: i64 = 3_600_000;

static DROPS: Throttle = Throttle::new();
static FAILURES: Throttle = Throttle::new();

/// What the journal counts (`/api/board`'s `journal`); on the board so readers find it.
#[derive(Debug, Default)]
pub struct Counters {
    /// Set once a journal is started: `/api/board` shows `journal: null` without one.
    enabled: AtomicBool,
    written: AtomicU64,
    dropped: AtomicU64,
    bytes: AtomicU64,
}

/// `/api/board`'s `journal`: lines written and dropped, and compressed bytes written, since
/// start.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct JournalCounts {
    pub written: u64,
    pub dropped: u64,
    pub bytes: u64,
}

impl Counters {
    /// A journal records: only then do inputs keep the documents they came from.
    pub fn enabled(&self) -> bool {
        self.enabled.load(Ordering::Relaxed)
    }

    /// `None` when this wallboard records nothing.
    pub fn counts(&self) -> Option<JournalCounts> {
        self.enabled.load(Ordering::Relaxed).then(|| JournalCounts {
            written: self.written.load(Ordering::Relaxed),
            dropped: self.dropped.load(Ordering::Relaxed),
            bytes: self.bytes.load(Ordering::Relaxed),
        })
    }

    fn drop_one(&self, why: &'static str) {
        self.dropped.fetch_add(1, Ordering::Relaxed);
        crate::warn_throttled!(DROPS, why, "journal line dropped");
    }
}

/// Where and how much to record.
#[derive(Debug, Clone)]
pub struct Settings {
    pub dir: PathBuf,
    /// All the journal's files together stay under this (compressed bytes).
    pub max_bytes: u64,
    /// What each file's header says.
    pub instance: String,
    pub board_started_ms: i64,
    pub expected: Vec<Arc<str>>,
    /// The demo is being recorded.
    pub demo: bool,
    /// [`QUEUE_LINES`] unless a test wants less.
    pub queue: usize,
    /// [`RETRY_AFTER`] unless a test wants less.
    pub retry: Duration,
}

impl Settings {
    pub fn new(dir: PathBuf, max_mb: u64) -> Self {
        Settings {
            dir,
            max_bytes: max_mb.saturating_mul(1024 * 1024),
            instance: String::new(),
            board_started_ms: 0,
            expected: Vec::new(),
            demo: false,
            queue: QUEUE_LINES,
            retry: RETRY_AFTER,
        }
    }
}

/// The applier's end: never blocks. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Recorder {
    lines: SyncSender<(i64, Taken)>,
    counters: Arc<Counters>,
    /// Bytes of documents queued (see [`QUEUE_BYTES`]): added here, taken back by the writer.
    queued: Arc<AtomicUsize>,
}

impl Recorder {
    /// The applier took `input` at `t` (its clock, epoch ms).
    pub fn input(&self, t: i64, input: &Input) {
        self.send(t, Taken::of(input));
    }

    /// The applier ticked at `t`.
    pub fn tick(&self, t: i64) {
        self.send(t, Taken::Tick);
    }

    fn send(&self, t: i64, taken: Taken) {
        let weight = taken.weight();
        if self.queued.fetch_add(weight, Ordering::AcqRel) + weight > QUEUE_BYTES && weight > 0 {
            self.queued.fetch_sub(weight, Ordering::AcqRel);
            self.counters.drop_one("the writer is behind");
            return;
        }
        let why = match self.lines.try_send((t, taken)) {
            Ok(()) => return,
            Err(TrySendError::Full(_)) => "the writer is behind",
            Err(TrySendError::Disconnected(_)) => "the writer stopped",
        };
        self.queued.fetch_sub(weight, Ordering::AcqRel);
        self.counters.drop_one(why);
    }

    /// A recorder whose lines go to `lines` (tests: a writer that never writes).
    #[cfg(test)]
    pub(crate) fn detached(
        capacity: usize,
        counters: Arc<Counters>,
    ) -> (Self, Receiver<(i64, Taken)>) {
        counters.enabled.store(true, Ordering::Relaxed);
        let (lines, rx) = mpsc::sync_channel(capacity);
        let queued = Arc::default();
        (
            Recorder {
                lines,
                counters,
                queued,
            },
            rx,
        )
    }
}

/// The writer thread; [`Journal::finish`] waits for its last lines to be on disk.
#[derive(Debug)]
pub struct Journal {
    thread: Option<JoinHandle<()>>,
}

impl Journal {
    /// Create the directory (0700) and the first file, and start the writer. Fails when the
    /// directory cannot be written: better said at start than as drops all day.
    pub fn start(settings: Settings, counters: Arc<Counters>) -> io::Result<(Journal, Recorder)> {
        crate::board::persist::private_dir(&settings.dir)?;
        let mut state = WriterState::new(settings, Arc::clone(&counters))?;
        state.open(crate::board::now_ms())?;
        counters.enabled.store(true, Ordering::Relaxed);
        let (lines, rx) = mpsc::sync_channel(state.settings.queue.max(1));
        let queued = Arc::clone(&state.queued);
        let thread = std::thread::Builder::new()
            .name("journal".into())
            .spawn(move || state.run(&rx))?;
        Ok((
            Journal {
                thread: Some(thread),
            },
            Recorder {
                lines,
                counters,
                queued,
            },
        ))
    }

    /// Wait for the writer to write what was queued and close its file; it ends once every
    /// [`Recorder`] is gone (the applier stopped).
    pub fn finish(mut self) {
        if let Some(thread) = self.thread.take()
            && thread.join().is_err()
        {
            tracing::error!("journal writer panicked");
        }
    }
}

/// A file being written: gzip over a counter of what reached the disk.
struct Current {
    path: PathBuf,
    hour: i64,
    gz: GzEncoder<Counted>,
    dirty: bool,
}

struct Counted {
    file: File,
    bytes: u64,
    counters: Arc<Counters>,
}

impl Write for Counted {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.file.write(buf)?;
        self.bytes += n as u64;
        self.counters.bytes.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.file.flush()
    }
}

struct WriterState {
    settings: Settings,
    counters: Arc<Counters>,
    current: Option<Current>,
    /// Finished files, oldest first, with their sizes: what the cap deletes.
    closed: VecDeque<(PathBuf, u64)>,
    part: u32,
    /// Bytes of documents queued for this thread (the recorders' budget).
    queued: Arc<AtomicUsize>,
    /// No open or write is tried before this, after a failure.
    retry_at: Option<Instant>,
    last_flush: Instant,
    line: Vec<u8>,
}

impl WriterState {
    fn new(settings: Settings, counters: Arc<Counters>) -> io::Result<Self> {
        let closed = journal_files(&settings.dir)?;
        Ok(WriterState {
            settings,
            counters,
            current: None,
            closed: closed.into(),
            part: 0,
            queued: Arc::default(),
            retry_at: None,
            last_flush: Instant::now(),
            line: Vec::with_capacity(4096),
        })
    }

    fn run(mut self, rx: &Receiver<(i64, Taken)>) {
        loop {
            match rx.recv_timeout(FLUSH_EVERY) {
                Ok((t, taken)) => {
                    self.write(t, &taken);
                    self.queued.fetch_sub(taken.weight(), Ordering::AcqRel);
                }
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => break,
            }
            if self.last_flush.elapsed() >= FLUSH_EVERY {
                self.flush();
            }
        }
        self.close();
        self.enforce_cap();
    }

    fn write(&mut self, t: i64, taken: &Taken) {
        let Some(record) = record_of(taken) else {
            self.counters.drop_one("an input without its document");
            return;
        };
        let hour = t.div_euclid(HOUR_MS);
        if self.current.as_ref().is_some_and(|c| c.hour != hour) {
            self.rotate();
        }
        if self.current.is_none() {
            if self.retry_at.is_some_and(|at| Instant::now() < at) {
                self.counters.drop_one("the journal cannot be written");
                return;
            }
            if let Err(error) = self.open(t) {
                self.failed(&error);
                self.counters.drop_one("the journal cannot be written");
                return;
            }
        }
        self.line.clear();
        if serde_json::to_writer(&mut self.line, &Line { t, record }).is_err() {
            self.counters.drop_one("a line that does not serialise");
            return;
        }
        self.line.push(b'\n');
        let Some(current) = self.current.as_mut() else {
            return;
        };
        if let Err(error) = current.gz.write_all(&self.line) {
            // The file may end mid-line: a reader stops at its last whole line.
            self.current = None;
            self.failed(&error);
            self.counters.drop_one("the journal cannot be written");
            return;
        }
        current.dirty = true;
        self.counters.written.fetch_add(1, Ordering::Relaxed);
        // A quarter of the cap at most per file, so the cap deletes in steps, not all at once.
        if current.gz.get_ref().bytes > self.settings.max_bytes / 4 {
            self.rotate();
        }
    }

    fn failed(&mut self, error: &io::Error) {
        self.retry_at = Some(Instant::now() + self.settings.retry);
        crate::warn_throttled!(FAILURES, dir = %self.settings.dir.display(), %error,
            "journal write failed; lines are dropped until it can write again");
    }

    /// A new file for lines from `t` on, its header first.
    fn open(&mut self, t: i64) -> io::Result<()> {
        let (path, file) = create_file(&self.settings.dir, t)?;
        let counted = Counted {
            file,
            bytes: 0,
            counters: Arc::clone(&self.counters),
        };
        let mut gz = GzEncoder::new(counted, Compression::default());
        let header = Header {
            format: FORMAT.to_owned(),
            version: VERSION,
            instance: self.settings.instance.clone(),
            wallboard: env!("CARGO_PKG_VERSION").to_owned(),
            started: jiff::Timestamp::from_millisecond(t)
                .map(|at| at.to_string())
                .unwrap_or_default(),
            board_started_ms: self.settings.board_started_ms,
            expected: self.settings.expected.clone(),
            demo: self.settings.demo,
            part: self.part,
        };
        let mut line = serde_json::to_vec(&header).map_err(io::Error::other)?;
        line.push(b'\n');
        gz.write_all(&line)?;
        self.part += 1;
        self.retry_at = None;
        self.current = Some(Current {
            path,
            hour: t.div_euclid(HOUR_MS),
            gz,
            dirty: true,
        });
        self.enforce_cap();
        Ok(())
    }

    fn flush(&mut self) {
        self.last_flush = Instant::now();
        let Some(current) = self.current.as_mut().filter(|c| c.dirty) else {
            return;
        };
        current.dirty = false;
        if let Err(error) = current.gz.flush() {
            self.current = None;
            self.failed(&error);
        }
    }

    /// Finish the current file (a whole gzip stream); the next line opens a new one.
    fn rotate(&mut self) {
        self.close();
        self.enforce_cap();
    }

    fn close(&mut self) {
        let Some(current) = self.current.take() else {
            return;
        };
        match current.gz.finish() {
            Ok(counted) => {
                let _ = counted.file.sync_data();
                self.closed.push_back((current.path, counted.bytes));
            }
            Err(error) => self.failed(&error),
        }
    }

    /// Delete the oldest files while all of them weigh more than the cap.
    fn enforce_cap(&mut self) {
        let current = self.current.as_ref().map_or(0, |c| c.gz.get_ref().bytes);
        let mut total = current + self.closed.iter().map(|(_, size)| size).sum::<u64>();
        while total > self.settings.max_bytes {
            let Some((path, size)) = self.closed.pop_front() else {
                break;
            };
            match std::fs::remove_file(&path) {
                Ok(()) => {
                    tracing::info!(file = %path.display(), "journal file deleted (record_max_mb)");
                }
                Err(error) if error.kind() == io::ErrorKind::NotFound => {}
                Err(error) => {
                    tracing::warn!(file = %path.display(), %error, "journal file not deleted");
                }
            }
            total = total.saturating_sub(size);
        }
    }
}

/// `journal-20261204T034512.345Z.jsonl.gz`: names sort as the times they start.
fn file_name(t: i64) -> String {
    let stamp = jiff::Timestamp::from_millisecond(t).unwrap_or(jiff::Timestamp::UNIX_EPOCH);
    format!(
        "{PREFIX}{}.{:03}Z{SUFFIX}",
        stamp.strftime("%Y%m%dT%H%M%S"),
        t.rem_euclid(1000)
    )
}

/// A new file of our own (0600: it holds callers' numbers), never one already there: a name
/// taken moves a millisecond on.
fn create_file(dir: &Path, t: i64) -> io::Result<(PathBuf, File)> {
    let mut last = None;
    for step in 0..16 {
        let path = dir.join(file_name(t + step));
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        match options.open(&path) {
            Ok(file) => return Ok((path, file)),
            Err(error) if error.kind() == io::ErrorKind::AlreadyExists => last = Some(error),
            Err(error) => return Err(error),
        }
    }
    Err(last.unwrap_or_else(|| io::Error::other("no free journal file name")))
}

/// The journal's files in `dir` (by name, so oldest first), with their sizes: earlier runs'
/// count against the cap too.
pub fn journal_files(dir: &Path) -> io::Result<Vec<(PathBuf, u64)>> {
    let mut files: Vec<(PathBuf, u64)> = std::fs::read_dir(dir)?
        .filter_map(Result::ok)
        .filter(|entry| {
            entry
                .file_name()
                .to_str()
                .is_some_and(|name| name.starts_with(PREFIX) && name.ends_with(SUFFIX))
        })
        .filter_map(|entry| {
            let meta = entry.metadata().ok()?;
            meta.is_file().then(|| (entry.path(), meta.len()))
        })
        .collect();
    files.sort();
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::journal::format::Record;
    use crate::journal::replay;

    /// A fresh directory under the temp dir, removed on drop.
    struct Scratch(PathBuf);

    impl Scratch {
        fn new(name: &str) -> Self {
            let dir = std::env::temp_dir().join(format!(
                "xsi-wallboard-journal-{name}-{}-{}",
                std::process::id(),
                crate::board::now_ms()
            ));
            let _ = std::fs::remove_dir_all(&dir);
            Scratch(dir)
        }
    }

    impl Drop for Scratch {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    /// 10:00 UTC on a day of 2026.
    const T0: i64 = 1_796_378_400_000;

    fn settings(dir: &Path, max_bytes: u64) -> Settings {
        let mut settings = Settings::new(dir.to_owned(), 1);
        settings.max_bytes = max_bytes;
        settings.instance = "test".to_owned();
        settings.retry = Duration::ZERO;
        settings
    }

    /// An event's document that gzip cannot shrink much (a pseudo-random payload).
    fn event_input(n: u64, arrival_ms: i64) -> Input {
        let mut x = n.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
        let noise: String = (0..600)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                char::from(b'a' + (x % 26) as u8)
            })
            .collect();
        Input::Event {
            event: crate::xsi::Event::Error(crate::xsi::ErrorEvent {
                channel_id: None,
                error_code: None,
                error_message: "".into(),
            }),
            arrival_ms,
            raw: Some(crate::journal::format::raw(
                &format!("<xsi:Event>{noise}</xsi:Event>"),
                crate::board::Source::Listener,
            )),
        }
    }

    fn ticks_in(files: &[PathBuf]) -> Vec<i64> {
        replay::lines(files)
            .filter(|line| line.record == Record::Tick)
            .map(|line| line.t)
            .collect()
    }

    fn names(dir: &Path) -> Vec<PathBuf> {
        journal_files(dir)
            .expect("the directory reads")
            .into_iter()
            .map(|(path, _)| path)
            .collect()
    }

    #[test]
    fn a_new_file_each_hour_each_with_its_header() {
        let scratch = Scratch::new("rotation");
        let counters = Arc::new(Counters::default());
        let (journal, recorder) =
            Journal::start(settings(&scratch.0, 1 << 30), Arc::clone(&counters))
                .expect("the journal starts");
        recorder.tick(T0 + 1_000);
        recorder.tick(T0 + 3_599_999);
        recorder.tick(T0 + 3_600_000);
        recorder.tick(T0 + 2 * 3_600_000 + 5);
        drop(recorder);
        journal.finish();
        let files = names(&scratch.0);
        // The file opened at start (this host's clock) and one per hour of the lines.
        let with_ticks: Vec<&PathBuf> = files
            .iter()
            .filter(|f| !ticks_in(std::slice::from_ref(f)).is_empty())
            .collect();
        assert_eq!(with_ticks.len(), 3, "{files:?}");
        assert_eq!(
            ticks_in(std::slice::from_ref(with_ticks[0])),
            [T0 + 1_000, T0 + 3_599_999]
        );
        assert_eq!(
            ticks_in(std::slice::from_ref(with_ticks[1])),
            [T0 + 3_600_000]
        );
        for file in &files {
            let header = replay::read_header(file).expect("each file starts with a header");
            assert_eq!(header.instance, "test");
            assert_eq!(header.version, crate::journal::VERSION);
        }
        assert_eq!(
            ticks_in(&files),
            [
                T0 + 1_000,
                T0 + 3_599_999,
                T0 + 3_600_000,
                T0 + 2 * 3_600_000 + 5
            ],
            "read in name order, the files are the lines in order"
        );
        let counts = counters.counts().expect("recording");
        assert_eq!((counts.written, counts.dropped), (4, 0));
        let on_disk: u64 = journal_files(&scratch.0)
            .expect("reads")
            .iter()
            .map(|(_, size)| size)
            .sum();
        assert_eq!(counts.bytes, on_disk, "bytes counts what reached the disk");
    }

    #[test]
    fn the_oldest_files_go_first_to_keep_under_the_cap() {
        let scratch = Scratch::new("cap");
        let cap = 256 * 1024;
        let counters = Arc::new(Counters::default());
        let (journal, recorder) = Journal::start(settings(&scratch.0, cap), Arc::clone(&counters))
            .expect("the journal starts");
        let first = names(&scratch.0);
        for n in 0..2000 {
            recorder.input(T0 + n as i64, &event_input(n, T0));
        }
        recorder.tick(T0 + 10_000);
        drop(recorder);
        journal.finish();
        let files = journal_files(&scratch.0).expect("reads");
        let total: u64 = files.iter().map(|(_, size)| size).sum();
        assert!(total <= cap, "{total} bytes on disk, cap {cap}");
        assert!(
            files.len() >= 2,
            "rotated within the hour at a quarter of the cap"
        );
        assert!(
            !files.iter().any(|(path, _)| first.contains(path)),
            "the first file was deleted"
        );
        let paths: Vec<PathBuf> = files.into_iter().map(|(path, _)| path).collect();
        assert_eq!(ticks_in(&paths), [T0 + 10_000], "the newest lines are kept");
        let counts = counters.counts().expect("recording");
        assert_eq!(
            counts.written, 2001,
            "nothing dropped: the cap deletes files, not lines"
        );
    }

    #[cfg(unix)]
    #[test]
    fn files_are_the_owners_alone() {
        use std::os::unix::fs::PermissionsExt;
        let scratch = Scratch::new("mode");
        let (journal, recorder) =
            Journal::start(settings(&scratch.0, 1 << 30), Arc::default()).expect("starts");
        recorder.tick(T0);
        drop(recorder);
        journal.finish();
        let mode = |path: &Path| {
            std::fs::metadata(path)
                .expect("exists")
                .permissions()
                .mode()
                & 0o777
        };
        assert_eq!(mode(&scratch.0), 0o700, "the directory it made");
        let files = names(&scratch.0);
        assert!(!files.is_empty());
        for file in files {
            assert_eq!(mode(&file), 0o600, "{}", file.display());
        }
    }

    #[test]
    fn a_writer_that_never_writes_drops_and_counts_without_waiting() {
        let counters = Arc::new(Counters::default());
        let (recorder, _stuck) = Recorder::detached(4, Arc::clone(&counters));
        for n in 0..1000 {
            recorder.input(T0, &event_input(n, T0));
        }
        let counts = counters.counts().expect("recording");
        assert_eq!(
            (counts.written, counts.dropped),
            (0, 996),
            "four lines queued, the rest dropped"
        );
    }

    #[test]
    fn queued_documents_are_bounded_in_bytes_too() {
        let counters = Arc::new(Counters::default());
        let (recorder, _stuck) = Recorder::detached(QUEUE_LINES, Arc::clone(&counters));
        // Megabyte documents: the byte budget, not the line count, is what stops them.
        let body = "x".repeat(1024 * 1024);
        let input = Input::Event {
            event: crate::xsi::Event::Error(crate::xsi::ErrorEvent {
                channel_id: None,
                error_code: None,
                error_message: "".into(),
            }),
            arrival_ms: T0,
            raw: Some(crate::journal::format::raw(
                &body,
                crate::board::Source::Listener,
            )),
        };
        for _ in 0..100 {
            recorder.input(T0, &input);
        }
        recorder.tick(T0);
        let counts = counters.counts().expect("recording");
        assert_eq!(counts.dropped, 100 - 64, "64 MiB queued, the rest dropped");
        assert_eq!(recorder.queued.load(Ordering::Relaxed), QUEUE_BYTES);
    }

    #[test]
    fn a_directory_that_cannot_be_written_drops_and_counts_then_recovers() {
        let scratch = Scratch::new("gone");
        let counters = Arc::new(Counters::default());
        let (journal, recorder) =
            Journal::start(settings(&scratch.0, 1 << 30), Arc::clone(&counters))
                .expect("the journal starts");
        recorder.tick(T0);
        // The disk goes away (as root, a read-only mode would not stop a write: the
        // directory itself is removed, which stops anyone).
        let wait_for = |what: &dyn Fn(JournalCounts) -> bool| {
            for _ in 0..500 {
                if counters.counts().is_some_and(what) {
                    return;
                }
                std::thread::sleep(Duration::from_millis(10));
            }
            panic!("the writer never got there: {:?}", counters.counts());
        };
        wait_for(&|c| c.written == 1);
        std::fs::remove_dir_all(&scratch.0).expect("removed");
        // The next hour needs a new file, which cannot be made.
        recorder.tick(T0 + 3_600_000);
        recorder.tick(T0 + 3_600_001);
        wait_for(&|c| c.dropped == 2);
        std::fs::create_dir_all(&scratch.0).expect("back");
        recorder.tick(T0 + 3_600_002);
        wait_for(&|c| c.written == 2);
        drop(recorder);
        journal.finish();
        assert_eq!(ticks_in(&names(&scratch.0)), [T0 + 3_600_002]);
    }

    #[test]
    fn the_applier_is_not_slowed_by_a_full_journal() {
        let board = Arc::new(crate::board::Board::new(
            crate::board::BoardConfig::default(),
            T0,
        ));
        let (recorder, _stuck) = Recorder::detached(1, Arc::clone(&board.journal));
        let mut applier = crate::board::Applier::new(Arc::clone(&board)).with_journal(recorder);
        for n in 0..100 {
            applier.take(Input::Heartbeat { at_ms: T0 + n });
            applier.tick(T0 + n);
        }
        let counts = board.journal.counts().expect("recording");
        assert_eq!(counts.dropped, 199, "one line queued, the rest dropped");
    }
}
