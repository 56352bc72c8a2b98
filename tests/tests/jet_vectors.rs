//! Every jet engine has, on every case of ../shared/vectors/jets.json for it: the product, or the crash
//! class and `%mean` text Vere's jet gives. (Against the Nock of the arms themselves: see the jet
//! differential tests, which need the Nock VM.)

use components::{Heap, Noun};
use engine_tests::{cases, field, noun, vectors};
use systems::jets::{JetClass, JetOutcome, lookup};

/// A gate core `[battery [sample context]]` whose context is a door `[battery [door-sample context]]`, so
/// that the sample is at axis 6 and the door's sample at axis 30.
fn gate_core(heap: &mut Heap, sample: Noun, door: Noun) -> Noun {
    let door_core = heap.tuple(&[Noun::ZERO, door, Noun::ZERO]);
    heap.tuple(&[Noun::ZERO, sample, door_core])
}

#[test]
fn jets_json_every_case_of_every_jet_engine_has() {
    let file = vectors("jets.json");
    let (mut checked, mut missing) = (0, std::collections::BTreeSet::new());
    for case in cases(&file, "cases") {
        let label = field(case, "jet");
        let Some(jet) = lookup(label) else {
            missing.insert(label.to_string());
            continue;
        };
        let mut heap = Heap::new();
        let sample_text = field(case, "sample");
        let sample = if sample_text == "[[1 1] [2 2] ... [10000 10000] 0]" {
            let pairs: Vec<Noun> = (1..=10_000u64)
                .map(|i| {
                    let n = Noun::direct(i).unwrap();
                    heap.cell(n, n)
                })
                .collect();
            heap.list(&pairs)
        } else {
            noun(&mut heap, sample_text)
        };
        let door = case.get("door").and_then(|d| d.as_str()).map_or(Noun::ZERO, |d| noun(&mut heap, d));
        let core = gate_core(&mut heap, sample, door);
        let outcome = jet(&mut heap, core);
        let what = format!("{label} {sample_text}");
        if let Some(mug) = case.get("product_mug").and_then(|m| m.as_str()) {
            let JetOutcome::Product(got) = outcome else { panic!("{what}: {outcome:?}") };
            assert_eq!(heap.mug(got), engine_tests::hex_u32(mug), "{what}: mug");
            checked += 1;
            continue;
        }
        match (case.get("product").and_then(|p| p.as_str()), outcome) {
            (Some(expected), JetOutcome::Product(got)) => {
                let expected = noun(&mut heap, expected);
                assert!(heap.eq(got, expected), "{what}: got {}", heap.print(got));
            }
            (None, JetOutcome::Crash(crash)) => {
                let class = match crash.class {
                    JetClass::Exit => "exit",
                    JetClass::Fail => "fail",
                    JetClass::Meme => "meme",
                    JetClass::Evil => "evil",
                };
                assert_eq!(class, field(case, "crash"), "{what}");
                assert_eq!(crash.mean, case.get("mean").and_then(|m| m.as_str()), "{what}: %mean");
            }
            (_, outcome) => panic!("{what}: expected {case}, got {outcome:?}"),
        }
        checked += 1;
    }
    eprintln!("checked {checked} cases; no jet yet for: {missing:?}");
    assert!(checked >= 150, "only {checked} cases checked");
}
