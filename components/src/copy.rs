//! Collection of the young space: the boxes allocated since a mark that are still reachable are moved down
//! to the mark, packed, and everything else past the mark is dropped.
//!
//! The heap is split at `young_base`: boxes below it (the old space: the kernel, what earlier events kept)
//! never point into the young space, because a box can only point at boxes that existed when it was built.
//! So a collection only has to trace from the roots into young boxes, copying each reachable one once (a
//! forwarding note written over each copied box keeps shared subtrees shared), and never touches the old
//! space: an old-space snapshot stays valid. The copy is iterative (a worklist of copied cells whose
//! children still need moving).
//!
//! ```
//! use components::{Heap, Noun, copy::Collector};
//! let mut heap = Heap::new();
//! let kept = heap.parse("[1 2]").unwrap();
//! let mark = heap.words_used();
//! let mut young = heap.parse("[3 4 5]").unwrap();
//! for _ in 0..100 {
//!     heap.parse("[6 7 8]").unwrap(); // garbage
//! }
//! let mut collector = Collector::new(&mut heap, mark);
//! young = collector.relocate(young);
//! collector.finish();
//! assert_eq!(heap.words_used(), mark + 6, "two cells survive");
//! assert_eq!(heap.print(young), "[3 4 5]");
//! assert_eq!(heap.print(kept), "[1 2]");
//! ```

use crate::heap::Heap;
use crate::noun::Noun;

/// A collection in progress: relocate every root, then [`Collector::finish`].
pub struct Collector<'h> {
    heap: &'h mut Heap,
    young_base: usize,
    /// Where the survivors are copied to, past the young space, laid out as they will sit in the heap
    /// from `young_base` on (so no buffer of their own, which would hold a second copy and grow by
    /// reallocation); moved down there by [`Collector::finish`].
    to_base: usize,
    /// Words copied so far.
    survived: usize,
    /// One bit per young word: set on the first word of each box already copied, whose first word then
    /// holds its new handle (the young space is dropped at the end, so it can be written over).
    moved: Vec<u64>,
    /// Offsets in `survivors` of copied cells whose head and tail still point at old locations.
    unscanned: Vec<usize>,
}

