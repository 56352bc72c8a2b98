//! Collection at safe points: a loop that allocates more than 50 GiB in all while keeping about 1 MB runs
//! in bounded memory. (Its own test binary, so that the process's peak resident size is this test's.)

use components::{Heap, Noun};
use systems::interp::{Machine, Outcome};

const ITERATIONS: u64 = 52_000;
const ATOM_BYTES: usize = 1 << 20;

/// Peak resident set size of this process, in bytes, from /proc.
fn peak_resident_bytes() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with("VmHWM:")).expect("VmHWM in /proc/self/status");
    let kb: u64 = line.split_whitespace().nth(1).unwrap().parse().unwrap();
    kb * 1024
}

#[test]
fn a_loop_allocating_50_gb_stays_under_1_gb_resident() {
    let mut heap = Heap::new();
    // a = 2^(8 MiB bits): each +(a) copies the whole megabyte into a new atom.
    let big = heap.bex(8 * ATOM_BYTES as u64).unwrap();
    // The core [battery [n a]]: while n < ITERATIONS, recurse with [+(n) +(a)]; then give a.
    let battery = heap
        .parse(&format!("[6 [5 [0 6] [1 {ITERATIONS}]] [0 7] [9 2 [10 [3 [4 0 6] [4 0 7]] 0 1]]]"))
        .unwrap();
    let payload = heap.cell(Noun::ZERO, big);
    let core = heap.cell(battery, payload);
    let formula = heap.parse("[9 2 0 1]").unwrap();

    let mut machine = Machine::new();
    machine.start(&heap, core, formula);
    let Outcome::Done(product) = machine.run(&mut heap, u64::MAX) else { panic!("the loop crashed") };

    let expected = heap.atom_u64(ITERATIONS);
    let expected = heap.add(big, expected).unwrap();
    assert!(heap.eq(product, expected), "the product is a + {ITERATIONS}");
    let allocated = ITERATIONS * ATOM_BYTES as u64;
    assert!(allocated > 50 << 30, "{allocated} bytes allocated in all");
    assert!(machine.collections() > 100, "{} collections", machine.collections());
    let peak = peak_resident_bytes();
    assert!(peak < 1 << 30, "peak resident {} MiB", peak >> 20);
    eprintln!("{} collections, peak resident {} MiB", machine.collections(), peak >> 20);
}
