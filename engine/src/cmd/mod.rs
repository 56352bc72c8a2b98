//! One module per subcommand. Each `run` returns `Err(one-line reason)` for bad input.

pub mod ames;
pub mod cue;
pub mod dojo;
pub mod eval;
pub mod nock;
pub mod pier;
pub mod pill;
