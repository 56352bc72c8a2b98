//! behn: the timer driver (spec/io.md §5). Arvo's behn vane keeps every timer and tells the runtime only
//! the earliest, with `%doze`; the driver is one timer. When it fires the driver injects `%wake` and arms a
//! ten-minute backstop in case no `%doze` follows; any `%doze` replaces whatever is armed.

use components::{Heap, Noun, aura, time};
use std::time::Duration;

/// The backstop armed after every wake.
pub const BACKSTOP: Duration = Duration::from_secs(600);

const TERM_B: u64 = b'b' as u64;
const TERM_BEHN: u64 = u32::from_le_bytes(*b"behn") as u64;
const TERM_BORN: u64 = u32::from_le_bytes(*b"born") as u64;
const TERM_WAKE: u64 = u32::from_le_bytes(*b"wake") as u64;
const TERM_DOZE: u64 = u32::from_le_bytes(*b"doze") as u64;

/// What the driver wants done with its one timer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimerAction {
    /// Cancel the armed timer, if any, and arm one for this delay.
    Arm(Duration),
    /// Cancel the armed timer, if any.
    Disarm,
}

/// A `%doze` that does not parse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadEffect(pub String);

fn term(heap: &mut Heap, text: &str) -> Noun {
    heap.atom_from_bytes(text.as_bytes())
}

/// The `%born` event for a start whose session nonce is `sev`: `[/b/behn/<sev as @uv> [%born ~]]`.
pub fn born(heap: &mut Heap, sev: u64) -> Noun {
    let nonce = heap.atom_u64(sev);
    let knot = aura::render_uv(heap.atom(nonce).expect("an atom"));
    let knot = term(heap, &knot);
    let wire = heap.list(&[Noun::direct(TERM_B).unwrap(), Noun::direct(TERM_BEHN).unwrap(), knot]);
    let card = heap.cell(Noun::direct(TERM_BORN).unwrap(), Noun::ZERO);
    heap.cell(wire, card)
}

/// The `%wake` event: `[/b/behn [%wake ~]]`.
pub fn wake(heap: &mut Heap) -> Noun {
    let wire = heap.list(&[Noun::direct(TERM_B).unwrap(), Noun::direct(TERM_BEHN).unwrap()]);
    let card = heap.cell(Noun::direct(TERM_WAKE).unwrap(), Noun::ZERO);
    heap.cell(wire, card)
}

/// Whether an effect's wire is behn's (`/behn/...`).
pub fn claims(heap: &Heap, wire: Noun) -> bool {
    heap.head(wire).and_then(|h| h.as_direct()) == Some(TERM_BEHN)
}

/// What a card sent to behn asks of the timer, at `now` (`@da`): `[%doze ~]` disarms, `[%doze ~ t]`
/// arms for `t - now` (zero if `t` has passed). Other cards are refused.
pub fn on_card(heap: &Heap, card: Noun, now: u128) -> Result<TimerAction, BadEffect> {
    let (tag, unit) = heap.cell_parts(card).ok_or_else(|| BadEffect("behn card is an atom".into()))?;
    if tag.as_direct() != Some(TERM_DOZE) {
        return Err(BadEffect(format!("behn does not handle the card %{}", text(heap, tag))));
    }
    match heap.cell_parts(unit) {
        None if unit.as_direct() == Some(0) => Ok(TimerAction::Disarm),
        Some((nil, at)) if nil.as_direct() == Some(0) => {
            let at = heap.atom(at).and_then(|a| match a.limbs() {
                [] => Some(0),
                [low] => Some(*low as u128),
                [low, high] => Some((*high as u128) << 64 | *low as u128),
                _ => None,
            });
            at.map(|t| TimerAction::Arm(time::until(now, t)))
                .ok_or_else(|| BadEffect("%doze time is not a @da".into()))
        }
        _ => Err(BadEffect("%doze carries neither ~ nor [~ @da]".into())),
    }
}

fn text(heap: &Heap, atom: Noun) -> String {
    heap.atom(atom)
        .map(|a| String::from_utf8_lossy(&a.to_bytes()).into_owned())
        .unwrap_or_else(|| "(cell)".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_are_shaped_as_vere_sends_them() {
        let mut heap = Heap::new();
        let w = wake(&mut heap);
        assert_eq!(heap.print(w), format!("[[98 {TERM_BEHN} 0] {TERM_WAKE} 0]"));
        let b = born(&mut heap, 16);
        let knot = u32::from_le_bytes(*b"0vg\0") as u64;
        assert_eq!(heap.print(b), format!("[[98 {TERM_BEHN} {knot} 0] {TERM_BORN} 0]"));
    }

    #[test]
    fn doze_arms_disarms_and_refuses_nonsense() {
        let mut heap = Heap::new();
        let now = time::from_unix_micros(1_000_000_000_000_000);
        let later = now + (5u128 << 64);
        let doze = Noun::direct(TERM_DOZE).unwrap();
        let at = heap.atom_from_limbs(&[later as u64, (later >> 64) as u64]);
        let some = heap.cell(Noun::ZERO, at);
        let arm = heap.cell(doze, some);
        assert_eq!(on_card(&heap, arm, now), Ok(TimerAction::Arm(Duration::from_secs(5))));
        let off = heap.cell(doze, Noun::ZERO);
        assert_eq!(on_card(&heap, off, now), Ok(TimerAction::Disarm));
        let past = heap.cell(Noun::ZERO, Noun::ONE);
        let past = heap.cell(doze, past);
        assert_eq!(on_card(&heap, past, now), Ok(TimerAction::Arm(Duration::ZERO)));
        let wrong = heap.cell(Noun::direct(TERM_WAKE).unwrap(), Noun::ZERO);
        assert!(on_card(&heap, wrong, now).is_err());
        let wire = heap.list(&[Noun::direct(TERM_BEHN).unwrap()]);
        assert!(claims(&heap, wire));
    }
}
