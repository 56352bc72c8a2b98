//! The debugger's model: a pier read without touching it, the kernel at some event of its log, and the
//! ways to move it: an event forward (computed a tick at a time, as `engine run` computes it: a tick's step
//! budget), back (restored from the nearest checkpoint and recomputed forward), to any event, to the next
//! breakpoint. Checkpoints are the pier's snapshots (newest and backup), the end of the lifecycle, and
//! copies of the state taken every few events while replaying, within a memory budget.

use super::flows::{self, Heard, Sends};
use super::show;
use crate::cache;
use crate::ship::{self, Verbosity};
use components::{Heap, Noun, time};
use engine_io::behn::{self, TimerAction};
use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use store::PierReader;
use store::snapshot;
use systems::serf::{InFlight, Progress, Serf, Work};

/// How a session checkpoints and ticks.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    /// A checkpoint every this many events replayed, and after any event that ends this much computing
    /// since the last checkpoint (so that stepping back over a slow stretch is quick).
    pub checkpoint_every: u64,
    pub checkpoint_after: Duration,
    /// The most bytes of heap all in-memory checkpoints together may hold (the snapshots' and the
    /// lifecycle's are kept whatever their size).
    pub checkpoint_bytes_max: usize,
    /// The Nock steps of one tick, as `engine run --tick-steps`.
    pub tick_steps: u64,
    /// Threads for heavy jets' jobs (as `engine run --threads`): with more than one, each job runs on a
    /// pool thread, as `jet_dispatch` runs it; with one, here.
    pub threads: usize,
    /// How jets run: as `engine run` runs them, not at all, or each call checked against its arm's Nock.
    pub jets: Jets,
}

/// How a session runs jets (`engine debug --jets`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Jets {
    /// As `engine run` does.
    #[default]
    On,
    /// Every arm's Nock run, jetted or not.
    Off,
    /// Each jet's answer compared with its arm's Nock (`--check-jets`).
    Check,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            checkpoint_every: 16,
            checkpoint_after: Duration::from_secs(2),
            checkpoint_bytes_max: 1 << 30,
            tick_steps: 1 << 20,
            threads: 1,
            jets: Jets::On,
        }
    }
}

/// The most characters of one printed noun (an ovum, an effect).
const SHOWN_CHARS_MAX: usize = 600;
/// The most effects of one event printed.
const EFFECTS_SHOWN_MAX: usize = 64;
/// The most slog lines of one event kept.
const SLOGS_KEPT_MAX: usize = 256;
/// The most jets listed for one event (those called most).
const JETS_LISTED_MAX: usize = 24;

/// An event of the log, as read (no computation needed).
#[derive(Debug, Clone)]
pub struct Row {
    pub number: u64,
    /// The mug the log recorded after it (0 for lifecycle events).
    pub logged_mug: u32,
    pub jam_bytes: u32,
    /// One of the boot formulas, computed together as the lifecycle.
    pub lifecycle: bool,
    pub now: Option<u128>,
    /// The datagram it carried, for a `[/a/ames [%hear lane blob]]`.
    pub heard: Option<Heard>,
    /// The wire, as a path.
    pub wire: String,
    /// The vane the wire names (its first item; `arvo` for `//arvo`).
    pub vane: String,
    /// The card's tag.
    pub tag: String,
    /// The ovum, printed.
    pub ovum: String,
}

/// What computing an event gave.
#[derive(Debug, Clone, Default)]
pub struct Computed {
    pub steps: u64,
    pub ticks: u64,
    pub micros: u64,
    /// The kernel's mug after it.
    pub mug: u32,
    /// Whether that is the mug the log recorded (always, for a sound pier).
    pub matches_log: bool,
    /// The effects, each printed.
    pub effects: Vec<String>,
    pub effects_count: usize,
    /// The `%slog` lines it printed.
    pub slogs: Vec<String>,
    /// Its crash, if it did not compute as logged.
    pub goof: Vec<String>,
    /// The jets it called most: label, calls, and the time their drivers took (microseconds).
    pub jets: Vec<(String, u64, u64)>,
    /// Jet calls in all.
    pub jet_calls: u64,
    /// With `--jets check`: the first jet call whose answer was not its arm's, described.
    pub jet_disagreement: Option<String>,
    /// The datagrams its `%send` effects sent.
    pub sends: Sends,
}

