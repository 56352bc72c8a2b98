//! Compaction in place: the boxes at or past a mark that are still reachable slide down to the mark, in
//! the order they were in, and everything else past the mark is dropped, with no second copy of the
//! survivors (the copying [`Collector`](crate::copy::Collector) needs room for one past the heap's end).
//! This is what keeps a ship's peak memory near its live set when the whole heap is compacted.
//!
//! Three passes, none recursive:
//! 1. mark: from the roots, with a stack of cells still to look into, every reachable box past the mark
//!    gets a bit (in a bitmap of cell starts or one of atom starts) and each of its words a bit in a
//!    bitmap of live words;
//! 2. plan: the live words before each 64-word block are counted, so that a box's new place is that count
//!    plus the live words before it in its block (a popcount);
//! 3. slide: the boxes are moved down in address order, each cell's head and tail rewritten to their new
//!    places. A box only ever moves down, over words that are dead or already moved, so one pass in order
//!    is safe, and nothing is read after it is overwritten.
//!
//! The roots are given twice: once to [`Compactor::mark`] before [`Compactor::plan`], then to
//! [`Compactor::relocate`] for their new handles (both have the shape of a relocation closure).
//!
//! ```
//! use components::{Heap, compact::Compactor};
//! let mut heap = Heap::new();
//! let kept = heap.parse("[1 2]").unwrap();
//! let mark = heap.words_used();
//! let mut young = heap.parse("[3 4 5]").unwrap();
//! for _ in 0..100 {
//!     heap.parse("[6 7 8]").unwrap(); // garbage
//! }
//! let mut compactor = Compactor::new(&mut heap, mark);
//! compactor.mark(young);
//! compactor.plan();
//! young = compactor.relocate(young);
//! compactor.finish();
//! assert_eq!(heap.words_used(), mark + 6, "two cells survive");
//! assert_eq!(heap.print(young), "[3 4 5]");
//! assert_eq!(heap.print(kept), "[1 2]");
//! ```

use crate::heap::Heap;
use crate::noun::Noun;

/// A compaction in progress: mark every root, plan, relocate every root, then finish.
pub struct Compactor<'h> {
    heap: &'h mut Heap,
    base: usize,
    /// One bit per word past `base`: set on the first word of each reachable cell.
    cells: Vec<u64>,
    /// The same for indirect atoms.
    atoms: Vec<u64>,
    /// One bit per word past `base`: set on every word of every reachable box.
    live: Vec<u64>,
    /// Reachable cells whose children are not yet marked.
    pending: Vec<Noun>,
    /// The live words before each 64-word block (one more entry: the total). Empty until planned.
    before: Vec<u64>,
}

