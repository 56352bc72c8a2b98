//! ames's sockets and flows in the app. Each ship's UDP socket is an entity of its own ([`AmesPort`]),
//! whose completions come back under it: `io_poll` hands them to [`ames_completion`], which checks each
//! datagram's header (dropping and counting what fails), keeps the ship's flow with the sender (an
//! [`AmesFlow`] entity) and queues `%hear` (at most [`HEAR_QUEUE_MAX`]: past it the oldest go, as in
//! Vere), fed to the ship's inbox a few at a time by [`feed_hears`]. `route_effects` puts the datagrams of
//! `%send` effects in the ship's [`AmesOutbox`], and [`ames_send`] writes them. As in Vere, the version
//! of the protocol is asked of the kernel once the ship is first idle (until then every version is let
//! through), and a packet for another ship is forwarded statelessly (spec/io.md §6.6), the lane it came
//! from written in as its origin: to a galaxy at its address, to any other ship on the lanes the kernel
//! gives for it (`/peers/<ship>/forward-lane`, kept two minutes; see [`Forwarding`]): asked of the
//! scry pool when there is one (answered beside a long event), else between events as Vere does (and on
//! the simulated network, whose runs must not depend on when a reader answers). A real galaxy's address is looked up by name on a thread of its own
//! ([`engine_io::ames::GalaxyBook`]).

use super::scry::{DriverAnswers, Scry, ScryPool, Wake, Waker};
use super::ship::{Computing, Io, Kernel};
use bevy_ecs::prelude::*;
use components::Heap;
use components::app::{AmesFlow, AmesOutbox, Clock, Inbox, SimNet, Target};
use engine_io::Completion;
use engine_io::ames::{
    self, DATAGRAM_BYTES_MAX, Drop, GalaxyBook, GalaxyRoute, HEAR_QUEUE_MAX, Header, Lane,
};
use engine_io::{Op, Token};
use hashbrown::HashMap;
use std::collections::{BTreeMap, VecDeque};
use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4, UdpSocket};
use std::os::fd::AsRawFd;
use std::sync::{Arc, Mutex, mpsc};

/// Receives kept in flight on each socket (datagrams taken per tick, at most).
const RECEIVES_IN_FLIGHT: usize = 64;
/// The socket's receive buffer asked of the kernel.
const RECEIVE_BUFFER_BYTES: usize = 8 << 20;
/// Sends kept in flight on each socket.
const SENDS_IN_FLIGHT: usize = 64;
/// `%hear` ova moved into a ship's inbox per tick.
const HEARS_PER_TICK: usize = 64;
/// Forwarded datagrams waiting to be sent; past it the oldest are dropped (counted).
const FORWARDS_MAX: usize = 1000;
/// Packets waiting for their receiver's lane scry, at most; past it a packet for a ship whose lane is not
/// known is dropped (counted), as in Vere.
const LANE_SCRIES_WAITING_MAX: usize = 1000;
/// Lane scries asked of the kernel per tick (each a peek between events, a few milliseconds of Arvo's
/// work in the tick: a flood of packets for unknown ships slows the tick by at most this many).
const LANE_SCRIES_PER_TICK: usize = 4;
/// Lane scries in the scry pool's hands at once, at most.
const LANE_SCRIES_ASKED_MAX: usize = 16;
/// Ships whose lanes are kept, at most, and how long a lane scry's answer stands (as Vere's cache).
const LANE_CACHE_MAX: usize = 500_000;
const LANE_CACHE_FRESH: std::time::Duration = std::time::Duration::from_secs(120);
/// Lane scries failed in a row past which forwarding stops for good (every packet is then heard, and
/// Arvo's ames forwards), as in Vere.
const LANE_SCRY_FAILURES_MAX: u32 = 5;

