//! The event log: append-only segment files of checksummed, numbered records (see [`crate::record`]).
//!
//! A log is a directory of segments named after their first event (`0000000000000001.log`, 16 hex digits).
//! A batch of events is one write and one `fdatasync`, so a batch is the unit of group commit. A new segment
//! starts once the current one passes [`LogConfig::segment_bytes_max`].
//!
//! Opening checks every record (magic, size, checksum, contiguous numbers). A bad record at the very end of
//! the last segment, with nothing valid after it, is a torn write from a crash: it is truncated and
//! reported in [`EventLog::recovery`]. Anything else is corruption: an error naming the event, never a
//! silent skip. A missing segment is a hole ([`LogError::Hole`]). Then the last segment and the directory
//! are synced, so that records a dead process wrote but did not sync are durable before anything is built
//! on them.

use crate::disk::{self, Disk, DiskFile};
use crate::record::{self, Event, HEADER_BYTES, HeaderFault};
use std::fmt;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Limits of a log.
#[derive(Debug, Clone, Copy)]
pub struct LogConfig {
    /// A segment past this size is closed and a new one started (a batch never splits across segments).
    pub segment_bytes_max: u64,
}

impl Default for LogConfig {
    fn default() -> LogConfig {
        LogConfig { segment_bytes_max: 64 << 20 }
    }
}

/// What went wrong with a log.
#[derive(Debug)]
pub enum LogError {
    /// The operating system refused (a full disk, permissions, ...). A failed append leaves the log as it
    /// was before the batch.
    Io { path: PathBuf, op: &'static str, source: io::Error },
    /// A record before the tail is damaged: the log cannot be trusted past `event`.
    Corrupt { path: PathBuf, offset: u64, event: u64, why: String },
    /// A segment is missing: the segments jump from event `last` to a segment starting at `path`.
    Hole { path: PathBuf, last: u64, next: u64 },
    /// The batch given to append does not continue the log.
    NotNext { expected: u64, found: u64 },
}

impl fmt::Display for LogError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LogError::Io { path, op, source } => write!(f, "{op} {}: {source}", path.display()),
            LogError::Corrupt { path, offset, event, why } => {
                write!(f, "event log corrupt at event {event} ({} byte {offset}): {why}", path.display())
            }
            LogError::Hole { path, last, next } => write!(
                f,
                "event log has a hole: events {}-{} are missing (the segment {} starts at event {next}); \
                 a segment file was lost",
                last + 1,
                next - 1,
                path.display()
            ),
            LogError::NotNext { expected, found } => {
                write!(f, "event {found} does not continue the log (next is {expected})")
            }
        }
    }
}

impl std::error::Error for LogError {}

fn io_error<'a>(path: &'a Path, op: &'static str) -> impl FnOnce(io::Error) -> LogError + 'a {
    move |source| LogError::Io { path: path.to_path_buf(), op, source }
}

/// A torn tail found and truncated when the log was opened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recovery {
    pub path: PathBuf,
    /// Where the segment was cut.
    pub offset: u64,
    /// Bytes removed.
    pub bytes_dropped: u64,
    /// The first event number not in the log (the one whose write was torn, if it had started).
    pub event: u64,
}

#[derive(Debug, Clone)]
struct Segment {
    first: u64,
    path: PathBuf,
}

/// An open event log.
#[derive(Debug)]
pub struct EventLog {
    disk: Arc<dyn Disk>,
    dir: PathBuf,
    config: LogConfig,
    segments: Vec<Segment>,
    /// The last segment, open for appending.
    tail: Box<dyn DiskFile>,
    tail_bytes: u64,
    last: u64,
    recovery: Option<Recovery>,
    /// Set when a failed append could not be cut back: the tail holds bytes of a batch that did not
    /// commit, so nothing more may be appended after them (a reopen cuts them as a torn tail).
    unusable: bool,
}

fn segment_name(first: u64) -> String {
    format!("{first:016x}.log")
}

