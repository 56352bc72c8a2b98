//! What the machine hands to the runtime around it: jet calls, `%fast` registrations, the `%memo` cache
//! and other dynamic hints (`%slog`, ...). The jet dashboard and the event loop implement [`Hints`];
//! [`NoHints`] runs plain Nock.

use super::Mote;
use components::{Heap, Noun};

/// A jet that calls back into Nock (a gate it was given, a parser rule): a small state machine the
/// machine drives. `run` is called first with no input, then once with the product of each call it asked
/// for, until it gives its answer. Its state is nouns only, so a collection can move it, and a crash
/// inside a call unwinds through it like through any Nock. The machine keeps it on its own stack: no
/// Rust recursion, however deeply jets and gates nest, and it pauses and resumes with the step budget.
#[derive(Debug, Clone, Copy)]
pub struct Task {
    pub run: TaskFn,
    /// Where the state machine is; 0 when it starts.
    pub stage: u32,
    /// The core that was kicked.
    pub core: Noun,
    /// State nouns, as the jet defines them.
    pub n: [Noun; TASK_SLOTS],
    /// Report how the call ended to [`Hints::task_ended`] (for `--check-jets`).
    pub check: bool,
    /// The `[subject formula]` of the hook the jet needs, found by the dashboard before it starts.
    pub hook: Option<(Noun, Noun)>,
}

/// One step of a [`Task`]: the heap, the task, and the product of the call it asked for last.
pub type TaskFn = fn(&mut Heap, &mut Task, Option<Noun>) -> TaskStep;

/// How many state nouns a [`Task`] holds.
pub const TASK_SLOTS: usize = 8;

/// What a [`Task`] asks of the machine.
#[derive(Debug, Clone, Copy)]
pub enum TaskStep {
    /// Kick arm 2 of `gate` with its sample replaced by `sample`, and resume with the product.
    Slam { gate: Noun, sample: Noun },
    /// Kick arm 2 of `core` as it is (`(sab)`), and resume with the product.
    Kick { core: Noun },
    /// Run `*[subject formula]` virtualized, as `+mink` does (with `scry` handling Nock 12), and resume
    /// with the tone: `[0 product]`, `[1 path]` or `[2 trace]`.
    Mink { subject: Noun, formula: Noun, scry: Noun },
    /// Slam `gate` with `sample`: its product is the jet's (a tail call: the task is done).
    Tail { gate: Noun, sample: Noun },
    /// The jet's product.
    Done(Noun),
    /// The arm crashes, with this mote, after a `%mean` frame with this text if any.
    Crash { mote: Mote, mean: Option<&'static str> },
    /// No answer from the jet: run the arm's Nock (from the start: the calls made so far had no effect).
    Punt,
}

impl Task {
    /// A task that starts `run` on the kicked `core`.
    pub fn new(run: TaskFn, core: Noun) -> Task {
        Task { run, stage: 0, core, n: [Noun::ZERO; TASK_SLOTS], check: false, hook: None }
    }

    /// Sets the first state nouns to `nouns` and the others to 0.
    pub fn load(&mut self, nouns: &[Noun]) {
        self.n = [Noun::ZERO; TASK_SLOTS];
        self.n[..nouns.len()].copy_from_slice(nouns);
    }

    /// Rewrites the nouns held here after a collection moved them.
    pub fn relocate(&mut self, f: &mut dyn FnMut(Noun) -> Noun) {
        self.core = f(self.core);
        for noun in &mut self.n {
            *noun = f(*noun);
        }
        if let Some((subject, formula)) = &mut self.hook {
            *subject = f(*subject);
            *formula = f(*formula);
        }
    }
}

/// A heavy jet's pure computation (hashing a large atom, cueing one, encrypting one, jamming a large
/// noun), handed out of the machine so that it can run on a thread pool while other ships step
/// (DESIGN.md, jet_dispatch). Whoever runs it gives the answer back with
/// [`crate::interp::Machine::give_job`]; the product is the same wherever it runs.
#[derive(Debug, Clone)]
pub enum Job {
    /// `run(&input)`, over bytes copied out of the heap.
    Bytes { run: fn(&[u8]) -> Answer, input: Vec<u8> },
    /// The jam of a noun of the machine's heap, read where it is: the machine waits for the answer and
    /// nothing moves or frees a noun of its heap meanwhile (collections happen only while it runs), so
    /// the heap is only read, from whichever thread runs the job.
    Jam(Noun),
}

impl Job {
    /// Runs the job here; `heap` is the heap of the machine that handed it out.
    pub fn answer(&self, heap: &Heap) -> Answer {
        match self {
            Job::Bytes { run, input } => run(input),
            Job::Jam(noun) => Answer::Atom(heap.jam(*noun)),
        }
    }

    /// What it is, for a person: `a job of 1048576 bytes`, `a jam job`.
    pub fn describe(&self) -> String {
        match self {
            Job::Bytes { input, .. } => format!("a job of {} bytes", input.len()),
            Job::Jam(_) => "a jam job".into(),
        }
    }
}

/// What a job gives back.
pub enum Answer {
    /// An atom: its bytes, least significant first.
    Atom(Vec<u8>),
    /// A noun built in a heap of the job's own (a cued noun, a tuple): copied into the machine's heap when
    /// the answer is given, the job's heap then dropped.
    Noun(Heap, Noun),
    /// The jet's crash, of the class the jet gives when it runs inline (a bad stream to cue: `exit`).
    Crash(Mote),
}

impl Answer {
    /// The product in `heap` (or the crash).
    pub fn product(self, heap: &mut Heap) -> Result<Noun, Mote> {
        match self {
            Answer::Atom(bytes) => Ok(heap.atom_from_bytes(&bytes)),
            Answer::Noun(mut own, root) => Ok(heap.import(&mut own, root)),
            Answer::Crash(mote) => Err(mote),
        }
    }
}

impl std::fmt::Debug for Answer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Answer::Atom(bytes) => write!(f, "Atom({} bytes)", bytes.len()),
            Answer::Noun(heap, _) => write!(f, "Noun({} words)", heap.words_used()),
            Answer::Crash(mote) => write!(f, "Crash({})", mote.name()),
        }
    }
}

