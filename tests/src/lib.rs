//! Helpers for engine's tests and benches: where the shared data lives (pills, vectors, jam programs), and
//! reading the vectors' notation.
//!
//! The data is kept outside the repository, in `../shared` beside the project root. Pills are looked up in
//! `$ENGINE_PILLS` first. When `CI=true`, a missing file is a failure, never a silent skip: every lookup
//! here panics with a message naming what is missing and where it looked.

use components::{Heap, Noun};
use std::path::{Path, PathBuf};
use systems::arvo::{Ivory, Runner};

/// The project root (the workspace holding this crate).
pub fn project_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("tests/ sits in the project root").to_path_buf()
}

/// `../shared` beside the project root (or `$ENGINE_SHARED`).
pub fn shared_dir() -> PathBuf {
    match std::env::var_os("ENGINE_SHARED") {
        Some(dir) => PathBuf::from(dir),
        None => project_root().join("../shared"),
    }
}

fn must_exist(path: PathBuf, what: &str) -> PathBuf {
    assert!(
        path.exists(),
        "{what} not found at {} (the shared data lives in ../shared beside the project root; pills may also \
         be in $ENGINE_PILLS)",
        path.display()
    );
    path
}

/// The directory pills are read from: `$ENGINE_PILLS` if set, else `../shared/pills`.
pub fn pills_dir() -> PathBuf {
    match std::env::var_os("ENGINE_PILLS") {
        Some(dir) => PathBuf::from(dir),
        None => shared_dir().join("pills"),
    }
}

/// The path of a pill by file name (`"ivory.pill"`); panics if it is missing.
pub fn pill_path(name: &str) -> PathBuf {
    must_exist(pills_dir().join(name), &format!("pill {name}"))
}

/// The bytes of a pill by file name; panics if it is missing.
pub fn pill_bytes(name: &str) -> Vec<u8> {
    std::fs::read(pill_path(name)).expect("pill is readable")
}

/// The path of a file under `../shared` (`"jam/decrement.jam"`); panics if it is missing.
pub fn shared_path(relative: &str) -> PathBuf {
    must_exist(shared_dir().join(relative), relative)
}

/// A vectors file (`"jam.json"`) parsed as JSON; panics if it is missing or malformed.
pub fn vectors(name: &str) -> serde_json::Value {
    let path = must_exist(shared_dir().join("vectors").join(name), &format!("vectors file {name}"));
    let text = std::fs::read_to_string(&path).expect("vectors file is readable");
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Decodes the vectors' lowercase hex bytes.
pub fn hex_bytes(hex: &str) -> Vec<u8> {
    assert!(hex.len().is_multiple_of(2), "odd-length hex {hex:?}");
    (0..hex.len()).step_by(2).map(|i| u8::from_str_radix(&hex[i..i + 2], 16).expect("hex digit")).collect()
}

/// Encodes bytes as the vectors' lowercase hex.
pub fn to_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Parses a vectors mug or hash string `0x…`.
pub fn hex_u32(text: &str) -> u32 {
    u32::from_str_radix(text.trim_start_matches("0x"), 16).unwrap_or_else(|e| panic!("{text:?}: {e}"))
}

/// Reads a noun in the vectors' notation, panicking with the text on failure.
pub fn noun(heap: &mut Heap, text: &str) -> Noun {
    heap.parse(text).unwrap_or_else(|e| panic!("{text:?}: {e}"))
}

/// The string field `key` of a vectors case.
pub fn field<'a>(case: &'a serde_json::Value, key: &str) -> &'a str {
    case[key].as_str().unwrap_or_else(|| panic!("case has no string {key:?}: {case}"))
}

/// The array `key` of a vectors file.
pub fn cases<'a>(file: &'a serde_json::Value, key: &str) -> &'a [serde_json::Value] {
    file[key].as_array().unwrap_or_else(|| panic!("vectors have no array {key:?}"))
}

/// A heap holding the ivory pill's kernel, booted by its lifecycle, and the runner that booted it (its
/// jet registrations included): the start of every test that runs Hoon.
pub fn boot_ivory() -> (Heap, Runner, Ivory) {
    let mut heap = Heap::new();
    let pill = heap.cue(&pill_bytes("ivory.pill")).expect("ivory.pill cues");
    let nok_ver = heap.tail(pill).expect("ivory.pill is a cell");
    let mut runner = Runner::new();
    let ivory = Ivory::boot(&mut heap, &mut runner, nok_ver).expect("ivory boots");
    (heap, runner, ivory)
}

