//! Replay: a journal's lines into a fresh board, through the same parser and the same applier,
//! on the journal's clock.
//!
//! ```text
//! FILE... --gunzip, header checked--> lines --pace (journal time / speed; none at `max`,
//!   none before --from)--> board clock := t --> parse (events, fetched queues) --> Applier
//!   (its clock := t) --> version bump: the UI and /api/board see the board of then
//! ```
//!
//! It runs on a thread of its own: reading and pacing block, and the applier is its alone (no
//! channel, no other writer), so the order is the journal's exactly.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use flate2::read::MultiGzDecoder;
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

use super::format::{FORMAT, Header, Line, Replayed, VERSION};
use crate::board::{Applier, Board, Input};
use crate::logging::Throttle;
use crate::status::{LinkStatus, ReplayStatus};
use crate::xsi::request::parse_acd_queue;

/// The longest sleep between looks at the cancellation and the clock, while pacing.
const PACE_STEP: Duration = Duration::from_millis(100);

static SKIPPED: Throttle = Throttle::new();

/// How fast.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Speed {
    /// N times real time.
    Times(f64),
    /// As fast as lines can be applied.
    Max,
}

impl Speed {
    /// `--speed`: a positive number, or `max`.
    pub fn parse(text: &str) -> Result<Speed, String> {
        if text.eq_ignore_ascii_case("max") {
            return Ok(Speed::Max);
        }
        match text.parse::<f64>() {
            Ok(n) if n.is_finite() && n > 0.0 => Ok(Speed::Times(n)),
            _ => Err(format!("{text:?} is neither a positive number nor max")),
        }
    }

    pub fn describe(self) -> String {
        match self {
            Speed::Times(n) => format!("{n}x"),
            Speed::Max => "max".to_owned(),
        }
    }
}

/// Why a journal cannot be replayed.
#[derive(Debug, thiserror::Error)]
pub enum ReplayError {
    #[error("{}: {error}", path.display())]
    Io {
        path: PathBuf,
        error: std::io::Error,
    },
    #[error("{}: not an xsi-wallboard journal ({why})", path.display())]
    NotAJournal { path: PathBuf, why: String },
    #[error("{}: journal version {found}; this build reads up to {VERSION}", path.display())]
    Version { path: PathBuf, found: u32 },
    #[error("no journal file given")]
    NoFiles,
}

/// A journal file's header, checked: the format this build reads.
pub fn read_header(path: &Path) -> Result<Header, ReplayError> {
    let mut lines = open(path)?;
    let mut first = String::new();
    // The file opened: what cannot be read of it is not a journal (not gzip, cut short).
    lines
        .read_line(&mut first)
        .map_err(|error| ReplayError::NotAJournal {
            path: path.to_owned(),
            why: error.to_string(),
        })?;
    let header: Header =
        serde_json::from_str(&first).map_err(|error| ReplayError::NotAJournal {
            path: path.to_owned(),
            why: error.to_string(),
        })?;
    if header.format != FORMAT {
        return Err(ReplayError::NotAJournal {
            path: path.to_owned(),
            why: format!("format {:?}", header.format),
        });
    }
    if header.version > VERSION {
        return Err(ReplayError::Version {
            path: path.to_owned(),
            found: header.version,
        });
    }
    Ok(header)
}

fn open(path: &Path) -> Result<BufReader<MultiGzDecoder<std::fs::File>>, ReplayError> {
    let file = std::fs::File::open(path).map_err(|error| ReplayError::Io {
        path: path.to_owned(),
        error,
    })?;
    Ok(BufReader::new(MultiGzDecoder::new(file)))
}

/// Every file's header, checked before anything is replayed: a wrong file is said at once.
pub fn check(files: &[PathBuf]) -> Result<Header, ReplayError> {
    let mut first = None;
    for path in files {
        let header = read_header(path)?;
        first.get_or_insert(header);
    }
    first.ok_or(ReplayError::NoFiles)
}

