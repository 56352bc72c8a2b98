//! The io_uring backend.

use crate::reactor::{Backend, Completion, Op, Token};
use io_uring::{IoUring, opcode, squeue, types};
use socket2::{SockAddr, SockAddrStorage};
use std::collections::HashMap;
use std::io;
use std::mem::MaybeUninit;
use std::time::Duration;

const ENTRIES: u32 = 256;

/// A `msghdr` with the address, the one `iovec` and the bytes it points at, boxed so that the pointers
/// between them stay valid while the kernel uses them.
struct Message {
    header: libc::msghdr,
    iov: libc::iovec,
    address: SockAddrStorage,
    data: Vec<u8>,
}

// SAFETY: the raw pointers inside a Message point into the same box (its own address, iovec and data),
// so moving the box to another thread keeps them valid, and nothing else holds them.
unsafe impl Send for Message {}

impl Message {
    fn new(data: Vec<u8>, to: Option<&SockAddr>) -> Box<Message> {
        // SAFETY: msghdr is a plain C struct for which all-zero bytes are valid.
        let header = unsafe { MaybeUninit::zeroed().assume_init() };
        let address = SockAddrStorage::zeroed();
        let iov = libc::iovec { iov_base: std::ptr::null_mut(), iov_len: 0 };
        let mut message = Box::new(Message { header, iov, address, data });
        let name_len = match to {
            Some(addr) => {
                // SAFETY: `addr.len()` bytes are readable at `addr.as_ptr()`, and a sockaddr_storage holds
                // any socket address.
                unsafe {
                    std::ptr::copy_nonoverlapping(
                        addr.as_ptr() as *const u8,
                        &mut message.address as *mut _ as *mut u8,
                        addr.len() as usize,
                    )
                };
                addr.len()
            }
            None => message.address.size_of(),
        };
        message.iov.iov_base = message.data.as_mut_ptr() as *mut libc::c_void;
        message.iov.iov_len = message.data.len();
        message.header.msg_name = &mut message.address as *mut _ as *mut libc::c_void;
        message.header.msg_namelen = name_len;
        message.header.msg_iov = &mut message.iov;
        message.header.msg_iovlen = 1;
        message
    }

    fn sender(&mut self) -> io::Result<std::net::SocketAddr> {
        let address = std::mem::replace(&mut self.address, SockAddrStorage::zeroed());
        // SAFETY: the kernel wrote `msg_namelen` bytes of a socket address into `address`.
        let addr = unsafe { SockAddr::new(address, self.header.msg_namelen) };
        addr.as_socket().ok_or_else(|| io::Error::other("datagram from a non-IP address"))
    }
}

/// What the reactor keeps for an operation in flight: everything the kernel may still touch. Some fields
/// are never read back: they are held so that the memory the kernel reads stays alive.
#[allow(dead_code)]
enum InFlight {
    Timeout(Box<types::Timespec>),
    Accept,
    Read(Vec<u8>),
    Write(Vec<u8>),
    Recv(Box<Message>),
    Send(Box<Message>),
    /// A cancel request of ours; its own completion reports nothing.
    Cancel,
}

pub(crate) struct Uring {
    ring: IoUring,
    next_id: u64,
    /// Internal id (the entry's user data) → the caller's token and the operation's memory.
    in_flight: HashMap<u64, (Token, InFlight)>,
    /// The caller's token → internal id, for cancellation.
    ids: HashMap<Token, u64>,
}

impl Uring {
    pub(crate) fn new() -> io::Result<Uring> {
        let ring = IoUring::new(ENTRIES)?;
        Ok(Uring { ring, next_id: 1, in_flight: HashMap::new(), ids: HashMap::new() })
    }

    fn push(&mut self, entry: squeue::Entry) -> io::Result<()> {
        loop {
            // SAFETY: every buffer, timespec and message an entry points at lives in `in_flight` (boxed or
            // in a Vec whose heap storage never moves) until the entry's completion is reaped in `poll`;
            // on drop, memory of unfinished operations is leaked rather than freed.
            if unsafe { self.ring.submission().push(&entry) }.is_ok() {
                return Ok(());
            }
            self.ring.submit()?;
        }
    }

