//! ames flows as the replay sees them: for each peer, the lane its packets last came from or went to,
//! packets and bytes each way, and when it was last heard from, as `engine ames` shows them for a running
//! ship (the app's `AmesFlow`), derived from the log and the effects. In: every logged
//! `[/a/ames [%hear lane blob]]`, its sender read from the datagram's header; a blob that does not parse
//! is counted apart. Out: every `%send` effect of an event computed in this session, its receiver read
//! from the datagram's header; events not computed here (before the snapshot the session started from)
//! are not counted, and the answer says from which event it counts. Both are as of the kernel's event:
//! after stepping back, the flows are those up to there.

use super::session::{Computed, Row, Session};
use components::{Heap, Noun, aura};
use engine_io::ames::{self, AmesEffect, Lane};
use std::collections::BTreeMap;

/// The most sends of one event kept (as many as the running app queues for a ship); past it they are
/// counted, their receivers unknown.
pub const SENDS_KEPT_MAX: usize = 4096;

const TERM_A: u64 = b'a' as u64;
const TERM_AMES: u64 = u32::from_le_bytes(*b"ames") as u64;
const TERM_HEAR: u64 = u32::from_le_bytes(*b"hear") as u64;

/// Packets and their bytes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tally {
    pub packets: u64,
    pub bytes: u64,
}

impl Tally {
    fn add(&mut self, bytes: u64) {
        self.packets += 1;
        self.bytes += bytes;
    }

    fn add_tally(&mut self, other: Tally) {
        self.packets += other.packets;
        self.bytes += other.bytes;
    }
}

/// A datagram heard: a logged `%hear`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Heard {
    /// The sender its header names; `None` if the datagram does not parse.
    pub sender: Option<u128>,
    /// The lane it came on; `None` if the card's lane is not one.
    pub lane: Option<Lane>,
    pub bytes: u64,
}

/// The datagram of an ovum `[/a/ames [%hear lane blob]]`; `None` for any other ovum.
pub fn heard(heap: &Heap, wire: Noun, card: Noun) -> Option<Heard> {
    let (tag, rest) = heap.cell_parts(card)?;
    if !is_ames_wire(heap, wire) || tag.as_direct() != Some(TERM_HEAR) {
        return None;
    }
    let unparsed = Heard { sender: None, lane: None, bytes: 0 };
    let Some((lane, blob)) = heap.cell_parts(rest) else { return Some(unparsed) };
    let lane = ames::lane(heap, lane);
    let Some(blob) = heap.atom(blob) else { return Some(Heard { lane, ..unparsed }) };
    let bytes = blob.byte_len();
    let sender = match bytes <= ames::DATAGRAM_BYTES_MAX as u64 {
        true => ames::parse_as(&blob.to_bytes(), None).ok().map(|header| header.sender),
        false => None,
    };
    Some(Heard { sender, lane, bytes })
}

/// Whether `wire` is `/a/ames`.
fn is_ames_wire(heap: &Heap, wire: Noun) -> bool {
    let Some((a, rest)) = heap.cell_parts(wire) else { return false };
    let Some((ames, end)) = heap.cell_parts(rest) else { return false };
    a.as_direct() == Some(TERM_A) && ames.as_direct() == Some(TERM_AMES) && end.as_direct() == Some(0)
}

/// A datagram an event's effects sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sent {
    /// The receiver its header names.
    pub receiver: u128,
    pub lane: Lane,
    pub bytes: u64,
}

/// What one event's effects sent (kept with what computing it gave).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Sends {
    /// At most [`SENDS_KEPT_MAX`], in the order of the effects.
    pub kept: Vec<Sent>,
    /// Sends past the cap.
    pub past_cap: Tally,
    /// `%send` effects that are malformed (no bytes counted) or whose datagram does not parse.
    pub unparsed: Tally,
}

