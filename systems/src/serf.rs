//! The serf: one ship's kernel and the events it computes (spec/arvo.md §2, §3.2 and §7; spec/pier.md
//! §1.2 and §5). It knows nothing of disks or drivers: the pier feeds it events and logs what it answers.
//!
//! - [`Serf::boot`] runs the lifecycle over the boot formulas (the first `life` events of a log).
//! - [`Serf::work`] computes a new event as Vere's serf does: a failure is retried as a `%crud` event on
//!   the unchanged kernel, and if that fails too the event is dropped ([`Work::Bail`]).
//! - [`Serf::play`] recomputes a logged event (replay): any failure is an error.
//!
//! Every event leaves the kernel's new state in the heap's old space; [`Serf::compact`] copies what is
//! still reachable (the kernel and the jet registrations) into a fresh heap.

use crate::arvo::{Advance, Call, Runner};
use crate::interp::{Crash, Hints, Job, Mote};
use crate::jets::dashboard::Dashboard;
use crate::scry::{Published, View};
use components::compact::Compactor;
use components::meld::{MeldStats, Melder};
use components::{Heap, Noun};
use std::sync::Arc;

/// A failed computation: its class, the tang the kernel made of its trace (`~` when it has no `mook`,
/// like the sword pills, or no kernel yet), and the raw trace frames `[tag data]`, innermost first.
#[derive(Debug, Clone)]
pub struct Goof {
    pub mote: Mote,
    pub tang: Noun,
    pub trace: Vec<Noun>,
}

impl Goof {
    /// The goof as Arvo sees it in a `%crud`: `[mote=term tang]`.
    pub fn noun(&self, heap: &mut Heap) -> Noun {
        let mote = heap.atom_from_bytes(self.mote.name().as_bytes());
        heap.cell(mote, self.tang)
    }

    /// Lines to print for a goof: each tank of the tang (in our text notation, outermost first), or
    /// where there is no tang the raw trace frames, then `bail: %MOTE`.
    pub fn lines(&self, heap: &Heap) -> Vec<String> {
        let mut lines = Vec::new();
        let tanks = list_items(heap, self.tang);
        if tanks.is_empty() {
            lines.extend(self.trace.iter().rev().map(|frame| frame_text(heap, *frame)));
        } else {
            lines.extend(tanks.iter().rev().map(|tank| heap.print_limited(*tank, 2000)));
        }
        lines.push(format!("bail: %{}", self.mote.name()));
        lines
    }
}

/// What became of a new event.
#[derive(Debug, Clone)]
pub enum Work {
    /// It succeeded: log `job` (the event as given) with the kernel's new mug.
    Done { job: Noun, mug: u32, effects: Noun },
    /// It failed with `goof`, but its `%crud` replacement `job` succeeded: log that instead.
    Swap { job: Noun, mug: u32, effects: Noun, goof: Goof },
    /// It failed and so did its `%crud` (the crud's goof first): nothing to log, the kernel unchanged.
    Bail(Vec<Goof>),
}

/// `*[[job kernel] POKE_FORMULA]`: the kernel's poke gate (arm 23), slammed with `job`.
const POKE_FORMULA: &str = "[8 [7 [0 3] 9 23 0 1] 9 2 10 [6 0 6] 0 2]";
/// A scry of `kernel` computed in `heap` with `runner` (spec/arvo.md §3.3): Arvo's `peek` slammed with
/// `[lyc nom]`, its product a `(unit (cask))`, as the kernel gives it (the `%once` form's value wrapped as
/// `[%omen path cask]`: what Vere's conn sends back; see [`unwrap_omen`] for the runtime's own peeks). The
/// serf's peeks between events and the readers' beside them ([`crate::scry`]) both come here, so they
/// answer alike.
pub fn peek_kernel(
    heap: &mut Heap,
    runner: &mut Runner,
    kernel: Noun,
    lyc: Noun,
    nom: Noun,
) -> Result<Noun, Crash> {
    let arg = heap.cell(lyc, nom);
    let subject = heap.cell(arg, kernel);
    let formula = heap.parse(PEEK_FORMULA).expect("a formula");
    let mut call = runner.begin(heap, subject, formula);
    loop {
        if let Some(result) = runner.advance(heap, &mut call, u64::MAX) {
            return result;
        }
    }
}

