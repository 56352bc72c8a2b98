//! Snapshots: round trips of a real kernel-sized heap, incremental writes, compaction, and damage.

use components::{Heap, Noun};
use engine_tests::pill_bytes;
use std::fs;
use std::path::{Path, PathBuf};
use store::snapshot::{self, SnapshotError, SnapshotInfo};

fn segments(dir: &Path) -> Vec<PathBuf> {
    let mut paths: Vec<PathBuf> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "seg"))
        .collect();
    paths.sort();
    paths
}

fn info(heap: &mut Heap, event: u64, roots: &[Noun]) -> SnapshotInfo {
    SnapshotInfo { event, mug: heap.mug(roots[0]), roots: roots.to_vec() }
}

#[test]
fn snapshot_round_trips_and_only_new_words_are_written_next_time() {
    let dir = tempfile::tempdir().unwrap();
    let mut heap = Heap::new();
    let brass = heap.cue(&pill_bytes("brass.pill")).unwrap();
    let first = info(&mut heap, 13, &[brass]);
    let report = snapshot::write(dir.path(), &heap, &first).unwrap();
    assert!(report.full);
    assert_eq!(report.words_written, heap.words_used() as u64);

    let before = heap.words_used();
    let ivory = heap.cue(&pill_bytes("ivory.pill")).unwrap();
    let pair = heap.cell(brass, ivory);
    let second = info(&mut heap, 14, &[pair, brass]);
    let report = snapshot::write(dir.path(), &heap, &second).unwrap();
    assert!(!report.full);
    assert_eq!(report.words_written, (heap.words_used() - before) as u64, "only what is new");
    assert_eq!(segments(dir.path()).len(), 2);

    let (mut loaded, got) = snapshot::load(dir.path()).unwrap();
    assert_eq!((got.event, got.mug), (second.event, second.mug));
    let raw = |roots: &[Noun]| roots.iter().map(|r| r.raw()).collect::<Vec<_>>();
    assert_eq!(raw(&got.roots), raw(&second.roots));
    assert_eq!(loaded.mug(got.roots[0]), heap.mug(pair));
    assert!(loaded.eq(got.roots[1], got.roots[1]));
    assert_eq!(loaded.jam(got.roots[1]), pill_bytes("brass.pill"));
    assert_eq!(
        loaded.lineage(),
        heap.lineage(),
        "a loaded heap keeps its lineage, so the next write appends"
    );
}

#[test]
fn a_compacted_heap_is_written_whole_and_old_segments_go() {
    let dir = tempfile::tempdir().unwrap();
    let mut heap = Heap::new();
    let n = heap.cue(&pill_bytes("sword-baby.pill")).unwrap();
    let first = info(&mut heap, 2, &[n]);
    snapshot::write(dir.path(), &heap, &first).unwrap();
    let old = segments(dir.path());

    let mut compacted = Heap::new();
    let m = compacted.cue(&pill_bytes("sword-toddler.pill")).unwrap();
    let second = info(&mut compacted, 3, &[m]);
    let report = snapshot::write(dir.path(), &compacted, &second).unwrap();
    assert!(report.full);
    let now = segments(dir.path());
    assert_eq!(now.len(), 1);
    assert!(old.iter().all(|p| !p.exists()), "the old lineage's segments are removed");
    let (_, got) = snapshot::load(dir.path()).unwrap();
    assert_eq!(got.event, 3);
}

#[test]
fn damaged_or_missing_parts_are_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    assert!(matches!(snapshot::load(dir.path()), Err(SnapshotError::Missing(_))));

    let mut heap = Heap::new();
    let n = heap.cue(&pill_bytes("sword-toddler.pill")).unwrap();
    let first = info(&mut heap, 2, &[n]);
    snapshot::write(dir.path(), &heap, &first).unwrap();
    let segment = segments(dir.path()).remove(0);
    let saved = fs::read(&segment).unwrap();

    let mut flipped = saved.clone();
    flipped[saved.len() / 2] ^= 1;
    fs::write(&segment, &flipped).unwrap();
    let err = snapshot::load(dir.path()).unwrap_err();
    assert!(err.to_string().contains("checksum"), "{err}");

    fs::write(&segment, &saved[..saved.len() - 8]).unwrap();
    let err = snapshot::load(dir.path()).unwrap_err();
    assert!(matches!(err, SnapshotError::Corrupt { .. }), "{err}");

    fs::remove_file(&segment).unwrap();
    let err = snapshot::load(dir.path()).unwrap_err();
    assert!(err.to_string().contains("missing"), "{err}");

    fs::write(&segment, &saved).unwrap();
    let manifest = dir.path().join("manifest");
    let mut bytes = fs::read(&manifest).unwrap();
    bytes[10] ^= 0xff;
    fs::write(&manifest, &bytes).unwrap();
    let err = snapshot::load(dir.path()).unwrap_err();
    assert!(err.to_string().contains("manifest checksum"), "{err}");
}
