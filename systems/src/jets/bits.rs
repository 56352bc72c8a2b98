//! Chapter 2c–2d of hoon.hoon: bit arithmetic and bit logic (`bex` … `xeb`, `con`, `dis`, `mix`).
//!
//! As Vere's jets do, these fail (class `fail`, an implementation limit) for a bloq of 32 or more and for
//! a count of 2^31 or more, where the arm would compute slowly or run out of memory.

use super::axis::{SAM_2, SAM_3, SAM_6, SAM_7, SAM_12, SAM_13, SAMPLE};
use super::{JetOutcome, Step, at, atom_at, atom_error, fail, finish};
use components::{Heap, Noun};

const BLOQ_MAX: u64 = 31;
const COUNT_MAX: u64 = (1 << 31) - 1;

fn count(heap: &Heap, noun: Noun) -> Step<u64> {
    if noun.is_cell() {
        return Err(JetOutcome::Punt);
    }
    heap.as_u64(noun).filter(|&n| n <= COUNT_MAX).ok_or(fail())
}

fn bloq(heap: &Heap, noun: Noun) -> Step<u64> {
    count(heap, noun).and_then(|b| if b <= BLOQ_MAX { Ok(b) } else { Err(fail()) })
}

fn bloq_at(heap: &Heap, core: Noun, axis: u64) -> Step<u64> {
    bloq(heap, at(heap, core, axis)?)
}

/// A `bite`: a bloq, or `[bloq step]`; a bare bloq has step 1.
fn bite_at(heap: &Heap, core: Noun, axis: u64) -> Step<(u64, u64)> {
    let noun = at(heap, core, axis)?;
    match heap.cell_parts(noun) {
        Some((b, s)) => Ok((bloq(heap, b)?, count(heap, s)?)),
        None => Ok((bloq(heap, noun)?, 1)),
    }
}

/// The items of a null-terminated list; anything else punts (the arm's crash is the spec).
pub(super) fn items(heap: &Heap, list: Noun) -> Step<Vec<Noun>> {
    let mut out = Vec::new();
    let mut at = list;
    while let Some((head, tail)) = heap.cell_parts(at) {
        out.push(head);
        at = tail;
    }
    if at.as_direct() == Some(0) { Ok(out) } else { Err(JetOutcome::Punt) }
}

/// `(bex a)`: 2^a.
pub fn bex(heap: &mut Heap, core: Noun) -> JetOutcome {
    finish((|| {
        let a = count(heap, at(heap, core, SAMPLE)?)?;
        heap.bex(a).map_err(atom_error(None))
    })())
}

/// `(met a b)`: blocks of 2^a bits in b.
pub fn met(heap: &mut Heap, core: Noun) -> JetOutcome {
    finish((|| {
        let a = bloq_at(heap, core, SAM_2)?;
        let b = atom_at(heap, core, SAM_3)?;
        let blocks = heap.met(a, b).map_err(atom_error(None))?;
        Ok(heap.atom_u64(blocks))
    })())
}

/// The three `bite` operations: `(op [a n] b)`.
type BiteOp = fn(&mut Heap, u64, u64, Noun) -> Result<Noun, components::AtomError>;

fn by_bite(heap: &mut Heap, core: Noun, op: BiteOp) -> JetOutcome {
    finish((|| {
        let (a, n) = bite_at(heap, core, SAM_2)?;
        let b = atom_at(heap, core, SAM_3)?;
        op(heap, a, n, b).map_err(atom_error(None))
    })())
}

/// `(lsh [a n] b)`.
pub fn lsh(heap: &mut Heap, core: Noun) -> JetOutcome {
    by_bite(heap, core, Heap::lsh)
}

/// `(rsh [a n] b)`.
pub fn rsh(heap: &mut Heap, core: Noun) -> JetOutcome {
    by_bite(heap, core, Heap::rsh)
}

/// `(end [a n] b)`.
pub fn end(heap: &mut Heap, core: Noun) -> JetOutcome {
    by_bite(heap, core, Heap::end)
}

/// `(cut a [b c] d)`: c blocks of d from block b.
pub fn cut(heap: &mut Heap, core: Noun) -> JetOutcome {
    finish((|| {
        let a = bloq_at(heap, core, SAM_2)?;
        let b = count(heap, at(heap, core, SAM_12)?)?;
        let c = count(heap, at(heap, core, SAM_13)?)?;
        let d = atom_at(heap, core, SAM_7)?;
        heap.cut(a, b, c, d).map_err(atom_error(None))
    })())
}

/// `(cat a b c)`: c above b, b padded to whole blocks.
pub fn cat(heap: &mut Heap, core: Noun) -> JetOutcome {
    finish((|| {
        let a = bloq_at(heap, core, SAM_2)?;
        let (b, c) = (atom_at(heap, core, SAM_6)?, atom_at(heap, core, SAM_7)?);
        heap.cat(a, b, c).map_err(atom_error(None))
    })())
}

/// Lays `(atom, width in bits)` parts end to end, lowest first, each cut or zero-padded to its width, in
/// one pass (no quadratic re-copying of a growing result).
fn assemble(heap: &mut Heap, parts: &[(Noun, u64)]) -> Step<Noun> {
    let total = parts.iter().try_fold(0u64, |sum, &(_, width)| sum.checked_add(width));
    if total.is_none_or(|t| t > components::math::ATOM_BITS_MAX) {
        return Err(super::meme());
    }
    let mut out = components::jam::BitWriter::new();
    for &(atom, width) in parts {
        let limbs = heap.atom(atom).ok_or(JetOutcome::Punt)?;
        out.push_limbs(limbs.limbs(), width);
    }
    Ok(heap.atom_from_limbs(&out.into_limbs()))
}

