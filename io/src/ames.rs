//! ames: the UDP driver's logic (spec/io.md §6). Arvo's ames vane does the protocol; the runtime moves
//! datagrams: each one heard becomes `[/a/ames [%hear lane blob]]` once its header passes the checks of
//! §6.4 (what is dropped is counted, by reason), and each `%send` effect becomes a datagram to the lane it
//! names. A lane is a galaxy (`[%.y n]`: a fake galaxy listens on 127.0.0.1:31337+n) or an IPv4 address
//! and port packed in a 48-bit atom (`[%.n (port << 32 | ip)]`). The app owns the sockets and drives them
//! through the reactor; nothing here does I/O.

use components::{Heap, Noun, aura, mug};
use hashbrown::HashMap;
use std::collections::VecDeque;
use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4};

/// The port a fake (or local-only) galaxy listens on is this plus its number.
pub const FAKE_GALAXY_PORT_BASE: u16 = 31337;
/// The biggest datagram read (a longer one is truncated by the kernel and dropped).
pub const DATAGRAM_BYTES_MAX: usize = 2048;
/// The most `%hear` events waiting for the ship; past it the oldest are dropped, as Vere does.
pub const HEAR_QUEUE_MAX: usize = 1000;
/// The ames protocol version this runtime speaks (the pill's ames answers 0).
pub const PROTOCOL_VERSION: u32 = 0;

const TERM_A: u64 = b'a' as u64;
const TERM_AMES: u64 = u32::from_le_bytes(*b"ames") as u64;
const TERM_NEWT: u64 = u32::from_le_bytes(*b"newt") as u64;
const TERM_BORN: u64 = u32::from_le_bytes(*b"born") as u64;
const TERM_HEAR: u64 = u32::from_le_bytes(*b"hear") as u64;
const TERM_SEND: u64 = u32::from_le_bytes(*b"send") as u64;
const TERM_TURF: u64 = u32::from_le_bytes(*b"turf") as u64;
const TERM_INIT: u64 = u32::from_le_bytes(*b"init") as u64;

fn direct(value: u64) -> Noun {
    Noun::direct(value).expect("a small atom")
}

/// Where a datagram goes or came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Lane {
    /// A galaxy, by number: the runtime finds its address.
    Galaxy(u8),
    /// An IPv4 address and port.
    Address(SocketAddrV4),
}

impl Lane {
    /// The lane's atom for `[%.n address]`: `port << 32 | ip`.
    pub fn address_atom(address: SocketAddrV4) -> u64 {
        u64::from(address.port()) << 32 | u64::from(u32::from(*address.ip()))
    }

    /// An address from its 48-bit atom (`None` above 2^48, as Vere reads it as 0.0.0.0:0).
    pub fn address_from_atom(atom: u64) -> Option<SocketAddrV4> {
        (atom < 1 << 48)
            .then(|| SocketAddrV4::new(Ipv4Addr::from((atom & 0xffff_ffff) as u32), (atom >> 32) as u16))
    }

    /// Where to send on this lane, for a fake (local-only) ship: a galaxy at 127.0.0.1:31337+n, an
    /// address as it is (IP 0 is 127.0.0.1); `None` to drop (port 0, or not local).
    pub fn fake_destination(self) -> Option<SocketAddr> {
        let address = match self {
            Lane::Galaxy(n) => SocketAddrV4::new(Ipv4Addr::LOCALHOST, FAKE_GALAXY_PORT_BASE + u16::from(n)),
            Lane::Address(a) if a.ip().is_unspecified() => SocketAddrV4::new(Ipv4Addr::LOCALHOST, a.port()),
            Lane::Address(a) => a,
        };
        (address.port() != 0 && address.ip().is_loopback()).then_some(SocketAddr::V4(address))
    }

