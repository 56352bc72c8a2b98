//! The terminal itself in raw mode: termios settings (restored on drop) and the window's size.
//!
//! Raw mode clears echo, canonical input, extended input processing and input translation (ECHO ECHONL
//! ICANON IEXTEN, ICRNL INPCK ISTRIP), 8-bit characters, reads return at once (VMIN 1). Signals stay on
//! (ctrl-c is SIGINT). Unlike Vere, output processing (OPOST) is left on, so that the runtime's own
//! log lines (`\n`) still start at the left edge.
//!
//! Also stdin's reader threads: lines (line mode) or the bytes of each read (raw mode), into a bounded
//! channel the app polls.

use std::io::{BufRead, IsTerminal, Read};
use std::sync::mpsc::{self, Receiver};

/// Lines (or raw reads) waiting between the stdin reader and the ship.
const INPUT_LINES_MAX: usize = 64;

/// Whether stdin and stdout are both terminals.
pub fn is_tty() -> bool {
    std::io::stdin().is_terminal() && std::io::stdout().is_terminal()
}

/// The window's `(columns, rows)`, if the terminal says.
pub fn window_size() -> Option<(u64, u64)> {
    // SAFETY: TIOCGWINSZ fills a winsize; a zeroed one is a valid value to pass.
    let mut size: libc::winsize = unsafe { std::mem::zeroed() };
    let result = unsafe { libc::ioctl(libc::STDOUT_FILENO, libc::TIOCGWINSZ, &mut size) };
    (result == 0 && size.ws_col > 0 && size.ws_row > 0).then_some((size.ws_col as u64, size.ws_row as u64))
}

/// Raw mode on stdin while this lives.
pub struct RawMode {
    saved: libc::termios,
}

impl RawMode {
    pub fn enter() -> Result<RawMode, String> {
        // SAFETY: tcgetattr/tcsetattr on stdin with a termios it filled.
        unsafe {
            let mut saved: libc::termios = std::mem::zeroed();
            if libc::tcgetattr(libc::STDIN_FILENO, &mut saved) != 0 {
                return Err(format!(
                    "cannot read the terminal's settings: {}",
                    std::io::Error::last_os_error()
                ));
            }
            let mut raw = saved;
            raw.c_lflag &= !(libc::ECHO | libc::ECHONL | libc::ICANON | libc::IEXTEN);
            raw.c_iflag &= !(libc::ICRNL | libc::INPCK | libc::ISTRIP);
            raw.c_cflag &= !(libc::CSIZE | libc::PARENB);
            raw.c_cflag |= libc::CS8;
            raw.c_cc[libc::VMIN] = 1;
            raw.c_cc[libc::VTIME] = 0;
            if libc::tcsetattr(libc::STDIN_FILENO, libc::TCSADRAIN, &raw) != 0 {
                return Err(format!(
                    "cannot put the terminal in raw mode: {}",
                    std::io::Error::last_os_error()
                ));
            }
            Ok(RawMode { saved })
        }
    }
}

impl Drop for RawMode {
    fn drop(&mut self) {
        // SAFETY: restores the settings read in `enter`.
        unsafe {
            libc::tcsetattr(libc::STDIN_FILENO, libc::TCSADRAIN, &self.saved);
        }
        print!("\r\n");
    }
}

/// What the stdin reader hands over.
pub enum Input {
    /// Line mode: one line, its end of line removed.
    Line(String),
    /// Raw mode: the bytes of one read.
    Bytes(Vec<u8>),
    /// stdin is closed.
    Eof,
}

/// The most bytes of one raw-mode read.
const READ_BYTES_MAX: usize = 4096;

/// Reads stdin a read at a time (raw mode) into a bounded channel.
pub fn spawn_raw_reader() -> Receiver<Input> {
    let (send, receive) = mpsc::sync_channel(INPUT_LINES_MAX);
    std::thread::Builder::new()
        .name("stdin".into())
        .spawn(move || {
            let mut stdin = std::io::stdin();
            let mut buffer = [0u8; READ_BYTES_MAX];
            loop {
                match stdin.read(&mut buffer) {
                    Ok(0) | Err(_) => {
                        let _ = send.send(Input::Eof);
                        return;
                    }
                    Ok(n) => {
                        if send.send(Input::Bytes(buffer[..n].to_vec())).is_err() {
                            return;
                        }
                    }
                }
            }
        })
        .expect("spawn the stdin reader");
    receive
}

/// Reads stdin lines (each at most [`crate::term::LINE_CHARS_MAX`] bytes kept) into a bounded channel.
pub fn spawn_stdin_reader() -> Receiver<Input> {
    let (send, receive) = mpsc::sync_channel(INPUT_LINES_MAX);
    std::thread::Builder::new()
        .name("stdin".into())
        .spawn(move || {
            let stdin = std::io::stdin();
            let mut reader = stdin.lock();
            loop {
                let mut bytes = Vec::new();
                let limit = crate::term::LINE_CHARS_MAX as u64;
                match (&mut reader).take(limit).read_until(b'\n', &mut bytes) {
                    Ok(0) | Err(_) => {
                        let _ = send.send(Input::Eof);
                        return;
                    }
                    Ok(_) => {}
                }
                if bytes.last() != Some(&b'\n') && bytes.len() as u64 == limit {
                    // Too long: drop the rest of the line.
                    let mut rest = Vec::new();
                    let _ = reader.read_until(b'\n', &mut rest);
                }
                while matches!(bytes.last(), Some(b'\n' | b'\r')) {
                    bytes.pop();
                }
                if send.send(Input::Line(String::from_utf8_lossy(&bytes).into_owned())).is_err() {
                    return;
                }
            }
        })
        .expect("spawn the stdin reader");
    receive
}
