//! A ship on disk: the pier (lock, meta, event log, snapshot) tied to a serf (the kernel and its heap).
//!
//! - [`boot`]: a new pier from a pill: the boot sequence of spec/arvo.md §5.1, computed, logged and
//!   snapshotted; or, with an import, from a cram (spec/pier.md §6.1).
//! - [`open`]: the serf of an existing pier: its snapshot if it is sound (else the state from the log),
//!   replayed to the end of the log (spec/pier.md §5.1).
//! - [`play`]: the state rebuilt from the log alone, every logged mug checked (spec/pier.md §5.2).
//! - [`cram`]: the jam of `[%arvo kernel %hashboard cold]`, the shape Vere's `urbit cram` writes.

use crate::cache;
use crate::progress::Progress;
use components::{Heap, Noun, aura, time};
use pills::{BootPill, Pill};
use std::fs;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use store::disk::{self, Disk};
use store::snapshot::{self, SnapshotError, SnapshotInfo};
use store::{Event, Layout, LogConfig, Meta, Pier};
use systems::serf::{PlayError, Serf};

/// Events read from the log per batch during replay.
const REPLAY_BATCH: usize = 1024;
/// The kelvins engine claims in `%wyrd`: those of Vere 1.16, whose pills it runs.
const KELVINS: [(&str, u64); 5] = [("zuse", 417), ("lull", 328), ("arvo", 240), ("hoon", 140), ("nock", 4)];
/// The runtime version sent in `%wyrd` (`rev`): engine runs the same kernels as Vere 1.16 and answers
/// version negotiation as it does.
const REVISION: [&str; 2] = ["vere", "~.1.16"];

/// How chatty the pier functions are: progress lines on stderr, or none.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verbosity {
    Quiet,
    Progress,
}

fn note(verbosity: Verbosity, line: impl FnOnce() -> String) {
    if verbosity == Verbosity::Progress {
        eprintln!("{}", line());
    }
}

fn term(heap: &mut Heap, text: &str) -> Noun {
    heap.atom_from_bytes(text.as_bytes())
}

/// The path `//arvo`: `[%$ %arvo ~]`.
pub fn wire_arvo(heap: &mut Heap) -> Noun {
    let arvo = term(heap, "arvo");
    heap.tuple(&[Noun::ZERO, arvo, Noun::ZERO])
}

/// A path of terms: `/d/term/1`.
pub fn path(heap: &mut Heap, items: &[&str]) -> Noun {
    let items: Vec<Noun> = items.iter().map(|item| term(heap, item)).collect();
    heap.list(&items)
}

/// 64 bytes from the operating system's random source.
fn entropy() -> Result<Vec<u8>, String> {
    use std::io::Read;
    let mut bytes = vec![0u8; 64];
    fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut bytes))
        .map_err(|e| format!("cannot read entropy from /dev/urandom: {e}"))?;
    Ok(bytes)
}

/// The `%wyrd` card: `[%wyrd [[non rev] kel]]`, `non` the session nonce `(scot %uv (mug now))`.
pub fn wyrd_card(heap: &mut Heap, now: u128) -> Noun {
    let now_noun = atom_u128(heap, now);
    let mug = heap.mug(now_noun) as u64;
    let mug_noun = heap.atom_u64(mug);
    let nonce_text = aura::render_uv(heap.atom(mug_noun).expect("an atom"));
    let nonce = term(heap, &nonce_text);
    let revision = path(heap, &REVISION);
    let kelvins: Vec<Noun> = KELVINS
        .iter()
        .map(|(name, number)| {
            let name = term(heap, name);
            let number = heap.atom_u64(*number);
            heap.cell(name, number)
        })
        .collect();
    let kelvins = heap.list(&kelvins);
    let version = heap.cell(nonce, revision);
    let vere = heap.cell(version, kelvins);
    let tag = term(heap, "wyrd");
    heap.cell(tag, vere)
}

/// An atom from a `u128`.
pub fn atom_u128(heap: &mut Heap, value: u128) -> Noun {
    heap.atom_from_limbs(&[value as u64, (value >> 64) as u64])
}

