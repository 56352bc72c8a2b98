//! conn's connection state machine, in two parts. [`ConnServer`] is one ship's side: the listening
//! socket at `<pier>/.urb/conn.sock`, the requests that wait for the ship (scries, dojo lines, khan's
//! threads) and the replies the ship's systems have for the connections. [`Connection`] is one client's
//! side: its stream driven through the [`Dispatcher`], the frames read from it, the replies waiting to be
//! written, and its limits (replies queued in bytes, requests waiting for the ship). The app keeps each
//! connection as an entity of its own; what a request asks of the ship comes out as a [`ConnAction`] (an
//! ovum to queue) or waits in the server for the app to ask ([`ConnServer::take_peeks`],
//! [`ConnServer::next_dojo_line`]); the app tells the server how the ship's events ended
//! ([`ConnServer::on_event_end`]) and hands the replies that makes ([`ConnServer::take_replies`]) to the
//! connections ([`Connection::deliver`]).
//!
//! Replies that wait for the ship: `%ovum` is answered once its event is durable (`%news %done`), or when
//! it fails or is dropped; `%fyrd` when khan gives its `%avow`; `%peek` when the ship is between events;
//! `%dojo` (engine's) once the line's `%ret` has been computed, its effects printed and the ship is idle
//! again, with the lines the terminal printed meanwhile. Dojo lines are typed one request at a time.
//!
//! The dispatcher's keys `K` name what an operation is for: the ship (its listening socket's accepts) or
//! the connection (its reads and writes). The app uses ECS entities for both.

use crate::conn::{self as wire, Bail, Decoder, Request};
use crate::{Completion, Dispatcher, Op, ShipKey, Token};
use components::app::Origin;
use components::{Heap, Noun};
use hashbrown::HashMap;
use smallvec::SmallVec;
use std::collections::VecDeque;
use std::os::fd::{AsRawFd, FromRawFd};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};

/// The most connections one ship has open at once; more are closed as they come.
pub const CONNECTIONS_MAX: usize = 64;
/// The most requests one connection may have waiting for the ship.
pub const REQUESTS_WAITING_MAX: usize = 256;
/// The most bytes one read asks for.
const READ_BYTES: usize = 1 << 16;
/// The most dojo lines waiting for their turn, and peeks waiting for the ship to be idle.
const QUEUE_MAX: usize = 256;
/// The most bytes of replies waiting to be written to one connection; a client that does not read
/// is disconnected.
pub const OUT_BYTES_MAX: usize = 256 << 20;

/// How an event ended, for its origin.
pub enum EventEnd {
    /// Computed and durable.
    Done,
    /// Failed: `[rid %bail goofs]` with these goofs (a list, in the serf's heap).
    Failed(Noun),
    /// Never computed (the inbox was full).
    Dropped,
}

/// A reply from the ship for one connection: a jammed noun.
pub struct Reply {
    /// The connection's number.
    pub con: u64,
    pub payload: Vec<u8>,
}