impl Sends {
    /// Notes the effect `[wire card]` if ames claims it as a `%send`.
    pub fn note(&mut self, heap: &Heap, wire: Noun, card: Noun) {
        let (lane, datagram) = match ames::claims(heap, wire, card) {
            Some(Ok(AmesEffect::Send(lane, datagram))) => (lane, datagram),
            Some(Err(_)) => return self.unparsed.add(0),
            Some(Ok(_)) | None => return,
        };
        let bytes = datagram.len() as u64;
        match ames::parse_as(&datagram, None) {
            Err(_) => self.unparsed.add(bytes),
            Ok(_) if self.kept.len() >= SENDS_KEPT_MAX => self.past_cap.add(bytes),
            Ok(header) => self.kept.push(Sent { receiver: header.receiver, lane, bytes }),
        }
    }
}

/// One peer's flow.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PeerFlow {
    pub peer: u128,
    /// Where its packets last came from, or went to.
    pub lane: Option<Lane>,
    pub packets_in: u64,
    pub bytes_in: u64,
    pub packets_out: u64,
    pub bytes_out: u64,
    /// The date of the last event that heard from it (`@da`).
    pub last_heard: Option<u128>,
}

/// The flows as of an event.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Flows {
    /// The event they are as of: the log's `%hear`s through it, the sends of the events through it that
    /// were computed.
    pub through: u64,
    /// One per peer, by peer number.
    pub peers: Vec<PeerFlow>,
    /// `%hear`s whose datagram does not parse.
    pub unparsed_in: Tally,
    /// `%send`s that do not parse.
    pub unparsed_out: Tally,
    /// Sends past an event's cap: counted, their receivers unknown.
    pub past_cap_out: Tally,
    /// The first event whose sends are counted (the first computed); `None` if none is.
    pub sends_from: Option<u64>,
    /// How many events' sends are counted (`through - sends_from + 1` unless some between were not
    /// computed).
    pub sends_events: u64,
}

/// The flows as of the kernel's event.
pub fn of(session: &Session) -> Flows {
    tally(session.rows(), |number| session.computed(number), session.at())
}

/// The flows through event `through`: from the `%hear`s of `rows` (in the log's order) and the sends
/// of the events `computed` gives, event by event (an event's sends after what it heard).
pub fn tally<'a>(rows: &[Row], computed: impl Fn(u64) -> Option<&'a Computed>, through: u64) -> Flows {
    let mut peers: BTreeMap<u128, PeerFlow> = BTreeMap::new();
    let mut flows = Flows { through, ..Flows::default() };
    for row in rows.iter().take_while(|row| row.number <= through) {
        if let Some(heard) = &row.heard {
            flows.count_heard(&mut peers, heard, row.now);
        }
        if let Some(computed) = computed(row.number) {
            flows.sends_from.get_or_insert(row.number);
            flows.sends_events += 1;
            flows.count_sends(&mut peers, &computed.sends);
        }
    }
    flows.peers = peers.into_values().collect();
    flows
}

impl Flows {
    fn count_heard(&mut self, peers: &mut BTreeMap<u128, PeerFlow>, heard: &Heard, now: Option<u128>) {
        let Some(sender) = heard.sender else { return self.unparsed_in.add(heard.bytes) };
        let flow = peers.entry(sender).or_insert_with(|| PeerFlow { peer: sender, ..PeerFlow::default() });
        flow.packets_in += 1;
        flow.bytes_in += heard.bytes;
        flow.lane = heard.lane.or(flow.lane);
        flow.last_heard = now.or(flow.last_heard);
    }

    fn count_sends(&mut self, peers: &mut BTreeMap<u128, PeerFlow>, sends: &Sends) {
        for sent in &sends.kept {
            let flow = peers
                .entry(sent.receiver)
                .or_insert_with(|| PeerFlow { peer: sent.receiver, ..PeerFlow::default() });
            flow.packets_out += 1;
            flow.bytes_out += sent.bytes;
            flow.lane = Some(sent.lane);
        }
        self.unparsed_out.add_tally(sends.unparsed);
        self.past_cap_out.add_tally(sends.past_cap);
    }
}

