//! zuse's `+scr` (crypto): PBKDF2-HMAC-SHA-256 (`pbk`, `pbl`) and scrypt (`hsh`, `hsl`). The arms read the
//! password and the salt as the little-endian bytes of atoms (exactly `pl` and `sl` bytes in the `l` forms,
//! cut or zero-padded; the atoms' own byte lengths otherwise) and give a derived key of `d` bytes as a
//! little-endian atom. On those byte strings they are RFC 8018's PBKDF2 with HMAC-SHA-256 and RFC 7914's
//! scrypt, which the `pbkdf2` and `scrypt` crates compute.
//!
//! The arms' own checks (an iteration count from 1 to 2^28 and a key of 1 to 2^30 bytes; for scrypt a
//! cost `n` that is a power of two below 2^(16 r), nonzero `r` and `z`, at most 1 GiB of memory, lengths
//! below 2^31) are left to the arm: the jet punts, and the Nock crashes at once as the arm does. A key
//! of no bytes or more than 2^30, which scrypt's arm refuses only after its whole work, is its crash at once.
//! A derivation of more than [`OFFLOAD_HMACS_MIN`] HMACs, or a scrypt over at least [`OFFLOAD_SCRYPT_BYTES_MIN`]
//! of memory, is a job.

use super::{JetOutcome, Step, at, atom_at, exit, finish};
use crate::interp::{Answer, Job};
use components::{Heap, Noun};

/// PBKDF2 derivations of at least this many HMACs (iterations times 32-byte blocks) are jobs.
pub const OFFLOAD_HMACS_MIN: u64 = 1 << 14;
/// scrypts whose memory (128 r n z bytes of mixing) is at least this are jobs.
pub const OFFLOAD_SCRYPT_BYTES_MIN: u64 = 1 << 20;

/// The arms' bounds: iterations, key bytes, scrypt's memory, and password and salt bytes.
const ITERATIONS_MAX: u64 = 1 << 28;
const KEY_BYTES_MAX: u64 = 1 << 30;
const MEMORY_MAX: u64 = 1 << 30;
const TEXT_BYTES_LIMIT: u64 = 1 << 31;

/// A size or count argument small enough for the arm to accept; anything else (a larger atom, a cell)
/// punts, and the arm decides.
fn count_at(heap: &Heap, core: Noun, axis: u64) -> Step<u64> {
    let noun = atom_at(heap, core, axis)?;
    heap.as_u64(noun).ok_or(JetOutcome::Punt)
}

/// `len` little-endian bytes of the atom at `axis` (cut, or padded with zeros).
fn text_at(heap: &Heap, core: Noun, axis: u64, len: u64) -> Step<Vec<u8>> {
    if len >= TEXT_BYTES_LIMIT {
        return Err(JetOutcome::Punt);
    }
    let mut bytes = heap.atom(atom_at(heap, core, axis)?).expect("an atom").to_bytes();
    bytes.resize(len as usize, 0);
    Ok(bytes)
}

/// The byte length of the atom at `axis` (`met 3`).
fn met_at(heap: &Heap, core: Noun, axis: u64) -> Step<u64> {
    let atom = atom_at(heap, core, axis)?;
    Ok(heap.atom(atom).expect("an atom").to_bytes().len() as u64)
}

/// Packs lengths and byte strings for a job: each length as 8 bytes, then the strings.
fn pack(numbers: &[u64], texts: &[&[u8]]) -> Vec<u8> {
    let mut input: Vec<u8> = numbers.iter().flat_map(|n| n.to_le_bytes()).collect();
    for text in texts {
        input.extend_from_slice(&(text.len() as u64).to_le_bytes());
    }
    for text in texts {
        input.extend_from_slice(text);
    }
    input
}

/// [`pack`]'s inverse: `N` numbers and `T` strings.
fn unpack<const N: usize, const T: usize>(input: &[u8]) -> ([u64; N], [&[u8]; T]) {
    let number = |i: usize| u64::from_le_bytes(input[i * 8..i * 8 + 8].try_into().expect("8 bytes"));
    let numbers = std::array::from_fn(number);
    let mut at = (N + T) * 8;
    let texts = std::array::from_fn(|i| {
        let len = number(N + i) as usize;
        let text = &input[at..at + len];
        at += len;
        text
    });
    (numbers, texts)
}

// ---- PBKDF2 ---------------------------------------------------------------------------------------------

