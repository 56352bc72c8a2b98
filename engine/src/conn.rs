//! The conn driver of `engine run` (spec/io.md §11): the control socket at `<pier>/.urb/conn.sock`, its
//! connections driven through the reactor, and what each request asks of the ship. The framing and the
//! nouns are `engine_io::conn`'s; this is the glue to the app's components.
//!
//! Replies that wait for the ship: `%ovum` is answered once its event is durable (`%news %done`), or when
//! it fails or is dropped; `%fyrd` when khan gives its `%avow`; `%peek` when the ship is between events;
//! `%dojo` (engine's) once the line's `%ret` has been computed, its effects printed and the ship is idle
//! again, with the lines the terminal printed meanwhile. Dojo lines are typed one request at a time.

use bevy_ecs::prelude::*;
use components::{Heap, Noun};
use engine_io::conn::{self as wire, Bail, Decoder, Request};
use engine_io::{Completion, Op, Reactor, Token};
use hashbrown::HashMap;
use std::collections::VecDeque;
use std::os::fd::{AsRawFd, FromRawFd};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};

/// The most connections open at once; more are closed as they come.
const CHANNELS_MAX: usize = 64;
/// The most requests one connection may have waiting for the ship.
const REQUESTS_MAX: usize = 256;
/// The most bytes one read asks for.
const READ_BYTES: usize = 1 << 16;
/// The most dojo lines waiting for their turn, and peeks waiting for the ship to be idle.
const QUEUE_MAX: usize = 256;
/// The most bytes of replies waiting to be written to one connection; a client that does not read
/// is disconnected.
const OUT_BYTES_MAX: usize = 256 << 20;

/// The process's reactor, and which ship's socket each operation in flight belongs to.
#[derive(Resource)]
pub struct Io {
    /// In a mutex only to make the resource `Sync`; the systems that use it have it to themselves.
    reactor: std::sync::Mutex<Reactor>,
    targets: HashMap<Token, Entity>,
    next: u64,
}

impl Io {
    pub fn new() -> Result<Io, String> {
        let reactor = Reactor::new().map_err(|e| format!("cannot start the I/O reactor: {e}"))?;
        if let Some(reason) = reactor.fallback_reason() {
            eprintln!("io: {reason}");
        }
        Ok(Io { reactor: std::sync::Mutex::new(reactor), targets: HashMap::new(), next: 1 })
    }