/// A lane for people: `127.0.0.1:31338`, or `galaxy ~nec`.
pub fn lane_text(lane: Lane) -> String {
    match lane {
        Lane::Galaxy(n) => format!("galaxy {}", aura::ship_name(u128::from(n))),
        Lane::Address(address) => address.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::debug::session::{missing_row, released};
    use std::collections::HashMap;
    use std::net::{Ipv4Addr, SocketAddrV4};

    const TERM_NEWT: u64 = u32::from_le_bytes(*b"newt") as u64;
    const TERM_SEND: u64 = u32::from_le_bytes(*b"send") as u64;

    fn address(port: u16) -> SocketAddrV4 {
        SocketAddrV4::new(Ipv4Addr::LOCALHOST, port)
    }

    /// `[/newt/0 [%send lane blob]]` in `heap`.
    fn send_effect(heap: &mut Heap, lane: Lane, datagram: &[u8]) -> Noun {
        let lane = match lane {
            Lane::Galaxy(n) => heap.parse(&format!("[0 {n}]")).unwrap(),
            Lane::Address(a) => heap.parse(&format!("[1 {}]", Lane::address_atom(a))).unwrap(),
        };
        let blob = heap.atom_from_bytes(datagram);
        let wire = heap.parse(&format!("[{TERM_NEWT} {} 0]", b'0')).unwrap();
        let send = Noun::direct(TERM_SEND).unwrap();
        let card = heap.tuple(&[send, lane, blob]);
        heap.cell(wire, card)
    }

    /// A `%hear` event's row: `datagram` from `from`, at date `now`.
    fn hear_row(number: u64, now: u128, from: SocketAddrV4, datagram: &[u8]) -> Row {
        let mut heap = Heap::new();
        let ovum = ames::hear(&mut heap, from, datagram);
        let (wire, card) = heap.cell_parts(ovum).unwrap();
        let mut row = missing_row(number);
        row.now = Some(now);
        row.heard = heard(&heap, wire, card);
        row
    }

    #[test]
    fn a_hear_gives_its_sender_lane_and_bytes_and_a_bad_blob_no_sender() {
        let datagram = ames::packet(1, 0, b"hello");
        let row = hear_row(3, 77, address(40_000), &datagram);
        let expected = Heard { sender: Some(1), lane: Some(Lane::Address(address(40_000))), bytes: 14 };
        assert_eq!(row.heard, Some(expected));
        let garbage = hear_row(4, 78, address(40_000), b"not a packet");
        assert_eq!(garbage.heard.map(|h| (h.sender, h.bytes)), Some((None, 12)));
        let mut heap = Heap::new();
        let galaxy = heap.parse(&format!("[[{TERM_A} {TERM_AMES} 0] {TERM_HEAR} [0 2] 7]")).unwrap();
        let (wire, card) = heap.cell_parts(galaxy).unwrap();
        assert_eq!(heard(&heap, wire, card).map(|h| h.lane), Some(Some(Lane::Galaxy(2))));
        let other_wire = heap.parse(&format!("[{TERM_A} 0]")).unwrap();
        assert_eq!(heard(&heap, other_wire, card), None, "only /a/ames is ames's");
    }

    #[test]
    fn released_effects_keep_each_send_with_its_receiver_and_count_bad_ones() {
        let mut heap = Heap::new();
        let to_nec = ames::packet(0, 1, b"for ~nec");
        let to_planet = ames::packet(0, 0x1234_5678, b"for a planet");
        let effects = [
            send_effect(&mut heap, Lane::Galaxy(1), &to_nec),
            heap.parse(&format!("[[{} 0] {} 5]", u32::from_le_bytes(*b"behn"), TERM_SEND)).unwrap(),
            send_effect(&mut heap, Lane::Address(address(31_400)), &to_planet),
            send_effect(&mut heap, Lane::Galaxy(1), b"garbage"),
            heap.parse(&format!("[[{TERM_NEWT} 0] {TERM_SEND} 5]")).unwrap(),
        ];
        let list = heap.list(&effects);
        let mut computed = Computed::default();
        let mut timer = None;
        released(&heap, list, 0, &mut timer, &mut computed);
        assert_eq!(computed.effects_count, 5);
        let kept = [
            Sent { receiver: 1, lane: Lane::Galaxy(1), bytes: to_nec.len() as u64 },
            Sent {
                receiver: 0x1234_5678,
                lane: Lane::Address(address(31_400)),
                bytes: to_planet.len() as u64,
            },
        ];
        assert_eq!(computed.sends.kept, kept);
        assert_eq!(computed.sends.unparsed, Tally { packets: 2, bytes: 7 }, "garbage, and a malformed %send");
        assert_eq!(computed.sends.past_cap, Tally::default());
    }

    #[test]
    fn sends_past_the_cap_are_counted_not_kept() {
        let mut heap = Heap::new();
        let datagram = ames::packet(0, 1, b"x");
        let effect = send_effect(&mut heap, Lane::Galaxy(1), &datagram);
        let (wire, card) = heap.cell_parts(effect).unwrap();
        let mut sends = Sends::default();
        for _ in 0..SENDS_KEPT_MAX + 3 {
            sends.note(&heap, wire, card);
        }
        assert_eq!(sends.kept.len(), SENDS_KEPT_MAX);
        assert_eq!(sends.past_cap, Tally { packets: 3, bytes: 3 * datagram.len() as u64 });
    }

    #[test]
    fn flows_count_hears_and_computed_sends_through_the_event_asked() {
        let (nec, bud) = (address(40_001), address(40_002));
        let (one, two) = (ames::packet(1, 0, b"one"), ames::packet(2, 0, b"three!"));
        let rows = vec![
            missing_row(1),
            hear_row(2, 100, nec, &one),
            hear_row(3, 200, bud, &two),
            hear_row(4, 300, nec, b"junk"),
            hear_row(5, 400, nec, &one),
        ];
        let sent = |receiver, lane, bytes| {
            let kept = vec![Sent { receiver, lane, bytes }];
            Computed { sends: Sends { kept, ..Sends::default() }, ..Computed::default() }
        };
        // Events 3 to 5 computed: event 3 answered ~bud on its lane, event 5 ~nec on galaxy ~nec's.
        let computed: HashMap<u64, Computed> = [
            (3, sent(2, Lane::Address(bud), 10)),
            (4, Computed::default()),
            (5, sent(1, Lane::Galaxy(1), 11)),
        ]
        .into();
        let flows = tally(&rows, |n| computed.get(&n), 5);
        assert_eq!((flows.through, flows.sends_from, flows.sends_events), (5, Some(3), 3));
        assert_eq!(flows.unparsed_in, Tally { packets: 1, bytes: 4 });
        let nec_flow = PeerFlow {
            peer: 1,
            lane: Some(Lane::Galaxy(1)),
            packets_in: 2,
            bytes_in: 2 * one.len() as u64,
            packets_out: 1,
            bytes_out: 11,
            last_heard: Some(400),
        };
        let bud_flow = PeerFlow {
            peer: 2,
            lane: Some(Lane::Address(bud)),
            packets_in: 1,
            bytes_in: two.len() as u64,
            packets_out: 1,
            bytes_out: 10,
            last_heard: Some(200),
        };
        assert_eq!(flows.peers, [nec_flow.clone(), bud_flow.clone()]);

        // Through event 4: nothing of event 5's.
        let earlier = tally(&rows, |n| computed.get(&n), 4);
        assert_eq!((earlier.sends_from, earlier.sends_events), (Some(3), 2));
        let nec_then = PeerFlow {
            lane: Some(Lane::Address(nec)),
            packets_in: 1,
            bytes_in: one.len() as u64,
            packets_out: 0,
            bytes_out: 0,
            last_heard: Some(100),
            ..nec_flow
        };
        assert_eq!(earlier.peers, [nec_then.clone(), bud_flow]);
        let before_bud = tally(&rows, |n| computed.get(&n), 2);
        assert_eq!(before_bud.peers, [nec_then]);
        assert_eq!((before_bud.sends_from, before_bud.sends_events), (None, 0));
        assert_eq!(lane_text(Lane::Galaxy(1)), "galaxy ~nec");
        assert_eq!(lane_text(Lane::Address(nec)), "127.0.0.1:40001");
    }
}
