//! The web server under load, against Vere's in the same run: the same ship's pages served by engine and
//! by Vere, measured alternately (round by round) with the same client. Not divan: a server's
//! throughput and latency need many connections at once, which this client makes with threads.
//!
//! For each server and each path (`/~/login`, an Arvo event each; `/~_~/healthz`, the runtime alone): 50
//! keep-alive connections, each sending its requests one after the other; requests per second (median of
//! the rounds) and the latency of every request (p50, p99). Then 10,000 connections held open at once,
//! each asking `/~_~/healthz`: how long to open them, and to have every one answered.
//!
//! Needs running ships: `ENGINE_WEB_URL` (e.g. `http://localhost:8080`) and `VERE_WEB_URL` (a Vere ship
//! serving the same pages, e.g. a fake ~nec booted from the same pill); either may be left out (then only
//! the other is measured, and no ratio is given). `WEB_ROUNDS` (5), `WEB_REQUESTS` (2,000 per round),
//! `WEB_HELD` (10,000 connections).
//!
//!     ENGINE_WEB_URL=http://localhost:8080 VERE_WEB_URL=http://localhost:8090 \
//!       cargo bench -p engine-benches --bench web

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::time::{Duration, Instant};

const CONCURRENCY: usize = 50;

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// `http://host:port` → its address.
fn address(url: &str) -> SocketAddr {
    let authority = url.trim_start_matches("http://").trim_end_matches('/');
    authority.to_socket_addrs().expect("a host:port").find(SocketAddr::is_ipv4).expect("an IPv4 address")
}

/// Reads one response from `stream` (head, and a body of its content-length); gives its status (0 if the
/// server closed the connection first).
fn try_read_response(stream: &mut TcpStream, buffer: &mut Vec<u8>) -> u16 {
    buffer.clear();
    let mut chunk = [0u8; 16 << 10];
    let head_end = loop {
        if let Some(at) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            break at + 4;
        }
        match stream.read(&mut chunk) {
            Ok(0) | Err(_) => return 0,
            Ok(read) => buffer.extend_from_slice(&chunk[..read]),
        }
    };
    if head_end < 12 {
        return 0;
    }
    String::from_utf8_lossy(&buffer[9..12]).parse().unwrap_or(0)
}

/// Reads one response from `stream` (head, and a body of its content-length); gives its status.
fn read_response(stream: &mut TcpStream, buffer: &mut Vec<u8>) -> u16 {
    buffer.clear();
    let mut chunk = [0u8; 16 << 10];
    let head_end = loop {
        if let Some(at) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            break at + 4;
        }
        let read = stream.read(&mut chunk).expect("a response");
        assert!(read > 0, "the server closed the connection");
        buffer.extend_from_slice(&chunk[..read]);
    };
    let head = String::from_utf8_lossy(&buffer[..head_end]).to_ascii_lowercase();
    let status = head[9..12].parse().expect("a status");
    let length: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .map_or(0, |l| l.trim().parse().unwrap_or(0));
    while buffer.len() < head_end + length {
        let read = stream.read(&mut chunk).expect("a body");
        assert!(read > 0, "the server closed the connection");
        buffer.extend_from_slice(&chunk[..read]);
    }
    status
}

/// One round: `requests` GETs of `path` over [`CONCURRENCY`] keep-alive connections. Gives the
/// requests per second and every request's latency.
fn round(to: SocketAddr, path: &str, requests: usize) -> (f64, Vec<Duration>) {
    let request = format!("GET {path} HTTP/1.1\r\nhost: localhost\r\n\r\n").into_bytes();
    let started = Instant::now();
    let threads: Vec<_> = (0..CONCURRENCY)
        .map(|i| {
            let request = request.clone();
            let count = requests / CONCURRENCY + usize::from(i < requests % CONCURRENCY);
            std::thread::spawn(move || {
                let mut stream = TcpStream::connect(to).expect("connect");
                stream.set_nodelay(true).unwrap();
                let mut buffer = Vec::new();
                let mut latencies = Vec::with_capacity(count);
                for _ in 0..count {
                    let sent = Instant::now();
                    stream.write_all(&request).unwrap();
                    let status = read_response(&mut stream, &mut buffer);
                    assert!(status < 500, "status {status}");
                    latencies.push(sent.elapsed());
                }
                latencies
            })
        })
        .collect();
    let latencies: Vec<Duration> = threads.into_iter().flat_map(|t| t.join().unwrap()).collect();
    (requests as f64 / started.elapsed().as_secs_f64(), latencies)
}