    /// Where to send on an address lane: IP 0 is 127.0.0.1; `None` to drop (port 0, or not 127.0.0.1 for
    /// a fake ship). A galaxy lane is `None` here: a real galaxy's address is looked up ([`GalaxyBook`]).
    pub fn destination(self, local_only: bool) -> Option<SocketAddr> {
        match (self, local_only) {
            (_, true) => self.fake_destination(),
            (Lane::Galaxy(_), false) => None,
            (Lane::Address(a), false) if a.port() == 0 => None,
            (Lane::Address(a), false) if a.ip().is_unspecified() => {
                Some(SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::LOCALHOST, a.port())))
            }
            (Lane::Address(a), false) => Some(SocketAddr::V4(a)),
        }
    }
}

/// The port a real galaxy listens on is this plus its number.
pub const REAL_GALAXY_PORT_BASE: u16 = 13337;
/// How long a galaxy's looked-up address stands, and how long a failed lookup is remembered.
pub const GALAXY_ADDRESS_TTL: std::time::Duration = std::time::Duration::from_secs(300);
/// Datagrams waiting for one galaxy's lookup, at most (past it the newest are dropped).
pub const GALAXY_WAITING_MAX: usize = 256;

/// The galaxies' addresses of a ship on the real network (spec/io.md §6.2): galaxy `n` is at port
/// 13337+n of the first IPv4 address of `<name>.<domain>`, the domain from ames's `%turf`. A lookup
/// stands for 5 minutes; a failed one is remembered as long, during which datagrams to that galaxy are
/// dropped (a failure after a good answer keeps the old address 5 more minutes, as Vere does). One lookup
/// per galaxy is in flight at a time, the datagrams for it waiting. The lookups themselves are the
/// caller's (a thread: they block): this decides when one is needed and keeps the answers.
#[derive(Debug, Default)]
pub struct GalaxyBook {
    /// The galaxies' DNS domain (`urbit.org`), once ames gave one.
    pub domain: Option<String>,
    entries: HashMap<u8, GalaxyEntry>,
    /// Galaxies for which "no domain" was already said.
    told_no_domain: Vec<u8>,
}

#[derive(Debug)]
struct GalaxyEntry {
    /// The last address found (`None`: never found, or the last lookup failed with none before).
    ip: Option<Ipv4Addr>,
    /// When it was found, or when the last lookup failed.
    at: std::time::Instant,
    /// A lookup is in flight; the datagrams waiting for it.
    looking: bool,
    waiting: VecDeque<Vec<u8>>,
    /// "not found" said since the last good answer.
    told_gone: bool,
}

/// What to do with a datagram for a galaxy.
#[derive(Debug, PartialEq, Eq)]
pub enum GalaxyRoute {
    /// Send it (given back) here.
    Send(SocketAddr, Vec<u8>),
    /// It waits for a lookup of this name (`Some`: start it; `None`: one is in flight).
    Wait(Option<String>),
    /// Drop it (no domain yet, a lookup failed in the last 5 minutes, or too many waiting).
    Drop,
}

impl GalaxyBook {
    /// The DNS name of galaxy `n`: `<name>.<domain>` (`zod.urbit.org`), `None` without a domain or past
    /// 255 bytes.
    pub fn name(&self, n: u8) -> Option<String> {
        let domain = self.domain.as_ref()?;
        let name = format!("{}.{domain}", crate::ames::peer_name(u128::from(n)).trim_start_matches('~'));
        (name.len() < 255).then_some(name)
    }

    /// Where a datagram for galaxy `n` goes at `now`; one that must wait is kept here until
    /// [`GalaxyBook::answer`].
    pub fn route(&mut self, n: u8, datagram: Vec<u8>, now: std::time::Instant) -> GalaxyRoute {
        let Some(name) = self.name(n) else {
            if self.domain.is_none() && !self.told_no_domain.contains(&n) {
                self.told_no_domain.push(n);
                eprintln!("ames: no galaxy domain for {}, no-op", peer_name(u128::from(n)));
            }
            return GalaxyRoute::Drop;
        };
        let port = REAL_GALAXY_PORT_BASE + u16::from(n);
        let entry = self.entries.entry(n).or_insert_with(|| GalaxyEntry {
            ip: None,
            at: now,
            looking: false,
            waiting: VecDeque::new(),
            told_gone: false,
        });
        let fresh = now.saturating_duration_since(entry.at) < GALAXY_ADDRESS_TTL;
        match (entry.ip, fresh, entry.looking) {
            (Some(ip), true, _) => GalaxyRoute::Send(SocketAddr::V4(SocketAddrV4::new(ip, port)), datagram),
            // Not found in the last 5 minutes: dropped, not looked up again until then.
            (None, true, false) if entry.told_gone => GalaxyRoute::Drop,
            (_, _, true) if entry.waiting.len() >= GALAXY_WAITING_MAX => GalaxyRoute::Drop,
            (_, _, true) => {
                entry.waiting.push_back(datagram);
                GalaxyRoute::Wait(None)
            }
            _ => {
                entry.looking = true;
                entry.waiting.push_back(datagram);
                GalaxyRoute::Wait(Some(name))
            }
        }
    }

