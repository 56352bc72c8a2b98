//! The terminal driver (spec/io.md §9, dill): keyboard input becomes `%belt` events, `%blit` effects become
//! output. Two modes: line mode (Vere's `-t`: stdin lines typed as `%txt` + `%ret`, each `%put`/`%klr` a
//! line of plain text), and raw mode on a TTY (keys decoded as Vere 1.17 does, blits drawn with ANSI
//! escapes, the cursor where drum puts it). Both read blits through [`read_blits`], which also serves conn's
//! `%dojo` capture.

use components::app::Capture;
use components::{Heap, Noun};
use std::io::Write;
use std::path::{Path, PathBuf};

/// The most characters of one input line sent as a belt; the rest of a longer line is dropped.
pub const LINE_CHARS_MAX: usize = 1 << 16;
/// `%blit` lists nest through `%mor`; deeper nesting than this is not rendered.
const BLIT_DEPTH_MAX: usize = 64;
/// The most characters rendered from one effect.
const EFFECT_CHARS_MAX: usize = 1 << 24;
/// The most blits read from one effect.
const BLITS_MAX: usize = 1 << 16;
/// The most styles of one `%klr` segment's decoration set looked at.
const DECOS_MAX: usize = 8;
/// The most bytes of one `%sav`/`%sag` file.
const SAVE_BYTES_MAX: usize = 1 << 30;

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
    let items = ["d", "term", "1"].map(|item| term(heap, item));
    heap.list(&items)
}

fn belt_ovum(heap: &mut Heap, belt: Noun) -> Noun {
    let wire = wire(heap);
    let tag = term(heap, "belt");
    let card = heap.cell(tag, belt);
    heap.cell(wire, card)
}

/// The ova for one line typed: `[%belt %txt tape]` (when the line is not empty), then `[%belt %ret ~]`.
pub fn line_ova(heap: &mut Heap, line: &str) -> Vec<Noun> {
    let mut belts = Vec::new();
    let chars: Vec<char> = line.chars().take(LINE_CHARS_MAX).collect();
    if !chars.is_empty() {
        belts.push(Belt::Txt(chars));
    }
    belts.push(Belt::Ret);
    belts.iter().map(|belt| belt.ovum(heap)).collect()
}

/// `^E` then `^U`: the cursor to the end of the line, then the whole line killed (drum's editing keys).
pub fn clear_line_ova(heap: &mut Heap) -> Vec<Noun> {
    [Belt::Ctl('e'), Belt::Ctl('u')].iter().map(|belt| belt.ovum(heap)).collect()
}

/// `[/d/term/1 [%blew cols rows]]`: the window's size.
pub fn blew_ovum(heap: &mut Heap, cols: u64, rows: u64) -> Noun {
    let wire = wire(heap);
    let tag = term(heap, "blew");
    let cols = heap.atom_u64(cols);
    let rows = heap.atom_u64(rows);
    let card = heap.tuple(&[tag, cols, rows]);
    heap.cell(wire, card)
}

/// `[/d/term/1 [%hail ~]]`: the terminal asks drum to draw it again (a ship's terminal regained).
pub fn hail_ovum(heap: &mut Heap) -> Noun {
    let wire = wire(heap);
    let tag = term(heap, "hail");
    let card = heap.cell(tag, Noun::ZERO);
    heap.cell(wire, card)
}

/// The key that passes the keyboard to the next ship of a fleet in raw mode: ctrl-] (no key of drum's).
pub const SWITCH_KEY: u8 = 0x1d;

/// `[/d/term/1 [%belt %mod %ctl %c]]`: ctrl-c typed, as Vere sends it.
pub fn ctrl_c_ovum(heap: &mut Heap) -> Noun {
    Belt::Ctl('c').ovum(heap)
}

// ---------------------------------------------------------------------------------------------------------
// Keys.

