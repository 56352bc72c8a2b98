//! The components and resources of the app that wrap a running thing: a ship's serf, its event in flight,
//! the heavy jet its event waits on, its log writer, its terminal's renderer and its control socket; the
//! process's reactor, signals and stdin. (The plain-data ones are in [`components::app`].)

use crate::interp::Job;
use crate::serf::{InFlight, Serf};
use bevy_ecs::prelude::*;
use components::Noun;
use components::app::{AwaitingCommit, Inbox, Origin, Outbox};
use engine_io::Dispatcher;
use engine_io::conn::{ConnServer, Connection};
use engine_io::term::{AnsiOutput, KeyDecoder};
use engine_io::tty::Input;
use hashbrown::HashMap;
use std::sync::atomic::AtomicBool;
use std::sync::mpsc::Receiver;
use std::sync::{Arc, Mutex};
use store::Committer;

/// The kernel and its heap.
#[derive(Component)]
pub struct Kernel(pub Serf);

/// The event being computed, if any, and the time stamped on the last one.
#[derive(Component, Default)]
pub struct Computing {
    /// The event, its ovum (in the serf's heap) and where the ovum came from.
    pub event: Option<(InFlight, Noun, Origin)>,
    pub last_now: u128,
}

/// A heavy jet's job the ship's event waits on (DESIGN.md, jet_dispatch): queued by `nock_step`, run by
/// `jet_dispatch` on the thread pool, answered back into the event by the next `nock_step`.
#[derive(Component, Default)]
pub struct JetJob {
    pub queued: Option<Job>,
    pub answer: Option<crate::interp::Answer>,
}

/// The ship's group-commit writer (`None` once it has been finished).
#[derive(Component)]
pub struct LogWriter(pub Option<Committer>);

/// The terminal's renderer: line mode (`None`), or raw mode drawn with ANSI escapes, shared with the log
/// sink, which prints the runtime's log lines above the prompt. In line mode with several ships, each
/// line printed starts with the ship's name (`prefix`, e.g. `~nec: `).
#[derive(Component, Default)]
pub struct Terminal {
    pub ansi: Option<Arc<Mutex<AnsiOutput>>>,
    pub prefix: Option<String>,
}

/// One ship's control socket, and the entity of each of its open connections by number.
#[derive(Component)]
pub struct Conn {
    pub server: ConnServer,
    /// Lookups only: never iterated where the order could reach a ship's state.
    pub connections: HashMap<u64, Entity, ahash::RandomState>,
}

impl Conn {
    pub fn new(server: ConnServer) -> Conn {
        Conn { server, connections: HashMap::default() }
    }
}

impl std::ops::Deref for Conn {
    type Target = ConnServer;
    fn deref(&self) -> &ConnServer {
        &self.server
    }
}

impl std::ops::DerefMut for Conn {
    fn deref_mut(&mut self) -> &mut ConnServer {
        &mut self.server
    }
}

/// A client's connection to a ship's control socket: an entity of its own, which the I/O systems own
/// (`io_poll` reads it, `conn_write` writes the ship's replies to it), with its limits (bytes of replies
/// queued, requests waiting for the ship).
#[derive(Component)]
pub struct ConnClient {
    /// The ship whose socket it is.
    pub ship: Entity,
    pub connection: Connection,
}

/// The process's reactor, and what each operation in flight is for: a ship's listening socket (the ship's
/// entity) or a connection (its own entity).
#[derive(Resource)]
pub struct Io(pub Dispatcher<Entity>);

/// The signals the app watches, each a flag its handler sets.
#[derive(Resource, Default)]
pub struct Signals {
    /// SIGTERM or SIGHUP: stop.
    pub terminate: Arc<AtomicBool>,
    /// SIGINT: interrupt the event in flight and type ctrl-c.
    pub ctrl_c: Arc<AtomicBool>,
    /// SIGWINCH: the window changed size.
    pub resized: Arc<AtomicBool>,
}

/// stdin: what its reader thread hands over, and (raw mode) the keyboard's bytes decoded.
#[derive(Resource)]
pub struct Stdin {
    pub input: Mutex<Receiver<Input>>,
    pub keys: KeyDecoder,
    /// Until the end of stdin.
    pub open: bool,
}

impl Stdin {
    pub fn new(input: Receiver<Input>) -> Stdin {
        Stdin { input: Mutex::new(input), keys: KeyDecoder::default(), open: true }
    }
}

/// Whether anything of the ship's is in flight or waiting: an event, ova, or effects to release.
pub fn busy(computing: &Computing, inbox: &Inbox, awaiting: &AwaitingCommit, outbox: &Outbox) -> bool {
    computing.event.is_some() || !inbox.is_empty() || !awaiting.0.is_empty() || !outbox.0.is_empty()
}
