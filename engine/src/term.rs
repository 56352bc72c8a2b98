//! The terminal driver's line mode (spec/io.md, dill): input lines become `%belt` events, `%blit` effects
//! become text on stdout. Raw mode (a TTY with a cursor) is not here yet.

use components::{Heap, Noun};
use std::io::Write;

/// The most characters of one input line sent as a belt; the rest of a longer line is dropped.
pub const LINE_CHARS_MAX: usize = 1 << 16;
/// The most blits of one `%mor` looked at to tell a prompt's redraw.
const BLIT_SCAN_MAX: usize = 64;
/// `%blit` lists nest through `%mor`; deeper nesting than this is not rendered.
const BLIT_DEPTH_MAX: usize = 64;
/// The most characters rendered from one effect.
const EFFECT_CHARS_MAX: usize = 1 << 24;

fn term(heap: &mut Heap, text: &str) -> Noun {
    heap.atom_from_bytes(text.as_bytes())
}

fn tag_is(noun: Option<Noun>, text: &[u8]) -> bool {
    let mut bytes = [0u8; 8];
    bytes[..text.len()].copy_from_slice(text);
    noun.and_then(|n| n.as_direct()) == Some(u64::from_le_bytes(bytes))
}

/// The wire of the terminal's events, `/d/term/1`.
pub fn wire(heap: &mut Heap) -> Noun {
    crate::ship::path(heap, &["d", "term", "1"])
}

/// The ova for one line typed: `[%belt %txt tape]` (when the line is not empty), then `[%belt %ret ~]`.
pub fn line_ova(heap: &mut Heap, line: &str) -> Vec<Noun> {
    let mut ova = Vec::new();
    let wire = wire(heap);
    let belt = term(heap, "belt");
    let chars: Vec<Noun> =
        line.chars().take(LINE_CHARS_MAX).map(|c| Noun::direct(c as u64).expect("small")).collect();
    if !chars.is_empty() {
        let txt = term(heap, "txt");
        let tape = heap.list(&chars);
        let card = heap.tuple(&[belt, txt, tape]);
        ova.push(heap.cell(wire, card));
    }
    let ret = term(heap, "ret");
    let card = heap.tuple(&[belt, ret, Noun::ZERO]);
    ova.push(heap.cell(wire, card));
    ova
}

/// `^E` then `^U`: the cursor to the end of the line, then the whole line killed (drum's editing keys).
pub fn clear_line_ova(heap: &mut Heap) -> Vec<Noun> {
    let wire = wire(heap);
    let belt = term(heap, "belt");
    let modifier = term(heap, "mod");
    let ctl = term(heap, "ctl");
    [b'e', b'u']
        .iter()
        .map(|&key| {
            let card = heap.tuple(&[belt, modifier, ctl, Noun::direct(key as u64).expect("small")]);
            heap.cell(wire, card)
        })
        .collect()
}

/// What the terminal printed while a conn `%dojo` line was worked on.
#[derive(Debug, Default)]
pub struct Capture {
    /// The text lines (not the prompt's redraws).
    pub lines: Vec<String>,
    /// Whether the ship beeped (drum's answer to a line it does not take).
    pub bell: bool,
}

/// Whether a list of blits wipes the line (`%wyp`): drum's redraw of the prompt.
fn wipes(heap: &Heap, mut list: Noun) -> bool {
    for _ in 0..BLIT_SCAN_MAX {
        let Some((blit, rest)) = heap.cell_parts(list) else { return false };
        if tag_is(heap.head(blit), b"wyp") {
            return true;
        }
        list = rest;
    }
    false
}

/// `[/d/term/1 [%belt %mod %ctl %c]]`: ctrl-c typed, as Vere 1.16 sends it.
pub fn ctrl_c_ovum(heap: &mut Heap) -> Noun {
    let wire = wire(heap);
    let belt = term(heap, "belt");
    let modifier = term(heap, "mod");
    let ctl = term(heap, "ctl");
    let card = heap.tuple(&[belt, modifier, ctl, Noun::direct(b'c' as u64).expect("small")]);
    heap.cell(wire, card)
}

/// What the runtime should do after an effect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kick {
    Handled,
    /// `%logo`: the ship asks to shut down.
    Exit,
}

