//! Chapter 3 of hoon.hoon: SHA-2 and SHA-1 (`shax`, `shay`, `shas`, `shal`, `sha1`). Hoon's k140 reads the
//! message as an atom's little-endian bytes and returns the FIPS digest as a little-endian atom (so the
//! atom is the digest byte-reversed when read as a number); `sha1` takes and gives big-endian bytes, and
//! so does zuse's `blake2b`.

use super::axis::{SAM_2, SAM_3, SAM_7, SAMPLE};
use super::{JetOutcome, Step, atom_at, fail, finish};
use crate::interp::Answer;
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

/// Messages at least this long are hashed as a [`crate::interp::Job`], which the app may run on its
/// thread pool (jet_dispatch) while other ships step; shorter ones are hashed at once.
pub const OFFLOAD_BYTES_MIN: usize = 1 << 20;

fn sha256_job(bytes: &[u8]) -> Answer {
    Answer::Atom(sha256(bytes).to_vec())
}

fn sha512_job(bytes: &[u8]) -> Answer {
    let digest: [u8; 64] = Sha512::digest(bytes).into();
    Answer::Atom(digest.to_vec())
}

/// The product: the digest of the message by `run`, at once, or as a job for a long message.
fn digest(heap: &mut Heap, run: fn(&[u8]) -> Answer, message: Step<Vec<u8>>) -> JetOutcome {
    match message {
        Ok(bytes) if bytes.len() >= OFFLOAD_BYTES_MIN => {
            JetOutcome::Offload(crate::interp::Job::Bytes { run, input: bytes })
        }
        Ok(bytes) => super::answered(heap, run(&bytes)),
        Err(outcome) => outcome,
    }
}

/// `(shax ruz)`: SHA-256 of ruz's bytes.
pub fn shax(heap: &mut Heap, core: Noun) -> JetOutcome {
    let message = atom_at(heap, core, SAMPLE).map(|ruz| heap.atom(ruz).expect("an atom").to_bytes());
    digest(heap, sha256_job, message)
}

/// `(shay len ruz)`: SHA-256 of exactly `len` bytes of ruz.
pub fn shay(heap: &mut Heap, core: Noun) -> JetOutcome {
    let message = sized_message(heap, core);
    digest(heap, sha256_job, message)
}

/// `(shal len ruz)`: SHA-512 of exactly `len` bytes of ruz.
pub fn shal(heap: &mut Heap, core: Noun) -> JetOutcome {
    let message = sized_message(heap, core);
    digest(heap, sha512_job, message)
}

/// The `len` bytes of `ruz` of a `[len ruz]` sample.
fn sized_message(heap: &Heap, core: Noun) -> Step<Vec<u8>> {
    let len = len_at(heap, core, SAM_2)?;
    bytes_of(heap, atom_at(heap, core, SAM_3)?, len)
}

/// `(shas sal ruz)`: the salted hash, as Vere computes it: SHA-256 of ruz, XORed with the salt; then
/// SHA-256 of those 32 bytes (of the salt's length when it is longer). The arm hashes only the XOR's
/// significant bytes, so it differs when the XOR's top byte is 0 and the salt is at most 32 bytes; Vere's
/// jet wins (vectors/jets.json records both).
pub fn shas(heap: &mut Heap, core: Noun) -> JetOutcome {
    finish((|| {
        let salt = heap.atom(atom_at(heap, core, SAM_2)?).expect("an atom").to_bytes();
        let ruz = heap.atom(atom_at(heap, core, SAM_3)?).expect("an atom").to_bytes();
        Ok(heap.atom_from_bytes(&salted(&salt, &ruz)))
    })())
}

/// Vere's `shas` on byte strings (the atoms' significant bytes).
fn salted(salt: &[u8], ruz: &[u8]) -> [u8; 32] {
    let mid = sha256(ruz);
    if salt.len() > 32 {
        let mut mixed = salt.to_vec();
        mixed.iter_mut().zip(mid.iter()).for_each(|(s, m)| *s ^= m);
        sha256(&mixed)
    } else {
        let mut mixed = mid;
        mixed.iter_mut().zip(salt.iter()).for_each(|(m, s)| *m ^= s);
        sha256(&mixed)
    }
}

