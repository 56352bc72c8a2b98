//! The jet dashboard: `%fast` registrations (cold state), matching a kicked core to a registered location
//! and its jet (warm state), and the table of jets by label path (hot state, [`super::TABLE`]). As in
//! Vere 1.16, a jet binds by its label path; battery hashes are not required (spec/jets.md §2).
//!
//! A location is a battery plus either a root payload or `(axis, parent location)`: a core matches when
//! its battery equals the location's and, walking up, every parent at its axis matches, up to a root
//! whose whole payload is equal. Registrations and the nouns they hold survive collections
//! ([`Dashboard::relocate`]).
//!
//! A clue's hooks (`~%  %qua  +>  ==  %mute  mute  ==`) are kept with its location: a jet that needs
//! another arm (`mule` needs `+mute`) names the hook, which is looked up from the kicked core's location
//! up through its parents, as Vere's `u3j_cook` does, rather than assuming where the arm sits.

use super::ut::{MEMO_WRAPPED, MemoArm};
use super::{JetClass, JetFn, JetOutcome};
use crate::interp::{JetCall, Mote, Task, TaskFn};
use components::hash::U64Map;
use components::{Heap, Noun};

/// At most this many locations are registered (the 2023 pills register a few hundred).
pub const LOCATIONS_MAX: usize = 1 << 16;
/// A label path is at most this many names deep (k140's deepest is nine).
const LABEL_DEPTH_MAX: usize = 32;
/// A clue lists at most this many hooks (k140's most is three); a clue with more registers nothing.
const HOOKS_MAX: usize = 1 << 10;

#[derive(Debug, Clone, Copy)]
enum Parent {
    /// A root: recognised by its entire payload.
    Root { payload: Noun },
    /// A child whose parent core sits at `axis` of it.
    Child { axis: u64, parent: usize },
}

#[derive(Debug, Clone)]
struct Location {
    battery: Noun,
    parent: Parent,
    /// The label path from the root, `k140/one/add`.
    label: String,
    /// How this label's arm is run, if engine has a jet for it.
    jet: Option<Binding>,
    /// The clue's hooks: formulas other jets find by name (`mute` in `qua`), run against this core.
    hooks: Vec<(Vec<u8>, Noun)>,
}

