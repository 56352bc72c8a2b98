//! Arithmetic and bit operations on atoms, with Hoon's meanings (`+add`, `+sub`, `+lsh`, `+cut`, ...):
//! the primitives that Nock 4 and the jets are made of. Direct atoms take a fast path; larger values go
//! through the `dashu-int` bignum crate, or are built limb by limb in place for the bit operations.
//!
//! Every operation takes atom handles and fails with [`AtomError`] instead of panicking: a cell where an
//! atom was expected, Hoon's own crashes (`(sub 1 2)`, `(div 1 0)`), and results past
//! [`ATOM_BITS_MAX`], which a caller treats as out of memory (or, in a jet, as a reason to punt to Nock).
//!
//! ```
//! use components::Heap;
//! let mut heap = Heap::new();
//! let a = heap.parse("18446744073709551615").unwrap();
//! let b = heap.add(a, components::Noun::ONE).unwrap();
//! assert_eq!(heap.print(b), "18446744073709551616");
//! ```

use crate::heap::{AtomRef, Heap};
use crate::noun::Noun;
use crate::order::cmp_atoms;
use dashu_int::UBig;
use dashu_int::ops::{BitTest, SquareRootRem};
use std::cmp::Ordering;

/// The largest atom these operations build: 2^34 bits (2 GiB), the size of Vere's default loom.
pub const ATOM_BITS_MAX: u64 = 1 << 34;

/// Why an atom operation has no result.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AtomError {
    /// A cell was given where an atom was expected.
    NotAtom,
    /// Hoon's arm crashes on these inputs (subtracting past zero, dividing by zero, `dec 0`).
    Crash,
    /// The result, or a size in the arguments, is past [`ATOM_BITS_MAX`].
    TooLarge,
}

impl std::fmt::Display for AtomError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AtomError::NotAtom => write!(f, "a cell where an atom was expected"),
            AtomError::Crash => write!(f, "no value (the arm crashes on these inputs)"),
            AtomError::TooLarge => write!(f, "atom larger than {ATOM_BITS_MAX} bits"),
        }
    }
}

impl std::error::Error for AtomError {}

type Result<T> = std::result::Result<T, AtomError>;

/// The number of bits in a block of size `bloq` (2^bloq), if it is within the atom limit.
fn bloq_bits(bloq: u64) -> Result<u64> {
    if bloq > 34 { Err(AtomError::TooLarge) } else { Ok(1 << bloq) }
}

/// `count` blocks of `bloq`, in bits, within the atom limit.
fn blocks_bits(bloq: u64, count: u64) -> Result<u64> {
    bloq_bits(bloq)?.checked_mul(count).filter(|&b| b <= ATOM_BITS_MAX).ok_or(AtomError::TooLarge)
}

