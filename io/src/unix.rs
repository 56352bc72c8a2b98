//! unix: Clay's mount points as directories of the pier (spec/io.md §10). `%boat` at start; clay's
//! `%hill` names the mount points (each scanned, so that a later commit sees only real changes), `%ergo`
//! writes its changes into a mount point (softly: a file the user edited since it was written is kept),
//! `%ogre` unmounts (the directory is removed), and `%dirk` (`|commit`) rescans a mount point and gives
//! the `%into` that tells clay what changed. Clay paths `/a/b/c/ext` are files `a/b/c.ext`. Nothing here
//! recurses over directory depth, and a scan is bounded in files and bytes.

use crate::nouns::{list_items as bounded_list, term};
use components::{Heap, Noun};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The most files one mount point's scan takes, and the most bytes in all; past them the scan stops
/// (reported) with what it found.
pub const SCAN_FILES_MAX: usize = 100_000;
pub const SCAN_BYTES_MAX: u64 = 1 << 30;

/// The most items of a list in a card (mount points, changes).
const LIST_ITEMS_MAX: usize = 1 << 20;

fn list_items(heap: &Heap, list: Noun) -> Option<Vec<Noun>> {
    bounded_list(heap, list, LIST_ITEMS_MAX)
}

fn text_of(heap: &Heap, noun: Noun) -> Option<String> {
    heap.atom(noun).and_then(|a| String::from_utf8(a.to_bytes()).ok())
}

/// `[/c/boat [%boat ~]]`, at start.
pub fn boat(heap: &mut Heap) -> Noun {
    let wire = heap.list(&[term("c"), term("boat")]);
    let card = heap.cell(term("boat"), Noun::ZERO);
    heap.cell(wire, card)
}

/// Changes to a mount point: each clay path with its bytes, or `None` for a file deleted.
pub type Changes = Vec<(Vec<String>, Option<Vec<u8>>)>;

/// What clay asks of the driver.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UnixEffect {
    /// The mount points.
    Hill(Vec<String>),
    /// Changes to write into a mount point: each clay path with its bytes, or `None` to delete.
    Ergo(String, Changes),
    /// Unmount.
    Ogre(String),
    /// Commit: rescan a mount point and tell clay.
    Dirk(String),
}

/// Claims an effect on a `/clay`, `/boat` or `/sync` wire.
pub fn claims(heap: &Heap, wire: Noun, card: Noun) -> Option<Result<UnixEffect, String>> {
    let head = text_of(heap, heap.head(wire)?)?;
    if !matches!(head.as_str(), "clay" | "boat" | "sync") {
        return None;
    }
    Some(parse(heap, card).ok_or_else(|| format!("unix: invalid card {}", heap.print_limited(card, 200))))
}

fn path_of(heap: &Heap, path: Noun) -> Option<Vec<String>> {
    list_items(heap, path)?.into_iter().map(|knot| text_of(heap, knot)).collect()
}

fn parse(heap: &Heap, card: Noun) -> Option<UnixEffect> {
    let (tag, rest) = heap.cell_parts(card)?;
    match text_of(heap, tag)?.as_str() {
        "hill" => {
            let names =
                list_items(heap, rest)?.into_iter().map(|n| text_of(heap, n)).collect::<Option<_>>()?;
            Some(UnixEffect::Hill(names))
        }
        "ergo" => {
            let (mount, mode) = heap.cell_parts(rest)?;
            let mut changes = Vec::new();
            for item in list_items(heap, mode)? {
                let (path, unit) = heap.cell_parts(item)?;
                let data = match heap.cell_parts(unit) {
                    None => None,
                    Some((_, mime)) => {
                        let (_, octs) = heap.cell_parts(mime)?;
                        let (length, bytes) = heap.cell_parts(octs)?;
                        let length = usize::try_from(heap.as_u64(length)?).ok().filter(|&l| l <= 1 << 30)?;
                        let mut data = heap.atom(bytes)?.to_bytes();
                        data.resize(length, 0);
                        Some(data)
                    }
                };
                changes.push((path_of(heap, path)?, data));
            }
            Some(UnixEffect::Ergo(text_of(heap, mount)?, changes))
        }
        "ogre" => Some(UnixEffect::Ogre(
            text_of(heap, heap.head(rest).unwrap_or(rest)).or_else(|| text_of(heap, rest))?,
        )),
        "dirk" => Some(UnixEffect::Dirk(
            text_of(heap, heap.head(rest).unwrap_or(rest)).or_else(|| text_of(heap, rest))?,
        )),
        _ => None,
    }
}

/// Whether a knot must be written with a `!` before it (not a file name as it stands).
fn needs_bang(knot: &str) -> bool {
    knot.is_empty() || knot == "." || knot == ".." || knot.starts_with('!') || knot.contains('/')
}

