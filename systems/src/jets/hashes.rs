//! Chapter 3 of hoon.hoon: SHA-2 and SHA-1 (`shax`, `shay`, `shas`, `shal`, `sha1`). Hoon's k140 reads the
//! message as an atom's little-endian bytes and returns the FIPS digest as a little-endian atom (so the
//! atom is the digest byte-reversed when read as a number); `sha1` takes and gives big-endian bytes, and
//! so does zuse's `blake2b`.

use super::axis::{SAM_2, SAM_3, SAM_7, SAMPLE};
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

/// BLAKE2b (RFC 7693) with a key of at most 64 bytes and a digest of 1 to 64 bytes.
mod blake2b {
    const IV: [u64; 8] = [
        0x6a09_e667_f3bc_c908,
        0xbb67_ae85_84ca_a73b,
        0x3c6e_f372_fe94_f82b,
        0xa54f_f53a_5f1d_36f1,
        0x510e_527f_ade6_82d1,
        0x9b05_688c_2b3e_6c1f,
        0x1f83_d9ab_fb41_bd6b,
        0x5be0_cd19_137e_2179,
    ];

    /// The message schedule of each round (rounds 10 and 11 repeat 0 and 1).
    const SIGMA: [[usize; 16]; 10] = [
        [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15],
        [14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3],
        [11, 8, 12, 0, 5, 2, 15, 13, 10, 14, 3, 6, 7, 1, 9, 4],
        [7, 9, 3, 1, 13, 12, 11, 14, 2, 6, 5, 10, 4, 0, 15, 8],
        [9, 0, 5, 7, 2, 4, 10, 15, 14, 1, 11, 12, 6, 8, 3, 13],
        [2, 12, 6, 10, 0, 11, 8, 3, 4, 13, 7, 5, 15, 14, 1, 9],
        [12, 5, 1, 15, 14, 13, 4, 10, 0, 7, 6, 3, 9, 2, 8, 11],
        [13, 11, 7, 14, 12, 1, 3, 9, 5, 0, 15, 4, 8, 6, 2, 10],
        [6, 15, 14, 9, 11, 3, 0, 8, 12, 2, 13, 7, 1, 4, 10, 5],
        [10, 2, 8, 4, 7, 6, 1, 5, 15, 11, 9, 14, 3, 12, 13, 0],
    ];

    const BLOCK_BYTES: usize = 128;

    fn mix(v: &mut [u64; 16], [a, b, c, d]: [usize; 4], x: u64, y: u64) {
        v[a] = v[a].wrapping_add(v[b]).wrapping_add(x);
        v[d] = (v[d] ^ v[a]).rotate_right(32);
        v[c] = v[c].wrapping_add(v[d]);
        v[b] = (v[b] ^ v[c]).rotate_right(24);
        v[a] = v[a].wrapping_add(v[b]).wrapping_add(y);
        v[d] = (v[d] ^ v[a]).rotate_right(16);
        v[c] = v[c].wrapping_add(v[d]);
        v[b] = (v[b] ^ v[c]).rotate_right(63);
    }

    /// Folds one block into the state; `count` is the number of message bytes so far, this block's
    /// included.
    fn compress(h: &mut [u64; 8], block: &[u8; BLOCK_BYTES], count: u128, last: bool) {
        let m: [u64; 16] =
            std::array::from_fn(|i| u64::from_le_bytes(block[8 * i..8 * i + 8].try_into().expect("8 bytes")));
        let mut v = [0u64; 16];
        v[..8].copy_from_slice(h);
        v[8..].copy_from_slice(&IV);
        v[12] ^= count as u64;
        v[13] ^= (count >> 64) as u64;
        if last {
            v[14] = !v[14];
        }
        for round in 0..12 {
            let s = &SIGMA[round % 10];
            mix(&mut v, [0, 4, 8, 12], m[s[0]], m[s[1]]);
            mix(&mut v, [1, 5, 9, 13], m[s[2]], m[s[3]]);
            mix(&mut v, [2, 6, 10, 14], m[s[4]], m[s[5]]);
            mix(&mut v, [3, 7, 11, 15], m[s[6]], m[s[7]]);
            mix(&mut v, [0, 5, 10, 15], m[s[8]], m[s[9]]);
            mix(&mut v, [1, 6, 11, 12], m[s[10]], m[s[11]]);
            mix(&mut v, [2, 7, 8, 13], m[s[12]], m[s[13]]);
            mix(&mut v, [3, 4, 9, 14], m[s[14]], m[s[15]]);
        }
        for i in 0..8 {
            h[i] ^= v[i] ^ v[i + 8];
        }
    }

    /// The `out_bytes`-byte digest of `message` under `key`. `key` is at most 64 bytes, `out_bytes` 1 to
    /// 64.
    pub fn digest(message: &[u8], key: &[u8], out_bytes: usize) -> Vec<u8> {
        debug_assert!(key.len() <= 64 && (1..=64).contains(&out_bytes));
        let mut h = IV;
        h[0] ^= 0x0101_0000 ^ ((key.len() as u64) << 8) ^ out_bytes as u64;
        let mut stream = Vec::with_capacity(BLOCK_BYTES + message.len());
        if !key.is_empty() {
            stream.extend_from_slice(key);
            stream.resize(BLOCK_BYTES, 0);
        }
        stream.extend_from_slice(message);
        // Every block but the last is full; the last (which may be empty) is zero-padded.
        let full_blocks = stream.len().saturating_sub(1) / BLOCK_BYTES;
        let mut count: u128 = 0;
        for chunk in stream.chunks_exact(BLOCK_BYTES).take(full_blocks) {
            count += BLOCK_BYTES as u128;
            compress(&mut h, chunk.try_into().expect("a block"), count, false);
        }
        let tail = &stream[full_blocks * BLOCK_BYTES..];
        let mut block = [0u8; BLOCK_BYTES];
        block[..tail.len()].copy_from_slice(tail);
        count += tail.len() as u128;
        compress(&mut h, &block, count, true);
        h.iter().flat_map(|w| w.to_le_bytes()).take(out_bytes).collect()
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
