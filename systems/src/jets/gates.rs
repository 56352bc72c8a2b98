//! The arms that take a gate: chapter 2b's lists (`turn`, `roll`, `reel`, `levy`, `lien`, `murn`, `skid`,
//! `skim`, `skip`, `sort`) and chapter 2h–2i's maps and sets (`by/run`, `by/urn`, `by/rep`, `in/rep`,
//! `by/all`, `by/any`, `by/jab`, `in/run`). Each is a [`Task`]: it asks the machine to slam the gate on each item, in the
//! order Vere's jets do (a list from its head, `reel` from its last item, a tree node before its left
//! then right subtree).
//!
//! A list that does not end in `~`, or a tree that is not made of `[node left right]` and `~`, punts
//! before any gate runs (the arm's crash on it is the spec). A gate that answers something other than a
//! loobean where one is tested crashes `exit`, as `?:` does.

use super::axis::{SAM_2, SAM_3};
use crate::interp::{Mote, Task, TaskStep};
use components::{Heap, Noun};

/// Slot 13 of a gate: the tail of its sample (`+<+`), a fold's running value.
const GATE_SAM_3: u64 = 13;

/// Where a map or set door arm finds things: its gate's sample, and the door's sample (the tree).
const GATE: u64 = 6;
const TREE: u64 = 30;

/// `[list gate]` from a `[a=(list) b=gate]` sample, if the list is null-terminated.
fn list_and_gate(heap: &Heap, core: Noun) -> Option<(Noun, Noun)> {
    let list = heap.slot_u64(core, SAM_2)?;
    let gate = heap.slot_u64(core, SAM_3)?;
    proper(heap, list).then_some((list, gate))
}

/// Whether `list` ends in `~`.
fn proper(heap: &Heap, mut list: Noun) -> bool {
    while let Some((_, rest)) = heap.cell_parts(list) {
        list = rest;
    }
    list.as_direct() == Some(0)
}

/// A list built in reverse, turned the right way round.
pub(super) fn reversed(heap: &mut Heap, mut acc: Noun) -> Noun {
    let mut out = Noun::ZERO;
    while let Some((item, rest)) = heap.cell_parts(acc) {
        out = heap.cell(item, out);
        acc = rest;
    }
    out
}

/// The state slot where [`next_item`] keeps the item it asked about.
const ASKED: usize = 7;

/// Starts a list arm: state slot 0 the gate, slot 1 the list; `false` (punt) if the sample is not a
/// null-terminated list and a gate.
fn load_list(heap: &Heap, task: &mut Task) -> bool {
    let Some((list, gate)) = list_and_gate(heap, task.core) else { return false };
    task.load(&[gate, list]);
    true
}

/// Asks for the gate (state slot 0) on the next item of the list (state slot 1), keeping the item in
/// slot [`ASKED`]; `None` at the list's end.
fn next_item(task: &mut Task, heap: &Heap) -> Option<TaskStep> {
    let (item, rest) = heap.cell_parts(task.n[1])?;
    task.n[1] = rest;
    task.n[ASKED] = item;
    Some(TaskStep::Slam { gate: task.n[0], sample: item })
}

fn exit() -> TaskStep {
    TaskStep::Crash { mote: Mote::Exit, mean: None }
}

/// A loobean answer: `Some(true)` for `&` (0), `Some(false)` for `|` (1).
fn loobean(answer: Noun) -> Option<bool> {
    match answer.as_direct() {
        Some(0) => Some(true),
        Some(1) => Some(false),
        _ => None,
    }
}

/// `(turn a b)`: the gate's product on each item. State: gate, rest, products reversed.
pub fn turn(heap: &mut Heap, task: &mut Task, input: Option<Noun>) -> TaskStep {
    match input {
        None if !load_list(heap, task) => return TaskStep::Punt,
        None => {}
        Some(product) => task.n[2] = heap.cell(product, task.n[2]),
    }
    next_item(task, heap).unwrap_or_else(|| TaskStep::Done(reversed(heap, task.n[2])))
}

