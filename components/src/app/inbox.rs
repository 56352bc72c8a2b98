//! A ship's inbox: the ova waiting to be computed, and where each came from.

use crate::{Heap, Noun};
use bevy_ecs::prelude::*;
use std::collections::VecDeque;

/// The most ova waiting in one ship's inbox; more are dropped, with a message.
pub const INBOX_OVA_MAX: usize = 4096;
/// The most bytes of jammed ova waiting in one ship's inbox (one ovum alone may be larger: the drivers
/// bound their own inputs); more are dropped, with a message.
pub const INBOX_BYTES_MAX: usize = 256 << 20;

/// Where a queued ovum came from, so that its end can be answered.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Origin {
    /// The ship's own drivers (the terminal, behn, an injected file): nobody waits for an answer.
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

/// Ova waiting to be computed, oldest first, each as jam bytes (they are kept outside the serf's heap,
/// which must not be allocated in while an event is in flight) with where it came from. At most
/// [`INBOX_OVA_MAX`] ova and [`INBOX_BYTES_MAX`] bytes.
#[derive(Component, Debug, Default)]
pub struct Inbox {
    ova: VecDeque<(Vec<u8>, Origin)>,
    bytes: usize,
}

impl Inbox {
    /// Queues an ovum built in `scratch` (dropped, with a message, if the inbox is full).
    pub fn push(&mut self, scratch: &Heap, ovum: Noun) {
        self.push_jam(scratch.jam(ovum), Origin::Ship);
    }

    /// Queues a jammed ovum; if the inbox is full it is dropped, and its origin given back so that whoever
    /// asked can be told.
    pub fn push_jam(&mut self, jam: Vec<u8>, origin: Origin) -> Option<Origin> {
        if self.ova.len() >= INBOX_OVA_MAX {
            eprintln!("run: inbox full ({INBOX_OVA_MAX} ova): dropping one");
            return Some(origin);
        }
        if !self.ova.is_empty() && self.bytes + jam.len() > INBOX_BYTES_MAX {
            eprintln!("run: inbox full ({} bytes waiting): dropping an ovum of {}", self.bytes, jam.len());
            return Some(origin);
        }
        self.bytes += jam.len();
        self.ova.push_back((jam, origin));
        None
    }

    /// The oldest ovum, as jam bytes, with its origin.
    pub fn pop(&mut self) -> Option<(Vec<u8>, Origin)> {
        let popped = self.ova.pop_front()?;
        self.bytes -= popped.0.len();
        Some(popped)
    }

    pub fn len(&self) -> usize {
        self.ova.len()
    }

    /// The bytes of the jammed ova waiting.
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    pub fn is_empty(&self) -> bool {
        self.ova.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_inbox_drops_the_ovum_and_gives_back_its_origin() {
        let mut inbox = Inbox::default();
        for i in 0..INBOX_OVA_MAX {
            assert_eq!(inbox.push_jam(vec![i as u8], Origin::Ship), None);
        }
        let origin = Origin::Ovum { con: 3, rid: vec![7] };
        assert_eq!(inbox.push_jam(vec![1, 2], origin.clone()), Some(origin));
        assert_eq!(inbox.len(), INBOX_OVA_MAX);
        // The oldest are kept, in order; room made by taking one is room for one more.
        assert_eq!(inbox.pop(), Some((vec![0], Origin::Ship)));
        assert_eq!(inbox.push_jam(vec![9], Origin::KhanBorn), None);
        assert_eq!(inbox.push_jam(vec![10], Origin::Ship), Some(Origin::Ship));
    }

    #[test]
    fn an_inbox_is_bounded_in_bytes_too() {
        let mut inbox = Inbox::default();
        let big = INBOX_BYTES_MAX / 2;
        assert_eq!(inbox.push_jam(vec![0; big], Origin::Ship), None);
        assert_eq!(inbox.push_jam(vec![0; big], Origin::Ship), None);
        assert_eq!(inbox.push_jam(vec![0; 1], Origin::KhanBorn), Some(Origin::KhanBorn));
        assert_eq!(inbox.bytes(), 2 * big);
        inbox.pop();
        assert_eq!(inbox.bytes(), big);
        assert_eq!(inbox.push_jam(vec![0; 1], Origin::Ship), None);
        // An ovum alone is never refused for its size.
        let mut empty = Inbox::default();
        assert_eq!(empty.push_jam(vec![0; INBOX_BYTES_MAX + 1], Origin::Ship), None);
    }

    #[test]
    fn ova_come_out_oldest_first_with_their_origin() {
        let mut heap = Heap::new();
        let first = heap.parse("[0 97]").unwrap();
        let mut inbox = Inbox::default();
        inbox.push(&heap, first);
        inbox.push_jam(vec![5], Origin::DojoReturn);
        let (jam, origin) = inbox.pop().unwrap();
        let back = heap.cue(&jam).unwrap();
        assert!(heap.eq(back, first));
        assert_eq!(origin, Origin::Ship);
        assert_eq!(inbox.pop(), Some((vec![5], Origin::DojoReturn)));
        assert!(inbox.is_empty());
    }
}