/// The lines of `files` in order, each file's header skipped. A file cut short (a crash, a full
/// disk) ends at its last whole line; a line this build cannot read is skipped and logged.
pub fn lines(files: &[PathBuf]) -> impl Iterator<Item = Line> + '_ {
    files.iter().flat_map(|path| {
        let reader = match open(path) {
            Ok(reader) => Some(reader),
            Err(error) => {
                tracing::warn!(%error, "journal file skipped");
                None
            }
        };
        let path = path.clone();
        reader.into_iter().flat_map(move |reader| {
            let path = path.clone();
            reader
                .lines()
                .skip(1)
                .map_while(move |line| match line {
                    Ok(line) => Some(line),
                    Err(error) => {
                        tracing::warn!(file = %path.display(), %error, "journal file ends here");
                        None
                    }
                })
                .filter_map(|text| match serde_json::from_str::<Line>(&text) {
                    Ok(line) => Some(line),
                    Err(error) => {
                        crate::warn_throttled!(SKIPPED, %error, "journal line skipped");
                        None
                    }
                })
        })
    })
}

/// `--from HH:MM`: the first such time, in `zone`, at or after `start_ms` (within two days).
pub fn from_ms(hh_mm: (i8, i8), start_ms: i64, zone: &jiff::tz::TimeZone) -> Option<i64> {
    let start = jiff::Timestamp::from_millisecond(start_ms).ok()?;
    let mut date = start.to_zoned_datetime(zone.clone()).date();
    let time = jiff::civil::Time::new(hh_mm.0, hh_mm.1, 0, 0).ok()?;
    for _ in 0..3 {
        let at = zone
            .to_ambiguous_zoned_datetime(date.to_datetime(time))
            .compatible()
            .ok()?
            .timestamp();
        if at >= start {
            return Some(at.as_millisecond());
        }
        date = date.tomorrow().ok()?;
    }
    None
}

/// `HH:MM` for `--from`.
pub fn parse_hh_mm(text: &str) -> Result<(i8, i8), String> {
    let bad = || format!("{text:?} is not HH:MM (00:00 to 23:59)");
    let (h, m) = text.split_once(':').ok_or_else(bad)?;
    let h: i8 = h.parse().map_err(|_| bad())?;
    let m: i8 = m.parse().map_err(|_| bad())?;
    if !(0..24).contains(&h) || !(0..60).contains(&m) || text.len() != 5 {
        return Err(bad());
    }
    Ok((h, m))
}

/// What drives a replay.
pub struct Driver {
    pub applier: Applier,
    pub speed: Speed,
    /// Lines before this (journal time) are applied at once, as fast as they go.
    pub from_ms: Option<i64>,
    pub status: Option<watch::Sender<LinkStatus>>,
    pub cancel: CancellationToken,
}

impl Driver {
    /// Feed `lines` to the board; returns how many were applied. The board keeps the journal's
    /// last time as its clock after the end.
    pub fn run(mut self, lines: impl Iterator<Item = Line>) -> u64 {
        let mut applied = 0u64;
        let mut pace: Option<(i64, Instant)> = None;
        let mut last_status = Instant::now();
        for line in lines {
            if self.cancel.is_cancelled() {
                break;
            }
            if let Speed::Times(times) = self.speed
                && self.from_ms.is_none_or(|from| line.t >= from)
            {
                let (t0, wall0) = *pace.get_or_insert((line.t, Instant::now()));
                let due = Duration::from_secs_f64((line.t - t0).max(0) as f64 / 1000.0 / times);
                if !self.wait_until(wall0 + due) {
                    break;
                }
            }
            self.take(line);
            applied += 1;
            if last_status.elapsed() >= Duration::from_millis(250) {
                last_status = Instant::now();
                self.publish(applied, false);
            }
        }
        self.publish(applied, true);
        applied
    }

    /// Sleep until `at`; `false` when cancelled meanwhile.
    fn wait_until(&self, at: Instant) -> bool {
        loop {
            if self.cancel.is_cancelled() {
                return false;
            }
            let now = Instant::now();
            if now >= at {
                return true;
            }
            std::thread::sleep((at - now).min(PACE_STEP));
        }
    }

    fn publish(&self, lines: u64, done: bool) {
        let Some(status) = &self.status else { return };
        let board = self.applier.board();
        status.send_modify(|link| {
            if let crate::status::FeedSource::Replay(replay) = &mut link.source {
                replay.lines = lines;
                replay.done = done;
                replay.journal_ms = board.now();
            }
        });
    }