/// `(roll a b)`: left fold; the gate gets `[item running]`, starting from its own `+<+`.
pub fn roll(heap: &mut Heap, task: &mut Task, input: Option<Noun>) -> TaskStep {
    match input {
        None => {
            let Some((list, gate)) = list_and_gate(heap, task.core) else { return TaskStep::Punt };
            let Some(start) = heap.slot_u64(gate, GATE_SAM_3) else { return TaskStep::Punt };
            task.load(&[gate, list, start]);
        }
        Some(product) => task.n[2] = product,
    }
    fold_step(heap, task)
}

/// `(reel a b)`: right fold: as `roll`, from the last item to the first.
pub fn reel(heap: &mut Heap, task: &mut Task, input: Option<Noun>) -> TaskStep {
    match input {
        None => {
            let Some((list, gate)) = list_and_gate(heap, task.core) else { return TaskStep::Punt };
            let Some(start) = heap.slot_u64(gate, GATE_SAM_3) else { return TaskStep::Punt };
            let backwards = reversed(heap, list);
            task.load(&[gate, backwards, start]);
        }
        Some(product) => task.n[2] = product,
    }
    fold_step(heap, task)
}

/// A fold's next step: slam the gate with `[item running]` (slot 2), or answer the running value.
fn fold_step(heap: &mut Heap, task: &mut Task) -> TaskStep {
    match heap.cell_parts(task.n[1]) {
        Some((item, rest)) => {
            task.n[1] = rest;
            let sample = heap.cell(item, task.n[2]);
            TaskStep::Slam { gate: task.n[0], sample }
        }
        None => TaskStep::Done(task.n[2]),
    }
}

/// `(levy a b)`: does every item pass? Stops at the first that does not.
pub fn levy(heap: &mut Heap, task: &mut Task, input: Option<Noun>) -> TaskStep {
    test_each(heap, task, input, false)
}

/// `(lien a b)`: does some item pass? Stops at the first that does.
pub fn lien(heap: &mut Heap, task: &mut Task, input: Option<Noun>) -> TaskStep {
    test_each(heap, task, input, true)
}

/// Slams each item until the gate answers `stop_on`; the answer is then `stop_on`, else its opposite.
fn test_each(heap: &mut Heap, task: &mut Task, input: Option<Noun>, stop_on: bool) -> TaskStep {
    match input {
        None if !load_list(heap, task) => return TaskStep::Punt,
        None => {}
        Some(answer) => match loobean(answer) {
            Some(pass) if pass == stop_on => return TaskStep::Done(Noun::loobean(stop_on)),
            Some(_) => {}
            None => return exit(),
        },
    }
    next_item(task, heap).unwrap_or(TaskStep::Done(Noun::loobean(!stop_on)))
}

/// `(murn a b)`: the values of the gate's units that are not `~`.
pub fn murn(heap: &mut Heap, task: &mut Task, input: Option<Noun>) -> TaskStep {
    match input {
        None if !load_list(heap, task) => return TaskStep::Punt,
        None => {}
        Some(unit) if unit.as_direct() == Some(0) => {}
        Some(unit) => match heap.tail(unit) {
            Some(value) => task.n[2] = heap.cell(value, task.n[2]),
            None => return exit(),
        },
    }
    next_item(task, heap).unwrap_or_else(|| TaskStep::Done(reversed(heap, task.n[2])))
}

/// `(skim a b)`: the items that pass.
pub fn skim(heap: &mut Heap, task: &mut Task, input: Option<Noun>) -> TaskStep {
    filter(heap, task, input, true)
}

/// `(skip a b)`: the items that do not pass.
pub fn skip(heap: &mut Heap, task: &mut Task, input: Option<Noun>) -> TaskStep {
    filter(heap, task, input, false)
}

/// Keeps the items on which the gate answers `keep`. State: gate, rest, kept reversed.
fn filter(heap: &mut Heap, task: &mut Task, input: Option<Noun>, keep: bool) -> TaskStep {
    match input {
        None if !load_list(heap, task) => return TaskStep::Punt,
        None => {}
        Some(answer) => match loobean(answer) {
            Some(pass) if pass == keep => task.n[2] = heap.cell(task.n[ASKED], task.n[2]),
            Some(_) => {}
            None => return exit(),
        },
    }
    next_item(task, heap).unwrap_or_else(|| TaskStep::Done(reversed(heap, task.n[2])))
}