/// A keyboard event (the pill's `belt`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Belt {
    Txt(Vec<char>),
    Ret,
    Bac,
    Del,
    /// An arrow: `u d l r`.
    Aro(char),
    /// `[%mod %ctl key]`.
    Ctl(char),
    /// `[%mod %met key]`.
    Met(char),
    /// `[%mod %met [%bac ~]]`.
    MetBac,
}

impl Belt {
    /// `[/d/term/1 [%belt belt]]`.
    pub fn ovum(&self, heap: &mut Heap) -> Noun {
        let char_noun = |c: char| Noun::direct(c as u64).expect("a character");
        let belt = match self {
            Belt::Txt(chars) => {
                let chars: Vec<Noun> = chars.iter().map(|&c| char_noun(c)).collect();
                let tape = heap.list(&chars);
                let tag = term(heap, "txt");
                heap.cell(tag, tape)
            }
            Belt::Ret | Belt::Bac | Belt::Del => {
                let name = match self {
                    Belt::Ret => "ret",
                    Belt::Bac => "bac",
                    _ => "del",
                };
                let tag = term(heap, name);
                heap.cell(tag, Noun::ZERO)
            }
            Belt::Aro(way) => {
                let tag = term(heap, "aro");
                heap.cell(tag, char_noun(*way))
            }
            Belt::Ctl(key) | Belt::Met(key) => {
                let tag = term(heap, "mod");
                let which = term(heap, if matches!(self, Belt::Ctl(_)) { "ctl" } else { "met" });
                heap.tuple(&[tag, which, char_noun(*key)])
            }
            Belt::MetBac => {
                let tag = term(heap, "mod");
                let met = term(heap, "met");
                let bac = term(heap, "bac");
                let key = heap.cell(bac, Noun::ZERO);
                heap.tuple(&[tag, met, key])
            }
        };
        belt_ovum(heap, belt)
    }
}

/// What a key decoder makes of some bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Key {
    Belt(Belt),
    /// Not a key: ring the bell here.
    Bell,
}

/// Decodes raw-mode keyboard bytes into belts, as Vere 1.17 does (spec/io.md §9.2). Text is gathered and
/// sent as one `%txt` at the end of each read or before any other key; an escape sequence or a UTF-8
/// character split across reads is kept for the next.
#[derive(Debug, Default)]
pub struct KeyDecoder {
    pending: Vec<u8>,
}

impl KeyDecoder {
    /// The keys in `bytes` (one read's worth).
    pub fn feed(&mut self, bytes: &[u8]) -> Vec<Key> {
        self.pending.extend_from_slice(bytes);
        let mut keys = Vec::new();
        let mut text: Vec<char> = Vec::new();
        let mut at = 0;
        let input = std::mem::take(&mut self.pending);
        let flush = |text: &mut Vec<char>, keys: &mut Vec<Key>| {
            if !text.is_empty() {
                keys.push(Key::Belt(Belt::Txt(std::mem::take(text))));
            }
        };
        while at < input.len() {
            let byte = input[at];
            let rest = &input[at..];
            match byte {
                0x20..=0x7e => {
                    text.push(byte as char);
                    at += 1;
                }
                0x0d | 0x0a | 0x08 | 0x7f | 0x01..=0x1a | 0x00 => {
                    flush(&mut text, &mut keys);
                    keys.push(match byte {
                        0x0d | 0x0a => Key::Belt(Belt::Ret),
                        0x08 | 0x7f => Key::Belt(Belt::Bac),
                        0x00 => Key::Bell,
                        _ => Key::Belt(Belt::Ctl((b'a' + byte - 1) as char)),
                    });
                    at += 1;
                }
                0x1b => match escape(rest) {
                    None => {
                        self.pending = rest.to_vec();
                        break;
                    }
                    Some((key, length)) => {
                        flush(&mut text, &mut keys);
                        keys.push(key);
                        at += length;
                    }
                },
                0x80..=0xff => {
                    let width = match byte {
                        0xc2..=0xdf => 2,
                        0xe0..=0xef => 3,
                        0xf0..=0xf4 => 4,
                        _ => 0,
                    };
                    if width == 0 {
                        at += 1; // not the start of a UTF-8 character: dropped
                    } else if rest.len() < width {
                        self.pending = rest.to_vec();
                        break;
                    } else {
                        match std::str::from_utf8(&rest[..width]) {
                            Ok(s) => text.extend(s.chars()),
                            Err(_) => keys.push(Key::Bell),
                        }
                        at += width;
                    }
                }
                _ => at += 1,
            }
        }
        flush(&mut text, &mut keys);
        keys
    }
}

