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
//! ova, the event in flight, what waits for the log, its timer, its terminal and its control socket
//! (the plain data in `components::app`, the rest in `systems::app`); one [`Schedule`] runs the systems of
//! `systems::app` each tick, in order. This file only builds the world and the schedule and runs ticks.
//! Nothing assumes one ship, though `engine run` makes one (the keyboard goes to the first).

use crate::ship::{self, Verbosity};
use bevy_ecs::prelude::*;
use components::app::{Clock, Focus, Inbox, Origin, RunState, SimNet, seeded_entropy};
use components::{Heap, Noun, time};
use engine_io::conn::ConnServer;
use engine_io::term::AnsiOutput;
use engine_io::tty::{RawMode, spawn_raw_reader, spawn_stdin_reader};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex};
use store::{EventLog, Layout, PierGuard};
use systems::app::{
    Conn, Cttp, Http, Kernel, LogWriter, Order, Scry, ShipParts, Signals, SnapshotWriter, Stdin, Terminal,
    Unix, close_ames, close_conn, close_http, finish_ship, insert_resources, spawn_ship, tick_schedule,
};
use systems::serf::Serf;

pub use components::app::{RunOptions, TICK_STEPS};

/// The most bytes of one `--inject` file (64 MiB: an ovum, not a heap); a larger file is refused by its
/// size, before it is read.
const INJECT_BYTES_MAX: u64 = 1 << 26;

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

/// The snapshot writer the systems use: the pier's, as boot and replay write it.
fn write_snapshot(layout: &Layout, serf: &mut Serf) -> Result<(), String> {
    ship::write_snapshot(layout, serf).map(|_| ())
}

/// The signals the app watches: SIGTERM and SIGHUP stop it (a replay too, after the event in hand),
/// SIGINT types ctrl-c, SIGWINCH resizes the terminal. Watched before the piers are opened.
fn watch_signals() -> Result<Signals, String> {
    let signals = Signals::default();
    watch(signal_hook::consts::SIGTERM, &signals.terminate)?;
    watch(signal_hook::consts::SIGHUP, &signals.terminate)?;
    watch(signal_hook::consts::SIGINT, &signals.ctrl_c)?;
    watch(signal_hook::consts::SIGWINCH, &signals.resized)?;
    Ok(signals)
}

/// Sets `flag` on `signal`.
fn watch(signal: i32, flag: &Arc<AtomicBool>) -> Result<(), String> {
    signal_hook::flag::register(signal, Arc::clone(flag))
        .map(|_| ())
        .map_err(|e| format!("cannot watch for signals: {e}"))
}

/// The terminal in raw mode, when it is one; its size.
struct Tty {
    raw: Option<RawMode>,
    ansi: Option<Arc<Mutex<AnsiOutput>>>,
    cols: u64,
    rows: u64,
}

/// The terminal: raw mode when stdin and stdout are both terminals (and not `-t`), else line mode.
fn open_terminal(options: &RunOptions) -> Result<Tty, String> {
    let raw = if options.tty && engine_io::tty::is_tty() { Some(RawMode::enter()?) } else { None };
    let (cols, rows) =
        if raw.is_some() { engine_io::tty::window_size().unwrap_or((80, 24)) } else { (80, 24) };
    let ansi = raw.as_ref().map(|_| Arc::new(Mutex::new(AnsiOutput::new(cols, rows))));
    Ok(Tty { raw, ansi, cols, rows })
}

/// In raw mode, a ship's log lines (slogs) go above the prompt, which is drawn again after them (after the
/// ship's name, in a fleet).
fn log_above_prompt(serf: &mut Serf, ansi: &Arc<Mutex<AnsiOutput>>, prefix: &str) {
    let (ansi, prefix) = (Arc::clone(ansi), prefix.to_string());
    serf.runner.hints.log = Some(Arc::new(move |line: &str| {
        let line = format!("{prefix}{line}");
        let bytes = ansi.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).log_line(&line);
        let mut out = std::io::stdout().lock();
        let _ = out.write_all(&bytes);
        let _ = out.flush();
    }));
}

