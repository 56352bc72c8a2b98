//! Mug: the 31-bit noun hash, exactly as Vere computes it (see spec/nouns.md §2).
//!
//! An atom's mug hashes its canonical little-endian bytes with seed `0xcafebabe`; a cell's hashes the
//! atom `mug(head) + mug(tail) * 2^32` (its significant bytes only) with seed `0xdeadbeef`. Each hash is
//! MurmurHash3_x86_32 folded to 31 bits; a fold of 0 retries with the next seed.

use crate::heap::Heap;
use crate::noun::Noun;

const SEED_ATOM: u32 = 0xcafe_babe;
const SEED_CELL: u32 = 0xdead_beef;
const FALLBACK_ATOM: u32 = 0x7fff;
const FALLBACK_CELL: u32 = 0xfffe;

/// MurmurHash3_x86_32 of the first `byte_len` bytes of the little-endian number whose 64-bit limbs are
/// `limbs`; bytes past the limbs read as zero.
///
/// ```
/// use components::mug::murmur3_limbs;
/// assert_eq!(murmur3_limbs(&[], 0, 0xcafebabe), 0x79ff04e8);
/// ```
pub fn murmur3_limbs(limbs: &[u64], byte_len: usize, seed: u32) -> u32 {
    const C1: u32 = 0xcc9e_2d51;
    const C2: u32 = 0x1b87_3593;
    let block = |i: usize| -> u32 { limbs.get(i / 2).map_or(0, |limb| (limb >> (32 * (i % 2))) as u32) };
    let mut h = seed;
    let blocks = byte_len / 4;
    for i in 0..blocks {
        let k = block(i).wrapping_mul(C1).rotate_left(15).wrapping_mul(C2);
        h ^= k;
        h = h.rotate_left(13).wrapping_mul(5).wrapping_add(0xe654_6b64);
    }
    let tail_len = byte_len % 4;
    if tail_len > 0 {
        let k = block(blocks) & (u32::MAX >> (8 * (4 - tail_len)));
        h ^= k.wrapping_mul(C1).rotate_left(15).wrapping_mul(C2);
    }
    h ^= byte_len as u32;
    h ^= h >> 16;
    h = h.wrapping_mul(0x85eb_ca6b);
    h ^= h >> 13;
    h = h.wrapping_mul(0xc2b2_ae35);
    h ^ (h >> 16)
}

/// MurmurHash3_x86_32 of a byte string.
pub fn murmur3_bytes(bytes: &[u8], seed: u32) -> u32 {
    let limbs: Vec<u64> = bytes
        .chunks(8)
        .map(|chunk| {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            u64::from_le_bytes(word)
        })
        .collect();
    murmur3_limbs(&limbs, bytes.len(), seed)
}

/// Vere's `mum`: murmur3 folded to 31 bits, retrying with the next seed while the fold is 0.
fn mum(seed: u32, fallback: u32, limbs: &[u64], byte_len: usize) -> u32 {
    for i in 0..8 {
        let h = murmur3_limbs(limbs, byte_len, seed.wrapping_add(i));
        let folded = (h >> 31) ^ (h & 0x7fff_ffff);
        if folded != 0 {
            return folded;
        }
    }
    fallback
}

fn byte_len_of(limbs: &[u64]) -> usize {
    match limbs.last() {
        None => 0,
        Some(top) => (limbs.len() - 1) * 8 + (64 - top.leading_zeros() as usize).div_ceil(8),
    }
}

/// The mug of an atom given by its limbs (no high zero limb needed; high zero bytes are ignored).
pub fn mug_limbs(limbs: &[u64]) -> u32 {
    mum(SEED_ATOM, FALLBACK_ATOM, limbs, byte_len_of(limbs))
}

/// The mug of a cell whose head and tail have the given mugs.
pub fn mug_both(head_mug: u32, tail_mug: u32) -> u32 {
    let key = head_mug as u64 | (tail_mug as u64) << 32;
    mum(SEED_CELL, FALLBACK_CELL, &[key], byte_len_of(&[key]))
}

