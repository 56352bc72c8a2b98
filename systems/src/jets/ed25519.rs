//! `+ed:crypto` of zuse (the `coed` core): Ed25519 keys, signatures and the Curve25519 shared secret,
//! as Vere's jets compute them (which is RFC 8032 Ed25519 on little-endian byte strings).
//!
//! Keys, seeds and signatures are atoms read as little-endian bytes: a seed or key is 32 of them (shorter
//! atoms are zero-padded), a signature 64 (`R` then `S`), and a message is its `met 3` bytes. Where the
//! Hoon arms differ from Vere's jets, Vere is the reference (each function says where).

use super::axis::{SAM_2, SAM_3, SAM_6, SAM_7, SAMPLE};
use super::{JetOutcome, OFFLOAD_BYTES_MIN, Step, atom_at, exit, finish};
use crate::interp::{Answer, Job};
use components::{Heap, Noun};
use curve25519_dalek::montgomery::MontgomeryPoint;
use dashu_int::UBig;
use dashu_int::fast_div::ConstDivisor;
use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use sha2::{Digest, Sha512};

/// An atom's little-endian bytes in exactly `N` bytes, or `None` if it needs more.
fn bytes_fit<const N: usize>(heap: &Heap, atom: Noun) -> Option<[u8; N]> {
    let bytes = heap.atom(atom).expect("an atom").to_bytes();
    let mut out = [0u8; N];
    out.get_mut(..bytes.len())?.copy_from_slice(&bytes);
    Some(out)
}

/// A seed argument: more than 32 bytes crashes (the arm's `puck` does, via `suck` where it is called).
fn seed_at(heap: &Heap, core: Noun, axis: u64) -> Step<[u8; 32]> {
    let seed = atom_at(heap, core, axis)?;
    bytes_fit(heap, seed).ok_or(exit(None))
}

/// `(puck:ed sk)`: the public key of a 32-byte seed.
pub fn puck(heap: &mut Heap, core: Noun) -> JetOutcome {
    finish((|| {
        let seed = seed_at(heap, core, SAMPLE)?;
        let public = SigningKey::from_bytes(&seed).verifying_key().to_bytes();
        Ok(heap.atom_from_bytes(&public))
    })())
}

/// `(sign:ed m se)`: the Ed25519 signature of message `m` under seed `se`.
///
/// Vere signs the message's `met 3` bytes, as RFC 8032 does. The arm hashes `met 3` of the concatenated
/// nonce input instead, which drops bytes when the message is 0 and a hash half ends in zero bytes; Vere's
/// jet is the reference.
///
/// A message of [`OFFLOAD_BYTES_MIN`] or more is signed as a job (its hashing is the work).
pub fn sign(heap: &mut Heap, core: Noun) -> JetOutcome {
    finish((|| {
        let message = atom_at(heap, core, SAM_2)?;
        let seed = seed_at(heap, core, SAM_3)?;
        let message = heap.atom(message).expect("an atom").to_bytes();
        if message.len() >= OFFLOAD_BYTES_MIN {
            let input = [&seed[..], &message].concat();
            return Err(JetOutcome::Offload(Job::Bytes { run: sign_job, input }));
        }
        Ok(heap.atom_from_bytes(&signed(&seed, &message)))
    })())
}

fn signed(seed: &[u8; 32], message: &[u8]) -> [u8; 64] {
    SigningKey::from_bytes(seed).sign(message).to_bytes()
}

/// The job of a long `sign`: input the seed's 32 bytes, then the message.
fn sign_job(input: &[u8]) -> Answer {
    let (seed, message) = input.split_first_chunk::<32>().expect("a seed first");
    Answer::Atom(signed(seed, message).to_vec())
}