impl Heap {
    fn atom_arg(&self, noun: Noun) -> Result<AtomRef<'_>> {
        self.atom(noun).ok_or(AtomError::NotAtom)
    }

    fn ubig_arg(&self, noun: Noun) -> Result<UBig> {
        Ok(self.atom_arg(noun)?.to_ubig())
    }

    /// An atom argument that must fit in 64 bits (a size, a count, a bloq); bigger ones are too large.
    pub fn u64_arg(&self, noun: Noun) -> Result<u64> {
        self.atom_arg(noun)?.as_u64().ok_or(AtomError::TooLarge)
    }

    fn checked_result(&mut self, value: &UBig) -> Result<Noun> {
        if value.bit_len() as u64 > ATOM_BITS_MAX {
            return Err(AtomError::TooLarge);
        }
        Ok(self.atom_from_ubig(value))
    }

    // ---- arithmetic --------------------------------------------------------------------------------

    /// `+(a)`: Nock 4.
    #[inline]
    pub fn inc(&mut self, a: Noun) -> Result<Noun> {
        // The common case here, in the caller; the rest out of line.
        if let Some(v) = a.as_direct()
            && let Some(next) = Noun::direct(v + 1)
        {
            return Ok(next);
        }
        self.inc_slow(a)
    }

    #[inline(never)]
    fn inc_slow(&mut self, a: Noun) -> Result<Noun> {
        match a.as_direct() {
            Some(v) => Ok(self.atom_u64(v + 1)), // v < 2^63, so v + 1 cannot overflow
            None => {
                let limbs = self.atom_arg(a)?.limbs().to_vec();
                let len = limbs.len() + 1;
                Ok(self.atom_with_limbs(len, |out| {
                    let mut carry = true;
                    for (o, &l) in out.iter_mut().zip(limbs.iter()) {
                        let (sum, overflow) = l.overflowing_add(carry as u64);
                        *o = sum;
                        carry = overflow;
                    }
                    out[len - 1] = carry as u64;
                }))
            }
        }
    }

    /// `(dec a)`; crashes on 0.
    pub fn dec(&mut self, a: Noun) -> Result<Noun> {
        match a.as_direct() {
            Some(0) => Err(AtomError::Crash),
            Some(v) => Ok(Noun::direct(v - 1).expect("smaller than a direct atom")),
            None => self.sub(a, Noun::ONE),
        }
    }

    /// `(add a b)`.
    pub fn add(&mut self, a: Noun, b: Noun) -> Result<Noun> {
        if let (Some(x), Some(y)) = (a.as_direct(), b.as_direct()) {
            return Ok(self.atom_u64(x + y)); // both below 2^63
        }
        let sum = self.ubig_arg(a)? + self.ubig_arg(b)?;
        self.checked_result(&sum)
    }

    /// `(sub a b)`; crashes when b > a.
    pub fn sub(&mut self, a: Noun, b: Noun) -> Result<Noun> {
        if let (Some(x), Some(y)) = (a.as_direct(), b.as_direct()) {
            return x.checked_sub(y).map(|d| self.atom_u64(d)).ok_or(AtomError::Crash);
        }
        let (x, y) = (self.ubig_arg(a)?, self.ubig_arg(b)?);
        if y > x {
            return Err(AtomError::Crash);
        }
        Ok(self.atom_from_ubig(&(x - y)))
    }

    /// `(mul a b)`.
    pub fn mul(&mut self, a: Noun, b: Noun) -> Result<Noun> {
        if let (Some(x), Some(y)) = (a.as_direct(), b.as_direct()) {
            let product = x as u128 * y as u128;
            return Ok(self.atom_from_limbs(&[product as u64, (product >> 64) as u64]));
        }
        let (x, y) = (self.ubig_arg(a)?, self.ubig_arg(b)?);
        if x.bit_len() as u64 + y.bit_len() as u64 > ATOM_BITS_MAX + 1 {
            return Err(AtomError::TooLarge);
        }
        self.checked_result(&(x * y))
    }

    /// `(div a b)`: the quotient, rounded down; crashes on b = 0.
    pub fn div(&mut self, a: Noun, b: Noun) -> Result<Noun> {
        self.dvr(a, b).map(|(q, _)| q)
    }

    /// `(mod a b)`: the remainder; crashes on b = 0.
    pub fn rem(&mut self, a: Noun, b: Noun) -> Result<Noun> {
        self.dvr(a, b).map(|(_, r)| r)
    }

    /// `(dvr a b)`: quotient and remainder; crashes on b = 0.
    pub fn dvr(&mut self, a: Noun, b: Noun) -> Result<(Noun, Noun)> {
        if let (Some(x), Some(y)) = (a.as_direct(), b.as_direct()) {
            if y == 0 {
                return Err(AtomError::Crash);
            }
            return Ok((Noun::direct(x / y).expect("direct"), Noun::direct(x % y).expect("direct")));
        }
        let (x, y) = (self.ubig_arg(a)?, self.ubig_arg(b)?);
        if y == UBig::ZERO {
            return Err(AtomError::Crash);
        }
        let (q, r) = (&x / &y, &x % &y);
        Ok((self.atom_from_ubig(&q), self.atom_from_ubig(&r)))
    }

    /// `(pow a b)`: a to the power b.
    pub fn pow(&mut self, a: Noun, b: Noun) -> Result<Noun> {
        let base = self.ubig_arg(a)?;
        let exponent = self.atom_arg(b)?;
        if base <= UBig::ONE || exponent.bit_len() == 0 {
            let one_or_base = if exponent.bit_len() == 0 { UBig::ONE } else { base };
            return Ok(self.atom_from_ubig(&one_or_base));
        }
        let exponent = exponent.as_u64().ok_or(AtomError::TooLarge)?;
        let bits = (base.bit_len() as u64 - 1).saturating_mul(exponent);
        if bits > ATOM_BITS_MAX {
            return Err(AtomError::TooLarge);
        }
        self.checked_result(&base.pow(exponent as usize))
    }

    /// `(sqt a)`: the integer square root and the remainder, `[root rem]` with `a = root^2 + rem`.
    pub fn sqt(&mut self, a: Noun) -> Result<(Noun, Noun)> {
        let (root, rem) = self.ubig_arg(a)?.sqrt_rem();
        Ok((self.atom_from_ubig(&root), self.atom_from_ubig(&rem)))
    }

    /// Compares two atoms.
    pub fn cmp_atom(&self, a: Noun, b: Noun) -> Result<Ordering> {
        if let (Some(x), Some(y)) = (a.as_direct(), b.as_direct()) {
            return Ok(x.cmp(&y));
        }
        Ok(cmp_atoms(self.atom_arg(a)?, self.atom_arg(b)?))
    }

    // ---- bits --------------------------------------------------------------------------------------

    /// `(met bloq a)`: how many blocks of 2^bloq bits `a` needs.
    pub fn met(&self, bloq: u64, a: Noun) -> Result<u64> {
        let bits = self.atom_arg(a)?.bit_len();
        if bloq >= 64 {
            return Ok((bits > 0) as u64);
        }
        Ok(bits.div_ceil(1 << bloq))
    }

    /// `(bex a)`: 2^a.
    pub fn bex(&mut self, a: u64) -> Result<Noun> {
        if a >= ATOM_BITS_MAX {
            return Err(AtomError::TooLarge);
        }
        let limbs = (a / 64 + 1) as usize;
        Ok(self.atom_with_limbs(limbs, |out| out[limbs - 1] = 1 << (a % 64)))
    }

    /// The `len` bits of `a` starting at bit `start`, as a new atom. Copies only the limbs it reads.
    fn bit_slice(&mut self, a: Noun, start: u64, len: u64) -> Result<Noun> {
        if let Some(v) = a.as_direct() {
            let shifted = if start >= 64 { 0 } else { v >> start };
            let masked = if len >= 64 { shifted } else { shifted & ((1u64 << len) - 1) };
            return Ok(Noun::direct(masked).expect("no wider than the input"));
        }
        self.atom_arg(a)?;
        let all = self.indirect_limbs(a).expect("an indirect atom");
        let len = len.min((all.len() as u64 * 64).saturating_sub(start));
        let first = (start / 64) as usize;
        let last = ((start + len).div_ceil(64) as usize + 1).min(all.len());
        let window: Vec<u64> = all[first.min(last)..last].to_vec();
        let offset = start % 64;
        let out_limbs = len.div_ceil(64) as usize;
        Ok(self.atom_with_limbs(out_limbs, |out| {
            for (i, o) in out.iter_mut().enumerate() {
                *o = read_bits(&window, offset + i as u64 * 64, (len - i as u64 * 64).min(64) as u32);
            }
        }))
    }

    /// `(rsh [bloq n] a)`: drop the low n blocks.
    pub fn rsh(&mut self, bloq: u64, n: u64, a: Noun) -> Result<Noun> {
        let bit_len = self.atom_arg(a)?.bit_len();
        match bloq_bits(bloq).ok().and_then(|b| b.checked_mul(n)) {
            Some(shift) if shift < bit_len => self.bit_slice(a, shift, bit_len - shift),
            _ => Ok(Noun::ZERO),
        }
    }

    /// `(end [bloq n] a)`: keep the low n blocks.
    pub fn end(&mut self, bloq: u64, n: u64, a: Noun) -> Result<Noun> {
        let bit_len = self.atom_arg(a)?.bit_len();
        match bloq_bits(bloq).ok().and_then(|b| b.checked_mul(n)) {
            Some(keep) if keep < bit_len => self.bit_slice(a, 0, keep),
            _ => Ok(a),
        }
    }

    /// `(cut bloq [start len] a)`: `len` blocks of `a` from block `start`.
    pub fn cut(&mut self, bloq: u64, start: u64, len: u64, a: Noun) -> Result<Noun> {
        let bit_len = self.atom_arg(a)?.bit_len();
        let from = match bloq_bits(bloq).ok().and_then(|b| b.checked_mul(start)) {
            Some(from) if from < bit_len => from,
            _ => return Ok(Noun::ZERO),
        };
        let count = bloq_bits(bloq).ok().and_then(|b| b.checked_mul(len)).unwrap_or(u64::MAX);
        self.bit_slice(a, from, count.min(bit_len - from))
    }

    /// `(lsh [bloq n] a)`: shift left by n blocks.
    pub fn lsh(&mut self, bloq: u64, n: u64, a: Noun) -> Result<Noun> {
        let bit_len = self.atom_arg(a)?.bit_len();
        if bit_len == 0 {
            return Ok(Noun::ZERO);
        }
        let shift = blocks_bits(bloq, n)?;
        if shift + bit_len > ATOM_BITS_MAX {
            return Err(AtomError::TooLarge);
        }
        let limbs = self.atom_arg(a)?.limbs().to_vec();
        Ok(self
            .atom_with_limbs((shift + bit_len).div_ceil(64) as usize, |out| or_shifted(out, &limbs, shift)))
    }

    /// `(cat bloq a b)`: `b` above `a`, `a` padded to whole blocks.
    pub fn cat(&mut self, bloq: u64, a: Noun, b: Noun) -> Result<Noun> {
        let low_bits = blocks_bits(bloq, self.met(bloq, a)?)?;
        let high_bits = self.atom_arg(b)?.bit_len();
        if low_bits + high_bits > ATOM_BITS_MAX {
            return Err(AtomError::TooLarge);
        }
        let low = self.atom_arg(a)?.limbs().to_vec();
        let high = self.atom_arg(b)?.limbs().to_vec();
        Ok(self.atom_with_limbs((low_bits + high_bits).div_ceil(64) as usize, |out| {
            or_shifted(out, &low, 0);
            or_shifted(out, &high, low_bits);
        }))
    }

    fn limbwise(&mut self, a: Noun, b: Noun, op: impl Fn(u64, u64) -> u64) -> Result<Noun> {
        if let (Some(x), Some(y)) = (a.as_direct(), b.as_direct()) {
            return Ok(self.atom_u64(op(x, y)));
        }
        let x = self.atom_arg(a)?.limbs().to_vec();
        let y = self.atom_arg(b)?.limbs().to_vec();
        let len = x.len().max(y.len());
        Ok(self.atom_with_limbs(len, |out| {
            for (i, o) in out.iter_mut().enumerate() {
                *o = op(x.get(i).copied().unwrap_or(0), y.get(i).copied().unwrap_or(0));
            }
        }))
    }

    /// `(mix a b)`: exclusive or.
    pub fn mix(&mut self, a: Noun, b: Noun) -> Result<Noun> {
        self.limbwise(a, b, |x, y| x ^ y)
    }

    /// `(dis a b)`: and.
    pub fn dis(&mut self, a: Noun, b: Noun) -> Result<Noun> {
        self.limbwise(a, b, |x, y| x & y)
    }

    /// `(con a b)`: or.
    pub fn con(&mut self, a: Noun, b: Noun) -> Result<Noun> {
        self.limbwise(a, b, |x, y| x | y)
    }
}