    /// The answer of galaxy `n`'s lookup (`None`: not found), at `now`: where its waiting datagrams go
    /// (`None`: they are dropped), and the datagrams.
    pub fn answer(
        &mut self,
        n: u8,
        found: Option<Ipv4Addr>,
        now: std::time::Instant,
    ) -> (Option<SocketAddr>, Vec<Vec<u8>>) {
        let name = self.name(n).unwrap_or_default();
        let Some(entry) = self.entries.get_mut(&n) else { return (None, Vec::new()) };
        entry.looking = false;
        entry.at = now;
        match found {
            Some(ip) => {
                if entry.ip != Some(ip) {
                    eprintln!("ames: czar {name}: ip {ip}");
                }
                entry.ip = Some(ip);
                entry.told_gone = false;
            }
            None => {
                if !entry.told_gone {
                    eprintln!("ames: czar at {name}: not found");
                }
                entry.told_gone = true;
            }
        }
        let waiting = entry.waiting.drain(..).collect();
        let port = REAL_GALAXY_PORT_BASE + u16::from(n);
        (entry.ip.map(|ip| SocketAddr::V4(SocketAddrV4::new(ip, port))), waiting)
    }
}

/// The lanes of a `/peers/<ship>/forward-lane` scry's answer (the datum at axis 7 of the peek's product,
/// a `(list lane)`): `None` if the scry failed (no datum); at most [`FORWARD_LANES_MAX`] lanes, and an
/// item that is not a lane skipped (Vere stops on one).
pub fn forward_lanes(heap: &Heap, product: Noun) -> Option<Vec<Lane>> {
    let mut list = heap.slot_u64(product, 7)?;
    let mut lanes = Vec::new();
    while let Some((item, rest)) = heap.cell_parts(list) {
        if lanes.len() == FORWARD_LANES_MAX {
            break;
        }
        list = rest;
        match lane(heap, item) {
            Some(lane) => lanes.push(lane),
            None => eprintln!("ames: a forward lane that is not a lane: {}", heap.print_limited(item, 100)),
        }
    }
    Some(lanes)
}

/// The most lanes a packet is forwarded on.
pub const FORWARD_LANES_MAX: usize = 16;

/// The path of the lane scry (care `%x` of ames, desk `%$`) for `ship`: `/peers/<@p>/forward-lane`.
pub fn forward_lane_path(ship: u128) -> [String; 3] {
    ["peers".into(), aura::ship_name(ship), "forward-lane".into()]
}

/// Why a datagram was dropped (each counted).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Drop {
    /// Fewer than 4 bytes, or the is-ames bit set.
    Header,
    /// Another protocol version.
    Version,
    /// Shorter than its header says.
    Short,
    /// The checksum does not match the body.
    Checksum,
    /// Longer than [`DATAGRAM_BYTES_MAX`].
    TooLong,
    /// The `%hear` queue was full: the oldest went.
    QueueFull,
    /// The queue of packets to forward was full: the oldest went.
    ForwardQueueFull,
    /// Not from IPv4.
    NotIpv4,
    /// For another ship, which the kernel knows no lane to (or only lanes that cannot be sent to).
    NoLane,
    /// For another ship whose lane is not known, with too many lane scries waiting.
    LaneScriesFull,
    /// For a real galaxy with no address: no domain yet, its lookup failed, or too many waiting for it.
    NoGalaxyAddress,
}

