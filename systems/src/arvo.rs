//! The kernel interface (spec/arvo.md §2–4): the lifecycle that turns a pill's events into a kernel,
//! calling gates and arms, `wish`, and the ivory pill's `eval`.
//!
//! Every computation here runs on a [`Machine`] with [`ConsoleHints`] (jets, `%memo`, `%slog`), so the
//! `%fast` registrations made while booting stay in the hints and serve later calls.

use crate::interp::{ConsoleHints, Crash, Hints, Limits, Machine, Mote, Outcome};
use components::compact::Compactor;
use components::{Heap, Noun};
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

/// `[2 [0 3] [0 2]]`: run the head of the event list against the rest (spec/arvo.md §2.1).
const LIFECYCLE: &str = "[2 [0 3] 0 2]";
/// The wish arm's axis in a kernel core.
pub const WISH_AXIS: u64 = 10;
/// The poke arm's axis in a kernel core.
pub const POKE_AXIS: u64 = 23;
/// The gate Vere's `urbit eval` wishes for: parse text at `/eval`, compile against the kernel's standard
/// library, render the vase with `sell`.
const EVAL_GATE: &str = "|=(a=@t (sell (slap !>(+>.$) (rain /eval a))))";

/// A kernel call in progress: see [`Runner::begin`].
pub struct Call {
    machine: Machine,
    /// The heap's size when the call began: its garbage is what lies above.
    base: usize,
}

/// What a slice of a call came to, when heavy jets' jobs are handed out.
pub enum Advance {
    /// Not ended yet: the step budget ran out, or an answer is awaited.
    Paused,
    /// A heavy jet's job: run it and give the answer back ([`Call::give_job`]).
    Job(crate::interp::Job),
    Ended(Result<Noun, Crash>),
}

impl Call {
    /// The answer to the job [`Runner::advance_pooled`] handed out.
    pub fn give_job(&mut self, heap: &mut Heap, answer: crate::interp::Answer) {
        self.machine.give_job(heap, answer);
    }

    /// Steps the call has taken so far.
    pub fn steps(&self) -> u64 {
        self.machine.steps()
    }
}

/// A runner of kernel calls: the hints (jets registered so far, the memo cache) persist across calls.
pub struct Runner {
    pub hints: ConsoleHints,
    /// Steps taken by all calls so far.
    pub steps: u64,
    /// The most steps one call may take; past it the call ends as `intr` (unlimited by default).
    pub budget_steps: u64,
    /// Set (by ctrl-c, or another thread) to stop the running call with `intr`; cleared when it stops.
    pub interrupt: Arc<AtomicBool>,
    /// The limits each call runs under (heap words and work stack: past them the call ends as `meme`).
    pub limits: Limits,
    /// Set (by the app, when I/O is waiting) to pause the running call at its next check, to be resumed
    /// by the next [`Runner::advance`]: a slice cut short, not a crash.
    pub yield_flag: Option<Arc<AtomicBool>>,
}

impl Default for Runner {
    fn default() -> Runner {
        Runner::new()
    }
}

impl Runner {
    pub fn new() -> Runner {
        Runner {
            hints: ConsoleHints::new(false),
            steps: 0,
            budget_steps: u64::MAX,
            interrupt: Arc::new(AtomicBool::new(false)),
            limits: Limits::default(),
            yield_flag: None,
        }
    }

    /// `*[subject formula]`, to the end (or the budget). Afterwards the call's garbage is collected: only
    /// the product, and what the hints hold, stay in the heap.
    pub fn nock(&mut self, heap: &mut Heap, subject: Noun, formula: Noun) -> Result<Noun, Crash> {
        let mut call = self.begin(heap, subject, formula);
        loop {
            if let Some(result) = self.advance(heap, &mut call, u64::MAX) {
                return result;
            }
        }
    }

    /// Starts `*[subject formula]` as a call that [`Runner::advance`] runs a slice at a time. Until it
    /// ends, nothing else may allocate in `heap`: a collection inside the call keeps only what the call
    /// can reach among the words allocated since it began.
    pub fn begin(&mut self, heap: &mut Heap, subject: Noun, formula: Noun) -> Call {
        self.hints.forget_memo();
        let base = heap.words_used();
        let mut machine = Machine::with_limits(self.limits);
        machine.share_interrupt(Arc::clone(&self.interrupt));
        if let Some(flag) = &self.yield_flag {
            machine.share_yield(Arc::clone(flag));
        }
        machine.start(heap, subject, formula);
        Call { machine, base }
    }

