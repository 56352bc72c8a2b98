//! ames's data: the datagrams a ship's events asked to send, and one flow per peer (a network flow as an
//! entity: the peer, where it was last heard from, packets and bytes each way).

use bevy_ecs::prelude::*;
use std::collections::VecDeque;
use std::net::SocketAddr;

/// The most datagrams waiting to be sent for one ship; past it the newest are dropped (counted).
pub const AMES_OUT_MAX: usize = 4096;

/// Where a datagram goes: an address, or a real galaxy whose address is looked up by name (a fake
/// galaxy's is known: it is an address here).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    Address(SocketAddr),
    Galaxy(u8),
}

/// Datagrams to send, oldest first, each to its target.
#[derive(Component, Debug, Default)]
pub struct AmesOutbox {
    pub datagrams: VecDeque<(Target, Vec<u8>)>,
    /// A fake ship: only 127.0.0.1 is sent to, and galaxy `n` is at 127.0.0.1:31337+n.
    pub local_only: bool,
    /// The galaxies' DNS domain, from ames's `%turf` (the first turf, joined).
    pub domain: Option<String>,
    /// Datagrams dropped because the queue was full.
    pub dropped: u64,
}

impl AmesOutbox {
    /// Queues a datagram; `false` (and counted) if the queue is full.
    pub fn push(&mut self, to: Target, datagram: Vec<u8>) -> bool {
        if self.datagrams.len() >= AMES_OUT_MAX {
            self.dropped += 1;
            return false;
        }
        self.datagrams.push_back((to, datagram));
        true
    }
}

/// One peer of one ship's ames: an entity of its own, made when the first packet to or from it passes.
#[derive(Component, Debug, Clone, PartialEq, Eq)]
pub struct AmesFlow {
    /// The ship whose flow it is.
    pub ship: Entity,
    /// The peer (`@p`).
    pub peer: u128,
    /// Where its packets last came from, or went to.
    pub lane: Option<SocketAddr>,
    pub packets_in: u64,
    pub packets_out: u64,
    pub bytes_in: u64,
    pub bytes_out: u64,
    /// When it was last heard from (`@da`, on the app's clock).
    pub last_heard: Option<u128>,
}

impl AmesFlow {
    pub fn new(ship: Entity, peer: u128) -> AmesFlow {
        AmesFlow {
            ship,
            peer,
            lane: None,
            packets_in: 0,
            packets_out: 0,
            bytes_in: 0,
            bytes_out: 0,
            last_heard: None,
        }
    }
}
