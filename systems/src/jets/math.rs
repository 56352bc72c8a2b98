//! Chapter 1a of hoon.hoon: unsigned arithmetic and tree addressing (`add` … `sub`, `cap`, `mas`, `peg`),
//! plus `pow` and `sqt` from chapter 2.

use super::axis::{SAM_2, SAM_3, SAMPLE};
use super::{JetOutcome, Step, at, atom_at, atom_error, exit, finish};
use crate::interp::Answer;
use components::{Heap, Noun, UBig};
use std::cmp::Ordering;

fn pair(heap: &Heap, core: Noun) -> Step<(Noun, Noun)> {
    Ok((atom_at(heap, core, SAM_2)?, atom_at(heap, core, SAM_3)?))
}

/// `(add a b)`; `(add 0 b)` is `b` even for a cell, as in the arm.
pub fn add(heap: &mut Heap, core: Noun) -> JetOutcome {
    finish((|| {
        let a = at(heap, core, SAM_2)?;
        if a.as_direct() == Some(0) {
            return at(heap, core, SAM_3);
        }
        let (a, b) = pair(heap, core)?;
        heap.add(a, b).map_err(atom_error(None))
    })())
}

/// `(dec a)`: crashes on 0 with `decrement-underflow`.
pub fn dec(heap: &mut Heap, core: Noun) -> JetOutcome {
    finish((|| {
        let a = atom_at(heap, core, SAMPLE)?;
        heap.dec(a).map_err(atom_error(Some("decrement-underflow")))
    })())
}

/// `(sub a b)`: `(sub a 0)` is `a` even for a cell; crashes with `subtract-underflow` when b > a.
pub fn sub(heap: &mut Heap, core: Noun) -> JetOutcome {
    finish((|| {
        if at(heap, core, SAM_3)?.as_direct() == Some(0) {
            return at(heap, core, SAM_2);
        }
        let (a, b) = pair(heap, core)?;
        heap.sub(a, b).map_err(atom_error(Some("subtract-underflow")))
    })())
}

/// Products of at least this many bytes (estimated from the operands) are computed as a
/// [`crate::interp::Job`], which the app may run on its thread pool (jet_dispatch) while other ships
/// step and I/O goes on; smaller ones at once. Both ways give the same atom (the job computes what
/// [`Heap::mul`] and [`Heap::pow`] do, on the same bignums).
pub const OFFLOAD_PRODUCT_BYTES_MIN: u64 = 1 << 18;
/// A factor shorter than this is multiplied at once, however long the other (the work is linear).
const OFFLOAD_FACTOR_BYTES_MIN: u64 = 1 << 12;
/// Powers past this many bytes are left to [`Heap::pow`], which refuses what it cannot hold.
const OFFLOAD_POWER_BYTES_MAX: u64 = 1 << 30;

/// A job's input: the first operand's length, then both operands' bytes.
fn two_operands(a: &[u8], b: &[u8]) -> Vec<u8> {
    let mut input = Vec::with_capacity(8 + a.len() + b.len());
    input.extend_from_slice(&(a.len() as u64).to_le_bytes());
    input.extend_from_slice(a);
    input.extend_from_slice(b);
    input
}

fn split_operands(input: &[u8]) -> (UBig, UBig) {
    let (len, rest) = input.split_at(8);
    let len = u64::from_le_bytes(len.try_into().expect("eight bytes")) as usize;
    let (a, b) = rest.split_at(len);
    (UBig::from_le_bytes(a), UBig::from_le_bytes(b))
}

/// The job of a long `mul`: the product's bytes.
pub fn mul_job(input: &[u8]) -> Answer {
    let (a, b) = split_operands(input);
    Answer::Atom((a * b).to_le_bytes().into_vec())
}

/// The job of a long `pow`: the power's bytes (the exponent is the second operand, under 2^64).
pub fn pow_job(input: &[u8]) -> Answer {
    let (base, exponent) = split_operands(input);
    let exponent = u64::try_from(&exponent).expect("an exponent that fits");
    Answer::Atom(base.pow(exponent as usize).to_le_bytes().into_vec())
}

/// `(mul a b)`: `(mul 0 b)` is 0 whatever b is.
pub fn mul(heap: &mut Heap, core: Noun) -> JetOutcome {
    finish((|| {
        if at(heap, core, SAM_2)?.as_direct() == Some(0) {
            return Ok(Noun::ZERO);
        }
        let (a, b) = pair(heap, core)?;
        let (la, lb) = (heap.atom(a).expect("an atom").byte_len(), heap.atom(b).expect("an atom").byte_len());
        if la.min(lb) >= OFFLOAD_FACTOR_BYTES_MIN && la + lb >= OFFLOAD_PRODUCT_BYTES_MIN {
            let input = two_operands(
                &heap.atom(a).expect("an atom").to_bytes(),
                &heap.atom(b).expect("an atom").to_bytes(),
            );
            return Err(JetOutcome::Offload(crate::interp::Job::Bytes { run: mul_job, input }));
        }
        heap.mul(a, b).map_err(atom_error(None))
    })())
}

/// `(div a b)`: crashes on b = 0 with `divide-by-zero`.
pub fn div(heap: &mut Heap, core: Noun) -> JetOutcome {
    finish((|| {
        let (a, b) = pair(heap, core)?;
        heap.div(a, b).map_err(atom_error(Some("divide-by-zero")))
    })())
}