/// The start-of-run events every pier gets, as ova (spec/arvo.md §5.3): `%wyrd`, fresh entropy, `%verb`,
/// and the terminal's size and refresh. (The other drivers' `%born` events come with those drivers.)
///
/// `%wack`'s entropy is `eny` when given (a simulation's seeded entropy), else the system's.
pub fn start_ova(
    heap: &mut Heap,
    now: u128,
    columns: u64,
    rows: u64,
    verbose: bool,
    eny: Option<&[u8]>,
) -> Result<Vec<Noun>, String> {
    let arvo = wire_arvo(heap);
    let wyrd = wyrd_card(heap, now);
    let wack = match eny {
        Some(bytes) => wack_of(heap, bytes),
        None => wack_card(heap)?,
    };
    let verb = verb_card(heap, verbose);
    let term_wire = path(heap, &["d", "term", "1"]);
    let blew_tag = term(heap, "blew");
    let size = [heap.atom_u64(columns), heap.atom_u64(rows)];
    let blew = heap.tuple(&[blew_tag, size[0], size[1]]);
    let hail_tag = term(heap, "hail");
    let hail = heap.cell(hail_tag, Noun::ZERO);
    Ok(vec![
        heap.cell(arvo, wyrd),
        heap.cell(arvo, wack),
        heap.cell(arvo, verb),
        heap.cell(term_wire, blew),
        heap.cell(term_wire, hail),
    ])
}

fn wack_card(heap: &mut Heap) -> Result<Noun, String> {
    Ok(wack_of(heap, &entropy()?))
}

/// `[%wack eny]`.
fn wack_of(heap: &mut Heap, bytes: &[u8]) -> Noun {
    let tag = term(heap, "wack");
    let eny = heap.atom_from_bytes(bytes);
    heap.cell(tag, eny)
}

/// The time stamped on the pier's last logged event (`[now ovum]`), if it has one that reads.
pub fn last_event_time(pier: &Pier) -> Option<u128> {
    let last = pier.log.last();
    let event = pier.log.read(last, 1).ok()?.pop()?;
    let mut heap = Heap::new();
    let job = heap.cue(&event.jam).ok()?;
    let now = heap.atom(heap.head(job)?)?;
    match now.limbs() {
        [low, high] => Some((*high as u128) << 64 | *low as u128),
        _ => None,
    }
}

/// `[%verb ~ lac]`: laconic (`%.y`) unless `verbose` (Vere's `-v`), when Arvo prints each move.
fn verb_card(heap: &mut Heap, verbose: bool) -> Noun {
    let tag = term(heap, "verb");
    let laconic = Noun::loobean(!verbose);
    let yes = heap.cell(Noun::ZERO, laconic);
    heap.cell(tag, yes)
}

/// The boot sequence of a fake ship (spec/arvo.md §5.1): the pill's formulas, then the ova
/// `%wyrd %whom %wack %verb ++ mod ++ [%boot] ++ use`, each stamped `t0 + k·2^48`.
pub fn boot_sequence(
    heap: &mut Heap,
    pill: &BootPill,
    who: u128,
    t0: u128,
) -> Result<(Vec<Noun>, Vec<Noun>), String> {
    let formulas = pill.lifecycle(heap);
    let arvo = wire_arvo(heap);
    let wyrd = wyrd_card(heap, t0);
    let whom_tag = term(heap, "whom");
    let ship = atom_u128(heap, who);
    let whom = heap.cell(whom_tag, ship);
    let wack = wack_card(heap)?;
    let verb = verb_card(heap, false);
    let mut ova =
        vec![heap.cell(arvo, wyrd), heap.cell(arvo, whom), heap.cell(arvo, wack), heap.cell(arvo, verb)];
    ova.extend(pills::list_items(heap, pill.kernel_ova, "mod").map_err(|e| e.to_string())?);
    let term_wire = path(heap, &["d", "term", "1"]);
    let boot_tag = term(heap, "boot");
    let fake_tag = term(heap, "fake");
    let fake = heap.cell(fake_tag, ship);
    let boot = heap.tuple(&[boot_tag, Noun::ONE, fake]); // lit = %.n
    ova.push(heap.cell(term_wire, boot));
    ova.extend(pills::list_items(heap, pill.userspace_ova, "use").map_err(|e| e.to_string())?);
    let jobs = ova
        .into_iter()
        .enumerate()
        .map(|(k, ovum)| {
            let now = atom_u128(heap, t0 + k as u128 * time::TICK);
            heap.cell(now, ovum)
        })
        .collect();
    Ok((formulas, jobs))
}

