//! The epoll backend (through the `polling` crate): readiness turned into completions. Each operation is
//! tried at once; one that would block waits in its descriptor's queue until epoll says the descriptor is
//! ready, then is tried again. Timers are a heap of deadlines that bounds the wait.

use crate::reactor::{Backend, Completion, Op, Token};
use polling::{Event, Events, Poller};
use socket2::{SockAddr, SockAddrStorage};
use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, HashSet, VecDeque};
use std::io;
use std::net::SocketAddr;
use std::os::fd::{BorrowedFd, RawFd};
use std::time::{Duration, Instant};

/// An operation waiting for its descriptor.
enum Waiting {
    Accept,
    Read(usize),
    Write(Vec<u8>),
    RecvFrom(usize),
    SendTo(Vec<u8>, SocketAddr),
}

impl Waiting {
    fn reads(&self) -> bool {
        matches!(self, Waiting::Accept | Waiting::Read(_) | Waiting::RecvFrom(_))
    }
}

#[derive(Default)]
struct Descriptor {
    queue: VecDeque<(Token, Waiting)>,
    registered: bool,
}

pub(crate) struct Epoll {
    poller: Poller,
    events: Events,
    timers: BinaryHeap<Reverse<(Instant, u64, Token)>>,
    timer_seq: u64,
    live_timers: HashSet<Token>,
    descriptors: HashMap<RawFd, Descriptor>,
    /// Token → descriptor, for operations waiting on one.
    waiting_on: HashMap<Token, RawFd>,
    /// Completions found at submission, handed out at the next poll.
    ready: Vec<Completion>,
}

fn last_error() -> io::Error {
    io::Error::last_os_error()
}

/// Runs one attempt of `waiting` on `fd`: `None` if it would block.
fn attempt(fd: RawFd, token: Token, waiting: &mut Waiting) -> Option<Completion> {
    let result = match waiting {
        Waiting::Accept => {
            // SAFETY: accept4 with null address pointers writes nothing of ours.
            let new = unsafe {
                libc::accept4(
                    fd,
                    std::ptr::null_mut(),
                    std::ptr::null_mut(),
                    libc::SOCK_CLOEXEC | libc::SOCK_NONBLOCK,
                )
            };
            if new >= 0 { Ok(Completion::Accepted { token, fd: new }) } else { Err(last_error()) }
        }
        Waiting::Read(max) => {
            let mut data = vec![0u8; *max];
            // SAFETY: `data` has `max` writable bytes.
            let n = unsafe { libc::read(fd, data.as_mut_ptr() as *mut libc::c_void, *max) };
            if n >= 0 {
                data.truncate(n as usize);
                Ok(Completion::Read { token, data })
            } else {
                Err(last_error())
            }
        }
        Waiting::Write(data) => {
            // SAFETY: `data` has `len` readable bytes.
            let n = unsafe { libc::write(fd, data.as_ptr() as *const libc::c_void, data.len()) };
            if n >= 0 { Ok(Completion::Written { token, bytes: n as usize }) } else { Err(last_error()) }
        }
        Waiting::RecvFrom(max) => {
            let mut data = vec![0u8; *max];
            let mut address = SockAddrStorage::zeroed();
            let mut length = address.size_of();
            // SAFETY: `data` has `max` writable bytes; `address` and `length` describe a whole storage.
            let n = unsafe {
                libc::recvfrom(
                    fd,
                    data.as_mut_ptr() as *mut libc::c_void,
                    *max,
                    libc::MSG_DONTWAIT,
                    &mut address as *mut _ as *mut libc::sockaddr,
                    &mut length,
                )
            };
            if n >= 0 {
                data.truncate(n as usize);
                // SAFETY: the kernel wrote `length` bytes of a socket address into `address`.
                let from = unsafe { SockAddr::new(address, length) }.as_socket();
                match from {
                    Some(from) => Ok(Completion::Received { token, data, from }),
                    None => Err(io::Error::other("datagram from a non-IP address")),
                }
            } else {
                Err(last_error())
            }
        }
        Waiting::SendTo(data, to) => {
            let to = SockAddr::from(*to);
            // SAFETY: `data` has `len` readable bytes and `to` is a valid address of `to.len()` bytes.
            let n = unsafe {
                libc::sendto(
                    fd,
                    data.as_ptr() as *const libc::c_void,
                    data.len(),
                    libc::MSG_DONTWAIT,
                    to.as_ptr() as *const libc::sockaddr,
                    to.len(),
                )
            };
            if n >= 0 { Ok(Completion::Sent { token, bytes: n as usize }) } else { Err(last_error()) }
        }
    };
    match result {
        Ok(done) => Some(done),
        Err(e) if e.kind() == io::ErrorKind::WouldBlock => None,
        Err(e) if e.kind() == io::ErrorKind::Interrupted => None,
        Err(error) => Some(Completion::Failed { token, error }),
    }
}

fn set_nonblocking(fd: RawFd) -> io::Result<()> {
    // SAFETY: fcntl on a descriptor the caller keeps open; F_GETFL/F_SETFL touch no memory of ours.
    unsafe {
        let flags = libc::fcntl(fd, libc::F_GETFL);
        if flags < 0 || libc::fcntl(fd, libc::F_SETFL, flags | libc::O_NONBLOCK) < 0 {
            return Err(last_error());
        }
    }
    Ok(())
}

impl Epoll {
    pub(crate) fn new() -> io::Result<Epoll> {
        Ok(Epoll {
            poller: Poller::new()?,
            events: Events::new(),
            timers: BinaryHeap::new(),
            timer_seq: 0,
            live_timers: HashSet::new(),
            descriptors: HashMap::new(),
            waiting_on: HashMap::new(),
            ready: Vec::new(),
        })
    }

