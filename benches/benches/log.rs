//! Committed events per second for small pokes: one fsync per event (the baseline) against group commit.
//! Run: `cargo bench -p engine-benches --bench log`. The log lives under the build's scratch directory, on
//! the same disk as the project.

use divan::Bencher;
use divan::counter::ItemsCount;
use store::{CommitConfig, Committer, Event, EventLog, LogConfig};

fn main() {
    divan::main();
}

const EVENTS: u64 = 256;
/// About the size of a small poke's jam ([now [wire card]] with a short wire and card).
const POKE_BYTES: usize = 96;

fn fresh_log() -> (tempfile::TempDir, EventLog) {
    let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
    let log = EventLog::open(dir.path(), LogConfig::default()).unwrap();
    (dir, log)
}

#[divan::bench(sample_count = 10)]
fn fsync_per_event(bencher: Bencher) {
    let poke = vec![0x5au8; POKE_BYTES];
    bencher.counter(ItemsCount::new(EVENTS)).with_inputs(fresh_log).bench_local_values(|(dir, mut log)| {
        for _ in 0..EVENTS {
            log.append([(0, poke.as_slice())]).unwrap();
        }
        (dir, log)
    });
}

#[divan::bench(sample_count = 10)]
fn group_commit(bencher: Bencher) {
    let poke = vec![0x5au8; POKE_BYTES];
    bencher.counter(ItemsCount::new(EVENTS)).with_inputs(fresh_log).bench_local_values(|(dir, log)| {
        let committer = Committer::spawn(log, CommitConfig::default());
        for number in 1..=EVENTS {
            committer.submit(Event { number, mug: 0, jam: poke.clone() }).unwrap();
        }
        committer.wait_committed(EVENTS).unwrap();
        (dir, committer.finish().unwrap())
    });
}
