//! `engine boot`, `run`, `play` and `cram`: a ship's pier (spec/pier.md).

use crate::run::{self, RunOptions};
use crate::ship::{self, Verbosity};
use components::app::{HttpOptions, SimNetConfig};
use std::path::{Path, PathBuf};
use std::time::Duration;

pub fn boot(
    root: &Path,
    pill: Option<&Path>,
    fake: &str,
    import: Option<&Path>,
    event: Option<u64>,
    no_cache: bool,
) -> Result<(), String> {
    let who = ship::parse_ship(fake)?;
    let mut serf = match (import, pill) {
        (Some(file), _) => ship::import(root, file, who, event)?,
        (None, Some(pill)) => {
            let cache = (!no_cache).then(crate::cache::dir);
            ship::boot(root, pill, who, Verbosity::Progress, cache.as_deref())?
        }
        (None, None) => return Err("boot needs --pill PILL or --import FILE".into()),
    };
    let mug = serf.mug();
    println!("booted {} at event {}, kernel mug {mug:#x}", root.display(), serf.event);
    Ok(())
}

/// `engine run`'s flags.
pub struct RunFlags {
    pub exit_on_eof: bool,
    pub verbose: bool,
    pub snapshot_every: f64,
    pub tick_steps: u64,
    pub conn: bool,
    pub ames: bool,
    pub ames_port: Option<u16>,
    pub tty: bool,
    /// `--threads`: none means one per core.
    pub threads: Option<usize>,
    /// `--scry-threads`: none means one per core (at most the reader slots of a heap's region).
    pub scry_threads: Option<usize>,
    /// `--virtual-time`, with `--seed`'s entropy.
    pub virtual_time: bool,
    pub seed: u64,
    /// `--net sim`: the simulated network, so configured.
    pub net: Option<SimNetConfig>,
    /// http's options (`None`: `--no-http`).
    pub http: Option<HttpOptions>,
}

pub fn run(roots: &[PathBuf], flags: RunFlags, inject: &[PathBuf]) -> Result<(), String> {
    let RunFlags {
        exit_on_eof,
        verbose,
        snapshot_every,
        tick_steps,
        conn,
        ames,
        ames_port,
        tty,
        threads,
        scry_threads,
        virtual_time,
        seed,
        net,
        http,
    } = flags;
    if let Some(net) = net
        && (!(0.0..=1.0).contains(&net.loss) || !(0.0..=1.0).contains(&net.duplicate))
    {
        return Err("--net-loss and --net-duplicate are fractions, from 0 to 1".into());
    }
    if !snapshot_every.is_finite() || snapshot_every < 0.0 {
        return Err(format!("--snapshot-every {snapshot_every}: give a number of seconds"));
    }
    if tick_steps == 0 {
        return Err("--tick-steps 0: give at least one step".into());
    }
    let threads = match threads {
        Some(0) => return Err("--threads 0: give at least one thread".into()),
        Some(threads) => threads,
        None => std::thread::available_parallelism().map_or(1, |n| n.get()),
    };
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let scry_threads = scry_threads.unwrap_or(cores).min(components::region::READER_SLOTS);
    let options = RunOptions {
        exit_on_eof,
        verbose,
        snapshot_every: Duration::from_secs_f64(snapshot_every),
        tick_steps,
        conn,
        ames,
        ames_port,
        tty,
        threads,
        scry_threads,
        net,
        http,
    };
    let simulation = virtual_time.then_some(run::Simulation { seed });
    run::run(roots, options, inject, simulation)
}

pub fn play(root: &Path) -> Result<(), String> {
    let (mut serf, checked) = ship::play(root, Verbosity::Progress)?;
    let checked = match checked.as_slice() {
        [] => String::new(),
        [event] => format!("; the snapshot's mug at event {event} agrees"),
        [newest, backup] => {
            format!("; the snapshot's mug at event {newest} agrees, and the backup's at event {backup}")
        }
        events => format!("; the snapshots' mugs at events {events:?} agree"),
    };
    let mug = serf.mug();
    println!("played to event {}, kernel mug {mug:#x}{checked}", serf.event);
    Ok(())
}

/// Melds a stopped pier's state (equal subtrees made one box, as Vere's `urbit meld`) and writes it as the
/// pier's snapshot, in full.
pub fn meld(root: &Path) -> Result<(), String> {
    let (pier, mut serf, _) = ship::open(root, Verbosity::Quiet, None)?;
    let before = serf.heap.words_used();
    let mug = serf.mug();
    let stats = serf.meld();
    let after = serf.heap.words_used();
    // The snapshot written is read back and its roots' mugs computed from its structure (not from the
    // mugs cached in its boxes) before it replaces the last one.
    serf.heap.start_lineage();
    ship::write_snapshot(&pier.layout(), &mut serf)?;
    drop(pier);
    println!(
        "melded {} at event {}, kernel mug {mug:#x}: {before} words to {after} ({:.1}%); cells {} of {} kept, atoms {} of {}",
        root.display(),
        serf.event,
        100.0 * after as f64 / before.max(1) as f64,
        stats.cells_kept,
        stats.cells,
        stats.atoms_kept,
        stats.atoms,
    );
    Ok(())
}

pub fn cram(root: &Path, file: &Path) -> Result<(), String> {
    let (pier, mut serf, _) = ship::open(root, Verbosity::Quiet, None)?;
    let bytes = ship::cram_bytes(&mut serf)?;
    std::fs::write(file, &bytes).map_err(|e| format!("cannot write {}: {e}", file.display()))?;
    drop(pier);
    let mug = serf.mug();
    println!(
        "crammed {} at event {}, kernel mug {mug:#x}: {} bytes",
        root.display(),
        serf.event,
        bytes.len()
    );
    Ok(())
}
