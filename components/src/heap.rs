//! The heap: one arena of 64-bit words per ship, holding indirect atoms and cells.
//!
//! Box layouts (offsets in words; a [`Noun`] handle holds the offset of its box):
//!
//! | box | words |
//! |---|---|
//! | cell | `head`, `tail`, `mug` (0 until computed) |
//! | indirect atom | `len | mug << 32`, then `len` little-endian limbs, the top one non-zero |
//!
//! An indirect atom always needs more than 63 bits (smaller values are direct), so every value has exactly
//! one representation and atoms compare by their limbs. Boxes never change once built, except the mug slot,
//! which is filled once.

use crate::noun::{DIRECT_MAX, Noun};
use crate::region::{self, Region};
use dashu_int::UBig;
use hashbrown::HashMap;
use std::cell::Cell;
use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

thread_local! {
    /// Where this thread's new lineages come from in a simulation ([`simulate_lineages`]).
    static SIMULATED_LINEAGES: Cell<Option<u64>> = const { Cell::new(None) };
}

/// Makes the lineages that heaps on this thread take from now on a sequence drawn from `seed` (`None`:
/// from the clock, as in production), so that a simulation's snapshot files, named by lineage, are the
/// same on every run of one seed.
pub fn simulate_lineages(seed: Option<u64>) {
    SIMULATED_LINEAGES.set(seed);
}

/// A reader keeps at most this many mugs of its owner's boxes before it starts its table again.
const BORROWED_MUGS_MAX: usize = 1 << 20;

/// The limit on one atom's size, in 64-bit limbs (2^32 limbs = 32 GiB), as in Vere's `0xffffffff` bytes.
pub const ATOM_LIMBS_MAX: usize = u32::MAX as usize;

/// An atom seen through the heap: its value as little-endian 64-bit limbs.
#[derive(Clone, Copy, Debug)]
pub enum AtomRef<'a> {
    /// A value below 2^63.
    Direct(u64),
    /// The limbs of a value of at least 2^63 (the top limb is non-zero).
    Indirect(&'a [u64]),
}

impl<'a> AtomRef<'a> {
    /// The limbs, least significant first, with no high zero limb (0 has none).
    #[inline]
    pub fn limbs(&self) -> &[u64] {
        match self {
            AtomRef::Direct(0) => &[],
            AtomRef::Direct(v) => std::slice::from_ref(v),
            AtomRef::Indirect(limbs) => limbs,
        }
    }

    /// The value if it fits in 64 bits.
    #[inline]
    pub fn as_u64(&self) -> Option<u64> {
        match *self {
            AtomRef::Direct(v) => Some(v),
            AtomRef::Indirect([v]) => Some(*v),
            AtomRef::Indirect(_) => None,
        }
    }

    /// `met(0, a)`: the number of significant bits.
    #[inline]
    pub fn bit_len(&self) -> u64 {
        let limbs = self.limbs();
        match limbs.last() {
            None => 0,
            Some(top) => (limbs.len() as u64 - 1) * 64 + (64 - top.leading_zeros() as u64),
        }
    }

    /// `met(3, a)`: the number of significant bytes.
    #[inline]
    pub fn byte_len(&self) -> u64 {
        self.bit_len().div_ceil(8)
    }

    /// Bit `i` of the value.
    #[inline]
    pub fn bit(&self, i: u64) -> bool {
        let limbs = self.limbs();
        let word = (i / 64) as usize;
        word < limbs.len() && (limbs[word] >> (i % 64)) & 1 == 1
    }

    /// The canonical little-endian bytes (`met(3, a)` of them; none for 0).
    pub fn to_bytes(&self) -> Vec<u8> {
        let byte_len = self.byte_len() as usize;
        let mut bytes: Vec<u8> = self.limbs().iter().flat_map(|l| l.to_le_bytes()).collect();
        bytes.truncate(byte_len);
        bytes
    }

    /// The value as a bignum.
    pub fn to_ubig(&self) -> UBig {
        UBig::from_words(self.limbs())
    }
}

/// A cell or an atom, as [`Heap::view`] sees it.
#[derive(Clone, Copy, Debug)]
pub enum NounRef<'a> {
    Atom(AtomRef<'a>),
    Cell(Noun, Noun),
}

/// A work stack that grew past this many entries (a comparison or a hash of a very deep noun) is not
/// kept for the next call.
pub(crate) const SCRATCH_KEPT_MAX: usize = 1 << 16;

/// A step of [`Heap::eq_unify`]'s loop.
#[derive(Clone, Copy)]
enum UnifyStep {
    Compare(Noun, Noun),
    /// Both halves of these cells were equal: share them.
    Share(Noun, Noun),
}

