//! Chapter 4n of hoon.hoon: running a trap virtualized. `mole` is the typed `mure`: Vere's jet slams
//! `mure` with the trap, so the trap runs once (the arm runs it a second time, unvirtualized, to give
//! the product its type). `mure` runs the trap under `+mink`, passing any scry it makes on outward, and
//! answers `[~ product]`, or `~` if it crashed or blocked. `mule` is the typed `mute`, and likewise runs
//! the trap once, through `mute`.

use crate::interp::{Task, TaskStep};
use components::{Heap, Noun};

/// `mure`'s scry handler, `|=(a=^ ``.*(a [%12 [%0 2] %0 3]))`: scries `[ref path]` one road out and
/// answers `[~ ~ value]`. A gate `[battery [sample context]]` whose battery is
/// `[[1 0] [1 0] 12 [0 12] 0 13]`.
fn pass_on(heap: &mut Heap) -> Noun {
    let scry = heap.parse("[12 [0 12] 0 13]").expect("a formula");
    let null = heap.parse("[1 0]").expect("a formula");
    let unit = heap.cell(null, scry);
    let battery = heap.cell(null, unit);
    let payload = heap.parse("[[0 0] 0]").expect("a payload");
    heap.cell(battery, payload)
}

/// `(mole tap)`: `[~ product]` of the trap, or `~` if it crashes or blocks on a scry.
pub fn mole(heap: &mut Heap, task: &mut Task, input: Option<Noun>) -> TaskStep {
    match input {
        None => {
            let Some(trap) = heap.slot_u64(task.core, 6) else { return TaskStep::Punt };
            let formula = heap.parse("[9 2 0 1]").expect("a formula");
            let scry = pass_on(heap);
            TaskStep::Mink { subject: trap, formula, scry }
        }
        Some(tone) => match heap.cell_parts(tone) {
            Some((tag, product)) if tag.as_direct() == Some(0) => {
                TaskStep::Done(heap.cell(Noun::ZERO, product))
            }
            _ => TaskStep::Done(Noun::ZERO),
        },
    }
}

/// `(mule tap)`: `[%& product]` of the trap, or `[%| tang]` if it crashes or blocks. As Vere's jet does,
/// this slams `+mute` with the trap, so the trap runs once (the arm runs it a second time, unvirtualized,
/// to give the product its type). `+mute` is found as Vere's `u3j_cook` finds it: the hook named `mute`
/// in the clues from the gate up (`qua` registers it), which the dashboard gives as `task.hook`.
/// Stage 0 computes the `mute` gate from its hook; stage 1 slams it.
pub fn mule(heap: &mut Heap, task: &mut Task, input: Option<Noun>) -> TaskStep {
    match input {
        None => {
            let (Some(trap), Some((subject, formula))) = (heap.slot_u64(task.core, 6), task.hook) else {
                return TaskStep::Punt;
            };
            task.load(&[trap]);
            let scry = pass_on(heap);
            TaskStep::Mink { subject, formula, scry }
        }
        Some(tone) => match heap.cell_parts(tone) {
            Some((tag, gate)) if tag.as_direct() == Some(0) => TaskStep::Tail { gate, sample: task.n[0] },
            _ => TaskStep::Punt,
        },
    }
}