/// `count` ≤ 64 bits of the number `limbs` from bit `start` (zero past the end).
fn read_bits(limbs: &[u64], start: u64, count: u32) -> u64 {
    if count == 0 {
        return 0;
    }
    let word = (start / 64) as usize;
    let offset = (start % 64) as u32;
    let low = limbs.get(word).copied().unwrap_or(0) >> offset;
    let high = if offset == 0 { 0 } else { limbs.get(word + 1).copied().unwrap_or(0) << (64 - offset) };
    let value = low | high;
    if count == 64 { value } else { value & ((1u64 << count) - 1) }
}

/// ORs `limbs << shift` into `out` (which is long enough).
fn or_shifted(out: &mut [u64], limbs: &[u64], shift: u64) {
    let word = (shift / 64) as usize;
    let offset = (shift % 64) as u32;
    for (i, &l) in limbs.iter().enumerate() {
        out[word + i] |= l << offset;
        if offset > 0 && l >> (64 - offset) != 0 {
            out[word + i + 1] |= l >> (64 - offset);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(heap: &mut Heap, text: &str) -> Noun {
        heap.parse(text).unwrap()
    }

    #[test]
    fn hoon_crashes_are_errors_not_panics() {
        let mut heap = Heap::new();
        let cell = n(&mut heap, "[1 2]");
        assert_eq!(heap.sub(Noun::ONE, Noun::direct(2).unwrap()).unwrap_err(), AtomError::Crash);
        assert_eq!(heap.div(Noun::ONE, Noun::ZERO).unwrap_err(), AtomError::Crash);
        assert_eq!(heap.dec(Noun::ZERO).unwrap_err(), AtomError::Crash);
        assert_eq!(heap.add(cell, Noun::ONE).unwrap_err(), AtomError::NotAtom);
        assert_eq!(heap.bex(1 << 40).unwrap_err(), AtomError::TooLarge);
        let two = Noun::direct(2).unwrap();
        let huge = n(&mut heap, "1000000000000");
        assert_eq!(heap.pow(two, huge).unwrap_err(), AtomError::TooLarge);
    }

    #[test]
    fn bit_operations_match_their_hoon_examples() {
        let mut heap = Heap::new();
        let a = n(&mut heap, "6513249"); // 'abc'
        let c = heap.cut(3, 1, 1, a).unwrap();
        assert_eq!(heap.print(c), "98"); // 'b'
        let e = heap.end(3, 1, a).unwrap();
        assert_eq!(heap.print(e), "97");
        let r = heap.rsh(3, 1, a).unwrap();
        assert_eq!(heap.print(r), "25442"); // 'bc'
        let l = heap.lsh(0, 70, Noun::ONE).unwrap();
        assert_eq!(heap.print(l), "1180591620717411303424");
        let cat = heap.cat(3, Noun::ONE, Noun::ONE).unwrap();
        assert_eq!(heap.print(cat), "257");
        assert_eq!(heap.met(3, a), Ok(3));
        assert_eq!(heap.met(0, Noun::ZERO), Ok(0));
    }
}