    /// Runs a call for at most `slice` more steps: `None` if it has not ended yet. A call that passes
    /// [`Runner::budget_steps`] in all ends as `intr`. When it ends, its garbage is collected: only the
    /// product (or the trace), and what the hints hold, stay in the heap.
    pub fn advance(&mut self, heap: &mut Heap, call: &mut Call, slice: u64) -> Option<Result<Noun, Crash>> {
        loop {
            match self.advance_pooled(heap, call, slice) {
                Advance::Job(job) => {
                    let answer = job.answer(heap);
                    call.machine.give_job(heap, answer)
                }
                Advance::Paused => return None,
                Advance::Ended(result) => return Some(result),
            }
        }
    }

    /// [`Runner::advance`], except that a heavy jet's job is handed out ([`Advance::Job`]) rather than
    /// run here: the caller runs it where it likes (the app's jet_dispatch, on its thread pool) and gives
    /// the answer back with [`Call::give_job`] before advancing again. A call waiting for an answer
    /// stays paused.
    pub fn advance_pooled(&mut self, heap: &mut Heap, call: &mut Call, slice: u64) -> Advance {
        if call.machine.waits_for_job() {
            return match call.machine.take_job() {
                Some(job) => Advance::Job(job),
                None => Advance::Paused,
            };
        }
        let before = call.machine.steps();
        let left = self.budget_steps.saturating_sub(before);
        let outcome = match call.machine.run_with(heap, &mut self.hints, slice.min(left)) {
            Outcome::Paused if call.machine.waits_for_job() => {
                self.steps += call.machine.steps() - before;
                return match call.machine.take_job() {
                    Some(job) => Advance::Job(job),
                    None => Advance::Paused,
                };
            }
            Outcome::Paused if slice < left || call.machine.yielded() => {
                self.steps += call.machine.steps() - before;
                return Advance::Paused;
            }
            Outcome::Paused => Outcome::Crashed(call.machine.abandon(heap)),
            outcome => outcome,
        };
        self.steps += call.machine.steps() - before;
        // What the call left is compacted in place: its product (a new kernel, say) may be most of it.
        let mut compactor = Compactor::new(heap, call.base);
        let mut result = match outcome {
            Outcome::Done(product) => Ok(product),
            Outcome::Crashed(crash) => Err(crash),
            Outcome::Paused => unreachable!("a paused machine was abandoned above"),
        };
        let each = |result: &mut Result<Noun, Crash>, f: &mut dyn FnMut(Noun) -> Noun| match result {
            Ok(product) => *product = f(*product),
            Err(crash) => crash.trace.iter_mut().for_each(|frame| *frame = f(*frame)),
        };
        each(&mut result, &mut |n| compactor.mark(n));
        self.hints.relocate(&mut |n| compactor.mark(n));
        compactor.plan();
        each(&mut result, &mut |n| compactor.relocate(n));
        self.hints.relocate(&mut |n| compactor.relocate(n));
        compactor.finish();
        Advance::Ended(result)
    }

    /// Calls a gate: its sample (axis 6) replaced, arm 2 run.
    pub fn slam(&mut self, heap: &mut Heap, gate: Noun, sample: Noun) -> Result<Noun, Crash> {
        let core = heap.edit_u64(gate, 6, sample).ok_or(Crash { mote: Mote::Exit, trace: Vec::new() })?;
        let kick = heap.parse("[9 2 0 1]").expect("a formula");
        self.nock(heap, core, kick)
    }

    /// The product of the arm at `axis` of `core`.
    pub fn arm(&mut self, heap: &mut Heap, core: Noun, axis: u64) -> Result<Noun, Crash> {
        let formula = heap.slot_u64(core, axis).ok_or(Crash { mote: Mote::Exit, trace: Vec::new() })?;
        self.nock(heap, core, formula)
    }

    /// The lifecycle over an event list: the kernel is slot 7 of its product.
    pub fn lifecycle(&mut self, heap: &mut Heap, events: Noun) -> Result<Noun, Crash> {
        let formula = heap.parse(LIFECYCLE).expect("a formula");
        let state = self.nock(heap, events, formula)?;
        heap.slot_u64(state, 7).ok_or(Crash { mote: Mote::Exit, trace: Vec::new() })
    }

    /// `poke` (arm 23): the kernel takes `[now ovum]` and gives `[effects kernel']`.
    pub fn poke(
        &mut self,
        heap: &mut Heap,
        kernel: Noun,
        now: Noun,
        ovum: Noun,
    ) -> Result<(Noun, Noun), Crash> {
        let gate = self.arm(heap, kernel, POKE_AXIS)?;
        let sample = heap.cell(now, ovum);
        let product = self.slam(heap, gate, sample)?;
        heap.cell_parts(product).ok_or(Crash { mote: Mote::Exit, trace: Vec::new() })
    }