/// How a registered label's arm runs, decided once when it is registered.
#[derive(Debug, Clone, Copy)]
pub enum Binding {
    /// A Rust driver.
    Driver(JetFn),
    /// `+mink`: handed to the machine, which runs the computation in a new road.
    Mink,
    /// A memoizing wrapper ([`super::ut::MEMO_WRAPPED`]): the arm's own Nock behind the memo cache.
    Memo(MemoArm),
    /// A jet that calls gates: a task the machine drives; with the name of the hook it needs, if any
    /// (found from the kicked core up through its parents, as Vere's `u3j_cook` does).
    Task(TaskFn, Option<&'static str>),
}

/// Registered locations and the jets they bind to.
#[derive(Default, Clone)]
pub struct Dashboard {
    locations: Vec<Location>,
    /// Battery mug → locations with a battery of that mug.
    by_battery: U64Map<Vec<usize>>,
    /// Labels registered with no jet in the table, for diagnostics.
    unjetted: Vec<String>,
    /// Cores matched lately, by battery handle ([`RECENT_SLOTS`] entries once used): a core whose
    /// battery and parent (or root payload) are the very nouns of an earlier match is at the same
    /// location, with no hashing and no walk up its parents. Handles change when nouns move, so a
    /// collection empties it ([`Dashboard::relocate`]).
    recent: Vec<Recent>,
}

/// A core matched lately: its battery's handle, the axis of its parent (3, its payload, for a root), that
/// parent's handle, and the location; or a battery that no location has ([`UNREGISTERED`]).
#[derive(Debug, Clone, Copy, Default)]
struct Recent {
    battery: u64,
    axis: u64,
    parent: u64,
    id: usize,
}

/// [`Recent::id`] for a battery no location has.
const UNREGISTERED: usize = usize::MAX;

/// How many cores [`Dashboard::locate`] remembers (a power of two).
const RECENT_SLOTS: usize = 1 << 10;

/// The slot of [`Dashboard::recent`] for a battery's handle.
fn recent_slot(battery: Noun) -> usize {
    let raw = battery.raw();
    ((raw ^ (raw >> 29)).wrapping_mul(0x9e37_79b9_7f4a_7c15) >> (64 - RECENT_SLOTS.trailing_zeros())) as usize
}

/// The text of a clue's name: a term (`add`), or `[term number]` printed joined (`k140`).
fn name_text(heap: &Heap, name: Noun) -> Option<String> {
    let term = |n: Noun| heap.atom(n).map(|a| String::from_utf8_lossy(&a.to_bytes()).into_owned());
    match heap.cell_parts(name) {
        None => term(name),
        Some((t, number)) => Some(format!("{}{}", term(t)?, heap.as_u64(number)?)),
    }
}

/// The parent axis of a clue's parent formula: `Some(0)` for a root (`[1 0]`), `Some(a)` for `[0 a]`,
/// after stripping Nock 11 wrappers; `None` for anything else (the hint is then ignored).
fn parent_axis(heap: &Heap, mut formula: Noun) -> Option<u64> {
    for _ in 0..LABEL_DEPTH_MAX {
        let (op, rest) = heap.cell_parts(formula)?;
        match heap.as_u64(op)? {
            0 => return heap.as_u64(rest).filter(|&a| a >= 2),
            1 => return (heap.as_u64(rest) == Some(0)).then_some(0),
            11 => formula = heap.tail(rest)?,
            _ => return None,
        }
    }
    None
}

/// A clue's hooks, `(list [term nock])`, in a map's terms: a later hook of the same name replaces an
/// earlier one. `None` if an item is not a cell with an atom for its name: then, as in Vere, the whole
/// clue is refused. (The list may end in any atom, as Vere reads it.)
fn hooks_of(heap: &Heap, mut list: Noun) -> Option<Vec<(Vec<u8>, Noun)>> {
    let mut hooks: Vec<(Vec<u8>, Noun)> = Vec::new();
    for _ in 0..=HOOKS_MAX {
        let Some((item, rest)) = heap.cell_parts(list) else { return Some(hooks) };
        let (name, formula) = heap.cell_parts(item)?;
        let name = heap.atom(name)?.to_bytes();
        match hooks.iter_mut().find(|(n, _)| *n == name) {
            Some(hook) => hook.1 = formula,
            None => hooks.push((name, formula)),
        }
        list = rest;
    }
    None
}

/// The arms Vere 1.16 jets under its `a50` test root, each with the k140 driver of the same name. Any
/// other arm registered under `a50` (`scow`, `pow`, `weld`, `muk`, ...) runs as Nock, as in Vere.
const A50_ARMS: [&str; 45] = [
    "add", "dec", "div", "dvr", "gte", "gth", "lte", "lth", "mod", "mul", "sub", "bex", "cat", "can", "con",
    "cut", "dis", "dor", "end", "gor", "lsh", "met", "mix", "mor", "mug", "rep", "rip", "rsh", "swp", "flop",
    "lent", "levy", "reap", "slag", "snag", "turn", "welp", "by/apt", "by/del", "by/get", "by/has", "by/put",
    "in/apt", "in/del", "in/put",
];

/// The jet for a label: k140 labels as in the table; Vere's `a50` test root reuses k140 drivers directly
/// under it for the arms in [`A50_ARMS`] (`a50/dec` is `k140/one/dec`'s driver).
fn jet_for(label: &str) -> Option<Binding> {
    if label == MINK {
        return Some(Binding::Mink);
    }
    if let Some(&(_, arm)) = MEMO_WRAPPED.iter().find(|(l, _)| *l == label) {
        return Some(Binding::Memo(arm));
    }
    if let Some(jet) = super::lookup(label) {
        return Some(Binding::Driver(jet));
    }
    if let Some(task) = super::lookup_task(label) {
        return Some(Binding::Task(task.run, task.hook));
    }
    let rest = label.strip_prefix("a50/")?;
    if !A50_ARMS.contains(&rest) {
        return None;
    }
    let suffix = format!("/{rest}");
    let k140 = |l: &str| l.starts_with("k140/") && l.ends_with(&suffix);
    let mut matches = super::TABLE
        .iter()
        .filter(|j| k140(j.label))
        .map(|j| Binding::Driver(j.run))
        .chain(super::TASKS.iter().filter(|j| k140(j.label)).map(|j| Binding::Task(j.run, j.hook)));
    let first = matches.next()?;
    matches.next().is_none().then_some(first)
}

impl Dashboard {
    /// An empty dashboard.
    pub fn new() -> Dashboard {
        Dashboard::default()
    }

