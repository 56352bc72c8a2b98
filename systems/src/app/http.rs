//! http's servers and connections in the app (spec/io.md §7). A ship's [`Http`] (its driver: the instance
//! knot, the options, the effects Eyre gave it) starts its servers when Eyre sends `%set-config`: each
//! server a listening socket that is an entity of its own ([`HttpListener`]: the public one, and the
//! loopback one whose requests go to Eyre as `%request-local`), each client connection another
//! ([`HttpClient`], owning its socket and its [`HttpConnection`]). `io_poll` hands their completions to
//! [`http_completion`]; `route_effects` queues Eyre's effects in the ship's [`Http`]; [`http_serve`]
//! carries them out (servers restarted and `%live` injected; responses written in the order of their
//! requests) and answers 504 to what Eyre left unanswered for 600 s. The runtime answers two paths itself
//! (spec/io.md §7.5): `/~_~/healthz`, and `/~_~/slog`, the ship's slogs as server-sent events for a
//! client whose cookie Eyre says is logged in (asked by a scry); the serf's slogs reach
//! the streams through the ship's [`SlogFeed`]. With a scry pool, the cookie's scry is the pool's (answered
//! beside a long event); without one, it is asked between events, as Vere does.

use super::poll::PollShip;
use super::scry::{DriverAnswers, Scry, ScryPool};
use super::ship::{Computing, Io, Kernel};
use bevy_ecs::prelude::*;
use components::app::{HttpOptions, Inbox, RunState};
use components::{Heap, Noun};
use engine_io::http::{
    self, HttpAction, HttpConnection, HttpEffect, LOOPBACK_PORT_FIRST, PORT_TRIES_MAX, RequestId, SlogAuth,
};
use engine_io::{Completion, Op, Token};
use hashbrown::HashMap;
use smallvec::SmallVec;
use std::collections::VecDeque;
use std::net::{Ipv4Addr, SocketAddrV4, TcpListener, TcpStream};
use std::os::fd::{AsRawFd, FromRawFd};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The most client connections one ship keeps open; past it a new one is closed at once.
pub const HTTP_CONNECTIONS_MAX: usize = 16_384;
/// The listen backlog (Vere's is 16; a larger one lets bursts of connections wait rather than fail).
const BACKLOG: i32 = 1024;
/// Accepts kept in flight on each listening socket.
const ACCEPTS_IN_FLIGHT: usize = 16;
/// Bytes asked for by each read (each connection has one read in flight, holding a buffer this big).
const READ_BYTES: usize = 16 << 10;
/// Slog requests waiting for the kernel's word on their cookie; past it one is answered 500.
const SLOG_AUTHS_MAX: usize = 256;
/// Slog requests asked of the kernel per ship per tick (each a scry).
const SLOG_AUTHS_PER_TICK: usize = 16;
/// Slog lines kept for the streams between two ticks; past it the oldest are dropped (and counted).
const SLOG_LINES_MAX: usize = 4096;

/// The slogs a ship's serf gives while slog streams are open: the serf's hints push each slog's text
/// (from the thread that steps the ship), [`http_serve`] takes them for the streams.
#[derive(Default)]
pub struct SlogFeed {
    /// Open streams (no line is kept while there are none).
    streams: AtomicUsize,
    lines: Mutex<VecDeque<String>>,
    /// Lines dropped because the streams were not served in time.
    pub dropped: AtomicU64,
}

impl SlogFeed {
    fn push(&self, text: &str) {
        if self.streams.load(Ordering::Relaxed) == 0 {
            return;
        }
        let mut lines = self.lines.lock().unwrap_or_else(|e| e.into_inner());
        if lines.len() >= SLOG_LINES_MAX {
            lines.pop_front();
            self.dropped.fetch_add(1, Ordering::Relaxed);
        }
        lines.push_back(text.to_string());
    }

    fn take(&self) -> VecDeque<String> {
        std::mem::take(&mut *self.lines.lock().unwrap_or_else(|e| e.into_inner()))
    }
}
/// How often the 600 s timeouts are looked for.
const SWEEP_EVERY: Duration = Duration::from_secs(1);

