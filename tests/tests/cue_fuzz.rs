//! Cue on a million hostile inputs: random bytes and mutations of real jam streams. Nothing may panic or
//! hang; every success must round-trip, and the heap may grow only in proportion to the input.
//!
//! `ENGINE_CUE_FUZZ_INPUTS=N` runs N inputs instead of a million (the long mode: 10,000,000); a proptest
//! adds inputs of its own choosing, shrunk to the smallest on a failure.

use components::Heap;
use engine_tests::{cases, field, hex_bytes, pill_bytes, shared_path, vectors};
use proptest::prelude::*;

/// Inputs of the seeded fuzz in CI.
const INPUTS_CI: usize = 1_000_000;

/// xorshift64*: deterministic, so a failure replays exactly from its iteration number.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

fn corpus() -> Vec<Vec<u8>> {
    let mut seeds: Vec<Vec<u8>> = Vec::new();
    let jam = vectors("jam.json");
    seeds.extend(cases(&jam, "cases").iter().map(|c| hex_bytes(field(c, "jam"))));
    for name in ["decrement.jam", "decfast.jam", "hurray.jam", "repeat5_1000_tc.jam"] {
        seeds.push(std::fs::read(shared_path(&format!("jam/{name}"))).unwrap());
    }
    // Prefixes of the pills: cut inside a real kernel, and long enough to reach nested backreferences.
    for name in ["ivory.pill", "sword-baby.pill"] {
        let bytes = pill_bytes(name);
        seeds.push(bytes[..bytes.len().min(512)].to_vec());
    }
    seeds
}

fn mutate(rng: &mut Rng, seed: &[u8], other: &[u8]) -> Vec<u8> {
    let mut bytes = seed.to_vec();
    for _ in 0..1 + rng.below(4) {
        let len = bytes.len();
        match rng.below(7) {
            0 if len > 0 => {
                let i = rng.below(len);
                bytes[i] ^= 1 << rng.below(8);
            }
            1 if len > 0 => {
                let i = rng.below(len);
                bytes[i] = rng.next() as u8;
            }
            2 if len > 0 => bytes.truncate(rng.below(len)),
            3 => {
                let i = rng.below(len + 1);
                bytes.insert(i, rng.next() as u8);
            }
            4 if len > 0 => {
                let (a, b) = (rng.below(len), rng.below(len));
                let chunk = bytes[a.min(b)..a.max(b)].to_vec();
                let at = rng.below(len + 1);
                bytes.splice(at..at, chunk);
            }
            5 if !other.is_empty() => {
                let cut = rng.below(len + 1);
                let from = rng.below(other.len());
                bytes.truncate(cut);
                bytes.extend_from_slice(&other[from..]);
            }
            _ => bytes.extend((0..rng.below(8)).map(|_| rng.next() as u8)),
        }
    }
    bytes
}

/// Cues `bytes` and checks what came out; whether the cue succeeded.
fn check(bytes: &[u8], iteration: usize) -> bool {
    let mut heap = Heap::new();
    match heap.cue(bytes) {
        Ok(noun) => {
            let words = heap.words_used();
            assert!(
                words <= 12 * bytes.len() + 8,
                "iteration {iteration}: {words} heap words for {} input bytes",
                bytes.len()
            );
            let again = heap.jam(noun);
            let back =
                heap.cue(&again).unwrap_or_else(|e| panic!("iteration {iteration}: re-cue failed: {e}"));
            assert!(heap.eq(noun, back), "iteration {iteration}: round trip differs");
            true
        }
        Err(err) => {
            assert!(!err.to_string().is_empty());
            assert_eq!(heap.words_used(), 0, "iteration {iteration}: a failed cue leaves nothing behind");
            false
        }
    }
}

#[test]
fn cue_survives_a_million_random_and_mutated_inputs() {
    let inputs =
        std::env::var("ENGINE_CUE_FUZZ_INPUTS").ok().and_then(|n| n.parse().ok()).unwrap_or(INPUTS_CI);
    let seeds = corpus();
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let (mut ok, mut failed) = (0u64, 0u64);
    let started = std::time::Instant::now();
    for iteration in 0..inputs {
        let bytes = if iteration % 4 == 0 {
            (0..rng.below(48)).map(|_| rng.next() as u8).collect()
        } else {
            let seed = &seeds[rng.below(seeds.len())];
            let other = &seeds[rng.below(seeds.len())];
            mutate(&mut rng, seed, other)
        };
        if check(&bytes, iteration) {
            ok += 1;
        } else {
            failed += 1;
        }
    }
    eprintln!(
        "cue fuzz: {inputs} inputs, {ok} cued, {failed} refused, in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let least = (inputs as u64 / 100).min(10_000);
    assert!(ok > least && failed > least, "the inputs exercise both paths: {ok} ok, {failed} failed");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn cue_of_any_bytes_is_a_noun_or_an_error(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        check(&bytes, 0);
    }

    #[test]
    fn cue_of_a_damaged_jam_is_a_noun_or_an_error(
        which in any::<prop::sample::Index>(),
        at in any::<prop::sample::Index>(),
        byte in any::<u8>(),
        cut in any::<prop::sample::Index>(),
    ) {
        static SEEDS: std::sync::OnceLock<Vec<Vec<u8>>> = std::sync::OnceLock::new();
        let seeds = SEEDS.get_or_init(corpus);
        let mut bytes = seeds[which.index(seeds.len())].clone();
        if !bytes.is_empty() {
            let i = at.index(bytes.len());
            bytes[i] = byte;
            bytes.truncate(1 + cut.index(bytes.len()));
        }
        check(&bytes, 0);
    }
}

#[test]
fn cue_of_a_million_nested_cell_tags_fails_cleanly() {
    // 0x55 = 01010101: four cell tags per byte, never closed.
    let bytes = vec![0x55u8; 250_000];
    let err = Heap::new().cue(&bytes).unwrap_err();
    assert_eq!(err.class(), components::CueClass::Exit);
}