pub(crate) fn parse_segment_name(name: &str) -> Option<u64> {
    let hex = name.strip_suffix(".log")?;
    if hex.len() != 16 {
        return None;
    }
    u64::from_str_radix(hex, 16).ok().filter(|&n| n >= 1)
}

fn sync_dir(disk: &dyn Disk, dir: &Path) -> Result<(), LogError> {
    disk.sync_dir(dir).map_err(io_error(dir, "sync directory"))
}

/// How a segment's scan ended.
pub(crate) enum ScanEnd {
    /// Every byte belongs to a valid record.
    Clean,
    /// A bad or incomplete record at `offset`: `why`.
    Fault { offset: u64, why: String },
}

pub(crate) struct Scan {
    /// Valid records: (number, offset of the record).
    pub(crate) records: Vec<(u64, u64)>,
    pub(crate) end: ScanEnd,
}

/// Checks the record at `offset` in `bytes`; its total size if valid.
fn check_record(bytes: &[u8], offset: usize) -> Result<(record::Header, usize), String> {
    let rest = &bytes[offset..];
    if rest.len() < HEADER_BYTES {
        return Err(format!("{} bytes, less than a record header", rest.len()));
    }
    let header = record::decode_header(rest).map_err(|fault| match fault {
        HeaderFault::BadMagic => "no record header here".to_string(),
        HeaderFault::PayloadTooLarge(n) => format!("header claims a payload of {n} bytes"),
    })?;
    let size = HEADER_BYTES + header.payload_bytes as usize;
    if rest.len() < size {
        return Err(format!("record of {size} bytes cut off after {}", rest.len()));
    }
    if !record::checksum_matches(rest, &header, &rest[HEADER_BYTES..size]) {
        return Err("checksum mismatch".to_string());
    }
    Ok((header, size))
}

pub(crate) fn scan(bytes: &[u8], first: u64) -> Scan {
    let mut records = Vec::new();
    let mut offset = 0usize;
    let mut expected = first;
    while offset < bytes.len() {
        match check_record(bytes, offset) {
            Ok((header, _)) if header.number != expected => {
                let why = format!("record numbered {} where {expected} was expected", header.number);
                return Scan { records, end: ScanEnd::Fault { offset: offset as u64, why } };
            }
            Ok((_, size)) => {
                records.push((expected, offset as u64));
                expected += 1;
                offset += size;
            }
            Err(why) => return Scan { records, end: ScanEnd::Fault { offset: offset as u64, why } },
        }
    }
    Scan { records, end: ScanEnd::Clean }
}

/// Whether any valid record lies after `offset` (which would make a fault there corruption, not a tear).
fn valid_record_after(bytes: &[u8], offset: usize) -> bool {
    (offset + 1..bytes.len().saturating_sub(HEADER_BYTES - 1))
        .any(|at| bytes[at..at + 4] == record::MAGIC && check_record(bytes, at).is_ok())
}

fn read_file(disk: &dyn Disk, path: &Path) -> Result<Vec<u8>, LogError> {
    disk.read(path).map_err(io_error(path, "read"))
}

impl EventLog {
    /// Opens the log in `dir`, creating the directory and a first segment if there is none. Checks every
    /// record; truncates a torn tail (see [`EventLog::recovery`]).
    pub fn open(dir: &Path, config: LogConfig) -> Result<EventLog, LogError> {
        Self::open_from(dir, config, 1)
    }

    /// [`EventLog::open`] on `disk`.
    pub fn open_on(disk: Arc<dyn Disk>, dir: &Path, config: LogConfig) -> Result<EventLog, LogError> {
        Self::open_from_on(disk, dir, config, 1)
    }

    /// As [`EventLog::open`], but a new log's first event will be `first` (a pier imported at event
    /// `first - 1`: its earlier events are not in this log).
    pub fn open_from(dir: &Path, config: LogConfig, first: u64) -> Result<EventLog, LogError> {
        Self::open_from_on(disk::real(), dir, config, first)
    }

