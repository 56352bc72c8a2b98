//! The tick's systems, each run once on a small world: one ship, a serf without a kernel, a real reactor
//! and (for `persist`) a real event log in a temporary directory.

use super::*;
use bevy_ecs::prelude::*;
use bevy_ecs::system::RunSystemOnce;
use components::app::{
    AwaitingCommit, BehnTimer, Capture, Clock, DojoCapture, FailedRequests, Inbox, Origin, Outbox,
    RunOptions, RunState, ShipFailure, ShipPier, SnapshotClock,
};
use components::{Heap, Noun, time};
use engine_io::tty::Input;
use std::sync::mpsc;
use std::time::{Duration, Instant};
use store::{CommitConfig, Committer, Event, EventLog, LogConfig};

fn options() -> RunOptions {
    RunOptions {
        exit_on_eof: false,
        verbose: false,
        snapshot_every: Duration::from_secs(3600),
        tick_steps: 1000,
        conn: false,
        ames: false,
        ames_port: None,
        net: None,
        http: None,
        tty: false,
        threads: 1,
        scry_threads: 0,
    }
}

fn atom(heap: &mut Heap, text: &str) -> Noun {
    heap.atom_from_bytes(text.as_bytes())
}

/// A world with the resources of `engine run` (stdin fed by the returned sender) and one ship, its
/// terminal in line mode, its pier at `root`.
fn world_with_ship(root: &std::path::Path) -> (World, Entity, mpsc::SyncSender<Input>) {
    let mut world = World::new();
    let (send, receive) = mpsc::sync_channel(4);
    world.insert_resource(Io(engine_io::Dispatcher::new().expect("a reactor")));
    world.insert_resource(options());
    world.insert_resource(RunState::default());
    world.insert_resource(Clock::Real);
    world.insert_resource(Signals::default());
    world.insert_resource(Stdin::new(receive));
    let ship = world
        .spawn((
            (ShipPier { root: root.to_path_buf(), who: 0 }, Kernel(crate::serf::Serf::new())),
            (Inbox::default(), Computing::default(), AwaitingCommit::default(), Outbox::default()),
            (BehnTimer::default(), Terminal::default(), DojoCapture::default()),
            (FailedRequests::default(), ShipFailure::default()),
        ))
        .id();
    (world, ship, send)
}

/// A group-commit writer on a new log in `dir`.
fn log_writer(dir: &std::path::Path) -> Committer {
    let log = EventLog::open(dir, LogConfig::default()).expect("a new log");
    Committer::spawn(log, CommitConfig::default())
}

/// The outbox's effects (small atoms here) with their origins.
fn released(world: &World, ship: Entity) -> Vec<(Option<u64>, Origin)> {
    world
        .get::<Outbox>(ship)
        .unwrap()
        .0
        .iter()
        .map(|(effects, origin)| (effects.as_direct(), origin.clone()))
        .collect()
}

#[test]
fn persist_releases_only_the_effects_of_committed_events() {
    let dir = tempfile::tempdir().unwrap();
    let committer = log_writer(dir.path());
    committer.submit(Event { number: 1, mug: 0, jam: vec![1] }).unwrap();
    committer.wait_committed(1).unwrap();
    let mut world = World::new();
    world.insert_resource(RunState::default());
    let mut awaiting = AwaitingCommit::default();
    let one = Noun::direct(11).unwrap();
    let two = Noun::direct(22).unwrap();
    awaiting.0.push_back((1, one, Origin::Ship));
    awaiting.0.push_back((2, two, Origin::KhanBorn));
    let ship = world.spawn((LogWriter(Some(committer)), awaiting, Outbox::default())).id();

    world.run_system_once(persist).unwrap();
    assert_eq!(released(&world, ship), [(Some(11), Origin::Ship)]);
    assert_eq!(world.get::<AwaitingCommit>(ship).unwrap().0.len(), 1);

    let writer = world.get::<LogWriter>(ship).unwrap().0.as_ref().unwrap();
    writer.submit(Event { number: 2, mug: 0, jam: vec![2] }).unwrap();
    writer.wait_committed(2).unwrap();
    world.run_system_once(persist).unwrap();
    assert_eq!(released(&world, ship), [(Some(11), Origin::Ship), (Some(22), Origin::KhanBorn)]);
    assert!(world.get::<AwaitingCommit>(ship).unwrap().0.is_empty());
    assert!(!world.resource::<RunState>().stop);
}

/// `[[wire card] ~]` in the ship's heap, `wire` a path of the given terms.
fn one_effect(world: &mut World, ship: Entity, wire: &[&str], card: impl FnOnce(&mut Heap) -> Noun) -> Noun {
    let mut kernel = world.get_mut::<Kernel>(ship).unwrap();
    let heap = &mut kernel.0.heap;
    let items: Vec<Noun> = wire.iter().map(|item| atom(heap, item)).collect();
    let wire = heap.list(&items);
    let card = card(heap);
    let effect = heap.cell(wire, card);
    heap.list(&[effect])
}

