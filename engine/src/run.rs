//! `engine run PIER`: resume a ship and serve it, headless: the terminal in line mode (stdin lines in,
//! `%blit` text out) and behn's timer.
//!
//! The order of things is Vere's (spec/pier.md §2 and §9): an event is computed, handed to the group-commit
//! writer, and its effects are released only once the log says it is durable. A failed event goes
//! through `%crud`; if that fails too it is dropped and reported. Snapshots are taken when the ship is idle
//! and everything it computed is committed: every `--snapshot-every` seconds and at exit.
//!
//! Stopping: SIGTERM (or `%logo` from the ship, or the end of stdin with `--exit-on-eof`) finishes the
//! event in hand, waits for the log, snapshots and exits. SIGINT interrupts the event being computed
//! (which then fails as `%intr` and goes through `%crud`) and types ctrl-c to the ship.
//!
//! This loop is the single-ship precursor of the ECS tick loop of DESIGN.md.

use crate::ship::{self, Verbosity};
use crate::term::{self, Kick, LineOutput};
use components::{Heap, Noun, time};
use std::collections::VecDeque;
use std::io::{BufRead, Read};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};
use store::{CommitConfig, Committer, Event, Layout};
use systems::serf::{Serf, Work};

/// Lines waiting between the stdin reader and the ship.
const INPUT_LINES_MAX: usize = 64;
/// How long the loop sleeps waiting for input before looking at timers and signals again.
const POLL: Duration = Duration::from_millis(50);

/// How `engine run` behaves.
#[derive(Debug, Clone, Copy)]
pub struct RunOptions {
    /// Stop once stdin ends and every event is committed.
    pub exit_on_eof: bool,
    /// Seconds between snapshots while running.
    pub snapshot_every: Duration,
}

/// The most bytes of one `--inject` file.
const INJECT_BYTES_MAX: u64 = 1 << 30;

/// The ovum in an `--inject` file: the jam of `[wire card]` (Vere's `-I`).
fn read_inject(heap: &mut Heap, file: &Path) -> Result<Noun, String> {
    let size = std::fs::metadata(file).map_err(|e| format!("cannot read {}: {e}", file.display()))?.len();
    if size > INJECT_BYTES_MAX {
        return Err(format!("{}: {size} bytes is too large to inject", file.display()));
    }
    let bytes = std::fs::read(file).map_err(|e| format!("cannot read {}: {e}", file.display()))?;
    let ovum = heap.cue(&bytes).map_err(|e| format!("{}: not a jam file: {e}", file.display()))?;
    match heap.cell_parts(ovum) {
        Some((wire, _)) if heap.cell_parts(wire).is_some() || wire.as_direct() == Some(0) => Ok(ovum),
        _ => Err(format!("{}: not an ovum: expected the jam of [wire card]", file.display())),
    }
}

enum Input {
    Line(String),
    Eof,
}

/// Reads stdin lines (each at most [`term::LINE_CHARS_MAX`] bytes kept) into a bounded channel.
fn spawn_stdin_reader() -> Receiver<Input> {
    let (send, receive) = mpsc::sync_channel(INPUT_LINES_MAX);
    std::thread::Builder::new()
        .name("stdin".into())
        .spawn(move || {
            let stdin = std::io::stdin();
            let mut reader = stdin.lock();
            loop {
                let mut bytes = Vec::new();
                let limit = term::LINE_CHARS_MAX as u64;
                match (&mut reader).take(limit).read_until(b'\n', &mut bytes) {
                    Ok(0) | Err(_) => {
                        let _ = send.send(Input::Eof);
                        return;
                    }
                    Ok(_) => {}
                }
                if bytes.last() != Some(&b'\n') && bytes.len() as u64 == limit {
                    // Too long: drop the rest of the line.
                    let mut rest = Vec::new();
                    let _ = reader.read_until(b'\n', &mut rest);
                }
                while matches!(bytes.last(), Some(b'\n' | b'\r')) {
                    bytes.pop();
                }
                if send.send(Input::Line(String::from_utf8_lossy(&bytes).into_owned())).is_err() {
                    return;
                }
            }
        })
        .expect("spawn the stdin reader");
    receive
}

