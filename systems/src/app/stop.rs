//! Stopping a ship: its event in flight finished, everything it computed committed and its effects routed.

use super::ames::ames_send;
use super::conn::conn_write;
use super::route::{persist, route_effects};
use super::ship::{Computing, JetJob, Kernel, LogWriter};
use super::step::complete;
use bevy_ecs::prelude::*;
use bevy_ecs::schedule::SingleThreadedExecutor;
use components::app::AwaitingCommit;

/// Finishes a ship's event in flight (ctrl-c interrupts it), waits for the log to hold everything
/// computed, and routes what is left in its outbox. A failed conn request goes unanswered: the ship is
/// stopping and its connections are closed.
pub fn finish_ship(world: &mut World, ship: Entity) -> Result<(), String> {
    let mut entity = world.entity_mut(ship);
    let in_flight = entity.get_mut::<Computing>().and_then(|mut c| c.event.take());
    if let Some((mut event, ovum, origin)) = in_flight {
        let mut kernel = entity.take::<Kernel>().expect("the ship's kernel");
        let writer = entity.take::<LogWriter>().expect("the ship's log writer");
        let mut awaiting = entity.take::<AwaitingCommit>().expect("the ship's effects awaiting commit");
        // A job the event waits on is run here (its answer given back), like any later one.
        let waiting = entity.get_mut::<JetJob>().map(|mut j| (j.queued.take(), j.answer.take()));
        if let Some((queued, answer)) = waiting
            && let Some(answer) = answer.or_else(|| queued.map(|job| job.answer(&kernel.0.heap)))
        {
            kernel.0.give_job(&mut event, answer);
        }
        let work = loop {
            if let Some(work) = kernel.0.advance(&mut event, u64::MAX) {
                break work;
            }
        };
        let result = complete(&mut kernel.0, &writer, &mut awaiting, work, ovum, origin);
        entity.insert((kernel, writer, awaiting));
        result?;
    }
    let event = world.get::<Kernel>(ship).expect("the ship's kernel").0.event;
    if let Some(committer) = world.get::<LogWriter>(ship).and_then(|w| w.0.as_ref()) {
        committer.wait_committed(event).map_err(|e| format!("event log: {e}"))?;
    }
    let mut tail = Schedule::default();
    tail.set_executor(SingleThreadedExecutor::new());
    tail.add_systems((persist, route_effects, conn_write, ames_send).chain());
    tail.run(world);
    Ok(())
}
