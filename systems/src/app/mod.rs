//! The systems of the app `engine run`, one module per stage of a tick (DESIGN.md, Ticks), and the
//! components that wrap a running thing ([`ship`]: the serf, the event in flight, the log writer, the
//! terminal's renderer, the control socket; the reactor, signals and stdin). The plain-data components are
//! [`components::app`]'s.
//!
//! A tick runs, in order: [`io_poll`] (signals, stdin, timers, and the reactor's completions for the
//! sockets → inboxes; it is also where an idle app waits), [`scry_serve`] (peeks to the scry pool's
//! readers, which answer beside the events; their answers written at once), [`driver_scries`] (the
//! drivers' own peeks to the pool: slog streams' cookies, ames's lanes), [`term_resize`], [`nock_step`] (at most
//! `--tick-steps` Nock steps per ship per tick, so a long event never freezes I/O; heavy jets' jobs are
//! queued), [`jet_dispatch`] (the queued jobs of every ship, in parallel on rayon's pool), [`persist`]
//! (release the effects of committed events), [`route_effects`] (to behn, conn and the terminal),
//! [`conn_serve`] (dojo lines, and scries between events when there is no scry pool), [`conn_write`] (the replies to conn's
//! connections, each an entity of its own), [`http_serve`] (Eyre's servers started, its responses
//! written; each server and each client connection an entity), [`unix_sync`] (clay's mount points), [`cttp_serve`] (Iris's
//! requests fetched), [`ames_send`] (datagrams out; each ship's UDP socket and each
//! peer's flow are entities too) and [`snapshot`]. [`finish_ship`] runs what is
//! left when the app stops. Nothing assumes one ship.

mod ames;
mod conn;
mod cttp;
mod http;
mod poll;
mod route;
mod scry;
mod serve;
pub mod ship;
mod snapshot;
mod step;
mod stop;
mod unix;
mod world;

pub use ames::{AmesPort, ames_send, close_ames};
pub use conn::{close_conn, conn_write};
pub use cttp::{Cttp, cttp_serve};
pub use http::{HTTP_CONNECTIONS_MAX, Http, HttpClient, HttpListener, close_http, http_serve};
pub use poll::{POLL, PollShip, io_poll, term_resize};
pub use route::{RouteShip, persist, route_effects};
pub use scry::{POOL_JOBS_MAX, POOL_JOBS_PER_TICK, Scry, ScryPool, Wake, driver_scries, scry_serve};
pub use serve::{PEEKS_PER_TICK, ServeShip, conn_serve};
pub use ship::{Computing, Conn, ConnClient, Io, JetJob, Kernel, LogWriter, Signals, Stdin, Terminal, busy};
pub use snapshot::{SnapshotShip, SnapshotWriter, held_nouns, snapshot};
pub use step::{StepShip, complete, describe_failed, jet_dispatch, nock_step, settle_failures};
pub use stop::finish_ship;
pub use unix::{Unix, unix_sync};
pub use world::{Order, ShipParts, insert_resources, spawn_ship, tick_schedule};

#[cfg(test)]
mod tests;
