//! Bad input from outside, as a user meets it: files that are not pills, a pier written by a newer engine,
//! a log with a segment missing. Each is a clear error and a non-zero status, and leaves nothing half made
//! and nothing overwritten.

use engine_tests::{pill_bytes, pill_path};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use store::{EventLog, LogConfig, Meta};

fn engine(args: &[&str]) -> Output {
    let cache = std::env::temp_dir().join(format!("engine-bad-input-cache-{}", std::process::id()));
    Command::new(env!("CARGO_BIN_EXE_engine"))
        .env("ENGINE_CACHE", cache)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("engine runs")
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn refused(out: &Output, what: &str) -> String {
    assert!(!out.status.success(), "{what}: succeeded\nstderr: {}", stderr(out));
    stderr(out)
}

fn boot_baby(dir: &Path) -> PathBuf {
    let pier = dir.join("baby");
    let pill = pill_path("sword-baby.pill");
    let out = engine(&["boot", "--pill", pill.to_str().unwrap(), pier.to_str().unwrap()]);
    assert!(out.status.success(), "boot: {}", stderr(&out));
    pier
}

/// Every file under the pier's `.engine` (but the lock, which holds the pid of whoever opened it last).
fn files(pier: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut found = BTreeMap::new();
    let mut dirs = vec![pier.join(".engine")];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.file_name().is_some_and(|n| n != "lock") {
                found.insert(path.clone(), std::fs::read(&path).unwrap());
            }
        }
    }
    found
}

/// CRC-32 (IEEE), as the pier's files are checked.
fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &byte in bytes {
        crc ^= byte as u32;
        for _ in 0..8 {
            crc = if crc & 1 == 1 { (crc >> 1) ^ 0xedb8_8320 } else { crc >> 1 };
        }
    }
    !crc
}

#[test]
fn boot_refuses_files_that_are_not_pills_and_leaves_no_pier() {
    let dir = tempfile::tempdir().unwrap();
    let baby = pill_bytes("sword-baby.pill");
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let random: Vec<u8> = (0..4096)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state as u8
        })
        .collect();
    let mut heap = components::Heap::new();
    let wrong_shape = heap.parse("[1 2 3]").unwrap();
    // A %pill whose lifecycle is empty: it reads as a pill, and the boot fails after the pier is made.
    let empty_pill = heap.parse(&format!("[{} 0 0 0 0]", u32::from_le_bytes(*b"pill"))).unwrap();
    let cases: [(&str, Vec<u8>); 6] = [
        ("empty", Vec::new()),
        ("random", random),
        ("truncated", baby[..baby.len() / 2].to_vec()),
        ("wrong-shape", heap.jam(wrong_shape)),
        ("empty-lifecycle", heap.jam(empty_pill)),
        ("ivory", pill_bytes("ivory.pill")),
    ];
    for (name, bytes) in cases {
        let pill = dir.path().join(format!("{name}.pill"));
        std::fs::write(&pill, bytes).unwrap();
        let pier = dir.path().join(name);
        let out = engine(&["boot", "--pill", pill.to_str().unwrap(), pier.to_str().unwrap()]);
        let text = refused(&out, name);
        assert!(!text.trim().is_empty() && !text.contains("panicked"), "{name}: {text}");
        assert!(text.lines().count() <= 20, "{name}: a short message, not a dump: {text}");
        assert!(!pier.exists(), "{name}: the failed boot left {}", pier.display());
    }
}

#[test]
fn a_pier_of_a_newer_format_is_refused_and_left_as_it_was() {
    let dir = tempfile::tempdir().unwrap();
    let pier = boot_baby(dir.path());
    let meta_path = pier.join(".engine/meta");
    let meta = Meta::read(&meta_path).unwrap();
    Meta { version: store::meta::VERSION + 1, ..meta }.write(&meta_path).unwrap();
    let before = files(&pier);
    let text = refused(&engine(&["run", "-x", pier.to_str().unwrap()]), "run, newer meta");
    assert!(text.contains("newer engine") && text.contains("meta"), "{text}");
    assert_eq!(files(&pier), before, "the pier is untouched");
    meta.write(&meta_path).unwrap();

    // A snapshot manifest of a later format: refused, not set aside as damaged.
    let manifest = pier.join(".engine/snap/manifest");
    let mut bytes = std::fs::read(&manifest).unwrap();
    let body = bytes.len() - 4;
    bytes[4..8].copy_from_slice(&99u32.to_le_bytes());
    let crc = crc32(&bytes[..body]);
    bytes[body..].copy_from_slice(&crc.to_le_bytes());
    std::fs::write(&manifest, &bytes).unwrap();
    let before = files(&pier);
    let text = refused(&engine(&["run", "-x", pier.to_str().unwrap()]), "run, newer snapshot");
    assert!(text.contains("newer engine") && text.contains("format 99"), "{text}");
    assert_eq!(files(&pier), before, "the snapshot is neither set aside nor replaced");
}

#[test]
fn a_log_with_a_missing_segment_is_refused_naming_the_hole() {
    let dir = tempfile::tempdir().unwrap();
    let pier = boot_baby(dir.path());
    let log_dir = pier.join(".engine/log");
    // More events, in small segments (their content never runs: the hole is found first).
    let mut log = EventLog::open(&log_dir, LogConfig { segment_bytes_max: 256 }).unwrap();
    for n in 0..40u8 {
        log.append([(0, [n; 100].as_slice())]).unwrap();
    }
    let segments: Vec<PathBuf> = log.segment_paths().map(Path::to_path_buf).collect();
    drop(log);
    assert!(segments.len() > 4, "{} segments", segments.len());
    std::fs::remove_file(&segments[2]).unwrap();
    let before = files(&pier);
    let text = refused(&engine(&["run", "-x", pier.to_str().unwrap()]), "run");
    let next = segments[3].file_name().unwrap().to_str().unwrap();
    assert!(text.contains("hole") && text.contains("missing") && text.contains(next), "{text}");
    assert_eq!(files(&pier), before, "nothing is truncated or rewritten");
}
