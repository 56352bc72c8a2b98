//! `engine run PIER`: resume a ship and serve it: the terminal (raw mode on a TTY, else line mode: stdin
//! lines in, `%blit` text out), behn's timer, and conn's control socket.
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
//! The app is a bevy_ecs [`World`]: each ship is an entity whose components are its kernel, its inbox of
//! ova, the event in flight, what waits for the log, its timer, its terminal and its control socket; one
//! [`Schedule`] runs the systems of DESIGN.md each tick, in order: `io_poll` (signals, stdin, timers, and
//! the reactor's completions for the sockets → inboxes; it is also where an idle app waits), `term_resize`,
//! `nock_step` (at most `--tick-steps` Nock steps per ship per tick, so a long event never freezes I/O: it
//! is resumed next tick; jets run inline, except heavy ones, whose jobs it queues), `jet_dispatch` (the
//! queued jobs of every ship, in parallel on rayon's pool; their answers go back into the events next
//! tick), `persist` (release the effects of committed events), `route_effects` (to behn, conn and the
//! terminal), `conn_serve` (scries and dojo lines, between events) and `snapshot`. Nothing assumes one
//! ship, though `engine run` makes one (the keyboard goes to the first).

use crate::conn::{Conn, Io};
use crate::ship::{self, Verbosity};
use bevy_ecs::prelude::*;
use bevy_ecs::schedule::{LogLevel, ScheduleBuildSettings, SingleThreadedExecutor};
use components::app::Capture;
use components::app::Origin;
use components::{Heap, Noun, time};
use engine_io::conn::{ConnAction, ConnServer, EventEnd};
use engine_io::term::{self, AnsiOutput, Blit, Key, KeyDecoder, TermEffect};
use engine_io::tty::{Input, spawn_raw_reader, spawn_stdin_reader};
use std::collections::VecDeque;
use std::io::Write;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use store::{CommitConfig, Committer, Event, Layout};
use systems::interp::Job;
use systems::serf::{InFlight, Progress, Serf, Work};

/// How long the loop sleeps waiting for input before looking at timers and signals again.
const POLL: Duration = Duration::from_millis(50);

/// How `engine run` behaves.
#[derive(Debug, Clone, Copy)]
pub struct RunOptions {
    /// Stop once stdin ends and every event is committed.
    pub exit_on_eof: bool,
    /// Start Arvo verbose (`%verb [~ %.n]`).
    pub verbose: bool,
    /// Seconds between snapshots while running.
    pub snapshot_every: Duration,
    /// The most Nock steps one ship computes per tick.
    pub tick_steps: u64,
    /// Serve the control socket (`<pier>/.urb/conn.sock`).
    pub conn: bool,
    /// Use the terminal in raw mode when stdin and stdout are terminals (`-t` turns it off).
    pub tty: bool,
}

/// The default of `--tick-steps`: a few tens of milliseconds of Nock.
pub const TICK_STEPS: u64 = 1_000_000;
/// The most ova waiting in one ship's inbox; more are dropped, with a message.
const INBOX_MAX: usize = 4096;

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

// ---------------------------------------------------------------------------------------------------------
// Components: one ship's state, split by what each system touches.

/// The ship's pier directory (for snapshots) and its name in messages.
#[derive(Component)]
struct Pier {
    layout: Layout,
    who: u128,
}

/// The kernel and its heap.
#[derive(Component)]
struct Kernel(Serf);

/// Ova waiting to be computed, oldest first, each as jam bytes (they are kept outside the serf's heap,
/// which must not be allocated in while an event is in flight) with where it came from.
#[derive(Component, Default)]
struct Inbox(VecDeque<(Vec<u8>, Origin)>);

impl Inbox {
    /// Queues an ovum built in `scratch`.
    fn push(&mut self, scratch: &Heap, ovum: Noun) {
        self.push_jam(scratch.jam(ovum), Origin::Ship);
    }