/// Stateless forwarding of packets for other ships (spec/io.md §6.6).
pub struct Forwarding {
    /// Off after too many failed lane scries: every packet is heard.
    pub enabled: bool,
    failures: u32,
    /// Each ship's lanes, and when the kernel gave them (`@da`).
    lanes: HashMap<u128, (Vec<Lane>, u128), ahash::RandomState>,
    /// Packets waiting for their receiver's lane scry, oldest first.
    waiting: VecDeque<Waiting>,
    /// Lane scries asked of the kernel.
    pub scries: u64,
    /// The ships whose lanes the scry pool is asked, by the token of the peek; its answers; the next
    /// token.
    asked: HashMap<u64, u128, ahash::RandomState>,
    answers: Arc<DriverAnswers>,
    next_token: u64,
}

/// A packet heard for another ship whose lane is not yet known.
struct Waiting {
    from: SocketAddrV4,
    header: Header,
    datagram: Vec<u8>,
}

impl Default for Forwarding {
    fn default() -> Forwarding {
        Forwarding {
            enabled: true,
            failures: 0,
            lanes: HashMap::default(),
            waiting: VecDeque::new(),
            scries: 0,
            asked: HashMap::default(),
            answers: Arc::default(),
            next_token: 0,
        }
    }
}

impl Forwarding {
    /// The lanes kept for `ship`, if the kernel gave them less than two minutes before `now`.
    fn lanes(&self, ship: u128, now: u128) -> Option<&[Lane]> {
        let (lanes, at) = self.lanes.get(&ship)?;
        (now.saturating_sub(*at) < components::time::after(0, LANE_CACHE_FRESH)).then_some(lanes.as_slice())
    }

    /// Keeps the lanes the kernel gave for `ship` at `now` (past [`LANE_CACHE_MAX`] ships, the stale ones
    /// go first, then all).
    fn keep(&mut self, ship: u128, lanes: Vec<Lane>, now: u128) {
        if self.lanes.len() >= LANE_CACHE_MAX && !self.lanes.contains_key(&ship) {
            let fresh = components::time::after(0, LANE_CACHE_FRESH);
            self.lanes.retain(|_, (_, at)| now.saturating_sub(*at) < fresh);
            if self.lanes.len() >= LANE_CACHE_MAX {
                self.lanes.clear();
            }
        }
        self.lanes.insert(ship, (lanes, now));
    }
}

/// A galaxy, and the address its name was found at (`None`: not found).
type Lookup = (u8, Option<Ipv4Addr>);

/// The thread that looks up real galaxies' addresses (a lookup blocks), and the answers it has ready.
struct Resolver {
    asks: mpsc::Sender<(u8, String)>,
    answers: Arc<Mutex<Vec<Lookup>>>,
}

impl Resolver {
    /// Starts the thread; each answer wakes the app. `None` if no thread can be made.
    fn start(waker: Waker) -> Option<Resolver> {
        let (asks, asked) = mpsc::channel::<(u8, String)>();
        let answers = Arc::new(Mutex::new(Vec::new()));
        let given = Arc::clone(&answers);
        let spawned = std::thread::Builder::new().name("ames-dns".into()).spawn(move || {
            // Ends when the port (and its sender) is dropped.
            while let Ok((galaxy, name)) = asked.recv() {
                let found = lookup_ipv4(&name);
                given.lock().unwrap_or_else(|e| e.into_inner()).push((galaxy, found));
                waker.wake();
            }
        });
        match spawned {
            Ok(_) => Some(Resolver { asks, answers }),
            Err(e) => {
                eprintln!("ames: cannot start the galaxies' lookups: {e}");
                None
            }
        }
    }

    fn take(&self) -> Vec<Lookup> {
        std::mem::take(&mut *self.answers.lock().unwrap_or_else(|e| e.into_inner()))
    }
}

/// The first IPv4 address of `name`, as Vere takes it.
fn lookup_ipv4(name: &str) -> Option<Ipv4Addr> {
    use std::net::ToSocketAddrs;
    let addresses = (name, 0u16).to_socket_addrs().ok()?;
    addresses.into_iter().find_map(|address| match address {
        SocketAddr::V4(v4) => Some(*v4.ip()),
        SocketAddr::V6(_) => None,
    })
}

