//! A simulated disk for fault-injection tests: files in memory, what is durable kept apart from what is
//! only written, and faults and crashes where a seed says.
//!
//! The rules it follows (POSIX's promises, read strictly):
//! - A file's bytes are durable once [`DiskFile::sync`] returns success (unless the sync lied, below).
//!   Bytes written and not synced survive a crash in any of these shapes: none of them, all of them, or a
//!   prefix of them (a torn write), where the part that did not arrive may read as zeros up to the size the
//!   file had reached (the size reached the disk, the data did not).
//! - A name (a create, a rename, a removal) is durable once its directory is synced ([`Disk::sync_dir`]).
//!   Of the names changed and not synced, a crash keeps either a prefix in the order they were made (a
//!   journaling filesystem) or any subset (the strict reading); each rename is atomic either way. A new
//!   directory is a name in its parent like any other: lost with everything in it unless the parent was
//!   synced.
//! - A crash ([`SimDisk::crash`], a power loss) applies those rules; a process death
//!   ([`SimDisk::kill`]) loses nothing that was written, only the locks.
//!
//! Faults, each drawn from the seed while the fault budget lasts: a write that fails with `ENOSPC` after a
//! part of its bytes reached the file; an fsync that fails with `EIO` (nothing more made durable); an fsync
//! that lies (reports success, makes nothing durable: only a crash shows it); `ENOSPC` on a create or a
//! rename; `EIO` on a read. [`SimDisk::crash_at`] stops the world at the n-th operation: that operation
//! happens or not (a crash before or after it) and fails, and so does every operation after it, until the
//! test calls [`SimDisk::crash`] or [`SimDisk::kill`].
//!
//! ```
//! use std::sync::Arc;
//! use store::disk::Disk;
//! use store::sim::{Faults, SimDisk};
//! let sim = SimDisk::new(7, Faults::none());
//! let disk: Arc<dyn Disk> = Arc::new(sim.clone());
//! disk.create_dir_all("/p".as_ref()).unwrap();
//! let mut file = disk.create("/p/a".as_ref()).unwrap();
//! file.write_all(b"durable").unwrap();
//! file.sync().unwrap();
//! disk.sync_dir("/p".as_ref()).unwrap();
//! file.write_all(b" and not").unwrap();
//! sim.crash();
//! let after = disk.read("/p/a".as_ref()).unwrap();
//! assert!(after.starts_with(b"durable") && after.len() <= 15);
//! ```

use crate::disk::{Bytes, Disk, DiskFile, DiskLock, LockRefused};
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::fmt;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

/// How often each fault is drawn: one operation of that kind in `n` fails (0: never).
#[derive(Debug, Clone, Copy, Default)]
pub struct Faults {
    /// A write fails with `ENOSPC` after a part of it reached the file.
    pub enospc_write_one_in: u32,
    /// A create or rename fails with `ENOSPC`.
    pub enospc_name_one_in: u32,
    /// An fsync (of a file or a directory) fails with `EIO`.
    pub fsync_eio_one_in: u32,
    /// An fsync reports success and makes nothing durable.
    pub fsync_lie_one_in: u32,
    /// A read fails with `EIO`.
    pub read_eio_one_in: u32,
    /// How many faults may be injected in all (crashes not counted).
    pub budget: u32,
}

impl Faults {
    /// No faults: only the crashes a test asks for.
    pub fn none() -> Faults {
        Faults::default()
    }
}

/// What the simulator has done, for a test's report.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SimStats {
    pub ops: u64,
    pub faults: u64,
    pub lies: u64,
    pub crashes: u64,
    pub torn_files: u64,
}

/// SplitMix64: a small, good, seedable generator (the simulator's, and a harness's own draws).
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (0 when `n` is 0). One draw whatever `n`, so that the draws after it do not
    /// depend on it.
    pub fn below(&mut self, n: u64) -> u64 {
        let draw = self.next_u64();
        if n == 0 { 0 } else { draw % n }
    }

    /// True one time in `n` (never when `n` is 0).
    pub fn one_in(&mut self, n: u32) -> bool {
        self.below(n as u64) == 0 && n != 0
    }
}