/// The key an escape sequence at the start of `rest` stands for, and its length in bytes; `None` if the
/// sequence is not complete yet. Arrows, delete, meta-letters and meta-backspace are keys; anything else
/// rings the bell.
fn escape(rest: &[u8]) -> Option<(Key, usize)> {
    let &next = rest.get(1)?;
    Some(match next {
        b'[' | b'O' => {
            let &code = rest.get(2)?;
            match code {
                b'A' | b'B' | b'C' | b'D' => {
                    let way = match code {
                        b'A' => 'u',
                        b'B' => 'd',
                        b'C' => 'r',
                        _ => 'l',
                    };
                    (Key::Belt(Belt::Aro(way)), 3)
                }
                b'0'..=b'9' if next == b'[' => {
                    let &end = rest.get(3)?;
                    let key = if code == b'3' && end == b'~' { Key::Belt(Belt::Del) } else { Key::Bell };
                    (key, if end == b'~' { 4 } else { 3 })
                }
                _ => (Key::Bell, 3),
            }
        }
        b'a'..=b'z' => (Key::Belt(Belt::Met(next as char)), 2),
        0x08 | 0x7f => (Key::Belt(Belt::MetBac), 2),
        _ => (Key::Bell, 2),
    })
}

// ---------------------------------------------------------------------------------------------------------
// Blits.

/// A colour: `~` (the terminal's), one of the eight named, or true colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tint {
    Default,
    /// The ANSI digit 0–7 (`%k %r %g %y %b %m %c %w`).
    Named(u8),
    Rgb(u8, u8, u8),
}

/// One styled run of a `%klr`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Segment {
    pub bold: bool,
    pub underline: bool,
    pub blink: bool,
    pub bg: Tint,
    pub fg: Tint,
    pub text: String,
}

/// A blit, read from its noun.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Blit {
    Bel,
    Clr,
    /// To a column of the bottom row.
    Hop(u64),
    /// To `(x, y)`.
    HopTo(u64, u64),
    /// Text; `redraw` when it is part of drum's redraw of the prompt line (a `%mor` that wipes the line).
    Put {
        text: String,
        redraw: bool,
    },
    Klr {
        segments: Vec<Segment>,
        redraw: bool,
    },
    Nel,
    Wyp,
    /// A file to write under `.urb/put`: its relative path and bytes.
    Save {
        path: PathBuf,
        bytes: Vec<u8>,
    },
}

fn chars_of(heap: &Heap, mut list: Noun, budget: &mut usize) -> String {
    let mut text = String::new();
    while let Some((c, rest)) = heap.cell_parts(list) {
        if *budget == 0 {
            break;
        }
        *budget -= 1;
        let c = heap.as_u64(c).and_then(|c| char::from_u32(c as u32)).unwrap_or('\u{fffd}');
        text.push(c);
        list = rest;
    }
    text
}

fn tint_of(heap: &Heap, tint: Noun) -> Tint {
    if let Some((r, rest)) = heap.cell_parts(tint) {
        let (g, b) = heap.cell_parts(rest).unwrap_or((Noun::ZERO, Noun::ZERO));
        let byte = |n: Noun| heap.as_u64(n).unwrap_or(0).min(255) as u8;
        return Tint::Rgb(byte(r), byte(g), byte(b));
    }
    let digit = match tint.as_direct().and_then(|t| u8::try_from(t).ok()) {
        Some(b'k') => 0,
        Some(b'r') => 1,
        Some(b'g') => 2,
        Some(b'y') => 3,
        Some(b'b') => 4,
        Some(b'm') => 5,
        Some(b'c') => 6,
        Some(b'w') => 7,
        _ => return Tint::Default,
    };
    Tint::Named(digit)
}

