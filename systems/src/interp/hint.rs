//! What the machine hands to the runtime around it: jet calls, `%fast` registrations, the `%memo` cache
//! and other dynamic hints (`%slog`, ...). The jet dashboard and the event loop implement [`Hints`];
//! [`NoHints`] runs plain Nock.

use super::Mote;
use components::{Heap, Noun};

/// What a jet made of a kick.
#[derive(Debug, Clone, Copy)]
pub enum JetCall {
    /// The arm's product.
    Product(Noun),
    /// The arm crashes: with this mote, after pushing this `%mean` frame (`[%mean text]`), if any.
    Crash { mote: Mote, mean: Option<Noun> },
    /// No jet (or it punted): run the arm's Nock.
    Nock,
    /// The `+mink` jet: run `*[subject formula]` in a new road with `scry` handling Nock 12; the arm's
    /// product is the tone.
    Mink { subject: Noun, formula: Noun, scry: Noun },
    /// A memoizing wrapper missed: run the arm's Nock and store its product in the memo cache under `key`
    /// (as a `%memo` hint does).
    Memo { key: Noun },
}

/// The runtime's side of hints and jets. Every method has a do-nothing default.
pub trait Hints {
    /// A Nock 9 is about to run arm `axis` of `core`.
    fn jet(&mut self, heap: &mut Heap, core: Noun, axis: Noun) -> JetCall {
        let _ = (heap, core, axis);
        JetCall::Nock
    }

    /// A `%fast` hint produced `core`, with its evaluated `clue` (`[name parent-axis hooks]`).
    fn register(&mut self, heap: &mut Heap, core: Noun, clue: Noun) {
        let _ = (heap, core, clue);
    }

    /// A `%memo` hint: a cached product for `key = [subject formula]`, if any.
    fn memo_find(&mut self, heap: &mut Heap, key: Noun) -> Option<Noun> {
        let _ = (heap, key);
        None
    }

    /// A `%memo` computation finished.
    fn memo_store(&mut self, heap: &mut Heap, key: Noun, product: Noun) {
        let _ = (heap, key, product);
    }

    /// A collection is moving the young space: rewrite every noun held here through `relocate` (which
    /// also keeps it alive). Whoever holds nouns made during the computation must implement this.
    fn relocate(&mut self, relocate: &mut dyn FnMut(Noun) -> Noun) {
        let _ = relocate;
    }

    /// A `%bout` computation took `elapsed` (`clue` is the dynamic hint's `[priority tank]`).
    fn bout(&mut self, heap: &mut Heap, clue: Option<Noun>, elapsed: std::time::Duration) {
        let _ = (heap, clue, elapsed);
    }

    /// Any other dynamic hint (`%slog`, `%bout`, ...), with its evaluated clue.
    fn other(&mut self, heap: &mut Heap, tag: Noun, clue: Noun) {
        let _ = (heap, tag, clue);
    }
}

/// Plain Nock: no jets, no cache, hints ignored.
pub struct NoHints;

impl Hints for NoHints {}
