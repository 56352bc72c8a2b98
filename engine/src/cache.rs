//! The cache of work that does not depend on the ship: booted kernels that any number of ships (or eval
//! runs) start from, each named by a hash of what it was computed from, so a different pill never matches.
//!
//! - eval's booted ivory kernel (see `cmd::eval`);
//! - a boot pill's lifecycle: the kernel the boot formulas make before any event names a ship (compiling
//!   the compiler and Arvo: minutes for brass.pill). Every fake ship booted from the same pill, and every
//!   pier recomputed from its log, starts from that same kernel.
//!
//! A lifecycle file is `"ENGLIFE1" | lifecycle events u64 | milliseconds it took u64 | SHA-256 of the jam
//! | jam of [kernel jet-registrations]`. A file that is damaged, cut short or of another format is ignored
//! (the lifecycle is computed again); writing one that fails is only a missed speed-up.

use components::Heap;
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::time::Duration;
use systems::serf::Serf;

const LIFECYCLE_MAGIC: &[u8; 8] = b"ENGLIFE1";
/// The header: magic, event count, milliseconds, digest.
const LIFECYCLE_HEADER_BYTES: usize = 8 + 8 + 8 + 32;

/// Where booted kernels are cached: `$ENGINE_CACHE`, else `$XDG_CACHE_HOME/engine`, else `~/.cache/engine`.
pub fn dir() -> PathBuf {
    let var = |name| std::env::var_os(name).filter(|v| !v.is_empty()).map(PathBuf::from);
    var("ENGINE_CACHE")
        .or_else(|| var("XDG_CACHE_HOME").map(|d| d.join("engine")))
        .or_else(|| var("HOME").map(|h| h.join(".cache/engine")))
        .unwrap_or_else(|| PathBuf::from(".engine-cache"))
}

/// A name for what `parts` hold: the first 12 bytes of their SHA-256, in hex.
pub fn key<'a>(parts: impl IntoIterator<Item = &'a [u8]>) -> String {
    let mut hasher = Sha256::new();
    for part in parts {
        hasher.update((part.len() as u64).to_le_bytes());
        hasher.update(part);
    }
    hasher.finalize()[..12].iter().map(|b| format!("{b:02x}")).collect()
}

/// The lifecycle cache file for the boot formulas whose jams are `formulas`.
pub fn lifecycle_path(dir: &Path, formulas: &[Vec<u8>]) -> PathBuf {
    dir.join(format!("lifecycle-{}.bin", key(formulas.iter().map(Vec::as_slice))))
}

/// A lifecycle read from the cache: the serf at event `life`, and how long computing it took.
pub struct CachedLifecycle {
    pub serf: Serf,
    pub computed_in: Duration,
}

/// The serf after the lifecycle of `life` events, if the cache at `path` holds a sound one.
pub fn load_lifecycle(path: &Path, life: u64) -> Option<CachedLifecycle> {
    let bytes = std::fs::read(path).ok()?;
    let (header, jam) = bytes.split_at_checked(LIFECYCLE_HEADER_BYTES)?;
    let word = |at: usize| u64::from_le_bytes(header[at..at + 8].try_into().expect("8 bytes"));
    if &header[..8] != LIFECYCLE_MAGIC || word(8) != life || header[24..] != Sha256::digest(jam)[..] {
        return None;
    }
    let mut heap = Heap::new();
    let saved = heap.cue(jam).ok()?;
    let (kernel, registrations) = heap.cell_parts(saved)?;
    let serf = Serf::restore(heap, &[kernel, registrations], life)?;
    Some(CachedLifecycle { serf, computed_in: Duration::from_millis(word(16)) })
}

/// Saves `serf` (just after its lifecycle, which took `took`) to the cache at `path`.
pub fn save_lifecycle(path: &Path, serf: &mut Serf, took: Duration) -> Result<(), String> {
    let roots = serf.roots().ok_or("no kernel to cache")?;
    let saved = serf.heap.tuple(&roots);
    let jam = serf.heap.jam(saved);
    let mut bytes = Vec::with_capacity(LIFECYCLE_HEADER_BYTES + jam.len());
    bytes.extend_from_slice(LIFECYCLE_MAGIC);
    bytes.extend_from_slice(&serf.event.to_le_bytes());
    bytes.extend_from_slice(&(took.as_millis() as u64).to_le_bytes());
    bytes.extend_from_slice(&Sha256::digest(&jam));
    bytes.extend_from_slice(&jam);
    let partial = path.with_extension("partial");
    let written = path
        .parent()
        .map_or(Ok(()), std::fs::create_dir_all)
        .and_then(|()| std::fs::write(&partial, &bytes))
        .and_then(|()| std::fs::rename(&partial, path));
    written.map_err(|e| format!("cannot write the lifecycle cache {}: {e}", path.display()))
}
