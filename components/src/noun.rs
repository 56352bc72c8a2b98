//! `Noun`: a 64-bit handle to an atom or a cell.
//!
//! A handle is plain data (`Copy`, `Send`, `Sync`), so components that hold one can be written to disk as
//! they are. Its meaning depends on the [`Heap`](crate::Heap) it came from:
//!
//! | top bits | meaning |
//! |---|---|
//! | `0…` | a direct atom: the value itself, below 2^63 |
//! | `10…` | an indirect atom: the low 62 bits are the word offset of its box in the heap |
//! | `11…` | a cell: the low 62 bits are the word offset of its box in the heap |
//!
//! Handles compare by identity only ([`Noun::same_handle`]); structural equality needs the heap
//! ([`Heap::eq`](crate::Heap::eq)), which is why `Noun` does not implement `PartialEq`.

use std::fmt;

/// The largest value a direct atom holds: 2^63 - 1.
pub const DIRECT_MAX: u64 = (1 << 63) - 1;

const TAG_INDIRECT: u64 = 1 << 63;
const TAG_CELL: u64 = 3 << 62;
const OFFSET_MASK: u64 = (1 << 62) - 1;

/// A handle to a noun in a [`Heap`](crate::Heap).
#[derive(Clone, Copy)]
pub struct Noun(u64);

impl Noun {
    /// The atom 0 (`~`, `%.y`).
    pub const ZERO: Noun = Noun(0);
    /// The atom 1 (`%.n`).
    pub const ONE: Noun = Noun(1);
    /// Loobean yes (`&`): the atom 0.
    pub const YES: Noun = Noun(0);
    /// Loobean no (`|`): the atom 1.
    pub const NO: Noun = Noun(1);

    /// A direct atom, or `None` if `value` needs more than 63 bits (use
    /// [`Heap::atom_u64`](crate::Heap::atom_u64) then).
    ///
    /// ```
    /// use components::Noun;
    /// assert_eq!(Noun::direct(42).and_then(|n| n.as_direct()), Some(42));
    /// assert!(Noun::direct(1 << 63).is_none());
    /// ```
    #[inline]
    pub const fn direct(value: u64) -> Option<Noun> {
        if value <= DIRECT_MAX { Some(Noun(value)) } else { None }
    }

    /// A loobean: 0 for true, 1 for false.
    #[inline]
    pub const fn loobean(yes: bool) -> Noun {
        if yes { Noun::YES } else { Noun::NO }
    }

    #[inline]
    pub(crate) const fn indirect(offset: usize) -> Noun {
        debug_assert!(offset as u64 <= OFFSET_MASK);
        Noun(TAG_INDIRECT | offset as u64)
    }

    #[inline]
    pub(crate) const fn cell_at(offset: usize) -> Noun {
        debug_assert!(offset as u64 <= OFFSET_MASK);
        Noun(TAG_CELL | offset as u64)
    }

    /// The handle's raw bits (for hashing by identity, or storing a handle).
    #[inline]
    pub const fn raw(self) -> u64 {
        self.0
    }

    /// Rebuilds a handle from [`Noun::raw`] bits. The caller pairs it with the heap it came from.
    #[inline]
    pub const fn from_raw(raw: u64) -> Noun {
        Noun(raw)
    }

    /// Whether two handles are the same handle (which implies equal nouns; the converse does not hold).
    #[inline]
    pub const fn same_handle(self, other: Noun) -> bool {
        self.0 == other.0
    }

    /// Whether this is an atom (direct or indirect).
    #[inline]
    pub const fn is_atom(self) -> bool {
        self.0 & TAG_CELL != TAG_CELL
    }

    /// Whether this is a cell.
    #[inline]
    pub const fn is_cell(self) -> bool {
        self.0 & TAG_CELL == TAG_CELL
    }

    /// Whether this is a direct atom.
    #[inline]
    pub const fn is_direct(self) -> bool {
        self.0 & TAG_INDIRECT == 0
    }

    /// Whether this is an indirect atom.
    #[inline]
    pub const fn is_indirect(self) -> bool {
        self.0 & TAG_CELL == TAG_INDIRECT
    }

    /// The value of a direct atom.
    #[inline]
    pub const fn as_direct(self) -> Option<u64> {
        if self.is_direct() { Some(self.0) } else { None }
    }

    /// The heap offset of an indirect atom or a cell.
    #[inline]
    pub(crate) const fn offset(self) -> usize {
        (self.0 & OFFSET_MASK) as usize
    }
}

impl fmt::Debug for Noun {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(v) = self.as_direct() {
            write!(f, "Noun({v})")
        } else if self.is_cell() {
            write!(f, "Noun(cell@{})", self.offset())
        } else {
            write!(f, "Noun(atom@{})", self.offset())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_partition_the_handle_space() {
        let d = Noun::direct(DIRECT_MAX).unwrap();
        assert!(d.is_atom() && d.is_direct() && !d.is_cell() && !d.is_indirect());
        let i = Noun::indirect(5);
        assert!(i.is_atom() && i.is_indirect() && !i.is_direct() && !i.is_cell());
        assert_eq!(i.offset(), 5);
        let c = Noun::cell_at(7);
        assert!(c.is_cell() && !c.is_atom() && !c.is_direct() && !c.is_indirect());
        assert_eq!(c.offset(), 7);
    }
}