    /// Queues a jammed ovum; if the inbox is full it is dropped, and given back.
    fn push_jam(&mut self, jam: Vec<u8>, origin: Origin) -> Option<Origin> {
        if self.0.len() >= INBOX_MAX {
            eprintln!("run: inbox full ({INBOX_MAX} ova): dropping one");
            return Some(origin);
        }
        self.0.push_back((jam, origin));
        None
    }
}

/// The event being computed, if any, and the time stamped on the last one.
#[derive(Component, Default)]
struct Computing {
    event: Option<(InFlight, Noun, Origin)>,
    last_now: u128,
}

/// A heavy jet's job the ship's event waits on (DESIGN.md, jet_dispatch): queued by `nock_step`, run by
/// `jet_dispatch` on the thread pool, answered back into the event by the next `nock_step`.
#[derive(Component, Default)]
struct JetJob {
    queued: Option<Job>,
    answer: Option<Vec<u8>>,
}

/// The group-commit writer, and the effects of computed events waiting for their event to be durable.
#[derive(Component)]
struct Persist {
    committer: Option<Committer>,
    pending: VecDeque<(u64, Noun, Origin)>,
}

/// Effects of committed events, waiting to be routed, in order, each list with its event's origin.
#[derive(Component, Default)]
struct Outbox(VecDeque<(Noun, Origin)>);

/// behn's one timer: when to inject `%wake`.
#[derive(Component, Default)]
struct Behn {
    wake_at: Option<Instant>,
}

/// Whether anything of the ship's is in flight or waiting: an event, ova, or effects to release.
fn busy(computing: &Computing, inbox: &Inbox, persist: &Persist, outbox: &Outbox) -> bool {
    computing.event.is_some() || !inbox.0.is_empty() || !persist.pending.is_empty() || !outbox.0.is_empty()
}

/// The terminal: line mode, or raw mode drawn with ANSI escapes; what conn's `%dojo` is capturing; where
/// `%sav` files go.
#[derive(Component)]
struct Terminal {
    /// Raw mode: shared with the log sink, which prints the runtime's log lines above the prompt.
    ansi: Option<Arc<Mutex<AnsiOutput>>>,
    capture: Option<Capture>,
    pier: std::path::PathBuf,
}

impl Terminal {
    fn draw(&mut self, blits: &[Blit], out: &mut impl Write) {
        if let Some(capture) = self.capture.as_mut() {
            term::capture(capture, blits);
        }
        for blit in blits {
            if let Blit::Save { path, bytes } = blit {
                term::save(&self.pier, path, bytes);
            }
        }
        match &self.ansi {
            Some(ansi) => {
                let mut ansi = ansi.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
                let _ = out.write_all(&ansi.render(blits));
                ansi.mirror(blits);
                let _ = out.flush();
            }
            None => term::render_lines(blits, out),
        }
    }
}

/// When the ship's last snapshot was written.
#[derive(Component)]
struct Snapshots {
    last: Instant,
}

// ---------------------------------------------------------------------------------------------------------
// Resources: the process's.

/// Signals, stdin, and whether to stop.
#[derive(Resource)]
struct Control {
    terminate: Arc<AtomicBool>,
    ctrl_c: Arc<AtomicBool>,
    input: Mutex<Receiver<Input>>,
    /// Raw mode: the keyboard's bytes decoded.
    keys: KeyDecoder,
    /// SIGWINCH: the window changed size.
    resized: Arc<AtomicBool>,
    input_open: bool,
    options: RunOptions,
    stop: bool,
    /// The first error that stops the app (a failing log, a snapshot that cannot be written).
    failure: Option<String>,
}

impl Control {
    fn fail(&mut self, error: String) {
        self.failure.get_or_insert(error);
        self.stop = true;
    }
}

// ---------------------------------------------------------------------------------------------------------
// Systems.

