//! `+ob` of hoon.hoon: the Feistel permutation that scrambles `@p` (`fein`) and its inverse (`fynd`), as
//! Vere's jets compute it (`components::patp` holds the permutation).

use super::axis::SAMPLE;
use super::{JetOutcome, atom_at, finish};
use components::{Heap, Noun, patp};

/// Applies `rounds` (`fein` or `fynd`) to the sample; an atom wider than 64 bits is its own answer.
fn scramble(heap: &mut Heap, core: Noun, rounds: fn(u128) -> u128) -> JetOutcome {
    finish((|| {
        let pyn = atom_at(heap, core, SAMPLE)?;
        let Some(value) = heap.as_u64(pyn) else { return Ok(pyn) };
        Ok(heap.atom_u64(rounds(u128::from(value)) as u64))
    })())
}

/// `(fynd:ob cry)` of a value that fits in 64 bits.
pub(super) fn fynd_value(cry: u64) -> u64 {
    patp::fynd(u128::from(cry)) as u64
}

/// `(fein:ob pyn)`.
pub fn fein(heap: &mut Heap, core: Noun) -> JetOutcome {
    scramble(heap, core, patp::fein)
}

/// `(fynd:ob cry)`.
pub fn fynd(heap: &mut Heap, core: Noun) -> JetOutcome {
    scramble(heap, core, patp::fynd)
}
