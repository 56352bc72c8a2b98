//! What the command-line tests share: the engine command (with a cache of its own), hand-made kernel
//! pills and piers booted from them, and a pseudo-terminal to run engine on.
#![allow(dead_code)] // each test binary uses some of these

use std::ffi::OsStr;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::Arc;

/// The engine command, with a cache of this test process's own (boots cache their pill's lifecycle), so
/// tests never touch the user's cache.
pub fn engine_command() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_engine"));
    command.env("ENGINE_CACHE", process_cache("pier-cache"));
    command
}

/// A cache directory `<kind>-<pid>` of this test process's own, under cargo's scratch space for tests (not
/// the system's temporary directory); those that processes no longer running left are removed the first
/// time it is asked for.
pub fn process_cache(kind: &str) -> PathBuf {
    static SWEPT: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());
    let scratch = Path::new(env!("CARGO_TARGET_TMPDIR"));
    let mut swept = SWEPT.lock().unwrap_or_else(|e| e.into_inner());
    if !swept.iter().any(|k| k == kind) {
        swept.push(kind.to_string());
        let prefix = format!("{kind}-");
        for entry in std::fs::read_dir(scratch).into_iter().flatten().flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let pid = name.strip_prefix(&prefix).and_then(|pid| pid.parse::<u32>().ok());
            if pid.is_some_and(|pid| !Path::new(&format!("/proc/{pid}")).exists()) {
                let _ = std::fs::remove_dir_all(entry.path());
            }
        }
    }
    scratch.join(format!("{kind}-{}", std::process::id()))
}

pub fn engine(args: &[&str]) -> Output {
    engine_command().args(args).output().expect("engine runs")
}

