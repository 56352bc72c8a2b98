//! The pier directory and its lock.
//!
//! ```text
//! <pier>/
//!   .engine/
//!     lock        held with an exclusive advisory lock (flock) while a process has the pier open;
//!                 holds that process's pid, for the message another process gets
//!     meta        the log's identity: format version, ship, fake or real, lifecycle length
//!     log/        the event log: segment files 0000000000000001.log, ... (see log.rs)
//!     snap/       the latest snapshot of the heap (see snapshot.rs)
//!     base.jam    only in an imported pier: the state it was imported from (a cram); its log starts
//!                 with the event after it
//! ```
//!
//! Unlike Vere, which signals the process named in `.vere.lock` and takes over, a second engine refuses to
//! open a pier that is in use.

use crate::disk::{self, Disk, DiskLock, LockRefused};
use crate::log::{EventLog, LogConfig, LogError};
use crate::meta::{Meta, MetaError};
use std::fmt;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Why a pier could not be created or opened.
#[derive(Debug)]
pub enum PierError {
    /// Another process holds the pier's lock.
    InUse {
        path: PathBuf,
        pid: Option<u32>,
    },
    /// `create` found a pier (or anything) already there.
    Exists(PathBuf),
    /// `open` found no pier there.
    Missing(PathBuf),
    Io {
        path: PathBuf,
        op: &'static str,
        source: io::Error,
    },
    Log(LogError),
    Meta(MetaError),
}

impl fmt::Display for PierError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PierError::InUse { path, pid: Some(pid) } => {
                write!(f, "pier {} is in use by another process (pid {pid})", path.display())
            }
            PierError::InUse { path, pid: None } => {
                write!(f, "pier {} is in use by another process", path.display())
            }
            PierError::Exists(path) => {
                write!(f, "{} already exists: will not create a pier over it", path.display())
            }
            PierError::Missing(path) => write!(f, "{} is not a pier (no .engine directory)", path.display()),
            PierError::Io { path, op, source } => write!(f, "{op} {}: {source}", path.display()),
            PierError::Log(e) => write!(f, "{e}"),
            PierError::Meta(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for PierError {}

impl From<LogError> for PierError {
    fn from(e: LogError) -> PierError {
        PierError::Log(e)
    }
}

impl From<MetaError> for PierError {
    fn from(e: MetaError) -> PierError {
        PierError::Meta(e)
    }
}

fn io_error<'a>(path: &'a Path, op: &'static str) -> impl FnOnce(io::Error) -> PierError + 'a {
    move |source| PierError::Io { path: path.to_path_buf(), op, source }
}

/// An open pier: its lock is held until this is dropped.
#[derive(Debug)]
pub struct Pier {
    root: PathBuf,
    disk: Arc<dyn Disk>,
    /// Held for the lock; dropping it releases it.
    _lock: DiskLock,
    pub meta: Meta,
    pub log: EventLog,
}

/// An open pier whose log has been handed to a writer: holds the lock.
#[derive(Debug)]
pub struct PierGuard {
    pub root: PathBuf,
    _lock: DiskLock,
    pub meta: Meta,
}

/// The paths inside a pier.
pub struct Layout {
    pub engine_dir: PathBuf,
    pub lock: PathBuf,
    pub meta: PathBuf,
    pub log: PathBuf,
    pub snap: PathBuf,
    /// The state a pier was imported from (`engine boot --import`): its events start after it.
    pub base: PathBuf,
}

impl Layout {
    pub fn of(root: &Path) -> Layout {
        let engine_dir = root.join(".engine");
        Layout {
            lock: engine_dir.join("lock"),
            meta: engine_dir.join("meta"),
            log: engine_dir.join("log"),
            snap: engine_dir.join("snap"),
            base: engine_dir.join("base.jam"),
            engine_dir,
        }
    }
}

fn take_lock(disk: &dyn Disk, root: &Path, path: &Path) -> Result<DiskLock, PierError> {
    disk.lock(path).map_err(|refused| match refused {
        LockRefused::InUse { pid } => PierError::InUse { path: root.to_path_buf(), pid },
        LockRefused::Io { op, source } => PierError::Io { path: path.into(), op, source },
    })
}

/// Whether `root` holds anything (a pier must be created where nothing is).
fn occupied(disk: &dyn Disk, root: &Path) -> bool {
    match disk.list(root) {
        Ok(names) => !names.is_empty(),
        Err(e) => e.kind() != io::ErrorKind::NotFound,
    }
}

impl Pier {
    /// Creates a new pier at `root` (which must not exist, or be an empty directory) for `meta`.
    pub fn create(root: &Path, meta: Meta, config: LogConfig) -> Result<Pier, PierError> {
        Pier::create_on(disk::real(), root, meta, config, 1)
    }

    /// Opens an existing pier, taking its lock and checking its log.
    pub fn open(root: &Path, config: LogConfig) -> Result<Pier, PierError> {
        Pier::open_on(disk::real(), root, config)
    }

    /// [`Pier::open`] on `disk`.
    pub fn open_on(disk: Arc<dyn Disk>, root: &Path, config: LogConfig) -> Result<Pier, PierError> {
        let layout = Layout::of(root);
        if !disk.is_dir(&layout.engine_dir) {
            return Err(PierError::Missing(root.to_path_buf()));
        }
        let lock = take_lock(&*disk, root, &layout.lock)?;
        let meta = Meta::read_on(&*disk, &layout.meta)?;
        let log = EventLog::open_on(Arc::clone(&disk), &layout.log, config)?;
        Ok(Pier { root: root.to_path_buf(), disk, _lock: lock, meta, log })
    }

    /// Creates a pier for state imported at event `event`: its log starts at `event + 1`.
    pub fn create_imported(
        root: &Path,
        meta: Meta,
        config: LogConfig,
        event: u64,
    ) -> Result<Pier, PierError> {
        Pier::create_on(disk::real(), root, meta, config, event + 1)
    }

    /// A new pier on `disk` whose log starts at event `first` (1, or after an imported state).
    pub fn create_on(
        disk: Arc<dyn Disk>,
        root: &Path,
        meta: Meta,
        config: LogConfig,
        first: u64,
    ) -> Result<Pier, PierError> {
        if occupied(&*disk, root) {
            return Err(PierError::Exists(root.to_path_buf()));
        }
        let layout = Layout::of(root);
        disk::create_dir_durably(&*disk, &layout.engine_dir)
            .map_err(io_error(&layout.engine_dir, "create"))?;
        let lock = take_lock(&*disk, root, &layout.lock)?;
        meta.write_on(&*disk, &layout.meta)?;
        let log = EventLog::open_from_on(Arc::clone(&disk), &layout.log, config, first)?;
        Ok(Pier { root: root.to_path_buf(), disk, _lock: lock, meta, log })
    }

    /// The storage the pier is on.
    pub fn disk(&self) -> &Arc<dyn Disk> {
        &self.disk
    }

    /// Splits the pier into its lock (held while the guard lives) and its log, so a writer thread can own
    /// the log.
    pub fn into_parts(self) -> (PierGuard, EventLog) {
        (PierGuard { root: self.root, _lock: self._lock, meta: self.meta }, self.log)
    }

    /// The pier's directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The paths inside this pier.
    pub fn layout(&self) -> Layout {
        Layout::of(&self.root)
    }
}