    /// Label paths registered so far, in order.
    pub fn labels(&self) -> impl Iterator<Item = &str> {
        self.locations.iter().map(|l| l.label.as_str())
    }

    /// How many registered locations have a jet.
    pub fn jetted(&self) -> usize {
        self.locations.iter().filter(|l| l.jet.is_some()).count()
    }

    /// The location a core matches, if any. A core matched lately (or a battery found unregistered) is
    /// answered here, inline in the caller; the rest out of line.
    #[inline]
    fn locate(&mut self, heap: &mut Heap, core: Noun) -> Option<usize> {
        let battery = heap.head(core)?;
        let slot = recent_slot(battery);
        if let Some(recent) = self.recent.get(slot)
            && recent.battery == battery.raw()
        {
            if recent.id == UNREGISTERED {
                return None;
            }
            if heap.slot_u64(core, recent.axis).is_some_and(|parent| parent.raw() == recent.parent) {
                return Some(recent.id);
            }
        }
        self.locate_slow(heap, core, battery, slot)
    }

    /// [`Dashboard::locate`] of a core not matched lately: by its battery's mug, walking up its parents.
    #[inline(never)]
    fn locate_slow(&mut self, heap: &mut Heap, core: Noun, battery: Noun, slot: usize) -> Option<usize> {
        if self.recent.is_empty() {
            self.recent = vec![Recent::default(); RECENT_SLOTS];
        }
        let mug = heap.mug(battery) as u64;
        let Some(candidates) = self.by_battery.get(&mug) else {
            // No location has this battery: remembered until the next registration.
            self.recent[slot] = Recent { battery: battery.raw(), axis: 0, parent: 0, id: UNREGISTERED };
            return None;
        };
        let id = candidates.iter().copied().find(|&id| self.matches(heap, core, id))?;
        let axis = match self.locations[id].parent {
            Parent::Root { .. } => 3,
            Parent::Child { axis, .. } => axis,
        };
        let parent = heap.slot_u64(core, axis).expect("matched: the parent is there");
        self.recent[slot] = Recent { battery: battery.raw(), axis, parent: parent.raw(), id };
        Some(id)
    }

    /// Whether `core` is at location `id`: batteries equal all the way up, and the root's payload.
    fn matches(&self, heap: &mut Heap, core: Noun, id: usize) -> bool {
        let (mut core, mut id) = (core, id);
        for _ in 0..LABEL_DEPTH_MAX {
            let location = &self.locations[id];
            let Some((battery, payload)) = heap.cell_parts(core) else { return false };
            if !heap.eq_unify(battery, location.battery) {
                return false;
            }
            match location.parent {
                Parent::Root { payload: root } => return heap.eq_unify(payload, root),
                Parent::Child { axis, parent } => match heap.slot_u64(core, axis) {
                    Some(up) => (core, id) = (up, parent),
                    None => return false,
                },
            }
        }
        false
    }

    /// Runs a `%fast` hint: registers `core` under `clue = [name parent-formula hooks]`. A malformed clue,
    /// an unlocatable parent or a core already registered leaves everything as it was.
    /// How many locations are registered (a dashboard only grows between compactions, so a reader's copy
    /// is current while this and the heap's layout stay the same).
    pub fn locations_len(&self) -> usize {
        self.locations.len()
    }

    /// Forgets the cores matched lately (their handles may name a reader's scratch nouns, gone after its
    /// peek), keeping every registration.
    pub fn forget_recent(&mut self) {
        self.recent.fill(Recent::default());
    }

