//! Snapshots: the heap written as segment files, so a restart loads the kernel without replaying the log.
//!
//! ```text
//! <dir>/manifest          which segments make the image, and what it holds (rewritten atomically)
//! <dir>/<l>-<n>.seg       heap words, little-endian: l = the heap's lineage, n = the first word's index
//! ```
//!
//! The heap is append-only between collections (its [`lineage`](Heap::lineage) is unchanged), so a snapshot
//! of the same lineage writes only the words past the last snapshot as one new segment. A different lineage
//! (the heap was compacted) writes the whole heap afresh and drops the old segments once the new manifest is
//! in place. Every segment's CRC is in the manifest; loading checks sizes, CRCs, every box reachable from
//! the roots, and the mug of the first root against the recorded one.
//!
//! Manifest layout (all little-endian):
//!
//! ```text
//! "ENGS" | version u32 | event u64 | mug u32 | lineage u64 | words u64
//! | root count u32 | roots: u64 each | segment count u32 | segments: first word u64, words u64, crc u32
//! | CRC-32 of everything before it
//! ```

use components::{Heap, Noun};
use std::fmt;
use std::fs::{self, File};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

const MAGIC: [u8; 4] = *b"ENGS";
const VERSION: u32 = 1;
/// Limits on what a manifest may claim (a larger claim is corruption, not a reason to allocate).
const ROOTS_MAX: u32 = 1 << 16;
const SEGMENTS_MAX: u32 = 1 << 20;

/// What a snapshot holds besides the heap.
#[derive(Debug, Clone)]
pub struct SnapshotInfo {
    /// The last event the snapshot reflects.
    pub event: u64,
    /// The mug of the first root (the kernel).
    pub mug: u32,
    /// The roots: the kernel first, then whatever else the runtime keeps (jet state, caches).
    pub roots: Vec<Noun>,
}

/// Why a snapshot could not be written or loaded.
#[derive(Debug)]
pub enum SnapshotError {
    Io {
        path: PathBuf,
        op: &'static str,
        source: io::Error,
    },
    /// No snapshot has been written.
    Missing(PathBuf),
    /// The manifest or a segment is damaged or missing: the state must come from the log instead.
    Corrupt {
        path: PathBuf,
        why: String,
    },
}

impl fmt::Display for SnapshotError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SnapshotError::Io { path, op, source } => write!(f, "{op} {}: {source}", path.display()),
            SnapshotError::Missing(path) => write!(f, "no snapshot in {}", path.display()),
            SnapshotError::Corrupt { path, why } => {
                write!(f, "snapshot {} is unusable: {why}", path.display())
            }
        }
    }
}

impl std::error::Error for SnapshotError {}

