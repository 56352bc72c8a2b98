//! Scries while the ship computes: the latency and throughput of conn `%peek`s of real paths, first on an
//! idle ship, then while a dojo line computes a loop for many seconds (one event). Vere answers a peek
//! only between events, so during the loop its peeks wait for it to end; engine's readers answer against
//! the newest committed kernel beside it. Not divan: the figures need running ships and client threads.
//!
//! Needs running ships, each named by its control socket: `SCRY_TARGETS` is a comma-separated list of
//! `label=path/to/.urb/conn.sock` (e.g. engine started with `--scry-threads 1`, the same pier copied and
//! started with `--scry-threads 2`, and a Vere ship booted from the same pill). Each target is measured
//! in turn: each path alone for a second on one connection, then `SCRY_CLIENTS` connections (2) peeking
//! the cheap paths one after the other for `SCRY_SECONDS` (4), on the idle ship; then the loop
//! (`SCRY_LOOP` iterations, 200,000,000 by default: over ten seconds in both runtimes) is typed into its
//! dojo and, a second later, the same again while it runs. The bench waits for the loop's event to end
//! (and says whether it outlasted the measurements) before the next target. Paths: `%cx %base
//! /sys/kelvin`, `%cy %base /sys`, `%gx %hood /kiln/pikes/noun` (hood's desks, tens of milliseconds of
//! Arvo's work), `%cz %base /sys/hoon/hoon`.
//!
//! `SCRY_PIER` (a booted pier, read only) measures the readers alone first, in this process: its
//! snapshot loaded, peeks of the cheap paths by one reader thread, then by two at once.
//!
//!     SCRY_PIER=zod SCRY_TARGETS=engine-1=a/.urb/conn.sock,engine-2=b/.urb/conn.sock,vere=c/.urb/conn.sock \
//!       cargo bench -p engine-benches --bench scry

use components::{Heap, Noun};
use engine_io::conn::{Decoder, frame};
use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

fn env_parse<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn term(text: &str) -> u64 {
    let mut bytes = [0u8; 8];
    bytes[..text.len()].copy_from_slice(text.as_bytes());
    u64::from_le_bytes(bytes)
}

/// The jammed `[rid %peek %.n %once care desk path]` of each path measured.
fn peeks(heap: &mut Heap) -> Vec<Vec<u8>> {
    let paths: [(&str, &str, &[&str]); 4] = [
        ("cx", "base", &["sys", "kelvin"]),
        ("cy", "base", &["sys"]),
        ("gx", "hood", &["kiln", "pikes", "noun"]),
        ("cz", "base", &["sys", "hoon", "hoon"]),
    ];
    paths
        .iter()
        .enumerate()
        .map(|(i, (care, desk, path))| {
            let items: Vec<Noun> = path.iter().map(|p| heap.atom_u64(term(p))).collect();
            let path = heap.list(&items);
            let (care, desk) = (heap.atom_u64(term(care)), heap.atom_u64(term(desk)));
            let (rid, peek, once) =
                (heap.atom_u64(i as u64 + 1), heap.atom_u64(term("peek")), heap.atom_u64(term("once")));
            let request = heap.tuple(&[rid, peek, Noun::ONE, once, care, desk, path]);
            heap.jam(request)
        })
        .collect()
}

/// The paths' names in the report.
const PATHS: [&str; 4] = ["cx-kelvin", "cy-sys", "gx-pikes", "cz-hoon"];

/// Sends one request and reads its reply (its size in bytes).
fn ask(stream: &mut UnixStream, decoder: &mut Decoder, request: &[u8]) -> usize {
    stream.write_all(&frame(request)).expect("the ship takes the request");
    let mut buffer = [0u8; 64 << 10];
    loop {
        if let Some(reply) = decoder.next_frame().expect("a well-framed reply") {
            return reply.len();
        }
        let n = stream.read(&mut buffer).expect("a reply");
        assert!(n > 0, "the ship closed the connection");
        decoder.feed(&buffer[..n]);
    }
}

/// `clients` connections peeking for `seconds`: each peek's latency, and the peeks per second.
/// Which paths a measurement cycles through.
#[derive(Clone, Copy)]
enum Paths {
    Only(usize),
    /// All but hood's pikes (tens of milliseconds of Arvo's own work in both runtimes).
    Cheap,
}