#[test]
fn route_effects_prints_a_put_blit_into_the_dojo_capture() {
    let dir = tempfile::tempdir().unwrap();
    let (mut world, ship, _stdin) = world_with_ship(dir.path());
    world.get_mut::<DojoCapture>(ship).unwrap().0 = Some(Capture::default());
    let effects = one_effect(&mut world, ship, &["term", "1"], |heap| {
        let put = atom(heap, "put");
        let chars: Vec<Noun> = "4".chars().map(|c| Noun::direct(c as u64).unwrap()).collect();
        let tape = heap.list(&chars);
        let blit = heap.cell(put, tape);
        let blits = heap.list(&[blit]);
        let tag = atom(heap, "blit");
        heap.cell(tag, blits)
    });
    world.get_mut::<Outbox>(ship).unwrap().0.push_back((effects, Origin::Ship));
    world.run_system_once(route_effects).unwrap();
    let capture = world.get::<DojoCapture>(ship).unwrap().0.clone().unwrap();
    assert_eq!(capture.lines, ["4"]);
    assert!(!capture.bell);
    assert!(world.get::<Outbox>(ship).unwrap().0.is_empty());
}

#[test]
fn route_effects_arms_behn_and_stops_on_logo() {
    let dir = tempfile::tempdir().unwrap();
    let (mut world, ship, _stdin) = world_with_ship(dir.path());
    let doze = one_effect(&mut world, ship, &["behn"], |heap| {
        let at = time::now() + (10u128 << 64);
        let at = heap.atom_from_limbs(&[at as u64, (at >> 64) as u64]);
        let unit = heap.cell(Noun::ZERO, at);
        let tag = atom(heap, "doze");
        heap.cell(tag, unit)
    });
    let logo = one_effect(&mut world, ship, &["term", "1"], |heap| {
        let tag = atom(heap, "logo");
        heap.cell(tag, Noun::ZERO)
    });
    world.get_mut::<Outbox>(ship).unwrap().0.push_back((doze, Origin::Ship));
    world.run_system_once(route_effects).unwrap();
    let wake_at = world.get::<BehnTimer>(ship).unwrap().wake_at.expect("armed");
    assert!(wake_at > time::after(time::now(), Duration::from_secs(5)));
    assert!(!world.resource::<RunState>().stop);
    world.get_mut::<Outbox>(ship).unwrap().0.push_back((logo, Origin::Ship));
    world.run_system_once(route_effects).unwrap();
    assert!(world.resource::<RunState>().stop);
}

#[test]
fn io_poll_turns_a_due_behn_timer_into_a_wake_ovum() {
    let dir = tempfile::tempdir().unwrap();
    let (mut world, ship, _stdin) = world_with_ship(dir.path());
    world.get_mut::<BehnTimer>(ship).unwrap().wake_at =
        Some(time::after(time::now(), Duration::from_secs(60)));
    world.run_system_once(io_poll).unwrap();
    assert!(world.get::<Inbox>(ship).unwrap().is_empty(), "a timer not yet due wakes nothing");

    world.get_mut::<BehnTimer>(ship).unwrap().wake_at = Some(time::now() - (1u128 << 54));
    world.run_system_once(io_poll).unwrap();
    let mut inbox = world.get_mut::<Inbox>(ship).unwrap();
    let (jam, origin) = inbox.pop().expect("an ovum");
    assert!(inbox.is_empty());
    assert_eq!(origin, Origin::Ship);
    let mut heap = Heap::new();
    let ovum = heap.cue(&jam).unwrap();
    let wake = engine_io::behn::wake(&mut heap);
    assert!(heap.eq(ovum, wake));
    // The backstop is armed, in case no `%doze` follows.
    let wake_at = world.get::<BehnTimer>(ship).unwrap().wake_at.expect("the backstop");
    let soon = engine_io::behn::BACKSTOP - Duration::from_secs(5);
    assert!(wake_at > time::after(time::now(), soon));
}

