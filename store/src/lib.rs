//! The pier on disk: the event log (append-only, checksummed, numbered, group-committed), snapshots of
//! the heap (incremental while the heap is only appended to), the pier directory and its lock, and the
//! log's identity (meta), all over a [`Disk`]: the real filesystem, or a simulated one that injects faults
//! and crashes ([`sim::SimDisk`]).
//!
//! Not built yet: replay, boot and `cram`, which need the Nock VM.

pub mod commit;
pub mod disk;
pub mod log;
pub mod meta;
pub mod pier;
pub mod reader;
pub mod record;
pub mod sim;
pub mod snapshot;

pub use commit::{CommitConfig, Committer};
pub use disk::{Disk, DiskFile, RealDisk};
pub use log::{EventLog, LogConfig, LogError, Recovery};
pub use meta::{Meta, MetaError};
pub use pier::{Layout, Pier, PierError, PierGuard};
pub use reader::{PierReader, RecordInfo};
pub use record::Event;
pub use snapshot::{SnapshotError, SnapshotInfo};
