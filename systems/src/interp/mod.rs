//! A Nock interpreter with its own stacks: no Rust recursion over Nock depth, resumable under a step
//! budget, interruptible, with Vere's crash classes, traces and `+mink` virtualization (spec/nock.md).
//!
//! The machine keeps a work stack of instructions (evaluate a formula against a subject, or finish an
//! operation whose operands are ready) and a value stack of results. A formula whose last step is another
//! evaluation (Nock 2, 7, 8, 9, 6's branches, hints) replaces itself with it, so tail calls do not grow
//! either stack.
//!
//! ```
//! use components::Heap;
//! use systems::interp::{Machine, Outcome};
//! let mut heap = Heap::new();
//! let subject = heap.parse("[0 41]").unwrap();
//! let formula = heap.parse("[4 0 3]").unwrap();
//! let mut machine = Machine::new();
//! machine.start(&heap, subject, formula);
//! match machine.run(&mut heap, u64::MAX) {
//!     Outcome::Done(product) => assert_eq!(heap.print(product), "42"),
//!     other => panic!("{other:?}"),
//! }
//! ```

mod console;
mod hint;

use components::compact::Compactor;
use components::copy::Collector;
use components::{Heap, Noun};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

pub use console::{ConsoleHints, LogSink};
pub use hint::{Answer, Hints, JetCall, Job, MemoWhen, NoHints, Task, TaskFn, TaskStep, mean_frame};

/// Vere's crash classes (motes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mote {
    /// Deterministic: a Nock rule was broken, or Hoon crashed on purpose. `+mink` catches it.
    Exit,
    /// Out of memory or stack.
    Meme,
    /// Interrupted.
    Intr,
    /// An implementation limit (a jet could not compute).
    Fail,
    /// A cryptographic check failed in a jet (Vere's `%evil`: AES-SIV decryption with a bad tag).
    Evil,
}

impl Mote {
    /// The mote's name, as Vere prints it.
    pub fn name(self) -> &'static str {
        match self {
            Mote::Exit => "exit",
            Mote::Meme => "meme",
            Mote::Intr => "intr",
            Mote::Fail => "fail",
            Mote::Evil => "evil",
        }
    }
}

/// A crash: its class and the trace frames `[tag data]` that enclosed it, innermost first.
#[derive(Debug, Clone)]
pub struct Crash {
    pub mote: Mote,
    pub trace: Vec<Noun>,
}

/// How a run ended.
#[derive(Debug, Clone)]
pub enum Outcome {
    Done(Noun),
    /// The step budget ran out; `run` again to go on.
    Paused,
    Crashed(Crash),
}

/// Limits of a machine.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// The most entries on the work stack (deep non-tail recursion ends in `meme` past this).
    pub stack_entries_max: usize,
    /// The most heap words (allocation past this ends in `meme`).
    pub heap_words_max: usize,
    /// How often, in steps, the interrupt flag and the heap size are checked.
    pub check_every_steps: u64,
    /// The nursery's size: a minor collection runs once this many words were allocated since the last
    /// collection. It moves what is still reachable of them down and promotes it: later minor
    /// collections do not copy it again.
    pub nursery_words: usize,
    /// A major collection (of all the computation's young space, promoted words included) runs instead
    /// of a minor one once the promoted words exceed what survived the last major collection by this
    /// many, or by half of it if that is more (a factor of two would let the peak reach twice the live
    /// set).
    pub young_words_min: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        // 2 GiB of heap, as Vere's default loom; 16M pending work entries.
        Limits {
            stack_entries_max: 1 << 24,
            heap_words_max: 1 << 28,
            check_every_steps: 1 << 12,
            nursery_words: NURSERY_WORDS,
            young_words_min: 1 << 21,
        }
    }
}

/// The default nursery: 4 MiB, about what this machine's last-level cache holds, so that the words a
/// computation allocates are still cached when the minor collection reads the few that survive.
pub const NURSERY_WORDS: usize = 1 << 19;

/// How many formulas [`Machine::eval`] goes on to in place before it returns to the work loop (which
/// checks the budget, the interrupt flag and the heap's size, and collects).
const TAIL_STEPS_MAX: u64 = 32;

/// How deep [`quick`] looks into an operand (a constant bound: no recursion over the input's depth).
const QUICK_DEPTH: u32 = 3;

/// The value of an operand formula made only of Nock 0, 1, 3, 4, 5, 6, 7, 8, 10 and autocons over such
/// operands, up to [`QUICK_DEPTH`] levels, computed on the spot. `None` when the operand is anything else
/// (a call, a hint, a scry) or would crash: the caller then evaluates it step by step (which crashes
/// properly; these operations have no effect but allocation, so evaluating them twice changes nothing).
#[inline]
fn quick(heap: &mut Heap, subject: Noun, formula: Noun) -> Option<Noun> {
    operand(heap, subject, formula, QUICK_DEPTH)
}

/// [`quick_at`] with its two leaves, `[0 axis]` and `[1 constant]` (most operands), read in the caller
/// rather than through a call.
#[inline(always)]
fn operand(heap: &mut Heap, subject: Noun, formula: Noun, depth: u32) -> Option<Noun> {
    let (op, arg) = heap.cell_parts(formula)?;
    match op.as_direct() {
        Some(0) => heap.slot(subject, arg),
        Some(1) => Some(arg),
        _ => quick_at(heap, subject, op, arg, depth),
    }
}

