//! Reading and making the small nouns the drivers' cards are made of.

use components::{Heap, Noun};

/// A term of at most 8 bytes as a direct atom (`%born`).
pub(crate) fn term(text: &str) -> Noun {
    let mut bytes = [0u8; 8];
    bytes[..text.len()].copy_from_slice(text.as_bytes());
    Noun::direct(u64::from_le_bytes(bytes)).expect("a short term")
}

/// An atom's bytes (a cord, a knot), or `None` for a cell.
pub(crate) fn bytes_of(heap: &Heap, noun: Noun) -> Option<Vec<u8>> {
    heap.atom(noun).map(|a| a.to_bytes())
}

/// The items of a null-terminated list of at most `max` items (`None` past that, or for a list that
/// does not end in `~`).
pub(crate) fn list_items(heap: &Heap, mut list: Noun, max: usize) -> Option<Vec<Noun>> {
    let mut items = Vec::new();
    while let Some((item, rest)) = heap.cell_parts(list) {
        if items.len() == max {
            return None;
        }
        items.push(item);
        list = rest;
    }
    (list.as_direct() == Some(0)).then_some(items)
}

/// A driver's scry of the kernel as Vere's `u3_pier_peek_last` makes it: `[%| %once view %$ path]`, the
/// desk empty and the case the last event's (for `Serf::peek`, with gang `~`).
pub fn once_peek(heap: &mut Heap, view: &str, path: &[&[u8]]) -> Noun {
    let items: Vec<Noun> = path.iter().map(|item| heap.atom_from_bytes(item)).collect();
    let path = heap.list(&items);
    let once = heap.atom_from_bytes(b"once");
    let view = heap.atom_from_bytes(view.as_bytes());
    heap.tuple(&[Noun::ONE, once, view, Noun::ZERO, path])
}