/// Line-mode rendering of `%blit` effects, as Vere's `-t` mode (spec/io.md §9.4): each `%put`, `%klr`
/// (and old `%lin`) prints as a line of its own, without styling; everything else is ignored (a prompt's
/// redraw prints the prompt line again).
#[derive(Default)]
pub struct LineOutput {
    line: String,
    /// When set, the text lines printed (not the prompt's redraws) are also kept here, for a conn
    /// `%dojo` request.
    pub capture: Option<Capture>,
}

impl LineOutput {
    /// Routes one effect `[wire card]` (spec/arvo.md §6): the terminal's are rendered, others reported as
    /// lost on stderr (no driver for them yet).
    pub fn kick(&mut self, heap: &Heap, effect: Noun, out: &mut impl Write) -> Kick {
        let Some((mut wire, card)) = heap.cell_parts(effect) else { return Kick::Handled };
        if heap.head(wire).and_then(|h| h.as_direct()) == Some(0) {
            wire = heap.tail(wire).unwrap_or(Noun::ZERO);
        }
        let tag = heap.head(card);
        if tag_is(heap.head(wire), b"term") {
            if tag_is(tag, b"blit") {
                self.blits(heap, heap.tail(card).unwrap_or(Noun::ZERO), out);
                return Kick::Handled;
            }
            if tag_is(tag, b"logo") {
                return Kick::Exit;
            }
        }
        let name = |n: Option<Noun>| {
            n.and_then(|n| heap.atom(n)).map(|a| String::from_utf8_lossy(&a.to_bytes()).into_owned())
        };
        let mut path = String::new();
        let mut at = wire;
        while let Some((item, rest)) = heap.cell_parts(at) {
            path.push('/');
            path.push_str(&name(Some(item)).unwrap_or_default());
            at = rest;
        }
        eprintln!(
            "kick: lost %{} on {}",
            name(tag).unwrap_or_default(),
            if path.is_empty() { "/" } else { &path }
        );
        Kick::Handled
    }

    fn blits(&mut self, heap: &Heap, list: Noun, out: &mut impl Write) {
        // (list, depth, whether it is a prompt's redraw: a `%mor` that wipes the line)
        let mut stack = vec![(list, 0usize, false)];
        let mut rendered = 0usize;
        while let Some((at, depth, redraw)) = stack.pop() {
            let Some((blit, rest)) = heap.cell_parts(at) else { continue };
            stack.push((rest, depth, redraw));
            let tag = heap.head(blit);
            let body = heap.tail(blit).unwrap_or(Noun::ZERO);
            if tag_is(tag, b"put") || tag_is(tag, b"lin") {
                rendered += self.chars(heap, body, EFFECT_CHARS_MAX.saturating_sub(rendered));
                self.end_line(out, true);
            } else if tag_is(tag, b"klr") {
                let mut stub = body;
                while let Some((segment, more)) = heap.cell_parts(stub) {
                    let text = heap.tail(segment).unwrap_or(Noun::ZERO);
                    rendered += self.chars(heap, text, EFFECT_CHARS_MAX.saturating_sub(rendered));
                    stub = more;
                }
                self.end_line(out, !redraw);
            } else if tag_is(tag, b"bel") {
                if let Some(capture) = self.capture.as_mut() {
                    capture.bell = true;
                }
            } else if tag_is(tag, b"mor") && depth < BLIT_DEPTH_MAX {
                stack.push((body, depth + 1, wipes(heap, body)));
            }
        }
        let _ = out.flush();
    }

    fn end_line(&mut self, out: &mut impl Write, keep: bool) {
        let _ = writeln!(out, "{}", self.line);
        if keep && let Some(capture) = self.capture.as_mut() {
            capture.lines.push(self.line.clone());
        }
        self.line.clear();
    }

    /// Appends a list of characters (`@c`) to the line; returns how many.
    fn chars(&mut self, heap: &Heap, mut list: Noun, limit: usize) -> usize {
        let mut count = 0;
        while let Some((c, rest)) = heap.cell_parts(list) {
            if count == limit {
                break;
            }
            let c = heap.as_u64(c).and_then(|c| char::from_u32(c as u32)).unwrap_or('\u{fffd}');
            self.line.push(c);
            count += 1;
            list = rest;
        }
        count
    }
}
