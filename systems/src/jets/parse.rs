//! Chapter 4e–4f of hoon.hoon: the parser combinators. A parser (`rule`) is a gate from a `nail`
//! `[hair=[line column] tape]` to an `edge` `[hair (unit [result nail])]`; `last` keeps the further of two
//! hairs.
//!
//! These follow Vere 1.16's drivers where they differ from the Hoon arms (Vere wins): a hair whose line
//! or column is 2^31 or more crashes `fail`; an edge whose `q` is an atom other than `~` counts as a
//! failed parse (the Hoon tests `?@`); `stew` treats a range key whose bounds are 2^31 or more as a
//! failed parse and crashes `fail` on a character of 2^31 or more; `stir` crashes `exit` on an edge
//! whose `q` is an atom other than `~`.
//!
//! The combinators that call rules are [`Task`]s; `easy`, `just`, `mask` and `shim` call nothing and
//! are plain jets.

use super::{JetOutcome, Step, at, exit, fail, finish};
use crate::interp::{Mote, Task, TaskStep};
use components::{Heap, Noun};

/// Axes in the kicked core. Combinator gates built by a gate (`(cold cus sef)` makes `fun`) see the
/// outer gate's sample in their context: `+>+<` (30) when it is one noun, its halves 60 and 61, and for
/// `stir`'s triple `[rud raq fel]` 60, 122 and 123.
const SAMPLE: u64 = 6;
const VEX: u64 = 12;
const SAB: u64 = 13;
const OUTER: u64 = 30;
const OUTER_2: u64 = 60;
const OUTER_3: u64 = 61;
const OUTER_6: u64 = 122;
const OUTER_7: u64 = 123;
/// `stew`'s dispatch tree, pushed on its gate's subject: the head of the context.
const STEW_TREE: u64 = 14;

/// The largest line or column Vere's `last` compares (a direct atom on 32-bit words).
const CAT_MAX: u64 = (1 << 31) - 1;

fn cat(noun: Noun) -> Option<u64> {
    noun.as_direct().filter(|&n| n <= CAT_MAX)
}

/// Why a combinator stopped early.
enum Stop {
    Exit,
    Fail,
}

impl From<Stop> for TaskStep {
    fn from(stop: Stop) -> TaskStep {
        let mote = match stop {
            Stop::Exit => Mote::Exit,
            Stop::Fail => Mote::Fail,
        };
        TaskStep::Crash { mote, mean: None }
    }
}

type Go<T> = Result<T, Stop>;

fn cell(heap: &Heap, noun: Noun) -> Go<(Noun, Noun)> {
    heap.cell_parts(noun).ok_or(Stop::Exit)
}

fn slot(heap: &Heap, noun: Noun, axis: u64) -> Go<Noun> {
    heap.slot_u64(noun, axis).ok_or(Stop::Exit)
}

/// `(last zyc naz)`: the further hair (`naz` when they are equal).
fn last(heap: &Heap, zyc: Noun, naz: Noun) -> Go<Noun> {
    let (zp, zq) = cell(heap, zyc)?;
    let (np, nq) = cell(heap, naz)?;
    let (Some(zp), Some(zq), Some(np), Some(nq)) = (cat(zp), cat(zq), cat(np), cat(nq)) else {
        return Err(Stop::Fail);
    };
    let further = if zp == np { zq > nq } else { zp > np };
    Ok(if further { zyc } else { naz })
}

/// The further of the hairs of `vex` and the edge `next` parsed after it, and `next`'s unit.
fn further(heap: &Heap, vex: Noun, next: Noun) -> Go<(Noun, Noun)> {
    let (hair, unit) = cell(heap, next)?;
    Ok((last(heap, slot(heap, vex, 2)?, hair)?, unit))
}

/// `(fail tub)`: `[hair ~]`.
fn failed(heap: &mut Heap, tub: Noun) -> Go<Noun> {
    let (hair, _) = cell(heap, tub)?;
    Ok(heap.cell(hair, Noun::ZERO))
}