/// The Hoon rows of ../shared/perf.md: each expression given to the ivory kernel's wish, and the mug of
/// its product under Vere 1.16. (The row "a three-arm core compiled with `!>`" does not give its source,
/// so it is not here.)
pub const PERF_WISHES: [(&str, u32); 10] = [
    ("(add 2 2)", 0x7ea39955),
    ("(turn (gulf 1 1.000) |=(a=@ (mul a a)))", 0x5e12dc6),
    ("(roll (gulf 1 100.000) add)", 0x36220136),
    ("(shax 'hello')", 0x2541bb2c),
    ("!>(|=(a=@ +(a)))", 0x1add1e26),
    ("=/(n 0 |-(?:(=(n 1.000.000) n $(n +(n)))))", 0x51459d7d),
    ("=/(f |=(n=@ ?:((lth n 2) n (add $(n (dec n)) $(n (sub n 2))))) (f 22))", 0x64d550cd),
    ("(~(gas by *(map @ @)) (turn (gulf 1 10.000) |=(a=@ [a a])))", 0x1a439c),
    ("(jam (turn (gulf 1 10.000) |=(a=@ [a a])))", 0x6493262b),
    ("(slap !>(~) (ream (crip \"|=(a=@ +(a))\")))", 0xad02d94),
];

/// A term or short cord (at most 16 bytes) as a decimal atom, for the text notation.
pub fn term_atom(text: &str) -> String {
    let mut bytes = [0u8; 16];
    bytes[..text.len()].copy_from_slice(text.as_bytes());
    u128::from_le_bytes(bytes).to_string()
}

/// A pill of a tiny Arvo-shaped kernel written by hand in Nock, in the text notation:
/// `[%pill name [aeon gate ~] ~ ~]`. The kernel core is `[[load wish peek poke] state]`; its poke gate
/// answers `[effects [battery next]]`, with the effect `[//term/1 [%blit [%put "tick"] [%nel ~] ~]]` and
/// `next` made by the formula `next_state` of the gate's subject (the ovum at axis 13, the state at 15),
/// except that it crashes on a card tagged `%boom` or `%bust`, and on a `%crud` about a `%bust` (so `%boom`
/// is swapped for its `%crud`, `%bust` dropped). `[4 0 15]` counts events; `[[0 13] [0 15]]` keeps every
/// ovum (a journal).
pub fn kernel_pill_text(name: &str, next_state: &str) -> String {
    kernel_pill_with_poke(name, &counter_gate_battery(next_state))
}

/// [`kernel_pill_text`] with a peek gate whose battery is `peek_battery` (see [`kernel_pill_with_peek`]).
pub fn kernel_pill_text_with_peek(name: &str, next_state: &str, peek_battery: &str) -> String {
    kernel_pill_with_peek(name, &counter_gate_battery(next_state), peek_battery)
}

/// The poke gate's battery of [`kernel_pill_text`].
fn counter_gate_battery(next_state: &str) -> String {
    let t = term_atom;
    let tick = format!("[{} {} {} {} 0]", 't' as u32, 'i' as u32, 'c' as u32, 'k' as u32);
    let effects = format!(
        "[[[0 {term} {one} 0] {blit} [{put} {tick}] [{nel} 0] 0] 0]",
        term = t("term"),
        one = t("1"),
        blit = t("blit"),
        put = t("put"),
        nel = t("nel"),
    );
    // The gate's subject: [battery [[now ovum] kernel]]; the card's tag is at axis 54, the kernel's
    // battery at 14 and its state at 15; in a %crud, the original card's tag is at 446.
    let normal = format!("[[1 {effects}] [0 14] {next_state}]");
    let is = |tag: &str, axis: u32| format!("[5 [1 {}] [0 {axis}]]", t(tag));
    format!(
        "[6 {boom} [0 0] [6 {bust} [0 0] [6 {crud} [6 {orig_bust} [0 0] {normal}] {normal}]]]",
        boom = is("boom", 54),
        bust = is("bust", 54),
        crud = is("crud", 54),
        orig_bust = is("bust", 446),
    )
}

/// A pill of an Arvo-shaped kernel whose poke gate's battery is `gate_battery` (a formula of the gate's
/// subject `[battery [[now ovum] kernel]]`, giving `[effects kernel]`; the kernel's battery is at 14 and
/// its state at 15, the ovum at 13).
pub fn kernel_pill_with_poke(name: &str, gate_battery: &str) -> String {
    kernel_pill_with_peek(name, gate_battery, "[0 0]")
}

/// [`kernel_pill_with_poke`], with a peek gate whose battery is `peek_battery` (a formula of the gate's
/// subject `[battery [lyc nom] kernel]`: `nom` at 13, the kernel's state at 15, giving a
/// `(unit (unit cask))`); `[0 0]` crashes every peek.
pub fn kernel_pill_with_peek(name: &str, gate_battery: &str, peek_battery: &str) -> String {
    let t = term_atom;
    let poke = format!("[[1 {gate_battery}] [1 0] [0 1]]");
    let peek = match peek_battery {
        "[0 0]" => "[1 0]".to_string(),
        battery => format!("[[1 {battery}] [1 0] [0 1]]"),
    };
    let kernel = format!("[[[0 0] [0 0] {peek} {poke}] 0]");
    let gate = format!("[{gate_battery} 0 {kernel}]");
    format!("[{} {} [[0 2] {gate} 0] 0 0]", t("pill"), t(name))
}

/// A number as Hoon writes it, its digits in groups of three joined by dots: `1.234`.
pub fn dotted(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push('.');
        }
        out.push(c);
    }
    out
}
