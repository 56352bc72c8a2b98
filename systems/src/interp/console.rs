//! Hints for running Nock by hand (`engine nock`): jets through the dashboard (optionally checked against
//! the Nock they replace), `%slog` printed on stderr with its priority, `%bout` timings, and a `%memo`
//! cache.

use super::hint::{Hints, JetCall, Task};
use super::{Machine, Mote, Outcome};
use crate::jets::JetOutcome;
use crate::jets::dashboard::{Binding, Dashboard, outcome_to_call};
use components::hash::U64Map;
use components::{Heap, Noun};
use smallvec::SmallVec;
use std::sync::Arc;

/// The most entries a generation of the memo cache (`%memo` hints and the `ut` wrappers) takes within one
/// event; past this it becomes the old generation (the one before is dropped) and a new one starts, so
/// at most twice this many are kept. Vere's road cache has no count limit; this one has, because every
/// entry keeps its key and product alive: booting brass.pill with 2^18 entries and no generations peaked
/// at 1.4 times Vere's memory, with 2^16 and no generations took a fifth longer.
pub const MEMO_ENTRIES_MAX: usize = 1 << 16;

const TAG_SLOG: u64 = u32::from_le_bytes(*b"slog") as u64;

/// How many steps `--check-jets` lets the Nock of one jetted arm run before giving up on the comparison.
const CHECK_STEPS_MAX: u64 = 100_000_000;

/// How much of a disagreeing call's sample (jammed) and products a report shows.
const HEX_BYTES_MAX: usize = 128;
const PRINT_CHARS_MAX: usize = 400;

/// A place log lines go (a progress display, a test's buffer).
pub type LogSink = Arc<dyn Fn(&str) + Send + Sync>;

/// Jets, `%slog` to stderr, `%bout` timings and a bounded `%memo` cache.
#[derive(Default, Clone)]
pub struct ConsoleHints {
    /// Registered cores and their jets.
    pub dashboard: Dashboard,
    /// Run the Nock of every jetted arm too, and compare.
    pub check_jets: bool,
    /// Run every arm's Nock, jetted or not (cores are still registered, so the dashboard a snapshot saves
    /// is the same).
    pub jets_off: bool,
    /// The first disagreement between a jet and its Nock, described.
    pub disagreement: Option<String>,
    /// Disagreements of jets that follow Vere where Vere's driver differs from the arm
    /// ([`crate::jets::VERE_DEVIATES`]), by label: expected, counted, not errors.
    pub known_deviations: std::collections::BTreeMap<String, u64>,
    /// Jet calls checked.
    pub checked: u64,
    /// Jet calls checked, by label.
    pub checked_by_label: std::collections::BTreeMap<String, u64>,
    /// Memo keys `[subject formula]` with their products, in the order they were stored (so a minor
    /// collection rewrites only the newest: [`Hints::relocate_since`]).
    memo: MemoTable,
    /// The table before this one, dropped when this one fills: an entry found there is stored again
    /// here, so what is used stays while what is not goes.
    memo_old: MemoTable,
    /// How many times the memo cache was emptied or aged: a mark from before then covers nothing.
    memo_clears: u32,
    /// Where slog and `%bout` lines go (a progress display); stderr when `None`.
    pub log: Option<LogSink>,
    /// Also given each slog's text, without its priority's marks (the slog stream of the web server).
    pub slog_tap: Option<LogSink>,
    /// A heavy jet's job, between [`Hints::jet`] and [`Hints::take_job`].
    job: Option<crate::interp::Job>,
    /// Jet calls counted by the core's location, with the nanoseconds its driver took (a gate-calling
    /// jet's time is not counted: its work is the machine's): counted while `Some` (the replay debugger
    /// turns it on for each event).
    pub jet_calls: Option<U64Map<(u64, u64)>>,
}

impl ConsoleHints {
    /// Hints with jets, checked against their Nock when `check_jets` is set.
    pub fn new(check_jets: bool) -> ConsoleHints {
        ConsoleHints { check_jets, ..ConsoleHints::default() }
    }