/// `(next tub)`: consume one character (a newline moves to the next line's column 1).
fn next(heap: &mut Heap, tub: Noun) -> Go<Noun> {
    let (hair, text) = cell(heap, tub)?;
    let Some((char, rest)) = heap.cell_parts(text) else { return failed(heap, tub) };
    let (line, column) = cell(heap, hair)?;
    let moved = if char.as_direct() == Some(10) {
        let line = heap.inc(line).map_err(|_| Stop::Exit)?;
        heap.cell(line, Noun::ONE)
    } else {
        let column = heap.inc(column).map_err(|_| Stop::Exit)?;
        heap.cell(line, column)
    };
    let nail = heap.cell(moved, rest);
    let unit = heap.tuple(&[Noun::ZERO, char, nail]);
    Ok(heap.cell(moved, unit))
}

/// A success edge `[hair [~ result nail]]`.
fn success(heap: &mut Heap, hair: Noun, result: Noun, nail: Noun) -> Noun {
    heap.tuple(&[hair, Noun::ZERO, result, nail])
}

fn plain(body: Go<Noun>) -> JetOutcome {
    match body {
        Ok(product) => JetOutcome::Product(product),
        Err(Stop::Exit) => exit(None),
        Err(Stop::Fail) => fail(),
    }
}

fn step(body: Go<TaskStep>) -> TaskStep {
    body.unwrap_or_else(TaskStep::from)
}

// ---- rules that call nothing ---------------------------------------------------------------------

/// `((easy huf) tub)`: succeed with `huf`, consuming nothing.
pub fn easy(heap: &mut Heap, core: Noun) -> JetOutcome {
    finish((|| -> Step<Noun> {
        let huf = at(heap, core, OUTER)?;
        let tub = at(heap, core, SAMPLE)?;
        let Some((hair, _)) = heap.cell_parts(tub) else { return Err(exit(None)) };
        Ok(success(heap, hair, huf, tub))
    })())
}

/// `((just daf) tub)`: the character `daf`.
pub fn just(heap: &mut Heap, core: Noun) -> JetOutcome {
    plain((|| {
        let daf = slot(heap, core, OUTER)?;
        let tub = slot(heap, core, SAMPLE)?;
        match heap.cell_parts(slot(heap, tub, 3)?) {
            Some((char, _)) if heap.eq(daf, char) => next(heap, tub),
            _ => failed(heap, tub),
        }
    })())
}

/// `((mask bud) tub)`: any character of the list `bud`.
pub fn mask(heap: &mut Heap, core: Noun) -> JetOutcome {
    plain((|| {
        let mut bud = slot(heap, core, OUTER)?;
        let tub = slot(heap, core, SAMPLE)?;
        let Some((char, _)) = heap.cell_parts(slot(heap, tub, 3)?) else { return failed(heap, tub) };
        while let Some((candidate, rest)) = heap.cell_parts(bud) {
            if heap.eq(candidate, char) {
                return next(heap, tub);
            }
            bud = rest;
        }
        failed(heap, tub)
    })())
}

/// `((shim p q) tub)`: a character from `p` to `q`.
pub fn shim(heap: &mut Heap, core: Noun) -> JetOutcome {
    plain((|| {
        let zep = slot(heap, core, OUTER)?;
        let tub = slot(heap, core, SAMPLE)?;
        let Some((char, _)) = heap.cell_parts(slot(heap, tub, 3)?) else { return failed(heap, tub) };
        let (low, high) = cell(heap, zep)?;
        let (Some(low), Some(high), Some(char)) = (cat(low), cat(high), cat(char)) else {
            return Err(Stop::Fail);
        };
        if (low..=high).contains(&char) { next(heap, tub) } else { failed(heap, tub) }
    })())
}

