//! Scries beside events, through a real `engine run` and its control socket: a peek sent while a long
//! event computes is answered before the event ends, against the kernel the last event left; once the
//! event ends, peeks see its state. With `--scry-threads 0` the same peek waits for the event (Vere's
//! behaviour).

mod common;

use common::{Running, boot_pill, conn_ask, t};
use components::Heap;
use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

/// A journal kernel (its state keeps every ovum) whose poke first runs a loop of tens of millions of
/// steps (seconds) when the card is `%slow`, and whose peek gate answers `[~ ~ %noun [nom state]]`.
fn slow_journal_pill(dir: &Path) -> PathBuf {
    let arm = "[6 [5 [0 6] [0 7]] [0 6] [9 2 [10 [6 [4 0 6]] [0 1]]]]";
    let normal = "[[1 0] [0 14] [[0 13] [0 15]]]";
    let slow = format!("[7 [8 [9 2 [1 [{arm} [0 40000000]]]] [0 3]] {normal}]");
    let battery = format!("[6 [5 [1 {}] [0 54]] {slow} {normal}]", t("slow"));
    let peek = format!("[[1 0] [1 0] [1 {}] [0 13] [0 15]]", t("noun"));
    let text = engine_tests::kernel_pill_with_peek("slow", &battery, &peek);
    let mut heap = Heap::new();
    let noun = heap.parse(&text).unwrap();
    let path = dir.join("slow.pill");
    std::fs::write(&path, heap.jam(noun)).unwrap();
    path
}

fn start(pier: &Path, extra: &[&str]) -> Child {
    let mut args: Vec<&std::ffi::OsStr> =
        ["--no-http", "--no-ames"].iter().chain(extra).map(|a| a.as_ref()).collect();
    args.push(pier.as_os_str());
    common::start_run(&args, &[pier], Stdio::null())
}

fn connect(pier: &Path) -> UnixStream {
    let stream = UnixStream::connect(pier.join(".urb/conn.sock")).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(120))).unwrap();
    stream
}

/// `[rid %peek %x n]`: the reply, printed, and how long it took. (One connection for all the peeks: a
/// connection closing is an event, khan's `%done`.)
fn peek(stream: &mut UnixStream, heap: &mut Heap, n: u64) -> (String, Duration) {
    let began = Instant::now();
    let reply = conn_ask(stream, heap, &format!("[1 {} {} {n}]", t("peek"), t("x")));
    (reply, began.elapsed())
}

/// Whether a reply has come on `stream` (without waiting).
fn replied(stream: &mut UnixStream) -> bool {
    stream.set_nonblocking(true).unwrap();
    let mut byte = [0u8; 1];
    let answer = matches!(stream.read(&mut byte), Ok(n) if n > 0);
    stream.set_nonblocking(false).unwrap();
    answer
}

/// What one case saw: the peek before the slow event, during it, after it; whether the event was still
/// computing when the peek during it was answered; and the ship's stderr.
struct Case {
    before: String,
    during: String,
    after: String,
    event_still_running: bool,
    stderr: String,
}

fn run_case(scry_threads: &str) -> Case {
    let dir = tempfile::tempdir().unwrap();
    let pier = boot_pill(dir.path(), "slow", slow_journal_pill(dir.path()));
    let mut running = Running(Some(start(&pier, &["--scry-threads", scry_threads])));
    let mut heap = Heap::new();
    let mut peeker = connect(&pier);
    // The start events may still be computing: the state is settled once two peeks agree.
    let mut before = peek(&mut peeker, &mut heap, 7).0;
    loop {
        std::thread::sleep(Duration::from_millis(200));
        let (again, _) = peek(&mut peeker, &mut heap, 7);
        if again == before {
            break;
        }
        before = again;
    }
    // `[2 %ovum %d [%test ~] %slow ~]`: the slow event, injected; its reply comes when it is computed.
    let mut slow = connect(&pier);
    let ovum =
        heap.parse(&format!("[2 {} {} [{} 0] {} 0]", t("ovum"), 'd' as u32, t("test"), t("slow"))).unwrap();
    slow.write_all(&engine_io::conn::frame(&heap.jam(ovum))).unwrap();
    std::thread::sleep(Duration::from_millis(300));
    let (during, took) = peek(&mut peeker, &mut heap, 7);
    let event_still_running = !replied(&mut slow);
    eprintln!("--scry-threads {scry_threads}: the peek during the event took {took:?}");
    // The slow event's reply, then a peek that sees it.
    let mut decoder = engine_io::conn::Decoder::default();
    let mut buffer = [0u8; 4096];
    while decoder.next_frame().unwrap().is_none() {
        slow.set_nonblocking(false).unwrap();
        let n = slow.read(&mut buffer).unwrap();
        assert!(n > 0, "the slow event is answered");
        decoder.feed(&buffer[..n]);
    }
    let (after, _) = peek(&mut peeker, &mut heap, 7);
    let out = common::stop_ship(running.0.take().expect("the ship"));
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    Case { before, during, after, event_still_running, stderr }
}

