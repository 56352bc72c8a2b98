//! The interpreter against a small, obviously correct reference interpreter (recursive, on small inputs),
//! resumption under every kind of budget, and interruption.

use components::{Heap, Noun};
use proptest::prelude::*;
use std::sync::atomic::Ordering;
use systems::interp::{Limits, Machine, Mote, Outcome};

/// A noun as plain data: the reference interpreter works on these, not on the heap.
#[derive(Debug, Clone, PartialEq, Eq)]
enum N {
    A(u64),
    C(Box<N>, Box<N>),
}

fn c(h: N, t: N) -> N {
    N::C(Box::new(h), Box::new(t))
}

#[derive(Debug, PartialEq, Eq)]
enum Stop {
    Crash,
    OutOfFuel,
}

fn slot(axis: u64, noun: &N) -> Result<N, Stop> {
    if axis == 0 {
        return Err(Stop::Crash);
    }
    let mut at = noun;
    for i in (0..63 - axis.leading_zeros()).rev() {
        match at {
            N::C(h, t) => at = if (axis >> i) & 1 == 1 { t } else { h },
            N::A(_) => return Err(Stop::Crash),
        }
    }
    Ok(at.clone())
}

fn edit(axis: u64, target: N, value: N) -> Result<N, Stop> {
    if axis == 0 {
        return Err(Stop::Crash);
    }
    if axis == 1 {
        return Ok(value);
    }
    let parent = axis / 2;
    let N::C(h, t) = slot(parent, &target)? else { return Err(Stop::Crash) };
    let replaced = if axis.is_multiple_of(2) { c(value, *t) } else { c(*h, value) };
    edit(parent, target, replaced)
}

/// Nock 4K by the book (spec/nock.md §1), with a fuel limit.
fn nock(subject: &N, formula: &N, fuel: &mut u32) -> Result<N, Stop> {
    if *fuel == 0 {
        return Err(Stop::OutOfFuel);
    }
    *fuel -= 1;
    let N::C(op, args) = formula else { return Err(Stop::Crash) };
    if let N::C(..) = **op {
        let head = nock(subject, op, fuel)?;
        let tail = nock(subject, args, fuel)?;
        return Ok(c(head, tail));
    }
    let N::A(op) = **op else { unreachable!() };
    let pair = |n: &N| match n {
        N::C(b, c) => Ok(((**b).clone(), (**c).clone())),
        N::A(_) => Err(Stop::Crash),
    };
    match op {
        0 => match **args {
            N::A(axis) => slot(axis, subject),
            N::C(..) => Err(Stop::Crash),
        },
        1 => Ok((**args).clone()),
        2 => {
            let (b, cc) = pair(args)?;
            let s = nock(subject, &b, fuel)?;
            let f = nock(subject, &cc, fuel)?;
            nock(&s, &f, fuel)
        }
        3 => Ok(N::A(matches!(nock(subject, args, fuel)?, N::A(_)) as u64)),
        4 => match nock(subject, args, fuel)? {
            N::A(v) if v < (1 << 62) => Ok(N::A(v + 1)),
            _ => Err(Stop::Crash),
        },
        5 => {
            let (b, cc) = pair(args)?;
            let x = nock(subject, &b, fuel)?;
            let y = nock(subject, &cc, fuel)?;
            Ok(N::A((x != y) as u64))
        }
        6 => {
            let (b, rest) = pair(args)?;
            let (yes, no) = pair(&rest)?;
            match nock(subject, &b, fuel)? {
                N::A(0) => nock(subject, &yes, fuel),
                N::A(1) => nock(subject, &no, fuel),
                _ => Err(Stop::Crash),
            }
        }
        7 => {
            let (b, cc) = pair(args)?;
            let s = nock(subject, &b, fuel)?;
            nock(&s, &cc, fuel)
        }
        8 => {
            let (b, cc) = pair(args)?;
            let v = nock(subject, &b, fuel)?;
            nock(&c(v, subject.clone()), &cc, fuel)
        }
        9 => {
            let (b, cc) = pair(args)?;
            let N::A(axis) = b else { return Err(Stop::Crash) };
            let core = nock(subject, &cc, fuel)?;
            let arm = slot(axis, &core)?;
            nock(&core, &arm, fuel)
        }
        10 => {
            let (spec, d) = pair(args)?;
            let (b, cc) = pair(&spec)?;
            let N::A(axis) = b else { return Err(Stop::Crash) };
            let target = nock(subject, &d, fuel)?;
            let value = nock(subject, &cc, fuel)?;
            edit(axis, target, value)
        }
        11 => {
            let (hint, next) = pair(args)?;
            if let N::C(_, clue) = hint {
                nock(subject, &clue, fuel)?;
            }
            nock(subject, &next, fuel)
        }
        _ => Err(Stop::Crash),
    }
}

