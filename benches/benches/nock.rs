//! The Nock programs of ../shared/jam (each the jam of `[subject formula]`), run by the interpreter with
//! no jets. Run: `cargo bench -p engine-benches --bench nock`. Vere 1.16's medians for the same programs
//! on this machine kind are in ../shared/perf.md; items are the interpreter's steps, so the throughput
//! column reads as steps per second.

use components::{Heap, Noun};
use divan::counter::ItemsCount;
use divan::{Bencher, black_box};
use systems::interp::{Machine, Outcome};

fn main() {
    divan::main();
}

const PROGRAMS: [&str; 8] = [
    "decrement",
    "decrement2",
    "repeat5_10",
    "repeat5_100",
    "repeat5_1000",
    "repeat5_10_tc",
    "repeat5_100_tc",
    "repeat5_1000_tc",
];

fn load(name: &str) -> (Heap, Noun, Noun) {
    let path = engine_tests::shared_path(&format!("jam/{name}.jam"));
    let mut heap = Heap::with_capacity(1 << 22);
    let program = heap.cue(&std::fs::read(path).unwrap()).unwrap();
    let (subject, formula) = heap.cell_parts(program).unwrap();
    (heap, subject, formula)
}

fn steps(name: &str) -> u64 {
    let (mut heap, subject, formula) = load(name);
    let mut machine = Machine::new();
    machine.start(&heap, subject, formula);
    assert!(matches!(machine.run(&mut heap, u64::MAX), Outcome::Done(_)));
    machine.steps()
}

#[divan::bench(args = PROGRAMS, sample_count = 50)]
fn program(bencher: Bencher, name: &str) {
    let (heap, subject, formula) = load(name);
    let marked = heap.words_used();
    bencher.counter(ItemsCount::new(steps(name))).with_inputs(|| heap.clone()).bench_local_values(
        |mut heap| {
            let mut machine = Machine::new();
            machine.start(&heap, subject, formula);
            let outcome = machine.run(&mut heap, u64::MAX);
            assert!(matches!(outcome, Outcome::Done(_)));
            black_box(heap.words_used() - marked);
            heap
        },
    );
}
