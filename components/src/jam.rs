//! Jam: a noun to a bit stream, byte for byte as Vere writes it (see spec/nouns.md §3).
//!
//! Pre-order walk with an explicit stack; a table from noun (by structural equality) to the bit position
//! of its first encoding; repeated cells are always written as backreferences, repeated atoms only when
//! the atom is wider than the position (`met0(a) > met0(pos)`).

use crate::hash::{U64Hasher, U64Map, mix64};
use crate::heap::{AtomRef, Heap};
use crate::noun::Noun;
use hashbrown::HashTable;
use std::hash::BuildHasherDefault;

/// An append-only bit stream, least significant bit first.
#[derive(Default)]
pub struct BitWriter {
    words: Vec<u64>,
    bit_len: u64,
}

impl BitWriter {
    /// An empty stream.
    pub fn new() -> BitWriter {
        BitWriter::default()
    }

    /// Bits written so far.
    #[inline]
    pub fn bit_len(&self) -> u64 {
        self.bit_len
    }

    /// Appends the low `count` bits of `value` (`count` ≤ 64; higher bits of `value` must be 0).
    #[inline]
    pub fn push(&mut self, value: u64, count: u32) {
        debug_assert!(count <= 64 && (count == 64 || value >> count == 0));
        if count == 0 {
            return;
        }
        let offset = (self.bit_len % 64) as u32;
        if offset == 0 {
            self.words.push(value);
        } else {
            *self.words.last_mut().expect("a partial word exists") |= value << offset;
            if offset + count > 64 {
                self.words.push(value >> (64 - offset));
            }
        }
        self.bit_len += count as u64;
    }

    /// Appends `count` zero bits.
    pub fn push_zeros(&mut self, count: u64) {
        let mut left = count;
        while left > 0 {
            let n = left.min(64) as u32;
            self.push(0, n);
            left -= n as u64;
        }
    }

    /// Appends the low `count` bits of the number whose limbs are `limbs` (bits past the limbs are 0).
    pub fn push_limbs(&mut self, limbs: &[u64], count: u64) {
        let full = (count / 64) as usize;
        for i in 0..full {
            self.push(limbs.get(i).copied().unwrap_or(0), 64);
        }
        let rest = (count % 64) as u32;
        if rest > 0 {
            let top = limbs.get(full).copied().unwrap_or(0) & ((1u64 << rest) - 1);
            self.push(top, rest);
        }
    }

    /// Appends `mat(a)`: the length-prefixed encoding of an atom.
    pub fn push_mat(&mut self, atom: AtomRef<'_>) {
        let b = atom.bit_len();
        if b == 0 {
            self.push(1, 1);
            return;
        }
        let c = 64 - b.leading_zeros();
        self.push_zeros(c as u64);
        self.push(1, 1);
        self.push(b & ((1u64 << (c - 1)) - 1), c - 1);
        self.push_limbs(atom.limbs(), b);
    }

    /// The stream as little-endian bytes, without high zero bytes.
    pub fn into_bytes(self) -> Vec<u8> {
        let byte_len = self.bit_len.div_ceil(8) as usize;
        let mut bytes: Vec<u8> = Vec::with_capacity(self.words.len() * 8);
        for w in &self.words {
            bytes.extend_from_slice(&w.to_le_bytes());
        }
        bytes.truncate(byte_len);
        while bytes.last() == Some(&0) {
            bytes.pop();
        }
        bytes
    }

    /// The stream as 64-bit limbs (the jam atom's limbs).
    pub fn into_limbs(self) -> Vec<u64> {
        self.words
    }
}

const TAG_CELL: (u64, u32) = (0b01, 2);
const TAG_BACKREF: (u64, u32) = (0b11, 2);

impl Heap {
    /// Jams a noun to bytes (the jam atom's little-endian bytes), identical to Vere's output.
    ///
    /// ```
    /// use components::Heap;
    /// let mut heap = Heap::new();
    /// let n = heap.parse("[5 5]").unwrap();
    /// assert_eq!(heap.jam(n), vec![0xe1, 0x4e, 0x02]);
    /// ```
    pub fn jam(&self, noun: Noun) -> Vec<u8> {
        self.jam_bits(noun).into_bytes()
    }

    /// Jams a noun to an atom in this heap.
    pub fn jam_atom(&mut self, noun: Noun) -> Noun {
        let limbs = self.jam_bits(noun).into_limbs();
        self.atom_from_limbs(&limbs)
    }

    /// [`Heap::jam_atom`], if the noun has at most `boxes_max` distinct boxes (cells and indirect atoms, a
    /// shared subtree counted once); `None` as soon as it is seen to have more (the work given up is at
    /// most a walk of that many boxes). For a caller that hands long jams to another thread.
    pub fn jam_atom_within(&mut self, noun: Noun, boxes_max: u64) -> Option<Noun> {
        let ids = StructureIds::within(self, noun, boxes_max)?;
        let limbs = self.jam_with(noun, &ids).into_limbs();
        Some(self.atom_from_limbs(&limbs))
    }

    fn jam_bits(&self, noun: Noun) -> BitWriter {
        let ids = StructureIds::within(self, noun, u64::MAX).expect("no limit");
        self.jam_with(noun, &ids)
    }