/// Parses a ship name for `--fake`: its `@p` (`zod`, `~nec`, `~marzod`, `~sampel-palnet`) or its number
/// (`0`, `256`).
pub fn parse_ship(text: &str) -> Result<u128, String> {
    let name = text.trim_start_matches('~');
    if let Ok(number) = name.parse::<u128>() {
        return Ok(number);
    }
    components::patp::parse(name).ok_or_else(|| {
        format!("{text}: not a ship's name: give its @p (zod, ~marzod, ~sampel-palnet) or its number")
    })
}

/// A new pier at `root`, booted from `pill_path` as the fake ship `who`: the boot sequence is computed
/// first, then logged in one batch (formulas with mug 0, each ovum with the kernel's mug after it), then a
/// snapshot is written. If the boot fails, the half-made pier is removed.
///
/// With `cache` (a directory), the lifecycle (the kernel the boot formulas make before any event names the
/// ship) is read from there when an earlier boot from the same formulas computed it, and saved there
/// otherwise.
pub fn boot(
    root: &Path,
    pill_path: &Path,
    who: u128,
    verbosity: Verbosity,
    cache: Option<&Path>,
) -> Result<Serf, String> {
    let mut created = false;
    let result = boot_inner(root, pill_path, who, verbosity, cache, &mut created);
    if result.is_err() && created {
        remove_failed_pier(root);
    }
    result
}

/// Removes what a failed boot or import created (the pier directory was absent or empty before).
fn remove_failed_pier(root: &Path) {
    let _ = fs::remove_dir_all(Layout::of(root).engine_dir);
    let _ = fs::remove_dir(root);
}

fn boot_inner(
    root: &Path,
    pill_path: &Path,
    who: u128,
    verbosity: Verbosity,
    cache: Option<&Path>,
    created: &mut bool,
) -> Result<Serf, String> {
    let mut heap = Heap::new();
    let pill = load_boot_pill(pill_path, &mut heap)?;
    let formula_jams: Vec<Vec<u8>> = pill.lifecycle(&heap).iter().map(|&f| heap.jam(f)).collect();
    let life = formula_jams.len() as u64;
    let meta = Meta { version: store::meta::VERSION, who, fake: true, life: life as u32 };
    let mut pier = Pier::create(root, meta, LogConfig::default()).map_err(|e| e.to_string())?;
    *created = true;
    let progress = Arc::new(Progress::new(verbosity == Verbosity::Progress));
    progress.phase("lifecycle", None);
    let cached = cache.map(|dir| cache::lifecycle_path(dir, &formula_jams));
    let mut serf = match cached.as_deref().and_then(|path| cache::load_lifecycle(path, life)) {
        Some(hit) => {
            progress.line(&format!(
                "boot: the lifecycle's kernel from the cache (computing it took {:.1} s)",
                hit.computed_in.as_secs_f64()
            ));
            // The ova are built in the cached serf's heap: the pill is read into it again.
            let mut serf = hit.serf;
            let pill = load_boot_pill(pill_path, &mut serf.heap)?;
            return finish_boot(serf, &pill, who, formula_jams, &mut pier, &progress);
        }
        None => {
            let mut serf = Serf::new();
            serf.heap = heap;
            serf
        }
    };
    serf.runner.hints.log = Some(progress.sink());
    progress.line(&format!("boot: lifecycle over {life} boot formulas"));
    let started = std::time::Instant::now();
    let formulas = pill.lifecycle(&serf.heap);
    serf.boot(&formulas).map_err(|e| format!("boot: lifecycle: {e}"))?;
    if let Some(path) = &cached
        && let Err(e) = cache::save_lifecycle(path, &mut serf, started.elapsed())
    {
        progress.line(&format!("boot: {e}"));
    }
    finish_boot(serf, &pill, who, formula_jams, &mut pier, &progress)
}