fn file_knot(knot: &str) -> String {
    if needs_bang(knot) { format!("!{knot}") } else { knot.to_string() }
}

fn knot_of_file(name: &str) -> String {
    name.strip_prefix('!').unwrap_or(name).to_string()
}

/// The file (relative to its mount point) for a clay path: `/a/b/c/ext` → `a/b/c.ext`. `None` for a path
/// of fewer than two items, or one whose extension holds a `/`.
pub fn file_of(path: &[String]) -> Option<PathBuf> {
    let (extension, rest) = path.split_last()?;
    let (name, dirs) = rest.split_last()?;
    if extension.is_empty() || extension.contains('/') || extension.contains('.') {
        return None;
    }
    let mut file = PathBuf::new();
    for dir in dirs {
        file.push(file_knot(dir));
    }
    file.push(format!("{}.{extension}", file_knot(name)));
    Some(file)
}

/// Whether a name is a valid `@ta` (`a-z 0-9 - . ~ _`).
fn is_ta(name: &str) -> bool {
    !name.is_empty()
        && name.bytes().all(|b| matches!(b, b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'~' | b'_'))
}

/// The clay path of a file (relative to its mount point): `a/b/c.d.hoon` → `/a/b/c.d/hoon`. `None` for
/// a file the scan ignores.
pub fn path_of_file(file: &Path) -> Option<Vec<String>> {
    let mut path = Vec::new();
    let parts: Vec<&str> = file.iter().map(|p| p.to_str()).collect::<Option<_>>()?;
    let (last, dirs) = parts.split_last()?;
    for dir in dirs {
        if dir.starts_with('.') || !is_ta(dir.trim_start_matches('!')) && !dir.starts_with('!') {
            return None;
        }
        path.push(knot_of_file(dir));
    }
    if last.starts_with('.') || last.ends_with('~') {
        return None;
    }
    let (name, extension) = last.rsplit_once('.')?;
    if !is_ta(last.trim_start_matches('!')) || extension.is_empty() {
        return None;
    }
    path.push(knot_of_file(name));
    path.push(extension.to_string());
    Some(path)
}

/// A file's fingerprint (its length and a hash of its bytes), to tell whether it changed.
fn fingerprint(bytes: &[u8]) -> (usize, u32) {
    (bytes.len(), components::mug::murmur3_bytes(bytes, 0xcafe_babe))
}

/// The files under `dir` that clay would take, with their bytes (iteratively; bounded).
pub fn scan(dir: &Path) -> (BTreeMap<PathBuf, Vec<u8>>, Option<String>) {
    let mut found = BTreeMap::new();
    let mut bytes = 0u64;
    let mut stack = vec![PathBuf::new()];
    while let Some(relative) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(dir.join(&relative)) else { continue };
        for entry in entries.flatten() {
            let name = entry.file_name();
            let Some(name) = name.to_str() else { continue };
            if name.starts_with('.') {
                continue;
            }
            let relative = relative.join(name);
            let Ok(kind) = entry.file_type() else { continue };
            if kind.is_dir() {
                stack.push(relative);
            } else if kind.is_file() && path_of_file(&relative).is_some() {
                if found.len() >= SCAN_FILES_MAX || bytes >= SCAN_BYTES_MAX {
                    return (found, Some(format!("unix: {} has more than the scan takes", dir.display())));
                }
                if let Ok(data) = std::fs::read(dir.join(&relative)) {
                    bytes += data.len() as u64;
                    found.insert(relative, data);
                }
            }
        }
    }
    (found, None)
}

/// The mount points and what the driver last wrote or read of each file.
#[derive(Debug, Default)]
pub struct Mounts {
    known: BTreeMap<String, BTreeMap<PathBuf, (usize, u32)>>,
}

impl Mounts {
    /// `%hill`: these are the mount points; each is scanned as it is on disk now.
    pub fn hill(&mut self, pier: &Path, names: &[String]) {
        self.known.clear();
        for name in names {
            let (files, warning) = scan(&pier.join(name));
            if let Some(warning) = warning {
                eprintln!("{warning}");
            }
            self.known.insert(name.clone(), files.iter().map(|(f, b)| (f.clone(), fingerprint(b))).collect());
        }
    }

