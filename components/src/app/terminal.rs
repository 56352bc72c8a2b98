//! What the terminal printed for conn's `%dojo` request.

use bevy_ecs::prelude::*;

/// What the terminal printed while a conn `%dojo` line was worked on.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Capture {
    /// The text lines (not the prompt's redraws).
    pub lines: Vec<String>,
    /// Whether the ship beeped (drum's answer to a line it does not take).
    pub bell: bool,
}

/// The ship's terminal capture: `Some` while a conn `%dojo` line is being typed and worked on.
#[derive(Component, Debug, Default)]
pub struct DojoCapture(pub Option<Capture>);
