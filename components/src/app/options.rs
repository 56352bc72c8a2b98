//! The run's options, a ship's pier, and its snapshot clock.

use bevy_ecs::prelude::*;
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// The default of `--tick-steps`: a few tens of milliseconds of Nock.
pub const TICK_STEPS: u64 = 1_000_000;

/// How `engine run` behaves.
#[derive(Resource, Debug, Clone, Copy)]
pub struct RunOptions {
    /// Stop once stdin ends and every event is committed.
    pub exit_on_eof: bool,
    /// Start Arvo verbose (`%verb [~ %.n]`).
    pub verbose: bool,
    /// Seconds between snapshots while running.
    pub snapshot_every: Duration,
    /// The most Nock steps one ship computes per tick.
    pub tick_steps: u64,
    /// Serve the control socket (`<pier>/.urb/conn.sock`).
    pub conn: bool,
    /// Run ames (UDP networking), on this port if given (else a galaxy's, else any).
    pub ames: bool,
    pub ames_port: Option<u16>,
    /// ames over the simulated network, not UDP (`--net sim`).
    pub net: Option<super::SimNetConfig>,
    /// Run http, Eyre's web server (`None`: `--no-http`).
    pub http: Option<HttpOptions>,
    /// Use the terminal in raw mode when stdin and stdout are terminals (`-t` turns it off).
    pub tty: bool,
    /// Threads that run the tick's systems and step the ships (1: everything on the main thread, with the
    /// single-threaded executor).
    pub threads: usize,
    /// Reader threads that answer conn's scries beside the events (0: the ship answers them itself,
    /// between events, as Vere does).
    pub scry_threads: usize,
}

/// How http's servers listen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HttpOptions {
    /// The public server's port, fixed (`--http-port`; a failure to bind it stops the app); else the
    /// search from 80 (8080 behind a proxy), then up by one.
    pub port: Option<u16>,
    /// The loopback server's port, fixed (`--loopback-port`); else the search from 12321.
    pub loopback_port: Option<u16>,
    /// The address the public server binds (`-b`; every interface by default).
    pub bind: std::net::Ipv4Addr,
}

impl Default for HttpOptions {
    fn default() -> HttpOptions {
        HttpOptions { port: None, loopback_port: None, bind: std::net::Ipv4Addr::UNSPECIFIED }
    }
}

/// A ship's pier directory (its snapshots, where `%sav` files go) and its name in messages.
#[derive(Component, Debug, Clone)]
pub struct ShipPier {
    pub root: PathBuf,
    pub who: u128,
}

/// When the ship's last snapshot was written.
#[derive(Component, Debug)]
pub struct SnapshotClock {
    pub last: Instant,
}

/// Whether the app is to stop, and why if it failed.
#[derive(Resource, Debug, Default)]
pub struct RunState {
    /// Set by a signal, `%logo`, the end of stdin, or a failure: the tick loop ends.
    pub stop: bool,
    /// The first error that stops the app (a failing log, a snapshot that cannot be written).
    pub failure: Option<String>,
}

impl RunState {
    /// Stops the app with `error`, unless it is already failing with an earlier one.
    pub fn fail(&mut self, error: String) {
        self.failure.get_or_insert(error);
        self.stop = true;
    }
}

/// The ships in the order their piers were given, and the one that the keyboard (raw mode) and the stdin
/// lines that name no ship go to: the first, until ctrl-] passes the keyboard on.
#[derive(Resource, Debug, Clone)]
pub struct Focus {
    pub ships: Vec<Entity>,
    pub at: usize,
}

impl Focus {
    /// The focused ship (`None` with no ships).
    pub fn current(&self) -> Option<Entity> {
        self.ships.get(self.at).copied()
    }

    /// Passes the focus to the next ship (after the last, the first); gives it back.
    pub fn pass_on(&mut self) -> Option<Entity> {
        if !self.ships.is_empty() {
            self.at = (self.at + 1) % self.ships.len();
        }
        self.current()
    }
}