/// The ship between ticks: what is queued, what waits for the log, the timer.
struct Running {
    serf: Serf,
    committer: Committer,
    /// Ova waiting to be computed, oldest first.
    queue: VecDeque<Noun>,
    /// Effects of computed events, waiting for their event to be committed.
    pending: VecDeque<(u64, Noun)>,
    output: LineOutput,
    /// behn's timer: when to inject `%wake`.
    wake_at: Option<Instant>,
    /// The time stamped on the last event (each new one is later).
    last_now: u128,
    stop: bool,
}

impl Running {
    /// Computes the next queued ovum, if any.
    fn step(&mut self) -> Result<bool, String> {
        let Some(ovum) = self.queue.pop_front() else { return Ok(false) };
        let now = time::now().max(self.last_now + time::TICK);
        self.last_now = now;
        let now_noun = ship::atom_u128(&mut self.serf.heap, now);
        match self.serf.work(now_noun, ovum) {
            Work::Done { job, mug, effects } => self.commit(job, mug, effects)?,
            Work::Swap { job, mug, effects, goof } => {
                for line in goof.lines(&self.serf.heap) {
                    eprintln!("{line}");
                }
                self.commit(job, mug, effects)?;
            }
            Work::Bail(goofs) => {
                for goof in &goofs {
                    for line in goof.lines(&self.serf.heap) {
                        eprintln!("{line}");
                    }
                }
                eprintln!("{}", describe_failed(&self.serf.heap, ovum));
            }
        }
        Ok(true)
    }

    fn commit(&mut self, job: Noun, mug: u32, effects: Noun) -> Result<(), String> {
        let number = self.serf.event;
        let jam = self.serf.heap.jam(job);
        self.committer.submit(Event { number, mug, jam }).map_err(|e| format!("event log: {e}"))?;
        self.pending.push_back((number, effects));
        Ok(())
    }

    /// Releases the effects of every committed event, in order.
    fn release(&mut self) -> Result<(), String> {
        if let Some(failure) = self.committer.failure() {
            return Err(format!("event log: {failure}"));
        }
        let committed = self.committer.committed();
        let stdout = std::io::stdout();
        let mut out = stdout.lock();
        while let Some(&(number, effects)) = self.pending.front() {
            if number > committed {
                break;
            }
            self.pending.pop_front();
            let mut list = effects;
            while let Some((effect, rest)) = self.serf.heap.cell_parts(list) {
                self.route(effect, &mut out);
                list = rest;
            }
        }
        Ok(())
    }

    fn route(&mut self, effect: Noun, out: &mut impl std::io::Write) {
        let heap = &self.serf.heap;
        if let Some((wire, card)) = heap.cell_parts(effect) {
            let wire = if heap.head(wire).and_then(|h| h.as_direct()) == Some(0) {
                heap.tail(wire).unwrap_or(Noun::ZERO)
            } else {
                wire
            };
            if engine_io::behn::claims(heap, wire) {
                match engine_io::behn::on_card(heap, card, time::now()) {
                    Ok(engine_io::behn::TimerAction::Arm(delay)) => {
                        self.wake_at = Some(Instant::now() + delay)
                    }
                    Ok(engine_io::behn::TimerAction::Disarm) => self.wake_at = None,
                    Err(bad) => eprintln!("behn: {}", bad.0),
                }
                return;
            }
        }
        if self.output.kick(heap, effect, out) == Kick::Exit {
            self.stop = true;
        }
    }

    /// Waits until everything computed is committed, and releases it.
    fn settle(&mut self) -> Result<(), String> {
        self.committer.wait_committed(self.serf.event).map_err(|e| format!("event log: {e}"))?;
        self.release()
    }
}

/// `DRIVER: %TAG event on /WIRE failed`, as Vere reports a dropped event.
fn describe_failed(heap: &Heap, ovum: Noun) -> String {
    let text = |n: Noun| {
        heap.atom(n).map(|a| String::from_utf8_lossy(&a.to_bytes()).into_owned()).unwrap_or_default()
    };
    let (wire, card) = heap.cell_parts(ovum).unwrap_or((Noun::ZERO, Noun::ZERO));
    let mut path = String::new();
    let mut at = wire;
    while let Some((item, rest)) = heap.cell_parts(at) {
        path.push('/');
        path.push_str(&text(item));
        at = rest;
    }
    let tag = heap.head(card).map(text).unwrap_or_default();
    let driver = heap.tail(wire).and_then(|t| heap.head(t)).map(text).unwrap_or_default();
    format!("{driver}: %{tag} event on {path} failed")
}

