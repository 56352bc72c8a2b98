//! The behaviour of engine: the Nock interpreter ([`interp`]), the jets and their dashboard ([`jets`]), the
//! kernel interface ([`arvo`]: lifecycle, wish, eval; [`serf`]: boot, events, peek, replay, compaction),
//! and the ECS systems of a tick ([`app`]: io_poll, term_resize, nock_step, jet_dispatch, persist,
//! route_effects, conn_serve, snapshot) with the components that wrap a running thing (a ship's serf, its
//! log writer, its control socket). It drives `store` (the log) and `engine_io` (the drivers).

pub mod app;
pub mod arvo;
pub mod interp;
pub mod jets;
pub mod scry;
pub mod serf;
