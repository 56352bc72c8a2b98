//! The deterministic fault-injection harness: a ship with a tiny Arvo-shaped kernel lives on a simulated
//! disk ([`store::sim::SimDisk`]) through seeded lives of events, group commits, snapshots (incremental,
//! and whole after a compaction) and stops (clean, kill -9, power loss at any operation, errors from
//! injected faults). After every restart (the same [`ship::open_on`] that `engine run` uses) it checks:
//!
//! - every event whose commit was acknowledged is in the log, byte for byte;
//! - the restarted state's mug equals the mug of a replay of the whole log from its first event;
//! - the state comes from a snapshot at least as new as the last snapshot whose write succeeded, and a
//!   clean stop's snapshot is the one loaded;
//! - a restart that fails is explained by a fault or a crash during it; nothing panics.
//!
//! A lying fsync followed by a power loss may lose what was acknowledged: after one, only the last two
//! (errors as values, and the mug) are checked.
//!
//! In CI `fault_sim::many_seeds` runs [`SEEDS_CI`] seeds (fewer if [`SECONDS_CI`] pass first);
//! `ENGINE_FAULT_SEEDS=N` runs N, and `SEED=N ... fault_sim::one_seed` replays one, printing its last
//! disk operations on failure.

use crate::ship::{self, Start, Verbosity};
use components::{Heap, Noun};
use pills::Pill;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};
use store::disk::Disk;
use store::sim::{Faults, Rng, SimDisk};
use store::{Event, LogConfig, Meta, Pier};
use systems::serf::Serf;

/// Seeds run in CI, and the time after which CI stops early.
const SEEDS_CI: u64 = 5000;
const SECONDS_CI: u64 = 60;
/// Small segments, so that the log rolls over to new segment files within a run.
const LOG: LogConfig = LogConfig { segment_bytes_max: 4096 };
const ROOT: &str = "/sim/zod";
/// Lives of one run (before the last, fault-free one), actions in a life, events in a batch.
const LIVES_MAX: u64 = 6;
const ACTIONS_MAX: u64 = 12;
const BATCH_MAX: u64 = 6;
/// How far ahead of the next operation a crash point may be.
const CRASH_OPS_AHEAD_MAX: u64 = 300;

/// The journal kernel (`engine_tests::kernel_pill_text`, as `engine/tests/cli_pier.rs` builds it): its
/// poke answers one `%blit` effect and keeps every ovum it took (`[ovum state]`), so the heap grows with
/// every event and a compaction moves everything.
fn journal_pill(heap: &mut Heap) -> Noun {
    heap.parse(&engine_tests::kernel_pill_text("journal", "[[0 13] [0 15]]"))
        .expect("the journal pill parses")
}

/// What the world outside the ship was told, which a restart must honour.
#[derive(Debug, Default)]
struct Promises {
    /// Every event whose commit was acknowledged (or that a restart replayed and built on), in order.
    acked: Vec<Event>,
    /// The event of the newest snapshot whose write succeeded.
    snapshot_floor: u64,
    /// The event of the snapshot the last life's clean stop wrote, if it ended so.
    clean_stop: Option<u64>,
    /// A lying fsync was followed by a power loss: acknowledged data may be gone.
    tainted: bool,
}

/// What the runs did, for the report.
#[derive(Debug, Default, Clone, Copy)]
struct Tally {
    runs: u64,
    disk_ops: u64,
    lives: u64,
    restarts: u64,
    restarts_failed: u64,
    events_checked: u64,
    power_losses: u64,
    kills: u64,
    clean_stops: u64,
    snapshots: u64,
    faults: u64,
    lies: u64,
    torn_files: u64,
}

impl Tally {
    fn add(&mut self, other: &Tally) {
        self.runs += other.runs;
        self.disk_ops += other.disk_ops;
        self.lives += other.lives;
        self.restarts += other.restarts;
        self.restarts_failed += other.restarts_failed;
        self.events_checked += other.events_checked;
        self.power_losses += other.power_losses;
        self.kills += other.kills;
        self.clean_stops += other.clean_stops;
        self.snapshots += other.snapshots;
        self.faults += other.faults;
        self.lies += other.lies;
        self.torn_files += other.torn_files;
    }
}

/// How a life ended.
enum Ending {
    /// The world stopped at the crash point.
    Crashed,
    /// A store operation failed (an injected fault): the process exits with the error.
    Failed,
    /// SIGTERM: everything committed, a snapshot written.
    Stopped,
    /// kill -9 between two actions.
    Killed,
}

