//! conn: the control socket (spec/io.md §11): a Unix stream socket in the pier through which a script
//! talks to a running ship. This module is the driver's logic — the "newt" framing, reading requests,
//! building replies and the events conn injects, recognising the effects meant for it. The app owns the
//! sockets and drives them through the reactor.
//!
//! Framing, both ways: the byte 0, the payload's length as a 32-bit little-endian number, then the payload,
//! which is the jam of a noun. A request is `[rid tag data]` with `rid` an atom the client chooses; every
//! reply starts with it. Vere 1.16's requests are all understood (`%peel`, `%peek`, `%ovum`, `%fyrd`,
//! `%urth`); engine adds one, `[rid %dojo line=@t]`: type `line` into the ship's terminal session and
//! answer `[rid %dojo taken=? lines=(list @t)]`: the text lines the terminal printed while the ship
//! worked on it, and whether the line was taken (a beep says it was not: it does not parse, or is
//! incomplete; the line is then cleared). This is what `engine dojo` uses.
//!
//! A request that cannot be read gets `[0 %bail code msg]` and the connection is closed, as in Vere; the
//! code is Vere's negative number as a 32-bit word (-1 is `0xffff.ffff`).

mod server;

pub use server::{
    CONNECTIONS_MAX, ConnAction, ConnActions, ConnServer, Connection, EventEnd, OUT_BYTES_MAX,
    REQUESTS_WAITING_MAX, Reply,
};

use components::{Heap, Noun, aura};

/// The most bytes one frame may carry; a longer one is refused (the connection is closed).
pub const FRAME_BYTES_MAX: usize = 64 << 20;
/// The path of the socket inside the pier, as Vere has it.
pub const SOCKET_PATH: &str = ".urb/conn.sock";

const TERM_K: u64 = b'k' as u64;
const TERM_KHAN: u64 = u32::from_le_bytes(*b"khan") as u64;
const TERM_BORN: u64 = u32::from_le_bytes(*b"born") as u64;
const TERM_DONE: u64 = u32::from_le_bytes(*b"done") as u64;
const TERM_DROP: u64 = u32::from_le_bytes(*b"drop") as u64;
const TERM_NEWS: u64 = u32::from_le_bytes(*b"news") as u64;
const TERM_BAIL: u64 = u32::from_le_bytes(*b"bail") as u64;
const TERM_PEEL: u64 = u32::from_le_bytes(*b"peel") as u64;
const TERM_PEEK: u64 = u32::from_le_bytes(*b"peek") as u64;
const TERM_OVUM: u64 = u32::from_le_bytes(*b"ovum") as u64;
const TERM_FYRD: u64 = u32::from_le_bytes(*b"fyrd") as u64;
const TERM_URTH: u64 = u32::from_le_bytes(*b"urth") as u64;
const TERM_DOJO: u64 = u32::from_le_bytes(*b"dojo") as u64;
const TERM_AVOW: u64 = u32::from_le_bytes(*b"avow") as u64;
const TERM_PACK: u64 = u32::from_le_bytes(*b"pack") as u64;
const TERM_MELD: u64 = u32::from_le_bytes(*b"meld") as u64;

fn term(heap: &mut Heap, text: &str) -> Noun {
    heap.atom_from_bytes(text.as_bytes())
}

fn direct(value: u64) -> Noun {
    Noun::direct(value).expect("a small atom")
}

/// Wraps a payload in a frame.
pub fn frame(payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(payload.len() + 5);
    out.push(0);
    out.extend_from_slice(&(payload.len() as u32).to_le_bytes());
    out.extend_from_slice(payload);
    out
}

/// Why a stream of frames cannot be read on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FrameError {
    /// The first byte of a frame was not 0.
    BadTag(u8),
    /// A frame of length 0.
    Empty,
    /// A frame longer than [`FRAME_BYTES_MAX`].
    TooLong(usize),
}