fn pbkdf2(password: &[u8], salt: &[u8], iterations: u64, key_bytes: u64) -> Vec<u8> {
    let mut key = vec![0u8; key_bytes as usize];
    pbkdf2::pbkdf2_hmac::<sha2::Sha256>(password, salt, iterations as u32, &mut key);
    key
}

fn pbkdf2_job(input: &[u8]) -> Answer {
    let ([iterations, key_bytes], [password, salt]) = unpack::<2, 2>(input);
    Answer::Atom(pbkdf2(password, salt, iterations, key_bytes))
}

/// The key, or a job for a long derivation; the arm's checks failing punt.
fn derive(heap: &mut Heap, password: Vec<u8>, salt: Vec<u8>, iterations: u64, key_bytes: u64) -> JetOutcome {
    // (A key of no bytes is refused too: the arm counts its blocks down from one less than none.)
    if iterations == 0 || iterations > ITERATIONS_MAX || key_bytes == 0 || key_bytes > KEY_BYTES_MAX {
        return JetOutcome::Punt;
    }
    let hmacs = iterations * key_bytes.div_ceil(32);
    if hmacs >= OFFLOAD_HMACS_MIN {
        let input = pack(&[iterations, key_bytes], &[&password, &salt]);
        return JetOutcome::Offload(Job::Bytes { run: pbkdf2_job, input });
    }
    JetOutcome::Product(heap.atom_from_bytes(&pbkdf2(&password, &salt, iterations, key_bytes)))
}

/// `(pbk p s c d)`: PBKDF2-HMAC-SHA-256 of the password `p` and salt `s` (their own byte lengths), `c`
/// iterations, a key of `d` bytes.
pub fn pbk(heap: &mut Heap, core: Noun) -> JetOutcome {
    finish((|| {
        let (pl, sl) = (met_at(heap, core, 12)?, met_at(heap, core, 26)?);
        let (password, salt) = (text_at(heap, core, 12, pl)?, text_at(heap, core, 26, sl)?);
        let (c, d) = (count_at(heap, core, 54)?, count_at(heap, core, 55)?);
        Err(derive(heap, password, salt, c, d))
    })())
}

/// `(pbl p pl s sl c d)`: [`pbk`] with the password `pl` bytes long and the salt `sl`.
pub fn pbl(heap: &mut Heap, core: Noun) -> JetOutcome {
    finish((|| {
        let (pl, sl) = (count_at(heap, core, 26)?, count_at(heap, core, 110)?);
        let (password, salt) = (text_at(heap, core, 12, pl)?, text_at(heap, core, 54, sl)?);
        let (c, d) = (count_at(heap, core, 222)?, count_at(heap, core, 223)?);
        Err(derive(heap, password, salt, c, d))
    })())
}

// ---- scrypt ---------------------------------------------------------------------------------------------

/// RFC 7914's scrypt; `None` where the crate refuses the parameters (the arm then decides).
fn scrypt(password: &[u8], salt: &[u8], log_n: u8, r: u32, z: u32, key_bytes: u64) -> Option<Vec<u8>> {
    let params = scrypt::Params::new(log_n, r, z).ok()?;
    let mut key = vec![0u8; key_bytes as usize];
    scrypt::scrypt(password, salt, &params, &mut key).ok()?;
    Some(key)
}

fn scrypt_job(input: &[u8]) -> Answer {
    let ([log_n, r, z, key_bytes], [password, salt]) = unpack::<4, 2>(input);
    let key = scrypt(password, salt, log_n as u8, r as u32, z as u32, key_bytes);
    // The parameters were tried inline before the job was made (see `hash`).
    Answer::Atom(key.expect("parameters the crate accepts"))
}