/// What one tick did.
#[derive(Debug, Clone)]
pub struct TickReport {
    pub event: u64,
    /// The tick's number within its event, from 1.
    pub tick: u64,
    pub steps: u64,
    pub steps_in_event: u64,
    /// The event ended in this tick (its effects released).
    pub ended: bool,
    /// What each system of the tick did.
    pub systems: Vec<(&'static str, String)>,
}

/// Where `continue` stops.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Breakpoint {
    /// Before an event whose wire contains this.
    Wire(String),
    /// Before an event for this vane.
    Vane(String),
    /// Before an event whose card has this tag.
    Tag(String),
    /// After an event that leaves the kernel with this mug.
    Mug(u32),
}

struct Checkpoint {
    heap: Heap,
    roots: Vec<Noun>,
    bytes: usize,
    /// A snapshot's or the lifecycle's: never dropped for the budget.
    pinned: bool,
}

struct Flight {
    number: u64,
    event: InFlight,
    now: u128,
    ticks: u64,
    steps_start: u64,
    started: Instant,
    /// A heavy jet's answer, given back at the next tick.
    answer: Option<systems::interp::Answer>,
}

/// A pier being debugged.
pub struct Session {
    reader: PierReader,
    rows: Vec<Row>,
    serf: Serf,
    /// The first event that can be computed on its own (after the lifecycle, or an imported base).
    base: u64,
    computed: HashMap<u64, Computed>,
    checkpoints: BTreeMap<u64, Checkpoint>,
    flight: Option<Flight>,
    /// behn's timer after the events computed so far (as `%doze` set it).
    pub timer: Option<u128>,
    slogs: Arc<Mutex<Vec<String>>>,
    pub breakpoints: Vec<Breakpoint>,
    options: Options,
    /// The pool heavy jets' jobs run on (with more than one thread).
    pool: Option<rayon::ThreadPool>,
    /// Time spent computing events since the kernel was last checkpointed or restored.
    computing_since_checkpoint: Duration,
}

impl Session {
    /// Opens the pier at `root` (read-only): its log indexed, its snapshots loaded as checkpoints, and
    /// the kernel at the newest snapshot (or at the end of the lifecycle).
    pub fn open(root: &Path, options: Options) -> Result<Session, String> {
        let reader = PierReader::open(root).map_err(|e| e.to_string())?;
        if let Some(fault) = &reader.tail_fault {
            eprintln!("debug: the log ends early: {fault}");
        }
        let life = reader.meta.life as u64;
        let base = if life > 0 { life } else { reader.first() - 1 };
        let rows = read_rows(&reader, life)?;
        let mut session = Session {
            serf: Serf::new(),
            reader,
            rows,
            base,
            computed: HashMap::new(),
            checkpoints: BTreeMap::new(),
            flight: None,
            timer: None,
            slogs: Arc::new(Mutex::new(Vec::new())),
            breakpoints: Vec::new(),
            options,
            pool: job_pool(options.threads)?,
            computing_since_checkpoint: Duration::ZERO,
        };
        session.load_snapshots();
        let start = match session.checkpoints.keys().next_back() {
            Some(&newest) => newest,
            None => session.compute_base()?,
        };
        session.restore(start)?;
        Ok(session)
    }