impl std::fmt::Display for FrameError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FrameError::BadTag(byte) => write!(f, "a frame starts with {byte:#04x}, not 0"),
            FrameError::Empty => write!(f, "an empty frame"),
            FrameError::TooLong(len) => write!(f, "a frame of {len} bytes (at most {FRAME_BYTES_MAX})"),
        }
    }
}

/// Cuts a byte stream into frames.
#[derive(Debug, Default)]
pub struct Decoder {
    buffer: Vec<u8>,
}

impl Decoder {
    /// Adds bytes read from the stream.
    pub fn feed(&mut self, bytes: &[u8]) {
        self.buffer.extend_from_slice(bytes);
    }

    /// The next whole frame's payload, if one has arrived.
    pub fn next_frame(&mut self) -> Result<Option<Vec<u8>>, FrameError> {
        let Some(&tag) = self.buffer.first() else { return Ok(None) };
        if tag != 0 {
            return Err(FrameError::BadTag(tag));
        }
        if self.buffer.len() < 5 {
            return Ok(None);
        }
        let len = u32::from_le_bytes(self.buffer[1..5].try_into().expect("four bytes")) as usize;
        if len == 0 {
            return Err(FrameError::Empty);
        }
        if len > FRAME_BYTES_MAX {
            return Err(FrameError::TooLong(len));
        }
        if self.buffer.len() < 5 + len {
            return Ok(None);
        }
        let payload = self.buffer[5..5 + len].to_vec();
        self.buffer.drain(..5 + len);
        Ok(Some(payload))
    }
}

/// A request that cannot be served: the connection gets `[0 %bail code msg]` and is closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bail {
    /// The frame is not a jam.
    CueNone,
    /// Not `[rid=@ tag data]`.
    JarBad,
    /// A tag that is not a request.
    TagUnknown,
    /// `%ovum` without `[target wire card]`.
    OvumBad,
    /// `%urth` with something other than `%pack` or `%meld`.
    UrthBad,
    /// `%fyrd` before khan has started.
    KhanMiss,
    /// Not a frame (engine's: Vere's newt reports these with its own codes).
    Framing,
}

impl Bail {
    /// Vere's code (a negative number) and message.
    pub fn code(self) -> (i32, &'static str) {
        match self {
            Bail::CueNone => (-1, "cue-none"),
            Bail::JarBad => (-2, "jar-bad"),
            Bail::TagUnknown => (-3, "tag-unknown"),
            Bail::OvumBad => (-6, "ovum-bad"),
            Bail::UrthBad => (-7, "urth-bad"),
            Bail::KhanMiss => (-8, "khan-miss"),
            Bail::Framing => (-9, "frame-bad"),
        }
    }

    /// `[0 %bail code msg]`, the code as Vere writes a negative number (a 32-bit word).
    pub fn reply(self, heap: &mut Heap) -> Noun {
        let (code, message) = self.code();
        let code = heap.atom_u64(code as u32 as u64);
        let message = term(heap, message);
        heap.tuple(&[Noun::ZERO, direct(TERM_BAIL), code, message])
    }
}

/// What `%urth` asks of the runtime.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Urth {
    Pack,
    Meld,
}

/// A request, read from its noun (whose parts stay in the heap it was read into).
#[derive(Debug, Clone, Copy)]
pub enum Request {
    /// A query of the runtime itself, answered at once: `[rid (unit *)]`.
    Peel { rid: Noun, path: Noun },
    /// A scry: `nom` is the argument of Arvo's `peek` (lyc is `[~ ~]`, ourself). Answer `[rid %peek
    /// (unit (cask))]`.
    Peek { rid: Noun, nom: Noun },
    /// An ovum to inject, `[[target wire] card]`. Answer `[rid %news %done]`, `%drop`, or `%bail`.
    Ovum { rid: Noun, ovum: Noun },
    /// A thread for khan: `card` is the whole `[%fyrd ...]`. Answer `[rid %avow ...]` when khan gives it.
    Fyrd { rid: Noun, card: Noun },
    /// A runtime command, acknowledged at once with `[rid %.y]`.
    Urth { rid: Noun, what: Urth },
    /// engine's: a line typed into the terminal session.
    Dojo { rid: Noun, line: Noun },
}