fn build(heap: &mut Heap, n: &N) -> Noun {
    match n {
        N::A(v) => heap.atom_u64(*v),
        N::C(h, t) => {
            let h = build(heap, h);
            let t = build(heap, t);
            heap.cell(h, t)
        }
    }
}

fn small_noun() -> impl Strategy<Value = N> {
    let leaf = (0u64..8).prop_map(N::A);
    let any =
        leaf.clone().prop_recursive(4, 16, 2, |inner| (inner.clone(), inner).prop_map(|(h, t)| c(h, t)));
    // Mostly full trees three levels deep, so that small axes usually exist.
    let full = prop::collection::vec(any.clone(), 8).prop_map(|l| {
        let pair = |i: usize| c(l[i].clone(), l[i + 1].clone());
        c(c(pair(0), pair(2)), c(pair(4), pair(6)))
    });
    prop_oneof![3 => full, 1 => any]
}

/// Formulas from the whole grammar, weighted toward ones that run, with some malformed parts.
fn formula() -> impl Strategy<Value = N> {
    let axis = prop_oneof![8 => 1u64..8, 2 => 8u64..32, 1 => Just(0u64)];
    let leaf = prop_oneof![
        5 => axis.clone().prop_map(|a| c(N::A(0), N::A(a))),
        4 => small_noun().prop_map(|n| c(N::A(1), n)),
        1 => Just(N::A(7)),
    ];
    leaf.prop_recursive(5, 40, 3, move |inner| {
        let axis = prop_oneof![4 => (1u64..8).prop_map(N::A), 1 => (0u64..32).prop_map(N::A)];
        let test = prop_oneof![
            3 => (inner.clone(), inner.clone()).prop_map(|(b, cc)| c(N::A(5), c(b, cc))),
            2 => inner.clone().prop_map(|b| c(N::A(3), b)),
            1 => inner.clone(),
        ];
        // A core whose arm at axis 2 is a generated formula, called with Nock 9.
        let call = (inner.clone(), inner.clone())
            .prop_map(|(arm, payload)| c(N::A(9), c(N::A(2), c(N::A(1), c(arm, payload)))));
        prop_oneof![
            3 => (inner.clone(), inner.clone()).prop_map(|(h, t)| c(h, t)),
            1 => (inner.clone(), inner.clone()).prop_map(|(b, cc)| c(N::A(2), c(b, cc))),
            1 => inner.clone().prop_map(|b| c(N::A(3), b)),
            2 => inner.clone().prop_map(|b| c(N::A(4), b)),
            2 => (inner.clone(), inner.clone()).prop_map(|(b, cc)| c(N::A(5), c(b, cc))),
            3 => (test, inner.clone(), inner.clone()).prop_map(|(b, y, n)| c(N::A(6), c(b, c(y, n)))),
            2 => (inner.clone(), inner.clone()).prop_map(|(b, cc)| c(N::A(7), c(b, cc))),
            2 => (inner.clone(), inner.clone()).prop_map(|(b, cc)| c(N::A(8), c(b, cc))),
            2 => call,
            1 => (axis.clone(), inner.clone()).prop_map(|(a, cc)| c(N::A(9), c(a, cc))),
            2 => (axis.clone(), inner.clone(), inner.clone()).prop_map(|(a, v, d)| c(N::A(10), c(c(a, v), d))),
            1 => (axis, inner.clone(), inner.clone()).prop_map(|(t, clue, next)| c(N::A(11), c(c(t, clue), next))),
            1 => (0u64..4, inner.clone()).prop_map(|(t, next)| c(N::A(11), c(N::A(t), next))),
            1 => inner.prop_map(|b| c(N::A(13), b)),
        ]
    })
}