/// A noun arena. Cells and indirect atoms are bump-allocated; handles are offsets into it.
///
/// Its words live in a [`Region`](crate::region::Region) that never moves. A heap made by [`Heap::new`]
/// owns the region's main part; a reader's heap ([`SharedRegion::reader`]) allocates in a slot of another
/// heap's region and reads that heap's boxes through the same handles.
pub struct Heap {
    region: Option<Arc<Region>>,
    /// The region's first word.
    base: *mut u64,
    /// The first word of this heap's own part: 0 for an owner, the slot's start for a reader. Words below
    /// it (a reader's) belong to the owner and are never written here.
    start: usize,
    /// The next free word (an offset from `base`).
    len: usize,
    /// Words below this are readable and writable.
    committed: usize,
    /// The end of this heap's own part.
    end: usize,
    /// The highest length since pages were last given back.
    touched: usize,
    /// A reader's slot number.
    slot: Option<usize>,
    /// Cuts below this are refused: the length an owner published to readers.
    pinned: usize,
    /// A reader's mugs of the owner's boxes whose mug slots were empty (a reader never writes them).
    borrowed_mugs: HashMap<usize, u32>,
    /// The work stack of [`Heap::eq_unify`], kept between calls (empty between them) so that a
    /// comparison deeper than its first level allocates nothing.
    scratch: Vec<UnifyStep>,
    /// The same for [`Heap::mug`].
    pub(crate) mug_stack: Vec<Noun>,
    /// Names this heap's history: it stays the same while the heap is only appended to, so a snapshot
    /// can tell whether writing the words past its last write is enough. 0 until first asked for.
    lineage: AtomicU64,
    /// The words below this mark are on disk ([`Heap::seal`] after a snapshot, or [`Heap::from_image`]):
    /// cutting the heap below it starts a new lineage.
    sealed: AtomicUsize,
    /// The lowest mark the heap was cut at since it was last sealed (`usize::MAX` if none): what a
    /// snapshot asserts before it appends to the words on disk.
    lowest_cut: AtomicUsize,
}

// SAFETY: a heap's words are reached through `base`, a pointer into its region, which the heap keeps alive
// (the `Arc`); the heap writes only its own part. Moving a heap to another thread moves that ownership.
unsafe impl Send for Heap {}
// SAFETY: through `&Heap` only reads happen (and the atomics of the lineage marks); the words another
// thread may store to while they are read are read atomically (`region::load`).
unsafe impl Sync for Heap {}

impl Default for Heap {
    fn default() -> Heap {
        let (region, committed) = Region::take();
        Heap {
            base: region.base(),
            region: Some(Arc::new(region)),
            start: 0,
            len: 0,
            committed,
            end: region::main_end(),
            touched: 0,
            slot: None,
            pinned: 0,
            borrowed_mugs: HashMap::new(),
            scratch: Vec::new(),
            mug_stack: Vec::new(),
            lineage: AtomicU64::new(0),
            sealed: AtomicUsize::new(0),
            lowest_cut: AtomicUsize::new(usize::MAX),
        }
    }
}

impl Drop for Heap {
    fn drop(&mut self) {
        let Some(region) = self.region.take() else { return };
        if let Some(slot) = self.slot {
            region.release_slot(slot);
            return;
        }
        // An owner whose region no reader holds gives it back for reuse.
        if let Ok(region) = Arc::try_unwrap(region) {
            region.give_back(self.committed);
        }
    }
}

impl Clone for Heap {
    /// A copy has its own lineage (and region): the two may grow apart.
    fn clone(&self) -> Heap {
        assert!(self.slot.is_none(), "a reader's heap is not cloned");
        let mut copy = Heap::new();
        copy.extend_words(self.words());
        copy
    }
}

/// Another heap's region, shared with readers on other threads ([`SharedRegion::reader`]).
#[derive(Clone)]
pub struct SharedRegion(Arc<Region>);

impl SharedRegion {
    /// A heap that reads the owner's boxes (those below the length the owner published: see
    /// [`Heap::pin`]) and allocates in a slot of its own. `None` when every slot is taken.
    pub fn reader(&self) -> Option<Heap> {
        let (start, slot) = self.0.claim_slot()?;
        Some(Heap {
            base: self.0.base(),
            region: Some(Arc::clone(&self.0)),
            start,
            len: start,
            committed: start,
            end: region::slot_end(start),
            touched: start,
            slot: Some(slot),
            pinned: start,
            borrowed_mugs: HashMap::new(),
            scratch: Vec::new(),
            mug_stack: Vec::new(),
            lineage: AtomicU64::new(0),
            sealed: AtomicUsize::new(0),
            lowest_cut: AtomicUsize::new(usize::MAX),
        })
    }

    /// Whether `heap` is the owner of this region or one of its readers.
    pub fn holds(&self, heap: &Heap) -> bool {
        heap.region.as_ref().is_some_and(|r| Arc::ptr_eq(r, &self.0))
    }
}

/// A heap image that does not hold up: a handle out of range or a malformed atom box.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageError {
    /// The word offset of the bad box.
    pub offset: usize,
    pub why: &'static str,
}

impl fmt::Display for ImageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "heap image: box at word {}: {}", self.offset, self.why)
    }
}

impl std::error::Error for ImageError {}

impl fmt::Debug for Heap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Heap").field("words_used", &self.len).field("start", &self.start).finish()
    }
}

impl Heap {
    /// An empty heap.
    pub fn new() -> Heap {
        Heap::default()
    }

    /// An empty heap with room for `words` words before it grows.
    pub fn with_capacity(words: usize) -> Heap {
        let mut heap = Heap::default();
        heap.reserve_words(words);
        heap
    }

    /// The heap's words, for writing an image of it (a snapshot). An owner's only.
    pub fn words(&self) -> &[u64] {
        assert!(self.slot.is_none(), "a reader's heap has no image of its own");
        // SAFETY: words `0..len` are committed and initialised (every allocation writes its words), and
        // nothing writes them while `&self` lives but atomic stores of equal meaning (mug slots, unified
        // fields) from this heap's own `&mut` methods, which cannot run now.
        unsafe { std::slice::from_raw_parts(self.base, self.len) }
    }