impl Request {
    /// The request id.
    pub fn rid(&self) -> Noun {
        match *self {
            Request::Peel { rid, .. }
            | Request::Peek { rid, .. }
            | Request::Ovum { rid, .. }
            | Request::Fyrd { rid, .. }
            | Request::Urth { rid, .. }
            | Request::Dojo { rid, .. } => rid,
        }
    }
}

/// Reads a frame's payload as a request.
pub fn read_request(heap: &mut Heap, payload: &[u8]) -> Result<Request, Bail> {
    let jar = heap.cue(payload).map_err(|_| Bail::CueNone)?;
    let (rid, can) = heap.cell_parts(jar).ok_or(Bail::JarBad)?;
    let (tag, data) = heap.cell_parts(can).ok_or(Bail::JarBad)?;
    if rid.is_cell() {
        return Err(Bail::JarBad);
    }
    match tag.as_direct() {
        Some(TERM_PEEL) => Ok(Request::Peel { rid, path: data }),
        Some(TERM_PEEK) => Ok(Request::Peek { rid, nom: data }),
        Some(TERM_OVUM) => {
            let (target, rest) = heap.cell_parts(data).ok_or(Bail::OvumBad)?;
            let (wire, card) = heap.cell_parts(rest).ok_or(Bail::OvumBad)?;
            let full_wire = heap.cell(target, wire);
            Ok(Request::Ovum { rid, ovum: heap.cell(full_wire, card) })
        }
        Some(TERM_FYRD) => Ok(Request::Fyrd { rid, card: can }),
        Some(TERM_URTH) => match data.as_direct() {
            Some(TERM_PACK) => Ok(Request::Urth { rid, what: Urth::Pack }),
            Some(TERM_MELD) => Ok(Request::Urth { rid, what: Urth::Meld }),
            _ => match heap.cell_parts(data) {
                Some((head, _)) if head.as_direct() == Some(TERM_MELD) => {
                    Ok(Request::Urth { rid, what: Urth::Meld })
                }
                _ => Err(Bail::UrthBad),
            },
        },
        Some(TERM_DOJO) if data.is_atom() => Ok(Request::Dojo { rid, line: data }),
        _ => Err(Bail::TagUnknown),
    }
}

/// What the runtime knows that `%peel` can tell.
#[derive(Debug, Clone, Copy)]
pub struct PeelFacts<'a> {
    pub live: bool,
    pub khan: bool,
    pub who: u128,
    pub version: &'a str,
    /// The ship's ames flows (engine's `/ames`).
    pub flows: &'a [FlowFact],
}

/// One ames peer of the ship, as `%peel /ames` tells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FlowFact {
    pub peer: u128,
    /// Where its packets last came from or went to: the lane's atom (`port << 32 | ip`).
    pub lane: Option<u64>,
    pub packets_in: u64,
    pub packets_out: u64,
    pub bytes_in: u64,
    pub bytes_out: u64,
    /// When it was last heard from (`@da`).
    pub last_heard: Option<u128>,
}

impl FlowFact {
    /// `[peer lane=(unit @) packets-in packets-out bytes-in bytes-out last-heard=(unit @da)]`.
    fn noun(&self, heap: &mut Heap) -> Noun {
        let peer = heap.atom_from_bytes(&self.peer.to_le_bytes());
        let unit = |heap: &mut Heap, value: Option<Noun>| match value {
            Some(value) => heap.cell(Noun::ZERO, value),
            None => Noun::ZERO,
        };
        let lane = self.lane.map(|lane| heap.atom_u64(lane));
        let lane = unit(heap, lane);
        let counts: Vec<Noun> = [self.packets_in, self.packets_out, self.bytes_in, self.bytes_out]
            .iter()
            .map(|&n| heap.atom_u64(n))
            .collect();
        let last = self.last_heard.map(|da| heap.atom_from_bytes(&da.to_le_bytes()));
        let last = unit(heap, last);
        heap.tuple(&[peer, lane, counts[0], counts[1], counts[2], counts[3], last])
    }

