//! Axes: addressing subtrees (`slot`, Nock 0) and replacing them (`edit`, Nock 10).
//!
//! An axis is read from its binary digits: drop the leading 1, then each bit, most significant first,
//! says head (0) or tail (1). Axis 1 is the whole noun; axis 0 names nothing.

use crate::heap::{AtomRef, Heap};
use crate::noun::Noun;

/// The steps an axis takes, head (`false`) or tail (`true`), from the root down; `None` for axis 0 or a
/// cell.
fn steps<'a>(axis: AtomRef<'a>) -> Option<impl Iterator<Item = bool> + 'a> {
    let bit_len = axis.bit_len();
    if bit_len == 0 {
        return None;
    }
    Some((0..bit_len - 1).rev().map(move |i| axis.bit(i)))
}

impl Heap {
    /// The subtree of `noun` at `axis`, or `None` if the axis is 0, not an atom, or passes through an atom.
    ///
    /// ```
    /// use components::{Heap, Noun};
    /// let mut heap = Heap::new();
    /// let n = heap.parse("[[4 5] 6 14 15]").unwrap();
    /// let at = heap.slot(n, Noun::direct(14).unwrap()).unwrap();
    /// assert_eq!(heap.print(at), "14");
    /// ```
    #[inline]
    pub fn slot(&self, noun: Noun, axis: Noun) -> Option<Noun> {
        match axis.as_direct() {
            Some(a) => self.slot_u64(noun, a),
            None => self.slot_wide(noun, axis),
        }
    }

    /// [`Heap::slot`] for an axis that is not a direct atom.
    #[inline(never)]
    fn slot_wide(&self, noun: Noun, axis: Noun) -> Option<Noun> {
        let mut at = noun;
        for right in steps(self.atom(axis)?)? {
            let (head, tail) = self.cell_parts(at)?;
            at = if right { tail } else { head };
        }
        Some(at)
    }

    /// [`Heap::slot`] for an axis below 2^64.
    #[inline]
    pub fn slot_u64(&self, noun: Noun, axis: u64) -> Option<Noun> {
        if axis == 0 {
            return None;
        }
        let mut at = noun;
        for i in (0..63 - axis.leading_zeros()).rev() {
            // Only the field taken is read: the head at the cell's offset, the tail one word on.
            at = self.field(at, ((axis >> i) & 1) as usize)?;
        }
        Some(at)
    }

    /// `noun` with the subtree at `axis` replaced by `value` (Nock 10's `#`), rebuilding the cells on the
    /// path; `None` if the axis is 0, not an atom, or passes through an atom.
    pub fn edit(&mut self, noun: Noun, axis: Noun, value: Noun) -> Option<Noun> {
        if let Some(a) = axis.as_direct() {
            return self.edit_u64(noun, a, value);
        }
        let mut path: Vec<(Noun, bool)> = Vec::new();
        let mut at = noun;
        for right in steps(self.atom(axis)?)? {
            let (head, tail) = self.cell_parts(at)?;
            path.push((at, right));
            at = if right { tail } else { head };
        }
        let mut built = value;
        for (cell, right) in path.into_iter().rev() {
            let (head, tail) = self.cell_parts(cell).expect("a cell on the path");
            built = if right { self.cell(head, built) } else { self.cell(built, tail) };
        }
        Some(built)
    }
}

impl Heap {
    /// [`Heap::edit`] for an axis below 2^63: the path is at most 62 cells, kept on the Rust stack.
    pub fn edit_u64(&mut self, noun: Noun, axis: u64, value: Noun) -> Option<Noun> {
        if axis == 0 {
            return None;
        }
        let depth = (63 - axis.leading_zeros()) as usize;
        // Not zeroed first (zeroing 512 bytes showed in the boot's profile): only the first `depth` are
        // written, and only they are read.
        let mut path = [std::mem::MaybeUninit::<Noun>::uninit(); 64];
        let mut at = noun;
        for (level, slot) in path.iter_mut().enumerate().take(depth) {
            let (head, tail) = self.cell_parts(at)?;
            slot.write(at);
            at = if (axis >> (depth - 1 - level)) & 1 == 1 { tail } else { head };
        }
        let mut built = value;
        for level in (0..depth).rev() {
            // SAFETY: the loop above wrote every level below `depth` (or returned).
            let cell = unsafe { path[level].assume_init() };
            let (head, tail) = self.cell_parts(cell).expect("a cell on the path");
            built = if (axis >> (depth - 1 - level)) & 1 == 1 {
                self.cell(head, built)
            } else {
                self.cell(built, tail)
            };
        }
        Some(built)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slot_follows_the_bits_of_the_axis() {
        let mut heap = Heap::new();
        let n = heap.parse("[[4 5] 6 14 15]").unwrap();
        let at = |heap: &Heap, a: u64| heap.slot(n, Noun::direct(a).unwrap()).map(|x| heap.print(x));
        assert_eq!(at(&heap, 1).unwrap(), "[[4 5] 6 14 15]");
        assert_eq!(at(&heap, 5).unwrap(), "5");
        assert_eq!(at(&heap, 15).unwrap(), "15");
        assert_eq!(at(&heap, 0), None);
        assert_eq!(at(&heap, 8), None, "axis 8 passes through the atom 4");
        let huge = heap.atom_from_limbs(&[0, 0, 1]);
        assert!(heap.slot(n, huge).is_none());
    }

    #[test]
    fn edit_rebuilds_the_path_and_shares_the_rest() {
        let mut heap = Heap::new();
        let n = heap.parse("[[4 5] 6 14 15]").unwrap();
        let edited = heap.edit(n, Noun::direct(14).unwrap(), Noun::direct(99).unwrap()).unwrap();
        assert_eq!(heap.print(edited), "[[4 5] 6 99 15]");
        let whole = heap.edit(n, Noun::ONE, Noun::ZERO).unwrap();
        assert_eq!(heap.print(whole), "0");
        assert!(heap.edit(n, Noun::ZERO, Noun::ZERO).is_none());
        assert!(heap.edit(n, Noun::direct(8).unwrap(), Noun::ZERO).is_none());
    }
}
