//! zuse's `differ`: `loss`, the longest common subsequence of two lists (clay's line diffs).
//!
//! The arm is Hunt and Szymanski's method. For every item of the first list, in order, it takes the
//! indices at which that item occurs in the second list (ascending) and merges them into a table of
//! candidates: candidate `k` is the subsequence of length `k + 1` that ends at the lowest index of the
//! second list found so far. The answer is the longest candidate. Which of several longest
//! subsequences comes out is fixed by this order, so the table is kept exactly as the arm keeps it.

use super::axis::{SAM_2, SAM_3};
use super::{JetOutcome, Step, at, fail, finish};
use components::hash::U64Map;
use components::{Heap, Noun};

/// The items of a null-terminated list; `None` if it ends in anything else.
fn list_items(heap: &Heap, mut list: Noun) -> Option<Vec<Noun>> {
    let mut items = Vec::new();
    while let Some((item, rest)) = heap.cell_parts(list) {
        items.push(item);
        list = rest;
    }
    (list.as_direct() == Some(0)).then_some(items)
}

/// The second list's items grouped by equality, each with its indices in ascending order (the arm's
/// `sev`, flopped).
struct Occurrences {
    /// Item mug → (item, its indices) for the items of that mug.
    by_mug: U64Map<Vec<(Noun, Vec<usize>)>>,
}

impl Occurrences {
    fn new(heap: &mut Heap, items: &[Noun]) -> Occurrences {
        let mut by_mug: U64Map<Vec<(Noun, Vec<usize>)>> = U64Map::default();
        for (index, &item) in items.iter().enumerate() {
            let bucket = by_mug.entry(u64::from(heap.mug(item))).or_default();
            match bucket.iter_mut().find(|(seen, _)| heap.eq(*seen, item)) {
                Some((_, indices)) => indices.push(index),
                None => bucket.push((item, vec![index])),
            }
        }
        Occurrences { by_mug }
    }

    /// The indices at which `item` occurs, ascending.
    fn of(&self, heap: &mut Heap, item: Noun) -> &[usize] {
        let mug = u64::from(heap.mug(item));
        let bucket = self.by_mug.get(&mug).map(Vec::as_slice).unwrap_or(&[]);
        bucket.iter().find(|(seen, _)| heap.eq(*seen, item)).map_or(&[], |(_, indices)| indices.as_slice())
    }
}

/// No earlier link: the first index of a candidate.
const NO_LINK: usize = usize::MAX;

/// The candidate table (the arm's `gox`): candidate `k` ends at index `ends[k]` of the second list, and
/// its indices are the chain of `links` from `heads[k]`, last first.
#[derive(Default)]
struct Candidates {
    ends: Vec<usize>,
    heads: Vec<usize>,
    /// `(index, earlier link)`: candidates share their prefixes, as the arm's lists do.
    links: Vec<(usize, usize)>,
}

impl Candidates {
    /// Merges the ascending indices `found` of one item (the arm's `merg`): each index extends the
    /// candidate it fits after (`lonk`) and improves the one it would replace (`hink`), all judged
    /// against the table as it was before this item.
    fn merge(&mut self, found: &[usize]) {
        let mut changes = Vec::new();
        let (mut slot, mut next) = (0, 0);
        while next < found.len() && slot <= self.ends.len() {
            let index = found[next];
            let fits_after = slot == 0 || index > self.ends[slot - 1];
            if !fits_after {
                next += 1;
                continue;
            }
            let improves = slot == self.ends.len() || index < self.ends[slot];
            if !improves {
                slot += 1;
                continue;
            }
            changes.push((slot, index));
            slot += 1;
            next += 1;
        }
        // Highest slot first, so that each change extends the candidate below it as it was before.
        for &(slot, index) in changes.iter().rev() {
            let earlier = if slot == 0 { NO_LINK } else { self.heads[slot - 1] };
            self.links.push((index, earlier));
            let head = self.links.len() - 1;
            if slot == self.ends.len() {
                self.ends.push(index);
                self.heads.push(head);
            } else {
                self.ends[slot] = index;
                self.heads[slot] = head;
            }
        }
    }

    /// The longest candidate's items, in order, taken from `second`.
    fn longest(&self, heap: &mut Heap, second: &[Noun]) -> Noun {
        let mut out = Noun::ZERO;
        let mut link = self.heads.last().copied().unwrap_or(NO_LINK);
        while link != NO_LINK {
            let (index, earlier) = self.links[link];
            out = heap.cell(second[index], out);
            link = earlier;
        }
        out
    }
}

/// The longest common subsequence of `first` and `second`, as the arm computes it.
fn longest_common(heap: &mut Heap, first: &[Noun], second: &[Noun]) -> Noun {
    let occurrences = Occurrences::new(heap, second);
    let mut table = Candidates::default();
    for &item in first {
        let found = occurrences.of(heap, item).to_vec();
        table.merge(&found);
    }
    table.longest(heap, second)
}

/// `(loss hel hev)`: a longest common subsequence of the lists `hel` and `hev`, with `hev`'s items. A
/// sample that is not two null-terminated lists fails, as in Vere (the arm crashes `exit` on it).
pub fn loss(heap: &mut Heap, core: Noun) -> JetOutcome {
    finish((|| -> Step<Noun> {
        let (hel, hev) = (at(heap, core, SAM_2)?, at(heap, core, SAM_3)?);
        let first = list_items(heap, hel).ok_or(fail())?;
        let second = list_items(heap, hev).ok_or(fail())?;
        Ok(longest_common(heap, &first, &second))
    })())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jets::JetClass;

    fn lcs(first: &[u64], second: &[u64]) -> Vec<u64> {
        let mut heap = Heap::new();
        let first: Vec<Noun> = first.iter().map(|&v| heap.atom_u64(v)).collect();
        let second: Vec<Noun> = second.iter().map(|&v| heap.atom_u64(v)).collect();
        let mut out = longest_common(&mut heap, &first, &second);
        let mut values = Vec::new();
        while let Some((item, rest)) = heap.cell_parts(out) {
            values.push(heap.as_u64(item).unwrap());
            out = rest;
        }
        values
    }

    #[test]
    fn loss_finds_a_longest_common_subsequence() {
        assert_eq!(lcs(&[], &[1, 2]), Vec::<u64>::new());
        assert_eq!(lcs(&[1, 2, 3], &[4, 5]), Vec::<u64>::new());
        assert_eq!(lcs(&[1, 2, 3, 4], &[2, 4, 3]), vec![2, 4]);
        assert_eq!(lcs(&[1, 2, 3, 2, 1], &[3, 2, 1, 2, 3]), vec![3, 2, 1]);
    }

    #[test]
    fn loss_fails_on_a_list_that_does_not_end_in_null() {
        let mut heap = Heap::new();
        let sample = heap.parse("[[1 2] 0]").unwrap();
        let core = heap.tuple(&[Noun::ZERO, sample, Noun::ZERO]);
        let outcome = loss(&mut heap, core);
        assert!(matches!(outcome, JetOutcome::Crash(c) if c.class == JetClass::Fail), "{outcome:?}");
    }
}