/// One seeded run.
struct Run {
    rng: Rng,
    sim: SimDisk,
    disk: Arc<dyn Disk>,
    promises: Promises,
    tally: Tally,
}

fn faults_for(rng: &mut Rng) -> Faults {
    let budget = 1 + rng.below(4) as u32;
    match rng.below(4) {
        0 => Faults::none(),
        1 => Faults {
            enospc_write_one_in: 25,
            enospc_name_one_in: 40,
            fsync_eio_one_in: 40,
            budget,
            ..Faults::none()
        },
        2 => Faults { fsync_lie_one_in: 30, enospc_write_one_in: 60, budget, ..Faults::none() },
        _ => Faults {
            read_eio_one_in: 40,
            fsync_eio_one_in: 30,
            enospc_name_one_in: 30,
            budget,
            ..Faults::none()
        },
    }
}

impl Run {
    fn new(seed: u64) -> Run {
        let sim = SimDisk::new(seed, Faults::none());
        let disk: Arc<dyn Disk> = Arc::new(sim.clone());
        Run {
            rng: Rng::new(seed ^ 0x5eed),
            sim,
            disk,
            promises: Promises::default(),
            tally: Tally::default(),
        }
    }

    /// Boots the pier (no faults): the lifecycle logged, a snapshot written; then a power loss, or not.
    fn boot(&mut self) -> Result<(), String> {
        let mut serf = Serf::new();
        let pill = journal_pill(&mut serf.heap);
        let Pill::Boot(pill) = Pill::from_noun(&serf.heap, pill).map_err(|e| e.to_string())? else {
            return Err("the journal pill is not a boot pill".into());
        };
        let formulas = pill.lifecycle(&serf.heap);
        let meta = Meta { version: store::meta::VERSION, who: 0, fake: true, life: formulas.len() as u32 };
        let mut pier = Pier::create_on(Arc::clone(&self.disk), Path::new(ROOT), meta, LOG, 1)
            .map_err(|e| e.to_string())?;
        serf.boot(&formulas).map_err(|e| e.to_string())?;
        let events: Vec<Event> = formulas
            .iter()
            .enumerate()
            .map(|(i, &f)| Event { number: i as u64 + 1, mug: 0, jam: serf.heap.jam(f) })
            .collect();
        pier.log.append_events(&events).map_err(|e| e.to_string())?;
        serf.compact();
        ship::write_snapshot_on(&*self.disk, &pier.layout(), &mut serf)?;
        self.promises.acked = events;
        self.promises.snapshot_floor = serf.event;
        // Sometimes the power goes right after the boot: what it wrote must all be durable.
        drop(pier);
        if self.rng.below(4) == 0 {
            self.sim.crash();
            self.tally.power_losses += 1;
        } else {
            self.sim.kill();
        }
        Ok(())
    }

    /// The run: lives with faults and crashes, then a fault-free life that stops cleanly, a power loss,
    /// and a last restart that must load the clean stop's snapshot.
    fn run(&mut self) -> Result<(), String> {
        self.boot()?;
        self.sim.set_faults(faults_for(&mut self.rng));
        let lives = 1 + self.rng.below(LIVES_MAX);
        for _ in 0..lives {
            if self.rng.below(4) != 0 {
                let ahead = 1 + self.rng.below(CRASH_OPS_AHEAD_MAX);
                self.sim.crash_at(self.sim.ops() + ahead);
            }
            let actions = 1 + self.rng.below(ACTIONS_MAX);
            let ending = self.live(actions, false)?;
            self.end_life(ending);
        }
        self.sim.set_faults(Faults::none());
        // After a lying fsync and a power loss, a restart may refuse the pier (clearly): nothing more to do.
        let actions = 1 + self.rng.below(ACTIONS_MAX);
        let ending = self.live(actions, true)?;
        match ending {
            Ending::Stopped => {}
            Ending::Failed if self.promises.tainted => return Ok(()),
            _ => return Err("the fault-free life did not stop cleanly".into()),
        }
        self.end_life_with(false, true);
        match self.live(0, true)? {
            Ending::Stopped => Ok(()),
            Ending::Failed if self.promises.tainted => Ok(()),
            _ => Err("the last restart did not stop cleanly".into()),
        }
    }

    /// After a life: the process is gone (its locks with it), and maybe the machine's power too.
    fn end_life(&mut self, ending: Ending) {
        let power_lost = match ending {
            Ending::Crashed => self.rng.below(3) != 0,
            Ending::Failed | Ending::Stopped | Ending::Killed => self.rng.below(3) == 0,
        };
        self.end_life_with(matches!(ending, Ending::Killed | Ending::Crashed | Ending::Failed), power_lost);
    }