/// The product of a `%once` peek as the runtime's own drivers see it: `[~ [%omen path cask]]` unwrapped to
/// `[~ cask]`, as Vere's king does for the peeks it asks for itself (`u3_pier_peek_last`: Eyre's cookies,
/// ames's version and lanes), not for conn's. `nom` is the jam of the peek's `nom`, or the noun.
pub fn unwrap_omen(heap: &mut Heap, nom: Noun, product: Noun) -> Noun {
    let once = u32::from_le_bytes(*b"once") as u64;
    let omen = u32::from_le_bytes(*b"omen") as u64;
    let is_once = heap.cell_parts(nom).is_some_and(|(flag, form)| {
        flag.as_direct() == Some(1) && heap.head(form).and_then(|t| t.as_direct()) == Some(once)
    });
    if is_once
        && let Some((Some(0), value)) = heap.cell_parts(product).map(|(u, v)| (u.as_direct(), v))
        && let Some((tag, rest)) = heap.cell_parts(value)
        && tag.as_direct() == Some(omen)
        && let Some(cask) = heap.tail(rest)
    {
        return heap.cell(Noun::ZERO, cask);
    }
    product
}

/// `*[[arg kernel] PEEK_FORMULA]`: the kernel's peek gate (arm 22), slammed with `arg = [lyc nom]`.
const PEEK_FORMULA: &str = "[8 [7 [0 3] 9 22 0 1] 9 2 10 [6 0 6] 0 2]";

/// An event being computed: see [`Serf::begin`].
pub struct InFlight {
    now: Noun,
    ovum: Noun,
    job: Noun,
    stage: Stage,
}

enum Stage {
    /// The event itself is running.
    Poke(Call),
    /// The event failed: its `%crud` is next.
    Failed(Crash),
    /// The `%crud` of the failed event is running.
    Crud { call: Call, job: Noun, goof: Goof },
    /// Over: its work was given.
    Done,
}

/// Why a serf could not boot or replay.
#[derive(Debug, Clone)]
pub enum PlayError {
    /// Event `event` crashed.
    Crashed { event: u64, goof: Goof },
    /// Event `event` gave a kernel whose mug is not the one logged.
    Mug { event: u64, logged: u32, computed: u32 },
    /// A poke was asked of a serf with no kernel.
    NoKernel,
}

impl std::fmt::Display for PlayError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PlayError::Crashed { event, goof } => write!(f, "event {event} failed: %{}", goof.mote.name()),
            PlayError::Mug { event, logged, computed } => write!(
                f,
                "event {event}: mug mismatch: the log says {logged:#x}, replay computed {computed:#x}"
            ),
            PlayError::NoKernel => write!(f, "no kernel: the lifecycle has not run"),
        }
    }
}

/// The most characters of a raw trace frame printed (a frame can hold a whole kernel).
pub const FRAME_CHARS_MAX: usize = 200;

/// A raw trace frame as text, for kernels with no `mook`: a `%spot` as mook prints it
/// (`/sys/arvo/hoon:<[805 20].[805 22]>`), a `%mean` cord as its text, anything else in the noun notation.
pub fn frame_text(heap: &Heap, frame: Noun) -> String {
    use crate::interp::{TAG_MEAN, TAG_SPOT};
    let raw = || heap.print_limited(frame, FRAME_CHARS_MAX);
    let Some((tag, data)) = heap.cell_parts(frame) else { return raw() };
    match tag.as_direct() {
        Some(TAG_SPOT) => spot_text(heap, data).unwrap_or_else(raw),
        Some(TAG_MEAN) => match heap.atom(data) {
            Some(cord) => match std::str::from_utf8(&cord.to_bytes()) {
                Ok(text) if !text.contains('\0') => text.to_string(),
                _ => raw(),
            },
            None => raw(),
        },
        _ => raw(),
    }
}

