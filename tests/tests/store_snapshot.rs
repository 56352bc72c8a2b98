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
    SnapshotInfo::of(heap, event, roots.to_vec())
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
    assert_eq!((got.event, got.mug()), (second.event, second.mug()));
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

/// A compacted heap is written whole; the snapshot it replaces stays as the backup, and the one before
/// that goes with its segments.
#[test]
fn a_compacted_heap_is_written_whole_and_the_last_snapshot_kept_as_the_backup() {
    let dir = tempfile::tempdir().unwrap();
    let mut heap = Heap::new();
    let n = heap.cue(&pill_bytes("sword-baby.pill")).unwrap();
    let first = info(&mut heap, 2, &[n]);
    snapshot::write(dir.path(), &heap, &first).unwrap();
    let oldest = segments(dir.path());

    let mut compacted = Heap::new();
    let m = compacted.cue(&pill_bytes("sword-toddler.pill")).unwrap();
    let second = info(&mut compacted, 3, &[m]);
    let report = snapshot::write(dir.path(), &compacted, &second).unwrap();
    assert!(report.full);
    assert_eq!(segments(dir.path()).len(), 2, "the new lineage's segment and the backup's");
    assert!(oldest.iter().all(|p| p.exists()), "the backup keeps its segments");
    let (_, got) = snapshot::load(dir.path()).unwrap();
    assert_eq!(got.event, 3);
    let (_, backup) = snapshot::load_backup(dir.path()).unwrap();
    assert_eq!((backup.event, backup.mug()), (first.event, first.mug()));

    let mut again = Heap::new();
    let k = again.cue(&pill_bytes("sword-baby.pill")).unwrap();
    let third = info(&mut again, 4, &[k]);
    snapshot::write(dir.path(), &again, &third).unwrap();
    assert_eq!(segments(dir.path()).len(), 2);
    assert!(oldest.iter().all(|p| !p.exists()), "the snapshot two back is removed");
    assert_eq!(snapshot::load_backup(dir.path()).unwrap().1.event, 3);
}

