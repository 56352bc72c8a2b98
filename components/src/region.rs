//! The memory a heap lives in: one reservation of address space that never moves.
//!
//! A [`Region`] reserves [`MAIN_WORDS`] words for its owner's heap and, after them, [`READER_SLOTS`] slots
//! of [`SLOT_WORDS`] words, each the scratch space of one reader (a scry running on another thread). A
//! handle is an offset from the region's base, so a reader's heap, whose own boxes sit in its slot, reads
//! the owner's boxes through the very same handles, with no copy and no test on the hot path.
//!
//! The reservation is made with no access (`PROT_NONE`), which costs address space but neither memory nor
//! commit charge; a heap makes its words readable and writable as it grows ([`Region::commit`]) and gives
//! pages back when it shrinks a lot ([`Region::discard`]). Because the words never move (a `Vec` would be
//! reallocated and copied as it grows), a reader's pointer stays good while the owner appends.
//!
//! Why a reader never sees a moved or freed noun:
//! 1. Every box a reader can reach lies below the length the owner published with the kernel it reads
//!    (the kernel's words were all allocated before the publication, and a box only points at older
//!    boxes or at itself's children, which are older).
//! 2. Between compactions the owner only appends above that length: a collection cuts the heap at the
//!    start of its own young space, which is at or above the published length (the owner's heap refuses
//!    a cut below its pinned length, [`crate::Heap::pin`]). The only writes below it are a box's mug slot,
//!    filled once with the one value the box's structure gives, and a cell's head or tail pointed at an
//!    equal older noun by unifying equality: both are single aligned atomic stores, and a reader reads
//!    those words with atomic loads, so it sees the old value or the new one, and both mean the same noun.
//! 3. A compaction rewrites the words in place. It runs only while it holds the exclusive side of the
//!    gate every reader holds the shared side of for as long as it reads (the serf's published view), so
//!    it waits for the readers in flight, and readers that come after it see the new layout only.
//! 4. The region is kept alive by an `Arc` that every reader holds: the owner's heap going away (a ship
//!    stopping) does not unmap words a reader is still reading.
//! 5. A reader never writes below its slot: a mug it computes for an owner's box goes to its own table
//!    ([`crate::Heap::mug`]), and unifying equality leaves the owner's cells alone.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

/// The words reserved for the owner's heap (16 GiB): far more than `Limits::heap_words_max` lets a
/// computation use, so that a heap never runs out of reservation before its limit stops it.
pub const MAIN_WORDS: usize = 1 << 31;
/// Readers a region has room for at once.
pub const READER_SLOTS: usize = 4;
/// The words of one reader's scratch space (2 GiB).
pub const SLOT_WORDS: usize = 1 << 28;
/// The words a region reserves in all.
const RESERVED_WORDS: usize = MAIN_WORDS + READER_SLOTS * SLOT_WORDS;
/// Regions kept for reuse once their heap is dropped (so that the many small heaps of drivers and tests
/// cost no system call), and the words of each left in memory when it is kept.
const POOL_MAX: usize = 32;
const POOL_RESIDENT_WORDS: usize = 1 << 15;
/// The least a heap commits at a time (1 MiB), and how far past the words in use a shrink leaves pages
/// in memory (8 MiB, twice a nursery: a collection inside a computation gives nothing back): below
/// these, system calls and page faults would cost more than the memory they save.
pub const COMMIT_MIN_WORDS: usize = 1 << 17;
pub const DISCARD_SLACK_WORDS: usize = 1 << 20;

/// One reservation of address space (see the module's documentation).
pub struct Region {
    base: *mut u64,
    /// Which reader slots are taken (bit i: slot i).
    slots: AtomicU64,
}

// SAFETY: a region is a block of address space whose words are handed out by parts: the owner's heap
// writes only its part and readers write only the slot each claimed (`claim_slot` gives a slot to one
// reader at a time). Words written by one thread and read by another are read either after a publication
// that happened-after the writes (the serf's view, behind a lock) or with atomic loads (mug slots and
// unified cell fields), as the module's documentation says.
unsafe impl Send for Region {}
// SAFETY: as for `Send`; the region's own state is an atomic.
unsafe impl Sync for Region {}

static POOL: Mutex<Vec<(Region, usize)>> = Mutex::new(Vec::new());

