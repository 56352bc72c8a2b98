//! conn's connection state machine: the listening socket at `<pier>/.urb/conn.sock`, its connections
//! driven through the [`Dispatcher`], the requests read from them, and the replies. What each request asks
//! of the ship comes out as a [`ConnAction`] (an ovum to queue) or waits here for the app to ask
//! ([`ConnServer::take_peeks`], [`ConnServer::next_dojo_line`]); the app tells it how the ship's events
//! ended ([`ConnServer::on_event_end`]).
//!
//! Replies that wait for the ship: `%ovum` is answered once its event is durable (`%news %done`), or when
//! it fails or is dropped; `%fyrd` when khan gives its `%avow`; `%peek` when the ship is between events;
//! `%dojo` (engine's) once the line's `%ret` has been computed, its effects printed and the ship is idle
//! again, with the lines the terminal printed meanwhile. Dojo lines are typed one request at a time.
//!
//! The dispatcher's key `K` names the ship the socket belongs to (the app's ECS entity).

use crate::conn::{self as wire, Bail, Decoder, Request};
use crate::{Completion, Dispatcher, Op, ShipKey, Token};
use components::app::Origin;
use components::{Heap, Noun};
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

/// How an event ended, for its origin.
pub enum EventEnd {
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

impl Channel {
    /// The operation `token` is over: it is no longer this connection's read or write.
    fn forget(&mut self, token: Token) {
        if self.reading == Some(token) {
            self.reading = None;
        }
        if self.writing == Some(token) {
            self.writing = None;
        }
    }
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

/// One ship's control socket and its connections.
pub struct ConnServer {
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
pub enum ConnAction {
    /// Queue this ovum (jammed) with this origin.
    Inject(Vec<u8>, Origin),
}

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
    pub fn start<K: ShipKey>(&mut self, io: &mut Dispatcher<K>, me: K) -> Result<(), String> {
        io.submit(me, Op::Accept { listener: self.listener.as_raw_fd() })?;
        Ok(())
    }

    /// Handles one completion; the requests read are turned into actions or answered at once.
    pub fn on_completion<K: ShipKey>(
        &mut self,
        io: &mut Dispatcher<K>,
        me: K,
        completion: Completion,
        facts: wire::PeelFacts<'_>,
    ) -> Vec<ConnAction> {
        let mut actions = Vec::new();
        match completion {
            Completion::Accepted { fd, .. } => {
                // SAFETY: the reactor hands over a new descriptor that nothing else owns.
                let stream = unsafe { UnixStream::from_raw_fd(fd) };
                self.on_accepted(io, me, stream);
            }
            Completion::Read { token, data } => self.on_read(io, me, token, &data, facts, &mut actions),
            Completion::Written { token, bytes } => self.on_written(io, me, token, bytes),
            Completion::Failed { token, error } => {
                if let Some(con) = self.read_con(token).or(self.write_con(token)) {
                    if let Some(channel) = self.channels.get_mut(&con) {
                        channel.forget(token);
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
                    channel.forget(token);
                    self.reap(con);
                }
            }
            _ => {}
        }
        actions
    }

    /// A new connection: accept the next one, and start reading this one (unless too many are open).
    fn on_accepted<K: ShipKey>(&mut self, io: &mut Dispatcher<K>, me: K, stream: UnixStream) {
        if let Err(e) = self.start(io, me) {
            eprintln!("{e}");
        }
        if self.channels.len() >= CHANNELS_MAX {
            eprintln!("conn: {CHANNELS_MAX} connections already open: refusing one");
            return;
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
                return;
            }
        }
        self.channels.insert(con, channel);
    }

    /// Bytes read (none: the client hung up): the frames they complete are handled, and the next read
    /// is submitted.
    fn on_read<K: ShipKey>(
        &mut self,
        io: &mut Dispatcher<K>,
        me: K,
        token: Token,
        data: &[u8],
        facts: wire::PeelFacts<'_>,
        actions: &mut Vec<ConnAction>,
    ) {
        let Some(con) = self.read_con(token) else { return };
        let Some(channel) = self.channels.get_mut(&con) else { return };
        channel.reading = None;
        if data.is_empty() {
            self.hang_up(io, me, con, actions);
            return;
        }
        channel.decoder.feed(data);
        self.read_frames(io, me, con, facts, actions);
        if let Some(channel) = self.channels.get_mut(&con)
            && !channel.closing
        {
            let fd = channel.stream.as_raw_fd();
            match io.submit(me, Op::Read { fd, max: READ_BYTES }) {
                Ok(token) => channel.reading = Some(token),
                Err(e) => {
                    eprintln!("{e}");
                    self.hang_up(io, me, con, actions);
                }
            }
        }
    }

