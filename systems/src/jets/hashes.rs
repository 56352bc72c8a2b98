//! Chapter 3 of hoon.hoon: SHA-2 and SHA-1 (`shax`, `shay`, `shas`, `shal`, `sha1`). Hoon's k140 reads the
//! message as an atom's little-endian bytes and returns the FIPS digest as a little-endian atom (so the
//! atom is the digest byte-reversed when read as a number); `sha1` takes and gives big-endian bytes.

use super::axis::{SAM_2, SAM_3, SAMPLE};
use super::{JetOutcome, Step, atom_at, fail, finish};
use components::{Heap, Noun};
use sha1::Sha1;
use sha2::{Digest, Sha256, Sha512};

/// The longest message hashed here; longer `len` arguments are an implementation limit.
const MESSAGE_BYTES_MAX: u64 = 1 << 31;

/// The first `len` little-endian bytes of an atom, zero-padded.
fn bytes_of(heap: &Heap, atom: Noun, len: u64) -> Step<Vec<u8>> {
    if len > MESSAGE_BYTES_MAX {
        return Err(fail());
    }
    let mut bytes = heap.atom(atom).ok_or(JetOutcome::Punt)?.to_bytes();
    bytes.resize(len as usize, 0);
    Ok(bytes)
}

fn len_at(heap: &Heap, core: Noun, axis: u64) -> Step<u64> {
    let noun = atom_at(heap, core, axis)?;
    heap.as_u64(noun).ok_or(fail())
}

fn sha256(bytes: &[u8]) -> [u8; 32] {
    Sha256::digest(bytes).into()
}

/// `(shax ruz)`: SHA-256 of ruz's bytes.
pub fn shax(heap: &mut Heap, core: Noun) -> JetOutcome {
    finish((|| {
        let ruz = atom_at(heap, core, SAMPLE)?;
        let bytes = heap.atom(ruz).expect("an atom").to_bytes();
        Ok(heap.atom_from_bytes(&sha256(&bytes)))
    })())
}

/// `(shay len ruz)`: SHA-256 of exactly `len` bytes of ruz.
pub fn shay(heap: &mut Heap, core: Noun) -> JetOutcome {
    finish((|| {
        let len = len_at(heap, core, SAM_2)?;
        let bytes = bytes_of(heap, atom_at(heap, core, SAM_3)?, len)?;
        Ok(heap.atom_from_bytes(&sha256(&bytes)))
    })())
}

/// `(shal len ruz)`: SHA-512 of exactly `len` bytes of ruz.
pub fn shal(heap: &mut Heap, core: Noun) -> JetOutcome {
    finish((|| {
        let len = len_at(heap, core, SAM_2)?;
        let bytes = bytes_of(heap, atom_at(heap, core, SAM_3)?, len)?;
        let digest: [u8; 64] = Sha512::digest(&bytes).into();
        Ok(heap.atom_from_bytes(&digest))
    })())
}

/// `(shas sal ruz)`: the salted hash, as Vere computes it: SHA-256 of ruz, XORed with the salt; then
/// SHA-256 of those 32 bytes (of the salt's length when it is longer). The arm hashes only the XOR's
/// significant bytes, so it differs when the XOR's top byte is 0 and the salt is at most 32 bytes; Vere's
/// jet wins (vectors/jets.json records both).
pub fn shas(heap: &mut Heap, core: Noun) -> JetOutcome {
    finish((|| {
        let salt = heap.atom(atom_at(heap, core, SAM_2)?).expect("an atom").to_bytes();
        let ruz = heap.atom(atom_at(heap, core, SAM_3)?).expect("an atom").to_bytes();
        let mid = sha256(&ruz);
        let out = if salt.len() > 32 {
            let mut mixed = salt;
            mixed.iter_mut().zip(mid.iter()).for_each(|(s, m)| *s ^= m);
            sha256(&mixed)
        } else {
            let mut mixed = mid;
            mixed.iter_mut().zip(salt.iter()).for_each(|(m, s)| *m ^= s);
            sha256(&mixed)
        };
        Ok(heap.atom_from_bytes(&out))
    })())
}

/// `(sha-1l [wid dat])`: SHA-1 of `wid` big-endian bytes; the digest as a big-endian atom.
pub fn sha1(heap: &mut Heap, core: Noun) -> JetOutcome {
    finish((|| {
        let wid = len_at(heap, core, SAM_2)?;
        let mut bytes = bytes_of(heap, atom_at(heap, core, SAM_3)?, wid)?;
        bytes.reverse();
        let mut digest: [u8; 20] = Sha1::digest(&bytes).into();
        digest.reverse();
        Ok(heap.atom_from_bytes(&digest))
    })())
}
