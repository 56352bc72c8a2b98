//! Jets: Rust functions that replace hot Hoon arms, each equal to its arm on every input, crashes included.
//!
//! A jet is a function of the whole core being kicked (for a gate `[battery [sample context]]`): it reads
//! its arguments by axis (the sample is axis 6, a pair's halves 12 and 13, a door's sample 30) and returns
//! a product, a crash with Vere's class (and the `%mean` text Vere pushes), or [`JetOutcome::Punt`]: "run
//! the arm's Nock instead". A jet punts on every input it does not handle exactly (cells where the arm
//! would do something other than crash, sizes past what it supports); it never guesses.
//!
//! Jets are grouped by the chapter of hoon.hoon they implement and named after the arm; [`TABLE`] maps
//! each label path of Vere 1.16 (`k140/one/add`) to its function. The dashboard that matches cores to
//! these labels at run time is [`dashboard`].

mod aes;
mod bits;
pub mod dashboard;
mod diff;
mod ed25519;
mod gates;
mod hashes;
pub use hashes::{OFFLOAD_BYTES_MIN, OFFLOAD_RAW_BITS_MIN};
pub use math::OFFLOAD_PRODUCT_BYTES_MIN;
pub use serial::OFFLOAD_JAM_BOXES_MIN;
mod lists;
mod maps;
mod math;
mod ob;
mod order;
mod parse;
mod phonetic;
mod scrypt;
pub use scrypt::{OFFLOAD_HMACS_MIN, OFFLOAD_SCRYPT_BYTES_MIN};
mod serial;
mod slaw;
pub use slaw::da_from_text;
mod text;
mod types;
pub mod ut;
mod virtualize;

use crate::interp::TaskFn;
use components::{AtomError, Heap, Noun};

/// How a jet crashed, with Vere's classes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JetClass {
    /// Deterministic: the arm itself crashes on this input.
    Exit,
    /// An implementation limit (Vere's bit jets for bloqs of 32 and more, or counts past 64 bits).
    Fail,
    /// Out of memory: the result cannot be held.
    Meme,
    /// Vere's `%evil` bail: a cryptographic check failed (AES-SIV decryption with a bad tag). Like `fail`,
    /// it is not caught by `+mink`.
    Evil,
}

/// A jet's crash: its class, and the `%mean` text pushed on the trace, if any.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JetCrash {
    pub class: JetClass,
    pub mean: Option<&'static str>,
}

/// What a jet returns.
#[derive(Debug, Clone)]
pub enum JetOutcome {
    Product(Noun),
    /// A heavy computation over bytes, to be run where the runner chooses (on the pool when the app
    /// allows it): its answer is the product.
    Offload(crate::interp::Job),
    /// No answer from the jet: run the arm's Nock.
    Punt,
    Crash(JetCrash),
}

/// A job's answer as the jet's outcome (for a jet that runs its job itself: checked jets, callers with no
/// pool).
pub fn answered(heap: &mut Heap, answer: crate::interp::Answer) -> JetOutcome {
    match answer.product(heap) {
        Ok(product) => JetOutcome::Product(product),
        Err(mote) => {
            let class = match mote {
                crate::interp::Mote::Exit => JetClass::Exit,
                crate::interp::Mote::Meme => JetClass::Meme,
                crate::interp::Mote::Evil => JetClass::Evil,
                crate::interp::Mote::Fail | crate::interp::Mote::Intr => JetClass::Fail,
            };
            JetOutcome::Crash(JetCrash { class, mean: None })
        }
    }
}

/// A jet: the heap and the core being kicked.
pub type JetFn = fn(&mut Heap, Noun) -> JetOutcome;

/// One jet: the label path Vere 1.16's tree.c gives it, and the function.
pub struct Jet {
    pub label: &'static str,
    pub run: JetFn,
}