fn io_error<'a>(path: &'a Path, op: &'static str) -> impl FnOnce(io::Error) -> SnapshotError + 'a {
    move |source| SnapshotError::Io { path: path.to_path_buf(), op, source }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct SegmentEntry {
    first: u64,
    words: u64,
    crc: u32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Manifest {
    event: u64,
    mug: u32,
    lineage: u64,
    words: u64,
    roots: Vec<u64>,
    segments: Vec<SegmentEntry>,
}

/// Segments are named by lineage and first word, so writing a new lineage never overwrites a file that
/// the current manifest still lists.
fn segment_path(dir: &Path, lineage: u64, first: u64) -> PathBuf {
    dir.join(format!("{lineage:016x}-{first:016x}.seg"))
}

fn words_crc(words: &[u64]) -> u32 {
    let mut hasher = crc32fast::Hasher::new();
    for chunk in words.chunks(8192) {
        let bytes: Vec<u8> = chunk.iter().flat_map(|w| w.to_le_bytes()).collect();
        hasher.update(&bytes);
    }
    hasher.finalize()
}

impl Manifest {
    fn encode(&self) -> Vec<u8> {
        let mut out = Vec::new();
        out.extend_from_slice(&MAGIC);
        out.extend_from_slice(&VERSION.to_le_bytes());
        out.extend_from_slice(&self.event.to_le_bytes());
        out.extend_from_slice(&self.mug.to_le_bytes());
        out.extend_from_slice(&self.lineage.to_le_bytes());
        out.extend_from_slice(&self.words.to_le_bytes());
        out.extend_from_slice(&(self.roots.len() as u32).to_le_bytes());
        for root in &self.roots {
            out.extend_from_slice(&root.to_le_bytes());
        }
        out.extend_from_slice(&(self.segments.len() as u32).to_le_bytes());
        for s in &self.segments {
            out.extend_from_slice(&s.first.to_le_bytes());
            out.extend_from_slice(&s.words.to_le_bytes());
            out.extend_from_slice(&s.crc.to_le_bytes());
        }
        let crc = crc32fast::hash(&out);
        out.extend_from_slice(&crc.to_le_bytes());
        out
    }

    fn decode(bytes: &[u8]) -> Result<Manifest, String> {
        if bytes.len() < 8 || bytes[..4] != MAGIC {
            return Err("not a snapshot manifest".into());
        }
        let (body, crc) = bytes.split_at(bytes.len() - 4);
        if crc32fast::hash(body) != u32::from_le_bytes(crc.try_into().expect("4 bytes")) {
            return Err("manifest checksum mismatch".into());
        }
        let mut reader = Reader { bytes: body, at: 4 };
        let version = reader.u32()?;
        if version != VERSION {
            return Err(format!("snapshot format {version}; this engine reads {VERSION}"));
        }
        let (event, mug, lineage, words) = (reader.u64()?, reader.u32()?, reader.u64()?, reader.u64()?);
        let root_count = reader.u32()?;
        if root_count > ROOTS_MAX {
            return Err(format!("{root_count} roots"));
        }
        let roots = (0..root_count).map(|_| reader.u64()).collect::<Result<Vec<_>, _>>()?;
        let segment_count = reader.u32()?;
        if segment_count > SEGMENTS_MAX {
            return Err(format!("{segment_count} segments"));
        }
        let segments = (0..segment_count)
            .map(|_| Ok(SegmentEntry { first: reader.u64()?, words: reader.u64()?, crc: reader.u32()? }))
            .collect::<Result<Vec<_>, String>>()?;
        if reader.at != body.len() {
            return Err("trailing bytes in the manifest".into());
        }
        let mut next = 0;
        for s in &segments {
            if s.first != next {
                return Err(format!("segments leave a gap at word {next}"));
            }
            next = s.first.checked_add(s.words).ok_or("segment sizes overflow")?;
        }
        if next != words {
            return Err(format!("segments hold {next} words, the image {words}"));
        }
        Ok(Manifest { event, mug, lineage, words, roots, segments })
    }
}

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Reader<'_> {
    fn take<const N: usize>(&mut self) -> Result<[u8; N], String> {
        let slice = self.bytes.get(self.at..self.at + N).ok_or("manifest cut short")?;
        self.at += N;
        Ok(slice.try_into().expect("N bytes"))
    }

    fn u32(&mut self) -> Result<u32, String> {
        self.take::<4>().map(u32::from_le_bytes)
    }

    fn u64(&mut self) -> Result<u64, String> {
        self.take::<8>().map(u64::from_le_bytes)
    }
}

/// What a write did: how much it wrote, for the caller's report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WriteReport {
    /// Heap words written by this snapshot (only the new ones when the lineage held).
    pub words_written: u64,
    /// Whether the whole heap was written (first snapshot, or the heap was compacted).
    pub full: bool,
}

/// Writes a snapshot of `heap` into `dir`.
pub fn write(dir: &Path, heap: &Heap, info: &SnapshotInfo) -> Result<WriteReport, SnapshotError> {
    fs::create_dir_all(dir).map_err(io_error(dir, "create"))?;
    let previous = read_manifest(dir)
        .ok()
        .filter(|m| m.lineage == heap.lineage() && m.words <= heap.words().len() as u64);
    let words = heap.words();
    let (mut segments, start) = match &previous {
        Some(m) => (m.segments.clone(), m.words),
        None => (Vec::new(), 0),
    };
    let new_words = &words[start as usize..];
    if !new_words.is_empty() {
        let path = segment_path(dir, heap.lineage(), start);
        let mut file = File::create(&path).map_err(io_error(&path, "create"))?;
        for chunk in new_words.chunks(1 << 16) {
            let bytes: Vec<u8> = chunk.iter().flat_map(|w| w.to_le_bytes()).collect();
            file.write_all(&bytes).map_err(io_error(&path, "write"))?;
        }
        file.sync_all().map_err(io_error(&path, "sync"))?;
        segments.push(SegmentEntry {
            first: start,
            words: new_words.len() as u64,
            crc: words_crc(new_words),
        });
    }
    let manifest = Manifest {
        event: info.event,
        mug: info.mug,
        lineage: heap.lineage(),
        words: words.len() as u64,
        roots: info.roots.iter().map(|r| r.raw()).collect(),
        segments,
    };
    let path = dir.join("manifest");
    let temporary = dir.join("manifest.tmp");
    let mut file = File::create(&temporary).map_err(io_error(&temporary, "create"))?;
    file.write_all(&manifest.encode())
        .and_then(|()| file.sync_all())
        .map_err(io_error(&temporary, "write"))?;
    fs::rename(&temporary, &path).map_err(io_error(&path, "rename into place"))?;
    File::open(dir).and_then(|d| d.sync_all()).map_err(io_error(dir, "sync"))?;
    remove_unlisted_segments(dir, &manifest);
    heap.seal();
    Ok(WriteReport { words_written: new_words.len() as u64, full: previous.is_none() })
}