    /// Bytes written: they leave the queue, and the rest is written.
    fn on_written<K: ShipKey>(&mut self, io: &mut Dispatcher<K>, me: K, token: Token, bytes: usize) {
        let Some(con) = self.write_con(token) else { return };
        let Some(channel) = self.channels.get_mut(&con) else { return };
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

    fn read_con(&self, token: Token) -> Option<u64> {
        self.channels.iter().find(|(_, c)| c.reading == Some(token)).map(|(&con, _)| con)
    }

    fn write_con(&self, token: Token) -> Option<u64> {
        self.channels.iter().find(|(_, c)| c.writing == Some(token)).map(|(&con, _)| con)
    }

    fn read_frames<K: ShipKey>(
        &mut self,
        io: &mut Dispatcher<K>,
        me: K,
        con: u64,
        facts: wire::PeelFacts<'_>,
        actions: &mut Vec<ConnAction>,
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
                    actions.push(ConnAction::Inject(heap.jam(ovum), Origin::Ovum { con, rid }));
                }
                Request::Fyrd { rid: rid_noun, card } => {
                    if !self.khan {
                        self.refuse(io, me, con, Bail::KhanMiss);
                        return;
                    }
                    let knot = wire::rid_knot(&heap, rid_noun);
                    self.fyrds.insert((con, knot), rid.clone());
                    let ovum = wire::fyrd(&mut heap, &self.sev, con, rid_noun, card);
                    actions.push(ConnAction::Inject(heap.jam(ovum), Origin::Fyrd { con, rid }));
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
    fn refuse<K: ShipKey>(&mut self, io: &mut Dispatcher<K>, me: K, con: u64, bail: Bail) {
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
    fn hang_up<K: ShipKey>(
        &mut self,
        io: &mut Dispatcher<K>,
        _me: K,
        con: u64,
        actions: &mut Vec<ConnAction>,
    ) {
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
            actions.push(ConnAction::Inject(heap.jam(ovum), Origin::Ship));
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
    pub fn send<K: ShipKey>(&mut self, io: &mut Dispatcher<K>, me: K, con: u64, payload: Vec<u8>) {
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

    fn flush<K: ShipKey>(&mut self, io: &mut Dispatcher<K>, me: K, con: u64) {
        let Some(channel) = self.channels.get_mut(&con) else { return };
        if channel.writing.is_none()
            && let Some(front) = channel.out.front()
        {
            let data = front[..front.len().min(crate::BUFFER_BYTES_MAX)].to_vec();
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
    pub fn on_event_end<K: ShipKey>(
        &mut self,
        io: &mut Dispatcher<K>,
        me: K,
        heap: &mut Heap,
        origin: &Origin,
        outcome: &EventEnd,
    ) {
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
                self.answered(*con);
                self.send(io, me, *con, bytes);
            }
            (Origin::Fyrd { con, rid }, EventEnd::Failed(goofs)) => {
                let rid_noun = heap.atom_from_bytes(rid);
                let knot = wire::rid_knot(heap, rid_noun);
                self.fyrds.remove(&(*con, knot));
                let reply = wire::reply(heap, rid_noun, "bail", *goofs);
                let bytes = heap.jam(reply);
                self.answered(*con);
                self.send(io, me, *con, bytes);
            }
            (Origin::Fyrd { con, rid }, EventEnd::Dropped) => {
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
    pub fn on_effect<K: ShipKey>(
        &mut self,
        io: &mut Dispatcher<K>,
        me: K,
        heap: &Heap,
        wire_noun: Noun,
        card: Noun,
    ) -> bool {
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
    pub fn answer_peek<K: ShipKey>(
        &mut self,
        io: &mut Dispatcher<K>,
        me: K,
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

    /// Whether the line being typed has been computed (then, once the ship is idle, [`ConnServer::finish_dojo`]).
    pub fn dojo_returned(&self) -> bool {
        self.typing.as_ref().is_some_and(|t| t.returned)
    }

    /// Answers the line being typed with the lines the terminal printed, and whether it was taken.
    pub fn finish_dojo<K: ShipKey>(&mut self, io: &mut Dispatcher<K>, me: K, lines: &[String], taken: bool) {
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Write};
    use std::time::Duration;

    const SHIP: u32 = 7;

    fn facts() -> wire::PeelFacts<'static> {
        wire::PeelFacts { live: true, khan: false, who: 0, version: "engine test" }
    }

    /// Runs the server's side for a while: every completion handled, the actions kept.
    fn pump(server: &mut ConnServer, io: &mut Dispatcher<u32>, actions: &mut Vec<ConnAction>) {
        for _ in 0..20 {
            for (ship, completion) in io.poll(Duration::from_millis(5)) {
                assert_eq!(ship, SHIP);
                actions.extend(server.on_completion(io, SHIP, completion, facts()));
            }
        }
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
        let mut server = ConnServer::open(pier.path(), "0v1".into()).unwrap();
        let mut io = Dispatcher::new().unwrap();
        server.start(&mut io, SHIP).unwrap();
        let mut client = UnixStream::connect(pier.path().join(wire::SOCKET_PATH)).unwrap();
        client.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        let mut decoder = Decoder::default();
        let mut heap = Heap::new();
        let mut actions = Vec::new();

        // `[5 %peel /live]`: `[5 ~ %.y]`. (/live is `[%live ~]`, %live the number 0x6576.696c.)
        request(&mut client, 5, "peel", "[1702259052 0]");
        pump(&mut server, &mut io, &mut actions);
        let answer = reply(&mut client, &mut decoder, &mut heap);
        let expected = heap.parse("[5 0 0]").unwrap();
        assert!(heap.eq(answer, expected));
        assert!(actions.is_empty());

        // `[6 %ovum target wire card]`: an ovum to queue, answered once its event is done.
        request(&mut client, 6, "ovum", "[100 [1 0] 2 3]");
        pump(&mut server, &mut io, &mut actions);
        let Some(ConnAction::Inject(_, origin)) = actions.pop() else { panic!("no ovum to queue") };
        assert_eq!(origin, Origin::Ovum { con: 1, rid: vec![6] });
        server.on_event_end(&mut io, SHIP, &mut heap, &origin, &EventEnd::Done);
        pump(&mut server, &mut io, &mut actions);
        let news = reply(&mut client, &mut decoder, &mut heap);
        let done = wire::news(&mut heap, Noun::direct(6).unwrap(), true);
        assert!(heap.eq(news, done));
        server.close();
        assert!(!pier.path().join(wire::SOCKET_PATH).exists());
    }
}
