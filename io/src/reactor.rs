//! The reactor: submit I/O operations tagged with a token, reap their completions in batches.
//!
//! Two backends give the same completion-based interface: io_uring (the default: one `io_uring_enter`
//! submits a whole tick's operations and reaps what finished), and epoll via the `polling` crate, for
//! kernels or containers that refuse io_uring (setup fails with `EPERM` or `ENOSYS`) or when the user asks
//! for it with `ENGINE_IO=epoll`. [`Reactor::new`] says which one it chose and why.
//!
//! Ownership: the reactor owns every buffer of an operation in flight; a socket's descriptor is the
//! caller's and must stay open until its operations complete or are cancelled.
//!
//! ```
//! use engine_io::{Completion, Op, Reactor, Token};
//! use std::time::Duration;
//! let mut reactor = Reactor::new().unwrap();
//! reactor.submit(Token(7), Op::Timeout(Duration::from_millis(1))).unwrap();
//! let mut done = Vec::new();
//! while done.is_empty() {
//!     reactor.poll(Some(Duration::from_secs(1)), &mut done).unwrap();
//! }
//! assert!(matches!(done[0], Completion::Timer { token: Token(7) }));
//! ```

use std::io;
use std::net::SocketAddr;
use std::os::fd::{AsRawFd, RawFd};
use std::time::Duration;

/// The caller's name for an operation; it comes back with the completion.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Token(pub u64);

/// The most bytes one receive or read asks for, and the most one send or write may carry.
pub const BUFFER_BYTES_MAX: usize = 1 << 20;
/// The most operations in flight at once; more is an error, not a queue without bound.
pub const IN_FLIGHT_MAX: usize = 1 << 16;

/// An operation.
#[derive(Debug)]
pub enum Op {
    /// Fires once after the duration.
    Timeout(Duration),
    /// Accepts one connection on a listening socket.
    Accept { listener: RawFd },
    /// Reads up to `max` bytes from a stream (0 bytes back means the peer closed it).
    Read { fd: RawFd, max: usize },
    /// Writes bytes to a stream (possibly not all of them: the completion says how many).
    Write { fd: RawFd, data: Vec<u8> },
    /// Receives one datagram of up to `max` bytes.
    RecvFrom { fd: RawFd, max: usize },
    /// Sends one datagram.
    SendTo { fd: RawFd, data: Vec<u8>, to: SocketAddr },
    /// Cancels the operation with this token (it completes with `ErrorKind::Interrupted` if it had not
    /// finished).
    Cancel(Token),
}

/// A finished operation.
#[derive(Debug)]
pub enum Completion {
    Timer { token: Token },
    Accepted { token: Token, fd: RawFd },
    Read { token: Token, data: Vec<u8> },
    Written { token: Token, bytes: usize },
    Received { token: Token, data: Vec<u8>, from: SocketAddr },
    Sent { token: Token, bytes: usize },
    Cancelled { token: Token },
    Failed { token: Token, error: io::Error },
}

impl Completion {
    /// The token of the operation that finished.
    pub fn token(&self) -> Token {
        match self {
            Completion::Timer { token }
            | Completion::Accepted { token, .. }
            | Completion::Read { token, .. }
            | Completion::Written { token, .. }
            | Completion::Received { token, .. }
            | Completion::Sent { token, .. }
            | Completion::Cancelled { token }
            | Completion::Failed { token, .. } => *token,
        }
    }
}

/// Which backend a reactor uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BackendKind {
    IoUring,
    Epoll,
}

