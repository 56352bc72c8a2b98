//! Bad input from outside, as a user meets it: files that are not pills, a pier written by a newer engine,
//! a log with a segment missing. Each is a clear error and a non-zero status, and leaves nothing half made
//! and nothing overwritten.

use engine_tests::{pill_bytes, pill_path};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use store::{EventLog, LogConfig, Meta};

mod common;

/// The engine's cache for these tests: a fresh one for each run.
fn cache() -> PathBuf {
    common::process_cache("bad-input-cache")
}

fn engine(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_engine"))
        .env("ENGINE_CACHE", cache())
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

/// A term or short cord as a decimal atom, for the text notation.
fn t(text: &str) -> String {
    let mut bytes = [0u8; 16];
    bytes[..text.len()].copy_from_slice(text.as_bytes());
    u128::from_le_bytes(bytes).to_string()
}

/// `engine run PIER`, once it listens on its control socket.
fn start_ship(pier: &Path) -> std::process::Child {
    let mut child = Command::new(env!("CARGO_BIN_EXE_engine"))
        .args(["run", pier.to_str().unwrap()])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let socket = pier.join(".urb/conn.sock");
    for _ in 0..1200 {
        if let Ok(Some(status)) = child.try_wait() {
            panic!("engine run ended ({status}) before listening");
        }
        if std::os::unix::net::UnixStream::connect(&socket).is_ok() {
            return child;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let _ = child.kill();
    panic!("engine run did not listen on {} within a minute", socket.display());
}

/// Sends `payload` as one frame on a new connection: the reply, printed, or `None` if the ship closed the
/// connection without one.
fn ask(pier: &Path, what: &str, payload: &[u8]) -> Option<String> {
    use std::io::{Read, Write};
    let mut stream = std::os::unix::net::UnixStream::connect(pier.join(".urb/conn.sock")).unwrap();
    stream.set_read_timeout(Some(std::time::Duration::from_secs(60))).unwrap();
    stream.write_all(&engine_io::conn::frame(payload)).unwrap();
    let mut decoder = engine_io::conn::Decoder::default();
    let mut buffer = [0u8; 4096];
    loop {
        if let Some(reply) = decoder.next_frame().expect("the ship's replies are well framed") {
            let mut heap = components::Heap::new();
            let noun = heap.cue(&reply).expect("the ship's replies cue");
            return Some(heap.print(noun));
        }
        let n = stream.read(&mut buffer);
        let n = n.unwrap_or_else(|e| panic!("{what}: no reply and no close within a minute: {e}"));
        if n == 0 {
            return None;
        }
        decoder.feed(&buffer[..n]);
    }
}

fn jam_of(text: &str) -> Vec<u8> {
    let mut heap = components::Heap::new();
    let noun = heap.parse(text).unwrap();
    heap.jam(noun)
}

/// Every conn request shape with a part of the wrong type: the ones that cannot be read are refused with
/// their bail (and the connection closed); the ones that can are answered, their events computed (or
/// failed) as any other; the ship answers a good request after each and stops cleanly at the end.
///
/// Not here: a `%fyrd` whose card is not `[desk name mark data]` is taken and sent to khan, and a kernel
/// without khan (this one) never answers it, so its connection waits for ever.
#[test]
fn conn_requests_of_the_wrong_types_are_refused_or_answered_and_the_ship_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let pier = boot_baby(dir.path());
    let mut child = start_ship(&pier);
    let bail = |code: i64, tag: &str| format!("[0 {} {} {}]", t("bail"), code as u32, t(tag));
    let big = "9".repeat(3000);
    let refused: Vec<(String, Vec<u8>, String)> = vec![
        ("not a jam".into(), vec![0xff, 0xff, 0xff], bail(-1, "cue-none")),
        ("an empty frame".into(), Vec::new(), bail(-9, "frame-bad")),
        ("an atom".into(), jam_of("5"), bail(-2, "jar-bad")),
        ("a cell rid".into(), jam_of(&format!("[[1 2] {} {} 0]", t("peel"), t("who"))), bail(-2, "jar-bad")),
        ("an atom request".into(), jam_of("[1 5]"), bail(-2, "jar-bad")),
        ("a cell tag".into(), jam_of("[1 [1 2] 0]"), bail(-3, "tag-unknown")),
        ("an unknown tag".into(), jam_of(&format!("[1 {} 0]", t("zzz"))), bail(-3, "tag-unknown")),
        ("an ovum of an atom".into(), jam_of(&format!("[1 {} 5]", t("ovum"))), bail(-6, "ovum-bad")),
        (
            "an ovum without a card".into(),
            jam_of(&format!("[1 {} {} 5]", t("ovum"), t("d"))),
            bail(-6, "ovum-bad"),
        ),
        ("an urth of a number".into(), jam_of(&format!("[1 {} 5]", t("urth"))), bail(-7, "urth-bad")),
        ("an urth of a cell".into(), jam_of(&format!("[1 {} [1 2] 3]", t("urth"))), bail(-7, "urth-bad")),
        (
            "a dojo line that is a cell".into(),
            jam_of(&format!("[1 {} 1 2]", t("dojo"))),
            bail(-3, "tag-unknown"),
        ),
    ];
    for (what, payload, expected) in &refused {
        assert_eq!(ask(&pier, what, payload).as_deref(), Some(expected.as_str()), "{what}");
    }
    // Readable, with parts of the wrong type: answered (a peel of an unknown path gives ~), or computed.
    let answered = [
        ("a peel of an atom path", format!("[2 {} 5]", t("peel"))),
        ("a peel of a path of cells", format!("[2 {} [1 2] [3 4] 0]", t("peel"))),
        ("a peel of a huge atom", format!("[2 {} {big} 0]", t("peel"))),
        ("a peek of an atom", format!("[2 {} 5]", t("peek"))),
        ("a peek of cells", format!("[2 {} [1 2] [3 4] 5]", t("peek"))),
        ("an ovum with a cell target", format!("[2 {} [1 2] [3 0] 4]", t("ovum"))),
        ("an ovum with an atom card", format!("[2 {} {} [{} 0] 5]", t("ovum"), t("d"), t("term"))),
        ("an ovum with a huge card", format!("[2 {} {} [{} 0] {big}]", t("ovum"), t("d"), t("term"))),
    ];
    for (what, request) in &answered {
        let reply = ask(&pier, what, &jam_of(request));
        let reply = reply.unwrap_or_else(|| panic!("{what}: the connection closed without a reply"));
        assert!(reply.starts_with("[2 "), "{what}: {reply}");
        let who = ask(&pier, "a peel of who", &jam_of(&format!("[3 {} {} 0]", t("peel"), t("who"))));
        assert_eq!(who.as_deref(), Some("[3 0 0]"), "after {what}, the ship answers");
    }
    let kill = Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
    assert!(kill.success());
    drop(child.stdin.take());
    let status = child.wait().unwrap();
    assert!(status.success(), "the ship stops cleanly after it all: {status}");
}

/// A 1 GiB `-I` file (sparse: nothing to read) is refused by its size, before anything is read.
#[test]
fn a_1_gib_inject_file_is_refused_quickly_without_being_read() {
    let dir = tempfile::tempdir().unwrap();
    let pier = boot_baby(dir.path());
    let big = dir.path().join("big.jam");
    std::fs::File::create(&big).unwrap().set_len(1 << 30).unwrap();
    let started = std::time::Instant::now();
    let out = engine(&["run", "-x", "-I", big.to_str().unwrap(), pier.to_str().unwrap()]);
    let text = refused(&out, "run -I big.jam");
    assert!(text.contains("big.jam") && text.contains("too large"), "{text}");
    assert!(started.elapsed() < std::time::Duration::from_secs(3), "took {:?}", started.elapsed());
    let ok = engine(&["run", "-x", pier.to_str().unwrap()]);
    assert!(ok.status.success(), "the pier is unharmed: {}", stderr(&ok));
}

/// A small tmpfs mounted at `dir` (we may be root), unmounted when dropped; `None`, with the reason
/// printed, where mounting is not allowed.
struct Tmpfs(PathBuf);

impl Tmpfs {
    fn mount(dir: &Path, size: &str) -> Option<Tmpfs> {
        std::fs::create_dir_all(dir).unwrap();
        let out = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir)
            .output();
        match out {
            Ok(out) if out.status.success() => Some(Tmpfs(dir.to_path_buf())),
            Ok(out) => {
                eprintln!(
                    "skipped: cannot mount a tmpfs here: {}",
                    String::from_utf8_lossy(&out.stderr).trim()
                );
                None
            }
            Err(e) => {
                eprintln!("skipped: no mount command: {e}");
                None
            }
        }
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
    }
}

/// Fills the filesystem of `dir` with a file, then frees `spare` bytes of it: the file, to free later.
fn fill(dir: &Path, spare: u64) -> PathBuf {
    use std::io::Write;
    let path = dir.join("filler");
    let mut file = std::fs::File::create(&path).unwrap();
    let block = vec![0xa5u8; 4096];
    let mut written = 0u64;
    while file.write_all(&block).is_ok() {
        written += block.len() as u64;
    }
    file.set_len(written.saturating_sub(spare)).unwrap();
    file.sync_all().unwrap();
    path
}

/// A full disk (a small tmpfs): a boot that cannot write its pier fails and leaves none; a running ship
/// that fills the disk reports it and exits with an error, every event whose output it printed (its
/// acknowledged events) is in the log, and once space is freed the ship starts again and goes on.
#[test]
fn a_full_disk_is_reported_loses_no_acknowledged_event_and_a_restart_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let Some(disk) = Tmpfs::mount(&dir.path().join("disk"), "1m") else { return };
    let pill = pill_path("sword-baby.pill");
    let filler = fill(&disk.0, 32 << 10);
    let pier = disk.0.join("baby");
    let out = engine(&["boot", "--pill", pill.to_str().unwrap(), pier.to_str().unwrap()]);
    let text = refused(&out, "boot on a full disk");
    assert!(text.contains("No space left on device"), "{text}");
    assert!(!pier.exists(), "the failed boot left {}", pier.display());

    std::fs::remove_file(&filler).unwrap();
    let out = engine(&["boot", "--pill", pill.to_str().unwrap(), pier.to_str().unwrap()]);
    assert!(out.status.success(), "boot: {}", stderr(&out));
    let booted = EventLog::open(&pier.join(".engine/log"), LogConfig::default()).unwrap().last();
    let filler = fill(&disk.0, 16 << 10);
    let lines: String = (0..20_000).map(|i| format!("line {i} of the full disk test\n")).collect();
    let mut child = Command::new(env!("CARGO_BIN_EXE_engine"))
        .args(["run", "-x", pier.to_str().unwrap()])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let feeder = std::thread::spawn(move || {
        let _ = std::io::Write::write_all(&mut stdin, lines.as_bytes());
    });
    let out = child.wait_with_output().unwrap();
    feeder.join().unwrap();
    let text = refused(&out, "run on a full disk");
    assert!(text.contains("No space left on device"), "{text}");
    let acknowledged = String::from_utf8_lossy(&out.stdout).matches("effect").count() as u64;
    assert!(acknowledged > 10, "the ship ran a while first: {acknowledged} outputs");
    std::fs::remove_file(&filler).unwrap();
    let logged = EventLog::open(&pier.join(".engine/log"), LogConfig::default()).unwrap().last();
    assert!(
        logged - booted >= acknowledged,
        "{acknowledged} outputs were printed, but only {} events after the boot's {booted} are in the log",
        logged - booted
    );

    let out = engine(&["run", "-x", pier.to_str().unwrap()]);
    assert!(out.status.success(), "the restart after space was freed: {}", stderr(&out));
    let after = EventLog::open(&pier.join(".engine/log"), LogConfig::default()).unwrap().last();
    assert!(after > logged, "the ship went on: {after} events, {logged} before");
}
