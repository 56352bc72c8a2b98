//! The app's tick schedule (`systems::app::tick_schedule`, as `engine run` builds it) over a fleet of ships
//! in one process, each computing a stream of pokes, run tick after tick until every event is computed,
//! committed to its log and routed. Run: `cargo bench -p engine-benches --bench schedule`.
//!
//! - `events`: 1, 2, 4 and 8 ships, under the single-threaded executor (`THREADS = 1`, `--threads 1`) and
//!   the multi-threaded one on two threads (`THREADS = 2`), systems chained (as `engine run`). Aggregate
//!   events/s is divan's item rate; the baseline in the same run is one ship on one thread, and the
//!   parallel speed-up is (N ships, 2 threads) against (N ships, 1 thread).
//! - `events_free`: the same with no order among the systems.
//! - `idle_tick`: one tick of every system but `io_poll` (which, by design, waits for input when no ship
//!   has work) with 1, 8 and 64 idle ships: the schedule's own overhead.
//!
//! Each ship's kernel is a tiny hand-written Arvo-shaped core whose poke runs a Nock loop of
//! [`LOOP_ITERATIONS`] iterations (about ten Nock steps each) and changes its state, so an event is a
//! few milliseconds of real interpreter work and no jet.

use bevy_ecs::prelude::*;
use components::Heap;
use components::app::{AwaitingCommit, Clock, Inbox, Outbox, RunOptions, RunState};
use divan::Bencher;
use divan::counter::ItemsCount;
use std::sync::mpsc;
use std::time::Duration;
use store::{EventLog, LogConfig};
use systems::app::{
    Computing, Order, ShipParts, Signals, SnapshotWriter, Stdin, Terminal, conn_serve, conn_write,
    insert_resources, jet_dispatch, nock_step, persist, route_effects, settle_failures, snapshot, spawn_ship,
    term_resize, tick_schedule,
};
use systems::serf::Serf;

fn main() {
    // The process's task pool, made once: two threads (the multi-threaded runs use both; `THREADS = 1`
    // runs use the single-threaded executor and step ships one after the other).
    drop(tick_schedule(2, Order::Chained));
    divan::main();
}

const SHIPS: [usize; 4] = [1, 2, 4, 8];
/// Pokes each ship computes per sample.
const EVENTS_PER_SHIP: usize = 16;
/// Iterations of the loop each poke runs.
const LOOP_ITERATIONS: u64 = 100_000;

/// A serf whose kernel pokes run a loop of `iterations` and count their events (no effects), and its
/// log holding the boot formulas (so the serf's next event is the log's).
fn loop_serf(iterations: u64, log: &mut EventLog) -> Serf {
    // The loop: a core [arm [i n]] whose arm returns i if i = n, else runs itself with i + 1.
    let arm = "[6 [5 [0 6] [0 7]] [0 6] [9 2 [10 [6 [4 0 6]] [0 1]]]]";
    let looped = format!("[9 2 [1 [{arm} [0 {iterations}]]]]");
    // The poke gate's product: [effects new-kernel], the effects ~ (after the loop), the count + 1.
    let gate_battery = format!("[[8 {looped} [1 0]] [0 14] [4 0 15]]");
    let poke = format!("[[1 {gate_battery}] [1 0] [0 1]]");
    let kernel = format!("[[[0 0] [0 0] [1 0] {poke}] 0]");
    let gate = format!("[{gate_battery} 0 {kernel}]");
    let mut serf = Serf::new();
    let formula = serf.heap.parse("[0 2]").unwrap();
    let gate = serf.heap.parse(&gate).unwrap();
    serf.boot(&[formula, gate]).expect("the loop kernel boots");
    let jams = [serf.heap.jam(formula), serf.heap.jam(gate)];
    log.append(jams.iter().map(|jam| (0, jam.as_slice()))).unwrap();
    serf
}

fn options(threads: usize) -> RunOptions {
    RunOptions {
        exit_on_eof: false,
        verbose: false,
        snapshot_every: Duration::from_secs(3600),
        tick_steps: 1_000_000,
        conn: false,
        ames: false,
        ames_port: None,
        net: None,
        http: None,
        tty: false,
        threads,
        scry_threads: 0,
    }
}

