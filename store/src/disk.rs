//! The storage the pier lives on: every write, fsync, rename, read, listing and lock of the log, the
//! snapshots, the meta file and the pier's lock goes through a [`Disk`].
//!
//! [`RealDisk`] is the operating system's filesystem (what engine runs on); [`crate::sim::SimDisk`] keeps
//! files in memory, knows which bytes and names are durable, and fails or crashes where a seed says, so
//! that a test can check what survives every fault at every step.
//!
//! ```
//! use store::disk::{Disk, RealDisk};
//! let dir = tempfile::tempdir().unwrap();
//! let path = dir.path().join("hello");
//! let mut file = RealDisk.create(&path).unwrap();
//! file.write_all(b"hi").unwrap();
//! file.sync().unwrap();
//! RealDisk.sync_dir(dir.path()).unwrap();
//! assert_eq!(RealDisk.read(&path).unwrap(), b"hi");
//! ```

use std::any::Any;
use std::fmt;
use std::fs::{self, File, OpenOptions, TryLockError};
use std::io::{self, Read, Seek, Write};
use std::ops::Deref;
use std::path::Path;
use std::sync::Arc;

/// A file open for writing at its end.
pub trait DiskFile: Send + fmt::Debug {
    /// Appends `bytes` (all of them, or an error: a part may have reached the file).
    fn write_all(&mut self, bytes: &[u8]) -> io::Result<()>;
    /// Makes what was written durable (`fdatasync`).
    fn sync(&mut self) -> io::Result<()>;
    /// Cuts (or extends with zeros) the file to `len` bytes.
    fn set_len(&mut self, len: u64) -> io::Result<()>;
    /// The file's size in bytes.
    fn size_bytes(&self) -> io::Result<u64>;
}

/// The bytes of a whole file, mapped or read.
pub type Bytes = Box<dyn Deref<Target = [u8]> + Send>;

/// A held lock: released when dropped.
pub struct DiskLock(pub Box<dyn Any + Send + Sync>);

impl fmt::Debug for DiskLock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("DiskLock")
    }
}

/// Why a lock was not taken.
#[derive(Debug)]
pub enum LockRefused {
    /// Another process holds it; the pid it wrote, if it reads.
    InUse {
        pid: Option<u32>,
    },
    Io {
        op: &'static str,
        source: io::Error,
    },
}

/// The operations the pier needs of a filesystem. Names and data become durable as POSIX says: a file's
/// data after [`DiskFile::sync`], a name (create, rename, remove) after [`Disk::sync_dir`] of its directory.
pub trait Disk: Send + Sync + fmt::Debug {
    /// Creates a directory and its parents.
    fn create_dir_all(&self, path: &Path) -> io::Result<()>;
    fn is_dir(&self, path: &Path) -> bool;
    /// The names of the entries in `dir` (files and directories), in no particular order; `NotFound` if
    /// there is no such directory.
    fn list(&self, dir: &Path) -> io::Result<Vec<String>>;
    /// The whole file.
    fn read(&self, path: &Path) -> io::Result<Vec<u8>>;
    /// The whole file, mapped where the disk can (a large snapshot segment).
    fn map(&self, path: &Path) -> io::Result<Bytes>;
    /// Creates `path` empty (truncating a file already there), open for writing.
    fn create(&self, path: &Path) -> io::Result<Box<dyn DiskFile>>;
    /// Creates `path`, which must not exist, open for writing.
    fn create_new(&self, path: &Path) -> io::Result<Box<dyn DiskFile>>;
    /// Opens an existing file for appending.
    fn open_append(&self, path: &Path) -> io::Result<Box<dyn DiskFile>>;
    /// Renames `from` to `to`, replacing `to` atomically.
    fn rename(&self, from: &Path, to: &Path) -> io::Result<()>;
    fn remove_file(&self, path: &Path) -> io::Result<()>;
    /// Makes the names in `dir` durable (an `fsync` of the directory).
    fn sync_dir(&self, dir: &Path) -> io::Result<()>;
    /// Takes the exclusive lock at `path` (creating the file), writing this process's pid into it.
    fn lock(&self, path: &Path) -> Result<DiskLock, LockRefused>;
}