impl Drop {
    pub const ALL: [Drop; 11] = [
        Drop::Header,
        Drop::Version,
        Drop::Short,
        Drop::Checksum,
        Drop::TooLong,
        Drop::QueueFull,
        Drop::ForwardQueueFull,
        Drop::NotIpv4,
        Drop::NoLane,
        Drop::LaneScriesFull,
        Drop::NoGalaxyAddress,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Drop::Header => "bad header",
            Drop::Version => "version mismatch",
            Drop::Short => "truncated body",
            Drop::Checksum => "checksum mismatch",
            Drop::TooLong => "oversized",
            Drop::QueueFull => "queue full",
            Drop::ForwardQueueFull => "forward queue full",
            Drop::NotIpv4 => "not IPv4",
            Drop::NoLane => "no lane to forward on",
            Drop::LaneScriesFull => "lane scries full",
            Drop::NoGalaxyAddress => "no galaxy address",
        }
    }
}

/// What a packet's header says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    pub version: u32,
    pub sender: u128,
    pub receiver: u128,
    /// The original sender's lane, for a relayed packet.
    pub origin: Option<SocketAddrV4>,
}

/// The bytes of a ship of rank `rank` (0: 2, 1: 4, 2: 8, 3: 16).
fn rank_bytes(rank: u32) -> usize {
    2 << rank
}

fn little_endian(bytes: &[u8]) -> u128 {
    bytes.iter().rev().fold(0u128, |value, &b| value << 8 | u128::from(b))
}

/// The checksum field of a body: the low 20 bits of its mug as an atom.
pub fn checksum(body: &[u8]) -> u32 {
    let limbs: Vec<u64> = body
        .chunks(8)
        .map(|chunk| {
            let mut limb = [0u8; 8];
            limb[..chunk.len()].copy_from_slice(chunk);
            u64::from_le_bytes(limb)
        })
        .collect();
    mug::mug_limbs(&limbs) & 0xf_ffff
}

/// Checks a datagram's header and sizes (spec/io.md §6.3–6.4), for protocol version 0.
pub fn parse(datagram: &[u8]) -> Result<Header, Drop> {
    parse_as(datagram, Some(PROTOCOL_VERSION))
}

/// [`parse`], the version checked against `version` once it is known (Vere lets every version through
/// until its scry of the kernel's has answered).
pub fn parse_as(datagram: &[u8], version: Option<u32>) -> Result<Header, Drop> {
    if datagram.len() > DATAGRAM_BYTES_MAX {
        return Err(Drop::TooLong);
    }
    let Some(word) = datagram.get(..4) else { return Err(Drop::Header) };
    let word = u32::from_le_bytes(word.try_into().expect("4 bytes"));
    if word >> 3 & 1 == 1 {
        return Err(Drop::Header);
    }
    if version.is_some_and(|ours| ours != word >> 4 & 0b111) {
        return Err(Drop::Version);
    }
    let (sender_bytes, receiver_bytes) = (rank_bytes(word >> 7 & 0b11), rank_bytes(word >> 9 & 0b11));
    let relayed = word >> 31 == 0;
    let origin_bytes = if relayed { 6 } else { 0 };
    let body = &datagram[4..];
    if body.len() < origin_bytes + 1 + sender_bytes + receiver_bytes {
        return Err(Drop::Short);
    }
    let (origin, rest) = body.split_at(origin_bytes);
    if checksum(rest) != word >> 11 & 0xf_ffff {
        return Err(Drop::Checksum);
    }
    let sender = little_endian(&rest[1..1 + sender_bytes]);
    let receiver = little_endian(&rest[1 + sender_bytes..1 + sender_bytes + receiver_bytes]);
    let origin = relayed.then(|| {
        let atom = little_endian(origin) as u64;
        Lane::address_from_atom(atom).expect("48 bits")
    });
    Ok(Header { version: word >> 4 & 0b111, sender, receiver, origin })
}