    /// The snapshots on disk that load and are within the log, as pinned checkpoints.
    fn load_snapshots(&mut self) {
        let snap = self.reader.layout().snap;
        for (which, loaded) in [("newest", snapshot::load(&snap)), ("backup", snapshot::load_backup(&snap))] {
            match loaded {
                Ok((heap, info)) if info.event <= self.reader.last() && info.event >= self.base => {
                    let bytes = heap.words_used() * 8;
                    let checkpoint = Checkpoint { heap, roots: info.roots, bytes, pinned: true };
                    self.checkpoints.entry(info.event).or_insert(checkpoint);
                }
                Ok((_, info)) => {
                    eprintln!("debug: the {which} snapshot (event {}) is outside the log", info.event)
                }
                Err(snapshot::SnapshotError::Missing(_)) => {}
                Err(e) => eprintln!("debug: the {which} snapshot is unusable: {e}"),
            }
        }
    }

    /// The state before the first event computed on its own: the lifecycle's kernel (from the cache
    /// when it has it) or an imported base; kept as a pinned checkpoint.
    fn compute_base(&mut self) -> Result<u64, String> {
        let life = self.reader.meta.life as u64;
        let mut serf = if life > 0 {
            let mut jams = Vec::with_capacity(life as usize);
            for number in 1..=life {
                jams.push(self.reader.read(number).map_err(|e| e.to_string())?.jam);
            }
            let mut serf = Serf::new();
            ship::lifecycle(&mut serf, &jams, Verbosity::Progress, Some(&cache::dir()))?;
            serf
        } else {
            ship::imported_base(&self.reader.layout(), self.reader.first())?
        };
        self.keep_checkpoint(&mut serf, true);
        Ok(self.base)
    }

    /// Takes `other`'s kernel as this session's, at its event: for a pier whose log is the same as
    /// `other`'s up to there (the state is then the same, events being deterministic).
    pub fn adopt(&mut self, other: &mut Session) -> Result<(), String> {
        let mut serf = std::mem::take(&mut other.serf);
        self.keep_checkpoint(&mut serf, true);
        let event = serf.event;
        other.serf = serf;
        self.restore(event)
    }

    /// The log's events.
    pub fn rows(&self) -> &[Row] {
        &self.rows
    }

    pub fn row(&self, number: u64) -> Option<&Row> {
        let first = self.rows.first()?.number;
        self.rows.get(number.checked_sub(first)? as usize)
    }

    /// What computing an event gave, once it has been computed.
    pub fn computed(&self, number: u64) -> Option<&Computed> {
        self.computed.get(&number)
    }

    /// The event the kernel is at (the last one computed into it).
    pub fn at(&self) -> u64 {
        self.serf.event
    }

    /// The last event of the log.
    pub fn last(&self) -> u64 {
        self.reader.last()
    }

    /// The first event the kernel can be at.
    pub fn base(&self) -> u64 {
        self.base
    }

    /// The kernel's mug now.
    pub fn mug(&mut self) -> u32 {
        self.serf.mug()
    }

    /// The kernel and its heap now.
    pub fn serf(&mut self) -> &mut Serf {
        &mut self.serf
    }

    /// The event being computed a tick at a time, and its steps so far.
    pub fn in_flight(&self) -> Option<(u64, u64)> {
        self.flight.as_ref().map(|f| (f.number, self.serf.runner.steps - f.steps_start))
    }

    /// The events checkpointed (in memory, or the snapshots).
    pub fn checkpoint_events(&self) -> Vec<u64> {
        self.checkpoints.keys().copied().collect()
    }

    /// The pier's ship.
    pub fn who(&self) -> u128 {
        self.reader.meta.who
    }

    /// Brings the kernel to event `target` (clamped to the log): forward from here, or from the nearest
    /// checkpoint at or before it. Gives the time it took.
    pub fn goto(&mut self, target: u64) -> Result<Duration, String> {
        let started = Instant::now();
        let target = target.clamp(self.base, self.last());
        self.flight = None;
        let nearest = self.checkpoints.range(..=target).next_back().map(|(&event, _)| event);
        let from_here = self.serf.event <= target && nearest.is_none_or(|c| c <= self.serf.event);
        if !from_here {
            let from = match nearest {
                Some(from) => from,
                None => self.compute_base()?,
            };
            self.restore(from)?;
        }
        while self.serf.event < target {
            self.step()?;
        }
        Ok(started.elapsed())
    }

