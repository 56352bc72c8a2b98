//! The jets that call gates (the list arms that take a gate, the parser combinators) against the Nock of
//! the arms they replace, on generated lists and texts.
//!
//! List arms: each call runs twice, once kicking the ivory pill's own gate (its jet fires: a task the
//! machine drives) and once running the gate's arm as plain Nock (the jet does not fire for that call);
//! the products' mugs, or the crashes' classes, must be equal.
//!
//! Parser combinators: rules built in Hoon run on generated texts with `--check-jets` on, so every
//! combinator call inside them also runs its arm's Nock and is compared; no call may disagree, and each
//! combinator must have been checked.

use components::{Heap, Noun};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use std::cell::RefCell;
use systems::arvo::{Ivory, Runner};
use systems::interp::{Machine, Outcome};
use systems::jets::dashboard::Binding;

struct Kit {
    heap: Heap,
    runner: Runner,
    ivory: Ivory,
    compared: usize,
}

fn boot() -> Kit {
    let (heap, runner, ivory) = engine_tests::boot_ivory();
    Kit { heap, runner, ivory, compared: 0 }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ended {
    Product(u32),
    Crash(&'static str),
    Unfinished,
}

const STEPS_MAX: u64 = 50_000_000;

impl Kit {
    fn wish(&mut self, source: &str) -> Noun {
        self.runner
            .wish(&mut self.heap, self.ivory.kernel, source)
            .unwrap_or_else(|c| panic!("wish {source}: {c:?}"))
    }

    fn run(&mut self, subject: Noun, formula: Noun) -> Ended {
        let mut machine = Machine::new();
        machine.start(&self.heap, subject, formula);
        match machine.run_with(&mut self.heap, &mut self.runner.hints, STEPS_MAX) {
            Outcome::Done(p) => Ended::Product(self.heap.mug(p)),
            Outcome::Crashed(c) => Ended::Crash(c.mote.name()),
            Outcome::Paused => Ended::Unfinished,
        }
    }

    /// The jetted kick and the arm's Nock of `gate` on `sample`.
    fn both(&mut self, gate: Noun, sample: Noun) -> (Ended, Ended) {
        let core = self.heap.edit_u64(gate, 6, sample).unwrap();
        let two = Noun::direct(2).unwrap();
        let bound = self.runner.hints.dashboard.find(&mut self.heap, core, two);
        let Some((Binding::Task(run, hook), id)) = bound else { panic!("the gate's jet is a task") };
        let task = self.runner.hints.dashboard.task(&self.heap, run, hook, core, id);
        assert!(task.is_some(), "the hook the jet needs ({hook:?}) is registered");
        let kick = self.heap.parse("[9 2 0 1]").unwrap();
        let jet = self.run(core, kick);
        let arm = self.heap.slot_u64(core, 2).unwrap();
        let nock = self.run(core, arm);
        (jet, nock)
    }
}

fn list_of(heap: &mut Heap, items: &[u64]) -> Noun {
    let atoms: Vec<Noun> = items.iter().map(|&i| heap.atom_u64(i)).collect();
    heap.list(&atoms)
}

/// Each list arm with gates that pass, fail, crash on 7, or answer something that is not a loobean.
const LIST_CASES: &[(&str, &[&str])] = &[
    ("turn", &["|=(a=@ (mul a 3))", "|=(a=@ ?<(=(a 7) a))", "|=(a=* [a a])"]),
    ("roll", &["add", "|=([a=@ b=@] (add (mul b 2) a))", "|=([a=@ b=(list @)] [a b])"]),
    ("reel", &["add", "|=([a=@ b=@] (add (mul b 2) a))", "|=([a=@ b=(list @)] [a b])"]),
    ("levy", &["|=(a=@ (lth a 50))", "|=(a=@ a)", "|=(a=@ ?<(=(a 7) (lth a 50)))"]),
    ("lien", &["|=(a=@ (gth a 50))", "|=(a=@ a)", "|=(a=@ ?<(=(a 7) (gth a 50)))"]),
    ("skim", &["|=(a=@ (lth a 50))", "|=(a=@ a)", "|=(a=@ ?<(=(a 7) (lth a 50)))"]),
    ("skip", &["|=(a=@ (lth a 50))", "|=(a=@ a)", "|=(a=@ ?<(=(a 7) (lth a 50)))"]),
    ("skid", &["|=(a=@ (lth a 50))", "|=(a=@ a)", "|=(a=@ ?<(=(a 7) (lth a 50)))"]),
    ("murn", &["|=(a=@ ?:((lth a 50) `(mul a 2) ~))", "|=(a=@ a)", "|=(a=@ ?<(=(a 7) `a))"]),
    ("sort", &["lth", "|=([a=@ b=@] (lth (mod a 10) (mod b 10)))", "|=([a=@ b=@] a)"]),
];

#[test]
fn list_jets_that_take_a_gate_equal_their_arms() {
    let mut kit = boot();
    let kit = RefCell::new(&mut kit);
    for (arm, gates) in LIST_CASES {
        let jetted = kit.borrow_mut().wish(arm);
        for source in *gates {
            let gate = kit.borrow_mut().wish(source);
            let lists = prop::collection::vec(prop_oneof![0u64..3, 0u64..100], 0..24);
            let mut runner = TestRunner::new(Config { cases: 48, ..Config::default() });
            runner
                .run(&lists, |items| {
                    let mut kit = kit.borrow_mut();
                    let list = list_of(&mut kit.heap, &items);
                    let sample = kit.heap.cell(list, gate);
                    let (jet, nock) = kit.both(jetted, sample);
                    prop_assert_ne!(&nock, &Ended::Unfinished);
                    prop_assert_eq!(jet, nock, "{} {} on {:?}", arm, source, items);
                    kit.compared += 1;
                    Ok(())
                })
                .unwrap_or_else(|e| panic!("{arm} with {source}: {e}"));
            // Edge cases: the empty list, and a list that does not end in `~` (the jet punts; both crash).
            let mut kit = kit.borrow_mut();
            for list in ["0", "[1 2 3]", "[7 0]"] {
                let list = kit.heap.parse(list).unwrap();
                let sample = kit.heap.cell(list, gate);
                let (jet, nock) = kit.both(jetted, sample);
                assert_eq!(jet, nock, "{arm} {source} on {list:?}");
            }
        }
    }
    let compared = kit.borrow().compared;
    assert!(compared >= LIST_CASES.len() * 3 * 48, "only {compared} comparisons");
}

/// `mole` on traps that answer, crash (on purpose, dividing by zero), or scry with no one to answer.
#[test]
fn mole_equals_its_arm() {
    let mut kit = boot();
    let mole = kit.wish("mole");
    let some_42 = kit.heap.parse("[0 42]").unwrap();
    let some_42 = Ended::Product(kit.heap.mug(some_42));
    let null = Ended::Product(kit.heap.mug(Noun::ZERO));
    let cases = [
        ("|.(42)", Some(some_42)),
        ("|.([1 2 3])", None),
        ("|.(!!)", Some(null)),
        ("|.((div 1 0))", Some(null)),
        ("|.(.^(* %cx /~zod/base/1/foo))", None),
    ];
    for (source, expected) in cases {
        let trap = kit.wish(source);
        let (jet, nock) = kit.both(mole, trap);
        assert_ne!(nock, Ended::Unfinished);
        if let Some(expected) = expected {
            assert_eq!(jet, expected, "{source}");
        }
        assert_eq!(jet, nock, "{source}");
        kit.compared += 1;
    }
    assert_eq!(kit.compared, cases.len());
}

/// `mule` on traps that answer, crash (with and without a `%mean`), or scry with no one to answer: the
/// products, tangs included, must be the arm's.
#[test]
fn mule_equals_its_arm() {
    let mut kit = boot();
    let mule = kit.wish("mule");
    // `qua`'s clue names `+mute` as a hook: kicking its arm at axis 0x2f.babe of `qua`.
    let (qua, formula) = kit.runner.hints.dashboard.hook(&mut kit.heap, mule, "mute").expect("a hook");
    assert_eq!(kit.heap.show(formula).to_string(), format!("[9 {} 0 1]", 0x2f_babe));
    assert!(kit.heap.eq_unify(qua, kit.heap.slot_u64(mule, 7).unwrap()), "found one level up, in qua");
    let cases = [
        "|.(42)",
        "|.([1 2 3])",
        "|.(!!)",
        "|.((div 1 0))",
        "|.(~|(%foo !!))",
        "|.(~_(leaf+\"bar\" (dec 0)))",
        "|.(.^(* %cx /~zod/base/1/foo))",
        "|.((mule |.(!!)))",
    ];
    for source in cases {
        let trap = kit.wish(source);
        let (jet, nock) = kit.both(mule, trap);
        assert_ne!(nock, Ended::Unfinished);
        assert_eq!(jet, nock, "{source}");
        kit.compared += 1;
    }
    assert_eq!(kit.compared, cases.len());
}

/// Map and set arms that take a gate, each on a door whose tree is replaced by a generated one (built by
/// `malt` or `silt`, so it is a real treap).
const TREE_CASES: &[(&str, bool, &[&str])] = &[
    ("~(run by *(map @ @))", true, &["|=(a=@ (mul a 3))", "|=(a=@ ?<(=(a 7) a))"]),
    ("~(urn by *(map @ @))", true, &["|=([a=@ b=@] (add a (mul b 2)))"]),
    ("~(rep by *(map @ @))", true, &["|=([a=[@ @] b=(list @)] [-.a b])", "|=([a=[@ @] b=@] (add b +.a))"]),
    ("~(rep in *(set @))", false, &["|=([a=@ b=(list @)] [a b])", "|=([a=@ b=@] ?<(=(a 7) (add a b)))"]),
    ("~(all by *(map @ @))", true, &["|=(a=@ (lth a 50))", "|=(a=@ a)"]),
    ("~(any by *(map @ @))", true, &["|=(a=@ (gth a 50))", "|=(a=@ a)"]),
    // Products that collide (so the set is smaller), that are cells, and a gate that crashes on 7.
    ("~(run in *(set @))", false, &["|=(a=@ (mod a 5))", "|=(a=@ [a (mul a a)])", "|=(a=@ ?<(=(a 7) a))"]),
];

#[test]
fn map_and_set_jets_that_take_a_gate_equal_their_arms() {
    let mut kit = boot();
    let malt = kit.wish("malt");
    let silt = kit.wish("silt");
    let kick = kit.heap.parse("[9 2 0 1]").unwrap();
    let kit = RefCell::new(&mut kit);
    for (door, is_map, gates) in TREE_CASES {
        let arm = kit.borrow_mut().wish(door);
        for source in *gates {
            let gate = kit.borrow_mut().wish(source);
            let pairs = prop::collection::vec((0u64..40, prop_oneof![0u64..3, 0u64..100]), 0..16);
            let mut runner = TestRunner::new(Config { cases: 48, ..Config::default() });
            runner
                .run(&pairs, |pairs| {
                    let mut kit = kit.borrow_mut();
                    let kit = &mut **kit;
                    let heap = &mut kit.heap;
                    let items: Vec<Noun> = pairs
                        .iter()
                        .map(|&(k, v)| {
                            let k = heap.atom_u64(k);
                            let v = heap.atom_u64(v);
                            if *is_map { heap.cell(k, v) } else { k }
                        })
                        .collect();
                    let list = heap.list(&items);
                    let build = heap.edit_u64(if *is_map { malt } else { silt }, 6, list).unwrap();
                    let mut machine = Machine::new();
                    machine.start(&kit.heap, build, kick);
                    let Outcome::Done(tree) =
                        machine.run_with(&mut kit.heap, &mut kit.runner.hints, STEPS_MAX)
                    else {
                        panic!("building the tree")
                    };
                    let core = kit.heap.edit_u64(arm, 30, tree).unwrap();
                    let (jet, nock) = kit.both(core, gate);
                    prop_assert_ne!(&nock, &Ended::Unfinished);
                    prop_assert_eq!(jet, nock, "{} {} on {:?}", door, source, pairs);
                    kit.compared += 1;
                    Ok(())
                })
                .unwrap_or_else(|e| panic!("{door} with {source}: {e}"));
        }
    }
    let compared = kit.borrow().compared;
    assert!(compared >= 14 * 48, "only {compared} comparisons");
}

/// Builds a map from `[key value]` pairs with `malt`.
fn malted(kit: &mut Kit, malt: Noun, pairs: &[(u64, u64)]) -> Noun {
    let items: Vec<Noun> = pairs
        .iter()
        .map(|&(k, v)| {
            let (k, v) = (kit.heap.atom_u64(k), kit.heap.atom_u64(v));
            kit.heap.cell(k, v)
        })
        .collect();
    let list = kit.heap.list(&items);
    let build = kit.heap.edit_u64(malt, 6, list).unwrap();
    let kick = kit.heap.parse("[9 2 0 1]").unwrap();
    let mut machine = Machine::new();
    machine.start(&kit.heap, build, kick);
    match machine.run_with(&mut kit.heap, &mut kit.runner.hints, STEPS_MAX) {
        Outcome::Done(tree) => tree,
        _ => panic!("building the map"),
    }
}

/// `~(jab by a)` on generated maps, with a key that is usually present (its value goes through the gate)
/// and sometimes absent (both crash, the gate never called), and gates that crash on 7.
#[test]
fn by_jab_equals_its_arm() {
    let mut kit = boot();
    let malt = kit.wish("malt");
    let jab = kit.wish("~(jab by (my ~[[1 2]]))");
    let gates: Vec<Noun> =
        ["|=(a=@ (mul a 3))", "|=(a=@ ?<(=(a 7) a))", "|=(a=@ [a a])"].iter().map(|g| kit.wish(g)).collect();
    let kit = RefCell::new(&mut kit);
    let pairs = prop::collection::vec((0u64..40, prop_oneof![0u64..3, 0u64..100]), 0..16);
    let mut runner = TestRunner::new(Config { cases: 96, ..Config::default() });
    let counts = RefCell::new((0, 0));
    runner
        .run(&(pairs, any::<u8>(), 0usize..3), |(pairs, pick, which)| {
            let mut kit = kit.borrow_mut();
            let tree = malted(&mut kit, malt, &pairs);
            let key = match pairs.len() {
                0 => 41,
                len if pick % 5 == 0 => 40 + u64::from(pick) % len as u64,
                len => pairs[usize::from(pick) % len].0,
            };
            let mut counts = counts.borrow_mut();
            if pairs.iter().any(|&(k, _)| k == key) {
                counts.0 += 1
            } else {
                counts.1 += 1
            }
            let core = kit.heap.edit_u64(jab, 30, tree).unwrap();
            let key_noun = kit.heap.atom_u64(key);
            let sample = kit.heap.cell(key_noun, gates[which]);
            let (jet, nock) = kit.both(core, sample);
            prop_assert_ne!(&nock, &Ended::Unfinished);
            prop_assert_eq!(jet, nock, "jab {} on {:?} with gate {}", key, pairs, which);
            kit.compared += 1;
            Ok(())
        })
        .unwrap_or_else(|e| panic!("jab: {e}"));
    let (present, absent) = counts.into_inner();
    assert!(present >= 48 && absent >= 8, "{present} present keys, {absent} absent");
    assert_eq!(kit.borrow().compared, 96);
}

/// Rules exercising every combinator engine jets, with `--check-jets` comparing each call.
const RULES: &[&str] = &[
    ";~(plug (just 'a') (star (shim 'a' 'z')))",
    ";~(pose (cold %x (just 'x')) (stag %d dem) (easy %none))",
    ";~(pfix (jest 'ab') (cook |=(a=tape (lent a)) (star next)))",
    ";~(sfix (plus (mask \"ab,\")) (just ';'))",
    ";~((glue com) dem dem)",
    ";~((comp |=([a=@ b=@] (add a b))) dem ;~(pfix lus dem))",
    // `bend`'s gate never answers `~` here: where it does, the arm as compiled in the ivory pill crashes,
    // while Vere's driver (and so engine's) keeps the first parse; Vere wins.
    ";~((bend |=([a=@ b=@] ?:(=(a b) [~ u=+(a)] [~ u=(add a b)]))) dem ;~(pfix lus dem))",
    "(here |=([a=pint b=*] [a b]) (star alf))",
    "(stir 0 |=([a=@ b=@] (add a b)) dit)",
    "(stew ^.(stet (limo ~[['a' (cold 1 (just 'a'))] [['0' '9'] (cold 2 dit)] [',' (cold 3 com)]])))",
];

const PARSERS: &[&str] = &[
    "bend/fun", "cold/fun", "comp/fun", "cook/fun", "easy/fun", "glue/fun", "here/fun", "just/fun",
    "mask/fun", "shim/fun", "stag/fun", "stew/fun", "stir/fun", "pfix", "plug", "pose", "sfix",
];

#[test]
fn parser_combinators_agree_with_their_arms_on_generated_texts() {
    let mut kit = boot();
    let rules: Vec<Noun> = RULES.iter().map(|r| kit.wish(r)).collect();
    for label in PARSERS {
        let full = format!("k140/one/two/tri/qua/{label}");
        assert!(kit.runner.hints.dashboard.labels().any(|l| l == full), "{full} is registered");
    }
    kit.runner.hints.check_jets = true;
    let kick = kit.heap.parse("[9 2 0 1]").unwrap();
    let texts = prop::collection::vec(prop::sample::select(b"ab0129xz;,+\n".to_vec()), 0..10);
    let kit = RefCell::new(&mut kit);
    let mut runner = TestRunner::new(Config { cases: 64, ..Config::default() });
    runner
        .run(&texts, |text| {
            let mut kit = kit.borrow_mut();
            let kit = &mut **kit;
            let heap = &mut kit.heap;
            let chars: Vec<u64> = text.iter().map(|&b| b as u64).collect();
            let tape = list_of(heap, &chars);
            let start = heap.parse("[1 1]").unwrap();
            let nail = heap.cell(start, tape);
            for (source, &rule) in RULES.iter().zip(&rules) {
                let core = kit.heap.edit_u64(rule, 6, nail).unwrap();
                let ended = kit.run(core, kick);
                prop_assert!(matches!(ended, Ended::Product(_)), "{} on {:?}: {:?}", source, text, ended);
                if let Some(d) = &kit.runner.hints.disagreement {
                    return Err(TestCaseError::fail(format!("{source} on {text:?}: {d}")));
                }
            }
            Ok(())
        })
        .unwrap_or_else(|e| panic!("{e}"));
    let hints = &kit.borrow().runner.hints;
    for label in PARSERS {
        let full = format!("k140/one/two/tri/qua/{label}");
        let calls = hints.checked_by_label.get(&full).copied().unwrap_or(0);
        assert!(calls >= 10, "{full}: only {calls} calls checked");
    }
}
