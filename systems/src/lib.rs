//! The behaviour of engine: the Nock VM, jets and their dashboard, the Arvo interface (poke, peek, wish,
//! boot) and the ECS systems that step ships each tick (nock_step, jet_dispatch, route_effects, persist,
//! snapshot).
//!
//! Not built yet: the Nock VM is the next piece of work on top of the `components` data layer.

pub mod interp;
pub mod jets;