/// The XOR of atoms given as little-endian bytes, as an atom's significant bytes.
fn mix_bytes(parts: &[&[u8]]) -> Vec<u8> {
    let mut out = vec![0u8; parts.iter().map(|p| p.len()).max().unwrap_or(0)];
    for part in parts {
        out.iter_mut().zip(part.iter()).for_each(|(o, p)| *o ^= p);
    }
    while out.last() == Some(&0) {
        out.pop();
    }
    out
}

/// The most bits `og/raw` makes; Vere's jet fails past a direct atom (2^31 - 1).
const RAW_BITS_MAX: u64 = (1 << 31) - 1;

/// `(~(raw og a) b)`: `b` pseudo-random bits from the seed `a`, 256 at a time, each block the salted
/// hash of the count left, the seed and the previous block (as Vere's jet computes them, with its
/// `shas`).
pub fn og_raw(heap: &mut Heap, core: Noun) -> JetOutcome {
    finish((|| {
        let bits = heap.as_u64(atom_at(heap, core, SAMPLE)?).filter(|&b| b <= RAW_BITS_MAX).ok_or(fail())?;
        let seed = heap.atom(atom_at(heap, core, 30)?).expect("an atom").to_bytes();
        if bits >= OFFLOAD_RAW_BITS_MIN {
            let mut input = bits.to_le_bytes().to_vec();
            input.extend_from_slice(&seed);
            return Err(JetOutcome::Offload(crate::interp::Job::Bytes { run: og_raw_job, input }));
        }
        Ok(heap.atom_from_bytes(&raw_bits(bits, &seed)))
    })())
}

/// `og/raw` asked for at least this many bits (a megabyte) is computed as a job (see
/// [`OFFLOAD_BYTES_MIN`]).
pub const OFFLOAD_RAW_BITS_MIN: u64 = 1 << 23;

/// The job of a long `og/raw`: the count of bits, then the seed's bytes.
pub fn og_raw_job(input: &[u8]) -> Answer {
    let (bits, seed) = input.split_at(8);
    Answer::Atom(raw_bits(u64::from_le_bytes(bits.try_into().expect("eight bytes")), seed))
}