/// Signals, stdin lines, due timers and conn's requests become ova in the inboxes (or are answered at
/// once). When no ship has work, it waits in the reactor (at most [`POLL`], less if a timer is due sooner)
/// for the sockets.
#[allow(clippy::type_complexity)]
fn io_poll(
    mut control: ResMut<Control>,
    mut io: ResMut<Io>,
    mut ships: Query<(
        Entity,
        &Pier,
        &Kernel,
        &mut Inbox,
        &Computing,
        &Persist,
        &Outbox,
        &mut Behn,
        Option<&mut Conn>,
    )>,
) {
    let mut scratch = Heap::new();
    if control.terminate.load(Ordering::Relaxed) {
        control.stop = true;
        return;
    }
    let ctrl_c = control.ctrl_c.swap(false, Ordering::Relaxed);
    if ctrl_c {
        eprintln!("interrupt");
    }
    let now = Instant::now();
    let mut any_busy = false;
    let mut next_wake: Option<Instant> = None;
    for (_, _, kernel, mut inbox, computing, persist, outbox, mut behn, _) in &mut ships {
        if ctrl_c {
            if computing.event.is_none() {
                // Nothing to interrupt: the flag must not stop the next event.
                kernel.0.runner.interrupt.store(false, Ordering::Relaxed);
            }
            let ovum = term::ctrl_c_ovum(&mut scratch);
            inbox.push(&scratch, ovum);
        }
        if behn.wake_at.is_some_and(|at| at <= now) {
            behn.wake_at = Some(now + engine_io::behn::BACKSTOP);
            let ovum = engine_io::behn::wake(&mut scratch);
            inbox.push(&scratch, ovum);
        }
        any_busy |= busy(computing, &inbox, persist, outbox);
        if let Some(at) = behn.wake_at {
            next_wake = Some(next_wake.map_or(at, |w: Instant| w.min(at)));
        }
    }
    if !control.input_open && !any_busy && control.options.exit_on_eof {
        control.stop = true;
        return;
    }
    let wait = if any_busy {
        Duration::ZERO
    } else {
        next_wake.map_or(POLL, |at| at.saturating_duration_since(now).min(POLL))
    };
    for (ship, completion) in io.0.poll(wait) {
        let Ok((me, pier, _, mut inbox, _, _, _, _, Some(mut conn))) = ships.get_mut(ship) else { continue };
        let facts = engine_io::conn::PeelFacts {
            live: true,
            khan: conn.khan,
            who: pier.who,
            version: concat!("engine ", env!("CARGO_PKG_VERSION")),
        };
        for action in conn.on_completion(&mut io.0, me, completion, facts) {
            match action {
                ConnAction::Inject(jam, origin) => {
                    if let Some(origin) = inbox.push_jam(jam, origin) {
                        let mut heap = Heap::new();
                        conn.on_event_end(&mut io.0, me, &mut heap, &origin, &EventEnd::Dropped);
                    }
                }
            }
        }
    }
    if !control.input_open {
        return;
    }
    let received = control.input.lock().expect("the stdin receiver").try_recv();
    match received {
        Ok(Input::Line(line)) => {
            for (_, _, _, mut inbox, _, _, _, _, _) in &mut ships {
                for ovum in term::line_ova(&mut scratch, &line) {
                    inbox.push(&scratch, ovum);
                }
            }
        }
        Ok(Input::Bytes(bytes)) => {
            // Raw mode: the terminal is the first ship's.
            let keys = control.keys.feed(&bytes);
            if let Some((_, _, _, mut inbox, _, _, _, _, _)) = ships.iter_mut().next() {
                for key in keys {
                    match key {
                        Key::Belt(belt) => {
                            let ovum = belt.ovum(&mut scratch);
                            inbox.push(&scratch, ovum);
                        }
                        Key::Bell => {
                            let mut out = std::io::stdout();
                            let _ = out.write_all(&[0x07]);
                            let _ = out.flush();
                        }
                    }
                }
            }
        }
        Ok(Input::Eof) | Err(mpsc::TryRecvError::Disconnected) => control.input_open = false,
        Err(mpsc::TryRecvError::Empty) => {}
    }
}