impl Region {
    /// A region from the pool, or a new reservation, with the words committed so far (from its start).
    /// Panics if the address space cannot be reserved, which no input can cause.
    pub(crate) fn take() -> (Region, usize) {
        if let Some(kept) = POOL.lock().unwrap_or_else(|e| e.into_inner()).pop() {
            return kept;
        }
        // SAFETY: a fresh anonymous mapping at an address the kernel picks; nothing else refers to it.
        let base = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                RESERVED_WORDS * 8,
                libc::PROT_NONE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE,
                -1,
                0,
            )
        };
        assert!(
            base != libc::MAP_FAILED,
            "cannot reserve {} GiB of address space for a heap: {}",
            RESERVED_WORDS >> 27,
            std::io::Error::last_os_error()
        );
        (Region { base: base.cast(), slots: AtomicU64::new(0) }, 0)
    }

    /// Gives a region back once no heap uses it: kept for reuse (its memory past the first pages given
    /// back) or unmapped.
    pub(crate) fn give_back(self, committed: usize) {
        debug_assert_eq!(self.slots.load(Ordering::Relaxed), 0, "no reader holds a slot");
        let mut pool = POOL.lock().unwrap_or_else(|e| e.into_inner());
        if pool.len() < POOL_MAX {
            if committed > POOL_RESIDENT_WORDS {
                self.discard(POOL_RESIDENT_WORDS, committed);
            }
            pool.push((self, committed));
        }
        // else dropped here: unmapped.
    }

    /// The first word.
    #[inline]
    pub(crate) fn base(&self) -> *mut u64 {
        self.base
    }

    /// Makes words `from..to` readable and writable (they read as zero until written). Panics past the
    /// reservation: a heap's owner stops at its limit long before.
    pub(crate) fn commit(&self, from: usize, to: usize) {
        assert!(to <= RESERVED_WORDS, "a heap outgrew its reservation of {RESERVED_WORDS} words");
        let (start, end) = (page_down(from), page_up(to));
        if start >= end {
            return;
        }
        // SAFETY: the range lies inside this region's reservation (checked above); changing protection
        // to read-write makes no word that anyone reads unreadable.
        let ok = unsafe {
            libc::mprotect(self.base.add(start).cast(), (end - start) * 8, libc::PROT_READ | libc::PROT_WRITE)
        };
        assert!(ok == 0, "cannot commit heap memory: {}", std::io::Error::last_os_error());
    }

    /// Gives the pages of words `from..to` back to the system (they read as zero when touched again).
    /// Only for words nobody reads: above a heap's length.
    pub(crate) fn discard(&self, from: usize, to: usize) {
        let (start, end) = (page_up(from), page_down(to));
        if start >= end {
            return;
        }
        // SAFETY: inside the reservation; the caller owns these words and nothing reads them.
        unsafe {
            libc::madvise(self.base.add(start).cast(), (end - start) * 8, libc::MADV_DONTNEED);
        }
    }

    /// Claims a free reader slot: the word offset its scratch space starts at, and its number.
    pub(crate) fn claim_slot(&self) -> Option<(usize, usize)> {
        let mut taken = self.slots.load(Ordering::Acquire);
        loop {
            let free = (0..READER_SLOTS).find(|i| taken & (1 << i) == 0)?;
            match self.slots.compare_exchange(taken, taken | 1 << free, Ordering::AcqRel, Ordering::Acquire) {
                Ok(_) => return Some((MAIN_WORDS + free * SLOT_WORDS, free)),
                Err(now) => taken = now,
            }
        }
    }

    /// Frees a slot [`Region::claim_slot`] gave.
    pub(crate) fn release_slot(&self, slot: usize) {
        self.slots.fetch_and(!(1 << slot), Ordering::AcqRel);
    }
}

impl Drop for Region {
    fn drop(&mut self) {
        // SAFETY: the whole reservation, made in `take`; no heap refers to it any more (a region is
        // dropped only when the last `Arc` holding it goes).
        unsafe {
            libc::munmap(self.base.cast(), RESERVED_WORDS * 8);
        }
    }
}

/// Words per page (4 KiB pages).
const PAGE_WORDS: usize = 512;

fn page_down(word: usize) -> usize {
    word / PAGE_WORDS * PAGE_WORDS
}

fn page_up(word: usize) -> usize {
    word.div_ceil(PAGE_WORDS) * PAGE_WORDS
}

/// The words of a reader's slot end here (exclusive), given its start.
pub(crate) fn slot_end(start: usize) -> usize {
    start + SLOT_WORDS
}

/// The end of the owner's part.
pub(crate) const fn main_end() -> usize {
    MAIN_WORDS
}

/// Reads one word with an atomic load: for the words another thread may store to at the same time (mug
/// slots, and cell fields that unifying equality points elsewhere).
///
/// # Safety
/// `at` must be a committed word of the region `base` starts.
#[inline(always)]
pub(crate) unsafe fn load(base: *mut u64, at: usize) -> u64 {
    // SAFETY: the caller's promise: the word is committed; `AtomicU64` has `u64`'s layout and alignment.
    unsafe { AtomicU64::from_ptr(base.add(at)).load(Ordering::Relaxed) }
}

/// Stores one word atomically (see [`load`]).
///
/// # Safety
/// As for [`load`], and the word must be the caller's to write.
#[inline(always)]
pub(crate) unsafe fn store(base: *mut u64, at: usize, value: u64) {
    // SAFETY: as for `load`.
    unsafe { AtomicU64::from_ptr(base.add(at)).store(value, Ordering::Relaxed) }
}