#[derive(Debug, Clone, Default)]
struct Inode {
    data: Vec<u8>,
    durable: Vec<u8>,
}

#[derive(Debug, Clone)]
enum NameOp {
    Link { path: PathBuf, inode: usize },
    Unlink { path: PathBuf },
    Rename { from: PathBuf, to: PathBuf, inode: usize },
    Mkdir { path: PathBuf },
}

impl NameOp {
    fn dir(&self) -> Option<&Path> {
        match self {
            NameOp::Link { path, .. } | NameOp::Unlink { path } | NameOp::Mkdir { path } => path.parent(),
            NameOp::Rename { to, .. } => to.parent(),
        }
    }

    fn apply(&self, names: &mut BTreeMap<PathBuf, usize>, dirs: &mut BTreeSet<PathBuf>) {
        match self {
            NameOp::Mkdir { path } => {
                dirs.insert(path.clone());
            }
            NameOp::Link { path, inode } => {
                names.insert(path.clone(), *inode);
            }
            NameOp::Unlink { path } => {
                names.remove(path);
            }
            NameOp::Rename { from, to, inode } => {
                names.remove(from);
                names.insert(to.clone(), *inode);
            }
        }
    }
}

/// How many recent operations the simulator remembers, for a failing test's report.
const TRACE_OPS_MAX: usize = 48;

#[derive(Debug)]
struct State {
    rng: Rng,
    faults: Faults,
    inodes: Vec<Inode>,
    names: BTreeMap<PathBuf, usize>,
    durable_names: BTreeMap<PathBuf, usize>,
    pending: Vec<NameOp>,
    dirs: BTreeSet<PathBuf>,
    durable_dirs: BTreeSet<PathBuf>,
    locks: BTreeSet<PathBuf>,
    crash_at: Option<u64>,
    fail_at: Option<u64>,
    crashed: bool,
    /// While set, operations are neither counted nor faulted (a harness reading the disk to check it).
    suspended: bool,
    /// Every read of this file fails with `EIO` (a test's fault at a chosen place).
    failing_reads: Option<PathBuf>,
    stats: SimStats,
    trace: VecDeque<String>,
}

fn crashed_error() -> io::Error {
    io::Error::other("simulated crash: the process is gone")
}

fn enospc() -> io::Error {
    io::Error::from_raw_os_error(28)
}

fn eio() -> io::Error {
    io::Error::from_raw_os_error(5)
}

fn not_found(path: &Path) -> io::Error {
    io::Error::new(io::ErrorKind::NotFound, format!("{}: no such file (simulated)", path.display()))
}

/// Whether the operation goes on, and if it should take effect before failing (a crash after it).
enum Gate {
    Go,
    /// This one operation fails with `EIO`, having done nothing; the world goes on.
    Fail,
    CrashBefore,
    CrashAfter,
}

impl State {
    /// Counts an operation and decides whether the world stops at it.
    fn gate(&mut self, what: impl FnOnce() -> String) -> Gate {
        if self.crashed {
            return Gate::CrashBefore;
        }
        if self.suspended {
            return Gate::Go;
        }
        self.stats.ops += 1;
        if self.trace.len() == TRACE_OPS_MAX {
            self.trace.pop_front();
        }
        self.trace.push_back(format!("{} {}", self.stats.ops, what()));
        if self.fail_at == Some(self.stats.ops) {
            self.stats.faults += 1;
            self.trace.push_back("  -- fault: EIO (chosen by the test)".into());
            return Gate::Fail;
        }
        if self.crash_at == Some(self.stats.ops) {
            self.crashed = true;
            self.trace.push_back("  -- the process stops here".into());
            return if self.rng.below(2) == 0 { Gate::CrashBefore } else { Gate::CrashAfter };
        }
        Gate::Go
    }

    /// Runs one operation through the gate: the world may stop before it or after it (it fails either way).
    fn run<T>(
        &mut self,
        what: impl FnOnce() -> String,
        op: impl FnOnce(&mut State) -> io::Result<T>,
    ) -> io::Result<T> {
        match self.gate(what) {
            Gate::Go => op(self),
            Gate::Fail => Err(eio()),
            Gate::CrashBefore => Err(crashed_error()),
            Gate::CrashAfter => {
                let _ = op(self);
                Err(crashed_error())
            }
        }
    }