/// Runs the pier at `root` until it is told to stop.
pub fn run(root: &Path, options: RunOptions, inject: &[std::path::PathBuf]) -> Result<(), String> {
    let (pier, mut serf, start) = ship::open(root, Verbosity::Progress)?;
    let mut injected = Vec::new();
    for file in inject {
        injected.push(read_inject(&mut serf.heap, file)?);
    }
    let replayed = match start {
        ship::Start::Snapshot(at) => serf.event > at,
        ship::Start::Log(_) => true,
    };
    let (guard, log) = pier.into_parts();
    let layout = Layout::of(&guard.root);
    if replayed {
        serf.compact();
        ship::write_snapshot(&layout, &mut serf)?;
    }
    let mug = serf.mug();
    eprintln!("run: {} at event {}, kernel mug {mug:#x}", root.display(), serf.event);

    let terminate = Arc::new(AtomicBool::new(false));
    let ctrl_c = Arc::new(AtomicBool::new(false));
    let watch = |signal, flag: &Arc<AtomicBool>| {
        signal_hook::flag::register(signal, Arc::clone(flag))
            .map_err(|e| format!("cannot watch for signals: {e}"))
    };
    watch(signal_hook::consts::SIGTERM, &terminate)?;
    watch(signal_hook::consts::SIGHUP, &terminate)?;
    watch(signal_hook::consts::SIGINT, &ctrl_c)?;
    watch(signal_hook::consts::SIGINT, &serf.runner.interrupt)?;

    let started = time::now();
    let mut queue = VecDeque::new();
    queue.extend(ship::start_ova(&mut serf.heap, started, 80, 24)?);
    let started_noun = ship::atom_u128(&mut serf.heap, started);
    let sev = serf.heap.mug(started_noun) as u64;
    queue.push_back(engine_io::behn::born(&mut serf.heap, sev));
    queue.extend(injected);
    let committer = Committer::spawn(log, CommitConfig::default());
    let mut running = Running {
        serf,
        committer,
        queue,
        pending: VecDeque::new(),
        output: LineOutput::default(),
        wake_at: None,
        last_now: 0,
        stop: false,
    };
    let input = spawn_stdin_reader();
    let mut input_open = true;
    let mut last_snapshot = Instant::now();
    let result = (|| -> Result<(), String> {
        while !running.stop && !terminate.load(Ordering::Relaxed) {
            if ctrl_c.swap(false, Ordering::Relaxed) {
                running.serf.runner.interrupt.store(false, Ordering::Relaxed);
                eprintln!("interrupt");
                let ovum = term::ctrl_c_ovum(&mut running.serf.heap);
                running.queue.push_back(ovum);
            }
            if running.wake_at.is_some_and(|at| at <= Instant::now()) {
                running.wake_at = Some(Instant::now() + engine_io::behn::BACKSTOP);
                let ovum = engine_io::behn::wake(&mut running.serf.heap);
                running.queue.push_back(ovum);
            }
            if running.step()? {
                running.release()?;
                continue;
            }
            // Idle: everything computed goes out once durable.
            running.settle()?;
            if last_snapshot.elapsed() >= options.snapshot_every {
                running.serf.tidy();
                ship::write_snapshot(&layout, &mut running.serf)?;
                last_snapshot = Instant::now();
            }
            if !input_open {
                if options.exit_on_eof {
                    break;
                }
                std::thread::sleep(POLL);
                continue;
            }
            match input.recv_timeout(POLL) {
                Ok(Input::Line(line)) => {
                    let ova = term::line_ova(&mut running.serf.heap, &line);
                    running.queue.extend(ova);
                }
                Ok(Input::Eof) | Err(RecvTimeoutError::Disconnected) => input_open = false,
                Err(RecvTimeoutError::Timeout) => {}
            }
        }
        running.settle()
    })();
    let Running { mut serf, committer, .. } = running;
    let log = committer.finish();
    result?;
    log.map_err(|e| format!("event log: {e}"))?;
    serf.tidy();
    ship::write_snapshot(&layout, &mut serf)?;
    let mug = serf.mug();
    eprintln!("run: stopped at event {}, kernel mug {mug:#x}", serf.event);
    drop(guard);
    Ok(())
}