/// What a jet made of a kick.
#[derive(Debug, Clone, Copy)]
pub enum JetCall {
    /// The arm's product.
    Product(Noun),
    /// The arm crashes: with this mote, after pushing this `%mean` frame (`[%mean text]`), if any.
    Crash { mote: Mote, mean: Option<Noun> },
    /// No jet (or it punted): run the arm's Nock.
    Nock,
    /// The `+mink` jet: run `*[subject formula]` in a new road with `scry` handling Nock 12; the arm's
    /// product is the tone.
    Mink { subject: Noun, formula: Noun, scry: Noun },
    /// A memoizing wrapper missed: run the arm's Nock and store its product in the memo cache under `key`
    /// (as a `%memo` hint does), if `when` allows.
    Memo { key: Noun, when: MemoWhen },
    /// A jet that calls gates: the machine drives the task.
    Task(Task),
    /// A heavy jet's job, waiting in the hints ([`Hints::take_job`]): the machine pauses until it is
    /// answered.
    Offload,
}

/// The trace frame `[%mean 'text']` a crashing jet pushes.
pub fn mean_frame(heap: &mut Heap, text: &str) -> Noun {
    let tag = heap.atom_from_bytes(b"mean");
    let cord = heap.atom_from_bytes(text.as_bytes());
    heap.cell(tag, cord)
}

/// Which products of a memoized computation are stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MemoWhen {
    Always,
    /// A loobean product: `&` is stored only if `yes`, `|` only if `no` (Vere's `nest-dext` stores an
    /// answer only when it did not rest on assumptions). Anything else is not stored.
    Loobean {
        yes: bool,
        no: bool,
    },
}

impl MemoWhen {
    /// Whether `product` is stored.
    pub fn stores(self, product: Noun) -> bool {
        match self {
            MemoWhen::Always => true,
            MemoWhen::Loobean { yes, no } => match product.as_direct() {
                Some(0) => yes,
                Some(1) => no,
                _ => false,
            },
        }
    }
}

/// The runtime's side of hints and jets. Every method has a do-nothing default.
pub trait Hints {
    /// A Nock 9 is about to run arm `axis` of `core`.
    fn jet(&mut self, heap: &mut Heap, core: Noun, axis: Noun) -> JetCall {
        let _ = (heap, core, axis);
        JetCall::Nock
    }

    /// A task made with `check` set ended, with its product or its crash's class.
    fn task_ended(&mut self, heap: &mut Heap, core: Noun, ended: Result<Noun, Mote>) {
        let _ = (heap, core, ended);
    }

    /// The job of the [`JetCall::Offload`] just returned.
    fn take_job(&mut self) -> Option<Job> {
        None
    }

    /// A `%fast` hint produced `core`, with its evaluated `clue` (`[name parent-axis hooks]`).
    fn register(&mut self, heap: &mut Heap, core: Noun, clue: Noun) {
        let _ = (heap, core, clue);
    }

    /// A `%memo` hint: a cached product for `key = [subject formula]`, if any.
    fn memo_find(&mut self, heap: &mut Heap, key: Noun) -> Option<Noun> {
        let _ = (heap, key);
        None
    }

    /// A `%memo` computation finished.
    fn memo_store(&mut self, heap: &mut Heap, key: Noun, product: Noun) {
        let _ = (heap, key, product);
    }

    /// A collection is moving the young space: rewrite every noun held here through `relocate` (which
    /// also keeps it alive). Whoever holds nouns made during the computation must implement this.
    fn relocate(&mut self, relocate: &mut dyn FnMut(Noun) -> Noun) {
        let _ = relocate;
    }

    /// A mark of what is held now, for [`Hints::relocate_since`].
    fn recent_mark(&self) -> u64 {
        0
    }

    /// A minor collection is moving the nursery: as [`Hints::relocate`], except that what was held
    /// already at `mark` (a [`Hints::recent_mark`] reading taken right after the caller's last
    /// collection) may be left alone: a collection then rewrote it, and nothing it holds can be in the
    /// nursery, which was made after. Holders that keep nouns in the order they got them use this to
    /// skip the old ones.
    fn relocate_since(&mut self, mark: u64, relocate: &mut dyn FnMut(Noun) -> Noun) {
        let _ = mark;
        self.relocate(relocate);
    }

    /// A `%bout` computation took `elapsed` (`clue` is the dynamic hint's `[priority tank]`).
    fn bout(&mut self, heap: &mut Heap, clue: Option<Noun>, elapsed: std::time::Duration) {
        let _ = (heap, clue, elapsed);
    }

    /// Any other dynamic hint (`%slog`, `%bout`, ...), with its evaluated clue.
    fn other(&mut self, heap: &mut Heap, tag: Noun, clue: Noun) {
        let _ = (heap, tag, clue);
    }
}

/// Plain Nock: no jets, no cache, hints ignored.
pub struct NoHints;

impl Hints for NoHints {}