impl<'h> Compactor<'h> {
    /// Starts compacting the boxes at or past word `base`.
    pub fn new(heap: &'h mut Heap, base: usize) -> Compactor<'h> {
        assert!(base <= heap.words_used(), "the compacted part starts inside the heap");
        let blocks = (heap.words_used() - base).div_ceil(64);
        Compactor {
            heap,
            base,
            cells: vec![0; blocks],
            atoms: vec![0; blocks],
            live: vec![0; blocks],
            pending: Vec::new(),
            before: Vec::new(),
        }
    }

    /// Marks a root (and, by [`Compactor::plan`], what it reaches). Returns it unchanged.
    pub fn mark(&mut self, noun: Noun) -> Noun {
        assert!(self.before.is_empty(), "roots are marked before the plan");
        self.mark_one(noun);
        noun
    }

    fn mark_one(&mut self, noun: Noun) {
        if noun.is_direct() || noun.offset() < self.base {
            return;
        }
        let i = noun.offset() - self.base;
        let (block, bit) = (i / 64, 1u64 << (i % 64));
        let starts = if noun.is_cell() { &mut self.cells } else { &mut self.atoms };
        if starts[block] & bit != 0 {
            return;
        }
        starts[block] |= bit;
        let len = if noun.is_cell() {
            self.pending.push(noun);
            3
        } else {
            1 + (self.heap.word_at(noun.offset()) & 0xffff_ffff) as usize
        };
        set_bits(&mut self.live, i, len);
    }

    /// Marks everything the roots reach and works out where each box goes.
    pub fn plan(&mut self) {
        while let Some(cell) = self.pending.pop() {
            let (head, tail) = self.heap.cell_parts(cell).expect("a marked cell");
            self.mark_one(tail);
            self.mark_one(head);
        }
        self.pending = Vec::new();
        let mut before = Vec::with_capacity(self.live.len() + 1);
        let mut count = 0u64;
        for block in &self.live {
            before.push(count);
            count += block.count_ones() as u64;
        }
        before.push(count);
        self.before = before;
    }

    /// The new handle of a noun (of a marked root, or of anything outside the compacted part).
    pub fn relocate(&self, noun: Noun) -> Noun {
        assert!(!self.before.is_empty(), "relocated after the plan");
        self.forward(noun)
    }

    #[inline]
    fn forward(&self, noun: Noun) -> Noun {
        if noun.is_direct() || noun.offset() < self.base {
            return noun;
        }
        let i = noun.offset() - self.base;
        let (block, bit) = (i / 64, i % 64);
        debug_assert!(self.live[block] >> bit & 1 == 1, "a reachable box");
        let below = self.live[block] & ((1u64 << bit) - 1);
        let to = self.base + (self.before[block] + below.count_ones() as u64) as usize;
        if noun.is_cell() { Noun::cell_at(to) } else { Noun::indirect(to) }
    }

    /// Slides every reachable box down into place and ends the heap after the last. Returns the number of
    /// words kept past the base.
    pub fn finish(self) -> usize {
        assert!(!self.before.is_empty(), "finished after the plan");
        let kept = *self.before.last().expect("a total") as usize;
        self.heap.begin_rewrite(self.base);
        let mut to = self.base;
        for block in 0..self.live.len() {
            let mut starts = self.cells[block] | self.atoms[block];
            while starts != 0 {
                let bit = starts.trailing_zeros() as usize;
                starts &= starts - 1;
                let from = self.base + block * 64 + bit;
                if self.cells[block] >> bit & 1 == 1 {
                    let head = self.forward(Noun::from_raw(self.heap.word_at(from)));
                    let tail = self.forward(Noun::from_raw(self.heap.word_at(from + 1)));
                    let mug = self.heap.word_at(from + 2);
                    self.heap.set_word(to, head.raw());
                    self.heap.set_word(to + 1, tail.raw());
                    self.heap.set_word(to + 2, mug);
                    to += 3;
                } else {
                    let len = 1 + (self.heap.word_at(from) & 0xffff_ffff) as usize;
                    self.heap.move_words_down(from, to, len);
                    to += len;
                }
            }
        }
        debug_assert_eq!(to, self.base + kept);
        self.heap.end_rewrite(to);
        kept
    }
}

/// Sets bits `from..from + len` of a bitmap.
fn set_bits(map: &mut [u64], from: usize, len: usize) {
    let end = from + len;
    let mut i = from;
    while i < end {
        let (block, bit) = (i / 64, i % 64);
        let n = (64 - bit).min(end - i);
        let mask = if n == 64 { u64::MAX } else { ((1u64 << n) - 1) << bit };
        map[block] |= mask;
        i += n;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shared_survivors_stay_shared_order_is_kept_and_old_space_is_untouched() {
        let mut heap = Heap::new();
        let old = heap.parse("[10 20]").unwrap();
        let mark = heap.words_used();
        heap.parse("[99 98]").unwrap(); // garbage before the survivors
        let big = heap.atom_from_limbs(&[1, 2, 3]);
        let shared = heap.cell(big, old);
        heap.atom_from_limbs(&[7; 70]); // a garbage atom longer than a block
        let mut root = heap.cell(shared, shared);
        for _ in 0..50 {
            heap.cell(Noun::ONE, Noun::ONE);
        }
        let mug = heap.mug(root);
        let text = heap.print(root);
        let old_words = heap.words()[..mark].to_vec();
        let mut compactor = Compactor::new(&mut heap, mark);
        compactor.mark(root);
        compactor.plan();
        root = compactor.relocate(root);
        let kept = compactor.finish();
        assert_eq!(kept, 4 + 3 + 3, "the atom, the shared cell once, the root");
        assert_eq!(heap.words_used(), mark + kept);
        assert_eq!(&heap.words()[..mark], &old_words[..]);
        let (h, t) = heap.cell_parts(root).unwrap();
        assert!(h.same_handle(t), "sharing is kept");
        assert!(h.offset() < root.offset(), "the order is kept");
        assert_eq!(heap.mug(root), mug);
        assert_eq!(heap.print(root), text);
    }

    #[test]
    fn a_long_list_and_wide_atoms_survive_with_no_recursion() {
        let mut heap = Heap::new();
        let mut list = Noun::ZERO;
        for i in 0..200_000u64 {
            let garbage = heap.atom_from_limbs(&[i, 1]);
            let _ = heap.cell(garbage, garbage);
            let item = if i % 1000 == 0 {
                heap.atom_from_limbs(&vec![i | 1; 100])
            } else {
                Noun::direct(i).unwrap()
            };
            list = heap.cell(item, list);
        }
        let bytes = heap.jam(list);
        let mut compactor = Compactor::new(&mut heap, 0);
        compactor.mark(list);
        compactor.plan();
        list = compactor.relocate(list);
        compactor.finish();
        assert_eq!(heap.jam(list), bytes);
        assert_eq!(heap.words_used(), 200_000 * 3 + 200 * 101);
    }
}
