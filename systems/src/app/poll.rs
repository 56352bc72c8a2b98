//! `io_poll` (the first system of a tick) and `term_resize`: what comes from outside becomes ova in the
//! ships' inboxes.

use super::ames::{AmesPort, feed_hears, hear};
use super::conn::conn_completions;
use super::http::{Http, HttpClient, HttpListener};
use super::scry::Wake;
use super::ship::{Computing, Conn, ConnClient, Io, Kernel, Signals, Stdin, Terminal, busy};
use bevy_ecs::prelude::*;
use components::app::{
    AmesFlow, AwaitingCommit, BehnTimer, Clock, Focus, Inbox, Outbox, RunOptions, RunState, ShipPier, SimNet,
};
use components::{Heap, time};
use engine_io::term::{self, Key};
use engine_io::tty::Input;
use std::io::Write;
use std::sync::atomic::Ordering;
use std::sync::mpsc;
use std::time::Duration;

/// How long an idle app waits for input before looking at timers and signals again.
pub const POLL: Duration = Duration::from_millis(50);

/// What `io_poll` reads and writes of each ship.
pub type PollShip<'a> = (
    Entity,
    &'a ShipPier,
    &'a Kernel,
    &'a mut Inbox,
    &'a Computing,
    &'a AwaitingCommit,
    &'a Outbox,
    &'a mut BehnTimer,
    Option<&'a mut Conn>,
    Option<&'a mut Http>,
);

/// Signals, stdin lines, due timers and conn's requests become ova in the inboxes (or are answered at
/// once; a new conn client becomes an entity). When no ship has work, it waits in the reactor (at most [`POLL`], less if a timer is due sooner)
/// for the sockets; on a virtual clock, it moves the clock to the next due timer instead.
#[allow(clippy::too_many_arguments)] // a system's parameters are what it touches
pub fn io_poll(
    mut state: ResMut<RunState>,
    options: Res<RunOptions>,
    signals: Res<Signals>,
    mut stdin: ResMut<Stdin>,
    mut io: ResMut<Io>,
    mut clock: ResMut<Clock>,
    mut focus: Option<ResMut<Focus>>,
    mut commands: Commands,
    mut ships: Query<PollShip>,
    mut clients: Query<&mut ConnClient>,
    mut ports: Query<&mut AmesPort>,
    mut flows: Query<&mut AmesFlow>,
    mut net: Option<ResMut<SimNet>>,
    (mut listeners, mut http_clients): (Query<&mut HttpListener>, Query<&mut HttpClient>),
    mut wake: Option<ResMut<Wake>>,
) {
    if signals.terminate.load(Ordering::Relaxed) {
        state.stop = true;
        return;
    }
    // What woke the ships' slices is handled in this tick.
    if let Some(wake) = &wake {
        wake.clear();
    }
    let ctrl_c = signals.ctrl_c.swap(false, Ordering::Relaxed);
    if ctrl_c {
        eprintln!("interrupt");
    }
    let now = clock.now();
    let (any_busy, next_wake) = signals_and_timers(&mut ships, ctrl_c, now);
    if let Some(net) = net.as_deref_mut() {
        for datagram in net.due(now) {
            if let Ok(mut port) = ports.get_mut(datagram.to) {
                hear(&mut commands, &mut port, &mut flows, &datagram.bytes, datagram.from, now);
            }
        }
    }
    let next_delivery = net.as_deref().and_then(SimNet::next_delivery);
    let next_wake = match (next_wake, next_delivery) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    };
    let any_busy = any_busy || ports.iter().any(|port| !port.hears.is_empty());
    // A datagram still crossing the simulated network is work not done yet.
    if !stdin.open && !any_busy && next_delivery.is_none() && options.exit_on_eof {
        state.stop = true;
        return;
    }
    let wait = match (any_busy, next_wake) {
        (true, _) => Duration::ZERO,
        // Every ship idle: a virtual clock jumps to the next due timer, which fires next tick.
        (false, Some(at)) if clock.is_virtual() => {
            clock.advance_to(at);
            Duration::ZERO
        }
        (false, Some(at)) => time::until(now, at).min(POLL),
        (false, None) => POLL,
    };
    let ames = (&mut ports, &mut flows, now);
    let http = (&mut listeners, &mut http_clients);
    conn_completions(
        &mut io,
        &mut commands,
        &mut ships,
        &mut clients,
        ames,
        http,
        (wait, wake.as_deref_mut()),
    );
    for mut port in &mut ports {
        if let Ok((_, _, _, mut inbox, ..)) = ships.get_mut(port.ship) {
            feed_hears(&mut port, &mut inbox);
        }
    }
    if stdin.open {
        let mut first = Focus { ships: ships.iter().take(1).map(|(ship, ..)| ship).collect(), at: 0 };
        let focus = match focus.as_deref_mut() {
            Some(focus) => focus,
            None => &mut first,
        };
        stdin_input(&mut stdin, &mut ships, focus);
    }
}

