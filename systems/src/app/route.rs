//! `persist` and `route_effects`: the effects of an event are released once the log says it is durable,
//! then each goes to its driver (behn's timer, conn, or the terminal).

use super::cttp::Cttp;
use super::http::Http;
use super::ship::{Conn, Kernel, LogWriter, Terminal};
use super::unix::Unix;
use bevy_ecs::prelude::*;
use components::app::{
    AmesOutbox, AwaitingCommit, BehnTimer, Capture, Clock, DojoCapture, Focus, Outbox, RunState, ShipPier,
    Target,
};
use components::{Heap, Noun, time};
use engine_io::ames::{AmesEffect, Lane};
use engine_io::behn::TimerAction;
use engine_io::conn::EventEnd;
use engine_io::term::{self, Blit, TermEffect};
use std::io::Write;
use std::path::Path;

/// Moves the effects of every committed event to the outbox, in order.
pub fn persist(
    mut state: ResMut<RunState>,
    mut ships: Query<(&LogWriter, &mut AwaitingCommit, &mut Outbox)>,
) {
    for (writer, mut awaiting, mut outbox) in &mut ships {
        let Some(committer) = writer.0.as_ref() else { continue };
        if let Some(failure) = committer.failure() {
            state.fail(format!("event log: {failure}"));
            return;
        }
        awaiting.release(committer.committed(), &mut outbox);
    }
}

/// What `route_effects` reads and writes of each ship.
pub type RouteShip<'a> = (
    Entity,
    &'a ShipPier,
    &'a mut Kernel,
    &'a mut Outbox,
    &'a mut BehnTimer,
    &'a Terminal,
    &'a mut DojoCapture,
    Option<&'a mut Conn>,
    Option<&'a mut AmesOutbox>,
    Option<&'a mut Http>,
    Option<&'a mut Unix>,
    Option<&'a mut Cttp>,
);

/// Sends each released effect to its driver (behn's timer, conn, or the terminal); then tells conn that
/// the event it asked for is done.
pub fn route_effects(
    mut state: ResMut<RunState>,
    clock: Res<Clock>,
    focus: Option<Res<Focus>>,
    mut ships: Query<RouteShip>,
) {
    let focused = focus.and_then(|f| f.current());
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    for (
        me,
        pier,
        mut kernel,
        mut outbox,
        mut behn,
        terminal,
        mut capture,
        mut conn,
        mut ames,
        mut http,
        mut unix,
        mut cttp,
    ) in &mut ships
    {
        while let Some((effects, origin)) = outbox.0.pop_front() {
            let heap = &kernel.0.heap;
            let mut list = effects;
            while let Some((effect, rest)) = heap.cell_parts(list) {
                list = rest;
                let Some((wire, card)) = heap.cell_parts(effect) else { continue };
                let wire = if heap.head(wire).and_then(|h| h.as_direct()) == Some(0) {
                    heap.tail(wire).unwrap_or(Noun::ZERO)
                } else {
                    wire
                };
                if let Some(conn) = conn.as_deref_mut()
                    && conn.on_effect(heap, wire, card)
                {
                    continue;
                }
                if let Some(claimed) = engine_io::ames::claims(heap, wire, card) {
                    send_datagram(ames.as_deref_mut(), claimed);
                    continue;
                }
                if let Some(claimed) = engine_io::http::claims(heap, wire, card) {
                    queue(claimed, http.as_deref_mut().map(|h| &mut h.effects));
                    continue;
                }
                if let Some(claimed) = engine_io::unix::claims(heap, wire, card) {
                    queue(claimed, unix.as_deref_mut().map(|u| &mut u.effects));
                    continue;
                }
                if let Some(claimed) = engine_io::cttp::claims(heap, wire, card) {
                    queue(claimed, cttp.as_deref_mut().map(|c| &mut c.effects));
                    continue;
                }
                if engine_io::behn::claims(heap, wire) {
                    set_timer(&mut behn, heap, card, clock.now());
                    continue;
                }
                match term::terminal_effect(heap, wire, card) {
                    Some(TermEffect::Draw(blits)) => {
                        let behind = focused.is_some_and(|f| f != me);
                        draw(terminal, behind, &mut capture, &pier.root, &blits, &mut out)
                    }
                    Some(TermEffect::Logo) => state.stop = true,
                    None => term::report_lost(heap, wire, card),
                }
            }
            if let Some(conn) = conn.as_deref_mut() {
                conn.on_event_end(&mut kernel.0.heap, &origin, &EventEnd::Done);
            }
        }
    }
}