fn measure(socket: &str, clients: usize, seconds: f64, paths: Paths) -> (Vec<Duration>, f64) {
    let start = Arc::new(Barrier::new(clients));
    let threads: Vec<_> = (0..clients)
        .map(|c| {
            let (socket, start) = (socket.to_string(), Arc::clone(&start));
            std::thread::spawn(move || {
                let mut heap = Heap::new();
                let mut requests = peeks(&mut heap);
                match paths {
                    Paths::Only(only) => requests = vec![requests.swap_remove(only)],
                    Paths::Cheap => drop(requests.remove(2)),
                }
                let mut stream = UnixStream::connect(&socket).expect("the ship's conn.sock");
                let mut decoder = Decoder::default();
                let mut latencies = Vec::new();
                start.wait();
                let began = Instant::now();
                let mut i = c;
                while began.elapsed().as_secs_f64() < seconds {
                    let sent = Instant::now();
                    ask(&mut stream, &mut decoder, &requests[i % requests.len()]);
                    latencies.push(sent.elapsed());
                    i += 1;
                }
                (latencies, began.elapsed())
            })
        })
        .collect();
    let mut all = Vec::new();
    let mut longest = Duration::ZERO;
    for thread in threads {
        let (latencies, took) = thread.join().unwrap();
        all.extend(latencies);
        longest = longest.max(took);
    }
    all.sort();
    let rate = all.len() as f64 / longest.as_secs_f64();
    (all, rate)
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let at = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[at].as_secs_f64() * 1000.0
}

/// Types `line` into the dojo through conn's `%ovum` requests; the reply to the last one (its `%ret`)
/// comes once its event has been computed. Returns the connection that waits for it.
fn type_line(socket: &str, line: &str, ended: Arc<AtomicBool>) -> std::thread::JoinHandle<Duration> {
    let (socket, line) = (socket.to_string(), line.to_string());
    std::thread::spawn(move || {
        let mut heap = Heap::new();
        let mut stream = UnixStream::connect(&socket).expect("the ship's conn.sock");
        let mut decoder = Decoder::default();
        let ova = engine_io::term::line_ova(&mut heap, &line);
        let began = Instant::now();
        for (i, ovum) in ova.into_iter().enumerate() {
            let (wire, card) = heap.cell_parts(ovum).unwrap();
            let (target, rest) = heap.cell_parts(wire).unwrap();
            let (rid, tag) = (heap.atom_u64(100 + i as u64), heap.atom_u64(term("ovum")));
            let request = heap.tuple(&[rid, tag, target, rest, card]);
            let bytes = heap.jam(request);
            ask(&mut stream, &mut decoder, &bytes);
        }
        ended.store(true, Ordering::Relaxed);
        began.elapsed()
    })
}

fn report(label: &str, phase: &str, latencies: &[Duration], rate: f64) {
    println!(
        "{label:>10} {phase:<19} {:>6} peeks  {rate:>9.0} peeks/s  p50 {:>8.3} ms  p99 {:>9.3} ms  max {:>9.3} ms",
        latencies.len(),
        percentile(latencies, 0.5),
        percentile(latencies, 0.99),
        percentile(latencies, 1.0),
    );
}

/// Each path alone on one connection for a second, then `clients` connections on the cheap paths (all
/// but hood's pikes) for `seconds`: the report lines, and the peeks per second of the second part.
/// While the loop runs, a measurement is made only if the loop has not ended yet (`ended`): one that
/// waited for the whole loop (Vere) is reported, the ones after it would measure an idle ship.
fn phase(label: &str, phase: &str, socket: &str, clients: usize, seconds: f64, ended: &AtomicBool) -> f64 {
    let mut rate = f64::NAN;
    let singles = PATHS.iter().enumerate().map(|(path, name)| (1, 1.0, Paths::Only(path), name.to_string()));
    let mixed = (clients, seconds, Paths::Cheap, format!("{clients} clients"));
    for (clients, seconds, paths, name) in singles.chain([mixed]) {
        if ended.load(Ordering::Relaxed) {
            println!("{label:>10} {phase} {name:<14} not measured: the loop had ended");
            continue;
        }
        let (latencies, r) = measure(socket, clients, seconds, paths);
        report(label, &format!("{phase} {name}"), &latencies, r);
        rate = r;
    }
    rate
}

