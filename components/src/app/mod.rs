//! The plain data of the app `engine run`: the ECS components and resources that hold no running thing
//! (no serf, no log writer, no socket), so that any system may read them and a test may build them.
//!
//! A ship is an entity. Its components here: its pier ([`ShipPier`]), its inbox of jammed ova with where
//! each came from ([`Inbox`], [`Origin`]), the effects of computed events waiting for the log
//! ([`AwaitingCommit`]) and those released to the drivers ([`Outbox`]), behn's timer ([`BehnTimer`]),
//! what the terminal printed for conn's `%dojo` ([`DojoCapture`]) and when its last snapshot was written
//! ([`SnapshotClock`]), the datagrams ames is to send ([`AmesOutbox`]); each peer of its ames is an entity
//! with an [`AmesFlow`]. The process's resources: its options ([`RunOptions`]) and whether to stop
//! ([`RunState`]).
//!
//! ```
//! use components::Heap;
//! use components::app::{Inbox, Origin};
//! let mut heap = Heap::new();
//! let ovum = heap.parse("[[100 0] 1 2]").unwrap();
//! let mut inbox = Inbox::default();
//! inbox.push(&heap, ovum);
//! assert_eq!(inbox.len(), 1);
//! let (jam, origin) = inbox.pop().unwrap();
//! let back = heap.cue(&jam).unwrap();
//! assert!(heap.eq(back, ovum));
//! assert!(matches!(origin, Origin::Ship));
//! ```

mod clock;
mod effects;
mod flow;
mod inbox;
mod options;
mod simnet;
mod terminal;
mod timer;

pub use clock::{Clock, seeded_entropy};
pub use effects::{AwaitingCommit, FailedRequests, Outbox, ShipFailure};
pub use flow::{AMES_OUT_MAX, AmesFlow, AmesOutbox, Target};
pub use inbox::{INBOX_BYTES_MAX, INBOX_OVA_MAX, Inbox, Origin};
pub use options::{Focus, HttpOptions, RunOptions, RunState, ShipPier, SnapshotClock, TICK_STEPS};
pub use simnet::{SIM_IN_FLIGHT_MAX, SimDatagram, SimNet, SimNetConfig};
pub use terminal::{Capture, DojoCapture};
pub use timer::BehnTimer;