/// A ship's http driver.
#[derive(Component)]
pub struct Http {
    /// The driver's instance (`/e/http-server/<sev>`), and the number the next server takes.
    sev_knot: String,
    next_server: u64,
    pub options: HttpOptions,
    /// The pier (for `.http.ports`).
    root: PathBuf,
    /// The servers listening now (their entities).
    listeners: SmallVec<[Entity; 2]>,
    /// The ports served: public, and loopback.
    pub ports: Option<(u16, Option<u16>)>,
    /// Each open connection's entity, by server knot and connection number (lookups only).
    pub clients: HashMap<(String, u64), Entity, ahash::RandomState>,
    /// Eyre's effects, routed here and carried out by [`http_serve`].
    pub effects: VecDeque<HttpEffect>,
    last_sweep: Instant,
    /// Slog requests waiting for the kernel's word on their cookie: the client, the request, the
    /// `cookie` header.
    slog_auths: VecDeque<(Entity, u64, Vec<u8>)>,
    /// Slog requests whose cookie the scry pool is asked about, by the token of the peek; the pool's
    /// answers; the next token.
    slog_auths_asked: HashMap<u64, (Entity, u64), ahash::RandomState>,
    slog_auth_answers: Arc<DriverAnswers>,
    next_token: u64,
    /// The clients with a slog stream open.
    slog_clients: Vec<Entity>,
    /// The serf's slogs, for the streams.
    pub slog: Arc<SlogFeed>,
    last_heartbeat: Instant,
    /// Requests passed to Eyre, answered by the runtime itself (errors, `healthz`), and connections.
    pub requests: u64,
    pub refused: u64,
    pub connections: u64,
}

impl Http {
    /// The driver of the ship whose pier is at `root`, with instance `sev` (as its `%born` named it).
    pub fn new(sev: u64, root: PathBuf, options: HttpOptions) -> Http {
        let mut heap = Heap::new();
        Http {
            sev_knot: knot(&mut heap, sev),
            next_server: sev,
            options,
            root,
            listeners: SmallVec::new(),
            ports: None,
            clients: HashMap::default(),
            effects: VecDeque::new(),
            last_sweep: Instant::now(),
            slog_auths: VecDeque::new(),
            slog_auths_asked: HashMap::default(),
            slog_auth_answers: Arc::default(),
            next_token: 0,
            slog_clients: Vec::new(),
            slog: Arc::default(),
            last_heartbeat: Instant::now(),
            requests: 0,
            refused: 0,
            connections: 0,
        }
    }

    /// What the serf's hints call with each slog's text (`ConsoleHints::slog_tap`), for the slog
    /// streams.
    pub fn slog_tap(&self) -> crate::interp::LogSink {
        let feed = Arc::clone(&self.slog);
        Arc::new(move |text: &str| feed.push(text))
    }

    /// `[/e/http-server/<sev> [%born ~]]`.
    pub fn born(&self, heap: &mut Heap) -> components::Noun {
        http::born(heap, &self.sev_knot)
    }

    fn server_knot(&mut self) -> String {
        let mut heap = Heap::new();
        let server = knot(&mut heap, self.next_server);
        self.next_server = self.next_server.wrapping_add(1);
        server
    }

    /// What it did, in one line.
    pub fn summary(&self) -> String {
        format!(
            "http: {} connections, {} requests to Eyre, {} answered by the runtime",
            self.connections, self.requests, self.refused
        )
    }
}

fn knot(heap: &mut Heap, n: u64) -> String {
    engine_io::conn::sev_knot(heap, n)
}

/// A listening server.
#[derive(Component)]
pub struct HttpListener {
    pub ship: Entity,
    /// The server's knot in request wires.
    server: String,
    /// Its requests are `%request-local`.
    local: bool,
    listener: TcpListener,
    pub port: u16,
    next_con: u64,
    /// The accepts in flight.
    accepting: SmallVec<[Token; ACCEPTS_IN_FLIGHT]>,
}

/// A client's connection.
#[derive(Component)]
pub struct HttpClient {
    pub ship: Entity,
    server: String,
    local: bool,
    peer: Ipv4Addr,
    stream: TcpStream,
    pub connection: HttpConnection,
    reading: Option<Token>,
    /// The bytes of the write in flight (kept until it completes, for what it did not write).
    sending: Vec<u8>,
    writing: bool,
}