/// Computes each ship's events for at most `tick_steps` Nock steps: an event that does not end within the
/// budget is resumed next tick. A computed event goes to the log writer, its effects to `pending`.
#[allow(clippy::type_complexity)]
fn nock_step(
    mut control: ResMut<Control>,
    mut io: ResMut<Io>,
    mut ships: Query<(
        Entity,
        &mut Kernel,
        &mut Inbox,
        &mut Computing,
        &mut Persist,
        &mut JetJob,
        Option<&mut Conn>,
    )>,
) {
    let tick_steps = control.options.tick_steps.max(1);
    for (me, mut kernel, mut inbox, mut computing, mut persist, mut jet_job, mut conn) in &mut ships {
        let serf = &mut kernel.0;
        if jet_job.queued.is_some() {
            continue;
        }
        if let Some(answer) = jet_job.answer.take()
            && let Some((event, _, _)) = computing.event.as_mut()
        {
            serf.give_job(event, &answer);
        }
        let mut left = tick_steps;
        while left > 0 {
            if computing.event.is_none() {
                let Some((bytes, origin)) = inbox.0.pop_front() else { break };
                let ovum = match serf.heap.cue(&bytes) {
                    Ok(ovum) => ovum,
                    Err(e) => {
                        eprintln!("run: dropping an ovum that does not cue: {e}");
                        continue;
                    }
                };
                let now = time::now().max(computing.last_now + time::TICK);
                computing.last_now = now;
                let now_noun = ship::atom_u128(&mut serf.heap, now);
                computing.event = Some((serf.begin(now_noun, ovum), ovum, origin));
            }
            let (event, ovum, _) = computing.event.as_mut().expect("an event in flight");
            let before = serf.runner.steps;
            let progress = serf.advance_pooled(event, left);
            left = left.saturating_sub((serf.runner.steps - before).max(1));
            let work = match progress {
                Progress::Ended(work) => work,
                Progress::Paused => break,
                Progress::Job(job) => {
                    jet_job.queued = Some(job);
                    break;
                }
            };
            let ovum = *ovum;
            let (_, _, origin) = computing.event.take().expect("an event in flight");
            match complete(serf, &mut persist, work, ovum, origin) {
                Ok(None) => {}
                Ok(Some((origin, goofs))) => {
                    if let Some(conn) = conn.as_deref_mut() {
                        conn.on_event_end(&mut io.0, me, &mut serf.heap, &origin, &EventEnd::Failed(goofs));
                    }
                }
                Err(e) => {
                    control.fail(e);
                    return;
                }
            }
        }
    }
}

/// Runs the heavy jets' jobs the ships' events wait on, in parallel on the thread pool; each answer goes
/// back into its event at the next `nock_step`. A job is a pure function of its input, so where and in
/// what order the jobs run changes nothing in any ship's state.
fn jet_dispatch(mut ships: Query<&mut JetJob>) {
    use rayon::prelude::*;
    let mut waiting: Vec<Mut<JetJob>> = ships.iter_mut().filter(|j| j.queued.is_some()).collect();
    waiting.par_iter_mut().for_each(|jet_job| {
        if let Some(job) = jet_job.queued.take() {
            jet_job.answer = Some(job.answer());
        }
    });
}