/// The boot pill at `path`, read into `heap`.
fn load_boot_pill(path: &Path, heap: &mut Heap) -> Result<BootPill, String> {
    match Pill::load(path, heap).map_err(|e| e.to_string())? {
        Pill::Boot(pill) => Ok(pill),
        Pill::Ivory { .. } => Err(format!(
            "{} is an ivory pill (for eval); a ship boots from a brass or solid pill",
            path.display()
        )),
    }
}

/// The boot after the lifecycle: the ova of the boot sequence computed, everything logged in one batch
/// (the formulas with mug 0, each ovum with the kernel's mug after it), the heap compacted, a snapshot
/// written.
fn finish_boot(
    mut serf: Serf,
    pill: &BootPill,
    who: u128,
    formula_jams: Vec<Vec<u8>>,
    pier: &mut Pier,
    progress: &Arc<Progress>,
) -> Result<Serf, String> {
    let (_, mut jobs) = boot_sequence(&mut serf.heap, pill, who, time::now())?;
    serf.runner.hints.log = Some(progress.sink());
    progress.phase("events", Some(jobs.len() as u64));
    let mut events: Vec<Event> = formula_jams
        .into_iter()
        .enumerate()
        .map(|(i, jam)| Event { number: i as u64 + 1, mug: 0, jam })
        .collect();
    for k in 0..jobs.len() {
        let (number, job) = (serf.event + 1, jobs[k]);
        if let Err(e) = serf.play(job, 0) {
            report_goof(&serf, &e);
            return Err(format!("boot: {e}"));
        }
        let mug = serf.mug();
        progress.step(|| format!("boot: event {number} ({} of {}) mug {mug:#x}", k + 1, jobs.len()));
        events.push(Event { number, mug, jam: serf.heap.jam(job) });
        // The states of earlier events are garbage: compacted away once they are most of the heap (the
        // ova still to come are kept, and nothing else of the pill is used again).
        serf.tidy_keeping(&mut jobs[k + 1..].iter_mut().collect::<Vec<_>>());
    }
    serf.runner.hints.log = None;
    progress.phase("saving", None);
    pier.log.append_events(&events).map_err(|e| format!("boot: writing the log: {e}"))?;
    // Melded, as `engine meld` does: the boot's state holds the same source texts and types many times.
    serf.meld();
    write_snapshot(&pier.layout(), &mut serf)?;
    let mug = serf.mug();
    progress.finish(&format!("boot: {} events, kernel mug {mug:#x}", serf.event));
    Ok(serf)
}

/// Prints a failed event's trace on stderr.
fn report_goof(serf: &Serf, error: &PlayError) {
    if let PlayError::Crashed { goof, .. } = error {
        for line in goof.lines(&serf.heap) {
            eprintln!("{line}");
        }
    }
}

/// Writes the serf's state as the pier's snapshot.
pub fn write_snapshot(layout: &Layout, serf: &mut Serf) -> Result<snapshot::WriteReport, String> {
    write_snapshot_on(&store::RealDisk, layout, serf)
}

/// [`write_snapshot`] on `disk`.
pub fn write_snapshot_on(
    disk: &dyn Disk,
    layout: &Layout,
    serf: &mut Serf,
) -> Result<snapshot::WriteReport, String> {
    let roots = serf.roots().ok_or("no kernel to snapshot")?;
    let info = SnapshotInfo::of(&mut serf.heap, serf.event, roots);
    snapshot::write_on(disk, &layout.snap, &serf.heap, &info).map_err(|e| format!("snapshot: {e}"))
}

