//! `conn_serve`: what conn waits for the ship to be between events for.

use super::cttp::Cttp;
use super::scry::Scry;
use super::ship::{Computing, Conn, Kernel, busy};
use bevy_ecs::prelude::*;
use components::app::{AwaitingCommit, Capture, DojoCapture, Inbox, Origin, Outbox};
use components::{Heap, Noun};
use engine_io::conn::EventEnd;
use engine_io::term;

/// The most scries answered per ship per tick.
pub const PEEKS_PER_TICK: usize = 16;

/// What `conn_serve` reads and writes of each ship.
pub type ServeShip<'a> = (
    &'a mut Kernel,
    &'a mut Inbox,
    &'a Computing,
    &'a AwaitingCommit,
    &'a Outbox,
    &'a mut DojoCapture,
    &'a mut Conn,
    Option<&'a Cttp>,
    Option<&'a Scry>,
);

/// What conn waits for the ship to be idle for: scries, `%urth %pack`, and the dojo lines (the next one is
/// typed once the previous one's output is all printed).
pub fn conn_serve(mut ships: Query<ServeShip>) {
    for (mut kernel, mut inbox, computing, awaiting, outbox, mut capture, mut conn, cttp, scry) in &mut ships
    {
        if computing.event.is_some() {
            continue;
        }
        // A ship with readers has its peeks answered by the scry pool (`scry_serve`), events or not.
        if scry.is_none() {
            answer_peeks(&mut kernel, &mut conn);
        }
        // A fetch in flight is work the ship waits on (a thread's answer comes with it): a dojo line's
        // output is not complete before it.
        if busy(computing, &inbox, awaiting, outbox) || cttp.is_some_and(Cttp::busy) {
            continue;
        }
        if conn.pack {
            // Not busy: no effects are held outside the serf (and the failures were settled after
            // nock_step), so nothing but the serf's own nouns needs keeping.
            conn.pack = false;
            kernel.0.compact();
        }
        serve_dojo(&mut inbox, &mut capture, &mut conn);
    }
}

/// Answers at most [`PEEKS_PER_TICK`] of the scries waiting (a scry that fails is answered with `~`).
fn answer_peeks(kernel: &mut Kernel, conn: &mut Conn) {
    let serf = &mut kernel.0;
    for (con, rid, nom) in conn.take_peeks(PEEKS_PER_TICK) {
        let result = match serf.heap.cue(&nom) {
            Ok(nom) => {
                let lyc = serf.heap.cell(Noun::ZERO, Noun::ZERO);
                match serf.peek(lyc, nom) {
                    Ok(result) => result,
                    Err(goof) => {
                        for line in goof.lines(&serf.heap) {
                            eprintln!("{line}");
                        }
                        Noun::ZERO
                    }
                }
            }
            Err(_) => Noun::ZERO,
        };
        conn.answer_peek(&mut serf.heap, con, &rid, result);
    }
}

/// The ship is idle: the dojo line typed is answered with what the terminal printed, and the next one is
/// typed.
fn serve_dojo(inbox: &mut Inbox, capture: &mut DojoCapture, conn: &mut Conn) {
    if conn.dojo_returned() {
        let captured = capture.0.take().unwrap_or_default();
        conn.finish_dojo(&captured.lines, !captured.bell);
        if captured.bell {
            // The line was not taken (it does not parse, or is incomplete) and is still being edited:
            // clear it, so that the next line starts on an empty prompt.
            let mut scratch = Heap::new();
            for ovum in term::clear_line_ova(&mut scratch) {
                inbox.push(&scratch, ovum);
            }
            return;
        }
    }
    if let Some(line) = conn.next_dojo_line() {
        capture.0 = Some(Capture::default());
        let mut scratch = Heap::new();
        let ova = term::line_ova(&mut scratch, &line);
        let last = ova.len() - 1;
        for (i, ovum) in ova.into_iter().enumerate() {
            let origin = if i == last { Origin::DojoReturn } else { Origin::Ship };
            if let Some(origin) = inbox.push_jam(scratch.jam(ovum), origin) {
                conn.on_event_end(&mut scratch, &origin, &EventEnd::Dropped);
            }
        }
    }
}
