//! Chapter 5a of hoon.hoon: the compiler's type constructors (`cell`, `core`, `face`, `fork`), its
//! formula builders (`comb`, `cons`, `flan`, `flip`, `flor`), the aura test `fitz`, and the arm finders
//! `look` and `loot`.
//!
//! Vere's jets for these differ from the k140 arms in places (the `%void`-free formula simplifications,
//! `fitz`, crash classes on samples of the wrong shape); where they do, Vere's behaviour is the one here,
//! and each jet says where. Where Vere's behaviour is undefined or aborts the process, the jet punts.

use super::axis::SAMPLE;
use super::maps::{put, set_uni};
use super::{JetOutcome, Step, at, atom_error, exit, fail, finish};
use components::{Heap, Noun};

/// A term of up to eight bytes as its atom (little-endian).
const fn term(text: &[u8]) -> u64 {
    let mut value = 0u64;
    let mut i = text.len();
    while i > 0 {
        i -= 1;
        value = (value << 8) | text[i] as u64;
    }
    value
}

const VOID: u64 = term(b"void");
const CELL: u64 = term(b"cell");
const CORE: u64 = term(b"core");
const FACE: u64 = term(b"face");
const FORK: u64 = term(b"fork");

fn tag(name: u64) -> Noun {
    Noun::direct(name).expect("a four-letter term is direct")
}

fn is(noun: Noun, value: u64) -> bool {
    noun.as_direct() == Some(value)
}

/// The sample's two halves. A sample that is not a cell makes Vere's jet bail `%fail` (the arm would
/// exit); Vere's class is the answer.
fn halves(heap: &Heap, core: Noun) -> Step<(Noun, Noun)> {
    let sample = at(heap, core, SAMPLE)?;
    heap.cell_parts(sample).ok_or(fail())
}

/// `(cell hed tal)`: `%void` if either half is, else `[%cell hed tal]`.
pub fn cell(heap: &mut Heap, core: Noun) -> JetOutcome {
    finish((|| {
        let (hed, tal) = halves(heap, core)?;
        if is(hed, VOID) || is(tal, VOID) {
            return Ok(tag(VOID));
        }
        Ok(heap.tuple(&[tag(CELL), hed, tal]))
    })())
}

/// `(core pac con)`: `%void` if `pac` is, else `[%core pac con]`. Vere first reads the coil as
/// `[p q [hr tr]]` (reading garbage when it is not) and aborts the process on an "old core" whose `hr` is
/// `[0 0]`; both of those punt here.
pub fn core(heap: &mut Heap, core: Noun) -> JetOutcome {
    finish((|| {
        let (pac, con) = halves(heap, core)?;
        if is(pac, VOID) {
            return Ok(tag(VOID));
        }
        let (_, qr) = heap.cell_parts(con).ok_or(JetOutcome::Punt)?;
        let (_, r) = heap.cell_parts(qr).ok_or(JetOutcome::Punt)?;
        let (hr, _) = heap.cell_parts(r).ok_or(JetOutcome::Punt)?;
        if let Some((h, t)) = heap.cell_parts(hr)
            && is(h, 0)
            && is(t, 0)
        {
            return Err(JetOutcome::Punt);
        }
        Ok(heap.tuple(&[tag(CORE), pac, con]))
    })())
}

/// `(face giz der)`: `%void` if `der` is, else `[%face giz der]`.
pub fn face(heap: &mut Heap, core: Noun) -> JetOutcome {
    finish((|| {
        let (giz, der) = halves(heap, core)?;
        if is(der, VOID) {
            return Ok(tag(VOID));
        }
        Ok(heap.tuple(&[tag(FACE), giz, der]))
    })())
}

/// `(fork yed)`: the union of a list of types. `%void`s drop out, a `[%fork set]` adds its set (`uni`),
/// any other type is put in (`put`); no type is `%void`, one is itself, more are `[%fork set]`. If the set
/// ends up a non-null atom (a `[%fork 5]` in the list), the arm makes `[%fork 5]` but Vere's jet, reading
/// it as a tree, exits; Vere's answer it is.
pub fn fork(heap: &mut Heap, core: Noun) -> JetOutcome {
    finish((|| {
        let yed = at(heap, core, SAMPLE)?;
        let mut lez = Noun::ZERO;
        for item in super::bits::items(heap, yed)? {
            if is(item, VOID) {
                continue;
            }
            lez = match heap.cell_parts(item) {
                Some((head, set)) if is(head, FORK) => set_uni(heap, lez, set)?,
                _ => put(heap, lez, item, false)?,
            };
        }
        if is(lez, 0) {
            return Ok(tag(VOID));
        }
        let (n, lr) = heap.cell_parts(lez).ok_or(exit(None))?;
        let (l, r) = heap.cell_parts(lr).ok_or(exit(None))?;
        if is(l, 0) && is(r, 0) {
            return Ok(n);
        }
        Ok(heap.cell(tag(FORK), lez))
    })())
}