/// `bits` pseudo-random bits from `seed` (its bytes), as bytes.
fn raw_bits(bits: u64, seed: &[u8]) -> Vec<u8> {
    let mut left = bits;
    let bits_bytes = |n: u64| n.to_le_bytes();
    let mut block = salted(b"og-a", &mix_bytes(&[&bits_bytes(left), seed]));
    let mut out = Vec::with_capacity(left.div_ceil(8) as usize);
    while left > 0 {
        block = salted(b"og-b", &mix_bytes(&[&bits_bytes(left), seed, &block]));
        if left < 256 {
            let bytes = left.div_ceil(8) as usize;
            out.extend_from_slice(&block[..bytes]);
            if !left.is_multiple_of(8) {
                *out.last_mut().expect("a byte") &= (1u8 << (left % 8)) - 1;
            }
            left = 0;
        } else {
            out.extend_from_slice(&block);
            left -= 256;
        }
    }
    out
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

/// BLAKE2b (RFC 7693) with a key of at most 64 bytes and a digest of 1 to 64 bytes.
mod blake2b {
    /// The `out_bytes`-byte digest of `message` under `key`. `key` is at most 64 bytes, `out_bytes` 1 to
    /// 64.
    pub fn digest(message: &[u8], key: &[u8], out_bytes: usize) -> Vec<u8> {
        blake2b_simd::Params::new().hash_length(out_bytes).key(key).hash(message).as_bytes().to_vec()
    }
}

/// `(blake2b:blake [wid dat] [wik dak] out)`: BLAKE2b of the message `wid` bytes long, keyed with the
/// `min(wik, 64)`-byte key, digest `out` bytes (clamped to 1..64). Byte strings are big-endian here: the
/// message's first byte is the top byte of its `wid`-byte atom (the key's likewise), and the digest's
/// first byte is the product's top byte. A `wid` past 2^31 bytes is an implementation limit (Vere's is
/// 2^32 - 1).
///
/// This is BLAKE2b as Vere computes it. The arm differs when a 128-byte block of key or message starts
/// with eight zero bytes: it numbers a block's words from the most significant non-zero one, so the words
/// shift (its `get-word-list` drops leading zero words). Vere's jet is the reference.
pub fn blake2b(heap: &mut Heap, core: Noun) -> JetOutcome {
    finish((|| {
        let wid = atom_at(heap, core, 24)?;
        let dat = atom_at(heap, core, 25)?;
        let wik = atom_at(heap, core, 52)?;
        let dak = atom_at(heap, core, 53)?;
        let out = atom_at(heap, core, SAM_7)?;
        let wid = heap.as_u64(wid).ok_or(fail())?;
        let key_bytes = heap.as_u64(wik).map_or(64, |n| n.min(64));
        let out_bytes = heap.as_u64(out).map_or(64, |n| n.clamp(1, 64));
        let mut message = bytes_of(heap, dat, wid)?;
        message.reverse();
        let mut key = bytes_of(heap, dak, key_bytes)?;
        key.reverse();
        let mut digest = blake2b::digest(&message, &key, out_bytes as usize);
        digest.reverse();
        Ok(heap.atom_from_bytes(&digest))
    })())
}

/// Keccak of a message (the original padding, as Ethereum uses, not SHA-3's) with a digest of
/// `BITS` bits.
fn keccak<const BITS: usize>(message: &[u8]) -> Vec<u8> {
    use sha3::Digest as _;
    match BITS {
        224 => sha3::Keccak224::digest(message).to_vec(),
        256 => sha3::Keccak256::digest(message).to_vec(),
        384 => sha3::Keccak384::digest(message).to_vec(),
        _ => sha3::Keccak512::digest(message).to_vec(),
    }
}

/// Keccak-N's digest of a message as a job answers it: its first byte the product's top byte.
fn keccak_job<const BITS: usize>(message: &[u8]) -> Answer {
    let mut digest = keccak::<BITS>(message);
    digest.reverse();
    Answer::Atom(digest)
}

/// `(keccak-N:keccak [p q])`: Keccak-N of the `p`-byte message `q`, whose first byte is the atom's low
/// byte (the arm reverses it into the sponge's big-endian order), the digest's first byte the product's
/// top byte; a message of [`OFFLOAD_BYTES_MIN`] or more is a job. A message of more than 2^31 bytes is an
/// implementation limit (a `fail`).
fn keccak_octs<const BITS: usize>(heap: &mut Heap, core: Noun) -> JetOutcome {
    let message = sized_message(heap, core);
    digest(heap, keccak_job::<BITS>, message)
}

/// `keccak-224:keccak`.
pub fn k224(heap: &mut Heap, core: Noun) -> JetOutcome {
    keccak_octs::<224>(heap, core)
}

/// `keccak-256:keccak`.
pub fn k256(heap: &mut Heap, core: Noun) -> JetOutcome {
    keccak_octs::<256>(heap, core)
}

/// `keccak-384:keccak`.
pub fn k384(heap: &mut Heap, core: Noun) -> JetOutcome {
    keccak_octs::<384>(heap, core)
}

/// `keccak-512:keccak`.
pub fn k512(heap: &mut Heap, core: Noun) -> JetOutcome {
    keccak_octs::<512>(heap, core)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(text: &str) -> Vec<u8> {
        (0..text.len()).step_by(2).map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap()).collect()
    }

    #[test]
    fn blake2b_matches_rfc7693_and_the_keyed_reference_vectors() {
        // RFC 7693 appendix A: BLAKE2b-512("abc").
        assert_eq!(
            blake2b::digest(b"abc", &[], 64),
            hex("ba80a53f981c4d0d6a2797b69f12f6e94c212f14685ac4b74b12bb6fdbffa2d1\
                 7d87c5392aab792dc252d5de4533cc9518d38aa8dbf1925ab92386edd4009923")
        );
        // The BLAKE2 reference keyed vectors (blake2b-kat.txt): key 00..3f, messages of 0 and 128 bytes.
        let key: Vec<u8> = (0..64).collect();
        assert_eq!(
            blake2b::digest(&[], &key, 64),
            hex("10ebb67700b1868efb4417987acf4690ae9d972fb7a590c2f02871799aaa4786\
                 b5e996e8f0f4eb981fc214b005f42d2ff4233499391653df7aefcbc13fc51568")
        );
        let message: Vec<u8> = (0..128).map(|i| i as u8).collect();
        assert_eq!(blake2b::digest(&message, &key, 64)[..4], hex("72065ee4")[..]);
    }
}