/// A newest snapshot that does not load leaves the backup to load; once set aside, the next write keeps
/// the backup as it is, rather than the rejected one.
#[test]
fn a_damaged_newest_snapshot_falls_back_to_the_backup() {
    let dir = tempfile::tempdir().unwrap();
    let mut heap = Heap::new();
    let old = atoms(&mut heap, 0, 50);
    let first = info(&mut heap, 1, &[old]);
    snapshot::write(dir.path(), &heap, &first).unwrap();
    let before = segments(dir.path());
    let new = atoms(&mut heap, 50, 100);
    let second = info(&mut heap, 2, &[new]);
    let report = snapshot::write(dir.path(), &heap, &second).unwrap();
    assert!(!report.full, "the second write appends");
    let added: Vec<PathBuf> = segments(dir.path()).into_iter().filter(|p| !before.contains(p)).collect();
    assert_eq!(added.len(), 1);
    let mut bytes = fs::read(&added[0]).unwrap();
    bytes[20] ^= 4;
    fs::write(&added[0], &bytes).unwrap();

    let err = snapshot::load(dir.path()).unwrap_err();
    assert!(err.to_string().contains("checksum"), "{err}");
    let (mut loaded, backup) = snapshot::load_backup(dir.path()).unwrap();
    assert_eq!(backup.event, 1);
    snapshot::reject_newest(dir.path()).unwrap();
    assert!(matches!(snapshot::load(dir.path()), Err(SnapshotError::Missing(_))));

    let kernel = atoms(&mut loaded, 200, 300);
    let third = info(&mut loaded, 3, &[kernel]);
    snapshot::write(dir.path(), &loaded, &third).unwrap();
    assert_eq!(snapshot::load(dir.path()).unwrap().1.event, 3);
    assert_eq!(snapshot::load_backup(dir.path()).unwrap().1.event, 1, "the backup is still the good one");
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

/// The list `[from from+1 ... to-1 ~]`, its items indirect atoms (so each cell and atom takes its own box).
fn atoms(heap: &mut Heap, from: u64, to: u64) -> Noun {
    let items: Vec<Noun> = (from..to).map(|i| heap.atom_from_limbs(&[i, 1])).collect();
    heap.list(&items)
}

/// The regression of the mixed image: a heap loaded from a snapshot and then compacted (every word below
/// the loaded length rewritten) to at least its old length was written as an increment on top of the
/// old base segment. The root, built after the compaction, sat in the new words with a right cached mug,
/// so the image loaded without complaint while its children were the old heap's.
#[test]
fn a_loaded_heap_compacted_then_written_loads_as_itself() {
    let dir = tempfile::tempdir().unwrap();
    let mut heap = Heap::new();
    let old = atoms(&mut heap, 0, 1000);
    let first = info(&mut heap, 1, &[old]);
    snapshot::write(dir.path(), &heap, &first).unwrap();

    let (mut loaded, _) = snapshot::load(dir.path()).unwrap();
    let old_words = loaded.words_used();
    let new = atoms(&mut loaded, 5000, 6000);
    let mut collector = components::copy::Collector::new(&mut loaded, 0);
    let new = collector.relocate(new);
    collector.finish();
    assert!(loaded.words_used() >= old_words, "the compacted heap is at least as long as the loaded one");
    let kernel = loaded.cell(new, Noun::ONE);
    let expected = loaded.jam(kernel);
    let second = info(&mut loaded, 2, &[kernel]);
    snapshot::write(dir.path(), &loaded, &second).unwrap();

    let (again, got) = snapshot::load(dir.path()).unwrap();
    assert_eq!(got.event, 2);
    let loaded = again.jam(got.roots[0]);
    assert!(
        loaded == expected,
        "the loaded kernel is not the written one: its jam has {} bytes, the written one's {}",
        loaded.len(),
        expected.len()
    );
}

/// An image mixed from two heaps (here forced: a heap of the same lineage and length as the last
/// snapshot, but other words, appends a root, and is written as an increment on the other's base) is
/// refused by the load, though every checksum holds and the root's box caches the right mug: the load
/// computes the mugs from the structure, and names the mug the image does have. The backup still loads.
#[test]
fn an_image_mixed_from_two_heaps_is_refused_by_the_load_and_the_backup_kept() {
    let dir = tempfile::tempdir().unwrap();
    let mut heap = Heap::new();
    let old = atoms(&mut heap, 0, 100);
    let first = info(&mut heap, 1, &[old]);
    snapshot::write(dir.path(), &heap, &first).unwrap();

    let mut other = Heap::new();
    let imposter = atoms(&mut other, 7, 107);
    assert_eq!(other.words_used(), heap.words_used());
    let mut other = Heap::from_image(other.words().to_vec(), heap.lineage(), &[imposter]).unwrap();
    let kernel = other.cell(imposter, Noun::ONE);
    let second = info(&mut other, 2, &[kernel]);
    let report = snapshot::write(dir.path(), &other, &second).unwrap();
    assert!(!report.full, "written as an increment on the other heap's words");

    let mut mixed = Heap::new();
    let real = atoms(&mut mixed, 0, 100);
    let real_kernel = mixed.cell(real, Noun::ONE);
    match snapshot::load(dir.path()) {
        Err(SnapshotError::Mismatch { event: 2, root: 0, recorded, computed, .. }) => {
            assert_eq!(recorded, second.mug());
            assert_eq!(computed, mixed.mug(real_kernel), "the mug of what the disk holds");
        }
        other => panic!("expected the mixed image refused, got {:?}", other.map(|(_, i)| i.event)),
    }
    let (_, kept) = snapshot::load_backup(dir.path()).unwrap();
    assert_eq!((kept.event, kept.mug()), (first.event, first.mug()), "the backup is the last good one");
}