/// What follows an event's end: its trace printed if it failed, the event (or its `%crud`) handed to the
/// log writer with its effects held until it is durable, or if it was dropped, a message. A failed event
/// gives back its origin and the goofs (a list) for whoever asked for it.
fn complete(
    serf: &mut Serf,
    persist: &mut Persist,
    work: Work,
    ovum: Noun,
    origin: Origin,
) -> Result<Option<(Origin, Noun)>, String> {
    // An interrupt that came too late for this event must not stop the next.
    serf.runner.interrupt.store(false, Ordering::Relaxed);
    let (committed, failed) = match work {
        Work::Done { job, mug, effects } => (Some((job, mug, effects)), None),
        Work::Swap { job, mug, effects, goof } => {
            for line in goof.lines(&serf.heap) {
                eprintln!("{line}");
            }
            let goof = goof.noun(&mut serf.heap);
            (Some((job, mug, effects)), Some(serf.heap.list(&[goof])))
        }
        Work::Bail(goofs) => {
            for goof in &goofs {
                for line in goof.lines(&serf.heap) {
                    eprintln!("{line}");
                }
            }
            eprintln!("{}", describe_failed(&serf.heap, ovum));
            let nouns: Vec<Noun> = goofs.iter().map(|g| g.noun(&mut serf.heap)).collect();
            (None, Some(serf.heap.list(&nouns)))
        }
    };
    let mut answer = Some(origin);
    if let Some((job, mug, effects)) = committed {
        let number = serf.event;
        let jam = serf.heap.jam(job);
        let committer = persist.committer.as_ref().ok_or("the ship's log writer has stopped")?;
        committer.submit(Event { number, mug, jam }).map_err(|e| format!("event log: {e}"))?;
        // A failed event's origin is answered now; the effects of its `%crud` still go out.
        let origin = if failed.is_some() { Origin::Ship } else { answer.take().expect("the origin") };
        persist.pending.push_back((number, effects, origin));
    }
    Ok(failed.and_then(|goofs| answer.map(|origin| (origin, goofs))))
}

/// Moves the effects of every committed event to the outbox, in order.
fn persist(mut control: ResMut<Control>, mut ships: Query<(&mut Persist, &mut Outbox)>) {
    for (mut persist, mut outbox) in &mut ships {
        let Some(committer) = persist.committer.as_ref() else { continue };
        if let Some(failure) = committer.failure() {
            control.fail(format!("event log: {failure}"));
            return;
        }
        let committed = committer.committed();
        while persist.pending.front().is_some_and(|&(number, _, _)| number <= committed) {
            let (_, effects, origin) = persist.pending.pop_front().expect("checked");
            outbox.0.push_back((effects, origin));
        }
    }
}

/// Sends each released effect to its driver (behn's timer, conn, or the terminal); then tells conn that
/// the event it asked for is done.
#[allow(clippy::type_complexity)]
fn route_effects(
    mut control: ResMut<Control>,
    mut io: ResMut<Io>,
    mut ships: Query<(Entity, &mut Kernel, &mut Outbox, &mut Behn, &mut Terminal, Option<&mut Conn>)>,
) {
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    for (me, mut kernel, mut outbox, mut behn, mut terminal, mut conn) in &mut ships {
        while let Some((effects, origin)) = outbox.0.pop_front() {
            let heap = &kernel.0.heap;
            let mut list = effects;
            while let Some((effect, rest)) = heap.cell_parts(list) {
                list = rest;
                let Some((wire, card)) = heap.cell_parts(effect) else { continue };
                let wire = if heap.head(wire).and_then(|h| h.as_direct()) == Some(0) {
                    heap.tail(wire).unwrap_or(Noun::ZERO)
                } else {
                    wire
                };
                if let Some(conn) = conn.as_deref_mut()
                    && conn.on_effect(&mut io.0, me, heap, wire, card)
                {
                    continue;
                }
                if engine_io::behn::claims(heap, wire) {
                    match engine_io::behn::on_card(heap, card, time::now()) {
                        Ok(engine_io::behn::TimerAction::Arm(delay)) => {
                            behn.wake_at = Some(Instant::now() + delay)
                        }
                        Ok(engine_io::behn::TimerAction::Disarm) => behn.wake_at = None,
                        Err(bad) => eprintln!("behn: {}", bad.0),
                    }
                    continue;
                }
                match term::terminal_effect(heap, wire, card) {
                    Some(TermEffect::Draw(blits)) => terminal.draw(&blits, &mut out),
                    Some(TermEffect::Logo) => control.stop = true,
                    None => term::report_lost(heap, wire, card),
                }
            }
            if let Some(conn) = conn.as_deref_mut() {
                conn.on_event_end(&mut io.0, me, &mut kernel.0.heap, &origin, &EventEnd::Done);
            }
        }
    }
}

