//! The scry pool and `scry_serve`: conn's `%peek`s answered by reader threads against each ship's newest
//! committed kernel ([`crate::scry`]), never queued behind an event; and the wake flag, which cuts a long
//! event's slice short when I/O comes in or an answer is ready, so that a tick carries it out at once.
//!
//! A peek is a pure function of the kernel and its path, so each ship keeps the answers given against its
//! newest kernel ([`PeekCache`]): the same path asked again before another event commits is answered by
//! `scry_serve` itself, from the answer's jam, without Nock and without the pool.

use super::ames::AmesPort;
use super::http::Http;
use super::ship::{Conn, ConnClient, Io};
use crate::scry::{Gang, PeekLimits, Published, Reader};
use bevy_ecs::prelude::*;
use components::Noun;
use components::app::SimNet;
use hashbrown::HashMap;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

/// The most peeks queued for the pool at once (past it, peeks wait in conn's own bounded queue).
pub const POOL_JOBS_MAX: usize = 4096;
/// The most peeks one ship hands the pool per tick.
pub const POOL_JOBS_PER_TICK: usize = 256;

/// Answers kept per ship, at most (bytes of their jams, and entries); an answer bigger than
/// [`CACHE_ANSWER_BYTES_MAX`] is not kept.
const CACHE_BYTES_MAX: usize = 64 << 20;
const CACHE_ENTRIES_MAX: usize = 4096;
const CACHE_ANSWER_BYTES_MAX: usize = 1 << 20;

/// A ship whose peeks the pool answers: what its serf publishes, and the answers given against its
/// newest kernel.
#[derive(Component, Clone)]
pub struct Scry(pub Arc<Published>, pub Arc<PeekCache>);

impl Scry {
    pub fn new(published: Arc<Published>) -> Scry {
        Scry(published, Arc::default())
    }
}

/// The answers (jams of the peeks' products) given against one kernel, by the jam of the path asked:
/// kept until an answer against a later event comes, and only looked up for the kernel they were
/// computed from, so an answer from the cache is the answer the pool would compute.
#[derive(Default)]
pub struct PeekCache(Mutex<CacheInner>);

#[derive(Default)]
struct CacheInner {
    /// The event whose kernel the answers were computed from.
    event: u64,
    answers: HashMap<Vec<u8>, Arc<Vec<u8>>>,
    bytes: usize,
    hits: u64,
    misses: u64,
}

impl PeekCache {
    /// The answer to `nom` against the kernel after `event`, if one was kept.
    pub fn get(&self, event: u64, nom: &[u8]) -> Option<Arc<Vec<u8>>> {
        let mut inner = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let found = (inner.event == event).then(|| inner.answers.get(nom).cloned()).flatten();
        match found {
            Some(_) => inner.hits += 1,
            None => inner.misses += 1,
        }
        found
    }

    /// Keeps `answer` to `nom` against the kernel after `event` (the answers against an earlier kernel go;
    /// an answer against an earlier kernel than those kept is not kept).
    pub fn put(&self, event: u64, nom: Vec<u8>, answer: Vec<u8>) {
        let mut inner = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if event < inner.event || answer.len() > CACHE_ANSWER_BYTES_MAX {
            return;
        }
        if event > inner.event {
            inner.event = event;
            inner.answers.clear();
            inner.bytes = 0;
        }
        if inner.answers.len() >= CACHE_ENTRIES_MAX || inner.bytes + answer.len() > CACHE_BYTES_MAX {
            return;
        }
        inner.bytes += answer.len() + nom.len();
        inner.answers.insert(nom, Arc::new(answer));
    }

    /// Peeks answered from the cache, and looked up without an answer.
    pub fn counts(&self) -> (u64, u64) {
        let inner = self.0.lock().unwrap_or_else(|e| e.into_inner());
        (inner.hits, inner.misses)
    }
}

/// `[rid %peek product]`, jammed, from the jam of `product`.
fn reply_from_answer(rid: &[u8], answer: &[u8]) -> Vec<u8> {
    let mut heap = components::Heap::new();
    let result = heap.cue(answer).unwrap_or(Noun::ZERO);
    let rid = heap.atom_from_bytes(rid);
    let reply = engine_io::conn::reply(&mut heap, rid, "peek", result);
    heap.jam(reply)
}

