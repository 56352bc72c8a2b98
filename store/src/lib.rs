//! The pier on disk: the event log (append-only, checksummed, numbered, group-committed), the pier
//! directory and its lock, and the log's identity (meta).
//!
//! Not built yet: snapshots of the old-space heap, replay and `cram`; they follow the Nock VM.

pub mod commit;
pub mod log;
pub mod meta;
pub mod pier;
pub mod record;

pub use commit::{CommitConfig, Committer};
pub use log::{EventLog, LogConfig, LogError, Recovery};
pub use meta::{Meta, MetaError};
pub use pier::{Layout, Pier, PierError};
pub use record::Event;