/// SIGWINCH: the raw-mode terminal's new size goes to its ship as `%blew`.
fn term_resize(control: Res<Control>, mut ships: Query<(&mut Inbox, &Terminal)>) {
    if !control.resized.swap(false, Ordering::Relaxed) {
        return;
    }
    let Some((cols, rows)) = engine_io::tty::window_size() else { return };
    for (mut inbox, terminal) in &mut ships {
        if let Some(ansi) = terminal.ansi.as_ref() {
            let mut ansi = ansi.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            (ansi.cols, ansi.rows) = (cols, rows);
            let mut scratch = Heap::new();
            let ovum = term::blew_ovum(&mut scratch, cols, rows);
            inbox.push(&scratch, ovum);
        }
    }
}

/// The most scries answered per ship per tick.
const PEEKS_PER_TICK: usize = 16;

/// What conn waits for the ship to be idle for: scries, `%urth %pack`, and the dojo lines (the next one is
/// typed once the previous one's output is all printed).
#[allow(clippy::type_complexity)]
fn conn_serve(
    mut io: ResMut<Io>,
    mut ships: Query<(
        Entity,
        &mut Kernel,
        &mut Inbox,
        &Computing,
        &Persist,
        &Outbox,
        &mut Terminal,
        &mut Conn,
    )>,
) {
    for (me, mut kernel, mut inbox, computing, persist, outbox, mut terminal, mut conn) in &mut ships {
        if computing.event.is_some() {
            continue;
        }
        let serf = &mut kernel.0;
        for (con, rid, nom) in conn.take_peeks(PEEKS_PER_TICK) {
            let result = match serf.heap.cue(&nom) {
                Ok(nom) => {
                    let lyc = serf.heap.cell(Noun::ZERO, Noun::ZERO);
                    match serf.peek(lyc, nom) {
                        Ok(result) => result,
                        Err(goof) => {
                            for line in goof.lines(&serf.heap) {
                                eprintln!("{line}");
                            }
                            Noun::ZERO
                        }
                    }
                }
                Err(_) => Noun::ZERO,
            };
            conn.answer_peek(&mut io.0, me, &mut serf.heap, con, &rid, result);
        }
        if busy(computing, &inbox, persist, outbox) {
            continue;
        }
        if conn.pack {
            conn.pack = false;
            serf.compact();
        }
        if conn.dojo_returned() {
            let capture = terminal.capture.take().unwrap_or_default();
            conn.finish_dojo(&mut io.0, me, &capture.lines, !capture.bell);
            if capture.bell {
                // The line was not taken (it does not parse, or is incomplete) and is still being edited:
                // clear it, so that the next line starts on an empty prompt.
                let mut scratch = Heap::new();
                for ovum in term::clear_line_ova(&mut scratch) {
                    inbox.push(&scratch, ovum);
                }
                continue;
            }
        }
        if let Some(line) = conn.next_dojo_line() {
            terminal.capture = Some(Capture::default());
            let mut scratch = Heap::new();
            let ova = term::line_ova(&mut scratch, &line);
            let last = ova.len() - 1;
            for (i, ovum) in ova.into_iter().enumerate() {
                let origin = if i == last { Origin::DojoReturn } else { Origin::Ship };
                if let Some(origin) = inbox.push_jam(scratch.jam(ovum), origin) {
                    conn.on_event_end(&mut io.0, me, &mut scratch, &origin, &EventEnd::Dropped);
                }
            }
        }
    }
}