/// The value of the formula `[op arg]` (see [`quick`]).
fn quick_at(heap: &mut Heap, subject: Noun, op: Noun, arg: Noun, depth: u32) -> Option<Noun> {
    if op.is_cell() {
        // Autocons: a gate's sample of several values (`[[0 14] 0 6]`) is one.
        if depth == 0 {
            return None;
        }
        let head = operand(heap, subject, op, depth - 1)?;
        let tail = operand(heap, subject, arg, depth - 1)?;
        return Some(heap.cell(head, tail));
    }
    match op.as_direct()? {
        0 => heap.slot(subject, arg),
        1 => Some(arg),
        _ if depth == 0 => None,
        6 => {
            let (b, rest) = heap.cell_parts(arg)?;
            let (yes, no) = heap.cell_parts(rest)?;
            let branch = match operand(heap, subject, b, depth - 1)?.as_direct()? {
                0 => yes,
                1 => no,
                _ => return None,
            };
            operand(heap, subject, branch, depth - 1)
        }
        7 => {
            let (b, c) = heap.cell_parts(arg)?;
            let inner = operand(heap, subject, b, depth - 1)?;
            operand(heap, inner, c, depth - 1)
        }
        8 => {
            let (b, c) = heap.cell_parts(arg)?;
            let pushed = operand(heap, subject, b, depth - 1)?;
            let inner = heap.cell(pushed, subject);
            operand(heap, inner, c, depth - 1)
        }
        3 => operand(heap, subject, arg, depth - 1).map(|v| Noun::loobean(v.is_cell())),
        4 => {
            let v = operand(heap, subject, arg, depth - 1)?;
            heap.inc(v).ok()
        }
        5 => {
            let (b, c) = heap.cell_parts(arg)?;
            let x = operand(heap, subject, b, depth - 1)?;
            let y = operand(heap, subject, c, depth - 1)?;
            Some(Noun::loobean(heap.eq_unify(x, y)))
        }
        10 => {
            let (spec, d) = heap.cell_parts(arg)?;
            let (axis, c) = heap.cell_parts(spec)?;
            if axis.is_cell() {
                return None;
            }
            let target = operand(heap, subject, d, depth - 1)?;
            let value = operand(heap, subject, c, depth - 1)?;
            heap.edit(target, axis, value)
        }
        _ => None,
    }
}

/// One unit of work.
#[derive(Debug, Clone, Copy)]
enum Work {
    /// Evaluate `formula` against `subject`, pushing the product.
    Eval { subject: Noun, formula: Noun },
    /// Pop tail and head, push the cell.
    Cons,
    /// Pop a formula and a subject, evaluate.
    Call,
    /// Pop a noun, push 0 if it is a cell, 1 if an atom.
    IsCell,
    /// Pop an atom, push it plus one.
    Increment,
    /// Pop two nouns, push 0 if equal, else 1.
    Equal,
    /// Pop a test: 0 evaluates `yes`, 1 `no`, anything else crashes.
    Branch { subject: Noun, yes: Noun, no: Noun },
    /// Pop a new subject, evaluate `formula` against it.
    Compose { formula: Noun },
    /// Pop a value, evaluate `formula` against `[value subject]`.
    Push { subject: Noun, formula: Noun },
    /// Pop a core, evaluate its arm at `axis` against it.
    Arm { axis: Noun },
    /// Pop a value and a target, push the target with `axis` replaced.
    Edit { axis: Noun },
    /// A dynamic hint's clue was computed: pop it and go on with `next`.
    Hint { tag: Noun, subject: Noun, next: Noun },
    /// Pop the trace frame pushed by a trace hint.
    PopTrace,
    /// The product of a `%memo` computation: store it under `key`, if `when` allows.
    MemoStore { key: Noun, when: MemoWhen },
    /// The product of a `%fast` computation: hand core and clue to the hints.
    Register { clue: Noun },
    /// The end of a `%bout` computation: report how long it took (with the dynamic hint's clue).
    Bout { started: Instant, clue: Option<Noun> },
    /// Pop a path and a reference: ask the innermost scry handler.
    Scry,
    /// The handler's answer to a scry of `path`.
    ScryAnswer { path: Noun },
    /// The end of a `+mink` road: the product becomes `[0 product]`. Records the heights of the stacks
    /// when the road opened, to cut them back to on a crash or a block.
    MinkEnd { traces_base: usize, scry_depth: usize, values_base: usize },
    /// The end of a scry handler's run (it runs one road out: its crashes are not caught by the
    /// `+mink` whose scry it answers). When it answers, `handler` is put back as the innermost handler
    /// (at `scry_depth`), for the asking road's next scry.
    HandlerEnd { scry_depth: usize, handler: Noun },
    /// Pop the product of a call a task asked for and resume the innermost task with it.
    Resume,
    /// A checked task's call ended: report its product (on top of the values) to the hints.
    TaskEnd { core: Noun },
}