/// A listening socket on `address` (SO_REUSEADDR, as libuv sets it).
fn listen(address: SocketAddrV4) -> std::io::Result<TcpListener> {
    let socket = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None)?;
    socket.set_reuse_address(true)?;
    socket.bind(&address.into())?;
    socket.listen(BACKLOG)?;
    Ok(socket.into())
}

/// Binds `fixed` or the first free port of the search from `first`.
fn bind_server(ip: Ipv4Addr, fixed: Option<u16>, first: u16) -> Result<TcpListener, String> {
    if let Some(port) = fixed {
        return listen(SocketAddrV4::new(ip, port))
            .map_err(|e| format!("http: cannot bind {ip}:{port}: {e}"));
    }
    let mut port = first;
    for _ in 0..PORT_TRIES_MAX {
        match listen(SocketAddrV4::new(ip, port)) {
            Ok(listener) => return Ok(listener),
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::AddrInUse | std::io::ErrorKind::PermissionDenied
                ) =>
            {
                port = http::next_port(port).ok_or("http: no free port")?;
            }
            Err(e) => return Err(format!("http: cannot bind {ip}:{port}: {e}")),
        }
    }
    Err(format!("http: no free port from {first} ({PORT_TRIES_MAX} tried)"))
}

impl HttpListener {
    /// Keeps [`ACCEPTS_IN_FLIGHT`] accepts submitted, so that a burst of connections is taken in a few
    /// ticks.
    fn accept(&mut self, io: &mut Io, me: Entity) {
        while self.accepting.len() < ACCEPTS_IN_FLIGHT {
            match io.0.submit(me, Op::Accept { listener: self.listener.as_raw_fd() }) {
                Ok(token) => self.accepting.push(token),
                Err(e) => {
                    eprintln!("http: {e}");
                    return;
                }
            }
        }
    }
}

impl HttpClient {
    /// Keeps a read in flight while the connection wants input.
    fn read(&mut self, io: &mut Io, me: Entity) {
        if self.reading.is_some() || !self.connection.wants_read() {
            return;
        }
        match io.0.submit(me, Op::Read { fd: self.stream.as_raw_fd(), max: READ_BYTES }) {
            Ok(token) => self.reading = Some(token),
            Err(e) => {
                eprintln!("http: {e}");
                self.connection.on_closed();
            }
        }
    }

    /// Writes what the connection has ready, one write at a time.
    fn write(&mut self, io: &mut Io, me: Entity) {
        if self.writing {
            return;
        }
        if self.sending.is_empty() {
            self.sending = self.connection.take_output();
        }
        if self.sending.is_empty() {
            return;
        }
        // As libuv's writes do: the socket is offered the bytes at once, without waiting; only what it
        // does not take goes through the reactor (a completion, a tick later).
        // Full, or failed: the reactor's write waits for room, or reports the failure.
        if let Ok(sent) = engine_io::send_now(&self.stream, &self.sending) {
            self.sending.drain(..sent.min(self.sending.len()));
            if self.sending.is_empty() {
                return;
            }
        }
        let length = self.sending.len().min(engine_io::BUFFER_BYTES_MAX);
        let op = Op::Write { fd: self.stream.as_raw_fd(), data: self.sending[..length].to_vec() };
        match io.0.submit(me, op) {
            Ok(_) => self.writing = true,
            Err(e) => {
                eprintln!("http: {e}");
                self.sending.clear();
                self.connection.on_closed();
            }
        }
    }

    /// Done with: closed on both sides, nothing left to write, no write in flight.
    fn is_done(&self) -> bool {
        self.connection.is_finished() && !self.writing && self.sending.is_empty()
    }
}