    /// Empties the memo cache. Vere's caches for `%memo` and the `ut` wrappers last one event; a runner
    /// empties this one at the start of each top-level call, so no call is faster for an earlier one.
    pub fn forget_memo(&mut self) {
        self.memo = MemoTable::default();
        self.memo_old = MemoTable::default();
        self.memo_clears = self.memo_clears.wrapping_add(1);
    }

    /// Prints a log line where [`ConsoleHints::log`] says.
    fn emit(&self, line: &str) {
        match &self.log {
            Some(log) => log(line),
            None => eprintln!("{line}"),
        }
    }

    /// Runs the arm's Nock beside the jet's answer and records the first disagreement.
    fn check(&mut self, heap: &mut Heap, core: Noun, axis: Noun, label: &str, jet: JetCall) {
        let Some(formula) = heap.slot(core, axis) else { return };
        let mut nested = ConsoleHints { check_jets: false, ..self.clone() };
        let mut machine = Machine::new();
        machine.start(heap, core, formula);
        let nock = machine.run_with(heap, &mut nested, CHECK_STEPS_MAX);
        self.checked += 1;
        *self.checked_by_label.entry(label.to_string()).or_default() += 1;
        let agree = match (&jet, &nock) {
            (JetCall::Product(a), Outcome::Done(b)) => heap.eq_unify(*a, *b),
            (JetCall::Crash { mote, .. }, Outcome::Crashed(crash)) => *mote == crash.mote,
            (_, Outcome::Paused) => true, // the Nock did not finish in time: nothing to compare
            _ => false,
        };
        if !agree && crate::jets::VERE_DEVIATES.contains(&label) {
            *self.known_deviations.entry(label.to_string()).or_default() += 1;
        } else if !agree && self.disagreement.is_none() {
            let sample = heap.slot_u64(core, 6).map(|s| heap.jam(s)).unwrap_or_default();
            // A sample can hold whole cores (a parser's rule): show its first bytes only.
            let mut hex: String = sample.iter().take(HEX_BYTES_MAX).map(|b| format!("{b:02x}")).collect();
            if sample.len() > HEX_BYTES_MAX {
                hex.push_str(&format!("... ({} bytes)", sample.len()));
            }
            let show = |heap: &Heap, call: &JetCall| match call {
                JetCall::Product(p) => heap.print_limited(*p, PRINT_CHARS_MAX),
                JetCall::Crash { mote, .. } => format!("crash {}", mote.name()),
                JetCall::Nock
                | JetCall::Mink { .. }
                | JetCall::Memo { .. }
                | JetCall::Task(_)
                | JetCall::Offload => "punt".into(),
            };
            let nock_text = match nock {
                Outcome::Done(p) => heap.print_limited(p, PRINT_CHARS_MAX),
                Outcome::Crashed(c) => format!("crash {}", c.mote.name()),
                Outcome::Paused => "unfinished".into(),
            };
            self.disagreement = Some(format!(
                "jet {label} disagrees with its Nock on the sample (jam) {hex}: jet {}, Nock {nock_text}",
                show(heap, &jet)
            ));
        }
    }
}

/// How many bytes of a slogged tank are printed.
const SLOG_CHARS_MAX: usize = 2000;

/// A tank on one line, or the noun (bounded) if it is not a tank.
fn tank_text(heap: &Heap, tank: Noun) -> String {
    heap.tank_flat(tank, SLOG_CHARS_MAX).unwrap_or_else(|| heap.print_limited(tank, SLOG_CHARS_MAX))
}

/// One generation of the memo cache: keys `[subject formula]` with their products, in the order they were
/// stored (so a minor collection rewrites only the newest: [`Hints::relocate_since`]), and the indices
/// of the keys of each mug (collisions are told apart by `eq`).
#[derive(Default, Clone)]
struct MemoTable {
    pairs: Vec<(Noun, Noun)>,
    index: U64Map<SmallVec<[u32; 1]>>,
}

impl MemoTable {
    fn find(&self, heap: &mut Heap, mug: u64, key: Noun) -> Option<Noun> {
        let bucket = self.index.get(&mug)?;
        bucket.iter().map(|&i| self.pairs[i as usize]).find(|&(k, _)| heap.eq_unify(k, key)).map(|(_, p)| p)
    }
}