    /// `wish`: the value of Hoon source compiled against the kernel.
    pub fn wish(&mut self, heap: &mut Heap, kernel: Noun, source: &str) -> Result<Noun, Crash> {
        let gate = self.arm(heap, kernel, WISH_AXIS)?;
        let cord = heap.atom_from_bytes(source.as_bytes());
        self.slam(heap, gate, cord)
    }
}

/// How many innermost frames of an interrupted evaluation's trace are rendered.
const INTR_FRAMES_MAX: usize = 32;
/// `+mook` renders at most this many frames of a trace, keeping [`MOOK_FRAMES_KEPT`] at each end.
const MOOK_FRAMES_MAX: usize = 1024;
const MOOK_FRAMES_KEPT: usize = 512;
/// The most steps rendering a failed evaluation's trace may take (a few seconds; ordinary traces take
/// well under a million).
const TRACE_STEPS_MAX: u64 = 100_000_000;

/// The ivory kernel, ready to evaluate Hoon.
pub struct Ivory {
    pub kernel: Noun,
    eval_gate: Noun,
    wash: Noun,
    mook: Noun,
}

/// What `eval` gives: the rendered product, or the rendered error.
pub enum Evaluation {
    Value(Vec<String>),
    Error { mote: Mote, lines: Vec<String> },
}

/// The lines of a `wall` (a list of tapes).
fn wall_lines(heap: &Heap, wall: Noun) -> Vec<String> {
    let mut lines = Vec::new();
    let mut at = wall;
    while let Some((tape, rest)) = heap.cell_parts(at) {
        let mut bytes = Vec::new();
        let mut chars = tape;
        while let Some((c, next)) = heap.cell_parts(chars) {
            bytes.push(heap.as_u64(c).unwrap_or(b'?' as u64) as u8);
            chars = next;
        }
        lines.push(String::from_utf8_lossy(&bytes).into_owned());
        at = rest;
    }
    lines
}

/// The version of the saved form of a booted ivory kernel.
const SAVED_VERSION: u64 = 2;

impl Ivory {
    /// The booted kernel, the gates eval uses and the jet registrations, as one noun to jam into a cache.
    pub fn save(&self, heap: &mut Heap, runner: &Runner) -> Noun {
        let registrations = runner.hints.dashboard.export(heap);
        let version = Noun::direct(SAVED_VERSION).expect("small");
        heap.tuple(&[version, self.kernel, self.eval_gate, self.wash, self.mook, registrations])
    }

    /// A booted kernel from [`Ivory::save`]'s noun, with its jet registrations put back into the runner;
    /// `None` if the noun is not one.
    pub fn restore(heap: &mut Heap, runner: &mut Runner, saved: Noun) -> Option<Ivory> {
        let mut parts = [Noun::ZERO; 6];
        let mut at = saved;
        for part in parts.iter_mut().take(5) {
            let (head, tail) = heap.cell_parts(at)?;
            *part = head;
            at = tail;
        }
        parts[5] = at;
        let [version, kernel, eval_gate, wash, mook, registrations] = parts;
        if heap.as_u64(version) != Some(SAVED_VERSION) {
            return None;
        }
        runner.hints.dashboard = crate::jets::dashboard::Dashboard::import(heap, registrations)?;
        Some(Ivory { kernel, eval_gate, wash, mook })
    }

    /// Boots the ivory kernel from the pill's `[nok ver ~]` (the lifecycle), and prepares `eval`.
    pub fn boot(heap: &mut Heap, runner: &mut Runner, nok_ver: Noun) -> Result<Ivory, Crash> {
        let kernel = runner.lifecycle(heap, nok_ver)?;
        let eval_gate = runner.wish(heap, kernel, EVAL_GATE)?;
        let wash = runner.wish(heap, kernel, "wash")?;
        let mook = runner.wish(heap, kernel, "mook")?;
        Ok(Ivory { kernel, eval_gate, wash, mook })
    }

    /// Copies what is still reachable (the kernel, eval's gates, the jet registrations) into a fresh heap:
    /// each evaluation leaves what the hints kept in the heap for good, so a heap that evaluates many
    /// expressions compacts between them now and then.
    pub fn compact(&mut self, heap: &mut Heap, runner: &mut Runner) {
        let mut compactor = Compactor::new(heap, 0);
        for noun in [self.kernel, self.eval_gate, self.wash, self.mook] {
            compactor.mark(noun);
        }
        runner.hints.relocate(&mut |n| compactor.mark(n));
        compactor.plan();
        for noun in [&mut self.kernel, &mut self.eval_gate, &mut self.wash, &mut self.mook] {
            *noun = compactor.relocate(*noun);
        }
        runner.hints.relocate(&mut |n| compactor.relocate(n));
        compactor.finish();
    }