/// Snapshots each idle ship (nothing in flight or queued) every `--snapshot-every`, once everything it
/// computed is durable.
fn snapshot(
    mut control: ResMut<Control>,
    mut ships: Query<(&Pier, &mut Kernel, &Computing, &Inbox, &Persist, &mut Snapshots)>,
) {
    let every = control.options.snapshot_every;
    for (pier, mut kernel, computing, inbox, persist, mut snapshots) in &mut ships {
        if computing.event.is_some() || !inbox.0.is_empty() || snapshots.last.elapsed() < every {
            continue;
        }
        let Some(committer) = persist.committer.as_ref() else { continue };
        let serf = &mut kernel.0;
        if let Err(e) = committer.wait_committed(serf.event) {
            control.fail(format!("event log: {e}"));
            return;
        }
        serf.tidy();
        if let Err(e) = ship::write_snapshot(&pier.layout, serf) {
            control.fail(e);
            return;
        }
        snapshots.last = Instant::now();
    }
}

/// The schedule of one tick.
fn tick_schedule() -> Schedule {
    let mut schedule = Schedule::default();
    schedule.set_executor(SingleThreadedExecutor::new());
    schedule.set_build_settings(ScheduleBuildSettings {
        ambiguity_detection: LogLevel::Error,
        ..Default::default()
    });
    schedule.add_systems(
        (io_poll, term_resize, nock_step, jet_dispatch, persist, route_effects, conn_serve, snapshot).chain(),
    );
    schedule
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
    let resized = Arc::new(AtomicBool::new(false));
    watch(signal_hook::consts::SIGWINCH, &resized)?;

    // The terminal: raw mode when stdin and stdout are both terminals (and not `-t`), else line mode.
    let raw =
        if options.tty && engine_io::tty::is_tty() { Some(engine_io::tty::RawMode::enter()?) } else { None };
    let (cols, rows) =
        if raw.is_some() { engine_io::tty::window_size().unwrap_or((80, 24)) } else { (80, 24) };

    // Raw mode: the runtime's log lines (slogs) go above the prompt, which is drawn again after them.
    let ansi = raw.as_ref().map(|_| Arc::new(Mutex::new(AnsiOutput::new(cols, rows))));
    if let Some(ansi) = ansi.clone() {
        serf.runner.hints.log = Some(Arc::new(move |line: &str| {
            let bytes = ansi.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).log_line(line);
            let mut out = std::io::stdout().lock();
            let _ = out.write_all(&bytes);
            let _ = out.flush();
        }));
    }

    // The start events, then the injected ova.
    let started = time::now();
    let mut inbox = Inbox::default();
    for ovum in ship::start_ova(&mut serf.heap, started, cols, rows, options.verbose)? {
        inbox.push(&serf.heap, ovum);
    }
    let started_noun = ship::atom_u128(&mut serf.heap, started);
    let sev = serf.heap.mug(started_noun) as u64;
    let born = engine_io::behn::born(&mut serf.heap, sev);
    inbox.push(&serf.heap, born);
    // conn: the socket, then khan's `%born` (a failure to listen is reported, not fatal, as in Vere).
    let mut conn = None;
    if options.conn {
        let sev_knot = engine_io::conn::sev_knot(&mut serf.heap, sev);
        match ConnServer::open(&guard.root, sev_knot) {
            Ok(opened) => {
                let born = engine_io::conn::born(&mut serf.heap, &opened.sev);
                inbox.push_jam(serf.heap.jam(born), Origin::KhanBorn);
                conn = Some(Conn(opened));
            }
            Err(e) => eprintln!("{e}"),
        }
    }
    for ovum in injected {
        inbox.push(&serf.heap, ovum);
    }

    let mut world = World::new();
    world.insert_resource(Io(engine_io::Dispatcher::new()?));
    world.insert_resource(Control {
        terminate,
        ctrl_c,
        input: Mutex::new(if raw.is_some() { spawn_raw_reader() } else { spawn_stdin_reader() }),
        keys: KeyDecoder::default(),
        resized,
        input_open: true,
        options,
        stop: false,
        failure: None,
    });
    let ship = world
        .spawn((
            Pier { layout: Layout::of(&guard.root), who: guard.meta.who },
            Kernel(serf),
            inbox,
            Computing::default(),
            Persist {
                committer: Some(Committer::spawn(log, CommitConfig::default())),
                pending: VecDeque::new(),
            },
            Outbox::default(),
            JetJob::default(),
            Behn::default(),
            Terminal { ansi: ansi.clone(), capture: None, pier: guard.root.clone() },
            Snapshots { last: Instant::now() },
        ))
        .id();
    if let Some(mut conn) = conn {
        conn.start(&mut world.resource_mut::<Io>().0, ship)?;
        world.entity_mut(ship).insert(conn);
    }
    let mut schedule = tick_schedule();
    while !world.resource::<Control>().stop {
        schedule.run(&mut world);
    }

    // Stopping: the event in flight is finished (ctrl-c interrupts it), everything computed is committed
    // and its output printed, then the snapshot.
    let failure = world.resource_mut::<Control>().failure.take();
    let stop_result = finish(&mut world, ship);
    let mut entity = world.entity_mut(ship);
    let mut kernel = entity.take::<Kernel>().expect("the ship's kernel");
    let persist = entity.take::<Persist>().expect("the ship's log writer");
    if let Some(mut conn) = entity.take::<Conn>() {
        conn.close();
    }
    let log = persist.committer.map(|c| c.finish());
    if let Some(failure) = failure {
        return Err(failure);
    }
    stop_result?;
    if let Some(log) = log {
        log.map_err(|e| format!("event log: {e}"))?;
    }
    let serf = &mut kernel.0;
    serf.tidy();
    ship::write_snapshot(&layout, serf)?;
    let mug = serf.mug();
    eprintln!("run: stopped at event {}, kernel mug {mug:#x}", serf.event);
    drop(guard);
    Ok(())
}

