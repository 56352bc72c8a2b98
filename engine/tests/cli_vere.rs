//! engine beside Vere (the C runtime), on this machine: a fake ~zod run by engine and a fake ~nec run by
//! Vere 1.16 (built with `../shared/tools/vere/build.sh`, found through `$VERE`) say `|hi` to each other
//! over ames on loopback: engine's dojo (`engine dojo`) to ~nec, and Vere's khan (a `%fyrd` of the `hi`
//! thread over Vere's own conn socket) to ~zod. Long (two brass boots, or copies of booted piers:
//! `ENGINE_BRASS_PIER` for engine's ~zod, `VERE_NEC_PIER` for Vere's ~nec; a copied pier must never have
//! talked to the other ship before: its ames state would then be ahead of a new one's, which does not
//! answer); without `$VERE` it is skipped, saying why.
//!
//!     VERE=/path/to/urbit cargo test --release -p engine --test cli_vere -- --ignored --nocapture

mod common;

use common::*;
use engine_tests::pill_path;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A pier at `dir/name`: a copy of `$var`'s, or booted by `boot`.
fn pier(dir: &Path, name: &str, var: &str, boot: impl FnOnce(&Path)) -> PathBuf {
    let pier = dir.join(name);
    match std::env::var_os(var) {
        Some(booted) => copy_dir(Path::new(&booted), &pier),
        None => boot(&pier),
    }
    pier
}

/// SIGTERM, and kill -9 if it is still running 30 s later (Vere under `-t` may not stop on SIGTERM).
fn stop(child: &mut Child) -> String {
    let _ = Command::new("kill").args(["-TERM", &child.id().to_string()]).status();
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(30) {
        if let Some(status) = child.try_wait().unwrap() {
            return format!("{status}");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let _ = child.kill();
    format!("{} (killed after 30 s)", child.wait().unwrap())
}

/// A child process killed when dropped (a failing test leaves no ship running behind it).
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A free TCP port on loopback (Vere refuses an explicit port 0).
fn free_port() -> String {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port().to_string()
}

fn wait_for_socket(child: &mut Child, socket: &Path) {
    let started = Instant::now();
    while std::os::unix::net::UnixStream::connect(socket).is_err() {
        assert!(
            child.try_wait().unwrap().is_none(),
            "the ship stopped before listening on {}",
            socket.display()
        );
        assert!(started.elapsed() < Duration::from_secs(300), "no {}", socket.display());
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
#[ignore = "long: two brass ships, one run by Vere (see the README's long tests)"]
fn engine_and_vere_galaxies_say_hi_over_ames() {
    let Some(vere) = std::env::var_os("VERE") else {
        eprintln!("skipped: set VERE to a Vere 1.16 binary (../shared/tools/vere/build.sh builds one)");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let brass = pill_path("brass.pill");
    let zod = pier(dir.path(), "zod", "ENGINE_BRASS_PIER", |pier| {
        let args = ["boot", "--pill", brass.to_str().unwrap(), "--fake", "zod", pier.to_str().unwrap()];
        ok(&engine(&args), "engine boot");
    });
    // Vere's ~nec: booted here and run on by the process that booted it (Vere restarted after a kill
    // can hang replaying), or a copy of a booted pier that was stopped cleanly.
    let nec = dir.path().join("nec");
    let http = free_port();
    let vere_ship = match std::env::var_os("VERE_NEC_PIER") {
        Some(booted) => {
            copy_dir(Path::new(&booted), &nec);
            Command::new(&vere)
                .args(["-t", "--http-port", &http])
                .arg(&nec)
                .stdin(Stdio::piped())
                .spawn()
                .unwrap()
        }
        None => {
            let brass = brass.to_str().unwrap();
            let args = ["-F", "nec", "-B", brass, "-c", nec.to_str().unwrap(), "-t", "--http-port", &http];
            let mut command = Command::new(&vere);
            // Vere's own output is kept (with --nocapture): its conn and ames lines say what it did.
            command.args(args).stdin(Stdio::piped());
            command.spawn().unwrap()
        }
    };
    let mut vere_ship = Running(vere_ship);
    wait_for_socket(&mut vere_ship.0, &nec.join(".urb/conn.sock"));
    let engine_ship = engine_command()
        .args(["run", "--http-port", "0", "--loopback-port", "0", zod.to_str().unwrap()])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut engine_ship = Running(engine_ship);
    wait_for_socket(&mut engine_ship.0, &zod.join(".urb/conn.sock"));
    // What ~zod's terminal prints (the answer to `|hi` comes there once ~nec has answered).
    let printed = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
    let stdout = engine_ship.0.stdout.take().unwrap();
    let sink = std::sync::Arc::clone(&printed);
    std::thread::spawn(move || {
        use std::io::BufRead;
        for line in std::io::BufReader::new(stdout).lines().map_while(Result::ok) {
            sink.lock().unwrap().push_str(&(line + "\n"));
        }
    });

    // engine's ~zod to Vere's ~nec, typed at engine's dojo.
    let said = ok(&engine(&["dojo", zod.to_str().unwrap(), "|hi ~nec"]), "|hi ~nec");
    let started = Instant::now();
    while !printed.lock().unwrap().contains("hi ~nec successful") {
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "engine's ~zod did not reach Vere's ~nec: {said}{}",
            printed.lock().unwrap()
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    eprintln!("|hi ~nec answered after {:.2} s", started.elapsed().as_secs_f64());

    // Vere's ~nec to engine's ~zod: khan runs the `hi` thread, asked over Vere's conn socket.
    let mut stream = std::os::unix::net::UnixStream::connect(nec.join(".urb/conn.sock")).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(120))).unwrap();
    let mut heap = components::Heap::new();
    let fyrd = format!("[10 {} {} {} {} {} 0]", t("fyrd"), t("base"), t("hi"), t("tape"), t("ship"));
    let started = Instant::now();
    let answer = conn_ask(&mut stream, &mut heap, &fyrd);
    eprintln!("Vere's hi thread answered after {:.2} s", started.elapsed().as_secs_f64());
    let tape: Vec<String> = "hi ~zod successful".chars().map(|c| (c as u32).to_string()).collect();
    let avow = format!("[10 {} 0 {} {} 0]", t("avow"), t("tape"), tape.join(" "));
    assert_eq!(answer, avow, "Vere's ~nec reached engine's ~zod");
    drop(stream);

    for (name, child) in [("engine", &mut engine_ship.0), ("Vere", &mut vere_ship.0)] {
        eprintln!("{name} stopped: {}", stop(child));
    }
    let mut stderr = String::new();
    use std::io::Read;
    engine_ship.0.stderr.take().unwrap().read_to_string(&mut stderr).unwrap();
    assert!(stderr.contains("ames:"), "{stderr}");
    eprintln!("{}", stderr.lines().filter(|l| l.starts_with("ames:")).collect::<Vec<_>>().join("\n"));
}