/// The first inbox: the start events, behn's `%born`, khan's `%born` if conn's socket opens (a failure to
/// listen is reported, not fatal, as in Vere), then the injected ova.
fn first_inbox(
    serf: &mut Serf,
    root: &Path,
    options: &RunOptions,
    start: &ShipStart,
    tty: &Tty,
    injected: Vec<Noun>,
) -> Result<Started, String> {
    let started = start.clock.now();
    let mut inbox = Inbox::default();
    let eny = start.seed.map(|seed| seeded_entropy(seed, start.ship_index, 64));
    let ova = ship::start_ova(&mut serf.heap, started, tty.cols, tty.rows, options.verbose, eny.as_deref())?;
    for ovum in ova {
        inbox.push(&serf.heap, ovum);
    }
    let started_noun = ship::atom_u128(&mut serf.heap, started);
    let sev = serf.heap.mug(started_noun) as u64;
    let boat = engine_io::unix::boat(&mut serf.heap);
    inbox.push(&serf.heap, boat);
    let unix = Unix::new(engine_io::conn::sev_knot(&mut serf.heap, sev), root.to_path_buf());
    let cttp = Cttp::new(engine_io::conn::sev_knot(&mut serf.heap, sev));
    let born = cttp.born(&mut serf.heap);
    inbox.push(&serf.heap, born);
    let http = options.http.map(|mut http| {
        // In a fleet, ship i takes the fixed ports plus i.
        let shift = |port: Option<u16>| port.map(|p| p.saturating_add(start.ship_index as u16));
        (http.port, http.loopback_port) = (shift(http.port), shift(http.loopback_port));
        let driver = Http::new(sev, root.to_path_buf(), http);
        serf.runner.hints.slog_tap = Some(driver.slog_tap());
        let born = driver.born(&mut serf.heap);
        inbox.push(&serf.heap, born);
        driver
    });
    if options.ames {
        let sev_knot = engine_io::conn::sev_knot(&mut serf.heap, sev);
        let born = engine_io::ames::born(&mut serf.heap, &sev_knot);
        inbox.push(&serf.heap, born);
    }
    let born = engine_io::behn::born(&mut serf.heap, sev);
    inbox.push(&serf.heap, born);
    let mut conn = None;
    if options.conn {
        let sev_knot = engine_io::conn::sev_knot(&mut serf.heap, sev);
        match ConnServer::open(root, sev_knot) {
            Ok(opened) => {
                let born = engine_io::conn::born(&mut serf.heap, &opened.sev);
                inbox.push_jam(serf.heap.jam(born), Origin::KhanBorn);
                conn = Some(Conn::new(opened));
            }
            Err(e) => eprintln!("{e}"),
        }
    }
    for ovum in injected {
        inbox.push(&serf.heap, ovum);
    }
    Ok(Started { inbox, conn, http, unix, cttp })
}

/// A ship's first inbox (the start events) and the drivers those events name.
struct Started {
    inbox: Inbox,
    conn: Option<Conn>,
    http: Option<Http>,
    unix: Unix,
    cttp: Cttp,
}

/// The world: the process's resources, and each ship as an entity (the first one focused: the keyboard
/// and the stdin lines that name no ship go to it).
fn build_world(
    options: RunOptions,
    clock: Clock,
    signals: Signals,
    raw: bool,
    ships: Vec<ShipParts>,
) -> Result<(World, Vec<Entity>), String> {
    let mut world = World::new();
    let stdin = Stdin::new(if raw { spawn_raw_reader() } else { spawn_stdin_reader() });
    insert_resources(&mut world, options, clock, signals, stdin, SnapshotWriter(write_snapshot))?;
    let mut entities = Vec::with_capacity(ships.len());
    for ship in ships {
        entities.push(spawn_ship(&mut world, ship)?);
    }
    world.insert_resource(Focus { ships: entities.clone(), at: 0 });
    Ok((world, entities))
}

