//! `nock_step` and `jet_dispatch`: the ships compute their events, a budget of Nock steps per tick, and
//! heavy jets run on the thread pool; a computed event goes to the log writer, its effects held until it
//! is durable (Vere's order, spec/pier.md §2). A failed event goes through `%crud`; if that fails too it
//! is dropped and reported.

use super::ship::{Computing, Conn, JetJob, Kernel, LogWriter};
use crate::serf::{Progress, Serf, Work};
use bevy_ecs::prelude::*;
use bevy_ecs::query::QueryItem;
use components::app::{
    AwaitingCommit, Clock, FailedRequests, Inbox, Origin, RunOptions, RunState, ShipFailure,
};
use components::{Heap, Noun, time};
use engine_io::conn::EventEnd;
use std::sync::atomic::Ordering;
use store::Event;

/// What `nock_step` reads and writes of each ship: nothing of another ship's, and no process-wide
/// resource but the options, so that ships step in parallel.
pub type StepShip<'a> = (
    &'a mut Kernel,
    &'a mut Inbox,
    &'a mut Computing,
    &'a LogWriter,
    &'a mut AwaitingCommit,
    &'a mut JetJob,
    &'a mut FailedRequests,
    &'a mut ShipFailure,
);

/// Computes each ship's events for at most `tick_steps` Nock steps: an event that does not end within the
/// budget is resumed next tick. A computed event goes to the log writer, its effects to
/// [`AwaitingCommit`]. Ships with work step in parallel on the threads of the app's task pool (with
/// `--threads 1`, one after the other on this thread).
pub fn nock_step(options: Res<RunOptions>, clock: Res<Clock>, mut ships: Query<StepShip>) {
    let tick_steps = options.tick_steps.max(1);
    let clock = clock.as_ref();
    if options.threads > 1 {
        ships.par_iter_mut().for_each(|ship| step_ship(ship, tick_steps, clock));
    } else {
        ships.iter_mut().for_each(|ship| step_ship(ship, tick_steps, clock));
    }
}

/// One ship's share of [`nock_step`].
fn step_ship(ship: QueryItem<'_, '_, StepShip<'_>>, tick_steps: u64, clock: &Clock) {
    let (mut kernel, mut inbox, mut computing, writer, mut awaiting, mut jet_job, mut failed, mut failure) =
        ship;
    let serf = &mut kernel.0;
    if jet_job.queued.is_some() || failure.0.is_some() {
        return;
    }
    if let Some(answer) = jet_job.answer.take()
        && let Some((event, _, _)) = computing.event.as_mut()
    {
        serf.give_job(event, answer);
    }
    let mut left = tick_steps;
    while left > 0 {
        if computing.event.is_none() && !begin_next(serf, &mut inbox, &mut computing, clock) {
            break;
        }
        let (event, ovum, _) = computing.event.as_mut().expect("an event in flight");
        let before = serf.runner.steps;
        let progress = serf.advance_pooled(event, left);
        left = left.saturating_sub((serf.runner.steps - before).max(1));
        let work = match progress {
            Progress::Ended(work) => work,
            Progress::Paused => break,
            Progress::Job(job) => {
                jet_job.queued = Some(job);
                break;
            }
        };
        let ovum = *ovum;
        let (_, _, origin) = computing.event.take().expect("an event in flight");
        match complete(serf, writer, &mut awaiting, work, ovum, origin) {
            Ok(None) => {}
            Ok(Some(answer)) => failed.0.push(answer),
            Err(e) => {
                failure.fail(e);
                return;
            }
        }
    }
}

/// After `nock_step`: conn's requests whose events failed are answered, and a ship's failure stops the
/// app.
pub fn settle_failures(
    mut state: ResMut<RunState>,
    mut ships: Query<(&mut Kernel, &mut FailedRequests, &mut ShipFailure, Option<&mut Conn>)>,
) {
    for (mut kernel, mut failed, mut failure, mut conn) in &mut ships {
        for (origin, goofs) in failed.0.drain(..) {
            if let Some(conn) = conn.as_deref_mut() {
                conn.on_event_end(&mut kernel.0.heap, &origin, &EventEnd::Failed(goofs));
            }
        }
        if let Some(error) = failure.0.take() {
            state.fail(error);
        }
    }
}

