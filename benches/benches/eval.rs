//! Hoon through the ivory pill: booting ivory (cue + lifecycle), the perf.md expressions through the
//! kernel's wish (Vere 1.16's medians for the same work are in ../shared/perf.md), and every eval.json
//! expression as `engine eval` runs it (parsed, compiled, run and printed). Run:
//! `cargo bench -p engine-benches --bench eval`.

use components::{Heap, Noun};
use divan::Bencher;
use std::sync::LazyLock;
use systems::arvo::{Ivory, Runner};

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

/// The perf.md Hoon rows through the kernel's wish alone (parse, compile, run: what Vere's figures time),
/// each product checked against Vere's mug.
#[divan::bench(args = engine_tests::PERF_WISHES.map(|(expr, _)| expr), sample_count = 15)]
fn wish(bencher: Bencher, expr: &str) {
    let (mut heap, mut runner, ivory) = boot();
    let mug = engine_tests::PERF_WISHES.iter().find(|(e, _)| *e == expr).map(|(_, m)| *m).unwrap();
    bencher.bench_local(|| {
        let product = runner.wish(&mut heap, ivory.kernel, expr).unwrap();
        assert_eq!(heap.mug(product), mug, "{expr}");
    });
}

/// `!>(|=(a=@ +(a)))` prints a tank larger than any loom (it fails with `meme` after minutes): its wish
/// is timed above, and it is left out here.
const NOT_PRINTABLE: &str = "!>(|=(a=@ +(a)))";

/// Every eval.json expression, from the source text to the printed lines (or to the printed error),
/// as `engine eval` does.
fn eval_json() -> Vec<String> {
    let file = engine_tests::vectors("eval.json");
    let cases = file.as_array().expect("a list of cases");
    cases
        .iter()
        .filter_map(|c| c["expr"].as_str())
        .filter(|e| *e != NOT_PRINTABLE)
        .map(String::from)
        .collect()
}

#[divan::bench(args = eval_json(), sample_count = 5)]
fn eval(bencher: Bencher, expr: &str) {
    let (mut heap, mut runner, ivory) = boot();
    bencher.bench_local(|| ivory.eval(&mut heap, &mut runner, expr, 80));
}