/// A completion for an http socket (`key`: a listener's or a client's entity). Gives the completion back
/// if `key` is not http's.
pub(super) fn http_completion(
    io: &mut Io,
    commands: &mut Commands,
    key: Entity,
    completion: Completion,
    (listeners, clients): (&mut Query<&mut HttpListener>, &mut Query<&mut HttpClient>),
    ships: &mut Query<PollShip>,
) -> Option<Completion> {
    if let Ok(mut listener) = listeners.get_mut(key) {
        let token = completion.token();
        listener.accepting.retain(|t| *t != token);
        let Ok((.., Some(mut driver))) = ships.get_mut(listener.ship) else { return None };
        match completion {
            Completion::Accepted { fd, .. } => {
                // SAFETY: the reactor hands over a new descriptor that nothing else owns.
                let stream = unsafe { TcpStream::from_raw_fd(fd) };
                if driver.clients.len() >= HTTP_CONNECTIONS_MAX {
                    driver.refused += 1;
                    drop(stream);
                } else {
                    let _ = stream.set_nodelay(true);
                    let peer = match stream.peer_addr() {
                        Ok(std::net::SocketAddr::V4(address)) => *address.ip(),
                        _ => Ipv4Addr::UNSPECIFIED,
                    };
                    let con = listener.next_con;
                    listener.next_con += 1;
                    driver.connections += 1;
                    let entity = commands.spawn_empty().id();
                    let mut client = HttpClient {
                        ship: listener.ship,
                        server: listener.server.clone(),
                        local: listener.local,
                        peer,
                        stream,
                        connection: HttpConnection::new(con),
                        reading: None,
                        sending: Vec::new(),
                        writing: false,
                    };
                    client.read(io, entity);
                    driver.clients.insert((listener.server.clone(), con), entity);
                    commands.entity(entity).insert(client);
                }
            }
            Completion::Failed { error, .. } => eprintln!("http: cannot accept a connection: {error}"),
            _ => {}
        }
        listener.accept(io, key);
        return None;
    }
    let Ok(mut client) = clients.get_mut(key) else { return Some(completion) };
    let Ok((_, _, _, mut inbox, computing, .., Some(mut driver))) = ships.get_mut(client.ship) else {
        return None;
    };
    let idle = computing.event.is_none();
    let now = Instant::now();
    let mut heap = Heap::new();
    match completion {
        Completion::Read { data, .. } => {
            client.reading = None;
            if data.is_empty() {
                let owed = client.connection.on_closed();
                cancel(&mut heap, &mut inbox, &client, &owed);
            } else {
                let refused_before = client.connection.refused;
                let actions = client.connection.on_read(&data, now, idle);
                driver.refused += client.connection.refused - refused_before;
                for action in actions {
                    match action {
                        HttpAction::Request(req, request) => {
                            driver.requests += 1;
                            let id =
                                RequestId { server: client.server.clone(), con: client.connection.con, req };
                            let ovum =
                                http::request_ovum(&mut heap, &id, client.local, client.peer, &request);
                            inbox.push(&heap, ovum);
                        }
                        HttpAction::Cancel(req) => cancel(&mut heap, &mut inbox, &client, &[req]),
                        HttpAction::Slog(req, cookie) => {
                            if driver.slog_auths.len() + driver.slog_auths_asked.len() >= SLOG_AUTHS_MAX {
                                client.connection.on_slog_auth(req, SlogAuth::Failed);
                            } else {
                                driver.slog_auths.push_back((key, req, cookie));
                            }
                        }
                    }
                }
            }
        }
        Completion::Written { bytes, .. } => {
            client.writing = false;
            let written = bytes.min(client.sending.len());
            client.sending.drain(..written);
        }
        Completion::Failed { .. } | Completion::Cancelled { .. } => {
            client.reading = None;
            client.writing = false;
            client.sending.clear();
            let owed = client.connection.on_closed();
            cancel(&mut heap, &mut inbox, &client, &owed);
        }
        _ => {}
    }
    client.write(io, key);
    client.read(io, key);
    if client.is_done() {
        close_client(io, commands, &mut driver, key, &mut client);
    }
    None
}

/// `%cancel-request` for each of `reqs`.
fn cancel(heap: &mut Heap, inbox: &mut Inbox, client: &HttpClient, reqs: &[u64]) {
    for &req in reqs {
        let id = RequestId { server: client.server.clone(), con: client.connection.con, req };
        let ovum = http::cancel_ovum(heap, &id);
        inbox.push(heap, ovum);
    }
}

/// A connection is done: its read cancelled, its entity gone (its socket closed with it).
fn close_client(
    io: &mut Io,
    commands: &mut Commands,
    driver: &mut Http,
    key: Entity,
    client: &mut HttpClient,
) {
    if let Some(token) = client.reading.take() {
        io.0.cancel(token);
    }
    driver.clients.remove(&(client.server.clone(), client.connection.con));
    driver.slog_clients.retain(|k| *k != key);
    commands.entity(key).despawn();
}