/// Starts computing the next ovum of the inbox (one that does not cue is dropped); `false` if there is
/// none.
fn begin_next(serf: &mut Serf, inbox: &mut Inbox, computing: &mut Computing, clock: &Clock) -> bool {
    loop {
        let Some((bytes, origin)) = inbox.pop() else { return false };
        let ovum = match serf.heap.cue(&bytes) {
            Ok(ovum) => ovum,
            Err(e) => {
                eprintln!("run: dropping an ovum that does not cue: {e}");
                continue;
            }
        };
        let now = clock.now().max(computing.last_now + time::TICK);
        computing.last_now = now;
        let now_noun = serf.heap.atom_from_limbs(&[now as u64, (now >> 64) as u64]);
        computing.event = Some((serf.begin(now_noun, ovum), ovum, origin));
        return true;
    }
}

/// Runs the heavy jets' jobs the ships' events wait on, in parallel on the thread pool; each answer goes
/// back into its event at the next `nock_step`. A job is a pure function of its input, so where and in
/// what order the jobs run changes nothing in any ship's state. A job may read its ship's heap (a jam
/// reads the noun in place): the event waits for the answer, so nothing else writes that heap meanwhile.
pub fn jet_dispatch(mut ships: Query<(&mut JetJob, &Kernel)>) {
    use rayon::prelude::*;
    let mut waiting: Vec<(Mut<JetJob>, &Kernel)> =
        ships.iter_mut().filter(|(j, _)| j.queued.is_some()).collect();
    waiting.par_iter_mut().for_each(|(jet_job, kernel)| {
        if let Some(job) = jet_job.queued.take() {
            jet_job.answer = Some(job.answer(&kernel.0.heap));
        }
    });
}

/// What follows an event's end: its trace printed if it failed, the event (or its `%crud`) handed to the
/// log writer with its effects held until it is durable, or if it was dropped, a message. A failed event
/// gives back its origin and the goofs (a list) for whoever asked for it.
pub fn complete(
    serf: &mut Serf,
    writer: &LogWriter,
    awaiting: &mut AwaitingCommit,
    work: Work,
    ovum: Noun,
    origin: Origin,
) -> Result<Option<(Origin, Noun)>, String> {
    // An interrupt that came too late for this event must not stop the next.
    serf.runner.interrupt.store(false, Ordering::Relaxed);
    let (committed, failed) = match work {
        Work::Done { job, mug, effects } => (Some((job, mug, effects)), None),
        Work::Swap { job, mug, effects, goof } => {
            for line in goof.lines(&serf.heap) {
                eprintln!("{line}");
            }
            let goof = goof.noun(&mut serf.heap);
            (Some((job, mug, effects)), Some(serf.heap.list(&[goof])))
        }
        Work::Bail(goofs) => {
            for goof in &goofs {
                for line in goof.lines(&serf.heap) {
                    eprintln!("{line}");
                }
            }
            eprintln!("{}", describe_failed(&serf.heap, ovum));
            let nouns: Vec<Noun> = goofs.iter().map(|g| g.noun(&mut serf.heap)).collect();
            (None, Some(serf.heap.list(&nouns)))
        }
    };
    let mut answer = Some(origin);
    if let Some((job, mug, effects)) = committed {
        let number = serf.event;
        let jam = serf.heap.jam(job);
        let committer = writer.0.as_ref().ok_or("the ship's log writer has stopped")?;
        committer.submit(Event { number, mug, jam }).map_err(|e| format!("event log: {e}"))?;
        // A failed event's origin is answered now; the effects of its `%crud` still go out.
        let origin = if failed.is_some() { Origin::Ship } else { answer.take().expect("the origin") };
        awaiting.0.push_back((number, effects, origin));
    }
    Ok(failed.and_then(|goofs| answer.map(|origin| (origin, goofs))))
}

/// `DRIVER: %TAG event on /WIRE failed`, as Vere reports a dropped event.
pub fn describe_failed(heap: &Heap, ovum: Noun) -> String {
    let text = |n: Noun| {
        heap.atom(n).map(|a| String::from_utf8_lossy(&a.to_bytes()).into_owned()).unwrap_or_default()
    };
    let (wire, card) = heap.cell_parts(ovum).unwrap_or((Noun::ZERO, Noun::ZERO));
    let mut path = String::new();
    let mut at = wire;
    while let Some((item, rest)) = heap.cell_parts(at) {
        path.push('/');
        path.push_str(&text(item));
        at = rest;
    }
    let tag = heap.head(card).map(text).unwrap_or_default();
    let driver = heap.tail(wire).and_then(|t| heap.head(t)).map(text).unwrap_or_default();
    format!("{driver}: %{tag} event on {path} failed")
}
