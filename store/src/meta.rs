//! The log's identity, kept beside it: what Vere keeps in its LMDB `META` table.
//!
//! ```text
//! offset  size  field
//! 0       4     magic "ENGM"
//! 4       4     format version (1), little-endian
//! 8       16    ship (@p as a 128-bit little-endian number; ~zod = 0)
//! 24      1     fake: 1 for a fake ship, 0 for a real one
//! 25      4     life: how many lifecycle (boot) events start the log
//! 29      4     CRC-32 of bytes 0..29
//! ```
//! Written to a temporary file, synced and renamed into place, so it is either the old or the new one.

use crate::disk::{Disk, RealDisk};
use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

const MAGIC: [u8; 4] = *b"ENGM";
const BYTES: usize = 33;
/// The format version this build reads and writes.
pub const VERSION: u32 = 1;

/// The identity of a pier's log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Meta {
    pub version: u32,
    /// The ship (`@p`), ~zod = 0.
    pub who: u128,
    pub fake: bool,
    /// The number of lifecycle (boot) events at the start of the log.
    pub life: u32,
}

/// Why the meta file could not be read or written.
#[derive(Debug)]
pub enum MetaError {
    Io {
        path: PathBuf,
        op: &'static str,
        source: io::Error,
    },
    Corrupt {
        path: PathBuf,
        why: String,
    },
    /// A pier written by a newer engine, in a format this one does not know.
    Newer {
        path: PathBuf,
        version: u32,
    },
}

impl fmt::Display for MetaError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MetaError::Io { path, op, source } => write!(f, "{op} {}: {source}", path.display()),
            MetaError::Corrupt { path, why } => {
                write!(f, "pier meta {} is unreadable: {why}", path.display())
            }
            MetaError::Newer { path, version } => write!(
                f,
                "pier meta {} is of format version {version}, written by a newer engine; this engine reads \
                 version {VERSION}: run the pier with the engine that made it",
                path.display()
            ),
        }
    }
}

impl std::error::Error for MetaError {}

impl Meta {
    fn encode(&self) -> [u8; BYTES] {
        let mut bytes = [0u8; BYTES];
        bytes[..4].copy_from_slice(&MAGIC);
        bytes[4..8].copy_from_slice(&self.version.to_le_bytes());
        bytes[8..24].copy_from_slice(&self.who.to_le_bytes());
        bytes[24] = self.fake as u8;
        bytes[25..29].copy_from_slice(&self.life.to_le_bytes());
        let crc = crc32fast::hash(&bytes[..29]);
        bytes[29..].copy_from_slice(&crc.to_le_bytes());
        bytes
    }

    /// The format version the bytes claim, if they are long enough to say.
    fn claimed_version(bytes: &[u8]) -> Option<u32> {
        (bytes.len() >= 8 && bytes[..4] == MAGIC)
            .then(|| u32::from_le_bytes(bytes[4..8].try_into().expect("4 bytes")))
    }

    fn decode(bytes: &[u8]) -> Result<Meta, String> {
        if bytes.len() != BYTES {
            return Err(format!("{} bytes where {BYTES} were expected", bytes.len()));
        }
        if bytes[..4] != MAGIC {
            return Err("not an engine meta file".into());
        }
        let crc = u32::from_le_bytes(bytes[29..].try_into().expect("4 bytes"));
        if crc32fast::hash(&bytes[..29]) != crc {
            return Err("checksum mismatch".into());
        }
        let version = u32::from_le_bytes(bytes[4..8].try_into().expect("4 bytes"));
        if version != VERSION {
            return Err(format!("format version {version}; this engine reads version {VERSION}"));
        }
        let fake = match bytes[24] {
            0 => false,
            1 => true,
            other => return Err(format!("fake flag {other}")),
        };
        Ok(Meta {
            version,
            who: u128::from_le_bytes(bytes[8..24].try_into().expect("16 bytes")),
            fake,
            life: u32::from_le_bytes(bytes[25..29].try_into().expect("4 bytes")),
        })
    }

    /// Reads and checks the meta file.
    pub fn read(path: &Path) -> Result<Meta, MetaError> {
        Meta::read_on(&RealDisk, path)
    }

    /// [`Meta::read`] on `disk`. A meta file of a later format version is [`MetaError::Newer`].
    pub fn read_on(disk: &dyn Disk, path: &Path) -> Result<Meta, MetaError> {
        let bytes =
            disk.read(path).map_err(|source| MetaError::Io { path: path.into(), op: "read", source })?;
        if let Some(version) = Meta::claimed_version(&bytes).filter(|&v| v > VERSION) {
            return Err(MetaError::Newer { path: path.into(), version });
        }
        Meta::decode(&bytes).map_err(|why| MetaError::Corrupt { path: path.into(), why })
    }

    /// Writes the meta file atomically (temporary file, sync, rename, sync the directory).
    pub fn write(&self, path: &Path) -> Result<(), MetaError> {
        self.write_on(&RealDisk, path)
    }

    /// [`Meta::write`] on `disk`.
    pub fn write_on(&self, disk: &dyn Disk, path: &Path) -> Result<(), MetaError> {
        let io = |op| move |source| MetaError::Io { path: path.into(), op, source };
        let temporary = path.with_extension("tmp");
        let mut file = disk.create(&temporary).map_err(io("create"))?;
        file.write_all(&self.encode()).and_then(|()| file.sync()).map_err(io("write"))?;
        disk.rename(&temporary, path).map_err(io("rename into place"))?;
        let dir = path.parent().unwrap_or(Path::new("."));
        disk.sync_dir(dir).map_err(io("sync directory of"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn meta_round_trips_and_rejects_damage() {
        let meta = Meta { version: VERSION, who: 0x1234, fake: true, life: 5 };
        let mut bytes = meta.encode();
        assert_eq!(Meta::decode(&bytes), Ok(meta));
        bytes[10] ^= 1;
        assert!(Meta::decode(&bytes).unwrap_err().contains("checksum"));
        assert!(Meta::decode(&bytes[..5]).is_err());
    }
}
