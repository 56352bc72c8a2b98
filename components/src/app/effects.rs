//! Effects between an event's end and its drivers: held until the event is durable (Vere's order,
//! spec/pier.md §2), then released in order.

use super::Origin;
use crate::Noun;
use bevy_ecs::prelude::*;
use std::collections::VecDeque;

/// The effects of computed events whose log entry is not yet durable: `(event number, effects, origin)`,
/// oldest first. The effects are a list in the ship's heap.
#[derive(Component, Debug, Default)]
pub struct AwaitingCommit(pub VecDeque<(u64, Noun, Origin)>);

impl AwaitingCommit {
    /// Moves to `outbox`, in order, the effects of every event numbered at most `committed`.
    ///
    /// ```
    /// use components::Noun;
    /// use components::app::{AwaitingCommit, Origin, Outbox};
    /// let mut held = AwaitingCommit::default();
    /// held.0.push_back((4, Noun::ZERO, Origin::Ship));
    /// held.0.push_back((5, Noun::ZERO, Origin::KhanBorn));
    /// let mut outbox = Outbox::default();
    /// held.release(4, &mut outbox);
    /// assert_eq!(outbox.0.len(), 1);
    /// assert_eq!(held.0.len(), 1);
    /// ```
    pub fn release(&mut self, committed: u64, outbox: &mut Outbox) {
        while self.0.front().is_some_and(|&(number, _, _)| number <= committed) {
            let (_, effects, origin) = self.0.pop_front().expect("checked");
            outbox.0.push_back((effects, origin));
        }
    }
}

/// Effects of committed events, waiting to be routed, in order, each list with its event's origin.
#[derive(Component, Debug, Default)]
pub struct Outbox(pub VecDeque<(Noun, Origin)>);

/// Events that failed (and were dropped or swapped for their `%crud`) while a conn request waits for
/// them: its origin and the goofs (a list in the ship's heap), for conn to answer after `nock_step`.
#[derive(Component, Debug, Default)]
pub struct FailedRequests(pub Vec<(Origin, Noun)>);

/// The first error that stops a ship (its log writer failing, ...): the app stops when any ship has one.
/// Per ship, so that the systems that find it can step ships in parallel.
#[derive(Component, Debug, Default)]
pub struct ShipFailure(pub Option<String>);

impl ShipFailure {
    /// Records `error`, unless the ship is already failing with an earlier one.
    pub fn fail(&mut self, error: String) {
        self.0.get_or_insert(error);
    }
}