/// A driver's effect, queued for the system that carries it out (dropped if the ship runs without that
/// driver); a malformed one is reported.
fn queue<E>(claimed: Result<E, String>, effects: Option<&mut std::collections::VecDeque<E>>) {
    match (claimed, effects) {
        (Ok(effect), Some(effects)) => effects.push_back(effect),
        (Ok(_), None) => {}
        (Err(e), _) => eprintln!("{e}"),
    }
}

/// An ames effect: a `%send`'s datagram queued for its lane's address, or for a real galaxy, whose
/// address is looked up (dropped where there is no socket, or no address); `%turf` names the galaxies'
/// domain.
fn send_datagram(ames: Option<&mut AmesOutbox>, claimed: Result<AmesEffect, String>) {
    let Some(ames) = ames else { return };
    match claimed {
        Ok(AmesEffect::Send(lane, datagram)) => {
            let to = match (ames.local_only, lane) {
                (false, Lane::Galaxy(n)) => Some(Target::Galaxy(n)),
                (local_only, lane) => lane.destination(local_only).map(Target::Address),
            };
            if let Some(to) = to {
                ames.push(to, datagram);
            }
        }
        Ok(AmesEffect::Turf(Some(domain))) => ames.domain = Some(domain),
        Ok(AmesEffect::Turf(None)) if !ames.local_only && ames.domain.is_none() => {
            eprintln!("ames: turf: no domains")
        }
        Ok(AmesEffect::Turf(None) | AmesEffect::Ignored) => {}
        Err(e) => eprintln!("{e}"),
    }
}

/// behn's `%doze` (or a bad card, reported) sets or clears the timer.
fn set_timer(behn: &mut BehnTimer, heap: &Heap, card: Noun, now: u128) {
    match engine_io::behn::on_card(heap, card, now) {
        Ok(TimerAction::Arm(delay)) => behn.wake_at = Some(time::after(now, delay)),
        Ok(TimerAction::Disarm) => behn.wake_at = None,
        Err(bad) => eprintln!("behn: {}", bad.0),
    }
}

/// Draws blits: into conn's `%dojo` capture if one is on, `%sav` files under the pier, then on the
/// terminal (raw mode) or as lines (line mode). In raw mode, a ship `behind` another (in a fleet, the
/// keyboard is another's) prints only its lines, above the focused ship's prompt, after its name.
fn draw(
    terminal: &Terminal,
    behind: bool,
    capture: &mut DojoCapture,
    pier: &Path,
    blits: &[Blit],
    out: &mut impl Write,
) {
    if let Some(capture) = capture.0.as_mut() {
        term::capture(capture, blits);
    }
    for blit in blits {
        if let Blit::Save { path, bytes } = blit {
            term::save(pier, path, bytes);
        }
    }
    match &terminal.ansi {
        Some(ansi) if behind => {
            let mut printed = Capture::default();
            term::capture(&mut printed, blits);
            let ansi = ansi.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            let prefix = terminal.prefix.as_deref().unwrap_or("");
            for line in printed.lines {
                let _ = out.write_all(&ansi.log_line(&format!("{prefix}{line}")));
            }
            let _ = out.flush();
        }
        Some(ansi) => {
            let mut ansi = ansi.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            let _ = out.write_all(&ansi.render(blits));
            ansi.mirror(blits);
            let _ = out.flush();
        }
        None => match &terminal.prefix {
            None => term::render_lines(blits, out),
            Some(prefix) => {
                let mut lines = Vec::new();
                term::render_lines(blits, &mut lines);
                for line in lines.split_inclusive(|&b| b == b'\n') {
                    let _ = out.write_all(prefix.as_bytes());
                    let _ = out.write_all(line);
                }
            }
        },
    }
}