/// On a virtual clock, an app whose ships are all idle does not wait for a timer: the clock jumps to it,
/// and the next tick wakes the ship, at the timer's time exactly.
#[test]
fn io_poll_moves_a_virtual_clock_to_the_next_timer_when_all_ships_are_idle() {
    let dir = tempfile::tempdir().unwrap();
    let (mut world, ship, _stdin) = world_with_ship(dir.path());
    let start = time::from_unix_micros(1_767_225_600_000_000);
    world.insert_resource(Clock::Virtual { now: start });
    let at = time::after(start, Duration::from_secs(3600));
    world.get_mut::<BehnTimer>(ship).unwrap().wake_at = Some(at);
    let before = std::time::Instant::now();
    world.run_system_once(io_poll).unwrap();
    assert!(before.elapsed() < Duration::from_millis(40), "it did not wait");
    assert_eq!(world.resource::<Clock>().now(), at, "the clock is at the timer");
    assert!(world.get::<Inbox>(ship).unwrap().is_empty());
    world.run_system_once(io_poll).unwrap();
    assert_eq!(world.get::<Inbox>(ship).unwrap().len(), 1, "the timer is due: %wake");
    assert_eq!(world.resource::<Clock>().now(), at, "a due timer does not move the clock again");
}

#[test]
fn io_poll_types_a_stdin_line_and_stops_at_eof_when_asked() {
    let dir = tempfile::tempdir().unwrap();
    let (mut world, ship, stdin) = world_with_ship(dir.path());
    world.resource_mut::<RunOptions>().exit_on_eof = true;
    stdin.send(Input::Line("hi".into())).unwrap();
    world.run_system_once(io_poll).unwrap();
    // `%txt "hi"`, then `%ret`.
    assert_eq!(world.get::<Inbox>(ship).unwrap().len(), 2);
    stdin.send(Input::Eof).unwrap();
    world.run_system_once(io_poll).unwrap();
    assert!(!world.resource::<Stdin>().open);
    assert!(!world.resource::<RunState>().stop, "the ship still has ova to compute");
    while world.get_mut::<Inbox>(ship).unwrap().pop().is_some() {}
    world.run_system_once(io_poll).unwrap();
    assert!(world.resource::<RunState>().stop);
}

#[test]
fn a_dropped_event_is_described_as_vere_does() {
    let mut heap = Heap::new();
    let items: Vec<Noun> = ["d", "term", "1"].iter().map(|item| atom(&mut heap, item)).collect();
    let wire = heap.list(&items);
    let tag = atom(&mut heap, "belt");
    let card = heap.cell(tag, Noun::ZERO);
    let ovum = heap.cell(wire, card);
    assert_eq!(describe_failed(&heap, ovum), "term: %belt event on /d/term/1 failed");
}

/// DESIGN.md: every noun a component holds is a root that compaction relocates. Effects computed but not
/// yet routed (here, waiting for the log) live in the serf's heap; the snapshot system compacts that heap
/// (with a tiny threshold here) and the effects still route as they were.
#[test]
fn effects_held_across_the_snapshot_systems_compaction_still_route() {
    let dir = tempfile::tempdir().unwrap();
    let (mut world, ship, _stdin) = world_with_ship(dir.path());
    // A kernel (any cell stands for one here), then garbage, then the effects, high in the heap.
    let mut heap = Heap::new();
    let kernel = heap.parse("[[1 2] 3]").unwrap();
    let mut serf = crate::serf::Serf::restore(heap, &[kernel], 1).unwrap();
    serf.set_tidy_words_min(0);
    for i in 0..1000 {
        serf.heap.cell(Noun::direct(i).unwrap(), Noun::ONE);
    }
    world.get_mut::<Kernel>(ship).unwrap().0 = serf;
    let effects = one_effect(&mut world, ship, &["term", "1"], |heap| {
        let put = atom(heap, "put");
        let chars: Vec<Noun> = "42".chars().map(|c| Noun::direct(c as u64).unwrap()).collect();
        let tape = heap.list(&chars);
        let blit = heap.cell(put, tape);
        let blits = heap.list(&[blit]);
        let tag = atom(heap, "blit");
        heap.cell(tag, blits)
    });
    world.get_mut::<AwaitingCommit>(ship).unwrap().0.push_back((1, effects, Origin::Ship));
    world.get_mut::<DojoCapture>(ship).unwrap().0 = Some(Capture::default());
    let committer = log_writer(&dir.path().join("log"));
    committer.submit(Event { number: 1, mug: 0, jam: vec![1] }).unwrap();
    committer.wait_committed(1).unwrap();
    world.entity_mut(ship).insert((LogWriter(Some(committer)), SnapshotClock { last: Instant::now() }));
    world.resource_mut::<RunOptions>().snapshot_every = Duration::ZERO;
    world.insert_resource(SnapshotWriter(|_, _| Ok(())));

    let before = world.get::<Kernel>(ship).unwrap().0.heap.words_used();
    world.run_system_once(snapshot).unwrap();
    let after = world.get::<Kernel>(ship).unwrap().0.heap.words_used();
    assert!(after < before / 2, "the heap was compacted ({before} words, then {after})");
    assert!(!world.resource::<RunState>().stop);
    world.run_system_once(persist).unwrap();
    world.run_system_once(route_effects).unwrap();
    let capture = world.get::<DojoCapture>(ship).unwrap().0.clone().unwrap();
    assert_eq!(capture.lines, ["42"], "the effects, relocated, are the ones computed");
}