/// A datagram heard from `from` as it is forwarded: with `from` as its origin (the relayed bit set and
/// the 6 bytes after the header word), unless it already has one or its sender is a galaxy; otherwise
/// as it came. The checksum does not cover the origin, so it stands.
pub fn relayed(datagram: &[u8], header: &Header, from: SocketAddrV4) -> Vec<u8> {
    if header.origin.is_some() || header.sender < 256 || datagram.len() < 4 {
        return datagram.to_vec();
    }
    let word = u32::from_le_bytes(datagram[..4].try_into().expect("4 bytes")) & !(1 << 31);
    let mut out = Vec::with_capacity(datagram.len() + 6);
    out.extend_from_slice(&word.to_le_bytes());
    out.extend_from_slice(&Lane::address_atom(from).to_le_bytes()[..6]);
    out.extend_from_slice(&datagram[4..]);
    out
}

/// The kernel's ames protocol version from its answer to [`PROTOCOL_SCRY`] (the datum at axis 7 of the
/// peek's product), as Vere reads it: an atom up to 7, else 0 (a failed scry, or something strange).
pub fn protocol_version(heap: &Heap, product: Noun) -> u32 {
    match heap.slot_u64(product, 7).map(|v| v.as_direct()) {
        Some(Some(version @ 0..=7)) => version as u32,
        Some(_) => {
            eprintln!("ames: strange protocol {}", heap.print_limited(product, 200));
            0
        }
        None => 0,
    }
}

/// The path of the protocol-version scry (care `%x` of ames, desk `%$`): `/protocol/version`.
pub const PROTOCOL_SCRY: [&str; 2] = ["protocol", "version"];

/// Builds a datagram (for tests and the simulator's checks): header, body after it.
pub fn packet(sender: u128, receiver: u128, content: &[u8]) -> Vec<u8> {
    let rank = |ship: u128| match ship {
        0..=0xffff => 0u32,
        0x1_0000..=0xffff_ffff => 1,
        0x1_0000_0000..=0xffff_ffff_ffff_ffff => 2,
        _ => 3,
    };
    let (sr, rr) = (rank(sender), rank(receiver));
    let mut body = vec![0u8];
    body.extend_from_slice(&sender.to_le_bytes()[..rank_bytes(sr)]);
    body.extend_from_slice(&receiver.to_le_bytes()[..rank_bytes(rr)]);
    body.extend_from_slice(content);
    let word = sr << 7 | rr << 9 | checksum(&body) << 11 | 1 << 31;
    let mut datagram = word.to_le_bytes().to_vec();
    datagram.extend_from_slice(&body);
    datagram
}

/// `[/a/newt/<sev> [%born ~]]`.
pub fn born(heap: &mut Heap, sev: &str) -> Noun {
    let sev = heap.atom_from_bytes(sev.as_bytes());
    let wire = heap.list(&[direct(TERM_A), direct(TERM_NEWT), sev]);
    let card = heap.cell(direct(TERM_BORN), Noun::ZERO);
    heap.cell(wire, card)
}

/// `[/a/ames [%hear [%.n address] blob]]`: a datagram heard from `from`.
pub fn hear(heap: &mut Heap, from: SocketAddrV4, datagram: &[u8]) -> Noun {
    let wire = heap.list(&[direct(TERM_A), direct(TERM_AMES)]);
    let address = heap.atom_u64(Lane::address_atom(from));
    let lane = heap.cell(direct(1), address);
    let blob = heap.atom_from_bytes(datagram);
    let card = heap.tuple(&[direct(TERM_HEAR), lane, blob]);
    heap.cell(wire, card)
}

/// An effect for ames.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AmesEffect {
    /// Send these bytes as one datagram on this lane.
    Send(Lane, Vec<u8>),
    /// The galaxies' DNS domain (the first turf, joined).
    Turf(Option<String>),
    /// Accepted and ignored (`%init`).
    Ignored,
}

