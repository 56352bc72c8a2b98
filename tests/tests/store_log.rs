//! The event log and the pier directory: round trips, torn tails, corruption, segments, the lock and group
//! commit.

use std::fs::{self, OpenOptions};
use std::path::{Path, PathBuf};
use store::{CommitConfig, Committer, Event, EventLog, LogConfig, LogError, Meta, Pier, PierError};

fn payload(n: u64) -> Vec<u8> {
    format!("event number {n} with a little body").into_bytes()
}

fn fill(log: &mut EventLog, count: u64, batch: u64) {
    let mut n = log.last();
    while n < count {
        let upto = (n + batch).min(count);
        let bodies: Vec<(u32, Vec<u8>)> = (n + 1..=upto).map(|i| (i as u32, payload(i))).collect();
        n = log.append(bodies.iter().map(|(m, b)| (*m, b.as_slice()))).unwrap();
    }
}

fn only_segment(dir: &Path) -> PathBuf {
    let log = EventLog::open(dir, LogConfig::default()).unwrap();
    let paths: Vec<PathBuf> = log.segment_paths().map(Path::to_path_buf).collect();
    assert_eq!(paths.len(), 1);
    paths[0].clone()
}

#[test]
fn appended_batches_read_back_after_reopening() {
    let dir = tempfile::tempdir().unwrap();
    let mut log = EventLog::open(dir.path(), LogConfig::default()).unwrap();
    assert_eq!(log.last(), 0);
    fill(&mut log, 100, 7);
    drop(log);
    let log = EventLog::open(dir.path(), LogConfig::default()).unwrap();
    assert_eq!(log.last(), 100);
    assert!(log.recovery().is_none());
    let events = log.read(41, 10).unwrap();
    assert_eq!(events.len(), 10);
    for (i, e) in events.iter().enumerate() {
        let n = 41 + i as u64;
        assert_eq!(e, &Event { number: n, mug: n as u32, jam: payload(n) });
    }
    assert_eq!(log.read(95, 100).unwrap().len(), 6);
    assert!(log.read(101, 1).unwrap().is_empty());
}

#[test]
fn torn_tail_is_truncated_reported_and_appending_resumes() {
    let dir = tempfile::tempdir().unwrap();
    let mut log = EventLog::open(dir.path(), LogConfig::default()).unwrap();
    fill(&mut log, 10, 10);
    drop(log);
    let segment = only_segment(dir.path());
    let full = fs::metadata(&segment).unwrap().len();
    OpenOptions::new().write(true).open(&segment).unwrap().set_len(full - 5).unwrap();

    let mut log = EventLog::open(dir.path(), LogConfig::default()).unwrap();
    assert_eq!(log.last(), 9);
    let recovery = log.recovery().expect("the tear is reported").clone();
    assert_eq!(recovery.event, 10);
    assert!(recovery.bytes_dropped > 0);
    fill(&mut log, 12, 3);
    drop(log);
    let log = EventLog::open(dir.path(), LogConfig::default()).unwrap();
    assert_eq!(log.last(), 12);
    assert!(log.recovery().is_none());
    assert_eq!(log.read(10, 1).unwrap()[0].jam, payload(10));
}

#[test]
fn stray_bytes_after_the_last_record_are_a_torn_tail() {
    let dir = tempfile::tempdir().unwrap();
    let mut log = EventLog::open(dir.path(), LogConfig::default()).unwrap();
    fill(&mut log, 3, 3);
    drop(log);
    let segment = only_segment(dir.path());
    let mut bytes = fs::read(&segment).unwrap();
    bytes.extend_from_slice(b"EVT1\x05");
    fs::write(&segment, &bytes).unwrap();
    let log = EventLog::open(dir.path(), LogConfig::default()).unwrap();
    assert_eq!(log.last(), 3);
    assert_eq!(log.recovery().unwrap().bytes_dropped, 5);
}

#[test]
fn flipped_byte_in_the_middle_is_corruption_naming_the_event() {
    let dir = tempfile::tempdir().unwrap();
    let mut log = EventLog::open(dir.path(), LogConfig::default()).unwrap();
    fill(&mut log, 10, 1);
    drop(log);
    let segment = only_segment(dir.path());
    let mut bytes = fs::read(&segment).unwrap();
    let record_bytes = bytes.len() / 10; // every record here has the same size
    bytes[4 * record_bytes + 30] ^= 0x40; // inside event 5's payload
    fs::write(&segment, &bytes).unwrap();
    match EventLog::open(dir.path(), LogConfig::default()) {
        Err(LogError::Corrupt { event, why, .. }) => {
            assert_eq!(event, 5);
            assert!(why.contains("checksum"), "{why}");
        }
        other => panic!("expected corruption at event 5, got {other:?}"),
    }
    assert_eq!(fs::read(&segment).unwrap(), bytes, "a corrupt log is never truncated");
}

