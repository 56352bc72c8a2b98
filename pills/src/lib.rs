//! Pill formats and reading them. A pill file is the jam of a noun, nothing else (spec/arvo.md §1):
//!
//! | pill | noun |
//! |---|---|
//! | ivory | `[%ivory nok ver ~]`: a formula and a trap; `*[ver nok]` builds the ivory kernel |
//! | brass, solid, sword's baby/toddler | `[%pill name bot mod use]`: boot formulas (`bot`, whose length is the ship's `life`), kernel ova (`mod`) and userspace ova (`use`) |
//!
//! Pill files are data kept outside the repository: the user gives their path.
//!
//! ```
//! use components::Heap;
//! let mut heap = Heap::new();
//! let noun = heap.parse("[521610950249 1 2 0]").unwrap(); // [%ivory 1 2 ~]
//! let pill = pills::Pill::from_noun(&heap, noun).unwrap();
//! assert!(matches!(pill, pills::Pill::Ivory { .. }));
//! ```

pub mod locate;

use components::{Heap, Noun};
use std::fmt;
use std::path::{Path, PathBuf};

/// `%ivory`.
pub const TAG_IVORY: u64 = u64::from_le_bytes(*b"ivory\0\0\0");
/// `%pill`.
pub const TAG_PILL: u64 = u64::from_le_bytes(*b"pill\0\0\0\0");
/// Lists in a pill longer than this are refused (brass's longest has a handful of items; the files inside a
/// `%what` card are not walked here).
pub const LIST_ITEMS_MAX: usize = 1 << 20;

/// A pill, its parts still nouns in the heap it was cued into.
#[derive(Debug, Clone, Copy)]
pub enum Pill {
    /// `[%ivory nok ver ~]`.
    Ivory { nok: Noun, ver: Noun },
    /// `[%pill name bot mod use]`.
    Boot(BootPill),
}

/// A pill that boots a ship.
#[derive(Debug, Clone, Copy)]
pub struct BootPill {
    /// The pill's name (`%brass`, `%solid`, `%baby`, ...), a term.
    pub name: Noun,
    /// The lifecycle events: formulas and sources, folded by the first one.
    pub bot: Noun,
    /// Kernel ova, `[wire card]` each.
    pub kernel_ova: Noun,
    /// Userspace ova, `[wire card]` each.
    pub userspace_ova: Noun,
}

/// Why a file is not a usable pill.
#[derive(Debug)]
pub enum PillError {
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    Cue {
        path: PathBuf,
        source: components::CueError,
    },
    /// The noun is not shaped like a pill: what was expected and where.
    Shape(String),
}

impl fmt::Display for PillError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PillError::Read { path, source } => write!(f, "cannot read pill {}: {source}", path.display()),
            PillError::Cue { path, source } => {
                write!(f, "pill {} is not a jam file: {source}", path.display())
            }
            PillError::Shape(why) => write!(f, "not a pill: {why}"),
        }
    }
}

impl std::error::Error for PillError {}

fn shape(why: impl Into<String>) -> PillError {
    PillError::Shape(why.into())
}

/// The items of a null-terminated list, refusing an improper or over-long one.
pub fn list_items(heap: &Heap, list: Noun, what: &str) -> Result<Vec<Noun>, PillError> {
    let mut items = Vec::new();
    let mut at = list;
    while let Some((head, tail)) = heap.cell_parts(at) {
        if items.len() == LIST_ITEMS_MAX {
            return Err(shape(format!("{what} has more than {LIST_ITEMS_MAX} items")));
        }
        items.push(head);
        at = tail;
    }
    if heap.as_u64(at) != Some(0) {
        return Err(shape(format!("{what} is not a list (it does not end in ~)")));
    }
    Ok(items)
}

/// The text of a term, for messages.
pub fn term_text(heap: &Heap, term: Noun) -> String {
    match heap.atom(term) {
        Some(atom) => String::from_utf8_lossy(&atom.to_bytes()).into_owned(),
        None => "(a cell)".into(),
    }
}

impl Pill {
    /// Reads the shape of a cued pill.
    pub fn from_noun(heap: &Heap, noun: Noun) -> Result<Pill, PillError> {
        let (tag, rest) = heap.cell_parts(noun).ok_or_else(|| shape("the noun is an atom"))?;
        match heap.as_u64(tag) {
            Some(TAG_IVORY) => {
                let parts = list_items(heap, rest, "the ivory pill's body")?;
                match parts[..] {
                    [nok, ver] => Ok(Pill::Ivory { nok, ver }),
                    _ => Err(shape(format!(
                        "an ivory pill holds [nok ver ~]; this one has {} items",
                        parts.len()
                    ))),
                }
            }
            Some(TAG_PILL) => {
                let parts =
                    tuple::<4>(heap, rest).ok_or_else(|| shape("a %pill is [%pill name bot mod use]"))?;
                let [name, bot, kernel_ova, userspace_ova] = parts;
                if name.is_cell() {
                    return Err(shape("the pill's name is a cell, not a term"));
                }
                for (list, what) in [(bot, "bot"), (kernel_ova, "mod"), (userspace_ova, "use")] {
                    list_items(heap, list, what)?;
                }
                Ok(Pill::Boot(BootPill { name, bot, kernel_ova, userspace_ova }))
            }
            _ => Err(shape(format!(
                "unrecognized pill tag {:?} (expected %ivory or %pill)",
                term_text(heap, tag)
            ))),
        }
    }

    /// Reads, cues and checks a pill file.
    pub fn load(path: &Path, heap: &mut Heap) -> Result<Pill, PillError> {
        let bytes = std::fs::read(path).map_err(|source| PillError::Read { path: path.into(), source })?;
        let noun = heap.cue(&bytes).map_err(|source| PillError::Cue { path: path.into(), source })?;
        Pill::from_noun(heap, noun)
    }
}

/// The `n` items of a right-nested tuple `[a b ... z]`, the last one being the final tail.
fn tuple<const N: usize>(heap: &Heap, noun: Noun) -> Option<[Noun; N]> {
    let mut items = [Noun::ZERO; N];
    let mut at = noun;
    for item in items.iter_mut().take(N - 1) {
        let (head, tail) = heap.cell_parts(at)?;
        *item = head;
        at = tail;
    }
    items[N - 1] = at;
    Some(items)
}

impl BootPill {
    /// The lifecycle events (`bot`).
    pub fn lifecycle(&self, heap: &Heap) -> Vec<Noun> {
        list_items(heap, self.bot, "bot").expect("checked when the pill was read")
    }

    /// The kernel ova followed by the userspace ova, in boot order.
    pub fn ova(&self, heap: &Heap) -> Vec<Noun> {
        let mut ova = list_items(heap, self.kernel_ova, "mod").expect("checked when the pill was read");
        ova.extend(list_items(heap, self.userspace_ova, "use").expect("checked when the pill was read"));
        ova
    }
}