/// How a ship starts: the app's clock, the simulation's seed (virtual time), and its place in the fleet.
struct ShipStart {
    clock: Clock,
    seed: Option<u64>,
    ship_index: u64,
}

/// The simulation a fleet runs in: `--virtual-time`'s clock, starting one second after the latest event
/// any of the piers logged (so a run from the same logs starts at the same time), and `--seed`.
#[derive(Debug, Clone, Copy)]
pub struct Simulation {
    pub seed: u64,
}

/// A pier opened for running: its serf brought to the end of its log (and, if that took a replay,
/// compacted and snapshotted), its lock held by `guard`.
struct Opened {
    guard: PierGuard,
    log: EventLog,
    serf: Serf,
    /// The time stamped on its last logged event.
    last_time: Option<u128>,
}

/// Opens a pier and brings its serf to the end of its log. A SIGTERM during the replay stops it after the
/// event in hand: the state reached is snapshotted (so the next start resumes from there) and `None`
/// given back.
fn open_pier(root: &Path, terminate: &AtomicBool) -> Result<Option<Opened>, String> {
    let (pier, mut serf, start) = ship::open(root, Verbosity::Progress, Some(terminate))?;
    let last_time = ship::last_event_time(&pier);
    let replayed = match start {
        ship::Start::Snapshot(at) => serf.event > at,
        ship::Start::Log(_) => true,
    };
    let last = pier.log.last();
    let (guard, log) = pier.into_parts();
    if replayed && serf.kernel().is_some() {
        serf.compact();
        ship::write_snapshot(&Layout::of(&guard.root), &mut serf)?;
    }
    let mug = serf.mug();
    if serf.event < last {
        eprintln!(
            "run: {} stopped while replaying, at event {} of {last} (kernel mug {mug:#x}); the next start \
             goes on from there",
            root.display(),
            serf.event
        );
        return Ok(None);
    }
    eprintln!("run: {} at event {}, kernel mug {mug:#x}", root.display(), serf.event);
    Ok(Some(Opened { guard, log, serf, last_time }))
}