    fn reactor(&mut self) -> &mut Reactor {
        self.reactor.get_mut().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Cancels an operation (its completion, `Cancelled` or `Failed`, comes back as usual).
    fn cancel(&mut self, token: Token) {
        let own = Token(self.next);
        self.next += 1;
        let _ = self.reactor().submit(own, Op::Cancel(token));
    }

    fn submit(&mut self, ship: Entity, op: Op) -> Result<Token, String> {
        let token = Token(self.next);
        self.next += 1;
        self.reactor().submit(token, op).map_err(|e| format!("conn: {e}"))?;
        self.targets.insert(token, ship);
        Ok(token)
    }

    /// Waits at most `wait` and hands back each completion with the ship it is for.
    pub fn poll(&mut self, wait: std::time::Duration) -> Vec<(Entity, Completion)> {
        let mut done = Vec::new();
        if let Err(e) = self.reactor().poll(Some(wait), &mut done) {
            eprintln!("io: {e}");
            std::thread::sleep(wait);
        }
        done.into_iter().filter_map(|c| self.targets.remove(&c.token()).map(|ship| (ship, c))).collect()
    }
}

/// Where a queued ovum came from, so that its end can be answered.
#[derive(Debug, Clone, Default)]
pub enum Origin {
    #[default]
    Ship,
    /// A conn `%ovum`.
    Ovum { con: u64, rid: Vec<u8> },
    /// A conn `%fyrd`.
    Fyrd { con: u64, rid: Vec<u8> },
    /// khan's `%born`.
    KhanBorn,
    /// The `%ret` of a dojo line typed for a conn request.
    DojoReturn,
}

/// How an event ended, for its origin.
pub enum Outcome {
    /// Computed and durable.
    Done,
    /// Failed: `[rid %bail goofs]` with these goofs (a list, in the serf's heap).
    Failed(Noun),
    /// Never computed (the inbox was full).
    Dropped,
}

struct Channel {
    stream: UnixStream,
    decoder: Decoder,
    out: VecDeque<Vec<u8>>,
    out_bytes: usize,
    reading: Option<Token>,
    writing: Option<Token>,
    /// Closed (or to be closed once what is queued is written): no more reading.
    closing: bool,
    waiting: usize,
}

struct DojoLine {
    con: u64,
    rid: Vec<u8>,
    line: String,
}

struct Typing {
    con: u64,
    rid: Vec<u8>,
    /// The `%ret` has been computed and its effects printed.
    returned: bool,
}

/// One ship's control socket.
#[derive(Component)]
pub struct Conn {
    listener: UnixListener,
    path: PathBuf,
    /// This run's session nonce as a knot, as khan's wires carry it.
    pub sev: String,
    channels: HashMap<u64, Channel>,
    next_con: u64,
    /// khan's `%born` is done: `%fyrd` is accepted.
    pub khan: bool,
    fyrds: HashMap<(u64, String), Vec<u8>>,
    peeks: VecDeque<(u64, Vec<u8>, Vec<u8>)>,
    dojo_lines: VecDeque<DojoLine>,
    typing: Option<Typing>,
    /// `%urth %pack` or `%meld` asked for: compact the heap when idle.
    pub pack: bool,
}

/// What a request asks of the rest of the app.
pub enum Action {
    /// Queue this ovum (jammed) with this origin.
    Inject(Vec<u8>, Origin),
}

impl Conn {
    /// Binds `<pier>/.urb/conn.sock` (a stale socket file is removed first).
    pub fn open(pier: &Path, sev: String) -> Result<Conn, String> {
        let path = pier.join(wire::SOCKET_PATH);
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)
                .map_err(|e| format!("conn: cannot create {}: {e}", dir.display()))?;
        }
        let _ = std::fs::remove_file(&path);
        let listener = UnixListener::bind(&path)
            .map_err(|e| format!("conn: cannot listen on {}: {e}", path.display()))?;
        eprintln!("conn: listening on {}", path.display());
        Ok(Conn {
            listener,
            path,
            sev,
            channels: HashMap::new(),
            next_con: 1,
            khan: false,
            fyrds: HashMap::new(),
            peeks: VecDeque::new(),
            dojo_lines: VecDeque::new(),
            typing: None,
            pack: false,
        })
    }

    /// Starts accepting connections.
    pub fn start(&mut self, io: &mut Io, me: Entity) -> Result<(), String> {
        io.submit(me, Op::Accept { listener: self.listener.as_raw_fd() })?;
        Ok(())
    }

    /// Handles one completion; the requests read are turned into actions or answered at once.
    pub fn on_completion(
        &mut self,
        io: &mut Io,
        me: Entity,
        completion: Completion,
        facts: wire::PeelFacts<'_>,
    ) -> Vec<Action> {
        let mut actions = Vec::new();
        match completion {
            Completion::Accepted { fd, .. } => {
                // SAFETY: the reactor hands over a new descriptor that nothing else owns.
                let stream = unsafe { UnixStream::from_raw_fd(fd) };
                if let Err(e) = self.start(io, me) {
                    eprintln!("{e}");
                }
                if self.channels.len() >= CHANNELS_MAX {
                    eprintln!("conn: {CHANNELS_MAX} connections already open: refusing one");
                    return actions;
                }
                let con = self.next_con;
                self.next_con += 1;
                let mut channel = Channel {
                    stream,
                    decoder: Decoder::default(),
                    out: VecDeque::new(),
                    out_bytes: 0,
                    reading: None,
                    writing: None,
                    closing: false,
                    waiting: 0,
                };
                match io.submit(me, Op::Read { fd: channel.stream.as_raw_fd(), max: READ_BYTES }) {
                    Ok(token) => channel.reading = Some(token),
                    Err(e) => {
                        eprintln!("{e}");
                        return actions;
                    }
                }
                self.channels.insert(con, channel);
            }
            Completion::Read { token, data } => {
                let Some(con) = self.read_con(token) else { return actions };
                let Some(channel) = self.channels.get_mut(&con) else { return actions };
                channel.reading = None;
                if data.is_empty() {
                    self.hang_up(io, me, con, &mut actions);
                    return actions;
                }
                channel.decoder.feed(&data);
                self.read_frames(io, me, con, facts, &mut actions);
                if let Some(channel) = self.channels.get_mut(&con)
                    && !channel.closing
                {
                    let fd = channel.stream.as_raw_fd();
                    match io.submit(me, Op::Read { fd, max: READ_BYTES }) {
                        Ok(token) => channel.reading = Some(token),
                        Err(e) => {
                            eprintln!("{e}");
                            self.hang_up(io, me, con, &mut actions);
                        }
                    }
                }
            }
            Completion::Written { token, bytes } => {
                let Some(con) = self.write_con(token) else { return actions };
                let Some(channel) = self.channels.get_mut(&con) else { return actions };
                channel.writing = None;
                if let Some(front) = channel.out.front_mut() {
                    let bytes = bytes.min(front.len());
                    front.drain(..bytes);
                    channel.out_bytes -= bytes;
                    if front.is_empty() {
                        channel.out.pop_front();
                    }
                }
                self.flush(io, me, con);
            }
            Completion::Failed { token, error } => {
                if let Some(con) = self.read_con(token).or(self.write_con(token)) {
                    if let Some(channel) = self.channels.get_mut(&con) {
                        if channel.reading == Some(token) {
                            channel.reading = None;
                        }
                        if channel.writing == Some(token) {
                            channel.writing = None;
                        }
                    }
                    self.hang_up(io, me, con, &mut actions);
                } else {
                    eprintln!("conn: cannot accept a connection: {error}");
                    if let Err(e) = self.start(io, me) {
                        eprintln!("{e}");
                    }
                }
            }
            Completion::Cancelled { token } => {
                if let Some(con) = self.read_con(token).or(self.write_con(token))
                    && let Some(channel) = self.channels.get_mut(&con)
                {
                    if channel.reading == Some(token) {
                        channel.reading = None;
                    }
                    if channel.writing == Some(token) {
                        channel.writing = None;
                    }
                    self.reap(con);
                }
            }
            _ => {}
        }
        actions
    }

    fn read_con(&self, token: Token) -> Option<u64> {
        self.channels.iter().find(|(_, c)| c.reading == Some(token)).map(|(&con, _)| con)
    }

    fn write_con(&self, token: Token) -> Option<u64> {
        self.channels.iter().find(|(_, c)| c.writing == Some(token)).map(|(&con, _)| con)
    }

    fn read_frames(
        &mut self,
        io: &mut Io,
        me: Entity,
        con: u64,
        facts: wire::PeelFacts<'_>,
        actions: &mut Vec<Action>,
    ) {
        loop {
            let Some(channel) = self.channels.get_mut(&con) else { return };
            if channel.closing {
                return;
            }
            let payload = match channel.decoder.next_frame() {
                Ok(Some(payload)) => payload,
                Ok(None) => return,
                Err(e) => {
                    eprintln!("conn: connection {con}: {e}");
                    self.refuse(io, me, con, Bail::Framing);
                    return;
                }
            };
            let mut heap = Heap::new();
            let request = match wire::read_request(&mut heap, &payload) {
                Ok(request) => request,
                Err(bail) => {
                    self.refuse(io, me, con, bail);
                    return;
                }
            };
            let rid = heap.atom(request.rid()).map(|a| a.to_bytes()).unwrap_or_default();
            if !matches!(request, Request::Peel { .. } | Request::Urth { .. }) {
                if channel.waiting >= REQUESTS_MAX {
                    eprintln!("conn: connection {con} has {REQUESTS_MAX} requests waiting: refusing one");
                    self.refuse(io, me, con, Bail::Framing);
                    return;
                }
                channel.waiting += 1;
            }
            match request {
                Request::Peel { rid, path } => {
                    let answer = wire::peel(&mut heap, path, facts);
                    let reply = heap.cell(rid, answer);
                    self.send(io, me, con, heap.jam(reply));
                }
                Request::Urth { rid, .. } => {
                    self.pack = true;
                    let reply = heap.cell(rid, Noun::YES);
                    self.send(io, me, con, heap.jam(reply));
                }
                Request::Peek { nom, .. } => {
                    if self.peeks.len() >= QUEUE_MAX {
                        self.refuse(io, me, con, Bail::Framing);
                        return;
                    }
                    self.peeks.push_back((con, rid, heap.jam(nom)));
                }
                Request::Ovum { ovum, .. } => {
                    actions.push(Action::Inject(heap.jam(ovum), Origin::Ovum { con, rid }));
                }
                Request::Fyrd { rid: rid_noun, card } => {
                    if !self.khan {
                        self.refuse(io, me, con, Bail::KhanMiss);
                        return;
                    }
                    let knot = wire::rid_knot(&heap, rid_noun);
                    self.fyrds.insert((con, knot), rid.clone());
                    let ovum = wire::fyrd(&mut heap, &self.sev, con, rid_noun, card);
                    actions.push(Action::Inject(heap.jam(ovum), Origin::Fyrd { con, rid }));
                }
                Request::Dojo { line, .. } => {
                    if self.dojo_lines.len() >= QUEUE_MAX {
                        self.refuse(io, me, con, Bail::Framing);
                        return;
                    }
                    let bytes = heap.atom(line).map(|a| a.to_bytes()).unwrap_or_default();
                    let line = String::from_utf8_lossy(&bytes).into_owned();
                    self.dojo_lines.push_back(DojoLine { con, rid, line });
                }
            }
        }
    }

    /// Sends `[0 %bail code msg]` and closes the connection once it is written.
    fn refuse(&mut self, io: &mut Io, me: Entity, con: u64, bail: Bail) {
        let (code, message) = bail.code();
        eprintln!("conn: connection {con}: {message} ({code})");
        let mut heap = Heap::new();
        let reply = bail.reply(&mut heap);
        self.send(io, me, con, heap.jam(reply));
        if let Some(channel) = self.channels.get_mut(&con) {
            channel.closing = true;
            if let Some(token) = channel.reading {
                io.cancel(token);
            }
        }
        self.reap(con);
    }

    /// The client is gone: forget the connection (once its operations are over) and tell khan.
    fn hang_up(&mut self, io: &mut Io, _me: Entity, con: u64, actions: &mut Vec<Action>) {
        if let Some(channel) = self.channels.get_mut(&con) {
            if channel.closing {
                self.reap(con);
                return;
            }
            channel.closing = true;
            channel.out.clear();
            channel.out_bytes = 0;
            for token in [channel.reading, channel.writing].into_iter().flatten() {
                io.cancel(token);
            }
        }
        self.fyrds.retain(|&(c, _), _| c != con);
        self.peeks.retain(|p| p.0 != con);
        self.dojo_lines.retain(|d| d.con != con);
        if self.khan {
            let mut heap = Heap::new();
            let ovum = wire::done(&mut heap, &self.sev, con);
            actions.push(Action::Inject(heap.jam(ovum), Origin::Ship));
        }
        self.reap(con);
    }

    /// Drops a closing connection once nothing of it is in flight or left to write.
    fn reap(&mut self, con: u64) {
        if let Some(channel) = self.channels.get(&con)
            && channel.closing
            && channel.reading.is_none()
            && channel.writing.is_none()
            && channel.out.is_empty()
        {
            self.channels.remove(&con);
        }
    }

    /// Queues a reply (a jammed noun) for a connection.
    pub fn send(&mut self, io: &mut Io, me: Entity, con: u64, payload: Vec<u8>) {
        let Some(channel) = self.channels.get_mut(&con) else { return };
        let framed = wire::frame(&payload);
        if channel.out_bytes + framed.len() > OUT_BYTES_MAX {
            eprintln!("conn: connection {con} does not read its replies: closing it");
            channel.closing = true;
            channel.out.clear();
            channel.out_bytes = 0;
            self.reap(con);
            return;
        }
        channel.out_bytes += framed.len();
        channel.out.push_back(framed);
        self.flush(io, me, con);
    }

    fn flush(&mut self, io: &mut Io, me: Entity, con: u64) {
        let Some(channel) = self.channels.get_mut(&con) else { return };
        if channel.writing.is_none()
            && let Some(front) = channel.out.front()
        {
            let data = front[..front.len().min(engine_io::BUFFER_BYTES_MAX)].to_vec();
            match io.submit(me, Op::Write { fd: channel.stream.as_raw_fd(), data }) {
                Ok(token) => channel.writing = Some(token),
                Err(e) => {
                    eprintln!("{e}");
                    channel.out.clear();
                    channel.out_bytes = 0;
                    channel.closing = true;
                }
            }
        }
        self.reap(con);
    }

    /// A reply is no longer awaited from the ship on this connection.
    fn answered(&mut self, con: u64) {
        if let Some(channel) = self.channels.get_mut(&con) {
            channel.waiting = channel.waiting.saturating_sub(1);
        }
    }

    /// Answers the end of an event that came from conn (`heap` is the ship's; `goofs` in it).
    pub fn on_event_end(
        &mut self,
        io: &mut Io,
        me: Entity,
        heap: &mut Heap,
        origin: &Origin,
        outcome: &Outcome,
    ) {
        match (origin, outcome) {
            (Origin::KhanBorn, Outcome::Done) => self.khan = true,
            (Origin::KhanBorn, _) => eprintln!("conn: khan did not start: %fyrd is refused"),
            (Origin::Ovum { con, rid }, outcome) => {
                let rid_noun = heap.atom_from_bytes(rid);
                let reply = match outcome {
                    Outcome::Done => wire::news(heap, rid_noun, true),
                    Outcome::Dropped => wire::news(heap, rid_noun, false),
                    Outcome::Failed(goofs) => wire::reply(heap, rid_noun, "bail", *goofs),
                };
                let bytes = heap.jam(reply);
                self.answered(*con);
                self.send(io, me, *con, bytes);
            }
            (Origin::Fyrd { con, rid }, Outcome::Failed(goofs)) => {
                let rid_noun = heap.atom_from_bytes(rid);
                let knot = wire::rid_knot(heap, rid_noun);
                self.fyrds.remove(&(*con, knot));
                let reply = wire::reply(heap, rid_noun, "bail", *goofs);
                let bytes = heap.jam(reply);
                self.answered(*con);
                self.send(io, me, *con, bytes);
            }
            (Origin::Fyrd { con, rid }, Outcome::Dropped) => {
                let mut scratch = Heap::new();
                let rid_noun = scratch.atom_from_bytes(rid);
                let knot = wire::rid_knot(&scratch, rid_noun);
                self.fyrds.remove(&(*con, knot));
                let reply = wire::news(&mut scratch, rid_noun, false);
                self.answered(*con);
                self.send(io, me, *con, scratch.jam(reply));
            }
            (Origin::DojoReturn, _) => {
                if let Some(typing) = self.typing.as_mut() {
                    typing.returned = true;
                }
            }
            _ => {}
        }
    }

    /// Claims an effect for conn: khan's `%avow` answers its `%fyrd`. `false` if it is not conn's.
    pub fn on_effect(&mut self, io: &mut Io, me: Entity, heap: &Heap, wire_noun: Noun, card: Noun) -> bool {
        match wire::claims(heap, wire_noun, card, &self.sev) {
            None => false,
            Some(Err(e)) => {
                eprintln!("{e}");
                true
            }
            Some(Ok(avow)) => {
                let Some(rid) = self.fyrds.remove(&(avow.con, avow.rid.clone())) else { return true };
                let mut scratch = Heap::new();
                let Ok(result) = scratch.cue(&heap.jam(avow.result)) else { return true };
                let rid = scratch.atom_from_bytes(&rid);
                let reply = wire::avow_reply(&mut scratch, rid, result);
                self.answered(avow.con);
                self.send(io, me, avow.con, scratch.jam(reply));
                true
            }
        }
    }

    /// Scries waiting for the ship to be idle, oldest first: `(con, rid, jam of nom)`.
    pub fn take_peeks(&mut self, most: usize) -> Vec<(u64, Vec<u8>, Vec<u8>)> {
        let n = self.peeks.len().min(most);
        self.peeks.drain(..n).collect()
    }

    /// Answers a scry with `[rid %peek result]` (`result` in `heap`).
    pub fn answer_peek(
        &mut self,
        io: &mut Io,
        me: Entity,
        heap: &mut Heap,
        con: u64,
        rid: &[u8],
        result: Noun,
    ) {
        let rid = heap.atom_from_bytes(rid);
        let reply = wire::reply(heap, rid, "peek", result);
        let bytes = heap.jam(reply);
        self.answered(con);
        self.send(io, me, con, bytes);
    }

    /// The next dojo line to type, when none is being typed: its text.
    pub fn next_dojo_line(&mut self) -> Option<String> {
        if self.typing.is_some() {
            return None;
        }
        let next = self.dojo_lines.pop_front()?;
        self.typing = Some(Typing { con: next.con, rid: next.rid, returned: false });
        Some(next.line)
    }

    /// Whether the line being typed has been computed (then, once the ship is idle, [`Conn::finish_dojo`]).
    pub fn dojo_returned(&self) -> bool {
        self.typing.as_ref().is_some_and(|t| t.returned)
    }

    /// Answers the line being typed with the lines the terminal printed, and whether it was taken.
    pub fn finish_dojo(&mut self, io: &mut Io, me: Entity, lines: &[String], taken: bool) {
        let Some(typing) = self.typing.take() else { return };
        let mut heap = Heap::new();
        let rid = heap.atom_from_bytes(&typing.rid);
        let reply = wire::dojo_reply(&mut heap, rid, taken, lines);
        self.answered(typing.con);
        self.send(io, me, typing.con, heap.jam(reply));
    }

    /// Closes every connection and removes the socket file.
    pub fn close(&mut self) {
        self.channels.clear();
        let _ = std::fs::remove_file(&self.path);
    }
}
