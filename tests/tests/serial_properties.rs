//! Properties of the data layer on generated nouns: cue inverts jam, jam and mug depend only on structure
//! (not on sharing or on how a noun was built), and nothing recurses over depth (huge nouns are walked on a
//! thread with a small stack).

use components::{Heap, Noun};
use proptest::prelude::*;

/// A noun as plain data, to build into heaps in different ways.
#[derive(Debug, Clone)]
enum Tree {
    Atom(Vec<u64>),
    Cell(Box<Tree>, Box<Tree>),
}

fn atom_limbs() -> impl Strategy<Value = Vec<u64>> {
    prop_oneof![
        4 => (0u64..16).prop_map(|v| vec![v]),
        2 => any::<u64>().prop_map(|v| vec![v]),
        1 => prop_oneof![
            Just(vec![(1 << 63) - 1]),
            Just(vec![1 << 63]),
            Just(vec![u64::MAX]),
            Just(vec![0, 1]),
            Just(vec![u64::MAX, u64::MAX]),
        ],
        1 => prop::collection::vec(any::<u64>(), 1..5),
    ]
}

fn tree() -> impl Strategy<Value = Tree> {
    let leaf = atom_limbs().prop_map(Tree::Atom);
    leaf.prop_recursive(8, 64, 2, |inner| {
        (inner.clone(), inner).prop_map(|(h, t)| Tree::Cell(Box::new(h), Box::new(t)))
    })
}

/// Builds every node afresh: no two handles shared.
fn build_fresh(heap: &mut Heap, tree: &Tree) -> Noun {
    match tree {
        Tree::Atom(limbs) => heap.atom_from_limbs(limbs),
        Tree::Cell(h, t) => {
            let h = build_fresh(heap, h);
            let t = build_fresh(heap, t);
            heap.cell(h, t)
        }
    }
}

/// Builds with maximal sharing: structurally equal subtrees get one handle.
fn build_shared(heap: &mut Heap, tree: &Tree, seen: &mut Vec<Noun>) -> Noun {
    let n = match tree {
        Tree::Atom(limbs) => heap.atom_from_limbs(limbs),
        Tree::Cell(h, t) => {
            let h = build_shared(heap, h, seen);
            let t = build_shared(heap, t, seen);
            heap.cell(h, t)
        }
    };
    match seen.iter().find(|&&m| heap.eq(m, n)) {
        Some(&m) => m,
        None => {
            seen.push(n);
            n
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn cue_inverts_jam(t in tree()) {
        let mut heap = Heap::new();
        let n = build_fresh(&mut heap, &t);
        let bytes = heap.jam(n);
        let back = heap.cue(&bytes).unwrap();
        prop_assert!(heap.eq(n, back));
        prop_assert_eq!(heap.jam(back), bytes);
    }

    #[test]
    fn jam_and_mug_ignore_sharing_and_construction(t in tree()) {
        let mut fresh_heap = Heap::new();
        let fresh = build_fresh(&mut fresh_heap, &t);
        let mut shared_heap = Heap::new();
        let shared = build_shared(&mut shared_heap, &t, &mut Vec::new());
        let mut parsed_heap = Heap::new();
        let parsed = parsed_heap.parse(&fresh_heap.print(fresh)).unwrap();
        let jam = fresh_heap.jam(fresh);
        prop_assert_eq!(&shared_heap.jam(shared), &jam);
        prop_assert_eq!(&parsed_heap.jam(parsed), &jam);
        let mug = fresh_heap.mug(fresh);
        prop_assert_eq!(shared_heap.mug(shared), mug);
        prop_assert_eq!(parsed_heap.mug(parsed), mug);
        prop_assert_eq!(fresh_heap.mug(fresh), mug, "a cached mug is stable");
    }

    #[test]
    fn print_then_parse_is_identity(t in tree()) {
        let mut heap = Heap::new();
        let n = build_fresh(&mut heap, &t);
        let text = heap.print(n);
        let back = heap.parse(&text).unwrap();
        prop_assert!(heap.eq(n, back));
        prop_assert_eq!(heap.print(back), text);
    }

    #[test]
    fn dor_is_a_total_order(a in tree(), b in tree()) {
        let mut heap = Heap::new();
        let (x, y) = (build_fresh(&mut heap, &a), build_fresh(&mut heap, &b));
        prop_assert!(heap.dor(x, y) || heap.dor(y, x));
        if heap.dor(x, y) && heap.dor(y, x) {
            prop_assert!(heap.eq(x, y));
        }
        prop_assert!(heap.gor(x, y) || heap.gor(y, x));
        prop_assert!(heap.mor(x, y) || heap.mor(y, x));
    }
}

/// Runs `work` on a thread with a 256 KiB stack: any recursion over a million-deep noun would overflow it.
fn on_small_stack(work: impl FnOnce() + Send + 'static) {
    std::thread::Builder::new().stack_size(256 * 1024).spawn(work).unwrap().join().unwrap();
}

/// Every walk of the data layer over one noun: mug, jam, cue, equality, print, parse, orders.
fn walk_everything(heap: &mut Heap, n: Noun) {
    let mug = heap.mug(n);
    let bytes = heap.jam(n);
    let back = heap.cue(&bytes).unwrap();
    assert!(heap.eq(n, back));
    assert_eq!(heap.mug(back), mug);
    assert!(heap.dor(n, back));
    let text = heap.print(n);
    let parsed = heap.parse(&text).unwrap();
    assert!(heap.eq(parsed, n));
    assert_eq!(heap.mug(parsed), mug);
}

#[test]
fn million_item_list_is_walked_without_recursion() {
    on_small_stack(|| {
        let mut heap = Heap::new();
        let mut list = Noun::ZERO;
        for i in (0..1_000_000u64).rev() {
            list = heap.cell(Noun::direct(i).unwrap(), list);
        }
        walk_everything(&mut heap, list);
        let item = heap.slot_u64(list, (1u64 << 40) - 2); // the head after 38 tails
        assert_eq!(item.and_then(|n| n.as_direct()), Some(38));
    });
}

#[test]
fn million_deep_left_nested_cells_are_walked_without_recursion() {
    on_small_stack(|| {
        let mut heap = Heap::new();
        let mut deep = Noun::ONE;
        for i in 0..1_000_000u64 {
            deep = heap.cell(deep, Noun::direct(i % 3).unwrap());
        }
        walk_everything(&mut heap, deep);
    });
}

#[test]
fn multi_megabyte_atoms_round_trip() {
    on_small_stack(|| {
        let mut heap = Heap::new();
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let limbs: Vec<u64> = (0..(3 << 17))
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                state
            })
            .collect(); // 3 MiB
        let big = heap.atom_from_limbs(&limbs);
        let pair = heap.cell(big, big);
        let bytes = heap.jam(pair);
        assert!(bytes.len() < 3 * 1024 * 1024 + 64, "the repeat is a backreference");
        let back = heap.cue(&bytes).unwrap();
        assert!(heap.eq(back, pair));
        assert_eq!(heap.mug(back), heap.mug(pair));
        let text = heap.print(big);
        let parsed = heap.parse(&text).unwrap();
        assert!(heap.eq(parsed, big));
    });
}
