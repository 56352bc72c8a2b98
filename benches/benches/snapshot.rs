//! Snapshot write and restart (load) for heaps of 100 MB and 1 GB, and an incremental snapshot after 1% more
//! heap. Run: `cargo bench -p engine-benches --bench snapshot`. The baseline in the same run is
//! `write_raw`: the same bytes written and synced as one plain file.

use components::{Heap, Noun};
use divan::Bencher;
use divan::counter::BytesCount;
use std::io::Write;
use store::snapshot::{self, SnapshotInfo};

fn main() {
    divan::main();
}

const SIZES_MB: [usize; 2] = [100, 1000];

/// A heap of about `mb` megabytes: a long list of small cells over varied atoms, with its mugs computed.
fn heap_of(mb: usize) -> (Heap, SnapshotInfo) {
    let cells = mb * (1 << 20) / 48; // two cells (6 words) per item
    let mut heap = Heap::with_capacity(cells * 3 + 16);
    let mut list = Noun::ZERO;
    for i in 0..cells as u64 {
        let item = heap.cell(Noun::direct(i).unwrap(), Noun::direct(i ^ 0x5555).unwrap());
        list = heap.cell(item, list);
    }
    let info = SnapshotInfo::of(&mut heap, 1, vec![list]);
    (heap, info)
}

fn scratch() -> tempfile::TempDir {
    tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap()
}

#[divan::bench(args = SIZES_MB, sample_count = 3)]
fn write_raw(bencher: Bencher, mb: usize) {
    let (heap, _) = heap_of(mb);
    let bytes: Vec<u8> = heap.words().iter().flat_map(|w| w.to_le_bytes()).collect();
    bencher.counter(BytesCount::new(bytes.len())).with_inputs(scratch).bench_local_values(|dir| {
        let mut file = std::fs::File::create(dir.path().join("raw")).unwrap();
        file.write_all(&bytes).unwrap();
        file.sync_all().unwrap();
        dir
    });
}

#[divan::bench(args = SIZES_MB, sample_count = 3)]
fn write_full(bencher: Bencher, mb: usize) {
    let (heap, info) = heap_of(mb);
    bencher.counter(BytesCount::new(heap.words_used() * 8)).with_inputs(scratch).bench_local_values(|dir| {
        snapshot::write(dir.path(), &heap, &info).unwrap();
        dir
    });
}

/// A snapshot after the heap grew by 1%: each sample starts from a copy of the base snapshot (untimed).
#[divan::bench(args = SIZES_MB, sample_count = 3)]
fn write_incremental_one_percent(bencher: Bencher, mb: usize) {
    let (mut heap, info) = heap_of(mb);
    let base = scratch();
    snapshot::write(base.path(), &heap, &info).unwrap();
    let before = heap.words_used();
    let mut list = info.roots[0];
    for i in 0..heap.words_used() / 300 {
        list = heap.cell(Noun::direct(i as u64).unwrap(), list);
    }
    let info = SnapshotInfo::of(&mut heap, 2, vec![list]);
    let copy_of_base = || {
        let dir = scratch();
        for entry in std::fs::read_dir(base.path()).unwrap() {
            let path = entry.unwrap().path();
            std::fs::copy(&path, dir.path().join(path.file_name().unwrap())).unwrap();
        }
        dir
    };
    bencher
        .counter(BytesCount::new((heap.words_used() - before) * 8))
        .with_inputs(copy_of_base)
        .bench_local_values(|dir| {
            let report = snapshot::write(dir.path(), &heap, &info).unwrap();
            assert!(!report.full);
            dir
        });
}

#[divan::bench(args = SIZES_MB, sample_count = 3)]
fn restart(bencher: Bencher, mb: usize) {
    let (heap, info) = heap_of(mb);
    let dir = scratch();
    snapshot::write(dir.path(), &heap, &info).unwrap();
    let bytes = heap.words_used() * 8;
    drop(heap);
    bencher.counter(BytesCount::new(bytes)).bench(|| snapshot::load(dir.path()).unwrap());
}
