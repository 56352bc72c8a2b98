//! The terminal itself in raw mode: termios settings (restored on drop) and the window's size.
//!
//! Raw mode clears echo, canonical input, extended input processing and input translation (ECHO ECHONL
//! ICANON IEXTEN, ICRNL INPCK ISTRIP), 8-bit characters, reads return at once (VMIN 1). Signals stay on
//! (ctrl-c is SIGINT). Unlike Vere, output processing (OPOST) is left on, so that the runtime's own
//! log lines (`\n`) still start at the left edge.

use std::io::IsTerminal;

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