/// `(peg a b)` as Vere's formula jets compute it: `b` = 1 gives `a` (even a cell); `b` = 0 crashes in the
/// decrement inside (`decrement-underflow`, where the arm's call of the `peg` gate would exit bare); a
/// cell anywhere else punts.
fn peg(heap: &mut Heap, a: Noun, b: Noun) -> Step<Noun> {
    if is(b, 1) {
        return Ok(a);
    }
    if is(b, 0) {
        return Err(exit(Some("decrement-underflow")));
    }
    if a.is_cell() {
        return Err(JetOutcome::Punt);
    }
    let below_bits = heap.atom(b).ok_or(JetOutcome::Punt)?.bit_len() - 1;
    let shifted = heap.lsh(0, below_bits, a).map_err(atom_error(None))?;
    let below = heap.end(0, below_bits, b).map_err(atom_error(None))?;
    heap.con(shifted, below).map_err(atom_error(None))
}

/// A small axis as a noun.
fn axis(value: u64) -> Noun {
    Noun::direct(value).expect("a small axis")
}

/// `p` of a formula `[head p]`, if its head is the atom `head`.
fn tagged(heap: &Heap, formula: Noun, head: u64) -> Option<Noun> {
    let (h, p) = heap.cell_parts(formula)?;
    is(h, head).then_some(p)
}

/// `(comb mal buz)`: the formula for "`mal`, then `buz` on its product", simplified: two fragments make
/// one, a fragment then a `[%2 [%0 x] [%0 y]]` pegs both, `[formula [%0 1]]` then `buz` is `[%8 formula
/// buz]`, anything then `[%0 1]` is itself, and otherwise `[%7 mal buz]`. The arm and Vere agree, but for
/// a fragment axis of 0 inside a `%2` (see [`peg`]).
pub fn comb(heap: &mut Heap, core: Noun) -> JetOutcome {
    finish((|| {
        let sample = at(heap, core, SAMPLE)?;
        let (mal, buz) = heap.cell_parts(sample).ok_or(JetOutcome::Punt)?;
        if let Some(p_mal) = tagged(heap, mal, 0).filter(|&p| !is(p, 0)) {
            if let Some(p_buz) = tagged(heap, buz, 0).filter(|&p| !is(p, 0)) {
                let joined = peg(heap, p_mal, p_buz)?;
                return Ok(heap.cell(Noun::ZERO, joined));
            }
            let both = tagged(heap, buz, 2).and_then(|pq| heap.cell_parts(pq));
            if let Some((p, q)) = both
                && let (Some(pp), Some(pq)) = (tagged(heap, p, 0), tagged(heap, q, 0))
            {
                let head = peg(heap, p_mal, pp)?;
                let tail = peg(heap, p_mal, pq)?;
                let head = heap.cell(Noun::ZERO, head);
                let tail = heap.cell(Noun::ZERO, tail);
                return Ok(heap.tuple(&[axis(2), head, tail]));
            }
            return Ok(heap.tuple(&[axis(7), mal, buz]));
        }
        if let Some((p_mal, q_mal)) = heap.cell_parts(mal)
            && p_mal.is_cell()
            && tagged(heap, q_mal, 0).is_some_and(|p| is(p, 1))
        {
            return Ok(heap.tuple(&[axis(8), p_mal, buz]));
        }
        if tagged(heap, buz, 0).is_some_and(|p| is(p, 1)) {
            return Ok(mal);
        }
        Ok(heap.tuple(&[axis(7), mal, buz]))
    })())
}

/// `(cons vur sed)`: two constants `[%1 a]` and `[%1 b]` make the constant `[%1 a b]`; otherwise the
/// autocons `[vur sed]`.
pub fn cons(heap: &mut Heap, core: Noun) -> JetOutcome {
    finish((|| {
        let (vur, sed) = halves(heap, core)?;
        if let (Some(a), Some(b)) = (tagged(heap, vur, 1), tagged(heap, sed, 1)) {
            let both = heap.cell(a, b);
            return Ok(heap.cell(axis(1), both));
        }
        Ok(heap.cell(vur, sed))
    })())
}