    /// `%ergo`: clay's changes written into the mount point. A file changed on disk since the driver
    /// last wrote or read it is left as the user made it.
    pub fn ergo(&mut self, pier: &Path, mount: &str, changes: &[(Vec<String>, Option<Vec<u8>>)]) {
        let root = pier.join(mount);
        let known = self.known.entry(mount.to_string()).or_default();
        for (path, data) in changes {
            let Some(file) = file_of(path) else {
                eprintln!("unix: cannot write /{} as a file", path.join("/"));
                continue;
            };
            let full = root.join(&file);
            let on_disk = std::fs::read(&full).ok();
            let edited = match (&on_disk, known.get(&file)) {
                (Some(bytes), Some(recorded)) => fingerprint(bytes) != *recorded,
                _ => false,
            };
            match data {
                Some(_) | None if edited => {}
                Some(bytes) => {
                    if let Some(parent) = full.parent()
                        && let Err(e) = std::fs::create_dir_all(parent)
                    {
                        eprintln!("unix: cannot make {}: {e}", parent.display());
                        continue;
                    }
                    match std::fs::write(&full, bytes) {
                        Ok(()) => {
                            known.insert(file, fingerprint(bytes));
                        }
                        Err(e) => eprintln!("unix: cannot write {}: {e}", full.display()),
                    }
                }
                None => {
                    if on_disk.is_some()
                        && let Err(e) = std::fs::remove_file(&full)
                    {
                        eprintln!("unix: cannot delete {}: {e}", full.display());
                    }
                    known.remove(&file);
                    remove_empty_parents(&root, &full);
                }
            }
        }
    }

    /// `%ogre`: the mount point's directory is removed and forgotten.
    pub fn ogre(&mut self, pier: &Path, mount: &str) {
        self.known.remove(mount);
        let dir = pier.join(mount);
        if dir.starts_with(pier)
            && dir != pier
            && let Err(e) = std::fs::remove_dir_all(&dir)
            && e.kind() != std::io::ErrorKind::NotFound
        {
            eprintln!("unix: cannot remove {}: {e}", dir.display());
        }
    }

    /// `%dirk`: the mount point rescanned; what changed since the driver last wrote or read it, as the
    /// `%into`'s list (each changed or new file's bytes, each deleted file `None`). Gives `None` for a
    /// mount point clay has not named.
    pub fn dirk(&mut self, pier: &Path, mount: &str) -> Option<Changes> {
        let known = self.known.get_mut(mount)?;
        let (files, warning) = scan(&pier.join(mount));
        if let Some(warning) = warning {
            eprintln!("{warning}");
        }
        let mut changes = Vec::new();
        for (file, bytes) in &files {
            let print = fingerprint(bytes);
            if known.get(file) != Some(&print) {
                changes.push((path_of_file(file).expect("scanned"), Some(bytes.clone())));
                known.insert(file.clone(), print);
            }
        }
        let gone: Vec<PathBuf> = known.keys().filter(|f| !files.contains_key(*f)).cloned().collect();
        for file in gone {
            known.remove(&file);
            if let Some(path) = path_of_file(&file) {
                changes.push((path, None));
            }
        }
        Some(changes)
    }
}

/// Removes the directories left empty above a deleted file, up to the mount point.
fn remove_empty_parents(root: &Path, file: &Path) {
    let mut dir = file.parent();
    while let Some(d) = dir {
        if d == root || !d.starts_with(root) || std::fs::remove_dir(d).is_err() {
            return;
        }
        dir = d.parent();
    }
}

