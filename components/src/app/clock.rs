//! The app's clock and entropy (DESIGN.md: the clock and entropy are resources). In production the clock
//! is real time and entropy the system's; in simulation (`engine run --virtual-time`) the clock moves only
//! when the app moves it (to the next due timer once every ship is idle) and entropy comes from a seed, so
//! the same log and inputs give the same events and mugs, whatever the threads.

use crate::time;
use bevy_ecs::prelude::*;

/// The time events are stamped with and timers are measured against (`@da`).
#[derive(Resource, Debug, Clone, PartialEq, Eq)]
pub enum Clock {
    /// The system's clock.
    Real,
    /// A simulated clock, at `now`.
    Virtual { now: u128 },
}

impl Clock {
    /// The time now (`@da`).
    pub fn now(&self) -> u128 {
        match self {
            Clock::Real => time::now(),
            Clock::Virtual { now } => *now,
        }
    }

    pub fn is_virtual(&self) -> bool {
        matches!(self, Clock::Virtual { .. })
    }

    /// A virtual clock jumps to `at` if that is later; the real one cannot be moved.
    ///
    /// ```
    /// use components::app::Clock;
    /// let mut clock = Clock::Virtual { now: 10 };
    /// clock.advance_to(30);
    /// clock.advance_to(20);
    /// assert_eq!(clock.now(), 30);
    /// ```
    pub fn advance_to(&mut self, at: u128) {
        if let Clock::Virtual { now } = self {
            *now = (*now).max(at);
        }
    }
}

/// `bytes` bytes of entropy from `seed` for stream `stream` (one per ship), the same every time (SplitMix64).
///
/// ```
/// use components::app::seeded_entropy;
/// assert_eq!(seeded_entropy(7, 0, 64), seeded_entropy(7, 0, 64));
/// assert_ne!(seeded_entropy(7, 0, 64), seeded_entropy(7, 1, 64));
/// ```
pub fn seeded_entropy(seed: u64, stream: u64, bytes: usize) -> Vec<u8> {
    let mut state = seed ^ stream.wrapping_mul(0xd1b5_4a32_d192_ed03);
    let mut out = Vec::with_capacity(bytes + 8);
    while out.len() < bytes {
        state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        out.extend_from_slice(&(z ^ (z >> 31)).to_le_bytes());
    }
    out.truncate(bytes);
    out
}