    /// One event forward (the one in flight finished, if any); `false` at the end of the log.
    pub fn step(&mut self) -> Result<bool, String> {
        if self.flight.is_none() && !self.begin_next()? {
            return Ok(false);
        }
        while self.flight.is_some() {
            self.tick()?;
        }
        Ok(true)
    }

    /// One event back (restored from a checkpoint and recomputed).
    pub fn back(&mut self) -> Result<Duration, String> {
        let target = self.serf.event.saturating_sub(1);
        self.goto(target)
    }

    /// One tick back: the event in flight (or, with none, the last one computed) recomputed from its
    /// start to one tick short of where it was. Gives the time it took.
    pub fn back_tick(&mut self) -> Result<Duration, String> {
        let started = Instant::now();
        let (event, ticks) = match &self.flight {
            Some(flight) => (flight.number, flight.ticks),
            None => {
                let at = self.serf.event;
                (at, self.computed.get(&at).map_or(1, |c| c.ticks))
            }
        };
        self.goto(event.saturating_sub(1))?;
        for _ in 1..ticks {
            self.tick()?;
        }
        Ok(started.elapsed())
    }

    /// Events forward until a breakpoint: before an event whose wire, vane or tag matches one, or after
    /// one that leaves a mug asked for; or the end of the log. Gives the breakpoint hit, if any.
    pub fn resume(&mut self) -> Result<Option<Breakpoint>, String> {
        let mut moved = false;
        loop {
            let next = self.serf.event + 1;
            if moved && let Some(hit) = self.row(next).and_then(|row| self.before_break(row)) {
                return Ok(Some(hit));
            }
            if !self.step()? {
                return Ok(None);
            }
            moved = true;
            let mug = self.serf.mug();
            if let Some(hit) = self.breakpoints.iter().find(|b| **b == Breakpoint::Mug(mug)) {
                return Ok(Some(hit.clone()));
            }
        }
    }

    fn before_break(&self, row: &Row) -> Option<Breakpoint> {
        self.breakpoints
            .iter()
            .find(|b| match b {
                Breakpoint::Wire(text) => row.wire.contains(text.as_str()),
                Breakpoint::Vane(vane) => row.vane == *vane,
                Breakpoint::Tag(tag) => row.tag == *tag,
                Breakpoint::Mug(_) => false,
            })
            .cloned()
    }

    /// The next event after `after` whose wire contains `text` or whose tag is `text` (`%text`: whose tag
    /// is `text`).
    pub fn search(&self, text: &str, after: u64) -> Option<u64> {
        let (tag_only, text) = match text.strip_prefix('%') {
            Some(tag) => (true, tag),
            None => (false, text),
        };
        let matches = |r: &Row| r.tag == text || (!tag_only && r.wire.contains(text));
        self.rows.iter().find(|r| r.number > after && matches(r)).map(|r| r.number)
    }

    /// The first event stamped at or after `da`.
    pub fn event_at_time(&self, da: u128) -> Option<u64> {
        self.rows.iter().find(|r| r.now.is_some_and(|now| now >= da)).map(|r| r.number)
    }