/// The process's flag that asks the ships' running events to pause at their next check (a slice cut
/// short, not a crash): set by a watcher thread when the reactor has completions waiting, and by the
/// scry pool when an answer is ready; cleared by `io_poll` at the start of each tick.
///
/// It also wakes an idle app waiting in the reactor: [`Waker::wake`] writes a byte to a socket pair whose
/// other end the reactor always has a read in flight on (for the entity `key`), so an answer ready in the
/// pool ends `io_poll`'s wait at once.
#[derive(Resource)]
pub struct Wake {
    pub flag: Arc<AtomicBool>,
    watcher: Option<(JoinHandle<()>, Arc<AtomicBool>)>,
    /// The reactor's end of the socket pair, and the key its reads are submitted with.
    receiver: std::os::unix::net::UnixStream,
    pub key: Option<Entity>,
    waker: Waker,
}

/// What wakes the app from another thread: the flag, and a byte down the socket pair.
#[derive(Clone)]
pub struct Waker {
    flag: Arc<AtomicBool>,
    sender: Arc<std::os::unix::net::UnixStream>,
}

impl Waker {
    /// Cuts the running slices short and ends the reactor's wait.
    pub fn wake(&self) {
        use std::io::Write;
        self.flag.store(true, Ordering::Relaxed);
        // Non-blocking: when the pair is full, a wake is already on its way.
        let _ = (&*self.sender).write(&[1]);
    }
}

impl Wake {
    /// A flag with a watcher thread on the reactor's descriptor `fd` (`None`: the flag only, set by the
    /// pool). Panics if the process cannot make a socket pair (out of descriptors at start).
    pub fn start(fd: Option<std::os::fd::RawFd>) -> Wake {
        let flag = Arc::new(AtomicBool::new(false));
        let (sender, receiver) = std::os::unix::net::UnixStream::pair().expect("a socket pair for waking");
        sender.set_nonblocking(true).expect("a non-blocking socket");
        let waker = Waker { flag: Arc::clone(&flag), sender: Arc::new(sender) };
        let watcher = fd.map(|fd| {
            let stop = Arc::new(AtomicBool::new(false));
            let (flag, stop_seen) = (Arc::clone(&flag), Arc::clone(&stop));
            let thread = std::thread::Builder::new()
                .name("io-watch".into())
                .spawn(move || watch(fd, &flag, &stop_seen))
                .expect("a watcher thread");
            (thread, stop)
        });
        Wake { flag, watcher, receiver, key: None, waker }
    }

    /// What another thread wakes the app with.
    pub fn waker(&self) -> Waker {
        self.waker.clone()
    }

    /// Puts a read on the reactor's end of the pair, keyed `key` (again after each completion).
    pub fn arm(&mut self, io: &mut Io, key: Entity) {
        use std::os::fd::AsRawFd;
        self.key = Some(key);
        if let Err(e) = io.0.submit(key, engine_io::Op::Read { fd: self.receiver.as_raw_fd(), max: 256 }) {
            eprintln!("scry: cannot watch for answers: {e}");
        }
    }

    /// Clears the flag (a tick is starting: what woke it is about to be handled) and lets the watcher
    /// look again.
    pub fn clear(&self) {
        self.flag.store(false, Ordering::Relaxed);
        if let Some((thread, _)) = &self.watcher {
            thread.thread().unpark();
        }
    }
}

impl Drop for Wake {
    fn drop(&mut self) {
        if let Some((thread, stop)) = self.watcher.take() {
            stop.store(true, Ordering::Relaxed);
            thread.thread().unpark();
            let _ = thread.join();
        }
    }
}

/// The watcher: waits for the descriptor to poll readable, sets the flag, and waits for a tick to clear
/// it before it looks again (so a ring full of completions sets it once, not in a spin).
fn watch(fd: std::os::fd::RawFd, flag: &AtomicBool, stop: &AtomicBool) {
    while !stop.load(Ordering::Relaxed) {
        if flag.load(Ordering::Relaxed) {
            std::thread::park_timeout(Duration::from_millis(50));
            continue;
        }
        // The descriptor is the reactor's; the world's `Wake` stops and joins this thread when it is
        // dropped, and a descriptor closed meanwhile only makes the poll fail (no wake).
        if engine_io::wait_readable(fd, Duration::from_millis(50)) {
            flag.store(true, Ordering::Relaxed);
        }
    }
}