/// The `%arvo` / `%hashboard` tags of a cram.
const TAG_ARVO: &str = "arvo";
const TAG_HASHBOARD: &str = "hashboard";

/// The jam of `[%arvo kernel %hashboard cold]` (spec/pier.md §6.1). `cold` is `~`: engine does not yet
/// write its jet registrations in Vere's cold-state shape (a runtime that loads this finds jets again
/// only as cores re-register).
pub fn cram_bytes(serf: &mut Serf) -> Result<Vec<u8>, String> {
    let kernel = serf.kernel().ok_or("no kernel to cram")?;
    let arvo = term(&mut serf.heap, TAG_ARVO);
    let hashboard = term(&mut serf.heap, TAG_HASHBOARD);
    let rock = serf.heap.tuple(&[arvo, kernel, hashboard, Noun::ZERO]);
    Ok(serf.heap.jam(rock))
}

/// The kernel from a cram's bytes, checked for the `[%arvo kernel %hashboard cold]` shape.
fn uncram(heap: &mut Heap, bytes: &[u8], what: &Path) -> Result<Noun, String> {
    let rock = heap.cue(bytes).map_err(|e| format!("{}: not a jam file: {e}", what.display()))?;
    let bad = || format!("{}: not a cram: expected [%arvo kernel %hashboard cold]", what.display());
    let (tag, rest) = heap.cell_parts(rock).ok_or_else(bad)?;
    let (kernel, rest) = heap.cell_parts(rest).ok_or_else(bad)?;
    let tag2 = heap.head(rest).ok_or_else(bad)?;
    let is = |heap: &Heap, noun: Noun, text: &str| {
        heap.atom(noun).is_some_and(|a| a.to_bytes() == text.as_bytes())
    };
    if !is(heap, tag, TAG_ARVO) || !is(heap, tag2, TAG_HASHBOARD) || !kernel.is_cell() {
        return Err(bad());
    }
    Ok(kernel)
}

/// The event number a cram file names (`37.jam`, as Vere names them), else 0.
fn cram_event(file: &Path) -> u64 {
    file.file_stem().and_then(|s| s.to_str()).and_then(|s| s.parse().ok()).unwrap_or(0)
}

/// A new pier from a cram: the kernel is the state at `event` (given, or from a `<event>.jam` file name,
/// else 0); the log starts with the next event. The cram is kept in the pier as its base, for `play`.
pub fn import(root: &Path, file: &Path, who: u128, event: Option<u64>) -> Result<Serf, String> {
    let bytes = fs::read(file).map_err(|e| format!("cannot read {}: {e}", file.display()))?;
    let mut heap = Heap::new();
    let kernel = uncram(&mut heap, &bytes, file)?;
    let event = event.unwrap_or_else(|| cram_event(file));
    let meta = Meta { version: store::meta::VERSION, who, fake: true, life: 0 };
    let mut created = false;
    let made = (|| {
        let pier =
            Pier::create_imported(root, meta, LogConfig::default(), event).map_err(|e| e.to_string())?;
        created = true;
        let layout = pier.layout();
        fs::write(&layout.base, &bytes)
            .map_err(|e| format!("cannot write {}: {e}", layout.base.display()))?;
        let mut serf = Serf::restore(heap, &[kernel], event).ok_or("cannot restore the kernel")?;
        write_snapshot(&layout, &mut serf)?;
        Ok(serf)
    })();
    if made.is_err() && created {
        remove_failed_pier(root);
    }
    made
}

/// The serf at the start of the pier's history: the imported base, or nothing (the lifecycle comes from
/// the log).
fn initial_serf(pier: &Pier) -> Result<Serf, String> {
    if pier.meta.life > 0 {
        return Ok(Serf::new());
    }
    imported_base(&pier.layout(), pier.log.first())
}

/// The serf of an imported pier's base (its cram), at the event before the log's first, `first`.
pub fn imported_base(layout: &Layout, first: u64) -> Result<Serf, String> {
    let bytes = fs::read(&layout.base)
        .map_err(|e| format!("imported pier without its base {}: {e}", layout.base.display()))?;
    let mut heap = Heap::new();
    let kernel = uncram(&mut heap, &bytes, &layout.base)?;
    Serf::restore(heap, &[kernel], first - 1).ok_or_else(|| "cannot restore the base".into())
}