    /// One tick: the next event begun if none is in flight, then at most a tick's steps of it; when it
    /// ends, its effects are released (behn's timer set by them).
    pub fn tick(&mut self) -> Result<Option<TickReport>, String> {
        let mut systems = Vec::new();
        if self.flight.is_none() {
            if !self.begin_next()? {
                return Ok(None);
            }
            let number = self.serf.event + 1;
            let row = self.row(number).cloned().unwrap_or_else(|| missing_row(number));
            systems
                .push(("io_poll", format!("event {number} taken from the log: {} %{}", row.wire, row.tag)));
        }
        let flight = self.flight.as_mut().expect("an event in flight");
        flight.ticks += 1;
        if let Some(answer) = flight.answer.take() {
            self.serf.give_job(&mut flight.event, answer);
        }
        let before = self.serf.runner.steps;
        let progress = self.serf.advance_pooled(&mut flight.event, self.options.tick_steps);
        let steps = self.serf.runner.steps - before;
        let (number, tick, steps_in_event) =
            (flight.number, flight.ticks, self.serf.runner.steps - flight.steps_start);
        systems.push(("nock_step", format!("event {number}: {steps} steps ({steps_in_event} so far)")));
        let work = match progress {
            Progress::Ended(work) => Some(work),
            Progress::Paused => None,
            Progress::Job(job) => {
                let heap = &self.serf.heap;
                let answer = match &self.pool {
                    Some(pool) => pool.install(|| job.answer(heap)),
                    None => job.answer(heap),
                };
                let place = if self.pool.is_some() { "on the pool" } else { "here" };
                systems.push(("jet_dispatch", format!("a heavy jet's job ({}) ran {place}", job.describe())));
                flight.answer = Some(answer);
                None
            }
        };
        let ended = work.is_some();
        if let Some(work) = work {
            let flight = self.flight.take().expect("an event in flight");
            let computed = self.finish(flight, work)?;
            systems.push(("persist", format!("event {number} committed; mug {:#x}", computed.mug)));
            let timer = self.timer.map_or("none".to_string(), time::render_da);
            systems.push((
                "route_effects",
                format!("{} effects released; behn's timer: {timer}", computed.effects_count),
            ));
        }
        Ok(Some(TickReport { event: number, tick, steps, steps_in_event, ended, systems }))
    }

    /// Begins the next event of the log; `false` at its end.
    fn begin_next(&mut self) -> Result<bool, String> {
        let number = self.serf.event + 1;
        if number > self.last() {
            return Ok(false);
        }
        let event = self.reader.read(number).map_err(|e| e.to_string())?;
        let job = self.serf.heap.cue(&event.jam).map_err(|e| format!("event {number}: does not cue: {e}"))?;
        let (now, ovum) = self.serf.heap.cell_parts(job).ok_or(format!("event {number}: not [now ovum]"))?;
        let now_da = self.serf.heap.atom(now).map_or(0, |a| u128_of(&a.to_bytes()));
        self.slogs.lock().expect("slogs").clear();
        let steps_start = self.serf.runner.steps;
        self.serf.runner.hints.jet_calls = Some(Default::default());
        let event = self.serf.begin(now, ovum);
        self.flight = Some(Flight {
            number,
            event,
            now: now_da,
            ticks: 0,
            steps_start,
            started: Instant::now(),
            answer: None,
        });
        Ok(true)
    }

    /// An event ended: what it gave is kept, behn's timer follows its effects, and a checkpoint is taken
    /// every so often.
    fn finish(&mut self, flight: Flight, work: Work) -> Result<Computed, String> {
        let logged = self.row(flight.number).map_or(0, |r| r.logged_mug);
        let mut computed = Computed {
            steps: self.serf.runner.steps - flight.steps_start,
            ticks: flight.ticks,
            micros: flight.started.elapsed().as_micros() as u64,
            slogs: std::mem::take(&mut *self.slogs.lock().expect("slogs")),
            jet_disagreement: self.serf.runner.hints.disagreement.take(),
            ..Computed::default()
        };
        self.count_jets(&mut computed);
        match work {
            Work::Done { mug, effects, .. } => {
                computed.mug = mug;
                computed.matches_log = logged == 0 || logged == mug;
                self.release(effects, flight.now, &mut computed);
            }
            Work::Swap { mug, effects, goof, .. } => {
                computed.mug = mug;
                computed.goof = goof.lines(&self.serf.heap);
                self.release(effects, flight.now, &mut computed);
            }
            Work::Bail(goofs) => {
                let lines: Vec<String> = goofs.iter().flat_map(|g| g.lines(&self.serf.heap)).collect();
                let text = lines.join("\n");
                computed.goof = lines;
                self.computed.insert(flight.number, computed);
                return Err(format!(
                    "event {} does not compute as logged: it crashed\n{text}",
                    flight.number
                ));
            }
        }
        self.computed.insert(flight.number, computed.clone());
        self.serf.tidy();
        self.computing_since_checkpoint += Duration::from_micros(computed.micros);
        let due = self.serf.event.is_multiple_of(self.options.checkpoint_every.max(1))
            || self.computing_since_checkpoint >= self.options.checkpoint_after;
        if due && !self.checkpoints.contains_key(&self.serf.event) {
            let mut serf = std::mem::take(&mut self.serf);
            self.keep_checkpoint(&mut serf, false);
            self.serf = serf;
        }
        Ok(computed)
    }