impl Work {
    /// Rewrites the nouns this item holds (after a collection moved them).
    fn relocate(&mut self, f: &mut dyn FnMut(Noun) -> Noun) {
        match self {
            Work::Eval { subject, formula } => {
                *subject = f(*subject);
                *formula = f(*formula);
            }
            Work::Branch { subject, yes, no } => {
                *subject = f(*subject);
                *yes = f(*yes);
                *no = f(*no);
            }
            Work::Compose { formula } => *formula = f(*formula),
            Work::Push { subject, formula } => {
                *subject = f(*subject);
                *formula = f(*formula);
            }
            Work::Arm { axis } | Work::Edit { axis } => *axis = f(*axis),
            Work::Hint { tag, subject, next } => {
                *tag = f(*tag);
                *subject = f(*subject);
                *next = f(*next);
            }
            Work::MemoStore { key, .. } => *key = f(*key),
            Work::Register { clue } => *clue = f(*clue),
            Work::Bout { clue, .. } => *clue = clue.map(&mut *f),
            Work::ScryAnswer { path } => *path = f(*path),
            Work::TaskEnd { core } => *core = f(*core),
            Work::HandlerEnd { handler, .. } => *handler = f(*handler),
            Work::Cons
            | Work::Call
            | Work::IsCell
            | Work::Increment
            | Work::Equal
            | Work::PopTrace
            | Work::Scry
            | Work::MinkEnd { .. }
            | Work::Resume => {}
        }
    }
}

/// A task in progress and the arm's Nock, to run instead if it punts.
#[derive(Debug, Clone, Copy)]
struct TaskFrame {
    task: Task,
    formula: Noun,
}

/// A Nock machine: its stacks persist between [`Machine::run`] calls.
pub struct Machine {
    work: Vec<Work>,
    /// Tasks waiting for a call's product: one per [`Work::Resume`] on the work stack.
    tasks: Vec<TaskFrame>,
    values: Vec<Noun>,
    traces: Vec<Noun>,
    scry_handlers: Vec<Noun>,
    limits: Limits,
    interrupt: Arc<AtomicBool>,
    /// Set by another thread when I/O waits (see [`Machine::share_yield`]): the machine pauses at its
    /// next check, as if its budget were spent, and says so ([`Machine::yielded`]).
    yield_flag: Option<Arc<AtomicBool>>,
    yielded: bool,
    steps: u64,
    /// The step count at which the interrupt flag and the heap's size are next checked.
    next_check: u64,
    /// How many formulas the running evaluation may go on to in place (see [`Machine::eval`]).
    tail_steps_max: u64,
    /// Where this computation's young space starts: everything allocated since `start`.
    young_base: usize,
    /// Where the nursery starts: words from `young_base` to here survived a collection (promoted); a minor
    /// collection moves only what is past it.
    nursery_base: usize,
    /// The promoted words past which the next collection is a major one.
    major_at: usize,
    /// The hints' [`Hints::recent_mark`] right after the last collection (`None` before the first).
    hints_mark: Option<u64>,
    /// The heap size at which the next collection runs.
    collect_at: usize,
    collections: u64,
    /// A heavy jet's job, not yet taken by [`Machine::take_job`].
    job: Option<Job>,
    /// A heavy jet's job is out (taken or not) and its answer has not come back ([`Machine::give_job`]):
    /// the machine waits. One flag, so the step loop tests one thing.
    awaiting_job: bool,
    /// The crash a job answered with, to unwind at the next run.
    job_crash: Option<Mote>,
}

impl Default for Machine {
    fn default() -> Machine {
        Machine::new()
    }
}

/// The tags of trace frames: `[%spot spot]` and `[%mean tank-or-trap]` (also read when traces are printed).
pub(crate) const TAG_SPOT: u64 = u32::from_le_bytes(*b"spot") as u64;
pub(crate) const TAG_MEAN: u64 = u32::from_le_bytes(*b"mean") as u64;
const TAG_HUNK: u64 = u32::from_le_bytes(*b"hunk") as u64;
const TAG_LOSE: u64 = u32::from_le_bytes(*b"lose") as u64;
const TAG_MEMO: u64 = u32::from_le_bytes(*b"memo") as u64;
const TAG_FAST: u64 = u32::from_le_bytes(*b"fast") as u64;
const TAG_BOUT: u64 = u32::from_le_bytes(*b"bout") as u64;

impl Machine {
    /// An idle machine with the default limits.
    pub fn new() -> Machine {
        Machine::with_limits(Limits::default())
    }

    /// An idle machine.
    pub fn with_limits(limits: Limits) -> Machine {
        Machine {
            work: Vec::new(),
            tasks: Vec::new(),
            values: Vec::new(),
            traces: Vec::new(),
            scry_handlers: Vec::new(),
            limits,
            interrupt: Arc::new(AtomicBool::new(false)),
            yield_flag: None,
            yielded: false,
            steps: 0,
            next_check: 0,
            tail_steps_max: 0,
            young_base: 0,
            nursery_base: 0,
            major_at: 0,
            hints_mark: None,
            collect_at: usize::MAX,
            collections: 0,
            job: None,
            awaiting_job: false,
            job_crash: None,
        }
    }

    /// The heavy jet's job the machine paused for, if any: run it (anywhere) and give the answer back
    /// with [`Machine::give_job`]. Until then [`Machine::run_with`] stays paused.
    pub fn take_job(&mut self) -> Option<Job> {
        self.job.take()
    }

    /// Whether the machine waits for a job's answer (taken or not).
    pub fn waits_for_job(&self) -> bool {
        self.awaiting_job
    }

    /// The answer to the job taken: its product becomes the jet's product (or its crash the jet's
    /// crash, at the next [`Machine::run_with`]).
    pub fn give_job(&mut self, heap: &mut Heap, answer: Answer) {
        debug_assert!(self.awaiting_job, "an answer with no job taken");
        match answer.product(heap) {
            Ok(product) => self.values.push(product),
            Err(mote) => self.job_crash = Some(mote),
        }
        self.awaiting_job = false;
    }

    /// How many collections this machine has run.
    pub fn collections(&self) -> u64 {
        self.collections
    }