    /// A flow back from its noun (for the `engine ames` client).
    pub fn from_noun(heap: &Heap, noun: Noun) -> Option<FlowFact> {
        let item = |axis: u64| heap.slot_u64(noun, axis);
        let number = |axis: u64| item(axis).and_then(|n| heap.atom(n)).and_then(|a| a.as_u64());
        let big = |n: Noun| {
            heap.atom(n).map(|a| a.to_bytes()).filter(|b| b.len() <= 16).map(|b| {
                let mut bytes = [0u8; 16];
                bytes[..b.len()].copy_from_slice(&b);
                u128::from_le_bytes(bytes)
            })
        };
        let unit = |axis: u64| item(axis).and_then(|u| heap.tail(u));
        Some(FlowFact {
            peer: big(item(2)?)?,
            lane: unit(6).and_then(|n| heap.atom(n)).and_then(|a| a.as_u64()),
            packets_in: number(14)?,
            packets_out: number(30)?,
            bytes_in: number(62)?,
            bytes_out: number(126)?,
            last_heard: unit(127).and_then(big),
        })
    }
}

/// The answer to a `%peel` of `path` (a list of knots): `[~ value]`, or `~` for an unknown path.
pub fn peel(heap: &mut Heap, path: Noun, facts: PeelFacts<'_>) -> Noun {
    let Some((head, rest)) = heap.cell_parts(path) else { return Noun::ZERO };
    if rest.as_direct() != Some(0) {
        return Noun::ZERO;
    }
    let name = heap.atom(head).map(|a| a.to_bytes()).unwrap_or_default();
    let value = match name.as_slice() {
        b"help" => {
            let items: Vec<Noun> = ["ames", "help", "khan", "live", "v", "who"]
                .iter()
                .map(|&command| {
                    let command = term(heap, command);
                    heap.cell(command, Noun::ZERO)
                })
                .collect();
            heap.list(&items)
        }
        b"live" => Noun::loobean(facts.live),
        b"khan" => Noun::loobean(facts.khan),
        b"v" => term(heap, facts.version),
        b"who" => heap.atom_from_bytes(&facts.who.to_le_bytes()),
        b"ames" => {
            let flows: Vec<Noun> = facts.flows.iter().map(|flow| flow.noun(heap)).collect();
            heap.list(&flows)
        }
        _ => return Noun::ZERO,
    };
    heap.cell(Noun::ZERO, value)
}

/// The flows of a `%peel /ames` answer (`[~ (list flow)]`), at most 100,000.
pub fn read_flows(heap: &Heap, answer: Noun) -> Option<Vec<FlowFact>> {
    let list = heap.tail(answer)?;
    crate::nouns::list_items(heap, list, 100_000)?.into_iter().map(|n| FlowFact::from_noun(heap, n)).collect()
}

/// `[rid tag value]`.
pub fn reply(heap: &mut Heap, rid: Noun, tag: &str, value: Noun) -> Noun {
    let tag = term(heap, tag);
    heap.tuple(&[rid, tag, value])
}

/// `[rid %news %done]` (computed) or `[rid %news %drop]` (dropped).
pub fn news(heap: &mut Heap, rid: Noun, done: bool) -> Noun {
    let what = if done { TERM_DONE } else { TERM_DROP };
    heap.tuple(&[rid, direct(TERM_NEWS), direct(what)])
}

fn khan_wire(heap: &mut Heap, knots: &[String]) -> Noun {
    let mut items = vec![direct(TERM_K), direct(TERM_KHAN)];
    for knot in knots {
        items.push(term(heap, knot));
    }
    heap.list(&items)
}

/// The session nonce as conn's wires write it (`@uv`).
pub fn sev_knot(heap: &mut Heap, sev: u64) -> String {
    let nonce = heap.atom_u64(sev);
    aura::render_uv(heap.atom(nonce).expect("an atom"))
}