    fn end_life_with(&mut self, killed: bool, power_lost: bool) {
        self.tally.lives += 1;
        if power_lost {
            if self.sim.stats().lies > 0 {
                self.promises.tainted = true;
            }
            self.sim.crash();
            self.tally.power_losses += 1;
        } else {
            self.sim.kill();
            self.tally.kills += killed as u64;
        }
    }

    /// One process lifetime: a restart, checked, then `actions` seeded actions. With `must_succeed`, every
    /// failure is a violation (no faults are drawn then), and the life ends with a clean stop.
    fn live(&mut self, actions: u64, must_succeed: bool) -> Result<Ending, String> {
        let faults_before = self.sim.stats().faults;
        // A SIGTERM while the snapshot loads: the replay stops before it starts.
        let sigterm = AtomicBool::new(!must_succeed && self.rng.below(8) == 0);
        let root = Path::new(ROOT);
        let opened = ship::open_on(Arc::clone(&self.disk), root, LOG, Verbosity::Quiet, Some(&sigterm), None);
        let (mut pier, mut serf, start) = match opened {
            Ok(opened) if !self.sim.crashed() => opened,
            Ok(_) => return Ok(Ending::Crashed),
            Err(_) if self.sim.crashed() => return Ok(Ending::Crashed),
            Err(e) => {
                let explained = self.sim.stats().faults > faults_before || self.promises.tainted;
                if explained && (!must_succeed || self.promises.tainted) {
                    self.tally.restarts_failed += 1;
                    return Ok(Ending::Failed);
                }
                return Err(format!("the restart failed with no fault or crash to explain it: {e}"));
            }
        };
        self.tally.restarts += 1;
        let sim = self.sim.clone();
        sim.unfaulted(|| self.check_restart(&pier, &mut serf, &start))?;
        if sigterm.load(Ordering::Relaxed) {
            return Ok(self.stop_after_replay(&pier, &mut serf, &start));
        }
        for _ in 0..actions {
            let done = match self.rng.below(10) {
                0..=5 => self.commit_batch(&mut pier, &mut serf),
                6 | 7 => self.snapshot(&pier, &mut serf),
                8 => {
                    serf.compact();
                    Ok(())
                }
                _ if must_succeed => Ok(()),
                _ => return Ok(Ending::Killed),
            };
            if let Err(e) = done {
                if must_succeed {
                    return Err(format!("a fault-free life failed: {e}"));
                }
                return Ok(if self.sim.crashed() { Ending::Crashed } else { Ending::Failed });
            }
        }
        if !must_succeed && self.rng.below(3) == 0 {
            return Ok(Ending::Killed);
        }
        // A clean stop: everything is committed already (commits are synchronous here); tidy, snapshot.
        serf.tidy();
        match ship::write_snapshot_on(&*self.disk, &pier.layout(), &mut serf) {
            Ok(_) => {
                self.promises.snapshot_floor = serf.event;
                self.promises.clean_stop = Some(serf.event);
                self.tally.clean_stops += 1;
                Ok(Ending::Stopped)
            }
            Err(e) if must_succeed => Err(format!("a fault-free clean stop failed: {e}")),
            Err(_) if self.sim.crashed() => Ok(Ending::Crashed),
            Err(_) => Ok(Ending::Failed),
        }
    }

    /// A stop during the load or the replay, as `engine run` stops: a state that was replayed past its
    /// snapshot is compacted and snapshotted (the next start goes on from there), then the process exits.
    fn stop_after_replay(&mut self, pier: &Pier, serf: &mut Serf, start: &Start) -> Ending {
        let replayed = match start {
            Start::Snapshot(at) => serf.event > *at,
            Start::Log(_) => true,
        };
        if !replayed {
            return Ending::Killed;
        }
        serf.compact();
        match ship::write_snapshot_on(&*self.disk, &pier.layout(), serf) {
            Ok(_) => {
                self.promises.snapshot_floor = serf.event;
                self.promises.clean_stop = Some(serf.event);
                self.tally.clean_stops += 1;
                Ending::Stopped
            }
            Err(_) if self.sim.crashed() => Ending::Crashed,
            Err(_) => Ending::Failed,
        }
    }