/// A peek for the pool.
struct Job {
    ship: Entity,
    published: Arc<Published>,
    cache: Arc<PeekCache>,
    asker: Asker,
    nom: Vec<u8>,
}

/// Who asked a peek of the pool, and so where its answer goes.
enum Asker {
    /// A conn `%peek` (gang `[~ ~]`): the answer is the jammed reply for connection `con`.
    Conn { con: u64, rid: Vec<u8> },
    /// One of the runtime's drivers (gang `~`): the answer goes to its queue under `token`.
    Driver { answers: Arc<DriverAnswers>, token: u64 },
}

/// The answers the pool gave a driver's peeks, by the token each was asked with: the jam of the product,
/// or `None` if the peek failed (crashed, or passed its limits). A driver drains them each tick.
#[derive(Default)]
pub struct DriverAnswers(Mutex<Vec<(u64, Option<Vec<u8>>)>>);

impl DriverAnswers {
    /// The answers given since the last call.
    pub fn take(&self) -> Vec<(u64, Option<Vec<u8>>)> {
        std::mem::take(&mut *self.0.lock().unwrap_or_else(|e| e.into_inner()))
    }

    fn give(&self, token: u64, answer: Option<Vec<u8>>) {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).push((token, answer));
    }
}

/// A reply ready for a ship's connection.
struct Answer {
    ship: Entity,
    con: u64,
    reply: Vec<u8>,
}

#[derive(Default)]
struct Shared {
    jobs: Mutex<VecDeque<Job>>,
    ready: Condvar,
    answers: Mutex<Vec<Answer>>,
    stop: AtomicBool,
}

/// Reader threads, each with its own [`Reader`], taking peeks from one queue.
#[derive(Resource)]
pub struct ScryPool {
    shared: Arc<Shared>,
    threads: Vec<JoinHandle<()>>,
}

impl ScryPool {
    /// `readers` threads (at most the readers a region has room for), each answer raising `wake`.
    pub fn start(readers: usize, limits: PeekLimits, wake: Waker) -> ScryPool {
        let shared = Arc::new(Shared::default());
        let threads = (0..readers.clamp(1, components::region::READER_SLOTS))
            .map(|i| {
                let (shared, wake) = (Arc::clone(&shared), wake.clone());
                std::thread::Builder::new()
                    .name(format!("scry-{i}"))
                    .spawn(move || serve(&shared, limits, &wake))
                    .expect("a reader thread")
            })
            .collect();
        ScryPool { shared, threads }
    }

    /// The reader threads.
    pub fn readers(&self) -> usize {
        self.threads.len()
    }

    fn queued(&self) -> usize {
        self.shared.jobs.lock().unwrap_or_else(|e| e.into_inner()).len()
    }

    /// Asks the pool, for one of the runtime's drivers, the `%once` peek `nom` (a jam) of `scry`'s ship
    /// with gang `~`, against its newest committed kernel; the answer comes to `answers` under `token`,
    /// and wakes the app. Refused (`false`) when the pool's queue is full: the driver asks again later.
    pub fn ask(
        &self,
        ship: Entity,
        scry: &Scry,
        nom: Vec<u8>,
        answers: &Arc<DriverAnswers>,
        token: u64,
    ) -> bool {
        if self.queued() >= POOL_JOBS_MAX {
            return false;
        }
        let (published, cache) = (Arc::clone(&scry.0), Arc::clone(&scry.1));
        let asker = Asker::Driver { answers: Arc::clone(answers), token };
        self.push(vec![Job { ship, published, cache, asker, nom }]);
        true
    }

    fn push(&self, jobs: Vec<Job>) {
        if jobs.is_empty() {
            return;
        }
        self.shared.jobs.lock().unwrap_or_else(|e| e.into_inner()).extend(jobs);
        self.shared.ready.notify_all();
    }

    fn take_answers(&self) -> Vec<Answer> {
        std::mem::take(&mut *self.shared.answers.lock().unwrap_or_else(|e| e.into_inner()))
    }
}

impl Drop for ScryPool {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::Relaxed);
        self.shared.ready.notify_all();
        for thread in self.threads.drain(..) {
            let _ = thread.join();
        }
    }
}

