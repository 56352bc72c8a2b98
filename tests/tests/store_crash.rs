//! The log and snapshots on a simulated disk ([`store::sim::SimDisk`]): a power loss or a process death at
//! every operation, and what must survive it. The regression tests of what `fault_sim` (engine's
//! fault-injection harness) found.

use components::{Heap, Noun};
use std::path::Path;
use std::sync::Arc;
use store::disk::Disk;
use store::sim::{Faults, SimDisk};
use store::snapshot::{self, SnapshotInfo};
use store::{EventLog, LogConfig, Meta, Pier};

/// Seeds per test: each draws other crash shapes (which unsynced bytes and names survive).
const SEEDS: u64 = 24;

fn atoms(heap: &mut Heap, from: u64, to: u64) -> Noun {
    let items: Vec<Noun> = (from..to).map(|i| heap.atom_from_limbs(&[i, 1])).collect();
    heap.list(&items)
}

/// How many disk operations `act` makes on a fresh copy of the setup.
fn operations_of(setup: impl Fn(&SimDisk), act: impl Fn(&SimDisk)) -> u64 {
    let sim = SimDisk::new(0, Faults::none());
    setup(&sim);
    let before = sim.ops();
    act(&sim);
    sim.ops() - before
}

/// Found by fault_sim (seed 303): the manifest's rename reached the disk without the new segment's name
/// (and without the backup's), as a crash may keep any of the names made since the last directory sync.
#[test]
fn a_power_loss_at_any_operation_of_a_snapshot_write_keeps_the_last_good_snapshot() {
    let dir = Path::new("/pier/snap");
    for compacted in [false, true] {
        let first_heap = || {
            let mut heap = Heap::new();
            let list = atoms(&mut heap, 0, 50);
            let info = SnapshotInfo::of(&mut heap, 1, vec![list]);
            (heap, info)
        };
        let setup = |sim: &SimDisk| {
            let (heap, info) = first_heap();
            snapshot::write_on(sim, dir, &heap, &info).unwrap();
            sim.sync_everything();
        };
        let second = |sim: &SimDisk| {
            let (mut heap, _) = first_heap();
            if compacted {
                heap = Heap::new();
            }
            let list = atoms(&mut heap, 100, 170);
            let info = SnapshotInfo::of(&mut heap, 2, vec![list]);
            snapshot::write_on(sim, dir, &heap, &info)
        };
        let ops = operations_of(setup, |sim| {
            second(sim).unwrap();
        });
        for seed in 0..SEEDS {
            for at in 1..=ops {
                let sim = SimDisk::new(seed, Faults::none());
                setup(&sim);
                sim.crash_at(sim.ops() + at);
                let written = second(&sim).is_ok() && !sim.crashed();
                sim.crash();
                let loaded = snapshot::load_on(&sim, dir).or_else(|_| snapshot::load_backup_on(&sim, dir));
                let event = loaded.map(|(_, info)| info.event).unwrap_or_else(|e| {
                    panic!("seed {seed}, crash at operation {at} of {ops}: no snapshot loads: {e}")
                });
                assert!(
                    !written || event == 2,
                    "seed {seed}, crash at {at}: the write succeeded, {event} loads"
                );
            }
        }
    }
}