// ---- combinators over an edge: `;~(pfix ...)` and friends -----------------------------------------

/// The parts of a successful edge: `(hair, result, nail)`; `None` for a failed one.
fn parsed(heap: &Heap, vex: Noun) -> Go<Option<(Noun, Noun, Noun)>> {
    let (hair, unit) = cell(heap, vex)?;
    if unit.is_atom() {
        return Ok(None);
    }
    let (result, nail) = cell(heap, slot(heap, unit, 3)?)?;
    Ok(Some((hair, result, nail)))
}

/// Starts a combinator on `[vex sab]`: answers `vex` if it failed, else slams `sab` on its nail. State:
/// vex.
fn on_edge(heap: &mut Heap, task: &mut Task) -> Go<TaskStep> {
    let vex = slot(heap, task.core, VEX)?;
    let sab = slot(heap, task.core, SAB)?;
    task.n[0] = vex;
    task.stage = 1;
    Ok(match parsed(heap, vex)? {
        None => TaskStep::Done(vex),
        Some((_, _, nail)) => TaskStep::Slam { gate: sab, sample: nail },
    })
}

/// `(pfix vex sab)`: `sab` after `vex`, keeping `sab`'s result.
pub fn pfix(heap: &mut Heap, task: &mut Task, input: Option<Noun>) -> TaskStep {
    step((|| match input {
        None => on_edge(heap, task),
        Some(yit) => {
            let (far, unit) = further(heap, task.n[0], yit)?;
            Ok(TaskStep::Done(heap.cell(far, unit)))
        }
    })())
}

/// `(plug vex sab)`: `sab` after `vex`, keeping both results as a pair.
pub fn plug(heap: &mut Heap, task: &mut Task, input: Option<Noun>) -> TaskStep {
    step((|| match input {
        None => on_edge(heap, task),
        Some(yit) => {
            let vex = task.n[0];
            let (far, unit) = further(heap, vex, yit)?;
            let Some((_, second, nail)) = parsed(heap, yit)? else {
                return Ok(TaskStep::Done(heap.cell(far, unit)));
            };
            let first = slot(heap, vex, 14)?;
            let both = heap.cell(first, second);
            Ok(TaskStep::Done(success(heap, far, both, nail)))
        }
    })())
}

/// `(sfix vex sab)`: `sab` after `vex`, keeping `vex`'s result.
pub fn sfix(heap: &mut Heap, task: &mut Task, input: Option<Noun>) -> TaskStep {
    step((|| match input {
        None => on_edge(heap, task),
        Some(yit) => {
            let vex = task.n[0];
            let (far, _) = further(heap, vex, yit)?;
            let Some((_, _, nail)) = parsed(heap, yit)? else {
                return Ok(TaskStep::Done(heap.cell(far, Noun::ZERO)));
            };
            let first = slot(heap, vex, 14)?;
            Ok(TaskStep::Done(success(heap, far, first, nail)))
        }
    })())
}

/// `(pose vex sab)`: `vex` if it parsed, else the trap `sab` kicked.
pub fn pose(heap: &mut Heap, task: &mut Task, input: Option<Noun>) -> TaskStep {
    step((|| match input {
        None => {
            let vex = slot(heap, task.core, VEX)?;
            let sab = slot(heap, task.core, SAB)?;
            task.n[0] = vex;
            let (_, unit) = cell(heap, vex)?;
            Ok(if unit.is_cell() { TaskStep::Done(vex) } else { TaskStep::Kick { core: sab } })
        }
        Some(roq) => {
            let (far, unit) = further(heap, task.n[0], roq)?;
            Ok(TaskStep::Done(heap.cell(far, unit)))
        }
    })())
}