/// `[path [[l c] l c]]` as `/a/b:<[l c].[l c]>`; `None` if it is not of that shape.
fn spot_text(heap: &Heap, spot: Noun) -> Option<String> {
    let (path, pint) = heap.cell_parts(spot)?;
    let mut text = String::new();
    for knot in list_items(heap, path) {
        let bytes = heap.atom(knot)?.to_bytes();
        text.push('/');
        text.push_str(std::str::from_utf8(&bytes).ok()?);
    }
    let (from, to) = heap.cell_parts(pint)?;
    let point = |p: Noun| -> Option<(u64, u64)> {
        let (line, column) = heap.cell_parts(p)?;
        Some((line.as_direct()?, column.as_direct()?))
    };
    let ((l1, c1), (l2, c2)) = (point(from)?, point(to)?);
    Some(format!("{text}:<[{l1} {c1}].[{l2} {c2}]>"))
}

fn list_items(heap: &Heap, mut list: Noun) -> Vec<Noun> {
    let mut items = Vec::new();
    while let Some((item, rest)) = heap.cell_parts(list) {
        items.push(item);
        list = rest;
    }
    items
}

fn term(heap: &mut Heap, text: &str) -> Noun {
    heap.atom_from_bytes(text.as_bytes())
}

/// What a slice of an event came to, when heavy jets' jobs are handed out ([`Serf::advance_pooled`]).
pub enum Progress {
    /// Not ended: the step budget ran out, or the event waits for a job's answer.
    Paused,
    /// A heavy jet's job to run; give its answer with [`Serf::give_job`].
    Job(Job),
    Ended(Work),
}

impl Progress {
    fn waiting(advance: Advance) -> Progress {
        match advance {
            Advance::Job(job) => Progress::Job(job),
            Advance::Paused | Advance::Ended(_) => Progress::Paused,
        }
    }
}

/// One ship's kernel, the heap it lives in, and the runner (jets, memo cache) that computes its events.
pub struct Serf {
    pub heap: Heap,
    pub runner: Runner,
    kernel: Option<Noun>,
    /// The number of the last event the kernel reflects (0: none).
    pub event: u64,
    /// The kernel's `mook` (which renders a trace as a tang), once asked for; `Some(None)` when the kernel
    /// has none.
    mook: Option<Option<Noun>>,
    /// Heap words in use after the last compaction.
    compacted_words: usize,
    /// [`Serf::tidy`] leaves heaps smaller than this alone.
    tidy_words_min: usize,
    /// What readers on other threads see, once [`Serf::share_with_readers`] was called.
    published: Option<Arc<Published>>,
    /// Compactions so far: a reader's copies of handles (mugs, the dashboard) hold within one.
    epoch: u64,
}

/// [`Serf::tidy`] leaves heaps smaller than this alone (32 MiB).
const TIDY_WORDS_MIN: usize = 1 << 22;

impl Default for Serf {
    fn default() -> Serf {
        Serf::new()
    }
}

impl Serf {
    /// A serf with no kernel yet.
    pub fn new() -> Serf {
        Serf {
            heap: Heap::new(),
            runner: Runner::new(),
            kernel: None,
            event: 0,
            mook: None,
            compacted_words: 0,
            tidy_words_min: TIDY_WORDS_MIN,
            published: None,
            epoch: 0,
        }
    }

    /// A serf from a saved heap: `roots` as [`Serf::roots`] gave them, at event `event`. `None` if the
    /// jet registrations are not readable.
    pub fn restore(mut heap: Heap, roots: &[Noun], event: u64) -> Option<Serf> {
        let (&kernel, rest) = roots.split_first()?;
        let mut runner = Runner::new();
        if let Some(&registrations) = rest.first() {
            runner.hints.dashboard = Dashboard::import(&mut heap, registrations)?;
        }
        let compacted_words = heap.words_used();
        Some(Serf {
            heap,
            runner,
            kernel: Some(kernel),
            event,
            mook: None,
            compacted_words,
            tidy_words_min: TIDY_WORDS_MIN,
            published: None,
            epoch: 0,
        })
    }