/// `[/k/khan/<sev> [%born ~]]`, at start.
pub fn born(heap: &mut Heap, sev: &str) -> Noun {
    let wire = khan_wire(heap, &[sev.to_string()]);
    let card = heap.cell(direct(TERM_BORN), Noun::ZERO);
    heap.cell(wire, card)
}

/// `[/k/khan/<sev>/<con> [%done ~]]`: connection `con` is gone.
pub fn done(heap: &mut Heap, sev: &str, con: u64) -> Noun {
    let wire = khan_wire(heap, &[sev.to_string(), aura::render_ud(con.into())]);
    let card = heap.cell(direct(TERM_DONE), Noun::ZERO);
    heap.cell(wire, card)
}

/// A request id as its wire knot (`@uv`).
pub fn rid_knot(heap: &Heap, rid: Noun) -> String {
    heap.atom(rid).map(aura::render_uv).unwrap_or_default()
}

/// `[/k/khan/<sev>/<con>/<rid> card]`: a `%fyrd` request's event.
pub fn fyrd(heap: &mut Heap, sev: &str, con: u64, rid: Noun, card: Noun) -> Noun {
    let rid = rid_knot(heap, rid);
    let wire = khan_wire(heap, &[sev.to_string(), aura::render_ud(con.into()), rid]);
    heap.cell(wire, card)
}

/// An effect meant for this process's conn: `[%avow p]` on `/khan/<sev>/<con>/<rid>`.
#[derive(Debug, Clone)]
pub struct Avow {
    pub con: u64,
    /// The request id's knot, as it was put in the wire.
    pub rid: String,
    /// `p`, the `(each page goof)`.
    pub result: Noun,
}

fn knot(heap: &Heap, noun: Noun) -> Option<String> {
    heap.atom(noun).and_then(|a| String::from_utf8(a.to_bytes()).ok())
}

/// Whether a wire (already without its leading `~`, if any) is khan's for this session; `Some` with the
/// avow if the effect is one, `None` if it is not conn's. A khan effect that is not an `%avow` is
/// `Some(Err)`: Vere 1.16 stops the runtime there; engine logs it and drops it.
pub fn claims(heap: &Heap, wire: Noun, card: Noun, sev: &str) -> Option<Result<Avow, String>> {
    let (head, rest) = heap.cell_parts(wire)?;
    if head.as_direct() != Some(TERM_KHAN) {
        return None;
    }
    let (sev_noun, rest) = heap.cell_parts(rest)?;
    if knot(heap, sev_noun).as_deref() != Some(sev) {
        return None;
    }
    let parsed = (|| {
        let (con, rest) = heap.cell_parts(rest)?;
        let (rid, end) = heap.cell_parts(rest)?;
        if end.as_direct() != Some(0) {
            return None;
        }
        let con: u64 = knot(heap, con)?.replace('.', "").parse().ok()?;
        Some((con, knot(heap, rid)?))
    })();
    let Some((con, rid)) = parsed else {
        return Some(Err("conn: a khan effect on a wire it does not know".into()));
    };
    match heap.cell_parts(card) {
        Some((tag, result)) if tag.as_direct() == Some(TERM_AVOW) => Some(Ok(Avow { con, rid, result })),
        _ => Some(Err(format!("conn: khan sent something other than %avow for request {rid}"))),
    }
}

/// `[rid %avow p]`, to answer a `%fyrd` (the rid read back from its knot).
pub fn avow_reply(heap: &mut Heap, rid: Noun, result: Noun) -> Noun {
    heap.tuple(&[rid, direct(TERM_AVOW), result])
}

/// `[rid %dojo taken=? lines]`: `taken` is `%.n` when the ship beeped at the line (drum does when the
/// dojo does not take it: it does not parse, or is incomplete).
pub fn dojo_reply(heap: &mut Heap, rid: Noun, taken: bool, lines: &[String]) -> Noun {
    let items: Vec<Noun> = lines.iter().map(|line| term(heap, line)).collect();
    let list = heap.list(&items);
    heap.tuple(&[rid, direct(TERM_DOJO), Noun::loobean(taken), list])
}