#[test]
fn a_peek_during_a_long_event_is_answered_from_the_last_committed_kernel() {
    let Case { before, during, after, event_still_running, stderr } = run_case("2");
    assert!(event_still_running, "the peek was answered while the event computed");
    assert_eq!(during, before, "against the kernel the last event left");
    assert_ne!(after, before, "after the event, peeks see it (not a kept answer)");
    assert!(after.contains(&t("slow")), "{after}");
    // The same path asked again of the same kernel (the settling peeks, the one during the event) is
    // answered from the answers kept for that kernel.
    let line = stderr.lines().find(|l| l.starts_with("scry: ")).expect(&stderr);
    let hits: u64 = line["scry: ".len()..].split(' ').next().unwrap().parse().unwrap();
    assert!(hits >= 1, "{line}");
}

#[test]
fn without_readers_a_peek_waits_for_the_event_as_in_vere() {
    let Case { before, during, after, .. } = run_case("0");
    assert_ne!(during, before, "the peek was answered once the event had ended: it sees its state");
    assert_eq!(during, after);
}

/// Minutes of peeks on a brass ship while it computes dojo lines, compacts (`%urth %pack`) and writes
/// snapshots (every second): every answer of `%cx %base /sys/kelvin` is the one it gave first, every
/// `%cw %base` (the desk's revision) a cask of the same shape, no peek goes unanswered, and the ship
/// stops cleanly with its log replaying to its snapshot. `ENGINE_BRASS_PIER` (copied) and
/// `ENGINE_SCRY_SOAK_SECONDS` (60).
#[test]
#[ignore = "long: a brass ship (see the README's long tests)"]
fn brass_peeks_stay_right_through_events_compactions_and_snapshots() {
    let Some(booted) = std::env::var_os("ENGINE_BRASS_PIER") else {
        eprintln!("skipped: set ENGINE_BRASS_PIER to a booted brass pier");
        return;
    };
    let seconds: u64 =
        std::env::var("ENGINE_SCRY_SOAK_SECONDS").ok().and_then(|s| s.parse().ok()).unwrap_or(60);
    let dir = tempfile::tempdir().unwrap();
    let pier = dir.path().join("zod");
    common::copy_dir(Path::new(&booted), &pier);
    let _ = std::fs::remove_file(pier.join(".urb/conn.sock"));
    let mut running = Running(Some(start(&pier, &["--snapshot-every", "1"])));
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let peekers: Vec<_> = (0..2)
        .map(|_| {
            let (pier, stop) = (pier.clone(), std::sync::Arc::clone(&stop));
            std::thread::spawn(move || {
                let mut heap = Heap::new();
                let mut stream = connect(&pier);
                let kelvin = common::kelvin_peek(1);
                let revision = format!("[2 {} 1 {} {} {} 0]", t("peek"), t("once"), t("cw"), t("base"));
                let (mut peeks, mut slowest) = (0u64, Duration::ZERO);
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    let began = Instant::now();
                    let reply = conn_ask(&mut stream, &mut heap, &kelvin);
                    assert!(common::kelvin_answered(1, &reply), "after {peeks} peeks: {reply}");
                    let cask = conn_ask(&mut stream, &mut heap, &revision);
                    let omen = format!("[2 {} 0 {} [{} ", t("peek"), t("omen"), t("cw"));
                    assert!(cask.starts_with(&omen) && cask.contains(&format!("] {} ", t("cass"))), "{cask}");
                    slowest = slowest.max(began.elapsed());
                    peeks += 2;
                    if peeks.is_multiple_of(20_000) {
                        heap = Heap::new();
                    }
                }
                (peeks, slowest)
            })
        })
        .collect();
    let began = Instant::now();
    let (mut lines, mut packs) = (0, 0);
    let mut urth = connect(&pier);
    let mut heap = Heap::new();
    while began.elapsed() < Duration::from_secs(seconds) {
        let out = common::engine(&[
            "dojo",
            pier.to_str().unwrap(),
            &format!("=a (turn (gulf 1 {}) |=(n=@ (mul n n)))", engine_tests::dotted(1000 + lines)),
        ]);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        lines += 1;
        if lines.is_multiple_of(5) {
            let reply = conn_ask(&mut urth, &mut heap, &format!("[3 {} {}]", t("urth"), t("pack")));
            assert_eq!(reply, "[3 0]", "%pack taken");
            packs += 1;
        }
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let mut total = 0;
    for peeker in peekers {
        let (peeks, slowest) = peeker.join().expect("every answer right");
        eprintln!("a peeker: {peeks} peeks, the slowest pair {slowest:?}");
        total += peeks;
    }
    common::stop_ship(running.0.take().expect("the ship"));
    let played = common::ok(&common::engine(&["play", pier.to_str().unwrap()]), "play");
    assert!(played.contains("agrees"), "{played}");
    eprintln!("{total} peeks over {seconds} s, {lines} dojo lines, {packs} packs; play: {}", played.trim());
    assert!(total > 1000 && lines > 5 && packs > 0);
}
