//! Chapter 2a–2b of hoon.hoon: `need` from unit logic, and lists that need no gate (`flop`, `lent`,
//! `reap`, `scag`, `slag`, `snag`, `weld`/`welp`, `zing`, `find`). A list that does not end in `~`
//! punts: the arm's crash on it is the spec.

use super::axis::{SAM_2, SAM_3, SAMPLE};
use super::bits::items;
use super::{JetOutcome, at, exit, finish, u64_at};
use components::{Heap, Noun};

/// The longest list `reap` builds itself; longer ones are left to the Nock (and its memory limit).
const REAP_ITEMS_MAX: u64 = 1 << 24;

/// `(need a)`: the value of a unit `[~ u]`, whatever its head. On `~` the arm crashes under a `%mean`
/// hint (`'need'`); Vere's jet crashes without pushing it, and so does this one. Any other atom crashes in
/// the arm too (it takes `u.a`), as in Vere.
pub fn need(heap: &mut Heap, core: Noun) -> JetOutcome {
    finish((|| {
        let a = at(heap, core, SAMPLE)?;
        heap.tail(a).ok_or(exit(None))
    })())
}

/// `(flop a)`: the list reversed.
pub fn flop(heap: &mut Heap, core: Noun) -> JetOutcome {
    finish((|| {
        let list = items(heap, at(heap, core, SAMPLE)?)?;
        Ok(list.into_iter().fold(Noun::ZERO, |acc, item| heap.cell(item, acc)))
    })())
}

/// `(lent a)`: the length.
pub fn lent(heap: &mut Heap, core: Noun) -> JetOutcome {
    finish((|| {
        let count = items(heap, at(heap, core, SAMPLE)?)?.len() as u64;
        Ok(heap.atom_u64(count))
    })())
}

/// `(reap a b)`: a list of `a` copies of `b`.
pub fn reap(heap: &mut Heap, core: Noun) -> JetOutcome {
    finish((|| {
        let count = u64_at(heap, core, SAM_2).map_err(|_| JetOutcome::Punt)?;
        if count > REAP_ITEMS_MAX {
            return Err(JetOutcome::Punt);
        }
        let item = at(heap, core, SAM_3)?;
        Ok((0..count).fold(Noun::ZERO, |acc, _| heap.cell(item, acc)))
    })())
}

/// `(scag a b)`: the first `a` items (all of them if fewer).
pub fn scag(heap: &mut Heap, core: Noun) -> JetOutcome {
    finish((|| {
        let count = u64_at(heap, core, SAM_2).map_err(|_| JetOutcome::Punt)?;
        let mut at_list = at(heap, core, SAM_3)?;
        let mut kept = Vec::new();
        while (kept.len() as u64) < count {
            match heap.cell_parts(at_list) {
                Some((head, tail)) => {
                    kept.push(head);
                    at_list = tail;
                }
                None if at_list.as_direct() == Some(0) => break,
                None => return Err(JetOutcome::Punt),
            }
        }
        Ok(heap.list(&kept))
    })())
}

/// `(slag a b)`: the list without its first `a` items (`~` if it is shorter).
pub fn slag(heap: &mut Heap, core: Noun) -> JetOutcome {
    finish((|| {
        let count = u64_at(heap, core, SAM_2).map_err(|_| JetOutcome::Punt)?;
        let mut list = at(heap, core, SAM_3)?;
        for _ in 0..count {
            match heap.cell_parts(list) {
                Some((_, tail)) => list = tail,
                None if list.as_direct() == Some(0) => return Ok(Noun::ZERO),
                None => return Err(JetOutcome::Punt),
            }
        }
        Ok(list)
    })())
}

/// `(snag a b)`: item `a` (from 0); past the end crashes with `snag-fail`.
pub fn snag(heap: &mut Heap, core: Noun) -> JetOutcome {
    finish((|| {
        let index = u64_at(heap, core, SAM_2).map_err(|_| JetOutcome::Punt)?;
        let mut list = at(heap, core, SAM_3)?;
        let mut left = index;
        loop {
            match heap.cell_parts(list) {
                Some((head, _)) if left == 0 => return Ok(head),
                Some((_, tail)) => {
                    list = tail;
                    left -= 1;
                }
                None if list.as_direct() == Some(0) => return Err(exit(Some("snag-fail"))),
                None => return Err(JetOutcome::Punt),
            }
        }
    })())
}

/// `(weld a b)` (and `welp`): `a` followed by `b`.
pub fn weld(heap: &mut Heap, core: Noun) -> JetOutcome {
    finish((|| {
        let front = items(heap, at(heap, core, SAM_2)?)?;
        let back = at(heap, core, SAM_3)?;
        Ok(front.into_iter().rev().fold(back, |acc, item| heap.cell(item, acc)))
    })())
}

/// `(zing a)`: a list of lists, concatenated.
pub fn zing(heap: &mut Heap, core: Noun) -> JetOutcome {
    finish((|| {
        let lists = items(heap, at(heap, core, SAMPLE)?)?;
        let mut all: Vec<Noun> = Vec::new();
        for list in lists {
            all.extend(items(heap, list)?);
        }
        Ok(heap.list(&all))
    })())
}

/// `(find nedl hstk)`: `[~ i]` for the first index `i` at which `nedl` occurs in `hstk` as a run of equal
/// items, or `~` (also for an empty `nedl`).
pub fn find(heap: &mut Heap, core: Noun) -> JetOutcome {
    finish((|| {
        let needle = items(heap, at(heap, core, SAM_2)?)?;
        let haystack = items(heap, at(heap, core, SAM_3)?)?;
        if needle.is_empty() || needle.len() > haystack.len() {
            return Ok(Noun::ZERO);
        }
        let found = haystack
            .windows(needle.len())
            .position(|window| window.iter().zip(&needle).all(|(&h, &n)| heap.eq(h, n)));
        Ok(match found {
            Some(index) => {
                let index = heap.atom_u64(index as u64);
                heap.cell(Noun::ZERO, index)
            }
            None => Noun::ZERO,
        })
    })())
}