    /// A handle on this heap's region for readers on other threads ([`SharedRegion::reader`]).
    pub fn shared_region(&self) -> SharedRegion {
        SharedRegion(Arc::clone(self.region.as_ref().expect("a live heap has its region")))
    }

    /// Refuses, from now on, any cut of the heap below its present length (a collection's, or a
    /// truncation's): readers may be reading every box below it. [`Heap::unpin`] lifts it, for a
    /// compaction that has shut the readers out.
    pub fn pin(&mut self) {
        self.pinned = self.len;
    }

    /// Lifts [`Heap::pin`] (an owner's).
    pub fn unpin(&mut self) {
        self.pinned = self.start;
    }

    /// The length [`Heap::pin`] last pinned.
    pub fn pinned(&self) -> usize {
        self.pinned
    }

    /// A reader's: drops everything it allocated, to start its next computation on an empty scratch space.
    pub fn clear_scratch(&mut self) {
        let start = self.start;
        self.cut_at(start);
    }

    /// A reader's: forgets the mugs it computed of the owner's boxes (after the owner compacted, they
    /// name other boxes). An owner has none.
    pub fn forget_borrowed_mugs(&mut self) {
        self.borrowed_mugs.clear();
    }

    /// The words this heap allocated in its own part (an owner's: all of them).
    #[inline]
    pub fn words_own(&self) -> usize {
        self.len - self.start
    }

    /// Appends raw words (an image's), committing room for them.
    fn extend_words(&mut self, words: &[u64]) {
        let at = self.bump(words.len());
        // SAFETY: `bump` committed `at..at + words.len()`, words of this heap's own part that nobody else
        // reads; the source is a separate allocation (or this heap's words below `at`).
        unsafe { std::ptr::copy_nonoverlapping(words.as_ptr(), self.base.add(at), words.len()) };
    }

    /// Takes `n` words at the end of the heap, committing them if needed: their offset.
    #[inline(always)]
    fn bump(&mut self, n: usize) -> usize {
        let at = self.len;
        let new_len = at + n;
        if new_len > self.committed {
            self.grow(new_len);
        }
        self.len = new_len;
        at
    }

    #[cold]
    #[inline(never)]
    fn grow(&mut self, need: usize) {
        assert!(need <= self.end, "the heap's part of its region is full ({} words)", self.end - self.start);
        let own = self.committed - self.start;
        let target =
            need.max(self.committed + own / 2).max(self.start + region::COMMIT_MIN_WORDS).min(self.end);
        self.region().commit(self.committed, target);
        self.committed = target;
    }

    fn region(&self) -> &Region {
        self.region.as_ref().expect("a live heap has its region")
    }

    /// Word `at`, read atomically (see [`region::load`]).
    #[inline(always)]
    fn word(&self, at: usize) -> u64 {
        debug_assert!(at < self.len, "a handle past the heap's end");
        // SAFETY: handles come from this heap (or, a reader's, from its owner's published kernel), so
        // they name committed words below `len`.
        unsafe { region::load(self.base, at) }
    }

    /// Word `at` (for the collector).
    #[inline]
    pub(crate) fn word_at(&self, at: usize) -> u64 {
        self.word(at)
    }

    /// Writes word `at` of this heap's own part (atomically: see [`region::store`]).
    #[inline(always)]
    pub(crate) fn put_word(&mut self, at: usize, value: u64) {
        debug_assert!(at >= self.start && at < self.len, "a write outside the heap's own words");
        // SAFETY: a committed word of this heap's own part.
        unsafe { region::store(self.base, at, value) }
    }

    /// This heap's lineage: the same value for as long as the heap is only appended to (boxes are never
    /// changed, except their mug caches being filled and [`Heap::eq_unify`] pointing a cell at an equal
    /// older one's children: the noun each box holds stays the same), a different one for any other heap.
    pub fn lineage(&self) -> u64 {
        static NEXT: AtomicU64 = AtomicU64::new(1);
        if self.lineage.load(Ordering::Relaxed) == 0 {
            let fresh = match SIMULATED_LINEAGES.get() {
                Some(next) => {
                    SIMULATED_LINEAGES.set(Some(next.wrapping_add(1)));
                    crate::hash::mix64(next) | 1
                }
                None => {
                    let nanos = std::time::SystemTime::now()
                        .duration_since(std::time::UNIX_EPOCH)
                        .map_or(0, |d| d.as_nanos() as u64);
                    let salt = crate::hash::mix64(nanos ^ (std::process::id() as u64) << 32);
                    salt ^ NEXT.fetch_add(1, Ordering::Relaxed) | 1
                }
            };
            let _ = self.lineage.compare_exchange(0, fresh, Ordering::Relaxed, Ordering::Relaxed);
        }
        self.lineage.load(Ordering::Relaxed)
    }

    /// Marks every word now in the heap as written out (by a snapshot of this lineage). From then on, any
    /// collection that cuts the heap below the mark gives the heap a new lineage, so the next snapshot
    /// writes it afresh rather than appending to words that changed.
    pub fn seal(&self) {
        self.sealed.store(self.len, Ordering::Relaxed);
        self.lowest_cut.store(usize::MAX, Ordering::Relaxed);
    }

    /// How many words at the start of the heap are on disk as this lineage's (see [`Heap::seal`]).
    pub fn sealed_words(&self) -> usize {
        self.sealed.load(Ordering::Relaxed)
    }