/// `((bend raq) vex sab)`: `sab` after `vex` as an optional suffix: `raq` merges the two results into a
/// unit, and `~` (or no parse) keeps `vex`'s result and nail. State: vex, the further hair, sab's nail.
pub fn bend(heap: &mut Heap, task: &mut Task, input: Option<Noun>) -> TaskStep {
    step((|| match (task.stage, input) {
        (_, None) => on_edge(heap, task),
        (1, Some(yit)) => match merge_after(heap, task, yit)? {
            Ok(merge) => Ok(merge),
            Err((far, _)) => {
                let kept = slot(heap, task.n[0], 3)?;
                Ok(TaskStep::Done(heap.cell(far, kept)))
            }
        },
        (_, Some(vux)) => {
            let (vex, far, nail) = (task.n[0], task.n[1], task.n[2]);
            if vux.as_direct() == Some(0) {
                let kept = slot(heap, vex, 3)?;
                return Ok(TaskStep::Done(heap.cell(far, kept)));
            }
            let merged = slot(heap, vux, 3)?;
            Ok(TaskStep::Done(success(heap, far, merged, nail)))
        }
    })())
}

/// `((comp raq) vex sab)`: `sab` after `vex`, the two results merged by `raq`. State: vex, the further
/// hair, sab's nail.
pub fn comp(heap: &mut Heap, task: &mut Task, input: Option<Noun>) -> TaskStep {
    step((|| match (task.stage, input) {
        (_, None) => on_edge(heap, task),
        (1, Some(yit)) => match merge_after(heap, task, yit)? {
            Ok(merge) => Ok(merge),
            Err((far, unit)) => Ok(TaskStep::Done(heap.cell(far, unit))),
        },
        (_, Some(merged)) => Ok(wrapped_answer(heap, task, merged)),
    })())
}

/// `bend`'s and `comp`'s second step: `sab`'s edge `yit` after `vex` (state slot 0). If `sab` parsed,
/// asks `raq` to merge the two results (keeping the further hair and `sab`'s nail for the answer);
/// otherwise `Err` with the further hair and `sab`'s failed unit.
fn merge_after(heap: &mut Heap, task: &mut Task, yit: Noun) -> Go<Result<TaskStep, (Noun, Noun)>> {
    let vex = task.n[0];
    let (far, unit) = further(heap, vex, yit)?;
    let Some((_, second, nail)) = parsed(heap, yit)? else { return Ok(Err((far, unit))) };
    let raq = slot(heap, task.core, OUTER)?;
    let first = slot(heap, vex, 14)?;
    let sample = heap.cell(first, second);
    Ok(Ok(then_wrap(task, far, nail, raq, sample)))
}

/// Asks for `gate` on `sample`; its product will be the result of the answer `[hair [~ product nail]]`
/// ([`wrapped_answer`], stage 2).
fn then_wrap(task: &mut Task, hair: Noun, nail: Noun, gate: Noun, sample: Noun) -> TaskStep {
    task.n[1] = hair;
    task.n[2] = nail;
    task.stage = 2;
    TaskStep::Slam { gate, sample }
}

/// The answer once [`then_wrap`]'s gate gave `product`.
fn wrapped_answer(heap: &mut Heap, task: &Task, product: Noun) -> TaskStep {
    TaskStep::Done(success(heap, task.n[1], product, task.n[2]))
}