    /// What a snapshot must keep: the kernel, then the jet registrations. `None` with no kernel.
    pub fn roots(&mut self) -> Option<Vec<Noun>> {
        let kernel = self.kernel?;
        let registrations = self.runner.hints.dashboard.export(&mut self.heap);
        Some(vec![kernel, registrations])
    }

    /// The kernel, once booted.
    pub fn kernel(&self) -> Option<Noun> {
        self.kernel
    }

    /// The kernel's mug (0 with no kernel, as Vere reports it).
    pub fn mug(&mut self) -> u32 {
        match self.kernel {
            Some(kernel) => self.heap.mug(kernel),
            None => 0,
        }
    }

    /// A crash as a goof, its tang made by the kernel's `mook` where it has one.
    fn goof(&mut self, crash: Crash) -> Goof {
        let tang = self.tang(&crash).unwrap_or(Noun::ZERO);
        Goof { mote: crash.mote, tang, trace: crash.trace }
    }

    fn tang(&mut self, crash: &Crash) -> Option<Noun> {
        let kernel = self.kernel?;
        if self.mook.is_none() {
            let mook = self.runner.wish(&mut self.heap, kernel, "mook").ok();
            self.mook = Some(mook);
        }
        let mook = self.mook.flatten()?;
        let frames = self.heap.list(&crash.trace);
        let tone = self.heap.cell(Noun::direct(2).expect("small"), frames);
        let toon = self.runner.slam(&mut self.heap, mook, tone).ok()?;
        self.heap.tail(toon)
    }

    /// The lifecycle over the boot formulas: the kernel is slot 7 of its product, and the serf is at event
    /// `formulas.len()`.
    pub fn boot(&mut self, formulas: &[Noun]) -> Result<(), PlayError> {
        let events = self.heap.list(formulas);
        match self.runner.lifecycle(&mut self.heap, events) {
            Ok(kernel) => {
                self.kernel = Some(kernel);
                self.event = formulas.len() as u64;
                self.mook = None;
                Ok(())
            }
            Err(crash) => {
                let event = formulas.len() as u64;
                Err(PlayError::Crashed {
                    event,
                    goof: Goof { mote: crash.mote, tang: Noun::ZERO, trace: crash.trace },
                })
            }
        }
    }

    /// Pokes `job = [now ovum]` into the kernel: its effects, the kernel replaced. The kernel is unchanged
    /// on a crash.
    fn poke(&mut self, job: Noun) -> Result<Noun, Crash> {
        let mut call = self.begin_poke(job)?;
        loop {
            if let Some(result) = self.runner.advance(&mut self.heap, &mut call, u64::MAX) {
                return self.end_poke(result);
            }
        }
    }

    /// Starts poking `job` into the kernel: `[job kernel]` against "slam the poke arm with the head".
    fn begin_poke(&mut self, job: Noun) -> Result<Call, Crash> {
        let kernel = self.kernel.ok_or(Crash { mote: Mote::Exit, trace: Vec::new() })?;
        let subject = self.heap.cell(job, kernel);
        let formula = self.heap.parse(POKE_FORMULA).expect("a formula");
        Ok(self.runner.begin(&mut self.heap, subject, formula))
    }

    /// Takes the product of a poke: the effects, and the new kernel kept.
    fn end_poke(&mut self, result: Result<Noun, Crash>) -> Result<Noun, Crash> {
        let (effects, kernel) =
            self.heap.cell_parts(result?).ok_or(Crash { mote: Mote::Exit, trace: Vec::new() })?;
        self.kernel = Some(kernel);
        self.event += 1;
        if self.mentions_vega(effects) {
            self.mook = None;
        }
        Ok(effects)
    }