/// Runs the piers at `roots` (a fleet: each ship with its own log, snapshots, lock and control socket)
/// until told to stop. With several ships, each line printed starts with its ship's name; on a terminal the
/// keyboard goes to one ship at a time (ctrl-] passes it on; the others' lines print above its prompt),
/// and in line mode a stdin line `~nec: COMMAND` goes to ~nec (a line naming no ship, to the first).
/// `inject`'s ova go to the first ship.
///
/// With `simulation`, the fleet runs on a virtual clock (it moves only to the next due timer, once every
/// ship is idle) with seeded entropy: the same piers and input give the same events and mugs.
pub fn run(
    roots: &[PathBuf],
    options: RunOptions,
    inject: &[PathBuf],
    simulation: Option<Simulation>,
) -> Result<(), String> {
    let signals = watch_signals()?;
    let mut opened = Vec::with_capacity(roots.len());
    for root in roots {
        match open_pier(root, &signals.terminate)? {
            Some(pier) => opened.push(pier),
            None => return Ok(()),
        }
    }
    for pier in &opened {
        watch(signal_hook::consts::SIGINT, &pier.serf.runner.interrupt)?;
    }
    let clock = match simulation {
        None => Clock::Real,
        Some(_) => {
            let latest = opened.iter().filter_map(|o| o.last_time).max();
            // A pier with no dated event starts the clock at 2026-01-01.
            let start = latest.unwrap_or_else(|| time::from_unix_micros(1_767_225_600_000_000));
            Clock::Virtual { now: start + (1u128 << 64) }
        }
    };
    let fleet = opened.len() > 1;
    let Some(first) = opened.first_mut() else { return Err("run: no pier given".into()) };
    let mut injected = Vec::new();
    for file in inject {
        injected.push(read_inject(&mut first.serf.heap, file)?);
    }
    let tty = open_terminal(&options)?;
    let mut guards = Vec::with_capacity(opened.len());
    let mut parts = Vec::with_capacity(opened.len());
    for (i, Opened { guard, log, mut serf, .. }) in opened.into_iter().enumerate() {
        let ova = if i == 0 { std::mem::take(&mut injected) } else { Vec::new() };
        let start =
            ShipStart { clock: clock.clone(), seed: simulation.map(|s| s.seed), ship_index: i as u64 };
        let Started { inbox, conn, http, unix, cttp } =
            first_inbox(&mut serf, &guard.root, &options, &start, &tty, ova)?;
        let who = guard.meta.who;
        let prefix = fleet.then(|| format!("{}: ", components::aura::ship_name(who)));
        if let Some(ansi) = &tty.ansi {
            log_above_prompt(&mut serf, ansi, prefix.as_deref().unwrap_or(""));
        }
        let terminal = Terminal { ansi: tty.ansi.clone(), prefix };
        let ames = options.ames.then_some((guard.meta.fake, options.ames_port));
        let root = guard.root.clone();
        parts.push(ShipParts {
            serf,
            root,
            who,
            log,
            inbox,
            conn,
            ames,
            http,
            unix: Some(unix),
            cttp: Some(cttp),
            terminal,
        });
        guards.push(guard);
    }
    let (mut world, ships) = build_world(options, clock, signals, tty.raw.is_some(), parts)?;
    // The chained schedule's only parallel work is stepping several ships at once: with one ship, the
    // single-threaded executor spares each tick the hand-offs between threads (ticks are frequent when
    // scries come in).
    let mut schedule = tick_schedule(options.threads.min(ships.len()).max(1), Order::Chained);
    while !world.resource::<RunState>().stop {
        schedule.run(&mut world);
    }
    let failure = world.resource_mut::<RunState>().failure.take();
    if let Some(net) = world.get_resource::<SimNet>() {
        eprintln!("{}", net.summary());
    }
    let mut stopped = Ok(());
    for (ship, guard) in ships.into_iter().zip(&guards) {
        let result = stop(&mut world, ship, &guard.root);
        stopped = stopped.and(result);
    }
    drop(guards);
    // The world (its renderer and stdin's reader) goes before the terminal leaves raw mode.
    drop(world);
    drop(tty);
    match failure {
        Some(failure) => Err(failure),
        None => stopped,
    }
}

/// Stopping a ship: the event in flight is finished (ctrl-c interrupts it), everything computed is
/// committed and its output printed, then the snapshot.
fn stop(world: &mut World, ship: Entity, root: &Path) -> Result<(), String> {
    let stop_result = finish_ship(world, ship);
    close_conn(world, ship);
    close_http(world, ship);
    if let Some(mut cttp) = world.entity_mut(ship).take::<Cttp>() {
        cttp.cancel_all();
    }
    close_ames(world, ship);
    if let Some(scry) = world.entity_mut(ship).take::<Scry>() {
        let (hits, misses) = scry.1.counts();
        if hits + misses > 0 {
            eprintln!("scry: {hits} peeks answered from the cache, {misses} computed by the readers");
        }
    }
    let mut entity = world.entity_mut(ship);
    let mut kernel = entity.take::<Kernel>().expect("the ship's kernel");
    let writer = entity.take::<LogWriter>().expect("the ship's log writer");
    let log = writer.0.map(|c| c.finish());
    stop_result?;
    if let Some(log) = log {
        log.map_err(|e| format!("event log: {e}"))?;
    }
    let serf = &mut kernel.0;
    serf.tidy();
    ship::write_snapshot(&Layout::of(root), serf)?;
    let mug = serf.mug();
    eprintln!("run: stopped at event {}, kernel mug {mug:#x} ({})", serf.event, root.display());
    Ok(())
}
