//! `engine debug --diff A B`: the first event after which two piers' kernels differ, and where in them.
//! The logs are compared first: while their records are the same, so are the states (events are
//! deterministic), so only one pier is replayed up to the first record that differs; from there both are
//! computed side by side and their mugs compared after each event. At the first difference, the two
//! kernels are walked down to the first subtree that differs: its axis and both values, printed.
//!
//! `engine debug A --diff-jets off|check` compares the pier with itself: its events computed with jets
//! (as `engine run` computes them) beside the same events computed with every arm's Nock run (`off`), or
//! with each jet's answer checked against its arm's Nock (`check`, which also names the first jet call
//! that disagrees), from the first event the pier can start at or from `--from N`.

use super::session::{Jets, Options, Session};
use super::show;
use components::{Heap, Noun};
use std::io::Write;
use std::path::Path;
use store::PierReader;

/// The most characters of each differing subtree printed.
const SUBTREE_CHARS_MAX: usize = 400;

fn say(out: &mut dyn Write, line: String) -> Result<(), String> {
    writeln!(out, "{line}").map_err(|e| format!("diff: {e}"))
}

/// Compares the piers at `a` and `b`, writing what it finds to `out`; `Ok(true)` if they differ.
pub fn run(a: &Path, b: &Path, options: Options, out: &mut impl Write) -> Result<bool, String> {
    let same_until = same_records(a, b)?;
    let mut left = Session::open(a, options)?;
    let mut right = Session::open(b, options)?;
    let start = same_until.max(left.base()).max(right.base());
    left.goto(start)?;
    if start >= right.base() && same_until >= start {
        right.adopt(&mut left)?;
    } else {
        right.goto(start)?;
    }
    say(
        out,
        format!("diff: the logs are the same through event {same_until}; computing both from event {start}"),
    )?;
    compare(&mut left, &mut right, out)
}

/// Compares the pier at `pier` computed with jets against itself computed with `jets` (off or checked),
/// from event `from` (or the first it can start at) to the end of its log.
pub fn run_jets(
    pier: &Path,
    jets: Jets,
    from: Option<u64>,
    options: Options,
    out: &mut impl Write,
) -> Result<bool, String> {
    let mut left = Session::open(pier, Options { jets: Jets::On, ..options })?;
    let mut right = Session::open(pier, Options { jets, ..options })?;
    let start = from.unwrap_or(0).max(left.base());
    left.goto(start)?;
    right.adopt(&mut left)?;
    let how = match jets {
        Jets::Off => "jets off",
        Jets::Check => "each jet checked against its Nock",
        Jets::On => "jets",
    };
    say(out, format!("diff: A computes with jets, B with {how}, both from event {}", left.at()))?;
    compare(&mut left, &mut right, out)
}

/// Steps both sessions an event at a time until their kernels' mugs differ (or an event fails on one, or
/// a jet disagrees with its Nock on B) and says where; `Ok(true)` if they differ.
fn compare(left: &mut Session, right: &mut Session, out: &mut dyn Write) -> Result<bool, String> {
    loop {
        let (left_more, right_more) = (left.step(), right.step());
        let number = left.at().max(right.at());
        match (left_more, right_more) {
            (Ok(false), _) | (_, Ok(false)) => {
                say(out, format!("diff: no difference through event {}", left.at().min(right.at())))?;
                return Ok(false);
            }
            (Err(e), _) | (_, Err(e)) => {
                say(out, format!("diff: first difference at event {number}: one pier's event fails: {e}"))?;
                return Ok(true);
            }
            (Ok(true), Ok(true)) => {}
        }
        if let Some(disagreement) = right.computed(number).and_then(|c| c.jet_disagreement.clone()) {
            say(out, format!("diff: first difference at event {number}: {disagreement}"))?;
            return Ok(true);
        }
        let (left_mug, right_mug) = (left.mug(), right.mug());
        if left_mug != right_mug {
            say(
                out,
                format!(
                    "diff: first difference at event {number}: mug {left_mug:#x} in A, {right_mug:#x} in B"
                ),
            )?;
            for (name, session) in [("A", &*left), ("B", &*right)] {
                if let Some(row) = session.row(number) {
                    say(
                        out,
                        format!("diff: {name}'s event {number}: {} %{} {}", row.wire, row.tag, row.ovum),
                    )?;
                }
            }
            let left_serf = left.serf();
            let left_kernel = left_serf.kernel().ok_or("no kernel")?;
            let right_serf = right.serf();
            let right_kernel = right_serf.kernel().ok_or("no kernel")?;
            let (axis, a_sub, b_sub) =
                first_difference(&mut left_serf.heap, left_kernel, &mut right_serf.heap, right_kernel);
            say(out, format!("diff: the kernels first differ at axis {axis}"))?;
            say(out, format!("diff: A: {}", show::show(&left_serf.heap, a_sub, SUBTREE_CHARS_MAX)))?;
            say(out, format!("diff: B: {}", show::show(&right_serf.heap, b_sub, SUBTREE_CHARS_MAX)))?;
            return Ok(true);
        }
    }
}