fn segment_of(heap: &Heap, segment: Noun, budget: &mut usize) -> Segment {
    let (stye, text) = heap.cell_parts(segment).unwrap_or((Noun::ZERO, Noun::ZERO));
    let (decos, tints) = heap.cell_parts(stye).unwrap_or((Noun::ZERO, Noun::ZERO));
    let (bg, fg) = heap.cell_parts(tints).unwrap_or((Noun::ZERO, Noun::ZERO));
    let mut segment = Segment {
        bold: false,
        underline: false,
        blink: false,
        bg: tint_of(heap, bg),
        fg: tint_of(heap, fg),
        text: chars_of(heap, text, budget),
    };
    // The decorations are a set: a tree [n l r].
    let mut nodes = vec![decos];
    let mut seen = 0;
    while let Some(node) = nodes.pop() {
        let Some((deco, branches)) = heap.cell_parts(node) else { continue };
        seen += 1;
        if seen > DECOS_MAX {
            break;
        }
        if tag_is(Some(deco), b"br") {
            segment.bold = true;
        } else if tag_is(Some(deco), b"un") {
            segment.underline = true;
        } else if tag_is(Some(deco), b"bl") {
            segment.blink = true;
        }
        if let Some((left, right)) = heap.cell_parts(branches) {
            nodes.push(right);
            nodes.push(left);
        }
    }
    segment
}

/// Whether a list of blits is drum's redraw of the prompt line: it wipes the line (`%wyp`) and does not
/// end it (`%nel`). A printed line is `[%mor [%hop 0] [%wyp ~] <%put or %klr> [%nel ~] ~]`.
fn is_redraw(heap: &Heap, mut list: Noun) -> bool {
    let (mut wipes, mut ends) = (false, false);
    for _ in 0..BLITS_MAX {
        let Some((blit, rest)) = heap.cell_parts(list) else { break };
        wipes |= tag_is(heap.head(blit), b"wyp");
        ends |= tag_is(heap.head(blit), b"nel");
        list = rest;
    }
    wipes && !ends
}

/// A `%sav`/`%sag` path as a file under `.urb/put`: the last element is the extension. `None` for a
/// path with no name, or with an element that is not a plain file name.
fn save_path(heap: &Heap, mut path: Noun) -> Option<PathBuf> {
    let mut parts = Vec::new();
    while let Some((knot, rest)) = heap.cell_parts(path) {
        let bytes = heap.atom(knot)?.to_bytes();
        let text = String::from_utf8(bytes).ok()?;
        if text.is_empty() || text == "." || text == ".." || text.contains('/') || text.contains('\0') {
            return None;
        }
        parts.push(text);
        path = rest;
        if parts.len() > 64 {
            return None;
        }
    }
    let extension = parts.pop()?;
    let name = parts.pop()?;
    let mut file: PathBuf = parts.iter().collect();
    file.push(format!("{name}.{extension}"));
    Some(file)
}

