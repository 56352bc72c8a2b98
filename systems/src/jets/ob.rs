//! `+ob` of hoon.hoon: the Feistel permutation that scrambles `@p` (`fein`) and its inverse (`fynd`), as
//! Vere's jets compute it. Where the arm would crash (a key of three bytes handed to a two-byte `muk`),
//! Vere's jet hashes the low two bytes; Vere's behaviour is the reference.

use super::axis::SAMPLE;
use super::{JetOutcome, atom_at, finish};
use components::mug::murmur3_limbs;
use components::{Heap, Noun};

const A: u32 = 0xffff;
const B: u32 = 0x1_0000;
const K: u32 = 0xffff_0000;
/// `+raku`: the round keys.
const ROUND_KEYS: [u32; 4] = [0xb76d_5eed, 0xee28_1300, 0x85bc_ae01, 0x4b38_7af7];

/// The round function: murmur3 of the low two bytes of `value`.
fn round(key: u32, value: u32) -> u32 {
    murmur3_limbs(&[(value & 0xffff) as u64], 2, key)
}

/// `+fe`: four rounds forward, over `[0, 0xfffe_ffff]`.
fn forward(m: u32) -> u32 {
    let (mut left, mut right) = (m % A, m / A);
    for (j, &key) in ROUND_KEYS.iter().enumerate() {
        let modulus = if j % 2 == 0 { A } else { B };
        let next = ((round(key, right) as u64 + left as u64) % modulus as u64) as u32;
        (left, right) = (right, next);
    }
    if right == A { right * A + left } else { left * A + right }
}

/// `+fen`: four rounds backward, undoing [`forward`].
fn backward(m: u32) -> u32 {
    let (mut left, mut right) = (m / A, m % A);
    if left == A {
        (left, right) = (right, left);
    }
    for (j, &key) in ROUND_KEYS.iter().rev().enumerate() {
        let modulus = if j % 2 == 0 { B } else { A };
        let f = round(key, left) % modulus;
        let next = (right + modulus - f) % modulus;
        (right, left) = (left, next);
    }
    right * A + left
}

/// Cycle-walks `rounds` on `[0x1_0000, 0xffff_ffff]` so that the result stays in range.
fn walk(m: u32, rounds: fn(u32) -> u32) -> u32 {
    let c = rounds(m - B);
    B + if c < K { c } else { rounds(c) }
}

/// Applies the permutation to the low 32 bits of 32- to 64-bit `@p`s (below 2^16 and above 2^64 nothing
/// changes; a low word below 2^16 is left alone too).
fn scramble(heap: &mut Heap, core: Noun, rounds: fn(u32) -> u32) -> JetOutcome {
    finish((|| {
        let pyn = atom_at(heap, core, SAMPLE)?;
        let Some(value) = heap.as_u64(pyn) else { return Ok(pyn) };
        Ok(heap.atom_u64(scramble_value(value, rounds)))
    })())
}

/// [`scramble`] of a value that fits in 64 bits.
fn scramble_value(value: u64, rounds: fn(u32) -> u32) -> u64 {
    let low = value as u32;
    if value < B as u64 || low < B {
        return value;
    }
    let high = value & !0xffff_ffff;
    high | walk(low, rounds) as u64
}

/// `(fynd:ob cry)` of a value that fits in 64 bits (larger ones are unchanged).
pub(super) fn fynd_value(cry: u64) -> u64 {
    scramble_value(cry, backward)
}

/// `(fein:ob pyn)`.
pub fn fein(heap: &mut Heap, core: Noun) -> JetOutcome {
    scramble(heap, core, forward)
}

/// `(fynd:ob cry)`.
pub fn fynd(heap: &mut Heap, core: Noun) -> JetOutcome {
    scramble(heap, core, backward)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fynd_undoes_fein_across_the_domain() {
        for m in (B..=u32::MAX).step_by(65_537 * 3) {
            assert_eq!(walk(walk(m, forward), backward), m, "{m:#x}");
        }
    }
}