/// Finishes a ship's event in flight, waits for the log to hold everything computed, and routes what is
/// left in its outbox.
fn finish(world: &mut World, ship: Entity) -> Result<(), String> {
    let mut entity = world.entity_mut(ship);
    let in_flight = entity.get_mut::<Computing>().and_then(|mut c| c.event.take());
    if let Some((mut event, ovum, origin)) = in_flight {
        let mut kernel = entity.take::<Kernel>().expect("the ship's kernel");
        let mut persist = entity.take::<Persist>().expect("the ship's log writer");
        // A job the event waits on is run here (its answer given back), like any later one.
        let waiting = entity.get_mut::<JetJob>().map(|mut j| (j.queued.take(), j.answer.take()));
        if let Some((queued, answer)) = waiting
            && let Some(answer) = answer.or_else(|| queued.map(|job| job.answer()))
        {
            kernel.0.give_job(&mut event, &answer);
        }
        let work = loop {
            if let Some(work) = kernel.0.advance(&mut event, u64::MAX) {
                break work;
            }
        };
        // The ship is stopping: a failed conn request goes unanswered (its connection is closed).
        let result = complete(&mut kernel.0, &mut persist, work, ovum, origin);
        entity.insert((kernel, persist));
        result?;
    }
    let event = world.get::<Kernel>(ship).expect("the ship's kernel").0.event;
    if let Some(committer) = world.get::<Persist>(ship).and_then(|p| p.committer.as_ref()) {
        committer.wait_committed(event).map_err(|e| format!("event log: {e}"))?;
    }
    let mut tail = Schedule::default();
    tail.set_executor(SingleThreadedExecutor::new());
    tail.add_systems((persist, route_effects).chain());
    tail.run(world);
    Ok(())
}
