//! `+aes:crypto` of zuse: AES-SIV (RFC 5297) encryption and decryption, `siva` (two AES-128 keys) and
//! `sivc` (two AES-256 keys), as Vere's jets compute them.
//!
//! The door's sample is `[key vec]`: the key (32 or 64 bytes) and a list of associated-data atoms. Every
//! byte string is big-endian in its atom: the key is its full width (the MAC key in its top half), each
//! associated datum and the plaintext are their `met 3` bytes, the tag (`iv`) is 16 bytes, and the
//! ciphertext is `len` bytes.

use super::axis::{SAM_2, SAM_6, SAM_7, SAMPLE};
use super::hashes::OFFLOAD_BYTES_MIN;
use super::{JetOutcome, Step, at, atom_at, evil, fail, finish};
use crate::interp::{Answer, Job, Mote};
use aes_siv::siv::{Aes128Siv, Aes256Siv};
use aes_siv::{KeyInit, Tag};
use components::{Heap, Noun};

/// The door's sample, inside the gate core: the key and the associated data.
const KEY_AXIS: u64 = 60;
const ADS_AXIS: u64 = 61;

/// The most associated data items the cipher takes (RFC 5297's limit, less the plaintext); past it the
/// jet punts.
const HEADERS_MAX: usize = aes_siv::siv::MAX_HEADERS;

/// The longest ciphertext decrypted here; longer `len` arguments are an implementation limit.
const TEXT_BYTES_MAX: u64 = 1 << 31;

/// The two key sizes.
#[derive(Clone, Copy)]
enum Width {
    /// `siva`: 32 bytes.
    Aes128,
    /// `sivc`: 64 bytes.
    Aes256,
}

impl Width {
    fn key_bytes(self) -> usize {
        match self {
            Width::Aes128 => 32,
            Width::Aes256 => 64,
        }
    }
}

/// An atom's `met 3` bytes, most significant first.
fn big_endian(heap: &Heap, atom: Noun) -> Vec<u8> {
    let mut bytes = heap.atom(atom).expect("an atom").to_bytes();
    bytes.reverse();
    bytes
}

/// The atom whose big-endian bytes are `bytes`.
fn from_big_endian(heap: &mut Heap, bytes: &[u8]) -> Noun {
    let mut bytes = bytes.to_vec();
    bytes.reverse();
    heap.atom_from_bytes(&bytes)
}

/// The key as `width` big-endian bytes; a wider key punts (as in Vere: the arm does not check sizes).
fn key_at(heap: &Heap, core: Noun, width: Width) -> Step<Vec<u8>> {
    let key = atom_at(heap, core, KEY_AXIS)?;
    let mut bytes = heap.atom(key).expect("an atom").to_bytes();
    if bytes.len() > width.key_bytes() {
        return Err(JetOutcome::Punt);
    }
    bytes.resize(width.key_bytes(), 0);
    bytes.reverse();
    Ok(bytes)
}

/// The associated data: a list of atoms, each its `met 3` bytes. Other shapes, and more items than the
/// cipher takes, punt.
fn headers_at(heap: &Heap, core: Noun) -> Step<Vec<Vec<u8>>> {
    let mut list = at(heap, core, ADS_AXIS)?;
    let mut headers = Vec::new();
    while let Some((item, rest)) = heap.cell_parts(list) {
        if item.is_cell() || headers.len() == HEADERS_MAX {
            return Err(JetOutcome::Punt);
        }
        headers.push(big_endian(heap, item));
        list = rest;
    }
    if list.as_direct() != Some(0) {
        return Err(JetOutcome::Punt);
    }
    Ok(headers)
}

/// Encrypts `text` in place, giving the tag.
fn seal(width: Width, key: &[u8], headers: &[Vec<u8>], text: &mut [u8]) -> Option<Tag> {
    match width {
        Width::Aes128 => {
            Aes128Siv::new_from_slice(key).ok()?.encrypt_inout_detached(headers, text.into()).ok()
        }
        Width::Aes256 => {
            Aes256Siv::new_from_slice(key).ok()?.encrypt_inout_detached(headers, text.into()).ok()
        }
    }
}

