//! Hints for running Nock by hand (`engine nock`): `%slog` printed on stderr with its priority, `%bout`
//! timings, and a `%memo` cache. No jets: the dashboard that matches cores to jets comes with the jet work.

use super::hint::Hints;
use components::hash::U64Map;
use components::{Heap, Noun};

/// The most entries the `%memo` cache keeps (Vere's default, `-C`).
pub const MEMO_ENTRIES_MAX: usize = 50_000;

const TAG_SLOG: u64 = u32::from_le_bytes(*b"slog") as u64;

/// `%slog` to stderr and a bounded `%memo` cache.
#[derive(Default)]
pub struct ConsoleHints {
    /// Memo keys `[subject formula]` by mug, each with its product (collisions are told apart by `eq`).
    memo: U64Map<Vec<(Noun, Noun)>>,
    memo_entries: usize,
}

impl Hints for ConsoleHints {
    fn memo_find(&mut self, heap: &mut Heap, key: Noun) -> Option<Noun> {
        let mug = heap.mug(key) as u64;
        let bucket = self.memo.get(&mug)?;
        bucket.iter().find(|(k, _)| heap.eq(*k, key)).map(|&(_, product)| product)
    }

    fn memo_store(&mut self, heap: &mut Heap, key: Noun, product: Noun) {
        if self.memo_entries >= MEMO_ENTRIES_MAX {
            self.memo.clear();
            self.memo_entries = 0;
        }
        let mug = heap.mug(key) as u64;
        self.memo.entry(mug).or_default().push((key, product));
        self.memo_entries += 1;
    }

    fn relocate(&mut self, relocate: &mut dyn FnMut(Noun) -> Noun) {
        for bucket in self.memo.values_mut() {
            for (key, product) in bucket.iter_mut() {
                *key = relocate(*key);
                *product = relocate(*product);
            }
        }
    }

    fn bout(&mut self, heap: &mut Heap, clue: Option<Noun>, elapsed: std::time::Duration) {
        let ms = elapsed.as_secs_f64() * 1e3;
        match clue.and_then(|c| heap.tail(c)) {
            Some(tank) => eprintln!("{}: took {ms:.3}ms", heap.show(tank)),
            None => eprintln!("took {ms:.3}ms"),
        }
    }

    fn other(&mut self, heap: &mut Heap, tag: Noun, clue: Noun) {
        if tag.as_direct() == Some(TAG_SLOG) {
            match heap.cell_parts(clue) {
                Some((priority, tank)) => eprintln!("slog {}: {}", heap.show(priority), heap.show(tank)),
                None => eprintln!("slog: {}", heap.show(clue)),
            }
        }
    }
}