fn run_machine_with(subject: &N, formula: &N, budget: u64, limits: Limits) -> (Heap, Outcome, Vec<u64>) {
    let mut heap = Heap::new();
    let (s, f) = (build(&mut heap, subject), build(&mut heap, formula));
    let mut machine = Machine::with_limits(limits);
    machine.start(&heap, s, f);
    let mut pauses = Vec::new();
    loop {
        match machine.run(&mut heap, budget) {
            Outcome::Paused if pauses.len() < 100_000 => pauses.push(machine.steps()),
            outcome => return (heap, outcome, pauses),
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3000))]

    #[test]
    fn machine_agrees_with_the_reference_interpreter(subject in small_noun(), formula in formula()) {
        on_big_stack(move || machine_agrees(subject, formula))?;
    }

    #[test]
    fn any_budget_and_constant_collection_give_the_result_of_running_straight_through(
        subject in small_noun(),
        formula in formula(),
        budget in 1u64..40,
    ) {
        on_big_stack(move || budget_and_collection_agree(subject, formula, budget))?;
    }
}

/// Runs `body` on a thread with a stack of `bytes`.
fn on_stack<T: Send + 'static>(bytes: usize, body: impl FnOnce() -> T + Send + 'static) -> T {
    let thread = std::thread::Builder::new().stack_size(bytes).spawn(body).expect("a thread");
    thread.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic))
}

/// Runs a property on a thread with a large stack: the reference interpreter recurses as deep as its
/// fuel lets a formula go, and its nouns are dropped recursively (a random formula once overflowed the
/// test thread's 2 MiB). The machine itself runs on a thread with a small stack ([`machine_on`]).
fn on_big_stack(
    body: impl FnOnce() -> Result<(), TestCaseError> + Send + 'static,
) -> Result<(), TestCaseError> {
    on_stack(256 << 20, body)
}

/// [`run_machine_with`] on a thread with a 1 MiB stack, as the machine must not recurse over the depth
/// of what it computes.
fn machine_on(subject: &N, formula: &N, budget: u64, limits: Limits) -> (Heap, Outcome) {
    let (subject, formula) = (subject.clone(), formula.clone());
    on_stack(1 << 20, move || {
        let (heap, outcome, _) = run_machine_with(&subject, &formula, budget, limits);
        (heap, outcome)
    })
}

fn machine_agrees(subject: N, formula: N) -> Result<(), TestCaseError> {
    let mut fuel = 10_000;
    let expected = nock(&subject, &formula, &mut fuel);
    if expected == Err(Stop::OutOfFuel) {
        return Ok(());
    }
    let (mut heap, outcome) = machine_on(&subject, &formula, u64::MAX, Limits::default());
    match (expected, outcome) {
        (Ok(product), Outcome::Done(got)) => {
            let product = build(&mut heap, &product);
            prop_assert!(heap.eq(got, product), "got {}", heap.print(got));
        }
        (Err(Stop::Crash), Outcome::Crashed(crash)) => prop_assert_eq!(crash.mote, Mote::Exit),
        (expected, outcome) => prop_assert!(false, "reference {:?}, machine {:?}", expected, outcome),
    }
    Ok(())
}