/// One ship's ames socket.
#[derive(Component)]
pub struct AmesPort {
    /// The ship whose socket it is, and who it is (`@p`).
    pub ship: Entity,
    pub who: u128,
    /// The kernel's protocol version, once asked ([`ames_send`], when the ship is first idle): until
    /// then no packet is dropped for its version.
    pub version: Option<u32>,
    /// Datagrams for other ships, to forward (each to its target).
    pub forwards: VecDeque<(Target, Vec<u8>)>,
    pub forwarded: u64,
    pub forwarding: Forwarding,
    /// Real galaxies' addresses, and the thread that looks them up (started at the first lookup).
    pub galaxies: GalaxyBook,
    resolver: Option<Resolver>,
    /// The UDP socket; none on the simulated network.
    socket: Option<UdpSocket>,
    pub address: SocketAddr,
    /// Only 127.0.0.1 is sent to (a fake ship).
    pub local_only: bool,
    /// The receives in flight.
    receives: hashbrown::HashSet<Token>,
    sending: usize,
    /// `%hear` ova (jammed) waiting for the ship, oldest first.
    pub hears: VecDeque<Vec<u8>>,
    /// Datagrams dropped, by reason.
    pub dropped: BTreeMap<Drop, u64>,
    pub heard: u64,
    pub sent: u64,
    pub send_failures: u64,
    /// The flow entity of each peer (lookups only).
    pub flows: HashMap<u128, Entity, ahash::RandomState>,
    /// The flows made this tick, not yet queryable: their state so far.
    unborn: HashMap<u128, AmesFlow, ahash::RandomState>,
}

impl AmesPort {
    /// Binds the ship's socket: `port` if given, else a galaxy's (31337+n for a fake ship, 13337+n for a
    /// real one), else any; on 127.0.0.1 for a fake ship, else on every address.
    pub fn bind(ship: Entity, who: u128, fake: bool, port: Option<u16>) -> Result<AmesPort, String> {
        let galaxy_port = |base: u16| u16::try_from(who).ok().filter(|&n| n < 256).map(|n| base + n);
        let port =
            port.or_else(|| galaxy_port(if fake { ames::FAKE_GALAXY_PORT_BASE } else { 13337 })).unwrap_or(0);
        let ip = if fake { Ipv4Addr::LOCALHOST } else { Ipv4Addr::UNSPECIFIED };
        let socket = udp_socket(SocketAddrV4::new(ip, port)).map_err(|e| {
            format!("ames: cannot bind {ip}:{port}: {e} (is another copy of this ship running?)")
        })?;
        let address = socket.local_addr().map_err(|e| format!("ames: {e}"))?;
        Ok(AmesPort::new(ship, who, Some(socket), address, fake))
    }

    /// A galaxy's port on the simulated network: at 127.0.0.1:31337+n, as a fake galaxy's socket would be.
    pub fn simulated(ship: Entity, who: u128) -> Result<AmesPort, String> {
        let galaxy = u16::try_from(who).ok().filter(|&n| n < 256).ok_or_else(|| {
            format!("ames: the simulated network joins galaxies only, not {}", ames::peer_name(who))
        })?;
        let address =
            SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::LOCALHOST, ames::FAKE_GALAXY_PORT_BASE + galaxy));
        Ok(AmesPort::new(ship, who, None, address, true))
    }

    fn new(
        ship: Entity,
        who: u128,
        socket: Option<UdpSocket>,
        address: SocketAddr,
        local_only: bool,
    ) -> AmesPort {
        AmesPort {
            ship,
            who,
            version: None,
            forwards: VecDeque::new(),
            forwarded: 0,
            forwarding: Forwarding::default(),
            galaxies: GalaxyBook::default(),
            resolver: None,
            socket,
            address,
            local_only,
            receives: hashbrown::HashSet::new(),
            sending: 0,
            hears: VecDeque::new(),
            dropped: BTreeMap::new(),
            heard: 0,
            sent: 0,
            send_failures: 0,
            flows: HashMap::default(),
            unborn: HashMap::default(),
        }
    }

    /// Keeps [`RECEIVES_IN_FLIGHT`] receives submitted (`me`: the port's entity).
    pub fn receive(&mut self, io: &mut Io, me: Entity) {
        let Some(fd) = self.socket.as_ref().map(|s| s.as_raw_fd()) else { return };
        while self.receives.len() < RECEIVES_IN_FLIGHT {
            let op = Op::RecvFrom { fd, max: DATAGRAM_BYTES_MAX + 1 };
            match io.0.submit(me, op) {
                Ok(token) => {
                    self.receives.insert(token);
                }
                Err(e) => {
                    eprintln!("ames: {e}");
                    return;
                }
            }
        }
    }

    fn drop_counted(&mut self, why: Drop) {
        *self.dropped.entry(why).or_default() += 1;
    }

    /// What it did, in one line: `ames: 12 heard, 10 sent; dropped: 3 checksum mismatch`.
    pub fn summary(&self) -> String {
        let dropped: Vec<String> =
            self.dropped.iter().map(|(why, n)| format!("{n} {}", why.name())).collect();
        let dropped = if dropped.is_empty() { "none".into() } else { dropped.join(", ") };
        format!(
            "ames on {}: {} heard, {} sent ({} failed), {} forwarded ({} lane scries{}); dropped: {dropped}; {} peers",
            self.address,
            self.heard,
            self.sent,
            self.send_failures,
            self.forwarded,
            self.forwarding.scries,
            if self.forwarding.enabled { "" } else { ", forwarding off" },
            self.flows.len()
        )
    }
}

