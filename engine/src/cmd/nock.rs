//! `engine nock FILE [--json]`: run the jam of a `[subject formula]` cell.

use components::Heap;
use std::path::Path;
use std::time::Instant;
use systems::interp::{Machine, Outcome};

pub fn run(file: &Path, json: bool, check_jets: bool) -> Result<(), String> {
    let bytes = std::fs::read(file).map_err(|e| format!("cannot read {}: {e}", file.display()))?;
    // Room for a few million cells up front: growing the heap by doubling copies it each time.
    let mut heap = Heap::with_capacity(1 << 22);
    let noun = heap.cue(&bytes).map_err(|e| format!("cannot cue {}: {e}", file.display()))?;
    let (subject, formula) = heap
        .cell_parts(noun)
        .ok_or_else(|| format!("{} holds an atom, not a [subject formula] cell", file.display()))?;

    let mut machine = Machine::new();
    let interrupt = machine.interrupt_handle();
    signal_hook::flag::register(signal_hook::consts::SIGINT, interrupt)
        .map_err(|e| format!("cannot watch for ctrl-c: {e}"))?;
    let mut hints = systems::interp::ConsoleHints::new(check_jets);
    machine.start(&heap, subject, formula);
    let started = Instant::now();
    let outcome = machine.run_with(&mut heap, &mut hints, u64::MAX);
    let ms = started.elapsed().as_secs_f64() * 1e3;
    if check_jets {
        match &hints.disagreement {
            Some(what) => eprintln!("check-jets: {what}"),
            None => eprintln!("check-jets: {} jet calls agree with their Nock", hints.checked),
        }
        for (label, count) in &hints.known_deviations {
            eprintln!("check-jets: {label} differs from its arm {count} times, as Vere's jet does");
        }
    }
    match outcome {
        Outcome::Done(product) => {
            let mug = heap.mug(product);
            if json {
                let object = serde_json::json!({
                    "product": heap.print(product),
                    "mug": format!("{mug:#x}"),
                    "steps": machine.steps(),
                    "ms": (ms * 1e3).round() / 1e3,
                });
                println!("{object}");
            } else {
                println!("{}", heap.show(product));
                println!("mug={mug:#x} steps={} ms={ms:.3}", machine.steps());
            }
            Ok(())
        }
        Outcome::Crashed(crash) => {
            eprintln!("crash: {}", crash.mote.name());
            for frame in &crash.trace {
                eprintln!("  {}", heap.show(*frame));
            }
            std::process::exit(1);
        }
        Outcome::Paused => unreachable!("an unlimited budget never pauses"),
    }
}
