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
use hashbrown::HashMap;

/// What a meld found: boxes visited and boxes kept, of each kind.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MeldStats {
    pub cells: u64,
    pub cells_kept: u64,
    pub atoms: u64,
    pub atoms_kept: u64,
}

/// A meld in progress over one heap: [`Melder::meld`] each root (the survivor of each is returned).
pub struct Melder<'h> {
    heap: &'h mut Heap,
    /// By word offset: the survivor's handle once a box is melded (0: not yet; no box's handle is 0).
    survivor: Vec<u64>,
    cells: HashMap<(u64, u64), u64>,
    /// Atoms by a hash of their limbs: the survivors with that hash.
    atoms: HashMap<u64, Vec<u64>>,
    stats: MeldStats,
}

impl<'h> Melder<'h> {
    pub fn new(heap: &'h mut Heap) -> Melder<'h> {
        let words = heap.words_used();
        Melder {
            heap,
            survivor: vec![0; words],
            cells: HashMap::new(),
            atoms: HashMap::new(),
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
            if n.is_direct() || self.survivor[n.offset()] != 0 {
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
            let kept = *self.cells.entry((h.raw(), t.raw())).or_insert_with(|| {
                self.stats.cells_kept += 1;
                n.raw()
            });
            self.survivor[n.offset()] = kept;
        }
        self.of(noun)
    }

    /// The survivor of a box already melded (a direct atom is its own).
    fn of(&self, noun: Noun) -> Noun {
        if noun.is_direct() { noun } else { Noun::from_raw(self.survivor[noun.offset()]) }
    }

    fn meld_atom(&mut self, atom: Noun) {
        let limbs = self.heap.indirect_limbs(atom).expect("an indirect atom");
        let hash =
            limbs.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &l| (h ^ l).wrapping_mul(0x0100_0000_01b3));
        self.stats.atoms += 1;
        let same = self.atoms.get(&hash).and_then(|kept| {
            kept.iter()
                .copied()
                .find(|&k| self.heap.atom(Noun::from_raw(k)).expect("an atom").limbs() == limbs)
        });
        let kept = match same {
            Some(kept) => kept,
            None => {
                self.stats.atoms_kept += 1;
                self.atoms.entry(hash).or_default().push(atom.raw());
                atom.raw()
            }
        };
        self.survivor[atom.offset()] = kept;
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
