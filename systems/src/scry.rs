//! Readers of a committed kernel: scries answered on other threads while the ship computes its next
//! event (DESIGN.md, "Readers of a committed kernel").
//!
//! A serf that shares itself ([`crate::serf::Serf::share_with_readers`]) publishes, each time an event
//! ends, the kernel it left and the length of the heap below which nothing will change until the next
//! compaction (the heap refuses cuts below it: [`components::Heap::pin`]). A [`Reader`] peeks at the
//! newest published kernel in a heap of its own that reads the serf's boxes in place and allocates in a
//! scratch slot of the serf's region, with its own memo cache and its own copy of the jet dashboard as
//! published. Why the words it reads never move or vanish under it is told in `components::region`: in
//! short, the serf only appends above the published length, and a compaction takes the gate every reader
//! holds while it reads.

use crate::arvo::Runner;
use crate::interp::{Crash, Mote};
use crate::jets::dashboard::Dashboard;
use crate::serf::peek_kernel;
use components::{Heap, Noun, SharedRegion};
use std::sync::{Arc, Mutex, RwLock, Weak};

/// What a serf shows its readers: the gate a compaction closes, and the newest view.
pub struct Published {
    /// Held shared by a reader for as long as it reads the serf's words, exclusively by a compaction.
    pub(crate) gate: RwLock<()>,
    pub(crate) view: Mutex<Option<View>>,
    region: SharedRegion,
}

impl Published {
    pub(crate) fn new(region: SharedRegion) -> Published {
        Published { gate: RwLock::new(()), view: Mutex::new(None), region }
    }

    /// The newest view (its kernel, event and length), if one was published.
    pub fn view(&self) -> Option<View> {
        self.view.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

/// The kernel as an event left it.
#[derive(Clone)]
pub struct View {
    pub kernel: Noun,
    /// The events the serf had computed.
    pub event: u64,
    /// The serf's compactions so far: handles mean the same boxes within one.
    pub epoch: u64,
    /// The heap's length when it was published: every box the kernel reaches lies below it.
    pub words: usize,
    /// The jets registered then.
    pub dashboard: Arc<Dashboard>,
}

/// The bounds of one peek: past either, it ends with an error and the reader goes on.
#[derive(Debug, Clone, Copy)]
pub struct PeekLimits {
    /// Nock steps (the peek ends as `intr`).
    pub steps: u64,
    /// Words the peek may allocate (the peek ends as `meme`).
    pub words: usize,
}

impl Default for PeekLimits {
    /// 10^8 steps (a few seconds), 2^26 words (512 MiB).
    fn default() -> PeekLimits {
        PeekLimits { steps: 100_000_000, words: 1 << 26 }
    }
}

/// Why a reader gave no product.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PeekError {
    /// The serf has published no kernel yet.
    NoKernel,
    /// Every reader slot of the serf's region is taken (more readers than slots).
    NoSlot,
    /// The path is not a jam the reader can cue.
    BadPath(String),
    /// The kernel's peek crashed, or passed a limit.
    Crashed(Mote),
}

impl std::fmt::Display for PeekError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PeekError::NoKernel => write!(f, "no kernel yet"),
            PeekError::NoSlot => write!(f, "no reader slot free"),
            PeekError::BadPath(why) => write!(f, "bad scry path: {why}"),
            PeekError::Crashed(mote) => write!(f, "the peek crashed ({mote:?})"),
        }
    }
}

/// Whose view of the ship a peek reads with (Arvo's `gang`, the peek's `lyc`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Gang {
    /// `~`: the ship itself, no restriction (the runtime's own peeks: Eyre's cookies, ames's lanes).
    Own,
    /// `[~ ~]`: what anyone may see (conn's `%peek`, as Vere's conn asks).
    Public,
}

impl Gang {
    fn noun(self, heap: &mut Heap) -> Noun {
        match self {
            Gang::Own => Noun::ZERO,
            Gang::Public => heap.cell(Noun::ZERO, Noun::ZERO),
        }
    }
}

/// One thread's reader: a heap in a slot of each serf's region it has read.
#[derive(Default)]
pub struct Reader {
    places: Vec<Place>,
    /// The event of the kernel the last peek read (0: none).
    last_event: u64,
    /// The Nock steps the last peek took.
    last_steps: u64,
}