/// `[rid %dojo 'line']`, the request `engine dojo` sends.
pub fn dojo_request(heap: &mut Heap, rid: u64, line: &str) -> Noun {
    let rid = heap.atom_u64(rid);
    let line = term(heap, line);
    heap.tuple(&[rid, direct(TERM_DOJO), line])
}

/// A `%dojo` reply: whether the line was taken, and the lines printed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DojoOutput {
    pub taken: bool,
    pub lines: Vec<String>,
}

/// The `[rid %dojo taken lines]` reply, or why it is not one.
pub fn read_dojo_reply(heap: &Heap, reply: Noun) -> Result<DojoOutput, String> {
    let (_, rest) = heap.cell_parts(reply).ok_or("the reply is an atom")?;
    let (tag, list) = heap.cell_parts(rest).ok_or("the reply has no tag")?;
    if tag.as_direct() == Some(TERM_BAIL) {
        let message = heap.tail(list).and_then(|m| knot(heap, m)).unwrap_or_default();
        return Err(format!("the ship refused the request: {message}"));
    }
    if tag.as_direct() != Some(TERM_DOJO) {
        return Err("the reply is not a %dojo reply".into());
    }
    let (taken, mut list) = heap.cell_parts(list).ok_or("the reply has no lines")?;
    let mut lines = Vec::new();
    while let Some((line, rest)) = heap.cell_parts(list) {
        let bytes = heap.atom(line).map(|a| a.to_bytes()).unwrap_or_default();
        lines.push(String::from_utf8_lossy(&bytes).into_owned());
        list = rest;
    }
    Ok(DojoOutput { taken: taken.as_direct() == Some(0), lines })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_are_cut_whatever_the_chunks() {
        let mut stream = frame(b"abc");
        stream.extend(frame(b"de"));
        for split in 0..stream.len() {
            let mut decoder = Decoder::default();
            let mut got = Vec::new();
            for chunk in [&stream[..split], &stream[split..]] {
                decoder.feed(chunk);
                while let Some(payload) = decoder.next_frame().unwrap() {
                    got.push(payload);
                }
            }
            assert_eq!(got, vec![b"abc".to_vec(), b"de".to_vec()]);
        }
    }

    #[test]
    fn bad_frames_are_errors() {
        let mut decoder = Decoder::default();
        decoder.feed(&[1, 0, 0]);
        assert_eq!(decoder.next_frame(), Err(FrameError::BadTag(1)));
        let mut decoder = Decoder::default();
        decoder.feed(&[0, 0, 0, 0, 0]);
        assert_eq!(decoder.next_frame(), Err(FrameError::Empty));
        let mut decoder = Decoder::default();
        decoder.feed(&[0, 0xff, 0xff, 0xff, 0xff]);
        assert!(matches!(decoder.next_frame(), Err(FrameError::TooLong(_))));
    }

    fn request(heap: &mut Heap, text: &str) -> Result<Request, Bail> {
        let noun = heap.parse(text).unwrap();
        let bytes = heap.jam(noun);
        read_request(heap, &bytes)
    }

    #[test]
    fn requests_are_read_and_bad_ones_refused() {
        let mut heap = Heap::new();
        let t = |s: &str| {
            u64::from_le_bytes({
                let mut b = [0u8; 8];
                b[..s.len()].copy_from_slice(s.as_bytes());
                b
            })
        };
        let peel = format!("[7 {} {} 0]", t("peel"), t("who"));
        assert!(matches!(request(&mut heap, &peel), Ok(Request::Peel { .. })));
        let ovum = format!("[7 {} {} [1 0] 5 6]", t("ovum"), b'd');
        let Ok(Request::Ovum { ovum, .. }) = request(&mut heap, &ovum) else { panic!() };
        assert_eq!(heap.print(ovum), format!("[[{} 1 0] 5 6]", b'd'));
        assert_eq!(request(&mut heap, &format!("[7 {} 5]", t("ovum"))).unwrap_err(), Bail::OvumBad);
        assert_eq!(request(&mut heap, &format!("[[1 2] {} 5]", t("peel"))).unwrap_err(), Bail::JarBad);
        assert_eq!(request(&mut heap, "[7 99 5]").unwrap_err(), Bail::TagUnknown);
        assert_eq!(request(&mut heap, &format!("[7 {} 5]", t("urth"))).unwrap_err(), Bail::UrthBad);
        assert_eq!(read_request(&mut heap, &[0xff, 0xff]).unwrap_err(), Bail::CueNone);
        let dojo = dojo_request(&mut heap, 3, "(add 2 2)");
        let bytes = heap.jam(dojo);
        assert!(matches!(read_request(&mut heap, &bytes), Ok(Request::Dojo { .. })));
        let lines = vec!["> (add 2 2)".to_string(), "4".to_string()];
        let reply = dojo_reply(&mut heap, Noun::ONE, false, &lines);
        assert_eq!(read_dojo_reply(&heap, reply), Ok(DojoOutput { taken: false, lines }));
        let bail = Bail::TagUnknown.reply(&mut heap);
        assert_eq!(heap.print(bail).split(' ').nth(2), Some("4294967293"));
    }

    #[test]
    fn peel_answers_what_it_knows() {
        let mut heap = Heap::new();
        let flow = FlowFact {
            peer: 1,
            lane: Some(0x7a6a_7f00_0001),
            packets_in: 3,
            packets_out: 4,
            bytes_in: 300,
            bytes_out: 400,
            last_heard: Some(u128::MAX - 5),
        };
        let flows = [flow, FlowFact { lane: None, last_heard: None, ..flow }];
        let facts = PeelFacts { live: true, khan: false, who: 0, version: "engine", flows: &flows };
        let path = heap.parse(&format!("[{} 0]", u32::from_le_bytes(*b"ames"))).unwrap();
        let answer = peel(&mut heap, path, facts);
        assert_eq!(read_flows(&heap, answer), Some(flows.to_vec()));
        let who = term(&mut heap, "who");
        let path = heap.list(&[who]);
        let answer = peel(&mut heap, path, facts);
        assert_eq!(heap.print(answer), "[0 0]");
        let live = term(&mut heap, "live");
        let path = heap.list(&[live]);
        let answer = peel(&mut heap, path, facts);
        assert_eq!(heap.print(answer), "[0 0]");
        let khan = term(&mut heap, "khan");
        let path = heap.list(&[khan]);
        let answer = peel(&mut heap, path, facts);
        assert_eq!(heap.print(answer), "[0 1]");
        let odd = term(&mut heap, "odd");
        let path = heap.list(&[odd]);
        assert_eq!(peel(&mut heap, path, facts).as_direct(), Some(0));
    }

    #[test]
    fn khan_effects_are_claimed_by_session() {
        let mut heap = Heap::new();
        let sev = sev_knot(&mut heap, 12345);
        let rid = heap.atom_u64(99);
        let event = fyrd(&mut heap, &sev, 2, rid, Noun::ZERO);
        // The effect comes back on the event's wire without the vane letter.
        let wire = heap.tail(heap.head(event).unwrap()).unwrap();
        let avow = term(&mut heap, "avow");
        let card = heap.tuple(&[avow, Noun::ZERO, Noun::ONE]);
        let claimed = claims(&heap, wire, card, &sev).unwrap().unwrap();
        assert_eq!((claimed.con, claimed.rid.as_str()), (2, "0v33"));
        assert!(claims(&heap, wire, card, "0v1").is_none());
        let other = term(&mut heap, "arow");
        let card = heap.cell(other, Noun::ZERO);
        assert!(claims(&heap, wire, card, &sev).unwrap().is_err());
    }
}
