//! Chapter 2e–2f of hoon.hoon: hashing and noun orders (`mug`, `muk`, `dor`, `gor`, `mor`).

use super::axis::{SAM_2, SAM_3, SAM_6, SAM_7, SAMPLE};
use super::{JetOutcome, at, atom_at, exit, fail, finish};
use components::{Heap, Noun};

/// The longest key `muk` hashes itself (Vere's limit on a direct length).
const MUK_BYTES_MAX: u64 = (1 << 31) - 1;

/// `(mug a)`.
pub fn mug(heap: &mut Heap, core: Noun) -> JetOutcome {
    finish((|| {
        let a = at(heap, core, SAMPLE)?;
        let mug = heap.mug(a);
        Ok(heap.atom_u64(mug as u64))
    })())
}

/// `(muk syd len key)`: murmur3 of `len` bytes of `key` with the low 32 bits of `syd`; crashes when the
/// key has more than `len` bytes.
pub fn muk(heap: &mut Heap, core: Noun) -> JetOutcome {
    finish((|| {
        let seed = atom_at(heap, core, SAM_2)?;
        let len = atom_at(heap, core, SAM_6)?;
        let key = atom_at(heap, core, SAM_7)?;
        let seed = heap.atom(seed).expect("an atom").limbs().first().copied().unwrap_or(0) as u32;
        let len = heap.as_u64(len).filter(|&l| l <= MUK_BYTES_MAX).ok_or(fail())?;
        let hash = components::mug::muk(seed, len as usize, heap.atom(key).expect("an atom").limbs())
            .ok_or(exit(None))?;
        Ok(heap.atom_u64(hash as u64))
    })())
}

/// `(dor a b)`: tree order.
pub fn dor(heap: &mut Heap, core: Noun) -> JetOutcome {
    finish((|| {
        let (a, b) = (at(heap, core, SAM_2)?, at(heap, core, SAM_3)?);
        Ok(Noun::loobean(heap.dor(a, b)))
    })())
}

/// `(gor a b)`: mug order.
pub fn gor(heap: &mut Heap, core: Noun) -> JetOutcome {
    finish((|| {
        let (a, b) = (at(heap, core, SAM_2)?, at(heap, core, SAM_3)?);
        Ok(Noun::loobean(heap.gor(a, b)))
    })())
}

/// `(mor a b)`: double-mug order.
pub fn mor(heap: &mut Heap, core: Noun) -> JetOutcome {
    finish((|| {
        let (a, b) = (at(heap, core, SAM_2)?, at(heap, core, SAM_3)?);
        Ok(Noun::loobean(heap.mor(a, b)))
    })())
}
