//! Meld: equal subtrees made one (Vere's `meld`). Every box the roots reach is visited children first; an
//! atom equal to one already seen, or a cell whose (already melded) head and tail are those of one
//! already seen, is replaced by that one, and each cell's fields are pointed at their children's
//! survivors. Nouns stay equal (only which box holds a value changes), so mugs, jam bytes and every
//! computation are unchanged; a compaction afterwards drops the boxes nothing reaches any more.
//!
//! ```
//! use components::{Heap, meld::Melder};
//! let mut heap = Heap::new();
//! let a = heap.parse("[[1 2] [1 2]]").unwrap();
//! let (head, tail) = heap.cell_parts(a).unwrap();
//! assert!(!head.same_handle(tail));
//! let mut melder = Melder::new(&mut heap);
//! let a = melder.meld(a);
//! let (head, tail) = heap.cell_parts(a).unwrap();
//! assert!(head.same_handle(tail), "the two [1 2] are one box");
//! ```

use crate::heap::Heap;
use crate::noun::Noun;
use hashbrown::HashTable;

/// What a meld found: boxes visited and boxes kept, of each kind.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MeldStats {
    pub cells: u64,
    pub cells_kept: u64,
    pub atoms: u64,
    pub atoms_kept: u64,
}

/// A meld in progress over one heap: [`Melder::meld`] each root (the survivor of each is returned).
///
/// It needs little memory beside the heap (a meld runs when the state is at its largest): two bits a word
/// (a box melded; a box that is a copy of another, whose first word then holds that other's handle,
/// since nothing reads a copy's contents again) and a table of one handle per box kept, whose keys (a
/// cell's head and tail, an atom's limbs) are read from the box itself.
pub struct Melder<'h> {
    heap: &'h mut Heap,
    /// One bit per word: set on the first word of each box melded.
    melded: Vec<u64>,
    /// One bit per word: set on the first word of each box melded into another.
    copies: Vec<u64>,
    /// The cells kept, by a hash of their (melded) head and tail.
    cells: HashTable<u64>,
    /// The atoms kept, by a hash of their limbs.
    atoms: HashTable<u64>,
    stats: MeldStats,
}

fn bit(map: &[u64], at: usize) -> bool {
    map[at / 64] >> (at % 64) & 1 == 1
}

fn set(map: &mut [u64], at: usize) {
    map[at / 64] |= 1 << (at % 64);
}

fn cell_hash(head: u64, tail: u64) -> u64 {
    (head.wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ tail).wrapping_mul(0xff51_afd7_ed55_8ccd).rotate_left(29)
}

fn limbs_hash(limbs: &[u64]) -> u64 {
    limbs.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &l| (h ^ l).wrapping_mul(0x0100_0000_01b3))
}

impl<'h> Melder<'h> {
    pub fn new(heap: &'h mut Heap) -> Melder<'h> {
        let blocks = heap.words_used().div_ceil(64);
        Melder {
            heap,
            melded: vec![0; blocks],
            copies: vec![0; blocks],
            cells: HashTable::new(),
            atoms: HashTable::new(),
            stats: MeldStats::default(),
        }
    }

    /// What was found so far.
    pub fn stats(&self) -> MeldStats {
        self.stats
    }

    /// The survivor of `noun`, melding what it reaches (iteratively: no recursion over depth).
    pub fn meld(&mut self, noun: Noun) -> Noun {
        let mut stack = vec![(noun, false)];
        while let Some((n, children_done)) = stack.pop() {
            if n.is_direct() || bit(&self.melded, n.offset()) {
                continue;
            }
            let Some((head, tail)) = self.heap.cell_parts(n) else {
                self.meld_atom(n);
                continue;
            };
            if !children_done {
                stack.extend([(n, true), (tail, false), (head, false)]);
                continue;
            }
            let (h, t) = (self.of(head), self.of(tail));
            if !h.same_handle(head) {
                self.heap.set_word(n.offset(), h.raw());
            }
            if !t.same_handle(tail) {
                self.heap.set_word(n.offset() + 1, t.raw());
            }
            self.stats.cells += 1;
            let heap = &*self.heap;
            let fields = |k: u64| heap.cell_parts(Noun::from_raw(k)).expect("a kept cell");
            let found = self.cells.find(cell_hash(h.raw(), t.raw()), |&k| {
                let (kh, kt) = fields(k);
                kh.same_handle(h) && kt.same_handle(t)
            });
            match found.copied() {
                Some(kept) => self.copied(n, kept),
                None => {
                    self.stats.cells_kept += 1;
                    self.cells.insert_unique(cell_hash(h.raw(), t.raw()), n.raw(), |&k| {
                        let (kh, kt) = fields(k);
                        cell_hash(kh.raw(), kt.raw())
                    });
                }
            }
            set(&mut self.melded, n.offset());
        }
        self.of(noun)
    }

    /// Records that box `n` is a copy of `kept`.
    fn copied(&mut self, n: Noun, kept: u64) {
        self.heap.set_word(n.offset(), kept);
        set(&mut self.copies, n.offset());
    }

    /// The survivor of a box already melded (a direct atom is its own).
    fn of(&self, noun: Noun) -> Noun {
        if noun.is_direct() || !bit(&self.copies, noun.offset()) {
            noun
        } else {
            Noun::from_raw(self.heap.word_at(noun.offset()))
        }
    }

    fn meld_atom(&mut self, atom: Noun) {
        self.stats.atoms += 1;
        let heap = &*self.heap;
        let limbs = heap.indirect_limbs(atom).expect("an indirect atom");
        let of = |k: u64| heap.indirect_limbs(Noun::from_raw(k)).expect("a kept atom");
        let kept = self.atoms.find(limbs_hash(limbs), |&k| of(k) == limbs).copied();
        match kept {
            Some(kept) => self.copied(atom, kept),
            None => {
                self.stats.atoms_kept += 1;
                self.atoms.insert_unique(limbs_hash(limbs), atom.raw(), |&k| limbs_hash(of(k)));
            }
        }
        set(&mut self.melded, atom.offset());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::copy::Collector;

    #[test]
    fn a_meld_keeps_every_noun_equal_and_the_heap_smaller() {
        let mut heap = Heap::new();
        let text = "[[[1 2] 18446744073709551616] [[1 2] 18446744073709551616] [3 [1 2]] [3 [1 2]] 0]";
        let root = heap.parse(text).unwrap();
        let other = heap.parse("[[1 2] 18446744073709551616]").unwrap();
        let (jam_root, jam_other) = (heap.jam(root), heap.jam(other));
        let printed = heap.print(root);
        let (mug_root, mug_other) = (heap.mug(root), heap.mug(other));
        let mut melder = Melder::new(&mut heap);
        let (root, other) = (melder.meld(root), melder.meld(other));
        let stats = melder.stats();
        assert!(stats.cells_kept < stats.cells && stats.atoms_kept == 1 && stats.atoms == 3, "{stats:?}");
        let mut collector = Collector::new(&mut heap, 0);
        let (root, other) = (collector.relocate(root), collector.relocate(other));
        collector.finish();
        assert_eq!(heap.print(root), printed);
        assert_eq!((heap.jam(root), heap.jam(other)), (jam_root, jam_other));
        assert_eq!((heap.mug(root), heap.mug(other)), (mug_root, mug_other));
        let (first, _) = heap.cell_parts(root).unwrap();
        assert!(first.same_handle(other), "equal subtrees are one box, across roots too");
        // Seven cells ([1 2], [[1 2] big], [3 [1 2]] and the tuple's four) and the big atom (two limbs).
        assert_eq!(heap.words_used(), 7 * 3 + 3);
    }
}