    /// A flag that, once set, stops the running computation with `intr` within
    /// [`Limits::check_every_steps`] steps. The machine clears it when it stops.
    pub fn interrupt_handle(&self) -> Arc<AtomicBool> {
        Arc::clone(&self.interrupt)
    }

    /// Makes `flag` this machine's interrupt flag, so one flag (a ship's, set by ctrl-c) reaches whichever
    /// machine is running.
    pub fn share_interrupt(&mut self, flag: Arc<AtomicBool>) {
        self.interrupt = flag;
    }

    /// Makes `flag` a flag that, once set, pauses the running computation within
    /// [`Limits::check_every_steps`] steps, as a spent budget does (the flag is left set: its owner clears
    /// it). A pause is not a crash: the computation goes on when run again.
    pub fn share_yield(&mut self, flag: Arc<AtomicBool>) {
        self.yield_flag = Some(flag);
    }

    /// Whether the last [`Machine::run_with`] paused for the yield flag.
    pub fn yielded(&self) -> bool {
        self.yielded
    }

    /// Steps taken since the machine was made.
    pub fn steps(&self) -> u64 {
        self.steps
    }

    /// Sets up `*[subject formula]`, dropping any unfinished computation.
    pub fn start(&mut self, heap: &Heap, subject: Noun, formula: Noun) {
        self.reset(heap);
        self.work.push(Work::Eval { subject, formula });
    }

    /// Sets up `+mink`: `*[subject formula]` with `scry` as the handler of Nock 12, giving a tone
    /// `[0 product]`, `[1 path]` or `[2 trace]`.
    pub fn start_mink(&mut self, heap: &Heap, subject: Noun, formula: Noun, scry: Noun) {
        self.reset(heap);
        self.open_mink(subject, formula, scry);
    }

    /// Clears the stacks; what the heap holds now is old space to this computation (never moved by its
    /// collections), and the caller's nouns from before `start` stay valid.
    fn reset(&mut self, heap: &Heap) {
        self.work.clear();
        self.tasks.clear();
        self.values.clear();
        self.traces.clear();
        self.scry_handlers.clear();
        self.job = None;
        self.awaiting_job = false;
        self.job_crash = None;
        self.young_base = heap.words_used();
        self.nursery_base = self.young_base;
        self.major_at = self.limits.young_words_min;
        self.hints_mark = None;
        self.collect_at = self.young_base.saturating_add(self.limits.nursery_words);
    }

    /// Collects at a safe point: every live noun is on the machine's stacks or held by the hints, which
    /// relocate theirs. A minor collection moves the nursery's survivors down to its start and promotes
    /// them; a major one (once the promoted words have grown enough) does the same for the whole young
    /// space. Promoted words are never pointed at by older ones and never point into the nursery (a
    /// box only ever points at boxes that existed when it was made), so the roots alone find every
    /// nursery box still reachable.
    fn collect(&mut self, heap: &mut Heap, hints: &mut dyn Hints) {
        let major = self.nursery_base - self.young_base > self.major_at;
        let survived = if major {
            // In place (no room for a second copy of what may be most of the heap): the roots are given
            // once to be marked, once to be rewritten.
            let mut compactor = Compactor::new(heap, self.young_base);
            self.each_root(&mut |n| compactor.mark(n));
            hints.relocate(&mut |n| compactor.mark(n));
            compactor.plan();
            self.each_root(&mut |n| compactor.relocate(n));
            hints.relocate(&mut |n| compactor.relocate(n));
            compactor.finish()
        } else {
            let mut collector = Collector::new(heap, self.nursery_base);
            self.each_root(&mut |n| collector.relocate(n));
            match self.hints_mark {
                Some(mark) => hints.relocate_since(mark, &mut |n| collector.relocate(n)),
                None => hints.relocate(&mut |n| collector.relocate(n)),
            }
            collector.finish()
        };
        let base = if major { self.young_base } else { self.nursery_base };
        self.hints_mark = Some(hints.recent_mark());
        self.collections += 1;
        self.nursery_base = base + survived;
        if major {
            self.major_at = survived + self.limits.young_words_min.max(survived / 2);
        }
        self.collect_at = self.nursery_base + self.limits.nursery_words;
    }

    /// Rewrites every noun on the machine's stacks through `f`.
    fn each_root(&mut self, f: &mut dyn FnMut(Noun) -> Noun) {
        for item in self.work.iter_mut() {
            item.relocate(f);
        }
        for frame in self.tasks.iter_mut() {
            frame.task.relocate(f);
            frame.formula = f(frame.formula);
        }
        for noun in self.values.iter_mut().chain(self.traces.iter_mut()).chain(self.scry_handlers.iter_mut())
        {
            *noun = f(*noun);
        }
    }

    fn open_mink(&mut self, subject: Noun, formula: Noun, scry: Noun) {
        self.work.push(Work::MinkEnd {
            traces_base: self.traces.len(),
            scry_depth: self.scry_handlers.len(),
            values_base: self.values.len(),
        });
        self.scry_handlers.push(scry);
        self.work.push(Work::Eval { subject, formula });
    }

    /// Runs at most `budget_steps` steps, with no hints and no jets.
    pub fn run(&mut self, heap: &mut Heap, budget_steps: u64) -> Outcome {
        self.run_with(heap, &mut NoHints, budget_steps)
    }