    fn jam_with(&self, noun: Noun, ids: &StructureIds) -> BitWriter {
        let mut out = BitWriter::new();
        let mut direct_position: U64Map<u64> = U64Map::default();
        let mut box_position: Vec<u64> = vec![u64::MAX; ids.count as usize];
        let mut pending = vec![noun];
        while let Some(n) = pending.pop() {
            let position = out.bit_len();
            let slot = match n.as_direct() {
                Some(v) => direct_position.entry(v).or_insert(position),
                None => &mut box_position[ids.of_box[&n.raw()] as usize],
            };
            if *slot == u64::MAX {
                *slot = position;
            }
            let earlier = *slot;
            let atom = self.atom(n);
            if earlier != position {
                let wider = atom.is_none_or(|a| a.bit_len() > 64 - earlier.leading_zeros() as u64);
                if wider {
                    out.push(TAG_BACKREF.0, TAG_BACKREF.1);
                    out.push_mat(AtomRef::Direct(earlier));
                    continue;
                }
            }
            match atom {
                Some(a) => {
                    out.push(0, 1);
                    out.push_mat(a);
                }
                None => {
                    let (head, tail) = self.cell_parts(n).expect("a cell");
                    out.push(TAG_CELL.0, TAG_CELL.1);
                    pending.push(tail);
                    pending.push(head);
                }
            }
        }
        out
    }
}

/// Numbers every distinct box structure in a noun (hash-consing, bottom-up): two subtrees are equal nouns iff
/// they get the same id. This makes jam's "seen before?" question exact and O(1) per node, where hashing by
/// mug and confirming by deep comparison can go quadratic (mug chains of long nouns cycle, so many distinct
/// deep nouns share a mug).
struct StructureIds {
    /// Box handle → id, dense from 0. (Direct atoms are their own id, with the top bit set.)
    of_box: U64Map<u64>,
    /// How many distinct box structures there are.
    count: u64,
}

const DIRECT_ID: u64 = 1 << 63;

impl StructureIds {
    /// The ids of `root`'s boxes; `None` once more than `boxes_max` boxes have been numbered.
    fn within(heap: &Heap, root: Noun, boxes_max: u64) -> Option<StructureIds> {
        let mut of_box: U64Map<u64> = U64Map::default();
        let mut cells: hashbrown::HashMap<(u64, u64), u64, BuildHasherDefault<U64Hasher>> =
            Default::default();
        let mut atoms: HashTable<(Noun, u64)> = HashTable::new();
        let mut next_id = 0u64;
        let known = |of_box: &U64Map<u64>, n: Noun| match n.as_direct() {
            Some(v) => Some(v | DIRECT_ID),
            None => of_box.get(&n.raw()).copied(),
        };
        let mut stack = vec![root];
        while let Some(&n) = stack.last() {
            if known(&of_box, n).is_some() {
                stack.pop();
                continue;
            }
            let id = match heap.cell_parts(n) {
                None => {
                    let limbs_of = |m: Noun| heap.indirect_limbs(m).expect("an indirect atom");
                    let hash_of = |m: Noun| mix64(crate::mug::mug_limbs(limbs_of(m)) as u64);
                    let entry =
                        atoms.entry(hash_of(n), |&(m, _)| limbs_of(m) == limbs_of(n), |&(m, _)| hash_of(m));
                    entry.or_insert_with(|| (n, next_id)).get().1
                }
                Some((head, tail)) => match (known(&of_box, head), known(&of_box, tail)) {
                    (Some(h), Some(t)) => *cells.entry((h, t)).or_insert(next_id),
                    (h, t) => {
                        if t.is_none() {
                            stack.push(tail);
                        }
                        if h.is_none() {
                            stack.push(head);
                        }
                        continue;
                    }
                },
            };
            if id == next_id {
                next_id += 1;
            }
            of_box.insert(n.raw(), id);
            if of_box.len() as u64 > boxes_max {
                return None;
            }
            stack.pop();
        }
        Some(StructureIds { of_box, count: next_id })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    #[test]
    fn jam_matches_the_worked_examples() {
        let mut heap = Heap::new();
        for (text, expected) in [
            ("0", "02"),
            ("1", "0c"),
            ("2", "48"),
            ("[1 2]", "3112"),
            ("[[1 2] [1 2] 1 2]", "c5c8262701"),
            ("[5 5]", "e14e02"),
            ("[2 2]", "2191"), // the second 2 is as wide as its position: written again
        ] {
            let n = heap.parse(text).unwrap();
            assert_eq!(hex(&heap.jam(n)), expected, "jam {text}");
        }
    }

    #[test]
    fn a_jam_within_a_limit_is_the_jam_or_nothing() {
        let mut heap = Heap::new();
        let items: Vec<Noun> = (0..100u64).map(|i| heap.atom_u64(i)).collect();
        let list = heap.list(&items);
        let shared = heap.cell(list, list);
        for (noun, limit, fits) in
            [(list, 100, true), (list, 99, false), (shared, 101, true), (Noun::ZERO, 0, true)]
        {
            let jam = heap.jam_atom(noun);
            let within = heap.jam_atom_within(noun, limit);
            assert_eq!(within.is_some(), fits, "{limit}");
            assert!(within.is_none_or(|within| heap.eq(within, jam)), "{limit}");
        }
    }

    #[test]
    fn repeated_cells_are_backreferences_even_when_longer() {
        let mut heap = Heap::new();
        let n = heap.parse("[[0 0] [0 0]]").unwrap();
        assert_eq!(hex(&heap.jam(n)), "a593");
    }

    #[test]
    fn bit_writer_spans_word_boundaries() {
        let mut w = BitWriter::new();
        w.push(0x7f, 7);
        w.push(u64::MAX, 64);
        w.push(1, 1);
        assert_eq!(w.bit_len(), 72);
        assert_eq!(w.into_bytes(), vec![0xff; 9]);
    }
}
