//! The world and the schedule of the app: the process's resources, a ship spawned as an entity with every
//! component the tick's systems look for, and the schedule of one tick. `engine run` builds its world with
//! these; so do the benchmarks of schedules.

use super::ames::AmesPort;
use super::cttp::Cttp;
use super::http::Http;
use super::ship::{Computing, Conn, Io, JetJob, Kernel, LogWriter, Signals, Stdin, Terminal};
use super::snapshot::SnapshotWriter;
use super::unix::Unix;
use super::{
    Scry, ScryPool, Wake, ames_send, conn_serve, conn_write, cttp_serve, driver_scries, http_serve, io_poll,
    jet_dispatch, nock_step, persist, route_effects, scry_serve, settle_failures, snapshot, term_resize,
    unix_sync,
};
use crate::scry::PeekLimits;
use crate::serf::Serf;
use bevy_ecs::prelude::*;
use bevy_ecs::schedule::{LogLevel, MultiThreadedExecutor, ScheduleBuildSettings, SingleThreadedExecutor};
use components::app::{
    AmesOutbox, AwaitingCommit, BehnTimer, Clock, DojoCapture, FailedRequests, Inbox, Outbox, RunOptions,
    RunState, ShipFailure, ShipPier, SimNet, SnapshotClock,
};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;
use store::{CommitConfig, Committer, EventLog};

/// How the systems of a tick are ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Order {
    /// In DESIGN.md's order, each after the one before (what `engine run` uses): parallelism comes from
    /// within the systems (ships stepped at once, jets on the pool).
    Chained,
    /// No order given: the executor runs the systems in any order its conflicts allow (a benchmark's
    /// baseline; events still happen in order within each ship, but a tick may route before it steps).
    Free,
}

/// The schedule of one tick. With more than one thread, bevy's multi-threaded executor runs it on the
/// process's task pool (made here with `threads` threads if there is none yet), where `nock_step` steps
/// the ships with work in parallel; with one, the single-threaded executor runs everything on this
/// thread. Ambiguity detection is on for the chained order.
pub fn tick_schedule(threads: usize, order: Order) -> Schedule {
    let mut schedule = Schedule::default();
    let pool = bevy_tasks::ComputeTaskPool::get_or_init(|| {
        bevy_tasks::TaskPoolBuilder::new().num_threads(threads.max(1)).thread_name("tick".into()).build()
    });
    if threads > 1 && pool.thread_num() > 1 {
        schedule.set_executor(MultiThreadedExecutor::new());
    } else {
        schedule.set_executor(SingleThreadedExecutor::new());
    }
    let ambiguity_detection = match order {
        Order::Chained => LogLevel::Error,
        Order::Free => LogLevel::Ignore,
    };
    schedule.set_build_settings(ScheduleBuildSettings { ambiguity_detection, ..Default::default() });
    let systems = (
        io_poll,
        scry_serve,
        driver_scries,
        term_resize,
        nock_step,
        settle_failures,
        jet_dispatch,
        persist,
        route_effects,
        conn_serve,
        conn_write,
        http_serve,
        unix_sync,
        cttp_serve,
        ames_send,
        snapshot,
    );
    match order {
        Order::Chained => schedule.add_systems(systems.chain()),
        Order::Free => schedule.add_systems(systems),
    };
    schedule
}

/// The process's resources: the reactor, the options, the clock, whether to stop, the signals, stdin and
/// how snapshots are written.
pub fn insert_resources(
    world: &mut World,
    options: RunOptions,
    clock: Clock,
    signals: Signals,
    stdin: Stdin,
    writer: SnapshotWriter,
) -> Result<(), String> {
    let io = engine_io::Dispatcher::new()?;
    // On a virtual clock nothing may depend on when I/O happens to arrive: no watcher cuts slices short.
    let real_time = matches!(clock, Clock::Real) && options.net.is_none();
    let mut io = Io(io);
    let mut wake = Wake::start(real_time.then(|| io.0.wake_fd()));
    let key = world.spawn_empty().id();
    wake.arm(&mut io, key);
    if options.scry_threads > 0 {
        world.insert_resource(ScryPool::start(options.scry_threads, PeekLimits::default(), wake.waker()));
    }
    world.insert_resource(wake);
    world.insert_resource(io);
    if let Some(config) = options.net {
        world.insert_resource(SimNet::new(config));
    }
    world.insert_resource(clock);
    world.insert_resource(options);
    world.insert_resource(RunState::default());
    world.insert_resource(signals);
    world.insert_resource(stdin);
    world.insert_resource(writer);
    Ok(())
}