/// `(mod a b)`: crashes on b = 0 (no `%mean`: the arm asserts before computing).
pub fn rem(heap: &mut Heap, core: Noun) -> JetOutcome {
    finish((|| {
        if at(heap, core, SAM_3)?.as_direct() == Some(0) {
            return Err(exit(None));
        }
        let (a, b) = pair(heap, core)?;
        heap.rem(a, b).map_err(atom_error(None))
    })())
}

/// `(dvr a b)`: `[(div a b) (mod a b)]`; b = 0 crashes in `div` first.
pub fn dvr(heap: &mut Heap, core: Noun) -> JetOutcome {
    finish((|| {
        let (a, b) = pair(heap, core)?;
        let (q, r) = heap.dvr(a, b).map_err(atom_error(Some("divide-by-zero")))?;
        Ok(heap.cell(q, r))
    })())
}

fn compare(heap: &mut Heap, core: Noun, yes: fn(Ordering) -> bool) -> JetOutcome {
    finish((|| {
        let (a, b) = pair(heap, core)?;
        let order = heap.cmp_atom(a, b).map_err(atom_error(None))?;
        Ok(Noun::loobean(yes(order)))
    })())
}

pub fn lth(heap: &mut Heap, core: Noun) -> JetOutcome {
    compare(heap, core, Ordering::is_lt)
}

pub fn lte(heap: &mut Heap, core: Noun) -> JetOutcome {
    compare(heap, core, Ordering::is_le)
}

pub fn gth(heap: &mut Heap, core: Noun) -> JetOutcome {
    compare(heap, core, Ordering::is_gt)
}

pub fn gte(heap: &mut Heap, core: Noun) -> JetOutcome {
    compare(heap, core, Ordering::is_ge)
}

/// `(pow a b)`.
pub fn pow(heap: &mut Heap, core: Noun) -> JetOutcome {
    finish((|| {
        let (a, b) = pair(heap, core)?;
        let base_bits = heap.atom(a).expect("an atom").bit_len();
        if base_bits >= 2
            && let Some(exponent) = heap.as_u64(b)
        {
            let bytes = ((base_bits - 1).saturating_mul(exponent) / 8).saturating_add(1);
            if (OFFLOAD_PRODUCT_BYTES_MIN..=OFFLOAD_POWER_BYTES_MAX).contains(&bytes) {
                let input = two_operands(&heap.atom(a).expect("an atom").to_bytes(), &exponent.to_le_bytes());
                return Err(JetOutcome::Offload(crate::interp::Job::Bytes { run: pow_job, input }));
            }
        }
        heap.pow(a, b).map_err(atom_error(None))
    })())
}

/// `(sqt a)`: `[root remainder]`.
pub fn sqt(heap: &mut Heap, core: Noun) -> JetOutcome {
    finish((|| {
        let a = atom_at(heap, core, SAMPLE)?;
        let (root, rest) = heap.sqt(a).map_err(atom_error(None))?;
        Ok(heap.cell(root, rest))
    })())
}

/// The bit length of an axis atom that is at least 2; `None` for 0 and 1, where the tree arms crash.
fn axis_bits(heap: &Heap, a: Noun) -> Option<u64> {
    Some(heap.atom(a)?.bit_len()).filter(|&bits| bits >= 2)
}

/// `(cap a)`: 2 if axis `a` is in the head, 3 if in the tail; crashes on 0 and 1.
pub fn cap(heap: &mut Heap, core: Noun) -> JetOutcome {
    finish((|| {
        let a = atom_at(heap, core, SAMPLE)?;
        let bits = axis_bits(heap, a).ok_or(exit(None))?;
        let second = heap.atom(a).expect("an atom").bit(bits - 2);
        Ok(Noun::direct(2 + second as u64).expect("small"))
    })())
}

/// `(mas a)`: the axis within the head or tail; crashes on 0 and 1.
pub fn mas(heap: &mut Heap, core: Noun) -> JetOutcome {
    finish((|| {
        let a = atom_at(heap, core, SAMPLE)?;
        let bits = axis_bits(heap, a).ok_or(exit(None))?;
        // Drop the second-highest bit: keep the low bits - 2 bits, then put the top bit back one lower.
        let low = heap.end(0, bits - 2, a).map_err(atom_error(None))?;
        let top = heap.bex(bits - 2).map_err(atom_error(None))?;
        heap.con(low, top).map_err(atom_error(None))
    })())
}

/// `(peg a b)`: axis `b` within axis `a`. Crashes on a = 0, and (as Vere's jet does; the arm never ends)
/// on b = 0.
pub fn peg(heap: &mut Heap, core: Noun) -> JetOutcome {
    finish((|| {
        let (a, b) = pair(heap, core)?;
        if a.as_direct() == Some(0) || b.as_direct() == Some(0) {
            return Err(exit(None));
        }
        let b_bits = heap.atom(b).expect("an atom").bit_len();
        let shifted = heap.lsh(0, b_bits - 1, a).map_err(atom_error(None))?;
        let below = heap.end(0, b_bits - 1, b).map_err(atom_error(None))?;
        heap.con(shifted, below).map_err(atom_error(None))
    })())
}