/// Every jet engine has, by label path.
pub static TABLE: &[Jet] = &[
    Jet { label: "k140/one/add", run: math::add },
    Jet { label: "k140/one/cap", run: math::cap },
    Jet { label: "k140/one/dec", run: math::dec },
    Jet { label: "k140/one/div", run: math::div },
    Jet { label: "k140/one/dvr", run: math::dvr },
    Jet { label: "k140/one/gte", run: math::gte },
    Jet { label: "k140/one/gth", run: math::gth },
    Jet { label: "k140/one/lte", run: math::lte },
    Jet { label: "k140/one/lth", run: math::lth },
    Jet { label: "k140/one/mas", run: math::mas },
    Jet { label: "k140/one/mod", run: math::rem },
    Jet { label: "k140/one/mul", run: math::mul },
    Jet { label: "k140/one/peg", run: math::peg },
    Jet { label: "k140/one/sub", run: math::sub },
    Jet { label: "k140/one/two/bex", run: bits::bex },
    Jet { label: "k140/one/two/by/apt", run: maps::by_apt },
    Jet { label: "k140/one/two/by/bif", run: maps::by_bif },
    Jet { label: "k140/one/two/by/del", run: maps::by_del },
    Jet { label: "k140/one/two/by/dif", run: maps::by_dif },
    Jet { label: "k140/one/two/by/gas", run: maps::by_gas },
    Jet { label: "k140/one/two/by/get", run: maps::by_get },
    Jet { label: "k140/one/two/by/has", run: maps::by_has },
    Jet { label: "k140/one/two/by/int", run: maps::by_int },
    Jet { label: "k140/one/two/by/key", run: maps::by_key },
    Jet { label: "k140/one/two/by/put", run: maps::by_put },
    Jet { label: "k140/one/two/by/tap", run: maps::tap },
    Jet { label: "k140/one/two/by/uni", run: maps::by_uni },
    Jet { label: "k140/one/two/by/wyt", run: maps::wyt },
    Jet { label: "k140/one/two/can", run: bits::can },
    Jet { label: "k140/one/two/cat", run: bits::cat },
    Jet { label: "k140/one/two/con", run: bits::con },
    Jet { label: "k140/one/two/cue", run: serial::cue },
    Jet { label: "k140/one/two/cut", run: bits::cut },
    Jet { label: "k140/one/two/dis", run: bits::dis },
    Jet { label: "k140/one/two/dor", run: order::dor },
    Jet { label: "k140/one/two/end", run: bits::end },
    Jet { label: "k140/one/two/find", run: lists::find },
    Jet { label: "k140/one/two/flop", run: lists::flop },
    Jet { label: "k140/one/two/gor", run: order::gor },
    Jet { label: "k140/one/two/in/apt", run: maps::in_apt },
    Jet { label: "k140/one/two/in/bif", run: maps::in_bif },
    Jet { label: "k140/one/two/in/del", run: maps::in_del },
    Jet { label: "k140/one/two/in/dif", run: maps::in_dif },
    Jet { label: "k140/one/two/in/gas", run: maps::in_gas },
    Jet { label: "k140/one/two/in/has", run: maps::in_has },
    Jet { label: "k140/one/two/in/int", run: maps::in_int },
    Jet { label: "k140/one/two/in/put", run: maps::in_put },
    Jet { label: "k140/one/two/in/tap", run: maps::tap },
    Jet { label: "k140/one/two/in/uni", run: maps::in_uni },
    Jet { label: "k140/one/two/in/wyt", run: maps::wyt },
    Jet { label: "k140/one/two/jam", run: serial::jam },
    Jet { label: "k140/one/two/lent", run: lists::lent },
    Jet { label: "k140/one/two/lsh", run: bits::lsh },
    Jet { label: "k140/one/two/mat", run: serial::mat },
    Jet { label: "k140/one/two/met", run: bits::met },
    Jet { label: "k140/one/two/mix", run: bits::mix },
    Jet { label: "k140/one/two/mor", run: order::mor },
    Jet { label: "k140/one/two/mug", run: order::mug },
    Jet { label: "k140/one/two/muk", run: order::muk },
    Jet { label: "k140/one/two/need", run: lists::need },
    Jet { label: "k140/one/two/pow", run: math::pow },
    Jet { label: "k140/one/two/rap", run: bits::rap },
    Jet { label: "k140/one/two/reap", run: lists::reap },
    Jet { label: "k140/one/two/rep", run: bits::rep },
    Jet { label: "k140/one/two/rev", run: bits::rev },
    Jet { label: "k140/one/two/rip", run: bits::rip },
    Jet { label: "k140/one/two/rsh", run: bits::rsh },
    Jet { label: "k140/one/two/rub", run: serial::rub },
    Jet { label: "k140/one/two/scag", run: lists::scag },
    Jet { label: "k140/one/two/slag", run: lists::slag },
    Jet { label: "k140/one/two/snag", run: lists::snag },
    Jet { label: "k140/one/two/sqt", run: math::sqt },
    Jet { label: "k140/one/two/swp", run: bits::swp },
    Jet { label: "k140/one/two/tri/ob/fein", run: ob::fein },
    Jet { label: "k140/one/two/tri/ob/fynd", run: ob::fynd },
    Jet { label: "k140/one/two/tri/og/raw", run: hashes::og_raw },
    Jet { label: "k140/one/two/tri/qua/easy/fun", run: parse::easy },
    Jet { label: "k140/one/two/tri/qua/just/fun", run: parse::just },
    Jet { label: "k140/one/two/tri/qua/mask/fun", run: parse::mask },
    Jet { label: "k140/one/two/tri/qua/pen/cell", run: types::cell },
    Jet { label: "k140/one/two/tri/qua/pen/comb", run: types::comb },
    Jet { label: "k140/one/two/tri/qua/pen/cons", run: types::cons },
    Jet { label: "k140/one/two/tri/qua/pen/core", run: types::core },
    Jet { label: "k140/one/two/tri/qua/pen/face", run: types::face },
    Jet { label: "k140/one/two/tri/qua/pen/fitz", run: types::fitz },
    Jet { label: "k140/one/two/tri/qua/pen/flan", run: types::flan },
    Jet { label: "k140/one/two/tri/qua/pen/flip", run: types::flip },
    Jet { label: "k140/one/two/tri/qua/pen/flor", run: types::flor },
    Jet { label: "k140/one/two/tri/qua/pen/fork", run: types::fork },
    Jet { label: "k140/one/two/tri/qua/pen/hex/aes/siva/de", run: aes::siva_de },
    Jet { label: "k140/one/two/tri/qua/pen/hex/aes/siva/en", run: aes::siva_en },
    Jet { label: "k140/one/two/tri/qua/pen/hex/aes/sivc/de", run: aes::sivc_de },
    Jet { label: "k140/one/two/tri/qua/pen/hex/aes/sivc/en", run: aes::sivc_en },
    Jet { label: "k140/one/two/tri/qua/pen/hex/blake/blake2b", run: hashes::blake2b },
    Jet { label: "k140/one/two/tri/qua/pen/hex/coed/ed/puck", run: ed25519::puck },
    Jet { label: "k140/one/two/tri/qua/pen/hex/coed/ed/shar", run: ed25519::shar },
    Jet { label: "k140/one/two/tri/qua/pen/hex/coed/ed/sign", run: ed25519::sign },
    Jet { label: "k140/one/two/tri/qua/pen/hex/coed/ed/veri", run: ed25519::veri },
    Jet { label: "k140/one/two/tri/qua/pen/hex/kecc/k224", run: hashes::k224 },
    Jet { label: "k140/one/two/tri/qua/pen/hex/kecc/k256", run: hashes::k256 },
    Jet { label: "k140/one/two/tri/qua/pen/hex/kecc/k384", run: hashes::k384 },
    Jet { label: "k140/one/two/tri/qua/pen/hex/kecc/k512", run: hashes::k512 },
    Jet { label: "k140/one/two/tri/qua/pen/hex/leer", run: text::leer },
    Jet { label: "k140/one/two/tri/qua/pen/hex/loss", run: diff::loss },
    Jet { label: "k140/one/two/tri/qua/pen/hex/lune", run: text::lune },
    Jet { label: "k140/one/two/tri/qua/pen/hex/mimes/base16/de", run: text::de_base16 },
    Jet { label: "k140/one/two/tri/qua/pen/hex/mimes/base16/en", run: text::en_base16 },
    Jet { label: "k140/one/two/tri/qua/pen/hex/scr/hsh", run: scrypt::hsh },
    Jet { label: "k140/one/two/tri/qua/pen/hex/scr/hsl", run: scrypt::hsl },
    Jet { label: "k140/one/two/tri/qua/pen/hex/scr/pbk", run: scrypt::pbk },
    Jet { label: "k140/one/two/tri/qua/pen/hex/scr/pbl", run: scrypt::pbl },
    Jet { label: "k140/one/two/tri/qua/pen/look", run: types::look },
    Jet { label: "k140/one/two/tri/qua/pen/loot", run: types::loot },
    Jet { label: "k140/one/two/tri/qua/po/ind", run: phonetic::ind },
    Jet { label: "k140/one/two/tri/qua/po/ins", run: phonetic::ins },
    Jet { label: "k140/one/two/tri/qua/po/tod", run: phonetic::tod },
    Jet { label: "k140/one/two/tri/qua/po/tos", run: phonetic::tos },
    Jet { label: "k140/one/two/tri/qua/shim/fun", run: parse::shim },
    Jet { label: "k140/one/two/tri/qua/slaw", run: slaw::slaw },
    Jet { label: "k140/one/two/tri/qua/trip", run: text::trip },
    Jet { label: "k140/one/two/tri/sha/sha1", run: hashes::sha1 },
    Jet { label: "k140/one/two/tri/shal", run: hashes::shal },
    Jet { label: "k140/one/two/tri/shas", run: hashes::shas },
    Jet { label: "k140/one/two/tri/shax", run: hashes::shax },
    Jet { label: "k140/one/two/tri/shay", run: hashes::shay },
    Jet { label: "k140/one/two/weld", run: lists::weld },
    Jet { label: "k140/one/two/welp", run: lists::weld },
    Jet { label: "k140/one/two/xeb", run: bits::xeb },
    Jet { label: "k140/one/two/zing", run: lists::zing },
];