/// What `http_serve` needs of a ship: its driver, inbox, event in flight, serf, and scry pool's view.
type HttpShip<'a> = (Entity, &'a mut Http, &'a mut Inbox, &'a Computing, &'a mut Kernel, Option<&'a Scry>);

/// Carries out Eyre's effects: `%set-config` (re)starts the servers and injects `%live`; each response
/// goes to its connection, which writes it. Every second, requests Eyre has left unanswered for 600 s
/// get 504 and Eyre a `%cancel-request`.
#[allow(clippy::too_many_arguments)]
pub fn http_serve(
    mut state: ResMut<RunState>,
    mut io: ResMut<Io>,
    mut commands: Commands,
    pool: Option<Res<ScryPool>>,
    mut ships: Query<HttpShip>,
    mut clients: Query<(Entity, &mut HttpClient)>,
    mut listeners: Query<&mut HttpListener>,
) {
    let now = Instant::now();
    for (ship, mut driver, mut inbox, computing, mut kernel, scry) in &mut ships {
        match (pool.as_deref(), scry) {
            // Asked of the pool by `driver_scries`, right after `io_poll`.
            (Some(_), Some(_)) => take_slog_auths(&mut io, &mut commands, &mut driver, &mut clients),
            _ if computing.event.is_none() && !driver.slog_auths.is_empty() => {
                answer_slog_auths(&mut io, &mut commands, &mut driver, &mut kernel, &mut clients);
            }
            _ => {}
        }
        serve_slogs(&mut io, &mut commands, &mut driver, &mut clients, now);
        while let Some(effect) = driver.effects.pop_front() {
            match effect {
                HttpEffect::SetConfig(config) => {
                    if let Err(e) = restart(
                        &mut io,
                        &mut commands,
                        ship,
                        &mut driver,
                        &mut inbox,
                        &mut listeners,
                        config.proxy,
                    ) {
                        state.fail(e);
                        return;
                    }
                }
                HttpEffect::Response(id, card) => {
                    let Some(&key) = driver.clients.get(&(id.server.clone(), id.con)) else { continue };
                    let Ok((_, mut client)) = clients.get_mut(key) else { continue };
                    client.connection.on_response(id.req, card);
                    client.write(&mut io, key);
                    client.read(&mut io, key);
                    if client.is_done() {
                        close_client(&mut io, &mut commands, &mut driver, key, &mut client);
                    }
                }
            }
        }
        if now.duration_since(driver.last_sweep) >= SWEEP_EVERY {
            driver.last_sweep = now;
            let mut heap = Heap::new();
            let keys: Vec<Entity> = driver.clients.values().copied().collect();
            for key in keys {
                let Ok((_, mut client)) = clients.get_mut(key) else { continue };
                let expired = client.connection.timeouts(now);
                if !expired.is_empty() {
                    cancel(&mut heap, &mut inbox, &client, &expired);
                    client.write(&mut io, key);
                }
            }
        }
    }
}

/// Asks the kernel (between events) whether each waiting slog request's cookie is logged in, as Vere
/// does: `(scot %t cookie)` in Eyre's `/authenticated/cookie` scry, care `%x`, gang `~`; the answer's
/// datum `%.y` opens the stream, `%.n` is 403, anything else (or a failed scry) 500.
fn answer_slog_auths(
    io: &mut Io,
    commands: &mut Commands,
    driver: &mut Http,
    kernel: &mut Kernel,
    clients: &mut Query<(Entity, &mut HttpClient)>,
) {
    let serf = &mut kernel.0;
    for _ in 0..SLOG_AUTHS_PER_TICK {
        let Some((key, req, cookie)) = driver.slog_auths.pop_front() else { break };
        let nom = slog_auth_peek(&mut serf.heap, &cookie);
        let auth = match serf.peek_last(Noun::ZERO, nom) {
            Ok(product) => read_slog_auth(&serf.heap, product),
            Err(goof) => {
                for line in goof.lines(&serf.heap) {
                    eprintln!("{line}");
                }
                SlogAuth::Failed
            }
        };
        settle_slog_auth(io, commands, driver, clients, key, req, auth);
    }
    driver.slog.streams.store(driver.slog_clients.len(), Ordering::Relaxed);
}