#[test]
fn segments_roll_over_and_a_missing_or_damaged_one_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let config = LogConfig { segment_bytes_max: 1000 };
    let mut log = EventLog::open(dir.path(), config).unwrap();
    fill(&mut log, 200, 5);
    let segments: Vec<PathBuf> = log.segment_paths().map(Path::to_path_buf).collect();
    assert!(segments.len() > 5, "{} segments", segments.len());
    drop(log);
    let log = EventLog::open(dir.path(), config).unwrap();
    assert_eq!(log.last(), 200);
    let all = log.read(1, 1000).unwrap();
    assert_eq!(all.len(), 200);
    assert!(all.iter().enumerate().all(|(i, e)| e.number == i as u64 + 1));
    drop(log);

    // A torn end inside a closed segment is corruption, not a tail.
    let middle = &segments[2];
    let length = fs::metadata(middle).unwrap().len();
    let saved = fs::read(middle).unwrap();
    OpenOptions::new().write(true).open(middle).unwrap().set_len(length - 3).unwrap();
    assert!(matches!(EventLog::open(dir.path(), config), Err(LogError::Corrupt { .. })));
    fs::write(middle, &saved).unwrap();

    // A missing segment is a hole, named by the events it lost; the segments after it are left as they
    // were (nothing truncated, nothing rewritten).
    let before: Vec<Vec<u8>> = segments[3..].iter().map(|p| fs::read(p).unwrap()).collect();
    fs::remove_file(middle).unwrap();
    match EventLog::open(dir.path(), config) {
        Err(e @ LogError::Hole { .. }) => {
            let text = e.to_string();
            assert!(text.contains("hole") && text.contains("are missing"), "{text}");
            let next = segments[3].file_name().unwrap().to_str().unwrap();
            assert!(text.contains(next), "{text}");
        }
        other => panic!("expected a hole error, got {other:?}"),
    }
    let after: Vec<Vec<u8>> = segments[3..].iter().map(|p| fs::read(p).unwrap()).collect();
    assert_eq!(before, after, "the segments after the hole are untouched");
}

#[test]
fn pier_lock_refuses_a_second_opener_and_names_the_holder() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("zod");
    let meta = Meta { version: store::meta::VERSION, who: 0, fake: true, life: 5 };
    let pier = Pier::create(&root, meta, LogConfig::default()).unwrap();
    match Pier::open(&root, LogConfig::default()) {
        Err(PierError::InUse { pid, .. }) => assert_eq!(pid, Some(std::process::id())),
        other => panic!("expected the pier to be in use, got {other:?}"),
    }
    assert!(matches!(Pier::create(&root, meta, LogConfig::default()), Err(PierError::Exists(_))));
    drop(pier);
    let pier = Pier::open(&root, LogConfig::default()).unwrap();
    assert_eq!(pier.meta, meta);
    assert!(matches!(
        Pier::open(&dir.path().join("nothing"), LogConfig::default()),
        Err(PierError::Missing(_))
    ));
}

#[test]
fn group_commit_makes_every_submitted_event_durable_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let log = EventLog::open(dir.path(), LogConfig::default()).unwrap();
    let committer =
        Committer::spawn(log, CommitConfig { queue_events_max: 64, batch_events_max: 50, linger_us: 0 });
    for n in 1..=500u64 {
        committer.submit(Event { number: n, mug: 0, jam: payload(n) }).unwrap();
    }
    committer.wait_committed(500).unwrap();
    assert!(committer.batches() <= 500 && committer.batches() >= 10, "{} batches", committer.batches());
    let log = committer.finish().unwrap();
    assert_eq!(log.last(), 500);
    drop(log);
    let log = EventLog::open(dir.path(), LogConfig::default()).unwrap();
    assert_eq!(log.read(500, 1).unwrap()[0].jam, payload(500));
}

#[test]
fn group_commit_reports_an_out_of_order_event_and_stops() {
    let dir = tempfile::tempdir().unwrap();
    let log = EventLog::open(dir.path(), LogConfig::default()).unwrap();
    let committer = Committer::spawn(log, CommitConfig::default());
    committer.submit(Event { number: 2, mug: 0, jam: payload(2) }).unwrap();
    let err = committer.wait_committed(2).unwrap_err();
    assert!(err.contains("does not continue the log"), "{err}");
    assert!(committer.finish().is_err());
}

/// Which events a kernel mug belongs to (how a snapshot that holds another kernel than it claims is
/// named): every segment is searched.
#[test]
fn events_are_found_by_their_logged_mug() {
    let dir = tempfile::tempdir().unwrap();
    let mut log = EventLog::open(dir.path(), LogConfig { segment_bytes_max: 512 }).unwrap();
    fill(&mut log, 60, 5); // each event's mug is its number
    log.append([(7u32, b"again".as_slice())]).unwrap();
    assert!(log.segment_paths().count() > 2, "the events span several segments");
    assert_eq!(log.events_with_mug(42).unwrap(), vec![42]);
    assert_eq!(log.events_with_mug(7).unwrap(), vec![7, 61]);
    assert!(log.events_with_mug(1000).unwrap().is_empty());
}