/// Jets that follow Vere 1.16's driver where it knowingly differs from the Hoon arm on some inputs (each
/// documents where): `--check-jets` counts their disagreements apart instead of reporting them. On a
/// Vere ship the driver's answer is the one the kernel sees.
pub const VERE_DEVIATES: &[&str] = &[
    "k140/one/two/by/bif",
    "k140/one/two/in/apt",
    "k140/one/two/in/int",
    "k140/one/two/tri/qua/bend/fun",
    "k140/one/two/tri/qua/pen/fitz",
    "k140/one/two/tri/qua/pen/flan",
    "k140/one/two/tri/qua/pen/flip",
    "k140/one/two/tri/qua/pen/flor",
    "k140/one/two/tri/qua/pen/hex/blake/blake2b",
    "k140/one/two/tri/qua/pen/hex/coed/ed/shar",
    "k140/one/two/tri/qua/pen/hex/coed/ed/sign",
    "k140/one/two/tri/qua/pen/hex/coed/ed/veri",
    "k140/one/two/tri/qua/pen/hex/leer",
    "k140/one/two/tri/qua/pen/hex/loss",
    "k140/one/two/tri/qua/po/ind",
    "k140/one/two/tri/qua/po/ins",
    "k140/one/two/tri/qua/slaw",
    "k140/one/two/tri/shas",
];