    /// The jets the event called, most called first.
    fn count_jets(&mut self, computed: &mut Computed) {
        let hints = &mut self.serf.runner.hints;
        let Some(calls) = hints.jet_calls.take() else { return };
        let mut jets: Vec<(String, u64, u64)> = calls
            .into_iter()
            .map(|(id, (count, nanos))| (hints.dashboard.label(id as usize).to_string(), count, nanos / 1000))
            .collect();
        computed.jet_calls = jets.iter().map(|j| j.1).sum();
        jets.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        jets.truncate(JETS_LISTED_MAX);
        computed.jets = jets;
    }

    /// Prints an event's effects, notes the datagrams they send and sets behn's timer from its `%doze`.
    fn release(&mut self, effects: Noun, now: u128, computed: &mut Computed) {
        released(&self.serf.heap, effects, now, &mut self.timer, computed);
    }

    /// Keeps `serf`'s state (compacted first) as the checkpoint at its event; the budget is kept by
    /// dropping the unpinned checkpoint closest to the one before it.
    fn keep_checkpoint(&mut self, serf: &mut Serf, pinned: bool) {
        serf.compact();
        let Some(roots) = serf.roots() else { return };
        let heap = serf.heap.clone();
        let bytes = heap.words_used() * 8;
        self.checkpoints.insert(serf.event, Checkpoint { heap, roots, bytes, pinned });
        self.computing_since_checkpoint = Duration::ZERO;
        while self.unpinned_bytes() > self.options.checkpoint_bytes_max {
            let events: Vec<u64> = self.checkpoints.keys().copied().collect();
            let crowded = events
                .windows(2)
                .filter(|pair| !self.checkpoints[&pair[1]].pinned)
                .min_by_key(|pair| pair[1] - pair[0])
                .map(|pair| pair[1]);
            match crowded {
                Some(event) => self.checkpoints.remove(&event),
                None => break,
            };
        }
    }

    fn unpinned_bytes(&self) -> usize {
        self.checkpoints.values().filter(|c| !c.pinned).map(|c| c.bytes).sum()
    }

    /// The kernel from the checkpoint at `event`.
    fn restore(&mut self, event: u64) -> Result<(), String> {
        let checkpoint = self.checkpoints.get(&event).ok_or(format!("no checkpoint at event {event}"))?;
        let serf = Serf::restore(checkpoint.heap.clone(), &checkpoint.roots, event)
            .ok_or(format!("the checkpoint at event {event} does not restore"))?;
        self.serf = serf;
        self.serf.runner.hints.jets_off = self.options.jets == Jets::Off;
        self.serf.runner.hints.check_jets = self.options.jets == Jets::Check;
        self.computing_since_checkpoint = Duration::ZERO;
        let slogs = Arc::clone(&self.slogs);
        self.serf.runner.hints.log = Some(Arc::new(move |line: &str| {
            let mut kept = slogs.lock().expect("slogs");
            if kept.len() < SLOGS_KEPT_MAX {
                kept.push(line.to_string());
            }
        }));
        self.flight = None;
        Ok(())
    }
}

