//! Chapter 2h–2i of hoon.hoon: sets (`in`) and maps (`by`), treaps ordered by `gor` on keys and
//! balanced by `mor`. A node is `[n l r]`; a map's `n` is `[key value]`. A door that is not such a tree
//! punts (the arm's crash on it is the spec).

use super::axis::{SAM_2, SAM_3, SAMPLE};
use super::{JetOutcome, Step, at, finish};
use components::{Heap, Noun};

/// The door's sample (the tree) is at axis 30 of the gate core.
const DOOR: u64 = 30;

/// A node's parts `(n, l, r)`, `None` for `~`; anything else punts.
fn node(heap: &Heap, tree: Noun) -> Step<Option<(Noun, Noun, Noun)>> {
    if tree.as_direct() == Some(0) {
        return Ok(None);
    }
    let (n, rest) = heap.cell_parts(tree).ok_or(JetOutcome::Punt)?;
    let (l, r) = heap.cell_parts(rest).ok_or(JetOutcome::Punt)?;
    Ok(Some((n, l, r)))
}

/// The key of a node's `n`: the whole `n` in a set, its head in a map.
fn key(heap: &Heap, n: Noun, is_map: bool) -> Step<Noun> {
    if is_map { heap.head(n).ok_or(JetOutcome::Punt) } else { Ok(n) }
}

/// Finds the node whose key equals `b`, walking down by `gor`.
fn find(heap: &mut Heap, tree: Noun, b: Noun, is_map: bool) -> Step<Option<Noun>> {
    let mut at_tree = tree;
    loop {
        let Some((n, l, r)) = node(heap, at_tree)? else { return Ok(None) };
        let k = key(heap, n, is_map)?;
        if heap.eq(b, k) {
            return Ok(Some(n));
        }
        at_tree = if heap.gor(b, k) { l } else { r };
    }
}

/// `(~(get by a) b)`: `[~ value]` or `~`.
pub fn by_get(heap: &mut Heap, core: Noun) -> JetOutcome {
    finish((|| {
        let (tree, b) = (at(heap, core, DOOR)?, at(heap, core, SAMPLE)?);
        match find(heap, tree, b, true)? {
            Some(n) => {
                let value = heap.tail(n).ok_or(JetOutcome::Punt)?;
                Ok(heap.cell(Noun::ZERO, value))
            }
            None => Ok(Noun::ZERO),
        }
    })())
}

/// `(~(has by a) b)`.
pub fn by_has(heap: &mut Heap, core: Noun) -> JetOutcome {
    finish((|| {
        let (tree, b) = (at(heap, core, DOOR)?, at(heap, core, SAMPLE)?);
        Ok(Noun::loobean(find(heap, tree, b, true)?.is_some()))
    })())
}

/// `(~(has in a) b)`.
pub fn in_has(heap: &mut Heap, core: Noun) -> JetOutcome {
    finish((|| {
        let (tree, b) = (at(heap, core, DOOR)?, at(heap, core, SAMPLE)?);
        Ok(Noun::loobean(find(heap, tree, b, false)?.is_some()))
    })())
}

/// Inserts `item` (a set's element, or a map's `[key value]`) as the arm does: down by `gor`, then back
/// up rotating wherever `mor` says the new subtree's top should rise. Iterative: one frame per level.
fn put(heap: &mut Heap, tree: Noun, item: Noun, is_map: bool) -> Step<Noun> {
    let b = key(heap, item, is_map)?;
    let mut path: Vec<(Noun, Noun, Noun, bool)> = Vec::new(); // (n, l, r, went left)
    let mut at_tree = tree;
    let mut built = loop {
        let Some((n, l, r)) = node(heap, at_tree)? else {
            break heap.tuple(&[item, Noun::ZERO, Noun::ZERO]);
        };
        let k = key(heap, n, is_map)?;
        if heap.eq(b, k) {
            if heap.eq(item, n) {
                break at_tree;
            }
            break heap.tuple(&[item, l, r]);
        }
        let left = heap.gor(b, k);
        path.push((n, l, r, left));
        at_tree = if left { l } else { r };
    };
    for (n, l, r, left) in path.into_iter().rev() {
        let (dn, dl, dr) = node(heap, built)?.expect("a node was just built");
        let (k, dk) = (key(heap, n, is_map)?, key(heap, dn, is_map)?);
        let keep = heap.mor(k, dk);
        built = match (left, keep) {
            (true, true) => heap.tuple(&[n, built, r]),
            (true, false) => {
                let lowered = heap.tuple(&[n, dr, r]);
                heap.tuple(&[dn, dl, lowered])
            }
            (false, true) => heap.tuple(&[n, l, built]),
            (false, false) => {
                let lowered = heap.tuple(&[n, l, dl]);
                heap.tuple(&[dn, lowered, dr])
            }
        };
    }
    Ok(built)
}

/// `(~(put by a) b c)`.
pub fn by_put(heap: &mut Heap, core: Noun) -> JetOutcome {
    finish((|| {
        let tree = at(heap, core, DOOR)?;
        let (b, c) = (at(heap, core, SAM_2)?, at(heap, core, SAM_3)?);
        let item = heap.cell(b, c);
        put(heap, tree, item, true)
    })())
}

/// `(~(put in a) b)`.
pub fn in_put(heap: &mut Heap, core: Noun) -> JetOutcome {
    finish((|| {
        let (tree, b) = (at(heap, core, DOOR)?, at(heap, core, SAMPLE)?);
        put(heap, tree, b, false)
    })())
}

/// `(~(gas by a) b)`: puts each `[key value]` of the list `b`, in order.
pub fn by_gas(heap: &mut Heap, core: Noun) -> JetOutcome {
    finish((|| {
        let mut tree = at(heap, core, DOOR)?;
        for item in super::bits::items(heap, at(heap, core, SAMPLE)?)? {
            if item.is_atom() {
                return Err(JetOutcome::Punt);
            }
            tree = put(heap, tree, item, true)?;
        }
        Ok(tree)
    })())
}

/// `~(tap by a)`: the nodes consed onto the trap's list `b`, left subtree first, so the list ends up in
/// reverse order of the walk.
pub fn by_tap(heap: &mut Heap, core: Noun) -> JetOutcome {
    finish((|| {
        let mut list = at(heap, core, SAMPLE)?;
        let mut pending: Vec<(Noun, Noun)> = Vec::new(); // (n, r) of nodes whose left side is done
        let mut tree = at(heap, core, DOOR)?;
        loop {
            while let Some((n, l, r)) = node(heap, tree)? {
                pending.push((n, r));
                tree = l;
            }
            let Some((n, r)) = pending.pop() else { return Ok(list) };
            list = heap.cell(n, list);
            tree = r;
        }
    })())
}