/// A non-blocking UDP socket bound to `address`, with a receive buffer of [`RECEIVE_BUFFER_BYTES`] (a
/// burst waits there for the next tick instead of being dropped by the kernel).
fn udp_socket(address: SocketAddrV4) -> std::io::Result<UdpSocket> {
    use socket2::{Domain, Protocol, Socket, Type};
    let socket = Socket::new(Domain::IPV4, Type::DGRAM, Some(Protocol::UDP))?;
    socket.set_nonblocking(true)?;
    // The kernel may give less than asked (net.core.rmem_max): what it gives is enough.
    let _ = socket.set_recv_buffer_size(RECEIVE_BUFFER_BYTES);
    socket.bind(&SocketAddr::V4(address).into())?;
    Ok(socket.into())
}

/// One completion of a port's socket (`me`: the port's entity; `now`: the app's clock, `@da`).
pub fn ames_completion(
    io: &mut Io,
    commands: &mut Commands,
    me: Entity,
    port: &mut AmesPort,
    flows: &mut Query<&mut AmesFlow>,
    completion: Completion,
    now: u128,
) {
    match completion {
        Completion::Received { token, data, from } => {
            port.receives.remove(&token);
            hear(commands, port, flows, &data, from, now);
        }
        Completion::Sent { .. } => {
            port.sending -= 1;
            port.sent += 1;
        }
        Completion::Failed { token, error } if !port.receives.remove(&token) => {
            eprintln!("ames: a send failed: {error}");
            port.sending -= 1;
            port.send_failures += 1;
        }
        Completion::Cancelled { token } => {
            port.receives.remove(&token);
        }
        _ => {}
    }
    port.receive(io, me);
}

/// A datagram heard (from the socket or the simulated network): checked; forwarded if it is for another
/// ship (to a galaxy at once, to any other ship on its lanes, kept or asked of the kernel); otherwise its
/// flow kept and queued as `%hear`.
pub(super) fn hear(
    commands: &mut Commands,
    port: &mut AmesPort,
    flows: &mut Query<&mut AmesFlow>,
    datagram: &[u8],
    from: SocketAddr,
    now: u128,
) {
    let SocketAddr::V4(from) = from else { return port.drop_counted(Drop::NotIpv4) };
    let header = match ames::parse_as(datagram, port.version) {
        Ok(header) => header,
        Err(why) => return port.drop_counted(why),
    };
    if header.receiver == port.who || !port.forwarding.enabled {
        return inject(commands, port, flows, datagram, &header, from, now);
    }
    if header.receiver < 256 {
        // A galaxy's lane is itself (never ourselves: a datagram naming us is ours).
        return forward(port, &[Lane::Galaxy(header.receiver as u8)], datagram, &header, from);
    }
    match port.forwarding.lanes(header.receiver, now) {
        Some([]) => port.drop_counted(Drop::NoLane),
        Some(lanes) => {
            let lanes = lanes.to_vec();
            forward(port, &lanes, datagram, &header, from);
        }
        None if port.forwarding.waiting.len() >= LANE_SCRIES_WAITING_MAX => {
            port.drop_counted(Drop::LaneScriesFull)
        }
        None => port.forwarding.waiting.push_back(Waiting { from, header, datagram: datagram.to_vec() }),
    }
}

