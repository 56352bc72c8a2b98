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