    /// The lowest mark the heap was cut at since it was last sealed or loaded, if it was cut. A snapshot
    /// that appends to the words on disk asserts that this is not below them.
    pub fn lowest_cut_since_seal(&self) -> Option<usize> {
        Some(self.lowest_cut.load(Ordering::Relaxed)).filter(|&mark| mark != usize::MAX)
    }

    /// Gives the heap a new lineage with nothing on disk, so that its next snapshot is written in full
    /// (as after a compaction): for a snapshot that cannot append to what is on disk.
    pub fn start_lineage(&self) {
        self.lineage.store(0, Ordering::Relaxed);
        self.sealed.store(0, Ordering::Relaxed);
    }

    /// A cut at `mark`: the words from there on are replaced. Below the sealed mark, the words on disk no
    /// longer describe this heap: a new lineage starts.
    fn cut_at(&mut self, mark: usize) {
        self.note_cut(mark);
        self.shorten(mark);
    }

    /// The bookkeeping of a cut at `mark` (the words from there on are about to change): refused below
    /// the pinned length; below the sealed mark, a new lineage.
    fn note_cut(&mut self, mark: usize) {
        assert!(
            mark >= self.pinned && mark <= self.len,
            "a cut at word {mark}, below the {} words readers may be reading (or past the end)",
            self.pinned
        );
        let lowest = self.lowest_cut.get_mut();
        *lowest = (*lowest).min(mark);
        if mark < *self.sealed.get_mut() {
            *self.sealed.get_mut() = 0;
            *self.lineage.get_mut() = 0;
        }
    }

    /// Ends the heap at `mark`, giving back the pages of what a big computation left past it (keeping
    /// some room for the next one).
    fn shorten(&mut self, mark: usize) {
        self.touched = self.touched.max(self.len);
        if self.touched - mark > 2 * region::DISCARD_SLACK_WORDS {
            let keep = mark + region::DISCARD_SLACK_WORDS;
            self.region().discard(keep, self.touched);
            self.touched = keep;
        }
        self.len = mark;
    }

    /// Rebuilds a heap from an image written from [`Heap::words`], keeping the lineage it had, after
    /// checking that every box reachable from `roots` is well formed (so no later access can go out of
    /// range, whatever the image held). Every word of it is on disk, so it is sealed to its length. The
    /// mugs cached in the image's boxes are forgotten: a mug asked of the loaded heap is computed from its
    /// structure, so it tells whether the image holds the nouns it was written from.
    pub fn from_image(words: Vec<u64>, lineage: u64, roots: &[Noun]) -> Result<Heap, ImageError> {
        let sealed = words.len();
        let mut heap = Heap::new();
        heap.extend_words(&words);
        drop(words);
        heap.lineage = AtomicU64::new(lineage);
        heap.sealed = AtomicUsize::new(sealed);
        heap.check_image(roots)?;
        Ok(heap)
    }

    /// Checks every box reachable from `roots` (in range, atoms normalised) and clears its cached mug.
    /// Walks each box once.
    fn check_image(&mut self, roots: &[Noun]) -> Result<(), ImageError> {
        let len = self.len;
        let mut seen = vec![0u64; len.div_ceil(64)];
        let mut stack: Vec<Noun> = roots.to_vec();
        while let Some(noun) = stack.pop() {
            if noun.is_direct() {
                continue;
            }
            let offset = noun.offset();
            let bad = |why| Err(ImageError { offset, why });
            if offset >= len {
                return bad("handle past the end of the heap");
            }
            if seen[offset / 64] >> (offset % 64) & 1 == 1 {
                continue;
            }
            seen[offset / 64] |= 1 << (offset % 64);
            if noun.is_cell() {
                if offset + 3 > len {
                    return bad("cell runs past the end of the heap");
                }
                stack.extend([Noun::from_raw(self.word(offset)), Noun::from_raw(self.word(offset + 1))]);
                self.put_word(offset + 2, 0);
                continue;
            }
            let limbs = (self.word(offset) & 0xffff_ffff) as usize;
            if limbs == 0 || offset + 1 + limbs > len {
                return bad("atom length out of range");
            }
            let top = self.word(offset + limbs);
            if top == 0 || (limbs == 1 && top <= DIRECT_MAX) {
                return bad("atom not in its one representation");
            }
            self.put_word(offset, limbs as u64);
        }
        Ok(())
    }

    /// Words allocated so far (cells take 3, an atom of n limbs takes n + 1).
    #[inline]
    pub fn words_used(&self) -> usize {
        self.len
    }

    /// Makes room for at least `words` more words before the heap next commits memory.
    pub fn reserve_words(&mut self, words: usize) {
        let need = self.len.saturating_add(words);
        if need > self.committed {
            self.grow(need.min(self.end));
        }
    }

    /// Words the heap's own part holds committed (used or not).
    #[inline]
    pub fn words_capacity(&self) -> usize {
        self.committed - self.start
    }

    /// Drops every box allocated after `mark` (a [`Heap::words_used`] reading). Only for undoing work
    /// whose handles are all discarded, such as a failed cue.
    pub(crate) fn truncate_words(&mut self, mark: usize) {
        if mark < self.len {
            self.cut_at(mark);
        }
    }

    /// Overwrites one word of this heap's own part.
    pub(crate) fn set_word(&mut self, at: usize, value: u64) {
        self.put_word(at, value);
    }

