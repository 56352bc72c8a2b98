//! Chapter 2p of hoon.hoon: serialization (`jam`, `cue`, `mat`, `rub`), with Vere's byte-stream cue.

use super::axis::{SAM_2, SAM_3, SAMPLE};
use super::{JetOutcome, at, atom_at, exit, finish, meme};

use super::hashes::OFFLOAD_BYTES_MIN;
use crate::interp::{Answer, Job, Mote};
use components::jam::BitWriter;
use components::{CueClass, Heap, Noun};

/// Boxes (cells and indirect atoms) a noun may have for `jam` to run inline; a bigger noun is jammed as a
/// job (read in place on the app's thread pool while the machine waits).
pub const OFFLOAD_JAM_BOXES_MIN: u64 = 1 << 18;

/// `(jam a)`: a noun of more than [`OFFLOAD_JAM_BOXES_MIN`] boxes is jammed as a job (the walk that found
/// it bigger is given up: at most that many boxes).
pub fn jam(heap: &mut Heap, core: Noun) -> JetOutcome {
    finish((|| {
        let a = at(heap, core, SAMPLE)?;
        heap.jam_atom_within(a, OFFLOAD_JAM_BOXES_MIN).ok_or(JetOutcome::Offload(Job::Jam(a)))
    })())
}

/// `(cue a)`: a bad stream is `exit` (what `+mink` catches), a size past the limits `meme`, as in Vere. A
/// stream of [`OFFLOAD_BYTES_MIN`] or more is cued as a job (into a heap of its own, copied in when the
/// answer is given), which the app may run on its thread pool.
pub fn cue(heap: &mut Heap, core: Noun) -> JetOutcome {
    finish((|| {
        let a = atom_at(heap, core, SAMPLE)?;
        let bytes = heap.atom(a).expect("an atom").to_bytes();
        if bytes.len() >= OFFLOAD_BYTES_MIN {
            return Err(JetOutcome::Offload(Job::Bytes { run: cue_job, input: bytes }));
        }
        heap.cue(&bytes).map_err(|e| match e.class() {
            CueClass::Exit => exit(None),
            CueClass::Meme => meme(),
        })
    })())
}

/// The job of a long `cue`: the noun, in a heap of the job's own, or the crash the inline jet gives.
pub fn cue_job(bytes: &[u8]) -> Answer {
    let mut own = Heap::new();
    match own.cue(bytes) {
        Ok(root) => Answer::Noun(own, root),
        Err(e) => Answer::Crash(match e.class() {
            CueClass::Exit => Mote::Exit,
            CueClass::Meme => Mote::Meme,
        }),
    }
}

/// `(mat a)`: `[bit-length bits]` of the length-prefixed encoding of `a`.
pub fn mat(heap: &mut Heap, core: Noun) -> JetOutcome {
    finish((|| {
        let a = atom_at(heap, core, SAMPLE)?;
        let mut out = BitWriter::new();
        out.push_mat(heap.atom(a).expect("an atom"));
        let bits = out.bit_len();
        let value = heap.atom_from_limbs(&out.into_limbs());
        let length = heap.atom_u64(bits);
        Ok(heap.cell(length, value))
    })())
}

/// `(rub a b)`: decode the `mat` at bit `a` of `b` into `[bits-consumed atom]`; crashes when the unary
/// prefix runs past the end of `b`.
pub fn rub(heap: &mut Heap, core: Noun) -> JetOutcome {
    finish((|| {
        let a = atom_at(heap, core, SAM_2)?;
        let b = atom_at(heap, core, SAM_3)?;
        let m = heap.met(0, b).expect("an atom");
        let start = heap.as_u64(a).filter(|&s| s < m).ok_or(exit(None))?;
        let bits = heap.atom(b).expect("an atom");
        let c = (start..m).find(|&i| bits.bit(i)).map(|i| i - start).ok_or(exit(None))?;
        if c == 0 {
            let one = heap.atom_u64(1);
            return Ok(heap.cell(one, Noun::ZERO));
        }
        let d = start + c + 1;
        let fail = super::atom_error(None);
        let top = heap.bex(c - 1).map_err(&fail)?;
        let low = heap.cut(0, d, c - 1, b).map_err(&fail)?;
        let e = heap.add(top, low).map_err(&fail)?;
        // A length past 64 bits reaches beyond any atom: the payload is all of b from there.
        let value = match heap.as_u64(e) {
            Some(len) => heap.cut(0, d + c - 1, len, b),
            None => heap.rsh(0, d + c - 1, b),
        }
        .map_err(&fail)?;
        let prefix = heap.atom_u64(2 * c);
        let consumed = heap.add(prefix, e).map_err(&fail)?;
        Ok(heap.cell(consumed, value))
    })())
}