/// `((glue bus) vex sab)`: `vex`, the delimiter `bus`, then `sab`; the results of `vex` and `sab` as a
/// pair. State: vex, the further hair so far.
pub fn glue(heap: &mut Heap, task: &mut Task, input: Option<Noun>) -> TaskStep {
    step((|| match (task.stage, input) {
        (_, None) => {
            let vex = slot(heap, task.core, VEX)?;
            task.n[0] = vex;
            task.stage = 1;
            let bus = slot(heap, task.core, OUTER)?;
            Ok(match parsed(heap, vex)? {
                None => TaskStep::Done(vex),
                Some((_, _, nail)) => TaskStep::Slam { gate: bus, sample: nail },
            })
        }
        (1, Some(yit)) => {
            let (far, _) = further(heap, task.n[0], yit)?;
            let Some((_, _, nail)) = parsed(heap, yit)? else {
                return Ok(TaskStep::Done(heap.cell(far, Noun::ZERO)));
            };
            let sab = slot(heap, task.core, SAB)?;
            task.n[1] = far;
            task.stage = 2;
            Ok(TaskStep::Slam { gate: sab, sample: nail })
        }
        (_, Some(wam)) => {
            let (hair, _) = cell(heap, wam)?;
            let far = last(heap, task.n[1], hair)?;
            let Some((_, second, nail)) = parsed(heap, wam)? else {
                return Ok(TaskStep::Done(heap.cell(far, Noun::ZERO)));
            };
            let first = slot(heap, task.n[0], 14)?;
            let both = heap.cell(first, second);
            Ok(TaskStep::Done(success(heap, far, both, nail)))
        }
    })())
}

// ---- rules built from a rule: `(cook poq sef)` and friends ---------------------------------------

/// Starts a rule wrapper: slams the wrapped rule (`sef`, at 61) on the nail. State: the nail.
fn wrapped(heap: &mut Heap, task: &mut Task) -> Go<TaskStep> {
    let tub = slot(heap, task.core, SAMPLE)?;
    let sef = slot(heap, task.core, OUTER_3)?;
    task.n[0] = tub;
    task.stage = 1;
    Ok(TaskStep::Slam { gate: sef, sample: tub })
}

/// `((cold cus sef) tub)`: `sef`, with its result replaced by `cus`.
pub fn cold(heap: &mut Heap, task: &mut Task, input: Option<Noun>) -> TaskStep {
    step((|| match input {
        None => wrapped(heap, task),
        Some(vex) => {
            let Some((hair, _, nail)) = parsed(heap, vex)? else { return Ok(TaskStep::Done(vex)) };
            let cus = slot(heap, task.core, OUTER_2)?;
            Ok(TaskStep::Done(success(heap, hair, cus, nail)))
        }
    })())
}

/// `((stag gob sef) tub)`: `sef`, with its result tagged `[gob result]`.
pub fn stag(heap: &mut Heap, task: &mut Task, input: Option<Noun>) -> TaskStep {
    step((|| match input {
        None => wrapped(heap, task),
        Some(vex) => {
            let Some((hair, result, nail)) = parsed(heap, vex)? else { return Ok(TaskStep::Done(vex)) };
            let gob = slot(heap, task.core, OUTER_2)?;
            let tagged = heap.cell(gob, result);
            Ok(TaskStep::Done(success(heap, hair, tagged, nail)))
        }
    })())
}

/// `((cook poq sef) tub)`: `sef`, with `poq` applied to its result. State: the nail, then sef's hair
/// and nail.
pub fn cook(heap: &mut Heap, task: &mut Task, input: Option<Noun>) -> TaskStep {
    step((|| match (task.stage, input) {
        (_, None) => wrapped(heap, task),
        (1, Some(vex)) => {
            let Some((hair, result, nail)) = parsed(heap, vex)? else { return Ok(TaskStep::Done(vex)) };
            let poq = slot(heap, task.core, OUTER_2)?;
            Ok(then_wrap(task, hair, nail, poq, result))
        }
        (_, Some(wag)) => Ok(wrapped_answer(heap, task, wag)),
    })())
}

/// `((here hez sef) tub)`: `sef`, with `hez` given `[[start end] result]`, the span it parsed.
pub fn here(heap: &mut Heap, task: &mut Task, input: Option<Noun>) -> TaskStep {
    step((|| match (task.stage, input) {
        (_, None) => wrapped(heap, task),
        (1, Some(vex)) => {
            let Some((hair, result, nail)) = parsed(heap, vex)? else { return Ok(TaskStep::Done(vex)) };
            let hez = slot(heap, task.core, OUTER_2)?;
            let start = slot(heap, task.n[0], 2)?;
            let end = slot(heap, nail, 2)?;
            let span = heap.cell(start, end);
            let sample = heap.cell(span, result);
            Ok(then_wrap(task, hair, nail, hez, sample))
        }
        (_, Some(wag)) => Ok(wrapped_answer(heap, task, wag)),
    })())
}

