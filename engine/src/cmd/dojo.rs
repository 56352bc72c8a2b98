//! `engine dojo PIER 'COMMAND'`: a client of the running ship's control socket. It sends engine's
//! `[rid %dojo 'COMMAND']` request and prints the lines of the reply: what the terminal printed while the
//! ship worked on the line (the command's output, without the prompt's redraws).

use components::Heap;
use engine_io::conn::{self as wire, Decoder};
use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::time::Duration;

/// The most characters of one command.
const COMMAND_CHARS_MAX: usize = 4096;

pub fn run(pier: &Path, command: Option<String>, timeout: f64) -> Result<(), String> {
    if !timeout.is_finite() || timeout <= 0.0 {
        return Err(format!("--timeout {timeout}: give a number of seconds"));
    }
    let command = match command {
        Some(command) => command,
        None => {
            let mut text = String::new();
            std::io::stdin().read_to_string(&mut text).map_err(|e| format!("cannot read stdin: {e}"))?;
            text.trim_end_matches(['\n', '\r']).to_string()
        }
    };
    if command.contains('\n') {
        return Err("one command at a time: the command has a line break".into());
    }
    if command.chars().count() > COMMAND_CHARS_MAX {
        return Err(format!("the command is longer than {COMMAND_CHARS_MAX} characters"));
    }
    let output = ask(pier, &command, Duration::from_secs_f64(timeout))?;
    for line in &output.lines {
        println!("{line}");
    }
    if !output.taken {
        return Err("the dojo did not take the command (it does not parse, or is incomplete)".into());
    }
    Ok(())
}

/// Sends one line and waits for its output lines.
pub fn ask(pier: &Path, command: &str, timeout: Duration) -> Result<wire::DojoOutput, String> {
    let mut stream = connect(pier, timeout)?;
    let mut heap = Heap::new();
    let request = wire::dojo_request(&mut heap, 1, command);
    stream
        .write_all(&wire::frame(&heap.jam(request)))
        .map_err(|e| format!("cannot send the command: {e}"))?;
    let reply = read_reply(&mut stream, &mut heap, timeout)?;
    wire::read_dojo_reply(&heap, reply)
}

/// The running ship's control socket, reads on it waiting at most `timeout`.
pub fn connect(pier: &Path, timeout: Duration) -> Result<UnixStream, String> {
    let path = pier.join(wire::SOCKET_PATH);
    let stream = UnixStream::connect(&path).map_err(|e| {
        format!(
            "cannot reach a running ship at {} ({e}): is `engine run {}` running?",
            path.display(),
            pier.display()
        )
    })?;
    stream.set_read_timeout(Some(timeout)).map_err(|e| e.to_string())?;
    Ok(stream)
}

/// The next reply on `stream`, cued into `heap`.
pub fn read_reply(
    stream: &mut UnixStream,
    heap: &mut Heap,
    timeout: Duration,
) -> Result<components::Noun, String> {
    let mut decoder = Decoder::default();
    let mut buffer = vec![0u8; 1 << 16];
    loop {
        match decoder.next_frame() {
            Ok(Some(payload)) => {
                return heap.cue(&payload).map_err(|e| format!("the ship's reply does not cue: {e}"));
            }
            Ok(None) => {}
            Err(e) => return Err(format!("the ship's reply is not a frame: {e}")),
        }
        let read = stream.read(&mut buffer).map_err(|e| match e.kind() {
            std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut => {
                format!("no answer within {} s", timeout.as_secs_f64())
            }
            _ => format!("cannot read the answer: {e}"),
        })?;
        if read == 0 {
            return Err("the ship closed the connection before answering".into());
        }
        decoder.feed(&buffer[..read]);
    }
}