/// The readers alone, in this process: a booted pier's snapshot loaded, and peeks of the cheap paths by
/// one reader thread for `seconds`, then by two at once: the peeks per second of each, and the ratio.
fn readers_alone(pier: &str, seconds: f64) {
    use systems::scry::{PeekLimits, Reader};
    let snap = std::path::Path::new(pier).join(".engine/snap");
    let (heap, info) = store::snapshot::load(&snap).expect("a snapshot to load");
    let mut serf = systems::serf::Serf::restore(heap, &info.roots, info.event).expect("a kernel");
    let published = serf.share_with_readers();
    let mut rates = Vec::new();
    for readers in [1, 2] {
        let start = Arc::new(Barrier::new(readers));
        let threads: Vec<_> = (0..readers)
            .map(|r| {
                let (published, start) = (Arc::clone(&published), Arc::clone(&start));
                std::thread::spawn(move || {
                    let mut heap = Heap::new();
                    let mut requests = peeks(&mut heap);
                    requests.remove(2);
                    // The nom alone: the request's tail past `[rid %peek`.
                    let noms: Vec<Vec<u8>> = requests
                        .iter()
                        .map(|r| {
                            let request = heap.cue(r).unwrap();
                            let nom = heap.tail(heap.tail(request).unwrap()).unwrap();
                            heap.jam(nom)
                        })
                        .collect();
                    let mut reader = Reader::new();
                    start.wait();
                    let began = Instant::now();
                    let mut done = 0usize;
                    while began.elapsed().as_secs_f64() < seconds {
                        let nom = &noms[(done + r) % noms.len()];
                        reader.peek(&published, nom, PeekLimits::default(), |_, result| {
                            result.expect("an answer")
                        });
                        done += 1;
                    }
                    (done, began.elapsed())
                })
            })
            .collect();
        let (mut done, mut longest) = (0, Duration::ZERO);
        for thread in threads {
            let (d, took) = thread.join().unwrap();
            done += d;
            longest = longest.max(took);
        }
        let rate = done as f64 / longest.as_secs_f64();
        println!("in process: {readers} reader(s): {done} peeks, {rate:.0} peeks/s");
        rates.push(rate);
    }
    println!("in process: 2 readers / 1 reader: {:.2}x", rates[1] / rates[0]);
    drop(serf);
}

fn main() {
    let seconds: f64 = env_parse("SCRY_SECONDS", 4.0);
    if let Ok(pier) = std::env::var("SCRY_PIER") {
        readers_alone(&pier, seconds);
    }
    let Ok(targets) = std::env::var("SCRY_TARGETS") else {
        eprintln!(
            "scry bench: set SCRY_TARGETS=label=path/to/conn.sock,... for running ships (see the file's header)"
        );
        return;
    };
    let clients: usize = env_parse("SCRY_CLIENTS", 2);
    let iterations: String = env_parse("SCRY_LOOP", "200.000.000".to_string());
    let line = format!("=|(i=@ |-(?:(=(i {iterations}) i $(i +(i)))))");
    let mut rates = Vec::new();
    for target in targets.split(',') {
        let (label, socket) = target.split_once('=').expect("label=path");
        let idle = phase(label, "idle", socket, clients, seconds, &AtomicBool::new(false));
        let ended = Arc::new(AtomicBool::new(false));
        let typed = type_line(socket, &line, Arc::clone(&ended));
        std::thread::sleep(Duration::from_secs(1));
        let began = Instant::now();
        let busy = phase(label, "loop", socket, clients, seconds, &ended);
        let measured = began.elapsed().as_secs_f64() + 1.0;
        let took = typed.join().unwrap().as_secs_f64();
        let within = match took > measured {
            true => "after the measurements",
            false => "while they ran (those after it were skipped; one that waited for it shows it)",
        };
        println!("{label:>10} the loop's event took {took:.1} s; it ended {within}");
        rates.push((label.to_string(), idle, busy));
    }
    if let [(first, idle_base, busy_base), rest @ ..] = rates.as_slice() {
        for (label, idle, busy) in rest {
            println!(
                "peeks/s of {label} against {first}: idle {:.2}x, during the loop {:.2}x",
                idle / idle_base,
                busy / busy_base
            );
        }
    }
}