    /// One line, at its time.
    fn take(&mut self, line: Line) {
        let t = line.t;
        let board = Arc::clone(self.applier.board());
        board.set_replay_now(t);
        self.applier.set_now(t);
        match line.record.replayed() {
            Ok(Replayed::Tick) => {
                self.applier.tick(t);
            }
            Ok(Replayed::Event {
                body, arrival_ms, ..
            }) => self.event(&board, &body, arrival_ms),
            Ok(Replayed::Fetched {
                call_center,
                subscription_id,
                sent_ms,
                arrival_ms,
                body,
            }) => match parse_acd_queue(&body) {
                Ok(snapshot) => {
                    self.applier.take(Input::Fetched {
                        call_center,
                        subscription_id,
                        snapshot,
                        sent_ms,
                        arrival_ms,
                        raw: None,
                    });
                }
                Err(error) => {
                    crate::warn_throttled!(SKIPPED, %error, "journaled queue fetch does not parse");
                }
            },
            Ok(Replayed::Input(input)) => {
                // The intake's own counts of what it refused and dropped, as they were.
                let intake = &board.intake;
                match &*input {
                    Input::Refused { arrival_ms, .. } => {
                        intake.received.fetch_add(1, Ordering::Relaxed);
                        intake.rejected.fetch_add(1, Ordering::Relaxed);
                        intake.last_event_ms.store(*arrival_ms, Ordering::Relaxed);
                    }
                    Input::Dropped(events) => {
                        intake
                            .dropped
                            .fetch_add(events.len() as u64, Ordering::Relaxed);
                    }
                    _ => {}
                }
                self.applier.take(*input);
            }
            Err(error) => crate::warn_throttled!(SKIPPED, %error, "journal line skipped"),
        }
        board.bump_version();
    }

    /// An event's document, counted as the intake counts it, parsed by the intake's parser.
    fn event(&mut self, board: &Board, body: &[u8], arrival_ms: i64) {
        let intake = &board.intake;
        intake.received.fetch_add(1, Ordering::Relaxed);
        intake.last_event_ms.store(arrival_ms, Ordering::Relaxed);
        match crate::intake::parse(body) {
            Ok(event) => {
                self.applier.take(Input::Event {
                    event,
                    arrival_ms,
                    raw: None,
                });
            }
            Err(unreadable) => {
                // Taken when it was recorded: this build's parser reads it otherwise.
                intake.rejected.fetch_add(1, Ordering::Relaxed);
                crate::warn_throttled!(SKIPPED, error = %unreadable.error,
                    "a journaled event does not parse with this build");
                if let Some(envelope) = unreadable.envelope {
                    self.applier.take(Input::Refused {
                        envelope,
                        arrival_ms,
                    });
                }
            }
        }
    }
}