/// Reads a `%blit` effect's list of blits, `%mor` flattened (bounded in depth, count and characters).
pub fn read_blits(heap: &Heap, list: Noun) -> Vec<Blit> {
    let mut blits = Vec::new();
    let mut budget = EFFECT_CHARS_MAX;
    // (list, depth, whether it is a prompt's redraw)
    let mut stack = vec![(list, 0usize, false)];
    while let Some((at, depth, redraw)) = stack.pop() {
        if blits.len() >= BLITS_MAX {
            break;
        }
        let Some((blit, rest)) = heap.cell_parts(at) else { continue };
        stack.push((rest, depth, redraw));
        let tag = heap.head(blit);
        let body = heap.tail(blit).unwrap_or(Noun::ZERO);
        if tag_is(tag, b"put") || tag_is(tag, b"lin") {
            blits.push(Blit::Put { text: chars_of(heap, body, &mut budget), redraw });
        } else if tag_is(tag, b"klr") {
            let mut segments = Vec::new();
            let mut stub = body;
            while let Some((segment, more)) = heap.cell_parts(stub) {
                segments.push(segment_of(heap, segment, &mut budget));
                stub = more;
            }
            blits.push(Blit::Klr { segments, redraw });
        } else if tag_is(tag, b"bel") {
            blits.push(Blit::Bel);
        } else if tag_is(tag, b"clr") {
            blits.push(Blit::Clr);
        } else if tag_is(tag, b"hop") {
            match heap.cell_parts(body) {
                Some((x, y)) => {
                    let n = |n: Noun| heap.as_u64(n).unwrap_or(u64::MAX);
                    blits.push(Blit::HopTo(n(x), n(y)));
                }
                None => blits.push(Blit::Hop(heap.as_u64(body).unwrap_or(u64::MAX))),
            }
        } else if tag_is(tag, b"nel") {
            blits.push(Blit::Nel);
        } else if tag_is(tag, b"wyp") {
            blits.push(Blit::Wyp);
        } else if tag_is(tag, b"mor") && depth < BLIT_DEPTH_MAX {
            if heap.cell_parts(body).is_none() {
                blits.push(Blit::Nel);
            }
            stack.push((body, depth + 1, is_redraw(heap, body)));
        } else if tag_is(tag, b"sav") || tag_is(tag, b"sag") {
            let (path, data) = heap.cell_parts(body).unwrap_or((Noun::ZERO, Noun::ZERO));
            let bytes = if tag_is(tag, b"sag") {
                heap.jam(data)
            } else {
                heap.atom(data).map(|a| a.to_bytes()).unwrap_or_default()
            };
            match save_path(heap, path) {
                Some(path) if bytes.len() <= SAVE_BYTES_MAX => blits.push(Blit::Save { path, bytes }),
                _ => eprintln!("term: a %sav to a path that is not a file name, or too large: ignored"),
            }
        }
    }
    blits
}

/// Writes a `%sav`/`%sag` file under `<pier>/.urb/put`.
pub fn save(pier: &Path, path: &Path, bytes: &[u8]) {
    let file = pier.join(".urb/put").join(path);
    let written =
        file.parent().map_or(Ok(()), std::fs::create_dir_all).and_then(|()| std::fs::write(&file, bytes));
    if let Err(e) = written {
        eprintln!("term: cannot write {}: {e}", file.display());
    }
}

/// Adds to a conn `%dojo` capture what these blits print: their text lines (not the prompt's redraws), and
/// whether the ship beeped.
pub fn capture(capture: &mut Capture, blits: &[Blit]) {
    for blit in blits {
        match blit {
            Blit::Put { text, redraw: false } => capture.lines.push(text.clone()),
            Blit::Klr { segments, redraw: false } => {
                capture.lines.push(segments.iter().map(|s| s.text.as_str()).collect())
            }
            Blit::Bel => capture.bell = true,
            _ => {}
        }
    }
}

/// What one of the terminal's effects asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TermEffect {
    Draw(Vec<Blit>),
    /// `%logo`: the ship asks to shut down.
    Logo,
}

/// Reads an effect on `/term/...`; `None` for an effect that is not the terminal's.
pub fn terminal_effect(heap: &Heap, wire: Noun, card: Noun) -> Option<TermEffect> {
    if !tag_is(heap.head(wire), b"term") {
        return None;
    }
    let tag = heap.head(card);
    if tag_is(tag, b"blit") {
        return Some(TermEffect::Draw(read_blits(heap, heap.tail(card).unwrap_or(Noun::ZERO))));
    }
    if tag_is(tag, b"logo") {
        return Some(TermEffect::Logo);
    }
    // %pack, %meld, %mass and others: nothing to draw.
    Some(TermEffect::Draw(Vec::new()))
}

