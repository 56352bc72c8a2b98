//! Hoon through the ivory pill against ../shared/vectors/eval.json: each expression prints what Vere
//! 1.16's `urbit eval` printed, and each expression Vere failed on fails here too.
//!
//! `!>(|=(a=@ +(a)))`, which Vere failed on, compiles at once, but printing the vase prints its noun, the
//! gate with the whole standard library in its context, as a raw noun: a tank larger than any loom. It
//! fails with `meme` once the heap is full, as in Vere; the tests give the heap 128 MiB (Vere's
//! `--loom 27`) so that it fills in seconds rather than minutes (2 GiB, the default, takes about five).
use components::Heap;
use engine_tests::{pill_bytes, vectors};
use systems::arvo::{Evaluation, Ivory, Runner};
use systems::interp::Mote;

/// The heap the tests give each evaluation: 128 MiB, in words.
const HEAP_WORDS_MAX: usize = (1 << 27) / 8;

fn boot(heap: &mut Heap, runner: &mut Runner) -> Ivory {
    let pill = heap.cue(&pill_bytes("ivory.pill")).unwrap();
    let nok_ver = heap.tail(pill).unwrap();
    let ivory = Ivory::boot(heap, runner, nok_ver).unwrap_or_else(|c| panic!("ivory boot: {c:?}"));
    assert_eq!(heap.mug(ivory.kernel), 0x4bb376f0, "the ivory kernel's mug, as Vere prints it");
    ivory
}

#[test]
fn eval_json_every_expression_prints_what_vere_printed() {
    let file = vectors("eval.json");
    let cases = file.as_array().expect("a list of cases");
    let mut heap = Heap::new();
    let mut runner = Runner::new();
    let mut ivory = boot(&mut heap, &mut runner);
    runner.budget_steps = 2_000_000_000;
    runner.limits.heap_words_max = HEAP_WORDS_MAX;
    let (mut failures, mut unfinished) = (Vec::new(), Vec::new());
    for case in cases {
        let expr = case["expr"].as_str().unwrap();
        let started = std::time::Instant::now();
        let evaluation = ivory.eval(&mut heap, &mut runner, expr, 80);
        let took = started.elapsed();
        match (case.get("expect").and_then(|e| e.as_str()), evaluation) {
            (Some(expected), Evaluation::Value(lines)) if lines.join("\n") == expected => {}
            (_, Evaluation::Error { mote: Mote::Intr, .. }) => unfinished.push(expr),
            // The vectors record only that Vere failed. Most failures print a trace; a jet that crashes
            // without pushing one (Vere's `need` on `~`) prints only the bail, in Vere as here.
            (None, Evaluation::Error { .. }) if case["error"] == true => {}
            (_, Evaluation::Value(lines)) => {
                failures.push(format!("{expr}: printed {:?}, expected {case}", lines))
            }
            (_, Evaluation::Error { mote, lines }) => {
                failures.push(format!("{expr}: failed ({}) {:?}, expected {case}", mote.name(), lines))
            }
        }
        eprintln!("{took:>12.3?}  {expr}");
        ivory.compact(&mut heap, &mut runner);
    }
    eprintln!("unfinished within the step budget: {unfinished:?}");
    assert!(failures.is_empty(), "{} of {} differ:\n{}", failures.len(), cases.len(), failures.join("\n"));
    assert!(unfinished.is_empty(), "{} of {} unfinished: {unfinished:?}", unfinished.len(), cases.len());
}

/// The Hoon rows of perf.md: each product, straight from the kernel's wish, has the mug Vere's had (the
/// vase of `!>(|=(a=@ +(a)))` among them, whose printing is what runs out of memory).
#[test]
fn perf_md_wishes_give_vere_s_products() {
    let (mut heap, mut runner, ivory) = engine_tests::boot_ivory();
    for (expr, mug) in engine_tests::PERF_WISHES {
        let product = runner.wish(&mut heap, ivory.kernel, expr).unwrap_or_else(|c| panic!("{expr}: {c:?}"));
        assert_eq!(heap.mug(product), mug, "{expr}: mug {:#x}, Vere's {mug:#x}", heap.mug(product));
    }
}

/// The same with a nursery of 32 KiB and a major collection whenever 256 KiB were promoted: thousands of
/// minor and major collections inside the compiler, with the memo cache and the jet registrations
/// (which a minor collection rewrites only in part) full, and the same kernel and products.
#[test]
fn a_tiny_nursery_changes_no_product() {
    let mut heap = Heap::new();
    let mut runner = Runner::new();
    runner.limits.nursery_words = 1 << 12;
    runner.limits.young_words_min = 1 << 15;
    let ivory = boot(&mut heap, &mut runner);
    for (expr, mug) in engine_tests::PERF_WISHES {
        let product = runner.wish(&mut heap, ivory.kernel, expr).unwrap_or_else(|c| panic!("{expr}: {c:?}"));
        assert_eq!(heap.mug(product), mug, "{expr}: mug {:#x}, Vere's {mug:#x}", heap.mug(product));
    }
}

/// `--check-jets` over eval.json: every jet call made while evaluating the expressions (booting included)
/// also runs the arm's Nock, and the two never disagree. About 540,000 calls, a minute in release:
/// a long test, run with `cargo test --release -p engine-tests --test eval_vectors -- --ignored`.
#[test]
#[ignore = "long: about a minute in release (see the README's long tests)"]
fn check_jets_over_eval_json_finds_no_disagreement() {
    let file = vectors("eval.json");
    let mut heap = Heap::new();
    let mut runner = Runner::new();
    runner.hints.check_jets = true;
    let mut ivory = boot(&mut heap, &mut runner);
    runner.budget_steps = 2_000_000_000;
    runner.limits.heap_words_max = HEAP_WORDS_MAX;
    for case in file.as_array().unwrap() {
        let expr = case["expr"].as_str().unwrap();
        // Printing `!>(|=(a=@ +(a)))` runs until the heap is full of the tank it builds (see above; the
        // young space's garbage is collected as it goes, so only live words fill it): under checking,
        // where every jet call also runs its arm's Nock, that takes many minutes, so it is left out here
        // (`eval_json_every_expression_prints_what_vere_printed` sees it end in `meme`).
        if expr == "!>(|=(a=@ +(a)))" {
            continue;
        }
        let started = std::time::Instant::now();
        ivory.eval(&mut heap, &mut runner, expr, 80);
        eprintln!("{:>12.3?}  {expr}", started.elapsed());
        ivory.compact(&mut heap, &mut runner);
        assert!(
            runner.hints.disagreement.is_none(),
            "{expr}: {}",
            runner.hints.disagreement.as_ref().unwrap()
        );
    }
    eprintln!("{} jet calls checked against their Nock", runner.hints.checked);
    eprintln!("known deviations of Vere's jets from their arms: {:?}", runner.hints.known_deviations);
    assert!(runner.hints.checked > 1000, "only {} jet calls checked", runner.hints.checked);
}