/// Decrypts `text` in place if `tag` is right.
fn open(width: Width, key: &[u8], headers: &[Vec<u8>], text: &mut [u8], tag: &Tag) -> bool {
    match width {
        Width::Aes128 => Aes128Siv::new_from_slice(key)
            .is_ok_and(|mut siv| siv.decrypt_inout_detached(headers, text.into(), tag).is_ok()),
        Width::Aes256 => Aes256Siv::new_from_slice(key)
            .is_ok_and(|mut siv| siv.decrypt_inout_detached(headers, text.into(), tag).is_ok()),
    }
}

/// `(~(en siv key vec) txt)`: `[iv len ciphertext]`, `len` being `met 3` of the plaintext. A text of
/// [`OFFLOAD_BYTES_MIN`] or more is encrypted as a job (as is one decrypted), which the app may run on its
/// thread pool.
fn encrypt(width: Width, heap: &mut Heap, core: Noun) -> JetOutcome {
    finish((|| {
        let text = atom_at(heap, core, SAMPLE)?;
        let key = key_at(heap, core, width)?;
        let headers = headers_at(heap, core)?;
        let mut text = big_endian(heap, text);
        if text.len() >= OFFLOAD_BYTES_MIN {
            let input = pack(width, None, &key, &headers, &text);
            return Err(JetOutcome::Offload(Job::Bytes { run: seal_job, input }));
        }
        let tag = seal(width, &key, &headers, &mut text).ok_or(JetOutcome::Punt)?;
        Ok(sealed(heap, &tag, &text))
    })())
}

/// `[iv len ciphertext]`.
fn sealed(heap: &mut Heap, tag: &Tag, text: &[u8]) -> Noun {
    let iv = from_big_endian(heap, tag);
    let len = heap.atom_u64(text.len() as u64);
    let ciphertext = from_big_endian(heap, text);
    heap.tuple(&[iv, len, ciphertext])
}

/// A long text's encryption or decryption, as a job's input: the width, the tag (decryption), the key,
/// the associated data and the text, each with its length before it.
fn pack(width: Width, tag: Option<&Tag>, key: &[u8], headers: &[Vec<u8>], text: &[u8]) -> Vec<u8> {
    let mut input = vec![matches!(width, Width::Aes256) as u8];
    let mut field = |bytes: &[u8]| {
        input.extend_from_slice(&(bytes.len() as u64).to_le_bytes());
        input.extend_from_slice(bytes);
    };
    field(tag.map(|t| t.as_slice()).unwrap_or_default());
    field(key);
    field(&(headers.len() as u64).to_le_bytes());
    for header in headers {
        field(header);
    }
    field(text);
    input
}

/// What [`pack`] packed: width, tag (empty for encryption), key, associated data, text.
type Packed = (Width, Vec<u8>, Vec<u8>, Vec<Vec<u8>>, Vec<u8>);

fn unpack(input: &[u8]) -> Packed {
    let width = if input[0] == 1 { Width::Aes256 } else { Width::Aes128 };
    let mut rest = &input[1..];
    let mut field = || {
        let (len, after) = rest.split_at(8);
        let len = u64::from_le_bytes(len.try_into().expect("eight bytes")) as usize;
        let (bytes, after) = after.split_at(len);
        rest = after;
        bytes.to_vec()
    };
    let tag = field();
    let key = field();
    let count = u64::from_le_bytes(field().try_into().expect("eight bytes"));
    let headers = (0..count).map(|_| field()).collect();
    let text = field();
    (width, tag, key, headers, text)
}

/// The job of a long encryption: `[iv len ciphertext]`, built in a heap of its own. (The key's width and
/// the number of associated data items were checked before the job was made, so sealing cannot fail.)
fn seal_job(input: &[u8]) -> Answer {
    let (width, _, key, headers, mut text) = unpack(input);
    let Some(tag) = seal(width, &key, &headers, &mut text) else { return Answer::Crash(Mote::Fail) };
    let mut own = Heap::new();
    let product = sealed(&mut own, &tag, &text);
    Answer::Noun(own, product)
}