    /// Replaces every word from `young_base` on with `survivors` (a collection's result). The words below
    /// `young_base` are untouched, so the lineage holds unless a snapshot covered words past `young_base`
    /// (a full compaction): then the heap starts a new lineage.
    pub(crate) fn replace_young(&mut self, young_base: usize, to_base: usize, survived: usize) {
        assert!(young_base <= to_base && to_base + survived <= self.len, "survivors inside the heap");
        assert!(young_base >= self.start, "a collection of the heap's own part");
        self.note_cut(young_base);
        // SAFETY: both ranges are committed words of this heap's own part (at or above `young_base`,
        // which `note_cut` checked is at or above the pinned length), below `len`; `ptr::copy` allows
        // the overlap.
        unsafe { std::ptr::copy(self.base.add(to_base), self.base.add(young_base), survived) };
        self.shorten(young_base + survived);
    }

    /// Starts rewriting the words from `base` on in place (an in-place compaction): refused below the
    /// pinned length; below the sealed mark, a new lineage.
    pub(crate) fn begin_rewrite(&mut self, base: usize) {
        assert!(base >= self.start, "a rewrite of the heap's own part");
        self.note_cut(base);
    }

    /// Moves words `from..from + len` down to `to` (the ranges may overlap).
    pub(crate) fn move_words_down(&mut self, from: usize, to: usize, len: usize) {
        assert!(to >= self.start && to <= from && from + len <= self.len, "a move down within the heap");
        // SAFETY: both ranges are committed words of this heap's own part, below `len`; `ptr::copy`
        // allows the overlap.
        unsafe { std::ptr::copy(self.base.add(from), self.base.add(to), len) };
    }

    /// Ends an in-place rewrite: the heap ends at `mark`.
    pub(crate) fn end_rewrite(&mut self, mark: usize) {
        assert!(mark <= self.len, "a rewrite ends inside the heap");
        self.shorten(mark);
    }

    /// Appends a copy of words `from..from + len` of this heap's own part.
    pub(crate) fn copy_within_to_end(&mut self, from: usize, len: usize) {
        assert!(from >= self.start && from + len <= self.len, "a box of the heap's own part");
        let at = self.bump(len);
        // SAFETY: the source is below the old length, the destination the `len` words `bump` just
        // committed past it: both this heap's own, not overlapping.
        unsafe { std::ptr::copy_nonoverlapping(self.base.add(from), self.base.add(at), len) };
    }

    // ---- cells -------------------------------------------------------------------------------------

    /// A new cell `[head tail]`.
    #[inline]
    pub fn cell(&mut self, head: Noun, tail: Noun) -> Noun {
        let offset = self.bump(3);
        // SAFETY: `bump` gave three committed words of this heap's own part, not yet visible to anyone.
        unsafe {
            let at = self.base.add(offset);
            at.write(head.raw());
            at.add(1).write(tail.raw());
            at.add(2).write(0);
        }
        Noun::cell_at(offset)
    }

    /// The right-nested tuple of `items`: `[a b c]` is `[a [b c]]`. Panics on an empty slice.
    pub fn tuple(&mut self, items: &[Noun]) -> Noun {
        let (last, init) = items.split_last().expect("a tuple has at least one item");
        init.iter().rev().fold(*last, |tail, &head| self.cell(head, tail))
    }

    /// The null-terminated list of `items`: `[a b c 0]`.
    pub fn list(&mut self, items: &[Noun]) -> Noun {
        items.iter().rev().fold(Noun::ZERO, |tail, &head| self.cell(head, tail))
    }

    /// Head and tail of a cell, or `None` for an atom.
    #[inline]
    pub fn cell_parts(&self, noun: Noun) -> Option<(Noun, Noun)> {
        if noun.is_cell() {
            let o = noun.offset();
            Some((Noun::from_raw(self.word(o)), Noun::from_raw(self.word(o + 1))))
        } else {
            None
        }
    }

    /// Field `which` of a cell (0 the head, 1 the tail), or `None` for an atom.
    #[inline(always)]
    pub(crate) fn field(&self, noun: Noun, which: usize) -> Option<Noun> {
        if noun.is_cell() { Some(Noun::from_raw(self.word(noun.offset() + which))) } else { None }
    }

    /// The head of a cell, or `None` for an atom.
    #[inline]
    pub fn head(&self, noun: Noun) -> Option<Noun> {
        self.cell_parts(noun).map(|(h, _)| h)
    }

    /// The tail of a cell, or `None` for an atom.
    #[inline]
    pub fn tail(&self, noun: Noun) -> Option<Noun> {
        self.cell_parts(noun).map(|(_, t)| t)
    }

    // ---- atoms -------------------------------------------------------------------------------------

    /// The atom `value` (direct when it fits in 63 bits).
    #[inline]
    pub fn atom_u64(&mut self, value: u64) -> Noun {
        match Noun::direct(value) {
            Some(noun) => noun,
            None => self.atom_from_limbs(&[value]),
        }
    }

    /// The atom whose little-endian limbs are `limbs` (high zero limbs allowed).
    pub fn atom_from_limbs(&mut self, limbs: &[u64]) -> Noun {
        let len = limbs.iter().rposition(|&l| l != 0).map_or(0, |i| i + 1);
        match len {
            0 => Noun::ZERO,
            1 if limbs[0] <= DIRECT_MAX => Noun::from_raw(limbs[0]),
            _ => {
                let offset = self.bump(1 + len);
                self.put_word(offset, len as u64);
                // SAFETY: `bump` committed these words of this heap's own part; `limbs` is not in them.
                unsafe { std::ptr::copy_nonoverlapping(limbs.as_ptr(), self.base.add(offset + 1), len) };
                Noun::indirect(offset)
            }
        }
    }

