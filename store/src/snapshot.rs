//! Snapshots: the heap written as segment files, so a restart loads the kernel without replaying the log.
//!
//! ```text
//! <dir>/manifest          the newest snapshot: which segments make the image, and what it holds
//! <dir>/manifest.prev     the snapshot before it, kept as a backup until a newer one is verified
//! <dir>/<l>-<n>.seg       heap words, little-endian: l = the heap's lineage, n = the first word's index
//! ```
//!
//! The heap is append-only between collections: while its [`lineage`](Heap::lineage) holds and the
//! words on disk are words it has sealed, a snapshot writes only the words past them as one new segment. Anything else (the heap was compacted, or the manifest on disk is not the one this heap was
//! sealed against) writes the whole heap afresh under a new lineage, so no file a manifest lists is ever
//! rewritten.
//!
//! A write is verified before it replaces anything: a whole image is read back from disk, checked box by
//! box and the mug of every root computed from its structure (never from the mugs cached in the boxes)
//! and compared with the heap's; an increment is read back as far as it is new (its words were appended
//! to words an earlier write verified and the heap has not cut since). Only then does the last manifest
//! become the backup and the new one the newest; segments that neither lists are removed. Loading does the same checks, so an image that is not
//! the heap it claims to be is refused with the mug it does have ([`SnapshotError::Mismatch`]), and the
//! caller can fall back to the backup ([`load_backup`]) and the log after it.
//!
//! Manifest layout (all little-endian):
//!
//! ```text
//! "ENGS" | version u32 | event u64 | mug u32 | lineage u64 | words u64
//! | root count u32 | roots: u64 each | segment count u32 | segments: first word u64, words u64, crc u32
//! | (version 2) root mugs: u32 each, one per root
//! | CRC-32 of everything before it
//! ```
//!
//! Version 1 manifests (no root mugs) still load; only the kernel's mug is checked then.

use crate::disk::{Disk, RealDisk};
use components::{Heap, Noun};
use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

const MAGIC: [u8; 4] = *b"ENGS";
/// The version this engine writes; it reads this and [`VERSION_NO_ROOT_MUGS`].
const VERSION: u32 = 2;
/// The first format: no mugs of the roots after the kernel.
const VERSION_NO_ROOT_MUGS: u32 = 1;
/// Limits on what a manifest may claim (a larger claim is corruption, not a reason to allocate).
const ROOTS_MAX: u32 = 1 << 16;
const SEGMENTS_MAX: u32 = 1 << 20;

/// The newest snapshot's manifest, the backup's, and the one a write prepares.
const NEWEST: &str = "manifest";
const BACKUP: &str = "manifest.prev";
const PREPARED: &str = "manifest.tmp";
const BACKUP_PREPARED: &str = "manifest.prev.tmp";
/// Where [`reject_newest`] sets a newest snapshot aside.
const REJECTED: &str = "manifest.rejected";

/// What a snapshot holds besides the heap.
#[derive(Debug, Clone)]
pub struct SnapshotInfo {
    /// The last event the snapshot reflects.
    pub event: u64,
    /// The roots: the kernel first, then whatever else the runtime keeps (jet state, caches).
    pub roots: Vec<Noun>,
    /// The mug of each root, in order.
    pub mugs: Vec<u32>,
}

impl SnapshotInfo {
    /// The snapshot of `roots` (the kernel first) after `event`, with their mugs.
    pub fn of(heap: &mut Heap, event: u64, roots: Vec<Noun>) -> SnapshotInfo {
        let mugs = roots.iter().map(|&root| heap.mug(root)).collect();
        SnapshotInfo { event, roots, mugs }
    }