/// `(skid a b)`: `[pass fail]`, both in list order. State: gate, rest, passes and fails reversed.
pub fn skid(heap: &mut Heap, task: &mut Task, input: Option<Noun>) -> TaskStep {
    match input {
        None if !load_list(heap, task) => return TaskStep::Punt,
        None => {}
        Some(answer) => match loobean(answer) {
            Some(true) => task.n[2] = heap.cell(task.n[ASKED], task.n[2]),
            Some(false) => task.n[3] = heap.cell(task.n[ASKED], task.n[3]),
            None => return exit(),
        },
    }
    next_item(task, heap).unwrap_or_else(|| {
        let pass = reversed(heap, task.n[2]);
        let fail = reversed(heap, task.n[3]);
        TaskStep::Done(heap.cell(pass, fail))
    })
}

// ---- maps and sets --------------------------------------------------------------------------------

/// What a tree walk hands the gate for each node.
#[derive(Clone, Copy)]
enum Part {
    /// The whole node (a set's item, a map's `[key value]`).
    Node,
    /// A map node's value.
    Value,
}

/// The nodes of a tree in the order Vere's jets visit them (node, left, right), as a list of `part`s;
/// `None` if the tree is not made of `[node left right]` cells and `~` (or a map node is not a cell).
fn preorder(heap: &mut Heap, tree: Noun, part: Part) -> Option<Noun> {
    let mut pending = vec![tree];
    let mut visited = Noun::ZERO;
    while let Some(tree) = pending.pop() {
        if tree.as_direct() == Some(0) {
            continue;
        }
        let (node, below) = heap.cell_parts(tree)?;
        let (left, right) = heap.cell_parts(below)?;
        let item = match part {
            Part::Node => node,
            Part::Value => heap.tail(node)?,
        };
        visited = heap.cell(item, visited);
        pending.push(right);
        pending.push(left);
    }
    Some(reversed(heap, visited))
}

/// `~(run by a)` with `b`: each value through the gate, same keys, same tree.
pub fn by_run(heap: &mut Heap, task: &mut Task, input: Option<Noun>) -> TaskStep {
    rebuild_each(heap, task, input, Part::Value)
}

/// `~(urn by a)` with `b`: each value replaced by the gate's product on `[key value]`.
pub fn by_urn(heap: &mut Heap, task: &mut Task, input: Option<Noun>) -> TaskStep {
    rebuild_each(heap, task, input, Part::Node)
}

/// Slams the gate on each node's `part` (state: gate, nodes left, products reversed, the tree), then
/// builds the tree again with the products as values.
fn rebuild_each(heap: &mut Heap, task: &mut Task, input: Option<Noun>, part: Part) -> TaskStep {
    match input {
        None => {
            let (Some(gate), Some(tree)) = (heap.slot_u64(task.core, GATE), heap.slot_u64(task.core, TREE))
            else {
                return TaskStep::Punt;
            };
            let Some(nodes) = preorder(heap, tree, part) else { return TaskStep::Punt };
            task.load(&[gate, nodes, Noun::ZERO, tree]);
        }
        Some(product) => task.n[2] = heap.cell(product, task.n[2]),
    }
    next_item(task, heap).unwrap_or_else(|| {
        let products = reversed(heap, task.n[2]);
        match with_values(heap, task.n[3], products) {
            Some(tree) => TaskStep::Done(tree),
            None => TaskStep::Punt,
        }
    })
}

/// The map `tree` with its values replaced, in preorder, by the items of `values`.
fn with_values(heap: &mut Heap, tree: Noun, mut values: Noun) -> Option<Noun> {
    enum Visit {
        Enter(Noun),
        Build { key: Noun, value: Noun },
    }
    let mut pending = vec![Visit::Enter(tree)];
    let mut built = Vec::new();
    while let Some(visit) = pending.pop() {
        match visit {
            Visit::Enter(tree) => match heap.cell_parts(tree) {
                None => built.push(tree),
                Some((node, below)) => {
                    let (left, right) = heap.cell_parts(below)?;
                    let (value, rest) = heap.cell_parts(values)?;
                    values = rest;
                    let key = heap.head(node)?;
                    pending.push(Visit::Build { key, value });
                    pending.push(Visit::Enter(right));
                    pending.push(Visit::Enter(left));
                }
            },
            Visit::Build { key, value } => {
                let right = built.pop()?;
                let left = built.pop()?;
                let node = heap.cell(key, value);
                built.push(heap.tuple(&[node, left, right]));
            }
        }
    }
    built.pop()
}