    /// The atom whose little-endian bytes are `bytes` (high zero bytes allowed).
    pub fn atom_from_bytes(&mut self, bytes: &[u8]) -> Noun {
        self.atom_with_limbs(bytes.len().div_ceil(8), |limbs| {
            for (limb, chunk) in limbs.iter_mut().zip(bytes.chunks(8)) {
                let mut word = [0u8; 8];
                word[..chunk.len()].copy_from_slice(chunk);
                *limb = u64::from_le_bytes(word);
            }
        })
    }

    /// The atom of a bignum.
    pub fn atom_from_ubig(&mut self, value: &UBig) -> Noun {
        self.atom_from_limbs(value.as_words())
    }

    /// Builds an atom in place: `fill` writes `len` little-endian limbs (zeroed beforehand; high zeros are
    /// fine), and the result is normalised (direct if it fits, trimmed otherwise). This is how atoms from
    /// cue and from arithmetic avoid a copy. Panics if `len` exceeds [`ATOM_LIMBS_MAX`].
    pub fn atom_with_limbs(&mut self, len: usize, fill: impl FnOnce(&mut [u64])) -> Noun {
        assert!(len <= ATOM_LIMBS_MAX, "atom of {len} limbs is over the limit");
        let offset = self.bump(1 + len);
        // SAFETY: `bump` committed these words of this heap's own part; nobody else sees them yet, and
        // they are zeroed before `fill` sees them.
        let limbs = unsafe { std::slice::from_raw_parts_mut(self.base.add(offset + 1), len) };
        limbs.fill(0);
        fill(limbs);
        let used = limbs.iter().rposition(|&l| l != 0).map_or(0, |i| i + 1);
        if used == 0 || (used == 1 && limbs[0] <= DIRECT_MAX) {
            let value = if used == 0 { 0 } else { limbs[0] };
            self.len = offset;
            return Noun::from_raw(value);
        }
        self.len = offset + 1 + used;
        self.put_word(offset, used as u64);
        Noun::indirect(offset)
    }

    /// The atom behind a handle, or `None` for a cell.
    #[inline]
    pub fn atom(&self, noun: Noun) -> Option<AtomRef<'_>> {
        if let Some(v) = noun.as_direct() {
            Some(AtomRef::Direct(v))
        } else if noun.is_indirect() {
            let o = noun.offset();
            let len = (self.word(o) & 0xffff_ffff) as usize;
            // SAFETY: an atom's limbs are written once, before its handle exists, and never again (its
            // header word, which holds the mug, is not among them); they are committed words below `len`.
            Some(AtomRef::Indirect(unsafe { std::slice::from_raw_parts(self.base.add(o + 1), len) }))
        } else {
            None
        }
    }

    /// The limbs of an indirect atom (`None` for a direct atom or a cell).
    #[inline]
    pub fn indirect_limbs(&self, noun: Noun) -> Option<&[u64]> {
        match self.atom(noun)? {
            AtomRef::Indirect(limbs) => Some(limbs),
            AtomRef::Direct(_) => None,
        }
    }

    /// The value of an atom that fits in 64 bits.
    #[inline]
    pub fn as_u64(&self, noun: Noun) -> Option<u64> {
        match noun.as_direct() {
            Some(v) => Some(v),
            None => self.atom(noun)?.as_u64(),
        }
    }

    /// The value of an atom as a bignum, or `None` for a cell.
    pub fn ubig(&self, noun: Noun) -> Option<UBig> {
        self.atom(noun).map(|a| a.to_ubig())
    }

    /// A cell's parts or an atom's value.
    #[inline]
    pub fn view(&self, noun: Noun) -> NounRef<'_> {
        match self.cell_parts(noun) {
            Some((h, t)) => NounRef::Cell(h, t),
            None => NounRef::Atom(self.atom(noun).expect("a handle is an atom or a cell")),
        }
    }

    // ---- mug slots (used by mug.rs) ----------------------------------------------------------------

    /// The cached mug of an indirect atom or a cell (0 if not yet computed, or for a direct atom).
    #[inline]
    pub(crate) fn mug_slot(&self, noun: Noun) -> u32 {
        let mug = if noun.is_cell() {
            self.word(noun.offset() + 2) as u32
        } else if noun.is_indirect() {
            (self.word(noun.offset()) >> 32) as u32
        } else {
            return 0;
        };
        if mug == 0 && noun.offset() < self.start {
            return self.borrowed_mugs.get(&noun.offset()).copied().unwrap_or(0);
        }
        mug
    }

    #[inline]
    pub(crate) fn set_mug_slot(&mut self, noun: Noun, mug: u32) {
        if noun.is_direct() {
            return;
        }
        let at = noun.offset();
        if at < self.start {
            // The owner's box: a reader keeps the mug to itself (bounded: forgotten when too many).
            if self.borrowed_mugs.len() >= BORROWED_MUGS_MAX {
                self.borrowed_mugs.clear();
            }
            self.borrowed_mugs.insert(at, mug);
        } else if noun.is_cell() {
            self.put_word(at + 2, mug as u64);
        } else {
            let header = self.word(at);
            self.put_word(at, (header & 0xffff_ffff) | (mug as u64) << 32);
        }
    }

    // ---- equality ----------------------------------------------------------------------------------

    /// Structural equality, without recursion. Identical handles and differing cached mugs decide early.
    ///
    /// ```
    /// use components::Heap;
    /// let mut heap = Heap::new();
    /// let a = heap.parse("[1 [2 3] 4]").unwrap();
    /// let b = heap.parse("[1 [2 3] 4]").unwrap();
    /// assert!(heap.eq(a, b));
    /// ```
    pub fn eq(&self, a: Noun, b: Noun) -> bool {
        let mut pending: Vec<(Noun, Noun)> = Vec::new();
        let (mut a, mut b) = (a, b);
        loop {
            if !a.same_handle(b) {
                let (mug_a, mug_b) = (self.mug_slot(a), self.mug_slot(b));
                if mug_a != 0 && mug_b != 0 && mug_a != mug_b {
                    return false;
                }
                match (self.cell_parts(a), self.cell_parts(b)) {
                    (Some((ha, ta)), Some((hb, tb))) => {
                        pending.push((ta, tb));
                        (a, b) = (ha, hb);
                        continue;
                    }
                    (None, None) => {
                        if a.is_direct() || b.is_direct() {
                            return false; // different handles, and direct atoms are unique values
                        }
                        if self.atom(a).unwrap().limbs() != self.atom(b).unwrap().limbs() {
                            return false;
                        }
                    }
                    _ => return false,
                }
            }
            match pending.pop() {
                Some(next) => (a, b) = next,
                None => return true,
            }
        }
    }
}