/// A reader's heap in one serf's region.
struct Place {
    published: Weak<Published>,
    heap: Heap,
    epoch: u64,
    /// The published dashboard this reader's copy was made from, and the copy (reused from peek to peek
    /// while the publication is the same and the peeks registered nothing: registration only appends).
    dashboard: Option<(Arc<Dashboard>, Dashboard)>,
}

impl Reader {
    pub fn new() -> Reader {
        Reader::default()
    }

    /// Peeks at the newest kernel `published` shows, with `[lyc nom]`: `nom` cued from `request` (the jam
    /// of `nom`), `lyc` `[~ ~]` as conn's peeks are asked ([`Reader::peek_as`] for another gang), and hands
    /// the result (or why there is none) to `answer` in the reader's heap, where it builds what it sends.
    /// The gate is held throughout.
    pub fn peek<T>(
        &mut self,
        published: &Arc<Published>,
        request: &[u8],
        limits: PeekLimits,
        answer: impl FnOnce(&mut Heap, Result<Noun, PeekError>) -> T,
    ) -> T {
        self.peek_as(published, Gang::Public, request, limits, answer)
    }

    /// [`Reader::peek`] with the gang `gang`.
    pub fn peek_as<T>(
        &mut self,
        published: &Arc<Published>,
        gang: Gang,
        request: &[u8],
        limits: PeekLimits,
        answer: impl FnOnce(&mut Heap, Result<Noun, PeekError>) -> T,
    ) -> T {
        self.places.retain(|place| place.published.strong_count() > 0);
        let _gate = published.gate.read().unwrap_or_else(|e| e.into_inner());
        let Some(view) = published.view() else {
            return answer(&mut Heap::new(), Err(PeekError::NoKernel));
        };
        self.last_event = view.event;
        let Some(place) = self.place(published) else {
            return answer(&mut Heap::new(), Err(PeekError::NoSlot));
        };
        if place.epoch != view.epoch {
            place.heap.forget_borrowed_mugs();
            place.epoch = view.epoch;
        }
        let mut dashboard = match place.dashboard.take() {
            Some((source, mut copy))
                if Arc::ptr_eq(&source, &view.dashboard)
                    && copy.locations_len() == source.locations_len() =>
            {
                copy.forget_recent();
                copy
            }
            _ => (*view.dashboard).clone(),
        };
        let heap = &mut place.heap;
        heap.clear_scratch();
        let mut steps = 0;
        let result = heap.cue(request).map_err(|e| PeekError::BadPath(e.to_string())).and_then(|nom| {
            let mut runner = Runner::new();
            runner.hints.dashboard = std::mem::take(&mut dashboard);
            runner.budget_steps = limits.steps;
            runner.limits.heap_words_max = limits.words;
            let lyc = gang.noun(heap);
            let product = peek_kernel(heap, &mut runner, view.kernel, lyc, nom)
                .map_err(|Crash { mote, .. }| PeekError::Crashed(mote));
            steps = runner.steps;
            dashboard = std::mem::take(&mut runner.hints.dashboard);
            product
        });
        place.dashboard = Some((Arc::clone(&view.dashboard), dashboard));
        let out = answer(heap, result);
        heap.clear_scratch();
        self.last_steps = steps;
        out
    }

    /// The number of the event whose kernel the last peek read.
    pub fn last_event(&self) -> u64 {
        self.last_event
    }

    /// The Nock steps the last peek took.
    pub fn last_steps(&self) -> u64 {
        self.last_steps
    }

    /// This reader's heap in the region of `published`'s serf (claiming a slot the first time).
    fn place(&mut self, published: &Arc<Published>) -> Option<&mut Place> {
        let found = self.places.iter().position(|p| p.published.as_ptr() == Arc::as_ptr(published));
        let at = match found {
            Some(at) => at,
            None => {
                let heap = published.region.reader()?;
                let published = Arc::downgrade(published);
                self.places.push(Place { published, heap, epoch: u64::MAX, dashboard: None });
                self.places.len() - 1
            }
        };
        Some(&mut self.places[at])
    }
}