    /// Whether any effect is a `%vega` (the kernel was replaced: cached gates from it are stale).
    fn mentions_vega(&self, effects: Noun) -> bool {
        let vega = u32::from_le_bytes(*b"vega") as u64;
        list_items(&self.heap, effects).into_iter().any(|ovum| {
            self.heap.tail(ovum).and_then(|card| self.heap.head(card)).and_then(|t| t.as_direct())
                == Some(vega)
        })
    }

    /// A scry of the kernel (spec/arvo.md §3.3): Arvo's `peek` slammed with `[lyc nom]`, its product a
    /// `(unit (cask))`. The `%once` form's `[~ [%omen path cask]]` is unwrapped to `[~ cask]`, as Vere's
    /// king does before a driver sees it. The kernel is unchanged; the garbage goes at the next
    /// compaction. Not while an event is in flight.
    pub fn peek(&mut self, lyc: Noun, nom: Noun) -> Result<Noun, Goof> {
        let Some(kernel) = self.kernel else {
            return Err(Goof { mote: Mote::Exit, tang: Noun::ZERO, trace: Vec::new() });
        };
        peek_kernel(&mut self.heap, &mut self.runner, kernel, lyc, nom).map_err(|crash| self.goof(crash))
    }

    /// A `%once` peek of the runtime's own, between events: [`Serf::peek`] with the `%omen` wrapper taken
    /// off ([`unwrap_omen`]), as Vere's drivers see their peeks.
    pub fn peek_last(&mut self, lyc: Noun, nom: Noun) -> Result<Noun, Goof> {
        let product = self.peek(lyc, nom)?;
        Ok(unwrap_omen(&mut self.heap, nom, product))
    }

    /// Lets readers on other threads peek at the kernel ([`crate::scry`]): from now on each event that
    /// ends publishes the kernel it leaves, and a compaction waits for the readers in flight.
    pub fn share_with_readers(&mut self) -> Arc<Published> {
        if let Some(published) = &self.published {
            return Arc::clone(published);
        }
        let published = Arc::new(Published::new(self.heap.shared_region()));
        self.published = Some(Arc::clone(&published));
        self.publish();
        published
    }

    /// Publishes the kernel as it is now to the readers, if there are any (after an event ends).
    fn publish(&mut self) {
        let Some(published) = &self.published else { return };
        let Some(kernel) = self.kernel else { return };
        self.heap.pin();
        let locations = self.runner.hints.dashboard.locations_len();
        let mut view = published.view.lock().unwrap_or_else(|e| e.into_inner());
        let dashboard = match view.as_ref() {
            Some(old) if old.epoch == self.epoch && old.dashboard.locations_len() == locations => {
                Arc::clone(&old.dashboard)
            }
            _ => Arc::new(self.runner.hints.dashboard.clone()),
        };
        *view = Some(View {
            kernel,
            event: self.event,
            epoch: self.epoch,
            words: self.heap.words_used(),
            dashboard,
        });
    }

    /// Computes a new event `[now ovum]` as Vere 1.16's serf does (spec/arvo.md §7.2).
    pub fn work(&mut self, now: Noun, ovum: Noun) -> Work {
        let mut event = self.begin(now, ovum);
        loop {
            if let Some(work) = self.advance(&mut event, u64::MAX) {
                return work;
            }
        }
    }

    /// Starts computing a new event `[now ovum]`, to be run a slice at a time by [`Serf::advance`]. Until
    /// it ends, nothing else may allocate in the serf's heap (reading it is fine).
    pub fn begin(&mut self, now: Noun, ovum: Noun) -> InFlight {
        let job = self.heap.cell(now, ovum);
        let stage = match self.begin_poke(job) {
            Ok(call) => Stage::Poke(call),
            Err(crash) => Stage::Failed(crash),
        };
        InFlight { now, ovum, job, stage }
    }

