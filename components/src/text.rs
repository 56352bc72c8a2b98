//! The text notation for nouns used across engine and its test vectors: atoms in decimal, cells in
//! brackets, right-nested tails collapsed (`[1 [2 3]]` prints as `[1 2 3]`, and parses back).

use crate::heap::{AtomRef, Heap};
use crate::noun::Noun;
use dashu_int::UBig;
use std::fmt::{self, Write};
use std::str::FromStr;

/// Why a text could not be read as a noun.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    /// Byte offset in the text where the problem was found.
    pub offset: usize,
    pub reason: &'static str,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "bad noun text at byte {}: {}", self.offset, self.reason)
    }
}

impl std::error::Error for ParseError {}

impl Heap {
    /// Reads one noun in the text notation: decimal atoms, `[a b ...]` cells (at least two items, nesting
    /// to the right), whitespace between items. No recursion over nesting depth.
    ///
    /// ```
    /// use components::Heap;
    /// let mut heap = Heap::new();
    /// let n = heap.parse("[1 [2 3]]").unwrap();
    /// assert_eq!(heap.print(n), "[1 2 3]");
    /// assert!(heap.parse("[1]").is_err());
    /// ```
    pub fn parse(&mut self, text: &str) -> Result<Noun, ParseError> {
        let bytes = text.as_bytes();
        let mut groups: Vec<(usize, Vec<Noun>)> = Vec::new();
        let mut done: Option<Noun> = None;
        let mut i = 0;
        let err = |offset, reason| Err(ParseError { offset, reason });
        while i < bytes.len() {
            let c = bytes[i];
            if c.is_ascii_whitespace() {
                i += 1;
                continue;
            }
            if done.is_some() {
                return err(i, "text after the end of the noun");
            }
            let item = match c {
                b'[' => {
                    groups.push((i, Vec::new()));
                    i += 1;
                    continue;
                }
                b']' => {
                    let Some((_, items)) = groups.pop() else {
                        return err(i, "unmatched ']'");
                    };
                    if items.len() < 2 {
                        return err(i, "a cell needs at least two items");
                    }
                    i += 1;
                    self.tuple(&items)
                }
                b'0'..=b'9' => {
                    let start = i;
                    while i < bytes.len() && bytes[i].is_ascii_digit() {
                        i += 1;
                    }
                    if i < bytes.len() && !matches!(bytes[i], b'[' | b']') && !bytes[i].is_ascii_whitespace()
                    {
                        return err(i, "an atom is decimal digits only");
                    }
                    self.parse_decimal(&text[start..i])
                }
                _ => return err(i, "expected a decimal atom, '[' or ']'"),
            };
            match groups.last_mut() {
                Some((_, items)) => items.push(item),
                None => done = Some(item),
            }
        }
        if let Some((open, _)) = groups.last() {
            return err(*open, "'[' is never closed");
        }
        done.ok_or(ParseError { offset: bytes.len(), reason: "no noun in the text" })
    }

    fn parse_decimal(&mut self, digits: &str) -> Noun {
        match digits.parse::<u64>() {
            Ok(v) => self.atom_u64(v),
            Err(_) => {
                let big = UBig::from_str(digits).expect("only decimal digits reach here");
                self.atom_from_ubig(&big)
            }
        }
    }

    /// Prints a noun in the text notation (no recursion over depth).
    pub fn print(&self, noun: Noun) -> String {
        let mut out = String::new();
        self.write_noun(&mut out, noun).expect("writing to a String cannot fail");
        out
    }

    /// Prints at most about `max_chars` characters of a noun in the text notation, ending in `…` when
    /// cut: for nouns from outside or from a crash (a trace frame can hold a whole kernel).
    ///
    /// ```
    /// use components::Heap;
    /// let mut heap = Heap::new();
    /// let n = heap.parse("[1 2 3 4 5]").unwrap();
    /// assert_eq!(heap.print_limited(n, 100), "[1 2 3 4 5]");
    /// assert_eq!(heap.print_limited(n, 4), "[1 2…");
    /// ```
    pub fn print_limited(&self, noun: Noun, max_chars: usize) -> String {
        struct Capped {
            out: String,
            left: usize,
        }
        impl Write for Capped {
            fn write_str(&mut self, text: &str) -> fmt::Result {
                for c in text.chars() {
                    if self.left == 0 {
                        return Err(fmt::Error);
                    }
                    self.out.push(c);
                    self.left -= 1;
                }
                Ok(())
            }
        }
        let mut capped = Capped { out: String::new(), left: max_chars };
        if self.write_noun(&mut capped, noun).is_err() {
            capped.out.push('…');
        }
        capped.out
    }