pub fn ok(out: &Output, what: &str) -> String {
    assert!(
        out.status.success(),
        "{what}: status {:?}\nstdout: {}\nstderr: {}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout.clone()).unwrap()
}

/// A term or short cord as a decimal atom, for the text notation.
pub fn t(text: &str) -> String {
    engine_tests::term_atom(text)
}

/// The counter pill (`engine_tests::kernel_pill_text`): its state counts events, so each logged mug
/// differs.
pub fn counter_pill(dir: &Path) -> PathBuf {
    kernel_pill(dir, "counter", "[4 0 15]")
}

/// The counter pill's kernel, but its state is the list of every ovum it took (`[ovum state]`), so that
/// the heap's layout after a compaction changes with every event.
pub fn journal_pill(dir: &Path) -> PathBuf {
    kernel_pill(dir, "journal", "[[0 13] [0 15]]")
}

/// A counter-shaped pill whose poke makes the next state with `next_state`, written to `dir`.
pub fn kernel_pill(dir: &Path, name: &str, next_state: &str) -> PathBuf {
    let mut heap = components::Heap::new();
    let noun = heap.parse(&engine_tests::kernel_pill_text("counter", next_state)).unwrap();
    let path = dir.join(format!("{name}.pill"));
    std::fs::write(&path, heap.jam(noun)).unwrap();
    path
}

pub fn boot_counter(dir: &Path) -> PathBuf {
    boot_pill(dir, "counter", counter_pill(dir))
}

pub fn boot_pill(dir: &Path, name: &str, pill: PathBuf) -> PathBuf {
    let pier = dir.join(name);
    ok(&engine(&["boot", "--pill", pill.to_str().unwrap(), pier.to_str().unwrap()]), "boot");
    pier
}

/// `engine run -x PIER` with `input` on stdin: its stdout.
pub fn run_with_input(pier: &Path, input: &str) -> Output {
    let mut child = engine_command()
        .args(["run", "-x", pier.to_str().unwrap()])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
    child.wait_with_output().unwrap()
}

/// Copies a directory tree's directories and regular files (sockets, pipes and links are left out).
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        let kind = entry.file_type().unwrap();
        if kind.is_dir() {
            copy_dir(&entry.path(), &target);
        } else if kind.is_file() {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// `engine ARGS` on a new pseudo-terminal (of `size` rows and columns, if given): the process, the
/// terminal's end to type into, and everything the process has written to it so far (read by a thread
/// until the terminal closes).
pub fn on_a_terminal(
    args: &[&OsStr],
    size: Option<(u16, u16)>,
) -> (Child, std::fs::File, Arc<std::sync::Mutex<Vec<u8>>>) {
    use std::os::fd::{FromRawFd, OwnedFd};
    let (mut master, mut slave) = (0, 0);
    let window =
        size.map(|(rows, cols)| libc::winsize { ws_row: rows, ws_col: cols, ws_xpixel: 0, ws_ypixel: 0 });
    let window_ptr = window.as_ref().map_or(std::ptr::null(), |w| w as *const libc::winsize);
    // SAFETY: openpty fills two descriptors that are then owned here; the window size outlives the call.
    let opened =
        unsafe { libc::openpty(&mut master, &mut slave, std::ptr::null_mut(), std::ptr::null(), window_ptr) };
    assert_eq!(opened, 0, "openpty");
    let master = unsafe { OwnedFd::from_raw_fd(master) };
    let slave = unsafe { OwnedFd::from_raw_fd(slave) };
    let child = engine_command()
        .args(args)
        .stdin(Stdio::from(slave.try_clone().unwrap()))
        .stdout(Stdio::from(slave.try_clone().unwrap()))
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    drop(slave);
    let terminal = std::fs::File::from(master);
    let output = Arc::new(std::sync::Mutex::new(Vec::new()));
    let mut reading = terminal.try_clone().unwrap();
    let written = Arc::clone(&output);
    std::thread::spawn(move || {
        let mut buffer = [0u8; 4096];
        while let Ok(n) = std::io::Read::read(&mut reading, &mut buffer) {
            if n == 0 {
                break;
            }
            written.lock().unwrap().extend_from_slice(&buffer[..n]);
        }
    });
    (child, terminal, output)
}

/// One framed request over a conn socket, and its reply.
pub fn conn_ask(
    stream: &mut std::os::unix::net::UnixStream,
    heap: &mut components::Heap,
    request: &str,
) -> String {
    use std::io::Read;
    let noun = heap.parse(request).unwrap();
    stream.write_all(&engine_io::conn::frame(&heap.jam(noun))).unwrap();
    let mut decoder = engine_io::conn::Decoder::default();
    let mut buffer = [0u8; 4096];
    loop {
        if let Some(payload) = decoder.next_frame().unwrap() {
            let reply = heap.cue(&payload).unwrap();
            return heap.print(reply);
        }
        let n = stream.read(&mut buffer).expect("a reply within the timeout");
        assert!(n > 0, "the connection closed before a reply to {request}");
        decoder.feed(&buffer[..n]);
    }
}

/// A server on a free loopback port that answers one request with `response`: its port, and the
/// request's head as it came (once answered).
pub fn serve_once(response: &'static [u8]) -> (u16, std::thread::JoinHandle<String>) {
    use std::io::Read;
    let server = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = server.local_addr().unwrap().port();
    let serving = std::thread::spawn(move || {
        let (mut stream, _) = server.accept().unwrap();
        let mut seen = Vec::new();
        let mut buffer = [0u8; 4096];
        while !seen.ends_with(b"\r\n\r\n") {
            let read = stream.read(&mut buffer).unwrap();
            assert!(read > 0, "the client closed before its request was whole");
            seen.extend_from_slice(&buffer[..read]);
        }
        stream.write_all(response).unwrap();
        String::from_utf8(seen).unwrap()
    });
    (port, serving)
}

/// `engine run` with its web servers on free ports (and `extra` arguments), once `.http.ports` names
/// them: the process, the public port and the loopback port.
#[allow(clippy::zombie_processes)] // the caller waits for it
pub fn start_web(pier: &Path, extra: &[&str]) -> (Child, u16, u16) {
    let mut child = engine_command()
        .args(["run", "--http-port", "0", "--loopback-port", "0"])
        .args(extra)
        .arg(pier)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let ports = pier.join(".http.ports");
    let started = std::time::Instant::now();
    loop {
        if let Ok(text) = std::fs::read_to_string(&ports)
            && text.lines().count() == 2
        {
            let port = |kind: &str| -> u16 {
                let line = text.lines().find(|l| l.ends_with(kind)).unwrap();
                line.split(' ').next().unwrap().parse().unwrap()
            };
            return (child, port("public"), port("loopback"));
        }
        if started.elapsed() > std::time::Duration::from_secs(300) {
            let _ = child.kill();
            let out = child.wait_with_output().unwrap();
            panic!("no .http.ports: {}", String::from_utf8_lossy(&out.stderr));
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

/// `engine run` with `args` (options, then piers), its stdout going to `stdout`, once each of `piers`
/// listens on its control socket (within a minute).
#[allow(clippy::zombie_processes)] // the caller waits for it
pub fn start_run(args: &[&OsStr], piers: &[&Path], stdout: Stdio) -> Child {
    let mut child = engine_command()
        .arg("run")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(stdout)
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    for pier in piers {
        let socket = pier.join(".urb/conn.sock");
        let listening = (0..1200).any(|_| {
            if let Ok(Some(status)) = child.try_wait() {
                panic!("engine run ended ({status}) before listening on {}", socket.display());
            }
            let up = std::os::unix::net::UnixStream::connect(&socket).is_ok();
            if !up {
                std::thread::sleep(std::time::Duration::from_millis(50));
            }
            up
        });
        if !listening {
            let _ = child.kill();
            panic!("engine run did not listen on {} within a minute", socket.display());
        }
    }
    child
}

/// A ship's process, killed when dropped unless taken (a failing test leaves no ship running).
pub struct Running(pub Option<Child>);

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(mut child) = self.0.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// SIGTERM: the ship stops cleanly (asserted); its output.
pub fn stop_ship(mut child: Child) -> Output {
    let kill = Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
    assert!(kill.success());
    drop(child.stdin.take());
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "engine run: {}", String::from_utf8_lossy(&out.stderr));
    out
}

/// The conn request `[rid %peek %.n %once %cx %base /sys/kelvin]`; a brass ship's answer is
/// [`kelvin_answered`].
pub fn kelvin_peek(rid: u64) -> String {
    format!(
        "[{rid} {} 1 {} {} {} [{} {} 0]]",
        t("peek"),
        t("once"),
        t("cx"),
        t("base"),
        t("sys"),
        t("kelvin")
    )
}

/// Whether `reply` (printed) is a brass ship's answer to [`kelvin_peek`]: the file's cask, `[%kelvin %zuse
/// 417]`, wrapped as the `%once` form's `[%omen beam cask]` (as Vere's conn sends it), its beam
/// `[%cx ~zod %base now /sys/kelvin]` (the case is the kernel's `now`, so it changes from event to event).
pub fn kelvin_answered(rid: u64, reply: &str) -> bool {
    let begins = format!("[{rid} {} 0 {} [{} ", t("peek"), t("omen"), t("cx"));
    let ends = format!(
        " {sys} {kelvin} 0] {kelvin} [1 0] [{} 417] 0 0]",
        t("zuse"),
        sys = t("sys"),
        kelvin = t("kelvin")
    );
    reply.starts_with(&begins) && reply.ends_with(&ends)
}

/// A thread reading a child's output to its end.
pub type Reading = std::thread::JoinHandle<String>;

/// `engine run -x --ames-port 0 PIER` (`--no-conn` unless `conn`) with stdin piped: the process, the port its ames listens on, and
/// threads that read the rest of its stderr and all of its stdout (read as it comes: the kernel prints a
/// line for each packet heard, and a full pipe would stop the ship).
pub fn run_with_ames(pier: &Path, conn: bool) -> (Child, u16, Reading, Reading) {
    let mut args = vec!["run", "-x", "--ames-port", "0", pier.to_str().unwrap()];
    if !conn {
        args.insert(2, "--no-conn");
    }
    let mut child = engine_command()
        .args(&args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = std::io::BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    let port = loop {
        line.clear();
        assert!(
            std::io::BufRead::read_line(&mut stderr, &mut line).unwrap() > 0,
            "engine ended before ames was live"
        );
        if let Some(rest) = line.strip_prefix("ames: live on ") {
            break rest.split_whitespace().next().unwrap().parse().unwrap();
        }
    };
    let rest = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = std::io::Read::read_to_string(&mut stderr, &mut text);
        text
    });
    let mut stdout = child.stdout.take().unwrap();
    let printed = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = std::io::Read::read_to_string(&mut stdout, &mut text);
        text
    });
    (child, port, rest, printed)
}