/// A datagram for this ship (or one not forwarded): its sender's flow counts it, and it is queued as
/// `%hear` (past [`HEAR_QUEUE_MAX`] the oldest goes).
fn inject(
    commands: &mut Commands,
    port: &mut AmesPort,
    flows: &mut Query<&mut AmesFlow>,
    datagram: &[u8],
    header: &Header,
    from: SocketAddrV4,
    now: u128,
) {
    port.heard += 1;
    with_flow(commands, port, flows, header.sender, |flow| {
        flow.packets_in += 1;
        flow.bytes_in += datagram.len() as u64;
        flow.lane = Some(SocketAddr::V4(from));
        flow.last_heard = Some(now);
    });
    if port.hears.len() >= HEAR_QUEUE_MAX {
        port.hears.pop_front();
        port.drop_counted(Drop::QueueFull);
    }
    let mut heap = Heap::new();
    let ovum = ames::hear(&mut heap, from, datagram);
    port.hears.push_back(heap.jam(ovum));
}

/// Forwards a datagram heard from `from` on each of `lanes` (but not to ourselves), its origin written
/// in; a lane with no address (not local, for a fake ship; port 0) is skipped.
fn forward(port: &mut AmesPort, lanes: &[Lane], datagram: &[u8], header: &Header, from: SocketAddrV4) {
    let relayed = ames::relayed(datagram, header, from);
    let mut sent = false;
    for &lane in lanes {
        let to = match lane {
            Lane::Galaxy(n) if u128::from(n) == port.who => continue,
            Lane::Galaxy(n) if !port.local_only => Some(Target::Galaxy(n)),
            lane => lane.destination(port.local_only).map(Target::Address),
        };
        let Some(to) = to else { continue };
        if port.forwards.len() >= FORWARDS_MAX {
            port.forwards.pop_front();
            port.drop_counted(Drop::ForwardQueueFull);
        }
        port.forwards.push_back((to, relayed.clone()));
        sent = true;
    }
    if sent {
        port.forwarded += 1;
    } else {
        port.drop_counted(Drop::NoLane);
    }
}

/// Asks the kernel the lanes of the ships that packets wait for (a few a tick, between events), and
/// settles what waited for them ([`settle_lanes`]).
fn lane_scries(
    commands: &mut Commands,
    port: &mut AmesPort,
    flows: &mut Query<&mut AmesFlow>,
    kernel: &mut Kernel,
    now: u128,
) {
    let mut ships: Vec<u128> = Vec::new();
    for waiting in &port.forwarding.waiting {
        let ship = waiting.header.receiver;
        if ships.len() == LANE_SCRIES_PER_TICK {
            break;
        }
        if !ships.contains(&ship) {
            ships.push(ship);
        }
    }
    let mut answers = Vec::with_capacity(ships.len());
    for ship in ships {
        if !port.forwarding.enabled {
            break;
        }
        port.forwarding.scries += 1;
        answers.push((ship, forward_lanes(kernel, ship)));
    }
    settle_lanes(commands, port, flows, answers, now);
}

/// Settles what waited for the ships whose lanes the scry pool has answered (asked by [`ask_lanes`]).
fn take_lanes(commands: &mut Commands, port: &mut AmesPort, flows: &mut Query<&mut AmesFlow>, now: u128) {
    let forwarding = &mut port.forwarding;
    let mut answers = Vec::new();
    for (token, answer) in forwarding.answers.take() {
        let Some(ship) = forwarding.asked.remove(&token) else { continue };
        let mut heap = Heap::new();
        let lanes = answer
            .and_then(|jam| heap.cue(&jam).ok())
            .and_then(|product| ames::forward_lanes(&heap, product));
        answers.push((ship, lanes));
    }
    if !answers.is_empty() {
        settle_lanes(commands, port, flows, answers, now);
    }
}