    /// Runs at most `budget_steps` steps; hints and jets go to `hints`.
    pub fn run_with(&mut self, heap: &mut Heap, hints: &mut dyn Hints, budget_steps: u64) -> Outcome {
        let mut budget = budget_steps;
        self.yielded = false;
        if let Some(mote) = self.job_crash.take()
            && let Some(crash) = self.unwind(heap, hints, mote)
        {
            return Outcome::Crashed(crash);
        }
        loop {
            // (While a heavy jet's job is out, its answer is the next product: not done yet.)
            if self.work.is_empty() && !self.awaiting_job {
                let product = self.values.pop().expect("a finished computation leaves its product");
                return Outcome::Done(product);
            }
            if budget == 0 || self.awaiting_job {
                return Outcome::Paused;
            }
            budget -= 1;
            self.steps += 1;
            if heap.words_used() > self.collect_at {
                self.collect(heap, hints);
            }
            let limit = if self.work.len() > self.limits.stack_entries_max {
                Some(Mote::Meme)
            } else if self.steps >= self.next_check {
                self.next_check = self.steps + self.limits.check_every_steps;
                if self.yield_flag.as_ref().is_some_and(|flag| flag.load(Ordering::Relaxed)) {
                    // Nothing was popped: the work stack is as a spent budget leaves it, and the step
                    // counted above was not taken.
                    self.steps -= 1;
                    self.yielded = true;
                    return Outcome::Paused;
                }
                if self.interrupt.swap(false, Ordering::Relaxed) {
                    Some(Mote::Intr)
                } else if heap.words_own() > self.limits.heap_words_max {
                    Some(Mote::Meme)
                } else {
                    None
                }
            } else {
                None
            };
            let result = match limit {
                Some(mote) => Err(mote),
                None => {
                    let item = self.work.pop().expect("checked above");
                    let before = self.steps;
                    // An evaluation's tail loop takes its steps from what is left of the budget.
                    self.tail_steps_max = budget.min(TAIL_STEPS_MAX);
                    let result = self.step(heap, hints, item);
                    budget -= self.steps - before;
                    result
                }
            };
            if let Err(mote) = result
                && let Some(crash) = self.unwind(heap, hints, mote)
            {
                return Outcome::Crashed(crash);
            }
        }
    }

    fn pop(&mut self) -> Noun {
        self.values.pop().expect("an operand was pushed")
    }

    #[inline(always)]
    fn step(&mut self, heap: &mut Heap, hints: &mut dyn Hints, item: Work) -> Result<(), Mote> {
        match item {
            Work::Eval { subject, formula } => self.eval(heap, hints, subject, formula)?,
            Work::Cons => {
                let tail = self.pop();
                let head = self.pop();
                let cell = heap.cell(head, tail);
                self.values.push(cell);
            }
            Work::Call => {
                let formula = self.pop();
                let subject = self.pop();
                self.work.push(Work::Eval { subject, formula });
            }
            Work::IsCell => {
                let noun = self.pop();
                self.values.push(Noun::loobean(noun.is_cell()));
            }
            Work::Increment => {
                let atom = self.pop();
                let next = heap.inc(atom).map_err(|_| Mote::Exit)?;
                self.values.push(next);
            }
            Work::Equal => {
                let b = self.pop();
                let a = self.pop();
                self.values.push(Noun::loobean(heap.eq_unify(a, b)));
            }
            Work::Branch { subject, yes, no } => {
                let test = self.pop();
                let formula = match test.as_direct() {
                    Some(0) => yes,
                    Some(1) => no,
                    _ => return Err(Mote::Exit),
                };
                self.work.push(Work::Eval { subject, formula });
            }
            Work::Compose { formula } => {
                let subject = self.pop();
                self.work.push(Work::Eval { subject, formula });
            }
            Work::Push { subject, formula } => {
                let value = self.pop();
                let subject = heap.cell(value, subject);
                self.work.push(Work::Eval { subject, formula });
            }
            Work::Arm { axis } => {
                let core = self.pop();
                let formula = heap.slot(core, axis).ok_or(Mote::Exit)?;
                if let Some(formula) = self.kick(heap, hints, core, formula, axis)? {
                    self.work.push(Work::Eval { subject: core, formula });
                }
            }
            Work::Edit { axis } => {
                let value = self.pop();
                let target = self.pop();
                let edited = heap.edit(target, axis, value).ok_or(Mote::Exit)?;
                self.values.push(edited);
            }
            Work::Hint { tag, subject, next } => {
                let clue = self.pop();
                self.dynamic_hint(heap, hints, tag, clue, subject, next)?;
            }
            Work::PopTrace => {
                self.traces.pop();
            }
            Work::MemoStore { key, when } => {
                let product = *self.values.last().expect("the memoised product");
                if when.stores(product) {
                    hints.memo_store(heap, key, product);
                }
            }
            Work::Register { clue } => {
                let core = *self.values.last().expect("the registered core");
                hints.register(heap, core, clue);
            }
            Work::Bout { started, clue } => hints.bout(heap, clue, started.elapsed()),
            Work::Scry => {
                let path = self.pop();
                let reference = self.pop();
                self.scry(heap, reference, path)?;
            }
            Work::ScryAnswer { path } => {
                let answer = self.pop();
                self.scry_answer(heap, answer, path)?;
            }
            Work::HandlerEnd { scry_depth, handler } => {
                self.scry_handlers.truncate(scry_depth - 1);
                self.scry_handlers.push(handler);
            }
            Work::TaskEnd { core } => {
                let product = *self.values.last().expect("the task's product");
                hints.task_ended(heap, core, Ok(product));
            }
            Work::Resume => {
                let product = self.pop();
                let frame = self.tasks.pop().expect("a task for each resume");
                self.drive(heap, frame, Some(product))?;
            }
            Work::MinkEnd { traces_base, scry_depth, .. } => {
                let product = self.pop();
                self.traces.truncate(traces_base);
                self.scry_handlers.truncate(scry_depth);
                let tone = heap.cell(Noun::ZERO, product);
                self.values.push(tone);
            }
        }
        Ok(())
    }

