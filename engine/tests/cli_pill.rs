//! `engine pill fetch` against a small HTTP server on loopback (the tests never reach the internet).

use engine_tests::pill_bytes;
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::process::{Command, Output};
use std::thread::JoinHandle;

/// Serves `requests` HTTP requests on 127.0.0.1: `/<name>` from `files`, anything else 404. Bounded: it
/// answers exactly that many connections, then stops.
fn serve(files: Vec<(&'static str, Vec<u8>)>, requests: usize) -> (String, JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let handle = std::thread::spawn(move || {
        for stream in listener.incoming().take(requests) {
            let mut stream = stream.unwrap();
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut request_line = String::new();
            reader.read_line(&mut request_line).unwrap();
            loop {
                let mut header = String::new();
                if reader.read_line(&mut header).unwrap() == 0 || header == "\r\n" {
                    break;
                }
            }
            let path = request_line.split_whitespace().nth(1).unwrap_or("/").trim_start_matches('/');
            let body = files.iter().find(|(name, _)| *name == path).map(|(_, b)| b.clone());
            let (status, body) = match body {
                Some(b) => ("200 OK", b),
                None => ("404 Not Found", b"no such pill".to_vec()),
            };
            let head =
                format!("HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n", body.len());
            stream.write_all(head.as_bytes()).unwrap();
            stream.write_all(&body).unwrap();
        }
    });
    (base, handle)
}

fn engine(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_engine")).args(args).env_remove("ENGINE_PILL_BASE_URL").output().unwrap()
}

#[test]
fn pill_fetch_downloads_checks_and_saves_a_pill() {
    let baby = pill_bytes("sword-baby.pill");
    let (base, server) = serve(vec![("baby.pill", baby.clone())], 1);
    let dir = tempfile::tempdir().unwrap();
    let out = engine(&["pill", "fetch", "baby", "--base-url", &base, "--dir", dir.path().to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(std::fs::read(dir.path().join("baby.pill")).unwrap(), baby);
    assert!(String::from_utf8_lossy(&out.stdout).contains("mug 0x54712b14"));
    server.join().unwrap();
}

#[test]
fn pill_fetch_refuses_a_missing_pill_or_one_that_is_not_a_pill() {
    let (base, server) = serve(vec![("junk.pill", vec![0x07, 0x01])], 2);
    let dir = tempfile::tempdir().unwrap();
    let dir_arg = dir.path().to_str().unwrap();
    for (name, reason) in [("absent", "404"), ("junk", "not a jam file")] {
        let out = engine(&["pill", "fetch", name, "--base-url", &base, "--dir", dir_arg]);
        assert_eq!(out.status.code(), Some(1), "{name}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(reason), "{name}: {stderr}");
    }
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0, "nothing is left behind");
    server.join().unwrap();
}
