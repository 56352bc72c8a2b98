//! The lifecycle of the sword pills (spec/arvo.md §10): their `[aeon gate ~]` boot events fold into the
//! kernels whose mugs pills.json records.

use components::Heap;
use engine_tests::{hex_u32, pill_path, vectors};
use pills::Pill;
use systems::arvo::Runner;

#[test]
fn sword_pills_lifecycle_to_their_recorded_kernel_mugs() {
    let recorded = vectors("pills.json");
    for name in ["sword-baby.pill", "sword-toddler.pill"] {
        let mut heap = Heap::new();
        let Pill::Boot(pill) = Pill::load(&pill_path(name), &mut heap).unwrap() else { panic!("{name}") };
        let mut runner = Runner::new();
        let kernel = runner.lifecycle(&mut heap, pill.bot).unwrap_or_else(|c| panic!("{name}: {c:?}"));
        let expected = recorded[name]["kernel mug after lifecycle"].as_str().unwrap();
        assert_eq!(heap.mug(kernel), hex_u32(expected), "{name}");
    }
}

#[test]
fn the_baby_kernel_answers_every_poke_with_its_effect_and_stays_the_same() {
    let mut heap = Heap::new();
    let Pill::Boot(pill) = Pill::load(&pill_path("sword-baby.pill"), &mut heap).unwrap() else { panic!() };
    let mut runner = Runner::new();
    let kernel = runner.lifecycle(&mut heap, pill.bot).unwrap();
    let now = heap.atom_from_limbs(&[0, 0x8000_000d_39a3_ce5c]);
    let ovum = heap.parse("[[100 0] 1953719668 0]").unwrap(); // [/d [%test ~]]
    let (effects, after) = runner.poke(&mut heap, kernel, now, ovum).unwrap();
    assert_eq!(heap.mug(after), heap.mug(kernel), "baby's poke leaves the kernel as it was");
    // [[//term/1 [%blit [%put "effect"] [%nel ~] ~]] ~]
    let effect = heap.head(effects).unwrap();
    let (wire, card) = heap.cell_parts(effect).unwrap();
    assert_eq!(heap.print(wire), format!("[0 {} 49 0]", u32::from_le_bytes(*b"term")));
    assert_eq!(heap.head(card).and_then(|t| heap.as_u64(t)), Some(u32::from_le_bytes(*b"blit") as u64));
    assert_eq!(heap.tail(effects).and_then(|t| t.as_direct()), Some(0), "one effect");
}