/// Hands the waiting slog requests' cookie scries to the scry pool (at most [`SLOG_AUTHS_PER_TICK`] a
/// tick; a full pool leaves them waiting).
pub(super) fn ask_slog_auths(pool: &ScryPool, ship: Entity, scry: &Scry, driver: &mut Http) {
    for _ in 0..SLOG_AUTHS_PER_TICK {
        let Some((key, req, cookie)) = driver.slog_auths.pop_front() else { break };
        let mut heap = Heap::new();
        let nom = slog_auth_peek(&mut heap, &cookie);
        let token = driver.next_token;
        if !pool.ask(ship, scry, heap.jam(nom), &driver.slog_auth_answers, token) {
            driver.slog_auths.push_front((key, req, cookie));
            break;
        }
        driver.next_token += 1;
        driver.slog_auths_asked.insert(token, (key, req));
    }
}

/// Carries out the pool's answers to the cookie scries.
fn take_slog_auths(
    io: &mut Io,
    commands: &mut Commands,
    driver: &mut Http,
    clients: &mut Query<(Entity, &mut HttpClient)>,
) {
    let answers = driver.slog_auth_answers.take();
    if answers.is_empty() {
        return;
    }
    for (token, answer) in answers {
        let Some((key, req)) = driver.slog_auths_asked.remove(&token) else { continue };
        let mut heap = Heap::new();
        let auth = match answer.and_then(|jam| heap.cue(&jam).ok()) {
            Some(product) => read_slog_auth(&heap, product),
            None => SlogAuth::Failed,
        };
        settle_slog_auth(io, commands, driver, clients, key, req, auth);
    }
    driver.slog.streams.store(driver.slog_clients.len(), Ordering::Relaxed);
    // The answers leave now, not after the slice of the event this tick computes.
    io.0.flush();
}

/// The `%once` peek of Eyre's `/authenticated/cookie/(scot %t cookie)`, care `%x`.
fn slog_auth_peek(heap: &mut Heap, cookie: &[u8]) -> Noun {
    let knot = components::aura::scot_t(cookie);
    let path: [&[u8]; 3] = [b"authenticated", b"cookie", knot.as_bytes()];
    engine_io::nouns::once_peek(heap, "ex", &path)
}

/// What the cookie scry's product says: its datum `%.y` or `%.n`; anything else failed.
fn read_slog_auth(heap: &Heap, product: Noun) -> SlogAuth {
    match heap.slot_u64(product, 7).map(|flag| flag.as_direct()) {
        Some(Some(0)) => SlogAuth::Yes,
        Some(Some(1)) => SlogAuth::No,
        Some(_) => {
            eprintln!("http: weird authentication scry result");
            SlogAuth::Failed
        }
        None => {
            eprintln!("http: authentication scry failed");
            SlogAuth::Failed
        }
    }
}

/// Gives a slog request its answer: the stream opens (200), or 403, or 500.
fn settle_slog_auth(
    io: &mut Io,
    commands: &mut Commands,
    driver: &mut Http,
    clients: &mut Query<(Entity, &mut HttpClient)>,
    key: Entity,
    req: u64,
    auth: SlogAuth,
) {
    let Ok((_, mut client)) = clients.get_mut(key) else { return };
    client.connection.on_slog_auth(req, auth);
    if auth == SlogAuth::Yes {
        driver.slog_clients.push(key);
    }
    client.write(io, key);
    client.read(io, key);
    if client.is_done() {
        close_client(io, commands, driver, key, &mut client);
    }
}

