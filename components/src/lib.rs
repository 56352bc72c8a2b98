//! engine's data layer: the per-ship noun [`Heap`], [`Noun`] handles, [mug](Heap::mug),
//! [jam](Heap::jam) and [cue](Heap::cue) bit-exact with Vere, Hoon's noun orders, axes, and the text
//! notation for nouns; and the app's plain-data ECS components ([`app`]: inboxes of ova, effects waiting
//! for the log, behn's timer, the terminal's capture, the run's options).
//!
//! Nothing here recurses on the Rust stack over a noun's depth: a list of a million items is a
//! million-deep tail chain, and every walk (mug, equality, jam, cue, printing, parsing) keeps its own stack.
//!
//! ```
//! use components::Heap;
//! let mut heap = Heap::new();
//! let noun = heap.parse("[1 2 3 0]").unwrap();
//! let bytes = heap.jam(noun);
//! let back = heap.cue(&bytes).unwrap();
//! assert!(heap.eq(noun, back));
//! assert_eq!(heap.mug(back), heap.mug(noun));
//! ```

pub mod app;
pub mod aura;
pub mod axis;
pub mod compact;
pub mod copy;
pub mod cue;
pub mod hash;
pub mod heap;
pub mod jam;
pub mod math;
pub mod meld;
pub mod mug;
pub mod noun;
pub mod order;
pub mod patp;
pub mod region;
pub mod text;
pub mod time;

pub use cue::{CueClass, CueError, CueReason, CueStats};
pub use heap::{AtomRef, Heap, NounRef, SharedRegion};
pub use math::AtomError;
pub use noun::Noun;
pub use text::ParseError;

/// Re-exported so that users of atoms' bignum values name the same type.
pub use dashu_int::UBig;
