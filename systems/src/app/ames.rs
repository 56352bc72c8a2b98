//! ames's sockets and flows in the app. Each ship's UDP socket is an entity of its own ([`AmesPort`]),
//! whose completions come back under it: `io_poll` hands them to [`ames_completion`], which checks each
//! datagram's header (dropping and counting what fails), keeps the ship's flow with the sender (an
//! [`AmesFlow`] entity) and queues `%hear` (at most [`HEAR_QUEUE_MAX`]: past it the oldest go, as in
//! Vere), fed to the ship's inbox a few at a time by [`feed_hears`]. `route_effects` puts the datagrams of
//! `%send` effects in the ship's [`AmesOutbox`], and [`ames_send`] writes them. As in Vere, the version
//! of the protocol is asked of the kernel once the ship is first idle (until then every version is let
//! through), and a packet for another galaxy is forwarded to it statelessly, the lane it came from
//! written in as its origin; a packet for another ship that is not a galaxy is heard, and Arvo's ames
//! forwards it (Vere asks the kernel for that ship's lane and keeps a cache of them: not done here).

use super::ship::{Computing, Io, Kernel};
use bevy_ecs::prelude::*;
use components::Heap;
use components::app::{AmesFlow, AmesOutbox, Clock, Inbox, SimNet};
use engine_io::Completion;
use engine_io::ames::{self, DATAGRAM_BYTES_MAX, Drop, HEAR_QUEUE_MAX};
use engine_io::{Op, Token};
use hashbrown::HashMap;
use std::collections::{BTreeMap, VecDeque};
use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4, UdpSocket};
use std::os::fd::AsRawFd;

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

/// One ship's ames socket.
#[derive(Component)]
pub struct AmesPort {
    /// The ship whose socket it is, and who it is (`@p`).
    pub ship: Entity,
    pub who: u128,
    /// The kernel's protocol version, once asked ([`ames_send`], when the ship is first idle): until
    /// then no packet is dropped for its version.
    pub version: Option<u32>,
    /// Datagrams for other galaxies, to forward (each to its galaxy's address).
    pub forwards: VecDeque<(SocketAddr, Vec<u8>)>,
    pub forwarded: u64,
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
            "ames on {}: {} heard, {} sent ({} failed), {} forwarded; dropped: {dropped}; {} peers",
            self.address,
            self.heard,
            self.sent,
            self.send_failures,
            self.forwarded,
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

/// A datagram heard (from the socket or the simulated network): checked, its flow kept, queued as
/// `%hear`.
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
    if header.receiver != port.who && header.receiver < 256 {
        // For another galaxy: to it, never back to ourselves (a datagram naming us is ours).
        let to = ames::Lane::Galaxy(header.receiver as u8);
        let to = if port.local_only {
            to.fake_destination()
        } else {
            // A real galaxy's address needs DNS, which is not done yet: Arvo's ames is given it.
            None
        };
        if let Some(to) = to {
            if port.forwards.len() >= FORWARDS_MAX {
                port.forwards.pop_front();
                port.drop_counted(Drop::ForwardQueueFull);
            }
            port.forwards.push_back((to, ames::relayed(datagram, &header, from)));
            port.forwarded += 1;
            return;
        }
    }
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

/// Writes the datagrams each ship's events asked to send, as many as its socket has room for in flight;
/// each one's flow (by the receiver its header names) counts it.
pub fn ames_send(
    mut commands: Commands,
    mut io: ResMut<Io>,
    clock: Res<Clock>,
    mut net: Option<ResMut<SimNet>>,
    mut ships: Query<(&mut AmesOutbox, &Computing, &mut Kernel)>,
    mut ports: Query<(Entity, &mut AmesPort)>,
    mut flows: Query<&mut AmesFlow>,
) {
    for (me, mut port) in &mut ports {
        let Ok((mut outbox, computing, mut kernel)) = ships.get_mut(port.ship) else { continue };
        if port.version.is_none() && computing.event.is_none() {
            port.version = Some(protocol_version(&mut kernel));
        }
        while port.sending < SENDS_IN_FLIGHT {
            let Some((to, datagram)) = port.forwards.pop_front().or_else(|| outbox.datagrams.pop_front())
            else {
                break;
            };
            if let Ok(header) = ames::parse(&datagram) {
                with_flow(&mut commands, &mut port, &mut flows, header.receiver, |flow| {
                    flow.packets_out += 1;
                    flow.bytes_out += datagram.len() as u64;
                    flow.lane = Some(to);
                });
            }
            let Some(fd) = port.socket.as_ref().map(|s| s.as_raw_fd()) else {
                if let Some(net) = net.as_deref_mut() {
                    net.send(clock.now(), port.address, to, datagram);
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
    let serf = &mut kernel.0;
    let path: Vec<&[u8]> = ames::PROTOCOL_SCRY.iter().map(|item| item.as_bytes()).collect();
    let nom = engine_io::nouns::once_peek(&mut serf.heap, "ax", &path);
    match serf.peek(components::Noun::ZERO, nom) {
        Ok(product) => ames::protocol_version(&serf.heap, product),
        Err(_) => 0,
    }
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