/// ctrl-c and due timers become ova; gives back whether any ship is busy, and the earliest timer.
fn signals_and_timers(ships: &mut Query<PollShip>, ctrl_c: bool, now: u128) -> (bool, Option<u128>) {
    let mut scratch = Heap::new();
    let mut any_busy = false;
    let mut next_wake: Option<u128> = None;
    for (_, _, kernel, mut inbox, computing, awaiting, outbox, mut behn, ..) in ships {
        if ctrl_c {
            if computing.event.is_none() {
                // Nothing to interrupt: the flag must not stop the next event.
                kernel.0.runner.interrupt.store(false, Ordering::Relaxed);
            }
            let ovum = term::ctrl_c_ovum(&mut scratch);
            inbox.push(&scratch, ovum);
        }
        if behn.is_due(now) {
            behn.wake_at = Some(time::after(now, engine_io::behn::BACKSTOP));
            let ovum = engine_io::behn::wake(&mut scratch);
            inbox.push(&scratch, ovum);
        }
        any_busy |= busy(computing, &inbox, awaiting, outbox);
        if let Some(at) = behn.wake_at {
            next_wake = Some(next_wake.map_or(at, |w: u128| w.min(at)));
        }
    }
    (any_busy, next_wake)
}

/// Which ship a stdin line is for, and its text: `~nec: (add 2 2)` goes to ~nec, a line that names no
/// ship of the process to the focused one. `None` (with a message) for a line naming a ship not here.
fn line_target<'l>(line: &'l str, ships: &Query<PollShip>, focus: Entity) -> Option<(Entity, &'l str)> {
    let named = line.strip_prefix('~').and_then(|rest| rest.split_once(": "));
    let Some((name, text)) = named.filter(|(name, _)| components::aura::parse_galaxy(name).is_some()) else {
        return Some((focus, line));
    };
    let who = components::aura::parse_galaxy(name).expect("checked");
    let found = ships.iter().find(|(_, pier, ..)| pier.who == who).map(|(ship, ..)| ship);
    if found.is_none() {
        eprintln!("run: no ship ~{name} here: the line is dropped");
    }
    found.map(|ship| (ship, text))
}

/// One line (line mode: to the ship it names, else the focused one) or one read of keys (raw mode: to the
/// focused ship, whose terminal it is; ctrl-] passes the keyboard to the next ship, whose drum is asked to
/// draw its prompt again) from stdin.
fn stdin_input(stdin: &mut Stdin, ships: &mut Query<PollShip>, focus: &mut Focus) {
    let mut scratch = Heap::new();
    let received = stdin.input.lock().expect("the stdin receiver").try_recv();
    match received {
        Ok(Input::Line(line)) => {
            let Some(current) = focus.current() else { return };
            let Some((ship, text)) = line_target(&line, ships, current) else { return };
            if let Ok((_, _, _, mut inbox, ..)) = ships.get_mut(ship) {
                for ovum in term::line_ova(&mut scratch, text) {
                    inbox.push(&scratch, ovum);
                }
            }
        }
        Ok(Input::Bytes(bytes)) => {
            for (i, typed) in bytes.split(|&b| b == term::SWITCH_KEY).enumerate() {
                if i > 0
                    && let Some(next) = focus.pass_on()
                    && let Ok((_, _, _, mut inbox, ..)) = ships.get_mut(next)
                {
                    let hail = term::hail_ovum(&mut scratch);
                    inbox.push(&scratch, hail);
                }
                let keys = stdin.keys.feed(typed);
                let Some(current) = focus.current() else { return };
                if let Ok((_, _, _, mut inbox, ..)) = ships.get_mut(current) {
                    type_keys(&mut inbox, keys, &mut scratch);
                }
            }
        }
        Ok(Input::Eof) | Err(mpsc::TryRecvError::Disconnected) => stdin.open = false,
        Err(mpsc::TryRecvError::Empty) => {}
    }
}

/// Keys typed to a ship: belts into its inbox, a bell rung at once.
fn type_keys(inbox: &mut Inbox, keys: Vec<Key>, scratch: &mut Heap) {
    for key in keys {
        match key {
            Key::Belt(belt) => {
                let ovum = belt.ovum(scratch);
                inbox.push(scratch, ovum);
            }
            Key::Bell => {
                let mut out = std::io::stdout();
                let _ = out.write_all(&[0x07]);
                let _ = out.flush();
            }
        }
    }
}

/// SIGWINCH: the raw-mode terminal's new size goes to its ship as `%blew`.
pub fn term_resize(signals: Res<Signals>, mut ships: Query<(&mut Inbox, &Terminal)>) {
    if !signals.resized.swap(false, Ordering::Relaxed) {
        return;
    }
    let Some((cols, rows)) = engine_io::tty::window_size() else { return };
    for (mut inbox, terminal) in &mut ships {
        if let Some(ansi) = terminal.ansi.as_ref() {
            let mut ansi = ansi.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            (ansi.cols, ansi.rows) = (cols, rows);
            let mut scratch = Heap::new();
            let ovum = term::blew_ovum(&mut scratch, cols, rows);
            inbox.push(&scratch, ovum);
        }
    }
}
