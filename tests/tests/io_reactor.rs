//! The reactor on both backends, over loopback: timers in order, UDP, TCP accept/read/write, cancellation
//! and limits. Every wait is bounded.

use engine_io::{BackendKind, Completion, Op, Reactor, Token};
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream, UdpSocket};
use std::os::fd::AsRawFd;
use std::time::{Duration, Instant};

const BACKENDS: [BackendKind; 2] = [BackendKind::IoUring, BackendKind::Epoll];

/// Polls until `count` completions arrived, failing after five seconds.
fn collect(reactor: &mut Reactor, count: usize) -> Vec<Completion> {
    let deadline = Instant::now() + Duration::from_secs(5);
    let mut done = Vec::new();
    while done.len() < count {
        assert!(Instant::now() < deadline, "only {} of {count} completions: {done:?}", done.len());
        reactor.poll(Some(Duration::from_millis(50)), &mut done).unwrap();
    }
    done
}

#[test]
fn timers_fire_in_deadline_order() {
    for kind in BACKENDS {
        let mut reactor = Reactor::with_backend(kind).unwrap();
        for (token, ms) in [(3, 60), (1, 10), (2, 30)] {
            reactor.submit(Token(token), Op::Timeout(Duration::from_millis(ms))).unwrap();
        }
        let order: Vec<u64> = collect(&mut reactor, 3).iter().map(|c| c.token().0).collect();
        assert_eq!(order, vec![1, 2, 3], "{kind:?}");
        assert_eq!(reactor.in_flight(), 0);
    }
}

#[test]
fn udp_datagrams_go_both_ways() {
    for kind in BACKENDS {
        let mut reactor = Reactor::with_backend(kind).unwrap();
        let a = UdpSocket::bind("127.0.0.1:0").unwrap();
        let b = UdpSocket::bind("127.0.0.1:0").unwrap();
        reactor.submit(Token(1), Op::RecvFrom { fd: a.as_raw_fd(), max: 2048 }).unwrap();
        let to = a.local_addr().unwrap();
        reactor
            .submit(Token(2), Op::SendTo { fd: b.as_raw_fd(), data: b"ames packet".to_vec(), to })
            .unwrap();
        let mut done = collect(&mut reactor, 2);
        done.sort_by_key(|c| c.token());
        match &done[0] {
            Completion::Received { data, from, .. } => {
                assert_eq!(data, b"ames packet");
                assert_eq!(*from, b.local_addr().unwrap());
            }
            other => panic!("{kind:?}: {other:?}"),
        }
        assert!(matches!(done[1], Completion::Sent { bytes: 11, .. }), "{kind:?}: {:?}", done[1]);
    }
}

#[test]
fn tcp_accept_read_and_write() {
    for kind in BACKENDS {
        let mut reactor = Reactor::with_backend(kind).unwrap();
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        reactor.submit(Token(1), Op::Accept { listener: listener.as_raw_fd() }).unwrap();
        let mut client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let fd = match collect(&mut reactor, 1).pop().unwrap() {
            Completion::Accepted { fd, .. } => fd,
            other => panic!("{kind:?}: {other:?}"),
        };
        reactor.submit(Token(2), Op::Read { fd, max: 64 }).unwrap();
        client.write_all(b"hello").unwrap();
        match collect(&mut reactor, 1).pop().unwrap() {
            Completion::Read { data, .. } => assert_eq!(data, b"hello"),
            other => panic!("{kind:?}: {other:?}"),
        }
        reactor.submit(Token(3), Op::Write { fd, data: b"world".to_vec() }).unwrap();
        assert!(matches!(collect(&mut reactor, 1)[0], Completion::Written { bytes: 5, .. }));
        let mut reply = [0u8; 5];
        client.read_exact(&mut reply).unwrap();
        assert_eq!(&reply, b"world");
        drop(client);
        reactor.submit(Token(4), Op::Read { fd, max: 64 }).unwrap();
        match collect(&mut reactor, 1).pop().unwrap() {
            Completion::Read { data, .. } => assert!(data.is_empty(), "a closed peer reads as 0 bytes"),
            other => panic!("{kind:?}: {other:?}"),
        }
        // SAFETY: `fd` came from accept and nothing else holds it.
        unsafe { libc::close(fd) };
    }
}

#[test]
fn a_pending_operation_can_be_cancelled() {
    for kind in BACKENDS {
        let mut reactor = Reactor::with_backend(kind).unwrap();
        let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
        reactor.submit(Token(1), Op::RecvFrom { fd: socket.as_raw_fd(), max: 512 }).unwrap();
        reactor.submit(Token(2), Op::Timeout(Duration::from_secs(60))).unwrap();
        reactor.submit(Token(10), Op::Cancel(Token(1))).unwrap();
        reactor.submit(Token(11), Op::Cancel(Token(2))).unwrap();
        let mut done = collect(&mut reactor, 2);
        done.sort_by_key(|c| c.token());
        assert!(matches!(done[0], Completion::Cancelled { token: Token(1) }), "{kind:?}: {done:?}");
        assert!(matches!(done[1], Completion::Cancelled { token: Token(2) }), "{kind:?}: {done:?}");
        assert_eq!(reactor.in_flight(), 0);
        assert!(reactor.submit(Token(12), Op::Cancel(Token(99))).is_err(), "{kind:?}: unknown token");
    }
}

#[test]
fn oversized_or_empty_buffers_are_refused() {
    let mut reactor = Reactor::new().unwrap();
    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    let fd = socket.as_raw_fd();
    assert!(reactor.submit(Token(1), Op::RecvFrom { fd, max: 0 }).is_err());
    assert!(reactor.submit(Token(2), Op::Read { fd, max: engine_io::BUFFER_BYTES_MAX + 1 }).is_err());
    assert_eq!(reactor.in_flight(), 0);
}