    /// Draws a fault of one-in-`n` odds, within the budget.
    fn fault(&mut self, n: u32, what: &str) -> bool {
        if self.suspended || self.faults.budget == 0 || !self.rng.one_in(n) {
            return false;
        }
        self.faults.budget -= 1;
        self.stats.faults += 1;
        self.trace.push_back(format!("  -- fault: {what}"));
        true
    }

    fn inode_at(&self, path: &Path) -> io::Result<usize> {
        self.names.get(path).copied().ok_or_else(|| not_found(path))
    }

    fn parent_exists(&self, path: &Path) -> io::Result<()> {
        match path.parent() {
            Some(dir) if self.dirs.contains(dir) => Ok(()),
            _ => Err(not_found(path)),
        }
    }

    fn link_new(&mut self, path: &Path) -> usize {
        let inode = self.inodes.len();
        self.inodes.push(Inode::default());
        self.names.insert(path.to_path_buf(), inode);
        self.pending.push(NameOp::Link { path: path.to_path_buf(), inode });
        inode
    }

    /// What a crash leaves of one file: its durable bytes, and of the rest all, none or a torn part.
    fn survivor(rng: &mut Rng, inode: &Inode) -> (Vec<u8>, bool) {
        if inode.data == inode.durable {
            return (inode.durable.clone(), false);
        }
        match rng.below(3) {
            0 => (inode.durable.clone(), false),
            1 => (inode.data.clone(), false),
            _ => {
                let same = inode.data.iter().zip(&inode.durable).take_while(|(a, b)| a == b).count();
                let kept = same + rng.below((inode.data.len() - same) as u64 + 1) as usize;
                let mut bytes = inode.data[..kept].to_vec();
                if rng.below(2) == 0 {
                    let size = kept + rng.below((inode.data.len() - kept) as u64 + 1) as usize;
                    bytes.resize(size, 0);
                }
                (bytes, true)
            }
        }
    }

    fn crash(&mut self) {
        let mut names = std::mem::take(&mut self.durable_names);
        let mut dirs = std::mem::take(&mut self.durable_dirs);
        let pending = std::mem::take(&mut self.pending);
        if self.rng.below(2) == 0 {
            let kept = self.rng.below(pending.len() as u64 + 1) as usize;
            pending[..kept].iter().for_each(|op| op.apply(&mut names, &mut dirs));
        } else {
            for op in &pending {
                if self.rng.below(2) == 0 {
                    op.apply(&mut names, &mut dirs);
                }
            }
        }
        // A directory whose own entry was lost takes everything in it along (parents sort first).
        let mut reachable = BTreeSet::new();
        for dir in dirs {
            if dir.parent().is_none_or(|parent| reachable.contains(parent)) {
                reachable.insert(dir);
            }
        }
        names.retain(|path, _| path.parent().is_some_and(|dir| reachable.contains(dir)));
        self.dirs = reachable.clone();
        self.durable_dirs = reachable;
        for inode in 0..self.inodes.len() {
            let (bytes, torn) = State::survivor(&mut self.rng, &self.inodes[inode]);
            self.stats.torn_files += torn as u64;
            self.inodes[inode] = Inode { data: bytes.clone(), durable: bytes };
        }
        self.names = names.clone();
        self.durable_names = names;
        self.end_process();
        self.stats.crashes += 1;
        self.trace.push_back("  -- power lost: the disk keeps what was durable".into());
    }

    fn end_process(&mut self) {
        self.locks.clear();
        self.crashed = false;
        self.crash_at = None;
    }
}

/// The simulated disk. Clones share the same files.
#[derive(Clone)]
pub struct SimDisk {
    state: Arc<Mutex<State>>,
}

impl fmt::Debug for SimDisk {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SimDisk")
    }
}

