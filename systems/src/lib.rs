//! The behaviour of engine: the Nock VM, jets and their dashboard, the Arvo interface (poke, peek, wish,
//! boot) and the ECS systems that step ships each tick (nock_step, jet_dispatch, route_effects, persist,
//! snapshot).
//!
//! Built so far: the Nock interpreter ([`interp`]), the jets and their dashboard ([`jets`]), and the kernel
//! interface for the ivory pill ([`arvo`]: lifecycle, wish, eval). Not yet: poke, peek and the ECS systems.

pub mod app;
pub mod arvo;
pub mod interp;
pub mod jets;
pub mod serf;