/// Runs `io_poll` then `conn_write` a few times (each poll waits at most [`POLL`] for the reactor).
fn pump_conn(world: &mut World) {
    for _ in 0..6 {
        world.run_system_once(io_poll).unwrap();
        world.run_system_once(conn_write).unwrap();
    }
}

fn conn_clients(world: &mut World) -> Vec<(Entity, u64)> {
    let mut query = world.query::<(Entity, &ConnClient)>();
    query.iter(world).map(|(entity, client)| (entity, client.connection.con)).collect()
}

/// Sends a framed request `[rid tag data]` and reads the reply (in `heap`).
fn conn_request(
    client: &mut std::os::unix::net::UnixStream,
    world: &mut World,
    heap: &mut Heap,
    rid: u64,
    tag: &str,
    data: &str,
) -> Option<Noun> {
    use std::io::{Read, Write};
    let rid = heap.atom_u64(rid);
    let tag = atom(heap, tag);
    let data = heap.parse(data).unwrap();
    let request = heap.tuple(&[rid, tag, data]);
    client.write_all(&engine_io::conn::frame(&heap.jam(request))).unwrap();
    pump_conn(world);
    let mut decoder = engine_io::conn::Decoder::default();
    let mut buffer = [0u8; 4096];
    loop {
        if let Some(payload) = decoder.next_frame().unwrap() {
            return Some(heap.cue(&payload).unwrap());
        }
        match client.read(&mut buffer) {
            Ok(n) if n > 0 => decoder.feed(&buffer[..n]),
            _ => return None,
        }
    }
}

#[test]
fn each_conn_client_is_an_entity_that_goes_when_the_client_hangs_up() {
    let dir = tempfile::tempdir().unwrap();
    let (mut world, ship, _stdin) = world_with_ship(dir.path());
    let mut server = engine_io::conn::ConnServer::open(dir.path(), "0v1".into()).unwrap();
    server.start(&mut world.resource_mut::<Io>().0, ship).unwrap();
    world.entity_mut(ship).insert(Conn::new(server));
    let socket = dir.path().join(engine_io::conn::SOCKET_PATH);

    let mut first = std::os::unix::net::UnixStream::connect(&socket).unwrap();
    first.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
    let second = std::os::unix::net::UnixStream::connect(&socket).unwrap();
    pump_conn(&mut world);
    let clients = conn_clients(&mut world);
    assert_eq!(clients.len(), 2, "each client is an entity");
    assert!(clients.iter().all(|(entity, _)| *entity != ship));
    assert_eq!(world.get::<Conn>(ship).unwrap().open_connections(), 2);

    // A `%peel` is answered at once; an `%ovum` waits in the inbox and is answered by the ship's systems
    // through `conn_write`.
    let mut heap = Heap::new();
    let answer = conn_request(&mut first, &mut world, &mut heap, 5, "peel", "[1702259052 0]").unwrap();
    let expected = heap.parse("[5 0 0]").unwrap();
    assert!(heap.eq(answer, expected));
    {
        use std::io::Write;
        let rid = heap.atom_u64(6);
        let tag = atom(&mut heap, "ovum");
        let data = heap.parse("[100 [1 0] 2 3]").unwrap();
        let request = heap.tuple(&[rid, tag, data]);
        first.write_all(&engine_io::conn::frame(&heap.jam(request))).unwrap();
    }
    pump_conn(&mut world);
    let (_, origin) = world.get_mut::<Inbox>(ship).unwrap().pop().expect("the ovum queued");
    assert_eq!(origin, Origin::Ovum { con: clients[0].1.min(clients[1].1), rid: vec![6] });
    let (entity, _) = *clients.iter().min_by_key(|(_, con)| *con).unwrap();
    assert_eq!(world.get::<ConnClient>(entity).unwrap().connection.requests_waiting(), 1);
    world.get_mut::<Conn>(ship).unwrap().on_event_end(&mut heap, &origin, &engine_io::conn::EventEnd::Done);
    world.run_system_once(conn_write).unwrap();
    assert_eq!(world.get::<ConnClient>(entity).unwrap().connection.requests_waiting(), 0);

    // The second hangs up: its entity goes.
    drop(second);
    pump_conn(&mut world);
    assert_eq!(conn_clients(&mut world).len(), 1);
    assert_eq!(world.get::<Conn>(ship).unwrap().open_connections(), 1);

    close_conn(&mut world, ship);
    assert!(conn_clients(&mut world).is_empty());
    assert!(!socket.exists());
}
