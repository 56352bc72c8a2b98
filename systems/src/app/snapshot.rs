//! `snapshot`: an idle ship's state written to its pier every `--snapshot-every`.

use super::ship::{Computing, Kernel, LogWriter};
use crate::serf::Serf;
use bevy_ecs::prelude::*;
use components::Noun;
use components::app::{
    AwaitingCommit, FailedRequests, Inbox, Outbox, RunOptions, RunState, ShipPier, SnapshotClock,
};
use store::Layout;

/// How a ship's snapshot is written: the app gives the function (engine's `ship::write_snapshot`, which
/// also serves boot and replay), so that the systems do not decide the snapshot's format.
#[derive(Resource, Clone, Copy)]
pub struct SnapshotWriter(pub fn(&Layout, &mut Serf) -> Result<(), String>);

/// What `snapshot` reads and writes of each ship.
pub type SnapshotShip<'a> = (
    &'a ShipPier,
    &'a mut Kernel,
    &'a Computing,
    &'a Inbox,
    &'a LogWriter,
    &'a mut AwaitingCommit,
    &'a mut Outbox,
    &'a mut FailedRequests,
    &'a mut SnapshotClock,
);

/// Snapshots each idle ship (nothing in flight or queued) every `--snapshot-every`, once everything it
/// computed is durable. Its heap may be compacted first: the effects still waiting to be routed are
/// relocated with it.
pub fn snapshot(
    mut state: ResMut<RunState>,
    options: Res<RunOptions>,
    writer: Res<SnapshotWriter>,
    mut ships: Query<SnapshotShip>,
) {
    let every = options.snapshot_every;
    for (pier, mut kernel, computing, inbox, log, mut awaiting, mut outbox, mut failed, mut clock) in
        &mut ships
    {
        if computing.event.is_some() || !inbox.is_empty() || clock.last.elapsed() < every {
            continue;
        }
        let Some(committer) = log.0.as_ref() else { continue };
        let serf = &mut kernel.0;
        if let Err(e) = committer.wait_committed(serf.event) {
            state.fail(format!("event log: {e}"));
            return;
        }
        serf.tidy_keeping(&mut held_nouns(&mut awaiting, &mut outbox, &mut failed));
        if let Err(e) = (writer.0)(&Layout::of(&pier.root), serf) {
            state.fail(e);
            return;
        }
        clock.last = std::time::Instant::now();
    }
}

/// Every noun of the ship's heap that its components hold outside the serf between events: the effects
/// waiting for the log and for the drivers, and the goofs owed to conn. A compaction keeps them.
pub fn held_nouns<'a>(
    awaiting: &'a mut AwaitingCommit,
    outbox: &'a mut Outbox,
    failed: &'a mut FailedRequests,
) -> Vec<&'a mut Noun> {
    let awaiting = awaiting.0.iter_mut().map(|(_, effects, _)| effects);
    let outbox = outbox.0.iter_mut().map(|(effects, _)| effects);
    let failed = failed.0.iter_mut().map(|(_, goofs)| goofs);
    awaiting.chain(outbox).chain(failed).collect()
}