    fn entry_for(&mut self, op: Op) -> io::Result<(squeue::Entry, InFlight)> {
        Ok(match op {
            Op::Timeout(after) => {
                let spec = Box::new(types::Timespec::new().sec(after.as_secs()).nsec(after.subsec_nanos()));
                (opcode::Timeout::new(&*spec).build(), InFlight::Timeout(spec))
            }
            Op::Accept { listener } => {
                let entry =
                    opcode::Accept::new(types::Fd(listener), std::ptr::null_mut(), std::ptr::null_mut())
                        .flags(libc::SOCK_CLOEXEC | libc::SOCK_NONBLOCK)
                        .build();
                (entry, InFlight::Accept)
            }
            Op::Read { fd, max } => {
                // Not zeroed: the kernel writes the bytes the completion counts, and only those are kept.
                let mut buffer = Vec::<u8>::with_capacity(max);
                let entry = opcode::Read::new(types::Fd(fd), buffer.as_mut_ptr(), max as u32).build();
                (entry, InFlight::Read(buffer))
            }
            Op::Write { fd, data } => {
                let entry = opcode::Write::new(types::Fd(fd), data.as_ptr(), data.len() as u32).build();
                (entry, InFlight::Write(data))
            }
            Op::RecvFrom { fd, max } => {
                let mut message = Message::new(vec![0u8; max], None);
                let entry = opcode::RecvMsg::new(types::Fd(fd), &mut message.header).build();
                (entry, InFlight::Recv(message))
            }
            Op::SendTo { fd, data, to } => {
                let message = Message::new(data, Some(&SockAddr::from(to)));
                let entry = opcode::SendMsg::new(types::Fd(fd), &message.header).build();
                (entry, InFlight::Send(message))
            }
            Op::Cancel(target) => {
                let Some(&target_id) = self.ids.get(&target) else {
                    return Err(io::Error::new(
                        io::ErrorKind::NotFound,
                        format!("no operation {target:?} in flight"),
                    ));
                };
                (opcode::AsyncCancel::new(target_id).build(), InFlight::Cancel)
            }
        })
    }

    fn complete(token: Token, op: InFlight, result: i32) -> Option<Completion> {
        if let InFlight::Cancel = op {
            return None;
        }
        if result == -libc::ECANCELED {
            return Some(Completion::Cancelled { token });
        }
        if let InFlight::Timeout(_) = op {
            // A timeout that fires completes with ETIME: that is its success.
            return Some(if result == -libc::ETIME || result >= 0 {
                Completion::Timer { token }
            } else {
                Completion::Failed { token, error: io::Error::from_raw_os_error(-result) }
            });
        }
        if result < 0 {
            return Some(Completion::Failed { token, error: io::Error::from_raw_os_error(-result) });
        }
        let n = result as usize;
        Some(match op {
            InFlight::Accept => Completion::Accepted { token, fd: result },
            InFlight::Read(mut data) => {
                // SAFETY: the kernel wrote `n` bytes (at most the capacity asked for) at the start of
                // the buffer, which stayed owned by the ring's table until now.
                unsafe { data.set_len(n.min(data.capacity())) };
                Completion::Read { token, data }
            }
            InFlight::Write(_) => Completion::Written { token, bytes: n },
            InFlight::Recv(mut message) => match message.sender() {
                Ok(from) => {
                    let mut data = std::mem::take(&mut message.data);
                    data.truncate(n);
                    Completion::Received { token, data, from }
                }
                Err(error) => Completion::Failed { token, error },
            },
            InFlight::Send(_) => Completion::Sent { token, bytes: n },
            InFlight::Timeout(_) | InFlight::Cancel => unreachable!("handled above"),
        })
    }
}

impl Backend for Uring {
    fn wake_fd(&self) -> std::os::fd::RawFd {
        use std::os::fd::AsRawFd;
        self.ring.as_raw_fd()
    }

    fn flush(&mut self) -> io::Result<()> {
        self.ring.submit().map(|_| ())
    }

    fn submit(&mut self, token: Token, op: Op) -> io::Result<()> {
        let id = self.next_id;
        self.next_id += 1;
        let is_cancel = matches!(op, Op::Cancel(_));
        let (entry, in_flight) = self.entry_for(op)?;
        self.in_flight.insert(id, (token, in_flight));
        if !is_cancel {
            self.ids.insert(token, id);
        }
        self.push(entry.user_data(id))
    }

    fn poll(&mut self, timeout: Option<Duration>, out: &mut Vec<Completion>) -> io::Result<()> {
        let wait_for = usize::from(self.ring.completion().is_empty() && !self.in_flight.is_empty());
        let result = match timeout {
            Some(d) if d.is_zero() => self.ring.submit(),
            Some(d) if wait_for > 0 => {
                let spec = types::Timespec::new().sec(d.as_secs()).nsec(d.subsec_nanos());
                let args = types::SubmitArgs::new().timespec(&spec);
                self.ring.submitter().submit_with_args(1, &args)
            }
            _ => self.ring.submit_and_wait(wait_for),
        };
        match result {
            Ok(_) => {}
            Err(e)
                if matches!(e.raw_os_error(), Some(libc::ETIME) | Some(libc::EINTR) | Some(libc::EBUSY)) => {}
            Err(e) => return Err(e),
        }
        let finished: Vec<(u64, i32)> =
            self.ring.completion().map(|cqe| (cqe.user_data(), cqe.result())).collect();
        for (id, result) in finished {
            let Some((token, op)) = self.in_flight.remove(&id) else { continue };
            if !matches!(op, InFlight::Cancel) {
                self.ids.remove(&token);
            }
            out.extend(Uring::complete(token, op, result));
        }
        Ok(())
    }

    fn in_flight(&self) -> usize {
        self.ids.len()
    }

    fn idle(&self) -> bool {
        self.in_flight.is_empty()
    }
}

impl Drop for Uring {
    fn drop(&mut self) {
        // The kernel may still write into the buffers of unfinished operations after the ring is closed:
        // leak them rather than free memory it can touch.
        std::mem::forget(std::mem::take(&mut self.in_flight));
    }
}