    /// The invariants after a restart (which may have stopped short of the end of the log on a SIGTERM).
    fn check_restart(&mut self, pier: &Pier, serf: &mut Serf, start: &Start) -> Result<(), String> {
        let last = pier.log.last();
        let stopped_at = match start {
            Start::Snapshot(at) => *at,
            Start::Log(_) => serf.event,
        };
        if serf.event != last && serf.event != stopped_at {
            return Err(format!("the restart ended at event {}, the log at {last}", serf.event));
        }
        let last = serf.event;
        let logged =
            pier.log.read(pier.log.first(), usize::MAX).map_err(|e| format!("reading the log: {e}"))?;
        if !self.promises.tainted {
            self.check_promises(&logged, start)?;
        }
        let mut fresh = Serf::new();
        ship::replay(pier, &mut fresh, last, Verbosity::Quiet, &[], None, None)
            .map_err(|e| format!("a replay of the whole log failed: {e}"))?;
        if fresh.mug() != serf.mug() {
            return Err(format!(
                "at event {last} the restarted kernel's mug is {:#x}, a replay of the log gives {:#x} \
                 (the restart started from {start:?})",
                serf.mug(),
                fresh.mug()
            ));
        }
        self.tally.events_checked += logged.len() as u64;
        // From here on the ship builds on every logged event: they are as good as acknowledged.
        self.promises.acked = logged;
        self.promises.clean_stop = None;
        Ok(())
    }

    fn check_promises(&self, logged: &[Event], start: &Start) -> Result<(), String> {
        let acked = &self.promises.acked;
        if logged.len() < acked.len() {
            return Err(format!(
                "the log ends at event {}, but event {} was acknowledged",
                logged.len(),
                acked.len()
            ));
        }
        if let Some((have, want)) = logged.iter().zip(acked).find(|(have, want)| have != want) {
            return Err(format!(
                "acknowledged event {} is not in the log as it was committed",
                want.number.max(have.number)
            ));
        }
        let floor = self.promises.snapshot_floor;
        match (start, self.promises.clean_stop) {
            (Start::Snapshot(at), Some(stopped)) if *at != stopped => Err(format!(
                "the clean stop's snapshot at event {stopped} was not the one loaded (event {at} was)"
            )),
            (Start::Snapshot(at), _) if *at < floor => Err(format!(
                "the restart loaded a snapshot at event {at}, but one at event {floor} had been written"
            )),
            (Start::Log(why), _) => Err(format!(
                "the restart recomputed the state from the log ({why:?}), but a snapshot at event {floor} \
                 had been written"
            )),
            _ => Ok(()),
        }
    }

    /// Computes a batch of events and commits it (one append, one fsync); acknowledged once it returns.
    fn commit_batch(&mut self, pier: &mut Pier, serf: &mut Serf) -> Result<(), String> {
        let count = 1 + self.rng.below(BATCH_MAX);
        let mut batch = Vec::new();
        for _ in 0..count {
            let job = self.job(serf);
            serf.play(job, 0).map_err(|e| format!("the kernel failed an event: {e}"))?;
            let mug = serf.mug();
            batch.push(Event { number: serf.event, mug, jam: serf.heap.jam(job) });
        }
        pier.log.append_events(&batch).map_err(|e| e.to_string())?;
        self.promises.acked.extend(batch);
        Ok(())
    }

    /// `[now [/sim/<n> %poke data]]`, with a seeded amount of data.
    fn job(&mut self, serf: &mut Serf) -> Noun {
        let heap = &mut serf.heap;
        let number = serf.event + 1;
        let now = heap.atom_from_limbs(&[number << 16, 0x8000_0000_0000_0000]);
        let sim = heap.atom_from_bytes(b"sim");
        let n = heap.atom_u64(number);
        let wire = heap.list(&[sim, n]);
        let bytes: Vec<u8> = (0..self.rng.below(96)).map(|_| self.rng.next_u64() as u8).collect();
        let data = heap.atom_from_bytes(&bytes);
        let poke = heap.atom_from_bytes(b"poke");
        let card = heap.cell(poke, data);
        let ovum = heap.cell(wire, card);
        heap.cell(now, ovum)
    }

    /// A snapshot: whole after a compaction (one time in three), else incremental.
    fn snapshot(&mut self, pier: &Pier, serf: &mut Serf) -> Result<(), String> {
        if self.rng.below(3) == 0 {
            serf.compact();
        }
        ship::write_snapshot_on(&*self.disk, &pier.layout(), serf)?;
        self.promises.snapshot_floor = serf.event;
        self.tally.snapshots += 1;
        Ok(())
    }
}

