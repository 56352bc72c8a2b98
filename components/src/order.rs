//! Hoon's noun orders, which sets and maps are built on: `dor` (tree order), `gor` (mug order) and `mor`
//! (double-mug order), as hoon.hoon defines them; and `lth` on atoms.

use crate::heap::{AtomRef, Heap};
use crate::noun::Noun;
use std::cmp::Ordering;

/// Compares two atoms by value.
pub fn cmp_atoms(a: AtomRef<'_>, b: AtomRef<'_>) -> Ordering {
    let (a, b) = (a.limbs(), b.limbs());
    a.len().cmp(&b.len()).then_with(|| a.iter().rev().cmp(b.iter().rev()))
}

impl Heap {
    /// Hoon's `+dor`: equal nouns are ordered; an atom comes before a cell; atoms by value; cells by head,
    /// then (heads equal) by tail. Walks without recursion.
    ///
    /// ```
    /// use components::Heap;
    /// let mut heap = Heap::new();
    /// let (a, b) = (heap.parse("[1 5]").unwrap(), heap.parse("[2 0]").unwrap());
    /// assert!(heap.dor(a, b) && !heap.dor(b, a));
    /// ```
    pub fn dor(&self, a: Noun, b: Noun) -> bool {
        let (mut a, mut b) = (a, b);
        loop {
            if self.eq(a, b) {
                return true;
            }
            match (self.cell_parts(a), self.cell_parts(b)) {
                (Some((ha, ta)), Some((hb, tb))) => {
                    (a, b) = if self.eq(ha, hb) { (ta, tb) } else { (ha, hb) };
                }
                (Some(_), None) => return false,
                (None, Some(_)) => return true,
                (None, None) => {
                    let (x, y) = (self.atom(a).expect("atom"), self.atom(b).expect("atom"));
                    return cmp_atoms(x, y) == Ordering::Less;
                }
            }
        }
    }

    /// Hoon's `+gor`: by mug, ties broken by `dor`.
    pub fn gor(&mut self, a: Noun, b: Noun) -> bool {
        let (c, d) = (self.mug(a), self.mug(b));
        if c == d { self.dor(a, b) } else { c < d }
    }

    /// Hoon's `+mor`: by the mug of the mug, ties broken by `dor`.
    pub fn mor(&mut self, a: Noun, b: Noun) -> bool {
        let mug_of_mug = |m: u32| crate::mug::mug_limbs(&[m as u64]);
        let (c, d) = (mug_of_mug(self.mug(a)), mug_of_mug(self.mug(b)));
        if c == d { self.dor(a, b) } else { c < d }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dor_orders_atoms_before_cells_and_cells_by_head_then_tail() {
        let mut heap = Heap::new();
        let mut p = |t: &str| heap.parse(t).unwrap();
        let (one, cell, big, bigger) =
            (p("1"), p("[0 0]"), p("18446744073709551616"), p("18446744073709551617"));
        let (c1, c2) = (p("[1 2 3]"), p("[1 2 4]"));
        assert!(heap.dor(one, cell) && !heap.dor(cell, one));
        assert!(heap.dor(one, big) && heap.dor(big, bigger) && !heap.dor(bigger, big));
        assert!(heap.dor(c1, c2) && !heap.dor(c2, c1));
        assert!(heap.dor(c1, c1));
    }
}