    /// Evaluates a formula: operands that are `[0 axis]` or `[1 constant]` (and small formulas over them)
    /// are read on the spot, anything else is pushed as work. A failed quick read falls back to the slow
    /// path, which crashes with the right class. A formula whose last part is itself a formula to
    /// evaluate (Nock 2, 6, 7, 8, 9, 11 with quick operands) goes on in place, for at most
    /// [`TAIL_STEPS_MAX`] such steps (each counted as a step), rather than through the work stack; no
    /// collection can happen in between, as only [`Machine::run_with`] collects.
    fn eval(
        &mut self,
        heap: &mut Heap,
        hints: &mut dyn Hints,
        mut subject: Noun,
        mut formula: Noun,
    ) -> Result<(), Mote> {
        let mut left = self.tail_steps_max;
        loop {
            let Some((s, f)) = self.eval_node(heap, hints, subject, formula)? else { return Ok(()) };
            if left == 0 {
                self.work.push(Work::Eval { subject: s, formula: f });
                return Ok(());
            }
            left -= 1;
            self.steps += 1;
            (subject, formula) = (s, f);
        }
    }

    /// One formula node: `Some((subject, formula))` when what is left is to evaluate that formula (the
    /// node's product is its product), `None` when the node pushed its product or its work.
    fn eval_node(
        &mut self,
        heap: &mut Heap,
        hints: &mut dyn Hints,
        subject: Noun,
        formula: Noun,
    ) -> Result<Option<(Noun, Noun)>, Mote> {
        let (op, args) = heap.cell_parts(formula).ok_or(Mote::Exit)?;
        if op.is_cell() {
            if let Some((head, tail)) = self.operands(heap, subject, op, args, Work::Cons) {
                let cell = heap.cell(head, tail);
                self.values.push(cell);
            }
            return Ok(None);
        }
        let parts = |heap: &Heap| heap.cell_parts(args).ok_or(Mote::Exit);
        match op.as_direct() {
            Some(0) => {
                let product = heap.slot(subject, args).ok_or(Mote::Exit)?;
                self.values.push(product);
            }
            Some(1) => self.values.push(args),
            Some(2) => {
                let (b, c) = parts(heap)?;
                if let Some((s, f)) = self.operands(heap, subject, b, c, Work::Call) {
                    return Ok(Some((s, f)));
                }
            }
            Some(3) => match quick(heap, subject, args) {
                Some(v) => self.values.push(Noun::loobean(v.is_cell())),
                None => {
                    self.work.push(Work::IsCell);
                    self.work.push(Work::Eval { subject, formula: args });
                }
            },
            Some(4) => match quick(heap, subject, args) {
                Some(v) => {
                    let next = heap.inc(v).map_err(|_| Mote::Exit)?;
                    self.values.push(next);
                }
                None => {
                    self.work.push(Work::Increment);
                    self.work.push(Work::Eval { subject, formula: args });
                }
            },
            Some(5) => {
                let (b, c) = parts(heap)?;
                if let Some((x, y)) = self.operands(heap, subject, b, c, Work::Equal) {
                    self.values.push(Noun::loobean(heap.eq_unify(x, y)));
                }
            }
            Some(6) => {
                let (b, rest) = parts(heap)?;
                let (yes, no) = heap.cell_parts(rest).ok_or(Mote::Exit)?;
                match quick(heap, subject, b) {
                    Some(test) => {
                        let formula = match test.as_direct() {
                            Some(0) => yes,
                            Some(1) => no,
                            _ => return Err(Mote::Exit),
                        };
                        return Ok(Some((subject, formula)));
                    }
                    None => {
                        self.work.push(Work::Branch { subject, yes, no });
                        self.work.push(Work::Eval { subject, formula: b });
                    }
                }
            }
            Some(7) => {
                let (b, c) = parts(heap)?;
                match quick(heap, subject, b) {
                    Some(s) => return Ok(Some((s, c))),
                    None => {
                        self.work.push(Work::Compose { formula: c });
                        self.work.push(Work::Eval { subject, formula: b });
                    }
                }
            }
            Some(8) => {
                let (b, c) = parts(heap)?;
                match quick(heap, subject, b) {
                    Some(v) => {
                        let pushed = heap.cell(v, subject);
                        return Ok(Some((pushed, c)));
                    }
                    None => {
                        self.work.push(Work::Push { subject, formula: c });
                        self.work.push(Work::Eval { subject, formula: b });
                    }
                }
            }
            Some(9) => {
                let (axis, c) = parts(heap)?;
                if axis.is_cell() {
                    return Err(Mote::Exit);
                }
                match quick(heap, subject, c) {
                    Some(core) => {
                        let arm = heap.slot(core, axis).ok_or(Mote::Exit)?;
                        return Ok(self.kick(heap, hints, core, arm, axis)?.map(|arm| (core, arm)));
                    }
                    None => {
                        self.work.push(Work::Arm { axis });
                        self.work.push(Work::Eval { subject, formula: c });
                    }
                }
            }
            Some(10) => {
                let (spec, d) = parts(heap)?;
                let (axis, c) = heap.cell_parts(spec).ok_or(Mote::Exit)?;
                if axis.is_cell() {
                    return Err(Mote::Exit);
                }
                // The target first, then the value, as `Edit` pops them.
                if let Some((target, value)) = self.operands(heap, subject, d, c, Work::Edit { axis }) {
                    let edited = heap.edit(target, axis, value).ok_or(Mote::Exit)?;
                    self.values.push(edited);
                }
            }
            Some(11) => {
                let (hint, next) = parts(heap)?;
                match heap.cell_parts(hint) {
                    None => {
                        if hint.as_direct() == Some(TAG_BOUT) {
                            self.work.push(Work::Bout { started: Instant::now(), clue: None });
                            self.work.push(Work::Eval { subject, formula: next });
                            return Ok(None);
                        }
                        return Ok(Some((subject, next)));
                    }
                    Some((tag, clue)) => {
                        self.work.push(Work::Hint { tag, subject, next });
                        self.work.push(Work::Eval { subject, formula: clue });
                    }
                }
            }
            Some(12) => {
                let (reference, path) = parts(heap)?;
                self.work.push(Work::Scry);
                self.work.push(Work::Eval { subject, formula: path });
                self.work.push(Work::Eval { subject, formula: reference });
            }
            _ => return Err(Mote::Exit),
        }
        Ok(None)
    }

