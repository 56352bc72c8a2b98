//! ames: the UDP driver's logic (spec/io.md §6). Arvo's ames vane does the protocol; the runtime moves
//! datagrams: each one heard becomes `[/a/ames [%hear lane blob]]` once its header passes the checks of
//! §6.4 (what is dropped is counted, by reason), and each `%send` effect becomes a datagram to the lane it
//! names. A lane is a galaxy (`[%.y n]`: a fake galaxy listens on 127.0.0.1:31337+n) or an IPv4 address
//! and port packed in a 48-bit atom (`[%.n (port << 32 | ip)]`). The app owns the sockets and drives them
//! through the reactor; nothing here does I/O.

use components::{Heap, Noun, aura, mug};
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
}

impl Drop {
    pub const ALL: [Drop; 8] = [
        Drop::Header,
        Drop::Version,
        Drop::Short,
        Drop::Checksum,
        Drop::TooLong,
        Drop::QueueFull,
        Drop::ForwardQueueFull,
        Drop::NotIpv4,
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

/// `[%send lane blob]`.
fn send(heap: &Heap, card: Noun) -> Result<AmesEffect, String> {
    let bad = || format!("ames: a %send that does not parse: {}", heap.print_limited(card, 200));
    let (_, rest) = heap.cell_parts(card).ok_or_else(bad)?;
    let (lane, blob) = heap.cell_parts(rest).ok_or_else(bad)?;
    let (flag, value) = heap.cell_parts(lane).ok_or_else(bad)?;
    let value = heap.atom(value).ok_or_else(bad)?;
    let small = value.as_u64();
    let lane = match (flag.as_direct(), small) {
        (Some(0), Some(galaxy)) if galaxy < 256 => Lane::Galaxy(galaxy as u8),
        (Some(1), Some(atom)) => Lane::Address(
            Lane::address_from_atom(atom).unwrap_or(SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, 0)),
        ),
        (Some(1), None) => Lane::Address(SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, 0)),
        _ => return Err(bad()),
    };
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