/// Hoon's `+muk`: MurmurHash3_x86_32 of exactly `len` bytes of the atom `key` (little-endian, zero-padded
/// past its own bytes). `None` if `key` has more than `len` significant bytes (the arm crashes then).
///
/// ```
/// use components::mug::muk;
/// assert_eq!(muk(1234, 0, &[]), Some(0x0f2cc00b));
/// assert_eq!(muk(1234, 0, &[1]), None);
/// ```
pub fn muk(seed: u32, len: usize, key: &[u64]) -> Option<u32> {
    (byte_len_of(key) <= len).then(|| murmur3_limbs(key, len, seed))
}

impl Heap {
    /// The mug of a noun, computed once per box and cached; no recursion over depth.
    ///
    /// ```
    /// use components::Heap;
    /// let mut heap = Heap::new();
    /// let n = heap.parse("[0 0]").unwrap();
    /// assert_eq!(heap.mug(n), 0x192f5588);
    /// ```
    pub fn mug(&mut self, noun: Noun) -> u32 {
        if let Some(mug) = self.mug_if_leaf(noun) {
            return mug;
        }
        let mut stack = std::mem::take(&mut self.mug_stack);
        stack.push(noun);
        while let Some(&top) = stack.last() {
            if self.mug_slot(top) != 0 {
                stack.pop();
                continue;
            }
            let (head, tail) = self.cell_parts(top).expect("only cells are stacked");
            match (self.mug_if_leaf(head), self.mug_if_leaf(tail)) {
                (Some(h), Some(t)) => {
                    self.set_mug_slot(top, mug_both(h, t));
                    stack.pop();
                }
                (h, t) => {
                    if t.is_none() {
                        stack.push(tail);
                    }
                    if h.is_none() {
                        stack.push(head);
                    }
                }
            }
        }
        if stack.capacity() <= crate::heap::SCRATCH_KEPT_MAX {
            self.mug_stack = stack;
        }
        self.mug_slot(noun)
    }

    /// The cached mug of a box, if computed (direct atoms are hashed on the spot).
    #[inline]
    pub fn mug_cached(&self, noun: Noun) -> Option<u32> {
        match noun.as_direct() {
            Some(v) => Some(mug_limbs(&[v])),
            None => Some(self.mug_slot(noun)).filter(|&m| m != 0),
        }
    }

    /// The mug of an atom (computing and caching it) or of an already-hashed cell; `None` for a cell
    /// whose mug is not known yet.
    fn mug_if_leaf(&mut self, noun: Noun) -> Option<u32> {
        if let Some(mug) = self.mug_cached(noun) {
            return Some(mug);
        }
        if noun.is_cell() {
            return None;
        }
        let mug = mug_limbs(self.atom(noun).expect("an atom").limbs());
        self.set_mug_slot(noun, mug);
        Some(mug)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn murmur3_matches_the_reference_examples() {
        assert_eq!(murmur3_bytes(b"", 0xcafebabe), 0x79ff04e8);
        assert_eq!(murmur3_bytes(&[1], 0xcafebabe), 0xf15c2a61);
        assert_eq!(murmur3_bytes(b"Hello, world!", 0xcafebabe), 0xcd441034);
        assert_eq!(murmur3_bytes(&[0xe8, 0x04, 0xff, 0x79, 0x5d, 0x7f, 0x3c], 0xdeadbeef), 0x5637f850);
    }

    #[test]
    fn cell_key_drops_high_zero_bytes_of_the_tail_mug() {
        let mut heap = Heap::new();
        let n = heap.parse("[0 17]").unwrap();
        assert_eq!(heap.mug(17u64.into_noun()), 0x3c7f5d);
        assert_eq!(heap.mug(n), 0x5637f850);
    }

    #[test]
    fn retry_increments_the_seed() {
        let mut heap = Heap::new();
        assert_eq!(heap.mug(1843092694u64.into_noun()), 0x0429ceea);
    }

    trait IntoNoun {
        fn into_noun(self) -> Noun;
    }
    impl IntoNoun for u64 {
        fn into_noun(self) -> Noun {
            Noun::direct(self).unwrap()
        }
    }
}