/// `kick: lost %TAG on /WIRE`: an effect no driver takes.
pub fn report_lost(heap: &Heap, wire: Noun, card: Noun) {
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
        name(heap.head(card)).unwrap_or_default(),
        if path.is_empty() { "/" } else { &path }
    );
}

/// Line-mode rendering, as Vere's `-t` mode (spec/io.md §9.4): each `%put`, `%klr` (and old `%lin`) prints
/// as a line of its own, without styling; everything else is ignored (a prompt's redraw prints the prompt
/// line again).
pub fn render_lines(blits: &[Blit], out: &mut impl Write) {
    for blit in blits {
        match blit {
            Blit::Put { text, .. } => {
                let _ = writeln!(out, "{text}");
            }
            Blit::Klr { segments, .. } => {
                let line: String = segments.iter().map(|s| s.text.as_str()).collect();
                let _ = writeln!(out, "{line}");
            }
            _ => {}
        }
    }
    let _ = out.flush();
}

/// Raw-mode rendering on an ANSI terminal (spec/io.md §9.3): the cursor goes where drum puts it (`%hop`,
/// saved with `ESC[s`), text is written at it without moving it (restored with `ESC[u`).
pub struct AnsiOutput {
    pub rows: u64,
    pub cols: u64,
    /// The prompt line as drum last drew it (its text, rendered) and the cursor's column in it: the
    /// runtime's own log lines are printed above it and it is drawn again, as Vere does.
    prompt: (Vec<u8>, u64),
}

/// A `%klr` stub's text with its styles.
fn styled(segments: &[Segment], out: &mut Vec<u8>) {
    for segment in segments {
        let style = style_codes(segment);
        if style.is_empty() {
            out.extend_from_slice(segment.text.as_bytes());
        } else {
            out.extend_from_slice(format!("\x1b[{style}m").as_bytes());
            out.extend_from_slice(segment.text.as_bytes());
            out.extend_from_slice(b"\x1b[0m");
        }
    }
}

impl AnsiOutput {
    pub fn new(cols: u64, rows: u64) -> AnsiOutput {
        AnsiOutput { rows, cols, prompt: (Vec::new(), 0) }
    }

    /// Notes the prompt line drum redraws among `blits` (its text, then the `%hop` to its cursor).
    pub fn mirror(&mut self, blits: &[Blit]) {
        let mut redrawn: Option<(Vec<u8>, u64)> = None;
        // The cursor is the `%hop` right after the redrawn text.
        let mut cursor_next = false;
        for blit in blits {
            match blit {
                Blit::Klr { segments, redraw: true } => {
                    let mut text = Vec::new();
                    styled(segments, &mut text);
                    let width = segments.iter().map(|s| s.text.chars().count() as u64).sum();
                    redrawn = Some((text, width));
                    cursor_next = true;
                    continue;
                }
                Blit::Put { text, redraw: true } => {
                    redrawn = Some((text.as_bytes().to_vec(), text.chars().count() as u64));
                    cursor_next = true;
                    continue;
                }
                Blit::Hop(x) if cursor_next => {
                    if let Some((_, cursor)) = redrawn.as_mut() {
                        *cursor = *x;
                    }
                }
                _ => {}
            }
            cursor_next = false;
        }
        if let Some(prompt) = redrawn {
            self.prompt = prompt;
        }
    }

    /// The bytes that print one of the runtime's log lines above the prompt, then draw the prompt again.
    pub fn log_line(&self, line: &str) -> Vec<u8> {
        let mut out = b"\r\x1b[K".to_vec();
        out.extend_from_slice(line.as_bytes());
        out.extend_from_slice(b"\r\n");
        let row = self.rows.max(1);
        out.extend_from_slice(format!("\x1b[{row};1H\x1b[K").as_bytes());
        out.extend_from_slice(&self.prompt.0);
        let column = self.prompt.1.min(self.cols.saturating_sub(1)) + 1;
        out.extend_from_slice(format!("\x1b[{row};{column}H\x1b[s").as_bytes());
        out
    }

