//! Chapter 2h–2i of hoon.hoon: sets (`in`) and maps (`by`), treaps ordered by `gor` on keys and
//! balanced by `mor`. A node is `[n l r]`; a map's `n` is `[key value]`. A door that is not such a tree
//! punts (the arm's crash on it is the spec).
//!
//! Each jet builds the very noun its arm builds, treap shape included, by following the arm's algorithm
//! step for step (or Vere's, where Vere's differs: said at the jet). The arms recurse on both subtrees;
//! here every walk keeps its own stack of pending work, so a degenerate tree a million deep is fine.

use super::axis::{SAM_2, SAM_3, SAMPLE};
use super::{JetOutcome, Step, at, finish};
use components::{Heap, Noun};

/// The door's sample (the tree) is at axis 30 of the gate core, and of the traps `tap`, `key` and `apt`,
/// whose payload is `[their-own-sample door]`.
const DOOR: u64 = 30;

/// The door's sample in `wyt`, a trap whose payload is the door itself (parent axis 3): axis 14.
const TRAP_DOOR: u64 = 14;

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
pub(super) fn put(heap: &mut Heap, tree: Noun, item: Noun, is_map: bool) -> Step<Noun> {
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

/// `~(tap by a)` and `~(tap in a)`: the nodes consed onto the trap's list `b`, left subtree first, so the
/// list ends up in reverse order of the walk. Vere starts from `~` rather than reading `b`; `b` is `~`
/// whenever the arm is entered from outside, and reading it keeps the arm's inner kicks (run only after a
/// punt) right too.
pub fn tap(heap: &mut Heap, core: Noun) -> JetOutcome {
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

/// The next result of an explicit-stack walk; the walks push exactly what they pop, so an empty stack is a
/// bug in this file, answered by a punt rather than a panic.
fn pop(done: &mut Vec<Noun>) -> Step<Noun> {
    done.pop().ok_or(JetOutcome::Punt)
}

/// A node known not to be `~`: its parts, or a punt if it is not a node.
fn parts(heap: &Heap, tree: Noun) -> Step<(Noun, Noun, Noun)> {
    node(heap, tree)?.ok_or(JetOutcome::Punt)
}

/// The key of the top node of a tree known not to be `~`.
fn top_key(heap: &Heap, tree: Noun, is_map: bool) -> Step<Noun> {
    let n = heap.head(tree).ok_or(JetOutcome::Punt)?;
    key(heap, n, is_map)
}

/// Joins two treaps whose keys are all ordered `l` before `r`, lifting whichever top `mor` prefers: the
/// inner trap of `del` (which joins the two sides of the deleted node) and the join step of `dif`.
fn merge(heap: &mut Heap, mut l: Noun, mut r: Noun, is_map: bool) -> Step<Noun> {
    let mut lifted: Vec<(Noun, Noun, bool)> = Vec::new(); // (lifted node, the side it keeps, kept on the left)
    let mut built = loop {
        if l.as_direct() == Some(0) {
            break r;
        }
        if r.as_direct() == Some(0) {
            break l;
        }
        let (nl, ll, rl) = parts(heap, l)?;
        let (nr, lr, rr) = parts(heap, r)?;
        let (kl, kr) = (key(heap, nl, is_map)?, key(heap, nr, is_map)?);
        if heap.mor(kl, kr) {
            lifted.push((nl, ll, true));
            l = rl;
        } else {
            lifted.push((nr, rr, false));
            r = lr;
        }
    };
    for (top, kept, kept_left) in lifted.into_iter().rev() {
        built = if kept_left { heap.tuple(&[top, kept, built]) } else { heap.tuple(&[top, built, kept]) };
    }
    Ok(built)
}

/// Deletes key `b`: down by `gor`; the found node's sides are merged; every node on the way down is
/// rebuilt around its new side, as the arm's `a(l $(a l.a))` does (an absent key rebuilds an equal tree).
fn del(heap: &mut Heap, tree: Noun, b: Noun, is_map: bool) -> Step<Noun> {
    let mut path: Vec<(Noun, Noun, Noun, bool)> = Vec::new(); // (n, l, r, went left)
    let mut at_tree = tree;
    let mut built = loop {
        let Some((n, l, r)) = node(heap, at_tree)? else { break Noun::ZERO };
        let k = key(heap, n, is_map)?;
        if heap.eq(b, k) {
            break merge(heap, l, r, is_map)?;
        }
        let left = heap.gor(b, k);
        path.push((n, l, r, left));
        at_tree = if left { l } else { r };
    };
    for (n, l, r, left) in path.into_iter().rev() {
        built = if left { heap.tuple(&[n, built, r]) } else { heap.tuple(&[n, l, built]) };
    }
    Ok(built)
}

/// `(~(del by a) b)`.
pub fn by_del(heap: &mut Heap, core: Noun) -> JetOutcome {
    finish((|| {
        let (tree, b) = (at(heap, core, DOOR)?, at(heap, core, SAMPLE)?);
        del(heap, tree, b, true)
    })())
}

/// `(~(del in a) b)`.
pub fn in_del(heap: &mut Heap, core: Noun) -> JetOutcome {
    finish((|| {
        let (tree, b) = (at(heap, core, DOOR)?, at(heap, core, SAMPLE)?);
        del(heap, tree, b, false)
    })())
}

/// The arm `bif`: puts `item` at the root (every node on its way down rotated below it) and gives the
/// root's two sides. An equal key found on the way stops the descent: a set keeps that node, a map puts
/// `item` in its place. Into `~` the item is never looked at, so a map's item need not be a pair there.
fn split(heap: &mut Heap, tree: Noun, item: Noun, is_map: bool) -> Step<(Noun, Noun)> {
    let mut path: Vec<(Noun, Noun, Noun, bool)> = Vec::new(); // (n, l, r, went left)
    let mut at_tree = tree;
    let (mut lc, mut rc) = loop {
        let Some((n, l, r)) = node(heap, at_tree)? else { break (Noun::ZERO, Noun::ZERO) };
        let (b, k) = (key(heap, item, is_map)?, key(heap, n, is_map)?);
        if heap.eq(b, k) {
            break (l, r);
        }
        let left = heap.gor(b, k);
        path.push((n, l, r, left));
        at_tree = if left { l } else { r };
    };
    for (n, l, r, left) in path.into_iter().rev() {
        if left {
            rc = heap.tuple(&[n, rc, r]);
        } else {
            lc = heap.tuple(&[n, l, lc]);
        }
    }
    Ok((lc, rc))
}

/// `(~(bif by a) b c)`: `[l r]`, the map split around key `b`. Vere reads the sample `[b c]` whole, so
/// with `a` = `~` it gives `[~ ~]` even for an atom sample (where the arm would crash).
pub fn by_bif(heap: &mut Heap, core: Noun) -> JetOutcome {
    finish((|| {
        let (tree, item) = (at(heap, core, DOOR)?, at(heap, core, SAMPLE)?);
        let (l, r) = split(heap, tree, item, true)?;
        Ok(heap.cell(l, r))
    })())
}

/// `(~(bif in a) b)`: `[l r]`, the set split around `b`.
pub fn in_bif(heap: &mut Heap, core: Noun) -> JetOutcome {
    finish((|| {
        let (tree, item) = (at(heap, core, DOOR)?, at(heap, core, SAMPLE)?);
        let (l, r) = split(heap, tree, item, false)?;
        Ok(heap.cell(l, r))
    })())
}

/// Pending work of the two-sided walks (`dif`, `int`, `uni`).
enum Work {
    /// Compute the operation on `(a, b)` and push its result.
    Run(Noun, Noun),
    /// Pop `r`, then `l`; push `[n l r]`.
    Node(Noun),
    /// `dif`: pop `e`, then `d`; push their merge.
    Merge,
    /// `int`: pop `y`, then `x`; push their union.
    Union,
    /// `uni`: pop `x`; build `[n x other]` (`x_left`) or `[n other x]`, then run the union of it and
    /// `with` (it as `a` when `built_is_a`, else as `b`).
    Graft { n: Noun, other: Noun, x_left: bool, with: Noun, built_is_a: bool },
}

/// The arm `dif`: `a` without the keys of `b`. Each node of `b` splits `a` (`bif`); the two sides recurse
/// against `b`'s sides and are merged back.
fn dif(heap: &mut Heap, a: Noun, b: Noun, is_map: bool) -> Step<Noun> {
    let mut work = vec![Work::Run(a, b)];
    let mut done: Vec<Noun> = Vec::new();
    while let Some(step) = work.pop() {
        match step {
            Work::Run(a, b) => match node(heap, b)? {
                None => done.push(a),
                Some((nb, lb, rb)) => {
                    let (lc, rc) = split(heap, a, nb, is_map)?;
                    work.extend([Work::Merge, Work::Run(rc, rb), Work::Run(lc, lb)]);
                }
            },
            Work::Merge => {
                let e = pop(&mut done)?;
                let d = pop(&mut done)?;
                let merged = merge(heap, d, e, is_map)?;
                done.push(merged);
            }
            _ => return Err(JetOutcome::Punt),
        }
    }
    pop(&mut done)
}

/// `(~(dif by a) b)`.
pub fn by_dif(heap: &mut Heap, core: Noun) -> JetOutcome {
    finish((|| {
        let (a, b) = (at(heap, core, DOOR)?, at(heap, core, SAMPLE)?);
        dif(heap, a, b, true)
    })())
}

/// `(~(dif in a) b)`.
pub fn in_dif(heap: &mut Heap, core: Noun) -> JetOutcome {
    finish((|| {
        let (a, b) = (at(heap, core, DOOR)?, at(heap, core, SAMPLE)?);
        dif(heap, a, b, false)
    })())
}

/// One step of `uni` on two nodes: what to push, following the arm: equal keys keep `b`'s node over the
/// two unions of sides; otherwise the `mor`-higher top stays on top, the other tree's half that fits
/// beside it is merged into its side, and what is left of the other tree is merged with the result.
fn uni_step(heap: &mut Heap, a: Noun, b: Noun, is_map: bool, work: &mut Vec<Work>) -> Step<()> {
    let ((na, la, ra), (nb, lb, rb)) = (parts(heap, a)?, parts(heap, b)?);
    let (ka, kb) = (key(heap, na, is_map)?, key(heap, nb, is_map)?);
    if heap.eq(kb, ka) {
        work.extend([Work::Node(nb), Work::Run(ra, rb), Work::Run(la, lb)]);
        return Ok(());
    }
    let (graft, first) = if heap.mor(ka, kb) {
        if heap.gor(kb, ka) {
            let half = heap.tuple(&[nb, lb, Noun::ZERO]);
            let graft = Work::Graft { n: na, other: ra, x_left: true, with: rb, built_is_a: true };
            (graft, Work::Run(la, half))
        } else {
            let half = heap.tuple(&[nb, Noun::ZERO, rb]);
            let graft = Work::Graft { n: na, other: la, x_left: false, with: lb, built_is_a: true };
            (graft, Work::Run(ra, half))
        }
    } else if heap.gor(ka, kb) {
        let half = heap.tuple(&[na, la, Noun::ZERO]);
        let graft = Work::Graft { n: nb, other: rb, x_left: true, with: ra, built_is_a: false };
        (graft, Work::Run(half, lb))
    } else {
        let half = heap.tuple(&[na, Noun::ZERO, ra]);
        let graft = Work::Graft { n: nb, other: lb, x_left: false, with: la, built_is_a: false };
        (graft, Work::Run(half, rb))
    };
    work.extend([graft, first]);
    Ok(())
}

/// The inner trap of `uni`: the union of `a` and `b`, `b`'s node winning on equal keys.
fn uni(heap: &mut Heap, a: Noun, b: Noun, is_map: bool) -> Step<Noun> {
    let mut work = vec![Work::Run(a, b)];
    let mut done: Vec<Noun> = Vec::new();
    while let Some(step) = work.pop() {
        match step {
            Work::Run(a, b) if b.as_direct() == Some(0) => done.push(a),
            Work::Run(a, b) if a.as_direct() == Some(0) => done.push(b),
            Work::Run(a, b) => uni_step(heap, a, b, is_map, &mut work)?,
            Work::Node(n) => {
                let r = pop(&mut done)?;
                let l = pop(&mut done)?;
                let built = heap.tuple(&[n, l, r]);
                done.push(built);
            }
            Work::Graft { n, other, x_left, with, built_is_a } => {
                let x = pop(&mut done)?;
                let built = if x_left { heap.tuple(&[n, x, other]) } else { heap.tuple(&[n, other, x]) };
                work.push(if built_is_a { Work::Run(built, with) } else { Work::Run(with, built) });
            }
            Work::Merge | Work::Union => return Err(JetOutcome::Punt),
        }
    }
    pop(&mut done)
}

/// `(~(uni in a) b)` as a function: equal sets are `a` at once, as in the arm.
pub(super) fn set_uni(heap: &mut Heap, a: Noun, b: Noun) -> Step<Noun> {
    if heap.eq(a, b) { Ok(a) } else { uni(heap, a, b, false) }
}

/// `(~(uni by a) b)`: on equal keys `b`'s value wins.
pub fn by_uni(heap: &mut Heap, core: Noun) -> JetOutcome {
    finish((|| {
        let (a, b) = (at(heap, core, DOOR)?, at(heap, core, SAMPLE)?);
        uni(heap, a, b, true)
    })())
}

/// `(~(uni in a) b)`.
pub fn in_uni(heap: &mut Heap, core: Noun) -> JetOutcome {
    finish((|| {
        let (a, b) = (at(heap, core, DOOR)?, at(heap, core, SAMPLE)?);
        set_uni(heap, a, b)
    })())
}

/// One step of `int` on two nodes, as Vere computes it. For maps that is the arm. For sets Vere swaps the
/// two trees when `mor` puts `a`'s top first, where the arm swaps when it does not; on valid treaps both
/// give the same set, and so (a treap's shape being fixed by its keys) the same noun. The two differ only
/// on trees that break the treap order, where Vere's is the answer.
fn int_step(heap: &mut Heap, a: Noun, b: Noun, is_map: bool, work: &mut Vec<Work>) -> Step<()> {
    let ((mut a, (mut na, mut la, mut ra)), (mut b, (mut nb, mut lb, mut rb))) =
        ((a, parts(heap, a)?), (b, parts(heap, b)?));
    let (mut ka, mut kb) = (key(heap, na, is_map)?, key(heap, nb, is_map)?);
    let a_first = heap.mor(ka, kb);
    if !is_map && a_first {
        std::mem::swap(&mut a, &mut b);
        std::mem::swap(&mut na, &mut nb);
        std::mem::swap(&mut la, &mut lb);
        std::mem::swap(&mut ra, &mut rb);
        std::mem::swap(&mut ka, &mut kb);
    }
    if is_map && !a_first {
        // The map's other order: `b` on top, `a`'s halves cut off.
        if heap.eq(ka, kb) {
            work.extend([Work::Node(nb), Work::Run(ra, rb), Work::Run(la, lb)]);
        } else if heap.gor(ka, kb) {
            let half = heap.tuple(&[na, la, Noun::ZERO]);
            work.extend([Work::Union, Work::Run(ra, b), Work::Run(half, lb)]);
        } else {
            let half = heap.tuple(&[na, Noun::ZERO, ra]);
            work.extend([Work::Union, Work::Run(la, b), Work::Run(half, rb)]);
        }
        return Ok(());
    }
    if heap.eq(kb, ka) {
        // A map keeps `b`'s node; a set's two nodes are equal.
        let n = if is_map { nb } else { na };
        work.extend([Work::Node(n), Work::Run(ra, rb), Work::Run(la, lb)]);
    } else if heap.gor(kb, ka) {
        let half = heap.tuple(&[nb, lb, Noun::ZERO]);
        work.extend([Work::Union, Work::Run(a, rb), Work::Run(la, half)]);
    } else {
        let half = heap.tuple(&[nb, Noun::ZERO, rb]);
        work.extend([Work::Union, Work::Run(a, lb), Work::Run(ra, half)]);
    }
    Ok(())
}

/// The arm `int`: the intersection, unions of partial intersections where the tops differ.
fn int(heap: &mut Heap, a: Noun, b: Noun, is_map: bool) -> Step<Noun> {
    let mut work = vec![Work::Run(a, b)];
    let mut done: Vec<Noun> = Vec::new();
    while let Some(step) = work.pop() {
        match step {
            Work::Run(a, b) if a.as_direct() == Some(0) || b.as_direct() == Some(0) => done.push(Noun::ZERO),
            Work::Run(a, b) => int_step(heap, a, b, is_map, &mut work)?,
            Work::Node(n) => {
                let r = pop(&mut done)?;
                let l = pop(&mut done)?;
                let built = heap.tuple(&[n, l, r]);
                done.push(built);
            }
            Work::Union => {
                let y = pop(&mut done)?;
                let x = pop(&mut done)?;
                let joined = if is_map { uni(heap, x, y, true)? } else { set_uni(heap, x, y)? };
                done.push(joined);
            }
            Work::Merge | Work::Graft { .. } => return Err(JetOutcome::Punt),
        }
    }
    pop(&mut done)
}

/// `(~(int by a) b)`: on equal keys `b`'s value is kept.
pub fn by_int(heap: &mut Heap, core: Noun) -> JetOutcome {
    finish((|| {
        let (a, b) = (at(heap, core, DOOR)?, at(heap, core, SAMPLE)?);
        int(heap, a, b, true)
    })())
}

/// `(~(int in a) b)`.
pub fn in_int(heap: &mut Heap, core: Noun) -> JetOutcome {
    finish((|| {
        let (a, b) = (at(heap, core, DOOR)?, at(heap, core, SAMPLE)?);
        int(heap, a, b, false)
    })())
}

/// `(~(gas in a) b)`: puts each item of the list `b`, in order.
pub fn in_gas(heap: &mut Heap, core: Noun) -> JetOutcome {
    finish((|| {
        let mut tree = at(heap, core, DOOR)?;
        for item in super::bits::items(heap, at(heap, core, SAMPLE)?)? {
            tree = put(heap, tree, item, false)?;
        }
        Ok(tree)
    })())
}

/// `~(wyt in a)` and `~(wyt by a)`: the number of nodes (Vere uses one function for both).
pub fn wyt(heap: &mut Heap, core: Noun) -> JetOutcome {
    finish((|| {
        let mut pending = vec![at(heap, core, TRAP_DOOR)?];
        let mut count: u64 = 0;
        while let Some(tree) = pending.pop() {
            if let Some((_, l, r)) = node(heap, tree)? {
                count += 1;
                pending.extend([r, l]);
            }
        }
        Ok(heap.atom_u64(count))
    })())
}

/// `~(key by a)`: the set of keys, each put into the trap's set `b` in the arm's order (node, then left,
/// then right). Like `tap`, Vere starts from `~` rather than reading `b`, which is `~` from outside.
pub fn by_key(heap: &mut Heap, core: Noun) -> JetOutcome {
    finish((|| {
        let mut set = at(heap, core, SAMPLE)?;
        let mut pending = vec![at(heap, core, DOOR)?];
        while let Some(tree) = pending.pop() {
            if let Some((n, l, r)) = node(heap, tree)? {
                let k = key(heap, n, true)?;
                set = put(heap, set, k, false)?;
                pending.extend([r, l]);
            }
        }
        Ok(set)
    })())
}

/// Pending work of `apt`'s walk.
enum Check {
    /// Check a subtree whose keys must come before `hi` and after `lo` (by `gor`).
    Tree { tree: Noun, hi: Option<Noun>, lo: Option<Noun> },
    /// After the left subtree: check the right child of the node with key `k` against it by `mor`,
    /// then its subtree.
    Right { k: Noun, r: Noun, hi: Option<Noun> },
}

/// The trap's optional bound (`l` or `r`): `~` or `[~ u]`; anything else punts.
fn bound(heap: &Heap, unit: Noun) -> Step<Option<Noun>> {
    if unit.as_direct() == Some(0) {
        return Ok(None);
    }
    match heap.cell_parts(unit) {
        Some((nul, u)) if nul.as_direct() == Some(0) => Ok(Some(u)),
        _ => Err(JetOutcome::Punt),
    }
}

/// Whether `first` comes before `second` by `cmp` (`gor` or `mor`), and, if `strict`, differs from it.
fn before(
    heap: &mut Heap,
    first: Noun,
    second: Noun,
    strict: bool,
    cmp: fn(&mut Heap, Noun, Noun) -> bool,
) -> bool {
    cmp(heap, first, second) && !(strict && heap.eq(first, second))
}

/// The arm `apt`: every key between its bounds by `gor`, every child below its parent by `mor`, checked
/// node, then left subtree, then right (the order decides which malformed trees get an answer).
/// `strict` also requires the compared keys to differ: the map arm and Vere's `by` do; Vere's `in`
/// does not, so Vere calls a set with a repeated item valid where the arm does not (Vere wins).
fn apt(heap: &mut Heap, tree: Noun, hi: Option<Noun>, lo: Option<Noun>, is_map: bool) -> Step<bool> {
    let strict = is_map;
    let gor: fn(&mut Heap, Noun, Noun) -> bool = Heap::gor;
    let mor: fn(&mut Heap, Noun, Noun) -> bool = Heap::mor;
    let mut work = vec![Check::Tree { tree, hi, lo }];
    while let Some(step) = work.pop() {
        match step {
            Check::Tree { tree, hi, lo } => {
                let Some((n, l, r)) = node(heap, tree)? else { continue };
                let k = key(heap, n, is_map)?;
                if hi.is_some_and(|hi| !before(heap, k, hi, strict, gor))
                    || lo.is_some_and(|lo| !before(heap, lo, k, strict, gor))
                {
                    return Ok(false);
                }
                work.push(Check::Right { k, r, hi });
                if l.as_direct() != Some(0) {
                    let kl = top_key(heap, l, is_map)?;
                    if !before(heap, k, kl, strict, mor) {
                        return Ok(false);
                    }
                    work.push(Check::Tree { tree: l, hi: Some(k), lo });
                }
            }
            Check::Right { k, r, hi } => {
                if r.as_direct() != Some(0) {
                    let kr = top_key(heap, r, is_map)?;
                    if !before(heap, k, kr, strict, mor) {
                        return Ok(false);
                    }
                    work.push(Check::Tree { tree: r, hi, lo: Some(k) });
                }
            }
        }
    }
    Ok(true)
}

/// `~(apt by a)` and `~(apt in a)`: the trap `[battery [[l r] door]]`. Vere reads only the door's tree,
/// as `l` and `r` are `~` whenever the arm is entered from outside; reading them keeps the arm's inner
/// kicks (run only after a punt) right too.
fn apt_jet(heap: &mut Heap, core: Noun, is_map: bool) -> JetOutcome {
    finish((|| {
        let tree = at(heap, core, DOOR)?;
        let hi = bound(heap, at(heap, core, SAM_2)?)?;
        let lo = bound(heap, at(heap, core, SAM_3)?)?;
        Ok(Noun::loobean(apt(heap, tree, hi, lo, is_map)?))
    })())
}

/// `~(apt by a)`.
pub fn by_apt(heap: &mut Heap, core: Noun) -> JetOutcome {
    apt_jet(heap, core, true)
}

/// `~(apt in a)`.
pub fn in_apt(heap: &mut Heap, core: Noun) -> JetOutcome {
    apt_jet(heap, core, false)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A core with `sample` at 6 and the door's tree at 30.
    fn core(heap: &mut Heap, sample: Noun, tree: Noun) -> Noun {
        let door = heap.tuple(&[Noun::ZERO, tree, Noun::ZERO]);
        heap.tuple(&[Noun::ZERO, sample, door])
    }

    fn product(outcome: JetOutcome) -> Noun {
        match outcome {
            JetOutcome::Product(p) => p,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn in_apt_accepts_a_repeated_item_as_vere_does() {
        let mut heap = Heap::new();
        let set = heap.parse("[1 [1 0 0] 0]").unwrap();
        let bounds = heap.parse("[0 0]").unwrap();
        let c = core(&mut heap, bounds, set);
        assert_eq!(product(in_apt(&mut heap, c)).as_direct(), Some(0));
        let map = heap.parse("[[1 2] [[1 3] 0 0] 0]").unwrap();
        let c = core(&mut heap, bounds, map);
        assert_eq!(product(by_apt(&mut heap, c)).as_direct(), Some(1));
    }

    #[test]
    fn walks_of_a_tree_a_million_deep_need_no_recursion() {
        let mut heap = Heap::new();
        // A set chained down its left sides: items 1..=depth, each node's left child the next.
        let depth = 1_000_000u64;
        let mut tree = Noun::ZERO;
        for i in (1..=depth).rev() {
            let n = heap.atom_u64(i);
            tree = heap.tuple(&[n, tree, Noun::ZERO]);
        }
        let nul = Noun::ZERO;
        // `wyt` reads the door's tree at 14: a trap `[battery door]`.
        let door = heap.tuple(&[Noun::ZERO, tree, Noun::ZERO]);
        let trap = heap.cell(Noun::ZERO, door);
        let count = product(wyt(&mut heap, trap));
        assert_eq!(heap.as_u64(count), Some(depth));
        let c = core(&mut heap, nul, tree);
        let list = product(tap(&mut heap, c));
        assert!(list.is_cell());
        let bottom = heap.atom_u64(depth);
        let c = core(&mut heap, bottom, tree);
        let _ = in_del(&mut heap, c);
        let c = core(&mut heap, bottom, tree);
        let _ = in_bif(&mut heap, c);
        let bounds = heap.parse("[0 0]").unwrap();
        let c = core(&mut heap, bounds, tree);
        let _ = in_apt(&mut heap, c);
        let one = heap.parse("[5 0 0]").unwrap();
        for jet in [in_uni, in_int, in_dif, by_uni] {
            let c = core(&mut heap, one, tree);
            let _ = jet(&mut heap, c);
            let c = core(&mut heap, tree, one);
            let _ = jet(&mut heap, c);
        }
    }
}
