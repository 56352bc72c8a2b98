//! Readers of a committed kernel (systems::scry): a peek answered on another thread, beside the serf,
//! gives the very bits the serf's own peek gives between events, while the serf goes on computing events
//! and compacting; a runaway peek is cut at its budget and the next one is answered.
//!
//! The kernel is a journal (its state keeps every ovum, so each event changes it and a compaction moves
//! all of it) whose peek gate answers `[~ ~ %noun [nom state]]`, and loops forever when `nom` starts
//! with `%loop`. `ENGINE_SCRY_SOAK_SECONDS` makes the concurrent test run that long (CI: a few seconds).

use components::{Heap, Noun};
use engine_tests::{kernel_pill_with_peek, term_atom as t};
use pills::Pill;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use systems::arvo::Runner;
use systems::interp::Mote;
use systems::scry::{PeekError, PeekLimits, Reader};
use systems::serf::{Progress, Serf, Work};

/// The journal kernel with its peek gate: `[0 0 %noun nom state]`, or a loop for `[%loop ...]`.
fn journal_serf() -> Serf {
    let peek = format!(
        "[6 [5 [1 {loop_}] [0 26]] [9 2 0 1] [[1 0] [1 0] [1 {noun}] [0 13] [0 15]]]",
        loop_ = t("loop"),
        noun = t("noun"),
    );
    let journal = "[[1 0] [0 14] [[0 13] [0 15]]]";
    let text = kernel_pill_with_peek("journal", journal, &peek);
    let mut heap = Heap::new();
    let noun = heap.parse(&text).unwrap();
    let Pill::Boot(pill) = Pill::from_noun(&heap, noun).unwrap() else { panic!("a boot pill") };
    let kernel = Runner::new().lifecycle(&mut heap, pill.bot).unwrap();
    Serf::restore(heap, &[kernel], 0).unwrap()
}

/// Computes one event `[now [/test n] %poke n]` to its end.
fn event(serf: &mut Serf, n: u64) {
    let now = serf.heap.atom_u64(n);
    let ovum = serf.heap.parse(&format!("[[{} {n} 0] {} {n}]", t("test"), t("poke"))).unwrap();
    let mut flight = serf.begin(now, ovum);
    loop {
        match serf.advance_pooled(&mut flight, 1 << 20) {
            Progress::Ended(Work::Done { .. }) => return,
            Progress::Ended(_) => panic!("event {n} failed"),
            Progress::Paused => {}
            Progress::Job(job) => {
                let answer = job.answer(&serf.heap);
                serf.give_job(&mut flight, answer)
            }
        }
    }
}

/// The jam of a path to peek at: `[%cx %base n ~]`.
fn path(heap: &mut Heap, n: u64) -> Vec<u8> {
    let nom = heap.parse(&format!("[{} {} {n} 0]", t("cx"), t("base"))).unwrap();
    heap.jam(nom)
}

/// The serf's own answer between events, jammed.
fn between_events(serf: &mut Serf, request: &[u8]) -> Vec<u8> {
    let nom = serf.heap.cue(request).unwrap();
    let lyc = serf.heap.cell(Noun::ZERO, Noun::ZERO);
    let product = serf.peek(lyc, nom).unwrap();
    serf.heap.jam(product)
}

fn jam_of(heap: &mut Heap, result: Result<Noun, PeekError>) -> Result<Vec<u8>, PeekError> {
    result.map(|noun| heap.jam(noun))
}

#[test]
fn a_readers_peek_is_bit_identical_to_the_serfs_between_events() {
    let mut serf = journal_serf();
    let published = serf.share_with_readers();
    let mut reader = Reader::new();
    for n in 1..=40u64 {
        event(&mut serf, n);
        if n.is_multiple_of(13) {
            serf.compact();
        }
        for p in [0, n, 1000 + n] {
            let request = path(&mut serf.heap, p);
            let pooled = std::thread::scope(|s| {
                s.spawn(|| reader.peek(&published, &request, PeekLimits::default(), jam_of)).join().unwrap()
            });
            let own = between_events(&mut serf, &request);
            assert_eq!(pooled.unwrap(), own, "event {n}, path {p}");
        }
    }
    assert_eq!(published.view().unwrap().epoch, 3, "three compactions were published");
}