impl Hints for ConsoleHints {
    fn jet(&mut self, heap: &mut Heap, core: Noun, axis: Noun) -> JetCall {
        if self.jets_off {
            return JetCall::Nock;
        }
        let Some((binding, id)) = self.dashboard.find(heap, core, axis) else { return JetCall::Nock };
        if let Some(calls) = self.jet_calls.as_mut() {
            calls.entry(id as u64).or_default().0 += 1;
        }
        match binding {
            Binding::Mink => crate::jets::dashboard::mink_call(heap, core),
            Binding::Memo(arm) => {
                let Some((key, when)) = crate::jets::ut::memo_key(heap, arm, core) else {
                    return JetCall::Nock;
                };
                match self.memo_find(heap, key) {
                    Some(product) => JetCall::Product(product),
                    None => JetCall::Memo { key, when },
                }
            }
            Binding::Task(run, hook) => match self.dashboard.task(heap, run, hook, core, id) {
                Some(task) => JetCall::Task(Task { check: self.check_jets, ..task }),
                None => JetCall::Nock,
            },
            Binding::Driver(jet) => {
                let started = self.jet_calls.is_some().then(std::time::Instant::now);
                let outcome = jet(heap, core);
                if let (Some(calls), Some(started)) = (self.jet_calls.as_mut(), started) {
                    calls.entry(id as u64).or_default().1 += started.elapsed().as_nanos() as u64;
                }
                let outcome = match outcome {
                    // Checked jets answer at once, to be compared.
                    JetOutcome::Offload(job) if self.check_jets => {
                        let answer = job.answer(heap);
                        crate::jets::answered(heap, answer)
                    }
                    JetOutcome::Offload(job) => {
                        self.job = Some(job);
                        return JetCall::Offload;
                    }
                    other => other,
                };
                let call = outcome_to_call(heap, outcome);
                if self.check_jets && !matches!(call, JetCall::Nock) {
                    let label = self.dashboard.label(id).to_string();
                    self.check(heap, core, axis, &label, call);
                }
                call
            }
        }
    }

    /// A gate-calling jet ran in the machine (so the calls it made were checked too): now its answer is
    /// compared with the arm's Nock.
    fn task_ended(&mut self, heap: &mut Heap, core: Noun, ended: Result<Noun, Mote>) {
        let two = Noun::direct(2).expect("small");
        let Some((_, id)) = self.dashboard.find(heap, core, two) else { return };
        let label = self.dashboard.label(id).to_string();
        let call = match ended {
            Ok(product) => JetCall::Product(product),
            // Interrupted or out of memory: not the jet's own answer.
            Err(Mote::Intr | Mote::Meme) => return,
            Err(mote) => JetCall::Crash { mote, mean: None },
        };
        self.check(heap, core, two, &label, call);
    }

    fn register(&mut self, heap: &mut Heap, core: Noun, clue: Noun) {
        self.dashboard.register(heap, core, clue);
    }

    fn take_job(&mut self) -> Option<crate::interp::Job> {
        self.job.take()
    }

    fn memo_find(&mut self, heap: &mut Heap, key: Noun) -> Option<Noun> {
        let mug = heap.mug(key) as u64;
        if let Some(product) = self.memo.find(heap, mug, key) {
            return Some(product);
        }
        let product = self.memo_old.find(heap, mug, key)?;
        self.memo_store(heap, key, product);
        Some(product)
    }

    fn memo_store(&mut self, heap: &mut Heap, key: Noun, product: Noun) {
        if self.memo.pairs.len() >= MEMO_ENTRIES_MAX {
            self.memo_old = std::mem::take(&mut self.memo);
            self.memo_clears = self.memo_clears.wrapping_add(1);
        }
        let mug = heap.mug(key) as u64;
        self.memo.index.entry(mug).or_default().push(self.memo.pairs.len() as u32);
        self.memo.pairs.push((key, product));
    }