/// A reader thread: peeks until the pool stops.
fn serve(shared: &Shared, limits: PeekLimits, wake: &Waker) {
    let mut reader = Reader::new();
    let trace = std::env::var_os("ENGINE_SCRY_TRACE").is_some();
    loop {
        let job = {
            let mut jobs = shared.jobs.lock().unwrap_or_else(|e| e.into_inner());
            loop {
                if shared.stop.load(Ordering::Relaxed) {
                    return;
                }
                if let Some(job) = jobs.pop_front() {
                    break job;
                }
                jobs = shared.ready.wait(jobs).unwrap_or_else(|e| e.into_inner());
            }
        };
        let began = std::time::Instant::now();
        match job.asker {
            Asker::Conn { con, rid } => {
                let reply = answer_conn(&mut reader, &job.published, &job.cache, &job.nom, &rid, limits);
                let mut answers = shared.answers.lock().unwrap_or_else(|e| e.into_inner());
                answers.push(Answer { ship: job.ship, con, reply });
            }
            Asker::Driver { answers, token } => {
                let answer = answer_driver(&mut reader, &job.published, &job.nom, limits);
                answers.give(token, answer);
            }
        }
        if trace {
            let micros = began.elapsed().as_micros();
            let (event, steps) = (reader.last_event(), reader.last_steps());
            eprintln!("scry: {micros} us, {steps} steps, against event {event}");
        }
        wake.wake();
    }
}

/// A conn `%peek` of `nom`, answered by `reader`: the jammed `[rid %peek result]` (`~` for a failed
/// peek). What the kernel answered is kept for the same path against the same kernel (not a failure,
/// which may be a limit's doing). A reader that panicked (a bug, never the input's doing) answers `~` and
/// starts afresh; the others go on.
fn answer_conn(
    reader: &mut Reader,
    published: &Arc<Published>,
    cache: &PeekCache,
    nom: &[u8],
    rid: &[u8],
    limits: PeekLimits,
) -> Vec<u8> {
    let peeked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        reader.peek(published, nom, limits, |heap, result| {
            let kept = result.as_ref().ok().map(|product| heap.jam(*product));
            let result = result.unwrap_or_else(|e| {
                eprintln!("scry: {e}");
                Noun::ZERO
            });
            let rid = heap.atom_from_bytes(rid);
            let reply = engine_io::conn::reply(heap, rid, "peek", result);
            (heap.jam(reply), kept)
        })
    }));
    match peeked {
        Ok((reply, kept)) => {
            if let Some(answer) = kept {
                cache.put(reader.last_event(), nom.to_vec(), answer);
            }
            reply
        }
        Err(_) => {
            eprintln!("scry: a reader failed; the peek is answered ~");
            *reader = Reader::new();
            let mut heap = components::Heap::new();
            let rid = heap.atom_from_bytes(rid);
            let reply = engine_io::conn::reply(&mut heap, rid, "peek", Noun::ZERO);
            heap.jam(reply)
        }
    }
}

/// A driver's peek of `nom` with gang `~`, answered by `reader`: the jam of the product, or `None` if the
/// peek failed (a reader that panicked starts afresh, as for conn).
fn answer_driver(
    reader: &mut Reader,
    published: &Arc<Published>,
    nom: &[u8],
    limits: PeekLimits,
) -> Option<Vec<u8>> {
    let peeked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        // Why a peek failed is the driver's to tell (as Vere's drivers do), not the pool's.
        reader.peek_as(published, Gang::Own, nom, limits, |heap, result| {
            let product = result.ok()?;
            // The `%once` wrapper off, as for the ship's own peeks between events (`Serf::peek_last`).
            let nom = heap.cue(nom).ok()?;
            let product = crate::serf::unwrap_omen(heap, nom, product);
            Some(heap.jam(product))
        })
    }));
    peeked.unwrap_or_else(|_| {
        eprintln!("scry: a reader failed; the peek failed");
        *reader = Reader::new();
        None
    })
}