/// The key of scrypt with cost `n`, block size `r` and parallelism `z`, or a job for a big one; the arm's
/// checks failing punt.
fn hash(heap: &mut Heap, password: Vec<u8>, salt: Vec<u8>, [n, r, z, d]: [u64; 4]) -> JetOutcome {
    let arm_accepts = n.is_power_of_two()
        && r != 0
        && z != 0
        && r < (1 << 32)
        && z < (1 << 32)
        && 128u128 * r as u128 * (n as u128 + z as u128 - 1) <= MEMORY_MAX as u128
        && n.trailing_zeros() < 16 * r.min(4) as u32;
    if !arm_accepts {
        return JetOutcome::Punt;
    }
    if d == 0 || d > KEY_BYTES_MAX {
        // The arm's last PBKDF2 refuses the key after the whole scrypt.
        return exit(None);
    }
    let log_n = n.trailing_zeros() as u8;
    // Whether the crate takes these parameters, with no work.
    if scrypt::Params::new(log_n, r as u32, z as u32).is_err() {
        return JetOutcome::Punt;
    }
    if 128 * r * n * z >= OFFLOAD_SCRYPT_BYTES_MIN {
        let input = pack(&[u64::from(log_n), r, z, d], &[&password, &salt]);
        return JetOutcome::Offload(Job::Bytes { run: scrypt_job, input });
    }
    match scrypt(&password, &salt, log_n, r as u32, z as u32, d) {
        Some(key) => JetOutcome::Product(heap.atom_from_bytes(&key)),
        None => JetOutcome::Punt,
    }
}

/// `(hsh p s n r z d)`: scrypt of the password `p` and salt `s` (their own byte lengths), cost `n`, block
/// size `r`, parallelism `z`, a key of `d` bytes.
pub fn hsh(heap: &mut Heap, core: Noun) -> JetOutcome {
    finish((|| {
        let (pl, sl) = (met_at(heap, core, 12)?, met_at(heap, core, 26)?);
        let (password, salt) = (text_at(heap, core, 12, pl)?, text_at(heap, core, 26, sl)?);
        let params = [54, 110, 222, 223].map(|axis| count_at(heap, core, axis));
        let [n, r, z, d] = params;
        Err(hash(heap, password, salt, [n?, r?, z?, d?]))
    })())
}

/// `(hsl p pl s sl n r z d)`: [`hsh`] with the password `pl` bytes long and the salt `sl`.
pub fn hsl(heap: &mut Heap, core: Noun) -> JetOutcome {
    finish((|| {
        let (pl, sl) = (count_at(heap, core, 26)?, count_at(heap, core, 110)?);
        let (password, salt) = (text_at(heap, core, 12, pl)?, text_at(heap, core, 54, sl)?);
        let params = [222, 446, 894, 895].map(|axis| count_at(heap, core, axis));
        let [n, r, z, d] = params;
        // The sample must be the 8-tuple all the way down.
        at(heap, core, 895)?;
        Err(hash(heap, password, salt, [n?, r?, z?, d?]))
    })())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(text: &str) -> Vec<u8> {
        let text: String = text.split_whitespace().collect();
        (0..text.len()).step_by(2).map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap()).collect()
    }

    #[test]
    fn the_rfc_7914_vectors() {
        // RFC 7914 §11: PBKDF2-HMAC-SHA256 ("passwd", "salt", 1, 64), and scrypt ("", "", 16, 1, 1, 64).
        let pbkdf2_key = hex(
            "55 ac 04 6e 56 e3 08 9f ec 16 91 c2 25 44 b6 05 f9 41 85 21 6d de 04 65 e6 8b 9d 57 c2 0d ac bc
             49 ca 9c cc f1 79 b6 45 99 16 64 b3 9d 77 ef 31 7c 71 b8 45 b1 e3 0b d5 09 11 20 41 d3 a1 97 83",
        );
        assert_eq!(pbkdf2(b"passwd", b"salt", 1, 64), pbkdf2_key);
        let scrypt_key = hex(
            "77 d6 57 62 38 65 7b 20 3b 19 ca 42 c1 8a 04 97 f1 6b 48 44 e3 07 4a e8 df df fa 3f ed e2 14 42
             fc d0 06 9d ed 09 48 f8 32 6a 75 3a 0f c8 1f 17 e8 d3 e0 fb 2e 0d 36 28 cf 35 e2 0c 38 d1 89 06",
        );
        assert_eq!(scrypt(b"", b"", 4, 1, 1, 64).unwrap(), scrypt_key);
    }

    #[test]
    fn the_jobs_give_the_inline_answers() {
        let input = pack(&[3, 40], &[b"password", b"NaCl"]);
        let Answer::Atom(key) = pbkdf2_job(&input) else { panic!("an atom") };
        assert_eq!(key, pbkdf2(b"password", b"NaCl", 3, 40));
        let input = pack(&[3, 2, 1, 33], &[b"password", b"NaCl"]);
        let Answer::Atom(key) = scrypt_job(&input) else { panic!("an atom") };
        assert_eq!(key, scrypt(b"password", b"NaCl", 3, 2, 1, 33).unwrap());
    }
}