/// What a ship is made of when the app starts.
pub struct ShipParts {
    pub serf: Serf,
    pub root: PathBuf,
    pub who: u128,
    /// Its event log, which a group-commit writer thread takes over.
    pub log: EventLog,
    /// The ova it starts with.
    pub inbox: Inbox,
    pub conn: Option<Conn>,
    /// ames: whether the ship is fake (local-only) and the port asked for (`None`: no ames).
    pub ames: Option<(bool, Option<u16>)>,
    /// http's driver (`None`: no web server).
    pub http: Option<Http>,
    /// unix's driver (clay's mount points).
    pub unix: Option<Unix>,
    /// cttp's driver (Iris's HTTP client).
    pub cttp: Option<Cttp>,
    pub terminal: Terminal,
}

/// Spawns a ship: an entity with every component the tick's systems look for (its control socket, if
/// any, starts listening through the reactor).
pub fn spawn_ship(world: &mut World, mut ship: ShipParts) -> Result<Entity, String> {
    if let Some(wake) = world.get_resource::<Wake>() {
        ship.serf.runner.yield_flag = Some(Arc::clone(&wake.flag));
    }
    let scry = (world.contains_resource::<ScryPool>() && ship.conn.is_some())
        .then(|| Scry::new(ship.serf.share_with_readers()));
    let entity = world
        .spawn((
            (
                ShipPier { root: ship.root, who: ship.who },
                Kernel(ship.serf),
                ship.inbox,
                Computing::default(),
            ),
            (
                LogWriter(Some(Committer::spawn(ship.log, CommitConfig::default()))),
                AwaitingCommit::default(),
                FailedRequests::default(),
                ShipFailure::default(),
            ),
            (Outbox::default(), JetJob::default(), BehnTimer::default()),
            (ship.terminal, DojoCapture::default(), SnapshotClock { last: Instant::now() }),
        ))
        .id();
    if let Some(mut conn) = ship.conn {
        conn.start(&mut world.resource_mut::<Io>().0, entity)?;
        world.entity_mut(entity).insert(conn);
    }
    if let Some(scry) = scry {
        world.entity_mut(entity).insert(scry);
    }
    if let Some(http) = ship.http {
        world.entity_mut(entity).insert(http);
    }
    if let Some(unix) = ship.unix {
        world.entity_mut(entity).insert(unix);
    }
    if let Some(cttp) = ship.cttp {
        world.entity_mut(entity).insert(cttp);
    }
    if let Some((fake, port)) = ship.ames {
        let simulated = world.contains_resource::<SimNet>();
        let bound = match simulated {
            true => AmesPort::simulated(entity, ship.who),
            false => AmesPort::bind(entity, ship.who, fake, port),
        };
        match bound {
            Ok(mut ames) => {
                let place = match (simulated, fake) {
                    (true, _) => " (the simulated network)",
                    (false, true) => " (localhost only)",
                    (false, false) => "",
                };
                eprintln!("ames: live on {}{place}", ames.address.port());
                let port_entity = world.spawn_empty().id();
                if let Some(mut net) = world.get_resource_mut::<SimNet>() {
                    net.attach(ames.address, port_entity);
                }
                ames.receive(&mut world.resource_mut::<Io>(), port_entity);
                world.entity_mut(port_entity).insert(ames);
                world.entity_mut(entity).insert(AmesOutbox { local_only: fake, ..AmesOutbox::default() });
            }
            // Vere stops here; engine goes on without the network, so that a second fake galaxy of the
            // same name (a test, a copy) still runs.
            Err(e) => eprintln!("{e}; the ship runs without the network"),
        }
    }
    Ok(entity)
}