/// What a formula is, for Vere's loobean simplifications: a constant `[%1 x]` (its `x`), or something
/// else. An atom makes Vere's jet exit (it takes the head).
fn constant(heap: &Heap, formula: Noun) -> Step<Option<Noun>> {
    let (head, x) = heap.cell_parts(formula).ok_or(exit(None))?;
    Ok(is(head, 1).then_some(x))
}

/// `(flan bos nif)`: the formula for "both", as Vere 1.16 computes it: equal formulas are one; a constant
/// `[%1 0]` (yes) gives the other side, any other constant `[%1 x]` is the answer itself; otherwise
/// `[%6 bos nif [%1 1]]`. The k140 arm also drops a `[%0 0]` side and treats only `[%1 1]` as a constant
/// no; Vere does neither, and Vere wins.
pub fn flan(heap: &mut Heap, core: Noun) -> JetOutcome {
    finish((|| {
        let (bos, nif) = halves(heap, core)?;
        if heap.eq(bos, nif) {
            return Ok(bos);
        }
        if let Some(x) = constant(heap, bos)? {
            return Ok(if is(x, 0) { nif } else { bos });
        }
        if let Some(x) = constant(heap, nif)? {
            return Ok(if is(x, 0) { bos } else { nif });
        }
        let no = heap.cell(axis(1), Noun::NO);
        Ok(heap.tuple(&[axis(6), bos, nif, no]))
    })())
}

/// `(flor bos nif)`: the formula for "either", as Vere 1.16 computes it: equal formulas are one; a
/// constant `[%1 0]` (yes) is the answer, any other constant gives the other side; otherwise
/// `[%6 bos [%1 0] nif]`. The arm's `[%0 0]` and exact `[%1 1]` cases differ as in [`flan`].
pub fn flor(heap: &mut Heap, core: Noun) -> JetOutcome {
    finish((|| {
        let (bos, nif) = halves(heap, core)?;
        if heap.eq(bos, nif) {
            return Ok(bos);
        }
        if let Some(x) = constant(heap, bos)? {
            return Ok(if is(x, 0) { bos } else { nif });
        }
        if let Some(x) = constant(heap, nif)? {
            return Ok(if is(x, 0) { nif } else { bos });
        }
        let yes = heap.cell(axis(1), Noun::YES);
        Ok(heap.tuple(&[axis(6), bos, yes, nif]))
    })())
}

/// `(flip dyr)`: the formula for "not", as Vere 1.16 computes it: the constants `[%1 0]` and `[%1 1]`
/// swap, anything else is `[%6 dyr [%1 1] [%1 0]]`. The arm keeps `[%0 0]` as it is and never folds
/// constants; Vere wins. Vere aborts the process on any other constant `[%1 x]`: that punts.
pub fn flip(heap: &mut Heap, core: Noun) -> JetOutcome {
    finish((|| {
        let dyr = at(heap, core, SAMPLE)?;
        match constant(heap, dyr)? {
            Some(x) if is(x, 0) => Ok(heap.cell(axis(1), Noun::NO)),
            Some(x) if is(x, 1) => Ok(heap.cell(axis(1), Noun::YES)),
            Some(_) => Err(JetOutcome::Punt),
            None => {
                let no = heap.cell(axis(1), Noun::NO);
                let yes = heap.cell(axis(1), Noun::YES);
                Ok(heap.tuple(&[axis(6), dyr, no, yes]))
            }
        }
    })())
}

/// `(fitz yaz wix)`: may an atom of aura `wix` be used as aura `yaz`? As Vere 1.16 computes it: a final
/// capital (a size, `A` = 1) on both needs `wix`'s no bigger than `yaz`'s; then, over the bytes the two
/// have in common, capitals count as wildcards and every other pair of non-zero bytes must be equal (so
/// `%u` fits `%ud`, `%ud` does not fit `%ux`). The k140 arm compares the sizes where it means to compare
/// the letters, and so lets any two size-free auras fit; Vere's is the behaviour the compiler gets.
pub fn fitz(heap: &mut Heap, core: Noun) -> JetOutcome {
    finish((|| {
        let (yaz, wix) = halves(heap, core)?;
        let (Some(yaz), Some(wix)) = (heap.atom(yaz), heap.atom(wix)) else { return Err(fail()) };
        let (yaz, wix) = (yaz.to_bytes(), wix.to_bytes());
        let size = |bytes: &[u8]| bytes.last().copied().filter(u8::is_ascii_uppercase).unwrap_or(0);
        let (yaz_size, wix_size) = (size(&yaz), size(&wix));
        if yaz_size != 0 && wix_size != 0 && wix_size > yaz_size {
            return Ok(Noun::NO);
        }
        let letter = |byte: u8| if byte.is_ascii_uppercase() { 0 } else { byte };
        let clash = yaz.iter().zip(&wix).any(|(&y, &w)| {
            let (y, w) = (letter(y), letter(w));
            y != 0 && w != 0 && y != w
        });
        Ok(Noun::loobean(!clash))
    })())
}