/// A world of `ships` ships, each with `events` pokes waiting and a log of its own in `dir`.
fn fleet(ships: usize, threads: usize, events: usize, dir: &std::path::Path) -> (World, Vec<Entity>) {
    let mut world = World::new();
    let (_, receive) = mpsc::sync_channel(1);
    let writer = SnapshotWriter(|_, _| Ok(()));
    let stdin = Stdin::new(receive);
    insert_resources(&mut world, options(threads), Clock::Real, Signals::default(), stdin, writer).unwrap();
    let mut scratch = Heap::new();
    let ovum = scratch.parse("[[1 0] 2 0]").unwrap(); // any [wire card]: the kernel ignores it
    let entities = (0..ships)
        .map(|i| {
            let root = dir.join(format!("ship-{i}"));
            let mut log = EventLog::open(&root.join("log"), LogConfig::default()).unwrap();
            let serf = loop_serf(LOOP_ITERATIONS, &mut log);
            let mut inbox = Inbox::default();
            for _ in 0..events {
                inbox.push(&scratch, ovum);
            }
            let parts = ShipParts {
                serf,
                root,
                who: i as u128,
                log,
                inbox,
                conn: None,
                ames: None,
                http: None,
                unix: None,
                cttp: None,
                terminal: Terminal::default(),
            };
            spawn_ship(&mut world, parts).unwrap()
        })
        .collect();
    (world, entities)
}

/// Whether every ship has computed, committed and routed everything.
fn idle(world: &World, ships: &[Entity]) -> bool {
    ships.iter().all(|&ship| {
        world.get::<Inbox>(ship).unwrap().is_empty()
            && world.get::<Computing>(ship).unwrap().event.is_none()
            && world.get::<AwaitingCommit>(ship).unwrap().0.is_empty()
            && world.get::<Outbox>(ship).unwrap().0.is_empty()
    })
}

fn run_fleet(bencher: Bencher, ships: usize, threads: usize, order: Order) {
    bencher
        .counter(ItemsCount::new(ships * EVENTS_PER_SHIP))
        .with_inputs(|| {
            let dir = tempfile::tempdir().unwrap();
            let (world, entities) = fleet(ships, threads, EVENTS_PER_SHIP, dir.path());
            // A schedule belongs to one world.
            (dir, world, entities, tick_schedule(threads, order))
        })
        .bench_local_values(|(dir, mut world, entities, mut schedule)| {
            while !idle(&world, &entities) {
                schedule.run(&mut world);
                let state = world.resource::<RunState>();
                assert!(!state.stop, "the fleet stopped: {:?}", state.failure);
            }
            (dir, world)
        });
}

#[divan::bench(consts = [1, 2], args = SHIPS, sample_count = 5)]
fn events<const THREADS: usize>(bencher: Bencher, ships: usize) {
    run_fleet(bencher, ships, THREADS, Order::Chained);
}

#[divan::bench(consts = [1, 2], args = [2, 8], sample_count = 5)]
fn events_free<const THREADS: usize>(bencher: Bencher, ships: usize) {
    run_fleet(bencher, ships, THREADS, Order::Free);
}

#[divan::bench(consts = [1, 2], args = [1, 8, 64], sample_count = 20)]
fn idle_tick<const THREADS: usize>(bencher: Bencher, ships: usize) {
    let dir = tempfile::tempdir().unwrap();
    let (mut world, _) = fleet(ships, THREADS, 0, dir.path());
    let mut schedule = Schedule::default();
    let systems = (
        term_resize,
        nock_step,
        settle_failures,
        jet_dispatch,
        persist,
        route_effects,
        conn_serve,
        conn_write,
        snapshot,
    );
    schedule.add_systems(systems.chain());
    if THREADS == 1 {
        schedule.set_executor(bevy_ecs::schedule::SingleThreadedExecutor::new());
    }
    schedule.run(&mut world);
    bencher.bench_local(|| schedule.run(&mut world));
}