/// `(veri:ed s m pk)`: whether `s` is `pk`'s signature of `m`, a loobean.
///
/// Checked as Vere's jet does: `S` must not have any of its top three bits set (it is otherwise not
/// required to be reduced), `pk` must decode to a curve point, and `[S]B - [k]A` must encode to `R`'s
/// bytes. A signature wider than 64 bytes or a key wider than 32 punts to the arm, as Vere's jet does.
/// Vere verifies signatures and keys whose top bytes are zero; the arm answers `%.n` for them (its
/// length checks use `met 3`). Vere's jet is the reference.
///
/// A message of [`OFFLOAD_BYTES_MIN`] or more is checked as a job.
pub fn veri(heap: &mut Heap, core: Noun) -> JetOutcome {
    finish((|| {
        let signature = atom_at(heap, core, SAM_2)?;
        let message = atom_at(heap, core, SAM_6)?;
        let public = atom_at(heap, core, SAM_7)?;
        let signature: [u8; 64] = bytes_fit(heap, signature).ok_or(JetOutcome::Punt)?;
        let public: [u8; 32] = bytes_fit(heap, public).ok_or(JetOutcome::Punt)?;
        let message = heap.atom(message).expect("an atom").to_bytes();
        if message.len() >= OFFLOAD_BYTES_MIN {
            let input = [&signature[..], &public, &message].concat();
            return Err(JetOutcome::Offload(Job::Bytes { run: veri_job, input }));
        }
        Ok(loobean(verified(&signature, &public, &message)))
    })())
}

fn verified(signature: &[u8; 64], public: &[u8; 32], message: &[u8]) -> bool {
    VerifyingKey::from_bytes(public)
        .is_ok_and(|key| key.verify(message, &Signature::from_bytes(signature)).is_ok())
}

fn loobean(yes: bool) -> Noun {
    Noun::direct(if yes { 0 } else { 1 }).expect("a loobean")
}

/// The job of a long `veri`: input the signature's 64 bytes, the key's 32, then the message.
fn veri_job(input: &[u8]) -> Answer {
    let (signature, rest) = input.split_first_chunk::<64>().expect("a signature first");
    let (public, message) = rest.split_first_chunk::<32>().expect("then a key");
    Answer::Atom(if verified(signature, public, message) { vec![] } else { vec![1] })
}

/// The field prime of Curve25519, 2^255 - 19.
fn field_prime() -> UBig {
    (UBig::ONE << 255) - UBig::from(19u8)
}

/// The Montgomery `u` of an Edwards `y` given as 32 bytes: `(1 + y) / (1 - y)` mod p, with the top bit of
/// the bytes ignored and `1/0` taken as 0 (as the field inversion Vere uses computes it). No check that
/// `y` is on the curve.
fn montgomery_u(edwards_y: &[u8; 32]) -> [u8; 32] {
    let mut y = *edwards_y;
    y[31] &= 0x7f;
    let ring = ConstDivisor::new(field_prime());
    let y = ring.reduce(UBig::from_le_bytes(&y));
    let one = ring.reduce(UBig::ONE);
    let sum = one.clone() + y.clone();
    let u = match (one - y).inv() {
        Some(inverse) => (sum * inverse).residue(),
        None => UBig::ZERO,
    };
    let mut out = [0u8; 32];
    let bytes = u.to_le_bytes();
    out[..bytes.len()].copy_from_slice(&bytes);
    out
}

/// `(shar:ed pub sek)`: the Curve25519 shared secret of Ed25519 public key `pub` and seed `sek`: X25519
/// of the seed's clamped secret scalar with the Montgomery form of `pub`.
///
/// Vere reads `pub`'s `y` from its low 255 bits; the arm uses the whole atom (its top bit, the sign of
/// `x`, included), so the two differ for about half of all keys. A `pub` wider than 32 bytes punts, as
/// Vere's jet does. Vere's jet is the reference.
pub fn shar(heap: &mut Heap, core: Noun) -> JetOutcome {
    finish((|| {
        let public = atom_at(heap, core, SAM_2)?;
        let seed = atom_at(heap, core, SAM_3)?;
        let public: [u8; 32] = bytes_fit(heap, public).ok_or(JetOutcome::Punt)?;
        let seed: [u8; 32] = bytes_fit(heap, seed).ok_or(exit(None))?;
        let hash = Sha512::digest(seed);
        let scalar: [u8; 32] = hash[..32].try_into().expect("32 bytes");
        let shared = MontgomeryPoint(montgomery_u(&public)).mul_clamped(scalar);
        Ok(heap.atom_from_bytes(&shared.to_bytes()))
    })())
}

