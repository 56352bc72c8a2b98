//! Atom arithmetic and bit operations against the bignum crate as a reference, on generated atoms that
//! straddle the direct/indirect boundary.

use components::{Heap, Noun, UBig};
use dashu_int::ops::BitTest;
use proptest::prelude::*;

fn atom() -> impl Strategy<Value = Vec<u64>> {
    prop_oneof![
        3 => (0u64..1000).prop_map(|v| vec![v]),
        2 => any::<u64>().prop_map(|v| vec![v]),
        2 => prop_oneof![Just(vec![(1 << 63) - 1]), Just(vec![1 << 63]), Just(vec![u64::MAX]), Just(vec![0, 1])],
        2 => prop::collection::vec(any::<u64>(), 1..4),
    ]
}

fn big(limbs: &[u64]) -> UBig {
    UBig::from_words(limbs)
}

fn check(heap: &Heap, got: Noun, expected: &UBig) -> Result<(), TestCaseError> {
    prop_assert_eq!(&heap.ubig(got).unwrap(), expected);
    prop_assert_eq!(got.is_direct(), expected.bit_len() <= 63, "one representation per value");
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn arithmetic_matches_the_bignum_reference(a in atom(), b in atom()) {
        let mut heap = Heap::new();
        let (x, y) = (heap.atom_from_limbs(&a), heap.atom_from_limbs(&b));
        let (bx, by) = (big(&a), big(&b));
        let r = heap.add(x, y).unwrap();
        check(&heap, r, &(&bx + &by))?;
        let r = heap.mul(x, y).unwrap();
        check(&heap, r, &(&bx * &by))?;
        let r = heap.inc(x).unwrap();
        check(&heap, r, &(&bx + UBig::ONE))?;
        match heap.sub(x, y) {
            Ok(r) => check(&heap, r, &(&bx - &by))?,
            Err(_) => prop_assert!(by > bx),
        }
        match heap.dvr(x, y) {
            Ok((q, m)) => {
                check(&heap, q, &(&bx / &by))?;
                check(&heap, m, &(&bx % &by))?;
            }
            Err(_) => prop_assert_eq!(&by, &UBig::ZERO),
        }
        prop_assert_eq!(heap.cmp_atom(x, y).unwrap(), bx.cmp(&by));
        let (root, rem) = heap.sqt(x).unwrap();
        let (root, rem) = (heap.ubig(root).unwrap(), heap.ubig(rem).unwrap());
        prop_assert_eq!(&root * &root + &rem, bx.clone());
        prop_assert!((&root + UBig::ONE) * (&root + UBig::ONE) > bx);
    }

    #[test]
    fn bit_operations_match_the_bignum_reference(a in atom(), b in atom(), bloq in 0u64..7, n in 0u64..300, m in 0u64..300) {
        let mut heap = Heap::new();
        let (x, y) = (heap.atom_from_limbs(&a), heap.atom_from_limbs(&b));
        let (bx, by) = (big(&a), big(&b));
        let unit = 1usize << bloq;
        let mask = |bits: usize| (UBig::ONE << bits) - UBig::ONE;
        let r = heap.lsh(bloq, n, x).unwrap();
        check(&heap, r, &(&bx << (unit * n as usize)))?;
        let r = heap.rsh(bloq, n, x).unwrap();
        check(&heap, r, &(&bx >> (unit * n as usize)))?;
        let r = heap.end(bloq, n, x).unwrap();
        check(&heap, r, &(&bx & mask(unit * n as usize)))?;
        let r = heap.cut(bloq, n, m, x).unwrap();
        check(&heap, r, &((&bx >> (unit * n as usize)) & mask(unit * m as usize)))?;
        let met = heap.met(bloq, x).unwrap();
        prop_assert_eq!(met, (bx.bit_len() as u64).div_ceil(unit as u64));
        let r = heap.cat(bloq, x, y).unwrap();
        check(&heap, r, &(&bx | (&by << (unit * met as usize))))?;
        let r = heap.mix(x, y).unwrap();
        check(&heap, r, &(&bx ^ &by))?;
        let r = heap.dis(x, y).unwrap();
        check(&heap, r, &(&bx & &by))?;
        let r = heap.con(x, y).unwrap();
        check(&heap, r, &(&bx | &by))?;
        let r = heap.bex(n).unwrap();
        check(&heap, r, &(UBig::ONE << n as usize))?;
        let small = Noun::direct(n % 7).unwrap();
        let r = heap.pow(x, small).unwrap();
        check(&heap, r, &bx.pow((n % 7) as usize))?;
    }
}