impl SimDisk {
    /// An empty disk whose faults are drawn from `seed`.
    pub fn new(seed: u64, faults: Faults) -> SimDisk {
        let state = State {
            rng: Rng(seed),
            faults,
            inodes: Vec::new(),
            names: BTreeMap::new(),
            durable_names: BTreeMap::new(),
            pending: Vec::new(),
            dirs: BTreeSet::from([PathBuf::from("/")]),
            durable_dirs: BTreeSet::from([PathBuf::from("/")]),
            locks: BTreeSet::new(),
            crash_at: None,
            fail_at: None,
            crashed: false,
            suspended: false,
            failing_reads: None,
            stats: SimStats::default(),
            trace: VecDeque::new(),
        };
        SimDisk { state: Arc::new(Mutex::new(state)) }
    }

    fn lock_state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The operation count so far (the next operation is number `ops() + 1`).
    pub fn ops(&self) -> u64 {
        self.lock_state().stats.ops
    }

    /// Stops the world at operation number `op` (counted from the disk's creation).
    pub fn crash_at(&self, op: u64) {
        self.lock_state().crash_at = Some(op);
    }

    /// Makes operation number `op` fail with `EIO`, doing nothing (the process goes on).
    pub fn fail_at(&self, op: u64) {
        self.lock_state().fail_at = Some(op);
    }

    /// Whether the world has stopped (a crash point was reached).
    pub fn crashed(&self) -> bool {
        self.lock_state().crashed
    }

    /// Runs `check` with faults and the crash point suspended and its operations not counted: a harness
    /// reading the disk to check it, outside the simulated process.
    pub fn unfaulted<T>(&self, check: impl FnOnce() -> T) -> T {
        self.lock_state().suspended = true;
        let result = check();
        self.lock_state().suspended = false;
        result
    }

    /// Makes every read of `path` fail with `EIO` until called with `None`.
    pub fn fail_reads_of(&self, path: Option<PathBuf>) {
        self.lock_state().failing_reads = path;
    }

    /// Sets the faults drawn from now on (a new budget included).
    pub fn set_faults(&self, faults: Faults) {
        self.lock_state().faults = faults;
    }

    /// A power loss: what was not durable is lost or torn (see the module's rules).
    pub fn crash(&self) {
        self.lock_state().crash();
    }

    /// A process death (kill -9, an exit): the files are as written; the locks are released.
    pub fn kill(&self) {
        let mut state = self.lock_state();
        state.end_process();
        state.trace.push_back("  -- the process died: the disk keeps what was written".into());
    }

    /// Makes everything durable (a clean shutdown of the machine, or a test's setup).
    pub fn sync_everything(&self) {
        let mut state = self.lock_state();
        for inode in &mut state.inodes {
            inode.durable = inode.data.clone();
        }
        state.durable_names = state.names.clone();
        state.durable_dirs = state.dirs.clone();
        state.pending.clear();
    }

    pub fn stats(&self) -> SimStats {
        self.lock_state().stats
    }

    /// The last operations, faults and crashes, oldest first.
    pub fn trace(&self) -> Vec<String> {
        self.lock_state().trace.iter().cloned().collect()
    }

    /// Replaces a file's bytes at once, durably (a test damaging a file on purpose).
    pub fn overwrite(&self, path: &Path, bytes: &[u8]) -> io::Result<()> {
        let mut state = self.lock_state();
        let inode = state.inode_at(path)?;
        state.inodes[inode] = Inode { data: bytes.to_vec(), durable: bytes.to_vec() };
        Ok(())
    }
}

#[derive(Debug)]
struct SimFile {
    disk: SimDisk,
    inode: usize,
    path: PathBuf,
}

impl DiskFile for SimFile {
    fn write_all(&mut self, bytes: &[u8]) -> io::Result<()> {
        let mut state = self.disk.lock_state();
        let n = state.faults.enospc_write_one_in;
        let inode = self.inode;
        state.run(
            || format!("write {} bytes to {}", bytes.len(), self.path.display()),
            |state| {
                if state.fault(n, "ENOSPC in the middle of the write") {
                    let part = state.rng.below(bytes.len() as u64 + 1) as usize;
                    state.inodes[inode].data.extend_from_slice(&bytes[..part]);
                    Err(enospc())
                } else {
                    state.inodes[inode].data.extend_from_slice(bytes);
                    Ok(())
                }
            },
        )
    }

