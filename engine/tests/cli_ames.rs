//! ames as a user meets it: datagrams thrown at a running ship's UDP socket (good ones become `%hear`
//! events, garbage is dropped and counted, the ship goes on answering), and, in the long test, two fake
//! galaxies booted from brass.pill saying `|hi` to each other, in one process and in two.

mod common;

use common::*;
use std::io::{BufRead, BufReader, Write};
use std::net::UdpSocket;
use std::path::Path;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

/// How many random and mutated datagrams the fuzz test sends (`ENGINE_AMES_FUZZ` for more).
fn fuzz_count() -> usize {
    std::env::var("ENGINE_AMES_FUZZ").ok().and_then(|n| n.parse().ok()).unwrap_or(100_000)
}

/// A small deterministic generator (xorshift), so that a failure can be replayed.
fn next(state: &mut u64) -> u64 {
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    *state
}

/// A datagram from the generator: random bytes, or a good packet damaged (truncated, a bit flipped,
/// its is-ames or relayed bit set, its ranks changed, made too long).
fn garbage(state: &mut u64) -> Vec<u8> {
    let good = engine_io::ames::packet(1, 0, b"some sealed content that the runtime cannot read");
    let mut datagram = good.clone();
    match next(state) % 7 {
        0 => {
            let len = (next(state) % 64) as usize;
            datagram = (0..len).map(|_| next(state) as u8).collect();
        }
        1 => datagram.truncate((next(state) % good.len() as u64) as usize),
        2 => {
            let bit = (next(state) % (8 * good.len() as u64)) as usize;
            datagram[bit / 8] ^= 1 << (bit % 8);
        }
        3 => datagram[0] |= 1 << 3,
        4 => datagram[3] &= 0x7f,
        5 => datagram[1] ^= 0b110,
        _ => datagram.resize(2049 + (next(state) % 100) as usize, 7),
    }
    datagram
}

/// A counter-kernel pier whose kernel answers every `/peers/...` scry with one lane, galaxy ~nec's (so a
/// packet for any ship is forwarded to ~nec's fake address); its other peeks crash.
fn boot_forwarder(dir: &Path) -> std::path::PathBuf {
    // The peek gate's subject is [battery [lyc nom] kernel]: in a `%once` peek the path's first item is
    // at axis 446.
    let lanes = format!("[1 0 {} [0 1] 0]", t("noun"));
    let peek = format!("[6 [5 [1 {}] [0 446]] {lanes} [0 0]]", t("peers"));
    let mut heap = components::Heap::new();
    let text = engine_tests::kernel_pill_text_with_peek("counter", "[4 0 15]", &peek);
    let pill = dir.join("forwarder.pill");
    let noun = heap.parse(&text).unwrap();
    std::fs::write(&pill, heap.jam(noun)).unwrap();
    boot_pill(dir, "counter", pill)
}

/// The ames summary line a stopped ship printed.
fn summary_of(stderr: &str) -> String {
    stderr.lines().find(|l| l.starts_with("ames on 127.0.0.1:")).expect("ames's summary").to_string()
}

#[test]
fn packets_for_ships_whose_lane_scry_fails_are_heard_and_forwarding_stops_after_five_failures() {
    // The counter kernel crashes every peek: each lane scry fails.
    let dir = tempfile::tempdir().unwrap();
    let pier = boot_counter(dir.path());
    let (child, port, stderr, stdout) = run_with_ames(&pier, false);
    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    let to = format!("127.0.0.1:{port}");
    let planets: Vec<u128> = (0..8).map(|k| 0x1_0000 + k).collect();
    for &planet in &planets {
        socket.send_to(&engine_io::ames::packet(0x2_0000, planet, b"for a planet"), &to).unwrap();
        std::thread::sleep(Duration::from_millis(100));
    }
    std::thread::sleep(Duration::from_millis(500));
    let mut child = child;
    drop(child.stdin.take());
    assert!(child.wait().unwrap().success());
    let (stderr, _) = (stderr.join().unwrap(), stdout.join().unwrap());
    assert_eq!(stderr.matches("ames: giving up scry").count(), 1, "{stderr}");
    let summary = summary_of(&stderr);
    assert!(summary.contains("8 heard") && summary.contains("forwarding off"), "{summary}");
    // Six scries failed (the sixth turned forwarding off); the last two packets were heard without one.
    assert!(summary.contains("0 forwarded (6 lane scries, forwarding off)"), "{summary}");
}

