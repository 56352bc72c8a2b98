//! `snapshot`: an idle ship's state written to its pier every `--snapshot-every`.

use super::ship::{Computing, Kernel, LogWriter};
use crate::serf::Serf;
use bevy_ecs::prelude::*;
use components::app::{Inbox, RunOptions, RunState, ShipPier, SnapshotClock};
use store::Layout;

/// How a ship's snapshot is written: the app gives the function (engine's `ship::write_snapshot`, which
/// also serves boot and replay), so that the systems do not decide the snapshot's format.
#[derive(Resource, Clone, Copy)]
pub struct SnapshotWriter(pub fn(&Layout, &mut Serf) -> Result<(), String>);

/// Snapshots each idle ship (nothing in flight or queued) every `--snapshot-every`, once everything it
/// computed is durable.
pub fn snapshot(
    mut state: ResMut<RunState>,
    options: Res<RunOptions>,
    writer: Res<SnapshotWriter>,
    mut ships: Query<(&ShipPier, &mut Kernel, &Computing, &Inbox, &LogWriter, &mut SnapshotClock)>,
) {
    let every = options.snapshot_every;
    for (pier, mut kernel, computing, inbox, log, mut clock) in &mut ships {
        if computing.event.is_some() || !inbox.is_empty() || clock.last.elapsed() < every {
            continue;
        }
        let Some(committer) = log.0.as_ref() else { continue };
        let serf = &mut kernel.0;
        if let Err(e) = committer.wait_committed(serf.event) {
            state.fail(format!("event log: {e}"));
            return;
        }
        serf.tidy();
        if let Err(e) = (writer.0)(&Layout::of(&pier.root), serf) {
            state.fail(e);
            return;
        }
        clock.last = std::time::Instant::now();
    }
}