/// The replay's entry in the feed status, before the first line.
pub fn status(files: &[PathBuf], speed: Speed) -> LinkStatus {
    LinkStatus {
        health: crate::status::Health::Ok,
        source: crate::status::FeedSource::Replay(ReplayStatus {
            files: files.len(),
            speed: speed.describe(),
            lines: 0,
            journal_ms: 0,
            done: false,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::board::{BoardConfig, Source};
    use crate::journal::{Journal, Settings, journal_files};

    #[test]
    fn speeds_and_times_of_day_parse() {
        assert_eq!(Speed::parse("max"), Ok(Speed::Max));
        assert_eq!(Speed::parse("2.5"), Ok(Speed::Times(2.5)));
        for bad in ["0", "-1", "fast", "NaN", "inf"] {
            assert!(Speed::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(parse_hh_mm("09:05"), Ok((9, 5)));
        for bad in ["9:05", "24:00", "12:60", "1205", "12:5"] {
            assert!(parse_hh_mm(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn from_is_the_first_such_time_at_or_after_the_start() {
        let utc = jiff::tz::TimeZone::UTC;
        // 2026-12-04 10:00:00 UTC.
        let start = 1_796_378_400_000;
        assert_eq!(from_ms((10, 15), start, &utc), Some(start + 15 * 60_000));
        assert_eq!(from_ms((10, 0), start, &utc), Some(start));
        assert_eq!(
            from_ms((9, 0), start, &utc),
            Some(start + 23 * 3_600_000),
            "09:00 has passed that day: the next one"
        );
    }

    #[test]
    fn lines_before_from_are_applied_at_once_whatever_the_speed() {
        const T0: i64 = 1_796_378_400_000;
        let board = Arc::new(Board::new(BoardConfig::default(), T0));
        let hours: Vec<Line> = (0..10)
            .map(|h| Line {
                t: T0 + h * 3_600_000,
                record: crate::journal::Record::Tick,
            })
            .collect();
        // Nine hours at real speed would never end here: --from after them skips the pacing.
        let applied = Driver {
            applier: Applier::new(Arc::clone(&board)),
            speed: Speed::Times(1.0),
            from_ms: Some(T0 + 9 * 3_600_000 + 1),
            status: None,
            cancel: CancellationToken::new(),
        }
        .run(hours.into_iter());
        assert_eq!(applied, 10);
        assert_eq!(
            board.now(),
            T0 + 9 * 3_600_000,
            "the board's clock is the journal's"
        );
        assert!(board.is_replay());
    }

    /// The demo model's events, as documents, into an applier that records; then the journal
    /// into a fresh board. With the ticks, the timed part (alert levels evaluated each second,
    /// initial events and whispers that never came) is the live board's too.
    #[test]
    fn a_journal_replays_to_the_same_board_ticks_included() {
        const T0: i64 = 1_796_378_400_000;
        let dir = std::env::temp_dir().join(format!(
            "xsi-wallboard-replay-ticks-{}-{}",
            std::process::id(),
            crate::board::now_ms()
        ));
        let live_board = Arc::new(Board::new(BoardConfig::default(), T0));
        let mut settings = Settings::new(dir.clone(), 64);
        settings.board_started_ms = T0;
        let (journal, recorder) =
            Journal::start(settings, Arc::clone(&live_board.journal)).expect("starts");
        let mut live = Applier::new(Arc::clone(&live_board)).with_journal(recorder);
        let mut model = crate::sim::Model::new(41, T0);
        let mut now = T0;
        while now < T0 + 15 * 60_000 {
            for event in model.step(now) {
                let body = crate::xsi::write_event(&event);
                // What the intake counts of each document it takes in.
                live_board.intake.received.fetch_add(1, Ordering::Relaxed);
                live_board
                    .intake
                    .last_event_ms
                    .store(now, Ordering::Relaxed);
                live.set_now(now);
                live.take(Input::Event {
                    event,
                    arrival_ms: now,
                    raw: Some(crate::journal::format::raw(&body, Source::Listener)),
                });
            }
            live.tick(now);
            now += 1000;
        }
        // A quiet stretch: waits grow, alert levels change with no event at all.
        let end = now + 4 * 60_000;
        live.tick(end);
        drop(live);
        journal.finish();
        let files: Vec<PathBuf> = journal_files(&dir)
            .expect("reads")
            .into_iter()
            .map(|(path, _)| path)
            .collect();
        let replay = |with_ticks: bool| {
            let board = Arc::new(Board::new(BoardConfig::default(), T0));
            Driver {
                applier: Applier::new(Arc::clone(&board)),
                speed: Speed::Max,
                from_ms: None,
                status: None,
                cancel: CancellationToken::new(),
            }
            .run(
                lines(&files)
                    .filter(|line| with_ticks || line.record != crate::journal::Record::Tick),
            );
            board
        };
        let json = |board: &Board| {
            serde_json::to_value(crate::board::api::ApiBoard::from(&board.snapshot(end)))
                .expect("serialises")
        };
        let live_json = json(&live_board);
        let alerts = live_json["queues"]
            .as_array()
            .expect("queues")
            .iter()
            .filter(|q| q["stats"]["alert"] != "normal")
            .count();
        assert!(alerts > 0, "the run ends with an alert raised by a tick");
        assert_eq!(json(&replay(true)), live_json);
        assert_ne!(
            json(&replay(false)),
            live_json,
            "without its ticks the replay misses what they did"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}