    pub fn register(&mut self, heap: &mut Heap, core: Noun, clue: Noun) {
        // A gate's `%fast` hint runs each time its arm is computed: a core already registered (the
        // common case) returns here, before its clue is read.
        if self.locations.len() >= LOCATIONS_MAX || core.is_atom() || self.locate(heap, core).is_some() {
            return;
        }
        let Some((name, rest)) = heap.cell_parts(clue) else { return };
        let Some((parent_formula, hooks)) = heap.cell_parts(rest) else { return };
        let (Some(name), Some(axis), Some(hooks)) =
            (name_text(heap, name), parent_axis(heap, parent_formula), hooks_of(heap, hooks))
        else {
            return;
        };
        let (battery, payload) = heap.cell_parts(core).expect("a cell");
        let (parent, label) = if axis == 0 {
            (Parent::Root { payload }, name)
        } else {
            let Some(up) = heap.slot_u64(core, axis) else { return };
            let Some(parent) = self.locate(heap, up) else { return };
            (Parent::Child { axis, parent }, format!("{}/{name}", self.locations[parent].label))
        };
        let jet = jet_for(&label);
        if jet.is_none() {
            self.unjetted.push(label.clone());
        }
        let id = self.locations.len();
        let mug = heap.mug(battery) as u64;
        self.locations.push(Location { battery, parent, label, jet, hooks });
        self.by_battery.entry(mug).or_default().push(id);
        // Batteries remembered as unregistered may be this one.
        self.recent.fill(Recent::default());
    }

    /// The hook named `name` for `core` at location `id`: the `[subject formula]` to run, from the first
    /// location with such a hook going up from `id` through its parents (the subject being the core at
    /// that level). `None` if no location up to the root has it.
    fn hook_at(&self, heap: &Heap, core: Noun, id: usize, name: &str) -> Option<(Noun, Noun)> {
        let (mut core, mut id) = (core, id);
        for _ in 0..LABEL_DEPTH_MAX {
            let location = &self.locations[id];
            if let Some((_, formula)) = location.hooks.iter().find(|(n, _)| n == name.as_bytes()) {
                return Some((core, *formula));
            }
            match location.parent {
                Parent::Root { .. } => return None,
                Parent::Child { axis, parent } => (core, id) = (heap.slot_u64(core, axis)?, parent),
            }
        }
        None
    }

    /// The hook named `name` for a registered `core` (see [`Dashboard::hook_at`]); `None` if the core is
    /// not registered or no location up to its root has the hook.
    pub fn hook(&mut self, heap: &mut Heap, core: Noun, name: &str) -> Option<(Noun, Noun)> {
        let id = self.locate(heap, core)?;
        self.hook_at(heap, core, id, name)
    }

    /// A task for kicking `core` (at location `id`, as [`Dashboard::find`] gave it) through `run`, with
    /// the hook it needs found; `None` (run the arm's Nock) if the hook is not there.
    pub fn task(&self, heap: &Heap, run: TaskFn, hook: Option<&str>, core: Noun, id: usize) -> Option<Task> {
        let mut task = Task::new(run, core);
        if let Some(name) = hook {
            task.hook = Some(self.hook_at(heap, core, id, name)?);
        }
        Some(task)
    }

    /// The jet for kicking arm `axis` of `core`, if the core is registered and has one (every jet in the
    /// table is a gate's arm 2).
    /// Gives the binding and the location (whose label [`Dashboard::label`] gives).
    #[inline]
    pub fn find(&mut self, heap: &mut Heap, core: Noun, axis: Noun) -> Option<(Binding, usize)> {
        if axis.as_direct() != Some(2) {
            return None;
        }
        let id = self.locate(heap, core)?;
        self.locations[id].jet.map(|jet| (jet, id))
    }

    /// The label path of a location [`Dashboard::find`] gave.
    pub fn label(&self, id: usize) -> &str {
        &self.locations[id].label
    }

    /// Kicks arm `axis` of `core` through its jet, if it has one.
    pub fn call(&mut self, heap: &mut Heap, core: Noun, axis: Noun) -> JetCall {
        match self.find(heap, core, axis) {
            Some((Binding::Mink, _)) => mink_call(heap, core),
            Some((Binding::Task(run, hook), id)) => match self.task(heap, run, hook, core, id) {
                Some(task) => JetCall::Task(task),
                None => JetCall::Nock,
            },
            Some((Binding::Driver(jet), _)) => {
                let outcome = jet(heap, core);
                outcome_to_call(heap, outcome)
            }
            // The dashboard keeps no memo cache: the arm's Nock runs.
            Some((Binding::Memo(_), _)) | None => JetCall::Nock,
        }
    }