impl Heap {
    /// Structural equality, as [`Heap::eq`], that also shares what it proved equal: when the answer is yes,
    /// each pair of equal cells met on the way is made to share its children (the newer cell's head and tail
    /// are pointed at the older cell's), so comparing them again, or anything holding them, is quick. This is
    /// Vere's unifying equality; the Hoon compiler compares the same large types over and over.
    ///
    /// A cell's fields are only ever pointed at nouns older than the cell itself (lower in the heap), so no
    /// space points into a younger one (collections stay sound) and no cycle can form. Nouns stay equal,
    /// mugs stay valid, and jam (which shares by value) writes the same bits.
    ///
    /// ```
    /// use components::Heap;
    /// let mut heap = Heap::new();
    /// let a = heap.parse("[[1 2] [3 4]]").unwrap();
    /// let b = heap.parse("[[1 2] [3 4]]").unwrap();
    /// assert!(heap.eq_unify(a, b));
    /// let (ha, hb) = (heap.head(a).unwrap(), heap.head(b).unwrap());
    /// assert!(ha.same_handle(hb));
    /// let c = heap.parse("[[1 2] [3 5]]").unwrap();
    /// assert!(!heap.eq_unify(a, c));
    /// ```
    #[inline]
    pub fn eq_unify(&mut self, a: Noun, b: Noun) -> bool {
        // Most comparisons are decided at the top, here: no call and no stack for those. A direct atom
        // equals only itself (an atom that fits one is always one).
        if a.same_handle(b) {
            return true;
        }
        if a.is_direct() || b.is_direct() {
            return false;
        }
        self.eq_unify_slow(a, b)
    }

    /// [`Heap::eq_unify`] of two different handles, neither a direct atom.
    #[inline(never)]
    fn eq_unify_slow(&mut self, a: Noun, b: Noun) -> bool {
        if a.is_atom() || b.is_atom() {
            return self.eq(a, b);
        }
        let (mug_a, mug_b) = (self.mug_slot(a), self.mug_slot(b));
        if mug_a != 0 && mug_b != 0 && mug_a != mug_b {
            return false;
        }
        let mut pending = std::mem::take(&mut self.scratch);
        let equal = self.unify_with(&mut pending, a, b);
        pending.clear();
        if pending.capacity() <= SCRATCH_KEPT_MAX {
            self.scratch = pending;
        }
        equal
    }

    /// The loop of [`Heap::eq_unify`] over `pending`, an empty stack.
    fn unify_with(&mut self, pending: &mut Vec<UnifyStep>, a: Noun, b: Noun) -> bool {
        pending.push(UnifyStep::Compare(a, b));
        while let Some(step) = pending.pop() {
            match step {
                UnifyStep::Compare(a, b) => {
                    if a.same_handle(b) {
                        continue;
                    }
                    let (mug_a, mug_b) = (self.mug_slot(a), self.mug_slot(b));
                    if mug_a != 0 && mug_b != 0 && mug_a != mug_b {
                        return false;
                    }
                    match (self.cell_parts(a), self.cell_parts(b)) {
                        (Some((ha, ta)), Some((hb, tb))) => pending.extend([
                            UnifyStep::Share(a, b),
                            UnifyStep::Compare(ta, tb),
                            UnifyStep::Compare(ha, hb),
                        ]),
                        (None, None) => {
                            if a.is_direct() || b.is_direct() {
                                return false;
                            }
                            if self.atom(a).unwrap().limbs() != self.atom(b).unwrap().limbs() {
                                return false;
                            }
                        }
                        _ => return false,
                    }
                }
                UnifyStep::Share(x, y) => self.share(x, y),
            }
        }
        true
    }