/// An event's effects released: each printed (the first few) and counted, its `%send`s noted, behn's
/// `timer` set by its `%doze`.
pub(super) fn released(
    heap: &Heap,
    effects: Noun,
    now: u128,
    timer: &mut Option<u128>,
    computed: &mut Computed,
) {
    let mut list = effects;
    while let Some((effect, rest)) = heap.cell_parts(list) {
        list = rest;
        computed.effects_count += 1;
        if computed.effects.len() < EFFECTS_SHOWN_MAX {
            computed.effects.push(show::show(heap, effect, SHOWN_CHARS_MAX));
        }
        let Some((wire, card)) = heap.cell_parts(effect) else { continue };
        computed.sends.note(heap, wire, card);
        if behn::claims(heap, wire) {
            match behn::on_card(heap, card, now) {
                Ok(TimerAction::Arm(delay)) => *timer = Some(time::after(now, delay)),
                Ok(TimerAction::Disarm) => *timer = None,
                Err(_) => {}
            }
        }
    }
}

/// A pool of `threads` threads for heavy jets' jobs; none for one thread.
fn job_pool(threads: usize) -> Result<Option<rayon::ThreadPool>, String> {
    if threads <= 1 {
        return Ok(None);
    }
    let pool =
        rayon::ThreadPoolBuilder::new().num_threads(threads).thread_name(|i| format!("jets-{i}")).build();
    pool.map(Some).map_err(|e| format!("debug: cannot start {threads} threads: {e}"))
}

/// Reads every event's header and, after the lifecycle, its ovum: time, wire, vane, tag.
fn read_rows(reader: &PierReader, life: u64) -> Result<Vec<Row>, String> {
    let mut rows = Vec::with_capacity(reader.records().len());
    for record in reader.records() {
        let mut row = missing_row(record.number);
        row.logged_mug = record.mug;
        row.jam_bytes = record.jam_bytes;
        if record.number <= life {
            row.lifecycle = true;
            row.tag = "lifecycle".into();
        } else {
            let event = reader.read(record.number).map_err(|e| e.to_string())?;
            describe_ovum(&event.jam, &mut row);
        }
        rows.push(row);
    }
    Ok(rows)
}

/// A row with nothing known of its event but its number.
pub(super) fn missing_row(number: u64) -> Row {
    Row {
        number,
        logged_mug: 0,
        jam_bytes: 0,
        lifecycle: false,
        now: None,
        heard: None,
        wire: String::new(),
        vane: String::new(),
        tag: String::new(),
        ovum: String::new(),
    }
}

/// An event's time, wire, vane, tag and printed ovum, from its jam `[now [wire card]]`.
fn describe_ovum(jam: &[u8], row: &mut Row) {
    let mut heap = Heap::new();
    let Ok(job) = heap.cue(jam) else {
        row.tag = "(does not cue)".into();
        return;
    };
    let Some((now, ovum)) = heap.cell_parts(job) else { return };
    row.now = heap.atom(now).map(|a| u128_of(&a.to_bytes()));
    row.ovum = show::show(&heap, ovum, SHOWN_CHARS_MAX);
    let Some((wire, card)) = heap.cell_parts(ovum) else { return };
    row.heard = flows::heard(&heap, wire, card);
    row.wire = show::path(&heap, wire).unwrap_or_else(|| show::show(&heap, wire, 80));
    let items: Vec<&str> = row.wire.split('/').skip(1).collect();
    row.vane = match items.as_slice() {
        ["", second, ..] => (*second).to_string(),
        [first, ..] => (*first).to_string(),
        [] => String::new(),
    };
    let tag = heap.head(card).unwrap_or(card);
    row.tag = heap.atom(tag).map(|a| String::from_utf8_lossy(&a.to_bytes()).into_owned()).unwrap_or_default();
}

/// A little-endian atom's value, if it fits in 128 bits (0 if not).
fn u128_of(bytes: &[u8]) -> u128 {
    if bytes.len() > 16 {
        return 0;
    }
    let mut wide = [0u8; 16];
    wide[..bytes.len()].copy_from_slice(bytes);
    u128::from_le_bytes(wide)
}