    /// The registrations as one noun, to be saved with a kernel: a list of `[battery place label hooks]`,
    /// where `place` is `[0 root-payload]` or `[1 axis parent-index]` and `hooks` a list of
    /// `[name formula]`.
    pub fn export(&self, heap: &mut Heap) -> Noun {
        let entries: Vec<Noun> = self
            .locations
            .iter()
            .map(|l| {
                let label = heap.atom_from_bytes(l.label.as_bytes());
                let place = match l.parent {
                    Parent::Root { payload } => heap.cell(Noun::ZERO, payload),
                    Parent::Child { axis, parent } => {
                        let axis = heap.atom_u64(axis);
                        let parent = heap.atom_u64(parent as u64);
                        let link = heap.cell(axis, parent);
                        heap.cell(Noun::ONE, link)
                    }
                };
                let hooks: Vec<Noun> = l
                    .hooks
                    .iter()
                    .map(|(name, formula)| {
                        let name = heap.atom_from_bytes(name);
                        heap.cell(name, *formula)
                    })
                    .collect();
                let hooks = heap.list(&hooks);
                heap.tuple(&[l.battery, place, label, hooks])
            })
            .collect();
        heap.list(&entries)
    }

    /// Registrations saved by [`Dashboard::export`]; `None` if the noun is not shaped like them. An entry
    /// saved before hooks were kept, `[battery place label]`, comes back with no hooks (the jets that
    /// need one then run their arm's Nock).
    pub fn import(heap: &mut Heap, saved: Noun) -> Option<Dashboard> {
        let mut dashboard = Dashboard::new();
        let mut at = saved;
        while let Some((entry, rest)) = heap.cell_parts(at) {
            if dashboard.locations.len() >= LOCATIONS_MAX {
                return None;
            }
            let (battery, tail) = heap.cell_parts(entry)?;
            let (place, rest_of_entry) = heap.cell_parts(tail)?;
            let (label, hooks) = match heap.cell_parts(rest_of_entry) {
                Some((label, hooks)) => (label, hooks_of(heap, hooks)?),
                None => (rest_of_entry, Vec::new()),
            };
            let (kind, data) = heap.cell_parts(place)?;
            let parent = match heap.as_u64(kind)? {
                0 => Parent::Root { payload: data },
                1 => {
                    let (axis, parent) = heap.cell_parts(data)?;
                    let parent = heap.as_u64(parent)? as usize;
                    if parent >= dashboard.locations.len() {
                        return None;
                    }
                    Parent::Child { axis: heap.as_u64(axis)?, parent }
                }
                _ => return None,
            };
            let label = String::from_utf8(heap.atom(label)?.to_bytes()).ok()?;
            let jet = jet_for(&label);
            let mug = heap.mug(battery) as u64;
            dashboard.by_battery.entry(mug).or_default().push(dashboard.locations.len());
            dashboard.locations.push(Location { battery, parent, label, jet, hooks });
            at = rest;
        }
        Some(dashboard)
    }