/// `~(run in a)` with `b`: the set of the gate's products. The arm puts each product into a new set
/// as it goes (node, then left subtree, then right), and the order of the puts shapes the treap, so the
/// products are put in that order. State: gate, nodes left, the set so far.
pub fn in_run(heap: &mut Heap, task: &mut Task, input: Option<Noun>) -> TaskStep {
    match input {
        None => {
            let (Some(gate), Some(tree)) = (heap.slot_u64(task.core, GATE), heap.slot_u64(task.core, TREE))
            else {
                return TaskStep::Punt;
            };
            let Some(nodes) = preorder(heap, tree, Part::Node) else { return TaskStep::Punt };
            task.load(&[gate, nodes, Noun::ZERO]);
        }
        Some(product) => match super::maps::put(heap, task.n[2], product, false) {
            Ok(set) => task.n[2] = set,
            Err(_) => return TaskStep::Punt,
        },
    }
    next_item(task, heap).unwrap_or(TaskStep::Done(task.n[2]))
}

/// `(~(jab by a) key fun)`: the map with `key`'s value replaced by `(fun value)`; crashes if `key` is
/// absent (before any call). State: the gate, the path down (`[went-left tree]`, deepest first, `&`
/// for left), the node.
pub fn by_jab(heap: &mut Heap, task: &mut Task, input: Option<Noun>) -> TaskStep {
    let Some(value) = input else {
        let (Some(key), Some(gate), Some(mut tree)) = (
            heap.slot_u64(task.core, SAM_2),
            heap.slot_u64(task.core, SAM_3),
            heap.slot_u64(task.core, TREE),
        ) else {
            return TaskStep::Punt;
        };
        let mut path = Noun::ZERO;
        loop {
            if tree.as_direct() == Some(0) {
                return exit();
            }
            let Some((node, below)) = heap.cell_parts(tree) else { return TaskStep::Punt };
            let (Some((left, right)), Some((node_key, node_value))) =
                (heap.cell_parts(below), heap.cell_parts(node))
            else {
                return TaskStep::Punt;
            };
            if heap.eq(key, node_key) {
                task.load(&[gate, path, tree]);
                return TaskStep::Slam { gate, sample: node_value };
            }
            let went_left = heap.gor(key, node_key);
            let step = heap.cell(Noun::loobean(went_left), tree);
            let next = if went_left { left } else { right };
            path = heap.cell(step, path);
            tree = next;
        }
    };
    let Some((node, below)) = heap.cell_parts(task.n[2]) else { return TaskStep::Punt };
    let Some(node_key) = heap.head(node) else { return TaskStep::Punt };
    let node = heap.cell(node_key, value);
    let mut built = heap.cell(node, below);
    let mut path = task.n[1];
    while let Some((step, rest)) = heap.cell_parts(path) {
        let parts = heap.cell_parts(step).and_then(|(side, tree)| {
            let (node, below) = heap.cell_parts(tree)?;
            let (left, right) = heap.cell_parts(below)?;
            Some((side, node, left, right))
        });
        let Some((side, node, left, right)) = parts else { return TaskStep::Punt };
        built = if side.as_direct() == Some(0) {
            heap.tuple(&[node, built, right])
        } else {
            heap.tuple(&[node, left, built])
        };
        path = rest;
    }
    TaskStep::Done(built)
}

/// `~(rep by a)` / `~(rep in a)` with `b`: fold over the nodes; the gate gets `[node running]`,
/// starting from its own `+<+`.
pub fn tree_rep(heap: &mut Heap, task: &mut Task, input: Option<Noun>) -> TaskStep {
    match input {
        None => {
            let (Some(gate), Some(tree)) = (heap.slot_u64(task.core, GATE), heap.slot_u64(task.core, TREE))
            else {
                return TaskStep::Punt;
            };
            let Some(start) = heap.slot_u64(gate, GATE_SAM_3) else { return TaskStep::Punt };
            let Some(nodes) = preorder(heap, tree, Part::Node) else { return TaskStep::Punt };
            task.load(&[gate, nodes, start]);
        }
        Some(product) => task.n[2] = product,
    }
    fold_step(heap, task)
}