#[test]
fn a_runaway_peek_is_cut_at_its_budget_and_the_next_is_answered() {
    let mut serf = journal_serf();
    let published = serf.share_with_readers();
    event(&mut serf, 1);
    let mut heap = Heap::new();
    let runaway = {
        let nom = heap.parse(&format!("[{} 0]", t("loop"))).unwrap();
        heap.jam(nom)
    };
    let mut reader = Reader::new();
    let limits = PeekLimits { steps: 1_000_000, words: 1 << 20 };
    let cut = reader.peek(&published, &runaway, limits, jam_of).unwrap_err();
    assert!(matches!(cut, PeekError::Crashed(Mote::Intr | Mote::Meme)), "{cut:?}");
    let request = path(&mut heap, 7);
    let answered = reader.peek(&published, &request, limits, jam_of).unwrap();
    assert_eq!(answered, between_events(&mut serf, &request));
    let garbage = reader.peek(&published, &[0xff, 0x03], limits, jam_of).unwrap_err();
    assert!(matches!(garbage, PeekError::BadPath(_)), "{garbage:?}");
}

/// What the readers saw: the event each answer was computed against, the path, and the answer.
type Seen = Vec<(u64, u64, Vec<u8>)>;

/// Readers peek without pause on two threads while the serf computes events and compacts every few:
/// every answer equals the one the serf gives between events for the event the reader saw.
#[test]
fn readers_peek_continuously_while_the_serf_computes_and_compacts() {
    let seconds: u64 =
        std::env::var("ENGINE_SCRY_SOAK_SECONDS").ok().and_then(|s| s.parse().ok()).unwrap_or(3);
    let mut serf = journal_serf();
    let published = serf.share_with_readers();
    // Readers record the event each answer saw; afterwards each is checked against what the serf
    // answered between events after that event.
    let mut expected: HashMap<(u64, u64), Vec<u8>> = HashMap::new();
    let seen: Arc<Mutex<Seen>> = Arc::default();
    let stop = Arc::new(AtomicBool::new(false));
    let readers: Vec<_> = (0..2)
        .map(|id| {
            let (published, seen, stop) = (Arc::clone(&published), Arc::clone(&seen), Arc::clone(&stop));
            std::thread::spawn(move || {
                let mut reader = Reader::new();
                let mut heap = Heap::new();
                let mut i = 0u64;
                while !stop.load(Ordering::Relaxed) {
                    let p = (i * 2 + id) % 5;
                    let request = path(&mut heap, p);
                    let answer = reader.peek(&published, &request, PeekLimits::default(), jam_of);
                    let answer = answer.expect("every peek is answered");
                    let mut seen = seen.lock().unwrap();
                    if seen.len() < 200_000 {
                        seen.push((reader.last_event(), p, answer));
                    }
                    i += 1;
                }
                i
            })
        })
        .collect();
    let started = Instant::now();
    let mut n = 0u64;
    while started.elapsed() < Duration::from_secs(seconds) && n < seconds * 150 {
        n += 1;
        event(&mut serf, n);
        for p in 0..5 {
            let request = path(&mut serf.heap, p);
            let own = between_events(&mut serf, &request);
            expected.insert((n, p), own);
        }
        if n.is_multiple_of(7) {
            serf.compact();
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    stop.store(true, Ordering::Relaxed);
    let peeks: u64 = readers.into_iter().map(|r| r.join().unwrap()).sum();
    let seen = seen.lock().unwrap();
    let mut checked = 0;
    for (event, p, answer) in seen.iter() {
        if let Some(own) = expected.get(&(*event, *p)) {
            assert_eq!(answer, own, "a reader's answer after event {event}, path {p}");
            checked += 1;
        }
    }
    assert!(peeks > 100 && checked > 100, "{peeks} peeks, {checked} checked over {n} events");
    eprintln!("{peeks} peeks over {n} events and {} compactions; {checked} answers checked", n / 7);
}

/// The same, on a real ship: a booted brass pier's snapshot (`ENGINE_BRASS_PIER`, read only) loaded
/// here, and peeks of many real paths (files, directories, hashes and revisions of the base desk, an
/// agent's scry, paths that do not exist) answered by a reader on another thread and by the serf
/// between events: the same bits. Long (loading the ship): run with `--ignored`.
#[test]
#[ignore = "needs ENGINE_BRASS_PIER, a booted brass pier (see the README's long tests)"]
fn a_brass_ships_pooled_peeks_are_bit_identical_to_its_own() {
    let Some(pier) = std::env::var_os("ENGINE_BRASS_PIER") else {
        eprintln!("skipped: set ENGINE_BRASS_PIER to a booted brass pier");
        return;
    };
    let (heap, info) = store::snapshot::load(&std::path::Path::new(&pier).join(".engine/snap")).unwrap();
    let mut serf = Serf::restore(heap, &info.roots, info.event).unwrap();
    let published = serf.share_with_readers();
    let files = [
        "sys/kelvin",
        "sys/hoon/hoon",
        "sys/arvo/hoon",
        "sys/lull/hoon",
        "sys/zuse/hoon",
        "sys/vane/ames/hoon",
        "sys/vane/clay/hoon",
        "app/dojo/hoon",
        "app/hood/hoon",
        "gen/hi/hoon",
        "lib/strand/hoon",
        "mar/hoon/hoon",
        "desk/bill",
        "no/such/file",
    ];
    let mut requests = Vec::new();
    let mut heap = Heap::new();
    for (care, desk) in [("cx", "base"), ("cy", "base"), ("cz", "base"), ("cu", "base"), ("cx", "kids")] {
        for file in files {
            let items: Vec<String> = file.split('/').map(t).collect();
            requests.push(format!("[1 {} {} {} {} 0]", t("once"), t(care), t(desk), items.join(" ")));
        }
    }
    for extra in [
        format!("[1 {} {} {} 0]", t("once"), t("cw"), t("base")),
        format!("[1 {} {} {} {} 0]", t("once"), t("cy"), t("base"), t("sys")),
        format!("[1 {} {} {} {} {} {} 0]", t("once"), t("gx"), t("hood"), t("kiln"), t("pikes"), t("noun")),
        format!("[1 {} {} {} {} {} 0]", t("once"), t("gx"), t("hood"), t("kiln"), t("noun")),
        format!("[1 {} {} {} 0]", t("once"), t("gy"), t("dojo")),
    ] {
        requests.push(extra);
    }
    let mut reader = Reader::new();
    let mut answered = 0;
    for text in &requests {
        let nom = heap.parse(text).unwrap();
        let request = heap.jam(nom);
        let pooled = std::thread::scope(|s| {
            s.spawn(|| reader.peek(&published, &request, PeekLimits::default(), jam_of)).join().unwrap()
        });
        let nom = serf.heap.cue(&request).unwrap();
        let lyc = serf.heap.cell(Noun::ZERO, Noun::ZERO);
        let own = serf.peek(lyc, nom).map(|product| serf.heap.jam(product));
        match (pooled, own) {
            (Ok(pooled), Ok(own)) => {
                assert_eq!(pooled, own, "{text}");
                answered += usize::from(own.len() > 2);
            }
            (Err(PeekError::Crashed(_)), Err(_)) => {}
            (pooled, own) => {
                panic!("{text}: the reader gave {pooled:?}, the serf {:?}", own.map(|o| o.len()))
            }
        }
    }
    eprintln!("{} paths peeked, {answered} with a value, every answer the same", requests.len());
    assert!(answered >= 30, "most paths exist on a booted ship ({answered})");
}