    fn relocate(&mut self, relocate: &mut dyn FnMut(Noun) -> Noun) {
        self.relocate_since(u64::MAX, relocate);
    }

    fn recent_mark(&self) -> u64 {
        (self.memo_clears as u64) << 32 | self.memo.pairs.len() as u64
    }

    fn relocate_since(&mut self, mark: u64, relocate: &mut dyn FnMut(Noun) -> Noun) {
        self.dashboard.relocate(relocate);
        // A mark from before the cache was last emptied covers none of what it holds now.
        // A mark from before the cache was last emptied or aged covers none of this table, and the old
        // one may hold entries stored after it (`u64::MAX`, no mark: everything).
        let from = if mark != u64::MAX && (mark >> 32) as u32 == self.memo_clears {
            (mark as u32) as usize
        } else {
            for (key, product) in self.memo_old.pairs.iter_mut() {
                *key = relocate(*key);
                *product = relocate(*product);
            }
            0
        };
        for (key, product) in self.memo.pairs.iter_mut().skip(from) {
            *key = relocate(*key);
            *product = relocate(*product);
        }
    }

    fn bout(&mut self, heap: &mut Heap, clue: Option<Noun>, elapsed: std::time::Duration) {
        let ms = elapsed.as_secs_f64() * 1e3;
        let line = match clue.and_then(|c| heap.tail(c)) {
            Some(tank) => format!("{}: took {ms:.3}ms", tank_text(heap, tank)),
            None => format!("took {ms:.3}ms"),
        };
        self.emit(&line);
    }

    fn other(&mut self, heap: &mut Heap, tag: Noun, clue: Noun) {
        if tag.as_direct() == Some(TAG_SLOG) {
            // As Vere prints a slog: `>`, `>>` or `>>>` before the text for priorities 1 to 3.
            let (marks, text) = match heap.cell_parts(clue) {
                Some((priority, tank)) => {
                    let marks = match priority.as_direct() {
                        Some(p @ 1..=3) => format!("{} ", ">".repeat(p as usize)),
                        _ => String::new(),
                    };
                    (marks, tank_text(heap, tank))
                }
                None => (String::new(), tank_text(heap, clue)),
            };
            if let Some(tap) = &self.slog_tap {
                tap(&text);
            }
            self.emit(&format!("{marks}{text}"));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use components::copy::Collector;

    /// Entries stored after a collection's mark, some of them aged into the old generation since, are all
    /// rewritten by the next minor collection; an old entry found is stored again in the new generation.
    #[test]
    fn a_minor_collection_rewrites_the_memo_entries_stored_since_its_mark_in_both_generations() {
        let mut heap = Heap::new();
        let mut hints = ConsoleHints::default();
        let nursery = heap.words_used();
        let mark = hints.recent_mark();
        let pair = |heap: &mut Heap, a: u64, b: u64| {
            let (a, b) = (Noun::direct(a).unwrap(), Noun::direct(b).unwrap());
            heap.cell(a, b)
        };
        let count = MEMO_ENTRIES_MAX as u64 + 10;
        for i in 0..count {
            let (key, product) = (pair(&mut heap, i, i), pair(&mut heap, i, 0));
            hints.memo_store(&mut heap, key, product);
            pair(&mut heap, 7, 7); // garbage between them
        }
        assert_eq!((hints.memo_old.pairs.len(), hints.memo.pairs.len()), (MEMO_ENTRIES_MAX, 10));
        let mut collector = Collector::new(&mut heap, nursery);
        hints.relocate_since(mark, &mut |n| collector.relocate(n));
        collector.finish();
        assert_eq!(heap.words_used(), nursery + count as usize * 6, "the garbage went, every entry stayed");
        for i in [0, 1, MEMO_ENTRIES_MAX as u64 - 1, MEMO_ENTRIES_MAX as u64, count - 1] {
            let key = pair(&mut heap, i, i);
            let product = hints.memo_find(&mut heap, key).expect("an entry");
            assert_eq!(heap.print(product), format!("[{i} 0]"));
        }
        assert_eq!(hints.memo.pairs.len(), 10 + 3, "the three old entries found were stored again");
    }
}