    /// Renders a tank to lines of at most `width` columns with the kernel's own `wash`.
    pub fn render(
        &self,
        heap: &mut Heap,
        runner: &mut Runner,
        tank: Noun,
        width: u64,
    ) -> Result<Vec<String>, Crash> {
        let indent_width = heap.tuple(&[Noun::ZERO, Noun::direct(width).expect("small")]);
        let sample = heap.cell(indent_width, tank);
        let wall = runner.slam(heap, self.wash, sample)?;
        Ok(wall_lines(heap, wall))
    }

    /// Evaluates Hoon source as `urbit eval` does, rendered at `width` columns.
    pub fn eval(&self, heap: &mut Heap, runner: &mut Runner, source: &str, width: u64) -> Evaluation {
        let cord = heap.atom_from_bytes(source.as_bytes());
        let rendered =
            runner.slam(heap, self.eval_gate, cord).and_then(|tank| self.render(heap, runner, tank, width));
        match rendered {
            Ok(lines) => Evaluation::Value(lines),
            Err(crash) => {
                let lines = self.trace_lines(heap, runner, &crash, width);
                Evaluation::Error { mote: crash.mote, lines }
            }
        }
    }

    /// A crash's trace as lines, outermost frame first. The whole trace is rendered through `+mook` at
    /// once if that finishes within [`TRACE_STEPS_MAX`]; if not (a `~|` whose tank is huge, after running
    /// out of memory, say), frame by frame, each within the same budget, a frame that still does not
    /// finish printed as `+mook` prints a `%mean` that fails, `####` (or, for other frames, raw).
    fn trace_lines(&self, heap: &mut Heap, runner: &mut Runner, crash: &Crash, width: u64) -> Vec<String> {
        // An interrupted computation can be deep in a long loop: render only its innermost frames.
        let frames = match crash.mote {
            Mote::Intr => &crash.trace[..crash.trace.len().min(INTR_FRAMES_MAX)],
            _ => &crash.trace[..],
        };
        let budget = runner.budget_steps;
        runner.budget_steps = budget.min(TRACE_STEPS_MAX);
        let lines = self.render_trace(heap, runner, frames, width).unwrap_or_else(|_| {
            // As `+mook` does, a trace of more than 1,024 frames keeps its 512 innermost and 512
            // outermost, with a line for those skipped.
            let (inner, outer, skipped) = match frames.len() {
                n if n > MOOK_FRAMES_MAX => {
                    (&frames[..MOOK_FRAMES_KEPT], &frames[n - MOOK_FRAMES_KEPT..], n - MOOK_FRAMES_MAX)
                }
                _ => (frames, &frames[..0], 0),
            };
            let mut lines = Vec::new();
            let mut render =
                |lines: &mut Vec<String>, frame: Noun| match self.render_trace(heap, runner, &[frame], width)
                {
                    Ok(rendered) => lines.extend(rendered),
                    Err(_) if is_mean_trap(heap, frame) => lines.push("####".to_string()),
                    Err(_) => lines.push(crate::serf::frame_text(heap, frame)),
                };
            for &frame in outer.iter().rev() {
                render(&mut lines, frame);
            }
            if skipped > 0 {
                lines.push(format!("[skipped {} frames]", components::aura::render_ud(skipped as u128)));
            }
            for &frame in inner.iter().rev() {
                render(&mut lines, frame);
            }
            lines
        });
        runner.budget_steps = budget;
        lines
    }

    /// Trace frames (innermost first) rendered through the kernel's `+mook`, as Vere prints a goof's
    /// tang: outermost first.
    fn render_trace(
        &self,
        heap: &mut Heap,
        runner: &mut Runner,
        frames: &[Noun],
        width: u64,
    ) -> Result<Vec<String>, Crash> {
        let frames = heap.list(frames);
        let tone = heap.cell(Noun::direct(2).expect("small"), frames);
        let toon = runner.slam(heap, self.mook, tone)?;
        let tang = heap.tail(toon).unwrap_or(Noun::ZERO);
        let mut tanks = Vec::new();
        let mut at = tang;
        while let Some((tank, rest)) = heap.cell_parts(at) {
            tanks.push(tank);
            at = rest;
        }
        let mut lines = Vec::new();
        for tank in tanks.into_iter().rev() {
            lines.extend(self.render(heap, runner, tank, width)?);
        }
        Ok(lines)
    }
}

/// Whether a trace frame is `[%mean trap]` (a `~|` whose tank is computed when the trace is printed).
fn is_mean_trap(heap: &Heap, frame: Noun) -> bool {
    use crate::interp::TAG_MEAN;
    heap.cell_parts(frame).is_some_and(|(tag, data)| tag.as_direct() == Some(TAG_MEAN) && data.is_cell())
}