/// Where the state came from when a pier was opened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Start {
    /// The snapshot at this event.
    Snapshot(u64),
    /// No usable snapshot: from the beginning of the log (the reason, if a snapshot was there but unusable).
    Log(Option<String>),
}

/// Opens the pier at `root` and brings its serf to the end of the log: from the newest snapshot if it is
/// sound, else from the backup snapshot, else from the start. A torn log tail is truncated and reported.
///
/// With `stop`, a replay ends early once the flag is set (a SIGTERM, during the snapshot's load or the
/// replay): the serf is then at the last event replayed (or the snapshot's), short of the end of the log.
pub fn open(
    root: &Path,
    verbosity: Verbosity,
    stop: Option<&AtomicBool>,
) -> Result<(Pier, Serf, Start), String> {
    let cache = cache::dir();
    open_on(disk::real(), root, LogConfig::default(), verbosity, stop, Some(&cache))
}

/// [`open`] on `disk`, with the log's limits `log` and the lifecycle cache in `cache` (or none).
pub fn open_on(
    disk: Arc<dyn Disk>,
    root: &Path,
    log: LogConfig,
    verbosity: Verbosity,
    stop: Option<&AtomicBool>,
    cache: Option<&Path>,
) -> Result<(Pier, Serf, Start), String> {
    let pier = Pier::open_on(disk, root, log).map_err(|e| e.to_string())?;
    if let Some(cut) = pier.log.recovery() {
        eprintln!(
            "log: a torn write at the end of {} was cut ({} bytes at offset {}); the log ends at event {}",
            cut.path.file_name().and_then(|n| n.to_str()).unwrap_or("?"),
            cut.bytes_dropped,
            cut.offset,
            cut.event - 1
        );
    }
    let last = pier.log.last();
    let (mut serf, start) = load_state(&pier)?;
    if let Start::Snapshot(at) = start
        && at < last
    {
        note(verbosity, || format!("play: replaying events {}-{last} after the snapshot", at + 1));
    }
    replay(&pier, &mut serf, last, verbosity, &[], cache, stop)?;
    Ok((pier, serf, start))
}

/// The serf of the newest usable snapshot. A newest snapshot that does not load is set aside (so that
/// it is never kept in place of the backup) and the backup tried; with neither, the state starts from the
/// beginning of the log. A snapshot past the end of the log is an error: the log lost committed events.
fn load_state(pier: &Pier) -> Result<(Serf, Start), String> {
    let snap = pier.layout().snap;
    let disk = &**pier.disk();
    let rejected = match snapshot::load_on(disk, &snap) {
        Ok(loaded) => match restore(pier, loaded)? {
            Ok(serf) => {
                let event = serf.event;
                return Ok((serf, Start::Snapshot(event)));
            }
            Err(why) => Some(why),
        },
        Err(SnapshotError::Missing(_)) => None,
        Err(e @ (SnapshotError::Io { .. } | SnapshotError::Newer { .. })) => return Err(e.to_string()),
        Err(e) => Some(describe_unusable(pier, &e)),
    };
    if let Some(why) = &rejected {
        eprintln!("snapshot: the newest is unusable ({why}); setting it aside");
        snapshot::reject_newest_on(disk, &snap).map_err(|e| format!("snapshot: {e}"))?;
    }
    let why = match snapshot::load_backup_on(disk, &snap) {
        Ok(loaded) => match restore(pier, loaded)? {
            Ok(serf) => {
                let event = serf.event;
                eprintln!("snapshot: loaded the backup, at event {event}");
                return Ok((serf, Start::Snapshot(event)));
            }
            Err(why) => Some(why),
        },
        Err(SnapshotError::Missing(_)) => rejected,
        Err(e @ (SnapshotError::Io { .. } | SnapshotError::Newer { .. })) => return Err(e.to_string()),
        Err(e) => Some(format!("and the backup: {}", describe_unusable(pier, &e))),
    };
    if let Some(why) = &why {
        eprintln!("snapshot: unusable ({why}); recomputing the state from the log");
    }
    Ok((initial_serf(pier)?, Start::Log(why)))
}

