//! Nouns printed for people, as Hoon would print them had it their types: a wire as a path (`/d/term/1`),
//! a term as `%belt`, text as a cord (`'hello'`), a date as `@da` (`~2026.12.4..20.45.51..1a2b`), a small
//! number with Hoon's dots (`1.000`), a big one in hex, tuples flattened (`[%wack 0x1234 ~]`). Without types
//! this is a guess from the shape; the raw noun is always there in `engine cue`'s notation. Printing is
//! bounded in characters and walks the noun with its own stack.

use components::{Heap, Noun, aura, time};

/// A `@da` of years 2000 to 2100 in the high 64 bits: printed as a date.
const DA_SECONDS: std::ops::Range<u64> = 0x8000_000d_0000_0000..0x8000_000e_0000_0000;
/// Atoms longer than this are shown by their size only.
const ATOM_BYTES_SHOWN_MAX: u64 = 1024;
/// The most items a list may have to be printed as a path.
const PATH_ITEMS_MAX: usize = 64;

/// Prints `noun` in at most about `max_chars` characters (cut with `…`).
pub fn show(heap: &Heap, noun: Noun, max_chars: usize) -> String {
    enum Work {
        Noun(Noun),
        /// The tail of a tuple being printed: its items follow, separated by spaces.
        Rest(Noun),
        Text(&'static str),
    }
    let mut out = String::new();
    let mut stack = vec![Work::Noun(noun)];
    while let Some(work) = stack.pop() {
        if out.len() > max_chars {
            out.push('…');
            break;
        }
        match work {
            Work::Text(text) => out.push_str(text),
            Work::Noun(noun) => match heap.cell_parts(noun) {
                None => out.push_str(&atom(heap, noun)),
                Some((head, tail)) => match path(heap, noun) {
                    Some(path) => out.push_str(&path),
                    None => {
                        out.push('[');
                        stack.push(Work::Text("]"));
                        stack.push(Work::Rest(tail));
                        stack.push(Work::Noun(head));
                    }
                },
            },
            Work::Rest(noun) => {
                out.push(' ');
                match heap.cell_parts(noun) {
                    Some((head, tail)) if path(heap, noun).is_none() => {
                        stack.push(Work::Rest(tail));
                        stack.push(Work::Noun(head));
                    }
                    _ => stack.push(Work::Noun(noun)),
                }
            }
        }
    }
    out
}

/// An atom: a term, a cord, a date, a number.
pub fn atom(heap: &Heap, noun: Noun) -> String {
    let Some(atom) = heap.atom(noun) else { return String::new() };
    if let Some(small) = noun.as_direct() {
        if small == 0 {
            return "~".into();
        }
        if small < 0x1_0000 && !is_text(&atom.to_bytes()) {
            return aura::render_ud(small as u128);
        }
    }
    let length = atom.byte_len();
    if length > ATOM_BYTES_SHOWN_MAX {
        return format!("<atom of {length} bytes>");
    }
    let bytes = atom.to_bytes();
    if is_term(&bytes) {
        return format!("%{}", String::from_utf8_lossy(&bytes));
    }
    if is_text(&bytes) {
        return format!("'{}'", String::from_utf8_lossy(&bytes));
    }
    if bytes.len() <= 16 {
        let mut wide = [0u8; 16];
        wide[..bytes.len()].copy_from_slice(&bytes);
        let value = u128::from_le_bytes(wide);
        if DA_SECONDS.contains(&((value >> 64) as u64)) {
            return time::render_da(value);
        }
        if value < 1 << 32 {
            return aura::render_ud(value);
        }
    }
    let hex: String = bytes.iter().rev().map(|b| format!("{b:02x}")).collect();
    format!("0x{}", hex.trim_start_matches('0'))
}

/// A list of text atoms, as a path: `/d/term/1`; `None` for anything else.
pub fn path(heap: &Heap, noun: Noun) -> Option<String> {
    let mut items = Vec::new();
    let mut list = noun;
    while let Some((item, rest)) = heap.cell_parts(list) {
        let item = heap.atom(item)?;
        if items.len() == PATH_ITEMS_MAX || item.byte_len() > ATOM_BYTES_SHOWN_MAX {
            return None;
        }
        let bytes = item.to_bytes();
        if !(bytes.is_empty() || is_knot(&bytes)) {
            return None;
        }
        items.push(String::from_utf8_lossy(&bytes).into_owned());
        list = rest;
    }
    if list.as_direct() != Some(0) || items.is_empty() {
        return None;
    }
    Some(items.iter().map(|item| format!("/{item}")).collect())
}

/// A term: lower-case letters, digits and hyphens, starting with a letter, at least two bytes.
fn is_term(bytes: &[u8]) -> bool {
    bytes.len() >= 2
        && bytes[0].is_ascii_lowercase()
        && bytes.iter().all(|&b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// A path item: printable, no `/` or space.
fn is_knot(bytes: &[u8]) -> bool {
    bytes.iter().all(|&b| b.is_ascii_graphic() && b != b'/')
}

/// Printable text of at least two bytes (UTF-8, no control characters but newlines).
fn is_text(bytes: &[u8]) -> bool {
    bytes.len() >= 2
        && std::str::from_utf8(bytes).is_ok_and(|s| s.chars().all(|c| !c.is_control() || c == '\n'))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shown(text: &str) -> String {
        let mut heap = Heap::new();
        let noun = heap.parse(text).unwrap();
        show(&heap, noun, 200)
    }

    fn cord(text: &str) -> String {
        let mut bytes = text.as_bytes().to_vec();
        bytes.resize(16, 0);
        u128::from_le_bytes(bytes.try_into().unwrap()).to_string()
    }

    #[test]
    fn wires_print_as_paths_terms_as_terms_and_tuples_flat() {
        let (d, term, one, belt) = (cord("d"), cord("term"), cord("1"), cord("belt"));
        assert_eq!(shown(&format!("[{d} {term} {one} 0]")), "/d/term/1");
        assert_eq!(shown(&format!("[[{d} {term} {one} 0] {belt} 5 0]")), "[/d/term/1 %belt 5 ~]");
        assert_eq!(shown(&format!("[{} 1000]", cord("hello world"))), "['hello world' 1.000]");
        assert_eq!(shown("[[1 2] 3]"), "[[1 2] 3]");
    }

    #[test]
    fn big_atoms_print_as_dates_or_hex() {
        let da = time::from_unix_micros(1_795_539_164_456_600);
        assert_eq!(shown(&da.to_string()), "~2026.11.24..16.52.44..74e3");
        assert_eq!(shown(&u128::MAX.to_string()), "0xffffffffffffffffffffffffffffffff");
    }

    #[test]
    fn printing_is_bounded_and_does_not_recurse() {
        let mut heap = Heap::new();
        let mut deep = Noun::ZERO;
        for i in 0..200_000u64 {
            let n = heap.atom_u64(i % 7 + 1);
            deep = heap.cell(deep, n);
        }
        let text = show(&heap, deep, 100);
        assert!(text.ends_with('…'));
        assert!(text.chars().count() < 120);
    }
}