    /// Re-arms epoll for what the descriptor's queue still waits for (its registration is one-shot).
    fn arm(&mut self, fd: RawFd) -> io::Result<()> {
        let Some(descriptor) = self.descriptors.get_mut(&fd) else { return Ok(()) };
        let readable = descriptor.queue.iter().any(|(_, w)| w.reads());
        let writable = descriptor.queue.iter().any(|(_, w)| !w.reads());
        let event = Event::new(fd as usize, readable, writable);
        if descriptor.registered {
            // SAFETY: the caller keeps `fd` open while operations on it are in flight.
            self.poller.modify(unsafe { BorrowedFd::borrow_raw(fd) }, event)
        } else {
            // SAFETY: as above; the descriptor is removed from the poller when its queue empties.
            unsafe { self.poller.add(fd, event)? };
            descriptor.registered = true;
            Ok(())
        }
    }

    /// Tries the descriptor's waiting operations in order until one would block.
    fn drive(&mut self, fd: RawFd, out: &mut Vec<Completion>) -> io::Result<()> {
        let Some(descriptor) = self.descriptors.get_mut(&fd) else { return Ok(()) };
        let mut still = VecDeque::new();
        let (mut read_blocked, mut write_blocked) = (false, false);
        while let Some((token, mut waiting)) = descriptor.queue.pop_front() {
            let blocked = if waiting.reads() { &mut read_blocked } else { &mut write_blocked };
            if !*blocked {
                if let Some(done) = attempt(fd, token, &mut waiting) {
                    self.waiting_on.remove(&token);
                    out.push(done);
                    continue;
                }
                *blocked = true;
            }
            still.push_back((token, waiting));
        }
        descriptor.queue = still;
        if descriptor.queue.is_empty() {
            if descriptor.registered {
                // SAFETY: the descriptor is still open (its last operation just completed).
                let _ = self.poller.delete(unsafe { BorrowedFd::borrow_raw(fd) });
            }
            self.descriptors.remove(&fd);
            return Ok(());
        }
        self.arm(fd)
    }

    fn cancel(&mut self, target: Token) -> io::Result<()> {
        if self.live_timers.remove(&target) {
            self.ready.push(Completion::Cancelled { token: target });
            return Ok(());
        }
        let Some(fd) = self.waiting_on.remove(&target) else {
            return Err(io::Error::new(
                io::ErrorKind::NotFound,
                format!("no operation {target:?} in flight"),
            ));
        };
        if let Some(descriptor) = self.descriptors.get_mut(&fd) {
            descriptor.queue.retain(|(token, _)| *token != target);
        }
        self.ready.push(Completion::Cancelled { token: target });
        let mut sink = Vec::new();
        self.drive(fd, &mut sink)?;
        self.ready.extend(sink);
        Ok(())
    }
}

impl Backend for Epoll {
    fn wake_fd(&self) -> RawFd {
        use std::os::fd::AsRawFd;
        self.poller.as_raw_fd()
    }

    fn submit(&mut self, token: Token, op: Op) -> io::Result<()> {
        let (fd, waiting) = match op {
            Op::Timeout(after) => {
                self.timer_seq += 1;
                self.timers.push(Reverse((Instant::now() + after, self.timer_seq, token)));
                self.live_timers.insert(token);
                return Ok(());
            }
            Op::Cancel(target) => return self.cancel(target),
            Op::Accept { listener } => (listener, Waiting::Accept),
            Op::Read { fd, max } => (fd, Waiting::Read(max)),
            Op::Write { fd, data } => (fd, Waiting::Write(data)),
            Op::RecvFrom { fd, max } => (fd, Waiting::RecvFrom(max)),
            Op::SendTo { fd, data, to } => (fd, Waiting::SendTo(data, to)),
        };
        let descriptor = self.descriptors.entry(fd).or_default();
        if descriptor.queue.is_empty() && !descriptor.registered {
            // The first attempt happens now, before epoll knows the descriptor: it must not block.
            set_nonblocking(fd)?;
        }
        descriptor.queue.push_back((token, waiting));
        self.waiting_on.insert(token, fd);
        let mut done = Vec::new();
        self.drive(fd, &mut done)?;
        self.ready.extend(done);
        Ok(())
    }

    fn poll(&mut self, timeout: Option<Duration>, out: &mut Vec<Completion>) -> io::Result<()> {
        let now = Instant::now();
        let next_timer = self.timers.peek().map(|Reverse((at, _, _))| at.saturating_duration_since(now));
        let wait = if !self.ready.is_empty() {
            Some(Duration::ZERO)
        } else {
            match (timeout, next_timer) {
                (Some(t), Some(n)) => Some(t.min(n)),
                (t, n) => t.or(n),
            }
        };
        if !self.descriptors.is_empty() || wait != Some(Duration::ZERO) {
            self.events.clear();
            match self.poller.wait(&mut self.events, wait) {
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        out.append(&mut self.ready);
        let ready_fds: Vec<RawFd> = self.events.iter().map(|e| e.key as RawFd).collect();
        for fd in ready_fds {
            self.drive(fd, out)?;
        }
        let now = Instant::now();
        while let Some(Reverse((at, _, token))) = self.timers.peek().copied() {
            if at > now {
                break;
            }
            self.timers.pop();
            if self.live_timers.remove(&token) {
                out.push(Completion::Timer { token });
            }
        }
        Ok(())
    }

    fn in_flight(&self) -> usize {
        self.live_timers.len() + self.waiting_on.len()
    }

    fn idle(&self) -> bool {
        self.in_flight() == 0 && self.ready.is_empty()
    }
}