    /// [`EventLog::open_from`] on `disk`.
    pub fn open_from_on(
        disk: Arc<dyn Disk>,
        dir: &Path,
        config: LogConfig,
        first: u64,
    ) -> Result<EventLog, LogError> {
        let first = first.max(1);
        disk::create_dir_durably(&*disk, dir).map_err(io_error(dir, "create"))?;
        let mut segments = Vec::new();
        for name in disk.list(dir).map_err(io_error(dir, "list"))? {
            if let Some(first) = parse_segment_name(&name) {
                segments.push(Segment { first, path: dir.join(name) });
            }
        }
        segments.sort_by_key(|s| s.first);
        if segments.is_empty() {
            let path = dir.join(segment_name(first));
            disk.create(&path).map_err(io_error(&path, "create"))?;
            sync_dir(&*disk, dir)?;
            segments.push(Segment { first, path });
        }
        let (last, recovery) = Self::verify(&*disk, &segments)?;
        let tail_path = segments.last().expect("a segment").path.clone();
        let mut tail = disk.open_append(&tail_path).map_err(io_error(&tail_path, "open"))?;
        let tail_bytes = tail.size_bytes().map_err(io_error(&tail_path, "stat"))?;
        // What was read may not be durable: a process that died between a write and its fsync leaves its
        // records in the page cache, where this one reads them and builds on them (a snapshot past them,
        // say). Sync them, and the names of the segments, before trusting them.
        tail.sync().map_err(io_error(&tail_path, "sync"))?;
        sync_dir(&*disk, dir)?;
        Ok(EventLog {
            disk,
            dir: dir.to_path_buf(),
            config,
            segments,
            tail,
            tail_bytes,
            last,
            recovery,
            unusable: false,
        })
    }

    /// Scans every segment; the last event number, and the torn tail cut if there was one.
    fn verify(disk: &dyn Disk, segments: &[Segment]) -> Result<(u64, Option<Recovery>), LogError> {
        let mut last = segments[0].first - 1;
        let mut recovery = None;
        for (i, segment) in segments.iter().enumerate() {
            let is_tail = i + 1 == segments.len();
            let corrupt = |offset: u64, event: u64, why: String| LogError::Corrupt {
                path: segment.path.clone(),
                offset,
                event,
                why,
            };
            if segment.first > last + 1 && i > 0 {
                return Err(LogError::Hole { path: segment.path.clone(), last, next: segment.first });
            }
            if segment.first != last + 1 {
                let why = format!("segment starts at event {} after event {last}", segment.first);
                return Err(corrupt(0, last + 1, why));
            }
            let bytes = read_file(disk, &segment.path)?;
            let scanned = scan(&bytes, segment.first);
            last = scanned.records.last().map_or(segment.first - 1, |&(n, _)| n);
            if let ScanEnd::Fault { offset, why } = scanned.end {
                if !is_tail || valid_record_after(&bytes, offset as usize) {
                    return Err(corrupt(offset, last + 1, why));
                }
                let file = disk.open_append(&segment.path);
                file.and_then(|mut f| f.set_len(offset).and_then(|()| f.sync()))
                    .map_err(io_error(&segment.path, "truncate torn tail of"))?;
                recovery = Some(Recovery {
                    path: segment.path.clone(),
                    offset,
                    bytes_dropped: bytes.len() as u64 - offset,
                    event: last + 1,
                });
            }
        }
        Ok((last, recovery))
    }

    /// The number of the first event this log holds (or will hold): 1, unless the pier was imported.
    pub fn first(&self) -> u64 {
        self.segments[0].first
    }

    /// The number of the last committed event (0 for an empty log).
    pub fn last(&self) -> u64 {
        self.last
    }

    /// The torn tail truncated at open, if any.
    pub fn recovery(&self) -> Option<&Recovery> {
        self.recovery.as_ref()
    }