/// Hands the scry pool the lane scries of the ships that packets wait for: each ship once, at most
/// [`LANE_SCRIES_ASKED_MAX`] in its hands (a full pool leaves them for a later tick).
pub(super) fn ask_lanes(port: &mut AmesPort, pool: &ScryPool, scry: &Scry) {
    let forwarding = &mut port.forwarding;
    let mut ships: Vec<u128> = Vec::new();
    for waiting in &forwarding.waiting {
        if !forwarding.enabled || forwarding.asked.len() + ships.len() >= LANE_SCRIES_ASKED_MAX {
            break;
        }
        let ship = waiting.header.receiver;
        if !ships.contains(&ship) && forwarding.asked.values().all(|asked| *asked != ship) {
            ships.push(ship);
        }
    }
    for ship in ships {
        let path = ames::forward_lane_path(ship);
        let path: Vec<&[u8]> = path.iter().map(|item| item.as_bytes()).collect();
        let mut heap = Heap::new();
        let nom = engine_io::nouns::once_peek(&mut heap, "ax", &path);
        let token = forwarding.next_token;
        if !pool.ask(port.ship, scry, heap.jam(nom), &forwarding.answers, token) {
            break;
        }
        forwarding.next_token += 1;
        forwarding.scries += 1;
        forwarding.asked.insert(token, ship);
    }
}

/// The kernel's answers to lane scries (`None`: the scry failed): the lanes kept, and the packets that
/// waited for those ships forwarded or dropped; a failed scry has its packets heard instead, and past
/// [`LANE_SCRY_FAILURES_MAX`] failures in a row forwarding stops, as in Vere.
fn settle_lanes(
    commands: &mut Commands,
    port: &mut AmesPort,
    flows: &mut Query<&mut AmesFlow>,
    answers: Vec<(u128, Option<Vec<Lane>>)>,
    now: u128,
) {
    for (ship, answer) in &answers {
        match answer {
            Some(lanes) => {
                port.forwarding.failures = 0;
                port.forwarding.keep(*ship, lanes.clone(), now);
            }
            None => {
                port.forwarding.failures += 1;
                if port.forwarding.failures > LANE_SCRY_FAILURES_MAX && port.forwarding.enabled {
                    eprintln!("ames: giving up scry");
                    port.forwarding.enabled = false;
                }
            }
        }
    }
    let waiting = std::mem::take(&mut port.forwarding.waiting);
    for packet in waiting {
        let answer = match answers.iter().find(|(ship, _)| *ship == packet.header.receiver) {
            Some((_, answer)) => answer.as_deref(),
            // Once forwarding is off, what waited is heard.
            None if !port.forwarding.enabled => None,
            None => {
                port.forwarding.waiting.push_back(packet);
                continue;
            }
        };
        match answer {
            Some([]) => port.drop_counted(Drop::NoLane),
            Some(lanes) => forward(port, lanes, &packet.datagram, &packet.header, packet.from),
            None => inject(commands, port, flows, &packet.datagram, &packet.header, packet.from, now),
        }
    }
}

/// Asks the kernel `[%ax %$ /peers/<ship>/forward-lane]`: the lanes to forward a packet for `ship` on
/// (`None`: the scry failed).
fn forward_lanes(kernel: &mut Kernel, ship: u128) -> Option<Vec<Lane>> {
    let path = ames::forward_lane_path(ship);
    let path: Vec<&str> = path.iter().map(String::as_str).collect();
    ames_peek(kernel, &path, ames::forward_lanes).flatten()
}