/// Found by fault_sim (seed 233): a process died between a write and its fsync; the next one read those
/// records, built on them (a snapshot past them), and a power loss then took them from the log.
#[test]
fn a_log_reopened_after_a_process_death_makes_what_it_read_durable() {
    let dir = Path::new("/pier/log");
    for seed in 0..SEEDS {
        let sim = SimDisk::new(seed, Faults::none());
        let disk: Arc<dyn Disk> = Arc::new(sim.clone());
        let mut log = EventLog::open_on(Arc::clone(&disk), dir, LogConfig::default()).unwrap();
        log.append([(1, b"one".as_slice()), (2, b"two".as_slice())]).unwrap();
        let segment = log.segment_paths().next().unwrap().to_path_buf();
        drop(log);
        // The dead process's last batch: written, never synced.
        let mut bytes = Vec::new();
        store::record::encode(&mut bytes, 3, 3, b"three");
        disk.open_append(&segment).unwrap().write_all(&bytes).unwrap();
        sim.kill();

        let log = EventLog::open_on(Arc::clone(&disk), dir, LogConfig::default()).unwrap();
        assert_eq!(log.last(), 3, "the next process reads the dead one's last batch");
        drop(log);
        sim.crash();
        let log = EventLog::open_on(Arc::clone(&disk), dir, LogConfig::default()).unwrap();
        assert_eq!(
            log.last(),
            3,
            "seed {seed}: an event a restart read (and built on) was lost by a power loss"
        );
    }
}

#[test]
fn a_power_loss_at_any_operation_of_appends_keeps_every_acknowledged_event() {
    let dir = Path::new("/pier/log");
    let config = LogConfig { segment_bytes_max: 200 };
    let batches = |log: &mut EventLog, acked: &mut u64| {
        for batch in 0..12u64 {
            let bodies: Vec<Vec<u8>> = (0..=batch % 3).map(|i| vec![batch as u8; 10 + i as usize]).collect();
            match log.append(bodies.iter().map(|b| (7, b.as_slice()))) {
                Ok(last) => *acked = last,
                Err(_) => return,
            }
        }
    };
    let ops = operations_of(
        |_| {},
        |sim| {
            let disk: Arc<dyn Disk> = Arc::new(sim.clone());
            let mut log = EventLog::open_on(disk, dir, config).unwrap();
            batches(&mut log, &mut 0);
        },
    );
    for seed in 0..SEEDS {
        for at in 1..=ops {
            let sim = SimDisk::new(seed, Faults::none());
            let disk: Arc<dyn Disk> = Arc::new(sim.clone());
            sim.crash_at(at);
            let mut acked = 0;
            if let Ok(mut log) = EventLog::open_on(Arc::clone(&disk), dir, config) {
                batches(&mut log, &mut acked);
            }
            sim.crash();
            match EventLog::open_on(disk, dir, config) {
                Ok(log) => {
                    assert!(log.last() >= acked, "seed {seed}, crash at {at}: {} < {acked}", log.last())
                }
                Err(e) => assert_eq!(acked, 0, "seed {seed}, crash at {at}: the log does not open: {e}"),
            }
        }
    }
}

/// A new directory is a name in its parent: a pier just made (its `.engine`, `log/` and `snap/`) must
/// be synced into its parents, or a power loss takes the whole pier with it.
#[test]
fn a_power_loss_just_after_a_pier_is_made_keeps_all_of_it() {
    let root = Path::new("/home/ship/zod");
    for seed in 0..SEEDS {
        let sim = SimDisk::new(seed, Faults::none());
        let disk: Arc<dyn Disk> = Arc::new(sim.clone());
        let meta = Meta { version: store::meta::VERSION, who: 0, fake: true, life: 1 };
        let mut pier = Pier::create_on(Arc::clone(&disk), root, meta, LogConfig::default(), 1).unwrap();
        pier.log.append([(0, b"boot".as_slice()), (9, b"first".as_slice())]).unwrap();
        let mut heap = Heap::new();
        let list = atoms(&mut heap, 0, 20);
        let info = SnapshotInfo::of(&mut heap, 2, vec![list]);
        snapshot::write_on(&sim, &pier.layout().snap, &heap, &info).unwrap();
        drop(pier);
        sim.crash();
        let pier = Pier::open_on(Arc::clone(&disk), root, LogConfig::default())
            .unwrap_or_else(|e| panic!("seed {seed}: the pier is gone after a power loss: {e}"));
        assert_eq!(pier.log.last(), 2, "seed {seed}");
        let (_, loaded) = snapshot::load_on(&sim, &pier.layout().snap).unwrap();
        assert_eq!(loaded.event, 2, "seed {seed}");
    }
}

