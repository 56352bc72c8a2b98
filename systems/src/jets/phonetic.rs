//! `+po` of hoon.hoon: the 256 prefix and 256 suffix syllables of `@p`, and the lookups between a
//! syllable (a three-letter cord) and its byte. The door keeps the syllables as two 768-byte cords in its
//! context; the jets use the same tables, built in (`components::patp`).

use super::axis::SAMPLE;
use super::{JetOutcome, atom_at, exit, finish};
use components::patp::{PREFIXES, SUFFIXES};
use components::{Heap, Noun, patp};

/// The byte whose syllable is the low three bytes of `text`, if any. Vere's jets read only those three
/// bytes, so a longer cord whose first three letters are a syllable is found; the arm compares the whole
/// atom and gives `~`. Vere's answer is the reference.
fn find(table: &[u8; 768], heap: &Heap, text: Noun) -> Option<u64> {
    let atom = heap.atom(text).expect("an atom");
    let low = atom.limbs().first().copied().unwrap_or(0).to_le_bytes();
    table.chunks_exact(3).position(|syllable| syllable == &low[..3]).map(|i| i as u64)
}

/// The byte of prefix syllable `syllable` (three letters), if it is one.
pub(super) fn prefix_byte(syllable: &[u8]) -> Option<u64> {
    patp::prefix_byte(syllable).map(u64::from)
}

/// The byte of suffix syllable `syllable` (three letters), if it is one.
pub(super) fn suffix_byte(syllable: &[u8]) -> Option<u64> {
    patp::suffix_byte(syllable).map(u64::from)
}

fn parse(table: &[u8; 768], heap: &mut Heap, core: Noun) -> JetOutcome {
    finish((|| {
        let text = atom_at(heap, core, SAMPLE)?;
        Ok(match find(table, heap, text) {
            Some(byte) => heap.cell(Noun::ZERO, Noun::direct(byte).expect("a byte")),
            None => Noun::ZERO,
        })
    })())
}

/// The syllable of byte `a` as a cord; `a` of 256 or more crashes (`?>  (lth a 256)`).
fn fetch(table: &[u8; 768], heap: &mut Heap, core: Noun) -> JetOutcome {
    finish((|| {
        let a = atom_at(heap, core, SAMPLE)?;
        let byte = heap.as_u64(a).filter(|&a| a < 256).ok_or(exit(None))? as usize;
        Ok(heap.atom_from_bytes(&table[3 * byte..3 * byte + 3]))
    })())
}

/// `(ins:po a)`: the byte of prefix syllable `a`, a unit.
pub fn ins(heap: &mut Heap, core: Noun) -> JetOutcome {
    parse(PREFIXES, heap, core)
}

/// `(ind:po a)`: the byte of suffix syllable `a`, a unit.
pub fn ind(heap: &mut Heap, core: Noun) -> JetOutcome {
    parse(SUFFIXES, heap, core)
}

/// `(tos:po a)`: the prefix syllable of byte `a`.
pub fn tos(heap: &mut Heap, core: Noun) -> JetOutcome {
    fetch(PREFIXES, heap, core)
}

/// `(tod:po a)`: the suffix syllable of byte `a`.
pub fn tod(heap: &mut Heap, core: Noun) -> JetOutcome {
    fetch(SUFFIXES, heap, core)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_reads_only_the_low_three_bytes_as_vere_does() {
        let mut heap = Heap::new();
        for (text, byte) in [("doz", Some(0)), ("dozzz", Some(0)), ("fipx", Some(255)), ("xdoz", None)] {
            let atom = heap.atom_from_bytes(text.as_bytes());
            assert_eq!(find(PREFIXES, &heap, atom), byte, "{text}");
        }
    }
}
