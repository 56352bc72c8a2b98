//! jam, cue and mug on the real pills. Run: `cargo bench -p engine-benches --bench serial`.
//!
//! `copy_*` is the same-run baseline: copying the pill's bytes once (memory bandwidth), so each figure can
//! be read as a ratio to it. Vere's medians on this machine kind are in ../shared/perf.md.

use components::{Heap, Noun};
use divan::counter::BytesCount;
use divan::{Bencher, black_box};
use std::sync::LazyLock;

fn main() {
    divan::main();
}

struct Pill {
    bytes: Vec<u8>,
    heap: Heap,
    noun: Noun,
}

fn load(name: &str) -> Pill {
    let bytes = engine_tests::pill_bytes(name);
    let mut heap = Heap::new();
    let noun = heap.cue(&bytes).expect("the pill cues");
    Pill { bytes, heap, noun }
}

static IVORY: LazyLock<Pill> = LazyLock::new(|| load("ivory.pill"));
static BRASS: LazyLock<Pill> = LazyLock::new(|| load("brass.pill"));

fn pill(name: &str) -> &'static Pill {
    match name {
        "ivory" => &IVORY,
        _ => &BRASS,
    }
}

const PILLS: [&str; 2] = ["ivory", "brass"];

#[divan::bench(args = PILLS, sample_count = 20)]
fn copy(bencher: Bencher, name: &str) {
    let p = pill(name);
    bencher.counter(BytesCount::new(p.bytes.len())).bench(|| black_box(p.bytes.clone()));
}

#[divan::bench(args = PILLS, sample_count = 20)]
fn cue(bencher: Bencher, name: &str) {
    let p = pill(name);
    bencher.counter(BytesCount::new(p.bytes.len())).bench(|| {
        let mut heap = Heap::new();
        black_box(heap.cue(black_box(&p.bytes)).unwrap());
        heap
    });
}

#[divan::bench(args = PILLS, sample_count = 20)]
fn jam(bencher: Bencher, name: &str) {
    let p = pill(name);
    bencher.counter(BytesCount::new(p.bytes.len())).bench(|| black_box(p.heap.jam(p.noun)));
}

/// The mug of the whole cued brass pill, every cell hashed (each sample cues afresh, untimed).
#[divan::bench(sample_count = 20)]
fn mug_brass(bencher: Bencher) {
    let p = pill("brass");
    bencher
        .with_inputs(|| {
            let mut heap = Heap::new();
            let noun = heap.cue(&p.bytes).unwrap();
            (heap, noun)
        })
        .bench_local_values(|(mut heap, noun)| {
            black_box(heap.mug(noun));
            heap
        });
}
