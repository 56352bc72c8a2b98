//! The web as its users meet it, on a fake ~zod booted from brass.pill (long: run with `--ignored`):
//! Urbit's own client library (`@urbit/http-api`, from npm, run with node) logs in with the ship's
//! `+code`, scries JSON, pokes hood with `%helm-hi`, subscribes over the channel API and gets a fact; and
//! headless Chromium (Debian's) renders the login page (a screenshot is saved and its path printed), logs
//! in and lands on the page it asked for; `|mount %base` puts the desk on disk, a file added there
//! reaches clay with `|commit %base`, a file clay writes appears on disk, `|unmount` removes it; a thread
//! committed so fetches a loopback server's page through Iris (and a refused port gives 504). The
//! scripts are in `tests/http-api`; this test installs their packages with npm when they are missing.
//! `ENGINE_BRASS_PIER=DIR` starts from a copy of a booted brass pier instead of booting one (minutes).
//!
//!     cargo test --release -p engine --test cli_web -- --ignored --nocapture

mod common;

use common::*;
use engine_tests::{pill_path, project_root};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// `node SCRIPT ARGS...` in `tests/http-api`: its stdout's last line as JSON.
fn node(script: &str, args: &[&str]) -> serde_json::Value {
    let dir = project_root().join("tests/http-api");
    let out = Command::new("node").arg(script).args(args).current_dir(&dir).output().expect("node runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let last = stdout.lines().last().unwrap_or("");
    let value: serde_json::Value = serde_json::from_str(last)
        .unwrap_or_else(|_| panic!("{script}: {stdout}\n{}", String::from_utf8_lossy(&out.stderr)));
    assert!(out.status.success(), "{script}: {value}\n{}", String::from_utf8_lossy(&out.stderr));
    value
}

/// A brass ~zod's pier in `dir`: a copy of `$ENGINE_BRASS_PIER`, or booted.
fn brass_zod(dir: &Path) -> PathBuf {
    let pier = dir.join("zod");
    match std::env::var_os("ENGINE_BRASS_PIER") {
        Some(booted) => copy_dir(Path::new(&booted), &pier),
        None => {
            let pill = pill_path("brass.pill");
            ok(
                &engine(&["boot", "--pill", pill.to_str().unwrap(), "--fake", "zod", pier.to_str().unwrap()]),
                "boot",
            );
        }
    }
    pier
}

/// Logs in at `/~/login` with `code`: the session cookie Eyre sets (`name=value`).
fn login_cookie(port: u16, code: &str) -> String {
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    let body = format!("password={code}");
    let request = format!(
        "POST /~/login HTTP/1.1\r\nhost: localhost\r\ncontent-type: application/x-www-form-urlencoded\r\n\
         content-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    let line = answer.lines().find(|l| l.to_ascii_lowercase().starts_with("set-cookie: ")).expect(&answer);
    line["set-cookie: ".len()..].split(';').next().unwrap().to_string()
}

/// `GET /~_~/slog` with `cookie`: the status, and the connection (the stream, when it is 200).
fn slog_status(port: u16, cookie: Option<&str>) -> (u16, std::net::TcpStream) {
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
    let cookie = cookie.map(|c| format!("cookie: {c}\r\n")).unwrap_or_default();
    stream
        .write_all(format!("GET /~_~/slog HTTP/1.1\r\nhost: localhost\r\n{cookie}\r\n").as_bytes())
        .unwrap();
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        assert_eq!(stream.read(&mut byte).unwrap(), 1, "{}", String::from_utf8_lossy(&head));
        head.push(byte[0]);
    }
    (String::from_utf8_lossy(&head[9..12]).parse().unwrap(), stream)
}

#[test]
#[ignore = "long: a brass boot, node and Chromium (see the README's long tests)"]
fn a_real_client_a_real_browser_and_a_desk_on_disk() {
    if Command::new("node").arg("--version").output().is_err() {
        eprintln!("skipped: node is not installed");
        return;
    }
    let scripts = project_root().join("tests/http-api");
    if !scripts.join("node_modules").exists() {
        let status =
            Command::new("npm").args(["ci", "--no-audit", "--no-fund"]).current_dir(&scripts).status();
        assert!(status.is_ok_and(|s| s.success()), "npm ci in tests/http-api");
    }
    let dir = tempfile::tempdir().unwrap();
    let pier = brass_zod(dir.path());
    let (mut child, port, _) = start_web(&pier, &["--no-ames"]);
    let url = format!("http://localhost:{port}");
    // A line left half typed at the prompt (by an earlier session) spoils the first try: then again.
    let looks_like_a_code = |text: &str| {
        let words: Vec<&str> = text.split('-').collect();
        words.len() == 4 && words.iter().all(|w| w.len() == 6 && w.chars().all(|c| c.is_ascii_lowercase()))
    };
    let mut code = String::new();
    for _ in 0..2 {
        let out = engine(&["dojo", pier.to_str().unwrap(), "+code"]);
        code = String::from_utf8_lossy(&out.stdout)
            .lines()
            .last()
            .unwrap_or("")
            .trim_start_matches('~')
            .to_string();
        if looks_like_a_code(&code) {
            break;
        }
    }
    assert!(looks_like_a_code(&code), "+code gave {code:?}");
    eprintln!("{url}, code {code}");
    let client = node("client.mjs", &[&url, "zod", &code]);
    eprintln!("@urbit/http-api: {client}");
    assert_eq!(client["login"], true);
    assert!(client["scry"]["base"].is_object(), "{client}");
    assert_eq!(client["poke"], true);
    assert_eq!(client["subscribed"], true);
    assert!(client["event"].is_array(), "{client}");

    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    if Path::new(&chromium).exists() {
        let shot = dir.path().join("login.png");
        let browser = node("browser.mjs", &[&url, &code, shot.to_str().unwrap()]);
        let kept = std::env::temp_dir().join("engine-login-page.png");
        std::fs::copy(&shot, &kept).unwrap();
        eprintln!("chromium: {browser}; the login page's screenshot: {}", kept.display());
        assert_eq!(browser["title"], "Urbit");
        assert_eq!(browser["form"], true);
        assert_eq!(browser["landed"], "/~/scry/hood/kiln/pikes.json");
        assert!(browser["text"].as_str().unwrap().contains("\"base\""), "{browser}");
    } else {
        eprintln!("the browser part skipped: no Chromium at {chromium} (apt-get install chromium)");
    }

    // The slog stream: Eyre's session cookie (a login with the code) opens it, and a `~&` typed at the
    // dojo comes down it as an event; without the cookie, 403.
    let dojo = |line: &str| ok(&engine(&["dojo", pier.to_str().unwrap(), line]), line);
    let cookie = login_cookie(port, &code);
    assert_eq!(slog_status(port, None).0, 403);
    let (status, mut stream) = slog_status(port, Some(&cookie));
    assert_eq!(status, 200);
    let marker = format!("%slog-test-{}", std::process::id());
    dojo(&format!("~&  {marker}  ~"));
    let mut seen = Vec::new();
    let mut buffer = [0u8; 4096];
    while !String::from_utf8_lossy(&seen).contains(&format!("data:{marker}\n\n")) {
        let n = stream.read(&mut buffer).expect("the slog stream goes on");
        assert!(n > 0, "the slog stream ended: {}", String::from_utf8_lossy(&seen));
        seen.extend_from_slice(&buffer[..n]);
    }
    eprintln!("slog stream: {marker} came down it");

    // Clay's desk on disk: mounted, a file added there and committed, a file clay writes on disk.
    dojo("|mount %base");
    let base = pier.join("base");
    let wait_for = |path: &Path, what: &str| {
        let started = Instant::now();
        while !path.exists() {
            assert!(started.elapsed() < Duration::from_secs(60), "{what}: no {}", path.display());
            std::thread::sleep(Duration::from_millis(50));
        }
    };
    wait_for(&base.join("sys.kelvin"), "|mount %base");
    assert_eq!(std::fs::read_to_string(base.join("sys.kelvin")).unwrap().trim(), "[%zuse 417]");
    // Names of this run's own, so that a pier used before (`ENGINE_BRASS_PIER`) cannot have them.
    let n = std::process::id();
    std::fs::write(
        base.join(format!("gen/fromdisk{n}.hoon")),
        ":-  %say\n|=  *\n:-  %noun\n\"hello from disk\"\n",
    )
    .unwrap();
    // A thread that fetches a URL through Iris (and so through cttp), committed with it.
    let fetch = "/-  spider\n/+  strandio\n=,  strand=strand:spider\n^-  thread:spider\n|=  arg=vase\n\
                 =/  m  (strand ,vase)\n^-  form:m\n=+  !<([~ url=@t] arg)\n\
                 ;<  ~  bind:m  (send-request:strandio [%'GET' url ~ ~])\n\
                 ;<  res=client-response:iris  bind:m  take-client-response:strandio\n\
                 ?>  ?=(%finished -.res)\n\
                 =/  body=@t  ?~(full-file.res '' q.data.u.full-file.res)\n\
                 (pure:m !>([status-code.response-header.res body]))\n";
    std::fs::write(base.join(format!("ted/fetch{n}.hoon")), fetch).unwrap();
    dojo("|commit %base");
    let started = Instant::now();
    loop {
        let said = dojo(&format!("+fromdisk{n}"));
        if said.contains("\"hello from disk\"") {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(60), "the commit did not reach clay: {said}");
        std::thread::sleep(Duration::from_millis(200));
    }
    // Iris: the thread gets a loopback server's page, and 504 from a port nobody listens on.
    let (port, serving) = serve_once(b"HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\nfrom iris!");
    let fetched = dojo(&format!("-fetch{n} 'http://127.0.0.1:{port}/page'"));
    assert!(fetched.contains("[200 'from iris!']"), "{fetched}");
    serving.join().unwrap();
    let nobody = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let refused = dojo(&format!("-fetch{n} 'http://127.0.0.1:{nobody}/'"));
    assert!(refused.contains("[504 '']"), "{refused}");
    dojo(&format!("*%/gen/written{n}/hoon ':-  %say  |=(* [%noun 42])'"));
    let written = base.join(format!("gen/written{n}.hoon"));
    wait_for(&written, "a file clay wrote");
    assert_eq!(std::fs::read_to_string(&written).unwrap(), ":-  %say  |=(* [%noun 42])");
    dojo("|unmount %base");
    let started = Instant::now();
    while base.exists() {
        assert!(started.elapsed() < Duration::from_secs(60), "|unmount left {}", base.display());
        std::thread::sleep(Duration::from_millis(50));
    }

    let kill = Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
    assert!(kill.success());
    drop(child.stdin.take());
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("http: web interface live on"), "{stderr}");
}