/// The jet for a label path, if engine has one.
pub fn lookup(label: &str) -> Option<JetFn> {
    TABLE.iter().find(|j| j.label == label).map(|j| j.run)
}

/// One jet that calls gates (a [`crate::interp::Task`]): its label path and its step function.
pub struct TaskJet {
    pub label: &'static str,
    pub run: TaskFn,
    /// The hook the jet needs (found by name from the kicked core up, given to it as `Task::hook`).
    pub hook: Option<&'static str>,
}

/// Every jet engine has that calls back into Nock, by label path.
pub static TASKS: &[TaskJet] = &[
    TaskJet { label: "k140/one/two/by/all", run: gates::by_all, hook: None },
    TaskJet { label: "k140/one/two/by/any", run: gates::by_any, hook: None },
    TaskJet { label: "k140/one/two/by/jab", run: gates::by_jab, hook: None },
    TaskJet { label: "k140/one/two/by/rep", run: gates::tree_rep, hook: None },
    TaskJet { label: "k140/one/two/by/run", run: gates::by_run, hook: None },
    TaskJet { label: "k140/one/two/by/urn", run: gates::by_urn, hook: None },
    TaskJet { label: "k140/one/two/in/rep", run: gates::tree_rep, hook: None },
    TaskJet { label: "k140/one/two/in/run", run: gates::in_run, hook: None },
    TaskJet { label: "k140/one/two/levy", run: gates::levy, hook: None },
    TaskJet { label: "k140/one/two/lien", run: gates::lien, hook: None },
    TaskJet { label: "k140/one/two/murn", run: gates::murn, hook: None },
    TaskJet { label: "k140/one/two/reel", run: gates::reel, hook: None },
    TaskJet { label: "k140/one/two/roll", run: gates::roll, hook: None },
    TaskJet { label: "k140/one/two/skid", run: gates::skid, hook: None },
    TaskJet { label: "k140/one/two/skim", run: gates::skim, hook: None },
    TaskJet { label: "k140/one/two/skip", run: gates::skip, hook: None },
    TaskJet { label: "k140/one/two/sort", run: gates::sort, hook: None },
    TaskJet { label: "k140/one/two/tri/qua/bend/fun", run: parse::bend, hook: None },
    TaskJet { label: "k140/one/two/tri/qua/cold/fun", run: parse::cold, hook: None },
    TaskJet { label: "k140/one/two/tri/qua/comp/fun", run: parse::comp, hook: None },
    TaskJet { label: "k140/one/two/tri/qua/cook/fun", run: parse::cook, hook: None },
    TaskJet { label: "k140/one/two/tri/qua/glue/fun", run: parse::glue, hook: None },
    TaskJet { label: "k140/one/two/tri/qua/here/fun", run: parse::here, hook: None },
    TaskJet { label: "k140/one/two/tri/qua/mole", run: virtualize::mole, hook: None },
    TaskJet { label: "k140/one/two/tri/qua/mule", run: virtualize::mule, hook: Some("mute") },
    TaskJet { label: "k140/one/two/tri/qua/pfix", run: parse::pfix, hook: None },
    TaskJet { label: "k140/one/two/tri/qua/plug", run: parse::plug, hook: None },
    TaskJet { label: "k140/one/two/tri/qua/pose", run: parse::pose, hook: None },
    TaskJet { label: "k140/one/two/tri/qua/sfix", run: parse::sfix, hook: None },
    TaskJet { label: "k140/one/two/tri/qua/stag/fun", run: parse::stag, hook: None },
    TaskJet { label: "k140/one/two/tri/qua/stew/fun", run: parse::stew, hook: None },
    TaskJet { label: "k140/one/two/tri/qua/stir/fun", run: parse::stir, hook: None },
    TaskJet { label: "k140/one/two/turn", run: gates::turn, hook: None },
];