#[cfg(test)]
mod tests {
    use super::*;
    use components::Heap;

    fn hex(text: &str) -> Vec<u8> {
        (0..text.len()).step_by(2).map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap()).collect()
    }

    /// RFC 8032 §7.1, test 2: a one-byte message.
    const SEED: &str = "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb";
    const PUBLIC: &str = "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c";
    const SIGNATURE: &str = "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da\
                             085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00";

    fn gate(heap: &mut Heap, sample: Noun) -> Noun {
        heap.tuple(&[Noun::ZERO, sample, Noun::ZERO])
    }

    fn product(outcome: JetOutcome) -> Noun {
        match outcome {
            JetOutcome::Product(p) => p,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn rfc8032_test_two_signs_and_verifies() {
        let mut heap = Heap::new();
        let seed = heap.atom_from_bytes(&hex(SEED));
        let core = gate(&mut heap, seed);
        let public = product(puck(&mut heap, core));
        assert_eq!(bytes_fit::<32>(&heap, public).unwrap().to_vec(), hex(PUBLIC));

        let message = heap.atom_u64(0x72);
        let sample = heap.cell(message, seed);
        let core = gate(&mut heap, sample);
        let signature = product(sign(&mut heap, core));
        assert_eq!(bytes_fit::<64>(&heap, signature).unwrap().to_vec(), hex(SIGNATURE));

        let sample = heap.tuple(&[signature, message, public]);
        let core = gate(&mut heap, sample);
        assert_eq!(product(veri(&mut heap, core)).as_direct(), Some(0));
        let other = heap.atom_u64(0x73);
        let sample = heap.tuple(&[signature, other, public]);
        let core = gate(&mut heap, sample);
        assert_eq!(product(veri(&mut heap, core)).as_direct(), Some(1));
    }

    #[test]
    fn the_jobs_give_the_inline_answers() {
        let seed: [u8; 32] = hex(SEED).try_into().unwrap();
        let public: [u8; 32] = hex(PUBLIC).try_into().unwrap();
        let message = vec![0x72];
        let signature = signed(&seed, &message);
        assert_eq!(signature.to_vec(), hex(SIGNATURE));
        let mut heap = Heap::new();
        let from_job = |answer: Answer, heap: &mut Heap| answer.product(heap).unwrap();
        let job = from_job(sign_job(&[&seed[..], &message].concat()), &mut heap);
        let inline = heap.atom_from_bytes(&signature);
        assert!(heap.eq(job, inline), "the signature's atom (its last byte is 0 here)");
        for (message, valid) in [(&message[..], 0), (&[0x73][..], 1)] {
            let job = from_job(veri_job(&[&signature[..], &public, message].concat()), &mut heap);
            assert_eq!(job.as_direct(), Some(valid));
        }
    }

    #[test]
    fn shared_secrets_agree_both_ways() {
        let mut heap = Heap::new();
        let (a, b) = (heap.atom_u64(1234), heap.atom_u64(5678));
        let keys: Vec<Noun> = [a, b]
            .iter()
            .map(|&seed| {
                let core = gate(&mut heap, seed);
                product(puck(&mut heap, core))
            })
            .collect();
        let ab = heap.cell(keys[1], a);
        let ba = heap.cell(keys[0], b);
        let (ab, ba) = (gate(&mut heap, ab), gate(&mut heap, ba));
        let (x, y) = (product(shar(&mut heap, ab)), product(shar(&mut heap, ba)));
        assert!(heap.eq(x, y));
    }

    #[test]
    fn wide_seeds_crash_and_wide_keys_punt() {
        let mut heap = Heap::new();
        let wide = heap.atom_from_bytes(&[1u8; 33]);
        let core = gate(&mut heap, wide);
        assert!(matches!(puck(&mut heap, core), JetOutcome::Crash(_)));
        let small = heap.atom_u64(5);
        let sample = heap.cell(wide, small);
        let core = gate(&mut heap, sample);
        assert!(matches!(shar(&mut heap, core), JetOutcome::Punt));
    }
}