/// `((stew leh) tub)`: the rule keyed by the next character (or a range holding it) in `stew`'s
/// dispatch tree, or no parse.
pub fn stew(heap: &mut Heap, task: &mut Task, input: Option<Noun>) -> TaskStep {
    debug_assert!(input.is_none(), "stew's only call is a tail call");
    step((|| {
        let tub = slot(heap, task.core, SAMPLE)?;
        let mut tree = slot(heap, task.core, STEW_TREE)?;
        let (_, text) = cell(heap, tub)?;
        let Some((char, _)) = heap.cell_parts(text) else { return Ok(TaskStep::Done(failed(heap, tub)?)) };
        let char = cat(char).ok_or(Stop::Fail)?;
        while let Some((node, rest)) = heap.cell_parts(tree) {
            let (left, right) = cell(heap, rest)?;
            let (key, rule) = cell(heap, node)?;
            let (hit, below) = match heap.cell_parts(key) {
                None => (key.as_direct() == Some(char), char < cat(key).ok_or(Stop::Fail)?),
                Some((low, high)) => {
                    let (Some(low), Some(high)) = (cat(low), cat(high)) else {
                        return Ok(TaskStep::Done(failed(heap, tub)?));
                    };
                    ((low..=high).contains(&char), char < low)
                }
            };
            if hit {
                return Ok(TaskStep::Tail { gate: rule, sample: tub });
            }
            tree = if below { left } else { right };
        }
        Ok(TaskStep::Done(failed(heap, tub)?))
    })())
}

/// `((stir rud raq fel) tub)`: `fel` as many times as it parses, the results folded by `raq` from the
/// last to the first, starting at `rud`. State: the nail, the stack of `[hair result]` parsed (innermost
/// first), then the folded hair and result.
pub fn stir(heap: &mut Heap, task: &mut Task, input: Option<Noun>) -> TaskStep {
    step((|| {
        match (task.stage, input) {
            (_, None) => {
                task.n[0] = slot(heap, task.core, SAMPLE)?;
                task.stage = 1;
            }
            (1, Some(vex)) => {
                let (hair, unit) = cell(heap, vex)?;
                if unit.as_direct() == Some(0) {
                    task.n[2] = hair;
                    task.n[3] = slot(heap, task.core, OUTER_2)?;
                    task.stage = 2;
                    return fold_parsed(heap, task);
                }
                let (result, nail) = cell(heap, slot(heap, unit, 3)?)?;
                let frame = heap.cell(hair, result);
                task.n[1] = heap.cell(frame, task.n[1]);
                task.n[0] = nail;
            }
            (_, Some(folded)) => {
                task.n[3] = folded;
                return fold_parsed(heap, task);
            }
        }
        let fel = slot(heap, task.core, OUTER_7)?;
        Ok(TaskStep::Slam { gate: fel, sample: task.n[0] })
    })())
}

/// `stir`'s fold: the next `[hair result]` off the stack goes through `raq`, or the fold is done.
fn fold_parsed(heap: &mut Heap, task: &mut Task) -> Go<TaskStep> {
    let Some((frame, rest)) = heap.cell_parts(task.n[1]) else {
        return Ok(TaskStep::Done(success(heap, task.n[2], task.n[3], task.n[0])));
    };
    let (hair, result) = cell(heap, frame)?;
    task.n[1] = rest;
    task.n[2] = last(heap, hair, task.n[2])?;
    let raq = slot(heap, task.core, OUTER_6)?;
    Ok(TaskStep::Slam { gate: raq, sample: heap.cell(result, task.n[3]) })
}