pub(crate) trait Backend {
    fn submit(&mut self, token: Token, op: Op) -> io::Result<()>;
    fn poll(&mut self, timeout: Option<Duration>, out: &mut Vec<Completion>) -> io::Result<()>;
    fn in_flight(&self) -> usize;
    /// Nothing in flight and nothing completed waiting to be handed out (cancellations included).
    fn idle(&self) -> bool;
    /// A descriptor that polls readable when completions wait (see [`Reactor::wake_fd`]).
    fn wake_fd(&self) -> RawFd;
    /// Hands what was submitted to the kernel now, without waiting for anything.
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Waits at most `timeout` for `fd` to poll readable: whether it did. For a thread that watches a
/// reactor's [`Reactor::wake_fd`]; the descriptor must stay open while it waits.
pub fn wait_readable(fd: RawFd, timeout: Duration) -> bool {
    let mut poll = libc::pollfd { fd, events: libc::POLLIN, revents: 0 };
    let millis = timeout.as_millis().min(i32::MAX as u128) as i32;
    // SAFETY: one valid pollfd for the length of the call.
    unsafe { libc::poll(&mut poll, 1, millis) > 0 }
}

/// Writes what a connected socket takes of `data` at once, without waiting for room (and without
/// SIGPIPE for a peer that is gone): how many bytes it took. For a write that need not go through the
/// reactor when the socket has room (as libuv's writes try first); an error is left for the reactor's
/// write to meet and report.
pub fn send_now(socket: &impl AsRawFd, data: &[u8]) -> io::Result<usize> {
    // SAFETY: `data` is readable for its length; the descriptor is borrowed from its owner.
    let sent = unsafe {
        libc::send(
            socket.as_raw_fd(),
            data.as_ptr() as *const libc::c_void,
            data.len(),
            libc::MSG_DONTWAIT | libc::MSG_NOSIGNAL,
        )
    };
    if sent < 0 { Err(io::Error::last_os_error()) } else { Ok(sent as usize) }
}

/// A reactor over one of the backends.
pub struct Reactor {
    backend: Box<dyn Backend + Send>,
    kind: BackendKind,
    /// Why the reactor is not on io_uring, when it is not.
    fallback_reason: Option<String>,
}

impl Reactor {
    /// io_uring unless `ENGINE_IO=epoll` is set or the kernel refuses it, in which case epoll (the reason
    /// is in [`Reactor::fallback_reason`]).
    pub fn new() -> io::Result<Reactor> {
        if std::env::var("ENGINE_IO").is_ok_and(|v| v == "epoll") {
            return Reactor::with_backend(BackendKind::Epoll)
                .map(|r| Reactor { fallback_reason: Some("ENGINE_IO=epoll".into()), ..r });
        }
        match Reactor::with_backend(BackendKind::IoUring) {
            Ok(reactor) => Ok(reactor),
            Err(e) => {
                let reason = format!("io_uring is not available here ({e}); using epoll");
                Reactor::with_backend(BackendKind::Epoll)
                    .map(|r| Reactor { fallback_reason: Some(reason), ..r })
            }
        }
    }

    /// A reactor on a given backend, or the error that backend's setup gave.
    pub fn with_backend(kind: BackendKind) -> io::Result<Reactor> {
        let backend: Box<dyn Backend + Send> = match kind {
            BackendKind::IoUring => Box::new(crate::uring::Uring::new()?),
            BackendKind::Epoll => Box::new(crate::epoll::Epoll::new()?),
        };
        Ok(Reactor { backend, kind, fallback_reason: None })
    }

    /// The backend in use.
    pub fn kind(&self) -> BackendKind {
        self.kind
    }

    /// Why this reactor is not on io_uring, if it is not.
    pub fn fallback_reason(&self) -> Option<&str> {
        self.fallback_reason.as_deref()
    }

    /// Queues an operation (io_uring sends the queue to the kernel at the next [`Reactor::poll`]).
    pub fn submit(&mut self, token: Token, op: Op) -> io::Result<()> {
        check_op(&op)?;
        if self.backend.in_flight() >= IN_FLIGHT_MAX && !matches!(op, Op::Cancel(_)) {
            return Err(io::Error::other(format!("more than {IN_FLIGHT_MAX} operations in flight")));
        }
        self.backend.submit(token, op)
    }

    /// Waits up to `timeout` (`None`: until something completes; zero: not at all) and appends what
    /// completed to `out`. With nothing in flight it sleeps for `timeout` (and returns at once for
    /// `None`: nothing could ever complete).
    pub fn poll(&mut self, timeout: Option<Duration>, out: &mut Vec<Completion>) -> io::Result<()> {
        if self.backend.idle() {
            if let Some(wait) = timeout {
                std::thread::sleep(wait);
            }
            return Ok(());
        }
        self.backend.poll(timeout, out)
    }

    /// A descriptor that another thread may `poll` for readability: it is readable when completions
    /// wait to be reaped (io_uring's ring, or the epoll instance), so a watcher can tell that I/O came in
    /// while this thread computes.
    pub fn wake_fd(&self) -> RawFd {
        self.backend.wake_fd()
    }

    /// Sends what was submitted to the kernel now (io_uring; epoll performs its operations when polled),
    /// so a reply goes out before the next poll.
    pub fn flush(&mut self) -> io::Result<()> {
        self.backend.flush()
    }

    /// Operations submitted and not yet completed.
    pub fn in_flight(&self) -> usize {
        self.backend.in_flight()
    }
}

fn check_op(op: &Op) -> io::Result<()> {
    let too_big = match op {
        Op::Read { max, .. } | Op::RecvFrom { max, .. } => *max > BUFFER_BYTES_MAX || *max == 0,
        Op::Write { data, .. } | Op::SendTo { data, .. } => data.len() > BUFFER_BYTES_MAX,
        _ => false,
    };
    if too_big {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("buffer size must be 1..={BUFFER_BYTES_MAX}"),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_idle_reactor_waits_out_its_timeout() {
        // With nothing in flight, a poll still waits (an app's idle loop relies on it not spinning).
        for kind in [BackendKind::IoUring, BackendKind::Epoll] {
            let Ok(mut reactor) = Reactor::with_backend(kind) else { continue };
            let started = std::time::Instant::now();
            reactor.poll(Some(Duration::from_millis(30)), &mut Vec::new()).unwrap();
            assert!(started.elapsed() >= Duration::from_millis(30), "{kind:?}");
        }
    }
}