    /// Runs an event for at most `slice` more steps: `None` while it has not ended. A failed event is
    /// retried as `[now+1 //arvo [%crud goof ovum]]` on the unchanged kernel, as Vere 1.16 does. Heavy
    /// jets' jobs are run here.
    pub fn advance(&mut self, event: &mut InFlight, slice: u64) -> Option<Work> {
        loop {
            match self.advance_pooled(event, slice) {
                Progress::Paused => return None,
                Progress::Job(job) => {
                    let answer = job.answer(&self.heap);
                    self.give_job(event, answer)
                }
                Progress::Ended(work) => return Some(work),
            }
        }
    }

    /// The answer to the job [`Serf::advance_pooled`] handed out.
    pub fn give_job(&mut self, event: &mut InFlight, answer: crate::interp::Answer) {
        match &mut event.stage {
            Stage::Poke(call) | Stage::Crud { call, .. } => call.give_job(&mut self.heap, answer),
            Stage::Failed(_) | Stage::Done => {}
        }
    }

    /// [`Serf::advance`], except that a heavy jet's job is handed out to be run elsewhere (the app's
    /// jet_dispatch); the event waits until [`Serf::give_job`] brings the answer.
    pub fn advance_pooled(&mut self, event: &mut InFlight, slice: u64) -> Progress {
        loop {
            match std::mem::replace(&mut event.stage, Stage::Done) {
                Stage::Poke(mut call) => {
                    let result = match self.runner.advance_pooled(&mut self.heap, &mut call, slice) {
                        Advance::Ended(result) => result,
                        waiting => {
                            event.stage = Stage::Poke(call);
                            return Progress::waiting(waiting);
                        }
                    };
                    match self.end_poke(result) {
                        Ok(effects) => {
                            let mug = self.mug();
                            self.publish();
                            return Progress::Ended(Work::Done { job: event.job, mug, effects });
                        }
                        Err(crash) => event.stage = Stage::Failed(crash),
                    }
                }
                Stage::Failed(crash) => {
                    let goof = self.goof(crash);
                    // `[now+1 //arvo [%crud goof ovum]]`: 1.16 adds one unit to the time.
                    let Ok(later) = self.heap.inc(event.now) else {
                        return Progress::Ended(Work::Bail(vec![goof]));
                    };
                    let arvo = term(&mut self.heap, "arvo");
                    let wire = self.heap.tuple(&[Noun::ZERO, arvo, Noun::ZERO]);
                    let crud = term(&mut self.heap, "crud");
                    let goof_noun = goof.noun(&mut self.heap);
                    let card = self.heap.tuple(&[crud, goof_noun, event.ovum]);
                    let crud_ovum = self.heap.cell(wire, card);
                    let crud_job = self.heap.cell(later, crud_ovum);
                    match self.begin_poke(crud_job) {
                        Ok(call) => event.stage = Stage::Crud { call, job: crud_job, goof },
                        Err(crash) => return Progress::Ended(Work::Bail(vec![self.goof(crash), goof])),
                    }
                }
                Stage::Crud { mut call, job, goof } => {
                    let result = match self.runner.advance_pooled(&mut self.heap, &mut call, slice) {
                        Advance::Ended(result) => result,
                        waiting => {
                            event.stage = Stage::Crud { call, job, goof };
                            return Progress::waiting(waiting);
                        }
                    };
                    return Progress::Ended(match self.end_poke(result) {
                        Ok(effects) => {
                            let mug = self.mug();
                            self.publish();
                            Work::Swap { job, mug, effects, goof }
                        }
                        Err(crash) => Work::Bail(vec![self.goof(crash), goof]),
                    });
                }
                Stage::Done => return Progress::Paused,
            }
        }
    }

    /// Recomputes a logged event (`[now ovum]`): its effects are discarded. `logged_mug` (when not 0) must
    /// equal the new kernel's mug.
    pub fn play(&mut self, job: Noun, logged_mug: u32) -> Result<(), PlayError> {
        if self.kernel.is_none() {
            return Err(PlayError::NoKernel);
        }
        let event = self.event + 1;
        if let Err(crash) = self.poke(job) {
            let goof = self.goof(crash);
            return Err(PlayError::Crashed { event, goof });
        }
        let computed = self.mug();
        if logged_mug != 0 && computed != logged_mug {
            return Err(PlayError::Mug { event, logged: logged_mug, computed });
        }
        Ok(())
    }