    /// Rewrites the nouns held here after a collection moved them.
    pub fn relocate(&mut self, relocate: &mut dyn FnMut(Noun) -> Noun) {
        self.recent.fill(Recent::default());
        for location in &mut self.locations {
            location.battery = relocate(location.battery);
            if let Parent::Root { payload } = &mut location.parent {
                *payload = relocate(*payload);
            }
            for (_, formula) in &mut location.hooks {
                *formula = relocate(*formula);
            }
        }
    }
}

/// The label of `+mink`, which the machine runs itself (a new road inside the running computation).
pub const MINK: &str = "k140/one/two/tri/qua/mink";

/// `(mink [subject formula] scry)`: the sample is `[[subject formula] scry]`.
pub fn mink_call(heap: &Heap, core: Noun) -> JetCall {
    match (heap.slot_u64(core, 24), heap.slot_u64(core, 25), heap.slot_u64(core, 13)) {
        (Some(subject), Some(formula), Some(scry)) => JetCall::Mink { subject, formula, scry },
        _ => JetCall::Nock,
    }
}

/// A jet's outcome as the machine takes it: a `%mean` text becomes a `[%mean 'text']` trace frame.
pub fn outcome_to_call(heap: &mut Heap, outcome: JetOutcome) -> JetCall {
    match outcome {
        JetOutcome::Product(product) => JetCall::Product(product),
        JetOutcome::Offload(job) => {
            let answer = job.answer(heap);
            let answered = super::answered(heap, answer);
            outcome_to_call(heap, answered)
        }
        JetOutcome::Punt => JetCall::Nock,
        JetOutcome::Crash(crash) => {
            let mote = match crash.class {
                JetClass::Exit => Mote::Exit,
                JetClass::Fail => Mote::Fail,
                JetClass::Meme => Mote::Meme,
                JetClass::Evil => Mote::Evil,
            };
            let mean = crash.mean.map(|text| crate::interp::mean_frame(heap, text));
            JetCall::Crash { mote, mean }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn term(heap: &mut Heap, text: &str) -> Noun {
        heap.atom_from_bytes(text.as_bytes())
    }

    #[test]
    fn a_child_binds_by_label_only_under_its_registered_root() {
        let mut heap = Heap::new();
        // A root [battery %a50] registered as [%a 50], and a gate [battery [sample root]] named %dec.
        let root_battery = heap.parse("[1 0]").unwrap();
        let payload = term(&mut heap, "a50");
        let root = heap.cell(root_battery, payload);
        let a = term(&mut heap, "a");
        let name = heap.cell(a, Noun::direct(50).unwrap());
        let root_clue = heap.parse("[[1 0] 0]").unwrap();
        let root_clue = heap.cell(name, root_clue);
        let mut dashboard = Dashboard::new();
        dashboard.register(&mut heap, root, root_clue);

        let gate_battery = heap.parse("[0 6]").unwrap();
        let sample_and_context = heap.cell(Noun::direct(5).unwrap(), root);
        let gate = heap.cell(gate_battery, sample_and_context);
        let dec = term(&mut heap, "dec");
        let parent = heap.parse("[[0 7] 0]").unwrap();
        let clue = heap.cell(dec, parent);
        dashboard.register(&mut heap, gate, clue);
        assert_eq!(dashboard.labels().collect::<Vec<_>>(), vec!["a50", "a50/dec"]);

        let two = Noun::direct(2).unwrap();
        let (_, id) = dashboard.find(&mut heap, gate, two).expect("the gate binds");
        assert_eq!(dashboard.label(id), "a50/dec");
        assert!(
            matches!(dashboard.call(&mut heap, gate, two), JetCall::Product(p) if p.as_direct() == Some(4))
        );

        // The same battery under another root payload is not the registered core.
        let other_payload = term(&mut heap, "b50");
        let other_root = heap.cell(root_battery, other_payload);
        let other = heap.cell(Noun::direct(5).unwrap(), other_root);
        let stranger = heap.cell(gate_battery, other);
        assert!(dashboard.find(&mut heap, stranger, two).is_none());
        assert!(dashboard.find(&mut heap, gate, Noun::direct(3).unwrap()).is_none(), "only arm 2 is jetted");
    }

    #[test]
    fn a50_jets_only_the_arms_vere_lists() {
        for label in ["a50/dec", "a50/mug", "a50/welp", "a50/by/put", "a50/in/put"] {
            assert!(jet_for(label).is_some(), "{label} has a k140 driver in Vere's a50 tree");
        }
        // Registered by sword's playpen.hoon under `a50`, but not in Vere 1.16's a50 tree: Nock runs.
        for label in ["a50/scow", "a50/pow", "a50/muk", "a50/weld", "a50/scag", "a50/in/has", "a50/xeb"] {
            assert!(jet_for(label).is_none(), "{label} must run as Nock, as in Vere");
        }
    }

    /// A root `[[1 0] %a50]` registered as `[%a 50]` with `hooks`, and a gate `[[0 6] [5 root]]` under it
    /// named `dec` with no hooks of its own.
    fn root_and_gate(heap: &mut Heap, dashboard: &mut Dashboard, hooks: &str) -> (Noun, Noun) {
        let root_battery = heap.parse("[1 0]").unwrap();
        let payload = term(heap, "a50");
        let root = heap.cell(root_battery, payload);
        let a = term(heap, "a");
        let name = heap.cell(a, Noun::direct(50).unwrap());
        let rest = heap.parse(&format!("[[1 0] {hooks}]")).unwrap();
        let root_clue = heap.cell(name, rest);
        dashboard.register(heap, root, root_clue);
        let gate_battery = heap.parse("[0 6]").unwrap();
        let sample_and_context = heap.cell(Noun::direct(5).unwrap(), root);
        let gate = heap.cell(gate_battery, sample_and_context);
        let dec = term(heap, "dec");
        let parent = heap.parse("[[0 7] 0]").unwrap();
        let clue = heap.cell(dec, parent);
        dashboard.register(heap, gate, clue);
        (root, gate)
    }

    #[test]
    fn a_hook_is_found_from_the_kicked_core_up_through_its_parents() {
        let mut heap = Heap::new();
        let mut dashboard = Dashboard::new();
        // Hook names are terms: %pay is 7.954.800, %arm 7.172.705. A later %pay replaces the earlier one.
        let (root, gate) =
            root_and_gate(&mut heap, &mut dashboard, "[[7954800 0 2] [7172705 9 2 0 1] [7954800 0 3] 0]");
        assert_eq!(dashboard.labels().count(), 2);
        let (subject, formula) = dashboard.hook(&mut heap, gate, "pay").expect("found in the root's clue");
        assert!(heap.eq_unify(subject, root), "the hook runs against the core that declared it");
        assert_eq!(heap.show(formula).to_string(), "[0 3]", "the later of two hooks of one name");
        let (_, formula) = dashboard.hook(&mut heap, gate, "arm").unwrap();
        assert_eq!(heap.show(formula).to_string(), "[9 2 0 1]");
        assert!(dashboard.hook(&mut heap, gate, "nope").is_none());

        // Saved and restored with the registrations (and through a collection's relocation).
        let saved = dashboard.export(&mut heap);
        let mut restored = Dashboard::import(&mut heap, saved).expect("readable");
        let (_, formula) = restored.hook(&mut heap, gate, "pay").unwrap();
        assert_eq!(heap.show(formula).to_string(), "[0 3]");
    }

    #[test]
    fn registrations_saved_before_hooks_were_kept_still_load() {
        let mut heap = Heap::new();
        let mut dashboard = Dashboard::new();
        let (_, gate) = root_and_gate(&mut heap, &mut dashboard, "[[7954800 0 3] 0]");
        // The old form: [battery place label], without the hooks.
        let entries: Vec<Noun> = (0..2)
            .map(|i| {
                let l = &dashboard.locations[i];
                let place = match l.parent {
                    Parent::Root { payload } => heap.cell(Noun::ZERO, payload),
                    Parent::Child { axis, parent } => {
                        let link =
                            heap.tuple(&[Noun::direct(axis).unwrap(), Noun::direct(parent as u64).unwrap()]);
                        heap.cell(Noun::ONE, link)
                    }
                };
                let label = heap.atom_from_bytes(l.label.as_bytes());
                heap.tuple(&[l.battery, place, label])
            })
            .collect();
        let old = heap.list(&entries);
        let mut restored = Dashboard::import(&mut heap, old).expect("the old form is readable");
        assert_eq!(restored.labels().collect::<Vec<_>>(), vec!["a50", "a50/dec"]);
        assert!(restored.hook(&mut heap, gate, "pay").is_none(), "no hooks were saved");
    }

    #[test]
    fn a_clue_with_a_malformed_hook_registers_nothing_as_in_vere() {
        for hooks in ["[5 0]", "[[[1 2] 0 1] 0]", "[[7954800 0 3] 7 0]"] {
            let mut heap = Heap::new();
            let mut dashboard = Dashboard::new();
            root_and_gate(&mut heap, &mut dashboard, hooks);
            assert_eq!(dashboard.labels().count(), 0, "hooks {hooks}: the root is refused, so the gate too");
        }
        let mut heap = Heap::new();
        let mut dashboard = Dashboard::new();
        root_and_gate(&mut heap, &mut dashboard, "[[7954800 0 3] 7]");
        assert_eq!(dashboard.labels().count(), 2, "a list may end in any atom, as Vere reads it");
    }

    #[test]
    fn malformed_clues_register_nothing() {
        let mut heap = Heap::new();
        let core = heap.parse("[[0 1] 7]").unwrap();
        let mut dashboard = Dashboard::new();
        for clue in ["5", "[100 [2 3] 0]", "[100 [0 0] 0]", "[100 [0 6] 0]"] {
            let clue = heap.parse(clue).unwrap();
            dashboard.register(&mut heap, core, clue);
        }
        assert_eq!(dashboard.labels().count(), 0, "no root, no parent found, or a bad parent formula");
    }
}