    /// A tank (`[%leaf tape]`, `[%rose [sep open close] tanks]`, `[%palm [sep open-a open-b close] tanks]`)
    /// on one line, as Hoon's `+ram` renders it, cut after about `max_chars` bytes (ending in `…`); `None` if
    /// `tank` is not shaped like one.
    ///
    /// ```
    /// use components::Heap;
    /// let mut heap = Heap::new();
    /// let tape = |heap: &mut Heap, s: &str| {
    ///     let chars: Vec<_> = s.bytes().map(|b| heap.atom_u64(b as u64)).collect();
    ///     heap.list(&chars)
    /// };
    /// let leaf = heap.atom_from_bytes(b"leaf");
    /// let (one, two) = (tape(&mut heap, "one"), tape(&mut heap, "two"));
    /// let (one, two) = (heap.cell(leaf, one), heap.cell(leaf, two));
    /// let (sep, open, close) = (tape(&mut heap, " "), tape(&mut heap, "["), tape(&mut heap, "]"));
    /// let rose = heap.atom_from_bytes(b"rose");
    /// let items = heap.list(&[one, two]);
    /// let style = heap.tuple(&[sep, open, close]);
    /// let tank = heap.tuple(&[rose, style, items]);
    /// assert_eq!(heap.tank_flat(tank, 80).unwrap(), "[one two]");
    /// ```
    pub fn tank_flat(&self, tank: Noun, max_chars: usize) -> Option<String> {
        const LEAF: u64 = u32::from_le_bytes(*b"leaf") as u64;
        const ROSE: u64 = u32::from_le_bytes(*b"rose") as u64;
        const PALM: u64 = u32::from_le_bytes(*b"palm") as u64;
        enum Work {
            Tank(Noun),
            Tape(Noun),
        }
        let mut bytes = Vec::new();
        let mut work = vec![Work::Tank(tank)];
        while let Some(item) = work.pop() {
            if bytes.len() >= max_chars {
                let mut text = String::from_utf8_lossy(&bytes[..max_chars]).into_owned();
                text.push('…');
                return Some(text);
            }
            match item {
                Work::Tape(mut tape) => {
                    while let Some((char, rest)) = self.cell_parts(tape) {
                        bytes.push(u8::try_from(self.as_u64(char)?).ok()?);
                        tape = rest;
                        if bytes.len() > max_chars {
                            break;
                        }
                    }
                }
                Work::Tank(tank) => {
                    let (tag, body) = self.cell_parts(tank)?;
                    let (style, mut items) = match tag.as_direct()? {
                        LEAF => {
                            work.push(Work::Tape(body));
                            continue;
                        }
                        ROSE | PALM => self.cell_parts(body)?,
                        _ => return None,
                    };
                    let (sep, rest) = self.cell_parts(style)?;
                    let (opens, close) = match tag.as_direct() {
                        Some(ROSE) => {
                            let (open, close) = self.cell_parts(rest)?;
                            ([Some(open), None], close)
                        }
                        _ => {
                            let (open_a, rest) = self.cell_parts(rest)?;
                            let (open_b, close) = self.cell_parts(rest)?;
                            ([Some(open_a), Some(open_b)], close)
                        }
                    };
                    // Pushed in reverse: the close, the items between separators, the opening.
                    let mut inner = Vec::new();
                    while let Some((item, rest)) = self.cell_parts(items) {
                        inner.push(item);
                        items = rest;
                    }
                    work.push(Work::Tape(close));
                    for (i, item) in inner.iter().enumerate().rev() {
                        work.push(Work::Tank(*item));
                        if i > 0 {
                            work.push(Work::Tape(sep));
                        }
                    }
                    work.extend(opens.iter().rev().flatten().map(|&open| Work::Tape(open)));
                }
            }
        }
        if bytes.len() > max_chars {
            let mut text = String::from_utf8_lossy(&bytes[..max_chars]).into_owned();
            text.push('…');
            return Some(text);
        }
        Some(String::from_utf8_lossy(&bytes).into_owned())
    }

    /// A value that prints `noun` with `{}`.
    pub fn show(&self, noun: Noun) -> Show<'_> {
        Show { heap: self, noun }
    }

    fn write_noun(&self, out: &mut impl Write, noun: Noun) -> fmt::Result {
        enum Work {
            Noun(Noun),
            /// The tail of a cell whose head was just printed: a cell continues the bracket.
            Tail(Noun),
            Close,
        }
        let mut work = vec![Work::Noun(noun)];
        while let Some(item) = work.pop() {
            match item {
                Work::Noun(n) => match self.cell_parts(n) {
                    Some((head, tail)) => {
                        out.write_char('[')?;
                        work.extend([Work::Close, Work::Tail(tail), Work::Noun(head)]);
                    }
                    None => write_atom(out, self.atom(n).expect("an atom"))?,
                },
                Work::Tail(n) => {
                    out.write_char(' ')?;
                    match self.cell_parts(n) {
                        Some((head, tail)) => work.extend([Work::Tail(tail), Work::Noun(head)]),
                        None => write_atom(out, self.atom(n).expect("an atom"))?,
                    }
                }
                Work::Close => out.write_char(']')?,
            }
        }
        Ok(())
    }
}

fn write_atom(out: &mut impl Write, atom: AtomRef<'_>) -> fmt::Result {
    match atom.as_u64() {
        Some(v) => write!(out, "{v}"),
        None => write!(out, "{}", atom.to_ubig()),
    }
}

/// A noun with its heap, for `{}` formatting.
pub struct Show<'a> {
    heap: &'a Heap,
    noun: Noun,
}

impl fmt::Display for Show<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.heap.write_noun(f, self.noun)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn print_collapses_right_nested_tails_only() {
        let mut heap = Heap::new();
        for text in ["0", "[1 2 3 0]", "[[1 2] 3]", "[[1 2] [3 4] 5]", "18446744073709551616"] {
            let n = heap.parse(text).unwrap();
            assert_eq!(heap.print(n), text);
        }
        let n = heap.parse(" [ 1\n[2 3] ] ").unwrap();
        assert_eq!(heap.print(n), "[1 2 3]");
    }

    #[test]
    fn parse_rejects_malformed_text_with_its_offset() {
        let mut heap = Heap::new();
        assert_eq!(heap.parse("[1 2").unwrap_err().offset, 0);
        assert_eq!(heap.parse("[1 2]]").unwrap_err().offset, 5);
        assert_eq!(heap.parse("1 2").unwrap_err().offset, 2);
        assert_eq!(heap.parse("12a").unwrap_err().offset, 2);
        assert_eq!(heap.parse("").unwrap_err().offset, 0);
        assert!(heap.parse("[]").is_err());
        assert!(heap.parse("-1").is_err());
    }
}