/// An I/O error at any one operation of a snapshot write: the write fails (or, where the error fell on
/// the cleanup after it, succeeds), the newest snapshot that loads is the last one written, and the next
/// write succeeds and loads.
#[test]
fn an_io_error_at_any_operation_of_a_snapshot_write_loses_nothing_and_the_next_write_succeeds() {
    let dir = Path::new("/pier/snap");
    let heap_at = |sim: &SimDisk, upto: u64| {
        let mut heap = Heap::new();
        let mut info = None;
        for (event, end) in (1..=upto).zip([50u64, 90, 140]) {
            let list = atoms(&mut heap, 0, end);
            let snapshot = SnapshotInfo::of(&mut heap, event, vec![list]);
            info = Some(snapshot::write_on(sim, dir, &heap, &snapshot));
        }
        info.expect("a write")
    };
    let ops = operations_of(
        |_| {},
        |sim| {
            heap_at(sim, 3).unwrap();
        },
    );
    for at in 1..=ops {
        let sim = SimDisk::new(1, Faults::none());
        sim.fail_at(at);
        let mut heap = Heap::new();
        let mut written = 0;
        for (event, end) in [(1u64, 50u64), (2, 90), (3, 140)] {
            let list = atoms(&mut heap, 0, end);
            let info = SnapshotInfo::of(&mut heap, event, vec![list]);
            if snapshot::write_on(&sim, dir, &heap, &info).is_ok() {
                written = event;
            }
            if written > 0 {
                let (_, newest) = sim
                    .unfaulted(|| snapshot::load_on(&sim, dir))
                    .unwrap_or_else(|e| panic!("EIO at operation {at}: after event {event}: {e}"));
                assert!(
                    newest.event >= written,
                    "EIO at {at}: event {} loads, {written} was written",
                    newest.event
                );
            }
        }
        let list = atoms(&mut heap, 0, 200);
        let info = SnapshotInfo::of(&mut heap, 4, vec![list]);
        snapshot::write_on(&sim, dir, &heap, &info)
            .unwrap_or_else(|e| panic!("EIO at {at}: the next write: {e}"));
        assert_eq!(sim.unfaulted(|| snapshot::load_on(&sim, dir)).unwrap().1.event, 4, "EIO at {at}");
    }
}

/// An I/O error at any one operation of appends: that batch is not committed, and the log, reopened,
/// holds every batch that was, and takes new ones.
#[test]
fn an_io_error_at_any_operation_of_appends_loses_no_committed_event() {
    let dir = Path::new("/pier/log");
    let config = LogConfig { segment_bytes_max: 200 };
    let ops = operations_of(
        |_| {},
        |sim| {
            let mut log = EventLog::open_on(Arc::new(sim.clone()), dir, config).unwrap();
            for batch in 0..12u8 {
                log.append([(7, [batch; 40].as_slice())]).unwrap();
            }
        },
    );
    for at in 1..=ops {
        let sim = SimDisk::new(1, Faults::none());
        let disk: Arc<dyn Disk> = Arc::new(sim.clone());
        sim.fail_at(at);
        let mut committed = 0;
        if let Ok(mut log) = EventLog::open_on(Arc::clone(&disk), dir, config) {
            for batch in 0..12u8 {
                match log.append([(7, [batch; 40].as_slice())]) {
                    Ok(last) => committed = last,
                    Err(_) => break,
                }
            }
        }
        sim.kill();
        let mut log = EventLog::open_on(Arc::clone(&disk), dir, config)
            .unwrap_or_else(|e| panic!("EIO at {at}: the log does not reopen: {e}"));
        assert!(log.last() >= committed, "EIO at {at}: {} < {committed}", log.last());
        let next = log.append([(7, b"after".as_slice())]).unwrap();
        assert_eq!(next, log.last(), "EIO at {at}");
    }
}
