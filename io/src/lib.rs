//! engine's I/O: the reactor (io_uring, with an epoll fallback) that every driver submits its operations
//! to, and, on top of it, the drivers: behn (timers), ames (UDP), http (Eyre's server), cttp (Iris's
//! client), term (Dill), unix (Clay sync) and conn (the control socket).
//!
//! Built so far: the reactor and its [`Dispatcher`] (what each operation is for: a ship's socket or one
//! of its connections), behn's logic (events in, `%doze` out), term (Dill's blits rendered, keys
//! decoded; [`tty`]: raw mode and stdin's reader) and conn (the framing, the requests, a ship's side
//! [`conn::ConnServer`] and each client's [`conn::Connection`]).
//! ames, http, cttp and unix follow.

pub mod ames;
pub mod behn;
pub mod conn;
pub mod cttp;
mod dispatch;
mod epoll;
pub mod http;
pub mod nouns;
mod reactor;
pub mod term;
pub mod tty;
pub mod unix;
mod uring;

pub use dispatch::{Dispatcher, ShipKey};
pub use reactor::{
    BUFFER_BYTES_MAX, BackendKind, Completion, IN_FLIGHT_MAX, Op, Reactor, Token, send_now, wait_readable,
};