/// The last event through which the two logs hold the same records (0 if their first differ, or their
/// lifecycles are not the same length).
fn same_records(a: &Path, b: &Path) -> Result<u64, String> {
    let (a, b) =
        (PierReader::open(a).map_err(|e| e.to_string())?, PierReader::open(b).map_err(|e| e.to_string())?);
    if a.meta.life != b.meta.life || a.first() != b.first() {
        return Ok(a.first().min(b.first()) - 1);
    }
    let mut same = a.first() - 1;
    for number in a.first()..=a.last().min(b.last()) {
        let (x, y) = (a.record(number).copied(), b.record(number).copied());
        if x.map(|r| (r.mug, r.jam_bytes)) != y.map(|r| (r.mug, r.jam_bytes)) {
            break;
        }
        if a.read(number).map_err(|e| e.to_string())?.jam != b.read(number).map_err(|e| e.to_string())?.jam {
            break;
        }
        same = number;
    }
    Ok(same)
}

/// Walks two nouns (in two heaps) down to the first subtree where they differ: into the head if the
/// heads differ, else into the tail, until one side is an atom. Gives its axis (in decimal while it fits
/// 128 bits) and both subtrees. Nouns are told apart by their mugs.
pub fn first_difference(left: &mut Heap, mut a: Noun, right: &mut Heap, mut b: Noun) -> (String, Noun, Noun) {
    let mut path = Vec::new();
    while let (Some((ah, at)), Some((bh, bt))) = (left.cell_parts(a), right.cell_parts(b)) {
        if left.mug(ah) != right.mug(bh) {
            (a, b) = (ah, bh);
            path.push(false);
        } else if left.mug(at) != right.mug(bt) {
            (a, b) = (at, bt);
            path.push(true);
        } else {
            break;
        }
    }
    (axis_text(&path), a, b)
}

/// An axis from the turns taken from the root (`false`: head, `true`: tail).
fn axis_text(path: &[bool]) -> String {
    if path.len() < 127 {
        let axis = path.iter().fold(1u128, |axis, &tail| axis << 1 | u128::from(tail));
        return components::aura::render_ud(axis);
    }
    let bits: String = std::iter::once('1').chain(path.iter().map(|&t| if t { '1' } else { '0' })).collect();
    format!("0b{bits}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_difference_is_found_by_axis() {
        let (mut left, mut right) = (Heap::new(), Heap::new());
        let a = left.parse("[[1 2] [3 [4 5]]]").unwrap();
        let b = right.parse("[[1 2] [3 [4 6]]]").unwrap();
        let (axis, x, y) = first_difference(&mut left, a, &mut right, b);
        assert_eq!(axis, "15");
        assert_eq!((x.as_direct(), y.as_direct()), (Some(5), Some(6)));
        let c = right.parse("[[1 9] 0]").unwrap();
        let (axis, x, _) = first_difference(&mut left, a, &mut right, c);
        assert_eq!(axis, "5");
        assert_eq!(x.as_direct(), Some(2));
    }

    #[test]
    fn deep_axes_are_written_in_binary() {
        assert_eq!(axis_text(&[true, false]), "6");
        assert_eq!(axis_text(&[true; 130]), format!("0b1{}", "1".repeat(130)));
    }
}
