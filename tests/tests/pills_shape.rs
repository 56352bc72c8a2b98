//! Reading the real pills' shapes (spec/arvo.md §1), and refusing things that are not pills.

use components::Heap;
use engine_tests::pill_path;
use pills::{Pill, PillError, term_text};

fn load(name: &str, heap: &mut Heap) -> Pill {
    Pill::load(&pill_path(name), heap).unwrap_or_else(|e| panic!("{name}: {e}"))
}

#[test]
fn brass_pill_has_five_lifecycle_events_and_three_ova() {
    let mut heap = Heap::new();
    let Pill::Boot(pill) = load("brass.pill", &mut heap) else { panic!("brass is a boot pill") };
    assert_eq!(term_text(&heap, pill.name), "brass");
    assert_eq!(pill.lifecycle(&heap).len(), 5);
    assert_eq!(pill.ova(&heap).len(), 3);
}

#[test]
fn sword_pills_have_two_lifecycle_events_and_no_ova() {
    for (file, name) in
        [("sword-baby.pill", "baby"), ("sword-toddler.pill", "toddler"), ("sword-oom.pill", "toddler")]
    {
        let mut heap = Heap::new();
        let Pill::Boot(pill) = load(file, &mut heap) else { panic!("{file} is a boot pill") };
        assert_eq!(term_text(&heap, pill.name), name);
        assert_eq!(pill.lifecycle(&heap).len(), 2);
        assert!(pill.ova(&heap).is_empty());
    }
}

#[test]
fn ivory_pill_holds_its_formula_and_trap() {
    let mut heap = Heap::new();
    let Pill::Ivory { nok, ver } = load("ivory.pill", &mut heap) else { panic!("ivory is an ivory pill") };
    assert_eq!(heap.print(nok), "[7 [7 [0 2] 9 2 0 1] 0 3]");
    assert!(ver.is_cell());
}

#[test]
fn nouns_that_are_not_pills_are_refused_with_a_reason() {
    let mut heap = Heap::new();
    for (text, reason) in [
        ("42", "atom"),
        ("[7303014 0]", "unrecognized pill tag \"foo\""),
        ("[1819044208 1 2 3]", "[%pill name bot mod use]"),
        ("[1819044208 1 5 0 0]", "bot is not a list"),
        ("[521610950249 1 0]", "ivory pill holds [nok ver ~]"),
    ] {
        let noun = heap.parse(text).unwrap();
        match Pill::from_noun(&heap, noun) {
            Err(e @ PillError::Shape(_)) => assert!(e.to_string().contains(reason), "{text}: {e}"),
            other => panic!("{text}: expected a shape error, got {other:?}"),
        }
    }
}

#[test]
fn a_file_that_does_not_cue_is_refused_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("broken.pill");
    std::fs::write(&path, [0x07]).unwrap();
    let err = Pill::load(&path, &mut Heap::new()).unwrap_err();
    assert!(matches!(err, PillError::Cue { .. }));
    assert!(err.to_string().contains("broken.pill"));
}