/// The serf of a loaded snapshot, or why it cannot be used; an error if it is past the end of the log.
fn restore(pier: &Pier, (heap, info): (Heap, SnapshotInfo)) -> Result<Result<Serf, String>, String> {
    let last = pier.log.last();
    if info.event > last {
        return Err(format!(
            "the snapshot is at event {}, past the end of the log (event {last}): the log has lost events it \
             had committed",
            info.event
        ));
    }
    Ok(Serf::restore(heap, &info.roots, info.event)
        .ok_or_else(|| format!("its jet registrations at event {} are unreadable", info.event)))
}

/// Why a snapshot is unusable; for an image that holds another kernel than it claims, which logged event
/// that kernel's mug belongs to, if any.
fn describe_unusable(pier: &Pier, error: &SnapshotError) -> String {
    let SnapshotError::Mismatch { root: 0, computed, .. } = error else {
        return error.to_string();
    };
    match pier.log.events_with_mug(*computed) {
        Ok(events) if events.is_empty() => format!("{error}; no logged event has that mug"),
        Ok(events) => {
            let listed: Vec<String> = events.iter().take(8).map(u64::to_string).collect();
            format!("{error}, the mug the log records after event {}", listed.join(", "))
        }
        Err(e) => format!("{error} (the log could not be searched for it: {e})"),
    }
}

/// Replays the log into `serf` up to event `to`, checking every logged nonzero mug. With no kernel yet,
/// the first `life` events go through the lifecycle. `checks` are snapshots' `(event, mug)`s to compare
/// with on the way.
///
/// With `cache` (a directory), the lifecycle's kernel is taken from it when it holds the one these boot
/// formulas make (and saved there when computed). Once `stop` is set, the replay ends after the event in
/// hand.
pub fn replay(
    pier: &Pier,
    serf: &mut Serf,
    to: u64,
    verbosity: Verbosity,
    checks: &[(u64, u32)],
    cache: Option<&Path>,
    stop: Option<&AtomicBool>,
) -> Result<(), String> {
    let stopped = || stop.is_some_and(|stop| stop.load(Ordering::Relaxed));
    if serf.kernel().is_none() {
        replay_lifecycle(pier, serf, verbosity, cache)?;
    }
    if stopped() && serf.event < to {
        note(verbosity, || format!("play: stopped before replaying, at event {} of {to}", serf.event));
        return Ok(());
    }
    while serf.event < to {
        let batch = (to - serf.event).min(REPLAY_BATCH as u64) as usize;
        let from = serf.event + 1;
        let events = pier.log.read(from, batch).map_err(|e| e.to_string())?;
        if events.is_empty() {
            return Err(format!("the log has no event {from}"));
        }
        for event in events {
            let job = serf
                .heap
                .cue(&event.jam)
                .map_err(|e| format!("event {}: the log's record does not cue: {e}", event.number))?;
            if let Err(e) = serf.play(job, event.mug) {
                report_goof(serf, &e);
                return Err(format!("play: {e}"));
            }
            for &(at, mug) in checks {
                if at == serf.event && serf.mug() != mug {
                    return Err(format!(
                        "play: at event {at} the kernel's mug is {:#x}, but the snapshot recorded {mug:#x}",
                        serf.mug()
                    ));
                }
            }
            if stopped() {
                note(verbosity, || format!("play: stopped at event {} of {to}", serf.event));
                return Ok(());
            }
        }
        serf.tidy();
        note(verbosity, || format!("play: ({}) done", serf.event));
    }
    Ok(())
}