impl<'h> Collector<'h> {
    /// Starts collecting the boxes at or past word `young_base`.
    pub fn new(heap: &'h mut Heap, young_base: usize) -> Collector<'h> {
        assert!(young_base <= heap.words_used(), "the young space starts inside the heap");
        let young_words = heap.words_used() - young_base;
        let to_base = heap.words_used();
        Collector {
            heap,
            young_base,
            to_base,
            survived: 0,
            moved: vec![0; young_words.div_ceil(64)],
            unscanned: Vec::new(),
        }
    }

    /// The new handle of a root (copying what it reaches, lazily: children are moved by `finish`).
    pub fn relocate(&mut self, noun: Noun) -> Noun {
        if noun.is_direct() || noun.offset() < self.young_base {
            return noun;
        }
        let young = noun.offset() - self.young_base;
        if self.moved[young / 64] >> (young % 64) & 1 == 1 {
            return Noun::from_raw(self.heap.word_at(noun.offset()));
        }
        let at = self.survived;
        let new_offset = self.young_base + at;
        self.survived += self.heap.copy_box_to_end(noun);
        let moved = if noun.is_cell() {
            self.unscanned.push(at);
            Noun::cell_at(new_offset)
        } else {
            Noun::indirect(new_offset)
        };
        self.heap.set_word(noun.offset(), moved.raw());
        self.moved[young / 64] |= 1 << (young % 64);
        moved
    }

    /// Moves the children of every copied cell, then replaces the young space with the survivors.
    /// Returns the number of words that survived.
    pub fn finish(mut self) -> usize {
        while let Some(at) = self.unscanned.pop() {
            for field in [at, at + 1] {
                let word = self.to_base + field;
                let child = Noun::from_raw(self.heap.word_at(word));
                let moved = self.relocate(child);
                self.heap.set_word(word, moved.raw());
            }
        }
        self.heap.replace_young(self.young_base, self.to_base, self.survived);
        self.survived
    }
}

impl Heap {
    /// Copies a box (a cell's three words, or an indirect atom's header and limbs) to the end of the
    /// heap: the words it took.
    pub(crate) fn copy_box_to_end(&mut self, noun: Noun) -> usize {
        let o = noun.offset();
        let len = if noun.is_cell() { 3 } else { 1 + (self.word_at(o) & 0xffff_ffff) as usize };
        self.copy_within_to_end(o, len);
        len
    }
}

impl Heap {
    /// Copies `root` out of `from` (a heap a job built its product in, given up to this one) into this
    /// heap, keeping what it shares shared, with no recursion. Children are copied before their cells,
    /// so a box still points only at older ones. `from`'s boxes are overwritten as they are copied (each
    /// made to hold its copy's handle, a bit set for it): it is only fit to be dropped after.
    pub fn import(&mut self, from: &mut Heap, root: Noun) -> Noun {
        if root.is_direct() {
            return root;
        }
        let mut forwarded = vec![0u64; from.words_used().div_ceil(64)];
        let is_forwarded = |bits: &[u64], n: Noun| bits[n.offset() / 64] >> (n.offset() % 64) & 1 == 1;
        // (noun, its children copied), and the copies made, in the order their parents take them.
        let mut todo: Vec<(Noun, bool)> = vec![(root, false)];
        let mut made: Vec<Noun> = Vec::new();
        while let Some((noun, ready)) = todo.pop() {
            if noun.is_direct() {
                made.push(noun);
                continue;
            }
            if is_forwarded(&forwarded, noun) {
                made.push(Noun::from_raw(from.word_at(noun.offset())));
                continue;
            }
            let copy = if noun.is_cell() {
                let (head, tail) = from.cell_parts(noun).expect("a cell");
                if !ready {
                    todo.extend([(noun, true), (tail, false), (head, false)]);
                    continue;
                }
                let tail = made.pop().expect("the tail's copy");
                let head = made.pop().expect("the head's copy");
                self.cell(head, tail)
            } else {
                self.atom_from_limbs(from.atom(noun).expect("an atom").limbs())
            };
            forwarded[noun.offset() / 64] |= 1 << (noun.offset() % 64);
            from.put_word(noun.offset(), copy.raw());
            made.push(copy);
        }
        made.pop().expect("the root's copy")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_import_copies_a_noun_from_another_heap_keeping_its_sharing() {
        let mut from = Heap::new();
        let big = from.atom_from_limbs(&[1, 2, 3]);
        let leaf = from.parse("[10 20]").unwrap();
        let shared = from.cell(big, leaf);
        let mut root = from.cell(shared, shared);
        // A long list, so that no recursion could take it.
        for i in 0..300_000u64 {
            root = from.cell(Noun::direct(i).unwrap(), root);
        }
        let text_of_shared = from.print(shared);
        let jam = from.jam(root);
        let mut heap = Heap::new();
        heap.parse("[1 2 3]").unwrap(); // not at offset 0
        let before = heap.words_used();
        let copy = heap.import(&mut from, root);
        drop(from);
        assert_eq!(heap.jam(copy), jam);
        let mut inner = copy;
        for _ in 0..300_000 {
            inner = heap.tail(inner).unwrap();
        }
        let (h, t) = heap.cell_parts(inner).unwrap();
        assert!(h.same_handle(t), "sharing is kept");
        assert_eq!(heap.print(h), text_of_shared);
        // The big atom once (four words), the three cells of the pair and its parts, and the list's cells.
        assert_eq!(heap.words_used() - before, 4 + 3 * 3 + 3 * 300_000);
        assert!(
            heap.import(&mut Heap::new(), Noun::direct(7).unwrap()).same_handle(Noun::direct(7).unwrap())
        );
    }

    #[test]
    fn shared_survivors_stay_shared_and_old_space_is_untouched() {
        let mut heap = Heap::new();
        let old = heap.parse("[10 20]").unwrap();
        let mark = heap.words_used();
        let big = heap.atom_from_limbs(&[1, 2, 3]);
        let shared = heap.cell(big, old);
        let mut root = heap.cell(shared, shared);
        for _ in 0..50 {
            heap.cell(Noun::ONE, Noun::ONE);
        }
        let mug = heap.mug(root); // fills mug caches, old space included
        let text = heap.print(root);
        let old_words = heap.words()[..mark].to_vec();
        let mut collector = Collector::new(&mut heap, mark);
        root = collector.relocate(root);
        let survived = collector.finish();
        assert_eq!(survived, 4 + 3 + 3, "the atom, the shared cell once, the root");
        assert_eq!(&heap.words()[..mark], &old_words[..]);
        let (h, t) = heap.cell_parts(root).unwrap();
        assert!(h.same_handle(t), "sharing is kept");
        assert_eq!(heap.mug(root), mug);
        assert_eq!(heap.print(root), text);
    }
}
