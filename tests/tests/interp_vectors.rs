//! The interpreter against ../shared/vectors/nock.json: reduction cases (products and crashes),
//! `+mink` cases (tones with traces and scry), the memory limit, and the jam programs of ../shared/jam.

use components::Heap;
use engine_tests::{cases, field, hex_u32, noun, shared_path, vectors};
use systems::interp::{Limits, Machine, Mote, Outcome};

#[test]
fn nock_json_cases_give_their_products_and_crashes() {
    let file = vectors("nock.json");
    let all = cases(&file, "cases");
    assert!(all.len() >= 50);
    for case in all {
        let mut heap = Heap::new();
        let name = field(case, "name");
        let subject = noun(&mut heap, field(case, "subject"));
        let formula = noun(&mut heap, field(case, "formula"));
        let mut machine = Machine::new();
        machine.start(&heap, subject, formula);
        let outcome = machine.run(&mut heap, 1_000_000);
        match (case.get("product").and_then(|p| p.as_str()), case.get("crash").and_then(|c| c.as_str())) {
            (Some(expected), _) => {
                let Outcome::Done(product) = outcome else { panic!("{name}: {outcome:?}") };
                let expected = noun(&mut heap, expected);
                assert!(heap.eq(product, expected), "{name}: got {}", heap.print(product));
            }
            (None, Some("nonterminating")) => {
                assert!(matches!(outcome, Outcome::Paused), "{name}: {outcome:?}")
            }
            (None, Some(class)) => {
                let Outcome::Crashed(crash) = outcome else { panic!("{name}: {outcome:?}") };
                assert_eq!(crash.mote.name(), class, "{name}");
            }
            _ => panic!("{name}: neither product nor crash"),
        }
    }
}

#[test]
fn nock_json_virtual_cases_give_vere_s_tones() {
    let file = vectors("nock.json");
    for case in cases(&file, "virtual") {
        let mut heap = Heap::new();
        let name = field(case, "name");
        let subject = noun(&mut heap, field(case, "subject"));
        let formula = noun(&mut heap, field(case, "formula"));
        let scry = noun(&mut heap, field(case, "scry"));
        // Collect at almost every step, minor and major: the roads, traces and scry handlers must survive.
        let limits = Limits { nursery_words: 4, young_words_min: 8, ..Limits::default() };
        let mut machine = Machine::with_limits(limits);
        machine.start_mink(&heap, subject, formula, scry);
        let Outcome::Done(tone) = machine.run(&mut heap, 1_000_000) else { panic!("{name}") };
        let expected = noun(&mut heap, field(case, "tone"));
        assert!(heap.eq(tone, expected), "{name}: got {}", heap.print(tone));
    }
}

#[test]
fn nock_json_limits_end_in_meme() {
    let file = vectors("nock.json");
    for case in cases(&file, "limits") {
        let mut heap = Heap::new();
        let formula = heap.cue(&engine_tests::hex_bytes(field(case, "formula_jam"))).unwrap();
        let subject = noun(&mut heap, field(case, "subject"));
        let limits = Limits { heap_words_max: 1 << 26, ..Limits::default() };
        let mut machine = Machine::with_limits(limits);
        machine.start(&heap, subject, formula);
        let Outcome::Crashed(crash) = machine.run(&mut heap, u64::MAX) else {
            panic!("{}", field(case, "name"))
        };
        assert_eq!(crash.mote, Mote::Meme, "{}", field(case, "name"));
    }
}

#[test]
fn jam_programs_give_their_known_products() {
    let file = vectors("nock.json");
    let mut ran = 0;
    for case in cases(&file, "programs") {
        let name = field(case, "file");
        if name.contains("decfast") || name.contains("decflow") || name.contains("decslow") {
            continue; // 2*10^9 steps: they need the a50 dec jet (the jet dashboard), or minutes of Nock
        }
        let mut heap = Heap::new();
        let program = heap.cue(&std::fs::read(shared_path(name)).unwrap()).unwrap();
        let (subject, formula) = heap.cell_parts(program).unwrap();
        let mut machine = Machine::new();
        machine.start(&heap, subject, formula);
        let Outcome::Done(product) = machine.run(&mut heap, u64::MAX) else { panic!("{name}") };
        assert_eq!(heap.mug(product), hex_u32(field(case, "mug")), "{name}");
        ran += 1;
    }
    assert_eq!(ran, 9);
}

/// Hints that treat one particular core as the `+mink` jet, so that Nock can open a road inside a road.
struct MinkAt(components::Noun);

impl systems::interp::Hints for MinkAt {
    fn jet(
        &mut self,
        heap: &mut Heap,
        core: components::Noun,
        _axis: components::Noun,
    ) -> systems::interp::JetCall {
        match heap.head(core) {
            Some(battery) if heap.eq(battery, self.0) => systems::jets::dashboard::mink_call(heap, core),
            _ => systems::interp::JetCall::Nock,
        }
    }
}

#[test]
fn mink_nests_and_each_road_catches_its_own_crash() {
    let mut heap = Heap::new();
    // A "mink gate" [battery [[subject formula] scry] context]; its battery is recognised by the hints.
    let battery = noun(&mut heap, "[0 0]");
    let scry = noun(&mut heap, "[[1 0 0 42] [0 0] 0]");
    let call = |heap: &mut Heap, inner: &str| {
        let text = format!("[9 2 [1 [0 0] [[0 {inner}] [[1 0 0 42] [0 0] 0]] 0]]");
        noun(heap, &text)
    };
    // The inner road crashes ([0 0] against 7): the inner +mink gives [2 ~]; the outer road finishes.
    let crashing = call(&mut heap, "[0 0]");
    let mut machine = Machine::new();
    let seven = components::Noun::direct(7).unwrap();
    machine.start_mink(&heap, seven, crashing, scry);
    let Outcome::Done(tone) = machine.run_with(&mut heap, &mut MinkAt(battery), 10_000) else { panic!() };
    assert_eq!(heap.print(tone), "[0 2 0]");
    // A scry in the inner road is answered by the inner road's handler.
    let scrying = call(&mut heap, "[12 [1 1] 1 2 3]");
    machine.start_mink(&heap, seven, scrying, scry);
    let Outcome::Done(tone) = machine.run_with(&mut heap, &mut MinkAt(battery), 10_000) else { panic!() };
    assert_eq!(heap.print(tone), "[0 0 42]");
}

#[test]
fn a_road_keeps_its_scry_handler_after_a_scry() {
    // Two scries in one road, then one in a road inside it, then one more outside: each is answered by
    // its own road's handler (the outer gives 42, the inner 43).
    let mut heap = Heap::new();
    let battery = noun(&mut heap, "[0 0]");
    let scry = noun(&mut heap, "[[1 0 0 42] [0 0] 0]");
    let formula = noun(
        &mut heap,
        "[[12 [1 1] 1 2 3] [12 [1 1] 1 4 5] [9 2 [1 [0 0] [[0 12 [1 1] 1 6 7] [[1 0 0 43] [0 0] 0]] 0]] 12 [1 1] 1 8 9]",
    );
    let mut machine = Machine::new();
    let seven = components::Noun::direct(7).unwrap();
    machine.start_mink(&heap, seven, formula, scry);
    let Outcome::Done(tone) = machine.run_with(&mut heap, &mut MinkAt(battery), 10_000) else { panic!() };
    assert_eq!(heap.print(tone), "[0 42 42 [0 43] 42]");
}