/// `[/c/sync/<sev> [%into mount %.n changes]]`, each change `[path [~ [/text/plain [len bytes]]]]` or
/// `[path ~]`.
pub fn into(heap: &mut Heap, sev: &str, mount: &str, changes: &[(Vec<String>, Option<Vec<u8>>)]) -> Noun {
    let cord = |heap: &mut Heap, text: &[u8]| heap.atom_from_bytes(text);
    let mut items = Vec::with_capacity(changes.len());
    for (path, data) in changes {
        let knots: Vec<Noun> = path.iter().map(|k| cord(heap, k.as_bytes())).collect();
        let path = heap.list(&knots);
        let unit = match data {
            None => Noun::ZERO,
            Some(bytes) => {
                let text = cord(heap, b"text");
                let plain = cord(heap, b"plain");
                let mite = heap.list(&[text, plain]);
                let length = heap.atom_u64(bytes.len() as u64);
                let content = cord(heap, bytes);
                let octs = heap.cell(length, content);
                let mime = heap.cell(mite, octs);
                heap.cell(Noun::ZERO, mime)
            }
        };
        items.push(heap.cell(path, unit));
    }
    let list = heap.list(&items);
    let sev = cord(heap, sev.as_bytes());
    let wire = heap.list(&[term("c"), term("sync"), sev]);
    let mount = cord(heap, mount.as_bytes());
    let card = heap.tuple(&[term("into"), mount, Noun::direct(1).expect("small"), list]);
    heap.cell(wire, card)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn path(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn clay_paths_and_file_names_map_both_ways() {
        assert_eq!(file_of(&path(&["sys", "kelvin"])), Some(PathBuf::from("sys.kelvin")));
        assert_eq!(file_of(&path(&["app", "hood", "hoon"])), Some(PathBuf::from("app/hood.hoon")));
        assert_eq!(file_of(&path(&["a", "", "hoon"])), Some(PathBuf::from("a/!.hoon")));
        assert_eq!(file_of(&path(&["hoon"])), None);
        assert_eq!(path_of_file(Path::new("app/hood.hoon")), Some(path(&["app", "hood", "hoon"])));
        assert_eq!(path_of_file(Path::new("lib/c.d.hoon")), Some(path(&["lib", "c.d", "hoon"])));
        assert_eq!(path_of_file(Path::new("a/!.hoon")), Some(path(&["a", "", "hoon"])));
        for ignored in ["README", ".hidden.hoon", "a.hoon~", "A.hoon", "sp ace.txt"] {
            assert_eq!(path_of_file(Path::new(ignored)), None, "{ignored}");
        }
    }

    #[test]
    fn a_mount_point_is_written_edited_committed_and_unmounted() {
        let dir = tempfile::tempdir().unwrap();
        let pier = dir.path();
        let mut mounts = Mounts::default();
        mounts.hill(pier, &["base".to_string()]);
        let file = |p: &str| pier.join("base").join(p);
        mounts.ergo(
            pier,
            "base",
            &[
                (path(&["app", "hi", "hoon"]), Some(b"hi".to_vec())),
                (path(&["sys", "kelvin"]), Some(b"[%zuse 417]".to_vec())),
            ],
        );
        assert_eq!(std::fs::read(file("app/hi.hoon")).unwrap(), b"hi");
        assert_eq!(mounts.dirk(pier, "base").unwrap(), vec![], "nothing changed since it was written");
        // The user edits one file, adds one, deletes one, and leaves an editor's backup.
        std::fs::write(file("app/hi.hoon"), b"hello").unwrap();
        std::fs::write(file("app/new.hoon"), b"new").unwrap();
        std::fs::write(file("app/new.hoon~"), b"backup").unwrap();
        std::fs::remove_file(file("sys.kelvin")).unwrap();
        // Clay writes the edited file again before the commit: the user's edit wins.
        mounts.ergo(pier, "base", &[(path(&["app", "hi", "hoon"]), Some(b"from clay".to_vec()))]);
        assert_eq!(std::fs::read(file("app/hi.hoon")).unwrap(), b"hello");
        let mut changes = mounts.dirk(pier, "base").unwrap();
        changes.sort();
        assert_eq!(
            changes,
            vec![
                (path(&["app", "hi", "hoon"]), Some(b"hello".to_vec())),
                (path(&["app", "new", "hoon"]), Some(b"new".to_vec())),
                (path(&["sys", "kelvin"]), None),
            ]
        );
        mounts.ergo(pier, "base", &[(path(&["app", "new", "hoon"]), None)]);
        assert!(!file("app/new.hoon").exists());
        assert!(mounts.dirk(pier, "other").is_none());
        mounts.ogre(pier, "base");
        assert!(!pier.join("base").exists());
    }

    #[test]
    fn effects_and_the_into_have_clays_shapes() {
        let mut heap = Heap::new();
        let into = into(
            &mut heap,
            "0v1",
            "base",
            &[(path(&["a", "txt"]), Some(b"x".to_vec())), (path(&["b", "txt"]), None)],
        );
        let (_, card) = heap.cell_parts(into).unwrap();
        let items = heap.slot_u64(card, 15).unwrap();
        assert_eq!(list_items(&heap, items).unwrap().len(), 2);
        let (tag, rest) = heap.cell_parts(card).unwrap();
        assert_eq!(text_of(&heap, tag).as_deref(), Some("into"));
        assert_eq!(text_of(&heap, heap.head(rest).unwrap()).as_deref(), Some("base"));
        // %ergo's shape, read back.
        let (wire, card) = {
            let sync = heap.atom_from_bytes(b"sync");
            let wire = heap.list(&[sync]);
            let ergo = heap.atom_from_bytes(b"ergo");
            let base = heap.atom_from_bytes(b"base");
            let card = heap.tuple(&[ergo, base, items]);
            (wire, card)
        };
        assert_eq!(
            claims(&heap, wire, card).unwrap().unwrap(),
            UnixEffect::Ergo(
                "base".into(),
                vec![(path(&["a", "txt"]), Some(b"x".to_vec())), (path(&["b", "txt"]), None)]
            )
        );
        let other = heap.list(&[term("newt")]);
        assert!(claims(&heap, other, card).is_none());
    }
}