    /// The kernel's mug (the first root's), as the log records it after each event.
    pub fn mug(&self) -> u32 {
        self.mugs.first().copied().unwrap_or(0)
    }
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
    /// The manifest or a segment is damaged or missing: the state must come from elsewhere.
    Corrupt {
        path: PathBuf,
        why: String,
    },
    /// The snapshot was written by a newer engine, in a format this one does not read: not damage, so
    /// never set aside or replaced.
    Newer {
        path: PathBuf,
        version: u32,
    },
    /// The image is well formed, but a root's mug, computed from the image's structure, is not the one
    /// recorded: the words are not the heap the manifest was written for (or a write read back something
    /// other than what it wrote).
    Mismatch {
        path: PathBuf,
        event: u64,
        /// Which root (0 is the kernel).
        root: usize,
        recorded: u32,
        computed: u32,
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
            SnapshotError::Newer { path, version } => write!(
                f,
                "snapshot {} is of format {version}, written by a newer engine; this engine reads formats \
                 {VERSION_NO_ROOT_MUGS} and {VERSION}: run the pier with the engine that made it",
                path.display()
            ),
            SnapshotError::Mismatch { path, event, root: 0, recorded, computed } => write!(
                f,
                "snapshot {} of event {event} does not hold its kernel: the image's kernel mug is \
                 {computed:#x}, but {recorded:#x} was recorded",
                path.display()
            ),
            SnapshotError::Mismatch { path, event, root, recorded, computed } => write!(
                f,
                "snapshot {} of event {event} does not hold its root {root}: the image gives mug \
                 {computed:#x}, but {recorded:#x} was recorded",
                path.display()
            ),
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
    lineage: u64,
    words: u64,
    roots: Vec<u64>,
    /// One per root; a version 1 manifest has only the kernel's.
    mugs: Vec<u32>,
    segments: Vec<SegmentEntry>,
}

/// Segments are named by lineage and first word, so writing a new lineage never overwrites a file that
/// a manifest still lists.
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
        assert_eq!(self.mugs.len(), self.roots.len(), "a mug for every root");
        let mut out = Vec::new();
        out.extend_from_slice(&MAGIC);
        out.extend_from_slice(&VERSION.to_le_bytes());
        out.extend_from_slice(&self.event.to_le_bytes());
        out.extend_from_slice(&self.mugs.first().copied().unwrap_or(0).to_le_bytes());
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
        for mug in &self.mugs {
            out.extend_from_slice(&mug.to_le_bytes());
        }
        let crc = crc32fast::hash(&out);
        out.extend_from_slice(&crc.to_le_bytes());
        out
    }

    /// The format version a manifest's bytes claim, if they say (its checksum holding).
    fn claimed_version(bytes: &[u8]) -> Option<u32> {
        if bytes.len() < 12 || bytes[..4] != MAGIC {
            return None;
        }
        let (body, crc) = bytes.split_at(bytes.len() - 4);
        let intact = crc32fast::hash(body) == u32::from_le_bytes(crc.try_into().expect("4 bytes"));
        intact.then(|| u32::from_le_bytes(bytes[4..8].try_into().expect("4 bytes")))
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
        if version != VERSION && version != VERSION_NO_ROOT_MUGS {
            return Err(format!(
                "snapshot format {version}; this engine reads {VERSION_NO_ROOT_MUGS} and {VERSION}"
            ));
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
        let mugs = if version == VERSION_NO_ROOT_MUGS {
            vec![mug]
        } else {
            let mugs = (0..root_count).map(|_| reader.u32()).collect::<Result<Vec<_>, _>>()?;
            if mugs.first().is_some_and(|&first| first != mug) {
                return Err("the kernel's mug is recorded twice, differently".into());
            }
            mugs
        };
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
        Ok(Manifest { event, lineage, words, roots, mugs, segments })
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

/// Writes `bytes` to `path` and syncs it.
fn write_synced(disk: &dyn Disk, path: &Path, bytes: &[u8]) -> Result<(), SnapshotError> {
    let mut file = disk.create(path).map_err(io_error(path, "create"))?;
    file.write_all(bytes).and_then(|()| file.sync()).map_err(io_error(path, "write"))
}

fn sync_dir(disk: &dyn Disk, dir: &Path) -> Result<(), SnapshotError> {
    disk.sync_dir(dir).map_err(io_error(dir, "sync"))
}

/// Writes `words` as the segment of `lineage` starting at word `first`.
fn write_segment(
    disk: &dyn Disk,
    dir: &Path,
    lineage: u64,
    first: u64,
    words: &[u64],
) -> Result<SegmentEntry, SnapshotError> {
    let path = segment_path(dir, lineage, first);
    let mut file = disk.create(&path).map_err(io_error(&path, "create"))?;
    for chunk in words.chunks(1 << 16) {
        let bytes: Vec<u8> = chunk.iter().flat_map(|w| w.to_le_bytes()).collect();
        file.write_all(&bytes).map_err(io_error(&path, "write"))?;
    }
    file.sync().map_err(io_error(&path, "sync"))?;
    Ok(SegmentEntry { first, words: words.len() as u64, crc: words_crc(words) })
}

/// The newest manifest, if it is there and decodes, with its bytes. A manifest that cannot be read (an
/// I/O error, not its absence) is an error: a write must not replace a snapshot it could not keep as the
/// backup.
fn newest_manifest(disk: &dyn Disk, dir: &Path) -> Result<Option<(Manifest, Vec<u8>)>, SnapshotError> {
    let path = dir.join(NEWEST);
    let bytes = match disk.read(&path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(source) => return Err(SnapshotError::Io { path, op: "read", source }),
    };
    Ok(Manifest::decode(&bytes).ok().map(|m| (m, bytes)))
}

/// Writes a snapshot of `heap` into `dir`, verifies it, and makes it the newest; the one it replaces is
/// kept as the backup. On an error nothing that was there before is lost, and the heap's next snapshot
/// is written in full.
pub fn write(dir: &Path, heap: &Heap, info: &SnapshotInfo) -> Result<WriteReport, SnapshotError> {
    write_on(&RealDisk, dir, heap, info)
}

/// [`write`] on `disk`.
pub fn write_on(
    disk: &dyn Disk,
    dir: &Path,
    heap: &Heap,
    info: &SnapshotInfo,
) -> Result<WriteReport, SnapshotError> {
    assert_eq!(info.mugs.len(), info.roots.len(), "a mug for every root");
    crate::disk::create_dir_durably(disk, dir).map_err(io_error(dir, "create"))?;
    let newest = newest_manifest(disk, dir)?;
    let result = write_verified(disk, dir, heap, info, newest.as_ref().map(|(m, _)| m));
    let report = match result {
        Ok(report) => report,
        Err(e) => {
            heap.start_lineage();
            let _ = disk.remove_file(&dir.join(PREPARED));
            remove_unlisted_segments(disk, dir);
            return Err(e);
        }
    };
    // The verified write becomes the newest; the newest before it, the backup. At every moment the
    // newest manifest names a complete, verified image.
    promote(disk, dir, newest.as_ref().map(|(_, bytes)| bytes.as_slice()))?;
    heap.seal();
    remove_unlisted_segments(disk, dir);
    Ok(report)
}

/// Makes the prepared manifest the newest, and `newest` (the bytes of the one it replaces) the backup.
///
/// A name is durable only once its directory is synced, and a crash may keep any of the renames made
/// since: so the directory is synced before each rename that must not reach the disk without what came
/// before it (the new segments before the manifest that lists them, the backup before the newest is
/// replaced).
fn promote(disk: &dyn Disk, dir: &Path, newest: Option<&[u8]>) -> Result<(), SnapshotError> {
    sync_dir(disk, dir)?;
    if let Some(bytes) = newest {
        let prepared = dir.join(BACKUP_PREPARED);
        write_synced(disk, &prepared, bytes)?;
        disk.rename(&prepared, &dir.join(BACKUP)).map_err(io_error(&prepared, "rename into place"))?;
        sync_dir(disk, dir)?;
    }
    let path = dir.join(NEWEST);
    disk.rename(&dir.join(PREPARED), &path).map_err(io_error(&path, "rename into place"))?;
    sync_dir(disk, dir)
}

/// Writes the segment and the prepared manifest, and reads the image back to check it.
fn write_verified(
    disk: &dyn Disk,
    dir: &Path,
    heap: &Heap,
    info: &SnapshotInfo,
    newest: Option<&Manifest>,
) -> Result<WriteReport, SnapshotError> {
    let words = heap.words();
    // Appending is right only onto words of this heap's own lineage that it has sealed: any cut below its
    // sealed mark started a new lineage. (A manifest of the same lineage past the mark is not this heap's
    // history: a heap loaded from the backup, say, grew apart from the newest.)
    let appendable = newest
        .filter(|m| m.lineage == heap.lineage() && m.words <= heap.sealed_words() as u64 && m.words > 0);
    let (mut segments, start) = match appendable {
        Some(m) => {
            assert!(
                heap.lowest_cut_since_seal().is_none_or(|cut| cut as u64 >= m.words),
                "a snapshot appends to {} words on disk, but the heap was cut at word {:?} since",
                m.words,
                heap.lowest_cut_since_seal()
            );
            (m.segments.clone(), m.words)
        }
        None => {
            heap.start_lineage();
            (Vec::new(), 0)
        }
    };
    let lineage = heap.lineage();
    let new_words = &words[start as usize..];
    if !new_words.is_empty() {
        segments.push(write_segment(disk, dir, lineage, start, new_words)?);
    }
    let manifest = Manifest {
        event: info.event,
        lineage,
        words: words.len() as u64,
        roots: info.roots.iter().map(|r| r.raw()).collect(),
        mugs: info.mugs.clone(),
        segments,
    };
    let prepared = dir.join(PREPARED);
    write_synced(disk, &prepared, &manifest.encode())?;
    verify_written(disk, dir, &manifest, &prepared, start)?;
    Ok(WriteReport { words_written: new_words.len() as u64, full: start == 0 })
}

/// Reads back what a write put on disk. A whole image is loaded and checked as a load checks it (every
/// box, every root's mug from the structure). An increment is checked as far as it is new: the manifest
/// reads back, and the words past `start` read back with their checksum; the words before them are the
/// ones an earlier write verified, which this heap has not cut since (the lineage and the assertion
/// above), and every load checks the whole image again.
fn verify_written(
    disk: &dyn Disk,
    dir: &Path,
    manifest: &Manifest,
    prepared: &Path,
    start: u64,
) -> Result<(), SnapshotError> {
    if start == 0 {
        return load_image(disk, dir, manifest, prepared).map(|_| ());
    }
    let read = read_manifest(disk, dir, PREPARED)?;
    if read != *manifest {
        let why = "the manifest read back is not the one written".to_string();
        return Err(SnapshotError::Corrupt { path: prepared.to_path_buf(), why });
    }
    let new: Vec<SegmentEntry> = manifest.segments.iter().filter(|s| s.first >= start).copied().collect();
    let increment = Manifest { segments: new, ..manifest.clone() };
    read_segments(disk, dir, &increment, prepared).map(|_| ())
}

/// Removes the segment files that neither the newest manifest nor the backup lists (left by an older
/// lineage, a rejected snapshot or an interrupted write). If either manifest is there but does not read
/// (an I/O error, or damage), nothing is removed: its segments cannot be told apart from garbage.
fn remove_unlisted_segments(disk: &dyn Disk, dir: &Path) {
    let mut listed: Vec<PathBuf> = Vec::new();
    for name in [NEWEST, BACKUP] {
        match read_manifest(disk, dir, name) {
            Ok(m) => listed.extend(m.segments.iter().map(|s| segment_path(dir, m.lineage, s.first))),
            Err(SnapshotError::Missing(_)) => {}
            Err(_) => return,
        }
    }
    let Ok(names) = disk.list(dir) else { return };
    for name in names {
        let path = dir.join(name);
        if path.extension().is_some_and(|e| e == "seg") && !listed.contains(&path) {
            let _ = disk.remove_file(&path);
        }
    }
}

fn read_manifest(disk: &dyn Disk, dir: &Path, name: &str) -> Result<Manifest, SnapshotError> {
    let path = dir.join(name);
    let bytes = match disk.read(&path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            return Err(SnapshotError::Missing(dir.to_path_buf()));
        }
        Err(source) => return Err(SnapshotError::Io { path, op: "read", source }),
    };
    if let Some(version) = Manifest::claimed_version(&bytes).filter(|&v| v > VERSION) {
        return Err(SnapshotError::Newer { path, version });
    }
    Manifest::decode(&bytes).map_err(|why| SnapshotError::Corrupt { path, why })
}

/// Loads the newest snapshot in `dir`: the heap (mapped from its segments and copied in) and what it
/// holds, every reachable box checked and every root's mug computed from the image.
pub fn load(dir: &Path) -> Result<(Heap, SnapshotInfo), SnapshotError> {
    load_on(&RealDisk, dir)
}

/// [`load`] on `disk`.
pub fn load_on(disk: &dyn Disk, dir: &Path) -> Result<(Heap, SnapshotInfo), SnapshotError> {
    let manifest = read_manifest(disk, dir, NEWEST)?;
    load_image(disk, dir, &manifest, &dir.join(NEWEST))
}

/// Loads the backup: the snapshot the newest one replaced (checked as [`load`] checks).
pub fn load_backup(dir: &Path) -> Result<(Heap, SnapshotInfo), SnapshotError> {
    load_backup_on(&RealDisk, dir)
}

/// [`load_backup`] on `disk`.
pub fn load_backup_on(disk: &dyn Disk, dir: &Path) -> Result<(Heap, SnapshotInfo), SnapshotError> {
    let manifest = read_manifest(disk, dir, BACKUP)?;
    load_image(disk, dir, &manifest, &dir.join(BACKUP))
}

/// Sets the newest snapshot aside (as `manifest.rejected`), so that the backup is the one loaded and kept
/// from now on; for a newest snapshot that failed to load. Its segments go at the next write.
pub fn reject_newest(dir: &Path) -> Result<(), SnapshotError> {
    reject_newest_on(&RealDisk, dir)
}

/// [`reject_newest`] on `disk`.
pub fn reject_newest_on(disk: &dyn Disk, dir: &Path) -> Result<(), SnapshotError> {
    let path = dir.join(NEWEST);
    disk.rename(&path, &dir.join(REJECTED)).map_err(io_error(&path, "set aside"))?;
    sync_dir(disk, dir)
}

/// The words of the image `manifest` lists, each segment's size and CRC checked.
fn read_segments(
    disk: &dyn Disk,
    dir: &Path,
    manifest: &Manifest,
    manifest_path: &Path,
) -> Result<Vec<u64>, SnapshotError> {
    let mut words: Vec<u64> = Vec::new();
    let listed: u64 = manifest.segments.iter().map(|s| s.words).sum();
    words.try_reserve_exact(listed as usize).map_err(|_| SnapshotError::Corrupt {
        path: manifest_path.to_path_buf(),
        why: format!("an image of {listed} words cannot be allocated"),
    })?;
    for segment in &manifest.segments {
        let path = segment_path(dir, manifest.lineage, segment.first);
        let corrupt = |why: String| SnapshotError::Corrupt { path: path.clone(), why };
        let map = match disk.map(&path) {
            Ok(map) => map,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                return Err(corrupt("segment file is missing".into()));
            }
            Err(source) => return Err(SnapshotError::Io { path: path.clone(), op: "map", source }),
        };
        let size = map.len() as u64;
        if size != segment.words * 8 {
            return Err(corrupt(format!("{size} bytes where {} were written", segment.words * 8)));
        }
        let start = words.len();
        words.extend(map.chunks_exact(8).map(|b| u64::from_le_bytes(b.try_into().expect("8 bytes"))));
        if words_crc(&words[start..]) != segment.crc {
            return Err(corrupt("checksum mismatch".into()));
        }
    }
    Ok(words)
}