/// Runs one seed; on failure, what failed, the seed's replay command, and the last disk operations.
fn run_seed(seed: u64) -> Result<Tally, String> {
    components::heap::simulate_lineages(Some(seed));
    let mut run = Run::new(seed);
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| run.run()));
    let failure = match outcome {
        Ok(Ok(())) => None,
        Ok(Err(why)) => Some(why),
        Err(panic) => Some(format!(
            "panicked: {}",
            panic
                .downcast_ref::<String>()
                .map(String::as_str)
                .or(panic.downcast_ref::<&str>().copied())
                .unwrap_or("?")
        )),
    };
    components::heap::simulate_lineages(None);
    let stats = run.sim.stats();
    run.tally.runs = 1;
    run.tally.disk_ops = stats.ops;
    run.tally.faults = stats.faults;
    run.tally.lies = stats.lies;
    run.tally.torn_files = stats.torn_files;
    match failure {
        None => Ok(run.tally),
        Some(why) => Err(format!(
            "fault_sim: seed {seed} failed: {why}\nthe last disk operations:\n  {}\nreplay it: SEED={seed} \
             cargo test -p engine --bin engine fault_sim::one_seed -- --nocapture",
            run.sim.trace().join("\n  ")
        )),
    }
}

fn env_u64(name: &str) -> Option<u64> {
    std::env::var(name).ok().and_then(|v| v.parse().ok())
}

#[test]
fn many_seeds() {
    let (count, budget) = match env_u64("ENGINE_FAULT_SEEDS") {
        Some(count) => (count, Duration::MAX),
        None => (SEEDS_CI, Duration::from_secs(SECONDS_CI)),
    };
    let first = env_u64("ENGINE_FAULT_SEED_FIRST").unwrap_or(0);
    let started = Instant::now();
    let mut tally = Tally::default();
    for seed in first..first + count {
        match run_seed(seed) {
            Ok(one) => tally.add(&one),
            Err(report) => panic!("{report}"),
        }
        if started.elapsed() > budget {
            break;
        }
    }
    eprintln!("fault_sim: {tally:?} in {:.1} s", started.elapsed().as_secs_f64());
    assert!(tally.runs >= 100.min(count), "only {} runs in the time given", tally.runs);
}

#[test]
fn one_seed() {
    let seed = env_u64("SEED").unwrap_or(1);
    match run_seed(seed) {
        Ok(tally) => eprintln!("fault_sim: seed {seed}: {tally:?}"),
        Err(report) => panic!("{report}"),
    }
}

/// A SIGTERM while the snapshot loads: `open` gives the snapshot's state back without replaying the
/// events after it (engine run then exits cleanly, writing nothing), and the next start replays them.
#[test]
fn a_sigterm_during_the_snapshot_load_stops_before_the_replay() {
    let mut run = Run::new(7);
    run.boot().unwrap();
    let root = Path::new(ROOT);
    let (mut pier, mut serf, _) =
        ship::open_on(Arc::clone(&run.disk), root, LOG, Verbosity::Quiet, None, None).unwrap();
    let snapshot_event = serf.event;
    for _ in 0..3 {
        run.commit_batch(&mut pier, &mut serf).unwrap();
    }
    let last = serf.event;
    assert!(last > snapshot_event);
    let mug = serf.mug();
    drop(pier);

    let sigterm = AtomicBool::new(true);
    let (pier, serf, start) =
        ship::open_on(Arc::clone(&run.disk), root, LOG, Verbosity::Quiet, Some(&sigterm), None).unwrap();
    assert_eq!(start, Start::Snapshot(snapshot_event));
    assert_eq!(serf.event, snapshot_event, "no event was replayed after the SIGTERM");
    assert_eq!(pier.log.last(), last, "the log is as it was");
    drop(pier);

    let (_, mut serf, _) =
        ship::open_on(Arc::clone(&run.disk), root, LOG, Verbosity::Quiet, None, None).unwrap();
    assert_eq!((serf.event, serf.mug()), (last, mug), "the next start replays to the end");
}

/// A seed replays exactly: the same disk operations, faults and crashes, in the same order.
#[test]
fn a_seed_replays_exactly() {
    let replay = |seed: u64| {
        components::heap::simulate_lineages(Some(seed));
        let mut run = Run::new(seed);
        let result = run.run();
        components::heap::simulate_lineages(None);
        (result, run.sim.trace(), run.sim.stats())
    };
    for seed in [3, 99, 303] {
        let (first, second) = (replay(seed), replay(seed));
        assert_eq!(first, second, "seed {seed}");
        assert!(first.2.ops > 50 && first.2.crashes > 0, "seed {seed} does something: {:?}", first.2);
    }
}