/// Claims an effect for ames (wires `/newt/...` and `/ames/...`; a `%send` on a `/term` wire too): what
/// to do, an error for a malformed one, `None` if it is not ames's.
pub fn claims(heap: &Heap, wire: Noun, card: Noun) -> Option<Result<AmesEffect, String>> {
    let head = heap.head(wire).and_then(|h| h.as_direct())?;
    let tag = heap.head(card).and_then(|t| t.as_direct());
    let term_send = head == u32::from_le_bytes(*b"term") as u64 && tag == Some(TERM_SEND);
    if head != TERM_NEWT && head != TERM_AMES && !term_send {
        return None;
    }
    Some(match tag {
        Some(TERM_SEND) => send(heap, card),
        Some(TERM_TURF) => Ok(AmesEffect::Turf(first_turf(heap, card))),
        Some(TERM_INIT) => Ok(AmesEffect::Ignored),
        _ => return None,
    })
}

/// A lane noun, `[%.y galaxy]` or `[%.n (port << 32 | ip)]`, as Vere reads it (an address atom of 2^48
/// or more is 0.0.0.0:0, which is never sent to); `None` if it is not a lane.
pub fn lane(heap: &Heap, lane: Noun) -> Option<Lane> {
    let (flag, value) = heap.cell_parts(lane)?;
    let value = heap.atom(value)?.as_u64();
    let nowhere = SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, 0);
    match (flag.as_direct()?, value) {
        (0, Some(galaxy)) if galaxy < 256 => Some(Lane::Galaxy(galaxy as u8)),
        (1, Some(atom)) => Some(Lane::Address(Lane::address_from_atom(atom).unwrap_or(nowhere))),
        (1, None) => Some(Lane::Address(nowhere)),
        _ => None,
    }
}

/// `[%send lane blob]`.
fn send(heap: &Heap, card: Noun) -> Result<AmesEffect, String> {
    let bad = || format!("ames: a %send that does not parse: {}", heap.print_limited(card, 200));
    let (_, rest) = heap.cell_parts(card).ok_or_else(bad)?;
    let (lane, blob) = heap.cell_parts(rest).ok_or_else(bad)?;
    let lane = self::lane(heap, lane).ok_or_else(bad)?;
    let blob = heap.atom(blob).ok_or_else(bad)?;
    if blob.byte_len() > DATAGRAM_BYTES_MAX as u64 {
        return Err(format!("ames: a %send of {} bytes (at most {DATAGRAM_BYTES_MAX})", blob.byte_len()));
    }
    Ok(AmesEffect::Send(lane, blob.to_bytes()))
}

/// `[%turf (list (list @t))]`: the first, TLD first, joined in reverse with dots.
fn first_turf(heap: &Heap, card: Noun) -> Option<String> {
    let turfs = heap.tail(card)?;
    let mut list = heap.head(turfs)?;
    let mut parts = Vec::new();
    while let Some((part, rest)) = heap.cell_parts(list) {
        parts.push(String::from_utf8_lossy(&heap.atom(part)?.to_bytes()).into_owned());
        list = rest;
        if parts.len() > 64 {
            return None;
        }
    }
    parts.reverse();
    Some(parts.join("."))
}