/// The lifecycle: the first `life` events of the log, through the cache when it has their kernel.
fn replay_lifecycle(
    pier: &Pier,
    serf: &mut Serf,
    verbosity: Verbosity,
    cache: Option<&Path>,
) -> Result<(), String> {
    let life = pier.meta.life as u64;
    let events = pier.log.read(1, life as usize).map_err(|e| e.to_string())?;
    if (events.len() as u64) < life {
        return Err(format!("the log holds {} of the {life} boot events", events.len()));
    }
    let jams: Vec<Vec<u8>> = events.into_iter().map(|e| e.jam).collect();
    lifecycle(serf, &jams, verbosity, cache)
}

/// The lifecycle over a log's boot events (their jams, events 1, 2, ...), through the cache in `cache`
/// (a directory) when it has their kernel, and saved there when computed.
pub fn lifecycle(
    serf: &mut Serf,
    jams: &[Vec<u8>],
    verbosity: Verbosity,
    cache: Option<&Path>,
) -> Result<(), String> {
    let life = jams.len() as u64;
    let cached = cache.map(|dir| cache::lifecycle_path(dir, jams));
    if let Some(hit) = cached.as_deref().and_then(|path| cache::load_lifecycle(path, life)) {
        note(verbosity, || format!("play: the lifecycle's kernel (events 1-{life}) from the cache"));
        *serf = hit.serf;
        return Ok(());
    }
    let mut formulas = Vec::with_capacity(jams.len());
    for (i, jam) in jams.iter().enumerate() {
        let formula =
            serf.heap.cue(jam).map_err(|e| format!("event {}: the log's record does not cue: {e}", i + 1))?;
        formulas.push(formula);
    }
    note(verbosity, || format!("play: lifecycle over events 1-{life}"));
    let started = std::time::Instant::now();
    serf.boot(&formulas).map_err(|e| format!("play: {e}"))?;
    if let Some(path) = &cached
        && let Err(e) = cache::save_lifecycle(path, serf, started.elapsed())
    {
        note(verbosity, || format!("play: {e}"));
    }
    Ok(())
}

/// `engine play`: the state rebuilt from the log alone (the lifecycle, or an imported base), every
/// logged mug checked, and the mug of each snapshot on disk (the newest and the backup, each computed from
/// its image) at its event; then the snapshot is rewritten from the result. A newest snapshot that does not
/// load is set aside first (the rewrite replaces it). Returns the serf and the events of the snapshots it
/// checked, newest first.
pub fn play(root: &Path, verbosity: Verbosity) -> Result<(Serf, Vec<u64>), String> {
    let pier = Pier::open(root, LogConfig::default()).map_err(|e| e.to_string())?;
    let layout = pier.layout();
    let mut checks = Vec::new();
    match snapshot::load(&layout.snap) {
        Ok((_, info)) => checks.push((info.event, info.mug())),
        Err(SnapshotError::Missing(_)) => {}
        Err(e @ SnapshotError::Newer { .. }) => return Err(e.to_string()),
        Err(e) => {
            eprintln!(
                "snapshot: the newest is unusable ({}); setting it aside",
                describe_unusable(&pier, &e)
            );
            snapshot::reject_newest(&layout.snap).map_err(|e| format!("snapshot: {e}"))?;
        }
    }
    match snapshot::load_backup(&layout.snap) {
        Ok((_, info)) => checks.push((info.event, info.mug())),
        Err(SnapshotError::Missing(_)) => {}
        Err(e @ SnapshotError::Newer { .. }) => return Err(e.to_string()),
        Err(e) => eprintln!("snapshot: the backup is unusable ({})", describe_unusable(&pier, &e)),
    }
    let mut serf = initial_serf(&pier)?;
    for &(event, mug) in &checks {
        if event == serf.event && serf.kernel().is_some() && serf.mug() != mug {
            return Err(format!("the imported base's mug {:#x} is not the snapshot's {mug:#x}", serf.mug()));
        }
    }
    replay(&pier, &mut serf, pier.log.last(), verbosity, &checks, None, None)?;
    serf.meld();
    write_snapshot(&layout, &mut serf)?;
    Ok((serf, checks.iter().map(|&(event, _)| event).collect()))
}