/// A battery tree node `[n l r]`; Vere reads garbage from anything else, so that punts.
fn triple(heap: &Heap, tree: Noun) -> Step<(Noun, Noun, Noun)> {
    let (n, lr) = heap.cell_parts(tree).ok_or(JetOutcome::Punt)?;
    let (l, r) = heap.cell_parts(lr).ok_or(JetOutcome::Punt)?;
    Ok((n, l, r))
}

/// The arm `look`: the axis and hoon of arm `cog` in a chapter's `(map term hoon)`, walking down by `gor`
/// and tracking the axis the battery will put it at (a node with no children is the arm itself; else
/// the arm is at 2, the children at 3 or 6 and 7). Vere takes a node only when its hoon is a cell, and
/// exits (where the arm would too) on a node that is an atom.
fn look_in(heap: &mut Heap, cog: Noun, dab: Noun) -> Step<Noun> {
    let mut axe = Noun::ONE;
    let mut dab = dab;
    loop {
        if is(dab, 0) {
            return Ok(Noun::ZERO);
        }
        let (n, l, r) = triple(heap, dab)?;
        let (pn, qn) = heap.cell_parts(n).ok_or(exit(None))?;
        let hit = qn.is_cell() && heap.eq(cog, pn);
        let (no_l, no_r) = (is(l, 0), is(r, 0));
        if no_l && no_r {
            return Ok(if hit { heap.tuple(&[Noun::ZERO, axe, qn]) } else { Noun::ZERO });
        }
        if hit {
            let at_two = peg(heap, axe, axis(2))?;
            return Ok(heap.tuple(&[Noun::ZERO, at_two, qn]));
        }
        let left = heap.gor(cog, pn);
        let (next, step) = match (no_l, no_r, left) {
            (true, _, true) | (_, true, false) => return Ok(Noun::ZERO),
            (true, _, false) => (r, 3),
            (_, true, true) => (l, 3),
            (false, false, true) => (l, 6),
            (false, false, false) => (r, 7),
        };
        axe = peg(heap, axe, axis(step))?;
        dab = next;
    }
}

/// `(look cog dab)`.
pub fn look(heap: &mut Heap, core: Noun) -> JetOutcome {
    finish((|| {
        let (cog, dab) = halves(heap, core)?;
        look_in(heap, cog, dab)
    })())
}

