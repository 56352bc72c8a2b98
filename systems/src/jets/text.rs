//! Text: chapter 4 of hoon.hoon (`trip`), and zuse's text encodings (`base16`) and line splitters
//! (`leer`, `lune`).

use super::axis::{SAM_2, SAM_3, SAMPLE};
use super::{JetOutcome, atom_at, exit, fail, finish, meme};
use components::{Heap, Noun};

/// `(trip a)`: a cord's bytes as a tape (a list of byte atoms), least significant first.
pub fn trip(heap: &mut Heap, core: Noun) -> JetOutcome {
    finish((|| {
        let a = atom_at(heap, core, SAMPLE)?;
        let bytes = heap.atom(a).expect("an atom").to_bytes();
        let chars: Vec<Noun> = bytes.iter().map(|&b| Noun::direct(b as u64).expect("a byte")).collect();
        Ok(heap.list(&chars))
    })())
}

/// The longest base16 text (in bytes of input) handled here; longer ones cannot be held.
const BASE16_BYTES_MAX: u64 = 1 << 30;

const HEX_DIGITS: &[u8; 16] = b"0123456789abcdef";

/// `(en:base16:mimes:html [p q])`: the low `p` bytes of `q` as `2p` lowercase hex digits, the most
/// significant byte first (so the cord's first character is the top digit). A length that is not a
/// 31-bit atom fails, as in Vere.
pub fn en_base16(heap: &mut Heap, core: Noun) -> JetOutcome {
    finish((|| {
        let len = atom_at(heap, core, SAM_2)?;
        let dat = atom_at(heap, core, SAM_3)?;
        let len = heap.as_u64(len).filter(|&n| n < 1 << 31).ok_or(fail())?;
        if len > BASE16_BYTES_MAX {
            return Err(meme());
        }
        let mut bytes = heap.atom(dat).expect("an atom").to_bytes();
        bytes.resize(len as usize, 0);
        let text: Vec<u8> = bytes
            .iter()
            .rev()
            .flat_map(|&b| [HEX_DIGITS[(b >> 4) as usize], HEX_DIGITS[(b & 15) as usize]])
            .collect();
        Ok(heap.atom_from_bytes(&text))
    })())
}

fn hex_value(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

/// `(de:base16:mimes:html a)`: hex text (either case, first character most significant) to
/// `[~ [bytes value]]`, `bytes` being half the digit count rounded up; `~` if any character is not a hex
/// digit. An empty cord is `[~ 0 0]`.
pub fn de_base16(heap: &mut Heap, core: Noun) -> JetOutcome {
    finish((|| {
        let text = atom_at(heap, core, SAMPLE)?;
        let text = heap.atom(text).expect("an atom").to_bytes();
        if text.len() as u64 > 2 * BASE16_BYTES_MAX {
            return Err(JetOutcome::Punt);
        }
        // The last character is the least significant nibble.
        let mut out = vec![0u8; text.len().div_ceil(2)];
        for (i, &c) in text.iter().rev().enumerate() {
            let Some(nibble) = hex_value(c) else { return Ok(Noun::ZERO) };
            out[i / 2] |= nibble << (4 * (i % 2));
        }
        let len = heap.atom_u64(out.len() as u64);
        let value = heap.atom_from_bytes(&out);
        Ok(heap.tuple(&[Noun::ZERO, len, value]))
    })())
}

/// The atom of a cord's bytes `bytes`.
fn cord(heap: &mut Heap, bytes: &[u8]) -> Noun {
    heap.atom_from_bytes(bytes)
}

/// `(to-wain:format txt)` (`leer`): the cord's lines, split at each newline, as Vere's jet gives them: a
/// final newline ends the last line and starts no other, and the empty cord has no lines. (The arm also
/// gives an empty line after a final newline, and one empty line for the empty cord; Vere's jet is the
/// reference.)
pub fn leer(heap: &mut Heap, core: Noun) -> JetOutcome {
    finish((|| {
        let text = atom_at(heap, core, SAMPLE)?;
        let bytes = heap.atom(text).expect("an atom").to_bytes();
        let body = bytes.strip_suffix(b"\n").unwrap_or(&bytes);
        let lines: Vec<Noun> = if bytes.is_empty() {
            Vec::new()
        } else {
            body.split(|&b| b == b'\n').map(|line| cord(heap, line)).collect()
        };
        Ok(heap.list(&lines))
    })())
}

/// `(lune txt)`: the cord's lines, each ended by a newline; a cord that does not end in a newline crashes
/// with `%mean` `noeol`; the empty cord has no lines.
pub fn lune(heap: &mut Heap, core: Noun) -> JetOutcome {
    finish((|| {
        let text = atom_at(heap, core, SAMPLE)?;
        let bytes = heap.atom(text).expect("an atom").to_bytes();
        if bytes.is_empty() {
            return Ok(Noun::ZERO);
        }
        let body = bytes.strip_suffix(b"\n").ok_or(exit(Some("noeol")))?;
        let lines: Vec<Noun> = body.split(|&b| b == b'\n').map(|line| cord(heap, line)).collect();
        Ok(heap.list(&lines))
    })())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(run: super::super::JetFn, text: &str) -> Option<String> {
        let mut heap = Heap::new();
        let sample = heap.atom_from_bytes(text.as_bytes());
        let core = heap.tuple(&[Noun::ZERO, sample, Noun::ZERO]);
        match run(&mut heap, core) {
            JetOutcome::Product(list) => Some(heap.print(list)),
            _ => None,
        }
    }

    #[test]
    fn leer_ends_lines_at_a_final_newline_as_vere_does() {
        assert_eq!(lines(leer, "").as_deref(), Some("0"));
        assert_eq!(lines(leer, "ab\n").as_deref(), Some("[25185 0]"));
        assert_eq!(lines(leer, "ab\n\nb").as_deref(), Some("[25185 0 98 0]"));
    }

    #[test]
    fn lune_needs_a_final_newline() {
        assert_eq!(lines(lune, "").as_deref(), Some("0"));
        assert_eq!(lines(lune, "\n").as_deref(), Some("[0 0]"));
        assert_eq!(lines(lune, "ab\n\n").as_deref(), Some("[25185 0 0]"));
        assert_eq!(lines(lune, "ab"), None);
    }
}
