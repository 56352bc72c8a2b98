//! A pier read without touching it: the meta, the event log and the snapshots, for tools that look at a
//! pier while it is stopped or on a copy (the replay debugger). Unlike [`crate::Pier::open`], nothing is
//! locked, created or truncated: a torn tail is reported, not cut, and the log ends before it.

use crate::log::{LogError, ScanEnd, parse_segment_name, scan};
use crate::meta::Meta;
use crate::pier::{Layout, PierError};
use crate::record::{self, Event, HEADER_BYTES};
use std::fs::{self, File};
use std::io;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

/// Where one event's record is, and what its header says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecordInfo {
    pub number: u64,
    /// The kernel's mug after the event, as logged (0 for lifecycle events).
    pub mug: u32,
    /// The size of the event's jam.
    pub jam_bytes: u32,
    segment: usize,
    offset: u64,
}

/// A pier opened read-only.
#[derive(Debug)]
pub struct PierReader {
    pub root: PathBuf,
    pub meta: Meta,
    segments: Vec<PathBuf>,
    records: Vec<RecordInfo>,
    /// A fault that ends the log early (a torn or damaged tail), described.
    pub tail_fault: Option<String>,
}

fn io_error<'a>(path: &'a Path, op: &'static str) -> impl FnOnce(io::Error) -> LogError + 'a {
    move |source| LogError::Io { path: path.to_path_buf(), op, source }
}

impl PierReader {
    /// Reads the pier's meta and indexes its log (every record checked; nothing is written).
    pub fn open(root: &Path) -> Result<PierReader, PierError> {
        let layout = Layout::of(root);
        if !layout.engine_dir.is_dir() {
            return Err(PierError::Missing(root.to_path_buf()));
        }
        let meta = Meta::read(&layout.meta)?;
        let mut segments = Vec::new();
        for entry in fs::read_dir(&layout.log).map_err(io_error(&layout.log, "list"))? {
            let entry = entry.map_err(io_error(&layout.log, "list"))?;
            if let Some(first) = entry.file_name().to_str().and_then(parse_segment_name) {
                segments.push((first, entry.path()));
            }
        }
        segments.sort();
        let mut reader = PierReader {
            root: root.to_path_buf(),
            meta,
            segments: Vec::new(),
            records: Vec::new(),
            tail_fault: None,
        };
        for (index, (first, path)) in segments.into_iter().enumerate() {
            let expected = reader.last() + 1;
            if reader.tail_fault.is_some() || (index > 0 && first != expected) || (index == 0 && first < 1) {
                let why = format!(
                    "segment {} starts at event {first} after event {}",
                    path.display(),
                    expected - 1
                );
                return Err(LogError::Corrupt { path, offset: 0, event: expected, why }.into());
            }
            reader.index_segment(index, first, &path)?;
            reader.segments.push(path);
        }
        Ok(reader)
    }

    fn index_segment(&mut self, index: usize, first: u64, path: &Path) -> Result<(), LogError> {
        let bytes = fs::read(path).map_err(io_error(path, "read"))?;
        let scanned = scan(&bytes, first);
        for &(number, offset) in &scanned.records {
            let header = record::decode_header(&bytes[offset as usize..]).expect("scanned");
            self.records.push(RecordInfo {
                number,
                mug: header.mug,
                jam_bytes: header.payload_bytes,
                segment: index,
                offset,
            });
        }
        if let ScanEnd::Fault { offset, why } = scanned.end {
            self.tail_fault = Some(format!("{} at offset {offset}: {why}", path.display()));
        }
        Ok(())
    }

    /// The first event the log holds (1, unless the pier was imported).
    pub fn first(&self) -> u64 {
        self.records.first().map_or(1, |r| r.number)
    }

    /// The last event the log holds (0 if none).
    pub fn last(&self) -> u64 {
        self.records.last().map_or(0, |r| r.number)
    }

    /// Every record's header, oldest first.
    pub fn records(&self) -> &[RecordInfo] {
        &self.records
    }

    /// The header of event `number`.
    pub fn record(&self, number: u64) -> Option<&RecordInfo> {
        let first = self.records.first()?.number;
        self.records.get(number.checked_sub(first)? as usize)
    }

    /// Reads event `number` (its record checked again).
    pub fn read(&self, number: u64) -> Result<Event, LogError> {
        let info = *self.record(number).ok_or_else(|| LogError::Corrupt {
            path: self.root.clone(),
            offset: 0,
            event: number,
            why: format!("the log holds events {}-{}", self.first(), self.last()),
        })?;
        let path = &self.segments[info.segment];
        let file = File::open(path).map_err(io_error(path, "open"))?;
        let mut bytes = vec![0u8; HEADER_BYTES + info.jam_bytes as usize];
        file.read_exact_at(&mut bytes, info.offset).map_err(io_error(path, "read"))?;
        let header = record::decode_header(&bytes).map_err(|_| LogError::Corrupt {
            path: path.clone(),
            offset: info.offset,
            event: number,
            why: "the record changed since the log was indexed".into(),
        })?;
        let payload = &bytes[HEADER_BYTES..];
        if header.number != number || !record::checksum_matches(&bytes, &header, payload) {
            return Err(LogError::Corrupt {
                path: path.clone(),
                offset: info.offset,
                event: number,
                why: "the record changed since the log was indexed".into(),
            });
        }
        Ok(Event { number, mug: header.mug, jam: payload.to_vec() })
    }

    /// The pier's paths.
    pub fn layout(&self) -> Layout {
        Layout::of(&self.root)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{EventLog, LogConfig};

    fn pier_with_events(root: &Path, count: u64) {
        let layout = Layout::of(root);
        fs::create_dir_all(&layout.engine_dir).unwrap();
        Meta { version: crate::meta::VERSION, who: 0, fake: true, life: 1 }.write(&layout.meta).unwrap();
        let mut log = EventLog::open(&layout.log, LogConfig::default()).unwrap();
        let jams: Vec<Vec<u8>> = (1..=count).map(|n| vec![n as u8; n as usize]).collect();
        log.append(jams.iter().enumerate().map(|(i, j)| (i as u32 + 7, j.as_slice()))).unwrap();
    }

    #[test]
    fn a_pier_is_read_without_being_written() {
        let dir = tempfile::tempdir().unwrap();
        pier_with_events(dir.path(), 5);
        let segment = Layout::of(dir.path()).log.join("0000000000000001.log");
        let before = fs::read(&segment).unwrap();
        // A torn tail: reported, not cut.
        let mut torn = before.clone();
        torn.extend_from_slice(&before[..10]);
        fs::write(&segment, &torn).unwrap();

        let reader = PierReader::open(dir.path()).unwrap();
        assert_eq!((reader.first(), reader.last()), (1, 5));
        assert!(reader.tail_fault.is_some());
        assert_eq!(reader.read(3).unwrap(), Event { number: 3, mug: 9, jam: vec![3, 3, 3] });
        assert_eq!(reader.record(5).unwrap().jam_bytes, 5);
        assert!(reader.read(6).is_err());
        assert_eq!(fs::read(&segment).unwrap(), torn, "the torn tail is left as it was");
        assert!(!Layout::of(dir.path()).lock.exists(), "no lock taken");
    }

    #[test]
    fn a_directory_that_is_not_a_pier_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        assert!(matches!(PierReader::open(dir.path()), Err(PierError::Missing(_))));
    }
}