/// The heap and info of the image `manifest` describes, checked: segments, boxes, and the roots' mugs
/// computed from the structure.
fn load_image(
    disk: &dyn Disk,
    dir: &Path,
    manifest: &Manifest,
    manifest_path: &Path,
) -> Result<(Heap, SnapshotInfo), SnapshotError> {
    let words = read_segments(disk, dir, manifest, manifest_path)?;
    let roots: Vec<Noun> = manifest.roots.iter().map(|&r| Noun::from_raw(r)).collect();
    let mut heap = Heap::from_image(words, manifest.lineage, &roots)
        .map_err(|e| SnapshotError::Corrupt { path: manifest_path.to_path_buf(), why: e.to_string() })?;
    let mut mugs = Vec::with_capacity(roots.len());
    for (root, (&noun, &recorded)) in roots.iter().zip(&manifest.mugs).enumerate() {
        let computed = heap.mug(noun);
        if computed != recorded {
            let path = manifest_path.to_path_buf();
            return Err(SnapshotError::Mismatch { path, event: manifest.event, root, recorded, computed });
        }
        mugs.push(computed);
    }
    mugs.extend(roots[mugs.len()..].iter().map(|&noun| heap.mug(noun)));
    Ok((heap, SnapshotInfo { event: manifest.event, roots, mugs }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manifest_round_trips_and_refuses_gaps() {
        let m = Manifest {
            event: 9,
            lineage: 77,
            words: 30,
            roots: vec![5, 6],
            mugs: vec![0x1234, 0x5678],
            segments: vec![
                SegmentEntry { first: 0, words: 10, crc: 1 },
                SegmentEntry { first: 10, words: 20, crc: 2 },
            ],
        };
        assert_eq!(Manifest::decode(&m.encode()), Ok(m.clone()));
        let gap = Manifest { words: 31, ..m };
        assert!(Manifest::decode(&gap.encode()).unwrap_err().contains("31"));
    }

    fn atoms(heap: &mut Heap, from: u64, to: u64) -> Noun {
        let items: Vec<Noun> = (from..to).map(|i| heap.atom_from_limbs(&[i, 1])).collect();
        heap.list(&items)
    }

    /// The image the mixing bug made: the base segment of one heap under the new words and roots of
    /// another. Every checksum holds and the root's box carries its own heap's mug; the load refuses it
    /// all the same, by the mug the image's structure gives.
    #[test]
    fn an_image_mixed_from_two_heaps_is_refused_at_load_with_the_mug_it_has() {
        let dir = tempfile::tempdir().unwrap();
        let mut old = Heap::new();
        let old_list = atoms(&mut old, 0, 100);
        let first = SnapshotInfo::of(&mut old, 1, vec![old_list]);
        write(dir.path(), &old, &first).unwrap();
        let base = read_manifest(&RealDisk, dir.path(), NEWEST).unwrap();

        let mut new = Heap::new();
        let new_list = atoms(&mut new, 7, 107);
        assert_eq!(new.words_used() as u64, base.words);
        let kernel = new.cell(new_list, Noun::ONE);
        let info = SnapshotInfo::of(&mut new, 2, vec![kernel]);
        let tail = write_segment(
            &RealDisk,
            dir.path(),
            base.lineage,
            base.words,
            &new.words()[base.words as usize..],
        );
        let mixed = Manifest {
            event: 2,
            lineage: base.lineage,
            words: new.words_used() as u64,
            roots: vec![kernel.raw()],
            mugs: info.mugs.clone(),
            segments: [base.segments.clone(), vec![tail.unwrap()]].concat(),
        };
        write_synced(&RealDisk, &dir.path().join(NEWEST), &mixed.encode()).unwrap();

        let image_kernel = old.cell(old_list, Noun::ONE);
        match load(dir.path()) {
            Err(SnapshotError::Mismatch { event: 2, root: 0, recorded, computed, .. }) => {
                assert_eq!(recorded, info.mug());
                assert_eq!(computed, old.mug(image_kernel), "the mug of what the image holds");
            }
            other => panic!("the mixed image loaded: {:?}", other.map(|(_, info)| info)),
        }
    }

    /// Found by the fault-injection harness (seed 99): a read of the newest manifest that failed once,
    /// just after a write, made its segments look unlisted, and they were removed.
    #[test]
    fn an_unreadable_manifest_keeps_every_segment() {
        use crate::sim::{Faults, SimDisk};
        let sim = SimDisk::new(1, Faults::none());
        let dir = Path::new("/pier/snap");
        let mut heap = Heap::new();
        let list = atoms(&mut heap, 0, 10);
        let first = SnapshotInfo::of(&mut heap, 1, vec![list]);
        write_on(&sim, dir, &heap, &first).unwrap();
        let more = atoms(&mut heap, 10, 20);
        let second = SnapshotInfo::of(&mut heap, 2, vec![more]);
        write_on(&sim, dir, &heap, &second).unwrap();

        sim.fail_reads_of(Some(dir.join(NEWEST)));
        remove_unlisted_segments(&sim, dir);
        let third = atoms(&mut heap, 20, 30);
        let info = SnapshotInfo::of(&mut heap, 3, vec![third]);
        let refused = write_on(&sim, dir, &heap, &info);
        assert!(matches!(refused, Err(SnapshotError::Io { op: "read", .. })), "{refused:?}");
        sim.fail_reads_of(None);

        let (_, newest) = load_on(&sim, dir).expect("the newest snapshot still loads");
        assert_eq!(newest.event, 2);
        assert_eq!(load_backup_on(&sim, dir).unwrap().1.event, 1);
    }

    #[test]
    fn a_version_1_manifest_still_loads() {
        let dir = tempfile::tempdir().unwrap();
        let mut heap = Heap::new();
        let list = atoms(&mut heap, 0, 10);
        let info = SnapshotInfo::of(&mut heap, 5, vec![list, Noun::ONE]);
        write(dir.path(), &heap, &info).unwrap();
        let manifest = read_manifest(&RealDisk, dir.path(), NEWEST).unwrap();
        // The same manifest in the first format: the root mugs dropped, the version 1.
        let mut bytes = manifest.encode();
        bytes.truncate(bytes.len() - 4 - 4 * manifest.roots.len());
        bytes[4..8].copy_from_slice(&VERSION_NO_ROOT_MUGS.to_le_bytes());
        let crc = crc32fast::hash(&bytes);
        bytes.extend_from_slice(&crc.to_le_bytes());
        write_synced(&RealDisk, &dir.path().join(NEWEST), &bytes).unwrap();
        let (_, got) = load(dir.path()).unwrap();
        assert_eq!((got.event, got.mugs), (5, info.mugs));
    }
}