/// `(can a b)`: assemble `[step atom]` pieces, lowest first.
pub fn can(heap: &mut Heap, core: Noun) -> JetOutcome {
    finish((|| {
        let a = bloq_at(heap, core, SAM_2)?;
        let mut parts = Vec::new();
        for piece in items(heap, at(heap, core, SAM_3)?)? {
            let (step, value) = heap.cell_parts(piece).ok_or(JetOutcome::Punt)?;
            parts.push((value, count(heap, step)? << a));
        }
        assemble(heap, &parts)
    })())
}

/// `(rap a b)`: concatenate a list of atoms, each padded to whole blocks.
pub fn rap(heap: &mut Heap, core: Noun) -> JetOutcome {
    finish((|| {
        let a = bloq_at(heap, core, SAM_2)?;
        let mut parts = Vec::new();
        for item in items(heap, at(heap, core, SAM_3)?)? {
            let blocks = heap.met(a, item).map_err(atom_error(None))?;
            parts.push((item, blocks << a));
        }
        assemble(heap, &parts)
    })())
}

/// `(rep [a s] b)`: assemble a list of atoms, each cut to s blocks.
pub fn rep(heap: &mut Heap, core: Noun) -> JetOutcome {
    finish((|| {
        let (a, step) = bite_at(heap, core, SAM_2)?;
        let parts: Vec<(Noun, u64)> =
            items(heap, at(heap, core, SAM_3)?)?.into_iter().map(|item| (item, step << a)).collect();
        assemble(heap, &parts)
    })())
}

/// The pieces of `b`, `step` blocks of 2^a bits each, lowest first, until nothing is left.
fn pieces(heap: &mut Heap, a: u64, step: u64, b: Noun) -> Step<Vec<Noun>> {
    let blocks = heap.met(a, b).map_err(atom_error(None))?;
    if step == 0 {
        // The arm never ends on a non-zero atom with a zero step; only 0 gives ~.
        return if blocks == 0 { Ok(Vec::new()) } else { Err(JetOutcome::Punt) };
    }
    (0..blocks.div_ceil(step)).map(|i| heap.cut(a, i * step, step, b).map_err(atom_error(None))).collect()
}

/// `(rip [a s] b)`: the list of s-block pieces of b, lowest first.
pub fn rip(heap: &mut Heap, core: Noun) -> JetOutcome {
    finish((|| {
        let (a, step) = bite_at(heap, core, SAM_2)?;
        let b = atom_at(heap, core, SAM_3)?;
        let list = pieces(heap, a, step, b)?;
        Ok(heap.list(&list))
    })())
}

/// `(swp a b)`: reverse the order of b's blocks.
pub fn swp(heap: &mut Heap, core: Noun) -> JetOutcome {
    finish((|| {
        let a = bloq_at(heap, core, SAM_2)?;
        let b = atom_at(heap, core, SAM_3)?;
        swap_blocks(heap, a, b)
    })())
}

fn swap_blocks(heap: &mut Heap, a: u64, b: Noun) -> Step<Noun> {
    let parts: Vec<(Noun, u64)> = pieces(heap, a, 1, b)?.into_iter().rev().map(|p| (p, 1 << a)).collect();
    assemble(heap, &parts)
}

/// `(rev boz len dat)`: reverse the order of the first `len` blocks of `dat`, leading zeros included.
pub fn rev(heap: &mut Heap, core: Noun) -> JetOutcome {
    finish((|| {
        let boz = bloq_at(heap, core, SAM_2)?;
        let len = count(heap, at(heap, core, SAM_6)?)?;
        let dat = atom_at(heap, core, SAM_7)?;
        let dat = heap.end(boz, len, dat).map_err(atom_error(None))?;
        let used = heap.met(boz, dat).map_err(atom_error(None))?;
        let swapped = swap_blocks(heap, boz, dat)?;
        heap.lsh(boz, len - used, swapped).map_err(atom_error(None))
    })())
}

/// `(xeb a)`: the bit length of a.
pub fn xeb(heap: &mut Heap, core: Noun) -> JetOutcome {
    finish((|| {
        let a = atom_at(heap, core, SAMPLE)?;
        let bits = heap.met(0, a).map_err(atom_error(None))?;
        Ok(heap.atom_u64(bits))
    })())
}

fn logic(
    heap: &mut Heap,
    core: Noun,
    op: fn(&mut Heap, Noun, Noun) -> Result<Noun, components::AtomError>,
) -> JetOutcome {
    finish((|| {
        let (a, b) = (atom_at(heap, core, SAM_2)?, atom_at(heap, core, SAM_3)?);
        op(heap, a, b).map_err(atom_error(None))
    })())
}

pub fn con(heap: &mut Heap, core: Noun) -> JetOutcome {
    logic(heap, core, Heap::con)
}

pub fn dis(heap: &mut Heap, core: Noun) -> JetOutcome {
    logic(heap, core, Heap::dis)
}

pub fn mix(heap: &mut Heap, core: Noun) -> JetOutcome {
    logic(heap, core, Heap::mix)
}