/// Hands the scry pool the runtime's own peeks that wait: Eyre's word on a slog stream's cookie, and
/// ames's lanes for packets to forward (not on the simulated network, whose runs must not depend on when a
/// reader answers). Right after `io_poll`, as conn's peeks are, so that they are answered beside this
/// tick's slice of a long event; the drivers take the answers in their own systems.
pub fn driver_scries(
    pool: Option<Res<ScryPool>>,
    net: Option<Res<SimNet>>,
    mut ships: Query<(Entity, &mut Http, &Scry)>,
    mut ports: Query<&mut AmesPort>,
    scries: Query<&Scry>,
) {
    let Some(pool) = pool else { return };
    for (ship, mut driver, scry) in &mut ships {
        super::http::ask_slog_auths(&pool, ship, scry, &mut driver);
    }
    if net.is_some() {
        return;
    }
    for mut port in &mut ports {
        let Ok(scry) = scries.get(port.ship) else { continue };
        super::ames::ask_lanes(&mut port, &pool, scry);
    }
}

/// Hands each ship's waiting peeks to the pool, and writes the answers the pool has ready to their
/// connections at once (the reactor is flushed, so they leave before the ships compute).
pub fn scry_serve(
    pool: Option<Res<ScryPool>>,
    mut io: ResMut<Io>,
    mut commands: Commands,
    mut ships: Query<(Entity, &Scry, &mut Conn)>,
    mut clients: Query<&mut ConnClient>,
) {
    let Some(pool) = pool else { return };
    let mut wrote = false;
    for answer in pool.take_answers() {
        let Ok((_, _, mut conn)) = ships.get_mut(answer.ship) else { continue };
        conn.server.answer_peek_jammed(answer.con, answer.reply);
        wrote |= super::conn::write_replies(&mut io, &mut commands, &mut conn, &mut clients);
    }
    let mut room = POOL_JOBS_MAX.saturating_sub(pool.queued());
    for (ship, scry, mut conn) in &mut ships {
        if room == 0 {
            break;
        }
        let peeks = conn.take_peeks(room.min(POOL_JOBS_PER_TICK));
        if peeks.is_empty() {
            continue;
        }
        let event = scry.0.view().map(|view| view.event);
        let mut jobs = Vec::with_capacity(peeks.len());
        let mut hits = false;
        for (con, rid, nom) in peeks {
            match event.and_then(|event| scry.1.get(event, &nom)) {
                Some(answer) => {
                    conn.server.answer_peek_jammed(con, reply_from_answer(&rid, &answer));
                    hits = true;
                }
                None => {
                    let (published, cache) = (Arc::clone(&scry.0), Arc::clone(&scry.1));
                    jobs.push(Job { ship, published, cache, asker: Asker::Conn { con, rid }, nom });
                }
            }
        }
        if hits {
            wrote |= super::conn::write_replies(&mut io, &mut commands, &mut conn, &mut clients);
        }
        room -= jobs.len();
        pool.push(jobs);
    }
    if wrote {
        io.0.flush();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kept_answers_are_given_only_for_the_kernel_they_were_computed_from() {
        let cache = PeekCache::default();
        assert!(cache.get(5, b"path").is_none());
        cache.put(5, b"path".to_vec(), b"answer".to_vec());
        assert_eq!(cache.get(5, b"path").as_deref().map(Vec::as_slice), Some(&b"answer"[..]));
        assert!(cache.get(6, b"path").is_none(), "a later kernel's peek is computed");
        assert!(cache.get(5, b"other").is_none());
        cache.put(4, b"old".to_vec(), b"stale".to_vec());
        assert!(cache.get(4, b"old").is_none(), "an answer against an older kernel is not kept");
        cache.put(6, b"path".to_vec(), b"newer".to_vec());
        assert!(cache.get(5, b"path").is_none(), "the older kernel's answers are gone");
        assert_eq!(cache.get(6, b"path").as_deref().map(Vec::as_slice), Some(&b"newer"[..]));
        cache.put(6, b"big".to_vec(), vec![0; CACHE_ANSWER_BYTES_MAX + 1]);
        assert!(cache.get(6, b"big").is_none(), "too big to keep");
        assert_eq!(cache.counts(), (2, 6));
    }

    #[test]
    fn an_answer_from_the_cache_is_the_reply_the_pool_would_write() {
        let mut heap = components::Heap::new();
        let product = heap.parse("[0 [1953719668 [1 2] 3]]").unwrap();
        let answer = heap.jam(product);
        let rid = heap.atom_from_bytes(&[7, 1]);
        let reply = engine_io::conn::reply(&mut heap, rid, "peek", product);
        assert_eq!(reply_from_answer(&[7, 1], &answer), heap.jam(reply));
    }
}
