//! Chapter 4 of hoon.hoon: text (`trip`).

use super::axis::SAMPLE;
use super::{JetOutcome, atom_at, finish};
use components::{Heap, Noun};

/// `(trip a)`: a cord's bytes as a tape (a list of byte atoms), least significant first.
pub fn trip(heap: &mut Heap, core: Noun) -> JetOutcome {
    finish((|| {
        let a = atom_at(heap, core, SAMPLE)?;
        let bytes = heap.atom(a).expect("an atom").to_bytes();
        let chars: Vec<Noun> = bytes.iter().map(|&b| Noun::direct(b as u64).expect("a byte")).collect();
        Ok(heap.list(&chars))
    })())
}
