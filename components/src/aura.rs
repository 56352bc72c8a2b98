//! Text forms of atoms that drivers put into wires (Hoon's `scot` for `@ud` and `@uv`), so that engine's
//! wires read like Vere's.

use crate::heap::AtomRef;

/// `@ud`: decimal with a `.` every three digits from the right (`1.000`).
///
/// ```
/// assert_eq!(components::aura::render_ud(1234567), "1.234.567");
/// ```
pub fn render_ud(value: u128) -> String {
    group(&value.to_string(), 3)
}

/// `@uv`: `0v` and base-32 digits `0-9a-v`, a `.` every five digits from the right (`0v1a.2b3c4`).
///
/// ```
/// use components::{Heap, aura};
/// let mut heap = Heap::new();
/// let n = heap.atom_u64(16);
/// assert_eq!(aura::render_uv(heap.atom(n).unwrap()), "0vg");
/// ```
pub fn render_uv(atom: AtomRef<'_>) -> String {
    const DIGITS: &[u8; 32] = b"0123456789abcdefghijklmnopqrstuv";
    let bits = atom.bit_len();
    if bits == 0 {
        return "0v0".into();
    }
    let digits: String = (0..bits.div_ceil(5))
        .rev()
        .map(|i| {
            let value = (0..5).fold(0usize, |acc, b| acc | (atom.bit(i * 5 + b) as usize) << b);
            DIGITS[value] as char
        })
        .collect();
    format!("0v{}", group(&digits, 5))
}

/// `@t` as a knot (Hoon's `(scot %t text)`): `~~`, then each character as it is if it is a lower-case
/// letter, a digit or `-`; a space as `.`; `.` as `~.`; `~` as `~~`; any other as `~`, its code point in
/// lower-case hex, and `.`. Bytes that are not UTF-8 are taken one by one as code points.
///
/// ```
/// assert_eq!(components::aura::scot_t(b"a_b.c~D"), "~~a~5f.b~.c~~~44.");
/// ```
pub fn scot_t(text: &[u8]) -> String {
    let mut knot = String::from("~~");
    let chars: Vec<u32> = match std::str::from_utf8(text) {
        Ok(text) => text.chars().map(u32::from).collect(),
        Err(_) => text.iter().map(|&b| u32::from(b)).collect(),
    };
    for c in chars {
        match char::from_u32(c) {
            Some(ch @ ('a'..='z' | '0'..='9' | '-')) => knot.push(ch),
            Some(' ') => knot.push('.'),
            Some('.') => knot.push_str("~."),
            Some('~') => knot.push_str("~~"),
            _ => knot.push_str(&format!("~{c:x}.")),
        }
    }
    knot
}

fn group(digits: &str, size: usize) -> String {
    let first = match digits.len() % size {
        0 => size,
        n => n,
    };
    let mut out = String::with_capacity(digits.len() + digits.len() / size);
    out.push_str(&digits[..first.min(digits.len())]);
    let mut at = first;
    while at < digits.len() {
        out.push('.');
        out.push_str(&digits[at..at + size]);
        at += size;
    }
    out
}

/// A galaxy's number from its name without the `~` (`"nec"` → 1).
///
/// ```
/// assert_eq!(components::aura::parse_galaxy("nec"), Some(1));
/// assert_eq!(components::aura::parse_galaxy("zzz"), None);
/// ```
pub fn parse_galaxy(name: &str) -> Option<u128> {
    if name.len() != 3 {
        return None;
    }
    crate::patp::suffix_byte(name.as_bytes()).map(u128::from)
}

/// A ship's name, `@p` (`(scot %p who)`): `~nec`, `~marzod`, `~sampel-palnet`.
///
/// ```
/// assert_eq!(components::aura::ship_name(0), "~zod");
/// assert_eq!(components::aura::ship_name(256), "~marzod");
/// ```
pub fn ship_name(who: u128) -> String {
    crate::patp::render(who)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Heap;

    #[test]
    fn renders_match_hoon_s_scot() {
        assert_eq!(render_ud(0), "0");
        assert_eq!(render_ud(7), "7");
        assert_eq!(render_ud(1000), "1.000");
        assert_eq!(render_ud(12345), "12.345");
        let mut heap = Heap::new();
        for (value, text) in
            [(0u64, "0v0"), (4886718345, "0v4h.kaps9"), (81985529216486895, "0v28.q5cu4.qnjff")]
        {
            let n = heap.atom_u64(value);
            assert_eq!(render_uv(heap.atom(n).unwrap()), text, "{value}");
        }
    }

    /// Each expected knot is what `(scot %t ...)` gives in Hoon (`engine eval` on the ivory pill).
    #[test]
    fn text_knots_match_hoon_s_scot_t() {
        assert_eq!(scot_t(b""), "~~");
        assert_eq!(scot_t("a_b.c~D é-Z9 ;=/".as_bytes()), "~~a~5f.b~.c~~~44..~e9.-~5a.9.~3b.~3d.~2f.");
        assert_eq!(scot_t(b"urbauth-~zod=0v3.abc12"), "~~urbauth-~~zod~3d.0v3~.abc12");
        assert_eq!(scot_t("日本\n\x7f".as_bytes()), "~~~65e5.~672c.~a.~7f.");
    }
}