    /// Points the newer of two equal cells at the older one's head and tail, where they are older still.
    fn share(&mut self, x: Noun, y: Noun) {
        let (older, newer) = if x.offset() < y.offset() { (x, y) } else { (y, x) };
        let at = newer.offset();
        if at < self.start {
            return; // the owner's cells are not a reader's to change
        }
        for field in 0..2 {
            let target = Noun::from_raw(self.word(older.offset() + field));
            if target.is_direct() || target.offset() < at {
                self.put_word(at + field, target.raw());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atoms_normalise_to_one_representation() {
        let mut heap = Heap::new();
        assert!(heap.atom_from_limbs(&[5, 0, 0]).same_handle(Noun::direct(5).unwrap()));
        assert!(heap.atom_from_bytes(&[]).same_handle(Noun::ZERO));
        let big = heap.atom_u64(u64::MAX);
        assert!(big.is_indirect());
        assert_eq!(heap.as_u64(big), Some(u64::MAX));
        let via_fill = heap.atom_with_limbs(3, |l| l[0] = 1 << 63);
        let direct_built = heap.atom_from_limbs(&[1 << 63]);
        assert!(heap.eq(via_fill, direct_built));
        let used = heap.words_used();
        let small = heap.atom_with_limbs(4, |l| l[0] = 7);
        assert!(small.same_handle(Noun::direct(7).unwrap()));
        assert_eq!(heap.words_used(), used, "a fill that ends direct gives its words back");
    }

    #[test]
    fn heaps_and_handles_can_live_in_ecs_components() {
        fn send_sync<T: Send + Sync>() {}
        send_sync::<Heap>();
        send_sync::<Noun>();
    }

    #[test]
    fn image_check_refuses_out_of_range_handles_and_denormal_atoms() {
        let mut heap = Heap::new();
        let big = heap.atom_from_limbs(&[1, 2]);
        let root = heap.cell(big, Noun::ONE);
        let words = heap.words().to_vec();
        assert!(Heap::from_image(words.clone(), 7, &[root]).is_ok());
        let mut past_end = words.clone();
        past_end[3] = Noun::cell_at(1000).raw(); // the cell's head
        assert_eq!(Heap::from_image(past_end, 7, &[root]).unwrap_err().offset, 1000);
        let mut denormal = words.clone();
        denormal[2] = 0; // the atom's top limb
        assert!(Heap::from_image(denormal, 7, &[root]).is_err());
        let restored = Heap::from_image(words, 7, &[root]).unwrap();
        assert_eq!(restored.lineage(), 7);
        assert_ne!(heap.lineage(), Heap::new().lineage());
    }

    #[test]
    fn a_comparison_that_stops_early_leaves_nothing_for_the_next_one() {
        let mut heap = Heap::new();
        // Differ at the first leaf, with work still pending for the rest: the next comparison must not
        // see that work.
        let a = heap.parse("[[1 2] [3 4] [5 6]]").unwrap();
        let b = heap.parse("[[9 2] [3 4] [5 6]]").unwrap();
        let c = heap.parse("[[1 2] [3 4] [5 6]]").unwrap();
        let d = heap.parse("[7 8]").unwrap();
        let e = heap.parse("[7 9]").unwrap();
        assert!(!heap.eq_unify(a, b));
        assert!(!heap.eq_unify(d, e));
        assert!(heap.eq_unify(a, c));
        assert!(!heap.eq_unify(c, b));
        // A list deep enough to grow the kept stacks past their limit, compared and hashed twice.
        // The three differ only in what ends them, so comparing any two walks to the end.
        let mut long = [Noun::ZERO, Noun::ONE, Noun::ZERO];
        for list in long.iter_mut() {
            for i in 0..200_000u64 {
                let item = heap.cell(Noun::direct(i).unwrap(), Noun::ZERO);
                *list = heap.cell(item, *list);
            }
        }
        assert!(!heap.eq_unify(long[0], long[1]));
        assert!(heap.eq_unify(long[0], long[2]));
        assert_ne!(heap.mug(long[0]), heap.mug(long[1]));
        assert!(heap.eq_unify(a, c));
    }

    #[test]
    fn eq_tells_cells_from_atoms_and_compares_limbs() {
        let mut heap = Heap::new();
        let x = heap.atom_from_limbs(&[0, 1]);
        let y = heap.atom_from_limbs(&[0, 1]);
        let z = heap.atom_from_limbs(&[1, 1]);
        assert!(heap.eq(x, y));
        assert!(!heap.eq(x, z));
        let c = heap.cell(x, Noun::ZERO);
        assert!(!heap.eq(c, x));
        assert!(!heap.eq(Noun::ZERO, c));
    }

    #[test]
    fn a_loaded_image_is_sealed_and_its_cached_mugs_forgotten() {
        let mut heap = Heap::new();
        let big = heap.atom_from_limbs(&[1, 2]);
        let root = heap.cell(big, Noun::ONE);
        let mug = heap.mug(root);
        let mut words = heap.words().to_vec();
        words[root.offset() + 2] = 0x1234; // a cached mug that is not the cell's
        let mut loaded = Heap::from_image(words, 9, &[root]).unwrap();
        assert_eq!(loaded.sealed_words(), loaded.words_used());
        assert_eq!(loaded.mug(root), mug, "computed from the structure");
        assert_eq!(loaded.mug_slot(big), heap.mug_slot(big));

        let mark = loaded.words_used();
        loaded.cell(Noun::ONE, Noun::ONE);
        loaded.truncate_words(mark);
        assert_eq!(loaded.lineage(), 9, "a cut at the sealed mark keeps the lineage");
        assert_eq!(loaded.lowest_cut_since_seal(), Some(mark));
        loaded.truncate_words(0);
        assert_ne!(loaded.lineage(), 9, "a cut below it starts a new one");
        assert_eq!(loaded.sealed_words(), 0);
        loaded.seal();
        assert_eq!(loaded.lowest_cut_since_seal(), None);
    }
}