    /// The values of two operands, `first` then `second`, when both are read on the spot. Otherwise the
    /// work to finish is pushed: `then` (which pops both values) under the evaluation of each operand not
    /// read, `first` before `second`; a `first` that was read is pushed as the value its evaluation would
    /// have left, and is not read again.
    #[inline(always)]
    fn operands(
        &mut self,
        heap: &mut Heap,
        subject: Noun,
        first: Noun,
        second: Noun,
        then: Work,
    ) -> Option<(Noun, Noun)> {
        match quick(heap, subject, first) {
            Some(x) => match quick(heap, subject, second) {
                Some(y) => return Some((x, y)),
                None => {
                    self.values.push(x);
                    self.work.push(then);
                    self.work.push(Work::Eval { subject, formula: second });
                }
            },
            None => {
                self.work.push(then);
                self.work.push(Work::Eval { subject, formula: second });
                self.work.push(Work::Eval { subject, formula: first });
            }
        }
        None
    }

    /// Runs the arm `formula` of `core`, through a jet when the hints have one.
    fn kick(
        &mut self,
        heap: &mut Heap,
        hints: &mut dyn Hints,
        core: Noun,
        formula: Noun,
        axis: Noun,
    ) -> Result<Option<Noun>, Mote> {
        match hints.jet(heap, core, axis) {
            hint::JetCall::Product(product) => self.values.push(product),
            hint::JetCall::Crash { mote, mean } => {
                if let Some(mean) = mean {
                    self.traces.push(mean);
                }
                return Err(mote);
            }
            hint::JetCall::Nock => return Ok(Some(formula)),
            hint::JetCall::Mink { subject, formula, scry } => self.open_mink(subject, formula, scry),
            hint::JetCall::Memo { key, when } => {
                self.work.push(Work::MemoStore { key, when });
                return Ok(Some(formula));
            }
            hint::JetCall::Offload => match hints.take_job() {
                Some(job) => {
                    self.job = Some(job);
                    self.awaiting_job = true;
                }
                None => return Err(Mote::Fail),
            },
            hint::JetCall::Task(task) => {
                if task.check {
                    self.work.push(Work::TaskEnd { core });
                }
                self.drive(heap, TaskFrame { task, formula }, None)?
            }
        }
        Ok(None)
    }

    /// Runs one step of a task and does what it asks. A call it makes goes through Nock 9 (so the gate's
    /// own jet, if any, fires), with a [`Work::Resume`] under it to bring the product back.
    fn drive(&mut self, heap: &mut Heap, mut frame: TaskFrame, input: Option<Noun>) -> Result<(), Mote> {
        let two = Noun::direct(2).expect("small");
        match (frame.task.run)(heap, &mut frame.task, input) {
            TaskStep::Slam { gate, sample } => {
                let core = heap.edit_u64(gate, 6, sample).ok_or(Mote::Exit)?;
                self.tasks.push(frame);
                self.work.push(Work::Resume);
                self.work.push(Work::Arm { axis: two });
                self.values.push(core);
            }
            TaskStep::Kick { core } => {
                self.tasks.push(frame);
                self.work.push(Work::Resume);
                self.work.push(Work::Arm { axis: two });
                self.values.push(core);
            }
            TaskStep::Mink { subject, formula, scry } => {
                self.tasks.push(frame);
                self.work.push(Work::Resume);
                self.open_mink(subject, formula, scry);
            }
            TaskStep::Tail { gate, sample } => {
                let core = heap.edit_u64(gate, 6, sample).ok_or(Mote::Exit)?;
                self.work.push(Work::Arm { axis: two });
                self.values.push(core);
            }
            TaskStep::Done(product) => self.values.push(product),
            TaskStep::Crash { mote, mean } => {
                if let Some(text) = mean {
                    let frame = hint::mean_frame(heap, text);
                    self.traces.push(frame);
                }
                return Err(mote);
            }
            TaskStep::Punt => {
                self.work.push(Work::Eval { subject: frame.task.core, formula: frame.formula });
            }
        }
        Ok(())
    }