/// A `%once` peek of ames (`[%ax %$ path]`) between events, its product read by `read` (`None`: the
/// peek failed).
fn ames_peek<T>(
    kernel: &mut Kernel,
    path: &[&str],
    read: impl FnOnce(&Heap, components::Noun) -> T,
) -> Option<T> {
    let serf = &mut kernel.0;
    let path: Vec<&[u8]> = path.iter().map(|item| item.as_bytes()).collect();
    let nom = engine_io::nouns::once_peek(&mut serf.heap, "ax", &path);
    let product = serf.peek_last(components::Noun::ZERO, nom).ok()?;
    Some(read(&serf.heap, product))
}

/// Updates the flow of `peer`, made if it is new. A flow made this tick is not queryable until the
/// commands are applied: its copy in the port takes the updates meanwhile and is inserted again, so that
/// no packet goes uncounted and no peer gets two flows.
fn with_flow(
    commands: &mut Commands,
    port: &mut AmesPort,
    flows: &mut Query<&mut AmesFlow>,
    peer: u128,
    update: impl FnOnce(&mut AmesFlow),
) {
    if let Some(&entity) = port.flows.get(&peer) {
        if let Ok(mut flow) = flows.get_mut(entity) {
            port.unborn.remove(&peer);
            update(&mut flow);
            return;
        }
        if let Some(copy) = port.unborn.get_mut(&peer) {
            update(copy);
            commands.entity(entity).insert(copy.clone());
            return;
        }
    }
    let mut flow = AmesFlow::new(port.ship, peer);
    update(&mut flow);
    let entity = commands.spawn(flow.clone()).id();
    port.flows.insert(peer, entity);
    port.unborn.insert(peer, flow);
}

/// Moves waiting `%hear` ova into the ship's inbox, a few a tick.
pub fn feed_hears(port: &mut AmesPort, inbox: &mut Inbox) {
    for _ in 0..HEARS_PER_TICK {
        let Some(jam) = port.hears.pop_front() else { return };
        if inbox.push_jam(jam, components::app::Origin::Ship).is_some() {
            port.drop_counted(Drop::QueueFull);
            return;
        }
    }
}

/// Writes the datagrams each ship's events asked to send and those it forwards, as many as its socket
/// has room for in flight; each one's flow (by the receiver its header names) counts it. Between events
/// it asks the kernel what ames needs (its protocol version, once; the lanes packets wait for), and a
/// real galaxy's datagrams wait for its address to be looked up.
#[allow(clippy::too_many_arguments)]
pub fn ames_send(
    mut commands: Commands,
    mut io: ResMut<Io>,
    clock: Res<Clock>,
    wake: Res<Wake>,
    pool: Option<Res<ScryPool>>,
    mut net: Option<ResMut<SimNet>>,
    mut ships: Query<(&mut AmesOutbox, &Computing, &mut Kernel, Option<&Scry>)>,
    mut ports: Query<(Entity, &mut AmesPort)>,
    mut flows: Query<&mut AmesFlow>,
) {
    let now = clock.now();
    for (me, mut port) in &mut ports {
        let Ok((mut outbox, computing, mut kernel, scry)) = ships.get_mut(port.ship) else { continue };
        let port = &mut *port;
        if computing.event.is_none() && port.version.is_none() {
            port.version = Some(protocol_version(&mut kernel));
        }
        match (pool.as_deref(), scry) {
            // The simulated network's runs are the same whatever the threads: its scries are between
            // events.
            // Asked of the pool by `driver_scries`, right after `io_poll`.
            (Some(_), Some(_)) if net.is_none() => take_lanes(&mut commands, port, &mut flows, now),
            _ if computing.event.is_none() && !port.forwarding.waiting.is_empty() => {
                lane_scries(&mut commands, port, &mut flows, &mut kernel, now)
            }
            _ => {}
        }
        if outbox.domain.is_some() && port.galaxies.domain != outbox.domain {
            port.galaxies.domain = outbox.domain.clone();
        }
        let answers = port.resolver.as_ref().map(Resolver::take).unwrap_or_default();
        for (galaxy, found) in answers {
            let (to, datagrams) = port.galaxies.answer(galaxy, found, std::time::Instant::now());
            match to {
                Some(to) => port.forwards.extend(datagrams.into_iter().map(|d| (Target::Address(to), d))),
                None => (0..datagrams.len()).for_each(|_| port.drop_counted(Drop::NoGalaxyAddress)),
            }
        }
        while port.sending < SENDS_IN_FLIGHT {
            let Some((target, datagram)) = port.forwards.pop_front().or_else(|| outbox.datagrams.pop_front())
            else {
                break;
            };
            let (to, datagram) = match target {
                Target::Address(to) => (to, datagram),
                Target::Galaxy(n) => match port.galaxies.route(n, datagram, std::time::Instant::now()) {
                    GalaxyRoute::Send(to, datagram) => (to, datagram),
                    GalaxyRoute::Wait(Some(name)) => {
                        if port.resolver.is_none() {
                            port.resolver = Resolver::start(wake.waker());
                        }
                        if let Some(resolver) = &port.resolver {
                            let _ = resolver.asks.send((n, name));
                        }
                        continue;
                    }
                    GalaxyRoute::Wait(None) => continue,
                    GalaxyRoute::Drop => {
                        port.drop_counted(Drop::NoGalaxyAddress);
                        continue;
                    }
                },
            };
            if let Ok(header) = ames::parse(&datagram) {
                with_flow(&mut commands, port, &mut flows, header.receiver, |flow| {
                    flow.packets_out += 1;
                    flow.bytes_out += datagram.len() as u64;
                    flow.lane = Some(to);
                });
            }
            let Some(fd) = port.socket.as_ref().map(|s| s.as_raw_fd()) else {
                if let Some(net) = net.as_deref_mut() {
                    net.send(now, port.address, to, datagram);
                    port.sent += 1;
                }
                continue;
            };
            let op = Op::SendTo { fd, data: datagram, to };
            match io.0.submit(me, op) {
                Ok(_) => port.sending += 1,
                Err(e) => {
                    eprintln!("ames: {e}");
                    port.send_failures += 1;
                }
            }
        }
    }
}