    /// The bytes that draw `blits`.
    pub fn render(&self, blits: &[Blit]) -> Vec<u8> {
        let mut out = Vec::new();
        for blit in blits {
            match blit {
                Blit::Bel => out.push(0x07),
                Blit::Clr => out.extend_from_slice(b"\x1b[H\x1b[2J\x1b[u"),
                Blit::Hop(x) => {
                    let x = (*x).min(self.cols.saturating_sub(1));
                    out.extend_from_slice(format!("\x1b[{};{}H\x1b[s", self.rows.max(1), x + 1).as_bytes());
                }
                Blit::HopTo(x, y) => {
                    let x = (*x).min(self.cols.saturating_sub(1));
                    let y = (*y).min(self.rows.saturating_sub(1));
                    out.extend_from_slice(format!("\x1b[{};{}H\x1b[s", y + 1, x + 1).as_bytes());
                }
                Blit::Put { text, .. } => {
                    out.extend_from_slice(text.as_bytes());
                    out.extend_from_slice(b"\x1b[u");
                }
                Blit::Klr { segments, .. } => {
                    styled(segments, &mut out);
                    out.extend_from_slice(b"\x1b[u");
                }
                Blit::Nel => out.extend_from_slice(b"\r\n\x1b[s"),
                Blit::Wyp => out.extend_from_slice(b"\r\x1b[K\x1b[u"),
                Blit::Save { .. } => {}
            }
        }
        out
    }
}