    fn dynamic_hint(
        &mut self,
        heap: &mut Heap,
        hints: &mut dyn Hints,
        tag: Noun,
        clue: Noun,
        subject: Noun,
        next: Noun,
    ) -> Result<(), Mote> {
        match tag.as_direct() {
            Some(TAG_SPOT | TAG_MEAN | TAG_HUNK | TAG_LOSE) => {
                let frame = heap.cell(tag, clue);
                self.traces.push(frame);
                self.work.push(Work::PopTrace);
            }
            Some(TAG_MEMO) => {
                let key = heap.cell(subject, next);
                if let Some(product) = hints.memo_find(heap, key) {
                    self.values.push(product);
                    return Ok(());
                }
                self.work.push(Work::MemoStore { key, when: MemoWhen::Always });
            }
            Some(TAG_FAST) => self.work.push(Work::Register { clue }),
            Some(TAG_BOUT) => self.work.push(Work::Bout { started: Instant::now(), clue: Some(clue) }),
            _ => hints.other(heap, tag, clue),
        }
        self.work.push(Work::Eval { subject, formula: next });
        Ok(())
    }

    /// Nock 12: slam the innermost handler with `[ref path]`, one road out.
    fn scry(&mut self, heap: &mut Heap, reference: Noun, path: Noun) -> Result<(), Mote> {
        let Some(&handler) = self.scry_handlers.last() else { return Err(Mote::Exit) };
        let depth = self.scry_handlers.len();
        let (battery, payload) = heap.cell_parts(handler).ok_or(Mote::Exit)?;
        let context = heap.tail(payload).ok_or(Mote::Exit)?;
        let sample = heap.cell(reference, path);
        let payload = heap.cell(sample, context);
        let gate = heap.cell(battery, payload);
        let formula = heap.slot_u64(gate, 2).ok_or(Mote::Exit)?;
        self.work.push(Work::ScryAnswer { path: sample });
        self.work.push(Work::HandlerEnd { scry_depth: depth, handler });
        self.scry_handlers.truncate(depth - 1);
        self.work.push(Work::Eval { subject: gate, formula });
        Ok(())
    }

    fn scry_answer(&mut self, heap: &mut Heap, answer: Noun, sample: Noun) -> Result<(), Mote> {
        let (_, path) = heap.cell_parts(sample).expect("[ref path]");
        if answer.as_direct() == Some(0) {
            return self.block(heap, path);
        }
        let inner = heap.tail(answer).ok_or(Mote::Exit)?;
        if inner.as_direct() == Some(0) {
            let hunk = Noun::direct(TAG_HUNK).expect("small");
            let frame = heap.cell(hunk, sample);
            self.traces.push(frame);
            return Err(Mote::Exit);
        }
        let value = heap.tail(inner).ok_or(Mote::Exit)?;
        self.values.push(value);
        Ok(())
    }

    /// A blocked scry: the innermost `+mink` returns `[1 path]`.
    fn block(&mut self, heap: &mut Heap, path: Noun) -> Result<(), Mote> {
        while let Some(item) = self.work.pop() {
            match item {
                Work::MinkEnd { traces_base, scry_depth, values_base } => {
                    self.traces.truncate(traces_base);
                    self.scry_handlers.truncate(scry_depth);
                    self.values.truncate(values_base);
                    let tone = heap.cell(Noun::ONE, path);
                    self.values.push(tone);
                    return Ok(());
                }
                Work::HandlerEnd { scry_depth, .. } => self.scry_handlers.truncate(scry_depth),
                Work::Resume => {
                    self.tasks.pop();
                }
                _ => {}
            }
        }
        Err(Mote::Exit)
    }

    /// Unwinds after a crash: an `exit` is caught by the innermost `+mink` (as `[2 trace]`) whose road it
    /// happened in; a crash inside a scry handler skips the `+mink` that asked it; other motes and exits
    /// outside any `+mink` end the computation.
    /// Gives up a paused computation as interrupted: the crash `intr` with the trace at the point it
    /// stopped (Vere reports a trace for an interrupted event too). The machine is left idle.
    pub fn abandon(&mut self, heap: &mut Heap) -> Crash {
        // Only `exit` is caught by `+mink`, so unwinding with `intr` always reaches the top.
        self.job = None;
        self.awaiting_job = false;
        self.unwind(heap, &mut NoHints, Mote::Intr).unwrap_or(Crash { mote: Mote::Intr, trace: Vec::new() })
    }

    fn unwind(&mut self, heap: &mut Heap, hints: &mut dyn Hints, mote: Mote) -> Option<Crash> {
        let mut skip = 0usize;
        while let Some(item) = self.work.pop() {
            match item {
                Work::HandlerEnd { scry_depth, .. } => {
                    self.scry_handlers.truncate(scry_depth);
                    skip += 1;
                }
                Work::MinkEnd { traces_base, scry_depth, values_base } if mote == Mote::Exit && skip == 0 => {
                    let frames: Vec<Noun> = self.traces.drain(traces_base..).rev().collect();
                    self.scry_handlers.truncate(scry_depth);
                    self.values.truncate(values_base);
                    let trace = heap.list(&frames);
                    let tone = heap.cell(Noun::direct(2).expect("small"), trace);
                    self.values.push(tone);
                    return None;
                }
                Work::MinkEnd { .. } => skip = skip.saturating_sub(1),
                Work::Resume => {
                    self.tasks.pop();
                }
                Work::TaskEnd { core } => hints.task_ended(heap, core, Err(mote)),
                _ => {}
            }
        }
        let trace: Vec<Noun> = self.traces.drain(..).rev().collect();
        self.values.clear();
        self.scry_handlers.clear();
        Some(Crash { mote, trace })
    }
}