/// Removes segment files the manifest does not list (left by an older lineage or an interrupted write).
fn remove_unlisted_segments(dir: &Path, manifest: &Manifest) {
    let listed: Vec<PathBuf> =
        manifest.segments.iter().map(|s| segment_path(dir, manifest.lineage, s.first)).collect();
    let Ok(entries) = fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.extension().is_some_and(|e| e == "seg") && !listed.contains(&path) {
            let _ = fs::remove_file(&path);
        }
    }
}

fn read_manifest(dir: &Path) -> Result<Manifest, SnapshotError> {
    let path = dir.join("manifest");
    let bytes = match fs::read(&path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            return Err(SnapshotError::Missing(dir.to_path_buf()));
        }
        Err(source) => return Err(SnapshotError::Io { path, op: "read", source }),
    };
    Manifest::decode(&bytes).map_err(|why| SnapshotError::Corrupt { path, why })
}

/// Loads the snapshot in `dir`: the heap (mapped from its segments and copied in) and what it holds.
pub fn load(dir: &Path) -> Result<(Heap, SnapshotInfo), SnapshotError> {
    let manifest = read_manifest(dir)?;
    let mut words: Vec<u64> = Vec::new();
    words.try_reserve_exact(manifest.words as usize).map_err(|_| SnapshotError::Corrupt {
        path: dir.join("manifest"),
        why: format!("an image of {} words cannot be allocated", manifest.words),
    })?;
    for segment in &manifest.segments {
        let path = segment_path(dir, manifest.lineage, segment.first);
        let corrupt = |why: String| SnapshotError::Corrupt { path: path.clone(), why };
        let file = match File::open(&path) {
            Ok(file) => file,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                return Err(corrupt("segment file is missing".into()));
            }
            Err(source) => return Err(SnapshotError::Io { path: path.clone(), op: "open", source }),
        };
        let size = file.metadata().map_err(io_error(&path, "stat"))?.len();
        if size != segment.words * 8 {
            return Err(corrupt(format!("{size} bytes where {} were written", segment.words * 8)));
        }
        if size == 0 {
            continue;
        }
        // SAFETY: the map is read-only and private to this call; the snapshot directory belongs to the
        // pier, whose lock this process holds, so no other engine rewrites the file while it is mapped (and
        // a segment is never rewritten in place: new snapshots write new files). A file changed behind
        // our back would at worst give different words, which the CRC check below catches.
        let map = unsafe { memmap2::Mmap::map(&file) }.map_err(io_error(&path, "map"))?;
        let start = words.len();
        words.extend(map.chunks_exact(8).map(|b| u64::from_le_bytes(b.try_into().expect("8 bytes"))));
        if words_crc(&words[start..]) != segment.crc {
            return Err(corrupt("checksum mismatch".into()));
        }
    }
    let roots: Vec<Noun> = manifest.roots.iter().map(|&r| Noun::from_raw(r)).collect();
    let manifest_path = dir.join("manifest");
    let mut heap = Heap::from_image(words, manifest.lineage, &roots)
        .map_err(|e| SnapshotError::Corrupt { path: manifest_path.clone(), why: e.to_string() })?;
    if let Some(&kernel) = roots.first() {
        let mug = heap.mug(kernel);
        if mug != manifest.mug {
            let why = format!("kernel mug {mug:#x}, but {:#x} was recorded", manifest.mug);
            return Err(SnapshotError::Corrupt { path: manifest_path, why });
        }
    }
    Ok((heap, SnapshotInfo { event: manifest.event, mug: manifest.mug, roots }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manifest_round_trips_and_refuses_gaps() {
        let m = Manifest {
            event: 9,
            mug: 0x1234,
            lineage: 77,
            words: 30,
            roots: vec![5, 6],
            segments: vec![
                SegmentEntry { first: 0, words: 10, crc: 1 },
                SegmentEntry { first: 10, words: 20, crc: 2 },
            ],
        };
        assert_eq!(Manifest::decode(&m.encode()), Ok(m.clone()));
        let gap = Manifest { words: 31, ..m };
        assert!(Manifest::decode(&gap.encode()).unwrap_err().contains("31"));
    }
}