    fn sync(&mut self) -> io::Result<()> {
        let mut state = self.disk.lock_state();
        let (eio_n, lie_n) = (state.faults.fsync_eio_one_in, state.faults.fsync_lie_one_in);
        state.run(
            || format!("fsync {}", self.path.display()),
            |state| {
                if state.fault(eio_n, "fsync EIO") {
                    Err(eio())
                } else if state.fault(lie_n, "fsync lies") {
                    state.stats.lies += 1;
                    Ok(())
                } else {
                    let inode = &mut state.inodes[self.inode];
                    inode.durable = inode.data.clone();
                    Ok(())
                }
            },
        )
    }

    fn set_len(&mut self, len: u64) -> io::Result<()> {
        let mut state = self.disk.lock_state();
        state.run(
            || format!("truncate {} to {len}", self.path.display()),
            |state| {
                state.inodes[self.inode].data.resize(len as usize, 0);
                Ok(())
            },
        )
    }

    fn size_bytes(&self) -> io::Result<u64> {
        Ok(self.disk.lock_state().inodes[self.inode].data.len() as u64)
    }
}

struct SimLock {
    disk: SimDisk,
    path: PathBuf,
}

impl Drop for SimLock {
    fn drop(&mut self) {
        self.disk.lock_state().locks.remove(&self.path);
    }
}

impl SimDisk {
    fn open_file(&self, path: &Path, inode: usize) -> Box<dyn DiskFile> {
        Box::new(SimFile { disk: self.clone(), inode, path: path.to_path_buf() })
    }

    fn read_bytes(&self, path: &Path) -> io::Result<Vec<u8>> {
        let mut state = self.lock_state();
        let n = state.faults.read_eio_one_in;
        state.run(
            || format!("read {}", path.display()),
            |state| {
                let inode = state.inode_at(path)?;
                if state.failing_reads.as_deref() == Some(path) || state.fault(n, "read EIO") {
                    Err(eio())
                } else {
                    Ok(state.inodes[inode].data.clone())
                }
            },
        )
    }

    fn make(&self, path: &Path, must_be_new: bool) -> io::Result<Box<dyn DiskFile>> {
        let mut state = self.lock_state();
        let n = state.faults.enospc_name_one_in;
        let inode = state.run(
            || format!("create {}", path.display()),
            |state| {
                state.parent_exists(path)?;
                match state.names.get(path).copied() {
                    Some(_) if must_be_new => Err(io::Error::from(io::ErrorKind::AlreadyExists)),
                    Some(inode) => {
                        state.inodes[inode].data.clear();
                        Ok(inode)
                    }
                    None if state.fault(n, "ENOSPC at create") => Err(enospc()),
                    None => Ok(state.link_new(path)),
                }
            },
        )?;
        Ok(self.open_file(path, inode))
    }
}

impl Disk for SimDisk {
    fn create_dir_all(&self, path: &Path) -> io::Result<()> {
        let mut state = self.lock_state();
        state.run(
            || format!("mkdir -p {}", path.display()),
            |state| {
                let ancestors: Vec<&Path> = path.ancestors().collect();
                for dir in ancestors.into_iter().rev() {
                    if state.names.contains_key(dir) {
                        return Err(io::Error::from(io::ErrorKind::AlreadyExists));
                    }
                    if state.dirs.insert(dir.to_path_buf()) {
                        state.pending.push(NameOp::Mkdir { path: dir.to_path_buf() });
                    }
                }
                Ok(())
            },
        )
    }

    fn is_dir(&self, path: &Path) -> bool {
        self.lock_state().dirs.contains(path)
    }

    fn list(&self, dir: &Path) -> io::Result<Vec<String>> {
        let mut state = self.lock_state();
        state.run(
            || format!("list {}", dir.display()),
            |state| {
                if !state.dirs.contains(dir) {
                    return Err(not_found(dir));
                }
                // In the order the files were made, not by name: names may hold time-seeded parts (a
                // heap's lineage), and a seed must replay the same operations in the same order.
                let mut files: Vec<(&PathBuf, usize)> = state
                    .names
                    .iter()
                    .filter(|(p, _)| p.parent() == Some(dir))
                    .map(|(p, &i)| (p, i))
                    .collect();
                files.sort_by_key(|&(_, inode)| inode);
                let dirs = state.dirs.iter().filter(|p| p.parent() == Some(dir));
                let paths = files.into_iter().map(|(p, _)| p).chain(dirs);
                Ok(paths.filter_map(|p| p.file_name()?.to_str().map(String::from)).collect())
            },
        )
    }