fn budget_and_collection_agree(subject: N, formula: N, budget: u64) -> Result<(), TestCaseError> {
    let mut fuel = 10_000;
    if nock(&subject, &formula, &mut fuel) == Err(Stop::OutOfFuel) {
        return Ok(());
    }
    let (mut whole_heap, whole) = machine_on(&subject, &formula, u64::MAX, Limits::default());
    // A minor collection whenever 8 words were allocated, a major one whenever 16 were promoted: nearly
    // every step, under every kind of work, both kinds.
    let limits = Limits { nursery_words: 8, young_words_min: 16, ..Limits::default() };
    let (mut step_heap, stepped) = machine_on(&subject, &formula, budget, limits);
    match (whole, stepped) {
        (Outcome::Done(a), Outcome::Done(b)) => prop_assert_eq!(whole_heap.mug(a), step_heap.mug(b)),
        (Outcome::Crashed(a), Outcome::Crashed(b)) => {
            prop_assert_eq!(a.mote, b.mote);
            prop_assert_eq!(a.trace.len(), b.trace.len());
        }
        (a, b) => prop_assert!(false, "straight {:?}, stepped {:?}", a, b),
    }
    Ok(())
}

#[test]
fn the_decrement_program_pauses_and_resumes_to_the_same_product() {
    let mut heap = Heap::new();
    let bytes = std::fs::read(engine_tests::shared_path("jam/decrement.jam")).unwrap();
    let program = heap.cue(&bytes).unwrap();
    let (subject, formula) = heap.cell_parts(program).unwrap();
    for budget in [1, 2, 3, 7, 64, 1000] {
        let mut machine = Machine::new();
        machine.start(&heap, subject, formula);
        let mut pauses = 0u64;
        let product = loop {
            match machine.run(&mut heap, budget) {
                Outcome::Paused => pauses += 1,
                Outcome::Done(product) => break product,
                Outcome::Crashed(crash) => panic!("{crash:?}"),
            }
        };
        assert_eq!(heap.print(product), "9999", "budget {budget}");
        assert!(pauses >= machine.steps() / budget - 1, "budget {budget}: {pauses} pauses");
    }
}

#[test]
fn an_interrupt_stops_a_runaway_loop_within_a_bounded_number_of_steps() {
    let mut heap = Heap::new();
    // The decrement of 0: it counts up forever.
    let formula =
        heap.parse("[8 [1 0] 8 [1 6 [5 [0 7] 4 0 6] [0 6] 9 2 [0 2] [4 0 6] 0 7] 9 2 0 1]").unwrap();
    let mut machine = Machine::new();
    machine.start(&heap, Noun::ZERO, formula);
    assert!(matches!(machine.run(&mut heap, 100_000), Outcome::Paused));
    let flag = machine.interrupt_handle();
    let setter = std::thread::spawn(move || {
        std::thread::sleep(std::time::Duration::from_millis(20));
        flag.store(true, Ordering::Relaxed);
    });
    let before = machine.steps();
    let outcome = machine.run(&mut heap, u64::MAX);
    setter.join().unwrap();
    let Outcome::Crashed(crash) = outcome else { panic!("{outcome:?}") };
    assert_eq!(crash.mote, Mote::Intr);
    assert!(machine.steps() > before);
}

/// The generated formulas exercise both paths: a fair share of them run to a product and a fair share
/// crash, so the differential test above compares real work and not only early crashes.
#[test]
fn generated_formulas_both_finish_and_crash() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let mut runner = TestRunner::deterministic();
    let (mut done, mut crashed, mut deep) = (0, 0, 0);
    for _ in 0..2000 {
        let subject = small_noun().new_tree(&mut runner).unwrap().current();
        let formula = formula().new_tree(&mut runner).unwrap().current();
        let mut fuel = 10_000;
        match nock(&subject, &formula, &mut fuel) {
            Ok(_) => {
                done += 1;
                if 10_000 - fuel > 5 {
                    deep += 1;
                }
            }
            Err(Stop::Crash) => crashed += 1,
            Err(Stop::OutOfFuel) => {}
        }
    }
    eprintln!("{done} done ({deep} of more than 5 steps), {crashed} crashed");
    assert!(
        done > 400 && crashed > 200 && deep > 200,
        "{done} done ({deep} of more than 5 steps), {crashed} crashed"
    );
}