/// `held` connections opened at once, then each asks `/~_~/healthz`: the time to open them all, the time
/// until every one is answered or closed, and how many were answered.
fn hold(to: SocketAddr, held: usize) -> (usize, Duration, Duration, usize) {
    let started = Instant::now();
    // A server that does not take a connection within a second loses it (Vere's backlog is 16).
    let mut streams: Vec<TcpStream> =
        (0..held).filter_map(|_| TcpStream::connect_timeout(&to, Duration::from_secs(1)).ok()).collect();
    let opened = started.elapsed();
    let started = Instant::now();
    let request = b"GET /~_~/healthz HTTP/1.1\r\nhost: localhost\r\n\r\n";
    for stream in &mut streams {
        let _ = stream.write_all(request);
    }
    let mut buffer = Vec::new();
    let mut answered = 0;
    for stream in &mut streams {
        stream.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
        let status = try_read_response(stream, &mut buffer);
        answered += usize::from(status == 204 || status == 429);
    }
    (streams.len(), opened, started.elapsed(), answered)
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn percentile(latencies: &mut [Duration], p: f64) -> Duration {
    latencies.sort();
    latencies[((latencies.len() as f64 * p) as usize).min(latencies.len() - 1)]
}

fn main() {
    let servers: Vec<(&str, SocketAddr)> = [("engine", "ENGINE_WEB_URL"), ("Vere", "VERE_WEB_URL")]
        .into_iter()
        .filter_map(|(name, var)| std::env::var(var).ok().map(|url| (name, address(&url))))
        .collect();
    if servers.is_empty() {
        eprintln!("web: skipped: set ENGINE_WEB_URL and/or VERE_WEB_URL to running ships' web servers");
        return;
    }
    let (rounds, requests, held) =
        (env_usize("WEB_ROUNDS", 5), env_usize("WEB_REQUESTS", 2000), env_usize("WEB_HELD", 10_000));
    for path in ["/~/login", "/~_~/healthz"] {
        let mut results: Vec<(Vec<f64>, Vec<Duration>)> =
            servers.iter().map(|_| (Vec::new(), Vec::new())).collect();
        // Warm up, then alternate: a round of each server in turn.
        for (_, to) in &servers {
            round(*to, path, requests / 10);
        }
        for _ in 0..rounds {
            for ((_, to), result) in servers.iter().zip(&mut results) {
                let (rate, latencies) = round(*to, path, requests);
                result.0.push(rate);
                result.1.extend(latencies);
            }
        }
        let mut rates = Vec::new();
        for ((name, _), (mut rate, mut latencies)) in servers.iter().zip(results) {
            let rate = median(&mut rate);
            rates.push(rate);
            println!(
                "{path:14} {name:6}: {rate:9.0} requests/s (median of {rounds} rounds of {requests}, {CONCURRENCY} \
                 connections); latency p50 {:.2} ms, p99 {:.2} ms",
                percentile(&mut latencies, 0.5).as_secs_f64() * 1e3,
                percentile(&mut latencies, 0.99).as_secs_f64() * 1e3,
            );
        }
        if let [engine, vere] = rates[..] {
            println!("{path:14} engine/Vere requests/s: {:.2}×", engine / vere);
        }
    }
    for (name, to) in &servers {
        let (streams_opened, opened, took, answered) = hold(*to, held);
        println!(
            "{held} connections asked of {name}: {} opened in {:.2} s; {answered} of them answered healthz (the \
             rest closed by the server) in {:.2} s",
            streams_opened,
            opened.as_secs_f64(),
            took.as_secs_f64()
        );
    }
}