    fn read(&self, path: &Path) -> io::Result<Vec<u8>> {
        self.read_bytes(path)
    }

    fn map(&self, path: &Path) -> io::Result<Bytes> {
        Ok(Box::new(self.read_bytes(path)?))
    }

    fn create(&self, path: &Path) -> io::Result<Box<dyn DiskFile>> {
        self.make(path, false)
    }

    fn create_new(&self, path: &Path) -> io::Result<Box<dyn DiskFile>> {
        self.make(path, true)
    }

    fn open_append(&self, path: &Path) -> io::Result<Box<dyn DiskFile>> {
        let mut state = self.lock_state();
        let inode = state.run(|| format!("open {}", path.display()), |state| state.inode_at(path))?;
        drop(state);
        Ok(self.open_file(path, inode))
    }

    fn rename(&self, from: &Path, to: &Path) -> io::Result<()> {
        let mut state = self.lock_state();
        let n = state.faults.enospc_name_one_in;
        state.run(
            || format!("rename {} -> {}", from.display(), to.display()),
            |state| {
                let inode = state.inode_at(from)?;
                state.parent_exists(to)?;
                if state.fault(n, "ENOSPC at rename") {
                    return Err(enospc());
                }
                state.names.remove(from);
                state.names.insert(to.to_path_buf(), inode);
                state.pending.push(NameOp::Rename { from: from.to_path_buf(), to: to.to_path_buf(), inode });
                Ok(())
            },
        )
    }

    fn remove_file(&self, path: &Path) -> io::Result<()> {
        let mut state = self.lock_state();
        state.run(
            || format!("remove {}", path.display()),
            |state| {
                state.inode_at(path)?;
                state.names.remove(path);
                state.pending.push(NameOp::Unlink { path: path.to_path_buf() });
                Ok(())
            },
        )
    }

    fn sync_dir(&self, dir: &Path) -> io::Result<()> {
        let mut state = self.lock_state();
        let (eio_n, lie_n) = (state.faults.fsync_eio_one_in, state.faults.fsync_lie_one_in);
        state.run(
            || format!("fsync directory {}", dir.display()),
            |state| {
                if !state.dirs.contains(dir) {
                    return Err(not_found(dir));
                }
                if state.fault(eio_n, "directory fsync EIO") {
                    return Err(eio());
                }
                if state.fault(lie_n, "directory fsync lies") {
                    state.stats.lies += 1;
                    return Ok(());
                }
                let pending = std::mem::take(&mut state.pending);
                let (here, elsewhere): (Vec<NameOp>, Vec<NameOp>) =
                    pending.into_iter().partition(|op| op.dir() == Some(dir));
                let mut names = std::mem::take(&mut state.durable_names);
                let mut dirs = std::mem::take(&mut state.durable_dirs);
                here.iter().for_each(|op| op.apply(&mut names, &mut dirs));
                state.durable_names = names;
                state.durable_dirs = dirs;
                state.pending = elsewhere;
                Ok(())
            },
        )
    }

    fn lock(&self, path: &Path) -> Result<DiskLock, LockRefused> {
        let mut state = self.lock_state();
        let taken = state.run(
            || format!("lock {}", path.display()),
            |state| {
                state.parent_exists(path)?;
                if state.locks.contains(path) {
                    return Ok(false);
                }
                if !state.names.contains_key(path) {
                    state.link_new(path);
                }
                state.locks.insert(path.to_path_buf());
                Ok(true)
            },
        );
        drop(state);
        match taken {
            Ok(true) => Ok(DiskLock(Box::new(SimLock { disk: self.clone(), path: path.to_path_buf() }))),
            Ok(false) => Err(LockRefused::InUse { pid: None }),
            Err(source) => Err(LockRefused::Io { op: "lock", source }),
        }
    }
}