    /// Appends events `last + 1 ..` as one batch: one write, one `fdatasync`. Returns the new last number.
    /// On failure (a full disk, say) the log is cut back to where it was, and the batch is not committed.
    pub fn append<'a>(&mut self, events: impl IntoIterator<Item = (u32, &'a [u8])>) -> Result<u64, LogError> {
        let mut buffer = Vec::new();
        let mut number = self.last;
        for (mug, jam) in events {
            number += 1;
            record::encode(&mut buffer, number, mug, jam);
        }
        if number == self.last {
            return Ok(self.last);
        }
        if self.unusable {
            let path = self.segments.last().expect("a segment").path.clone();
            let why = "an earlier append failed and could not be undone; reopen the log";
            return Err(LogError::Io { path, op: "append to", source: io::Error::other(why) });
        }
        if self.tail_bytes > 0 && self.tail_bytes + buffer.len() as u64 > self.config.segment_bytes_max {
            self.start_segment(self.last + 1)?;
        }
        let path = self.segments.last().expect("a segment").path.clone();
        let written = self.tail.write_all(&buffer).and_then(|()| self.tail.sync());
        if let Err(source) = written {
            // Drop whatever part of the batch reached the file, so a retry appends cleanly.
            if self.tail.set_len(self.tail_bytes).is_err() {
                self.unusable = true;
            }
            return Err(LogError::Io { path, op: "append to", source });
        }
        self.tail_bytes += buffer.len() as u64;
        self.last = number;
        Ok(number)
    }

    /// Appends one batch of numbered events, checking that they continue the log.
    pub fn append_events(&mut self, events: &[Event]) -> Result<u64, LogError> {
        for (i, event) in events.iter().enumerate() {
            let expected = self.last + 1 + i as u64;
            if event.number != expected {
                return Err(LogError::NotNext { expected, found: event.number });
            }
        }
        self.append(events.iter().map(|e| (e.mug, e.jam.as_slice())))
    }

    fn start_segment(&mut self, first: u64) -> Result<(), LogError> {
        let path = self.dir.join(segment_name(first));
        let file = self.disk.create_new(&path).map_err(io_error(&path, "create"))?;
        sync_dir(&*self.disk, &self.dir)?;
        self.segments.push(Segment { first, path });
        self.tail = file;
        self.tail_bytes = 0;
        Ok(())
    }

    /// Reads up to `count` events starting at `from` (for replay). Each record is checked again.
    pub fn read(&self, from: u64, count: usize) -> Result<Vec<Event>, LogError> {
        let mut events = Vec::new();
        if from < self.first() || from > self.last {
            return Ok(events);
        }
        let start = self.segments.partition_point(|s| s.first <= from) - 1;
        for segment in &self.segments[start..] {
            let bytes = read_file(&*self.disk, &segment.path)?;
            let scanned = scan(&bytes, segment.first);
            for &(number, offset) in &scanned.records {
                if number < from || number > self.last {
                    continue;
                }
                if events.len() == count {
                    return Ok(events);
                }
                let header = record::decode_header(&bytes[offset as usize..]).expect("scanned");
                let payload = offset as usize + HEADER_BYTES;
                let jam = bytes[payload..payload + header.payload_bytes as usize].to_vec();
                events.push(Event { number, mug: header.mug, jam });
            }
            if let ScanEnd::Fault { offset, why } = scanned.end {
                let event = scanned.records.last().map_or(segment.first, |&(n, _)| n + 1);
                if event <= self.last {
                    return Err(LogError::Corrupt { path: segment.path.clone(), offset, event, why });
                }
            }
        }
        Ok(events)
    }

    /// The events whose logged kernel mug is `mug`, oldest first: which state a snapshot image holds, when
    /// it is not the one it claims. Reads every segment.
    pub fn events_with_mug(&self, mug: u32) -> Result<Vec<u64>, LogError> {
        let mut found = Vec::new();
        for segment in &self.segments {
            let bytes = read_file(&*self.disk, &segment.path)?;
            for &(number, offset) in &scan(&bytes, segment.first).records {
                let header = record::decode_header(&bytes[offset as usize..]).expect("scanned");
                if header.mug == mug && number <= self.last {
                    found.push(number);
                }
            }
        }
        Ok(found)
    }

    /// The segment files, oldest first.
    pub fn segment_paths(&self) -> impl Iterator<Item = &Path> {
        self.segments.iter().map(|s| s.path.as_path())
    }
}
