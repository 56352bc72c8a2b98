//! behn's timer (spec/io.md §5): Arvo tells the runtime only its earliest timer, so a ship has one.

use bevy_ecs::prelude::*;

/// behn's one timer: when (`@da`, on the app's [`Clock`](super::Clock)) to inject `%wake`, if armed.
#[derive(Component, Debug, Default)]
pub struct BehnTimer {
    pub wake_at: Option<u128>,
}

impl BehnTimer {
    /// Whether the timer is armed and due at `now`.
    pub fn is_due(&self, now: u128) -> bool {
        self.wake_at.is_some_and(|at| at <= now)
    }
}