/// One client's connection to the control socket.
pub struct Connection {
    /// Its number, unique for the ship in this run (khan's wires carry it).
    pub con: u64,
    stream: UnixStream,
    decoder: Decoder,
    out: VecDeque<Vec<u8>>,
    out_bytes: usize,
    reading: Option<Token>,
    writing: Option<Token>,
    /// Closed (or to be closed once what is queued is written): no more reading.
    closing: bool,
    /// Requests read whose replies the ship still owes.
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

/// One ship's control socket: what waits for the ship, and the replies it has made.
pub struct ConnServer {
    listener: UnixListener,
    path: PathBuf,
    /// This run's session nonce as a knot, as khan's wires carry it.
    pub sev: String,
    next_con: u64,
    /// Connections open (made by [`ConnServer::connect`], not yet [`ConnServer::closed`]).
    open: usize,
    /// khan's `%born` is done: `%fyrd` is accepted.
    pub khan: bool,
    fyrds: HashMap<(u64, String), Vec<u8>>,
    peeks: VecDeque<(u64, Vec<u8>, Vec<u8>)>,
    dojo_lines: VecDeque<DojoLine>,
    typing: Option<Typing>,
    replies: Vec<Reply>,
    /// `%urth %pack` or `%meld` asked for: compact the heap when idle.
    pub pack: bool,
}

/// What a request asks of the rest of the app.
pub enum ConnAction {
    /// Queue this ovum (jammed) with this origin.
    Inject(Vec<u8>, Origin),
}

/// The actions of one completion: rarely more than one, so kept inline.
pub type ConnActions = SmallVec<[ConnAction; 2]>;

impl ConnServer {
    /// Binds `<pier>/.urb/conn.sock` (a stale socket file is removed first).
    pub fn open(pier: &Path, sev: String) -> Result<ConnServer, String> {
        let path = pier.join(wire::SOCKET_PATH);
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)
                .map_err(|e| format!("conn: cannot create {}: {e}", dir.display()))?;
        }
        let _ = std::fs::remove_file(&path);
        let listener = UnixListener::bind(&path)
            .map_err(|e| format!("conn: cannot listen on {}: {e}", path.display()))?;
        eprintln!("conn: listening on {}", path.display());
        Ok(ConnServer {
            listener,
            path,
            sev,
            next_con: 1,
            open: 0,
            khan: false,
            fyrds: HashMap::new(),
            peeks: VecDeque::new(),
            dojo_lines: VecDeque::new(),
            typing: None,
            replies: Vec::new(),
            pack: false,
        })
    }

    /// Starts accepting connections (`me`: the key of the ship, which the accepts come back with).
    pub fn start<K: ShipKey>(&mut self, io: &mut Dispatcher<K>, me: K) -> Result<(), String> {
        io.submit(me, Op::Accept { listener: self.listener.as_raw_fd() })?;
        Ok(())
    }

    /// A completion of the listening socket: the next accept is submitted, and a new client's stream
    /// handed back (to [`ConnServer::connect`] under a key of its own).
    pub fn on_listener<K: ShipKey>(
        &mut self,
        io: &mut Dispatcher<K>,
        me: K,
        completion: Completion,
    ) -> Option<UnixStream> {
        let accepted = match completion {
            Completion::Accepted { fd, .. } => {
                // SAFETY: the reactor hands over a new descriptor that nothing else owns.
                Some(unsafe { UnixStream::from_raw_fd(fd) })
            }
            Completion::Failed { error, .. } => {
                eprintln!("conn: cannot accept a connection: {error}");
                None
            }
            _ => return None,
        };
        if let Err(e) = self.start(io, me) {
            eprintln!("{e}");
        }
        accepted
    }

    /// A new connection, read under `key` (`None`, and the stream closed, when [`CONNECTIONS_MAX`] are
    /// already open or the read cannot be submitted).
    pub fn connect<K: ShipKey>(
        &mut self,
        io: &mut Dispatcher<K>,
        stream: UnixStream,
        key: K,
    ) -> Option<Connection> {
        if self.open >= CONNECTIONS_MAX {
            eprintln!("conn: {CONNECTIONS_MAX} connections already open: refusing one");
            return None;
        }
        let mut connection = Connection {
            con: self.next_con,
            stream,
            decoder: Decoder::default(),
            out: VecDeque::new(),
            out_bytes: 0,
            reading: None,
            writing: None,
            closing: false,
            waiting: 0,
        };
        match io.submit(key, Op::Read { fd: connection.stream.as_raw_fd(), max: READ_BYTES }) {
            Ok(token) => connection.reading = Some(token),
            Err(e) => {
                eprintln!("{e}");
                return None;
            }
        }
        self.next_con += 1;
        self.open += 1;
        Some(connection)
    }

    /// A connection made by [`ConnServer::connect`] is gone (its entity dropped).
    pub fn closed(&mut self, con: u64) {
        debug_assert!(self.open > 0, "conn: connection {con} closed twice");
        self.open = self.open.saturating_sub(1);
    }

    /// How many connections are open.
    pub fn open_connections(&self) -> usize {
        self.open
    }

    /// The replies made since the last call, oldest first, for [`Connection::deliver`].
    pub fn take_replies(&mut self) -> Vec<Reply> {
        std::mem::take(&mut self.replies)
    }

    fn reply(&mut self, con: u64, payload: Vec<u8>) {
        self.replies.push(Reply { con, payload });
    }

    /// A client is gone: what waits for the ship on its behalf is dropped, and khan is told.
    fn forget(&mut self, con: u64, actions: &mut ConnActions) {
        self.fyrds.retain(|&(c, _), _| c != con);
        self.peeks.retain(|p| p.0 != con);
        self.dojo_lines.retain(|d| d.con != con);
        self.replies.retain(|r| r.con != con);
        if self.khan {
            let mut heap = Heap::new();
            let ovum = wire::done(&mut heap, &self.sev, con);
            actions.push(ConnAction::Inject(heap.jam(ovum), Origin::Ship));
        }
    }

    /// Answers the end of an event that came from conn (`heap` is the ship's; `goofs` in it).
    pub fn on_event_end(&mut self, heap: &mut Heap, origin: &Origin, outcome: &EventEnd) {
        match (origin, outcome) {
            (Origin::KhanBorn, EventEnd::Done) => self.khan = true,
            (Origin::KhanBorn, _) => eprintln!("conn: khan did not start: %fyrd is refused"),
            (Origin::Ovum { con, rid }, outcome) => {
                let rid_noun = heap.atom_from_bytes(rid);
                let reply = match outcome {
                    EventEnd::Done => wire::news(heap, rid_noun, true),
                    EventEnd::Dropped => wire::news(heap, rid_noun, false),
                    EventEnd::Failed(goofs) => wire::reply(heap, rid_noun, "bail", *goofs),
                };
                let bytes = heap.jam(reply);
                self.reply(*con, bytes);
            }
            (Origin::Fyrd { con, rid }, EventEnd::Failed(goofs)) => {
                let rid_noun = heap.atom_from_bytes(rid);
                let knot = wire::rid_knot(heap, rid_noun);
                self.fyrds.remove(&(*con, knot));
                let reply = wire::reply(heap, rid_noun, "bail", *goofs);
                let bytes = heap.jam(reply);
                self.reply(*con, bytes);
            }
            (Origin::Fyrd { con, rid }, EventEnd::Dropped) => {
                let mut scratch = Heap::new();
                let rid_noun = scratch.atom_from_bytes(rid);
                let knot = wire::rid_knot(&scratch, rid_noun);
                self.fyrds.remove(&(*con, knot));
                let reply = wire::news(&mut scratch, rid_noun, false);
                self.reply(*con, scratch.jam(reply));
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
    pub fn on_effect(&mut self, heap: &Heap, wire_noun: Noun, card: Noun) -> bool {
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
                self.reply(avow.con, scratch.jam(reply));
                true
            }
        }
    }

    /// Scries waiting for the ship to be idle, oldest first: `(con, rid, jam of nom)`.
    pub fn take_peeks(&mut self, most: usize) -> Vec<(u64, Vec<u8>, Vec<u8>)> {
        let n = self.peeks.len().min(most);
        self.peeks.drain(..n).collect()
    }

    /// Answers a scry with a reply already jammed (a reader's, built with [`super::reply`]).
    pub fn answer_peek_jammed(&mut self, con: u64, reply: Vec<u8>) {
        self.reply(con, reply);
    }

    /// Answers a scry with `[rid %peek result]` (`result` in `heap`).
    pub fn answer_peek(&mut self, heap: &mut Heap, con: u64, rid: &[u8], result: Noun) {
        let rid = heap.atom_from_bytes(rid);
        let reply = wire::reply(heap, rid, "peek", result);
        let bytes = heap.jam(reply);
        self.reply(con, bytes);
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

    /// Whether the line being typed has been computed (then, once the ship is idle, [`ConnServer::finish_dojo`]).
    pub fn dojo_returned(&self) -> bool {
        self.typing.as_ref().is_some_and(|t| t.returned)
    }

    /// Answers the line being typed with the lines the terminal printed, and whether it was taken.
    pub fn finish_dojo(&mut self, lines: &[String], taken: bool) {
        let Some(typing) = self.typing.take() else { return };
        let mut heap = Heap::new();
        let rid = heap.atom_from_bytes(&typing.rid);
        let reply = wire::dojo_reply(&mut heap, rid, taken, lines);
        self.reply(typing.con, heap.jam(reply));
    }

    /// Stops listening and removes the socket file (the connections are dropped by their owner).
    pub fn close(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }

    /// A request read from connection `con`: answered at once, queued for the ship, or refused.
    fn take_request(
        &mut self,
        heap: &mut Heap,
        con: u64,
        request: Request,
        facts: wire::PeelFacts<'_>,
        actions: &mut ConnActions,
    ) -> Result<Option<Vec<u8>>, Bail> {
        let rid = heap.atom(request.rid()).map(|a| a.to_bytes()).unwrap_or_default();
        match request {
            Request::Peel { rid, path } => {
                let answer = wire::peel(heap, path, facts);
                let reply = heap.cell(rid, answer);
                return Ok(Some(heap.jam(reply)));
            }
            Request::Urth { rid, .. } => {
                self.pack = true;
                let reply = heap.cell(rid, Noun::YES);
                return Ok(Some(heap.jam(reply)));
            }
            Request::Peek { nom, .. } => {
                if self.peeks.len() >= QUEUE_MAX {
                    return Err(Bail::Framing);
                }
                self.peeks.push_back((con, rid, heap.jam(nom)));
            }
            Request::Ovum { ovum, .. } => {
                actions.push(ConnAction::Inject(heap.jam(ovum), Origin::Ovum { con, rid }));
            }
            Request::Fyrd { rid: rid_noun, card } => {
                if !self.khan {
                    return Err(Bail::KhanMiss);
                }
                let knot = wire::rid_knot(heap, rid_noun);
                self.fyrds.insert((con, knot), rid.clone());
                let ovum = wire::fyrd(heap, &self.sev, con, rid_noun, card);
                actions.push(ConnAction::Inject(heap.jam(ovum), Origin::Fyrd { con, rid }));
            }
            Request::Dojo { line, .. } => {
                if self.dojo_lines.len() >= QUEUE_MAX {
                    return Err(Bail::Framing);
                }
                let bytes = heap.atom(line).map(|a| a.to_bytes()).unwrap_or_default();
                let line = String::from_utf8_lossy(&bytes).into_owned();
                self.dojo_lines.push_back(DojoLine { con, rid, line });
            }
        }
        Ok(None)
    }
}

impl Connection {
    /// Handles one completion of this connection's operations (`key`: its key in the dispatcher); the
    /// requests read are answered at once, queued in `server`, or turned into actions.
    pub fn on_completion<K: ShipKey>(
        &mut self,
        server: &mut ConnServer,
        io: &mut Dispatcher<K>,
        key: K,
        completion: Completion,
        facts: wire::PeelFacts<'_>,
    ) -> ConnActions {
        let mut actions = ConnActions::new();
        match completion {
            Completion::Read { token, data } if self.reading == Some(token) => {
                self.reading = None;
                if data.is_empty() {
                    self.hang_up(server, io, &mut actions);
                } else {
                    self.decoder.feed(&data);
                    self.read_frames(server, io, key, facts, &mut actions);
                    self.read_on(server, io, key, &mut actions);
                }
            }
            Completion::Written { token, bytes } if self.writing == Some(token) => {
                self.writing = None;
                self.written(bytes);
                self.flush(io, key);
            }
            Completion::Failed { token, .. } => {
                self.forget(token);
                self.hang_up(server, io, &mut actions);
            }
            Completion::Cancelled { token } => self.forget(token),
            _ => {}
        }
        actions
    }

    /// Hands this connection a reply the ship made for it; it is written as the socket takes it.
    pub fn deliver<K: ShipKey>(&mut self, io: &mut Dispatcher<K>, key: K, reply: Reply) {
        debug_assert_eq!(reply.con, self.con, "conn: a reply delivered to another connection");
        self.waiting = self.waiting.saturating_sub(1);
        if !self.closing {
            self.send(io, key, reply.payload);
        }
    }

    /// Closed, with nothing in flight and nothing left to write: its owner may drop it (and tell the
    /// server, [`ConnServer::closed`]).
    pub fn is_finished(&self) -> bool {
        self.closing && self.reading.is_none() && self.writing.is_none() && self.out.is_empty()
    }

    /// Bytes of replies queued for writing.
    pub fn queued_bytes(&self) -> usize {
        self.out_bytes
    }

    /// Requests read whose replies the ship still owes.
    pub fn requests_waiting(&self) -> usize {
        self.waiting
    }

    /// The operation `token` is over: it is no longer this connection's read or write.
    fn forget(&mut self, token: Token) {
        if self.reading == Some(token) {
            self.reading = None;
        }
        if self.writing == Some(token) {
            self.writing = None;
        }
    }

    /// Submits the next read, unless the connection is closing.
    fn read_on<K: ShipKey>(
        &mut self,
        server: &mut ConnServer,
        io: &mut Dispatcher<K>,
        key: K,
        actions: &mut ConnActions,
    ) {
        if self.closing {
            return;
        }
        match io.submit(key, Op::Read { fd: self.stream.as_raw_fd(), max: READ_BYTES }) {
            Ok(token) => self.reading = Some(token),
            Err(e) => {
                eprintln!("{e}");
                self.hang_up(server, io, actions);
            }
        }
    }

    /// The frames the bytes read so far complete, each a request; the first bad one closes the
    /// connection.
    fn read_frames<K: ShipKey>(
        &mut self,
        server: &mut ConnServer,
        io: &mut Dispatcher<K>,
        key: K,
        facts: wire::PeelFacts<'_>,
        actions: &mut ConnActions,
    ) {
        while !self.closing {
            let payload = match self.decoder.next_frame() {
                Ok(Some(payload)) => payload,
                Ok(None) => return,
                Err(e) => {
                    eprintln!("conn: connection {}: {e}", self.con);
                    return self.refuse(io, key, Bail::Framing);
                }
            };
            let mut heap = Heap::new();
            let request = match wire::read_request(&mut heap, &payload) {
                Ok(request) => request,
                Err(bail) => return self.refuse(io, key, bail),
            };
            let owed = !matches!(request, Request::Peel { .. } | Request::Urth { .. });
            if owed && self.waiting >= REQUESTS_WAITING_MAX {
                eprintln!(
                    "conn: connection {} has {REQUESTS_WAITING_MAX} requests waiting: refusing one",
                    self.con
                );
                return self.refuse(io, key, Bail::Framing);
            }
            match server.take_request(&mut heap, self.con, request, facts, actions) {
                Ok(Some(answer)) => self.send(io, key, answer),
                Ok(None) => self.waiting += 1,
                Err(bail) => return self.refuse(io, key, bail),
            }
        }
    }

    /// Sends `[0 %bail code msg]` and closes the connection once it is written.
    fn refuse<K: ShipKey>(&mut self, io: &mut Dispatcher<K>, key: K, bail: Bail) {
        let (code, message) = bail.code();
        eprintln!("conn: connection {}: {message} ({code})", self.con);
        let mut heap = Heap::new();
        let reply = bail.reply(&mut heap);
        self.send(io, key, heap.jam(reply));
        self.closing = true;
        if let Some(token) = self.reading {
            io.cancel(token);
        }
    }

    /// The client is gone: its operations are cancelled, and the server forgets what it asked for.
    fn hang_up<K: ShipKey>(
        &mut self,
        server: &mut ConnServer,
        io: &mut Dispatcher<K>,
        actions: &mut ConnActions,
    ) {
        if self.closing {
            return;
        }
        self.closing = true;
        self.out.clear();
        self.out_bytes = 0;
        for token in [self.reading, self.writing].into_iter().flatten() {
            io.cancel(token);
        }
        server.forget(self.con, actions);
    }

    /// Queues a reply (a jammed noun) and writes it when the socket is free.
    fn send<K: ShipKey>(&mut self, io: &mut Dispatcher<K>, key: K, payload: Vec<u8>) {
        let framed = wire::frame(&payload);
        if self.out_bytes + framed.len() > OUT_BYTES_MAX {
            eprintln!("conn: connection {} does not read its replies: closing it", self.con);
            self.closing = true;
            self.out.clear();
            self.out_bytes = 0;
            if let Some(token) = self.reading {
                io.cancel(token);
            }
            return;
        }
        self.out_bytes += framed.len();
        self.out.push_back(framed);
        self.flush(io, key);
    }

    /// Bytes written: they leave the queue.
    fn written(&mut self, bytes: usize) {
        if let Some(front) = self.out.front_mut() {
            let bytes = bytes.min(front.len());
            front.drain(..bytes);
            self.out_bytes -= bytes;
            if front.is_empty() {
                self.out.pop_front();
            }
        }
    }

    /// Writes the front of the queue if no write is in flight.
    fn flush<K: ShipKey>(&mut self, io: &mut Dispatcher<K>, key: K) {
        if self.writing.is_some() {
            return;
        }
        let Some(front) = self.out.front() else { return };
        let data = front[..front.len().min(crate::BUFFER_BYTES_MAX)].to_vec();
        match io.submit(key, Op::Write { fd: self.stream.as_raw_fd(), data }) {
            Ok(token) => self.writing = Some(token),
            Err(e) => {
                eprintln!("{e}");
                self.out.clear();
                self.out_bytes = 0;
                self.closing = true;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Write};
    use std::time::Duration;

    /// The ship's key in the dispatcher; connections get 1, 2, ...
    const SHIP: u32 = 0;

    fn facts() -> wire::PeelFacts<'static> {
        wire::PeelFacts { live: true, khan: false, who: 0, version: "engine test", flows: &[] }
    }

    /// What the app does with a server and its connections, on a small scale.
    struct App {
        server: ConnServer,
        io: Dispatcher<u32>,
        connections: HashMap<u32, Connection>,
        next_key: u32,
        actions: Vec<ConnAction>,
    }

    impl App {
        fn new(pier: &Path) -> App {
            let mut server = ConnServer::open(pier, "0v1".into()).unwrap();
            let mut io = Dispatcher::new().unwrap();
            server.start(&mut io, SHIP).unwrap();
            App { server, io, connections: HashMap::new(), next_key: 1, actions: Vec::new() }
        }

        /// Runs the completions for a while; the replies the server has are delivered.
        fn pump(&mut self) {
            for _ in 0..20 {
                for (key, completion) in self.io.poll(Duration::from_millis(5)) {
                    if key == SHIP {
                        if let Some(stream) = self.server.on_listener(&mut self.io, SHIP, completion) {
                            let key = self.next_key;
                            self.next_key += 1;
                            if let Some(c) = self.server.connect(&mut self.io, stream, key) {
                                self.connections.insert(key, c);
                            }
                        }
                    } else if let Some(c) = self.connections.get_mut(&key) {
                        let more = c.on_completion(&mut self.server, &mut self.io, key, completion, facts());
                        self.actions.extend(more);
                    }
                }
                for reply in self.server.take_replies() {
                    let key = self.connections.iter().find(|(_, c)| c.con == reply.con).map(|(&k, _)| k);
                    if let Some(key) = key {
                        self.connections.get_mut(&key).unwrap().deliver(&mut self.io, key, reply);
                    }
                }
                let finished: Vec<u32> =
                    self.connections.iter().filter(|(_, c)| c.is_finished()).map(|(&k, _)| k).collect();
                for key in finished {
                    let c = self.connections.remove(&key).unwrap();
                    self.server.closed(c.con);
                }
            }
        }
    }

    fn connect(pier: &Path) -> UnixStream {
        let client = UnixStream::connect(pier.join(wire::SOCKET_PATH)).unwrap();
        client.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        client
    }

    /// Sends `[rid tag data]`, `data` in the text notation.
    fn request(client: &mut UnixStream, rid: u64, tag: &str, data: &str) {
        let mut heap = Heap::new();
        let rid = heap.atom_u64(rid);
        let tag = heap.atom_from_bytes(tag.as_bytes());
        let data = heap.parse(data).unwrap();
        let noun = heap.tuple(&[rid, tag, data]);
        client.write_all(&wire::frame(&heap.jam(noun))).unwrap();
    }

    /// The next reply the client reads, in `heap`.
    fn reply(client: &mut UnixStream, decoder: &mut Decoder, heap: &mut Heap) -> Noun {
        let mut buffer = [0u8; 4096];
        loop {
            if let Some(payload) = decoder.next_frame().unwrap() {
                return heap.cue(&payload).unwrap();
            }
            let n = client.read(&mut buffer).expect("a reply");
            assert!(n > 0, "the server hung up");
            decoder.feed(&buffer[..n]);
        }
    }

    #[test]
    fn a_peel_is_answered_at_once_and_an_ovum_waits_for_its_event() {
        let pier = tempfile::tempdir().unwrap();
        let mut app = App::new(pier.path());
        let mut client = connect(pier.path());
        let mut decoder = Decoder::default();
        let mut heap = Heap::new();

        // `[5 %peel /live]`: `[5 ~ %.y]`. (/live is `[%live ~]`, %live the number 0x6576.696c.)
        request(&mut client, 5, "peel", "[1702259052 0]");
        app.pump();
        let answer = reply(&mut client, &mut decoder, &mut heap);
        let expected = heap.parse("[5 0 0]").unwrap();
        assert!(heap.eq(answer, expected));
        assert!(app.actions.is_empty());

        // `[6 %ovum target wire card]`: an ovum to queue, answered once its event is done.
        request(&mut client, 6, "ovum", "[100 [1 0] 2 3]");
        app.pump();
        let Some(ConnAction::Inject(_, origin)) = app.actions.pop() else { panic!("no ovum to queue") };
        assert_eq!(origin, Origin::Ovum { con: 1, rid: vec![6] });
        assert_eq!(app.connections[&1].requests_waiting(), 1);
        app.server.on_event_end(&mut heap, &origin, &EventEnd::Done);
        app.pump();
        let news = reply(&mut client, &mut decoder, &mut heap);
        let done = wire::news(&mut heap, Noun::direct(6).unwrap(), true);
        assert!(heap.eq(news, done));
        assert_eq!(app.connections[&1].requests_waiting(), 0);
        app.server.close();
        assert!(!pier.path().join(wire::SOCKET_PATH).exists());
    }

    #[test]
    fn each_client_is_a_connection_of_its_own_and_one_that_hangs_up_is_dropped() {
        let pier = tempfile::tempdir().unwrap();
        let mut app = App::new(pier.path());
        let mut first = connect(pier.path());
        let second = connect(pier.path());
        app.pump();
        assert_eq!(app.connections.len(), 2);
        assert_eq!(app.server.open_connections(), 2);

        // The second asks for a scry, then hangs up: the scry is dropped with it.
        let mut second = second;
        request(&mut second, 1, "peek", "[0 0 0]");
        app.pump();
        drop(second);
        app.pump();
        assert_eq!(app.connections.len(), 1);
        assert_eq!(app.server.open_connections(), 1);
        assert!(app.server.take_peeks(10).is_empty());

        // The first is still served.
        let mut decoder = Decoder::default();
        let mut heap = Heap::new();
        request(&mut first, 7, "peel", "[1702259052 0]");
        app.pump();
        let answer = reply(&mut first, &mut decoder, &mut heap);
        let expected = heap.parse("[7 0 0]").unwrap();
        assert!(heap.eq(answer, expected));
    }

    #[test]
    fn a_bad_frame_is_refused_and_its_connection_closed() {
        let pier = tempfile::tempdir().unwrap();
        let mut app = App::new(pier.path());
        let mut client = connect(pier.path());
        client.write_all(&[1, 2, 3, 4, 5]).unwrap();
        app.pump();
        let mut decoder = Decoder::default();
        let mut heap = Heap::new();
        let answer = reply(&mut client, &mut decoder, &mut heap);
        let expected = Bail::Framing.reply(&mut heap);
        assert!(heap.eq(answer, expected));
        app.pump();
        assert!(app.connections.is_empty(), "the refused connection is dropped once its reply is written");
        assert_eq!(app.server.open_connections(), 0);
    }
}