#[test]
fn garbage_datagrams_are_dropped_and_counted_and_good_ones_heard() {
    let dir = tempfile::tempdir().unwrap();
    let pier = boot_forwarder(dir.path());
    let (mut child, port, stderr, stdout) = run_with_ames(&pier, false);
    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    let to = format!("127.0.0.1:{port}");
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let started = Instant::now();
    for i in 0..fuzz_count() {
        let datagram = garbage(&mut state);
        socket.send_to(&datagram, &to).unwrap();
        if i % 1000 == 999 {
            // Loopback drops what the receiver's buffer cannot hold: pace the flood a little.
            std::thread::sleep(Duration::from_millis(1));
        }
    }
    eprintln!("sent {} datagrams in {:?}", fuzz_count(), started.elapsed());
    std::thread::sleep(Duration::from_millis(300));
    for n in 0..3u8 {
        socket.send_to(&engine_io::ames::packet(1, 0, &[n; 40]), &to).unwrap();
        std::thread::sleep(Duration::from_millis(100));
    }
    // A planet's packet for ~nec reaches ~zod: forwarded to ~nec's fake address (127.0.0.1:31338), with
    // the lane it came from written in as its origin. A packet for a planet is forwarded on the lanes the
    // kernel gives for it (this one gives ~nec's for every ship).
    let nec = UdpSocket::bind("127.0.0.1:31338").expect("~nec's fake port free for the test");
    nec.set_read_timeout(Some(Duration::from_millis(500))).unwrap();
    let from = match socket.local_addr().unwrap() {
        std::net::SocketAddr::V4(address) => address,
        other => panic!("{other}"),
    };
    for (receiver, content) in [(1u128, &b"forward me"[..]), (0xdead_beef, b"forward me to a planet")] {
        // Sent again until it comes (the socket's buffer may still be full of the flood, and drop it).
        let mut buffer = [0u8; 4096];
        let waited = Instant::now();
        let forwarded = 'found: loop {
            if waited.elapsed() > Duration::from_secs(60) {
                let _ = child.kill();
                let _ = child.wait();
                panic!("the packet for {receiver:#x} was not forwarded: {}", stderr.join().unwrap());
            }
            socket.send_to(&engine_io::ames::packet(0x1234_5678, receiver, content), &to).unwrap();
            while let Ok((n, _)) = nec.recv_from(&mut buffer) {
                if let Ok(header) = engine_io::ames::parse(&buffer[..n])
                    && header.sender == 0x1234_5678
                    && header.receiver == receiver
                {
                    break 'found (header, buffer[..n].to_vec());
                }
            }
        };
        eprintln!("forwarded to {receiver:#x} after {:?}", waited.elapsed());
        assert_eq!(forwarded.0.origin, Some(from));
        assert!(forwarded.1.ends_with(content));
    }
    // The ship still answers: a line typed gives the counter kernel's output.
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(b"still there\n").unwrap();
    drop(stdin);
    let status = child.wait().unwrap();
    let stderr = stderr.join().unwrap();
    assert!(status.success(), "status {status:?}\n{stderr}");
    assert!(stdout.join().unwrap().contains("tick"), "the ship answers after the flood");
    let summary = stderr.lines().find(|l| l.starts_with("ames on 127.0.0.1:")).expect("ames's summary");
    eprintln!("{summary}");
    let heard: u64 = summary.split(": ").nth(1).unwrap().split(' ').next().unwrap().parse().unwrap();
    // Some damaged packets still pass the checks (a flipped bit in the content is the kernel's to find).
    assert!(heard >= 3, "{summary}");
    assert!(!summary.contains(" 0 forwarded"), "{summary}");
    assert!(!summary.contains("(0 lane scries") && !summary.contains("forwarding off"), "{summary}");
    for reason in ["bad header", "checksum mismatch", "truncated body", "oversized"] {
        assert!(summary.contains(reason), "{reason} is counted: {summary}");
    }
    let reader = store::PierReader::open(&pier).unwrap();
    let hears = reader
        .records()
        .iter()
        .filter(|r| {
            let event = reader.read(r.number).unwrap();
            let mut heap = components::Heap::new();
            let job = heap.cue(&event.jam).unwrap();
            let card = heap.tail(job).and_then(|ovum| heap.tail(ovum));
            card.and_then(|c| heap.head(c)).and_then(|t| t.as_direct())
                == Some(u32::from_le_bytes(*b"hear") as u64)
        })
        .count() as u64;
    let queue_full: u64 = summary
        .split([';', ','])
        .find_map(|part| part.trim().strip_suffix(" queue full"))
        .map_or(0, |n| n.trim_start_matches("dropped: ").parse().unwrap());
    assert_eq!(
        hears,
        heard - queue_full,
        "every datagram heard and kept is a %hear event in the log: {summary}"
    );
}