/// The gate-calling jet for a label path, if engine has one.
pub fn lookup_task(label: &str) -> Option<&'static TaskJet> {
    TASKS.iter().find(|j| j.label == label)
}

// ---- helpers shared by the families ---------------------------------------------------------------

/// Axes of a gate core's arguments.
pub(crate) mod axis {
    pub const SAMPLE: u64 = 6;
    pub const SAM_2: u64 = 12;
    pub const SAM_3: u64 = 13;
    pub const SAM_6: u64 = 26;
    pub const SAM_7: u64 = 27;
    pub const SAM_12: u64 = 52;
    pub const SAM_13: u64 = 53;
}

/// Early exits of a jet body: `?` on these returns the outcome.
pub(crate) type Step<T> = Result<T, JetOutcome>;

/// The noun at `axis` of the core; a missing axis means the core is not the shape the arm expects, so the
/// Nock decides.
pub(crate) fn at(heap: &Heap, core: Noun, axis: u64) -> Step<Noun> {
    heap.slot_u64(core, axis).ok_or(JetOutcome::Punt)
}

/// An argument that must be an atom: a cell punts (the arm's own behaviour on cells is the spec).
pub(crate) fn atom_at(heap: &Heap, core: Noun, axis: u64) -> Step<Noun> {
    let noun = at(heap, core, axis)?;
    if noun.is_cell() { Err(JetOutcome::Punt) } else { Ok(noun) }
}

/// A size or count argument: an atom that fits in 64 bits; larger ones are an implementation limit.
pub(crate) fn u64_at(heap: &Heap, core: Noun, axis: u64) -> Step<u64> {
    let noun = atom_at(heap, core, axis)?;
    heap.as_u64(noun).ok_or(fail())
}

pub(crate) fn exit(mean: Option<&'static str>) -> JetOutcome {
    JetOutcome::Crash(JetCrash { class: JetClass::Exit, mean })
}

pub(crate) fn fail() -> JetOutcome {
    JetOutcome::Crash(JetCrash { class: JetClass::Fail, mean: None })
}

pub(crate) fn evil() -> JetOutcome {
    JetOutcome::Crash(JetCrash { class: JetClass::Evil, mean: None })
}

pub(crate) fn meme() -> JetOutcome {
    JetOutcome::Crash(JetCrash { class: JetClass::Meme, mean: None })
}

/// Maps an atom operation's failure: cells punt, the arm's crash is `exit` with `mean`, sizes past the
/// atom limit are out of memory.
pub(crate) fn atom_error(mean: Option<&'static str>) -> impl Fn(AtomError) -> JetOutcome {
    move |e| match e {
        AtomError::NotAtom => JetOutcome::Punt,
        AtomError::Crash => exit(mean),
        AtomError::TooLarge => meme(),
    }
}

/// Runs a jet body written with `?`.
pub(crate) fn finish(body: Step<Noun>) -> JetOutcome {
    match body {
        Ok(product) => JetOutcome::Product(product),
        Err(outcome) => outcome,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_labels_are_unique_and_sorted() {
        for pair in TABLE.windows(2) {
            assert!(pair[0].label < pair[1].label, "{} then {}", pair[0].label, pair[1].label);
        }
        for pair in TASKS.windows(2) {
            assert!(pair[0].label < pair[1].label, "{} then {}", pair[0].label, pair[1].label);
        }
        for task in TASKS {
            assert!(lookup(task.label).is_none(), "{} is in both tables", task.label);
        }
        for label in VERE_DEVIATES {
            assert!(lookup(label).is_some() || lookup_task(label).is_some(), "{label} is a jet");
        }
    }
}