/// The job of a long decryption: `[~ plaintext]`, or `evil` for a wrong tag.
fn open_job(input: &[u8]) -> Answer {
    let (width, tag, key, headers, mut text) = unpack(input);
    let tag = Tag::try_from(&tag[..]).expect("16 bytes");
    if !open(width, &key, &headers, &mut text, &tag) {
        return Answer::Crash(Mote::Evil);
    }
    let mut own = Heap::new();
    let plain = from_big_endian(&mut own, &text);
    let product = own.cell(Noun::ZERO, plain);
    Answer::Noun(own, product)
}

/// `(~(de siv key vec) iv len txt)`: `[~ plaintext]`, decrypting the low `len` bytes of `txt` with the
/// low 16 bytes of `iv` as the tag.
///
/// On a wrong tag Vere's jet bails `%evil` where the arm gives `~`; Vere's jet is the reference (so does
/// engine's). An `iv` wider than 16 bytes is cut to its low 16 by Vere (the arm compares it whole, so
/// never matches). A `len` past 2^31 is an implementation limit.
fn decrypt(width: Width, heap: &mut Heap, core: Noun) -> JetOutcome {
    finish((|| {
        let iv = atom_at(heap, core, SAM_2)?;
        let len = atom_at(heap, core, SAM_6)?;
        let text = atom_at(heap, core, SAM_7)?;
        let key = key_at(heap, core, width)?;
        let headers = headers_at(heap, core)?;
        let len = heap.as_u64(len).filter(|&n| n <= TEXT_BYTES_MAX).ok_or(fail())?;
        let mut tag_bytes = heap.atom(iv).expect("an atom").to_bytes();
        tag_bytes.resize(16, 0);
        tag_bytes.reverse();
        let tag = Tag::try_from(&tag_bytes[..]).expect("16 bytes");
        let mut text_bytes = heap.atom(text).expect("an atom").to_bytes();
        text_bytes.resize(len as usize, 0);
        text_bytes.reverse();
        if text_bytes.len() >= OFFLOAD_BYTES_MIN {
            let input = pack(width, Some(&tag), &key, &headers, &text_bytes);
            return Err(JetOutcome::Offload(Job::Bytes { run: open_job, input }));
        }
        if !open(width, &key, &headers, &mut text_bytes, &tag) {
            return Err(evil());
        }
        let plain = from_big_endian(heap, &text_bytes);
        Ok(heap.cell(Noun::ZERO, plain))
    })())
}

/// `en:siva`: AES-128-SIV encryption.
pub fn siva_en(heap: &mut Heap, core: Noun) -> JetOutcome {
    encrypt(Width::Aes128, heap, core)
}

/// `de:siva`: AES-128-SIV decryption.
pub fn siva_de(heap: &mut Heap, core: Noun) -> JetOutcome {
    decrypt(Width::Aes128, heap, core)
}

/// `en:sivc`: AES-256-SIV encryption.
pub fn sivc_en(heap: &mut Heap, core: Noun) -> JetOutcome {
    encrypt(Width::Aes256, heap, core)
}