fn style_codes(segment: &Segment) -> String {
    let mut codes: Vec<String> = Vec::new();
    if segment.bold {
        codes.push("1".into());
    }
    if segment.underline {
        codes.push("4".into());
    }
    if segment.blink {
        codes.push("5".into());
    }
    let tint = |tint: Tint, base: char| match tint {
        Tint::Default => None,
        Tint::Named(digit) => Some(format!("{base}{digit}")),
        Tint::Rgb(r, g, b) => Some(format!("{base}8;2;{r};{g};{b}")),
    };
    codes.extend(tint(segment.bg, '4'));
    codes.extend(tint(segment.fg, '3'));
    codes.join(";")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn belts(bytes: &[u8]) -> Vec<Key> {
        KeyDecoder::default().feed(bytes)
    }

    #[test]
    fn keys_decode_as_vere_does() {
        use Belt::*;
        let b = Key::Belt;
        assert_eq!(belts(b"ab\r"), vec![b(Txt(vec!['a', 'b'])), b(Ret)]);
        assert_eq!(
            belts(b"\x7f\x08\x01\x09\x04"),
            vec![b(Bac), b(Bac), b(Ctl('a')), b(Ctl('i')), b(Ctl('d'))]
        );
        assert_eq!(
            belts(b"\x1b[A\x1bOB\x1b[C\x1b[D"),
            vec![b(Aro('u')), b(Aro('d')), b(Aro('r')), b(Aro('l'))]
        );
        assert_eq!(belts(b"\x1b[3~"), vec![b(Del)]);
        assert_eq!(belts(b"\x1b[5~"), vec![Key::Bell]);
        assert_eq!(belts(b"\x1bf\x1b\x7f"), vec![b(Met('f')), b(MetBac)]);
        assert_eq!(belts("é€".as_bytes()), vec![b(Txt(vec!['é', '€']))]);
        assert_eq!(belts(b"\x00"), vec![Key::Bell]);
        assert_eq!(belts(b"x\x1b[Ay"), vec![b(Txt(vec!['x'])), b(Aro('u')), b(Txt(vec!['y']))]);
    }

    #[test]
    fn split_sequences_wait_for_the_next_read() {
        let mut decoder = KeyDecoder::default();
        assert_eq!(decoder.feed(b"a\x1b["), vec![Key::Belt(Belt::Txt(vec!['a']))]);
        assert_eq!(decoder.feed(b"A"), vec![Key::Belt(Belt::Aro('u'))]);
        let euro = "€".as_bytes();
        assert_eq!(decoder.feed(&euro[..1]), vec![]);
        assert_eq!(decoder.feed(&euro[1..]), vec![Key::Belt(Belt::Txt(vec!['€']))]);
    }

    fn t(heap: &mut Heap, text: &str) -> Noun {
        heap.atom_from_bytes(text.as_bytes())
    }

    fn tape(heap: &mut Heap, text: &str) -> Noun {
        let chars: Vec<Noun> = text.chars().map(|c| Noun::direct(c as u64).unwrap()).collect();
        heap.list(&chars)
    }

    #[test]
    fn drum_s_prompt_redraw_renders_and_is_not_captured() {
        let mut heap = Heap::new();
        // [%mor [%hop 0] [%wyp ~] [%klr [[[~ ~ %g] "~zod:dojo> "] ~]] [%hop 11] ~], then [%put "4"]
        let hop = t(&mut heap, "hop");
        let wyp = t(&mut heap, "wyp");
        let klr = t(&mut heap, "klr");
        let mor = t(&mut heap, "mor");
        let put = t(&mut heap, "put");
        let green = Noun::direct(b'g' as u64).unwrap();
        let prompt = tape(&mut heap, "~zod:dojo> ");
        let tints = heap.cell(Noun::ZERO, green);
        let stye = heap.cell(Noun::ZERO, tints);
        let segment = heap.cell(stye, prompt);
        let stub = heap.list(&[segment]);
        let items = [
            heap.cell(hop, Noun::ZERO),
            heap.cell(wyp, Noun::ZERO),
            heap.cell(klr, stub),
            heap.cell(hop, Noun::direct(11).unwrap()),
        ];
        let redraw = heap.list(&items);
        // Drum prints a line as [%mor [%hop 0] [%wyp ~] [%put "4"] [%nel ~] ~].
        let four = tape(&mut heap, "4");
        let nel = t(&mut heap, "nel");
        let printed = [
            heap.cell(hop, Noun::ZERO),
            heap.cell(wyp, Noun::ZERO),
            heap.cell(put, four),
            heap.cell(nel, Noun::ZERO),
        ];
        let printed = heap.list(&printed);
        let list = [heap.cell(mor, redraw), heap.cell(mor, printed)];
        let list = heap.list(&list);
        let blits = read_blits(&heap, list);
        let mut output = AnsiOutput::new(80, 24);
        let ansi = output.render(&blits);
        assert_eq!(
            String::from_utf8(ansi).unwrap(),
            "\x1b[24;1H\x1b[s\r\x1b[K\x1b[u\x1b[32m~zod:dojo> \x1b[0m\x1b[u\x1b[24;12H\x1b[s\
             \x1b[24;1H\x1b[s\r\x1b[K\x1b[u4\x1b[u\r\n\x1b[s"
        );
        // A log line goes above the prompt, which is drawn again with its cursor.
        output.mirror(&blits);
        assert_eq!(
            String::from_utf8(output.log_line("slog")).unwrap(),
            "\r\x1b[Kslog\r\n\x1b[24;1H\x1b[K\x1b[32m~zod:dojo> \x1b[0m\x1b[24;12H\x1b[s"
        );
        let mut capture = Capture::default();
        super::capture(&mut capture, &blits);
        assert_eq!(capture.lines, vec!["4".to_string()]);
        let mut lines = Vec::new();
        render_lines(&blits, &mut lines);
        assert_eq!(String::from_utf8(lines).unwrap(), "~zod:dojo> \n4\n");
    }

    #[test]
    fn save_paths_map_to_files() {
        let mut heap = Heap::new();
        let parts: Vec<Noun> = ["foo", "bar", "txt"].iter().map(|p| t(&mut heap, p)).collect();
        let path = heap.list(&parts);
        assert_eq!(save_path(&heap, path), Some(PathBuf::from("foo/bar.txt")));
        let parts: Vec<Noun> = ["..", "txt"].iter().map(|p| t(&mut heap, p)).collect();
        let path = heap.list(&parts);
        assert_eq!(save_path(&heap, path), None);
    }
}