    /// Copies everything still reachable (the kernel, the jet registrations, the memo cache) into a fresh
    /// heap, dropping the states of earlier events. The next snapshot is then written in full.
    pub fn compact(&mut self) {
        self.compact_keeping(&mut []);
    }

    /// [`Serf::compact`], keeping `kept` too: nouns in the heap that the caller holds (effects waiting for
    /// the log, say) are relocated with the kernel, and each handle is rewritten to its new place. A noun
    /// held across a compaction without being kept this way points into garbage.
    pub fn compact_keeping(&mut self, kept: &mut [&mut Noun]) {
        // Readers read the words a compaction rewrites: it waits for those in flight, and those after it
        // see the new layout (published before the gate opens again).
        let published = self.published.clone();
        let _gate = published.as_ref().map(|p| p.gate.write().unwrap_or_else(|e| e.into_inner()));
        self.compact_gated(kept);
    }

    /// [`Serf::compact_keeping`] with the readers' gate already held.
    fn compact_gated(&mut self, kept: &mut [&mut Noun]) {
        self.heap.unpin();
        self.epoch += 1;
        // The memo cache lasts one event (the next call empties it): a compaction need not keep it.
        self.runner.hints.forget_memo();
        // In place: a copying compaction would need room for a second copy of the whole state.
        let mut compactor = Compactor::new(&mut self.heap, 0);
        self.kernel.map(|k| compactor.mark(k));
        self.runner.hints.relocate(&mut |n| compactor.mark(n));
        for noun in kept.iter() {
            compactor.mark(**noun);
        }
        compactor.plan();
        self.kernel = self.kernel.map(|k| compactor.relocate(k));
        self.runner.hints.relocate(&mut |n| compactor.relocate(n));
        for noun in kept.iter_mut() {
            **noun = compactor.relocate(**noun);
        }
        compactor.finish();
        self.mook = None;
        self.compacted_words = self.heap.words_used();
        self.publish();
    }

    /// Melds the state (equal subtrees made one box: [`components::meld`]) and compacts: the same nouns
    /// in fewer words. What was found.
    pub fn meld(&mut self) -> MeldStats {
        let published = self.published.clone();
        let _gate = published.as_ref().map(|p| p.gate.write().unwrap_or_else(|e| e.into_inner()));
        // The memo cache lasts one event (the next call empties it): nothing to keep of it.
        self.runner.hints.forget_memo();
        let mut melder = Melder::new(&mut self.heap);
        self.kernel = self.kernel.map(|k| melder.meld(k));
        self.runner.hints.relocate(&mut |n| melder.meld(n));
        let stats = melder.stats();
        // Still behind the gate: a meld writes over the boxes it found to be copies, so no reader may
        // start from the kernel published before it until the compaction has published the new one.
        self.compact_gated(&mut []);
        stats
    }

    /// Compacts if the heap has more than doubled since the last compaction (and holds at least
    /// [`Serf::set_tidy_words_min`] words, [`TIDY_WORDS_MIN`] unless set): the states of past events are
    /// garbage once they are logged. `kept` as for [`Serf::compact_keeping`].
    pub fn tidy_keeping(&mut self, kept: &mut [&mut Noun]) {
        let used = self.heap.words_used();
        if used >= self.tidy_words_min && used > 2 * self.compacted_words {
            self.compact_keeping(kept);
        }
    }

    /// [`Serf::tidy_keeping`] with nothing held outside the serf.
    pub fn tidy(&mut self) {
        self.tidy_keeping(&mut []);
    }

    /// Sets the heap size below which [`Serf::tidy`] never compacts (tests make it small).
    pub fn set_tidy_words_min(&mut self, words: usize) {
        self.tidy_words_min = words;
    }
}
