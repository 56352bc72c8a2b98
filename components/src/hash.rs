//! A fast, deterministic hasher for tables keyed by one `u64` (bit positions, handles, direct atoms).
//! The std default is randomly seeded and slow for such keys; these keys are not chosen by an attacker in a
//! way that matters (positions only grow), and the table's memory stays bounded by its input either way.

use std::hash::{BuildHasherDefault, Hasher};

/// Multiplies the key by a large odd constant and folds the high half down, so that the top bits that
/// hashbrown uses for its control bytes depend on every bit of the key.
#[derive(Default, Clone, Copy)]
pub struct U64Hasher(u64);

impl Hasher for U64Hasher {
    #[inline]
    fn finish(&self) -> u64 {
        self.0
    }

    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.write_u64(b as u64);
        }
    }

    #[inline]
    fn write_u64(&mut self, key: u64) {
        self.0 = mix64(self.0 ^ key);
    }
}

/// A full-avalanche mix of one word (the finaliser of splitmix64).
#[inline]
pub fn mix64(key: u64) -> u64 {
    let mut z = key.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// A `HashMap` keyed by `u64` with [`U64Hasher`].
pub type U64Map<V> = hashbrown::HashMap<u64, V, BuildHasherDefault<U64Hasher>>;