/// `de:sivc`: AES-256-SIV decryption.
pub fn sivc_de(heap: &mut Heap, core: Noun) -> JetOutcome {
    decrypt(Width::Aes256, heap, core)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jets::{JetClass, JetCrash};

    fn hex(text: &str) -> Vec<u8> {
        (0..text.len()).step_by(2).map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap()).collect()
    }

    /// A gate core whose context is the door `[battery [key ads] 0]`.
    fn gate(heap: &mut Heap, sample: Noun, key: Noun, ads: Noun) -> Noun {
        let door_sample = heap.cell(key, ads);
        let door = heap.tuple(&[Noun::ZERO, door_sample, Noun::ZERO]);
        heap.tuple(&[Noun::ZERO, sample, door])
    }

    /// RFC 5297 appendix A.1 (deterministic authenticated encryption), with its byte strings as Urbit's
    /// big-endian atoms.
    #[test]
    fn rfc5297_a1_encrypts_and_decrypts() {
        let mut heap = Heap::new();
        let key = from_big_endian(
            &mut heap,
            &hex("fffefdfcfbfaf9f8f7f6f5f4f3f2f1f0f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff"),
        );
        let header = from_big_endian(&mut heap, &hex("101112131415161718191a1b1c1d1e1f2021222324252627"));
        let plain = from_big_endian(&mut heap, &hex("112233445566778899aabbccddee"));
        let ads = heap.list(&[header]);
        let core = gate(&mut heap, plain, key, ads);
        let JetOutcome::Product(product) = siva_en(&mut heap, core) else { panic!("no product") };
        let iv = from_big_endian(&mut heap, &hex("85632d07c6e8f37f950acd320a2ecc93"));
        let len = heap.atom_u64(14);
        let ciphertext = from_big_endian(&mut heap, &hex("40c02b9690c4dc04daef7f6afe5c"));
        let expected = heap.tuple(&[iv, len, ciphertext]);
        assert!(heap.eq(product, expected), "{}", heap.print(product));

        let core = gate(&mut heap, expected, key, ads);
        let JetOutcome::Product(opened) = siva_de(&mut heap, core) else { panic!("no product") };
        let expected = heap.cell(Noun::ZERO, plain);
        assert!(heap.eq(opened, expected));

        let wrong = heap.atom_u64(15);
        let sample = heap.tuple(&[wrong, len, ciphertext]);
        let core = gate(&mut heap, sample, key, ads);
        let outcome = siva_de(&mut heap, core);
        assert!(matches!(outcome, JetOutcome::Crash(JetCrash { class: JetClass::Evil, .. })), "{outcome:?}");
    }

    /// The jobs (run here on short texts, which the jets themselves do inline) give the inline products:
    /// RFC 5297 A.1 through `pack`, `seal_job` and `open_job`, with both widths, and `evil` for a wrong
    /// tag.
    #[test]
    fn the_jobs_give_the_inline_products() {
        let mut heap = Heap::new();
        let key = hex("fffefdfcfbfaf9f8f7f6f5f4f3f2f1f0f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff");
        let headers = vec![hex("101112131415161718191a1b1c1d1e1f2021222324252627"), hex("ff00")];
        let text = hex("112233445566778899aabbccddee");
        for (width, key) in [(Width::Aes128, key.clone()), (Width::Aes256, [key.clone(), key].concat())] {
            let key_atom = from_big_endian(&mut heap, &key);
            let header_atoms: Vec<Noun> = headers.iter().map(|h| from_big_endian(&mut heap, h)).collect();
            let ads = heap.list(&header_atoms);
            let plain = from_big_endian(&mut heap, &text);
            let core = gate(&mut heap, plain, key_atom, ads);
            let JetOutcome::Product(inline) = encrypt(width, &mut heap, core) else { panic!("no product") };
            let job = seal_job(&pack(width, None, &key, &headers, &text)).product(&mut heap).unwrap();
            assert!(heap.eq(job, inline), "{} vs {}", heap.print(job), heap.print(inline));
            let iv = big_endian(&heap, heap.head(inline).unwrap());
            let mut tag_bytes = vec![0u8; 16 - iv.len()];
            tag_bytes.extend_from_slice(&iv);
            let tag = Tag::try_from(&tag_bytes[..]).unwrap();
            let ciphertext = big_endian(&heap, heap.slot_u64(inline, 7).unwrap());
            let opened = open_job(&pack(width, Some(&tag), &key, &headers, &ciphertext)).product(&mut heap);
            let expected = heap.cell(Noun::ZERO, plain);
            assert!(heap.eq(opened.unwrap(), expected));
            let mut wrong = tag;
            wrong[15] ^= 1;
            let forged = open_job(&pack(width, Some(&wrong), &key, &headers, &ciphertext)).product(&mut heap);
            assert_eq!(forged.unwrap_err(), Mote::Evil);
        }
    }
}
