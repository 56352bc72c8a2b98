//! Snapshots under random histories: appends, young collections, compactions, unifying equal nouns, mug
//! caches filled, writes and loads, in any order. After every load the heap holds, noun for noun, what the
//! last write was given; and every write's image loads.

use components::copy::Collector;
use components::{Heap, Noun};
use proptest::prelude::*;
use std::path::Path;
use store::snapshot::{self, SnapshotInfo};

#[derive(Debug, Clone)]
enum Op {
    /// A new root: a random noun of about `size` boxes over fresh atoms and the existing roots.
    Build {
        seed: u64,
        size: u8,
    },
    /// A new root equal to an existing one but built afresh (so unifying has work to do).
    Copy {
        of: usize,
    },
    /// Forgets a root (its boxes become garbage).
    Drop {
        root: usize,
    },
    /// Fills the mug caches of a root's boxes.
    Mug {
        root: usize,
    },
    /// Compares two roots, sharing what is equal.
    Unify {
        a: usize,
        b: usize,
    },
    /// Collects from one of the box boundaries seen so far (0 is a compaction).
    Collect {
        boundary: usize,
    },
    /// Compacts the whole heap.
    Compact,
    Write,
    Load,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (any::<u64>(), 1u8..40).prop_map(|(seed, size)| Op::Build { seed, size }),
        1 => any::<usize>().prop_map(|of| Op::Copy { of }),
        1 => any::<usize>().prop_map(|root| Op::Drop { root }),
        1 => any::<usize>().prop_map(|root| Op::Mug { root }),
        1 => (any::<usize>(), any::<usize>()).prop_map(|(a, b)| Op::Unify { a, b }),
        2 => any::<usize>().prop_map(|boundary| Op::Collect { boundary }),
        1 => Just(Op::Compact),
        2 => Just(Op::Write),
        2 => Just(Op::Load),
    ]
}

/// The heap under test, its roots, and each root's jam (the noun it must stay).
struct Model {
    heap: Heap,
    roots: Vec<Noun>,
    jams: Vec<Vec<u8>>,
    /// Word counts at which a box ends: where a collection may start.
    boundaries: Vec<usize>,
    /// What the last write was given: its event, the jams of its roots, and the box boundaries then.
    written: Option<(u64, Vec<Vec<u8>>, Vec<usize>)>,
    event: u64,
}

fn next(state: &mut u64) -> u64 {
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    *state
}

impl Model {
    fn push_root(&mut self, root: Noun) {
        self.jams.push(self.heap.jam(root));
        self.roots.push(root);
        self.boundaries.push(self.heap.words_used());
    }

    fn build(&mut self, seed: u64, size: u8) {
        let mut state = seed | 1;
        let mut made: Vec<Noun> = Vec::new();
        // At most one older root inside a new one: nouns share subtrees, but stay trees of linear size
        // (equality walks every path).
        let mut shared = false;
        for _ in 0..size {
            let pick = next(&mut state);
            let leaf = match pick % 4 {
                0 if !self.roots.is_empty() && !shared => {
                    shared = true;
                    self.roots[(pick >> 8) as usize % self.roots.len()]
                }
                1 => self.heap.atom_from_limbs(&[pick, pick >> 3]),
                _ => Noun::direct(pick % 1000).unwrap(),
            };
            let noun = match made.pop() {
                Some(other) if pick & 0x100 == 0 => self.heap.cell(leaf, other),
                Some(other) => {
                    made.push(other);
                    leaf
                }
                None => leaf,
            };
            made.push(noun);
        }
        let root = made.into_iter().reduce(|a, b| self.heap.cell(a, b)).unwrap_or(Noun::ZERO);
        self.push_root(root);
    }

    fn collect(&mut self, mark: usize) {
        let mut collector = Collector::new(&mut self.heap, mark);
        for root in &mut self.roots {
            *root = collector.relocate(*root);
        }
        collector.finish();
        self.boundaries.retain(|&b| b <= mark);
        self.boundaries.push(self.heap.words_used());
    }

    fn write(&mut self, dir: &Path) {
        self.event += 1;
        let kernel = self.heap.list(&self.roots);
        let info = SnapshotInfo::of(&mut self.heap, self.event, vec![kernel]);
        self.boundaries.push(self.heap.words_used());
        snapshot::write(dir, &self.heap, &info)
            .unwrap_or_else(|e| panic!("write at event {}: {e}", self.event));
        self.written = Some((self.event, self.jams.clone(), self.boundaries.clone()));
    }

    fn load(&mut self, dir: &Path) {
        let Some((event, jams, boundaries)) = self.written.clone() else { return };
        let (heap, info) = snapshot::load(dir).unwrap_or_else(|e| panic!("load of event {event}: {e}"));
        assert_eq!(info.event, event);
        let mut roots = Vec::new();
        let mut list = info.roots[0];
        while let Some((item, rest)) = heap.cell_parts(list) {
            roots.push(item);
            list = rest;
        }
        assert_eq!(roots.len(), jams.len(), "the loaded kernel lists every root written");
        for (i, (&root, jam)) in roots.iter().zip(&jams).enumerate() {
            assert!(&heap.jam(root) == jam, "root {i} of event {event} does not load as it was written");
        }
        // The loaded heap is laid out as the written one was: its boundaries are the ones of then.
        self.boundaries = boundaries;
        self.heap = heap;
        self.roots = roots;
        self.jams = jams;
    }

    fn apply(&mut self, op: Op, dir: &Path) {
        let pick = |i: usize, n: usize| (n > 0).then(|| i % n);
        match op {
            Op::Build { seed, size } => self.build(seed, size),
            Op::Copy { of } => {
                if let Some(i) = pick(of, self.roots.len()) {
                    let copy = self.heap.cue(&self.jams[i].clone()).unwrap();
                    self.push_root(copy);
                }
            }
            Op::Drop { root } => {
                if let Some(i) = pick(root, self.roots.len()) {
                    self.roots.remove(i);
                    self.jams.remove(i);
                }
            }
            Op::Mug { root } => {
                if let Some(i) = pick(root, self.roots.len()) {
                    self.heap.mug(self.roots[i]);
                }
            }
            Op::Unify { a, b } => {
                if let (Some(a), Some(b)) = (pick(a, self.roots.len()), pick(b, self.roots.len())) {
                    let equal = self.heap.eq_unify(self.roots[a], self.roots[b]);
                    assert_eq!(equal, self.jams[a] == self.jams[b]);
                }
            }
            Op::Collect { boundary } => {
                let mark = self.boundaries[boundary % self.boundaries.len()];
                self.collect(mark);
            }
            Op::Compact => self.collect(0),
            Op::Write => self.write(dir),
            Op::Load => self.load(dir),
        }
        for (i, (&root, jam)) in self.roots.iter().zip(&self.jams).enumerate() {
            assert!(&self.heap.jam(root) == jam, "root {i} changed in memory");
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn loaded_heaps_equal_written_ones_whatever_the_history(ops in prop::collection::vec(op(), 1..48)) {
        let dir = tempfile::tempdir().unwrap();
        let mut model = Model {
            heap: Heap::new(),
            roots: Vec::new(),
            jams: Vec::new(),
            boundaries: vec![0],
            written: None,
            event: 0,
        };
        for op in ops {
            model.apply(op, dir.path());
        }
        model.write(dir.path());
        model.load(dir.path());
    }
}