#[test]
fn engine_ames_shows_each_peers_flow_while_the_ship_runs() {
    let dir = tempfile::tempdir().unwrap();
    let pier = boot_counter(dir.path());
    let (mut child, port, stderr, stdout) = run_with_ames(&pier, true);
    let started = Instant::now();
    while std::os::unix::net::UnixStream::connect(pier.join(".urb/conn.sock")).is_err() {
        assert!(started.elapsed() < Duration::from_secs(60), "no conn socket");
        std::thread::sleep(Duration::from_millis(20));
    }
    // Two packets from ~nec, one from ~bud, each from its own socket.
    let nec = UdpSocket::bind("127.0.0.1:0").unwrap();
    let bud = UdpSocket::bind("127.0.0.1:0").unwrap();
    let to = format!("127.0.0.1:{port}");
    nec.send_to(&engine_io::ames::packet(1, 0, b"one"), &to).unwrap();
    nec.send_to(&engine_io::ames::packet(1, 0, b"two"), &to).unwrap();
    bud.send_to(&engine_io::ames::packet(2, 0, b"three"), &to).unwrap();
    let shows = |name: &str, address: std::net::SocketAddr, packets: &str| {
        let out = engine(&["ames", pier.to_str().unwrap()]);
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        let line = text.lines().find(|l| l.starts_with(name)).map(str::to_string);
        line.is_some_and(|l| {
            let fields: Vec<&str> = l.split_whitespace().collect();
            fields.get(1) == Some(&address.to_string().as_str()) && fields.get(2) == Some(&packets)
        })
    };
    let started = Instant::now();
    while !(shows("~nec", nec.local_addr().unwrap(), "2") && shows("~bud", bud.local_addr().unwrap(), "1")) {
        if started.elapsed() > Duration::from_secs(30) {
            let out = engine(&["ames", pier.to_str().unwrap()]);
            panic!(
                "engine ames did not show both flows:\n{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    drop(child.stdin.take());
    assert!(child.wait().unwrap().success(), "{}", stderr.join().unwrap());
    let _ = stdout.join();
    // A ship that is not running: a clear error.
    let out = engine(&["ames", pier.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot reach a running ship"));
}

/// Types `command` at the ship's dojo (through its control socket) and waits until the fleet's output
/// shows `expected` (at most 2 minutes).
fn says(pier: &Path, command: &str, output: &std::sync::Mutex<String>, expected: &str) {
    ok(&engine(&["dojo", pier.to_str().unwrap(), command]), command);
    let started = Instant::now();
    while !output.lock().unwrap().contains(expected) {
        assert!(started.elapsed() < Duration::from_secs(120), "no {expected:?} after {command}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// `engine run -t PIERS` with its stdout and stderr gathered (line by line, in one text).
fn start_fleet_with_output(piers: &[&Path]) -> (Child, std::sync::Arc<std::sync::Mutex<String>>) {
    let mut child = engine_command()
        .args(["run", "-t"])
        .args(piers)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let output = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
    let gather = |stream: Box<dyn std::io::Read + Send>| {
        let gathered = std::sync::Arc::clone(&output);
        std::thread::spawn(move || {
            for line in BufReader::new(stream).lines().map_while(Result::ok) {
                let mut all = gathered.lock().unwrap();
                all.push_str(&line);
                all.push('\n');
            }
        });
    };
    gather(Box::new(child.stdout.take().unwrap()));
    gather(Box::new(child.stderr.take().unwrap()));
    for pier in piers {
        let socket = pier.join(".urb/conn.sock");
        let started = Instant::now();
        while !socket.exists() {
            assert!(started.elapsed() < Duration::from_secs(300), "{} never started", pier.display());
            std::thread::sleep(Duration::from_millis(200));
        }
    }
    (child, output)
}

fn stop(child: Child) {
    let pid = child.id().to_string();
    std::process::Command::new("kill").args(["-TERM", &pid]).status().unwrap();
    assert!(child.wait_with_output().unwrap().status.success());
}

#[test]
#[ignore = "long: boots ~zod, ~nec and ~marzod from brass.pill (about 9 minutes in release)"]
fn brass_ships_say_hi_over_ames_in_one_process_and_in_two_and_a_star_is_reached_through_its_galaxy() {
    let dir = tempfile::tempdir().unwrap();
    let brass = engine_tests::pill_path("brass.pill");
    let boot = |name: &str| {
        let pier = dir.path().join(name);
        let args = ["boot", "--fake", name, "--pill", brass.to_str().unwrap(), pier.to_str().unwrap()];
        ok(&engine(&args), "boot");
        pier
    };
    let (zod, nec, marzod) = (boot("zod"), boot("nec"), boot("marzod"));

    let (fleet, output) = start_fleet_with_output(&[&zod, &nec, &marzod]);
    says(&zod, "|hi ~nec", &output, "hi ~nec successful");
    says(&nec, "|hi ~zod", &output, "hi ~zod successful");
    // ~nec knows no lane to ~marzod: its first packets go to ~marzod's galaxy, ~zod, whose runtime asks
    // its kernel for ~marzod's lane (`/peers/~marzod/forward-lane`) and forwards them there.
    says(&nec, "|hi ~marzod", &output, "hi ~marzod successful");
    stop(fleet);
    let started = Instant::now();
    let zod_summary = loop {
        let text = output.lock().unwrap().clone();
        if let Some(line) = text.lines().find(|l| l.starts_with("ames on 127.0.0.1:31337:")) {
            break line.to_string();
        }
        assert!(started.elapsed() < Duration::from_secs(10), "no summary of ~zod's ames: {text}");
        std::thread::sleep(Duration::from_millis(50));
    };
    eprintln!("{zod_summary}");
    let count = |what: &str| -> u64 {
        let at = zod_summary.find(what).unwrap_or_else(|| panic!("{what} in {zod_summary}"));
        zod_summary[..at].split([' ', '(']).rev().find(|w| !w.is_empty()).unwrap().parse().unwrap()
    };
    assert!(count(" forwarded") >= 1 && count(" lane scries") >= 1, "{zod_summary}");
    assert!(!zod_summary.contains("forwarding off"), "{zod_summary}");

    let (first, first_output) = start_fleet_with_output(&[&zod]);
    let (second, second_output) = start_fleet_with_output(&[&nec]);
    says(&nec, "|hi ~zod", &second_output, "hi ~zod successful");
    says(&zod, "|hi ~nec", &first_output, "hi ~nec successful");
    stop(first);
    stop(second);
}

/// Every event's logged mug, for each pier.
fn logged_mugs(piers: &[std::path::PathBuf]) -> Vec<Vec<(u64, u32)>> {
    piers
        .iter()
        .map(|pier| {
            let reader = store::PierReader::open(pier).unwrap();
            reader.records().iter().map(|r| (r.number, r.mug)).collect()
        })
        .collect()
}

/// Copies of `piers` run as a fleet on the simulated network with this seed and these threads, with
/// `lines` typed: each copy's logged mugs, and what the fleet printed.
fn simulated_run(
    dir: &Path,
    piers: &[&Path],
    seed: &str,
    threads: &str,
    lines: &str,
) -> (Vec<Vec<(u64, u32)>>, String) {
    let run = dir.join(format!("run-{seed}-{threads}"));
    let copies: Vec<std::path::PathBuf> = piers
        .iter()
        .map(|pier| {
            let copy = run.join(pier.file_name().unwrap());
            copy_dir(pier, &copy);
            copy
        })
        .collect();
    let mut child = engine_command()
        .args(["run", "-x", "--virtual-time", "--seed", seed, "--threads", threads, "--net", "sim"])
        .args(["--net-loss", "0.2", "--net-duplicate", "0.1", "--net-jitter-ms", "40"])
        .args(&copies)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(lines.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    let printed = ok(&out, "run on the simulated network");
    eprintln!(
        "{}",
        String::from_utf8_lossy(&out.stderr)
            .lines()
            .filter(|l| l.contains("simulated"))
            .collect::<Vec<_>>()
            .join("\n")
    );
    (logged_mugs(&copies), printed)
}

#[test]
#[ignore = "long: boots three galaxies from brass.pill (about 9 minutes in release)"]
fn a_brass_fleet_on_the_simulated_network_logs_the_same_mugs_for_the_same_seed() {
    let dir = tempfile::tempdir().unwrap();
    let brass = engine_tests::pill_path("brass.pill");
    let piers: Vec<std::path::PathBuf> = ["zod", "nec", "bus"]
        .iter()
        .map(|name| {
            let pier = dir.path().join(name);
            let args = ["boot", "--fake", name, "--pill", brass.to_str().unwrap(), pier.to_str().unwrap()];
            ok(&engine(&args), "boot");
            pier
        })
        .collect();
    let piers: Vec<&Path> = piers.iter().map(|p| p.as_path()).collect();
    let lines =
        "~zod: |hi ~nec\n~nec: |hi ~bus\n~bus: |hi ~zod\n~zod: |hi ~bus\n~nec: |hi ~zod\n~bus: |hi ~nec\n";
    let (one, printed) = simulated_run(dir.path(), &piers, "7", "1", lines);
    let (two, _) = simulated_run(dir.path(), &piers, "7", "2", lines);
    let (other, _) = simulated_run(dir.path(), &piers, "8", "2", lines);
    assert!(printed.contains("successful"), "some |hi got through: {printed}");
    assert!(one.iter().all(|mugs| mugs.len() > 13), "the fleet computed events");
    assert_eq!(one, two, "the same seed: the same mug after every event, on one thread and two");
    assert_ne!(one, other, "another seed: another history");
}