/// Sends the slogs the serf gave since the last tick to each open slog stream, and a heartbeat every
/// [`http::SLOG_HEARTBEAT`].
fn serve_slogs(
    io: &mut Io,
    commands: &mut Commands,
    driver: &mut Http,
    clients: &mut Query<(Entity, &mut HttpClient)>,
    now: Instant,
) {
    let lines = driver.slog.take();
    let heartbeat = now.duration_since(driver.last_heartbeat) >= http::SLOG_HEARTBEAT;
    if heartbeat {
        driver.last_heartbeat = now;
    }
    if driver.slog_clients.is_empty() || (lines.is_empty() && !heartbeat) {
        return;
    }
    let mut data: Vec<u8> = lines.iter().flat_map(|text| http::slog_event(text)).collect();
    if heartbeat {
        data.push(b'\n');
    }
    for key in driver.slog_clients.clone() {
        let Ok((_, mut client)) = clients.get_mut(key) else { continue };
        client.connection.slog_data(&data);
        client.write(io, key);
        if client.is_done() {
            close_client(io, commands, driver, key, &mut client);
        }
    }
    let connections = &*clients;
    driver.slog_clients.retain(|k| connections.get(*k).is_ok_and(|(_, c)| c.connection.streams_slog()));
    driver.slog.streams.store(driver.slog_clients.len(), Ordering::Relaxed);
}

/// `%set-config`: the running servers are closed and new ones started (public, then loopback); `%live`
/// is injected and `.http.ports` written. A fixed port that cannot be bound is an error that stops the
/// app, as in Vere; the loopback server is not essential (a warning).
fn restart(
    io: &mut Io,
    commands: &mut Commands,
    ship: Entity,
    driver: &mut Http,
    inbox: &mut Inbox,
    listeners: &mut Query<&mut HttpListener>,
    proxy: bool,
) -> Result<(), String> {
    for key in driver.listeners.drain(..) {
        if let Ok(mut listener) = listeners.get_mut(key) {
            for token in listener.accepting.drain(..) {
                io.0.cancel(token);
            }
        }
        commands.entity(key).despawn();
    }
    let options = driver.options;
    let first = if proxy { 8080 } else { http::HTTP_PORT_FIRST };
    let public = bind_server(options.bind, options.port, first)?;
    let loopback = match bind_server(Ipv4Addr::LOCALHOST, options.loopback_port, LOOPBACK_PORT_FIRST) {
        Ok(listener) => Some(listener),
        Err(e) => {
            eprintln!("{e}; no loopback server");
            None
        }
    };
    let port_of = |l: &TcpListener| l.local_addr().map(|a| a.port()).unwrap_or(0);
    let public_port = port_of(&public);
    let loopback_port = loopback.as_ref().map(port_of);
    for (listener, local) in std::iter::once((public, false)).chain(loopback.map(|l| (l, true))) {
        let key = commands.spawn_empty().id();
        let port = port_of(&listener);
        let server = driver.server_knot();
        let mut listener =
            HttpListener { ship, server, local, listener, port, next_con: 1, accepting: SmallVec::new() };
        listener.accept(io, key);
        commands.entity(key).insert(listener);
        driver.listeners.push(key);
    }
    driver.ports = Some((public_port, loopback_port));
    let mut heap = Heap::new();
    let live = http::live(&mut heap, &driver.sev_knot, public_port, None);
    inbox.push(&heap, live);
    let ports = driver.root.join(".http.ports");
    if let Err(e) = std::fs::write(&ports, http::ports_file(public_port, loopback_port)) {
        eprintln!("http: cannot write {}: {e}", ports.display());
    }
    eprintln!("http: web interface live on http://localhost:{public_port}");
    if let Some(port) = loopback_port {
        eprintln!("http: loopback live on http://localhost:{port}");
    }
    Ok(())
}

/// A ship's http stops: its servers and connections go (their sockets closed), `.http.ports` is removed,
/// and what it did is printed.
pub fn close_http(world: &mut World, ship: Entity) {
    let Some(driver) = world.entity_mut(ship).take::<Http>() else { return };
    // Each slog stream is told, in the socket's room, that the ship stops (as Vere does).
    for key in &driver.slog_clients {
        if let Some(mut client) = world.get_mut::<HttpClient>(*key)
            && !client.writing
        {
            client.connection.slog_data(http::SLOG_SHUTDOWN);
            let mut bytes = std::mem::take(&mut client.sending);
            bytes.extend(client.connection.take_output());
            let _ = engine_io::send_now(&client.stream, &bytes);
        }
    }
    for key in driver.listeners.iter().chain(driver.clients.values()) {
        world.despawn(*key);
    }
    if driver.ports.is_some() {
        let _ = std::fs::remove_file(driver.root.join(".http.ports"));
        eprintln!("{}", driver.summary());
    }
}
