//! behn's timer (spec/io.md §5): Arvo tells the runtime only its earliest timer, so a ship has one.

use bevy_ecs::prelude::*;
use std::time::Instant;

/// behn's one timer: when to inject `%wake`, if armed.
#[derive(Component, Debug, Default)]
pub struct BehnTimer {
    pub wake_at: Option<Instant>,
}

impl BehnTimer {
    /// Whether the timer is armed and due at `now`.
    pub fn is_due(&self, now: Instant) -> bool {
        self.wake_at.is_some_and(|at| at <= now)
    }
}