/// Asks the kernel its ames protocol version (`[%ax %$ /protocol/version]`), as Vere's driver does at
/// start; a failed scry is version 0.
fn protocol_version(kernel: &mut Kernel) -> u32 {
    ames_peek(kernel, &ames::PROTOCOL_SCRY, ames::protocol_version).unwrap_or(0)
}

/// A ship's ames socket is closed (what it did printed on stderr) and its flows dropped.
pub fn close_ames(world: &mut World, ship: Entity) {
    let mut ports = world.query::<(Entity, &AmesPort)>();
    let found: Vec<(Entity, String, Vec<Entity>)> = ports
        .iter(world)
        .filter(|(_, port)| port.ship == ship)
        .map(|(entity, port)| (entity, port.summary(), port.flows.values().copied().collect()))
        .collect();
    for (entity, summary, flows) in found {
        eprintln!("{summary}");
        for flow in flows {
            world.despawn(flow);
        }
        world.despawn(entity);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_galaxy_s_name_is_looked_up_as_an_ipv4_address() {
        assert_eq!(lookup_ipv4("localhost"), Some(Ipv4Addr::LOCALHOST));
        assert_eq!(lookup_ipv4("zod.no-such-domain.invalid"), None);
    }

    #[test]
    fn kept_lanes_stand_two_minutes_and_the_cache_is_bounded() {
        let mut forwarding = Forwarding::default();
        let t0 = components::time::from_unix_micros(1_700_000_000_000_000);
        forwarding.keep(0x1_0000, vec![Lane::Galaxy(1)], t0);
        let almost = components::time::after(t0, std::time::Duration::from_secs(119));
        assert_eq!(forwarding.lanes(0x1_0000, almost), Some(&[Lane::Galaxy(1)][..]));
        let past = components::time::after(t0, std::time::Duration::from_secs(121));
        assert_eq!(forwarding.lanes(0x1_0000, past), None, "stale after two minutes");
        assert_eq!(forwarding.lanes(0x2_0000, t0), None);
        forwarding.keep(0x2_0000, vec![], t0);
        assert_eq!(forwarding.lanes(0x2_0000, t0), Some(&[][..]), "no lane is an answer too");
    }
}