/// The name of a peer for messages: `~nec`, or its number.
pub fn peer_name(ship: u128) -> String {
    aura::ship_name(ship)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lanes_pack_port_and_address_as_vere_does() {
        let address = SocketAddrV4::new(Ipv4Addr::LOCALHOST, 31337);
        assert_eq!(Lane::address_atom(address), 0x7a69_7f00_0001);
        assert_eq!(Lane::address_from_atom(0x7a69_7f00_0001), Some(address));
        assert_eq!(Lane::address_from_atom(1 << 48), None);
        assert_eq!(Lane::Galaxy(1).fake_destination(), Some("127.0.0.1:31338".parse().unwrap()));
        assert_eq!(Lane::Address(SocketAddrV4::new(Ipv4Addr::new(8, 8, 8, 8), 1)).fake_destination(), None);
        assert_eq!(Lane::Address(SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, 0)).fake_destination(), None);
    }

    #[test]
    fn a_packet_parses_and_damage_is_dropped_by_reason() {
        let datagram = packet(0, 1, b"opaque content");
        let header = parse(&datagram).unwrap();
        assert_eq!((header.sender, header.receiver, header.origin), (0, 1, None));
        let mut flipped = datagram.clone();
        *flipped.last_mut().unwrap() ^= 1;
        assert_eq!(parse(&flipped), Err(Drop::Checksum));
        assert_eq!(parse(&datagram[..3]), Err(Drop::Header));
        assert_eq!(parse(&datagram[..6]), Err(Drop::Short));
        let mut is_ames = datagram.clone();
        is_ames[0] |= 1 << 3;
        assert_eq!(parse(&is_ames), Err(Drop::Header));
        let mut version = datagram.clone();
        version[0] |= 1 << 4;
        assert_eq!(parse(&version), Err(Drop::Version));
        assert_eq!(parse_as(&version, None).map(|h| h.version), Ok(1), "no filter before the scry");
        assert_eq!(parse_as(&version, Some(1)).map(|h| h.version), Ok(1));
        assert_eq!(parse(&vec![0; DATAGRAM_BYTES_MAX + 1]), Err(Drop::TooLong));
        let planet = packet(0x1234_5678, 0x100, b"x");
        assert_eq!(parse(&planet).map(|h| (h.sender, h.receiver)), Ok((0x1234_5678, 0x100)));
    }

    #[test]
    fn a_forwarded_packet_carries_the_lane_it_came_from_as_its_origin() {
        let from = SocketAddrV4::new(Ipv4Addr::new(10, 1, 2, 3), 40_000);
        let planet = packet(0x1234_5678, 1, b"for ~nec");
        let forwarded = relayed(&planet, &parse(&planet).unwrap(), from);
        assert_eq!(forwarded.len(), planet.len() + 6);
        let header = parse(&forwarded).unwrap();
        assert_eq!((header.sender, header.receiver, header.origin), (0x1234_5678, 1, Some(from)));
        assert_eq!(relayed(&forwarded, &header, from), forwarded, "an origin is written once");
        let galaxy = packet(2, 1, b"from ~bud");
        assert_eq!(relayed(&galaxy, &parse(&galaxy).unwrap(), from), galaxy, "a galaxy's is not");
    }

    #[test]
    fn a_real_galaxy_is_looked_up_once_and_its_answer_stands_five_minutes() {
        use std::time::{Duration, Instant};
        let t0 = Instant::now();
        let mut book = GalaxyBook::default();
        assert_eq!(book.route(1, vec![1], t0), GalaxyRoute::Drop, "no domain yet");
        book.domain = Some("urbit.org".into());
        assert_eq!(book.name(1).as_deref(), Some("nec.urbit.org"));
        assert_eq!(book.route(1, vec![1], t0), GalaxyRoute::Wait(Some("nec.urbit.org".into())));
        assert_eq!(book.route(1, vec![2], t0), GalaxyRoute::Wait(None), "one lookup in flight");
        let ip = Ipv4Addr::new(10, 0, 0, 1);
        let at: SocketAddr = "10.0.0.1:13338".parse().unwrap();
        assert_eq!(book.answer(1, Some(ip), t0), (Some(at), vec![vec![1], vec![2]]));
        assert_eq!(book.route(1, vec![3], t0 + Duration::from_secs(299)), GalaxyRoute::Send(at, vec![3]));
        let later = t0 + Duration::from_secs(301);
        assert_eq!(book.route(1, vec![4], later), GalaxyRoute::Wait(Some("nec.urbit.org".into())));
        assert_eq!(book.answer(1, None, later), (Some(at), vec![vec![4]]), "a failure keeps the old address");
        assert_eq!(book.route(1, vec![5], later + Duration::from_secs(10)), GalaxyRoute::Send(at, vec![5]));
        // A galaxy never found: dropped for 5 minutes, then looked up again.
        assert_eq!(book.route(2, vec![6], t0), GalaxyRoute::Wait(Some("bud.urbit.org".into())));
        assert_eq!(book.answer(2, None, t0), (None, vec![vec![6]]));
        assert_eq!(book.route(2, vec![7], t0 + Duration::from_secs(10)), GalaxyRoute::Drop);
        assert!(matches!(book.route(2, vec![8], t0 + Duration::from_secs(301)), GalaxyRoute::Wait(Some(_))));
        for k in 1..GALAXY_WAITING_MAX {
            assert_eq!(book.route(2, vec![k as u8], t0 + Duration::from_secs(302)), GalaxyRoute::Wait(None));
        }
        assert_eq!(book.route(2, vec![0], t0), GalaxyRoute::Drop, "the waiting datagrams are bounded");
    }

    #[test]
    fn forward_lanes_are_read_from_the_scry_s_datum() {
        let mut heap = Heap::new();
        let product = heap.parse(&format!("[0 0 [0 1] [1 {}] [2 3] 0]", 0x7a69_7f00_0001u64)).unwrap();
        let lanes = forward_lanes(&heap, product).unwrap();
        let address = SocketAddrV4::new(Ipv4Addr::LOCALHOST, 31337);
        assert_eq!(lanes, vec![Lane::Galaxy(1), Lane::Address(address)], "a strange item is skipped");
        let empty = heap.parse("[0 0 0]").unwrap();
        assert_eq!(forward_lanes(&heap, empty), Some(vec![]));
        assert_eq!(forward_lanes(&heap, Noun::ZERO), None, "a failed scry");
        let unit = heap.parse("[0 0]").unwrap();
        assert_eq!(forward_lanes(&heap, unit), None);
        assert_eq!(forward_lane_path(0x100)[1], "~marzod");
        let lane = Lane::Address(SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, 40_000));
        assert_eq!(lane.destination(false), Some("127.0.0.1:40000".parse().unwrap()));
        let remote = Lane::Address(SocketAddrV4::new(Ipv4Addr::new(8, 8, 4, 4), 40_000));
        assert_eq!(remote.destination(false), Some("8.8.4.4:40000".parse().unwrap()));
        assert_eq!(remote.destination(true), None);
        assert_eq!(Lane::Galaxy(3).destination(false), None);
    }

    #[test]
    fn send_and_turf_effects_are_claimed() {
        let mut heap = Heap::new();
        let wire = heap.parse(&format!("[{TERM_NEWT} 0]")).unwrap();
        let card = heap.parse(&format!("[{TERM_SEND} [0 1] 4660]")).unwrap();
        assert_eq!(claims(&heap, wire, card), Some(Ok(AmesEffect::Send(Lane::Galaxy(1), vec![0x34, 0x12]))));
        let card = heap.parse(&format!("[{TERM_SEND} [1 {}] 7]", 0x7a69_7f00_0001u64)).unwrap();
        let to = SocketAddrV4::new(Ipv4Addr::LOCALHOST, 31337);
        assert_eq!(claims(&heap, wire, card), Some(Ok(AmesEffect::Send(Lane::Address(to), vec![7]))));
        let (org, urbit) = (heap.atom_from_bytes(b"org"), heap.atom_from_bytes(b"urbit"));
        let turf = heap.list(&[org, urbit]);
        let turfs = heap.list(&[turf]);
        let card = heap.cell(direct(TERM_TURF), turfs);
        assert_eq!(claims(&heap, wire, card), Some(Ok(AmesEffect::Turf(Some("urbit.org".into())))));
        let behn = heap.parse(&format!("[{} 0]", u32::from_le_bytes(*b"behn"))).unwrap();
        assert_eq!(claims(&heap, behn, card), None);
        let bad = heap.parse(&format!("[{TERM_SEND} 5]")).unwrap();
        assert!(matches!(claims(&heap, wire, bad), Some(Err(_))));
    }

    #[test]
    fn a_heard_datagram_is_a_hear_ovum_with_its_lane() {
        let mut heap = Heap::new();
        let from = SocketAddrV4::new(Ipv4Addr::LOCALHOST, 31338);
        let ovum = hear(&mut heap, from, &[1, 2, 3]);
        let expected = heap
            .parse(&format!(
                "[[{TERM_A} {TERM_AMES} 0] {TERM_HEAR} [1 {}] {}]",
                0x7a6a_7f00_0001u64, 0x030201
            ))
            .unwrap();
        assert!(heap.eq(ovum, expected));
    }
}