/// `(loot cog dom)`: arm `cog` in a battery's `(map term tome)` of chapters: each chapter's arms are
/// searched with `look` (node first, then the left chapters, then the right), and the first hit's axis is
/// put under its chapter's. Vere bails `%fail` on a chapter node that is an atom.
pub fn loot(heap: &mut Heap, core: Noun) -> JetOutcome {
    finish((|| {
        let (cog, dom) = halves(heap, core)?;
        let mut pending = vec![(dom, Noun::ONE)];
        while let Some((dom, axe)) = pending.pop() {
            if is(dom, 0) {
                continue;
            }
            let (n, l, r) = triple(heap, dom)?;
            let (_, tome) = heap.cell_parts(n).ok_or(fail())?;
            let arms = heap.tail(tome).ok_or(exit(None))?;
            let yep = look_in(heap, cog, arms)?;
            let (no_l, no_r) = (is(l, 0), is(r, 0));
            if let Some((_, found)) = heap.cell_parts(yep) {
                let (p, q) = heap.cell_parts(found).ok_or(JetOutcome::Punt)?;
                let chapter = if no_l && no_r { axe } else { peg(heap, axe, axis(2))? };
                let at_arm = peg(heap, chapter, p)?;
                return Ok(heap.tuple(&[Noun::ZERO, at_arm, q]));
            }
            match (no_l, no_r) {
                (true, true) => {}
                (true, false) => pending.push((r, peg(heap, axe, axis(3))?)),
                (false, true) => pending.push((l, peg(heap, axe, axis(3))?)),
                (false, false) => {
                    let (right, left) = (peg(heap, axe, axis(7))?, peg(heap, axe, axis(6))?);
                    pending.extend([(r, right), (l, left)]);
                }
            }
        }
        Ok(Noun::ZERO)
    })())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gate(heap: &mut Heap, sample: &str) -> Noun {
        let sample = heap.parse(sample).unwrap();
        heap.tuple(&[Noun::ZERO, sample, Noun::ZERO])
    }

    fn product(heap: &mut Heap, jet: fn(&mut Heap, Noun) -> JetOutcome, sample: &str) -> String {
        let core = gate(heap, sample);
        match jet(heap, core) {
            JetOutcome::Product(p) => heap.print(p),
            other => format!("{other:?}"),
        }
    }

    #[test]
    fn term_constants_are_the_cords() {
        assert_eq!(VOID, 0x6469_6f76);
        assert_eq!(FORK, u64::from_le_bytes(*b"fork\0\0\0\0"));
    }

    #[test]
    fn fitz_follows_vere_letters_and_sizes() {
        let mut heap = Heap::new();
        let ud = term(b"ud");
        let ux = term(b"ux");
        let u = term(b"u");
        let ud_d = term(b"udD");
        let ud_c = term(b"udC");
        let cases = [
            (ud, ux, false),
            (ux, ud, false),
            (ud, ud, true),
            (u, ud, true),
            (ud, u, true),
            (0, ux, true),
            (ud_d, ud_c, true),
            (ud_c, ud_d, false),
            (ud, ud_d, true),
        ];
        for (yaz, wix, fits) in cases {
            let core = gate(&mut heap, &format!("[{yaz} {wix}]"));
            let JetOutcome::Product(p) = fitz(&mut heap, core) else { panic!("{yaz} {wix}") };
            assert_eq!(p.as_direct(), Some(u64::from(!fits)), "{yaz} {wix}");
        }
        let core = gate(&mut heap, "[[1 2] 3]");
        assert!(
            matches!(fitz(&mut heap, core), JetOutcome::Crash(c) if c.class == super::super::JetClass::Fail)
        );
    }

    #[test]
    fn formula_builders_fold_as_vere_does() {
        let mut heap = Heap::new();
        assert_eq!(product(&mut heap, flip, "[1 0]"), "[1 1]");
        assert_eq!(product(&mut heap, flip, "[0 0]"), "[6 [0 0] [1 1] 1 0]");
        assert_eq!(product(&mut heap, flan, "[[1 0] 0 7]"), "[0 7]");
        assert_eq!(product(&mut heap, flan, "[[1 5] 0 7]"), "[1 5]");
        assert_eq!(product(&mut heap, flor, "[[0 6] 1 0]"), "[1 0]");
        assert_eq!(product(&mut heap, comb, "[[0 2] 0 3]"), "[0 5]");
        assert_eq!(product(&mut heap, comb, "[[0 6] 2 [0 2] 0 3]"), "[2 [0 12] 0 13]");
        assert_eq!(product(&mut heap, comb, "[[[1 1] 0 1] 0 2]"), "[8 [1 1] 0 2]");
        assert_eq!(product(&mut heap, cons, "[[1 2] 1 3]"), "[1 2 3]");
        assert_eq!(product(&mut heap, flip, "[1 5]"), "Punt");
    }

    #[test]
    fn look_finds_arms_and_loot_walks_deep_batteries_without_recursion() {
        let mut heap = Heap::new();
        // One chapter whose arm map is the leaf `foo`: the arm is the battery's whole formula.
        // %foo is 7303014, %bar 7496034.
        assert_eq!(product(&mut heap, look, "[7303014 [7303014 1 2] 0 0]"), "[0 1 1 2]");
        assert_eq!(product(&mut heap, look, "[7496034 [7303014 1 2] 0 0]"), "0");
        // A hundred thousand chapters down the right side, none with the arm: every one is searched.
        let mut dom = Noun::ZERO;
        for i in 0..100_000u64 {
            let name = heap.atom_u64(1000 + i);
            let tome = heap.parse("[0 0]").unwrap();
            let n = heap.cell(name, tome);
            dom = heap.tuple(&[n, Noun::ZERO, dom]);
        }
        let cog = Noun::direct(7).unwrap();
        let sample = heap.cell(cog, dom);
        let core = heap.tuple(&[Noun::ZERO, sample, Noun::ZERO]);
        assert!(matches!(loot(&mut heap, core), JetOutcome::Product(p) if is(p, 0)));
    }
}