/// `~(all by a)` with `b`: does every value pass?
pub fn by_all(heap: &mut Heap, task: &mut Task, input: Option<Noun>) -> TaskStep {
    test_values(heap, task, input, false)
}

/// `~(any by a)` with `b`: does some value pass?
pub fn by_any(heap: &mut Heap, task: &mut Task, input: Option<Noun>) -> TaskStep {
    test_values(heap, task, input, true)
}

fn test_values(heap: &mut Heap, task: &mut Task, input: Option<Noun>, stop_on: bool) -> TaskStep {
    if input.is_none() {
        let (Some(gate), Some(tree)) = (heap.slot_u64(task.core, GATE), heap.slot_u64(task.core, TREE))
        else {
            return TaskStep::Punt;
        };
        let Some(values) = preorder(heap, tree, Part::Value) else { return TaskStep::Punt };
        task.load(&[gate, values]);
        return next_item(task, heap).unwrap_or(TaskStep::Done(Noun::loobean(!stop_on)));
    }
    test_each(heap, task, input, stop_on)
}

// ---- sort -----------------------------------------------------------------------------------------

/// `(sort a b)`: Hoon's quicksort. The head of a run is its pivot; the rest is split, in order, into the
/// items `b` puts before it (`(b item pivot)`) and the others; the first part is sorted, then the pivot
/// comes, then the second part sorted.
///
/// State: gate; the items of the run being split; its pivot; the items before it and the others (both
/// reversed); the stack of what comes next (`[0 run]` to sort, `[1 item]` to output); the output
/// (reversed). Stage 1 while splitting a run.
pub fn sort(heap: &mut Heap, task: &mut Task, input: Option<Noun>) -> TaskStep {
    const RUN: u64 = 0;
    const OUTPUT: u64 = 1;
    match input {
        None => {
            let Some((list, gate)) = list_and_gate(heap, task.core) else { return TaskStep::Punt };
            let run = heap.cell(Noun::ZERO, list);
            let stack = heap.cell(run, Noun::ZERO);
            task.load(&[gate, Noun::ZERO, Noun::ZERO, Noun::ZERO, Noun::ZERO, stack]);
        }
        Some(answer) => {
            let Some((item, rest)) = heap.cell_parts(task.n[1]) else { return TaskStep::Punt };
            task.n[1] = rest;
            match loobean(answer) {
                Some(true) => task.n[3] = heap.cell(item, task.n[3]),
                Some(false) => task.n[4] = heap.cell(item, task.n[4]),
                None => return exit(),
            }
        }
    }
    loop {
        if task.stage == 1 {
            if let Some((item, _)) = heap.cell_parts(task.n[1]) {
                let sample = heap.cell(item, task.n[2]);
                return TaskStep::Slam { gate: task.n[0], sample };
            }
            let before = reversed(heap, task.n[3]);
            let after = reversed(heap, task.n[4]);
            let entries = [(RUN, after), (OUTPUT, task.n[2]), (RUN, before)];
            for (tag, body) in entries {
                let entry = heap.cell(Noun::direct(tag).expect("small"), body);
                task.n[5] = heap.cell(entry, task.n[5]);
            }
            task.n[3] = Noun::ZERO;
            task.n[4] = Noun::ZERO;
            task.stage = 0;
        }
        let Some((entry, rest)) = heap.cell_parts(task.n[5]) else {
            return TaskStep::Done(reversed(heap, task.n[6]));
        };
        task.n[5] = rest;
        let Some((tag, body)) = heap.cell_parts(entry) else { return TaskStep::Punt };
        if tag.as_direct() == Some(OUTPUT) {
            task.n[6] = heap.cell(body, task.n[6]);
        } else if let Some((pivot, items)) = heap.cell_parts(body) {
            task.n[2] = pivot;
            task.n[1] = items;
            task.stage = 1;
        }
    }
}
