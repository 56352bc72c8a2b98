//! Hoon through the ivory pill: booting ivory (cue + lifecycle) and the perf.md expressions, each parsed,
//! compiled and run by `eval` and rendered. Run: `cargo bench -p engine-benches --bench eval`. Vere 1.16's
//! medians for the same work are in ../shared/perf.md.

use components::{Heap, Noun};
use divan::Bencher;
use std::sync::LazyLock;
use systems::arvo::{Evaluation, Ivory, Runner};

fn main() {
    divan::main();
}

static PILL: LazyLock<Vec<u8>> = LazyLock::new(|| engine_tests::pill_bytes("ivory.pill"));

fn boot() -> (Heap, Runner, Ivory) {
    let mut heap = Heap::with_capacity(1 << 22);
    let pill = heap.cue(&PILL).unwrap();
    let nok_ver: Noun = heap.tail(pill).unwrap();
    let mut runner = Runner::new();
    let ivory = Ivory::boot(&mut heap, &mut runner, nok_ver).unwrap();
    (heap, runner, ivory)
}

/// Cue of ivory.pill and its lifecycle (Vere: 160 ms + 30 ms), without preparing eval's gates.
#[divan::bench(sample_count = 10)]
fn ivory_cue_and_lifecycle() {
    let mut heap = Heap::with_capacity(1 << 22);
    let pill = heap.cue(&PILL).unwrap();
    let nok_ver = heap.tail(pill).unwrap();
    let kernel = Runner::new().lifecycle(&mut heap, nok_ver).unwrap();
    assert_eq!(heap.mug(kernel), 0x4bb376f0);
}

const EXPRESSIONS: [&str; 5] = [
    "(add 2 2)",
    "(shax 'hello')",
    "(roll (gulf 1 100.000) add)",
    "=/(n 0 |-(?:(=(n 1.000.000) n $(n +(n)))))",
    "=/(f |=(n=@ ?:((lth n 2) n (add $(n (dec n)) $(n (sub n 2))))) (f 22))",
];

#[divan::bench(args = EXPRESSIONS, sample_count = 5)]
fn expression(bencher: Bencher, expr: &str) {
    let (mut heap, mut runner, ivory) = boot();
    bencher.bench_local(|| match ivory.eval(&mut heap, &mut runner, expr, 80) {
        Evaluation::Value(lines) => lines,
        Evaluation::Error { .. } => panic!("{expr} failed"),
    });
}