/// Creates `path` and its missing parents, each made durable in its parent (a new directory's entry is a
/// name like any other: until its parent is synced, a crash may lose it and everything written inside).
pub fn create_dir_durably(disk: &dyn Disk, path: &Path) -> io::Result<()> {
    let missing: Vec<&Path> =
        path.ancestors().take_while(|dir| !dir.as_os_str().is_empty() && !disk.is_dir(dir)).collect();
    if missing.is_empty() {
        return Ok(());
    }
    disk.create_dir_all(path)?;
    for dir in missing.into_iter().rev() {
        match dir.parent() {
            Some(parent) if parent.as_os_str().is_empty() => disk.sync_dir(Path::new("."))?,
            Some(parent) => disk.sync_dir(parent)?,
            None => {}
        }
    }
    Ok(())
}

/// The operating system's filesystem.
#[derive(Debug, Clone, Copy, Default)]
pub struct RealDisk;

/// The real filesystem, shared.
pub fn real() -> Arc<dyn Disk> {
    Arc::new(RealDisk)
}

#[derive(Debug)]
struct RealFile(File);

impl DiskFile for RealFile {
    fn write_all(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.0.write_all(bytes)
    }

    fn sync(&mut self) -> io::Result<()> {
        self.0.sync_data()
    }

    fn set_len(&mut self, len: u64) -> io::Result<()> {
        self.0.set_len(len)
    }

    fn size_bytes(&self) -> io::Result<u64> {
        self.0.metadata().map(|m| m.len())
    }
}

impl Disk for RealDisk {
    fn create_dir_all(&self, path: &Path) -> io::Result<()> {
        fs::create_dir_all(path)
    }

    fn is_dir(&self, path: &Path) -> bool {
        path.is_dir()
    }

    fn list(&self, dir: &Path) -> io::Result<Vec<String>> {
        let mut names = Vec::new();
        for entry in fs::read_dir(dir)? {
            names.push(entry?.file_name().to_string_lossy().into_owned());
        }
        Ok(names)
    }

    fn read(&self, path: &Path) -> io::Result<Vec<u8>> {
        let mut bytes = Vec::new();
        File::open(path)?.read_to_end(&mut bytes)?;
        Ok(bytes)
    }

    fn map(&self, path: &Path) -> io::Result<Bytes> {
        let file = File::open(path)?;
        if file.metadata()?.len() == 0 {
            return Ok(Box::new(Vec::new()));
        }
        // SAFETY: the map is read-only and lives only as long as the caller's read of it; the files mapped
        // (snapshot segments) belong to a pier whose lock this process holds, and no engine rewrites a
        // segment in place (new snapshots write new files). A file changed behind our back would at worst
        // give different bytes, which the callers' checksums catch.
        let map = unsafe { memmap2::Mmap::map(&file) }?;
        Ok(Box::new(map))
    }

    fn create(&self, path: &Path) -> io::Result<Box<dyn DiskFile>> {
        Ok(Box::new(RealFile(File::create(path)?)))
    }

    fn create_new(&self, path: &Path) -> io::Result<Box<dyn DiskFile>> {
        let file = OpenOptions::new().create_new(true).append(true).open(path)?;
        Ok(Box::new(RealFile(file)))
    }

    fn open_append(&self, path: &Path) -> io::Result<Box<dyn DiskFile>> {
        Ok(Box::new(RealFile(OpenOptions::new().append(true).open(path)?)))
    }

    fn rename(&self, from: &Path, to: &Path) -> io::Result<()> {
        fs::rename(from, to)
    }

    fn remove_file(&self, path: &Path) -> io::Result<()> {
        fs::remove_file(path)
    }

    fn sync_dir(&self, dir: &Path) -> io::Result<()> {
        File::open(dir)?.sync_all()
    }

    fn lock(&self, path: &Path) -> Result<DiskLock, LockRefused> {
        let io = |op| move |source| LockRefused::Io { op, source };
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(path)
            .map_err(io("open lock"))?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                let mut text = String::new();
                let _ = file.read_to_string(&mut text);
                return Err(LockRefused::InUse { pid: text.trim().parse().ok() });
            }
            Err(TryLockError::Error(source)) => return Err(LockRefused::Io { op: "lock", source }),
        }
        let pid = format!("{}\n", std::process::id());
        file.set_len(0)
            .and_then(|()| file.rewind())
            .and_then(|()| file.write_all(pid.as_bytes()))
            .map_err(io("write lock"))?;
        Ok(DiskLock(Box::new(file)))
    }
}
