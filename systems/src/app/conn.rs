//! conn's connections as entities: each client of a ship's control socket is an entity with a
//! [`ConnClient`], made when the socket accepts it and dropped once it is closed and written out.
//! `io_poll` hands each completion of the reactor to what it is for (a ship's listening socket, or a
//! connection) through [`conn_completions`]; the ship's systems only queue their replies in the ship's
//! [`Conn`], and [`conn_write`] hands them to the connections, which write them.

use super::ames::{AmesPort, ames_completion};
use super::http::{HttpClient, HttpListener, http_completion};
use super::poll::PollShip;
use super::scry::Wake;
use super::ship::{Conn, ConnClient, Io};
use bevy_ecs::prelude::*;
use components::Heap;
use components::app::{AmesFlow, Inbox, ShipPier};
use engine_io::Completion;
use engine_io::conn::{ConnAction, ConnActions, EventEnd, FlowFact, PeelFacts};
use std::time::Duration;

/// Waits at most `wait` for the reactor; each completion goes to the socket it is for (an ames port, a
/// conn connection, or a ship's listening socket), and the ova a connection's requests ask for to its ship's inbox. A new client becomes an
/// entity, spawned through `commands` (its first completion comes at a later poll, once the commands are
/// applied).
pub(super) fn conn_completions(
    io: &mut Io,
    commands: &mut Commands,
    ships: &mut Query<PollShip>,
    clients: &mut Query<&mut ConnClient>,
    (ports, flows, now): (&mut Query<&mut AmesPort>, &mut Query<&mut AmesFlow>, u128),
    http: (&mut Query<&mut HttpListener>, &mut Query<&mut HttpClient>),
    (wait, mut wake): (Duration, Option<&mut Wake>),
) {
    for (key, completion) in io.0.poll(wait) {
        // The scry pool's wake-up: read, and the next read put in flight.
        if let Some(wake) = wake.as_deref_mut()
            && wake.key == Some(key)
        {
            wake.arm(io, key);
            continue;
        }
        let Some(completion) =
            http_completion(io, commands, key, completion, (&mut *http.0, &mut *http.1), ships)
        else {
            continue;
        };
        if let Ok(mut port) = ports.get_mut(key) {
            ames_completion(io, commands, key, &mut port, flows, completion, now);
        } else if let Ok(mut client) = clients.get_mut(key) {
            let Ok((_, pier, _, mut inbox, _, _, _, _, Some(mut conn), _)) = ships.get_mut(client.ship)
            else {
                continue;
            };
            // Only input can hold a `%peel`: the flows are gathered for reads alone.
            let flows = match completion {
                Completion::Read { .. } => flow_facts(client.ship, ports, flows),
                _ => Vec::new(),
            };
            let facts = peel_facts(pier, &conn, &flows);
            let actions =
                client.connection.on_completion(&mut conn.server, &mut io.0, key, completion, facts);
            queue_actions(&mut inbox, &mut conn, actions);
            if client.connection.is_finished() {
                drop_client(commands, &mut conn, key, client.connection.con);
            }
        } else if let Ok((ship, _, _, _, _, _, _, _, Some(mut conn), _)) = ships.get_mut(key) {
            accept(io, commands, ship, &mut conn, completion);
        }
    }
}

/// What `%peel` knows of the ship.
fn peel_facts<'a>(pier: &ShipPier, conn: &Conn, flows: &'a [FlowFact]) -> PeelFacts<'a> {
    PeelFacts {
        live: true,
        khan: conn.khan,
        who: pier.who,
        version: concat!("engine ", env!("CARGO_PKG_VERSION")),
        flows,
    }
}

/// The ship's ames flows, by peer, for `%peel /ames`.
fn flow_facts(ship: Entity, ports: &Query<&mut AmesPort>, flows: &Query<&mut AmesFlow>) -> Vec<FlowFact> {
    let mut facts: Vec<FlowFact> = ports
        .iter()
        .filter(|port| port.ship == ship)
        .flat_map(|port| port.flows.values().filter_map(|&entity| flows.get(entity).ok()))
        .map(|flow| FlowFact {
            peer: flow.peer,
            lane: match flow.lane {
                Some(std::net::SocketAddr::V4(address)) => Some(engine_io::ames::Lane::address_atom(address)),
                _ => None,
            },
            packets_in: flow.packets_in,
            packets_out: flow.packets_out,
            bytes_in: flow.bytes_in,
            bytes_out: flow.bytes_out,
            last_heard: flow.last_heard,
        })
        .collect();
    facts.sort_by_key(|fact| fact.peer);
    facts
}

/// A completion of a ship's listening socket: a new client becomes an entity.
fn accept(io: &mut Io, commands: &mut Commands, ship: Entity, conn: &mut Conn, completion: Completion) {
    let Some(stream) = conn.server.on_listener(&mut io.0, ship, completion) else { return };
    let key = commands.spawn_empty().id();
    match conn.server.connect(&mut io.0, stream, key) {
        Some(connection) => {
            conn.connections.insert(connection.con, key);
            commands.entity(key).insert(ConnClient { ship, connection });
        }
        None => commands.entity(key).despawn(),
    }
}

/// The ova a connection's requests ask for go to the inbox; one that does not fit is answered as
/// dropped.
fn queue_actions(inbox: &mut Inbox, conn: &mut Conn, actions: ConnActions) {
    for action in actions {
        match action {
            ConnAction::Inject(jam, origin) => {
                if let Some(origin) = inbox.push_jam(jam, origin) {
                    let mut heap = Heap::new();
                    conn.on_event_end(&mut heap, &origin, &EventEnd::Dropped);
                }
            }
        }
    }
}

/// A connection closed and written out: its entity goes, and its ship forgets it.
fn drop_client(commands: &mut Commands, conn: &mut Conn, key: Entity, con: u64) {
    conn.connections.remove(&con);
    conn.server.closed(con);
    commands.entity(key).despawn();
}

/// Hands the replies each ship's systems made this tick to the connections they are for, which write
/// them (a reply for a connection gone since is dropped).
pub fn conn_write(
    mut commands: Commands,
    mut io: ResMut<Io>,
    mut ships: Query<&mut Conn>,
    mut clients: Query<&mut ConnClient>,
) {
    for mut conn in &mut ships {
        write_replies(&mut io, &mut commands, &mut conn, &mut clients);
    }
}

/// Hands a ship's queued replies to their connections: whether there were any.
pub(super) fn write_replies(
    io: &mut Io,
    commands: &mut Commands,
    conn: &mut Conn,
    clients: &mut Query<&mut ConnClient>,
) -> bool {
    let replies = conn.server.take_replies();
    let any = !replies.is_empty();
    for reply in replies {
        let Some(&key) = conn.connections.get(&reply.con) else { continue };
        let Ok(mut client) = clients.get_mut(key) else { continue };
        client.connection.deliver(&mut io.0, key, reply);
        if client.connection.is_finished() {
            drop_client(commands, conn, key, client.connection.con);
        }
    }
    any
}

/// A ship's control socket is closed: it stops listening, and its connections' entities go (their
/// streams closed).
pub fn close_conn(world: &mut World, ship: Entity) {
    let Some(mut conn) = world.entity_mut(ship).take::<Conn>() else { return };
    conn.server.close();
    for (_, key) in conn.connections.drain() {
        world.despawn(key);
    }
}
